/* html: loy-report html, one self-contained page: inline CSS and SVG
 * charts, the tables behind them; no script, no network, no other file.
 * Bar lengths are whole pixels computed in integers from the figures. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "report.h"
#include "utf8.h"

/*
 * Text from the ledger (a programme, tier, reward, partner or member name)
 * as HTML text or an attribute's value: markup characters as references; a
 * control character (C0 but tab, line feed and carriage return, DEL) as its
 * picture (U+2400-U+2421: "\x1b" shows as U+241B) and a C1 control or a
 * byte that is not UTF-8 as U+FFFD, so that the page holds none; and the
 * bidi embeddings, overrides and isolates the text opens (a name with
 * U+202E) closed at its end, so that they reverse no figure after it.
 */
static void
esc(FILE *f, const char *s)
{
	size_t n = s ? strlen(s) : 0, len, depth = 0;
	char *open = NULL;	/* 'e' an embedding or override, 'i' an isolate */
	uint32_t c;

	for (size_t i = 0; i < n; i += len) {
		if ((len = utf8_decode(s + i, n - i, &c)) == 0) {
			fputs("\xef\xbf\xbd", f);
			len = 1;
			continue;
		}
		switch (c) {
		case '&': fputs("&amp;", f); continue;
		case '<': fputs("&lt;", f); continue;
		case '>': fputs("&gt;", f); continue;
		case '"': fputs("&quot;", f); continue;
		case '\'': fputs("&#39;", f); continue;
		case '\t': case '\n': case '\r': putc((int)c, f); continue;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\xe2\x90%c", c == 0x7f ? 0xa1 : (int)(0x80 + c));
			continue;
		}
		if (c >= 0x80 && c < 0xa0) {
			fputs("\xef\xbf\xbd", f);
			continue;
		}
		/* UAX #9: LRE RLE LRO RLO open an embedding, PDF closes it
		 * unless an isolate is open inside; LRI RLI FSI open an
		 * isolate, PDI closes it and all opened inside */
		if ((c >= 0x202a && c <= 0x202e && c != 0x202c) || (c >= 0x2066 && c <= 0x2068)) {
			if (!open)
				open = malloc(n / 3 + 1);	/* each is 3 bytes */
			if (open)
				open[depth++] = c >= 0x2066 ? 'i' : 'e';
		} else if (c == 0x202c && depth && open[depth - 1] == 'e')
			depth--;
		else if (c == 0x2069) {
			size_t k = depth;

			while (k && open[k - 1] != 'i')
				k--;
			if (k)
				depth = k - 1;
		}
		fwrite(s + i, 1, len, f);
	}
	while (depth--)
		fputs(open[depth] == 'i' ? "\xe2\x81\xa9" : "\xe2\x80\xac", f);	/* PDI, PDF */
	free(open);
}

static int64_t
num(const char *s)
{
	return s && *s ? strtoll(s, NULL, 10) : 0;
}

/* "12.34" as 1234: a percentage in hundredths. */
static int64_t
hundredths(const char *s)
{
	int64_t v = 0;
	int dec = -1, neg = 0;

	if (!s || !*s)
		return 0;
	if (*s == '-')
		neg = 1, s++;
	for (; *s && dec < 2; s++) {
		if (*s == '.') {
			dec = 0;
			continue;
		}
		v = v * 10 + (*s - '0');
		if (dec >= 0)
			dec++;
	}
	while (dec < 2)
		v *= 10, dec = dec < 0 ? 1 : dec + 1;
	return neg ? -v : v;
}

/* A grid as a table; under its chart (no heading of its own) or as a
 * section with its title. */
#define HTML_ROWS 100	/* rows of a table after the charts, the rest in the CSV */

