// SPDX-License-Identifier: GPL-2.0
/*
 * cowbench plot: latency CDFs per scenario (a line per run), grouped bars
 * of copies / unnecessary copies / TLB flushes per run, fork() latency
 * against RSS, and the release trend of the per-op time.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/cfg.h"
#include "plot.h"
#include "stats.h"

#define MAXS 1024

struct plotter {
	const struct run *runs;
	int n;
	bool normalise;
	const char *dir;
	struct plot_list *made;
	FILE *log;
	char *err;
	int errlen;
};

static FILE *open_in(struct plotter *p, const char *name, const char *ext)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", p->dir, name, ext);
	f = fopen(path, "w");
	if (!f)
		die(1, "plot: %s: %s", path, strerror(errno));
	return f;
}

/* A plot these runs have no data for leaves no files behind. */
static int discard(struct plotter *p, const char *name)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s.dat", p->dir, name);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s.gp", p->dir, name);
	unlink(path);
	return 0;
}

static void slug(char *out, int len, const char *a, const char *b,
		 const char *c)
{
	int i, n = snprintf(out, len, "%s-%s-%s", a, b, c);

	for (i = 0; i < n && i < len; i++)
		if (!((out[i] >= 'a' && out[i] <= 'z') ||
		      (out[i] >= '0' && out[i] <= '9') || out[i] == '-'))
			out[i] = out[i] >= 'A' && out[i] <= 'Z' ?
					 out[i] | 0x20 :
					 '_';
}

/* Both terminals from one script: the PNG, then the same plot as SVG. */
static void script_head(FILE *gp, const char *name, const char *title,
			const char *kernels)
{
	fprintf(gp,
		"# cowbench plot: edit and re-run with 'gnuplot %s.gp'\n"
		"set terminal pngcairo size 960,600 noenhanced font ',10'\n"
		"set output '%s.png'\n"
		"set title \"%s\\n%s\"\n"
		"set grid\nset key outside right top\n",
		name, name, title, kernels);
}

static void script_tail(FILE *gp, const char *name)
{
	fprintf(gp,
		"set terminal svg size 960,600 noenhanced dynamic font ',10'\n"
		"set output '%s.svg'\nreplot\n",
		name);
}

/* Run gnuplot in the plot folder; its stderr must stay empty. */
static int gnuplot(struct plotter *p, const char *name)
{
	char gp[128], errf[700], *msg;
	int st, fd;
	pid_t pid;

	snprintf(gp, sizeof(gp), "%s.gp", name);
	snprintf(errf, sizeof(errf), "%s/%s.err", p->dir, name);
	pid = fork();
	if (pid == 0) {
		fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 2) < 0 || chdir(p->dir))
			_exit(127);
		execlp("gnuplot", "gnuplot", gp, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	msg = slurp(errf, NULL);
	unlink(errf);
	if (st || (msg && *msg)) {
		snprintf(
			p->err, p->errlen, "gnuplot %s/%s: %s", p->dir, gp,
			st == 127 << 8 ?
				"gnuplot not found (apt-get install gnuplot-nox)" :
			msg && *msg ? strtrim(msg) :
				      "failed");
		free(msg);
		return -1;
	}
	free(msg);
	return 0;
}

static int finish(struct plotter *p, const char *name, const char *title)
{
	struct plot_list *m = p->made;

	if (gnuplot(p, name))
		return -1;
	if (m->n < (int)(sizeof(m->name) / sizeof(m->name[0]))) {
		snprintf(m->name[m->n], sizeof(m->name[0]), "%s", name);
		snprintf(m->title[m->n], sizeof(m->title[0]), "%s", title);
		m->n++;
	}
	return 0;
}

/*
 * src escaped for a gnuplot string: quote is ' (a single-quoted string's
 * ' is '') or " (\" and \\); labels may hold either.
 */
static void gp_quote(char *buf, int len, const char *src, char quote)
{
	int n = 0;

	for (; *src && n < len - 2; src++) {
		if (*src == quote)
			buf[n++] = quote == '\'' ? '\'' : '\\';
		else if (quote == '"' && *src == '\\')
			buf[n++] = '\\';
		buf[n++] = *src;
	}
	buf[n] = '\0';
}

/*
 * "stock-6.17 vs stock-6.18": the kernels and policies of the plot, for
 * the double-quoted title.
 */
