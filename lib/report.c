/* report: loy-report's reports.  Each is one query (lib/ledger_report.c)
 * and a list of output columns: a query column as text or as a whole
 * number, minor units as money, points at the programme's point value, or
 * a percentage of two columns.  Everything is integer arithmetic; money
 * is printed as exact decimal text. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "diag.h"
#include "money.h"
#include "programme.h"
#include "report.h"
#include "when.h"

/* Output column kinds. */
enum {
	C_TEXT = 't',		/* column a as text */
	C_INT = 'i',		/* column a, a whole number */
	C_MONEY = 'm',		/* column a in minor units, as money */
	C_VALUE = 'v',		/* column a in points, at the point value */
	C_ADJUSTED = 'a',	/* C_VALUE less the observed breakage */
	C_PCT = 'p',		/* 100 * a / b, two decimals */
	C_PCT_SETTLED = 'q',	/* 100 * a / (a + b), two decimals */
	C_PCT_VALUE = 'P',	/* 100 * value(a) / b, two decimals */
	C_MEASURE = 'T',	/* column a in the tier measure's unit on day b:
				   money for spend, else a whole number */
};

struct col {
	const char *name;
	char kind;
	const char *a, *b;
};

/* Options a report takes. */
enum { O_WINDOW = 1, O_BY = 2, O_PER = 4, O_LOTS = 8, O_OPERAND = 16, O_BY_TIER = 32,
	O_BY_OPTIONAL = 64, O_RULE = 128 };

struct rdef {
	const char *name;
	enum lr_query q;
	unsigned opts;
	const struct col *cols;
};

