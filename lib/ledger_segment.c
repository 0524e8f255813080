/* ledger_segment: the SQL of loy-segment (tiers, segments, lists); the
 * tables are in loy-ledger(5).  Statements that run once per run are
 * prepared, used and finalized on the spot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ledger_int.h"
#include "segment.h"


/* One text value of a one-row query into out (size n; "" for NULL). */
static int
text_of(struct ledger *l, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st = ledger_prepare(l, sql);
	int rc;

	if (!st)
		return -1;
	out[0] = '\0';
	if ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_fail(l, "cannot read");
	return 0;
}

int
ledger_segment_holds(struct ledger *l, const char *segment, size_t len, const char *member,
    int *known)
{
	/* the member, or a record merged into it since the segment was saved */
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_SEGMENT_MEMBER_IN,
	    S_SEGMENT_MEMBER_IN_ALL,
	    "SELECT (SELECT 1 FROM segments WHERE name = ?1),"
	    " EXISTS (SELECT 1 FROM segment_members WHERE segment = ?1 AND member_id = ?2)",
	    LEDGER_PERSON("?2") "SELECT (SELECT 1 FROM segments WHERE name = ?1),"
	    " EXISTS (SELECT 1 FROM segment_members WHERE segment = ?1"
	    " AND member_id IN person)");
	int rc, in = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, segment, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, member, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (known)
			*known = sqlite3_column_type(st, 0) != SQLITE_NULL;
		in = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? in : ledger_fail(l, "cannot read a segment");
}

int
segment_member_in(struct ledger *l, const char *segment, const char *member_id)
{
	int known, in = ledger_segment_holds(l, segment, strlen(segment), member_id, &known);

	if (in < 0)
		return -1;
	if (!known)
		return loy_error("no segment '%s' (save one with: loy-segment save %s)", segment,
		    segment);
	return in;
}

int
ledger_segment_sorts_on_disk(struct ledger *l)
{
	return ledger_exec(l, "PRAGMA temp_store = FILE");
}

int
ledger_segment_first_date(struct ledger *l, char out[11])
{
	char d[32];

	if (text_of(l, "SELECT min(d) FROM (SELECT min(enrolled_at) AS d FROM members"
	    " UNION ALL SELECT * FROM (SELECT occurred_at FROM journal"
	    " ORDER BY entry_id LIMIT 1))", d, sizeof(d)) < 0)
		return -1;
	snprintf(out, 11, "%.10s", d);
	return 0;
}

/* a member of prefix P merged into another on or after TO (merged_at is
 * the time of the merge), so a member of its own before it */
#define MERGED_AFTER(P, TO) "(" P "status = 'merged' AND " P "merged_at >= " TO ")"

int
ledger_segment_aliases(struct ledger *l, const char *to)
{
	char n[32];
	int64_t before = sqlite3_total_changes64(l->db);

	/* the run's own notes, not a change of the ledger (ledger_run_wrote) */
	if (ledger_exec(l, "CREATE TEMP TABLE IF NOT EXISTS seg_alias ("
	    " member_id TEXT PRIMARY KEY, survivor TEXT NOT NULL) WITHOUT ROWID;"
	    "DELETE FROM temp.seg_alias;") < 0 ||
	    (!to && ledger_exec(l, "INSERT OR IGNORE INTO temp.seg_alias"
	    " WITH RECURSIVE " LEDGER_MERGED " SELECT member_id, survivor FROM merged") < 0) ||
	    /* LEDGER_MERGED with the merges made before ?1 alone: a record
	     * merged since into a survivor merged before stands for it */
	    (to && ledger_exec_args(l, "INSERT OR IGNORE INTO temp.seg_alias"
	    " WITH RECURSIVE merged(member_id, survivor) AS ("
	    "  SELECT member_id, merged_into FROM members f"
	    "   WHERE merged_into IS NOT NULL AND status = 'merged'"
	    "   AND coalesce(merged_at, '') < ?1"
	    "   AND EXISTS (SELECT 1 FROM members x WHERE x.member_id = f.merged_into"
	    "    AND (x.status <> 'merged' OR " MERGED_AFTER("x.", "?1") "))"
	    "  UNION ALL"
	    "  SELECT m.member_id, s.survivor FROM merged s"
	    "   JOIN members m ON m.merged_into = s.member_id"
	    "   WHERE m.status = 'merged' AND coalesce(m.merged_at, '') < ?1)"
	    " SELECT member_id, survivor FROM merged", "cannot read merged members", NULL,
	    to, NULL) < 0))
		return -1;
	l->own_changes += sqlite3_total_changes64(l->db) - before;
	if (text_of(l, "SELECT count(*) FROM temp.seg_alias", n, sizeof(n)) < 0)
		return -1;
	return atoi(n);
}

