// SPDX-License-Identifier: GPL-2.0
/*
 * An in-memory database on the backing's memory (4 KiB, PMD THP through
 * MADV_HUGEPAGE, or an mTHP size): an open-addressing hash table of
 * fixed-size records, updated at a fixed rate by threads on CPUs of their
 * own, with snapshot forks whose child walks every record, as a
 * fork-based checkpoint does.
 *
 * Every record carries the update sequence number that last wrote it and
 * a body derived from (key, seq): the child fails the snapshot (a missed
 * COW) if it reads a record newer than the fork or a torn one.
 *
 * Timing pass: updates for duration_ms, a snapshot every snapshot_ms;
 * update latency from the intended start (open loop, coordinated omission
 * corrected) split into during (from the fork until the child is reaped)
 * and outside a snapshot.  Only this pass reports times.  Counting pass:
 * one snapshot, updates until the child is done and for duration_ms in
 * all, in one window: pages the parent wrote while the child lived are
 * shared (a copy is necessary), pages written only later are exclusive.
 *
 * Threads: the first (on the writer's CPU) also forks and reaps the
 * child; each owns the keys k with (k - 1) % threads == its index, so
 * no record has two writers.  Fork and reap happen behind a gate that no
 * update is inside of: the child sees no half-written record, and every
 * update sees, from start to end, whether a child maps the table.  The
 * child runs on a CPU of its own where one is left (else it says so), so
 * that its walk does not time-share with an update thread.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/pagemap.h"
#include "../lib/topo.h"
#include "../lib/window.h"
#include "wl.h"
#include "workloads.h"

#define MAX_THREADS 64

/*
 * Pacing (wl_pace): sleep only across a gap this long, waking this early
 * and spinning the rest, with 1 ns of timer slack: at 100000 updates/s
 * every gap is 10 us, and is spun.
 */
#define SLEEP_MIN_NS 300000
#define WAKE_EARLY_NS 150000
/* COWBENCH_TEST_FAULT=stall: the first thread stops this long near the end */
#define STALL_NS 100000000ULL

/* The defaults are configs/quick.conf's: a pass takes well under a second. */
static const struct param_spec params[] = {
	{ .name = "db",
	  .type = CFG_SIZE,
	  .min = 2 << 20,
	  .max = 1LL << 40,
	  .def = { 16 << 20 },
	  .ndef = 1,
	  .desc = "table size" },
	{ .name = "record",
	  .type = CFG_SIZE,
	  .min = 64,
	  .max = 1 << 20,
	  .def = { 256 },
	  .ndef = 1,
	  .desc = "record size (a multiple of 8)" },
	{ .name = "rate",
	  .type = CFG_INT,
	  .min = 1,
	  .max = 10000000,
	  .def = { 50000 },
	  .ndef = 1,
	  .desc = "updates per second" },
	{ .name = "duration_ms",
	  .type = CFG_INT,
	  .min = 1,
	  .max = 3600000,
	  .def = { 200 },
	  .ndef = 1,
	  .desc = "updates for this long per pass" },
	{ .name = "snapshot_ms",
	  .type = CFG_INT,
	  .min = 1,
	  .max = 3600000,
	  .def = { 50 },
	  .ndef = 1,
	  .desc = "a snapshot fork this often (timing pass)" },
	{ .name = "threads",
	  .type = CFG_INT,
	  .min = 1,
	  .max = MAX_THREADS,
	  .def = { 1 },
	  .ndef = 1,
	  .desc = "update threads, one per CPU, rate / threads each" },
};

struct rec {
	uint64_t key; /* 0: empty slot */
	uint64_t seq;
	uint64_t body[];
};

/* What a snapshot child reports, in MAP_SHARED memory. */
struct snap_out {
	volatile int done; /* the walk is over: reap the child now */
	int cpu; /* where the walk ended; -1: it could not be pinned */
	uint64_t start_ticks; /* the walk's start (clk_now) */
	uint64_t walk_ns, records, newer, torn;
	int64_t pss_kb; /* counting pass: parent's and child's, walk over */
};

