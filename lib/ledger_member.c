/* Members, their cards and attributes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "earn.h"
#include "ledger_int.h"
#include "ledger_member.h"
#include "programme.h"
#include "strmap.h"
#include "when.h"

const char *const member_field_names[MF_COUNT] = {
	"member_id", "status", "name", "phone", "email", "birthday",
	"enrolled_at", "referrer", "store", "channel", "attrs", "tier",
	"merged_into", "closed_at", "forgotten_at", "created_run", "updated_run",
};

#define MEMBER_COLUMNS "member_id, status, name, phone, email, birthday, " \
	"enrolled_at, referrer, store, channel, attrs, tier, merged_into, closed_at, " \
	"forgotten_at, created_run, updated_run"

void
member_clear(struct member *m)
{
	for (int i = 0; i < MF_COUNT; i++) {
		free(m->v[i]);
		m->v[i] = NULL;
	}
}

void
member_set(struct member *m, enum member_field f, const char *s)
{
	char *copy = s ? loy_xstrdup(s) : NULL;

	free(m->v[f]);
	m->v[f] = copy;
}

int
ledger_member_get(struct ledger *l, const char *id, struct member *m)
{
	sqlite3_stmt *st = ledger_stmt(l, S_MEMBER_GET,
	    "SELECT " MEMBER_COLUMNS " FROM members WHERE member_id = ?1");
	int got;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((got = ledger_step_one(l, st, "cannot read")) <= 0)
		return got;
	member_clear(m);
	for (int i = 0; i < MF_COUNT; i++)
		m->v[i] = ledger_column_dup(st, i);
	sqlite3_reset(st);
	return 1;
}

/*
 * A walk along a chain of merges, member to merged_into, that knows a loop
 * (a ledger edited by hand) of any length once it goes round, and follows a
 * chain as long as there are members: the member marked last, marked again
 * after twice as many steps each time (Brent's algorithm).
 */
struct walk {
	char *mark;
	unsigned long steps, span;
};

static void
walk_start(struct walk *w, const char *id)
{
	w->mark = loy_xstrdup(id);
	w->steps = 0;
	w->span = 1;
}

/* 1 when `next`, the member the walk came to, was seen before. */
static int
walk_loops(struct walk *w, const char *next)
{
	if (strcmp(w->mark, next) == 0)
		return 1;
	if (++w->steps == w->span) {
		free(w->mark);
		w->mark = loy_xstrdup(next);
		w->span *= 2;
		w->steps = 0;
	}
	return 0;
}

/* Walk from member `id` along merged_into with statement `which` (its
 * query's first two columns status and merged_into, ?1 the member): 1 with
 * *out the survivor's id and `*stp` on the survivor's row, for the caller
 * to read and reset; 0 no such member; -1 an error or a loop (said). */
static int
walk_merges(struct ledger *l, const char *id, int which, const char *sql, char **out,
    sqlite3_stmt **stp)
{
	sqlite3_stmt *st;
	char *cur = loy_xstrdup(id), *next;
	struct walk w;
	int got;

	*out = NULL;
	walk_start(&w, id);
	for (;;) {
		if (!(st = ledger_stmt(l, which, sql)))
			got = -1;
		else {
			sqlite3_bind_text(st, 1, cur, -1, SQLITE_TRANSIENT);
			got = ledger_step_one(l, st, "cannot read");
		}
		if (got <= 0) {
			free(w.mark);
			free(cur);
			return got;
		}
		if (!(next = ledger_column_dup(st, 1))) {
			free(w.mark);
			*out = cur;
			*stp = st;
			return 1;
		}
		sqlite3_reset(st);
		free(cur);
		cur = next;
		if (walk_loops(&w, cur))
			break;
	}
	free(w.mark);
	free(cur);
	return loy_error("member '%s': merges form a loop", id);
}

int
ledger_member_resolve(struct ledger *l, const char *id, char **out)
{
	sqlite3_stmt *st;
	int got = walk_merges(l, id, S_MEMBER_MERGED,
	    "SELECT status, merged_into FROM members WHERE member_id = ?1", out, &st);

	if (got > 0)
		sqlite3_reset(st);
	return got;
}

int
ledger_member_refers_back(struct ledger *l, const char *referrer, const char *id)
{
	/* each step is the record's survivor when merged, else its referrer;
	 * UNION keeps each member once, so that a loop ends */
	sqlite3_stmt *st = ledger_stmt(l, S_MEMBER_REFERS_BACK, "WITH RECURSIVE walk(id) AS ("
	    " SELECT ?1 UNION SELECT " LEDGER_REFERRAL_STEP("m.")
	    "  FROM walk JOIN members m ON m.member_id = walk.id"
	    "  WHERE " LEDGER_REFERRAL_STEP("m.") " IS NOT NULL)"
	    " SELECT 1 FROM walk WHERE id = ?2 LIMIT 1");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, referrer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	switch (ledger_step_one(l, st, "cannot follow the referrers")) {
	case 1:
		sqlite3_reset(st);
		return 1;
	case 0:
		return 0;
	}
	return -1;
}

/* For each member a walk passed: the member its chain ends with, a copy,
 * or chain_loop for a chain that goes round in a loop (a ledger written
 * before loy-enroll refused them).  The member at an end has no entry:
 * it may be given a referrer since, which the ledger says. */
struct ledger_chains {
	struct strmap *end;
};

static char chain_loop[] = "";

struct ledger_chains *
ledger_chains_new(void)
{
	struct ledger_chains *c = loy_xmalloc(sizeof(*c));

	c->end = strmap_new();
	return c;
}

void
ledger_chains_forget(struct ledger_chains *c)
{
	for (size_t i = 0; i < strmap_count(c->end); i++)
		if (strmap_value(c->end, i) != chain_loop)
			free(strmap_value(c->end, i));
	strmap_clear(c->end);
}

void
ledger_chains_free(struct ledger_chains *c)
{
	if (!c)
		return;
	ledger_chains_forget(c);
	strmap_free(c->end);
	free(c);
}

/* The member the chain of referrers from `from` ends with (the one with no
 * referrer, each merged member standing for its survivor) in *end, NULL
 * for a loop; the members passed learn it.  0 or -1. */
