/*
 * earn_run: the earning rules' own runs: events (loy-accrue --events),
 * explanations (loy-accrue --explain) and what-if costings (loy-program
 * what-if).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "diag.h"
#include "earn.h"
#include "expire.h"
#include "money.h"
#include "program.h"
#include "strmap.h"
#include "when.h"

/* ------------------------------------------------------------ events */

enum { E_ID, E_MEMBER, E_EVENT, E_OCCURRED, E_COUNT };
static const char *const event_fields[] = {
	"event_id", "member_id", "event", "occurred_at", NULL
};
static const char *const event_out[] = {
	"event_id", "member_id", "event", "occurred_at", "points", "status", "detail", NULL
};
enum { EC_CREDITED, EC_LIMITED, EC_DUPLICATE };
static const struct batch_counter event_counters[] = {
	{ "credited", BATCH_CHANGED }, { "limited", BATCH_CHANGED },
	{ "duplicate", BATCH_UNCHANGED }, { NULL, 0 }
};

struct events {
	struct ledger *l;
	struct earn *earn;
	int col[E_COUNT];
	char limit[20];
	struct strmap *seen;
};

static int
events_file(void *ctx, struct batch *b)
{
	struct events *ev = ctx;

	return batch_cols(b, event_fields, E_COUNT, ev->col);
}

static void
event_emit(struct batch *b, const char *id, const char *member, const char *event,
    const char *when, int64_t points, const char *status, const char *detail)
{
	struct csvio_writer *out = batch_out(b);

	csvio_put(out, id);
	csvio_put(out, member);
	csvio_put(out, event);
	csvio_put(out, when);
	csvio_put_int(out, points);
	csvio_put(out, status);
	csvio_put(out, detail);
	csvio_end(out);
}

/* An event's points under p, for member m: its [event] points, times the
 * event rules' multipliers (stacking ones multiply, of the others the
 * best), rounded down, plus their bonuses, of the rules whose conditions
 * hold for m and whose limit m has not reached; each rule's share (what it
 * adds to the rounded points, or of a multiplier below 1 takes off) cut,
 * when it adds, to its cap_receipt and to what is left of its budget, into
 * share[k]; the rules that moved its points (a share not 0) in rules[].
 * The points, never below 0, or -1, or -2 when the multipliers' fraction
 * passes what an __int128 holds. */
static int64_t
event_points(struct ledger *l, const struct programme *p, const struct event_rule *er,
    const struct earn_member *m, const char *when, int64_t *share, char *rules,
    size_t size)
{
	struct earn_receipt r = { .txn = "", .occurred = when };
	__int128 num = er->points, den = 1;
	int64_t v = er->points;
	int best = -1;

	*rules = '\0';
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < p->nrules; k++) {
			const struct rule *ru = &p->rules[k];
			int64_t before = (int64_t)(num / den);
			char key[16];
			int ok;

			if (pass == 0)
				share[k] = 0;
			if (pass == 0 ? ru->trigger != TRIGGER_EVENT ||
			    strcmp(ru->event, er->name) != 0 || !earn_rule_applies(ru, &r, m) :
			    k != best)
				continue;
			if (pass == 0 && (ok = earn_within_limit(l, ru, m->id, when, key)) <= 0) {
				if (ok < 0)
					return -1;
				continue;
			}
			/* a rule whose budget is spent does not apply */
			if (pass == 0 && ru->budget >= 0) {
				int64_t given = 0;

				if (ledger_earn_given(l, ru->name, &given) < 0)
					return -1;
				if (given >= ru->budget)
					continue;
			}
			if (pass == 0 && ru->effect == EFFECT_MULTIPLY && !ru->stack) {
				if (best < 0 || (__int128)ru->factor_num * p->rules[best].factor_den >
				    (__int128)p->rules[best].factor_num * ru->factor_den)
					best = k;
				continue;
			}
			if (ru->effect == EFFECT_MULTIPLY) {
				__int128 g;

				if (__builtin_mul_overflow(num, (__int128)ru->factor_num, &num) ||
				    __builtin_mul_overflow(den, (__int128)ru->factor_den, &den))
					return -2;
				if ((g = money_gcd(num, den)) > 1) {
					num /= g;
					den /= g;
				}
				if (num / den > POINTS_MAX) {
					num = POINTS_MAX;
					den = 1;
				}
				share[k] = (int64_t)(num / den) - before;
			} else if (ru->effect == EFFECT_BONUS)
				share[k] = ru->points;
		}
	for (int k = 0; k < p->nrules; k++) {
		const struct rule *ru = &p->rules[k];
		int64_t given = 0;

		/* a multiplier below 1 takes its share off, uncut, as a
		 * purchase's does */
		if (share[k] > 0 && ru->cap_receipt >= 0 && share[k] > ru->cap_receipt)
			share[k] = ru->cap_receipt;
		if (share[k] > 0 && ru->budget >= 0) {
			if (ledger_earn_given(l, ru->name, &given) < 0)
				return -1;
			if (share[k] > ru->budget - given)
				share[k] = ru->budget - given > 0 ? ru->budget - given : 0;
		}
		v += share[k];
		if (v > POINTS_MAX)
			v = POINTS_MAX;
	}
	if (v < 0)
		v = 0;
	for (int k = 0; k < p->nrules; k++)
		if (share[k] != 0)
			snprintf(rules + strlen(rules), size - strlen(rules), "%s%s",
			    *rules ? "," : "", p->rules[k].name);
	return v;
}

/* What the rules that gave event `id` points used: a use of a limited
 * rule, the points of a budgeted one. */
static int
event_record(struct ledger *l, const struct programme *p, const char *member,
    const char *when, const char *id, const int64_t *share, int64_t entry)
{
	for (int k = 0; k < p->nrules; k++) {
		const struct rule *ru = &p->rules[k];
		char key[16];

		if (share[k] == 0)
			continue;
		if (ru->limit >= 0 && earn_rule_used(ru, share[k])) {
			earn_period_key(ru->limit_period, when, key);
			if (ledger_earn_award(l, ru->name, p->version, member, key, id, 0, entry,
			    NULL) < 0)
				return -1;
		}
		if (ru->budget >= 0 && ledger_earn_given_add(l, ru->name, share[k]) < 0)
			return -1;
	}
	return 0;
}

