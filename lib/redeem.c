/* redeem: points spent on catalogue rewards (loy-redeem's jobs). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "batch.h"
#include "diag.h"
#include "expire.h"
#include "money.h"
#include "redeem.h"
#include "segment.h"
#include "sha256.h"
#include "strmap.h"
#include "when.h"

/* ---------------------------------------------------------------- catalogue */

static const char *const cat_fields[] = {
	"reward_id", "name", "points", "cash_price", "stock", "partner", "partner_cost",
	"tiers", "segments", "valid_from", "valid_to", "per_member_limit", NULL
};
enum { K_CREATED, K_UPDATED, K_UNCHANGED };
static const struct batch_counter cat_counters[] = {
	{ "created", BATCH_CHANGED }, { "updated", BATCH_CHANGED },
	{ "unchanged", BATCH_UNCHANGED }, { NULL, 0 }
};
static const char *const cat_out[] = { "reward_id", "status", NULL };

struct catalogue {
	struct ledger *l;
	int col[RW_COUNT];
	struct strmap *seen;
};

static int
cat_file(void *ctx, struct batch *b)
{
	struct catalogue *c = ctx;

	return batch_cols(b, cat_fields, RW_POINTS + 1, c->col);
}

/* A whole number >= min, as text for the ledger; NULL (and 0) when empty. */
static int
whole(const char *s, long long min, char *out, size_t size)
{
	long long v;

	if (!*s)
		return 0;
	if (money_whole_parse(s, &v) != 0 || v < min)
		return -1;
	snprintf(out, size, "%lld", v);
	return 1;
}

/* The next name of a comma-separated list, without the spaces around it,
 * in *name and *len; what follows it, or NULL after the last. */
static const char *
list_next(const char *p, const char **name, size_t *len)
{
	const char *e = strchr(p, ',');
	size_t n = e ? (size_t)(e - p) : strlen(p);

	while (n && *p == ' ')
		p++, n--;
	while (n && p[n - 1] == ' ')
		n--;
	*name = p;
	*len = n;
	return e ? e + 1 : NULL;
}

static int
cat_row(void *ctx, struct batch *b, const struct csvio_row *row)
{
	struct catalogue *c = ctx;
	const struct cli *cli = batch_cli(b);
	struct reward r = { { 0 } };
	char num[5][32], from[20], to[20];
	const char *why, *v;
	int64_t cents;
	int got;

	/* the row's text: empty cells are no value */
	for (int i = 0; i < RW_COUNT; i++) {
		v = csvio_field(row, c->col[i]);
		r.v[i] = *v ? (char *)v : NULL;
	}
	if (!r.v[RW_ID])
		return batch_reject(b, row, "reward_id is empty");
	if (!r.v[RW_NAME])
		return batch_reject(b, row, "name is empty");
	/* each is shown on a line, in a cell, in a member's mail */
	if (batch_control_refused(b, row, "reward_id", r.v[RW_ID], BATCH_NAME) ||
	    batch_control_refused(b, row, "name", r.v[RW_NAME], BATCH_NAME) ||
	    batch_control_refused(b, row, "partner", r.v[RW_PARTNER], BATCH_NAME))
		return 1;
	if ((got = whole(csvio_field(row, c->col[RW_POINTS]), 1, num[0], 32)) <= 0)
		return batch_reject(b, row, "points '%s' is not a whole number above zero",
		    csvio_field(row, c->col[RW_POINTS]));
	r.v[RW_POINTS] = num[0];
	if ((got = whole(csvio_field(row, c->col[RW_STOCK]), 0, num[1], 32)) < 0)
		return batch_reject(b, row, "stock '%s' is not a whole number (empty: unlimited)",
		    r.v[RW_STOCK]);
	r.v[RW_STOCK] = got ? num[1] : NULL;
	if ((got = whole(csvio_field(row, c->col[RW_LIMIT]), 1, num[2], 32)) < 0)
		return batch_reject(b, row, "per_member_limit '%s' is not a whole number above "
		    "zero", r.v[RW_LIMIT]);
	r.v[RW_LIMIT] = got ? num[2] : NULL;
	for (int i = RW_CASH; i <= RW_COST; i += RW_COST - RW_CASH) {
		if (!r.v[i])
			continue;
		if (money_parse(r.v[i], ledger_decimals(c->l), &cents, &why) < 0)
			return batch_reject(b, row, "%s '%s' %s", cat_fields[i], r.v[i], why);
		if (cents < 0)
			return batch_reject(b, row, "%s '%s' is negative", cat_fields[i], r.v[i]);
		snprintf(num[i == RW_CASH ? 3 : 4], 32, "%lld", (long long)cents);
		r.v[i] = num[i == RW_CASH ? 3 : 4];
		if (i == RW_COST && !r.v[RW_PARTNER])
			return batch_reject(b, row, "partner_cost without a partner");
	}
	if (r.v[RW_FROM]) {
		if (when_parse(r.v[RW_FROM], cli->date_format, WHEN_DATE, from, &why) < 0)
			return batch_reject(b, row, "valid_from '%s' %s", r.v[RW_FROM], why);
		r.v[RW_FROM] = from;
	}
	if (r.v[RW_TO]) {
		if (when_parse(r.v[RW_TO], cli->date_format, WHEN_DATE, to, &why) < 0)
			return batch_reject(b, row, "valid_to '%s' %s", r.v[RW_TO], why);
		r.v[RW_TO] = to;
	}
	if (r.v[RW_FROM] && r.v[RW_TO] && strcmp(to, from) < 0)
		return batch_reject(b, row, "valid_to '%s' is before valid_from", to);
	for (const char *p = r.v[RW_SEGMENTS], *name; p;) {
		size_t len;

		p = list_next(p, &name, &len);
		if (!segment_name_ok(name, len))
			return batch_reject(b, row, "segments '%s': '%.*s' is not a segment name "
			    "(letters, digits, '.', '_' and '-', at most 64, not starting with '-' "
			    "or '.')", r.v[RW_SEGMENTS], (int)len, name);
	}
	if (!strmap_add(c->seen, r.v[RW_ID], strlen(r.v[RW_ID])))
		return batch_reject(b, row, "reward '%s' appears more than once in this run",
		    r.v[RW_ID]);
	if ((got = ledger_reward_put(c->l, &r)) < 0)
		return -1;
	batch_count(b, got == 1 ? K_CREATED : got == 2 ? K_UPDATED : K_UNCHANGED);
	csvio_put(batch_out(b), r.v[RW_ID]);
	csvio_put(batch_out(b), got == 1 ? "created" : got == 2 ? "updated" : "unchanged");
	csvio_end(batch_out(b));
	return 0;
}

