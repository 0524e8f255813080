/* The reward catalogue and redemptions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ledger_int.h"
#include "when.h"

const char *const reward_field_names[RW_COUNT] = {
	"reward_id", "name", "points", "cash_price", "stock", "partner", "partner_cost",
	"tiers", "segments", "valid_from", "valid_to", "per_member_limit",
};

#define REWARD_COLUMNS "reward_id, name, points, cash_price, stock, partner_id," \
	" partner_cost, tiers, segments, valid_from, valid_to, per_member_limit"

void
reward_clear(struct reward *r)
{
	for (int i = 0; i < RW_COUNT; i++) {
		free(r->v[i]);
		r->v[i] = NULL;
	}
}

int
ledger_reward_get(struct ledger *l, const char *id, struct reward *r)
{
	sqlite3_stmt *st = ledger_stmt(l, S_REWARD_GET,
	    "SELECT " REWARD_COLUMNS " FROM rewards WHERE reward_id = ?1");
	int got;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((got = ledger_step_one(l, st, "cannot read a reward")) <= 0)
		return got;
	reward_clear(r);
	for (int i = 0; i < RW_COUNT; i++)
		r->v[i] = ledger_column_dup(st, i);
	sqlite3_reset(st);
	return 1;
}

static void
bind_reward(sqlite3_stmt *st, const struct reward *r, int64_t run)
{
	for (int i = 0; i < RW_COUNT; i++)
		ledger_bind_text(st, i + 1, r->v[i]);
	sqlite3_bind_int64(st, RW_COUNT + 1, run);
}

int
ledger_reward_put(struct ledger *l, const struct reward *r)
{
	struct reward old = { { 0 } };
	sqlite3_stmt *st;
	int got = ledger_reward_get(l, r->v[RW_ID], &old), same = 1;

	if (got < 0)
		return -1;
	for (int i = 0; got && i < RW_COUNT; i++)
		same &= (!old.v[i] && !r->v[i]) ||
		    (old.v[i] && r->v[i] && strcmp(old.v[i], r->v[i]) == 0);
	reward_clear(&old);
	if (got && same)
		return 0;
	if (r->v[RW_PARTNER]) {
		if (!(st = ledger_stmt(l, S_PARTNER_PUT,
		    "INSERT INTO partners(partner_id, updated_run) VALUES (?1, ?2)"
		    " ON CONFLICT(partner_id) DO NOTHING")))
			return -1;
		sqlite3_bind_text(st, 1, r->v[RW_PARTNER], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, l->run_id);
		if (ledger_exec_stmt(l, st, "cannot store a partner") < 0)
			return -1;
	}
	st = got ? ledger_stmt(l, S_REWARD_UPDATE,
	    "UPDATE rewards SET name = ?2, points = ?3, cash_price = ?4, stock = ?5,"
	    " partner_id = ?6, partner_cost = ?7, tiers = ?8, segments = ?9, valid_from = ?10,"
	    " valid_to = ?11, per_member_limit = ?12, updated_run = ?13 WHERE reward_id = ?1") :
	    ledger_stmt(l, S_REWARD_INSERT,
	    "INSERT INTO rewards(" REWARD_COLUMNS ", updated_run) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
	if (!st)
		return -1;
	bind_reward(st, r, l->run_id);
	if (ledger_exec_stmt(l, st, "cannot store a reward") < 0)
		return -1;
	return got ? 2 : 1;
}

int
ledger_list_rewards(struct ledger *l, ledger_row_fn fn, void *ctx)
{
	return ledger_visit_sql(l, "SELECT reward_id, name, points, cash_price, stock,"
	    " partner_id AS partner, partner_cost, tiers, segments, valid_from, valid_to,"
	    " per_member_limit FROM rewards ORDER BY reward_id", NULL, fn, ctx);
}

int
ledger_reward_stock(struct ledger *l, const char *id, int64_t delta)
{
	/* a cancel puts the qty back: past the largest integer SQLite would
	 * make the sum a float, so the stock stays at that */
	sqlite3_stmt *st = ledger_stmt(l, S_REWARD_STOCK,
	    "UPDATE rewards SET stock = CASE WHEN ?2 > 0 AND stock > 9223372036854775807 - ?2"
	    " THEN 9223372036854775807 ELSE stock + ?2 END"
	    " WHERE reward_id = ?1 AND stock IS NOT NULL");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, delta);
	return ledger_exec_stmt(l, st, "cannot change a reward's stock");
}

