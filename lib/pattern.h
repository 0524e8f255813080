/* pattern: PCRE2 patterns for validation and programme rules. */
#ifndef LOY_PATTERN_H
#define LOY_PATTERN_H

#include <stddef.h>

struct pattern;

/* Compile (UTF, JIT where available).  NULL on error, with PCRE2's message
 * and the offset in `err` ("missing closing parenthesis at offset 4"). */
struct pattern *pattern_compile(const char *re, char *err, size_t errsize);
/* 1 match, 0 no match, -1 when PCRE2 gave up before it knew (its match
 * limit: a pattern that backtracks without end on a long value). */
int pattern_match(struct pattern *p, const char *s, size_t n);
void pattern_free(struct pattern *p);

#endif
