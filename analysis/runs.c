// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cfg.h"
#include "runs.h"

static void env_str(const struct jval *env, const char *path, char *out,
		    int len)
{
	const char *s = json_str(env, path);

	snprintf(out, len, "%s", s ? s : "?");
}

static int load_env(const char *dir, struct run *r, char *err, int errlen)
{
	char path[600], jerr[160];
	char *text;

	snprintf(path, sizeof(path), "%s/env.json", dir);
	text = slurp(path, NULL);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	r->env = json_parse(text, jerr, sizeof(jerr));
	free(text);
	if (!r->env || r->env->t != J_OBJ || !json_str(r->env, "id")) {
		snprintf(err, errlen, "%s:1: %s", path,
			 r->env ? "not a cowbench env.json (no id)" : jerr);
		return -1;
	}
	env_str(r->env, "run", r->name, sizeof(r->name));
	env_str(r->env, "label", r->label, sizeof(r->label));
	env_str(r->env, "hostname", r->host, sizeof(r->host));
	env_str(r->env, json_str(r->env, "machine") ? "machine" : "hostname",
		r->machine, sizeof(r->machine));
	env_str(r->env, "kernel", r->kernel, sizeof(r->kernel));
	env_str(r->env, "cow_policy", r->policy, sizeof(r->policy));
	env_str(r->env, "cpu", r->cpu, sizeof(r->cpu));
	env_str(r->env, "accelerator", r->accel, sizeof(r->accel));
	env_str(r->env, "mm.thp_enabled", r->thp, sizeof(r->thp));
	env_str(r->env, "id", r->env_id, sizeof(r->env_id));
	env_str(r->env, "matrix.digest", r->matrix, sizeof(r->matrix));
	env_str(r->env, "created", r->created, sizeof(r->created));
	env_str(r->env, "cmdline", r->cmdline, sizeof(r->cmdline));
	env_str(r->env, "config.digest", r->kconfig, sizeof(r->kconfig));
	env_str(r->env, "suite_version", r->suite, sizeof(r->suite));
	env_str(r->env, "mm.thp_defrag", r->defrag, sizeof(r->defrag));
	/* null (or older runs): nothing said which source was built */
	snprintf(r->kcommit, sizeof(r->kcommit), "%s",
		 json_str(r->env, "kernel_commit") ?: "unknown");
	r->pair_ns = json_num(r->env, "clock.pair_ns", NAN);
	/* no label: policy-release, as cowbench run names it */
	if (!strcmp(r->label, "?") || !r->label[0])
		snprintf(r->label, sizeof(r->label), "%s-%s", r->policy,
			 r->kernel);
	return 0;
}

/* A key of a record and the JSON type it must have when present. */
struct field {
	const char *path;
	enum jtype t;
	bool time; /* a number that must be finite and not negative */
	bool unknown; /* null: not known (copies with undecided pages) */
};

static const struct field fields[] = {
	{ "run", J_STR, false, false },
	{ "scenario", J_STR, false, false },
	{ "backing", J_STR, false, false },
	{ "pass", J_STR, false, false },
	{ "status", J_STR, false, false },
	{ "reason", J_STR, false, false },
	{ "env", J_STR, false, false },
	{ "perturbed", J_STR, false, false },
	{ "rehearsed", J_STR, false, false },
	{ "params", J_OBJ, false, false },
	{ "rep", J_NUM, true, false },
	{ "ops", J_NUM, true, false },
	{ "window_ns", J_NUM, true, false },
	{ "overhead_ns", J_NUM, true, false },
	{ "latency_ns", J_OBJ, false, false },
	{ "latency_ns.n", J_NUM, true, false },
	{ "latency_ns.mean", J_NUM, true, false },
	{ "latency_ns.p50", J_NUM, true, false },
	{ "latency_ns.p99", J_NUM, true, false },
	{ "latency_ns.max", J_NUM, true, false },
	{ "counts", J_OBJ, false, false },
	{ "counts.faults", J_NUM, true, false },
	{ "counts.faults_task", J_NUM, true, false },
	{ "counts.copies", J_NUM, true, true },
	{ "counts.reuses", J_NUM, true, true },
	{ "counts.undecided", J_NUM, true, false },
	{ "counts.classes", J_OBJ, false, false },
	{ "counts.tlb_flush", J_OBJ, false, false },
	{ "counts.hw", J_OBJ, false, false },
	{ "screen", J_OBJ, false, false },
};

