// SPDX-License-Identifier: GPL-2.0
/*
 * forksrv: a fork-heavy server.  The pass process holds a heap, accepts
 * one loopback TCP connection from a load generator on the other CPU and
 * serves request i by forking a child (every fork_every-th request) or
 * in place.  Whoever serves it reads and writes a stripe of the heap
 * (touch_permille of it; stripe i mod the number of stripes) and replies.
 *
 * Timing pass: children run and exit on their own, as in a prefork or
 * fork-per-job daemon; the generator times every request as wrk2 does
 * (open loop, one request outstanding, latency from when it was due and,
 * uncorrected, from its send; or closed loop), after a warm-up it does
 * not record, and the server times each fork() and takes the minor faults
 * of itself and of every child (getrusage).  At the end the parent's heap
 * must hold its own writes alone: a child's write there is a missed COW.
 *
 * Counting pass: the same requests, one sharing state at a time so that
 * every page has a known owner.  The parent waits until its child has
 * written and replied; the child then lingers until the next fork, so the
 * parent's own writes in between meet pages the child still maps.  The
 * child classifies its stripe itself (its PFNs and the parent's, before
 * and after), with its own counters; the parent does the same for each
 * stripe it writes, against the lingering child's page table.  Its times
 * are not published: counters and tracing are on.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/window.h"
#include "wl.h"
#include "workloads.h"

static const struct param_spec params[] = {
	{ .name = "heap",
	  .type = CFG_SIZE,
	  .min = 2 << 20,
	  .max = 1LL << 40,
	  .def = { 32 << 20 },
	  .ndef = 1,
	  .desc = "the server's heap (populated before the first request)" },
	{ .name = "requests",
	  .type = CFG_INT,
	  .min = 1,
	  .max = 10000000,
	  .def = { 1000 },
	  .ndef = 1,
	  .desc = "requests per pass" },
	{ .name = "fork_every",
	  .type = CFG_INT,
	  .min = 1,
	  .max = 1000000,
	  .def = { 4 },
	  .ndef = 1,
	  .desc = "fork a child for every Nth request; serve the rest in place" },
	{ .name = "touch_permille",
	  .type = CFG_INT,
	  .min = 0,
	  .max = 1000,
	  .def = { 10 },
	  .ndef = 1,
	  .desc = "heap pages each request reads and writes, per mille" },
	{ .name = "rate",
	  .type = CFG_INT,
	  .min = 0,
	  .max = 10000000,
	  .def = { 300 },
	  .ndef = 1,
	  .desc = "requests per second, open loop; 0: closed loop" },
	{ .name = "warmup_ms",
	  .type = CFG_INT,
	  .min = 0,
	  .max = 600000,
	  .def = { 1000 },
	  .ndef = 1,
	  .desc = "timing pass: requests of the first ms are served, not recorded" },
};

#define REQ_LEN 64 /* a small request: its id and padding */
#define MAX_KIDS 64 /* live children in the timing pass, as MaxClients */
#define GEN_TIMEOUT_MS 20000
#define STALL_MS 600 /* COWBENCH_TEST_FAULT=stall: one request waits so long */
#define SLACK_NS 1 /* the generator's timer slack */
#define BELOW_RATE_PCT 95 /* a throughput below this share of the rate */

/* What a child of the counting pass hands back. */
struct kid_out {
	struct record rec;
	int failed;
	char why[200];
};

