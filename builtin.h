/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_BUILTIN_H
#define COWBENCH_BUILTIN_H

#include <stdbool.h>

int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_regress(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_expect(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* run --runs K: K fresh runs into group/run-<i>; the exit status. */
int run_group(int argc, char **argv, const char *group, int runs,
	      const char *label, const unsigned int *seed);

/*
 * A command that runs a matrix and reports it its own way (check): which
 * passes, which combinations, and each record as it lands; the knobs a
 * combination set are restored between combo_begin and combo_done.
 */
struct combo;
struct plan_sel;
struct record;
struct run_sink {
	void *ctx;
	unsigned int passes; /* bit per pass */
	bool (*keep)(void *ctx, const struct combo *cb);
	void (*begin)(void *ctx, int records, const char *dir);
	void (*combo_begin)(void *ctx, const struct combo *cb);
	void (*record)(void *ctx, const struct combo *cb,
		       const struct record *r);
	void (*combo_done)(void *ctx, const struct combo *cb);
	int (*end)(void *ctx); /* the exit status */
	/* the run stops on a signal: the sink's last words */
	void (*bail)(void *ctx, int sig);
};
int run_sunk(const struct plan_sel *sel, const char *outdir,
	     const struct run_sink *sink);

/* bench/table.c: every scenario, workload and backing family. */
struct registry;
extern const struct registry cowbench_registry;

/* --format's value; exits 2 on an unknown one. */
int parse_format(const char *s);

#endif