/*
 * A member's spend: each receipt's amount less its returned_amount, which
 * is, for a purchase, what returns naming it brought back, and for a
 * return (negative, as its amount) what of it was taken off that purchase:
 * what of a return was not so counts on the return's own day.  Every
 * receipt of a member is a purchase or a return (a member's receipt is
 * never 'anonymous'); a comparison, not an IN list, on 10,000,000 rows.
 */
#define SPEND "r.amount - r.returned_amount"
#define SPENT "r.status <> 'anonymous'"
/* a member of prefix P active before TO: active now, or closed on or
 * after TO, or merged then, active until the merge (closed_at is cleared
 * by a reopening: an earlier closing is not known; a merge keeps the
 * closing of a member closed before it, and is the closing of one that
 * was not, so a member merged since and closed before TO is closed) */
#define ACTIVE_BEFORE(P, TO) "(" P "status = 'active' OR " P "closed_at >= " TO ")"

/*
 * What receipt `x` took off the purchase its orig_txn names: a return its
 * returned_amount (negated), an exchange what its return lines took.  It
 * is in that purchase's returned_amount, and so deducted on the purchase's
 * day; but a return counts from the day it was made: as of a day before
 * it, the purchase is whole.  Only returns and exchanges name a purchase
 * (receipts_orig holds them alone), so a ledger without them reads no
 * more than it did.
 */
#define TAKE "CASE WHEN x.status = 'returned' THEN -x.returned_amount" \
	" ELSE " EXCHANGED("x.") " END"
/* What returns made on ?N or later took off purchase `r`: SPEND + this is
 * its spend as of the day before ?N. */
#define TAKEN_FROM(N) "CASE WHEN r.returned_amount <> 0 AND r.amount >= 0" \
	" THEN coalesce((SELECT sum(" TAKE ") FROM receipts x" \
	" WHERE x.orig_txn = r.txn_id AND x.occurred_at >= ?" N "), 0) ELSE 0 END"
/* A return `r` made before the purchase it names, which is made on ?N or
 * later: what it took off that purchase (its returned_amount, set when the
 * purchase came) is not taken off it yet, and counts on the return's day,
 * as the whole return did until then.  SPEND + TAKEN_FROM + this is its
 * spend as of the day before ?N.  (An exchange made before its purchase
 * took nothing off it.) */
#define BEFORE_ITS(N) "CASE WHEN r.status = 'returned' AND r.returned_amount <> 0" \
	" THEN coalesce((SELECT r.returned_amount FROM receipts o" \
	" WHERE o.txn_id = r.orig_txn AND o.occurred_at >= ?" N "), 0) ELSE 0 END"

/* The member a receipt or entry `r` counts for. */
#define WHO_ALIAS "coalesce((SELECT survivor FROM temp.seg_alias a" \
	" WHERE a.member_id = r.member_id), r.member_id)"
#define DAY_OF_(R) "CAST(julianday(substr(" R "occurred_at, 1, 10)) - 2440587.5 AS INTEGER)"
#define DAY_OF DAY_OF_("r.")

/* Room for a member's days. */
static void
grow(struct seg_member *m)
{
	m->cap = m->cap ? 2 * m->cap : 64;
	m->day = loy_xrealloc(m->day, m->cap * sizeof(*m->day));
	m->spend = loy_xrealloc(m->spend, m->cap * sizeof(*m->spend));
	m->receipts = loy_xrealloc(m->receipts, m->cap * sizeof(*m->receipts));
}

