// SPDX-License-Identifier: GPL-2.0
/*
 * STREAM (copy, scale, add, triad) with an untimed action before each
 * iteration, as in the Copy-on-Pin paper (ASPLOS 2023): what the COW
 * copies an action leaves behind cost an application, per policy.
 *
 * Measured as STREAM measures: each kernel timed on its own, the first
 * iteration left out, the best time of the rest gives the rate, MB = 10^6
 * bytes, bytes counted as read plus written (copy and scale 2 arrays, add
 * and triad 3).  The kernels take restrict pointers and a length known to
 * be a multiple of 8, so that GCC's -O2 cost model emits packed SSE2 code
 * as it does for STREAM's static arrays (docs/workloads.md: objdump).
 *
 * The three arrays hold a different value in every element, so that no
 * two pages are equal and KSM can merge nothing; the scalar 0.5 makes an
 * iteration map a to 1.25 a, so that every write changes the value it
 * overwrites (a lost write to any array shows), and 1.25^1000 stays far
 * from overflow.  The values are checked at the end, element by element.
 *
 * After every action but fork+read the parent is the only mapper again (a
 * forked child has been reaped), so every page the kernels write is
 * exclusive: a copy is unnecessary, unless KSM merged the page (then it
 * is shared).  fork+read keeps its child through the kernels; the child
 * then reads every element and compares it with the value at the fork: a
 * parent's write it sees is a missed COW.
 *
 * Timing pass: per kernel the best and mean rate, and the copies from
 * pagemap PFNs read between the iterations, outside the clocks: copies
 * per second of kernel time.  Counting pass: one window per iteration
 * around the kernels, every page classified; it publishes no time.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/knobs.h"
#include "../lib/pagemap.h"
#include "../lib/supervise.h"
#include "../lib/util.h"
#include "../lib/window.h"
#include "wl.h"
#include "workloads.h"

#define KSM "/sys/kernel/mm/ksm/"
#define KSM_WAIT_S 30
#define SCALAR 0.5
#define PER_PAGE (PAGE_SZ / sizeof(double))
/* a relative error far above k rounding steps, far below 1.25x */
#define TOLERANCE 1e-11

enum step {
	ACT_SWAP = 1 << 0, /* MADV_PAGEOUT, then read every page back */
	ACT_MPROTECT = 1 << 1, /* read-only, then read-write */
	ACT_FORK = 1 << 2, /* a child that exits at once, reaped */
	ACT_READER = 1 << 3, /* a child that reads after the kernels */
};

struct action {
	const char *name;
	unsigned int steps; /* done in the order of enum step */
	bool ksm; /* KSM scans the arrays all along */
};

/* The "action" parameter indexes this table. */
static const struct action actions[] = {
	{ "none", 0, false },
	{ "fork", ACT_FORK, false },
	{ "mprotect", ACT_MPROTECT, false },
	{ "swap", ACT_SWAP, false },
	{ "fork+ksm", ACT_FORK, true },
	{ "mprotect+ksm", ACT_MPROTECT, true },
	{ "swap+fork", ACT_SWAP | ACT_FORK, false },
	{ "fork+read", ACT_READER, false },
};

/* The defaults are configs/quick.conf's: a pass takes well under a second. */
static const struct param_spec params[] = {
	{
		.name = "array",
		.type = CFG_SIZE,
		.min = 2 << 20,
		.max = 1LL << 38,
		.def = { 2 << 20 },
		.ndef = 1,
		.desc = "bytes per array (three arrays)",
	},
	{
		.name = "iterations",
		.type = CFG_INT,
		.min = 2,
		.max = 1000,
		.def = { 3 },
		.ndef = 1,
		.desc = "action + four kernels, per pass; the first is not timed",
	},
	{
		.name = "action",
		.type = CFG_INT,
		.min = 0,
		.max = ARRAY_SIZE(actions) - 1,
		.def = { 0, 1, 2, 4, 7 },
		.ndef = 5,
		.desc = "0 none, 1 fork, 2 mprotect, 3 swap, 4 fork+ksm, 5 mprotect+ksm, 6 swap+fork, 7 fork+read",
	},
};

