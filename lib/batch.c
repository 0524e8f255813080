#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "diag.h"
#include "money.h"
#include "tmpfiles.h"
#include "utf8.h"
#include "when.h"

struct batch {
	const struct batch_job *job;
	const struct cli *cli;
	struct ledger *l;
	struct csvio_reader *r;
	struct csvio_writer *out;
	FILE *spool;
	FILE *rejf;
	struct csvio_writer *rej;
	char *rejtmp;
	char *rejpath;		/* where the rejects file is renamed to */
	int rejstream;		/* 0, or 1, 2: written once committed to that
				 * descriptor, or (-1) to the file opened then */
	int rej_header;
	/* the rejects file's columns: the first file's, then, in a run of
	 * more than one input, file, and line and reason (at rej_file,
	 * rej_line and rej_reason: appended, or a read-back's own) */
	char **rejcols, *rejfirst;
	int nrejcols, rej_file, rej_line, rej_reason;
	int nfiles;
	char **files;		/* the inputs, as named */
	int *perm;		/* the file's column of each, NULL if the same */
	long count[16], filecount[16];
	int ncounters;
	long read, rejected, file_rejected;
	int seq;
	FILE *msgs;		/* the messages held while the run may be taken
				   again (loy_warn_hold), or NULL */
	int again;		/* batch_again: take the run again */
};

/* What a run taken again (batch_again) needs to know of the one before. */
struct again {
	int asked;		/* the run asked to be taken again */
	off_t at;		/* where standard input began, -1 not read */
	int *fd;		/* each input that cannot be read twice (a pipe,
				   a FIFO, a device): a copy of it as the first
				   run read it, read instead; else -1 */
	int copied;		/* those copies are begun (inputs_again) */
};

struct csvio_reader *batch_reader(struct batch *b) { return b->r; }
struct csvio_writer *batch_out(struct batch *b) { return b->out; }
struct ledger *batch_ledger(struct batch *b) { return b->l; }
const struct cli *batch_cli(struct batch *b) { return b->cli; }

void
batch_put_line(struct batch *b, long line)
{
	if (b->nfiles > 1)
		csvio_put(b->out, csvio_name(b->r));
	csvio_put_int(b->out, line);
}

int
batch_col(struct batch *b, const char *field)
{
	return csvio_col(b->r, cli_column(b->cli, field));
}

int
batch_cols(struct batch *b, const char *const *fields, int need, int *col)
{
	int bad = 0;

	for (int i = 0; fields[i]; i++)
		col[i] = batch_col(b, fields[i]);
	for (int i = 0; i < need; i++)
		if (col[i] < 0)
			bad = batch_header_error(b, "no column '%s'", fields[i]);
	return bad;
}

int
batch_header_error(struct batch *b, const char *fmt, ...)
{
	char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	loy_warn("%s:%ld: %s", csvio_name(b->r), csvio_header_line(b->r), what ? what : fmt);
	free(what);
	return -1;
}

int
batch_seq(const struct batch *b)
{
	return b->seq;
}

const char *
batch_input_name(const struct batch *b, int seq)
{
	if (seq < 1 || seq > b->nfiles)
		return "?";
	return strcmp(b->files[seq - 1], "-") == 0 ? "stdin" : b->files[seq - 1];
}

void
batch_count(struct batch *b, int counter)
{
	b->count[counter]++;
	b->filecount[counter]++;
}

void
batch_again(struct batch *b)
{
	if (b->msgs)
		b->again = 1;
}

void
batch_recount(struct batch *b, int from, int to)
{
	b->count[from]--;
	b->filecount[from]--;
	batch_count(b, to);
}

/* Where the spool files are made: $TMPDIR, else /tmp. */
static const char *
spool_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir && *dir ? dir : "/tmp";
}

/* A spool file that could not be written (a full $TMPDIR): said, naming
 * the directory rather than the output it was to go to; LOY_EX_IOERR. */
static int
spool_failed(int e)
{
	loy_warn("cannot write a temporary file in '%s': %s; nothing committed", spool_dir(),
	    strerror(e ? e : EIO));
	return LOY_EX_IOERR;
}

static FILE *
spool_file(void)
{
	char path[4096];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/loy-XXXXXX", spool_dir());
	if ((fd = mkstemp(path)) < 0) {
		loy_error("cannot create a temporary file in '%s': %s", spool_dir(),
		    strerror(errno));
		return NULL;
	}
	unlink(path);
	if (!(f = fdopen(fd, "w+"))) {
		loy_error("cannot open a temporary file in '%s': %s", spool_dir(),
		    strerror(errno));
		close(fd);
		return NULL;
	}
	return f;
}

/* The inputs of a run that may be taken again (batch_again), made ones
 * that can be read again: standard input that is a file, from where it
 * begins now (ag->at); any other input that is not a file (a pipe such as
 * <(zcat day.csv.gz) or standard input from one, a FIFO, a device) is
 * copied as it is read into a temporary file (ag->fd), which later runs
 * read instead, under the input's own name.  0, or an exit status said. */
static int
inputs_again(int nfiles, char **files, struct csvio_reader **inputs, struct again *ag)
{
	struct stat st;
	FILE *f;

	ag->copied = 1;
	for (int i = 0; i < nfiles; i++) {
		if (strcmp(files[i], "-") == 0) {
			if ((ag->at = lseek(STDIN_FILENO, 0, SEEK_CUR)) >= 0)
				continue;
		} else if (stat(files[i], &st) == 0 && S_ISREG(st.st_mode))
			continue;
		if (!(f = spool_file()))
			return LOY_EX_IOERR;
		ag->fd[i] = dup(fileno(f));
		fclose(f);
		if (ag->fd[i] < 0) {
			loy_error("cannot keep '%s' to read it again: %s", csvio_name(inputs[i]),
			    strerror(errno));
			return LOY_EX_IOERR;
		}
		csvio_tee(inputs[i], ag->fd[i]);
	}
	return 0;
}

