/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_RUNS_H
#define COWBENCH_RUNS_H

#include <stdbool.h>

#include "../lib/json.h"
#include "../lib/result.h"

/* A run as analysis sees it: env.json and results.jsonl, nothing else. */
struct run {
	char dir[512], name[128];
	char label[160], host[64], kernel[96], policy[48], cpu[128];
	char accel[32], thp[32], env_id[24], matrix[24], created[32];
	char cmdline[1024];
	char kconfig[24], suite[48], defrag[64];
	/* the machine that ran it: a guest's host (hostname is the guest's) */
	char machine[64];
	char kcommit[256]; /* the kernel's source, or "unknown" */
	double pair_ns; /* the clock's cost, measured at run start */
	struct jval *env;
	struct record *recs;
	int nrec;
};

/* 0, or -1 with "file[:line]: what" in err. */
int run_load(const char *dir, struct run *r, char *err, int errlen);
void run_free(struct run *r);
/*
 * A run's life from env.json: ended (run_end), or without run_end in
 * progress (its writer's pid runs, started when env.json says, in this
 * boot) or killed (gone, reused, another boot), or unknown (an older run
 * names no writer).  why: what says so, "" when ended or unknown.
 */
enum run_life { RUN_ENDED, RUN_LIVE, RUN_KILLED, RUN_UNKNOWN };
enum run_life run_life(const struct jval *env, char *why, int len);
/* "has no run_end: killed (its writer, pid 42, is gone)" into buf; false
 * when the run ended (its numbers are whole). */
bool run_unended(const struct run *r, char *buf, int len);
/*
 * What orders runs must be in env.json, never a "?" sorted as the newest:
 * 0, or -1 with "DIR/env.json:1: no "KEY" (why)" for the first key absent
 * or empty.
 */
int run_require(const struct run *r, const char *const *keys, int n,
		const char *why, char *err, int errlen);
/* Load every argument, or die with exit status 2 naming file and line. */
struct run *runs_load_or_die(char **dirs, int n);
/* "stock-6.18", or "stock-6.18@host" when hosts differ among runs. */
void run_column(const struct run *runs, int n, int i, char *buf, int len);

/*
 * A column of compare: one run, or a group of runs of one config (runs are
 * the statistical unit when each side has two or more).
 */
struct column {
	struct run *runs;
	int n;
	char name[128]; /* the run's name, the group's folder, or RUN,RUN */
};

/*
 * One column per argument: RUN, RUN,RUN,... or GROUP (a folder holding
 * group.json from 'cowbench run --runs K'); bad input dies with exit 2.
 */
struct column *columns_load_or_die(char **args, int n);
/* GROUP/group.json's runs as paths (free each and the array): their
 * number, 0 without group.json, -1 with "file:1: what" in err. */
int group_list(const char *dir, char ***out, char *err, int errlen);
void columns_free(struct column *cols, int n);
/* Every run of the columns in one array (shallow copies: free the
 * columns, and the array with free()); their number in *nruns. */
struct run *columns_flatten(const struct column *cols, int n, int *nruns);
/* One run as a column of its own. */
struct column column_of(struct run *r);
/* run_column() of the columns' first runs: the label, never cut. */
void column_name(const struct column *cols, int n, int i, char *buf, int len);

/* scenario x backing x params: a row group of compare, a plot's series. */
struct group {
	char scenario[32], backing[32], params[96];
};

void params_str(const struct kvset *p, char *buf, int len);
bool group_match(const struct group *g, const struct record *r);
/* The group's ops are writes: its counting records classify pages. */
bool group_writes(const struct run *r, const struct group *g);
/* Union over the runs, in order of first appearance. */
int groups_collect(const struct run *runs, int n, struct group **out);
int groups_collect_cols(const struct column *cols, int n, struct group **out);

/*
 * A metric: one value per repetition, from one pass's records.  NAN when
 * the record does not have it.
 */
struct metric {
	const char *name, *unit, *pass;
	double (*get)(const struct record *r);
	bool verdict; /* a correctness count: any non-zero fails */
	/* a figure of two passes of one repetition (get is then unused) */
	double (*join)(const struct record *timing,
		       const struct record *counting);
};

extern const struct metric metrics[];
extern const int nr_metrics;
const struct metric *metric_find(const char *name);
/* r counts towards m: ok and unperturbed, or any record for a verdict. */
bool counted(const struct record *r, const struct metric *m);
/*
 * Time per fault is shown where faults are few against ops (at most one
 * in FEW_FAULTS ops): there t/op is a store, and the fault is the cost.
 */
#define FEW_FAULTS 2
/* The per-repetition values of m in group g of run r (see counted()). */
int samples(const struct run *r, const struct group *g, const struct metric *m,
	    double *out, int max);

#endif
