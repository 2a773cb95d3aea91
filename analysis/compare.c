// SPDX-License-Identifier: GPL-2.0
/*
 * cowbench compare: per scenario x backing x params, one row per metric;
 * the first run is the baseline, every other column shows its median, the
 * change "(+x.xx%)" and '*' when the change is significant (Mann-Whitney
 * p < 0.05 and the bootstrap interval of the ratio excludes 1).  The text
 * format fits a 72-column mail.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

const char *const cmp_format_names[FMT_NR] = { "text", "md", "csv", "json" };

#define MAXS 1024
#define WIDTH 72
#define COLS_PER_TABLE 2 /* compared columns beside the baseline in text */

int compare_metric(const struct run *runs, int n, const struct group *g,
		   const struct metric *m, struct cell *cells)
{
	double *base = xmalloc(MAXS * sizeof(double));
	double *v = xmalloc(MAXS * sizeof(double));
	int i, nb, any = 0;

	nb = samples(&runs[0], g, m, base, MAXS);
	for (i = 0; i < n; i++) {
		struct cell *c = &cells[i];
		double *s = i ? v : base;

		memset(c, 0, sizeof(*c));
		c->n = i ? samples(&runs[i], g, m, v, MAXS) : nb;
		describe(s, c->n, &c->d);
		c->median = c->d.median;
		c->max = c->d.max;
		/* one side without data: no ratio, never -100% */
		c->cmp.ratio = c->cmp.lo = c->cmp.hi = c->cmp.p = NAN;
		if (i && nb && c->n)
			compare_samples(base, nb, v, c->n, &c->cmp);
		any |= c->n > 0;
	}
	free(base);
	free(v);
	return any;
}

/* At most 10 characters. */
static void fmt_num(char *buf, int len, double v)
{
	double a = fabs(v);

	if (isnan(v))
		snprintf(buf, len, "-");
	else if (a >= 1e9)
		snprintf(buf, len, "%.3e", v);
	else if (a >= 100 || v == floor(v))
		snprintf(buf, len, "%.0f", v);
	else if (a >= 1)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3f", v);
}

/* '*' significant, '?' too few repetitions for any p below 0.05. */
static char mark(const struct cell *c)
{
	return c->cmp.significant ? '*' : !c->cmp.testable ? '?' : ' ';
}

/*
 * The change against the baseline; "n/a" when this run has no value,
 * "new" when only this run has; a verdict shows FAIL, not a change.
 */
static void fmt_change(char *buf, int len, const struct cell *c,
		       const struct cell *base, const struct metric *m)
{
	double pct = (c->cmp.ratio - 1) * 100;

	if (m->verdict)
		snprintf(buf, len, "%s", c->n && c->max > 0 ? "FAIL" : "");
	else if (!c->n && base->n)
		snprintf(buf, len, "(    n/a)");
	else if (!c->n)
		snprintf(buf, len, "%10s", "");
	else if (!base->n)
		snprintf(buf, len, "(    new)");
	else if (isnan(c->cmp.ratio))
		snprintf(buf, len, "%10s", "");
	else if (isinf(c->cmp.ratio))
		snprintf(buf, len, "(    inf)%c", mark(c));
	else if (fabs(pct) >= 1000)
		snprintf(buf, len, "(%+6.0f%%)%c", pct, mark(c));
	else
		snprintf(buf, len, "(%+6.2f%%)%c", pct, mark(c));
}

/* The value a cell shows: the median, or for a verdict the worst. */
static void fmt_cell(char *buf, int len, const struct cell *c,
		     const struct metric *m)
{
	if (!c->n)
		snprintf(buf, len, "n/a");
	else
		fmt_num(buf, len, m->verdict ? c->max : c->median);
}

