/* Internal to lib/ledger*.c: the ledger handle and its statement cache. */
#ifndef LOY_LEDGER_INT_H
#define LOY_LEDGER_INT_H

#include <sqlite3.h>

#include "ledger.h"

struct programme;

/* One slot per prepared statement, prepared once per run. */
enum ledger_stmt_id {
	S_RUN_BEGIN, S_RUN_INPUT, S_RUN_END,
	S_MEMBER_GET, S_MEMBER_MERGED, S_MEMBER_BY_CARD, S_MEMBER_BY_EMAIL,
	S_MEMBER_BY_PHONE, S_MEMBER_INSERT_NEW, S_MEMBER_UPDATE,
	S_MEMBER_EXISTS, S_MEMBER_STATE, S_MEMBER_REFERS_BACK, S_MEMBER_CHAIN_STEP, S_CARD_OWNER, S_CARD_ADD, S_CARD_ADD_NEW,
	S_ENTRY_ADD, S_BALANCE_ADD, S_JOURNAL_ADD, S_JOURNAL_MAX,
	/* INSERTs of 1 to N rows (ledger_stmt_rows): one slot each */
	S_JOURNAL_ROWS, S_JOURNAL_ROWS_LAST = S_JOURNAL_ROWS + LEDGER_JOURNAL_ROWS - 1,
	S_REDEMPTIONS_INSERT,
	S_REDEMPTIONS_INSERT_LAST = S_REDEMPTIONS_INSERT + LEDGER_REDEMPTION_ROWS - 1,
	S_LOT_MOVES, S_LOT_MOVES_LAST = S_LOT_MOVES + LEDGER_LOT_MOVE_ROWS - 1, S_JOURNAL_FIND, S_BALANCE_GET,
	S_LOT_ADD, S_LOTS_OPEN, S_LOT_TAKE, S_LOT_MOVE, S_RECEIPT_INSERT, S_RECEIPT_GET,
	S_RECEIPT_EXTEND, S_RECEIPT_RETURNED, S_RECEIPT_UNLINKED,
	S_RECEIPT_EXCHANGED, S_RECEIPT_RETURNS, S_RECEIPT_GIVE_BACK, S_RECEIPT_TOOK, S_RECEIPT_UNRECOVERED,
	S_EXPIRY_SUM, S_EXPIRY_MOVES, S_EXPIRY_LOTS, S_EXPIRY_OWED,
	S_REWARD_GET, S_REWARD_INSERT, S_REWARD_UPDATE, S_REWARD_STOCK, S_PARTNER_PUT,
	S_REDEMPTION_GET, S_REDEEMED_UNITS, S_SPENDABLE,
	S_LOTS_TO_SPEND,
	S_CODE_NEXT, S_CODE_ANY, S_CODE_TAKE, S_CODE_PUT, S_CODE_GET, S_TRANSFER_GET,
	S_TRANSFER_INSERT, S_LOTS_EXTEND, S_ENTRY_LOTS_EXTEND, S_LOTS_LATEST, S_LAST_ACTIVITY,
	S_SEGMENT_MEMBER_IN, S_SEGMENT_ADD, S_TIER_CHANGE,
	S_EARN_USES, S_EARN_MEMBER_POINTS, S_EARN_GIVEN, S_EARN_GIVEN_ADD, S_EARN_AWARD,
	S_EARN_AWARDED, S_EARN_PROGRESS, S_EARN_BOUGHT, S_EARN_SEGMENTS, S_EARN_SEGMENTS_ALL, S_SEGMENT_MEMBER_IN_ALL, S_EVENT_GET,
	S_EVENT_INSERT, S_EVENT_COUNT, S_EARN_FACTS, S_SEEN_ADD, S_EARN_OWN_POINTS,
	S_EARN_OWN_SHARE, S_MEMBER_HAS_MERGED, S_EARN_USES_ALL, S_EARN_MEMBER_POINTS_ALL,
	S_EARN_OWN_POINTS_ALL, S_EARN_AWARDED_ALL, S_EARN_BOUGHT_ALL, S_EVENT_COUNT_ALL,
	S_EARN_HELD, S_EARN_HELD_ALL, S_EARN_AWARDED_OWN, S_EARN_USES_BEFORE,
	S_EARN_USES_BEFORE_ALL, S_EARN_BOUGHT_BEFORE, S_EARN_BOUGHT_BEFORE_ALL,
	S_EARN_USES_KEPT, S_EARN_USES_KEPT_ALL, S_EARN_HELD_KEY, S_EARN_HELD_KEY_ALL,
	S_EARN_STANDING, S_EARN_STANDING_ALL, S_EARN_ON_RECEIPT, S_EARN_RETURNED_WHOLE, S_EARN_USES_BACK,
	S_PART_SEEN, S_OPENING_LOTS,
	S_STMT_MAX
};

