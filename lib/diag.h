/* diag: messages on standard error, prefixed with the program's name. */
#ifndef LOY_DIAG_H
#define LOY_DIAG_H

extern const char *loy_progname;

void loy_setprogname(const char *argv0);
/* "prog: message" on stderr. */
void loy_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same as loy_warn; returns -1 so callers can write `return loy_error(...)`. */
int loy_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print and exit with `code`. */
void loy_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* malloc family that die with EX_OSERR-style status 71 on exhaustion. */
void *loy_xmalloc(unsigned long n);
void *loy_xrealloc(void *p, unsigned long n);
char *loy_xstrdup(const char *s);

#endif