int
redeem_catalogue(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args)
{
	struct catalogue c = { .l = l, .seen = strmap_new() };
	struct batch_job job = {
		.fields = cat_fields, .output = cat_out, .counters = cat_counters,
		.file = cat_file, .row = cat_row, .ctx = &c,
	};
	int status;

	status = batch_run(&job, cli, l, nfiles, files, args);
	strmap_free(c.seen);
	return status;
}

/* ---------------------------------------------------------------- code pools */

static const char *const code_fields[] = { "reward_id", "code", "partner", NULL };
enum { C_REWARD, C_CODE, C_PARTNER, C_COUNT };
enum { K_ADDED, K_KNOWN };
static const struct batch_counter code_counters[] = {
	{ "added", BATCH_CHANGED }, { "unchanged", BATCH_UNCHANGED }, { NULL, 0 }
};
static const char *const code_out[] = { "reward_id", "code", "status", NULL };

struct pools {
	struct ledger *l;
	int col[C_COUNT];
};

static int
code_file(void *ctx, struct batch *b)
{
	struct pools *p = ctx;

	return batch_cols(b, code_fields, C_CODE + 1, p->col);
}

static int
code_row(void *ctx, struct batch *b, const struct csvio_row *row)
{
	struct pools *p = ctx;
	struct reward w = { { 0 } };
	const char *id = csvio_field(row, p->col[C_REWARD]);
	const char *code = csvio_field(row, p->col[C_CODE]);
	const char *partner = csvio_field(row, p->col[C_PARTNER]);
	char *other = NULL;
	int got, rc = 1;

	if (!*id)
		return batch_reject(b, row, "reward_id is empty");
	if (!*code)
		return batch_reject(b, row, "code is empty");
	if (batch_control_refused(b, row, "code", code, BATCH_NAME) ||
	    batch_control_refused(b, row, "partner", partner, BATCH_NAME))
		return 1;
	if (strlen(code) > 200 || strpbrk(code, " \t"))
		return batch_reject(b, row, "code '%.40s' is not one word of at most 200 bytes",
		    code);
	if ((got = ledger_reward_get(p->l, id, &w)) < 0)
		return -1;
	if (!got)
		return batch_reject(b, row, "unknown reward '%s'", id);
	if (*partner && (!w.v[RW_PARTNER] || strcmp(partner, w.v[RW_PARTNER]) != 0)) {
		batch_reject(b, row, "reward '%s' is not from partner '%s'", id, partner);
		goto out;
	}
	if ((got = ledger_code_add(p->l, id, code, &other)) < 0) {
		rc = -1;
		goto out;
	}
	if (got == 2) {
		batch_reject(b, row, "code '%s' is reward '%s''s already", code, other);
		goto out;
	}
	if (got == 3) {
		batch_reject(b, row, "code '%s' was handed out already, the voucher of request "
		    "'%s'", code, other);
		goto out;
	}
	batch_count(b, got == 1 ? K_ADDED : K_KNOWN);
	csvio_put(batch_out(b), id);
	csvio_put(batch_out(b), code);
	csvio_put(batch_out(b), got == 1 ? "added" : "unchanged");
	csvio_end(batch_out(b));
	rc = 0;
out:
	free(other);
	reward_clear(&w);
	return rc;
}

int
redeem_codes(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    const char *args)
{
	struct pools p = { .l = l };
	struct batch_job job = {
		.fields = code_fields, .output = code_out, .counters = code_counters,
		.file = code_file, .row = code_row, .ctx = &p,
	};

	return batch_run(&job, cli, l, nfiles, files, args);
}

int
redeem_list_codes(const struct cli *cli, struct ledger *l)
{
	struct csvio_writer *out;
	int status;

	if (!(out = batch_list_begin(cli, l, &status)))
		return status;
	return batch_list_end(l, out, ledger_list_codes(l, batch_print, out));
}

/* ---------------------------------------------------------------- requests */

static const char *const req_fields[] = {
	"request_id", "member_id", "reward_id", "qty", "requested_at", "channel", NULL
};
enum { Q_ID, Q_MEMBER, Q_REWARD, Q_QTY, Q_AT, Q_CHANNEL, Q_COUNT };
enum { R_REDEEMED, R_REFUSED, R_DUPLICATE };
static const struct batch_counter req_counters[] = {
	{ "redeemed", BATCH_CHANGED }, { "refused", BATCH_CHANGED },
	{ "duplicate", BATCH_UNCHANGED }, { NULL, 0 }
};
static const char *const req_out[] = {
	"request_id", "status", "reason", "points", "voucher", NULL
};

/* A request read, waiting to be decided in its turn (--first-come, --draw). */
struct queued {
	struct redemption r;
	long seq;		/* its place in the file */
	long line;		/* and the line it starts on */
	char key[65];		/* --draw: its ticket, SHA-256 of seed:request_id */
};

