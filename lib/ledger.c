#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "faults.h"
#include "ledger_int.h"
#include "money.h"
#include "pattern.h"
#include "programme.h"
#include "tmpfiles.h"
#include "when.h"

const struct ledger_setting ledger_defaults[] = {
	{ "programme", "Loyalty Club", "the programme's name" },
	{ "currency", "EUR", "ISO 4217 code of the programme's currency" },
	{ "decimals", "2", "decimal places of the currency: 0, 2 or 3" },
	{ "timezone", "UTC", "time zone every date and time is read and kept in" },
	{ "earn_points", "1", "points earned per earn_amount of purchase" },
	{ "earn_amount", "1", "purchase amount (currency units) that earns earn_points" },
	{ "point_value", "0.01", "money value of one point, for liability" },
	{ "tiers", "Pearl,Opal,Ruby,Diamond", "tiers from lowest to highest" },
	{ "expiry_months", "24", "months after earning that points expire (0: never)" },
	{ "expiry_policy", "months",
	  "when points expire: months (expiry_months after earning), year-end (the end of "
	  "the expiry_years-th year after earning), rolling (expiry_months after the "
	  "member's last activity) or never" },
	{ "expiry_years", "1", "for year-end expiry: calendar years after the year of earning" },
	{ "transfers", "no", "may members transfer points to each other (yes or no)" },
	{ "allow_negative", "no", "may a balance go below zero (yes or no)" },
	{ "identify_by", "member_id,card,phone,email",
	  "which POS columns identify the member, in order" },
	{ "return_window_days", "0",
	  "days earned points stay pending, returnable (0: spendable at once)" },
	{ "future_tolerance_hours", "24",
	  "how far past now a purchase or enrolment time may lie (clock skew)" },
	{ "segment_months", "12",
	  "months of history loy-segment's value, rfm and best lists look back" },
	{ "value_spend", "median",
	  "spend in segment_months that makes a high-value member (median: the median)" },
	{ "value_visits", "median",
	  "visits in segment_months that make a loyal member (median: the median)" },
	{ "value_tenure_months", "0",
	  "months of membership a loyal member also needs" },
	{ "lapse_k", "2",
	  "a member has lapsed when the gap since the last purchase exceeds k x their usual one" },
	{ "lapse_min_purchases", "3",
	  "purchases a member needs before their own rhythm is judged" },
	{ "lifecycle_new_days", "90", "days after enrolment a member counts as new" },
	{ "lifecycle_active_days", "90", "days since the last purchase a member stays active" },
	{ "lifecycle_lapsed_days", "180", "days since the last purchase after which a member has lapsed" },
	{ "phone_pattern", "^\\+?[0-9][0-9 ()/.-]{4,22}[0-9]$",
	  "PCRE2 pattern a phone number must match" },
	{ "phone_country", "none",
	  "country calling code (44) whose national phone numbers are one phone with "
	  "their international form, or none" },
	{ "email_pattern", "^[^@\\s]+@[^@\\s]+\\.[^@\\s.]+$",
	  "PCRE2 pattern an e-mail address must match" },
	{ NULL, NULL, NULL }
};