enum kernel { K_COPY, K_SCALE, K_ADD, K_TRIAD, K_NR };
static const char *const kernel_names[K_NR] = { "copy", "scale", "add",
						"triad" };
/* Arrays each kernel moves (STREAM counts bytes read plus written). */
static const int kernel_arrays[K_NR] = { 2, 2, 3, 3 };

/*
 * fork+read's child: released, it reads and answers with the elements it
 * saw changed; it exits when the parent closes its ends.
 */
struct reader {
	pid_t pid;
	struct wl_hand hand;
};

struct stream {
	const struct action *act;
	double *a, *b, *c;
	size_t n; /* elements per array */
	int iter, iters; /* the iteration in progress, and how many */
	uint64_t best[K_NR], sum[K_NR]; /* ns, timed iterations */
	uint64_t kernel_ns, action_ns, swapped, copies;
	/* AnonHugePages before the kernels: now, and over the pass */
	int64_t huge_now, huge_min, huge_max;
	struct page_view *pv; /* counting pass */
	uint64_t *pfn; /* timing pass */
	unsigned long ksm_scans0;
	struct reader rd;
	uint64_t reader_wrong; /* elements the reader saw written */
	double *lost; /* test fault lost-write: a page of a and of b */
	/* the counting pass's span, first window to last, for the screen */
	struct vmsnap first, last;
	uint64_t first_ns, last_ns;
};

static size_t stream_pages(const struct kvset *p)
{
	return 3 * (size_t)(kv_get(p, "array", 0) / PAGE_SZ);
}

/*
 * The swap actions page the arrays out to a zram device the pass sets up:
 * distinct doubles compress little, so zram holds about the arrays again.
 */
static uint64_t stream_mem(const struct kvset *p)
{
	return actions[kv_get(p, "action", 0)].steps & ACT_SWAP ?
		       stream_pages(p) * PAGE_SZ :
		       0;
}

/* A distinct value in [1, 2) for every element: no two pages are equal. */
static double unique(size_t j)
{
	return 1.0 + (double)(wl_mix(j) >> 12) / (double)(1ULL << 52);
}

/*
 * Element j of a, b, c after k iterations is unique(j) times these: the
 * kernels run on one element, as STREAM's own check does.
 */
struct vals {
	double a, b, c;
};

static struct vals factors(int k)
{
	struct vals v = { 1, 2, 0.5 };
	int i;

	for (i = 0; i < k; i++) {
		v.c = v.a;
		v.b = SCALAR * v.c;
		v.c = v.a + v.b;
		v.a = v.b + SCALAR * v.c;
	}
	return v;
}

static void fill(struct stream *st)
{
	struct vals f = factors(0);
	size_t j;

	for (j = 0; j < st->n; j++) {
		double u = unique(j);

		st->a[j] = f.a * u;
		st->b[j] = f.b * u;
		st->c[j] = f.c * u;
	}
}

/*
 * Elements of a, b, c (bad[0..2]) that differ from their values after k
 * iterations; with pv, each one's page is marked seen by the other party.
 */
static void wrong_values(const struct stream *st, int k, uint64_t bad[3],
			 struct page_view *pv)
{
	struct vals f = factors(k);
	const double *x[3] = { st->a, st->b, st->c };
	const double fx[3] = { f.a, f.b, f.c };
	size_t j;
	int q;

	bad[0] = bad[1] = bad[2] = 0;
	for (j = 0; j < st->n; j++) {
		double u = unique(j);

		for (q = 0; q < 3; q++) {
			double e = fx[q] * u;

			if (fabs(x[q][j] - e) <= TOLERANCE * e)
				continue;
			bad[q]++;
			if (pv)
				pv[(q * st->n + j) / PER_PAGE].other_saw = 1;
		}
	}
}

