// SPDX-License-Identifier: GPL-2.0
/*
 * cowbench run: expand a matrix (config file and options) into scenario x
 * backing x params x repetition x pass, validate all of it before anything
 * runs, quiet the machine through the knobs module, run every pass in a
 * supervised process, append each record as it completes, print a summary.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis/runs.h"
#include "analysis/summary.h"
#include "builtin.h"
#include "lib/cfg.h"
#include "lib/clock.h"
#include "lib/env.h"
#include "lib/knobs.h"
#include "lib/result.h"
#include "lib/scenario.h"
#include "lib/topo.h"

struct combo {
	const struct scenario_ops *ops;
	int bk;
	struct kvset params;
};

struct settings {
	int reps, warmup, batch, timeout;
};

struct opts {
	const char *config, *outdir, *resume;
	const char *scen[64], *bk[16];
	int nscen, nbk, reps, quick;
};

#define MAX_COMBOS 4096
static struct combo combos[MAX_COMBOS];
static int ncombos;

/* ---- the config schema, built from the scenario table ---- */

static struct cfg_key schema[CFG_MAXKEYS * 4];
static int nschema;
static const char *scen_words[64], *bk_words[16];

static void add_key(const char *name, enum cfg_type t, int64_t min, int64_t max,
		    int maxv, const char *const *choices)
{
	int i;

	for (i = 0; i < nschema; i++)
		if (!strcmp(schema[i].name, name))
			return;
	schema[nschema++] =
		(struct cfg_key){ xstrdup(name), t, min, max, maxv, choices };
}

static void build_schema(void)
{
	char name[96];
	int i, j;

	for (i = 0; i < nr_scenarios; i++)
		scen_words[i] = scenarios[i]->name;
	scen_words[i] = "all";
	for (i = 0; i < nr_backings; i++)
		bk_words[i] = backings[i]->name;
	bk_words[i] = "all";
	add_key("scenarios", CFG_WORD, 0, 0, 64, scen_words);
	add_key("backings", CFG_WORD, 0, 0, 16, bk_words);
	add_key("reps", CFG_INT, 1, 1000, 1, NULL);
	add_key("warmup", CFG_INT, 0, 100, 1, NULL);
	add_key("batch", CFG_INT, 32, 65536, 1, NULL);
	add_key("timeout", CFG_INT, 1, 3600, 1, NULL);
	for (i = 0; i < nr_scenarios; i++) {
		for (j = 0; j < scenarios[i]->nparams; j++) {
			const struct param_spec *p = &scenarios[i]->params[j];

			add_key(p->name, p->type, p->min, p->max, CFG_MAXV,
				NULL);
			snprintf(name, sizeof(name), "%s.%s",
				 scenarios[i]->name, p->name);
			add_key(name, p->type, p->min, p->max, CFG_MAXV, NULL);
		}
	}
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cowbench run [CONFIG | -c CONFIG] [-s SCENARIO]... [-b BACKING]...\n"
		"                    [--reps N] [--quick] [-o DIR] [--resume DIR]\n\n"
		"  -c, --config FILE   run matrix (configs/quick.conf, configs/full.conf)\n"
		"  -s, --scenario S    only these scenarios (repeat, or a,b,c)\n"
		"  -b, --backing B     only these backings (repeat, or a,b)\n"
		"      --reps N        repetitions per combination\n"
		"      --quick         one repetition, the smallest value of each sweep\n"
		"  -o, --output DIR    the run directory (default results/<run-id>)\n"
		"      --resume DIR    continue an interrupted run in DIR\n\n"
		"Every pass runs in a supervised process; knobs are restored on exit,\n"
		"on SIGINT/SIGTERM, and by 'cowbench restore' after a SIGKILL.\n");
}

