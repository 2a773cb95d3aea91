// SPDX-License-Identifier: GPL-2.0
/*
 * N children write the parent's populated region at once, each every page,
 * in order or in a random order of its own (vm-scalability's anon-cow-seq
 * and anon-cow-rand).  Not a two-party pass: a drive hook forks the
 * children, releases them together and waits for all.  Each child times
 * its writes (per batch, or per write in the sampled pass) and, counting,
 * snapshots its own PFNs and counts its own faults in its own window; the
 * parent classifies every child's pages against its own, so the copies are
 * exact: N x pages on a kernel that copies each shared page once.  Child k
 * writes byte k of each page, so the parent tells whose write leaked into
 * its memory and blames that child alone.  The
 * parent's window gives the wall time (copies per second) and the
 * system-wide vmstat deltas.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/pagemap.h"
#include "../lib/topo.h"
#include "../lib/window.h"
#include "bench.h"

static const struct param_spec params[] = {
	PAGES_PARAM("4 KiB pages in the region, each written by every child"),
	{
		.name = "children",
		.type = CFG_INT,
		.min = 1,
		.max = 1024,
		.def = { 1, 2 },
		.ndef = 2,
		.desc = "children writing at once (at most the online CPUs)",
	},
	{
		.name = "random",
		.type = CFG_INT,
		.min = 0,
		.max = 1,
		.def = { 0, 1 },
		.ndef = 2,
		.desc = "0: each child writes in page order; 1: in a random order",
	},
};

/* One child's results, in memory the parent reads after it is reaped. */
struct child {
	struct record r; /* its latency and, counting, its window's counts */
	uint64_t start_ns, end_ns; /* its first and last write */
	int failed;
};

struct par {
	struct sc *sc;
	int n, ncpu, go[2], ready[2];
	int cpus[1024], first; /* the PUs hwloc sees; the writer's index */
	struct child *kids; /* MAP_SHARED */
	struct page_view *pv; /* n x pages, MAP_SHARED, counting only */
	uint64_t *parent_pm;
};

#define PV_STRIDE (sizeof(struct page_view) / sizeof(uint64_t))