/* Word-wrap "text" at WIDTH with an indent for continuation lines. */
static void wrap(FILE *out, const char *first, const char *text, int indent)
{
	int col = fprintf(out, "%s", first);
	const char *p = text;

	while (*p) {
		int w = (int)strcspn(p, " ");

		if (col + 1 + w > WIDTH && col > indent) {
			col = fprintf(out, "\n%*s", indent, "") - 1;
		} else if (p != text) {
			fputc(' ', out);
			col++;
		}
		if (w > WIDTH - indent)
			w = WIDTH - indent; /* one overlong word: cut */
		col += fprintf(out, "%.*s", w, p);
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	fputc('\n', out);
}

static void warn_differ(FILE *out, const struct run *runs, int n,
			const char *what, size_t off)
{
	const char *first = (const char *)&runs[0] + off;
	char line[512];
	int i, len;

	for (i = 1; i < n; i++)
		if (strcmp((const char *)&runs[i] + off, first))
			break;
	if (i == n)
		return;
	len = snprintf(line, sizeof(line), "the runs differ in %s:", what);
	for (i = 0; i < n && len < (int)sizeof(line); i++)
		len += snprintf(line + len, sizeof(line) - len, " %c=%s",
				'A' + i, (const char *)&runs[i] + off);
	wrap(out, "warning: ", line, 9);
}

static const char legend[] =
	"values are medians over repetitions (verdicts: the worst one);\n"
	"'*': Mann-Whitney p < 0.05 (exact permutation p up to 30 a side)\n"
	"and the 95% bootstrap interval of the ratio of medians excludes 1;\n"
	"'?': too few repetitions to test (no p below 0.05 possible);\n"
	"n/a: not measured; new: only that run has it; FAIL: a missed COW,\n"
	"wrong COW or unexplained outcome in any record, perturbed or not\n";

/* The clock's cost is in every batched time: a change in it is a change
 * in t/op that is not the kernel's (more than 25% apart). */
static void warn_clock(FILE *out, const struct run *runs, int n)
{
	double lo = INFINITY, hi = 0;
	char line[512];
	int i, len;

	for (i = 0; i < n; i++) {
		if (isnan(runs[i].pair_ns))
			continue;
		lo = fmin(lo, runs[i].pair_ns);
		hi = fmax(hi, runs[i].pair_ns);
	}
	if (!(hi > lo * 1.25))
		return;
	len = snprintf(line, sizeof(line),
		       "the runs differ in clock cost (ns a pair):");
	for (i = 0; i < n && len < (int)sizeof(line); i++)
		len += snprintf(line + len, sizeof(line) - len, " %c=%.1f",
				'A' + i, runs[i].pair_ns);
	wrap(out, "warning: ", line, 9);
}

void compare_header(FILE *out, const struct run *runs, int n)
{
	char buf[2048];
	bool same_cmdline = true;
	int i;

	for (i = 1; i < n; i++)
		same_cmdline &= !strcmp(runs[i].cmdline, runs[0].cmdline);

	fprintf(out, "cowbench compare: %d run%s, baseline A\n", n,
		n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		const struct run *r = &runs[i];

		snprintf(buf, sizeof(buf), "%s %s (%s) %s", r->name, r->label,
			 r->kernel, r->host);
		fprintf(out, "  %c ", 'A' + i);
		wrap(out, "", buf, 4);
		snprintf(buf, sizeof(buf), "%s, accelerator %s, THP %s", r->cpu,
			 r->accel, r->thp);
		wrap(out, "    ", buf, 4);
		if (!same_cmdline)
			wrap(out, "    cmdline: ", r->cmdline, 13);
	}
	if (same_cmdline)
		wrap(out, "  cmdline: ", runs[0].cmdline, 11);
	warn_differ(out, runs, n, "CPU", offsetof(struct run, cpu));
	warn_differ(out, runs, n, "THP mode", offsetof(struct run, thp));
	warn_differ(out, runs, n, "accelerator", offsetof(struct run, accel));
	warn_differ(out, runs, n, "THP defrag", offsetof(struct run, defrag));
	warn_differ(out, runs, n, "kernel config digest",
		    offsetof(struct run, kconfig));
	warn_differ(out, runs, n, "suite version", offsetof(struct run, suite));
	warn_differ(out, runs, n, "matrix digest",
		    offsetof(struct run, matrix));
	warn_clock(out, runs, n);
	fputs(legend, out);
}

/* A text line without trailing blanks. */
static void put_line(FILE *out, char *line)
{
	fprintf(out, "%s\n", strtrim(line));
}

/*
 * A column's name where it fits, else nothing: names are never cut (two
 * kernels would read alike); the letter row and the header name them all.
 */
static int column_head(char *buf, int len, const char *label, int width)
{
	return snprintf(buf, len, " %*s%*s", width,
			(int)strlen(label) <= width ? label : "", 23 - width,
			"");
}

static void text_head(FILE *out, const struct run *runs, int n, int from,
		      int to)
{
	char line[512], col[240];
	int i, len;

	run_column(runs, n, 0, col, sizeof(col));
	len = snprintf(line, sizeof(line), "%-14s%10s", "",
		       strlen(col) <= 10 ? col : "");
	for (i = from; i < to; i++) {
		run_column(runs, n, i, col, sizeof(col));
		len += column_head(line + len, sizeof(line) - len, col,
				   strlen(col) <= 10 ? 10 : 23);
	}
	put_line(out, line);
	len = snprintf(line, sizeof(line), "%-14s%10s", "", "A");
	for (i = from; i < to; i++)
		len += snprintf(line + len, sizeof(line) - len, " %10c%13s",
				'A' + i, "");
	put_line(out, line);
}

/* A row under a metric: label, then one number per column. */
static void sub_line(FILE *out, const char *label, const struct cell *cells,
		     int from, int to, bool cv)
{
	char line[256], num[32];
	int i, len;

	len = snprintf(line, sizeof(line), "%-14s", label);
	for (i = 0; i < to; i++) {
		if (i && i < from)
			continue;
		if (!cv)
			snprintf(num, sizeof(num), "%d", cells[i].n);
		else if (cells[i].n > 1)
			snprintf(num, sizeof(num), "%.1f", 100 * cells[i].d.cv);
		else
			snprintf(num, sizeof(num), "-");
		len += snprintf(line + len, sizeof(line) - len,
				i ? " %10s %-12s" : "%10s", num, "");
	}
	put_line(out, line);
}

static void text_table(FILE *out, const struct run *runs, int n,
		       const struct group *g, int from, int to)
{
	struct cell *cells = xcalloc(n, sizeof(*cells));
	char line[256], num[32], chg[32], label[32];
	int i, k, len;

	fprintf(out, "\n%s %s %s\n", g->scenario, g->backing, g->params);
	text_head(out, runs, n, from, to);
	for (k = 0; k < nr_metrics; k++) {
		const struct metric *m = &metrics[k];

		if (!compare_metric(runs, n, g, m, cells))
			continue;
		snprintf(label, sizeof(label), "%s%s%s", m->name,
			 m->unit[0] ? " " : "", m->unit);
		fmt_cell(num, sizeof(num), &cells[0], m);
		fmt_change(chg, sizeof(chg), &cells[0], &cells[0], m);
		if (m->verdict && chg[0])
			strcat(num, " FAIL");
		len = snprintf(line, sizeof(line), "%-14.14s%10s", label, num);
		for (i = from; i < to; i++) {
			fmt_cell(num, sizeof(num), &cells[i], m);
			fmt_change(chg, sizeof(chg), &cells[i], &cells[0], m);
			len += snprintf(line + len, sizeof(line) - len,
					" %10s %-12s", num, chg);
		}
		put_line(out, line);
		if (!strcmp(m->name, "t/op"))
			sub_line(out, "  CV %", cells, from, to, true);
		sub_line(out, "  n", cells, from, to, false);
	}
	free(cells);
}

static void print_text(FILE *out, const struct run *runs, int n,
		       const struct group *g, int ng)
{
	int i, from;

	compare_header(out, runs, n);
	for (i = 0; i < ng; i++) {
		if (n == 1)
			text_table(out, runs, n, &g[i], 1, 1);
		for (from = 1; from < n; from += COLS_PER_TABLE)
			text_table(out, runs, n, &g[i], from,
				   from + COLS_PER_TABLE < n ?
					   from + COLS_PER_TABLE :
					   n);
	}
}

/* Markdown cell text: '|' would end the cell, a newline the row. */
static void md_esc(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|' || *s == '\\' || *s == '*' || *s == '_')
			fputc('\\', out);
		fputc(*s == '\n' ? ' ' : *s, out);
	}
}

