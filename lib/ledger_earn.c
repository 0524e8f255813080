/* ledger_earn: the earning rules' own tables (rule_awards, rule_totals,
 * rule_progress, events; loy-ledger(5)) and the queries of explain and
 * what-if.  Declared in earn.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "earn.h"
#include "ledger_int.h"

/*
 * A member's awards, uses of a limited rule, events, receipt points and
 * receipts are those of the one person its records stand for: its own id
 * and every record merged into it, at any depth (loy-ledger(5), members).
 * BY_PERSON(head, tail) gives two texts of a statement whose member is ?1:
 * for a member into which nothing was merged (most, and cheaper), and for
 * one into which something was (UNION stops at a loop of a ledger edited
 * by hand).
 */
#define PERSON LEDGER_PERSON("?1")
#define BY_PERSON(head, tail) \
	head " member_id = ?1 " tail, PERSON head " member_id IN person " tail

static int
one_int(struct ledger *l, sqlite3_stmt *st, int64_t *out, const char *what)
{
	int rc = sqlite3_step(st);

	*out = 0;
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_fail(l, what);
	return rc == SQLITE_ROW;
}

/* one_int of st with the n texts that follow bound to ?1, ?2, ... in turn
 * (a NULL one as NULL); -1 when st is NULL (its error said). */
static int
texts_int(struct ledger *l, sqlite3_stmt *st, int64_t *out, const char *what, int n, ...)
{
	va_list ap;

	if (!st)
		return -1;
	va_start(ap, n);
	for (int i = 1; i <= n; i++)
		sqlite3_bind_text(st, i, va_arg(ap, const char *), -1, SQLITE_STATIC);
	va_end(ap);
	return one_int(l, st, out, what);
}

int
ledger_earn_uses(struct ledger *l, const char *rule, const char *member, const char *period,
    int64_t *n)
{
	/* a use taken back ("TXN taken back", txn_id TXN: ledger_earn_uses_back)
	 * cancels its use */
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_EARN_USES, S_EARN_USES_ALL,
	    BY_PERSON("SELECT count(*) - 2 * count(*) FILTER (WHERE key = txn_id || ' taken back')"
	    " FROM rule_awards WHERE rule = ?2 AND", "AND period = ?3"));

	return texts_int(l, st, n, "cannot count a rule's uses",
	    3, member, rule, period) < 0 ? -1 : 0;
}

/* The same of a referral rule, whose bonus given on a purchase a return of
 * all of it took back (points 0 or less) counts no more: the awards less
 * the take-backs, each in the period of the award it took back. */
int
ledger_earn_uses_kept(struct ledger *l, const char *rule, const char *member,
    const char *period, int64_t *n)
{
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_EARN_USES_KEPT, S_EARN_USES_KEPT_ALL,
	    BY_PERSON("SELECT count(*) FILTER (WHERE points > 0)"
	    " - count(*) FILTER (WHERE points <= 0) FROM rule_awards WHERE rule = ?2 AND",
	    "AND period = ?3"));

	return texts_int(l, st, n, "cannot count a rule's uses",
	    3, member, rule, period) < 0 ? -1 : 0;
}

/* The same of the awards made before `before`, at the time of their entry
 * or, when they have none, of their receipt (a purchase rule's award is
 * keyed by its receipt's txn_id). */
int
ledger_earn_uses_before(struct ledger *l, const char *rule, const char *member,
    const char *period, const char *before, int64_t *n)
{
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_EARN_USES_BEFORE, S_EARN_USES_BEFORE_ALL,
	    BY_PERSON("SELECT count(*) - 2 * count(*) FILTER (WHERE key = txn_id || ' taken back')"
	    " FROM rule_awards a WHERE rule = ?2 AND period = ?3"
	    /* a use taken back: when the purchase was left with nothing, the
	     * return that took the last of it, or of an exchange that traded
	     * some of it, the latest of those, in the order loy-accrue took
	     * them (a later one found nothing left) */
	    " AND CASE WHEN key = txn_id || ' taken back'"
	    "  THEN (WITH RECURSIVE traded(txn) AS (SELECT a.txn_id UNION SELECT e.txn_id"
	    "    FROM receipts e, traded t WHERE e.orig_txn = t.txn AND e.amount >= 0)"
	    "   SELECT max((SELECT c.occurred_at FROM (SELECT occurred_at, run_id, input_seq,"
	    "     entry_id, txn_id, sum(CASE WHEN status = 'returned' THEN -returned_amount"
	    "      ELSE " EXCHANGED("") " END) OVER (ORDER BY run_id, input_seq, entry_id,"
	    "      occurred_at, txn_id) AS upto FROM receipts WHERE orig_txn = x.txn_id"
	    "     AND (status = 'returned' OR " EXCHANGED("") " > 0)) c"
	    "    WHERE c.upto >= x.amount AND c.upto + " EXCHANGED("x.") " > 0"
	    "    ORDER BY c.run_id, c.input_seq, c.entry_id, c.occurred_at, c.txn_id LIMIT 1))"
	    "   FROM traded t JOIN receipts x ON x.txn_id = t.txn)"
	    "  ELSE coalesce((SELECT j.occurred_at FROM journal j WHERE j.entry_id = a.entry_id),"
	    "   (SELECT r.occurred_at FROM receipts r WHERE r.txn_id = a.key)) END < ?4 AND", ""));

	return texts_int(l, st, n, "cannot count a rule's uses",
	    4, member, rule, period, before) < 0 ? -1 : 0;
}

