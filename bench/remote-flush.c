// SPDX-License-Identifier: GPL-2.0
/*
 * COW faults in a multithreaded writer.  The parent populates and forks
 * (the child holds every page); then T threads of the parent, each pinned
 * to a CPU of its own, write their own slice of "pages" pages in lockstep
 * with the main thread.  Every copy replaces a present PTE, and another CPU
 * runs the mm, so the fault must flush the other CPUs' TLBs
 * (flush_tlb_mm_range() -> flush_tlb_multi()): the counts show the flushes
 * each side saw, and the main thread's per-op latency (the timed ops)
 * against threads = 1 shows what they cost.
 *
 * Siblings wait on a plain atomic load, never PAUSE or a yield: a CPU that
 * leaves the mm goes lazy and is no longer sent the IPI.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "../lib/topo.h"
#include "bench.h"

#define MAX_THREADS 1024

static const struct param_spec params[] = {
	PAGES_PARAM("4 KiB pages in the region, one write each"),
	{
		.name = "threads",
		.type = CFG_INT,
		.min = 1,
		.max = MAX_THREADS,
		.def = { 1, 2 },
		.ndef = 2,
		.desc = "writer threads, one per CPU, each writing its own \"pages\" (1: the baseline)",
	},
};

struct sibling {
	struct flush_state *f;
	char *slice;
	int cpu, pinned;
	long faults;
	pthread_t tid;
};

/*
 * Private memory mapped after the fork: nothing the window touches here
 * is shared with the child, so it takes no COW fault of its own.
 */
struct flush_state {
	_Alignas(64) atomic_size_t progress; /* pages the main thread began */
	_Alignas(64) atomic_int ready, done, stop;
	size_t pages;
	int nsib;
	struct sibling sib[MAX_THREADS];
};

static int threads_of(const struct sc *sc)
{
	return (int)kv_get(sc->params, "threads", 1);
}

static size_t flush_pages(const struct kvset *p)
{
	return (size_t)(kv_get(p, "pages", 0) * kv_get(p, "threads", 1));
}

static size_t flush_nops(const struct sc *sc)
{
	return sc->pages / threads_of(sc);
}

static bool flush_writes(struct sc *sc, size_t i)
{
	return i < sc->pages;
}

/*
 * Before the fork: one CPU per thread, and at least two, since a remote
 * flush needs a CPU besides the writer's (threads = 1 is the baseline).
 */
static int flush_init(struct sc *sc, char *why, int len)
{
	int cpus[MAX_THREADS], n = topo_cpus(cpus, MAX_THREADS);
	int need = threads_of(sc) > 1 ? threads_of(sc) : 2;

	if (need <= n)
		return 0;
	snprintf(
		why, len,
		"needs %d CPUs (one per thread, and a second for a remote flush), hwloc sees %d",
		need, n);
	return 1;
}

/* Spin on a plain load: no PAUSE, no yield, the mm stays loaded here. */
static bool wait_for(atomic_size_t *v, size_t above, atomic_int *stop)
{
	while (atomic_load_explicit(v, memory_order_acquire) <= above)
		if (atomic_load_explicit(stop, memory_order_relaxed))
			return false;
	return true;
}

static void *sibling_main(void *arg)
{
	struct sibling *s = arg;
	struct flush_state *f = s->f;
	volatile char *slice = s->slice;
	struct rusage r0, r1;
	size_t i;

	s->pinned = !topo_pin_thread(s->cpu);
	getrusage(RUSAGE_THREAD, &r0);
	atomic_fetch_add(&f->ready, 1);
	for (i = 0; i < f->pages && wait_for(&f->progress, i, &f->stop); i++)
		slice[i * PAGE_SZ] = (char)WRITE_BYTE;
	getrusage(RUSAGE_THREAD, &r1);
	s->faults = r1.ru_minflt - r0.ru_minflt;
	atomic_fetch_add(&f->done, 1);
	while (!atomic_load_explicit(&f->stop, memory_order_relaxed))
		;
	return NULL;
}

static void stop_siblings(struct flush_state *f, int started)
{
	int k;

	atomic_store(&f->stop, 1);
	for (k = 0; k < started; k++)
		pthread_join(f->sib[k].tid, NULL);
}

static int start_siblings(struct sc *sc, struct flush_state *f, char *why,
			  int len)
{
	int cpus[MAX_THREADS], n = topo_cpus(cpus, MAX_THREADS), k, c;

	/* every CPU but the writer's, in hwloc's order */
	for (k = 0, c = 0; c < n && k < f->nsib; c++) {
		struct sibling *s = &f->sib[k];

		if (cpus[c] == sc->writer_cpu)
			continue;
		*s = (struct sibling){ .f = f,
				       .cpu = cpus[c],
				       .slice = sc->buf +
						(k + 1) * f->pages * PAGE_SZ };
		if (pthread_create(&s->tid, NULL, sibling_main, s))
			break;
		k++;
	}
	if (k < f->nsib) {
		stop_siblings(f, k);
		snprintf(why, len, "started %d of %d sibling threads", k,
			 f->nsib);
		return -1;
	}
	while (atomic_load(&f->ready) < f->nsib)
		;
	for (k = 0; k < f->nsib; k++) {
		if (!f->sib[k].pinned) {
			stop_siblings(f, f->nsib);
			snprintf(why, len, "cannot pin a sibling to CPU %d",
				 f->sib[k].cpu);
			return -1;
		}
	}
	return 0;
}

static int flush_prepare(struct sc *sc, enum role r, char *why, int len)
{
	struct flush_state *f;

	if (r != ROLE_WRITER)
		return 0;
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (f == MAP_FAILED) {
		snprintf(why, len, "sibling state: %s", strerror(errno));
		return -1;
	}
	f->pages = sc->nops;
	f->nsib = threads_of(sc) - 1;
	sc->priv = f;
	return start_siblings(sc, f, why, len);
}

/* The main thread's write i lets every sibling write its page i. */
static void flush_op(struct sc *sc, size_t i)
{
	struct flush_state *f = sc->priv;

	atomic_store_explicit(&f->progress, i + 1, memory_order_release);
	((volatile char *)sc->buf)[i * PAGE_SZ] = (char)WRITE_BYTE;
	if (i + 1 < sc->nops)
		return;
	/* the window ends when the siblings' last faults are done */
	while (atomic_load_explicit(&f->done, memory_order_acquire) < f->nsib)
		;
	atomic_store(&f->stop, 1);
}

static void flush_extra(struct sc *sc, struct kvset *extra)
{
	struct flush_state *f = sc->priv;
	long faults = 0;
	int k;

	for (k = 0; k < f->nsib; k++)
		faults += f->sib[k].faults;
	kv_set(extra, "sibling_faults", faults);
	kv_set(extra, "sibling_pages", (int64_t)(f->nsib * f->pages));
}

static void flush_cleanup(struct sc *sc, enum role r)
{
	struct flush_state *f = sc->priv;

	if (r != ROLE_WRITER || !f)
		return;
	stop_siblings(f, f->nsib);
	munmap(f, sizeof(*f));
}

const struct scenario_ops sc_remote_flush = {
	.name = "remote-flush",
	.desc = "fork; T parent threads, one per CPU, write their own pages in lockstep: remote TLB flushes per COW",
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.populate = POP_WRITE,
	.share = &share_parent_writes,
	.expect = EXP_SHARED,
	.region_pages = flush_pages,
	.nops = flush_nops,
	.writes = flush_writes,
	.init = flush_init,
	.prepare = flush_prepare,
	.op = flush_op,
	.extra = flush_extra,
	.cleanup = flush_cleanup,
};
