/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_REPORT_H
#define COWBENCH_REPORT_H

#include <stdio.h>

#include "runs.h"

/* One folder to attach or publish, a column per run or group of runs;
 * 0, or -1 with a message in err. */
int report_write(const struct column *cols, int n, const char *dir, FILE *log,
		 char *err, int errlen);

/* Regressions of the release of the newest run of history (or of `run`
 * when given), its runs against the previous release's on the same
 * machine, matrix and policy; the number found, or -1 with a message in
 * err. */
int regress(const char *history, const char *run, double threshold_pct,
	    FILE *out, char *err, int errlen);

#endif
