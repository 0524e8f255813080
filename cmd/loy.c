/* loy: run a loy program by its short name, as git runs its commands. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"

static const struct {
	const char *name, *about;
} programs[] = {
	{ "accrue", "turn POS lines into points; manual credits; opening balances" },
	{ "check", "verify the ledger's invariants" },
	{ "enroll", "add, update, close and merge members" },
	{ "expire", "expire points past their date; list points about to expire" },
	{ "init", "create a ledger with the default programme" },
	{ "program", "check, load and show the programme file; its versions" },
	{ "redeem", "spend points on catalogue rewards; cancel a redemption" },
	{ "report", "statements, balances, liability, earn and burn, tiers, economics; HTML" },
	{ "segment", "tiers, value classes, RFM, lapse, lifecycle and lists for outreach" },
	{ NULL, NULL }
};

static void
list(FILE *f)
{
	fprintf(f, "usage: loy [-hV] program [argument ...]\n       loy help [program]\n\n"
	    "programs:\n");
	for (int i = 0; programs[i].name; i++)
		fprintf(f, "   %-10s %s\n", programs[i].name, programs[i].about);
	fprintf(f, "\n'loy help PROGRAM' shows its manual; see loy(1).\n");
}

/* Run loy-NAME from the directory loy itself is in, else from PATH. */
static void
run(const char *name, char **argv)
{
	char self[PATH_MAX], prog[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	snprintf(prog, sizeof(prog), "loy-%s", name);
	argv[0] = prog;
	if (n > 0) {
		char path[PATH_MAX + 64], *slash;

		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/loy-%s", self, name);
			if (access(path, X_OK) == 0)
				execv(path, argv);
		}
	}
	execvp(prog, argv);
	loy_die(errno == ENOENT ? 64 : 126, "'%s' is not a loy program (%s); see 'loy help'",
	    name, strerror(errno));
}

/*
 * When loy runs from the source tree's build (build/bin/loy), find the
 * tree's own man/PAGE.1 or man/PAGE.5 in path, so that 'loy help enroll'
 * shows the manual of the programs beside it before they are installed.
 */
static int
tree_page(const char *page, char *path, size_t size)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0 || strchr(page, '/') != NULL)
		return 0;
	self[n] = '\0';
	for (int up = 0; up < 3; up++) {
		if ((slash = strrchr(self, '/')) == NULL)
			return 0;
		*slash = '\0';
	}
	snprintf(path, size, "%s/cmd/loy.c", self);
	if (access(path, R_OK) != 0)
		return 0;
	for (const char *sec = "15"; *sec; sec++) {
		snprintf(path, size, "%s/man/%s.%c", self, page, *sec);
		if (access(path, R_OK) == 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	loy_setprogname(argv[0]);
	if (argc < 2) {
		list(stderr);
		return LOY_EX_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc == 2)) {
		list(stdout);
		return cli_output_done();
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("loy %s\n", LOY_VERSION);
		return cli_output_done();
	}
	if (strcmp(argv[1], "help") == 0) {
		char page[256], path[PATH_MAX + 300];

		if (argc > 3) {
			loy_warn("help shows one program's manual at a time, not '%s' and '%s'",
			    argv[2], argv[3]);
			list(stderr);
			return LOY_EX_USAGE;
		}

		snprintf(page, sizeof(page), "loy-%s", argv[2]);
		if (tree_page(page, path, sizeof(path)))
			execlp("man", "man", "-l", path, (char *)NULL);
		else
			execlp("man", "man", page, (char *)NULL);
		loy_die(LOY_EX_SOFTWARE, "cannot run man: %s", strerror(errno));
	}
	if (argv[1][0] == '-') {
		loy_warn("unknown option '%s'", argv[1]);
		list(stderr);
		return LOY_EX_USAGE;
	}
	run(argv[1], argv + 1);
	return LOY_EX_SOFTWARE;
}