static const struct col statement_cols[] = {
	{ "entry_id", C_INT, "entry_id", 0 }, { "occurred_at", C_TEXT, "occurred_at", 0 },
	{ "posted_at", C_TEXT, "posted_at", 0 }, { "kind", C_TEXT, "kind", 0 },
	{ "points", C_INT, "points", 0 }, { "balance", C_INT, "balance", 0 },
	{ "source", C_TEXT, "source", 0 }, { "ref", C_TEXT, "ref", 0 },
	{ "reason", C_TEXT, "reason", 0 }, { 0, 0, 0, 0 }
};
static const struct col lots_cols[] = {
	{ "lot_id", C_INT, "lot_id", 0 }, { "earned_at", C_TEXT, "earned_at", 0 },
	{ "expires_at", C_TEXT, "expires_at", 0 },
	{ "available_at", C_TEXT, "available_at", 0 }, { "points", C_INT, "points", 0 },
	{ "remaining", C_INT, "remaining", 0 }, { "state", C_TEXT, "state", 0 },
	{ 0, 0, 0, 0 }
};
static const struct col balances_cols[] = {
	{ "member_id", C_TEXT, "member_id", 0 }, { "status", C_TEXT, "status", 0 },
	{ "tier", C_TEXT, "tier", 0 }, { "balance", C_INT, "balance", 0 },
	{ "spendable", C_INT, "spendable", 0 }, { "pending", C_INT, "pending", 0 },
	{ "past_date", C_INT, "past_date", 0 },
	{ "last_activity", C_TEXT, "last_activity", 0 }, { 0, 0, 0, 0 }
};
static const struct col liability_cols[] = {
	{ "expires", C_TEXT, "expires", 0 }, { "tier", C_TEXT, "tier", 0 },
	{ "members", C_INT, "members", 0 }, { "lots", C_INT, "lots", 0 },
	{ "points", C_INT, "points", 0 }, { "value", C_VALUE, "points", 0 },
	{ "adjusted_value", C_ADJUSTED, "points", 0 }, { 0, 0, 0, 0 }
};
static const struct col earn_burn_cols[] = {
	{ "period", C_TEXT, "period", 0 }, { "store", C_TEXT, "store", 0 },
	{ "channel", C_TEXT, "channel", 0 }, { "category", C_TEXT, "category", 0 },
	{ "earned", C_INT, "earned", 0 }, { "returned", C_INT, "returned", 0 },
	{ "bonus", C_INT, "bonus", 0 }, { "adjusted", C_INT, "adjusted", 0 }, { "opening", C_INT, "opening", 0 },
	{ "redeemed", C_INT, "redeemed", 0 }, { "cancelled", C_INT, "cancelled", 0 },
	{ "expired", C_INT, "expired", 0 }, { "merged", C_INT, "merged", 0 },
	{ "transferred", C_INT, "transferred", 0 }, { "other", C_INT, "other", 0 }, { "net", C_INT, "net", 0 },
	{ "entries", C_INT, "entries", 0 }, { 0, 0, 0, 0 }
};
static const struct col breakage_cols[] = {
	{ "cohort", C_TEXT, "cohort", 0 }, { "earned", C_INT, "earned", 0 },
	{ "redeemed", C_INT, "redeemed", 0 }, { "expired", C_INT, "expired", 0 },
	{ "other", C_INT, "other", 0 }, { "outstanding", C_INT, "outstanding", 0 },
	{ "breakage_pct", C_PCT, "expired", "earned" },
	{ "settled_breakage_pct", C_PCT_SETTLED, "expired", "redeemed" }, { 0, 0, 0, 0 }
};
static const struct col tiers_cols[] = {
	{ "tier", C_TEXT, "tier", 0 }, { "members", C_INT, "members", 0 },
	{ "share_pct", C_PCT, "members", "total" }, { "points", C_INT, "points", 0 },
	{ "value", C_VALUE, "points", 0 }, { 0, 0, 0, 0 }
};
static const struct col tier_moves_cols[] = {
	{ "period", C_TEXT, "period", 0 }, { "from_tier", C_TEXT, "from_tier", 0 },
	{ "to_tier", C_TEXT, "to_tier", 0 }, { "movement", C_TEXT, "movement", 0 },
	{ "changes", C_INT, "changes", 0 }, { "members", C_INT, "members", 0 },
	{ 0, 0, 0, 0 }
};
static const struct col tier_history_cols[] = {
	{ "change_id", C_INT, "change_id", 0 }, { "effective", C_TEXT, "effective", 0 },
	{ "from_tier", C_TEXT, "from_tier", 0 }, { "to_tier", C_TEXT, "to_tier", 0 },
	{ "reason", C_TEXT, "reason", 0 }, { "measure", C_MEASURE, "measure", "effective" },
	{ "threshold", C_MEASURE, "threshold", "effective" }, { "run_id", C_INT, "run_id", 0 },
	{ 0, 0, 0, 0 }
};
static const struct col economics_cols[] = {
	{ "period", C_TEXT, "period", 0 }, { "sales", C_MONEY, "sales", 0 },
	{ "member_sales", C_MONEY, "member_sales", 0 },
	{ "member_share_pct", C_PCT, "member_sales", "sales" },
	{ "purchases", C_INT, "purchases", 0 },
	{ "points_earned", C_INT, "points_earned", 0 },
	{ "earned_value", C_VALUE, "points_earned", 0 },
	{ "give_back_pct", C_PCT_VALUE, "points_earned", "member_sales" },
	{ "points_adjusted", C_INT, "points_adjusted", 0 },
	{ "points_redeemed", C_INT, "points_redeemed", 0 },
	{ "redeemed_value", C_VALUE, "points_redeemed", 0 },
	{ "partner_cost", C_MONEY, "partner_cost", 0 },
	{ "partner_cost_pct", C_PCT, "partner_cost", "member_sales" }, { 0, 0, 0, 0 }
};
static const struct col rule_costs_cols[] = {
	{ "period", C_TEXT, "period", 0 }, { "rule", C_TEXT, "rule", 0 },
	{ "awards", C_INT, "awards", 0 }, { "members", C_INT, "members", 0 },
	{ "points", C_INT, "points", 0 }, { "value", C_VALUE, "points", 0 },
	{ "share_pct", C_PCT, "points", "total" }, { 0, 0, 0, 0 }
};
static const struct col retention_cols[] = {
	{ "cohort", C_TEXT, "cohort", 0 }, { "members", C_INT, "members", 0 },
	{ "month", C_INT, "month", 0 }, { "active", C_INT, "active", 0 },
	{ "share_pct", C_PCT, "active", "members" }, { 0, 0, 0, 0 }
};
static const struct col referrals_cols[] = {
	{ "referrer", C_TEXT, "referrer", 0 }, { "referees", C_INT, "referees", 0 },
	{ "purchasing", C_INT, "purchasing", 0 }, { "purchases", C_INT, "purchases", 0 },
	{ "spend", C_MONEY, "spend", 0 }, { 0, 0, 0, 0 }
};
static const struct col partners_cols[] = {
	{ "period", C_TEXT, "period", 0 }, { "partner", C_TEXT, "partner", 0 },
	{ "rewards", C_INT, "rewards", 0 }, { "redemptions", C_INT, "redemptions", 0 },
	{ "units", C_INT, "units", 0 }, { "cost", C_MONEY, "cost", 0 }, { 0, 0, 0, 0 }
};
static const struct col redemptions_cols[] = {
	{ "period", C_TEXT, "period", 0 }, { "reward_id", C_TEXT, "reward_id", 0 },
	{ "name", C_TEXT, "name", 0 }, { "redeemed", C_INT, "redeemed", 0 },
	{ "units", C_INT, "units", 0 }, { "points", C_INT, "points", 0 },
	{ "members", C_INT, "members", 0 }, { "cancelled", C_INT, "cancelled", 0 },
	{ "refused", C_INT, "refused", 0 }, { 0, 0, 0, 0 }
};
static const struct col runs_cols[] = {
	{ "run_id", C_INT, "run_id", 0 }, { "program", C_TEXT, "program", 0 },
	{ "started_at", C_TEXT, "started_at", 0 }, { "ended_at", C_TEXT, "ended_at", 0 },
	{ "rows_read", C_INT, "rows_read", 0 }, { "rows_changed", C_INT, "rows_changed", 0 },
	{ "rows_unchanged", C_INT, "rows_unchanged", 0 },
	{ "rows_rejected", C_INT, "rows_rejected", 0 }, { "inputs", C_TEXT, "inputs", 0 },
	{ "sha256", C_TEXT, "sha256", 0 }, { "summary", C_TEXT, "summary", 0 },
	{ "args", C_TEXT, "args", 0 }, { "operator", C_TEXT, "operator", 0 }, { 0, 0, 0, 0 }
};

