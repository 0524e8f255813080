/* loy-redeem: spend points on catalogue rewards; cancel a redemption. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "ledger.h"
#include "redeem.h"

static const char usage[] =
    "loy-redeem [-nV] [-d ledger] [--date-format fmt] [--map field=column,...]\n"
    "                  [--rejects file] [--tsv] [file ...]\n"
    "       loy-redeem [-n] [-d ledger] --catalogue [file ...]\n"
    "       loy-redeem [-n] [-d ledger] cancel request_id ...\n"
    "       loy-redeem [-d ledger] [--table | --tsv] rewards";
static const char help[] =
    "Redeem points for catalogue rewards from request files (or standard input)\n"
    "and print one row per request: request_id, status (redeemed, refused),\n"
    "reason, points, voucher.  A request already answered gets its first answer.\n"
    "\n"
    "  -d, --db FILE            ledger (default $LOY_DB, else ./loyalty.db)\n"
    "      --busy-timeout SECS  wait this long for another writer (default 60)\n"
    "      --catalogue          read rewards: reward_id, name, points, cash_price,\n"
    "                           stock, partner, partner_cost, tiers, valid_from,\n"
    "                           valid_to, per_member_limit\n"
    "      --date-format FMT    strptime(3) format of dates\n"
    "  -n, --dry-run            do all the work, commit nothing\n"
    "      --map FIELD=COLUMN   read FIELD from the file's COLUMN (repeatable)\n"
    "      --rejects FILE       set bad rows aside in FILE and commit the rest\n"
    "      --safe-cells         neutralise spreadsheet formulas in the output\n"
    "      --table              write aligned columns for a terminal\n"
    "      --tsv                read and write TSV\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "\n"
    "Request fields: request_id member_id reward_id qty requested_at channel.\n"
    "See loy-redeem(1).\n";

enum { OPT_CATALOGUE = CLI_OPT_PROGRAM_FIRST };

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_OPTS_LEDGER, CLI_OPTS_INPUT, CLI_OPTS_OUTPUT,
		{ "catalogue", no_argument, 0, OPT_CATALOGUE },
		CLI_OPTS_END
	};
	struct cli cli;
	struct ledger *l;
	char *args = cli_args(argc, argv);
	int opt, status, catalogue = 0;

	loy_setprogname(argv[0]);
	cli_init(&cli, usage, help);
	while ((opt = getopt_long(argc, argv, "d:hnV", longopts, NULL)) != -1) {
		if (opt == OPT_CATALOGUE)
			catalogue = 1;
		else if (!cli_option(&cli, opt, optarg))
			cli_usage(&cli);
	}
	argc -= optind;
	argv += optind;
	if (!catalogue && argc > 0 && ((strcmp(argv[0], "cancel") == 0 && argc < 2) ||
	    (strcmp(argv[0], "rewards") == 0 && argc != 1))) {
		free(args);
		cli_usage(&cli);
	}
	if (!(l = ledger_open(cli.db, cli.busy_timeout, &status))) {
		free(args);
		cli_free(&cli);
		return status;
	}
	if (catalogue)
		status = redeem_catalogue(&cli, l, argc, argv, args);
	else if (argc > 0 && strcmp(argv[0], "cancel") == 0)
		status = redeem_cancel(&cli, l, argc - 1, argv + 1, args);
	else if (argc > 0 && strcmp(argv[0], "rewards") == 0)
		status = redeem_list(&cli, l);
	else
		status = redeem_requests(&cli, l, argc, argv, args);
	ledger_close(l);
	free(args);
	cli_free(&cli);
	return status;
}
