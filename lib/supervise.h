/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_SUPERVISE_H
#define COWBENCH_SUPERVISE_H

#include <sys/types.h>

/*
 * A supervised, time-limited process group: the body runs in a new process
 * that leads its own group; the caller waits for it, a time limit, or
 * SIGINT/SIGTERM/SIGHUP (which it must have blocked), then kills and reaps
 * whatever is left of the group.  Knob changes made inside it through the
 * knobs module are undone afterwards.
 */
enum sv_end { SV_EXITED, SV_TIMEOUT, SV_SIGNAL, SV_NOFORK };

struct sv_result {
	enum sv_end end;
	int status; /* waitpid status, SV_EXITED */
	int sig; /* SV_SIGNAL: the signal the supervisor got */
	int err; /* SV_NOFORK: errno */
};

void supervise(int (*body)(void *arg), void *arg, int timeout_s,
	       struct sv_result *res);

/*
 * fork() for every process of a run: the child is SIGKILLed when its
 * parent dies (and exits at once if the parent died before it could ask).
 * Fork from the thread that outlives the child: the signal follows the
 * parent *thread*.
 */
pid_t fork_tied(void);

#endif