static void
table(FILE *f, const struct grid *g, const char *id, int under_chart)
{
	int shown = under_chart || g->nrows <= HTML_ROWS ? g->nrows : HTML_ROWS;

	if (!under_chart) {
		fprintf(f, "<section><h2>");
		esc(f, g->title);
		fputs("</h2>\n", f);
	}
	fprintf(f, "<table id=\"%s\"><thead><tr>", id);
	for (int c = 0; c < g->ncols; c++) {
		fputs("<th>", f);
		esc(f, g->names[c]);
		fputs("</th>", f);
	}
	fputs("</tr></thead><tbody>\n", f);
	for (int r = 0; r < shown; r++) {
		fputs("<tr>", f);
		for (int c = 0; c < g->ncols; c++) {
			const char *s = g->cell[(size_t)r * g->ncols + c];
			int numeric = *s && strspn(s, "-0123456789.") == strlen(s);

			fputs(numeric ? "<td class=\"n\">" : "<td>", f);
			esc(f, s);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	if (g->nrows == 0)
		fprintf(f, "<tr><td colspan=\"%d\" class=\"none\">nothing yet</td></tr>\n",
		    g->ncols ? g->ncols : 1);
	if (shown < g->nrows)
		fprintf(f, "<tr><td colspan=\"%d\" class=\"none\">the first %d of %d rows; "
		    "all of them in loy-report's CSV</td></tr>\n", g->ncols, shown, g->nrows);
	fputs(under_chart ? "</tbody></table>\n" : "</tbody></table></section>\n", f);
}

#define CH 220		/* plot height */
#define TOP 20
#define LEFT 70

struct series {
	const char *name, *color;
	int64_t *v;
};

/* A bar chart: n groups (labels), k series each; one <rect class="bar"> per
 * value. */
static void
bars(FILE *f, const char *id, const char *title, int n, char **labels, int k,
    const struct series *s)
{
	int64_t max = 0;
	int bw = n * k > 60 ? 6 : n * k > 24 ? 12 : 24, gap = bw / 2 + 4;
	int w = LEFT + n * (k * bw + gap) + 20, x;

	for (int i = 0; i < n; i++)
		for (int j = 0; j < k; j++)
			if (s[j].v[i] > max)
				max = s[j].v[i];
	if (w < 320)
		w = 320;
	fprintf(f, "<figure><svg id=\"%s\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>",
	    id, w, CH + TOP + 70, w, CH + TOP + 70);
	esc(f, title);
	fputs("</title>\n", f);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n",
	    LEFT - 4, TOP + CH, w - 10, TOP + CH);
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"end\">%lld</text>\n",
	    LEFT - 8, TOP + 4, (long long)max);
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"end\">0</text>\n",
	    LEFT - 8, TOP + CH + 4);
	x = LEFT;
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < k; j++) {
			int64_t v = s[j].v[i] > 0 ? s[j].v[i] : 0;
			int h = max > 0 ? (int)((__int128)v * CH / max) : 0;

			fprintf(f, "<rect class=\"bar\" data-series=\"%s\" x=\"%d\" y=\"%d\" "
			    "width=\"%d\" height=\"%d\" fill=\"%s\"><title>", s[j].name,
			    x + j * bw, TOP + CH - h, bw - 1, h, s[j].color);
			esc(f, labels[i]);
			fprintf(f, " %s: %lld</title></rect>\n", s[j].name, (long long)s[j].v[i]);
		}
		fprintf(f, "<text class=\"label\" transform=\"translate(%d,%d) rotate(40)\">",
		    x + 2, TOP + CH + 12);
		esc(f, labels[i]);
		fputs("</text>\n", f);
		x += k * bw + gap;
	}
	fputs("</svg>", f);
	if (k > 1) {
		fputs("<figcaption>", f);
		for (int j = 0; j < k; j++)
			fprintf(f, "<span class=\"key\" style=\"background:%s\"></span>%s ",
			    s[j].color, s[j].name);
		fputs("</figcaption>", f);
	}
	fputs("</figure>\n", f);
}

/* A chart's row of n values, zeroed, with one more to spare. */
static void *
chart_row(int n, size_t size)
{
	void *v = calloc((size_t)n + 1, size);

	if (!v)
		loy_die(71, "out of memory");
	return v;
}

static char **
column(const struct grid *g, const char *name)
{
	char **v = chart_row(g->nrows, sizeof(char *));

	for (int r = 0; r < g->nrows; r++)
		v[r] = (char *)grid_at(g, r, name);
	return v;
}

static void
chart_tiers(FILE *f, const struct grid *g)
{
	char **labels = column(g, "tier");
	int64_t *v = chart_row(g->nrows, sizeof(int64_t));
	struct series s = { "members", "#3b6ea5", v };

	for (int r = 0; r < g->nrows; r++) {
		v[r] = num(grid_at(g, r, "members"));
		if (!*labels[r])
			labels[r] = "(none)";
	}
	fputs("<section><h2>Members by tier</h2>\n", f);
	bars(f, "chart-tiers", "Active members by tier", g->nrows, labels, 1, &s);
	free(labels);
	free(v);
}