/* STREAM's own check, element by element: a lost write fails the pass. */
static void check_values(struct stream *st, struct record *r)
{
	uint64_t bad[3];

	wrong_values(st, st->iters, bad, NULL);
	if (!(bad[0] + bad[1] + bad[2]) || r->status != ST_OK)
		return;
	r->status = ST_FAIL;
	snprintf(
		r->reason, sizeof(r->reason),
		"STREAM results wrong (a lost write): a %llu, b %llu, c %llu of %zu elements each",
		(unsigned long long)bad[0], (unsigned long long)bad[1],
		(unsigned long long)bad[2], st->n);
}

/*
 * The kernels, noinline so that restrict survives.  n is a multiple of 512
 * (whole pages).  GCC -O2's very-cheap cost model vectorises a loop only
 * when its trip count is known to be a multiple of the vector length, as
 * for STREAM's static arrays: scale, add and triad run a page (512
 * elements) at a time for that.  copy is one loop, which -O2 turns into
 * one memcpy() call, as it does STREAM's.
 */
static __attribute__((noinline)) void k_copy(double *restrict c,
					     const double *restrict a, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++)
		c[j] = a[j];
}

static __attribute__((noinline)) void
k_scale(double *restrict b, const double *restrict c, double s, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i += PER_PAGE)
		for (j = 0; j < PER_PAGE; j++)
			b[i + j] = s * c[i + j];
}

static __attribute__((noinline)) void k_add(double *restrict c,
					    const double *restrict a,
					    const double *restrict b, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i += PER_PAGE)
		for (j = 0; j < PER_PAGE; j++)
			c[i + j] = a[i + j] + b[i + j];
}

static __attribute__((noinline)) void k_triad(double *restrict a,
					      const double *restrict b,
					      const double *restrict c,
					      double s, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i += PER_PAGE)
		for (j = 0; j < PER_PAGE; j++)
			a[i + j] = b[i + j] + s * c[i + j];
}

static void kernel(struct stream *st, enum kernel k)
{
	switch (k) {
	case K_COPY:
		k_copy(st->c, st->a, st->n);
		break;
	case K_SCALE:
		k_scale(st->b, st->c, SCALAR, st->n);
		break;
	case K_ADD:
		k_add(st->c, st->a, st->b, st->n);
		break;
	default:
		k_triad(st->a, st->b, st->c, SCALAR, st->n);
		break;
	}
}

/* STREAM leaves its first iteration out of every figure. */
static bool timed(const struct stream *st)
{
	return st->iter > 0;
}

/* The four kernels, each timed; the iteration's kernel time in ns. */
static uint64_t kernels(struct stream *st)
{
	uint64_t total = 0, ns;
	int k;

	for (k = 0; k < K_NR; k++) {
		uint64_t t0 = clk_now();

		kernel(st, k);
		ns = (uint64_t)clk_ns(clk_now() - t0);
		if (!timed(st))
			continue;
		if (!st->best[k] || ns < st->best[k])
			st->best[k] = ns;
		st->sum[k] += ns;
		total += ns;
	}
	st->kernel_ns += total;
	return total;
}

/* The counting pass's kernels: no clock. */
static void kernels_untimed(struct stream *st)
{
	int k;

	for (k = 0; k < K_NR; k++)
		kernel(st, k);
}

/*
 * Test fault lost-write: in the last iteration, a page of a and one of b
 * get back the values they had before the kernels, as if the writes had
 * landed in pages the process no longer maps.
 */
static void lost_write_save(struct stream *st)
{
	if (!st->lost || st->iter != st->iters - 1)
		return;
	memcpy(st->lost, st->a + st->n / 2, PAGE_SZ);
	memcpy(st->lost + PER_PAGE, st->b + st->n / 2, PAGE_SZ);
}