/*
 * Take the late rows of member `id` (sl, at row *rl) into m: what returns
 * made from `to` on took goes back onto its purchase's day (the one day of
 * a summary), what returns made from `late_from` on took into m->late; and
 * what returns took off purchases made from `to` on comes off the return's
 * day, from `late_from` on into m->late, negative.
 */
static int
late(struct ledger *l, sqlite3_stmt *sl, int *rl, const char *id, struct seg_member *m,
    int summary)
{
	m->nlate = 0;
	for (; *rl == SQLITE_ROW; *rl = sqlite3_step(sl)) {
		int c = strcmp((const char *)sqlite3_column_text(sl, 0), id), day, lo, hi;
		int64_t take;

		if (c > 0)
			break;
		if (c < 0)
			continue;
		day = sqlite3_column_int(sl, 1);
		take = sqlite3_column_int64(sl, 4);
		if (!sqlite3_column_int(sl, 3)) {
			if (m->nlate == m->latecap) {
				m->latecap = m->latecap ? 2 * m->latecap : 16;
				m->late = loy_xrealloc(m->late, m->latecap * sizeof(*m->late));
			}
			m->late[m->nlate++] = (struct seg_late){ day,
			    sqlite3_column_int(sl, 2), take };
			continue;
		}
		if (summary) {
			if (m->n)
				m->spend[0] += take;
			continue;
		}
		for (lo = 0, hi = m->n; lo < hi;) {
			int mid = (lo + hi) / 2;

			if (m->day[mid] < day)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < m->n && m->day[lo] == day)
			m->spend[lo] += take;
	}
	if (*rl != SQLITE_ROW && *rl != SQLITE_DONE)
		return ledger_fail_rc(l, "cannot read returns", *rl);
	return 0;
}

/* What returns made from ?3 on took off the purchases from ?1 to before
 * ?2: by the purchase's member and day (%s, %s), the return's day, and
 * whether it was made from ?2 on; then, negative, what returns from ?1 to
 * before ?2 took off purchases made later, from ?3 on: by the return's
 * member and day (%s, %s), the purchase's day, and whether it was made
 * from ?2 on. */
static const char late_sql[] = "SELECT %s AS who, %s AS day, " DAY_OF_("x.") ","
    " x.occurred_at >= ?2, sum(" TAKE ") FROM receipts x CROSS JOIN receipts r"
    " WHERE x.orig_txn IS NOT NULL AND x.occurred_at >= ?3"
    " AND r.txn_id = x.orig_txn AND r.member_id IS NOT NULL"
    " AND r.status IN ('credited', 'pending')"
    " AND r.occurred_at >= ?1 AND r.occurred_at < ?2"
    " GROUP BY 1, 2, 3, 4 HAVING sum(" TAKE ") <> 0"
    " UNION ALL SELECT %s, %s, " DAY_OF_("o.") ", o.occurred_at >= ?2,"
    " sum(r.returned_amount) FROM receipts r CROSS JOIN receipts o"
    " WHERE r.orig_txn IS NOT NULL AND r.status = 'returned' AND r.returned_amount <> 0"
    " AND r.member_id IS NOT NULL AND r.occurred_at >= ?1 AND r.occurred_at < ?2"
    " AND o.txn_id = r.orig_txn AND o.occurred_at >= ?3 AND o.occurred_at > r.occurred_at"
    " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2";

