/* loy-segment: tiers, value classes, RFM, lapse, lifecycle and lists. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "ledger.h"
#include "segment.h"

static const char usage[] =
    "loy-segment [-nV] [-d ledger] [--busy-timeout seconds] [--as-of date]\n"
    "                   [--date-format fmt] [--apply]\n"
    "                   [--safe-cells] [--table | --tsv] tiers\n"
    "       loy-segment [-n] [-d ledger] [--busy-timeout seconds] [--as-of date]\n"
    "                   [--date-format fmt] [--apply]\n"
    "                   --assign file [--map field=column,...] [--rejects file]\n"
    "                   [--safe-cells] [--table] [--tsv] tiers\n"
    "       loy-segment [-d ledger] [--busy-timeout seconds] [--as-of date]\n"
    "                   [--date-format fmt] [--with-contact]\n"
    "                   [--save name [--replace]] [--safe-cells] [--table | --tsv]\n"
    "                   value [class] | rfm | lapse | lifecycle [state] |\n"
    "                   birthdays [--from date] [--to date] | best N | never-bought |\n"
    "                   referrers [N] | segments [name [member ...]]\n"
    "       loy-segment [-n] [-d ledger] [--busy-timeout seconds] [--as-of date]\n"
    "                   [--date-format fmt]\n"
    "                   [--map field=column,...] [--rejects file] [--replace]\n"
    "                   [--safe-cells] [--table] [--tsv] save name [file]";
static const char help[] =
    "Classify members and print CSV: one sub-command for each question.\n"
    "\n"
    "  tiers          tier changes: member_id, old_tier, new_tier, measure,\n"
    "                 threshold, reason, effective (--apply commits them)\n"
    "  value [CLASS]  stranger, butterfly, barnacle, true-friend\n"
    "  rfm            recency, frequency, monetary scores 1-5\n"
    "  lapse          members past k times their own purchase interval\n"
    "  lifecycle [STATE]  new, active, at-risk, lapsed, won-back, closed, forgotten\n"
    "  birthdays      birthdays from --from to --to (default: this month)\n"
    "  best N         the N best customers by spend\n"
    "  never-bought   enrolled, never bought\n"
    "  referrers [N]  members by how many members they referred\n"
    "  segments [NAME [MEMBER...]]  saved segments, one segment's members, or\n"
    "                 whether members are in it\n"
    "  save NAME [FILE]  save a list (a member_id column) as a segment\n"
    "\n"
    "  -d, --db FILE            ledger (default $LOY_DB, else ./loyalty.db)\n"
    "      --apply              tiers: commit the changes\n"
    "      --as-of DATE         as of this date (default today)\n"
    "      --assign FILE        tiers: assign tiers by hand (member_id, tier, until)\n"
    "      --busy-timeout SECS  wait this long for another writer (default 60)\n"
    "      --date-format FMT    strptime(3) format of dates\n"
    "  -n, --dry-run            do all the work, commit nothing\n"
    "      --from DATE          birthdays from this date\n"
    "      --map FIELD=COLUMN   read FIELD from the file's COLUMN (repeatable)\n"
    "      --rejects FILE       set bad rows aside in FILE and commit the rest\n"
    "      --replace            save over an existing segment\n"
    "      --safe-cells         neutralise spreadsheet formulas in the output\n"
    "      --save NAME          also save the list as segment NAME\n"
    "      --table              write aligned columns for a terminal\n"
    "      --to DATE            birthdays up to this date\n"
    "      --tsv                read and write TSV\n"
    "      --with-contact       add name, phone and email to lists\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "See loy-segment(1).\n";

enum {
	OPT_APPLY = CLI_OPT_PROGRAM_FIRST, OPT_AS_OF, OPT_ASSIGN, OPT_FROM, OPT_REPLACE,
	OPT_SAVE, OPT_TO, OPT_CONTACT
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_OPTS_LEDGER, CLI_OPTS_OUTPUT,
		{ "apply", no_argument, 0, OPT_APPLY },
		{ "as-of", required_argument, 0, OPT_AS_OF },
		{ "assign", required_argument, 0, OPT_ASSIGN },
		{ "date-format", required_argument, 0, CLI_OPT_DATEFMT },
		{ "dry-run", no_argument, 0, 'n' },
		{ "from", required_argument, 0, OPT_FROM },
		{ "map", required_argument, 0, CLI_OPT_MAP },
		{ "rejects", required_argument, 0, CLI_OPT_REJECTS },
		{ "replace", no_argument, 0, OPT_REPLACE },
		{ "save", required_argument, 0, OPT_SAVE },
		{ "to", required_argument, 0, OPT_TO },
		{ "tsv", no_argument, 0, CLI_OPT_TSV },
		{ "with-contact", no_argument, 0, OPT_CONTACT },
		CLI_OPTS_END
	};
	struct segment_opts o = { 0 };
	struct cli cli;
	struct ledger *l;
	char *args = cli_args(argc, argv);
	int opt, status;

	loy_setprogname(argv[0]);
	cli_init(&cli, usage, help);
	while ((opt = getopt_long(argc, argv, "d:hnV", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_APPLY: o.apply = 1; break;
		case OPT_AS_OF: o.as_of = optarg; break;
		case OPT_ASSIGN: o.assign = optarg; break;
		case OPT_FROM: o.from = optarg; break;
		case OPT_REPLACE: o.replace = 1; break;
		case OPT_SAVE: o.save = optarg; break;
		case OPT_TO: o.to = optarg; break;
		case OPT_CONTACT: o.with_contact = 1; break;
		default:
			if (!cli_option(&cli, opt, optarg))
				cli_usage(&cli);
		}
	}
	cli_env_check();
	argc -= optind;
	argv += optind;
	if (argc < 1 || !segment_known(argv[0])) {
		if (argc >= 1)
			loy_warn("'%s' is not a sub-command", argv[0]);
		free(args);
		cli_usage(&cli);
	}
	if (strcmp(argv[0], "save") != 0 && !o.assign)
		cli_one_format(&cli);	/* no input to read as TSV: output alone */
	if ((status = segment_usage(&cli, argv[0], argc - 1, &o)) != 0) {
		free(args);
		cli_free(&cli);
		return status;
	}
	if (!(l = ledger_open(cli.db, cli.busy_timeout, &status))) {
		free(args);
		cli_free(&cli);
		return status;
	}
	status = segment_main(&cli, l, argv[0], argc - 1, argv + 1, &o, args);
	ledger_close(l);
	free(args);
	cli_free(&cli);
	return status;
}
