/* money: exact decimal money as integer minor units, never through a float. */
#ifndef LOY_MONEY_H
#define LOY_MONEY_H

/* The largest magnitude loy reads as money (minor units) or as a decimal
 * mantissa, and the most points one receipt or credit may carry: far
 * enough from int64's edge that sums of them cannot overflow. */
#define MONEY_MAX 1000000000000000LL	/* 10^15 */
#define POINTS_MAX 1000000000000LL	/* 10^12 */

#include <stdint.h>

/* Decimal text to minor units with 0..3 decimals; -1 and *why on error. */
int money_parse(const char *s, int decimals, int64_t *out, const char **why);
/* A whole number as text, [+-]digits and nothing else, into *out: 0; -1
 * when s is not one (strtoll(3) alone takes white space before it, a line
 * break or a CR of the field among it), -2 past a long long. */
int money_whole_parse(const char *s, long long *out);
/* Decimal text to *mant / 10^*scale, scale 0..9; -1 and *why on error. */
int decimal_parse(const char *s, int64_t *mant, int *scale, const char **why);
/* qty * mant/10^scale (scale 0..18) rounded half away from zero; -1 on
 * overflow. */
int money_mul_round(int64_t qty, int64_t mant, int scale, int decimals,
    int64_t *out);
/* As money_mul_round, in 128 bits: the exact value of any int64 quantity at
 * any price decimal_parse reads in a currency's 0 to 3 decimals; -1 for a
 * scale or decimals out of range, or a result past 128 bits. */
int money_mul_round_wide(int64_t qty, int64_t mant, int scale, int decimals,
    __int128 *out);
/* The greatest common divisor of a and b, for exact fractions (a multiplier's
 * and a receipt's shares): |gcd|, b's sign aside, 0 only for (0, 0). */
__int128 money_gcd(__int128 a, __int128 b);
/* Minor units as text: (-1234, 2) -> "-12.34"; returns buf. */
char *money_format(int64_t v, int decimals, char buf[static 32]);
/* As money_format, for a figure past int64: a value or a share of sums. */
char *money_format_wide(__int128 v, int decimals, char buf[static 48]);

#endif
