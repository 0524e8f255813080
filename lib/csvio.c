#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csvio.h"
#include "diag.h"
#include "money.h"
#include "sha256.h"
#include "strmap.h"
#include "utf8.h"

#define READ_SIZE (256 * 1024)
#define QUOTED_MAX (16 * 1024 * 1024)	/* give up on a runaway quote */
#define LINE_MAX_BYTES QUOTED_MAX	/* and on a line without an end */

const char csvio_runaway[] = "has a quoted field that is not terminated within 16 MB: "
    "the rest of the input cannot be read as rows";
const char csvio_overlong[] = "has a line longer than 16 MB: the rest of the input "
    "cannot be read as rows (is it CSV?)";

/*
 * Read-ahead.  Once the header is read, a second thread reads and parses
 * the input while the program works on the records it has: an import is
 * CSV parsing and ledger work, and on a machine with two cores they
 * overlap.  The thread hands records over in batches, through a ring of
 * NBATCH of them: a batch goes to the program when it is full, when the
 * input ends, and before every read that may wait (so a program reading
 * a pipe sees each record as soon as it is whole).  Memory stays flat: the
 * thread waits when every batch is full, or when the batches handed over
 * hold more than INFLIGHT_MAX bytes (records with fields of megabytes),
 * and a batch that grew past ARENA_KEEP for such a record lets go of the
 * memory as soon as the program is done with it.
 */
#define NBATCH 4
#define BATCH_ROWS 2048
#define BATCH_BYTES (256 * 1024)
#define INFLIGHT_MAX (2 * 1024 * 1024)
#define ARENA_KEEP (4 * BATCH_BYTES)

struct rec {
	long start;		/* physical line the record starts on */
	int nf;
	const char *bad;
	size_t a0, alen;	/* fields at arena + a0, then a pristine copy */
	size_t o0;		/* offsets and lengths at off + o0, len + o0 */
	uint64_t offset;	/* input consumed once this record was read */
};

struct batch {
	int full;		/* handed to the program; 0: the thread's to fill */
	int end;		/* after the records: 1 end of input, -1 read error */
	int err;		/* errno of the read error */
	struct rec *rec;
	int n;
	size_t rcap;
	char *arena;
	size_t alen, acap;
	size_t *off, *len;
	size_t no, ocap;
};

struct csvio_reader {
	char *path;
	int fd;
	int tsv;
	struct csv_parser p;
	struct sha256 sha;
	char hex[65];
	int eof, fatal;
	int overlong;		/* the line next_line gave is cut at LINE_MAX */
	uint64_t bytes;
	long lineno;		/* physical lines fed so far */
	long rows;		/* data records returned */

	char *rbuf;		/* read buffer */
	size_t rpos, rlen;
	char *lbuf;		/* a line split over two reads */
	size_t llen, lcap;

	/* the record being assembled */
	char *arena;
	size_t alen, acap;
	size_t *off;
	size_t *flen;
	int nf;
	size_t fcap;
	int done;		/* record complete */
	int at_start;		/* next line starts a record */
	long start;
	const char *bad;

	/* header */
	char **cols;
	int ncols;
	struct strmap *colidx;	/* each column's name, lower case -> its index + 1 */
	char *lower;		/* a name in lower case, for colidx */
	size_t lowercap;
	long hline;		/* physical line the header starts on */
	int hread;		/* the header is read (csvio_header said 0) */
	char **f;		/* row pointers handed out */
	char **raw;
	int fptr_cap;
	int rerr;		/* errno of a read error */
	off_t at0;		/* a regular file: where reading began, else -1 */
	int tee;		/* csvio_tee: what is read is written here too, or -1 */
	int tee_err;		/* errno of a write there that failed */

	/* read-ahead (above): the thread's side */
	pthread_t tid;
	int started;		/* thread started and not yet joined */
	pthread_mutex_t mu;
	pthread_cond_t filled, freed;
	size_t inflight;	/* bytes in the batches handed over */
	int stop;		/* the program wants no more */
	struct batch b[NBATCH];
	int wi;			/* next batch the thread fills */
	struct batch *wb;	/* the batch it fills; NULL once stopped */
	/* the program's side */
	int ci;			/* next batch it takes */
	struct batch *cb;	/* the batch it reads */
	int next;		/* next record in cb */
	uint64_t offset;	/* of the last record returned */
};