static int
events_row(void *ctx, struct batch *b, const struct csvio_row *row)
{
	struct events *ev = ctx;
	struct ledger *l = ev->l;
	const char *id = csvio_field(row, ev->col[E_ID]);
	char *who = csvio_field(row, ev->col[E_MEMBER]);
	const char *name = csvio_field(row, ev->col[E_EVENT]), *v;
	const struct programme *p;
	const struct event_rule *er = NULL;
	struct member m = { { 0 } };
	char when[20], period[16], rules[512], *member = NULL, *prev = NULL, expires[20];
	char *prev_event = NULL, prev_when[20];
	char *segments = NULL;
	struct earn_member em = { 0 };
	int64_t points, used = 0, entry, balance, *share = NULL;
	int got, rc = 1;

	if (!*id)
		return batch_reject(b, row, "event_id is empty");
	if (batch_control_refused(b, row, "event_id", id, BATCH_NAME))
		return 1;
	if (!*who)
		return batch_reject(b, row, "member_id is empty");
	if ((got = batch_id(b, row, "member_id", who)) != 0)
		return got;
	if (!*name)
		return batch_reject(b, row, "event is empty");
	v = csvio_field(row, ev->col[E_OCCURRED]);
	if (batch_datetime(b, row, "occurred_at", v, ev->limit, when))
		return 1;
	if (!strmap_add(ev->seen, id, strlen(id)))
		return batch_reject(b, row, "event_id '%s' appears more than once in this run", id);
	if ((got = ledger_member_resolve(l, who, &member)) < 0)
		return -1;
	if (!got)
		return batch_reject(b, row, "unknown member_id '%s'", who);
	if ((got = ledger_event_get(l, id, &prev, &prev_event, prev_when)) < 0)
		goto fatal;
	if (got) {
		int same = ledger_member_same(l, prev, member);

		if (same < 0)
			goto fatal;
		if (!same) {
			batch_reject(b, row, "event_id '%s' was taken before for member '%s'", id,
			    prev);
			goto done;
		}
		/* the same event, not another under an id used again */
		if (strcmp(prev_event, name) != 0 || strcmp(prev_when, when) != 0) {
			batch_reject(b, row, "event_id '%s' was taken before with other content "
			    "(%s at %s)", id, prev_event, prev_when);
			goto done;
		}
		batch_count(b, EC_DUPLICATE);
		event_emit(b, id, member, name, when, 0, "duplicate", NULL);
		rc = 0;
		goto done;
	}
	if (ledger_member_get(l, member, &m) < 0)
		goto fatal;
	if (strcmp(m.v[MF_STATUS], "closed") == 0) {
		batch_reject(b, row, "member '%s' is closed", member);
		goto done;
	}
	p = earn_at(ev->earn, when);
	for (int i = 0; i < p->nevents; i++)
		if (strcmp(p->events[i].name, name) == 0)
			er = &p->events[i];
	if (!er) {
		batch_reject(b, row, "event '%s' is not one of the programme's events (version "
		    "%d)", name, p->version);
		goto done;
	}
	earn_period_key(er->period, when, period);
	if (er->limit >= 0 && ledger_event_count(l, member, name, period, &used) < 0)
		goto fatal;
	if (er->limit >= 0 && used >= er->limit) {
		char detail[160];

		if (ledger_event_insert(l, id, member, name, when, period, 0, "limited",
		    p->version, NULL, 0) < 0)
			goto fatal;
		snprintf(detail, sizeof(detail), "the limit of %lld per %s is reached",
		    (long long)er->limit, er->period == PERIOD_NONE || er->period == PERIOD_EVER ?
		    "member" : period);
		batch_count(b, EC_LIMITED);
		event_emit(b, id, member, name, when, 0, "limited", detail);
		rc = 0;
		goto done;
	}
	em.id = member;
	em.tier = m.v[MF_TIER];
	em.birthday = m.v[MF_BIRTHDAY];
	if (strcmp(earn_segments(ev->earn), "[]") != 0 &&
	    ledger_earn_segments(l, member, earn_segments(ev->earn), &segments) < 0)
		goto fatal;
	em.segments = segments;
	share = loy_xmalloc((p->nrules ? p->nrules : 1) * sizeof(*share));
	if ((points = event_points(l, p, er, &em, when, share, rules, sizeof(rules))) == -2) {
		batch_reject(b, row, "event '%s': its multipliers together have too many "
		    "decimals to be worked out exactly", name);
		goto done;
	}
	if (points < 0)
		goto fatal;
	/* an event a multiplier below 1 took to 0 points moves none: no
	 * entry and no lot, as a receipt that earned none */
	entry = 0;
	if (points > 0) {
		char reason[160];

		snprintf(reason, sizeof(reason), "event %s", name);
		if (ledger_balance_get(l, member, &balance) < 0 ||
		    (entry = ledger_entry_add(l, member, "bonus", points, when, "event", id,
		    reason)) < 0 ||
		    expire_lot_date(l, member, when, expires) < 0 ||
		    ledger_lot_add(l, member, entry, when, *expires ? expires : NULL, NULL, points,
		    balance) < 0)
			goto fatal;
	}
	if (ledger_event_insert(l, id, member, name, when, period, points, "credited",
	    p->version, *rules ? rules : NULL, entry) < 0 ||
	    event_record(l, p, member, when, id, share, entry) < 0)
		goto fatal;
	batch_count(b, EC_CREDITED);
	event_emit(b, id, member, name, when, points, "credited", *rules ? rules : NULL);
	rc = 0;
	goto done;
fatal:
	rc = -1;
done:
	member_clear(&m);
	free(member);
	free(prev);
	free(prev_event);
	free(segments);
	free(share);
	return rc;
}

/* As the run's transaction begins: the programme versions and settings
 * the events are earned with, as the ledger holds them then. */
static int
events_begin(void *ctx)
{
	struct events *ev = ctx;
	struct programme *pv;
	int np;

	earn_free(ev->earn);
	ev->earn = NULL;
	if (programme_versions(ev->l, &pv, &np) < 0)
		return -1;
	ev->earn = earn_new(pv, np);
	when_add_hours(ledger_run_now(ev->l), atol(ledger_setting(ev->l,
	    "future_tolerance_hours")), ev->limit);
	return 0;
}

int
earn_events(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args)
{
	struct events ev = { .l = l };
	struct batch_job job = {
		.fields = event_fields, .output = event_out, .counters = event_counters,
		.file = events_file, .row = events_row, .begin = events_begin, .ctx = &ev,
	};
	int status;

	ev.seen = strmap_new();
	status = batch_run(&job, cli, l, nfiles, files, args);
	strmap_free(ev.seen);
	earn_free(ev.earn);
	return status;
}