void
redemption_clear(struct redemption *r)
{
	free(r->request_id);
	free(r->member_id);
	free(r->reward_id);
	free(r->requested_at);
	free(r->channel);
	free(r->status);
	free(r->reason);
	free(r->voucher);
	free(r->partner_id);
	memset(r, 0, sizeof(*r));
}

int
ledger_redemption_get(struct ledger *l, const char *request_id, struct redemption *r)
{
	sqlite3_stmt *st = ledger_stmt(l, S_REDEMPTION_GET,
	    "SELECT request_id, member_id, reward_id, qty, requested_at, channel, status,"
	    " reason, points, voucher, coalesce(entry_id, 0), coalesce(cancel_entry, 0), run_id,"
	    " partner_id, coalesce(partner_cost, -1) FROM redemptions WHERE request_id = ?1");
	int got;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, request_id, -1, SQLITE_STATIC);
	if ((got = ledger_step_one(l, st, "cannot read a redemption")) <= 0)
		return got;
	redemption_clear(r);
	r->request_id = ledger_column_dup(st, 0);
	r->member_id = ledger_column_dup(st, 1);
	r->reward_id = ledger_column_dup(st, 2);
	r->qty = sqlite3_column_int64(st, 3);
	r->requested_at = ledger_column_dup(st, 4);
	r->channel = ledger_column_dup(st, 5);
	r->status = ledger_column_dup(st, 6);
	r->reason = ledger_column_dup(st, 7);
	r->points = sqlite3_column_int64(st, 8);
	r->voucher = ledger_column_dup(st, 9);
	r->entry_id = sqlite3_column_int64(st, 10);
	r->cancel_entry = sqlite3_column_int64(st, 11);
	r->run_id = sqlite3_column_int64(st, 12);
	r->partner_id = ledger_column_dup(st, 13);
	r->partner_cost = sqlite3_column_int64(st, 14);
	sqlite3_reset(st);
	return 1;
}

int
ledger_redemption_last(struct ledger *l, char **id)
{
	return ledger_last_key(l, "SELECT request_id, typeof(request_id) = 'text'"
	    " FROM redemptions ORDER BY request_id DESC LIMIT 1", "cannot read redemptions", id);
}

#define REDEMPTION_INSERT "INTO redemptions(request_id, member_id, reward_id, qty," \
	" requested_at, channel, status, reason, points, voucher, entry_id, run_id," \
	" partner_id, partner_cost) VALUES "
#define REDEMPTION_PARAMS 14

/* Binds r's values to ?base+1 .. ?base+REDEMPTION_PARAMS, without copies. */
static void
bind_redemption(struct ledger *l, sqlite3_stmt *st, int base, const struct redemption *r)
{
	sqlite3_bind_text(st, base + 1, r->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, base + 2, r->member_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, base + 3, r->reward_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, base + 4, r->qty);
	sqlite3_bind_text(st, base + 5, r->requested_at, -1, SQLITE_STATIC);
	ledger_bind_static(st, base + 6, r->channel);
	sqlite3_bind_text(st, base + 7, r->status, -1, SQLITE_STATIC);
	ledger_bind_static(st, base + 8, r->reason);
	sqlite3_bind_int64(st, base + 9, r->points);
	ledger_bind_static(st, base + 10, r->voucher);
	if (r->entry_id)
		sqlite3_bind_int64(st, base + 11, r->entry_id);
	else
		sqlite3_bind_null(st, base + 11);
	sqlite3_bind_int64(st, base + 12, l->run_id);
	ledger_bind_static(st, base + 13, r->partner_id);
	if (r->partner_id && r->partner_cost >= 0)
		sqlite3_bind_int64(st, base + 14, r->partner_cost);
	else
		sqlite3_bind_null(st, base + 14);
}

