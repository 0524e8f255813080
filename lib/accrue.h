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
/* LOY_RECEIPT_MEMORY, LOY_MEMBER_MEMORY and LOY_AWAITED_ORIGINALS: 0 when
 * each is unset or a usable whole number, else -1 and a message (the
 * caller exits 64 before the run). */
int accrue_env_check(void);

#endif
