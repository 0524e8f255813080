/* ledger_report: the SQL behind loy-report, read-only.  Each query is
 * assembled from fixed text (the period's expression chosen by --by, the
 * dimension chosen by --per); every value comes in as a bound parameter:
 * :from, :to, :member, :now, :tiers, :horizon.  loy-report(1) prints the
 * plain SQL that reproduces each report's main figure. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ledger_int.h"
#include "report.h"

/* The period a time column falls in, as text that sorts. */
static const char *
bucket(enum lr_by by, const char *col, char *buf, size_t size)
{
	switch (by) {
	case LR_BY_DAY:
		snprintf(buf, size, "substr(%s, 1, 10)", col);
		break;
	case LR_BY_WEEK:	/* the Monday the week starts on */
		snprintf(buf, size, "date(substr(%s, 1, 10), 'weekday 0', '-6 days')", col);
		break;
	case LR_BY_MONTH:
		snprintf(buf, size, "substr(%s, 1, 7)", col);
		break;
	case LR_BY_QUARTER:	/* 2026-Q3: months 07 to 09 */
		snprintf(buf, size, "substr(%s, 1, 4) || '-Q' || ((substr(%s, 6, 2) + 2) / 3)",
		    col, col);
		break;
	case LR_BY_YEAR:
		snprintf(buf, size, "substr(%s, 1, 4)", col);
		break;
	default:
		snprintf(buf, size, "''");
		break;
	}
	return buf;
}

/* The period column's name: "period", or "_period" (not printed) without --by. */
static const char *
pname(enum lr_by by)
{
	return by == LR_BY_NONE ? "_period" : "period";
}

static char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		loy_die(71, "out of memory");
	va_end(ap);
	return s;
}

/* A line of a receipt's earn: an array [line, sku, category, description,
 * qty, amount, points, {rule: points}], or, as first kept, an object with
 * those names. */
#define LINE_CATEGORY(x) \
	"coalesce(json_extract(" x ".value, '$[2]'), " \
	"json_extract(" x ".value, '$.category'), '')"
#define LINE_POINTS(x) \
	"coalesce(json_extract(" x ".value, '$[6]'), json_extract(" x ".value, '$.points'))"
#define LINE_RULES(x) \
	"json_each(" x ".value, CASE json_type(" x ".value) WHEN 'array' THEN '$[7]' " \
	"ELSE '$.rules' END)"

/* earn-burn --per category: a receipt's points by its lines' categories, as
 * the earning rules recorded them (receipts.earn); its receipt-wide rules'
 * points (what an exchange's return lines took back a return's, as its
 * entry is), and every other entry, under ''. */
static const char by_category[] =
    "(SELECT occurred_at, kind, points, '' AS category FROM journal\n"
    "         WHERE source IS NOT 'receipt' OR ref NOT IN\n"
    "               (SELECT txn_id FROM receipts WHERE earn IS NOT NULL)\n"
    "        UNION ALL\n"
    "        SELECT r.occurred_at, 'earn', " LINE_POINTS("x") ",\n"
    "               " LINE_CATEGORY("x") "\n"
    "          FROM receipts r, json_each(r.earn, '$.lines') x\n"
    "         WHERE r.earn IS NOT NULL\n"
    "        UNION ALL\n"
    "        SELECT r.occurred_at,\n"
    "               CASE x.key WHEN '[return]' THEN 'return' ELSE 'earn' END, x.value, ''\n"
    "          FROM receipts r, json_each(r.earn, '$.receipt') x\n"
    "         WHERE r.earn IS NOT NULL) j\n";

#define WINDOW(col) col " >= :from AND " col " < :to"

/* A redemption's partner and unit cost: those it keeps (schema version 4
 * on).  One made before has neither, like one of the programme's own
 * rewards; it is told apart by its reward, unchanged since before the
 * redemption's run (rewards.updated_run < run_id), naming a partner: a
 * redemption made since would have kept that partner.  A reward changed
 * since leaves it the programme's own: what it cost then is not known. */
#define PARTNER_JOIN \
	"  FROM redemptions d LEFT JOIN rewards w ON d.partner_id IS NULL\n" \
	"   AND w.reward_id = d.reward_id AND w.updated_run < d.run_id\n"
#define PARTNER "coalesce(d.partner_id, w.partner_id)"
#define PARTNER_COST "coalesce(d.partner_cost, w.partner_cost)"

