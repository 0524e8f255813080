/* accrue: POS lines into points (loy-accrue's jobs). */
#ifndef LOY_ACCRUE_H
#define LOY_ACCRUE_H

#include "cli.h"
#include "ledger.h"

/* Credit receipts from POS files; returns the exit status. */
int accrue_receipts(const struct cli *cli, struct ledger *l, int auto_enroll, int nfiles,
    char **files, const char *args);
/* Manual and goodwill credits: member_id, points, reason, ref. */
int accrue_adjust(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args);
/* Opening balances from another system: member_id, points, earned_at, expires_at. */
int accrue_opening(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args);

#endif
