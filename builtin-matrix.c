// SPDX-License-Identifier: GPL-2.0
/*
 * cowbench matrix FILE: kernels x policies x configs (configs/matrix/NAME.conf)
 * become jobs, run on the host or in guests, then the compare table, a
 * report folder with the plots, and each job's verdicts against
 * configs/expect/<kernel>-<policy>.  The options; the matrix itself is
 * lib/matrix.h (the jobs, running them) and analysis/mx-report.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/mx-report.h"
#include "builtin.h"
#include "lib/matrix.h"
#include "lib/util.h"

struct opts {
	const char *file, *dir, *job;
	bool jobs_only, report_only, rebuild;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cowbench matrix FILE [-o DIR] [--job ID | --jobs-only | --report]\n"
		"                       [--rebuild]\n\n"
		"FILE (configs/matrix/NAME.conf) names kernels (`host` = the running\n"
		"kernel, or configs/kernels/NAME), policies and configs; a kernel with\n"
		"the cow-policy patch runs every policy, others their own rule.\n"
		"Missing kernels are built (scripts/kbuild.sh), every job runs in a\n"
		"guest (or on the host) with a hard time limit, runs land in DIR\n"
		"(default results/matrix-NAME) by run id, and the compare table, a\n"
		"report folder with plots and each job's verdicts against\n"
		"configs/expect/KERNEL-POLICY follow (KTAP).  Jobs done before are\n"
		"kept.  `runs = K` runs each job K times; `interleave = yes` makes\n"
		"one job per kernel and config that switches vm.cow_policy between\n"
		"K runs of each policy in one boot, in a seeded random order\n"
		"(docs/kernels.md).\n\n"
		"  -o, --output DIR  the matrix folder\n"
		"      --job ID      run one job (KERNEL+POLICY+CONFIG) and check it\n"
		"      --jobs-only   print one command per job, for GNU parallel\n"
		"      --report      no runs: the table and verdicts of DIR\n"
		"      --rebuild     build the kernels even when cached\n");
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "output", required_argument, 0, 'o' },
		{ "job", required_argument, 0, 'j' },
		{ "jobs-only", no_argument, 0, 'J' },
		{ "report", no_argument, 0, 'r' },
		{ "rebuild", no_argument, 0, 'B' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->dir = optarg;
			break;
		case 'j':
			o->job = optarg;
			break;
		case 'J':
			o->jobs_only = true;
			break;
		case 'r':
			o->report_only = true;
			break;
		case 'B':
			o->rebuild = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			die(EXIT_USAGE,
			    "matrix: unknown option or missing value: '%s' (see --help)",
			    argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		die(EXIT_USAGE, "matrix: name one matrix FILE (see --help)");
	o->file = argv[optind];
	if (o->jobs_only + o->report_only + !!o->job > 1)
		die(EXIT_USAGE,
		    "matrix: --job, --jobs-only and --report exclude each other");
}

static void set_dir(struct mx *m, const struct opts *o)
{
	char name[128];
	const char *b = strrchr(o->file, '/');

	snprintf(name, sizeof(name), "%s", b ? b + 1 : o->file);
	if (strlen(name) > 5 && !strcmp(name + strlen(name) - 5, ".conf"))
		name[strlen(name) - 5] = '\0';
	if (o->dir)
		snprintf(m->dir, sizeof(m->dir), "%s", o->dir);
	else
		snprintf(m->dir, sizeof(m->dir), "results/matrix-%s", name);
}

int cmd_matrix(int argc, char **argv)
{
	static struct mx m;
	char jobs[PATH_MAX], *real;
	struct opts o;
	int i;

	parse_opts(argc, argv, &o);
	m.reg = &cowbench_registry;
	m.run_id = mx_run_id;
	mx_find_top(&m);
	mx_parse_file(&m, o.file);
	set_dir(&m, &o);
	mx_expand(&m);
	mx_check_tags(&m);
	if (o.job && !mx_find_job(&m, o.job))
		die(EXIT_USAGE, "matrix: no job '%s' in %s (see --jobs-only)",
		    o.job, o.file);
	if (o.jobs_only) {
		for (i = 0; i < m.n; i++)
			printf("./cowbench matrix %s -o %s --job %s\n", o.file,
			       m.dir, m.jobs[i].id);
		return 0;
	}
	if (o.report_only) {
		for (i = 0; i < m.n; i++)
			if (!mx_job_done(&m, &m.jobs[i]) && !*m.jobs[i].why)
				snprintf(m.jobs[i].why, sizeof(m.jobs[i].why),
					 "not run");
		return mx_report(&m, NULL);
	}
	mx_validate_configs(&m);
	if (geteuid())
		die(EXIT_USAGE,
		    "matrix: needs root (cowbench run, qemu, packages)");
	mx_catch_signals();
	snprintf(jobs, sizeof(jobs), "%s/jobs", m.dir);
	mkdir_p("matrix", jobs);
	real = realpath(m.dir, NULL);
	if (!real)
		die(1, "matrix: %s: %s", m.dir, strerror(errno));
	snprintf(m.dir, sizeof(m.dir), "%s", real);
	free(real);
	printf("cowbench matrix %s: %d job(s), results in %s/\n", o.file, m.n,
	       m.dir);
	mx_run_jobs(&m, o.job, o.rebuild);
	return mx_report(&m, o.job);
}
