#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attrs.h"
#include "batch.h"
#include "diag.h"
#include "earn.h"
#include "enroll.h"
#include "expire.h"
#include "ledger_member.h"
#include "pattern.h"
#include "programme.h"
#include "strmap.h"
#include "utf8.h"
#include "when.h"

/* Input fields, in member_field order where they are member columns. */
enum { IN_ID, IN_CARD, IN_NAME, IN_PHONE, IN_EMAIL, IN_BIRTHDAY, IN_ENROLLED_AT,
	IN_REFERRER, IN_STORE, IN_CHANNEL, IN_COUNT };
static const char *const in_fields[] = {
	"member_id", "card", "name", "phone", "email", "birthday", "enrolled_at",
	"referrer", "store", "channel", NULL
};
static const enum member_field in_member[IN_COUNT] = {
	MF_ID, MF_COUNT, MF_NAME, MF_PHONE, MF_EMAIL, MF_BIRTHDAY, MF_ENROLLED_AT,
	MF_REFERRER, MF_STORE, MF_CHANNEL
};
/* Columns of members and cards an import may not set: loy sets each,
 * from other columns or by its own command. */
static const char *const kept_out[] = {
	"status", "tier", "merged_into", "closed_at", "merged_at", "into_referrer",
	"merged_run", "forgotten_at", "created_run", "updated_run", "phone_key", "attrs",
	"issued_at", "ended_at", "replaced_by", "run_id", NULL
};

enum { C_CREATED, C_UPDATED, C_UNCHANGED };
static const struct batch_counter counters[] = {
	{ "created", BATCH_CHANGED }, { "updated", BATCH_CHANGED },
	{ "unchanged", BATCH_UNCHANGED }, { NULL, 0 }
};
static const char *const out_cols[] = { "line", "member_id", "status", "detail", NULL };

/*
 * The member ids a run has met, each with what the run knows of it: a
 * member it created, or one it found merged into no one (either stands for
 * itself as a referrer).  Ids that come in ascending order (as an export
 * lists them) are appended to a sorted array, found again by bisection;
 * the others go to a hash map.  The first bytes of every FENCE-th id of the
 * array, kept apart (a 64th of its size), take a search most of the way
 * without reading the array itself: a million ids are more than the
 * processor's caches hold, a referrer is anywhere among them.
 */
#define FENCE 64
/* ID_ASSIGNED: the run gave the id to a new member of a row without one;
 * ID_REFUSED: only rows set aside before their id was looked at named it */
enum { ID_MET, ID_CREATED, ID_PLAIN, ID_ASSIGNED, ID_REFUSED };
static char id_marks[ID_REFUSED + 1];	/* the hash map's values: &id_marks[mark] */

/* Strings one after another, each NUL-terminated, found by offset. */
struct texts {
	char *s;
	size_t len, cap;
};

/* Add s[0..n) and a NUL: its offset. */
static size_t
texts_add(struct texts *t, const char *s, size_t n)
{
	size_t off = t->len;

	if (t->len + n + 1 > t->cap) {
		while (t->len + n + 1 > t->cap)
			t->cap = t->cap ? 2 * t->cap : 65536;
		t->s = loy_xrealloc(t->s, t->cap);
	}
	memcpy(t->s + off, s, n);
	t->s[off + n] = '\0';
	t->len += n + 1;
	return off;
}

struct idset {
	struct texts ids;	/* the sorted ids */
	size_t *off;
	unsigned char *mark;
	size_t n, cap;
	uint64_t *fence;	/* of id i * FENCE: its first 8 bytes, big-endian */
	struct strmap *other;	/* ids that came out of order, and after them */
};

/* The first 8 bytes of s[0..n) as a number that orders as the bytes do
 * (a shorter id padded with NULs, which no id holds). */
static uint64_t
prefix8(const char *s, size_t n)
{
	uint64_t p = 0;

	for (size_t i = 0; i < 8; i++)
		p = p << 8 | (i < n ? (unsigned char)s[i] : 0);
	return p;
}

/* A place to set an id's mark: the byte in the array, or the map's slot. */
struct idref {
	unsigned char *byte;
	void **slot;
};

/* The sorted array's index of the id, or -1. */
static long
idset_find(const struct idset *s, const char *id, size_t n)
{
	size_t flo = 0, fhi = (s->n + FENCE - 1) / FENCE, end;
	uint64_t p = prefix8(id, n);

	if (!fhi)
		return -1;
	/* the last fence id not after `id`: the id is in its stretch */
	while (fhi - flo > 1) {
		size_t mid = flo + (fhi - flo) / 2;
		int c = s->fence[mid] != p ? (s->fence[mid] < p ? -1 : 1) :
		    ledger_key_cmp(s->ids.s + s->off[mid * FENCE], id, n);

		if (c == 0)
			return mid * FENCE;
		if (c < 0)
			flo = mid;
		else
			fhi = mid;
	}
	/* a stretch is a few cache lines: read it through */
	end = (flo + 1) * FENCE < s->n ? (flo + 1) * FENCE : s->n;
	for (size_t i = flo * FENCE; i < end; i++) {
		int c = ledger_key_cmp(s->ids.s + s->off[i], id, n);

		if (c >= 0)
			return c == 0 ? (long)i : -1;
	}
	return -1;
}

/* Add an id: 1 if it is new, 0 if the run met it before; either way ref
 * says where its mark is. */
static int
idset_add(struct idset *s, const char *id, struct idref *ref)
{
	size_t n = strlen(id);
	long i;
	int fresh;

	ref->byte = NULL;
	ref->slot = NULL;
	if (!strmap_count(s->other)) {
		const char *last = s->n ? s->ids.s + s->off[s->n - 1] : NULL;

		if (!last || ledger_key_cmp(last, id, n) < 0) {
			if (s->n == s->cap) {
				s->cap = s->cap ? 2 * s->cap : 4096;
				s->off = loy_xrealloc(s->off, s->cap * sizeof(*s->off));
				s->mark = loy_xrealloc(s->mark, s->cap);
				s->fence = loy_xrealloc(s->fence, s->cap / FENCE * sizeof(*s->fence));
			}
			if (s->n % FENCE == 0)
				s->fence[s->n / FENCE] = prefix8(id, n);
			s->off[s->n] = texts_add(&s->ids, id, n);
			s->mark[s->n] = ID_MET;
			ref->byte = &s->mark[s->n++];
			return 1;
		}
	}
	if ((i = idset_find(s, id, n)) >= 0) {
		ref->byte = &s->mark[i];
		return 0;
	}
	ref->slot = strmap_slot(s->other, id, n, &fresh);
	if (fresh)
		*ref->slot = &id_marks[ID_MET];
	return fresh;
}

/* Valid until the next idset_add. */
static void
idset_mark(struct idref *ref, int mark)
{
	if (ref->byte)
		*ref->byte = mark;
	else if (ref->slot)
		*ref->slot = &id_marks[mark];
}

static int
idset_ref_mark(const struct idref *ref)
{
	return ref->byte ? *ref->byte : (char *)*ref->slot - id_marks;
}

/* The id's mark, -1 when the run has not met it. */
static int
idset_get(const struct idset *s, const char *id)
{
	size_t n = strlen(id);
	long i = idset_find(s, id, n);
	char *v;

	if (i >= 0)
		return s->mark[i];
	v = strmap_get(s->other, id, n);
	return v ? v - id_marks : -1;
}

