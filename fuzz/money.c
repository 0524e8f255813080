/*
 * fuzz/money: the exact decimal parsers of lib/money.c against a plain
 * reference written here in 128-bit arithmetic.  The first input byte
 * picks the decimals (0..3) and a quantity; the rest, up to a NUL, is the
 * text.  Properties:
 *   - money_parse and decimal_parse accept exactly [+-]digits[.digits]
 *     with at least one digit, the significant decimals within bounds and
 *     the magnitude within MONEY_MAX, and give the reference's value;
 *   - money_format prints what money_parse reads back as the same value;
 *   - money_mul_round is qty * mant / 10^scale rounded half away from
 *     zero, or refuses only what does not fit in 64 bits.
 */
#include <stdint.h>

#include "money.h"
#include "driver.h"

static void
fuzz_init(void)
{
}

/* Reference: 1 ok (value, significant decimals in *sig), 0 not a decimal. */
static int
ref_parse(const char *s, __int128 *ip, __int128 *fp, int *nfrac, int *sig, int *neg,
    int *big)
{
	const char *p = s;
	int ndig = 0, lead = 1, intdig = 0;

	*ip = *fp = 0;
	*nfrac = *sig = *neg = *big = 0;
	if (*p == '+' || *p == '-')
		*neg = *p++ == '-';
	for (; *p >= '0' && *p <= '9'; p++, ndig++) {
		if (lead && *p == '0')
			continue;
		lead = 0;
		if (++intdig > 25)
			*big = 1;
		else
			*ip = *ip * 10 + (*p - '0');
	}
	if (*p == '.') {
		const char *f = ++p, *last;

		while (*p >= '0' && *p <= '9')
			p++, ndig++;
		last = p;
		while (last > f && last[-1] == '0')
			last--;
		*sig = (int)(last - f);
		for (const char *q = f; q < last && *nfrac < 30; q++, (*nfrac)++)
			*fp = *fp * 10 + (*q - '0');
	}
	return *p == '\0' && ndig > 0;
}

static __int128
p10(int n)
{
	__int128 v = 1;

	while (n-- > 0)
		v *= 10;
	return v;
}

static void
check_money(const char *s, int decimals)
{
	__int128 ip, fp, want = 0;
	int nfrac, sig, neg, big, ok;
	int64_t v;
	const char *why = NULL;
	char buf[32];

	ok = ref_parse(s, &ip, &fp, &nfrac, &sig, &neg, &big) && sig <= decimals;
	if (ok && !big) {
		want = ip * p10(decimals) + fp * p10(decimals - nfrac);
		ok = want <= MONEY_MAX;
		if (neg)
			want = -want;
	} else
		ok = 0;
	int got = money_parse(s, decimals, &v, &why);

	FUZZ_ASSERT((got == 0) == ok);
	if (got != 0) {
		FUZZ_ASSERT(why != NULL && *why);
		return;
	}
	FUZZ_ASSERT(v == want);
	money_format(v, decimals, buf);
	int64_t back;

	FUZZ_ASSERT(money_parse(buf, decimals, &back, &why) == 0 && back == v);
}

static void
check_decimal(const char *s, int64_t qty, int decimals)
{
	__int128 ip, fp, want = 0, p, q, div, r;
	int nfrac, sig, neg, big, ok, scale;
	int64_t mant, out;
	const char *why = NULL;

	ok = ref_parse(s, &ip, &fp, &nfrac, &sig, &neg, &big) && sig <= 9 && !big;
	if (ok) {
		want = ip * p10(sig) + fp;
		ok = want <= MONEY_MAX;
		if (neg)
			want = -want;
	}
	int got = decimal_parse(s, &mant, &scale, &why);

	FUZZ_ASSERT((got == 0) == ok);
	if (got != 0)
		return;
	FUZZ_ASSERT(mant == want && scale == sig);
	/* qty * mant / 10^scale at `decimals`, half away from zero */
	p = (__int128)qty * mant;
	if (scale <= decimals)
		q = p * p10(decimals - scale);
	else {
		div = p10(scale - decimals);
		q = p / div;
		r = p % div;
		if (r < 0)
			r = -r;
		if (2 * r >= div)
			q += p < 0 ? -1 : 1;
	}
	ok = q >= INT64_MIN && q <= INT64_MAX;
	got = money_mul_round(qty, mant, scale, decimals, &out);
	FUZZ_ASSERT((got == 0) == ok);
	if (got == 0)
		FUZZ_ASSERT(out == q);
}

static void
fuzz_one(const unsigned char *data, size_t len)
{
	static const int64_t qtys[] = { 1, -1, 3, 7, 1000000, -250, INT64_MAX, INT64_MIN };
	char s[128];
	size_t n;

	if (len < 1)
		return;
	n = len - 1 < sizeof(s) - 1 ? len - 1 : sizeof(s) - 1;
	memcpy(s, data + 1, n);
	s[n] = '\0';
	check_money(s, data[0] & 3);
	check_decimal(s, qtys[(data[0] >> 2) & 7], data[0] & 3);
}
