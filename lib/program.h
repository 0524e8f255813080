/* program: loy-program's sub-commands over the programme file and its
 * versions in the ledger (see programme.h). */
#ifndef LOY_PROGRAM_H
#define LOY_PROGRAM_H

#include "cli.h"
#include "ledger.h"

/* Each returns an exit status. */
int program_check(const struct cli *cli, const char *file);
/* Store `file` as a new version effective from `from` (NULL: now). */
int program_load(const struct cli *cli, struct ledger *l, const char *file,
    const char *from, int retroactive, const char *args);
/* Write the settings of the version in force now into the settings table. */
int program_apply(const struct cli *cli, struct ledger *l, const char *args);
/* Print the version in force at `as_of` (NULL: now). */
int program_show(const struct cli *cli, struct ledger *l, const char *as_of);
int program_versions(const struct cli *cli, struct ledger *l);
/* Whether programme p (read from `name`) keeps the ledger's currency,
 * decimals and time zone: 0, or -1 with each difference said. */
struct programme;
/* Read and parse a programme file ("-": standard input), saying what is
 * wrong with `failing` after it; 0 or an exit status. */
int program_read(const char *path, struct programme *p, const char *failing);
int program_same_basis(const char *name, const struct programme *p, struct ledger *l);

#endif
