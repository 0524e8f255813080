/* ledger_programme: programme versions kept in the ledger (table programmes,
 * loy-ledger(5)).  Each statement here runs once per run, so it is
 * prepared, used and finalized on the spot. */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ledger_int.h"
#include "programme.h"
#include "sha256.h"
#include "when.h"


/* The ledger's settings that a programme holds, as KEY=VALUE, in *set;
 * their number. */
static int
settings_set(struct ledger *l, char ***out)
{
	char **set = NULL;
	int n = 0;

	for (int i = 0; i < l->nsettings; i++) {
		int known = strcmp(l->skey[i], "expiry_policy") == 0 ||
		    strcmp(l->skey[i], "expiry_years") == 0;

		for (const struct ledger_setting *s = ledger_defaults; !known && s->key; s++)
			known = strcmp(s->key, l->skey[i]) == 0;
		if (!known)
			continue;
		set = loy_xrealloc(set, (n + 1) * sizeof(char *));
		set[n] = loy_xmalloc(strlen(l->skey[i]) + strlen(l->sval[i]) + 2);
		sprintf(set[n], "%s=%s", l->skey[i], l->sval[i]);
		n++;
	}
	*out = set;
	return n;
}

static void
settings_set_free(char **set, int n)
{
	for (int i = 0; i < n; i++)
		free(set[i]);
	free(set);
}

/* The default programme with the ledger's settings written into it: what
 * a ledger made before programme versions were kept runs under. */
static char *
default_of_settings(struct ledger *l)
{
	char **set, *text;
	int n = settings_set(l, &set);

	text = programme_default_with(set, n);
	settings_set_free(set, n);
	return text;
}

int
programme_versions(struct ledger *l, struct programme **v, int *n)
{
	sqlite3_stmt *st = ledger_prepare(l, "SELECT version, effective_from, text FROM programmes "
	    "ORDER BY effective_from, version");
	int rc, bad = 0;

	*v = NULL;
	*n = 0;
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 2);
		int len = sqlite3_column_bytes(st, 2);
		char name[64];
		struct programme p;

		snprintf(name, sizeof(name), "programme version %d", sqlite3_column_int(st, 0));
		if (programme_parse_stored(name, text ? text : "", text ? (size_t)len : 0, &p) < 0) {
			bad = 1;
			continue;
		}
		p.version = sqlite3_column_int(st, 0);
		p.effective_from = loy_xstrdup((const char *)sqlite3_column_text(st, 1));
		*v = loy_xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = p;
	}
	if (rc != SQLITE_DONE) {
		ledger_fail(l, "cannot read the programme versions");
		sqlite3_finalize(st);
		programme_versions_free(*v, *n);
		return -1;
	}
	sqlite3_finalize(st);
	if (bad) {
		programme_versions_free(*v, *n);
		*v = NULL;
		*n = 0;
		return loy_error("ledger '%s': a stored programme version does not parse",
		    l->path);
	}
	if (*n == 0) {
		char *text = default_of_settings(l);
		struct programme p;

		if (!text)
			return -1;
		if (programme_parse_stored("the ledger's settings", text, strlen(text), &p) < 0) {
			free(text);
			return -1;
		}
		free(text);
		p.effective_from = loy_xstrdup(PROGRAMME_EPOCH);
		*v = loy_xmalloc(sizeof(**v));
		(*v)[0] = p;
		*n = 1;
	}
	return 0;
}

void
programme_versions_free(struct programme *v, int n)
{
	for (int i = 0; i < n; i++)
		programme_free(&v[i]);
	free(v);
}

const struct programme *
programme_at(const struct programme *v, int n, const char *when)
{
	const struct programme *best = n > 0 ? &v[0] : NULL;

	/* v is in effective order; a later version of the same date wins */
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].effective_from, when) <= 0)
			best = &v[i];
	return best;
}

int
ledger_versions(struct ledger *l, const struct programme **v, int *n)
{
	if (!l->pv_read) {
		if (programme_versions(l, &l->pv, &l->npv) < 0)
			return -1;
		l->pv_read = 1;
	}
	*v = l->pv;
	*n = l->npv;
	return 0;
}

unsigned long
ledger_versions_gen(const struct ledger *l)
{
	return l->pv_gen;
}

int
programme_setting_at(struct ledger *l, const char *key, const char *when,
    const char **value)
{
	const struct programme *v, *p;
	int n;

	if (ledger_versions(l, &v, &n) < 0)
		return -1;
	if (!(p = programme_at(v, n, when)) ||
	    !(*value = programme_value(p, key, l->pv_buf, sizeof(l->pv_buf))))
		*value = ledger_setting(l, key);
	return 0;
}