/* Claim an id for the row: 1 if no row of the run has had it, 0 if one
 * has; either way ref says where its mark is.  A row set aside before its
 * id was looked at leaves it to the next. */
static int
idset_claim(struct idset *s, const char *id, struct idref *ref)
{
	if (idset_add(s, id, ref))
		return 1;
	if (idset_ref_mark(ref) != ID_REFUSED)
		return 0;
	idset_mark(ref, ID_MET);
	return 1;
}

#define QMAX 64		/* new members queued before they are inserted */

struct import {
	struct ledger *l;
	struct ledger_bulk *bk;
	struct pattern *phone, *email;
	struct idset seen;	/* member ids of this run */
	struct ledger_chains *chains;	/* where the chains of referrers end */
	char *tier;		/* lowest tier, for new members */
	int col[IN_COUNT];
	int *attr;		/* columns kept as attributes */
	char **akey;		/* their names in lower case, as attrs keys */
	int nattr;
	int akey_ok;		/* no two columns share a key: the row's JSON is exact */
	int clear;		/* --clear-empty: an empty cell clears the value */
	char *json;		/* the row's attributes as JSON (akey_ok) */
	size_t jcap;
	char now[20];
	char limit[20];		/* now + future_tolerance_hours */
	struct member m;
	int by[3], nby;		/* identify_by without member_id */
	int known_first;	/* the last id was taken: look up before inserting */
	long created;		/* members created by this run */
	long members0;		/* members before the run (-1 not counted yet) */
	int bulk_done;		/* indexes dropped, or that will not pay */
	/* A first import into a ledger without members or cards, and with no
	 * sign-up or referral rule: the run knows every member and card there
	 * is, so new members are queued and inserted many to a statement, and
	 * so are their cards while each sorts after the last one. */
	int fresh;
	struct member q[QMAX];	/* fields point into qtext once flushed */
	size_t qoff[QMAX][MF_CREATED_RUN];
	int nq;
	struct texts qtext;
	/* The queued members' cards that sort above every card the ledger
	 * had (so are free), each with its member: in ctext. */
	size_t cqoff[QMAX][2];
	int ncq;
	struct texts ctext;
	char *card_max;		/* the card that sorts last in the ledger and the queue */
	size_t card_max_cap;
};

static int
in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcasecmp(*list, s) == 0)
			return 1;
	return 0;
}

/* Is column c one that --rejects added, in a rejects file read back: a file
 * with a line and a reason column (each named rejected_line, rejected_reason
 * where the input had one already)?  Its line, reason and file are the
 * input's own where rejected_line, rejected_reason or rejected_file stands
 * beside them, but in a rejects file of a rejects file, which has both
 * rejected_line and rejected_reason, they are the first one's; a file column
 * of the rejects file's own stands just before its line. */
static int
rejects_column(struct csvio_reader *r, int c)
{
	static const char *const added[] = { "file", "line", "reason", NULL };
	const char *name = csvio_colname(r, c);
	int again = csvio_col(r, "rejected_line") >= 0 && csvio_col(r, "rejected_reason") >= 0;
	char renamed[32];

	if ((csvio_col(r, "line") < 0 && csvio_col(r, "rejected_line") < 0) ||
	    (csvio_col(r, "reason") < 0 && csvio_col(r, "rejected_reason") < 0))
		return 0;
	if (strncasecmp(name, "rejected_", 9) == 0 && in_list(added, name + 9))
		return 1;
	if (!in_list(added, name))
		return 0;
	snprintf(renamed, sizeof(renamed), "rejected_%s", name);
	if (!again && csvio_col(r, renamed) >= 0)
		return 0;
	if (strcasecmp(name, "file") == 0)
		return c + 1 < csvio_ncols(r) &&
		    (strcasecmp(csvio_colname(r, c + 1), "line") == 0 ||
		    strcasecmp(csvio_colname(r, c + 1), "rejected_line") == 0);
	return 1;
}

/* The attrs key of a column name: lower case, as merge_attrs makes it. */
static char *
attr_key(const char *name)
{
	char *key = loy_xstrdup(name);

	for (char *k = key; *k; k++)
		if (*k >= 'A' && *k <= 'Z')
			*k += 32;
	return key;
}

static void
free_keys(struct import *im)
{
	for (int i = 0; i < im->nattr; i++)
		free(im->akey[i]);
	free(im->akey);
	im->akey = NULL;
}

static int
import_file(void *ctx, struct batch *b)
{
	struct import *im = ctx;
	struct csvio_reader *r = batch_reader(b);
	struct strmap *seen;
	int bad = 0;

	for (int i = 0; i < IN_COUNT; i++)
		im->col[i] = batch_col(b, in_fields[i]);
	free_keys(im);
	free(im->attr);
	im->attr = loy_xmalloc(csvio_ncols(r) * sizeof(*im->attr));
	im->nattr = 0;
	for (int c = 0; c < csvio_ncols(r); c++) {
		const char *name = csvio_colname(r, c);
		int ours = 0;

		for (int i = 0; i < IN_COUNT; i++)
			ours |= im->col[i] == c;
		if (ours || rejects_column(r, c) || in_list(in_fields, name))
			continue;
		/* a member attribute's name, in the ledger and in reports */
		if (!batch_cli(b)->tsv && strchr(name, '\t')) {
			batch_header_error(b, "column '%s' has a tab in its name: is the file TSV? "
			    "(--tsv reads it)", name);
			bad = 1;
		} else if (utf8_has_control(name)) {
			batch_header_error(b, "column '%s' has a control character in its name%s: "
			    "it would name a member attribute", name, utf8_control_hint(name));
			bad = 1;
		}
		if (in_list(kept_out, name)) {
			batch_header_error(b, "column '%s' cannot be imported: %s", name,
			    strcasecmp(name, "tier") == 0 ? "loy-segment keeps the tiers" :
			    strcasecmp(name, "created_run") == 0 ||
			    strcasecmp(name, "updated_run") == 0 ||
			    strcasecmp(name, "run_id") == 0 ? "loy keeps the run record" :
			    strcasecmp(name, "phone_key") == 0 ? "loy keeps it from phone" :
			    strcasecmp(name, "attrs") == 0 ?
			    "loy keeps the other columns in it, as attributes" :
			    strcasecmp(name, "issued_at") == 0 || strcasecmp(name, "ended_at") == 0 ||
			    strcasecmp(name, "replaced_by") == 0 ?
			    "loy sets it when a card is issued or replaced" :
			    "loy-enroll close, reopen, merge and forget change it");
			bad = 1;
		}
		im->attr[im->nattr++] = c;
	}
	im->akey = loy_xmalloc((im->nattr + 1) * sizeof(*im->akey));
	im->akey_ok = 1;
	seen = strmap_new();	/* not each against each: a header may be long */
	for (int i = 0; i < im->nattr; i++) {
		im->akey[i] = attr_key(csvio_colname(r, im->attr[i]));
		im->akey_ok &= strmap_add(seen, im->akey[i], strlen(im->akey[i]));
	}
	strmap_free(seen);
	if (im->col[IN_ID] < 0 && im->col[IN_CARD] < 0 && im->col[IN_EMAIL] < 0 &&
	    im->col[IN_PHONE] < 0) {
		batch_header_error(b, "no column to identify members by: member_id, card, "
		    "email or phone");
		bad = 1;
	}
	return bad ? -1 : 0;
}

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The row's value for field i, spaces trimmed; NULL when absent or empty. */
static char *
field(const struct import *im, const struct csvio_row *row, int i)
{
	char *s = csvio_field(row, im->col[i]);

	return *s ? s : NULL;
}