static const char *const jtype_names[] = {
	"null", "a boolean", "a number", "a string", "an array", "an object"
};

/* Numbers of an object (params, classes): numbers, finite, not negative. */
static int check_numbers(const struct jval *o, const char *path, char *err,
			 int errlen)
{
	size_t i;

	for (i = 0; o && o->t == J_OBJ && i < o->n; i++) {
		const struct jval *v = &o->items[i];

		if (!strcmp(o->keys[i], "skipped") || v->t == J_NULL)
			continue; /* a reason; an unknown (undecided) count */
		if (v->t != J_NUM || !isfinite(v->num) || v->num < 0) {
			snprintf(err, errlen, "%s.%s: %s where a count belongs",
				 path, o->keys[i],
				 v->t == J_NUM ?
					 "a negative or non-finite number" :
					 jtype_names[v->t]);
			return -1;
		}
	}
	return 0;
}

/*
 * What record_parse() tolerates but analysis must not: a string where a
 * number belongs reads as 0, a negative time as a fast kernel.
 */
static int check_types(const char *line, char *err, int errlen)
{
	static const char *const objs[] = { "params", "counts.classes",
					    "counts.tlb_flush", "counts.hw" };
	struct jval *v = json_parse(line, err, errlen);
	const struct jval *x;
	size_t i;
	int ret = 0;

	for (i = 0; v && !ret && i < ARRAY_SIZE(fields); i++) {
		x = json_path(v, fields[i].path);
		if (!x || (x->t == J_NULL && fields[i].unknown))
			continue;
		if (x->t != fields[i].t) {
			snprintf(err, errlen, "%s: %s where %s belongs",
				 fields[i].path, jtype_names[x->t],
				 jtype_names[fields[i].t]);
			ret = -1;
		} else if (fields[i].time &&
			   (!isfinite(x->num) || x->num < 0)) {
			snprintf(err, errlen, "%s: %g is not a valid %s",
				 fields[i].path, x->num,
				 strstr(fields[i].path, "ns") ? "time" :
								"count");
			ret = -1;
		}
	}
	for (i = 0; v && !ret && i < ARRAY_SIZE(objs); i++)
		ret = check_numbers(json_path(v, objs[i]), objs[i], err,
				    errlen);
	json_free(v);
	return v ? ret : -1;
}

/* The record belongs to this run: its ids are the ones env.json holds. */
static int check_ids(const struct run *run, const struct record *r, char *err,
		     int errlen)
{
	if (strcmp(r->env, run->env_id)) {
		snprintf(err, errlen,
			 "env id %s does not match env.json's id %s", r->env,
			 run->env_id);
		return -1;
	}
	if (json_str(run->env, "run") && strcmp(r->run, run->name)) {
		snprintf(err, errlen,
			 "run id %s does not match env.json's run %s", r->run,
			 run->name);
		return -1;
	}
	return 0;
}

/* A timing result with no op would vanish from every table as n/a. */
static int check_timing(const struct record *r, char *err, int errlen)
{
	if (strcmp(r->pass, "timing") || r->status != ST_OK || r->ops)
		return 0;
	snprintf(err, errlen, "a timing record with status ok and ops 0");
	return -1;
}

struct keyline {
	char key[256];
	int line;
};

static int cmp_keyline(const void *a, const void *b)
{
	const struct keyline *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : x->line - y->line;
}

/* Two records of one pass of one repetition: which one is the result? */
static int check_duplicates(const struct run *r, const char *path, char *err,
			    int errlen)
{
	struct keyline *k = xcalloc(r->nrec + 1, sizeof(*k));
	int i, ret = 0;

	for (i = 0; i < r->nrec; i++) {
		record_key(&r->recs[i], k[i].key, sizeof(k[i].key));
		k[i].line = i + 1;
	}
	qsort(k, r->nrec, sizeof(*k), cmp_keyline);
	for (i = 1; i < r->nrec && !ret; i++)
		if (!strcmp(k[i].key, k[i - 1].key)) {
			snprintf(
				err, errlen,
				"%s:%d: duplicated record (the same pass as line %d)",
				path, k[i].line, k[i - 1].line);
			ret = -1;
		}
	free(k);
	return ret;
}