/*
 * Schema migrations: migrations[i] takes a ledger from user_version i to
 * i + 1.  Documented in loy-ledger(5); append, never edit.
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE settings (\n"
	"  key   TEXT PRIMARY KEY,\n"
	"  value TEXT NOT NULL\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE runs (\n"
	"  run_id         INTEGER PRIMARY KEY,\n"
	"  program        TEXT NOT NULL,\n"
	"  args           TEXT NOT NULL,\n"
	"  started_at     TEXT NOT NULL,\n"
	"  ended_at       TEXT,\n"
	"  rows_read      INTEGER NOT NULL DEFAULT 0,\n"
	"  rows_changed   INTEGER NOT NULL DEFAULT 0,\n"
	"  rows_unchanged INTEGER NOT NULL DEFAULT 0,\n"
	"  rows_rejected  INTEGER NOT NULL DEFAULT 0,\n"
	"  summary        TEXT\n"
	");\n"
	"CREATE TABLE run_inputs (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
	"  seq    INTEGER NOT NULL,\n"
	"  name   TEXT NOT NULL,\n"
	"  sha256 TEXT NOT NULL,\n"
	"  bytes  INTEGER NOT NULL,\n"
	"  rows   INTEGER NOT NULL,\n"
	"  PRIMARY KEY (run_id, seq)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE members (\n"
	"  member_id    TEXT PRIMARY KEY,\n"
	"  status       TEXT NOT NULL DEFAULT 'active'\n"
	"               CHECK (status IN ('active', 'closed', 'merged')),\n"
	"  name         TEXT,\n"
	"  phone        TEXT,\n"
	"  email        TEXT,\n"
	"  birthday     TEXT,\n"
	"  enrolled_at  TEXT NOT NULL,\n"
	"  referrer     TEXT REFERENCES members(member_id),\n"
	"  store        TEXT,\n"
	"  channel      TEXT,\n"
	"  attrs        TEXT,\n"
	"  tier         TEXT,\n"
	"  merged_into  TEXT REFERENCES members(member_id),\n"
	"  closed_at    TEXT,\n"
	"  forgotten_at TEXT,\n"
	"  created_run  INTEGER NOT NULL REFERENCES runs(run_id),\n"
	"  updated_run  INTEGER NOT NULL REFERENCES runs(run_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX members_phone ON members(phone) WHERE phone IS NOT NULL;\n"
	"CREATE INDEX members_email ON members(lower(email)) WHERE email IS NOT NULL;\n"

	"CREATE TABLE cards (\n"
	"  card        TEXT PRIMARY KEY,\n"
	"  member_id   TEXT NOT NULL REFERENCES members(member_id),\n"
	"  status      TEXT NOT NULL DEFAULT 'active'\n"
	"              CHECK (status IN ('active', 'replaced')),\n"
	"  issued_at   TEXT NOT NULL,\n"
	"  ended_at    TEXT,\n"
	"  replaced_by TEXT REFERENCES cards(card),\n"
	"  run_id      INTEGER NOT NULL REFERENCES runs(run_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX cards_member ON cards(member_id);\n"
	"CREATE TABLE journal (\n"
	"  entry_id    INTEGER PRIMARY KEY,\n"
	"  member_id   TEXT NOT NULL REFERENCES members(member_id),\n"
	"  kind        TEXT NOT NULL,\n"
	"  points      INTEGER NOT NULL,\n"
	"  occurred_at TEXT NOT NULL,\n"
	"  posted_at   TEXT NOT NULL,\n"
	"  run_id      INTEGER NOT NULL REFERENCES runs(run_id),\n"
	"  source      TEXT,\n"
	"  ref         TEXT,\n"
	"  reverses    INTEGER REFERENCES journal(entry_id),\n"
	"  reason      TEXT\n"
	");\n"
	"CREATE INDEX journal_member ON journal(member_id);\n"
	"CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal\n"
	"  BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;\n"
	"CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal\n"
	"  BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;\n"
	"CREATE TABLE lots (\n"
	"  lot_id       INTEGER PRIMARY KEY,\n"
	"  member_id    TEXT NOT NULL REFERENCES members(member_id),\n"
	"  entry_id     INTEGER NOT NULL REFERENCES journal(entry_id),\n"
	"  earned_at    TEXT NOT NULL,\n"
	"  expires_at   TEXT,\n"
	"  available_at TEXT,\n"
	"  points       INTEGER NOT NULL CHECK (points > 0),\n"
	"  remaining    INTEGER NOT NULL CHECK (remaining BETWEEN 0 AND points)\n"
	");\n"
	"CREATE INDEX lots_open ON lots(member_id, expires_at) WHERE remaining > 0;\n"
	"CREATE TABLE lot_moves (\n"
	"  entry_id INTEGER NOT NULL REFERENCES journal(entry_id),\n"
	"  lot_id   INTEGER NOT NULL REFERENCES lots(lot_id),\n"
	"  points   INTEGER NOT NULL,\n"
	"  PRIMARY KEY (entry_id, lot_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE balances (\n"
	"  member_id     TEXT PRIMARY KEY REFERENCES members(member_id),\n"
	"  points        INTEGER NOT NULL CHECK (typeof(points) = 'integer'),\n"
	"  last_entry_id INTEGER NOT NULL REFERENCES journal(entry_id)\n"
	") WITHOUT ROWID;\n",
	/* 1 -> 2: receipts, for loy-accrue */
	"CREATE TABLE receipts (\n"
	"  txn_id      TEXT PRIMARY KEY,\n"
	"  member_id   TEXT REFERENCES members(member_id),\n"
	"  occurred_at TEXT NOT NULL,\n"
	"  store       TEXT,\n"
	"  channel     TEXT,\n"
	"  amount      INTEGER NOT NULL,\n"
	"  lines       INTEGER NOT NULL,\n"
	"  points      INTEGER NOT NULL,\n"
	"  status      TEXT NOT NULL\n"
	"              CHECK (status IN ('credited', 'pending', 'returned', 'anonymous')),\n"
	"  orig_txn    TEXT,\n"
	"  returned_amount INTEGER NOT NULL DEFAULT 0\n"
	"                  CHECK (typeof(returned_amount) = 'integer'),\n"
	"  returned_points INTEGER NOT NULL DEFAULT 0\n"
	"                  CHECK (typeof(returned_points) = 'integer'),\n"
	"  run_id      INTEGER NOT NULL REFERENCES runs(run_id),\n"
	"  input_seq   INTEGER NOT NULL,\n"
	"  entry_id    INTEGER REFERENCES journal(entry_id),\n"
	"  digest      BLOB NOT NULL\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX journal_ref ON journal(source, ref)\n"
	"  WHERE source IN ('adjustment', 'opening');\n",
	/* 2 -> 3: the reward catalogue and redemptions, for loy-redeem */
	"CREATE TABLE partners (\n"
	"  partner_id  TEXT PRIMARY KEY,\n"
	"  updated_run INTEGER NOT NULL REFERENCES runs(run_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE rewards (\n"
	"  reward_id        TEXT PRIMARY KEY,\n"
	"  name             TEXT NOT NULL,\n"
	"  points           INTEGER NOT NULL CHECK (points > 0),\n"
	"  cash_price       INTEGER,\n"
	"  stock            INTEGER CHECK (stock >= 0),\n"
	"  partner_id       TEXT REFERENCES partners(partner_id),\n"
	"  partner_cost     INTEGER,\n"
	"  tiers            TEXT,\n"
	"  valid_from       TEXT,\n"
	"  valid_to         TEXT,\n"
	"  per_member_limit INTEGER CHECK (per_member_limit > 0),\n"
	"  updated_run      INTEGER NOT NULL REFERENCES runs(run_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE redemptions (\n"
	"  request_id   TEXT PRIMARY KEY,\n"
	"  member_id    TEXT NOT NULL,\n"
	"  reward_id    TEXT NOT NULL,\n"
	"  qty          INTEGER NOT NULL,\n"
	"  requested_at TEXT NOT NULL,\n"
	"  channel      TEXT,\n"
	"  status       TEXT NOT NULL\n"
	"               CHECK (status IN ('redeemed', 'refused', 'cancelled')),\n"
	"  reason       TEXT,\n"
	"  points       INTEGER NOT NULL,\n"
	"  voucher      TEXT UNIQUE,\n"
	"  entry_id     INTEGER REFERENCES journal(entry_id),\n"
	"  cancel_entry INTEGER REFERENCES journal(entry_id),\n"
	"  run_id       INTEGER NOT NULL REFERENCES runs(run_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX redemptions_member ON redemptions(member_id, reward_id);\n",
	/* 3 -> 4: code pools, transfers, partner settlement, for loy-redeem */
	"CREATE TABLE reward_codes (\n"
	"  code       TEXT PRIMARY KEY,\n"
	"  reward_id  TEXT NOT NULL REFERENCES rewards(reward_id),\n"
	"  seq        INTEGER NOT NULL,\n"
	"  loaded_run INTEGER NOT NULL REFERENCES runs(run_id),\n"
	"  request_id TEXT REFERENCES redemptions(request_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX reward_codes_reward ON reward_codes(reward_id, seq);\n"
	"CREATE INDEX reward_codes_unused ON reward_codes(reward_id, seq)\n"
	"  WHERE request_id IS NULL;\n"
	"ALTER TABLE redemptions ADD COLUMN partner_id TEXT;\n"
	"ALTER TABLE redemptions ADD COLUMN partner_cost INTEGER;\n"
	"CREATE INDEX redemptions_partner ON redemptions(partner_id, requested_at)\n"
	"  WHERE partner_id IS NOT NULL;\n"
	"CREATE TABLE transfers (\n"
	"  transfer_id  TEXT PRIMARY KEY,\n"
	"  from_member  TEXT NOT NULL,\n"
	"  to_member    TEXT NOT NULL,\n"
	"  points       INTEGER NOT NULL,\n"
	"  requested_at TEXT NOT NULL,\n"
	"  status       TEXT NOT NULL CHECK (status IN ('transferred', 'refused')),\n"
	"  reason       TEXT,\n"
	"  from_entry   INTEGER REFERENCES journal(entry_id),\n"
	"  to_entry     INTEGER REFERENCES journal(entry_id),\n"
	"  run_id       INTEGER NOT NULL REFERENCES runs(run_id)\n"
	") WITHOUT ROWID;\n",
	/* 4 -> 5: programme versions, for loy-program */
	"CREATE TABLE programmes (\n"
	"  version        INTEGER PRIMARY KEY,\n"
	"  effective_from TEXT NOT NULL,\n"
	"  loaded_at      TEXT NOT NULL,\n"
	"  run_id         INTEGER NOT NULL REFERENCES runs(run_id),\n"
	"  source         TEXT NOT NULL,\n"
	"  sha256         TEXT NOT NULL,\n"
	"  text           TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX programmes_effective ON programmes(effective_from, version);\n"
	"CREATE TRIGGER programmes_no_update BEFORE UPDATE ON programmes\n"
	"  BEGIN SELECT RAISE(ABORT, 'programme versions are kept as loaded'); END;\n"
	"CREATE TRIGGER programmes_no_delete BEFORE DELETE ON programmes\n"
	"  BEGIN SELECT RAISE(ABORT, 'programme versions are kept as loaded'); END;\n",
	/* 5 -> 6: receipt lines and rule ledgers, for the earning rules */
	"ALTER TABLE receipts ADD COLUMN earn TEXT;\n"
	"CREATE TABLE rule_awards (\n"
	"  award_id  INTEGER PRIMARY KEY,\n"
	"  rule      TEXT NOT NULL,\n"
	"  version   INTEGER NOT NULL,\n"
	"  member_id TEXT NOT NULL REFERENCES members(member_id),\n"
	"  period    TEXT NOT NULL,\n"
	"  key       TEXT NOT NULL,\n"
	"  points    INTEGER NOT NULL,\n"
	"  entry_id  INTEGER REFERENCES journal(entry_id),\n"
	"  run_id    INTEGER NOT NULL REFERENCES runs(run_id),\n"
	"  UNIQUE (rule, member_id, key)\n"
	");\n"
	"CREATE INDEX rule_awards_period ON rule_awards(rule, member_id, period);\n"
	"CREATE INDEX rule_awards_member ON rule_awards(member_id);\n"
	"CREATE TABLE rule_totals (\n"
	"  rule   TEXT PRIMARY KEY,\n"
	"  points INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE rule_progress (\n"
	"  rule      TEXT NOT NULL,\n"
	"  member_id TEXT NOT NULL REFERENCES members(member_id),\n"
	"  period    TEXT NOT NULL,\n"
	"  visits    INTEGER NOT NULL,\n"
	"  spend     INTEGER NOT NULL,\n"
	"  PRIMARY KEY (rule, member_id, period)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE events (\n"
	"  event_id    TEXT PRIMARY KEY,\n"
	"  member_id   TEXT NOT NULL REFERENCES members(member_id),\n"
	"  event       TEXT NOT NULL,\n"
	"  occurred_at TEXT NOT NULL,\n"
	"  period      TEXT NOT NULL,\n"
	"  points      INTEGER NOT NULL,\n"
	"  status      TEXT NOT NULL CHECK (status IN ('credited', 'limited')),\n"
	"  version     INTEGER NOT NULL,\n"
	"  rules       TEXT,\n"
	"  entry_id    INTEGER REFERENCES journal(entry_id),\n"
	"  run_id      INTEGER NOT NULL REFERENCES runs(run_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX events_member ON events(member_id, event, period);\n",
	/* 6 -> 7: tier history and named segments, for loy-segment */
	"CREATE TABLE tier_history (\n"
	"  change_id INTEGER PRIMARY KEY,\n"
	"  member_id TEXT NOT NULL REFERENCES members(member_id),\n"
	"  from_tier TEXT,\n"
	"  to_tier   TEXT,\n"
	"  reason    TEXT NOT NULL,\n"
	"  measure   INTEGER,\n"
	"  threshold INTEGER,\n"
	"  effective TEXT NOT NULL,\n"
	"  run_id    INTEGER NOT NULL REFERENCES runs(run_id)\n"
	");\n"
	"CREATE INDEX tier_history_member ON tier_history(member_id, change_id);\n"
	"CREATE INDEX tier_history_run ON tier_history(run_id);\n"
	"CREATE TABLE tier_runs (\n"
	"  run_id INTEGER PRIMARY KEY REFERENCES runs(run_id),\n"
	"  as_of  TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE tier_assignments (\n"
	"  assignment_id INTEGER PRIMARY KEY,\n"
	"  member_id     TEXT NOT NULL REFERENCES members(member_id),\n"
	"  tier          TEXT NOT NULL,\n"
	"  starts        TEXT NOT NULL,\n"
	"  until         TEXT NOT NULL,\n"
	"  reason        TEXT,\n"
	"  run_id        INTEGER NOT NULL REFERENCES runs(run_id)\n"
	");\n"
	"CREATE INDEX tier_assignments_member ON tier_assignments(member_id, assignment_id);\n"
	"CREATE TABLE tier_earned (\n"
	"  member_id TEXT PRIMARY KEY REFERENCES members(member_id),\n"
	"  tier      TEXT\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE segments (\n"
	"  name    TEXT PRIMARY KEY,\n"
	"  as_of   TEXT NOT NULL,\n"
	"  source  TEXT NOT NULL,\n"
	"  members INTEGER NOT NULL,\n"
	"  run_id  INTEGER NOT NULL REFERENCES runs(run_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE segment_members (\n"
	"  segment   TEXT NOT NULL REFERENCES segments(name),\n"
	"  member_id TEXT NOT NULL REFERENCES members(member_id),\n"
	"  PRIMARY KEY (segment, member_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX members_merged ON members(merged_into) WHERE merged_into IS NOT NULL;\n",
	/*
	 * 7 -> 8: each status CHECK spelled as equalities joined by OR.  The
	 * same rule, but SQLite 3.40 fills a temporary table with an IN list
	 * on every row it checks, which cost loy-accrue an eighth of its time.
	 * A CHECK constraint lives only in the table's CREATE text, so the text
	 * is rewritten in place, as SQLite's documentation of ALTER TABLE
	 * allows for constraints; migrate() then bumps the schema version.
	 */
	"PRAGMA writable_schema = ON;\n"
	"UPDATE sqlite_schema SET sql = replace(sql,\n"
	"  'status IN (''active'', ''closed'', ''merged'')',\n"
	"  'status = ''active'' OR status = ''closed'' OR status = ''merged''')\n"
	"  WHERE type = 'table' AND name = 'members';\n"
	"UPDATE sqlite_schema SET sql = replace(sql,\n"
	"  'status IN (''active'', ''replaced'')',\n"
	"  'status = ''active'' OR status = ''replaced''')\n"
	"  WHERE type = 'table' AND name = 'cards';\n"
	"UPDATE sqlite_schema SET sql = replace(sql,\n"
	"  'status IN (''credited'', ''pending'', ''returned'', ''anonymous'')',\n"
	"  'status = ''credited'' OR status = ''pending'' OR status = ''returned''\n"
	"                 OR status = ''anonymous''')\n"
	"  WHERE type = 'table' AND name = 'receipts';\n"
	"UPDATE sqlite_schema SET sql = replace(sql,\n"
	"  'status IN (''redeemed'', ''refused'', ''cancelled'')',\n"
	"  'status = ''redeemed'' OR status = ''refused'' OR status = ''cancelled''')\n"
	"  WHERE type = 'table' AND name = 'redemptions';\n"
	"UPDATE sqlite_schema SET sql = replace(sql,\n"
	"  'status IN (''transferred'', ''refused'')',\n"
	"  'status = ''transferred'' OR status = ''refused''')\n"
	"  WHERE type = 'table' AND name = 'transfers';\n"
	"UPDATE sqlite_schema SET sql = replace(sql,\n"
	"  'status IN (''credited'', ''limited'')',\n"
	"  'status = ''credited'' OR status = ''limited''')\n"
	"  WHERE type = 'table' AND name = 'events';\n"
	"PRAGMA writable_schema = OFF;\n",
	/* 8 -> 9: rewards restricted to named segments, for loy-redeem */
	"ALTER TABLE rewards ADD COLUMN segments TEXT;\n",
	/* 9 -> 10: a purchase keeps at most its amount as returned; a return
	 * keeps what of it was taken off its purchase, in the order the returns
	 * came, as loy-accrue has recorded it since */
	"UPDATE receipts SET returned_amount = amount\n"
	"  WHERE status <> 'returned' AND returned_amount > amount AND amount > 0;\n"
	"UPDATE receipts SET returned_amount = -x.took FROM (\n"
	"  SELECT r.txn_id, max(0, min(-r.amount, o.returned_amount\n"
	"    - (sum(-r.amount) OVER (PARTITION BY r.orig_txn\n"
	"         ORDER BY r.run_id, r.input_seq, r.txn_id) + r.amount))) AS took\n"
	"    FROM receipts r JOIN receipts o ON o.txn_id = r.orig_txn\n"
	"   WHERE r.status = 'returned' AND r.amount < 0\n"
	"     AND o.member_id IS NOT NULL AND o.amount > 0) AS x\n"
	"  WHERE receipts.txn_id = x.txn_id;\n",
	/* 10 -> 11: the returns taken off no purchase, by the original they
	 * name, for loy-accrue to count against that one when it comes (IF NOT
	 * EXISTS: a ledger that only says it is older may have it) */
	"CREATE INDEX IF NOT EXISTS receipts_unlinked ON receipts(orig_txn)\n"
	"  WHERE orig_txn IS NOT NULL AND amount < 0 AND returned_amount = 0;\n",
	/* 11 -> 12: phones compared as written out by anyone (LEDGER_PHONE_KEY) */
	"DROP INDEX IF EXISTS members_phone;\n"
	"CREATE INDEX members_phone ON members(" LEDGER_PHONE_KEY("phone") ")\n"
	"  WHERE phone IS NOT NULL;\n",
	/* 12 -> 13: the compared phone kept in a column that loy writes (the
	 * column is added first, by added_columns), indexed as it is */
	"UPDATE members SET phone_key = " LEDGER_PHONE_KEY("phone") " WHERE phone IS NOT NULL;\n"
	"DROP INDEX IF EXISTS members_phone;\n"
	"CREATE INDEX members_phone ON members(phone_key) WHERE phone_key IS NOT NULL;\n",
	/* 13 -> 14: the receipts that name an original, for the returns of a
	 * purchase settled in parts (ledger_receipt_returns), which read the
	 * whole table without it (made again where a ledger that only says
	 * it is older has it: the schema ends in one order) */
	"DROP INDEX IF EXISTS receipts_orig;\n"
	"CREATE INDEX receipts_orig ON receipts(orig_txn)\n"
	"  WHERE orig_txn IS NOT NULL;\n",
	/* 14 -> 15: the purchase a referral bonus was given on, in a column
	 * of rule_awards (added first, by added_columns), so that a return of
	 * all of it takes the bonus back: a bonus on every purchase by its
	 * key, one on a first purchase by the receipt of its member that
	 * earned, as the first, at the time and in the run of the bonus */
	"UPDATE rule_awards SET txn_id = substr(key, 9)\n"
	"  WHERE txn_id IS NULL AND points > 0 AND key GLOB 'receipt ?*';\n"
	"UPDATE rule_awards SET txn_id = (SELECT e.ref FROM journal j\n"
	"    JOIN journal e ON e.member_id = CASE WHEN rule_awards.key GLOB 'referee ?*'\n"
	"       THEN substr(rule_awards.key, 9) ELSE rule_awards.member_id END\n"
	"     AND e.source = 'receipt' AND e.kind = 'earn'\n"
	"     AND e.occurred_at = j.occurred_at AND e.run_id = j.run_id\n"
	"    JOIN receipts r ON r.txn_id = e.ref AND r.amount >= 0\n"
	"     AND json_valid(r.earn) AND r.earn->>'first' = 1\n"
	"   WHERE j.entry_id = rule_awards.entry_id ORDER BY e.entry_id LIMIT 1)\n"
	"  WHERE txn_id IS NULL AND points > 0\n"
	"    AND (key GLOB 'referee ?*' OR key GLOB 'referred by ?*');\n"
	"DROP INDEX IF EXISTS rule_awards_txn;\n"
	"CREATE INDEX rule_awards_txn ON rule_awards(txn_id) WHERE txn_id IS NOT NULL;\n",
	/* 15 -> 16: who ran each run, in a column of runs (added first, by
	 * added_columns); the runs before it do not say */
	"",
	/* 16 -> 17: the points a return owed and did not take back, for a
	 * balance at zero, in a column of receipts (added first, by
	 * added_columns), which a cancel or a transfer received takes later;
	 * the returns taken before it do not say */
	"",
	/* 17 -> 18: a 0 in brackets right after + and the country code (the
	 * trunk prefix: +44 (0)20 7946 0958) left out of the phone's key, as
	 * LEDGER_PHONE_WRITTEN leaves it out, so that the members enrolled with
	 * such a phone are found by it written either way */
	"UPDATE members SET phone_key = " LEDGER_PHONE_KEY_IN("phone", LEDGER_PHONE_COUNTRY) "\n"
	"  WHERE phone GLOB '*(*' AND phone_key IS NOT "
	LEDGER_PHONE_KEY_IN("phone", LEDGER_PHONE_COUNTRY) ";\n",
	/* 18 -> 19: when a member was merged, in a column of members (added
	 * first, by added_columns), so that closed_at keeps when a member
	 * closed before its merge was closed, and the referrer the survivor
	 * had before the merge, in another; a merge made before it held its
	 * time in closed_at alone, and did not record the survivor's
	 * referrer: it gets the one the survivor has now */
	"UPDATE members SET merged_at = closed_at\n"
	"  WHERE status = 'merged' AND merged_at IS NULL;\n"
	"UPDATE members SET into_referrer = (SELECT i.referrer FROM members i\n"
	"    WHERE i.member_id = members.merged_into)\n"
	"  WHERE status = 'merged' AND into_referrer IS NULL;\n",
	/* 19 -> 20: the 0 in brackets after +39, +378 and +379 (Italy, San
	 * Marino, the Vatican: +39 (0)6 ...) kept in the phone's key, as
	 * LEDGER_PHONE_WRITTEN keeps it, where version 18 left it out, and a
	 * 0 in brackets right after 00 and the country code (0049 (0)30 ...)
	 * left out, as after + */
	"UPDATE members SET phone_key = " LEDGER_PHONE_KEY_IN("phone", LEDGER_PHONE_COUNTRY) "\n"
	"  WHERE phone GLOB '*(*' AND phone_key IS NOT "
	LEDGER_PHONE_KEY_IN("phone", LEDGER_PHONE_COUNTRY) ";\n",
	/* 20 -> 21: the run that merged a member, in a column of members
	 * (added first, by added_columns), which orders the merges into one
	 * member made in one second, where updated_run did and a forget of
	 * the survivor rewrote it.  A merge made before it: its updated_run
	 * when it was not forgotten since (nothing else changes a merged
	 * record), else the run of the entries that moved its points, else
	 * the run of loy-enroll whose arguments name the merge, else none */
	"UPDATE members SET merged_run = CASE WHEN forgotten_at IS NULL THEN updated_run\n"
	"  ELSE coalesce((SELECT min(j.run_id) FROM journal j\n"
	"    WHERE j.member_id = members.member_id AND j.kind = 'merge'\n"
	"     AND j.source = 'merge' AND j.ref = members.merged_into),\n"
	"   (SELECT min(r.run_id) FROM runs r WHERE r.program = 'loy-enroll'\n"
	"     AND r.run_id <= members.updated_run\n"
	"     AND instr(r.args || ' ', ' merge ' || members.member_id || ' '\n"
	"      || members.merged_into || ' ') > 0)) END\n"
	"  WHERE status = 'merged' AND merged_run IS NULL;\n",
};

