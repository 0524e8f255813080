/* batch: the run every writing program shares.  Opens the inputs, holds one
 * transaction, lists or sets aside bad rows, records the run, and prints the
 * output only once the run has committed (or been rolled back by --dry-run). */
#ifndef LOY_BATCH_H
#define LOY_BATCH_H

#include "cli.h"
#include "csvio.h"
#include "ledger.h"

struct batch;

enum batch_counter_kind { BATCH_CHANGED, BATCH_UNCHANGED, BATCH_OTHER };
struct batch_counter {
	const char *name;
	enum batch_counter_kind kind;
};

struct batch_job {
	const char *const *fields;	/* input fields (for --map), NULL-terminated */
	const char *const *output;	/* output columns, NULL-terminated */
	const struct batch_counter *counters;	/* NULL-terminated by name */
	/* After each file's header: bind columns; -1 if the file is unusable. */
	int (*file)(void *ctx, struct batch *b);
	/* One well-formed row: 0 done, 1 rejected (batch_reject called), -1 fatal. */
	int (*row)(void *ctx, struct batch *b, const struct csvio_row *row);
	/* Write the output row for a rejected row (optional). */
	void (*rejected)(void *ctx, struct batch *b, const struct csvio_row *row,
	    const char *reason);
	/* After each file's last row, and after the last file (optional):
	 * 0, or -1 fatal. */
	int (*file_end)(void *ctx, struct batch *b);
	int (*run_end)(void *ctx, struct batch *b);
	/* A row that is not well-formed CSV (optional; else it is rejected). */
	void (*malformed)(void *ctx, struct batch *b, const struct csvio_row *row);
	/* What to do when bad rows fail the run, for a job that takes no
	 * --rejects (optional; else that --rejects sets them aside). */
	const char *redo;
	/* Set, the job may ask for its run to be taken again from the start
	 * (batch_again), with --rejects: the run is rolled back, and this
	 * readies the job for it, knowing what it learnt; 0 or -1.  Its
	 * messages wait until the run ends, and an input that cannot be read
	 * twice (a pipe, a FIFO, a device) is copied as it is read, for the
	 * run taken again to read. */
	int (*again)(void *ctx);
	/* Set, called as each run's transaction begins, before the first
	 * file is read, with the settings and programme versions as the
	 * ledger holds them then (ledger_run_begin: another writer may have
	 * changed them while the run waited for the ledger): the job derives
	 * what it goes by from them here, not before (patterns compiled,
	 * rules parsed, the latest time a row may give); 0 or -1 (said). */
	int (*begin)(void *ctx);
	/* More for the per-file summary line (optional). */
	void (*summary)(void *ctx, struct batch *b, char *buf, size_t size);
	void *ctx;
};

/* Run `job` over the files (none: standard input).  Returns the exit status. */
int batch_run(const struct batch_job *job, const struct cli *cli, struct ledger *l,
    int nfiles, char **files, const char *args);

/* For the job's callbacks. */
struct csvio_reader *batch_reader(struct batch *b);
struct csvio_writer *batch_out(struct batch *b);
struct ledger *batch_ledger(struct batch *b);
const struct cli *batch_cli(struct batch *b);
/* An output row's line: in a run of more than one input, after the
 * input's name (the output's header has `file` before `line` then). */
void batch_put_line(struct batch *b, long line);
/* Column of `field` in the current file (through --map), or -1. */
int batch_col(struct batch *b, const char *field);
/* Columns of `fields` (NULL-terminated) into col[], in their order; each of
 * the first `need` absent is a fault of the header ("no column 'x'").
 * 0, or -1 when one is absent. */
int batch_cols(struct batch *b, const char *const *fields, int need, int *col);
/* A fault of the file's header, "FILE:LINE: what" with the header's line
 * ("no column 'txn_id'"); returns -1. */
