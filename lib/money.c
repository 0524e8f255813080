#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"

#define MONEY_MAXDEC	3	/* money_parse: 0 (JPY) .. 3 (KWD) */
#define DECIMAL_MAXDEC	9	/* decimal_parse: unit prices */

static const char *const toomany[DECIMAL_MAXDEC + 1] = {
	"is not a whole number",
	"has more than 1 decimal",
	"has more than 2 decimals",
	"has more than 3 decimals",
	"has more than 4 decimals",
	"has more than 5 decimals",
	"has more than 6 decimals",
	"has more than 7 decimals",
	"has more than 8 decimals",
	"has more than 9 decimals",
};

static const int64_t p10[2 * DECIMAL_MAXDEC + 1] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000, 100000000000, 1000000000000, 10000000000000,
	100000000000000, 1000000000000000, 10000000000000000,
	100000000000000000, 1000000000000000000,
};

/* A syntactically valid decimal: sign, integer digits, fraction digits. */
struct dec {
	int		 neg;
	const char	*ip, *ie;	/* integer digits [ip, ie) */
	const char	*fp, *fe;	/* fraction digits, trailing 0s cut */
};

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Split s into sign, integer and fraction digits; trailing zeros of the
 * fraction are dropped.  Rejects everything but [+-]digits[.digits] with
 * at least one digit and more than `maxdec` significant decimals.
 */
static int
split(const char *s, int maxdec, struct dec *d, const char **why)
{
	const char *p = s;

	d->neg = 0;
	if (*p == '-' || *p == '+')
		d->neg = *p++ == '-';
	d->ip = p;
	while (isdig(*p))
		p++;
	d->ie = p;
	d->fp = d->fe = p;
	if (*p == '.') {
		d->fp = ++p;
		while (isdig(*p))
			p++;
		d->fe = p;
	}
	if (*p != '\0' || (d->ie == d->ip && d->fe == d->fp)) {
		*why = "is not a decimal number";
		return -1;
	}
	while (d->fe > d->fp && d->fe[-1] == '0')
		d->fe--;
	if (d->fe - d->fp > maxdec) {
		*why = toomany[maxdec];
		return -1;
	}
	return 0;
}

/* *v = *v * 10 + each digit of [p, e), then * 10^zeros, staying <= lim. */
static int
accum(uint64_t *v, const char *p, const char *e, int zeros, uint64_t lim)
{
	unsigned int dig;

	for (; p < e; p++) {
		dig = (unsigned int)(*p - '0');
		if (*v > (lim - dig) / 10)
			return -1;
		*v = *v * 10 + dig;
	}
	for (; zeros > 0; zeros--) {
		if (*v > lim / 10)
			return -1;
		*v *= 10;
	}
	return 0;
}

/* Magnitude mag with sign neg as int64 (mag <= 2^63 when neg). */
static int64_t
signed_of(uint64_t mag, int neg)
{
	if (!neg)
		return (int64_t)mag;
	if (mag == (uint64_t)INT64_MAX + 1)
		return INT64_MIN;
	return -(int64_t)mag;
}

static int
build(const struct dec *d, int pad, int64_t *out, const char **why)
{
	uint64_t lim = MONEY_MAX;	/* symmetric, and far from int64's edge */
	uint64_t mag = 0;

	if (accum(&mag, d->ip, d->ie, 0, lim) == -1 ||
	    accum(&mag, d->fp, d->fe, pad, lim) == -1) {
		*why = "is too large";
		return -1;
	}
	*out = signed_of(mag, d->neg);
	return 0;
}

/*
 * [+-]digits[.digits], at least one digit, nothing around it.  Fraction
 * digits past `decimals` must be zeros.  *why reads after the quoted
 * value: "is not a decimal number", "has more than 2 decimals" ("is not
 * a whole number" for 0 decimals), "is too large".
 */
int
money_parse(const char *s, int decimals, int64_t *out, const char **why)
{
	struct dec d;

	if (decimals < 0 || decimals > MONEY_MAXDEC) {
		*why = "cannot be read: unsupported number of decimals";
		return -1;
	}
	if (split(s, decimals, &d, why) == -1)
		return -1;
	return build(&d, decimals - (int)(d.fe - d.fp), out, why);
}

