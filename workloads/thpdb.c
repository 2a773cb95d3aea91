// SPDX-License-Identifier: GPL-2.0
/*
 * An in-memory database on the backing's memory (4 KiB, PMD THP through
 * MADV_HUGEPAGE, or an mTHP size): an open-addressing hash table of
 * fixed-size records, updated at a fixed rate, with snapshot forks whose
 * child walks every record, as a fork-based checkpoint does.
 *
 * Every record carries the update sequence number that last wrote it and
 * a body derived from (key, seq): the child fails the snapshot (a missed
 * COW) if it reads a record newer than the fork or a torn one.
 *
 * Timing pass: updates for duration_ms, a snapshot every snapshot_ms;
 * update latency from the intended start (open loop, coordinated omission
 * corrected) split into during and outside a snapshot.  Counting pass: one
 * snapshot, updates until the child is done and for duration_ms in all,
 * in one window: pages the parent wrote while the child lived are shared
 * (a copy is necessary), pages written only later are exclusive.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/pagemap.h"
#include "../lib/window.h"
#include "wl.h"
#include "workloads.h"

static const struct param_spec params[] = {
	{ .name = "db",
	  .type = CFG_SIZE,
	  .min = 2 << 20,
	  .max = 1LL << 40,
	  .def = { 1 << 30 },
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
	  .def = { 100000 },
	  .ndef = 1,
	  .desc = "updates per second" },
	{ .name = "duration_ms",
	  .type = CFG_INT,
	  .min = 1,
	  .max = 3600000,
	  .def = { 5000 },
	  .ndef = 1,
	  .desc = "updates for this long per pass" },
	{ .name = "snapshot_ms",
	  .type = CFG_INT,
	  .min = 1,
	  .max = 3600000,
	  .def = { 1000 },
	  .ndef = 1,
	  .desc = "a snapshot fork this often (timing pass)" },
};

struct rec {
	uint64_t key; /* 0: empty slot */
	uint64_t seq;
	uint64_t body[];
};

/* What a snapshot child reports, in MAP_SHARED memory. */
struct snap_out {
	volatile int done; /* the walk is over: reap the child now */
	uint64_t walk_ns, records, newer, torn;
	int64_t pss_kb; /* parent's and child's, at the end of the walk */
};

