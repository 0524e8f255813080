/* transfer: points given by one member to another (family pooling), for
 * loy-redeem --transfers, when the programme's `transfers` setting allows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "diag.h"
#include "expire.h"
#include "money.h"
#include "programme.h"
#include "redeem.h"
#include "when.h"

static const char *const fields[] = {
	"transfer_id", "from_member", "to_member", "points", "requested_at", NULL
};
enum { T_ID, T_FROM, T_TO, T_POINTS, T_AT, T_COUNT };
enum { X_TRANSFERRED, X_REFUSED, X_DUPLICATE };
static const struct batch_counter counters[] = {
	{ "transferred", BATCH_CHANGED }, { "refused", BATCH_CHANGED },
	{ "duplicate", BATCH_UNCHANGED }, { NULL, 0 }
};
static const char *const out_cols[] = {
	"transfer_id", "status", "reason", "points", NULL
};

struct transfers {
	struct ledger *l;
	int col[T_COUNT];
	char now[20];
	char limit[20];		/* now plus the programme's future tolerance */
};

static int
tr_file(void *ctx, struct batch *b)
{
	struct transfers *x = ctx;

	return batch_cols(b, fields, T_POINTS + 1, x->col);
}

static void
emit(struct batch *b, const char *id, const char *status, const char *reason,
    int64_t points)
{
	struct csvio_writer *out = batch_out(b);

	csvio_put(out, id);
	csvio_put(out, status);
	csvio_put(out, reason);
	csvio_put_int(out, points);
	csvio_end(out);
}

/* A member the transfer names, as it stands now (merges followed) and
 * active: 1 (*id replaced), 0 refused (*reason written), -1 error. */
static int
party(struct ledger *l, char **id, const char *role, char **reason)
{
	char *who = NULL;
	int closed, got;
	int64_t balance;

	if ((got = ledger_member_state(l, *id, &who, &closed, &balance)) < 0)
		return -1;
	if (!got) {
		*reason = loy_xprintf("unknown %s '%s'", role, *id);
		return 0;
	}
	free(*id);
	*id = who;
	if (closed) {
		*reason = loy_xprintf("membership '%s' is closed", who);
		return 0;
	}
	return 1;
}

/* What the points a transfer gives paid: a return's, added to its reason
 * (*(char **)ctx, NULL or allocated), whole however many returns it
 * paid. */
static void
transfer_paid(void *ctx, const char *txn, int64_t points)
{
	char **reason = ctx, *was = *reason;

	*reason = loy_xprintf("%s%s%lld of them go to return '%s', which a balance at zero "
	    "kept from taking them back", was ? was : "", was && *was ? "; " : "",
	    (long long)points, txn);
	free(was);
}

/* Decide and, when allowed, move the points.  0 or -1. */
static int
decide(struct transfers *x, struct transfer *t)
{
	char *reason = NULL, *from = NULL, *to = NULL;
	const char *allowed;
	int64_t spendable, paid;
	int got;

	t->status = loy_xstrdup("refused");
	/* the version in force when it was asked for, as for a redemption:
	 * the settings lag behind a version loaded ahead until loy-program
	 * apply runs */
	if (programme_setting_at(x->l, "transfers", t->requested_at, &allowed) < 0)
		return -1;
	if (strcmp(allowed, "yes") != 0) {
		reason = loy_xprintf("the programme version in force at %s does not allow "
		    "transfers", t->requested_at);
		goto refuse;
	}
	if (t->points <= 0) {
		reason = loy_xprintf("points must be 1 or more");
		goto refuse;
	}
	/* the ids as given, for the message: merged ones resolve */
	from = loy_xstrdup(t->from_member);
	to = loy_xstrdup(t->to_member);
	if ((got = party(x->l, &t->from_member, "member", &reason)) <= 0 ||
	    (got = party(x->l, &t->to_member, "member", &reason)) <= 0) {
		free(from);
		free(to);
		if (got < 0)
			return free(reason), -1;
		goto refuse;
	}
	if (strcmp(t->from_member, t->to_member) == 0)
		reason = loy_xprintf("'%s' and '%s' are one member%s%s%s", from, to,
		    strcmp(from, to) == 0 ? "" : ", '", strcmp(from, to) == 0 ? "" :
		    t->from_member, strcmp(from, to) == 0 ? "" : "'");
	free(from);
	free(to);
	if (reason)
		goto refuse;
	if (ledger_spendable(x->l, t->from_member, x->now, &spendable) < 0)
		return -1;
	if (spendable < t->points) {
		reason = loy_xprintf("%lld points to give, %lld spendable",
		    (long long)t->points, (long long)(spendable > 0 ? spendable : 0));
		goto refuse;
	}
	if (ledger_transfer_points(x->l, t, x->now) < 0 ||
	    expire_activity(x->l, t->from_member, t->requested_at) < 0)
		return -1;
	/* points the receiver's returns could not take back, for a balance at
	 * zero, come out of what it received first (the reason says so) */
	if ((paid = ledger_unrecovered_take(x->l, t->to_member, t->points, t->to_entry,
	    t->requested_at, 0, transfer_paid, &t->reason)) < 0)
		return -1;
	free(t->status);
	t->status = loy_xstrdup("transferred");
	return 0;
refuse:
	t->reason = reason;
	return 0;
}

