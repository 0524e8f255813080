/* segment: loy-segment's jobs — tiers recalculated from the programme, value
 * classes, RFM, lapse by each member's own rhythm, lifecycle, lists for
 * outreach, and named segments that other programs restrict by. */
#ifndef LOY_SEGMENT_H
#define LOY_SEGMENT_H

#include <stdint.h>

#include "cli.h"
#include "ledger.h"

/* Is `member_id` in the named segment `segment` (the last snapshot saved
 * under that name)?  A snapshot holds members as they stood when it was
 * saved (merged ones as their survivor then); pass the member a receipt or
 * request resolves to.  1 yes, 0 no, -1 error or no such segment (message
 * printed).  For loy-redeem and the earning rules. */
int segment_member_in(struct ledger *l, const char *segment, const char *member_id);

/* Whether the n bytes at s make a name a segment can be saved under:
 * letters, digits, '.', '_' and '-', at most 64, not starting with '-' or
 * '.'. */
int segment_name_ok(const char *s, size_t n);

/* What the command line asked for. */
struct segment_opts {
	const char *as_of;		/* --as-of, NULL: today */
	const char *from, *to;		/* birthdays --from, --to */
	const char *assign;		/* tiers --assign FILE */
	const char *save;		/* --save NAME: keep the list as a segment */
	int apply;			/* tiers --apply */
	int replace;			/* save over an existing segment */
	int with_contact;		/* name, phone, email columns */
};

/* Run sub-command `cmd` with its operands, its options checked by
 * segment_usage; returns the exit status. */
int segment_main(const struct cli *cli, struct ledger *l, const char *cmd, int argc,
    char **argv, const struct segment_opts *o, const char *args);
/* Is `cmd` one of the sub-commands? */
int segment_known(const char *cmd);
/* The options that do not go with the sub-command `cmd` (argc operands
 * after it): a message and LOY_EX_USAGE, or 0.  Asked before the ledger is
 * opened and segment_main runs `cmd`, which it takes as checked. */
int segment_usage(const struct cli *cli, const char *cmd, int argc,
    const struct segment_opts *o);

/* Ledger side (lib/ledger_segment.c).  Each 0 or -1 (message printed)
 * unless said otherwise. */

/* Sort large results in temporary files, not in memory (before any
 * transaction): memory stays flat however many purchases there are. */
int ledger_segment_sorts_on_disk(struct ledger *l);
/* The ledger's first date: the earliest enrolment or first journal entry
 * ("" for an empty ledger). */
int ledger_segment_first_date(struct ledger *l, char out[11]);
/* Map merged members to the member they now stand for, for the queries
 * below (a temporary table): by every merge, or, with `to`, by the merges
 * made before it (a list as of a past day: a record merged since was a
 * member of its own then).  The number of merged members, or -1. */
int ledger_segment_aliases(struct ledger *l, const char *to);
/* A member (not merged) with its purchases or measure, for a walk. */
enum { SM_ID, SM_STATUS, SM_ENROLLED, SM_BIRTHDAY, SM_TIER, SM_NAME, SM_PHONE,
	SM_EMAIL, SM_CREATED, SM_FORGOTTEN, SM_COUNT };	/* SM_CREATED: when the
							   run that enrolled the
							   member began (the
							   tiers' walk alone);
							   SM_FORGOTTEN: when
							   loy-enroll forgot it
							   (the lists alone) */
/* What returns (and exchanges) made on day `after` took off the member's
 * purchases of `day` (a day of the walk, or its bucket): deducted from
 * that day's spend, which a measure as of a day before `after` adds back;
 * or, negative, what the member's returns of `day` took off purchases made
 * later, on day `after`: not deducted from that day, which a measure as of
 * a day before `after` deducts. */