int
ledger_earn_member_points(struct ledger *l, const char *member, const char *from,
    const char *to, int64_t *points)
{
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_EARN_MEMBER_POINTS,
	    S_EARN_MEMBER_POINTS_ALL, BY_PERSON("SELECT coalesce(sum(points), 0) FROM journal"
	    " WHERE", "AND source = 'receipt' AND kind = 'earn' AND occurred_at >= ?2"
	    " AND occurred_at < ?3"));

	return texts_int(l, st, points, "cannot read a member's points",
	    3, member, from, to) < 0 ? -1 : 0;
}

int
ledger_earn_own_points(struct ledger *l, const char *member, const char *txn,
    const char *from, const char *to, int64_t *points)
{
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_EARN_OWN_POINTS, S_EARN_OWN_POINTS_ALL,
	    BY_PERSON("SELECT coalesce(sum(points), 0) FROM journal WHERE",
	    "AND source = 'receipt' AND kind = 'earn' AND ref = ?2"
	    " AND occurred_at >= ?3 AND occurred_at < ?4"));

	return texts_int(l, st, points, "cannot read a receipt's points",
	    4, member, txn, from, to) < 0 ? -1 : 0;
}

int
ledger_earn_own_share(struct ledger *l, const char *txn, const char *rule, int64_t *points)
{
	sqlite3_stmt *st = ledger_stmt(l, S_EARN_OWN_SHARE,
	    "SELECT coalesce(sum(s.value), 0) FROM ("
	    " SELECT s.key AS key, s.value AS value FROM receipts r,"
	    "  json_each(r.earn, '$.lines') l, json_each(l.value, '$[7]') s"
	    "  WHERE r.txn_id = ?1 AND r.earn IS NOT NULL"
	    " UNION ALL"
	    " SELECT s.key, s.value FROM receipts r, json_each(r.earn, '$.receipt') s"
	    "  WHERE r.txn_id = ?1 AND r.earn IS NOT NULL) s WHERE s.key = ?2");

	return texts_int(l, st, points, "cannot read a receipt's shares",
	    2, txn, rule) < 0 ? -1 : 0;
}

int
ledger_earn_given(struct ledger *l, const char *rule, int64_t *points)
{
	sqlite3_stmt *st = ledger_stmt(l, S_EARN_GIVEN,
	    "SELECT points FROM rule_totals WHERE rule = ?1");

	return texts_int(l, st, points, "cannot read a rule's total", 1, rule) < 0 ? -1 : 0;
}

int
ledger_earn_given_add(struct ledger *l, const char *rule, int64_t points)
{
	sqlite3_stmt *st = ledger_stmt(l, S_EARN_GIVEN_ADD,
	    "INSERT INTO rule_totals(rule, points) VALUES (?1, ?2)"
	    " ON CONFLICT (rule) DO UPDATE SET points = points + excluded.points");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, points);
	return ledger_exec_stmt(l, st, "cannot add to a rule's total");
}

int
ledger_earn_uses_back(struct ledger *l, const char *txn)
{
	/* the uses: awards keyed by the receipt, of no points, whose entry (if
	 * any) is the receipt's (an event's use has its event's); made to the
	 * receipt's member, whose awards the index rule_awards_member finds
	 * (a search by key alone would read them all, for each return) */
	sqlite3_stmt *st = ledger_stmt(l, S_EARN_USES_BACK,
	    "INSERT INTO rule_awards(rule, version, member_id, period, key, points,"
	    " entry_id, run_id, txn_id)"
	    " SELECT a.rule, a.version, a.member_id, a.period, a.key || ' taken back', 0,"
	    "  NULL, ?2, a.key"
	    "  FROM rule_awards a WHERE a.member_id = (SELECT member_id FROM receipts"
	    "   WHERE txn_id = ?1) AND a.key = ?1 AND a.points = 0 AND a.txn_id IS NULL"
	    "   AND (a.entry_id IS NULL OR EXISTS (SELECT 1 FROM journal j"
	    "    WHERE j.entry_id = a.entry_id AND j.source = 'receipt' AND j.ref = ?1))"
	    "  ORDER BY award_id"
	    " ON CONFLICT (rule, member_id, key) DO NOTHING");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, txn, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, l->run_id);
	return ledger_exec_stmt(l, st, "cannot take back a rule's use");
}

/* 1 recorded, 0 the member had it for that key already, -1 error. */
int
ledger_earn_award(struct ledger *l, const char *rule, int version, const char *member,
    const char *period, const char *key, int64_t points, int64_t entry, const char *txn)
{
	sqlite3_stmt *st = ledger_stmt(l, S_EARN_AWARD,
	    "INSERT INTO rule_awards(rule, version, member_id, period, key, points,"
	    " entry_id, run_id, txn_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    " ON CONFLICT (rule, member_id, key) DO NOTHING");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	sqlite3_bind_text(st, 3, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, period, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, points);
	if (entry)
		sqlite3_bind_int64(st, 7, entry);
	sqlite3_bind_int64(st, 8, l->run_id);
	ledger_bind_static(st, 9, txn);
	if (ledger_exec_stmt(l, st, "cannot record a rule's award") < 0)
		return -1;
	rc = sqlite3_changes(l->db);
	return rc > 0;
}

/* 1 the member, or a record merged into it, has an award of the rule for
 * key, 0 not, -1 error. */
int
ledger_earn_awarded(struct ledger *l, const char *rule, const char *member, const char *key)
{
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_EARN_AWARDED, S_EARN_AWARDED_ALL,
	    BY_PERSON("SELECT 1 FROM rule_awards WHERE rule = ?2 AND", "AND key = ?3 LIMIT 1"));
	int64_t v;

	return texts_int(l, st, &v, "cannot read a rule's awards", 3, member, rule, key);
}

/* 1 member itself (not a record merged into it) has an award of the rule
 * for key, 0 not, -1 error: a take-back written already. */
