#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "csvio.h"
#include "diag.h"
#include "money.h"
#include "utf8.h"
#include "when.h"

void
cli_init(struct cli *c, const char *usage, const char *help)
{
	const char *env = getenv("LOY_DB");

	memset(c, 0, sizeof(*c));
	c->db = env && *env ? env : "loyalty.db";
	c->busy_timeout = 60;
	c->usage = usage;
	c->help = help;
}

void
cli_env_check(void)
{
	const char *op = getenv("LOY_OPERATOR"), *why;

	/* a name, as the runs report prints it on one line */
	if (op && (utf8_check(op, strlen(op)) != strlen(op) || utf8_has_control(op))) {
		loy_warn("LOY_OPERATOR '%s' is not a name: it has a control character or "
		    "is not UTF-8", op);
		exit(LOY_EX_USAGE);
	}
	/* a clock set for a run, which a typo must not turn into the real one */
	if (when_now_check(&why) < 0) {
		loy_warn("LOY_NOW '%s' %s (such as 2026-11-23 12:00:00; unset LOY_NOW "
		    "for the clock)", getenv("LOY_NOW"), why);
		exit(LOY_EX_USAGE);
	}
	if (loy_progress_after() < 0) {
		loy_warn("LOY_PROGRESS_AFTER '%s' is not a whole number of seconds from 0 to %d",
		    getenv("LOY_PROGRESS_AFTER"), LOY_PROGRESS_AFTER_MAX);
		exit(LOY_EX_USAGE);
	}
}

void
cli_usage(const struct cli *c)
{
	fprintf(stderr, "usage: %s\n", c->usage);
	fprintf(stderr, "Try '%s --help' for more information.\n", loy_progname);
	exit(LOY_EX_USAGE);
}

long
cli_number(const struct cli *c, const char *opt, const char *arg, long lo, long hi)
{
	long long v;

	/* as a whole number in a cell is read: a sign, digits, nothing else
	 * (no blank before the digits, as none after them) */
	if (money_whole_parse(arg, &v) != 0 || v < lo || v > hi) {
		loy_warn("%s '%s' is not a whole number from %ld to %ld", opt, arg, lo, hi);
		cli_usage(c);
	}
	return (long)v;
}

int
cli_date_format_unread(const char *date_format, const char *mode, const char *opts)
{
	if (!date_format)
		return 0;
	if (!opts)
		loy_warn("%s reads no dates: it takes no --date-format", mode);
	else	/* "--as-of", or "--from and --to", "--from, --to and --as-of" */
		loy_warn("--date-format is the format of %s: give %s", opts,
		    strstr(opts, " and ") ? "one" : "it");
	return LOY_EX_USAGE;
}

const char *
cli_text(const struct cli *c, const char *opt, const char *arg)
{
	if (utf8_text_has_control(arg)) {
		loy_warn("%s '%s' has a control character", opt, arg);
		cli_usage(c);
	}
	return arg;
}

/* --map FIELD=COLUMN[,FIELD=COLUMN...]: every pair whole, one comma between
 * two, none before the first or after the last */
static void
add_map(struct cli *c, const char *arg)
{
	char *copy = loy_xstrdup(arg), *item = copy, *next;

	for (; item; item = next) {
		char *eq, *field, *column;

		if ((next = strchr(item, ',')))
			*next++ = '\0';
		if (!*arg) {
			loy_warn("--map '' is empty: give FIELD=COLUMN");
			cli_usage(c);
		}
		if (!*item) {
			loy_warn("--map '%s' has an empty pair: give FIELD=COLUMN pairs with one "
			    "comma between two, none at either end", arg);
			cli_usage(c);
		}
		if (!(eq = strchr(item, '='))) {
			loy_warn("--map '%s' is not FIELD=COLUMN", item);
			cli_usage(c);
		}
		/* names as a header's: spaces and tabs around them are not
		 * part of them ("member_id=No, email=Mail") */
		column = csvio_trim(eq + 1);
		*eq = '\0';
		if (!*(field = csvio_trim(item))) {
			loy_warn("--map '%s=%s' names no field: give FIELD=COLUMN", item, column);
			cli_usage(c);
		}
		if (!*column) {
			loy_warn("--map '%s=%s' names no column: give FIELD=COLUMN", field, eq + 1);
			cli_usage(c);
		}
		item = field;
		/* one column a field: neither the first nor the last may win unseen */
		for (int i = 0; i < c->nmap; i++)
			if (strcasecmp(c->map[i].field, item) == 0 &&
			    strcasecmp(c->map[i].column, column) != 0) {
				loy_warn("--map reads field '%s' from two columns, '%s' and '%s'",
				    item, c->map[i].column, column);
				cli_usage(c);
			}
		c->map = loy_xrealloc(c->map, (c->nmap + 1) * sizeof(*c->map));
		c->map[c->nmap].field = loy_xstrdup(item);
		c->map[c->nmap].column = loy_xstrdup(column);
		c->nmap++;
	}
	free(copy);
}