struct fs {
	struct sc *sc;
	struct record *r;
	char *heap;
	size_t touch, nstripes;
	uint64_t requests, every;
	bool counting;
	int conn;
	struct wl_forks forks; /* the measured requests' */
	uint64_t kid_id; /* the request the next child serves */
	/* timing: the warm-up is over from request first on */
	const struct wl_lat *l;
	bool measuring;
	uint64_t first, served;
	struct rusage ru0, ru1; /* the parent, over the measured requests */
	uint64_t *kid_minflt; /* MAP_SHARED: the measured children's */
	uint64_t *kid_away; /* MAP_SHARED: children off the server's CPU */
	int server_cpu;
	uint64_t *last_here; /* per stripe: the parent's last id, or -1 */
	/* timing: children not yet reaped */
	pid_t kids[MAX_KIDS];
	int nkids;
	/* counting: the child that lingers, and how it is released */
	pid_t linger;
	struct wl_hand hand;
	struct kid_out *out; /* MAP_SHARED */
	struct window w;
	size_t w_here; /* in-place requests in the parent's window */
	struct record *parent_sum; /* the parent's earlier windows */
	uint8_t *since_fork; /* per page: the parent wrote it since the fork */
	struct page_view *pv; /* one stripe */
	struct record *kids_sum; /* the children's counts, added at the end */
};

static size_t fs_pages(const struct kvset *p)
{
	return (size_t)(kv_get(p, "heap", 0) / PAGE_SZ);
}

static char *stripe(struct fs *f, uint64_t id)
{
	return f->heap + (id % f->nstripes) * f->touch * PAGE_SZ;
}

/* Not instrumented: a sanitizer's shadow writes would fault in here. */
__attribute__((no_sanitize("address", "undefined"))) static void
touch(char *p, size_t pages, uint64_t id)
{
	volatile uint64_t *q;
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < pages; i++) {
		q = (volatile uint64_t *)(p + i * PAGE_SZ);
		sum += q[1];
		q[0] = id + sum;
	}
}

static int reply(struct fs *f, uint64_t id, uint32_t flags)
{
	struct wl_reply rp = { .id = id, .flags = flags };

	return wl_send_all(f->conn, &rp, sizeof(rp));
}

/* A child's end: where it ran, and (measured requests) its minor faults. */
static void kid_report(struct fs *f)
{
	struct rusage ru;

	if (sched_getcpu() != f->server_cpu)
		__atomic_fetch_add(f->kid_away, 1, __ATOMIC_RELAXED);
	if (f->measuring && !getrusage(RUSAGE_SELF, &ru))
		__atomic_fetch_add(f->kid_minflt, (uint64_t)ru.ru_minflt,
				   __ATOMIC_RELAXED);
}

/* ---- the child ---- */

static int kid_count(struct fs *f, char *p, char *why, int len)
{
	struct kid_out *o = f->out;
	struct page_view *pv = xcalloc(f->touch, sizeof(*pv));
	pid_t parent = getppid();
	struct window w;
	size_t i;

	window_open(&w, true, p, f->touch);
	if (wl_snap_writer(p, f->touch, pv, false, why, len) ||
	    wl_snap_other(parent, p, f->touch, pv, false, why, len))
		return -1;
	for (i = 0; i < f->touch; i++)
		pv[i].written = 1;
	window_arm(&w);
	touch(p, f->touch, 0);
	window_disarm(&w);
	if (wl_snap_writer(p, f->touch, pv, true, why, len) ||
	    wl_snap_other(parent, p, f->touch, pv, true, why, len))
		return -1;
	record_init(&o->rec);
	window_fill(&w, &o->rec, f->sc->bk->fault_pages, &pv->faulted,
		    sizeof(*pv));
	window_close(&w);
	wl_classify(pv, f->touch, &o->rec.c.t);
	return 0;
}

static int kid_main(void *arg)
{
	struct fs *f = arg;
	struct kid_out *o = f->out;
	uint64_t id = f->kid_id;
	char *p = stripe(f, id);

	if (!f->counting) {
		touch(p, f->touch, id);
		if (reply(f, id, WL_MARKED))
			return 1;
		kid_report(f);
		return 0;
	}
	if (kid_count(f, p, o->why, sizeof(o->why)))
		o->failed = 1;
	if (reply(f, id, WL_MARKED))
		return 1;
	/* done, then linger until the parent's next fork releases us */
	if (wl_hand_done(&f->hand, o->failed))
		return 1;
	wl_hand_hold(&f->hand);
	kid_report(f);
	return 0;
}

