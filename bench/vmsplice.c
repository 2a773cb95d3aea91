// SPDX-License-Identifier: GPL-2.0
/*
 * The forked child vmsplice()s every page into a pipe and unmaps them: the
 * parent is their only mapper, but the pipe holds a reference to each and
 * its reader (the child, after the window) must read the bytes as they
 * were.  A parent write that reused the page would show through the pipe
 * (CVE-2020-29374): a missed COW.  The copy is necessary.  The pipe is
 * sized to hold every page (F_SETPIPE_SZ).
 *
 * hugetlb still leaks this way upstream: its COW rule is the map count
 * alone and it has no PageAnonExclusive unsharing for a pipe's reference
 * (the kernel's own selftests/mm/cow.c reports it as an expected failure).
 * On hugetlb the scenario is the observer's positive control: a FAIL with
 * one missed COW per page, on every kernel that still has the leak.
 *
 * vmsplice-parent turns it around: the parent vmsplice()s the pages before
 * the fork (before_fork = 1) or after it, unmaps them, and the child
 * writes: the pipe's reference alone keeps the page shared.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../lib/knobs.h"
#include "bench.h"

#define PIPE_MAX "/proc/sys/fs/pipe-max-size"

static int pipe_of(struct sc *sc, int end)
{
	return ((int *)sc->priv)[end];
}

/*
 * Without CAP_SYS_RESOURCE a pipe grows only up to fs/pipe-max-size: raise
 * it for the pass (the knobs module puts it back).
 */
static int pipe_max_at_least(long want, char *why, int len)
{
	char val[32];
	long max = 1;
	int ret;

	if (knob_read(PIPE_MAX, val, sizeof(val)) || atol(val) >= want)
		return 0;
	while (max < want)
		max <<= 1;
	snprintf(val, sizeof(val), "%ld", max);
	ret = knob_set(PIPE_MAX, val);
	if (ret)
		snprintf(why, len, "%s = %s: %s", PIPE_MAX, val,
			 strerror(-ret));
	return ret;
}

/* Every page of the region into the pipe. */
static int splice_all(struct sc *sc, char *why, int len)
{
	struct iovec iov = { sc->buf, sc->len };
	ssize_t n;

	while (iov.iov_len) {
		n = vmsplice(pipe_of(sc, 1), &iov, 1, SPLICE_F_NONBLOCK);
		if (n <= 0) {
			snprintf(why, len, "vmsplice: %zu of %zu bytes: %s",
				 sc->len - iov.iov_len, sc->len,
				 n < 0 ? strerror(errno) : "pipe full");
			return -1;
		}
		iov.iov_base = (char *)iov.iov_base + n;
		iov.iov_len -= n;
	}
	return 0;
}

static bool before_fork(const struct sc *sc)
{
	return kv_get(sc->params, "before_fork", 0);
}

/* Before the fork: one pipe, a slot for every page (filled, if asked). */
static int splice_init(struct sc *sc, char *why, int len)
{
	int *fd = xcalloc(2, sizeof(int));
	long want = (long)sc->len, got;

	sc->priv = fd;
	if (pipe_max_at_least(want, why, len))
		return -1;
	if (pipe(fd)) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return -1;
	}
	got = fcntl(fd[1], F_SETPIPE_SZ, want);
	if (got < want) {
		snprintf(why, len, "F_SETPIPE_SZ %ld bytes (%zu pages): %s",
			 want, sc->pages,
			 got < 0 ? strerror(errno) : "smaller");
		return -1;
	}
	return before_fork(sc) ? splice_all(sc, why, len) : 0;
}

/*
 * The other party (child, or parent): splice what is not yet, unmap.  The
 * writer, with mprotect = 1: PROT_READ and back first, which must not map
 * a page the pipe holds writable.
 */
static int splice_prepare(struct sc *sc, enum role r, char *why, int len)
{
	if (r == ROLE_WRITER && kv_get(sc->params, "mprotect", 0) &&
	    mprotect_round_trip(sc, why, len))
		return -1;
	if (r != ROLE_OTHER)
		return 0;
	if (!before_fork(sc) && splice_all(sc, why, len))
		return -1;
	if (munmap(sc->buf, sc->len)) {
		snprintf(why, len, "munmap: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The reader: page i's first byte, as the pipe gives it.  A pipe that
 * gives less than it took leaves pages unobserved: the pass is an error,
 * not a verdict.
 */
static int splice_observe(struct sc *sc, enum role r, struct page_view *pv,
			  char *why, int len)
{
	char *page = xcalloc(1, PAGE_SZ);
	size_t i, got;
	ssize_t n = 1;

	for (i = 0; r == ROLE_OTHER && i < sc->pages && n > 0; i++) {
		for (got = 0; got < PAGE_SZ && n > 0; got += n)
			n = read(pipe_of(sc, 0), page + got, PAGE_SZ - got);
		pv[i].other_saw = page[0] == (char)WRITE_BYTE;
	}
	free(page);
	if (n > 0)
		return 0;
	snprintf(why, len, "the pipe gave back %zu of %zu pages: %s", i - 1,
		 sc->pages, n < 0 ? strerror(errno) : "end of file");
	return -1;
}

#define MPROTECT_PARAM                                                           \
	{                                                                        \
		.name = "mprotect", .type = CFG_INT, .min = 0, .max = 1,         \
		.def = { 0 }, .ndef = 1,                                         \
		.desc = "1: the writer's mprotect RO and back before its writes" \
	}

static const struct param_spec parent_params[] = {
	PAGES_PARAM("4 KiB pages in the region, each spliced and written"),
	FLAG_PARAM("before_fork",
		   "1: the parent vmsplices before the fork; 0: after it"),
	MPROTECT_PARAM,
};

static const struct param_spec child_params[] = {
	PAGES_PARAM("4 KiB pages in the region, each spliced and written"),
	MPROTECT_PARAM,
};

const struct scenario_ops sc_vmsplice_parent = {
	.name = "vmsplice-parent",
	.desc = "the parent vmsplices the pages into a pipe (before or after fork) and unmaps them; the child writes; the pipe must read the old bytes",
	.backings = BK_ANON | BK_HUGETLB | BK_SWAP,
	.params = parent_params,
	.nparams = ARRAY_SIZE(parent_params),
	.populate = POP_WRITE,
	.share = &share_child_writes,
	/* before_fork: our own vmsplice faults swapped pages in, on purpose */
	.share_reshapes = true,
	.expect = EXP_SHARED,
	.init = splice_init,
	.prepare = splice_prepare,
	.observe = splice_observe,
};

const struct scenario_ops sc_vmsplice = {
	.name = "vmsplice",
	.desc = "the child vmsplices the pages into a pipe and unmaps them; the parent writes; the pipe must read the old bytes",
	.backings = BK_ANON | BK_HUGETLB | BK_SWAP,
	.params = child_params,
	.nparams = ARRAY_SIZE(child_params),
	.populate = POP_WRITE,
	.share = &share_parent_writes,
	.expect = EXP_SHARED,
	.init = splice_init,
	.prepare = splice_prepare,
	.observe = splice_observe,
};
