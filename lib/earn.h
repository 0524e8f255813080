/*
 * earn: the earning-rule engine.  Given the programme version in force at a
 * receipt's purchase time, the receipt's lines and what is known of the
 * member, it says how many points each line earns and which rules gave
 * them (loy-programme(5), HOW POINTS ARE COMPUTED).  Exact integers only:
 * products in __int128, results checked against POINTS_MAX.
 *
 * The engine itself touches no ledger: what it must know of the past
 * (a rule's uses by a member, a member's points in a day or month, what a
 * rule with a budget has given) comes through struct earn_state, which
 * loy-accrue backs with the ledger and a what-if with its own tallies.
 */
#ifndef LOY_EARN_H
#define LOY_EARN_H

#include <stdint.h>

#include "cli.h"
#include "ledger.h"
#include "programme.h"

struct earn;

/* One line of a receipt. */
struct earn_line {
	long line;			/* its number, for explanations */
	const char *sku, *category, *description;	/* "" when absent */
	int64_t qty;			/* units x 10^qscale */
	int qscale;
	int64_t amount;			/* minor units; negative on a return line */
};

/* Fill *ln from a kept line's columns (line, sku, category, description,
 * qty, amount as the ledger's line queries give them); returns the one
 * allocation its texts point into, for the caller to free. */
char *earn_line_from_row(struct earn_line *ln, const char *line, const char *sku,
    const char *category, const char *description, const char *qty, const char *amount);

struct earn_receipt {
	const char *txn, *occurred;	/* occurred: "YYYY-MM-DD HH:MM:SS" */
	const char *store, *channel;	/* NULL: none */
	int64_t amount;			/* the receipt's total */
	const struct earn_line *lines;
	int n;
};

/* What the engine knows of the member. */
struct earn_member {
	const char *id;
	const char *tier, *birthday;	/* NULL: none */
	const char *segments;		/* comma-separated names, NULL: none */
	int first;			/* this is the member's first credited receipt */
	int referral_first;		/* no receipt of the member stands before it
					   (one of a purchase returned whole, or of
					   a return of one, does not): its first
					   purchase for referral rules */
};

/* Who gave a share of points, when it is no rule of the file. */
enum {
	EARN_BASE = -1,			/* [earn]: the base rate */
	EARN_CAP_RECEIPT = -2,		/* [earn] cap_receipt */
	EARN_CAP_DAY = -3,		/* [earn] cap_member_day */
	EARN_CAP_MONTH = -4,		/* [earn] cap_member_month */
	EARN_FLOOR = -5,		/* a receipt's points are never below zero */
	EARN_KEPT = -6,			/* [earn] not recovered: what a receipt's later
					   lines could not take back (loy-accrue) */
	EARN_RETURN = -7,		/* [return]: what an exchange's return lines
					   took back of its original (loy-accrue) */
	EARN_TAKEN = -8,		/* [return] taken before: what the returns of a
					   purchase settled in parts took back of it
					   before its later lines, past what they owe
					   of the whole (negative: short of it), which
					   stands (loy-accrue) */
};

/* One share of a receipt's points: the line (index into the receipt's
 * lines; -1 for the receipt as a whole), the rule (index into the
 * programme's rules, or one of EARN_*), the points (0 for an exclusion). */
struct earn_part {
	int line;
	int rule;
	int64_t points;
};

struct earn_result {
	int64_t points;			/* the receipt's total: the sum of the parts */
	struct earn_part *parts;
	int n, cap;
	int64_t returned;		/* an exchange's: the amount its return lines
					   took off its original (loy-accrue), or 0 */
	/* earn_compute's 2: the rule whose pattern gave up, on which line; or
	 * (fraction 1) the multipliers whose fraction is too large to work the
	 * line out exactly, the rule that took it past (-1: the receipt's lines
	 * together) */
	int gave_up_rule, gave_up_line, gave_up_fraction;
};

struct earn_state {
	void *ctx;
	/* How often `rule` has given points to `member` in the period `key`. */
	int (*uses)(void *ctx, const char *rule, const char *member, const char *key,
	    int64_t *n);
	/* Points credited to the member for receipts in [from, to). */
	int (*member_points)(void *ctx, const char *member, const char *from, const char *to,
	    int64_t *points);
	/* Points the rule has given in all (for its budget). */
	int (*given)(void *ctx, const char *rule, int64_t *points);
};

