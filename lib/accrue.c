/*
 * accrue: POS lines into points, each receipt credited exactly once.
 *
 * Lines are gathered into receipts in memory (a receipt's lines may be
 * scattered through a file) and each receipt is settled when its file ends,
 * or earlier when too many are open at once.  Settling checks the receipt
 * against the ledger: a receipt seen before is a duplicate when its lines
 * are among the lines credited then, and a conflict otherwise.
 */
#include <endian.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "accrue.h"
#include "batch.h"
#include "diag.h"
#include "earn.h"
#include "expire.h"
#include "money.h"
#include "pattern.h"
#include "strmap.h"
#include "utf8.h"
#include "when.h"

#define OPEN_BYTES (8 << 20)	/* receipts held in memory before settling early */
#define MEMBER_BYTES (16 << 20)	/* members held in memory before they are forgotten */
#define MEM_COST 192		/* about what a struct mem and its map entries take */

struct accrue;
struct rcpt;
struct mem;
static int settle_all(struct accrue *a, struct batch *b, struct rcpt *keep);
static int settle(struct accrue *a, struct batch *b, struct rcpt *r);
static uint64_t head(const struct rcpt *r, const char *occurred);
static int maybe_taken(struct accrue *a, const char *txn);
static int write_balances(struct accrue *a);
static int link_earlier(struct accrue *a, struct mem *m, const struct rcpt *r,
    int64_t amount, int64_t points, int64_t first, struct receipt_row **v, char *detail,
    size_t size);
static int link_spend(struct accrue *a, struct batch *b, struct mem *m, const struct rcpt *r,
    const struct receipt_row *v, int n);
static void await(struct accrue *a, const char *orig);

enum { F_TXN, F_MEMBER, F_CARD, F_PHONE, F_EMAIL, F_OCCURRED, F_STORE, F_SKU,
	F_CATEGORY, F_QTY, F_AMOUNT, F_PRICE, F_CHANNEL, F_LINE, F_ORIG, F_DESC, F_COUNT };
static const char *const fields[] = {
	"txn_id", "member_id", "card", "phone", "email", "occurred_at", "store", "sku",
	"category", "qty", "amount", "unit_price", "channel", "line", "orig_txn",
	"description", NULL
};
/* the line's names and words, no control character in any */
static const int line_texts[] = { F_STORE, F_CHANNEL, F_SKU, F_CATEGORY, F_ORIG, F_DESC };
/* member identifiers, in the F_ order */
enum { ID_MEMBER, ID_CARD, ID_PHONE, ID_EMAIL, ID_COUNT };

enum { C_CREDITED, C_PENDING, C_RETURNED, C_ANONYMOUS, C_DUPLICATE };
static const struct batch_counter counters[] = {
	{ "credited", BATCH_CHANGED }, { "pending", BATCH_CHANGED },
	{ "returned", BATCH_CHANGED }, { "anonymous", BATCH_CHANGED },
	{ "duplicate", BATCH_UNCHANGED }, { NULL, 0 }
};
static const char *const out_cols[] = {
	"txn_id", "member_id", "occurred_at", "amount", "points", "status", "detail", NULL
};

struct rline {
	long line;
	char *bad;		/* this line's own fault */
	char *raw;		/* the row as read, packed, only for --rejects */
	char *prod;		/* sku, category, description, each NUL-terminated */
	long no;		/* its `line` field, else 0: its place in the receipt */
	int64_t qty, amount;	/* qty x 10^qscale; minor units */
	int qscale;
};

struct rcpt {
	char *txn;
	char *id[ID_COUNT];
	char occurred[20];
	char *store, *channel, *orig;
	int64_t amount;
	struct rline *lines;
	uint64_t *hash;
	int n, cap;
	unsigned char settled;	/* settled early, as the original of a return */
	unsigned char hold;	/* settled only when its input ends (whole) */
	unsigned char waits;	/* kept open by the settle_all() under way */
	int mem;		/* its member as find_member() will find them, when
				   prefetch_members() knows already: mems[mem - 1];
				   0 not known (where the struct had room: its size
				   counts in the memory held, which says when
				   receipts are settled early) */
	char *bad;		/* why the receipt cannot be taken */
	long bad_line;
};

/* A mark of a cumulative rule that a receipt counts towards, to be settled
 * later (struct defer): under version p, for the receipt of these facts,
 * as a purchase does or (down) as a return does; or (back) purchase txn,
 * which a return took from, whose referral bonuses go when nothing is left
 * of it (referral_back; 2: its own uses of limited rules stay). */
struct dsettle {
	const struct programme *p;
	char *txn, *occurred, *store, *channel;
	int64_t amount;
	int down, back;
};

/* The marks a member's receipt settled early would settle, and the
 * referral bonuses it would give, left until its later lines in the input
 * cannot change what the whole receipt settles and gives: they are
 * settled with its last part, or before another receipt of the member, or
 * when the input ends or the members are forgotten (flush_member), so that
 * a receipt settled in parts gives and takes back the bonuses the whole
 * gives and takes back. */
struct defer {
	char *txn;
	char at[20];		/* the receipt's time: of its bonus rows */
	struct dsettle *v;
	int n;
	struct earn_award *ref;	/* its referral bonuses, as the receipt is so far
				   (their members copied), under version rp */
	int nref;
	const struct programme *rp;
	size_t bytes;		/* counted in mem_held */
};

/* A member as this run knows them. */
struct mem {
	char *id;		/* NULL: no such member */
	int closed;
	int bought;		/* -1 not known yet, 0 no entry of a receipt yet, 1 one
				   (as ledger_earn_bought() reads it, whatever the
				   members held: a receipt that earned nothing is none) */
	int standing;		/* the same of an entry that stands, not of a purchase
				   returned whole nor of a return of one, for referral
				   rules on a first purchase (ledger_earn_standing) */
	int64_t balance;	/* at the start of the run */
	int64_t delta;		/* this run's change, written at the end */
	int64_t last_entry;
	long file_no;		/* the last input it had a receipt in (file_members) */
	int no;			/* mems[no - 1] is this one */
	struct defer *defer;	/* its receipt settled early, whose marks wait */
};

/* What the earning rules may ask of a member, read once a run (kept apart
 * from struct mem, which every member of a large import has). */
struct facts {
	char *tier, *birthday, *segments, *referrer;
};

struct accrue {
	const struct cli *cli;
	struct ledger *l;
	int auto_enroll;
	long unenrolled;	/* receipts refused: their member is not enrolled */
	int read_all;		/* the run read every input, none stopped it */
	int col[F_COUNT];
	int order[ID_COUNT], norder;	/* identify_by */
	int decimals, allow_negative, window_days;
	int64_t earn_points, earn_per;	/* points per earn_per minor units */
	char now[20], limit[20];	/* purchases after `limit` are in the future */
	char *tier;
	struct pattern *phone, *email;
	struct strmap *refused;	/* txn_id -> line: receipts this file refused */
	struct strmap *whole;	/* "seq:txn_id": receipts of input seq to settle
				   whole, at its end, as one of their lines is
				   set aside (set_aside_whole); kept from a run
				   to the one that takes it again */
	struct strmap *open;	/* txn_id -> struct rcpt, this file */
	struct strmap *members;	/* "k:value" -> struct mem, by identifier */
	struct strmap *byid;	/* member_id -> struct mem, one per member */
	struct strmap *dropped;	/* "k:value" -> member_id: a phone or e-mail a member
				   enrolled by this run was named by but does not keep
				   (not a valid one), so that a member forgotten
				   since is still the one it names */
	struct mem **mems;	/* every struct mem, to write and free */
	size_t nmems, memcap;
	long file_receipts;
	size_t held;		/* bytes of open receipts */
	size_t hold_bytes;	/* of them, those of receipts held whole, when
				   last settled early */
	size_t window;		/* settle early past this many */
	size_t mem_held;	/* bytes of members, about: MEM_COST each (their facts
				   for the rules, when asked, come on top) */
	size_t mem_window;	/* forget them past this many (forget_members) */
	int forgot;		/* members were forgotten during this input */
	size_t nsettled, nduplicate;	/* receipts settled this run, duplicates of them */
	int64_t file_points;
	int64_t file_late;	/* of them, what returns taken before took back
				   late (take_late), positive */
	int64_t unrecovered;	/* what take_back did not take, for a balance at
				   zero, of the receipt being settled */
	size_t file_members;	/* members with a receipt in this input (one struct
				   mem a member: byid) */
	long file_no;		/* inputs begun */
	struct earn *earn;	/* the programme's versions, for the points */
	struct earn_state est;
	int needs_member, needs_first;
	struct strmap *facts;	/* member_id -> struct facts */
	struct ledger_top top;	/* the highest txn_id the ledger has */
	struct ledger_seq *seq;	/* the look-ups of the receipts settled */
	struct pool *pool;	/* the open receipts' memory */
	struct earn_award *pending;	/* cumulative bonuses a return took back or a
				   receipt gave again, for the receipt being
				   settled to credit after its own row */
	int npending;
	struct strmap *awaited;	/* the originals that returns taken before them
				   name (link_earlier); NULL: not read yet */
	size_t awaited_max;	/* hold at most this many (LOY_AWAITED_ORIGINALS) */
	int awaited_all;	/* too many to hold: any purchase may be one */
	int failed;		/* a callback that returns nothing failed: the
				   next that can says so (accrue_malformed) */
	int needs_progress;	/* the programme has cumulative rules */
	int needs_referral;	/* referral rules on a purchase */
	int needs_limit;	/* purchase rules with a limit */
	int early;		/* settling before the input ends (settle_all) */
	enum { SETTLE_NOW, SETTLE_LATER, SETTLE_NOT } settle_to;
				/* where a receipt's move of its progress settles
				   the marks: into pending, into its member's
				   struct defer, or nowhere (it undoes a move
				   whose marks were never settled) */
};

/*
 * The open receipts' memory: taken from blocks, given back all at once when
 * they are settled (settle_all), instead of a malloc and a free for each
 * string and array of each receipt.
 */
#define POOL_BLOCK (64 << 10)

struct pool {
	struct pool *next;
	size_t used, size;
	max_align_t data[];
};

static void *
pool_alloc(struct accrue *a, size_t n)
{
	struct pool *p = a->pool;
	void *v;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (!p || p->size - p->used < n) {
		size_t size = n > POOL_BLOCK ? n : POOL_BLOCK;

		p = loy_xmalloc(sizeof(*p) + size);
		p->next = a->pool;
		p->used = 0;
		p->size = size;
		a->pool = p;
	}
	v = (char *)p->data + p->used;
	p->used += n;
	return v;
}

/* A copy of s in the pool (NULL: NULL). */
static char *
pool_strdup(struct accrue *a, const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	return memcpy(pool_alloc(a, n), s, n);
}

static void
pool_free(struct pool *p)
{
	while (p) {
		struct pool *next = p->next;

		free(p);
		p = next;
	}
}

static char *
xstrdup_or_null(struct accrue *a, const char *s)
{
	return s && *s ? pool_strdup(a, s) : NULL;
}

/* The row's field, spaces trimmed; "" when absent. */
static char *
field(const struct accrue *a, const struct csvio_row *row, int i)
{
	return csvio_field(row, a->col[i]);
}

static uint64_t
fnv_int(uint64_t h, int64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (unsigned char)v) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;	/* field separator */
}

