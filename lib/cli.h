/* cli: options and exit statuses shared by every loy program. */
#ifndef LOY_CLI_H
#define LOY_CLI_H

#include <getopt.h>
#include <sysexits.h>

#ifndef LOY_VERSION
#define LOY_VERSION "0.1.0"
#endif

/* Exit statuses (see every man page's EXIT STATUS). */
enum {
	LOY_EX_OK = 0,
	LOY_EX_SETASIDE = 1,		/* some rows were set aside with --rejects */
	LOY_EX_USAGE = EX_USAGE,	/* 64 */
	LOY_EX_DATAERR = EX_DATAERR,	/* 65: bad input, nothing committed */
	LOY_EX_NOINPUT = EX_NOINPUT,	/* 66: input or ledger missing or unusable */
	LOY_EX_SOFTWARE = EX_SOFTWARE,	/* 70: internal error */
	LOY_EX_NOMEM = EX_OSERR,	/* 71: out of memory */
	LOY_EX_IOERR = EX_IOERR,	/* 74 */
	LOY_EX_BUSY = EX_TEMPFAIL,	/* 75: ledger busy past the wait */
};

/* Long-only option codes shared by the programs. */
enum {
	CLI_OPT_BUSY = 0x100,
	CLI_OPT_DATEFMT,
	CLI_OPT_MAP,
	CLI_OPT_REJECTS,
	CLI_OPT_SAFE,
	CLI_OPT_TABLE,
	CLI_OPT_TSV,
	CLI_OPT_PROGRAM_FIRST = 0x200	/* a program's own long options */
};

#define CLI_OPTS_LEDGER \
	{ "busy-timeout", required_argument, 0, CLI_OPT_BUSY }, \
	{ "db", required_argument, 0, 'd' }, \
	{ "help", no_argument, 0, 'h' }, \
	{ "version", no_argument, 0, 'V' }
#define CLI_OPTS_INPUT \
	{ "date-format", required_argument, 0, CLI_OPT_DATEFMT }, \
	{ "dry-run", no_argument, 0, 'n' }, \
	{ "map", required_argument, 0, CLI_OPT_MAP }, \
	{ "rejects", required_argument, 0, CLI_OPT_REJECTS }, \
	{ "tsv", no_argument, 0, CLI_OPT_TSV }
#define CLI_OPTS_OUTPUT \
	{ "safe-cells", no_argument, 0, CLI_OPT_SAFE }, \
	{ "table", no_argument, 0, CLI_OPT_TABLE }
#define CLI_OPTS_END { 0, 0, 0, 0 }

struct cli_map {
	char *field;
	char *column;
};

struct cli {
	const char *db;			/* -d, else $LOY_DB, else ./loyalty.db */
	int busy_timeout;		/* seconds */
	int dry_run;
	int tsv;
	int table;		/* --table: aligned output (input stays CSV/TSV) */
	int safe_cells;
	const char *date_format;
	const char *rejects;
	struct cli_map *map;
	int nmap;
	const char *usage;		/* one line, without "usage: " */
	const char *help;		/* the rest of --help */
};

/* Defaults: db from $LOY_DB or ./loyalty.db, busy timeout 60 s. */
void cli_init(struct cli *c, const char *usage, const char *help);
/* After the options, before anything else: the environment a run reads
 * (LOY_OPERATOR, LOY_NOW, LOY_PROGRESS_AFTER), each value refused with
 * exit 64 when it cannot be used; --help and --version, done by then,
 * need none of it. */
void cli_env_check(void);
/* Handle an option every program shares; returns 1 if it was one, 0 if not.
 * Exits for --help, --version and bad values. */
int cli_option(struct cli *c, int opt, const char *arg);
/* One usage line and a hint on stderr, exit 64. */
void cli_usage(const struct cli *c) __attribute__((noreturn));
/* Parse a whole number in [lo, hi], read as money_whole_parse reads one
 * ("+5" and "-0" are numbers, " 5" and "5 " are not), or exit 64 naming
 * the option. */
long cli_number(const struct cli *c, const char *opt, const char *arg, long lo, long hi);
/* arg, the free text of option opt (--reason), or exit 64 when it holds a
 * control character free text may not (utf8_text_has_control): "--reason
 * 'a\x1bb' has a control character". */
const char *cli_text(const struct cli *c, const char *opt, const char *arg);
/* --date-format (date_format, NULL when not given) where the run reads no
 * date in it: "MODE reads no dates: it takes no --date-format" when `opts`
 * is NULL (the mode never reads one), else "--date-format is the format of
 * OPTS: give it" (or "give one" of several), for a mode that reads only
 * the dates of options OPTS and was given none.  Returns LOY_EX_USAGE after
 * the message, 0 when no --date-format was given; the caller prints the
 * usage or returns the status. */
int cli_date_format_unread(const char *date_format, const char *mode, const char *opts);
/* The column a field is mapped to by --map, or the field's own name. */
const char *cli_column(const struct cli *c, const char *field);
/* The output format: CSVIO_CSV, CSVIO_TSV or CSVIO_TABLE. */
int cli_format(const struct cli *c);
/* For output alone: --table and --tsv are one at a time (a usage error). */
void cli_one_format(const struct cli *c);
/* Check that every --map names one of `fields` (NULL-terminated); exit 64 if not. */
void cli_check_map(const struct cli *c, const char *const *fields);
/* Free what options allocated (--map). */
void cli_free(struct cli *c);

struct csvio_writer;
/* The end of a program's output: standard output (or a CSV writer over
 * it, closed here) written out, 0; or, when it cannot be (a full disk, a
 * closed pipe), "cannot write the output: REASON" and LOY_EX_IOERR. */
int cli_output_done(void);
int cli_writer_done(struct csvio_writer *w);
/* That message, for the errno value `e`; returns LOY_EX_IOERR. */
int cli_output_failed(int e);
/* Before a writer commits: whether `size` bytes can go to descriptor fd
 * (standard output, or where --rejects streams), as far as can be told
 * without writing any of it.  0, or the errno value of why not: fd closed
 * or open only for reading, a device that refuses writes (/dev/full), a file
 * whose file system has not the room (on Linux the room is reserved, the
 * file's size unchanged). */
int cli_fd_ready(int fd, long long size);
/* argv joined with shell quoting, for the run record; caller frees. */
char *cli_args(int argc, char **argv);

#endif