/* Copy a spool file from its start to `to`: 0, or -1 (errno set) with
 * *read saying whether it was the spool that could not be read back. */
static int
copy_spool(FILE *spool, FILE *to, int *read)
{
	char buf[65536];
	size_t n;

	*read = 1;
	if (fflush(spool) != 0 || fseek(spool, 0, SEEK_SET) != 0)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), spool)) > 0)
		if (fwrite(buf, 1, n, to) != n)
			break;
	if (ferror(spool))
		return -1;
	*read = 0;
	return fflush(to) != 0 || ferror(to) ? -1 : 0;
}

/* Copy the spooled output to standard output, after the commit (or the
 * dry run's rollback): a failure says whether the run is in the books. */
static int
flush_spool(FILE *spool, int committed)
{
	const char *was = committed ? "the run is committed, but " : "";
	int read;

	if (copy_spool(spool, stdout, &read) < 0)
		return loy_error("%scannot %s the output: %s", was, read ? "read back" : "write",
		    strerror(errno));
	return 0;
}

/* Cell `i` of a rejected row: the row's field f (-1: none), or its line or
 * reason where a read-back rejects file has the column for them. */
static void
put_rejected(struct batch *b, int i, const struct csvio_row *row, int f, const char *reason)
{
	if (i == b->rej_file)
		csvio_put(b->rej, csvio_name(b->r));
	else if (i == b->rej_line)
		csvio_put_int(b->rej, row->line);
	else if (i == b->rej_reason)
		csvio_put(b->rej, reason);
	else if (f < 0)
		csvio_put(b->rej, NULL);
	else
		csvio_putn(b->rej, row->raw ? row->raw[f] : row->f[f], row->len[f]);
}

/* Where the rejects file puts a row's line (or reason): -1 a column `name`
 * added, -2 a column `again` added (the input has `name`, or `name` is a
 * field of the input, which the rejects file read back would take it
 * for), else the input's own column `again` (a rejects file read back). */
static int
rejects_slot(const struct batch *b, const char *name, const char *again)
{
	int at = csvio_col(b->r, again), field = 0;

	for (const char *const *f = b->job->fields; *f && !field; f++)
		field = strcmp(*f, name) == 0;
	return csvio_col(b->r, name) < 0 && !field ? -1 : at < 0 ? -2 : at;
}

/* The rejects file's columns, from the first file's header: those of every
 * file, in any order, go under it (0); others cannot (`status`, said). */
static int
rejects_columns(struct batch *b, int status)
{
	int n = csvio_ncols(b->r), same = 1;

	if (!b->rejcols) {
		b->rejfirst = loy_xstrdup(csvio_name(b->r));
		b->nrejcols = n;
		b->rejcols = loy_xmalloc((n ? n : 1) * sizeof(*b->rejcols));
		for (int i = 0; i < n; i++)
			b->rejcols[i] = loy_xstrdup(csvio_colname(b->r, i));
		/* a rejects file read back keeps its columns: a third generation
		 * reads as the second */
		b->rej_file = b->nfiles > 1 ? rejects_slot(b, "file", "rejected_file") :
		    INT_MIN;
		b->rej_line = rejects_slot(b, "line", "rejected_line");
		b->rej_reason = rejects_slot(b, "reason", "rejected_reason");
		return 0;
	}
	free(b->perm);
	b->perm = NULL;
	if (n != b->nrejcols) {
		batch_header_error(b, "%d column%s, but '%s' has %d: --rejects writes the rows "
		    "of every file under one header; give each layout a run of its own", n,
		    n == 1 ? "" : "s", b->rejfirst, b->nrejcols);
		return status;
	}
	b->perm = loy_xmalloc((n ? n : 1) * sizeof(*b->perm));
	for (int i = 0; i < n; i++) {
		if ((b->perm[i] = csvio_col(b->r, b->rejcols[i])) < 0) {
			batch_header_error(b, "no column '%s', which '%s' has: --rejects writes "
			    "the rows of every file under one header; give each layout a run of "
			    "its own", b->rejcols[i], b->rejfirst);
			return status;
		}
		same &= b->perm[i] == i;
	}
	if (same) {
		free(b->perm);
		b->perm = NULL;
	}
	return 0;
}

int
batch_datetime(struct batch *b, const struct csvio_row *row, const char *field,
    const char *value, const char *limit, char out[static 20])
{
	const char *why;

	if (!*value)
		return batch_reject(b, row, "%s is empty", field);
	if (when_parse(value, b->cli->date_format, WHEN_DATETIME, out, &why) < 0)
		return batch_reject(b, row, "%s '%s' %s", field, value, why);
	if (strcmp(out, limit) > 0)
		return batch_reject(b, row, "%s '%s' is in the future", field, value);
	return 0;
}

int
batch_points(struct batch *b, const struct csvio_row *row, const char *field,
    const char *value, int64_t *out)
{
	long long v;
	int got = money_whole_parse(value, &v);

	if (got == -1)
		return batch_reject(b, row, "%s '%s' is not a whole number", field, value);
	if (got == -2 || v > POINTS_MAX || v < -POINTS_MAX)
		return batch_reject(b, row, "%s '%s' is out of range (at most %lld either way)",
		    field, value, (long long)POINTS_MAX);
	*out = v;
	return 0;
}

