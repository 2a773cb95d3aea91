// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "lib/clock.h"
#include "lib/env.h"
#include "lib/json.h"
#include "lib/topo.h"
#include "lib/util.h"

int cmd_env(int argc, char **argv)
{
	struct topo t;
	struct env e;
	struct jw w;
	char err[256];

	if (argc > 1) {
		if (strcmp(argv[1], "--help") && strcmp(argv[1], "-h"))
			die(EXIT_USAGE, "env: unknown option '%s'", argv[1]);
		printf("usage: cowbench env\n\nPrint the environment record a run stores as env.json.\n");
		return 0;
	}
	clock_init();
	if (topo_init(&t, err, sizeof(err)))
		die(1, "%s", err);
	env_collect(&e);
	jw_init(&w);
	env_write_json(&w, &e, &t, NULL);
	printf("%s\n", w.buf);
	jw_free(&w);
	free(e.fields);
	return 0;
}
