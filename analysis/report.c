// SPDX-License-Identifier: GPL-2.0
/*
 * cowbench report: compare.txt/.md/.csv, plots/, env-*.json and an
 * index.html that shows them with the correctness verdicts per kernel.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"
#include "plot.h"
#include "report.h"

static void html_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

static FILE *create(const char *dir, const char *name, char *err, int errlen)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		snprintf(err, errlen, "report: %s: %s", path, strerror(errno));
	return f;
}

static int write_compare(const struct column *cols, int n, const char *dir,
			 char *err, int errlen)
{
	static const char *const names[] = { "compare.txt", "compare.md",
					     "compare.csv", "compare.json" };
	int i;

	for (i = 0; i < FMT_NR; i++) {
		FILE *f = create(dir, names[i], err, errlen);

		if (!f)
			return -1;
		compare_print(f, cols, n, i);
		fclose(f);
	}
	return 0;
}

/* env-A.json, or env-A1.json... for the runs of a group. */
static void env_name(const struct column *c, int i, int j, char *buf, int len)
{
	if (c->n == 1)
		snprintf(buf, len, "env-%c.json", 'A' + i);
	else
		snprintf(buf, len, "env-%c%d.json", 'A' + i, j + 1);
}

static int copy_envs(const struct column *cols, int n, const char *dir,
		     char *err, int errlen)
{
	char name[64], src[700], *text;
	FILE *f;
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < cols[i].n; j++) {
			env_name(&cols[i], i, j, name, sizeof(name));
			snprintf(src, sizeof(src), "%s/env.json",
				 cols[i].runs[j].dir);
			text = slurp(src, NULL);
			f = text ? create(dir, name, err, errlen) : NULL;
			if (!f) {
				if (!text)
					snprintf(err, errlen, "report: %s: %s",
						 src, strerror(errno));
				free(text);
				return -1;
			}
			fputs(text, f);
			fclose(f);
			free(text);
		}
	return 0;
}

/* "ok", "FAIL: 3 missed, 0 wrong COW", or "-" without a counting pass:
 * the worst record decides, perturbed or not. */
static void verdict(const struct column *r, const struct group *g, char *buf,
		    int len)
{
	struct cell miss, wrong, unex;
	int nm = compare_metric(r, 1, g, metric_find("missed COW"), &miss);
	int nw = compare_metric(r, 1, g, metric_find("wrong COW"), &wrong);
	int nu = compare_metric(r, 1, g, metric_find("unexplained"), &unex);
	int k;

	if (!nm && !nw && !nu)
		snprintf(buf, len, "-");
	else if (!(miss.max > 0) && !(wrong.max > 0) && !(unex.max > 0))
		snprintf(buf, len, "ok");
	else {
		k = snprintf(buf, len, "FAIL: %.0f missed, %.0f wrong COW",
			     miss.max, wrong.max);
		if (unex.max > 0 && k < len)
			snprintf(buf + k, len - k, ", %.0f unexplained",
				 unex.max);
	}
}

static void html_runs(FILE *f, const struct column *cols, int n)
{
	char name[64];
	int i, j;

	fputs("<h2>Runs</h2>\n<table>\n<tr><th></th><th>run</th><th>kernel</th>"
	      "<th>host</th><th>CPU</th><th>accelerator</th><th>THP</th>"
	      "<th>cmdline</th><th>env</th></tr>\n",
	      f);
	for (i = 0; i < n; i++)
		for (j = 0; j < cols[i].n; j++) {
			const struct run *r = &cols[i].runs[j];
			const char *cells[] = { r->name,   r->label, r->host,
						r->cpu,	   r->accel, r->thp,
						r->cmdline };
			size_t k;

			env_name(&cols[i], i, j, name, sizeof(name));
			fprintf(f, "<tr><td>%c</td>", 'A' + i);
			for (k = 0; k < ARRAY_SIZE(cells); k++) {
				fputs("<td>", f);
				html_esc(f, cells[k]);
				fputs("</td>", f);
			}
			fprintf(f,
				"<td><a href=\"%s\">env.json</a></td></tr>\n",
				name);
		}
	fputs("</table>\n", f);
}

/* A run that did not end, a line each: its numbers may be partial. */
static void html_unended(FILE *f, const struct column *cols, int n)
{
	char life[160];
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < cols[i].n; j++) {
			if (!run_unended(&cols[i].runs[j], life, sizeof(life)))
				continue;
			fprintf(f, "<p class=\"fail\">%c ", 'A' + i);
			html_esc(f, cols[i].runs[j].name);
			fputc(' ', f);
			html_esc(f, life);
			fputs("</p>\n", f);
		}
}

