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

/* "stock-6.17 vs stock-6.18": the kernels and policies of the plot. */
static const char *kernels(struct plotter *p)
{
	static char buf[160];
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
	return buf;
}

static void col_title(struct plotter *p, int i, char *buf, int len)
{
	char col[96];

	run_column(p->runs, p->n, i, col, sizeof(col));
	snprintf(buf, len, "%c: %s", 'A' + i, col);
}

/* ---- latency CDF of the sampled pass, one line per run ---- */

static int cdf_block(FILE *dat, const struct run *r, const struct group *g)
{
	struct hist *h = xmalloc(sizeof(*h));
	uint64_t seen = 0, lo, hi;
	int i, any = 0;

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
		hist_bucket(i, &lo, &hi);
		fprintf(dat, "%llu %.6f\n",
			(unsigned long long)(lo + hi) / 2 + 1,
			(double)seen / h->n);
		any = 1;
	}
	/* a run without this group writes no block: indexes stay dense */
	if (any)
		fprintf(dat, "\n\n");
	free(h);
	return any;
}

static int plot_cdf(struct plotter *p, const struct group *g)
{
	char name[96], title[200], t[128];
	FILE *dat, *gp;
	int i, any = 0, first = 1, block = 0;
	int *has = xcalloc(p->n, sizeof(int));

	slug(name, sizeof(name) - 4, g->scenario, g->backing, g->params);
	memmove(name + 4, name, strlen(name) + 1);
	memcpy(name, "cdf-", 4);
	dat = open_in(p, name, "dat");
	for (i = 0; i < p->n; i++)
		any |= has[i] = cdf_block(dat, &p->runs[i], g);
	fclose(dat);
	snprintf(title, sizeof(title), "%s %s %s: latency per op, sampled pass",
		 g->scenario, g->backing, g->params);
	gp = open_in(p, name, "gp");
	script_head(gp, name, title, kernels(p));
	fprintf(gp,
		"set logscale x\nset xlabel 'latency per op (ns)'\n"
		"set ylabel 'fraction of ops <= x'\nset yrange [0:1]\nplot ");
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

static int bars(struct plotter *p, const struct group *g, int ng,
		const char *backing, const char *metric, const char *what)
{
	const struct metric *m = metric_find(metric);
	double *v = xmalloc(MAXS * sizeof(double));
	char name[96], title[200], t[128];
	int i, j, rows = 0, drawn = 0;
	bool *has = xcalloc(p->n, sizeof(*has));
	double top = 0;
	FILE *dat, *gp;

	snprintf(name, sizeof(name), "bars-%s-%s", metric, backing);
	for (i = 0; name[i]; i++)
		if (name[i] == '/' || name[i] == ' ' || name[i] == '.')
			name[i] = '-';
	dat = open_in(p, name, "dat");
	for (i = 0; i < ng; i++) {
		if (strcmp(g[i].backing, backing) || !any_writes(p, &g[i]))
			continue;
		fprintf(dat, "\"%s %s\"", g[i].scenario, g[i].params);
		for (j = 0; j < p->n; j++) {
			int k = samples(&p->runs[j], &g[i], m, v, MAXS);
			double med = k ? median_of(v, k) : NAN;

			/* not measured: missing in the plot, never a 0 bar */
			if (isnan(med))
				fprintf(dat, " ?");
			else
				fprintf(dat, " %g", med);
			has[j] |= !isnan(med);
			top = med > top ? med : top;
		}
		fputc('\n', dat);
		rows++;
	}
	fclose(dat);
	free(v);
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
		"set xtics rotate by -30\nset bmargin 8\nset ylabel '%s'\n"
		"set yrange [0:%g]\nplot ",
		what,
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

static int plot_fork(struct plotter *p, const struct group *g, int ng)
{
	const struct metric *m = metric_find("t/op");
	double *v = xmalloc(MAXS * sizeof(double));
	const char *bk[2] = { "base", "thp" };
	const char *name = "fork-latency";
	char title[160], t[128];
	int i, j, b, k, rows = 0, first = 1, block = 0;
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
			int pts = 0;

			for (i = 0; i < ng; i++) {
				const char *s = strstr(g[i].params, "size=");
				int64_t bytes;
				char num[32];

				if (strcmp(g[i].scenario, "fork-latency") ||
				    strcmp(g[i].backing, bk[b]) || !s)
					continue;
				snprintf(num, sizeof(num), "%.*s",
					 (int)strcspn(s + 5, ","), s + 5);
				k = samples(&p->runs[j], &g[i], m, v, MAXS);
				if (!k || parse_size(num, &bytes))
					continue;
				fprintf(dat, "%g %g\n", bytes / 1048576.0,
					median_of(v, k) / 1000);
				pts++;
			}
			fprintf(dat, "\n\n");
			if (pts) {
				col_title(p, j, t, sizeof(t));
				fprintf(gp,
					"%s'%s.dat' index %d with linespoints lw 2 title '%s, %s'",
					first ? "" : ", \\\n     ", name, block,
					t, bk[b]);
				first = 0;
				rows += pts;
			}
			block++;
		}
	}
	fputc('\n', gp);
	script_tail(gp, name);
	fclose(gp);
	fclose(dat);
	free(v);
	if (!rows) {
		fprintf(p->log,
			"plot: fork-latency: no fork-latency results in these runs\n");
		return discard(p, name);
	}
	return finish(p, name, title);
}

