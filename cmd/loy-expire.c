/* loy-expire: expire points past their date; list points about to expire. */
#include <stdlib.h>

#include "cli.h"
#include "diag.h"
#include "expire.h"
#include "ledger.h"

static const char usage[] =
    "loy-expire [-nV] [-d ledger] [--busy-timeout seconds] [--as-of date]\n"
    "                  [--date-format fmt] [--safe-cells] [--table | --tsv]\n"
    "       loy-expire [-d ledger] [--busy-timeout seconds] --notice days\n"
    "                  [--safe-cells] [--table | --tsv]";
static const char help[] =
    "Expire the points whose lots expire on the --as-of date (default today)\n"
    "or earlier, one journal entry a member, and print member_id, points, lots,\n"
    "as_of.  Running it again, or catching up after missed runs, is exact.\n"
    "With --notice, expire nothing: list the members whose points expire within\n"
    "DAYS days (member_id, name, phone, email, points, first_expiry, status).\n"
    "\n"
    "  -d, --db FILE            ledger (default $LOY_DB, else ./loyalty.db)\n"
    "      --as-of DATE         expire as of this date (not in the future)\n"
    "      --busy-timeout SECS  wait this long for another writer (default 60)\n"
    "      --date-format FMT    strptime(3) format of --as-of\n"
    "  -n, --dry-run            do all the work, commit nothing\n"
    "      --notice DAYS        list points expiring within DAYS days\n"
    "      --safe-cells         neutralise spreadsheet formulas in the output\n"
    "      --table              write aligned columns for a terminal\n"
    "      --tsv                write TSV\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "See loy-expire(1).\n";

enum { OPT_AS_OF = CLI_OPT_PROGRAM_FIRST, OPT_NOTICE };

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_OPTS_LEDGER, CLI_OPTS_OUTPUT,
		{ "as-of", required_argument, 0, OPT_AS_OF },
		{ "date-format", required_argument, 0, CLI_OPT_DATEFMT },
		{ "dry-run", no_argument, 0, 'n' },
		{ "notice", required_argument, 0, OPT_NOTICE },
		{ "tsv", no_argument, 0, CLI_OPT_TSV },
		CLI_OPTS_END
	};
	struct cli cli;
	struct ledger *l;
	const char *as_of = NULL;
	char *args = cli_args(argc, argv);
	long notice = -1;
	int opt, status;

	loy_setprogname(argv[0]);
	cli_init(&cli, usage, help);
	while ((opt = getopt_long(argc, argv, "d:hnV", longopts, NULL)) != -1) {
		if (opt == OPT_AS_OF)
			as_of = optarg;
		else if (opt == OPT_NOTICE)
			notice = cli_number(&cli, "--notice", optarg, 0, 3660);
		else if (!cli_option(&cli, opt, optarg))
			cli_usage(&cli);
	}
	cli_env_check();
	if (notice >= 0 && (as_of || cli.date_format || cli.dry_run)) {
		/* a notice expires nothing: --as-of, its format and --dry-run
		 * have no meaning */
		loy_warn("--notice expires nothing: it takes neither --as-of, "
		    "--date-format nor --dry-run");
		free(args);
		cli_usage(&cli);
	}
	if (!as_of && cli_date_format_unread(cli.date_format, NULL, "--as-of")) {
		free(args);
		cli_usage(&cli);
	}
	if (optind != argc) {
		loy_warn("'%s': loy-expire reads no input and takes no operands", argv[optind]);
		free(args);
		cli_usage(&cli);
	}
	cli_one_format(&cli);
	if (!(l = ledger_open(cli.db, cli.busy_timeout, &status))) {
		free(args);
		return status;
	}
	if (notice >= 0)
		status = expire_notice(&cli, l, notice);
	else
		status = expire_run(&cli, l, as_of, args);
	ledger_close(l);
	free(args);
	return status;
}
