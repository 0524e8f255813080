/* loy-program: check, load and show the programme file; its versions. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "earn.h"
#include "ledger.h"
#include "program.h"

static const char usage[] =
    "loy-program [-V] check file\n"
    "       loy-program [-n] [-d ledger] [--busy-timeout seconds] [--from date]\n"
    "                   [--date-format fmt] [--retroactive]\n"
    "                   [--safe-cells] [--table | --tsv] load file\n"
    "       loy-program [-n] [-d ledger] [--busy-timeout seconds]\n"
    "                   [--safe-cells] [--table | --tsv] apply\n"
    "       loy-program [-d ledger] [--busy-timeout seconds] [--as-of date]\n"
    "                   [--date-format fmt] show\n"
    "       loy-program [-d ledger] [--busy-timeout seconds]\n"
    "                   [--safe-cells] [--table | --tsv] versions\n"
    "       loy-program [-d ledger] [--busy-timeout seconds]\n"
    "                   [--safe-cells] [--table | --tsv] --from date --to date\n"
    "                   [--date-format fmt] what-if file";
static const char help[] =
    "The programme file: settings, earning rules, tiers and expiry (see\n"
    "loy-programme(5)).\n"
    "\n"
    "  check FILE     validate FILE and summarise it (no ledger needed)\n"
    "  load FILE      store FILE as a new version of the programme\n"
    "  apply          write the settings of the version in force now\n"
    "  show           print the version in force, as it was loaded\n"
    "  versions       list the stored versions\n"
    "  what-if FILE   the points FILE would have given over the ledger's receipts\n"
    "                 from --from to --to, per rule, against those given\n"
    "\n"
    "  -d, --db FILE            ledger (default $LOY_DB, else ./loyalty.db)\n"
    "      --as-of DATE         show the version in force then (default now)\n"
    "      --busy-timeout SECS  wait this long for another writer (default 60)\n"
    "      --date-format FMT    strptime(3) format of --from, --to and --as-of\n"
    "  -n, --dry-run            do all the work, commit nothing\n"
    "      --from DATE          load: the new version takes effect then (default\n"
    "                           now); what-if: the period's first day\n"
    "      --retroactive        load a version effective before receipts already\n"
    "                           credited (they keep their points)\n"
    "      --safe-cells         neutralise spreadsheet formulas in the output\n"
    "      --table              write aligned columns for a terminal\n"
    "      --to DATE            what-if: the period's last day\n"
    "      --tsv                write TSV\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "See loy-program(1).\n";

enum { OPT_AS_OF = CLI_OPT_PROGRAM_FIRST, OPT_FROM, OPT_RETROACTIVE, OPT_TO };

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_OPTS_LEDGER, CLI_OPTS_OUTPUT,
		{ "as-of", required_argument, 0, OPT_AS_OF },
		{ "date-format", required_argument, 0, CLI_OPT_DATEFMT },
		{ "dry-run", no_argument, 0, 'n' },
		{ "from", required_argument, 0, OPT_FROM },
		{ "retroactive", no_argument, 0, OPT_RETROACTIVE },
		{ "to", required_argument, 0, OPT_TO },
		{ "tsv", no_argument, 0, CLI_OPT_TSV },
		CLI_OPTS_END
	};
	struct cli cli;
	struct ledger *l;
	const char *as_of = NULL, *from = NULL, *to = NULL, *cmd;
	char *args;
	int opt, status, retroactive = 0, nargs;
	char *given[argc + 1];	/* the command line as typed: getopt permutes argv */

	memcpy(given, argv, (argc + 1) * sizeof(*argv));
	loy_setprogname(argv[0]);
	cli_init(&cli, usage, help);
	while ((opt = getopt_long(argc, argv, "d:hnV", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_AS_OF:
			as_of = optarg;
			break;
		case OPT_FROM:
			from = optarg;
			break;
		case OPT_RETROACTIVE:
			retroactive = 1;
			break;
		case OPT_TO:
			to = optarg;
			break;
		default:
			if (!cli_option(&cli, opt, optarg))
				cli_usage(&cli);
		}
	}
	cli_env_check();
	if (optind >= argc)
		cli_usage(&cli);
	cli_one_format(&cli);
	cmd = argv[optind];
	nargs = argc - optind - 1;
	/* each sub-command: its arguments and the options it takes */
	if (strcmp(cmd, "check") == 0 || strcmp(cmd, "load") == 0 ||
	    strcmp(cmd, "what-if") == 0) {
		if (nargs != 1) {
			loy_warn("%s needs one programme file ('-' for standard input)", cmd);
			cli_usage(&cli);
		}
	} else if (strcmp(cmd, "show") == 0 || strcmp(cmd, "versions") == 0 ||
	    strcmp(cmd, "apply") == 0) {
		if (nargs != 0) {
			loy_warn("%s takes no operands", cmd);
			cli_usage(&cli);
		}
	} else {
		loy_warn("unknown command '%s'", cmd);
		cli_usage(&cli);
	}
	if (cli.dry_run && strcmp(cmd, "load") != 0 && strcmp(cmd, "apply") != 0) {
		loy_warn("%s writes nothing: it takes no -n", cmd);
		cli_usage(&cli);
	}
	if (strcmp(cmd, "what-if") == 0 && (!from || !to)) {
		loy_warn("what-if needs --from and --to");
		cli_usage(&cli);
	}
	if (retroactive && strcmp(cmd, "load") != 0) {
		loy_warn("--retroactive goes with load");
		cli_usage(&cli);
	}
	if (to && strcmp(cmd, "what-if") != 0) {
		loy_warn("--to goes with what-if");
		cli_usage(&cli);
	}
	if ((from || retroactive) && strcmp(cmd, "load") != 0 && strcmp(cmd, "what-if") != 0) {
		loy_warn("--from and --retroactive go with load");
		cli_usage(&cli);
	}
	if (as_of && strcmp(cmd, "show") != 0) {
		loy_warn("--as-of goes with show");
		cli_usage(&cli);
	}
	/* load reads --from with it, show --as-of, what-if --from and --to */
	if (!from && !to && !as_of &&
	    (strcmp(cmd, "load") == 0 ? cli_date_format_unread(cli.date_format, NULL, "--from") :
	    strcmp(cmd, "show") == 0 ? cli_date_format_unread(cli.date_format, NULL, "--as-of") :
	    cli_date_format_unread(cli.date_format, cmd, NULL)))
		cli_usage(&cli);
	if ((cli.tsv || cli.table || cli.safe_cells) &&
	    (strcmp(cmd, "check") == 0 || strcmp(cmd, "show") == 0)) {
		/* a summary and a programme file: text, not a table */
		loy_warn("%s writes no table: --tsv, --table and --safe-cells go with load, apply, "
		    "versions and what-if", cmd);
		cli_usage(&cli);
	}
	if (strcmp(cmd, "check") == 0)
		return program_check(&cli, argv[optind + 1]);
	if (!(l = ledger_open(cli.db, cli.busy_timeout, &status)))
		return status;
	args = cli_args(argc, given);
	if (strcmp(cmd, "load") == 0)
		status = program_load(&cli, l, argv[optind + 1], from, retroactive, args);
	else if (strcmp(cmd, "apply") == 0)
		status = program_apply(&cli, l, args);
	else if (strcmp(cmd, "what-if") == 0)
		status = earn_whatif(&cli, l, argv[optind + 1], from, to);
	else if (strcmp(cmd, "show") == 0)
		status = program_show(&cli, l, as_of);
	else
		status = program_versions(&cli, l);
	free(args);
	ledger_close(l);
	cli_free(&cli);
	return status;
}
