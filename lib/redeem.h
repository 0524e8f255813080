/* redeem: points spent on catalogue rewards (loy-redeem's jobs). */
#ifndef LOY_REDEEM_H
#define LOY_REDEEM_H

#include "cli.h"
#include "ledger.h"

/* Load or update the reward catalogue from CSV. */
int redeem_catalogue(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args);
/* Redemption requests from CSV: request_id, member_id, reward_id, qty,
 * requested_at, channel. */
int redeem_requests(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args);
/* Cancel redemptions by request_id. */
int redeem_cancel(const struct cli *cli, struct ledger *l, int argc, char **argv,
    const char *args);
/* The catalogue as CSV. */
int redeem_list(const struct cli *cli, struct ledger *l);

#endif