/* Is an earlier transfer the same as t (member ids as given or as merged,
 * on either side: the ids kept may have been merged since too)? */
static int
same_transfer(struct ledger *l, const struct transfer *old, const struct transfer *t)
{
	const char *given[2] = { t->from_member, t->to_member };
	const char *kept[2] = { old->from_member, old->to_member };

	if (old->points != t->points)
		return 0;
	for (int i = 0; i < 2; i++) {
		int same;

		if (strcmp(given[i], kept[i]) == 0)
			continue;
		if ((same = ledger_member_same(l, given[i], kept[i])) <= 0)
			return same;
	}
	return 1;
}

static int
tr_row(void *ctx, struct batch *b, const struct csvio_row *row)
{
	struct transfers *x = ctx;
	struct transfer t = { 0 }, old = { 0 };
	const char *v;
	char at[20];
	int got, rc = -1;

	v = csvio_field(row, x->col[T_ID]);
	if (!*v)
		return batch_reject(b, row, "transfer_id is empty");
	if (batch_control_refused(b, row, "transfer_id", v, BATCH_NAME))
		return 1;
	if ((got = batch_points(b, row, "points", csvio_field(row, x->col[T_POINTS]),
	    &t.points)) != 0)
		return got;
	if (!*csvio_field(row, x->col[T_FROM]))
		return batch_reject(b, row, "from_member is empty");
	if (!*csvio_field(row, x->col[T_TO]))
		return batch_reject(b, row, "to_member is empty");
	if ((got = batch_id(b, row, "from_member", csvio_field(row, x->col[T_FROM]))) != 0 ||
	    (got = batch_id(b, row, "to_member", csvio_field(row, x->col[T_TO]))) != 0)
		return got;
	v = csvio_field(row, x->col[T_AT]);
	if (!*v)
		memcpy(at, x->now, sizeof(at));
	else if (batch_datetime(b, row, "requested_at", v, x->limit, at))
		return 1;
	t.transfer_id = loy_xstrdup(csvio_field(row, x->col[T_ID]));
	t.from_member = loy_xstrdup(csvio_field(row, x->col[T_FROM]));
	t.to_member = loy_xstrdup(csvio_field(row, x->col[T_TO]));
	t.requested_at = loy_xstrdup(at);

	/* a transfer sent again gets its first answer */
	if ((got = ledger_transfer_get(x->l, t.transfer_id, &old)) < 0)
		goto out;
	if (got) {
		if ((got = same_transfer(x->l, &old, &t)) < 0)
			goto out;
		if (got) {
			batch_count(b, X_DUPLICATE);
			emit(b, old.transfer_id, old.status, old.reason,
			    strcmp(old.status, "transferred") == 0 ? old.points : 0);
		} else {
			batch_count(b, X_REFUSED);
			emit(b, t.transfer_id, "refused",
			    "transfer_id was used before for another transfer", 0);
		}
		rc = 0;
		goto out;
	}
	if (decide(x, &t) < 0 || ledger_transfer_insert(x->l, &t) < 0)
		goto out;
	batch_count(b, t.from_entry ? X_TRANSFERRED : X_REFUSED);
	emit(b, t.transfer_id, t.status, t.reason, t.from_entry ? t.points : 0);
	rc = 0;
out:
	transfer_clear(&t);
	transfer_clear(&old);
	return rc;
}

/* Does some version of the programme in force by `limit` (a request may
 * be dated no later) allow transfers?  1, 0 or -1; *now: the setting of
 * the version in force at `at`. */
static int
ever_allowed(struct ledger *l, const char *at, const char *limit, const char **now)
{
	const struct programme *v;
	int n, ever = 0;
	char buf[8];

	if (programme_setting_at(l, "transfers", at, now) < 0 ||
	    ledger_versions(l, &v, &n) < 0)
		return -1;
	for (int i = 0; i < n && !ever && strcmp(v[i].effective_from, limit) <= 0; i++)
		ever = strcmp(programme_value(&v[i], "transfers", buf, sizeof(buf)), "yes") == 0;
	return ever;
}

/* As the run's transaction begins, from the programme as the ledger holds
 * it then: the latest time a request may give, and whether any version
 * allows transfers at all (else the run is refused whole).  0 or -1. */
static int
tr_begin(void *ctx)
{
	struct transfers *x = ctx;
	const char *now;
	int ever;

	memcpy(x->now, ledger_run_now(x->l), sizeof(x->now));
	when_add_hours(x->now, atol(ledger_setting(x->l, "future_tolerance_hours")), x->limit);
	if ((ever = ever_allowed(x->l, x->now, x->limit, &now)) <= 0)
		return ever < 0 ? -1 : loy_error("the programme does not allow transfers between "
		    "members (its setting transfers is '%s'; a programme version with transfers "
		    "= yes, loaded with loy-program load, allows them)", now);
	return 0;
}

int
redeem_transfers(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args)
{
	struct transfers x = { .l = l };
	struct batch_job job = {
		.fields = fields, .output = out_cols, .counters = counters,
		.file = tr_file, .row = tr_row, .begin = tr_begin, .ctx = &x,
	};

	return batch_run(&job, cli, l, nfiles, files, args);
}