/* ------------------------------------------------------------ explain */

struct explain {
	struct csvio_writer *out;
	int decimals;
	int64_t points;
	long rows;
};

static int
explain_row(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct explain *x = ctx;

	/* the header comes with the first row: a run with nothing to explain
	 * fails, and prints nothing for a file to keep */
	if (!row)
		return 0;
	if (x->rows == 0) {
		for (int i = 0; i < ncols; i++)
			csvio_put(x->out, cols[i]);
		csvio_end(x->out);
	}
	for (int i = 0; i < ncols; i++) {
		if (strcmp(cols[i], "amount") == 0 && row[i])
			csvio_put_money(x->out, atoll(row[i]), x->decimals);
		else
			csvio_put(x->out, row[i]);
		if (strcmp(cols[i], "points") == 0 && row[i])
			x->points += atoll(row[i]);
	}
	csvio_end(x->out);
	x->rows++;
	return 0;
}

/* Say why there is nothing to explain: an unknown or merged member, an
 * unknown or anonymous receipt, a receipt that earned nothing or a return
 * that took nothing back (with what a balance at zero left it owing).
 * Returns the exit status: 65 for an id the ledger does not know, as every
 * program that takes a member on its command line says it, else 66. */
static int
nothing_to_explain(struct ledger *l, const char *kind, const char *value)
{
	struct member m = { { 0 } };
	struct receipt_row r = { 0 };
	int got, status = LOY_EX_NOINPUT;

	if (strcmp(kind, "member") == 0) {
		if ((got = ledger_member_get(l, value, &m)) < 0)
			status = ledger_status(l);
		else if (!got) {
			loy_error("unknown member '%s'", value);
			status = LOY_EX_DATAERR;
		}
		else if (m.v[MF_MERGED_INTO])
			loy_error("member '%s' was merged into '%s': explain member=%s", value,
			    m.v[MF_MERGED_INTO], m.v[MF_MERGED_INTO]);
		else
			loy_error("member '%s' has earned no points yet", value);
	} else if (strcmp(kind, "receipt") == 0) {
		if ((got = ledger_receipt_get(l, value, &r)) < 0)
			status = ledger_status(l);
		else if (!got) {
			loy_error("unknown receipt '%s'", value);
			status = LOY_EX_DATAERR;
		}
		else if (!r.member_id)
			loy_error("receipt '%s' has no member: it earned no points", value);
		else if (r.status && strcmp(r.status, "returned") == 0 && r.unrecovered > 0)
			loy_error("receipt '%s' is a return that took back no points: %lld point%s not "
			    "recovered, the balance may not go below zero (still owed)", value,
			    (long long)r.unrecovered, r.unrecovered == 1 ? "" : "s");
		else if (r.status && strcmp(r.status, "returned") == 0)
			loy_error("receipt '%s' is a return that took back no points", value);
		else
			loy_error("receipt '%s' earned no points", value);
	} else {
		loy_error("entry %s is not an entry of earning", value);
	}
	member_clear(&m);
	receipt_row_clear(&r);
	return status;
}

int
earn_explain(const struct cli *cli, struct ledger *l, const char *what)
{
	struct explain x = { .out = NULL };
	const char *eq = strchr(what, '='), *value;
	char kind[16], entry[24];
	int64_t journal;
	int status = 0;

	if (!eq || eq - what >= (long)sizeof(kind) || !eq[1]) {
		loy_error("--explain '%s' must be member=ID, receipt=TXN or entry=N", what);
		return LOY_EX_USAGE;
	}
	snprintf(kind, sizeof(kind), "%.*s", (int)(eq - what), what);
	value = eq + 1;
	if (strcmp(kind, "member") && strcmp(kind, "receipt") && strcmp(kind, "entry")) {
		loy_error("--explain '%s' must be member=ID, receipt=TXN or entry=N", what);
		return LOY_EX_USAGE;
	}
	/* an entry's number as a whole number in a cell is read (+1 and 01
	 * are 1; no blank, nothing after the digits), as the journal numbers
	 * its entries: from 1 */
	if (strcmp(kind, "entry") == 0) {
		long long n;

		if (money_whole_parse(eq + 1, &n) != 0 || n < 1) {
			loy_error("--explain entry '%s' is not a whole number from 1 to %lld",
			    eq + 1, (long long)INT64_MAX);
			return LOY_EX_USAGE;
		}
		snprintf(entry, sizeof(entry), "%lld", n);
		value = entry;
	}
	/* the money in the decimals of the settings the snapshot holds */
	if (ledger_begin_read(l) < 0)
		return ledger_status(l);
	x.decimals = ledger_decimals(l);
	x.out = csvio_writer(stdout, cli_format(cli), cli->safe_cells);
	if (ledger_earn_explain(l, kind, value, explain_row, &x) < 0 ||
	    ledger_earn_explained_total(l, kind, value, &journal) < 0)
		status = ledger_status(l);
	if (cli_writer_done(x.out) != 0 && !status)
		status = LOY_EX_IOERR;
	if (!status && x.rows == 0)
		status = nothing_to_explain(l, kind, value);
	ledger_rollback(l);
	if (status)
		return status;
	if (journal != x.points) {
		loy_error("%s: the rows explain %lld points, the journal holds %lld", what,
		    (long long)x.points, (long long)journal);
		return LOY_EX_SOFTWARE;
	}
	fprintf(stderr, "%s: %s: %ld row%s, %lld point%s, as the journal holds\n",
	    loy_progname, what, x.rows, x.rows == 1 ? "" : "s", (long long)x.points,
	    x.points == 1 || x.points == -1 ? "" : "s");
	return 0;
}

/* ------------------------------------------------------------ what-if */

/* Per rule: what was given, what the candidate would give. */
struct tally {
	char *rule;
	int64_t actual, cand;
	int order;		/* the candidate's rules first, in file order */
	int other;		/* sign-up, referral, event or cumulative points */
};

struct whatif {
	struct ledger *l;
	struct programme *cand;
	const char *from;		/* the period's first second */
	struct strmap *tallies;		/* rule -> struct tally */
	struct strmap *counts;		/* "rule\037member\037period" -> int64_t * */
	struct strmap *members;		/* member_id (a person) -> struct wmem */
	struct strmap *origs;		/* txn_id -> struct worig: the purchases a
					   return or an exchange of the period
					   names */
	/* the receipt being gathered: its member's person is the survivor
	   of the member's merges today, for whom the rules count */
	char *txn, *person, *occurred, *store, *channel;
	int64_t amount;
	int returned;			/* a return or an exchange of the period
					   names it */
	char *exch_orig;		/* an exchange's original, and what its */
	int64_t exch_took;		/* return lines took off it */
	struct earn_line *lines;
	char **text;
	int n, cap;
	long receipts;
	int failed;
	char *segments;			/* JSON array of the segments rules name */
};