static const struct rdef reports[] = {
	{ "statement", LR_STATEMENT, O_WINDOW | O_LOTS | O_OPERAND, statement_cols },
	{ "balances", LR_BALANCES, 0, balances_cols },
	{ "liability", LR_LIABILITY, O_BY | O_BY_TIER, liability_cols },
	{ "earn-burn", LR_EARN_BURN, O_WINDOW | O_BY | O_PER, earn_burn_cols },
	{ "breakage", LR_BREAKAGE, O_WINDOW | O_BY, breakage_cols },
	{ "tiers", LR_TIERS, O_WINDOW | O_BY | O_BY_OPTIONAL, tiers_cols },
	{ "economics", LR_ECONOMICS, O_WINDOW | O_BY | O_BY_OPTIONAL | O_PER, economics_cols },
	{ "promotion", LR_PROMOTION, O_WINDOW | O_RULE, NULL },
	{ "retention", LR_RETENTION, O_WINDOW, retention_cols },
	{ "referrals", LR_REFERRALS, O_WINDOW, referrals_cols },
	{ "partners", LR_PARTNERS, O_WINDOW | O_BY, partners_cols },
	{ "redemptions", LR_REDEMPTIONS, O_WINDOW | O_BY | O_BY_OPTIONAL, redemptions_cols },
	{ "runs", LR_RUNS, O_WINDOW, runs_cols },
	{ NULL, 0, 0, NULL }
};

/* ------------------------------------------------------------------ output */

/* Rows go to a csvio writer (CSV, TSV, table), as JSON lines, or into a grid. */
struct out {
	int format;
	FILE *f;
	struct csvio_writer *w;
	struct grid *g;
	char **keys;		/* JSON: the header's names */
	int nkeys, col, header;
};

static void
out_open(struct out *o, FILE *f, int format, int safe, struct grid *g)
{
	memset(o, 0, sizeof(*o));
	o->format = format;
	o->f = f;
	o->g = g;
	o->header = 1;
	if (!g && format != REPORT_JSON)
		o->w = csvio_writer(f, format, safe);
}

static void
json_string(FILE *f, const char *s)
{
	putc_unlocked('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			putc_unlocked(c, f);
	}
	putc_unlocked('"', f);
}

static void
grid_put(struct grid *g, const char *s, int header)
{
	if (header) {
		g->names = loy_xrealloc(g->names, (g->ncols + 1) * sizeof(char *));
		g->names[g->ncols++] = loy_xstrdup(s);
		return;
	}
	if (g->ncell == g->cellcap) {
		g->cellcap = g->cellcap ? 2 * g->cellcap : 64;
		g->cell = loy_xrealloc(g->cell, g->cellcap * sizeof(char *));
	}
	g->cell[g->ncell++] = loy_xstrdup(s);
}

/* One cell: text (NULL for no value), or a JSON number when `number`. */
static void
out_cell(struct out *o, const char *s, int number)
{
	if (o->g) {
		grid_put(o->g, s ? s : "", o->header);
		o->col++;
		return;
	}
	if (o->format != REPORT_JSON) {
		csvio_put(o->w, s);
		return;
	}
	if (o->header) {
		o->keys = loy_xrealloc(o->keys, (o->nkeys + 1) * sizeof(char *));
		o->keys[o->nkeys++] = loy_xstrdup(s);
		return;
	}
	putc_unlocked(o->col ? ',' : '{', o->f);
	json_string(o->f, o->col < o->nkeys ? o->keys[o->col] : "");
	putc_unlocked(':', o->f);
	if (!s)
		fputs("null", o->f);
	else if (number)
		fputs(s, o->f);
	else
		json_string(o->f, s);
	o->col++;
}

static void
out_end(struct out *o)
{
	if (o->g) {
		if (!o->header)
			o->g->nrows++;
		o->col = 0;
		o->header = 0;
		return;
	}
	if (o->format != REPORT_JSON)
		csvio_end(o->w);
	else if (!o->header)
		fputs(o->col ? "}\n" : "{}\n", o->f);
	o->header = 0;
	o->col = 0;
}

/* Flush and free: 0, or -1 if writing failed. */
static int
out_close(struct out *o)
{
	int rc = 0;

	if (o->w)
		rc = csvio_writer_close(o->w);
	else if (!o->g)
		rc = fflush(o->f) == 0 && !ferror(o->f) ? 0 : -1;
	for (int i = 0; i < o->nkeys; i++)
		free(o->keys[i]);
	free(o->keys);
	return rc;
}

void
grid_free(struct grid *g)
{
	for (int i = 0; i < g->ncols; i++)
		free(g->names[i]);
	for (size_t i = 0; i < g->ncell; i++)
		free(g->cell[i]);
	free(g->names);
	free(g->cell);
	free(g->title);
	memset(g, 0, sizeof(*g));
}

const char *
grid_at(const struct grid *g, int row, const char *col)
{
	for (int c = 0; c < g->ncols; c++)
		if (strcmp(g->names[c], col) == 0)
			return g->cell[(size_t)row * g->ncols + c];
	return "";
}

/* ----------------------------------------------------------------- figures */

#define CELL 48	/* a figure's text: 128 bits with sign, point and decimals */

struct run {
	struct ledger *l;
	const struct col *cols;
	struct out *out;
	int ncols;
	int *a, *b;		/* query column of each output column's a and b */
	const char **cell;	/* a row's cells, made before any is written */
	int *num;		/* whether each is a number (JSON) */
	char (*buf)[CELL];	/* the text of those made here */
	int decimals;
	int64_t pv_mant;	/* the point value, pv_mant / 10^pv_scale */
	int pv_scale;
	int64_t expired, redeemed;	/* the observed breakage */
	struct programme *pv;	/* the programme's versions, for C_MEASURE */
	int npv;
	int failed;
	long rows;
};

/* 10^digits * num / den, rounded half away from zero, in *out: exactly,
 * however far past int64 (member sales of 10^15 against sales of 1 after
 * returns); -1 past 2^120, which no share of sums reaches but one of values
 * at an absurd point_value could.  |den| is at most 2^123, as any value is. */