static void
chart_earn_burn(FILE *f, const struct grid *g)
{
	char **labels = column(g, "period");
	int64_t *e = chart_row(g->nrows, sizeof(int64_t));
	int64_t *r = chart_row(g->nrows, sizeof(int64_t));
	int64_t *x = chart_row(g->nrows, sizeof(int64_t));
	struct series s[3] = {
		{ "earned", "#2e8b57", e }, { "redeemed", "#3b6ea5", r },
		{ "expired", "#c0504d", x },
	};

	for (int i = 0; i < g->nrows; i++) {
		e[i] = num(grid_at(g, i, "earned")) + num(grid_at(g, i, "returned"));
		r[i] = -(num(grid_at(g, i, "redeemed")) + num(grid_at(g, i, "cancelled")));
		x[i] = -num(grid_at(g, i, "expired"));
	}
	fputs("<section><h2>Points earned and spent by month</h2>\n", f);
	bars(f, "chart-earn-burn", "Points earned (less returns), redeemed (less cancelled) "
	    "and expired, by month", g->nrows, labels, 3, s);
	free(labels);
	free(e);
	free(r);
	free(x);
}

static void
chart_liability(FILE *f, const struct grid *g, const char *currency)
{
	char **labels = column(g, "expires");
	int64_t *v = chart_row(g->nrows, sizeof(int64_t));
	struct series s = { "points", "#8064a2", v };
	char title[160];

	for (int r = 0; r < g->nrows; r++)
		v[r] = num(grid_at(g, r, "points"));
	snprintf(title, sizeof(title), "Outstanding points by the month they expire (value in %s "
	    "in the table)", currency ? currency : "");
	fputs("<section><h2>Liability by expiry month</h2>\n", f);
	bars(f, "chart-liability", title, g->nrows, labels, 1, &s);
	free(labels);
	free(v);
}

/* The heatmap: one <rect class="cell"> per cohort and month since enrolment. */
static void
chart_retention(FILE *f, const struct grid *g)
{
	int ncoh = 0, maxm = 0, cw = 34, chh = 22, w, h;
	const char *last = NULL;

	for (int r = 0; r < g->nrows; r++) {
		const char *c = grid_at(g, r, "cohort");
		int m = (int)num(grid_at(g, r, "month"));

		if (!last || strcmp(last, c) != 0)
			ncoh++;
		last = c;
		if (m > maxm)
			maxm = m;
	}
	if (maxm > 24)
		cw = 18;
	w = LEFT + (maxm + 1) * cw + 20;
	h = TOP + ncoh * chh + 40;
	fputs("<section><h2>Retention: the share of each enrolment month's members "
	    "purchasing, by months since enrolment</h2>\n", f);
	fprintf(f, "<figure><svg id=\"chart-retention\" class=\"chart\" "
	    "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" role=\"img\"><title>Share of each enrolment month's members "
	    "purchasing, by months since enrolment</title>\n", w, h, w, h);
	for (int m = 0; m <= maxm && g->nrows; m++)
		if (m % (cw < 30 ? 6 : 1) == 0)
			fprintf(f, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
			    "%d</text>\n", LEFT + m * cw + cw / 2, TOP - 6, m);
	last = NULL;
	for (int r = 0, row = -1; r < g->nrows; r++) {
		const char *c = grid_at(g, r, "cohort");
		int m = (int)num(grid_at(g, r, "month"));
		int64_t bp = hundredths(grid_at(g, r, "share_pct"));
		int light = 96 - (int)(bp * 66 / 10000);

		if (!last || strcmp(last, c) != 0) {
			row++;
			fprintf(f, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">",
			    LEFT - 6, TOP + row * chh + chh / 2 + 4);
			esc(f, c);
			fputs("</text>\n", f);
		}
		last = c;
		fprintf(f, "<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		    "fill=\"hsl(210,60%%,%d%%)\"><title>", LEFT + m * cw, TOP + row * chh,
		    cw - 1, chh - 1, light);
		esc(f, c);
		fprintf(f, " month %d: ", m);
		esc(f, grid_at(g, r, "active"));
		fputs(" of ", f);
		esc(f, grid_at(g, r, "members"));
		fputs(" (", f);
		esc(f, grid_at(g, r, "share_pct"));
		fputs(" %)</title></rect>\n", f);
	}
	fputs("</svg><figcaption>columns: months since enrolment; darker: a larger share "
	    "purchasing</figcaption></figure>\n", f);
}

