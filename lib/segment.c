/* segment: loy-segment's jobs.  Every list is one walk over the members, in
 * member_id order, each with its purchase days (lib/ledger_segment.c);
 * the rules of each list are in loy-segment(1). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "batch.h"
#include "diag.h"
#include "money.h"
#include "programme.h"
#include "segment.h"
#include "when.h"

/* ---------------------------------------------------------------- days */

/* Days since 1970-01-01 of the "YYYY-MM-DD" that starts s; INT_MIN if bad. */
static int
day_num(const char *s)
{
	int y, m, d;
	long long era, yoe, doy, doe;

	if (!s)
		return INT_MIN;
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9')
			return INT_MIN;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return INT_MIN;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int)(era * 146097 + doe - 719468);
}

static void
day_text(int day, char out[11])
{
	long long era, doe, yoe, y, doy, mp, d, m, z = day;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000, (unsigned)m % 13,
	    (unsigned)d % 32);
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The day `months` months before day+1: the first day of a window of that
 * many months ending on `day`. */
static int
months_back(int day, int months)
{
	char d[11], out[20];

	day_text(day + 1, d);
	if (when_add_months(d, -months, out) < 0)
		return INT_MIN / 2;
	return day_num(out);
}

/* Whole months from day a to day b (a member's tenure): n months have
 * passed when a plus n months, its day cut to the month's last as an
 * expiry's is (31 January + 1 month is 28 February), is b or before. */
static int
months_between(int a, int b)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	char x[11], y[11];
	int ya, ma, da, yb, mb, db, n, last;

	if (a == INT_MIN || b < a)
		return 0;
	day_text(a, x);
	day_text(b, y);
	sscanf(x, "%d-%d-%d", &ya, &ma, &da);
	sscanf(y, "%d-%d-%d", &yb, &mb, &db);
	n = (yb - ya) * 12 + (mb - ma);
	last = mb == 2 && leap(yb) ? 29 : mdays[(mb + 11) % 12];
	return db < (da < last ? da : last) ? n - 1 : n;
}

/* ---------------------------------------------------------------- a run */

struct run {
	struct ledger *l;
	const struct cli *cli;
	const struct segment_opts *o;
	struct csvio_writer *out;
	const char *cmd;
	int argc;
	char **argv;
	char as_of[11];		/* the as-of date */
	char end[11];		/* the day after it: purchases before this count */
	int day;		/* as_of as a day number */
	int decimals;
	const char *save;	/* the segment the list goes into, or NULL */
	const char *args;	/* the command line, for the run record */
	long rows;
	int failed;
};

/* A setting of the programme version in force at the end of the as-of
 * day, as the tiers of that day are measured with: the settings table
 * lags behind a version loaded ahead until loy-program apply runs, and a
 * past day had its own (the versions are read by as_of()). */
static const char *
setting(struct run *r, const char *key)
{
	char when[32];
	const char *v;

	snprintf(when, sizeof(when), "%s 23:59:59", r->as_of);
	return programme_setting_at(r->l, key, when, &v) < 0 ? ledger_setting(r->l, key) : v;
}

/* A setting as a whole number in [lo, hi], read as a whole number in a
 * cell is read (digits alone: no blank before them, nothing after them),
 * else its default (said once). */
static long
setting_long(struct run *r, const char *key, long def, long lo, long hi)
{
	const char *v = setting(r, key);
	long long n;

	if (!v || !*v || strcmp(v, "median") == 0)
		return def;
	if (money_whole_parse(v, &n) != 0 || n < lo || n > hi) {
		loy_warn("setting %s '%s' is not a whole number from %ld to %ld: using %ld",
		    key, v, lo, hi, def);
		return def;
	}
	return n;
}

static void
head(struct run *r, const char *const *cols)
{
	for (const char *const *c = cols; *c; c++)
		csvio_put(r->out, *c);
	if (r->o->with_contact) {
		csvio_put(r->out, "name");
		csvio_put(r->out, "phone");
		csvio_put(r->out, "email");
	}
	csvio_end(r->out);
}

/* Start a member's row: it goes into the segment being saved. */
static int
row_start(struct run *r, const char *member)
{
	if (r->save && ledger_segment_add(r->l, r->save, member) < 0) {
		r->failed = 1;
		return -1;
	}
	r->rows++;
	csvio_put(r->out, member);
	return 0;
}

static void
row_end(struct run *r, const struct seg_member *m)
{
	if (r->o->with_contact) {
		csvio_put(r->out, m->v[SM_NAME]);
		csvio_put(r->out, m->v[SM_PHONE]);
		csvio_put(r->out, m->v[SM_EMAIL]);
	}
	csvio_end(r->out);
}

static void
put_day(struct run *r, int day)
{
	char d[11];

	day_text(day, d);
	csvio_put(r->out, d);
}

/* What a member bought in the window, from a summary walk's one day: its
 * spend there counts the returns of the window whatever the day of the last
 * purchase, one before the window too. */
static void
sums(const struct seg_member *m, int64_t *spend, int64_t *visits)
{
	*spend = m->n ? m->spend[0] : 0;
	*visits = m->n ? m->receipts[0] : 0;
}

/* A member the lists may name: active, and not forgotten (an erasure
 * request: no one to contact, and not to be picked for outreach). */
static int
active(const struct seg_member *m)
{
	return strcmp(m->v[SM_STATUS], "active") == 0 && !m->v[SM_FORGOTTEN];
}

/* ---------------------------------------------------------------- value */

struct value {
	struct run *r;
	int tenure;		/* months of membership to be loyal */
	int64_t spend, visits;	/* thresholds */
	int64_t *sv, *vv;	/* buyers' spend and visits, for quantiles */
	long n, cap;
	const char *only;	/* a class to list alone */
};

static int
value_collect(void *ctx, const struct seg_member *m)
{
	struct value *v = ctx;
	int64_t spend, visits;

	if (!active(m))
		return 0;
	sums(m, &spend, &visits);
	if (visits == 0)
		return 0;
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 1024;
		v->sv = loy_xrealloc(v->sv, v->cap * sizeof(*v->sv));
		v->vv = loy_xrealloc(v->vv, v->cap * sizeof(*v->vv));
	}
	v->sv[v->n] = spend;
	v->vv[v->n] = visits;
	v->n++;
	return 0;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static const char *
value_class(const struct value *v, const struct seg_member *m, int64_t spend,
    int64_t visits)
{
	int loyal = visits > 0 && visits >= v->visits &&
	    months_between(day_num(m->v[SM_ENROLLED]), v->r->day) >= v->tenure;
	int high = visits > 0 && spend >= v->spend;

	return loyal ? (high ? "true-friend" : "barnacle") : (high ? "butterfly" : "stranger");
}

static int
value_emit(void *ctx, const struct seg_member *m)
{
	struct value *v = ctx;
	struct run *r = v->r;
	int64_t spend, visits;
	const char *cls;

	if (!active(m))
		return 0;
	sums(m, &spend, &visits);
	cls = value_class(v, m, spend, visits);
	if (v->only && strcmp(v->only, cls) != 0)
		return 0;
	if (row_start(r, m->v[SM_ID]) < 0)
		return 1;
	csvio_put(r->out, cls);
	csvio_put_int(r->out, visits);
	csvio_put_money(r->out, spend, r->decimals);
	csvio_put_int(r->out, months_between(day_num(m->v[SM_ENROLLED]), r->day));
	row_end(r, m);
	return 0;
}

static int
do_value(struct run *r)
{
	static const char *const cols[] = {
		"member_id", "class", "visits", "spend", "tenure_months", NULL
	};
	static const char *const classes[] = {
		"stranger", "butterfly", "barnacle", "true-friend", NULL
	};
	struct value v = { .r = r };
	const char *s = setting(r, "value_spend"), *why;
	int months = setting_long(r, "segment_months", 12, 1, 120), quantile = 0;
	char a[32], b[32], t[64], since[11], med[32], mt[64];

	if (r->argc > 1)
		return loy_error("value takes at most one class"), LOY_EX_USAGE;
	if (r->argc == 1) {
		for (int i = 0; classes[i]; i++)
			if (strcmp(r->argv[0], classes[i]) == 0)
				v.only = classes[i];
		if (!v.only)
			return loy_error("value: '%s' is not a class (stranger, butterfly, "
			    "barnacle, true-friend)", r->argv[0]), LOY_EX_USAGE;
	}
	day_text(months_back(r->day, months), since);
	v.tenure = setting_long(r, "value_tenure_months", 0, 0, 1200);
	v.visits = setting_long(r, "value_visits", -1, 1, 1000000);
	v.spend = -1;
	if (s && *s && strcmp(s, "median") != 0 && money_parse(s, r->decimals, &v.spend, &why) < 0) {
		loy_warn("setting value_spend '%s' %s: using the median", s, why);
		v.spend = -1;
	}
	if (v.spend < 0 || v.visits < 0) {
		if (ledger_segment_walk_summary(r->l, 1, since, r->end, value_collect, &v) < 0)
			return -1;
		if (v.n) {	/* none: no arrays (qsort must not be given NULL) */
			qsort(v.sv, v.n, sizeof(*v.sv), cmp64);
			qsort(v.vv, v.n, sizeof(*v.vv), cmp64);
		}
		if (v.spend < 0) {
			v.spend = v.n ? v.sv[v.n / 2] : 1;
			quantile |= 1;
			if (v.spend <= 0) {	/* no spend is not high value */
				money_format(v.spend, r->decimals, med);
				v.spend = 1;
				quantile |= 4;
			}
		}
		if (v.visits < 0) {
			v.visits = v.n ? v.vv[v.n / 2] : 1;
			quantile |= 2;
		}
		free(v.sv);
		free(v.vv);
	}
	money_format(v.spend, r->decimals, a);
	snprintf(b, sizeof(b), "%lld", (long long)v.visits);
	if (v.tenure)
		snprintf(t, sizeof(t), " and %d month%s of membership", v.tenure,
		    v.tenure == 1 ? "" : "s");
	if (quantile & 4)
		snprintf(mt, sizeof(mt), " (the median, %s, is no spend)", med);
	loy_warn("value: loyal from %s purchase%s in %d months%s%s, high value from %s%s",
	    b, v.visits == 1 ? "" : "s", months, quantile & 2 ? " (the median)" : "",
	    v.tenure ? t : "", a, quantile & 4 ? mt : quantile & 1 ? " (the median)" : "");
	head(r, cols);
	return ledger_segment_walk_summary(r->l, 1, since, r->end, value_emit, &v);
}

