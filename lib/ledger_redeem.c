/* The reward catalogue and redemptions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ledger_int.h"

const char *const reward_field_names[RW_COUNT] = {
	"reward_id", "name", "points", "cash_price", "stock", "partner", "partner_cost",
	"tiers", "valid_from", "valid_to", "per_member_limit",
};

#define REWARD_COLUMNS "reward_id, name, points, cash_price, stock, partner_id," \
	" partner_cost, tiers, valid_from, valid_to, per_member_limit"

void
reward_clear(struct reward *r)
{
	for (int i = 0; i < RW_COUNT; i++) {
		free(r->v[i]);
		r->v[i] = NULL;
	}
}

static char *
col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? loy_xstrdup(s) : NULL;
}

int
ledger_reward_get(struct ledger *l, const char *id, struct reward *r)
{
	sqlite3_stmt *st = ledger_stmt(l, S_REWARD_GET,
	    "SELECT " REWARD_COLUMNS " FROM rewards WHERE reward_id = ?1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		reward_clear(r);
		for (int i = 0; i < RW_COUNT; i++)
			r->v[i] = col(st, i);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : ledger_fail(l, "cannot read a reward");
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
	    " partner_id = ?6, partner_cost = ?7, tiers = ?8, valid_from = ?9, valid_to = ?10,"
	    " per_member_limit = ?11, updated_run = ?12 WHERE reward_id = ?1") :
	    ledger_stmt(l, S_REWARD_INSERT,
	    "INSERT INTO rewards(" REWARD_COLUMNS ", updated_run) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
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
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(l->db, "SELECT reward_id, name, points, cash_price, stock,"
	    " partner_id AS partner, partner_cost, tiers, valid_from, valid_to, per_member_limit"
	    " FROM rewards ORDER BY reward_id", -1, &st, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot prepare statement");
	rc = ledger_visit(l, st, fn, ctx);
	sqlite3_finalize(st);
	return rc;
}

int
ledger_reward_stock(struct ledger *l, const char *id, int64_t delta)
{
	sqlite3_stmt *st = ledger_stmt(l, S_REWARD_STOCK,
	    "UPDATE rewards SET stock = stock + ?2 WHERE reward_id = ?1 AND stock IS NOT NULL");

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
	memset(r, 0, sizeof(*r));
}

int
ledger_redemption_get(struct ledger *l, const char *request_id, struct redemption *r)
{
	sqlite3_stmt *st = ledger_stmt(l, S_REDEMPTION_GET,
	    "SELECT request_id, member_id, reward_id, qty, requested_at, channel, status,"
	    " reason, points, voucher, coalesce(entry_id, 0), coalesce(cancel_entry, 0), run_id"
	    " FROM redemptions WHERE request_id = ?1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, request_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		redemption_clear(r);
		r->request_id = col(st, 0);
		r->member_id = col(st, 1);
		r->reward_id = col(st, 2);
		r->qty = sqlite3_column_int64(st, 3);
		r->requested_at = col(st, 4);
		r->channel = col(st, 5);
		r->status = col(st, 6);
		r->reason = col(st, 7);
		r->points = sqlite3_column_int64(st, 8);
		r->voucher = col(st, 9);
		r->entry_id = sqlite3_column_int64(st, 10);
		r->cancel_entry = sqlite3_column_int64(st, 11);
		r->run_id = sqlite3_column_int64(st, 12);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : ledger_fail(l, "cannot read a redemption");
}

int
ledger_redemption_insert(struct ledger *l, const struct redemption *r)
{
	sqlite3_stmt *st = ledger_stmt(l, S_REDEMPTION_INSERT,
	    "INSERT INTO redemptions(request_id, member_id, reward_id, qty, requested_at,"
	    " channel, status, reason, points, voucher, entry_id, run_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, r->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->member_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->reward_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->qty);
	sqlite3_bind_text(st, 5, r->requested_at, -1, SQLITE_STATIC);
	ledger_bind_text(st, 6, r->channel);
	sqlite3_bind_text(st, 7, r->status, -1, SQLITE_STATIC);
	ledger_bind_text(st, 8, r->reason);
	sqlite3_bind_int64(st, 9, r->points);
	ledger_bind_text(st, 10, r->voucher);
	if (r->entry_id)
		sqlite3_bind_int64(st, 11, r->entry_id);
	else
		sqlite3_bind_null(st, 11);
	sqlite3_bind_int64(st, 12, l->run_id);
	return ledger_exec_stmt(l, st, "cannot record a redemption");
}

int
ledger_redeemed_units(struct ledger *l, const char *member, const char *reward,
    int64_t *units)
{
	sqlite3_stmt *st = ledger_stmt(l, S_REDEEMED_UNITS,
	    "SELECT coalesce(sum(qty), 0) FROM redemptions WHERE member_id = ?1"
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
	if (sqlite3_prepare_v2(l->db, "SELECT o.earned_at, o.expires_at, o.available_at,"
	    " -m.points FROM lot_moves m JOIN lots o USING (lot_id) WHERE m.entry_id = ?1"
	    " ORDER BY o.lot_id", -1, &st, NULL) != SQLITE_OK) {
		free(member);
		return ledger_fail(l, "cannot prepare statement");
	}
	sqlite3_bind_int64(st, 1, r->entry_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *earned = col(st, 0), *expires = col(st, 1), *avail = col(st, 2);
		int64_t pts = sqlite3_column_int64(st, 3);
		int bad = ledger_lot_add(l, member, *entry, earned, expires, avail, pts,
		    balance) < 0;

		free(earned);
		free(expires);
		free(avail);
		balance += pts;
		if (bad) {
			sqlite3_finalize(st);
			free(member);
			return -1;
		}
	}
	sqlite3_finalize(st);
	free(member);
	if (rc != SQLITE_DONE)
		return ledger_fail(l, "cannot restore lots");
	if (ledger_reward_stock(l, r->reward_id, r->qty) < 0)
		return -1;
	if (sqlite3_prepare_v2(l->db, "UPDATE redemptions SET status = 'cancelled',"
	    " cancel_entry = ?2 WHERE request_id = ?1", -1, &st, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot prepare statement");
	sqlite3_bind_text(st, 1, r->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, *entry);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ledger_fail(l, "cannot cancel a redemption");
}
