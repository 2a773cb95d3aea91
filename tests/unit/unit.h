/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_UNIT_H
#define COWBENCH_UNIT_H

#include <stdio.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

extern int unit_failed;

#define CHECK(cond)                                                     \
	do {                                                            \
		if (!(cond)) {                                          \
			printf("# %s:%d: CHECK(%s) failed\n", __FILE__, \
			       __LINE__, #cond);                        \
			unit_failed = 1;                                \
		}                                                       \
	} while (0)

#define CHECK_EQ(a, b)                                                 \
	do {                                                           \
		long long _a = (long long)(a), _b = (long long)(b);    \
		if (_a != _b) {                                        \
			printf("# %s:%d: %s == %lld, expected %lld\n", \
			       __FILE__, __LINE__, #a, _a, _b);        \
			unit_failed = 1;                               \
		}                                                      \
	} while (0)

extern const struct unit_test hist_tests[], cfg_tests[], result_tests[],
	classify_tests[], json_tests[], stats_tests[], ktap_tests[],
	env_tests[], util_tests[];
extern const int nr_hist_tests, nr_cfg_tests, nr_result_tests,
	nr_classify_tests, nr_json_tests, nr_stats_tests, nr_ktap_tests,
	nr_env_tests, nr_util_tests;

#endif
