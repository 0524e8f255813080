/*
 * fuzz/csv: the CSV/TSV reader (lib/csvio.c) on any bytes, and the writer
 * against it.  The first input byte picks the mode (bit 0: TSV; bit 1:
 * --safe-cells); the rest is the file.  Properties:
 *   - the reader never crashes, whatever the bytes;
 *   - every well-formed row it returns is valid UTF-8 without NUL bytes,
 *     and has the header's number of fields;
 *   - what the writer writes of those rows reads back as the same fields
 *     (a CR LF inside a CSV field reads back as LF: CSV cannot tell them
 *     apart from a CR LF line end, and loy documents CR LF as a line end);
 *   - with --safe-cells no written cell starts with = + - @ tab or CR
 *     unless it is a plain number.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csvio.h"
#include "utf8.h"
#include "driver.h"

#define MAXROWS 256

static int memfd = -1;

static void
fuzz_init(void)
{
	memfd = memfd_create("fuzz-csv", 0);
	if (memfd < 0) {
		perror("memfd_create");
		exit(71);
	}
	if (!getenv("FUZZ_VERBOSE"))
		freopen("/dev/null", "w", stderr);
}

/* Make `data` standard input, from its start. */
static void
feed(const void *data, size_t len)
{
	if (ftruncate(memfd, 0) != 0 || (len && pwrite(memfd, data, len, 0) != (ssize_t)len) ||
	    lseek(memfd, 0, SEEK_SET) != 0 || dup2(memfd, 0) != 0)
		abort();
}

struct rows {
	int n, ncols;
	char **f[MAXROWS];
	size_t *len[MAXROWS];
	int nf[MAXROWS];
};

static void
rows_free(struct rows *r)
{
	for (int i = 0; i < r->n; i++) {
		for (int j = 0; j < r->nf[i]; j++)
			free(r->f[i][j]);
		free(r->f[i]);
		free(r->len[i]);
	}
	r->n = 0;
}

/* Read standard input; keep the well-formed rows as read. */
static int
read_all(int tsv, struct rows *out)
{
	struct csvio_reader *r = csvio_open("-", tsv);
	struct csvio_row row;
	int got;

	FUZZ_ASSERT(r != NULL);
	out->n = 0;
	if (csvio_header(r) < 0) {
		csvio_close(r);
		return -1;
	}
	out->ncols = csvio_ncols(r);
	for (int i = 0; i < out->ncols; i++)
		FUZZ_ASSERT(csvio_colname(r, i)[0] != '\0');
	while ((got = csvio_next(r, &row)) > 0) {
		FUZZ_ASSERT(row.line >= 2);
		if (row.bad)
			continue;
		FUZZ_ASSERT(row.nf == out->ncols);
		if (out->n == MAXROWS)
			continue;
		out->nf[out->n] = row.nf;
		out->f[out->n] = calloc(row.nf, sizeof(char *));
		out->len[out->n] = calloc(row.nf, sizeof(size_t));
		for (int i = 0; i < row.nf; i++) {
			size_t n = row.len[i];

			FUZZ_ASSERT(memchr(row.raw[i], '\0', n) == NULL);
			FUZZ_ASSERT(utf8_check(row.raw[i], n) == n);
			out->f[out->n][i] = malloc(n + 1);
			memcpy(out->f[out->n][i], row.raw[i], n + 1);
			out->len[out->n][i] = n;
			(void)csvio_field(&row, i);	/* trims in place */
		}
		out->n++;
	}
	(void)csvio_sha256(r);
	csvio_close(r);
	return got < 0 ? -1 : 0;
}

/* CSV folds CR LF inside a field to LF when read back. */
static size_t
fold(const char *s, size_t n, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		out[k++] = s[i];
	}
	return k;
}

static int
plain_number(const char *s, size_t n)
{
	size_t i = 0, d = 0;

	if (i < n && s[i] == '-')
		i++;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, d++;
	if (i < n && s[i] == '.' && d) {
		i++;
		if (i == n)
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return d && i == n;
}

static void
fuzz_one(const unsigned char *data, size_t len)
{
	struct rows a = { 0 }, b = { 0 };
	int tsv, safe;
	char *buf = NULL;
	size_t blen = 0;
	FILE *mem;
	struct csvio_writer *w;

	if (len < 1)
		return;
	tsv = data[0] & 1;
	safe = (data[0] >> 1) & 1;
	feed(data + 1, len - 1);
	if (read_all(tsv, &a) < 0 || a.n == 0) {
		rows_free(&a);
		return;
	}
	mem = open_memstream(&buf, &blen);
	w = csvio_writer(mem, tsv ? CSVIO_TSV : CSVIO_CSV, safe);
	for (int i = 0; i < a.ncols; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", i + 1);
		csvio_put(w, name);
	}
	csvio_end(w);
	for (int i = 0; i < a.n; i++) {
		for (int j = 0; j < a.nf[i]; j++)
			csvio_putn(w, a.f[i][j], a.len[i][j]);
		csvio_end(w);
	}
	FUZZ_ASSERT(csvio_writer_close(w) == 0);
	fclose(mem);
	if (getenv("FUZZ_VERBOSE")) {
		fprintf(stderr, "--- written:\n");
		fwrite(buf, 1, blen, stderr);
		fprintf(stderr, "--- end\n");
	}
	feed(buf, blen);
	FUZZ_ASSERT(read_all(tsv, &b) == 0);
	/* a row of one empty field is a blank line, which is no row */
	int k = 0;

	for (int i = 0; i < a.n; i++) {
		if (a.nf[i] == 1 && a.len[i][0] == 0)
			continue;
		FUZZ_ASSERT(k < b.n);
		FUZZ_ASSERT(b.nf[k] == a.nf[i]);
		for (int j = 0; j < a.nf[i]; j++) {
			const char *want = a.f[i][j], *got = b.f[k][j];
			size_t wl = a.len[i][j], gl = b.len[k][j];
			char *tmp = malloc(wl + 1);

			if (safe && wl && strchr("=+-@\t\r", want[0]) && !plain_number(want, wl)) {
				FUZZ_ASSERT(gl >= 1 && got[0] == '\'');
				got++, gl--;
			}
			if (!tsv)
				wl = fold(want, wl, tmp), want = tmp;
			FUZZ_ASSERT(gl == wl && memcmp(want, got, wl) == 0);
			free(tmp);
		}
		k++;
	}
	FUZZ_ASSERT(k == b.n);
	rows_free(&a);
	rows_free(&b);
	free(buf);
}