/* A phone without the spaces, dashes, points, brackets and slashes that
 * write it out (+49 30 1234-56 is +4930123456), in plain SQL; `x` is a
 * column or a parameter.  The form of migrations 11 -> 12 and 12 -> 13;
 * LEDGER_PHONE_WRITTEN is the form phones are compared in from version 18. */
#define LEDGER_PHONE_KEY(x) \
	"replace(replace(replace(replace(replace(replace(" x ", ' ', ''), '-', ''), " \
	"'.', ''), '(', ''), ')', ''), '/', '')"

/* A phone as loy compares phones before its country (LEDGER_PHONE_KEY_IN):
 * as LEDGER_PHONE_KEY gives it, but that a 0 in brackets right after the
 * + or the 00 and the country calling code (1 to 3 digits), the trunk
 * prefix as Britons, Germans, the Swiss, Austrians and the Dutch write it,
 * goes: +44 (0)20 7946 0958 is +442079460958, as +44 20 7946 0958 is, and
 * 0049 (0)30 1234567 is 0049301234567.  The spaces, dashes, points and
 * slashes go first, so +44 ( 0 ) 20 is one too.  After 39, 378 and 379
 * (Italy, San Marino, the Vatican) the 0 is part of the number, dialled
 * from abroad too, and stays: +39 (0)6 is +3906. */
#define LEDGER_PHONE_WRITTEN(x) \
	"(SELECT replace(replace(CASE WHEN (t GLOB '+[0-9](0)*'" \
	" OR t GLOB '+[0-9][0-9](0)*' OR t GLOB '+[0-9][0-9][0-9](0)*'" \
	" OR t GLOB '00[0-9](0)*' OR t GLOB '00[0-9][0-9](0)*'" \
	" OR t GLOB '00[0-9][0-9][0-9](0)*')" \
	" AND NOT (t GLOB '+39(0)*' OR t GLOB '+378(0)*' OR t GLOB '+379(0)*'" \
	" OR t GLOB '0039(0)*' OR t GLOB '00378(0)*' OR t GLOB '00379(0)*')" \
	" THEN substr(t, 1, instr(t, '(0)') - 1) || substr(t, instr(t, '(0)') + 3)" \
	" ELSE t END, '(', ''), ')', '')" \
	" FROM (SELECT replace(replace(replace(replace(" x ", ' ', ''), '-', ''), " \
	"'.', ''), '/', '') AS t))"

/* The next step along a chain of referrers, in SQL, of the members row
 * whose columns are prefixed `m` ("m." or ""): a merged member's
 * survivor, else its referrer (NULL where the chain ends).  loy-enroll
 * follows it to refuse a referral loop, loy-check to find one. */
#define LEDGER_REFERRAL_STEP(m) \
	"CASE WHEN " m "status = 'merged' THEN " m "merged_into ELSE " m "referrer END"

/* The programme's phone_country, in SQL: a country calling code ("44"),
 * or 'none', also for a ledger whose settings do not have it. */
#define LEDGER_PHONE_COUNTRY \
	"coalesce((SELECT value FROM settings WHERE key = 'phone_country'), 'none')"

/* A phone as loy compares phones under the programme's phone_country `cc`
 * (an SQL expression, as LEDGER_PHONE_COUNTRY): with it 'none', the phone as
 * LEDGER_PHONE_WRITTEN gives it; with it set, a phone written from the country
 * in one of its forms becomes +CC and the national number: +44 7700 900123,
 * 0044 7700 900123, 07700 900123 and 7700 900123 are all +447700900123.
 * A phone that starts neither with + nor with a digit is left as
 * LEDGER_PHONE_WRITTEN gives it.  ledger_phone_key() works out the same in C;
 * loy-ledger(5) gives this text. */
#define LEDGER_PHONE_KEY_IN(x, cc) \
	"(SELECT CASE WHEN c = 'none' OR s NOT GLOB '[0-9]*' THEN s" \
	" WHEN s GLOB '00*' THEN '+' || substr(s, 3)" \
	" WHEN s GLOB '0*' THEN '+' || c || substr(s, 2)" \
	" ELSE '+' || c || s END" \
	" FROM (SELECT " LEDGER_PHONE_WRITTEN(x) " AS s, " cc " AS c))"