/* The length of s's digits when s is a whole number as spreadsheets write
 * one ("17850.0": 5), else 0. */
static size_t
whole_len(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || s[n] != '.' || !s[n + 1] || strspn(s + n + 1, "0") != strlen(s + n + 1))
		return 0;
	return n;
}

void
batch_whole_id(char *s)
{
	size_t n = whole_len(s);

	if (n)
		s[n] = '\0';
}

/* Does the ledger hold `value` as written, a card (field "card") or a
 * member not merged: an id an earlier loy stored without reading 17850.0
 * as 17850?  1, 0, or -1. */
static int
kept_as_written(struct batch *b, const char *field, const char *value)
{
	char *member = NULL, *status = NULL;
	struct member m = { { 0 } };
	int got;

	if (strcmp(field, "card") == 0) {
		got = ledger_card_owner(b->l, value, &member, &status);
		free(member);
		free(status);
		return got;
	}
	if ((got = ledger_member_get(b->l, value, &m)) > 0)
		got = !m.v[MF_MERGED_INTO];
	member_clear(&m);
	return got;
}

int
batch_control_refused(struct batch *b, const struct csvio_row *row, const char *field,
    const char *value, int kind)
{
	if (!value || !(kind == BATCH_TEXT ? utf8_text_has_control(value) :
	    utf8_has_control(value)))
		return 0;
	return kind == BATCH_PERSONAL ?
	    batch_reject(b, row, "%s '" LOY_PII("%s") "' has a control character%s", field, value,
	    utf8_control_hint(value)) :
	    batch_reject(b, row, "%s '%s' has a control character%s", field, value,
	    utf8_control_hint(value));
}

int
batch_id(struct batch *b, const struct csvio_row *row, const char *field, char *value)
{
	size_t n;
	int got;

	if (batch_control_refused(b, row, field, value, BATCH_NAME))
		return 1;
	if (!value || (n = whole_len(value)) == 0)
		return 0;
	if ((got = kept_as_written(b, field, value)) != 0)
		return got < 0 ? -1 : 0;
	value[n] = '\0';
	return 0;
}

int
batch_reject(struct batch *b, const struct csvio_row *row, const char *fmt, ...)
{
	char *reason;
	va_list ap;

	/* whole, however long the value it quotes */
	va_start(ap, fmt);
	if (vasprintf(&reason, fmt, ap) < 0)
		loy_die(71, "out of memory");
	va_end(ap);
	loy_warn("%s:%ld: %s", csvio_name(b->r), row->line, reason);
	loy_pii_strip(reason);	/* files get the row's own values */
	b->rejected++;
	b->file_rejected++;
	if (b->rej) {
		int n = b->nrejcols;

		if (!b->rej_header) {
			for (int i = 0; i < n; i++)
				csvio_put(b->rej, b->rejcols[i]);
			if (b->rej_file < 0 && b->rej_file != INT_MIN)
				csvio_put(b->rej, b->rej_file == -1 ? "file" : "rejected_file");
			if (b->rej_line < 0)
				csvio_put(b->rej, b->rej_line == -1 ? "line" : "rejected_line");
			if (b->rej_reason < 0)
				csvio_put(b->rej, b->rej_reason == -1 ? "reason" :
				    "rejected_reason");
			csvio_end(b->rej);
			b->rej_header = 1;
		}
		/* each field under its column, a ragged row's as far as it
		 * goes: a short row padded so that line and reason stay in
		 * place, a long one's extra fields after its columns, and its
		 * line and reason after them, also where a rejects file read
		 * back has columns for them: its fields are not where its
		 * header says, and none is written over */
		int lng = row->nf > n;

		for (int i = 0; i < row->nf || i < n; i++) {
			int f = i < n && b->perm ? b->perm[i] : i;

			if (lng)
				csvio_putn(b->rej, row->raw ? row->raw[f] : row->f[f], row->len[f]);
			else
				put_rejected(b, i, row, f < row->nf ? f : -1, reason);
		}
		if (b->rej_file != INT_MIN && (b->rej_file < 0 || lng))
			csvio_put(b->rej, csvio_name(b->r));
		if (b->rej_line < 0 || lng)
			csvio_put_int(b->rej, row->line);
		if (b->rej_reason < 0 || lng)
			csvio_put(b->rej, reason);
		csvio_end(b->rej);
	}
	if (b->job->rejected)
		b->job->rejected(b->job->ctx, b, row, reason);
	free(reason);
	return 1;
}

static void
summary(struct batch *b, char *buf, size_t size, const long *count, long rows, long rej)
{
	size_t n = snprintf(buf, size, "%ld row%s", rows, rows == 1 ? "" : "s");

	for (int i = 0; i < b->ncounters && n < size; i++)
		n += snprintf(buf + n, size - n, ", %ld %s", count[i], b->job->counters[i].name);
	if (n < size)
		snprintf(buf + n, size - n, ", %ld rejected", rej);
}

/* Is `path` the name of the ledger's -wal, -shm or -journal file, which
 * SQLite makes beside it (the ledger's links followed) and removes by that
 * name, whether or not it is there now? */
static const char *
ledger_twin(const char *path, const char *ledger)
{
	static const char *const twins[] = { "-wal", "-shm", "-journal" };
	const char *twin = NULL, *slash = strrchr(path, '/');
	char *real = realpath(ledger, NULL), *dir, *rdir = NULL, *name;
	size_t n;

	if (!real)
		return NULL;
	/* the directory the name is in, resolved, and the name */
	dir = tmpfiles_dir(path);
	rdir = realpath(dir, NULL);
	name = loy_xmalloc((rdir ? strlen(rdir) : 0) + strlen(path) + 2);
	if (rdir) {
		sprintf(name, "%s/%s", strcmp(rdir, "/") == 0 ? "" : rdir, slash ? slash + 1 : path);
		n = strlen(real);
		if (strncmp(name, real, n) == 0)
			for (size_t i = 0; i < sizeof(twins) / sizeof(*twins); i++)
				if (strcmp(name + n, twins[i]) == 0)
					twin = twins[i];
	}
	free(name);
	free(rdir);
	free(dir);
	free(real);
	return twin;
}

