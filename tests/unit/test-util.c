// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/util.h"
#include "unit.h"

/*
 * The order a seed gives is glibc's rand_r's: pinned, so that a seed
 * recorded in a run folder (run --shuffle, a matrix's interleave) names
 * the same order on every machine.
 */
static void shuffle_pinned(void)
{
	int v[6] = { 0, 1, 2, 3, 4, 5 }, want[6] = { 5, 1, 4, 0, 2, 3 };
	int ab[4] = { 0, 0, 1, 1 }, ab_want[4] = { 1, 0, 0, 1 };

	shuffle_ints(v, 6, 1);
	CHECK(!memcmp(v, want, sizeof(v)));
	/* an interleave of two policies, two runs each, seed 4 */
	shuffle_ints(ab, 4, 4);
	CHECK(!memcmp(ab, ab_want, sizeof(ab)));
}

/* A permutation: every value as often as before; one value, no change. */
static void shuffle_permutes(void)
{
	int v[50], seen[10] = { 0 }, one = 42;
	unsigned int seed;
	int i;

	for (seed = 0; seed < 20; seed++) {
		for (i = 0; i < 50; i++)
			v[i] = i % 10;
		shuffle_ints(v, 50, seed);
		for (i = 0; i < 50; i++)
			seen[v[i]]++;
	}
	for (i = 0; i < 10; i++)
		CHECK_EQ(seen[i], 100);
	shuffle_ints(&one, 1, 3);
	CHECK_EQ(one, 42);
	shuffle_ints(NULL, 0, 3);
}

/*
 * A run's writer: its start time is /proc/PID/stat's field 22 however its
 * command is named (spaces and ')' in it); a reaped child is no process.
 */
static void writer_identity(void)
{
	char buf[1024], id[64], *p;
	pid_t child;
	int i;

	read_text("/proc/self/stat", buf, sizeof(buf));
	p = strrchr(buf, ')');
	for (i = 2; p && i < 22; i++)
		p = strchr(p + 1, ' ');
	CHECK(p && proc_start_time(getpid()) == strtoll(p + 1, NULL, 10));
	CHECK(proc_start_time(getpid()) > 0);
	child = fork();
	if (!child)
		_exit(0);
	waitpid(child, NULL, 0);
	CHECK_EQ(proc_start_time(child), -1);
	boot_id(id, sizeof(id));
	CHECK_EQ((int)strlen(id), 36);
}

const struct unit_test util_tests[] = {
	{ "shuffle: a seed's order is pinned", shuffle_pinned },
	{ "shuffle: a permutation of its values", shuffle_permutes },
	{ "writer: start time and boot id; a reaped child is gone",
	  writer_identity },
};
const int nr_util_tests = sizeof(util_tests) / sizeof(util_tests[0]);
