// SPDX-License-Identifier: GPL-2.0
/*
 * cowbench run --runs K: K independent runs of one matrix, the statistical
 * unit 'compare' tests between groups (docs/analysis.md).  Each run is a
 * fresh cowbench process (its own clock calibration, topology, page
 * tables and allocator state) writing GROUP/run-<i>, with the combinations
 * in its own random order; GROUP/group.json names them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"
#include "lib/json.h"
#include "lib/util.h"

static volatile pid_t child;

/* SIGINT and friends go to the run in progress; it restores and exits. */
static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* Options that name one run's folder or make a group: not passed on. */
static int dropped(char **argv, int i)
{
	static const char *const with_value[] = { "-o", "--output", "--runs",
						  "--shuffle" };
	size_t k;

	for (k = 0; k < ARRAY_SIZE(with_value); k++) {
		size_t n = strlen(with_value[k]);

		if (!strcmp(argv[i], with_value[k]))
			return 2;
		if (!strncmp(argv[i], with_value[k], n) &&
		    (argv[i][n] == '=' || (n == 2 && argv[i][n])))
			return 1;
	}
	return 0;
}

static char **run_argv(int argc, char **argv, const char *dir, const char *seed)
{
	char **v = xcalloc(argc + 6, sizeof(*v));
	int i, n = 0, d;

	v[n++] = "cowbench";
	v[n++] = "run";
	for (i = 1; i < argc; i += d ? d : 1)
		if (!(d = dropped(argv, i)))
			v[n++] = argv[i];
	v[n++] = "-o";
	v[n++] = (char *)dir;
	v[n++] = "--shuffle";
	v[n++] = (char *)seed;
	return v;
}

static void write_group(const char *group, int runs, const char *label,
			const int *status, int done)
{
	char path[600], name[32];
	struct jw w;
	int i, ret;

	jw_init(&w);
	jw_open(&w, NULL, '{');
	jw_open(&w, "runs", '[');
	for (i = 1; i <= runs; i++) {
		snprintf(name, sizeof(name), "run-%d", i);
		jw_str(&w, NULL, name);
	}
	jw_close(&w, ']');
	if (label)
		jw_str(&w, "label", label);
	else
		jw_null(&w, "label");
	jw_open(&w, "exit_status", '[');
	for (i = 0; i < done; i++)
		jw_i64(&w, NULL, status[i]);
	jw_close(&w, ']');
	jw_close(&w, '}');
	snprintf(path, sizeof(path), "%s/group.json", group);
	ret = jw_write_file(&w, path);
	jw_free(&w);
	if (ret)
		die(1, "run: writing %s: %s", path, strerror(-ret));
}

static int run_one(char **v)
{
	int st;

	child = fork();
	if (child < 0)
		die(1, "run: fork: %s", strerror(errno));
	if (!child) {
		execv("/proc/self/exe", v);
		die(1, "run: exec /proc/self/exe: %s", strerror(errno));
	}
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			die(1, "run: waitpid: %s", strerror(errno));
	child = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int run_group(int argc, char **argv, const char *group, int runs,
	      const char *label, const unsigned int *seed)
{
	char path[600], dir[640], s[16], **v;
	int *status = xcalloc(runs, sizeof(*status)), i, ret = 0;
	unsigned int base =
		seed ? *seed : (unsigned int)(time(NULL) ^ getpid());
	struct stat st;

	snprintf(path, sizeof(path), "%s/group.json", group);
	if (!stat(path, &st))
		die(EXIT_USAGE, "run: %s exists: a group is never overwritten",
		    path);
	if (mkdir(group, 0755) && errno != EEXIST)
		die(1, "run: mkdir %s: %s", group, strerror(errno));
	write_group(group, runs, label, status, 0);
	signal(SIGINT, forward);
	signal(SIGTERM, forward);
	signal(SIGHUP, forward);
	for (i = 0; i < runs && !ret; i++) {
		snprintf(dir, sizeof(dir), "%s/run-%d", group, i + 1);
		snprintf(s, sizeof(s), "%u", base + i);
		printf("=== run %d of %d: %s (order seed %s)\n", i + 1, runs,
		       dir, s);
		fflush(stdout);
		v = run_argv(argc, argv, dir, s);
		status[i] = ret = run_one(v);
		free(v);
		write_group(group, runs, label, status, i + 1);
	}
	if (!ret)
		printf("\ngroup: %s/ (compare with: cowbench compare %s OTHER)\n",
		       group, group);
	free(status);
	return ret;
}
