/* loy-accrue: POS lines into points, each receipt exactly once. */
#include <stdlib.h>

#include "accrue.h"
#include "cli.h"
#include "diag.h"
#include "earn.h"
#include "ledger.h"

static const char usage[] =
    "loy-accrue [-nV] [-d ledger] [--busy-timeout seconds] [--auto-enroll]\n"
    "                  [--date-format fmt] [--map field=column,...] [--rejects file]\n"
    "                  [--safe-cells] [--table] [--tsv] [file ...]\n"
    "       loy-accrue [-n] [-d ledger] [--busy-timeout seconds]\n"
    "                  [--map field=column,...] [--rejects file]\n"
    "                  [--safe-cells] [--table] [--tsv] --adjust [file ...]\n"
    "       loy-accrue [-n] [-d ledger] [--busy-timeout seconds] [--date-format fmt]\n"
    "                  [--map field=column,...]\n"
    "                  [--safe-cells] [--table] [--tsv] --opening [file ...]\n"
    "       loy-accrue [-n] [-d ledger] [--busy-timeout seconds] [--date-format fmt]\n"
    "                  [--map field=column,...] [--rejects file]\n"
    "                  [--safe-cells] [--table] [--tsv] --events [file ...]\n"
    "       loy-accrue [-d ledger] [--busy-timeout seconds] [--safe-cells]\n"
    "                  [--table | --tsv] --explain member=ID | receipt=TXN | entry=N";
static const char help[] =
    "Credit points for the receipts in POS files (or standard input) and print\n"
    "one row per receipt: txn_id, member_id, occurred_at, amount, points,\n"
    "status (credited, pending, returned, bonus, anonymous, duplicate; with\n"
    "--rejects, conflict and rejected), detail.\n"
    "\n"
    "  -d, --db FILE            ledger (default $LOY_DB, else ./loyalty.db)\n"
    "      --adjust             read manual credits: member_id, points, reason, ref\n"
    "      --auto-enroll        enrol members the ledger does not know yet\n"
    "      --busy-timeout SECS  wait this long for another writer (default 60)\n"
    "      --date-format FMT    strptime(3) format of occurred_at\n"
    "  -n, --dry-run            do all the work, commit nothing\n"
    "      --events             read events: event_id, member_id, event, occurred_at\n"
    "      --explain WHAT       print each point of member=ID, receipt=TXN or entry=N\n"
    "                           with the rule and programme version that gave it\n"
    "      --map FIELD=COLUMN   read FIELD from the file's COLUMN (repeatable)\n"
    "      --opening            read opening balances: member_id, points, earned_at,\n"
    "                           expires_at\n"
    "      --rejects FILE       set bad rows aside in FILE and commit the rest\n"
    "      --safe-cells         neutralise spreadsheet formulas in the output\n"
    "      --table              write aligned columns for a terminal\n"
    "      --tsv                read and write TSV\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "\n"
    "Fields: txn_id member_id card phone email occurred_at store sku category\n"
    "qty amount unit_price channel line orig_txn description.\n"
    "See loy-accrue(1).\n";

enum { OPT_ADJUST = CLI_OPT_PROGRAM_FIRST, OPT_AUTO, OPT_EVENTS, OPT_EXPLAIN, OPT_OPENING };

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_OPTS_LEDGER, CLI_OPTS_INPUT, CLI_OPTS_OUTPUT,
		{ "adjust", no_argument, 0, OPT_ADJUST },
		{ "auto-enroll", no_argument, 0, OPT_AUTO },
		{ "events", no_argument, 0, OPT_EVENTS },
		{ "explain", required_argument, 0, OPT_EXPLAIN },
		{ "opening", no_argument, 0, OPT_OPENING },
		CLI_OPTS_END
	};
	struct cli cli;
	struct ledger *l;
	char *args = cli_args(argc, argv);	/* before getopt permutes argv */
	int opt, status, adjust = 0, opening = 0, autoenroll = 0, events = 0;
	const char *explain = NULL;

	loy_setprogname(argv[0]);
	cli_init(&cli, usage, help);
	while ((opt = getopt_long(argc, argv, "d:hnV", longopts, NULL)) != -1) {
		if (opt == OPT_ADJUST)
			adjust = 1;
		else if (opt == OPT_AUTO)
			autoenroll = 1;
		else if (opt == OPT_OPENING)
			opening = 1;
		else if (opt == OPT_EVENTS)
			events = 1;
		else if (opt == OPT_EXPLAIN)
			explain = optarg;
		else if (!cli_option(&cli, opt, optarg))
			cli_usage(&cli);
	}
	cli_env_check();
	if (accrue_env_check() < 0)
		exit(LOY_EX_USAGE);
	if (adjust + opening + autoenroll + events + !!explain > 1) {
		loy_warn("--adjust, --opening, --auto-enroll, --events and --explain go alone: "
		    "give one of them");
		cli_usage(&cli);
	}
	/* a manual credit is at the time of the run: no date is read */
	if (adjust && cli_date_format_unread(cli.date_format, "--adjust", NULL))
		cli_usage(&cli);
	if (opening && cli.rejects) {
		/* a member's lots are taken once: a row set aside could not follow */
		loy_warn("--opening takes no --rejects: opening balances land whole or not at "
		    "all (correct the rows listed and run it again)");
		cli_usage(&cli);
	}
	argc -= optind;
	argv += optind;
	if (explain && argc > 0) {
		loy_warn("--explain takes no files");
		cli_usage(&cli);
	}
	if (explain && (cli.dry_run || cli.rejects || cli.nmap || cli.date_format)) {
		/* it reads the ledger alone, and writes nothing */
		loy_warn("--explain reads no input and writes nothing: it takes neither -n, "
		    "--rejects, --map nor --date-format");
		cli_usage(&cli);
	}
	if (explain)
		cli_one_format(&cli);	/* no input to read as TSV: output alone */
	if (!(l = ledger_open(cli.db, cli.busy_timeout, &status))) {
		free(args);
		cli_free(&cli);
		return status;
	}
	if (adjust)
		status = accrue_adjust(&cli, l, argc, argv, args);
	else if (opening)
		status = accrue_opening(&cli, l, argc, argv, args);
	else if (events)
		status = earn_events(&cli, l, argc, argv, args);
	else if (explain)
		status = earn_explain(&cli, l, explain);
	else
		status = accrue_receipts(&cli, l, autoenroll, argc, argv, args);
	ledger_close(l);
	free(args);
	cli_free(&cli);
	return status;
}