static int
nospace(unsigned char c)
{
	(void)c;
	return 0;
}

static int
lf_only(unsigned char c)
{
	return c == '\n';
}

/* p, with room for need items of size bytes, cap grown by doubling. */
static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	while (*cap < need)
		*cap = *cap ? 2 * *cap : 1024;
	return loy_xrealloc(p, *cap * size);
}

static void
field_cb(void *s, size_t n, void *data)
{
	struct csvio_reader *r = data;

	if ((size_t)r->nf == r->fcap) {
		r->off = grow(r->off, &r->fcap, r->nf + 1, sizeof(*r->off));
		r->flen = loy_xrealloc(r->flen, r->fcap * sizeof(*r->flen));
	}
	if (n > CSVIO_FIELD_MAX && !r->bad)
		r->bad = "has a field longer than 65536 bytes";
	if (r->tsv && n && memchr(s, '\\', n)) {
		/* linear TSV: \t \n \r \\ escapes */
		char *q = s, *w = s, *end = q + n;

		while (q < end) {
			if (*q == '\\' && q + 1 < end) {
				char c = q[1];

				*w++ = c == 't' ? '\t' : c == 'n' ? '\n' :
				    c == 'r' ? '\r' : c == '\\' ? '\\' : c;
				if (!strchr("tnr\\", c))
					w[-1] = '\\', *w++ = c;
				q += 2;
			} else
				*w++ = *q++;
		}
		n = w - (char *)s;
	}
	r->arena = grow(r->arena, &r->acap, r->alen + n + 1, 1);
	r->off[r->nf] = r->alen;
	r->flen[r->nf] = n;
	if (n)
		memcpy(r->arena + r->alen, s, n);
	r->alen += n;
	r->arena[r->alen++] = '\0';
	r->nf++;
}

static void
record_cb(int c, void *data)
{
	struct csvio_reader *r = data;

	(void)c;
	r->done = 1;
}