/* The text header as a block the md reader sees verbatim. */
static void md_header(FILE *out, const struct run *runs, int n)
{
	fputs("## cowbench compare\n\n```\n", out);
	compare_header(out, runs, n);
	fputs("```\n", out);
}

static void md_row(FILE *out, const struct metric *m, const struct cell *cells,
		   int n)
{
	char num[32], chg[32];
	int j;

	fputs("| ", out);
	md_esc(out, m->name);
	fprintf(out, "%s%s |", m->unit[0] ? " " : "", m->unit);
	for (j = 0; j < n; j++) {
		fmt_cell(num, sizeof(num), &cells[j], m);
		fmt_change(chg, sizeof(chg), &cells[j], &cells[0], m);
		fprintf(out, " %s ", num);
		if ((j || m->verdict) && *strtrim(chg)) {
			md_esc(out, strtrim(chg));
			fputc(' ', out);
		}
		fprintf(out, "n=%d |", cells[j].n);
	}
	fputc('\n', out);
}

static void print_md(FILE *out, const struct run *runs, int n,
		     const struct group *g, int ng)
{
	struct cell *cells = xcalloc(n, sizeof(*cells));
	char col[240];
	int i, j, k;

	md_header(out, runs, n);
	for (i = 0; i < ng; i++) {
		fputs("\n### ", out);
		md_esc(out, g[i].scenario);
		fputc(' ', out);
		md_esc(out, g[i].backing);
		fputc(' ', out);
		md_esc(out, g[i].params);
		fputs("\n\n| metric |", out);
		for (j = 0; j < n; j++) {
			run_column(runs, n, j, col, sizeof(col));
			fprintf(out, " %c: ", 'A' + j);
			md_esc(out, col);
			fputs(" |", out);
		}
		fprintf(out, "\n|---|");
		for (j = 0; j < n; j++)
			fprintf(out, "---:|");
		fputc('\n', out);
		for (k = 0; k < nr_metrics; k++)
			if (compare_metric(runs, n, &g[i], &metrics[k], cells))
				md_row(out, &metrics[k], cells, n);
	}
	free(cells);
}