struct wmem {
	char *tier, *birthday, *segments;
	/* the person has moved points with a receipt (ledger_earn_bought):
	   -1 not known yet; else before the period, as the ledger holds
	   them, or within it, as the candidate would have moved them */
	int bought;
};

/* A purchase of the period that a return or an exchange names: what the
 * candidate gave it, whether it counted towards the candidate's
 * cumulative rules, and its facts, for what comes back off its period. */
struct worig {
	int64_t cand;
	int counted;
	int left_out;		/* the candidate could not earn it (warned) */
	char *occurred, *store, *channel;
	int64_t amount;
	char *uses;		/* the candidate's limited rules it used, each
				   "rule\037period\036", for a return of all
				   of it to take back (w_uses_back) */
};

static struct tally *
tally(struct whatif *w, const char *rule)
{
	struct tally **slot = (struct tally **)strmap_slot(w->tallies, rule, strlen(rule), NULL);

	if (!*slot) {
		*slot = loy_xmalloc(sizeof(**slot));
		(*slot)->rule = loy_xstrdup(rule);
		(*slot)->actual = (*slot)->cand = 0;
		(*slot)->order = 1 << 20;
		(*slot)->other = 0;
	}
	return *slot;
}

static int64_t *
count(struct whatif *w, const char *a, const char *b, const char *c)
{
	char key[512];
	int64_t **slot;

	snprintf(key, sizeof(key), "%s\037%s\037%s", a, b, c);
	slot = (int64_t **)strmap_slot(w->counts, key, strlen(key), NULL);
	if (!*slot) {
		*slot = loy_xmalloc(sizeof(int64_t));
		**slot = 0;
	}
	return *slot;
}

/* The simulated past: what the candidate gave within the period; a
 * rule's uses also those the ledger holds from before it, as loy-accrue
 * would count them had the candidate been loaded for --from. */
static int
w_uses(void *ctx, const char *rule, const char *member, const char *key, int64_t *n)
{
	struct whatif *w = ctx;
	char who[400];
	int64_t *before;

	snprintf(who, sizeof(who), "%s\037%s", member, key);
	before = count(w, "uses before", rule, who);
	/* read once: the count plus one, 0 not read yet */
	if (!*before) {
		if (ledger_earn_uses_before(w->l, rule, member, key, w->from, before) < 0)
			return -1;
		++*before;
	}
	*n = *count(w, rule, member, key) + *before - 1;
	return 0;
}

static int
w_member_points(void *ctx, const char *member, const char *from, const char *to,
    int64_t *points)
{
	/* [from, to) is a day or a month, whose first second is the key; the
	 * first of a month starts both, and only a month ends on a first */
	int month = strncmp(from + 8, "01", 2) == 0 && strncmp(to + 8, "01", 2) == 0;

	*points = *count(ctx, month ? "points month" : "points day", member, from);
	return 0;
}

static int
w_given(void *ctx, const char *rule, int64_t *points)
{
	*points = *count(ctx, "given", rule, "");
	return 0;
}

static struct wmem *
wmember(struct whatif *w, const char *id)
{
	struct wmem **slot = (struct wmem **)strmap_slot(w->members, id, strlen(id), NULL);
	struct member m = { { 0 } };

	if (*slot)
		return *slot;
	*slot = calloc(1, sizeof(**slot));
	if (!*slot)
		loy_die(71, "out of memory");
	(*slot)->bought = -1;
	if (ledger_member_get(w->l, id, &m) > 0) {
		(*slot)->tier = m.v[MF_TIER] ? loy_xstrdup(m.v[MF_TIER]) : NULL;
		(*slot)->birthday = m.v[MF_BIRTHDAY] ? loy_xstrdup(m.v[MF_BIRTHDAY]) : NULL;
	}
	member_clear(&m);
	if (strcmp(w->segments, "[]") != 0 &&
	    ledger_earn_segments(w->l, id, w->segments, &(*slot)->segments) < 0)
		w->failed = 1;
	return *slot;
}

static void
receipt_clear(struct whatif *w)
{
	for (int i = 0; i < w->n; i++)
		free(w->text[i]);
	w->n = 0;
	free(w->txn);
	free(w->person);
	free(w->occurred);
	free(w->store);
	free(w->channel);
	free(w->exch_orig);
	w->txn = w->person = w->occurred = w->store = w->channel = w->exch_orig = NULL;
	w->exch_took = 0;
}

/* The member's progress towards cumulative rule ru in the period of
 * `when` moves by visits and spend, as the ledger's rule_progress would:
 * the bonus when a purchase brings the period to the mark, taken back
 * when a return takes it below, as loy-accrue gives and takes it. */
static void
w_progress(struct whatif *w, const struct rule *ru, const char *member, const char *when,
    int64_t visits, int64_t spend)
{
	char period[16], who[400];
	int64_t *v, *s, *held;
	int reached;

	earn_period_key(ru->period, when, period);
	snprintf(who, sizeof(who), "%s\037%s", member, period);
	v = count(w, "visits", ru->name, who);
	s = count(w, "spend", ru->name, who);
	held = count(w, "held", ru->name, who);
	*v += visits;
	*s += spend;
	reached = (ru->visits < 0 || *v >= ru->visits) && (ru->spend < 0 || *s >= ru->spend);
	if (!*held && reached && (visits > 0 || spend > 0)) {
		*held = 1;
		tally(w, ru->name)->cand += ru->points;
	} else if (*held && !reached && (visits < 0 || spend < 0)) {
		*held = 0;
		tally(w, ru->name)->cand -= ru->points;
	}
}

/* The candidate's cumulative rules that receipt r of member m counts
 * towards: their progress moves by visits and spend. */
static void
w_progress_all(struct whatif *w, const struct earn_receipt *r, const struct earn_member *m,
    int64_t visits, int64_t spend)
{
	for (int k = 0; k < w->cand->nrules; k++) {
		const struct rule *ru = &w->cand->rules[k];

		if (ru->trigger == TRIGGER_CUMULATIVE && ru->effect == EFFECT_BONUS &&
		    earn_rule_applies(ru, r, m))
			w_progress(w, ru, m->id, r->occurred, visits, spend);
	}
}

