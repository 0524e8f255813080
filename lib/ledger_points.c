/* Points: the journal, lots and balances; receipts credited exactly once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ledger_int.h"
#include "when.h"

#define JOURNAL_INSERT "INSERT INTO journal(member_id, kind, points, occurred_at, posted_at," \
	" run_id, source, ref, reason, reverses) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"

/* Statement st (JOURNAL_INSERT) of an entry posted at `now`: its entry_id,
 * or -1. */
static int64_t
journal_exec(struct ledger *l, sqlite3_stmt *st, int64_t reverses, const char *member,
    const char *kind, int64_t points, const char *occurred_at, const char *now,
    const char *source, const char *ref, const char *reason)
{
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, points);
	sqlite3_bind_text(st, 4, occurred_at ? occurred_at : now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, l->run_id);
	ledger_bind_static(st, 7, source);
	ledger_bind_static(st, 8, ref);
	ledger_bind_static(st, 9, reason);
	if (reverses)
		sqlite3_bind_int64(st, 10, reverses);
	else
		sqlite3_bind_null(st, 10);
	if (ledger_exec_stmt(l, st, "cannot add a journal entry") < 0)
		return -1;
	return sqlite3_last_insert_rowid(l->db);
}

/* A journal entry that reverses entry `reverses`, or none (0). */
static int64_t
journal_insert(struct ledger *l, int64_t reverses, const char *member, const char *kind,
    int64_t points, const char *occurred_at, const char *source, const char *ref,
    const char *reason)
{
	sqlite3_stmt *st = ledger_stmt_rebind(l, S_JOURNAL_ADD, JOURNAL_INSERT);
	char now[20];

	if (!st)
		return -1;
	when_now(now);
	return journal_exec(l, st, reverses, member, kind, points, occurred_at, now, source, ref,
	    reason);
}

int64_t
ledger_journal_add(struct ledger *l, const char *member, const char *kind, int64_t points,
    const char *occurred_at, const char *source, const char *ref, const char *reason)
{
	return journal_insert(l, 0, member, kind, points, occurred_at, source, ref, reason);
}

int
ledger_journal_add_rows(struct ledger *l, const struct journal_row *e, int n, int64_t *ids)
{
	sqlite3_stmt *st, *max;
	int64_t top;

	if (n == 0)
		return 0;
	/* the entry_ids SQLite would give them one by one: each the highest
	 * there is plus one (near the largest there can be, it draws one at
	 * random: then one by one) */
	if (!(max = ledger_stmt(l, S_JOURNAL_MAX, "SELECT coalesce(max(entry_id), 0) FROM journal")) ||
	    ledger_step_one(l, max, "cannot read the journal") < 0)
		return -1;
	top = sqlite3_column_int64(max, 0);
	sqlite3_reset(max);
	for (int k; n > 0 && top <= INT64_MAX - n; n -= k, e += k, ids += k) {
		k = n < LEDGER_JOURNAL_ROWS ? n : LEDGER_JOURNAL_ROWS;
		/* OR FAIL: a row refused fails the run, which is rolled back
		 * whole: the statement needs no journal of its own */
		if (!(st = ledger_stmt_rows(l, S_JOURNAL_ROWS, "INSERT OR FAIL INTO journal(entry_id,"
		    " member_id, kind, points, occurred_at, posted_at, run_id, source, ref, reason,"
		    " reverses) VALUES ", "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)", k)))
			return -1;
		for (int i = 0; i < k; i++) {
			int b = 10 * i;

			ids[i] = ++top;
			sqlite3_bind_int64(st, b + 1, ids[i]);
			sqlite3_bind_text(st, b + 2, e[i].member, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, b + 3, e[i].kind, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, b + 4, e[i].points);
			sqlite3_bind_text(st, b + 5, e[i].occurred_at ? e[i].occurred_at :
			    e[i].posted_at, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, b + 6, e[i].posted_at, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, b + 7, l->run_id);
			ledger_bind_static(st, b + 8, e[i].source);
			ledger_bind_static(st, b + 9, e[i].ref);
			ledger_bind_static(st, b + 10, e[i].reason);
		}
		if (ledger_exec_stmt(l, st, "cannot add a journal entry") < 0)
			return -1;
	}
	for (int i = 0; i < n; i++) {
		if (!(st = ledger_stmt_rebind(l, S_JOURNAL_ADD, JOURNAL_INSERT)))
			return -1;
		if ((ids[i] = journal_exec(l, st, 0, e[i].member, e[i].kind, e[i].points,
		    e[i].occurred_at, e[i].posted_at, e[i].source, e[i].ref, e[i].reason)) < 0)
			return -1;
	}
	return 0;
}