static int
scaled(__int128 num, __int128 den, int digits, __int128 *out)
{
	__int128 q, r, big = (__int128)1 << 120;

	if (den < 0) {
		num = -num;
		den = -den;
	}
	q = num / den;
	r = num % den;		/* |r| < den: 10 r fits */
	for (int i = 0; i < digits; i++) {	/* long division, a digit a step */
		if (q > big || q < -big)
			return -1;
		r *= 10;
		q = q * 10 + r / den;
		r %= den;
	}
	if (r < 0)
		r = -r;
	if (2 * r >= den)
		q += num < 0 ? -1 : 1;
	*out = q;
	return 0;
}

/* 100 * num / den with two decimals: a percentage; -1 as scaled. */
static int
pct(__int128 num, __int128 den, char buf[static CELL])
{
	__int128 q;

	if (scaled(num, den, 4, &q) < 0)
		return -1;
	money_format_wide(q, 2, buf);
	return 0;
}

/* points x point_value in minor units, rounded half away from zero: exact in
 * 128 bits for every sum of points at every point value (its mantissa is at
 * most 10^15). */
static __int128
value(const struct run *r, int64_t points)
{
	__int128 v = 0;

	money_mul_round_wide(points, r->pv_mant, r->pv_scale, r->decimals, &v);
	return v;
}

/* The value less the observed breakage: value * redeemed / (expired + redeemed),
 * rounded half away from zero; the whole value when nothing has settled. */
static __int128
adjusted(const struct run *r, __int128 v)
{
	__int128 d = (__int128)r->expired + r->redeemed, q, rem;

	if (d <= 0 || r->redeemed < 0 || r->expired < 0)
		return v;
	/* v = q d + rem: v R / d = q R + rem R / d, and q R is at most v */
	q = v / d;
	rem = v % d;
	q *= r->redeemed;
	rem *= r->redeemed;	/* |rem| < d < 2^64, R < 2^63 */
	q += rem / d;
	rem %= d;
	if (rem < 0)
		rem = -rem;
	if (2 * rem >= d)
		q += v < 0 ? -1 : 1;
	return q;
}

static int
find(int n, const char *const *names, const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static int
emit(void *ctx, int n, const char *const *names, const struct lr_val *v)
{
	struct run *r = ctx;

	if (!v) {
		r->a = loy_xmalloc(r->ncols * sizeof(int));
		r->b = loy_xmalloc(r->ncols * sizeof(int));
		r->cell = loy_xmalloc(r->ncols * sizeof(*r->cell));
		r->num = loy_xmalloc(r->ncols * sizeof(*r->num));
		r->buf = loy_xmalloc(r->ncols * sizeof(*r->buf));
		for (int c = 0; c < r->ncols; c++) {
			r->a[c] = find(n, names, r->cols[c].a);
			r->b[c] = find(n, names, r->cols[c].b);
			if (r->a[c] >= 0)
				out_cell(r->out, r->cols[c].name, 0);
		}
		out_end(r->out);
		return 0;
	}
	/* every cell of the row first, so that a figure that cannot be had
	 * leaves no row half written */
	for (int c = 0; c < r->ncols; c++) {
		const struct lr_val *a = r->a[c] >= 0 ? &v[r->a[c]] : NULL;
		const struct lr_val *b = r->b[c] >= 0 ? &v[r->b[c]] : NULL;
		char *buf = r->buf[c];

		r->cell[c] = NULL;
		r->num[c] = 0;
		if (!a)
			continue;
		switch (r->cols[c].kind) {
		case C_TEXT:	/* '' and NULL alike: empty, or null in JSON */
			r->cell[c] = a->null || !*a->s ? NULL : a->s;
			break;
		case C_INT:
			snprintf(buf, CELL, "%lld", (long long)a->i);
			r->cell[c] = a->null ? NULL : buf;
			r->num[c] = 1;
			break;
		case C_MONEY:
			r->cell[c] = a->null ? NULL : money_format(a->i, r->decimals, buf);
			break;
		case C_MEASURE: {
			/* the version that measured the day, as loy-segment's run did */
			const struct programme *pg = NULL;
			char when[32];

			if (a->null)
				break;
			if (b) {
				snprintf(when, sizeof(when), "%.10s 23:59:59", b->s);
				pg = programme_at(r->pv, r->npv, when);
			}
			if (pg && pg->tiers.measure == MEASURE_SPEND)
				r->cell[c] = money_format(a->i, r->decimals, buf);
			else {
				snprintf(buf, CELL, "%lld", (long long)a->i);
				r->cell[c] = buf;
				r->num[c] = 1;
			}
			break;
		}
		case C_VALUE:
		case C_ADJUSTED: {
			__int128 x;

			if (a->null)
				break;
			x = value(r, a->i);
			if (r->cols[c].kind == C_ADJUSTED)
				x = adjusted(r, x);
			r->cell[c] = money_format_wide(x, r->decimals, buf);
			break;
		}
		case C_PCT:
		case C_PCT_SETTLED:
		case C_PCT_VALUE: {
			__int128 num = a->i, den = b ? b->i : 0;

			if (r->cols[c].kind == C_PCT_SETTLED)
				den = (__int128)a->i + (b ? b->i : 0);
			if (r->cols[c].kind == C_PCT_VALUE)
				num = value(r, a->i);
			if (a->null || !b || b->null || den == 0)
				break;
			if (pct(num, den, buf) < 0) {
				r->failed = loy_error("%s: the share of %lld points is too large to"
				    " print", r->cols[c].name, (long long)a->i);
				return 1;
			}
			r->cell[c] = buf;
			break;
		}
		}
	}
	for (int c = 0; c < r->ncols; c++)
		if (r->a[c] >= 0)
			out_cell(r->out, r->cell[c], r->num[c]);
	out_end(r->out);
	r->rows++;
	return 0;
}

static int
settled(void *ctx, int n, const char *const *names, const struct lr_val *v)
{
	struct run *r = ctx;

	(void)names;
	if (v && n >= 2) {
		r->expired = v[0].i;
		r->redeemed = v[1].i;
	}
	return 0;
}

static int
member_found(void *ctx, int n, const char *const *names, const struct lr_val *v)
{
	(void)n;
	(void)names;
	if (v)
		*(int *)ctx = 1;
	return 0;
}

/* The time whose programme version a report's point value and tiers are
 * of: the end of its --to, or now when that is later (a version loaded
 * ahead is in force on its date, applied or not). */
static const char *
report_at(const struct lr_params *p)
{
	return strcmp(p->to, p->now) < 0 ? p->to : p->now;
}

/* Prepare a run: the point value, the observed breakage. */
static int
run_init(struct run *r, struct ledger *l, const struct col *cols, struct out *out,
    const struct lr_params *p)
{
	const char *pv, *why;

	if (programme_setting_at(l, "point_value", report_at(p), &pv) < 0)
		return -1;
	memset(r, 0, sizeof(*r));
	r->l = l;
	r->cols = cols;
	r->out = out;
	while (cols && cols[r->ncols].name)
		r->ncols++;
	r->decimals = ledger_decimals(l);
	if (decimal_parse(pv ? pv : "0", &r->pv_mant, &r->pv_scale, &why) < 0)
		return loy_error("ledger setting point_value '%s' %s", pv ? pv : "", why);
	return 0;
}

static void
run_free(struct run *r)
{
	free(r->a);
	free(r->b);
	free(r->cell);
	free(r->num);
	free(r->buf);
	r->a = r->b = NULL;
	r->cell = NULL;
	r->num = NULL;
	r->buf = NULL;
	programme_versions_free(r->pv, r->npv);
	r->pv = NULL;
	r->npv = 0;
}

/* Run one query into `out`: 0 or -1. */
static int
run_query(struct ledger *l, const struct col *cols, enum lr_query q,
    const struct lr_params *p, struct out *out)
{
	struct run r;
	int rc;

	if (run_init(&r, l, cols, out, p) < 0)
		return -1;
	if (q == LR_LIABILITY && ledger_report(l, LR_SETTLED, p, settled, &r) < 0)
		return -1;
	for (int c = 0; c < r.ncols; c++)
		if (cols[c].kind == C_MEASURE) {
			if (programme_versions(l, &r.pv, &r.npv) < 0)
				return -1;
			break;
		}
	rc = ledger_report(l, q, p, emit, &r);
	run_free(&r);
	return rc < 0 || r.failed ? -1 : 0;
}

/* ------------------------------------------------------------------ options */

static int
parse_by(const char *s, enum lr_by *by)
{
	static const char *const names[] = { "", "day", "week", "month", "quarter", "year",
		"tier" };

	for (int i = 1; i <= LR_BY_TIER; i++)
		if (strcmp(s, names[i]) == 0) {
			*by = i;
			return 0;
		}
	return -1;
}

/* --to's day as the first time after it. */
static int
day_after(const char *date, char out[static 20])
{
	char t[20];

	snprintf(t, sizeof(t), "%.10s 00:00:00", date);
	if (when_add_hours(t, 24, out) < 0)
		return -1;
	out[10] = '\0';
	return 0;
}

static int
usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", loy_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return LOY_EX_USAGE;
}

