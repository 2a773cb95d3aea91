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
#include "lib/plan.h"
#include "lib/topo.h"
#include "lib/window.h"

struct opts {
	const char *outdir, *resume, *label;
	const char *scen[64], *bk[64];
	struct plan_sel sel;
	int runs; /* 0: one run, no group */
	bool shuffle;
	unsigned int seed; /* of the combinations' order */
};

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cowbench run [CONFIG | -c CONFIG] [-s SCENARIO]... [-b BACKING]...\n"
		"                    [--reps N] [--quick] [-o DIR] [--resume DIR]\n"
		"                    [--runs K] [--label TEXT] [--shuffle SEED]\n\n"
		"  -c, --config FILE   run matrix (configs/quick.conf, configs/full.conf)\n"
		"  -s, --scenario S    only these scenarios (repeat, or a,b,c)\n"
		"  -b, --backing B     only these backings (repeat, or a,b)\n"
		"      --reps N        repetitions per combination\n"
		"      --quick         one repetition, the smallest value of each sweep\n"
		"  -o, --output DIR    the run directory (default results/<run-id>)\n"
		"      --resume DIR    continue an interrupted run in DIR\n"
		"      --runs K        K independent runs, each a fresh process, into\n"
		"                      DIR/run-1..run-K with DIR/group.json; each runs\n"
		"                      the combinations in its own random order\n"
		"      --label TEXT    the run's name in compare and plots (env.json)\n"
		"      --shuffle SEED  run the combinations in a random order\n\n"
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

/* A label is a column header: printable, one line, not too long. */
static void check_label(const char *s)
{
	const char *p;

	if (!*s || strlen(s) > 100)
		die(EXIT_USAGE, "run: --label: 1 to 100 characters, got %zu",
		    strlen(s));
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			die(EXIT_USAGE,
			    "run: --label: control character at offset %td",
			    p - s);
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
		{ "runs", required_argument, 0, 'K' },
		{ "label", required_argument, 0, 'L' },
		{ "shuffle", required_argument, 0, 'S' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->sel.reps = -1;
	o->sel.reg = &cowbench_registry;
	o->sel.scen = o->scen;
	o->sel.bk = o->bk;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:s:b:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->sel.config = optarg;
			break;
		case 's':
			split_into(optarg, o->scen, &o->sel.nscen, 64);
			break;
		case 'b':
			split_into(optarg, o->bk, &o->sel.nbk, 64);
			break;
		case 'q':
			o->sel.quick = true;
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
			o->sel.reps = (int)v;
			break;
		case 'K':
			if (parse_int(optarg, &v) || v < 1 || v > 100)
				die(EXIT_USAGE,
				    "run: --runs: '%s' is not a number in [1, 100]",
				    optarg);
			o->runs = (int)v;
			break;
		case 'S':
			if (parse_int(optarg, &v) || v < 0 || v > UINT32_MAX)
				die(EXIT_USAGE,
				    "run: --shuffle: '%s' is not a seed in [0, %u]",
				    optarg, UINT32_MAX);
			o->shuffle = true;
			o->seed = (unsigned int)v;
			break;
		case 'L':
			check_label(optarg);
			o->label = optarg;
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
		if (o->sel.config || optind + 1 < argc)
			die(EXIT_USAGE, "run: unexpected argument '%s'",
			    argv[optind]);
		o->sel.config = argv[optind];
	}
	if (o->runs && o->resume)
		die(EXIT_USAGE,
		    "run: --runs and --resume: resume each run of a group alone");
}

/* ---- resume ---- */

struct done {
	int n;
	char **keys;
	size_t *warm; /* a counting record's allocated() */
};

/* The index of a recorded pass, or -1. */
static int find_done(const struct done *d, const char *key)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->keys[i], key))
			return i;
	return -1;
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

/*
 * cow_policy = P: a policy kernel's run-time switch, through the knobs
 * (undone at the end); before env.json reads the policy in force.
 */
