/* report: loy-report's reports (lib/report.c), their queries
 * (lib/ledger_report.c) and the HTML page (lib/html.c). */
#ifndef LOY_REPORT_H
#define LOY_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "ledger.h"

/* // ledger_report.c: the reports' SQL, read-only. */

enum lr_by { LR_BY_NONE, LR_BY_DAY, LR_BY_WEEK, LR_BY_MONTH, LR_BY_QUARTER, LR_BY_YEAR,
	LR_BY_TIER };
enum lr_per { LR_PER_NONE, LR_PER_STORE, LR_PER_CHANNEL, LR_PER_CATEGORY, LR_PER_RULE };

enum lr_query {
	LR_MEMBER,		/* member_id, status: the member named */
	LR_STATEMENT,		/* a member's entries with the running balance */
	LR_LOTS,		/* a member's open lots */
	LR_BALANCES,
	LR_SETTLED,		/* expired, redeemed: the observed breakage */
	LR_LIABILITY,
	LR_EARN_BURN,
	LR_BREAKAGE,
	LR_TIERS,
	LR_TIER_MOVES,		/* tier_history by period */
	LR_TIER_HISTORY,	/* a member's tier history */
	LR_ECONOMICS,
	LR_RULE_COSTS,		/* points each earning rule gave */
	LR_PROMOTION,		/* participants and control, before and during */
	LR_RETENTION,
	LR_REFERRALS,
	LR_PARTNERS,
	LR_REDEMPTIONS,
	LR_RUNS,
	LR_QUERY_MAX
};

struct lr_params {
	const char *from, *to;	/* times in [from, to); "" and "9999" for all */
	enum lr_by by;
	enum lr_per per;
	const char *member;
	const char *now;	/* the current local datetime */
	const char *tiers;	/* the tiers setting, lowest first */
	const char *horizon;	/* retention: the last month counted, YYYY-MM */
	const char *rule;	/* promotion: the rule */
	const char *before;	/* promotion: the baseline's start */
};

/* A cell as the query gave it: NULL, or an integer (i) and its text (s). */
struct lr_val {
	int null;
	int64_t i;
	const char *s;
};

/* Called once with the column names (v == NULL), then for each row;
 * returns non-zero to stop. */
typedef int (*lr_row_fn)(void *ctx, int n, const char *const *names,
    const struct lr_val *v);

/* Start the report's read transaction.  Large GROUP BYs sort through
 * temporary files, not memory (memory stays small, and it is faster).
 * 0 or -1. */
int ledger_report_begin(struct ledger *l);
/* Run report query q: 0, or -1 (message printed). */
int ledger_report(struct ledger *l, enum lr_query q, const struct lr_params *p,
    lr_row_fn fn, void *ctx);
/* The SQL of query q for p (for loy-report --sql); caller frees. */
char *ledger_report_sql(enum lr_query q, const struct lr_params *p);

/* // report.c */

/* The output format beyond csvio's CSV, TSV and table: JSON lines. */
enum { REPORT_JSON = 16 };

struct report_opts {
	const char *from, *to;	/* --from, --to: dates, or NULL */
	const char *date_format;	/* --date-format of --from and --to, or NULL: ISO */
	const char *by;		/* --by, or NULL */
	const char *per;	/* --per, or NULL */
	int lots;		/* statement --lots */
	int tiers;		/* statement --tiers */
	int format;		/* CSVIO_CSV, CSVIO_TSV, CSVIO_TABLE, REPORT_JSON */
	int safe;
	const char *title;	/* html --title */
};

/* Run report argv[0] with its operands: the exit status. */
int report_run(struct ledger *l, const struct cli *cli, const struct report_opts *o,
    int argc, char **argv);

/* // html.c: the HTML page from the reports' rows. */

/* A report's rows kept as text, for the page. */
struct grid {
	char *title;
	int ncols;
	char **names;
	char **cell;		/* nrows * ncols, row by row */
	int nrows;
	size_t ncell, cellcap;
	int header;		/* the header is being read */
};
void grid_free(struct grid *g);
const char *grid_at(const struct grid *g, int row, const char *col);

struct html_data {
	const char *programme, *currency, *now;
	struct grid tiers, earn_burn, liability, retention, balances_summary;
	struct grid *extra;	/* more tables, after the charts */
	int nextra;
};
/* Write the page to f: 0, or -1 on a write error. */
int html_write(FILE *f, const struct html_data *d);

#endif
