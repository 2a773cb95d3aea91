// SPDX-License-Identifier: GPL-2.0
/* Unit tests: KTAP-style lines, then "N passed, N failed". */
#include <stdio.h>

#include "unit.h"

int unit_failed;
static int passed, failed;

static const struct suite {
	const struct unit_test *tests;
	const int *n;
} suites[] = {
	{ hist_tests, &nr_hist_tests },
	{ cfg_tests, &nr_cfg_tests },
	{ result_tests, &nr_result_tests },
	{ classify_tests, &nr_classify_tests },
	{ json_tests, &nr_json_tests },
	{ stats_tests, &nr_stats_tests },
	{ ktap_tests, &nr_ktap_tests },
	{ env_tests, &nr_env_tests },
	{ util_tests, &nr_util_tests },
};

int main(void)
{
	size_t s;
	int i, n = 0;

	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++)
		n += *suites[s].n;
	printf("KTAP version 1\n1..%d\n", n);
	n = 0;
	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		for (i = 0; i < *suites[s].n; i++) {
			unit_failed = 0;
			suites[s].tests[i].fn();
			printf("%s %d %s\n", unit_failed ? "not ok" : "ok", ++n,
			       suites[s].tests[i].name);
			if (unit_failed)
				failed++;
			else
				passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