static int load_records(const char *dir, struct run *r, char *err, int errlen)
{
	char path[600], rerr[400];
	size_t len;
	char *text = NULL, *line, *next;
	int lineno = 0, cap = 0;

	snprintf(path, sizeof(path), "%s/results.jsonl", dir);
	text = slurp(path, &len);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		lineno++;
		if (!next) {
			snprintf(err, errlen,
				 "%s:%d: truncated record (no end of line)",
				 path, lineno);
			free(text);
			return -1;
		}
		*next++ = '\0';
		if (r->nrec == cap) {
			cap = cap ? cap * 2 : 64;
			r->recs = xrealloc(r->recs, cap * sizeof(*r->recs));
		}
		if (record_parse(line, &r->recs[r->nrec], rerr, sizeof(rerr)) ||
		    check_types(line, rerr, sizeof(rerr)) ||
		    check_ids(r, &r->recs[r->nrec], rerr, sizeof(rerr)) ||
		    check_timing(&r->recs[r->nrec], rerr, sizeof(rerr))) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, rerr);
			free(text);
			return -1;
		}
		r->nrec++;
	}
	free(text);
	return check_duplicates(r, path, err, errlen);
}

static bool same_rep(const struct record *a, const struct record *b)
{
	char pa[96], pb[96];

	if (a->rep != b->rep || strcmp(a->scenario, b->scenario) ||
	    strcmp(a->backing, b->backing))
		return false;
	params_str(&a->params, pa, sizeof(pa));
	params_str(&b->params, pb, sizeof(pb));
	return !strcmp(pa, pb);
}

/*
 * A repetition is perturbed as a whole (docs/harness.md): what disturbed
 * one of its passes may have disturbed the others, which ran seconds
 * apart.  Its timings are then left out; its counts and verdicts stay.
 */
static void perturb_whole_reps(struct run *r)
{
	int i, j;

	for (i = 0; i < r->nrec; i++) {
		const struct record *p = &r->recs[i];

		if (!p->perturbed[0] || !strncmp(p->perturbed, "with ", 5))
			continue;
		for (j = 0; j < r->nrec; j++)
			if (!r->recs[j].perturbed[0] &&
			    same_rep(p, &r->recs[j]))
				snprintf(r->recs[j].perturbed,
					 sizeof(r->recs[j].perturbed),
					 "with its %s pass: %.120s", p->pass,
					 p->perturbed);
	}
}

int run_load(const char *dir, struct run *r, char *err, int errlen)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	if (load_env(dir, r, err, errlen) || load_records(dir, r, err, errlen))
		return -1;
	perturb_whole_reps(r);
	return 0;
}

int run_require(const struct run *r, const char *const *keys, int n,
		const char *why, char *err, int errlen)
{
	const char *v;
	int i;

	for (i = 0; i < n; i++) {
		v = json_str(r->env, keys[i]);
		if (!v || !*v) {
			snprintf(err, errlen, "%s/env.json:1: no \"%s\" (%s)",
				 r->dir, keys[i], why);
			return -1;
		}
	}
	return 0;
}

enum run_life run_life(const struct jval *env, char *why, int len)
{
	long long pid, now;
	const char *boot;
	char id[64];

	why[0] = '\0';
	if (!env || json_get(env, "run_end"))
		return env ? RUN_ENDED : RUN_UNKNOWN;
	boot = json_str(env, "writer.boot_id");
	pid = (long long)json_num(env, "writer.pid", -1);
	if (!boot || !*boot || pid <= 0)
		return RUN_UNKNOWN; /* an older run names no writer */
	boot_id(id, sizeof(id));
	if (strcmp(boot, id)) {
		snprintf(why, len, "written in another boot");
		return RUN_KILLED;
	}
	now = proc_start_time((int)pid);
	if (now >= 0 &&
	    now == (long long)json_num(env, "writer.start_time", -1)) {
		snprintf(why, len, "its writer, pid %lld, is running", pid);
		return RUN_LIVE;
	}
	if (now < 0)
		snprintf(why, len, "its writer, pid %lld, is gone", pid);
	else
		snprintf(why, len, "pid %lld is another process now", pid);
	return RUN_KILLED;
}