/* The columns a migration adds before its statements run, each only where
 * it is not yet: a ledger that only says it is older may have it. */
static const struct {
	int version;		/* the migration from this version */
	const char *table, *column, *type;
} added_columns[] = {
	{ 12, "members", "phone_key", "TEXT" },
	{ 14, "rule_awards", "txn_id", "TEXT" },
	{ 15, "runs", "operator", "TEXT" },
	{ 16, "receipts", "unrecovered",
	    "INTEGER NOT NULL DEFAULT 0 CHECK (typeof(unrecovered) = 'integer' AND unrecovered >= 0)" },
	{ 18, "members", "merged_at", "TEXT" },
	{ 18, "members", "into_referrer", "TEXT" },
	{ 20, "members", "merged_run", "INTEGER REFERENCES runs(run_id)" },
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == LEDGER_SCHEMA_VERSION,
    "LEDGER_SCHEMA_VERSION must count the migrations");

/* The name of the ledger's file SQLite keeps beside it: path and ext
 * ("-wal", "-shm"), to free. */
static char *
beside(const char *path, const char *ext)
{
	size_t n = strlen(path) + strlen(ext) + 1;
	char *s = loy_xmalloc(n);

	snprintf(s, n, "%s%s", path, ext);
	return s;
}

/*
 * Whether the ledger cannot be read at all: a WAL ledger is read through
 * its -shm file, which SQLite must make beside it when it is not there, so
 * a directory the user may not write keeps even readers out.  Says so.
 */
