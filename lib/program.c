/* program: loy-program's sub-commands (check, load, apply, show, versions). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "batch.h"
#include "csvio.h"
#include "diag.h"
#include "program.h"
#include "programme.h"
#include "segment.h"
#include "sha256.h"
#include "when.h"

#define PROGRAMME_MAX (16L * 1024 * 1024)	/* bytes: far beyond any real file */

/* Read a whole file ("-": standard input); 0 or an exit status. */
static int
slurp(const char *path, char **text, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 8192, n = 0, got;
	struct stat st;
	char *buf;

	if (!f) {
		loy_error("cannot open '%s': %s", path, strerror(errno));
		return LOY_EX_NOINPUT;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		/* as every program says of an input that is a directory */
		loy_error("'%s' is a directory", path);
		if (f != stdin)
			fclose(f);
		return LOY_EX_NOINPUT;
	}
	buf = loy_xmalloc(cap);
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= (size_t)PROGRAMME_MAX) {
				loy_error("'%s' is larger than %ld bytes: not a programme file", path,
				    PROGRAMME_MAX);
				free(buf);
				if (f != stdin)
					fclose(f);
				return LOY_EX_DATAERR;
			}
			buf = loy_xrealloc(buf, cap *= 2);
		}
	}
	if (ferror(f)) {
		loy_error("cannot read '%s': %s", path, strerror(errno));
		free(buf);
		if (f != stdin)
			fclose(f);
		return LOY_EX_IOERR;
	}
	if (f != stdin)
		fclose(f);
	*text = buf;
	*len = n;
	return 0;
}

static const char *
display_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "stdin" : path;
}

/* Whether text holds no programme at all: nothing but a BOM, blank lines
 * and comments.  Lines that end in CR alone are one line, a comment first
 * taking in the whole file: programme_parse says what they are. */
static int
no_programme(const char *text, size_t len)
{
	size_t i = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

	for (size_t k = 0; k + 1 < len && text[k] != '\n'; k++)
		if (text[k] == '\r' && text[k + 1] != '\n' && text[k + 1] != '\r')
			return 0;

	while (i < len) {
		while (i < len && strchr(" \t\r\n\f\v", text[i]) && text[i])
			i++;
		if (i == len)
			break;
		if (text[i] != '#')
			return 0;
		while (i < len && text[i] != '\n')
			i++;
	}
	return 1;
}

int
program_read(const char *path, struct programme *p, const char *failing)
{
	char *text;
	size_t len;
	int status = slurp(path, &text, &len);

	if (status)
		return status;
	/* a file cut short, not a wish for the default programme */
	if (no_programme(text, len)) {
		loy_error("%s: no programme in it: the file is empty, or holds only comments%s",
		    display_name(path), failing);
		free(text);
		return LOY_EX_DATAERR;
	}
	if (programme_parse(display_name(path), text, len, p) < 0) {
		loy_error("%s: not a valid programme file%s", display_name(path), failing);
		free(text);
		return LOY_EX_DATAERR;
	}
	free(text);
	return 0;
}

int
program_check(const struct cli *cli, const char *file)
{
	struct programme p;
	int status;

	(void)cli;
	if ((status = program_read(file, &p, "")) != 0)
		return status;
	printf("%s: a valid programme\n", display_name(file));
	programme_summary(&p, stdout);
	programme_free(&p);
	return cli_output_done();
}

/* The line of `key = ...` in the [programme] section of text, 0 if none. */
static int
setting_line(const char *text, const char *key)
{
	int no = 0, in = 0;
	size_t kl = strlen(key);

	if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3;	/* a BOM, before the first line */
	for (const char *s = text; *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : s + strlen(s)) {
		no++;
		s += strspn(s, " \t");
		if (*s == '[') {
			/* [programme], blanks allowed inside the brackets */
			s++;
			s += strspn(s, " \t");
			in = strncmp(s, "programme", 9) == 0;
			s += in ? 9 : 0;
			s += strspn(s, " \t");
			in &= *s == ']';
		} else if (in && strncmp(s, key, kl) == 0 && strchr(" \t=", s[kl]))
			return no;
	}
	return 0;
}

struct load {
	const char *name;
	struct programme p;
	char sha[65];		/* the file's */
	char *text;		/* what is stored: the file less show's comment */
	char text_sha[65];
	const char *from;	/* from_at, or now */
	const char *from_opt;	/* --from as given, or NULL */
	const char *date_format;
	char from_at[20];	/* --from, read as the run begins */
	int retroactive;
	char now[20];		/* the run's (ledger_run_now) */
};