/* Is `path` (--rejects) the ledger, a file of the ledger's or one of the
 * inputs?  Says so. */
static int
same_file(const char *path, const char *ledger, int nfiles, char **files)
{
	struct stat p, o;
	const char *twin;

	if ((twin = ledger_twin(path, ledger)) != NULL)
		return loy_error("--rejects '%s' is the ledger's %s file", path, twin) < 0;
	if (stat(path, &p) != 0)
		return 0;
	if (stat(ledger, &o) == 0 && o.st_dev == p.st_dev && o.st_ino == p.st_ino)
		return loy_error("--rejects '%s' is the ledger", path) < 0;
	/* standard input is the file or pipe it reads (/dev/stdin, or a
	 * name of the file redirected to it); a device such as /dev/null
	 * may be both */
	for (int i = 0; i < nfiles; i++)
		if ((strcmp(files[i], "-") ? stat(files[i], &o) :
		    S_ISCHR(p.st_mode) ? -1 : fstat(STDIN_FILENO, &o)) == 0 &&
		    o.st_dev == p.st_dev && o.st_ino == p.st_ino)
			return loy_error("--rejects '%s' is an input", path) < 0;
	return 0;
}

/* Commit the run, or with --dry-run roll it back and say so: 0 or an exit
 * status.  Output that could not be written (the spool's, all of it there)
 * is found before the commit where it can be, and nothing is committed.
 * An idle run, one that changed nothing and set nothing aside, is rolled
 * back too: the ledger is not written, not even the run's record. */
static int
finish(const struct cli *cli, struct ledger *l, FILE *spool, int idle)
{
	off_t size;
	int e;

	if (cli->dry_run) {
		ledger_rollback(l);
		loy_warn("dry run: nothing committed");
		return 0;
	}
	if (fflush(spool) != 0 || ferror(spool) || (size = ftello(spool)) < 0)
		return spool_failed(errno);
	if ((e = cli_fd_ready(STDOUT_FILENO, size)) != 0) {
		loy_warn("cannot write the output: %s; nothing committed", strerror(e));
		return LOY_EX_IOERR;
	}
	if (idle) {
		ledger_rollback(l);
		return 0;
	}
	return ledger_commit(l) < 0 ? ledger_status(l) : 0;
}

/* Input i, opened to be read: from its copy's start when it has one
 * (copy >= 0, inputs_again); NULL (said) when it cannot be. */
static struct csvio_reader *
open_input(const struct cli *cli, const char *file, int copy)
{
	int fd;

	if (copy < 0)
		return csvio_open(file, cli->tsv);
	if (lseek(copy, 0, SEEK_SET) < 0 || (fd = dup(copy)) < 0) {
		loy_warn("cannot read '%s' again: %s", file, strerror(errno));
		return NULL;
	}
	return csvio_open_fd(fd, file, cli->tsv);
}

/* Check every input before any work: a missing or unreadable file costs
 * nothing.  A file is opened when its turn comes (NULL here), so that a
 * run of more files than the process may hold open at once reads them
 * all; an input that could not be opened twice (standard input, a FIFO, a
 * device), or that is read from its copy (copy[i] >= 0, inputs_again), is
 * opened now. */
static struct csvio_reader **
open_inputs(const struct cli *cli, int nfiles, char **files, const int *copy, int *status)
{
	struct csvio_reader **r = calloc(nfiles, sizeof(*r));
	struct stat *st = loy_xmalloc(nfiles * sizeof(*st));

	if (!r)
		loy_die(71, "out of memory");
	*status = 0;
	for (int i = 0; i < nfiles && !*status; i++) {
		if (strcmp(files[i], "-") == 0 ? fstat(0, &st[i]) : stat(files[i], &st[i])) {
			loy_warn("cannot open '%s': %s", files[i], strerror(errno));
			*status = LOY_EX_NOINPUT;
			break;
		}
		for (int j = 0; j < i; j++)
			if (st[j].st_dev == st[i].st_dev && st[j].st_ino == st[i].st_ino) {
				loy_warn("'%s' is given twice", files[i]);
				*status = LOY_EX_USAGE;
			}
		if (S_ISDIR(st[i].st_mode)) {
			loy_warn("'%s' is a directory", files[i]);
			*status = LOY_EX_NOINPUT;
		}
	}
	for (int i = 0; i < nfiles && !*status; i++) {
		int fd;

		if (copy[i] >= 0 || strcmp(files[i], "-") == 0 || !S_ISREG(st[i].st_mode)) {
			if (!(r[i] = open_input(cli, files[i], copy[i])))
				*status = LOY_EX_NOINPUT;
		} else if ((fd = open(files[i], O_RDONLY | O_CLOEXEC)) < 0) {
			loy_warn("cannot open '%s': %s", files[i], strerror(errno));
			*status = LOY_EX_NOINPUT;
		} else
			close(fd);
	}
	free(st);
	if (*status) {
		for (int i = 0; i < nfiles; i++)
			csvio_close(r[i]);
		free(r);
		return NULL;
	}
	return r;
}

