/* loy-enroll: add, update, close and merge members. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "enroll.h"
#include "ledger.h"

static const char usage[] =
    "loy-enroll [-nV] [-d ledger] [--busy-timeout seconds] [--clear-empty]\n"
    "                  [--date-format fmt] [--map field=column,...] [--rejects file]\n"
    "                  [--safe-cells] [--table] [--tsv] [file ...]\n"
    "       loy-enroll [-n] [-d ledger] [--busy-timeout seconds] [--safe-cells]\n"
    "                  [--table | --tsv]\n"
    "                  close|reopen|forget [--reason text] member ... | merge from into |\n"
    "                  add-card member card | replace-card old new\n"
    "       loy-enroll [-d ledger] [--busy-timeout seconds] [--safe-cells]\n"
    "                  [--table | --tsv] list | cards member | duplicates";
static const char help[] =
    "Add or update members from CSV (or TSV) files, or standard input, and\n"
    "print one row per input row: line, member_id, status, detail.\n"
    "\n"
    "  -d, --db FILE            ledger (default $LOY_DB, else ./loyalty.db)\n"
    "      --busy-timeout SECS  wait this long for another writer (default 60)\n"
    "      --clear-empty        an empty cell clears the value the ledger holds\n"
    "      --date-format FMT    strptime(3) format of birthday and enrolled_at\n"
    "  -n, --dry-run            do all the work, commit nothing\n"
    "      --map FIELD=COLUMN   read FIELD from the file's COLUMN (repeatable)\n"
    "      --reason TEXT        why, for close, reopen and forget\n"
    "      --rejects FILE       set bad rows aside in FILE and commit the rest\n"
    "      --safe-cells         neutralise spreadsheet formulas in the output\n"
    "      --table              write aligned columns for a terminal\n"
    "      --tsv                read and write TSV\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "\n"
    "Fields: member_id card name phone email birthday enrolled_at referrer\n"
    "store channel; other columns are kept as member attributes.\n"
    "See loy-enroll(1).\n";

enum { OPT_REASON = CLI_OPT_PROGRAM_FIRST, OPT_CLEAR_EMPTY };

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_OPTS_LEDGER, CLI_OPTS_INPUT, CLI_OPTS_OUTPUT,
		{ "reason", required_argument, 0, OPT_REASON },
		{ "clear-empty", no_argument, 0, OPT_CLEAR_EMPTY },
		CLI_OPTS_END
	};
	struct cli cli;
	struct ledger *l;
	const char *reason = NULL, *verb;
	char *args = cli_args(argc, argv);	/* before getopt permutes argv */
	int opt, status, clear_empty = 0;

	loy_setprogname(argv[0]);
	cli_init(&cli, usage, help);
	while ((opt = getopt_long(argc, argv, "d:hnV", longopts, NULL)) != -1) {
		if (opt == OPT_REASON)
			reason = cli_text(&cli, "--reason", optarg);
		else if (opt == OPT_CLEAR_EMPTY)
			clear_empty = 1;
		else if (!cli_option(&cli, opt, optarg))
			cli_usage(&cli);
	}
	cli_env_check();
	argc -= optind;
	argv += optind;
	verb = argc > 0 && enroll_is_verb(argv[0]) ? argv[0] : NULL;
	if (verb && (cli.rejects || cli.nmap || cli.date_format || clear_empty)) {
		/* its operands are member ids and cards, not rows of a file */
		loy_warn("%s reads no input: it takes neither --rejects, --map, --date-format "
		    "nor --clear-empty", verb);
		cli_usage(&cli);
	}
	if (verb && cli.dry_run && (strcmp(verb, "list") == 0 || strcmp(verb, "cards") == 0 ||
	    strcmp(verb, "duplicates") == 0)) {
		loy_warn("%s writes nothing: it takes no -n", verb);
		cli_usage(&cli);
	}
	if (verb)
		cli_one_format(&cli);	/* no input to read as TSV: output alone */
	if (reason && !(verb && (strcmp(verb, "close") == 0 || strcmp(verb, "reopen") == 0 ||
	    strcmp(verb, "forget") == 0))) {
		loy_warn("--reason is for close, reopen and forget");
		cli_usage(&cli);
	}
	if (!(l = ledger_open(cli.db, cli.busy_timeout, &status))) {
		free(args);
		cli_free(&cli);
		return status;
	}
	if (verb)
		status = enroll_verb(&cli, l, verb, argc - 1, argv + 1, reason, args);
	else
		status = enroll_import(&cli, l, argc, argv, clear_empty, args);
	ledger_close(l);
	free(args);
	cli_free(&cli);
	return status;
}
