/*
 * programme: the programme file — settings, earning rules, tiers and the
 * expiry policy — parsed and checked (lib/programme.c), and kept in the
 * ledger as dated versions (lib/ledger_programme.c).  The file format is
 * documented in loy-programme(5); examples/programme.conf is a commented
 * example.  Every consumer reads the programme through this header:
 * the earning engine (lib/earn.c), loy-segment's tiers, loy-expire's policy.
 *
 * All amounts are integer minor units of the programme's currency, all
 * multipliers exact rationals (1.5 is 3/2), all dates and times ISO 8601
 * text in the programme's time zone.  Never a float.
 */
#ifndef LOY_PROGRAMME_H
#define LOY_PROGRAMME_H

#include <stdint.h>
#include <stdio.h>

#include "ledger.h"

struct ledger;
struct pattern;

/* A list of names (stores, channels, tiers, segments); n == 0: any. */
struct namelist {
	char **v;
	int n;
};

/* Which events make a rule fire. */
enum rule_trigger {
	TRIGGER_PURCHASE,	/* every receipt (the default) */
	TRIGGER_FIRST_PURCHASE,	/* a member's first credited receipt */
	TRIGGER_SIGNUP,		/* enrolment */
	TRIGGER_REFERRAL,	/* a referee's sign-up / first / every purchase */
	TRIGGER_EVENT,		/* a non-purchase event (survey, app install...) */
	TRIGGER_CUMULATIVE,	/* N visits or a spend total within a period */
};

/* What a rule does. */
enum rule_effect {
	EFFECT_MULTIPLY,	/* matching lines' base points × factor */
	EFFECT_BONUS,		/* fixed points: per receipt, per line, or per N units */
	EFFECT_EXCLUDE,		/* matching lines earn nothing at all */
};

/* What a product pattern is matched against. */
enum rule_match {
	MATCH_NONE,		/* the rule applies to the whole receipt */
	MATCH_SKU,
	MATCH_CATEGORY,
	MATCH_DESCRIPTION,
};

enum rule_period {
	PERIOD_NONE,
	PERIOD_DAY,
	PERIOD_WEEK,
	PERIOD_MONTH,
	PERIOD_QUARTER,
	PERIOD_YEAR,
	PERIOD_EVER,
};

enum referral_to {
	REFERRAL_REFERRER,
	REFERRAL_REFEREE,
	REFERRAL_BOTH,
};

enum referral_on {
	REFERRAL_ON_SIGNUP,
	REFERRAL_ON_FIRST_PURCHASE,
	REFERRAL_ON_EVERY_PURCHASE,
};

struct rule {
	char *name;			/* unique within the file: [rule NAME] */
	int line;			/* line of its section header, for messages */
	enum rule_trigger trigger;
	enum rule_effect effect;

	/* product match (MATCH_NONE: receipt-level) */
	enum rule_match match;
	char *pattern_src;
	struct pattern *pattern;

	/* effect */
	int64_t factor_num, factor_den;	/* EFFECT_MULTIPLY: factor = num/den > 0 */
	int stack;			/* 1: multiplies with other multipliers;
					   0: competes, the best one applies */
	int64_t points;			/* EFFECT_BONUS: points awarded ... */
	int64_t per_qty;		/* ... per this many units bought (0: once) */

	/* conditions; all must hold */
	char *from, *to;		/* validity window (NULL: open); `to` inclusive */
	unsigned days;			/* bit d set: weekday d (0 Monday .. 6 Sunday)
					   allowed; 0: every day */
	uint32_t hours;			/* bit h set: hour h allowed; 0: all hours */
	struct namelist stores, channels, tiers, segments;
	int tiers_by_case;		/* the version's tiers.by_case */
	int birthday_month;		/* only in the member's birthday month */
	int64_t min_amount;		/* receipt total at least this (-1: none) */

	/* caps */
	int64_t cap_receipt;		/* at most this many points per receipt (-1) */
	int64_t budget;			/* at most this many points in total (-1) */

	/* TRIGGER_REFERRAL */
	enum referral_to referral_to;
	enum referral_on referral_on;
	int64_t limit;			/* times per member per limit_period (-1: none);
					   also used by TRIGGER_EVENT */
	enum rule_period limit_period;

	/* TRIGGER_EVENT */
	char *event;			/* event type, e.g. "survey" */

	/* TRIGGER_CUMULATIVE: once per member per period */
	int64_t visits;			/* at least this many receipts (-1: none) */
	int64_t spend;			/* at least this much spent (-1: none) */
	enum rule_period period;
};