/* Drop an unused or failed rejects file. */
static void
drop_rejects(struct batch *b)
{
	if (b->rejf) {
		if (b->rej)
			csvio_writer_close(b->rej);
		fclose(b->rejf);
		b->rejf = NULL;
	}
	if (b->rejtmp) {
		unlink(b->rejtmp);
		tmpfiles_forget(b->rejtmp);
		free(b->rejtmp);
		b->rejtmp = NULL;
	}
	free(b->rejpath);
	b->rejpath = NULL;
}

/*
 * Where --rejects goes.  A regular file, or a new one, is made beside it
 * and renamed into place at the commit; through a symbolic link, beside
 * the file the link leads to, so that the link stays.  Anything else is
 * no file to replace (a FIFO, a terminal, /dev/null, the program's own
 * standard output or error): the rows wait in a temporary file and are
 * written to it once the run commits.  0, or an exit status.
 */
static int
open_rejects(struct batch *b)
{
	const char *path = b->cli->rejects;
	struct stat st, lst, fdst;
	int fd;

	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			loy_error("--rejects '%s' is a directory", path);
			return LOY_EX_USAGE;
		}
		for (int i = STDOUT_FILENO; i <= STDERR_FILENO; i++)
			if (fstat(i, &fdst) == 0 && fdst.st_dev == st.st_dev &&
			    fdst.st_ino == st.st_ino)
				b->rejstream = i;
		if (!b->rejstream && !S_ISREG(st.st_mode))
			b->rejstream = -1;
	}
	if (b->rejstream) {
		if (!(b->rejf = spool_file()))
			return LOY_EX_IOERR;
	} else {
		b->rejpath = loy_xstrdup(path);
		/* the file at the end of the links, there yet or not */
		for (int hops = 0; hops < 40 && lstat(b->rejpath, &lst) == 0 &&
		    S_ISLNK(lst.st_mode); hops++) {
			char to[4096];
			ssize_t n = readlink(b->rejpath, to, sizeof(to) - 1);
			char *dir, *next;
			size_t size;

			if (n < 0)
				break;
			to[n] = '\0';
			dir = tmpfiles_dir(b->rejpath);
			size = strlen(dir) + n + 2;
			next = loy_xmalloc(size);
			if (to[0] == '/')
				snprintf(next, size, "%s", to);
			else
				snprintf(next, size, "%s/%s", dir, to);
			free(dir);
			free(b->rejpath);
			b->rejpath = next;
		}
		if ((fd = tmpfiles_open(b->rejpath, 0644, &b->rejtmp)) < 0 ||
		    !(b->rejf = fdopen(fd, "w"))) {
			loy_error("cannot create '%s': %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			drop_rejects(b);
			return LOY_EX_IOERR;
		}
	}
	b->rej = csvio_writer(b->rejf, b->cli->tsv ? CSVIO_TSV : CSVIO_CSV, 0);
	return 0;
}

/* Before the commit: whether the rejects can be streamed where --rejects
 * says, as far as can be told without writing any (a device that takes no
 * writes, a closed descriptor); a FIFO is not opened before its time.  0,
 * or an exit status said. */
static int
rejects_ready(struct batch *b)
{
	const char *path = b->cli->rejects;
	struct stat st;
	off_t size;
	int fd = b->rejstream, e;

	/* the rejects wait in a spool file */
	if (fflush(b->rejf) != 0 || ferror(b->rejf) || (size = ftello(b->rejf)) < 0)
		return spool_failed(errno);
	if (fd < 0 && (stat(path, &st) != 0 || !S_ISCHR(st.st_mode)))
		return 0;
	if (fd < 0 && (fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) < 0)
		e = errno;
	else
		e = cli_fd_ready(fd, size);
	if (b->rejstream < 0 && fd >= 0)
		close(fd);
	if (e) {
		loy_warn("cannot write the rejects to '%s': %s; nothing committed", path,
		    strerror(e));
		return LOY_EX_IOERR;
	}
	return 0;
}

/* Write the rejects waiting in their temporary file to where --rejects
 * streams them, once the run is committed: 0, or -1 said. */
static int
stream_rejects(struct batch *b)
{
	const char *path = b->cli->rejects;
	FILE *to = b->rejstream == STDOUT_FILENO ? stdout :
	    b->rejstream == STDERR_FILENO ? stderr : NULL;
	int fd, read, bad;

	if (!to && ((fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC)) < 0 ||
	    !(to = fdopen(fd, "w")))) {
		if (fd >= 0)
			close(fd);
		return loy_error("the run is committed, but its rejects could not be written "
		    "to '%s': %s", path, strerror(errno));
	}
	bad = copy_spool(b->rejf, to, &read) < 0;
	if (b->rejstream < 0)
		bad |= fclose(to) != 0;
	if (bad && read)
		return loy_error("the run is committed, but its rejects could not be read "
		    "back: %s", strerror(errno));
	if (bad)
		return loy_error("the run is committed, but its rejects could not be written "
		    "to '%s': %s", path, strerror(errno));
	return 0;
}

/* Is every field of the row empty, or blanks and tabs alone? */
static int
empty_row(const struct csvio_row *row)
{
	for (int i = 0; i < row->nf; i++)
		for (size_t j = 0; j < row->len[i]; j++)
			if (row->f[i][j] != ' ' && row->f[i][j] != '\t')
				return 0;
	return 1;
}

/* Before the run, with --rejects and more than one input: every input's
 * header read, and each checked to go under the first's (rejects_columns),
 * so that inputs of other layouts are a usage error (status 64) before a
 * row is read or the ledger taken, not one found at that file's turn once
 * the files before it are done.  An input opened already (standard input,
 * a FIFO, a copy) keeps its header read; a regular file is opened for it
 * and closed, and read again at its turn.  0, or an exit status said. */