static const char *kernels(struct plotter *p)
{
	static char buf[160], esc[320];
	int i, j, len = 0;

	buf[0] = '\0';
	for (i = 0; i < p->n; i++) {
		for (j = 0; j < i && strcmp(p->runs[j].label, p->runs[i].label);
		     j++)
			;
		if (j == i && len < (int)sizeof(buf))
			len += snprintf(buf + len, sizeof(buf) - len, "%s%s",
					i ? " vs " : "", p->runs[i].label);
	}
	gp_quote(esc, sizeof(esc), buf, '"');
	return esc;
}

/* A column's title, for a single-quoted gnuplot string. */
static void col_title(struct plotter *p, int i, char *buf, int len)
{
	char col[96], t[100];

	run_column(p->runs, p->n, i, col, sizeof(col));
	snprintf(t, sizeof(t), "%c: %s", 'A' + i, col);
	gp_quote(buf, len, t, '\'');
}

/* ---- latency CDF and tail (1 - CDF) of the sampled pass, per run ---- */

/*
 * A CDF block: "x F(x)"; a tail block: "x 1-F(x)" while it is above 0
 * (the log scale has no 0: the slowest op ends the line).
 */
static int cdf_block(FILE *dat, const struct run *r, const struct group *g,
		     bool tail, uint64_t xr[2])
{
	struct hist *h = xmalloc(sizeof(*h));
	uint64_t seen = 0, lo, hi, x;
	int i, any = 0;
	double y;

	hist_init(h);
	for (i = 0; i < r->nrec; i++) {
		const struct record *rec = &r->recs[i];

		if (rec->status == ST_OK && !rec->perturbed[0] &&
		    rec->has_lat && !strcmp(rec->pass, "sampled") &&
		    group_match(g, rec))
			hist_merge(h, &rec->lat);
	}
	for (i = 0; i < HIST_NB && h->n; i++) {
		if (!h->c[i])
			continue;
		seen += h->c[i];
		y = tail ? 1 - (double)seen / h->n : (double)seen / h->n;
		if (tail && seen == h->n)
			break;
		hist_bucket(i, &lo, &hi);
		x = (lo + hi) / 2 + 1;
		fprintf(dat, "%llu %.9g\n", (unsigned long long)x, y);
		xr[0] = x < xr[0] ? x : xr[0];
		xr[1] = x > xr[1] ? x : xr[1];
		any = 1;
	}
	/* a run without this group writes no block: indexes stay dense */
	if (any)
		fprintf(dat, "\n\n");
	free(h);
	return any;
}

static int plot_cdf(struct plotter *p, const struct group *g, bool tail)
{
	const char *kind = tail ? "tail-" : "cdf-";
	char name[96], title[256], t[128];
	FILE *dat, *gp;
	int i, any = 0, first = 1, block = 0, k = strlen(kind);
	int *has = xcalloc(p->n, sizeof(int));
	uint64_t xr[2] = { UINT64_MAX, 0 };

	slug(name, sizeof(name) - k, g->scenario, g->backing, g->params);
	memmove(name + k, name, strlen(name) + 1);
	memcpy(name, kind, k);
	dat = open_in(p, name, "dat");
	for (i = 0; i < p->n; i++)
		any |= has[i] = cdf_block(dat, &p->runs[i], g, tail, xr);
	fclose(dat);
	snprintf(title, sizeof(title),
		 "%s %s %s: latency per op%s, sampled pass", g->scenario,
		 g->backing, g->params, tail ? " (tail, 1 - CDF)" : "");
	gp = open_in(p, name, "gp");
	script_head(gp, name, title, kernels(p));
	/* one value (a pass of one op: one fork) is an empty x range */
	if (any && xr[0] == xr[1])
		fprintf(gp, "set xrange [%g:%g]\n", xr[0] * 0.5, xr[1] * 2.0);
	if (tail)
		fprintf(gp,
			"set logscale xy\nset xlabel 'latency per op (ns)'\n"
			"set ylabel 'fraction of ops > x'\nplot ");
	else
		fprintf(gp, "set logscale x\nset xlabel 'latency per op (ns)'\n"
			    "set ylabel 'fraction of ops <= x'\n"
			    "set yrange [0:1]\nplot ");
	for (i = 0; i < p->n; i++) {
		if (!has[i])
			continue;
		col_title(p, i, t, sizeof(t));
		fprintf(gp,
			"%s'%s.dat' index %d using 1:2 with steps lw 2 title '%s'",
			first ? "" : ", \\\n     ", name, block++, t);
		first = 0;
	}
	fputc('\n', gp);
	script_tail(gp, name);
	fclose(gp);
	free(has);
	return any ? finish(p, name, title) : discard(p, name);
}

