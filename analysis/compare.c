// SPDX-License-Identifier: GPL-2.0
/*
 * cowbench compare: per scenario x backing x params, one row per metric;
 * the first run is the baseline, every other column shows its median, the
 * change "(+x.xx%)" and '*' when the change is significant (Mann-Whitney
 * p < 0.05 and the bootstrap interval of the ratio excludes 1).  The text
 * format fits a 72-column mail.
 */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

const char *const cmp_format_names[FMT_NR] = { "text", "md", "csv", "json" };

#define MAXS 1024
#define WIDTH 72
#define COLS_PER_TABLE 2 /* compared columns beside the baseline in text */

/*
 * The column's values of m: every repetition into all (its number in
 * c->n), each run's median into med (c->runs).
 */
static void column_values(const struct column *col, const struct group *g,
			  const struct metric *m, struct cell *c, double *all,
			  double *med)
{
	struct desc between;
	int i, k;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < col->n; i++) {
		k = samples(&col->runs[i], g, m, all + c->n, MAXS);
		if (k)
			med[c->runs++] = median_of(all + c->n, k);
		c->n += k;
	}
	describe(all, c->n, &c->d);
	c->max = c->d.max;
	c->median = median_of(med, c->runs);
	describe(med, c->runs, &between);
	c->noise = c->runs > 1 ? between.cv : c->n > 1 ? c->d.cv : NAN;
	/* one side without data: no ratio, never -100% */
	c->cmp.ratio = c->cmp.lo = c->cmp.hi = NAN;
	c->cmp.p = c->cmp.q = c->cmp.mdc = NAN;
}

/*
 * Runs are the unit when both sides have two or more: a run's figure is
 * the median of its repetitions.  With one run on a side, the repetitions
 * are, and the between-run noise is unknown.
 */
int compare_metric(const struct column *cols, int n, const struct group *g,
		   const struct metric *m, struct cell *cells)
{
	int most = 0, i, any = 0;
	double *ball, *bmed, *all, *med;

	for (i = 0; i < n; i++)
		most = cols[i].n > most ? cols[i].n : most;
	ball = xmalloc((size_t)most * MAXS * sizeof(double));
	all = xmalloc((size_t)most * MAXS * sizeof(double));
	bmed = xmalloc(most * sizeof(double));
	med = xmalloc(most * sizeof(double));
	column_values(&cols[0], g, m, &cells[0], ball, bmed);
	for (i = 0; i < n; i++) {
		struct cell *c = &cells[i], *b = &cells[0];

		if (i)
			column_values(&cols[i], g, m, c, all, med);
		any |= c->n > 0;
		if (!i || !b->n || !c->n || m->verdict)
			continue;
		if (b->runs > 1 && c->runs > 1)
			compare_runs(bmed, b->runs, med, c->runs, &c->cmp);
		else
			compare_samples(ball, b->n, all, c->n, &c->cmp);
	}
	free(ball);
	free(all);
	free(bmed);
	free(med);
	return any;
}

/* Every cell of every group and metric, computed once for all formats. */
struct table {
	const struct column *cols;
	int n, ng;
	struct group *g;
	struct cell *cells; /* [group][metric][column] */
	bool *has; /* [group][metric]: some column has a value */
	bool by_runs, by_reps; /* a comparison made with runs, with reps */
};

static struct cell *cell_at(const struct table *t, int gi, int k)
{
	return &t->cells[((size_t)gi * nr_metrics + k) * t->n];
}

/*
 * Benjamini-Hochberg over every tested row of one column against the
 * baseline (all groups and metrics of the comparison): a '*' keeps the
 * expected share of false ones among the starred at 5%.
 */
void compare_fdr(struct cell *cells, int rows, int n, int j)
{
	double *p = xmalloc(rows * sizeof(*p)), *q = xmalloc(rows * sizeof(*q));
	int r;

	for (r = 0; r < rows; r++) {
		struct cell *c = &cells[(size_t)r * n + j];

		p[r] = c->cmp.test != TEST_NONE && c->cmp.testable ? c->cmp.p :
								     NAN;
	}
	bh_adjust(p, rows, q);
	for (r = 0; r < rows; r++) {
		struct comparison *c = &cells[(size_t)r * n + j].cmp;

		if (isnan(q[r]))
			continue;
		c->q = q[r];
		c->significant = c->q < STATS_ALPHA && (c->lo > 1 || c->hi < 1);
	}
	free(p);
	free(q);
}

