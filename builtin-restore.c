// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "lib/knobs.h"
#include "lib/util.h"

int cmd_restore(int argc, char **argv)
{
	const char *path = knobs_state_path();
	pid_t alive;
	int n;

	if (argc > 1) {
		if (strcmp(argv[1], "--help") && strcmp(argv[1], "-h"))
			die(EXIT_USAGE, "restore: unknown option '%s'",
			    argv[1]);
		printf("usage: cowbench restore\n\n"
		       "Undo what a killed 'cowbench run' left changed, from\n"
		       "%s ($COWBENCH_STATE): knobs, mounts, swap\n"
		       "devices, zram devices, hugetlb pools, files, after killing\n"
		       "every process the run left (exit 1 if one outlives SIGKILL).\n"
		       "Refuses while a live run holds the lock.\n",
		       path);
		return 0;
	}
	n = knobs_lock_holder();
	if (n)
		die(EXIT_USAGE,
		    "restore: a cowbench run (pid %d) is live and holds %s.lock",
		    n, path);
	n = knobs_restore_file(path, &alive);
	if (alive)
		die(1,
		    "restore: process group %d of the killed run outlived SIGKILL; %s kept for another try",
		    (int)alive, path);
	printf("restored %d value(s)%s\n", n, n ? "" : ": nothing to restore");
	return 0;
}