static const char *const row_keys[] = { "scenario", "backing", "params",
					"metric",   "unit",    "run",
					"label" };

static void row_fields(const struct run *r, const struct group *g,
		       const struct metric *m, const char *f[7])
{
	f[0] = g->scenario;
	f[1] = g->backing;
	f[2] = g->params;
	f[3] = m->name;
	f[4] = m->unit;
	f[5] = r->name;
	f[6] = r->label;
}

/* Percentiles of every repetition's histogram merged (latency metrics). */
static void merged(const struct run *r, const struct group *g,
		   const struct metric *m, double pct[3])
{
	struct hist *h = xmalloc(sizeof(*h));
	int i;

	hist_init(h);
	for (i = 0; i < r->nrec; i++) {
		const struct record *rec = &r->recs[i];

		if (rec->status == ST_OK && !rec->perturbed[0] &&
		    rec->has_lat && !strcmp(rec->pass, m->pass) &&
		    group_match(g, rec))
			hist_merge(h, &rec->lat);
	}
	pct[0] = h->n ? hist_pct(h, 50) : NAN;
	pct[1] = h->n ? hist_pct(h, 99) : NAN;
	pct[2] = h->n ? hist_pct(h, 99.9) : NAN;
	free(h);
}

/* RFC 4180: quoted, a quote doubled. */
static void csv_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputs("\",", out);
}

/* A number, or an empty field (null) when there is none. */
static void csv_num(FILE *out, double v, char sep)
{
	if (isfinite(v))
		fprintf(out, "%.6g", v);
	fputc(sep, out);
}

