#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csvio.h"
#include "diag.h"
#include "money.h"
#include "sha256.h"
#include "utf8.h"

#define READ_SIZE (256 * 1024)
#define QUOTED_MAX (16 * 1024 * 1024)	/* give up on a runaway quote */

struct csvio_reader {
	char *path;
	int fd;
	int tsv;
	struct csv_parser p;
	struct sha256 sha;
	char hex[65];
	int eof, fatal;
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
	int nf, fcap;
	int done;		/* record complete */
	int at_start;		/* next line starts a record */
	long start;
	const char *bad;

	/* header */
	char **cols;
	int ncols;
	char **f;		/* row pointers handed out */
	char **raw;
	char *pristine;		/* a copy of the arena as read */
	size_t pcap;
	int fptr_cap;
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

static void
field_cb(void *s, size_t n, void *data)
{
	struct csvio_reader *r = data;

	if (r->nf == r->fcap) {
		r->fcap = r->fcap ? 2 * r->fcap : 16;
		r->off = loy_xrealloc(r->off, r->fcap * sizeof(*r->off));
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
	if (r->alen + n + 1 > r->acap) {
		while (r->alen + n + 1 > r->acap)
			r->acap = r->acap ? 2 * r->acap : 4096;
		r->arena = loy_xrealloc(r->arena, r->acap);
	}
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
	struct csvio_reader *r;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		loy_error("cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		loy_die(71, "out of memory");
	r->path = loy_xstrdup(strcmp(path, "-") == 0 ? "stdin" : path);
	r->fd = fd;
	r->tsv = tsv;
	r->rbuf = loy_xmalloc(READ_SIZE);
	r->at_start = 1;
	parser_init(r);
	sha256_init(&r->sha);
	return r;
}

const char *
csvio_name(const struct csvio_reader *r)
{
	return r->path;
}

/* Next physical line (with its '\n' unless at the end of the input) in
 * line and n; 1, 0 at the end, -1 on error. */
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
			if (nl) {
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

		do
			got = read(r->fd, r->rbuf, READ_SIZE);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return loy_error("%s: read error: %s", r->path, strerror(errno));
		if (got == 0)
			r->eof = 1;
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

static void
fill_row(struct csvio_reader *r, struct csvio_row *row)
{
	if (r->nf + 1 > r->fptr_cap) {
		r->fptr_cap = r->nf + 16;
		r->f = loy_xrealloc(r->f, r->fptr_cap * sizeof(*r->f));
		r->raw = loy_xrealloc(r->raw, r->fptr_cap * sizeof(*r->raw));
	}
	if (r->alen > r->pcap) {
		r->pcap = r->acap;
		r->pristine = loy_xrealloc(r->pristine, r->pcap);
	}
	if (r->alen)
		memcpy(r->pristine, r->arena, r->alen);
	for (int i = 0; i < r->nf; i++) {
		r->f[i] = r->arena + r->off[i];
		r->raw[i] = r->pristine + r->off[i];
	}
	r->f[r->nf] = NULL;
	r->raw[r->nf] = NULL;
	row->raw = r->raw;
	row->line = r->start;
	row->nf = r->nf;
	row->f = r->f;
	row->len = r->flen;
	row->bad = r->bad;
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
		if (!r->bad && memchr(line, '\0', n)) {
			r->bad = "contains a NUL byte";
			for (size_t i = 0; i < n; i++)	/* NUL would read as the TSV quote */
				if (line[i] == '\0')
					line[i] = ' ';
		}
		if (!r->bad && utf8_check(line, n) != n)
			r->bad = "is not valid UTF-8";
		/* CRLF: the CR belongs to the line end, not the field */
		if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n') {
			line[n - 2] = '\n';
			n--;
		}
		if (csv_parse(&r->p, line, n, field_cb, record_cb, r) != n) {
			if (csv_error(&r->p) != CSV_EPARSE)
				loy_die(71, "out of memory");
			/* skip the rest of the line and start afresh on the next */
			if (!r->bad)
				r->bad = "has a stray quote: a field with quotes must be quoted "
				    "and its quotes doubled";
			csv_free(&r->p);
			parser_init(r);
			r->done = 1;
		}
		/* a blank line is no record: the next line may start one */
		r->at_start = r->done || (r->nf == 0 && r->p.pstate == 0 && r->p.entry_pos == 0);
		if (!r->done && r->p.entry_pos > CSVIO_FIELD_MAX && !r->bad)
			r->bad = "has a field longer than 65536 bytes";
		if (!r->done && r->p.entry_pos > QUOTED_MAX) {
			r->bad = "has a quoted field that is not terminated";
			r->done = 1;
			r->fatal = 1;
		}
	}
	return 1;
}

int
csvio_header(struct csvio_reader *r)
{
	int got = read_record(r);

	if (got < 0)
		return -2;
	if (got == 0)
		return loy_error("%s: no header row", r->path);
	if (r->bad)
		return loy_error("%s:%ld: header %s", r->path, r->start, r->bad);
	r->ncols = r->nf;
	r->cols = calloc(r->nf, sizeof(*r->cols));
	if (!r->cols)
		loy_die(71, "out of memory");
	for (int i = 0; i < r->nf; i++) {
		char *s = r->arena + r->off[i], *e;

		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		r->cols[i] = loy_xstrdup(s);
		if (!*s)
			return loy_error("%s:%ld: header column %d has no name", r->path, r->start, i + 1);
		for (int j = 0; j < i; j++)
			if (strcasecmp(r->cols[j], s) == 0)
				return loy_error("%s:%ld: header names column '%s' twice", r->path, r->start, s);
	}
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
	for (int i = 0; i < r->ncols; i++)
		if (strcasecmp(r->cols[i], name) == 0)
			return i;
	return -1;
}

int
csvio_next(struct csvio_reader *r, struct csvio_row *row)
{
	static char msg[64];
	int got = read_record(r);

	if (got <= 0)
		return got;
	r->rows++;
	if (!r->bad && r->nf != r->ncols) {
		snprintf(msg, sizeof(msg), "has %d fields, the header has %d", r->nf, r->ncols);
		r->bad = msg;
	}
	fill_row(r, row);
	return 1;
}

char *
csvio_field(const struct csvio_row *row, int col)
{
	char *s, *e;

	if (col < 0 || col >= row->nf)
		return "";
	s = row->f[col];
	e = s + strlen(s);
	while (*s == ' ' || *s == '\t')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

uint64_t
csvio_bytes(const struct csvio_reader *r)
{
	return r->bytes;
}

uint64_t
csvio_offset(const struct csvio_reader *r)
{
	return r->bytes - (r->rlen - r->rpos);
}

uint64_t
csvio_size(const struct csvio_reader *r)
{
	struct stat st;

	if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	return st.st_size;
}

long
csvio_rows(const struct csvio_reader *r)
{
	return r->rows;
}

const char *
csvio_sha256(struct csvio_reader *r)
{
	if (!r->hex[0]) {
		/* take in whatever was not read (a run stopped early) */
		char buf[65536];
		ssize_t got;

		while (!r->eof && (got = read(r->fd, buf, sizeof(buf))) > 0) {
			sha256_update(&r->sha, buf, got);
			r->bytes += got;
		}
		sha256_final(&r->sha, r->hex);
	}
	return r->hex;
}

void
csvio_close(struct csvio_reader *r)
{
	if (!r)
		return;
	if (r->fd != STDIN_FILENO)
		close(r->fd);
	csv_free(&r->p);
	for (int i = 0; i < r->ncols; i++)
		free(r->cols[i]);
	free(r->cols);
	free(r->path);
	free(r->rbuf);
	free(r->lbuf);
	free(r->arena);
	free(r->off);
	free(r->flen);
	free(r->f);
	free(r->raw);
	free(r->pristine);
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

static void
table_cell(struct csvio_writer *w, const char *s, size_t n)
{
	char *c = loy_xmalloc(n + 1);

	memcpy(c, s, n);
	c[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (c[i] == '\n' || c[i] == '\r' || c[i] == '\t')
			c[i] = ' ';
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