/* Runs may cover different scenarios: a group is drawn if any run has it. */
static bool any_writes(struct plotter *p, const struct group *g)
{
	int j;

	for (j = 0; j < p->n; j++)
		if (group_writes(&p->runs[j], g))
			return true;
	return false;
}

/* ---- grouped bars of a counting metric, per backing ---- */

/*
 * One group's medians, a run's missing where it measured nothing (never a
 * 0 bar); a group no run measured is named in the log, not drawn (a row
 * of nothing but '?' also clips gnuplot's tic labels).  0, or 1 if left out.
 */
static int bar_row(struct plotter *p, FILE *dat, const char *name,
		   const struct group *g, const double *med, bool *has,
		   double *top, int *label)
{
	int j, n;

	for (j = 0; j < p->n && isnan(med[j]); j++)
		;
	if (j == p->n) {
		fprintf(p->log, "plot: %s: %s %s: not measured in any run\n",
			name, g->scenario, g->params);
		return 1;
	}
	n = fprintf(dat, "\"%s %s\"", g->scenario, g->params);
	*label = n > *label ? n : *label;
	for (j = 0; j < p->n; j++) {
		if (isnan(med[j]))
			fprintf(dat, " ?");
		else
			fprintf(dat, " %g", med[j]);
		has[j] |= !isnan(med[j]);
		*top = med[j] > *top ? med[j] : *top;
	}
	fputc('\n', dat);
	return 0;
}

static int bars(struct plotter *p, const struct group *g, int ng,
		const char *backing, const char *metric, const char *what)
{
	const struct metric *m = metric_find(metric);
	double *v = xmalloc(MAXS * sizeof(double));
	char name[96], title[200], t[128];
	int i, j, rows = 0, drawn = 0, label = 0;
	bool *has = xcalloc(p->n, sizeof(*has));
	double top = 0, *med = xcalloc(p->n, sizeof(*med));
	FILE *dat, *gp;

	snprintf(name, sizeof(name), "bars-%s-%s", metric, backing);
	for (i = 0; name[i]; i++)
		if (name[i] == '/' || name[i] == ' ' || name[i] == '.')
			name[i] = '-';
	dat = open_in(p, name, "dat");
	for (i = 0; i < ng; i++) {
		if (strcmp(g[i].backing, backing) || !any_writes(p, &g[i]))
			continue;
		for (j = 0; j < p->n; j++) {
			int k = samples(&p->runs[j], &g[i], m, v, MAXS);

			med[j] = k ? median_of(v, k) : NAN;
		}
		if (!bar_row(p, dat, name, &g[i], med, has, &top, &label))
			rows++;
	}
	fclose(dat);
	free(v);
	free(med);
	for (j = 0; j < p->n && !has[j]; j++)
		;
	if (!rows || j == p->n) {
		free(has);
		return discard(p, name);
	}
	snprintf(title, sizeof(title),
		 "%s, %s backing (counting pass, median over repetitions)",
		 what, backing);
	gp = open_in(p, name, "gp");
	script_head(gp, name, title, kernels(p));
	fprintf(gp,
		"set datafile missing '?'\n"
		"set style data histograms\nset style histogram clustered gap 1\n"
		"set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
		"set xtics rotate by 45 right\nset bmargin %d\nset ylabel '%s'\n"
		"set yrange [0:%g]\nplot ",
		/* room for the longest label at 45 degrees (sweep points) */
		label / 3 + 2 > 8 ? label / 3 + 2 : 8, what,
		top > 0 ? top * 1.15 : 1); /* all zero is the common case */
	for (j = 0; j < p->n; j++) {
		col_title(p, j, t, sizeof(t));
		if (!has[j]) {
			fprintf(p->log, "plot: %s: %s: not measured\n", name,
				t);
			continue;
		}
		fprintf(gp, "%s'%s.dat' using %d:xtic(1) title '%s'",
			drawn++ ? ", \\\n     " : "", name, j + 2, t);
	}
	fputc('\n', gp);
	script_tail(gp, name);
	fclose(gp);
	free(has);
	return finish(p, name, title);
}