static int
unreadable_wal(const char *path)
{
	char *shm = beside(path, "-shm"), *dir = tmpfiles_dir(path);
	int bad;

	bad = access(shm, F_OK) != 0 && access(dir, W_OK) != 0;
	if (bad)
		loy_error("ledger '%s' cannot be read here: its directory '%s' is not writable, "
		    "and a ledger is read through a file beside it ('%s'); copy the ledger "
		    "where you may write, or ask for write access", path, dir, shm);
	free(shm);
	free(dir);
	return bad;
}

/*
 * A ledger the user may write, whose -wal or -shm file they may not: left
 * by a reader without write access (SQLite makes them with the ledger's
 * mode of the moment, and only a writer removes them).  The one of them
 * in *which, or 0.
 */
static int
stale_wal(const char *path, char **which)
{
	const char *ext[] = { "-wal", "-shm" };

	if (access(path, W_OK) != 0)
		return 0;
	for (int i = 0; i < 2; i++) {
		*which = beside(path, ext[i]);
		if (access(*which, F_OK) == 0 && access(*which, W_OK) != 0)
			return 1;
		free(*which);
	}
	*which = NULL;
	return 0;
}

/* Where SQLite keeps its temporary files (sorts, temporary indexes): the
 * first directory of these it may write to, as its unix VFS takes them;
 * *var, the environment variable that named it, or NULL for a default. */
static const char *
sqlite_tmpdir(const char **var)
{
	static const char *const vars[] = { "SQLITE_TMPDIR", "TMPDIR" };
	const char *dirs[] = { getenv(vars[0]), getenv(vars[1]), "/var/tmp",
	    "/usr/tmp", "/tmp" };
	struct stat st;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
		if (dirs[i] && stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode) &&
		    access(dirs[i], W_OK | X_OK) == 0) {
			*var = i < 2 ? vars[i] : NULL;
			return dirs[i];
		}
	*var = NULL;
	return ".";
}

/* A full disk where nothing of the ledger is being written is SQLite's
 * temporary files' (a reader's sort): ": ..." naming their directory,
 * else "". */
static const char *
full_where(struct ledger *l, int rc, char *buf, size_t size)
{
	const char *var, *dir;

	if ((rc & 0xff) != SQLITE_FULL || sqlite3_txn_state(l->db, "main") == SQLITE_TXN_WRITE)
		return "";
	/* the variable in force, which moves them; none: SQLite's default */
	dir = sqlite_tmpdir(&var);
	snprintf(buf, size, ": no room for its temporary files in '%s' (%s)", dir,
	    var ? var : "SQLite's default: TMPDIR names another");
	return buf;
}

int
ledger_fail(struct ledger *l, const char *what)
{
	char *file, where[4200];

	l->rc = sqlite3_extended_errcode(l->db);
	if ((l->rc & 0xff) == SQLITE_READONLY && stale_wal(l->path, &file)) {
		loy_error("ledger '%s': %s: '%s' may not be written by this user (a run "
		    "without write access to the ledger left it): give it and its -wal or "
		    "-shm twin the ledger's owner and mode (chown, chmod); never remove a "
		    "-wal file, it may hold committed runs", l->path, what, file);
		free(file);
		return -1;
	}
	return loy_error("ledger '%s': %s: %s%s", l->path, what, sqlite3_errmsg(l->db),
	    full_where(l, l->rc, where, sizeof(where)));
}

int
ledger_fail_rc(struct ledger *l, const char *what, int rc)
{
	char where[4200];

	if ((sqlite3_extended_errcode(l->db) & 0xff) == (rc & 0xff))
		return ledger_fail(l, what);
	l->rc = rc;
	return loy_error("ledger '%s': %s: %s%s", l->path, what, sqlite3_errstr(rc),
	    full_where(l, rc, where, sizeof(where)));
}

int
ledger_status(const struct ledger *l)
{
	switch (l->rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return LOY_EX_BUSY;
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return LOY_EX_IOERR;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return LOY_EX_NOINPUT;
	case SQLITE_CONSTRAINT:
		return LOY_EX_DATAERR;
	case SQLITE_NOMEM:
		return LOY_EX_NOMEM;
	}
	return LOY_EX_SOFTWARE;
}

int
ledger_status_or(const struct ledger *l, int dflt)
{
	return l->rc ? ledger_status(l) : dflt;
}

int
ledger_exec(struct ledger *l, const char *sql)
{
	if (sqlite3_exec(l->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot run statement");
	return 0;
}

const char ledger_run_arg[] = "?run";

int
ledger_exec_args(struct ledger *l, const char *sql, const char *what, int *changes, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	const char *s;
	int i = 1, rc;

	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot prepare statement");
	va_start(ap, changes);
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (s == ledger_run_arg)
			sqlite3_bind_int64(st, i++, l->run_id);
		else
			sqlite3_bind_text(st, i++, s, -1, SQLITE_TRANSIENT);
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return ledger_fail(l, what);
	if (changes)
		*changes = sqlite3_changes(l->db);
	return 0;
}

sqlite3_stmt *
ledger_prepare(struct ledger *l, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
		ledger_fail(l, "cannot prepare statement");
		return NULL;
	}
	return st;
}

sqlite3_stmt *
ledger_stmt(struct ledger *l, enum ledger_stmt_id id, const char *sql)
{
	sqlite3_stmt *st = l->stmt[id];

	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	if (sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		ledger_fail(l, "cannot prepare statement");
		return NULL;
	}
	return l->stmt[id] = st;
}

sqlite3_stmt *
ledger_stmt_rebind(struct ledger *l, enum ledger_stmt_id id, const char *sql)
{
	if (l->stmt[id]) {
		sqlite3_reset(l->stmt[id]);
		return l->stmt[id];
	}
	return ledger_stmt(l, id, sql);
}

sqlite3_stmt *
ledger_stmt_rows(struct ledger *l, enum ledger_stmt_id first, const char *head,
    const char *row, int n)
{
	enum ledger_stmt_id id = first + n - 1;
	sqlite3_stmt *st;
	char *sql, *w;

	if (l->stmt[id])
		return ledger_stmt_rebind(l, id, NULL);
	w = sql = loy_xmalloc(strlen(head) + (size_t)n * (strlen(row) + 2) + 1);
	w = stpcpy(w, head);
	for (int i = 0; i < n; i++)
		w = stpcpy(stpcpy(w, i ? ", " : ""), row);
	st = ledger_stmt(l, id, sql);
	free(sql);
	return st;
}

int
ledger_exec_stmt(struct ledger *l, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return ledger_fail(l, what);
	}
	sqlite3_reset(st);
	return 0;
}