/* An update thread: its keys, its pace, its histograms, its window. */
struct writer {
	struct db *d;
	pthread_t tid;
	int k, cpu, ret;
	uint64_t rng, ops;
	uint64_t n, n_end; /* the next update; those due within the time */
	struct wl_pace pace;
	atomic_int busy; /* inside an update: the gate waits for it */
	struct hist lat, during, outside;
	struct record *rec; /* counting pass: its own faults */
	int8_t *faulted;
};

struct db {
	struct sc *sc;
	size_t rsize, nslots, nkeys;
	_Atomic uint64_t seq;
	uint64_t period_ns, t0, run_ns; /* run_ns: updates due until then */
	int nthr;
	struct writer *w;
	atomic_int gate, alive, ready, go, stop;
	atomic_int abort; /* a thread failed: the others stop at once */
	bool stall; /* test fault */
	struct page_view *pv; /* counting pass */
	struct snap_out *out;
	pid_t child;
	int child_cpu; /* the snapshot child's CPU */
	bool child_shares_cpu; /* with an update thread: no CPU was left */
	bool released; /* the child may exit: reap it when it has */
	bool due_while_alive; /* a snapshot fell due while a child lived */
	/*
	 * The parent lets the child exit; the child says it is done in
	 * out->done, which the update loop polls without a system call.
	 */
	struct wl_hand hand;
	uint64_t fork_seq, t_fork, late;
	int64_t pss_before_kb, pss_growth_kb;
	struct wl_forks forks;
	struct hist during, outside, walk_us, start_us, window_us;
	uint64_t snapshots, failed_newer, failed_torn, written_during;
	char why[120]; /* what went wrong, beyond an errno */
};

static struct rec *slot(struct db *d, size_t i)
{
	return (struct rec *)(d->sc->buf + i * d->rsize);
}

static void body(struct db *d, struct rec *r)
{
	uint64_t seed = wl_mix(r->key ^ (r->seq << 20));
	size_t i, n = (d->rsize - sizeof(*r)) / 8;

	for (i = 0; i < n; i++)
		r->body[i] = seed + i;
}

static bool torn(struct db *d, const struct rec *r)
{
	uint64_t seed = wl_mix(r->key ^ (r->seq << 20));
	size_t i, n = (d->rsize - sizeof(*r)) / 8;

	for (i = 0; i < n; i++)
		if (r->body[i] != seed + i)
			return true;
	return false;
}

/* Linear probing; keys are 1..nkeys. */
static size_t find(struct db *d, uint64_t key)
{
	size_t i = wl_mix(key) % d->nslots;

	while (slot(d, i)->key && slot(d, i)->key != key)
		i = (i + 1) % d->nslots;
	return i;
}

static void load(struct db *d)
{
	uint64_t k;

	for (k = 1; k <= d->nkeys; k++) {
		struct rec *r = slot(d, find(d, k));

		r->key = k;
		r->seq = ++d->seq;
		body(d, r);
	}
}

/*
 * Mark the pages a record spans as written, shared if a child mapped
 * them during the write.  Threads that share a page store the same
 * values; shared, once set, stays.
 */
static void mark(struct db *d, size_t i, bool shared)
{
	size_t p = i * d->rsize / PAGE_SZ,
	       last = ((i + 1) * d->rsize - 1) / PAGE_SZ;

	for (; d->pv && p <= last; p++) {
		__atomic_store_n(&d->pv[p].written, 1, __ATOMIC_RELAXED);
		if (shared)
			__atomic_store_n(&d->pv[p].expect, EXP_SHARED,
					 __ATOMIC_RELAXED);
	}
}

/*
 * Enter an update unless a fork or reap is under way (Dekker: busy is
 * stored before gate is loaded, gate before busy, both seq_cst, so one
 * of the two sides sees the other).
 */