/* ---- fork() latency against RSS ---- */

struct point {
	double x, y;
};

static int cmp_point(const void *a, const void *b)
{
	const struct point *p = a, *q = b;

	return p->x < q->x ? -1 : p->x > q->x;
}

/* One run's fork-latency points on one backing, by size: a line through
 * them in the matrix's order would zigzag. */
static int fork_points(struct plotter *p, const struct group *g, int ng, int j,
		       const char *backing, struct point *pt)
{
	const struct metric *m = metric_find("t/op");
	double *v = xmalloc(MAXS * sizeof(double));
	int i, k, n = 0;

	for (i = 0; i < ng; i++) {
		const char *s = strstr(g[i].params, "size=");
		int64_t bytes;
		char num[32];

		if (strcmp(g[i].scenario, "fork-latency") ||
		    strcmp(g[i].backing, backing) || !s)
			continue;
		snprintf(num, sizeof(num), "%.*s", (int)strcspn(s + 5, ","),
			 s + 5);
		k = samples(&p->runs[j], &g[i], m, v, MAXS);
		if (!k || parse_size(num, &bytes))
			continue;
		pt[n].x = bytes / 1048576.0;
		pt[n++].y = median_of(v, k) / 1000;
	}
	free(v);
	qsort(pt, n, sizeof(*pt), cmp_point);
	return n;
}

static int plot_fork(struct plotter *p, const struct group *g, int ng)
{
	struct point *pt = xcalloc(ng + 1, sizeof(*pt));
	const char *bk[2] = { "base", "thp" };
	const char *name = "fork-latency";
	char title[160], t[128];
	int i, j, b, rows = 0, first = 1, block = 0, pts;
	FILE *dat, *gp;

	dat = open_in(p, name, "dat");
	gp = open_in(p, name, "gp");
	snprintf(
		title, sizeof(title),
		"fork() latency against touched RSS (median over repetitions)");
	script_head(gp, name, title, kernels(p));
	fprintf(gp, "set logscale xy\nset xlabel 'touched RSS (MiB)'\n"
		    "set ylabel 'fork() time in the parent (us)'\nplot ");
	for (j = 0; j < p->n; j++) {
		for (b = 0; b < 2; b++) {
			pts = fork_points(p, g, ng, j, bk[b], pt);
			if (!pts)
				continue; /* no empty block: indexes stay dense */
			for (i = 0; i < pts; i++)
				fprintf(dat, "%g %g\n", pt[i].x, pt[i].y);
			fprintf(dat, "\n\n");
			col_title(p, j, t, sizeof(t));
			fprintf(gp,
				"%s'%s.dat' index %d with linespoints lw 2 title '%s, %s'",
				first ? "" : ", \\\n     ", name, block++, t,
				bk[b]);
			first = 0;
			rows += pts;
		}
	}
	fputc('\n', gp);
	script_tail(gp, name);
	fclose(gp);
	fclose(dat);
	free(pt);
	if (!rows) {
		fprintf(p->log,
			"plot: fork-latency: no fork-latency results in these runs\n");
		return discard(p, name);
	}
	return finish(p, name, title);
}

/* ---- release trend: t/op per run and per release, in release order ---- */

/* "-rc<digit>": a release candidate, not a local version "-rcu-test". */
static bool is_rc(const char *s)
{
	return !strncmp(s, "-rc", 3) && s[3] >= '0' && s[3] <= '9';
}

/* Kernel release order: 6.9 < 6.18, 6.18-rc3 < 6.18; 0 when equal. */
static int kernel_cmp(const char *x, const char *y)
{
	while (*x && *y) {
		/*
		 * a release candidate comes before its release, whatever
		 * local version follows either ("-rc3-lab" < "-lab")
		 */
		if (is_rc(x) != is_rc(y))
			return is_rc(x) ? -1 : 1;
		if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
			long p = strtol(x, (char **)&x, 10);
			long q = strtol(y, (char **)&y, 10);

			if (p != q)
				return p < q ? -1 : 1;
		} else if (*x != *y) {
			return *x < *y ? -1 : 1;
		} else {
			x++;
			y++;
		}
	}
	if (is_rc(x) || is_rc(y))
		return *x ? -1 : 1; /* 6.18-rc3 < 6.18 */
	if (*x || *y)
		return *x ? 1 : -1;
	return 0;
}

