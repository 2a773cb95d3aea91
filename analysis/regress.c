// SPDX-License-Identifier: GPL-2.0
/*
 * cowbench regress: a history folder of runs and run groups, indexed by
 * machine, matrix, kernel release and policy.  The runs of the newest
 * run's release are compared with the runs of the previous release of
 * the same series (machine, matrix and policy), runs as the unit as in
 * compare; significant changes beyond the threshold are printed 0-day
 * style.  Correctness is judged on the newest run.
 */
#include <dirent.h>
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
	char machine[64], matrix[24], policy[48]; /* its series */
};

/* env.json's run_end.exit_status, -1 if the run has not ended. */
static int exit_status(const struct jval *env)
{
	return env && json_get(env, "run_end") ?
		       (int)json_num(env, "run_end.exit_status", 1) :
		       -1;
}

/* A run that wrote its run_end: finished, whatever its status. */
static bool ended(const struct run *r)
{
	return exit_status(r->env) >= 0;
}

/*
 * No results.jsonl, or a torn last line: a run still being written is no
 * result and no error either (skipped, said); one that ended so, or whose
 * writer is gone, crashed (returned in c).  0: readable.
 */
static int unreadable(const char *dir, FILE *out, struct crash *c)
{
	char path[800], err[200], who[80];
	enum run_life life;
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
	life = run_life(env, who, sizeof(who));
	if (life != RUN_ENDED && life != RUN_KILLED) {
		fprintf(out, "regress: skipping %s: in progress (%s%s%s)\n",
			dir,
			len ? "its last record is incomplete" :
			      "no results.jsonl yet",
			*who ? "; " : "", who);
		json_free(env);
		return 1;
	}
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(c->created, sizeof(c->created), "%s",
		 json_str(env, "created") ?: "");
	snprintf(c->machine, sizeof(c->machine), "%s",
		 json_str(env, "machine")	   ?:
			 json_str(env, "hostname") ?:
						     "");
	snprintf(c->matrix, sizeof(c->matrix), "%s",
		 json_str(env, "matrix.digest") ?: "");
	snprintf(c->policy, sizeof(c->policy), "%s",
		 json_str(env, "cow_policy") ?: "");
	if (life == RUN_KILLED)
		snprintf(c->why, sizeof(c->why),
			 "was killed (no run_end, %s), with %s", who,
			 len ? "a torn last record" : "no results.jsonl");
	else
		snprintf(c->why, sizeof(c->why),
			 "ended (exit status %d) with %s", exit_status(env),
			 len ? "a torn last record" : "no results.jsonl");
	json_free(env);
	return 2;
}

/* What orders and pairs runs must be there: never a "?" sorted newest. */
static int indexable(const struct run *r, char *err, int errlen)
{
	static const char *const keys[] = { "kernel", "created", "hostname",
					    "cow_policy", "matrix.digest" };

	return run_require(r, keys, ARRAY_SIZE(keys),
			   "regress orders and pairs runs by it", err, errlen);
}

/* The runs of a history folder, and the ones that ended unread. */
struct history {
	struct run *runs;
	int n;
	struct crash *crash;
	int ncrash;
};

static void history_free(struct history *h)
{
	while (h->n--)
		run_free(&h->runs[h->n]);
	free(h->runs);
	free(h->crash);
}

static int load_one(struct history *h, const char *path, FILE *log, char *err,
		    int errlen)
{
	struct crash c;
	struct run *r;
	int how = unreadable(path, log, &c);

	if (how == 2) {
		h->crash = xrealloc(h->crash, (h->ncrash + 1) * sizeof(c));
		h->crash[h->ncrash++] = c;
	}
	if (how)
		return 0;
	h->runs = xrealloc(h->runs, (h->n + 1) * sizeof(*h->runs));
	r = &h->runs[h->n];
	if (run_load(path, r, err, errlen)) {
		run_free(r);
		return -1;
	}
	h->n++;
	return indexable(r, err, errlen);
}

static bool has_env(const char *dir)
{
	char path[800];
	struct stat st;

	snprintf(path, sizeof(path), "%s/env.json", dir);
	return !stat(path, &st);
}

/* DIR/NAME: a run, or a group of runs ('cowbench run --runs K -o NAME'). */
static int load_entry(struct history *h, const char *path, FILE *log, char *err,
		      int errlen)
{
	char **dirs;
	int i, k, ret = 0;

	if (has_env(path))
		return load_one(h, path, log, err, errlen);
	k = group_list(path, &dirs, err, errlen);
	for (i = 0; i < k; i++) {
		if (!ret && has_env(dirs[i]))
			ret = load_one(h, dirs[i], log, err, errlen);
		free(dirs[i]);
	}
	if (k > 0)
		free(dirs);
	return k < 0 ? -1 : ret;
}