enum earn_rounding {
	ROUND_DOWN_LINE,	/* each line's points rounded down */
	ROUND_DOWN_RECEIPT,	/* exact sum over the receipt, rounded down once */
	ROUND_NEAREST,		/* each line rounded half-up */
};

/* The base earn rate and programme-wide caps: [earn]. */
struct earn_base {
	int64_t points;			/* points ... */
	int64_t per;			/* ... per this amount (minor units, > 0) */
	enum earn_rounding rounding;
	int64_t cap_receipt;		/* -1: none */
	int64_t cap_member_day;
	int64_t cap_member_month;
};

enum tier_measure {
	MEASURE_SPEND,		/* qualifying spend (receipts' amounts less returns) */
	MEASURE_POINTS,		/* points earned (never the balance) */
	MEASURE_VISITS,		/* credited receipts */
};

enum tier_window {
	WINDOW_ROLLING,		/* the last `months` months */
	WINDOW_CALENDAR_YEAR,	/* the current calendar year */
	WINDOW_MONTHLY_AVERAGE,	/* average per month over the last `months` */
	WINDOW_QUARTERLY_AVERAGE,	/* average per quarter over the last `months` */
};

enum tier_review {
	REVIEW_ANNUAL,		/* every year on review_date (MM-DD) */
	REVIEW_ANNIVERSARY,	/* on each member's enrolment anniversary */
};

struct tier {
	char *name;
	int64_t threshold;	/* in the measure's unit: minor units, points, visits */
	int line;
};

/* [tiers] and the [tier NAME] sections, lowest first; thresholds increase. */
struct tiers {
	enum tier_measure measure;
	enum tier_window window;
	int months;
	enum tier_review review;
	char review_date[6];	/* "MM-DD" for REVIEW_ANNUAL */
	int grace_days;		/* after a review, days before a downgrade lands */
	int soft_landing;	/* 1: drop at most one tier per review */
	int by_case;		/* 1: two tiers differ only in case (a version
				   stored before that was refused): rules read
				   members' tiers exactly; 0: in any case */
	struct tier *v;
	int n;
};

enum expiry_policy {
	EXPIRY_NEVER,
	EXPIRY_MONTHS,		/* `months` after earning */
	EXPIRY_YEAR_END,	/* end of the `years`-th calendar year after earning */
	EXPIRY_ROLLING,		/* `months` after the member's last activity */
};

struct expiry {
	enum expiry_policy policy;
	int months;
	int years;
};

/* One event type: [event NAME]. */
struct event_rule {
	char *name;
	int line;
	int64_t points;
	int64_t limit;		/* per member per period (-1: none) */
	enum rule_period period;
};

struct programme {
	int version;			/* 0 until stored in a ledger */
	char *effective_from;		/* ISO datetime; NULL until stored */
	char *source;			/* the file's name, for messages */
	char *text;			/* the file's text, as loaded */

	/* [programme]: the same keys and meanings as loy-init --set */
	char **setting_key, **setting_value;
	int nsettings;
	int decimals;			/* currency decimals, 0, 2 or 3 */

	struct earn_base earn;
	struct rule *rules;		/* in file order */
	int nrules;
	struct event_rule *events;
	int nevents;
	struct tiers tiers;
	struct expiry expiry;
};

/*
 * Parse and check a programme file.  `name` is used in messages, which
 * read "NAME:LINE: what is wrong" and are printed (all of them, not just
 * the first).  Returns 0, or -1 if anything is wrong (then *p is freed).
 */
int programme_parse(const char *name, const char *text, size_t len, struct programme *p);
/* A stored programme's text read as programme_parse_stored() reads it,
 * each problem given to fn (line 0: of the whole text) instead of stderr:
 * their number. */
int programme_check_stored(const char *text, size_t len,
    void (*fn)(void *ctx, int line, const char *what), void *ctx);
int programme_parse_stored(const char *name, const char *text, size_t len,
    struct programme *p);
void programme_free(struct programme *p);
/* The setting `key` of [programme], NULL if the file does not set it. */
const char *programme_setting(const struct programme *p, const char *key);
/* The index of tier `name` in p, named in any case (its own spelling
 * first, in a version whose tiers differ only in case), or -1 (none, or
 * name NULL). */
int programme_tier(const struct programme *p, const char *name);
/* The setting `key` as the version writes it into the settings table: its
 * own, what a section says (into buf), or the default; NULL for a key that
 * is no setting. */
const char *programme_value(const struct programme *p, const char *key, char *buf,
    size_t size);

/* The embedded default programme (what loy-init stores as version 1). */
extern const char programme_default[];

