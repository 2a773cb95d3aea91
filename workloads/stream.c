// SPDX-License-Identifier: GPL-2.0
/*
 * STREAM (copy, scale, add, triad) with an untimed action before each
 * iteration, as in the Copy-on-Pin paper (ASPLOS 2023): what the COW
 * copies an action leaves behind cost an application, per policy.
 *
 * The three arrays hold a different value in every element, so that no
 * two pages are equal and KSM can merge nothing; the scalar s = sqrt(2) - 1
 * makes an iteration map a to (2s + s^2) a = a, so the values neither grow
 * nor repeat, and are checked at the end as STREAM checks its own.
 *
 * After every action the parent is the only mapper again (a forked child
 * has been reaped), so every page the kernels write is exclusive: a copy
 * is unnecessary, unless KSM merged the page (then it is shared).
 *
 * Timing pass: per kernel the best and mean rate, and the copies from
 * pagemap PFNs read between the iterations, outside the clocks: copies
 * per second of kernel time.  Counting pass: one window per iteration
 * around the kernels, every page classified.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/knobs.h"
#include "../lib/pagemap.h"
#include "../lib/supervise.h"
#include "../lib/window.h"
#include "workloads.h"

#define KSM "/sys/kernel/mm/ksm/"
#define KSM_WAIT_S 30

enum step {
	ACT_SWAP = 1 << 0, /* MADV_PAGEOUT, then read every page back */
	ACT_MPROTECT = 1 << 1, /* read-only, then read-write */
	ACT_FORK = 1 << 2, /* a child that exits at once, reaped */
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
};

static const struct param_spec params[] = {
	{
		.name = "array",
		.type = CFG_SIZE,
		.min = 2 << 20,
		.max = 1LL << 38,
		.def = { 336 << 20 },
		.ndef = 1,
		.desc = "bytes per array (three arrays)",
	},
	{
		.name = "iterations",
		.type = CFG_INT,
		.min = 1,
		.max = 1000,
		.def = { 10 },
		.ndef = 1,
		.desc = "action + four kernels, per pass",
	},
	{
		.name = "action",
		.type = CFG_INT,
		.min = 0,
		.max = ARRAY_SIZE(actions) - 1,
		.def = { 0, 1, 2, 3, 4, 5, 6 },
		.ndef = 7,
		.desc = "0 none, 1 fork, 2 mprotect, 3 swap, 4 fork+ksm, 5 mprotect+ksm, 6 swap+fork",
	},
};

enum kernel { K_COPY, K_SCALE, K_ADD, K_TRIAD, K_NR };
static const char *const kernel_names[K_NR] = { "copy", "scale", "add",
						"triad" };
/* Arrays each kernel moves (STREAM counts bytes read plus written). */
static const int kernel_arrays[K_NR] = { 2, 2, 3, 3 };

struct stream {
	const struct action *act;
	double *a, *b, *c;
	size_t n; /* elements per array */
	double s;
	uint64_t best[K_NR], sum[K_NR]; /* ns */
	uint64_t kernel_ns, action_ns, swapped, copies;
	struct page_view *pv; /* counting pass */
	uint64_t *pfn; /* timing pass */
	unsigned long ksm_scans0;
	/* the counting pass's span, first window to last, for the screen */
	struct vmsnap first, last;
	uint64_t first_ns, last_ns;
};

static size_t stream_pages(const struct kvset *p)
{
	return 3 * (size_t)(kv_get(p, "array", 0) / PAGE_SZ);
}

/* A distinct value in [1, 2) for every element: no two pages are equal. */
static double unique(size_t i)
{
	uint64_t x = i + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return 1.0 + (double)(x >> 12) / (double)(1ULL << 52);
}

static void fill(struct stream *st)
{
	size_t j;

	for (j = 0; j < st->n; j++) {
		st->a[j] = unique(j);
		st->b[j] = st->s * st->a[j];
		st->c[j] = (1 + st->s) * st->a[j];
	}
}