static int
chain_end(struct ledger *l, struct ledger_chains *c, const char *from, char **end)
{
	sqlite3_stmt *st;
	char *cur = loy_xstrdup(from), *next, **path = NULL;
	const char *known;
	size_t n = 0, cap = 0;
	struct walk w;
	int rc = 0;

	*end = NULL;
	walk_start(&w, from);
	for (;;) {
		if ((known = strmap_get(c->end, cur, strlen(cur)))) {
			if (known == chain_loop)
				break;
			next = loy_xstrdup(known);	/* further on the chain */
		} else {
			if (!(st = ledger_stmt(l, S_MEMBER_CHAIN_STEP,
			    "SELECT " LEDGER_REFERRAL_STEP("")
			    " FROM members WHERE member_id = ?1"))) {
				rc = -1;
				break;
			}
			sqlite3_bind_text(st, 1, cur, -1, SQLITE_STATIC);
			if ((rc = ledger_step_one(l, st, "cannot follow the referrers")) < 0)
				break;
			next = rc ? ledger_column_dup(st, 0) : NULL;
			if (rc)
				sqlite3_reset(st);
			rc = 0;
			if (!next) {
				*end = cur;
				cur = NULL;
				break;
			}
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			path = loy_xrealloc(path, cap * sizeof(*path));
		}
		path[n++] = cur;
		cur = next;
		if (walk_loops(&w, cur))
			break;
	}
	for (size_t i = 0; i < n; i++) {
		void **slot = strmap_slot(c->end, path[i], strlen(path[i]), NULL);

		if (rc == 0) {
			if (*slot && *slot != chain_loop)
				free(*slot);
			*slot = *end ? loy_xstrdup(*end) : chain_loop;
		}
		free(path[i]);
	}
	free(path);
	free(w.mark);
	free(cur);
	return rc;
}

int
ledger_member_refers_back_known(struct ledger *l, struct ledger_chains *c,
    const char *referrer, const char *id, int id_refers)
{
	char *end;
	int got;

	if (id_refers) {
		/* a chain cut at `id`: what ends it held no longer holds */
		ledger_chains_forget(c);
		return referrer ? ledger_member_refers_back(l, referrer, id) : 0;
	}
	if (!referrer)
		return 0;
	/* `id` ends its chain: the referrer's comes to it only there */
	if (chain_end(l, c, referrer, &end) < 0)
		return -1;
	got = end && strcmp(end, id) == 0;
	free(end);
	return got;
}

int
ledger_member_same(struct ledger *l, const char *a, const char *b)
{
	char *x = NULL, *y = NULL;
	int rc = -1;

	if (ledger_member_resolve(l, a, &x) >= 0 && ledger_member_resolve(l, b, &y) >= 0)
		rc = x && y && strcmp(x, y) == 0;
	free(x);
	free(y);
	return rc;
}

int
ledger_member_state(struct ledger *l, const char *id, char **survivor, int *closed,
    int64_t *balance)
{
	return ledger_member_state_facts(l, id, survivor, closed, balance, NULL);
}

int
ledger_member_state_facts(struct ledger *l, const char *id, char **survivor, int *closed,
    int64_t *balance, char *facts[3])
{
	sqlite3_stmt *st;
	int got = walk_merges(l, id, S_MEMBER_STATE,
	    "SELECT m.status, m.merged_into, coalesce(b.points, 0),"
	    " m.tier, m.birthday, m.referrer FROM members m"
	    " LEFT JOIN balances b USING (member_id) WHERE m.member_id = ?1", survivor, &st);

	if (got <= 0)
		return got;
	*closed = strcmp((const char *)sqlite3_column_text(st, 0), "closed") == 0;
	*balance = sqlite3_column_int64(st, 2);
	for (int i = 0; facts && i < 3; i++)
		facts[i] = ledger_column_dup(st, 3 + i);
	sqlite3_reset(st);
	return 1;
}

static void bind_phone_key(sqlite3_stmt *st, int i, const char *phone, const char *country);

int
ledger_member_find(struct ledger *l, const char *by, const char *value, int merged,
    char **out)
{
	sqlite3_stmt *st;
	int got, card = strcmp(by, "card") == 0, follow;

	if (card)
		st = ledger_stmt(l, S_MEMBER_BY_CARD,
		    "SELECT member_id FROM cards WHERE card = ?1");
	/* with `merged`, a phone or e-mail that only a merged record has is
	 * its survivor's, as its id and cards are */
	else if (strcmp(by, "email") == 0)
		st = ledger_stmt(l, S_MEMBER_BY_EMAIL,
		    "SELECT member_id, status = 'merged' FROM members WHERE lower(email) = lower(?1)"
		    " AND email IS NOT NULL AND (?2 OR status <> 'merged') "
		    "ORDER BY status = 'merged', enrolled_at, member_id LIMIT 1");
	else
		st = ledger_stmt(l, S_MEMBER_BY_PHONE,
		    "SELECT member_id, status = 'merged' FROM members"
		    " WHERE phone_key = ?1 AND (?2 OR status <> 'merged') "
		    "ORDER BY status = 'merged', enrolled_at, member_id LIMIT 1");
	if (!st)
		return -1;
	if (card || strcmp(by, "email") == 0)
		sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	else
		bind_phone_key(st, 1, value, ledger_setting(l, "phone_country"));
	if (!card)
		sqlite3_bind_int(st, 2, merged);
	if ((got = ledger_step_one(l, st, "cannot read")) <= 0)
		return got;
	*out = ledger_column_dup(st, 0);
	follow = card || sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	if (follow) {
		char *id = *out;

		got = ledger_member_resolve(l, id, out);
		free(id);
	}
	return got;
}

char *
ledger_phone_key(const char *phone, const char *country)
{
	int none = !country || strcmp(country, "none") == 0;
	size_t cn = none ? 0 : strlen(country);
	char *key = loy_xmalloc(cn + strlen(phone) + 2), *s = key + cn + 1, *k = s;

	/* stripped into place after room for "+CC", as LEDGER_PHONE_WRITTEN:
	 * the spaces, dashes, points and slashes, then a (0) right after + or
	 * 00 and 1 to 3 digits (+44 (0)20, 0044 (0)20: the trunk prefix) but
	 * 39, 378 and 379, whose numbers keep the 0 (+39 (0)6 is +3906), then
	 * the brackets */
	for (const char *p = phone; *p; p++)
		if (!strchr(" -./", *p))
			*k++ = *p;
	*k = '\0';
	if (*s == '+' || (s[0] == '0' && s[1] == '0')) {
		const char *cc = s + (*s == '+' ? 1 : 2);
		size_t d = 0, n;

		while (d < 3 && cc[d] >= '0' && cc[d] <= '9')
			d++;
		n = (size_t)(cc - s) + d;
		if (d > 0 && strncmp(s + n, "(0)", 3) == 0 &&
		    !(d == 2 && strncmp(cc, "39", 2) == 0) &&
		    !(d == 3 && (strncmp(cc, "378", 3) == 0 || strncmp(cc, "379", 3) == 0))) {
			memmove(s + n, s + n + 3, (size_t)(k - s) - n - 2);
			k -= 3;
		}
	}
	for (char *p = k = s; *p; p++)
		if (*p != '(' && *p != ')')
			*k++ = *p;
	*k = '\0';
	if (none || *s < '0' || *s > '9') {	/* as written, or no country */
		memmove(key, s, (size_t)(k - s) + 1);
	} else if (s[0] == '0' && s[1] == '0') {	/* 0044...: +44... */
		key[0] = '+';
		memmove(key + 1, s + 2, (size_t)(k - s) - 1);
	} else {	/* 07700...: +447700..., and 7700...: +447700... */
		key[0] = '+';
		memcpy(key + 1, country, cn);
		if (*s == '0')
			memmove(s, s + 1, (size_t)(k - s));
	}
	return key;
}

