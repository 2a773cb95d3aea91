/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_MX_REPORT_H
#define COWBENCH_MX_REPORT_H

struct mx;

/*
 * The jobs' runs (only: that job's) checked and compared, KTAP on stdout
 * and the closing "N passed, N failed, N skipped"; 0, or 1 if one failed.
 */
int mx_report(const struct mx *m, const char *only);
/* struct mx's run_id: a run folder's id, if it loads as a run. */
int mx_run_id(const char *dir, char *id, int len, char *err, int errlen);

#endif