static void table_build(struct table *t, const struct column *cols, int n)
{
	int i, k, j;

	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->n = n;
	t->ng = groups_collect_cols(cols, n, &t->g);
	t->cells = xcalloc((size_t)t->ng * nr_metrics * n, sizeof(*t->cells));
	t->has = xcalloc((size_t)t->ng * nr_metrics, sizeof(*t->has));
	for (i = 0; i < t->ng; i++)
		for (k = 0; k < nr_metrics; k++) {
			struct cell *c = cell_at(t, i, k);

			t->has[i * nr_metrics + k] = compare_metric(
				cols, n, &t->g[i], &metrics[k], c);
			for (j = 1; j < n; j++) {
				t->by_runs |= c[j].cmp.test == TEST_RUNS;
				t->by_reps |= c[j].cmp.test == TEST_REPS;
			}
		}
	for (j = 1; j < n; j++)
		compare_fdr(t->cells, t->ng * nr_metrics, t->n, j);
}

/* What the reader asked to see (-s, -m, --changed); the FDR is over all. */
static struct compare_filter filter;

void compare_set_filter(const struct compare_filter *f)
{
	filter = *f;
}

/* A FAIL in any column, or a '*' against the baseline. */
static bool row_changed(const struct table *t, int gi, int k)
{
	const struct cell *c = cell_at(t, gi, k);
	int j;

	for (j = 0; j < t->n; j++)
		if (metrics[k].verdict ? c[j].n && c[j].max > 0 :
					 j && c[j].cmp.significant)
			return true;
	return false;
}

static bool row_shown(const struct table *t, int gi, int k)
{
	return t->has[gi * nr_metrics + k] &&
	       (!filter.metric ||
		!fnmatch(filter.metric, metrics[k].name, 0)) &&
	       (!filter.changed || row_changed(t, gi, k));
}

static bool group_shown(const struct table *t, int gi)
{
	int k;

	if (filter.scenario && fnmatch(filter.scenario, t->g[gi].scenario, 0))
		return false;
	for (k = 0; k < nr_metrics; k++)
		if (row_shown(t, gi, k))
			return true;
	return false;
}

static void table_free(struct table *t)
{
	free(t->g);
	free(t->cells);
	free(t->has);
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

/* The distinct values of a field over a column's runs: "kvm/tcg". */
static void column_values_str(const struct column *c, size_t off, char *buf,
			      int len)
{
	int i, j, k = 0;

	buf[0] = '\0';
	for (i = 0; i < c->n && k < len; i++) {
		const char *v = (const char *)&c->runs[i] + off;

		for (j = 0; j < i && strcmp((const char *)&c->runs[j] + off, v);
		     j++)
			;
		if (j == i)
			k += snprintf(buf + k, len - k, "%s%s", i ? "/" : "",
				      v);
	}
}

/* Any run of any column differs from the first in this field. */
static bool field_differs(const struct column *cols, int n, size_t off)
{
	const char *first = (const char *)&cols[0].runs[0] + off;
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < cols[i].n; j++)
			if (strcmp((const char *)&cols[i].runs[j] + off, first))
				return true;
	return false;
}

static void warn_differ(FILE *out, const struct column *cols, int n,
			const char *what, size_t off)
{
	char line[512], vals[200];
	int i, len;

	if (!field_differs(cols, n, off))
		return;
	len = snprintf(line, sizeof(line), "the runs differ in %s:", what);
	for (i = 0; i < n && len < (int)sizeof(line); i++) {
		column_values_str(&cols[i], off, vals, sizeof(vals));
		len += snprintf(line + len, sizeof(line) - len, " %c=%s",
				'A' + i, vals);
	}
	wrap(out, "warning: ", line, 9);
}

