/* ledger: the SQLite ledger.  Every SQL statement loy runs lives behind
 * these functions (lib/ledger*.c); programs never see SQL. */
#ifndef LOY_LEDGER_H
#define LOY_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define LEDGER_SCHEMA_VERSION 21
#define LEDGER_APP_ID 0x4c4f5901	/* "LOY" 1, PRAGMA application_id */

struct ledger;

/* A programme setting with its default (the embedded default programme). */
struct ledger_setting {
	const char *key;
	const char *value;
	const char *about;
};
extern const struct ledger_setting ledger_defaults[];
/* The most points earn_points may give for each earn_amount (the [earn]
 * section's points in a programme file): six digits, as the setting. */
#define LEDGER_EARN_POINTS_MAX 999999
/* Check a setting as loy-init --set does: 0, or -1 with the reason (for
 * "KEY 'VALUE' must be ...") in reason[size]. */
int ledger_setting_valid(const char *key, const char *value, char *reason,
    unsigned long size);
/* The same for a setting of a programme version the ledger holds, checked
 * when it was stored: what passed then passes (a time zone, say, that a
 * stricter check refuses today). */
int ledger_setting_stored_valid(const char *key, const char *value, char *reason,
    unsigned long size);

/* Create a new ledger file (mode 0600) with the default programme, each
 * "KEY=VALUE" in `set` overriding a default.  Refuses an existing file.
 * Returns an exit status (0 on success; message printed otherwise). */
int ledger_create(const char *path, char *const *set, int nset, const char *args);
/* Open an existing ledger, migrating its schema forward.  On failure prints
 * why and returns NULL with *status set to the exit status to use. */
struct ledger *ledger_open(const char *path, int busy_timeout_s, int *status);
void ledger_close(struct ledger *l);
const char *ledger_path(const struct ledger *l);

/* One transaction per run: BEGIN IMMEDIATE (waiting up to the busy
 * timeout), COMMIT, ROLLBACK.  0 or -1 (message printed). */
int ledger_begin(struct ledger *l);
int ledger_commit(struct ledger *l);
void ledger_rollback(struct ledger *l);
/* After a commit, copy the WAL into the ledger's file and empty it, so
 * that what the run overwrote is nowhere in either, waiting (up to the
 * busy timeout) for other programs reading an older copy of the ledger or
 * writing it, and trying again, not holding other writers off as it
 * waits: 0 done, 1 one still was, -1 error (message printed). */
int ledger_fold_wal(struct ledger *l);
/* A read-only snapshot for readers: BEGIN, its first read, then the
 * settings and programme versions as they are in that snapshot (read
 * again when another program committed since they were read, as
 * ledger_run_begin does for writers).  What ledger_setting, ledger_decimals,
 * ledger_versions and programme_setting_at gave before is then freed:
 * a reader derives what it prints from them after this, and reads all
 * else before ledger_rollback ends the snapshot: a reader takes it first
 * thing, before anything it derives from the settings (now in the
 * programme's time zone, the decimals); taken again in the same
 * transaction, it is the same snapshot.  0 or -1 (said). */
int ledger_begin_read(struct ledger *l);
/* The exit status that matches the last failure (74 I/O, 75 busy, ...). */
int ledger_status(const struct ledger *l);
/* The same when a call into SQLite failed, else `dflt`: for a step that
 * fails on the ledger's data (a stored programme version that does not
 * parse) as well as on SQLite. */
int ledger_status_or(const struct ledger *l, int dflt);

/* Programme settings, read at open and again as a run or a reader's
 * snapshot begins (ledger_run_begin, ledger_begin_read).  NULL if not set. */
const char *ledger_setting(struct ledger *l, const char *key);
/* A pattern setting compiled (see pattern.h); NULL with a message if it
 * does not compile. */