static int
rejects_layouts(struct batch *b, struct csvio_reader **inputs, const int *copy)
{
	int status = 0;

	for (int i = 0; i < b->nfiles && !status; i++) {
		struct csvio_reader *r = inputs[i];
		int got;

		if (!r && !(r = open_input(b->cli, b->files[i], copy[i])))
			return LOY_EX_NOINPUT;
		b->r = r;
		if ((got = csvio_header(r)) < 0)
			status = got == -2 ? LOY_EX_IOERR : LOY_EX_DATAERR;
		else
			status = rejects_columns(b, LOY_EX_USAGE);
		b->r = NULL;
		if (r != inputs[i])
			csvio_close(r);
	}
	return status;
}

static int
do_file(struct batch *b, int seq)
{
	struct csvio_row row;
	char line[512];
	const char *sha;
	static time_t shown_at;	/* when the rows read were last shown */
	uint64_t now;
	int got;

	memset(b->filecount, 0, sizeof(b->filecount));
	b->file_rejected = 0;
	b->seq = seq;
	if ((got = csvio_header(b->r)) < 0)
		return got == -2 ? LOY_EX_IOERR : LOY_EX_DATAERR;
	/* checked before the run (rejects_layouts); read again here, a file
	 * written anew since */
	if (b->cli->rejects && (got = rejects_columns(b, LOY_EX_DATAERR)) != 0)
		return got;
	for (int i = 0; i < b->cli->nmap; i++)
		if (csvio_col(b->r, b->cli->map[i].column) < 0) {
			batch_header_error(b, "--map %s=%s: no column '%s'", b->cli->map[i].field,
			    b->cli->map[i].column, b->cli->map[i].column);
			return LOY_EX_DATAERR;
		}
	if (b->job->file(b->job->ctx, b) < 0)
		return LOY_EX_DATAERR;
	while ((got = csvio_next(b->r, &row)) > 0) {
		b->read++;
		if ((b->read & 0xffff) == 0 && time(NULL) != shown_at) {
			shown_at = time(NULL);
			loy_progress("%s: %ld rows", csvio_name(b->r), csvio_rows(b->r));
		}
		if (row.bad == csvio_runaway || row.bad == csvio_overlong) {
			loy_warn("%s:%ld: row %s", csvio_name(b->r), row.line, row.bad);
			return LOY_EX_DATAERR;
		}
		if (row.bad) {
			if (b->job->malformed)
				b->job->malformed(b->job->ctx, b, &row);
			else
				batch_reject(b, &row, "row %s", row.bad);
			continue;
		}
		/* a row of empty cells (",,,", as a spreadsheet exports the
		 * rows below its data) is said to be one, not found wanting
		 * in its first field; set aside as any bad row, not skipped */
		if (empty_row(&row)) {
			batch_reject(b, &row, "empty row");
			continue;
		}
		if (b->job->row(b->job->ctx, b, &row) < 0)
			return ledger_status(b->l);
	}
	loy_progress_clear();
	if (got < 0)
		return LOY_EX_IOERR;
	if (b->job->file_end && b->job->file_end(b->job->ctx, b) < 0)
		return ledger_status(b->l);
	/* the checksum first: it reads what a runaway quote left unread */
	sha = csvio_sha256(b->r);
	/* its last row may be one half written, or rows the file no longer
	 * holds: nothing of it is in the books */
	if (csvio_changed(b->r, &now)) {
		loy_warn("%s: changed while it was read: %llu bytes read, %llu there now (a file "
		    "still being written, or written anew); nothing committed: run again once "
		    "it is whole", csvio_name(b->r), (unsigned long long)csvio_bytes(b->r),
		    (unsigned long long)now);
		return LOY_EX_IOERR;
	}
	if (ledger_run_input(b->l, seq, csvio_name(b->r), sha, csvio_bytes(b->r),
	    csvio_rows(b->r)) < 0)
		return ledger_status(b->l);
	summary(b, line, sizeof(line), b->filecount, csvio_rows(b->r), b->file_rejected);
	if (b->job->summary) {
		size_t n = strlen(line);

		b->job->summary(b->job->ctx, b, line + n, sizeof(line) - n);
	}
	loy_warn("%s: %s", csvio_name(b->r), line);
	return 0;
}

/* The messages held for a run that may be taken again, shown (or, for
 * one taken again, dropped). */
static void
release_msgs(struct batch *b, int show)
{
	if (!b->msgs)
		return;
	loy_warn_release(show);
	fclose(b->msgs);
	b->msgs = NULL;
}

/* One run over the inputs: batch_run's, which takes it again when the job
 * asks (ag->asked). */