static void split_into(const char *arg, const char **out, int *n, int max)
{
	char *copy = xstrdup(arg), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*n == max)
			die(EXIT_USAGE, "run: too many values in '%s'", arg);
		out[(*n)++] = tok;
	}
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, 0, 'c' },
		{ "scenario", required_argument, 0, 's' },
		{ "backing", required_argument, 0, 'b' },
		{ "reps", required_argument, 0, 'r' },
		{ "quick", no_argument, 0, 'q' },
		{ "output", required_argument, 0, 'o' },
		{ "resume", required_argument, 0, 'R' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->reps = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:s:b:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			split_into(optarg, o->scen, &o->nscen, 64);
			break;
		case 'b':
			split_into(optarg, o->bk, &o->nbk, 16);
			break;
		case 'q':
			o->quick = 1;
			break;
		case 'o':
			o->outdir = optarg;
			break;
		case 'R':
			o->resume = optarg;
			break;
		case 'r':
			if (parse_int(optarg, &v) || v < 1 || v > 1000)
				die(EXIT_USAGE,
				    "run: --reps: '%s' is not a number in [1, 1000]",
				    optarg);
			o->reps = (int)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			die(EXIT_USAGE,
			    "run: %s '%s' (see 'cowbench run --help')",
			    optopt && strchr("csbo", optopt) ?
				    "option needs a value:" :
				    "unknown option",
			    argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (o->config || optind + 1 < argc)
			die(EXIT_USAGE, "run: unexpected argument '%s'",
			    argv[optind]);
		o->config = argv[optind];
	}
}

/* ---- matrix ---- */

static int in_list(const char *name, const char **list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], name) || !strcmp(list[i], "all"))
			return 1;
	return 0;
}

/* Where a value came from, for errors: "file:line" or the option. */
static void origin(const struct cfg *c, const char *key, char *buf, int len)
{
	const struct cfg_val *v = cfg_find(c, key);

	if (v)
		snprintf(buf, len, "%s:%d", c->file, v->line);
	else
		snprintf(buf, len, "run");
}

static const struct cfg_val *param_values(const struct cfg *c,
					  const struct scenario_ops *s,
					  const char *param, char *key, int len)
{
	const struct cfg_val *v;

	snprintf(key, len, "%s.%s", s->name, param);
	v = cfg_find(c, key);
	if (v)
		return v;
	snprintf(key, len, "%s", param);
	return cfg_find(c, param);
}

static void check_combo(const struct cfg *c, const struct combo *cb)
{
	const struct backing_ops *bk = backings[cb->bk];
	uint64_t pages = region_pages(cb->ops, &cb->params), avail;
	char where[300], key[96];
	int i;

	for (i = 0; i < cb->ops->nparams; i++) {
		param_values(c, cb->ops, cb->ops->params[i].name, key,
			     sizeof(key));
		origin(c, key, where, sizeof(where));
		if (pages % bk->unit_pages)
			die(EXIT_USAGE,
			    "%s: %s: %llu pages is not a multiple of %zu, as backing %s needs",
			    where, cb->ops->name, (unsigned long long)pages,
			    bk->unit_pages, bk->name);
	}
	avail = mem_available();
	if (avail && pages * PAGE_SZ * 2 > avail) {
		param_values(c, cb->ops, cb->ops->params[0].name, key,
			     sizeof(key));
		origin(c, key, where, sizeof(where));
		die(EXIT_USAGE,
		    "%s: %s: %llu MiB (twice the region, for the copies) is more than MemAvailable (%llu MiB)",
		    where, cb->ops->name,
		    (unsigned long long)(pages * PAGE_SZ * 2 >> 20),
		    (unsigned long long)(avail >> 20));
	}
}

static void expand_params(const struct cfg *c, const struct opts *o,
			  struct combo *cb, int depth)
{
	const struct param_spec *p;
	const struct cfg_val *v;
	const int64_t *vals;
	int64_t lo;
	char key[96];
	int i, n;

	if (depth == cb->ops->nparams) {
		check_combo(c, cb);
		if (ncombos == MAX_COMBOS)
			die(EXIT_USAGE, "run: more than %d combinations",
			    MAX_COMBOS);
		combos[ncombos++] = *cb;
		return;
	}
	p = &cb->ops->params[depth];
	v = param_values(c, cb->ops, p->name, key, sizeof(key));
	vals = v ? v->v : p->def;
	n = v ? v->n : p->ndef;
	if (o->quick) {
		for (lo = vals[0], i = 1; i < n; i++)
			lo = vals[i] < lo ? vals[i] : lo;
		kv_set(&cb->params, p->name, lo);
		expand_params(c, o, cb, depth + 1);
		return;
	}
	for (i = 0; i < n; i++) {
		struct combo next = *cb;

		kv_set(&next.params, p->name, vals[i]);
		expand_params(c, o, &next, depth + 1);
	}
}

