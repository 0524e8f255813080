/* when: dates and datetimes as text in the programme's time zone (TZ). */
#ifndef LOY_WHEN_H
#define LOY_WHEN_H

/* WHEN_END: a datetime, where a date alone is its last second, at the
 * offset read with it when there is one (an end given as a day). */
enum { WHEN_DATE = 1, WHEN_DATETIME = 2, WHEN_END = 3 };
/* Or'ed with WHEN_DATE: a date that is never in the future (a birthday),
 * whose year read without its century (%y) is taken a century earlier
 * when it would lie after today; other dates keep strptime(3)'s 1969 to
 * 2068. */
enum { WHEN_PAST = 8 };

/* ISO 8601 (fmt NULL) or strptime(3) text to local text; -1, *why on error. */
int when_parse(const char *s, const char *fmt, int want, char out[static 20],
    const char **why);
/* Does a strptime(3) format read a date: the year, month and day?  0, or
 * -1 and *why, which reads after the quoted format (a static buffer). */
int when_format_check(const char *fmt, const char **why);
/* Current local datetime, or $LOY_NOW (ISO 8601) if set and valid. */
void when_now(char out[static 20]);
/* Is $LOY_NOW, when set and not empty, a date and time when_now reads?
 * 0, or -1 and *why, which reads after the quoted value. */
int when_now_check(const char **why);
/* Today's local date, or the date of $LOY_NOW if set and valid. */
void when_today(char out[static 11]);
/* Normalized date or datetime plus n months, day clamped; -1 if bad. */
int when_add_months(const char *in, int n, char out[static 20]);
/* Add n hours of the calendar (days of 24 hours, as the wall clock reads
 * them) to a datetime text; out is "YYYY-MM-DD HH:MM:SS".  0 or -1. */
int when_add_hours(const char *in, long n, char out[static 20]);
/* Days from a to b by "YYYY-MM-DD" prefixes; LONG_MIN if either is bad. */
long when_days_between(const char *a, const char *b);

#endif