static void enter(struct db *d, struct writer *w)
{
	for (;;) {
		atomic_store(&w->busy, 1);
		if (!atomic_load(&d->gate))
			return;
		atomic_store_explicit(&w->busy, 0, memory_order_release);
		while (atomic_load_explicit(&d->gate, memory_order_acquire))
			;
	}
}

/* Close the gate and wait until no other thread is inside an update. */
static void gate_close(struct db *d)
{
	int k;

	atomic_store(&d->gate, 1);
	for (k = 1; k < d->nthr; k++)
		while (atomic_load(&d->w[k].busy))
			;
}

static void gate_open(struct db *d)
{
	atomic_store_explicit(&d->gate, 0, memory_order_release);
}

/* One of the thread's own keys: 1 + k + threads * j. */
static uint64_t own_key(struct db *d, struct writer *w)
{
	uint64_t n = (d->nkeys - w->k + d->nthr - 1) / d->nthr;

	w->rng = wl_mix(w->rng);
	return 1 + w->k + (uint64_t)d->nthr * (w->rng % n);
}

/* One update; true if a snapshot child mapped the table throughout. */
static bool update(struct db *d, struct writer *w)
{
	size_t i = find(d, own_key(d, w));
	struct rec *r = slot(d, i);
	bool shared;

	enter(d, w);
	/* stable until we leave: alive changes only behind the gate */
	shared = atomic_load_explicit(&d->alive, memory_order_relaxed);
	r->seq =
		atomic_fetch_add_explicit(&d->seq, 1, memory_order_relaxed) + 1;
	body(d, r);
	atomic_store_explicit(&w->busy, 0, memory_order_release);
	mark(d, i, shared);
	return shared;
}

/* ---- the snapshot ---- */

/*
 * The child: on a CPU of its own, walk every record, as the serialiser
 * of a checkpoint would.  It starts on the writer's CPU (fork's rule)
 * and moves before it reads anything.
 */
static int walk(void *arg)
{
	struct db *d = arg;
	struct snap_out *o = d->out;
	size_t i;

	if (topo_pin(d->child_cpu)) {
		o->cpu = -1;
		o->done = 1;
		return 3;
	}
	o->start_ticks = clk_now();
	if (d->pv)
		pagemap_snap(d->sc->buf, d->sc->pages, &d->pv->o_before, NULL,
			     PV_STRIDE);
	for (i = 0; i < d->nslots; i++) {
		const struct rec *r = slot(d, i);
		size_t p = i * d->rsize / PAGE_SZ;
		bool newer, bad;

		if (!r->key)
			continue;
		o->records++;
		newer = r->seq > d->fork_seq;
		bad = torn(d, r);
		o->newer += newer;
		o->torn += bad;
		if ((newer || bad) && d->pv)
			d->pv[p].other_saw = 1;
	}
	o->walk_ns = (uint64_t)clk_ns(clk_now() - o->start_ticks);
	o->cpu = sched_getcpu();
	/* harness work, after the walk's clock and only where nothing is timed */
	if (d->pv) {
		o->pss_kb = wl_rollup_kb(getppid(), "Pss") +
			    wl_rollup_kb(getpid(), "Pss");
		pagemap_snap(d->sc->buf, d->sc->pages, &d->pv->o_after, NULL,
			     PV_STRIDE);
	}
	o->done = 1;
	/* stay mapped until released: the parent knows when we unmap */
	wl_hand_hold(&d->hand);
	return 0;
}

/*
 * The forking thread's CPUs: its own and the child's while it forks, so
 * that fork places the child on the idle one (a child queued behind the
 * spinning writer waited 0.7-3.6 ms to start its walk), its own after.
 */