static void select_list(const struct cfg *c, const char *key,
			const char *const *cli, int ncli, const char **out,
			int *n)
{
	const struct cfg_val *v = cfg_find(c, key);
	int i;

	*n = 0;
	if (ncli) {
		for (i = 0; i < ncli; i++)
			out[(*n)++] = cli[i];
	} else if (v) {
		for (i = 0; i < v->n; i++)
			out[(*n)++] = v->w[i];
	} else {
		out[(*n)++] = "all";
	}
}

static void build_matrix(const struct cfg *c, const struct opts *o)
{
	const char *sel_s[64], *sel_b[16];
	int ns, nb, i, j, found;

	select_list(c, "scenarios", o->scen, o->nscen, sel_s, &ns);
	select_list(c, "backings", o->bk, o->nbk, sel_b, &nb);
	for (i = 0; i < o->nscen; i++)
		if (strcmp(o->scen[i], "all") && !scenario_find(o->scen[i]))
			die(EXIT_USAGE,
			    "run: -s: unknown scenario '%s' (see 'cowbench list')",
			    o->scen[i]);
	for (i = 0; i < o->nbk; i++)
		if (strcmp(o->bk[i], "all") && backing_index(o->bk[i]) < 0)
			die(EXIT_USAGE,
			    "run: -b: unknown backing '%s' (see 'cowbench list')",
			    o->bk[i]);
	for (i = 0; i < nr_scenarios; i++) {
		if (!in_list(scenarios[i]->name, sel_s, ns))
			continue;
		for (found = 0, j = 0; j < nr_backings; j++) {
			struct combo cb = { scenarios[i], j, { 0 } };

			if (!in_list(backings[j]->name, sel_b, nb) ||
			    !(scenarios[i]->backings & (1u << j)))
				continue;
			found = 1;
			expand_params(c, o, &cb, 0);
		}
		if (!found)
			die(EXIT_USAGE,
			    "run: scenario %s runs on none of the selected backings (see 'cowbench list')",
			    scenarios[i]->name);
	}
	if (!ncombos)
		die(EXIT_USAGE, "run: the matrix is empty");
}

static void settings_from(const struct cfg *c, const struct opts *o,
			  struct settings *s)
{
	const struct cfg_val *v;

	*s = (struct settings){ 5, 1, 32, 120 };
	if ((v = cfg_find(c, "reps")))
		s->reps = (int)v->v[0];
	if ((v = cfg_find(c, "warmup")))
		s->warmup = (int)v->v[0];
	if ((v = cfg_find(c, "batch")))
		s->batch = (int)v->v[0];
	if ((v = cfg_find(c, "timeout")))
		s->timeout = (int)v->v[0];
	if (o->reps > 0)
		s->reps = o->reps;
	if (o->quick) {
		s->reps = 1;
		s->warmup = 0;
	}
}

/*
 * Same digest, same matrix (scenarios, backings, params, batch; not the
 * repetitions): what 'regress' compares like with like by.
 */
static void matrix_digest(const struct settings *s, char out[17])
{
	uint64_t h = fnv1a(&s->batch, sizeof(s->batch), FNV_SEED);
	int i, j;

	for (i = 0; i < ncombos; i++) {
		h = fnv1a(combos[i].ops->name, strlen(combos[i].ops->name), h);
		h = fnv1a(backings[combos[i].bk]->name,
			  strlen(backings[combos[i].bk]->name), h);
		for (j = 0; j < combos[i].params.n; j++)
			h = fnv1a(&combos[i].params.kv[j].val, 8, h);
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* ---- resume ---- */

struct done {
	int n;
	char **keys;
};

static int is_done(const struct done *d, const char *key)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->keys[i], key))
			return 1;
	return 0;
}

/* Refuse to resume under another environment, naming what differs. */
static void check_resume_env(const struct run *old, struct env *e,
			     struct topo *t)
{
	char err[200], diff[400] = "";
	struct jval *now;
	struct jw w;
	size_t i;
	int n = 0;