/* ---- the parent ---- */

/* Timing: reap whoever has exited; with block, wait for one first. */
static int reap_kids(struct fs *f, bool block, char *why, int len)
{
	int i, st;

	for (i = 0; i < f->nkids; i++) {
		pid_t pid = waitpid(f->kids[i], &st, block ? 0 : WNOHANG);

		if (!pid)
			continue;
		if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			snprintf(why, len, "a served child failed (%s %d)",
				 pid < 0 ? "waitpid" : "status", st);
			return -1;
		}
		f->kids[i--] = f->kids[--f->nkids];
		block = false;
	}
	return 0;
}

static int release_linger(struct fs *f, char *why, int len)
{
	pid_t pid = f->linger;

	if (!pid)
		return 0;
	f->linger = 0;
	if (wl_hand_release(&f->hand, pid, why, len))
		return -1;
	return wl_reap(pid, "the served child", why, len);
}

/* Counting: the child has written and replied; take its counts. */
static int kid_done(struct fs *f, pid_t pid, char *why, int len)
{
	uint64_t failed = 1;

	f->linger = pid;
	if (wl_hand_wait(&f->hand, &failed) || failed) {
		snprintf(why, len, "the served child failed: %s",
			 f->out->failed ? f->out->why : "no word from it");
		return -1;
	}
	wl_counts_add(f->kids_sum, &f->out->rec);
	memset(f->since_fork, 0, f->nstripes * f->touch);
	return 0;
}

static int serve_fork(struct fs *f, uint64_t id, char *why, int len)
{
	pid_t pid;

	if (f->counting) {
		window_pause(&f->w);
		if (release_linger(f, why, len))
			return -1;
		window_resume(&f->w);
	} else if (f->nkids == MAX_KIDS && reap_kids(f, true, why, len)) {
		return -1;
	}
	f->kid_id = id;
	pid = wl_fork(&f->forks, -1, kid_main, f);
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (!f->counting) {
		f->kids[f->nkids++] = pid;
		return 0;
	}
	window_pause(&f->w);
	if (kid_done(f, pid, why, len))
		return -1;
	window_resume(&f->w);
	return 0;
}

/* Counting: the stripe's views around the parent's own writes. */
static int here_views(struct fs *f, char *p, bool after, char *why, int len)
{
	size_t i, first = (p - f->heap) / PAGE_SZ;

	if (wl_snap_writer(p, f->touch, f->pv, after, why, len) ||
	    wl_snap_other(f->linger, p, f->touch, f->pv, after, why, len))
		return -1;
	for (i = 0; !after && i < f->touch; i++) {
		f->pv[i].written = 1;
		/* written since the fork: writable, so no fault */
		f->pv[i].faulted = f->since_fork[first + i] ? 0 : -1;
		f->since_fork[first + i] = 1;
		f->pv[i].other_saw = 0;
	}
	if (after)
		wl_classify(f->pv, f->touch, &f->r->c.t);
	return 0;
}

/*
 * Counting: the fault sampler holds two samples a page of the window, so
 * the parent starts a new window before it could fault every page again.
 */
static void cycle_window(struct fs *f)
{
	struct record *r;

	if (++f->w_here * f->touch <= f->sc->pages)
		return;
	r = xmalloc(sizeof(*r));
	record_init(r);
	window_disarm(&f->w);
	window_fill(&f->w, r, f->sc->bk->fault_pages, NULL, 0);
	window_close(&f->w);
	wl_counts_add_window(f->parent_sum, r);
	free(r);
	window_open(&f->w, true, f->heap, f->sc->pages);
	window_arm(&f->w);
	f->w_here = 1;
}