static void check_cow_policy(const char *p)
{
	if (*p && access(COW_POLICY_SYSCTL, F_OK))
		die(EXIT_USAGE,
		    "run: cow_policy = %s: this kernel has no %s (the cowbench policy patch, configs/policies/)",
		    p, COW_POLICY_SYSCTL);
}

static void set_cow_policy(const char *p)
{
	int ret;

	if (!*p)
		return;
	ret = knob_set(COW_POLICY_SYSCTL, p);
	if (ret)
		die(1, "run: %s = %s: %s", COW_POLICY_SYSCTL, p,
		    strerror(-ret));
}

/* One run at a time; what a killed run left changed is undone first. */
static void take_over_state(void)
{
	int n = knobs_lock();
	pid_t alive;

	if (n > 0)
		die(EXIT_USAGE,
		    "run: another cowbench run (pid %d) holds %s.lock", n,
		    knobs_state_path());
	if (n < 0)
		die(EXIT_USAGE, "run: cannot take %s.lock: %s",
		    knobs_state_path(),
		    n == -1 ? "held by another run" : strerror(-n));
	n = knobs_restore_file(knobs_state_path(), &alive);
	if (alive)
		die(1, "run: process group %d of a killed run outlived SIGKILL",
		    (int)alive);
	if (n > 0)
		warnx("restored %d value(s) left by a killed run", n);
}

/*
 * $COWBENCH_RUN_TAG, checked: what makes the id unique when time and host
 * are not (the matrix's job id and machine: jobs of one guest kernel share
 * its hostname and may start in the same second).
 */
