/* loy-init: create a ledger with the default programme. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csvio.h"
#include "diag.h"
#include "ledger.h"

static const char usage[] = "loy-init [-V] [-d ledger] [--set key=value ...] [--settings]";
static const char help[] =
    "Create a new, empty ledger with the default programme; refuses to\n"
    "overwrite an existing file.\n"
    "\n"
    "  -d, --db FILE        ledger to create (default $LOY_DB, else ./loyalty.db)\n"
    "      --set KEY=VALUE  change a programme setting from its default\n"
    "      --settings       list the settings and their defaults, and exit\n"
    "  -h, --help           show this help\n"
    "  -V, --version        show the version\n"
    "See loy-init(1).\n";

enum { OPT_SET = CLI_OPT_PROGRAM_FIRST, OPT_SETTINGS };

static int
list_settings(void)
{
	struct csvio_writer *out = csvio_writer(stdout, CSVIO_CSV, 0);

	csvio_put(out, "key");
	csvio_put(out, "default");
	csvio_put(out, "about");
	csvio_end(out);
	for (const struct ledger_setting *s = ledger_defaults; s->key; s++) {
		csvio_put(out, s->key);
		csvio_put(out, s->value);
		csvio_put(out, s->about);
		csvio_end(out);
	}
	return cli_writer_done(out);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, 0, 'd' },
		{ "help", no_argument, 0, 'h' },
		{ "set", required_argument, 0, OPT_SET },
		{ "settings", no_argument, 0, OPT_SETTINGS },
		{ "version", no_argument, 0, 'V' },
		CLI_OPTS_END
	};
	struct cli cli;
	char **set = NULL, *args;
	int nset = 0, opt, status;
	char *given[argc + 1];	/* the command line as typed: getopt permutes argv */

	memcpy(given, argv, (argc + 1) * sizeof(*argv));
	loy_setprogname(argv[0]);
	cli_init(&cli, usage, help);
	while ((opt = getopt_long(argc, argv, "d:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SET:
			set = loy_xrealloc(set, (nset + 1) * sizeof(*set));
			set[nset++] = optarg;
			break;
		case OPT_SETTINGS:
			return list_settings();
		default:
			if (!cli_option(&cli, opt, optarg))
				cli_usage(&cli);
		}
	}
	cli_env_check();
	if (optind != argc) {
		loy_warn("'%s': loy-init takes no operands; the ledger is named with -d",
		    argv[optind]);
		cli_usage(&cli);
	}
	args = cli_args(argc, given);
	status = ledger_create(cli.db, set, nset, args);
	free(args);
	if (status == 0)
		loy_warn("created ledger '%s'", cli.db);
	free(set);
	return status;
}
