/*
 * Keys in SQLite's order.  Cursors over one table in key order, for
 * look-ups that come in ascending key order (loy-enroll's members and
 * cards, loy-accrue's receipts): the next key is a step or a few forward
 * instead of a search from the root.  And a table's highest key, which
 * tells a new key without a look-up (loy-accrue's receipts, loy-redeem's
 * requests).
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ledger_int.h"

struct ledger_seq {
	struct ledger *l;
	const char *sql, *what;
	sqlite3_stmt *st;
	int state;		/* 0 none, 1 on a row, 2 no key from `last` on */
	char *last;		/* the key looked up last */
	size_t lastcap;
};

struct ledger_seq *
ledger_seq_new(struct ledger *l, const char *sql, const char *what)
{
	struct ledger_seq *s = calloc(1, sizeof(*s));

	if (!s)
		loy_die(71, "out of memory");
	s->l = l;
	s->sql = sql;
	s->what = what;
	return s;
}

void
ledger_seq_free(struct ledger_seq *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->st);
	free(s->last);
	free(s);
}

void
ledger_seq_pause(struct ledger_seq *s)
{
	if (s->st)
		sqlite3_reset(s->st);
	s->state = 0;
}

sqlite3_stmt *
ledger_seq_row(const struct ledger_seq *s)
{
	return s->st;
}

/* a[0..an) against b[0..bn) as SQLite orders text (BINARY) */
static int
bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
}

int
ledger_key_cmp(const char *a, const char *b, size_t bn)
{
	return bytes_cmp(a, strlen(a), b, bn);
}

int
ledger_top_above(struct ledger *l, struct ledger_top *t, const char *key)
{
	if (!t->read) {
		int got = t->last(l, &t->key);

		if (got < 0)
			return -1;
		t->read = 1;
		t->known = got != 2;
		t->cap = t->key ? strlen(t->key) + 1 : 0;
	}
	return t->known && (!t->key || strcmp(key, t->key) > 0);
}

void
ledger_top_raise(struct ledger_top *t, const char *key)
{
	size_t n;

	if (!t->known || (t->key && strcmp(key, t->key) <= 0))
		return;
	n = strlen(key) + 1;
	if (n > t->cap) {
		t->cap = n < 64 ? 64 : n;
		t->key = loy_xrealloc(t->key, t->cap);
	}
	memcpy(t->key, key, n);
}

void
ledger_top_free(struct ledger_top *t)
{
	free(t->key);
	t->key = NULL;
}

/* The row's key against the text `key`, in SQLite's order: numbers (and
 * NULL) before text, blobs after it. */
static int
row_cmp(sqlite3_stmt *st, const char *key, size_t n)
{
	switch (sqlite3_column_type(st, 0)) {
	case SQLITE_TEXT:
		return bytes_cmp((const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_bytes(st, 0), key, n);
	case SQLITE_BLOB:
		return 1;
	default:
		return -1;
	}
}

static void
remember(struct ledger_seq *s, const char *key, size_t n)
{
	if (n + 1 > s->lastcap) {
		s->lastcap = n + 64;
		s->last = loy_xrealloc(s->last, s->lastcap);
	}
	memcpy(s->last, key, n + 1);
}

static int
failed(struct ledger_seq *s)
{
	s->state = 0;
	sqlite3_reset(s->st);
	return ledger_fail(s->l, s->what);
}

/* Search afresh: the cursor on the first key from `key` on; 1 it is
 * `key`, 0 it is not, -1 error. */
static int
search(struct ledger_seq *s, const char *key, size_t n)
{
	int rc;

	if (!s->st && sqlite3_prepare_v3(s->l->db, s->sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st,
	    NULL) != SQLITE_OK)
		return ledger_fail(s->l, "cannot prepare statement");
	sqlite3_reset(s->st);
	remember(s, key, n);
	sqlite3_bind_text(s->st, 1, key, n, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(s->st)) == SQLITE_DONE) {
		s->state = 2;
		return 0;
	}
	if (rc != SQLITE_ROW)
		return failed(s);
	s->state = 1;
	return row_cmp(s->st, key, n) == 0;
}

int
ledger_seq_find(struct ledger_seq *s, const char *key, int exact)
{
	size_t n = strlen(key);
	int rc, c;

	if (!s->state || ledger_key_cmp(s->last, key, n) >= 0)
		return search(s, key, n);
	if (s->state == 2 && !exact) {	/* no key from the last one asked for on */
		remember(s, key, n);
		return 0;
	}
	if (s->state == 2)
		return search(s, key, n);
	/* no key lies between the last one asked for and the cursor's row:
	 * step over the smaller ones */
	for (int i = 0; i < 8; i++) {
		if ((c = row_cmp(s->st, key, n)) >= 0) {
			if (c && exact)
				break;
			remember(s, key, n);
			return c == 0;
		}
		if ((rc = sqlite3_step(s->st)) == SQLITE_DONE) {
			if (exact)
				break;
			s->state = 2;
			remember(s, key, n);
			return 0;
		}
		if (rc != SQLITE_ROW)
			return failed(s);
	}
	return search(s, key, n);
}