/* The clock's cost is in every batched time: a change in it is a change
 * in t/op that is not the kernel's (more than 25% apart). */
static void warn_clock(FILE *out, const struct column *cols, int n)
{
	double lo = INFINITY, hi = 0, v;
	char line[512];
	int i, j, len;

	for (i = 0; i < n; i++)
		for (j = 0; j < cols[i].n; j++) {
			v = cols[i].runs[j].pair_ns;
			if (isnan(v))
				continue;
			lo = fmin(lo, v);
			hi = fmax(hi, v);
		}
	if (!(hi > lo * 1.25))
		return;
	len = snprintf(line, sizeof(line),
		       "the runs differ in clock cost (ns a pair):");
	for (i = 0; i < n && len < (int)sizeof(line); i++) {
		len += snprintf(line + len, sizeof(line) - len,
				" %c=", 'A' + i);
		for (j = 0; j < cols[i].n && len < (int)sizeof(line); j++)
			len += snprintf(line + len, sizeof(line) - len,
					"%s%.1f", j ? "/" : "",
					cols[i].runs[j].pair_ns);
	}
	wrap(out, "warning: ", line, 9);
}

/* Columns are meant to differ in kernel; a group's runs are not. */
static void warn_group_kernels(FILE *out, const struct column *cols, int n)
{
	char line[512], vals[400];
	int i;

	for (i = 0; i < n; i++) {
		column_values_str(&cols[i], offsetof(struct run, kernel), vals,
				  sizeof(vals));
		if (!strchr(vals, '/'))
			continue;
		snprintf(line, sizeof(line),
			 "the runs of %c (%s) differ in kernel: %s", 'A' + i,
			 cols[i].name, vals);
		wrap(out, "warning: ", line, 9);
	}
}

static bool verbose_header;

void compare_set_verbose(bool v)
{
	verbose_header = v;
}

/* Is word (len bytes) a word of every run's command line? */
static bool word_everywhere(const struct column *cols, int n, const char *w,
			    int len)
{
	int i, j;
	const char *p;

	for (i = 0; i < n; i++)
		for (j = 0; j < cols[i].n; j++) {
			for (p = cols[i].runs[j].cmdline; *p;
			     p += strcspn(p, " "), p += strspn(p, " "))
				if ((int)strcspn(p, " ") == len &&
				    !strncmp(p, w, len))
					break;
			if (!*p)
				return false;
		}
	return true;
}

/* The words of r's command line that not every run has: what differs. */
static void cmdline_own(const struct column *cols, int n, const struct run *r,
			char *buf, int len)
{
	const char *p = r->cmdline;
	int k, at = 0;

	buf[0] = '\0';
	for (p += strspn(p, " "); *p && at < len; p += k, p += strspn(p, " ")) {
		k = (int)strcspn(p, " ");
		if (!word_everywhere(cols, n, p, k))
			at += snprintf(buf + at, len - at, "%s%.*s",
				       at ? " " : "", k, p);
	}
}

static bool same_cmdline(const struct column *cols, int n)
{
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < cols[i].n; j++)
			if (strcmp(cols[i].runs[j].cmdline,
				   cols[0].runs[0].cmdline))
				return false;
	return true;
}