int
ledger_step_one(struct ledger *l, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	return ledger_fail(l, what);
}

int
ledger_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

int
ledger_bind_static(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

char *
ledger_column_dup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? loy_xstrdup(s) : NULL;
}

int
ledger_column_strings(struct ledger *l, sqlite3_stmt *st, const char *what, char ***out)
{
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = loy_xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[n++] = ledger_column_dup(st, 0);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return (int)n;
	while (n > 0)
		free((*out)[--n]);
	free(*out);
	*out = NULL;
	return ledger_fail(l, what);
}

int
ledger_last_key(struct ledger *l, const char *sql, const char *what, char **id)
{
	sqlite3_stmt *st;
	int rc, text;

	*id = NULL;
	if (!(st = ledger_prepare(l, sql)))
		return -1;
	rc = sqlite3_step(st);
	/* plain text: a key with a NUL in it, or a number, is compared otherwise */
	text = rc == SQLITE_ROW && sqlite3_column_int(st, 1) &&
	    (size_t)sqlite3_column_bytes(st, 0) == strlen((const char *)sqlite3_column_text(st, 0));
	if (text)
		*id = ledger_column_dup(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return ledger_fail(l, what);
	return text ? 1 : 2;
}

int
ledger_visit(struct ledger *l, sqlite3_stmt *st, ledger_row_fn fn, void *ctx)
{
	int n = sqlite3_column_count(st), rc, stop = 0;
	const char **cols = loy_xmalloc(n * sizeof(*cols));
	const char **row = loy_xmalloc(n * sizeof(*row));

	for (int i = 0; i < n; i++)
		cols[i] = sqlite3_column_name(st, i);
	if (fn)
		stop = fn(ctx, n, cols, NULL);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			row[i] = (const char *)sqlite3_column_text(st, i);
		if (fn)
			stop = fn(ctx, n, cols, row);
	}
	free(cols);
	free(row);
	if (!stop && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return ledger_fail(l, "cannot read");
	}
	sqlite3_reset(st);
	return 0;
}

int
ledger_visit_sql(struct ledger *l, const char *sql, const char *const *params,
    ledger_row_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if (!(st = ledger_prepare(l, sql)))
		return -1;
	for (int i = 0; params && params[i]; i++)
		sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC);
	rc = ledger_visit(l, st, fn, ctx);
	sqlite3_finalize(st);
	return rc;
}