/* ---------------------------------------------------------------- rfm */

struct rfm {
	struct run *r;
	int64_t *rv, *fv, *mv;
	long n, cap;
};

static int
rfm_collect(void *ctx, const struct seg_member *m)
{
	struct rfm *f = ctx;
	int64_t spend, visits;

	if (!active(m) || m->n == 0)
		return 0;
	sums(m, &spend, &visits);
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 1024;
		f->rv = loy_xrealloc(f->rv, f->cap * sizeof(*f->rv));
		f->fv = loy_xrealloc(f->fv, f->cap * sizeof(*f->fv));
		f->mv = loy_xrealloc(f->mv, f->cap * sizeof(*f->mv));
	}
	f->rv[f->n] = f->r->day - m->day[m->n - 1];
	f->fv[f->n] = visits;
	f->mv[f->n] = spend;
	f->n++;
	return 0;
}

/* How many of the sorted v[0..n) are below x (less_is_worse) or above it. */
static long
worse(const int64_t *v, long n, int64_t x, int less_is_worse)
{
	long lo = 0, hi = n;

	if (less_is_worse) {
		while (lo < hi) {	/* first >= x */
			long mid = (lo + hi) / 2;

			if (v[mid] < x)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo;
	}
	while (lo < hi) {		/* first > x */
		long mid = (lo + hi) / 2;

		if (v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n - lo;
}

static int
score(long below, long n)
{
	return 1 + (int)(5 * (long long)below / n);
}

static int
rfm_emit(void *ctx, const struct seg_member *m)
{
	struct rfm *f = ctx;
	struct run *r = f->r;
	int64_t spend, visits, rec;
	int sr, sf, sm;
	char code[40];

	if (!active(m) || m->n == 0)
		return 0;
	sums(m, &spend, &visits);
	rec = r->day - m->day[m->n - 1];
	sr = score(worse(f->rv, f->n, rec, 0), f->n);
	sf = score(worse(f->fv, f->n, visits, 1), f->n);
	sm = score(worse(f->mv, f->n, spend, 1), f->n);
	if (row_start(r, m->v[SM_ID]) < 0)
		return 1;
	csvio_put_int(r->out, rec);
	csvio_put_int(r->out, visits);
	csvio_put_money(r->out, spend, r->decimals);
	csvio_put_int(r->out, sr);
	csvio_put_int(r->out, sf);
	csvio_put_int(r->out, sm);
	snprintf(code, sizeof(code), "%d%d%d", sr, sf, sm);
	csvio_put(r->out, code);
	row_end(r, m);
	return 0;
}

static int
do_rfm(struct run *r)
{
	static const char *const cols[] = {
		"member_id", "recency_days", "frequency", "monetary", "r", "f", "m", "rfm", NULL
	};
	struct rfm f = { .r = r };
	char since[11];
	int rc;

	if (r->argc)
		return loy_error("rfm takes no operands"), LOY_EX_USAGE;
	day_text(months_back(r->day, setting_long(r, "segment_months", 12, 1, 120)), since);
	if (ledger_segment_walk_summary(r->l, 1, since, r->end, rfm_collect, &f) < 0)
		return -1;
	if (f.n) {	/* none: no arrays (qsort must not be given NULL) */
		qsort(f.rv, f.n, sizeof(*f.rv), cmp64);
		qsort(f.fv, f.n, sizeof(*f.fv), cmp64);
		qsort(f.mv, f.n, sizeof(*f.mv), cmp64);
	}
	head(r, cols);
	rc = f.n ? ledger_segment_walk_summary(r->l, 1, since, r->end, rfm_emit, &f) : 0;
	free(f.rv);
	free(f.fv);
	free(f.mv);
	return rc;
}

/* ---------------------------------------------------------------- rhythm */

struct rhythm {
	int64_t k_mant;		/* k = k_mant / 10^k_scale */
	int64_t k_pow;
	int min;		/* purchase days needed */
	int *iv;
	int cap;
};

static int
cmpint(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The member's typical interval in days (median of the gaps between purchase
 * days), 0 if too few purchases; and whether the current gap is past k ×
 * that interval. */
static int
interval(struct rhythm *h, const struct seg_member *m, int today, int *flag)
{
	int n = m->n - 1, med;

	*flag = 0;
	if (m->n < h->min || m->n < 2)
		return 0;
	if (n > h->cap) {
		h->cap = n;
		h->iv = loy_xrealloc(h->iv, n * sizeof(*h->iv));
	}
	for (int i = 0; i < n; i++)
		h->iv[i] = m->day[i + 1] - m->day[i];
	qsort(h->iv, n, sizeof(*h->iv), cmpint);
	med = n % 2 ? h->iv[n / 2] : (h->iv[n / 2 - 1] + h->iv[n / 2]) / 2;
	*flag = (int64_t)(today - m->day[m->n - 1]) * h->k_pow > h->k_mant * med;
	return med;
}

static int
rhythm_init(struct run *r, struct rhythm *h)
{
	const char *k = setting(r, "lapse_k"), *why;
	int scale;

	h->k_mant = 2;
	h->k_pow = 1;
	if (k && *k) {
		if (decimal_parse(k, &h->k_mant, &scale, &why) < 0 || h->k_mant <= 0 ||
		    scale > 6) {
			loy_warn("setting lapse_k '%s' is not a number above zero: using 2", k);
			h->k_mant = 2;
		} else
			for (h->k_pow = 1; scale > 0; scale--)
				h->k_pow *= 10;
	}
	h->min = setting_long(r, "lapse_min_purchases", 3, 2, 1000);
	return 0;
}

struct lapse {
	struct run *r;
	struct rhythm h;
};

static int
lapse_emit(void *ctx, const struct seg_member *m)
{
	struct lapse *p = ctx;
	struct run *r = p->r;
	int flag, med, last, gap;
	char risk[32];

	if (!active(m) || !(med = interval(&p->h, m, r->day, &flag)) || !flag)
		return 0;
	last = m->day[m->n - 1];
	gap = r->day - last;
	if (row_start(r, m->v[SM_ID]) < 0)
		return 1;
	csvio_put_int(r->out, m->n);
	put_day(r, last);
	csvio_put_int(r->out, med);
	put_day(r, last + med);
	csvio_put_int(r->out, gap - med);
	csvio_put(r->out, money_format(100LL * gap / med, 2, risk));
	row_end(r, m);
	return 0;
}

static int
do_lapse(struct run *r)
{
	static const char *const cols[] = {
		"member_id", "purchases", "last_purchase", "interval_days", "expected",
		"days_overdue", "risk", NULL
	};
	struct lapse p = { .r = r };
	int rc;

	if (r->argc)
		return loy_error("lapse takes no operands"), LOY_EX_USAGE;
	rhythm_init(r, &p.h);
	head(r, cols);
	rc = ledger_segment_walk(r->l, 1, SEG_SPEND, NULL, r->end, NULL, 0, lapse_emit, &p);
	free(p.h.iv);
	return rc;
}

/* ---------------------------------------------------------------- lifecycle */

static const char *const states[] = {
	"new", "active", "at-risk", "lapsed", "won-back", "closed", "forgotten", NULL
};

struct life {
	struct run *r;
	struct rhythm h;
	int new_days, active_days, lapsed_days;
	const char *only;
};

static const char *
life_state(struct life *f, const struct seg_member *m)
{
	int today = f->r->day, flag, gap;

	if (strcmp(m->v[SM_STATUS], "active") != 0)
		return "closed";
	if (m->v[SM_FORGOTTEN])
		return "forgotten";
	if (day_num(m->v[SM_ENROLLED]) != INT_MIN &&
	    today - day_num(m->v[SM_ENROLLED]) < f->new_days)
		return "new";
	if (m->n == 0 || (gap = today - m->day[m->n - 1]) > f->lapsed_days)
		return "lapsed";
	interval(&f->h, m, today, &flag);
	if (gap > f->active_days || flag)
		return "at-risk";
	for (int i = m->n - 1; i > 0 && today - m->day[i] <= f->active_days; i--)
		if (m->day[i] - m->day[i - 1] > f->lapsed_days)
			return "won-back";
	return "active";
}

static int
life_emit(void *ctx, const struct seg_member *m)
{
	struct life *f = ctx;
	struct run *r = f->r;
	const char *st = life_state(f, m);

	if (f->only && strcmp(st, f->only) != 0)
		return 0;
	/* a list to contact or to save names no forgotten member, and a
	 * segment holds no closed one, as save refuses them */
	if ((r->save || r->o->with_contact) && m->v[SM_FORGOTTEN])
		return 0;
	if (r->save && strcmp(st, "closed") == 0)
		return 0;
	if (row_start(r, m->v[SM_ID]) < 0)
		return 1;
	csvio_put(r->out, st);
	csvio_putn(r->out, m->v[SM_ENROLLED], 10);
	if (m->n) {
		put_day(r, m->day[m->n - 1]);
		csvio_put_int(r->out, r->day - m->day[m->n - 1]);
	} else {
		csvio_put(r->out, NULL);
		csvio_put(r->out, NULL);
	}
	row_end(r, m);
	return 0;
}

static int
do_lifecycle(struct run *r)
{
	static const char *const cols[] = {
		"member_id", "state", "enrolled", "last_purchase", "days_since", NULL
	};
	struct life f = { .r = r };
	int rc;

	if (r->argc > 1)
		return loy_error("lifecycle takes at most one state"), LOY_EX_USAGE;
	if (r->argc == 1) {
		for (int i = 0; states[i]; i++)
			if (strcmp(r->argv[0], states[i]) == 0)
				f.only = states[i];
		if (!f.only)
			return loy_error("lifecycle: '%s' is not a state (new, active, at-risk, "
			    "lapsed, won-back, closed, forgotten)", r->argv[0]), LOY_EX_USAGE;
	}
	rhythm_init(r, &f.h);
	f.new_days = setting_long(r, "lifecycle_new_days", 90, 0, 3660);
	f.active_days = setting_long(r, "lifecycle_active_days", 90, 1, 3660);
	f.lapsed_days = setting_long(r, "lifecycle_lapsed_days", 180, 1, 3660);
	if (f.lapsed_days < f.active_days)
		f.lapsed_days = f.active_days;
	head(r, cols);
	rc = ledger_segment_walk(r->l, 0, SEG_SPEND, NULL, r->end, NULL, 0, life_emit, &f);
	free(f.h.iv);
	return rc;
}

/* ---------------------------------------------------------------- birthdays */

struct bday {
	char *id, *birthday, *name, *phone, *email;
	int date, age;
};

struct bdays {
	struct run *r;
	int from, to;
	struct bday *v;
	long n, cap;
};

static int
bday_collect(void *ctx, const struct seg_member *m)
{
	struct bdays *b = ctx;
	int y, mo, d, fy, ty;
	char f[11], t[11], when[11];

	if (!active(m) || !m->v[SM_BIRTHDAY] ||
	    sscanf(m->v[SM_BIRTHDAY], "%d-%d-%d", &y, &mo, &d) != 3)
		return 0;
	day_text(b->from, f);
	day_text(b->to, t);
	fy = atoi(f);
	ty = atoi(t);
	for (int year = fy; year <= ty; year++) {
		int dd = mo == 2 && d == 29 && !leap(year) ? 28 : d, day;

		snprintf(when, sizeof(when), "%04d-%02d-%02d", year, mo, dd);
		day = day_num(when);
		if (day < b->from || day > b->to || year < y)
			continue;
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 256;
			b->v = loy_xrealloc(b->v, b->cap * sizeof(*b->v));
		}
		b->v[b->n++] = (struct bday){
			loy_xstrdup(m->v[SM_ID]), loy_xstrdup(m->v[SM_BIRTHDAY]),
			m->v[SM_NAME] ? loy_xstrdup(m->v[SM_NAME]) : NULL,
			m->v[SM_PHONE] ? loy_xstrdup(m->v[SM_PHONE]) : NULL,
			m->v[SM_EMAIL] ? loy_xstrdup(m->v[SM_EMAIL]) : NULL,
			day, year - y
		};
	}
	return 0;
}

static int
bday_cmp(const void *a, const void *b)
{
	const struct bday *x = a, *y = b;

	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* A --from or --to date as a day number; INT_MIN (message printed) if bad. */
static int
opt_day(struct run *r, const char *opt, const char *s)
{
	char d[20];
	const char *why;

	if (when_parse(s, r->cli->date_format, WHEN_DATE, d, &why) < 0) {
		loy_warn("%s '%s' %s", opt, s, why);
		return INT_MIN;
	}
	return day_num(d);
}

static int
do_birthdays(struct run *r)
{
	static const char *const cols[] = { "member_id", "birthday", "date", "age", NULL };
	struct bdays b = { .r = r };
	char first[11];
	int rc;

	if (r->argc)
		return loy_error("birthdays takes no operands (--from and --to give the "
		    "period)"), LOY_EX_USAGE;
	snprintf(first, sizeof(first), "%.8s01", r->as_of);
	b.from = r->o->from ? opt_day(r, "--from", r->o->from) : day_num(first);
	if (b.from == INT_MIN)
		return LOY_EX_USAGE;
	if (r->o->to)
		b.to = opt_day(r, "--to", r->o->to);
	else {
		char f[11], t[20];

		/* up to the day before the same day a month on; to the month's
		 * end where it has no such day (from 31 January to the end of
		 * February), or to the last day loy keeps (9999-12-31) */
		day_text(b.from, f);
		if (when_add_months(f, 1, t) < 0)
			b.to = day_num("9999-12-31");
		else
			b.to = day_num(t) - (strncmp(t + 8, f + 8, 2) == 0);
	}
	if (b.to == INT_MIN)
		return LOY_EX_USAGE;
	if (b.to < b.from)
		return loy_error("--to is before --from"), LOY_EX_USAGE;
	{
		/* a year on from --from, 29 February or not */
		char f[11], t[20];

		day_text(b.from, f);
		if (when_add_months(f, 12, t) == 0 && b.to > day_num(t))
			return loy_error("--from and --to are more than a year apart"),
			    LOY_EX_USAGE;
	}
	if ((rc = ledger_segment_walk(r->l, 1, -1, NULL, r->end, NULL, 0, bday_collect,
	    &b)) == 0) {
		if (b.n)
			qsort(b.v, b.n, sizeof(*b.v), bday_cmp);
		head(r, cols);
		for (long i = 0; i < b.n && !r->failed; i++) {
			struct seg_member m = { .v = { [SM_NAME] = b.v[i].name,
			    [SM_PHONE] = b.v[i].phone, [SM_EMAIL] = b.v[i].email } };

			if (row_start(r, b.v[i].id) < 0)
				break;
			csvio_put(r->out, b.v[i].birthday);
			put_day(r, b.v[i].date);
			csvio_put_int(r->out, b.v[i].age);
			row_end(r, &m);
		}
	}
	for (long i = 0; i < b.n; i++) {
		free(b.v[i].id);
		free(b.v[i].birthday);
		free(b.v[i].name);
		free(b.v[i].phone);
		free(b.v[i].email);
	}
	free(b.v);
	return r->failed ? -1 : rc;
}

/* ---------------------------------------------------------------- best */

struct buyer {
	char *id, *name, *phone, *email;
	int64_t spend, visits;
};

struct best {
	struct run *r;
	struct buyer *v;
	long n, cap;
};

static int
best_collect(void *ctx, const struct seg_member *m)
{
	struct best *b = ctx;
	int64_t spend, visits;

	if (!active(m))
		return 0;
	sums(m, &spend, &visits);
	if (spend <= 0)
		return 0;
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 256;
		b->v = loy_xrealloc(b->v, b->cap * sizeof(*b->v));
	}
	b->v[b->n] = (struct buyer){ loy_xstrdup(m->v[SM_ID]), NULL, NULL, NULL, spend,
	    visits };
	if (b->r->o->with_contact) {
		b->v[b->n].name = m->v[SM_NAME] ? loy_xstrdup(m->v[SM_NAME]) : NULL;
		b->v[b->n].phone = m->v[SM_PHONE] ? loy_xstrdup(m->v[SM_PHONE]) : NULL;
		b->v[b->n].email = m->v[SM_EMAIL] ? loy_xstrdup(m->v[SM_EMAIL]) : NULL;
	}
	b->n++;
	return 0;
}

static int
best_cmp(const void *a, const void *b)
{
	const struct buyer *x = a, *y = b;

	if (x->spend != y->spend)
		return x->spend > y->spend ? -1 : 1;
	if (x->visits != y->visits)
		return x->visits > y->visits ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int
do_best(struct run *r)
{
	static const char *const cols[] = { "member_id", "rank", "spend", "visits", NULL };
	struct best b = { .r = r };
	char since[11];
	long long n;
	int rc;

	if (r->argc != 1)
		return loy_error("best needs how many members: best N"), LOY_EX_USAGE;
	if (money_whole_parse(r->argv[0], &n) != 0 || n < 1 || n > 100000000)
		return loy_error("best '%s' is not a whole number from 1 to 100000000",
		    r->argv[0]), LOY_EX_USAGE;
	day_text(months_back(r->day, setting_long(r, "segment_months", 12, 1, 120)), since);
	if ((rc = ledger_segment_walk_summary(r->l, 1, since, r->end, best_collect,
	    &b)) == 0) {
		if (b.n)
			qsort(b.v, b.n, sizeof(*b.v), best_cmp);
		head(r, cols);
		for (long i = 0; i < b.n && i < n; i++) {
			struct seg_member m = { .v = { [SM_NAME] = b.v[i].name,
			    [SM_PHONE] = b.v[i].phone, [SM_EMAIL] = b.v[i].email } };

			if (row_start(r, b.v[i].id) < 0)
				break;
			csvio_put_int(r->out, i + 1);
			csvio_put_money(r->out, b.v[i].spend, r->decimals);
			csvio_put_int(r->out, b.v[i].visits);
			row_end(r, &m);
		}
	}
	for (long i = 0; i < b.n; i++) {
		free(b.v[i].id);
		free(b.v[i].name);
		free(b.v[i].phone);
		free(b.v[i].email);
	}
	free(b.v);
	return r->failed ? -1 : rc;
}

/* ---------------------------------------------------------------- never-bought */

static int
never_emit(void *ctx, const struct seg_member *m)
{
	struct run *r = ctx;
	int enrolled = day_num(m->v[SM_ENROLLED]);

	if (!active(m) || m->n || enrolled > r->day || enrolled == INT_MIN)
		return 0;
	if (row_start(r, m->v[SM_ID]) < 0)
		return 1;
	csvio_putn(r->out, m->v[SM_ENROLLED], 10);
	csvio_put_int(r->out, r->day - enrolled);
	row_end(r, m);
	return 0;
}

static int
do_never(struct run *r)
{
	static const char *const cols[] = { "member_id", "enrolled", "days_enrolled", NULL };

	if (r->argc)
		return loy_error("never-bought takes no operands"), LOY_EX_USAGE;
	head(r, cols);
	return ledger_segment_walk_summary(r->l, 1, r->end, r->end, never_emit, r);
}

/* ---------------------------------------------------------------- referrers */

struct refs {
	struct run *r;
	long limit;
};

static int
ref_emit(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct refs *f = ctx;
	struct run *r = f->r;

	if (!row) {
		for (int i = 0; i < ncols; i++)
			csvio_put(r->out, cols[i]);
		csvio_end(r->out);
		return 0;
	}
	if (f->limit >= 0 && r->rows >= f->limit)
		return 1;
	if (row_start(r, row[0]) < 0)
		return 1;
	for (int i = 1; i < ncols; i++) {
		if (i == 3)
			csvio_put_money(r->out, atoll(row[i]), r->decimals);
		else
			csvio_put(r->out, row[i]);
	}
	csvio_end(r->out);
	return 0;
}

static int
do_referrers(struct run *r)
{
	struct refs f = { .r = r, .limit = -1 };
	long long n;

	if (r->argc > 1)
		return loy_error("referrers takes at most a number: referrers [N]"),
		    LOY_EX_USAGE;
	if (r->argc == 1) {
		if (money_whole_parse(r->argv[0], &n) != 0 || n < 1 || n > LONG_MAX)
			return loy_error("referrers '%s' is not a whole number above zero",
			    r->argv[0]), LOY_EX_USAGE;
		f.limit = (long)n;
	}
	return ledger_segment_referrers(r->l, r->end, r->o->with_contact, ref_emit, &f);
}

/* ---------------------------------------------------------------- segments */

static int
print_rows(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct run *r = ctx;

	if (row && ncols > 0 && r->save && row_start(r, row[0]) == 0) {
		for (int i = 1; i < ncols; i++)
			csvio_put(r->out, row[i]);
		csvio_end(r->out);
		return 0;
	}
	return r->failed ? 1 : batch_print(r->out, ncols, cols, row);
}

static int
do_segments(struct run *r)
{
	int got, rc = 0;
	char as_of[11], **who;

	if (r->argc == 0)
		return ledger_list_segments(r->l, batch_print, r->out);
	if ((got = ledger_segment_get(r->l, r->argv[0], as_of)) < 0)
		return -1;
	if (!got)
		return loy_error("no segment '%s'", r->argv[0]), LOY_EX_DATAERR;
	if (r->argc == 1)
		return ledger_segment_list(r->l, r->argv[0], r->o->with_contact, print_rows, r);
	if (r->save || r->o->with_contact)
		return loy_error("segments NAME MEMBER ...: no --save or --with-contact"),
		    LOY_EX_USAGE;
	/* each member known first, a merged id standing for its survivor, as
	 * a request's does: an id no member has is a mistake, not a no */
	who = loy_xmalloc(r->argc * sizeof(*who));
	for (int i = 0; i < r->argc; i++)
		who[i] = NULL;
	for (int i = 1; i < r->argc && rc >= 0; i++) {
		if ((got = ledger_member_resolve(r->l, r->argv[i], &who[i])) < 0)
			rc = -1;
		else if (!got) {
			loy_error("unknown member '%s'", r->argv[i]);
			rc = LOY_EX_DATAERR;
		}
	}
	if (rc == 0) {
		/* is each member in it? */
		csvio_put(r->out, "member_id");
		csvio_put(r->out, "in");
		csvio_end(r->out);
	}
	for (int i = 1; i < r->argc && rc == 0; i++) {
		if ((got = segment_member_in(r->l, r->argv[0], who[i])) < 0) {
			rc = -1;
			break;
		}
		csvio_put(r->out, r->argv[i]);
		csvio_put(r->out, got ? "yes" : "no");
		csvio_end(r->out);
	}
	for (int i = 1; i < r->argc; i++)
		free(who[i]);
	free(who);
	return rc;
}

/* ---------------------------------------------------------------- dispatch */

static int do_tiers(struct run *r);
static int run_settings(struct run *r);

static const struct {
	const char *name;
	int (*fn)(struct run *r);
	int list;		/* a list of members: --save and --with-contact */
} cmds[] = {
	{ "best", do_best, 1 },
	{ "birthdays", do_birthdays, 1 },
	{ "lapse", do_lapse, 1 },
	{ "lifecycle", do_lifecycle, 1 },
	{ "never-bought", do_never, 1 },
	{ "referrers", do_referrers, 1 },
	{ "rfm", do_rfm, 1 },
	{ "save", NULL, 0 },
	{ "segments", do_segments, 1 },
	{ "tiers", do_tiers, 0 },
	{ "value", do_value, 1 },
	{ NULL, NULL, 0 }
};

int
segment_known(const char *cmd)
{
	for (int i = 0; cmds[i].name; i++)
		if (strcmp(cmds[i].name, cmd) == 0)
			return 1;
	return 0;
}

int
segment_name_ok(const char *s, size_t n)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-";

	if (n == 0 || n > 64 || s[0] == '-' || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(ok, s[i]))
			return 0;
	return 1;
}

/* Before saving: refuse an existing name unless --replace; empty it. */
static int
save_start(struct run *r, const char *name, const char *source)
{
	char as_of[11];
	int got = ledger_segment_get(r->l, name, as_of);

	if (got < 0)
		return -1;
	if (got && !r->o->replace) {
		loy_warn("segment '%s' exists (saved as of %s); --replace saves over it", name,
		    as_of);
		return LOY_EX_DATAERR;
	}
	return ledger_segment_put(r->l, name, r->as_of, source) < 0 ? -1 : 0;
}

static int
save_done(struct run *r, const char *name, long counts[2])
{
	int64_t n = ledger_segment_seal(r->l, name);

	if (n < 0)
		return -1;
	loy_warn("segment '%s': %lld member%s as of %s", name, (long long)n, n == 1 ? "" : "s",
	    r->as_of);
	counts[0] = n;
	return 0;
}

static char *
source_of(struct run *r)
{
	size_t n = strlen(r->cmd) + 1;
	char *s;

	for (int i = 0; i < r->argc; i++)
		n += strlen(r->argv[i]) + 1;
	s = loy_xmalloc(n + 1);
	strcpy(s, r->cmd);
	for (int i = 0; i < r->argc; i++) {
		strcat(s, " ");
		strcat(s, r->argv[i]);
	}
	return s;
}

static int
list_txn(void *ctx, struct ledger *l, struct csvio_writer *out, long counts[2])
{
	struct run *r = ctx;
	char *source = source_of(r);
	int rc, i;

	(void)l;
	r->out = out;
	/* the decimals and the as-of date, as the ledger holds the settings
	 * now that the run holds it */
	if ((rc = run_settings(r)) != 0) {
		free(source);
		return rc;
	}
	if ((rc = save_start(r, r->o->save, source)) != 0) {
		free(source);
		return rc < 0 ? ledger_status(r->l) : rc;
	}
	free(source);
	r->save = r->o->save;
	for (i = 0; strcmp(cmds[i].name, r->cmd) != 0; i++)
		;
	rc = cmds[i].fn(r);
	if (rc < 0 || r->failed)
		return ledger_status(r->l);
	if (rc > 0)
		return rc;
	return save_done(r, r->o->save, counts) < 0 ? ledger_status(r->l) : 0;
}

/* save NAME [FILE]: a list with a member_id column. */
static const char *const save_fields[] = { "member_id", NULL };
static const char *const save_out[] = { "segment", "members", "as_of", NULL };
enum { V_SAVED, V_DUPLICATE };
static const struct batch_counter save_counters[] = {
	{ "saved", BATCH_CHANGED }, { "duplicate", BATCH_UNCHANGED }, { NULL, 0 }
};

struct saving {
	struct run *r;
	const char *name;
	int col, started;
	int status;		/* the exit status the settings gave, or 0 */
};

/* As the run's transaction begins: the as-of date the segment is saved
 * as of, in the time zone the ledger holds then. */
static int
save_begin(void *ctx)
{
	struct saving *s = ctx;

	return (s->status = run_settings(s->r)) != 0 ? -1 : 0;
}

static int
save_file(void *ctx, struct batch *b)
{
	struct saving *s = ctx;
	int rc;

	if ((s->col = batch_col(b, "member_id")) < 0)
		return batch_header_error(b, "no column 'member_id'");
	if (!s->started) {
		if ((rc = save_start(s->r, s->name, csvio_name(batch_reader(b)))) != 0)
			return -1;
		s->started = 1;
	}
	return 0;
}

static int
save_row(void *ctx, struct batch *b, const struct csvio_row *row)
{
	struct saving *s = ctx;
	char *id = csvio_field(row, s->col);
	char *who = NULL;
	struct member m = { { 0 } };
	int got;

	if (!*id)
		return batch_reject(b, row, "member_id is empty");
	/* refused with a control character; 17850.0 read as 17850 */
	if ((got = batch_id(b, row, "member_id", id)) != 0)
		return got;
	if ((got = ledger_member_resolve(s->r->l, id, &who)) < 0)
		return -1;
	if (!got)
		return batch_reject(b, row, "unknown member '%s'", id);
	/* a segment is for members to reach: not a closed one, nor one
	 * forgotten (an erasure request: not to be picked) */
	if (ledger_member_get(s->r->l, who, &m) < 0) {
		free(who);
		return -1;
	}
	if (strcmp(m.v[MF_STATUS], "active") != 0)
		got = batch_reject(b, row, "member '%s' is %s", who, m.v[MF_STATUS]);
	else if (m.v[MF_FORGOTTEN_AT])
		got = batch_reject(b, row, "member '%s' was forgotten on %.10s: it is in no "
		    "segment", who, m.v[MF_FORGOTTEN_AT]);
	else if ((got = ledger_segment_add(s->r->l, s->name, who)) >= 0) {
		batch_count(b, got ? V_SAVED : V_DUPLICATE);
		got = 0;
	}
	member_clear(&m);
	free(who);
	return got;
}

static int
save_end(void *ctx, struct batch *b)
{
	struct saving *s = ctx;
	int64_t n = ledger_segment_seal(s->r->l, s->name);

	if (n < 0)
		return -1;
	csvio_put(batch_out(b), s->name);
	csvio_put_int(batch_out(b), n);
	csvio_put(batch_out(b), s->r->as_of);
	csvio_end(batch_out(b));
	return 0;
}

static int
do_save(struct run *r, const char *args)
{
	struct saving s = { .r = r };
	struct batch_job job = {
		.fields = save_fields, .output = save_out, .counters = save_counters,
		.file = save_file, .row = save_row, .run_end = save_end, .begin = save_begin,
		.ctx = &s,
	};
	int rc;

	if (r->argc < 1 || r->argc > 2 || r->o->save)
		return loy_error("usage: save NAME [FILE]"), LOY_EX_USAGE;
	s.name = r->argv[0];
	if (!segment_name_ok(s.name, strlen(s.name)))
		return loy_error("segment name '%s' must be letters, digits, '.', '_' and '-' "
		    "(at most 64, not starting with '-' or '.')", s.name), LOY_EX_USAGE;
	rc = batch_run(&job, r->cli, r->l, r->argc - 1, r->argv + 1, args);
	return s.status ? s.status : rc;
}

/* The --as-of date: today if not given; refused in the future or before the
 * ledger's first date.  Today is the run's, from the clock it read once it
 * held the ledger (ledger_run_now), so that a writer goes by one time; a
 * list, and a writer's --as-of checked before its run waits, read the
 * clock.  0, or an exit status. */
static int
as_of(struct run *r)
{
	char today[11], first[11], d[20];
	const char *why, *now = ledger_run_now(r->l);

	if (*now)
		snprintf(today, sizeof(today), "%.10s", now);
	else
		when_today(today);
	if (!r->o->as_of) {
		memcpy(r->as_of, today, sizeof(r->as_of));
	} else {
		if (when_parse(r->o->as_of, r->cli->date_format, WHEN_DATE, d, &why) < 0) {
			loy_warn("--as-of '%s' %s", r->o->as_of, why);
			return LOY_EX_USAGE;
		}
		if (strcmp(d, today) > 0) {
			loy_warn("--as-of '%s' is in the future", r->o->as_of);
			return LOY_EX_USAGE;
		}
		if (ledger_segment_first_date(r->l, first) < 0)
			return ledger_status(r->l);
		if (*first && strcmp(d, first) < 0) {
			loy_warn("--as-of '%s' is before the ledger's first date, %s",
			    r->o->as_of, first);
			return LOY_EX_USAGE;
		}
		memcpy(r->as_of, d, sizeof(r->as_of));
	}
	r->day = day_num(r->as_of);
	day_text(r->day + 1, r->end);
	{
		/* the programme versions, for setting() */
		const char *v;

		if (programme_setting_at(r->l, "segment_months", r->as_of, &v) < 0)
			return ledger_status_or(r->l, LOY_EX_DATAERR);
	}
	return 0;
}

/* What a run goes by of the settings, read in its transaction: the
 * currency's decimals, and the as-of date with today in the programme's
 * time zone.  A writer reads them once its run holds the ledger
 * (ledger_run_begin read the settings again if another writer changed them
 * while it waited), a list in its snapshot.  0, or an exit status. */
static int
run_settings(struct run *r)
{
	r->decimals = ledger_decimals(r->l);
	return as_of(r);
}

int
segment_usage(const struct cli *cli, const char *cmd, int argc, const struct segment_opts *o)
{
	int i;

	for (i = 0; cmds[i].name && strcmp(cmds[i].name, cmd) != 0; i++)
		;
	if (!cmds[i].name)
		return loy_error("'%s' is not a sub-command (see loy-segment --help)", cmd),
		    LOY_EX_USAGE;
	if (!cmds[i].list && (o->save || o->with_contact)) {
		loy_warn("%s: --save and --with-contact are for lists", cmd);
		return LOY_EX_USAGE;
	}
	if (strcmp(cmd, "tiers") != 0 && (o->apply || o->assign)) {
		loy_warn("--apply and --assign are for tiers");
		return LOY_EX_USAGE;
	}
	if (strcmp(cmd, "birthdays") != 0 && (o->from || o->to)) {
		loy_warn("--from and --to are for birthdays");
		return LOY_EX_USAGE;
	}
	if ((cli->rejects || cli->nmap) && strcmp(cmd, "save") != 0 && !o->assign) {
		/* the only inputs: the list save reads, the tiers --assign gives */
		loy_warn("%s: --map and --rejects are for save and --assign", cmd);
		return LOY_EX_USAGE;
	}
	if (cli->dry_run && !o->save && strcmp(cmd, "save") != 0 && strcmp(cmd, "tiers") != 0) {
		/* a list or a look-up: nothing to hold back */
		loy_warn("%s writes nothing: it takes no -n (only with --save)", cmd);
		return LOY_EX_USAGE;
	}
	if (o->replace && !o->save && strcmp(cmd, "save") != 0) {
		loy_warn("%s: --replace is for --save and save", cmd);
		return LOY_EX_USAGE;
	}
	if (o->save && strcmp(cmd, "segments") == 0 && argc == 0) {
		loy_warn("segments: --save needs a segment's name to copy");
		return LOY_EX_USAGE;
	}
	if (o->with_contact && strcmp(cmd, "segments") == 0 && argc != 1) {
		/* the segments and whether members are in one: no member to reach */
		loy_warn("segments: --with-contact needs a segment's name alone, whose "
		    "members it lists");
		return LOY_EX_USAGE;
	}
	/* the dates read: --as-of's, birthdays' --from and --to, the until of
	 * tiers --assign; a list or a saved file reads none of its own */
	if (!o->as_of && !o->from && !o->to && !o->assign &&
	    cli_date_format_unread(cli->date_format, NULL, strcmp(cmd, "tiers") == 0 ?
	    "--as-of and --assign" : strcmp(cmd, "birthdays") == 0 ?
	    "--as-of, --from and --to" : "--as-of"))
		return LOY_EX_USAGE;
	if (o->save && !segment_name_ok(o->save, strlen(o->save))) {
		loy_warn("segment name '%s' must be letters, digits, '.', '_' and '-' (at most "
		    "64, not starting with '-' or '.')", o->save);
		return LOY_EX_USAGE;
	}
	return 0;
}

int
segment_main(const struct cli *cli, struct ledger *l, const char *cmd, int argc,
    char **argv, const struct segment_opts *o, const char *args)
{
	struct run r = {
		.l = l, .cli = cli, .o = o, .cmd = cmd, .argc = argc, .argv = argv,
		.args = args,
	};
	int i, rc;

	/* a list, or tiers shown: one snapshot, the settings read in it (the
	 * time zone of --as-of and now, the decimals, the tiers); a writer
	 * reads them again once its run holds the ledger, and goes by those,
	 * its --as-of checked here first so that a bad one is refused before
	 * any input is read */
	if (strcmp(cmd, "save") != 0 && !o->save &&
	    !(strcmp(cmd, "tiers") == 0 && (o->apply || o->assign)) && ledger_begin_read(l) < 0)
		return ledger_status(l);
	for (i = 0; strcmp(cmds[i].name, cmd) != 0; i++)
		;
	if ((rc = run_settings(&r)) != 0)
		return rc;
	if (ledger_segment_sorts_on_disk(l) < 0)
		return ledger_status(l);
	if (strcmp(cmd, "save") == 0)
		return do_save(&r, args);
	if (strcmp(cmd, "tiers") == 0)
		return do_tiers(&r);
	if (o->save)
		return batch_txn(cli, l, args, list_txn, &r);
	if (!(r.out = batch_list_begin(cli, l, &rc)))
		return rc;
	return batch_list_end(l, r.out, cmds[i].fn(&r));
}


/* ---------------------------------------------------------------- tiers */

/*
 * Tiers are recalculated day by day, from the day after the last applied
 * run to the as-of date, each day as a nightly run would see it: so one
 * run after missed nights ends where the nightly runs would have, with the
 * same changes on the same days.  A member's state is the tier held
 * (members.tier) and the tier earned by their own measure, which differ
 * only while an assignment holds the member above what they earned.
 */

/* A review whose downgrades land on a day: the review on day R, under the
 * version in force on R (its review_date or its anniversaries), lands that
 * version's grace_days after R, whatever the version of the landing day. */
struct landing {
	int R;			/* the review day */
	int annual;		/* 1: an annual review on R; 0: anniversaries on R */
	int wsr;		/* first day of the window measured for R (ending R-1) */
	int rmd;		/* R's month * 100 + day, for anniversaries */
	int rleap;
};

struct tday {
	const struct programme *p;
	int ws;			/* first day of the window measured on this day */
	int nl;			/* the reviews landing today (one a grace period
				   at most: no more than versions), the latest
				   first */
	long l0;		/* where they start in tierrun's land */
};

struct assignment {
	char *member, *tier;
	int starts, until;
};

struct tierrun {
	struct run *r;
	struct programme *v;
	int nv;
	int P;			/* the last day already recalculated */
	int whole;		/* one window: no days told apart */
	struct tday *days;	/* P+1 .. D */
	int nd;
	struct landing *land;	/* the days' landings, one after the other */
	long nland, landcap;
	const struct programme **vp;	/* the version of each day from vp0 on */
	int vp0, nvp;
	struct assignment *a;
	long na, ai;
	char **em, **et;	/* members' earned tiers, by member_id */
	long ne, ei;
	int64_t *pre;
	int precap;
	long changes;
	int measure;		/* SEG_SPEND, SEG_POINTS or SEG_VISITS */
	int apply;		/* write the changes (committed or not) */
	int header_done;
	int assigning;		/* --assign: new floors from the as-of date */
	int floors_only;	/* the first day was recalculated: floors alone */
	struct csvio_writer *out;
};

static const char *const tier_cols[] = {
	"member_id", "old_tier", "new_tier", "measure", "threshold", "reason", "effective",
	NULL
};

/* The programme version in force at the end of `day`, which that night's
 * run measures the day with. */
static const struct programme *
day_version(const struct tierrun *t, int day)
{
	char when[20];

	day_text(day, when);
	memcpy(when + 10, " 23:59:59", 10);
	return programme_at(t->v, t->nv, when);
}

/* A tier held, earned or assigned, named in any case: Opal is OPAL in a
 * version that spells it so (programme_tier). */
static int
tier_index(const struct programme *p, const char *name)
{
	return programme_tier(p, name);
}

static const char *
tier_name(const struct programme *p, int i)
{
	return i < 0 ? NULL : p->tiers.v[i].name;
}

static int
window_start(const struct programme *p, int day)
{
	char d[11];

	if (p->tiers.window == WINDOW_CALENDAR_YEAR) {
		day_text(day, d);
		memcpy(d + 4, "-01-01", 7);
		return day_num(d);
	}
	return months_back(day, p->tiers.months);
}

/* The measure as the programme states it: a total, or an average. */
static int64_t
shown(const struct programme *p, int64_t sum)
{
	int64_t mul = 1, div = 1, x;

	if (p->tiers.window == WINDOW_MONTHLY_AVERAGE)
		div = p->tiers.months;
	else if (p->tiers.window == WINDOW_QUARTERLY_AVERAGE) {
		mul = 3;
		div = p->tiers.months;
	}
	x = sum * mul;
	return x >= 0 ? x / div : -((-x + div - 1) / div);
}

/* Are the tiers given by hand alone (none has a threshold)? */
static int
by_hand(const struct programme *p)
{
	for (int i = 0; i < p->tiers.n; i++)
		if (p->tiers.v[i].threshold >= 0)
			return 0;
	return 1;
}

static int
qualified(const struct programme *p, int64_t measure)
{
	int q = -1;

	/* tiers given by hand have no threshold: no measure reaches them */
	for (int i = 0; i < p->tiers.n; i++)
		if (p->tiers.v[i].threshold >= 0 && p->tiers.v[i].threshold <= measure)
			q = i;
	return q;
}

/* The member's total from day a to day b, both included, as of day `now`:
 * what returns made after `now` took off those days' purchases is not
 * deducted. */
static int64_t
between(const struct tierrun *t, const struct seg_member *m, int a, int b, int now)
{
	int lo = 0, hi = m->n, i, j;
	int64_t back = 0;

	for (int k = 0; k < m->nlate; k++)
		if (m->late[k].after > now && (t->whole ||
		    (m->late[k].day >= a && m->late[k].day <= b)))
			back += m->late[k].take;
	if (t->whole)
		return t->pre[m->n] + back;
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (m->day[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	hi = m->n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (m->day[mid] <= b)
			lo = mid + 1;
		else
			hi = mid;
	}
	j = lo;
	return t->pre[j] - t->pre[i] + back;
}

static int
same_tier(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Is `held` the lowest tier, exactly as it spells it, of the version in
 * force when the member was enrolled (`created`, its run's start), a
 * version that took effect after the end of `day`: the tier the member
 * started in, a day's version not having it yet, or spelling it otherwise? */
static int
later_lowest(const struct tierrun *t, int day, const char *held, const char *created)
{
	const struct programme *p;
	char end[20];

	if (!held || !created)
		return 0;
	day_text(day, end);
	memcpy(end + 10, " 23:59:59", 10);
	if (strcmp(created, end) <= 0 || !(p = programme_at(t->v, t->nv, created)))
		return 0;
	return strcmp(p->effective_from, end) > 0 && p->tiers.n > 0 &&
	    strcmp(p->tiers.v[0].name, held) == 0;
}

static void
put_measure(struct tierrun *t, const struct programme *p, int64_t v)
{
	if (p->tiers.measure == MEASURE_SPEND)
		csvio_put_money(t->out, v, t->r->decimals);
	else
		csvio_put_int(t->out, v);
}

static int
tier_emit(struct tierrun *t, const struct programme *p, const char *member, const char *from,
    const char *to, int64_t measure, int64_t threshold, const char *reason, int day)
{
	char eff[11];

	day_text(day, eff);
	t->changes++;
	if (t->apply && ledger_tier_change(t->r->l, member, from, to, reason, measure,
	    threshold, eff) < 0)
		return -1;
	csvio_put(t->out, member);
	csvio_put(t->out, from);
	csvio_put(t->out, to);
	put_measure(t, p, measure);
	if (threshold >= 0)
		put_measure(t, p, threshold);
	else
		csvio_put(t->out, NULL);
	csvio_put(t->out, reason);
	csvio_put(t->out, eff);
	csvio_end(t->out);
	return 0;
}

/*
 * The highest tier the member's measure qualified for on a day from the
 * review day R to `day` (whose own is q), each day's measure as that
 * night's run took it, under that day's version: a tier earned after the
 * review holds until the next one, also when a return since has taken the
 * measure below it, or a version since has raised its threshold.  The
 * measure that qualified for it, and the threshold it reached, into
 * *measure and *threshold.  A day whose version measures otherwise than
 * p (the landing's, which the walk read) is taken with p.
 */
static int
since_review(const struct tierrun *t, const struct seg_member *m,
    const struct programme *p, int R, int day, int q, int64_t *measure, int64_t *threshold)
{
	for (int D = R; D < day; D++) {
		const struct programme *pd = D >= t->vp0 && D - t->vp0 < t->nvp ?
		    t->vp[D - t->vp0] : p;
		int64_t md;
		int qi, qd;

		if (pd->tiers.measure != p->tiers.measure)
			pd = p;
		md = shown(pd, between(t, m, window_start(pd, D), D, D));
		/* the day's tier, by name in the landing's version (a tier
		 * renamed since is the landing's lowest, as an earned one is) */
		if ((qi = qualified(pd, md)) < 0)
			continue;
		qd = tier_index(p, tier_name(pd, qi));
		if (qd < 0)
			qd = 0;
		if (qd > q) {
			q = qd;
			*measure = md;
			*threshold = pd->tiers.v[qi].threshold;
		}
	}
	return q;
}

static int
tier_member(void *ctx, const struct seg_member *m)
{
	struct tierrun *t = ctx;
	const char *id = m->v[SM_ID], *held = m->v[SM_TIER], *earned;
	int had_earned = 0, enrolled = day_num(m->v[SM_ENROLLED]), emd = 0, rc = 0, lost = 0;
	long a0, a1;

	/* prefix sums of the member's measure */
	if (m->n + 1 > t->precap) {
		t->precap = 2 * (m->n + 1);
		t->pre = loy_xrealloc(t->pre, t->precap * sizeof(*t->pre));
	}
	t->pre[0] = 0;
	for (int i = 0; i < m->n; i++)
		t->pre[i + 1] = t->pre[i] +
		    (t->measure == SEG_VISITS ? m->receipts[i] : m->spend[i]);
	/* the earned tier, and assignments, of this member */
	while (t->ei < t->ne && strcmp(t->em[t->ei], id) < 0)
		t->ei++;
	earned = held;
	if (t->ei < t->ne && strcmp(t->em[t->ei], id) == 0) {
		earned = t->et[t->ei];
		had_earned = 1;
	}
	while (t->ai < t->na && strcmp(t->a[t->ai].member, id) < 0)
		t->ai++;
	for (a0 = a1 = t->ai; a1 < t->na && strcmp(t->a[a1].member, id) == 0; a1++)
		;
	if (enrolled != INT_MIN)
		emd = atoi(m->v[SM_ENROLLED] + 5) * 100 + atoi(m->v[SM_ENROLLED] + 8);
	for (int k = 0; k < t->nd; k++) {
		const struct tday *d = &t->days[k];
		const struct programme *p = d->p;
		int day = t->P + 1 + k, ei = tier_index(p, earned), q, f = -1, nh, landed = 0;
		int64_t mt = shown(p, between(t, m, d->ws, day, day)), mr = 0, shown_measure;
		int64_t tr = -1;	/* the threshold mr reached, if not p's */
		const char *reason, *to;
		const struct landing *lr = NULL;
		const char *voided = NULL;	/* the day's assignment's tier, if p lacks it */
		const char *ender = NULL;	/* the tier of the assignment ended yesterday */
		int ended = 0, assigned;
		int64_t threshold;

		/* a day before the member was enrolled: a run that day would
		 * not have known the member (purchases before enrolment, of an
		 * export read out of time order, count from the enrolment on) */
		if (day < enrolled)
			continue;
		q = qualified(p, mt);
		if (k == 0 && t->floors_only)
			q = -1;
		/* a member enrolled since in the lowest tier of a later version
		 * (new members start in the version in force then), who
		 * qualifies for no more than this day's lowest, is at the
		 * bottom already: left there, not moved down (or to the day's
		 * spelling) and back */
		if (ei <= 0 && q <= 0 && a0 == a1 &&
		    later_lowest(t, day, held, m->v[SM_CREATED]))
			continue;
		if (q > ei)
			ei = q;
		/* never below the lowest tier, the one every member starts in:
		 * also not a member whose tier this version no longer has (one
		 * renamed or removed) and whose measure reaches no threshold */
		if (ei < 0)
			ei = 0;
		/* a review's downgrade lands on R + grace days; tiers given by
		 * hand have no measure to review: members keep the tier they
		 * earned (the lowest, from enrolment) under their assignments */
		for (int i = 0; i < d->nl && !(k == 0 && t->floors_only) && !by_hand(p); i++) {
			const struct landing *l = &t->land[d->l0 + i];

			if (l->R > enrolled && (l->annual || emd == l->rmd ||
			    (emd == 229 && l->rmd == 228 && !l->rleap))) {
				lr = l;
				break;
			}
		}
		if (lr) {
			int target, soft;

			mr = shown(p, between(t, m, lr->wsr, lr->R - 1, day));
			/* never below the lowest tier, the one every member
			 * starts in: a window of returns alone measures less
			 * than its threshold */
			if ((target = qualified(p, mr)) < 0)
				target = 0;
			soft = p->tiers.soft_landing && target < ei - 1;
			if (soft)
				target = ei - 1;
			/* what decided: the measure now, or on a day since the
			 * review, when it holds the member higher than the review
			 * would, or as high as the soft landing; else the
			 * review's, also when the day's qualifies for the same
			 * tier (1 January in a calendar year: a window just
			 * begun) */
			if (target < ei) {
				int64_t ms = mt, ts = -1;
				int qs = since_review(t, m, p, lr->R, day, q, &ms, &ts);

				if (target < qs || (target == qs && soft)) {
					target = qs;
					mr = ms;
					tr = ts;
					soft = 0;
				}
			}
			if (target < ei) {
				ei = target;
				landed = soft ? 2 : 1;
			}
		}
		/* the floor: the member's latest assignment begun by today */
		for (long i = a1 - 1; i >= a0; i--)
			if (t->a[i].starts <= day) {
				if (day <= t->a[i].until &&
				    (f = tier_index(p, t->a[i].tier)) < 0) {
					/* a tier the day's version does not have
					 * (renamed or removed): said, once */
					char d[11], u[11];

					voided = t->a[i].tier;
					if (!lost) {
						day_text(day, d);
						day_text(t->a[i].until, u);
						loy_warn("member '%s': tier '%s', assigned until "
						    "%s, is not in programme version %d: from %s "
						    "the assignment holds the member in no tier",
						    id, t->a[i].tier, u, p->version, d);
						lost = 1;
					}
				} else if (day > t->a[i].until &&
				    (ended = day == t->a[i].until + 1))
					ender = t->a[i].tier;
				break;
			}
		nh = ei > f ? ei : f;
		earned = tier_name(p, ei);
		to = tier_name(p, nh);
		if (same_tier(to, held))
			continue;
		shown_measure = mt;
		threshold = nh >= 0 ? p->tiers.v[nh].threshold : -1;
		assigned = f == nh && f > ei;	/* the tier is the assignment's */
		if (nh == tier_index(p, held))
			/* the same tier, spelt otherwise by this version: the
			 * member keeps it, in the version's spelling */
			reason = "renamed";
		else if (voided && held && tier_index(p, held) < 0 &&
		    strcasecmp(held, voided) == 0)
			/* the member held the assignment's tier, which the
			 * day's version does not have: the assignment holds
			 * the member in no tier, up or down */
			reason = "assignment-void";
		else if (ended && !landed && held && tier_index(p, held) < 0 &&
		    strcasecmp(held, ender) == 0)
			/* the member held the tier of the assignment that ended,
			 * which the day's version does not have: the end moves
			 * the member, up or down */
			reason = "assignment-ended";
		else if (nh > tier_index(p, held))
			reason = assigned ? "assigned" : "qualified";
		else if (ended && !landed)
			reason = "assignment-ended";
		else if (landed) {
			reason = landed == 2 ? "soft-landing" : "review";
			shown_measure = mr;
			if (tr >= 0)
				threshold = tr;
		} else	/* a later, lower assignment replaced the one that held
			 * the member up */
			reason = assigned ? "assigned" : "assignment-ended";
		if (tier_emit(t, p, id, held, to, shown_measure, threshold, reason, day) < 0) {
			rc = 1;
			break;
		}
		held = to;	/* the programme's name: lives as long as the run */
	}
	if (!rc && t->apply && (had_earned || !same_tier(earned, held)) &&
	    ledger_tier_set_earned(t->r->l, id, earned, !same_tier(earned, held)) < 0)
		rc = 1;
	if (rc)
		t->r->failed = 1;
	return rc;
}

static int
load_assignment(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct tierrun *t = ctx;

	(void)ncols;
	(void)cols;
	if (!row)
		return 0;
	t->a = loy_xrealloc(t->a, (t->na + 1) * sizeof(*t->a));
	t->a[t->na++] = (struct assignment){ loy_xstrdup(row[0]), loy_xstrdup(row[1]),
	    day_num(row[2]), day_num(row[3]) };
	return 0;
}

static int
load_earned(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct tierrun *t = ctx;

	(void)ncols;
	(void)cols;
	if (!row)
		return 0;
	t->em = loy_xrealloc(t->em, (t->ne + 1) * sizeof(*t->em));
	t->et = loy_xrealloc(t->et, (t->ne + 1) * sizeof(*t->et));
	t->em[t->ne] = loy_xstrdup(row[0]);
	t->et[t->ne] = row[1] ? loy_xstrdup(row[1]) : NULL;
	t->ne++;
	return 0;
}

/* Can this version's tiers be calculated?  0, or -1 (message printed).
 * Tiers all without thresholds are given by hand alone (--assign): the
 * recalculation holds members at them while their assignments hold. */
static int
tiers_usable(const struct programme *p)
{
	if (p->tiers.n == 0)
		return loy_error("programme version %d has no tiers", p->version);
	if (by_hand(p))
		return 0;
	for (int i = 0; i < p->tiers.n; i++) {
		if (p->tiers.v[i].threshold < 0)
			return loy_error("programme version %d: tier '%s' has no threshold, "
			    "and tier '%s' has one: give every tier a threshold, or none "
			    "(tiers given by hand)", p->version, p->tiers.v[i].name,
			    p->tiers.v[i ? 0 : p->tiers.n - 1].name);
		if (i && p->tiers.v[i].threshold <= p->tiers.v[i - 1].threshold)
			return loy_error("programme version %d: tier '%s' threshold is not above "
			    "tier '%s': thresholds increase from the lowest tier", p->version,
			    p->tiers.v[i].name, p->tiers.v[i - 1].name);
	}
	return 0;
}

/*
 * The reviews whose downgrades land on `day`: a review on R lands the
 * grace_days of the version in force on R after it, under that version's
 * review (its review_date, or the anniversaries on R), so that a version
 * with another grace period, in force by the landing, neither lands a
 * review a second time nor leaves one unlanded.  Each is measured with
 * the landing day's version (d->p), over the window that ends on R - 1.
 */
static void
landings(const struct tierrun *t, struct tday *d, int day)
{
	struct landing *dl = t->land + d->l0;

	d->nl = 0;
	for (int i = t->nv - 1; i >= 0; i--) {
		int g = t->v[i].tiers.grace_days, R = day - g, seen = 0;
		const struct programme *pr = day_version(t, R);
		struct landing *l = &dl[d->nl];
		char md[11];

		for (int j = 0; j < d->nl; j++)
			seen |= dl[j].R == R;
		if (seen || pr->tiers.grace_days != g || pr->tiers.n == 0 || by_hand(pr))
			continue;
		day_text(R, md);
		l->R = R;
		l->rmd = atoi(md + 5) * 100 + atoi(md + 8);
		l->rleap = leap(atoi(md));
		l->annual = pr->tiers.review == REVIEW_ANNUAL;
		if (l->annual && strncmp(md + 5, pr->tiers.review_date, 5) != 0 &&
		    !(strcmp(pr->tiers.review_date, "02-29") == 0 && !l->rleap &&
		    strncmp(md + 5, "02-28", 5) == 0))
			continue;
		l->wsr = window_start(d->p, R - 1);
		d->nl++;
	}
	/* the latest review first: it lands when two do (versions whose
	 * grace periods end on one day) */
	for (int i = 1; i < d->nl; i++)
		for (int j = i; j > 0 && dl[j].R > dl[j - 1].R; j--) {
			struct landing x = dl[j];

			dl[j] = dl[j - 1];
			dl[j - 1] = x;
		}
}

/* At most this many window edges are told apart by bucket; more (a long
 * catch-up) and the days are told apart one by one. */
#define BUCKETS_MAX 64

/* The recalculation itself, in the current transaction: 0, an exit status,
 * or -1 (a ledger error). */
static int
tiers_calc(struct tierrun *t)
{
	struct run *r = t->r;
	char last[11], from[11], btext[BUCKETS_MAX][11], late[11];
	int lo, rc = -1, bound[BUCKETS_MAX], nb = 0, graced = 0, lateday;

	if (ledger_tier_last_run(r->l, last) < 0)
		return -1;
	t->P = *last ? day_num(last) : r->day - 1;
	if (t->P > r->day) {
		loy_warn("--as-of '%s' is before the last tier run, as of %s: tiers are not "
		    "recalculated backwards", r->as_of, last);
		return LOY_EX_USAGE;
	}
	/* assignments from today on a day already recalculated: that day again,
	 * for the floors alone */
	if (t->P == r->day && t->assigning) {
		t->P = r->day - 1;
		t->floors_only = 1;
	}
	t->nd = r->day - t->P;
	if (t->nd == 0)
		loy_warn("tiers as of %s were applied by an earlier run: nothing to "
		    "recalculate%s", r->as_of, t->apply ? ", nothing recorded" : "");
	t->days = loy_xmalloc((t->nd + 1) * sizeof(*t->days));
	lo = r->day;
	lateday = t->P + 2;
	for (int k = 0; k < t->nd; k++) {
		struct tday *d = &t->days[k];
		const struct landing *dl;
		int day = t->P + 1 + k;
		char md[11];

		day_text(day, md);
		d->p = day_version(t, day);
		if (tiers_usable(d->p) < 0)
			return LOY_EX_DATAERR;
		if (k > 0 && d->p->tiers.measure != t->days[0].p->tiers.measure) {
			char before[11];

			day_text(day - 1, before);
			loy_warn("programme version %d measures tiers otherwise from %s: run "
			    "loy-segment --as-of %s tiers --apply first", d->p->version, md, before);
			return LOY_EX_DATAERR;
		}
		d->ws = window_start(d->p, day);
		/* room for a landing a version, as many as land at most */
		if (t->nland + t->nv > t->landcap) {
			t->landcap = 2 * (t->nland + t->nv);
			t->land = loy_xrealloc(t->land, t->landcap * sizeof(*t->land));
		}
		d->l0 = t->nland;
		landings(t, d, day);
		dl = t->land + d->l0;
		t->nland += d->nl;
		if (d->ws < lo)
			lo = d->ws;
		for (int i = 0; i < d->nl; i++) {
			if (dl[i].wsr < lo)
				lo = dl[i].wsr;
			/* a landing after a grace period looks back at each day
			 * from R (since_review): the days one by one, each with
			 * the returns made by then */
			if (dl[i].R < day) {
				graced = 1;
				if (dl[i].R + 1 < lateday)
					lateday = dl[i].R + 1;
			}
		}
		/* the windows' edges, for buckets */
		if (nb + 2 + 2 * d->nl <= BUCKETS_MAX) {
			bound[nb++] = d->ws;
			bound[nb++] = day + 1;
			for (int i = 0; i < d->nl; i++) {
				bound[nb++] = dl[i].wsr;
				bound[nb++] = dl[i].R;
			}
		} else
			nb = BUCKETS_MAX + 1;
	}
	/* the version of each day a landing looks back at (since_review), and
	 * the window each measured */
	t->nvp = 0;
	if (graced) {
		t->vp0 = lateday - 1;
		t->nvp = r->day - t->vp0;
		t->vp = loy_xrealloc(t->vp, (t->nvp + 1) * sizeof(*t->vp));
		for (int i = 0; i < t->nvp; i++) {
			int ws;

			t->vp[i] = day_version(t, t->vp0 + i);
			if ((ws = window_start(t->vp[i], t->vp0 + i)) < lo)
				lo = ws;
		}
	}
	/* one nightly run without a review: one window, no days told apart */
	t->whole = t->nd == 1 && t->days[0].nl == 0;
	if (ledger_tier_assignments(r->l, "", load_assignment, t) < 0 ||
	    ledger_tier_earned(r->l, load_earned, t) < 0)
		return -1;
	day_text(lo, from);
	/* days run one by one: a return made on the second day or later
	 * counts from its day on, not on the days before it */
	day_text(lateday, late);
	if (!t->header_done) {
		for (const char *const *c = tier_cols; *c; c++)
			csvio_put(t->out, *c);
		csvio_end(t->out);
	}
	if (t->nd > 0) {
		t->measure = t->days[0].p->tiers.measure == MEASURE_POINTS ? SEG_POINTS :
		    t->days[0].p->tiers.measure == MEASURE_VISITS ? SEG_VISITS : SEG_SPEND;
		if (!t->whole && !graced && nb <= BUCKETS_MAX) {
			/* a few windows: their edges cut the days into buckets */
			int n = 0;

			qsort(bound, nb, sizeof(*bound), cmpint);
			for (int i = 0; i < nb; i++)
				if (n == 0 || bound[i] != bound[n - 1])
					bound[n++] = bound[i];
			for (int i = 0; i < n; i++)
				day_text(bound[i], btext[i]);
			rc = ledger_segment_walk_buckets(r->l, 2, t->measure, btext, bound, n,
			    t->nd > 1 ? late : NULL, tier_member, t);
		} else
			rc = ledger_segment_walk(r->l, 2, t->measure, from, r->end,
			    t->nd > 1 || graced ? late : NULL, t->whole, tier_member, t);
		if (rc < 0 || r->failed)
			return -1;
	}
	/* the day again, for assignments that changed nothing: it has its
	 * tier run already, and the run writes nothing (ledger_run_wrote) */
	if (t->apply && t->nd > 0 && !(t->floors_only && !ledger_run_wrote(r->l)) &&
	    ledger_tier_finish(r->l, r->as_of) < 0)
		return -1;
	rc = 0;
	return rc;
}

/* The programme versions the days are measured with, read in the run's
 * transaction: those the ledger holds then.  0 or -1. */
static int
tiers_versions(struct tierrun *t)
{
	programme_versions_free(t->v, t->nv);
	t->v = NULL;
	t->nv = 0;
	return programme_versions(t->r->l, &t->v, &t->nv);
}

static int
tiers_txn(void *ctx, struct ledger *l, struct csvio_writer *out, long counts[2])
{
	struct tierrun *t = ctx;
	int rc;

	if ((rc = run_settings(t->r)) != 0)
		return rc;
	if (tiers_versions(t) < 0)
		return ledger_status_or(l, LOY_EX_DATAERR);
	t->out = out;
	if ((rc = tiers_calc(t)) != 0)
		return rc < 0 ? ledger_status(l) : rc;
	counts[0] = t->changes;
	return 0;
}

/* tiers --assign FILE: member_id, tier, until, reason */
static const char *const assign_fields[] = { "member_id", "tier", "until", "reason", NULL };
enum { G_ASSIGNED, G_UNCHANGED };
static const struct batch_counter assign_counters[] = {
	{ "assigned", BATCH_CHANGED }, { "unchanged", BATCH_UNCHANGED }, { NULL, 0 }
};

struct assigning {
	struct tierrun *t;
	int col[4];
	struct strmap_lite { char **v; long n; } seen;
};

static int
assign_begin(void *ctx)
{
	struct assigning *g = ctx;
	int rc;

	/* the as-of date the assignments start on, in the time zone the
	 * ledger holds now, and the decimals of the measures shown */
	if ((rc = run_settings(g->t->r)) != 0) {
		g->t->r->failed = rc;
		return -1;
	}
	return tiers_versions(g->t);
}

static int
assign_file(void *ctx, struct batch *b)
{
	struct assigning *g = ctx;

	return batch_cols(b, assign_fields, 3, g->col);
}

static int
assign_row(void *ctx, struct batch *b, const struct csvio_row *row)
{
	struct assigning *g = ctx;
	struct run *r = g->t->r;
	char *id = csvio_field(row, g->col[0]);
	const char *tier = csvio_field(row, g->col[1]);
	const char *until = csvio_field(row, g->col[2]), *reason = csvio_field(row, g->col[3]);
	const struct programme *p;
	char u[20], when[20], *who = NULL;
	const char *why;
	struct member m = { { 0 } };
	int got, rc = 1, t;

	if (!*id)
		return batch_reject(b, row, "member_id is empty");
	/* refused with a control character; 17850.0 read as 17850 */
	if ((got = batch_id(b, row, "member_id", id)) != 0)
		return got;
	if (batch_control_refused(b, row, "reason", reason, BATCH_TEXT))
		return 1;
	snprintf(when, sizeof(when), "%s 23:59:59", r->as_of);
	p = programme_at(g->t->v, g->t->nv, when);
	/* a tier named in any case, as loy-redeem reads it, kept as the
	 * programme spells it */
	if ((t = programme_tier(p, tier)) < 0)
		return batch_reject(b, row, "tier '%s' is not one of the programme's tiers", tier);
	tier = p->tiers.v[t].name;
	if (when_parse(until, r->cli->date_format, WHEN_DATE, u, &why) < 0)
		return batch_reject(b, row, "until '%s' %s", until, why);
	if (strcmp(u, r->as_of) < 0)
		return batch_reject(b, row, "until '%s' is before the as-of date, %s", until,
		    r->as_of);
	if ((got = ledger_member_resolve(r->l, id, &who)) < 0)
		return -1;
	if (!got)
		return batch_reject(b, row, "unknown member '%s'", id);
	if (ledger_member_get(r->l, who, &m) < 0) {
		free(who);
		return -1;
	}
	if (strcmp(m.v[MF_STATUS], "active") != 0)
		rc = batch_reject(b, row, "member '%s' is %s", who, m.v[MF_STATUS]);
	else if (m.v[MF_FORGOTTEN_AT])	/* an erasure request: not to be picked */
		rc = batch_reject(b, row, "member '%s' was forgotten on %.10s: no tier is "
		    "assigned to it by hand", who, m.v[MF_FORGOTTEN_AT]);
	else {
		int dup = 0;

		for (long i = 0; i < g->seen.n && !dup; i++)
			dup = strcmp(g->seen.v[i], who) == 0;
		if (dup)
			rc = batch_reject(b, row, "member '%s' is assigned twice in this run", who);
		else {
			/* the same assignment again (a re-run) changes nothing */
			int same = ledger_tier_assigned(r->l, who, tier, r->as_of, u);

			rc = same < 0 || (!same && ledger_tier_assign(r->l, who, tier, r->as_of,
			    u, *reason ? reason : NULL) < 0) ? -1 : 0;
			g->seen.v = loy_xrealloc(g->seen.v, (g->seen.n + 1) * sizeof(char *));
			g->seen.v[g->seen.n++] = loy_xstrdup(who);
			if (rc == 0)
				batch_count(b, same ? G_UNCHANGED : G_ASSIGNED);
		}
	}
	member_clear(&m);
	free(who);
	return rc;
}

static int
assign_end(void *ctx, struct batch *b)
{
	struct assigning *g = ctx;
	int rc;

	g->t->out = batch_out(b);
	if ((rc = tiers_calc(g->t)) == 0)
		return 0;
	if (rc > 0)
		g->t->r->failed = rc;
	return -1;
}

static int
do_tiers(struct run *r)
{
	struct tierrun t = { .r = r };
	int rc;

	if (r->argc)
		return loy_error("tiers takes no operands"), LOY_EX_USAGE;
	if (r->o->assign) {
		struct assigning g = { .t = &t };
		struct batch_job job = {
			.fields = assign_fields, .output = tier_cols, .counters = assign_counters,
			.file = assign_file, .row = assign_row, .run_end = assign_end,
			.begin = assign_begin, .ctx = &g,
		};
		struct cli c = *r->cli;
		char *files[] = { (char *)r->o->assign };

		c.dry_run |= !r->o->apply;
		t.apply = t.header_done = t.assigning = 1;
		rc = batch_run(&job, &c, r->l, 1, files, r->args);
		if (r->failed > 0 && rc != 0)
			rc = r->failed;
		for (long i = 0; i < g.seen.n; i++)
			free(g.seen.v[i]);
		free(g.seen.v);
	} else if (r->o->apply) {
		t.apply = 1;
		rc = batch_txn(r->cli, r->l, r->args, tiers_txn, &t);
	} else if (ledger_begin_read(r->l) < 0)
		rc = ledger_status(r->l);
	else if (tiers_versions(&t) < 0) {
		rc = ledger_status_or(r->l, LOY_EX_DATAERR);
		ledger_rollback(r->l);
	} else {
		t.out = csvio_writer(stdout, cli_format(r->cli), r->cli->safe_cells);
		rc = tiers_calc(&t);
		ledger_rollback(r->l);
		if (rc < 0)
			rc = ledger_status(r->l);
		if (cli_writer_done(t.out) != 0)
			rc = LOY_EX_IOERR;
	}
	for (long i = 0; i < t.na; i++) {
		free(t.a[i].member);
		free(t.a[i].tier);
	}
	free(t.a);
	for (long i = 0; i < t.ne; i++) {
		free(t.em[i]);
		free(t.et[i]);
	}
	free(t.em);
	free(t.et);
	free(t.pre);
	free(t.days);
	free(t.land);
	free(t.vp);
	programme_versions_free(t.v, t.nv);
	return rc;
}