int batch_header_error(struct batch *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Report a bad row as FILE:LINE: reason; set it aside with --rejects.
 * Returns 1, for `return batch_reject(...)`. */
int batch_reject(struct batch *b, const struct csvio_row *row, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The row's datetime `value` of column `field` (read with --date-format)
 * into out: 0; or a bad row set aside, 1, when it is empty ("occurred_at is
 * empty"), cannot be read, or is later than `limit` ("is in the future"). */
int batch_datetime(struct batch *b, const struct csvio_row *row, const char *field,
    const char *value, const char *limit, char out[static 20]);
/* The row's points `value` of column `field` into out: 0; or a bad row set
 * aside, 1, when it is not a whole number ("points 'ten' is not a whole
 * number") or lies beyond POINTS_MAX either way ("is out of range"). */
int batch_points(struct batch *b, const struct csvio_row *row, const char *field,
    const char *value, int64_t *out);
/* How batch_control_refused reads a value: BATCH_NAME, one line (an id, a
 * name, a store), no control character at all (utf8_has_control);
 * BATCH_TEXT, free text (a description, a reason), lines and tabs its own
 * (utf8_text_has_control); BATCH_PERSONAL, a name that is personal data (a
 * phone, an e-mail), shown between LOY_PII marks. */
enum { BATCH_NAME, BATCH_TEXT, BATCH_PERSONAL };
/* Reject the row when `value` (may be NULL), its field `field`, holds a
 * control character, read as `kind` says: "FIELD '...' has a control
 * character".  1 rejected, else 0. */
int batch_control_refused(struct batch *b, const struct csvio_row *row, const char *field,
    const char *value, int kind);
/* "17850.0" -> "17850", in place: digits, a point and only zeros, as
 * spreadsheets export whole numbers, stand for the digits alone. */
void batch_whole_id(char *s);
/* A member id or card as a foreign file gives it (`value` may be NULL):
 * refused as batch_control_refused() does, else read as batch_whole_id() reads
 * it, in place, unless the ledger holds it as written (a card, for `field`
 * "card", else a member not merged): an id an earlier loy stored so stays
 * the one it names.  1 rejected, 0, or -1 on error. */
int batch_id(struct batch *b, const struct csvio_row *row, const char *field, char *value);
void batch_count(struct batch *b, int counter);
/* The run is to be rolled back, when its inputs are done, and taken again
 * (batch_job's again); nothing without --rejects. */
void batch_again(struct batch *b);
/* A row counted under `from` is counted under `to` instead. */
void batch_recount(struct batch *b, int from, int to);
/* The input's number in this run, from 1. */
int batch_seq(const struct batch *b);
/* The name of input `seq` of this run, as messages name it ("stdin" for
 * standard input). */
const char *batch_input_name(const struct batch *b, int seq);

/* A ledger_row_fn that writes each row (and the header first) through the
 * csvio_writer in ctx: for listings. */
int batch_print(void *ctx, int ncols, const char *const *cols, const char *const *row);
/* A listing's start: a writer of standard output in the options' format,
 * inside a read transaction; NULL when that cannot begin, with the exit
 * status in *status. */
struct csvio_writer *batch_list_begin(const struct cli *cli, struct ledger *l, int *status);
/* Its end, after rc (-1 when the ledger failed it, else 0 or an exit
 * status): the transaction let go, the output written out; the exit
 * status (LOY_EX_IOERR when the output cannot be). */
int batch_list_end(struct ledger *l, struct csvio_writer *out, int rc);

/* A run without input files (close, merge, ...): one transaction and a run
 * record around fn, which writes its output through `out` and counts rows
 * as changed (counts[0]) or unchanged (counts[1]); fn returns 0, or an exit
 * status to roll back with.  What fn goes by of the settings and programme
 * versions it reads in the transaction, as they are then (ledger_run_begin),
 * not before. */
typedef int (*batch_fn)(void *ctx, struct ledger *l, struct csvio_writer *out,
    long counts[2]);
int batch_txn(const struct cli *cli, struct ledger *l, const char *args, batch_fn fn,
    void *ctx);

#endif
