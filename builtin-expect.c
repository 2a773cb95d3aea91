// SPDX-License-Identifier: GPL-2.0
/* cowbench expect: a run's counting records against an expectation file. */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "analysis/runs.h"
#include "builtin.h"
#include "lib/expect.h"
#include "lib/util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cowbench expect FILE RUN_DIR...\n\n"
		"Check the counting records of the runs (together) against FILE\n"
		"(configs/expect/, format in lib/expect.h): KTAP, one line per\n"
		"expectation, the plan and totals, then \"N passed, N failed, N skipped\".  Exit 0, 1 if\n"
		"one failed, 2 on bad input (an unreadable file or run).\n");
}

int cmd_expect(int argc, char **argv)
{
	struct record *recs = NULL;
	struct ktap k;
	struct expect_list *e;
	int i, n = 0;
	char err[800];
	struct run r;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return usage(stdout), 0;
	if (argc < 3)
		die(EXIT_USAGE, "expect: needs FILE and RUN_DIR (see --help)");
	e = xmalloc(sizeof(*e));
	if (expect_parse(argv[1], e, err, sizeof(err)))
		die(EXIT_USAGE, "expect: %s", err);
	free(e);
	for (i = 2; i < argc; i++) {
		if (run_load(argv[i], &r, err, sizeof(err)))
			die(EXIT_USAGE, "expect: %s", err);
		recs = xrealloc(recs, (n + r.nrec) * sizeof(*recs));
		memcpy(recs + n, r.recs, r.nrec * sizeof(*recs));
		n += r.nrec;
		run_free(&r);
	}
	ktap_begin(&k, stdout, -1);
	expect_file(argv[1], argc > 3 ? "runs" : basename(argv[2]), recs, n,
		    &k);
	free(recs);
	ktap_end(&k);
	ktap_summary(&k);
	return ktap_exit(&k);
}