/* Commit the transaction, or say `what` failed: 0 or -1. */
static int
commit(struct ledger *l, const char *what)
{
	if (sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return ledger_fail(l, what);
	l->in_txn = 0;
	return 0;
}

static int
pragma_int(struct ledger *l, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot read");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return ledger_fail(l, "cannot read");
	return 0;
}

/* PRAGMA data_version: changes when another connection commits. */
static int
data_version(struct ledger *l, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(l->db, "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot read the ledger's data version");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return ledger_fail(l, "cannot read the ledger's data version");
	return 0;
}

/* The settings and programme versions read, forgotten: read again as a run
 * begins (settings_current), or with the ledger closed. */
static void
settings_free(struct ledger *l)
{
	for (int i = 0; i < l->nsettings; i++) {
		free(l->skey[i]);
		free(l->sval[i]);
	}
	free(l->skey);
	free(l->sval);
	l->skey = l->sval = NULL;
	l->nsettings = 0;
	programme_versions_free(l->pv, l->npv);
	l->pv = NULL;
	l->npv = l->pv_read = 0;
	l->pv_gen++;
}

static int
load_settings(struct ledger *l)
{
	sqlite3_stmt *st;
	int rc;

	if (data_version(l, &l->data_version) < 0)
		return -1;

	if (sqlite3_prepare_v2(l->db, "SELECT key, value FROM settings ORDER BY key",
	    -1, &st, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot read settings");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		l->skey = loy_xrealloc(l->skey, (l->nsettings + 1) * sizeof(char *));
		l->sval = loy_xrealloc(l->sval, (l->nsettings + 1) * sizeof(char *));
		l->skey[l->nsettings] = loy_xstrdup((const char *)sqlite3_column_text(st, 0));
		l->sval[l->nsettings] = loy_xstrdup((const char *)sqlite3_column_text(st, 1));
		l->nsettings++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ledger_fail(l, "cannot read settings");
	l->decimals = atoi(ledger_setting(l, "decimals") ? ledger_setting(l, "decimals") : "2");
	if (ledger_setting(l, "timezone")) {
		setenv("TZ", ledger_setting(l, "timezone"), 1);
		tzset();
	}
	return 0;
}

const char *
ledger_setting(struct ledger *l, const char *key)
{
	for (int i = 0; i < l->nsettings; i++)
		if (strcmp(l->skey[i], key) == 0)
			return l->sval[i];
	/* a setting newer than the ledger: its default */
	for (const struct ledger_setting *s = ledger_defaults; s->key; s++)
		if (strcmp(s->key, key) == 0)
			return s->value;
	return NULL;
}

struct pattern *
ledger_pattern(struct ledger *l, const char *key)
{
	const char *re = ledger_setting(l, key);
	struct pattern *p;
	char err[256];

	if (!re)
		re = ".*";
	if (!(p = pattern_compile(re, err, sizeof(err))))
		loy_error("ledger setting %s '%s': %s", key, re, err);
	return p;
}

int
ledger_lowest_tier(struct ledger *l, char **tier)
{
	const char *tiers, *e;
	char now[20], *t;

	*tier = NULL;
	when_now(now);
	if (programme_setting_at(l, "tiers", now, &tiers) < 0)
		return -1;
	if (!tiers)
		return 0;
	/* the first name, without the spaces and tabs around it, as the
	 * programme reads the tiers ("Basic , Gold" names 'Basic') */
	tiers += strspn(tiers, " \t");
	e = tiers + strcspn(tiers, ",");
	while (e > tiers && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if (e == tiers)
		return 0;
	t = loy_xmalloc((size_t)(e - tiers) + 1);
	memcpy(t, tiers, (size_t)(e - tiers));
	t[e - tiers] = '\0';
	*tier = t;
	return 0;
}

int
ledger_decimals(struct ledger *l)
{
	return l->decimals;
}

const char *
ledger_path(const struct ledger *l)
{
	return l->path;
}

/* Adds the column to the table unless it has it (names of ours, not
 * input: they are written into the statement). */
static int
add_column(struct ledger *l, const char *table, const char *column, const char *type)
{
	sqlite3_stmt *st = ledger_prepare(l, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2");
	char sql[256];
	int got;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	got = ledger_step_one(l, st, "cannot read the schema");
	sqlite3_finalize(st);
	if (got != 0)
		return got;
	snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", table, column, type);
	return sqlite3_exec(l->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;	/* said by migrate */
}

/* Bring the schema up to LEDGER_SCHEMA_VERSION in one transaction. */
static int
migrate(struct ledger *l, int *status)
{
	int version, said, appid, schema;

	if (pragma_int(l, "PRAGMA application_id", &appid) < 0 ||
	    pragma_int(l, "PRAGMA user_version", &version) < 0) {
		*status = ledger_status(l);
		return -1;
	}
	if (appid != LEDGER_APP_ID) {
		*status = LOY_EX_NOINPUT;
		return loy_error("'%s' is an SQLite database but not a loy ledger", l->path);
	}
	if (version > LEDGER_SCHEMA_VERSION) {
		*status = LOY_EX_NOINPUT;
		return loy_error("ledger '%s' has schema version %d, newer than this loy "
		    "(%s) knows (%d): upgrade loy", l->path, version, LOY_VERSION,
		    LEDGER_SCHEMA_VERSION);
	}
	if (version < 0) {
		*status = LOY_EX_NOINPUT;
		return loy_error("ledger '%s' has schema version %d, which no loy ledger has: "
		    "its version was changed by hand; restore it from a copy", l->path, version);
	}
	if (version == LEDGER_SCHEMA_VERSION)
		return 0;
	if (sqlite3_db_readonly(l->db, "main") == 1) {
		l->rc = SQLITE_READONLY;
		*status = LOY_EX_IOERR;
		return loy_error("ledger '%s' has schema version %d, older than this loy "
		    "(%s) knows (%d), and is read-only, so it cannot be brought up to "
		    "date: run loy-check on it once with write access, or on a copy",
		    l->path, version, LOY_VERSION, LEDGER_SCHEMA_VERSION);
	}
	if (ledger_begin(l) < 0) {
		*status = ledger_status(l);
		return -1;
	}
	/* another process may have migrated it while we waited */
	if (pragma_int(l, "PRAGMA user_version", &version) < 0)
		goto fail;
	said = version;
	for (; version < NMIGRATIONS; version++) {
		char sql[64];

		for (size_t i = 0; i < sizeof(added_columns) / sizeof(added_columns[0]); i++)
			if (added_columns[i].version == version &&
			    add_column(l, added_columns[i].table, added_columns[i].column,
			    added_columns[i].type) < 0)
				goto mismatch;
		if (sqlite3_exec(l->db, migrations[version], NULL, NULL, NULL) != SQLITE_OK)
			goto mismatch;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if (ledger_exec(l, sql) < 0)
			goto fail;
	}
	/* a migration that rewrote a table's text in sqlite_schema must make
	 * other connections read the schema again; for the others the extra
	 * step is harmless */
	if (pragma_int(l, "PRAGMA schema_version", &schema) < 0)
		goto fail;
	{
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA schema_version = %d", schema + 1);
		if (ledger_exec(l, sql) < 0)
			goto fail;
	}
	if (commit(l, "cannot commit the ledger's migration to this version") < 0)
		goto fail;
	return 0;
mismatch:
	/* a statement of the migration that the schema refuses (a table made
	 * twice, a column added twice): the version was lowered by hand */
	if (l->rc)
		goto fail;	/* said */
	if ((sqlite3_extended_errcode(l->db) & 0xff) != SQLITE_ERROR) {
		ledger_fail(l, "cannot bring the ledger up to date");
		goto fail;
	}
	loy_error("ledger '%s' says it has schema version %d, but its tables are not "
	    "those of that version (%s): its version was changed by hand; restore it "
	    "from a copy", l->path, said, sqlite3_errmsg(l->db));
	l->rc = SQLITE_CORRUPT;
fail:
	*status = ledger_status(l);
	ledger_rollback(l);
	return -1;
}

static int memstatus_off;

static int
ticker(void *unused)
{
	(void)unused;
	loy_progress_working();
	return 0;	/* go on */
}

static struct ledger *
connect(const char *path, int busy_timeout_s, int *status)
{
	struct ledger *l = calloc(1, sizeof(*l));

	if (!l)
		loy_die(71, "out of memory");
	l->path = loy_xstrdup(path);
	/* loy reads no memory statistics: without them SQLite takes no lock
	 * to count each allocation (set before SQLite starts, once) */
	if (!memstatus_off++)
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	faults_install();	/* test builds only (-DLOY_FAULTS) */
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		ledger_fail(l, "cannot open");
		*status = ledger_status(l);
		ledger_close(l);
		return NULL;
	}
	sqlite3_extended_result_codes(l->db, 1);
	l->busy_ms = busy_timeout_s * 1000;
	sqlite3_busy_timeout(l->db, l->busy_ms);
	/* a long query (a report, a check, the settling of a large import)
	 * shows a terminal it is working */
	sqlite3_progress_handler(l->db, 1000000, ticker, NULL);
	return l;
}

struct ledger *
ledger_open(const char *path, int busy_timeout_s, int *status)
{
	struct ledger *l;
	struct stat st;

	if (stat(path, &st) != 0) {
		int e = errno;

		*status = LOY_EX_NOINPUT;
		/* loy-init makes a ledger only where nothing is, and only where
		 * it may: its advice is given where it would work */
		if (e != ENOENT)
			loy_error("cannot open ledger '%s': %s", path, strerror(e));
		else if (lstat(path, &st) == 0) {
			char to[4096];
			ssize_t n = readlink(path, to, sizeof(to) - 1);

			to[n > 0 ? n : 0] = '\0';
			loy_error("no ledger at '%s': it is a symbolic link to '%s', which "
			    "does not exist", path, to);
		} else
			loy_error("no ledger at '%s' (create one with: loy-init -d '%s')",
			    path, path);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		*status = LOY_EX_NOINPUT;
		loy_error("'%s' is a directory, not a ledger", path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {	/* a FIFO, a device: SQLite would say "I/O error" */
		*status = LOY_EX_NOINPUT;
		loy_error("'%s' is not a regular file, not a ledger", path);
		return NULL;
	}
	if (!(l = connect(path, busy_timeout_s, status)))
		return NULL;
	if (unreadable_wal(path)) {
		ledger_close(l);
		*status = LOY_EX_IOERR;
		return NULL;
	}
	/*
	 * synchronous=FULL costs one sync per run: a committed run stays
	 * committed.  A sort larger than the cache (an index made at the end
	 * of a large first enrolment, a report's GROUP BY) goes to temporary
	 * files, SQLite's default, so memory stays flat however large the
	 * run.  What is deleted or overwritten is overwritten in the file
	 * too (secure_delete, Debian's default, not every build's): what
	 * loy-enroll forget erases is gone, not left in a free page.
	 */
	if (ledger_exec(l, "PRAGMA synchronous = FULL; PRAGMA cache_size = -16384;"
	    "PRAGMA secure_delete = ON; PRAGMA temp_store = FILE") < 0 || migrate(l, status) < 0 ||
	    load_settings(l) < 0) {
		if (!*status)
			*status = ledger_status(l);
		ledger_close(l);
		return NULL;
	}
	faults_pause_opened();	/* test builds only (-DLOY_FAULTS) */
	return l;
}

/* Why a setting is refused, in why (n bytes); returns -1. */
static int __attribute__((format(printf, 3, 4)))
setting_why(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Whether zone names a time zone: a file of the zoneinfo directory in the
 * TZif format, not a directory of zones ("Europe") or one of the tables
 * beside them ("zone.tab"), which the C library would take for UTC
 * without a word.  A stored value is held to what was checked when it
 * was stored: a readable name there.
 */
static int
zone_known(const char *zone, int stored)
{
	char zf[512], magic[4];
	struct stat st;
	int fd, ok;

	if (strcmp(zone, "UTC") == 0)
		return 1;
	if (strstr(zone, "..") || (size_t)snprintf(zf, sizeof(zf), "/usr/share/zoneinfo/%s",
	    zone) >= sizeof(zf) || access(zf, R_OK) != 0)
		return 0;
	if (stored)
		return 1;
	if ((fd = open(zf, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "TZif", sizeof(magic)) == 0;
	close(fd);
	return ok;
}

static int setting_valid(const char *key, const char *value, int stored, char *reason,
    unsigned long size);

int
ledger_setting_valid(const char *key, const char *value, char *reason, unsigned long size)
{
	return setting_valid(key, value, 0, reason, size);
}

int
ledger_setting_stored_valid(const char *key, const char *value, char *reason,
    unsigned long size)
{
	return setting_valid(key, value, 1, reason, size);
}

static int
setting_valid(const char *key, const char *value, int stored, char *reason, unsigned long size)
{
	const struct ledger_setting *s;

	for (s = ledger_defaults; s->key; s++)
		if (strcmp(s->key, key) == 0)
			break;
	if (!s->key)
		return setting_why(reason, size, "unknown setting '%s'", key);
	if (strcmp(key, "decimals") == 0 && strcmp(value, "0") && strcmp(value, "2") &&
	    strcmp(value, "3"))
		return setting_why(reason, size, "decimals '%s' must be 0, 2 or 3", value);
	if (strcmp(key, "allow_negative") == 0 && strcmp(value, "yes") && strcmp(value, "no"))
		return setting_why(reason, size, "allow_negative '%s' must be yes or no", value);
	if (strcmp(key, "transfers") == 0 && strcmp(value, "yes") && strcmp(value, "no"))
		return setting_why(reason, size, "transfers '%s' must be yes or no", value);
	if (strcmp(key, "expiry_policy") == 0 && strcmp(value, "months") &&
	    strcmp(value, "year-end") && strcmp(value, "rolling") && strcmp(value, "never"))
		return setting_why(reason, size, "expiry_policy '%s' must be months, year-end, "
		    "rolling or never", value);
	if (strcmp(key, "expiry_years") == 0 && (!*value || strlen(value) > 3 ||
	    strspn(value, "0123456789") != strlen(value) || atoi(value) > 100))
		return setting_why(reason, size, "expiry_years '%s' must be a whole number from 0 "
		    "to 100", value);
	if (strcmp(key, "timezone") == 0 && !zone_known(value, stored))
		return setting_why(reason, size, "timezone '%s' is not a known time zone", value);
	/* a new value's leading zeros count for nothing (0001201 is 1201); a
	 * stored one is read as it was checked when it was stored */
	if (strcmp(key, "expiry_months") == 0 && (stored ? strlen(value) <= 6 :
	    strspn(value, "0123456789") == strlen(value) &&
	    strlen(value + strspn(value, "0")) <= 6) && atoi(value) > 1200)
		return setting_why(reason, size, "expiry_months '%s' is more than 100 years", value);
	if (strcmp(key, "expiry_months") == 0 || strcmp(key, "earn_points") == 0 ||
	    strcmp(key, "return_window_days") == 0 || strcmp(key, "future_tolerance_hours") == 0) {
		if (!*value || strspn(value, "0123456789") != strlen(value))
			return setting_why(reason, size, "%s '%s' must be a whole number", key, value);
		if (strlen(value + strspn(value, "0")) > 6)
			return setting_why(reason, size, "%s '%s' is more than 999999", key, value);
	}
	{
		/* loy-segment's whole-number settings and their ranges */
		static const struct { const char *key; long lo, hi; } whole[] = {
			{ "segment_months", 1, 120 }, { "value_tenure_months", 0, 1200 },
			{ "value_visits", 1, 1000000 }, { "lapse_min_purchases", 2, 1000 },
			{ "lifecycle_new_days", 0, 3660 }, { "lifecycle_active_days", 1, 3660 },
			{ "lifecycle_lapsed_days", 1, 3660 },
		};

		for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
			if (strcmp(key, whole[i].key) == 0 &&
			    !(strcmp(key, "value_visits") == 0 && strcmp(value, "median") == 0) &&
			    (!*value || strlen(value) > 7 || strspn(value, "0123456789") != strlen(value) ||
			    atol(value) < whole[i].lo || atol(value) > whole[i].hi))
				return setting_why(reason, size, "%s '%s' must be a whole number from %ld "
				    "to %ld%s", key, value, whole[i].lo, whole[i].hi,
				    strcmp(key, "value_visits") == 0 ? ", or median" : "");
	}
	if (strcmp(key, "lapse_k") == 0 || (strcmp(key, "value_spend") == 0 &&
	    strcmp(value, "median") != 0)) {
		int64_t mant;
		int scale;
		const char *why;

		if (decimal_parse(value, &mant, &scale, &why) < 0)
			return setting_why(reason, size, "%s '%s' %s", key, value, why);
		if (mant <= 0 || scale > 6)
			return setting_why(reason, size, "%s '%s' must be more than zero%s", key, value,
			    scale > 6 ? ", with at most 6 decimals" : "");
	}
	if (strcmp(key, "point_value") == 0 || strcmp(key, "earn_amount") == 0) {
		int64_t mant;
		int scale;
		const char *why;

		if (decimal_parse(value, &mant, &scale, &why) < 0)
			return setting_why(reason, size, "%s '%s' %s", key, value, why);
		if (mant <= 0)
			return setting_why(reason, size, "%s '%s' must be more than zero", key, value);
	}
	/* a new value is held to what the manual says; a stored one to what
	 * was checked when it was stored */
	if (strcmp(key, "currency") == 0 && !stored &&
	    (strlen(value) != 3 || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3))
		return setting_why(reason, size, "currency '%s' must be an ISO 4217 code: three "
		    "capital letters, such as EUR", value);
	if (strcmp(key, "identify_by") == 0) {
		/* the columns, split at commas and spaces as loy-accrue and
		 * loy-enroll read them; a new value names each once, with no item
		 * between two commas left out ("card,", "card,,phone") */
		static const char *const cols[] = { "member_id", "card", "phone", "email" };
		char *copy = loy_xstrdup(value), *tok, *save = NULL;
		int n = 0, bad = 0, again = 0;
		unsigned named = 0;

		for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save), n++) {
			int c = 0;

			while (c < 4 && strcmp(cols[c], tok) != 0)
				c++;
			bad |= c == 4;
			again |= c < 4 && (named & 1u << c);
			named |= c < 4 ? 1u << c : 0;
		}
		free(copy);
		if (!stored && !bad) {
			const char *p = value + strspn(value, " ");

			for (bad = !*p || *p == ','; *p; p++)
				if (*p == ',') {
					const char *q = p + 1 + strspn(p + 1, " ");

					bad |= !*q || *q == ',';
				}
		}
		if (bad || n == 0 || (again && !stored))
			return setting_why(reason, size, "identify_by '%s' must list member_id, card, phone "
			    "or email, each once", value);
	}
	/* a country calling code, 1 to 3 digits; not one of the codes whose
	 * numbers keep their leading 0 after it (Italy +39 06..., San Marino
	 * +378 0549..., the Vatican +379), where the national form's 0 is no
	 * trunk prefix that the international form drops */
	if (strcmp(key, "phone_country") == 0 && strcmp(value, "none") != 0) {
		if (!*value || strlen(value) > 3 || strspn(value, "0123456789") != strlen(value) ||
		    *value == '0')
			return setting_why(reason, size, "phone_country '%s' must be a country "
			    "calling code without the +, 1 to 3 digits such as 44, or none", value);
		if (strcmp(value, "39") == 0 || strcmp(value, "378") == 0 ||
		    strcmp(value, "379") == 0)
			return setting_why(reason, size, "phone_country '%s' cannot be used: that "
			    "country's numbers keep their leading 0 after +%s", value, value);
	}
	if (strstr(key, "_pattern")) {
		char err[256];
		struct pattern *p = pattern_compile(value, err, sizeof(err));

		if (!p)
			return setting_why(reason, size, "%s '%s': %s", key, value, err);
		pattern_free(p);
	}
	return 0;
}

/* A --set of loy-init: an unknown key says where the known ones are listed,
 * as the programme file's [programme] does. */
static int
valid_setting(const char *key, const char *value)
{
	const struct ledger_setting *s;
	char why[512];

	for (s = ledger_defaults; s->key; s++)
		if (strcmp(s->key, key) == 0)
			break;
	if (!s->key)
		return loy_error("unknown setting '%s' (loy-init --settings lists them)", key);
	if (ledger_setting_valid(key, value, why, sizeof(why)) < 0)
		return loy_error("%s", why);
	return 0;
}

/*
 * The files of a ledger being made under the temporary name tmp: added to
 * those a signal removes, or removed and forgotten.
 */
static void
new_ledger_files(const char *tmp, int add)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };

	for (int i = 0; i < 4; i++) {
		char *f = beside(tmp, sfx[i]);

		if (add) {
			tmpfiles_add(f);
		} else {
			unlink(f);
			tmpfiles_forget(f);
		}
		free(f);
	}
}

int
ledger_create(const char *path, char *const *set, int nset, const char *args)
{
	struct ledger *l;
	sqlite3_stmt *st;
	int fd, status = 0;
	char sql[64], *tmp;

	for (int i = 0; i < nset; i++) {
		char *eq = strchr(set[i], '=');

		if (!eq) {
			loy_error("--set '%s' is not KEY=VALUE", set[i]);
			return LOY_EX_USAGE;
		}
		*eq = '\0';
		if (valid_setting(set[i], eq + 1) < 0) {
			*eq = '=';
			return LOY_EX_USAGE;
		}
		*eq = '=';
	}
	if (programme_check_set(set, nset) < 0)
		return LOY_EX_USAGE;
	if (access(path, F_OK) == 0) {
		loy_error("'%s' already exists; not overwriting it", path);
		return EX_CANTCREAT;
	}
	/* Made whole under a temporary name (mode 0600, from mkstemp) and
	 * linked into place: a crash leaves no half-made ledger at `path`. */
	tmp = loy_xmalloc(strlen(path) + 16);
	sprintf(tmp, "%s.new-XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		loy_error("cannot create '%s': %s", path, strerror(errno));
		free(tmp);
		return errno == ENOENT || errno == EACCES || errno == EROFS ?
		    EX_CANTCREAT : LOY_EX_IOERR;
	}
	close(fd);
	new_ledger_files(tmp, 1);
	if (!(l = connect(tmp, 60, &status)))
		goto fail;
	free(l->path);
	l->path = loy_xstrdup(path);
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", LEDGER_APP_ID);
	/*
	 * 16 KiB pages, set before the first table makes the file: a large
	 * import changes fewer of them (a first enrolment of 1,000,000 members
	 * and a night's POS import each take some 6-10 % less CPU than with
	 * SQLite's 4 KiB).  A ledger keeps the page size it was made with.
	 */
	if (ledger_exec(l, "PRAGMA page_size = 16384") < 0 ||
	    ledger_exec(l, "PRAGMA journal_mode = WAL") < 0 || ledger_exec(l, sql) < 0)
		goto fail;
	if (migrate(l, &status) < 0 || ledger_begin(l) < 0)
		goto fail;
	if (sqlite3_prepare_v2(l->db, "INSERT INTO settings(key, value) VALUES (?1, ?2) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value", -1, &st, NULL) != SQLITE_OK) {
		ledger_fail(l, "cannot prepare statement");
		goto fail;
	}
	for (const struct ledger_setting *s = ledger_defaults; s->key; s++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, s->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, s->value, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail_st;
	}
	for (int i = 0; i < nset; i++) {
		char *eq = strchr(set[i], '=');

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, set[i], eq - set[i], SQLITE_STATIC);
		sqlite3_bind_text(st, 2, eq + 1, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail_st;
	}
	sqlite3_finalize(st);
	if (load_settings(l) < 0 || ledger_run_begin(l, "loy-init", args) < 0 ||
	    ledger_programme_init(l, set, nset) < 0 ||
	    ledger_run_end(l, 0, 0, 0, 0, "created") < 0 || ledger_commit(l) < 0)
		goto fail;
	ledger_close(l);	/* the last connection: the WAL is folded in */
	l = NULL;
	if (link(tmp, path) != 0) {
		status = errno == EEXIST ? EX_CANTCREAT : LOY_EX_IOERR;
		if (errno == EEXIST)
			loy_error("'%s' already exists; not overwriting it", path);
		else
			loy_error("cannot create '%s': %s", path, strerror(errno));
		goto fail;
	}
	new_ledger_files(tmp, 0);
	free(tmp);
	/* the new name on the disk too, as a rejects file's: a power cut
	 * just after "created" must not take the ledger away again */
	if (tmpfiles_sync_dir(path) < 0) {
		loy_error("created '%s', but cannot sync its directory: %s", path,
		    strerror(errno));
		return LOY_EX_IOERR;
	}
	return 0;
fail_st:
	ledger_fail(l, "cannot store settings");
	sqlite3_finalize(st);
fail:
	if (!status)
		status = l ? ledger_status(l) : LOY_EX_IOERR;
	ledger_close(l);
	new_ledger_files(tmp, 0);
	free(tmp);
	return status;
}

void
ledger_close(struct ledger *l)
{
	if (!l)
		return;
	if (l->in_txn)
		ledger_rollback(l);
	for (int i = 0; i < S_STMT_MAX; i++)
		sqlite3_finalize(l->stmt[i]);
	settings_free(l);
	sqlite3_close(l->db);
	free(l->path);
	free(l);
}

int
ledger_begin(struct ledger *l)
{
	int rc;

	if (sqlite3_db_readonly(l->db, "main") == 1) {
		l->rc = SQLITE_READONLY;
		return loy_error("ledger '%s' is read-only", l->path);
	}
	rc = sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		l->rc = sqlite3_extended_errcode(l->db);
		if ((l->rc & 0xff) == SQLITE_BUSY)
			return loy_error("ledger '%s' is busy: another writer held it past "
			    "the wait (--busy-timeout)", l->path);
		return ledger_fail(l, "cannot start a transaction");
	}
	l->in_txn = 1;
	return 0;
}

/* The settings and programme versions as the ledger holds them, in a
 * run's transaction: read again when another writer committed since they
 * were read (PRAGMA data_version), as one may have while the run waited
 * for the ledger.  0 or -1. */
static int
settings_current(struct ledger *l)
{
	int64_t v;

	if (data_version(l, &v) < 0)
		return -1;
	if (v == l->data_version)
		return 0;
	settings_free(l);
	return load_settings(l);
}

int
ledger_begin_read(struct ledger *l)
{
	if (l->in_txn)		/* the snapshot the reader took first */
		return 0;
	if (ledger_exec(l, "BEGIN") < 0)
		return -1;
	l->in_txn = 1;
	/* the snapshot is the ledger as it is at the transaction's first
	 * read, this one; the settings and programme versions are then read
	 * again if another program committed since they were read (a
	 * loy-program load between the open and now): the reader's figures
	 * and the settings it prints them by are of one moment */
	if (ledger_exec(l, "SELECT 1 FROM settings LIMIT 1") < 0 || settings_current(l) < 0) {
		ledger_rollback(l);
		return -1;
	}
	return 0;
}

int
ledger_commit(struct ledger *l)
{
	return commit(l, "cannot commit the run");
}

/* Milliseconds on the monotonic clock. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ledger_fold_wal(struct ledger *l)
{
	/* tried again every 20 ms up to the busy timeout, not waited for by
	 * SQLite's busy handler, which holds the writer's lock all the while
	 * it waits for a reader: another writer would wait for a run already
	 * committed, and give up with status 75 */
	const struct timespec pause = { 0, 20 * 1000000L };
	int64_t until = now_ms() + l->busy_ms;
	int rc;

	sqlite3_busy_timeout(l->db, 0);
	while (((rc = sqlite3_wal_checkpoint_v2(l->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
	    NULL)) & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		if (now_ms() >= until)
			break;
		nanosleep(&pause, NULL);
	}
	sqlite3_busy_timeout(l->db, l->busy_ms);
	if (rc == SQLITE_OK)
		return 0;
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return 1;
	return ledger_fail_rc(l, "the run is committed, but its WAL cannot be copied into "
	    "the ledger", rc);
}

void
ledger_rollback(struct ledger *l)
{
	for (int i = 0; i < S_STMT_MAX; i++)
		if (l->stmt[i])
			sqlite3_reset(l->stmt[i]);
	if (l->in_txn)
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	l->in_txn = 0;
	/* the temporary tables made in the transaction went with it (a run
	 * taken again makes them anew): so go the statements that say they
	 * are made (ledger_seen_add, ledger_part_seen) */
	for (int i = 0; i < 2; i++) {
		enum ledger_stmt_id id = i ? S_PART_SEEN : S_SEEN_ADD;

		sqlite3_finalize(l->stmt[id]);
		l->stmt[id] = NULL;
	}
}

sqlite3_stmt *
ledger_person_stmt(struct ledger *l, const char *member, enum ledger_stmt_id one,
    enum ledger_stmt_id all, const char *sql_one, const char *sql_all)
{
	sqlite3_stmt *st = ledger_stmt(l, S_MEMBER_HAS_MERGED,
	    "SELECT 1 FROM members WHERE merged_into = ?1 LIMIT 1");
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		ledger_fail(l, "cannot read merges");
		return NULL;
	}
	return rc == SQLITE_ROW ? ledger_stmt(l, all, sql_all) : ledger_stmt(l, one, sql_one);
}

int
ledger_run_begin(struct ledger *l, const char *program, const char *args)
{
	sqlite3_stmt *st = ledger_stmt(l, S_RUN_BEGIN,
	    "INSERT INTO runs(program, args, started_at, operator) VALUES (?1, ?2, ?3, ?4)");
	char now[20], who[64];

	/* the run goes by the programme as the ledger holds it now that the
	 * run holds the ledger, not as it was when the program started */
	if (!st || settings_current(l) < 0)
		return -1;
	/* the clock read now that the run holds the ledger, in the time zone
	 * it holds: a run that waited for another writer goes by the time it
	 * writes at, not the time it began to wait */
	faults_run_begun();	/* test builds only (-DLOY_FAULTS) */
	when_now(now);
	memcpy(l->run_now, now, sizeof(l->run_now));
	sqlite3_bind_text(st, 1, program, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, args, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, loy_operator(who, sizeof(who)), -1, SQLITE_TRANSIENT);
	if (ledger_exec_stmt(l, st, "cannot record the run") < 0)
		return -1;
	l->run_id = sqlite3_last_insert_rowid(l->db);
	l->changes_at_run = sqlite3_total_changes64(l->db);
	l->own_changes = 0;
	return 0;
}

int
ledger_run_wrote(const struct ledger *l)
{
	return sqlite3_total_changes64(l->db) - l->changes_at_run - l->own_changes > 0;
}

const char *
ledger_run_now(const struct ledger *l)
{
	return l->run_now;
}

int64_t
ledger_run_id(const struct ledger *l)
{
	return l->run_id;
}

int
ledger_run_input(struct ledger *l, int seq, const char *name, const char *sha256,
    uint64_t bytes, long rows)
{
	sqlite3_stmt *st = ledger_stmt(l, S_RUN_INPUT,
	    "INSERT INTO run_inputs(run_id, seq, name, sha256, bytes, rows) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, l->run_id);
	sqlite3_bind_int(st, 2, seq);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)bytes);
	sqlite3_bind_int64(st, 6, rows);
	if (ledger_exec_stmt(l, st, "cannot record the run's input") < 0)
		return -1;
	l->own_changes += sqlite3_changes64(l->db);
	return 0;
}

int
ledger_run_end(struct ledger *l, long read, long changed, long unchanged, long rejected,
    const char *summary)
{
	sqlite3_stmt *st = ledger_stmt(l, S_RUN_END,
	    "UPDATE runs SET ended_at = ?2, rows_read = ?3, rows_changed = ?4, "
	    "rows_unchanged = ?5, rows_rejected = ?6, summary = ?7 WHERE run_id = ?1");
	char now[20];

	if (!st)
		return -1;
	when_now(now);
	sqlite3_bind_int64(st, 1, l->run_id);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, read);
	sqlite3_bind_int64(st, 4, changed);
	sqlite3_bind_int64(st, 5, unchanged);
	sqlite3_bind_int64(st, 6, rejected);
	ledger_bind_text(st, 7, summary);
	return ledger_exec_stmt(l, st, "cannot record the run");
}

int64_t
ledger_entry_add(struct ledger *l, const char *member, const char *kind, int64_t points,
    const char *occurred_at, const char *source, const char *ref, const char *reason)
{
	int64_t id = ledger_journal_add(l, member, kind, points, occurred_at, source, ref, reason);

	if (id < 0 || ledger_balance_add(l, member, points, id) < 0)
		return -1;
	return id;
}
