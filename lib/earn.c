/*
 * earn: the earning-rule engine (see earn.h and loy-programme(5), HOW
 * POINTS ARE COMPUTED).
 *
 * A line's exact points are kept as a numerator over one denominator per
 * programme, D = per x (the product of the denominators of every
 * multiplier), so that every multiplier divides exactly and the lines of a
 * receipt add up without rounding; rounding happens once per line or once
 * per receipt, and what each rule adds is the difference it makes to the
 * rounded running total, so the shares always add up to the points.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "earn.h"
#include "expire.h"
#include "money.h"
#include "pattern.h"

typedef __int128 i128;
#define I128_MAX ((i128)(((unsigned __int128)1 << 127) - 1))

struct prog {
	struct programme *p;
	int needs_member, needs_first;
};

struct earn {
	struct programme *v;
	struct prog *pv;
	int n;
	char *segments;		/* JSON array of the segments rules name */
};

static int
is_purchase(const struct rule *r)
{
	return r->trigger == TRIGGER_PURCHASE || r->trigger == TRIGGER_FIRST_PURCHASE;
}

struct earn *
earn_new(struct programme *v, int n)
{
	struct earn *e = loy_xmalloc(sizeof(*e));

	e->v = v;
	e->n = n;
	e->pv = loy_xmalloc((n ? n : 1) * sizeof(*e->pv));
	e->segments = NULL;
	for (int i = 0; i < n; i++) {
		struct prog *g = &e->pv[i];
		struct programme *p = &v[i];

		g->p = p;
		g->needs_member = g->needs_first = 0;
		for (int k = 0; k < p->nrules; k++) {
			const struct rule *r = &p->rules[k];

			if (r->tiers.n || r->segments.n || r->birthday_month)
				g->needs_member = 1;
			if (r->trigger == TRIGGER_FIRST_PURCHASE ||
			    (r->trigger == TRIGGER_REFERRAL &&
			    r->referral_on == REFERRAL_ON_FIRST_PURCHASE))
				g->needs_first = 1;
			if (r->trigger == TRIGGER_REFERRAL)
				g->needs_member = 1;
		}
	}
	return e;
}

void
earn_free(struct earn *e)
{
	if (!e)
		return;
	programme_versions_free(e->v, e->n);
	free(e->pv);
	free(e->segments);
	free(e);
}

const struct programme *
earn_at(const struct earn *e, const char *when)
{
	return programme_at(e->v, e->n, when);
}

int
earn_needs_member(const struct earn *e)
{
	for (int i = 0; i < e->n; i++)
		if (e->pv[i].needs_member)
			return 1;
	return 0;
}

struct buf {
	char *s;
	size_t n, cap;
};

/* Room for n more bytes and a NUL, grown to twice what that needs. */
static void
bgrow(struct buf *b, size_t n)
{
	b->cap = (b->n + n + 1) * 2;
	b->s = loy_xrealloc(b->s, b->cap);
}

/* Inline: a record is a hundred small pieces, most of them of a known
 * length, copied in place. */
static inline void
bput(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap)
		bgrow(b, n);
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void bstr(struct buf *b, const char *s);

const char *
earn_segments(const struct earn *e)
{
	struct buf b = { 0 };

	if (e->segments)
		return e->segments;
	bput(&b, "[", 1);
	for (int i = 0; i < e->n; i++)
		for (int k = 0; k < e->v[i].nrules; k++)
			for (int s = 0; s < e->v[i].rules[k].segments.n; s++) {
				if (b.n > 1)
					bput(&b, ",", 1);
				bstr(&b, e->v[i].rules[k].segments.v[s]);
			}
	bput(&b, "]", 1);
	((struct earn *)e)->segments = b.s;
	return b.s;
}

/* 1 when a rule of any version is one that `is` takes, else 0. */
static int
any_rule(const struct earn *e, int (*is)(const struct rule *))
{
	for (int i = 0; i < e->n; i++)
		for (int k = 0; k < e->pv[i].p->nrules; k++)
			if (is(&e->pv[i].p->rules[k]))
				return 1;
	return 0;
}

static int
is_cumulative_bonus(const struct rule *r)
{
	return r->trigger == TRIGGER_CUMULATIVE && r->effect == EFFECT_BONUS;
}

static int
is_referral_bonus(const struct rule *r)
{
	return r->trigger == TRIGGER_REFERRAL && r->referral_on != REFERRAL_ON_SIGNUP &&
	    r->effect == EFFECT_BONUS;
}

static int
is_limited_purchase(const struct rule *r)
{
	return is_purchase(r) && r->limit >= 0;
}

int
earn_needs_progress(const struct earn *e)
{
	return any_rule(e, is_cumulative_bonus);
}

int
earn_needs_referral(const struct earn *e)
{
	return any_rule(e, is_referral_bonus);
}

int
earn_needs_limit(const struct earn *e)
{
	return any_rule(e, is_limited_purchase);
}

int
earn_needs_first(const struct earn *e)
{
	for (int i = 0; i < e->n; i++)
		if (e->pv[i].needs_first)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ conditions */

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (long)doe - 719468;
}

