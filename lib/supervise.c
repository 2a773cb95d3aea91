// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "knobs.h"
#include "supervise.h"

static enum sv_end wait_for(pid_t pid, int timeout_s, int *st, int *sig)
{
	uint64_t deadline = mono_ns() + (uint64_t)timeout_s * 1000000000ULL;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	for (;;) {
		uint64_t now = mono_ns(), left;
		struct timespec ts;
		int s;

		if (waitpid(pid, st, WNOHANG) == pid)
			return SV_EXITED;
		if (now >= deadline)
			return SV_TIMEOUT;
		left = deadline - now;
		ts.tv_sec = left / 1000000000ULL;
		ts.tv_nsec = left % 1000000000ULL;
		s = sigtimedwait(&set, NULL, &ts);
		if (s == SIGINT || s == SIGTERM || s == SIGHUP) {
			*sig = s;
			return SV_SIGNAL;
		}
	}
}

/* Kill what is left of the group and reap it (we are a subreaper). */
static void kill_group(pid_t pgid)
{
	kill(-pgid, SIGKILL);
	while (waitpid(-pgid, NULL, 0) > 0)
		;
}

pid_t fork_tied(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent) /* it died before the prctl */
		_exit(1);
	knobs_child();
	return 0;
}

static void child(int (*body)(void *), void *arg)
{
	sigset_t none;
	int sig;

	setpgid(0, 0);
	/* not the supervisor's handlers: they restore the knobs */
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	_exit(body(arg));
}

void supervise(int (*body)(void *arg), void *arg, int timeout_s,
	       struct sv_result *res)
{
	off_t mark = knobs_mark();
	pid_t pid;

	res->status = res->sig = res->err = 0;
	pid = fork_tied();
	if (pid == 0)
		child(body, arg);
	if (pid < 0) {
		res->end = SV_NOFORK;
		res->err = errno;
		return;
	}
	setpgid(pid, pid);
	/* a restore after a SIGKILL kills what is left of it */
	knob_group(pid);
	res->end = wait_for(pid, timeout_s, &res->status, &res->sig);
	kill_group(pid);
	knobs_restore_since(mark);
}