/* Strict: a quote out of place is an error, not a guess. */
static void
parser_init(struct csvio_reader *r)
{
	if (csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		loy_die(71, "out of memory");
	csv_set_space_func(&r->p, nospace);
	csv_set_term_func(&r->p, lf_only);
	/* libcsv grows a field's buffer by this much at a time: in large steps
	 * an overlong field costs a few reallocations, not one per 128 bytes */
	csv_set_blk_size(&r->p, 1024 * 1024);
	if (r->tsv) {
		csv_set_delim(&r->p, '\t');
		csv_set_quote(&r->p, '\0');	/* no quoting in TSV; NUL is refused earlier */
	}
}

struct csvio_reader *
csvio_open(const char *path, int tsv)
{
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		loy_error("cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	return csvio_open_fd(fd, path, tsv);
}

struct csvio_reader *
csvio_open_fd(int fd, const char *path, int tsv)
{
	struct csvio_reader *r;
	struct stat st;

	r = calloc(1, sizeof(*r));
	if (!r)
		loy_die(71, "out of memory");
	r->path = loy_xstrdup(strcmp(path, "-") == 0 ? "stdin" : path);
	r->fd = fd;
	r->tee = -1;
	r->tsv = tsv;
	r->rbuf = loy_xmalloc(READ_SIZE);
	r->at_start = 1;
	r->at0 = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? lseek(fd, 0, SEEK_CUR) : -1;
	parser_init(r);
	sha256_init(&r->sha);
	return r;
}

const char *
csvio_name(const struct csvio_reader *r)
{
	return r->path;
}

/* What was just read, written to the tee too (the first failure kept). */
static void
tee_write(struct csvio_reader *r, const char *buf, size_t n)
{
	ssize_t put;

	while (r->tee >= 0 && !r->tee_err && n > 0) {
		if ((put = write(r->tee, buf, n)) < 0) {
			if (errno != EINTR)
				r->tee_err = errno;
			continue;
		}
		buf += put;
		n -= put;
	}
}

void
csvio_tee(struct csvio_reader *r, int fd)
{
	r->tee = fd;
}

int
csvio_tee_error(const struct csvio_reader *r)
{
	return r->tee_err;
}

static int hand_over(struct csvio_reader *r);

/* Next physical line (with its '\n' unless at the end of the input) in
 * line and n; 1, 0 at the end, -1 on a read error (errno in rerr) or when
 * the program wants no more (wb NULL). */
static int
next_line(struct csvio_reader *r, char **line, size_t *n)
{
	r->llen = 0;
	for (;;) {
		if (r->rpos < r->rlen) {
			char *s = r->rbuf + r->rpos;
			size_t avail = r->rlen - r->rpos;
			char *nl = memchr(s, '\n', avail);
			size_t take = nl ? (size_t)(nl - s) + 1 : avail;

			if (nl && r->llen == 0) {	/* whole line in the buffer */
				r->rpos += take;
				*line = s;
				*n = take;
				return 1;
			}
			if (r->llen + take > r->lcap) {
				while (r->llen + take > r->lcap)
					r->lcap = r->lcap ? 2 * r->lcap : READ_SIZE;
				r->lbuf = loy_xrealloc(r->lbuf, r->lcap);
			}
			memcpy(r->lbuf + r->llen, s, take);
			r->llen += take;
			r->rpos += take;
			/* a line of more than 16 MB is no CSV's (or /dev/zero's,
			 * which has no end): given as far as read, not kept whole */
			if (nl || r->llen > LINE_MAX_BYTES) {
				r->overlong = !nl;
				*line = r->lbuf;
				*n = r->llen;
				return 1;
			}
		}
		if (r->eof) {
			if (r->llen == 0)
				return 0;
			*line = r->lbuf;
			*n = r->llen;
			return 1;
		}
		ssize_t got;

		if (r->wb && r->wb->n > 0 && hand_over(r) < 0)
			return -1;	/* the program wants no more */
		do {
			/* a read from a pipe may wait for ever: csvio_close
			 * cancels the thread there, and only there */
			if (r->wb)
				pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
			got = read(r->fd, r->rbuf, READ_SIZE);
			if (r->wb)
				pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		} while (got < 0 && errno == EINTR);
		if (got < 0) {
			r->rerr = errno;
			return -1;
		}
		if (got == 0)
			r->eof = 1;
		tee_write(r, r->rbuf, got);
		sha256_update(&r->sha, r->rbuf, got);
		r->bytes += got;
		r->rpos = 0;
		r->rlen = got;
	}
}

static void
reset_record(struct csvio_reader *r)
{
	r->nf = 0;
	r->alen = 0;
	r->done = 0;
	r->bad = NULL;
}

/* Assemble the next record; 1, 0 at the end, -1 on a read error. */
static int
read_record(struct csvio_reader *r)
{
	char *line = NULL;
	size_t n = 0;
	int got;

	reset_record(r);
	if (r->fatal)
		return 0;
	while (!r->done) {
		if ((got = next_line(r, &line, &n)) < 0)
			return -1;
		if (got == 0) {
			int unterminated = csv_fini(&r->p, field_cb, record_cb, r) != 0;

			if (unterminated) {
				/* the field runs to the end of the input: it is
				 * kept as read, for the rejects file */
				field_cb(r->p.entry_pos ? r->p.entry_buf : (unsigned char *)"",
				    r->p.entry_pos, r);
				r->bad = "has a quoted field that is not terminated";
				r->done = 1;
				r->fatal = 1;
			}
			if (!r->done)
				return 0;
			break;
		}
		r->lineno++;
		if (r->lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
			line += 3, n -= 3;
		if (r->at_start)
			r->start = r->lineno;
		if (r->overlong) {
			r->bad = csvio_overlong;
			r->done = 1;
			r->fatal = 1;
			break;
		}
		/* a spreadsheet's "Unicode text": each character two bytes */
		if (r->lineno == 1 && n >= 2 && (memcmp(line, "\xFF\xFE", 2) == 0 ||
		    memcmp(line, "\xFE\xFF", 2) == 0))
			r->bad = "is UTF-16, not UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)";
		if (memchr(line, '\0', n)) {
			if (!r->bad)
				r->bad = "contains a NUL byte";
			for (size_t i = 0; i < n; i++)	/* NUL would read as the TSV quote */
				if (line[i] == '\0')
					line[i] = ' ';
		}
		if (!r->bad && utf8_check(line, n) != n)
			r->bad = "is not valid UTF-8";
		/* CRLF: the CR belongs to the line end, not the field; so does
		 * a CR that ends the input, its LF lost */
		if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n') {
			line[n - 2] = '\n';
			n--;
		} else if (n >= 1 && line[n - 1] == '\r')
			n--;
		/* a CR left in the line is data (lf_only); in a line with none,
		 * libcsv's own test for a line end (CR or LF) says the same
		 * without a call for each character, and takes half the time */
		csv_set_term_func(&r->p, memchr(line, '\r', n) ? lf_only : NULL);
		for (size_t at = 0, got; (got = csv_parse(&r->p, line + at, n - at, field_cb,
		    record_cb, r)) != n - at; at++) {
			if (csv_error(&r->p) != CSV_EPARSE)
				loy_die(71, "out of memory");
			if (!r->bad)
				r->bad = "has a stray quote: a field with quotes must be quoted "
				    "and its quotes doubled";
			/* the quote out of place is data, and so is what follows a
			 * closing quote, in a field that reads on unquoted: the rest
			 * of the record reads as any other, to its own end, so that
			 * a quoted field of several lines after it is not taken for
			 * rows of its own, nor its closing quote for an opening one
			 * that takes in the rows after it */
			at += got;
			csv_set_opts(&r->p, CSV_STRICT_FINI);
			csv_parse(&r->p, line + at, 1, field_cb, record_cb, r);
			csv_set_opts(&r->p, CSV_STRICT | CSV_STRICT_FINI);
			r->p.quoted = 0;
			r->p.status = CSV_SUCCESS;
		}
		/* a blank line is no record: the next line may start one */
		r->at_start = r->done || (r->nf == 0 && r->p.pstate == 0 && r->p.entry_pos == 0);
		if (!r->done && r->p.entry_pos > CSVIO_FIELD_MAX && !r->bad)
			r->bad = "has a field longer than 65536 bytes";
		if (!r->done && r->p.entry_pos > QUOTED_MAX) {
			r->bad = csvio_runaway;
			r->done = 1;
			r->fatal = 1;
		}
	}
	return 1;
}

/* s in lower case, as strcasecmp(3) compares it (ASCII letters alone), in
 * r->lower. */
static const char *
lower(struct csvio_reader *r, const char *s, size_t n)
{
	r->lower = grow(r->lower, &r->lowercap, n + 1, 1);
	for (size_t i = 0; i < n; i++)
		r->lower[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i];
	r->lower[n] = '\0';
	return r->lower;
}

int
csvio_header(struct csvio_reader *r)
{
	int got;

	if (r->hread)
		return 0;
	got = read_record(r);

	if (got < 0) {
		loy_error("%s: read error: %s", r->path, strerror(r->rerr));
		return -2;
	}
	if (got == 0)
		return loy_error("%s: no header row", r->path);
	if (r->bad)
		return loy_error("%s:%ld: header %s", r->path, r->start, r->bad);
	r->ncols = r->nf;
	r->hline = r->start;
	r->cols = calloc(r->nf, sizeof(*r->cols));
	if (!r->cols)
		loy_die(71, "out of memory");
	/* names looked up by a hash of them, not one after the other: a line
	 * of many thousand names (a file that is no CSV) is soon read */
	r->colidx = strmap_new();
	for (int i = 0; i < r->nf; i++) {
		char *s = csvio_trim(r->arena + r->off[i]);
		size_t n = strlen(s);
		void **slot;
		int created;

		r->cols[i] = loy_xstrdup(s);
		/* lines that end in CR alone (a classic Mac export) read as
		 * one: the header would take every row for column names */
		if (strchr(s, '\r'))
			return loy_error("%s:%ld: header column %d has a CR in its name: "
			    "a CR alone ends no line (tr '\\r' '\\n' converts a file so ended)",
			    r->path, r->start, i + 1);
		if (!*s)
			return loy_error("%s:%ld: header column %d has no name", r->path, r->start, i + 1);
		slot = strmap_slot(r->colidx, lower(r, s, n), n, &created);
		if (!created)
			return loy_error("%s:%ld: header names column '%s' twice", r->path, r->start, s);
		*slot = (void *)(intptr_t)(i + 1);
	}
	r->hread = 1;
	return 0;
}

int
csvio_ncols(const struct csvio_reader *r)
{
	return r->ncols;
}

const char *
csvio_colname(const struct csvio_reader *r, int i)
{
	return r->cols[i];
}

int
csvio_col(const struct csvio_reader *r, const char *name)
{
	struct csvio_reader *w = (struct csvio_reader *)r;	/* its buffer alone */
	size_t n = strlen(name);

	if (!r->colidx)
		return -1;
	return (int)(intptr_t)strmap_get(r->colidx, lower(w, name, n), n) - 1;
}

/* The thread's side of the read-ahead. */

/* The next free batch in the ring, emptied; NULL when the program wants
 * no more. */
static struct batch *
take_free(struct csvio_reader *r)
{
	struct batch *b = NULL;

	pthread_mutex_lock(&r->mu);
	while (!r->stop && (r->b[r->wi].full || r->inflight > INFLIGHT_MAX))
		pthread_cond_wait(&r->freed, &r->mu);
	if (!r->stop) {
		b = &r->b[r->wi];
		r->wi = (r->wi + 1) % NBATCH;
	}
	pthread_mutex_unlock(&r->mu);
	if (b)
		b->n = 0, b->alen = 0, b->no = 0, b->end = 0, b->err = 0;
	return b;
}

static void
publish(struct csvio_reader *r)
{
	pthread_mutex_lock(&r->mu);
	r->wb->full = 1;
	r->inflight += r->wb->alen;
	pthread_cond_signal(&r->filled);
	pthread_mutex_unlock(&r->mu);
}

/* Hand the records so far to the program and start another batch: 0, or
 * -1 when the program wants no more. */
static int
hand_over(struct csvio_reader *r)
{
	publish(r);
	return (r->wb = take_free(r)) ? 0 : -1;
}

/* The record just read, fields and all, into the batch. */
static void
keep(struct csvio_reader *r, struct batch *b)
{
	struct rec *rec;

	b->rec = grow(b->rec, &b->rcap, b->n + 1, sizeof(*b->rec));
	rec = &b->rec[b->n++];
	rec->start = r->start;
	rec->nf = r->nf;
	rec->bad = r->bad;
	rec->a0 = b->alen;
	rec->alen = r->alen;
	rec->o0 = b->no;
	rec->offset = r->bytes - (r->rlen - r->rpos);
	b->arena = grow(b->arena, &b->acap, b->alen + 2 * r->alen, 1);
	if (r->alen) {
		memcpy(b->arena + b->alen, r->arena, r->alen);
		memcpy(b->arena + b->alen + r->alen, r->arena, r->alen);
	}
	b->alen += 2 * r->alen;
	if (b->no + r->nf > b->ocap) {
		b->off = grow(b->off, &b->ocap, b->no + r->nf, sizeof(*b->off));
		b->len = loy_xrealloc(b->len, b->ocap * sizeof(*b->len));
	}
	if (r->nf) {	/* none: a stray quote before the first field ended */
		memcpy(b->off + b->no, r->off, r->nf * sizeof(*b->off));
		memcpy(b->len + b->no, r->flen, r->nf * sizeof(*b->len));
		b->no += r->nf;
	}
}

static void *
worker(void *arg)
{
	struct csvio_reader *r = arg;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	if (!(r->wb = take_free(r)))
		return NULL;
	for (;;) {
		int got = read_record(r);

		if (!r->wb)
			return NULL;	/* the program wants no more */
		if (got > 0) {
			keep(r, r->wb);
			if ((r->wb->n >= BATCH_ROWS || r->wb->alen >= BATCH_BYTES) &&
			    hand_over(r) < 0)
				return NULL;
			continue;
		}
		r->wb->end = got == 0 ? 1 : -1;
		r->wb->err = r->rerr;
		publish(r);
		return NULL;
	}
}

/* Start the thread with the signals blocked in it that the program's
 * thread is to take (handlers run there), but for the terminal's: a read
 * from the terminal by a job sent to the background stops the program
 * with SIGTTIN, as it would without the thread (the kernel answers EIO to
 * a thread that blocks it), and faults stay where they happen. */
static void
start(struct csvio_reader *r)
{
	sigset_t all, old;

	if (pthread_mutex_init(&r->mu, NULL) != 0 || pthread_cond_init(&r->filled, NULL) != 0 ||
	    pthread_cond_init(&r->freed, NULL) != 0)
		loy_die(71, "cannot start reading: out of resources");
	sigfillset(&all);
	sigdelset(&all, SIGTTIN);
	sigdelset(&all, SIGTTOU);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&r->tid, NULL, worker, r) != 0)
		loy_die(71, "cannot start reading: out of resources");
	pthread_setname_np(r->tid, "loy-read");	/* as top -H and ps -L show it */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	r->started = 1;
}