struct pattern *ledger_pattern(struct ledger *l, const char *key);
/* The lowest tier, new members', into *tier (to be freed; NULL when there
 * is none): the first name of the tiers of the programme version in force
 * now, trimmed as the programme reads it, also before loy-program apply
 * has written them into the settings.  0 or -1 (said). */
int ledger_lowest_tier(struct ledger *l, char **tier);
int ledger_decimals(struct ledger *l);

/* The run record: every run that writes records itself.  Begun in the
 * run's transaction, it first reads the settings and programme versions
 * again when another writer changed the ledger since they were read (while
 * the run waited for it, say): what ledger_setting, ledger_versions and
 * programme_setting_at gave before is freed, and what the run derives
 * from them is to be derived after this (batch_job's begin). */
int ledger_run_begin(struct ledger *l, const char *program, const char *args);
/* The run's "now" (YYYY-MM-DD HH:MM:SS), read from the clock (or
 * LOY_NOW) by ledger_run_begin once the run holds the ledger, in the
 * programme's time zone as it holds it then: what a run dates, stamps and
 * counts today from, not a time read before it waited for another writer.
 * Empty before a run begins. */
const char *ledger_run_now(const struct ledger *l);
int64_t ledger_run_id(const struct ledger *l);
int ledger_run_input(struct ledger *l, int seq, const char *name,
    const char *sha256, uint64_t bytes, long rows);
/* Has the run changed a row of the ledger since ledger_run_begin, its own
 * record, its inputs' and its temporary notes apart?  (Rows an UPDATE set
 * to what they held count as changed.) */
int ledger_run_wrote(const struct ledger *l);
int ledger_run_end(struct ledger *l, long read, long changed, long unchanged,
    long rejected, const char *summary);

/* Members.  Fields by index; NULL means no value. */
enum member_field {
	MF_ID, MF_STATUS, MF_NAME, MF_PHONE, MF_EMAIL, MF_BIRTHDAY,
	MF_ENROLLED_AT, MF_REFERRER, MF_STORE, MF_CHANNEL, MF_ATTRS, MF_TIER,
	MF_MERGED_INTO, MF_CLOSED_AT, MF_FORGOTTEN_AT, MF_CREATED_RUN,
	MF_UPDATED_RUN, MF_COUNT
};
extern const char *const member_field_names[MF_COUNT];
struct member {
	char *v[MF_COUNT];
};
void member_clear(struct member *m);
void member_set(struct member *m, enum member_field f, const char *s);

/* 1 found (m filled in), 0 not found, -1 error. */
int ledger_member_get(struct ledger *l, const char *id, struct member *m);
/* Follow merges: the id of the member that `id` now stands for, in `out`
 * (caller frees); 1 found, 0 unknown, -1 error. */
int ledger_member_resolve(struct ledger *l, const char *id, char **out);
/* Does the chain of referrers from `referrer` (each the member it stands
 * for, following merges) come to member `id`: 1 yes, 0 no, -1 error.  A
 * loop of referrers that an older ledger holds ends the walk. */
int ledger_member_refers_back(struct ledger *l, const char *referrer, const char *id);
/*
 * The same question for a run that sets many referrers, before member `id`,
 * which has a referrer or not (`id_refers`), is given `referrer` (NULL:
 * none): where chains of referrers end, as the run found them, kept in
 * `c` and reused, so that a file that makes a long chain row by row walks
 * it once, not once a row.  A member with no referrer that is given one
 * lengthens the chains that end with it, which leaves what `c` knows true;
 * a referrer changed or taken away cuts a chain, and `c` forgets it all.
 */
struct ledger_chains;
struct ledger_chains *ledger_chains_new(void);
void ledger_chains_forget(struct ledger_chains *c);
void ledger_chains_free(struct ledger_chains *c);
int ledger_member_refers_back_known(struct ledger *l, struct ledger_chains *c,
    const char *referrer, const char *id, int id_refers);
/* Do ids `a` and `b` stand for one member now, merges followed on both
 * sides?  1 yes, 0 no (or either unknown), -1 error. */
