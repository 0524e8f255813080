/* loy-check: verify the ledger's invariants. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "csvio.h"
#include "diag.h"
#include "ledger.h"

static const char usage[] = "loy-check [-qV] [-d ledger] [--busy-timeout seconds] [--safe-cells]\n"
    "                 [--table | --tsv]";
static const char help[] =
    "Verify the ledger's invariants and print each violation as a row:\n"
    "invariant, subject, detail.  Exits 0 when there are none.\n"
    "\n"
    "  -d, --db FILE            ledger (default $LOY_DB, else ./loyalty.db)\n"
    "      --busy-timeout SECS  wait this long for a migrating writer (default 60)\n"
    "  -q, --quiet              print nothing, only the exit status\n"
    "      --safe-cells         neutralise spreadsheet formulas in the output\n"
    "      --table              aligned columns for a terminal\n"
    "      --tsv                write TSV\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "See loy-check(1).\n";

struct shown {
	struct csvio_writer *out;
	int tty;		/* the invariant being checked is shown on stderr */
};

static int
print_violation(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct shown *s = ctx;

	if (s->out) {
		loy_progress_clear();
		for (int i = 0; i < ncols; i++)
			csvio_put(s->out, row ? row[i] : cols[i]);
		csvio_end(s->out);
		if (s->tty)
			fflush(stdout);
	}
	return 0;
}

/* On a terminal: the invariant being checked, over the last one shown. */
static void
show_step(void *ctx, const char *name, int i, int n)
{
	(void)ctx;
	loy_progress("%s (%d of %d)", name, i, n);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_OPTS_LEDGER,
		{ "quiet", no_argument, 0, 'q' },
		CLI_OPTS_OUTPUT,
		{ "tsv", no_argument, 0, CLI_OPT_TSV },
		CLI_OPTS_END
	};
	struct cli cli;
	struct ledger *l;
	struct shown shown = { NULL, 0 };
	int opt, quiet = 0, status, n;

	loy_setprogname(argv[0]);
	cli_init(&cli, usage, help);
	while ((opt = getopt_long(argc, argv, "d:hqV", longopts, NULL)) != -1) {
		if (opt == 'q')
			quiet = 1;
		else if (!cli_option(&cli, opt, optarg))
			cli_usage(&cli);
	}
	cli_env_check();
	if (optind != argc) {
		loy_warn("'%s': loy-check reads no input and takes no operands", argv[optind]);
		cli_usage(&cli);
	}
	cli_one_format(&cli);
	if (!(l = ledger_open(cli.db, cli.busy_timeout, &status)))
		return status;
	if (!quiet)
		shown.out = csvio_writer(stdout, cli_format(&cli), cli.safe_cells);
	shown.tty = !quiet && isatty(STDERR_FILENO);
	if (quiet)
		loy_progress_off();
	if (ledger_begin_read(l) < 0)
		n = -1;
	else
		n = ledger_check(l, print_violation, &shown, shown.tty ? show_step : NULL);
	loy_progress_clear();
	status = n < 0 ? ledger_status(l) : n > 0 ? LOY_EX_DATAERR : 0;
	ledger_rollback(l);
	if (shown.out && cli_writer_done(shown.out) != 0 && !status)
		status = LOY_EX_IOERR;
	if (n > 0 && !quiet)
		loy_warn("ledger '%s': %d violation%s", cli.db, n, n == 1 ? "" : "s");
	ledger_close(l);
	return status;
}