/*
 * Binds parameter i to the phone as loy compares phones under the
 * programme's phone_country (ledger_phone_key, LEDGER_PHONE_KEY_IN, worked
 * out here: SQLite's six replace() calls for each of a million members
 * took longer than the rest of their index), or NULL.
 */
static void
bind_phone_key(sqlite3_stmt *st, int i, const char *phone, const char *country)
{
	if (!phone) {
		sqlite3_bind_null(st, i);
		return;
	}
	sqlite3_bind_text(st, i, ledger_phone_key(phone, country), -1, free);
}

int
ledger_members_phone_rekey(struct ledger *l, long *shared)
{
	sqlite3_stmt *st;
	int got;

	/* the keys as they were, of the members a phone can find (not merged
	 * ones, as duplicates leaves them out), to count who shares anew */
	*shared = 0;
	if (ledger_exec(l, "CREATE TEMP TABLE IF NOT EXISTS phone_was("
	    "member_id TEXT PRIMARY KEY, phone_key TEXT NOT NULL) WITHOUT ROWID;"
	    "DELETE FROM temp.phone_was;"
	    "INSERT INTO temp.phone_was SELECT member_id, phone_key FROM members"
	    " WHERE phone_key IS NOT NULL AND status <> 'merged'") < 0 ||
	    ledger_exec_args(l, "UPDATE members SET phone_key = "
	    LEDGER_PHONE_KEY_IN("phone", LEDGER_PHONE_COUNTRY)
	    " WHERE phone IS NOT NULL"
	    " AND phone_key IS NOT " LEDGER_PHONE_KEY_IN("phone", LEDGER_PHONE_COUNTRY),
	    "cannot compare members' phones anew", NULL, NULL) < 0)
		return -1;
	/* a member who shares the new key with one whose key was not its own */
	if (!(st = ledger_prepare(l, "SELECT count(*) FROM members m"
	    " JOIN temp.phone_was mw ON mw.member_id = m.member_id"
	    " WHERE m.status <> 'merged' AND EXISTS (SELECT 1 FROM members o"
	    "  JOIN temp.phone_was w ON w.member_id = o.member_id"
	    "  WHERE o.phone_key = m.phone_key AND o.member_id <> m.member_id"
	    "  AND o.status <> 'merged' AND w.phone_key <> mw.phone_key)")))
		return -1;
	if ((got = ledger_step_one(l, st, "cannot compare members' phones anew")) > 0)
		*shared = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (got < 0)
		return -1;
	return ledger_exec(l, "DROP TABLE temp.phone_was");
}

/* Binds the member's parameters, ?base+1 to ?base+MF_COUNT, without
 * copies: the statement is stepped while `m` is the caller's; then the
 * phone's key, ?base+MF_COUNT+1. */
static void
bind_member(struct ledger *l, sqlite3_stmt *st, const struct member *m, int64_t run, int base)
{
	for (int i = 0; i < MF_CREATED_RUN; i++)
		ledger_bind_static(st, base + i + 1, m->v[i]);
	sqlite3_bind_int64(st, base + MF_CREATED_RUN + 1, run);
	sqlite3_bind_int64(st, base + MF_UPDATED_RUN + 1, run);
	bind_phone_key(st, base + MF_COUNT + 1, m->v[MF_PHONE],
	    ledger_setting(l, "phone_country"));
}

int
ledger_member_insert_new(struct ledger *l, const struct member *m)
{
	sqlite3_stmt *st = ledger_stmt_rebind(l, S_MEMBER_INSERT_NEW,
	    "INSERT INTO members(" MEMBER_COLUMNS ", phone_key) VALUES "
	    "(?1, coalesce(?2, 'active'), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14, ?15, ?16, ?17, ?18) ON CONFLICT(member_id) DO NOTHING");

	if (!st)
		return -1;
	bind_member(l, st, m, l->run_id, 0);
	if (ledger_exec_stmt(l, st, "cannot add a member") < 0)
		return -1;
	return sqlite3_changes(l->db) > 0;
}

int
ledger_member_add(struct ledger *l, const struct member *m)
{
	int got = ledger_member_insert_new(l, m);

	if (got != 0)
		return got > 0 ? 0 : -1;
	l->rc = SQLITE_CONSTRAINT;
	return loy_error("ledger '%s': cannot add a member: member '%s' exists", l->path,
	    m->v[MF_ID]);
}

int
ledger_member_uncreate(struct ledger *l, const char *id)
{
	return ledger_exec_args(l, "DELETE FROM members WHERE member_id = ?1 AND created_run = ?2",
	    "cannot undo a member", NULL, id, LEDGER_RUN, NULL);
}

int
ledger_member_update(struct ledger *l, const struct member *m)
{
	sqlite3_stmt *st = ledger_stmt_rebind(l, S_MEMBER_UPDATE,
	    "UPDATE members SET status = ?2, name = ?3, phone = ?4, email = ?5,"
	    " birthday = ?6, enrolled_at = ?7, referrer = ?8, store = ?9, channel = ?10,"
	    " attrs = ?11, tier = ?12, merged_into = ?13, closed_at = ?14, forgotten_at = ?15,"
	    " updated_run = ?17, phone_key = ?18 WHERE member_id = ?1");

	if (!st)
		return -1;
	bind_member(l, st, m, l->run_id, 0);
	return ledger_exec_stmt(l, st, "cannot update a member");
}