static void
emit(struct batch *b, long line, const char *id, const char *status, const char *detail)
{
	struct csvio_writer *out = batch_out(b);

	batch_put_line(b, line);
	csvio_put(out, id);
	csvio_put(out, status);
	csvio_put(out, detail);
	csvio_end(out);
}

static void
import_rejected(void *ctx, struct batch *b, const struct csvio_row *row, const char *reason)
{
	struct import *im = ctx;
	const char *id = row->bad ? NULL : field(im, row, IN_ID);

	emit(b, row->line, id, "rejected", reason);
}

/* Which existing member a row without member_id stands for: by card,
 * phone or e-mail, in the order of the programme's identify_by. */
static int
identify(struct import *im, char *v[IN_COUNT], char **id)
{
	for (int i = 0; i < im->nby; i++) {
		int got, f = im->by[i];

		if (!v[f])
			continue;
		if ((got = ledger_member_find(im->l, in_fields[f], v[f], 0, id)) != 0)
			return got;
	}
	return 0;
}

/* The "detail" list of what changed: the names that fit, and a count of
 * the rest. */
struct changes {
	char s[1024];
	int more;
};

static void
changed_add(struct changes *c, const char *name)
{
	size_t n = strlen(c->s);

	if (!c->more && n + strlen(name) + 2 < sizeof(c->s))
		snprintf(c->s + n, sizeof(c->s) - n, "%s%s", n ? " " : "", name);
	else
		c->more++;
}

/* The list as the detail says it. */
static const char *
changed_text(struct changes *c)
{
	size_t n = strlen(c->s);

	if (c->more) {
		/* room for the count: names dropped from the end */
		while (n + 24 >= sizeof(c->s)) {
			char *sp = strrchr(c->s, ' ');

			n = sp ? (size_t)(sp - c->s) : 0;
			c->s[n] = '\0';
			c->more++;
		}
		snprintf(c->s + n, sizeof(c->s) - n, " and %d more", c->more);
		c->more = 0;
	}
	return c->s;
}

/* Fold the row's extra columns into `a`; adds each changed name to `changed`
 * (when given); returns how many changed. */
static int
merge_attrs(struct import *im, struct csvio_reader *r, const struct csvio_row *row,
    struct attrs *a, struct changes *changed)
{
	int n = 0;

	for (int i = 0; i < im->nattr; i++) {
		const char *name = csvio_colname(r, im->attr[i]);
		const char *val = row->f[im->attr[i]];

		if (*val ? attrs_set(a, im->akey[i], val) :
		    im->clear && attrs_unset(a, im->akey[i])) {
			n++;
			if (changed)
				changed_add(changed, name);
		}
	}
	return n;
}

/* The row's attributes as the JSON a new member gets (attrs_json of them
 * merged into none); NULL when the row has none. */
static const char *
row_json(struct import *im, const struct csvio_row *row)
{
	size_t n = 3, w;
	int any = 0;

	for (int i = 0; i < im->nattr; i++) {
		const char *val = row->f[im->attr[i]];

		if (*val)
			n += 6 * (strlen(im->akey[i]) + strlen(val)) + 6;
	}
	if (n > im->jcap) {
		im->jcap = n + 256;
		im->json = loy_xrealloc(im->json, im->jcap);
	}
	w = 0;
	im->json[w++] = '{';
	for (int i = 0; i < im->nattr; i++) {
		const char *val = row->f[im->attr[i]];

		if (!*val)
			continue;
		if (any++)
			im->json[w++] = ',';
		w = attrs_put_string(im->json, w, im->akey[i]);
		im->json[w++] = ':';
		w = attrs_put_string(im->json, w, val);
	}
	im->json[w++] = '}';
	im->json[w] = '\0';
	return any ? im->json : NULL;
}

/* Insert the queued cards: 0 or -1. */
static int
flush_cards(struct import *im)
{
	const char *card[QMAX], *member[QMAX];
	int rc;

	if (!im->ncq)
		return 0;
	for (int i = 0; i < im->ncq; i++) {
		card[i] = im->ctext.s + im->cqoff[i][0];
		member[i] = im->ctext.s + im->cqoff[i][1];
	}
	rc = ledger_cards_insert(im->bk, card, member, im->ncq, im->now);
	im->ncq = 0;
	im->ctext.len = 0;
	return rc;
}

/* Insert the queued members, then their cards: 0 or -1. */
static int
flush(struct import *im)
{
	int rc;

	for (int i = 0; i < im->nq; i++)
		for (int f = 0; f < MF_CREATED_RUN; f++)
			im->q[i].v[f] = im->qoff[i][f] == (size_t)-1 ? NULL :
			    im->qtext.s + im->qoff[i][f];
	rc = im->nq ? ledger_members_insert(im->bk, im->q, im->nq) : 0;
	im->nq = 0;
	im->qtext.len = 0;
	if (flush_cards(im) < 0)
		rc = -1;
	return rc;
}

/* A card the run added, in a run that knows every card there is (fresh):
 * from now on the last one, if it sorts after card_max. */
static void
card_added(struct import *im, const char *card)
{
	size_t n = strlen(card);

	if (!im->fresh || (im->card_max && ledger_key_cmp(im->card_max, card, n) >= 0))
		return;
	if (n + 1 > im->card_max_cap) {
		im->card_max_cap = n + 64;
		im->card_max = loy_xrealloc(im->card_max, im->card_max_cap);
	}
	memcpy(im->card_max, card, n + 1);
}

/* Queue a new member's card that sorts after every card there is. */
static void
queue_card(struct import *im, const char *card, const char *id)
{
	const char *s[2] = { card, id };

	for (int k = 0; k < 2; k++)
		im->cqoff[im->ncq][k] = texts_add(&im->ctext, s[k], strlen(s[k]));
	im->ncq++;
	card_added(im, card);
}

static void
queue(struct import *im, const struct member *m)
{
	for (int f = 0; f < MF_CREATED_RUN; f++)
		im->qoff[im->nq][f] = m->v[f] ?
		    texts_add(&im->qtext, m->v[f], strlen(m->v[f])) : (size_t)-1;
	im->nq++;
}

/* A phone or e-mail the programme's pattern refuses, or gives up on: 0 it
 * matches, else batch_reject()'s result. */
static int
contact_refused(struct batch *b, const struct csvio_row *row, const char *what,
    struct pattern *p, const char *v)
{
	int got = pattern_match(p, v, strlen(v));

	if (got > 0)
		return 0;
	return got < 0 ?
	    batch_reject(b, row, "%s '" LOY_PII("%s") "' cannot be checked: the programme's "
	    "%s_pattern gave up on it (PCRE2's match limit)", what, v, what) :
	    batch_reject(b, row, "%s '" LOY_PII("%s") "' does not match the programme's "
	    "%s_pattern", what, v, what);
}