static int load_history(const char *history, struct history *h, FILE *log,
			char *err, int errlen)
{
	DIR *d = opendir(history);
	struct dirent *e;
	char path[700];

	if (!d) {
		snprintf(err, errlen,
			 "regress: %s: cannot open the history folder",
			 history);
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", history, e->d_name);
		if (load_entry(h, path, log, err, errlen)) {
			closedir(d);
			history_free(h);
			return -1;
		}
	}
	closedir(d);
	return 0;
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
	fprintf(f,
		"release\tpolicy\tmachine\tmatrix\tcreated\trun\tkernel_commit\n");
	for (i = 0; i < n; i++)
		fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", order[i]->kernel,
			order[i]->policy, order[i]->machine, order[i]->matrix,
			order[i]->created, order[i]->dir, order[i]->kcommit);
	fclose(f);
	free(order);
}

static bool same_series(const struct run *a, const struct run *b)
{
	return !strcmp(a->machine, b->machine) &&
	       !strcmp(a->matrix, b->matrix) && !strcmp(a->policy, b->policy);
}

/* Two builds of one uname -r from different trees are two releases. */
static bool same_release(const struct run *a, const struct run *b)
{
	return !strcmp(a->kernel, b->kernel) && !strcmp(a->kcommit, b->kcommit);
}

/* Created later, or at the same second with a greater run id. */
static int newer(const struct run *a, const struct run *b)
{
	return strcmp(a->created, b->created) ?: strcmp(a->name, b->name);
}

static int newest_first(const void *a, const void *b)
{
	return newer(b, a);
}

/* A run of the newest release (and tree) older than new's. */
static const struct run *previous(const struct run *runs, int n,
				  const struct run *new)
{
	const struct run *best = NULL;
	int i;

	for (i = 0; i < n; i++) {
		const struct run *r = &runs[i];

		if (r == new || !ended(r) || !same_series(r, new) ||
		    same_release(r, new) || run_release_cmp(&r, &new) > 0)
			continue;
		if (!best || run_release_cmp(&r, &best) > 0)
			best = r;
	}
	return best;
}

/*
 * The runs of like's release in its series (shallow copies): `first`
 * (the RUN asked for, in the history or not) first, then newest first.
 * One run twice (by id, a copied folder too) would be two identical
 * samples: an error.
 */
static int release_column(const struct history *h, const struct run *like,
			  const struct run *first, struct column *col,
			  char *err, int errlen)
{
	int i, j;

	memset(col, 0, sizeof(*col));
	col->runs = xcalloc(h->n + 1, sizeof(*col->runs));
	if (first)
		col->runs[col->n++] = *first;
	for (i = 0; i < h->n; i++) {
		const struct run *r = &h->runs[i];

		if (!ended(r) || !same_series(r, like) ||
		    !same_release(r, like) ||
		    (first && !strcmp(r->name, first->name)))
			continue;
		for (j = 0; j < col->n && strcmp(col->runs[j].name, r->name);
		     j++)
			;
		if (j < col->n) {
			snprintf(
				err, errlen,
				"regress: run %s twice (%s, %s): a run is one sample",
				r->name, col->runs[j].dir, r->dir);
			free(col->runs);
			return -1;
		}
		col->runs[col->n++] = *r;
	}
	qsort(col->runs + !!first, col->n - !!first, sizeof(*col->runs),
	      newest_first);
	return 0;
}

/* What is judged, and where it is said. */
struct judge {
	struct column cols[2]; /* the old release's runs, the new one's */
	const char *from, *to; /* their labels */
	double threshold;
	bool pair_untested; /* a side has one run: said once */
	FILE *out;
};

/* A missed or wrong COW where the old release had none, or more. */
static int verdict_row(const struct judge *j, const struct group *g,
		       const struct metric *m, const struct cell c[2])
{
	char a[32];

	if (c[1].max > 0 && !(c[0].max > 0)) {
		if (c[0].n)
			snprintf(a, sizeof(a), "%.0f", c[0].max);
		else
			snprintf(a, sizeof(a), "n/a");
		fprintf(j->out,
			"%s %s %s: %s: %s -> %.0f: new correctness failure: %s -> %s\n",
			g->scenario, g->backing, g->params, m->name, a,
			c[1].max, j->from, j->to);
		return 1;
	}
	if (!(c[1].max > c[0].max))
		return 0;
	fprintf(j->out,
		"%s %s %s: %s: %.0f -> %.0f: more correctness failures: %s -> %s\n",
		g->scenario, g->backing, g->params, m->name, c[0].max, c[1].max,
		j->from, j->to);
	return 1;
}