int
ledger_programme_add(struct ledger *l, const char *effective_from, const char *source,
    const char *sha256, const char *text, int *version)
{
	sqlite3_stmt *st = ledger_prepare(l, "INSERT INTO programmes(version, effective_from, "
	    "loaded_at, run_id, source, sha256, text) SELECT coalesce(max(version), 0) + 1, "
	    "?1, ?2, ?3, ?4, ?5, ?6 FROM programmes RETURNING version");
	char now[20];
	int rc;

	if (!st)
		return -1;
	when_now(now);
	sqlite3_bind_text(st, 1, effective_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, l->run_id);
	sqlite3_bind_text(st, 4, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, text, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	if (rc != SQLITE_ROW || sqlite3_step(st) != SQLITE_DONE) {
		ledger_fail(l, "cannot store the programme version");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	/* read again on the next need, with this one */
	programme_versions_free(l->pv, l->npv);
	l->pv = NULL;
	l->npv = l->pv_read = 0;
	l->pv_gen++;
	return 0;
}

int
ledger_programme_init(struct ledger *l, char *const *set, int nset)
{
	char *text = programme_default_with(set, nset);
	struct programme p;
	struct sha256 c;
	char hex[65];
	int version, rc;

	if (!text)
		return -1;
	if (programme_parse("loy-init --set", text, strlen(text), &p) < 0) {
		free(text);
		return -1;
	}
	programme_free(&p);
	sha256_init(&c);
	sha256_update(&c, text, strlen(text));
	sha256_final(&c, hex);
	rc = ledger_programme_add(l, PROGRAMME_EPOCH, "loy-init", hex, text, &version);
	free(text);
	return rc;
}

int
ledger_receipts_since(struct ledger *l, const char *from, const char *until, long *count,
    char last[20])
{
	sqlite3_stmt *st = ledger_prepare(l, "SELECT count(*), coalesce(max(occurred_at), '') "
	    "FROM receipts WHERE occurred_at >= ?1 AND (?2 IS NULL OR occurred_at < ?2) "
	    "AND status <> 'anonymous'");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	if (until)
		sqlite3_bind_text(st, 2, until, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		ledger_fail(l, "cannot read receipts");
		sqlite3_finalize(st);
		return -1;
	}
	*count = (long)sqlite3_column_int64(st, 0);
	snprintf(last, 20, "%s", (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	return 0;
}

int
ledger_settings_put(struct ledger *l, char **keys, char **values, int n, long *shared)
{
	sqlite3_stmt *st = ledger_prepare(l, "SELECT " LEDGER_PHONE_COUNTRY);
	char *country = NULL;
	int rekey = 0;

	*shared = 0;
	if (!st)
		return -1;
	if (ledger_step_one(l, st, "cannot read settings") < 0) {
		sqlite3_finalize(st);
		return -1;
	}
	country = ledger_column_dup(st, 0);
	sqlite3_finalize(st);
	/* a new phone_country: every member's phone compared anew */
	for (int i = 0; i < n; i++)
		if (strcmp(keys[i], "phone_country") == 0)
			rekey = strcmp(values[i], country ? country : "none") != 0;
	free(country);
	if (!(st = ledger_prepare(l, "INSERT INTO settings(key, value) VALUES (?1, ?2) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value")))
		return -1;
	for (int i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, values[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			ledger_fail(l, "cannot store settings");
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return rekey ? ledger_members_phone_rekey(l, shared) : 0;
}

int
ledger_settings_are(struct ledger *l, const struct programme *p)
{
	char **set, **k1, **v1, **k2, **v2;
	struct programme s;
	int n1, n2, same, nset = settings_set(l, &set), rc;

	rc = programme_of_settings(set, nset, &s);
	settings_set_free(set, nset);
	if (rc < 0)
		return 0;
	programme_ledger_settings(&s, &k1, &v1, &n1);
	programme_ledger_settings(p, &k2, &v2, &n2);
	same = n1 == n2;
	for (int i = 0; same && i < n1; i++)
		same = strcmp(k1[i], k2[i]) == 0 && strcmp(v1[i], v2[i]) == 0;
	programme_kv_free(k1, v1, n1);
	programme_kv_free(k2, v2, n2);
	programme_free(&s);
	return same;
}

int
ledger_list_programmes(struct ledger *l, ledger_row_fn fn, void *ctx)
{
	return ledger_visit_sql(l, "SELECT version, effective_from, loaded_at, run_id, "
	    "source, sha256 FROM programmes ORDER BY version", NULL, fn, ctx);
}