/* A referrer must be a member, and not the member themselves: 0 ok,
 * 1 rejected, -1 error. */
static int
check_referrer(struct import *im, struct batch *b, const struct csvio_row *row,
    const char *ref, const char *id)
{
	char *who = NULL;
	int got, rc = 0;

	if (id && strcmp(ref, id) == 0)	/* a new member too */
		return batch_reject(b, row, "member '%s' cannot refer themselves", id);
	/* created or found by this run: a member that stands for itself */
	if ((got = idset_get(&im->seen, ref)) == ID_CREATED || got == ID_PLAIN ||
	    got == ID_ASSIGNED)
		return strcmp(ref, id) == 0 ?
		    batch_reject(b, row, "member '%s' cannot refer themselves", id) : 0;
	if (im->fresh)	/* every member there is, this run created */
		return batch_reject(b, row, "referrer '%s' is not a member", ref);
	got = ledger_member_resolve(im->l, ref, &who);

	if (got < 0)
		return -1;
	if (!got)
		rc = batch_reject(b, row, "referrer '%s' is not a member", ref);
	else if (strcmp(who, id) == 0)
		rc = batch_reject(b, row, "member '%s' cannot refer themselves", id);
	free(who);
	return rc;
}

/* Why a card cannot go to member `id`: 0 it can (or is theirs already),
 * 1 rejected, -1 error.  *taken says whether it exists. */
static int
check_card(struct import *im, struct batch *b, const struct csvio_row *row,
    const char *card, const char *id, int *taken)
{
	const char *owner, *cstatus;
	char *survivor = NULL;
	int got = ledger_bulk_card(im->bk, card, &owner, &cstatus), rc = 0;

	*taken = got > 0;
	if (got <= 0)
		return got;
	if (strcmp(owner, id) != 0) {
		if (ledger_member_resolve(im->l, owner, &survivor) < 0)
			rc = -1;
		else if (!survivor || strcmp(survivor, id) != 0)
			rc = batch_reject(b, row, "card '%s' belongs to member '%s'", card, owner);
	}
	if (!rc && strcmp(cstatus, "active") != 0)
		rc = batch_reject(b, row, "card '%s' was replaced", card);
	free(survivor);
	return rc;
}

/* A member not in the ledger yet: 1 created, 0 the id exists after all,
 * -1 error; rows refused here return 2. */
static int
create(struct import *im, struct batch *b, const struct csvio_row *row, char *v[IN_COUNT],
    const char *id)
{
	struct csvio_reader *r = batch_reader(b);
	struct member m = { { 0 } };
	struct attrs a = { 0 };
	char *json = NULL;
	int got, taken;

	if (im->akey_ok)
		m.v[MF_ATTRS] = (char *)row_json(im, row);
	else {
		merge_attrs(im, r, row, &a, NULL);
		m.v[MF_ATTRS] = json = attrs_json(&a);
		attrs_free(&a);
	}
	for (int i = 0; i < IN_COUNT; i++)
		if (in_member[i] != MF_COUNT)
			m.v[in_member[i]] = v[i];
	m.v[MF_ID] = (char *)id;
	m.v[MF_STATUS] = "active";
	m.v[MF_TIER] = (char *)im->tier;
	if (!m.v[MF_ENROLLED_AT])
		m.v[MF_ENROLLED_AT] = im->now;
	if (im->fresh) {
		/* the id is free; the card is, if it sorts after every card
		 * there is, else unless this run added it */
		if (v[IN_CARD] && im->card_max &&
		    ledger_key_cmp(im->card_max, v[IN_CARD], strlen(v[IN_CARD])) >= 0) {
			if ((got = flush_cards(im)) == 0)
				got = ledger_card_add_new(im->l, id, v[IN_CARD], im->now);
			if (got <= 0) {
				free(json);
				if (got < 0 || flush(im) < 0 ||
				    (got = check_card(im, b, row, v[IN_CARD], id, &taken)) < 0)
					return -1;
				if (got == 0)
					batch_reject(b, row, "card '%s' is taken", v[IN_CARD]);
				return 2;
			}
		} else if (v[IN_CARD])
			queue_card(im, v[IN_CARD], id);
		queue(im, &m);
		free(json);
		return im->nq == QMAX && flush(im) < 0 ? -1 : 1;
	}
	got = ledger_member_insert_new(im->l, &m);
	free(json);
	if (got > 0 && v[IN_CARD] &&
	    (got = ledger_card_add_new(im->l, id, v[IN_CARD], im->now)) == 0)
		goto taken;
	/* created: the programme's sign-up and referral bonuses */
	if (got > 0 && earn_signup(im->l, id, v[IN_REFERRER], m.v[MF_ENROLLED_AT], v[IN_STORE],
	    v[IN_CHANNEL], NULL) < 0)
		return -1;
	return got;
taken:
	/* the card is someone else's: refuse the row, undo the member */
	if ((got = check_card(im, b, row, v[IN_CARD], id, &taken)) < 0 ||
	    ledger_member_uncreate(im->l, id) < 0)
		return -1;
	if (got == 0)
		batch_reject(b, row, "card '%s' is taken", v[IN_CARD]);
	return 2;
}

/*
 * Many new members into a ledger that has few: drop the secondary indexes
 * of members and cards for the rest of the run and make them again at
 * its end (ledger_bulk_indexes_off), when the members the rest of the
 * input is expected to add (at the rate of creation so far) are at least
 * as many as the table holds, and many.  Looked at every 16384 rows.
 */
static int
maybe_bulk(struct import *im, struct batch *b)
{
	struct csvio_reader *r = batch_reader(b);
	uint64_t size = csvio_size(r), off = csvio_offset(r);
	long rows = csvio_rows(r);
	double ahead;

	if (im->bulk_done || !size || off >= size || rows <= 0 || im->created <= 0)
		return 0;
	/* rows left, at the mean length so far; then those to be created */
	ahead = (double)(size - off) / ((double)off / rows) * ((double)im->created / rows);
	if (ahead < 100000)
		return 0;
	if (im->members0 < 0) {	/* counted no further than it matters */
		long n = ledger_member_count(im->l, (long)ahead + 1);

		if (n < 0)
			return -1;
		if (n > ahead)
			return 0;	/* too many: counted again next time */
		im->members0 = n - im->created;
	}
	if (ahead < im->members0 + im->created)
		return 0;
	im->bulk_done = 1;
	if (ledger_bulk_indexes_off(im->bk) < 0)
		return -1;
	if (im->members0 == 0) {
		int rules = earn_signup_rules(im->l), cards = ledger_cards_before_run(im->l);

		if (rules < 0 || cards < 0)
			return -1;
		im->fresh = !rules && !cards;
		if (im->fresh && ledger_card_max(im->l, &im->card_max) < 0)
			return -1;
		im->card_max_cap = im->card_max ? strlen(im->card_max) + 1 : 0;
	}
	return 0;
}

