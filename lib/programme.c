/*
 * programme: the programme file (loy-programme(5)) parsed and checked.
 *
 * The file is read in two steps: first every line is split into section
 * headers and "key = value" pairs (syntax errors are found here), then the
 * [programme] section is read before the others, so that money anywhere in
 * the file is read with the currency's decimals.  Problems are collected
 * with their line numbers and printed in line order, all of them.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "ledger.h"
#include "money.h"
#include "pattern.h"
#include "programme.h"
#include "utf8.h"
#include "when.h"

const char programme_default[] =
    "# The loy programme: settings, earning rules, tiers and expiry.\n"
    "# See loy-programme(5); check a changed copy with `loy-program check FILE`\n"
    "# and load it with `loy-program load FILE`.\n"
    "\n"
    "[programme]\n"
    "programme = Loyalty Club\n"
    "currency = EUR\n"
    "decimals = 2\n"
    "timezone = UTC\n"
    "point_value = 0.01\n"
    "allow_negative = no\n"
    "identify_by = member_id,card,phone,email\n"
    "return_window_days = 0\n"
    "future_tolerance_hours = 24\n"
    "# May members give points to each other (loy-redeem --transfers)?\n"
    "transfers = no\n"
    "# loy-segment: the value classes, lapses and lifecycle (loy-segment(1))\n"
    "segment_months = 12\n"
    "value_spend = median\n"
    "value_visits = median\n"
    "value_tenure_months = 0\n"
    "lapse_k = 2\n"
    "lapse_min_purchases = 3\n"
    "lifecycle_new_days = 90\n"
    "lifecycle_active_days = 90\n"
    "lifecycle_lapsed_days = 180\n"
    "phone_pattern = ^\\+?[0-9][0-9 ()/.-]{4,22}[0-9]$\n"
    "# The country calling code of national phone numbers, or none (with 44,\n"
    "# 07700 900123 and 0044 7700 900123 are the phone +44 7700 900123)\n"
    "phone_country = none\n"
    "email_pattern = ^[^@\\s]+@[^@\\s]+\\.[^@\\s.]+$\n"
    "\n"
    "# The base rate: `points` points per `per` of the currency.\n"
    "[earn]\n"
    "points = 1\n"
    "per = 1\n"
    "rounding = down-receipt\n"
    "\n"
    "# How tiers are earned; a member's tier is the highest one whose\n"
    "# threshold they reach.\n"
    "[tiers]\n"
    "measure = spend\n"
    "window = rolling\n"
    "months = 12\n"
    "review = annual\n"
    "review_date = 01-01\n"
    "grace_days = 0\n"
    "soft_landing = no\n"
    "\n"
    "[tier Pearl]\n"
    "threshold = 0\n"
    "\n"
    "[tier Opal]\n"
    "threshold = 500\n"
    "\n"
    "[tier Ruby]\n"
    "threshold = 2000\n"
    "\n"
    "[tier Diamond]\n"
    "threshold = 5000\n"
    "\n"
    "# When points expire.\n"
    "[expiry]\n"
    "policy = months\n"
    "months = 24\n"
    "years = 1\n";

enum sec {
	SEC_NONE, SEC_BAD, SEC_PROGRAMME, SEC_EARN, SEC_RULE, SEC_EVENT, SEC_TIERS,
	SEC_TIER, SEC_EXPIRY, SEC_COUNT
};

static const char *const sec_names[SEC_COUNT] = {
	"", "", "programme", "earn", "rule", "event", "tiers", "tier", "expiry"
};

struct section {
	enum sec type;
	int line;
	int idx;		/* rule, event or tier index */
	char **keys;		/* keys seen, for duplicates */
	int *klines;
	int nkeys;
};

struct kv {
	int line;
	int sec;		/* index into sections */
	char *key, *val;
};

struct err {
	int line, seq;
	char *msg;
};

/* What a rule's keys said, for the checks made once the file is read. */
struct rule_aux {
	int neffects, effect_line;
	int nmatches, match_line;
	int to_line, tiers_line, event_line, stack_line, per_line, limit_line;
	int referral_line, cumulative_line, period_line;
	int stores_line, channels_line, min_amount_line, cap_line, budget_line;
	int factor_bad;			/* multiply's factor refused: not known */
	int bad;			/* a problem reported: left out of pair checks */
};

struct tier_aux {
	char *threshold;
	int line;
};

struct parser {
	const char *name;
	struct programme *p;
	struct err *errs;
	int nerrs;
	struct section *secs;
	int nsecs;
	struct kv *kvs;
	int nkvs;
	int single[SEC_COUNT];		/* line of [programme], [earn], ... */
	struct rule_aux *raux;
	struct tier_aux *taux;
	/* [programme] keys that other sections also set, and where */
	int l_earn_points, l_earn_amount, l_exp_months, l_exp_policy, l_exp_years, l_tiers;
	char *set_tiers;
	/* [earn] and [expiry] keys, where (0: not given) */
	int l_points, l_per, l_months, l_policy, l_years;
	/* a version the ledger already holds: checks added since it was
	 * loaded are not made of it again (see programme_parse_stored) */
	int stored;
};

static void __attribute__((format(printf, 3, 4)))
perr(struct parser *ps, int line, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ps->errs = loy_xrealloc(ps->errs, (ps->nerrs + 1) * sizeof(*ps->errs));
	ps->errs[ps->nerrs].line = line;
	ps->errs[ps->nerrs].seq = ps->nerrs;
	ps->errs[ps->nerrs].msg = loy_xstrdup(buf);
	ps->nerrs++;
}