static int
walk(struct ledger *l, int active_only, int measure, const char *from, const char *to,
    const char *late_from, int whole, char (*bounds)[11], const int *bday, int nb,
    const char *summary, seg_member_fn fn, void *ctx)
{
	char *sql = NULL, *cases = NULL;
	sqlite3_stmt *sm = NULL, *sd = NULL, *sl = NULL;
	struct seg_member m = { 0 };
	int rc = -1, rd, rm, rl, aliases = 0, enrolled;
	const char *who, *day, *what;
	size_t n;

	/* the lists as of a day: the merges made by then; the tiers
	 * (active_only 2): every merge, a merged record's receipts its
	 * survivor's from the day after the last applied run */
	if (measure >= 0 && (aliases = ledger_segment_aliases(l,
	    active_only != 2 ? to : NULL)) < 0)
		return -1;
	who = aliases ? WHO_ALIAS : "r.member_id";
	day = whole ? "0" : DAY_OF;
	if (nb >= 2) {
		/* bucket i, [bounds[i], bounds[i+1]), is told by its first day */
		cases = loy_xmalloc(64 + 48 * (size_t)nb);
		n = sprintf(cases, "CASE");
		for (int i = 1; i < nb - 1; i++)
			n += sprintf(cases + n, " WHEN r.occurred_at < ?%d THEN ?%d", 2 + 2 * i,
			    3 + 2 * i);
		sprintf(cases + n, " ELSE ?%d END", 3 + 2 * (nb - 1));
		day = cases;
		from = bounds[0];
		to = bounds[nb - 1];
	}
	/* the tiers (active_only 2) need the measure alone */
	if (measure == SEG_POINTS)
		what = "sum(r.points), 0 FROM journal r WHERE r.kind IN ('earn', 'return')";
	else if (active_only == 2 && measure == SEG_VISITS)
		what = "0, count(*) FROM receipts r"
		    " WHERE r.member_id IS NOT NULL AND r.status IN ('credited', 'pending')";
	else if (active_only == 2)
		what = "sum(" SPEND "), 0 FROM receipts r"
		    " WHERE r.member_id IS NOT NULL AND " SPENT;
	else	/* the purchases alone: their days */
		what = "sum(" SPEND "), count(*) FROM receipts r"
		    " WHERE r.member_id IS NOT NULL AND r.status IN ('credited', 'pending')";
	if (summary) {
		/* one row a member: the last purchase day, what it bought since
		 * `summary` (?3) */
		day = "CAST(julianday(substr(max(r.occurred_at) FILTER (WHERE"
		    " r.status <> 'returned'), 1, 10)) - 2440587.5 AS INTEGER)";
		what = "sum(" SPEND ") FILTER (WHERE r.occurred_at >= ?3),"
		    " count(*) FILTER (WHERE r.occurred_at >= ?3 AND r.status <> 'returned')"
		    " FROM receipts r WHERE r.member_id IS NOT NULL AND " SPENT;
		whole = 1;
	}
	n = 2 * (strlen(who) + strlen(day)) + strlen(what) + sizeof(late_sql) + 256;
	sql = loy_xmalloc(n);
	/* a member with returns alone has no last purchase: no row */
	snprintf(sql, n, "SELECT %s AS who, %s AS day, %s"
	    " AND r.occurred_at >= ?1 AND r.occurred_at < ?2 GROUP BY %s%s ORDER BY %s",
	    who, day, what, whole ? "1" : "1, 2", summary ? " HAVING day IS NOT NULL" : "",
	    whole ? "1" : "1, 2");
	if (measure >= 0) {
		if (!(sd = ledger_prepare(l, sql)))
			goto out;
		sqlite3_bind_text(sd, 1, from ? from : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(sd, 2, to, -1, SQLITE_STATIC);
		if (summary)
			sqlite3_bind_text(sd, 3, summary, -1, SQLITE_STATIC);
		for (int i = 1; nb >= 2 && i < nb; i++) {
			if (i < nb - 1)
				sqlite3_bind_text(sd, 2 + 2 * i, bounds[i], -1, SQLITE_STATIC);
			sqlite3_bind_int(sd, 3 + 2 * i, bday[i - 1]);	/* THEN, ELSE */
		}
	}
	/* spend as of the day before `to`: what returns made from ?3
	 * (late_from, else `to`) on took off the purchases from ?1 (of a
	 * summary, `summary`) to before ?2, by the purchase's member and day,
	 * and what returns from ?1 to before ?2 took off purchases made from
	 * ?3 on, by the return's; returns alone are read, through
	 * receipts_orig */
	if (measure == SEG_SPEND) {
		snprintf(sql, n, late_sql, who, summary ? "0" : day, who, summary ? "0" : day);
		if (!(sl = ledger_prepare(l, sql)))
			goto out;
		sqlite3_bind_text(sl, 1, summary ? summary : from ? from : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(sl, 2, to, -1, SQLITE_STATIC);
		sqlite3_bind_text(sl, 3, late_from ? late_from : to, -1, SQLITE_STATIC);
		for (int i = 1; !summary && nb >= 2 && i < nb; i++) {
			if (i < nb - 1)
				sqlite3_bind_text(sl, 2 + 2 * i, bounds[i], -1, SQLITE_STATIC);
			sqlite3_bind_int(sl, 3 + 2 * i, bday[i - 1]);
		}
	}
	/* the lists: members enrolled by then (before `to`); the tiers
	 * (active_only 2) go on for a forgotten member, whose books stay */
	enrolled = active_only != 2 && to;
	/* a member closed after the as-of date was active on it, and so was
	 * one merged into another since: a member of its own then, closed
	 * when it was closed before the merge */
	snprintf(sql, n, "SELECT member_id, %s, enrolled_at, %s"
	    " FROM members WHERE %s%s ORDER BY member_id",
	    enrolled ? "CASE WHEN " ACTIVE_BEFORE("", "?1") " THEN 'active'"
	    " WHEN status = 'merged' THEN 'closed' ELSE status END" :
	    "status",
	    active_only == 2 ? "NULL, tier, NULL, NULL, NULL,"
	    " (SELECT started_at FROM runs WHERE run_id = created_run), NULL" :
	    "birthday, tier, name, phone, email, NULL, forgotten_at",
	    active_only == 1 && enrolled ? ACTIVE_BEFORE("", "?1") " AND forgotten_at IS NULL" :
	    active_only == 1 ? "status = 'active' AND forgotten_at IS NULL" :
	    active_only ? "status = 'active'" :
	    enrolled ? "(status <> 'merged' OR " MERGED_AFTER("", "?1") ")" : "status <> 'merged'",
	    enrolled ? " AND enrolled_at < ?1" : "");
	if (!(sm = ledger_prepare(l, sql)))
		goto out;
	if (enrolled)
		sqlite3_bind_text(sm, 1, to, -1, SQLITE_STATIC);
	rd = sd ? sqlite3_step(sd) : SQLITE_DONE;
	rl = sl ? sqlite3_step(sl) : SQLITE_DONE;
	while ((rm = sqlite3_step(sm)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(sm, 0);

		for (int i = 0; i < SM_COUNT; i++)
			m.v[i] = (const char *)sqlite3_column_text(sm, i);
		m.n = 0;
		/* rows of members not walked (merged, closed) are passed over */
		while (rd == SQLITE_ROW) {
			int c = strcmp((const char *)sqlite3_column_text(sd, 0), id);

			if (c > 0)
				break;
			if (c == 0) {
				if (m.n == m.cap)
					grow(&m);
				m.day[m.n] = sqlite3_column_int(sd, 1);
				m.spend[m.n] = sqlite3_column_int64(sd, 2);
				m.receipts[m.n] = sqlite3_column_int64(sd, 3);
				m.n++;
			}
			rd = sqlite3_step(sd);
		}
		if (rd != SQLITE_ROW && rd != SQLITE_DONE) {
			/* sm stepped since: the error is rd's */
			ledger_fail_rc(l, "cannot read purchases", rd);
			goto out;
		}
		if (late(l, sl, &rl, id, &m, summary != NULL) < 0)
			goto out;
		if (fn(ctx, &m)) {
			rc = 0;
			goto out;
		}
	}
	if (rm != SQLITE_DONE) {
		ledger_fail(l, "cannot read members");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(sm);
	sqlite3_finalize(sd);
	sqlite3_finalize(sl);
	free(m.day);
	free(m.late);
	free(m.spend);
	free(m.receipts);
	free(sql);
	free(cases);
	return rc;
}

int
ledger_segment_walk(struct ledger *l, int active_only, int measure, const char *from,
    const char *to, const char *late_from, int whole, seg_member_fn fn, void *ctx)
{
	return walk(l, active_only, measure, from, to, late_from, whole, NULL, NULL, 0, NULL,
	    fn, ctx);
}

int
ledger_segment_walk_summary(struct ledger *l, int active_only, const char *since,
    const char *to, seg_member_fn fn, void *ctx)
{
	return walk(l, active_only, SEG_SPEND, NULL, to, NULL, 0, NULL, NULL, 0, since, fn, ctx);
}

int
ledger_segment_walk_buckets(struct ledger *l, int active_only, int measure,
    char (*bounds)[11], const int *bday, int nb, const char *late_from, seg_member_fn fn,
    void *ctx)
{
	return walk(l, active_only, measure, NULL, NULL, late_from, 0, bounds, bday, nb, NULL,
	    fn, ctx);
}

int
ledger_segment_referrers(struct ledger *l, const char *to, int contact, ledger_row_fn fn,
    void *ctx)
{
	const char *const one[] = { to, NULL };
	char sql[6144];

	/* the merges made by then: a record merged since referred, and was
	 * referred, as a member of its own, and the member it was merged
	 * into had the referrer it had before the first merge since
	 * (into_referrer), not the one a merge gave it: first by merged_at,
	 * then by merged_run, as merges made in one second follow each other */
	if (ledger_segment_aliases(l, to) < 0)
		return -1;
	snprintf(sql, sizeof(sql),
	    "WITH was AS ("
	    "  SELECT merged_into AS member_id, into_referrer FROM ("
	    "   SELECT merged_into, into_referrer, row_number() OVER (PARTITION BY merged_into"
	    "    ORDER BY merged_at, merged_run, member_id) AS k"
	    "   FROM members WHERE merged_into IS NOT NULL AND " MERGED_AFTER("", "?1") ")"
	    "  WHERE k = 1),"
	    " past AS ("
	    "  SELECT m.member_id, CASE WHEN w.member_id IS NULL THEN m.referrer"
	    "   ELSE w.into_referrer END AS referrer"
	    "  FROM members m LEFT JOIN was w USING (member_id)"
	    "  WHERE (m.status <> 'merged' OR " MERGED_AFTER("m.", "?1") ")"
	    "   AND m.enrolled_at < ?1),"
	    " ref AS ("
	    "  SELECT coalesce(a.survivor, m.referrer) AS referrer, m.member_id"
	    "  FROM past m LEFT JOIN temp.seg_alias a ON a.member_id = m.referrer"
	    "  WHERE m.referrer IS NOT NULL"
	    "   AND coalesce(a.survivor, m.referrer) <> m.member_id),"
	    " buy AS ("
	    "  SELECT " WHO_ALIAS " AS member_id, sum(" SPEND " + " TAKEN_FROM("1")
	    " + " BEFORE_ITS("1") ") AS spend"
	    "  FROM receipts r WHERE r.member_id IS NOT NULL"
	    "  AND " SPENT " AND r.occurred_at < ?1 GROUP BY 1"
	    "  HAVING sum(r.status <> 'returned') > 0)"
	    " SELECT ref.referrer AS member_id, count(*) AS referred,"
	    "  count(buy.member_id) AS buyers, coalesce(sum(buy.spend), 0) AS spend%s"
	    " FROM ref LEFT JOIN buy USING (member_id) JOIN members p"
	    "  ON p.member_id = ref.referrer"
	    "  AND " ACTIVE_BEFORE("p.", "?1")
	    "  AND p.forgotten_at IS NULL AND p.enrolled_at < ?1"
	    " GROUP BY ref.referrer"
	    " ORDER BY referred DESC, buyers DESC, spend DESC, ref.referrer",
	    contact ? ", p.name, p.phone, p.email" : "");
	return ledger_visit_sql(l, sql, one, fn, ctx);
}

/* ---------------------------------------------------------------- tiers */

int
ledger_tier_last_run(struct ledger *l, char out[11])
{
	char d[32];

	if (text_of(l, "SELECT max(as_of) FROM tier_runs", d, sizeof(d)) < 0)
		return -1;
	snprintf(out, 11, "%.10s", d);
	return 0;
}

int
ledger_tier_assignments(struct ledger *l, const char *from, ledger_row_fn fn, void *ctx)
{
	const char *const one[] = { from, NULL };

	/* an assignment of a record merged since into another is its
	 * survivor's, the one person they stand for, as its receipts are */
	return ledger_visit_sql(l, "WITH RECURSIVE " LEDGER_MERGED
	    " SELECT CAST(coalesce(s.survivor, a.member_id) AS TEXT) AS member_id, a.tier,"
	    " a.starts, a.until FROM tier_assignments a LEFT JOIN merged s USING (member_id)"
	    " WHERE a.until >= ?1 ORDER BY 1, a.assignment_id", one, fn, ctx);
}

int
ledger_tier_earned(struct ledger *l, ledger_row_fn fn, void *ctx)
{
	return ledger_visit_sql(l, "SELECT member_id, tier FROM tier_earned ORDER BY member_id",
	    NULL, fn, ctx);
}

int
ledger_tier_assigned(struct ledger *l, const char *member, const char *tier,
    const char *starts, const char *until)
{
	sqlite3_stmt *st = ledger_prepare(l, "SELECT tier = ?2 AND starts = ?3 AND until = ?4"
	    " FROM tier_assignments WHERE member_id = ?1 ORDER BY assignment_id DESC LIMIT 1");
	int rc, same = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tier, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, starts, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, until, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		same = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_fail(l, "cannot read tier assignments");
	return same;
}

int
ledger_tier_assign(struct ledger *l, const char *member, const char *tier,
    const char *starts, const char *until, const char *reason)
{
	sqlite3_stmt *st = ledger_prepare(l, "INSERT INTO tier_assignments(member_id, tier, starts,"
	    " until, reason, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tier, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, starts, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, until, -1, SQLITE_STATIC);
	ledger_bind_text(st, 5, reason);
	sqlite3_bind_int64(st, 6, l->run_id);
	rc = ledger_exec_stmt(l, st, "cannot record a tier assignment");
	sqlite3_finalize(st);
	return rc;
}

int
ledger_tier_change(struct ledger *l, const char *member, const char *from_tier,
    const char *to_tier, const char *reason, int64_t measure, int64_t threshold,
    const char *effective)
{
	sqlite3_stmt *st = ledger_stmt(l, S_TIER_CHANGE, "INSERT INTO tier_history(member_id,"
	    " from_tier, to_tier, reason, measure, threshold, effective, run_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	ledger_bind_text(st, 2, from_tier);
	ledger_bind_text(st, 3, to_tier);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, measure);
	if (threshold >= 0)
		sqlite3_bind_int64(st, 6, threshold);
	sqlite3_bind_text(st, 7, effective, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, l->run_id);
	return ledger_exec_stmt(l, st, "cannot record a tier change");
}

int
ledger_tier_set_earned(struct ledger *l, const char *member, const char *tier, int keep)
{
	sqlite3_stmt *st = ledger_prepare(l, keep ?
	    "INSERT INTO tier_earned(member_id, tier) VALUES (?1, ?2)"
	    " ON CONFLICT(member_id) DO UPDATE SET tier = excluded.tier"
	    " WHERE tier IS NOT excluded.tier" :
	    "DELETE FROM tier_earned WHERE member_id = ?1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	if (keep)
		ledger_bind_text(st, 2, tier);
	rc = ledger_exec_stmt(l, st, "cannot record an earned tier");
	sqlite3_finalize(st);
	return rc;
}

int
ledger_tier_finish(struct ledger *l, const char *as_of)
{
	sqlite3_stmt *st = ledger_prepare(l, "INSERT INTO tier_runs(run_id, as_of) VALUES (?1, ?2)");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, l->run_id);
	sqlite3_bind_text(st, 2, as_of, -1, SQLITE_STATIC);
	rc = ledger_exec_stmt(l, st, "cannot record the tier run");
	sqlite3_finalize(st);
	if (rc < 0 || !(st = ledger_prepare(l, "UPDATE members SET tier = h.to_tier, updated_run = ?1"
	    " FROM (SELECT member_id, to_tier FROM tier_history WHERE change_id IN"
	    "  (SELECT max(change_id) FROM tier_history WHERE run_id = ?1 GROUP BY member_id)) h"
	    " WHERE members.member_id = h.member_id")))
		return -1;
	sqlite3_bind_int64(st, 1, l->run_id);
	rc = ledger_exec_stmt(l, st, "cannot set members' tiers");
	sqlite3_finalize(st);
	return rc;
}

/* ---------------------------------------------------------------- segments */

/* a member of prefix P a saved segment lists now: active, and not
 * forgotten (an erasure request: no one to contact, nor to pick) */
#define REACHABLE(P) "(" P "status = 'active' AND " P "forgotten_at IS NULL)"

int
ledger_segment_get(struct ledger *l, const char *name, char as_of[11])
{
	sqlite3_stmt *st = ledger_prepare(l, "SELECT as_of FROM segments WHERE name = ?1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(as_of, 11, "%.10s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_fail(l, "cannot read a segment");
	return rc == SQLITE_ROW;
}

int
ledger_segment_put(struct ledger *l, const char *name, const char *as_of, const char *source)
{
	sqlite3_stmt *st = ledger_prepare(l, "DELETE FROM segment_members WHERE segment = ?1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = ledger_exec_stmt(l, st, "cannot empty a segment");
	sqlite3_finalize(st);
	if (rc < 0 || !(st = ledger_prepare(l, "INSERT INTO segments(name, as_of, source, members,"
	    " run_id) VALUES (?1, ?2, ?3, 0, ?4) ON CONFLICT(name) DO UPDATE SET"
	    " as_of = excluded.as_of, source = excluded.source, members = 0,"
	    " run_id = excluded.run_id")))
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, as_of, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, l->run_id);
	rc = ledger_exec_stmt(l, st, "cannot store a segment");
	sqlite3_finalize(st);
	return rc;
}

int
ledger_segment_add(struct ledger *l, const char *name, const char *member)
{
	sqlite3_stmt *st = ledger_stmt(l, S_SEGMENT_ADD, "INSERT INTO segment_members(segment,"
	    " member_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, member, -1, SQLITE_STATIC);
	if (ledger_exec_stmt(l, st, "cannot add to a segment") < 0)
		return -1;
	return sqlite3_changes(l->db) > 0;
}

int64_t
ledger_segment_seal(struct ledger *l, const char *name)
{
	sqlite3_stmt *st = ledger_prepare(l, "UPDATE segments SET members = (SELECT count(*)"
	    " FROM segment_members WHERE segment = ?1) WHERE name = ?1 RETURNING members");
	int64_t n = -1;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ledger_fail(l, "cannot count a segment");
	return n;
}

int
ledger_list_segments(struct ledger *l, ledger_row_fn fn, void *ctx)
{
	/* the members it lists (ledger_segment_list): two merged into one
	 * since it was saved are one, and one closed or forgotten since is
	 * none */
	return ledger_visit_sql(l, "WITH RECURSIVE " LEDGER_MERGED
	    "SELECT s.name AS segment, s.as_of, (SELECT count(DISTINCT m.member_id)"
	    " FROM segment_members x LEFT JOIN merged g USING (member_id)"
	    " JOIN members m ON m.member_id = coalesce(g.survivor, x.member_id)"
	    " WHERE x.segment = s.name AND " REACHABLE("m.") ") AS members,"
	    " s.source, s.run_id FROM segments s ORDER BY s.name", NULL, fn, ctx);
}

int
ledger_segment_list(struct ledger *l, const char *name, int contact, ledger_row_fn fn,
    void *ctx)
{
	const char *const one[] = { name, NULL };

	/* a member merged since the segment was saved as its survivor; one
	 * closed or forgotten since is not listed: no one to reach */
	return ledger_visit_sql(l, contact ?
	    "WITH RECURSIVE " LEDGER_MERGED
	    "SELECT DISTINCT m.member_id, m.name, m.phone, m.email FROM segment_members s"
	    " LEFT JOIN merged g USING (member_id)"
	    " JOIN members m ON m.member_id = coalesce(g.survivor, s.member_id)"
	    " WHERE s.segment = ?1 AND " REACHABLE("m.") " ORDER BY m.member_id" :
	    "WITH RECURSIVE " LEDGER_MERGED
	    "SELECT DISTINCT m.member_id FROM segment_members s"
	    " LEFT JOIN merged g USING (member_id)"
	    " JOIN members m ON m.member_id = coalesce(g.survivor, s.member_id)"
	    " WHERE s.segment = ?1 AND " REACHABLE("m.") " ORDER BY 1",
	    one, fn, ctx);
}