static void fork_cpus(struct db *d, bool forking)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(d->sc->writer_cpu, &set);
	if (forking)
		CPU_SET(d->child_cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int snapshot_start(struct db *d)
{
	int err;

	fork_cpus(d, true);
	gate_close(d);
	d->fork_seq = d->seq;
	memset((void *)d->out, 0, sizeof(*d->out));
	d->child = wl_fork(&d->forks, -1, walk, d);
	err = errno;
	d->t_fork = d->forks.t_ret;
	atomic_store(&d->alive, d->child > 0);
	gate_open(d);
	fork_cpus(d, false);
	return d->child < 0 ? -err : 0;
}

/* A child that did not exit cleanly: why, into d->why. */
static int child_failed(struct db *d, pid_t p, int st)
{
	if (d->why[0]) /* the release failed: said there */
		return -EIO;
	if (p < 0)
		snprintf(d->why, sizeof(d->why), "waitpid (snapshot child): %s",
			 strerror(errno));
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 3 && d->out->cpu < 0)
		snprintf(d->why, sizeof(d->why),
			 "cannot pin the snapshot child to CPU %d",
			 d->child_cpu);
	else
		snprintf(d->why, sizeof(d->why),
			 "the snapshot child ended with status %#x", st);
	return -EIO;
}

/* A reaped child's figures into the pass's. */
static void snapshot_done(struct db *d)
{
	const struct snap_out *o = d->out;
	/* from fork's return in the parent; 0 if the child was first */
	uint64_t start =
		o->start_ticks > d->t_fork ? o->start_ticks - d->t_fork : 0;

	d->snapshots++;
	d->failed_newer += o->newer;
	d->failed_torn += o->torn;
	hist_record(&d->walk_us, o->walk_ns / 1000);
	hist_record(&d->start_us, (uint64_t)(clk_ns(start) / 1000));
	if (d->pv && o->pss_kb - d->pss_before_kb > d->pss_growth_kb)
		d->pss_growth_kb = o->pss_kb - d->pss_before_kb;
}