/* A ledger keeps one currency, decimals and time zone: its money and
 * its times are kept in them. */
int
program_same_basis(const char *name, const struct programme *p, struct ledger *l)
{
	static const char *const keys[] = { "currency", "decimals", "timezone", NULL };
	char **k, **v;
	int n, bad = 0;

	programme_ledger_settings(p, &k, &v, &n);
	for (int i = 0; i < n; i++)
		for (int j = 0; keys[j]; j++) {
			const char *was = ledger_setting(l, keys[j]);
			int line;

			if (strcmp(k[i], keys[j]) != 0 || !was || strcmp(was, v[i]) == 0)
				continue;
			if ((line = setting_line(p->text, keys[j])) > 0)
				loy_error("%s:%d: %s '%s' differs from the ledger's '%s': a ledger "
				    "keeps one currency, decimals and time zone", name, line,
				    keys[j], v[i], was);
			else
				loy_error("%s: %s is not set, so it is '%s', but the ledger's is "
				    "'%s': a ledger keeps one currency, decimals and time zone",
				    name, keys[j], v[i], was);
			bad = 1;
		}
	programme_kv_free(k, v, n);
	return bad ? -1 : 0;
}

/* Write the settings of the version in force now; *changed says if any. */
static int
apply_now(struct ledger *l, const char *now, int *version, int *changed)
{
	struct programme *v;
	const struct programme *cur;
	char **k, **val;
	int n, nv, rc = 0;
	long shared;

	*changed = 0;
	if (programme_versions(l, &v, &nv) < 0)
		return -1;
	cur = programme_at(v, nv, now);
	*version = cur->version;
	programme_ledger_settings(cur, &k, &val, &n);
	for (int i = 0; i < n; i++) {
		const char *was = ledger_setting(l, k[i]);

		*changed |= !was || strcmp(was, val[i]) != 0;
	}
	/* spelt otherwise, as loy-init writes them (earn_amount 1, not
	 * 1.00), but the same in effect: nothing to apply */
	if (*changed && ledger_settings_are(l, cur))
		*changed = 0;
	if (*changed && cur->version > 0 &&
	    (rc = ledger_settings_put(l, k, val, n, &shared)) == 0 && shared > 0)
		loy_warn("phone_country %s: %ld member%s now share%s %s phone with another "
		    "member, not before; a phone that several members share finds the "
		    "earliest enrolled of them (loy-enroll duplicates lists them)",
		    programme_setting(cur, "phone_country") ?
		    programme_setting(cur, "phone_country") : "none", shared,
		    shared == 1 ? "" : "s", shared == 1 ? "s" : "", shared == 1 ? "its" : "their");
	programme_kv_free(k, val, n);
	programme_versions_free(v, nv);
	return rc;
}

/* The comment line loy-program show prints before a version, at the start
 * of text (after a BOM): its length with its line end, else 0. */
static size_t
show_comment_len(const char *text)
{
	static const char none[] = "# no programme version stored: the ledger's settings, "
	    "as a programme";
	static const char head[] = "# programme version ", mid[] = ", in force from ";
	size_t len = strcspn(text, "\n"), n, end = len + (text[len] == '\n');
	const char *s = text;

	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (len == sizeof(none) - 1 && strncmp(text, none, len) == 0)
		return end;
	if (strncmp(s, head, sizeof(head) - 1) != 0)
		return 0;
	s += sizeof(head) - 1;
	if ((n = strspn(s, "0123456789")) == 0 || strncmp(s + n, mid, sizeof(mid) - 1) != 0)
		return 0;
	s += n + sizeof(mid) - 1;
	n = len - (size_t)(s - text);
	if (n == 9 && strncmp(s, "the start", 9) == 0)
		return end;
	if (n == 19 && strspn(s, "0123456789") == 4 && s[4] == '-' && s[7] == '-' &&
	    s[10] == ' ' && s[13] == ':' && s[16] == ':')
		return end;
	return 0;
}

/* The text to store of a file loaded: as read, less the comment line of
 * loy-program show at its start, so that a copy show printed is the
 * version it shows. */
static char *
stored_text(const char *text)
{
	size_t bom = strncmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	size_t skip = show_comment_len(text + bom);
	size_t rest = strlen(text + bom + skip);
	char *t = loy_xmalloc(bom + rest + 1);

	memcpy(t, text, bom);
	memcpy(t + bom, text + bom + skip, rest + 1);
	return t;
}

/* The next character of a programme's text at *s, a CR LF read as LF. */
static int
text_char(const char **s)
{
	if ((*s)[0] == '\r' && (*s)[1] == '\n')
		++*s;
	return (unsigned char)(*(*s)++);
}