/* One release: by time, then by run id (never the folder order). */
static int release_cmp(const struct run *a, const struct run *b)
{
	int c = kernel_cmp(a->kernel, b->kernel);

	if (!c)
		c = strcmp(a->created, b->created);
	return c ? c : strcmp(a->name, b->name);
}

int run_release_cmp(const void *a, const void *b)
{
	return release_cmp(*(const struct run *const *)a,
			   *(const struct run *const *)b);
}

/* The trend's order: the runs of one kernel and label side by side. */
static int trend_cmp(const void *a, const void *b)
{
	const struct run *x = *(const struct run *const *)a;
	const struct run *y = *(const struct run *const *)b;
	int c = kernel_cmp(x->kernel, y->kernel);

	if (!c)
		c = strcmp(x->kernel, y->kernel);
	if (!c)
		c = strcmp(x->label, y->label);
	return c ? c : release_cmp(x, y);
}

/* A tick of the trend: the runs order[first..first + n) of one release. */
struct release {
	int first, n;
};

struct trend {
	const struct run **order;
	struct release *rel;
	int nrel, nrun;
	double *med; /* each run's median t/op of the series, or NAN */
	double yr[2]; /* the values plotted: the axis follows them */
};

static void trend_init(struct trend *t, const struct run *runs, int n)
{
	int j;

	t->order = xcalloc(n, sizeof(*t->order));
	t->rel = xcalloc(n, sizeof(*t->rel));
	t->med = xcalloc(n, sizeof(*t->med));
	t->nrun = n;
	t->nrel = 0;
	t->yr[0] = INFINITY;
	t->yr[1] = -INFINITY;
	for (j = 0; j < n; j++)
		t->order[j] = &runs[j];
	qsort(t->order, n, sizeof(*t->order), trend_cmp);
	for (j = 0; j < n; j++) {
		const struct run *r = t->order[j], *q = t->order[j ? j - 1 : 0];

		if (!j || strcmp(r->kernel, q->kernel) ||
		    strcmp(r->label, q->label))
			t->rel[t->nrel++] = (struct release){ j, 0 };
		t->rel[t->nrel - 1].n++;
	}
}

static void trend_free(struct trend *t)
{
	free(t->order);
	free(t->rel);
	free(t->med);
}

/* A release's median of its runs' medians (those that timed g). */
static double release_median(const struct trend *t, int i)
{
	const struct release *rl = &t->rel[i];
	double *v = xmalloc(rl->n * sizeof(*v)), m;
	int k, n = 0;

	for (k = 0; k < rl->n; k++)
		if (!isnan(t->med[rl->first + k]))
			v[n++] = t->med[rl->first + k];
	m = median_of(v, n);
	free(v);
	return m;
}

static void trend_point(struct trend *t, FILE *dat, double x, double y,
			const char *run)
{
	fprintf(dat, "%g %g%s%s\n", x, y, run ? " # " : "", run ? run : "");
	t->yr[0] = y < t->yr[0] ? y : t->yr[0];
	t->yr[1] = y > t->yr[1] ? y : t->yr[1];
}

/* A run's x: its release's, spread by up to 0.15 so runs do not hide. */
static double run_x(const struct trend *t, int i, int k)
{
	int n = t->rel[i].n;

	return n < 2 ? i : i - 0.15 + 0.3 * k / (n - 1);
}

/*
 * Each run's median t/op of g (t->med) and each release's median of those
 * (rm).  Returns what --normalise divides by: the median of the first
 * release that has g (1 without it); NAN if no run timed g.
 */