static void lost_write_undo(struct stream *st)
{
	if (!st->lost || st->iter != st->iters - 1)
		return;
	memcpy(st->a + st->n / 2, st->lost, PAGE_SZ);
	memcpy(st->b + st->n / 2, st->lost + PER_PAGE, PAGE_SZ);
}

/*
 * PMD-mapped THP of the arrays, as the kernels are about to run on them;
 * the range leaves out the first iteration, as the figures do.
 */
static void note_huge(struct sc *sc, struct stream *st)
{
	int64_t kb = smaps_anon_huge_kb(sc->buf);

	st->huge_now = kb;
	if (!timed(st))
		return;
	if (st->huge_min < 0 || kb < st->huge_min)
		st->huge_min = kb;
	if (kb > st->huge_max)
		st->huge_max = kb;
}

/* ---- the actions ---- */

static size_t count_swapped(struct sc *sc)
{
	uint64_t *pm = xcalloc(sc->pages, 8);
	size_t i, n = 0;

	if (!pagemap_snap(sc->buf, sc->pages, pm, NULL, 1))
		for (i = 0; i < sc->pages; i++)
			n += !!(pm[i] & PM_SWAP);
	free(pm);
	return n;
}

static int swap_step(struct sc *sc, struct stream *st, char *why, int len)
{
	volatile char *p = sc->buf;
	size_t i, n;
	char sink = 0;

	if (madvise(sc->buf, sc->len, MADV_PAGEOUT)) {
		snprintf(why, len, "MADV_PAGEOUT: %s", strerror(errno));
		return errno == EINVAL ? 1 : -1;
	}
	n = count_swapped(sc);
	if (!n) {
		snprintf(why, len, "MADV_PAGEOUT swapped out none of %zu pages",
			 sc->pages);
		return 1;
	}
	st->swapped += n;
	for (i = 0; i < sc->pages; i++)
		sink ^= p[i * PAGE_SZ];
	(void)sink;
	return 0;
}

static int mprotect_step(struct sc *sc, char *why, int len)
{
	if (!mprotect(sc->buf, sc->len, PROT_READ) &&
	    !mprotect(sc->buf, sc->len, PROT_READ | PROT_WRITE))
		return 0;
	snprintf(why, len, "mprotect: %s", strerror(errno));
	return -1;
}

static int exit_at_once(void *arg)
{
	(void)arg;
	return 0;
}

static int fork_step(char *why, int len)
{
	pid_t pid = wl_spawn(-1, exit_at_once, NULL);

	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	return wl_reap(pid, "the forked child", why, len);
}

/* ---- fork+read: a child that reads what the parent wrote after the fork ---- */

static int reader_main(void *arg)
{
	struct stream *st = arg;
	struct reader *rd = &st->rd;
	uint64_t bad[3];

	wl_hand_child(&rd->hand);
	if (wl_hand_hold(&rd->hand))
		return 1;
	/* the arrays as at the fork: the values after st->iter iterations */
	wrong_values(st, st->iter, bad, st->pv);
	if (wl_hand_done(&rd->hand, bad[0] + bad[1] + bad[2]))
		return 1;
	/* stay mapped until the parent has read our page table */
	while (!wl_hand_hold(&rd->hand))
		;
	return 0;
}

static void reader_close(struct reader *rd)
{
	wl_hand_close(&rd->hand);
}

/* Fork the reader on the other CPU: it waits there until the kernels end. */
static int reader_start(struct sc *sc, struct stream *st, char *why, int len)
{
	struct reader *rd = &st->rd;

	if (wl_hand_open(&rd->hand, why, len))
		return -1;
	rd->pid = wl_spawn(sc->other_cpu, reader_main, st);
	wl_hand_parent(&rd->hand);
	if (rd->pid > 0)
		return 0;
	snprintf(why, len, "fork: %s", strerror(errno));
	reader_close(rd);
	return -1;
}

