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
		"usage: cowbench compare A B [C...] [--format text|md|csv|json] [--json]\n"
		"                        [-s SCENARIO] [-m METRIC] [--changed] [-v]\n\n"
		"Compare columns per scenario, backing and parameters; A is the baseline.\n"
		"A column is a RUN (a result directory), RUN,RUN,... or a GROUP folder\n"
		"written by 'cowbench run --runs K'.  With two or more runs on each side\n"
		"runs are the unit (Welch's t on the logs of the runs' medians, a value\n"
		"the geometric mean of them); with one, repetitions are (Mann-Whitney\n"
		"and a bootstrap interval, a value their median) and the noise between\n"
		"runs is unknown.  '*' marks a change significant after\n"
		"Benjamini-Hochberg over every tested row (q < 0.05); each value has\n"
		"its noise beside it (±CV); -v adds the smallest change each row could\n"
		"detect (mdc) and the runs a side a +5%% change needs (n5).  text and md\n"
		"fit a 72-column mail (a long label keeps its end after a '~'); --json\n"
		"is --format json.  The header says once what every run shares and per\n"
		"column only what differs (kernel, host, machine, command line words),\n"
		"-v all of it, and notes each run without run_end.\n"
		"-s and -m show the rows whose scenario or metric matches the glob,\n"
		"--changed only rows with a '*' or a FAIL (the '*' is decided over\n"
		"every row all the same); a summary of those leads the text.\n");
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
		{ "json", no_argument, 0, 'j' },
		{ "verbose", no_argument, 0, 'v' },
		{ "changed", no_argument, 0, 'c' },
		/* not in --help: scripts/aa.sh's power test */
		{ "inject-shift", required_argument, 0, 'i' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	enum cmp_format fmt = FMT_TEXT;
	struct compare_filter f = { 0 };
	struct column *cols;
	char *end;
	double pct;
	int c, n;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:s:m:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			fmt = parse_format(optarg);
			break;
		case 'j':
			fmt = FMT_JSON;
			break;
		case 'v':
			compare_set_verbose(true);
			break;
		case 's':
			f.scenario = optarg;
			break;
		case 'm':
			f.metric = optarg;
			break;
		case 'c':
			f.changed = true;
			break;
		case 'i':
			pct = strtod(optarg, &end);
			if (*end || end == optarg || !(pct > -100 && pct < 1e6))
				die(EXIT_USAGE,
				    "compare: --inject-shift '%s' is not a percentage",
				    optarg);
			compare_set_inject(1 + pct / 100);
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
	compare_set_filter(&f);
	cols = columns_load_or_die(argv + optind, n);
	compare_print(stdout, cols, n, fmt);
	columns_free(cols, n);
	return 0;
}
