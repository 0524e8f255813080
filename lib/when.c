#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* strptime, tm_gmtoff */
#endif
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "when.h"

#define YEAR_MIN	1000
#define YEAR_MAX	9999

/* A broken-down date or datetime as read, before conversion to local time. */
struct stamp {
	int	 y, mo, d, h, mi, s;
	int	 hastime;
	int	 haszone;
	long	 off;		/* seconds east of UTC, if haszone */
	int	 yy;		/* the year was read without its century (%y) */
};

/* Fields strptime(3) filled in for a format. */
enum {
	F_YEAR = 1 << 0,
	F_MON = 1 << 1,
	F_MDAY = 1 << 2,
	F_HOUR = 1 << 3,
	F_MIN = 1 << 4,
	F_SEC = 1 << 5,
	F_ZONE = 1 << 6
};

/* The fields the last format filled in, so each row needs one strptime. */
static struct {
	char		fmt[128];
	unsigned int	set;
	int		packed;
	int		yy;
	int		valid;
} fcache;

static char fmtwhy[192];

/* What is wrong, into fmtwhy for *why: -1. */
static int
said(const char **why, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(fmtwhy, sizeof(fmtwhy), f, ap);
	va_end(ap);
	*why = fmtwhy;
	return -1;
}

static int
isleap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int y, int m)
{
	static const int n[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && isleap(y) ? 29 : n[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n digits at *pp into *v. */
static int
num(const char **pp, int n, int *v)
{
	const char *p = *pp;
	int x = 0;

	for (; n > 0; n--, p++) {
		if (!isdig(*p))
			return -1;
		x = x * 10 + (*p - '0');
	}
	*v = x;
	*pp = p;
	return 0;
}

static int
lit(const char **pp, char c)
{
	if (**pp != c)
		return -1;
	(*pp)++;
	return 0;
}

/*
 * ISO 8601 syntax: YYYY-MM-DD[(T|t| )HH:MM[:SS[.fff]][Z|(+|-)HH[[:]MM]]].
 * Checks the shape only; ranges are checked by valid().
 */
static int
parse_iso(const char *s, struct stamp *t)
{
	const char *p = s;
	int zh, zm = 0, sign;

	memset(t, 0, sizeof(*t));
	if (num(&p, 4, &t->y) || lit(&p, '-') || num(&p, 2, &t->mo) ||
	    lit(&p, '-') || num(&p, 2, &t->d))
		return -1;
	if (*p == '\0')
		return 0;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	t->hastime = 1;
	if (num(&p, 2, &t->h) || lit(&p, ':') || num(&p, 2, &t->mi))
		return -1;
	if (*p == ':') {
		p++;
		if (num(&p, 2, &t->s))
			return -1;
		if (*p == '.') {
			p++;
			if (!isdig(*p))
				return -1;
			while (isdig(*p))
				p++;	/* fractional seconds are truncated */
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
		t->haszone = 1;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (num(&p, 2, &zh))
			return -1;
		if (*p == ':') {
			p++;
			if (num(&p, 2, &zm))
				return -1;
		} else if (isdig(*p) && num(&p, 2, &zm))
			return -1;
		if (zh > 23 || zm > 59)
			return -1;
		t->haszone = 1;
		t->off = sign * (zh * 3600L + zm * 60L);
	}
	return *p == '\0' ? 0 : -1;
}

static int
valid(const struct stamp *t, const char **why)
{
	if (t->mo < 1 || t->mo > 12 || t->d < 1 || t->d > mdays(t->y, t->mo)) {
		*why = "is not a valid date";
		return -1;
	}
	if (t->y < YEAR_MIN || t->y > YEAR_MAX) {
		*why = "is out of range: loy keeps the years 1000 to 9999";
		return -1;
	}
	/* Leap seconds (:60) are refused, so stored text always computes. */
	if (t->h < 0 || t->h > 23 || t->mi < 0 || t->mi > 59 || t->s < 0 ||
	    t->s > 59) {
		*why = "is not a valid time";
		return -1;
	}
	return 0;
}

static void
tminit(struct tm *tm, int alt)
{
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = 100 + alt;
	tm->tm_mon = alt;
	tm->tm_mday = 1 + alt;
	tm->tm_hour = alt;
	tm->tm_min = alt;
	tm->tm_sec = alt;
	tm->tm_gmtoff = alt;
	tm->tm_isdst = -1;
}

/* Fields equal after two parses from different starting values were set. */
static unsigned int
fields_set(const struct tm *a, const struct tm *b)
{
	unsigned int set = 0;

	set |= a->tm_year == b->tm_year ? F_YEAR : 0;
	set |= a->tm_mon == b->tm_mon ? F_MON : 0;
	set |= a->tm_mday == b->tm_mday ? F_MDAY : 0;
	set |= a->tm_hour == b->tm_hour ? F_HOUR : 0;
	set |= a->tm_min == b->tm_min ? F_MIN : 0;
	set |= a->tm_sec == b->tm_sec ? F_SEC : 0;
	set |= a->tm_gmtoff == b->tm_gmtoff ? F_ZONE : 0;
	return set;
}

static int
matched(const char *s, const char *fmt, struct tm *tm)
{
	const char *e;

	e = strptime(s, fmt, tm);
	return e != NULL && *e == '\0';
}

/* A conversion that reads a number, and the width the format writes it at. */
static int
number_width(const char *conv)
{
	if (conv[0] != '%' || !conv[1] || !strchr("CdHIjmMSyY", conv[1]))
		return 0;
	return conv[1] == 'Y' ? 4 : conv[1] == 'j' ? 3 : 2;
}

/* The length of the conversion (flags, width, E or O, letter) or the one
 * character of literal text at p; 0 for a conversion cut short. */
static size_t
token(const char *p)
{
	const char *c = p + 1;

	if (*p != '%')
		return 1;
	c += strspn(c, "-_0^#");
	c += strspn(c, "0123456789");
	c += *c == 'E' || *c == 'O';
	return *c ? (size_t)(c - p + 1) : 0;
}

/*
 * Whether a format puts two numbers side by side (%Y%m%d, %H%M).
 * strptime(3) reads each number as far as it may, so "2026113" would pass
 * for 2026-11-03 under %Y%m%d though it could as well be the 13th of
 * January: such a number is read only at its full width, as the format
 * writes it (full_width), whatever else the format has (a time after a
 * space, %z, %p, %b).
 */
static int
packed(const char *fmt)
{
	int prev = 0;

	for (const char *p = fmt; *p;) {
		size_t n = token(p);
		int num;

		if (!n)
			return 0;
		num = number_width(p) > 0 && n == 2;
		if (num && prev)
			return 1;
		prev = num;
		p += n;
	}
	return 0;
}

/* Whether s, read by fmt one conversion at a time, has each number that
 * stands side by side with another at its full width, in digits alone. */
static int
full_width(const char *s, const char *fmt)
{
	const char *p = fmt, *q = s, *e;
	int prev = 0;

	while (*p) {
		size_t n = token(p);
		char one[16];
		struct tm tm;
		int num, next, w;

		if (!n || n >= sizeof(one))
			return 0;
		memcpy(one, p, n);
		one[n] = '\0';
		w = n == 2 ? number_width(one) : 0;
		num = w > 0;
		next = p[n] && token(p + n) == 2 && number_width(p + n) > 0;
		tminit(&tm, 0);
		if (!(e = strptime(q, one, &tm)))
			return 0;
		if (num && (prev || next)) {
			if (e - q != w)
				return 0;
			for (const char *d = q; d < e; d++)
				if (*d < '0' || *d > '9')
					return 0;
		}
		prev = num;
		q = e;
		p += n;
	}
	return *q == '\0';
}

/* Does a format read the year without its century (%y, %D, %Ey): a date
 * in 1934 written with it by strftime(3) reads back in 2034, as strptime(3)
 * puts 00 to 68 in the 2000s and 69 to 99 in the 1900s. */
static int
century_less(const char *fmt)
{
	struct tm sample = { .tm_year = 34, .tm_mon = 10, .tm_mday = 23, .tm_hour = 13,
		.tm_min = 45, .tm_sec = 56 };
	struct tm a;
	time_t tt = timegm(&sample);
	char buf[512];

	gmtime_r(&tt, &sample);	/* the week day and the day of the year */
	sample.tm_zone = "UTC";
	tminit(&a, 0);
	return strftime(buf, sizeof(buf), fmt, &sample) != 0 && matched(buf, fmt, &a) &&
	    a.tm_year != sample.tm_year;
}

/*
 * strptime(3) leaves fields it does not convert untouched, so which ones
 * a format sets is found by parsing twice from different starting values;
 * the answer depends only on the format and is remembered for the next row.
 */
static int
parse_fmt(const char *s, const char *fmt, struct stamp *t)
{
	struct tm a, b;
	unsigned int set;
	int pack, yy;

	tminit(&a, 0);
	if (!matched(s, fmt, &a))
		return -1;
	if (fcache.valid && strcmp(fcache.fmt, fmt) == 0) {
		set = fcache.set;
		pack = fcache.packed;
		yy = fcache.yy;
	} else {
		tminit(&b, 1);
		if (!matched(s, fmt, &b))
			return -1;
		set = fields_set(&a, &b);
		pack = packed(fmt);
		yy = century_less(fmt);
		if (strlen(fmt) < sizeof(fcache.fmt)) {
			strcpy(fcache.fmt, fmt);
			fcache.set = set;
			fcache.packed = pack;
			fcache.yy = yy;
			fcache.valid = 1;
		}
	}
	if ((set & (F_YEAR | F_MON | F_MDAY)) != (F_YEAR | F_MON | F_MDAY))
		return -1;
	if (pack && !full_width(s, fmt))
		return -1;
	memset(t, 0, sizeof(*t));
	t->y = a.tm_year + 1900;
	t->mo = a.tm_mon + 1;
	t->d = a.tm_mday;
	/* Fields the format does not set are still 0 from tminit(&a, 0). */
	t->h = a.tm_hour;
	t->mi = a.tm_min;
	t->s = a.tm_sec;
	t->hastime = (set & (F_HOUR | F_MIN | F_SEC)) != 0;
	t->haszone = (set & F_ZONE) != 0;
	t->off = a.tm_gmtoff;
	t->yy = yy;
	return 0;
}

/*
 * Which of the year, month and day a strptime(3) format reads, found as
 * parse_fmt finds it: a sample time is written with the format by
 * strftime(3), read back from two starting values, and the fields that
 * come back the same both times are the ones the format sets.
 */
#define MUST_GIVE "a date format must give the year (%%Y or %%y), the month (%%m or %%b)" \
	" and the day (%%d)"

int
when_format_check(const char *fmt, const char **why)
{
	static const char *const missing[8] = {
		"", "year", "month", "year or month", "day", "year or day", "month or day",
		"year, month or day"
	};
	struct tm sample = { .tm_year = 134, .tm_mon = 10, .tm_mday = 23, .tm_hour = 13,
		.tm_min = 45, .tm_sec = 56 };
	struct tm a, b;
	time_t tt = timegm(&sample);
	char buf[512];
	unsigned int set, lack;

	gmtime_r(&tt, &sample);	/* the week day and the day of the year */
	sample.tm_zone = "UTC";
	if (!*fmt)
		return said(why, "is empty: " MUST_GIVE);
	for (const char *p = fmt; *p; p++) {
		const char *c;
		char one[16], out[64];
		size_t n;

		if (*p != '%')
			continue;
		/* a conversion as strptime reads it: flags, width, E or O, letter */
		if ((n = token(p)) == 0)
			return said(why, "ends in '%s', which is not a conversion", p);
		c = p + n - 1;
		snprintf(one, sizeof(one), "%.*s", (int)(c - p + 1), p);
		/* strptime(3) skips a zone name without using it: the time
		 * would be read as the programme's local time, silently */
		if (*c == 'Z')
			return said(why, "has '%.*s', a time zone name, which strptime(3) reads "
			    "and ignores: give the UTC offset with %%z", (int)(c - p + 1), p);
		tminit(&a, 0);
		if (c - p + 1 >= (int)sizeof(one) || strftime(out, sizeof(out), one, &sample) == 0 ||
		    !matched(out, one, &a))
			return said(why, "has '%.*s', which strptime(3) does not read",
			    (int)(c - p + 1), p);
		p = c;
	}
	tminit(&a, 0);
	tminit(&b, 1);
	if (strftime(buf, sizeof(buf), fmt, &sample) == 0 || !matched(buf, fmt, &a) ||
	    !matched(buf, fmt, &b))
		return said(why, "cannot read back what it writes");
	set = fields_set(&a, &b);
	lack = (set & F_YEAR ? 0 : 1) | (set & F_MON ? 0 : 2) | (set & F_MDAY ? 0 : 4);
	if (lack)
		return said(why, "gives no %s: " MUST_GIVE, missing[lack]);
	if (a.tm_year != sample.tm_year || a.tm_mon != sample.tm_mon ||
	    a.tm_mday != sample.tm_mday)
		return said(why, "reads the date 2034-11-23 back as another");
	return 0;
}

/*
 * The date part of a format that gives a time of day too: the format up
 * to the end of its last conversion before the first that reads a time
 * or an offset, "%d.%m.%Y" of "%d.%m.%Y %H:%M", so that a date alone (a
 * birthday) can be read in the file's own way of writing dates.  NULL
 * when the format reads no time, or what comes before its time gives no
 * year, month and day (a time first, %c, %s); kept for the next row.
 */
static const char *
date_part(const char *fmt)
{
	static struct {
		char fmt[128], part[128];
		int has, valid;
	} dc;
	const char *p, *end = fmt, *why;
	int timed = 0;

	if (dc.valid && strcmp(dc.fmt, fmt) == 0)
		return dc.has ? dc.part : NULL;
	if (strlen(fmt) >= sizeof(dc.fmt))
		return NULL;
	for (p = fmt; *p && !timed; p++) {
		const char *c;
		size_t n;

		if (*p != '%')
			continue;
		if ((n = token(p)) == 0)
			break;
		c = p + n - 1;
		if (strchr("HIklMSpPrRTXzcs+", *c))
			timed = 1;
		else if (*c != '%' && *c != 'n' && *c != 't')
			end = c + 1;
		p = c;
	}
	strcpy(dc.fmt, fmt);
	dc.valid = 1;
	dc.has = timed && end > fmt;
	if (dc.has) {
		memcpy(dc.part, fmt, (size_t)(end - fmt));
		dc.part[end - fmt] = '\0';
		dc.has = when_format_check(dc.part, &why) == 0;
	}
	return dc.has ? dc.part : NULL;
}

/* Convert a valid stamp with an explicit UTC offset to local time (TZ). */
static int
to_local(struct stamp *t)
{
	struct tm lt;
	long long secs;
	time_t tt;

	secs = days_from_civil(t->y, t->mo, t->d) * 86400LL +
	    t->h * 3600LL + t->mi * 60LL + t->s - t->off;
	tt = (time_t)secs;
	tzset();
	if (localtime_r(&tt, &lt) == NULL)
		return -1;
	t->y = lt.tm_year + 1900;
	t->mo = lt.tm_mon + 1;
	t->d = lt.tm_mday;
	t->h = lt.tm_hour;
	t->mi = lt.tm_min;
	t->s = lt.tm_sec > 59 ? 59 : lt.tm_sec;
	t->haszone = 0;
	t->off = 0;
	return t->y < YEAR_MIN || t->y > YEAR_MAX ? -1 : 0;
}

static char *
put(char *p, int v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS". */
static void
format(const struct stamp *t, int want, char *out)
{
	char *p = out;

	p = put(p, t->y, 4);
	*p++ = '-';
	p = put(p, t->mo, 2);
	*p++ = '-';
	p = put(p, t->d, 2);
	if (want == WHEN_DATETIME) {
		*p++ = ' ';
		p = put(p, t->h, 2);
		*p++ = ':';
		p = put(p, t->mi, 2);
		*p++ = ':';
		p = put(p, t->s, 2);
	}
	*p = '\0';
}

/*
 * A value with a UTC offset is converted to local time (TZ); one without
 * is local already.  *why reads after the quoted value: "is not an ISO
 * 8601 date" (or "datetime"), "does not match date format '%d/%m/%Y'",
 * "is not a valid date", "is not a valid time", "is not a date" (it has
 * a time of day), "is out of range: loy keeps the years 1000 to 9999"
 * (before or after a UTC offset is converted).
 * The format message lives in a static buffer, valid until the next call.
 */
int
when_parse(const char *s, const char *fmt, int want, char out[static 20],
    const char **why)
{
	struct stamp t;
	int past = (want & WHEN_PAST) != 0;
	const char *kind;

	want &= ~WHEN_PAST;
	kind = want == WHEN_DATE ? "date" : "datetime";
	if (want != WHEN_DATE && want != WHEN_DATETIME && want != WHEN_END) {
		*why = "cannot be read: unknown kind of date";
		return -1;
	}
	if (fmt == NULL) {
		if (parse_iso(s, &t) == -1) {
			*why = want == WHEN_DATE ? "is not an ISO 8601 date" :
			    "is not an ISO 8601 datetime";
			return -1;
		}
	} else if (parse_fmt(s, fmt, &t) == -1) {
		/* a date alone, written as the format writes its date: a
		 * birthday, or a day where a time may be (its first second,
		 * or an end's last), as in ISO 8601 */
		const char *part = date_part(fmt);

		if (!part || parse_fmt(s, part, &t) == -1)
			return said(why, "does not match %s format '%s'", kind,
			    part && want == WHEN_DATE ? part : fmt);
	}
	if (valid(&t, why) == -1)
		return -1;
	if (want == WHEN_DATE && t.hastime) {
		*why = "is not a date";
		return -1;
	}
	/* a date never in the future, its year of two digits: 12/03/65 is
	 * 1965, not the 2065 strptime(3) reads (strptime's 00 to 68 are in
	 * the 2000s), and one after today is in the century before, when it
	 * has that day (29/02/00 ahead of today stays 2000-02-29, in the
	 * future: 1900 had no 29 February) */
	if (past && t.yy && want == WHEN_DATE) {
		char today[11], d[20];
		const char *no;

		when_today(today);
		format(&t, WHEN_DATE, d);
		if (strcmp(d, today) > 0) {
			t.y -= 100;
			if (valid(&t, &no) == -1)
				t.y += 100;
		}
	}
	/* an end given as a day: its last second, where its offset says */
	if (want == WHEN_END && !t.hastime) {
		t.h = 23;
		t.mi = 59;
		t.s = 59;
	}
	/* a date is the day written: its offset (a --date-format with %z
	 * read for a birthday as for a time) moves no day to another */
	if (t.haszone && want != WHEN_DATE && to_local(&t) == -1) {
		*why = "is out of range: loy keeps the years 1000 to 9999";
		return -1;
	}
	format(&t, want == WHEN_DATE ? WHEN_DATE : WHEN_DATETIME, out);
	return 0;
}

int
when_now_check(const char **why)
{
	const char *env = getenv("LOY_NOW");
	char out[20];

	if (env == NULL || *env == '\0')
		return 0;
	return when_parse(env, NULL, WHEN_DATETIME, out, why) == 0 ? 0 : -1;
}

/* An invalid $LOY_NOW, which the programs refuse as they start
 * (cli_init, when_now_check), is passed over for the clock. */
void
when_now(char out[static 20])
{
	const char *env, *why;
	struct stamp t;
	struct tm lt;
	time_t now;

	env = getenv("LOY_NOW");
	if (env != NULL && *env != '\0' &&
	    when_parse(env, NULL, WHEN_DATETIME, out, &why) == 0)
		return;
	memset(&t, 0, sizeof(t));
	now = time(NULL);
	tzset();
	if (localtime_r(&now, &lt) == NULL) {
		strcpy(out, "1970-01-01 00:00:00");
		return;
	}
	t.y = lt.tm_year + 1900;
	t.mo = lt.tm_mon + 1;
	t.d = lt.tm_mday;
	t.h = lt.tm_hour;
	t.mi = lt.tm_min;
	t.s = lt.tm_sec > 59 ? 59 : lt.tm_sec;
	format(&t, WHEN_DATETIME, out);
}

void
when_today(char out[static 11])
{
	char now[20];

	when_now(now);
	memcpy(out, now, 10);
	out[10] = '\0';
}

/* A normalized "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS", valid. */
static int
parse_norm(const char *s, struct stamp *t)
{
	const char *why;
	size_t n = strlen(s);

	if (n != 10 && (n != 19 || s[10] != ' '))
		return -1;
	if (parse_iso(s, t) == -1 || valid(t, &why) == -1)
		return -1;
	return 0;
}

int
when_add_months(const char *in, int n, char out[static 20])
{
	struct stamp t;
	long long m;
	int dim;

	if (parse_norm(in, &t) == -1)
		return -1;
	m = (long long)t.y * 12 + (t.mo - 1) + n;
	if (m < YEAR_MIN * 12LL || m > YEAR_MAX * 12LL + 11)
		return -1;
	t.y = (int)(m / 12);
	t.mo = (int)(m % 12) + 1;
	dim = mdays(t.y, t.mo);
	if (t.d > dim)
		t.d = dim;
	format(&t, t.hastime ? WHEN_DATETIME : WHEN_DATE, out);
	return 0;
}

/* Days since the epoch of the "YYYY-MM-DD" that starts s. */
static int
day_number(const char *s, long long *days)
{
	struct stamp t;
	const char *p = s, *why;

	memset(&t, 0, sizeof(t));
	if (num(&p, 4, &t.y) || lit(&p, '-') || num(&p, 2, &t.mo) ||
	    lit(&p, '-') || num(&p, 2, &t.d))
		return -1;
	if (*p != '\0' && *p != ' ' && *p != 'T')
		return -1;
	if (valid(&t, &why) == -1)
		return -1;
	*days = days_from_civil(t.y, t.mo, t.d);
	return 0;
}

long
when_days_between(const char *a, const char *b)
{
	long long da, db;

	if (day_number(a, &da) == -1 || day_number(b, &db) == -1)
		return LONG_MIN;
	return (long)(db - da);
}

int
when_add_hours(const char *in, long n, char out[static 20])
{
	struct tm tm = { 0 };
	time_t t;

	if (sscanf(in, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) < 3)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm) + (time_t)n * 3600;	/* wall-clock arithmetic, no zone */
	/* past the years loy keeps (1000-9999): the nearest end, and -1 */
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > YEAR_MAX || tm.tm_year + 1900 < YEAR_MIN) {
		strcpy(out, n > 0 ? "9999-12-31 23:59:59" : "1000-01-01 00:00:00");
		return -1;
	}
	strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
	return 0;
}