/* The engine over a ledger's programme versions (taken over: freed by
 * earn_free). */
struct earn *earn_new(struct programme *v, int n);
void earn_free(struct earn *e);
/* The version in force at `when`. */
const struct programme *earn_at(const struct earn *e, const char *when);
/* The programme needs to know the member's tier, birthday or segments
 * (referral rules too); whether it has first-purchase rules; cumulative
 * rules; referral rules on a purchase; purchase rules with a limit (whose
 * use a return of all of the purchase takes back: earn_referral_back). */
int earn_needs_member(const struct earn *e);
int earn_needs_first(const struct earn *e);
int earn_needs_progress(const struct earn *e);
int earn_needs_referral(const struct earn *e);
int earn_needs_limit(const struct earn *e);
/* Every segment a rule of any version names, as a JSON array ("[]" when
 * none), for ledger_earn_segments. */
const char *earn_segments(const struct earn *e);

/*
 * The points of one receipt under programme p.  Returns 0 (res filled in;
 * free with earn_result_free), 1 when the receipt would move more than
 * POINTS_MAX points, 2 when a rule's pattern gave up on one of its lines
 * (PCRE2's match limit: res->gave_up_rule and gave_up_line say which;
 * earn_gave_up() words it) or when the multipliers a line takes make a
 * fraction too large to work its points out exactly in an __int128
 * (res->gave_up_fraction 1), -1 when the state could not be read.
 */
int earn_compute(const struct programme *p, const struct earn_receipt *r,
    const struct earn_member *m, const struct earn_state *st, struct earn_result *res);
/* A part of the receipt as a whole for `rule` (EARN_KEPT), and its points
 * in the total. */
void earn_result_add(struct earn_result *res, int rule, int64_t points);
void earn_result_free(struct earn_result *res);
/* Why earn_compute returned 2, worded in buf (returned). */
const char *earn_gave_up(const struct programme *p, const struct earn_receipt *r,
    const struct earn_result *res, char *buf, size_t size);
/* The base rate alone on an amount (>= 0), for a return whose original is
 * not known, rounded as a purchase's line (half up under rounding nearest,
 * else down): at most POINTS_MAX + 1. */
int64_t earn_base_points(const struct programme *p, int64_t amount);
/* The name of a part's rule: the rule's, or "[earn]", "[earn] cap_receipt"... */
const char *earn_rule_name(const struct programme *p, int rule);
/* The period key of `when` (datetime) for a limit or cumulative period:
 * "2026-12-05", "2026-W49" (the week's Monday: "2026-11-30"), "2026-12",
 * "2026-Q4", "2026", "ever".  key has room for 16. */
void earn_period_key(enum rule_period per, const char *when, char key[static 16]);
/* The receipt's explanation as JSON text (caller frees): see
 * loy-ledger(5), receipts.earn. */
char *earn_json(const struct programme *p, const struct earn_receipt *r,
    const struct earn_member *m, const struct earn_result *res, int decimals);
/* Does the rule's window, store, channel, tier, segment and birthday
 * conditions hold for this receipt and member? */
int earn_rule_applies(const struct rule *ru, const struct earn_receipt *r,
    const struct earn_member *m);
/* Is share s, what rule ru gave a receipt or an event, a use of its limit:
 * does the rule do to it what it does to a sale (a bonus or a multiplier
 * above 1 adds points, one below 1 takes them off)?  The same rule on a
 * return line moves points the other way: no use. */
int earn_rule_used(const struct rule *ru, int64_t s);
/* May rule ru still reward `member` in the period of `when`, its limit not
 * reached?  The period's key into period.  A referral bonus taken back, or
 * a use a return of all of its purchase took back, is a use no more.  1,
 * 0, or -1. */
int earn_within_limit(struct ledger *l, const struct rule *ru, const char *member,
    const char *when, char period[16]);
/* The same of rule ru, the programme's k-th, on receipt r whose points
 * are res: an exclusion (of share 0) uses it where it left out a line
 * of a sale, not of a return. */
int earn_receipt_used(const struct rule *ru, int k, const struct earn_receipt *r,
    const struct earn_result *res);

/* The ledger side (lib/earn.c over lib/ledger_earn.c). */

