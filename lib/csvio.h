/* csvio: streaming CSV/TSV reading (over libcsv) and writing, with the
 * physical line each record starts on, for FILE:LINE messages. */
#ifndef LOY_CSVIO_H
#define LOY_CSVIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CSVIO_FIELD_MAX (64 * 1024)	/* longest field accepted */

struct csvio_reader;
struct csvio_writer;

struct csvio_row {
	long line;		/* physical line the record starts on */
	int nf;			/* fields in this record */
	char **f;		/* NUL-terminated fields (programs may trim them) */
	size_t *len;
	char **raw;		/* the same fields as read, untouched: for rejects */
	const char *bad;	/* non-NULL: the record is malformed, and why */
};

/* Open `path` ("-" is standard input) for reading; NULL (message printed) if
 * it cannot be opened.  The input's SHA-256 is computed as it is read. */
struct csvio_reader *csvio_open(const char *path, int tsv);
/* The same for `fd`, open already (the reader closes it, unless it is
 * standard input), named `path` in messages. */
struct csvio_reader *csvio_open_fd(int fd, const char *path, int tsv);
/* Write all that is read of the input, from now on, to `fd` as well (a
 * copy to read it again from, when it cannot be read twice). */
void csvio_tee(struct csvio_reader *r, int fd);
/* The errno of a write to the tee that failed (its copy is not whole), or 0. */
int csvio_tee_error(const struct csvio_reader *r);
/* The name to print in messages: the path, or "-" as "stdin". */
const char *csvio_name(const struct csvio_reader *r);
/* Read the header row: 0, or -1 (message printed) if there is none or it is
 * malformed or names a column twice, -2 on a read error.  Once it is read,
 * 0 at once (a run that looked at the header before reading rows). */
int csvio_header(struct csvio_reader *r);
int csvio_ncols(const struct csvio_reader *r);
/* The physical line the header row starts on (blank lines may come first). */
long csvio_header_line(const struct csvio_reader *r);
const char *csvio_colname(const struct csvio_reader *r, int i);
/* Index of the column named `name` (case-insensitive, spaces trimmed), or -1. */
int csvio_col(const struct csvio_reader *r, const char *name);
/* Next record: 1 (row filled in; rows with the wrong field count, bad UTF-8,
 * NUL bytes, overlong fields or an unterminated quote come back with `bad`
 * set), 0 at the end, -1 on a read error (message printed). */
int csvio_next(struct csvio_reader *r, struct csvio_row *row);
/* A row's `bad` when a quote runs on past 16 MB: the input is not read
 * further, so the row cannot be set aside (nothing after it would be). */
extern const char csvio_runaway[];
/* The same when a line runs on past 16 MB without a line end. */
extern const char csvio_overlong[];
/* Field `col` of a row with blanks and tabs trimmed (in place); "" when col
 * is -1 (a column the file does not have). */
char *csvio_field(const struct csvio_row *row, int col);
/* s as a cell's value is read: the blanks and tabs around it cut off (in
 * place, at the end), the rest returned. */
char *csvio_trim(char *s);
/* Bytes read so far, and the checksum once the end is reached. */
uint64_t csvio_bytes(struct csvio_reader *r);
/* Bytes of the input taken up by the records returned so far, and the
 * input's size when it is a regular file (else 0): for estimates. */
uint64_t csvio_offset(const struct csvio_reader *r);
uint64_t csvio_size(const struct csvio_reader *r);
const char *csvio_sha256(struct csvio_reader *r);
long csvio_rows(const struct csvio_reader *r);
/* After csvio_sha256: 1, with its size now (from where reading began) in
 * *now, when the input is a regular file whose size is not what was read
 * of it, as a file still being written, cut short or written anew while
 * it is read has; else 0. */
int csvio_changed(const struct csvio_reader *r, uint64_t *now);
/* Wait, reading nothing, until the input has something to be read or
 * has ended (a pipe, a FIFO, a terminal; a regular file at once). */
void csvio_wait(const struct csvio_reader *r);
void csvio_close(struct csvio_reader *r);

/* Writer formats: RFC 4180 quoting (only where needed) with LF line ends;
 * TSV with \t \n \r \\ escaped; or a table aligned for a terminal (CJK
 * counted two columns wide).  With `safe`, cells starting with = + - @ tab
 * or CR get a leading apostrophe (spreadsheet formula injection). */
enum { CSVIO_CSV, CSVIO_TSV, CSVIO_TABLE };
struct csvio_writer *csvio_writer(FILE *f, int format, int safe);
void csvio_putn(struct csvio_writer *w, const char *s, size_t n);
void csvio_put(struct csvio_writer *w, const char *s);	/* NULL: empty */
void csvio_put_int(struct csvio_writer *w, int64_t v);
void csvio_put_money(struct csvio_writer *w, int64_t v, int decimals);
void csvio_end(struct csvio_writer *w);
/* Write a whole row of fields. */
void csvio_row(struct csvio_writer *w, char *const *f, int n);
/* Flush; -1 (errno kept) if anything failed. Frees the writer, not the FILE. */
int csvio_writer_close(struct csvio_writer *w);

#endif