	jw_init(&w);
	env_write_json(&w, e, t, NULL);
	now = json_parse(w.buf, err, sizeof(err));
	jw_free(&w);
	if (!strcmp(old->env_id, e->id)) {
		json_free(now);
		return;
	}
	for (i = 0; now && i < now->n && n < (int)sizeof(diff) - 40; i++) {
		const char *k = now->keys[i];

		if (strcmp(k, "id") && strcmp(k, "created") &&
		    strcmp(k, "clock") && strcmp(k, "run") &&
		    strcmp(k, "matrix") &&
		    !json_equal(&now->items[i], json_get(old->env, k)))
			n += snprintf(diff + n, sizeof(diff) - n, "%s%s",
				      n ? ", " : "", k);
	}
	die(EXIT_USAGE,
	    "run: --resume: the environment differs from %s/env.json in: %s",
	    old->dir, n ? diff : "its id");
}

/* A killed run may end in a torn line: cut it, the pass runs again. */
static void cut_torn_tail(const char *dir)
{
	char path[600], *text;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/results.jsonl", dir);
	text = slurp(path, &len);
	if (!text)
		die(EXIT_USAGE, "run: --resume: %s: %s", path, strerror(errno));
	while (len && text[len - 1] != '\n')
		len--;
	free(text);
	if (truncate(path, len))
		die(1, "run: --resume: truncate %s: %s", path, strerror(errno));
}

/* What an interrupted run recorded: skipped now, and in the summary. */
static void load_done(const char *dir, struct env *e, struct topo *t,
		      struct done *d, struct summary *sum)
{
	char err[800], key[400];
	struct run old;
	int i;

	cut_torn_tail(dir);
	if (run_load(dir, &old, err, sizeof(err)))
		die(EXIT_USAGE, "run: --resume: %s", err);
	check_resume_env(&old, e, t);
	for (i = 0; i < old.nrec; i++) {
		record_key(&old.recs[i], key, sizeof(key));
		d->keys = xrealloc(d->keys, (d->n + 1) * sizeof(char *));
		d->keys[d->n++] = xstrdup(key);
		if (old.recs[i].rep >= 0)
			summary_add(sum, &old.recs[i]);
	}
	run_free(&old);
}

/* ---- the machine ---- */

static void fatal_signal(int sig)
{
	knobs_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void quiet_machine(FILE *log)
{
	static const struct {
		const char *path, *val;
	} knobs[] = {
		{ "/proc/sys/vm/compaction_proactiveness", "0" },
		{ "/proc/sys/kernel/numa_balancing", "0" },
		{ "/sys/kernel/mm/transparent_hugepage/shrink_underused", "0" },
		{ "/sys/kernel/mm/ksm/run", "0" },
	};
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		if (access(knobs[i].path, F_OK))
			continue;
		ret = knob_set(knobs[i].path, knobs[i].val);
		if (ret)
			fprintf(log, "warning: %s: %s\n", knobs[i].path,
				strerror(-ret));
	}
	ret = knob_mount("tracefs", "/sys/kernel/tracing");
	if (ret)
		fprintf(log, "warning: mount tracefs: %s\n", strerror(-ret));
}

static void take_over_state(void)
{
	int n = knobs_restore_file(knobs_state_path(), 0);

	if (n < 0)
		die(EXIT_USAGE, "run: another cowbench is running (%s)",
		    knobs_state_path());
	if (n > 0)
		warnx("restored %d knob(s) left by a killed run", n);
}

static void make_run_id(char *buf, int len)
{
	char host[64] = "host";
	time_t t = time(NULL);
	char ts[32];

	gethostname(host, sizeof(host) - 1);
	strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", localtime(&t));
	snprintf(buf, len, "%s-%s", ts, host);
}

static void mkdir_p(const char *dir)
{
	char tmp[512], *p;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		die(1, "run: mkdir %s: %s", dir, strerror(errno));
}

/* ---- running ---- */

struct runner {
	struct settings set;
	struct topo topo;
	struct env env;
	char run_id[128], dir[512];
	int fd, isatty, total, done_n;
	FILE *log;
	struct summary *sum;
	struct done done;
	struct record *rec;
};

