// SPDX-License-Identifier: GPL-2.0
/*
 * fork() time against touched RSS.  The op is the fork() call as the parent
 * sees it; the child waits until released.  Untimed, the counting pass
 * records the page tables the child got (its VmPTE: the system-wide
 * PageTables line lags, page tables are freed after an RCU grace period)
 * and every pass times the teardown (release to reaped: the child's exit
 * and mm teardown).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/hist.h"
#include "bench.h"

static const struct param_spec params[] = {
	{
		.name = "size",
		.type = CFG_SIZE,
		.min = 2 << 20,
		.max = 1LL << 40,
		.def = { 16 << 20, 64 << 20, 256 << 20, 1 << 30 },
		.ndef = 4,
		.desc = "touched RSS",
	},
	{
		.name = "forks",
		.type = CFG_INT,
		.min = 1,
		.max = 10000,
		.def = { 8 },
		.ndef = 1,
		.desc = "forks timed per pass",
	},
};

struct fork_state {
	int release[2];
	pid_t child;
	int64_t pte_kb;
	struct hist teardown;
};

static size_t fork_pages(const struct kvset *p)
{
	return (size_t)(kv_get(p, "size", 0) / PAGE_SZ);
}

static size_t fork_nops(const struct sc *sc)
{
	return (size_t)kv_get(sc->params, "forks", 1);
}

/*
 * Shared, not private: a private page written after fork() would be COWed
 * inside the measured op.  The parent's stack still takes one such fault.
 */
static int fork_init(struct sc *sc, char *why, int len)
{
	struct fork_state *f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (f == MAP_FAILED || pipe(f->release)) {
		snprintf(why, len, "fork state: %s", strerror(errno));
		return -1;
	}
	hist_init(&f->teardown);
	sc->priv = f;
	return 0;
}

static void fork_op(struct sc *sc, size_t i)
{
	struct fork_state *f = sc->priv;
	char c;

	(void)i;
	f->child = fork_tied();
	if (f->child == 0) {
		if (read(f->release[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
}

/* VmPTE of a live process, in kB (-1 if unreadable). */
static int64_t vm_pte_kb(pid_t pid)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_text(path, buf, sizeof(buf)) < 0 ||
	    !(p = strstr(buf, "VmPTE:")))
		return -1;
	return strtoll(p + 6, NULL, 10);
}

static void fork_after(struct sc *sc, size_t i)
{
	struct fork_state *f = sc->priv;
	uint64_t t0;
	char c = 0;

	(void)i;
	if (f->child < 0)
		return;
	if (sc->pass == PASS_COUNTING)
		f->pte_kb += vm_pte_kb(f->child);
	t0 = clk_now();
	if (write(f->release[1], &c, 1) != 1)
		kill(f->child, SIGKILL);
	waitpid(f->child, NULL, 0);
	hist_record(&f->teardown, (uint64_t)clk_ns(clk_now() - t0));
}

static void fork_extra(struct sc *sc, struct kvset *extra)
{
	struct fork_state *f = sc->priv;

	kv_set(extra, "child_pte_kb", f->pte_kb / (int64_t)sc->nops);
	kv_set(extra, "teardown_ns_p50", hist_pct(&f->teardown, 50));
	kv_set(extra, "rss_kb", sc->len / 1024);
}

const struct scenario_ops sc_fork_latency = {
	.name = "fork-latency",
	.desc = "fork() time against touched RSS (plus child page tables and teardown)",
	.blocks = true,
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.populate = POP_WRITE,
	.share = &share_none,
	.no_pagemap = true,
	.batch = 1,
	.region_pages = fork_pages,
	.nops = fork_nops,
	.init = fork_init,
	.op = fork_op,
	.after_op = fork_after,
	.extra = fork_extra,
};