/* ---- release trend: t/op per run, runs in release order ---- */

static int release_cmp(const struct run *a, const struct run *b)
{
	const char *x = a->kernel, *y = b->kernel;

	while (*x && *y) {
		/* a release candidate comes before its release */
		if (*x != *y &&
		    (!strncmp(x, "-rc", 3) || !strncmp(y, "-rc", 3)))
			return !strncmp(x, "-rc", 3) && !strncmp(y, "-rc", 3) ?
				       strcmp(x, y) :
			       !strncmp(x, "-rc", 3) ? -1 :
						       1;
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
	if (!strncmp(x, "-rc", 3) || !strncmp(y, "-rc", 3))
		return *x ? -1 : 1; /* 6.18-rc3 < 6.18 */
	return *x ? 1 : *y ? -1 : strcmp(a->created, b->created);
}

int run_release_cmp(const void *a, const void *b)
{
	return release_cmp(*(const struct run *const *)a,
			   *(const struct run *const *)b);
}

static int plot_trend(struct plotter *p, const struct group *g, int ng)
{
	const struct run **order = xcalloc(p->n, sizeof(*order));
	const struct metric *m = metric_find("t/op");
	double *v = xmalloc(MAXS * sizeof(double));
	const char *name = "trend-t-op";
	char title[160];
	int i, j, k, first = 1, lines = 0;
	FILE *dat, *gp;

	if (p->n < 2) {
		fprintf(p->log, "plot: trend: one run has no trend\n");
		free(order);
		free(v);
		return 0;
	}
	for (j = 0; j < p->n; j++)
		order[j] = &p->runs[j];
	qsort(order, p->n, sizeof(*order), run_release_cmp);
	dat = open_in(p, name, "dat");
	gp = open_in(p, name, "gp");
	snprintf(title, sizeof(title),
		 "time per op across releases (batched timing pass, median)");
	script_head(gp, name, title, kernels(p));
	fprintf(gp,
		"set logscale y\nset ylabel 'time per op (ns)'\n"
		"set xlabel 'kernel (policy-release), in release order'\nset xtics (");
	for (j = 0; j < p->n; j++)
		fprintf(gp, "%s\"%s\" %d", j ? ", " : "", order[j]->label, j);
	fprintf(gp, ")\nset xrange [-0.5:%d.5]\nplot ", p->n - 1);
	for (i = 0; i < ng; i++) {
		if (!any_writes(p, &g[i]))
			continue;
		for (j = 0; j < p->n; j++) {
			k = samples(order[j], &g[i], m, v, MAXS);
			if (k)
				fprintf(dat, "%d %g\n", j, median_of(v, k));
		}
		fprintf(dat, "\n\n");
		fprintf(gp,
			"%s'%s.dat' index %d with linespoints lw 2 title '%s %s %s'",
			first ? "" : ", \\\n     ", name, lines, g[i].scenario,
			g[i].backing, g[i].params);
		first = 0;
		lines++;
	}
	fputc('\n', gp);
	script_tail(gp, name);
	fclose(gp);
	fclose(dat);
	free(order);
	free(v);
	return lines ? finish(p, name, title) : discard(p, name);
}

int plot_runs(const struct run *runs, int n, const char *dir,
	      struct plot_list *made, FILE *log, char *err, int errlen)
{
	static const struct {
		const char *metric, *what;
	} counts[] = {
		{ "copies/op", "copies per write" },
		{ "unnec.copies", "unnecessary copies (pages)" },
		{ "tlb/op", "TLB flushes per write" },
	};
	struct plotter p = { runs, n, dir, made, log, err, errlen };
	const char *bk[2] = { "base", "thp" };
	struct group *g;
	int ng, i, b, ret = 0;

	memset(made, 0, sizeof(*made));
	if (mkdir(dir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "plot: mkdir %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	ng = groups_collect(runs, n, &g);
	for (i = 0; i < ng && !ret; i++)
		ret = plot_cdf(&p, &g[i]);
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