int
cli_option(struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case 'd':
		if (!*arg) {	/* not a file: loy-init could not make it */
			loy_warn("-d names no ledger: its file name is empty");
			cli_usage(c);
		}
		c->db = arg;
		return 1;
	case 'h':
		printf("usage: %s\n%s", c->usage, c->help ? c->help : "");
		exit(cli_output_done());
	case 'n':
		c->dry_run = 1;
		return 1;
	case 'V':
		printf("%s %s\n", loy_progname, LOY_VERSION);
		exit(cli_output_done());
	case CLI_OPT_BUSY:
		c->busy_timeout = (int)cli_number(c, "--busy-timeout", arg, 0, 86400);
		return 1;
	case CLI_OPT_DATEFMT: {
		const char *why;

		if (when_format_check(arg, &why) < 0) {
			loy_warn("--date-format '%s' %s", arg, why);
			cli_usage(c);
		}
		c->date_format = arg;
		return 1;
	}
	case CLI_OPT_MAP:
		add_map(c, arg);
		return 1;
	case CLI_OPT_REJECTS:
		if (strcmp(arg, "-") == 0) {
			/* standard output carries the run's own rows */
			loy_warn("--rejects '-' names no file: give a file name, or /dev/stderr "
			    "for the rows on standard error");
			cli_usage(c);
		}
		if (!*arg) {	/* no file to put them in: found only after the commit */
			loy_warn("--rejects '' names no file: its file name is empty");
			cli_usage(c);
		}
		c->rejects = arg;
		return 1;
	case CLI_OPT_SAFE:
		c->safe_cells = 1;
		return 1;
	case CLI_OPT_TABLE:
		c->table = 1;
		return 1;
	case CLI_OPT_TSV:
		c->tsv = 1;
		return 1;
	case '?':
		cli_usage(c);
	}
	return 0;
}

void
cli_one_format(const struct cli *c)
{
	if (c->table && c->tsv) {
		loy_warn("--table and --tsv are one at a time");
		cli_usage(c);
	}
}

int
cli_format(const struct cli *c)
{
	return c->table ? CSVIO_TABLE : c->tsv ? CSVIO_TSV : CSVIO_CSV;
}

const char *
cli_column(const struct cli *c, const char *field)
{
	for (int i = 0; i < c->nmap; i++)
		if (strcasecmp(c->map[i].field, field) == 0)
			return c->map[i].column;
	return field;
}

void
cli_check_map(const struct cli *c, const char *const *fields)
{
	for (int i = 0; i < c->nmap; i++) {
		int known = 0;

		for (const char *const *f = fields; *f; f++)
			known |= strcasecmp(*f, c->map[i].field) == 0;
		if (!known) {
			loy_warn("--map names unknown field '%s'", c->map[i].field);
			cli_usage(c);
		}
	}
}

void
cli_free(struct cli *c)
{
	for (int i = 0; i < c->nmap; i++) {
		free(c->map[i].field);
		free(c->map[i].column);
	}
	free(c->map);
	c->map = NULL;
	c->nmap = 0;
}

char *
cli_args(int argc, char **argv)
{
	size_t n = 1;
	char *s, *p;

	for (int i = 0; i < argc; i++)
		n += 4 * strlen(argv[i]) + 3;
	p = s = loy_xmalloc(n);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int plain = *a != '\0';

		for (const char *q = a; *q; q++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-_./=:,+@%", *q))
				plain = 0;
		if (i)
			*p++ = ' ';
		if (plain) {
			p = stpcpy(p, a);
			continue;
		}
		*p++ = '\'';
		for (const char *q = a; *q; q++) {
			if (*q == '\'')
				p = stpcpy(p, "'\\''");
			else
				*p++ = *q;
		}
		*p++ = '\'';
	}
	*p = '\0';
	return s;
}

int
cli_output_done(void)
{
	int e = fflush(stdout) == EOF ? errno : 0;

	if (!e && !ferror(stdout))
		return 0;
	return cli_output_failed(e ? e : EIO);
}

int
cli_writer_done(struct csvio_writer *w)
{
	if (csvio_writer_close(w) == 0)
		return 0;
	return cli_output_failed(errno);
}

int
cli_output_failed(int e)
{
	loy_warn("cannot write the output: %s", strerror(e));
	return LOY_EX_IOERR;
}

int
cli_fd_ready(int fd, long long size)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) != 0 || (fl = fcntl(fd, F_GETFL)) < 0)
		return errno;
	if ((fl & O_ACCMODE) == O_RDONLY)
		return EBADF;
	/* a write of nothing: a device that refuses all writes says so (not a
	 * terminal, which may stop a job in the background for it, lock held) */
	if (S_ISCHR(st.st_mode) && !isatty(fd) && write(fd, "", 0) < 0)
		return errno;
#ifdef FALLOC_FL_KEEP_SIZE
	if (S_ISREG(st.st_mode) && size > 0) {
		off_t at = fl & O_APPEND ? st.st_size : lseek(fd, 0, SEEK_CUR);

		/* a file system that cannot reserve room says nothing either way */
		if (at >= 0 && fallocate(fd, FALLOC_FL_KEEP_SIZE, at, (off_t)size) != 0 &&
		    (errno == ENOSPC || errno == EDQUOT || errno == EFBIG))
			return errno;
	}
#endif
	return 0;
}
