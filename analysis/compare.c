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

/* Timings of every column but A scaled (--inject-shift): a power test. */
static double inject = 1;

void compare_set_inject(double factor)
{
	inject = factor;
}

/* What --inject-shift scales: the times of the timing and sampled passes. */
static bool is_timing(const struct metric *m)
{
	return strcmp(m->pass, "counting") != 0;
}

/*
 * The column's values of m, each times scale: every repetition into all
 * (its number in c->n), each run's figure (the median of its repetitions)
 * into fig (c->runs).
 */
static void column_values(const struct column *col, const struct group *g,
			  const struct metric *m, struct cell *c, double *all,
			  double *fig, double scale)
{
	struct desc between;
	int i, j, k;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < col->n; i++) {
		k = samples(&col->runs[i], g, m, all + c->n, MAXS);
		for (j = 0; j < k; j++)
			all[c->n + j] *= scale;
		if (k)
			fig[c->runs++] = median_of(all + c->n, k);
		c->n += k;
	}
	describe(all, c->n, &c->d);
	c->max = c->d.max;
	c->median = median_of(fig, c->runs);
	describe(fig, c->runs, &between);
	c->noise = c->runs > 1 ? between.cv : c->n > 1 ? c->d.cv : NAN;
	/* one side without data: no ratio, never -100% */
	c->cmp.ratio = c->cmp.lo = c->cmp.hi = NAN;
	c->cmp.p = c->cmp.q = c->cmp.mdc = c->cmp.runs5 = NAN;
}

/*
 * Every figure of every column with 2+ runs is positive: the row is on the
 * log scale (geometric means); one 0 puts all of it on the figures, so the
 * values and the ratios tested stay one thing.
 */
static bool row_logs(const struct cell *cells, int n, const double *fig,
		     int most)
{
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; cells[i].runs > 1 && j < cells[i].runs; j++)
			if (!(fig[i * most + j] > 0))
				return false;
	return true;
}

/*
 * What a cell shows is what its test compares: the geometric mean of the
 * runs' figures (their mean off the log scale), with one run the median of
 * its repetitions; a verdict, the worst.
 */
static void cell_value(struct cell *c, const double *fig, bool logs,
		       const struct metric *m)
{
	struct desc d;

	if (!c->n) {
		c->value = NAN;
		c->stat = NULL;
	} else if (m->verdict) {
		c->value = c->max;
		c->stat = "max";
	} else if (c->runs > 1 && logs) {
		c->value = gmean_of(fig, c->runs);
		c->stat = "gmean";
	} else if (c->runs > 1) {
		describe(fig, c->runs, &d);
		c->value = d.mean;
		c->stat = "mean";
	} else {
		c->value = c->median;
		c->stat = "median";
	}
}

/*
 * Runs are the unit when both sides have two or more: a run's figure is
 * the median of its repetitions.  With one run on a side, the repetitions
 * are, and the between-run noise is unknown.
 */
int compare_metric_at(const struct column *cols, int n, const struct group *g,
		      const struct metric *m, struct cell *cells,
		      const double *level)
{
	int most = 0, i, any = 0;
	double *all, *fig;
	size_t per;
	bool logs;

	for (i = 0; i < n; i++)
		most = cols[i].n > most ? cols[i].n : most;
	per = (size_t)most * MAXS;
	all = xmalloc(n * per * sizeof(*all));
	fig = xmalloc((size_t)n * most * sizeof(*fig));
	for (i = 0; i < n; i++) {
		column_values(&cols[i], g, m, &cells[i], all + i * per,
			      fig + i * most, i && is_timing(m) ? inject : 1);
		any |= cells[i].n > 0;
	}
	logs = row_logs(cells, n, fig, most);
	for (i = 0; i < n; i++) {
		struct cell *c = &cells[i], *b = &cells[0];
		double at = level ? level[i] : STATS_ALPHA;

		cell_value(c, fig + i * most, logs, m);
		if (!i || !b->n || !c->n || m->verdict)
			continue;
		/* runs are the unit where one side has a group of them */
		if (b->runs > 1 || c->runs > 1)
			compare_runs_at(fig, b->runs, fig + i * most, c->runs,
					logs, at, &c->cmp);
		else
			compare_samples_at(all, b->n, all + i * per, c->n, at,
					   &c->cmp);
	}
	free(all);
	free(fig);
	return any;
}