static double trend_medians(struct trend *t, const struct group *g, double *rm,
			    bool normalise)
{
	const struct metric *m = metric_find("t/op");
	double *v = xmalloc(MAXS * sizeof(double)), base = NAN;
	int i, j, k;

	for (j = 0; j < t->nrun; j++) {
		k = samples(t->order[j], g, m, v, MAXS);
		t->med[j] = k ? median_of(v, k) : NAN;
	}
	free(v);
	for (i = 0; i < t->nrel; i++) {
		rm[i] = release_median(t, i);
		/* a median of 0 ns (a clock too coarse) divides nothing */
		if (isnan(base) && !isnan(rm[i]) && (!normalise || rm[i] > 0))
			base = normalise ? rm[i] : 1;
	}
	return base;
}

/*
 * One series, two blocks: each run's median at its release's x, then the
 * releases' medians (the line).  0 if no run timed g: it is left out.
 */
static int trend_series(struct trend *t, FILE *dat, const struct group *g,
			bool normalise)
{
	double *rm = xcalloc(t->nrel, sizeof(*rm));
	double base = trend_medians(t, g, rm, normalise);
	int i, j, k;

	if (isnan(base)) {
		free(rm);
		return 0;
	}
	for (i = 0; i < t->nrel; i++)
		for (k = 0, j = t->rel[i].first; k < t->rel[i].n; k++, j++)
			if (!isnan(t->med[j]))
				trend_point(t, dat, run_x(t, i, k),
					    t->med[j] / base,
					    t->order[j]->name);
	fprintf(dat, "\n\n");
	for (i = 0; i < t->nrel; i++)
		if (!isnan(rm[i]))
			trend_point(t, dat, i, rm[i] / base, NULL);
	fprintf(dat, "\n\n");
	free(rm);
	return 1;
}

/* A double-quoted gnuplot string's inside (labels may hold quotes). */
static void gp_str(FILE *gp, const char *s)
{
	char q[300];

	gp_quote(q, sizeof(q), s, '"');
	fputs(q, gp);
}

/* Another release has release i's label (another kernel). */
static bool label_repeats(const struct trend *t, int i)
{
	const char *label = t->order[t->rel[i].first]->label;
	int k;

	for (k = 0; k < t->nrel; k++)
		if (k != i && !strcmp(label, t->order[t->rel[k].first]->label))
			return true;
	return false;
}

/*
 * A tick per release: its label, the kernel where labels repeat, the
 * number of runs.  Returns the lines a tick takes beyond the first.
 */
static int trend_ticks(FILE *gp, const struct trend *t)
{
	int i, more = 0, kern, runs;

	fputs("set xtics (", gp);
	for (i = 0; i < t->nrel; i++) {
		const struct run *r = t->order[t->rel[i].first];

		kern = label_repeats(t, i);
		runs = t->rel[i].n > 1;
		fprintf(gp, "%s\"", i ? ", " : "");
		gp_str(gp, r->label);
		if (kern) {
			fputs("\\n", gp);
			gp_str(gp, r->kernel);
		}
		if (runs)
			fprintf(gp, "\\n%d runs", t->rel[i].n);
		fprintf(gp, "\" %d", i);
		more = kern + runs > more ? kern + runs : more;
	}
	fprintf(gp, ")\nset xrange [-0.5:%d.5]\n", t->nrel - 1);
	return more;
}

/*
 * The y axis follows the values with a margin, so a 20% change is visible
 * and one value is never an empty range: linear, around 1 when normalised;
 * log where the values span a decade (series of different magnitudes).
 */
static void trend_axis(FILE *gp, const struct trend *t, bool normalise)
{
	double lo = t->yr[0], hi = t->yr[1], pad;

	if (!normalise && lo > 0 && hi >= 10 * lo) {
		fprintf(gp,
			"set logscale y\nset yrange [%g:%g]\n"
			"set ylabel 'time per op (ns)'\n",
			lo / 1.2, hi * 1.2);
		return;
	}
	lo = normalise && lo > 1 ? 1 : lo;
	hi = normalise && hi < 1 ? 1 : hi;
	pad = fmax((hi - lo) * 0.1, 0.05 * fabs(hi));
	pad = pad > 0 ? pad : 1; /* every value 0 */
	fprintf(gp, "set yrange [%g:%g]\nset ylabel \"%s\"\n", lo - pad,
		hi + pad,
		normalise ? "time per op, the first release's median = 1" :
			    "time per op (ns)");
	if (normalise)
		fputs("set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2\n",
		      gp);
}