int ledger_member_same(struct ledger *l, const char *a, const char *b);
/*
 * The members a run has seen, kept in a temporary table when the run cannot
 * hold them all in memory (loy-accrue's count of members an input had):
 * add one (0 or -1); count them and start the list again (0 or -1).
 */
int ledger_seen_add(struct ledger *l, const char *member_id);
int ledger_seen_count(struct ledger *l, size_t *n);
/*
 * The receipts taken before of which an input read again held a part, kept
 * in a temporary table (as many as the input has, in memory or not): note
 * one, 1 when it was noted before, 0 now, -1 error; forget them all (0 or
 * -1), as the input ends.
 */
int ledger_part_seen(struct ledger *l, const char *txn_id);
int ledger_parts_forget(struct ledger *l);
/* In one look-up: the member `id` stands for (following merges; caller
 * frees *survivor), whether closed, and the balance.  1, 0 unknown, -1. */
int ledger_member_state(struct ledger *l, const char *id, char **survivor, int *closed,
    int64_t *balance);
/* The same, and the survivor's tier, birthday and referrer in facts[0..2]
 * (each to free, or NULL) when found. */
int ledger_member_state_facts(struct ledger *l, const char *id, char **survivor, int *closed,
    int64_t *balance, char *facts[3]);
/* Find an active or closed member by card, email or phone: 1, 0, -1.  A
 * card of a merged member gives its survivor; so does, with `merged`, a
 * phone or e-mail that only merged members have (loy-accrue: a receipt is
 * the person's; loy-enroll leaves it out, as a row would set the phone or
 * e-mail it names on the survivor, the record's own on every run). */
int ledger_member_find(struct ledger *l, const char *by, const char *value, int merged,
    char **out);
/* The phone as loy compares phones (members.phone_key), malloc'd: without
 * the spaces, dashes, points, brackets and slashes that write it out and,
 * with `country` the programme's phone_country (NULL or "none": none), in the
 * form +CC and the national number (07700 900123, 0044 7700 900123 and
 * +44 7700 900123 are all +447700900123 with country 44), as loy-ledger(5)
 * gives it in SQL. */
char *ledger_phone_key(const char *phone, const char *country);
/* Insert unless the id exists: 1 inserted, 0 it exists, -1 error. */
int ledger_member_insert_new(struct ledger *l, const struct member *m);
/* Undo the insertion of a member this run created (a row then refused). */
int ledger_member_uncreate(struct ledger *l, const char *id);
int ledger_member_update(struct ledger *l, const struct member *m);
/* A fresh member id (numeric, never used before). */
int ledger_member_new_id(struct ledger *l, char **out);
/* Close, reopen, forget (erase personal data, keep the books). */
int ledger_member_set_status(struct ledger *l, const char *id, const char *status,
    const char *at);
/* Erase the personal data of `id` and of every member merged into it (not
 * forgotten yet); the ids erased in *ids (*n of them, in no order; caller
 * frees each and the array).  0 or -1. */
int ledger_member_forget(struct ledger *l, const char *id, const char *at, char ***ids, int *n);
/* What a merge did: the points it moved and, when it passed the tier of
 * the merged record to the survivor (tier_history reason 'merged'), the
 * survivor's tier before (NULL for none) and after, and the day it holds
 * it from; tier_to NULL when the survivor's tier did not change.  Freed by
 * ledger_merge_clear. */
struct ledger_merge {
	int64_t moved;
	char *tier_from, *tier_to;
	char tier_day[11];
};
void ledger_merge_clear(struct ledger_merge *mg);
/* Merge `from` into `into`: balance and open lots move by new journal
 * entries, cards follow, `from` resolves to `into` from then on; what it
 * did in *mg. */
int ledger_member_merge(struct ledger *l, const char *from, const char *into,
    const char *at, struct ledger_merge *mg);