static int
import_row(void *ctx, struct batch *b, const struct csvio_row *row)
{
	struct import *im = ctx;
	const struct cli *cli = batch_cli(b);
	struct ledger *l = im->l;
	struct csvio_reader *r = batch_reader(b);
	struct member *m = &im->m;
	struct attrs a = { 0 };
	char *v[IN_COUNT], *id = NULL, *own = NULL;
	const char *cur[MF_COUNT], *json;
	char bday[20], since[20];
	struct changes changed = { "", 0 };
	const char *why;
	int got, rc = 1, dirty = 0, taken = 0, loaded = 0, newattrs = 0;
	unsigned differs = 0;
	struct idref mark = { NULL, NULL };

	if ((csvio_rows(r) & 0x3fff) == 0 && maybe_bulk(im, b) < 0)
		return -1;
	for (int i = 0; i < IN_COUNT; i++)
		v[i] = field(im, row, i);
	/* values first: nothing is looked up for a row that cannot be right */
	if ((rc = batch_id(b, row, "member_id", v[IN_ID])) != 0 ||
	    (rc = batch_id(b, row, "card", v[IN_CARD])) != 0 ||
	    (rc = batch_id(b, row, "referrer", v[IN_REFERRER])) != 0)
		goto refused;
	/* a name or a contact is printed on a line of its own, in a cell, in a
	 * mail: no line break, tab or escape in it; an attribute is free text,
	 * its lines and tabs its own, but no escape either */
	static const int texts[] = { IN_NAME, IN_PHONE, IN_EMAIL, IN_STORE, IN_CHANNEL };
	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++)
		if ((rc = batch_control_refused(b, row, in_fields[texts[i]], v[texts[i]],
		    texts[i] == IN_PHONE || texts[i] == IN_EMAIL ? BATCH_PERSONAL :
		    BATCH_NAME)) != 0)
			goto refused;
	for (int i = 0; i < im->nattr; i++)
		if ((rc = batch_control_refused(b, row, csvio_colname(r, im->attr[i]),
		    row->f[im->attr[i]], BATCH_TEXT)) != 0)
			goto refused;
	if (v[IN_PHONE] && (rc = contact_refused(b, row, "phone", im->phone, v[IN_PHONE])) != 0)
		goto refused;
	if (v[IN_EMAIL] && (rc = contact_refused(b, row, "email", im->email, v[IN_EMAIL])) != 0)
		goto refused;
	if (v[IN_BIRTHDAY]) {
		if (when_parse(v[IN_BIRTHDAY], cli->date_format, WHEN_DATE | WHEN_PAST, bday,
		    &why) < 0) {
			rc = batch_reject(b, row, "birthday '" LOY_PII("%s") "' %s",
			    v[IN_BIRTHDAY], why);
			goto refused;
		}
		if (strcmp(bday, im->now) > 0) {
			rc = batch_reject(b, row, "birthday '" LOY_PII("%s") "' is in the future",
			    v[IN_BIRTHDAY]);
			goto refused;
		}
		v[IN_BIRTHDAY] = bday;
	}
	if (v[IN_ENROLLED_AT]) {
		if ((rc = batch_datetime(b, row, "enrolled_at", v[IN_ENROLLED_AT], im->limit,
		    since)) != 0)
			goto refused;
		v[IN_ENROLLED_AT] = since;
	}

	if (!v[IN_ID] && !v[IN_CARD] && !v[IN_EMAIL] && !v[IN_PHONE])
		return batch_reject(b, row, "row has no member_id, card, email or phone to "
		    "know the member by");
	/* anything but a new member queued needs the queued ones in place */
	if (im->nq && !(v[IN_ID] && !im->known_first) && flush(im) < 0)
		return -1;

	/* a new member id: one INSERT, lookups only when it is taken */
	if (v[IN_ID]) {
		if (!idset_claim(&im->seen, v[IN_ID], &mark))
			return idset_ref_mark(&mark) == ID_ASSIGNED ?
			    batch_reject(b, row, "member '%s' was given by this run to a new "
			    "member of a row without member_id: enrol the rows that name their "
			    "member_id first, or in a run of their own", v[IN_ID]) :
			    batch_reject(b, row, "member '%s' appears more than once in this "
			    "run", v[IN_ID]);
		if (v[IN_REFERRER] && (got = check_referrer(im, b, row, v[IN_REFERRER],
		    v[IN_ID])) != 0)
			return got;
		/* a file of members the ledger has (a re-run, a daily CRM
		 * export) is cheaper looked up first; a new one inserted first */
		if (im->known_first) {
			if ((got = ledger_bulk_member(im->bk, v[IN_ID], cur)) < 0)
				return -1;
			loaded = got;
			im->known_first = got;
		}
		if (loaded)
			got = 0;
		else if ((got = create(im, b, row, v, v[IN_ID])) < 0)
			return -1;
		else if (got == 0)
			im->known_first = 1;
		if (got == 2)
			return 1;
		if (got == 1) {
			idset_mark(&mark, ID_CREATED);	/* nothing added to `seen` since */
			im->created++;
			batch_count(b, C_CREATED);
			emit(b, row->line, v[IN_ID], "created", NULL);
			return 0;
		}
		id = v[IN_ID];
	} else {
		/* by phone or e-mail: the indexes are needed from here on */
		if (ledger_bulk_indexes_dropped(im->bk) && ledger_bulk_indexes_on(im->bk) < 0)
			goto fatal;
		if ((got = identify(im, v, &own)) < 0)
			goto fatal;
		if (!got) {
			/* never an id a row of this run named, even one set aside:
			 * its corrected row may come back */
			while (1) {
				if (ledger_member_new_id(l, &own) < 0)
					goto fatal;
				if (idset_get(&im->seen, own) < 0)
					break;
				free(own);
				own = NULL;
			}
			idset_add(&im->seen, own, &mark);
			if (v[IN_REFERRER] && (got = check_referrer(im, b, row,
			    v[IN_REFERRER], own)) != 0) {
				rc = got;
				goto done;
			}
			if ((got = create(im, b, row, v, own)) < 0)
				goto fatal;
			if (got == 1) {
				idset_mark(&mark, ID_ASSIGNED);
				im->created++;
				batch_count(b, C_CREATED);
				emit(b, row->line, own, "created", NULL);
				rc = 0;
			}
			goto done;
		}
		if (!idset_claim(&im->seen, own, &mark)) {
			batch_reject(b, row, "member '%s' appears more than once in this run", own);
			goto done;
		}
		if (v[IN_REFERRER] && (got = check_referrer(im, b, row, v[IN_REFERRER], own)) != 0) {
			rc = got;
			goto done;
		}
		id = own;
	}

	/* an existing member: what changes */
	if (!loaded) {
		if ((got = ledger_member_get(l, id, m)) <= 0)
			goto fatal;
		for (int i = 0; i < MF_COUNT; i++)
			cur[i] = m->v[i];
	}
	if (cur[MF_MERGED_INTO]) {
		batch_reject(b, row, "member '%s' was merged into '%s'", id, cur[MF_MERGED_INTO]);
		goto done;
	}
	idset_mark(&mark, ID_PLAIN);	/* nothing added to `seen` since */
	if (cur[MF_FORGOTTEN_AT]) {
		batch_reject(b, row, "member '%s' was forgotten on %.10s; their data is not "
		    "taken again", id, cur[MF_FORGOTTEN_AT]);
		goto done;
	}
	if (v[IN_CARD] && (got = check_card(im, b, row, v[IN_CARD], id, &taken)) != 0) {
		rc = got;
		goto done;
	}
	for (int i = 0; i < IN_COUNT; i++) {
		enum member_field f = in_member[i];

		if (f == MF_COUNT || f == MF_ID)
			continue;
		if (!v[i]) {
			/* --clear-empty: what the file's own column leaves empty */
			if (!im->clear || im->col[i] < 0 || !cur[f] || i == IN_ENROLLED_AT)
				continue;
		} else if (cur[f] && strcmp(cur[f], v[i]) == 0)
			continue;
		changed_add(&changed, in_fields[i]);
		differs |= 1u << i;
	}
	/* a new referrer: not one whose own referrers lead back to the member
	 * (A referred by B, B by A), in the ledger or by this run's rows; one
	 * changed or cleared makes the run forget where the chains end */
	if (differs & 1u << IN_REFERRER) {
		if ((got = ledger_member_refers_back_known(l, im->chains, v[IN_REFERRER], id,
		    cur[MF_REFERRER] != NULL)) < 0)
			goto fatal;
		if (got) {
			batch_reject(b, row, "referrer '%s' was referred by member '%s', "
			    "directly or through other referrers: a member cannot refer "
			    "themselves", v[IN_REFERRER], id);
			goto done;
		}
	}
	/* attributes: unchanged at once when the stored ones are the row's */
	if (!(im->akey_ok && cur[MF_ATTRS] && (json = row_json(im, row)) &&
	    strcmp(json, cur[MF_ATTRS]) == 0)) {
		if (attrs_parse(&a, cur[MF_ATTRS]) < 0) {
			batch_reject(b, row, "member '%s' has attributes that are not a JSON object",
			    id);
			goto done;
		}
		newattrs = merge_attrs(im, r, row, &a, &changed);
	}
	if (differs || newattrs) {
		if (loaded) {	/* the cursor's values: copied before they change */
			ledger_bulk_member_rest(im->bk, cur);
			for (int i = 0; i < MF_COUNT; i++)
				member_set(m, i, cur[i]);
		}
		for (int i = 0; i < IN_COUNT; i++)
			if (differs & 1u << i)
				member_set(m, in_member[i], v[i]);
		if (newattrs) {
			char *j = attrs_json(&a);

			member_set(m, MF_ATTRS, j);
			free(j);
		}
		dirty = 1;
	}
	if (dirty && ledger_member_update(l, m) < 0)
		goto fatal;
	if (v[IN_CARD] && !taken) {
		if (ledger_card_add(l, id, v[IN_CARD], im->now) < 0)
			goto fatal;
		card_added(im, v[IN_CARD]);
		changed_add(&changed, "card");
	}
	if (*changed.s || changed.more) {
		batch_count(b, C_UPDATED);
		emit(b, row->line, id, "updated", changed_text(&changed));
	} else {
		batch_count(b, C_UNCHANGED);
		emit(b, row->line, id, "unchanged", NULL);
	}
	rc = 0;
	goto done;
