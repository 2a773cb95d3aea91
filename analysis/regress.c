// SPDX-License-Identifier: GPL-2.0
/*
 * cowbench regress: a history folder of runs, indexed by host, matrix,
 * kernel release and policy.  The newest run is compared with the latest
 * run of the previous release (same host, matrix and policy); significant
 * changes beyond the threshold are printed 0-day style.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"
#include "plot.h"
#include "report.h"

/* A run that could not be read although it ended: the tracker's failure. */
struct crash {
	char dir[700], created[32], why[160];
};

/* env.json's run_end.exit_status, -1 if the run has not ended. */
static int exit_status(const struct jval *env)
{
	return env && json_get(env, "run_end") ?
		       (int)json_num(env, "run_end.exit_status", 1) :
		       -1;
}

/*
 * No results.jsonl, or a torn last line: a run still being written is no
 * result and no error either (skipped, said); one that ended so crashed
 * (returned in c).  0: readable.
 */
static int unreadable(const char *dir, FILE *out, struct crash *c)
{
	char path[800], err[200];
	size_t len = 0;
	char *text;
	struct jval *env;
	bool torn;

	snprintf(path, sizeof(path), "%s/results.jsonl", dir);
	text = slurp(path, &len);
	torn = !text || (len && text[len - 1] != '\n');
	free(text);
	if (!torn)
		return 0;
	snprintf(path, sizeof(path), "%s/env.json", dir);
	text = slurp(path, NULL);
	env = text ? json_parse(text, err, sizeof(err)) : NULL;
	free(text);
	if (exit_status(env) < 0) {
		fprintf(out, "regress: skipping %s: in progress (%s)\n", dir,
			len ? "its last record is incomplete" :
			      "no results.jsonl yet");
		json_free(env);
		return 1;
	}
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(c->created, sizeof(c->created), "%s",
		 json_str(env, "created") ?: "");
	snprintf(c->why, sizeof(c->why), "ended (exit status %d) with %s",
		 exit_status(env),
		 len ? "a torn last record" : "no results.jsonl");
	json_free(env);
	return 2;
}

/* What orders and pairs runs must be there: never a "?" sorted newest. */
static int indexable(const struct run *r, const char *dir, char *err,
		     int errlen)
{
	static const char *const keys[] = { "kernel", "created", "hostname",
					    "cow_policy", "matrix.digest" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!json_str(r->env, keys[i]) || !*json_str(r->env, keys[i])) {
			snprintf(
				err, errlen,
				"%s/env.json:1: no \"%s\" (regress orders and pairs runs by it)",
				dir, keys[i]);
			return -1;
		}
	return 0;
}

static int load_history(const char *history, struct run **out,
			struct crash *newest_crash, FILE *log, char *err,
			int errlen)
{
	DIR *d = opendir(history);
	struct run *runs = NULL;
	struct dirent *e;
	struct crash c;
	char path[700];
	struct stat st;
	int n = 0, how;

	if (!d) {
		snprintf(err, errlen,
			 "regress: %s: cannot open the history folder",
			 history);
		return -1;
	}
	while ((e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s/env.json", history,
			 e->d_name);
		if (e->d_name[0] == '.' || stat(path, &st))
			continue;
		snprintf(path, sizeof(path), "%s/%s", history, e->d_name);
		how = unreadable(path, log, &c);
		if (how == 2 && strcmp(c.created, newest_crash->created) > 0)
			*newest_crash = c;
		if (how)
			continue;
		runs = xrealloc(runs, (n + 1) * sizeof(*runs));
		if (run_load(path, &runs[n], err, errlen))
			goto fail;
		if (indexable(&runs[n++], path, err, errlen))
			goto fail;
	}
	closedir(d);
	*out = runs;
	return n;
fail:
	closedir(d);
	while (n--)
		run_free(&runs[n]);
	free(runs);
	return -1;
}