static void
mark_bad(struct accrue *a, struct rcpt *r, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
mark_bad(struct accrue *a, struct rcpt *r, long line, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (r->bad)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->bad = pool_strdup(a, buf);
	r->bad_line = line;
}

/* Remember a line: its number, and with --rejects its fields, packed as
 * count, then each length and bytes. */
static void
keep_line(struct accrue *a, struct rcpt *r, const struct csvio_row *row, const char *bad,
    uint64_t hash)
{
	struct rline *rl;

	if (r->n == r->cap) {	/* grown in place: not from the pool */
		r->cap = r->cap ? 2 * r->cap : 4;
		r->lines = loy_xrealloc(r->lines, r->cap * sizeof(*r->lines));
		r->hash = loy_xrealloc(r->hash, r->cap * sizeof(*r->hash));
		a->held += r->cap / 2 * (sizeof(*r->lines) + sizeof(*r->hash));
	}
	rl = &r->lines[r->n];
	rl->line = row->line;
	rl->no = 0;
	rl->bad = pool_strdup(a, bad);
	rl->raw = NULL;
	rl->prod = NULL;
	rl->qty = rl->amount = 0;
	rl->qscale = 0;
	if (a->cli->rejects) {
		size_t n = sizeof(int);
		char *p;

		for (int i = 0; i < row->nf; i++)
			n += sizeof(size_t) + row->len[i];
		p = rl->raw = pool_alloc(a, n);
		memcpy(p, &row->nf, sizeof(int));
		p += sizeof(int);
		for (int i = 0; i < row->nf; i++) {
			memcpy(p, &row->len[i], sizeof(size_t));
			memcpy(p + sizeof(size_t), row->raw ? row->raw[i] : row->f[i], row->len[i]);
			p += sizeof(size_t) + row->len[i];
		}
		a->held += n;
	}
	r->hash[r->n] = hash;
	r->n++;
}

/* A kept line back as a row (fields only with --rejects). */
static void
unpack(const struct rline *rl, struct csvio_row *row)
{
	const char *p = rl->raw;
	int nf = 0;

	memset(row, 0, sizeof(*row));
	row->line = rl->line;
	if (!p)
		return;
	memcpy(&nf, p, sizeof(int));
	p += sizeof(int);
	row->f = loy_xmalloc((nf + 1) * sizeof(*row->f));
	row->len = loy_xmalloc((nf + 1) * sizeof(*row->len));
	for (int i = 0; i < nf; i++) {
		memcpy(&row->len[i], p, sizeof(size_t));
		row->f[i] = loy_xmalloc(row->len[i] + 1);
		memcpy(row->f[i], p + sizeof(size_t), row->len[i]);
		row->f[i][row->len[i]] = '\0';
		p += sizeof(size_t) + row->len[i];
	}
	row->f[nf] = NULL;
	row->nf = nf;
}

static void
unpack_free(struct csvio_row *row)
{
	for (int i = 0; i < row->nf; i++)
		free(row->f[i]);
	free(row->f);
	free(row->len);
}

static void *
pool_copy(struct accrue *a, const void *s, size_t n)
{
	return s ? memcpy(pool_alloc(a, n), s, n) : NULL;
}

/* The bytes of a line packed by keep_line. */
static size_t
raw_size(const char *p)
{
	size_t n = sizeof(int), len;
	int nf;

	memcpy(&nf, p, sizeof(int));
	for (int i = 0; i < nf; i++) {
		memcpy(&len, p + n, sizeof(size_t));
		n += sizeof(size_t) + len;
	}
	return n;
}

/* The bytes of r's lines as read (with --rejects), about. */
static size_t
raw_bytes(const struct rcpt *r)
{
	size_t n = 0;

	for (int i = 0; i < r->n; i++)
		n += (r->lines[i].raw ? raw_size(r->lines[i].raw) : 0) + 32;
	return n;
}

/* A copy of r in the pool as it is now (the receipt still being read when
 * the others are settled and their memory given back); its lines and
 * their hashes, not in the pool, are the copy's from now on. */
static struct rcpt *
rcpt_copy(struct accrue *a, const struct rcpt *r)
{
	struct rcpt *c = pool_copy(a, r, sizeof(*r));
	const char *p;

	c->txn = pool_strdup(a, r->txn);
	for (int i = 0; i < ID_COUNT; i++)
		c->id[i] = pool_strdup(a, r->id[i]);
	c->store = pool_strdup(a, r->store);
	c->channel = pool_strdup(a, r->channel);
	c->orig = pool_strdup(a, r->orig);
	c->bad = pool_strdup(a, r->bad);
	for (int i = 0; i < r->n; i++) {
		struct rline *rl = &c->lines[i];

		rl->bad = pool_strdup(a, rl->bad);
		rl->raw = rl->raw ? pool_copy(a, rl->raw, raw_size(rl->raw)) : NULL;
		if ((p = rl->prod) != NULL) {
			size_t ls = strlen(p), lc = strlen(p + ls + 1);

			rl->prod = pool_copy(a, p, ls + lc + strlen(p + ls + lc + 2) + 3);
		}
	}
	return c;
}

static int
accrue_file(void *ctx, struct batch *b)
{
	struct accrue *a = ctx;
	int bad = 0;

	for (int i = 0; i < F_COUNT; i++)
		a->col[i] = batch_col(b, fields[i]);
	/* a column mapped onto qty, unit_price or amount is that one of
	 * them only, not also the one its own name says: 'Amount' mapped onto
	 * qty is a count, not the line's total as well */
	for (int i = 0; i < 3; i++) {
		static const int money[3] = { F_QTY, F_PRICE, F_AMOUNT };
		int f = money[i];

		if (a->col[f] < 0 || cli_column(a->cli, fields[f]) != fields[f])
			continue;	/* absent, or mapped itself */
		for (int j = 0; j < 3; j++)
			if (j != i && a->col[money[j]] == a->col[f] &&
			    cli_column(a->cli, fields[money[j]]) != fields[money[j]])
				a->col[f] = -1;
	}
	if (a->col[F_TXN] < 0)
		bad = batch_header_error(b, "no column 'txn_id' (the receipt)");
	if (a->col[F_OCCURRED] < 0)
		bad = batch_header_error(b, "no column 'occurred_at'");
	if (a->col[F_AMOUNT] < 0 && a->col[F_PRICE] < 0)
		bad = batch_header_error(b, "no column 'amount' or 'unit_price'");
	else if (a->col[F_AMOUNT] < 0 && a->col[F_QTY] < 0)
		bad = batch_header_error(b, "column 'unit_price' needs a column 'qty'");
	a->file_receipts = 0;
	a->file_points = 0;
	a->file_late = 0;
	a->file_members = 0;
	a->file_no++;
	return bad;
}

/* The key of receipt txn of this input in a->whole, to free. */
static char *
whole_key(struct batch *b, const char *txn)
{
	char *k;

	if (asprintf(&k, "%d:%s", batch_seq(b), txn) < 0)
		loy_die(71, "out of memory");
	return k;
}

/* Whether a value of a row that cannot be read may stand for it, in the
 * output and the ledger's look-ups: UTF-8 without a control character, of
 * no more than a field's length. */
static int
readable(const char *v)
{
	size_t n = strlen(v);

	return n <= CSVIO_FIELD_MAX && utf8_check(v, n) == n && !utf8_has_control(v);
}

/* The open receipt txn, made from this row, its first line, when there is
 * none yet (*created): who it is for, where and how it was bought.  A row
 * that cannot be read names it only by what of it is UTF-8 without a
 * control character. */
static struct rcpt *
open_receipt(struct accrue *a, struct batch *b, const struct csvio_row *row, const char *txn,
    int *created)
{
	struct rcpt **slot = (struct rcpt **)strmap_slot(a->open, txn, strlen(txn), created);
	struct rcpt *r;
	char *v;

	if (!*created)
		return *slot;
	*slot = r = memset(pool_alloc(a, sizeof(*r)), 0, sizeof(*r));
	a->held += sizeof(*r) + 2 * strlen(txn) + 64;
	r->txn = pool_strdup(a, txn);
	for (int i = 0; i < ID_COUNT; i++) {
		v = field(a, row, F_MEMBER + i);
		if (i == ID_MEMBER || i == ID_CARD)
			batch_whole_id(v);
		r->id[i] = row->bad && !readable(v) ? NULL : xstrdup_or_null(a, v);
	}
	v = field(a, row, F_STORE);
	r->store = row->bad && !readable(v) ? NULL : xstrdup_or_null(a, v);
	v = field(a, row, F_CHANNEL);
	r->channel = row->bad && !readable(v) ? NULL : xstrdup_or_null(a, v);
	if (strmap_count(a->whole)) {	/* a run taken again: whole */
		char *k = whole_key(b, txn);

		r->hold = strmap_get(a->whole, k, strlen(k)) != NULL;
		free(k);
	}
	return r;
}

/* One POS line into its receipt. */
static int
accrue_row(void *ctx, struct batch *b, const struct csvio_row *row)
{
	struct accrue *a = ctx;
	const struct cli *cli = batch_cli(b);
	char *txn = field(a, row, F_TXN), *v, when[20];
	const char *why;
	struct rcpt *r;
	int created, qscale = 0, pscale, noqty;
	int64_t qty = 1, price, amount = 0;
	uint64_t h = 14695981039346656037ULL;
	int badline = 0;
	char linebad[512] = "";
	const char *sku, *cat, *desc, *no;

	if (a->failed)
		return -1;
	if (!*txn)
		return batch_reject(b, row, "txn_id is empty");
	if (batch_control_refused(b, row, "txn_id", txn, BATCH_NAME))
		return 1;
	if (strmap_count(a->refused) && (v = strmap_get(a->refused, txn, strlen(txn))) != NULL)
		return batch_reject(b, row, "receipt '%s' was refused at line %s", txn, v);
	r = open_receipt(a, b, row, txn, &created);
#define BAD(...) do { \
	mark_bad(a, r, row->line, __VA_ARGS__); \
	if (!badline) \
		snprintf(linebad, sizeof(linebad), __VA_ARGS__); \
	badline = 1; \
} while (0)
	/* the receipt's lines must agree on who and which day */
	for (int i = 0; i < ID_COUNT && !created; i++) {
		v = field(a, row, F_MEMBER + i);
		if (i == ID_MEMBER || i == ID_CARD)
			batch_whole_id(v);
		if (strcmp(v, r->id[i] ? r->id[i] : "") != 0)
			BAD(i == ID_PHONE || i == ID_EMAIL ?
			    "receipt '%s' has lines for %s '" LOY_PII("%s") "' and '" LOY_PII("%s") "'" :
			    "receipt '%s' has lines for %s '%s' and '%s'", txn, fields[F_MEMBER + i],
			    r->id[i] ? r->id[i] : "", v);
	}
	/* an id with a line break or another control character is no one's,
	 * nor is a phone or an e-mail --auto-enroll would keep */
	for (int i = ID_MEMBER; i < ID_COUNT && created; i++)
		if (r->id[i] && utf8_has_control(r->id[i]))
			BAD(i == ID_PHONE || i == ID_EMAIL ?
			    "%s '" LOY_PII("%s") "' has a control character%s" :
			    "%s '%s' has a control character%s", fields[F_MEMBER + i], r->id[i],
			    utf8_control_hint(r->id[i]));
	/* nor is a store, a channel or what a line is: reports print them (a
	 * description is free text, its lines and tabs its own) */
	for (size_t i = 0; i < sizeof(line_texts) / sizeof(*line_texts); i++)
		if (line_texts[i] == F_DESC ? utf8_text_has_control(v = field(a, row, F_DESC)) :
		    utf8_has_control(v = field(a, row, line_texts[i])))
			BAD("%s '%s' has a control character%s", fields[line_texts[i]], v,
			    utf8_control_hint(v));
	v = field(a, row, F_OCCURRED);
	if (!*v)
		BAD("occurred_at is empty");
	else if (when_parse(v, cli->date_format, WHEN_DATETIME, when, &why) < 0)
		BAD("occurred_at '%s' %s", v, why);
	else if (created || !r->occurred[0])
		memcpy(r->occurred, when, sizeof(when));
	else if (strncmp(when, r->occurred, 10) != 0)
		BAD("receipt '%s' has lines on %.10s and %.10s", txn, r->occurred, when);
	else if (strcmp(when, r->occurred) < 0)
		memcpy(r->occurred, when, sizeof(when));
	v = field(a, row, F_ORIG);
	if (*v && !r->orig)
		r->orig = pool_strdup(a, v);

	/* the line's money; an empty qty is no qty, as in a file without
	 * the column (and as loy-redeem reads it) */
	v = a->col[F_QTY] >= 0 ? field(a, row, F_QTY) : "";
	noqty = !*v;
	if (*v) {
		if (decimal_parse(v, &qty, &qscale, &why) < 0)
			BAD("qty '%s' %s", v, why);
		else if (qty == 0)
			BAD("qty is zero");
	}
	v = a->col[F_AMOUNT] >= 0 ? field(a, row, F_AMOUNT) : "";
	if (*v && noqty && *v == '-')
		qty = -1;	/* no qty: the amount's sign says sale or return */
	if (*v) {
		if (money_parse(v, a->decimals, &amount, &why) < 0)
			BAD("amount '%s' %s", v, why);
		else if (qty > 0 && amount < 0)
			BAD("amount '%s' is negative on a sale line", v);
		else if (qty < 0 && amount > 0)
			BAD("amount '%s' is positive on a return line (qty %s)", v,
			    field(a, row, F_QTY));
	} else if (a->col[F_PRICE] >= 0) {
		v = field(a, row, F_PRICE);
		if (noqty)
			BAD("qty is empty, and unit_price needs it");
		else if (decimal_parse(v, &price, &pscale, &why) < 0)
			BAD("unit_price '%s' %s", v, why);
		else if (price < 0)
			BAD("unit_price '%s' is negative", v);
		else if (money_mul_round(qty, price, qscale + pscale, a->decimals, &amount) < 0 ||
		    amount > MONEY_MAX || amount < -MONEY_MAX)
			BAD("qty '%s' times unit_price '%s' is out of range", field(a, row, F_QTY), v);
	} else
		BAD("amount is empty");
	if (!badline) {
		/* once past (or refused for another line) the total is not
		 * known: a later line is refused with the receipt, not again */
		if (!r->bad && (__builtin_add_overflow(r->amount, amount, &r->amount) ||
		    r->amount > MONEY_MAX || r->amount < -MONEY_MAX))
			BAD("receipt '%s' totals more than loy can count", txn);
		/* what the line is, for duplicates and reports */
		sku = field(a, row, F_SKU);
		cat = field(a, row, F_CATEGORY);
		desc = field(a, row, F_DESC);
		no = field(a, row, F_LINE);
		h = fnv(h, sku);
		h = fnv(h, cat);
		h = fnv(h, desc);
		h = fnv(h, no);
		h = fnv_int(fnv_int(fnv_int(h, qty), qscale), amount);
	}
#undef BAD
	keep_line(a, r, row, badline ? linebad : NULL, h);
	if (!badline) {
		/* what the line is, for the earning rules and explanations */
		struct rline *rl = &r->lines[r->n - 1];
		size_t ls = strlen(sku), lc = strlen(cat), ld = strlen(desc);

		rl->prod = pool_alloc(a, ls + lc + ld + 3);
		memcpy(rl->prod, sku, ls + 1);
		memcpy(rl->prod + ls + 1, cat, lc + 1);
		memcpy(rl->prod + ls + lc + 2, desc, ld + 1);
		a->held += ls + lc + ld + 3 + 16;
		if (*no && strlen(no) < 10 && strspn(no, "0123456789") == strlen(no))
			rl->no = atol(no);
		rl->qty = qty;
		rl->qscale = qscale;
		rl->amount = amount;
	}
	if (a->held >= a->window + a->hold_bytes)
		return settle_all(a, b, r);
	return 0;
}

/* The cache key of identifier kind i with value v ("1:6001001"): in buf
 * when it fits, else allocated (mem_key_free). */
struct mem_key {
	char buf[96];
	char *s;
	size_t n;
};

static void
mem_key(struct mem_key *k, int i, const char *v)
{
	size_t n = strlen(v);

	k->s = n + 3 <= sizeof(k->buf) ? k->buf : loy_xmalloc(n + 3);
	k->s[0] = (char)('0' + i);
	k->s[1] = ':';
	memcpy(k->s + 2, v, n + 1);
	k->n = n + 2;
}

static void
mem_key_free(struct mem_key *k)
{
	if (k->s != k->buf)
		free(k->s);
}

static struct facts *member_facts_given(struct accrue *a, struct mem *m, char *given[3]);
static int flush_member(struct accrue *a, struct batch *b, struct mem *m);
static void defer_add(struct accrue *a, struct mem *m, const struct programme *p,
    const struct earn_receipt *er, int down);
static int progress_less(struct accrue *a, struct mem *m, const char *txn,
    const char *occurred, const char *store, const char *channel, int64_t amount,
    int64_t visits, int64_t spend);

static struct mem *
new_mem(struct accrue *a)
{
	struct mem *m = calloc(1, sizeof(*m));

	if (!m)
		loy_die(71, "out of memory");
	m->bought = m->standing = -1;
	if (a->nmems == a->memcap) {
		a->memcap = a->memcap ? 2 * a->memcap : 1024;
		a->mems = loy_xrealloc(a->mems, a->memcap * sizeof(*a->mems));
	}
	if (a->nmems >= INT_MAX)
		loy_die(71, "out of memory");
	m->no = (int)a->nmems + 1;
	a->mem_held += MEM_COST;
	return a->mems[a->nmems++] = m;
}

/* The one struct mem of the member `id` stands for: *mp NULL when the
 * ledger has no such member.  0 or -1. */
static int
known_member(struct accrue *a, const char *id, struct mem **mp)
{
	struct mem **slot, *m;
	char *survivor = NULL;
	int64_t balance;
	int created, closed, got;

	char *facts[3] = { NULL, NULL, NULL };

	*mp = NULL;
	/* with the rules' facts of the member, when they ask, in the same look-up */
	if ((got = ledger_member_state_facts(a->l, id, &survivor, &closed, &balance,
	    a->needs_member ? facts : NULL)) <= 0)
		return got;
	slot = (struct mem **)strmap_slot(a->byid, survivor, strlen(survivor), &created);
	if (!created) {
		free(survivor);
		for (int i = 0; i < 3; i++)
			free(facts[i]);
		*mp = *slot;
		return 0;
	}
	*slot = m = new_mem(a);
	m->id = survivor;
	m->closed = closed;
	m->balance = balance;
	*mp = m;
	if (closed) {	/* a closed member earns nothing */
		for (int i = 0; i < 3; i++)
			free(facts[i]);
	} else if (a->needs_member && !member_facts_given(a, m, facts)) {
		return -1;
	}
	return 0;
}

static const char *const id_names[ID_COUNT] = { "member_id", "card", "phone", "email" };

/* A member by the programme's identification order: the struct mem (id
 * NULL when unknown), with *key and *value the identifier used; NULL on
 * error. */
static struct mem *
find_member(struct accrue *a, struct rcpt *r, const char **key, const char **value)
{
	const char *const *names = id_names;
	struct mem_key k;
	struct mem **slot;
	char *id = NULL;
	const char *was;
	int got;

	struct mem *unknown = NULL;

	*key = NULL;
	/* the first identifier that names a member, in identify_by's order */
	for (int o = 0; o < a->norder; o++) {
		int i = a->order[o];

		if (!r->id[i])
			continue;
		if (!*key) {
			*key = names[i];
			*value = r->id[i];
		}
		mem_key(&k, i, r->id[i]);
		slot = (struct mem **)strmap_slot(a->members, k.s, k.n, NULL);
		was = !*slot && strmap_count(a->dropped) ? strmap_get(a->dropped, k.s, k.n) : NULL;
		mem_key_free(&k);
		if (!*slot) {	/* not looked up yet (or left empty by prefetch_members) */
			struct mem *m = NULL;

			if (was)	/* enrolled by this run under it */
				got = known_member(a, was, &m);
			else if (i == ID_MEMBER)
				got = known_member(a, r->id[i], &m);
			else if ((got = ledger_member_find(a->l, names[i], r->id[i], 1, &id)) > 0) {
				got = known_member(a, id, &m);
				free(id);
			}
			if (got < 0)
				return NULL;
			*slot = m ? m : new_mem(a);
		}
		if ((*slot)->id)
			return *slot;
		if (!unknown)
			unknown = *slot;	/* enrolled under this one, if at all */
	}
	return unknown;		/* NULL with *key NULL: none that identify_by uses */
}

/* find_member(), for a receipt whose member prefetch_members() knows. */
static struct mem *
receipt_member(struct accrue *a, struct rcpt *r, const char **key, const char **value)
{
	if (r->mem) {
		*key = id_names[ID_MEMBER];
		*value = r->id[ID_MEMBER];
		return a->mems[r->mem - 1];
	}
	return find_member(a, r, key, value);
}

static int
enroll_member(struct accrue *a, struct rcpt *r, struct mem *m)
{
	struct member mm = { { 0 } };
	int got;

	if (r->id[ID_MEMBER])
		m->id = loy_xstrdup(r->id[ID_MEMBER]);
	else if (ledger_member_new_id(a->l, &m->id) < 0)
		return -1;
	mm.v[MF_ID] = m->id;
	mm.v[MF_STATUS] = "active";
	mm.v[MF_PHONE] = r->id[ID_PHONE];
	mm.v[MF_EMAIL] = r->id[ID_EMAIL];
	mm.v[MF_ENROLLED_AT] = r->occurred;
	mm.v[MF_STORE] = r->store;
	mm.v[MF_CHANNEL] = r->channel;
	mm.v[MF_TIER] = a->tier;
	if (mm.v[MF_PHONE] && pattern_match(a->phone, mm.v[MF_PHONE], strlen(mm.v[MF_PHONE])) <= 0)
		mm.v[MF_PHONE] = NULL;	/* kept off the member, as loy-enroll would refuse it */
	if (mm.v[MF_EMAIL] && pattern_match(a->email, mm.v[MF_EMAIL], strlen(mm.v[MF_EMAIL])) <= 0)
		mm.v[MF_EMAIL] = NULL;
	if ((got = ledger_member_insert_new(a->l, &mm)) < 0)
		return -1;
	if (got == 0) {		/* the id is taken: identify_by does not use member_id */
		free(m->id);
		m->id = NULL;
		return 1;
	}
	if (r->id[ID_CARD] && (got = ledger_card_add_new(a->l, m->id, r->id[ID_CARD],
	    r->occurred)) <= 0) {
		if (got < 0 || ledger_member_uncreate(a->l, m->id) < 0)
			return -1;
		free(m->id);
		m->id = NULL;
		return 2;	/* the card is another member's */
	}
	*strmap_slot(a->byid, m->id, strlen(m->id), NULL) = m;
	/* known from now on under every identifier this receipt gave */
	for (int i = 0; i < ID_COUNT; i++) {
		struct mem_key k;

		if (!r->id[i])
			continue;
		mem_key(&k, i, i == ID_MEMBER ? m->id : r->id[i]);
		*strmap_slot(a->members, k.s, k.n, NULL) = m;
		if ((i == ID_PHONE && !mm.v[MF_PHONE]) || (i == ID_EMAIL && !mm.v[MF_EMAIL])) {
			/* not kept on the member: remembered apart (forget_members) */
			int created;
			void **slot = strmap_slot(a->dropped, k.s, k.n, &created);

			if (created)
				*slot = loy_xstrdup(m->id);
		}
		mem_key_free(&k);
	}
	return 0;
}

/* The amount of a receipt not read whole: its row's is empty. */
#define AMOUNT_UNKNOWN INT64_MIN

static void
emit(struct batch *b, struct accrue *a, const char *txn, const char *member,
    const char *when, int64_t amount, int64_t points, const char *status, const char *detail)
{
	struct csvio_writer *out = batch_out(b);

	csvio_put(out, txn);
	csvio_put(out, member);
	csvio_put(out, when);
	if (amount == AMOUNT_UNKNOWN)
		csvio_put(out, "");
	else
		csvio_put_money(out, amount, a->decimals);
	csvio_put_int(out, points);
	csvio_put(out, status);
	if (detail && strpbrk(detail, LOY_PII_OPEN LOY_PII_CLOSE)) {
		/* the file gets the row's own values, without the marks that
		 * hide them in messages */
		char *d = loy_xstrdup(detail);

		loy_pii_strip(d);
		csvio_put(out, d);
		free(d);
	} else
		csvio_put(out, detail);
	csvio_end(out);
}

/* Lines of receipt txn are set aside: when a part of it that this input
 * began is in the ledger already (settled early, past LOY_RECEIPT_MEMORY),
 * the run is taken again with the receipt held whole until the input ends
 * (with --rejects only: without, the run commits nothing anyway), so that
 * every line of it is set aside, the earlier ones too, and its rejects
 * taken again make the receipt the whole would have.  0 or -1. */
static int
set_aside_whole(struct accrue *a, struct batch *b, const char *txn)
{
	struct receipt_row old = { 0 };
	char *k;
	int got;

	if (!a->cli->rejects || (got = maybe_taken(a, txn)) == 0)
		return 0;
	if (got > 0)
		got = ledger_receipt_get(a->l, txn, &old);
	if (got > 0 && old.run_id == ledger_run_id(a->l) && old.input_seq == batch_seq(b)) {
		void **slot;
		int created;

		k = whole_key(b, txn);
		slot = strmap_slot(a->whole, k, strlen(k), &created);
		*slot = a;
		if (created)
			batch_again(b);
		free(k);
	}
	receipt_row_clear(&old);
	return got < 0 ? -1 : 0;
}