static void
worig_clear(struct worig *o)
{
	free(o->occurred);
	free(o->store);
	free(o->channel);
	free(o->uses);
	o->occurred = o->store = o->channel = o->uses = NULL;
}

/* A purchase that a return or an exchange of the period names: what the
 * candidate gave it, for the return to take back in proportion. */
static void
w_orig(struct whatif *w, int64_t cand, int counted, int left_out, const char *uses)
{
	struct worig **slot;

	if (!w->returned)
		return;
	slot = (struct worig **)strmap_slot(w->origs, w->txn, strlen(w->txn), NULL);
	if (!*slot) {
		*slot = loy_xmalloc(sizeof(**slot));
		memset(*slot, 0, sizeof(**slot));
	}
	worig_clear(*slot);
	(*slot)->cand = cand;
	(*slot)->counted = counted;
	(*slot)->left_out = left_out;
	(*slot)->occurred = loy_xstrdup(w->occurred);
	(*slot)->store = w->store ? loy_xstrdup(w->store) : NULL;
	(*slot)->channel = w->channel ? loy_xstrdup(w->channel) : NULL;
	(*slot)->amount = w->amount;
	(*slot)->uses = uses && *uses ? loy_xstrdup(uses) : NULL;
}

/* One use to take back: --uses of rule in period for the person. */
struct wback {
	struct whatif *w;
	const char *person;
};

static void
w_use_back(struct whatif *w, const char *rule, const char *person, const char *period)
{
	--*count(w, rule, person, period);
}

static int
w_use_back_row(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct wback *x = ctx;

	(void)ncols;
	(void)cols;
	if (row && row[0] && row[2])
		w_use_back(x->w, row[0], x->person, row[2]);
	return 0;
}

/* A return of the period that left nothing of purchase txn of `person`:
 * the uses it made of the candidate's limited rules (or, a purchase
 * before the period, those the ledger holds of it) count no more, as
 * loy-accrue takes them back; and, txn an exchange, those of the purchase
 * it traded some of when that is left with nothing too. */
static void
w_uses_back(struct whatif *w, const char *txn, const char *person)
{
	char *t = loy_xstrdup(txn);

	for (int depth = 0; t && depth < 1000; depth++) {
		struct receipt_row r = { 0 };
		const struct worig *o;
		int64_t *taken = count(w, "taken back", t, "");
		int got;

		if ((got = ledger_receipt_returned_whole(w->l, t)) <= 0) {
			w->failed |= got < 0;
			break;
		}
		if (!*taken) {
			*taken = 1;
			if ((o = strmap_get(w->origs, t, strlen(t)))) {
				for (const char *s = o->uses; s && *s;) {
					const char *us = strchr(s, '\037'), *end = strchr(s, '\036');
					char rule[256], period[16];

					snprintf(rule, sizeof(rule), "%.*s", (int)(us - s), s);
					snprintf(period, sizeof(period), "%.*s", (int)(end - us - 1),
					    us + 1);
					w_use_back(w, rule, person, period);
					s = end + 1;
				}
			} else {
				struct wback x = { w, person };

				if (ledger_earn_uses_of(w->l, t, w_use_back_row, &x) < 0) {
					w->failed = 1;
					break;
				}
			}
		}
		if ((got = ledger_receipt_get(w->l, t, &r)) < 0) {
			w->failed = 1;
			break;
		}
		free(t);
		t = got && r.orig_txn && r.amount >= 0 ? loy_xstrdup(r.orig_txn) : NULL;
		receipt_row_clear(&r);
	}
	free(t);
}

/* What an exchange's return lines took off its original comes off the
 * spend the original counted towards the candidate's cumulative rules, as
 * loy-accrue takes it off (with the bonus of a period it takes below the
 * mark); an original before the period counted towards none. */
static void
w_exchanged(struct whatif *w, const struct earn_member *m)
{
	const struct worig *o;
	struct earn_receipt r;

	if (!w->exch_orig || w->exch_took <= 0 ||
	    !(o = strmap_get(w->origs, w->exch_orig, strlen(w->exch_orig))) || !o->counted)
		return;
	r = (struct earn_receipt){ w->exch_orig, o->occurred, o->store, o->channel, o->amount,
	    NULL, 0 };
	w_progress_all(w, &r, m, 0, -w->exch_took);
}

/* The candidate over one gathered receipt. */
static void
whatif_receipt(struct whatif *w)
{
	const struct programme *p = w->cand;
	struct wmem *wm = wmember(w, w->person);
	struct earn_member m = { w->person, wm->tier, wm->birthday, wm->segments, 0, 0 };
	struct earn_receipt r = { w->txn, w->occurred, w->store, w->channel, w->amount,
	    w->lines, w->n };
	struct earn_state st = { w, w_uses, w_member_points, w_given };
	struct earn_result res;
	char day[40], month[40], *uses = NULL;
	size_t nuses = 0;
	int got;

	w->receipts++;
	/* its first purchase, as loy-accrue finds it: no receipt of the
	 * person moved points before it (one that earned none is none) */
	if (wm->bought < 0 &&
	    (wm->bought = ledger_earn_bought_before(w->l, w->person, w->from)) < 0) {
		w->failed = 1;
		return;
	}
	m.first = !wm->bought;
	if ((got = earn_compute(p, &r, &m, &st, &res)) != 0) {
		char why[256];

		if (got == 2)
			loy_warn("receipt '%s': %s under the candidate: left out", w->txn,
			    earn_gave_up(p, &r, &res, why, sizeof(why)));
		else if (got > 0)
			loy_warn("receipt '%s' would move more than %lld points under the "
			    "candidate: left out", w->txn, (long long)POINTS_MAX);
		else
			w->failed = 1;
		w_orig(w, 0, 0, 1, NULL);
		return;
	}
	for (int i = 0; i < res.n; i++)
		tally(w, earn_rule_name(p, res.parts[i].rule))->cand += res.parts[i].points;
	if (res.points > 0)
		wm->bought = 1;
	snprintf(day, sizeof(day), "%.10s 00:00:00", w->occurred);
	snprintf(month, sizeof(month), "%.7s-01 00:00:00", w->occurred);
	*count(w, "points day", w->person, day) += res.points;
	*count(w, "points month", w->person, month) += res.points;
	for (int k = 0; k < p->nrules; k++) {
		const struct rule *ru = &p->rules[k];
		int64_t s = 0;

		for (int i = 0; i < res.n; i++)
			if (res.parts[i].rule == k)
				s += res.parts[i].points;
		/* a use, as loy-accrue counts it (earn_record) */
		if (ru->limit >= 0 && earn_receipt_used(ru, k, &r, &res)) {
			char key[16];
			size_t a = strlen(ru->name), b;

			earn_period_key(ru->limit_period, w->occurred, key);
			++*count(w, ru->name, w->person, key);
			b = strlen(key);
			uses = loy_xrealloc(uses, nuses + a + b + 3);
			memcpy(uses + nuses, ru->name, a);
			uses[nuses + a] = '\037';
			memcpy(uses + nuses + a + 1, key, b);
			uses[nuses + a + 1 + b] = '\036';
			nuses += a + b + 2;
			uses[nuses] = '\0';
		}
		if (s && ru->budget >= 0)
			*count(w, "given", ru->name, "") += s;
	}
	/* cumulative rules: progress within each period, once per person */
	w_progress_all(w, &r, &m, 1, w->amount);
	w_exchanged(w, &m);
	w_orig(w, res.points, 1, 0, uses);
	free(uses);
	earn_result_free(&res);
}

