/* Manual and goodwill credits, and opening balances (loy-accrue --adjust,
 * --opening): one journal entry a row, idempotent by its reference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accrue.h"
#include "batch.h"
#include "diag.h"
#include "expire.h"
#include "money.h"
#include "programme.h"
#include "strmap.h"
#include "when.h"

enum { A_MEMBER, A_POINTS, A_REASON, A_REF, A_EARNED, A_EXPIRES, A_COUNT };
static const char *const adjust_fields[] = { "member_id", "points", "reason", "ref", NULL };
static const char *const opening_fields[] = {
	"member_id", "points", "earned_at", "expires_at", NULL
};
static const char *const names[A_COUNT] = {
	"member_id", "points", "reason", "ref", "earned_at", "expires_at"
};

enum { C_CREDITED, C_DEBITED, C_DUPLICATE };
static const struct batch_counter counters[] = {
	{ "credited", BATCH_CHANGED }, { "debited", BATCH_CHANGED },
	{ "duplicate", BATCH_UNCHANGED }, { NULL, 0 }
};
static const char *const adjust_out[] = {
	"ref", "member_id", "points", "status", "detail", NULL
};
static const char *const opening_out[] = {
	"member_id", "points", "earned_at", "expires_at", "status", "detail", NULL
};

struct adjust {
	struct ledger *l;
	int opening;
	int col[A_COUNT];
	char now[20];
	struct strmap *seen;	/* ref (adjust) or member (opening) -> "fresh" or
				   "taken" as the ledger had it, or "used": a row
				   of this run took it, or was its duplicate (a
				   row refused does not use it) */
	struct strmap *matched;	/* opening entries a duplicate row of this run
				   stood for */
};

/* ledger_opening_each: the first entry no row of this run stood for yet */
static int
unmatched(void *ctx, int64_t entry)
{
	struct adjust *a = ctx;
	char key[24];

	snprintf(key, sizeof(key), "%lld", (long long)entry);
	return strmap_add(a->matched, key, strlen(key));
}

static char *
field(const struct adjust *a, const struct csvio_row *row, int i)
{
	return csvio_field(row, a->col[i]);
}

static int
adjust_file(void *ctx, struct batch *b)
{
	struct adjust *a = ctx;
	const char *const *need = a->opening ? opening_fields : adjust_fields;
	int bad = 0;

	for (int i = 0; i < A_COUNT; i++)
		a->col[i] = batch_col(b, names[i]);
	for (int i = 0; i < A_COUNT; i++)
		for (const char *const *f = need; *f; f++)
			if (strcmp(*f, names[i]) == 0 && a->col[i] < 0 &&
			    strcmp(*f, "expires_at") != 0)
				bad = batch_header_error(b, "no column '%s'", *f);
	return bad;
}

static void
out_row(struct adjust *a, struct batch *b, const char *ref, const char *member,
    long long points, const char *earned, const char *expires, const char *status,
    const char *detail)
{
	struct csvio_writer *out = batch_out(b);

	if (!a->opening)
		csvio_put(out, ref);
	csvio_put(out, member);
	csvio_put_int(out, points);
	if (a->opening) {
		csvio_put(out, earned);
		csvio_put(out, expires);
	}
	csvio_put(out, status);
	csvio_put(out, detail);
	csvio_end(out);
}