/* The retention grid as a matrix: a row per cohort, its members, then the
 * share purchasing in each month since enrolment. */
static void
retention_table(FILE *f, const struct grid *g)
{
	int maxm = 0;
	const char *last = NULL;

	for (int r = 0; r < g->nrows; r++)
		if (num(grid_at(g, r, "month")) > maxm)
			maxm = (int)num(grid_at(g, r, "month"));
	fputs("<div class=\"wide\"><table id=\"table-retention\"><thead><tr><th>cohort</th>"
	    "<th>members</th>", f);
	for (int m = 0; m <= maxm && g->nrows; m++)
		fprintf(f, "<th>%d</th>", m);
	fputs("</tr></thead><tbody>\n", f);
	for (int r = 0; r < g->nrows; r++) {
		const char *c = grid_at(g, r, "cohort");

		if (!last || strcmp(last, c) != 0) {
			if (last)
				fputs("</tr>\n", f);
			fputs("<tr><td>", f);
			esc(f, c);
			fputs("</td><td class=\"n\">", f);
			esc(f, grid_at(g, r, "members"));
			fputs("</td>", f);
		}
		last = c;
		fputs("<td class=\"n\">", f);
		esc(f, grid_at(g, r, "share_pct"));
		fputs("</td>", f);
	}
	if (last)
		fputs("</tr>\n", f);
	else
		fputs("<tr><td colspan=\"2\" class=\"none\">nothing yet</td></tr>\n", f);
	fputs("</tbody></table></div>\n<p class=\"note\">Per cent of each cohort purchasing in "
	    "each month since enrolment (0: the month of enrolment).</p>\n", f);
}

int
html_write(FILE *f, const struct html_data *d)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<title>", f);
	esc(f, d->programme);
	fputs(" \xe2\x80\x94 loy report</title>\n<style>\n"
	    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}\n"
	    "h1{font-size:1.6em;margin-bottom:0}h2{font-size:1.15em;margin-top:2em}\n"
	    "table{border-collapse:collapse;margin:.5em 0}th,td{padding:2px 8px;"
	    "border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right;"
	    "font-variant-numeric:tabular-nums}th{background:#f3f3f3}\n"
	    ".none{color:#888;font-style:italic}figure{margin:0;overflow-x:auto}\n"
	    ".chart .axis{stroke:#888}.chart .tick,.chart .label{font-size:11px;fill:#555}\n"
	    ".key{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}\n"
	    ".note{color:#555;font-size:.9em}td,th{white-space:nowrap}"
	    ".wide{overflow-x:auto}\n"
	    "</style>\n</head>\n<body>\n<h1>", f);
	esc(f, d->programme);
	fputs("</h1>\n<p>As of ", f);
	esc(f, d->now);
	fputs("; money in ", f);
	esc(f, d->currency);
	fputs(". Every figure is in <code>loy-report</code>'s CSV and can be checked with the "
	    "queries in loy-report(1).</p>\n", f);
	chart_tiers(f, &d->tiers);
	table(f, &d->tiers, "table-tiers", 1);
	fputs("</section>\n", f);
	chart_earn_burn(f, &d->earn_burn);
	table(f, &d->earn_burn, "table-earn-burn", 1);
	fputs("</section>\n", f);
	chart_liability(f, &d->liability, d->currency);
	table(f, &d->liability, "table-liability", 1);
	fputs("</section>\n", f);
	chart_retention(f, &d->retention);
	retention_table(f, &d->retention);
	fputs("</section>\n", f);
	for (int i = 0; i < d->nextra; i++) {
		char id[32];

		snprintf(id, sizeof(id), "table-%d", i + 1);
		table(f, &d->extra[i], id, 0);
	}
	fputs("<footer id=\"end\"><p>loy-report html</p></footer>\n</body>\n</html>\n", f);
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
