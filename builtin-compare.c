// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"
#include "builtin.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cowbench compare RUN_A RUN_B [RUN...] [--format text|md|csv|json]\n\n"
		"Compare runs (result directories) per scenario, backing and parameters;\n"
		"RUN_A is the baseline.  text fits a 72-column mail: each column shows\n"
		"the median over repetitions, the change against A, and '*' when the\n"
		"change is significant (Mann-Whitney p < 0.05 and the bootstrap 95%%\n"
		"interval of the ratio of medians excludes 1).\n");
}

/* The value of --format; exit 2 on an unknown one. */
int parse_format(const char *s)
{
	int i;

	for (i = 0; i < FMT_NR; i++)
		if (!strcmp(s, cmp_format_names[i]))
			return i;
	die(EXIT_USAGE, "unknown format '%s' (text, md, csv, json)", s);
}

int cmd_compare(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "format", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	enum cmp_format fmt = FMT_TEXT;
	struct run *runs;
	int c, i, n;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:h", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			fmt = parse_format(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die(EXIT_USAGE,
			    "compare: unknown option or missing value: '%s'",
			    argv[optind - 1]);
		}
	}
	n = argc - optind;
	if (n < 1)
		die(EXIT_USAGE,
		    "compare: name at least one run directory (see --help)");
	runs = runs_load_or_die(argv + optind, n);
	compare_print(stdout, runs, n, fmt);
	for (i = 0; i < n; i++)
		run_free(&runs[i]);
	free(runs);
	return 0;
}