/* Cards: several per member; replacement keeps the history. */
int ledger_card_owner(struct ledger *l, const char *card, char **member, char **status);
int ledger_card_add(struct ledger *l, const char *member, const char *card, const char *at);
/* Add unless the card exists: 1 added, 0 it exists, -1 error. */
int ledger_card_add_new(struct ledger *l, const char *member, const char *card,
    const char *at);
int ledger_card_replace(struct ledger *l, const char *old, const char *new_card,
    const char *at);

/* Row visitors for listings: called with column names once (row == NULL),
 * then each row; return non-zero to stop. */
typedef int (*ledger_row_fn)(void *ctx, int ncols, const char *const *cols,
    const char *const *row);
int ledger_list_members(struct ledger *l, ledger_row_fn fn, void *ctx);
int ledger_list_cards(struct ledger *l, const char *member, ledger_row_fn fn, void *ctx);
int ledger_list_duplicates(struct ledger *l, ledger_row_fn fn, void *ctx);

/* Invariants: each violation passed to fn (invariant, subject, detail);
 * returns the number of violations, or -1 on error.  step (if not NULL) is
 * told of each invariant before it is checked: its name, its number from 1,
 * and how many there are. */
int ledger_check(struct ledger *l, ledger_row_fn fn, void *ctx,
    void (*step)(void *ctx, const char *name, int i, int n));


/* Points: journal entries, lots, balances (lib/ledger_points.c). */

/* Add a journal entry and keep the balance; returns its entry_id or -1. */
int64_t ledger_entry_add(struct ledger *l, const char *member, const char *kind,
    int64_t points, const char *occurred_at, const char *source, const char *ref,
    const char *reason);
/* A journal entry without touching the balance (see ledger_balance_add):
 * its entry_id, or -1. */
int64_t ledger_journal_add(struct ledger *l, const char *member, const char *kind,
    int64_t points, const char *occurred_at, const char *source, const char *ref,
    const char *reason);
/* Journal entries to add together (ledger_journal_add_rows); posted_at
 * as the caller took it from when_now() when the entry was decided. */
struct journal_row {
	const char *member, *kind;
	int64_t points;
	const char *occurred_at, *posted_at, *source, *ref, *reason;
};
/* ledger_journal_add() of e[0..n), in that order, their entry_ids (those
 * it would give them) into ids[0..n): up to LEDGER_JOURNAL_ROWS of them
 * to one statement.  0 or -1. */
#define LEDGER_JOURNAL_ROWS 32
int ledger_journal_add_rows(struct ledger *l, const struct journal_row *e, int n,
    int64_t *ids);
/* ledger_journal_add() of an entry that reverses entry `reverses`. */
int64_t ledger_journal_reverse(struct ledger *l, int64_t reverses, const char *member,
    const char *kind, int64_t points, const char *occurred_at, const char *source,
    const char *ref, const char *reason);
/* The first entry with this source ("adjustment" or "opening", which the
 * index journal_ref holds) and ref: 1 (member and points filled in; caller
 * frees member), 0 none, -1 error. */
int ledger_journal_find(struct ledger *l, const char *source, const char *ref,
    char **member, int64_t *points);
/* The entries of an opening balance taken under `ref` (the member's id as
 * a file named it) of `points` earned at `earned_at`, oldest first:
 * fn(ctx, entry_id) for each until it returns other than 0; returns that
 * (1: found), 0 when none did, -1 on error. */
int ledger_opening_each(struct ledger *l, const char *ref, int64_t points,
    const char *earned_at, int (*fn)(void *ctx, int64_t entry), void *ctx);
/* The member's balance (0 when they have none yet): 0 or -1. */
int ledger_balance_get(struct ledger *l, const char *member, int64_t *points);
/* Add delta to the materialised balance, last_entry its newest entry. */
int ledger_balance_add(struct ledger *l, const char *member, int64_t delta,
    int64_t last_entry);
/* A lot of `points` earned by entry `entry`.  When the member owes points
 * (`balance` before the entry is below zero) the lot pays that debt first:
 * what it repays is a move out of the lot at once. */