/* The child is gone: from now on every update is to a page only we map. */
static int reaped(struct db *d, pid_t p, int st)
{
	if (!d->pv || !d->released)
		gate_close(d);
	atomic_store(&d->alive, 0);
	gate_open(d);
	hist_record(&d->window_us,
		    (uint64_t)(clk_ns(clk_now() - d->t_fork) / 1000));
	d->child = 0;
	d->released = false;
	if (p < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return child_failed(d, p, st);
	snapshot_done(d);
	return 1;
}

/*
 * Release the child once its walk is over (wait: at once) and reap it
 * when it has exited; 1 if it was reaped.  Until then its mm may still
 * map our pages: an update before the reap counts as during.  The timing
 * pass never waits for the child's exit (its exit_mmap runs on its own
 * CPU while the updates go on, as a database's would).  The counting
 * pass waits behind the gate, so that every write is known to be to a
 * shared page or to an exclusive one: none runs across the child's exit.
 * probe: time is up, so look whether a child whose walk is not over died.
 */
static int snapshot_poll(struct db *d, bool wait, bool probe)
{
	int st = 0;
	pid_t p;

	if (d->child <= 0)
		return 0;
	if (!d->released && !wait && !d->out->done) {
		p = probe ? waitpid(d->child, &st, WNOHANG) : 0;
		return p ? reaped(d, p, st) : 0;
	}
	if (!d->released) {
		if (d->pv)
			gate_close(d);
		if (wl_hand_release(&d->hand, d->child, d->why, sizeof(d->why)))
			return reaped(d, -1, 0); /* killed and reaped */
		d->released = true;
	}
	p = waitpid(d->child, &st, wait || d->pv ? 0 : WNOHANG);
	return p ? reaped(d, p, st) : 0;
}

/* ---- the update loop ---- */

/*
 * Every update due within the time is done, however late: a stall's
 * backlog is counted, never dropped at the end.  Then the first thread
 * stops once no child lives; the others when it says so.
 */
static bool over(struct writer *w)
{
	struct db *d = w->d;

	if (atomic_load_explicit(&d->abort, memory_order_acquire))
		return true;
	if (w->n < w->n_end)
		return false;
	if (w->k)
		return atomic_load_explicit(&d->stop, memory_order_acquire);
	return d->child <= 0;
}

/*
 * The first thread, in the gap before its next update: start a snapshot
 * every snap_ns (0: one at the start) until time is up, and release or
 * reap the child.  This work delays the updates only when it overruns
 * the gap, and then they count it from their due time.
 */
static int snapshot_step(struct db *d, uint64_t ns, uint64_t snap_ns,
			 uint64_t *next_snap)
{
	uint64_t at = (uint64_t)clk_ns(clk_now() - d->t0);
	int ret;

	if (at >= *next_snap && at < ns && d->child > 0)
		d->due_while_alive = true;
	if (at >= *next_snap && at < ns && d->child <= 0) {
		ret = snapshot_start(d);
		if (ret < 0)
			return ret;
		d->late += d->due_while_alive;
		d->due_while_alive = false;
		*next_snap = snap_ns ? at + snap_ns : ~0ULL;
	}
	return snapshot_poll(d, false, at >= ns);
}

/* The threads after the first stop waiting when told to. */
static bool told_to_stop(void *arg, uint64_t now)
{
	(void)now;
	return over(arg);
}

/*
 * Updates at rate / threads for ns, latency from the intended start.
 * Runs on until the last child is reaped.
 */
static int writer_loop(struct writer *w, uint64_t ns, uint64_t snap_ns)
{
	struct db *d = w->d;
	uint64_t due, now, n, next_snap = 0;
	int ret = 0;
	bool shared;

	w->pace.period_ns = (double)(d->period_ns * d->nthr);
	w->pace.sleep_min_ns = SLEEP_MIN_NS;
	w->pace.wake_early_ns = WAKE_EARLY_NS;
	w->pace.timer_slack_ns = 1;
	wl_pace_start(&w->pace, d->t0);
	w->n_end = (uint64_t)ceil((double)ns / w->pace.period_ns);
	for (n = 0;; n++) {
		due = wl_pace_due(&w->pace, n);
		w->n = n;
		if (!w->k)
			ret = snapshot_step(d, ns, snap_ns, &next_snap);
		if (ret < 0 || over(w))
			break;
		if (!w->k && n + 10 == w->n_end && d->stall)
			wl_sleep_until(wl_now() + STALL_NS);
		wl_pace_wait(&w->pace, due, w->k ? told_to_stop : NULL, w);
		if (w->k && over(w))
			break;
		shared = update(d, w);
		now = (uint64_t)clk_ns(clk_now() - due);
		hist_record(shared ? &w->during : &w->outside, now);
		hist_record(&w->lat, now);
	}
	w->ops = n;
	return ret < 0 ? ret : 0;
}

/* Threads after the first: pinned, with a counting window of their own. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct db *d = w->d;
	struct sc *sc = d->sc;
	struct window win;

	w->ret = topo_pin_thread(w->cpu) ? -EPERM : 0;
	if (d->pv) {
		window_open_thread(&win, true, sc->buf, sc->pages);
		window_arm(&win);
	}
	atomic_fetch_add(&d->ready, 1);
	while (!atomic_load(&d->go))
		;
	if (!w->ret)
		writer_loop(w, d->run_ns, 0);
	if (d->pv) {
		window_disarm(&win);
		window_fill(&win, w->rec, sc->bk->fault_pages, w->faulted, 1);
		window_close(&win);
	}
	return NULL;
}

/* Start the threads after the first one at a time; how many started. */
static int writers_start(struct db *d)
{
	int k;

	for (k = 1; k < d->nthr; k++) {
		if (pthread_create(&d->w[k].tid, NULL, writer_main, &d->w[k]))
			break;
		while (atomic_load(&d->ready) < k)
			;
		if (d->w[k].ret) {
			k++;
			break;
		}
	}
	return k;
}

/* Every thread's histograms into the pass's; ops and errors summed. */
static int writers_join(struct db *d, struct record *r, int started)
{
	int k, ret = 0;

	for (k = 0; k < d->nthr; k++) {
		struct writer *w = &d->w[k];

		if (k && k < started)
			pthread_join(w->tid, NULL);
		if (k && (k >= started || w->ret))
			ret = w->ret ? w->ret : -EAGAIN;
		hist_merge(&r->lat, &w->lat);
		hist_merge(&d->during, &w->during);
		hist_merge(&d->outside, &w->outside);
		r->ops += w->ops;
	}
	return ret;
}

/*
 * All threads at the fixed rate for ns; snap_ns: the first thread starts a
 * snapshot this often (0: one at the start).
 */
static int updates(struct db *d, struct record *r, uint64_t ns,
		   uint64_t snap_ns)
{
	int started = writers_start(d), ret = 0, err;

	d->t0 = clk_now();
	d->run_ns = ns;
	atomic_store(&d->go, 1);
	if (started == d->nthr)
		ret = writer_loop(&d->w[0], ns, snap_ns);
	if (started != d->nthr || ret < 0)
		atomic_store_explicit(&d->abort, 1, memory_order_release);
	if (d->child > 0 && snapshot_poll(d, true, true) < 0 && !ret)
		ret = -EIO;
	atomic_store_explicit(&d->stop, 1, memory_order_release);
	err = writers_join(d, r, started);
	r->window_ns = clk_ns(clk_now() - d->t0); /* every thread's backlog */
	return ret < 0 ? ret : err;
}

/* The other threads' faults (per page too) into the first one's. */
static void writers_counts(struct db *d, struct record *r)
{
	size_t i;
	int k;

	for (k = 1; k < d->nthr; k++) {
		wl_counts_add(r, d->w[k].rec);
		for (i = 0; i < d->sc->pages; i++) {
			int8_t *f = &d->pv[i].faulted, add = d->w[k].faulted[i];

			*f = *f < 0 || add < 0 ? -1 : *f | add;
		}
	}
}

/* ---- the passes ---- */

/* The writer's view before or after; -EIO with d->why if it failed. */
static int view(struct db *d, bool after)
{
	struct sc *sc = d->sc;
	size_t i;

	for (i = 0; !after && i < sc->pages; i++)
		d->pv[i].expect = EXP_EXCLUSIVE;
	return wl_snap_writer(sc->buf, sc->pages, d->pv, after, d->why,
			      sizeof(d->why)) ?
		       -EIO :
		       0;
}

static int counting(struct db *d, struct record *r, uint64_t ns)
{
	struct sc *sc = d->sc;
	struct window w;
	size_t i;
	int ret;

	d->pv = wl_shared(sc->pages * sizeof(*d->pv));
	if (!d->pv)
		return -errno;
	/* the table's PSS before any snapshot, outside the window */
	d->pss_before_kb = wl_rollup_kb(getpid(), "Pss");
	/* each writer thread counts itself: writers_counts() adds them up */
	window_open_thread(&w, true, sc->buf, sc->pages);
	ret = view(d, false);
	if (!ret) {
		window_arm(&w);
		ret = updates(d, r, ns, 0);
		window_disarm(&w);
	}
	if (!ret)
		ret = view(d, true);
	window_fill(&w, r, sc->bk->fault_pages, &d->pv->faulted,
		    sizeof(struct page_view));
	window_close(&w);
	writers_counts(d, r);
	for (i = 0; !ret && i < sc->pages; i++) {
		classify_page(&d->pv[i], &r->c.t);
		d->written_during += d->pv[i].expect == EXP_SHARED;
	}
	r->c.has_pages = !ret;
	return ret;
}

static int timing(struct db *d, struct record *r, uint64_t ns, uint64_t snap)
{
	struct window w;
	int ret;

	window_open(&w, false, NULL, 0);
	window_arm(&w);
	ret = updates(d, r, ns, snap);
	window_disarm(&w);
	window_fill(&w, r, 1, NULL, 0);
	window_close(&w);
	r->has_lat = !ret;
	return ret;
}

/* Latency and snapshot times: the timing pass only (counters are off). */
static void report_times(struct db *d, struct record *r)
{
	struct kvset *x = &r->c.extra;

	wl_put_pcts(x, "during_ns", &d->during, 1);
	wl_put_pcts(x, "outside_ns", &d->outside, 1);
	if (!d->snapshots)
		return;
	wl_put_forks(x, &d->forks);
	wl_put_pcts(x, "walk_us", &d->walk_us, 1);
	wl_put_pcts(x, "child_start_us", &d->start_us, 1);
	wl_put_pcts(x, "snapshot_window_us", &d->window_us, 1);
}

/* Pages and bytes: the counting pass only. */
static void report_pages(struct db *d, struct record *r)
{
	struct kvset *x = &r->c.extra;
	uint64_t bytes = r->c.t.copies * PAGE_SZ;

	kv_set(x, "pss_growth_kb", d->pss_growth_kb);
	kv_set(x, "pages_written_during", (int64_t)d->written_during);
	/* per mille: bytes the kernel copied per byte the parent wrote */
	if (d->during.n && tally_decided(&r->c.t))
		kv_set(x, "copied_per_written_permille",
		       (int64_t)(bytes * 1000 / (d->during.n * d->rsize)));
	kv_set(x, "anon_huge_kb", smaps_anon_huge_kb(d->sc->buf));
}

static void report(struct db *d, struct record *r)
{
	struct kvset *x = &r->c.extra;
	uint64_t naps = 0;
	int k;

	for (k = 0; k < d->nthr; k++)
		naps += d->w[k].pace.naps;
	kv_set(x, "snapshots", (int64_t)d->snapshots);
	kv_set(x, "snapshots_late", (int64_t)d->late);
	kv_set(x, "records", (int64_t)d->nkeys);
	kv_set(x, "newer_records_seen", (int64_t)d->failed_newer);
	kv_set(x, "torn_records_seen", (int64_t)d->failed_torn);
	kv_set(x, "updates_during", (int64_t)d->during.n);
	kv_set(x, "child_cpu", d->out->cpu);
	kv_set(x, "child_shares_cpu", d->child_shares_cpu);
	kv_set(x, "writer_naps", (int64_t)naps);
	if (d->sc->pass == PASS_COUNTING)
		report_pages(d, r);
	else
		report_times(d, r);
}

static int setup(struct db *d, struct sc *sc, char *why, int len)
{
	int ret;

	d->sc = sc;
	d->stall = test_fault("stall");
	d->rsize = (size_t)kv_get(sc->params, "record", 256);
	d->nslots = sc->len / d->rsize;
	d->nkeys = d->nslots * 3 / 4;
	d->period_ns = 1000000000ULL / kv_get(sc->params, "rate", 1);
	hist_init(&d->during);
	hist_init(&d->outside);
	hist_init(&d->walk_us);
	wl_forks_init(&d->forks);
	hist_init(&d->start_us);
	hist_init(&d->window_us);
	if (wl_hand_open(&d->hand, why, len))
		return -1;
	d->out = wl_shared(sizeof(*d->out));
	if (!d->out) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -1;
	}
	d->out->cpu = -1;
	ret = sc->bk->ops->map(sc, why, len);
	if (ret)
		return ret;
	/* every slot written: the whole table is populated, empty or not */
	memset(sc->buf, 0, sc->len);
	load(d);
	return sc->bk->ops->verify(sc, why, len);
}

