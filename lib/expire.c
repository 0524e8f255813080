#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "diag.h"
#include "expire.h"
#include "ledger.h"
#include "programme.h"
#include "when.h"

struct expiry_run {
	char before[20];	/* lots expiring before this instant expire */
	char when[20];		/* the entries' occurred_at */
	char day[11];		/* the as-of date: the entries' ref */
	const char *as_of;	/* loy-expire's --as-of, as given, or NULL */
	char as_of_date[11];	/* ... read: the date, or "" for today */
};

static int as_of_day(struct expiry_run *e, const char *day, const char *now);

/* Is the --as-of date `day` after today `today` (dates or datetimes)?
 * Said: points expire when their day has come. */
static int
as_of_future(const struct expiry_run *e, const char *day, const char *today)
{
	if (strncmp(day, today, 10) <= 0)
		return 0;
	loy_warn("--as-of '%s' is in the future: points expire when their day has come",
	    e->as_of);
	return 1;
}

/* The run's as-of day, from the clock the run read once it held the
 * ledger (ledger_run_now): today then, or --as-of, which is not to be
 * later (a time zone another writer set while the run waited can make it
 * so).  0, or an exit status said. */
static int
expire_begin(struct expiry_run *e, struct ledger *l)
{
	const char *now = ledger_run_now(l);

	if (*e->as_of_date && as_of_future(e, e->as_of_date, now))
		return LOY_EX_USAGE;
	as_of_day(e, *e->as_of_date ? e->as_of_date : now, now);
	return 0;
}