int
ledger_earn_awarded_own(struct ledger *l, const char *rule, const char *member,
    const char *key)
{
	sqlite3_stmt *st = ledger_stmt(l, S_EARN_AWARDED_OWN,
	    "SELECT 1 FROM rule_awards WHERE member_id = ?1 AND rule = ?2 AND key = ?3");
	int64_t v;

	return texts_int(l, st, &v, "cannot read a rule's awards", 3, member, rule, key);
}

/* Is `key` that of an award taken back ("K taken back", or "K (X) taken
 * back" for the award of member X)?  Its award's key K into k, and X, when
 * it names one, into x (else ""). */
static int
taken_back_key(const char *key, char *k, size_t ksize, char *x, size_t xsize)
{
	static const char tail[] = " taken back";
	size_t len = strlen(key), t = sizeof(tail) - 1;
	const char *open;

	if (len <= t || strcmp(key + len - t, tail) != 0)
		return 0;
	len -= t;
	*x = '\0';
	if (len > 3 && key[len - 1] == ')' && (open = strstr(key, " (")) != NULL &&
	    open < key + len) {
		snprintf(x, xsize, "%.*s", (int)(key + len - 1 - (open + 2)), open + 2);
		len = open - key;
	}
	snprintf(k, ksize, "%.*s", (int)len, key);
	return 1;
}

void
earn_held_free(struct earn_held *h)
{
	for (int i = 0; i < h->n; i++)
		free(h->v[i].member);
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

/* The awards of a cumulative rule in a period to a member (the person:
 * BY_PERSON), and those taken back (their keys end in " taken back"): how
 * many of each, and those it holds, given and not taken back, oldest
 * first.  A take-back is paired with the award whose entry its entry
 * reverses, else (it took no points) by its key: "K taken back" the award
 * K of its own member (or, written before the take-back named the member,
 * of another), "K (X) taken back" the award K of member X.  The keys of
 * the person's awards are all in *h, for a take-back to find one free.
 * 0 or -1; earn_held_free() after. */
int
ledger_earn_held(struct ledger *l, const char *rule, const char *member, const char *period,
    struct earn_held *h)
{
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_EARN_HELD, S_EARN_HELD_ALL,
	    BY_PERSON("SELECT member_id, key, coalesce(entry_id, 0), points, version,"
	    " coalesce((SELECT j.reverses FROM journal j"
	    "  WHERE j.entry_id = rule_awards.entry_id), 0) FROM rule_awards"
	    " WHERE rule = ?2 AND period = ?3 AND",
	    "AND (key = ?3 OR key GLOB ?3 || ' #[0-9]*' OR key = ?3 || ' taken back'"
	    "  OR key GLOB ?3 || ' (*) taken back')"
	    " ORDER BY award_id"));
	struct row {
		char *member, *key;
		int64_t entry, points, reverses;
		int version, paired;
	} *v = NULL;
	int nv = 0, rc;

	memset(h, 0, sizeof(*h));
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, period, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct row *r;

		v = loy_xrealloc(v, (nv + 1) * sizeof(*v));
		r = &v[nv++];
		r->member = loy_xstrdup((const char *)sqlite3_column_text(st, 0));
		r->key = loy_xstrdup((const char *)sqlite3_column_text(st, 1));
		r->entry = sqlite3_column_int64(st, 2);
		r->points = sqlite3_column_int64(st, 3);
		r->version = sqlite3_column_int(st, 4);
		r->reverses = sqlite3_column_int64(st, 5);
		r->paired = 0;
	}
	sqlite3_reset(st);
	/* each take-back with the award it took back */
	for (int pass = 0; rc == SQLITE_DONE && pass < 3; pass++)
		for (int i = 0; i < nv; i++) {
			char k[96], x[96];

			if (v[i].paired || !taken_back_key(v[i].key, k, sizeof(k), x, sizeof(x)))
				continue;
			if (pass == 0 && !v[i].reverses)
				continue;
			for (int j = 0; j < nv && !v[i].paired; j++) {
				char k2[96], x2[96];

				if (v[j].paired || taken_back_key(v[j].key, k2, sizeof(k2), x2,
				    sizeof(x2)))
					continue;
				if (pass == 0 ? v[j].entry == v[i].reverses :
				    strcmp(v[j].key, k) == 0 && (pass == 2 ? !*x :
				    strcmp(v[j].member, *x ? x : v[i].member) == 0))
					v[i].paired = v[j].paired = 1;
			}
		}
	for (int i = 0; i < nv; i++) {
		char k[96], x[96];

		if (taken_back_key(v[i].key, k, sizeof(k), x, sizeof(x)))
			h->back++;
		else {
			h->awards++;
			if (!v[i].paired) {
				struct earn_held_award *a;

				h->v = loy_xrealloc(h->v, (h->n + 1) * sizeof(*h->v));
				a = &h->v[h->n++];
				a->member = loy_xstrdup(v[i].member);
				snprintf(a->key, sizeof(a->key), "%s", v[i].key);
				a->entry = v[i].entry;
				a->points = v[i].points;
				a->version = v[i].version;
			}
		}
	}
	/* the key of each one's take-back, one the member has not: "K taken
	 * back" for its own award K, "K (X) taken back" for member X's */
	for (int i = 0; i < h->n; i++) {
		struct earn_held_award *a = &h->v[i];
		int own = strcmp(a->member, member) == 0;

		for (int named = !own; named < 2; named++) {
			int taken = 0;

			if (named)
				snprintf(a->back_key, sizeof(a->back_key), "%s (%s) taken back", a->key,
				    a->member);
			else
				snprintf(a->back_key, sizeof(a->back_key), "%s taken back", a->key);
			for (int j = 0; j < nv && !taken; j++)
				taken = strcmp(v[j].member, member) == 0 &&
				    strcmp(v[j].key, a->back_key) == 0;
			if (!taken)
				break;
		}
	}
	for (int i = 0; i < nv; i++) {
		free(v[i].member);
		free(v[i].key);
	}
	free(v);
	return rc == SQLITE_DONE ? 0 : ledger_fail(l, "cannot read a rule's awards");
}