static int serve_here(struct fs *f, uint64_t id, char *why, int len)
{
	char *p = stripe(f, id);

	if (!f->counting)
		f->last_here[id % f->nstripes] = id;
	if (f->counting) {
		cycle_window(f);
		window_pause(&f->w);
		if (here_views(f, p, false, why, len))
			return -1;
		window_resume(&f->w);
	}
	touch(p, f->touch, id);
	if (f->counting) {
		window_pause(&f->w);
		if (here_views(f, p, true, why, len))
			return -1;
		window_resume(&f->w);
	}
	if (reply(f, id, 0)) {
		snprintf(why, len, "reply: the load generator went away");
		return -1;
	}
	return 0;
}

/* The next request's id; 1: the generator is done (EOF between requests). */
static int next_req(struct fs *f, uint64_t *id, char *why, int len)
{
	char req[REQ_LEN];
	ssize_t k;

	do
		k = recv(f->conn, req, sizeof(req), MSG_WAITALL);
	while (k < 0 && errno == EINTR);
	if (!k)
		return 1;
	if (k != sizeof(req)) {
		snprintf(why, len,
			 "the load generator went away after %llu requests",
			 (unsigned long long)f->served);
		return -1;
	}
	memcpy(id, req, sizeof(*id));
	return 0;
}

/* The generator says which id is the first it records. */
static void measure_from(struct fs *f, uint64_t id)
{
	if (f->measuring ||
	    !__atomic_load_n(&f->l->warm_set, __ATOMIC_ACQUIRE) ||
	    id < f->l->warm)
		return;
	f->measuring = true;
	f->first = id;
	wl_forks_init(&f->forks);
	getrusage(RUSAGE_SELF, &f->ru0);
}

/* COWBENCH_TEST_FAULT=stall: the server stops for a while, mid-run. */
static void stall(struct fs *f, uint64_t id)
{
	if (!f->counting && f->measuring && id == f->first + f->requests / 2 &&
	    test_fault("stall"))
		wl_sleep_until(wl_now() + STALL_MS * 1000000ULL);
}

static int serve(struct fs *f, char *why, int len)
{
	uint64_t id;
	int ret;

	while (!(ret = next_req(f, &id, why, len))) {
		measure_from(f, id);
		stall(f, id);
		if (id % f->every == 0 ? serve_fork(f, id, why, len) :
					 serve_here(f, id, why, len))
			return -1;
		f->served++;
		if (!f->counting && reap_kids(f, false, why, len))
			return -1;
	}
	getrusage(RUSAGE_SELF, &f->ru1);
	return ret < 0 ? -1 : 0;
}

/* ---- the pass ---- */

static int fs_setup(struct fs *f, struct sc *sc, char *why, int len)
{
	int64_t permille = kv_get(sc->params, "touch_permille", 0);
	int ret = sc->bk->ops->map(sc, why, len);

	if (ret)
		return ret;
	f->heap = sc->buf;
	memset(f->heap, POP_BYTE, sc->len);
	ret = sc->bk->ops->verify(sc, why, len);
	if (ret)
		return ret;
	f->touch = sc->pages * permille / 1000;
	f->nstripes = f->touch ? sc->pages / f->touch : 1;
	f->requests = kv_get(sc->params, "requests", 1);
	f->every = kv_get(sc->params, "fork_every", 1);
	f->counting = sc->pass == PASS_COUNTING;
	f->linger = 0;
	wl_forks_init(&f->forks);
	f->kid_minflt = wl_shared(sizeof(*f->kid_minflt));
	f->kid_away = wl_shared(sizeof(*f->kid_away));
	f->server_cpu = sched_getcpu();
	if (!f->kid_minflt || !f->kid_away) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -1;
	}
	if (!f->counting) {
		f->last_here = xmalloc(f->nstripes * sizeof(*f->last_here));
		memset(f->last_here, 0xff, f->nstripes * sizeof(*f->last_here));
		return 0;
	}
	f->out = wl_shared(sizeof(*f->out));
	if (!f->out) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -1;
	}
	if (wl_hand_open(&f->hand, why, len))
		return -1;
	f->since_fork = xcalloc(f->nstripes * f->touch + 1, 1);
	f->pv = xcalloc(f->touch + 1, sizeof(*f->pv));
	f->kids_sum = xmalloc(sizeof(*f->kids_sum));
	record_init(f->kids_sum);
	wl_counts_zero(f->kids_sum);
	f->parent_sum = xmalloc(sizeof(*f->parent_sum));
	record_init(f->parent_sum);
	wl_counts_zero(f->parent_sum);
	return 0;
}

