#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

const char *loy_progname = "loy";

void
loy_setprogname(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	loy_progname = slash ? slash + 1 : argv0;
}

static void
vwarn(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", loy_progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
loy_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

int
loy_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	return -1;
}

void
loy_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(code);
}

void *
loy_xmalloc(unsigned long n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		loy_die(71, "out of memory");
	return p;
}

void *
loy_xrealloc(void *p, unsigned long n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		loy_die(71, "out of memory");
	return p;
}

char *
loy_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(loy_xmalloc(n), s, n);
}