static size_t *write_order(size_t pages, bool random, unsigned int seed)
{
	size_t *idx = xcalloc(pages, sizeof(*idx)), i, j, t;

	for (i = 0; i < pages; i++)
		idx[i] = i;
	for (i = pages; random && i > 1; i--) {
		seed = seed * 1103515245u + 12345u;
		j = ((size_t)seed << 16 ^ (size_t)rand_r(&seed)) % i;
		t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
	return idx;
}

/* The writes, timed per batch (batch 1: per write) unless counting. */
static void child_writes(struct sc *sc, const size_t *idx, int k,
			 struct record *r)
{
	volatile char *buf = sc->buf + k;
	size_t i, j, b = sc->pass == PASS_SAMPLED ? 1 : (size_t)sc->batch;

	if (sc->pass == PASS_COUNTING) {
		for (i = 0; i < sc->pages; i++)
			buf[idx[i] * PAGE_SZ] = (char)WRITE_BYTE;
		return;
	}
	for (i = 0; i < sc->pages; i += b) {
		size_t end = i + b < sc->pages ? i + b : sc->pages;
		uint64_t t0 = clk_now(), t1;

		for (j = i; j < end; j++)
			buf[idx[j] * PAGE_SZ] = (char)WRITE_BYTE;
		t1 = clk_now();
		hist_record_n(&r->lat,
			      (uint64_t)(clk_ns(t1 - t0) / (end - i) + 0.5),
			      end - i);
	}
	r->has_lat = true;
}

static int child_main(struct par *p, int k)
{
	struct sc *sc = p->sc;
	struct child *c = &p->kids[k];
	struct page_view *pv = p->pv ? p->pv + (size_t)k * sc->pages : NULL;
	size_t *idx = write_order(sc->pages, kv_get(sc->params, "random", 0),
				  (unsigned int)k + 1);
	bool counting = sc->pass == PASS_COUNTING;
	struct window w;
	char go;

	if (topo_pin(p->cpus[(p->first + k) % p->ncpu]))
		return 1;
	window_open(&w, counting, sc->buf, sc->pages);
	if (pv && pagemap_snap(sc->buf, sc->pages, &pv->w_before, &pv->w_flags,
			       PV_STRIDE))
		return 1;
	/* closed once written: a child that died first shows as EOF */
	if (write(p->ready[1], "k", 1) != 1 || close(p->ready[1]))
		return 1;
	window_arm(&w);
	if (read(p->go[0], &go, 1) != 1)
		return 1;
	c->start_ns = mono_ns();
	child_writes(sc, idx, k, &c->r);
	c->end_ns = mono_ns();
	window_disarm(&w);
	if (pv && pagemap_snap(sc->buf, sc->pages, &pv->w_after,
			       &pv->w_flags_after, PV_STRIDE))
		return 1;
	window_fill(&w, &c->r, sc->bk->fault_pages, pv ? &pv->faulted : NULL,
		    sizeof(*pv));
	window_close(&w);
	return 0;
}

static int start_children(struct par *p, char *why, int len)
{
	int k;
	char c;

	for (k = 0; k < p->n; k++) {
		pid_t pid;

		record_init(&p->kids[k].r);
		pid = fork_tied();

		if (pid < 0) {
			snprintf(why, len, "fork: %s", strerror(errno));
			return -1;
		}
		if (pid == 0) {
			p->kids[k].failed = child_main(p, k);
			_exit(p->kids[k].failed);
		}
	}
	close(p->ready[1]);
	for (k = 0; k < p->n; k++)
		if (read(p->ready[0], &c, 1) != 1) {
			snprintf(why, len, "a child failed to prepare");
			return -1;
		}
	return 0;
}

/* Release every child at once; the parent's window spans them all. */
static int run_children(struct par *p, struct record *r, char *why, int len)
{
	struct sc *sc = p->sc;
	char *go = xcalloc(p->n, 1);
	int k, st, bad = 0;
	struct window w;

	window_open(&w, sc->pass == PASS_COUNTING, NULL, 0);
	window_arm(&w);
	bad = write(p->go[1], go, p->n) != p->n;
	for (k = 0; k < p->n; k++)
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	window_disarm(&w);
	window_fill(&w, r, 1, NULL, 0);
	window_close(&w);
	free(go);
	if (bad)
		snprintf(why, len, "a child failed or was killed");
	return bad ? -1 : 0;
}

/* Every child's pages against the parent's, which must not change. */
static int classify_children(struct par *p, struct record *r, char *why,
			     int len)
{
	struct sc *sc = p->sc;
	volatile char *buf = sc->buf;
	size_t i, k;
	uint64_t *after = xcalloc(sc->pages, 8);
	int ret = pagemap_snap(sc->buf, sc->pages, after, NULL, 1);

	if (ret) {
		snprintf(why, len, "the parent's pagemap after: %s",
			 strerror(-ret));
		free(after);
		return -1;
	}
	for (k = 0; k < (size_t)p->n; k++)
		for (i = 0; i < sc->pages; i++) {
			struct page_view *v = &p->pv[k * sc->pages + i];

			v->o_before = p->parent_pm[i];
			v->o_after = after[i];
			v->expect = EXP_SHARED;
			v->written = 1;
			v->other_saw = buf[i * PAGE_SZ + k] == (char)WRITE_BYTE;
			classify_page(v, &r->c.t);
		}
	r->c.has_pages = true;
	free(after);
	return 0;
}

/* A sum of counts, unknown (-1) once one of them is. */
static void sum_known(int64_t *sum, int64_t v)
{
	*sum = *sum < 0 || v < 0 ? -1 : *sum + v;
}

/*
 * What disturbed a child's window disturbed the repetition: its screen
 * adds up under children_*, and its perturbation is the record's.
 */
static void add_screen(struct record *r, const struct record *c, int k)
{
	char key[40];
	int j;

	for (j = 0; j < c->screen.n; j++) {
		snprintf(key, sizeof(key), "children_%s", c->screen.kv[j].key);
		kv_add(&r->screen, key, c->screen.kv[j].val);
	}
	if (c->perturbed[0] && !r->perturbed[0])
		snprintf(r->perturbed, sizeof(r->perturbed), "child %d: %.140s",
			 k, c->perturbed);
}

/* Faults and local flushes are per task: the children's sum is exact. */
static void add_counts(struct record *r, const struct record *c)
{
	const struct kvset *t = &c->c.tlb_flush.v;
	int j;

	record_take_error(r, c, "a child's window");
	if (c->c.faults < 0 || r->c.faults < 0) {
		if (c->c.faults < 0)
			memcpy(r->c.faults_skip, c->c.faults_skip,
			       sizeof(r->c.faults_skip));
		r->c.faults = -1;
	} else {
		r->c.faults += c->c.faults;
	}
	sum_known(&r->c.faults_task, c->c.faults_task);
	sum_known(&r->c.faults_min, c->c.faults_min);
	sum_known(&r->c.faults_maj, c->c.faults_maj);
	for (j = 0; j < t->n; j++)
		if (!strncmp(t->kv[j].key, "local", 5))
			kv_add(&r->c.tlb_flush.v, t->kv[j].key, t->kv[j].val);
}

/* Latency of every child; the window spans the first write to the last. */
static void merge_children(struct par *p, struct record *r)
{
	uint64_t lo = UINT64_MAX, hi = 0, first = UINT64_MAX, last = 0;
	int k;

	if (p->pv) {
		r->c.faults = r->c.faults_task = 0;
		r->c.faults_min = r->c.faults_maj = 0;
		r->c.faults_skip[0] = '\0';
	}
	for (k = 0; k < p->n; k++) {
		struct child *ch = &p->kids[k];
		uint64_t span = ch->end_ns - ch->start_ns;

		hist_merge(&r->lat, &ch->r.lat);
		r->has_lat |= ch->r.has_lat;
		lo = span < lo ? span : lo;
		hi = span > hi ? span : hi;
		first = ch->start_ns < first ? ch->start_ns : first;
		last = ch->end_ns > last ? ch->end_ns : last;
		if (p->pv)
			add_counts(r, &ch->r);
		add_screen(r, &ch->r, k);
	}
	kv_set(&r->c.extra, "child_wall_ns_min", lo);
	kv_set(&r->c.extra, "child_wall_ns_max", hi);
	r->window_ns = (double)(last - first);
}

/* Rates over the span from the first child's first write to the last's last. */
static void cp_extra(struct par *p, struct record *r)
{
	int64_t wall = (int64_t)r->window_ns;
	uint64_t writes = (uint64_t)p->n * p->sc->pages;

	r->ops = writes;
	r->overhead_ns = p->sc->pass == PASS_SAMPLED ?
				 cb_clock.pair_ns :
				 cb_clock.pair_ns / p->sc->batch;
	if (wall > 0)
		kv_set(&r->c.extra, "writes_per_sec",
		       (int64_t)(writes * 1000000000ULL / wall));
	if (p->pv && wall > 0 && tally_decided(&r->c.t))
		kv_set(&r->c.extra, "copies_per_sec",
		       (int64_t)(r->c.t.copies * 1000000000ULL / wall));
}

/* The backing's region, populated, shaped and verified. */
static int build(struct sc *sc, char *why, int len)
{
	const struct backing_ops *bk = sc->bk->ops;
	volatile char *buf;
	size_t i;
	int ret = bk->map(sc, why, len);

	if (ret)
		return ret;
	for (buf = sc->buf, i = 0; i < sc->pages; i++)
		buf[i * PAGE_SZ] = POP_BYTE;
	ret = bk->after_populate ? bk->after_populate(sc, why, len) : 0;
	return ret ? ret : bk->verify(sc, why, len);
}

static void *shared(size_t size)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return m == MAP_FAILED ? NULL : m;
}

