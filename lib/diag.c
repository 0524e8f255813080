#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

const char *loy_progname = "loy";

void
loy_setprogname(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	loy_progname = slash ? slash + 1 : argv0;
	for (int fd = 0; fd <= 2; fd++) {
		int nul;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* the lowest free number: fd itself */
		nul = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (nul >= 0 && nul != fd)
			close(nul);
	}
}

void
loy_pii_strip(char *s)
{
	char *w = s;

	for (; *s; s++)
		if (*s != LOY_PII_OPEN[0] && *s != LOY_PII_CLOSE[0])
			*w++ = *s;
	*w = '\0';
}

static void
vwarn(const char *fmt, va_list ap)
{
	const char *show = getenv("LOY_SHOW_PERSONAL");
	char *msg = NULL;

	fflush(stdout);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (msg && show && *show && strcmp(show, "0"))
		loy_pii_strip(msg);
	else if (msg && strpbrk(msg, LOY_PII_OPEN LOY_PII_CLOSE)) {
		/* each marked value reads *** */
		char *out = loy_xmalloc(3 * strlen(msg) + 1), *w = out;
		int in = 0;

		for (const char *r = msg; *r; r++) {
			if (*r == LOY_PII_OPEN[0] && !in) {
				in = 1;
				w = stpcpy(w, "***");
			} else if (*r == LOY_PII_CLOSE[0])
				in = 0;
			else if (!in && *r != LOY_PII_OPEN[0])
				*w++ = *r;
		}
		*w = '\0';
		free(msg);
		msg = out;
	}
	fprintf(stderr, "%s: %s\n", loy_progname, msg ? msg : fmt);
	free(msg);
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