/* Tier order: the tiers setting split into (name, rank) rows, lowest first. */
#define TIER_NAMES \
	"WITH RECURSIVE tn(name, rest, rank) AS (\n" \
	"  SELECT '', :tiers || ',', 0\n" \
	"  UNION ALL\n" \
	"  SELECT trim(substr(rest, 1, instr(rest, ',') - 1)),\n" \
	"         substr(rest, instr(rest, ',') + 1), rank + 1\n" \
	"    FROM tn WHERE rest <> ''),\n" \
	"t AS (SELECT name, rank FROM tn WHERE rank > 0 AND name <> '')\n"

/* Is x (a member's tier, one in the history) the tier t of the setting?
 * Tier names are read in any case, a name's own spelling first (a setting
 * may hold two tiers that differ only in case, from a version loaded before
 * that was refused): Opal is OPAL once a version spells it so. */
#define TIER_IS(t, x) \
	t ".name = " x " COLLATE NOCASE AND " t ".rank = coalesce(\n" \
	"    (SELECT min(y.rank) FROM t y WHERE y.name = " x "),\n" \
	"    (SELECT min(y.rank) FROM t y WHERE y.name = " x " COLLATE NOCASE))"

/* The member row `x` counts for, joined as "LEFT JOIN merged x_s"; text, as
 * member_id is, so that a join on it can be made through an index. */
#define WHO(x) "CAST(coalesce(" x "_s.survivor, " x ".member_id) AS TEXT)"
#define WHO_JOIN(x) "LEFT JOIN merged " x "_s ON " x "_s.member_id = " x ".member_id"

/* Whether --from or --to narrows the report (else no WHERE at all: a
 * comparison a row is time on 10,000,000 entries). */
static int
windowed(const struct lr_params *p)
{
	return (p->from && *p->from) || (p->to && strcmp(p->to, "9999") != 0);
}