/* Let it read; add the elements it saw changed. */
static int reader_read(struct stream *st, char *why, int len)
{
	struct reader *rd = &st->rd;
	uint64_t bad;

	if (wl_hand_release(&rd->hand, rd->pid, why, len))
		return -1;
	if (!wl_hand_wait(&rd->hand, &bad)) {
		st->reader_wrong += bad;
		return 0;
	}
	snprintf(why, len, "the fork+read child did not answer");
	return -1;
}

/* EOF on its pipe ends it; reaped on every path. */
static int reader_end(struct stream *st, char *why, int len)
{
	struct reader *rd = &st->rd;
	int ret;

	if (rd->pid <= 0)
		return 0;
	reader_close(rd);
	ret = wl_reap(rd->pid, "the fork+read child", why, len);
	rd->pid = 0;
	return ret;
}

static int action(struct sc *sc, struct stream *st, char *why, int len)
{
	unsigned int steps = st->act->steps;
	uint64_t t0 = clk_now();
	int ret = 0;

	if (steps & ACT_SWAP)
		ret = swap_step(sc, st, why, len);
	if (!ret && (steps & ACT_MPROTECT))
		ret = mprotect_step(sc, why, len);
	if (!ret && (steps & ACT_FORK))
		ret = fork_step(why, len);
	if (!ret && (steps & ACT_READER))
		ret = reader_start(sc, st, why, len);
	if (timed(st))
		st->action_ns += (uint64_t)clk_ns(clk_now() - t0);
	if (!ret)
		note_huge(sc, st);
	return ret;
}

/* ---- resources: swap, KSM ---- */

static int swap_setup(struct sc *sc, char *why, int len)
{
	char dev[64];
	int ret;

	if (access("/sys/block/zram0", F_OK) &&
	    access("/sys/class/zram-control", F_OK)) {
		snprintf(why, len, "no zram (CONFIG_ZRAM) for the swap action");
		return 1;
	}
	ret = knob_zram(sc->len + (16 << 20), dev, sizeof(dev));
	if (!ret)
		ret = knob_swapon(dev);
	if (ret)
		snprintf(why, len, "zram swap device: %s%s", strerror(-ret),
			 ret == -ENOSYS ? " (no CONFIG_SWAP)" : "");
	/* no swap in the kernel: the swap action is a skip */
	return ret == -ENOSYS ? 1 : ret ? -1 : 0;
}

static unsigned long ksm_full_scans(void)
{
	char buf[32];

	return knob_read(KSM "full_scans", buf, sizeof(buf)) ?
		       0 :
		       strtoul(buf, NULL, 10);
}

/*
 * KSM on, scanning every page on every pass (no smart scan: unique pages
 * would be skipped after a few passes), fast enough to go over the arrays
 * many times per pass.  The supervisor puts the knobs back.
 */
static int ksm_setup(struct sc *sc, struct stream *st, char *why, int len)
{
	static const char *const set[][2] = {
		{ KSM "smart_scan", "0" },
		{ KSM "pages_to_scan", "8192" },
		{ KSM "sleep_millisecs", "1" },
		{ KSM "run", "1" },
	};
	size_t i;
	int ret;

	if (access(KSM "run", F_OK)) {
		snprintf(why, len, "no KSM (CONFIG_KSM) for the +ksm action");
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(set); i++) {
		ret = knob_set(set[i][0], set[i][1]);
		if (ret && (ret != -ENOENT || i == ARRAY_SIZE(set) - 1)) {
			snprintf(why, len, "%s: %s", set[i][0], strerror(-ret));
			return -1;
		}
	}
	if (madvise(sc->buf, sc->len, MADV_MERGEABLE)) {
		snprintf(why, len, "MADV_MERGEABLE: %s", strerror(errno));
		return errno == EINVAL ? 1 : -1;
	}
	st->ksm_scans0 = ksm_full_scans();
	return 0;
}