int
ledger_member_new_id(struct ledger *l, char **out)
{
	sqlite3_stmt *st;
	char key[] = LEDGER_NEXT_MEMBER_ID, buf[32];
	long long next = 0;
	int got;

	if (sqlite3_prepare_v2(l->db, "SELECT value FROM settings WHERE key = ?1", -1,
	    &st, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot prepare statement");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((got = sqlite3_step(st)) == SQLITE_ROW)
		next = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (got != SQLITE_ROW && got != SQLITE_DONE)
		return ledger_fail(l, "cannot read the next member id");
	if (next < 1)
		next = 1;
	for (;; next++) {
		if (!(st = ledger_stmt(l, S_MEMBER_EXISTS,
		    "SELECT 1 FROM members WHERE member_id = ?1")))
			return -1;
		snprintf(buf, sizeof(buf), "%lld", next);
		sqlite3_bind_text(st, 1, buf, -1, SQLITE_STATIC);
		if ((got = ledger_step_one(l, st, "cannot read")) < 0)
			return -1;
		sqlite3_reset(st);
		if (!got)
			break;
	}
	if (sqlite3_prepare_v2(l->db, "INSERT INTO settings(key, value) VALUES (?1, ?2) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value", -1, &st, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot prepare statement");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, next + 1);
	got = sqlite3_step(st);
	sqlite3_finalize(st);
	if (got != SQLITE_DONE)
		return ledger_fail(l, "cannot assign a member id");
	*out = loy_xstrdup(buf);
	return 0;
}

int
ledger_member_set_status(struct ledger *l, const char *id, const char *status, const char *at)
{
	if (strcmp(status, "closed") == 0)
		return ledger_exec_args(l, "UPDATE members SET status = 'closed', closed_at = ?2,"
		    " updated_run = ?3 WHERE member_id = ?1", "cannot close a member", NULL,
		    id, at, LEDGER_RUN, NULL);
	return ledger_exec_args(l, "UPDATE members SET status = 'active', closed_at = NULL,"
	    " updated_run = ?2 WHERE member_id = ?1", "cannot reopen a member", NULL,
	    id, LEDGER_RUN, NULL);
}

int
ledger_member_forget(struct ledger *l, const char *id, const char *at, char ***ids, int *n)
{
	/* the member, and every record merged into it: the same person */
	sqlite3_stmt *st;

	*ids = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(l->db, "UPDATE members SET name = NULL, phone = NULL, phone_key = NULL,"
	    " email = NULL, birthday = NULL, attrs = NULL, forgotten_at = ?2, updated_run = ?3"
	    " WHERE member_id IN (WITH RECURSIVE m(id) AS (SELECT ?1"
	    "  UNION SELECT x.member_id FROM members x JOIN m ON x.merged_into = m.id"
	    "  WHERE x.status = 'merged') SELECT id FROM m)"
	    " AND forgotten_at IS NULL RETURNING member_id", -1, &st, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot prepare statement");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, l->run_id);
	if ((*n = ledger_column_strings(l, st, "cannot forget a member", ids)) < 0) {
		*n = 0;
		return -1;
	}
	return 0;
}

/* Move every open lot of `from` to `into` (entries out_id, in_id). */
static int
move_lots(struct ledger *l, const char *from, const char *into, int64_t out_id,
    int64_t in_id, int64_t into_balance)
{
	struct lot {
		int64_t id, remaining;
		char *earned, *expires, *avail;
	} *lots = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(l->db, "SELECT lot_id, remaining, earned_at, expires_at,"
	    " available_at FROM lots WHERE member_id = ?1 AND remaining > 0 ORDER BY lot_id",
	    -1, &st, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot prepare statement");
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			lots = loy_xrealloc(lots, cap * sizeof(*lots));
		}
		lots[n].id = sqlite3_column_int64(st, 0);
		lots[n].remaining = sqlite3_column_int64(st, 1);
		lots[n].earned = ledger_column_dup(st, 2);
		lots[n].expires = ledger_column_dup(st, 3);
		lots[n].avail = ledger_column_dup(st, 4);
		n++;
	}
	sqlite3_finalize(st);
	rc = rc == SQLITE_DONE ? 0 : ledger_fail(l, "cannot read lots");
	for (size_t i = 0; i < n && rc == 0; i++) {
		char out_s[24], lot_s[24], pts_s[24];

		snprintf(out_s, sizeof(out_s), "%lld", (long long)out_id);
		snprintf(lot_s, sizeof(lot_s), "%lld", (long long)lots[i].id);
		snprintf(pts_s, sizeof(pts_s), "%lld", (long long)-lots[i].remaining);
		if (ledger_exec_args(l, "INSERT INTO lot_moves(entry_id, lot_id, points)"
		    " VALUES (?1, ?2, ?3)", "cannot move lots", NULL, out_s, lot_s, pts_s, NULL) < 0 ||
		    ledger_exec_args(l, "UPDATE lots SET remaining = 0 WHERE lot_id = ?1",
		    "cannot move lots", NULL, lot_s, NULL) < 0 ||
		    ledger_lot_add(l, into, in_id, lots[i].earned, lots[i].expires, lots[i].avail,
		    lots[i].remaining, into_balance) < 0)
			rc = -1;
		into_balance += lots[i].remaining;
	}
	for (size_t i = 0; i < n; i++) {
		free(lots[i].earned);
		free(lots[i].expires);
		free(lots[i].avail);
	}
	free(lots);
	return rc;
}

/* A member's earned tier (a copy in *out, NULL for none): the one
 * tier_earned keeps while an assignment holds the member above it, else
 * the tier the member holds.  0 or -1. */
static int
earned_tier(struct ledger *l, const char *id, char **out)
{
	sqlite3_stmt *st = ledger_prepare(l, "SELECT CASE WHEN e.member_id IS NULL THEN m.tier"
	    " ELSE e.tier END FROM members m LEFT JOIN tier_earned e USING (member_id)"
	    " WHERE m.member_id = ?1");
	int rc;

	*out = NULL;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = ledger_column_dup(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_fail(l, "cannot read an earned tier");
	return 0;
}

/*
 * The day a merged record's tier is the survivor's from, into `day`: the
 * day of the merge `at`, or, when no tiers run has recalculated the days
 * before it (nightly runs missed), the day after the last applied run,
 * from which the next run counts the purchases of both records for the
 * survivor, and so reviews the tier in order.  0 or -1.
 */
static int
merge_tier_day(struct ledger *l, const char *at, char day[11])
{
	sqlite3_stmt *st = ledger_prepare(l, "SELECT min(substr(?1, 1, 10),"
	    " coalesce(date(max(as_of), '+1 day'), substr(?1, 1, 10))) FROM tier_runs");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, at, -1, SQLITE_STATIC);
	if ((rc = ledger_step_one(l, st, "cannot read the last tiers run")) == 1)
		snprintf(day, 11, "%.10s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == 1 ? 0 : -1;
}

/*
 * The tier `from` earned goes with it to `into` (held `held`): when it is
 * higher, by the tiers of the version in force at `at`, than the one
 * `into` earned, it is the survivor's earned tier from the merge on (from
 * merge_tier_day), and
 * its tier when that is higher than the one it holds (an assignment may
 * hold it higher still), a change recorded in tier_history as 'merged';
 * not the tier of a record `closed` (its closed_at, else NULL) by the day
 * of the last tiers run.  The survivor's next review judges it, by the purchases of both.  An
 * assignment of `from` follows through tier_assignments, in the next
 * tiers run.  A change of the survivor's tier is said in mg.  0 or -1.
 */
static int
merge_tier(struct ledger *l, const char *from, const char *into, const char *held,
    const char *closed, const char *at, struct ledger_merge *mg)
{
	const struct programme *v, *p;
	char *fe = NULL, *ie = NULL, day[11];
	int rc = -1, fr, hr, n;
	sqlite3_stmt *st;

	/* a record closed by the day of the last tiers run has the tier it
	 * held when closed: the runs since passed it by, reviewing none */
	if (closed) {
		if (!(st = ledger_prepare(l, "SELECT 1 WHERE"
		    " (SELECT max(as_of) FROM tier_runs) >= substr(?1, 1, 10)")))
			return -1;
		sqlite3_bind_text(st, 1, closed, -1, SQLITE_STATIC);
		rc = ledger_step_one(l, st, "cannot read the last tiers run");
		sqlite3_finalize(st);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	if (ledger_versions(l, &v, &n) < 0 ||
	    earned_tier(l, from, &fe) < 0 || earned_tier(l, into, &ie) < 0)
		goto out;
	/* ranked as the tiers run ranks them, by the version in force */
	p = programme_at(v, n, at);
	rc = 0;
	if ((fr = programme_tier(p, fe)) < 0 || fr <= programme_tier(p, ie))
		goto out;
	if (merge_tier_day(l, at, day) < 0) {
		rc = -1;
		goto out;
	}
	hr = programme_tier(p, held);
	if (fr > hr) {
		/* the survivor holds the merged record's tier */
		st = ledger_prepare(l, "INSERT INTO tier_history(member_id,"
		    " from_tier, to_tier, reason, effective, run_id)"
		    " VALUES (?1, ?2, ?3, 'merged', ?4, ?5)");

		if (!st) {
			rc = -1;
			goto out;
		}
		sqlite3_bind_text(st, 1, into, -1, SQLITE_STATIC);
		ledger_bind_text(st, 2, held);
		sqlite3_bind_text(st, 3, fe, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, day, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, l->run_id);
		rc = ledger_exec_stmt(l, st, "cannot record a tier change");
		sqlite3_finalize(st);
		if (rc < 0 || ledger_exec_args(l, "UPDATE members SET tier = ?2 WHERE member_id = ?1",
		    "cannot set a tier", NULL, into, fe, NULL) < 0) {
			rc = -1;
			goto out;
		}
		mg->tier_from = held ? loy_xstrdup(held) : NULL;
		mg->tier_to = loy_xstrdup(fe);
		memcpy(mg->tier_day, day, sizeof(mg->tier_day));
	}
	/* what the survivor earned: the tier it holds now (no row), or,
	 * while an assignment holds it higher, the merged record's */
	rc = (fr >= hr ? ledger_exec_args(l, "DELETE FROM tier_earned WHERE member_id = ?1",
	    "cannot record an earned tier", NULL, into, NULL) :
	    ledger_exec_args(l, "INSERT INTO tier_earned(member_id, tier) VALUES (?1, ?2)"
	    " ON CONFLICT(member_id) DO UPDATE SET tier = excluded.tier",
	    "cannot record an earned tier", NULL, into, fe, NULL)) < 0 ? -1 : 0;
out:
	free(fe);
	free(ie);
	return rc;
}

/*
 * After the merge of `from` into `into`: a referrer of `into` whose chain of
 * referrers comes back to `into` (through `from`, which is `into` now: A
 * referred by B, B by the duplicate of A) would have `into` refer itself:
 * it goes, as one that stands for `from` does, and `from_ref`, the
 * referrer of `from`, takes its place unless it comes back too.  0 or -1.
 */
static int
merge_referrer_loop(struct ledger *l, const char *into, const char *from_ref)
{
	struct member m = { { 0 } };
	const char *ref = "";
	int rc = -1, got;

	if (ledger_member_get(l, into, &m) <= 0)
		goto out;
	rc = 0;
	if (!m.v[MF_REFERRER] || (got = ledger_member_refers_back(l, m.v[MF_REFERRER], into)) == 0)
		goto out;
	if (got < 0 || (from_ref && strcmp(from_ref, m.v[MF_REFERRER]) != 0 &&
	    (got = ledger_member_refers_back(l, from_ref, into)) < 0)) {
		rc = -1;
		goto out;
	}
	if (from_ref && strcmp(from_ref, m.v[MF_REFERRER]) != 0 && got == 0)
		ref = from_ref;
	rc = ledger_exec_args(l, "UPDATE members SET referrer = nullif(?2, '') WHERE member_id = ?1",
	    "cannot merge members", NULL, into, ref, NULL) < 0 ? -1 : 0;
out:
	member_clear(&m);
	return rc;
}

void
ledger_merge_clear(struct ledger_merge *mg)
{
	free(mg->tier_from);
	free(mg->tier_to);
	*mg = (struct ledger_merge){ 0 };
}

int
ledger_member_merge(struct ledger *l, const char *from, const char *into, const char *at,
    struct ledger_merge *mg)
{
	sqlite3_stmt *st;
	int64_t points = 0, out_id, in_id;
	struct member fm = { { 0 } }, im = { { 0 } };
	const char *ref = "", *self = "0";
	char *who = NULL;
	int rc;

	if (sqlite3_prepare_v2(l->db, "SELECT points FROM balances WHERE member_id = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return ledger_fail(l, "cannot prepare statement");
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		points = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_fail(l, "cannot read a balance");
	ledger_merge_clear(mg);
	mg->moved = points;
	if (points != 0) {
		int64_t into_balance;

		if (ledger_balance_get(l, into, &into_balance) < 0 ||
		    (out_id = ledger_entry_add(l, from, "merge", -points, at, "merge", into,
		    NULL)) < 0 ||
		    (in_id = ledger_entry_add(l, into, "merge", points, at, "merge", from,
		    NULL)) < 0)
			return -1;
		if (points > 0) {
			/* open lots move with their dates; a debt of `into` is
			 * repaid from them as they arrive */
			if (move_lots(l, from, into, out_id, in_id, into_balance) < 0)
				return -1;
		} else if (into_balance > 0 &&
		    ledger_lots_take(l, into, -points < into_balance ? -points : into_balance,
		    in_id, 0, at) < 0)
			return -1;	/* `from` owed points: `into` pays from its lots */
	}
	/* the referrer of `from` for `into`, which has none, unless it stands
	 * for `into` itself, or for `from`, which is `into` from now on ('' for
	 * none: no member id is empty).  A referrer of `into` that stands for
	 * `from` would have `into` refer itself: it goes (self = "1"), and
	 * `from`'s own referrer, if any, takes its place. */
	rc = -1;
	if (ledger_member_get(l, from, &fm) <= 0 || ledger_member_get(l, into, &im) <= 0)
		goto out;
	if (im.v[MF_REFERRER]) {
		if ((rc = ledger_member_resolve(l, im.v[MF_REFERRER], &who)) < 0)
			goto out;
		if (rc > 0 && (strcmp(who, into) == 0 || strcmp(who, from) == 0))
			self = "1";
		free(who);
		who = NULL;
	}
	if ((!im.v[MF_REFERRER] || *self == '1') && fm.v[MF_REFERRER]) {
		if ((rc = ledger_member_resolve(l, fm.v[MF_REFERRER], &who)) < 0)
			goto out;
		if (rc > 0 && strcmp(who, into) != 0 && strcmp(who, from) != 0)
			ref = fm.v[MF_REFERRER];
	}
	/* its counts towards the cumulative rules add to those of `into`; its
	 * awards, events and receipts stay its own, and the rules find them
	 * through merged_into (ledger_earn_awarded and the like) */
	rc = ledger_earn_progress_merge(l, from, into) < 0 ||
	    ledger_exec_args(l, "UPDATE cards SET member_id = ?2 WHERE member_id = ?1",
	    "cannot move cards", NULL, from, into, NULL) < 0 ||
	    ledger_exec_args(l, "UPDATE members AS m SET"
	    " name = coalesce(m.name, f.name), phone = coalesce(m.phone, f.phone),"
	    " phone_key = CASE WHEN m.phone IS NULL THEN f.phone_key ELSE m.phone_key END,"
	    " email = coalesce(m.email, f.email), birthday = coalesce(m.birthday, f.birthday),"
	    " referrer = CASE WHEN ?5 = '1' THEN nullif(?4, '')"
	    "  ELSE coalesce(m.referrer, nullif(?4, '')) END,"
	    " attrs = CASE WHEN f.attrs IS NULL THEN m.attrs WHEN m.attrs IS NULL THEN f.attrs"
	    "  ELSE json_patch(f.attrs, m.attrs) END,"
	    " updated_run = ?3 FROM members AS f WHERE m.member_id = ?2 AND f.member_id = ?1",
	    "cannot merge members", NULL, from, into, LEDGER_RUN, ref, self, NULL) < 0 ||
	    /* a closed `from` keeps the day it was closed; the referrer
	     * `into` had until now is kept for the lists of earlier days */
	    ledger_exec_args(l, "UPDATE members SET status = 'merged', merged_into = ?2,"
	    " closed_at = coalesce(closed_at, ?3), merged_at = ?3, into_referrer = nullif(?5, ''),"
	    " merged_run = ?4, updated_run = ?4 WHERE member_id = ?1",
	    "cannot merge members", NULL, from, into, at, LEDGER_RUN,
	    im.v[MF_REFERRER] ? im.v[MF_REFERRER] : "", NULL) < 0 ||
	    merge_referrer_loop(l, into, fm.v[MF_REFERRER]) < 0 ||
	    merge_tier(l, from, into, im.v[MF_TIER],
	    strcmp(fm.v[MF_STATUS], "closed") == 0 ? fm.v[MF_CLOSED_AT] : NULL, at, mg) < 0 ?
	    -1 : 0;
out:
	member_clear(&fm);
	member_clear(&im);
	free(who);
	return rc;
}

int
ledger_card_owner(struct ledger *l, const char *card, char **member, char **status)
{
	sqlite3_stmt *st = ledger_stmt(l, S_CARD_OWNER,
	    "SELECT member_id, status FROM cards WHERE card = ?1");
	int got;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, card, -1, SQLITE_STATIC);
	if ((got = ledger_step_one(l, st, "cannot read")) <= 0)
		return got;
	*member = ledger_column_dup(st, 0);
	if (status)
		*status = ledger_column_dup(st, 1);
	sqlite3_reset(st);
	return 1;
}

/* Insert a card with the statement st (binding card, member, at, run). */
static int
card_insert(struct ledger *l, sqlite3_stmt *st, const char *member, const char *card,
    const char *at)
{
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, card, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, l->run_id);
	return ledger_exec_stmt(l, st, "cannot add a card");
}

int
ledger_card_add(struct ledger *l, const char *member, const char *card, const char *at)
{
	return card_insert(l, ledger_stmt(l, S_CARD_ADD,
	    "INSERT INTO cards(card, member_id, issued_at, run_id) VALUES (?1, ?2, ?3, ?4)"),
	    member, card, at);
}

int
ledger_card_add_new(struct ledger *l, const char *member, const char *card, const char *at)
{
	if (card_insert(l, ledger_stmt_rebind(l, S_CARD_ADD_NEW,
	    "INSERT INTO cards(card, member_id, issued_at, run_id) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT(card) DO NOTHING"), member, card, at) < 0)
		return -1;
	return sqlite3_changes(l->db) > 0;
}

int
ledger_card_replace(struct ledger *l, const char *old, const char *new_card, const char *at)
{
	char *member = NULL;
	int got = ledger_card_owner(l, old, &member, NULL);

	if (got <= 0)
		return -1;
	got = ledger_card_add(l, member, new_card, at) < 0 ||
	    ledger_exec_args(l, "UPDATE cards SET status = 'replaced', ended_at = ?2,"
	    " replaced_by = ?3 WHERE card = ?1", "cannot replace a card", NULL,
	    old, at, new_card, NULL) < 0 ? -1 : 0;
	free(member);
	return got;
}

int
ledger_list_members(struct ledger *l, ledger_row_fn fn, void *ctx)
{
	return ledger_visit_sql(l, "SELECT m.member_id, m.status, m.name, m.phone, m.email,"
	    " m.birthday, m.enrolled_at, m.referrer, m.store, m.channel, m.tier,"
	    " m.merged_into, coalesce(b.points, 0) AS points, c.cards, m.attrs"
	    " FROM members m LEFT JOIN balances b USING (member_id)"
	    " LEFT JOIN (SELECT member_id, group_concat(card, ' ') AS cards FROM"
	    "   (SELECT member_id, card FROM cards WHERE status = 'active' ORDER BY member_id, card)"
	    "   GROUP BY member_id) c USING (member_id)"
	    " ORDER BY m.member_id", NULL, fn, ctx);
}

int
ledger_list_cards(struct ledger *l, const char *member, ledger_row_fn fn, void *ctx)
{
	const char *const one[] = { member, NULL };

	return ledger_visit_sql(l, "SELECT card, member_id, status, issued_at, ended_at, replaced_by,"
	    " run_id FROM cards WHERE member_id = ?1 ORDER BY issued_at, run_id, card", one, fn, ctx);
}

int
ledger_list_duplicates(struct ledger *l, ledger_row_fn fn, void *ctx)
{
	return ledger_visit_sql(l,
	    "WITH shared AS ("
	    "  SELECT 'phone' AS field, phone_key AS value, member_id FROM members"
	    "   WHERE phone_key IS NOT NULL AND status <> 'merged'"
	    "  UNION ALL"
	    "  SELECT 'email', lower(email), member_id FROM members"
	    "   WHERE email IS NOT NULL AND status <> 'merged')"
	    " SELECT s.field, s.value, s.member_id, m.name, m.status, m.enrolled_at"
	    " FROM shared s JOIN members m USING (member_id)"
	    " WHERE (s.field, s.value) IN"
	    "  (SELECT field, value FROM shared GROUP BY field, value HAVING count(*) > 1)"
	    " ORDER BY s.field, s.value, m.enrolled_at, s.member_id", NULL, fn, ctx);
}

/* loy-enroll's run: look-ups in the input's order, indexes made once. */


struct ledger_bulk {
	struct ledger *l;
	struct ledger_seq *member, *card;
	sqlite3_stmt *many;	/* ledger_members_insert's */
	sqlite3_stmt *cards;	/* ledger_cards_insert's */
	int nindex;		/* indexes dropped: names and CREATE text */
	char **iname, **isql;
};

struct ledger_bulk *
ledger_bulk_new(struct ledger *l)
{
	struct ledger_bulk *bk = calloc(1, sizeof(*bk));

	if (!bk)
		loy_die(71, "out of memory");
	bk->l = l;
	bk->member = ledger_seq_new(l, "SELECT member_id, status, name, phone, email,"
	    " birthday, enrolled_at, referrer, store, channel, attrs, tier, merged_into,"
	    " closed_at, forgotten_at FROM members WHERE member_id >= ?1 ORDER BY member_id",
	    "cannot read members");
	bk->card = ledger_seq_new(l, "SELECT card, member_id, status FROM cards"
	    " WHERE card >= ?1 ORDER BY card", "cannot read cards");
	return bk;
}

void
ledger_bulk_free(struct ledger_bulk *bk)
{
	if (!bk)
		return;
	ledger_seq_free(bk->member);
	ledger_seq_free(bk->card);
	sqlite3_finalize(bk->many);
	sqlite3_finalize(bk->cards);
	for (int i = 0; i < bk->nindex; i++) {
		free(bk->iname[i]);
		free(bk->isql[i]);
	}
	free(bk->iname);
	free(bk->isql);
	free(bk);
}

void
ledger_bulk_pause(struct ledger_bulk *bk)
{
	ledger_seq_pause(bk->member);
	ledger_seq_pause(bk->card);
}

int
ledger_bulk_member(struct ledger_bulk *bk, const char *id, const char *v[MF_COUNT])
{
	int got = ledger_seq_find(bk->member, id, 0);

	if (got <= 0)
		return got;
	for (int i = 0; i < MF_COUNT; i++)
		v[i] = i < MF_CREATED_RUN && i != MF_STATUS && i != MF_TIER && i != MF_CLOSED_AT ?
		    (const char *)sqlite3_column_text(ledger_seq_row(bk->member), i) : NULL;
	return 1;
}

void
ledger_bulk_member_rest(struct ledger_bulk *bk, const char *v[MF_COUNT])
{
	sqlite3_stmt *st = ledger_seq_row(bk->member);

	v[MF_STATUS] = (const char *)sqlite3_column_text(st, MF_STATUS);
	v[MF_TIER] = (const char *)sqlite3_column_text(st, MF_TIER);
	v[MF_CLOSED_AT] = (const char *)sqlite3_column_text(st, MF_CLOSED_AT);
}

int
ledger_bulk_card(struct ledger_bulk *bk, const char *card, const char **member,
    const char **status)
{
	/* exact: a card this run added may have escaped a cursor past it */
	int got = ledger_seq_find(bk->card, card, 1);

	if (got <= 0)
		return got;
	*member = (const char *)sqlite3_column_text(ledger_seq_row(bk->card), 1);
	*status = (const char *)sqlite3_column_text(ledger_seq_row(bk->card), 2);
	return 1;
}

long
ledger_member_count(struct ledger *l, long limit)
{
	sqlite3_stmt *st = ledger_prepare(l, "SELECT count(*) FROM (SELECT 1 FROM members LIMIT ?1)");
	long n = -1;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, limit);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		ledger_fail(l, "cannot read");
	sqlite3_finalize(st);
	return n;
}

int
ledger_bulk_indexes_dropped(const struct ledger_bulk *bk)
{
	return bk->nindex > 0;
}

/* The indexes every new member or card enters (members_merged takes only
 * merged ones: it stays), as they were made: each is dropped, its CREATE
 * text kept. */
int
ledger_bulk_indexes_off(struct ledger_bulk *bk)
{
	struct ledger *l = bk->l;
	sqlite3_stmt *st;
	int rc, n0 = bk->nindex;

	if (bk->nindex)
		return 0;
	ledger_bulk_pause(bk);	/* a schema change waits for no reader */
	if (!(st = ledger_prepare(l, "SELECT name, sql FROM sqlite_schema WHERE type = 'index'"
	    " AND name IN ('members_phone', 'members_email', 'cards_member') ORDER BY rowid")))
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
		    strlen(name))
			continue;	/* a name of ours is a plain word */
		bk->iname = loy_xrealloc(bk->iname, (bk->nindex + 1) * sizeof(*bk->iname));
		bk->isql = loy_xrealloc(bk->isql, (bk->nindex + 1) * sizeof(*bk->isql));
		bk->iname[bk->nindex] = ledger_column_dup(st, 0);
		bk->isql[bk->nindex] = ledger_column_dup(st, 1);
		bk->nindex++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ledger_fail(l, "cannot read the schema");
	for (int i = n0; i < bk->nindex; i++) {
		char *sql = loy_xmalloc(strlen(bk->iname[i]) + 16);

		sprintf(sql, "DROP INDEX %s", bk->iname[i]);
		rc = ledger_exec(l, sql);
		free(sql);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
ledger_bulk_indexes_on(struct ledger_bulk *bk)
{
	int rc = 0;

	if (bk->nindex)
		ledger_bulk_pause(bk);
	for (int i = 0; i < bk->nindex; i++) {
		if (!rc && ledger_exec(bk->l, bk->isql[i]) < 0)
			rc = -1;
		free(bk->iname[i]);
		free(bk->isql[i]);
	}
	bk->nindex = 0;
	return rc;
}

int
ledger_cards_before_run(struct ledger *l)
{
	sqlite3_stmt *st = ledger_prepare(l, "SELECT 1 FROM cards WHERE run_id <> ?1 LIMIT 1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, l->run_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_fail(l, "cannot read");
	return rc == SQLITE_ROW;
}

/*
 * Rows many to a statement (ledger_members_insert, ledger_cards_insert).
 * Such a statement is OR IGNORE and counts the rows it added: a statement
 * of many rows that could stop half-way keeps a copy of every page it
 * changes, in case it has to undo its first rows (a statement journal, a
 * temporary file once it has grown past 64 KiB: a large first enrolment
 * wrote some 900 MB to it).  A row refused (a key taken: the caller said
 * it was free) is an error all the same, and the run is rolled back.
 */
#define MANY 32

static int
refused(struct ledger *l, const char *what, const char *first, const char *last, int n)
{
	l->rc = SQLITE_CONSTRAINT;
	return loy_error("ledger '%s': cannot add %s '%s' to '%s': %d of %d refused", l->path,
	    what, first, last, n, MANY);
}

/* Fields a member of ledger_members_insert has a parameter of its own for;
 * the statement's first parameters hold the rest, which every member of a
 * statement shares (a new member's status and tier, and its run). */
static const enum member_field own_fields[] = {
	MF_ID, MF_NAME, MF_PHONE, MF_EMAIL, MF_BIRTHDAY, MF_ENROLLED_AT, MF_REFERRER,
	MF_STORE, MF_CHANNEL, MF_ATTRS
};
static const enum member_field shared_fields[] = {
	MF_STATUS, MF_TIER, MF_MERGED_INTO, MF_CLOSED_AT, MF_FORGOTTEN_AT
};
#define NOWN (int)(sizeof(own_fields) / sizeof(own_fields[0]))
#define NSHARED (int)(sizeof(shared_fields) / sizeof(shared_fields[0]))

static int
same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int
ledger_members_insert(struct ledger_bulk *bk, const struct member *m, int n)
{
	struct ledger *l = bk->l;
	const char *country = ledger_setting(l, "phone_country");
	int i = 0;

	if (n >= MANY && !bk->many) {
		size_t cap = 256 + MANY * 160, k;
		char *sql = loy_xmalloc(cap);

		/* ?1 status, ?2 tier, ?3 merged_into, ?4 closed_at, ?5
		 * forgotten_at, ?6 the run; then each member's own, and the
		 * key of its phone */
		k = snprintf(sql, cap, "INSERT OR IGNORE INTO members(" MEMBER_COLUMNS
		    ", phone_key) VALUES ");
		for (int r = 0; r < MANY; r++) {
			int p = NSHARED + 1 + r * (NOWN + 1);

			k += snprintf(sql + k, cap - k, "%s(?%d, coalesce(?1, 'active')", r ? "," : "",
			    p + 1);
			for (int c = 1; c < NOWN; c++)
				k += snprintf(sql + k, cap - k, ", ?%d", p + c + 1);
			k += snprintf(sql + k, cap - k, ", ?2, ?3, ?4, ?5, ?6, ?6, ?%d)",
			    p + NOWN + 1);
		}
		if (sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &bk->many,
		    NULL) != SQLITE_OK) {
			free(sql);
			return ledger_fail(l, "cannot prepare statement");
		}
		free(sql);
	}
	for (; i + MANY <= n; i += MANY) {
		int shared = 1;

		for (int r = 1; r < MANY && shared; r++)
			for (int f = 0; f < NSHARED; f++)
				shared &= same_text(m[i].v[shared_fields[f]], m[i + r].v[shared_fields[f]]);
		if (!shared)
			break;
		for (int f = 0; f < NSHARED; f++)
			ledger_bind_static(bk->many, f + 1, m[i].v[shared_fields[f]]);
		sqlite3_bind_int64(bk->many, NSHARED + 1, l->run_id);
		for (int r = 0; r < MANY; r++) {
			int p = NSHARED + 2 + r * (NOWN + 1);

			for (int f = 0; f < NOWN; f++)
				ledger_bind_static(bk->many, p + f, m[i + r].v[own_fields[f]]);
			bind_phone_key(bk->many, p + NOWN, m[i + r].v[MF_PHONE], country);
		}
		if (ledger_exec_stmt(l, bk->many, "cannot add a member") < 0)
			return -1;
		if (sqlite3_changes(l->db) != MANY)
			return refused(l, "members", m[i].v[MF_ID], m[i + MANY - 1].v[MF_ID],
			    MANY - sqlite3_changes(l->db));
	}
	for (; i < n; i++)
		if (ledger_member_add(l, &m[i]) < 0)
			return -1;
	return 0;
}

int
ledger_cards_insert(struct ledger_bulk *bk, const char *const *card,
    const char *const *member, int n, const char *at)
{
	struct ledger *l = bk->l;
	int i = 0;

	if (n >= MANY && !bk->cards) {
		size_t cap = 128 + MANY * 32, k;
		char *sql = loy_xmalloc(cap);

		/* ?1 issued_at, ?2 run_id, then each card and its member */
		k = snprintf(sql, cap, "INSERT OR IGNORE INTO cards(card, member_id, issued_at,"
		    " run_id) VALUES ");
		for (int r = 0; r < MANY; r++)
			k += snprintf(sql + k, cap - k, "%s(?%d, ?%d, ?1, ?2)", r ? "," : "",
			    2 * r + 3, 2 * r + 4);
		if (sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &bk->cards,
		    NULL) != SQLITE_OK) {
			free(sql);
			return ledger_fail(l, "cannot prepare statement");
		}
		free(sql);
	}
	if (n >= MANY) {
		sqlite3_bind_text(bk->cards, 1, at, -1, SQLITE_STATIC);
		sqlite3_bind_int64(bk->cards, 2, l->run_id);
	}
	for (; i + MANY <= n; i += MANY) {
		for (int r = 0; r < MANY; r++) {
			sqlite3_bind_text(bk->cards, 2 * r + 3, card[i + r], -1, SQLITE_STATIC);
			sqlite3_bind_text(bk->cards, 2 * r + 4, member[i + r], -1, SQLITE_STATIC);
		}
		if (ledger_exec_stmt(l, bk->cards, "cannot add a card") < 0)
			return -1;
		if (sqlite3_changes(l->db) != MANY)
			return refused(l, "cards", card[i], card[i + MANY - 1],
			    MANY - sqlite3_changes(l->db));
	}
	for (; i < n; i++)
		if (ledger_card_add(l, member[i], card[i], at) < 0)
			return -1;
	return 0;
}

int
ledger_card_max(struct ledger *l, char **card)
{
	sqlite3_stmt *st = ledger_prepare(l, "SELECT max(card) FROM cards");
	int rc;

	if (!st)
		return -1;
	*card = NULL;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*card = ledger_column_dup(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return ledger_fail(l, "cannot read");
	return *card != NULL;
}

/* Note `key` in the temporary set of keys `table` (column `col`), made with
 * the first key the transaction notes (statement `which`, dropped with a
 * rollback: ledger_rollback): 1 it was there, 0 it is now, -1 error. */
static int
temp_note(struct ledger *l, enum ledger_stmt_id which, const char *table, const char *col,
    const char *key, const char *what)
{
	sqlite3_stmt *st;
	char sql[128] = "";

	if (!l->stmt[which]) {	/* the first key: the table, and the statement */
		snprintf(sql, sizeof(sql), "CREATE TEMP TABLE IF NOT EXISTS %s"
		    " (%s TEXT PRIMARY KEY) WITHOUT ROWID", table, col);
		if (ledger_exec(l, sql) < 0)
			return -1;
		snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO temp.%s(%s) VALUES (?1)",
		    table, col);
	}
	if (!(st = ledger_stmt(l, which, sql)))
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (ledger_exec_stmt(l, st, what) < 0)
		return -1;
	l->own_changes += sqlite3_changes64(l->db);
	return sqlite3_changes(l->db) == 0;
}

/* Empty a table of temp_note's: 0 or -1. */
static int
temp_forget(struct ledger *l, const char *sql)
{
	if (ledger_exec(l, sql) < 0)
		return -1;
	l->own_changes += sqlite3_changes64(l->db);
	return 0;
}

int
ledger_seen_add(struct ledger *l, const char *member_id)
{
	return temp_note(l, S_SEEN_ADD, "seen_members", "member_id", member_id,
	    "cannot note a member seen") < 0 ? -1 : 0;
}

int
ledger_seen_count(struct ledger *l, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (!l->stmt[S_SEEN_ADD])	/* nothing noted yet */
		return 0;
	if (!(st = ledger_prepare(l, "SELECT count(*) FROM temp.seen_members")))
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return ledger_fail(l, "cannot count the members seen");
	return temp_forget(l, "DELETE FROM temp.seen_members");
}

int
ledger_part_seen(struct ledger *l, const char *txn_id)
{
	return temp_note(l, S_PART_SEEN, "parts_seen", "txn_id", txn_id,
	    "cannot note a receipt seen");
}

int
ledger_parts_forget(struct ledger *l)
{
	if (!l->stmt[S_PART_SEEN])	/* nothing noted */
		return 0;
	return temp_forget(l, "DELETE FROM temp.parts_seen");
}