bool run_unended(const struct run *r, char *buf, int len)
{
	static const char *const what[] = { [RUN_LIVE] = "in progress",
					    [RUN_KILLED] = "killed",
					    [RUN_UNKNOWN] =
						    "in progress or killed" };
	enum run_life life;
	char why[80];

	life = run_life(r->env, why, sizeof(why));
	if (life == RUN_ENDED)
		return false;
	snprintf(buf, len, "has no run_end: %s%s%s%s", what[life],
		 *why ? " (" : "", why, *why ? ")" : "");
	return true;
}

void run_free(struct run *r)
{
	json_free(r->env);
	free(r->recs);
	memset(r, 0, sizeof(*r));
}

struct run *runs_load_or_die(char **dirs, int n)
{
	struct run *runs = xcalloc(n, sizeof(*runs));
	char err[800];
	int i;

	for (i = 0; i < n; i++)
		if (run_load(dirs[i], &runs[i], err, sizeof(err)))
			die(EXIT_USAGE, "%s", err);
	return runs;
}

/* The label, with @host when hosts differ. */
static void column_base(const struct run *const *runs, int n, int i, char *buf,
			int len)
{
	bool hosts_differ = false;
	int j;

	for (j = 0; j < n; j++)
		hosts_differ |= strcmp(runs[j]->host, runs[0]->host) != 0;
	if (hosts_differ)
		snprintf(buf, len, "%s@%s", runs[i]->label, runs[i]->host);
	else
		snprintf(buf, len, "%s", runs[i]->label);
}

/*
 * Two different kernels never share a column name: when labels collide,
 * the full release (uname -r) is added.
 */
static void unique_name(const struct run *const *runs, int n, int i, char *buf,
			int len)
{
	char mine[240], other[240];
	int j;

	column_base(runs, n, i, mine, sizeof(mine));
	for (j = 0; j < n; j++) {
		column_base(runs, n, j, other, sizeof(other));
		if (j != i && !strcmp(mine, other) &&
		    strcmp(runs[i]->kernel, runs[j]->kernel))
			break;
	}
	if (j < n)
		snprintf(buf, len, "%s(%s)", mine, runs[i]->kernel);
	else
		snprintf(buf, len, "%s", mine);
}

void run_column(const struct run *runs, int n, int i, char *buf, int len)
{
	const struct run **p = xcalloc(n, sizeof(*p));
	int j;

	for (j = 0; j < n; j++)
		p[j] = &runs[j];
	unique_name(p, n, i, buf, len);
	free(p);
}

void column_name(const struct column *cols, int n, int i, char *buf, int len)
{
	const struct run **p = xcalloc(n, sizeof(*p));
	int j;

	for (j = 0; j < n; j++)
		p[j] = cols[j].runs;
	unique_name(p, n, i, buf, len);
	free(p);
}

struct run *columns_flatten(const struct column *cols, int n, int *nruns)
{
	struct run *all = NULL;
	int i, k = 0;

	for (i = 0; i < n; i++) {
		all = xrealloc(all, (k + cols[i].n) * sizeof(*all));
		memcpy(all + k, cols[i].runs, cols[i].n * sizeof(*all));
		k += cols[i].n;
	}
	*nruns = k;
	return all;
}

struct column column_of(struct run *r)
{
	struct column c = { .runs = r, .n = 1 };

	snprintf(c.name, sizeof(c.name), "%s", r->name);
	return c;
}

