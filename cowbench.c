// SPDX-License-Identifier: GPL-2.0
/* cowbench: what the kernel's COW reuse policy does, measured. */
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "lib/util.h"

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "list", cmd_list, "scenarios, backings and their parameters" },
	{ "run", cmd_run,
	  "run a matrix, write results/<run-id>/, print a summary" },
	{ "compare", cmd_compare,
	  "compare runs: a table for a mail, md, csv or json" },
	{ "plot", cmd_plot,
	  "gnuplot plots of runs (PNG and SVG, scripts kept)" },
	{ "report", cmd_report,
	  "one folder: compare text, plots, index.html, envs" },
	{ "regress", cmd_regress,
	  "compare the newest run with the previous release" },
	{ "matrix", cmd_matrix,
	  "kernels x policies x configs: build, boot, run, compare" },
	{ "check", cmd_check,
	  "the correctness oracle: missed and wrong COW per backing, KTAP" },
	{ "expect", cmd_expect,
	  "check a run's verdicts and counts against configs/expect/" },
	{ "env", cmd_env, "print this machine's environment (env.json)" },
	{ "restore", cmd_restore,
	  "put back knobs left changed by a killed run" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: cowbench <command> [options]   (cowbench <command> --help)\n\n");
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "   %-9s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	die(EXIT_USAGE, "unknown command '%s' (see 'cowbench --help')",
	    argv[1]);
}