/*
 * Versions kept in the ledger.  Loads every stored version, oldest
 * effective date first, into *v (caller frees with programme_versions_free).
 * 0 or -1 (message printed).
 */
int programme_versions(struct ledger *l, struct programme **v, int *n);
void programme_versions_free(struct programme *v, int n);
/* The version in force at `when` (ISO date or datetime): the latest one
 * whose effective_from <= when; the oldest if none is. */
const struct programme *programme_at(const struct programme *v, int n, const char *when);
/* The ledger's versions (programme_versions), read once and kept with the
 * ledger until a version is stored or ledger_run_begin reads them again
 * (another writer committed): valid until then or ledger_close. */
int ledger_versions(struct ledger *l, const struct programme **v, int *n);
/* A number that changes whenever the versions the ledger holds may have
 * changed since (read again by ledger_run_begin, a version stored): what
 * is derived from them and kept (a cache) is out of date once it does. */
unsigned long ledger_versions_gen(const struct ledger *l);
/* The setting `key` of the version in force at `when`, into *value (valid
 * until the next call): what the settings table holds once loy-program
 * apply has run at that time, whether it has or not.  0 or -1 (said). */
int programme_setting_at(struct ledger *l, const char *key, const char *when,
    const char **value);

/* Added with loy-program. */

/* The beginning of time: the effective date of a ledger's first version. */
#define PROGRAMME_EPOCH "0000-01-01 00:00:00"

/* The settings a version writes into the ledger's settings table: every
 * key of loy-init --settings (the file's [programme] value, else what its
 * [earn], [tier] and [expiry] sections say, else the default) plus
 * expiry_policy and expiry_years.  *n pairs; free with programme_kv_free. */
void programme_ledger_settings(const struct programme *p, char ***keys, char ***values,
    int *n);
void programme_kv_free(char **keys, char **values, int n);

/* The embedded default with "KEY=VALUE" overrides applied to its text (as
 * loy-init --set gives them); caller frees.  NULL (message printed) if a
 * value cannot be written into the file (a line break in it). */
char *programme_default_with(char *const *set, int nset);
/* Check the programme programme_default_with would make: each problem is
 * printed as "--set KEY='VALUE': what is wrong", naming the override that
 * caused it.  0, or -1 if any is wrong. */
int programme_check_set(char *const *set, int nset);
/* The same check, each problem given to fn: i, the index in set of the
 * "KEY=VALUE" that caused it (-1: none alone), and what is wrong ("names
 * an empty tier", "has a control character"; of a stored setting, "the
 * value has a line break", other control characters read as they were
 * stored).  stored: set is the
 * settings a ledger holds, held to what was checked when they were stored
 * (as programme_parse_stored), an empty tiers naming no tiers.  The
 * number of problems. */
int programme_check_settings(char *const *set, int nset, int stored,
    void (*fn)(void *ctx, int i, const char *what), void *ctx);

/* A one-paragraph summary of a parsed programme, for loy-program check. */
void programme_summary(const struct programme *p, FILE *f);

/* The programme that settings (KEY=VALUE, as the settings table holds
 * them) make, read as a stored version is; 0, or -1, without a word, when
 * they make none. */
int programme_of_settings(char *const *set, int nset, struct programme *p);

/* Ledger side (lib/ledger_programme.c).  Each 0 or -1 (message printed). */
/* Store version 1, the default with loy-init's --set overrides, effective
 * from PROGRAMME_EPOCH, in the current run. */
int ledger_programme_init(struct ledger *l, char *const *set, int nset);
/* Store a new version in the current run; its number in *version. */
int ledger_programme_add(struct ledger *l, const char *effective_from, const char *source,
    const char *sha256, const char *text, int *version);
/* Receipts that earn points (not anonymous) at or after `from` and before
 * `until` (NULL: no end): how many, and the latest one's time in last (""
 * if none). */
int ledger_receipts_since(struct ledger *l, const char *from, const char *until, long *count,
    char last[20]);
/* Write settings into the settings table (insert or replace); with a new
 * phone_country every member's phone compared anew, *shared the members
 * who now share their phone with one they did not share it with (else 0). */
int ledger_settings_put(struct ledger *l, char **keys, char **values, int n, long *shared);
/* 1 if the settings table, read as a programme (as a ledger without
 * versions is read), gives the settings p writes: the same in effect,
 * however spelt (earn_amount 1 as 1.00); else 0. */
int ledger_settings_are(struct ledger *l, const struct programme *p);
/* The stored versions, oldest first: version, effective_from, loaded_at,
 * run_id, source, sha256. */
int ledger_list_programmes(struct ledger *l, ledger_row_fn fn, void *ctx);

#endif