int64_t
ledger_journal_reverse(struct ledger *l, int64_t reverses, const char *member, const char *kind,
    int64_t points, const char *occurred_at, const char *source, const char *ref,
    const char *reason)
{
	return journal_insert(l, reverses, member, kind, points, occurred_at, source, ref,
	    reason);
}

int
ledger_journal_find(struct ledger *l, const char *source, const char *ref, char **member,
    int64_t *points)
{
	sqlite3_stmt *st = ledger_stmt(l, S_JOURNAL_FIND,
	    "SELECT member_id, points FROM journal WHERE source IN ('adjustment', 'opening')"
	    " AND source = ?1 AND ref = ?2 ORDER BY entry_id LIMIT 1");
	int got;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	if ((got = ledger_step_one(l, st, "cannot read the journal")) <= 0)
		return got;
	*member = loy_xstrdup((const char *)sqlite3_column_text(st, 0));
	*points = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return 1;
}

int
ledger_opening_each(struct ledger *l, const char *ref, int64_t points, const char *earned_at,
    int (*fn)(void *ctx, int64_t entry), void *ctx)
{
	sqlite3_stmt *st = ledger_stmt(l, S_OPENING_LOTS,
	    "SELECT entry_id FROM journal WHERE source IN ('adjustment', 'opening')"
	    " AND source = 'opening' AND ref = ?1"
	    " AND points = ?2 AND occurred_at = ?3 ORDER BY entry_id");
	int got = 0, rc = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, points);
	sqlite3_bind_text(st, 3, earned_at, -1, SQLITE_STATIC);
	while (rc == 0 && (got = ledger_step_one(l, st, "cannot read the journal")) > 0)
		rc = fn(ctx, sqlite3_column_int64(st, 0));
	if (rc != 0)
		sqlite3_reset(st);
	else if (got < 0)
		return -1;
	return rc;
}

int
ledger_balance_get(struct ledger *l, const char *member, int64_t *points)
{
	sqlite3_stmt *st = ledger_stmt(l, S_BALANCE_GET,
	    "SELECT points FROM balances WHERE member_id = ?1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	*points = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*points = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_fail(l, "cannot read a balance");
	return 0;
}

int
ledger_balance_add(struct ledger *l, const char *member, int64_t delta, int64_t last_entry)
{
	sqlite3_stmt *st = ledger_stmt(l, S_BALANCE_ADD,
	    "INSERT INTO balances(member_id, points, last_entry_id) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT(member_id) DO UPDATE SET points = points + excluded.points,"
	    " last_entry_id = max(last_entry_id, excluded.last_entry_id)");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, delta);
	sqlite3_bind_int64(st, 3, last_entry);
	return ledger_exec_stmt(l, st, "cannot update the balance");
}

int
ledger_lot_add(struct ledger *l, const char *member, int64_t entry, const char *earned_at,
    const char *expires_at, const char *available_at, int64_t points, int64_t balance)
{
	sqlite3_stmt *st = ledger_stmt_rebind(l, S_LOT_ADD,
	    "INSERT INTO lots(member_id, entry_id, earned_at, expires_at, available_at,"
	    " points, remaining) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	int64_t repay = balance < 0 ? (-balance < points ? -balance : points) : 0;
	sqlite3_stmt *move;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, entry);
	sqlite3_bind_text(st, 3, earned_at, -1, SQLITE_STATIC);
	ledger_bind_static(st, 4, expires_at);
	ledger_bind_static(st, 5, available_at);
	sqlite3_bind_int64(st, 6, points);
	sqlite3_bind_int64(st, 7, points - repay);
	if (ledger_exec_stmt(l, st, "cannot add a lot") < 0)
		return -1;
	if (repay == 0)
		return 0;
	if (!(move = ledger_stmt(l, S_LOT_MOVE,
	    "INSERT INTO lot_moves(entry_id, lot_id, points) VALUES (?1, ?2, ?3)")))
		return -1;
	sqlite3_bind_int64(move, 1, entry);
	sqlite3_bind_int64(move, 2, sqlite3_last_insert_rowid(l->db));
	sqlite3_bind_int64(move, 3, -repay);
	return ledger_exec_stmt(l, move, "cannot record a lot move");
}

