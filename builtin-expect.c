// SPDX-License-Identifier: GPL-2.0
/* cowbench expect: a run's counting records against an expectation file. */
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
		"usage: cowbench expect FILE RUN_DIR\n\n"
		"Check the counting records of RUN_DIR against FILE (configs/expect/,\n"
		"format in lib/expect.h): one TAP line per expectation, then\n"
		"\"N passed, N failed, N skipped\".  Exit 0, 1 if one failed, 2 on\n"
		"bad input (an unreadable file or run).\n");
}

int cmd_expect(int argc, char **argv)
{
	struct tap t = { 0 };
	struct expect_list *e;
	char err[800];
	struct run r;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return usage(stdout), 0;
	if (argc != 3)
		die(EXIT_USAGE, "expect: needs FILE and RUN_DIR (see --help)");
	e = xmalloc(sizeof(*e));
	if (expect_parse(argv[1], e, err, sizeof(err)))
		die(EXIT_USAGE, "expect: %s", err);
	free(e);
	if (run_load(argv[2], &r, err, sizeof(err)))
		die(EXIT_USAGE, "expect: %s", err);
	expect_file(argv[1], r.name, r.recs, r.nrec, &t);
	run_free(&r);
	printf("%d passed, %d failed, %d skipped\n", t.pass, t.fail, t.skip);
	return t.fail ? 1 : 0;
}