/*
 * Timing: the heap holds the parent's writes alone (the last in-place id
 * of each stripe, or the fill).  A page that holds another value shows a
 * child's write: a missed COW.
 */
static uint64_t heap_wrong(const struct fs *f)
{
	const uint64_t pop = 0x0101010101010101ULL * POP_BYTE;
	uint64_t wrong = 0, want;
	size_t s, i;

	for (s = 0; s < f->nstripes; s++) {
		const char *p = f->heap + s * f->touch * PAGE_SZ;

		for (i = 0; i < f->touch; i++) {
			want = f->last_here[s] == UINT64_MAX ?
				       pop :
				       f->last_here[s] + (i + 1) * pop;
			wrong += *(const uint64_t *)(p + i * PAGE_SZ) != want;
		}
	}
	return wrong;
}

static int64_t minflt(const struct rusage *a, const struct rusage *b)
{
	return b->ru_minflt - a->ru_minflt;
}

static void timing_extra(struct fs *f, const struct wl_lat *l)
{
	struct kvset *x = &f->r->c.extra;
	int64_t rate = kv_get(f->sc->params, "rate", 0), got = wl_lat_rate(l);
	uint64_t wrong = heap_wrong(f);

	kv_set(x, "req_per_s", got);
	/*
	 * Below the rate on average, or keeping up only after a backlog: half
	 * the requests sent more than one period late is a queue, whatever
	 * the throughput at the end says
	 */
	if (rate)
		kv_set(x, "below_rate",
		       got * 100 < rate * BELOW_RATE_PCT ||
			       hist_pct(&l->lag, 50) * rate > 1000000000ULL);
	kv_set(x, "warmup_requests", f->first);
	wl_put_forks(x, &f->forks);
	wl_put_pcts(x, "forked_ns", &l->marked, 1);
	wl_put_pcts(x, "inplace_ns", &l->unmarked, 1);
	wl_put_pcts(x, "uncorrected_ns", &l->uncorr, 1);
	if (rate)
		wl_put_pcts(x, "send_lag_ns", &l->lag, 1);
	kv_set(x, "heap_pages_wrong", wrong);
	f->r->lat = l->all;
	f->r->has_lat = true;
	f->r->window_ns = l->last_ns - l->first_ns;
	wl_timing_counts(f->r);
	if (!wrong)
		return;
	f->r->status = ST_FAIL;
	snprintf(
		f->r->reason, sizeof(f->r->reason),
		"missed COW: %llu heap pages of the server hold a child's write",
		(unsigned long long)wrong);
}

/*
 * A child inherits the server's affinity: with the server pinned to one
 * CPU its children run there too, and a child's work delays the server's
 * next request, as on a one-core server.  Each child says where it ended.
 */
static int shares_cpu(const struct fs *f)
{
	return !*f->kid_away;
}