/* Reject every line of a receipt: the bad one with its reason, and the
 * receipt's output row says `status` (rejected, or conflict: taken before
 * with other content) and why.  Later lines of it in the same file are
 * refused as they come; a part of it settled before makes the run be taken
 * again (set_aside_whole).  0 or -1. */
static int
reject_as(struct accrue *a, struct batch *b, struct rcpt *r, const char *status,
    const char *reason)
{
	char num[24];
	void **slot = strmap_slot(a->refused, r->txn, strlen(r->txn), NULL);

	snprintf(num, sizeof(num), "%ld", r->bad_line ? r->bad_line : r->lines[0].line);
	if (!*slot)
		*slot = loy_xstrdup(num);
	for (int i = 0; i < r->n; i++) {
		struct rline *rl = &r->lines[i];
		struct csvio_row row;

		unpack(rl, &row);
		if (rl->bad || (!r->bad_line && i == 0) || rl->line == r->bad_line)
			batch_reject(b, &row, "%s", rl->bad ? rl->bad : reason);
		else
			batch_reject(b, &row, "receipt '%s' is refused: %s (line %ld)", r->txn,
			    reason, r->bad_line ? r->bad_line : r->lines[0].line);
		unpack_free(&row);
	}
	/* a bad line leaves the receipt's total unknown: its row's amount
	 * is empty, not the total of its other lines */
	emit(b, a, r->txn, r->id[ID_MEMBER], r->occurred, r->bad ? AMOUNT_UNKNOWN : r->amount, 0,
	    status, reason);
	return set_aside_whole(a, b, r->txn);
}