static bool cpu_taken(struct db *d, int cpu)
{
	int k;

	for (k = 0; k < d->nthr; k++)
		if (d->w[k].cpu == cpu)
			return true;
	return false;
}

/*
 * The snapshot child's CPU: the harness's other CPU, else any that no
 * update thread runs on, else (shared, and the record says so) the other
 * CPU anyway, or the only one.
 */
static void child_cpu_pick(struct db *d, const int *cpus, int n)
{
	int i;

	d->child_cpu = d->sc->other_cpu;
	if (!cpu_taken(d, d->child_cpu))
		return;
	for (i = 0; i < n; i++) {
		if (!cpu_taken(d, cpus[i])) {
			d->child_cpu = cpus[i];
			return;
		}
	}
	d->child_shares_cpu = true;
}

/*
 * One CPU per thread, the writer's first; a thread's keys, pace and
 * histograms; in a counting pass, its window's record.
 */
static int writers_init(struct db *d, struct sc *sc, char *why, int len)
{
	int cpus[MAX_THREADS], n = topo_cpus(cpus, MAX_THREADS), c, k;

	d->sc = sc;
	d->nthr = (int)kv_get(sc->params, "threads", 1);
	if (d->nthr > n) {
		snprintf(why, len,
			 "threads = %d needs a CPU per thread, hwloc sees %d",
			 d->nthr, n);
		return 1;
	}
	d->w = xcalloc(d->nthr, sizeof(*d->w));
	for (k = 0, c = 0; k < d->nthr; k++) {
		struct writer *w = &d->w[k];

		while (k && cpus[c] == sc->writer_cpu)
			c++;
		*w = (struct writer){ .d = d,
				      .k = k,
				      .cpu = k ? cpus[c++] : sc->writer_cpu,
				      .rng = 1 + k };
		hist_init(&w->lat);
		hist_init(&w->during);
		hist_init(&w->outside);
		if (k && sc->pass == PASS_COUNTING) {
			w->rec = xcalloc(1, sizeof(*w->rec));
			record_init(w->rec);
			w->faulted = xcalloc(sc->pages, 1);
		}
	}
	child_cpu_pick(d, cpus, n);
	return 0;
}