/* Two full scans after MADV_MERGEABLE: one went over all of the arrays. */
static int ksm_wait(struct stream *st, char *why, int len)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < KSM_WAIT_S * 1000; i++) {
		if (ksm_full_scans() >= st->ksm_scans0 + 2)
			return 0;
		nanosleep(&ms, NULL);
	}
	snprintf(why, len, "KSM did not finish a scan of the arrays in %d s",
		 KSM_WAIT_S);
	return 1;
}

/* ---- the region ---- */

static int setup(struct sc *sc, struct stream *st, char *why, int len)
{
	const struct backing_ops *bk = sc->bk->ops;
	int ret;

	st->act = &actions[kv_get(sc->params, "action", 0)];
	st->iters = (int)kv_get(sc->params, "iterations", 0);
	st->n = sc->len / 3 / sizeof(double);
	st->huge_min = -1;
	st->rd = (struct reader){ .hand = { { -1, -1 }, { -1, -1 } } };
	if (test_fault("lost-write"))
		st->lost = xmalloc(2 * PAGE_SZ);
	ret = bk->map(sc, why, len);
	if (ret)
		return ret;
	st->a = (double *)sc->buf;
	st->b = st->a + st->n;
	st->c = st->b + st->n;
	fill(st);
	ret = bk->verify(sc, why, len);
	if (!ret && (st->act->steps & ACT_SWAP))
		ret = swap_setup(sc, why, len);
	if (!ret && st->act->ksm)
		ret = ksm_setup(sc, st, why, len);
	if (!ret && st->act->ksm)
		ret = ksm_wait(st, why, len);
	return ret;
}

/* ---- the passes ---- */

static void rate(struct kvset *x, const char *kname, const char *what,
		 size_t bytes, uint64_t ns)
{
	char key[40];

	snprintf(key, sizeof(key), "%s_%smb_per_s", kname, what);
	if (ns)
		kv_set(x, key, (int64_t)(bytes * 1000.0 / ns));
}

/* Every figure over the timed iterations (all but the first). */
static void timing_extra(struct stream *st, struct record *r)
{
	size_t bytes = st->n * sizeof(double);
	int64_t iters = st->iters - 1;
	int k;

	for (k = 0; k < K_NR; k++) {
		rate(&r->c.extra, kernel_names[k], "", kernel_arrays[k] * bytes,
		     st->best[k]);
		rate(&r->c.extra, kernel_names[k], "avg_",
		     kernel_arrays[k] * bytes, st->sum[k] / iters);
	}
	kv_set(&r->c.extra, "timed_iterations", iters);
	kv_set(&r->c.extra, "copies", (int64_t)st->copies);
	if (st->kernel_ns)
		kv_set(&r->c.extra, "copies_per_s",
		       (int64_t)(st->copies * 1e9 / st->kernel_ns));
	kv_set(&r->c.extra, "action_us",
	       (int64_t)(st->action_ns / 1000 / iters));
}

/* Writer PFNs that changed between two reads of pagemap: the copies. */
static int count_copies(struct sc *sc, struct stream *st, bool before)
{
	uint64_t *pm = before ? st->pfn : st->pfn + sc->pages;
	size_t i;
	int ret = pagemap_snap(sc->buf, sc->pages, pm, NULL, 1);

	for (i = 0; !ret && !before && timed(st) && i < sc->pages; i++)
		st->copies += (st->pfn[i] & PM_PRESENT) &&
			      PM_PFN(st->pfn[i]) != PM_PFN(pm[i]);
	return ret;
}

/* One iteration of the timing pass; everything but the kernels untimed. */
static int time_iteration(struct sc *sc, struct stream *st, struct record *r,
			  char *why, int len)
{
	uint64_t ns;
	int ret = action(sc, st, why, len);

	if (!ret)
		ret = count_copies(sc, st, true);
	if (ret)
		return ret;
	lost_write_save(st);
	ns = kernels(st);
	if (timed(st))
		hist_record(&r->lat, ns);
	lost_write_undo(st);
	ret = count_copies(sc, st, false);
	if (!ret && st->rd.pid > 0)
		ret = reader_read(st, why, len);
	if (!ret)
		ret = reader_end(st, why, len);
	return ret;
}