/* A state of nothing given yet: a purchase before the period, alone (its
 * caps and budgets). */
static int
w_none(void *ctx, const char *a, const char *b, const char *c, int64_t *n)
{
	(void)ctx;
	(void)a;
	(void)b;
	(void)c;
	*n = 0;
	return 0;
}

static int
w_none_points(void *ctx, const char *a, const char *b, const char *c, int64_t *n)
{
	return w_none(ctx, a, b, c, n);
}

static int
w_none_given(void *ctx, const char *rule, int64_t *n)
{
	return w_none(ctx, rule, NULL, NULL, n);
}

/* A purchase before the period: the uses of a rule the ledger holds from
 * before it, as loy-accrue counted them when it took the purchase. */
struct wbefore {
	struct whatif *w;
	const char *occurred;
};

static int
w_before_uses(void *ctx, const char *rule, const char *member, const char *key, int64_t *n)
{
	struct wbefore *x = ctx;

	return ledger_earn_uses_before(x->w->l, rule, member, key, x->occurred, n);
}

/* The lines of one receipt (ledger_earn_lines). */
struct wlines {
	struct earn_line *v;
	char **text;
	int n, first;
};

static int
wlines_row(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct wlines *wl = ctx;

	(void)ncols;
	(void)cols;
	if (!row)
		return 0;
	wl->first = row[7] && atoi(row[7]);
	wl->v = loy_xrealloc(wl->v, (wl->n + 1) * sizeof(*wl->v));
	wl->text = loy_xrealloc(wl->text, (wl->n + 1) * sizeof(*wl->text));
	wl->text[wl->n] = earn_line_from_row(&wl->v[wl->n], row[8], row[9], row[10], row[11],
	    row[12], row[13]);
	wl->n++;
	return 0;
}

/* What the candidate would have given purchase txn of person `member`,
 * credited before the period (so alone: nothing of the period counts
 * towards its caps; its limits count the uses the ledger holds from
 * before the purchase); one that the ledger keeps no lines of keeps its
 * points, `given`.  One the candidate cannot earn gives none, and its
 * return `ret` is left out with a warning, as a purchase of the period
 * is. */
static int64_t
w_before(struct whatif *w, const char *ret, const char *txn, const char *member,
    const char *occurred, const char *store, const char *channel, int64_t amount,
    int64_t given)
{
	struct wlines wl = { 0 };
	struct wmem *wm = wmember(w, member);
	struct wbefore x = { w, occurred };
	struct earn_state st = { &x, w_before_uses, w_none_points, w_none_given };
	struct earn_result res;
	int64_t points = given;
	int got;

	if (ledger_earn_lines(w->l, txn, wlines_row, &wl) < 0) {
		w->failed = 1;
		return 0;
	}
	if (wl.n > 0) {
		struct earn_member m = { member, wm->tier, wm->birthday, wm->segments, wl.first,
		    0 };
		struct earn_receipt r = { txn, occurred, store, channel, amount, wl.v, wl.n };

		points = 0;
		if ((got = earn_compute(w->cand, &r, &m, &st, &res)) == 0) {
			points = res.points;
			earn_result_free(&res);
		} else if (got == 2) {
			char why[256];

			loy_warn("receipt '%s': its original '%s': %s under the candidate: "
			    "left out", ret, txn, earn_gave_up(w->cand, &r, &res, why, sizeof(why)));
		} else if (got > 0) {
			loy_warn("receipt '%s': its original '%s' would move more than %lld "
			    "points under the candidate: left out", ret, txn,
			    (long long)POINTS_MAX);
		} else
			w->failed = 1;
	}
	for (int i = 0; i < wl.n; i++)
		free(wl.text[i]);
	free(wl.text);
	free(wl.v);
	return points;
}

/* A return of the period under the candidate, as loy-accrue took it
 * (ledger_earn_replay's columns): in proportion to what the candidate gave
 * its original, or at the candidate's base rate; the spend it takes off
 * the cumulative rules.  Its points given are the [return] row's. */
static void
whatif_return(struct whatif *w, const char *const *row)
{
	struct wmem *wm = wmember(w, row[30]);
	struct earn_member m = { row[30], wm->tier, wm->birthday, wm->segments, 0, 0 };
	struct tally *x = tally(w, "[return]");
	const char *mode = row[20] ? row[20] : "rate";
	int64_t back = -atoll(row[5]), owed = 0;

	w->receipts++;
	x->order = 1 << 21;	/* after the rules and caps */
	x->actual += row[19] ? atoll(row[19]) : 0;
	if (strcmp(mode, "orig") == 0) {
		int64_t kept = atoll(row[18]), before = atoll(row[21]), amount = atoll(row[26]);
		const struct worig *o = strmap_get(w->origs, row[17], strlen(row[17]));
		struct earn_receipt r = { row[17], row[23], row[24], row[25], amount, NULL, 0 };
		int64_t cand = o ? o->cand : w_before(w, row[0], row[17], row[30], row[23],
		    row[24], row[25], amount, row[27] ? atoll(row[27]) : 0);
		int64_t total;

		/* its original left out (warned), it is too, as one before the
		 * period the candidate cannot earn */
		if (o && o->left_out)
			loy_warn("receipt '%s' returns '%s', left out under the candidate: "
			    "left out", row[0], row[17]);
		if (before > amount)
			before = amount;
		total = before + kept > amount ? amount : before + kept;
		owed = (int64_t)((__int128)cand * total / amount) -
		    (int64_t)((__int128)cand * before / amount);
		if (owed < 0)
			owed = 0;
		/* its spend off the original's period, where it counted */
		if (o && o->counted && kept > 0)
			w_progress_all(w, &r, &m, 0, -kept);
		/* leaving nothing of it, the uses it made of limited rules */
		if (before < amount && before + kept >= amount)
			w_uses_back(w, row[17], row[30]);
	} else if (strcmp(mode, "rate") == 0) {
		struct earn_receipt r = { row[0], row[2], row[3], row[4], back, NULL, 0 };

		owed = earn_base_points(w->cand, back);
		w_progress_all(w, &r, &m, 0, -back);
	}
	x->cand -= owed;
	/* points taken back are an entry of the receipt's, as a purchase's */
	if (owed > 0)
		wm->bought = 1;
}