/*
 * Take from the open lots as of `at`.  Lots already past their expiry date
 * at `at` (not yet expired by a loy-expire run) go last, so that a late
 * expiry run ends where a punctual one would; with `spend`, lots still
 * pending or past their date are not taken at all.  The lots of entry
 * `first` go first, and so do the lots a merge moved them to and those a
 * cancelled redemption gave their points back in (own), at any depth: a
 * lot of a merge entry is the copy of a lot its counterpart entry moved
 * out, a lot of a cancel entry the copy of a lot its redemption's entry
 * took from, the one earned and available at the same time with its
 * points.
 */
static int64_t
take_lots(struct ledger *l, const char *member, int64_t points, int64_t entry,
    int64_t first, const char *at, int spend)
{
	/* a lot expires on its date, whatever the time: ?5 is the next day */
	sqlite3_stmt *open = ledger_stmt(l, S_LOTS_OPEN,
	    "WITH RECURSIVE up(start, entry_id, earned_at, available_at, points) AS ("
	    " SELECT lot_id, entry_id, earned_at, available_at, points FROM lots"
	    "  WHERE ?2 <> 0 AND member_id = ?1 AND remaining > 0 AND entry_id <> ?2"
	    " UNION ALL"
	    " SELECT u.start, p.entry_id, p.earned_at, p.available_at, p.points"
	    "  FROM up u JOIN journal ji ON ji.entry_id = u.entry_id AND ji.kind = 'merge'"
	    "   AND ji.points > 0"
	    "  JOIN journal jo ON jo.member_id = ji.ref AND jo.kind = 'merge'"
	    "   AND jo.ref = ji.member_id AND jo.run_id = ji.run_id AND jo.points < 0"
	    "  JOIN lot_moves mv ON mv.entry_id = jo.entry_id AND mv.points = -u.points"
	    "  JOIN lots p ON p.lot_id = mv.lot_id AND p.earned_at = u.earned_at"
	    "   AND p.available_at IS u.available_at"
	    " UNION ALL"
	    " SELECT u.start, p.entry_id, p.earned_at, p.available_at, p.points"
	    "  FROM up u JOIN journal jc ON jc.entry_id = u.entry_id AND jc.kind = 'cancel'"
	    "   AND jc.source = 'redemption'"
	    "  JOIN redemptions rd ON rd.request_id = jc.ref AND rd.cancel_entry = jc.entry_id"
	    "  JOIN lot_moves mv ON mv.entry_id = rd.entry_id AND mv.points = -u.points"
	    "  JOIN lots p ON p.lot_id = mv.lot_id AND p.earned_at = u.earned_at"
	    "   AND p.available_at IS u.available_at),"
	    " own(lot_id) AS (SELECT start FROM up WHERE entry_id = ?2)"
	    "SELECT lot_id, remaining FROM lots WHERE member_id = ?1 AND remaining > 0"
	    " AND (NOT ?4 OR ((available_at IS NULL OR available_at <= ?3)"
	    "  AND (expires_at IS NULL OR expires_at >= ?5)))"
	    " ORDER BY expires_at IS NOT NULL AND expires_at < ?5,"
	    " entry_id <> ?2 AND lot_id NOT IN own,"
	    " expires_at IS NULL, expires_at, lot_id");
	char next[20];
	sqlite3_stmt *take, *move;
	int64_t taken = 0, lot[64], have[64];
	int n = 0, rc;

	if (!open)
		return -1;
	snprintf(next, sizeof(next), "%.10s 00:00:00", at);
	if (when_add_hours(next, 24, next) < 0)
		return loy_error("'%s' is not a time loy can count from", at);
	/* a batch of lots at a time: the cursor must not see its own updates */
	while (taken < points) {
		sqlite3_reset(open);
		sqlite3_bind_text(open, 1, member, -1, SQLITE_STATIC);
		sqlite3_bind_int64(open, 2, first);
		sqlite3_bind_text(open, 3, at, -1, SQLITE_STATIC);
		sqlite3_bind_int(open, 4, spend);
		sqlite3_bind_text(open, 5, next, -1, SQLITE_STATIC);
		for (n = 0; n < 64 && (rc = sqlite3_step(open)) == SQLITE_ROW; n++) {
			lot[n] = sqlite3_column_int64(open, 0);
			have[n] = sqlite3_column_int64(open, 1);
		}
		if (n < 64 && rc != SQLITE_DONE) {
			sqlite3_reset(open);
			return ledger_fail(l, "cannot read lots");
		}
		sqlite3_reset(open);
		if (n == 0)
			break;
		for (int i = 0; i < n && taken < points; i++) {
			int64_t t = have[i] < points - taken ? have[i] : points - taken;

			if (!(take = ledger_stmt(l, S_LOT_TAKE,
			    "UPDATE lots SET remaining = remaining - ?2 WHERE lot_id = ?1")))
				return -1;
			sqlite3_bind_int64(take, 1, lot[i]);
			sqlite3_bind_int64(take, 2, t);
			if (ledger_exec_stmt(l, take, "cannot take points from a lot") < 0)
				return -1;
			if (!(move = ledger_stmt(l, S_LOT_MOVE,
			    "INSERT INTO lot_moves(entry_id, lot_id, points) VALUES (?1, ?2, ?3)")))
				return -1;
			sqlite3_bind_int64(move, 1, entry);
			sqlite3_bind_int64(move, 2, lot[i]);
			sqlite3_bind_int64(move, 3, -t);
			if (ledger_exec_stmt(l, move, "cannot record a lot move") < 0)
				return -1;
			taken += t;
		}
	}
	return taken;
}