static void header_column(FILE *out, const struct column *cols, int n, int i,
			  bool cmdline)
{
	const struct column *c = &cols[i];
	const struct run *r = &c->runs[0];
	char buf[2048], kernels[300];
	int j, len;

	column_values_str(c, offsetof(struct run, kernel), kernels,
			  sizeof(kernels));
	if (c->n == 1)
		snprintf(buf, sizeof(buf), "%s %s (%s) %s", r->name, r->label,
			 kernels, r->host);
	else {
		len = snprintf(buf, sizeof(buf), "%s: %d runs (", c->name,
			       c->n);
		for (j = 0; j < c->n && len < (int)sizeof(buf); j++)
			len += snprintf(buf + len, sizeof(buf) - len, "%s%s",
					j ? " " : "", c->runs[j].name);
		snprintf(buf + len, sizeof(buf) - len, ") %s (%s) %s", r->label,
			 kernels, r->host);
	}
	fprintf(out, "  %c ", 'A' + i);
	wrap(out, "", buf, 4);
	snprintf(buf, sizeof(buf), "%s, accelerator %s, THP %s", r->cpu,
		 r->accel, r->thp);
	wrap(out, "    ", buf, 4);
	/* which tree each kernel was built from, where that tells them apart */
	if (field_differs(cols, n, offsetof(struct run, kcommit))) {
		column_values_str(c, offsetof(struct run, kcommit), buf,
				  sizeof(buf));
		wrap(out, "    kernel commit: ", buf, 19);
	}
	if (!cmdline)
		return;
	if (verbose_header) {
		wrap(out, "    cmdline: ", r->cmdline, 13);
		return;
	}
	cmdline_own(cols, n, r, buf, sizeof(buf));
	wrap(out, "    cmdline, what differs: ", *buf ? buf : "(none)", 28);
}