/* Add visits and spend to a member's progress towards a cumulative rule in
 * a period; the totals after it in *visits and *spend.  0 or -1. */
int
ledger_earn_progress(struct ledger *l, const char *rule, const char *member,
    const char *period, int64_t visits_add, int64_t spend_add, int64_t *visits,
    int64_t *spend)
{
	sqlite3_stmt *st = ledger_stmt(l, S_EARN_PROGRESS,
	    "INSERT INTO rule_progress(rule, member_id, period, visits, spend)"
	    " VALUES (?1, ?2, ?3, ?5, ?4) ON CONFLICT (rule, member_id, period)"
	    " DO UPDATE SET visits = visits + excluded.visits, spend = spend + excluded.spend"
	    " RETURNING visits, spend");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, period, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, spend_add);
	sqlite3_bind_int64(st, 5, visits_add);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*visits = sqlite3_column_int64(st, 0);
		*spend = sqlite3_column_int64(st, 1);
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : ledger_fail(l, "cannot count towards a rule");
}

int
ledger_earn_progress_merge(struct ledger *l, const char *from, const char *into)
{
	/* a rule_progress row is a running count, kept as a balance is: the
	 * merged member's rows go into the survivor's (loy-ledger(5)) */
	return ledger_exec_args(l, "INSERT INTO rule_progress(rule, member_id, period,"
	    " visits, spend) SELECT rule, ?2, period, visits, spend FROM rule_progress"
	    " WHERE member_id = ?1 ON CONFLICT (rule, member_id, period) DO UPDATE SET"
	    " visits = visits + excluded.visits, spend = spend + excluded.spend",
	    "cannot merge progress towards the rules", NULL, from, into, NULL) < 0 ||
	    ledger_exec_args(l, "DELETE FROM rule_progress WHERE member_id = ?1",
	    "cannot merge progress towards the rules", NULL, from, NULL) < 0 ? -1 : 0;
}

/* 1 the member, or a record merged into it, has a receipt credited
 * before, 0 not, -1 error. */
int
ledger_earn_bought(struct ledger *l, const char *member)
{
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_EARN_BOUGHT, S_EARN_BOUGHT_ALL,
	    BY_PERSON("SELECT 1 FROM journal WHERE", "AND source = 'receipt' LIMIT 1"));
	int64_t v;

	return texts_int(l, st, &v, "cannot read a member's receipts", 1, member);
}

/* The same of the receipts before `before`: 1 the member, or a record
 * merged into it, has an entry of a receipt before it, 0 not, -1 error. */
int
ledger_earn_bought_before(struct ledger *l, const char *member, const char *before)
{
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_EARN_BOUGHT_BEFORE, S_EARN_BOUGHT_BEFORE_ALL,
	    BY_PERSON("SELECT 1 FROM journal WHERE",
	    "AND source = 'receipt' AND occurred_at < ?2 LIMIT 1"));
	int64_t v;

	return texts_int(l, st, &v, "cannot read a member's receipts", 2, member, before);
}

/* The member's tier, birthday and referrer (each NULL when none; caller
 * frees).  0 or -1. */
int
ledger_earn_facts(struct ledger *l, const char *member, char **tier, char **birthday,
    char **referrer)
{
	sqlite3_stmt *st = ledger_stmt(l, S_EARN_FACTS,
	    "SELECT tier, birthday, referrer FROM members WHERE member_id = ?1");
	int rc;

	*tier = *birthday = *referrer = NULL;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v[3];

		for (int i = 0; i < 3; i++)
			v[i] = (const char *)sqlite3_column_text(st, i);
		*tier = v[0] ? loy_xstrdup(v[0]) : NULL;
		*birthday = v[1] ? loy_xstrdup(v[1]) : NULL;
		*referrer = v[2] ? loy_xstrdup(v[2]) : NULL;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ledger_fail(l, "cannot read a member");
}

/* Which of the segments named in `names` (a JSON array) the member is in,
 * comma-separated (caller frees; NULL when none).  0 or -1. */
int
ledger_earn_segments(struct ledger *l, const char *member, const char *names, char **out)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	/* segments arrive with loy-segment's schema: none before it */
	if (!l->stmt[S_EARN_SEGMENTS] && sqlite3_table_column_metadata(l->db, NULL,
	    "segment_members", "segment", NULL, NULL, NULL, NULL, NULL) != SQLITE_OK)
		return 0;
	if (!(st = ledger_person_stmt(l, member, S_EARN_SEGMENTS, S_EARN_SEGMENTS_ALL,
	    "SELECT group_concat(segment) FROM segment_members"
	    " WHERE segment IN (SELECT value FROM json_each(?2)) AND member_id = ?1",
	    PERSON "SELECT group_concat(segment) FROM (SELECT DISTINCT segment"
	    " FROM segment_members WHERE segment IN (SELECT value FROM json_each(?2))"
	    " AND member_id IN person ORDER BY segment)")))
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, names, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
		*out = loy_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ledger_fail(l, "cannot read segments");
}

/* 1 the event is known (its member in *member, caller frees), 0 not, -1. */
int
ledger_event_get(struct ledger *l, const char *event_id, char **member, char **event,
    char occurred[static 20])
{
	sqlite3_stmt *st = ledger_stmt(l, S_EVENT_GET,
	    "SELECT member_id, event, occurred_at FROM events WHERE event_id = ?1");
	int got;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, event_id, -1, SQLITE_STATIC);
	if ((got = ledger_step_one(l, st, "cannot read an event")) <= 0)
		return got;
	*member = loy_xstrdup((const char *)sqlite3_column_text(st, 0));
	*event = loy_xstrdup((const char *)sqlite3_column_text(st, 1));
	snprintf(occurred, 20, "%s", (const char *)sqlite3_column_text(st, 2));
	sqlite3_reset(st);
	return 1;
}