/* The script: a tick per release, then per series its runs and median. */
static void trend_script(struct plotter *p, const struct trend *t,
			 const struct group *g, const int *drawn, int nd,
			 const char *name, const char *title)
{
	FILE *gp = open_in(p, name, "gp");
	int s;

	script_head(gp, name, title, kernels(p));
	/* below the ticks' extra lines */
	fprintf(gp,
		"set xlabel 'kernel (policy-release), in release order' offset 0,-%d\n",
		trend_ticks(gp, t));
	trend_axis(gp, t, p->normalise);
	fputs("plot ", gp);
	for (s = 0; s < nd; s++) {
		const struct group *gi = &g[drawn[s]];

		fprintf(gp,
			"%s'%s.dat' index %d with points pt 6 lc %d notitle, \\\n"
			"     '%s.dat' index %d with linespoints lw 2 pt 7 lc %d title '%s %s %s'",
			s ? ", \\\n     " : "", name, 2 * s, s + 1, name,
			2 * s + 1, s + 1, gi->scenario, gi->backing,
			gi->params);
	}
	fputc('\n', gp);
	script_tail(gp, name);
	fclose(gp);
}

static int plot_trend(struct plotter *p, const struct group *g, int ng)
{
	const char *name = "trend-t-op";
	int *drawn = xcalloc(ng + 1, sizeof(*drawn));
	struct trend t;
	char title[200];
	int i, nd = 0;
	FILE *dat;

	if (p->n < 2) {
		fprintf(p->log, "plot: trend: one run has no trend\n");
		free(drawn);
		return 0;
	}
	trend_init(&t, p->runs, p->n);
	dat = open_in(p, name, "dat");
	for (i = 0; i < ng; i++) {
		if (!any_writes(p, &g[i]))
			continue;
		if (trend_series(&t, dat, &g[i], p->normalise))
			drawn[nd++] = i;
		else /* a pass that crashed, or a check suite's counting runs */
			fprintf(p->log,
				"plot: %s: %s %s %s: left out, no run has an ok timing record of it\n",
				name, g[i].scenario, g[i].backing, g[i].params);
	}
	fclose(dat);
	snprintf(title, sizeof(title),
		 "time per op by release%s, timing pass (points: each run's "
		 "median, line: the release's median)",
		 p->normalise ? ", relative to the first" : "");
	if (nd)
		trend_script(p, &t, g, drawn, nd, name, title);
	trend_free(&t);
	free(drawn);
	return nd ? finish(p, name, title) : discard(p, name);
}

int plot_check(const struct run *runs, int n, char *err, int errlen)
{
	static const char *const keys[] = { "kernel", "created" };
	int i;

	for (i = 0; n > 1 && i < n; i++)
		if (run_require(&runs[i], keys, ARRAY_SIZE(keys),
				"the trend orders runs by it", err, errlen))
			return -1;
	return 0;
}

int plot_runs(const struct run *runs, int n, const char *dir,
	      struct plot_list *made, FILE *log, const struct plot_opts *o,
	      char *err, int errlen)
{
	static const struct {
		const char *metric, *what;
	} counts[] = {
		{ "copies/op", "copies per write" },
		{ "unnec.copies", "unnecessary copies (pages)" },
		{ "tlb/op", "TLB flushes per write" },
	};
	struct plotter p = { runs, n,	  o && o->normalise, dir, made, log,
			     err,  errlen };
	const char *bk[2] = { "base", "thp" };
	struct group *g;
	int ng, i, b, ret = 0;

	memset(made, 0, sizeof(*made));
	if (plot_check(runs, n, err, errlen))
		return -1;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "plot: mkdir %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	ng = groups_collect(runs, n, &g);
	for (i = 0; i < ng && !ret; i++)
		ret = plot_cdf(&p, &g[i], false) ?: plot_cdf(&p, &g[i], true);
	for (b = 0; b < 2 && !ret; b++)
		for (i = 0; i < (int)ARRAY_SIZE(counts) && !ret; i++)
			ret = bars(&p, g, ng, bk[b], counts[i].metric,
				   counts[i].what);
	if (!ret)
		ret = plot_fork(&p, g, ng);
	if (!ret)
		ret = plot_trend(&p, g, ng);
	fprintf(log,
		"plot: workload latency over time: no workload results (workloads/ has none yet)\n");
	free(g);
	return ret ? -1 : made->n;
}