int64_t
ledger_lots_take(struct ledger *l, const char *member, int64_t points, int64_t entry,
    int64_t first, const char *at)
{
	return take_lots(l, member, points, entry, first, at, 0);
}

int64_t
ledger_lots_spend(struct ledger *l, const char *member, int64_t points, int64_t entry,
    const char *now)
{
	return take_lots(l, member, points, entry, 0, now, 1);
}

void
receipt_row_clear(struct receipt_row *r)
{
	free(r->txn_id);
	free(r->member_id);
	free(r->occurred_at);
	free(r->store);
	free(r->channel);
	free(r->status);
	free(r->orig_txn);
	free(r->digest);
	free(r->earn);
	memset(r, 0, sizeof(*r));
}

int
ledger_receipt_insert(struct ledger *l, const struct receipt_row *r)
{
	sqlite3_stmt *st = ledger_stmt_rebind(l, S_RECEIPT_INSERT,
	    "INSERT INTO receipts(txn_id, member_id, occurred_at, store, channel, amount,"
	    " lines, points, status, orig_txn, run_id, input_seq, entry_id, digest, earn,"
	    " returned_amount, unrecovered)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
	    " ?17)");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, r->txn_id, -1, SQLITE_STATIC);
	ledger_bind_static(st, 2, r->member_id);
	sqlite3_bind_text(st, 3, r->occurred_at, -1, SQLITE_STATIC);
	ledger_bind_static(st, 4, r->store);
	ledger_bind_static(st, 5, r->channel);
	sqlite3_bind_int64(st, 6, r->amount);
	sqlite3_bind_int64(st, 7, r->lines);
	sqlite3_bind_int64(st, 8, r->points);
	sqlite3_bind_text(st, 9, r->status, -1, SQLITE_STATIC);
	ledger_bind_static(st, 10, r->orig_txn);
	sqlite3_bind_int64(st, 11, l->run_id);
	sqlite3_bind_int(st, 12, r->input_seq);
	if (r->entry_id)
		sqlite3_bind_int64(st, 13, r->entry_id);
	else
		sqlite3_bind_null(st, 13);
	sqlite3_bind_blob(st, 14, r->digest, r->digest_len, SQLITE_STATIC);
	ledger_bind_static(st, 15, r->earn);
	sqlite3_bind_int64(st, 16, r->returned_amount);
	sqlite3_bind_int64(st, 17, r->unrecovered);
	return ledger_exec_stmt(l, st, "cannot record a receipt");
}

/* What a look-up through the cursor reads of a receipt: what tells a
 * duplicate; RECEIPT_COLS, the whole row, begins with the same. */
#define RECEIPT_SEEN_COLS "txn_id, member_id, occurred_at, run_id, input_seq, digest"
#define RECEIPT_COLS RECEIPT_SEEN_COLS ", store, channel, amount, lines, points, status," \
	" orig_txn, returned_amount, returned_points, coalesce(entry_id, 0), unrecovered"