static int thpdb_drive(struct sc *sc, struct record *r, char *why, int len)
{
	struct db *d = xcalloc(1, sizeof(*d));
	uint64_t ns = kv_get(sc->params, "duration_ms", 1) * 1000000ULL;
	uint64_t snap = kv_get(sc->params, "snapshot_ms", 1) * 1000000ULL;
	int ret = writers_init(d, sc, why, len);

	if (!ret)
		ret = setup(d, sc, why, len);
	if (ret)
		return ret;
	if (sc->pass == PASS_COUNTING)
		ret = counting(d, r, ns);
	else
		ret = timing(d, r, ns, snap);
	if (ret) {
		snprintf(why, len, "%s", d->why[0] ? d->why : strerror(-ret));
		return -1;
	}
	wl_pass_counts(sc, r);
	report(d, r);
	if (d->failed_newer || d->failed_torn) {
		r->status = ST_FAIL;
		snprintf(
			r->reason, sizeof(r->reason),
			"missed COW: a snapshot child read %llu record(s) written after the fork, %llu torn",
			(unsigned long long)d->failed_newer,
			(unsigned long long)d->failed_torn);
	}
	return 0;
}
/* The table; the planner calls this first, so bad input stops the run there. */
static size_t thpdb_pages(const struct kvset *p)
{
	int64_t rec = kv_get(p, "record", 8), db = kv_get(p, "db", 0);

	if (rec % 8 || rec > db)
		die(EXIT_USAGE,
		    "thpdb: record %lld is not a multiple of 8 or is larger than db",
		    (long long)rec);
	if (db / rec * 3 / 4 < kv_get(p, "threads", 1))
		die(EXIT_USAGE, "thpdb: fewer records (%lld) than threads",
		    (long long)(db / rec * 3 / 4));
	return (size_t)(kv_get(p, "db", 0) / PAGE_SZ);
}

const struct scenario_ops wl_thpdb = {
	.name = "thpdb",
	.desc = "hash table of fixed-size records updated at a fixed rate, with snapshot forks that walk it",
	.blocks = true,
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.passes = (1u << PASS_TIMING) | (1u << PASS_COUNTING),
	.region_pages = thpdb_pages,
	.drive = thpdb_drive,
};