int group_list(const char *dir, char ***out, char *err, int errlen)
{
	char path[600], jerr[160];
	const struct jval *list, *x;
	struct jval *v;
	char *text, **dirs;
	size_t i;

	snprintf(path, sizeof(path), "%s/group.json", dir);
	text = slurp(path, NULL);
	if (!text)
		return 0;
	v = json_parse(text, jerr, sizeof(jerr));
	free(text);
	list = v ? json_get(v, "runs") : NULL;
	if (!list || list->t != J_ARR || !list->n) {
		snprintf(err, errlen, "%s:1: %s", path,
			 v ? "no \"runs\": [RUN, ...] in it" : jerr);
		json_free(v);
		return -1;
	}
	dirs = xcalloc(list->n, sizeof(*dirs));
	for (i = 0; i < list->n; i++) {
		x = &list->items[i];
		if (x->t != J_STR || !x->str[0] || strstr(x->str, "..")) {
			snprintf(err, errlen,
				 "%s:1: runs[%zu] is not a run folder", path,
				 i);
			while (i--)
				free(dirs[i]);
			free(dirs);
			json_free(v);
			return -1;
		}
		dirs[i] = xmalloc(strlen(dir) + strlen(x->str) + 2);
		sprintf(dirs[i], "%s/%s", dir, x->str);
	}
	json_free(v);
	*out = dirs;
	return (int)i;
}

/* RUN,RUN,...: the folders, split at commas. */
static int list_runs(const char *arg, char ***out)
{
	char *copy = xstrdup(arg), *tok, *save = NULL, **dirs = NULL;
	int n = 0;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		dirs = xrealloc(dirs, (n + 1) * sizeof(*dirs));
		dirs[n++] = xstrdup(tok);
	}
	free(copy);
	if (!n)
		die(EXIT_USAGE, "'%s' names no run folder", arg);
	*out = dirs;
	return n;
}

/*
 * A run is one sample: the same run twice in a column (by its id, so a
 * copied folder too) would be two identical samples, a p of 0.
 */
static void no_run_twice(const struct column *c, const char *arg)
{
	int i, j;

	for (i = 0; i < c->n; i++)
		for (j = i + 1; j < c->n; j++)
			if (!strcmp(c->runs[i].name, c->runs[j].name))
				die(EXIT_USAGE,
				    "'%s' lists run %s twice (%s, %s): a run is one sample",
				    arg, c->runs[i].name, c->runs[i].dir,
				    c->runs[j].dir);
}

/* GROUP, else RUN,RUN,...: the column's run folders. */
static int column_dirs(const char *arg, char ***dirs)
{
	char err[800];
	int n = strchr(arg, ',') ? 0 : group_list(arg, dirs, err, sizeof(err));

	if (n < 0)
		die(EXIT_USAGE, "%s", err);
	return n ? n : list_runs(arg, dirs);
}

static void load_column(const char *arg, struct column *c)
{
	const char *base = strrchr(arg, '/');
	char **dirs, trimmed[512];
	int i, len;

	/* a trailing slash (shell completion) is no part of the name */
	len = snprintf(trimmed, sizeof(trimmed), "%s", arg);
	while (len > 1 && trimmed[len - 1] == '/')
		trimmed[--len] = '\0';
	c->n = column_dirs(trimmed, &dirs);
	c->runs = runs_load_or_die(dirs, c->n);
	no_run_twice(c, trimmed);
	base = strrchr(trimmed, '/');
	if (c->n == 1)
		snprintf(c->name, sizeof(c->name), "%s", c->runs[0].name);
	else if (strchr(trimmed, ','))
		for (i = 0, len = 0; i < c->n && len < (int)sizeof(c->name);
		     i++)
			len += snprintf(c->name + len, sizeof(c->name) - len,
					"%s%s", i ? "," : "", c->runs[i].name);
	else
		snprintf(c->name, sizeof(c->name), "%.*s",
			 (int)sizeof(c->name) - 1, base ? base + 1 : trimmed);
	for (i = 0; i < c->n; i++)
		free(dirs[i]);
	free(dirs);
}

struct column *columns_load_or_die(char **args, int n)
{
	struct column *cols = xcalloc(n, sizeof(*cols));
	int i;

	for (i = 0; i < n; i++)
		load_column(args[i], &cols[i]);
	return cols;
}

void columns_free(struct column *cols, int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < cols[i].n; j++)
			run_free(&cols[i].runs[j]);
		free(cols[i].runs);
	}
	free(cols);
}

void params_str(const struct kvset *p, char *buf, int len)
{
	int i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < p->n && n < len; i++) {
		char v[32];

		if (!strcmp(p->kv[i].key, "size"))
			fmt_size(v, sizeof(v), p->kv[i].val);
		else
			snprintf(v, sizeof(v), "%lld", (long long)p->kv[i].val);
		n += snprintf(buf + n, len - n, "%s%s=%s", i ? "," : "",
			      p->kv[i].key, v);
	}
}