static int
errcmp(const void *a, const void *b)
{
	const struct err *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* ---------------------------------------------------------------- values */

static int
yesno(struct parser *ps, const struct kv *kv, int *out)
{
	if (strcmp(kv->val, "yes") == 0)
		*out = 1;
	else if (strcmp(kv->val, "no") == 0)
		*out = 0;
	else {
		perr(ps, kv->line, "%s '%s' must be yes or no", kv->key, kv->val);
		return -1;
	}
	return 0;
}

/* A whole number in [lo, hi]. */
static int
whole(struct parser *ps, const struct kv *kv, int64_t lo, int64_t hi, int64_t *out)
{
	const char *s = kv->val;
	int64_t v = 0;

	if (*s == '+')
		s++;
	if (!*s || strspn(s, "0123456789") != strlen(s)) {
		perr(ps, kv->line, "%s '%s' is not a whole number", kv->key, kv->val);
		return -1;
	}
	for (; *s; s++) {
		if (v > (hi - (*s - '0')) / 10) {
			perr(ps, kv->line, "%s '%s' is more than %lld", kv->key, kv->val,
			    (long long)hi);
			return -1;
		}
		v = v * 10 + (*s - '0');
	}
	if (v < lo) {
		perr(ps, kv->line, "%s '%s' must be at least %lld", kv->key, kv->val,
		    (long long)lo);
		return -1;
	}
	*out = v;
	return 0;
}

static int
whole_int(struct parser *ps, const struct kv *kv, int lo, int hi, int *out)
{
	int64_t v;

	if (whole(ps, kv, lo, hi, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int
money(struct parser *ps, const struct kv *kv, int64_t *out)
{
	const char *why;

	if (money_parse(kv->val, ps->p->decimals, out, &why) < 0) {
		perr(ps, kv->line, "%s '%s' %s", kv->key, kv->val, why);
		return -1;
	}
	if (*out < 0) {
		perr(ps, kv->line, "%s '%s' is less than zero", kv->key, kv->val);
		return -1;
	}
	return 0;
}

/* A multiplier: decimal text to an exact fraction, more than zero. */
static int
factor(struct parser *ps, const struct kv *kv, int64_t *num, int64_t *den)
{
	int64_t mant, d = 1, g;
	int scale;
	const char *why;

	if (decimal_parse(kv->val, &mant, &scale, &why) < 0) {
		perr(ps, kv->line, "%s '%s' %s", kv->key, kv->val, why);
		return -1;
	}
	if (mant <= 0) {
		perr(ps, kv->line, "%s '%s' is not more than zero", kv->key, kv->val);
		return -1;
	}
	if (mant > 1000000000LL * 1000) {
		perr(ps, kv->line, "%s '%s' is too large", kv->key, kv->val);
		return -1;
	}
	while (scale-- > 0)
		d *= 10;
	g = (int64_t)money_gcd(mant, d);
	*num = mant / g;
	*den = d / g;
	return 0;
}

static int
period_word(const char *s, enum rule_period *out)
{
	static const char *const names[] = {
		"day", "week", "month", "quarter", "year", "ever", NULL
	};

	for (int i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum rule_period)(PERIOD_DAY + i);
			return 0;
		}
	return -1;
}

static int
period(struct parser *ps, int line, const char *key, const char *s, enum rule_period *out)
{
	if (period_word(s, out) == 0)
		return 0;
	perr(ps, line, "%s '%s' must be day, week, month, quarter, year or ever", key, s);
	return -1;
}

/* "N" or "N per PERIOD" (N at least 1; no period: ever). */
static int
limit(struct parser *ps, const struct kv *kv, int64_t *n, enum rule_period *per)
{
	char *copy = loy_xstrdup(kv->val), *sp = strchr(copy, ' ');
	struct kv num = *kv;
	int rc = 0;

	*per = PERIOD_EVER;
	if (sp) {
		char *rest;

		*sp = '\0';
		rest = trim(sp + 1);
		if (strncmp(rest, "per ", 4) != 0) {
			perr(ps, kv->line, "%s '%s' must read N or N per PERIOD", kv->key, kv->val);
			free(copy);
			return -1;
		}
		if ((rc = period_word(trim(rest + 4), per)) < 0)
			perr(ps, kv->line, "%s '%s': '%s' is not a period (day, week, month, "
			    "quarter, year or ever)", kv->key, kv->val, trim(rest + 4));
	}
	num.val = copy;
	if (rc == 0)
		rc = whole(ps, &num, 1, POINTS_MAX, n);
	free(copy);
	return rc;
}

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int
day_of(const char *s)
{
	for (int i = 0; i < 7; i++)
		if (strcasecmp(s, day_names[i]) == 0)
			return i;
	return -1;
}

/* A list of one-or-ranges, "a,b-c": one(ps, kv, from, to, out) for each,
 * `to` NULL for one alone, both trimmed; -1 when one of them is, when an
 * item is empty ("a,,b"), or when none sets a bit of *out (what: the
 * error's noun).  0 or -1. */
static int
ranges(struct parser *ps, const struct kv *kv, const char *what,
    int (*one)(struct parser *, const struct kv *, char *, char *, uint32_t *), uint32_t *out)
{
	char *copy = loy_xstrdup(kv->val), *rest = copy, *tok;
	int rc = 0;

	*out = 0;
	while (rc == 0 && (tok = strsep(&rest, ",")) != NULL) {
		char *dash = strchr(tok = trim(tok), '-');

		if (!*tok) {
			/* a version stored before this was refused reads as it did */
			if (ps->stored)
				continue;
			perr(ps, kv->line, "%s '%s' names an empty %s", kv->key, kv->val, what);
			rc = -1;
			break;
		}
		if (dash)
			*dash = '\0';
		rc = one(ps, kv, trim(tok), dash ? trim(dash + 1) : NULL, out);
	}
	if (rc == 0 && *out == 0) {
		perr(ps, kv->line, "%s '%s' names no %s", kv->key, kv->val, what);
		rc = -1;
	}
	free(copy);
	return rc;
}

/* "sat,sun", "mon-fri": bit d for weekday d, Monday 0. */
static int
day_range(struct parser *ps, const struct kv *kv, char *from, char *to, uint32_t *out)
{
	int a = day_of(from), b = to ? day_of(to) : a;

	if (a < 0 || b < 0) {
		perr(ps, kv->line, "days '%s': '%s' is not a day (mon, tue, wed, thu, "
		    "fri, sat, sun)", kv->val, a < 0 ? from : to);
		return -1;
	}
	if (b < a) {
		perr(ps, kv->line, "days '%s': %s-%s ends before it starts (the week "
		    "runs mon to sun)", kv->val, day_names[a], day_names[b]);
		return -1;
	}
	for (int d = a; d <= b; d++)
		*out |= (uint32_t)1 << d;
	return 0;
}

static int
days(struct parser *ps, const struct kv *kv, unsigned *out)
{
	uint32_t bits;
	int rc = ranges(ps, kv, "day", day_range, &bits);

	*out = bits;
	return rc;
}

static int
hour_of(const char *s, int max)
{
	if (!*s || strlen(s) > 2 || strspn(s, "0123456789") != strlen(s) || atoi(s) > max)
		return -1;
	return atoi(s);
}

/* "18-22" (18:00 to 21:59), "9", lists of both: bit h for hour h. */
static int
hour_range(struct parser *ps, const struct kv *kv, char *from, char *to, uint32_t *out)
{
	int a = hour_of(from, 23), b = to ? hour_of(to, 24) : a + 1;

	if (a < 0) {
		perr(ps, kv->line, "hours '%s': '%s' is not an hour (0 to 23)", kv->val, from);
		return -1;
	}
	if (b < 0) {
		perr(ps, kv->line, "hours '%s': '%s' is not an hour (1 to 24)", kv->val, to);
		return -1;
	}
	if (b == a) {
		perr(ps, kv->line, "hours '%s': %d-%d is no hour (%d-%d is the hour from "
		    "%d:00)", kv->val, a, b, a, a + 1, a);
		return -1;
	}
	if (b < a) {
		perr(ps, kv->line, "hours '%s': %d-%d ends before it starts (across "
		    "midnight write %d-24,0-%d)", kv->val, a, b, a, b);
		return -1;
	}
	for (int h = a; h < b; h++)
		*out |= (uint32_t)1 << h;
	return 0;
}

static int
hours(struct parser *ps, const struct kv *kv, uint32_t *out)
{
	return ranges(ps, kv, "hour", hour_range, out);
}

/* A date or datetime; a date alone is its first second (its last for `to`). */
static int
date(struct parser *ps, const struct kv *kv, int end, char **out)
{
	char buf[20];
	const char *why;

	if (when_parse(kv->val, NULL, WHEN_DATETIME, buf, &why) < 0) {
		perr(ps, kv->line, "%s '%s' is not an ISO 8601 date or datetime", kv->key,
		    kv->val);
		return -1;
	}
	if (strlen(kv->val) == 10 && end)
		strcpy(buf + 11, "23:59:59");
	free(*out);
	*out = loy_xstrdup(buf);
	return 0;
}

static void
namelist_free(struct namelist *nl)
{
	for (int i = 0; i < nl->n; i++)
		free(nl->v[i]);
	free(nl->v);
	nl->v = NULL;
	nl->n = 0;
}

static int
names(struct parser *ps, const struct kv *kv, struct namelist *nl)
{
	char *copy = loy_xstrdup(kv->val), *tok, *save = NULL;
	int rc = 0;

	namelist_free(nl);
	/* no name is empty: a comma at either end, or two with nothing
	 * between (a version stored before this was refused is read as it
	 * was, without them) */
	for (const char *n = kv->val; !ps->stored; n++) {
		n += strspn(n, " \t");
		if (*n == ',' || !*n) {
			perr(ps, kv->line, "%s '%s' names an empty %.*s", kv->key, kv->val,
			    (int)strlen(kv->key) - 1, kv->key);
			free(copy);
			return -1;
		}
		n += strcspn(n, ",");
		if (!*n)
			break;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = trim(tok);
		if (!*tok)
			continue;
		for (int i = 0; i < nl->n; i++)
			if (strcmp(nl->v[i], tok) == 0) {
				perr(ps, kv->line, "%s '%s' names '%s' twice", kv->key, kv->val, tok);
				rc = -1;
			}
		nl->v = loy_xrealloc(nl->v, (nl->n + 1) * sizeof(char *));
		nl->v[nl->n++] = loy_xstrdup(tok);
	}
	free(copy);
	if (nl->n == 0) {
		perr(ps, kv->line, "%s '%s' names nothing", kv->key, kv->val);
		rc = -1;
	}
	return rc;
}

/* One of the words in `words` (NULL-terminated): its index. */
static int
word(struct parser *ps, const struct kv *kv, const char *const *words, int *out)
{
	char list[256] = "";

	for (int i = 0; words[i]; i++)
		if (strcmp(kv->val, words[i]) == 0) {
			*out = i;
			return 0;
		}
	for (int i = 0; words[i]; i++) {
		if (i)
			strcat(list, words[i + 1] ? ", " : " or ");
		strcat(list, words[i]);
	}
	perr(ps, kv->line, "%s '%s' must be %s", kv->key, kv->val, list);
	return -1;
}

/* ---------------------------------------------------------------- sections */

static const char *const expiry_words[] = { "never", "months", "year-end", "rolling", NULL };

static int
is_default_key(const char *key)
{
	for (const struct ledger_setting *s = ledger_defaults; s->key; s++)
		if (strcmp(s->key, key) == 0)
			return 1;
	return 0;
}

static void
add_setting(struct programme *p, const char *key, const char *value)
{
	p->setting_key = loy_xrealloc(p->setting_key, (p->nsettings + 1) * sizeof(char *));
	p->setting_value = loy_xrealloc(p->setting_value, (p->nsettings + 1) * sizeof(char *));
	p->setting_key[p->nsettings] = loy_xstrdup(key);
	p->setting_value[p->nsettings] = loy_xstrdup(value);
	p->nsettings++;
}

static void
programme_key(struct parser *ps, const struct kv *kv)
{
	struct programme *p = ps->p;
	char why[512];
	int64_t v;
	int w;

	if (strcmp(kv->key, "expiry_policy") == 0) {
		if (word(ps, kv, expiry_words, &w) < 0)
			return;
		p->expiry.policy = (enum expiry_policy)w;
		ps->l_exp_policy = kv->line;
	} else if (strcmp(kv->key, "expiry_years") == 0) {
		if (whole(ps, kv, 0, 100, &v) < 0)
			return;
		p->expiry.years = (int)v;
		ps->l_exp_years = kv->line;
	} else if (!is_default_key(kv->key)) {
		perr(ps, kv->line, "unknown setting '%s' in [programme] (loy-init --settings "
		    "lists them)", kv->key);
		return;
	}
	if (is_default_key(kv->key) && (ps->stored ?
	    ledger_setting_stored_valid(kv->key, kv->val, why, sizeof(why)) :
	    ledger_setting_valid(kv->key, kv->val, why, sizeof(why))) < 0) {
		perr(ps, kv->line, "%s", why);
		return;
	}
	if (strcmp(kv->key, "earn_points") == 0) {
		p->earn.points = strtoll(kv->val, NULL, 10);
		ps->l_earn_points = kv->line;
	} else if (strcmp(kv->key, "earn_amount") == 0) {
		if (money(ps, kv, &v) < 0)
			return;
		if (v <= 0) {
			perr(ps, kv->line, "earn_amount '%s' is less than the currency's "
			    "smallest unit", kv->val);
			return;
		}
		p->earn.per = v;
		ps->l_earn_amount = kv->line;
	} else if (strcmp(kv->key, "expiry_months") == 0) {
		p->expiry.months = atoi(kv->val);
		/* 0 is never under the months policy alone, whichever line comes
		 * first (check_expiry) */
		ps->l_exp_months = kv->line;
	} else if (strcmp(kv->key, "value_spend") == 0 && strcmp(kv->val, "median") != 0 &&
	    !ps->stored) {
		/* money, as loy-segment reads it: in the currency's decimals */
		if (money(ps, kv, &v) < 0)
			return;
	} else if (strcmp(kv->key, "tiers") == 0) {
		/* kept in the settings as written: an empty name would be a tier
		 * (a version stored before this was refused is read as it was) */
		for (const char *n = kv->val; !ps->stored; n++) {
			n += strspn(n, " \t");
			if (*n == ',' || !*n) {
				perr(ps, kv->line, "tiers '%s' names an empty tier", kv->val);
				return;
			}
			n += strcspn(n, ",");
			if (!*n)
				break;
		}
		ps->set_tiers = kv->val;
		ps->l_tiers = kv->line;
	}
	add_setting(p, kv->key, kv->val);
}

/* A [programme] key set again by another section must agree with it. */
static void
agree(struct parser *ps, const struct kv *kv, int setline, const char *setting,
    int same)
{
	if (setline && !same)
		perr(ps, kv->line, "%s '%s' contradicts %s '%s' in [programme] (line %d)",
		    kv->key, kv->val, setting, programme_setting(ps->p, setting), setline);
}

static void
earn_key(struct parser *ps, const struct kv *kv)
{
	static const char *const rounding[] = { "down-line", "down-receipt", "nearest", NULL };
	struct earn_base *e = &ps->p->earn;
	int64_t v;
	int w;

	if (strcmp(kv->key, "points") == 0) {
		if (whole(ps, kv, 0, LEDGER_EARN_POINTS_MAX, &v) == 0) {
			agree(ps, kv, ps->l_earn_points, "earn_points", v == e->points);
			e->points = v;
			ps->l_points = kv->line;
		}
	} else if (strcmp(kv->key, "per") == 0) {
		if (money(ps, kv, &v) < 0)
			return;
		if (v <= 0) {
			perr(ps, kv->line, "per '%s' is not more than zero", kv->val);
			return;
		}
		agree(ps, kv, ps->l_earn_amount, "earn_amount", v == e->per);
		e->per = v;
		ps->l_per = kv->line;
	} else if (strcmp(kv->key, "rounding") == 0) {
		if (word(ps, kv, rounding, &w) == 0)
			e->rounding = (enum earn_rounding)w;
	} else if (strcmp(kv->key, "cap_receipt") == 0)
		whole(ps, kv, 1, POINTS_MAX, &e->cap_receipt);
	else if (strcmp(kv->key, "cap_member_day") == 0)
		whole(ps, kv, 1, POINTS_MAX, &e->cap_member_day);
	else if (strcmp(kv->key, "cap_member_month") == 0)
		whole(ps, kv, 1, POINTS_MAX, &e->cap_member_month);
	else
		perr(ps, kv->line, "unknown keyword '%s' in [earn]: it takes %s", kv->key,
		    "points, per, rounding, cap_receipt, cap_member_day or cap_member_month");
}

static void
tiers_key(struct parser *ps, const struct kv *kv)
{
	static const char *const measures[] = { "spend", "points", "visits", NULL };
	static const char *const windows[] = {
		"rolling", "calendar-year", "monthly-average", "quarterly-average", NULL
	};
	static const char *const reviews[] = { "annual", "anniversary", NULL };
	struct tiers *t = &ps->p->tiers;
	int w;

	if (strcmp(kv->key, "measure") == 0) {
		if (word(ps, kv, measures, &w) == 0)
			t->measure = (enum tier_measure)w;
	} else if (strcmp(kv->key, "window") == 0) {
		if (word(ps, kv, windows, &w) == 0)
			t->window = (enum tier_window)w;
	} else if (strcmp(kv->key, "months") == 0)
		whole_int(ps, kv, 1, 120, &t->months);
	else if (strcmp(kv->key, "review") == 0) {
		if (word(ps, kv, reviews, &w) == 0)
			t->review = (enum tier_review)w;
	} else if (strcmp(kv->key, "review_date") == 0) {
		char buf[20];
		char iso[16];
		const char *why;

		snprintf(iso, sizeof(iso), "2000-%.5s", kv->val);
		if (strlen(kv->val) != 5 || kv->val[2] != '-' ||
		    when_parse(iso, NULL, WHEN_DATE, buf, &why) < 0)
			perr(ps, kv->line, "review_date '%s' is not a day of the year (MM-DD)",
			    kv->val);
		else
			memcpy(t->review_date, kv->val, 6);
	} else if (strcmp(kv->key, "grace_days") == 0)
		whole_int(ps, kv, 0, 3660, &t->grace_days);
	else if (strcmp(kv->key, "soft_landing") == 0)
		yesno(ps, kv, &t->soft_landing);
	else
		perr(ps, kv->line, "unknown keyword '%s' in [tiers]: it takes %s", kv->key,
		    "measure, window, months, review, review_date, grace_days or soft_landing");
}

static void
tier_key(struct parser *ps, const struct kv *kv, int idx)
{
	if (strcmp(kv->key, "threshold") == 0) {
		ps->taux[idx].threshold = kv->val;
		ps->taux[idx].line = kv->line;
	} else
		perr(ps, kv->line, "unknown keyword '%s' in [tier %s]: it takes threshold",
		    kv->key, ps->p->tiers.v[idx].name);
}

static void
expiry_key(struct parser *ps, const struct kv *kv)
{
	struct expiry *x = &ps->p->expiry;
	int w;

	if (strcmp(kv->key, "policy") == 0) {
		if (word(ps, kv, expiry_words, &w) < 0)
			return;
		agree(ps, kv, ps->l_exp_policy, "expiry_policy", x->policy == (enum expiry_policy)w);
		x->policy = (enum expiry_policy)w;
		ps->l_policy = kv->line;
	} else if (strcmp(kv->key, "months") == 0) {
		if (whole_int(ps, kv, 0, 1200, &w) < 0)
			return;
		agree(ps, kv, ps->l_exp_months, "expiry_months", x->months == w);
		x->months = w;
		ps->l_months = kv->line;
	} else if (strcmp(kv->key, "years") == 0) {
		if (whole_int(ps, kv, 0, 100, &w) < 0)
			return;
		agree(ps, kv, ps->l_exp_years, "expiry_years", x->years == w);
		x->years = w;
		ps->l_years = kv->line;
	} else
		perr(ps, kv->line, "unknown keyword '%s' in [expiry]: it takes policy, months or years",
		    kv->key);
}

static void
event_key(struct parser *ps, const struct kv *kv, int idx)
{
	struct event_rule *e = &ps->p->events[idx];

	if (strcmp(kv->key, "points") == 0)
		whole(ps, kv, 1, POINTS_MAX, &e->points);
	else if (strcmp(kv->key, "limit") == 0)
		limit(ps, kv, &e->limit, &e->period);
	else
		perr(ps, kv->line, "unknown keyword '%s' in [event %s]: it takes points or limit",
		    kv->key, e->name);
}

static void
rule_match(struct parser *ps, const struct kv *kv, struct rule *r, struct rule_aux *a,
    enum rule_match m)
{
	char err[256];

	a->nmatches++;
	a->match_line = kv->line;
	r->match = m;
	free(r->pattern_src);
	pattern_free(r->pattern);
	r->pattern_src = loy_xstrdup(kv->val);
	if (!(r->pattern = pattern_compile(kv->val, err, sizeof(err))))
		perr(ps, kv->line, "%s pattern '%s' does not compile: %s", kv->key, kv->val, err);
}

static void
rule_key(struct parser *ps, const struct kv *kv, int idx)
{
	static const char *const triggers[] = {
		"purchase", "first-purchase", "signup", "referral", "event", "cumulative", NULL
	};
	static const char *const to[] = { "referrer", "referee", "both", NULL };
	static const char *const on[] = {
		"signup", "first-purchase", "every-purchase", NULL
	};
	struct rule *r = &ps->p->rules[idx];
	struct rule_aux *a = &ps->raux[idx];
	const char *k = kv->key;
	int w;

	if (strcmp(k, "trigger") == 0) {
		if (word(ps, kv, triggers, &w) == 0)
			r->trigger = (enum rule_trigger)w;
	} else if (strcmp(k, "multiply") == 0) {
		a->neffects++;
		a->effect_line = kv->line;
		r->effect = EFFECT_MULTIPLY;
		a->factor_bad = factor(ps, kv, &r->factor_num, &r->factor_den) < 0;
	} else if (strcmp(k, "bonus") == 0) {
		a->neffects++;
		a->effect_line = kv->line;
		r->effect = EFFECT_BONUS;
		whole(ps, kv, 1, POINTS_MAX, &r->points);
	} else if (strcmp(k, "exclude") == 0) {
		int yes = 0;

		if (yesno(ps, kv, &yes) == 0 && yes) {
			a->neffects++;
			a->effect_line = kv->line;
			r->effect = EFFECT_EXCLUDE;
		}
	} else if (strcmp(k, "sku") == 0)
		rule_match(ps, kv, r, a, MATCH_SKU);
	else if (strcmp(k, "category") == 0)
		rule_match(ps, kv, r, a, MATCH_CATEGORY);
	else if (strcmp(k, "description") == 0)
		rule_match(ps, kv, r, a, MATCH_DESCRIPTION);
	else if (strcmp(k, "stack") == 0) {
		a->stack_line = kv->line;
		yesno(ps, kv, &r->stack);
	} else if (strcmp(k, "per_units") == 0) {
		a->per_line = kv->line;
		whole(ps, kv, 1, POINTS_MAX, &r->per_qty);
	} else if (strcmp(k, "from") == 0)
		date(ps, kv, 0, &r->from);
	else if (strcmp(k, "to") == 0) {
		a->to_line = kv->line;
		date(ps, kv, 1, &r->to);
	} else if (strcmp(k, "days") == 0)
		days(ps, kv, &r->days);
	else if (strcmp(k, "hours") == 0)
		hours(ps, kv, &r->hours);
	else if (strcmp(k, "stores") == 0) {
		a->stores_line = kv->line;
		names(ps, kv, &r->stores);
	} else if (strcmp(k, "channels") == 0) {
		a->channels_line = kv->line;
		names(ps, kv, &r->channels);
	} else if (strcmp(k, "tiers") == 0) {
		a->tiers_line = kv->line;
		names(ps, kv, &r->tiers);
	} else if (strcmp(k, "segments") == 0)
		names(ps, kv, &r->segments);
	else if (strcmp(k, "birthday_month") == 0)
		yesno(ps, kv, &r->birthday_month);
	else if (strcmp(k, "min_amount") == 0) {
		a->min_amount_line = kv->line;
		money(ps, kv, &r->min_amount);
	} else if (strcmp(k, "cap_receipt") == 0) {
		a->cap_line = kv->line;
		whole(ps, kv, 1, POINTS_MAX, &r->cap_receipt);
	} else if (strcmp(k, "budget") == 0) {
		a->budget_line = kv->line;
		whole(ps, kv, 1, POINTS_MAX, &r->budget);
	} else if (strcmp(k, "referral_to") == 0) {
		a->referral_line = kv->line;
		if (word(ps, kv, to, &w) == 0)
			r->referral_to = (enum referral_to)w;
	} else if (strcmp(k, "referral_on") == 0) {
		a->referral_line = kv->line;
		if (word(ps, kv, on, &w) == 0)
			r->referral_on = (enum referral_on)w;
	} else if (strcmp(k, "limit") == 0) {
		a->limit_line = kv->line;
		limit(ps, kv, &r->limit, &r->limit_period);
	} else if (strcmp(k, "event") == 0) {
		a->event_line = kv->line;
		free(r->event);
		r->event = loy_xstrdup(kv->val);
	} else if (strcmp(k, "visits") == 0) {
		a->cumulative_line = kv->line;
		whole(ps, kv, 1, POINTS_MAX, &r->visits);
	} else if (strcmp(k, "spend") == 0) {
		a->cumulative_line = kv->line;
		if (money(ps, kv, &r->spend) == 0 && r->spend == 0) {
			perr(ps, kv->line, "spend '%s' is not more than zero", kv->val);
			r->spend = -1;
		}
	} else if (strcmp(k, "period") == 0) {
		a->period_line = kv->line;
		period(ps, kv->line, "period", kv->val, &r->period);
	} else
		perr(ps, kv->line, "unknown keyword '%s' in [rule %s]: it takes %s", k, r->name,
		    "multiply, bonus, exclude, trigger, sku, category, description, "
		    "stack, per_units, from, to, days, hours, stores, channels, tiers, "
		    "segments, birthday_month, min_amount, cap_receipt, budget, limit, "
		    "referral_to, referral_on, event, visits, spend or period");
}

/* ---------------------------------------------------------------- checks */

static int
find_tier(const struct programme *p, const char *name)
{
	for (int i = 0; i < p->tiers.n; i++)
		if (strcmp(p->tiers.v[i].name, name) == 0)
			return i;
	return -1;
}

static const char *
match_name(enum rule_match m)
{
	return m == MATCH_SKU ? "sku" : m == MATCH_CATEGORY ? "category" : "description";
}

/* Each rule on its own: what its trigger and effect allow. */
/* 0 Monday .. 6 Sunday, of a "YYYY-MM-DD..." text */
static int
weekday_of(const char *when)
{
	long n = when_days_between("2000-01-03", when);	/* a Monday */

	return (int)(((n % 7) + 7) % 7);
}

/* A window from..to short enough to miss a day of the week or an hour
 * may hold none of the rule's days and hours: the rule would never
 * apply (a weekend offer dated Monday to Friday).  A window of more than
 * eight days holds every day at every hour. */
static void
window_meets_days(struct parser *ps, const struct rule *r, int line)
{
	char at[20], next[20];
	int day_ok = 0, hour_ok = 0;

	if ((!r->days && !r->hours) || when_days_between(r->from, r->to) > 8)
		return;
	/* each hour the window touches, from the one it starts in */
	snprintf(at, sizeof at, "%.13s:00:00", r->from);
	for (int n = 0; n < 10 * 24 && strcmp(at, r->to) <= 0; n++) {
		int d = !r->days || (r->days & (1u << weekday_of(at)));
		int h = !r->hours || (r->hours & (1u << atoi(at + 11)));

		if (d && h)
			return;
		day_ok |= d;
		hour_ok |= h;
		if (when_add_hours(at, 1, next) < 0)
			return;
		memcpy(at, next, sizeof at);
	}
	perr(ps, line, "rule '%s': its window, from %s to %s, holds none of its %s: "
	    "it would never apply", r->name, r->from, r->to,
	    !day_ok ? "days" : !hour_ok ? "hours" : "hours on its days");
}

static void
check_rule(struct parser *ps, int i)
{
	struct programme *p = ps->p;
	struct rule *r = &p->rules[i];
	struct rule_aux *a = &ps->raux[i];
	int product = r->trigger == TRIGGER_PURCHASE || r->trigger == TRIGGER_FIRST_PURCHASE;

	if (a->neffects == 0)
		perr(ps, r->line, "rule '%s' does nothing: give it multiply, bonus or exclude",
		    r->name);
	else if (a->neffects > 1)
		perr(ps, a->effect_line, "rule '%s' does more than one thing: give it one of "
		    "multiply, bonus or exclude", r->name);
	if (a->nmatches > 1)
		perr(ps, a->match_line, "rule '%s' matches more than one field: give it one of "
		    "sku, category or description", r->name);
	if (r->match != MATCH_NONE && !product)
		perr(ps, a->match_line, "rule '%s': %s needs trigger purchase or first-purchase",
		    r->name, match_name(r->match));
	if (r->effect == EFFECT_EXCLUDE && a->neffects == 1 && r->match == MATCH_NONE)
		perr(ps, a->effect_line, "rule '%s': exclude needs sku, category or description",
		    r->name);
	if (r->effect == EFFECT_EXCLUDE && a->neffects == 1 && r->trigger != TRIGGER_PURCHASE)
		perr(ps, a->effect_line, "rule '%s': exclude needs trigger purchase", r->name);
	if (r->effect == EFFECT_MULTIPLY && a->neffects == 1 && !product &&
	    r->trigger != TRIGGER_EVENT)
		perr(ps, a->effect_line, "rule '%s': multiply needs trigger purchase, "
		    "first-purchase or event; give a bonus", r->name);
	if (a->stack_line && r->effect != EFFECT_MULTIPLY)
		perr(ps, a->stack_line, "rule '%s': stack applies to multiply only", r->name);
	if (a->per_line && (r->effect != EFFECT_BONUS || r->match == MATCH_NONE))
		perr(ps, a->per_line, "rule '%s': per_units needs a bonus and sku, category "
		    "or description", r->name);
	if (r->from && r->to && strcmp(r->to, r->from) < 0)
		perr(ps, a->to_line, "rule '%s': window ends (to %s) before it starts "
		    "(from %s)", r->name, r->to, r->from);
	else if (r->from && r->to && !ps->stored)
		window_meets_days(ps, r, a->to_line);
	for (int t = 0; t < r->tiers.n; t++)
		if (find_tier(p, r->tiers.v[t]) < 0)
			perr(ps, a->tiers_line, "rule '%s': tier '%s' is not one of the "
			    "programme's tiers", r->name, r->tiers.v[t]);
	if (a->referral_line && r->trigger != TRIGGER_REFERRAL)
		perr(ps, a->referral_line, "rule '%s': referral_to and referral_on need "
		    "trigger = referral", r->name);
	if (r->trigger == TRIGGER_EVENT) {
		int found = 0;

		if (!r->event)
			perr(ps, r->line, "rule '%s': trigger event needs event = NAME", r->name);
		for (int e = 0; r->event && e < p->nevents; e++)
			found |= strcmp(p->events[e].name, r->event) == 0;
		if (r->event && !found)
			perr(ps, a->event_line, "rule '%s': event '%s' has no [event %s] section",
			    r->name, r->event, r->event);
	} else if (a->event_line)
		perr(ps, a->event_line, "rule '%s': event needs trigger = event", r->name);
	/* an event has no store, channel or amount, a sign-up no amount: such
	 * a condition never holds (a version stored before this was refused
	 * reads as it did, its rule never firing) */
	if (r->trigger == TRIGGER_EVENT && !ps->stored) {
		if (a->stores_line)
			perr(ps, a->stores_line, "rule '%s': stores needs a purchase or a "
			    "sign-up: an event has no store", r->name);
		if (a->channels_line)
			perr(ps, a->channels_line, "rule '%s': channels needs a purchase or a "
			    "sign-up: an event has no channel", r->name);
	}
	if (a->min_amount_line && !ps->stored && (r->trigger == TRIGGER_EVENT ||
	    r->trigger == TRIGGER_SIGNUP || (r->trigger == TRIGGER_REFERRAL &&
	    r->referral_on == REFERRAL_ON_SIGNUP)))
		perr(ps, a->min_amount_line, "rule '%s': min_amount needs a purchase: %s has "
		    "no amount", r->name, r->trigger == TRIGGER_EVENT ? "an event" : "a sign-up");
	/* a cap or a budget counts the points a rule gives: one that only
	 * takes them away (an exclusion, a multiplier of 1 or below) gives
	 * none, and a cap would never cut it (a version stored before this
	 * was refused reads as it did) */
	if ((r->effect == EFFECT_EXCLUDE || (r->effect == EFFECT_MULTIPLY && !a->factor_bad &&
	    r->factor_num <= r->factor_den)) && a->neffects == 1 && !ps->stored) {
		const char *does = r->effect == EFFECT_EXCLUDE ? "excludes" :
		    "multiplies by 1 or less";

		if (a->cap_line)
			perr(ps, a->cap_line, "rule '%s': cap_receipt counts the points a rule "
			    "gives; this one %s and gives none", r->name, does);
		if (a->budget_line)
			perr(ps, a->budget_line, "rule '%s': budget counts the points a rule "
			    "gives; this one %s and gives none", r->name, does);
	}
	/* a sign-up, referral or cumulative bonus is given whole, and no
	 * budget counts it; a cumulative one comes once per period, whatever
	 * a limit says (a version stored before this was refused reads as
	 * it did, without them) */
	if ((r->trigger == TRIGGER_SIGNUP || r->trigger == TRIGGER_REFERRAL ||
	    r->trigger == TRIGGER_CUMULATIVE) && !ps->stored) {
		const char *bonus = r->trigger == TRIGGER_SIGNUP ? "a sign-up" :
		    r->trigger == TRIGGER_REFERRAL ? "a referral" : "a cumulative";

		if (a->cap_line)
			perr(ps, a->cap_line, "rule '%s': cap_receipt needs trigger purchase, "
			    "first-purchase or event: %s bonus is given whole", r->name, bonus);
		if (a->budget_line)
			perr(ps, a->budget_line, "rule '%s': budget needs trigger purchase, "
			    "first-purchase or event: %s bonus is not counted against one",
			    r->name, bonus);
		if (a->limit_line && r->trigger == TRIGGER_CUMULATIVE)
			perr(ps, a->limit_line, "rule '%s': limit needs another trigger than "
			    "cumulative, whose bonus comes once per period", r->name);
	}
	/* a first-purchase bonus makes the receipt it is given on move points,
	 * so no later one is a first purchase: it comes once whatever a limit
	 * says (a multiplier may leave its receipt earning nothing, no
	 * purchase yet, and fire again: its limit counts; a version stored
	 * before this was refused reads as it did) */
	if (r->trigger == TRIGGER_FIRST_PURCHASE && r->effect == EFFECT_BONUS &&
	    a->neffects == 1 && a->limit_line && !ps->stored)
		perr(ps, a->limit_line, "rule '%s': limit needs another trigger than "
		    "first-purchase, or a multiplier: a first-purchase bonus comes once, on "
		    "the member's first purchase", r->name);
	if (r->trigger == TRIGGER_CUMULATIVE) {
		if (!a->cumulative_line)
			perr(ps, r->line, "rule '%s': trigger cumulative needs visits or spend",
			    r->name);
		/* a period given but not one is told at its own line */
		if (r->period == PERIOD_NONE && !a->period_line)
			perr(ps, r->line, "rule '%s': trigger cumulative needs a period", r->name);
	} else {
		if (a->cumulative_line)
			perr(ps, a->cumulative_line, "rule '%s': visits and spend need trigger "
			    "= cumulative", r->name);
		if (a->period_line)
			perr(ps, a->period_line, "rule '%s': period needs trigger = cumulative "
			    "(limit takes N per PERIOD)", r->name);
	}
}

static int
lists_meet(const struct namelist *a, const struct namelist *b)
{
	if (a->n == 0 || b->n == 0)
		return 1;
	for (int i = 0; i < a->n; i++)
		for (int j = 0; j < b->n; j++)
			if (strcmp(a->v[i], b->v[j]) == 0)
				return 1;
	return 0;
}

static int
lists_same(const struct namelist *a, const struct namelist *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++) {
		int found = 0;

		for (int j = 0; j < b->n; j++)
			found |= strcmp(a->v[i], b->v[j]) == 0;
		if (!found)
			return 0;
	}
	return 1;
}

/* Can both rules apply to the same line at the same time?  With `first`,
 * a purchase rule and a first-purchase one can: a first purchase is a
 * purchase. */
static int
same_target_and_time(const struct rule *a, const struct rule *b, int first)
{
	if (a->trigger != b->trigger && !(first &&
	    (a->trigger == TRIGGER_PURCHASE || a->trigger == TRIGGER_FIRST_PURCHASE) &&
	    (b->trigger == TRIGGER_PURCHASE || b->trigger == TRIGGER_FIRST_PURCHASE)))
		return 0;
	if (a->match != b->match)
		return 0;
	if (a->match != MATCH_NONE && strcmp(a->pattern_src, b->pattern_src) != 0)
		return 0;
	if (a->trigger == TRIGGER_EVENT && (!a->event || !b->event ||
	    strcmp(a->event, b->event) != 0))
		return 0;
	if (a->from && b->to && strcmp(b->to, a->from) < 0)
		return 0;
	if (b->from && a->to && strcmp(a->to, b->from) < 0)
		return 0;
	if (a->days && b->days && !(a->days & b->days))
		return 0;
	if (a->hours && b->hours && !(a->hours & b->hours))
		return 0;
	return 1;
}

static void
what(const struct rule *r, char *buf, size_t n)
{
	if (r->match == MATCH_NONE)
		snprintf(buf, n, "the whole receipt");
	else
		snprintf(buf, n, "%s '%s'", match_name(r->match), r->pattern_src);
}

/* Pairs of rules that overlap or contradict each other (loy-programme(5)). */
static void
check_pairs(struct parser *ps)
{
	struct programme *p = ps->p;
	char w[300];

	for (int j = 0; j < p->nrules; j++)
		for (int i = 0; i < j; i++) {
			struct rule *a = &p->rules[i], *b = &p->rules[j];

			/* an exclusion and a first-purchase reward of the same
			 * lines, a check that came after the first releases */
			if (ps->raux[i].bad || ps->raux[j].bad ||
			    (a->match != MATCH_NONE && !a->pattern_src) ||
			    !same_target_and_time(a, b, !ps->stored &&
			    (a->effect == EFFECT_EXCLUDE) != (b->effect == EFFECT_EXCLUDE)))
				continue;
			what(a, w, sizeof(w));
			if ((a->effect == EFFECT_EXCLUDE) != (b->effect == EFFECT_EXCLUDE) &&
			    lists_meet(&a->stores, &b->stores) &&
			    lists_meet(&a->channels, &b->channels) &&
			    lists_meet(&a->tiers, &b->tiers) &&
			    lists_meet(&a->segments, &b->segments))
				perr(ps, b->line, "rule '%s' contradicts rule '%s' (line %d): one "
				    "excludes %s, the other rewards it at the same time", b->name,
				    a->name, a->line, w);
			else if (a->effect == EFFECT_MULTIPLY && b->effect == EFFECT_MULTIPLY &&
			    a->stack && b->stack && lists_same(&a->stores, &b->stores) &&
			    lists_same(&a->channels, &b->channels) &&
			    lists_same(&a->tiers, &b->tiers) &&
			    lists_same(&a->segments, &b->segments) &&
			    a->birthday_month == b->birthday_month)
				perr(ps, b->line, "rule '%s' overlaps rule '%s' (line %d): both "
				    "multiply %s for the same members at the same time and both "
				    "stack; make their windows disjoint or set stack = no",
				    b->name, a->name, a->line, w);
		}
}

static void
check_tiers(struct parser *ps)
{
	struct programme *p = ps->p;
	struct tiers *t = &p->tiers;
	char a[32], b[32];

	for (int i = 0; i < t->n; i++) {
		struct kv kv = { ps->taux[i].line, 0, "threshold", ps->taux[i].threshold };

		t->v[i].threshold = -1;
		if (!kv.val) {
			perr(ps, t->v[i].line, "tier '%s' has no threshold", t->v[i].name);
			continue;
		}
		if (t->measure == MEASURE_SPEND) {
			if (money(ps, &kv, &t->v[i].threshold) < 0)
				t->v[i].threshold = -1;
		} else if (whole(ps, &kv, 0, POINTS_MAX, &t->v[i].threshold) < 0)
			t->v[i].threshold = -1;
	}
	for (int i = 1; i < t->n; i++) {
		int j = i - 1;

		if (t->v[i].threshold < 0 || t->v[j].threshold < 0 ||
		    t->v[i].threshold > t->v[j].threshold)
			continue;
		if (t->measure == MEASURE_SPEND) {
			money_format(t->v[i].threshold, p->decimals, a);
			money_format(t->v[j].threshold, p->decimals, b);
		} else {
			snprintf(a, sizeof(a), "%lld", (long long)t->v[i].threshold);
			snprintf(b, sizeof(b), "%lld", (long long)t->v[j].threshold);
		}
		perr(ps, ps->taux[i].line, "tier '%s' threshold %s is not above tier '%s' "
		    "(%s): thresholds increase from the lowest tier", t->v[i].name, a,
		    t->v[j].name, b);
	}
	if (ps->set_tiers) {
		/* tiers = A,B,C in [programme] must name the [tier] sections in order */
		struct namelist nl = { 0 };
		struct kv kv = { ps->l_tiers, 0, "tiers", ps->set_tiers };
		int same = 1;

		if (names(ps, &kv, &nl) == 0 && t->n > 0) {
			same = nl.n == t->n;
			for (int i = 0; same && i < nl.n; i++)
				same = strcmp(nl.v[i], t->v[i].name) == 0;
			if (!same)
				perr(ps, ps->l_tiers, "tiers '%s' contradicts the [tier] sections, "
				    "which name the tiers in order from the lowest", ps->set_tiers);
		} else if (t->n == 0)
			for (int i = 0; i < nl.n; i++) {
				for (int j = 0; j < i && !ps->stored; j++)
					if (strcasecmp(nl.v[j], nl.v[i]) == 0 &&
					    strcmp(nl.v[j], nl.v[i]) != 0)
						perr(ps, ps->l_tiers, "tiers '%s' names '%s' and '%s', "
						    "which differ only in case: tier names are read in "
						    "any case", ps->set_tiers, nl.v[j], nl.v[i]);
				/* named only: no thresholds, tiers are given by hand */
				t->v = loy_xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
				t->v[t->n].name = loy_xstrdup(nl.v[i]);
				t->v[t->n].threshold = -1;
				t->v[t->n].line = ps->l_tiers;
				t->n++;
			}
		namelist_free(&nl);
	}
}

static void
check_expiry(struct parser *ps)
{
	struct expiry *x = &ps->p->expiry;

	if (x->policy == EXPIRY_MONTHS && x->months == 0)
		x->policy = EXPIRY_NEVER;
	/* a version stored with expiry_policy = rolling before expiry_months
	 * = 0 in [programme], once read as never, still reads so */
	if (x->policy == EXPIRY_ROLLING && x->months == 0 && ps->stored && ps->l_exp_months)
		x->policy = EXPIRY_NEVER;
	if (x->policy == EXPIRY_ROLLING && x->months == 0)
		perr(ps, ps->l_months ? ps->l_months : ps->l_exp_months ? ps->l_exp_months :
		    ps->l_policy ? ps->l_policy : ps->l_exp_policy, "expiry policy rolling "
		    "needs months of at least 1");
}

/* ---------------------------------------------------------------- reading */

static void
defaults(struct programme *p)
{
	p->decimals = 2;
	p->earn.points = 1;
	p->earn.per = 100;
	p->earn.rounding = ROUND_DOWN_RECEIPT;
	p->earn.cap_receipt = p->earn.cap_member_day = p->earn.cap_member_month = -1;
	p->tiers.measure = MEASURE_SPEND;
	p->tiers.window = WINDOW_ROLLING;
	p->tiers.months = 12;
	p->tiers.review = REVIEW_ANNUAL;
	memcpy(p->tiers.review_date, "01-01", 6);
	p->expiry.policy = EXPIRY_MONTHS;
	p->expiry.months = 24;
	p->expiry.years = 1;
}

static void
rule_init(struct rule *r, const char *name, int line)
{
	memset(r, 0, sizeof(*r));
	r->name = loy_xstrdup(name);
	r->line = line;
	r->factor_num = r->factor_den = 1;
	r->stack = 1;
	r->min_amount = r->cap_receipt = r->budget = r->limit = r->visits = r->spend = -1;
}

/* A section header: "[word]" or "[word NAME]". */
static void
header(struct parser *ps, int line, char *s)
{
	struct programme *p = ps->p;
	struct section sec = { SEC_BAD, line, -1, NULL, NULL, 0 };
	char *end = strchr(s, ']'), *w, *name;
	int t;

	if (!end || *trim(end + 1)) {
		perr(ps, line, "section header '%s' does not end in ']'", s);
		goto add;
	}
	*end = '\0';
	w = trim(s + 1);
	name = w + strcspn(w, " \t");
	if (*name)
		*name++ = '\0';
	name = trim(name);
	for (t = SEC_PROGRAMME; t < SEC_COUNT; t++)
		if (strcmp(w, sec_names[t]) == 0)
			break;
	if (t == SEC_COUNT) {
		perr(ps, line, "unknown section [%s%s%s]: the sections are %s", w,
		    *name ? " " : "", name, "[programme], [earn], [rule NAME], "
		    "[event NAME], [tiers], [tier NAME] and [expiry]");
		goto add;
	}
	if (t == SEC_RULE || t == SEC_EVENT || t == SEC_TIER) {
		if (!*name) {
			perr(ps, line, "section [%s] needs a name: [%s NAME]", w, w);
			goto add;
		}
		if (strchr(name, ',')) {
			perr(ps, line, "%s name '%s' has a comma", w, name);
			goto add;
		}
		/* a name is printed in a cell, on a line: no tab, no escape
		 * (one the ledger holds is read as it was) */
		if (utf8_has_control(name) && !ps->stored) {
			perr(ps, line, "%s name '%s' has a control character%s", w, name,
			    utf8_control_hint(name));
			goto add;
		}
	} else if (*name) {
		perr(ps, line, "section [%s] takes no name", w);
		goto add;
	}
	sec.type = (enum sec)t;
	switch (t) {
	case SEC_RULE:
		for (int i = 0; i < p->nrules; i++)
			if (strcmp(p->rules[i].name, name) == 0) {
				perr(ps, line, "rule '%s' is defined twice (first on line %d)",
				    name, p->rules[i].line);
				sec.type = SEC_BAD;
				goto add;
			}
		p->rules = loy_xrealloc(p->rules, (p->nrules + 1) * sizeof(*p->rules));
		ps->raux = loy_xrealloc(ps->raux, (p->nrules + 1) * sizeof(*ps->raux));
		rule_init(&p->rules[p->nrules], name, line);
		memset(&ps->raux[p->nrules], 0, sizeof(*ps->raux));
		sec.idx = p->nrules++;
		break;
	case SEC_EVENT:
		for (int i = 0; i < p->nevents; i++)
			if (strcmp(p->events[i].name, name) == 0) {
				perr(ps, line, "event '%s' is defined twice (first on line %d)",
				    name, p->events[i].line);
				sec.type = SEC_BAD;
				goto add;
			}
		p->events = loy_xrealloc(p->events, (p->nevents + 1) * sizeof(*p->events));
		p->events[p->nevents] = (struct event_rule){ loy_xstrdup(name), line, 0, -1,
		    PERIOD_NONE };
		sec.idx = p->nevents++;
		break;
	case SEC_TIER:
		/* tiers are read in any case (loy-segment --assign, loy-redeem):
		 * gold and Gold would be one */
		for (sec.idx = 0; sec.idx < p->tiers.n &&
		    (ps->stored ? strcmp : strcasecmp)(p->tiers.v[sec.idx].name, name) != 0;
		    sec.idx++)
			;
		if (sec.idx < p->tiers.n) {
			if (strcmp(p->tiers.v[sec.idx].name, name) == 0)
				perr(ps, line, "tier '%s' is defined twice (first on line %d)", name,
				    p->tiers.v[sec.idx].line);
			else
				perr(ps, line, "tier '%s' differs from tier '%s' (line %d) only in "
				    "case: tier names are read in any case", name,
				    p->tiers.v[sec.idx].name, p->tiers.v[sec.idx].line);
			sec.type = SEC_BAD;
			goto add;
		}
		p->tiers.v = loy_xrealloc(p->tiers.v, (p->tiers.n + 1) * sizeof(*p->tiers.v));
		ps->taux = loy_xrealloc(ps->taux, (p->tiers.n + 1) * sizeof(*ps->taux));
		p->tiers.v[p->tiers.n] = (struct tier){ loy_xstrdup(name), -1, line };
		ps->taux[p->tiers.n] = (struct tier_aux){ NULL, 0 };
		sec.idx = p->tiers.n++;
		break;
	default:
		if (ps->single[t]) {
			perr(ps, line, "section [%s] appears twice (first on line %d)", w,
			    ps->single[t]);
			sec.type = SEC_BAD;
		} else
			ps->single[t] = line;
	}
add:
	ps->secs = loy_xrealloc(ps->secs, (ps->nsecs + 1) * sizeof(*ps->secs));
	ps->secs[ps->nsecs++] = sec;
}

static void
keyvalue(struct parser *ps, int line, char *s)
{
	char *eq = strchr(s, '='), *key, *val;
	struct section *sec;

	if (!eq) {
		perr(ps, line, "'%s' is not a section header or key = value", s);
		return;
	}
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!*key) {
		perr(ps, line, "'= %s' has no key", val);
		return;
	}
	if (ps->nsecs == 0) {
		perr(ps, line, "'%s' comes before any section", key);
		return;
	}
	sec = &ps->secs[ps->nsecs - 1];
	if (sec->type == SEC_BAD)
		return;		/* its section was reported */
	for (int i = 0; i < sec->nkeys; i++)
		if (strcmp(sec->keys[i], key) == 0) {
			perr(ps, line, "duplicate key '%s' (first on line %d)", key, sec->klines[i]);
			return;
		}
	sec->keys = loy_xrealloc(sec->keys, (sec->nkeys + 1) * sizeof(char *));
	sec->klines = loy_xrealloc(sec->klines, (sec->nkeys + 1) * sizeof(int));
	sec->keys[sec->nkeys] = key;
	sec->klines[sec->nkeys++] = line;
	if (!*val) {
		perr(ps, line, "%s has no value", key);
		return;
	}
	/* a tab is a space, as between the names of a list, but in the
	 * programme's name; no other control character (a version the ledger
	 * holds is read as it was) */
	if (!ps->stored && (sec->type == SEC_PROGRAMME && strcmp(key, "programme") == 0 ?
	    utf8_has_control(val) : utf8_text_has_control(val))) {
		perr(ps, line, "%s '%s' has a control character%s", key, val,
		    utf8_control_hint(val));
		return;
	}
	ps->kvs = loy_xrealloc(ps->kvs, (ps->nkvs + 1) * sizeof(*ps->kvs));
	ps->kvs[ps->nkvs++] = (struct kv){ line, ps->nsecs - 1, key, val };
}

static void
dispatch(struct parser *ps, const struct kv *kv)
{
	const struct section *sec = &ps->secs[kv->sec];

	switch (sec->type) {
	case SEC_EARN:
		earn_key(ps, kv);
		break;
	case SEC_RULE: {
		int before = ps->nerrs;

		rule_key(ps, kv, sec->idx);
		ps->raux[sec->idx].bad |= ps->nerrs > before;
		break;
	}
	case SEC_EVENT:
		event_key(ps, kv, sec->idx);
		break;
	case SEC_TIERS:
		tiers_key(ps, kv);
		break;
	case SEC_TIER:
		tier_key(ps, kv, sec->idx);
		break;
	case SEC_EXPIRY:
		expiry_key(ps, kv);
		break;
	default:
		break;
	}
}

/* TZ set to the programme's time zone (its timezone, else the default),
 * when that is a zone loy knows and TZ is not it already: what TZ was,
 * for zone_leave (NULL: nothing to restore). */
static char *
zone_enter(const struct programme *p)
{
	const char *zone = programme_setting(p, "timezone"), *was = getenv("TZ");
	char *keep, why[512];

	for (const struct ledger_setting *s = ledger_defaults; !zone && s->key; s++)
		if (strcmp(s->key, "timezone") == 0)
			zone = s->value;
	if (!zone || (was && strcmp(was, zone) == 0) ||
	    ledger_setting_valid("timezone", zone, why, sizeof(why)) < 0)
		return NULL;
	keep = loy_xstrdup(was ? was : "");
	if (!was)
		keep[0] = '\x01';	/* TZ was not set */
	setenv("TZ", zone, 1);
	tzset();
	return keep;
}

static void
zone_leave(char *was)
{
	if (!was)
		return;
	if (was[0] == '\x01')
		unsetenv("TZ");
	else
		setenv("TZ", was, 1);
	tzset();
	free(was);
}

/* programme_parse, its problems in line order left in *errs (the caller
 * frees them) rather than printed. */
static int
parse(const char *name, const char *text, size_t len, struct programme *p, struct err **errs,
    int *nerrs, int stored)
{
	struct parser ps = { .name = name, .p = p, .stored = stored };
	char *buf, *line, *next, *tz_was = NULL;
	size_t bad;
	int no = 0;

	memset(p, 0, sizeof(*p));
	defaults(p);
	p->source = loy_xstrdup(name);
	p->text = loy_xmalloc(len + 1);
	memcpy(p->text, text, len);
	p->text[len] = '\0';
	buf = loy_xstrdup(p->text);
	/* a text editor's "Unicode": each character two bytes, a NUL in each
	 * of ASCII's, said as what it is, as an input file's header says it */
	if (len >= 2 && (memcmp(text, "\xff\xfe", 2) == 0 || memcmp(text, "\xfe\xff", 2) == 0)) {
		perr(&ps, 1, "the file is UTF-16, not UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)");
		goto report;
	}
	if (memchr(text, '\0', len)) {
		for (const char *q = text; q < (const char *)memchr(text, '\0', len); q++)
			no += *q == '\n';
		perr(&ps, no + 1, "the file has a NUL byte: not a programme file");
		goto report;
	}
	if ((bad = utf8_check(text, len)) < len) {
		for (size_t i = 0; i < bad; i++)
			no += text[i] == '\n';
		perr(&ps, no + 1, "the file is not UTF-8");
		goto report;
	}
	{
		/* lines that end in CR alone (a classic Mac text) read as one,
		 * a comment or a section header taking in the whole file; CR CR
		 * LF (a CRLF file written again as text) ends its line */
		const char *nl = memchr(text, '\n', len), *end = nl ? nl : text + len;

		for (const char *q = text; q < end; q++)
			if (*q == '\r' && q + 1 < end && q[1] != '\r') {
				perr(&ps, 1, "the line has a CR alone, which ends no line "
				    "(tr '\\r' '\\n' converts a file so ended)");
				goto report;
			}
	}
	if (!strncmp(buf, "\xef\xbb\xbf", 3))
		memset(buf, ' ', 3);
	/* step 1: lines into sections and key = value pairs */
	for (line = buf; line; line = next) {
		char *s;

		no++;
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		if (*s == '[')
			header(&ps, no, s);
		else
			keyvalue(&ps, no, s);
	}
	/* step 2: [programme] (decimals first), then the rest in file order */
	for (int i = 0; i < ps.nkvs; i++)
		if (ps.secs[ps.kvs[i].sec].type == SEC_PROGRAMME &&
		    strcmp(ps.kvs[i].key, "decimals") == 0) {
			programme_key(&ps, &ps.kvs[i]);
			p->decimals = atoi(programme_setting(p, "decimals") ?
			    programme_setting(p, "decimals") : "2");
		}
	{
		int64_t unit = 1;

		for (int i = 0; i < p->decimals; i++)
			unit *= 10;
		p->earn.per = unit;
	}
	for (int i = 0; i < ps.nkvs; i++)
		if (ps.secs[ps.kvs[i].sec].type == SEC_PROGRAMME &&
		    strcmp(ps.kvs[i].key, "decimals") != 0)
			programme_key(&ps, &ps.kvs[i]);
	/* the rest read in the programme's time zone, whatever the
	 * environment's (loy-program check opens no ledger to take it from):
	 * a rule's from or to with a UTC offset is its local time there, and
	 * its window's days and hours are that zone's */
	tz_was = zone_enter(p);
	for (int i = 0; i < ps.nkvs; i++)
		dispatch(&ps, &ps.kvs[i]);
	/* step 3: what needs the whole file */
	check_tiers(&ps);
	for (int i = 0; i < p->tiers.n; i++)
		for (int j = 0; j < i; j++)
			p->tiers.by_case |= strcasecmp(p->tiers.v[i].name, p->tiers.v[j].name) == 0;
	check_expiry(&ps);
	for (int i = 0; i < p->nrules; i++) {
		int before = ps.nerrs;

		p->rules[i].tiers_by_case = p->tiers.by_case;
		check_rule(&ps, i);
		ps.raux[i].bad |= ps.nerrs > before;
	}
	check_pairs(&ps);
	zone_leave(tz_was);
	for (int i = 0; i < ps.nsecs; i++) {
		int given = 0;

		for (int k = 0; k < ps.secs[i].nkeys; k++)
			given |= strcmp(ps.secs[i].keys[k], "points") == 0;
		if (ps.secs[i].type == SEC_EVENT && !given)
			perr(&ps, ps.secs[i].line, "event '%s' has no points",
			    p->events[ps.secs[i].idx].name);
	}
report:
	if (ps.nerrs > 1)
		qsort(ps.errs, ps.nerrs, sizeof(*ps.errs), errcmp);
	*errs = ps.errs;
	*nerrs = ps.nerrs;
	for (int i = 0; i < ps.nsecs; i++) {
		free(ps.secs[i].keys);
		free(ps.secs[i].klines);
	}
	free(ps.secs);
	free(ps.kvs);
	free(ps.raux);
	free(ps.taux);
	free(buf);
	if (ps.nerrs) {
		programme_free(p);
		return -1;
	}
	return 0;
}

/* parse(), each problem given to fn(ctx, line, what); *nerrs their number. */
static int
parse_each(const char *name, const char *text, size_t len, struct programme *p, int stored,
    void (*fn)(void *ctx, int line, const char *what), void *ctx, int *nerrs)
{
	struct err *errs;
	int rc = parse(name, text, len, p, &errs, nerrs, stored);

	for (int i = 0; i < *nerrs; i++) {
		fn(ctx, errs[i].line, errs[i].msg);
		free(errs[i].msg);
	}
	free(errs);
	return rc;
}

static void
no_word(void *ctx, int line, const char *what)
{
	(void)ctx;
	(void)line;
	(void)what;
}

/* A problem of the programme named ctx, on standard error. */
static void
report_error(void *ctx, int line, const char *what)
{
	if (line > 0)
		loy_error("%s:%d: %s", (const char *)ctx, line, what);
	else
		loy_error("%s: %s", (const char *)ctx, what);
}

static int
parse_report(const char *name, const char *text, size_t len, struct programme *p, int stored)
{
	int nerrs;

	return parse_each(name, text, len, p, stored, report_error, (void *)name, &nerrs);
}

int
programme_check_stored(const char *text, size_t len,
    void (*fn)(void *ctx, int line, const char *what), void *ctx)
{
	struct programme p;
	int nerrs, rc = parse_each("stored", text, len, &p, 1, fn, ctx, &nerrs);

	if (rc == 0)
		programme_free(&p);
	return nerrs > 0 ? nerrs : rc < 0;
}

int
programme_parse(const char *name, const char *text, size_t len, struct programme *p)
{
	return parse_report(name, text, len, p, 0);
}

/*
 * A programme the ledger holds (a stored version, or the settings of a
 * ledger without one): it was checked when loaded, and a check added to
 * loy since (a value_spend in more decimals than the currency, tiers that
 * differ only in case) must not make the ledger unreadable; the programs
 * go on reading it as they did before.
 */
int
programme_parse_stored(const char *name, const char *text, size_t len, struct programme *p)
{
	return parse_report(name, text, len, p, 1);
}

void
programme_free(struct programme *p)
{
	for (int i = 0; i < p->nsettings; i++) {
		free(p->setting_key[i]);
		free(p->setting_value[i]);
	}
	free(p->setting_key);
	free(p->setting_value);
	for (int i = 0; i < p->nrules; i++) {
		struct rule *r = &p->rules[i];

		free(r->name);
		free(r->pattern_src);
		pattern_free(r->pattern);
		free(r->from);
		free(r->to);
		namelist_free(&r->stores);
		namelist_free(&r->channels);
		namelist_free(&r->tiers);
		namelist_free(&r->segments);
		free(r->event);
	}
	free(p->rules);
	for (int i = 0; i < p->nevents; i++)
		free(p->events[i].name);
	free(p->events);
	for (int i = 0; i < p->tiers.n; i++)
		free(p->tiers.v[i].name);
	free(p->tiers.v);
	free(p->effective_from);
	free(p->source);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

int
programme_tier(const struct programme *p, const char *name)
{
	if (!name)
		return -1;
	/* its own spelling first: a version that tells two tiers apart by
	 * case has them both */
	for (int i = 0; i < p->tiers.n; i++)
		if (strcmp(p->tiers.v[i].name, name) == 0)
			return i;
	for (int i = 0; i < p->tiers.n; i++)
		if (strcasecmp(p->tiers.v[i].name, name) == 0)
			return i;
	return -1;
}

const char *
programme_setting(const struct programme *p, const char *key)
{
	for (int i = 0; i < p->nsettings; i++)
		if (strcmp(p->setting_key[i], key) == 0)
			return p->setting_value[i];
	return NULL;
}

/* ---------------------------------------------------------------- settings */

static void
kv_add(char ***keys, char ***values, int *n, const char *k, const char *v)
{
	*keys = loy_xrealloc(*keys, (*n + 1) * sizeof(char *));
	*values = loy_xrealloc(*values, (*n + 1) * sizeof(char *));
	(*keys)[*n] = loy_xstrdup(k);
	(*values)[*n] = loy_xstrdup(v);
	(*n)++;
}

/* What a section says of a setting, in buf; NULL if no section says. */
static const char *
derived(const struct programme *p, const char *key, char *buf, size_t size)
{
	char m[32];

	if (strcmp(key, "earn_points") == 0)
		snprintf(buf, size, "%lld", (long long)p->earn.points);
	else if (strcmp(key, "earn_amount") == 0)
		snprintf(buf, size, "%s", money_format(p->earn.per, p->decimals, m));
	else if (strcmp(key, "expiry_months") == 0)
		snprintf(buf, size, "%d", p->expiry.policy == EXPIRY_NEVER ? 0 : p->expiry.months);
	else if (strcmp(key, "expiry_policy") == 0)
		snprintf(buf, size, "%s", expiry_words[p->expiry.policy]);
	else if (strcmp(key, "expiry_years") == 0)
		snprintf(buf, size, "%d", p->expiry.years);
	else if (strcmp(key, "tiers") == 0) {
		/* a programme without tiers has none: new members get none */
		buf[0] = '\0';
		for (int i = 0; i < p->tiers.n; i++) {
			if (i)
				strncat(buf, ",", size - strlen(buf) - 1);
			strncat(buf, p->tiers.v[i].name, size - strlen(buf) - 1);
		}
	} else
		return NULL;
	return buf;
}

const char *
programme_value(const struct programme *p, const char *key, char *buf, size_t size)
{
	const char *v;

	if ((v = programme_setting(p, key)) || (v = derived(p, key, buf, size)))
		return v;
	for (const struct ledger_setting *s = ledger_defaults; s->key; s++)
		if (strcmp(s->key, key) == 0)
			return s->value;
	return NULL;
}

void
programme_ledger_settings(const struct programme *p, char ***keys, char ***values, int *n)
{
	static const char *const extra[] = { "expiry_policy", "expiry_years", NULL };
	char buf[4096];
	const char *v;

	*keys = *values = NULL;
	*n = 0;
	for (const struct ledger_setting *s = ledger_defaults; s->key; s++) {
		if (!(v = programme_setting(p, s->key)) &&
		    !(v = derived(p, s->key, buf, sizeof(buf))))
			v = s->value;
		kv_add(keys, values, n, s->key, v);
	}
	for (int i = 0; extra[i]; i++)
		if (!is_default_key(extra[i]))
			kv_add(keys, values, n, extra[i], derived(p, extra[i], buf, sizeof(buf)));
}

void
programme_kv_free(char **keys, char **values, int n)
{
	for (int i = 0; i < n; i++) {
		free(keys[i]);
		free(values[i]);
	}
	free(keys);
	free(values);
}

/* ---------------------------------------------------------------- default */

/* Where loy-init's settings live in the default file's text. */
static const struct {
	const char *setting, *section, *key;
} homes[] = {
	{ "earn_points", "[earn]", "points" },
	{ "earn_amount", "[earn]", "per" },
	{ "expiry_policy", "[expiry]", "policy" },
	{ "expiry_months", "[expiry]", "months" },
	{ "expiry_years", "[expiry]", "years" },
	{ NULL, NULL, NULL }
};

struct lines {
	char **v;
	int *from;		/* the --set that wrote each line, or -1 */
	int n;
};

static void
lines_insert(struct lines *t, int at, char *s, int from)
{
	t->v = loy_xrealloc(t->v, (t->n + 1) * sizeof(char *));
	t->from = loy_xrealloc(t->from, (t->n + 1) * sizeof(int));
	memmove(t->v + at + 1, t->v + at, (t->n - at) * sizeof(char *));
	memmove(t->from + at + 1, t->from + at, (t->n - at) * sizeof(int));
	t->v[at] = s;
	t->from[at] = from;
	t->n++;
}

static void
lines_remove(struct lines *t, int at)
{
	free(t->v[at]);
	memmove(t->v + at, t->v + at + 1, (t->n - at - 1) * sizeof(char *));
	memmove(t->from + at, t->from + at + 1, (t->n - at - 1) * sizeof(int));
	t->n--;
}

static void
lines_free(struct lines *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->from);
}

static int
is_header(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Set `key = value` in `section`: replace its line, or add one after the
 * section's last key line. */
static void
text_set(struct lines *t, const char *section, const char *key, const char *value, int from)
{
	int in = 0, last = -1;
	size_t kl = strlen(key);
	char *line = loy_xmalloc(kl + strlen(value) + 4);

	sprintf(line, "%s = %s", key, value);
	for (int i = 0; i < t->n; i++) {
		if (t->v[i][0] == '[') {
			in = strcmp(t->v[i], section) == 0;
			continue;
		}
		if (!in || !strchr(t->v[i], '=') || t->v[i][0] == '#')
			continue;
		last = i;
		if (strncmp(t->v[i], key, kl) == 0 && (t->v[i][kl] == ' ' || t->v[i][kl] == '=')) {
			free(t->v[i]);
			t->v[i] = line;
			t->from[i] = from;
			return;
		}
	}
	lines_insert(t, last + 1, line, from);
}

/* The default's lines with the overrides written in, each line marked
 * with the --set that wrote it; stored: the overrides are settings a
 * ledger holds, where an empty tiers is a programme without tiers (see
 * derived).  -1, with *bad the index of a value that cannot be written
 * into the file (a line break in it). */
static int
default_lines(char *const *set, int nset, int stored, struct lines *t, int *bad)
{
	char *copy = loy_xstrdup(programme_default), *s, *next;

	*t = (struct lines){ NULL, NULL, 0 };
	for (s = copy; *s; s = next) {
		if ((next = strchr(s, '\n')))
			*next++ = '\0';
		else
			next = s + strlen(s);
		lines_insert(t, t->n, loy_xstrdup(s), -1);
	}
	free(copy);
	for (int i = 0; i < nset; i++) {
		const char *eq = strchr(set[i], '=');
		char *key;
		int h;

		if (!eq)
			continue;
		if (strpbrk(eq + 1, "\r\n")) {
			lines_free(t);
			*bad = i;
			return -1;
		}
		key = loy_xmalloc(eq - set[i] + 1);
		memcpy(key, set[i], eq - set[i]);
		key[eq - set[i]] = '\0';
		/* the last value of a key wins, also when it is the default's
		 * own, after an earlier one changed it */
		for (h = i + 1; h < nset; h++)
			if (strncmp(set[h], set[i], (size_t)(eq - set[i]) + 1) == 0)
				break;
		if (h < nset) {
			free(key);
			continue;
		}
		for (h = 0; ledger_defaults[h].key; h++)
			if (strcmp(ledger_defaults[h].key, key) == 0)
				break;
		if (ledger_defaults[h].key && strcmp(ledger_defaults[h].value, eq + 1) == 0) {
			free(key);
			continue;	/* the default's own value */
		}
		for (h = 0; homes[h].setting && strcmp(homes[h].setting, key); h++)
			;
		if (homes[h].setting)
			text_set(t, homes[h].section, homes[h].key, eq + 1, i);
		else if (strcmp(key, "tiers") == 0) {
			/* other tiers than the default's: named, without thresholds */
			for (int j = 0; j < t->n;) {
				int drop = is_header(t->v[j], "[tier ");

				while (drop && j < t->n) {
					drop = t->v[j][0] != '\0';
					lines_remove(t, j);
				}
				if (j < t->n && !is_header(t->v[j], "[tier "))
					j++;
			}
			if (!stored || eq[1])
				text_set(t, "[programme]", key, eq + 1, i);
		} else
			text_set(t, "[programme]", key, eq + 1, i);
		free(key);
	}
	return 0;
}

/* The lines as one text, one line each. */
static char *
lines_text(const struct lines *t)
{
	size_t len = 0;
	char *out;

	for (int i = 0; i < t->n; i++)
		len += strlen(t->v[i]) + 1;
	out = loy_xmalloc(len + 1);
	out[0] = '\0';
	for (int i = 0, o = 0; i < t->n; i++)
		o += sprintf(out + o, "%s\n", t->v[i]);
	return out;
}

char *
programme_default_with(char *const *set, int nset)
{
	struct lines t;
	char *out;
	int bad;

	if (default_lines(set, nset, 0, &t, &bad) < 0) {
		loy_error("setting '%.*s' has a line break", (int)strcspn(set[bad], "="),
		    set[bad]);
		return NULL;
	}
	out = lines_text(&t);
	lines_free(&t);
	return out;
}

/* Does msg begin with "KEY 'VALUE' " or "KEY " for the line "KEY = VALUE"?
 * The length of that beginning, else 0. */
static size_t
said_of(const char *msg, const char *line)
{
	size_t kl = strcspn(line, " ="), vl;
	const char *val = line + kl;

	if (strncmp(msg, line, kl) != 0 || msg[kl] != ' ')
		return 0;
	val += strspn(val, " =\t");
	vl = strlen(val);
	while (vl > 0 && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
		vl--;
	if (msg[kl + 1] == '\'' && strncmp(msg + kl + 2, val, vl) == 0 &&
	    strncmp(msg + kl + 2 + vl, "' ", 2) == 0)
		return kl + vl + 4;
	return kl + 1;
}

int
programme_of_settings(char *const *set, int nset, struct programme *p)
{
	struct lines t;
	char *text;
	int bad, nerrs, rc;

	if (default_lines(set, nset, 1, &t, &bad) < 0)
		return -1;
	text = lines_text(&t);
	lines_free(&t);
	rc = parse_each("the ledger's settings", text, strlen(text), p, 1, no_word, NULL, &nerrs);
	free(text);
	return rc;
}

int
programme_check_settings(char *const *set, int nset, int stored,
    void (*fn)(void *ctx, int i, const char *what), void *ctx)
{
	struct lines t;
	struct programme p;
	struct err *errs;
	char *text;
	int nerrs, bad;

	if (default_lines(set, nset, stored, &t, &bad) < 0) {
		fn(ctx, bad, stored ? "the value has a line break" : "has a control character");
		return 1;
	}
	text = lines_text(&t);
	if (parse(stored ? "the ledger's settings" : "loy-init --set", text, strlen(text), &p,
	    &errs, &nerrs, stored) == 0)
		programme_free(&p);
	for (int i = 0; i < nerrs; i++) {
		int l = errs[i].line - 1, from = l >= 0 && l < t.n ? t.from[l] : -1;

		if (from >= 0 && strchr(set[from], '='))
			fn(ctx, from, errs[i].msg + said_of(errs[i].msg, t.v[l]));
		else
			fn(ctx, -1, errs[i].msg);
		free(errs[i].msg);
	}
	free(errs);
	free(text);
	lines_free(&t);
	return nerrs;
}

/* A problem of loy-init's --set, as "--set KEY='VALUE': what is wrong". */
static void
set_error(void *ctx, int i, const char *what)
{
	char *const *set = ctx;
	const char *eq = i >= 0 ? strchr(set[i], '=') : NULL;

	if (!eq)
		loy_error("--set makes a programme that is not valid: %s", what);
	else
		loy_error("--set %.*s='%s': %s", (int)(eq - set[i]), set[i], eq + 1, what);
}

int
programme_check_set(char *const *set, int nset)
{
	return programme_check_settings(set, nset, 0, set_error, (void *)set) ? -1 : 0;
}

/* ---------------------------------------------------------------- summary */

void
programme_summary(const struct programme *p, FILE *f)
{
	static const char *const rounding[] = { "down per line", "down per receipt",
		"nearest per line" };
	static const char *const measure[] = { "spend", "points", "visits" };
	const char *name = programme_setting(p, "programme");
	const char *cur = programme_setting(p, "currency");
	char m[32];
	int bonus = 0, mult = 0, excl = 0;

	for (int i = 0; i < p->nrules; i++) {
		bonus += p->rules[i].effect == EFFECT_BONUS;
		mult += p->rules[i].effect == EFFECT_MULTIPLY;
		excl += p->rules[i].effect == EFFECT_EXCLUDE;
	}
	fprintf(f, "programme: %s\n", name ? name : "Loyalty Club");
	fprintf(f, "currency: %s, %d decimals\n", cur ? cur : "EUR", p->decimals);
	fprintf(f, "earn: %lld point%s per %s, rounded %s\n", (long long)p->earn.points,
	    p->earn.points == 1 ? "" : "s",
	    money_format(p->earn.per, p->decimals, m), rounding[p->earn.rounding]);
	fprintf(f, "rules: %d (%d multiply, %d bonus, %d exclude)\n", p->nrules, mult, bonus,
	    excl);
	fprintf(f, "events: %d\n", p->nevents);
	fprintf(f, "tiers: %d", p->tiers.n);
	for (int i = 0; i < p->tiers.n; i++) {
		fprintf(f, "%s%s", i ? ", " : " (", p->tiers.v[i].name);
		if (p->tiers.v[i].threshold >= 0 && p->tiers.measure == MEASURE_SPEND)
			fprintf(f, " %s", money_format(p->tiers.v[i].threshold, p->decimals, m));
		else if (p->tiers.v[i].threshold >= 0)
			fprintf(f, " %lld", (long long)p->tiers.v[i].threshold);
		if (i == p->tiers.n - 1)
			fprintf(f, p->tiers.v[i].threshold >= 0 ? "; by %s)" : ")",
			    measure[p->tiers.measure]);
	}
	fprintf(f, "\n");
	switch (p->expiry.policy) {
	case EXPIRY_NEVER:
		fprintf(f, "expiry: never\n");
		break;
	case EXPIRY_MONTHS:
		fprintf(f, "expiry: %d months after earning\n", p->expiry.months);
		break;
	case EXPIRY_YEAR_END:
		fprintf(f, "expiry: end of the %d%s calendar year after earning\n",
		    p->expiry.years, p->expiry.years == 1 ? "st" : p->expiry.years == 2 ? "nd" :
		    p->expiry.years == 3 ? "rd" : "th");
		break;
	case EXPIRY_ROLLING:
		fprintf(f, "expiry: %d months after the member's last activity\n",
		    p->expiry.months);
		break;
	}
}