static int
reject_receipt(struct accrue *a, struct batch *b, struct rcpt *r, const char *reason)
{
	return reject_as(a, b, r, "rejected", reason);
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Line hashes in ascending order: a receipt has a few lines, sorted in
 * place by insertion; qsort() for a long one. */
static void
sort_u64(uint64_t *v, int n)
{
	if (n > 16) {
		qsort(v, n, sizeof(*v), cmp_u64);
		return;
	}
	for (int i = 1; i < n; i++) {
		uint64_t x = v[i];
		int j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Are the sorted hashes `sub` (n) all among the sorted `set` (m)? */
static int
subset(const uint64_t *sub, int n, const uint64_t *set, int m)
{
	int j = 0;

	for (int i = 0; i < n; i++) {
		while (j < m && set[j] < sub[i])
			j++;
		if (j == m || set[j] != sub[i])
			return 0;
		j++;
	}
	return 1;
}

/* subset() of two sorted arrays kept little-endian. */
static int
subset_le(const uint64_t *sub, int n, const uint64_t *set, int m)
{
	uint64_t *a = loy_xmalloc((n + 1) * sizeof(*a)), *b = loy_xmalloc((m + 1) * sizeof(*b));
	int rc;

	for (int i = 0; i < n; i++)
		a[i] = le64toh(sub[i]);
	for (int i = 0; i < m; i++)
		b[i] = le64toh(set[i]);
	rc = subset(a, n, b, m);
	free(a);
	free(b);
	return rc;
}

/* An entry of receipt points moved for m: in the balance the run writes,
 * and m has bought (as ledger_earn_bought() reads it). */
static void
entry_moved(struct mem *m, int64_t points, int64_t entry)
{
	m->delta += points;
	m->last_entry = entry;
	m->bought = 1;
	/* a purchase's points stand; what a return does is read again */
	m->standing = points > 0 ? 1 : -1;
}

/* Earn `points` for receipt `txn` of time `at`: an entry and a lot. */
/* When the points of a purchase at `at` become available, into buf: buf,
 * or NULL when the programme has no return window (at once). */
static const char *
available_at(const struct accrue *a, const char *at, char buf[static 20])
{
	/* the return window of the version in force at the purchase, as its
	 * earning and its expiry: the settings are the version in force when
	 * loy-program apply last ran */
	const struct programme *p = a->earn ? earn_at(a->earn, at) : NULL;
	const char *v = p ? programme_setting(p, "return_window_days") : NULL;
	int days = p ? (v ? atoi(v) : 0) : a->window_days;

	if (days <= 0)
		return NULL;
	when_add_hours(at, 24L * days, buf);
	return buf;
}

static int
earn(struct accrue *a, struct mem *m, const char *txn, const char *at, int64_t points,
    const char **status, int64_t *entry_out)
{
	char expires[20], buf[20];
	const char *avail;
	int64_t entry;

	*status = "credited";
	if (points <= 0)
		return 0;
	if ((entry = ledger_journal_add(a->l, m->id, "earn", points, at, "receipt", txn,
	    NULL)) < 0)
		return -1;
	if ((avail = available_at(a, at, buf)) && strcmp(avail, a->now) > 0)
		*status = "pending";
	if (expire_pending_lot_date(a->l, m->id, at, avail, expires) < 0)
		return loy_error("receipt '%s' of %s: its points would expire past the year 9999",
		    txn, at);
	if (ledger_lot_add(a->l, m->id, entry, at, *expires ? expires : NULL, avail, points,
	    m->balance + m->delta) < 0)
		return -1;
	entry_moved(m, points, entry);
	*entry_out = entry;
	return 0;
}

/* May a balance go below zero at `at`: allow_negative of the version in
 * force then, as the return window and the points are, applied or not. */
static int
negative_ok(const struct accrue *a, const char *at)
{
	const struct programme *p = a->earn ? earn_at(a->earn, at) : NULL;
	char buf[8];
	const char *v = p ? programme_value(p, "allow_negative", buf, sizeof(buf)) : NULL;

	return v ? strcmp(v, "yes") == 0 : a->allow_negative;
}

/* What of `owed` points m can give up at `at` (a return, a bonus taken
 * back): lots past their date that the points would reach expire first,
 * as a punctual loy-expire run would have expired them (written to the
 * balance already); then all of it, or no more than the balance holds
 * unless the programme lets it go below zero.  -1 on error. */
static int64_t
takeable(struct accrue *a, struct mem *m, const char *at, int64_t owed)
{
	int64_t expired, have;

	if (expire_first(a->l, m->id, owed, at, &expired) < 0)
		return -1;
	m->balance -= expired;
	have = m->balance + m->delta;
	if (negative_ok(a, at) || owed <= have)
		return owed;
	return have > 0 ? have : 0;
}

/* Take back `owed` points of m for receipt `txn` of time `at`, from the lots
 * of entry `first` first (0: none): what takeable gives (`detail` says what
 * was not).  The points taken (an entry in *entry_out when any), or -1. */
static int64_t
take_back(struct accrue *a, struct mem *m, const char *txn, const char *at, int64_t owed,
    int64_t first, int64_t *entry_out, char *detail, size_t size)
{
	int64_t take, entry;

	if ((take = takeable(a, m, at, owed)) < 0)
		return -1;
	if (take < owed) {
		snprintf(detail, size, "%lld point%s not recovered: the balance may not go "
		    "below zero", (long long)(owed - take), owed - take == 1 ? "" : "s");
		a->unrecovered += owed - take;
	}
	if (take == 0)
		return 0;
	if ((entry = ledger_journal_add(a->l, m->id, "return", -take, at, "receipt", txn,
	    NULL)) < 0 || ledger_lots_take(a->l, m->id, take, entry, first, at) < 0)
		return -1;
	entry_moved(m, -take, entry);
	*entry_out = entry;
	return take;
}

/* Return `txn` of member m, of time `ret_at`, taken before purchase
 * `orig` of time `at` came, takes back now `owed` points that a balance at
 * zero kept it from taking then, out of the purchase's (its entry `first`
 * first), as take_back takes: an entry of the return's own, at the later
 * of the two times.  The points taken, or -1. */
static int64_t
take_late(struct accrue *a, struct mem *m, const char *txn, const char *ret_at,
    const char *at, int64_t owed, int64_t first)
{
	int64_t take, entry;

	if (strcmp(ret_at, at) > 0)
		at = ret_at;
	if ((take = takeable(a, m, at, owed)) <= 0)
		return take;
	if ((entry = ledger_journal_add(a->l, m->id, "return", -take, at, "receipt", txn,
	    NULL)) < 0 || ledger_lots_take(a->l, m->id, take, entry, first, at) < 0 ||
	    ledger_receipt_took(a->l, txn, take, entry) < 0)
		return -1;
	entry_moved(m, -take, entry);
	a->file_points -= take;
	a->file_late += take;
	return take;
}

/* The rows of the n returns v that took back late (take_late) what their
 * returned_points say, for purchase `orig` of time `at`. */
static void
late_rows(struct accrue *a, struct batch *b, struct mem *m, const char *orig, const char *at,
    const struct receipt_row *v, int n)
{
	for (int i = 0; i < n; i++)
		if (v[i].returned_points > 0) {
			char said[256];

			snprintf(said, sizeof(said), "%lld point%s it could not take back then, now "
			    "that '%s' came", (long long)v[i].returned_points,
			    v[i].returned_points == 1 ? "" : "s", orig);
			emit(b, a, v[i].txn_id, m->id, strcmp(v[i].occurred_at, at) > 0 ?
			    v[i].occurred_at : at, 0, -v[i].returned_points, "returned", said);
		}
}

/* Is `orig`, the original of m's return r, another member's (through
 * merges: m is no merged member)?  1 (`detail` says so), 0, or -1. */
static int
another_members(struct accrue *a, struct mem *m, const struct rcpt *r,
    const struct receipt_row *orig, char *detail, size_t size)
{
	int same;

	if (!orig->member_id || strcmp(orig->member_id, m->id) == 0)
		return 0;
	if ((same = ledger_member_same(a->l, orig->member_id, m->id)) < 0)
		return -1;
	if (same)
		return 0;
	snprintf(detail, size, "receipt '%s' returns '%s', a receipt of another member",
	    r->txn, r->orig);
	return 1;
}

/* Receipt txn, an original that a return names, as returns take from it:
 * an exchange as the purchase of its sales alone, the amount and points
 * of its return lines (ledger_receipt_exchanged) added back to its amount,
 * points and returned_amount (so that what is left of it stays what it
 * is).  1 found, 0 not, -1 error. */
static int
orig_get(struct accrue *a, const char *txn, struct receipt_row *orig)
{
	int64_t amount, points;
	int got = ledger_receipt_get(a->l, txn, orig);

	if (got <= 0 || !orig->orig_txn || orig->amount < 0 || !orig->member_id)
		return got;
	if (ledger_receipt_exchanged(a->l, txn, &amount, &points) < 0)
		return -1;
	orig->amount += amount;
	orig->returned_amount += amount;
	orig->points += points;
	return 1;
}

/* What a return of `amount` (negative) owes, into *owed (`before` as for
 * claw_back), and the entry of its original whose lots it takes from
 * first, into *first (0: none): it is recorded against its original, or
 * taken off the spend of its own period.  0, 1 (its original is another
 * member's: `detail` says so, nothing done), or -1. */
static int
return_owed(struct accrue *a, struct mem *m, const struct rcpt *r, int64_t amount,
    int64_t before, int64_t *owed_out, int64_t *first_out, int64_t *linked, char *detail,
    size_t size)
{
	struct receipt_row orig = { 0 };
	const struct programme *rate = earn_at(a->earn, r->occurred);
	int64_t back = -amount, owed, first = 0;
	int64_t at_rate = earn_base_points(rate, back - before) - earn_base_points(rate, -before);
	int got = 0, spent = 0, other;
	char amt[32], amt2[32];

	*linked = 0;
	if (r->orig && (got = maybe_taken(a, r->orig)) > 0)
		got = orig_get(a, r->orig, &orig);
	if (got < 0)
		return -1;
	if (got && (other = another_members(a, m, r, &orig, detail, size)) != 0) {
		receipt_row_clear(&orig);
		return other;
	}
	if (got && orig.member_id && orig.amount < 0) {
		/* a return of the member names no purchase: at the current
		 * rate, as a return whose original is not known */
		owed = at_rate;
		spent = 1;
		snprintf(detail, size, "original receipt '%s' is a return: at the current rate",
		    r->orig);
	} else if (got && (!orig.member_id || orig.amount <= 0)) {
		owed = 0;	/* no purchase of a member: nothing to take back */
		snprintf(detail, size, "original receipt '%s' earned no points", r->orig);
	} else if (got) {
		/* exactly what the original earned, in proportion, never more; the
		 * purchase keeps what came back, at most what is left of it */
		int64_t left = orig.amount - orig.returned_amount, kept = back;
		int64_t total = orig.returned_amount + back;
		__int128 target;

		if (total > orig.amount)
			total = orig.amount;
		if (kept > left) {
			kept = left > 0 ? left : 0;
			snprintf(detail, size, "returns %s, but only %s of '%s' was left to return",
			    money_format(back, a->decimals, amt), money_format(kept, a->decimals,
			    amt2), r->orig);
		}
		target = (__int128)orig.points * total / orig.amount;
		owed = (int64_t)target - orig.returned_points;
		if (owed < 0)
			owed = 0;
		if (orig.points <= 0)
			snprintf(detail, size, "original receipt '%s' earned no points", r->orig);
		/* and the spend it counted towards cumulative rules, in its period */
		if (kept > 0 && (ledger_receipt_returned(a->l, r->orig, kept, owed) < 0 ||
		    progress_less(a, m, orig.txn_id, orig.occurred_at, orig.store, orig.channel,
		    orig.amount, 0, kept) < 0)) {
			receipt_row_clear(&orig);
			return -1;
		}
		*linked = -kept;	/* the return keeps what it took off its purchase,
					   negative as its amount */
		first = orig.entry_id;
	} else {
		owed = at_rate;
		spent = 1;
		if (r->orig)
			snprintf(detail, size, "original receipt '%s' not known: at the "
			    "current rate", r->orig);
	}
	receipt_row_clear(&orig);
	/* no purchase of the member's to take it off: the spend of the
	 * return's own period, as for a purchase of the amount returned */
	if (spent && progress_less(a, m, r->txn, r->occurred, r->store, r->channel,
	    back - before, 0, back) < 0)
		return -1;
	*owed_out = owed;
	*first_out = first;
	return 0;
}

/* Return: claw back what the returned goods earned, of the return of
 * `amount` (negative), and `extra` points more: what the receipt's own
 * part settled early as a purchase earned.  `before` (0 or negative) is
 * what the parts of the return settled early came to: at the current
 * rate, the points are those of all of it less theirs, rounded down once.
 * 0, 1 (its original is another member's: `detail` says so), or -1. */
static int
claw_back(struct accrue *a, struct mem *m, struct rcpt *r, int64_t amount, int64_t before,
    int64_t extra, int64_t *points, int64_t *entry_out, int64_t *linked, char *detail,
    size_t size)
{
	int64_t owed, first, take;
	int rc = return_owed(a, m, r, amount, before, &owed, &first, linked, detail, size);

	if (rc != 0)
		return rc;
	if ((take = take_back(a, m, r->txn, r->occurred, owed + extra, first, entry_out, detail,
	    size)) < 0)
		return -1;
	*points = -take;
	return 0;
}

/* `said` after what detail says already ("member 2001 enrolled"), cut
 * as snprintf would. */
static void
detail_add(char *detail, size_t size, const char *said)
{
	size_t n = strlen(detail), k = strlen(said);

	if (!k)
		return;
	if (n && n + 2 < size) {
		memcpy(detail + n, "; ", 2);
		n += 2;
	}
	if (k > size - 1 - n)
		k = size - 1 - n;
	memcpy(detail + n, said, k);
	detail[n + k] = '\0';
}

/* What r's return lines (a negative amount or qty) come to, as a positive
 * amount: 0 when it has none. */
static int64_t
returned_lines(const struct rcpt *r)
{
	int64_t back = 0;

	for (int i = 0; i < r->n; i++)
		if (r->lines[i].amount < 0 || r->lines[i].qty < 0)
			back -= r->lines[i].amount;
	return back;
}

/* The sale lines of v (n of them) to its front, in their order, the
 * return lines after them: how many, and what they come to in *sales. */
static int
sale_lines(struct earn_line *v, int n, int64_t *sales)
{
	int k = 0;

	*sales = 0;
	for (int i = 0; i < n; i++) {
		struct earn_line ln = v[i];

		if (ln.amount < 0 || ln.qty < 0)
			continue;
		memmove(v + k + 1, v + k, (i - k) * sizeof(*v));
		v[k++] = ln;
		*sales += ln.amount;
	}
	return k;
}

/* Is member m's receipt r, whose total is 0 or more and whose return lines
 * come to `back`, an exchange: does its orig_txn name a purchase of m's
 * (or of a member merged into m) in the ledger, which its return lines
 * return?  1, 0 (a purchase of its total, as any other), or -1. */
static int
exchange(struct accrue *a, struct mem *m, const struct rcpt *r, int64_t back)
{
	struct receipt_row orig = { 0 };
	char detail[256];
	int got = 0;

	if (!r->orig || back <= 0)
		return 0;
	if ((got = maybe_taken(a, r->orig)) > 0)
		got = ledger_receipt_get(a->l, r->orig, &orig);
	if (got > 0) {
		got = orig.member_id && orig.amount > 0;
		if (got && (got = another_members(a, m, r, &orig, detail, sizeof(detail))) >= 0)
			got = !got;
	}
	receipt_row_clear(&orig);
	return got;
}

/* The return lines of m's exchange r, coming to `back`, count against its
 * original as a return of them would (return_owed): what they owe is
 * taken back, from the original's lot first, off *points (what its sales
 * earned, in an entry of its own before this one: *entry, else this
 * one's); res gets it as its [return] part and what they took off the
 * original, and *linked (negative) the latter; `said` says so, for the
 * exchange's row of its return lines.  The points taken, or -1. */
static int64_t
exchange_back(struct accrue *a, struct mem *m, struct rcpt *r, int64_t back,
    struct earn_result *res, int64_t *points, int64_t *linked, int64_t *entry,
    char *said, size_t size)
{
	int64_t owed, first, take, rentry = 0;
	char amt[32];

	*said = '\0';
	if (return_owed(a, m, r, -back, 0, &owed, &first, linked, said, size) != 0 ||
	    (take = take_back(a, m, r->txn, r->occurred, owed, first, &rentry, said,
	    size)) < 0)
		return -1;
	earn_result_add(res, EARN_RETURN, -take);
	res->returned = -*linked;
	*points -= take;
	if (!*entry)
		*entry = rentry;
	if (!*said)
		snprintf(said, size, "returns %s of '%s'", money_format(back, a->decimals, amt),
		    r->orig);
	return take;
}

/* The receipt's lines as the engine sees them: `old` (kept from an
 * earlier part of the receipt) first. */
static struct earn_line *
earn_lines(const struct rcpt *r, const struct earn_line *old, int nold)
{
	struct earn_line *v = loy_xmalloc((nold + r->n + 1) * sizeof(*v));

	if (nold)
		memcpy(v, old, nold * sizeof(*v));
	for (int i = 0; i < r->n; i++) {
		const struct rline *rl = &r->lines[i];
		const char *p = rl->prod ? rl->prod : "\0\0";
		struct earn_line *ln = &v[nold + i];

		ln->line = rl->no ? rl->no : nold + i + 1;	/* the same however it is cut */
		ln->sku = p;
		ln->category = p + strlen(p) + 1;
		ln->description = ln->category + strlen(ln->category) + 1;
		ln->qty = rl->qty;
		ln->qscale = rl->qscale;
		ln->amount = rl->amount;
	}
	return v;
}

/* What the rules may ask of a member, read once a run, or given (tier,
 * birthday, referrer, read with the member: taken over); NULL on error. */
static struct facts *
member_facts_given(struct accrue *a, struct mem *m, char *given[3])
{
	const char *segments = earn_segments(a->earn);
	struct facts **slot = (struct facts **)strmap_slot(a->facts, m->id, strlen(m->id), NULL);
	struct facts *f;

	if (*slot) {
		for (int i = 0; given && i < 3; i++)
			free(given[i]);
		return *slot;
	}
	*slot = f = calloc(1, sizeof(*f));
	if (!f)
		loy_die(71, "out of memory");
	if (given) {
		f->tier = given[0];
		f->birthday = given[1];
		f->referrer = given[2];
	} else if (ledger_earn_facts(a->l, m->id, &f->tier, &f->birthday, &f->referrer) < 0)
		return NULL;
	if (strcmp(segments, "[]") != 0 &&
	    ledger_earn_segments(a->l, m->id, segments, &f->segments) < 0)
		return NULL;
	return f;
}

static struct facts *
member_facts(struct accrue *a, struct mem *m)
{
	return member_facts_given(a, m, NULL);
}

/* Take visits and spend off member m's progress towards the cumulative
 * rules that a receipt of these facts counts towards, under the version in
 * force at its time (earn_progress_less).  0 or -1. */
static int
progress_less(struct accrue *a, struct mem *m, const char *txn, const char *occurred,
    const char *store, const char *channel, int64_t amount, int64_t visits, int64_t spend)
{
	struct earn_receipt er = { txn, occurred, store, channel, amount, NULL, 0 };
	struct earn_member em = { .id = m->id };

	if (a->needs_member) {
		struct facts *f = member_facts(a, m);

		if (!f)
			return -1;
		em.tier = f->tier;
		em.birthday = f->birthday;
		em.segments = f->segments;
	}
	{
		const struct programme *p = earn_at(a->earn, occurred);

		if (earn_progress_less(a->l, p, &er, &em, visits, spend,
		    a->settle_to == SETTLE_NOW ? &a->pending : NULL, &a->npending) < 0)
			return -1;
		if (a->settle_to == SETTLE_LATER)
			defer_add(a, m, p, &er, visits > 0 || spend > 0);
	}
	return 0;
}

/* The points of a receipt of member m under the version in force at its
 * time: 0 (*res filled in), 1 more than POINTS_MAX, 2 a rule's pattern gave
 * up or a line's multipliers are too fine to work out (see earn_compute),
 * -1 error.  A state st is that of a receipt settled in parts computed
 * again as a whole (NULL: the ledger's), which `first` says was the
 * member's first purchase. */
static int
compute(struct accrue *a, struct mem *m, const struct earn_receipt *er,
    struct earn_member *em, const struct programme **pp, struct earn_result *res,
    const struct earn_state *st, int first)
{
	int got;

	*pp = earn_at(a->earn, er->occurred);
	memset(em, 0, sizeof(*em));
	em->id = m->id;
	if (a->needs_member) {
		struct facts *f = member_facts(a, m);

		if (!f)
			return -1;
		em->tier = f->tier;
		em->birthday = f->birthday;
		em->segments = f->segments;
	}
	if (a->needs_first) {
		if (m->bought < 0) {
			if ((got = ledger_earn_bought(a->l, m->id)) < 0)
				return -1;
			m->bought = got;
		}
		em->first = first || !m->bought;
		/* for referral rules, a purchase returned whole (and its
		 * returns) counts no more, nor does the earlier part of a
		 * receipt settled in parts */
		em->referral_first = !m->bought;
		if (m->bought && a->needs_referral) {
			if (st) {
				if ((got = ledger_earn_standing(a->l, m->id, er->txn)) < 0)
					return -1;
			} else if ((got = m->standing) < 0) {
				if ((got = ledger_earn_standing(a->l, m->id, NULL)) < 0)
					return -1;
				m->standing = got;
			}
			em->referral_first = !got;
		}
	}
	return earn_compute(*pp, er, em, st ? st : &a->est, res);
}

/* Credit the awards v of receipt `txn` of time `at`, member m's (or, for
 * a referral, another member's): each an entry of its own and an output
 * row of status bonus, its lot pending as the receipt's own points are;
 * a cumulative bonus taken back (points negative) takes no more than the
 * balance may give, as a return does. */
static int
credit_awards(struct accrue *a, struct batch *b, struct mem *m, const struct programme *p,
    const char *txn, const char *at, const struct earn_award *v, int n)
{
	char buf[20];
	const char *avail = available_at(a, at, buf);

	for (int i = 0; i < n; i++) {
		struct mem *who = m;
		int64_t entry, got;
		char detail[256];

		if (strcmp(v[i].member, m->id) != 0) {
			if (known_member(a, v[i].member, &who) < 0)
				return -1;
			if (!who || who->closed)
				continue;
			/* its receipt settled early first: its points moved before */
			if (who != m && flush_member(a, b, who) < 0)
				return -1;
		}
		if (v[i].points < 0) {
			int64_t owed = -v[i].points, take;
			int done;

			if ((done = ledger_earn_awarded_own(a->l, v[i].rule->name, who->id,
			    v[i].key)) < 0)
				return -1;
			if (done)
				continue;	/* taken back already by this receipt */
			/* as a return */
			if ((take = takeable(a, who, at, owed)) < 0)
				return -1;
			if ((entry = earn_uncredit(a->l, &v[i], at, take)) < 0)
				return -1;
			if (entry) {
				who->delta -= take;
				who->last_entry = entry;
			}
			a->file_points -= take;
			if (take < owed)
				snprintf(detail, sizeof(detail), "%s; %lld point%s not recovered: the "
				    "balance may not go below zero", v[i].reason,
				    (long long)(owed - take), owed - take == 1 ? "" : "s");
			else
				snprintf(detail, sizeof(detail), "%s", v[i].reason);
			emit(b, a, txn, who->id, at, 0, -take, "bonus", detail);
			continue;
		}
		if ((entry = earn_credit(a->l, p ? p : earn_at(a->earn, at), &v[i], at,
		    avail, who->balance + who->delta, &got)) < 0)
			return -1;
		if (entry == 0)
			continue;
		who->delta += got;
		who->last_entry = entry;
		a->file_points += got;
		emit(b, a, txn, who->id, at, 0, got, "bonus", v[i].reason);
	}
	return 0;
}

/* The bonuses that settling a receipt took back or gave again on the way
 * (a return's, or a return's that became a purchase), after its own row. */
static int
credit_pending(struct accrue *a, struct batch *b, struct mem *m, const char *txn,
    const char *at)
{
	int rc = 0;

	if (a->npending && m)
		rc = credit_awards(a, b, m, NULL, txn, at, a->pending, a->npending);
	earn_awards_free(a->pending, a->npending);
	a->pending = NULL;
	a->npending = 0;
	return rc;
}

/* Member m's receipt `txn` of time `at` is settled early: the marks its
 * moves of progress would settle wait (struct defer), those of an earlier
 * one of m's settled first. */
static int
defer_begin(struct accrue *a, struct batch *b, struct mem *m, const char *txn, const char *at)
{
	struct defer *d;

	if (flush_member(a, b, m) < 0)
		return -1;
	d = m->defer = calloc(1, sizeof(*d));
	if (!d)
		loy_die(71, "out of memory");
	d->txn = loy_xstrdup(txn);
	snprintf(d->at, sizeof(d->at), "%s", at);
	d->bytes = sizeof(*d) + strlen(txn) + 1;
	a->mem_held += d->bytes;
	a->settle_to = SETTLE_LATER;
	return 0;
}

/* The bytes a mark waiting takes. */
static size_t
dsettle_bytes(const struct dsettle *x)
{
	return sizeof(*x) + strlen(x->txn) + strlen(x->occurred) + 2 +
	    (x->store ? strlen(x->store) + 1 : 0) + (x->channel ? strlen(x->channel) + 1 : 0);
}

static void
dsettle_free(struct accrue *a, struct defer *d, struct dsettle *x)
{
	size_t n = dsettle_bytes(x);

	d->bytes -= n;
	a->mem_held -= n;
	free(x->txn);
	free(x->occurred);
	free(x->store);
	free(x->channel);
}

/* The referral bonuses d holds, let go. */
static void
defer_referrals_free(struct accrue *a, struct defer *d)
{
	for (int i = 0; i < d->nref; i++) {
		size_t n = sizeof(d->ref[i]) + strlen(d->ref[i].member) + 1;

		d->bytes -= n;
		a->mem_held -= n;
		free((char *)d->ref[i].member);
	}
	free(d->ref);
	d->ref = NULL;
	d->nref = 0;
}

/* The referral bonuses v (n of them, under version p) that m's receipt
 * settled early gives as it is now, held instead of those it gave before. */
static void
defer_referrals(struct accrue *a, struct mem *m, const struct programme *p,
    const struct earn_award *v, int n)
{
	struct defer *d = m->defer;

	defer_referrals_free(a, d);
	d->rp = p;
	if (n == 0)
		return;
	d->ref = loy_xmalloc(n * sizeof(*d->ref));
	for (int i = 0; i < n; i++) {
		size_t bytes = sizeof(v[i]) + strlen(v[i].member) + 1;

		d->ref[i] = v[i];
		d->ref[i].member = loy_xstrdup(v[i].member);
		if (v[i].txn)
			d->ref[i].txn = d->txn;	/* the receipt's, as long as d */
		d->bytes += bytes;
		a->mem_held += bytes;
	}
	d->nref = n;
}

static void
defer_free(struct accrue *a, struct defer *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->n; i++)
		dsettle_free(a, d, &d->v[i]);
	defer_referrals_free(a, d);
	free(d->v);
	a->mem_held -= d->bytes;
	free(d->txn);
	free(d);
}

static char *
strdup_or_null(const char *s)
{
	return s ? loy_xstrdup(s) : NULL;
}

/* A mark for m's receipt settled early to settle later. */
static void
defer_add(struct accrue *a, struct mem *m, const struct programme *p,
    const struct earn_receipt *er, int down)
{
	struct defer *d = m->defer;
	struct dsettle *x;
	size_t n;

	if (!d)
		return;
	d->v = loy_xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	x = &d->v[d->n++];
	x->p = p;
	x->txn = loy_xstrdup(er->txn);
	x->occurred = loy_xstrdup(er->occurred);
	x->store = strdup_or_null(er->store);
	x->channel = strdup_or_null(er->channel);
	x->amount = er->amount;
	x->down = down;
	x->back = 0;
	n = dsettle_bytes(x);
	d->bytes += n;
	a->mem_held += n;
}

/* Purchase `orig` of member m, which a return (or returns taken before the
 * purchase) took from: when returns have left nothing of it, the referral
 * bonuses it gave go, and the uses it made of limited purchase rules
 * (earn_referral_back), where a return's move of
 * progress settles the marks (a->settle_to): into pending, with m's
 * receipt settled early (struct defer), or nowhere. */
static int
referral_back_keep(struct accrue *a, struct mem *m, const char *orig, int keep_uses)
{
	if (!a->needs_referral && !a->needs_limit)
		return 0;
	m->standing = -1;	/* it may stand no more */
	if (a->settle_to == SETTLE_NOW)
		return earn_referral_back(a->earn, a->l, orig, keep_uses, &a->pending,
		    &a->npending);
	if (a->settle_to == SETTLE_LATER && m->defer) {
		struct earn_receipt er = { orig, "", NULL, NULL, 0, NULL, 0 };

		defer_add(a, m, NULL, &er, 0);
		m->defer->v[m->defer->n - 1].back = keep_uses ? 2 : 1;
	}
	return 0;
}

static int
referral_back(struct accrue *a, struct mem *m, const char *orig)
{
	return referral_back_keep(a, m, orig, 0);
}

/* Settle the marks m's receipt settled early left waiting: the bonuses they
 * give or take back, rows of that receipt. */
static int
flush_member(struct accrue *a, struct batch *b, struct mem *m)
{
	struct defer *d = m->defer;
	int rc = 0;

	if (!d)
		return 0;
	m->defer = NULL;
	/* its referral bonuses first, as a receipt settled at once gives them */
	if (d->nref && credit_awards(a, b, m, d->rp, d->txn, d->at, d->ref, d->nref) < 0)
		rc = -1;
	for (int i = 0; i < d->n && rc == 0; i++) {
		struct dsettle *x = &d->v[i];
		struct earn_receipt er = { x->txn, x->occurred, x->store, x->channel, x->amount,
		    NULL, 0 };
		struct earn_member em = { .id = m->id };
		struct earn_award *v = NULL;
		int n = 0;

		if (x->back) {
			if (earn_referral_back(a->earn, a->l, x->txn, x->back == 2, &v, &n) < 0 ||
			    credit_awards(a, b, m, NULL, d->txn, d->at, v, n) < 0)
				rc = -1;
			earn_awards_free(v, n);
			continue;
		}
		if (a->needs_member) {
			struct facts *f = member_facts(a, m);

			if (!f) {
				rc = -1;
				break;
			}
			em.tier = f->tier;
			em.birthday = f->birthday;
			em.segments = f->segments;
		}
		if (earn_progress_settle(a->l, x->p, &er, &em, x->down, &v, &n) < 0 ||
		    credit_awards(a, b, m, NULL, d->txn, d->at, v, n) < 0)
			rc = -1;
		free(v);
	}
	defer_free(a, d);
	return rc;
}

/* Every member's marks left waiting, settled: the input ended, or the
 * members are to be forgotten. */
static int
flush_all(struct accrue *a, struct batch *b)
{
	for (size_t i = 0; i < a->nmems; i++)
		if (a->mems[i]->defer && flush_member(a, b, a->mems[i]) < 0)
			return -1;
	return 0;
}

/* The bonuses a credited receipt gives besides its own points (referral,
 * cumulative): entries of their own, one output row each.  A receipt
 * settled in parts that was `was` before its later lines (under version
 * pwas) counts as the whole it is now. */
static int
bonuses(struct accrue *a, struct batch *b, struct mem *m, const struct programme *p,
    const struct earn_receipt *er, const struct earn_member *em,
    const struct programme *pwas, const struct earn_receipt *was)
{
	struct earn_award *v = NULL;
	int n = 0, rc = -1;

	struct facts *f = a->needs_member ? member_facts(a, m) : NULL;
	struct mem *ref = NULL;

	if (a->needs_member && !f)
		return -1;
	/* a referrer merged since stands for its survivor; a member is never its
	 * own referrer, whatever merges made of the two (looked up only for a
	 * programme with referral rules: no other rule asks for it) */
	if (a->needs_referral && f && f->referrer && known_member(a, f->referrer, &ref) < 0)
		return -1;
	if (ref == m)
		ref = NULL;
	if ((pwas ? earn_purchase_awards_again(a->l, pwas, was, p, er, em,
	    ref ? ref->id : NULL, a->settle_to == SETTLE_NOW, &v, &n) :
	    earn_purchase_awards(a->l, p, er, em, ref ? ref->id : NULL,
	    a->settle_to == SETTLE_NOW, &v, &n)) < 0)
		goto out;
	if (a->settle_to == SETTLE_LATER && m->defer) {
		/* as a purchase settles them; the referral bonuses (all that
		 * v holds) wait with them, for what the whole receipt gives
		 * (a mark of progress only where a cumulative rule counts it:
		 * a programme that waits for its limits alone has none) */
		if (a->needs_progress)
			defer_add(a, m, p, er, 0);
		defer_referrals(a, m, p, v, n);
	} else if (credit_awards(a, b, m, p, er->txn, er->occurred, v, n) < 0)
		goto out;
	rc = 0;
out:
	free(v);
	return rc;
}

/* A receipt's lines as the ledger kept them (receipts.earn). */
struct old_lines {
	struct earn_line *v;
	char **text;
	int n;
	int first;		/* the receipt was the member's first purchase */
};

static int
old_line(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct old_lines *ol = ctx;
	struct earn_line *ln;

	(void)cols;
	if (!row || ncols < 14)
		return 0;
	ol->first = row[7] && atoi(row[7]) != 0;
	ol->v = loy_xrealloc(ol->v, (ol->n + 1) * sizeof(*ol->v));
	ol->text = loy_xrealloc(ol->text, (ol->n + 1) * sizeof(*ol->text));
	ln = &ol->v[ol->n];
	ol->text[ol->n++] = earn_line_from_row(ln, row[8], row[9], row[10], row[11], row[12],
	    row[13]);
	return 0;
}

static void
old_lines_free(struct old_lines *ol)
{
	for (int i = 0; i < ol->n; i++)
		free(ol->text[i]);
	free(ol->text);
	free(ol->v);
}

/* The points return or exchange r took back (an exchange's return lines'
 * [return] part), 0 or more, into *points: 0 or -1. */
static int
points_took(struct accrue *a, const struct receipt_row *r, int64_t *points)
{
	int64_t amount;

	*points = r->points < 0 ? -r->points : 0;
	if (r->amount >= 0 && ledger_receipt_exchanged(a->l, r->txn_id, &amount, points) < 0)
		return -1;
	if (*points < 0)
		*points = 0;
	return 0;
}

/* A return settled early that later lines make a purchase: what it took
 * off its original comes back to that one, as a purchase takes nothing off
 * it.  The original's returned_points come to what the other returns and
 * exchanges that took from it took back (not its points in proportion to
 * what they took off it: the last of them may have taken the rest), or to
 * its own less what this one took back when that is more (the points owed
 * when a balance at zero kept one from taking them all), never more than
 * it earned: what takes from it next takes no more than is left. */
static int
unlink_return(struct accrue *a, struct mem *m, const struct receipt_row *ret)
{
	struct receipt_row orig = { 0 };
	struct receipt_took *v = NULL;
	int64_t took, others = 0, target;
	int got = orig_get(a, ret->orig_txn, &orig), n = 0, rc = -1;

	if (got <= 0)
		return got;
	/* the spend it took off the original's cumulative rules comes back */
	if (progress_less(a, m, orig.txn_id, orig.occurred_at, orig.store, orig.channel,
	    orig.amount, 0, ret->returned_amount) < 0 || points_took(a, ret, &took) < 0 ||
	    (n = ledger_receipt_returns(a->l, ret->orig_txn, &v)) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		int64_t p;

		if (v[i].took <= 0 || strcmp(v[i].r.txn_id, ret->txn_id) == 0)
			continue;
		if (points_took(a, &v[i].r, &p) < 0)
			goto out;
		others += p;
	}
	target = orig.returned_points - took;
	if (target < others)
		target = others;
	if (target > orig.points)
		target = orig.points;
	if (target < 0)
		target = 0;
	rc = ledger_receipt_returned(a->l, ret->orig_txn, ret->returned_amount,
	    target - orig.returned_points);
out:
	if (n > 0)
		receipt_took_free(v, n);
	receipt_row_clear(&orig);
	return rc;
}

/* An exchange settled early whose later lines change it: what its return
 * lines took off its original (`kept`) goes back to that one, as a
 * return's does (unlink_return); *linked what its own returned_amount
 * changes by.  0 or -1. */
static int
exchange_undo(struct accrue *a, struct mem *m, const struct receipt_row *old, int64_t kept,
    int64_t *linked)
{
	struct receipt_row ret = *old;

	*linked = kept;
	ret.returned_amount = -kept;
	return kept ? unlink_return(a, m, &ret) : 0;
}

/* A return settled early whose later lines change what it is: what it
 * did is undone, as if it had not been settled; what it took off its
 * original goes back to that one (*linked: what its own returned_amount
 * changes by), or the amount it took off the spend of its own period
 * comes back.  Its points stay. */
static int
undo_return(struct accrue *a, struct mem *m, const struct rcpt *r,
    const struct receipt_row *old, int64_t *linked)
{
	struct receipt_row orig = { 0 };
	int got;

	if (old->returned_amount < 0 && old->orig_txn) {
		if (unlink_return(a, m, old) < 0)
			return -1;
		*linked = -old->returned_amount;
		return 0;
	}
	if (old->amount >= 0)
		return 0;
	got = old->orig_txn ? ledger_receipt_get(a->l, old->orig_txn, &orig) : 0;
	if (got < 0)
		return -1;
	if ((!got || (orig.member_id && orig.amount < 0)) &&
	    progress_less(a, m, r->txn, old->occurred_at, old->store, old->channel,
	    -old->amount, 0, old->amount) < 0)
		got = -1;
	receipt_row_clear(&orig);
	return got < 0 ? -1 : 0;
}

/* The first n marks of d no longer waited for: those of the receipt's
 * earlier parts, which no longer count as they did; nor the referral
 * bonuses they gave. */
static void
defer_drop(struct accrue *a, struct defer *d, int n)
{
	defer_referrals_free(a, d);
	for (int i = 0; i < n && i < d->n; i++)
		dsettle_free(a, d, &d->v[i]);
	if (n >= d->n) {
		d->n = 0;
		return;
	}
	memmove(d->v, d->v + n, (d->n - n) * sizeof(*d->v));
	d->n -= n;
}

/* More lines of a return at the current rate (no orig_txn) that leave it a
 * return: the spend of its own period less by the whole's amount, as the
 * whole takes it off.  A purchase so far counts no more (its visit and
 * spend come back off); a return so far took its own amount off already. */
static int
old_spend(struct accrue *a, struct mem *m, struct rcpt *r, const struct receipt_row *old,
    const struct receipt_row *row, int waits, int nwas)
{
	int64_t back = -row->amount;

	if (old->amount >= 0) {
		if (progress_less(a, m, r->txn, old->occurred_at, old->store, old->channel,
		    old->amount, 1, old->amount) < 0)
			return -1;
		if (waits)
			defer_drop(a, m->defer, nwas);
		a->settle_to = waits ? SETTLE_LATER : SETTLE_NOW;
		return progress_less(a, m, r->txn, row->occurred_at, old->store, old->channel,
		    back, 0, back);
	}
	/* the part added: a return takes more off, a sale gives some back */
	if (r->amount < 0)
		a->settle_to = waits ? SETTLE_LATER : SETTLE_NOW;
	return progress_less(a, m, r->txn, row->occurred_at, old->store, old->channel, back, 0,
	    -r->amount);
}

/*
 * Purchase `old` of member m, settled early, whose later lines leave
 * `left` of it (of its sales, an exchange's) for returns to take off it,
 * or make it no purchase (`left` below 0): what returns and exchanges took
 * off it follows, as if it had been settled whole before them.
 *
 * Those that took more than `left` give the rest back, the latest taken
 * first, and their spend comes back to the purchase's period; returns with
 * more than they took (of which nothing was left to them) take more, up to
 * `left`, the first taken first, off the purchase's period.  Of one that
 * is no purchase now, they give back all they took, and take their amount
 * off their own periods, as returns that name no purchase; its
 * returned_points are 0.  The points they took stand.  A return taken
 * after it in this input took its points in proportion, of what was left
 * of it, none for its rest; one taken before it (in an earlier run or
 * input: link_earlier) took them at its rate, for all of it: what it now
 * takes more adds what the rate owed for it to the purchase's
 * returned_points (*more), up to `points`, as link_earlier counts it.
 *
 * *had: what they took off it before; *given: what they gave back
 * (negative: took more).  0, 1 (an exchange took off one that is no
 * purchase now, which would have made it no exchange: `said` says why
 * these lines are refused), or -1.  Read only for a purchase that returns
 * took from or named.
 */
static int
returns_held(struct accrue *a, struct mem *m, const struct receipt_row *old, int64_t left,
    int64_t points, int64_t *had, int64_t *given, int64_t *more, struct receipt_row **late,
    int *nlate, char *said, size_t size)
{
	struct receipt_took *v;
	int64_t excess, room;
	int n = ledger_receipt_returns(a->l, old->txn_id, &v), rc = -1;

	*had = *given = *more = 0;
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		*had += v[i].took;
		if (left < 0 && v[i].r.amount >= 0) {
			snprintf(said, size, "receipt '%s' settled in parts becomes a return with "
			    "these lines, but exchange '%s' took goods of it back as a purchase's "
			    "(--rejects takes the receipt whole)", old->txn_id, v[i].r.txn_id);
			receipt_took_free(v, n);
			return 1;
		}
	}
	excess = left < 0 ? *had : *had - left;
	for (int i = n - 1; i >= 0 && excess > 0; i--) {
		const struct receipt_row *ret = &v[i].r;
		int64_t d = v[i].took < excess ? v[i].took : excess;

		if (d == 0)
			continue;
		if (ledger_receipt_give_back(a->l, ret->txn_id, d) < 0 ||
		    progress_less(a, m, old->txn_id, old->occurred_at, old->store, old->channel,
		    old->amount, 0, -d) < 0)
			goto out;
		excess -= d;
		*given += d;
	}
	for (int i = 0; left < 0 && i < n; i++) {
		/* each as a return at the current rate: its amount off its period */
		const struct receipt_row *ret = &v[i].r;
		int after = ret->run_id == old->run_id && ret->input_seq == old->input_seq;
		int64_t spend = after ? -ret->amount : v[i].took;

		if (spend && progress_less(a, m, ret->txn_id, ret->occurred_at, ret->store,
		    ret->channel, -ret->amount, 0, spend) < 0)
			goto out;
	}
	if (left < 0 && old->returned_points &&
	    ledger_receipt_returned(a->l, old->txn_id, 0, -old->returned_points) < 0)
		goto out;
	if (left < 0 && n)
		await(a, old->txn_id);	/* they wait for it, should it be one again */
	room = left - *had;
	for (int i = 0; i < n && room > 0; i++) {
		const struct receipt_row *ret = &v[i].r;
		int after = ret->run_id == old->run_id && ret->input_seq == old->input_seq;
		int64_t g = -ret->amount - v[i].took;

		if (ret->amount >= 0 || g <= 0)
			continue;	/* an exchange's return lines are not kept */
		if (g > room)
			g = room;
		if (ledger_receipt_give_back(a->l, ret->txn_id, -g) < 0 ||
		    progress_less(a, m, old->txn_id, old->occurred_at, old->store, old->channel,
		    old->amount, 0, g) < 0)
			goto out;
		if (!after) {
			/* taken at the rate, its spend off its own period: as
			 * link_spend moves it */
			const struct programme *rate = earn_at(a->earn, ret->occurred_at);
			int64_t owed = earn_base_points(rate, v[i].took + g) -
			    earn_base_points(rate, v[i].took), owed_all;

			if (progress_less(a, m, ret->txn_id, ret->occurred_at, ret->store,
			    ret->channel, -ret->amount, 0, -g) < 0)
				goto out;
			if (owed > points - old->returned_points - *more)
				owed = points - old->returned_points - *more;
			if (owed > 0)
				*more += owed;
			/* what it owes for all it took off it now, less what it
			 * took back: a balance at zero kept it from taking that,
			 * which it takes once the purchase's points are in */
			owed_all = earn_base_points(rate, v[i].took + g) + ret->points;
			if (owed_all > owed)
				owed_all = owed;
			if (owed_all > 0 && late && strcmp(ret->member_id, m->id) == 0) {
				struct receipt_row *x;

				*late = loy_xrealloc(*late, (*nlate + 1) * sizeof(**late));
				x = &(*late)[(*nlate)++];
				memset(x, 0, sizeof(*x));
				x->txn_id = loy_xstrdup(ret->txn_id);
				x->occurred_at = loy_xstrdup(ret->occurred_at);
				x->returned_points = owed_all;
			}
		}
		room -= g;
		*given -= g;
	}
	if (*more && ledger_receipt_returned(a->l, old->txn_id, 0, *more) < 0)
		goto out;
	rc = 0;
out:
	receipt_took_free(v, n);
	return rc;
}

/* What the returns of a purchase settled in parts did before its later
 * lines, into `said` (empty: nothing to say): they took `had` off it, and
 * now `had` less `given` (returns_held), none when it is a return now
 * (`left` below 0); and `taken` points, which stand, when its points are
 * other than those of its whole for them (-1: not). */
static void
held_said(const struct accrue *a, char *said, size_t size, int64_t had, int64_t given,
    int64_t left, int64_t taken)
{
	char amt[32], amt2[32], pts[48] = "";

	*said = '\0';
	if (!given && taken < 0)
		return;
	if (taken >= 0)
		snprintf(pts, sizeof(pts), "%s%lld point%s", given ? " and " : "",
		    (long long)taken, taken == 1 ? "" : "s");
	if (!given)
		snprintf(said, size, "returns before these lines took back %s of it, which "
		    "stand%s", pts, taken == 1 ? "s" : "");
	else if (left < 0)
		snprintf(said, size, "returns before these lines took back %s%s of it, a "
		    "purchase then: they return none of it now%s",
		    money_format(had, a->decimals, amt), pts, *pts ? ", their points stand" : "");
	else
		snprintf(said, size, "returns before these lines took back %s%s of it: they "
		    "return %s of it now%s", money_format(had, a->decimals, amt), pts,
		    money_format(had - given, a->decimals, amt2),
		    *pts ? ", their points stand" : "");
}

/* The counter of a receipt's status. */
static int
status_counter(const char *status)
{
	return strcmp(status, "pending") == 0 ? C_PENDING :
	    strcmp(status, "returned") == 0 ? C_RETURNED :
	    strcmp(status, "anonymous") == 0 ? C_ANONYMOUS : C_CREDITED;
}

/* More lines of a receipt already settled from this input: the receipt
 * grows, and the points follow its new total. */
static int
extend(struct accrue *a, struct batch *b, struct mem *m, struct rcpt *r,
    struct receipt_row *old, const uint64_t *digest)
{
	struct receipt_row row = *old;
	int nold = old->digest_len / (int)sizeof(uint64_t) - 1, n = nold + r->n;
	uint64_t *merged = loy_xmalloc((n + 1) * sizeof(*merged));
	int64_t points = 0, delta, entry, linked = 0, xfirst = 0;
	const char *status = !m ? "anonymous" : "credited";
	char detail[256] = "";
	int rc = -1, computed = 0;
	struct old_lines ol = { 0 };
	struct earn_line *lines = NULL;
	struct earn_receipt er;
	struct earn_member em;
	struct earn_result res;
	const struct programme *prog = NULL;
	struct earn_again again = { a->l, r->txn };
	struct earn_state again_st;
	/* its earlier parts' marks wait (struct defer): a move that undoes
	 * theirs settles none, the whole's wait with theirs, or replace them */
	int waits, nwas = 0;
	int undo = SETTLE_NOW, whole = SETTLE_NOW;
	/* an exchange so far: what its return lines took off its original,
	 * the points they took back, and what its sales came to, which is
	 * what it counted towards cumulative rules */
	int64_t okept = 0, otaken = 0, osales = old->amount, lk;
	int oexch = 0;
	/* what returns took off it so far, a purchase (an exchange's sales),
	 * and what they keep of it now; what was said of them */
	int64_t rs, rhad = 0, rgiven = 0, rmore = 0, psales = 0;
	/* those of them taken before it that take back, once its points
	 * are in, what a balance at zero kept them from taking (returns_held):
	 * the points in returned_points */
	struct receipt_row *late = NULL;
	int nlate = 0;
	int64_t nlate_pts = 0;
	char held[256] = "";
	/* a return so far, now a purchase: the returns counted against it */
	int relink = 0, nrel = 0;
	struct receipt_row *rel = NULL;
	struct rcpt w = { 0 };

	if (m && m->defer && strcmp(m->defer->txn, r->txn) != 0 && flush_member(a, b, m) < 0) {
		free(merged);
		return -1;
	}
	if (m)
		m->standing = -1;	/* what its returns took may move */
	if (m && old->orig_txn && old->amount >= 0) {
		if (ledger_receipt_exchanged(a->l, r->txn, &okept, &otaken) < 0 ||
		    ledger_earn_lines(a->l, r->txn, old_line, &ol) < 0) {
			free(merged);
			old_lines_free(&ol);
			return -1;
		}
		osales = 0;
		for (int i = 0; i < ol.n; i++)
			osales += ol.v[i].amount;
		oexch = okept || otaken || osales != old->amount;
	}
	rs = m && old->amount >= 0 ? old->returned_amount + okept : 0;
	waits = m && m->defer;
	if (waits) {
		nwas = m->defer->n;
		undo = SETTLE_NOT;
		whole = SETTLE_LATER;
	}
	a->settle_to = whole;

	memcpy(merged, old->digest, (nold + 1) * sizeof(*merged));
	memcpy(merged + nold + 1, digest + 1, r->n * sizeof(*merged));
	for (int i = 1; i <= n; i++)
		merged[i] = le64toh(merged[i]);
	sort_u64(merged + 1, n);
	for (int i = 1; i <= n; i++)
		merged[i] = htole64(merged[i]);
	row.amount = old->amount + r->amount;
	row.lines = old->lines + r->n;
	row.digest = merged;
	row.digest_len = (n + 1) * sizeof(*merged);
	if (strcmp(r->occurred, old->occurred_at) < 0)
		row.occurred_at = r->occurred;
	merged[0] = htole64(head(r, row.occurred_at));
	/* what take_back does not take of the whole now (row.unrecovered
	 * is the earlier parts' so far) */
	a->unrecovered = 0;
	if (rs > 0 && row.amount < 0) {
		/* a purchase so far that returns took from, now a return: they
		 * name no purchase (as in the whole), their points stand */
		if ((rc = returns_held(a, m, old, -1, 0, &rhad, &rgiven, &rmore, NULL, NULL,
		    held, sizeof(held))) != 0) {
			if (rc > 0)
				rc = reject_receipt(a, b, r, held);
			goto out;
		}
		held_said(a, held, sizeof(held), rhad, rgiven, -1, -1);
		rc = -1;
	}
	if (m && r->orig && r->amount < 0 && old->amount <= 0 && !oexch) {
		/* more of a return: against its original, as the first part was */
		int64_t back;

		if ((rc = claw_back(a, m, r, r->amount, old->amount, 0, &back, &row.entry_id,
		    &linked, detail, sizeof(detail))) != 0) {
			/* its original, not known when the first part was taken,
			 * came since as another member's: these lines are refused */
			if (rc > 0)
				rc = reject_receipt(a, b, r, detail);
			goto out;
		}
		points = old->points + back;
		/* these lines' shortfall on top of the earlier parts' */
		row.unrecovered = old->unrecovered + a->unrecovered;
		status = "returned";
		/* all of its original returned: its referral bonuses go too */
		rc = -1;
		if (linked < 0 && referral_back(a, m, r->orig) < 0)
			goto out;
		if (old->amount == 0) {
			/* a first part of 0.00 was a purchase: its visit comes
			 * off, as the whole is none */
			rc = -1;
			a->settle_to = undo;
			if (progress_less(a, m, r->txn, old->occurred_at, old->store, old->channel,
			    0, 1, 0) < 0)
				goto out;
			if (waits)
				defer_drop(a, m->defer, nwas);
			a->settle_to = whole;
		}
	} else if (m && r->orig && row.amount < 0 && (old->amount > 0 || oexch) &&
	    (oexch || (rc = claw_back(a, m, r, row.amount, 0, old->points, &points,
	    &row.entry_id, &linked, detail, sizeof(detail))) <= 0)) {
		/* a purchase so far, now a return: what its first part earned goes
		 * back, and the whole of it returns against its original, as it
		 * would have had it been settled at once; an exchange so far
		 * gives back to its original what its return lines took first */
		if (oexch) {
			a->settle_to = undo;
			if (exchange_undo(a, m, old, okept, &linked) < 0)
				goto out;
			a->settle_to = whole;
			if ((rc = claw_back(a, m, r, row.amount, 0, old->points, &points,
			    &row.entry_id, &lk, detail, sizeof(detail))) != 0)
				goto out;	/* its original is its member's: never 1 */
		}
		if (rc < 0)
			goto out;
		rc = -1;
		if ((oexch ? lk : linked) < 0 && referral_back(a, m, r->orig) < 0)
			goto out;
		if (oexch)
			linked += lk;
		/* nor does its first part count towards cumulative rules */
		a->settle_to = undo;
		if (progress_less(a, m, r->txn, old->occurred_at, old->store, old->channel,
		    osales, 1, osales) < 0)
			goto out;
		if (waits)
			defer_drop(a, m->defer, nwas);
		points += old->points;
		status = "returned";
	} else if (m) {
		rc = -1;
		*detail = '\0';	/* not what claw_back said of another member's original */
		a->settle_to = undo;
		if (row.amount >= 0) {
			/* the whole receipt again, its earlier lines as the ledger kept them */
			int64_t kept = 0, sales = row.amount, back, owed = 0, first = 0;
			int got, nl, exch;

			if (!ol.n && ledger_earn_lines(a->l, r->txn, old_line, &ol) < 0)
				goto out;
			for (int i = 0; i < ol.n; i++)
				kept += ol.v[i].amount;
			if (kept != old->amount) {
				/* a return so far, whose lines the ledger does not
				 * keep: one line of what they came to */
				struct earn_line *ln;

				ol.v = loy_xrealloc(ol.v, (ol.n + 1) * sizeof(*ol.v));
				ol.text = loy_xrealloc(ol.text, (ol.n + 1) * sizeof(*ol.text));
				ln = &ol.v[ol.n];
				ol.text[ol.n++] = NULL;
				memset(ln, 0, sizeof(*ln));
				ln->sku = ln->category = ln->description = "";
				ln->amount = old->amount - kept;
				ln->qty = ln->amount < 0 ? -1 : 1;
			}
			lines = earn_lines(r, ol.v, ol.n);
			nl = ol.n + r->n;
			back = 0;
			for (int i = 0; i < nl; i++)
				if (lines[i].amount < 0 || lines[i].qty < 0)
					back -= lines[i].amount;
			/* an exchange: its sales earn, its return lines return */
			if ((exch = exchange(a, m, r, back)) < 0)
				goto out;
			if (exch)
				nl = sale_lines(lines, nl, &sales);
			er = (struct earn_receipt){ r->txn, row.occurred_at, old->store,
			    old->channel, sales, lines, nl };
			/* as if settled at once: what its first part used of the
			 * rules' limits and budgets and of the member's caps is its
			 * own, and a first purchase stays one */
			earn_again_state(&again, &again_st);
			if ((got = compute(a, m, &er, &em, &prog, &res, &again_st, ol.first)) == 0) {
				points = psales = res.points;
				computed = 1;
			}
			if (got == 2) {
				char why[256];

				rc = reject_receipt(a, b, r, earn_gave_up(prog, &er, &res, why,
				    sizeof(why)));
				goto out;
			}
			if (got) {
				if (got > 0)
					loy_error("receipt '%s' would move more than %lld points",
					    r->txn, (long long)POINTS_MAX);
				goto out;
			}
			/* its lines taken: what it was so far is undone (not
			 * before, so that lines refused leave it as it was) */
			if (oexch ? exchange_undo(a, m, old, okept, &linked) < 0 :
			    undo_return(a, m, r, old, &linked) < 0)
				goto out;
			if (waits)
				defer_drop(a, m->defer, nwas);
			a->settle_to = whole;
			if (exch) {
				/* and its return lines return against its original
				 * as the whole's do */
				struct rcpt w = *r;

				snprintf(w.occurred, sizeof(w.occurred), "%s", row.occurred_at);
				if (return_owed(a, m, &w, -back, 0, &owed, &first, &lk, detail,
				    sizeof(detail)) != 0)
					goto out;
				linked += lk;
				res.returned = -lk;
				earn_result_add(&res, EARN_RETURN, -owed);
				points = res.points;
			}
			xfirst = first;
			if (rs > 0) {
				/* the returns that took from it keep no more of it than
				 * there is; what they took back stands, and the whole
				 * keeps what it earns less what they owe of it in
				 * proportion (on top of what they took) */
				int64_t owe = 0, took;

				if (returns_held(a, m, old, sales, psales, &rhad, &rgiven, &rmore,
				    &late, &nlate, held, sizeof(held)) != 0 ||
				    (rgiven < 0 && referral_back(a, m, r->txn) < 0))
					goto out;
				took = old->returned_points + rmore;
				if (sales > 0)
					owe = (int64_t)((__int128)psales * (rhad - rgiven) / sales);
				if (owe != took) {
					earn_result_add(&res, EARN_TAKEN, took - owe);
					points = res.points;
				}
				held_said(a, held, sizeof(held), rhad, rgiven, sales,
				    owe != took ? took : -1);
			}
			/* a return so far, now a purchase: the returns of the
			 * member's taken before that named it count against it, as
			 * against a purchase that comes after them (link_earlier) */
			relink = old->amount < 0;
		} else if (r->orig && old->amount < 0) {
			/* a return against its original so far, and still one: it
			 * takes off that one (or off its own period's spend) what
			 * the whole takes off, and owes what the whole owes */
			struct rcpt w = *r;
			struct receipt_row orig = { 0 };
			int64_t owed, first, lk;
			int got;

			got = maybe_taken(a, r->orig);
			if (got > 0)
				got = ledger_receipt_get(a->l, r->orig, &orig);
			if (got > 0)
				got = another_members(a, m, r, &orig, detail, sizeof(detail));
			receipt_row_clear(&orig);
			if (got) {
				/* its original came since as another member's */
				if (got > 0)
					rc = reject_receipt(a, b, r, detail);
				goto out;
			}
			if (undo_return(a, m, r, old, &linked) < 0)
				goto out;
			if (waits)
				defer_drop(a, m->defer, nwas);
			a->settle_to = whole;
			snprintf(w.occurred, sizeof(w.occurred), "%s", row.occurred_at);
			if (return_owed(a, m, &w, row.amount, 0, &owed, &first, &lk, detail,
			    sizeof(detail)) != 0 ||
			    (lk < 0 && referral_back(a, m, r->orig) < 0))
				goto out;
			linked += lk;
			points = -owed;
		} else {
			points = -earn_base_points(earn_at(a->earn, row.occurred_at), -row.amount);
			/* a return at the current rate: the spend of its own period
			 * is less by the whole's amount, as settled at once */
			if (!r->orig && old_spend(a, m, r, old, &row, waits, nwas) < 0)
				goto out;
		}
		delta = points - old->points;
		/* what it owes now and did not take, the whole's: what its
		 * earlier parts could not take is taken again here */
		row.unrecovered = 0;
		if (delta > 0) {
			if (earn(a, m, r->txn, row.occurred_at, delta, &status, &row.entry_id) < 0)
				goto out;
		} else if (delta < 0) {
			int64_t take = take_back(a, m, r->txn, row.occurred_at, -delta, xfirst,
			    &entry, detail, sizeof(detail));

			if (take < 0)
				goto out;
			row.unrecovered = -delta - take;
			points = old->points - take;
			/* the receipt's first entry, when its first part had none */
			if (take > 0 && !row.entry_id)
				row.entry_id = entry;
		}
		for (int i = 0; i < nlate; i++) {
			int64_t take = take_late(a, m, late[i].txn_id, late[i].occurred_at,
			    row.occurred_at, late[i].returned_points, row.entry_id);

			if (take < 0)
				goto out;
			late[i].returned_points = take;
			nlate_pts += take;
		}
		if (nlate_pts) {
			char said[96];

			snprintf(said, sizeof(said), "returns taken before it take back %lld point%s "
			    "they could not then", (long long)nlate_pts, nlate_pts == 1 ? "" : "s");
			detail_add(held, sizeof(held), said);
		}
		if (computed) {
			/* what the lines earned before, and the balance no longer
			 * had when they took it back, stays with the receipt */
			if (points != res.points)
				earn_result_add(&res, EARN_KEPT, points - res.points);
			if (earn_record_again(a->l, prog, &er, m->id, &res, row.entry_id) < 0)
				goto out;
			row.earn = earn_json(prog, &er, &em, &res, a->decimals);
		}
		if (row.amount < 0)
			status = "returned";
		else if (strcmp(old->status, "pending") == 0)
			status = "pending";
	}
	row.points = points;
	row.status = (char *)status;
	/* a purchase, or a return whose rules' points stay (its earn), keeps
	 * what its lines could not take back, as its rules' points say */
	if (row.amount >= 0 || row.earn)
		row.unrecovered = 0;
	/* what returns took off it came back (returns_held) */
	if (ledger_receipt_extend(a->l, &row, linked - rgiven) < 0)
		goto out;
	detail_add(detail, sizeof(detail), held);
	if (relink) {
		w = *r;
		snprintf(w.occurred, sizeof(w.occurred), "%s", row.occurred_at);
		w.store = old->store;
		w.channel = old->channel;
		w.amount = er.amount;
		if ((nrel = link_earlier(a, m, &w, er.amount, psales, row.entry_id, &rel, detail,
		    sizeof(detail))) < 0)
			goto out;
	}
	if (strcmp(status, old->status) != 0)	/* counted as what it is now */
		batch_recount(b, status_counter(old->status), status_counter(status));
	a->file_points += points - old->points;
	/* lines that took points back say so, whatever the receipt is */
	emit(b, a, r->txn, m ? m->id : NULL, row.occurred_at, r->amount, points - old->points,
	    points < old->points ? "returned" : status,
	    *detail ? detail : "more lines of this receipt");
	late_rows(a, b, m, r->txn, row.occurred_at, late, nlate);
	/* what its return took back, or gave again, before what it gives now */
	if (credit_pending(a, b, m, r->txn, row.occurred_at) < 0 ||
	    link_spend(a, b, m, &w, rel, nrel) < 0)
		goto out;
	if (computed) {
		/* its progress towards cumulative rules as the whole's: a
		 * purchase so far counted as it was, a return so far not */
		struct earn_receipt was = { r->txn, old->occurred_at, old->store, old->channel,
		    osales, NULL, 0 };

		if (bonuses(a, b, m, prog, &er, &em, earn_at(a->earn, old->occurred_at),
		    old->amount >= 0 ? &was : NULL) < 0)
			goto out;
	}
	if (waits) {
		/* a return gives no referral bonus, whatever its parts gave */
		if (row.amount < 0)
			defer_referrals_free(a, m->defer);
		/* the whole's marks: now, when no more of it can come */
		snprintf(m->defer->at, sizeof(m->defer->at), "%s", row.occurred_at);
		if (!a->early && flush_member(a, b, m) < 0)
			goto out;
	}
	rc = 0;
out:
	for (int i = 0; i < nrel; i++)
		receipt_row_clear(&rel[i]);
	free(rel);
	for (int i = 0; i < nlate; i++)
		receipt_row_clear(&late[i]);
	free(late);
	free(merged);
	free(row.earn);
	free(lines);
	old_lines_free(&ol);
	if (computed)
		earn_result_free(&res);
	return rc;
}

/* The receipt's facts for its digest: who (as the input names them), when
 * (its earliest line), where, and what it returns. */
static uint64_t
head(const struct rcpt *r, const char *occurred)
{
	uint64_t h = 14695981039346656037ULL;

	for (int i = 0; i < ID_COUNT; i++)
		h = fnv(h, r->id[i] ? r->id[i] : "");
	return fnv(fnv(fnv(h, occurred), r->store ? r->store : ""), r->orig ? r->orig : "");
}

/* Can the ledger have receipt `txn`?  0 no, its id sorts above every
 * txn_id there is; 1 perhaps; -1 error. */
static int
maybe_taken(struct accrue *a, const char *txn)
{
	int above = ledger_top_above(a->l, &a->top, txn);

	return above < 0 ? -1 : !above;
}

/* Does r name no member? */
static int
anonymous(const struct rcpt *r)
{
	return !r->id[ID_MEMBER] && !r->id[ID_CARD] && !r->id[ID_PHONE] && !r->id[ID_EMAIL];
}

/* The member of the purchase that r, naming no member, returns: *mp
 * NULL when orig_txn names no purchase of a member in the ledger, or
 * that member (or the one it was merged into) is closed.  0 or -1. */
static int
orig_member(struct accrue *a, const struct rcpt *r, struct mem **mp)
{
	struct receipt_row orig = { 0 };
	int got = 0;

	*mp = NULL;
	if (r->orig && (got = maybe_taken(a, r->orig)) > 0)
		got = ledger_receipt_get(a->l, r->orig, &orig);
	if (got > 0 && orig.member_id && orig.amount > 0)
		got = known_member(a, orig.member_id, mp);
	receipt_row_clear(&orig);
	if (got < 0)
		return -1;
	if (*mp && (!(*mp)->id || (*mp)->closed))
		*mp = NULL;
	return 0;
}

/* Would return r be refused whoever its member is, for one the ledger
 * does not know yet: it moves more points than loy counts, or its
 * orig_txn is a member's receipt (a new member has none)?  1 (why says
 * so), 0 no, -1 error. */
static int
return_refused(struct accrue *a, struct rcpt *r, char *why, size_t size)
{
	struct receipt_row orig = { 0 };
	int got = 0;

	if (r->amount >= 0)
		return 0;
	if (earn_base_points(earn_at(a->earn, r->occurred), -r->amount) > POINTS_MAX) {
		snprintf(why, size, "the receipt would move more than %lld points",
		    (long long)POINTS_MAX);
		return 1;
	}
	if (r->orig && (got = maybe_taken(a, r->orig)) > 0)
		got = ledger_receipt_get(a->l, r->orig, &orig);
	if (got > 0) {
		got = orig.member_id != NULL;
		if (got)
			snprintf(why, size, "receipt '%s' returns '%s', a receipt of another "
			    "member", r->txn, r->orig);
	}
	receipt_row_clear(&orig);
	return got;
}

/* Would the member --auto-enroll makes of the receipt be one no later
 * receipt could find?  So when every identifier it gives that identify_by
 * uses is a phone or an e-mail the member would not keep, as it fails the
 * programme's pattern: each run would enrol another.  Without --auto-enroll
 * (`unknown`), why says that the receipt names a member no one can enrol,
 * as loy-enroll refuses such a phone or e-mail too.  1 (why says so), 0. */
static int
unfindable(struct accrue *a, struct rcpt *r, int unknown, char *why, size_t size)
{
	int failed[ID_COUNT] = { 0 }, n = 0;

	for (int o = 0; o < a->norder; o++) {
		int i = a->order[o];

		if (!r->id[i])
			continue;
		if (i != ID_PHONE && i != ID_EMAIL)
			return 0;
		if (pattern_match(i == ID_PHONE ? a->phone : a->email, r->id[i],
		    strlen(r->id[i])) > 0)
			return 0;
		failed[i] = 1;
		n++;
	}
	if (n == 0)
		return 0;
	if (unknown && n == 2)
		snprintf(why, size, "unknown phone '" LOY_PII("%s") "' and email '" LOY_PII("%s")
		    "': they do not match the programme's phone_pattern and email_pattern, so "
		    "neither loy-enroll nor --auto-enroll enrols a member by them",
		    r->id[ID_PHONE], r->id[ID_EMAIL]);
	else if (unknown)
		snprintf(why, size, "unknown %s '" LOY_PII("%s") "': it does not match the "
		    "programme's %s_pattern, so neither loy-enroll nor --auto-enroll enrols a "
		    "member by it", failed[ID_PHONE] ? "phone" : "email",
		    r->id[failed[ID_PHONE] ? ID_PHONE : ID_EMAIL],
		    failed[ID_PHONE] ? "phone" : "email");
	else if (n == 2)
		snprintf(why, size, "phone '" LOY_PII("%s") "' and email '" LOY_PII("%s") "' do "
		    "not match the programme's phone_pattern and email_pattern, and the receipt "
		    "names its member by nothing else: --auto-enroll would enrol a member no "
		    "later receipt could find", r->id[ID_PHONE], r->id[ID_EMAIL]);
	else
		snprintf(why, size, "%s '" LOY_PII("%s") "' does not match the programme's "
		    "%s_pattern, and the receipt names its member by nothing else: "
		    "--auto-enroll would enrol a member no later receipt could find",
		    failed[ID_PHONE] ? "phone" : "email",
		    r->id[failed[ID_PHONE] ? ID_PHONE : ID_EMAIL],
		    failed[ID_PHONE] ? "phone" : "email");
	return 1;
}

/* At most this many originals awaited are held (LOY_AWAITED_ORIGINALS);
 * past it, every purchase is looked up. */
#define AWAITED_MAX 65536

/* A return taken before its original `orig` came: that one, when it
 * comes, looks the return up (link_earlier). */
static void
await(struct accrue *a, const char *orig)
{
	if (!a->awaited || a->awaited_all)
		return;	/* not read yet: the ledger has it by then */
	if (strmap_count(a->awaited) >= a->awaited_max) {
		a->awaited_all = 1;
		return;
	}
	*strmap_slot(a->awaited, orig, strlen(orig), NULL) = a;
}

static int
awaited_add(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct accrue *a = ctx;

	(void)ncols;
	(void)cols;
	if (row && row[0])
		await(a, row[0]);
	return a->awaited_all;	/* enough: stop */
}

/* Member m's purchase r, just recorded with `points` for `amount` (an
 * exchange's for its sales alone), its first entry `first`: the returns of
 * m's (or of a member merged into m) that named it in orig_txn before it
 * came, and took their points at the current rate, count against it now,
 * in the order they were taken, as if they had come after it.  Each takes
 * off it what is left of it, at most its own amount (the purchase's and
 * its own returned_amount), and the points it owed at its rate for that
 * part, at most what is left of the purchase's (its returned_points): a
 * later return owes the purchase's points in proportion less those.  The
 * points taken stand; what of those owed for that part a balance at zero
 * kept it from taking (the points it took count towards them first) it
 * takes now, out of the purchase's: an entry of its own, at its time (the
 * purchase's when later), from the purchase's lots first, as take_back
 * takes (a return of a member merged into m keeps what it took).  The
 * returns into *v, what each took off into (*v)[i].returned_amount
 * (negative) and what it took now into (*v)[i].returned_points (a
 * return's is 0 otherwise), for link_spend; `detail` says so.  Their
 * count, or -1. */
static int
link_earlier(struct accrue *a, struct mem *m, const struct rcpt *r, int64_t amount,
    int64_t points, int64_t first, struct receipt_row **v, char *detail, size_t size)
{
	int64_t left = amount, pleft = points, took = 0, late = 0;
	int n, k = 0;
	char amt[32];

	if (!a->awaited) {
		a->awaited = strmap_new();
		if (ledger_receipt_unlinked_origs(a->l, awaited_add, a) < 0)
			return -1;
	}
	if (!a->awaited_all && !strmap_get(a->awaited, r->txn, strlen(r->txn)))
		return 0;	/* no return waits for it: no look-up */
	if ((n = ledger_receipt_unlinked(a->l, r->txn, v)) <= 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct receipt_row *ret = &(*v)[i];
		int64_t kept = -ret->amount, owed;
		int same = strcmp(ret->member_id, m->id) == 0;

		if (!same && (same = ledger_member_same(a->l, ret->member_id, m->id)) < 0)
			goto fail;
		if (!same || left <= 0) {
			receipt_row_clear(ret);
			continue;
		}
		if (kept > left)
			kept = left;
		owed = earn_base_points(earn_at(a->earn, ret->occurred_at), kept);
		if (owed > pleft)
			owed = pleft;
		if (ledger_receipt_returned(a->l, ret->txn_id, -kept, 0) < 0 ||
		    ledger_receipt_returned(a->l, r->txn, kept, owed) < 0)
			goto fail;
		left -= kept;
		pleft -= owed;
		took += kept;
		ret->returned_amount = -kept;
		ret->returned_points = 0;
		/* a balance at zero kept it from taking them then; not one of
		 * a member merged into m since, whose receipt's entries are
		 * that member's */
		if (owed > -ret->points && strcmp(ret->member_id, m->id) == 0) {
			int64_t take = take_late(a, m, ret->txn_id, ret->occurred_at, r->occurred,
			    owed + ret->points, first);

			if (take < 0)
				goto fail;
			ret->points -= take;
			ret->returned_points = take;
			late += take;
		}
		if (k != i) {
			(*v)[k] = *ret;
			memset(ret, 0, sizeof(*ret));
		}
		k++;
	}
	if (k == 1)
		snprintf(detail + strlen(detail), size - strlen(detail), "%sreturn '%s' taken "
		    "before it returned %s of it", *detail ? "; " : "", (*v)[0].txn_id,
		    money_format(took, a->decimals, amt));
	else if (k > 1)
		snprintf(detail + strlen(detail), size - strlen(detail), "%s%d returns taken "
		    "before it returned %s of it", *detail ? "; " : "", k,
		    money_format(took, a->decimals, amt));
	if (late)
		snprintf(detail + strlen(detail), size - strlen(detail), ", and %lld point%s "
		    "%s could not take back then", (long long)late, late == 1 ? "" : "s",
		    k == 1 ? "it" : "they");
	return k;
fail:
	for (int i = 0; i < n; i++)
		receipt_row_clear(&(*v)[i]);
	free(*v);
	*v = NULL;
	return -1;
}

/* The spend of the n returns link_earlier counted against purchase r: what
 * each took off the purchase comes back to the spend of its own period,
 * which it was taken off at the current rate, and comes off the
 * purchase's period instead; the bonuses that moves give or take back
 * follow the purchase's.  0 or -1. */
static int
link_spend(struct accrue *a, struct batch *b, struct mem *m, const struct rcpt *r,
    const struct receipt_row *v, int n)
{
	/* a row for each that took back now what it could not then */
	late_rows(a, b, m, r->txn, r->occurred, v, n);
	for (int i = 0; i < n; i++)
		if (progress_less(a, m, v[i].txn_id, v[i].occurred_at, v[i].store, v[i].channel,
		    -v[i].amount, 0, v[i].returned_amount) < 0 ||
		    progress_less(a, m, r->txn, r->occurred, r->store, r->channel, r->amount, 0,
		    -v[i].returned_amount) < 0)
			return -1;
	/* they may have left nothing of it (it gave no referral bonus then);
	 * they took back at the current rate, and it keeps the rest of its
	 * points, the bonuses of limited rules with them: their uses stay */
	if (n > 0 && referral_back_keep(a, m, r->txn, 1) < 0)
		return -1;
	return n > 0 ? credit_pending(a, b, m, r->txn, r->occurred) : 0;
}

static int
settle(struct accrue *a, struct batch *b, struct rcpt *r)
{
	struct receipt_row row = { 0 }, old = { 0 };
	struct mem *m = NULL;
	const char *key, *value, *status = "anonymous";
	char detail[256] = "";
	int64_t points = 0;
	uint64_t *digest = NULL;
	int got, rc = -1, computed = 0;
	struct earn_line *lines = NULL;
	struct earn_receipt er;
	struct earn_member em;
	struct earn_result res;
	const struct programme *prog = NULL;
	struct receipt_row *linked = NULL;
	int nlinked = 0, exch = 0;
	int64_t earned = 0, back = 0, taken = 0;
	char said[256] = "";

	r->settled = 1;
	a->nsettled++;
	if (r->bad)
		return reject_receipt(a, b, r, r->bad);
	/* a return's original comes first, wherever it stands in the file (an
	 * exchange's too) */
	if (r->orig && (r->amount < 0 || (back = returned_lines(r)) > 0)) {
		struct rcpt *o = strmap_get(a->open, r->orig, strlen(r->orig));

		if (o && !o->settled && !(o->hold && a->early) && settle(a, b, o) < 0)
			return -1;
	}
	if (strcmp(r->occurred, a->limit) > 0) {
		char why[64];

		/* as loy-redeem and loy-enroll say it, with the time */
		snprintf(why, sizeof(why), "occurred_at '%s' is in the future", r->occurred);
		return reject_receipt(a, b, r, why);
	}
	{
		/* dates run to 9999: a lot must be able to expire within them */
		char until[20], buf[20];

		if (expire_pending_lot_date(a->l, NULL, r->occurred,
		    available_at(a, r->occurred, buf), until) == -2)
			return reject_receipt(a, b, r, "its points would expire past the year 9999");
	}
	/* the digest: receipt-level facts first, then the lines sorted */
	digest = loy_xmalloc((r->n + 1) * sizeof(*digest));
	digest[0] = head(r, r->occurred);
	memcpy(digest + 1, r->hash, r->n * sizeof(*digest));
	sort_u64(digest + 1, r->n);
	/* stored little-endian (a no-op on the usual machines) */
	for (int i = 0; i <= r->n; i++)
		digest[i] = htole64(digest[i]);
	row.txn_id = r->txn;
	row.occurred_at = r->occurred;
	row.store = r->store;
	row.channel = r->channel;
	row.amount = r->amount;
	row.lines = r->n;
	row.orig_txn = r->orig;
	row.input_seq = batch_seq(b);
	row.digest = digest;
	row.digest_len = (r->n + 1) * sizeof(*digest);
	if ((got = maybe_taken(a, r->txn)) > 0) {
		if (!a->seq && !(a->seq = ledger_receipt_seq(a->l)))
			goto out;
		got = ledger_receipt_seq_get(a->seq, r->txn, &old);
	}
	if (got < 0)
		goto out;
	if (got) {
		/* seen before */
		if (old.run_id == ledger_run_id(a->l) && old.input_seq == batch_seq(b) &&
		    ((uint64_t *)old.digest)[0] == htole64(head(r, old.occurred_at))) {
			/* more lines of a receipt this input began: settled early */
			if (strncmp(r->occurred, old.occurred_at, 10) != 0) {
				char why[256];

				/* as the lines of one receipt settled at once */
				snprintf(why, sizeof(why), "receipt '%s' has lines on %.10s and %.10s",
				    r->txn, old.occurred_at, r->occurred);
				rc = reject_receipt(a, b, r, why);
				goto out;
			}
			/* found when the receipt began: a return without a member
			 * found by its original has that one */
			if (old.member_id && (anonymous(r) ?
			    known_member(a, old.member_id, &m) < 0 || !m :
			    !(m = receipt_member(a, r, &key, &value))))
				goto out;
			/* all of it, as it grows */
			if ((got = ledger_receipt_get(a->l, r->txn, &old)) <= 0) {
				if (got == 0)
					loy_error("receipt '%s' is no longer in the ledger", r->txn);
				goto out;
			}
			if (r->orig)
				await(a, r->orig);	/* it may have become one */
			rc = extend(a, b, m, r, &old, digest);
			goto out;
		}
		const uint64_t *od = old.digest;
		int nold = old.digest_len / (int)sizeof(*digest) - 1;
		/* the same facts, at the same earliest time; or a part of it
		 * without its earliest line (as the same file read again is
		 * settled in parts, past LOY_RECEIPT_MEMORY), later that day */
		int facts = od[0] == digest[0] || (r->n < nold &&
		    strncmp(r->occurred, old.occurred_at, 10) == 0 &&
		    strcmp(r->occurred, old.occurred_at) > 0 &&
		    od[0] == htole64(head(r, old.occurred_at)));

		if (facts && subset_le(digest + 1, r->n, od + 1, nold)) {
			/* a receipt taken before, settled in parts, is one
			 * duplicate, as it is one receipt credited: its parts
			 * are noted in the ledger's temporary table, not in
			 * memory, as a file may hold millions */
			int part = r->n < nold ? ledger_part_seen(a->l, r->txn) : 0;

			if (part < 0)
				goto out;
			if (!part)
				batch_count(b, C_DUPLICATE);
			a->nduplicate++;
			emit(b, a, r->txn, old.member_id, old.occurred_at, r->amount, 0,
			    "duplicate", part ? "more lines of this receipt" : NULL);
			rc = 0;
			goto out;
		}
		char why[256];

		/* this run is no run of the ledger's yet (a failed or dry run
		 * never is one): the input that took it is named instead */
		if (old.run_id == ledger_run_id(a->l))
			snprintf(why, sizeof(why), "receipt '%s' was taken from '%s' earlier in "
			    "this run with other content", r->txn,
			    batch_input_name(b, old.input_seq));
		else
			snprintf(why, sizeof(why), "receipt '%s' was taken before (run %lld) with "
			    "other content", r->txn, (long long)old.run_id);
		rc = reject_as(a, b, r, "conflict", why);
		goto out;
	}
	if (!anonymous(r)) {
		if (!(m = receipt_member(a, r, &key, &value)) && !key) {
			char why[256];

			snprintf(why, sizeof(why), "the receipt names its member only by columns "
			    "the programme's identify_by ('%s') does not use",
			    ledger_setting(a->l, "identify_by"));
			rc = reject_receipt(a, b, r, why);
			goto out;
		}
		if (!m)
			goto out;
		if (!m->id) {
			char why[512];

			if (!a->auto_enroll) {
				/* counted for the run's last message (enrol them
				 * first) unless no one can enrol a member by what
				 * the receipt gives, or it is a return refused
				 * whoever its member is, as --auto-enroll says */
				if (!unfindable(a, r, 1, why, sizeof(why))) {
					if ((got = return_refused(a, r, why, sizeof(why))) < 0)
						goto out;
					if (!got) {
						snprintf(why, sizeof(why), strcmp(key, "phone") &&
						    strcmp(key, "email") ? "unknown %s '%s'" :
						    "unknown %s '" LOY_PII("%s") "'", key, value);
						a->unenrolled++;
					}
				}
				rc = reject_receipt(a, b, r, why);
				goto out;
			}
			/* nor does a receipt that names the member only by what
			 * the member would not keep */
			if (unfindable(a, r, 0, why, sizeof(why))) {
				rc = reject_receipt(a, b, r, why);
				goto out;
			}
			/* a return that would be refused once its member is
			 * enrolled enrols no one */
			if ((got = return_refused(a, r, why, sizeof(why))) < 0)
				goto out;
			if (got) {
				rc = reject_receipt(a, b, r, why);
				goto out;
			}
			if ((got = enroll_member(a, r, m)) < 0)
				goto out;
			if (got == 2) {
				snprintf(why, sizeof(why), "card '%s' is another member's",
				    r->id[ID_CARD]);
				rc = reject_receipt(a, b, r, why);
				goto out;
			}
			if (got > 0) {
				snprintf(why, sizeof(why), "member_id '%s' is taken, and the "
				    "programme's identify_by ('%s') does not know the member by it",
				    r->id[ID_MEMBER], ledger_setting(a->l, "identify_by"));
				rc = reject_receipt(a, b, r, why);
				goto out;
			}
			snprintf(detail, sizeof(detail), "member %s enrolled", m->id);
			{
				int64_t welcome;	/* written to the balance already */

				if (earn_signup(a->l, m->id, NULL, r->occurred, r->store, r->channel,
				    &welcome) < 0)
					goto out;
				m->balance += welcome;
			}
		}
		if (m->closed) {
			char why[256];

			snprintf(why, sizeof(why), "member '%s' is closed", m->id);
			rc = reject_receipt(a, b, r, why);
			goto out;
		}
	} else if (r->orig && (r->amount < 0 || back > 0)) {
		/* a return (or an exchange) without a member that names a
		 * member's purchase is that member's: the till kept no card, the
		 * receipt it returns did */
		if (orig_member(a, r, &m) < 0)
			goto out;
		if (m)
			snprintf(detail, sizeof(detail), "no member given: that of '%s'", r->orig);
	}
	/* an exchange: its sales earn, its return lines return */
	if (m && r->amount >= 0 && (exch = exchange(a, m, r, back)) < 0)
		goto out;
	/* settled early, it may have more lines to come: the marks it would
	 * settle wait until they cannot change (struct defer); an exchange's
	 * wait until both its moves are made, as they would for its parts */
	if (m && ((a->early || exch) && (a->needs_progress || a->needs_referral ||
	    a->needs_limit) ?
	    defer_begin(a, b, m, r->txn, r->occurred) :
	    flush_member(a, b, m)) < 0)
		goto out;
	row.member_id = m ? m->id : NULL;
	if (m && r->amount >= 0) {
		int64_t sales = r->amount;
		int n = r->n;

		lines = earn_lines(r, NULL, 0);
		if (exch)
			n = sale_lines(lines, n, &sales);
		er = (struct earn_receipt){ r->txn, r->occurred, r->store, r->channel, sales,
		    lines, n };
		if ((got = compute(a, m, &er, &em, &prog, &res, NULL, 0)) < 0)
			goto out;
		computed = got == 0;
	}
	if (m && (r->amount >= 0 ? !computed :
	    earn_base_points(earn_at(a->earn, r->occurred), -r->amount) > POINTS_MAX)) {
		char why[256];

		if (r->amount >= 0 && got == 2)
			earn_gave_up(prog, &er, &res, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "the receipt would move more than %lld points",
			    (long long)POINTS_MAX);
		rc = reject_receipt(a, b, r, why);
		goto out;
	}
	if (computed)
		earned = points = res.points;
	row.status = !m ? "anonymous" : r->amount < 0 ? "returned" : "credited";
	a->unrecovered = 0;
	if (!m) {
		batch_count(b, C_ANONYMOUS);
	} else if (r->amount >= 0) {
		if (earn(a, m, r->txn, r->occurred, points, &status, &row.entry_id) < 0 ||
		    earn_record(a->l, prog, &er, m->id, &res, row.entry_id) < 0)
			goto out;
		if (exch && (taken = exchange_back(a, m, r, back, &res, &points,
		    &row.returned_amount, &row.entry_id, said, sizeof(said))) < 0)
			goto out;
		row.status = (char *)status;
		batch_count(b, strcmp(status, "pending") == 0 ? C_PENDING : C_CREDITED);
	} else {
		char said[256] = "";

		status = "returned";
		if ((got = claw_back(a, m, r, r->amount, 0, 0, &points, &row.entry_id,
		    &row.returned_amount, said, sizeof(said))) < 0)
			goto out;
		if (got > 0) {
			rc = reject_receipt(a, b, r, said);
			goto out;
		}
		/* all of its original returned: its referral bonuses go too */
		if (row.returned_amount < 0 && referral_back(a, m, r->orig) < 0)
			goto out;
		/* after "member 2001 enrolled", when the return enrolled one */
		detail_add(detail, sizeof(detail), said);
		batch_count(b, C_RETURNED);
	}
	row.points = points;
	/* what a balance at zero kept a return from taking back, still owed
	 * (an exchange keeps it, as its rules' points say) */
	row.unrecovered = r->amount < 0 ? a->unrecovered : 0;
	if (computed)
		row.earn = earn_json(prog, &er, &em, &res, a->decimals);
	if (ledger_receipt_insert(a->l, &row) < 0)
		goto out;
	ledger_top_raise(&a->top, r->txn);
	if (m && r->amount < 0 && r->orig && row.returned_amount == 0)
		await(a, r->orig);
	else if (m && r->amount > 0 &&
	    (nlinked = link_earlier(a, m, r, r->amount - row.returned_amount, earned,
	    row.entry_id, &linked, detail, sizeof(detail))) < 0)
		goto out;
	if (m && m->file_no != a->file_no) {
		m->file_no = a->file_no;
		a->file_members++;
	}
	a->file_points += points;
	a->file_receipts++;
	if (exch) {
		/* what the ledger did, a row each: its sales earned, its return
		 * lines took back */
		emit(b, a, r->txn, m->id, r->occurred, er.amount, earned, status,
		    *detail ? detail : NULL);
		emit(b, a, r->txn, m->id, r->occurred, -back, -taken, "returned", said);
	} else
		emit(b, a, r->txn, m ? m->id : NULL, r->occurred, r->amount, points, status,
		    *detail ? detail : NULL);
	if (credit_pending(a, b, m, r->txn, r->occurred) < 0 ||
	    (computed && (bonuses(a, b, m, prog, &er, &em, NULL, NULL) < 0)) ||
	    link_spend(a, b, m, r, linked, nlinked) < 0)
		goto out;
	if (exch && !a->early && flush_member(a, b, m) < 0)
		goto out;
	rc = 0;
out:
	for (int i = 0; i < nlinked; i++)
		receipt_row_clear(&linked[i]);
	free(linked);
	a->settle_to = SETTLE_NOW;
	receipt_row_clear(&old);
	free(digest);
	free(row.earn);
	free(lines);
	if (computed)
		earn_result_free(&res);
	return rc;
}

/* An id to sort by: its first 8 bytes as a number compare as strcmp()
 * would, and most ids differ in them. */
struct by_id {
	uint64_t head;
	const char *id;
	void *p;
};

static struct by_id
by_id(const char *id, void *p)
{
	struct by_id k = { 0, id, p };

	for (int i = 0; i < 8 && id[i]; i++)
		k.head |= (uint64_t)(unsigned char)id[i] << (56 - 8 * i);
	return k;
}

static int
cmp_by_id(const void *x, const void *y)
{
	const struct by_id *a = x, *b = y;

	if (a->head != b->head)
		return a->head < b->head ? -1 : 1;
	return strcmp(a->id, b->id);
}

/*
 * Look up, in key order, the members the open receipts name by member_id
 * first, as find_member() would one by one in file order: a member table
 * larger than SQLite's page cache is then read page after page instead of
 * at random.  Only the cache of struct mem is filled, and only with members
 * the ledger has: nothing settling does changes what was read of them (their
 * points move through struct mem), while a member not there yet may be
 * enrolled by an earlier receipt.
 */
static int
prefetch_members(struct accrue *a, struct rcpt *keep)
{
	size_t n = 0, cap = strmap_count(a->open);
	struct by_id *v;
	int rc = 0;

	if (a->norder == 0 || a->order[0] != ID_MEMBER || cap < 2)
		return 0;
	if (a->nduplicate * 2 > a->nsettled)
		return 0;	/* a file taken before: its members are not needed */
	v = loy_xmalloc(cap * sizeof(*v));
	for (size_t i = 0; i < cap; i++) {
		struct rcpt *r = strmap_value(a->open, i);

		if (r != keep && !r->settled && !r->bad && r->id[ID_MEMBER])
			v[n++] = by_id(r->id[ID_MEMBER], r);
	}
	qsort(v, n, sizeof(*v), cmp_by_id);
	for (size_t i = 0, j; i < n && rc == 0; i = j) {
		const char *id = v[i].id;
		struct mem *m = NULL, **slot;
		struct mem_key k;

		mem_key(&k, ID_MEMBER, id);
		slot = (struct mem **)strmap_slot(a->members, k.s, k.n, NULL);
		mem_key_free(&k);
		/* a member not there yet is left to find_member() (the slot
		 * stays empty): settling an earlier receipt may enrol one under
		 * this id (--auto-enroll) */
		if (!*slot && (rc = known_member(a, id, &m)) == 0 && m) {
			*slot = m;
			/* and what the rules ask of them, which a run never changes */
			if (a->needs_member && !m->closed && !member_facts(a, m))
				rc = -1;
		}
		/* identify_by starts with member_id: find_member() would stop at
		 * this member, a member the ledger has */
		m = *slot && (*slot)->id ? *slot : NULL;
		for (j = i; j < n && v[j].head == v[i].head && strcmp(v[j].id, id) == 0; j++)
			((struct rcpt *)v[j].p)->mem = m ? m->no : 0;
	}
	free(v);
	return rc;
}

/* Every struct mem and struct facts the run holds, given back. */
static void
mems_clear(struct accrue *a)
{
	for (size_t i = 0; i < a->nmems; i++) {
		defer_free(a, a->mems[i]->defer);
		free(a->mems[i]->id);
		free(a->mems[i]);
	}
	for (size_t i = 0; a->facts && i < strmap_count(a->facts); i++) {
		struct facts *f = strmap_value(a->facts, i);

		free(f->tier);
		free(f->birthday);
		free(f->segments);
		free(f->referrer);
		free(f);
	}
	if (a->facts)
		strmap_clear(a->facts);
	strmap_clear(a->members);
	strmap_clear(a->byid);
	a->nmems = 0;
	a->mem_held = 0;
}

/* Note in the ledger the members held who had a receipt in this input. */
static int
note_file_members(struct accrue *a)
{
	for (size_t i = 0; i < a->nmems; i++) {
		struct mem *m = a->mems[i];

		if (m->id && m->file_no == a->file_no && ledger_seen_add(a->l, m->id) < 0)
			return -1;
	}
	a->forgot = 1;
	return 0;
}

/*
 * Forget every member the run holds, their balances written first, so that
 * memory stays flat however many members an import names
 * (LOY_MEMBER_MEMORY).  A member named again is read again from the ledger,
 * where their points so far now are; the members this input had a receipt
 * of are noted there (ledger_seen_add), so that its count stays exact.
 */
static int
forget_members(struct accrue *a)
{
	if (note_file_members(a) < 0 || write_balances(a) < 0)
		return -1;
	mems_clear(a);
	return 0;
}

/* Settle every open receipt but `keep` (the one being read, which most
 * likely has more lines to come); past LOY_MEMBER_MEMORY, then forget the
 * members. */
static int
settle_all(struct accrue *a, struct batch *b, struct rcpt *keep)
{
	int rc = prefetch_members(a, keep);
	struct pool *pool;
	struct rcpt **held = NULL;
	size_t nheld = 0;
	int carry;

	/* before the input ends, a receipt settled may have more lines to come */
	a->early = keep != NULL;
	for (size_t i = 0; i < strmap_count(a->open); i++) {
		struct rcpt *r = strmap_value(a->open, i);

		if (r == keep)
			continue;
		/* whole, when the input ends; a return or an exchange that names
		 * the one being read, when that one has its lines (as settle()
		 * settles the original first) */
		if (keep && (r->hold || (!r->settled && r->orig && strcmp(r->orig, keep->txn) == 0 &&
		    (r->amount < 0 || returned_lines(r) > 0)))) {
			held = loy_xrealloc(held, (nheld + 1) * sizeof(*held));
			held[nheld++] = r;
			r->waits = 1;
			continue;
		}
		if (rc == 0 && !r->settled && settle(a, b, r) < 0)
			rc = -1;
	}
	a->early = 0;
	/* the one being read settled too, as the original of a return or an
	 * exchange: its later lines extend it, as any receipt's settled early */
	carry = keep && !keep->settled;
	/* the marks left waiting: settled when no more lines can come, and
	 * before their members are forgotten */
	if (rc == 0 && (!keep || a->mem_held > a->mem_window))
		rc = flush_all(a, b);
	/* given back only now: a return may look its original up until the end */
	for (size_t i = 0; i < strmap_count(a->open); i++) {
		struct rcpt *r = strmap_value(a->open, i);

		if ((r != keep || !carry) && !r->waits) {
			free(r->lines);
			free(r->hash);
		}
	}
	pool = a->pool;
	a->pool = NULL;
	strmap_clear(a->open);
	a->held = 0;
	if (rc == 0 && a->mem_held > a->mem_window) {
		rc = forget_members(a);
		if (carry)
			keep->mem = 0;
		for (size_t i = 0; i < nheld; i++)
			held[i]->mem = 0;
	}
	/* the receipts still open, in the new pool; those held whole do not
	 * make the others be settled early again for their own weight */
	a->hold_bytes = 0;
	for (size_t i = 0; i < nheld + (size_t)carry; i++) {
		struct rcpt *r = rcpt_copy(a, i < nheld ? held[i] : keep);

		r->waits = 0;
		*strmap_slot(a->open, r->txn, strlen(r->txn), NULL) = r;
		if (i < nheld)
			a->hold_bytes += sizeof(*r) + r->cap * 16 + raw_bytes(r);
		else
			a->held += sizeof(*r) + r->cap * 16;
	}
	a->held += a->hold_bytes;
	free(held);
	pool_free(pool);
	return rc;
}

static int
accrue_file_end(void *ctx, struct batch *b)
{
	struct accrue *a = ctx;
	int rc = a->failed ? -1 : settle_all(a, b, NULL);

	if (rc == 0 && a->forgot) {	/* counted in the ledger */
		if (note_file_members(a) < 0 || ledger_seen_count(a->l, &a->file_members) < 0)
			rc = -1;
		a->forgot = 0;
	}
	for (size_t i = 0; i < strmap_count(a->refused); i++)
		free(strmap_value(a->refused, i));
	strmap_clear(a->refused);
	if (rc == 0 && ledger_parts_forget(a->l) < 0)
		rc = -1;
	return rc;
}

/* A row that is not even CSV refuses the receipt it belongs to, when its
 * txn_id can be read. */
static void
accrue_malformed(void *ctx, struct batch *b, const struct csvio_row *row)
{
	struct accrue *a = ctx;
	char *txn = field(a, row, F_TXN);
	struct rcpt *r = NULL;
	char why[512];
	int created;

	snprintf(why, sizeof(why), "row %s", row->bad);
	/* a receipt it is the first line of begins with it, refused, so that
	 * it is listed in its turn as any refused receipt is, its later lines
	 * refused with it */
	if (*txn && !(r = strmap_get(a->open, txn, strlen(txn))) && readable(txn) &&
	    !strmap_get(a->refused, txn, strlen(txn)))
		r = open_receipt(a, b, row, txn, &created);
	if (r) {
		mark_bad(a, r, row->line, "%s", why);
		keep_line(a, r, row, why, 0);
		return;
	}
	batch_reject(b, row, "%s", why);
	if (*txn && !strmap_get(a->refused, txn, strlen(txn))) {
		char num[24];

		snprintf(num, sizeof(num), "%ld", row->line);
		*strmap_slot(a->refused, txn, strlen(txn), NULL) = loy_xstrdup(num);
		/* a part of it settled before is set aside too */
		if (set_aside_whole(a, b, txn) < 0)
			a->failed = 1;
	}
}

/* Members without an id (not known) first, then by member_id. */
static int
cmp_mem_id(const void *x, const void *y)
{
	const struct mem *a = *(struct mem *const *)x, *b = *(struct mem *const *)y;

	if (!a->id || !b->id)
		return !!a->id - !!b->id;
	return strcmp(a->id, b->id);
}

/* Balances: one write per member the run holds, in member_id order, as the
 * balances are kept. */
static int
write_balances(struct accrue *a)
{
	if (a->nmems > 1)
		qsort(a->mems, a->nmems, sizeof(*a->mems), cmp_mem_id);
	for (size_t i = 0; i < a->nmems; i++) {
		struct mem *m = a->mems[i];

		if (!m->id || m->last_entry == 0)	/* no entry this run */
			continue;
		if (ledger_balance_add(a->l, m->id, m->delta, m->last_entry) < 0)
			return -1;
		m->balance += m->delta;
		m->delta = 0;
		m->last_entry = 0;
	}
	return 0;
}

static int
accrue_run_end(void *ctx, struct batch *b)
{
	struct accrue *a = ctx;

	(void)b;
	ledger_receipt_seq_free(a->seq);	/* before the run commits */
	a->seq = NULL;
	if (write_balances(a) < 0)
		return -1;
	a->read_all = 1;
	return 0;
}

static void
accrue_summary(void *ctx, struct batch *b, char *buf, size_t size)
{
	struct accrue *a = ctx;

	(void)b;
	size_t nm = a->file_members;

	snprintf(buf, size, "; %ld receipt%s, %zu member%s, %lld point%s", a->file_receipts,
	    a->file_receipts == 1 ? "" : "s", nm, nm == 1 ? "" : "s", (long long)a->file_points,
	    a->file_points == 1 || a->file_points == -1 ? "" : "s");
	if (a->file_late && strlen(buf) < size)
		snprintf(buf + strlen(buf), size - strlen(buf), "; returns taken before took "
		    "back %lld point%s they could not then", (long long)a->file_late,
		    a->file_late == 1 ? "" : "s");
}

static void
accrue_rejected(void *ctx, struct batch *b, const struct csvio_row *row, const char *reason)
{
	(void)ctx;
	(void)b;
	(void)row;
	(void)reason;
	/* receipts, not lines, make the output: a refused receipt's row is
	 * reject_as()'s; its lines are on stderr and in the rejects file */
}

/* How many of `what` (bytes, originals), from lo to 2^40, the environment
 * variable name allows, read as a whole number in a cell is read (digits
 * alone: no blank before them, nothing after them); dflt when it is not
 * set. */
static int
env_size(const char *name, size_t dflt, size_t lo, const char *what, size_t *v)
{
	const char *s = getenv(name);
	long long n;

	*v = dflt;
	if (!s || !*s)
		return 0;
	if (money_whole_parse(s, &n) != 0 || n < (long long)lo || n > (1LL << 40))
		return loy_error("%s '%s' is not a whole number of %s from %zu to %lld",
		    name, s, what, lo, 1LL << 40);
	*v = (size_t)n;
	return 0;
}

/* The memory variables loy-accrue reads, each refused as a usage error
 * before the run, as the programs refuse a bad LOY_NOW (cli_env_check). */
int
accrue_env_check(void)
{
	size_t v;

	return env_size("LOY_RECEIPT_MEMORY", OPEN_BYTES, 1024, "bytes", &v) < 0 ||
	    env_size("LOY_MEMBER_MEMORY", MEMBER_BYTES, 1024, "bytes", &v) < 0 ||
	    env_size("LOY_AWAITED_ORIGINALS", AWAITED_MAX, 1, "originals", &v) < 0 ? -1 : 0;
}

static int
setup(struct accrue *a, struct ledger *l)
{
	const char *s;
	char *copy, *tok, *save = NULL;
	int64_t per;
	int scale;
	const char *why;

	a->l = l;
	a->decimals = ledger_decimals(l);
	a->allow_negative = strcmp(ledger_setting(l, "allow_negative"), "yes") == 0;
	a->window_days = atoi(ledger_setting(l, "return_window_days"));
	a->earn_points = atoll(ledger_setting(l, "earn_points"));
	s = ledger_setting(l, "earn_amount");
	if (decimal_parse(s, &per, &scale, &why) < 0 || per <= 0 ||
	    money_mul_round(1, per, scale, a->decimals, &a->earn_per) < 0 || a->earn_per <= 0)
		return loy_error("ledger setting earn_amount '%s' is not usable", s);
	copy = loy_xstrdup(ledger_setting(l, "identify_by"));
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		for (int i = 0; i < ID_COUNT; i++)
			if (strcmp(tok, fields[F_MEMBER + i]) == 0 && a->norder < ID_COUNT)
				a->order[a->norder++] = i;
	}
	free(copy);
	if (a->norder == 0)
		return loy_error("ledger setting identify_by names no identifier");
	if (ledger_lowest_tier(l, &a->tier) < 0)
		return -1;
	memcpy(a->now, ledger_run_now(l), sizeof(a->now));
	when_add_hours(a->now, atol(ledger_setting(l, "future_tolerance_hours")), a->limit);
	if (!(a->phone = ledger_pattern(l, "phone_pattern")) ||
	    !(a->email = ledger_pattern(l, "email_pattern")))
		return -1;
	if (env_size("LOY_RECEIPT_MEMORY", OPEN_BYTES, 1024, "bytes", &a->window) < 0 ||
	    env_size("LOY_MEMBER_MEMORY", MEMBER_BYTES, 1024, "bytes", &a->mem_window) < 0 ||
	    env_size("LOY_AWAITED_ORIGINALS", AWAITED_MAX, 1, "originals", &a->awaited_max) < 0)
		return -1;
	{
		struct programme *pv;
		int np;

		if (programme_versions(l, &pv, &np) < 0)
			return -1;
		a->earn = earn_new(pv, np);
		a->needs_member = earn_needs_member(a->earn);
		a->needs_first = earn_needs_first(a->earn);
		a->needs_progress = earn_needs_progress(a->earn);
		a->needs_referral = earn_needs_referral(a->earn);
		a->needs_limit = earn_needs_limit(a->earn);
		earn_ledger_state(l, &a->est);
		a->facts = strmap_new();
	}
	a->open = strmap_new();
	a->refused = strmap_new();
	if (!a->whole)
		a->whole = strmap_new();
	a->members = strmap_new();
	a->byid = strmap_new();
	a->dropped = strmap_new();
	return 0;
}