/* What the return lines of exchange R (a receipt's columns, prefix R: "o.",
 * or "") took off its original (its earn's "returned"), and the points they
 * took back (its [return], positive); 0 for a receipt that is no exchange. */
#define EXCHANGED(R) \
	"(CASE WHEN " R "orig_txn IS NOT NULL AND " R "amount >= 0 AND json_valid(" R "earn)" \
	" THEN coalesce(" R "earn->>'returned', 0) ELSE 0 END)"
#define EXCHANGED_POINTS(R) \
	"(CASE WHEN " R "orig_txn IS NOT NULL AND " R "amount >= 0 AND json_valid(" R "earn)" \
	" THEN -coalesce(" R "earn->'receipt'->>'$.\"[return]\"', 0) ELSE 0 END)"

/* The merged members, each with the member it now stands for, at the end of
 * its chain of merges (A merged into B, B into C: A and B stand for C): a
 * common table "merged(member_id, survivor)" for WITH RECURSIVE.
 * loy-segment counts a merged member's receipts for that survivor, and so
 * do the reports that count members; loy-ledger(5) gives this text. */
#define LEDGER_MERGED \
	"merged(member_id, survivor) AS (\n" \
	"  SELECT member_id, merged_into FROM members f\n" \
	"   WHERE merged_into IS NOT NULL AND status = 'merged' AND EXISTS\n" \
	"         (SELECT 1 FROM members x\n" \
	"           WHERE x.member_id = f.merged_into AND x.status <> 'merged')\n" \
	"  UNION ALL\n" \
	"  SELECT m.member_id, s.survivor\n" \
	"    FROM merged s JOIN members m ON m.merged_into = s.member_id\n" \
	"   WHERE m.status = 'merged')\n"

/* The one person a member stands for: the member (SQL parameter `p`) and
 * every record merged into it, at any depth, as the common table
 * "person(id)" (UNION stops at a loop of a ledger edited by hand); the
 * text starts "WITH RECURSIVE". */
#define LEDGER_PERSON(p) \
	"WITH RECURSIVE person(id) AS (SELECT " p " UNION" \
	" SELECT m.member_id FROM members m JOIN person p ON m.merged_into = p.id" \
	" WHERE m.status = 'merged') "

struct ledger {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[S_STMT_MAX];
	int64_t run_id;
	char run_now[20];	/* the run's clock reading (ledger_run_now) */
	/* rows changed as the run began (sqlite3_total_changes64), and since
	 * by the run's own record and notes: ledger_run_wrote */
	int64_t changes_at_run, own_changes;
	int in_txn;
	int rc;			/* last SQLite result code that failed */
	int nsettings;
	char **skey, **sval;
	int decimals;
	/* the programme versions, read on first need (programme_setting_at) */
	struct programme *pv;
	int npv, pv_read;
	char pv_buf[4096];
	/* one more each time the versions read are forgotten: ledger_versions_gen */
	unsigned long pv_gen;
	/* PRAGMA data_version as the settings were read: settings_current */
	int64_t data_version;
	int busy_ms;		/* --busy-timeout */
};

/* The cached statement `id`, prepared from `sql` on first use, reset and
 * with bindings cleared; NULL (message printed) on failure. */
sqlite3_stmt *ledger_stmt(struct ledger *l, enum ledger_stmt_id id, const char *sql);
/* Statement `one` (text sql_one) for a member into which no record was
 * merged (most, and cheaper), else `all` (sql_all, most often through
 * LEDGER_PERSON); NULL on error, said. */
sqlite3_stmt *ledger_person_stmt(struct ledger *l, const char *member,
    enum ledger_stmt_id one, enum ledger_stmt_id all, const char *sql_one,
    const char *sql_all);
/* The same for a caller that binds every parameter itself (without
 * copies, as it may): reset, its old bindings left to be overwritten. */
sqlite3_stmt *ledger_stmt_rebind(struct ledger *l, enum ledger_stmt_id id, const char *sql);
/* `head` then n `row`s (each its own "(?, ...)", parameters numbered on
 * from row to row), in slot first + n - 1: prepared on first use, then
 * as ledger_stmt_rebind.  NULL on error, said. */
sqlite3_stmt *ledger_stmt_rows(struct ledger *l, enum ledger_stmt_id first, const char *head,
    const char *row, int n);
