// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "lib/knobs.h"
#include "lib/util.h"

int cmd_restore(int argc, char **argv)
{
	const char *path = knobs_state_path();
	int force = 0, i, n;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force")) {
			force = 1;
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			printf("usage: cowbench restore [--force]\n\n"
			       "Write back every knob a killed 'cowbench run' left changed, from\n"
			       "%s ($COWBENCH_STATE), and undo its mounts.\n"
			       "--force also when the pid that wrote the file still runs.\n",
			       path);
			return 0;
		} else {
			die(EXIT_USAGE, "restore: unknown option '%s'",
			    argv[i]);
		}
	}
	n = knobs_restore_file(path, force);
	if (n < 0)
		die(1,
		    "restore: %s belongs to a running cowbench (use --force)",
		    path);
	printf("restored %d value(s)%s\n", n, n ? "" : ": nothing to restore");
	return 0;
}