int ledger_lot_add(struct ledger *l, const char *member, int64_t entry,
    const char *earned_at, const char *expires_at, const char *available_at,
    int64_t points, int64_t balance);
/* Take up to `points` from the member's open lots for entry `entry`, as of
 * `at`: first the lots of entry `first` (if not 0), then soonest expiry
 * first, lots already past their date at `at` last.  Returns the points
 * taken, or -1. */
int64_t ledger_lots_take(struct ledger *l, const char *member, int64_t points,
    int64_t entry, int64_t first, const char *at);

/* Expiry: the members with open lots expiring before `before` that were
 * theirs then (a count, or -1; *ids is the caller's to free); expire one
 * member's such lots as one journal entry (*points and *lots say how
 * much, 0 when none); with `held`, all of the lots the member holds that
 * expire before `before`, whenever they came (a merge, a cancel). */
int ledger_expiry_due(struct ledger *l, const char *before, char ***ids);
int ledger_expire_member(struct ledger *l, const char *member, const char *before,
    int held, const char *occurred_at, const char *ref, int64_t *points, long *lots);
/* Of the member's open lots, the points of those still in date before
 * `before` (expiring then or later, or never) in *in_date, and those
 * ledger_expire_member with `held` would expire before it in *due, the
 * latest date of these in latest ("" when none).  0 or -1. */
int ledger_expiry_owed(struct ledger *l, const char *member, const char *before,
    int64_t *in_date, int64_t *due, char latest[static 20]);
/* Members with open lots expiring in [from, to): member_id, name, phone,
 * email, points, first_expiry, status. */
int ledger_list_expiring(struct ledger *l, const char *from, const char *to,
    ledger_row_fn fn, void *ctx);

/* Receipts (exactly once). */
struct receipt_row {
	char *txn_id, *member_id, *occurred_at, *store, *channel, *status, *orig_txn;
	int64_t amount, points, returned_amount, returned_points, run_id;
	int64_t entry_id;	/* the entry that credited it, or 0 */
	int64_t unrecovered;	/* points its return owed and did not take back,
				   for a balance at zero (still owed) */
	long lines;
	int input_seq;
	void *digest;
	int digest_len;
	char *earn;		/* the lines and the rules that gave their points
				   (JSON, loy-ledger(5)), or NULL */
};
void receipt_row_clear(struct receipt_row *r);
int ledger_receipt_insert(struct ledger *l, const struct receipt_row *r);
/* 1 found (r filled in), 0 not, -1 error. */
int ledger_receipt_get(struct ledger *l, const char *txn_id, struct receipt_row *r);
/* The highest txn_id in the ledger (BINARY order) in *id (to free):
 * 1; 0 no receipts; 2 one is not plain text (*id NULL); -1 error. */
int ledger_receipt_last(struct ledger *l, char **id);
/* The key `a` (NUL-terminated) against b[0..bn) as SQLite orders text
 * (BINARY): bytes as unsigned, a prefix first; <0, 0 or >0.  Ids hold no
 * NUL (rows with one are refused). */
int ledger_key_cmp(const char *a, const char *b, size_t bn);
/*
 * The highest key of a table (last: ledger_receipt_last,
 * ledger_redemption_last), read once a run, inside its transaction, and
 * raised as the run adds keys: a key that sorts above it cannot be there,
 * and needs no look-up.  Zeroed but for `last` to begin with.
 */
struct ledger_top {
	int (*last)(struct ledger *l, char **id);
	int read, known;	/* read; every key plain text, so usable */
	char *key;		/* the highest (NULL: none) */
	size_t cap;
};
/* 1 key sorts above every key the table has; 0 it may be there; -1 error. */
int ledger_top_above(struct ledger *l, struct ledger_top *t, const char *key);
/* The run added key. */
void ledger_top_raise(struct ledger_top *t, const char *key);
void ledger_top_free(struct ledger_top *t);
/* Look-ups of receipts in ascending txn_id order: a cursor that steps
 * forward instead of searching; ledger_receipt_seq_get answers as
 * ledger_receipt_get, with only member_id, occurred_at, run_id, input_seq
 * and digest read.  Let go of it before the run commits. */