/* Is `text` the stored version `was`, or a copy of it: show's, which ends
 * in a line break where the version did not, or one saved with a
 * byte-order mark or CR LF line ends (a Windows editor's) where the
 * version had none, or the other way round? */
static int
same_text(const char *was, const char *text)
{
	int a, b, last = '\n';

	if (strncmp(was, "\xef\xbb\xbf", 3) == 0)
		was += 3;
	if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3;
	while ((a = text_char(&was)) == (b = text_char(&text)) && a)
		last = a;
	/* one more line break at the end of one, after a line without */
	return a == b || (last != '\n' && ((a == 0 && b == '\n' && !*text) ||
	    (b == 0 && a == '\n' && !*was)));
}

/* The assignments of tiers by hand that a loaded version leaves without
 * their tier: each member's latest (the one in force), when it holds on
 * the version's first day and names a tier the version does not have. */
struct orphans {
	struct load *ld;
	int version;
	char day[11];
	char *member, *tier, *until;	/* the member's latest seen */
};

/* The member's latest assignment seen, forgotten. */
static void
orphan_forget(struct orphans *o)
{
	free(o->member);
	free(o->tier);
	free(o->until);
	o->member = o->tier = o->until = NULL;
}

static void
orphan_warn(struct orphans *o)
{
	if (o->member && strcmp(o->until, o->day) >= 0 &&
	    programme_tier(&o->ld->p, o->tier) < 0)
		loy_warn("%s: version %d has no tier '%s', assigned to member '%s' until %s: "
		    "from %s the assignment holds the member in no tier, and loy-segment "
		    "tiers moves them to the tier they earned", o->ld->name, o->version,
		    o->tier, o->member, o->until, o->day);
	orphan_forget(o);
}

static int
orphan_row(void *ctx, int ncols, const char *const *cols, const char *const *row)
{
	struct orphans *o = ctx;

	(void)ncols;
	(void)cols;
	if (!row)
		return 0;
	if (o->member && strcmp(o->member, row[0]) != 0)
		orphan_warn(o);
	orphan_forget(o);
	o->member = loy_xstrdup(row[0]);
	o->tier = loy_xstrdup(row[1]);
	o->until = loy_xstrdup(row[3]);
	return 0;
}

/* A date or datetime option, in --date-format (NULL: ISO 8601); end: a
 * date alone is its last second. */
static int
parse_when(const char *opt, const char *s, const char *fmt, int end, char out[20])
{
	const char *why;

	if (when_parse(s, fmt, end ? WHEN_END : WHEN_DATETIME, out, &why) < 0) {
		/* a date alone is as welcome as a datetime */
		if (strncmp(why, "is not an ISO 8601", 18) == 0)
			why = "is not an ISO 8601 date or datetime";
		loy_error("%s '%s' %s", opt, s, why);
		return -1;
	}
	return 0;
}

/* A rule whose window lies wholly outside the time the version governs
 * (from its date until the next version takes over) never applies: the
 * file loads, but a promotion so dated is most likely a slip. */
static void
dead_rules_warn(const struct load *ld, int version, const char *until, int next)
{
	for (int i = 0; i < ld->p.nrules; i++) {
		const struct rule *r = &ld->p.rules[i];

		if (r->to && strcmp(r->to, ld->from) < 0)
			loy_warn("%s:%d: rule '%s' ends at %s, before version %d takes effect at "
			    "%s: it never applies under this version", ld->name, r->line,
			    r->name, r->to, version, ld->from);
		else if (r->from && *until && strcmp(r->from, until) >= 0)
			loy_warn("%s:%d: rule '%s' starts at %s, when version %d has taken over "
			    "from version %d: it never applies under this version", ld->name,
			    r->line, r->name, r->from, next, version);
	}
}