/* Stop the thread (cancelled if it waits on a read) and wait for it; the
 * reader is the program's alone again. */
static void
finish(struct csvio_reader *r)
{
	if (r->started != 1)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_signal(&r->freed);
	pthread_mutex_unlock(&r->mu);
	pthread_cancel(r->tid);
	pthread_join(r->tid, NULL);
	r->started = 2;
}

/* The program's side. */

/* The next batch of records, once the thread has filled it; the one read
 * before goes back to the thread. */
static struct batch *
take_full(struct csvio_reader *r)
{
	struct batch *b;

	if (r->cb && r->cb->acap > ARENA_KEEP) {
		free(r->cb->arena);
		r->cb->arena = NULL;
		r->cb->acap = 0;
	}
	pthread_mutex_lock(&r->mu);
	if (r->cb) {
		r->cb->full = 0;
		r->inflight -= r->cb->alen;
		pthread_cond_signal(&r->freed);
	}
	while (!r->b[r->ci].full)
		pthread_cond_wait(&r->filled, &r->mu);
	b = &r->b[r->ci];
	r->ci = (r->ci + 1) % NBATCH;
	pthread_mutex_unlock(&r->mu);
	return b;
}

int
csvio_next(struct csvio_reader *r, struct csvio_row *row)
{
	static char msg[64];
	struct batch *b;
	struct rec *rec;

	if (!r->started)
		start(r);
	while (!r->cb || r->next == r->cb->n) {
		if (r->cb && r->cb->end) {
			if (r->cb->end < 0) {
				r->cb->end = 1;	/* said once */
				return loy_error("%s: read error: %s", r->path, strerror(r->cb->err));
			}
			return 0;
		}
		if (r->started != 1)
			return 0;
		r->cb = take_full(r);
		r->next = 0;
	}
	b = r->cb;
	rec = &b->rec[r->next++];
	if (rec->nf + 1 > r->fptr_cap) {
		r->fptr_cap = rec->nf + 16;
		r->f = loy_xrealloc(r->f, r->fptr_cap * sizeof(*r->f));
		r->raw = loy_xrealloc(r->raw, r->fptr_cap * sizeof(*r->raw));
	}
	for (int i = 0; i < rec->nf; i++) {
		r->f[i] = b->arena + rec->a0 + b->off[rec->o0 + i];
		r->raw[i] = b->arena + rec->a0 + rec->alen + b->off[rec->o0 + i];
	}
	r->f[rec->nf] = NULL;
	r->raw[rec->nf] = NULL;
	row->line = rec->start;
	row->nf = rec->nf;
	row->f = r->f;
	row->raw = r->raw;
	row->len = rec->nf ? b->len + rec->o0 : NULL;	/* none: maybe never allocated */
	row->bad = rec->bad;
	r->offset = rec->offset;
	r->rows++;
	if (!row->bad && rec->nf != r->ncols) {
		snprintf(msg, sizeof(msg), "has %d field%s, the header has %d", rec->nf,
		    rec->nf == 1 ? "" : "s", r->ncols);
		row->bad = msg;
	}
	return 1;
}