/* history/index.tsv: what the folder holds, one run a line. */
static void write_index(const char *history, struct run *runs, int n)
{
	const struct run **order = xcalloc(n, sizeof(*order));
	char path[700];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/index.tsv", history);
	f = fopen(path, "w");
	if (!f) {
		free(order);
		return;
	}
	for (i = 0; i < n; i++)
		order[i] = &runs[i];
	qsort(order, n, sizeof(*order), run_release_cmp);
	fprintf(f, "release\tpolicy\thost\tmatrix\tcreated\trun\n");
	for (i = 0; i < n; i++)
		fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\n", order[i]->kernel,
			order[i]->policy, order[i]->host, order[i]->matrix,
			order[i]->created, order[i]->dir);
	fclose(f);
	free(order);
}

static bool same_series(const struct run *a, const struct run *b)
{
	return !strcmp(a->host, b->host) && !strcmp(a->matrix, b->matrix) &&
	       !strcmp(a->policy, b->policy);
}

/* The latest run of the newest release older than new's. */
static const struct run *previous(const struct run *runs, int n,
				  const struct run *new)
{
	const struct run *best = NULL;
	int i;

	for (i = 0; i < n; i++) {
		const struct run *r = &runs[i];

		if (r == new || !same_series(r, new) ||
		    !strcmp(r->kernel, new->kernel) ||
		    run_release_cmp(&r, &new) > 0)
			continue;
		if (!best || run_release_cmp(&r, &best) > 0)
			best = r;
	}
	return best;
}

static int report_metrics(const struct run pair[2], const struct group *g,
			  double threshold, FILE *out)
{
	struct run both[2] = { pair[0], pair[1] };
	struct column cols[2] = { column_of(&both[0]), column_of(&both[1]) };
	struct cell cells[2];
	char a[32], b[32];
	int k, found = 0;

	for (k = 0; k < nr_metrics; k++) {
		const struct metric *m = &metrics[k];
		double pct;

		if (!compare_metric(cols, 2, g, m, cells) || !cells[1].n)
			continue;
		/* a failure is one whether or not the baseline measured it */
		if (!cells[0].n && !m->verdict)
			continue;
		if (m->verdict) {
			if (cells[1].max > 0 && !(cells[0].max > 0)) {
				if (cells[0].n)
					snprintf(a, sizeof(a), "%.0f",
						 cells[0].max);
				else
					snprintf(a, sizeof(a), "n/a");
				fprintf(out,
					"%s %s %s: %s: %s -> %.0f: new correctness failure: %s -> %s\n",
					g->scenario, g->backing, g->params,
					m->name, a, cells[1].max, pair[0].label,
					pair[1].label);
				found++;
			} else if (cells[1].max > cells[0].max) {
				fprintf(out,
					"%s %s %s: %s: %.0f -> %.0f: more correctness failures: %s -> %s\n",
					g->scenario, g->backing, g->params,
					m->name, cells[0].max, cells[1].max,
					pair[0].label, pair[1].label);
				found++;
			}
			continue;
		}
		pct = (cells[1].cmp.ratio - 1) * 100;
		if (!cells[1].cmp.significant || !(pct > threshold))
			continue;
		snprintf(a, sizeof(a), "%.4g", cells[0].median);
		snprintf(b, sizeof(b), "%.4g", cells[1].median);
		fprintf(out,
			"%s %s %s: %s %+.1f%% regression: %s -> %s (%s -> %s%s%s)\n",
			g->scenario, g->backing, g->params, m->name, pct,
			pair[0].label, pair[1].label, a, b,
			m->unit[0] ? " " : "", m->unit);
		found++;
	}
	return found;
}

/* Values of any metric of g in r: a run that has none timed out,
 * crashed or lost its file. */
static int any_data(const struct run *r, const struct group *g)
{
	double v[4];
	int k, n = 0;

	for (k = 0; k < nr_metrics && !n; k++)
		n = samples(r, g, &metrics[k], v, 4);
	return n;
}