/* [+-]digits and nothing else: strtoll(3) would skip white space first. */
int
money_whole_parse(const char *s, long long *out)
{
	char *end;

	if (!isdig(s[*s == '+' || *s == '-']))
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (*end)
		return -1;
	return errno == ERANGE ? -2 : 0;
}

/* As money_parse, up to 9 decimals; trailing fraction zeros are dropped. */
int
decimal_parse(const char *s, int64_t *mant, int *scale, const char **why)
{
	struct dec d;

	if (split(s, DECIMAL_MAXDEC, &d, why) == -1)
		return -1;
	if (build(&d, 0, mant, why) == -1)
		return -1;
	*scale = (int)(d.fe - d.fp);
	return 0;
}

/*
 * qty * mant/10^scale in `decimals` places, rounded half away from zero,
 * in 128 bits: -1 for a scale or decimals out of range, or past 128 bits.
 * The product is exact in 128 bits, so only the result can overflow.
 * scale may be up to 18: a quantity and a price of up to 9 decimals each.
 */
static int
mul_round(int64_t qty, int64_t mant, int scale, int decimals, __int128 *out)
{
	__int128 p, r, div;

	if (scale < 0 || scale > 2 * DECIMAL_MAXDEC || decimals < 0 ||
	    decimals > DECIMAL_MAXDEC)
		return -1;
	p = (__int128)qty * mant;	/* |p| <= 2^126: cannot overflow */
	if (scale <= decimals)
		return __builtin_mul_overflow(p, (__int128)p10[decimals - scale], out) ? -1 : 0;
	div = p10[scale - decimals];
	r = p % div;		/* same sign as p */
	*out = p / div;		/* truncates toward zero */
	if (r < 0)
		r = -r;
	if (2 * r >= div)
		*out += p < 0 ? -1 : 1;
	return 0;
}

int
money_mul_round(int64_t qty, int64_t mant, int scale, int decimals,
    int64_t *out)
{
	__int128 q;

	if (mul_round(qty, mant, scale, decimals, &q) < 0 || q > INT64_MAX || q < INT64_MIN)
		return -1;
	*out = (int64_t)q;
	return 0;
}

int
money_mul_round_wide(int64_t qty, int64_t mant, int scale, int decimals, __int128 *out)
{
	if (mant > MONEY_MAX || mant < -MONEY_MAX)
		return -1;
	return mul_round(qty, mant, scale, decimals, out);
}

/* The nd digits of a magnitude, lowest first (room for `decimals` + 1 of
 * them), written into buf as text: '-' if negative, exactly `decimals`
 * places (0..9). */
static char *
place(char *buf, char *digits, size_t nd, int decimals, int negative)
{
	char *p = buf;

	if (decimals < 0)
		decimals = 0;
	if (decimals > DECIMAL_MAXDEC)
		decimals = DECIMAL_MAXDEC;
	while (nd < (size_t)decimals + 1)
		digits[nd++] = '0';
	if (negative)
		*p++ = '-';
	for (size_t i = nd; i > 0; i--) {
		if (i == (size_t)decimals && decimals > 0)
			*p++ = '.';
		*p++ = digits[i - 1];
	}
	*p = '\0';
	return buf;
}

char *
money_format_wide(__int128 v, int decimals, char buf[static 48])
{
	char digits[48];
	unsigned __int128 mag;
	size_t nd = 0;

	mag = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
	do {
		digits[nd++] = (char)('0' + (int)(mag % 10));
		mag /= 10;
	} while (mag != 0);
	return place(buf, digits, nd, decimals, v < 0);
}

/* Plain digits, '-' if negative, exactly `decimals` places (0..9). */
char *
money_format(int64_t v, int decimals, char buf[static 32])
{
	char digits[24];
	uint64_t mag;
	size_t nd = 0;

	mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		digits[nd++] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag != 0);
	return place(buf, digits, nd, decimals, v < 0);
}

__int128
money_gcd(__int128 a, __int128 b)
{
	while (b) {
		__int128 t = a % b;

		a = b;
		b = t;
	}
	return a;
}