static void progress(struct runner *R, const struct combo *cb, int rep,
		     const char *pass, const struct record *r)
{
	char params[96];

	params_str(&cb->params, params, sizeof(params));
	fprintf(R->log, "[%d/%d] %s %s %s rep %d %s: %s%s%s\n", R->done_n,
		R->total, cb->ops->name, backings[cb->bk]->name, params, rep,
		pass, rec_status_names[r->status], r->reason[0] ? ": " : "",
		r->reason);
	fflush(R->log);
	if (R->isatty)
		fprintf(stderr, "\r\033[K[%d/%d] %s %s %s rep %d %s", R->done_n,
			R->total, cb->ops->name, backings[cb->bk]->name, params,
			rep, pass);
	else if (!strcmp(pass, "counting") || r->status != ST_OK)
		fprintf(stderr, "[%d/%d] %s %s %s rep %d: %s%s%s\n", R->done_n,
			R->total, cb->ops->name, backings[cb->bk]->name, params,
			rep, rec_status_names[r->status],
			r->reason[0] ? ": " : "", r->reason);
}

static void finish(struct runner *R, int status)
{
	knobs_restore();
	if (R->isatty)
		fprintf(stderr, "\r\033[K");
	exit(status);
}

/* The keys that say which pass of which run a record is. */
static void identify(const struct runner *R, const struct combo *cb, int rep,
		     enum pass pass, struct record *r)
{
	snprintf(r->run, sizeof(r->run), "%s", R->run_id);
	snprintf(r->scenario, sizeof(r->scenario), "%s", cb->ops->name);
	snprintf(r->backing, sizeof(r->backing), "%s", backings[cb->bk]->name);
	snprintf(r->pass, sizeof(r->pass), "%s", pass_names[pass]);
	snprintf(r->env, sizeof(r->env), "%s", R->env.id);
	r->params = cb->params;
	r->rep = rep;
}

static void run_pass(struct runner *R, const struct combo *cb, int rep,
		     enum pass pass)
{
	struct pass_args a = { cb->ops,
			       backings[cb->bk],
			       &cb->params,
			       pass,
			       R->set.batch,
			       R->topo.writer_cpu,
			       R->topo.other_cpu,
			       R->set.timeout,
			       R->dir };
	struct record *r = R->rec;
	char key[400];
	int sig, ret;

	record_init(r);
	identify(R, cb, rep, pass, r);
	record_key(r, key, sizeof(key));
	R->done_n++;
	if (rep >= 0 && is_done(&R->done, key))
		return;
	sig = harness_run_pass(&a, r);
	if (sig) {
		fprintf(stderr,
			"\ncowbench: interrupted by signal %d; knobs restored; %s can be resumed with --resume\n",
			sig, R->dir);
		finish(R, 128 + sig);
	}
	identify(R, cb, rep, pass, r); /* the harness filled the rest */
	progress(R, cb, rep, pass_names[pass], r);
	if (rep < 0)
		return; /* warm-up repetition: not recorded */
	ret = result_append(R->fd, r);
	if (ret)
		die(1, "run: writing results: %s", strerror(-ret));
	summary_add(R->sum, r);
}

static void run_matrix(struct runner *R)
{
	int i, rep, p;

	R->total = ncombos * (R->set.reps + R->set.warmup) * PASS_NR;
	for (i = 0; i < ncombos; i++)
		for (rep = -R->set.warmup; rep < R->set.reps; rep++)
			for (p = 0; p < PASS_NR; p++)
				run_pass(R, &combos[i], rep, p);
}

static void setup_dir(struct runner *R, const struct opts *o)
{
	char path[600];
	struct stat st;

	make_run_id(R->run_id, sizeof(R->run_id));
	if (o->resume) {
		const char *slash = strrchr(o->resume, '/');

		snprintf(R->dir, sizeof(R->dir), "%s", o->resume);
		while (slash && !slash[1] && slash > o->resume)
			slash--; /* "dir/" */
		snprintf(R->run_id, sizeof(R->run_id), "%s",
			 slash && slash[1] ? slash + 1 : o->resume);
	} else if (o->outdir) {
		snprintf(R->dir, sizeof(R->dir), "%s", o->outdir);
	} else {
		snprintf(R->dir, sizeof(R->dir), "results/%s", R->run_id);
	}
	snprintf(path, sizeof(path), "%s/results.jsonl", R->dir);
	if (!o->resume && !stat(path, &st))
		die(EXIT_USAGE,
		    "run: %s exists (use --resume %s to continue it)", path,
		    R->dir);
	if (o->resume && stat(path, &st))
		die(EXIT_USAGE, "run: --resume: %s: %s", path, strerror(errno));
}