int
ledger_redemptions_insert(struct ledger *l, const struct redemption *r, int n, int *failed)
{
	/* OR FAIL: a row refused fails the run, which is rolled back whole,
	 * so the statement needs no journal of its own to undo the rows
	 * before it (ABORT's) */
	static const char head[] = "INSERT OR FAIL " REDEMPTION_INSERT;
	sqlite3_stmt *st;

	*failed = -1;
	for (int k, done = 0; n > 0; n -= k, r += k, done += k) {
		k = n < LEDGER_REDEMPTION_ROWS ? n : LEDGER_REDEMPTION_ROWS;
		if (!(st = ledger_stmt_rows(l, S_REDEMPTIONS_INSERT, head,
		    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", k)))
			return -1;
		for (int i = 0; i < k; i++)
			bind_redemption(l, st, i * REDEMPTION_PARAMS, &r[i]);
		if (ledger_exec_stmt(l, st, "cannot record a redemption") < 0) {
			/* OR FAIL keeps the rows before the one refused: as
			 * many as the statement changed */
			if ((l->rc & 0xff) == SQLITE_CONSTRAINT)
				*failed = done + sqlite3_changes(l->db);
			return -1;
		}
	}
	return 0;
}

int
ledger_redeemed_units(struct ledger *l, const char *member, const char *reward,
    int64_t *units)
{
	sqlite3_stmt *st = ledger_stmt(l, S_REDEEMED_UNITS,
	    "WITH RECURSIVE ids(id) AS (SELECT ?1 UNION"
	    " SELECT m.member_id FROM members m JOIN ids ON m.merged_into = ids.id)"
	    " SELECT coalesce(sum(qty), 0) FROM redemptions WHERE member_id IN ids"
	    " AND reward_id = ?2 AND status = 'redeemed'");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, reward, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*units = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : ledger_fail(l, "cannot read redemptions");
}

int
ledger_spendable(struct ledger *l, const char *member, const char *now, int64_t *points)
{
	sqlite3_stmt *st = ledger_stmt(l, S_SPENDABLE,
	    "SELECT CASE WHEN coalesce((SELECT points FROM balances WHERE member_id = ?1),"
	    " 0) < 0 THEN 0 ELSE coalesce((SELECT sum(remaining) FROM lots"
	    " WHERE member_id = ?1 AND remaining > 0"
	    "  AND (available_at IS NULL OR available_at <= ?2)"
	    "  AND (expires_at IS NULL OR expires_at >= date(?2, '+1 day'))), 0) END");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*points = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : ledger_fail(l, "cannot read a balance");
}

int
ledger_lots_to_spend(struct ledger *l, const char *member, const char *now,
    struct lot_pick **lots, size_t *n, size_t *cap, int64_t *sum)
{
	/* in the index's order, lots that never expire first: no sort a member */
	sqlite3_stmt *st = ledger_stmt(l, S_LOTS_TO_SPEND,
	    "SELECT lot_id, remaining, expires_at IS NULL FROM lots WHERE member_id = ?1"
	    " AND remaining > 0 AND (available_at IS NULL OR available_at <= ?2)"
	    " AND (expires_at IS NULL OR expires_at >= ?3) ORDER BY expires_at, lot_id");
	/* a lot expires on its date, whatever the time: ?3 is the next day,
	 * worked out once for a run's `now` */
	static char day[11], next[20];
	size_t never = 0;
	int rc;

	*n = 0;
	*sum = 0;
	if (!st)
		return -1;
	if (!*day || strncmp(day, now, 10) != 0) {
		snprintf(next, sizeof(next), "%.10s 00:00:00", now);
		if (when_add_hours(next, 24, next) < 0) {
			*day = '\0';
			return loy_error("'%s' is not a time loy can count from", now);
		}
		snprintf(day, sizeof(day), "%.10s", now);
	}
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, next, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 8;
			*lots = loy_xrealloc(*lots, *cap * sizeof(**lots));
		}
		(*lots)[*n].lot_id = sqlite3_column_int64(st, 0);
		(*lots)[*n].remaining = sqlite3_column_int64(st, 1);
		never += sqlite3_column_int(st, 2);
		if (__builtin_add_overflow(*sum, (*lots)[*n].remaining, sum)) {
			sqlite3_reset(st);
			return loy_error("member '%s': open lots add up past what loy can count",
			    member);
		}
		++*n;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return ledger_fail(l, "cannot read lots");
	/* those that never expire are spent last */
	if (never && never < *n) {
		struct lot_pick *head = loy_xmalloc(never * sizeof(*head));

		memcpy(head, *lots, never * sizeof(*head));
		memmove(*lots, *lots + never, (*n - never) * sizeof(*head));
		memcpy(*lots + *n - never, head, never * sizeof(*head));
		free(head);
	}
	return 0;
}

int64_t
ledger_lots_move(struct lot_pick *lots, size_t n, int64_t points, int64_t entry,
    struct lot_move **moves, size_t *nmoves, size_t *cap)
{
	int64_t taken = 0;

	for (size_t i = 0; i < n && taken < points; i++) {
		int64_t t = lots[i].remaining < points - taken ? lots[i].remaining :
		    points - taken;

		if (t <= 0)
			continue;
		if (*nmoves == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			*moves = loy_xrealloc(*moves, *cap * sizeof(**moves));
		}
		(*moves)[(*nmoves)++] = (struct lot_move){ entry, lots[i].lot_id, -t };
		lots[i].remaining -= t;
		taken += t;
	}
	return taken;
}

int
ledger_lot_moves_insert(struct ledger *l, const struct lot_move *m, size_t n)
{
	sqlite3_stmt *st;

	for (size_t k; n > 0; n -= k, m += k) {
		k = n < LEDGER_LOT_MOVE_ROWS ? n : LEDGER_LOT_MOVE_ROWS;
		/* OR FAIL, as for redemptions */
		if (!(st = ledger_stmt_rows(l, S_LOT_MOVES, "INSERT OR FAIL INTO lot_moves(entry_id,"
		    " lot_id, points) VALUES ", "(?, ?, ?)", (int)k)))
			return -1;
		for (size_t i = 0; i < k; i++) {
			sqlite3_bind_int64(st, 3 * i + 1, m[i].entry_id);
			sqlite3_bind_int64(st, 3 * i + 2, m[i].lot_id);
			sqlite3_bind_int64(st, 3 * i + 3, m[i].points);
		}
		if (ledger_exec_stmt(l, st, "cannot record a lot move") < 0)
			return -1;
	}
	return 0;
}

int
ledger_lots_settle(struct ledger *l, const struct lot_pick *lots, int64_t *was, size_t n)
{
	sqlite3_stmt *take;

	for (size_t i = 0; i < n; i++) {
		if (lots[i].remaining == was[i])
			continue;
		if (!(take = ledger_stmt(l, S_LOT_TAKE,
		    "UPDATE lots SET remaining = remaining - ?2 WHERE lot_id = ?1")))
			return -1;
		sqlite3_bind_int64(take, 1, lots[i].lot_id);
		sqlite3_bind_int64(take, 2, was[i] - lots[i].remaining);
		if (ledger_exec_stmt(l, take, "cannot take points from a lot") < 0)
			return -1;
		if (sqlite3_changes(l->db) != 1)
			return loy_error("lot %lld is not there to take from",
			    (long long)lots[i].lot_id);
		was[i] = lots[i].remaining;
	}
	return 0;
}

/* Lots for `member` under `entry`, one for each lot that entry `taken`
 * took points from, with that lot's dates: what a cancel or a transfer
 * gives back or passes on.  `balance` is the member's before it.  0 or -1. */
static int
relot(struct ledger *l, int64_t taken, const char *member, int64_t entry, int64_t balance,
    const char *what)
{
	sqlite3_stmt *st;
	int rc;

	if (!(st = ledger_prepare(l, "SELECT o.earned_at, o.expires_at, o.available_at,"
	    " -m.points FROM lot_moves m JOIN lots o USING (lot_id) WHERE m.entry_id = ?1"
	    " ORDER BY o.lot_id")))
		return -1;
	sqlite3_bind_int64(st, 1, taken);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *earned = ledger_column_dup(st, 0), *expires = ledger_column_dup(st, 1), *avail = ledger_column_dup(st, 2);
		int64_t pts = sqlite3_column_int64(st, 3);
		int bad = ledger_lot_add(l, member, entry, earned, expires, avail, pts,
		    balance) < 0;

		free(earned);
		free(expires);
		free(avail);
		balance += pts;
		if (bad) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ledger_fail(l, what);
}

int
ledger_redemption_cancel(struct ledger *l, const struct redemption *r, const char *at,
    int64_t *entry)
{
	sqlite3_stmt *st;
	char *member = NULL;
	int64_t balance;
	int rc;

	/* the member the redemption's id stands for now (merges) */
	if ((rc = ledger_member_resolve(l, r->member_id, &member)) <= 0)
		return rc < 0 ? -1 : loy_error("member '%s' is gone", r->member_id);
	if (ledger_balance_get(l, member, &balance) < 0 ||
	    (*entry = ledger_entry_add(l, member, "cancel", r->points, at, "redemption",
	    r->request_id, NULL)) < 0) {
		free(member);
		return -1;
	}
	/* the points come back with the dates of the lots they left, paying
	 * any debt first */
	rc = relot(l, r->entry_id, member, *entry, balance, "cannot restore lots");
	free(member);
	if (rc < 0)
		return -1;
	if (ledger_reward_stock(l, r->reward_id, r->qty) < 0)
		return -1;
	if (!(st = ledger_prepare(l, "UPDATE redemptions SET status = 'cancelled',"
	    " cancel_entry = ?2 WHERE request_id = ?1")))
		return -1;
	sqlite3_bind_text(st, 1, r->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, *entry);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ledger_fail(l, "cannot cancel a redemption");
}

/* ---------------------------------------------------------------- code pools */

int
ledger_code_add(struct ledger *l, const char *reward, const char *code, char **other)
{
	/* a pool's code first: one handed out is a voucher too */
	sqlite3_stmt *st = ledger_stmt(l, S_CODE_GET,
	    "SELECT reward_id, 1 FROM reward_codes WHERE code = ?1"
	    " UNION ALL SELECT request_id, 0 FROM redemptions WHERE voucher = ?1 LIMIT 1");
	int rc, pool = 0;

	*other = NULL;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*other = ledger_column_dup(st, 0);
		pool = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_fail(l, "cannot read a code pool");
	if (rc == SQLITE_ROW) {
		/* in this reward's pool already: loaded before */
		if (pool && strcmp(*other, reward) == 0) {
			free(*other);
			*other = NULL;
			return 0;
		}
		return pool ? 2 : 3;
	}
	if (!(st = ledger_stmt(l, S_CODE_PUT,
	    "INSERT INTO reward_codes(code, reward_id, seq, loaded_run) VALUES (?1, ?2,"
	    " coalesce((SELECT max(seq) FROM reward_codes WHERE reward_id = ?2), 0) + 1, ?3)")))
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, reward, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, l->run_id);
	if (ledger_exec_stmt(l, st, "cannot add a code to a pool") < 0)
		return -1;
	return 1;
}

int
ledger_codes_take(struct ledger *l, const char *reward, int64_t n, const char *request,
    char **codes, int *pooled, int64_t *left)
{
	sqlite3_stmt *st = ledger_stmt(l, S_CODE_NEXT,
	    "SELECT code FROM reward_codes WHERE reward_id = ?1 AND request_id IS NULL"
	    " ORDER BY seq LIMIT ?2");
	char **got = NULL, *w;
	size_t len = 0;
	int64_t k = 0;
	int rc;

	*codes = NULL;
	*pooled = 0;
	*left = 0;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, reward, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, n);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		got = loy_xrealloc(got, (k + 1) * sizeof(*got));
		got[k] = ledger_column_dup(st, 0);
		len += strlen(got[k++]) + 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rc = ledger_fail(l, "cannot read a code pool");
		goto out;
	}
	if (k == 0) {
		if (!(st = ledger_stmt(l, S_CODE_ANY,
		    "SELECT EXISTS (SELECT 1 FROM reward_codes WHERE reward_id = ?1)")))
			return -1;
		sqlite3_bind_text(st, 1, reward, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		*pooled = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
		sqlite3_reset(st);
		return rc == SQLITE_ROW ? 0 : ledger_fail(l, "cannot read a code pool");
	}
	*pooled = 1;
	rc = 0;
	if (k < n) {
		*left = k;	/* the query stops at n: these are all there are */
		goto out;
	}
	*codes = w = loy_xmalloc(len);
	for (int64_t i = 0; i < k; i++) {
		if (!(st = ledger_stmt(l, S_CODE_TAKE,
		    "UPDATE reward_codes SET request_id = ?2 WHERE code = ?1"))) {
			rc = -1;
			goto out;
		}
		sqlite3_bind_text(st, 1, got[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, request, -1, SQLITE_STATIC);
		if (ledger_exec_stmt(l, st, "cannot hand out a code") < 0) {
			rc = -1;
			goto out;
		}
		w = stpcpy(w, got[i]);
		*w++ = i + 1 < k ? ' ' : '\0';
	}
	rc = 1;
out:
	for (int64_t i = 0; i < k; i++)
		free(got[i]);
	free(got);
	if (rc != 1) {
		free(*codes);
		*codes = NULL;
	}
	return rc;
}

int
ledger_list_codes(struct ledger *l, ledger_row_fn fn, void *ctx)
{
	return ledger_visit_sql(l, "SELECT c.reward_id, w.partner_id AS partner,"
	    " count(*) AS codes, count(c.request_id) AS used,"
	    " count(*) - count(c.request_id) AS left"
	    " FROM reward_codes c LEFT JOIN rewards w USING (reward_id)"
	    " GROUP BY c.reward_id ORDER BY c.reward_id", NULL, fn, ctx);
}

/* ---------------------------------------------------------------- transfers */

void
transfer_clear(struct transfer *t)
{
	free(t->transfer_id);
	free(t->from_member);
	free(t->to_member);
	free(t->requested_at);
	free(t->status);
	free(t->reason);
	memset(t, 0, sizeof(*t));
}

int
ledger_transfer_get(struct ledger *l, const char *id, struct transfer *t)
{
	sqlite3_stmt *st = ledger_stmt(l, S_TRANSFER_GET,
	    "SELECT transfer_id, from_member, to_member, points, requested_at, status, reason,"
	    " coalesce(from_entry, 0), coalesce(to_entry, 0), run_id FROM transfers"
	    " WHERE transfer_id = ?1");
	int got;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((got = ledger_step_one(l, st, "cannot read a transfer")) <= 0)
		return got;
	transfer_clear(t);
	t->transfer_id = ledger_column_dup(st, 0);
	t->from_member = ledger_column_dup(st, 1);
	t->to_member = ledger_column_dup(st, 2);
	t->points = sqlite3_column_int64(st, 3);
	t->requested_at = ledger_column_dup(st, 4);
	t->status = ledger_column_dup(st, 5);
	t->reason = ledger_column_dup(st, 6);
	t->from_entry = sqlite3_column_int64(st, 7);
	t->to_entry = sqlite3_column_int64(st, 8);
	t->run_id = sqlite3_column_int64(st, 9);
	sqlite3_reset(st);
	return 1;
}

int
ledger_transfer_insert(struct ledger *l, const struct transfer *t)
{
	sqlite3_stmt *st = ledger_stmt(l, S_TRANSFER_INSERT,
	    "INSERT INTO transfers(transfer_id, from_member, to_member, points, requested_at,"
	    " status, reason, from_entry, to_entry, run_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, t->transfer_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t->from_member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t->to_member, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, t->points);
	sqlite3_bind_text(st, 5, t->requested_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, t->status, -1, SQLITE_STATIC);
	ledger_bind_text(st, 7, t->reason);
	if (t->from_entry) {
		sqlite3_bind_int64(st, 8, t->from_entry);
		sqlite3_bind_int64(st, 9, t->to_entry);
	} else {
		sqlite3_bind_null(st, 8);
		sqlite3_bind_null(st, 9);
	}
	sqlite3_bind_int64(st, 10, l->run_id);
	return ledger_exec_stmt(l, st, "cannot record a transfer");
}

int
ledger_transfer_points(struct ledger *l, struct transfer *t, const char *now)
{
	int64_t balance;

	if ((t->from_entry = ledger_entry_add(l, t->from_member, "transfer", -t->points,
	    t->requested_at, "transfer", t->transfer_id, NULL)) < 0 ||
	    ledger_lots_spend(l, t->from_member, t->points, t->from_entry, now) != t->points ||
	    ledger_balance_get(l, t->to_member, &balance) < 0 ||
	    (t->to_entry = ledger_entry_add(l, t->to_member, "transfer", t->points,
	    t->requested_at, "transfer", t->transfer_id, NULL)) < 0)
		return -1;
	/* the receiver's lots: the giver's, with their dates */
	return relot(l, t->from_entry, t->to_member, t->to_entry, balance, "cannot move lots");
}

/* ---------------------------------------------------------------- rolling expiry */

/* The member's (?1) open lots not yet past their date at ?2. */
#define LOTS_ALIVE(key) key " = ?1 AND remaining > 0 AND expires_at IS NOT NULL" \
	" AND expires_at >= date(?2, '+1 day')"

int
ledger_lots_latest(struct ledger *l, const char *member, const char *at, char until[static 20])
{
	/* not the lots a transfer gave it: their dates are the giver's */
	sqlite3_stmt *st = ledger_stmt(l, S_LOTS_LATEST,
	    "SELECT max(expires_at) FROM lots WHERE " LOTS_ALIVE("member_id")
	    " AND NOT EXISTS (SELECT 1 FROM journal j WHERE j.entry_id = lots.entry_id"
	    "  AND j.kind = 'transfer')");
	const char *latest;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return ledger_fail(l, "cannot read lots");
	}
	latest = (const char *)sqlite3_column_text(st, 0);
	if (latest && strlen(latest) < 20 && strcmp(latest, until) > 0)
		strcpy(until, latest);
	sqlite3_reset(st);
	return 0;
}

int
ledger_last_activity(struct ledger *l, const char *member, char at[static 20])
{
	sqlite3_stmt *st = ledger_stmt(l, S_LAST_ACTIVITY,
	    "SELECT max(occurred_at) FROM journal WHERE member_id = ?1"
	    " AND (kind IN ('earn', 'adjust', 'bonus') AND points > 0"
	    "  OR kind = 'redeem' OR kind = 'transfer' AND points < 0)");
	const char *last;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return ledger_fail(l, "cannot read the journal");
	}
	last = (const char *)sqlite3_column_text(st, 0);
	rc = last && strlen(last) < 20;
	if (rc)
		strcpy(at, last);
	sqlite3_reset(st);
	return rc;
}

/* Statement st (?1 bound) moves its open lots on to until: 0 or -1. */
static int
lots_extend(struct ledger *l, sqlite3_stmt *st, const char *at, const char *until)
{
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, until, -1, SQLITE_STATIC);
	return ledger_exec_stmt(l, st, "cannot extend lots");
}

int
ledger_lots_extend(struct ledger *l, const char *member, const char *at, const char *until)
{
	sqlite3_stmt *st = ledger_stmt(l, S_LOTS_EXTEND, "UPDATE lots SET expires_at = ?3"
	    " WHERE " LOTS_ALIVE("member_id") " AND expires_at < ?3");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	return lots_extend(l, st, at, until);
}

int
ledger_entry_lots_extend(struct ledger *l, int64_t entry, const char *at, const char *until)
{
	sqlite3_stmt *st = ledger_stmt(l, S_ENTRY_LOTS_EXTEND, "UPDATE lots SET expires_at = ?3"
	    " WHERE " LOTS_ALIVE("entry_id") " AND expires_at < ?3");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, entry);
	return lots_extend(l, st, at, until);
}