/* A statement prepared for one use (the caller finalizes it); NULL
 * (message printed) on failure. */
sqlite3_stmt *ledger_prepare(struct ledger *l, const char *sql);
/* Report a failed SQLite call: "ledger 'path': what: errmsg"; returns -1. */
int ledger_fail(struct ledger *l, const char *what);
/* The same for a statement that failed with rc while another was stepped
 * since (two read side by side), the connection's last error no longer
 * its own. */
int ledger_fail_rc(struct ledger *l, const char *what, int rc);
/* The settings row that is no setting but loy-enroll's counter of new
 * member ids (loy-ledger(5)). */
#define LEDGER_NEXT_MEMBER_ID "next_member_id"

/* Step a statement that returns no rows: 0 or -1. */
int ledger_exec_stmt(struct ledger *l, sqlite3_stmt *st, const char *what);
/* Step a one-row look-up: 1 with the row ready (the caller resets st once
 * it has read it), 0 none, -1 error (what failed); st reset but for 1. */
int ledger_step_one(struct ledger *l, sqlite3_stmt *st, const char *what);
/* Every member's phone_key worked out again under the phone_country that
 * the settings table holds now (after it changed), *shared the members
 * (not merged) who now share their phone with one whose phone was another
 * before: 0 or -1. */
int ledger_members_phone_rekey(struct ledger *l, long *shared);
/* Run plain SQL without parameters (schema, pragmas): 0 or -1. */
int ledger_exec(struct ledger *l, const char *sql);
/* Run a one-off statement, its parameters the texts that follow up to a
 * NULL (LEDGER_RUN, by its address, binds the run's id: a member id that
 * reads "?run" is a text); the rows it changed into *changes unless NULL.
 * 0 or -1 (what: the error's words). */
extern const char ledger_run_arg[];
#define LEDGER_RUN ledger_run_arg
int ledger_exec_args(struct ledger *l, const char *sql, const char *what, int *changes, ...);
/* Bind text or NULL. */
int ledger_bind_text(sqlite3_stmt *st, int i, const char *s);
/* The same without a copy: `s` must outlive the statement's step. */
int ledger_bind_static(sqlite3_stmt *st, int i, const char *s);
/* Text column i as a string to free, or NULL. */
char *ledger_column_dup(sqlite3_stmt *st, int i);
/* Step st to its end and finalize it: its rows' first column (a copy, NULL
 * for NULL) in *out, whose count is returned; -1 (what failed) with *out
 * NULL.  The caller frees each and the array. */
int ledger_column_strings(struct ledger *l, sqlite3_stmt *st, const char *what, char ***out);
/* The highest key of a table, by sql: "SELECT key, typeof(key) = 'text' FROM
 * table ORDER BY key DESC LIMIT 1": 1 (*id to free); 0 no rows; 2 the
 * key is not plain text (*id NULL); -1 error (what failed). */
int ledger_last_key(struct ledger *l, const char *sql, const char *what, char **id);
/*
 * A cursor over one table in key order (lib/ledger_seq.c): sql selects the
 * key first, "... WHERE key >= ?1 ORDER BY key"; what is the message should
 * it fail.  ledger_seq_find puts it on `key`: 1 there (the row's columns
 * in ledger_seq_row), 0 no such key, -1 error.  Keys asked for in ascending
 * order cost a step or a few; any other order, a search.  Unless `exact`,
 * a 0 may miss a row written since the cursor passed its place; with
 * `exact`, a 0 comes from a search afresh.  ledger_seq_pause lets go of
 * the table (before a commit); the next find searches.
 */
struct ledger_seq;
struct ledger_seq *ledger_seq_new(struct ledger *l, const char *sql, const char *what);
int ledger_seq_find(struct ledger_seq *s, const char *key, int exact);
sqlite3_stmt *ledger_seq_row(const struct ledger_seq *s);
void ledger_seq_pause(struct ledger_seq *s);
void ledger_seq_free(struct ledger_seq *s);
/* Visit the rows of a prepared statement (see ledger_row_fn). */
int ledger_visit(struct ledger *l, sqlite3_stmt *st, ledger_row_fn fn, void *ctx);
/* The same for a one-off query, its parameters the texts of `params` up to
 * a NULL (params NULL: none): 0 or -1. */
int ledger_visit_sql(struct ledger *l, const char *sql, const char *const *params,
    ledger_row_fn fn, void *ctx);

#endif