/* STREAM's own check, element by element against the start values. */
static int check_values(struct stream *st, char *why, int len)
{
	size_t j, bad = 0;

	for (j = 0; j < st->n; j++) {
		double a = unique(j);

		bad += fabs(st->a[j] - a) > 1e-9 * a ||
		       fabs(st->b[j] - st->s * a) > 1e-9 * a ||
		       fabs(st->c[j] - (1 + st->s) * a) > 1e-9 * a;
	}
	if (!bad)
		return 0;
	snprintf(why, len, "STREAM results wrong in %zu of %zu elements", bad,
		 st->n);
	return -1;
}

static void kernel(struct stream *st, enum kernel k)
{
	double *a = st->a, *b = st->b, *c = st->c, s = st->s;
	size_t j, n = st->n;

	switch (k) {
	case K_COPY:
		for (j = 0; j < n; j++)
			c[j] = a[j];
		break;
	case K_SCALE:
		for (j = 0; j < n; j++)
			b[j] = s * c[j];
		break;
	case K_ADD:
		for (j = 0; j < n; j++)
			c[j] = a[j] + b[j];
		break;
	default:
		for (j = 0; j < n; j++)
			a[j] = b[j] + s * c[j];
		break;
	}
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
		if (!st->best[k] || ns < st->best[k])
			st->best[k] = ns;
		st->sum[k] += ns;
		total += ns;
	}
	st->kernel_ns += total;
	return total;
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