char *
csvio_field(const struct csvio_row *row, int col)
{
	if (col < 0 || col >= row->nf)
		return "";
	return csvio_trim(row->f[col]);
}

char *
csvio_trim(char *s)
{
	char *e = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

uint64_t
csvio_bytes(struct csvio_reader *r)
{
	finish(r);
	return r->bytes;
}

uint64_t
csvio_offset(const struct csvio_reader *r)
{
	return r->started ? r->offset : r->bytes - (r->rlen - r->rpos);
}

uint64_t
csvio_size(const struct csvio_reader *r)
{
	struct stat st;

	if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	return st.st_size;
}

int
csvio_changed(const struct csvio_reader *r, uint64_t *now)
{
	struct stat st;

	if (r->at0 < 0 || fstat(r->fd, &st) != 0 ||
	    (uint64_t)st.st_size == (uint64_t)r->at0 + r->bytes)
		return 0;
	*now = st.st_size > r->at0 ? (uint64_t)(st.st_size - r->at0) : 0;
	return 1;
}

long
csvio_header_line(const struct csvio_reader *r)
{
	return r->hline;
}

long
csvio_rows(const struct csvio_reader *r)
{
	return r->rows;
}

const char *
csvio_sha256(struct csvio_reader *r)
{
	finish(r);
	if (!r->hex[0]) {
		/* take in whatever was not read (a run stopped early) */
		char buf[65536];
		ssize_t got;

		while (!r->eof && (got = read(r->fd, buf, sizeof(buf))) > 0) {
			tee_write(r, buf, got);
			sha256_update(&r->sha, buf, got);
			r->bytes += got;
		}
		sha256_final(&r->sha, r->hex);
	}
	return r->hex;
}

void
csvio_wait(const struct csvio_reader *r)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };

	if (r->at0 >= 0)	/* a regular file: there is nothing to wait for */
		return;
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
}