struct ledger_seq;
struct ledger_seq *ledger_receipt_seq(struct ledger *l);
int ledger_receipt_seq_get(struct ledger_seq *s, const char *txn_id, struct receipt_row *r);
void ledger_receipt_seq_free(struct ledger_seq *s);
/* Add to a receipt's lines and totals (more lines of it in the same input);
 * `returned`: what more of it, a return, was taken off its purchase. */
int ledger_receipt_extend(struct ledger *l, const struct receipt_row *r, int64_t returned);
/* Record a return against an original receipt. */
int ledger_receipt_returned(struct ledger *l, const char *txn_id, int64_t amount,
    int64_t points);
/* What the return lines of exchange txn_id took off its original (its
 * earn's "returned") and the points they took back (its [return] part,
 * positive): both 0 for a receipt that is no exchange.  0 or -1. */
int ledger_receipt_exchanged(struct ledger *l, const char *txn_id, int64_t *amount,
    int64_t *points);
/* A return, or an exchange, that names a purchase (ledger_receipt_returns):
 * the receipt, and what it took off the purchase, 0 or more (minus a
 * return's returned_amount, an exchange's return lines' part of it). */
struct receipt_took {
	struct receipt_row r;
	int64_t took;
};
/* The returns of members that name purchase `orig` in their orig_txn,
 * and the exchanges that took something off it, in the order they were
 * taken (run, input, txn_id), into *v (the caller's to free with
 * receipt_took_free): their count, or -1. */
int ledger_receipt_returns(struct ledger *l, const char *orig, struct receipt_took **v);
void receipt_took_free(struct receipt_took *v, int n);
/* Receipt txn_id, a return or an exchange, gives back `amount` of what it
 * took off its original (negative: takes more): its returned_amount and,
 * an exchange's, its earn's "returned" (not the points it took). */
int ledger_receipt_give_back(struct ledger *l, const char *txn_id, int64_t amount);
/* Return txn_id takes back `points` more (positive) by entry `entry`: its
 * points less by them, its entry_id that one when it had none, and what it
 * still owes (unrecovered) less by them, to 0 at the least. */
int ledger_receipt_took(struct ledger *l, const char *txn_id, int64_t points, int64_t entry);
/* Points the returns of `member` owed and did not take back for a
 * balance at zero (receipts.unrecovered), taken now out of `credit` points
 * that entry `from` just gave it at `at` (a cancel, a transfer received):
 * the returns recorded in a run after `after_run` (0: all; a cancel's
 * redemption's run, whose points were spent when they came), in the order
 * they were made, each an entry of its own (kind return, source receipt,
 * ref its txn_id) at `at`, or at the return's time when later, from the
 * lots of `from` first, its points and unrecovered less by it; no more
 * than the balance holds.  fn(ctx, txn_id, points) for each.  The points
 * taken, or -1. */
int64_t ledger_unrecovered_take(struct ledger *l, const char *member, int64_t credit,
    int64_t from, const char *at, int64_t after_run,
    void (*fn)(void *ctx, const char *txn, int64_t points), void *ctx);
/* The originals named in orig_txn by returns that took nothing off them
 * (returned_amount 0: it was not in the ledger, or not a purchase), each
 * once, to fn (which may stop the walk): 0 or -1. */
int ledger_receipt_unlinked_origs(struct ledger *l, ledger_row_fn fn, void *ctx);
/* Those that name `orig`, of a member, in the order they were taken (run,
 * input, txn_id), into *v (the caller's to clear and free): their count,
 * or -1. */
int ledger_receipt_unlinked(struct ledger *l, const char *orig, struct receipt_row **v);