bool group_match(const struct group *g, const struct record *r)
{
	char params[96];

	if (strcmp(g->scenario, r->scenario) || strcmp(g->backing, r->backing))
		return false;
	params_str(&r->params, params, sizeof(params));
	return !strcmp(g->params, params);
}

bool group_writes(const struct run *r, const struct group *g)
{
	int i;

	for (i = 0; i < r->nrec; i++) {
		const struct record *rec = &r->recs[i];

		if (rec->has_counts && group_match(g, rec) && rec->c.has_pages)
			return true;
	}
	return false;
}

/* r's groups that g does not hold yet, appended. */
static void add_groups(const struct run *r, struct group **out, int *ng)
{
	struct group *g = *out;
	int j, k;

	for (j = 0; j < r->nrec; j++) {
		const struct record *rec = &r->recs[j];

		for (k = 0; k < *ng && !group_match(&g[k], rec); k++)
			;
		if (k < *ng)
			continue;
		g = xrealloc(g, (*ng + 1) * sizeof(*g));
		snprintf(g[k].scenario, sizeof(g[k].scenario), "%s",
			 rec->scenario);
		snprintf(g[k].backing, sizeof(g[k].backing), "%s",
			 rec->backing);
		params_str(&rec->params, g[k].params, sizeof(g[k].params));
		(*ng)++;
	}
	*out = g;
}

int groups_collect(const struct run *runs, int n, struct group **out)
{
	int ng = 0, i;

	*out = NULL;
	for (i = 0; i < n; i++)
		add_groups(&runs[i], out, &ng);
	return ng;
}

int groups_collect_cols(const struct column *cols, int n, struct group **out)
{
	int ng = 0, i, j;

	*out = NULL;
	for (i = 0; i < n; i++)
		for (j = 0; j < cols[i].n; j++)
			add_groups(&cols[i].runs[j], out, &ng);
	return ng;
}

/* ---- metrics ---- */

static double per_op(const struct record *r, double v)
{
	return r->ops ? v / r->ops : NAN;
}

/* The median of batch means where the record has it (robust to a batch
 * the host interrupted), else the window's mean. */
static double t_op(const struct record *r)
{
	return r->t_op_ns > 0 ? r->t_op_ns : per_op(r, r->window_ns);
}

static double p50(const struct record *r)
{
	return r->has_lat ? hist_pct(&r->lat, 50) : NAN;
}

static double p99(const struct record *r)
{
	return r->has_lat ? hist_pct(&r->lat, 99) : NAN;
}

/* Per-page outcomes not taken are not a zero. */
static double pages_or_nan(const struct record *r, double v)
{
	return r->has_counts && r->c.has_pages ? v : NAN;
}

static double copies_op(const struct record *r)
{
	return tally_decided(&r->c.t) ?
		       pages_or_nan(r, per_op(r, r->c.t.copies)) :
		       NAN;
}

static double unnecessary(const struct record *r)
{
	return class_decided(&r->c.t, CLS_UNNECESSARY) ?
		       pages_or_nan(r, r->c.t.classes[CLS_UNNECESSARY]) :
		       NAN;
}

static double missed(const struct record *r)
{
	return pages_or_nan(r, r->c.t.classes[CLS_MISSED]);
}

static double wrong(const struct record *r)
{
	return pages_or_nan(r, r->c.t.classes[CLS_WRONG]);
}

static double unexplained(const struct record *r)
{
	return pages_or_nan(r, r->c.t.events[EV_UNEXPLAINED]);
}

/* Faults on the measured region; absent (not measured) is NAN, not 0. */
static double faults_op(const struct record *r)
{
	return !r->has_counts || r->c.faults < 0 ? NAN : per_op(r, r->c.faults);
}

static double tlb_op(const struct record *r)
{
	double sum = 0;
	int i;

	/* a partial sum is no count: any reason skipped makes it missing */
	if (!r->has_counts || r->c.tlb_flush.skip[0] || r->c.tlb_flush.nskip)
		return NAN;
	for (i = 0; i < r->c.tlb_flush.v.n; i++)
		sum += r->c.tlb_flush.v.kv[i].val;
	return per_op(r, sum);
}