/* Significantly worse by more than the threshold (runs as the unit). */
static int timing_row(const struct judge *j, const struct group *g,
		      const struct metric *m, const struct cell c[2])
{
	double pct = (c[1].cmp.ratio - 1) * 100;

	if (!c[1].cmp.significant || !(pct > j->threshold))
		return 0;
	fprintf(j->out,
		"%s %s %s: %s %+.1f%% regression: %s -> %s (%.4g -> %.4g%s%s, CV %.1f%% -> %.1f%%)\n",
		g->scenario, g->backing, g->params, m->name, pct, j->from,
		j->to, c[0].value, c[1].value, m->unit[0] ? " " : "", m->unit,
		100 * c[0].noise, 100 * c[1].noise);
	return 1;
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

static int column_data(const struct column *c, const struct group *g)
{
	int i, n = 0;

	for (i = 0; i < c->n && !n; i++)
		n = any_data(&c->runs[i], g);
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

/* A pass of g that erred or timed out in a new run: a crash. */
static int crashed_pass(const struct run *new, const struct group *g, FILE *out)
{
	const struct record *r;
	int i;

	for (i = 0; i < new->nrec; i++) {
		r = &new->recs[i];
		if (!group_match(g, r) ||
		    (r->status != ST_ERROR && r->status != ST_TIMEOUT))
			continue;
		fprintf(out, "%s %s %s: %s pass %s in %s (%s): failure\n",
			g->scenario, g->backing, g->params, r->pass,
			rec_status_names[r->status], new->label, r->reason);
		return 1;
	}
	return 0;
}

/* A pass that crashed, or no data where the old release had some. */
static int lost_group(const struct judge *j, const struct group *g)
{
	int i;

	for (i = 0; i < j->cols[1].n; i++) {
		const struct run *r = &j->cols[1].runs[i];

		if (crashed_pass(r, g, j->out))
			return 1;
		if (column_data(&j->cols[0], g) && !any_data(r, g)) {
			fprintf(j->out,
				"%s %s %s: no data in %s %s (%s): failure\n",
				g->scenario, g->backing, g->params, r->label,
				r->name, why_none(r, g));
			return 1;
		}
	}
	return 0;
}

/* A metric the old release measured and the new one no longer does. */
static int lost_metric(const struct judge *j, const struct group *g,
		       const struct metric *m, const struct cell c[2])
{
	/* t/fault exists only where faults are few: it may come and go */
	if (!c[0].n || c[1].n || m->verdict || !strcmp(m->name, "t/fault"))
		return 0;
	fprintf(j->out, "%s %s %s: %s: no value in %s (%s had one): failure\n",
		g->scenario, g->backing, g->params, m->name, j->to, j->from);
	return 1;
}

/* cells: [metric][old, new] of g. */
static int report_group(const struct judge *j, const struct group *g,
			const struct cell *cells)
{
	bool untested = false; /* the row has one run a side */
	int k, found = 0;

	/* a check's verdict repeats its scenario's record: judged there */
	if (!strncmp(g->scenario, "check:", 6))
		return 0;
	if (lost_group(j, g))
		return 1;
	for (k = 0; k < nr_metrics; k++) {
		const struct cell *c = &cells[k * 2];

		found += lost_metric(j, g, &metrics[k], c);
		/* a failure is one whether or not the baseline measured it */
		if (!c[1].n || (!c[0].n && !metrics[k].verdict))
			continue;
		if (metrics[k].verdict)
			found += verdict_row(j, g, &metrics[k], c);
		else if (c[1].cmp.test == TEST_NONE)
			untested = true;
		else
			found += timing_row(j, g, &metrics[k], c);
	}
	if (untested && !j->pair_untested)
		fprintf(j->out,
			"%s %s %s: timing untested: one run a side has it\n",
			g->scenario, g->backing, g->params);
	return found;
}

/*
 * Timing as compare tests it with runs as the unit (Welch's t on the
 * runs' figures, Benjamini-Hochberg over the rows); repetitions of one
 * run understate the noise between runs, so a side with one run is not
 * tested.  Verdicts: the worst run of each release.
 */
static int judge(struct judge *j)
{
	int ng, i, k, found = 0;
	struct cell *cells;
	struct group *g;

	ng = groups_collect_cols(j->cols, 2, &g);
	cells = xcalloc((size_t)ng * nr_metrics * 2, sizeof(*cells));
	for (i = 0; i < ng; i++)
		for (k = 0; k < nr_metrics; k++) {
			struct cell *c =
				&cells[((size_t)i * nr_metrics + k) * 2];

			compare_metric(j->cols, 2, &g[i], &metrics[k], c);
			if (c[1].cmp.test == TEST_REPS)
				c[1].cmp.test = TEST_NONE;
		}
	compare_fdr(cells, ng * nr_metrics, 2, 1);
	for (i = 0; i < ng; i++)
		found += report_group(j, &g[i],
				      &cells[(size_t)i * nr_metrics * 2]);
	free(cells);
	free(g);
	return found;
}

/* "stock-6.18 (new)", "stock-6.18 (3 runs: c b a)": newest first. */
static void side_name(const struct column *c, char *buf, int len)
{
	int i, k;

	if (c->n == 1) {
		snprintf(buf, len, "%s (%s)", c->runs[0].label,
			 c->runs[0].name);
		return;
	}
	k = snprintf(buf, len, "%s (%d runs:", c->runs[0].label, c->n);
	for (i = 0; i < c->n && k < len; i++)
		k += snprintf(buf + k, len - k, " %s", c->runs[i].name);
	if (k < len)
		snprintf(buf + k, len - k, ")");
}

/*
 * Said once: one run a side leaves every timing row untested (one run
 * against a group takes the group's spread for its own: tested).
 */
static void pair_untested(struct judge *j)
{
	const struct column *c = j->cols;

	j->pair_untested = c[0].n < 2 && c[1].n < 2;
	if (j->pair_untested)
		fprintf(j->out,
			"regress: timing untested: one run a side (a release needs 2+ on one side: cowbench run --runs K)\n");
}

static void header(struct judge *j)
{
	char a[1024], b[1024];

	side_name(&j->cols[1], b, sizeof(b));
	side_name(&j->cols[0], a, sizeof(a));
	fprintf(j->out, "regress: %s against %s, threshold %.1f%%\n", b, a,
		j->threshold);
	if (strcmp(j->cols[0].runs[0].kcommit, j->cols[1].runs[0].kcommit))
		fprintf(j->out, "regress: kernel commit %s -> %s\n",
			j->cols[0].runs[0].kcommit, j->cols[1].runs[0].kcommit);
	pair_untested(j);
}

/* new's release against the previous one of its series. */
static int against_previous(const struct history *h, const struct run *new,
			    const struct run *asked, const char *history,
			    double threshold, FILE *out, char *err, int errlen)
{
	const struct run *old = previous(h->runs, h->n, new);
	struct judge j = { .threshold = threshold, .out = out };
	int i, found;

	if (!old) {
		fprintf(out,
			"regress: no earlier release of %s (%s, policy %s, matrix %s) in %s: nothing to compare\n",
			new->kernel, new->machine, new->policy, new->matrix,
			history);
		return 0;
	}
	if (release_column(h, old, NULL, &j.cols[0], err, errlen))
		return -1;
	if (release_column(h, new, asked, &j.cols[1], err, errlen)) {
		free(j.cols[0].runs);
		return -1;
	}
	j.from = j.cols[0].runs[0].label;
	j.to = new->label;
	header(&j);
	found = 0;
	for (i = 0; i < j.cols[1].n; i++) {
		const struct run *r = &j.cols[1].runs[i];

		if (exit_status(r->env) <= 0)
			continue;
		fprintf(out, "regress: %s ended with exit status %d: failure\n",
			r->name, exit_status(r->env));
		found++;
	}
	found += judge(&j);
	fprintf(out, "regress: %d regression%s\n", found,
		found == 1 ? "" : "s");
	free(j.cols[0].runs);
	free(j.cols[1].runs);
	return found;
}

static bool crash_in(const struct crash *c, const struct run *r)
{
	return !strcmp(c->machine, r->machine) &&
	       !strcmp(c->matrix, r->matrix) && !strcmp(c->policy, r->policy);
}

/*
 * The newest runs of a series without run_end: in progress (said,
 * skipped), or killed when their writer is gone (a failure).
 */
static int newest_unended(const struct run *r, FILE *out)
{
	char why[80];

	if (run_life(r->env, why, sizeof(why)) == RUN_KILLED) {
		fprintf(out, "regress: %s: killed (no run_end, %s): failure\n",
			r->dir, why);
		return 1;
	}
	fprintf(out, "regress: skipping %s: in progress (no run_end%s%s)\n",
		r->dir, *why ? ", " : "", why);
	return 0;
}

/*
 * Runs of like's series that did not end: the newest of the series is in
 * progress unless its writer is gone; one that a later run of the series
 * outlived was killed, a failure when it is of the release judged (head's).
 */
static int unended(const struct history *h, const struct run *like,
		   const struct run *head, const struct run *latest, FILE *out)
{
	int i, found = 0;

	for (i = 0; i < h->n; i++) {
		const struct run *r = &h->runs[i];

		if (ended(r) || !same_series(r, like))
			continue;
		if (!latest || newer(r, latest) > 0)
			found += newest_unended(r, out);
		else if (head && same_release(r, head) && ++found)
			fprintf(out,
				"regress: %s: killed (no run_end, a later run of its series ended): failure\n",
				r->dir);
	}
	return found;
}

/* Ended unread and newer than every ended run of its series: a crash. */
static int crashes(const struct history *h, const struct run *like,
		   const struct run *latest, FILE *out)
{
	int i, found = 0;

	for (i = 0; i < h->ncrash; i++) {
		const struct crash *c = &h->crash[i];

		if (!crash_in(c, like) ||
		    (latest && strcmp(c->created, latest->created) <= 0))
			continue;
		fprintf(out, "regress: %s: the newest run %s: failure\n",
			c->dir, c->why);
		found++;
	}
	return found;
}

/* A series: its highest release against the one before. */
static int series(const struct history *h, const struct run *like,
		  const char *history, double threshold, FILE *out, char *err,
		  int errlen)
{
	const struct run *head = NULL, *latest = NULL;
	int i, found, ret;

	for (i = 0; i < h->n; i++) {
		const struct run *r = &h->runs[i];

		if (!ended(r) || !same_series(r, like))
			continue;
		if (!latest || newer(r, latest) > 0)
			latest = r;
		if (!head || (run_release_cmp(&r, &head) ?: newer(r, head)) > 0)
			head = r;
	}
	found = crashes(h, like, latest, out) +
		unended(h, like, head, latest, out);
	if (!head)
		return found;
	ret = against_previous(h, head, NULL, history, threshold, out, err,
			       errlen);
	return ret < 0 ? ret : found + ret;
}

/* A crash whose series has no readable run at all. */
static int lone_crashes(const struct history *h, FILE *out)
{
	int i, k, found = 0;

	for (i = 0; i < h->ncrash; i++) {
		for (k = 0; k < h->n && !crash_in(&h->crash[i], &h->runs[k]);
		     k++)
			;
		if (k < h->n)
			continue;
		fprintf(out, "regress: %s: the newest run %s: failure\n",
			h->crash[i].dir, h->crash[i].why);
		found++;
	}
	return found;
}

/* Every series of the folder, each once. */
static int every_series(const struct history *h, const char *history,
			double threshold, FILE *out, char *err, int errlen)
{
	int i, k, ret, found = lone_crashes(h, out);

	if (!h->n && !found)
		fprintf(out, "regress: %s holds no runs\n", history);
	for (i = 0; i < h->n; i++) {
		for (k = 0; k < i && !same_series(&h->runs[k], &h->runs[i]);
		     k++)
			;
		if (k < i)
			continue;
		ret = series(h, &h->runs[i], history, threshold, out, err,
			     errlen);
		if (ret < 0)
			return ret;
		found += ret;
	}
	return found;
}

int regress(const char *history, const char *run, double threshold, FILE *out,
	    char *err, int errlen)
{
	struct history h = { 0 };
	struct run asked;
	int found;

	if (load_history(history, &h, out, err, errlen))
		return -1;
	write_index(history, h.runs, h.n);
	if (run && (run_load(run, &asked, err, errlen) ||
		    indexable(&asked, err, errlen))) {
		run_free(&asked);
		history_free(&h);
		return -1;
	}
	if (run)
		found = against_previous(&h, &asked, &asked, history, threshold,
					 out, err, errlen);
	else
		found = every_series(&h, history, threshold, out, err, errlen);
	history_free(&h);
	if (run)
		run_free(&asked);
	return found;
}