void
csvio_close(struct csvio_reader *r)
{
	if (!r)
		return;
	finish(r);
	if (r->started) {
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->filled);
		pthread_cond_destroy(&r->freed);
	}
	for (int i = 0; i < NBATCH; i++) {
		free(r->b[i].rec);
		free(r->b[i].arena);
		free(r->b[i].off);
		free(r->b[i].len);
	}
	if (r->fd != STDIN_FILENO)
		close(r->fd);
	csv_free(&r->p);
	for (int i = 0; i < r->ncols; i++)
		free(r->cols[i]);
	free(r->cols);
	if (r->colidx)
		strmap_free(r->colidx);
	free(r->lower);
	free(r->path);
	free(r->rbuf);
	free(r->lbuf);
	free(r->arena);
	free(r->off);
	free(r->flen);
	free(r->f);
	free(r->raw);
	free(r);
}

struct csvio_writer {
	FILE *f;
	int tsv, safe;
	int col;
	/* --table: cells kept until the end, then printed aligned */
	int table;
	char **cell;
	size_t ncell, cellcap;
	int *ncols_of_row;
	size_t nrows, rowcap;
};

struct csvio_writer *
csvio_writer(FILE *f, int format, int safe)
{
	struct csvio_writer *w = calloc(1, sizeof(*w));

	if (!w)
		loy_die(71, "out of memory");
	w->f = f;
	w->tsv = format == CSVIO_TSV;
	w->table = format == CSVIO_TABLE;
	w->safe = safe;
	return w;
}