struct db {
	struct sc *sc;
	size_t rsize, nslots, nkeys;
	uint64_t seq, rng, period_ns;
	struct page_view *pv; /* counting pass */
	struct snap_out *out;
	pid_t child;
	int release[2]; /* the parent lets the child exit */
	uint64_t fork_seq, t_fork;
	int64_t pss_before_kb, pss_growth_kb;
	struct hist during, outside, walk_us, fork_us;
	uint64_t snapshots, failed_newer, failed_torn, written_during;
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

/* Mark the pages a record spans as written, shared if a child lives. */
static void mark(struct db *d, size_t i)
{
	size_t p = i * d->rsize / PAGE_SZ,
	       last = ((i + 1) * d->rsize - 1) / PAGE_SZ;

	for (; d->pv && p <= last; p++) {
		d->pv[p].written = 1;
		if (d->child > 0)
			d->pv[p].expect = EXP_SHARED;
	}
}

static void update(struct db *d)
{
	size_t i;
	struct rec *r;

	d->rng = wl_mix(d->rng);
	i = find(d, d->rng % d->nkeys + 1);
	r = slot(d, i);
	r->seq = ++d->seq;
	body(d, r);
	mark(d, i);
}

/* ---- the snapshot ---- */

static int64_t pss_kb(pid_t pid)
{
	char path[64], *text, *p;
	int64_t kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	text = slurp(path, NULL);
	p = text ? strstr(text, "\nPss:") : NULL;
	if (p)
		kb = strtoll(p + 5, NULL, 10);
	free(text);
	return kb;
}

/* The child: walk every record, as the serialiser of a checkpoint would. */
static void __attribute__((noreturn)) walk(struct db *d)
{
	struct snap_out *o = d->out;
	uint64_t t0 = clk_now();
	size_t i;
	char c;

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
	o->walk_ns = (uint64_t)clk_ns(clk_now() - t0);
	o->pss_kb = pss_kb(getppid()) + pss_kb(getpid());
	if (d->pv)
		pagemap_snap(d->sc->buf, d->sc->pages, &d->pv->o_after, NULL,
			     PV_STRIDE);
	o->done = 1;
	/* stay mapped until released: the parent knows when we unmap */
	if (read(d->release[0], &c, 1) < 0)
		_exit(1);
	_exit(0);
}

static int snapshot_start(struct db *d)
{
	uint64_t t0;

	d->pss_before_kb = pss_kb(getpid());
	d->fork_seq = d->seq;
	memset((void *)d->out, 0, sizeof(*d->out));
	t0 = clk_now();
	d->child = fork();
	if (d->child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		walk(d);
	}
	if (d->child < 0)
		return -errno;
	d->t_fork = clk_now();
	hist_record(&d->fork_us, (uint64_t)(clk_ns(d->t_fork - t0) / 1000));
	return 0;
}

/*
 * Reap the child once its walk is over (or wait for it); 1 if it was
 * reaped.  Until waitpid returns, its mm may still map our pages: a write
 * before that is to a shared page, one after it to an exclusive page.
 */
static int snapshot_poll(struct db *d, bool wait)
{
	int st;
	pid_t p;

	if (d->child <= 0 || (!wait && !d->out->done))
		return 0;
	if (write(d->release[1], "", 1) != 1)
		kill(d->child, SIGKILL);
	p = waitpid(d->child, &st, 0);
	d->child = 0;
	if (p < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -EIO;
	d->snapshots++;
	d->failed_newer += d->out->newer;
	d->failed_torn += d->out->torn;
	hist_record(&d->walk_us, d->out->walk_ns / 1000);
	if (d->out->pss_kb - d->pss_before_kb > d->pss_growth_kb)
		d->pss_growth_kb = d->out->pss_kb - d->pss_before_kb;
	return 1;
}

/* ---- the update loop ---- */

/*
 * Updates at the fixed rate for ns, latency from the intended start.
 * snap_ns: start a snapshot this often (0: one at the start).  Runs on
 * until the last child is reaped.
 */
static int updates(struct db *d, struct record *r, uint64_t ns,
		   uint64_t snap_ns)
{
	uint64_t t0 = clk_now(), due, now, n, next_snap = 0;
	int ret = 0;

	for (n = 0; ret >= 0; n++) {
		due = t0 + (uint64_t)(n * d->period_ns / cb_clock.ns_per_tick);
		while ((now = clk_now()) < due)
			;
		if (clk_ns(now - t0) >= ns && d->child <= 0)
			break;
		if (d->child <= 0 && clk_ns(now - t0) >= next_snap &&
		    (snap_ns || !next_snap)) {
			ret = snapshot_start(d);
			next_snap =
				snap_ns ? clk_ns(now - t0) + snap_ns : ~0ULL;
		}
		/* reaped before the write if done: then the page is ours */
		if (ret >= 0)
			ret = snapshot_poll(d, false);
		update(d);
		now = (uint64_t)clk_ns(clk_now() - due);
		hist_record(d->child > 0 ? &d->during : &d->outside, now);
		hist_record(&r->lat, now);
	}
	r->ops = n;
	r->window_ns = clk_ns(clk_now() - t0);
	if (d->child > 0)
		snapshot_poll(d, true);
	return ret < 0 ? ret : 0;
}

/* ---- the passes ---- */

static int view_before(struct db *d)
{
	struct sc *sc = d->sc;
	size_t i;
	int ret = pagemap_snap(sc->buf, sc->pages, &d->pv->w_before,
			       &d->pv->w_flags, PV_STRIDE);

	if (!ret && pagemap_hidden(&d->pv->w_before, sc->pages, PV_STRIDE))
		ret = -EPERM;
	for (i = 0; i < sc->pages; i++)
		d->pv[i].expect = EXP_EXCLUSIVE;
	return ret;
}

static int counting(struct db *d, struct record *r, uint64_t ns)
{
	struct sc *sc = d->sc;
	struct window w;
	size_t i;
	int ret;

	d->pv = mmap(NULL, sc->pages * sizeof(*d->pv), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (d->pv == MAP_FAILED)
		return -errno;
	window_open(&w, true, sc->buf, sc->pages, sc->writer_cpu);
	ret = view_before(d);
	if (!ret) {
		window_arm(&w);
		ret = updates(d, r, ns, 0);
		window_disarm(&w);
	}
	if (!ret)
		ret = pagemap_snap(sc->buf, sc->pages, &d->pv->w_after,
				   &d->pv->w_flags_after, PV_STRIDE);
	window_fill(&w, r, sc->bk->fault_pages, &d->pv->faulted,
		    sizeof(struct page_view));
	window_close(&w);
	for (i = 0; !ret && i < sc->pages; i++) {
		classify_page(&d->pv[i], &r->c.t);
		d->written_during += d->pv[i].expect == EXP_SHARED;
	}
	r->c.has_pages = !ret;
	return ret;
}

static void report(struct db *d, struct record *r)
{
	struct kvset *x = &r->c.extra;
	uint64_t bytes = r->c.t.copies * PAGE_SZ;

	kv_set(x, "snapshots", (int64_t)d->snapshots);
	kv_set(x, "records", (int64_t)d->nkeys);
	kv_set(x, "fork_us", (int64_t)hist_pct(&d->fork_us, 50));
	kv_set(x, "snapshot_us", (int64_t)hist_pct(&d->walk_us, 50));
	kv_set(x, "pss_growth_kb", d->pss_growth_kb);
	kv_set(x, "newer_records_seen", (int64_t)d->failed_newer);
	kv_set(x, "torn_records_seen", (int64_t)d->failed_torn);
	if (d->during.n) {
		kv_set(x, "during_p50_ns", (int64_t)hist_pct(&d->during, 50));
		kv_set(x, "during_p99_ns", (int64_t)hist_pct(&d->during, 99));
	}
	if (d->outside.n) {
		kv_set(x, "outside_p50_ns", (int64_t)hist_pct(&d->outside, 50));
		kv_set(x, "outside_p99_ns", (int64_t)hist_pct(&d->outside, 99));
	}
	kv_set(x, "updates_during", (int64_t)d->during.n);
	if (d->sc->pass != PASS_COUNTING)
		return;
	kv_set(x, "pages_written_during", (int64_t)d->written_during);
	/* per mille: bytes the kernel copied per byte the parent wrote */
	if (d->during.n)
		kv_set(x, "copied_per_written_permille",
		       (int64_t)(bytes * 1000 / (d->during.n * d->rsize)));
	kv_set(x, "anon_huge_kb", smaps_anon_huge_kb(d->sc->buf));
}

static int setup(struct db *d, struct sc *sc, char *why, int len)
{
	int ret;

	d->sc = sc;
	d->rsize = (size_t)kv_get(sc->params, "record", 256);
	d->nslots = sc->len / d->rsize;
	d->nkeys = d->nslots * 3 / 4;
	d->period_ns = 1000000000ULL / kv_get(sc->params, "rate", 1);
	d->rng = 1;
	hist_init(&d->during);
	hist_init(&d->outside);
	hist_init(&d->walk_us);
	hist_init(&d->fork_us);
	if (pipe(d->release)) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return -1;
	}
	d->out = mmap(NULL, sizeof(*d->out), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (d->out == MAP_FAILED) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -1;
	}
	ret = sc->bk->ops->map(sc, why, len);
	if (ret)
		return ret;
	/* every slot written: the whole table is populated, empty or not */
	memset(sc->buf, 0, sc->len);
	load(d);
	return sc->bk->ops->verify(sc, why, len);
}

static int thpdb_drive(struct sc *sc, struct record *r, char *why, int len)
{
	struct db *d = xcalloc(1, sizeof(*d));
	uint64_t ns = kv_get(sc->params, "duration_ms", 1) * 1000000ULL;
	uint64_t snap = kv_get(sc->params, "snapshot_ms", 1) * 1000000ULL;
	struct window w;
	int ret = setup(d, sc, why, len);

	if (ret)
		return ret;
	if (sc->pass == PASS_COUNTING) {
		ret = counting(d, r, ns);
	} else {
		window_open(&w, false, NULL, 0, sc->writer_cpu);
		window_arm(&w);
		ret = updates(d, r, ns, snap);
		window_disarm(&w);
		window_fill(&w, r, 1, NULL, 0);
		window_close(&w);
		r->has_lat = !ret;
	}
	if (ret) {
		snprintf(why, len, "%s", strerror(-ret));
		return -1;
	}
	r->has_counts = true;
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
	if (kv_get(p, "record", 8) % 8 ||
	    kv_get(p, "record", 0) > kv_get(p, "db", 0))
		die(EXIT_USAGE,
		    "thpdb: record %lld is not a multiple of 8 or is larger than db",
		    (long long)kv_get(p, "record", 0));
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
