#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "pattern.h"

struct pattern {
	pcre2_code *code;
	pcre2_match_data *md;
};

struct pattern *
pattern_compile(const char *re, char *err, size_t errsize)
{
	struct pattern *p;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int code;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, &code, &off, NULL);

	if (!c) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errsize, "%s at offset %zu", (char *)msg, (size_t)off);
		return NULL;
	}
	pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);	/* falls back to the interpreter */
	p = loy_xmalloc(sizeof(*p));
	p->code = c;
	p->md = pcre2_match_data_create_from_pattern(c, NULL);
	if (!p->md)
		loy_die(71, "out of memory");
	return p;
}

int
pattern_match(struct pattern *p, const char *s, size_t n)
{
	int rc = pcre2_match(p->code, (PCRE2_SPTR)s, n, 0, 0, p->md, NULL);

	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

void
pattern_free(struct pattern *p)
{
	if (!p)
		return;
	pcre2_match_data_free(p->md);
	pcre2_code_free(p->code);
	free(p);
}