struct seg_late {
	int day, after;
	int64_t take;
};
struct seg_member {
	const char *v[SM_COUNT];
	int n;			/* days with purchases (or measure) */
	int *day;		/* days since 1970-01-01, ascending */
	int64_t *spend;		/* that day's spend (minor units, returns deducted),
				   points earned, or receipts: see the walk */
	int64_t *receipts;	/* that day's credited or pending receipts */
	int cap;
	struct seg_late *late;	/* of returns made from `late_from` on (spend) */
	int nlate, latecap;
};
typedef int (*seg_member_fn)(void *ctx, const struct seg_member *m);
enum { SEG_SPEND, SEG_POINTS, SEG_VISITS };
/* Every member that is not merged (active_only: every active one that is
 * not forgotten; 2: every active one, forgotten or not, without birthday,
 * name, phone and email), by
 * member_id, with its days from `from` to before `to` (dates): what the
 * member and the members merged into it bought (measure SEG_SPEND or
 * SEG_VISITS) or earned (SEG_POINTS) each day.  With `whole`, the days are
 * not told apart: one day, `from`'s, holds the sum.  A day's spend is as of
 * the day before `to`: a return counts from the day it was made, so what
 * returns made on `to` or later took off a purchase is not deducted, and
 * what a return took off a purchase made on `to` or later is deducted on
 * the return's day; what returns made from `late_from` (a date, NULL:
 * `to`) took is, and comes in the member's `late` too, as do returns of
 * purchases made from `late_from` on.  fn returns non-zero to stop.  0 or
 * -1. */
int ledger_segment_walk(struct ledger *l, int active_only, int measure, const char *from,
    const char *to, const char *late_from, int whole, seg_member_fn fn, void *ctx);
/* The same, with the days gathered into buckets: bucket i holds the
 * days from bounds[i] up to before bounds[i+1] (nb dates, ascending), and
 * comes as one day, bday[i] (the day number of bounds[i]). */
int ledger_segment_walk_buckets(struct ledger *l, int active_only, int measure,
    char (*bounds)[11], const int *bday, int nb, const char *late_from, seg_member_fn fn,
    void *ctx);
/* The same in short: at most one day a member, the last it bought on
 * before `to`, holding what it spent (returns made before `to` less) and
 * its receipts from `since` on, also when that day is before it. */
int ledger_segment_walk_summary(struct ledger *l, int active_only, const char *since,
    const char *to, seg_member_fn fn, void *ctx);
/* Members who referred others: referrer (merged ones as their survivor),
 * referred, buyers (referred members with a purchase before `to`), spend
 * (theirs before `to`, returns made before `to` less); most referred
 * first. */
int ledger_segment_referrers(struct ledger *l, const char *to, int contact, ledger_row_fn fn,
    void *ctx);

/* Tiers: the as-of of the last applied run ("" if none). */
int ledger_tier_last_run(struct ledger *l, char out[11]);
/* Assignments in force on or after `from`: member_id, tier, starts, until,
 * by member_id, then assignment_id. */
int ledger_tier_assignments(struct ledger *l, const char *from, ledger_row_fn fn, void *ctx);
/* Tiers members earned while an assignment held them higher: member_id,
 * tier, by member_id. */
int ledger_tier_earned(struct ledger *l, ledger_row_fn fn, void *ctx);
/* Is this the member's latest assignment already?  1, 0, or -1. */
int ledger_tier_assigned(struct ledger *l, const char *member, const char *tier,
    const char *starts, const char *until);
int ledger_tier_assign(struct ledger *l, const char *member, const char *tier,
    const char *starts, const char *until, const char *reason);
int ledger_tier_change(struct ledger *l, const char *member, const char *from_tier,
    const char *to_tier, const char *reason, int64_t measure, int64_t threshold,
    const char *effective);
int ledger_tier_set_earned(struct ledger *l, const char *member, const char *tier, int keep);
/* Record the run's as-of and set members.tier from this run's changes. */
int ledger_tier_finish(struct ledger *l, const char *as_of);

/* Named segments. 1 exists (as_of filled in), 0 not, -1 error. */
int ledger_segment_get(struct ledger *l, const char *name, char as_of[11]);
/* Empty (or create) segment `name` for a new snapshot. */
int ledger_segment_put(struct ledger *l, const char *name, const char *as_of,
    const char *source);
/* Add a member: 1 added, 0 already in it, -1 error. */
int ledger_segment_add(struct ledger *l, const char *name, const char *member);
/* Count the segment's members into its row: the count, or -1. */
int64_t ledger_segment_seal(struct ledger *l, const char *name);
/* Saved segments: name, as_of, members, source, run_id. */
int ledger_list_segments(struct ledger *l, ledger_row_fn fn, void *ctx);
/* A segment's members: member_id (+ name, phone, email with contact). */
int ledger_segment_list(struct ledger *l, const char *name, int contact, ledger_row_fn fn,
    void *ctx);

#endif