/* The receipt on st's row (RECEIPT_SEEN_COLS first) into r: the columns
 * that tell a duplicate (r->txn_id left NULL). */
static void
receipt_seen_fill(sqlite3_stmt *st, struct receipt_row *r)
{
	receipt_row_clear(r);
	r->member_id = ledger_column_dup(st, 1);
	r->occurred_at = ledger_column_dup(st, 2);
	r->run_id = sqlite3_column_int64(st, 3);
	r->input_seq = sqlite3_column_int(st, 4);
	r->digest_len = sqlite3_column_bytes(st, 5);
	r->digest = loy_xmalloc(r->digest_len);
	memcpy(r->digest, sqlite3_column_blob(st, 5), r->digest_len);
}

/* The receipt on st's row (RECEIPT_COLS) into r. */
static void
receipt_fill(sqlite3_stmt *st, struct receipt_row *r)
{
	receipt_seen_fill(st, r);
	r->txn_id = ledger_column_dup(st, 0);
	r->store = ledger_column_dup(st, 6);
	r->channel = ledger_column_dup(st, 7);
	r->amount = sqlite3_column_int64(st, 8);
	r->lines = sqlite3_column_int64(st, 9);
	r->points = sqlite3_column_int64(st, 10);
	r->status = ledger_column_dup(st, 11);
	r->orig_txn = ledger_column_dup(st, 12);
	r->returned_amount = sqlite3_column_int64(st, 13);
	r->returned_points = sqlite3_column_int64(st, 14);
	r->entry_id = sqlite3_column_int64(st, 15);
	r->unrecovered = sqlite3_column_int64(st, 16);
}

int
ledger_receipt_get(struct ledger *l, const char *txn_id, struct receipt_row *r)
{
	sqlite3_stmt *st = ledger_stmt(l, S_RECEIPT_GET,
	    "SELECT " RECEIPT_COLS " FROM receipts WHERE txn_id = ?1");
	int got;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, txn_id, -1, SQLITE_STATIC);
	if ((got = ledger_step_one(l, st, "cannot read a receipt")) <= 0)
		return got;
	receipt_fill(st, r);
	sqlite3_reset(st);
	return 1;
}

struct ledger_seq *
ledger_receipt_seq(struct ledger *l)
{
	return ledger_seq_new(l, "SELECT " RECEIPT_SEEN_COLS " FROM receipts"
	    " WHERE txn_id >= ?1 ORDER BY txn_id", "cannot read a receipt");
}

int
ledger_receipt_seq_get(struct ledger_seq *s, const char *txn_id, struct receipt_row *r)
{
	/* exact: "not found" from a search, never from a cursor that a
	 * receipt this run added may have slipped past */
	int got = ledger_seq_find(s, txn_id, 1);

	if (got > 0)
		receipt_seen_fill(ledger_seq_row(s), r);
	return got;
}

void
ledger_receipt_seq_free(struct ledger_seq *s)
{
	ledger_seq_free(s);
}

int
ledger_receipt_last(struct ledger *l, char **id)
{
	return ledger_last_key(l, "SELECT txn_id, typeof(txn_id) = 'text'"
	    " FROM receipts ORDER BY txn_id DESC LIMIT 1", "cannot read receipts", id);
}

int
ledger_receipt_extend(struct ledger *l, const struct receipt_row *r, int64_t returned)
{
	sqlite3_stmt *st = ledger_stmt(l, S_RECEIPT_EXTEND,
	    "UPDATE receipts SET amount = ?2, lines = ?3, points = ?4, status = ?5,"
	    " entry_id = coalesce(entry_id, ?6), digest = ?7, occurred_at = ?8,"
	    " earn = ?9, returned_amount = returned_amount + ?10, unrecovered = ?11"
	    " WHERE txn_id = ?1");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, r->txn_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->amount);
	sqlite3_bind_int64(st, 3, r->lines);
	sqlite3_bind_int64(st, 4, r->points);
	sqlite3_bind_text(st, 5, r->status, -1, SQLITE_STATIC);
	if (r->entry_id)
		sqlite3_bind_int64(st, 6, r->entry_id);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_blob(st, 7, r->digest, r->digest_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->occurred_at, -1, SQLITE_STATIC);
	ledger_bind_text(st, 9, r->earn);
	sqlite3_bind_int64(st, 10, returned);
	sqlite3_bind_int64(st, 11, r->unrecovered);
	return ledger_exec_stmt(l, st, "cannot update a receipt");
}

