/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_PLAN_H
#define COWBENCH_PLAN_H

#include <stdbool.h>

#include "cfg.h"
#include "scenario.h"

/*
 * The planner: a config file and command-line selections become the list
 * of combinations (scenario x backing x params) and the run's settings,
 * all validated before anything runs: a bad value is a one-line error with
 * exit status 2.  'run' and the commands to come share it.
 */
struct combo {
	const struct scenario_ops *ops;
	struct backing bk;
	struct kvset params;
	int reps, warmup; /* the settings', or "<scenario>.reps" / ".warmup" */
	char skip[160]; /* planned, but cannot run here: why */
};

struct settings {
	int reps, warmup, batch, timeout;
	/* vm.cow_policy for the run (a policy kernel's sysctl), or "" */
	char cow_policy[24];
};

struct plan_sel {
	const struct registry *reg; /* the scenarios and backings there are */
	const char *config; /* or NULL */
	const char **scen, **bk; /* -s and -b values; "all" allowed */
	int nscen, nbk;
	int reps; /* -1: from the config */
	bool quick; /* one repetition, the smallest value of each sweep */
	/* -b narrows the scenarios to those taking one (check), not an error */
	bool bk_narrows;
};

struct plan {
	struct combo *combos;
	int n;
	struct settings set;
	char digest[17]; /* of the expanded matrix, not the repetitions */
};

void plan_build(struct plan *p, const struct plan_sel *sel);
void plan_free(struct plan *p);

#endif