/* The parameters from the options, for report d: 0 or an exit status. */
static int
params(const struct rdef *d, const struct report_opts *o, struct lr_params *p,
    char from[static 20], char to[static 20], char now[static 20], char horizon[static 8])
{
	const char *why;

	memset(p, 0, sizeof(*p));
	when_now(now);
	p->now = now;
	p->from = "";
	p->to = "9999";
	if ((o->from || o->to) && !(d->opts & O_WINDOW))
		return usage_error("%s takes no --from or --to", d->name);
	if (o->by && !(d->opts & O_BY))
		return usage_error("%s takes no --by", d->name);
	if (o->per && !(d->opts & O_PER))
		return usage_error("%s takes no --per", d->name);
	if ((o->lots || o->tiers) && !(d->opts & O_LOTS))
		return usage_error("%s takes no --%s", d->name, o->lots ? "lots" : "tiers");
	if (o->lots && o->tiers)
		return usage_error("--lots and --tiers are two statements: give one");
	if (o->lots && (o->from || o->to))	/* the lots open now, whenever earned */
		return usage_error("statement --lots takes no --from or --to");
	if (!o->from && !o->to &&
	    cli_date_format_unread(o->date_format, NULL, "--from and --to"))
		return LOY_EX_USAGE;
	if (o->from) {
		if (when_parse(o->from, o->date_format, WHEN_DATE, from, &why) < 0)
			return usage_error("--from '%s' %s", o->from, why);
		p->from = from;
	}
	if (o->to) {
		char d10[20];

		if (when_parse(o->to, o->date_format, WHEN_DATE, d10, &why) < 0)
			return usage_error("--to '%s' %s", o->to, why);
		if (o->from && strcmp(d10, from) < 0)
			return usage_error("--to '%s' is before --from '%s'", o->to, o->from);
		if (day_after(d10, to) < 0)
			return usage_error("--to '%s' is out of range: the last day it can name is"
			    " 9999-12-30", o->to);
		p->to = to;
		/* no month after this one: it has had no purchases yet */
		snprintf(horizon, 8, "%.7s", strncmp(d10, now, 7) < 0 ? d10 : now);
	} else
		snprintf(horizon, 8, "%.7s", now);
	p->horizon = horizon;
	p->by = (d->opts & O_BY) && !(d->opts & O_BY_OPTIONAL) ? LR_BY_MONTH : LR_BY_NONE;
	if (o->by) {
		if (parse_by(o->by, &p->by) < 0 || (p->by == LR_BY_TIER && !(d->opts & O_BY_TIER)))
			return usage_error("--by '%s' must be day, week, month, quarter or year%s",
			    o->by,
			    d->opts & O_BY_TIER ? ", or tier" : "");
	}
	if (o->per && d->q == LR_ECONOMICS) {
		if (strcmp(o->per, "rule") != 0)
			return usage_error("--per '%s': economics is by rule only", o->per);
		p->per = LR_PER_RULE;
	} else if (o->per) {
		if (strcmp(o->per, "store") == 0)
			p->per = LR_PER_STORE;
		else if (strcmp(o->per, "channel") == 0)
			p->per = LR_PER_CHANNEL;
		else if (strcmp(o->per, "category") == 0)
			p->per = LR_PER_CATEGORY;
		else
			return usage_error("--per '%s' must be store, channel or category", o->per);
	}
	return 0;
}