static int fork_step(char *why, int len)
{
	pid_t pid = fork_tied();

	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	return 0;
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
	st->action_ns += (uint64_t)clk_ns(clk_now() - t0);
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
	st->n = sc->len / 3 / sizeof(double);
	st->s = M_SQRT2 - 1;
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

static void timing_extra(struct stream *st, struct record *r)
{
	size_t bytes = st->n * sizeof(double);
	int64_t iters = (int64_t)r->ops;
	int k;

	for (k = 0; k < K_NR; k++) {
		rate(&r->c.extra, kernel_names[k], "", kernel_arrays[k] * bytes,
		     st->best[k]);
		rate(&r->c.extra, kernel_names[k], "avg_",
		     kernel_arrays[k] * bytes, st->sum[k] / iters);
	}
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

	for (i = 0; !ret && !before && i < sc->pages; i++)
		st->copies += (st->pfn[i] & PM_PRESENT) &&
			      PM_PFN(st->pfn[i]) != PM_PFN(pm[i]);
	return ret;
}

static int timing(struct sc *sc, struct stream *st, struct record *r, char *why,
		  int len)
{
	struct window w;
	size_t i;
	int ret = 0;

	st->pfn = xcalloc(2 * sc->pages, 8);
	window_open(&w, false, NULL, 0);
	window_arm(&w);
	for (i = 0; !ret && i < r->ops; i++) {
		ret = action(sc, st, why, len);
		if (!ret)
			ret = count_copies(sc, st, true);
		if (!ret)
			hist_record(&r->lat, kernels(st));
		if (!ret)
			ret = count_copies(sc, st, false);
	}
	window_disarm(&w);
	window_fill(&w, r, 1, NULL, 0);
	window_close(&w);
	free(st->pfn);
	if (ret < 0 && !why[0])
		snprintf(why, len, "pagemap: %s", strerror(-ret));
	r->has_lat = !ret;
	r->has_counts = true; /* for the extras: rates and copies */
	r->window_ns = (double)st->kernel_ns;
	timing_extra(st, r);
	return ret;
}

/* Add one iteration's counts into the pass's. */
static void counts_add(struct record *r, const struct record *it, bool first)
{
	struct rec_counts *d = &r->c;
	const struct rec_counts *s = &it->c;
	int i;

	if (first) {
		struct tally t = d->t;
		struct kvset x = d->extra;

		*d = *s;
		d->t = t;
		d->extra = x;
		r->screen = it->screen;
		r->has_counts = it->has_counts;
		return;
	}
	d->faults = d->faults < 0 || s->faults < 0 ? -1 : d->faults + s->faults;
	d->faults_task += s->faults_task;
	d->faults_min += s->faults_min;
	d->faults_maj += s->faults_maj;
	d->tlb_ipis_received += s->tlb_ipis_received;
	for (i = 0; i < s->tlb_flush.v.n; i++)
		kv_add(&d->tlb_flush.v, s->tlb_flush.v.kv[i].key,
		       s->tlb_flush.v.kv[i].val);
	for (i = 0; i < s->tlb_events.v.n; i++)
		kv_add(&d->tlb_events.v, s->tlb_events.v.kv[i].key,
		       s->tlb_events.v.kv[i].val);
	for (i = 0; i < s->vmstat.n; i++)
		kv_add(&d->vmstat, s->vmstat.kv[i].key, s->vmstat.kv[i].val);
	for (i = 0; i < it->screen.n; i++)
		kv_add(&r->screen, it->screen.kv[i].key, it->screen.kv[i].val);
}

/* Before the kernels: every page written, exclusive unless KSM merged it. */
static int view_before(struct sc *sc, struct stream *st)
{
	struct page_view *pv = st->pv;
	size_t i;
	int ret = pagemap_snap(sc->buf, sc->pages, &pv->w_before, &pv->w_flags,
			       PV_STRIDE);

	if (!ret && pagemap_hidden(&pv->w_before, sc->pages, PV_STRIDE))
		ret = -EPERM;
	for (i = 0; !ret && i < sc->pages; i++) {
		pv[i].written = 1;
		pv[i].expect =
			pv[i].w_flags & KPF_KSM ? EXP_SHARED : EXP_EXCLUSIVE;
	}
	return ret;
}

/* One iteration in a window of its own: faults are per page and per iteration. */
static int count_iteration(struct sc *sc, struct stream *st, struct record *r,
			   bool first)
{
	struct record *it = xmalloc(sizeof(*it));
	bool pmd = smaps_anon_huge_kb(sc->buf) * 1024 == (int64_t)sc->len;
	struct window w;
	size_t i;
	int ret;

	record_init(it);
	window_open(&w, true, sc->buf, sc->pages);
	ret = view_before(sc, st);
	if (!ret) {
		window_arm(&w);
		kernels(st);
		window_disarm(&w);
		ret = pagemap_snap(sc->buf, sc->pages, &st->pv->w_after,
				   &st->pv->w_flags_after, PV_STRIDE);
		window_fill(&w, it, pmd ? sc->bk->fault_pages : 1,
			    &st->pv->faulted, sizeof(struct page_view));
	}
	window_close(&w);
	for (i = 0; !ret && i < sc->pages; i++)
		classify_page(&st->pv[i], &r->c.t);
	if (!ret)
		counts_add(r, it, first);
	if (first) {
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
	size_t bytes = sc->pages * sizeof(struct page_view), i;
	int ret = 0;

	st->pv = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st->pv == MAP_FAILED) {
		snprintf(why, len, "page views: %s", strerror(errno));
		return -1;
	}
	for (i = 0; !ret && i < r->ops; i++) {
		ret = action(sc, st, why, len);
		if (!ret)
			ret = count_iteration(sc, st, r, i == 0);
	}
	munmap(st->pv, bytes);
	if (ret < 0 && !why[0])
		snprintf(why, len, "pagemap/kpageflags: %s%s", strerror(-ret),
			 ret == -EPERM ? " (PFNs need CAP_SYS_ADMIN)" : "");
	r->c.has_pages = !ret;
	r->window_ns = (double)st->kernel_ns;
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

static int stream_drive(struct sc *sc, struct record *r, char *why, int len)
{
	struct stream st = { 0 };
	int ret = setup(sc, &st, why, len);

	r->ops = (uint64_t)kv_get(sc->params, "iterations", 1);
	if (!ret)
		ret = sc->pass == PASS_COUNTING ?
			      counting(sc, &st, r, why, len) :
			      timing(sc, &st, r, why, len);
	if (!ret)
		ret = check_values(&st, why, len);
	if (!ret && (st.act->steps & ACT_SWAP))
		kv_set(&r->c.extra, "swapped_out_pages", (int64_t)st.swapped);
	if (!ret && st.act->ksm)
		kv_set(&r->c.extra, "ksm_full_scans",
		       (int64_t)(ksm_full_scans() - st.ksm_scans0));
	return ret;
}

const struct scenario_ops wl_stream = {
	.name = "stream",
	.desc = "STREAM copy/scale/add/triad with an untimed action (fork, mprotect, swap, KSM) before each iteration",
	.blocks = true,
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.passes = (1u << PASS_TIMING) | (1u << PASS_COUNTING),
	.region_pages = stream_pages,
	.drive = stream_drive,
};