static void csv_row(FILE *out, const char *f[7], const struct cell *c,
		    bool base, const double pct[3])
{
	const double v[] = { c->median, c->d.mean, c->d.hmean, c->d.stddev,
			     c->d.cv,	c->d.min,  c->max,     c->cmp.ratio,
			     c->cmp.lo, c->cmp.hi, c->cmp.p };
	size_t x;

	for (x = 0; x < 7; x++)
		csv_str(out, f[x]);
	fprintf(out, "%d,", c->n);
	for (x = 0; x < ARRAY_SIZE(v); x++)
		csv_num(out, x >= 7 && base ? 1 : v[x], ',');
	fprintf(out, "%d,%d,", c->cmp.significant, c->cmp.testable);
	csv_num(out, pct[0], ',');
	csv_num(out, pct[1], ',');
	csv_num(out, pct[2], '\n');
}

static void json_row(FILE *out, const char *f[7], const struct cell *c,
		     bool base, bool first, const double pct[3])
{
	struct jw w;
	int x;

	jw_init(&w);
	jw_open(&w, NULL, '{');
	for (x = 0; x < 7; x++)
		jw_str(&w, row_keys[x], f[x]);
	jw_i64(&w, "n", c->n);
	jw_dbl(&w, "median", c->median);
	jw_dbl(&w, "mean", c->d.mean);
	jw_dbl(&w, "hmean", c->d.hmean);
	jw_dbl(&w, "stddev", c->d.stddev);
	jw_dbl(&w, "cv", c->d.cv);
	jw_dbl(&w, "min", c->d.min);
	jw_dbl(&w, "max", c->max);
	if (!isnan(pct[0])) {
		jw_dbl(&w, "merged_p50", pct[0]);
		jw_dbl(&w, "merged_p99", pct[1]);
		jw_dbl(&w, "merged_p999", pct[2]);
	}
	if (!base) {
		jw_dbl(&w, "ratio", c->cmp.ratio);
		jw_dbl(&w, "ci_lo", c->cmp.lo);
		jw_dbl(&w, "ci_hi", c->cmp.hi);
		jw_dbl(&w, "p", c->cmp.p);
		jw_bool(&w, "significant", c->cmp.significant);
		jw_bool(&w, "testable", c->cmp.testable);
	}
	jw_close(&w, '}');
	fprintf(out, "%s  %s", first ? "" : ",\n", w.buf);
	jw_free(&w);
}

static void print_rows(FILE *out, const struct run *runs, int n,
		       const struct group *g, int ng, bool json)
{
	struct cell *cells = xcalloc(n, sizeof(*cells));
	const char *f[7];
	int i, j, k;
	bool first = true;

	if (json)
		fputs("[\n", out);
	else
		fputs("scenario,backing,params,metric,unit,run,label,n,median,mean,hmean,stddev,cv,min,max,ratio,ci_lo,ci_hi,p,significant,testable,merged_p50,merged_p99,merged_p999\n",
		      out);
	for (i = 0; i < ng; i++) {
		for (k = 0; k < nr_metrics; k++) {
			if (!compare_metric(runs, n, &g[i], &metrics[k], cells))
				continue;
			for (j = 0; j < n; j++) {
				double pct[3];

				row_fields(&runs[j], &g[i], &metrics[k], f);
				merged(&runs[j], &g[i], &metrics[k], pct);
				if (json)
					json_row(out, f, &cells[j], !j, first,
						 pct);
				else
					csv_row(out, f, &cells[j], !j, pct);
				first = false;
			}
		}
	}
	if (json)
		fputs("\n]\n", out);
	free(cells);
}

void compare_print(FILE *out, const struct run *runs, int n,
		   enum cmp_format fmt)
{
	struct group *g;
	int ng = groups_collect(runs, n, &g);

	switch (fmt) {
	case FMT_TEXT:
		print_text(out, runs, n, g, ng);
		break;
	case FMT_MD:
		print_md(out, runs, n, g, ng);
		break;
	default:
		print_rows(out, runs, n, g, ng, fmt == FMT_JSON);
		break;
	}
	free(g);
}