/* A ledger-backed state for earn_compute. */
void earn_ledger_state(struct ledger *l, struct earn_state *st);
/* After a receipt was credited: record the uses of rules with limits and
 * the points of rules with budgets.  0 or -1. */
int earn_record(struct ledger *l, const struct programme *p, const struct earn_receipt *r,
    const char *member, const struct earn_result *res, int64_t entry);
/* A receipt settled early computed again as a whole with more lines: the
 * state of the ledger without what the receipt itself used before (its
 * rules' uses, its points towards the member's caps, its share of
 * budgets); then the record of its rules as the whole gives them, before
 * the receipt's shares are stored.  (g backs st: keep it while st is used.) */
struct earn_again {
	struct ledger *l;
	const char *txn;
};
void earn_again_state(struct earn_again *g, struct earn_state *st);
int earn_record_again(struct ledger *l, const struct programme *p,
    const struct earn_receipt *r, const char *member, const struct earn_result *res,
    int64_t entry);

/* A bonus that is not a receipt's own: referral, cumulative, sign-up; or
 * a cumulative bonus taken back (points negative). */
struct earn_award {
	const struct rule *rule;
	const char *member;		/* who gets it */
	int64_t points;
	char period[16];		/* the period of the rule's limit */
	char key[96];			/* once per rule, member and key */
	char reason[160];		/* the journal entry's reason */
	int64_t reverses;		/* taken back: the bonus entry (0 when it
					   had none) */
	int version;			/* taken back: the version that gave it */
	const char *txn;		/* a referral bonus's: the purchase it was
					   given on (NULL: none) */
	char *own;			/* what member and txn point into, when the
					   award holds them (earn_awards_free) */
};
/* Awards v (n of them) let go, with what each holds. */
void earn_awards_free(struct earn_award *v, int n);
/* The bonuses a credited receipt of member m gives (referral on first or
 * every purchase; cumulative, whose progress it counts: its marks settled
 * unless `settle` is 0, for earn_progress_settle later).  0 or -1; *v is
 * the caller's to free. */
int earn_purchase_awards(struct ledger *l, const struct programme *p,
    const struct earn_receipt *r, const struct earn_member *m, const char *referrer,
    int settle, struct earn_award **v, int *n);
/* The same for a receipt settled in parts that grew from `was` (NULL: one
 * that counted towards nothing, a return so far) to r, under the versions
 * pwas and p: its progress counts the whole once, as if settled at once. */
int earn_purchase_awards_again(struct ledger *l, const struct programme *pwas,
    const struct earn_receipt *was, const struct programme *p, const struct earn_receipt *r,
    const struct earn_member *m, const char *referrer, int settle, struct earn_award **v,
    int *n);
/* Settle the marks of the cumulative rules of p that receipt r counts
 * towards, at the member's progress as it is now, as a purchase does (a
 * bonus given) or, `down`, as a return does (a bonus taken back); into *v
 * as earn_progress_less.  0 or -1. */
int earn_progress_settle(struct ledger *l, const struct programme *p,
    const struct earn_receipt *r, const struct earn_member *m, int down,
    struct earn_award **v, int *n);
/* Take visits and spend off the member's progress towards the cumulative
 * rules of p that receipt r counts towards (in the period of its time): a
 * return, or a purchase that no longer counts as it did (negative: one
 * that counts again).  A period that falls below a rule's mark takes back
 * the bonus it holds; one that comes back to it earns it again: added to
 * *v (*n of them, the caller's to free; v NULL: neither).  0 or -1. */
int earn_progress_less(struct ledger *l, const struct programme *p,
    const struct earn_receipt *r, const struct earn_member *m, int64_t visits,
    int64_t spend, struct earn_award **v, int *n);
/* Credit an award as of `at`: a bonus entry (no balance change: the caller
 * keeps the balance), its lot, spendable from `available_at` (NULL: at
 * once), and its rule_awards row.  `balance` is the member's balance
 * before it.  The entry's id (*points set), 0 when the member had it
 * already, -1 on error. */
int64_t earn_credit(struct ledger *l, const struct programme *p, const struct earn_award *aw,
    const char *at, const char *available_at, int64_t balance, int64_t *points);