refused:
	/* no new member takes the id of a row set aside: it may come back */
	if (rc == 1 && v[IN_ID] && idset_add(&im->seen, v[IN_ID], &mark))
		idset_mark(&mark, ID_REFUSED);
	goto done;
fatal:
	rc = -1;
done:
	attrs_free(&a);
	free(own);
	return rc;
}

/* After the last file: the indexes made again, the cursors let go. */
static int
import_end(void *ctx, struct batch *b)
{
	struct import *im = ctx;

	(void)b;
	if (flush(im) < 0)
		return -1;
	ledger_bulk_pause(im->bk);
	return ledger_bulk_indexes_on(im->bk);
}

/* As the run's transaction begins, from the programme as the ledger holds
 * it then: the lowest tier, the latest enrolled_at, how a row without a
 * member_id is looked up (identify_by), the phone and e-mail patterns. */
static int
import_begin(void *ctx)
{
	struct import *im = ctx;
	struct ledger *l = im->l;
	char *copy, *tok, *save = NULL;

	ledger_chains_forget(im->chains);	/* a run taken again */
	free(im->tier);
	if (ledger_lowest_tier(l, &im->tier) < 0)
		return -1;
	memcpy(im->now, ledger_run_now(l), sizeof(im->now));
	when_add_hours(im->now, atol(ledger_setting(l, "future_tolerance_hours")), im->limit);
	im->nby = 0;
	copy = loy_xstrdup(ledger_setting(l, "identify_by"));
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
		for (int f = IN_CARD; f <= IN_EMAIL; f++)
			if (f != IN_NAME && strcmp(tok, in_fields[f]) == 0 && im->nby < 3)
				im->by[im->nby++] = f;
	free(copy);
	/* then whichever identify_by leaves out: a row is never a stranger */
	for (int f = IN_CARD; f <= IN_EMAIL; f++) {
		int have = f == IN_NAME;

		for (int i = 0; i < im->nby; i++)
			have |= im->by[i] == f;
		if (!have)
			im->by[im->nby++] = f;
	}
	pattern_free(im->phone);
	pattern_free(im->email);
	im->email = NULL;
	if (!(im->phone = ledger_pattern(l, "phone_pattern")) ||
	    !(im->email = ledger_pattern(l, "email_pattern")))
		return -1;
	return 0;
}

int
enroll_import(const struct cli *cli, struct ledger *l, int nfiles, char **files,
    int clear_empty, const char *args)
{
	struct import im = { .l = l, .members0 = -1, .clear = clear_empty };
	struct batch_job job = {
		.fields = in_fields, .output = out_cols, .counters = counters,
		.file = import_file, .row = import_row, .rejected = import_rejected,
		.run_end = import_end, .begin = import_begin, .ctx = &im,
	};
	int status;

	im.seen.other = strmap_new();
	im.chains = ledger_chains_new();
	im.bk = ledger_bulk_new(l);
	status = batch_run(&job, cli, l, nfiles, files, args);
	ledger_bulk_free(im.bk);
	pattern_free(im.phone);
	pattern_free(im.email);
	strmap_free(im.seen.other);
	ledger_chains_free(im.chains);
	free(im.seen.ids.s);
	free(im.seen.off);
	free(im.seen.mark);
	free(im.seen.fence);
	member_clear(&im.m);
	free_keys(&im);
	free(im.attr);
	free(im.json);
	free(im.qtext.s);
	free(im.ctext.s);
	free(im.card_max);
	free(im.tier);
	return status;
}

/* The verbs: each one run, one transaction. */

struct verb {
	const char *verb;
	int argc;
	char **argv;
	const char *reason;
	char now[20];
};

static void
verb_out(struct csvio_writer *out, const char *id, const char *status, const char *detail)
{
	csvio_put(out, id);
	csvio_put(out, status);
	csvio_put(out, detail);
	csvio_end(out);
}

/* verb_out() with a detail joined from the texts given, up to a NULL:
 * whole however long the ids, cards and reason it names. */
static void
verb_outs(struct csvio_writer *out, const char *id, const char *status, ...)
{
	va_list ap;
	const char *t;
	char *detail;
	size_t n = 0;

	va_start(ap, status);
	while ((t = va_arg(ap, const char *)) != NULL)
		n += strlen(t);
	va_end(ap);
	detail = loy_xmalloc(n + 1);
	n = 0;
	va_start(ap, status);
	while ((t = va_arg(ap, const char *)) != NULL) {
		memcpy(detail + n, t, strlen(t));
		n += strlen(t);
	}
	va_end(ap);
	detail[n] = '\0';
	verb_out(out, id, status, detail);
	free(detail);
}