static int cp_drive(struct sc *sc, struct record *r, char *why, int len)
{
	struct par p = { .sc = sc, .n = kv_get(sc->params, "children", 1) };
	size_t pvs = (size_t)p.n * sc->pages * sizeof(struct page_view);
	int ret;

	p.ncpu = topo_cpus(p.cpus, ARRAY_SIZE(p.cpus));
	if (p.n > p.ncpu) {
		snprintf(why, len, "%d children for %d online CPUs", p.n,
			 p.ncpu);
		return 1;
	}
	while (p.first < p.ncpu - 1 && p.cpus[p.first] != sc->writer_cpu)
		p.first++;
	ret = build(sc, why, len);
	if (ret)
		return ret;
	p.kids = shared(p.n * sizeof(struct child));
	p.pv = sc->pass == PASS_COUNTING ? shared(pvs) : NULL;
	p.parent_pm = xcalloc(sc->pages, 8);
	if (!p.kids || (sc->pass == PASS_COUNTING && !p.pv) || pipe(p.go) ||
	    pipe(p.ready) ||
	    pagemap_snap(sc->buf, sc->pages, p.parent_pm, NULL, 1)) {
		snprintf(why, len, "cow-parallel set-up: %s", strerror(errno));
		return -1;
	}
	ret = start_children(&p, why, len);
	if (!ret)
		ret = run_children(&p, r, why, len);
	if (!ret && p.pv)
		ret = classify_children(&p, r, why, len);
	if (!ret) {
		merge_children(&p, r);
		cp_extra(&p, r);
	}
	return ret;
}

const struct scenario_ops sc_cow_parallel = {
	.name = "cow-parallel",
	.desc = "N children write every page of the parent's region at once, in order or at random (anon-cow-seq/rand)",
	.blocks = true,
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.populate = POP_WRITE,
	.share = &share_child_writes,
	.expect = EXP_SHARED,
	.drive = cp_drive,
};
