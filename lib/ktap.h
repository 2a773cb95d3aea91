/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_KTAP_H
#define COWBENCH_KTAP_H

#include <stdio.h>

#include "util.h"

/*
 * KTAP version 1, as the kernel's kselftests write it: a plan, one
 * "ok N name" / "not ok N name" per test with a SKIP, XFAIL or XPASS
 * directive, "# " diagnostics, and the kselftest totals line.
 */
enum ktap_result {
	KT_PASS,
	KT_FAIL,
	KT_XFAIL,
	KT_XPASS,
	KT_SKIP,
	KT_ERROR,
	KT_NR
};

struct ktap {
	FILE *f;
	int n, plan;
	int count[KT_NR];
};

/*
 * The version line and the plan; a plan < 0 is not known yet (a report
 * whose lines depend on what it reads): ktap_end() prints it after the
 * last line, as TAP allows.
 */
void ktap_begin(struct ktap *k, FILE *f, int plan);
/* The plan will not be met: "Bail out! why". */
void ktap_bail(struct ktap *k, const char *why);
/* One test; why (may be NULL) follows the directive or a diagnostic. */
void ktap_result(struct ktap *k, enum ktap_result r, const char *name,
		 const char *why);
/* One test whose name says it all (no reason), named by a format. */
void __printf(3, 4)
	ktap_resultf(struct ktap *k, enum ktap_result r, const char *fmt, ...);
void __printf(2, 3) ktap_diag(struct ktap *k, const char *fmt, ...);
/* "# Totals: pass:P fail:F xfail:X xpass:Y skip:S error:E" */
void ktap_totals(struct ktap *k);
/* A plan not given at the start, then the totals. */
void ktap_end(struct ktap *k);
/*
 * "P passed, F failed, S skipped", the closing line the test runners add
 * up (tests/run, scripts/test-vm.sh): an XFAIL passed, an XPASS or an
 * error failed.
 */
void ktap_summary(const struct ktap *k);
/* 0, or 1 when a test failed, erred or passed against its expectation. */
int ktap_exit(const struct ktap *k);

#endif