int compare_metric(const struct column *cols, int n, const struct group *g,
		   const struct metric *m, struct cell *cells)
{
	return compare_metric_at(cols, n, g, m, cells, NULL);
}

/* Every cell of every group and metric, computed once for all formats. */
struct table {
	const struct column *cols;
	int n, ng;
	struct group *g;
	struct cell *cells; /* [group][metric][column] */
	bool *has; /* [group][metric]: some column has a value */
	int *m; /* [column]: its tests, what Benjamini-Hochberg is over */
	double *level; /* [column]: of its mdc and runs5, alpha / m */
	bool by_runs, by_reps; /* a comparison made with runs, with reps */
};

static struct cell *cell_at(const struct table *t, int gi, int k)
{
	return &t->cells[((size_t)gi * nr_metrics + k) * t->n];
}

/*
 * A test of the correction: not a row that cannot reach p < alpha, nor an
 * exact one (no spread on either side: a certain difference, or none).
 */
static bool in_fdr(const struct comparison *c)
{
	return c->test != TEST_NONE && c->testable && !c->exact;
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

		p[r] = in_fdr(&c->cmp) ? c->cmp.p : NAN;
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

static void table_cells(struct table *t)
{
	int i, k;

	for (i = 0; i < t->ng; i++)
		for (k = 0; k < nr_metrics; k++)
			t->has[i * nr_metrics + k] = compare_metric_at(
				t->cols, t->n, &t->g[i], &metrics[k],
				cell_at(t, i, k), t->level);
}

/*
 * A change alone in its column is starred when p m < alpha (its q), so
 * alpha / m is the level its mdc and runs5 are for; m, the column's tests,
 * is known once every row is computed.
 */
static void table_levels(struct table *t)
{
	int rows = t->ng * nr_metrics, r, j;

	for (j = 1; j < t->n; j++) {
		t->m[j] = 0;
		for (r = 0; r < rows; r++)
			t->m[j] += in_fdr(&t->cells[(size_t)r * t->n + j].cmp);
		t->level[j] = STATS_ALPHA / (t->m[j] ? t->m[j] : 1);
	}
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
	t->m = xcalloc(n, sizeof(*t->m));
	t->level = xmalloc(n * sizeof(*t->level));
	for (j = 0; j < n; j++)
		t->level[j] = STATS_ALPHA;
	table_cells(t); /* the tests, to count them */
	table_levels(t);
	table_cells(t); /* the mdc and runs5 at those levels */
	for (i = 0; i < t->ng; i++)
		for (k = 0; k < nr_metrics; k++)
			for (j = 1; j < n; j++) {
				struct cell *c = &cell_at(t, i, k)[j];

				t->by_runs |= c->cmp.test == TEST_RUNS;
				t->by_reps |= c->cmp.test == TEST_REPS;
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
	free(t->m);
	free(t->level);
}

/*
 * A metric's line: the label, then per column the value with its spread
 * ("1013 ±2%") and, against A, the change ("+17.2%*"), as lkp prints
 * them; the baseline and two columns fit 72 columns, in bytes too.
 */
#define LABEL_W 14
#define VAL_W 7
#define SPREAD_W 4 /* "±12%" */
#define CHG_W 7 /* "+17.2%*" */
#define BASE_W (LABEL_W + VAL_W + 1 + SPREAD_W)
#define COL_W (1 + VAL_W + 1 + SPREAD_W + 1 + CHG_W)

/* Columns on a terminal: a UTF-8 sequence ('±') takes one. */
static int dwidth(const char *s)
{
	int w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

struct line {
	char buf[1024];
	int len;
};

/* Append s padded to |width| columns, right-aligned when width > 0. */
static void put(struct line *l, const char *s, int width)
{
	int fill = abs(width) - dwidth(s), room = sizeof(l->buf) - l->len, k;

	fill = fill > 0 ? fill : 0;
	if (width > 0)
		k = snprintf(l->buf + l->len, room, "%*s%s", fill, "", s);
	else
		k = snprintf(l->buf + l->len, room, "%s%*s", s, fill, "");
	l->len += k < room ? k : room - 1;
}

/* At most VAL_W characters: 1.23e7 from ten million on. */
static void fmt_num(char *buf, int len, double v)
{
	double a = fabs(v);
	int e;

	if (isnan(v) || isinf(v))
		snprintf(buf, len, isnan(v) ? "-" : "inf");
	else if (a >= 9999999.5) {
		e = (int)floor(log10(a));
		e += a / pow(10, e) >= 9.995;
		snprintf(buf, len, "%.2fe%d", v / pow(10, e), e);
	} else if (a >= 100 || v == floor(v))
		snprintf(buf, len, "%.0f", v);
	else if (a >= 1)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3f", v);
}

/* '*' significant, '?' too few repetitions for any p below 0.05. */
static const char *mark(const struct cell *c)
{
	return c->cmp.significant ? "*" : !c->cmp.testable ? "?" : "";
}

/*
 * The change against the baseline, the ratio tested: nothing when this
 * column has no value (its value says n/a) or nothing was compared, "new"
 * when only this column has one.
 */
static void fmt_change(char *buf, int len, const struct cell *c,
		       const struct cell *base, const struct metric *m)
{
	double r = c->cmp.ratio, pct = (r - 1) * 100;

	if (m->verdict || !c->n || (base->n && isnan(r)))
		snprintf(buf, len, "%s", "");
	else if (!base->n)
		snprintf(buf, len, "new");
	else if (isinf(r))
		snprintf(buf, len, "inf%s", mark(c));
	else if (fabs(pct) < 99.95)
		snprintf(buf, len, "%+.1f%%%s", pct, mark(c));
	else if (fabs(pct) < 9999.5)
		snprintf(buf, len, "%+.0f%%%s", pct, mark(c));
	else if (r < 1e5)
		snprintf(buf, len, "x%.0f%s", r, mark(c));
	else
		snprintf(buf, len, "x1e5+%s", mark(c));
}

/*
 * Beside the value, its spread: "±2%", the CV (between runs for a group,
 * else over repetitions); a verdict's place for FAIL.
 */
static void fmt_spread(char *buf, int len, const struct cell *c,
		       const struct metric *m)
{
	double pct = 100 * c->noise;

	if (m->verdict)
		snprintf(buf, len, "%s", c->n && c->max > 0 ? "FAIL" : "");
	else if (!c->n || isnan(pct))
		snprintf(buf, len, "%s", "");
	else if (pct < 99.5)
		snprintf(buf, len, "±%.0f%%", pct);
	else
		snprintf(buf, len, "±99+");
}

/* The value a cell shows, "n/a" when it has none. */
static void fmt_cell(char *buf, int len, const struct cell *c)
{
	if (!c->n)
		snprintf(buf, len, "n/a");
	else
		fmt_num(buf, len, c->value);
}

/* A cell's fields: value, spread and, against A, the change. */
static void cell_fields(char f[3][32], const struct cell *cells, int i,
			const struct metric *m)
{
	fmt_cell(f[0], 32, &cells[i]);
	fmt_spread(f[1], 32, &cells[i], m);
	f[2][0] = '\0';
	if (i)
		fmt_change(f[2], 32, &cells[i], &cells[0], m);
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

/* A run that did not end: its numbers may be partial, or still coming. */
static void note_unended(FILE *out, const struct column *cols, int n)
{
	char line[300], life[160];
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < cols[i].n; j++) {
			if (!run_unended(&cols[i].runs[j], life, sizeof(life)))
				continue;
			snprintf(line, sizeof(line), "%c %s %s", 'A' + i,
				 cols[i].runs[j].name, life);
			wrap(out, "note: ", line, 6);
		}
}

static bool verbose;

void compare_set_verbose(bool v)
{
	verbose = v;
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

static void machine_str(const struct run *r, char *buf, int len)
{
	snprintf(buf, len, "%s, accelerator %s, THP %s", r->cpu, r->accel,
		 r->thp);
}

/* A mail says per column only what tells the columns apart. */
static bool machine_differs(const struct column *cols, int n)
{
	return field_differs(cols, n, offsetof(struct run, cpu)) ||
	       field_differs(cols, n, offsetof(struct run, accel)) ||
	       field_differs(cols, n, offsetof(struct run, thp));
}

/* Beside a label, what tells the columns apart: kernel, host (-v: all). */
static bool named_apart(const struct column *cols, int n, size_t off)
{
	return verbose || field_differs(cols, n, off);
}

static void header_column(FILE *out, const struct column *cols, int n, int i,
			  bool cmdline)
{
	static const size_t apart[] = { offsetof(struct run, kernel),
					offsetof(struct run, host) };
	const struct column *c = &cols[i];
	const struct run *r = &c->runs[0];
	char buf[2048], vals[300], lead[8];
	int j, len;
	size_t k;

	if (c->n == 1)
		len = snprintf(buf, sizeof(buf), "%s %s", r->name, r->label);
	else {
		len = snprintf(buf, sizeof(buf), "%s: %d runs (", c->name,
			       c->n);
		for (j = 0; j < c->n && len < (int)sizeof(buf); j++)
			len += snprintf(buf + len, sizeof(buf) - len, "%s%s",
					j ? " " : "", c->runs[j].name);
		len += snprintf(buf + len, sizeof(buf) - len, ") %s", r->label);
	}
	for (k = 0; k < ARRAY_SIZE(apart) && len < (int)sizeof(buf); k++) {
		if (!named_apart(cols, n, apart[k]))
			continue;
		column_values_str(c, apart[k], vals, sizeof(vals));
		len += snprintf(buf + len, sizeof(buf) - len,
				k ? " %s" : " (%s)", vals);
	}
	snprintf(lead, sizeof(lead), "  %c ", 'A' + i);
	wrap(out, lead, buf, 4);
	if (verbose || machine_differs(cols, n)) {
		machine_str(r, buf, sizeof(buf));
		wrap(out, "    ", buf, 4);
	}
	/* which tree each kernel was built from, where that tells them apart */
	if (field_differs(cols, n, offsetof(struct run, kcommit))) {
		column_values_str(c, offsetof(struct run, kcommit), buf,
				  sizeof(buf));
		wrap(out, "    kernel commit: ", buf, 19);
	}
	if (!cmdline)
		return;
	if (verbose) {
		wrap(out, "    cmdline: ", r->cmdline, 13);
		return;
	}
	cmdline_own(cols, n, r, buf, sizeof(buf));
	wrap(out, "    cmdline, what differs: ", *buf ? buf : "(none)", 28);
}

/* What no column differs in, said once: "kernel 6.18.0, host lab1, ...". */
static void header_common(FILE *out, const struct column *cols, int n)
{
	const struct run *r = &cols[0].runs[0];
	char buf[600] = "";
	int len = 0;

	if (!named_apart(cols, n, offsetof(struct run, kernel)))
		len += snprintf(buf + len, sizeof(buf) - len, "kernel %s, ",
				r->kernel);
	if (!named_apart(cols, n, offsetof(struct run, host)))
		len += snprintf(buf + len, sizeof(buf) - len, "host %s, ",
				r->host);
	if (!verbose && !machine_differs(cols, n))
		machine_str(r, buf + len, sizeof(buf) - len);
	else if (len)
		buf[len - 2] = '\0';
	if (*buf)
		wrap(out, "  every run: ", buf, 13);
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
	header_common(out, cols, n);
	if (same && verbose)
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
	note_unended(out, cols, n);
	if (inject != 1)
		fprintf(out,
			"warning: every timing but A's scaled by %+.1f%%: a power test,\n"
			"         not a measurement (--inject-shift)\n",
			(inject - 1) * 100);
}

static const char legend_head[] =
	"values: a group's, the geometric mean of its runs' figures (a run's:\n"
	"the median of its repetitions; their mean when a row has a 0); one\n"
	"run's, the median of its repetitions; a verdict's, the worst one;\n"
	"±: the CV, between runs for a group, else over repetitions; a change\n"
	"is the ratio of the values, the one tested; '*': significant after\n"
	"Benjamini-Hochberg over every tested row against A (q < 0.05) and\n"
	"its 95% interval excludes 1; an exact count (no spread on either\n"
	"side) is certain, and not one of the rows tested;\n";
static const char legend_runs[] =
	"2+ runs on a side: runs are the unit, Welch's t on the logs of the\n"
	"runs' figures (a single run takes the group's spread);\n";
static const char legend_reps[] =
	"one run a side: the between-run noise is unknown (compare groups:\n"
	"run --runs K); Mann-Whitney over repetitions (exact p up to 30 a\n"
	"side) and a bootstrap interval of the ratio of medians;\n";
static const char legend_tail[] =
	"'?': too few repetitions to test (no p below 0.05 possible); n/a:\n"
	"not measured; new: only that column has it; FAIL: a missed COW,\n"
	"wrong COW or unexplained outcome in any record, perturbed or not;\n"
	"every metric is lower-is-better: a '+' change is a slowdown or more\n"
	"of a cost";

/* -v: what the lines under each metric say, and each column's m. */
static void legend_verbose(FILE *out, const struct table *t)
{
	char text[1024];
	int j, len;

	len = snprintf(text, sizeof(text), "%s",
		       "n: repetitions (runs); mdc: the smallest change "
		       "detected (with 80% power by runs, about half the "
		       "time by repetitions) at p < 0.05/m, the level that "
		       "stars a change alone among its column's m tested "
		       "rows (m:");
	for (j = 1; j < t->n && len < (int)sizeof(text); j++)
		len += snprintf(text + len, sizeof(text) - len, "%s %c %d",
				j > 1 ? "," : "", 'A' + j, t->m[j]);
	if (len < (int)sizeof(text))
		snprintf(text + len, sizeof(text) - len, "%s",
			 "); n5: the runs a side a +5% change would need at "
			 "that level, from the spread of the runs' figures; "
			 "exact: no spread on either side, any change is "
			 "certain");
	wrap(out, "", text, 0);
}

static void legend(FILE *out, const struct table *t)
{
	fputs(legend_head, out);
	/* a lone baseline tests nothing: say how its columns would be */
	if (t->by_runs || (!t->by_reps && t->cols[0].n > 1))
		fputs(legend_runs, out);
	if (t->by_reps || (!t->by_runs && t->cols[0].n == 1))
		fputs(legend_reps, out);
	fputs(legend_tail, out);
	if (verbose) {
		fputs(";\n", out);
		legend_verbose(out, t);
	} else {
		fputs("; -v adds n, mdc, n5 (at p < 0.05/m, where a lone\n"
		      "change is starred)\n",
		      out);
	}
}

/* A text line without trailing blanks. */
static void put_line(FILE *out, char *line)
{
	fprintf(out, "%s\n", strtrim(line));
}

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

/* Column i is in the table of the baseline and columns from..to - 1. */
static bool in_table(int i, int from)
{
	return !i || i >= from;
}

/* Where column i's value ends, and its fields, on a line of the table. */
static int value_end(int i, int from)
{
	return i ? BASE_W + (i - from) * COL_W + 1 + VAL_W : LABEL_W + VAL_W;
}

static int fields_end(int i, int from)
{
	return i ? BASE_W + (i - from + 1) * COL_W : BASE_W;
}

/*
 * Column names over the values, right-aligned at a value's end where they
 * fit, else at the end of the column's fields, cut at the front; letters
 * at the values' ends.
 */
static void text_head(FILE *out, const struct table *t, int from, int to)
{
	struct line names = { .len = 0 }, letters = { .len = 0 };
	char col[240], cut[64], letter[2] = "A";
	int i, at = 0, end;

	for (i = 0; i < to; i++) {
		if (!in_table(i, from))
			continue;
		column_name(t->cols, t->n, i, col, sizeof(col));
		end = value_end(i, from);
		if (at + 1 + dwidth(col) > end)
			end = fields_end(i, from);
		put(&names, fit(col, end - at - 1, cut, sizeof(cut)), end - at);
		at = end;
		letter[0] = 'A' + i;
		put(&letters, letter, value_end(i, from) - letters.len);
	}
	put_line(out, names.buf);
	put_line(out, letters.buf);
}

/* The smallest detectable change: "4.2%". */
static void fmt_mdc(char *buf, int len, const struct cell *c)
{
	double pct = c->cmp.mdc * 100;

	if (c->cmp.test == TEST_NONE)
		snprintf(buf, len, "%s", "");
	else if (c->cmp.exact) /* no spread: every change is certain */
		snprintf(buf, len, "exact");
	else if (isnan(pct))
		snprintf(buf, len, "n/a"); /* no relative change from 0 */
	else if (isinf(pct) || pct >= 1000)
		snprintf(buf, len, ">999%%");
	else
		snprintf(buf, len, "%.1f%%", pct);
}

/* The runs a side a +5% change needs: "n5=7"; nothing by repetitions. */
static void fmt_n5(char *buf, int len, const struct cell *c)
{
	double n5 = c->cmp.runs5;

	if (isnan(n5) || c->cmp.exact)
		snprintf(buf, len, "%s", "");
	else if (n5 > 999)
		snprintf(buf, len, "n5>999");
	else
		snprintf(buf, len, "n5=%.0f", n5);
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

/* Column i's fields on a line: the value right-aligned, the rest left. */
static void put_fields(struct line *l, int i, const char *val,
		       const char *spread, const char *chg)
{
	if (i)
		put(l, " ", 0);
	put(l, val, VAL_W);
	put(l, " ", 0);
	put(l, spread, -SPREAD_W);
	if (!i)
		return;
	put(l, " ", 0);
	put(l, chg, -CHG_W);
}

static void metric_label(char *buf, int len, const struct metric *m)
{
	snprintf(buf, len, "%s%s%s", m->name, m->unit[0] ? " " : "", m->unit);
}

/* A metric on one line: "t/op ns   1013 ±2%   1187 ±2% +17.2%*". */
static void text_row(FILE *out, const struct cell *cells,
		     const struct metric *m, int from, int to)
{
	struct line l = { .len = 0 };
	char label[32], f[3][32];
	int i;

	metric_label(label, sizeof(label), m);
	put(&l, label, -LABEL_W);
	for (i = 0; i < to; i++) {
		if (!in_table(i, from))
			continue;
		cell_fields(f, cells, i, m);
		put_fields(&l, i, f[0], f[1], f[2]);
	}
	put_line(out, l.buf);
}

/*
 * -v: under a metric, each cell's repetitions (runs) and, against A, the
 * smallest detectable change and the runs a side a +5% change needs.
 */
static void text_verbose(FILE *out, const struct table *t,
			 const struct cell *cells, const struct metric *m,
			 int from, int to)
{
	struct line n = { .len = 0 }, d = { .len = 0 };
	char num[32], n5[32];
	int i;

	put(&n, "  n", -LABEL_W);
	put(&d, "  mdc, n5", -LABEL_W);
	for (i = 0; i < to; i++) {
		if (!in_table(i, from))
			continue;
		fmt_n(num, sizeof(num), &cells[i], &t->cols[i]);
		put_fields(&n, i, num, "", "");
		fmt_mdc(num, sizeof(num), &cells[i]);
		fmt_n5(n5, sizeof(n5), &cells[i]);
		put_fields(&d, i, i ? num : "", "", i ? n5 : "");
	}
	put_line(out, n.buf);
	if (!m->verdict)
		put_line(out, d.buf);
}

static void text_table(FILE *out, const struct table *t, int gi, int from,
		       int to)
{
	const struct group *g = &t->g[gi];
	int k;

	fprintf(out, "\n%s %s %s\n", g->scenario, g->backing, g->params);
	text_head(out, t, from, to);
	for (k = 0; k < nr_metrics; k++) {
		if (!row_shown(t, gi, k))
			continue;
		text_row(out, cell_at(t, gi, k), &metrics[k], from, to);
		if (verbose)
			text_verbose(out, t, cell_at(t, gi, k), &metrics[k],
				     from, to);
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

typedef void table_fn(FILE *out, const struct table *t, int gi, int from,
		      int to);

/* A group's tables: the baseline and COLS_PER_TABLE columns beside it. */
static void group_tables(FILE *out, const struct table *t, int gi, table_fn *fn)
{
	int from, n = t->n;

	if (n == 1)
		fn(out, t, gi, 1, 1);
	for (from = 1; from < n; from += COLS_PER_TABLE)
		fn(out, t, gi, from,
		   from + COLS_PER_TABLE < n ? from + COLS_PER_TABLE : n);
}

static void print_text(FILE *out, const struct table *t)
{
	int i;

	compare_header(out, t->cols, t->n);
	legend(out, t);
	summary(out, t);
	for (i = 0; i < t->ng; i++)
		if (group_shown(t, i))
			group_tables(out, t, i, text_table);
}

/*
 * Markdown cell text: '|' would end the cell, a newline the row; '~' (a
 * cut label's, a Debian version's) would strike through.
 */
static void md_esc(char *buf, int len, const char *s)
{
	int k = 0;

	for (; *s && k < len - 2; s++) {
		if (strchr("|\\*_~", *s))
			buf[k++] = '\\';
		buf[k++] = *s == '\n' ? ' ' : *s;
	}
	buf[k] = '\0';
}

/* The text header as a block the md reader sees verbatim. */
static void md_header(FILE *out, const struct table *t)
{
	fputs("## cowbench compare\n\n```\n", out);
	compare_header(out, t->cols, t->n);
	legend(out, t);
	fputs("```\n", out);
}

#define MD_CELL 256

/* Column i's md cell: its fields on one line; -v adds n, mdc and n5. */
static void md_cell(char *buf, const struct table *t, const struct cell *cells,
		    int i, const struct metric *m)
{
	char f[3][32], raw[MD_CELL], num[32];
	int x, len;

	cell_fields(f, cells, i, m);
	len = snprintf(raw, sizeof(raw), "%s", f[0]);
	for (x = 1; x < 3; x++)
		if (f[x][0])
			len += snprintf(raw + len, sizeof(raw) - len, " %s",
					f[x]);
	if (verbose) {
		fmt_n(num, sizeof(num), &cells[i], &t->cols[i]);
		len += snprintf(raw + len, sizeof(raw) - len, " n=%s", num);
		fmt_mdc(f[0], sizeof(f[0]), &cells[i]);
		fmt_n5(f[1], sizeof(f[1]), &cells[i]);
		if (i && f[0][0])
			snprintf(raw + len, sizeof(raw) - len, " mdc %s %s",
				 f[0], f[1]);
	}
	md_esc(buf, MD_CELL, strtrim(raw));
}

/*
 * One md row: cells padded to w, so the raw text lines up in a mail; pad
 * 0 drops the blanks around the '|' where the values alone fill a line.
 */
static void md_line(FILE *out, char (*cell)[MD_CELL], const int *w, int nc,
		    int pad)
{
	struct line l = { .len = 0 };
	int c;

	put(&l, "|", 0);
	for (c = 0; c < nc; c++) {
		put(&l, pad ? " " : "", 0);
		put(&l, cell[c], c ? w[c] : -w[c]);
		put(&l, pad ? " |" : "|", 0);
	}
	fprintf(out, "%s\n", l.buf);
}

/* An md table's column c: the metric, then A, then from, from + 1... */
static int md_column(int c, int from)
{
	return c == 1 ? 0 : from + c - 2;
}

/* The cells of an md table, the header row's after (md_head); the rows. */
static int md_fill(const struct table *t, int gi, int from, int nc,
		   char (*cell)[MD_CELL])
{
	char label[32];
	int c, k, rows = 1;

	snprintf(cell[0], MD_CELL, "metric");
	for (k = 0; k < nr_metrics; k++) {
		if (!row_shown(t, gi, k))
			continue;
		metric_label(label, sizeof(label), &metrics[k]);
		md_esc(cell[rows * nc], MD_CELL, label);
		for (c = 1; c < nc; c++)
			md_cell(cell[rows * nc + c], t, cell_at(t, gi, k),
				md_column(c, from), &metrics[k]);
		rows++;
	}
	return rows;
}

/*
 * Column i's name in room columns: "B: label", its end after a '~' (as
 * the text cuts it: the header above names it in full), or "B" alone.
 */
static void md_name(const struct table *t, int i, int room, char *buf)
{
	char col[240], cut[240];
	int keep;

	column_name(t->cols, t->n, i, col, sizeof(col));
	snprintf(buf, MD_CELL, "%c: ", 'A' + i);
	for (keep = room - 3; keep > 1; keep--) {
		md_esc(buf + 3, MD_CELL - 3, fit(col, keep, cut, sizeof(cut)));
		if (dwidth(buf) <= room)
			return;
	}
	buf[1] = '\0';
}

/*
 * The header row within WIDTH: each name gets its values' width and a
 * share of what the line has left, the least needy first.
 */
static void md_head(const struct table *t, int from, int nc,
		    char (*cell)[MD_CELL], int *w, int spare)
{
	int need[COLS_PER_TABLE + 2], done[COLS_PER_TABLE + 2] = { 0 };
	int c, k, left = nc - 1, give;

	for (c = 1; c < nc; c++) {
		md_name(t, md_column(c, from), MD_CELL, cell[c]);
		need[c] = dwidth(cell[c]) - w[c];
	}
	for (; left; left--) {
		for (k = 0, c = 1; c < nc; c++)
			if (!done[c] && (!k || need[c] < need[k]))
				k = c;
		done[k] = 1;
		give = need[k] < spare / left ? need[k] : spare / left;
		give = give > 0 ? give : 0;
		spare -= give;
		md_name(t, md_column(k, from), w[k] + give, cell[k]);
		w[k] = dwidth(cell[k]) > w[k] ? dwidth(cell[k]) : w[k];
	}
}

/* "|---|---:|": the metric left-aligned, the values right. */
static void md_rule(FILE *out, const int *w, int nc, int pad)
{
	int c, x;

	fputc('|', out);
	for (c = 0; c < nc; c++) {
		for (x = 0; x < w[c] + 2 * pad - !!c; x++)
			fputc('-', out);
		fputs(c ? ":|" : "|", out);
	}
	fputc('\n', out);
}

/*
 * One md table, a row per metric: the metric, the baseline and the
 * columns from..to - 1, as the text's tables are split; within WIDTH
 * whatever the labels.
 */
static void md_table(FILE *out, const struct table *t, int gi, int from, int to)
{
	int nc = 2 + to - from, rows, c, r, w[COLS_PER_TABLE + 2] = { 0 };
	char(*cell)[MD_CELL] = xcalloc((nr_metrics + 1) * nc, MD_CELL);
	int pad = 1, line;

	rows = md_fill(t, gi, from, nc, cell);
	for (r = 0; r < rows * nc; r++) {
		c = r % nc;
		w[c] = dwidth(cell[r]) > w[c] ? dwidth(cell[r]) : w[c];
	}
	for (line = 1, c = 0; c < nc; c++)
		line += w[c] + 3;
	if (line > WIDTH) { /* wide values: no blanks around the '|' */
		pad = 0;
		for (line = 1, c = 0; c < nc; c++) {
			w[c] = w[c] > 2 ? w[c] : 2;
			line += w[c] + 1;
		}
	}
	md_head(t, from, nc, cell, w, WIDTH - line);
	fputc('\n', out);
	md_line(out, cell, w, nc, pad);
	md_rule(out, w, nc, pad);
	for (r = 1; r < rows; r++)
		md_line(out, cell + r * nc, w, nc, pad);
	free(cell);
}

static void print_md(FILE *out, const struct table *t)
{
	const struct group *g;
	char a[240], b[240], c[240];
	int i;

	md_header(out, t);
	for (i = 0; i < t->ng; i++) {
		if (!group_shown(t, i))
			continue;
		g = &t->g[i];
		md_esc(a, sizeof(a), g->scenario);
		md_esc(b, sizeof(b), g->backing);
		md_esc(c, sizeof(c), g->params);
		fprintf(out, "\n### %s %s %s\n", a, b, c);
		group_tables(out, t, i, md_table);
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
		   const struct metric *m, double scale, double pct[3])
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
	pct[0] = h->n ? scale * hist_pct(h, 50) : NAN;
	pct[1] = h->n ? scale * hist_pct(h, 99) : NAN;
	pct[2] = h->n ? scale * hist_pct(h, 99.9) : NAN;
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
		    bool base, const double pct[3], double level)
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
	fprintf(out, "%s,", base ? "" : test_names[c->cmp.test]);
	csv_num(out, c->value, ',');
	csv_str(out, c->stat ? c->stat : "");
	csv_num(out, c->cmp.test == TEST_NONE ? NAN : level, ',');
	csv_num(out, base ? NAN : c->cmp.runs5, ',');
	fprintf(out, "%s\n", base ? "" : c->cmp.exact ? "1" : "0");
}

static void json_row(FILE *out, const char *f[7], const struct cell *c,
		     bool base, bool first, const double pct[3], double level)
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
	/* what the text shows and the ratio is of */
	jw_dbl(&w, "value", c->value);
	if (c->stat)
		jw_str(&w, "value_stat", c->stat);
	else
		jw_null(&w, "value_stat");
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
		/* the level of mdc and runs5: a lone change's star, alpha/m */
		jw_dbl(&w, "mdc_alpha", c->cmp.test == TEST_NONE ? NAN : level);
		jw_dbl(&w, "runs_for_5pct", c->cmp.runs5);
		jw_bool(&w, "exact", c->cmp.exact);
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
		fputs("scenario,backing,params,metric,unit,run,label,n,median,mean,hmean,stddev,cv,min,max,ratio,ci_lo,ci_hi,p,significant,testable,merged_p50,merged_p99,merged_p999,runs,between_run_cv,q,mdc,stat_unit,value,value_stat,mdc_alpha,runs_for_5pct,exact\n",
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
				merged(&t->cols[j], &t->g[i], &metrics[k],
				       j && is_timing(&metrics[k]) ? inject : 1,
				       pct);
				if (json)
					json_row(out, f, &cells[j], !j, first,
						 pct, t->level[j]);
				else
					csv_row(out, f, &cells[j], !j, pct,
						t->level[j]);
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
