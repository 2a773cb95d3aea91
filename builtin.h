/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_BUILTIN_H
#define COWBENCH_BUILTIN_H

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

/* run --runs K: K fresh runs into group/run-<i>; the exit status. */
int run_group(int argc, char **argv, const char *group, int runs,
	      const char *label, const unsigned int *seed);

/* bench/table.c: every scenario, workload and backing family. */
struct registry;
extern const struct registry cowbench_registry;

/* --format's value; exits 2 on an unknown one. */
int parse_format(const char *s);

#endif