int
ledger_event_count(struct ledger *l, const char *member, const char *event,
    const char *period, int64_t *n)
{
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_EVENT_COUNT, S_EVENT_COUNT_ALL,
	    BY_PERSON("SELECT count(*) FROM events WHERE", "AND event = ?2"
	    " AND period = ?3 AND status = 'credited'"));

	return texts_int(l, st, n, "cannot count events",
	    3, member, event, period) < 0 ? -1 : 0;
}

int
ledger_event_insert(struct ledger *l, const char *event_id, const char *member,
    const char *event, const char *occurred, const char *period, int64_t points,
    const char *status, int version, const char *rules, int64_t entry)
{
	sqlite3_stmt *st = ledger_stmt(l, S_EVENT_INSERT,
	    "INSERT INTO events(event_id, member_id, event, occurred_at, period, points,"
	    " status, version, rules, entry_id, run_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, event_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, occurred, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, period, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, points);
	sqlite3_bind_text(st, 7, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, version);
	ledger_bind_text(st, 9, rules);
	if (entry)
		sqlite3_bind_int64(st, 10, entry);
	sqlite3_bind_int64(st, 11, l->run_id);
	return ledger_exec_stmt(l, st, "cannot record an event");
}

/* The columns every explanation row has. */
#define EXPLAIN_COLS \
	"txn_id, occurred_at, member_id, entry_id, line, sku, amount, rule, version, points"

/* A receipt's shares: one row per line and rule, then the receipt's own. */
#define EXPLAIN_RECEIPTS \
	"SELECT r.txn_id, r.occurred_at, r.member_id, r.entry_id, l.value->>0 AS line," \
	"  nullif(l.value->>1, '') AS sku, l.value->>5 AS amount, s.key AS rule," \
	"  r.earn->>'version' AS version, s.value AS points, 0 AS o" \
	" FROM receipts r, json_each(r.earn, '$.lines') l, json_each(l.value, '$[7]') s" \
	" WHERE r.earn IS NOT NULL AND %s" \
	" UNION ALL " \
	"SELECT r.txn_id, r.occurred_at, r.member_id, r.entry_id, NULL, NULL, NULL, s.key," \
	"  r.earn->>'version', s.value, 1" \
	" FROM receipts r, json_each(r.earn, '$.receipt') s" \
	" WHERE r.earn IS NOT NULL AND %s"

/* Returns, the points of a receipt whose lines do not explain them, and the
 * points of rules that are not a receipt's own.  A purchase's lines explain
 * all its points, those of its later lines settled early too, which may
 * have taken some back (though each of such a receipt's entries, asked for
 * alone, is its own: EXPLAIN_PART); a receipt that became a return settled
 * in parts keeps what its first part earned as an entry of its own. */
#define EXPLAIN_OTHER \
	"SELECT j.ref, j.occurred_at, j.member_id, j.entry_id, NULL, NULL, NULL," \
	"  CASE j.kind WHEN 'earn' THEN '[earn]'" \
	"  ELSE '[return] of ' || coalesce(r.orig_txn, j.ref) END, NULL, j.points, 2" \
	" FROM journal j LEFT JOIN receipts r ON r.txn_id = j.ref" \
	" WHERE j.source = 'receipt' AND %s" \
	"  AND j.kind IN ('earn', 'return') AND (r.earn IS NULL OR %s)" \
	" UNION ALL " \
	"SELECT a.key, j.occurred_at, a.member_id, a.entry_id, NULL, NULL, NULL, a.rule," \
	"  a.version, a.points, 3" \
	" FROM rule_awards a JOIN journal j ON j.entry_id = a.entry_id" \
	" WHERE a.points <> 0 AND %s" \
	" UNION ALL " \
	"SELECT e.event_id, e.occurred_at, e.member_id, e.entry_id, NULL, NULL, NULL," \
	"  '[event ' || e.event || ']' || coalesce(' ' || e.rules, ''), e.version, e.points, 4" \
	" FROM events e WHERE e.status = 'credited' AND %s"

/* An entry of a receipt asked for alone is its own row when it is one of
 * the receipt's several (settled in parts): its lines explain them all. */
#define EXPLAIN_PART \
	"(j.kind = 'return' OR EXISTS (SELECT 1 FROM journal k WHERE k.source = 'receipt'" \
	" AND k.ref = j.ref AND k.entry_id <> j.entry_id))"

int
ledger_earn_explain(struct ledger *l, const char *kind, const char *value, ledger_row_fn fn,
    void *ctx)
{
	char sql[8192];
	const char *const one[] = { value, NULL };
	const char *rw, *jw, *aw, *ew;

	if (strcmp(kind, "member") == 0) {
		rw = "r.member_id = ?1";
		jw = "j.member_id = ?1";
		aw = "a.member_id = ?1";
		ew = "e.member_id = ?1";
	} else if (strcmp(kind, "receipt") == 0) {
		rw = "r.txn_id = ?1";
		jw = "j.ref = ?1";
		aw = "0";
		ew = "0";
	} else {
		/* the receipt's lines when the entry holds all its points */
		rw = "r.txn_id = (SELECT j.ref FROM journal j WHERE j.entry_id = CAST(?1 AS INTEGER)"
		    " AND j.source = 'receipt') AND NOT EXISTS (SELECT 1 FROM journal k"
		    " WHERE k.source = 'receipt' AND k.ref = r.txn_id"
		    " AND k.entry_id <> CAST(?1 AS INTEGER))";
		jw = "j.entry_id = CAST(?1 AS INTEGER)";
		aw = "a.entry_id = CAST(?1 AS INTEGER)";
		ew = "e.entry_id = CAST(?1 AS INTEGER)";
	}
	snprintf(sql, sizeof(sql),
	    "SELECT " EXPLAIN_COLS " FROM (" EXPLAIN_RECEIPTS " UNION ALL " EXPLAIN_OTHER ")"
	    " ORDER BY occurred_at, txn_id, o, CAST(line AS INTEGER), entry_id",
	    rw, rw, jw, strcmp(kind, "entry") == 0 ? EXPLAIN_PART : "0", aw, ew);
	return ledger_visit_sql(l, sql, one, fn, ctx);
}

/* The journal's points that an explanation covers: 0 or -1. */
int
ledger_earn_explained_total(struct ledger *l, const char *kind, const char *value,
    int64_t *points)
{
	sqlite3_stmt *st;
	const char *w;
	char sql[512];
	int rc;

	if (strcmp(kind, "member") == 0)
		w = "member_id = ?1";
	else if (strcmp(kind, "receipt") == 0)
		w = "source = 'receipt' AND ref = ?1";
	else
		w = "entry_id = CAST(?1 AS INTEGER)";
	snprintf(sql, sizeof(sql), "SELECT coalesce(sum(points), 0) FROM journal WHERE %s AND"
	    " ((source = 'receipt' AND kind IN ('earn', 'return')) OR kind = 'bonus')", w);
	if (!(st = ledger_prepare(l, sql)))
		return -1;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*points = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : ledger_fail(l, "cannot read the journal");
}

/* A receipt's lines as the ledger kept them, one row per line: txn_id,
 * member_id, occurred_at, store, channel, amount, version, first, line,
 * sku, category, description, qty, line amount, then the line's shares as
 * JSON, then the receipt's own shares as JSON. */
int
ledger_earn_lines(struct ledger *l, const char *txn, ledger_row_fn fn, void *ctx)
{
	const char *const one[] = { txn, NULL };

	return ledger_visit_sql(l,
	    "SELECT r.txn_id, r.member_id, r.occurred_at, r.store, r.channel, r.amount,"
	    "  r.earn->>'version', coalesce(r.earn->>'first', 0), l.value->>0,"
	    "  l.value->>1, l.value->>2, l.value->>3,"
	    "  l.value->>4, l.value->>5, l.value->>7, r.earn->>'receipt'"
	    " FROM receipts r, json_each(r.earn, '$.lines') l"
	    " WHERE r.txn_id = ?1 ORDER BY l.key", one, fn, ctx);
}

/* Is purchase R (a receipt's columns, prefix R) returned whole: have
 * returns taken all that was left of it off it (of an exchange, of its
 * sales, past what its own return lines took off its original)? */
#define RETURNED_WHOLE(R) \
	"(" R "amount >= 0 AND " R "returned_amount >= " R "amount" \
	" AND " R "returned_amount + " EXCHANGED(R) " > 0)"

int
ledger_receipt_returned_whole(struct ledger *l, const char *txn)
{
	/* and so are the exchanges that traded some of it, and theirs: what
	 * one took off it stands while its sales do */
	sqlite3_stmt *st = ledger_stmt(l, S_EARN_RETURNED_WHOLE,
	    "WITH RECURSIVE traded(txn) AS (SELECT ?1 UNION SELECT e.txn_id"
	    "  FROM receipts e, traded t WHERE e.orig_txn = t.txn AND e.amount >= 0)"
	    " SELECT 1 FROM receipts r WHERE r.txn_id = ?1 AND r.member_id IS NOT NULL"
	    " AND " RETURNED_WHOLE("r.") " AND NOT EXISTS (SELECT 1 FROM traded t"
	    "  JOIN receipts x ON x.txn_id = t.txn WHERE NOT coalesce(" RETURNED_WHOLE("x.")
	    ", 0))");
	int64_t v;

	return texts_int(l, st, &v, "cannot read a receipt", 1, txn);
}

int
ledger_earn_uses_of(struct ledger *l, const char *txn, ledger_row_fn fn, void *ctx)
{
	const char *const args[] = { txn, NULL };

	return ledger_visit_sql(l,
	    "SELECT a.rule, a.member_id, a.period FROM rule_awards a"
	    " WHERE a.member_id = (SELECT member_id FROM receipts WHERE txn_id = ?1)"
	    "  AND a.key = ?1 AND a.points = 0 AND a.txn_id IS NULL"
	    "  AND (a.entry_id IS NULL OR EXISTS (SELECT 1 FROM journal j"
	    "   WHERE j.entry_id = a.entry_id AND j.source = 'receipt' AND j.ref = ?1))"
	    " ORDER BY a.award_id", args, fn, ctx);
}

/* 1 the member, or a record merged into it, has an entry of a receipt
 * other than `except` (NULL: none) that stands: not of a purchase returned
 * whole, nor of a return of one.  0 not, -1 error. */
int
ledger_earn_standing(struct ledger *l, const char *member, const char *except)
{
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_EARN_STANDING, S_EARN_STANDING_ALL,
	    BY_PERSON("SELECT 1 FROM journal j WHERE", "AND j.source = 'receipt'"
	    " AND j.ref IS NOT ?2 AND NOT EXISTS (SELECT 1 FROM receipts r"
	    "  LEFT JOIN receipts o ON r.amount < 0 AND o.txn_id = r.orig_txn"
	    "  WHERE r.txn_id = j.ref AND (" RETURNED_WHOLE("r.") " OR "
	    RETURNED_WHOLE("o.") ")) LIMIT 1"));
	int64_t v;

	return texts_int(l, st, &v, "cannot read a member's receipts", 2, member, except);
}