char *
ledger_report_sql(enum lr_query q, const struct lr_params *p)
{
	char b[160], dim[160] = "", join[400] = "";

	switch (q) {
	case LR_MEMBER:
		return fmt("SELECT member_id, status FROM members WHERE member_id = :member");
	case LR_STATEMENT:
		return fmt(
		    "SELECT entry_id, occurred_at, posted_at, kind, points, balance,\n"
		    "       source, ref, reason\n"
		    "  FROM (SELECT *, sum(points) OVER (ORDER BY entry_id) AS balance\n"
		    "          FROM journal WHERE member_id = :member)\n"
		    " WHERE " WINDOW("occurred_at") "\n"
		    " ORDER BY entry_id");
	case LR_LOTS:
		return fmt(
		    "SELECT lot_id, earned_at, expires_at, available_at, points, remaining,\n"
		    "       CASE WHEN expires_at < date(:now, '+1 day') THEN 'past date'\n"
		    "            WHEN available_at > :now THEN 'pending'\n"
		    "            ELSE 'spendable' END AS state\n"
		    "  FROM lots\n"
		    " WHERE member_id = :member AND remaining > 0\n"
		    " ORDER BY expires_at IS NULL, expires_at, lot_id");
	case LR_BALANCES:
		/* the last activity of a member's receipts and redemptions,
		 * and of those of the members merged into it */
		return fmt(
		    "WITH RECURSIVE " LEDGER_MERGED
		    "SELECT m.member_id, m.status, m.tier, coalesce(b.points, 0) AS balance,\n"
		    "       coalesce(o.spendable, 0) AS spendable,\n"
		    "       coalesce(o.pending, 0) AS pending,\n"
		    "       coalesce(o.past_date, 0) AS past_date,\n"
		    "       nullif(max(coalesce(r.last, ''), coalesce(d.last, '')), '')\n"
		    "         AS last_activity\n"
		    "  FROM members m\n"
		    "  LEFT JOIN balances b USING (member_id)\n"
		    "  LEFT JOIN (SELECT member_id,\n"
		    "                    sum(remaining) FILTER (WHERE (expires_at IS NULL\n"
		    "                        OR expires_at >= date(:now, '+1 day'))\n"
		    "                      AND (available_at IS NULL OR available_at <= :now))\n"
		    "                      AS spendable,\n"
		    "                    sum(remaining) FILTER (WHERE (expires_at IS NULL\n"
		    "                        OR expires_at >= date(:now, '+1 day'))\n"
		    "                      AND available_at > :now) AS pending,\n"
		    "                    sum(remaining) FILTER (WHERE\n"
		    "                      expires_at < date(:now, '+1 day')) AS past_date\n"
		    "               FROM lots WHERE remaining > 0\n"
		    "              GROUP BY member_id) o USING (member_id)\n"
		    "  LEFT JOIN (SELECT " WHO("x") " AS member_id, max(x.last) AS last\n"
		    "               FROM (SELECT member_id, max(occurred_at) AS last\n"
		    "                       FROM receipts WHERE member_id IS NOT NULL\n"
		    "                      GROUP BY member_id) x " WHO_JOIN("x") "\n"
		    "              GROUP BY 1) r USING (member_id)\n"
		    "  LEFT JOIN (SELECT " WHO("x") " AS member_id, max(x.last) AS last\n"
		    "               FROM (SELECT member_id, max(requested_at) AS last\n"
		    "                       FROM redemptions WHERE status <> 'refused'\n"
		    "                      GROUP BY member_id) x " WHO_JOIN("x") "\n"
		    "              GROUP BY 1) d USING (member_id)\n"
		    " ORDER BY m.member_id");
	case LR_SETTLED:
		return fmt(
		    "SELECT coalesce(-sum(points) FILTER (WHERE kind = 'expire'), 0)\n"
		    "         AS expired,\n"
		    "       coalesce(-sum(points) FILTER (WHERE kind IN ('redeem', 'cancel')), 0)\n"
		    "         AS redeemed\n"
		    "  FROM journal");
	case LR_LIABILITY:
		if (p->by == LR_BY_TIER)
			return fmt(TIER_NAMES
			    "SELECT coalesce(t.name, m.tier, '') AS tier,\n"
			    "       count(DISTINCT l.member_id) AS members, count(*) AS lots,\n"
			    "       sum(l.remaining) AS points\n"
			    "  FROM lots l JOIN members m USING (member_id)\n"
			    "  LEFT JOIN t ON " TIER_IS("t", "m.tier") "\n"
			    " WHERE l.remaining > 0\n"
			    " GROUP BY coalesce(t.name, m.tier)\n"
			    " ORDER BY min(t.rank) IS NULL, min(t.rank), 1");
		return fmt(
		    "SELECT coalesce(%s, 'never') AS expires,\n"
		    "       count(DISTINCT member_id) AS members, count(*) AS lots,\n"
		    "       sum(remaining) AS points\n"
		    "  FROM lots\n"
		    " WHERE remaining > 0\n"
		    " GROUP BY 1\n"
		    " ORDER BY min(expires_at) IS NULL, 1",
		    bucket(p->by, "expires_at", b, sizeof(b)));
	case LR_EARN_BURN:
		if (p->per == LR_PER_STORE) {
			snprintf(dim, sizeof(dim), ", coalesce(r.store, '') AS store");
			snprintf(join, sizeof(join),
			    "  LEFT JOIN receipts r ON j.source = 'receipt' AND r.txn_id = j.ref\n");
		} else if (p->per == LR_PER_CATEGORY) {
			snprintf(dim, sizeof(dim), ", j.category AS category");
		} else if (p->per == LR_PER_CHANNEL) {
			snprintf(dim, sizeof(dim),
			    ", coalesce(r.channel, d.channel, '') AS channel");
			snprintf(join, sizeof(join),
			    "  LEFT JOIN receipts r ON j.source = 'receipt' AND r.txn_id = j.ref\n"
			    "  LEFT JOIN redemptions d ON j.source = 'redemption'\n"
			    "    AND d.request_id = j.ref\n");
		}
		/* "other" is what the named kinds leave of the net: one
		 * subtraction a group, not a NOT IN a row */
		return fmt(
		    "SELECT *, net - earned - returned - bonus - adjusted - opening - redeemed\n"
		    "         - cancelled - expired - merged - transferred AS other\n"
		    "  FROM (\n"
		    "SELECT %s AS %s%s,\n"
		    "       coalesce(sum(j.points) FILTER (WHERE j.kind = 'earn'), 0) AS earned,\n"
		    "       coalesce(sum(j.points) FILTER (WHERE j.kind = 'return'), 0) AS returned,\n"
		    "       coalesce(sum(j.points) FILTER (WHERE j.kind = 'bonus'), 0) AS bonus,\n"
		    "       coalesce(sum(j.points) FILTER (WHERE j.kind = 'adjust'), 0) AS adjusted,\n"
		    "       coalesce(sum(j.points) FILTER (WHERE j.kind = 'opening'), 0) AS opening,\n"
		    "       coalesce(sum(j.points) FILTER (WHERE j.kind = 'redeem'), 0) AS redeemed,\n"
		    "       coalesce(sum(j.points) FILTER (WHERE j.kind = 'cancel'), 0) AS cancelled,\n"
		    "       coalesce(sum(j.points) FILTER (WHERE j.kind = 'expire'), 0) AS expired,\n"
		    "       coalesce(sum(j.points) FILTER (WHERE j.kind = 'merge'), 0) AS merged,\n"
		    "       coalesce(sum(j.points) FILTER (WHERE j.kind = 'transfer'), 0)\n"
		    "         AS transferred,\n"
		    "       sum(j.points) AS net, count(*) AS entries\n"
		    "  FROM %s"
		    "%s"
		    "%s"
		    " GROUP BY 1%s)\n"
		    " ORDER BY 1%s",
		    bucket(p->by, "j.occurred_at", b, sizeof(b)), pname(p->by), dim,
		    p->per == LR_PER_CATEGORY ? by_category : "journal j\n", join,
		    windowed(p) ? " WHERE " WINDOW("j.occurred_at") "\n" : "",
		    *dim ? ", 2" : "", *dim ? ", 2" : "");
	case LR_BREAKAGE:
		return fmt(
		    "SELECT %s AS %s,\n"
		    "       coalesce(sum(l.points) FILTER (WHERE e.kind NOT IN ('merge', 'cancel',\n"
		    "         'transfer')), 0) AS earned,\n"
		    "       -coalesce(sum(v.redeemed), 0)\n"
		    "         - coalesce(sum(l.points) FILTER (WHERE e.kind = 'cancel'), 0)\n"
		    "         AS redeemed,\n"
		    "       -coalesce(sum(v.expired), 0) AS expired,\n"
		    "       coalesce(sum(l.points) FILTER (WHERE e.kind IN ('merge', 'transfer')),\n"
		    "         0) + coalesce(sum(v.other), 0) AS other,\n"
		    "       sum(l.remaining) AS outstanding\n"
		    "  FROM lots l\n"
		    "  JOIN journal e ON e.entry_id = l.entry_id\n"
		    "  LEFT JOIN (SELECT m.lot_id,\n"
		    "                    sum(m.points) FILTER (WHERE k.kind = 'redeem') AS redeemed,\n"
		    "                    sum(m.points) FILTER (WHERE k.kind = 'expire') AS expired,\n"
		    "                    sum(m.points) FILTER (WHERE k.kind NOT IN ('redeem',\n"
		    "                      'expire')) AS other\n"
		    "               FROM lot_moves m JOIN journal k ON k.entry_id = m.entry_id\n"
		    "              GROUP BY m.lot_id) v ON v.lot_id = l.lot_id\n"
		    " WHERE " WINDOW("l.earned_at") "\n"
		    " GROUP BY 1\n"
		    " ORDER BY 1",
		    bucket(p->by == LR_BY_NONE ? LR_BY_MONTH : p->by, "l.earned_at", b,
		    sizeof(b)), "cohort");
	case LR_TIERS:
		return fmt(TIER_NAMES ",\n"
		    "c AS (SELECT coalesce(t.name, m.tier) AS tier, count(*) AS members,\n"
		    "             sum(coalesce(b.points, 0)) AS points\n"
		    "        FROM members m LEFT JOIN balances b USING (member_id)\n"
		    "        LEFT JOIN t ON " TIER_IS("t", "m.tier") "\n"
		    "       WHERE m.status = 'active'\n"
		    "       GROUP BY 1)\n"
		    "SELECT coalesce(t.name, c.tier, '') AS tier,\n"
		    "       coalesce(c.members, 0) AS members,\n"
		    "       sum(coalesce(c.members, 0)) OVER () AS total,\n"
		    "       coalesce(c.points, 0) AS points\n"
		    "  FROM t FULL JOIN c ON c.tier = t.name\n"
		    " ORDER BY t.rank IS NULL, t.rank, c.tier");
	case LR_TIER_MOVES:
		return fmt(TIER_NAMES ",\n" LEDGER_MERGED
		    "SELECT %s AS %s, coalesce(h.from_tier, '') AS from_tier,\n"
		    "       coalesce(h.to_tier, '') AS to_tier,\n"
		    "       CASE WHEN h.reason = 'merged' THEN 'merged'\n"
		    "            WHEN h.from_tier IS NULL THEN 'entry'\n"
		    "            WHEN h.to_tier IS NULL THEN 'exit'\n"
		    "            WHEN f.rank IS NULL OR n.rank IS NULL THEN 'change'\n"
		    "            WHEN n.rank > f.rank THEN 'upgrade'\n"
		    "            WHEN n.rank < f.rank THEN 'downgrade'\n"
		    "            ELSE 'same' END AS movement,\n"
		    "       count(*) AS changes, count(DISTINCT " WHO("h") ") AS members\n"
		    "  FROM tier_history h " WHO_JOIN("h") "\n"
		    "  LEFT JOIN t f ON " TIER_IS("f", "h.from_tier") "\n"
		    "  LEFT JOIN t n ON " TIER_IS("n", "h.to_tier") "\n"
		    " WHERE " WINDOW("h.effective") "\n"
		    " GROUP BY 1, 2, 3, 4\n"
		    " ORDER BY 1, min(f.rank) IS NULL, min(f.rank), 2, min(n.rank), 3, 4",
		    bucket(p->by == LR_BY_NONE ? LR_BY_MONTH : p->by, "h.effective", b,
		    sizeof(b)), "period");
	case LR_TIER_HISTORY:
		return fmt(
		    "SELECT change_id, effective, from_tier, to_tier, reason, measure,\n"
		    "       threshold, run_id\n"
		    "  FROM tier_history\n"
		    " WHERE member_id = :member AND " WINDOW("effective") "\n"
		    " ORDER BY change_id");
	case LR_ECONOMICS:
		return fmt(
		    "SELECT %s, sum(sales) AS sales, sum(member_sales) AS member_sales,\n"
		    "       sum(purchases) AS purchases, sum(earned) AS points_earned,\n"
		    "       sum(adjusted) AS points_adjusted,\n"
		    "       sum(redeemed) AS points_redeemed,\n"
		    "       sum(partner_cost) AS partner_cost\n"
		    "  FROM (SELECT %s AS %s, amount AS sales,\n"
		    "               CASE WHEN member_id IS NOT NULL THEN amount ELSE 0 END\n"
		    "                 AS member_sales,\n"
		    "               amount > 0 AS purchases, 0 AS earned, 0 AS adjusted,\n"
		    "               0 AS redeemed, 0 AS partner_cost\n"
		    "          FROM receipts\n"
		    "         WHERE " WINDOW("occurred_at") "\n"
		    "        UNION ALL\n"
		    "        SELECT %s, 0, 0, 0,\n"
		    "               CASE WHEN kind IN ('earn', 'return') THEN points ELSE 0 END,\n"
		    "               CASE WHEN kind = 'adjust' THEN points ELSE 0 END,\n"
		    "               CASE WHEN kind IN ('redeem', 'cancel') THEN -points ELSE 0 END,\n"
		    "               0\n"
		    "          FROM journal\n"
		    "         WHERE kind IN ('earn', 'return', 'adjust', 'redeem', 'cancel')\n"
		    "           AND " WINDOW("occurred_at") "\n"
		    "        UNION ALL\n"
		    "        SELECT %s, 0, 0, 0, 0, 0, 0,\n"
		    "               d.qty * " PARTNER_COST "\n"
		    "        " PARTNER_JOIN
		    "         WHERE d.status = 'redeemed'\n"
		    "           AND " WINDOW("d.requested_at") "\n"
		    "%s"
		    "       )\n"
		    " GROUP BY 1\n"
		    " ORDER BY 1",
		    pname(p->by), bucket(p->by, "occurred_at", b, sizeof(b)), pname(p->by),
		    b, bucket(p->by, "d.requested_at", dim, sizeof(dim)),
		    /* the whole time is one row, of zeros when nothing happened */
		    p->by == LR_BY_NONE ? "        UNION ALL\n"
		    "        SELECT '', 0, 0, 0, 0, 0, 0, 0\n" : "");
	case LR_RULE_COSTS:
		return fmt(
		    "WITH RECURSIVE " LEDGER_MERGED ",\n"
		    "parts(at, member_id, rule, points) AS (\n"
		    /* what an exchange's return lines took back is a return's,
		     * which no rule's cost counts */
		    "  SELECT r.occurred_at, r.member_id, x.key, x.value\n"
		    "    FROM receipts r, json_each(r.earn, '$.receipt') x\n"
		    "   WHERE r.earn IS NOT NULL AND x.key <> '[return]'\n"
		    "  UNION ALL\n"
		    "  SELECT r.occurred_at, r.member_id, k.key, k.value\n"
		    "    FROM receipts r, json_each(r.earn, '$.lines') x,\n"
		    "         " LINE_RULES("x") " k\n"
		    "   WHERE r.earn IS NOT NULL\n"
		    "  UNION ALL\n"
		    "  SELECT occurred_at, member_id, ref, points FROM journal\n"
		    "   WHERE kind = 'bonus' AND source = 'rule' AND reverses IS NULL\n"
		    "  UNION ALL\n"
		    "  SELECT j.occurred_at, j.member_id, '[event ' || e.event || ']', j.points\n"
		    "    FROM journal j JOIN events e ON e.entry_id = j.entry_id\n"
		    "   WHERE j.kind = 'bonus' AND j.source = 'event'),\n"
		    "g AS (SELECT %s AS period, rule, count(*) AS awards,\n"
		    "             count(DISTINCT " WHO("p") ") AS members, sum(points) AS points\n"
		    "        FROM parts p " WHO_JOIN("p") "\n"
		    "       WHERE " WINDOW("at") "\n"
		    "       GROUP BY 1, 2)\n"
		    "SELECT period AS %s, rule, awards, members, points,\n"
		    "       sum(points) OVER (PARTITION BY period) AS total\n"
		    "  FROM g\n"
		    " ORDER BY period, points DESC, rule",
		    bucket(p->by, "at", b, sizeof(b)), pname(p->by));
	case LR_PROMOTION:
		return fmt(
		    "WITH RECURSIVE " LEDGER_MERGED ",\n"
		    "awards(member_id, points) AS (\n"
		    "  SELECT r.member_id, x.value\n"
		    "    FROM receipts r, json_each(r.earn, '$.receipt') x\n"
		    "   WHERE r.earn IS NOT NULL AND x.key = :rule\n"
		    "     AND " WINDOW("r.occurred_at") "\n"
		    "  UNION ALL\n"
		    "  SELECT r.member_id, k.value\n"
		    "    FROM receipts r, json_each(r.earn, '$.lines') x,\n"
		    "         " LINE_RULES("x") " k\n"
		    "   WHERE r.earn IS NOT NULL AND k.key = :rule\n"
		    "     AND " WINDOW("r.occurred_at") "\n"
		    "  UNION ALL\n"
		    "  SELECT member_id, points FROM journal\n"
		    "   WHERE kind = 'bonus' AND source = 'rule' AND ref = :rule\n"
		    "     AND reverses IS NULL\n"
		    "     AND " WINDOW("occurred_at") "),\n"
		    "p AS (SELECT " WHO("a") " AS member_id, sum(points) AS points\n"
		    "        FROM awards a " WHO_JOIN("a") "\n"
		    "       GROUP BY 1 HAVING sum(points) <> 0),\n"
		    "grp AS (SELECT m.member_id,\n"
		    "               CASE WHEN p.member_id IS NULL THEN 'control'\n"
		    "                    ELSE 'participants' END AS grp,\n"
		    "               coalesce(p.points, 0) AS points\n"
		    "          FROM members m LEFT JOIN p USING (member_id)\n"
		    "         WHERE p.member_id IS NOT NULL\n"
		    "            OR (m.status = 'active' AND m.enrolled_at < :before)),\n"
		    "rc AS (SELECT " WHO("r") " AS member_id,\n"
		    "              count(*) FILTER (WHERE amount > 0 AND occurred_at < :from)\n"
		    "                AS visits_before,\n"
		    "              count(*) FILTER (WHERE amount > 0 AND occurred_at >= :from)\n"
		    "                AS visits_during,\n"
		    "              coalesce(sum(amount) FILTER (WHERE occurred_at < :from), 0)\n"
		    "                AS spend_before,\n"
		    "              coalesce(sum(amount) FILTER (WHERE occurred_at >= :from), 0)\n"
		    "                AS spend_during\n"
		    "         FROM receipts r " WHO_JOIN("r") "\n"
		    "        WHERE r.member_id IS NOT NULL\n"
		    "          AND r.occurred_at >= :before AND r.occurred_at < :to\n"
		    "        GROUP BY 1)\n"
		    "SELECT grp AS \"group\", count(*) AS members,\n"
		    "       coalesce(sum(rc.visits_before), 0) AS visits_before,\n"
		    "       coalesce(sum(rc.visits_during), 0) AS visits_during,\n"
		    "       coalesce(sum(rc.spend_before), 0) AS spend_before,\n"
		    "       coalesce(sum(rc.spend_during), 0) AS spend_during,\n"
		    "       sum(grp.points) AS points\n"
		    "  FROM grp LEFT JOIN rc USING (member_id)\n"
		    " GROUP BY grp\n"
		    " ORDER BY grp DESC");
	case LR_RETENTION:
		/* cohorts of members who stand alone; a merged member's
		 * receipts count for its survivor, in the survivor's cohort;
		 * purchases up to --to, the month of --to up to that day */
		return fmt(
		    "WITH RECURSIVE " LEDGER_MERGED ",\n"
		    "c AS (SELECT substr(enrolled_at, 1, 7) AS cohort, count(*) AS members\n"
		    "        FROM members\n"
		    "       WHERE status <> 'merged' AND " WINDOW("enrolled_at") "\n"
		    "         AND substr(enrolled_at, 1, 7) <= :horizon\n"
		    "       GROUP BY 1),\n"
		    /* the months since the oldest cohort's, however many */
		    "k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k\n"
		    "          WHERE n < (SELECT substr(:horizon, 1, 4) * 12\n"
		    "                            + substr(:horizon, 6, 2)\n"
		    "                            - substr(min(cohort), 1, 4) * 12\n"
		    "                            - substr(min(cohort), 6, 2) FROM c)),\n"
		    "a AS (SELECT substr(m.enrolled_at, 1, 7) AS cohort,\n"
		    "             substr(r.occurred_at, 1, 4) * 12 + substr(r.occurred_at, 6, 2)\n"
		    "             - (substr(m.enrolled_at, 1, 4) * 12\n"
		    "                + substr(m.enrolled_at, 6, 2)) AS month,\n"
		    "             count(DISTINCT m.member_id) AS active\n"
		    "        FROM receipts r " WHO_JOIN("r") "\n"
		    "        JOIN members m ON m.member_id = " WHO("r") "\n"
		    "       WHERE r.amount > 0 AND " WINDOW("m.enrolled_at") "\n"
		    "         AND r.occurred_at < :to\n"
		    "         AND substr(r.occurred_at, 1, 7) <= :horizon\n"
		    "       GROUP BY 1, 2)\n"
		    "SELECT c.cohort, c.members, k.n AS month, coalesce(a.active, 0) AS active\n"
		    "  FROM c\n"
		    "  JOIN k ON k.n <= substr(:horizon, 1, 4) * 12 + substr(:horizon, 6, 2)\n"
		    "               - (substr(c.cohort, 1, 4) * 12 + substr(c.cohort, 6, 2))\n"
		    "  LEFT JOIN a ON a.cohort = c.cohort AND a.month = k.n\n"
		    " ORDER BY c.cohort, k.n");
	case LR_REFERRALS:
		/* referees who stand alone, with the receipts of the members
		 * merged into them; a merged referrer is its survivor */
		return fmt(
		    "WITH RECURSIVE " LEDGER_MERGED ",\n"
		    "s AS (SELECT " WHO("r") " AS member_id,\n"
		    "             count(*) FILTER (WHERE r.amount > 0) AS purchases,\n"
		    "             sum(r.amount) AS spend\n"
		    "        FROM receipts r " WHO_JOIN("r") "\n"
		    "       WHERE r.member_id IS NOT NULL\n"
		    "         AND " WINDOW("r.occurred_at") "\n"
		    "       GROUP BY 1)\n"
		    "SELECT coalesce(f.survivor, m.referrer) AS referrer, count(*) AS referees,\n"
		    "       count(*) FILTER (WHERE s.purchases > 0) AS purchasing,\n"
		    "       coalesce(sum(s.purchases), 0) AS purchases,\n"
		    "       coalesce(sum(s.spend), 0) AS spend\n"
		    "  FROM members m\n"
		    "  LEFT JOIN merged f ON f.member_id = m.referrer\n"
		    "  LEFT JOIN s USING (member_id)\n"
		    " WHERE m.referrer IS NOT NULL AND m.status <> 'merged'\n"
		    "   AND coalesce(f.survivor, m.referrer) <> m.member_id\n"
		    " GROUP BY 1\n"
		    " ORDER BY spend DESC, 1");
	case LR_PARTNERS:
		return fmt(
		    "SELECT %s AS %s, " PARTNER " AS partner,\n"
		    "       count(DISTINCT d.reward_id) AS rewards, count(*) AS redemptions,\n"
		    "       sum(d.qty) AS units, sum(d.qty * " PARTNER_COST ") AS cost\n"
		    PARTNER_JOIN
		    " WHERE d.status = 'redeemed' AND " PARTNER " IS NOT NULL\n"
		    "   AND " WINDOW("d.requested_at") "\n"
		    " GROUP BY 1, 2\n"
		    " ORDER BY 1, 2",
		    bucket(p->by, "d.requested_at", b, sizeof(b)), pname(p->by));
	case LR_REDEMPTIONS:
		return fmt(
		    "WITH RECURSIVE " LEDGER_MERGED
		    "SELECT %s AS %s, d.reward_id, w.name,\n"
		    "       count(*) FILTER (WHERE d.status = 'redeemed') AS redeemed,\n"
		    "       coalesce(sum(d.qty) FILTER (WHERE d.status = 'redeemed'), 0) AS units,\n"
		    "       coalesce(sum(d.points) FILTER (WHERE d.status = 'redeemed'), 0)\n"
		    "         AS points,\n"
		    "       count(DISTINCT " WHO("d") ") FILTER (WHERE d.status = 'redeemed')\n"
		    "         AS members,\n"
		    "       count(*) FILTER (WHERE d.status = 'cancelled') AS cancelled,\n"
		    "       count(*) FILTER (WHERE d.status = 'refused') AS refused\n"
		    "  FROM redemptions d LEFT JOIN rewards w ON w.reward_id = d.reward_id\n"
		    "  " WHO_JOIN("d") "\n"
		    " WHERE " WINDOW("d.requested_at") "\n"
		    " GROUP BY 1, 2\n"
		    " ORDER BY 1, 2",
		    bucket(p->by, "d.requested_at", b, sizeof(b)), pname(p->by));
	case LR_RUNS:
		return fmt(
		    "SELECT r.run_id, r.program, r.started_at, r.ended_at, r.rows_read,\n"
		    "       r.rows_changed, r.rows_unchanged, r.rows_rejected,\n"
		    "       (SELECT group_concat(name, ' ')\n"
		    "          FROM (SELECT name FROM run_inputs i\n"
		    "                 WHERE i.run_id = r.run_id ORDER BY seq)) AS inputs,\n"
		    "       (SELECT group_concat(sha256, ' ')\n"
		    "          FROM (SELECT sha256 FROM run_inputs i\n"
		    "                 WHERE i.run_id = r.run_id ORDER BY seq)) AS sha256,\n"
		    "       r.summary, r.args, r.operator\n"
		    "  FROM runs r\n"
		    " WHERE " WINDOW("r.started_at") "\n"
		    " ORDER BY r.run_id");
	case LR_QUERY_MAX:
		break;
	}
	return NULL;
}