/* Take back a bonus (aw->points negative) as of `at`, `take` points of it
 * (no more than the balance may give; 0 none): a bonus entry of minus
 * `take` reversing the one that gave it, from that one's lots first, and
 * its rule_awards row.  The entry's id, 0 when none, or -1. */
int64_t earn_uncredit(struct ledger *l, const struct earn_award *aw, const char *at,
    int64_t take);
/* Purchase txn, when returns have taken all of it off it: the referral
 * bonuses it gave and holds, to each side, to take back (aw->points
 * negative, as earn_uncredit takes them), after *v (*n of them); and, txn
 * an exchange, those of the purchase it traded some of, when that is left
 * with nothing too (and so on).  A bonus's member merged since is its
 * survivor's, a closed one's stays.  The uses it made of purchase rules
 * with a limit are taken back there and then (ledger_earn_uses_back),
 * but for txn's own with keep_uses: a purchase credited after returns
 * that left nothing of it, which took back at the current rate and left
 * it the rest of its points, the bonuses of those rules with them.
 * 0 or -1. */
int earn_referral_back(const struct earn *e, struct ledger *l, const char *txn, int keep_uses,
    struct earn_award **v, int *n);
/* 1 when some version of the programme has a sign-up or referral rule, so
 * that earn_signup() may credit something; 0 none, -1 error. */
int earn_signup_rules(struct ledger *l);
/* A member was enrolled at `at`: credit the sign-up bonuses (and the
 * referral ones on sign-up), balances included.  *points: what the member
 * got.  0 or -1. */
int earn_signup(struct ledger *l, const char *member, const char *referrer, const char *at,
    const char *store, const char *channel, int64_t *points);

/* The SQL behind them (lib/ledger_earn.c); each 0 or -1 unless said.  A
 * member's awards, uses, events, earned points and receipts are those of
 * its own id and of every record merged into it: one person's. */
int ledger_earn_uses(struct ledger *l, const char *rule, const char *member,
    const char *period, int64_t *n);
/* The same, of the awards made before `before` (a what-if's past), less
 * the uses taken back before it (at the time of the return that left
 * nothing of the purchase, or of an exchange that traded some of it: the
 * latest of those). */
int ledger_earn_uses_before(struct ledger *l, const char *rule, const char *member,
    const char *period, const char *before, int64_t *n);
/* Purchase txn returned in full: each use it made of a purchase rule with
 * a limit (an award keyed by txn) is taken back, a row of its own keyed
 * "TXN taken back" with txn_id txn, and counts no more. */
int ledger_earn_uses_back(struct ledger *l, const char *txn);
/* The uses purchase txn made of purchase rules with a limit, taken back
 * since or not: rule, member_id, period. */
int ledger_earn_uses_of(struct ledger *l, const char *txn, ledger_row_fn fn, void *ctx);
int ledger_earn_member_points(struct ledger *l, const char *member, const char *from,
    const char *to, int64_t *points);
int ledger_earn_given(struct ledger *l, const char *rule, int64_t *points);
/* What receipt txn earned the member in [from, to) (its entries of kind
 * earn), and its share for `rule` as receipts.earn keeps it. */
int ledger_earn_own_points(struct ledger *l, const char *member, const char *txn,
    const char *from, const char *to, int64_t *points);
int ledger_earn_own_share(struct ledger *l, const char *txn, const char *rule,
    int64_t *points);
int ledger_earn_given_add(struct ledger *l, const char *rule, int64_t points);
/* 1 recorded, 0 already there for that rule, member and key; txn the
 * purchase of a referral bonus (NULL: none). */
int ledger_earn_award(struct ledger *l, const char *rule, int version, const char *member,
    const char *period, const char *key, int64_t points, int64_t entry, const char *txn);
/* A referral rule's uses by the member in a period: its awards less those
 * taken back. */
int ledger_earn_uses_kept(struct ledger *l, const char *rule, const char *member,
    const char *period, int64_t *n);
/* A referral rule on a purchase: the member's awards whose key is
 * `base` or `base #N`, and how many of them it holds (not taken back). */
int ledger_earn_held_key(struct ledger *l, const char *rule, const char *member,
    const char *base, int *awards, int *held);
/* 1 the member has an entry of a receipt other than `except` that stands
 * (not of a purchase returned whole, nor of a return of one), 0 not. */
