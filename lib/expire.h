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
/* Before `member` gives up `points` at `at` (a datetime: a return, a
 * debit, a bonus taken back, a debt a merge brings): when the lots still
 * in date then (expiring after at's day, or never) hold fewer, the lots
 * past their date then are expired first, as loy-expire --as-of at's day
 * expires them (one entry of kind expire, ref that day, at its last
 * second or now), so that the points are taken as after a punctual run:
 * never from points due to expire.  Lots that came to the member since
 * (a merge, a cancel) past their date then expire with them, as punctual
 * runs would have expired them where they were.  Not where the policy
 * was rolling at any time before the day of the latest of their dates
 * (whatever the version in force at `at`): a purchase dated then may yet
 * move them on.  The points expired in *expired (0: none).  0 or -1. */
int expire_first(struct ledger *l, const char *member, int64_t points, const char *at,
    int64_t *expired);
/* What expire_first would expire, into *due, expiring nothing.  0 or -1. */
int expire_due(struct ledger *l, const char *member, int64_t points, const char *at,
    int64_t *due);

/* The expiry date of points `member` earns at `earned_at` (a datetime),
 * under the programme's expiry_policy setting: months (expiry_months after
 * earning), year-end (the last day of the expiry_years-th calendar year
 * after the year of earning), rolling (expiry_months after, and the earning
 * is activity: see expire_activity) or never.  The date in out, or "" when
 * the points never expire.  0; -1 on a ledger error (message printed);
 * -2 when the date would lie past the year 9999 (no message).  A date on
 * or before the day of earning is counted from the day after, as
 * expire_pending_lot_date does. */
int expire_lot_date(struct ledger *l, const char *member, const char *earned_at,
    char out[static 20]);
/* The same for points that can be spent from `available_at` (NULL: at
 * once, from `earned_at`): a date on or before the day they become
 * available is counted from a day after that instead, under the policy in
 * force at `earned_at`, so that a lot never expires before it can be
 * spent (expire_lot_date does so too). */
int expire_pending_lot_date(struct ledger *l, const char *member, const char *earned_at,
    const char *available_at, char out[static 20]);
/* A member's activity at `at` (a datetime): under the rolling policy, the
 * member's open lots not yet past their date now expire expiry_months after
 * `at`; nothing under any other.  0 or -1. */
int expire_activity(struct ledger *l, const char *member, const char *at);
/* Points `member` gets back by `entry` (a cancelled redemption) that were
 * taken from them by an activity at `at`: under the rolling policy in force
 * then, those of its lots not past their date at `at` expire no earlier
 * than that activity moved the member's open lots on to, or a later one
 * since (the member's latest date), as they would have, had they not been
 * spent.  0 or -1. */
int expire_given_back(struct ledger *l, const char *member, int64_t entry, const char *at);
/* Is the expiry policy of the programme version in force at `at` rolling,
 * whatever settings were applied last?  1 yes, 0 no, -1 on error. */
int expire_rolling(struct ledger *l, const char *at);

#endif