static double extra_or_nan(const struct record *r, const char *key)
{
	int64_t v = kv_get(&r->c.extra, key, INT64_MIN);

	return v == INT64_MIN ? NAN : (double)v;
}

/* Cycles per op: missing when the set or the event was skipped. */
static double cycles_op(const struct record *r)
{
	int64_t v = kv_get(&r->c.hw.v, "cycles", -1);

	return !r->has_counts || r->c.hw.skip[0] || v < 0 ? NAN : per_op(r, v);
}

/*
 * Time per fault: the timing pass's window over the counting pass's faults
 * (per op both), where faults are few (FEW_FAULTS); elsewhere t/op says
 * it.  Not t/op: its median of batch means leaves out the few batches
 * that took a fault.
 */
static double t_fault(const struct record *timing,
		      const struct record *counting)
{
	double f = faults_op(counting);

	if (!(f > 0) || f * FEW_FAULTS > 1)
		return NAN;
	return per_op(timing, timing->window_ns) / f;
}

static double teardown(const struct record *r)
{
	return extra_or_nan(r, "teardown_ns_p50");
}

static double child_pte(const struct record *r)
{
	return extra_or_nan(r, "child_pte_kb");
}

const struct metric metrics[] = {
	{ "t/op", "ns", "timing", t_op, false, NULL },
	{ "t/fault", "ns", "timing", NULL, false, t_fault },
	{ "p50", "ns", "sampled", p50, false, NULL },
	{ "p99", "ns", "sampled", p99, false, NULL },
	{ "copies/op", "", "counting", copies_op, false, NULL },
	{ "unnec.copies", "", "counting", unnecessary, false, NULL },
	{ "missed COW", "", "counting", missed, true, NULL },
	{ "wrong COW", "", "counting", wrong, true, NULL },
	{ "unexplained", "", "counting", unexplained, true, NULL },
	{ "faults/op", "", "counting", faults_op, false, NULL },
	{ "tlb/op", "", "counting", tlb_op, false, NULL },
	{ "cycles/op", "", "counting", cycles_op, false, NULL },
	{ "teardown", "ns", "counting", teardown, false, NULL },
	{ "child PTEs", "kB", "counting", child_pte, false, NULL },
};
const int nr_metrics = ARRAY_SIZE(metrics);

const struct metric *metric_find(const char *name)
{
	int i;

	for (i = 0; i < nr_metrics; i++)
		if (!strcmp(metrics[i].name, name))
			return &metrics[i];
	return NULL;
}

/*
 * Timings of a disturbed or failed pass are left out; a verdict is taken
 * from every record that classified pages, whatever its status: a missed
 * COW in a perturbed repetition is still a missed COW.
 */
bool counted(const struct record *r, const struct metric *m)
{
	if (m->verdict)
		return r->has_counts && r->c.has_pages;
	return r->status == ST_OK && !r->perturbed[0];
}

/* The counting record of rec's repetition, counted for m, or NULL. */
static const struct record *counting_of(const struct run *r,
					const struct group *g,
					const struct record *rec,
					const struct metric *m)
{
	int i;

	for (i = 0; i < r->nrec; i++) {
		const struct record *c = &r->recs[i];

		if (c->rep == rec->rep && !strcmp(c->pass, "counting") &&
		    counted(c, m) && group_match(g, c))
			return c;
	}
	return NULL;
}

static double value_of(const struct run *r, const struct group *g,
		       const struct record *rec, const struct metric *m)
{
	const struct record *c;

	if (!m->join)
		return m->get(rec);
	c = counting_of(r, g, rec, m);
	return c ? m->join(rec, c) : NAN;
}

int samples(const struct run *r, const struct group *g, const struct metric *m,
	    double *out, int max)
{
	int i, n = 0;

	for (i = 0; i < r->nrec && n < max; i++) {
		const struct record *rec = &r->recs[i];
		double v;

		if (!counted(rec, m) || rec->rep < 0 ||
		    strcmp(rec->pass, m->pass) || !group_match(g, rec))
			continue;
		v = value_of(r, g, rec, m);
		if (!isnan(v))
			out[n++] = v;
	}
	return n;
}