int
ledger_receipt_returned(struct ledger *l, const char *txn_id, int64_t amount, int64_t points)
{
	sqlite3_stmt *st = ledger_stmt(l, S_RECEIPT_RETURNED,
	    "UPDATE receipts SET returned_amount = returned_amount + ?2,"
	    " returned_points = returned_points + ?3 WHERE txn_id = ?1");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, txn_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, amount);
	sqlite3_bind_int64(st, 3, points);
	return ledger_exec_stmt(l, st, "cannot record a return");
}

int
ledger_receipt_exchanged(struct ledger *l, const char *txn_id, int64_t *amount,
    int64_t *points)
{
	sqlite3_stmt *st = ledger_stmt(l, S_RECEIPT_EXCHANGED,
	    "SELECT " EXCHANGED("") ", " EXCHANGED_POINTS("")
	    " FROM receipts WHERE txn_id = ?1");
	int got;

	*amount = *points = 0;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, txn_id, -1, SQLITE_STATIC);
	if ((got = ledger_step_one(l, st, "cannot read a receipt")) <= 0)
		return got;
	*amount = sqlite3_column_int64(st, 0);
	*points = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return 0;
}

/*
 * The receipts of statement st (RECEIPT_COLS first), bound to `orig`, into
 * *v: elements of `size` bytes, each a struct receipt_row first (a struct
 * receipt_took, whose `took` is column took_col, when took_col is not
 * negative).  Their count, or -1 with *v NULL.
 */
static int
collect_receipts(struct ledger *l, sqlite3_stmt *st, const char *orig, void **v,
    size_t size, int took_col)
{
	int n = 0, cap = 0, rc;

	*v = NULL;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, orig, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *e;

		if (n == cap) {
			cap = cap ? 2 * cap : 4;
			*v = loy_xrealloc(*v, cap * size);
		}
		e = (char *)*v + n++ * size;
		memset(e, 0, size);
		receipt_fill(st, (struct receipt_row *)e);
		if (took_col >= 0)
			((struct receipt_took *)e)->took = sqlite3_column_int64(st, took_col);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return n;
	while (n > 0)
		receipt_row_clear((struct receipt_row *)((char *)*v + --n * size));
	free(*v);
	*v = NULL;
	return ledger_fail(l, "cannot read receipts");
}

int
ledger_receipt_returns(struct ledger *l, const char *orig, struct receipt_took **v)
{
	sqlite3_stmt *st = ledger_stmt(l, S_RECEIPT_RETURNS,
	    "SELECT " RECEIPT_COLS ", CASE WHEN amount < 0 THEN -returned_amount"
	    "  ELSE " EXCHANGED("") " END FROM receipts"
	    " WHERE orig_txn = ?1 AND orig_txn IS NOT NULL AND member_id IS NOT NULL"
	    "  AND (amount < 0 OR " EXCHANGED("") " > 0)"
	    " ORDER BY run_id, input_seq, txn_id");

	return collect_receipts(l, st, orig, (void **)v, sizeof(**v), 17);
}

void
receipt_took_free(struct receipt_took *v, int n)
{
	for (int i = 0; i < n; i++)
		receipt_row_clear(&v[i].r);
	free(v);
}

int
ledger_receipt_give_back(struct ledger *l, const char *txn_id, int64_t amount)
{
	sqlite3_stmt *st = ledger_stmt(l, S_RECEIPT_GIVE_BACK,
	    "UPDATE receipts SET returned_amount = returned_amount + ?2,"
	    " earn = CASE WHEN " EXCHANGED("") " > 0"
	    "  THEN json_set(earn, '$.returned', " EXCHANGED("") " - ?2) ELSE earn END"
	    " WHERE txn_id = ?1");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, txn_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, amount);
	return ledger_exec_stmt(l, st, "cannot record a return");
}

int
ledger_receipt_took(struct ledger *l, const char *txn_id, int64_t points, int64_t entry)
{
	sqlite3_stmt *st = ledger_stmt(l, S_RECEIPT_TOOK,
	    "UPDATE receipts SET points = points - ?2, entry_id = coalesce(entry_id, ?3),"
	    " unrecovered = max(unrecovered - ?2, 0) WHERE txn_id = ?1");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, txn_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, points);
	sqlite3_bind_int64(st, 3, entry);
	return ledger_exec_stmt(l, st, "cannot record a return");
}