/* Rewards and redemptions (lib/ledger_redeem.c). */
enum reward_field {
	RW_ID, RW_NAME, RW_POINTS, RW_CASH, RW_STOCK, RW_PARTNER, RW_COST, RW_TIERS,
	RW_SEGMENTS, RW_FROM, RW_TO, RW_LIMIT, RW_COUNT
};
extern const char *const reward_field_names[RW_COUNT];
/* A reward as text, NULL for no value (cash_price and partner_cost in
 * minor units, stock NULL for unlimited). */
struct reward {
	char *v[RW_COUNT];
};
void reward_clear(struct reward *r);
/* 1 found, 0 not, -1 error. */
int ledger_reward_get(struct ledger *l, const char *id, struct reward *r);
/* Store a reward: 1 created, 2 updated, 0 unchanged, -1 error. */
int ledger_reward_put(struct ledger *l, const struct reward *r);
int ledger_list_rewards(struct ledger *l, ledger_row_fn fn, void *ctx);
/* Take qty from a reward's stock (unlimited stock: nothing to take). */
int ledger_reward_stock(struct ledger *l, const char *id, int64_t delta);
/* Is `member` in the saved segment named by the `len` bytes at `segment`?
 * 1 yes, 0 no (or no segment of that name: *known, if given, says which),
 * -1 error. */
int ledger_segment_holds(struct ledger *l, const char *segment, size_t len,
    const char *member, int *known);

struct redemption {
	char *request_id, *member_id, *reward_id, *requested_at, *channel, *status,
	    *reason, *voucher;
	int64_t qty, points, entry_id, cancel_entry, run_id;
	char *partner_id;	/* the reward's partner when redeemed, or NULL */
	int64_t partner_cost;	/* its cost a unit then, minor units; -1: none */
};
void redemption_clear(struct redemption *r);
int ledger_redemption_get(struct ledger *l, const char *request_id, struct redemption *r);
/* Record r[0..n), in that order, up to LEDGER_REDEMPTION_ROWS of them to
 * one statement.  0 or -1; *failed the index of the row a constraint
 * refused, else -1. */
#define LEDGER_REDEMPTION_ROWS 32
int ledger_redemptions_insert(struct ledger *l, const struct redemption *r, int n,
    int *failed);
/* The highest request_id in the ledger (BINARY order) in *id (to free):
 * 1; 0 no redemptions; 2 one is not plain text (*id NULL); -1 error. */
int ledger_redemption_last(struct ledger *l, char **id);
/* Units of a reward a member has redeemed and not cancelled, also under the
 * ids of the members merged into it. */
int ledger_redeemed_units(struct ledger *l, const char *member, const char *reward,
    int64_t *units);
/* The member's spendable points at `now`: the open lots neither pending nor
 * past their date (none while the member owes points). */
int ledger_spendable(struct ledger *l, const char *member, const char *now,
    int64_t *points);
/* Take points from lots that are spendable at `now`, soonest expiry first. */
int64_t ledger_lots_spend(struct ledger *l, const char *member, int64_t points,
    int64_t entry, const char *now);
/* A lot as spending sees it: read once, taken from in order. */
struct lot_pick {
	int64_t lot_id, remaining;
};
/* The member's lots spendable at `now` in the order they are spent (as
 * ledger_lots_spend takes them: soonest expiry first, then the lot_id, lots
 * that never expire last) into (*lots)[0..*n), grown as needed (*cap); their
 * sum in *sum.  0 or -1. */
int ledger_lots_to_spend(struct ledger *l, const char *member, const char *now,
    struct lot_pick **lots, size_t *n, size_t *cap, int64_t *sum);
/* Points an entry took from a lot (negative), as lot_moves holds them. */
struct lot_move {
	int64_t entry_id, lot_id, points;
};
/* Take `points` from lots[0..n) in order for `entry`, lowering their
 * remaining in the array and adding what it took from each to *moves
 * (*nmoves of them, grown as needed: *cap): the points taken.  Nothing is
 * written: ledger_lot_moves_insert writes the moves, ledger_lots_settle
 * the lots' remaining. */
