#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "money.h"
#include "utf8.h"

const char *loy_progname = "loy";

static time_t started;		/* when the program started */

void
loy_setprogname(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	loy_progname = slash ? slash + 1 : argv0;
	started = time(NULL);
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

/* ---------------------------------------------------------------- progress */

static int tty = -1;		/* is stderr a terminal (-1: not yet asked) */
static int off;			/* loy_progress_off */
static int shown;		/* a progress line is on it */
static char said[256];		/* what loy_progress last drew, if shown */
static time_t said_at, drawn;	/* when that was, when a line was last drawn */

void
loy_progress_clear(void)
{
	if (shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		shown = 0;
	}
	said[0] = '\0';
}

static void
draw(time_t now, const char *fmt, ...)
{
	static int registered;
	va_list ap;

	if (!registered++)
		atexit(loy_progress_clear);
	fprintf(stderr, "\r%s: ", loy_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
	shown = 1;
	drawn = now;
}

void
loy_progress_off(void)
{
	off = 1;
}

void
loy_progress(const char *fmt, ...)
{
	va_list ap;

	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	if (!tty || off)
		return;
	va_start(ap, fmt);
	vsnprintf(said, sizeof(said), fmt, ap);
	va_end(ap);
	said_at = time(NULL);
	draw(said_at, "%s", said);
}

long
loy_progress_after(void)
{
	const char *env = getenv("LOY_PROGRESS_AFTER");
	long long v;

	if (!env || !*env)
		return 2;
	if (money_whole_parse(env, &v) != 0 || v < 0 || v > LOY_PROGRESS_AFTER_MAX)
		return -1;
	return (long)v;
}

void
loy_progress_working(void)
{
	static long after = -1;
	static int on;
	time_t now;
	long secs;

	if (after < 0) {
		if ((after = loy_progress_after()) < 0)
			after = 2;
		on = isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO);
	}
	if (!on || off)
		return;
	now = time(NULL);
	secs = (long)(now - started);
	if (secs < after || now == drawn || (said[0] && now - said_at < 2))
		return;
	if (said[0])
		draw(now, "%s, %ld s", said, secs);
	else
		draw(now, "working, %ld s", secs);
}

/* ---------------------------------------------------------------- held */

static FILE *held;		/* loy_warn_hold: messages wait here */
static long long held_size;	/* the bytes of them written whole */
static int held_errno;		/* why they could not all be held */

void
loy_warn_hold(FILE *f)
{
	held = f;
	held_size = 0;
	held_errno = 0;
	/* a message a write, as to standard error: what a full disk refuses
	 * is that message, never some of the ones before it */
	setvbuf(f, NULL, _IONBF, 0);
}

int
loy_warn_held_error(void)
{
	return held_errno;
}

int
loy_warn_release(int show)
{
	FILE *f = held;
	char buf[65536];
	long long left = held_size;
	size_t n;
	int rc = 0;

	if (!f)
		return 0;
	held = NULL;
	if (!show)
		return 0;
	if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
		rc = -1;
	/* what was held whole: not a message a failed write left part of */
	while (rc == 0 && left > 0 && (n = fread(buf, 1, left < (long long)sizeof(buf) ?
	    (size_t)left : sizeof(buf), f)) > 0) {
		left -= (long long)n;
		if (fwrite(buf, 1, n, stderr) != n)
			rc = -1;
	}
	if (ferror(f))
		rc = -1;
	fflush(stderr);
	return rc;
}

/* C0 controls and DEL but the personal-data marks, taken out before */
#define CONTROLS "\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f" \
    "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x7f"

static void
vwarn(const char *fmt, va_list ap)
{
	const char *show = getenv("LOY_SHOW_PERSONAL");
	char *msg = NULL;

	fflush(stdout);
	loy_progress_clear();
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
	if (msg && (strpbrk(msg, CONTROLS) || utf8_has_c1(msg))) {
		/* one message, one line: a value's line break or escape
		 * sequence is shown, not acted on */
		char *out = loy_xmalloc(4 * strlen(msg) + 1), *w = out;

		for (const unsigned char *r = (unsigned char *)msg; *r; r++) {
			if (*r == '\n' || *r == '\r' || *r == '\t') {
				*w++ = '\\';
				*w++ = *r == '\n' ? 'n' : *r == '\r' ? 'r' : 't';
			} else if (*r < 0x20 || *r == 0x7f)
				w += sprintf(w, "\\x%02x", *r);
			else if (utf8_is_c1(r)) {
				w += sprintf(w, "\\x%02x\\x%02x", r[0], r[1]);
				r++;
			} else
				*w++ = *r;
		}
		*w = '\0';
		free(msg);
		msg = out;
	}
	if (held) {
		int n = fprintf(held, "%s: %s\n", loy_progname, msg ? msg : fmt);

		if (n >= 0)
			held_size += n;
		else {
			/* the file can hold no more (a full TMPDIR): what it
			 * holds is said now, and from here on each message as
			 * it comes, so that none is lost or out of its order */
			held_errno = errno ? errno : EIO;
			loy_warn_release(1);
		}
	}
	if (!held)
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

	loy_warn_release(1);	/* what waited, before the last word */
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

char *
loy_xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		return loy_xstrdup("");
	s = loy_xmalloc((size_t)k + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)k + 1, fmt, ap);
	va_end(ap);
	return s;
}

const char *
loy_operator(char *buf, size_t size)
{
	const char *env = getenv("LOY_OPERATOR");
	struct passwd *pw;

	if (env && *env)
		return env;
	if ((pw = getpwuid(getuid())) && pw->pw_name && *pw->pw_name &&
	    (size_t)snprintf(buf, size, "%s", pw->pw_name) < size)
		return buf;
	snprintf(buf, size, "uid %lu", (unsigned long)getuid());
	return buf;
}