/* Rows of ledger_earn_replay: gather a purchase's lines, then run it; a
 * return at once. */
static int
whatif_line(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct whatif *w = ctx;
	struct earn_line *ln;
	int ret;

	(void)ncols;
	(void)cols;
	if (!row)
		return 0;
	ret = row[28] && atoi(row[28]);
	if (w->txn && (ret || strcmp(w->txn, row[0]) != 0)) {
		whatif_receipt(w);
		receipt_clear(w);
	}
	if (ret) {
		whatif_return(w, row);
		return w->failed;
	}
	if (!w->txn) {
		w->txn = loy_xstrdup(row[0]);
		w->person = loy_xstrdup(row[30]);
		w->occurred = loy_xstrdup(row[2]);
		w->store = row[3] ? loy_xstrdup(row[3]) : NULL;
		w->channel = row[4] ? loy_xstrdup(row[4]) : NULL;
		w->amount = atoll(row[5]);
		w->returned = row[16] && atoi(row[16]);
		w->exch_orig = row[34] ? loy_xstrdup(row[34]) : NULL;
		w->exch_took = row[35] ? atoll(row[35]) : 0;
	}
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 16;
		w->lines = loy_xrealloc(w->lines, w->cap * sizeof(*w->lines));
		w->text = loy_xrealloc(w->text, w->cap * sizeof(*w->text));
	}
	ln = &w->lines[w->n];
	w->text[w->n++] = earn_line_from_row(ln, row[8], row[9], row[10], row[11], row[12],
	    row[13]);
	return w->failed;
}

/* Rows of the actual points per rule: rule, points.  What exchanges'
 * return lines took back ([return], a purchase's own) is not re-run: the
 * candidate takes it back as it was taken.  What a purchase settled in
 * parts kept for the points its returns took back before its later lines
 * ([return] taken before) is theirs: the candidate's returns take back
 * what they owe of the whole, the actual ones what they took less that. */
static int
whatif_actual(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	int64_t v;

	(void)ncols;
	(void)cols;
	if (row && row[0]) {
		int taken = strcmp(row[0], "[return] taken before") == 0;
		struct tally *x = tally(ctx, taken ? "[return]" : row[0]);

		v = row[1] ? atoll(row[1]) : 0;
		x->actual += v;
		if (taken || strcmp(row[0], "[return]") == 0)
			x->order = 1 << 21;	/* as whatif_return's */
		if (!taken && strcmp(row[0], "[return]") == 0)
			x->cand += v;
	}
	return 0;
}

/* Rows of the actual points of awards and events: rule, points. */
static int
whatif_other(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	(void)ncols;
	(void)cols;
	if (row && row[0]) {
		struct tally *x = tally(ctx, row[0]);

		x->actual += row[1] ? atoll(row[1]) : 0;
		x->other = 1;
	}
	return 0;
}

/* Has the candidate the sign-up or referral rule, or the event, whose
 * points the ledger gave under this name (a tally's)?  Those it keeps are
 * not re-run; one it has not gives nothing. */
static int
not_rerun(const struct programme *p, const char *name)
{
	size_t len = strlen(name);

	for (int k = 0; k < p->nrules; k++)
		if (strcmp(p->rules[k].name, name) == 0)
			return p->rules[k].trigger == TRIGGER_SIGNUP ||
			    p->rules[k].trigger == TRIGGER_REFERRAL;
	if (len < 8 || strncmp(name, "[event ", 7) != 0 || name[len - 1] != ']')
		return 0;
	for (int i = 0; i < p->nevents; i++)
		if (strlen(p->events[i].name) == len - 8 &&
		    strncmp(p->events[i].name, name + 7, len - 8) == 0)
			return 1;
	return 0;
}

static int
cmp_tally(const void *x, const void *y)
{
	const struct tally *a = *(struct tally *const *)x, *b = *(struct tally *const *)y;

	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return strcmp(a->rule, b->rule);
}

/* points x value (mant / 10^scale) as exact decimal text, at least
 * `decimals` places. */
static void
cost(struct csvio_writer *out, int64_t points, int64_t mant, int scale, int decimals)
{
	__int128 v = (__int128)points * mant;
	char buf[64];

	while (scale < decimals) {
		v *= 10;
		scale++;
	}
	if (v > MONEY_MAX * (__int128)1000000000 || v < -MONEY_MAX * (__int128)1000000000) {
		csvio_put(out, "overflow");
		return;
	}
	if (v > INT64_MAX || v < -INT64_MAX) {
		csvio_put(out, "overflow");
		return;
	}
	money_format((int64_t)v, scale, buf);
	csvio_put(out, buf);
}

