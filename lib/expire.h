/* expire: points leave the ledger when their lots expire (loy-expire). */
#ifndef LOY_EXPIRE_H
#define LOY_EXPIRE_H

#include "cli.h"
#include "ledger.h"

/* Expire every open lot whose expiry date is `as_of` (a date, NULL for
 * today) or earlier, one journal entry a member; the exit status. */
int expire_run(const struct cli *cli, struct ledger *l, const char *as_of,
    const char *args);
/* List the members whose points expire within `days` days from now. */
int expire_notice(const struct cli *cli, struct ledger *l, long days);

#endif
