// SPDX-License-Identifier: GPL-2.0
/* plot, report and regress: thin option parsing over analysis/. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/plot.h"
#include "analysis/report.h"
#include "builtin.h"
#include "lib/cfg.h"

static const struct option lo[] = {
	{ "output", required_argument, 0, 'o' },
	{ "history", required_argument, 0, 'H' },
	{ "threshold", required_argument, 0, 't' },
	{ "normalise", no_argument, 0, 'N' },
	{ "help", no_argument, 0, 'h' },
	{ 0, 0, 0, 0 },
};

struct args {
	const char *out, *history;
	double threshold;
	struct plot_opts plot;
	char **rest;
	int nrest;
};

/* Options of all three; `allowed` names the short options this one takes. */
static void parse(int argc, char **argv, const char *cmd, const char *allowed,
		  const char *usage, struct args *a)
{
	char *end;
	int c;

	memset(a, 0, sizeof(*a));
	a->threshold = 5;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			exit(0);
		}
		if (c == '?' || !strchr(allowed, c))
			die(EXIT_USAGE,
			    "%s: unknown option or missing value: '%s' (see --help)",
			    cmd, argv[optind - 1]);
		if (c == 'o')
			a->out = optarg;
		else if (c == 'N')
			a->plot.normalise = true;
		else if (c == 'H')
			a->history = optarg;
		else {
			a->threshold = strtod(optarg, &end);
			if (*end || end == optarg || a->threshold < 0)
				die(EXIT_USAGE,
				    "%s: --threshold: '%s' is not a percentage",
				    cmd, optarg);
		}
	}
	a->rest = argv + optind;
	a->nrest = argc - optind;
}

int cmd_plot(int argc, char **argv)
{
	struct plot_list *made = xcalloc(1, sizeof(*made));
	struct column *cols;
	struct run *runs;
	struct args a;
	char err[800];
	int i, ret, n;

	parse(argc, argv, "plot", "oN",
	      "usage: cowbench plot RUN... [-o DIR] [--normalise]\n\n"
	      "gnuplot plots of the runs into DIR (default plots/): latency CDFs and\n"
	      "tails (1 - CDF, log scale), copies, unnecessary copies and TLB flushes\n"
	      "per run, fork() latency against RSS, the release trend (a tick per\n"
	      "release, a point per run, a line through the releases' medians;\n"
	      "--normalise: relative to the median of the first release's runs).\n"
	      "RUN may be RUN,RUN or a GROUP folder: a line per run (a point per\n"
	      "run in the trend).  Each plot is NAME.dat + NAME.gp ->\n"
	      "NAME.png + NAME.svg: edit the script and re-run gnuplot to restyle.\n",
	      &a);
	if (a.nrest < 1)
		die(EXIT_USAGE,
		    "plot: name at least one run directory (see --help)");
	cols = columns_load_or_die(a.rest, a.nrest);
	runs = columns_flatten(cols, a.nrest, &n);
	if (plot_check(runs, n, err, sizeof(err)))
		die(EXIT_USAGE, "%s", err);
	ret = plot_runs(runs, n, a.out ? a.out : "plots", made, stdout, &a.plot,
			err, sizeof(err));
	if (ret < 0)
		die(1, "%s", err);
	for (i = 0; i < made->n; i++)
		printf("%s/%s.{png,svg}: %s\n", a.out ? a.out : "plots",
		       made->name[i], made->title[i]);
	free(made);
	free(runs);
	columns_free(cols, a.nrest);
	return 0;
}

/* A run with no record would be a "-" in the verdicts: nothing to report. */
static void no_empty_run(const struct column *cols, int n)
{
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < cols[i].n; j++)
			if (!cols[i].runs[j].nrec)
				die(EXIT_USAGE,
				    "report: %s/results.jsonl holds no record",
				    cols[i].runs[j].dir);
}

int cmd_report(int argc, char **argv)
{
	struct column *cols;
	struct run *runs;
	struct args a;
	char err[800];
	int n;

	parse(argc, argv, "report", "o",
	      "usage: cowbench report A [B...] -o DIR\n\n"
	      "One folder to attach or publish: compare.{txt,md,csv,json}, plots/,\n"
	      "env-*.json and index.html with the correctness verdicts per kernel.\n"
	      "A column is a RUN, RUN,RUN,... or a GROUP folder, as in compare.\n",
	      &a);
	if (!a.out)
		die(EXIT_USAGE, "report: -o DIR is required");
	if (a.nrest < 1)
		die(EXIT_USAGE,
		    "report: name at least one run directory (see --help)");
	cols = columns_load_or_die(a.rest, a.nrest);
	no_empty_run(cols, a.nrest);
	runs = columns_flatten(cols, a.nrest, &n);
	if (plot_check(runs, n, err, sizeof(err)))
		die(EXIT_USAGE, "%s", err);
	free(runs);
	if (report_write(cols, a.nrest, a.out, stdout, err, sizeof(err)))
		die(1, "%s", err);
	columns_free(cols, a.nrest);
	return 0;
}

int cmd_regress(int argc, char **argv)
{
	struct args a;
	char err[800];
	int n;

	parse(argc, argv, "regress", "Ht",
	      "usage: cowbench regress --history DIR [--threshold P] [RUN]\n\n"
	      "DIR holds run folders and run groups (any names).  The runs of the\n"
	      "newest run's (or RUN's) kernel release are compared with the runs of\n"
	      "the previous release on the same machine, matrix and policy, runs\n"
	      "as the unit (a side with one run: timing untested); every metric\n"
	      "that got significantly worse by more than P% (default 5) is printed,\n"
	      "and any new missed or wrong COW or crash of the newest run.  Exit\n"
	      "status 1 if there is any.  Writes DIR/index.tsv.\n",
	      &a);
	if (!a.history)
		die(EXIT_USAGE, "regress: --history DIR is required");
	if (a.nrest > 1)
		die(EXIT_USAGE, "regress: at most one RUN");
	n = regress(a.history, a.nrest ? a.rest[0] : NULL, a.threshold, stdout,
		    err, sizeof(err));
	if (n < 0)
		die(EXIT_USAGE, "%s", err);
	return n ? 1 : 0;
}