static const char *run_tag(void)
{
	const char *tag = getenv("COWBENCH_RUN_TAG");

	if (!tag || !*tag)
		return NULL;
	if (strlen(tag) > 80 ||
	    strspn(tag, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789._+@-") != strlen(tag))
		die(EXIT_USAGE,
		    "run: COWBENCH_RUN_TAG '%.100s': up to 80 of A-Z a-z 0-9 . _ + @ -",
		    tag);
	return tag;
}

/* time-host, then -TAG when $COWBENCH_RUN_TAG names one */
static void make_run_id(char *buf, int len)
{
	const char *tag = run_tag();
	char host[64] = "host";
	time_t t = time(NULL);
	char ts[32];

	gethostname(host, sizeof(host) - 1);
	strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", localtime(&t));
	snprintf(buf, len, "%s-%.40s%s%s", ts, host, tag ? "-" : "",
		 tag ? tag : "");
}

/* ---- running ---- */

struct runner {
	struct plan plan;
	struct settings set;
	struct topo topo;
	struct env env;
	char run_id[128], dir[512];
	struct run_info ri;
	struct run_end end;
	int *order; /* the combinations, in the order they run */
	int fd, isatty, total, done_n;
	FILE *log;
	struct summary *sum;
	struct done done;
	struct record *rec;
	const struct run_sink *sink; /* a command's own report (check) */
	size_t warm_pages; /* pass_args.warm_pages of the next pass */
	struct record *held; /* the combination's records so far */
	int nheld;
	const struct combo *held_cb;
	char said[256]; /* the combination's skip printed last */
	int skipped_reps; /* in a row, every pass skipped */
};

/*
 * Pages a counting pass's window allocated: what the next windows warm
 * (harness.c warm_window()).  Exact whenever pages were viewed, whatever
 * the verdict (a failing kernel is warmed as its baseline is); an
 * undecided page kept its PFN.  No page view: the whole region.
 */
static size_t allocated(const struct record *r)
{
	const struct tally *t = &r->c.t;

	/* a pass that ended early has an empty tally: nothing is known */
	if (!r->c.has_pages || (r->status != ST_OK && r->status != ST_FAIL))
		return WARM_ALL;
	/* a swap-in reads into a fresh page, whether it is then reused */
	return t->copies + t->events[EV_POPULATE] + t->events[EV_SWAPIN] +
	       t->events[EV_SWAPIN_REUSE] + t->events[EV_SWAPIN_COPY];
}

/*
 * What an interrupted run recorded: skipped now, and in the summary.  The
 * run goes on under its own id and start (-o DIR named neither).
 */
static void load_done(struct runner *R)
{
	char err[800], key[400];
	struct done *d = &R->done;
	struct run old;
	int i;

	cut_torn_tail(R->dir);
	if (run_load(R->dir, &old, err, sizeof(err)))
		die(EXIT_USAGE, "run: --resume: %s", err);
	check_resume_env(&old, &R->env, &R->topo);
	if (old.name[0] && strcmp(old.name, "?"))
		snprintf(R->run_id, sizeof(R->run_id), "%s", old.name);
	if (old.created[0] && strcmp(old.created, "?"))
		snprintf(R->ri.created, sizeof(R->ri.created), "%s",
			 old.created);
	for (i = 0; i < old.nrec; i++) {
		record_key(&old.recs[i], key, sizeof(key));
		d->keys = xrealloc(d->keys, (d->n + 1) * sizeof(char *));
		d->warm = xrealloc(d->warm, (d->n + 1) * sizeof(*d->warm));
		d->warm[d->n] = allocated(&old.recs[i]);
		d->keys[d->n++] = xstrdup(key);
		if (old.recs[i].rep >= 0 && !record_is_verdict(&old.recs[i]))
			summary_add(R->sum, &old.recs[i]);
	}
	run_free(&old);
}

/* A skip said already for this combination: once on stderr, all in the log. */
static bool quiet_skip(struct runner *R, const struct record *r)
{
	const char *why = r->reason;
	const char *same = strstr(why, " (every pass of ");

	if (r->status != ST_SKIP)
		return false;
	if (!strncmp(R->said, why,
		     same ? (size_t)(same - why) : strlen(why) + 1))
		return true;
	snprintf(R->said, sizeof(R->said), "%s", why);
	return false;
}

static void progress(struct runner *R, const struct combo *cb, int rep,
		     const char *pass, const struct record *r)
{
	char params[96];

	params_str(&cb->params, params, sizeof(params));
	fprintf(R->log, "[%d/%d] %s %s %s rep %d %s: %s%s%s\n", R->done_n,
		R->total, cb->ops->name, cb->bk.name, params, rep, pass,
		rec_status_names[r->status], r->reason[0] ? ": " : "",
		r->reason);
	fflush(R->log);
	if (R->isatty)
		fprintf(stderr, "\r\033[K[%d/%d] %s %s %s rep %d %s", R->done_n,
			R->total, cb->ops->name, cb->bk.name, params, rep,
			pass);
	else if (quiet_skip(R, r))
		return;
	else if (!strcmp(pass, "counting") || r->status != ST_OK)
		fprintf(stderr, "[%d/%d] %s %s %s rep %d: %s%s%s\n", R->done_n,
			R->total, cb->ops->name, cb->bk.name, params, rep,
			rec_status_names[r->status], r->reason[0] ? ": " : "",
			r->reason);
}

/* env.json again, with what the whole run saw (its end marker). */
static void mark_end(struct runner *R, int status)
{
	/* test fault: the environment changes under the run */
	if (test_fault("env-drift"))
		setenv("COWBENCH_MACHINE", "env-drift", 1);
	env_run_end(&R->end, status);
	R->ri.end = &R->end;
	if (env_write_file(R->dir, &R->env, &R->topo, &R->ri))
		warnx("run: rewriting %s/env.json: %s", R->dir,
		      strerror(errno));
}

static void flush_held(struct runner *R);

static void finish(struct runner *R, int status)
{
	flush_held(R);
	mark_end(R, status);
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
	snprintf(r->backing, sizeof(r->backing), "%s", cb->bk.name);
	snprintf(r->pass, sizeof(r->pass), "%s", pass_names[pass]);
	snprintf(r->env, sizeof(r->env), "%s", R->env.id);
	r->params = cb->params;
	r->rep = rep;
}

static void record_out(struct runner *R, const struct combo *cb, int rep,
		       enum pass pass, struct record *r)
{
	identify(R, cb, rep, pass, r); /* the harness filled the rest */
	progress(R, cb, rep, pass_names[pass], r);
	if (rep < 0)
		return; /* warm-up repetition: not recorded */
	R->held = xrealloc(R->held, (R->nheld + 1) * sizeof(*R->held));
	R->held[R->nheld++] = *r;
	R->held_cb = cb;
}

/*
 * A combination's records are written when its repetitions are done, so
 * that they are screened together (window_screen_regimes()); an interrupt
 * writes what there is.
 */
static void flush_held(struct runner *R)
{
	int i, ret;

	window_screen_regimes(R->held, R->nheld);
	for (i = 0; i < R->nheld; i++) {
		ret = result_append(R->fd, &R->held[i]);
		if (ret)
			die(1, "run: writing results: %s", strerror(-ret));
		summary_add(R->sum, &R->held[i]);
		if (R->sink)
			R->sink->record(R->sink->ctx, R->held_cb, &R->held[i]);
	}
	R->nheld = 0;
}

/*
 * 1 if the pass is already in the results (--resume); a counting pass
 * found there still says what the next windows warm.
 */
static int skip_done(struct runner *R, const struct combo *cb, int rep,
		     enum pass pass)
{
	struct record *r = R->rec;
	char key[400];
	int i;

	record_init(r);
	identify(R, cb, rep, pass, r);
	record_key(r, key, sizeof(key));
	R->done_n++;
	i = rep >= 0 ? find_done(&R->done, key) : -1;
	if (i >= 0 && pass == PASS_COUNTING)
		R->warm_pages = R->done.warm[i];
	return i >= 0;
}

/* The record's status, or -1 when --resume found the pass done. */
static int run_pass(struct runner *R, const struct combo *cb, int rep,
		    enum pass pass, const char *skip)
{
	struct pass_args a = { cb->ops,
			       &cb->bk,
			       &cb->params,
			       pass,
			       R->set.batch,
			       R->topo.writer_cpu,
			       R->topo.other_cpu,
			       R->set.timeout,
			       R->dir,
			       R->warm_pages };
	struct record *r = R->rec;
	int sig;

	if (skip_done(R, cb, rep, pass))
		return -1;
	if (skip) {
		r->status = skip[0] == '!' ? ST_ERROR : ST_SKIP;
		snprintf(r->reason, sizeof(r->reason), "%s", skip + 1);
		record_out(R, cb, rep, pass, r);
		return r->status;
	}
	sig = harness_run_pass(&a, r);
	if (sig)
		flush_held(R); /* before a Bail out! */
	if (sig && R->sink && R->sink->bail) {
		R->sink->bail(R->sink->ctx, sig);
		fprintf(stderr,
			"\ncowbench: interrupted by signal %d; knobs restored; records so far in %s\n",
			sig, R->dir);
		finish(R, 128 + sig);
	}
	if (sig) {
		fprintf(stderr,
			"\ncowbench: interrupted by signal %d; knobs restored; %s can be resumed with --resume\n",
			sig, R->dir);
		finish(R, 128 + sig);
	}
	record_out(R, cb, rep, pass, r);
	if (pass == PASS_COUNTING)
		R->warm_pages = allocated(r);
	return r->status;
}

static unsigned int passes_of(const struct runner *R,
			      const struct scenario_ops *ops)
{
	return (ops->passes ? ops->passes : PASSES_ALL) &
	       (R->sink ? R->sink->passes : PASSES_ALL);
}

/*
 * Two repetitions in a row whose every pass skipped found a precondition
 * missing (no zero page on a read fault, ...), not a passing shortage (a
 * THP not obtained once): the combination's later passes are recorded as
 * skipped for the same reason, not run and retried again.
 */
static void run_rep(struct runner *R, const struct combo *cb, int rep,
		    char *skip, int len)
{
	int p, st, ran = 0, skipped = 0;

	for (p = 0; p < PASS_NR; p++) {
		if (!(passes_of(R, cb->ops) & (1u << p)))
			continue;
		st = run_pass(R, cb, rep, p, skip[0] ? skip : NULL);
		ran += st >= 0;
		skipped += st == ST_SKIP;
	}
	R->skipped_reps = ran && skipped == ran ? R->skipped_reps + 1 : 0;
	if (!skip[0] && R->skipped_reps >= 2)
		snprintf(skip, len, "-%.180s (every pass of reps %d and %d)",
			 R->rec->reason, rep - 1, rep);
}

/*
 * The backing's resources (a zram device, a hugetlb pool, ...) for one
 * combination; what could not be set up is a skip ('-') or an error ('!')
 * recorded for every pass, never a silently missing row.
 */
static void run_combo(struct runner *R, const struct combo *cb)
{
	const struct backing_ops *bk = cb->bk.ops;
	off_t mark = knobs_mark();
	char why[240] = "", skip[242] = "";
	int rep, ret;

	if (R->sink)
		R->sink->combo_begin(R->sink->ctx, cb);
	if (cb->skip[0])
		snprintf(why, sizeof(why), "%s", cb->skip);
	ret = cb->skip[0] ? 1 :
	      bk->setup ? bk->setup(&cb->bk, region_pages(cb->ops, &cb->params),
				    why, sizeof(why)) :
			  0;
	if (ret)
		snprintf(skip, sizeof(skip), "%c%s", ret < 0 ? '!' : '-', why);
	R->warm_pages = WARM_ALL;
	R->said[0] = 0;
	R->skipped_reps = 0;
	for (rep = -cb->warmup; rep < cb->reps; rep++)
		run_rep(R, cb, rep, skip, sizeof(skip));
	knobs_restore_since(mark);
	flush_held(R);
	if (R->sink)
		R->sink->combo_done(R->sink->ctx, cb);
}

static void run_matrix(struct runner *R)
{
	int i, p;

	for (i = 0; i < R->plan.n; i++)
		for (p = 0; p < PASS_NR; p++)
			if (passes_of(R, R->plan.combos[i].ops) & (1u << p))
				R->total += R->plan.combos[i].reps +
					    R->plan.combos[i].warmup;
	for (i = 0; i < R->plan.n; i++)
		run_combo(R, &R->plan.combos[R->order[i]]);
}

/* As planned, or a Fisher-Yates shuffle from the seed (--shuffle). */
static void set_order(struct runner *R, const struct opts *o)
{
	int i;

	R->order = xcalloc(R->plan.n ? R->plan.n : 1, sizeof(*R->order));
	for (i = 0; i < R->plan.n; i++)
		R->order[i] = i;
	if (o->shuffle)
		shuffle_ints(R->order, R->plan.n, o->seed);
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

/* Combinations whose scenario sets its own repetitions (".reps"). */
static int own_reps(const struct runner *R)
{
	int i, n = 0;

	for (i = 0; i < R->plan.n; i++)
		n += R->plan.combos[i].reps != R->set.reps ||
		     R->plan.combos[i].warmup != R->set.warmup;
	return n;
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
		"%d combination(s) x (%d rep(s) + %d warm-up%s) x up to 3 passes, results in %s/\n",
		R->plan.n, R->set.reps, R->set.warmup,
		own_reps(R) ? "; some scenarios their own" : "", R->dir);
}

static const char legend[] =
	"t/op   time per op, batched timing pass (one clock pair per batch),\n"
	"       median over repetitions of each repetition's median of\n"
	"       batch means (robust to a batch the host interrupted)\n"
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

static int group_of_runs(int argc, char **argv, const struct opts *o)
{
	char id[128], dir[512];

	make_run_id(id, sizeof(id));
	snprintf(dir, sizeof(dir), "%s", o->outdir ? o->outdir : "");
	if (!o->outdir)
		snprintf(dir, sizeof(dir), "results/%s", id);
	mkdir_p("run", dir);
	return run_group(argc, argv, dir, o->runs, o->label,
			 o->shuffle ? &o->seed : NULL);
}

/* The combinations the sink keeps (check -k); none is bad input. */
static void keep_only(struct runner *R)
{
	int i, n = 0;

	for (i = 0; i < R->plan.n; i++)
		if (R->sink->keep(R->sink->ctx, &R->plan.combos[i]))
			R->plan.combos[n++] = R->plan.combos[i];
	if (!n)
		die(EXIT_USAGE, "no check matches");
	R->plan.n = n;
}

/* Records the run will write: for a sink's plan line. */
static int records_planned(const struct runner *R)
{
	int i, p, n = 0;

	for (i = 0; i < R->plan.n; i++)
		for (p = 0; p < PASS_NR; p++)
			if (passes_of(R, R->plan.combos[i].ops) & (1u << p))
				n += R->plan.combos[i].reps;
	return n;
}

static int run_it(struct opts *o, const struct run_sink *sink)
{
	static struct runner R;
	char err[512], path[600];
	sigset_t set;
	int status = 0;

	R.sink = sink;
	plan_build(&R.plan, &o->sel);
	R.set = R.plan.set;
	if (sink && sink->keep)
		keep_only(&R);
	if (geteuid())
		die(EXIT_USAGE,
		    "run: needs root (pagemap PFNs, tracefs, knobs, perf tracepoints)");
	check_cow_policy(R.set.cow_policy);
	setup_dir(&R, o);
	set_order(&R, o);

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
	set_cow_policy(R.set.cow_policy);

	clock_init();
	if (topo_init(&R.topo, err, sizeof(err)))
		die(1, "%s", err);
	if (topo_pin(R.topo.other_cpu))
		die(1, "run: cannot pin the supervisor to CPU %d",
		    R.topo.other_cpu);
	env_collect(&R.env);
	if (o->label)
		snprintf(R.env.label, sizeof(R.env.label), "%s", o->label);
	env_run_start(&R.end);
	R.sum = summary_new(&cowbench_registry);
	R.rec = xmalloc(sizeof(*R.rec));
	mkdir_p("run", R.dir);
	snprintf(path, sizeof(path), "%s/run.log", R.dir);
	R.log = fopen(path, "a");
	if (!R.log)
		die(1, "run: %s: %s", path, strerror(errno));
	/* env.json describes the machine as the run leaves it: quieted */
	quiet_machine(R.log);
	if (o->resume)
		load_done(&R);
	if (!R.ri.created[0])
		utc_now(R.ri.created, sizeof(R.ri.created));
	R.ri.run = R.run_id;
	R.ri.config = o->sel.config ? o->sel.config : "";
	R.ri.order_seed = o->shuffle ? (int64_t)o->seed : -1;
	snprintf(R.ri.matrix, sizeof(R.ri.matrix), "%s", R.plan.digest);
	/* a resumed run too: its writer is this process now, its end ahead */
	if (env_write_file(R.dir, &R.env, &R.topo, &R.ri))
		die(1, "run: writing %s/env.json: %s", R.dir, strerror(errno));
	R.fd = result_open(R.dir);
	if (R.fd < 0)
		die(1, "run: %s/results.jsonl: %s", R.dir, strerror(-R.fd));
	R.isatty = isatty(2);
	if (sink)
		sink->begin(sink->ctx, records_planned(&R), R.dir);
	else
		header(&R, stdout);
	header(&R, R.log);
	fflush(stdout);
	run_matrix(&R);
	free(R.held);
	R.held = NULL;
	if (sink)
		status = sink->end(sink->ctx);
	mark_end(&R, status);
	knobs_restore();
	if (R.isatty)
		fprintf(stderr, "\r\033[K");
	fclose(R.log);
	if (sink)
		return status;
	printf("\n");
	summary_print(R.sum, stdout);
	printf("\n%s\nresults: %s/ (compare with: cowbench compare %s OTHER_RUN)\n",
	       legend, R.dir, R.dir);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct opts o;

	parse_opts(argc, argv, &o);
	if (o.runs) {
		struct plan p;

		plan_build(&p, &o.sel); /* bad input first */
		plan_free(&p);
		if (geteuid())
			die(EXIT_USAGE,
			    "run: needs root (pagemap PFNs, tracefs, knobs, perf tracepoints)");
		return group_of_runs(argc, argv, &o);
	}
	return run_it(&o, NULL);
}

int run_sunk(const struct plan_sel *sel, const char *outdir,
	     const struct run_sink *sink)
{
	struct opts o = { .sel = *sel, .outdir = outdir };

	return run_it(&o, sink);
}