static void
teardown(struct accrue *a)
{
	if (a->open) {
		for (size_t i = 0; i < strmap_count(a->open); i++) {
			struct rcpt *r = strmap_value(a->open, i);

			free(r->lines);
			free(r->hash);
		}
		strmap_free(a->open);
	}
	pool_free(a->pool);
	if (a->members)
		mems_clear(a);
	earn_free(a->earn);
	strmap_free(a->facts);
	free(a->mems);
	ledger_top_free(&a->top);
	ledger_receipt_seq_free(a->seq);
	strmap_free(a->members);
	strmap_free(a->byid);
	for (size_t i = 0; a->dropped && i < strmap_count(a->dropped); i++)
		free(strmap_value(a->dropped, i));
	strmap_free(a->dropped);
	strmap_free(a->refused);
	strmap_free(a->whole);
	strmap_free(a->awaited);
	pattern_free(a->phone);
	pattern_free(a->email);
	free(a->tier);
}

/* The run taken again (set_aside_whole): all of it forgotten but the
 * receipts to hold whole; accrue_begin sets it up again. */
static int
accrue_again(void *ctx)
{
	struct accrue *a = ctx;
	struct accrue fresh = { .cli = a->cli, .l = a->l, .auto_enroll = a->auto_enroll,
	    .top = { .last = ledger_receipt_last }, .whole = a->whole };

	a->whole = NULL;
	teardown(a);
	*a = fresh;
	return 0;
}