static void html_verdicts(FILE *f, const struct column *cols, int n)
{
	struct group *g;
	int ng = groups_collect_cols(cols, n, &g), i, j;
	char v[96], col[128];

	fputs("<h2>Correctness</h2>\n<p>Any missed COW (a shared page written in "
	      "place) or wrong COW (the writer's pinned page copied away) fails."
	      "</p>\n<table>\n<tr><th>scenario</th>",
	      f);
	for (j = 0; j < n; j++) {
		column_name(cols, n, j, col, sizeof(col));
		fprintf(f, "<th>%c: ", 'A' + j);
		html_esc(f, col);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (i = 0; i < ng; i++) {
		fprintf(f, "<tr><td>%s %s %s</td>", g[i].scenario, g[i].backing,
			g[i].params);
		for (j = 0; j < n; j++) {
			verdict(&cols[j], &g[i], v, sizeof(v));
			fprintf(f, "<td class=\"%s\">%s</td>",
				!strcmp(v, "ok") ? "ok" :
				v[0] == 'F'	 ? "fail" :
						   "",
				v);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	free(g);
}

static int write_index(const struct column *cols, int n, const char *dir,
		       const struct plot_list *plots, char *err, int errlen)
{
	FILE *f = create(dir, "index.html", err, errlen), *txt;
	char path[700], *text;
	int i;

	if (!f)
		return -1;
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
	      "<title>cowbench report</title>\n<style>body{font-family:sans-serif;"
	      "max-width:1000px;margin:auto}table{border-collapse:collapse}"
	      "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}"
	      ".ok{background:#dfd}.fail{background:#fcc}img{max-width:100%}"
	      "pre{font-size:85%}</style></head><body>\n<h1>cowbench report</h1>\n",
	      f);
	html_runs(f, cols, n);
	html_unended(f, cols, n);
	html_verdicts(f, cols, n);
	fputs("<h2>Comparison</h2>\n<p><a href=\"compare.txt\">text</a> "
	      "<a href=\"compare.md\">md</a> <a href=\"compare.csv\">csv</a> "
	      "<a href=\"compare.json\">json</a></p>\n<pre>",
	      f);
	snprintf(path, sizeof(path), "%s/compare.txt", dir);
	text = slurp(path, NULL);
	if (text)
		html_esc(f, text);
	free(text);
	fputs("</pre>\n<h2>Plots</h2>\n", f);
	for (i = 0; i < plots->n; i++) {
		const char *p = plots->name[i];

		fprintf(f, "<h3>");
		html_esc(f, plots->title[i]);
		fprintf(f,
			"</h3>\n<img src=\"plots/%s.svg\" alt=\"%s\">\n"
			"<p><a href=\"plots/%s.png\">png</a> "
			"<a href=\"plots/%s.gp\">gnuplot script</a> "
			"<a href=\"plots/%s.dat\">data</a></p>\n",
			p, p, p, p, p);
	}
	snprintf(path, sizeof(path), "%s/plots.log", dir);
	txt = fopen(path, "r");
	if (txt) {
		char line[256];

		fputs("<h3>Not plotted</h3>\n<ul>\n", f);
		while (fgets(line, sizeof(line), txt)) {
			fputs("<li>", f);
			html_esc(f, strtrim(line));
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
		fclose(txt);
	}
	fputs("</body></html>\n", f);
	fclose(f);
	return 0;
}

int report_write(const struct column *cols, int n, const char *dir, FILE *log,
		 char *err, int errlen)
{
	struct plot_list *plots = xcalloc(1, sizeof(*plots));
	char pdir[600], path[700];
	struct run *runs = NULL;
	FILE *plog;
	int ret = -1, nruns;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "report: mkdir %s: %s", dir,
			 strerror(errno));
		goto out;
	}
	if (write_compare(cols, n, dir, err, errlen) ||
	    copy_envs(cols, n, dir, err, errlen))
		goto out;
	snprintf(pdir, sizeof(pdir), "%s/plots", dir);
	snprintf(path, sizeof(path), "%s/plots.log", dir);
	plog = fopen(path, "w");
	if (!plog) {
		snprintf(err, errlen, "report: %s: %s", path, strerror(errno));
		goto out;
	}
	runs = columns_flatten(cols, n, &nruns);
	ret = plot_runs(runs, nruns, pdir, plots, plog, NULL, err, errlen);
	fclose(plog);
	if (ret < 0 || write_index(cols, n, dir, plots, err, errlen))
		goto out;
	fprintf(log, "report: %s/index.html (%d plots)\n", dir, plots->n);
	ret = 0;
out:
	free(runs);
	free(plots);
	return ret;
}