/* A cell for --table: a line break or tab as a blank, another control
 * character (an escape) as \xhh, as messages show it, and a C1 control
 * (U+009B, which terminals take for ESC [) or a byte that is not UTF-8 as
 * its bytes in \xhh, so that a value neither breaks the table nor acts on
 * the terminal, and takes the columns it is counted to. */
static void
table_cell(struct csvio_writer *w, const char *s, size_t n)
{
	char *c = loy_xmalloc(4 * n + 1), *p = c;
	size_t len;
	uint32_t cp;

	for (size_t i = 0; i < n; i += len) {
		unsigned char b = s[i];

		if ((len = utf8_decode(s + i, n - i, &cp)) == 0)
			len = 1, cp = 0;	/* not UTF-8: shown as \xhh */
		if (b == '\n' || b == '\r' || b == '\t')
			*p++ = ' ';
		else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			for (size_t k = 0; k < len; k++)
				p += sprintf(p, "\\x%02x", (unsigned char)s[i + k]);
		else {
			memcpy(p, s + i, len);
			p += len;
		}
	}
	*p = '\0';
	if (w->ncell == w->cellcap) {
		w->cellcap = w->cellcap ? 2 * w->cellcap : 256;
		w->cell = loy_xrealloc(w->cell, w->cellcap * sizeof(*w->cell));
	}
	w->cell[w->ncell++] = c;
	w->col++;
}

