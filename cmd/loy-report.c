/* loy-report: the numbers an operator and finance ask for. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csvio.h"
#include "diag.h"
#include "ledger.h"
#include "report.h"

static const char usage[] =
    "loy-report [-V] [-d ledger] [--busy-timeout seconds] [--from date]\n"
    "                  [--to date] [--by period] [--date-format fmt]\n"
    "                  [--per store|channel|category|rule] [--lots | --tiers]\n"
    "                  [--safe-cells] [--json | --table | --tsv]\n"
    "                  report [member | rule]";
static const char help[] =
    "Print a report on the ledger as CSV with a header row, in one read\n"
    "transaction; money as exact decimals.  Reports:\n"
    "\n"
    "  statement MEMBER  the member's entries with the running balance\n"
    "                    (--lots: the open lots and their expiry dates;\n"
    "                    --tiers: the member's tier history)\n"
    "  balances          every member's balance, spendable, pending, last activity\n"
    "  liability         outstanding points and their value by expiry month\n"
    "                    (--by tier: by tier), less the observed breakage\n"
    "  earn-burn         points earned, spent, expired, adjusted by period\n"
    "  breakage          share of earned points that expired, by earning month\n"
    "  tiers             active members and their points by tier (--by, --from,\n"
    "                    --to: upgrades and downgrades per period)\n"
    "  economics         members' share of sales, points' cost against it\n"
    "                    (--per rule: the points each earning rule gave)\n"
    "  promotion RULE    participants' spend against their baseline and a\n"
    "                    control group; incremental spend, return on cost\n"
    "  retention         enrolment-month cohorts purchasing, by months since\n"
    "  referrals         referrers, their referees and the referees' spend\n"
    "  partners          what each partner is owed, by period\n"
    "  redemptions       by reward: redeemed, units, points, members\n"
    "  runs              every run that wrote to the ledger, for audits\n"
    "  html              all of it as one self-contained HTML page\n"
    "\n"
    "  -d, --db FILE            ledger (default $LOY_DB, else ./loyalty.db)\n"
    "      --busy-timeout SECS  wait this long for a migrating writer (default 60)\n"
    "      --by PERIOD          day, week, month, quarter or year (liability: or tier)\n"
    "      --date-format FMT    strptime(3) format of --from and --to\n"
    "      --from DATE          from this day on (YYYY-MM-DD)\n"
    "      --json               write JSON lines\n"
    "      --lots               statement: the open lots\n"
    "      --per DIMENSION      earn-burn: store, channel or category;\n"
    "                           economics: rule\n"
    "      --tiers              statement: the tier history\n"
    "      --safe-cells         neutralise spreadsheet formulas in the output\n"
    "      --table              aligned columns for a terminal\n"
    "      --to DATE            up to and including this day\n"
    "      --tsv                write TSV\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "See loy-report(1).\n";

enum {
	OPT_BY = CLI_OPT_PROGRAM_FIRST, OPT_FROM, OPT_JSON, OPT_LOTS, OPT_PER, OPT_TIERS,
	OPT_TO
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_OPTS_LEDGER, CLI_OPTS_OUTPUT,
		{ "by", required_argument, 0, OPT_BY },
		{ "date-format", required_argument, 0, CLI_OPT_DATEFMT },
		{ "from", required_argument, 0, OPT_FROM },
		{ "json", no_argument, 0, OPT_JSON },
		{ "lots", no_argument, 0, OPT_LOTS },
		{ "per", required_argument, 0, OPT_PER },
		{ "tiers", no_argument, 0, OPT_TIERS },
		{ "to", required_argument, 0, OPT_TO },
		{ "tsv", no_argument, 0, CLI_OPT_TSV },
		CLI_OPTS_END
	};
	struct report_opts o = { 0 };
	struct cli cli;
	struct ledger *l;
	int opt, status, json = 0;

	loy_setprogname(argv[0]);
	cli_init(&cli, usage, help);
	while ((opt = getopt_long(argc, argv, "d:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_BY: o.by = optarg; break;
		case OPT_FROM: o.from = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_LOTS: o.lots = 1; break;
		case OPT_PER: o.per = optarg; break;
		case OPT_TIERS: o.tiers = 1; break;
		case OPT_TO: o.to = optarg; break;
		default:
			if (!cli_option(&cli, opt, optarg))
				cli_usage(&cli);
		}
	}
	cli_env_check();
	argc -= optind;
	argv += optind;
	if (json + cli.table + cli.tsv > 1) {
		loy_warn("--json, --table and --tsv are one at a time");
		cli_usage(&cli);
	}
	if (argc < 1)
		cli_usage(&cli);
	o.format = json ? REPORT_JSON : cli_format(&cli);
	o.safe = cli.safe_cells;
	o.date_format = cli.date_format;
	if (!(l = ledger_open(cli.db, cli.busy_timeout, &status)))
		return status;
	status = report_run(l, &cli, &o, argc, argv);
	ledger_close(l);
	cli_free(&cli);
	return status;
}