static int
load_run(void *ctx, struct ledger *l, struct csvio_writer *out, long counts[2])
{
	struct load *ld = ctx;
	struct programme *v;
	const struct programme *at;
	long receipts;
	char last[20], until[20] = "", before_from[20] = "", at_from[20] = "";
	int nv, version, unchanged, changed, next = 0, before = 0;
	long lines = 0;

	/* the time the run writes at, and --from read in the time zone the
	 * ledger holds, now that the run holds it, not as the program
	 * began to wait for it */
	memcpy(ld->now, ledger_run_now(l), sizeof(ld->now));
	ld->from = ld->now;
	if (ld->from_opt) {
		if (parse_when("--from", ld->from_opt, ld->date_format, 0, ld->from_at) < 0)
			return LOY_EX_USAGE;
		ld->from = ld->from_at;
	}
	for (const char *s = ld->p.text; *s; s++)
		lines += *s == '\n';
	if (ledger_run_input(l, 1, ld->name, ld->sha, strlen(ld->p.text), lines) < 0)
		return ledger_status(l);
	if (program_same_basis(ld->name, &ld->p, l) < 0) {
		loy_error("%s: nothing stored", ld->name);
		return LOY_EX_DATAERR;
	}
	if (programme_versions(l, &v, &nv) < 0)
		return ledger_status_or(l, LOY_EX_DATAERR);
	at = programme_at(v, nv, ld->from);
	unchanged = at && at->version > 0 && same_text(at->text, ld->text);
	version = at ? at->version : 0;
	/* an unchanged row is the version in force, with its own date */
	if (unchanged)
		snprintf(at_from, sizeof at_from, "%s", at->effective_from);
	/* the new version governs receipts until the next one takes over */
	for (int i = 0; i < nv; i++)
		if (strcmp(v[i].effective_from, ld->from) > 0) {
			snprintf(until, sizeof until, "%s", v[i].effective_from);
			next = v[i].version;
			break;
		}
	/* the version it takes over from: one loaded ahead, maybe, not the
	 * one in force now */
	for (int i = 0; i < nv && strcmp(v[i].effective_from, ld->from) < 0; i++) {
		before = v[i].version;
		snprintf(before_from, sizeof before_from, "%s", v[i].effective_from);
	}
	programme_versions_free(v, nv);
	csvio_put(out, "version");
	csvio_put(out, "effective_from");
	csvio_put(out, "status");
	csvio_end(out);
	if (unchanged) {
		csvio_put_int(out, version);
		csvio_put(out, at_from);
		csvio_put(out, "unchanged");
		csvio_end(out);
		counts[1]++;
		loy_warn("%s: the same as version %d, in force at %s; nothing stored", ld->name,
		    version, ld->from);
		return 0;
	}
	/* receipts already credited from its date on: of the past, or dated
	 * ahead of now by a till whose clock runs fast (future_tolerance_hours) */
	{
		char span[80];

		if (*until)
			snprintf(span, sizeof span, "from then until version %d takes over at %s",
			    next, until);
		else
			snprintf(span, sizeof span, "from then on");
		if (ledger_receipts_since(l, ld->from, *until ? until : NULL, &receipts, last) < 0)
			return ledger_status(l);
		if (receipts > 0 && !ld->retroactive) {
			loy_error("%s: a version effective from %s comes after %ld receipt%s "
			    "already credited %s (the latest at %s); %s: give --retroactive to "
			    "load it anyway (nothing is re-credited)",
			    ld->name, ld->from, receipts, receipts == 1 ? "" : "s", span, last,
			    receipts == 1 ? "it keeps its points" : "they keep their points");
			loy_error("%s: nothing stored", ld->name);
			return LOY_EX_DATAERR;
		}
		if (receipts > 0)
			loy_warn("%s: --retroactive: the %ld receipt%s credited from %s%s%s %s; "
			    "nothing is re-credited", ld->name, receipts,
			    receipts == 1 ? "" : "s", ld->from, *until ? " until " : " on",
			    until, receipts == 1 ? "keeps the points it earned" :
			    "keep the points they earned");
	}
	if (ledger_programme_add(l, ld->from, ld->name, ld->text_sha, ld->text, &version) < 0 ||
	    apply_now(l, ld->now, &nv, &changed) < 0)
		return ledger_status(l) ? ledger_status(l) : LOY_EX_DATAERR;
	csvio_put_int(out, version);
	csvio_put(out, ld->from);
	csvio_put(out, "loaded");
	csvio_end(out);
	counts[0]++;
	if (ld->p.tiers.n > 0) {
		struct orphans o = { ld, version, "", NULL, NULL, NULL };

		snprintf(o.day, sizeof o.day, "%.10s", ld->from);
		if (ledger_tier_assignments(l, "", orphan_row, &o) < 0) {
			orphan_forget(&o);
			return ledger_status(l);
		}
		orphan_warn(&o);
	}
	if (nv != version && strcmp(ld->from, ld->now) > 0 && before && before != nv)
		loy_warn("%s: version %d takes effect at %s; until then version %d stays in "
		    "force, and version %d from %s (loy-program apply, run then, writes its "
		    "settings)", ld->name, version, ld->from, nv, before, before_from);
	else if (nv != version && strcmp(ld->from, ld->now) > 0)
		loy_warn("%s: version %d takes effect at %s; until then version %d stays in "
		    "force (loy-program apply, run then, writes its settings)", ld->name,
		    version, ld->from, nv);
	else if (nv != version)
		loy_warn("%s: version %d is in force from %s until a later version, %d, "
		    "which is in force now", ld->name, version, ld->from, nv);
	/* a version loaded ahead before that takes over from it on its date */
	if (*until && strcmp(until, ld->now) > 0)
		loy_warn("%s: from %s version %d, loaded ahead, takes over from version %d",
		    ld->name, until, next, version);
	dead_rules_warn(ld, version, until, next);
	return 0;
}