int64_t
ledger_unrecovered_take(struct ledger *l, const char *member, int64_t credit, int64_t from,
    const char *at, int64_t after_run, void (*fn)(void *ctx, const char *txn, int64_t points),
    void *ctx)
{
	sqlite3_stmt *st = ledger_stmt(l, S_RECEIPT_UNRECOVERED,
	    "SELECT txn_id, unrecovered, occurred_at FROM receipts WHERE member_id = ?1"
	    " AND unrecovered > 0 AND amount < 0 AND earn IS NULL AND run_id > ?2"
	    " ORDER BY occurred_at, run_id, input_seq, txn_id");
	struct { char *txn, *at; int64_t owed; } *v = NULL;
	int64_t balance, taken = 0;
	size_t n = 0, cap = 0;
	int rc;

	if (!st || ledger_balance_get(l, member, &balance) < 0)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after_run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4;
			v = loy_xrealloc(v, cap * sizeof(*v));
		}
		v[n].txn = ledger_column_dup(st, 0);
		v[n].owed = sqlite3_column_int64(st, 1);
		v[n++].at = ledger_column_dup(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		taken = ledger_fail(l, "cannot read receipts");
	if (credit > balance)
		credit = balance;
	for (size_t i = 0; i < n && taken >= 0 && credit > 0; i++) {
		int64_t take = v[i].owed < credit ? v[i].owed : credit, entry;
		/* not before the goods came back: the later of the two times */
		const char *when = strcmp(v[i].at, at) > 0 ? v[i].at : at;

		if ((entry = ledger_entry_add(l, member, "return", -take, when, "receipt", v[i].txn,
		    NULL)) < 0 || ledger_lots_take(l, member, take, entry, from, when) < 0 ||
		    ledger_receipt_took(l, v[i].txn, take, entry) < 0) {
			taken = -1;
			break;
		}
		if (fn)
			fn(ctx, v[i].txn, take);
		credit -= take;
		taken += take;
	}
	for (size_t i = 0; i < n; i++) {
		free(v[i].txn);
		free(v[i].at);
	}
	free(v);
	return taken;
}

/* The terms of the index receipts_unlinked, which a query must repeat for
 * SQLite to use it; the list of them names it, as SQLite, without
 * statistics, may take receipts_orig, which holds every return. */
#define UNLINKED "orig_txn IS NOT NULL AND amount < 0 AND returned_amount = 0"

int
ledger_receipt_unlinked_origs(struct ledger *l, ledger_row_fn fn, void *ctx)
{
	return ledger_visit_sql(l, "SELECT DISTINCT orig_txn FROM receipts"
	    " INDEXED BY receipts_unlinked WHERE " UNLINKED, NULL, fn, ctx);
}

int
ledger_receipt_unlinked(struct ledger *l, const char *orig, struct receipt_row **v)
{
	sqlite3_stmt *st = ledger_stmt(l, S_RECEIPT_UNLINKED,
	    "SELECT " RECEIPT_COLS " FROM receipts"
	    " WHERE orig_txn = ?1 AND " UNLINKED " AND member_id IS NOT NULL"
	    " ORDER BY run_id, input_seq, txn_id");

	return collect_receipts(l, st, orig, (void **)v, sizeof(**v), -1);
}

/* An open lot past its date before `before` (?N) that was there then: made
 * by an entry (a purchase, a cancelled redemption, a merge, a transfer)
 * that happened before it too, unless ?A is NULL: then whenever it came. */
#define EXPIRED_BY(N, A) "remaining > 0 AND expires_at IS NOT NULL AND expires_at < " N \
	" AND (" A " IS NULL OR (SELECT j.occurred_at FROM journal j" \
	" WHERE j.entry_id = lots.entry_id) < " A ")"
#define EXPIRED(N) EXPIRED_BY(N, N)

/* Members with open lots expiring before `before`, into *ids (caller frees
 * each and the array): their count, or -1. */
