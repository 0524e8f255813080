/* diag: messages on standard error, prefixed with the program's name. */
#ifndef LOY_DIAG_H
#define LOY_DIAG_H

#include <stdio.h>

extern const char *loy_progname;

/* The program's name for messages, from argv[0].  Also opens /dev/null on
 * a standard descriptor the program was started without (`<&-`, `>&-`),
 * the wrong way round: reading a closed standard input then fails, and so
 * does writing a closed output, as they would have, where a file opened
 * later (the ledger's own, or /dev/null for reading) took its number. */
void loy_setprogname(const char *argv0);
/* Personal data in a message (a phone, an e-mail, a birthday) goes between
 * these marks, as in "phone '" LOY_PII("%s") "' does not match": on
 * standard error it reads "***" unless $LOY_SHOW_PERSONAL is set (not to
 * "0"); loy_pii_strip() takes the marks out of text meant for files. */
#define LOY_PII_OPEN "\x1e"
#define LOY_PII_CLOSE "\x1f"
#define LOY_PII(fmt) LOY_PII_OPEN fmt LOY_PII_CLOSE
void loy_pii_strip(char *s);

/* Who runs the program, as the run's record keeps it: $LOY_OPERATOR, else
 * the login name of the real user (in buf), else "uid N".  What the
 * environment says, not a proof: an audit aid. */
const char *loy_operator(char *buf, size_t size);

/*
 * Progress, only when standard error is a terminal: one line, "prog: ...",
 * drawn again in place, and cleared before any message (loy_warn and the
 * rest) and at exit.  loy_progress draws it; loy_progress_working, called
 * from the ledger while SQLite works, adds the seconds since the program
 * started to a line that has stood for two seconds ("prog: ..., 12 s"), or
 * draws "prog: working, 12 s" where none is shown, once the program has
 * run $LOY_PROGRESS_AFTER seconds (default 2), unless standard output is
 * the terminal too (its rows show the work there); loy_progress_clear
 * takes the line away; after loy_progress_off (a --quiet run) nothing is
 * drawn.
 */
void loy_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void loy_progress_working(void);
void loy_progress_clear(void);
void loy_progress_off(void);
/* $LOY_PROGRESS_AFTER's seconds, from 0 to LOY_PROGRESS_AFTER_MAX, read as
 * a whole number in a cell is read; 2 when it is unset or empty, -1 when
 * it is not such a number (the programs refuse it as they start). */
#define LOY_PROGRESS_AFTER_MAX 86400
long loy_progress_after(void);

/* "prog: message" on stderr. */
void loy_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same as loy_warn; returns -1 so callers can write `return loy_error(...)`. */
int loy_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Messages held back: from loy_warn_hold on, loy_warn and the rest write
 * to f (a temporary file) instead of standard error, until
 * loy_warn_release shows them there in their order (show: 0 or -1 when
 * they could not be read back or written) or, show 0, drops them; a run
 * taken again from its start says nothing twice.  loy_die shows them
 * first. */
void loy_warn_hold(FILE *f);
int loy_warn_release(int show);
/* Whether every message since loy_warn_hold could be held: 0, or the errno
 * value of the write f refused (a full disk), from which on they were shown
 * as they came, after those held before; a run that would be taken again
 * cannot be, its messages said once. */
int loy_warn_held_error(void);
/* Print and exit with `code`. */
void loy_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* malloc family that die with EX_OSERR-style status 71 on exhaustion. */
void *loy_xmalloc(unsigned long n);
void *loy_xrealloc(void *p, unsigned long n);
char *loy_xstrdup(const char *s);
/* What printf would print, allocated whole however long (loy_xmalloc). */
char *loy_xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