static int
adjust_row(void *ctx, struct batch *b, const struct csvio_row *row)
{
	struct adjust *a = ctx;
	struct ledger *l = a->l;
	const struct cli *cli = batch_cli(b);
	char *id = NULL, *member = field(a, row, A_MEMBER), *v = field(a, row, A_POINTS);
	char *ref = field(a, row, A_REF), earned[20], expires[20];
	const char *why, *key, *negative;
	void **state;
	struct member m = { { 0 } };
	int64_t points, balance, entry, prev, due = 0;
	int got, rc = 1;

	if ((got = batch_points(b, row, "points", v, &points)) != 0)
		return got;
	if (points == 0)
		return batch_reject(b, row, "points is zero");
	if (a->opening && points < 0)
		return batch_reject(b, row, "points '%s' is negative: an opening lot holds "
		    "points", v);
	if (!*member)
		return batch_reject(b, row, "member_id is empty");
	if ((got = batch_id(b, row, "member_id", member)) != 0)
		return got;
	if (!a->opening && !*ref)
		return batch_reject(b, row, "ref is empty: a credit needs a reference to be "
		    "taken once");
	if (!a->opening && !*field(a, row, A_REASON))
		return batch_reject(b, row, "reason is empty");
	if (!a->opening && (batch_control_refused(b, row, "ref", ref, BATCH_NAME) ||
	    batch_control_refused(b, row, "reason", field(a, row, A_REASON), BATCH_TEXT)))
		return 1;
	if (a->opening) {
		v = field(a, row, A_EARNED);
		if (batch_datetime(b, row, "earned_at", v, a->now, earned))
			return 1;
		v = field(a, row, A_EXPIRES);
		if (*v) {
			if (when_parse(v, cli->date_format, WHEN_DATETIME, expires, &why) < 0)
				return batch_reject(b, row, "expires_at '%s' %s", v, why);
			if (strcmp(expires, earned) < 0)
				return batch_reject(b, row, "expires_at '%s' is before earned_at", v);
		} else if (expire_lot_date(l, NULL, earned, expires) < 0)
			return batch_reject(b, row, "earned_at '%s' expires past the year 9999", v);
	}
	if ((got = ledger_member_resolve(l, member, &id)) < 0)
		return -1;
	if (!got)
		return batch_reject(b, row, "unknown member_id '%s'", member);
	if (ledger_member_get(l, id, &m) < 0)
		goto fatal;
	/* taken once: an adjustment by its ref; an opening balance (one or
	 * more lots) once per member id as the file names it, so that a merge
	 * since does not make it new */
	key = a->opening ? member : ref;
	state = strmap_slot(a->seen, key, strlen(key), NULL);
	{
		char *who = NULL;

		if (!a->opening && *state && strcmp(*state, "used") == 0) {
			batch_reject(b, row, "ref '%s' appears more than once in this run", key);
			goto done;
		}
		if (!*state) {
			if ((got = ledger_journal_find(l, a->opening ? "opening" : "adjustment",
			    key, &who, &prev)) < 0)
				goto fatal;
			*state = got ? "taken" : "fresh";
		}
		if (strcmp(*state, "taken") == 0) {
			/* the member the earlier entry was for, followed through merges */
			int same = who ? ledger_member_same(l, who, id) : 1;

			if (who && same > 0)
				same = a->opening || prev == points;
			free(who);
			if (same < 0)
				goto fatal;
			if (!same) {
				batch_reject(b, row, "ref '%s' was taken before with other content",
				    key);
				goto done;
			}
			/* an opening row is a duplicate of a lot taken before, each
			 * lot of one row */
			if (a->opening && (got = ledger_opening_each(l, key, points, earned,
			    unmatched, a)) <= 0) {
				if (got < 0)
					goto fatal;
				batch_reject(b, row, "opening balance of member '%s' was taken "
				    "before without this lot", key);
				goto done;
			}
			batch_count(b, C_DUPLICATE);
			out_row(a, b, ref, id, points, earned, expires, "duplicate",
			    a->opening ? "opening balance taken before" : NULL);
			if (!a->opening)
				*state = "used";
			rc = 0;
			goto done;
		}
		free(who);
	}
	/* a closed member gets nothing new; what was taken before is a
	 * duplicate still */
	if (strcmp(m.v[MF_STATUS], "closed") == 0) {
		batch_reject(b, row, "member '%s' is closed", id);
		goto done;
	}
	/* a debit (of now): allow_negative of the version in force now, which
	 * the settings lag behind until loy-program apply runs */
	if (points < 0 && programme_setting_at(l, "allow_negative", a->now, &negative) < 0)
		goto fatal;
	/* lots past their date that the debit would reach are not the
	 * member's to give: they expire first, as a punctual loy-expire run
	 * would have expired them, once the debit is taken */
	if (points < 0 && expire_due(l, id, -points, a->now, &due) < 0)
		goto fatal;
	if (points < 0 && strcmp(negative, "yes") != 0) {
		if (ledger_balance_get(l, id, &balance) < 0)
			goto fatal;
		if (balance - due + points < 0 && due > 0) {
			batch_reject(b, row, "member '%s' has %lld points, %lld of them past their "
			    "date: %lld would take the balance below zero", id, (long long)balance,
			    (long long)due, (long long)points);
			goto done;
		}
		if (balance + points < 0) {
			batch_reject(b, row, "member '%s' has %lld points: %lld would take the "
			    "balance below zero", id, (long long)balance, (long long)points);
			goto done;
		}
	}
	if (due > 0 && expire_first(l, id, -points, a->now, &due) < 0)
		goto fatal;
	if ((entry = ledger_entry_add(l, id, a->opening ? "opening" : "adjust", points,
	    a->opening ? earned : a->now, a->opening ? "opening" : "adjustment",
	    a->opening ? member : ref, a->opening ? NULL : field(a, row, A_REASON))) < 0)
		goto fatal;
	if (points > 0) {
		if (!a->opening && expire_lot_date(l, id, a->now, expires) < 0)
			goto fatal;
		if (ledger_balance_get(l, id, &balance) < 0 ||
		    ledger_lot_add(l, id, entry, a->opening ? earned : a->now,
		    expires[0] ? expires : NULL,
		    NULL, points, balance - points) < 0)
			goto fatal;
	} else if (ledger_lots_take(l, id, -points, entry, 0, a->now) < 0)
		goto fatal;
	if (!a->opening)
		*state = "used";
	batch_count(b, points > 0 ? C_CREDITED : C_DEBITED);
	out_row(a, b, ref, id, points, earned, expires, points > 0 ? "credited" : "debited",
	    NULL);
	rc = 0;
	goto done;
fatal:
	rc = -1;
done:
	member_clear(&m);
	free(id);
	return rc;
}

/* As the run's transaction begins: the time its entries are stamped
 * with, and the latest earned_at a row may give, the run's (ledger_run_now),
 * not the time it began to wait for the ledger. */
static int
adjust_begin(void *ctx)
{
	struct adjust *a = ctx;

	memcpy(a->now, ledger_run_now(a->l), sizeof(a->now));
	return 0;
}

static int
run(const struct cli *cli, struct ledger *l, int opening, int nfiles, char **files,
    const char *args)
{
	struct adjust a = { .l = l, .opening = opening };
	struct batch_job job = {
		.fields = opening ? opening_fields : adjust_fields,
		.output = opening ? opening_out : adjust_out,
		.counters = counters, .file = adjust_file, .row = adjust_row,
		.begin = adjust_begin, .ctx = &a,
		.redo = opening ? "opening balances land whole or not at all: correct the "
		    "rows listed and run it again" : NULL,
	};
	int status;

	a.seen = strmap_new();
	a.matched = strmap_new();
	status = batch_run(&job, cli, l, nfiles, files, args);
	strmap_free(a.seen);
	strmap_free(a.matched);
	return status;
}

int
accrue_adjust(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args)
{
	return run(cli, l, 0, nfiles, files, args);
}

int
accrue_opening(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args)
{
	return run(cli, l, 1, nfiles, files, args);
}