/* -------------------------------------------------------------------- html */

static int
to_grid(struct ledger *l, const char *title, const struct col *cols, enum lr_query q,
    const struct lr_params *p, struct grid *g)
{
	struct out o;

	memset(g, 0, sizeof(*g));
	g->title = loy_xstrdup(title);
	out_open(&o, NULL, CSVIO_CSV, 0, g);
	return run_query(l, cols, q, p, &o);
}

/* 0, -1 (the ledger's error), or LOY_EX_IOERR */
static int
report_html(struct ledger *l, const struct lr_params *base)
{
	struct html_data d;
	struct lr_params p = *base;
	struct grid extra[8];
	char *name;
	int rc = -1, n = 0;
	static const struct {
		const char *title;
		const struct col *cols;
		enum lr_query q;
		enum lr_by by;
	} more[] = {
		{ "Liability by tier", liability_cols, LR_LIABILITY, LR_BY_TIER },
		{ "Breakage by earning month", breakage_cols, LR_BREAKAGE, LR_BY_MONTH },
		{ "Programme economics by month", economics_cols, LR_ECONOMICS, LR_BY_MONTH },
		{ "Points by earning rule", rule_costs_cols, LR_RULE_COSTS, LR_BY_NONE },
		{ "Redemptions by reward", redemptions_cols, LR_REDEMPTIONS, LR_BY_NONE },
		{ "Partner settlement by month", partners_cols, LR_PARTNERS, LR_BY_MONTH },
		{ "Referrals", referrals_cols, LR_REFERRALS, LR_BY_NONE },
	};

	_Static_assert(sizeof(more) / sizeof(more[0]) <= sizeof(extra) / sizeof(extra[0]),
	    "one grid for each table");
	memset(&d, 0, sizeof(d));
	memset(extra, 0, sizeof(extra));
	/* its name as the version in force at the report's end says it, as
	 * the point value and tiers (the settings lag behind until loy-program
	 * apply runs) */
	if (programme_setting_at(l, "programme", report_at(base), &d.programme) < 0)
		return -1;
	d.programme = name = loy_xstrdup(d.programme);	/* kept past the next look-up */
	d.currency = ledger_setting(l, "currency");
	d.now = base->now;
	p.by = LR_BY_NONE;
	if (to_grid(l, "Members by tier", tiers_cols, LR_TIERS, &p, &d.tiers) < 0)
		goto out;
	p.by = LR_BY_MONTH;
	if (to_grid(l, "Points earned and spent by month", earn_burn_cols, LR_EARN_BURN, &p,
	    &d.earn_burn) < 0)
		goto out;
	if (to_grid(l, "Liability by expiry month", liability_cols, LR_LIABILITY, &p,
	    &d.liability) < 0)
		goto out;
	if (to_grid(l, "Retention: share of each enrolment month's members purchasing, "
	    "by months since enrolment", retention_cols, LR_RETENTION, &p, &d.retention) < 0)
		goto out;
	for (n = 0; n < (int)(sizeof(more) / sizeof(more[0])); n++) {
		p.by = more[n].by;
		if (to_grid(l, more[n].title, more[n].cols, more[n].q, &p, &extra[n]) < 0) {
			n++;
			goto out;
		}
	}
	d.extra = extra;
	d.nextra = n;
	if ((rc = html_write(stdout, &d)) < 0)
		rc = cli_output_failed(errno);
out:
	free(name);
	grid_free(&d.tiers);
	grid_free(&d.earn_burn);
	grid_free(&d.liability);
	grid_free(&d.retention);
	for (int i = 0; i < n; i++)
		grid_free(&extra[i]);
	return rc;
}

/* --------------------------------------------------------------- promotion */

struct promo_row {
	char group[16];
	int64_t v[6];	/* members, visits_before, visits_during, spend_before,
			   spend_during, points */
};

struct promo {
	struct promo_row row[2];
	int n;
};

static int
promo_row(void *ctx, int n, const char *const *names, const struct lr_val *v)
{
	struct promo *pr = ctx;

	(void)names;
	if (!v || n < 7 || pr->n >= 2)
		return 0;
	snprintf(pr->row[pr->n].group, sizeof(pr->row[pr->n].group), "%s", v[0].s);
	for (int i = 0; i < 6; i++)
		pr->row[pr->n].v[i] = v[i + 1].i;
	pr->n++;
	return 0;
}