static int timing(struct sc *sc, struct stream *st, struct record *r, char *why,
		  int len)
{
	struct window w;
	int ret = 0;

	st->pfn = xcalloc(2 * sc->pages, 8);
	window_open(&w, false, NULL, 0);
	window_arm(&w);
	for (st->iter = 0; !ret && st->iter < st->iters; st->iter++)
		ret = time_iteration(sc, st, r, why, len);
	window_disarm(&w);
	window_fill(&w, r, 1, NULL, 0);
	window_close(&w);
	free(st->pfn);
	if (ret < 0 && !why[0])
		snprintf(why, len, "pagemap: %s", strerror(-ret));
	r->has_lat = !ret;
	wl_timing_counts(r); /* the extras: rates and copies */
	r->window_ns = (double)st->kernel_ns;
	timing_extra(st, r);
	return ret;
}

/*
 * Before the kernels: every page written, exclusive unless KSM merged it
 * or the reader maps it (wl_classify decides that from its PTEs).
 */
static int view_before(struct sc *sc, struct stream *st, char *why, int len)
{
	struct page_view *pv = st->pv;
	size_t i;
	int ret = wl_snap_writer(sc->buf, sc->pages, pv, false, why, len);

	for (i = 0; !ret && i < sc->pages; i++) {
		pv[i].written = 1;
		pv[i].other_saw = 0;
		pv[i].expect =
			pv[i].w_flags & KPF_KSM ? EXP_SHARED : EXP_EXCLUSIVE;
	}
	if (!ret)
		ret = wl_snap_other(st->rd.pid, sc->buf, sc->pages, pv, false,
				    why, len);
	return ret;
}

/* After the kernels: the reader reads, then its PTEs are read. */
static int view_after(struct sc *sc, struct stream *st, struct record *r,
		      char *why, int len)
{
	struct page_view *pv = st->pv;
	size_t i;
	int ret = wl_snap_writer(sc->buf, sc->pages, pv, true, why, len);

	if (!ret && st->rd.pid > 0)
		ret = reader_read(st, why, len);
	if (!ret)
		ret = wl_snap_other(st->rd.pid, sc->buf, sc->pages, pv, true,
				    why, len);
	if (!ret)
		ret = reader_end(st, why, len);
	if (ret || !(st->act->steps & ACT_READER)) {
		for (i = 0; !ret && i < sc->pages; i++)
			classify_page(&pv[i], &r->c.t);
		return ret;
	}
	wl_classify(pv, sc->pages, &r->c.t);
	return 0;
}

/* One iteration in a window of its own: faults are per page and per iteration. */
static int count_iteration(struct sc *sc, struct stream *st, struct record *r,
			   char *why, int len)
{
	struct record *it = xmalloc(sizeof(*it));
	bool pmd = st->huge_now * 1024 == (int64_t)sc->len;
	struct window w;
	int ret;

	record_init(it);
	window_open(&w, true, sc->buf, sc->pages);
	ret = view_before(sc, st, why, len);
	if (!ret) {
		lost_write_save(st);
		window_arm(&w);
		kernels_untimed(st);
		window_disarm(&w);
		lost_write_undo(st);
		window_fill(&w, it, pmd ? sc->bk->fault_pages : 1,
			    &st->pv->faulted, sizeof(struct page_view));
	}
	window_close(&w);
	if (!ret)
		ret = view_after(sc, st, r, why, len);
	if (!ret)
		wl_counts_add_window(r, it);
	if (st->iter == 0) {
		st->first = w.vb;
		st->first_ns = w.sb.wall_ns;
	}
	st->last = w.va;
	st->last_ns = w.sa.wall_ns;
	free(it);
	return ret;
}

