/* redeem: points spent on catalogue rewards (loy-redeem's jobs). */
#ifndef LOY_REDEEM_H
#define LOY_REDEEM_H

#include "cli.h"
#include "ledger.h"

/* Load or update the reward catalogue from CSV. */
int redeem_catalogue(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args);
/* In which order a file's requests are decided. */
enum redeem_order {
	REDEEM_FILE,		/* as they come in the file */
	REDEEM_FIRST_COME,	/* --first-come: by requested_at, then file order */
	REDEEM_DRAW,		/* --draw: by SHA-256 of "seed:request_id" */
};
struct redeem_opts {
	enum redeem_order order;
	const char *seed;	/* REDEEM_DRAW */
	const char *window;	/* --window FROM,TO, as given, or NULL */
};
/* --window FROM,TO: two datetimes (a date alone: its first or last second)
 * into from and to, a time with a UTC offset converted to the programme's
 * time zone (the TZ the ledger set).  0, or -1 (said) when it is not a
 * window. */
int redeem_window(const struct cli *cli, const char *arg, char from[20], char to[20]);
/* Redemption requests from CSV: request_id, member_id, reward_id, qty,
 * requested_at, channel. */
int redeem_requests(const struct cli *cli, struct ledger *l, const struct redeem_opts *o,
    int nfiles, char **files, const char *args);
/* Load partner codes from CSV (reward_id, code) into the rewards' pools. */
int redeem_codes(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args);
/* The code pools as CSV: reward_id, partner, codes, used, left. */
int redeem_list_codes(const struct cli *cli, struct ledger *l);
/* Transfers of points between members from CSV (lib/transfer.c):
 * transfer_id, from_member, to_member, points, requested_at. */
int redeem_transfers(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args);
/* Cancel redemptions by request_id. */
int redeem_cancel(const struct cli *cli, struct ledger *l, int argc, char **argv,
    const char *args);
/* The catalogue as CSV. */
int redeem_list(const struct cli *cli, struct ledger *l);

#endif