/*
 * A merged member named where the member it stands for is meant (merged
 * into, forgotten): the message names that one, at the end of the chain of
 * merges ("member '3' was merged into '2', and that one into '1': merge
 * into '1'"), as the next record in it is merged too.  Returns -1.
 */
static int
merged_refused(struct ledger *l, const char *id, const char *into, const char *what)
{
	char *survivor = NULL;
	int forget = strcmp(what, "forget") == 0;

	if (ledger_member_resolve(l, into, &survivor) < 0)
		return -1;
	if (!survivor || strcmp(survivor, into) == 0)
		loy_error("member '%s' was merged into '%s': %s", id, into,
		    forget ? "forgetting that member forgets both" : "merge into that one");
	else
		loy_error("member '%s' was merged into '%s', and that one into '%s': %s '%s'%s",
		    id, into, survivor, forget ? "forgetting" : what, survivor,
		    forget ? " forgets them all" : "");
	free(survivor);
	return -1;
}

/* The member `id` stands for, or a message and 0. */
static int
must_exist(struct ledger *l, const char *id, struct member *m)
{
	int got = ledger_member_get(l, id, m);

	if (got == 0)
		loy_warn("member '%s' does not exist", id);
	return got;
}

/* Before `from` is merged into `into` at `at`: lots past their date that
 * would pay a debt the merge brings expire first, as a punctual loy-expire
 * run would have expired them: those of `into` when `from` owes points
 * (`into` pays from its lots), those of `from` when `into` owes (`from`'s
 * lots repay it as they arrive).  0 or -1. */
static int
merge_expire_first(struct ledger *l, const char *from, const char *into, const char *at)
{
	int64_t owes, has, expired;

	if (ledger_balance_get(l, from, &owes) < 0 || ledger_balance_get(l, into, &has) < 0)
		return -1;
	if (owes < 0 && has > 0)
		return expire_first(l, into, -owes < has ? -owes : has, at, &expired);
	if (owes > 0 && has < 0)	/* all of `from`'s lots: any may repay */
		return expire_first(l, from, owes, at, &expired);
	return 0;
}

static int
verb_run(void *ctx, struct ledger *l, struct csvio_writer *out, long counts[2])
{
	struct verb *vb = ctx;
	struct member m = { { 0 } };
	int bad = 0, got;

	/* the time the run writes at, not the time it began to wait */
	memcpy(vb->now, ledger_run_now(l), sizeof(vb->now));
	csvio_put(out, "member_id");
	csvio_put(out, "status");
	csvio_put(out, "detail");
	csvio_end(out);

	if (strcmp(vb->verb, "merge") == 0) {
		struct member into = { { 0 } };
		struct ledger_merge mg = { 0 };
		char pts[24];
		const char *from = vb->argv[0], *to = vb->argv[1];

		if ((got = must_exist(l, from, &m)) <= 0 || must_exist(l, to, &into) <= 0)
			bad = 1;
		else if (strcmp(from, to) == 0)
			bad = loy_error("cannot merge member '%s' into itself", from) < 0;
		else if (m.v[MF_MERGED_INTO])
			bad = loy_error("member '%s' was already merged into '%s'", from,
			    m.v[MF_MERGED_INTO]) < 0;
		else if (m.v[MF_FORGOTTEN_AT] || into.v[MF_FORGOTTEN_AT])
			bad = loy_error("member '%s' was forgotten: it takes part in no merge",
			    m.v[MF_FORGOTTEN_AT] ? from : to) < 0;
		else if (into.v[MF_MERGED_INTO])
			bad = merged_refused(l, to, into.v[MF_MERGED_INTO], "merge into") < 0;
		else if (strcmp(into.v[MF_STATUS], "closed") == 0)
			/* its points and cards would go where nothing earns or
			 * spends them */
			bad = (strcmp(m.v[MF_STATUS], "closed") == 0 ?
			    /* the other way round is refused too */
			    loy_error("member '%s' is closed, as is '%s': reopen '%s' first", to, from,
			    to) : loy_error("member '%s' is closed: reopen it first, or merge it "
			    "into '%s'", to, from)) < 0;
		if (!bad || ledger_status_or(l, 0)) {
			if (bad || merge_expire_first(l, from, to, vb->now) < 0 ||
			    ledger_member_merge(l, from, to, vb->now, &mg) < 0) {
				ledger_merge_clear(&mg);
				member_clear(&m);
				member_clear(&into);
				return ledger_status(l);
			}
			snprintf(pts, sizeof(pts), "%lld", (long long)mg.moved);
			/* the tier the merge passed to the survivor, from the
			 * day it holds it */
			if (mg.tier_to)
				verb_outs(out, from, "merged", "into ", to, ", ", pts,
				    " points moved, tier of ", to, " ",
				    mg.tier_from ? mg.tier_from : "none", " to ", mg.tier_to,
				    " from ", mg.tier_day, (char *)NULL);
			else
				verb_outs(out, from, "merged", "into ", to, ", ", pts,
				    " points moved", (char *)NULL);
			ledger_merge_clear(&mg);
			counts[0]++;
		}
		member_clear(&m);
		member_clear(&into);
		return bad ? LOY_EX_DATAERR : 0;
	}
	if (strcmp(vb->verb, "add-card") == 0 || strcmp(vb->verb, "replace-card") == 0) {
		const char *card = vb->argv[1];
		char *owner = NULL, *cstatus = NULL, *member = NULL;
		int add = strcmp(vb->verb, "add-card") == 0;

		if (add) {
			if ((got = must_exist(l, vb->argv[0], &m)) <= 0)
				bad = 1;
			else if (m.v[MF_MERGED_INTO])
				bad = loy_error("member '%s' was merged into '%s'", vb->argv[0],
				    m.v[MF_MERGED_INTO]) < 0;
			member = loy_xstrdup(vb->argv[0]);
		} else {
			if ((got = ledger_card_owner(l, vb->argv[0], &member, &cstatus)) < 0)
				return ledger_status(l);
			if (!got)
				bad = loy_error("card '%s' does not exist", vb->argv[0]) < 0;
			else if (strcmp(cstatus, "active") != 0)
				bad = loy_error("card '%s' was already replaced", vb->argv[0]) < 0;
			else if ((got = ledger_member_get(l, member, &m)) < 0) {
				free(cstatus);
				free(member);
				return ledger_status(l);
			}
			free(cstatus);
		}
		/* as imports refuse their rows: no new card for no one's data */
		if (!bad && m.v[MF_FORGOTTEN_AT])
			bad = loy_error("member '%s' was forgotten on %.10s: it takes no new card",
			    member, m.v[MF_FORGOTTEN_AT]) < 0;
		if (!bad && utf8_has_control(card))
			bad = loy_error("card '%s' has a control character", card) < 0;
		if (!bad && (got = ledger_card_owner(l, card, &owner, NULL)) != 0) {
			if (got < 0)
				return ledger_status(l);
			bad = loy_error("card '%s' already belongs to member '%s'", card, owner) < 0;
		}
		if (!bad && (add ? ledger_card_add(l, member, card, vb->now) :
		    ledger_card_replace(l, vb->argv[0], card, vb->now)) < 0) {
			free(member);
			member_clear(&m);
			return ledger_status(l);
		}
		if (!bad) {
			if (add)
				verb_outs(out, member, "updated", "card ", card, " added",
				    (char *)NULL);
			else
				verb_outs(out, member, "updated", "card ", card, " replaces ",
				    vb->argv[0], (char *)NULL);
			counts[0]++;
		}
		free(owner);
		free(member);
		member_clear(&m);
		return bad ? LOY_EX_DATAERR : 0;
	}
	/* close, reopen, forget: one or more members */
	for (int i = 0; i < vb->argc; i++) {
		const char *id = vb->argv[i];
		const char *st;
		int rc = 0;

		if ((got = must_exist(l, id, &m)) < 0)
			return ledger_status(l);
		if (!got) {
			bad = 1;
			continue;
		}
		st = m.v[MF_STATUS];
		if (m.v[MF_MERGED_INTO]) {
			if (strcmp(vb->verb, "forget") == 0)
				bad = merged_refused(l, id, m.v[MF_MERGED_INTO], "forget") < 0;
			else
				bad = loy_error("member '%s' was merged into '%s'", id,
				    m.v[MF_MERGED_INTO]) < 0;
			if (bad && ledger_status_or(l, 0))
				return ledger_status(l);
			continue;
		}
		if (strcmp(vb->verb, "close") == 0) {
			if (strcmp(st, "closed") == 0) {
				verb_out(out, id, "unchanged", "already closed");
				counts[1]++;
				continue;
			}
			rc = ledger_member_set_status(l, id, "closed", vb->now);
			verb_out(out, id, "closed", vb->reason);
		} else if (strcmp(vb->verb, "reopen") == 0) {
			if (strcmp(st, "active") == 0) {
				verb_out(out, id, "unchanged", "already active");
				counts[1]++;
				continue;
			}
			rc = ledger_member_set_status(l, id, "active", vb->now);
			verb_out(out, id, "reopened", vb->reason);
		} else {
			char **ids;
			int n, self = 0;

			/* forgotten already, unless a record merged into it since is not */
			if (ledger_member_forget(l, id, vb->now, &ids, &n) < 0) {
				member_clear(&m);
				return ledger_status(l);
			}
			/* the member, then the records merged into it, a row each */
			if (n > 1)
				qsort(ids, n, sizeof(*ids), cmp_id);
			for (int k = 0; k < n; k++)
				self |= strcmp(ids[k], id) == 0;
			verb_out(out, id, self ? "forgotten" : "unchanged",
			    self ? vb->reason : "already forgotten");
			counts[self ? 0 : 1]++;
			for (int k = 0; k < n; k++) {
				if (strcmp(ids[k], id) != 0) {
					verb_outs(out, ids[k], "forgotten", "merged into ", id,
					    vb->reason ? "; " : "", vb->reason ? vb->reason : "",
					    (char *)NULL);
					counts[0]++;
				}
				free(ids[k]);
			}
			free(ids);
			continue;
		}
		if (rc < 0) {
			member_clear(&m);
			return ledger_status(l);
		}
		counts[0]++;
	}
	member_clear(&m);
	return bad ? LOY_EX_DATAERR : 0;
}