/* The awards of a referral rule on a purchase to a member (the
 * person) whose key is `base` or base #N: how many, and how many of them
 * it holds, not taken back ("K taken back", "K (X) taken back"). */
#define HELD_KEY(WHO) \
	"SELECT count(*), coalesce(sum(NOT EXISTS (SELECT 1 FROM rule_awards b" \
	"  WHERE b.rule = a.rule AND b.member_id " WHO " AND b.points <= 0" \
	"   AND b.key IN (a.key || ' taken back'," \
	"    a.key || ' (' || a.member_id || ') taken back'))), 0)" \
	" FROM rule_awards a WHERE a.rule = ?2 AND a.member_id " WHO " AND a.points > 0" \
	"  AND (a.key = ?3 OR (length(a.key) > length(?3) + 2" \
	"   AND substr(a.key, 1, length(?3) + 2) = ?3 || ' #'" \
	"   AND substr(a.key, length(?3) + 3) NOT GLOB '*[^0-9]*'))"

int
ledger_earn_held_key(struct ledger *l, const char *rule, const char *member,
    const char *base, int *awards, int *held)
{
	sqlite3_stmt *st = ledger_person_stmt(l, member, S_EARN_HELD_KEY, S_EARN_HELD_KEY_ALL,
	    HELD_KEY("= ?1"), PERSON HELD_KEY("IN person"));
	int rc;

	*awards = *held = 0;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, base, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*awards = sqlite3_column_int(st, 0);
		*held = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : ledger_fail(l, "cannot read a rule's awards");
}