static int
run(const struct batch_job *job, const struct cli *cli, struct ledger *l, int nfiles,
    char **files, const char *args, struct again *ag)
{
	struct csvio_reader **inputs;
	struct batch b = { .job = job, .cli = cli, .l = l, .nfiles = nfiles, .files = files };
	char *tee_name = NULL;	/* an input whose copy is not whole */
	int status = 0, idle, tee_err = 0;
	long changed = 0, unchanged = 0;
	char line[512];

	cli_check_map(cli, job->fields);
	while (job->counters[b.ncounters].name)
		b.ncounters++;
	if (!(inputs = open_inputs(cli, nfiles, files, ag->fd, &status)))
		return status;
	/* a run that may be taken again: its inputs can be read again, and
	 * the messages wait, so that none is said twice */
	if (job->again && cli->rejects) {
		if (!ag->copied && (status = inputs_again(nfiles, files, inputs, ag)) != 0)
			goto out;
		if (!(b.msgs = spool_file())) {
			status = LOY_EX_IOERR;
			goto out;
		}
		loy_warn_hold(b.msgs);
	}
	if (!(b.spool = spool_file())) {
		status = LOY_EX_IOERR;
		goto out;
	}
	b.out = csvio_writer(b.spool, cli_format(cli), cli->safe_cells);
	for (const char *const *c = job->output; *c; c++) {
		if (nfiles > 1 && strcmp(*c, "line") == 0)
			csvio_put(b.out, "file");
		csvio_put(b.out, *c);
	}
	csvio_end(b.out);
	if (cli->rejects && same_file(cli->rejects, ledger_path(l), nfiles, files)) {
		status = LOY_EX_USAGE;
		goto out;
	}
	if (cli->rejects && nfiles > 1 && (status = rejects_layouts(&b, inputs, ag->fd)) != 0)
		goto out;
	if (cli->rejects && (status = open_rejects(&b)) != 0)
		goto out;
	/* the ledger is taken once a pipe has something to read: a writer at
	 * its other end (loy-enroll crm.csv | cut -d, -f1,2 | loy-enroll)
	 * prints once its run has committed, and would wait for the ledger
	 * this run held while waiting for it, till one of them gave up */
	for (int i = 0; i < nfiles; i++)
		if (inputs[i])
			csvio_wait(inputs[i]);
	if (ledger_begin(l) < 0 || ledger_run_begin(l, loy_progname, args) < 0) {
		status = ledger_status(l);
		goto out;
	}
	/* what the job goes by, from the programme as the run found it */
	if (job->begin && job->begin(job->ctx) < 0) {
		status = ledger_status_or(l, LOY_EX_DATAERR);
		goto out;
	}
	/* each input opened at its turn and closed once read, its memory
	 * given back: a run of many files holds one at a time */
	for (int i = 0; i < nfiles && !status; i++) {
		if (!inputs[i] && !(inputs[i] = open_input(cli, files[i], ag->fd[i]))) {
			status = LOY_EX_NOINPUT;
			break;
		}
		b.r = inputs[i];
		status = do_file(&b, i + 1);
		b.r = NULL;
		/* a copy for a run taken again that is not whole: the first */
		if (!tee_name && csvio_tee_error(inputs[i])) {
			tee_err = csvio_tee_error(inputs[i]);
			tee_name = loy_xstrdup(csvio_name(inputs[i]));
		}
		csvio_close(inputs[i]);
		inputs[i] = NULL;
	}
	if (!status && job->run_end && job->run_end(job->ctx, &b) < 0)
		status = ledger_status(l);
	/* messages that could not be held have been said: the run cannot be
	 * taken again without saying them twice, nor stand on a full TMPDIR */
	if (!status && b.msgs && loy_warn_held_error())
		status = spool_failed(loy_warn_held_error());
	if (!status && b.again) {
		/* rolled back: the job takes it again, knowing more, from
		 * whole copies of the inputs that cannot be read twice (each
		 * checked once read) */
		if (tee_name) {
			loy_error("cannot keep '%s' to read it again: %s", tee_name,
			    strerror(tee_err));
			status = LOY_EX_IOERR;
		} else
			ag->asked = 1;
		goto out;
	}
	if (!status && b.rejected && !cli->rejects) {
		loy_warn("%ld bad row%s; nothing committed, not even the rows counted above "
		    "(%s)", b.rejected, b.rejected == 1 ? "" : "s", job->redo ? job->redo :
		    "--rejects FILE sets bad rows aside and commits the rest");
		status = LOY_EX_DATAERR;
	}
	if (status)
		goto out;
	for (int i = 0; i < b.ncounters; i++) {
		if (job->counters[i].kind == BATCH_CHANGED)
			changed += b.count[i];
		else if (job->counters[i].kind == BATCH_UNCHANGED)
			unchanged += b.count[i];
	}
	summary(&b, line, sizeof(line), b.count, b.read, b.rejected);
	idle = !b.rejected && !ledger_run_wrote(l);
	if (ledger_run_end(l, b.read, changed, unchanged, b.rejected, line) < 0) {
		status = ledger_status(l);
		goto out;
	}
	if (csvio_writer_close(b.out) < 0) {
		b.out = NULL;
		status = spool_failed(errno);
		goto out;
	}
	b.out = NULL;
	if (b.rejf) {
		int bad = csvio_writer_close(b.rej) < 0;

		b.rej = NULL;
		/* a dry run's rejects go unnamed, with drop_rejects; a run's
		 * are on the disk, under a name, before it commits, so that a
		 * power cut after the commit leaves them whole beside it */
		if (!bad && !cli->dry_run && !b.rejstream &&
		    (fdatasync(fileno(b.rejf)) != 0 ||
		    tmpfiles_name(fileno(b.rejf), b.rejpath, &b.rejtmp) < 0 ||
		    tmpfiles_sync_dir(b.rejpath) < 0))
			bad = 1;
		if (!b.rejstream) {
			bad |= fclose(b.rejf) != 0;	/* all, whatever the first said */
			b.rejf = NULL;
		}
		if (bad) {
			/* streamed, they wait in a spool file */
			if (b.rejstream)
				status = spool_failed(errno);
			else {
				loy_warn("cannot write '%s': %s", cli->rejects, strerror(errno));
				status = LOY_EX_IOERR;
			}
			goto out;
		}
	}
	/*
	 * From the commit on, a signal leaves the rejects file under its
	 * temporary name: the run may be in the books, and its bad rows with it.
	 */
	if (b.rejtmp)
		tmpfiles_forget(b.rejtmp);
	if (b.rejstream && !cli->dry_run && (status = rejects_ready(&b)) != 0)
		goto out;
	if ((status = finish(cli, l, b.spool, idle)) != 0)
		goto out;
	if (idle && !cli->dry_run)
		loy_warn("nothing changed: the ledger is as it was, with no record of the run");
	/* only a committed run puts its rejects file in place (a dry run's
	 * goes with drop_rejects) */
	if (b.rejtmp && !cli->dry_run) {
		const char *was = idle ? "nothing changed" : "the run is committed";

		if (rename(b.rejtmp, b.rejpath) != 0) {
			loy_warn("%s, but its rejects could not be put in '%s': %s (they are "
			    "in '%s')", was, cli->rejects, strerror(errno), b.rejtmp);
			status = LOY_EX_IOERR;
		} else if (tmpfiles_sync_dir(b.rejpath) < 0) {
			loy_warn("%s and its rejects are in '%s', but a power cut may take them "
			    "back to '%s': cannot sync the directory: %s", was, cli->rejects,
			    b.rejtmp, strerror(errno));
			status = LOY_EX_IOERR;
		}
		free(b.rejtmp);
		b.rejtmp = NULL;
		if (status)
			goto out;
	}
	if (b.rejstream && !cli->dry_run && stream_rejects(&b) < 0) {
		status = LOY_EX_IOERR;
		goto out;
	}
	release_msgs(&b, 1);	/* before the output, as they would have come */
	if (flush_spool(b.spool, !cli->dry_run && !idle) < 0)
		status = LOY_EX_IOERR;
	else if (b.rejected)
		status = LOY_EX_SETASIDE;
out:
	ledger_rollback(l);
	release_msgs(&b, !ag->asked);
	if (b.out)
		csvio_writer_close(b.out);
	drop_rejects(&b);
	if (b.spool)
		fclose(b.spool);
	for (int i = 0; i < nfiles; i++)
		csvio_close(inputs[i]);
	free(inputs);
	free(tee_name);
	for (int i = 0; i < b.nrejcols; i++)
		free(b.rejcols[i]);
	free(b.rejcols);
	free(b.rejfirst);
	free(b.perm);
	return status;
}