/* The promotion's window: --from and --to, else the rule's own from and to
 * in the latest programme version that has the rule.  0, or an exit status. */
static int
promo_window(struct ledger *l, const struct report_opts *o, const char *rule,
    struct lr_params *p, char from[static 20], char to[static 20], char shown[2][11])
{
	struct programme *v = NULL;
	const struct rule *found = NULL;
	int n = 0;
	char day[20];

	if (programme_versions(l, &v, &n) < 0)
		return ledger_status_or(l, LOY_EX_DATAERR);
	for (int i = n - 1; i >= 0 && !found; i--)
		for (int k = 0; k < v[i].nrules && !found; k++)
			if (strcmp(v[i].rules[k].name, rule) == 0)
				found = &v[i].rules[k];
	if (!found) {
		programme_versions_free(v, n);
		loy_error("unknown rule '%s' (loy-program show lists the rules)", rule);
		return LOY_EX_DATAERR;
	}
	if (found->trigger == TRIGGER_EVENT) {
		/* the ledger keeps which event rules moved an event's points
		 * (events.rules), not what each gave: no participant could be
		 * told apart from its points */
		loy_error("rule '%s' gives points on events, which the ledger keeps by event "
		    "([event %s] in economics --per rule), not by rule", rule, found->event);
		programme_versions_free(v, n);
		return LOY_EX_DATAERR;
	}
	if (!o->from) {
		if (!found->from) {
			programme_versions_free(v, n);
			return usage_error("rule '%s' has no from date: give --from and --to", rule);
		}
		snprintf(from, 20, "%.10s", found->from);
		p->from = from;
	}
	if (!o->to) {
		if (!found->to) {
			programme_versions_free(v, n);
			return usage_error("rule '%s' has no to date: give --to", rule);
		}
		snprintf(day, sizeof(day), "%.10s", found->to);
		if (day_after(day, to) < 0) {
			programme_versions_free(v, n);
			return usage_error("rule '%s': to '%s' is out of range", rule, found->to);
		}
		p->to = to;
	}
	programme_versions_free(v, n);
	/* a window still running ends today: its figures so far, against a
	 * baseline of as many days; one to come has none */
	if (day_after(p->now, day) < 0)
		return usage_error("bad promotion window");
	if (strncmp(p->from, day, 10) >= 0)
		return usage_error("promotion %s has not begun: its window starts on %.10s",
		    rule, p->from);
	if (strncmp(p->to, day, 10) > 0) {
		snprintf(to, 20, "%s", day);
		p->to = to;
	}
	snprintf(shown[0], 11, "%.10s", p->from);
	/* the last day: the day before the end */
	snprintf(day, sizeof(day), "%.10s 00:00:00", p->to);
	if (when_add_hours(day, -24, day) < 0)
		return usage_error("bad promotion window");
	snprintf(shown[1], 11, "%.10s", day);
	return 0;
}

static int
report_promotion(struct ledger *l, const struct report_opts *o, struct lr_params *p,
    const char *rule)
{
	static const char *const names[] = {
		"rule", "from", "to", "group", "members", "visits_before", "visits_during",
		"spend_before", "spend_during", "spend_change_pct", "points", "cost",
		"expected_spend", "incremental_spend", "return_on_cost", NULL
	};
	struct promo pr = { 0 };
	struct run r;
	struct out out;
	char from[20], to[20], before[20], shown[2][11], t[20], buf[CELL];
	long days;
	int status;

	if ((status = promo_window(l, o, rule, p, from, to, shown)) != 0)
		return status;
	days = when_days_between(p->from, p->to);
	if (days <= 0 || days == LONG_MIN)
		return usage_error("the promotion's window is empty");
	snprintf(t, sizeof(t), "%.10s 00:00:00", p->from);
	if (when_add_hours(t, -24 * days, before) < 0)
		return usage_error("the promotion's window is out of range");
	before[10] = '\0';
	p->before = before;
	p->rule = rule;
	if (run_init(&r, l, NULL, NULL, p) < 0 ||
	    ledger_report(l, LR_PROMOTION, p, promo_row, &pr) < 0)
		return ledger_status(l);
	out_open(&out, stdout, o->format, o->safe, NULL);
	for (int i = 0; names[i]; i++)
		out_cell(&out, names[i], 0);
	out_end(&out);
	for (int g = 0; g < 2; g++) {
		static const struct promo_row none = { "", { 0 } };
		const struct promo_row *w = &none, *c = &none;
		int part = g == 0, have_change, have_roc;
		__int128 cost, expected, v, x;
		char change[CELL], roc[CELL];

		for (int k = 0; k < pr.n; k++) {
			if (strcmp(pr.row[k].group, part ? "participants" : "control") == 0)
				w = &pr.row[k];
			if (strcmp(pr.row[k].group, "control") == 0)
				c = &pr.row[k];
		}
		/* the figures first, so that one that cannot be had leaves no
		 * row half written */
		have_change = w->v[3] != 0;
		cost = value(&r, w->v[5]);
		/* what the participants would have spent had they moved as the
		 * control group did */
		expected = w->v[3];
		if (c->v[3] > 0)
			scaled((__int128)w->v[3] * c->v[4], c->v[3], 0, &expected);
		v = w->v[4] - expected;
		have_roc = part && cost > 0;
		if ((have_change && pct((__int128)w->v[4] - w->v[3], w->v[3], change) < 0) ||
		    (have_roc && scaled(v, cost, 2, &x) < 0)) {
			loy_error("promotion %s: the %s's figures are too large to print", rule,
			    part ? "participants" : "control group");
			out_close(&out);
			return LOY_EX_SOFTWARE;
		}
		if (have_roc)
			money_format_wide(x, 2, roc);
		out_cell(&out, rule, 0);
		out_cell(&out, shown[0], 0);
		out_cell(&out, shown[1], 0);
		out_cell(&out, part ? "participants" : "control", 0);
		for (int i = 0; i < 3; i++) {
			snprintf(buf, sizeof(buf), "%lld", (long long)w->v[i]);
			out_cell(&out, buf, 1);
		}
		out_cell(&out, money_format(w->v[3], r.decimals, buf), 0);
		out_cell(&out, money_format(w->v[4], r.decimals, buf), 0);
		out_cell(&out, have_change ? change : NULL, 0);
		if (!part) {
			for (int i = 0; i < 5; i++)
				out_cell(&out, NULL, 0);
			out_end(&out);
			continue;
		}
		snprintf(buf, sizeof(buf), "%lld", (long long)w->v[5]);
		out_cell(&out, buf, 1);
		out_cell(&out, money_format_wide(cost, r.decimals, buf), 0);
		out_cell(&out, money_format_wide(expected, r.decimals, buf), 0);
		out_cell(&out, money_format_wide(v, r.decimals, buf), 0);
		out_cell(&out, have_roc ? roc : NULL, 0);
		out_end(&out);
	}
	if (out_close(&out) < 0)
		return cli_output_failed(errno);
	return 0;
}