/* As the run's transaction begins: the settings, patterns and earning
 * rules of the programme as the ledger holds it then. */
static int
accrue_begin(void *ctx)
{
	struct accrue *a = ctx;

	return setup(a, a->l);
}

int
accrue_receipts(const struct cli *cli, struct ledger *l, int auto_enroll, int nfiles,
    char **files, const char *args)
{
	struct accrue a = { .cli = cli, .l = l, .auto_enroll = auto_enroll,
	    .top = { .last = ledger_receipt_last } };
	struct batch_job job = {
		.fields = fields, .output = out_cols, .counters = counters,
		.file = accrue_file, .row = accrue_row, .rejected = accrue_rejected,
		.file_end = accrue_file_end, .run_end = accrue_run_end,
		.malformed = accrue_malformed, .again = accrue_again, .begin = accrue_begin,
		.summary = accrue_summary, .ctx = &a,
	};
	int status;

	status = batch_run(&job, cli, l, nfiles, files, args);
	/* after the rows it listed, what to do about the members it does not
	 * know (--auto-enroll would have enrolled them): once every input was
	 * read, not for a run an error stopped, whose count is of a part and
	 * whose error is the one to mend */
	if ((status == LOY_EX_DATAERR || status == LOY_EX_SETASIDE) && a.unenrolled &&
	    a.read_all)
		loy_warn(a.unenrolled == 1 ? "%ld receipt names a member the ledger does not "
		    "know: enrol the member with loy-enroll first, or give --auto-enroll" :
		    "%ld receipts name members the ledger does not know: enrol them with "
		    "loy-enroll first, or give --auto-enroll", a.unenrolled);
	teardown(&a);
	return status;
}