int
batch_run(const struct batch_job *job, const struct cli *cli, struct ledger *l,
    int nfiles, char **files, const char *args)
{
	static char *stdin_only[] = { "-" };
	struct again ag = { 0, -1, NULL, 0 };
	int status;

	if (nfiles == 0) {
		nfiles = 1;
		files = stdin_only;
	}
	ag.fd = loy_xmalloc(nfiles * sizeof(*ag.fd));
	for (int i = 0; i < nfiles; i++)
		ag.fd[i] = -1;
	for (;;) {
		ag.asked = 0;
		status = run(job, cli, l, nfiles, files, args, &ag);
		if (!ag.asked)
			break;
		if (job->again(job->ctx) < 0) {
			status = ledger_status_or(l, LOY_EX_DATAERR);
			break;
		}
		if (ag.at >= 0 && lseek(STDIN_FILENO, ag.at, SEEK_SET) < 0) {
			loy_error("cannot read 'stdin' again: %s", strerror(errno));
			status = LOY_EX_IOERR;
			break;
		}
	}
	for (int i = 0; i < nfiles; i++)
		if (ag.fd[i] >= 0)
			close(ag.fd[i]);
	free(ag.fd);
	return status;
}

int
batch_print(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct csvio_writer *out = ctx;

	for (int i = 0; i < ncols; i++)
		csvio_put(out, row ? row[i] : cols[i]);
	csvio_end(out);
	return 0;
}

struct csvio_writer *
batch_list_begin(const struct cli *cli, struct ledger *l, int *status)
{
	struct csvio_writer *out = csvio_writer(stdout, cli_format(cli), cli->safe_cells);

	if (ledger_begin_read(l) < 0) {
		csvio_writer_close(out);
		*status = ledger_status(l);
		return NULL;
	}
	return out;
}

int
batch_list_end(struct ledger *l, struct csvio_writer *out, int rc)
{
	ledger_rollback(l);
	if (cli_writer_done(out) != 0)
		return LOY_EX_IOERR;
	return rc < 0 ? ledger_status(l) : rc;
}

int
batch_txn(const struct cli *cli, struct ledger *l, const char *args, batch_fn fn, void *ctx)
{
	struct csvio_writer *out;
	FILE *spool;
	long counts[2] = { 0, 0 };
	int status, idle;
	char line[128];

	if (!(spool = spool_file()))
		return LOY_EX_IOERR;
	out = csvio_writer(spool, cli_format(cli), cli->safe_cells);
	if (ledger_begin(l) < 0 || ledger_run_begin(l, loy_progname, args) < 0) {
		status = ledger_status(l);
		goto out;
	}
	if ((status = fn(ctx, l, out, counts)) != 0)
		goto out;
	snprintf(line, sizeof(line), "%ld changed, %ld unchanged", counts[0], counts[1]);
	idle = !ledger_run_wrote(l);
	if (ledger_run_end(l, counts[0] + counts[1], counts[0], counts[1], 0, line) < 0) {
		status = ledger_status(l);
		goto out;
	}
	/* all the output in the spool before the commit, to be weighed */
	if (csvio_writer_close(out) < 0) {
		out = NULL;
		status = spool_failed(errno);
		goto out;
	}
	out = NULL;
	if ((status = finish(cli, l, spool, idle)) != 0)
		goto out;
	if (flush_spool(spool, !cli->dry_run && !idle) < 0)
		status = LOY_EX_IOERR;
out:
	ledger_rollback(l);
	if (out)
		csvio_writer_close(out);
	fclose(spool);
	return status;
}
