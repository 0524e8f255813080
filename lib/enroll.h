/* enroll: members in and out of the programme (loy-enroll's jobs). */
#ifndef LOY_ENROLL_H
#define LOY_ENROLL_H

#include "cli.h"
#include "ledger.h"

/* Add or update members from CSV/TSV files; returns the exit status.  With
 * `clear_empty`, an empty cell of a column the file has clears what the
 * ledger holds: any field but member_id, card and enrolled_at, and an
 * attribute. */
int enroll_import(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    int clear_empty, const char *args);
/* verb: "close", "reopen", "forget", "merge", "add-card", "replace-card",
 * "list", "cards", "duplicates"; operands as on the command line. */
int enroll_verb(const struct cli *cli, struct ledger *l, const char *verb, int argc,
    char **argv, const char *reason, const char *args);
/* 1 if `word` names a verb. */
int enroll_is_verb(const char *word);

#endif