static void header(struct runner *R, FILE *f)
{
	fprintf(f, "cowbench run %s: %s, %s, accelerator %s, THP %s\n",
		R->run_id, R->env.label, R->topo.summary, R->env.accel,
		R->env.thp);
	fprintf(f,
		"clock %s: a timestamp pair costs %.1f ns (p99 %.1f ns); writer on CPU %d, other side on CPU %d\n",
		cb_clock.source, cb_clock.pair_ns, cb_clock.pair_ns_p99,
		R->topo.writer_cpu, R->topo.other_cpu);
	fprintf(f,
		"%d combination(s) x (%d rep(s) + %d warm-up) x 3 passes, results in %s/\n",
		ncombos, R->set.reps, R->set.warmup, R->dir);
}

static const char legend[] =
	"t/op   time per op, batched timing pass (one clock pair per batch),\n"
	"       median over repetitions of each repetition's mean\n"
	"p99    99th percentile of the sampled pass (one clock pair per op)\n"
	"ovh-b  the clock's own cost per op in the batched pass, % of t/op\n"
	"ovh-s  the same for the sampled pass, % of its p50 (not subtracted)\n"
	"copies, reuses  pages whose PFN changed / stayed, counting pass\n"
	"reuse, nec, unn, miss, wrong  the five classes (DESIGN.md section 4):\n"
	"       reuse, necessary copy, unnecessary copy, missed COW, wrong COW\n"
	"popul  first touches and zero-page replacements (allocations)\n"
	"       '~' marks a count that differed between repetitions (median)\n"
	"flt/op, tlb/op  page faults and TLB flushes (all reasons but\n"
	"       remote_send_ipi) per op, counting pass\n";

int cmd_run(int argc, char **argv)
{
	static struct runner R;
	struct cfg *c = xcalloc(1, sizeof(*c));
	struct run_info ri;
	char err[512], path[600];
	struct opts o;
	sigset_t set;

	build_schema();
	parse_opts(argc, argv, &o);
	if (o.config &&
	    cfg_parse_file(schema, nschema, o.config, c, err, sizeof(err)))
		die(EXIT_USAGE, "%s", err);
	settings_from(c, &o, &R.set);
	build_matrix(c, &o);
	free(c); /* the matrix holds values, not pointers into it */
	setup_dir(&R, &o);
	if (geteuid())
		die(EXIT_USAGE,
		    "run: needs root (pagemap PFNs, tracefs, knobs, perf tracepoints)");

	/* From here on: signals only where the supervisor waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGSEGV, fatal_signal);
	signal(SIGBUS, fatal_signal);
	signal(SIGABRT, fatal_signal);
	signal(SIGFPE, fatal_signal);
	atexit(knobs_restore);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	take_over_state();

	clock_init();
	if (topo_init(&R.topo, err, sizeof(err)))
		die(1, "%s", err);
	topo_pin(R.topo.other_cpu);
	env_collect(&R.env);
	R.sum = summary_new();
	R.rec = xmalloc(sizeof(*R.rec));
	mkdir_p(R.dir);
	snprintf(path, sizeof(path), "%s/run.log", R.dir);
	R.log = fopen(path, "a");
	if (!R.log)
		die(1, "run: %s: %s", path, strerror(errno));
	/* env.json describes the machine as the run leaves it: quieted */
	quiet_machine(R.log);
	if (o.resume) {
		load_done(R.dir, &R.env, &R.topo, &R.done, R.sum);
	}
	ri.run = R.run_id;
	ri.config = o.config ? o.config : "";
	matrix_digest(&R.set, ri.matrix);
	if (!o.resume && env_write_file(R.dir, &R.env, &R.topo, &ri))
		die(1, "run: writing %s/env.json: %s", R.dir, strerror(errno));
	R.fd = result_open(R.dir);
	if (R.fd < 0)
		die(1, "run: %s/results.jsonl: %s", R.dir, strerror(-R.fd));
	R.isatty = isatty(2);
	header(&R, stdout);
	header(&R, R.log);
	fflush(stdout);
	run_matrix(&R);
	knobs_restore();
	if (R.isatty)
		fprintf(stderr, "\r\033[K");
	printf("\n");
	summary_print(R.sum, stdout);
	printf("\n%s\nresults: %s/ (compare with: cowbench compare %s OTHER_RUN)\n",
	       legend, R.dir, R.dir);
	fclose(R.log);
	return 0;
}