static void
civil_from_days(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long yy = (long)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static int
num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* 0 Monday .. 6 Sunday */
static int
weekday(const char *when)
{
	long days = days_from_civil(num(when, 4), (unsigned)num(when + 5, 2),
	    (unsigned)num(when + 8, 2));

	return (int)(((days % 7) + 7 + 3) % 7);	/* 1970-01-01 was a Thursday */
}

void
earn_period_key(enum rule_period per, const char *when, char key[static 16])
{
	switch (per) {
	case PERIOD_DAY:
		snprintf(key, 16, "%.10s", when);
		break;
	case PERIOD_WEEK: {
		long days = days_from_civil(num(when, 4), (unsigned)num(when + 5, 2),
		    (unsigned)num(when + 8, 2));
		int y, m, d;

		civil_from_days(days - weekday(when), &y, &m, &d);
		snprintf(key, 16, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
		break;
	}
	case PERIOD_MONTH:
		snprintf(key, 16, "%.7s", when);
		break;
	case PERIOD_QUARTER:
		snprintf(key, 16, "%.4s-Q%c", when, "0111222333444444"[num(when + 5, 2) % 16]);
		break;
	case PERIOD_YEAR:
		snprintf(key, 16, "%.4s", when);
		break;
	default:
		snprintf(key, 16, "ever");
	}
}

static int
in_list(const struct namelist *nl, const char *s)
{
	if (nl->n == 0)
		return 1;
	if (!s)
		return 0;
	for (int i = 0; i < nl->n; i++)
		if (strcmp(nl->v[i], s) == 0)
			return 1;
	return 0;
}

/* Is the member's tier on the rule's list?  Tier names are read in any
 * case, as the rule's version reads them. */
static int
tier_listed(const struct rule *ru, const char *tier)
{
	if (ru->tiers.n == 0 || ru->tiers_by_case || !tier)
		return in_list(&ru->tiers, tier);
	for (int i = 0; i < ru->tiers.n; i++)
		if (strcasecmp(ru->tiers.v[i], tier) == 0)
			return 1;
	return 0;
}

/* Is one of the comma-separated names in `names` on the list? */
static int
in_list_any(const struct namelist *nl, const char *names)
{
	if (nl->n == 0)
		return 1;
	for (const char *s = names; s && *s;) {
		size_t len = strcspn(s, ",");

		for (int i = 0; i < nl->n; i++)
			if (strlen(nl->v[i]) == len && strncmp(nl->v[i], s, len) == 0)
				return 1;
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

int
earn_rule_used(const struct rule *ru, int64_t s)
{
	if (ru->effect == EFFECT_MULTIPLY && ru->factor_num < ru->factor_den)
		return s < 0;
	return s > 0;
}

int
earn_rule_applies(const struct rule *ru, const struct earn_receipt *r,
    const struct earn_member *m)
{
	const char *w = r->occurred;

	if (ru->from && strcmp(w, ru->from) < 0)
		return 0;
	if (ru->to && strcmp(w, ru->to) > 0)
		return 0;
	if (ru->days && !(ru->days & (1u << weekday(w))))
		return 0;
	if (ru->hours && !(ru->hours & (1u << num(w + 11, 2))))
		return 0;
	if (!in_list(&ru->stores, r->store) || !in_list(&ru->channels, r->channel))
		return 0;
	if (m && (!tier_listed(ru, m->tier) || !in_list_any(&ru->segments, m->segments)))
		return 0;
	if (ru->birthday_month && (!m || !m->birthday || strlen(m->birthday) < 7 ||
	    strncmp(m->birthday + 5, w + 5, 2) != 0))
		return 0;
	if (ru->min_amount >= 0 && r->amount < ru->min_amount)
		return 0;
	return 1;
}

/* 1, 0, or -1 when the rule's pattern gave up on the line (PCRE2's match
 * limit): the rule can be neither applied nor left out. */
static int
line_matches(const struct rule *ru, const struct earn_line *ln)
{
	const char *s;

	switch (ru->match) {
	case MATCH_NONE:
		return 1;
	case MATCH_SKU:
		s = ln->sku;
		break;
	case MATCH_CATEGORY:
		s = ln->category;
		break;
	default:
		s = ln->description;
	}
	return pattern_match(ru->pattern, s ? s : "", s ? strlen(s) : 0);
}

/* Why earn_compute gave 2, in buf. */
const char *
earn_gave_up(const struct programme *p, const struct earn_receipt *r,
    const struct earn_result *res, char *buf, size_t size)
{
	const struct rule *ru;
	const char *field;

	if (res->gave_up_fraction) {
		long ln = r->lines[res->gave_up_line].line;

		if (res->gave_up_rule >= 0)
			snprintf(buf, size, "rule '%s' cannot be worked out exactly: with the "
			    "other multipliers on the receipt's line %ld it makes a fraction too "
			    "large (more than 38 digits)", p->rules[res->gave_up_rule].name, ln);
		else
			snprintf(buf, size, "the multipliers on the receipt's line%s %ld cannot "
			    "be worked out exactly: together they make a fraction too large (more "
			    "than 38 digits)", res->gave_up_fraction == 2 ? "s up to" : "", ln);
		return buf;
	}
	ru = &p->rules[res->gave_up_rule];
	field = ru->match == MATCH_SKU ? "sku" :
	    ru->match == MATCH_CATEGORY ? "category" : "description";
	snprintf(buf, size, "rule '%s' cannot be decided: its %s pattern gave up on the "
	    "receipt's line %ld (PCRE2's match limit)", ru->name, field,
	    r->lines[res->gave_up_line].line);
	return buf;
}

/* ------------------------------------------------------------ the engine */

static void
part(struct earn_result *res, int line, int rule, int64_t points)
{
	if (res->n == res->cap) {
		res->cap = res->cap ? 2 * res->cap : 16;
		res->parts = loy_xrealloc(res->parts, res->cap * sizeof(*res->parts));
	}
	res->parts[res->n++] = (struct earn_part){ line, rule, points };
}

void
earn_result_free(struct earn_result *res)
{
	free(res->parts);
	memset(res, 0, sizeof(*res));
}

/* Rounded x / d (d > 0): toward zero, or half away from zero, for any x
 * an __int128 holds (no 2x, which would not). */
static i128
round_q(i128 x, i128 d, int nearest)
{
	i128 q = x / d, r = x % d;

	if (!nearest)
		return q;
	if (r >= 0)
		return r >= d - r ? q + 1 : q;
	return -r >= d + r ? q - 1 : q;
}

int64_t
earn_base_points(const struct programme *p, int64_t amount)
{
	i128 v = round_q((i128)amount * p->earn.points, p->earn.per,
	    p->earn.rounding == ROUND_NEAREST);

	return v > POINTS_MAX ? POINTS_MAX + 1 : (int64_t)v;
}

const char *
earn_rule_name(const struct programme *p, int rule)
{
	switch (rule) {
	case EARN_BASE:
		return "[earn]";
	case EARN_CAP_RECEIPT:
		return "[earn] cap_receipt";
	case EARN_CAP_DAY:
		return "[earn] cap_member_day";
	case EARN_CAP_MONTH:
		return "[earn] cap_member_month";
	case EARN_FLOOR:
		return "[earn] not below zero";
	case EARN_KEPT:
		return "[earn] not recovered";
	case EARN_RETURN:
		return "[return]";
	case EARN_TAKEN:
		return "[return] taken before";
	}
	return p->rules[rule].name;
}

/* A running exact share (numerator over D) before rounding. */
struct share {
	int line, rule;
	i128 v;
};

/* Take up to `excess` points from the rule's parts, the last ones first. */
static void
cut_rule(struct earn_result *res, int rule, int64_t excess)
{
	for (int i = res->n - 1; i >= 0 && excess > 0; i--) {
		struct earn_part *pt = &res->parts[i];
		int64_t take;

		if (pt->rule != rule || pt->points <= 0)
			continue;
		take = pt->points < excess ? pt->points : excess;
		pt->points -= take;
		excess -= take;
	}
}

static int64_t
rule_sum(const struct earn_result *res, int rule)
{
	int64_t s = 0;

	for (int i = 0; i < res->n; i++)
		if (res->parts[i].rule == rule)
			s += res->parts[i].points;
	return s;
}

int
earn_receipt_used(const struct rule *ru, int k, const struct earn_receipt *r,
    const struct earn_result *res)
{
	/* an exclusion's share is 0: what it does to a sale is leave out
	 * one of its lines */
	if (ru->effect == EFFECT_EXCLUDE) {
		for (int i = 0; i < res->n; i++)
			if (res->parts[i].rule == k && res->parts[i].line >= 0 &&
			    res->parts[i].line < r->n && r->lines[res->parts[i].line].amount > 0)
				return 1;
		return 0;
	}
	return earn_rule_used(ru, rule_sum(res, k));
}

static int64_t
total(const struct earn_result *res)
{
	int64_t s = 0;

	for (int i = 0; i < res->n; i++)
		s += res->parts[i].points;
	return s;
}

/* A programme cap on the total: a negative part when it bites. */
static void
cap_total(struct earn_result *res, int who, int64_t left)
{
	int64_t t = total(res);

	if (left < 0)
		left = 0;
	if (t > left)
		part(res, -1, who, left - t);
}

/* The first and last second of the day or month of `when`: [from, to). */
static void
span(const char *when, int month, char from[40], char to[40])
{
	int y = num(when, 4), m = num(when + 5, 2), d = num(when + 8, 2);

	if (month) {
		snprintf(from, 40, "%04d-%02d-01 00:00:00", y % 10000, m % 100);
		if (++m > 12) {
			m = 1;
			y++;
		}
		snprintf(to, 40, "%04d-%02d-01 00:00:00", y % 10000, m % 100);
	} else {
		long days = days_from_civil(y, (unsigned)m, (unsigned)d);

		snprintf(from, 40, "%.10s 00:00:00", when);
		civil_from_days(days + 1, &y, &m, &d);
		snprintf(to, 40, "%04d-%02d-%02d 00:00:00", y % 10000, m % 100, d % 100);
	}
}

struct seqpart {
	struct earn_part p;
	int seq;
};

static int
cmp_part(const void *x, const void *y)
{
	const struct seqpart *a = x, *b = y;

	if (a->p.line != b->p.line)
		return a->p.line < b->p.line ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The receipt's own parts first, then each line's, each in the order made. */
static void
sort_parts(struct earn_result *res)
{
	struct seqpart *t;
	int sorted = 1;

	for (int i = 1; i < res->n && sorted; i++)
		sorted = res->parts[i - 1].line <= res->parts[i].line;
	if (sorted)
		return;
	t = loy_xmalloc(res->n * sizeof(*t));
	for (int i = 0; i < res->n; i++)
		t[i] = (struct seqpart){ res->parts[i], i };
	qsort(t, res->n, sizeof(*t), cmp_part);
	for (int i = 0; i < res->n; i++)
		res->parts[i] = t[i].p;
	free(t);
}

void
earn_result_add(struct earn_result *res, int rule, int64_t points)
{
	part(res, -1, rule, points);
	res->points += points;
	sort_parts(res);
}

/* on[k] of a rule whose budget is spent: it applies to return lines only. */
#define SPENT 2

/* A rule's pattern that gave up on a line stops the receipt: 2. */
#define GAVE_UP(k, i) do { gu_rule = (k); gu_line = (i); rc = 2; goto out; } while (0)
/* So does a line whose multipliers make a fraction too large to work it
 * out exactly, rule k taking it past (-1: all of them), or the lines up
 * to line i together (LINES). */
#define TOO_FINE(k, i) do { gu_frac = 1; GAVE_UP(k, i); } while (0)
#define TOO_FINE_LINES(i) do { gu_frac = 2; GAVE_UP(-1, i); } while (0)
/* Past what an __int128 holds while valuing share s over D: more than
 * POINTS_MAX points if D is small enough that 2^127 / D passes it (the
 * values are points times D), else the fraction's fault. */
#define OVER(s) do { \
	if (d > I128_MAX / (POINTS_MAX + 1)) \
		TOO_FINE(sh[s].rule >= 0 ? sh[s].rule : -1, sh[s].line); \
	goto out; \
} while (0)

int
earn_compute(const struct programme *p, const struct earn_receipt *r,
    const struct earn_member *m, const struct earn_state *st, struct earn_result *res)
{
	const struct earn_base *eb = &p->earn;
	int nr = p->nrules, *on = NULL, *excl = NULL, rc = 1, mt, gu_rule = -1, gu_line = -1;
	int gu_frac = 0;
	struct share *sh = NULL;
	int nsh = 0, capsh = 0;
	i128 d = eb->per, cur = 0, run = 0, prev = 0;
	int nearest = eb->rounding == ROUND_NEAREST;

	memset(res, 0, sizeof(*res));

	/* which purchase rules apply to this receipt at all */
	if (nr) {
		on = loy_xmalloc(nr * sizeof(*on));
		for (int k = 0; k < nr; k++) {
			const struct rule *ru = &p->rules[k];

			on[k] = (ru->trigger == TRIGGER_PURCHASE ||
			    (ru->trigger == TRIGGER_FIRST_PURCHASE && m && m->first)) &&
			    earn_rule_applies(ru, r, m);
			if (on[k] && ru->limit >= 0 && m && st && st->uses) {
				char key[16];
				int64_t used = 0;

				earn_period_key(ru->limit_period, r->occurred, key);
				if (st->uses(st->ctx, ru->name, m->id, key, &used) < 0)
					goto fail;
				if (used >= ru->limit)
					on[k] = 0;
			}
			/* a rule whose budget is spent gives nothing more: it does
			 * not apply to what the receipt sells, so that it neither
			 * beats a competing multiplier it could give no more than
			 * nor lifts the shares of the multipliers after it; on a
			 * line that returns goods it still takes back its share of
			 * them, as the receipt that sold them gave it */
			if (on[k] && ru->budget >= 0 && st && st->given) {
				int64_t given = 0;

				if (st->given(st->ctx, ru->name, &given) < 0)
					goto fail;
				if (given >= ru->budget)
					on[k] = SPENT;
			}
		}
	}
	excl = loy_xmalloc((r->n ? r->n : 1) * sizeof(*excl));

	/* (a) exclusions, and the multipliers each line takes: its shares,
	 * valued below over D, the least common multiple of each line's per
	 * times the denominators of its multipliers, so that every share is
	 * exact and a multiplier that takes no line of the receipt makes D
	 * no larger */
	for (int i = 0; i < r->n; i++) {
		const struct earn_line *ln = &r->lines[i];
		i128 li = eb->per;
		int best = -1;

		excl[i] = -1;
		for (int k = 0; k < nr && excl[i] < 0; k++)
			if (on[k] && p->rules[k].effect == EFFECT_EXCLUDE) {
				if ((mt = line_matches(&p->rules[k], ln)) < 0)
					GAVE_UP(k, i);
				if (mt)
					excl[i] = k;
			}
		if (excl[i] >= 0)
			continue;
		if (nsh + nr + 1 > capsh) {
			capsh = 2 * (nsh + nr + 1);
			sh = loy_xrealloc(sh, capsh * sizeof(*sh));
		}
		sh[nsh++] = (struct share){ i, EARN_BASE, 0 };
		for (int k = 0; k < nr; k++) {
			const struct rule *ru = &p->rules[k];

			if (!on[k] || ru->effect != EFFECT_MULTIPLY ||
			    (on[k] == SPENT && ln->amount >= 0))
				continue;
			if ((mt = line_matches(ru, ln)) < 0)
				GAVE_UP(k, i);
			if (!mt)
				continue;
			if (!ru->stack) {
				if (best < 0 || (i128)ru->factor_num * p->rules[best].factor_den >
				    (i128)p->rules[best].factor_num * ru->factor_den)
					best = k;
				continue;
			}
			if (__builtin_mul_overflow(li, (i128)ru->factor_den, &li))
				TOO_FINE(k, i);
			sh[nsh++] = (struct share){ i, k, 0 };
		}
		if (best >= 0) {
			if (__builtin_mul_overflow(li, (i128)p->rules[best].factor_den, &li))
				TOO_FINE(best, i);
			sh[nsh++] = (struct share){ i, best, 0 };
		}
		if (d % li != 0 && __builtin_mul_overflow(d / money_gcd(d, li), li, &d))
			TOO_FINE_LINES(i);
	}

	/* (b) base points, (c) multipliers: each share's exact value over D */
	for (int s = 0; s < nsh; s++) {
		const struct earn_line *ln = &r->lines[sh[s].line];
		i128 next;

		if (sh[s].rule == EARN_BASE) {
			if (__builtin_mul_overflow((i128)ln->amount, (i128)eb->points, &cur) ||
			    __builtin_mul_overflow(cur, d / eb->per, &cur))
				OVER(s);
			sh[s].v = cur;
			continue;
		}
		/* D / per is a multiple of the line's denominators: cur is one
		 * of this one's, and the division first is exact */
		if (__builtin_mul_overflow(cur / p->rules[sh[s].rule].factor_den,
		    (i128)p->rules[sh[s].rule].factor_num, &next))
			OVER(s);
		sh[s].v = next - cur;
		cur = next;
	}

	/* (d) rounding: each share gets what it adds to the rounded running
	 * total, over the line or over the receipt */
	for (int s = 0; s < nsh; s++) {
		i128 now, got;

		if (eb->rounding != ROUND_DOWN_RECEIPT && (s == 0 || sh[s].line != sh[s - 1].line))
			run = prev = 0;
		if (__builtin_add_overflow(run, sh[s].v, &run))
			OVER(s);
		now = round_q(run, d, nearest);
		got = now - prev;
		prev = now;
		if (got > POINTS_MAX || got < -POINTS_MAX)
			goto out;
		part(res, sh[s].line, sh[s].rule, (int64_t)got);
	}
	for (int i = 0; i < r->n; i++)
		if (excl[i] >= 0)
			part(res, i, excl[i], 0);

	/* (e) bonuses */
	for (int k = 0; k < nr; k++) {
		const struct rule *ru = &p->rules[k];

		if (!on[k] || on[k] == SPENT || ru->effect != EFFECT_BONUS)
			continue;
		if (ru->match == MATCH_NONE) {
			part(res, -1, k, ru->points);
			continue;
		}
		for (int i = 0; i < r->n; i++) {
			const struct earn_line *ln = &r->lines[i];
			int64_t units = ln->qty, times;

			if (excl[i] >= 0 || ln->qty <= 0)
				continue;
			if ((mt = line_matches(ru, ln)) < 0)
				GAVE_UP(k, i);
			if (!mt)
				continue;
			if (ru->per_qty <= 0) {
				part(res, i, k, ru->points);
				break;	/* once per receipt */
			}
			for (int s = 0; s < ln->qscale; s++)
				units /= 10;
			times = units / ru->per_qty;
			if (times > 0) {
				if (times > POINTS_MAX / ru->points)
					goto out;
				part(res, i, k, times * ru->points);
			}
		}
	}

	/* (f) caps: each rule's per receipt, each rule's budget, then the
	 * programme's per receipt, per member per day and per month */
	for (int k = 0; k < nr; k++) {
		const struct rule *ru = &p->rules[k];
		int64_t s;

		if (!on[k] || (ru->cap_receipt < 0 && ru->budget < 0))
			continue;
		s = rule_sum(res, k);
		if (ru->cap_receipt >= 0 && s > ru->cap_receipt) {
			cut_rule(res, k, s - ru->cap_receipt);
			s = ru->cap_receipt;
		}
		if (ru->budget >= 0 && s > 0) {
			int64_t given = 0;

			if (st && st->given && st->given(st->ctx, ru->name, &given) < 0)
				goto fail;
			if (s > ru->budget - given)
				cut_rule(res, k, s - (ru->budget - given > 0 ? ru->budget - given : 0));
		}
	}
	if (eb->cap_receipt >= 0)
		cap_total(res, EARN_CAP_RECEIPT, eb->cap_receipt);
	for (int month = 0; month <= 1; month++) {
		int64_t cap = month ? eb->cap_member_month : eb->cap_member_day, used = 0;
		char from[40], to[40];

		if (cap < 0 || !m || !st || !st->member_points)
			continue;
		span(r->occurred, month, from, to);
		if (st->member_points(st->ctx, m->id, from, to, &used) < 0)
			goto fail;
		cap_total(res, month ? EARN_CAP_MONTH : EARN_CAP_DAY, cap - used);
	}
	if (total(res) < 0)	/* a receipt earns, it never takes */
		part(res, -1, EARN_FLOOR, -total(res));
	res->points = total(res);
	if (res->points > POINTS_MAX || res->points < -POINTS_MAX)
		goto out;
	sort_parts(res);
	rc = 0;
	goto out;
fail:
	rc = -1;
out:
	if (rc)
		earn_result_free(res);
	if (rc == 2) {
		res->gave_up_rule = gu_rule;
		res->gave_up_line = gu_line;
		res->gave_up_fraction = gu_frac;
	}
	free(sh);
	free(on);
	free(excl);
	(void)prev;
	return rc;
}

/* ------------------------------------------------------------ JSON */

static inline void
bputs(struct buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

static void
bint(struct buf *b, int64_t v)
{
	char t[24], *e = t + sizeof(t), *q = e;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do
		*--q = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--q = '-';
	bput(b, q, (size_t)(e - q));
}

static void
bstr(struct buf *b, const char *s)
{
	bput(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\') {
			char t[2] = { '\\', (char)c };

			bput(b, t, 2);
		} else if (c < 0x20) {
			char t[8];

			bput(b, t, (size_t)snprintf(t, sizeof(t), "\\u%04x", c));
		} else {
			const char *q = p;

			/* a run of characters that need no escape */
			while ((unsigned char)*q >= 0x20 && *q != '"' && *q != '\\')
				q++;
			bput(b, p, (size_t)(q - p));
			p = q - 1;
		}
	}
	bput(b, "\"", 1);
}

/* qty as decimal text: 15, 2.5 */
static void
bqty(struct buf *b, int64_t qty, int scale)
{
	char t[24], *q = t + sizeof(t);
	uint64_t u = qty < 0 ? (uint64_t)0 - (uint64_t)qty : (uint64_t)qty;
	int n;

	do
		*--q = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	n = (int)(t + sizeof(t) - q);
	memmove(t, q, (size_t)n);
	if (qty < 0)
		bput(b, "-", 1);
	if (scale <= 0) {
		bput(b, t, (size_t)n);
		return;
	}
	if (n <= scale) {
		bput(b, "0.", 2);
		for (int i = n; i < scale; i++)
			bput(b, "0", 1);
		bput(b, t, (size_t)n);
		return;
	}
	bput(b, t, (size_t)(n - scale));
	bput(b, ".", 1);
	bput(b, t + n - scale, (size_t)scale);
}

char *
earn_json(const struct programme *p, const struct earn_receipt *r,
    const struct earn_member *m, const struct earn_result *res, int decimals)
{
	struct buf b = { 0 };
	int j = 0, any;

	(void)decimals;
	/* room for a typical receipt's record at once */
	b.cap = 64 + 64 * (size_t)r->n;
	b.s = loy_xmalloc(b.cap);
	bputs(&b, "{\"version\":");
	bint(&b, p->version);
	if (m && m->first)
		bputs(&b, ",\"first\":1");
	bputs(&b, ",\"lines\":[");
	for (int i = 0; i < r->n; i++) {
		const struct earn_line *ln = &r->lines[i];
		int64_t pts = 0;

		if (i)
			bput(&b, ",", 1);
		/* [line, sku, category, description, qty, amount, points, {rule: points}] */
		bput(&b, "[", 1);
		bint(&b, ln->line);
		bput(&b, ",", 1);
		bstr(&b, ln->sku ? ln->sku : "");
		bput(&b, ",", 1);
		bstr(&b, ln->category ? ln->category : "");
		bput(&b, ",", 1);
		bstr(&b, ln->description ? ln->description : "");
		bput(&b, ",", 1);
		bqty(&b, ln->qty, ln->qscale);
		bput(&b, ",", 1);
		bint(&b, ln->amount);
		bput(&b, ",", 1);
		/* the parts of one line are together, in order */
		while (j < res->n && res->parts[j].line < i)
			j++;
		for (int k = j; k < res->n && res->parts[k].line == i; k++)
			pts += res->parts[k].points;
		bint(&b, pts);
		any = 0;
		bputs(&b, ",{");
		for (int k = j; k < res->n && res->parts[k].line == i; k++) {
			const struct earn_part *pt = &res->parts[k];

			/* a share of nothing is left out, but for an exclusion */
			if (pt->points == 0 && (pt->rule < 0 ||
			    p->rules[pt->rule].effect != EFFECT_EXCLUDE))
				continue;
			if (any++)
				bput(&b, ",", 1);
			bstr(&b, earn_rule_name(p, pt->rule));
			bput(&b, ":", 1);
			bint(&b, pt->points);
		}
		bputs(&b, "}]");
	}
	bputs(&b, "],\"receipt\":{");
	any = 0;
	for (int k = 0; k < res->n && res->parts[k].line == -1; k++) {
		if (any++)
			bput(&b, ",", 1);
		bstr(&b, earn_rule_name(p, res->parts[k].rule));
		bput(&b, ":", 1);
		bint(&b, res->parts[k].points);
	}
	bputs(&b, "},\"points\":");
	bint(&b, res->points);
	if (res->returned) {
		bputs(&b, ",\"returned\":");
		bint(&b, res->returned);
	}
	bput(&b, "}", 1);
	return b.s;
}

/* ------------------------------------------------------------ the ledger */

static int
st_uses(void *ctx, const char *rule, const char *member, const char *key, int64_t *n)
{
	return ledger_earn_uses(ctx, rule, member, key, n);
}

static int
st_member_points(void *ctx, const char *member, const char *from, const char *to,
    int64_t *points)
{
	return ledger_earn_member_points(ctx, member, from, to, points);
}

static int
st_given(void *ctx, const char *rule, int64_t *points)
{
	return ledger_earn_given(ctx, rule, points);
}

void
earn_ledger_state(struct ledger *l, struct earn_state *st)
{
	st->ctx = l;
	st->uses = st_uses;
	st->member_points = st_member_points;
	st->given = st_given;
}

static int
again_uses(void *ctx, const char *rule, const char *member, const char *key, int64_t *n)
{
	struct earn_again *g = ctx;
	int own;

	if (ledger_earn_uses(g->l, rule, member, key, n) < 0 ||
	    (own = ledger_earn_awarded(g->l, rule, member, g->txn)) < 0)
		return -1;
	*n -= own;
	return 0;
}

static int
again_member_points(void *ctx, const char *member, const char *from, const char *to,
    int64_t *points)
{
	struct earn_again *g = ctx;
	int64_t own;

	if (ledger_earn_member_points(g->l, member, from, to, points) < 0 ||
	    ledger_earn_own_points(g->l, member, g->txn, from, to, &own) < 0)
		return -1;
	*points -= own;
	return 0;
}

static int
again_given(void *ctx, const char *rule, int64_t *points)
{
	struct earn_again *g = ctx;
	int64_t own;

	if (ledger_earn_given(g->l, rule, points) < 0 ||
	    ledger_earn_own_share(g->l, g->txn, rule, &own) < 0)
		return -1;
	*points -= own;
	return 0;
}

void
earn_again_state(struct earn_again *g, struct earn_state *st)
{
	st->ctx = g;
	st->uses = again_uses;
	st->member_points = again_member_points;
	st->given = again_given;
}

static int
record(struct ledger *l, const struct programme *p, const struct earn_receipt *r,
    const char *member, const struct earn_result *res, int64_t entry, int again)
{
	for (int k = 0; k < p->nrules; k++) {
		const struct rule *ru = &p->rules[k];
		int64_t s, own = 0;
		int used;

		if (ru->limit < 0 && ru->budget < 0)
			continue;
		if (!is_purchase(ru))
			continue;
		s = rule_sum(res, k);
		/* the whole again: its budget share replaces what it had */
		if (again && ru->budget >= 0 &&
		    ledger_earn_own_share(l, r->txn, ru->name, &own) < 0)
			return -1;
		/* a use does what the rule does to a sale: not a share of 0, nor
		 * one the other way (on a return line) */
		used = ru->limit >= 0 && earn_receipt_used(ru, k, r, res);
		if (s == 0 && own == 0 && !used)
			continue;
		if (used) {
			char key[16];

			earn_period_key(ru->limit_period, r->occurred, key);
			if (ledger_earn_award(l, ru->name, p->version, member, key, r->txn, 0,
			    entry, NULL) < 0)
				return -1;
		}
		if (ru->budget >= 0 && s != own && ledger_earn_given_add(l, ru->name, s - own) < 0)
			return -1;
	}
	return 0;
}

int
earn_record(struct ledger *l, const struct programme *p, const struct earn_receipt *r,
    const char *member, const struct earn_result *res, int64_t entry)
{
	return record(l, p, r, member, res, entry, 0);
}

int
earn_record_again(struct ledger *l, const struct programme *p, const struct earn_receipt *r,
    const char *member, const struct earn_result *res, int64_t entry)
{
	return record(l, p, r, member, res, entry, 1);
}

static void
award(struct earn_award **v, int *n, const struct rule *ru, const char *member,
    const char *period, const char *key, const char *fmt, const char *arg)
{
	struct earn_award *a;

	*v = loy_xrealloc(*v, (*n + 1) * sizeof(**v));
	a = &(*v)[(*n)++];
	memset(a, 0, sizeof(*a));
	a->rule = ru;
	a->member = member;
	a->points = ru->points;
	snprintf(a->period, sizeof(a->period), "%s", period);
	snprintf(a->key, sizeof(a->key), "%s", key);
	snprintf(a->reason, sizeof(a->reason), fmt, ru->name, arg);
}

void
earn_awards_free(struct earn_award *v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i].own);
	free(v);
}

int
earn_within_limit(struct ledger *l, const struct rule *ru, const char *member, const char *when,
    char period[16])
{
	int64_t used = 0;

	earn_period_key(ru->limit_period, when, period);
	if (ru->limit < 0)
		return 1;
	if ((ru->trigger == TRIGGER_REFERRAL ?
	    ledger_earn_uses_kept(l, ru->name, member, period, &used) :
	    ledger_earn_uses(l, ru->name, member, period, &used)) < 0)
		return -1;
	return used < ru->limit;
}

/* The key of a referral rule's bonus on a purchase to `member`, `base`
 * (its first) or `base #N` (N-1 given before, all taken back): 1, or 0
 * when the member holds one already (of a first purchase, given on a
 * purchase that stands, or before bonuses were taken back), -1 error. */
static int
purchase_key(struct ledger *l, const struct rule *ru, const char *member, const char *base,
    char key[static 96])
{
	int awards, held;

	if (ledger_earn_held_key(l, ru->name, member, base, &awards, &held) < 0)
		return -1;
	if (held)
		return 0;
	if (awards == 0)
		snprintf(key, 96, "%s", base);
	else
		snprintf(key, 96, "%s #%d", base, awards + 1);
	return 1;
}

/* Rule ru's bonus to one side of a referral, `member`, for receipt r: its
 * key `base` (of a purchase: purchase_key), within the rule's limit, the
 * reason `fmt` with `arg`.  0 or -1. */
static int
referral_side(struct ledger *l, const struct rule *ru, enum referral_on on,
    const struct earn_receipt *r, const char *member, const char *base,
    const char *fmt, const char *arg, struct earn_award **v, int *n)
{
	char period[16], key[96];
	int ok;

	snprintf(key, sizeof(key), "%s", base);
	ok = on == REFERRAL_ON_SIGNUP ? 1 : purchase_key(l, ru, member, base, key);
	if (ok > 0)
		ok = earn_within_limit(l, ru, member, r->occurred, period);
	if (ok <= 0)
		return ok;
	award(v, n, ru, member, period, key, fmt, arg);
	if (on != REFERRAL_ON_SIGNUP)
		(*v)[*n - 1].txn = r->txn;
	return 0;
}

/* The referral rules of trigger `on` for member m (referred by `referrer`). */
static int
referrals(struct ledger *l, const struct programme *p, enum referral_on on,
    const struct earn_receipt *r, const struct earn_member *m, const char *referrer,
    struct earn_award **v, int *n)
{
	char base[96];
	int whole = -1;

	if (!referrer)
		return 0;
	for (int k = 0; k < p->nrules; k++) {
		const struct rule *ru = &p->rules[k];

		if (ru->trigger != TRIGGER_REFERRAL || ru->referral_on != on ||
		    ru->effect != EFFECT_BONUS || !earn_rule_applies(ru, r, m))
			continue;
		/* a purchase that returns left nothing of (taken before it
		 * came) gives none: a return of all of it takes them back */
		if (on != REFERRAL_ON_SIGNUP && whole < 0 &&
		    (whole = ledger_receipt_returned_whole(l, r->txn)) < 0)
			return -1;
		if (whole > 0)
			return 0;
		if (ru->referral_to != REFERRAL_REFEREE) {
			if (on == REFERRAL_ON_EVERY_PURCHASE)
				snprintf(base, sizeof(base), "receipt %s", r->txn);
			else
				snprintf(base, sizeof(base), "referee %s", m->id);
			if (referral_side(l, ru, on, r, referrer, base,
			    "rule %s: referred member %s", m->id, v, n) < 0)
				return -1;
		}
		if (ru->referral_to != REFERRAL_REFERRER) {
			if (on == REFERRAL_ON_EVERY_PURCHASE)
				snprintf(base, sizeof(base), "receipt %s", r->txn);
			else
				snprintf(base, sizeof(base), "referred by %s", referrer);
			if (referral_side(l, ru, on, r, m->id, base, "rule %s: referred by %s",
			    referrer, v, n) < 0)
				return -1;
		}
	}
	return 0;
}

/* Which way a settlement of a cumulative rule's period may go: a period
 * that grew may earn its bonus, one that shrank may give it back. */
enum { SETTLE_UP = 1, SETTLE_DOWN = 2 };

/* Member m's progress towards cumulative rule ru in `period` is now
 * `visits` and `spend`: its bonus when it has reached the mark and holds
 * none (each time it reaches it again, a key of its own), or, when it fell
 * below, every bonus it holds taken back: the person's, so also that of a
 * record merged into it, and both when each record had one before their
 * merge; into *v. */
static int
settle_mark(struct ledger *l, const struct rule *ru, const char *member, const char *period,
    int64_t visits, int64_t spend, int how, struct earn_award **v, int *n)
{
	int reached = (ru->visits < 0 || visits >= ru->visits) &&
	    (ru->spend < 0 || spend >= ru->spend);
	struct earn_held h;
	char key[96], why[80], a[32], b[32];

	if (!(how & (reached ? SETTLE_UP : SETTLE_DOWN)))
		return 0;	/* nothing to give, or nothing to take back */
	if (ledger_earn_held(l, ru->name, member, period, &h) < 0)
		return -1;
	if (reached && h.n == 0 && (how & SETTLE_UP)) {
		if (h.awards == 0)
			snprintf(key, sizeof(key), "%s", period);
		else
			snprintf(key, sizeof(key), "%s #%d", period, h.awards + 1);
		award(v, n, ru, member, period, key, h.awards ? "rule %s: period %s, reached again" :
		    "rule %s: period %s", period);
	} else if (!reached && h.n > 0 && (how & SETTLE_DOWN)) {
		if (ru->spend >= 0 && spend < ru->spend) {
			int d = ledger_decimals(l);

			snprintf(why, sizeof(why), "the spend is %s, below %s", money_format(spend, d, a),
			    money_format(ru->spend, d, b));
		} else
			snprintf(why, sizeof(why), "%lld visit%s, below %lld", (long long)visits,
			    visits == 1 ? "" : "s", (long long)ru->visits);
		for (int i = 0; i < h.n; i++) {
			struct earn_award *x;

			award(v, n, ru, member, period, h.v[i].back_key,
			    "rule %s: period %s taken back", period);
			x = &(*v)[*n - 1];
			x->points = -h.v[i].points;
			x->reverses = h.v[i].entry;
			x->version = h.v[i].version;
			snprintf(x->reason, sizeof(x->reason), "rule %s: period %s taken back: %s",
			    ru->name, period, why);
		}
	}
	earn_held_free(&h);
	return 0;
}

/* Move member m's progress towards the cumulative rules of p that receipt r
 * counts towards, in the period of its time, by visits and spend; then
 * settle each (settle_mark, `how`; none when v is NULL). */
static int
progress_move(struct ledger *l, const struct programme *p, const struct earn_receipt *r,
    const struct earn_member *m, int64_t visits, int64_t spend, int how,
    struct earn_award **v, int *n)
{
	for (int k = 0; k < p->nrules; k++) {
		const struct rule *ru = &p->rules[k];
		int64_t vs, sp;
		char period[16];

		if (ru->trigger != TRIGGER_CUMULATIVE || ru->effect != EFFECT_BONUS ||
		    !earn_rule_applies(ru, r, m))
			continue;
		earn_period_key(ru->period, r->occurred, period);
		if (ledger_earn_progress(l, ru->name, m->id, period, visits, spend, &vs, &sp) < 0)
			return -1;
		if (v && settle_mark(l, ru, m->id, period, vs, sp, how, v, n) < 0)
			return -1;
	}
	return 0;
}

int
earn_progress_less(struct ledger *l, const struct programme *p, const struct earn_receipt *r,
    const struct earn_member *m, int64_t visits, int64_t spend, struct earn_award **v, int *n)
{
	int how = (visits > 0 || spend > 0 ? SETTLE_DOWN : 0) |
	    (visits < 0 || spend < 0 ? SETTLE_UP : 0);

	return progress_move(l, p, r, m, -visits, -spend, how, v, n);
}

/* Has p a cumulative rule of this name? */
static int
has_rule(const struct programme *p, const char *name)
{
	for (int k = 0; k < p->nrules; k++)
		if (p->rules[k].trigger == TRIGGER_CUMULATIVE && strcmp(p->rules[k].name, name) == 0)
			return 1;
	return 0;
}

static int
purchase_awards(struct ledger *l, const struct programme *pwas, const struct earn_receipt *was,
    const struct programme *p, const struct earn_receipt *r, const struct earn_member *m,
    const char *referrer, int settle, struct earn_award **v, int *n)
{
	*v = NULL;
	*n = 0;
	if (m->referral_first &&
	    referrals(l, p, REFERRAL_ON_FIRST_PURCHASE, r, m, referrer, v, n) < 0)
		return -1;
	if (referrals(l, p, REFERRAL_ON_EVERY_PURCHASE, r, m, referrer, v, n) < 0)
		return -1;
	if (!was)
		return progress_move(l, p, r, m, 1, r->amount, SETTLE_UP, settle ? v : NULL, n);
	/* what the receipt counted as it was, then as it is: each period
	 * settled once both are counted, either way */
	if (progress_move(l, pwas, was, m, -1, -was->amount, 0, NULL, NULL) < 0 ||
	    progress_move(l, p, r, m, 1, r->amount, SETTLE_UP | SETTLE_DOWN, settle ? v : NULL,
	    n) < 0)
		return -1;
	if (!settle)
		return 0;
	for (int k = 0; k < pwas->nrules; k++) {
		const struct rule *ru = &pwas->rules[k];
		int64_t vs, sp;
		char period[16];

		if (ru->trigger != TRIGGER_CUMULATIVE || ru->effect != EFFECT_BONUS ||
		    !earn_rule_applies(ru, was, m) || has_rule(p, ru->name))
			continue;
		earn_period_key(ru->period, was->occurred, period);
		if (ledger_earn_progress(l, ru->name, m->id, period, 0, 0, &vs, &sp) < 0 ||
		    settle_mark(l, ru, m->id, period, vs, sp, SETTLE_DOWN, v, n) < 0)
			return -1;
	}
	return 0;
}

int
earn_purchase_awards(struct ledger *l, const struct programme *p, const struct earn_receipt *r,
    const struct earn_member *m, const char *referrer, int settle, struct earn_award **v,
    int *n)
{
	return purchase_awards(l, NULL, NULL, p, r, m, referrer, settle, v, n);
}

int
earn_purchase_awards_again(struct ledger *l, const struct programme *pwas,
    const struct earn_receipt *was, const struct programme *p, const struct earn_receipt *r,
    const struct earn_member *m, const char *referrer, int settle, struct earn_award **v,
    int *n)
{
	return purchase_awards(l, pwas, was, p, r, m, referrer, settle, v, n);
}

int
earn_progress_settle(struct ledger *l, const struct programme *p, const struct earn_receipt *r,
    const struct earn_member *m, int down, struct earn_award **v, int *n)
{
	return progress_move(l, p, r, m, 0, 0, down ? SETTLE_DOWN : SETTLE_UP, v, n);
}

/* The referral rule `name` of version `version` (else of the latest version
 * that has it), NULL when none. */
static const struct rule *
referral_rule(const struct earn *e, int version, const char *name)
{
	const struct rule *found = NULL;

	for (int i = 0; i < e->n; i++)
		for (int k = 0; k < e->v[i].nrules; k++) {
			const struct rule *ru = &e->v[i].rules[k];

			if (ru->trigger != TRIGGER_REFERRAL || strcmp(ru->name, name) != 0)
				continue;
			if (e->v[i].version == version)
				return ru;
			found = ru;
		}
	return found;
}

/* earn_referral_back() of purchase txn alone; its uses of limited rules
 * too unless keep_uses. */
static int
referral_back_one(const struct earn *e, struct ledger *l, const char *txn, int keep_uses,
    struct earn_award **v, int *n)
{
	struct earn_on *on;
	int k, got, rc = -1;

	if ((got = ledger_receipt_returned_whole(l, txn)) <= 0)
		return got;
	if (!keep_uses && ledger_earn_uses_back(l, txn) < 0)
		return -1;
	if ((k = ledger_earn_on_receipt(l, txn, &on)) <= 0)
		return k;
	for (int i = 0; i < k; i++) {
		const struct rule *ru;
		struct earn_award *x;
		char back[96], named[96], *survivor = NULL;
		int closed = 0, taken = 0;
		int64_t balance;
		size_t ns;

		if (on[i].points <= 0 || !(ru = referral_rule(e, on[i].version, on[i].rule)))
			continue;
		/* taken back before: "K taken back", or by the member it was
		 * merged into, "K (X) taken back" */
		snprintf(back, sizeof(back), "%s taken back", on[i].key);
		snprintf(named, sizeof(named), "%s (%s) taken back", on[i].key, on[i].member);
		for (int j = 0; j < k && !taken; j++)
			taken = on[j].points <= 0 && (strcmp(on[j].key, back) == 0 ||
			    strcmp(on[j].key, named) == 0);
		if (taken)
			continue;
		if ((got = ledger_member_state(l, on[i].member, &survivor, &closed,
		    &balance)) < 0)
			goto out;
		if (!got || closed) {
			free(survivor);
			continue;	/* a closed member gives nothing back */
		}
		*v = loy_xrealloc(*v, (*n + 1) * sizeof(**v));
		x = &(*v)[(*n)++];
		memset(x, 0, sizeof(*x));
		ns = strlen(survivor) + 1;
		x->own = loy_xmalloc(ns + strlen(txn) + 1);
		memcpy(x->own, survivor, ns);
		strcpy(x->own + ns, txn);
		x->member = x->own;
		x->txn = x->own + ns;
		x->rule = ru;
		x->points = -on[i].points;
		x->reverses = on[i].entry;
		x->version = on[i].version;
		snprintf(x->period, sizeof(x->period), "%s", on[i].period);
		snprintf(x->key, sizeof(x->key), "%s", strcmp(survivor, on[i].member) == 0 ?
		    back : named);
		if (on[i].reason)
			snprintf(x->reason, sizeof(x->reason), "%s taken back: receipt %s returned "
			    "in full", on[i].reason, txn);
		else
			snprintf(x->reason, sizeof(x->reason), "rule %s taken back: receipt %s "
			    "returned in full", ru->name, txn);
		free(survivor);
	}
	rc = 0;
out:
	earn_on_free(on, k);
	return rc;
}

int
earn_referral_back(const struct earn *e, struct ledger *l, const char *txn, int keep_uses,
    struct earn_award **v, int *n)
{
	char *t = loy_xstrdup(txn);
	int rc = 0;

	/* up the exchanges: each traded some of the one it names */
	for (int depth = 0; t && depth < 1000; depth++) {
		struct receipt_row r = { 0 };
		int got;

		if ((rc = referral_back_one(e, l, t, keep_uses && depth == 0, v, n)) < 0 ||
		    (got = ledger_receipt_get(l, t, &r)) < 0) {
			rc = -1;
			break;
		}
		free(t);
		t = got && r.orig_txn && r.amount >= 0 ? loy_xstrdup(r.orig_txn) : NULL;
		receipt_row_clear(&r);
	}
	free(t);
	return rc;
}

int64_t
earn_uncredit(struct ledger *l, const struct earn_award *aw, const char *at, int64_t take)
{
	int64_t entry = 0;

	if (take > 0 && ((entry = ledger_journal_reverse(l, aw->reverses, aw->member, "bonus",
	    -take, at, "rule", aw->rule->name, aw->reason)) < 0 ||
	    ledger_lots_take(l, aw->member, take, entry, aw->reverses, at) < 0))
		return -1;
	if (ledger_earn_award(l, aw->rule->name, aw->version, aw->member, aw->period, aw->key,
	    -take, entry, aw->txn) < 0)
		return -1;
	return entry;
}

int64_t
earn_credit(struct ledger *l, const struct programme *p, const struct earn_award *aw,
    const char *at, const char *available_at, int64_t balance, int64_t *points)
{
	char expires[20];
	int64_t entry;
	int got;

	*points = 0;
	if ((got = ledger_earn_awarded(l, aw->rule->name, aw->member, aw->key)) != 0)
		return got < 0 ? -1 : 0;
	if ((entry = ledger_journal_add(l, aw->member, "bonus", aw->points, at, "rule",
	    aw->rule->name, aw->reason)) < 0 ||
	    expire_pending_lot_date(l, aw->member, at, available_at, expires) < 0 ||
	    ledger_lot_add(l, aw->member, entry, at, *expires ? expires : NULL, available_at,
	    aw->points, balance) < 0 ||
	    ledger_earn_award(l, aw->rule->name, p->version, aw->member, aw->period, aw->key,
	    aw->points, entry, aw->txn) < 0)
		return -1;
	*points = aw->points;
	return entry;
}

/* Sign-up: the versions are read once per run, and again when the ledger
 * reads them again (a run taken again after another writer loaded one). */
static struct {
	struct ledger *l;
	unsigned long gen;	/* ledger_versions_gen as they were read */
	struct earn *e;
	int none;		/* no version has a sign-up or referral rule */
} signup_cache;

static void
signup_cache_free(void)
{
	earn_free(signup_cache.e);
	signup_cache.e = NULL;
}

/* Has any version a sign-up or referral rule? */
static int
signup_any(const struct programme *pv, int np)
{
	for (int i = 0; i < np; i++)
		for (int k = 0; k < pv[i].nrules; k++)
			if (pv[i].rules[k].trigger == TRIGGER_SIGNUP ||
			    pv[i].rules[k].trigger == TRIGGER_REFERRAL)
				return 1;
	return 0;
}

int
earn_signup_rules(struct ledger *l)
{
	struct programme *pv;
	int np, any;

	if (programme_versions(l, &pv, &np) < 0)
		return -1;
	any = signup_any(pv, np);
	programme_versions_free(pv, np);
	return any;
}

int
earn_signup(struct ledger *l, const char *member, const char *referrer, const char *at,
    const char *store, const char *channel, int64_t *points)
{
	struct earn_award *v = NULL;
	struct earn_receipt r = { .txn = "", .occurred = at, .store = store, .channel = channel };
	struct earn_member m = { .id = member };
	const struct programme *p;
	int n = 0, rc = -1;
	char period[16], key[96], when[20], *survivor = NULL;
	int64_t mine = 0, rbalance;
	int closed = 0;

	if (!points)
		points = &mine;
	*points = 0;
	/* a date alone: its first second */
	snprintf(when, sizeof(when), "%.10s 00:00:00", at);
	if (strlen(at) >= 19)
		snprintf(when, sizeof(when), "%.19s", at);
	at = r.occurred = when;
	if (signup_cache.l != l || signup_cache.gen != ledger_versions_gen(l) ||
	    !signup_cache.e) {
		struct programme *pv;
		int np, any = 0;

		signup_cache_free();
		if (programme_versions(l, &pv, &np) < 0)
			return -1;
		any = signup_any(pv, np);
		if (!signup_cache.l)
			atexit(signup_cache_free);
		signup_cache.l = l;
		signup_cache.gen = ledger_versions_gen(l);
		signup_cache.e = earn_new(pv, np);
		signup_cache.none = !any;
	}
	if (signup_cache.none)
		return 0;
	p = earn_at(signup_cache.e, at);
	for (int k = 0; k < p->nrules; k++) {
		const struct rule *ru = &p->rules[k];
		int ok;

		if (ru->trigger != TRIGGER_SIGNUP || ru->effect != EFFECT_BONUS ||
		    !earn_rule_applies(ru, &r, &m))
			continue;
		if ((ok = earn_within_limit(l, ru, member, at, period)) < 0)
			goto out;
		snprintf(key, sizeof(key), "signup");
		if (ok)
			award(&v, &n, ru, member, period, key, "rule %s: sign-up%s", "");
	}
	/* a referrer merged since stands for its survivor (never the member
	 * itself); a closed one is given nothing, as on a purchase */
	if (referrer && ledger_member_state(l, referrer, &survivor, &closed, &rbalance) < 0)
		goto out;
	if (survivor && strcmp(survivor, member) == 0) {
		free(survivor);
		survivor = NULL;
	}
	if (referrals(l, p, REFERRAL_ON_SIGNUP, &r, &m, survivor, &v, &n) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		int64_t balance, entry, got;

		if (closed && survivor && strcmp(v[i].member, survivor) == 0)
			continue;
		if (ledger_balance_get(l, v[i].member, &balance) < 0 ||
		    (entry = earn_credit(l, p, &v[i], at, NULL, balance, &got)) < 0)
			goto out;
		if (entry > 0 && ledger_balance_add(l, v[i].member, got, entry) < 0)
			goto out;
		if (strcmp(v[i].member, member) == 0)
			*points += got;
	}
	rc = 0;
out:
	free(v);
	free(survivor);
	return rc;
}

char *
earn_line_from_row(struct earn_line *ln, const char *line, const char *sku,
    const char *category, const char *description, const char *qty, const char *amount)
{
	size_t a = sku ? strlen(sku) : 0, b = category ? strlen(category) : 0;
	size_t c = description ? strlen(description) : 0;
	char *t = loy_xmalloc(a + b + c + 3);
	const char *why;

	memcpy(t, sku ? sku : "", a + 1);
	memcpy(t + a + 1, category ? category : "", b + 1);
	memcpy(t + a + b + 2, description ? description : "", c + 1);
	memset(ln, 0, sizeof(*ln));
	ln->sku = t;
	ln->category = t + a + 1;
	ln->description = t + a + b + 2;
	ln->line = line ? atol(line) : 0;
	if (!qty || decimal_parse(qty, &ln->qty, &ln->qscale, &why) < 0) {
		ln->qty = 1;
		ln->qscale = 0;
	}
	ln->amount = amount ? atoll(amount) : 0;
	return t;
}