void
earn_on_free(struct earn_on *v, int n)
{
	for (int i = 0; i < n; i++) {
		free(v[i].rule);
		free(v[i].member);
		free(v[i].period);
		free(v[i].key);
		free(v[i].reason);
	}
	free(v);
}

int
ledger_earn_on_receipt(struct ledger *l, const char *txn, struct earn_on **out)
{
	sqlite3_stmt *st = ledger_stmt(l, S_EARN_ON_RECEIPT,
	    "SELECT a.rule, a.version, a.member_id, a.period, a.key, a.points,"
	    " coalesce(a.entry_id, 0), j.reason FROM rule_awards a"
	    " LEFT JOIN journal j ON j.entry_id = a.entry_id"
	    " WHERE a.txn_id = ?1 ORDER BY a.award_id");
	struct earn_on *v = NULL;
	int n = 0, rc;

	*out = NULL;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, txn, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct earn_on *x;

		v = loy_xrealloc(v, (n + 1) * sizeof(*v));
		x = &v[n++];
		x->rule = ledger_column_dup(st, 0);
		x->version = sqlite3_column_int(st, 1);
		x->member = ledger_column_dup(st, 2);
		x->period = ledger_column_dup(st, 3);
		x->key = ledger_column_dup(st, 4);
		x->points = sqlite3_column_int64(st, 5);
		x->entry = sqlite3_column_int64(st, 6);
		x->reason = ledger_column_dup(st, 7);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		earn_on_free(v, n);
		return ledger_fail(l, "cannot read a rule's awards");
	}
	*out = v;
	return n;
}

/* The receipts of members in [from, to] in time order, those of one time
 * in the order loy-accrue took them (by run, input and journal entry), for
 * a what-if: a
 * purchase credited with its lines as one row per line, as
 * ledger_earn_lines() gives them (7: its record's first purchase as the
 * import found it, which a what-if does not take: which receipt moves
 * points first is the candidate's to say), then whether a return or an
 * exchange of the period names it (16); a return as one row: its orig_txn (17), the
 * amount it took off its original (18, minus its returned_amount), its
 * points (19), how loy-accrue took it back (20: "orig" in proportion to
 * its original, "rate" at the base rate, "none" nothing), the amount
 * returned of its original before it, by returns and exchanges (21), and
 * its original's member_id, occurred_at, store, channel, amount and points
 * (22-27; of an exchange, its sales').  Column 28 is 0
 * for a purchase's line, 1 for a return; 30 the person the receipt's
 * member stands for today, for whom the rules count: the survivor at the
 * end of its chain of merges (LEDGER_MERGED), else itself; 31-33 its
 * run_id, input_seq and entry_id, for the order; of an exchange, 34 its
 * original and 35 what its return lines took off it (EXCHANGED).  An exchange's amount (5)
 * is that of its sales, its lines. */