static void fs_extra(struct fs *f, const struct wl_lat *l)
{
	struct kvset *x = &f->r->c.extra;

	kv_set(x, "answered", l->answered);
	kv_set(x, "forks", f->forks.ns.n);
	kv_set(x, "touch_pages", f->touch);
	kv_set(x, "children_share_cpu", shares_cpu(f));
	/* minor faults of the whole tasks, over the measured requests */
	kv_set(x, "parent_minflt", minflt(&f->ru0, &f->ru1));
	kv_set(x, "child_minflt", *f->kid_minflt);
	if (!f->counting) {
		timing_extra(f, l);
		return;
	}
	wl_counts_add_window(f->r, f->parent_sum);
	kv_set(x, "parent_faults", f->r->c.faults);
	kv_set(x, "child_faults", f->kids_sum->c.faults);
	wl_counts_add(f->r, f->kids_sum);
	f->r->c.has_pages = true;
}

static int fs_run(struct fs *f, struct wl_lat *l, pid_t *gen, char *why,
		  int len)
{
	struct wl_load load = { .n = f->requests,
				.rate = kv_get(f->sc->params, "rate", 0),
				.req_len = REQ_LEN,
				.timeout_ms = GEN_TIMEOUT_MS,
				.one_outstanding = true,
				.timer_slack_ns = SLACK_NS };
	int ret;

	if (!f->counting)
		load.warmup_ns =
			kv_get(f->sc->params, "warmup_ms", 0) * 1000000ULL;
	f->l = l;
	f->conn = wl_load_open(&load, l, f->sc->other_cpu, gen, why, len);
	if (f->conn < 0)
		return -1;
	if (f->counting) {
		window_open(&f->w, true, f->heap, f->sc->pages);
		window_arm(&f->w);
	}
	ret = serve(f, why, len);
	if (f->counting) {
		window_disarm(&f->w);
		window_fill(&f->w, f->r, f->sc->bk->fault_pages, NULL, 0);
		window_close(&f->w);
	}
	return ret;
}

/* The generator, then the children: nobody is left on any path. */
static int fs_finish(struct fs *f, struct wl_lat *l, pid_t gen, int ret,
		     char *why, int len)
{
	if (!ret) {
		ret = wl_load_close(gen, l, why, len);
		gen = 0; /* reaped either way */
	}
	if (!ret && release_linger(f, why, len))
		ret = -1;
	while (!ret && f->nkids)
		ret = reap_kids(f, true, why, len);
	if (ret) {
		wl_kill(gen);
		wl_kill(f->linger);
		while (f->nkids)
			wl_kill(f->kids[--f->nkids]);
	}
	return ret;
}

static int fs_drive(struct sc *sc, struct record *r, char *why, int len)
{
	struct wl_lat *l = wl_lat_alloc();
	struct fs f = {
		.sc = sc, .r = r, .conn = -1, .hand = { { -1, -1 }, { -1, -1 } }
	};
	pid_t gen = -1;
	int ret;

	if (!l) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -1;
	}
	ret = fs_setup(&f, sc, why, len);
	if (!ret)
		ret = fs_run(&f, l, &gen, why, len);
	if (gen > 0 || f.linger || f.nkids)
		ret = fs_finish(&f, l, gen, ret, why, len);
	if (!ret) {
		r->ops = f.requests;
		fs_extra(&f, l);
		wl_put_procs(&r->c.extra, gen);
	}
	if (f.conn >= 0)
		close(f.conn);
	wl_lat_free(l);
	wl_hand_close(&f.hand);
	wl_shared_free(f.kid_minflt, sizeof(*f.kid_minflt));
	wl_shared_free(f.kid_away, sizeof(*f.kid_away));
	wl_shared_free(f.out, sizeof(*f.out));
	free(f.kids_sum);
	free(f.parent_sum);
	free(f.last_here);
	return ret;
}

const struct scenario_ops wl_forksrv = {
	.name = "forksrv",
	.desc = "fork-heavy server: loopback requests, a child forked per Nth request writes part of the heap",
	.blocks = true,
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.share = &share_none,
	.passes = (1u << PASS_TIMING) | (1u << PASS_COUNTING),
	.region_pages = fs_pages,
	.drive = fs_drive,
};