int
program_load(const struct cli *cli, struct ledger *l, const char *file, const char *from,
    int retroactive, const char *args)
{
	struct load ld = { .name = display_name(file), .retroactive = retroactive,
	    .from_opt = from, .date_format = cli->date_format };
	struct sha256 c;
	int status;

	/* a bad --from is refused before the run waits for the ledger; it
	 * is read again, and the run's time taken, once it holds it */
	if (from && parse_when("--from", from, cli->date_format, 0, ld.from_at) < 0)
		return LOY_EX_USAGE;
	if ((status = program_read(file, &ld.p, "; nothing stored")) != 0)
		return status;
	sha256_init(&c);
	sha256_update(&c, ld.p.text, strlen(ld.p.text));
	sha256_final(&c, ld.sha);
	ld.text = stored_text(ld.p.text);
	sha256_init(&c);
	sha256_update(&c, ld.text, strlen(ld.text));
	sha256_final(&c, ld.text_sha);
	status = batch_txn(cli, l, args, load_run, &ld);
	free(ld.text);
	programme_free(&ld.p);
	return status;
}

struct apply {
	char now[20];
};

static int
apply_run(void *ctx, struct ledger *l, struct csvio_writer *out, long counts[2])
{
	struct apply *a = ctx;
	int version, changed;

	memcpy(a->now, ledger_run_now(l), sizeof(a->now));
	if (apply_now(l, a->now, &version, &changed) < 0)
		return ledger_status(l) ? ledger_status(l) : LOY_EX_DATAERR;
	csvio_put(out, "version");
	csvio_put(out, "status");
	csvio_end(out);
	csvio_put_int(out, version);
	csvio_put(out, changed && version > 0 ? "applied" : "unchanged");
	csvio_end(out);
	counts[changed && version > 0 ? 0 : 1]++;
	return 0;
}

int
program_apply(const struct cli *cli, struct ledger *l, const char *args)
{
	struct apply a;

	return batch_txn(cli, l, args, apply_run, &a);
}

int
program_show(const struct cli *cli, struct ledger *l, const char *as_of)
{
	struct programme *v;
	const struct programme *p;
	const char *text;
	char when[20];
	int n;
	size_t len;

	/* --as-of and now in the time zone of the versions shown */
	if (ledger_begin_read(l) < 0)
		return ledger_status(l);
	if (as_of && parse_when("--as-of", as_of, cli->date_format, 1, when) < 0)
		return LOY_EX_USAGE;
	if (!as_of)
		when_now(when);
	if (ledger_begin_read(l) < 0)
		return ledger_status(l);
	if (programme_versions(l, &v, &n) < 0) {
		ledger_rollback(l);
		return ledger_status_or(l, LOY_EX_DATAERR);
	}
	ledger_rollback(l);
	p = programme_at(v, n, when);
	text = p->text;
	if (strncmp(text, "\xef\xbb\xbf", 3) == 0) {
		/* a file loaded with a BOM: the BOM before the comment line, where
		 * loy-program check takes it, so that the output reads as loaded */
		fputs("\xef\xbb\xbf", stdout);
		text += 3;
	}
	if (p->version == 0)
		printf("# no programme version stored: the ledger's settings, as a programme\n");
	else if (strcmp(p->effective_from, PROGRAMME_EPOCH) == 0)
		printf("# programme version %d, in force from the start\n", p->version);
	else
		printf("# programme version %d, in force from %s\n", p->version,
		    p->effective_from);
	len = strlen(text);
	fwrite(text, 1, len, stdout);
	if (len > 0 && text[len - 1] != '\n')
		putchar('\n');
	programme_versions_free(v, n);
	return cli_output_done();
}

int
program_versions(const struct cli *cli, struct ledger *l)
{
	struct csvio_writer *out;
	int status;

	if (!(out = batch_list_begin(cli, l, &status)))
		return status;
	return batch_list_end(l, out, ledger_list_programmes(l, batch_print, out));
}