struct requests {
	struct ledger *l;
	const struct cli *cli;
	const struct redeem_opts *o;
	char from[20], to[20];	/* --window, in the time zone the run found */
	int bad_window;		/* --window ends before it starts there */
	int col[Q_COUNT];
	char now[20];
	char limit[20];		/* now plus the programme's future tolerance */
	struct queued *queue;
	long nqueue, cap;
	long drawn;		/* requests that went into this file's draw */
	struct strmap *offers;	/* reward_id -> struct offer, read once a run */
	struct strmap *named;	/* member_id as requested -> struct holder */
	struct strmap *holders;	/* surviving member_id -> struct holder */
	struct ledger_top top;	/* the highest request_id in the ledger */
	/* answers decided, recorded LEDGER_REDEMPTION_ROWS to a statement:
	 * before anything reads redemptions, and by the end of their file */
	struct redemption held[LEDGER_REDEMPTION_ROWS];
	int nheld;
	/* the file they are all from (each is recorded by its file's end),
	 * and their lines: to name one the ledger refuses */
	const char *file;
	long line[LEDGER_REDEMPTION_ROWS];
	/* a redemption granted: its journal entry, added with the others
	 * held (entry_id -1 - i until then, held[i]'s), posted when it was
	 * decided, and the member whose last entry it is */
	char posted[LEDGER_REDEMPTION_ROWS][20];
	struct holder *owner[LEDGER_REDEMPTION_ROWS];
	struct lot_move *moves;	/* and the points they took from lots */
	size_t nmoves, mcap;
};

/*
 * A member as this run knows them: read once, then kept in step with what
 * the run itself writes.  The run holds the ledger's one write transaction,
 * so nothing else changes them meanwhile.  Keyed by the surviving id, so
 * that two merged ids of one member share one view of the balance.
 */
struct holder {
	char *id;		/* the surviving member_id */
	int closed;
	int64_t balance;
	int lots_read;		/* lots[0..nlots) are the spendable lots */
	struct lot_pick *lots;
	size_t nlots, cap;
	/* what the ledger's lots rows hold: the run takes from lots[] and
	 * writes their rows once a member (ledger_lots_settle) */
	int64_t *was;
	int unsettled;
	int64_t spendable;
	/* what the run has taken since the balance row was last written:
	 * written once a member (holders_flush), before the run commits */
	int64_t owed, last_entry;
};

/* The answers held, recorded with their journal entries and lot moves:
 * 0 or -1. */
static int
record_held(struct requests *q)
{
	struct journal_row e[LEDGER_REDEMPTION_ROWS] = { { 0 } };
	int64_t ids[LEDGER_REDEMPTION_ROWS];
	int at[LEDGER_REDEMPTION_ROWS], n = 0, rc, failed;

	for (int i = 0; i < q->nheld; i++) {
		struct redemption *r = &q->held[i];

		if (r->entry_id >= 0)
			continue;
		e[n] = (struct journal_row){ r->member_id, "redeem", -r->points, r->requested_at,
		    q->posted[i], "redemption", r->request_id, NULL };
		at[n++] = i;
	}
	if ((rc = ledger_journal_add_rows(q->l, e, n, ids)) == 0) {
		for (int j = 0; j < n; j++) {
			int i = at[j];

			q->held[i].entry_id = ids[j];
			if (q->owner[i]->last_entry == -1 - i)
				q->owner[i]->last_entry = ids[j];
		}
		for (size_t j = 0; j < q->nmoves; j++)
			q->moves[j].entry_id = q->held[-1 - q->moves[j].entry_id].entry_id;
		if ((rc = ledger_redemptions_insert(q->l, q->held, q->nheld, &failed)) < 0 &&
		    failed >= 0 && failed < q->nheld)
			loy_error("%s:%ld: request '%s': its answer could not be recorded",
			    q->file, q->line[failed], q->held[failed].request_id);
	}
	for (int i = 0; i < q->nheld; i++)
		redemption_clear(&q->held[i]);
	q->nheld = 0;
	if (rc == 0)
		rc = ledger_lot_moves_insert(q->l, q->moves, q->nmoves);
	q->nmoves = 0;
	return rc;
}

/* At most this many members are kept; then the view starts afresh. */
#define HOLDERS_MAX 65536

/* A member's lots as the run has taken from them, written: 0 or -1. */
static int
settle(struct requests *q, struct holder *h)
{
	if (!h->unsettled)
		return 0;
	h->unsettled = 0;
	return ledger_lots_settle(q->l, h->lots, h->was, h->nlots);
}

static int
by_lot(const void *a, const void *b)
{
	const struct lot_pick *x = a, *y = b;

	return (x->lot_id > y->lot_id) - (x->lot_id < y->lot_id);
}