int
ledger_report_begin(struct ledger *l)
{
	if (ledger_exec(l, "PRAGMA temp_store = FILE") < 0)
		return -1;
	return ledger_begin_read(l);
}

static void
bind(sqlite3_stmt *st, const char *name, const char *value)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		ledger_bind_text(st, i, value);
}

int
ledger_report(struct ledger *l, enum lr_query q, const struct lr_params *p, lr_row_fn fn,
    void *ctx)
{
	char *sql = ledger_report_sql(q, p);
	sqlite3_stmt *st;
	const char **names;
	struct lr_val *v;
	int n, rc, stop;

	if (!sql)
		return loy_error("no such report query");
	rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return ledger_fail(l, "cannot prepare the report");
	bind(st, ":from", p->from ? p->from : "");
	bind(st, ":to", p->to ? p->to : "9999");
	bind(st, ":member", p->member);
	bind(st, ":now", p->now);
	bind(st, ":tiers", p->tiers ? p->tiers : "");
	bind(st, ":horizon", p->horizon);
	bind(st, ":rule", p->rule);
	bind(st, ":before", p->before);
	n = sqlite3_column_count(st);
	names = loy_xmalloc(n * sizeof(*names));
	v = loy_xmalloc(n * sizeof(*v));
	for (int i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, i);
	stop = fn(ctx, n, names, NULL);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			v[i].null = sqlite3_column_type(st, i) == SQLITE_NULL;
			v[i].i = sqlite3_column_int64(st, i);
			v[i].s = (const char *)sqlite3_column_text(st, i);
			if (!v[i].s)
				v[i].s = "";
		}
		stop = fn(ctx, n, names, v);
	}
	free(names);
	free(v);
	if (!stop && rc != SQLITE_DONE) {
		ledger_fail(l, "cannot read the report");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}