static void
table_flush(struct csvio_writer *w)
{
	size_t *width = NULL, nw = 0, k = 0;

	for (size_t r = 0; r < w->nrows; r++)
		for (int c = 0; c < w->ncols_of_row[r]; c++, k++) {
			size_t cw = utf8_width(w->cell[k], strlen(w->cell[k]));

			if ((size_t)c >= nw) {
				width = loy_xrealloc(width, (c + 1) * sizeof(*width));
				while (nw <= (size_t)c)
					width[nw++] = 0;
			}
			if (cw > width[c])
				width[c] = cw;
		}
	k = 0;
	for (size_t r = 0; r < w->nrows; r++) {
		for (int c = 0; c < w->ncols_of_row[r]; c++, k++) {
			const char *s = w->cell[k];

			int rest = 0;

			for (int d = c + 1; d < w->ncols_of_row[r]; d++)
				rest |= w->cell[k + d - c][0] != '\0';
			fputs(s, w->f);
			if (rest)	/* no trailing blanks */
				for (size_t pad = utf8_width(s, strlen(s)); pad < width[c] + 2; pad++)
					putc(' ', w->f);
			free(w->cell[k]);
		}
		putc('\n', w->f);
	}
	free(width);
	free(w->cell);
	free(w->ncols_of_row);
}

/* A plain number: -?digits[.digits].  With --safe-cells it is data, not a
 * formula (points -40, an amount -12.50), and is written as it is. */
static int
plain_number(const char *s, size_t n)
{
	size_t i = s[0] == '-', d = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, d++;
	if (d && i < n && s[i] == '.' && i + 1 < n)
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	return d && i == n;
}

void
csvio_putn(struct csvio_writer *w, const char *s, size_t n)
{
	FILE *f = w->f;
	int quote = 0, tick;

	if (w->table) {
		table_cell(w, s, n);
		return;
	}
	if (w->col++)
		putc_unlocked(w->tsv ? '\t' : ',', f);
	/* the apostrophe goes inside the quotes of a quoted field */
	tick = w->safe && n && memchr("=+-@\t\r", s[0], 6) && !plain_number(s, n);
	if (tick && w->tsv)
		putc_unlocked('\'', f);
	if (w->tsv) {
		for (size_t i = 0; i < n; i++) {
			char c = s[i];

			if (c == '\t' || c == '\n' || c == '\r' || c == '\\') {
				putc_unlocked('\\', f);
				c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
			}
			putc_unlocked(c, f);
		}
		return;
	}
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!quote) {
		if (tick)
			putc_unlocked('\'', f);
		fwrite_unlocked(s, 1, n, f);
		return;
	}
	putc_unlocked('"', f);
	if (tick)
		putc_unlocked('\'', f);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			putc_unlocked('"', f);
		putc_unlocked(s[i], f);
	}
	putc_unlocked('"', f);
}

void
csvio_put(struct csvio_writer *w, const char *s)
{
	csvio_putn(w, s ? s : "", s ? strlen(s) : 0);
}

void
csvio_put_int(struct csvio_writer *w, int64_t v)
{
	char buf[24], *e = buf + sizeof(buf), *d = e;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	int n;

	do
		*--d = '0' + u % 10;
	while ((u /= 10) != 0);
	if (v < 0)
		*--d = '-';
	n = e - d;
	memmove(buf, d, n);

	if (w->table) {
		table_cell(w, buf, n);
		return;
	}
	if (w->col++)
		putc_unlocked(w->tsv ? '\t' : ',', w->f);
	fwrite_unlocked(buf, 1, n, w->f);
}

void
csvio_put_money(struct csvio_writer *w, int64_t v, int decimals)
{
	char buf[32];

	money_format(v, decimals, buf);
	if (w->table) {
		table_cell(w, buf, strlen(buf));
		return;
	}
	if (w->col++)
		putc_unlocked(w->tsv ? '\t' : ',', w->f);
	fputs_unlocked(buf, w->f);
}

void
csvio_end(struct csvio_writer *w)
{
	if (w->table) {
		if (w->nrows == w->rowcap) {
			w->rowcap = w->rowcap ? 2 * w->rowcap : 64;
			w->ncols_of_row = loy_xrealloc(w->ncols_of_row,
			    w->rowcap * sizeof(*w->ncols_of_row));
		}
		w->ncols_of_row[w->nrows++] = w->col;
		w->col = 0;
		return;
	}
	putc_unlocked('\n', w->f);
	w->col = 0;
}

void
csvio_row(struct csvio_writer *w, char *const *f, int n)
{
	for (int i = 0; i < n; i++)
		csvio_put(w, f[i]);
	csvio_end(w);
}

int
csvio_writer_close(struct csvio_writer *w)
{
	int rc;

	if (w->table)
		table_flush(w);
	rc = fflush(w->f) == 0 && !ferror(w->f) ? 0 : -1;

	free(w);
	return rc;
}
