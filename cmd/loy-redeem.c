/* loy-redeem: spend points on catalogue rewards; cancel a redemption. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cli.h"
#include "diag.h"
#include "ledger.h"
#include "redeem.h"

static const char usage[] =
    "loy-redeem [-nV] [-d ledger] [--busy-timeout seconds] [--date-format fmt]\n"
    "                  [--map field=column,...] [--rejects file] [--safe-cells]\n"
    "                  [--table] [--tsv]\n"
    "                  [--first-come | --draw[=seed]] [--window from,to] [file ...]\n"
    "       loy-redeem [-n] [-d ledger] [--busy-timeout seconds] [--date-format fmt]\n"
    "                  [--map field=column,...] [--rejects file] [--safe-cells]\n"
    "                  [--table] [--tsv]\n"
    "                  --catalogue | --codes | --transfers [file ...]\n"
    "       loy-redeem [-n] [-d ledger] [--busy-timeout seconds] [--safe-cells]\n"
    "                  [--table | --tsv] cancel request_id ...\n"
    "       loy-redeem [-d ledger] [--busy-timeout seconds] [--safe-cells]\n"
    "                  [--table | --tsv] rewards | codes";
static const char help[] =
    "Redeem points for catalogue rewards from request files (or standard input)\n"
    "and print one row per request: request_id, status (redeemed, refused),\n"
    "reason, points, voucher.  A request already answered gets its first answer\n"
    "(status cancelled once it was cancelled).\n"
    "\n"
    "  -d, --db FILE            ledger (default $LOY_DB, else ./loyalty.db)\n"
    "      --busy-timeout SECS  wait this long for another writer (default 60)\n"
    "      --catalogue          read rewards: reward_id, name, points, cash_price,\n"
    "                           stock, partner, partner_cost, tiers, segments,\n"
    "                           valid_from, valid_to, per_member_limit\n"
    "      --codes              read partner codes: reward_id, code (, partner)\n"
    "      --date-format FMT    strptime(3) format of dates\n"
    "      --draw[=SEED]        decide a file's requests in the order of a draw\n"
    "                           from SEED (default: a new seed, printed)\n"
    "      --first-come         decide a file's requests by requested_at\n"
    "  -n, --dry-run            do all the work, commit nothing\n"
    "      --map FIELD=COLUMN   read FIELD from the file's COLUMN (repeatable)\n"
    "      --rejects FILE       set bad rows aside in FILE and commit the rest\n"
    "      --safe-cells         neutralise spreadsheet formulas in the output\n"
    "      --table              write aligned columns for a terminal\n"
    "      --transfers          read transfers: transfer_id, from_member,\n"
    "                           to_member, points, requested_at\n"
    "      --tsv                read and write TSV\n"
    "      --window FROM,TO     refuse requests made before FROM or after TO\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "\n"
    "Request fields: request_id member_id reward_id qty requested_at channel.\n"
    "See loy-redeem(1).\n";

enum {
	OPT_CATALOGUE = CLI_OPT_PROGRAM_FIRST, OPT_CODES, OPT_DRAW, OPT_FIRST_COME,
	OPT_TRANSFERS, OPT_WINDOW
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_OPTS_LEDGER, CLI_OPTS_INPUT, CLI_OPTS_OUTPUT,
		{ "catalogue", no_argument, 0, OPT_CATALOGUE },
		{ "codes", no_argument, 0, OPT_CODES },
		{ "draw", optional_argument, 0, OPT_DRAW },
		{ "first-come", no_argument, 0, OPT_FIRST_COME },
		{ "transfers", no_argument, 0, OPT_TRANSFERS },
		{ "window", required_argument, 0, OPT_WINDOW },
		CLI_OPTS_END
	};
	struct cli cli;
	struct ledger *l;
	struct redeem_opts o = { .order = REDEEM_FILE };
	char *args = cli_args(argc, argv), seed[33], from[20], to[20];
	const char *win = NULL;
	int opt, status, mode = 0, verb = 0;

	loy_setprogname(argv[0]);
	cli_init(&cli, usage, help);
	while ((opt = getopt_long(argc, argv, "d:hnV", longopts, NULL)) != -1) {
		if (opt == OPT_CATALOGUE || opt == OPT_CODES || opt == OPT_TRANSFERS) {
			if (mode && mode != opt) {
				loy_warn("--catalogue, --codes and --transfers are one at a time");
				cli_usage(&cli);
			}
			mode = opt;
		} else if (opt == OPT_FIRST_COME || opt == OPT_DRAW) {
			if (o.order != REDEEM_FILE) {
				loy_warn("--first-come and --draw are one at a time");
				cli_usage(&cli);
			}
			o.order = opt == OPT_DRAW ? REDEEM_DRAW : REDEEM_FIRST_COME;
			o.seed = opt == OPT_DRAW ? optarg : NULL;
			if (o.seed && (!*o.seed || strlen(o.seed) > 200)) {
				loy_warn("--draw '%.40s' is not a seed of 1 to 200 bytes", o.seed);
				cli_usage(&cli);
			}
		} else if (opt == OPT_WINDOW)
			win = optarg;
		else if (!cli_option(&cli, opt, optarg))
			cli_usage(&cli);
	}
	cli_env_check();
	argc -= optind;
	argv += optind;
	if (!mode && argc > 0 && (strcmp(argv[0], "cancel") == 0 ||
	    strcmp(argv[0], "rewards") == 0 || strcmp(argv[0], "codes") == 0))
		verb = argv[0][0] == 'c' ? argv[0][1] == 'a' ? 'x' : 'c' : 'r';
	if ((verb == 'x' && argc < 2) || ((verb == 'r' || verb == 'c') && argc != 1) ||
	    ((mode || verb) && (o.order != REDEEM_FILE || win))) {
		if (verb == 'x' && argc < 2)
			loy_warn("cancel: which requests? (their request_id)");
		else if ((verb == 'r' || verb == 'c') && argc != 1)
			loy_warn("%s takes no operands", argv[0]);
		else
			loy_warn("--first-come, --draw and --window are for redemption requests");
		free(args);
		cli_usage(&cli);
	}
	if (verb && (cli.rejects || cli.nmap || cli.date_format)) {
		/* request ids, or nothing: no rows of a file */
		loy_warn("%s reads no input: it takes neither --rejects, --map nor --date-format",
		    argv[0]);
		free(args);
		cli_usage(&cli);
	}
	/* reward ids, codes and partners: no date */
	if (mode == OPT_CODES && cli_date_format_unread(cli.date_format, "--codes", NULL)) {
		free(args);
		cli_usage(&cli);
	}
	if ((verb == 'r' || verb == 'c') && cli.dry_run) {
		loy_warn("%s writes nothing: it takes no -n", argv[0]);
		free(args);
		cli_usage(&cli);
	}
	if (verb)
		cli_one_format(&cli);	/* no input to read as TSV: output alone */
	if (!(l = ledger_open(cli.db, cli.busy_timeout, &status))) {
		free(args);
		cli_free(&cli);
		return status;
	}
	if (win) {
		/* checked now, in the programme's time zone the open ledger
		 * set; read again, in the one the ledger holds, once the run
		 * has it */
		if (redeem_window(&cli, win, from, to) < 0) {
			ledger_close(l);
			free(args);
			cli_usage(&cli);
		}
		o.window = win;
	}
	if (o.order == REDEEM_DRAW && !o.seed) {
		unsigned char rnd[16];

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			loy_warn("cannot draw a seed: %s", strerror(errno));
			ledger_close(l);
			free(args);
			return LOY_EX_SOFTWARE;
		}
		for (int i = 0; i < 16; i++)
			snprintf(seed + 2 * i, 3, "%02x", rnd[i]);
		o.seed = seed;
		/* the run record keeps the seed drawn, for the auditor */
		args = loy_xrealloc(args, strlen(args) + sizeof(seed) + 16);
		strcat(strcat(args, " # --draw="), seed);
	}
	if (o.order == REDEEM_DRAW)
		loy_warn("draw seed: %s", o.seed);
	if (mode == OPT_CATALOGUE)
		status = redeem_catalogue(&cli, l, argc, argv, args);
	else if (mode == OPT_CODES)
		status = redeem_codes(&cli, l, argc, argv, args);
	else if (mode == OPT_TRANSFERS)
		status = redeem_transfers(&cli, l, argc, argv, args);
	else if (verb == 'x')
		status = redeem_cancel(&cli, l, argc - 1, argv + 1, args);
	else if (verb == 'r')
		status = redeem_list(&cli, l);
	else if (verb == 'c')
		status = redeem_list_codes(&cli, l);
	else
		status = redeem_requests(&cli, l, &o, argc, argv, args);
	ledger_close(l);
	free(args);
	cli_free(&cli);
	return status;
}