static int
expire_all(void *ctx, struct ledger *l, struct csvio_writer *out, long counts[2])
{
	struct expiry_run *e = ctx;
	char **ids = NULL;
	int n, rc;
	int64_t total = 0;
	long nlots = 0;

	if ((rc = expire_begin(e, l)) != 0)
		return rc;
	n = ledger_expiry_due(l, e->before, &ids);
	csvio_put(out, "member_id");
	csvio_put(out, "points");
	csvio_put(out, "lots");
	csvio_put(out, "as_of");
	csvio_end(out);
	for (int i = 0; i < n && rc == 0; i++) {
		int64_t points;
		long lots;

		if (ledger_expire_member(l, ids[i], e->before, 0, e->when, e->day, &points, &lots) < 0) {
			rc = ledger_status(l);
			break;
		}
		if (points == 0)
			continue;
		csvio_put(out, ids[i]);
		csvio_put_int(out, -points);
		csvio_put_int(out, lots);
		csvio_put(out, e->day);
		csvio_end(out);
		counts[0]++;
		total += points;
		nlots += lots;
	}
	for (int i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	if (n < 0)
		return ledger_status(l);
	if (rc == 0 && counts[0] == 0)
		loy_warn("as of %s: nothing due (lots expired by an earlier run stay expired)",
		    e->day);
	else if (rc == 0)
		loy_warn("as of %s: %lld point%s in %ld lot%s of %ld member%s expired", e->day,
		    (long long)total, total == 1 ? "" : "s", nlots, nlots == 1 ? "" : "s",
		    counts[0], counts[0] == 1 ? "" : "s");
	return rc;
}

/* A run as of the day `day` begins with (a date or a datetime): lots whose
 * date is that day or earlier expire, the entries dated its last second,
 * or `now` when that is earlier.  0, or -1 past the year 9999. */
static int
as_of_day(struct expiry_run *e, const char *day, const char *now)
{
	snprintf(e->day, sizeof(e->day), "%.10s", day);
	/* a lot expires on its expiry date: everything before the next day */
	snprintf(e->before, sizeof(e->before), "%s 00:00:00", e->day);
	if (when_add_hours(e->before, 24, e->before) < 0)
		return -1;
	snprintf(e->when, sizeof(e->when), "%s 23:59:59", e->day);
	if (strcmp(e->when, now) > 0)
		memcpy(e->when, now, sizeof(e->when));
	return 0;
}

int
expire_run(const struct cli *cli, struct ledger *l, const char *as_of, const char *args)
{
	struct expiry_run e = { .as_of = as_of };
	char today[11];
	const char *why;

	/* a bad --as-of is refused before the run waits for the ledger;
	 * the day the run goes by is worked out once it holds it
	 * (expire_begin), from the clock read then */
	if (as_of) {
		char d[20];

		when_today(today);
		if (when_parse(as_of, cli->date_format, WHEN_DATE, d, &why) < 0) {
			loy_warn("--as-of '%s' %s", as_of, why);
			return LOY_EX_USAGE;
		}
		if (as_of_future(&e, d, today))
			return LOY_EX_USAGE;
		snprintf(e.as_of_date, sizeof(e.as_of_date), "%.10s", d);
	}
	return batch_txn(cli, l, args, expire_all, &e);
}

static int policy(struct ledger *, const char *, int *);

/* Was the expiry policy rolling at any time before the day `day`: the
 * version in force before all others, or one in force from before it
 * (the settings without versions)?  1, 0 or -1. */
static int
rolling_before(struct ledger *l, const char *day)
{
	const struct programme *pv;
	int npv, n = 0, kind;

	if (ledger_versions(l, &pv, &npv) < 0)
		return -1;
	if (npv == 0)
		return (kind = policy(l, day, &n)) < 0 ? -1 : kind == 'r';
	for (int i = 0; i < npv && (i == 0 || strcmp(pv[i].effective_from, day) < 0); i++)
		if ((kind = policy(l, pv[i].effective_from, &n)) < 0 || kind == 'r')
			return kind < 0 ? -1 : 1;
	return 0;
}

/* The points of `member` a run as of at's day (e) expires before the
 * member gives up `points` at `at`: none while the lots still in date
 * then hold them, nor while a purchase dated before at, read after it,
 * may yet move them on.  0 or -1. */
static int
due_first(struct ledger *l, const char *member, int64_t points, const char *at,
    struct expiry_run *e, int64_t *due)
{
	int64_t in_date;
	char latest[20], now[20];
	int rolled;

	*due = 0;
	if (points <= 0)
		return 0;
	when_now(now);
	if (as_of_day(e, at, now) < 0)
		return loy_error("'%s' is not a time loy can count from", at);
	if (ledger_expiry_owed(l, member, e->before, &in_date, due, latest) < 0)
		return -1;
	if (in_date >= points || *due == 0) {
		*due = 0;
		return 0;
	}
	/* a lot is moved on by a purchase under the rolling policy of a day
	 * before its date: where one can have been, whatever the policy at
	 * `at`, the lots are left to loy-expire, so that the order receipts
	 * come in changes nothing */
	latest[10] = '\0';
	if ((rolled = rolling_before(l, latest)) < 0)
		return -1;
	if (rolled)
		*due = 0;
	return 0;
}

int
expire_due(struct ledger *l, const char *member, int64_t points, const char *at,
    int64_t *due)
{
	struct expiry_run e;

	return due_first(l, member, points, at, &e, due);
}

int
expire_first(struct ledger *l, const char *member, int64_t points, const char *at,
    int64_t *expired)
{
	struct expiry_run e;
	int64_t due;
	long lots;

	*expired = 0;
	if (due_first(l, member, points, at, &e, &due) < 0)
		return -1;
	if (due == 0)
		return 0;
	return ledger_expire_member(l, member, e.before, 1, e.when, e.day, expired, &lots);
}

int
expire_notice(const struct cli *cli, struct ledger *l, long days)
{
	struct csvio_writer *out;
	char now[20], from[20], until[20];
	int status;

	/* today in the programme's time zone as the snapshot holds it */
	if (ledger_begin_read(l) < 0)
		return ledger_status(l);
	when_now(now);
	/* a lot is spent up to the day before its expiry date (loy-redeem) and
	 * expired on it: one whose date is today is already out of reach, and
	 * one whose date is the window's last day goes on that day, whatever
	 * its time: the window is the days from tomorrow to today + days */
	snprintf(from, sizeof(from), "%.10s 00:00:00", now);
	when_add_hours(from, 24 * (days + 1), until);
	when_add_hours(from, 24, from);
	if (!(out = batch_list_begin(cli, l, &status)))
		return status;
	return batch_list_end(l, out, ledger_list_expiring(l, from, until, batch_print, out));
}

/*
 * The policy of the programme version in force at `when`, and its figure:
 * 'm' months, 'y' years, 'r' rolling months, 'n' never; -1 on error.  A
 * ledger without versions has its settings.
 */
static int
policy(struct ledger *l, const char *when, int *n)
{
	const struct programme *pv;
	const char *p, *v;
	int npv;

	/* the versions kept with the ledger, for the expiry each was in force with */
	if (ledger_versions(l, &pv, &npv) < 0)
		return -1;
	if (npv > 0) {
		const struct expiry *e = &programme_at(pv, npv, when)->expiry;

		*n = e->policy == EXPIRY_YEAR_END ? e->years : e->months;
		switch (e->policy) {
		case EXPIRY_YEAR_END:
			return 'y';
		case EXPIRY_ROLLING:
			return *n > 0 ? 'r' : 'n';
		case EXPIRY_MONTHS:
			return *n > 0 ? 'm' : 'n';
		default:
			return 'n';
		}
	}
	p = ledger_setting(l, "expiry_policy");
	if (p && strcmp(p, "never") == 0)
		return 'n';
	if (p && strcmp(p, "year-end") == 0) {
		v = ledger_setting(l, "expiry_years");
		*n = v ? atoi(v) : 1;
		return 'y';
	}
	v = ledger_setting(l, "expiry_months");
	if ((*n = v ? atoi(v) : 0) <= 0)
		return 'n';
	return p && strcmp(p, "rolling") == 0 ? 'r' : 'm';
}

static int rolled_to(struct ledger *l, const char *at, char until[static 20]);

/* Rolling expiry: raise `until` to the date the member's own activity
 * moved its lots on to, as of `at`: its open lots' latest date (not those
 * a transfer gave it, which keep the giver's) and the date its latest own
 * activity in the journal gives (its lots may be spent), when that is not
 * past at `at`.  0 or -1. */
static int
own_latest(struct ledger *l, const char *member, const char *at, char until[static 20])
{
	char last[20], rolled[20], next[20];
	int rc;

	if (ledger_lots_latest(l, member, at, until) < 0 ||
	    (rc = ledger_last_activity(l, member, last)) < 0)
		return -1;
	if (rc == 0 || (rc = rolled_to(l, last, rolled)) <= 0)
		return rc;
	snprintf(next, sizeof(next), "%.10s 00:00:00", at);
	if (when_add_hours(next, 24, next) < 0)
		return loy_error("'%s' is not a time loy can count from", at);
	if (strcmp(rolled, next) >= 0 && strcmp(rolled, until) > 0)
		strcpy(until, rolled);
	return 0;
}

/* The expiry date of points earned at `earned_at`, under the policy in
 * force then, counted from `from`: expire_lot_date's. */
static int
lot_date(struct ledger *l, const char *member, const char *earned_at, const char *from,
    char out[static 20])
{
	int n = 0, kind = policy(l, earned_at, &n);

	out[0] = '\0';
	switch (kind) {
	case -1:
		return -1;
	case 'n':
		return 0;
	case 'y':
		if (strlen(from) < 4 || atoi(from) + n > 9999)
			return -2;
		snprintf(out, 20, "%04d-12-31 23:59:59", atoi(from) + n);
		return 0;
	}
	if (when_add_months(from, n, out) < 0) {
		out[0] = '\0';
		return -2;
	}
	/* rolling: the member's other lots live on to this one's date, and this
	 * one to theirs, whichever activity came first in the input */
	if (kind == 'r' && member && (ledger_lots_extend(l, member, earned_at, out) < 0 ||
	    own_latest(l, member, earned_at, out) < 0))
		return -1;
	return 0;
}

int
expire_lot_date(struct ledger *l, const char *member, const char *earned_at,
    char out[static 20])
{
	return expire_pending_lot_date(l, member, earned_at, NULL, out);
}

int
expire_pending_lot_date(struct ledger *l, const char *member, const char *earned_at,
    const char *available_at, char out[static 20])
{
	char next[20];
	const char *from = earned_at, *avail = available_at ? available_at : earned_at;
	int rc;

	/* a lot is spent up to the day before its expiry date: one whose date
	 * is not after the day it becomes available (at once: the day it is
	 * earned, as year-end with 0 years gives on 31 December) could never
	 * be spent, and is counted from a day after that instead */
	if ((rc = lot_date(l, NULL, earned_at, earned_at, out)) != 0 || !*out)
		return rc;
	if (strncmp(out, avail, 10) <= 0) {
		if (when_add_hours(avail, 24, next) < 0)
			return -2;
		from = next;
	} else if (!member || expire_rolling(l, earned_at) == 0)
		return 0;	/* that date, with no member's lots to move */
	return lot_date(l, member, earned_at, from, out);
}

int
expire_rolling(struct ledger *l, const char *at)
{
	int n = 0, kind = policy(l, at, &n);

	return kind < 0 ? -1 : kind == 'r';
}

/* Under the rolling policy in force at `at`, the date an activity then
 * moves open lots on to, in until: 1; 0 under another policy; -1 on error. */
static int
rolled_to(struct ledger *l, const char *at, char until[static 20])
{
	int n = 0, kind = policy(l, at, &n);

	if (kind != 'r')
		return kind < 0 ? -1 : 0;
	if (when_add_months(at, n, until) < 0)
		return loy_error("'%s' expires past the year 9999", at);
	return 1;
}

int
expire_activity(struct ledger *l, const char *member, const char *at)
{
	char until[20];
	int rc = rolled_to(l, at, until);

	if (rc <= 0)
		return rc;
	return ledger_lots_extend(l, member, at, until);
}

int
expire_given_back(struct ledger *l, const char *member, int64_t entry, const char *at)
{
	char until[20];
	int rc = rolled_to(l, at, until);

	if (rc <= 0)
		return rc;
	if (own_latest(l, member, at, until) < 0)
		return -1;
	return ledger_entry_lots_extend(l, entry, at, until);
}