void compare_header(FILE *out, const struct column *cols, int n)
{
	bool same = same_cmdline(cols, n);
	int i, runs = 0;

	for (i = 0; i < n; i++)
		runs += cols[i].n;
	fprintf(out, "cowbench compare: %d column%s (%d run%s), baseline A\n",
		n, n == 1 ? "" : "s", runs, runs == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		header_column(out, cols, n, i, !same);
	if (same && verbose_header)
		wrap(out, "  cmdline: ", cols[0].runs[0].cmdline, 11);
	else if (same)
		fprintf(out,
			"  cmdline: the same in every run (-v prints it)\n");
	warn_group_kernels(out, cols, n);
	warn_differ(out, cols, n, "CPU", offsetof(struct run, cpu));
	warn_differ(out, cols, n, "THP mode", offsetof(struct run, thp));
	warn_differ(out, cols, n, "accelerator", offsetof(struct run, accel));
	warn_differ(out, cols, n, "THP defrag", offsetof(struct run, defrag));
	warn_differ(out, cols, n, "kernel config digest",
		    offsetof(struct run, kconfig));
	warn_differ(out, cols, n, "suite version", offsetof(struct run, suite));
	warn_differ(out, cols, n, "matrix digest",
		    offsetof(struct run, matrix));
	warn_clock(out, cols, n);
}

static const char legend_head[] =
	"values: the median of each run's median over repetitions\n"
	"(verdicts: the worst one); '*': the change is significant after\n"
	"Benjamini-Hochberg over every tested row against A (q < 0.05) and\n"
	"its 95% interval excludes 1;\n";
static const char legend_runs[] =
	"2+ runs a side: runs are the unit, Welch's t on the logs of the\n"
	"runs' medians; CV % is between runs; (mdc x%) the smallest change\n"
	"detected with 80% power at p < 0.05;\n";
static const char legend_reps[] =
	"one run a side: the between-run noise is unknown (compare groups:\n"
	"run --runs K); Mann-Whitney over repetitions (exact p up to 30 a\n"
	"side) and a bootstrap interval; CV % is over repetitions; (mdc x%)\n"
	"the smallest change that would give p < 0.05 on this data;\n";
static const char legend_tail[] =
	"'?': too few repetitions to test (no p below 0.05 possible);\n"
	"n: repetitions (runs); n/a: not measured; new: only that column has\n"
	"it; FAIL: a missed COW, wrong COW or unexplained outcome in any\n"
	"record, perturbed or not; every metric is lower-is-better: a '+'\n"
	"change is a slowdown or more of a cost\n";

static void legend(FILE *out, const struct table *t)
{
	fputs(legend_head, out);
	/* a lone baseline tests nothing: say how its columns would be */
	if (t->by_runs || (!t->by_reps && t->cols[0].n > 1))
		fputs(legend_runs, out);
	if (t->by_reps || (!t->by_runs && t->cols[0].n == 1))
		fputs(legend_reps, out);
	fputs(legend_tail, out);
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
/*
 * A label too long for its place keeps its end, where labels of one
 * comparison differ ("~count-6.12"), after a '~'; the header above names
 * each column in full.
 */
static const char *fit(const char *label, int width, char *buf, int len)
{
	int n = (int)strlen(label);

	if (n <= width)
		return label;
	snprintf(buf, len, "~%s", label + n - (width - 1));
	return buf;
}

static int column_head(char *buf, int len, const char *label, int width)
{
	char cut[32];

	return snprintf(buf, len, " %*s%*s", width,
			fit(label, width, cut, sizeof(cut)), 23 - width, "");
}

static void text_head(FILE *out, const struct table *t, int from, int to)
{
	char line[512], col[240], cut[32];
	int i, len;

	column_name(t->cols, t->n, 0, col, sizeof(col));
	len = snprintf(line, sizeof(line), "%-14s%10s", "",
		       fit(col, 10, cut, sizeof(cut)));
	for (i = from; i < to; i++) {
		column_name(t->cols, t->n, i, col, sizeof(col));
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

/* The smallest detectable change: "(mdc 4.2%)", in the change's place. */
static void fmt_mdc(char *buf, int len, const struct cell *c)
{
	double pct = c->cmp.mdc * 100;

	if (c->cmp.test == TEST_NONE)
		snprintf(buf, len, "%s", "");
	else if (isnan(pct))
		snprintf(buf, len, "(mdc n/a)"); /* no relative change from 0 */
	else if (isinf(pct) || pct >= 1000)
		snprintf(buf, len, "(mdc >999%%)");
	else
		snprintf(buf, len, "(mdc %.1f%%)", pct);
}

/* "8", or "24 (3)": repetitions, and runs when there are more. */
static void fmt_n(char *buf, int len, const struct cell *c,
		  const struct column *col)
{
	if (col->n > 1)
		snprintf(buf, len, "%d (%d)", c->n, c->runs);
	else
		snprintf(buf, len, "%d", c->n);
}

/* A row under a metric: the noise and the detectable change, or n. */
static void sub_line(FILE *out, const struct table *t, const char *label,
		     const struct cell *cells, int from, int to, bool noise)
{
	char line[256], num[32], mdc[32];
	int i, len;

	len = snprintf(line, sizeof(line), "%-14s", label);
	for (i = 0; i < to; i++) {
		if (i && i < from)
			continue;
		mdc[0] = '\0';
		if (!noise)
			fmt_n(num, sizeof(num), &cells[i], &t->cols[i]);
		else if (!isnan(cells[i].noise))
			snprintf(num, sizeof(num), "%.1f",
				 100 * cells[i].noise);
		else
			snprintf(num, sizeof(num), "-");
		if (noise && i)
			fmt_mdc(mdc, sizeof(mdc), &cells[i]);
		len += snprintf(line + len, sizeof(line) - len,
				i ? " %10s %-12s" : "%10s", num, mdc);
	}
	put_line(out, line);
}

static void text_table(FILE *out, const struct table *t, int gi, int from,
		       int to)
{
	const struct group *g = &t->g[gi];
	char line[256], num[32], chg[32], label[32];
	int i, k, len;

	fprintf(out, "\n%s %s %s\n", g->scenario, g->backing, g->params);
	text_head(out, t, from, to);
	for (k = 0; k < nr_metrics; k++) {
		const struct metric *m = &metrics[k];
		const struct cell *cells = cell_at(t, gi, k);

		if (!row_shown(t, gi, k))
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
		if (!m->verdict)
			sub_line(out, t, "  CV %", cells, from, to, true);
		sub_line(out, t, "  n", cells, from, to, false);
	}
}

/*
 * What a reader looks for first: every '*' and every FAIL, a line each
 * (of the rows shown), before the tables.
 */
static void summary(FILE *out, const struct table *t)
{
	char line[400];
	int i, j, k, n = 0;

	for (i = 0; i < t->ng; i++)
		for (k = 0; k < nr_metrics; k++) {
			const struct cell *c = cell_at(t, i, k);

			if (!row_shown(t, i, k) || !row_changed(t, i, k) ||
			    (filter.scenario &&
			     fnmatch(filter.scenario, t->g[i].scenario, 0)))
				continue;
			for (j = 0; j < t->n; j++) {
				if (metrics[k].verdict ?
					    !(c[j].n && c[j].max > 0) :
					    !(j && c[j].cmp.significant))
					continue;
				if (!n++)
					fputs("\nchanges ('*') and failures:\n",
					      out);
				if (metrics[k].verdict)
					snprintf(line, sizeof(line),
						 "%s %s %s: %s %.0f FAIL in %c",
						 t->g[i].scenario,
						 t->g[i].backing,
						 t->g[i].params,
						 metrics[k].name, c[j].max,
						 'A' + j);
				else
					snprintf(line, sizeof(line),
						 "%s %s %s: %s %+.1f%%* in %c",
						 t->g[i].scenario,
						 t->g[i].backing,
						 t->g[i].params,
						 metrics[k].name,
						 (c[j].cmp.ratio - 1) * 100,
						 'A' + j);
				wrap(out, "  ", line, 4);
			}
		}
	if (!n)
		fputs("\nchanges ('*') and failures: none\n", out);
}

static void print_text(FILE *out, const struct table *t)
{
	int i, from, n = t->n;

	compare_header(out, t->cols, n);
	legend(out, t);
	summary(out, t);
	for (i = 0; i < t->ng; i++) {
		if (!group_shown(t, i))
			continue;
		if (n == 1)
			text_table(out, t, i, 1, 1);
		for (from = 1; from < n; from += COLS_PER_TABLE)
			text_table(out, t, i, from,
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
static void md_header(FILE *out, const struct table *t)
{
	fputs("## cowbench compare\n\n```\n", out);
	compare_header(out, t->cols, t->n);
	legend(out, t);
	fputs("```\n", out);
}

static void md_row(FILE *out, const struct table *t, const struct metric *m,
		   const struct cell *cells)
{
	char num[32], chg[32];
	int j;

	fputs("| ", out);
	md_esc(out, m->name);
	fprintf(out, "%s%s |", m->unit[0] ? " " : "", m->unit);
	for (j = 0; j < t->n; j++) {
		fmt_cell(num, sizeof(num), &cells[j], m);
		fmt_change(chg, sizeof(chg), &cells[j], &cells[0], m);
		fprintf(out, " %s ", num);
		if ((j || m->verdict) && *strtrim(chg)) {
			md_esc(out, strtrim(chg));
			fputc(' ', out);
		}
		fmt_n(num, sizeof(num), &cells[j], &t->cols[j]);
		fprintf(out, "n=%s", num);
		if (!m->verdict && !isnan(cells[j].noise))
			fprintf(out, " CV %.1f%%", 100 * cells[j].noise);
		fmt_mdc(chg, sizeof(chg), &cells[j]);
		if (j && chg[0])
			fprintf(out, " %s", chg);
		fputs(" |", out);
	}
	fputc('\n', out);
}

static void print_md(FILE *out, const struct table *t)
{
	const struct group *g;
	char col[240];
	int i, j, k;

	md_header(out, t);
	for (i = 0; i < t->ng; i++) {
		if (!group_shown(t, i))
			continue;
		g = &t->g[i];
		fputs("\n### ", out);
		md_esc(out, g->scenario);
		fputc(' ', out);
		md_esc(out, g->backing);
		fputc(' ', out);
		md_esc(out, g->params);
		fputs("\n\n| metric |", out);
		for (j = 0; j < t->n; j++) {
			column_name(t->cols, t->n, j, col, sizeof(col));
			fprintf(out, " %c: ", 'A' + j);
			md_esc(out, col);
			fputs(" |", out);
		}
		fprintf(out, "\n|---|");
		for (j = 0; j < t->n; j++)
			fprintf(out, "---:|");
		fputc('\n', out);
		for (k = 0; k < nr_metrics; k++)
			if (row_shown(t, i, k))
				md_row(out, t, &metrics[k], cell_at(t, i, k));
	}
}

static const char *const row_keys[] = { "scenario", "backing", "params",
					"metric",   "unit",    "run",
					"label" };

static void row_fields(const struct column *c, const struct group *g,
		       const struct metric *m, const char *f[7])
{
	f[0] = g->scenario;
	f[1] = g->backing;
	f[2] = g->params;
	f[3] = m->name;
	f[4] = m->unit;
	f[5] = c->name;
	f[6] = c->runs[0].label;
}

/* Percentiles of every repetition's histogram merged (latency metrics). */
static void merged(const struct column *c, const struct group *g,
		   const struct metric *m, double pct[3])
{
	struct hist *h = xmalloc(sizeof(*h));
	int i, j;

	hist_init(h);
	for (j = 0; j < c->n; j++)
		for (i = 0; i < c->runs[j].nrec; i++) {
			const struct record *rec = &c->runs[j].recs[i];

			if (rec->status == ST_OK && !rec->perturbed[0] &&
			    rec->has_lat && !strcmp(rec->pass, m->pass) &&
			    !m->join && group_match(g, rec))
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

static const char *const test_names[] = { "", "repetitions", "runs" };

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
	csv_num(out, pct[2], ',');
	fprintf(out, "%d,", c->runs);
	csv_num(out, c->runs > 1 ? c->noise : NAN, ',');
	csv_num(out, base ? NAN : c->cmp.q, ',');
	csv_num(out, base ? NAN : c->cmp.mdc, ',');
	fprintf(out, "%s\n", base ? "" : test_names[c->cmp.test]);
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
	jw_i64(&w, "runs", c->runs);
	jw_dbl(&w, "median", c->median);
	jw_dbl(&w, "mean", c->d.mean);
	jw_dbl(&w, "hmean", c->d.hmean);
	jw_dbl(&w, "stddev", c->d.stddev);
	jw_dbl(&w, "cv", c->d.cv);
	/* null: one run, the noise between runs is not known */
	jw_dbl(&w, "between_run_cv", c->runs > 1 ? c->noise : NAN);
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
		jw_dbl(&w, "q", c->cmp.q);
		jw_dbl(&w, "mdc", c->cmp.mdc);
		jw_bool(&w, "significant", c->cmp.significant);
		jw_bool(&w, "testable", c->cmp.testable);
		if (c->cmp.test == TEST_NONE)
			jw_null(&w, "stat_unit");
		else
			jw_str(&w, "stat_unit", test_names[c->cmp.test]);
		jw_bool(&w, "between_run_noise_known",
			c->cmp.test == TEST_RUNS);
	}
	jw_close(&w, '}');
	fprintf(out, "%s  %s", first ? "" : ",\n", w.buf);
	jw_free(&w);
}

static void print_rows(FILE *out, const struct table *t, bool json)
{
	const char *f[7];
	int i, j, k;
	bool first = true;

	if (json)
		fputs("[\n", out);
	else
		fputs("scenario,backing,params,metric,unit,run,label,n,median,mean,hmean,stddev,cv,min,max,ratio,ci_lo,ci_hi,p,significant,testable,merged_p50,merged_p99,merged_p999,runs,between_run_cv,q,mdc,stat_unit\n",
		      out);
	for (i = 0; i < t->ng; i++) {
		for (k = 0; k < nr_metrics; k++) {
			const struct cell *cells = cell_at(t, i, k);

			if (!group_shown(t, i) || !row_shown(t, i, k))
				continue;
			for (j = 0; j < t->n; j++) {
				double pct[3];

				row_fields(&t->cols[j], &t->g[i], &metrics[k],
					   f);
				merged(&t->cols[j], &t->g[i], &metrics[k], pct);
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
}

void compare_print(FILE *out, const struct column *cols, int n,
		   enum cmp_format fmt)
{
	struct table t;

	table_build(&t, cols, n);
	switch (fmt) {
	case FMT_TEXT:
		print_text(out, &t);
		break;
	case FMT_MD:
		print_md(out, &t);
		break;
	default:
		print_rows(out, &t, fmt == FMT_JSON);
		break;
	}
	table_free(&t);
}