/* Why a group has no data: the first record's status and reason. */
static const char *why_none(const struct run *r, const struct group *g)
{
	int i;

	for (i = 0; i < r->nrec; i++)
		if (group_match(g, &r->recs[i]) && r->recs[i].reason[0])
			return r->recs[i].reason;
	return "no records";
}

/* A pass of g that erred or timed out in the new run: a crash. */
static int crashed_pass(const struct run pair[2], const struct group *g,
			FILE *out)
{
	const struct record *r;
	int i;

	for (i = 0; i < pair[1].nrec; i++) {
		r = &pair[1].recs[i];
		if (!group_match(g, r) ||
		    (r->status != ST_ERROR && r->status != ST_TIMEOUT))
			continue;
		fprintf(out, "%s %s %s: %s pass %s in %s (%s): failure\n",
			g->scenario, g->backing, g->params, r->pass,
			rec_status_names[r->status], pair[1].label, r->reason);
		return 1;
	}
	return 0;
}

static int report_group(const struct run pair[2], const struct group *g,
			double threshold, FILE *out)
{
	/* a check's verdict repeats its scenario's record: judged there */
	if (!strncmp(g->scenario, "check:", 6))
		return 0;
	if (crashed_pass(pair, g, out))
		return 1;
	if (any_data(&pair[0], g) && !any_data(&pair[1], g)) {
		fprintf(out, "%s %s %s: no data in %s (%s): failure\n",
			g->scenario, g->backing, g->params, pair[1].label,
			why_none(&pair[1], g));
		return 1;
	}
	return report_metrics(pair, g, threshold, out);
}

int regress(const char *history, const char *run, double threshold, FILE *out,
	    char *err, int errlen)
{
	struct run *runs = NULL, extra, pair[2];
	const struct run *new = NULL, *old;
	struct crash crash = { .created = "" };
	struct group *g;
	int n, i, ng, found = 0;

	n = load_history(history, &runs, &crash, out, err, errlen);
	if (n < 0)
		return -1;
	write_index(history, runs, n);
	if (run) {
		if (run_load(run, &extra, err, errlen))
			return -1;
		new = &extra;
	}
	for (i = 0; !run && i < n; i++)
		if (!new || (strcmp(runs[i].created, new->created) ?:
				     strcmp(runs[i].name, new->name)) > 0)
			new = &runs[i];
	/* the newest run crashed: that is the news, whatever came before */
	if (!run && crash.dir[0] &&
	    (!new || strcmp(crash.created, new->created) > 0)) {
		fprintf(out, "regress: %s: the newest run %s: failure\n",
			crash.dir, crash.why);
		for (i = 0; i < n; i++)
			run_free(&runs[i]);
		free(runs);
		return 1;
	}
	if (!new) {
		fprintf(out, "regress: %s holds no runs\n", history);
		free(runs);
		return 0;
	}
	old = previous(runs, n, new);
	if (!old) {
		fprintf(out,
			"regress: no earlier release of %s (%s, policy %s, matrix %s) in %s: nothing to compare\n",
			new->kernel, new->host, new->policy, new->matrix,
			history);
		goto out;
	}
	pair[0] = *old;
	pair[1] = *new;
	fprintf(out, "regress: %s (%s) against %s (%s), threshold %.1f%%\n",
		new->label, new->name, old->label, old->name, threshold);
	if (exit_status(new->env) > 0) {
		fprintf(out, "regress: %s ended with exit status %d: failure\n",
			new->name, exit_status(new->env));
		found++;
	}
	ng = groups_collect(pair, 2, &g);
	for (i = 0; i < ng; i++)
		found += report_group(pair, &g[i], threshold, out);
	free(g);
	fprintf(out, "regress: %d regression%s\n", found,
		found == 1 ? "" : "s");
out:
	for (i = 0; i < n; i++)
		run_free(&runs[i]);
	if (run)
		run_free(&extra);
	free(runs);
	return found;
}