int
earn_whatif(const struct cli *cli, struct ledger *l, const char *file, const char *from,
    const char *to)
{
	struct whatif w = { .l = l };
	struct programme cand;
	char f[20], t[20], now[20];
	const char *why, *pv;
	struct tally **v = NULL, sum = { .rule = "total" };
	size_t nt;
	int64_t amant, cmant;
	int ascale, cscale, status = 0, dec;

	/* the ledger's programme and figures of one moment */
	if (ledger_begin_read(l) < 0)
		return ledger_status(l);
	dec = ledger_decimals(l);
	if (when_parse(from, cli->date_format, WHEN_DATE, f, &why) < 0) {
		loy_error("--from '%s' %s", from, why);
		return LOY_EX_USAGE;
	}
	if (when_parse(to, cli->date_format, WHEN_DATE, t, &why) < 0) {
		loy_error("--to '%s' %s", to, why);
		return LOY_EX_USAGE;
	}
	strcpy(f + 10, " 00:00:00");
	strcpy(t + 10, " 23:59:59");
	if (strcmp(t, f) < 0) {
		loy_error("--to '%s' is before --from '%s'", to, from);
		return LOY_EX_USAGE;
	}
	if ((status = program_read(file, &cand, "")) != 0)
		return status;
	if (program_same_basis(strcmp(file, "-") == 0 ? "stdin" : file, &cand, l) < 0) {
		programme_free(&cand);
		return LOY_EX_DATAERR;
	}
	/* the points given are valued as loy-report values a period: at the
	 * version in force at its end, or now when that is earlier, applied
	 * or not; a candidate that sets no point value alike */
	when_now(now);
	if (programme_setting_at(l, "point_value", strcmp(t, now) < 0 ? t : now, &pv) < 0) {
		programme_free(&cand);
		return ledger_status_or(l, LOY_EX_DATAERR);
	}
	if (decimal_parse(pv, &amant, &ascale, &why) < 0)
		amant = ascale = 0;
	if (!(pv = programme_setting(&cand, "point_value")) ||
	    decimal_parse(pv, &cmant, &cscale, &why) < 0) {
		cmant = amant;
		cscale = ascale;
	}
	w.cand = &cand;
	w.from = f;
	{
		/* the segments the candidate's rules name, as a JSON array */
		size_t cap2 = 3;

		for (int k = 0; k < cand.nrules; k++)
			for (int i = 0; i < cand.rules[k].segments.n; i++)
				cap2 += 2 * strlen(cand.rules[k].segments.v[i]) + 4;
		w.segments = loy_xmalloc(cap2);
		strcpy(w.segments, "[");
		for (int k = 0; k < cand.nrules; k++)
			for (int i = 0; i < cand.rules[k].segments.n; i++) {
				const char *nm = cand.rules[k].segments.v[i];

				if (w.segments[1])
					strcat(w.segments, ",");
				strcat(w.segments, "\"");
				for (const char *c = nm; *c; c++) {
					size_t len = strlen(w.segments);

					if (*c == '"' || *c == '\\')
						w.segments[len++] = '\\';
					w.segments[len++] = *c;
					w.segments[len] = '\0';
				}
				strcat(w.segments, "\"");
			}
		strcat(w.segments, "]");
	}
	w.tallies = strmap_new();
	w.counts = strmap_new();
	w.members = strmap_new();
	w.origs = strmap_new();
	tally(&w, "[earn]")->order = -1;
	for (int k = 0; k < cand.nrules; k++)
		tally(&w, cand.rules[k].name)->order = k;
	if (ledger_begin_read(l) < 0 ||
	    ledger_earn_replay(l, f, t, whatif_line, &w) < 0 ||
	    ledger_earn_other_points(l, f, t, whatif_other, &w) < 0 ||
	    ledger_earn_actual(l, f, t, whatif_actual, &w) < 0)
		status = ledger_status(l);
	if (!status && w.txn)
		whatif_receipt(&w);
	if (!status && w.failed)
		status = ledger_status(l);
	ledger_rollback(l);
	/* sign-up, referral and event points are not re-run: taken as given
	 * where the candidate has the rule or the event, else it gives none */
	for (size_t i = 0; i < strmap_count(w.tallies); i++) {
		struct tally *x = strmap_value(w.tallies, i);

		if (x->other && not_rerun(&cand, x->rule))
			x->cand = x->actual;
	}
	if (!status) {
		struct csvio_writer *out = csvio_writer(stdout, cli_format(cli), cli->safe_cells);
		static const char *const cols[] = {
			"rule", "actual_points", "whatif_points", "difference", "actual_cost",
			"whatif_cost", "cost_difference"
		};

		nt = strmap_count(w.tallies);
		v = loy_xmalloc((nt + 1) * sizeof(*v));
		for (size_t i = 0; i < nt; i++)
			v[i] = strmap_value(w.tallies, i);
		qsort(v, nt, sizeof(*v), cmp_tally);
		v[nt] = &sum;
		for (size_t i = 0; i < nt; i++) {
			sum.actual += v[i]->actual;
			sum.cand += v[i]->cand;
		}
		for (size_t i = 0; i < 7; i++)
			csvio_put(out, cols[i]);
		csvio_end(out);
		for (size_t i = 0; i <= nt; i++) {
			struct tally *x = v[i];

			csvio_put(out, x->rule);
			csvio_put_int(out, x->actual);
			csvio_put_int(out, x->cand);
			csvio_put_int(out, x->cand - x->actual);
			cost(out, x->actual, amant, ascale, dec);
			cost(out, x->cand, cmant, cscale, dec);
			/* the difference at each side's own point value */
			{
				__int128 a = (__int128)x->actual * amant, c = (__int128)x->cand * cmant;
				int s = ascale > cscale ? ascale : cscale;

				for (int k = ascale; k < s; k++)
					a *= 10;
				for (int k = cscale; k < s; k++)
					c *= 10;
				c -= a;
				cost(out, c > INT64_MAX || c < -INT64_MAX ? INT64_MAX : (int64_t)c, 1,
				    s, dec);
			}
			csvio_end(out);
		}
		if (cli_writer_done(out) != 0)
			status = LOY_EX_IOERR;
		fprintf(stderr, "%s: %s from %.10s to %.10s: %ld receipt%s, %lld points given, "
		    "%lld under %s\n", loy_progname, file, f, t, w.receipts,
		    w.receipts == 1 ? "" : "s", (long long)sum.actual, (long long)sum.cand, file);
	}
	for (size_t i = 0; i < strmap_count(w.tallies); i++) {
		struct tally *x = strmap_value(w.tallies, i);

		free(x->rule);
		free(x);
	}
	for (size_t i = 0; i < strmap_count(w.counts); i++)
		free(strmap_value(w.counts, i));
	for (size_t i = 0; i < strmap_count(w.members); i++) {
		struct wmem *m = strmap_value(w.members, i);

		free(m->tier);
		free(m->birthday);
		free(m->segments);
		free(m);
	}
	strmap_free(w.tallies);
	strmap_free(w.counts);
	strmap_free(w.members);
	for (size_t i = 0; i < strmap_count(w.origs); i++) {
		worig_clear(strmap_value(w.origs, i));
		free(strmap_value(w.origs, i));
	}
	strmap_free(w.origs);
	receipt_clear(&w);
	free(w.lines);
	free(w.text);
	free(v);
	free(w.segments);
	programme_free(&cand);
	return status;
}