/* ------------------------------------------------------------------- run */

int
report_run(struct ledger *l, const struct cli *cli, const struct report_opts *o, int argc,
    char **argv)
{
	const struct rdef *d;
	struct lr_params p;
	struct out out;
	char from[20], to[20], now[20], horizon[8], *survivor = NULL;
	int status, rc, html = strcmp(argv[0], "html") == 0;
	char tiers[4096];
	const struct col *cols;
	enum lr_query q;

	(void)cli;
	for (d = reports; d->name; d++)
		if (strcmp(d->name, argv[0]) == 0)
			break;
	if (!d->name && !html)
		return usage_error("unknown report '%s' (see loy-report --help)", argv[0]);
	if (html) {
		static const struct rdef h = { "html", LR_QUERY_MAX, 0, NULL };

		d = &h;
	}
	if ((d->opts & (O_OPERAND | O_RULE)) ? argc != 2 : argc != 1)
		return usage_error(d->opts & O_OPERAND ? "%s needs one member id" :
		    d->opts & O_RULE ? "%s needs one rule name" : "%s takes no operands",
		    d->name);
	if (html && (o->format != CSVIO_CSV || o->safe))	/* a page, not a table */
		return usage_error("html writes a page, not a table: it takes no --json, --table, "
		    "--tsv or --safe-cells");
	/* one snapshot: the settings (the time zone of "now" and of --from
	 * and --to, the decimals, the tiers) are those of the figures */
	if (ledger_report_begin(l) < 0)
		return ledger_status(l);
	if ((status = params(d, o, &p, from, to, now, horizon)) != 0) {
		ledger_rollback(l);
		return status;
	}
	if (programme_setting_at(l, "tiers", report_at(&p), &p.tiers) < 0) {
		ledger_rollback(l);
		return ledger_status_or(l, LOY_EX_DATAERR);
	}
	snprintf(tiers, sizeof(tiers), "%s", p.tiers);
	p.tiers = tiers;
	if (html) {
		rc = report_html(l, &p);
		ledger_rollback(l);
		return rc < 0 ? ledger_status(l) : rc;
	}
	if (d->q == LR_PROMOTION) {
		status = report_promotion(l, o, &p, argv[1]);
		ledger_rollback(l);
		return status;
	}
	cols = d->cols;
	q = d->q;
	if (q == LR_TIERS && (o->by || o->from || o->to)) {	/* the movements */
		cols = tier_moves_cols;
		q = LR_TIER_MOVES;
	}
	if (q == LR_ECONOMICS && p.per == LR_PER_RULE) {	/* cost per rule */
		cols = rule_costs_cols;
		q = LR_RULE_COSTS;
	}
	if (d->opts & O_OPERAND) {
		int found = 0;

		p.member = argv[1];
		if (ledger_report(l, LR_MEMBER, &p, member_found, &found) < 0) {
			ledger_rollback(l);
			return ledger_status(l);
		}
		if (!found) {
			ledger_rollback(l);
			loy_error("unknown member '%s'", argv[1]);
			return LOY_EX_DATAERR;
		}
		if (o->lots) {
			/* a merge moved the open lots: a merged id stands for
			 * its survivor */
			if (ledger_member_resolve(l, argv[1], &survivor) <= 0) {
				ledger_rollback(l);
				free(survivor);
				return ledger_status(l);
			}
			if (strcmp(survivor, argv[1]) != 0) {
				loy_warn("member '%s' was merged into '%s': the lots are theirs",
				    argv[1], survivor);
				p.member = survivor;
			}
			cols = lots_cols;
			q = LR_LOTS;
		} else if (o->tiers) {
			cols = tier_history_cols;
			q = LR_TIER_HISTORY;
		}
	}
	out_open(&out, stdout, o->format, o->safe, NULL);
	rc = run_query(l, cols, q, &p, &out);
	ledger_rollback(l);
	free(survivor);
	if (out_close(&out) < 0)
		return cli_output_failed(errno);
	return rc < 0 ? ledger_status(l) : 0;
}