int ledger_earn_standing(struct ledger *l, const char *member, const char *except);
/* 1 returns have taken all of purchase txn off it, and all of the sales of
 * the exchanges that traded some of it (and of theirs), 0 not. */
int ledger_receipt_returned_whole(struct ledger *l, const char *txn);
/* The rule_awards rows of purchase txn (txn_id): referral bonuses given on
 * it and their take-backs, in the order they were made.  Their count, or
 * -1; *v to free with earn_on_free. */
struct earn_on {
	char *rule, *member, *period, *key;
	char *reason;			/* its entry's, NULL: none */
	int64_t points, entry;
	int version;
};
int ledger_earn_on_receipt(struct ledger *l, const char *txn, struct earn_on **v);
void earn_on_free(struct earn_on *v, int n);
/* 1 yes, 0 no. */
int ledger_earn_awarded(struct ledger *l, const char *rule, const char *member,
    const char *key);
/* The same of the member's own awards, not the person's. */
int ledger_earn_awarded_own(struct ledger *l, const char *rule, const char *member,
    const char *key);
/* A member's awards of a cumulative rule in a period (ledger_earn_held):
 * the person's, those of the records merged into it included. */
struct earn_held {
	int awards, back;	/* given; taken back */
	int n;			/* held, given and not taken back, oldest first: */
	struct earn_held_award {
		char *member;	/* whose award it is */
		char key[32];	/* its key, entry, points and version */
		int64_t entry, points;
		int version;
		char back_key[96];	/* the key of its take-back */
	} *v;
};
int ledger_earn_held(struct ledger *l, const char *rule, const char *member,
    const char *period, struct earn_held *h);
void earn_held_free(struct earn_held *h);
int ledger_earn_progress(struct ledger *l, const char *rule, const char *member,
    const char *period, int64_t visits_add, int64_t spend_add, int64_t *visits,
    int64_t *spend);
/* Add the progress of member `from` towards every cumulative rule to that
 * of `into`, period by period, and take it off `from` (a merge). */
int ledger_earn_progress_merge(struct ledger *l, const char *from, const char *into);
/* 1 the member has a receipt credited before, 0 not. */
int ledger_earn_bought(struct ledger *l, const char *member);
/* The same, of the receipts before `before` (a what-if's past). */
int ledger_earn_bought_before(struct ledger *l, const char *member, const char *before);
int ledger_earn_facts(struct ledger *l, const char *member, char **tier, char **birthday,
    char **referrer);
int ledger_earn_segments(struct ledger *l, const char *member, const char *names,
    char **out);
/* 1 known (*member and *event set, caller frees; occurred its
 * occurred_at), 0 not. */
int ledger_event_get(struct ledger *l, const char *event_id, char **member, char **event,
    char occurred[static 20]);
int ledger_event_count(struct ledger *l, const char *member, const char *event,
    const char *period, int64_t *n);
int ledger_event_insert(struct ledger *l, const char *event_id, const char *member,
    const char *event, const char *occurred, const char *period, int64_t points,
    const char *status, int version, const char *rules, int64_t entry);
/* kind "member", "receipt" or "entry". */
int ledger_earn_explain(struct ledger *l, const char *kind, const char *value,
    ledger_row_fn fn, void *ctx);
int ledger_earn_explained_total(struct ledger *l, const char *kind, const char *value,
    int64_t *points);
int ledger_earn_lines(struct ledger *l, const char *txn, ledger_row_fn fn, void *ctx);
int ledger_earn_replay(struct ledger *l, const char *from, const char *to, ledger_row_fn fn,
    void *ctx);
int ledger_earn_other_points(struct ledger *l, const char *from, const char *to,
    ledger_row_fn fn, void *ctx);
int ledger_earn_members(struct ledger *l, ledger_row_fn fn, void *ctx);
int ledger_earn_actual(struct ledger *l, const char *from, const char *to, ledger_row_fn fn,
    void *ctx);

/* loy-accrue --events: event rows into points.  Exit status. */
int earn_events(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args);
/* loy-accrue --explain WHAT (member=ID, receipt=TXN, entry=N). Exit status. */
int earn_explain(const struct cli *cli, struct ledger *l, const char *what);
/* loy-program what-if FILE --from DATE --to DATE.  Exit status. */
int earn_whatif(const struct cli *cli, struct ledger *l, const char *file, const char *from,
    const char *to);

#endif