int
ledger_expiry_due(struct ledger *l, const char *before, char ***ids)
{
	sqlite3_stmt *st;

	*ids = NULL;
	if (sqlite3_prepare_v2(l->db, "SELECT DISTINCT member_id FROM lots"
	    " WHERE " EXPIRED("?1") " ORDER BY member_id", -1, &st, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot prepare statement");
	sqlite3_bind_text(st, 1, before, -1, SQLITE_STATIC);
	return ledger_column_strings(l, st, "cannot read lots", ids);
}

int
ledger_expire_member(struct ledger *l, const char *member, const char *before,
    int held, const char *occurred_at, const char *ref, int64_t *points, long *lots)
{
	sqlite3_stmt *st = ledger_stmt(l, S_EXPIRY_SUM,
	    "SELECT coalesce(sum(remaining), 0), count(*) FROM lots WHERE member_id = ?1"
	    " AND " EXPIRED_BY("?2", "?4"));
	const char *arrived = held ? NULL : before;
	int64_t entry;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, before, -1, SQLITE_STATIC);
	ledger_bind_static(st, 4, arrived);
	rc = sqlite3_step(st);
	*points = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	*lots = rc == SQLITE_ROW ? sqlite3_column_int(st, 1) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return ledger_fail(l, "cannot read lots");
	if (*points == 0)
		return 0;
	if ((entry = ledger_entry_add(l, member, "expire", -*points, occurred_at, "expiry", ref,
	    NULL)) < 0)
		return -1;
	if (!(st = ledger_stmt(l, S_EXPIRY_MOVES,
	    "INSERT INTO lot_moves(entry_id, lot_id, points) SELECT ?3, lot_id, -remaining"
	    " FROM lots WHERE member_id = ?1 AND " EXPIRED_BY("?2", "?4"))))
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, before, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, entry);
	ledger_bind_static(st, 4, arrived);
	if (ledger_exec_stmt(l, st, "cannot record expired lots") < 0)
		return -1;
	if (!(st = ledger_stmt(l, S_EXPIRY_LOTS,
	    "UPDATE lots SET remaining = 0 WHERE member_id = ?1 AND "
	    EXPIRED_BY("?2", "?4"))))
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, before, -1, SQLITE_STATIC);
	ledger_bind_static(st, 4, arrived);
	return ledger_exec_stmt(l, st, "cannot expire lots");
}

int
ledger_expiry_owed(struct ledger *l, const char *member, const char *before,
    int64_t *in_date, int64_t *due, char latest[static 20])
{
	sqlite3_stmt *st = ledger_stmt(l, S_EXPIRY_OWED,
	    "SELECT coalesce(sum(CASE WHEN expires_at IS NULL OR expires_at >= ?2"
	    "  THEN remaining END), 0),"
	    " coalesce(sum(CASE WHEN " EXPIRED_BY("?2", "NULL") " THEN remaining END), 0),"
	    " max(CASE WHEN " EXPIRED_BY("?2", "NULL") " THEN expires_at END)"
	    " FROM lots WHERE member_id = ?1 AND remaining > 0");
	const unsigned char *t;
	int got;

	*in_date = *due = 0;
	latest[0] = '\0';
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, before, -1, SQLITE_STATIC);
	if ((got = ledger_step_one(l, st, "cannot read lots")) <= 0)
		return got;
	*in_date = sqlite3_column_int64(st, 0);
	*due = sqlite3_column_int64(st, 1);
	if ((t = sqlite3_column_text(st, 2)))
		snprintf(latest, 20, "%s", (const char *)t);
	sqlite3_reset(st);
	return 0;
}

/* The points expiring from `from` to before `to`, by member: a merged
 * member holds no lots, and a forgotten one is not listed (an erasure
 * request: no one to tell), though its lots stay in the books. */
int
ledger_list_expiring(struct ledger *l, const char *from, const char *to, ledger_row_fn fn,
    void *ctx)
{
	const char *const range[] = { from, to, NULL };

	return ledger_visit_sql(l,
	    "SELECT m.member_id, m.name, m.phone, m.email, sum(o.remaining) AS points,"
	    " min(o.expires_at) AS first_expiry, m.status"
	    " FROM lots o JOIN members m USING (member_id)"
	    " WHERE o.remaining > 0 AND o.expires_at >= ?1 AND o.expires_at < ?2"
	    "  AND m.status <> 'merged' AND m.forgotten_at IS NULL"
	    " GROUP BY m.member_id ORDER BY first_expiry, m.member_id", range, fn, ctx);
}