int
ledger_earn_replay(struct ledger *l, const char *from, const char *to, ledger_row_fn fn,
    void *ctx)
{
	const char *const range[] = { from, to, NULL };

	return ledger_visit_sql(l,
	    "WITH RECURSIVE " LEDGER_MERGED ","
	    " ret AS (SELECT * FROM receipts"
	    "  WHERE status = 'returned' AND member_id IS NOT NULL"
	    "   AND occurred_at >= ?1 AND occurred_at <= ?2),"
	    " origs AS (SELECT orig_txn FROM ret WHERE orig_txn IS NOT NULL"
	    "  UNION SELECT orig_txn FROM receipts WHERE orig_txn IS NOT NULL"
	    "   AND member_id IS NOT NULL AND status IN ('credited', 'pending')"
	    "   AND occurred_at >= ?1 AND occurred_at <= ?2 AND " EXCHANGED("") " > 0),"
	    /* what the returns of each original took off it before each, and
	     * the return lines of exchanges that name it, in the order
	     * loy-accrue took them: by run, input and journal entry */
	    " prior AS (SELECT txn_id, coalesce(sum(took) OVER (PARTITION BY"
	    "   orig_txn ORDER BY run_id, input_seq, entry_id, occurred_at, txn_id"
	    "   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before"
	    "  FROM (SELECT txn_id, orig_txn, occurred_at, run_id, input_seq, entry_id,"
	    "   CASE WHEN status = 'returned' THEN -returned_amount"
	    "    ELSE " EXCHANGED("") " END AS took FROM receipts"
	    "  WHERE orig_txn IN origs AND (status = 'returned' OR " EXCHANGED("") " > 0)))"
	    " SELECT r.txn_id AS txn_id, r.member_id, r.occurred_at AS occurred_at, r.store,"
	    /* an exchange, a purchase of its sales */
	    "  r.channel, CASE WHEN r.orig_txn IS NULL"
	    "   OR r.earn->'receipt'->>'$.\"[return]\"' IS NULL"
	    "   THEN r.amount ELSE (SELECT sum(x.value->>5) FROM json_each(r.earn, '$.lines') x)"
	    "   END, r.earn->>'version', coalesce(r.earn->>'first', 0),"
	    "  l.value->>0, l.value->>1, l.value->>2, l.value->>3,"
	    "  l.value->>4, l.value->>5, l.value->>7, r.earn->>'receipt',"
	    "  r.txn_id IN origs, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	    "  NULL, NULL, 0 AS o, l.key AS k, coalesce(s.survivor, r.member_id),"
	    "  r.run_id AS rn, r.input_seq AS sq, r.entry_id AS en,"
	    "  CASE WHEN " EXCHANGED("r.") " > 0 THEN r.orig_txn END, " EXCHANGED("r.")
	    " FROM receipts r LEFT JOIN merged s ON s.member_id = r.member_id,"
	    "  json_each(r.earn, '$.lines') l"
	    " WHERE r.earn IS NOT NULL AND r.member_id IS NOT NULL"
	    "  AND r.status IN ('credited', 'pending')"
	    "  AND r.occurred_at >= ?1 AND r.occurred_at <= ?2"
	    " UNION ALL"
	    " SELECT t.txn_id, t.member_id, t.occurred_at, t.store, t.channel, t.amount,"
	    "  NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,"
	    "  t.orig_txn, -t.returned_amount, t.points,"
	    /* as loy-accrue took it: its original as it was then (one taken
	     * after it was not known yet) */
	    "  CASE WHEN o.txn_id IS NULL OR o.run_id > t.run_id"
	    "    OR (o.run_id = t.run_id AND o.input_seq > t.input_seq) THEN 'rate'"
	    "   WHEN o.member_id IS NOT NULL AND o.amount < 0 THEN 'rate'"
	    "   WHEN o.member_id IS NULL OR o.amount + " EXCHANGED("o.") " <= 0 THEN 'none'"
	    "   ELSE 'orig' END,"
	    /* an exchange, its sales: what its return lines took comes back
	     * onto its amount and points, as loy-accrue takes a return of it */
	    "  coalesce(p.before, 0), o.member_id, o.occurred_at, o.store, o.channel,"
	    "  o.amount + " EXCHANGED("o.") ", o.points + " EXCHANGED_POINTS("o.") ","
	    "  1, 0, coalesce(s.survivor, t.member_id), t.run_id, t.input_seq, t.entry_id,"
	    "  NULL, 0"
	    " FROM ret t LEFT JOIN receipts o ON o.txn_id = t.orig_txn"
	    "  LEFT JOIN prior p ON p.txn_id = t.txn_id"
	    "  LEFT JOIN merged s ON s.member_id = t.member_id"
	    " ORDER BY occurred_at, rn, sq, en, txn_id, k",
	    range, fn, ctx);
}

/* Points given in [from, to] by rules that are not a receipt's own
 * (awards and events), per rule: rule, points. */
int
ledger_earn_other_points(struct ledger *l, const char *from, const char *to,
    ledger_row_fn fn, void *ctx)
{
	const char *const range[] = { from, to, NULL };

	return ledger_visit_sql(l,
	    "SELECT rule, sum(points) FROM ("
	    " SELECT a.rule AS rule, a.points AS points FROM rule_awards a"
	    "  JOIN journal j ON j.entry_id = a.entry_id"
	    "  WHERE a.points <> 0 AND j.occurred_at >= ?1 AND j.occurred_at <= ?2"
	    " UNION ALL"
	    " SELECT '[event ' || event || ']', points FROM events"
	    "  WHERE status = 'credited' AND occurred_at >= ?1 AND occurred_at <= ?2)"
	    " GROUP BY rule ORDER BY rule", range, fn, ctx);
}

/* Member facts for the engine: tier, birthday, referrer, enrolled_at. */
int
ledger_earn_members(struct ledger *l, ledger_row_fn fn, void *ctx)
{
	return ledger_visit_sql(l, "SELECT member_id, tier, birthday, referrer, enrolled_at"
	    " FROM members ORDER BY member_id", NULL, fn, ctx);
}

/* Points given in [from, to] by receipts, per rule of their shares:
 * rule, points. */
int
ledger_earn_actual(struct ledger *l, const char *from, const char *to, ledger_row_fn fn,
    void *ctx)
{
	const char *const range[] = { from, to, NULL };

	return ledger_visit_sql(l,
	    "SELECT rule, sum(points) FROM ("
	    " SELECT s.key AS rule, s.value AS points"
	    "  FROM receipts r, json_each(r.earn, '$.lines') l, json_each(l.value, '$[7]') s"
	    "  WHERE r.earn IS NOT NULL AND r.member_id IS NOT NULL"
	    "   AND r.status IN ('credited', 'pending')"
	    "   AND r.occurred_at >= ?1 AND r.occurred_at <= ?2"
	    " UNION ALL"
	    " SELECT s.key, s.value FROM receipts r, json_each(r.earn, '$.receipt') s"
	    "  WHERE r.earn IS NOT NULL AND r.member_id IS NOT NULL"
	    "   AND r.status IN ('credited', 'pending')"
	    "   AND r.occurred_at >= ?1 AND r.occurred_at <= ?2)"
	    " GROUP BY rule", range, fn, ctx);
}