static int counting(struct sc *sc, struct stream *st, struct record *r,
		    char *why, int len)
{
	size_t bytes = sc->pages * sizeof(struct page_view);
	int ret = 0;

	st->pv = wl_shared(bytes);
	if (!st->pv) {
		snprintf(why, len, "page views: %s", strerror(errno));
		return -1;
	}
	wl_counts_zero(r);
	for (st->iter = 0; !ret && st->iter < st->iters; st->iter++) {
		ret = action(sc, st, why, len);
		if (!ret)
			ret = count_iteration(sc, st, r, why, len);
	}
	wl_shared_free(st->pv, bytes);
	if (ret < 0 && !why[0])
		snprintf(why, len, "pagemap/kpageflags: %s%s", strerror(-ret),
			 ret == -EPERM ? " (PFNs need CAP_SYS_ADMIN)" : "");
	r->c.has_pages = !ret;
	/*
	 * Judged over the whole span: a window of one iteration is a few
	 * ticks, and one tick of steal would be a large share of it.
	 */
	if (!ret)
		vmsnap_perturbed(&st->first, &st->last,
				 st->last_ns - st->first_ns, r->perturbed,
				 sizeof(r->perturbed));
	if (tally_decided(&r->c.t)) /* else unknown: absent, never 0 */
		kv_set(&r->c.extra, "copies_per_iteration",
		       (int64_t)(r->c.t.copies / r->ops));
	return ret;
}

static void put_extra(struct stream *st, struct record *r)
{
	struct kvset *x = &r->c.extra;

	if (st->act->steps & ACT_SWAP)
		kv_set(x, "swapped_out_pages", (int64_t)st->swapped);
	if (st->act->ksm)
		kv_set(x, "ksm_full_scans",
		       (int64_t)(ksm_full_scans() - st->ksm_scans0));
	if (st->act->steps & ACT_READER)
		kv_set(x, "reader_wrong_elements", (int64_t)st->reader_wrong);
	kv_set(x, "anon_huge_kb_min", st->huge_min);
	kv_set(x, "anon_huge_kb_max", st->huge_max);
}

/*
 * The timing pass has no page view: the reader's word fails it (in the
 * counting pass its pages are missed COWs, and the verdict follows).
 */
static void reader_verdict(struct stream *st, struct record *r, bool counting)
{
	if (!st->reader_wrong || r->status != ST_OK || counting)
		return;
	r->status = ST_FAIL;
	snprintf(
		r->reason, sizeof(r->reason),
		"missed COW: the fork+read child saw %llu element(s) the parent wrote after the fork",
		(unsigned long long)st->reader_wrong);
}

static int stream_drive(struct sc *sc, struct record *r, char *why, int len)
{
	struct stream st = { 0 };
	int ret = setup(sc, &st, why, len);

	r->ops = (uint64_t)st.iters;
	if (!ret)
		ret = sc->pass == PASS_COUNTING ?
			      counting(sc, &st, r, why, len) :
			      timing(sc, &st, r, why, len);
	if (st.rd.pid > 0) { /* an error path left it waiting */
		reader_close(&st.rd);
		wl_kill(st.rd.pid);
	}
	free(st.lost);
	if (ret)
		return ret;
	put_extra(&st, r);
	reader_verdict(&st, r, sc->pass == PASS_COUNTING);
	check_values(&st, r);
	return 0;
}

const struct scenario_ops wl_stream = {
	.name = "stream",
	.desc = "STREAM copy/scale/add/triad with an untimed action (fork, mprotect, swap, KSM, a reading child) before each iteration",
	.blocks = true,
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.passes = (1u << PASS_TIMING) | (1u << PASS_COUNTING),
	.region_pages = stream_pages,
	.mem_bytes = stream_mem,
	.drive = stream_drive,
};