static int
listing(const struct cli *cli, struct ledger *l, const char *verb, const char *member)
{
	struct csvio_writer *out;
	int rc;

	if (!(out = batch_list_begin(cli, l, &rc)))
		return rc;
	if (strcmp(verb, "list") == 0)
		rc = ledger_list_members(l, batch_print, out);
	else if (strcmp(verb, "cards") == 0) {
		char *survivor = NULL;
		/* a merge moved the cards: a merged id stands for its survivor */
		int got = ledger_member_resolve(l, member, &survivor);

		if (got <= 0) {
			ledger_rollback(l);
			csvio_writer_close(out);
			if (got == 0)
				loy_warn("member '%s' does not exist", member);
			return got == 0 ? LOY_EX_DATAERR : ledger_status(l);
		}
		if (strcmp(survivor, member) != 0)
			loy_warn("member '%s' was merged into '%s': the cards are theirs", member,
			    survivor);
		rc = ledger_list_cards(l, survivor, batch_print, out);
		free(survivor);
	}
	else
		rc = ledger_list_duplicates(l, batch_print, out);
	return batch_list_end(l, out, rc);
}

static const struct {
	const char *verb;
	int min, max;		/* operands */
} verbs[] = {
	{ "add-card", 2, 2 }, { "cards", 1, 1 }, { "close", 1, -1 },
	{ "duplicates", 0, 0 }, { "forget", 1, -1 }, { "list", 0, 0 },
	{ "merge", 2, 2 }, { "reopen", 1, -1 }, { "replace-card", 2, 2 },
	{ NULL, 0, 0 }
};

int
enroll_is_verb(const char *word)
{
	for (int i = 0; verbs[i].verb; i++)
		if (strcmp(verbs[i].verb, word) == 0)
			return 1;
	return 0;
}

int
enroll_verb(const struct cli *cli, struct ledger *l, const char *verb, int argc,
    char **argv, const char *reason, const char *args)
{
	struct verb vb = { .verb = verb, .argc = argc, .argv = argv, .reason = reason };
	int i, got;

	for (i = 0; verbs[i].verb; i++)
		if (strcmp(verbs[i].verb, verb) == 0)
			break;
	if (!verbs[i].verb || argc < verbs[i].min || (verbs[i].max >= 0 && argc > verbs[i].max)) {
		loy_warn("%s: wrong number of operands", verb);
		cli_usage(cli);
	}
	/* an operand reads as a cell does: spaces and tabs around it are not
	 * part of an id or a card */
	for (int k = 0; k < argc; k++) {
		if (!*(argv[k] = csvio_trim(argv[k]))) {
			loy_warn("%s: operand %d is empty", verb, k + 1);
			cli_usage(cli);
		}
	}
	if (strcmp(verb, "list") == 0 || strcmp(verb, "cards") == 0 ||
	    strcmp(verb, "duplicates") == 0)
		return listing(cli, l, verb, argc ? argv[0] : NULL);
	if ((got = batch_txn(cli, l, args, verb_run, &vb)) != 0 || cli->dry_run ||
	    strcmp(verb, "forget") != 0)
		return got;
	/* the pages forget overwrote are still in the ledger's file until
	 * the WAL is copied in, which the last connection to close does, and
	 * another one open may not close soon; a program reading the ledger
	 * as it was before holds the copy back */
	if ((got = ledger_fold_wal(l)) < 0) {
		loy_warn("the members are forgotten, but the data forgotten stay in the "
		    "ledger's file: run loy-enroll forget again");
		return ledger_status(l);
	}
	/* the run is in the ledger: said as after any commit, since 75 and 74
	 * otherwise say that nothing is; running it again is harmless, and
	 * completes it */
	if (got > 0) {
		loy_warn("the members are forgotten, but the data forgotten stay in the "
		    "ledger's file while another program reads or writes the ledger: run "
		    "loy-enroll forget again once it has done");
		return LOY_EX_BUSY;
	}
	return 0;
}