static int
by_member(const void *a, const void *b)
{
	const struct holder *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

/*
 * The lots and balances the run has changed, written: 0 or -1.  In the
 * order of their keys, lots by lot_id and balances by member, so that the
 * pages of each table are visited once, one after the other, not at random.
 */
static int
holders_flush(struct requests *q)
{
	size_t n = strmap_count(q->holders), nh = 0, np = 0, cap = 0;
	struct holder **hs = loy_xmalloc((n ? n : 1) * sizeof(*hs));
	struct lot_pick *picks = NULL;
	int64_t *was = NULL;
	int rc = -1;

	/* what each lot gives: taken as one (lot_id, remaining, was) */
	for (size_t i = 0; i < n; i++) {
		struct holder *h = strmap_value(q->holders, i);

		for (size_t j = 0; h->unsettled && j < h->nlots; j++) {
			if (h->lots[j].remaining == h->was[j])
				continue;
			if (np == cap) {
				cap = cap ? 2 * cap : 1024;
				picks = loy_xrealloc(picks, cap * sizeof(*picks));
			}
			picks[np].lot_id = h->lots[j].lot_id;
			/* the points it gives up, for the sort to carry along */
			picks[np++].remaining = h->was[j] - h->lots[j].remaining;
		}
		if (h->last_entry)
			hs[nh++] = h;
	}
	if (np)		/* none: no array for qsort to be given */
		qsort(picks, np, sizeof(*picks), by_lot);
	was = loy_xmalloc((np ? np : 1) * sizeof(*was));
	for (size_t i = 0; i < np; i++) {
		was[i] = picks[i].remaining;
		picks[i].remaining = 0;
	}
	if (ledger_lots_settle(q->l, picks, was, np) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct holder *h = strmap_value(q->holders, i);

		for (size_t j = 0; h->unsettled && j < h->nlots; j++)
			h->was[j] = h->lots[j].remaining;
		h->unsettled = 0;
	}
	qsort(hs, nh, sizeof(*hs), by_member);
	for (size_t i = 0; i < nh; i++) {
		if (ledger_balance_add(q->l, hs[i]->id, hs[i]->owed, hs[i]->last_entry) < 0)
			goto out;
		hs[i]->owed = hs[i]->last_entry = 0;
	}
	rc = 0;
out:
	free(hs);
	free(picks);
	free(was);
	return rc;
}

static void
holders_clear(struct requests *q)
{
	for (size_t i = 0; i < strmap_count(q->holders); i++) {
		struct holder *h = strmap_value(q->holders, i);

		free(h->id);
		free(h->lots);
		free(h->was);
		free(h);
	}
	strmap_clear(q->holders);
	strmap_clear(q->named);
}

/* The member `id` names: 1 (*out set), 0 not a member, -1 error. */
static int
holder(struct requests *q, const char *id, struct holder **out)
{
	size_t n = strlen(id);
	struct holder *h = strmap_get(q->named, id, n);
	char *who = NULL;
	int64_t balance;
	int got, closed, created;
	void **slot;

	if (h) {
		*out = h;
		return 1;
	}
	if (strmap_count(q->holders) >= HOLDERS_MAX) {
		if (record_held(q) < 0 || holders_flush(q) < 0)
			return -1;
		holders_clear(q);
	}
	if ((got = ledger_member_state(q->l, id, &who, &closed, &balance)) <= 0)
		return got;
	slot = strmap_slot(q->holders, who, strlen(who), &created);
	if (created) {
		h = calloc(1, sizeof(*h));
		if (!h)
			loy_die(71, "out of memory");
		h->id = who;
		h->closed = closed;
		h->balance = balance;
		*slot = h;
	} else {
		h = *slot;
		free(who);
	}
	*strmap_slot(q->named, id, n, &created) = h;
	*out = h;
	return 1;
}

/* A reward as this run knows it: read once, its stock kept as it goes. */
struct offer {
	struct reward w;
	int64_t points, stock;	/* stock -1: unlimited */
	int pooled;		/* has partner codes: 1, 0, or -1 not known yet */
};

/* The reward `id`: 1 (*out set), 0 not in the catalogue, -1 error. */
static int
offer(struct requests *q, const char *id, struct offer **out)
{
	size_t n = strlen(id);
	struct offer *o = strmap_get(q->offers, id, n);
	void **slot;
	int got, created;

	if (!o) {
		o = calloc(1, sizeof(*o));
		if (!o)
			loy_die(71, "out of memory");
		if ((got = ledger_reward_get(q->l, id, &o->w)) <= 0) {
			free(o);
			return got;
		}
		o->points = atoll(o->w.v[RW_POINTS]);
		o->stock = o->w.v[RW_STOCK] ? atoll(o->w.v[RW_STOCK]) : -1;
		o->pooled = -1;
		slot = strmap_slot(q->offers, id, n, &created);
		*slot = o;
	}
	*out = o;
	return 1;
}

static int
req_file(void *ctx, struct batch *b)
{
	struct requests *q = ctx;

	q->file = csvio_name(batch_reader(b));
	return batch_cols(b, req_fields, Q_REWARD + 1, q->col);
}

static void
req_emit(struct batch *b, const char *id, const char *status, const char *reason,
    int64_t points, const char *voucher)
{
	struct csvio_writer *out = batch_out(b);

	csvio_put(out, id);
	csvio_put(out, status);
	csvio_put(out, reason);
	csvio_put_int(out, points);
	csvio_put(out, voucher);
	csvio_end(out);
}

/* An unguessable voucher code: 80 random bits in Crockford's base 32. */
static int
voucher(char out[32])
{
	static const char digits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	/* drawn from the kernel 256 codes at a time, each byte used once */
	static unsigned char pool[2560];
	static size_t used = sizeof(pool);
	unsigned __int128 bits = 0;
	char *w = out;

	if (used == sizeof(pool)) {
		/* a signal may cut a draw of more than 256 bytes short */
		for (size_t have = 0; have < sizeof(pool);) {
			ssize_t got = getrandom(pool + have, sizeof(pool) - have, 0);

			if (got > 0)
				have += got;
			else if (got == 0 || errno != EINTR)
				return loy_error("cannot draw a voucher code: %s",
				    got ? strerror(errno) : "no bytes");
		}
		used = 0;
	}
	/* the 10 bytes as one 80-bit number, first byte highest */
	for (int i = 0; i < 10; i++)
		bits = bits << 8 | pool[used + i];
	memset(pool + used, 0, 10);
	used += 10;
	w = stpcpy(w, "LOY-");
	for (int i = 0; i < 16; i++) {
		*w++ = digits[(unsigned)(bits >> (75 - 5 * i)) & 31];
		if (i % 4 == 3 && i < 15)
			*w++ = '-';
	}
	*w = '\0';
	return 0;
}

/* Is `tier` among the comma-separated `list`? */
static int
tier_allowed(const char *list, const char *tier)
{
	size_t n = tier ? strlen(tier) : 0;

	for (const char *p = tier ? list : NULL, *name; p && *p;) {
		size_t len;

		p = list_next(p, &name, &len);
		if (len == n && strncasecmp(name, tier, n) == 0)
			return 1;
	}
	return 0;
}

/* Is the member `id` in one of the segments of the comma-separated `list`?
 * 1 yes, 0 no, -1 error.  A segment not saved yet holds nobody. */
static int
segment_allowed(struct ledger *l, const char *list, const char *id)
{
	for (const char *p = list, *name; p;) {
		size_t len;
		int got;

		p = list_next(p, &name, &len);
		if (len && (got = ledger_segment_holds(l, name, len, id, NULL)) != 0)
			return got;
	}
	return 0;
}

/* Decide and, when it is granted, spend: the outcome in r (status, reason,
 * points, voucher, entry_id).  0 or -1. */
static int
decide(struct requests *q, struct redemption *r)
{
	struct ledger *l = q->l;
	struct member m = { { 0 } };
	struct offer *o;
	struct holder *h;
	char *reason = NULL, code[32], *codes = NULL;
	int64_t spendable, units, entry, stock, left;
	int got, pooled, rolling, rc = -1;

	r->points = 0;
	if ((got = holder(q, r->member_id, &h)) < 0)
		goto out;
	if (!got) {
		reason = loy_xprintf("unknown member '%s'", r->member_id);
		goto refuse;
	}
	if (strcmp(r->member_id, h->id) != 0) {
		free(r->member_id);
		r->member_id = loy_xstrdup(h->id);
	}
	if (h->closed) {
		reason = loy_xprintf("membership '%s' is closed", r->member_id);
		goto refuse;
	}
	if ((got = offer(q, r->reward_id, &o)) < 0)
		goto out;
	if (!got) {
		reason = loy_xprintf("unknown reward '%s'", r->reward_id);
		goto refuse;
	}
	if ((o->w.v[RW_FROM] && strncmp(r->requested_at, o->w.v[RW_FROM], 10) < 0) ||
	    (o->w.v[RW_TO] && strncmp(r->requested_at, o->w.v[RW_TO], 10) > 0)) {
		reason = loy_xprintf("reward '%s' is offered from %s to %s",
		    r->reward_id, o->w.v[RW_FROM] ? o->w.v[RW_FROM] : "the start",
		    o->w.v[RW_TO] ? o->w.v[RW_TO] : "no end");
		goto refuse;
	}
	if (o->w.v[RW_TIERS] && ledger_member_get(l, r->member_id, &m) < 0)
		goto out;
	if (o->w.v[RW_TIERS] && !tier_allowed(o->w.v[RW_TIERS], m.v[MF_TIER])) {
		reason = loy_xprintf("reward '%s' is for tiers %s, not %s",
		    r->reward_id, o->w.v[RW_TIERS], m.v[MF_TIER] ? m.v[MF_TIER] : "none");
		goto refuse;
	}
	/* the member the id stands for now (merges), as for tiers */
	if (o->w.v[RW_SEGMENTS] && (got = segment_allowed(l, o->w.v[RW_SEGMENTS], h->id)) <= 0) {
		if (got < 0)
			goto out;
		reason = loy_xprintf("reward '%s' is for segments %s; member '%s' is "
		    "in none of them", r->reward_id, o->w.v[RW_SEGMENTS], r->member_id);
		goto refuse;
	}
	if (o->w.v[RW_LIMIT]) {
		if (record_held(q) < 0 ||
		    ledger_redeemed_units(l, r->member_id, r->reward_id, &units) < 0)
			goto out;
		int64_t after;

		if (__builtin_add_overflow(units, r->qty, &after) ||
		    after > atoll(o->w.v[RW_LIMIT])) {
			reason = loy_xprintf("limit of %s a member: %lld redeemed already",
			    o->w.v[RW_LIMIT], (long long)units);
			goto refuse;
		}
	}
	stock = o->stock;
	/* a draw's request finds the stock gone only once every other check
	 * has passed: "not drawn" is for the eligible */
	if (stock >= 0 && stock < r->qty && q->o->order != REDEEM_DRAW) {
		reason = loy_xprintf("out of stock: %lld left", (long long)stock);
		goto refuse;
	}
	if (__builtin_mul_overflow(o->points, r->qty, &r->points)) {
		reason = loy_xprintf("qty %lld is too many", (long long)r->qty);
		r->points = 0;
		goto refuse;
	}
	/* what is spendable is never more than the balance */
	if (h->balance <= 0)
		spendable = 0;
	else {
		if (!h->lots_read) {
			size_t cap = h->cap;

			if (settle(q, h) < 0 || ledger_lots_to_spend(l, h->id, q->now, &h->lots,
			    &h->nlots, &h->cap, &h->spendable) < 0)
				goto out;
			if (h->cap != cap)
				h->was = loy_xrealloc(h->was, h->cap * sizeof(*h->was));
			for (size_t i = 0; i < h->nlots; i++)
				h->was[i] = h->lots[i].remaining;
			h->lots_read = 1;
		}
		spendable = h->spendable;
	}
	if (spendable < r->points) {
		reason = loy_xprintf("%lld points needed, %lld spendable",
		    (long long)r->points, (long long)(spendable > 0 ? spendable : 0));
		r->points = 0;
		goto refuse;
	}
	if (stock >= 0 && stock < r->qty) {
		reason = loy_xprintf("not drawn: out of stock: %lld left",
		    (long long)stock);
		r->points = 0;
		goto refuse;
	}
	/* a partner's codes: the next unused ones, each handed out once */
	got = pooled = 0;
	if (o->pooled != 0 && (got = ledger_codes_take(l, r->reward_id, r->qty,
	    r->request_id, &codes, &pooled, &left)) < 0)
		goto out;
	if (o->pooled < 0 && !got && !pooled)
		o->pooled = 0;		/* no pool: no look-ups for it this run */
	if (!got && pooled) {
		/* as for points: what the qty needs, and what there is */
		if (left > 0)
			reason = loy_xprintf("%s%lld partner codes needed for reward "
			    "'%s', %lld left", q->o->order == REDEEM_DRAW ? "not drawn: " : "",
			    (long long)r->qty, r->reward_id, (long long)left);
		else
			reason = loy_xprintf("%sno partner codes left for reward '%s'",
			    q->o->order == REDEEM_DRAW ? "not drawn: " : "", r->reward_id);
		r->points = 0;
		goto refuse;
	}
	/* granted: spend, soonest expiry first; the journal entry is added
	 * with the other answers held (record_held), as the next in held */
	entry = -1 - q->nheld;
	when_now(q->posted[q->nheld]);
	q->owner[q->nheld] = h;
	if (ledger_lots_move(h->lots, h->nlots, r->points, entry, &q->moves, &q->nmoves,
	    &q->mcap) != r->points)
		goto out;
	h->unsettled = 1;
	h->spendable -= r->points;
	h->balance -= r->points;
	h->owed -= r->points;
	h->last_entry = entry;
	/* rolling expiry, under the programme version in force when the
	 * member asked, moves the dates of the lots with points left (no
	 * other policy heeds activity): the lots' rows must say what is left
	 * first */
	if ((stock >= 0 && ledger_reward_stock(l, r->reward_id, -r->qty) < 0) ||
	    (rolling = expire_rolling(l, r->requested_at)) < 0 ||
	    (rolling && (settle(q, h) < 0 ||
	    expire_activity(l, r->member_id, r->requested_at) < 0)) ||
	    (!codes && voucher(code) < 0))
		goto out;
	if (rolling)
		h->lots_read = 0;	/* their dates moved: read them again */
	if (stock >= 0)
		o->stock -= r->qty;
	r->status = loy_xstrdup("redeemed");
	r->voucher = codes ? codes : loy_xstrdup(code);
	codes = NULL;
	r->entry_id = entry;
	/* what the partner is owed for it, as the catalogue says today */
	if (o->w.v[RW_PARTNER]) {
		r->partner_id = loy_xstrdup(o->w.v[RW_PARTNER]);
		r->partner_cost = o->w.v[RW_COST] ? atoll(o->w.v[RW_COST]) : -1;
	}
	rc = 0;
	goto out;
refuse:
	r->status = loy_xstrdup("refused");
	r->reason = reason;
	reason = NULL;
	rc = 0;
out:
	free(reason);
	free(codes);
	member_clear(&m);
	return rc;
}

/* Answer one request read (on `line`): its first answer again, or a new
 * one decided and recorded; one output row.  0 or -1. */
static int
answer(struct requests *q, struct batch *b, struct redemption *rp, long line)
{
	struct redemption r = *rp, old = { 0 };
	int got, rc = -1, above;

	memset(rp, 0, sizeof(*rp));
	/* a retried request gets its first answer: one whose id sorts above
	 * every id there is can be no retry */
	if ((above = ledger_top_above(q->l, &q->top, r.request_id)) < 0)
		goto out;
	if (above)
		got = 0;
	else if (record_held(q) < 0 ||
	    (got = ledger_redemption_get(q->l, r.request_id, &old)) < 0)
		goto out;
	if (got) {
		int same = strcmp(old.reward_id, r.reward_id) == 0 && old.qty == r.qty;

		if (same && strcmp(old.member_id, r.member_id) != 0) {
			/* either may be a merged id: the request's, or the
			 * member's the answer was kept for, merged since */
			if ((same = ledger_member_same(q->l, r.member_id, old.member_id)) < 0)
				goto out;
		}
		if (same) {
			batch_count(b, R_DUPLICATE);
			req_emit(b, old.request_id, old.status, old.reason, old.points, old.voucher);
			rc = 0;
			goto out;
		}
		batch_count(b, R_REFUSED);
		req_emit(b, r.request_id, "refused", "request_id was used before for another "
		    "request", 0, NULL);
		rc = 0;
		goto out;
	}
	/* the window before any other check, the qty first of those */
	if (q->o->window && (strcmp(r.requested_at, q->from) < 0 ||
	    strcmp(r.requested_at, q->to) > 0)) {
		r.status = loy_xstrdup("refused");
		r.reason = loy_xprintf("requested outside the window %s to %s",
		    q->from, q->to);
	} else if (r.qty <= 0) {
		r.status = loy_xstrdup("refused");
		r.reason = loy_xstrdup("qty must be 1 or more");
	} else if (decide(q, &r) < 0)
		goto out;
	ledger_top_raise(&q->top, r.request_id);
	batch_count(b, strcmp(r.status, "redeemed") == 0 ? R_REDEEMED : R_REFUSED);
	req_emit(b, r.request_id, r.status, r.reason, r.points, r.voucher);
	/* recorded with the next ones; the output waits for the commit */
	q->line[q->nheld] = line;
	q->held[q->nheld++] = r;
	memset(&r, 0, sizeof(r));
	rc = q->nheld == LEDGER_REDEMPTION_ROWS ? record_held(q) : 0;
out:
	redemption_clear(&r);
	redemption_clear(&old);
	return rc;
}

static int
req_row(void *ctx, struct batch *b, const struct csvio_row *row)
{
	struct requests *q = ctx;
	struct redemption r = { 0 };
	const char *v;
	char at[20];
	long long qty;
	int rc = -1;

	v = csvio_field(row, q->col[Q_ID]);
	if (!*v)
		return batch_reject(b, row, "request_id is empty");
	if (batch_control_refused(b, row, "request_id", v, BATCH_NAME))
		return 1;
	/* a row that names no member or reward is not a request to answer:
	 * kept as refused, its id would refuse the corrected row */
	if (!*csvio_field(row, q->col[Q_MEMBER]))
		return batch_reject(b, row, "member_id is empty");
	if ((rc = batch_id(b, row, "member_id", csvio_field(row, q->col[Q_MEMBER]))) != 0)
		return rc;
	if (batch_control_refused(b, row, "channel", csvio_field(row, q->col[Q_CHANNEL]),
	    BATCH_NAME))
		return 1;
	rc = -1;
	if (!*csvio_field(row, q->col[Q_REWARD]))
		return batch_reject(b, row, "reward_id is empty");
	r.request_id = loy_xstrdup(v);
	r.member_id = loy_xstrdup(csvio_field(row, q->col[Q_MEMBER]));
	r.reward_id = loy_xstrdup(csvio_field(row, q->col[Q_REWARD]));
	v = csvio_field(row, q->col[Q_QTY]);
	qty = 1;
	if (*v && money_whole_parse(v, &qty) != 0) {
		rc = batch_reject(b, row, "qty '%s' is not a whole number", v);
		goto out;
	}
	r.qty = qty;
	v = csvio_field(row, q->col[Q_AT]);
	if (!*v)
		memcpy(at, q->now, sizeof(at));
	else if ((rc = batch_datetime(b, row, "requested_at", v, q->limit, at)) != 0)
		goto out;
	r.requested_at = loy_xstrdup(at);
	v = csvio_field(row, q->col[Q_CHANNEL]);
	r.channel = *v ? loy_xstrdup(v) : NULL;
	if (q->o->order == REDEEM_FILE)
		return answer(q, b, &r, row->line);
	/* --first-come, --draw: decided once the whole file is read */
	if (q->nqueue == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 1024;
		q->queue = loy_xrealloc(q->queue, q->cap * sizeof(*q->queue));
	}
	q->queue[q->nqueue].r = r;
	q->queue[q->nqueue].seq = q->nqueue;
	q->queue[q->nqueue].line = row->line;
	if (q->o->order == REDEEM_DRAW) {
		struct sha256 c;

		sha256_init(&c);
		sha256_update(&c, q->o->seed, strlen(q->o->seed));
		sha256_update(&c, ":", 1);
		sha256_update(&c, r.request_id, strlen(r.request_id));
		sha256_final(&c, q->queue[q->nqueue].key);
	}
	q->nqueue++;
	return 0;
out:
	redemption_clear(&r);
	return rc;
}

/* First come: by requested_at, then file order.  A draw: by ticket, then
 * file order (the same request_id twice: the first is the request, the
 * second its retry). */
static int
by_time(const void *a, const void *b)
{
	const struct queued *x = a, *y = b;
	int c = strcmp(x->r.requested_at, y->r.requested_at);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int
by_ticket(const void *a, const void *b)
{
	const struct queued *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int
req_file_end(void *ctx, struct batch *b)
{
	struct requests *q = ctx;
	long i;
	int rc = 0;

	/* a file's answers are in the ledger before its summary is said,
	 * and before the next file is read */
	if (q->o->order == REDEEM_FILE)
		return record_held(q);
	qsort(q->queue, q->nqueue, sizeof(*q->queue),
	    q->o->order == REDEEM_DRAW ? by_ticket : by_time);
	for (i = 0; i < q->nqueue && rc == 0; i++)
		rc = answer(q, b, &q->queue[i].r, q->queue[i].line);
	for (; i < q->nqueue; i++)
		redemption_clear(&q->queue[i].r);
	q->drawn = q->nqueue;
	q->nqueue = 0;
	return rc < 0 ? rc : record_held(q);
}

static int
req_run_end(void *ctx, struct batch *b)
{
	(void)b;
	if (record_held(ctx) < 0)
		return -1;
	return holders_flush(ctx);
}

static void
req_summary(void *ctx, struct batch *b, char *buf, size_t size)
{
	struct requests *q = ctx;

	(void)b;
	if (q->o->order == REDEEM_DRAW)
		snprintf(buf, size, "; %ld drawn with seed %s", q->drawn, q->o->seed);
	else if (q->o->order == REDEEM_FIRST_COME)
		snprintf(buf, size, "; %ld first come, first served", q->drawn);
}

int
redeem_window(const struct cli *cli, const char *arg, char from[20], char to[20])
{
	const char *comma = strchr(arg, ','), *why;
	char a[64];
	size_t n = comma ? (size_t)(comma - arg) : 0;

	if (!comma || n >= sizeof(a) || strlen(comma + 1) >= sizeof(a)) {
		loy_warn("--window '%s' is not FROM,TO", arg);
		return -1;
	}
	memcpy(a, arg, n);
	a[n] = '\0';
	if (when_parse(a, cli->date_format, WHEN_DATETIME, from, &why) < 0) {
		loy_warn("--window: '%s' %s", a, why);
		return -1;
	}
	/* a date alone (in whatever format) ends at its last second */
	if (when_parse(comma + 1, cli->date_format, WHEN_END, to, &why) < 0) {
		loy_warn("--window: '%s' %s", comma + 1, why);
		return -1;
	}
	if (strcmp(to, from) < 0) {
		loy_warn("--window '%s' ends before it starts", arg);
		return -1;
	}
	return 0;
}

/* As the run's transaction begins: the latest time a request may give,
 * with the future tolerance the ledger holds then, and the --window read
 * in the time zone it holds then. */
static int
req_begin(void *ctx)
{
	struct requests *q = ctx;

	if (q->o->window && redeem_window(q->cli, q->o->window, q->from, q->to) < 0) {
		q->bad_window = 1;
		return -1;
	}
	memcpy(q->now, ledger_run_now(q->l), sizeof(q->now));
	when_add_hours(q->now, atol(ledger_setting(q->l, "future_tolerance_hours")), q->limit);
	return 0;
}

int
redeem_requests(const struct cli *cli, struct ledger *l, const struct redeem_opts *o,
    int nfiles, char **files, const char *args)
{
	struct requests q = { .l = l, .cli = cli, .o = o, .offers = strmap_new(), .named = strmap_new(),
		.holders = strmap_new(), .top = { .last = ledger_redemption_last } };
	struct batch_job job = {
		.fields = req_fields, .output = req_out, .counters = req_counters,
		.file = req_file, .row = req_row, .file_end = req_file_end,
		.run_end = req_run_end, .summary = req_summary, .begin = req_begin, .ctx = &q,
	};
	int status;

	status = batch_run(&job, cli, l, nfiles, files, args);
	if (q.bad_window)
		status = LOY_EX_USAGE;
	for (int i = 0; i < q.nheld; i++)
		redemption_clear(&q.held[i]);
	free(q.moves);
	holders_clear(&q);
	ledger_top_free(&q.top);
	strmap_free(q.holders);
	strmap_free(q.named);
	for (long i = 0; i < q.nqueue; i++)
		redemption_clear(&q.queue[i].r);
	free(q.queue);
	for (size_t i = 0; i < strmap_count(q.offers); i++) {
		struct offer *x = strmap_value(q.offers, i);

		reward_clear(&x->w);
		free(x);
	}
	strmap_free(q.offers);
	return status;
}

/* ---------------------------------------------------------------- cancel */

struct cancel {
	int argc;
	char **argv;
	char now[20];
};

/* Under rolling expiry the redemption was the member's activity: the
 * points it gives back keep the date it moved the member's lots on to. */
static int
given_back(struct ledger *l, const struct redemption *r, int64_t entry)
{
	char *member = NULL;
	int rc;

	if ((rc = expire_rolling(l, r->requested_at)) <= 0)
		return rc;
	if ((rc = ledger_member_resolve(l, r->member_id, &member)) <= 0)
		return rc < 0 ? -1 : loy_error("member '%s' is gone", r->member_id);
	rc = expire_given_back(l, member, entry, r->requested_at);
	free(member);
	return rc;
}

/* What the points a cancel gives back paid: a return's, said on stderr. */
static void
cancel_paid(void *ctx, const char *txn, int64_t points)
{
	loy_warn("cancel of '%s': %lld of its points go to return '%s', which a balance at "
	    "zero kept from taking them back", (const char *)ctx, (long long)points, txn);
}

/* Points returns of the member could not take back, for a balance at
 * zero, come out of what the cancel's entry gave back first, into *paid:
 * the returns recorded after the redemption, which spent the points they
 * would have taken (one recorded before it left the points the
 * redemption spent alone). */
static int
cancel_returns(struct ledger *l, const struct redemption *r, int64_t entry,
    const char *now, int64_t *paid)
{
	char *member = NULL;
	int rc;

	if ((rc = ledger_member_resolve(l, r->member_id, &member)) <= 0)
		return rc < 0 ? -1 : loy_error("member '%s' is gone", r->member_id);
	*paid = ledger_unrecovered_take(l, member, r->points, entry, now, r->run_id,
	    cancel_paid, r->request_id);
	free(member);
	return *paid < 0 ? -1 : 0;
}

static int
cancel_run(void *ctx, struct ledger *l, struct csvio_writer *out, long counts[2])
{
	struct cancel *c = ctx;
	struct redemption r = { 0 };
	struct reward w = { { 0 } };
	int bad = 0, got;
	int64_t entry, paid = 0;

	/* the time the run writes at, not the time it began to wait */
	memcpy(c->now, ledger_run_now(l), sizeof(c->now));
	csvio_put(out, "request_id");
	csvio_put(out, "status");
	csvio_put(out, "points");
	csvio_end(out);
	for (int i = 0; i < c->argc; i++) {
		if ((got = ledger_redemption_get(l, c->argv[i], &r)) < 0)
			goto fail;
		if (!got) {
			bad = loy_error("no redemption '%s'", c->argv[i]) < 0;
			continue;
		}
		if (strcmp(r.status, "cancelled") == 0) {
			csvio_put(out, r.request_id);
			csvio_put(out, "unchanged");
			csvio_put_int(out, 0);
			csvio_end(out);
			counts[1]++;
			continue;
		}
		if (strcmp(r.status, "redeemed") != 0) {
			bad = loy_error("redemption '%s' was refused: nothing to cancel",
			    c->argv[i]) < 0;
			continue;
		}
		if ((got = ledger_reward_get(l, r.reward_id, &w)) < 0)
			goto fail;
		if (got && w.v[RW_TO] && strncmp(c->now, w.v[RW_TO], 10) > 0) {
			bad = loy_error("redemption '%s': its voucher expired on %s",
			    c->argv[i], w.v[RW_TO]) < 0;
			continue;
		}
		if (ledger_redemption_cancel(l, &r, c->now, &entry) < 0 ||
		    given_back(l, &r, entry) < 0 ||
		    cancel_returns(l, &r, entry, c->now, &paid) < 0)
			goto fail;
		csvio_put(out, r.request_id);
		csvio_put(out, "cancelled");
		csvio_put_int(out, r.points - paid);
		csvio_end(out);
		counts[0]++;
	}
	redemption_clear(&r);
	reward_clear(&w);
	return bad ? LOY_EX_DATAERR : 0;
fail:
	redemption_clear(&r);
	reward_clear(&w);
	return ledger_status(l);
}

int
redeem_cancel(const struct cli *cli, struct ledger *l, int argc, char **argv,
    const char *args)
{
	struct cancel c = { .argc = argc, .argv = argv };

	return batch_txn(cli, l, args, cancel_run, &c);
}

/* ---------------------------------------------------------------- list */

struct money_out {
	struct csvio_writer *out;
	int decimals;
};

/* The catalogue as it is loaded: money back as decimal text. */
static int
print_reward(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct money_out *m = ctx;

	for (int i = 0; i < ncols; i++) {
		if (row && row[i] && (i == RW_CASH || i == RW_COST))
			csvio_put_money(m->out, atoll(row[i]), m->decimals);
		else
			csvio_put(m->out, row ? row[i] : cols[i]);
	}
	csvio_end(m->out);
	return 0;
}

int
redeem_list(const struct cli *cli, struct ledger *l)
{
	struct money_out m = { NULL, 0 };
	int status;

	if (!(m.out = batch_list_begin(cli, l, &status)))
		return status;
	m.decimals = ledger_decimals(l);	/* as in the snapshot */
	return batch_list_end(l, m.out, ledger_list_rewards(l, print_reward, &m));
}