int64_t ledger_lots_move(struct lot_pick *lots, size_t n, int64_t points, int64_t entry,
    struct lot_move **moves, size_t *nmoves, size_t *cap);
/* Record m[0..n), up to LEDGER_LOT_MOVE_ROWS of them to one statement.
 * 0 or -1. */
#define LEDGER_LOT_MOVE_ROWS 32
int ledger_lot_moves_insert(struct ledger *l, const struct lot_move *m, size_t n);
/* Write lots[0..n)'s remaining where it differs from was[0..n) (what the
 * ledger holds), then was = remaining.  0 or -1. */
int ledger_lots_settle(struct ledger *l, const struct lot_pick *lots, int64_t *was,
    size_t n);
/* Cancel a redemption: its points come back as new lots with the dates of
 * the lots they were taken from, its stock goes back; the cancelling
 * entry's id in *entry. */
int ledger_redemption_cancel(struct ledger *l, const struct redemption *r, const char *at,
    int64_t *entry);

/* Partner code pools: codes a partner supplies for a reward, handed out
 * as vouchers in the order loaded, each once. */
/* Add a code to a reward's pool: 1 added, 0 it is in that pool already,
 * 2 it is in another reward's pool (*other names the reward), 3 it is the
 * voucher of a redemption, of any reward (*other names its request_id);
 * caller frees *other.  -1 error. */
int ledger_code_add(struct ledger *l, const char *reward, const char *code, char **other);
/* Take the next `n` unused codes of the reward's pool for `request`, as
 * one text separated by spaces in *codes (caller frees): 1 taken, 0 not
 * (*pooled says whether the reward has a pool at all, *left how many
 * unused codes it holds, fewer than n), -1 error. */
int ledger_codes_take(struct ledger *l, const char *reward, int64_t n, const char *request,
    char **codes, int *pooled, int64_t *left);
/* The pools: reward_id, partner, codes, used, left. */
int ledger_list_codes(struct ledger *l, ledger_row_fn fn, void *ctx);

/* Points transferred between members (family pooling). */
struct transfer {
	char *transfer_id, *from_member, *to_member, *requested_at, *status, *reason;
	int64_t points, from_entry, to_entry, run_id;
};
void transfer_clear(struct transfer *t);
/* 1 found, 0 not, -1 error. */
int ledger_transfer_get(struct ledger *l, const char *id, struct transfer *t);
int ledger_transfer_insert(struct ledger *l, const struct transfer *t);
/* Move t->points from the giver's spendable lots at `now`, soonest expiry
 * first, into new lots of the receiver with the same dates: two entries of
 * kind transfer, in t->from_entry and t->to_entry.  0 or -1. */
int ledger_transfer_points(struct ledger *l, struct transfer *t, const char *now);

/* Raise `until` to the latest date the member's open lots still alive
 * after `at` expire on (the rolling policy's one date), but for the lots a
 * transfer gave it, which keep the giver's dates.  0 or -1. */
int ledger_lots_latest(struct ledger *l, const char *member, const char *at,
    char until[static 20]);
/* The time of the member's latest own activity in the journal (points
 * earned, credited or given as a bonus, a redemption, points given in a
 * transfer) into at: 1, 0 none, -1 error. */
int ledger_last_activity(struct ledger *l, const char *member, char at[static 20]);
/* Rolling expiry: the member's open lots not yet past their date at `at`
 * and expiring before `until` expire at `until` instead.  0 or -1. */
int ledger_lots_extend(struct ledger *l, const char *member, const char *at,
    const char *until);
/* The same for the lots made by `entry` alone.  0 or -1. */
int ledger_entry_lots_extend(struct ledger *l, int64_t entry, const char *at,
    const char *until);

#endif
