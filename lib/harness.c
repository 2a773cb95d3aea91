// SPDX-License-Identifier: GPL-2.0
/*
 * The page driver: one pass of one scenario on one backing, in a
 * supervised process group.  One sequence for every sharing pattern
 * (scenario.h); the parties meet through two pipes, and a MAP_SHARED area
 * holds the record and the per-page view that the supervisor classifies.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "knobs.h"
#include "pagemap.h"
#include "scenario.h"
#include "supervise.h"
#include "topo.h"
#include "window.h"

const char *const pass_names[PASS_NR] = { "timing", "sampled", "counting" };

const struct share share_none = { .other = OTHER_NONE };
const struct share share_parent_writes = { .other = OTHER_PROCESS };
const struct share share_child_writes = { .other = OTHER_PROCESS,
					  .child_writes = true };
const struct share share_child_exits = { .other = OTHER_PROCESS,
					 .other_leaves = true };

_Static_assert(sizeof(struct page_view) % sizeof(uint64_t) == 0,
	       "page views are read as arrays of 64-bit entries");

/* Shared by the supervisor and both parties. */
struct pass_shm {
	struct record rec;
	struct kvset other_extra; /* the other party's, merged afterwards */
	const struct pass_args *a;
	size_t pages, size;
	struct page_view pv[];
};

/* The parties' meeting points: READY (other -> writer), DONE (back). */
struct meet {
	int ready[2], done[2];
};

struct party {
	struct sc sc;
	struct pass_shm *s;
	struct meet *m;
};

/* The first failure of a pass names it; later ones are consequences. */
static int __printf(2, 3) fail(struct pass_shm *s, const char *fmt, ...)
{
	struct record *r = &s->rec;
	va_list ap;

	if (r->status == ST_OK) {
		r->status = ST_ERROR;
		va_start(ap, fmt);
		vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A hook's verdict: 0 go on, >0 skip, <0 error; the reason into the record. */
static int hook_result(struct pass_shm *s, int ret, const char *why)
{
	struct record *r = &s->rec;

	if (!ret || r->status != ST_OK)
		return ret;
	r->status = ret > 0 ? ST_SKIP : ST_ERROR;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	return ret;
}

static struct pass_shm *shm_alloc(size_t pages)
{
	size_t size =
		sizeof(struct pass_shm) + pages * sizeof(struct page_view);
	struct pass_shm *s = mmap(NULL, size, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (s == MAP_FAILED)
		return NULL;
	record_init(&s->rec);
	s->size = size;
	s->pages = pages;
	return s;
}

static void send_byte(int fd, char c)
{
	if (write(fd, &c, 1) != 1) {
		/* the peer is gone: it will be reaped and reported */
	}
}

/* 0 when the peer sent 'k'; -1 when it failed or went away. */
static int recv_byte(int fd)
{
	char c = 0;

	return read(fd, &c, 1) == 1 && c == 'k' ? 0 : -1;
}

/* ---- the window ---- */

/* After fork the stack is write-protected: its COWs must not land inside. */
static void __attribute__((noinline)) prefault_stack(void)
{
	volatile char pad[128 << 10];
	size_t i;

	for (i = 0; i < sizeof(pad); i += PAGE_SZ)
		pad[i] = 0;
	pad[sizeof(pad) - 1] = 0; /* the top page, when pad is not aligned */
}

/* Not instrumented: a sanitizer's shadow reads would fault in the window. */
__attribute__((no_sanitize("address", "undefined"))) static void
run_ops(struct sc *sc, size_t lo, size_t hi)
{
	volatile char *buf = sc->buf;
	size_t i;

	if (sc->ops->op) {
		for (i = lo; i < hi; i++)
			sc->ops->op(sc, i);
		return;
	}
	for (i = lo; i < hi; i++)
		buf[i * PAGE_SZ] = (char)WRITE_BYTE;
}

static void after_ops(struct sc *sc, size_t lo, size_t hi)
{
	size_t i;

	if (sc->ops->after_op)
		for (i = lo; i < hi; i++)
			sc->ops->after_op(sc, i);
}

/*
 * A batch lost more than this share of its wall time to other tasks,
 * interrupts or the host (thread run time, outside the timed pair).
 */
#define BATCH_LOST_PCT 10

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The per-op figure of the repetition: the median of the batch means. */
static double median_of(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static size_t nbatches(const struct sc *sc)
{
	return (sc->nops + sc->batch - 1) / sc->batch;
}

/*
 * Headline figure: one ordered timestamp pair per batch of ops.  mean has
 * room for every batch and is touched already: no fault of ours lands in
 * the window.
 */
static void time_batched(struct sc *sc, struct record *r, double *mean)
{
	size_t nb = nbatches(sc), b = 0, i;
	uint64_t total = 0;

	for (i = 0; i < sc->nops; i += sc->batch, b++) {
		size_t end =
			i + sc->batch < sc->nops ? i + sc->batch : sc->nops;
		uint64_t c0 = thread_run_ns(), t0 = clk_now(), t1, c1;
		double wall;

		run_ops(sc, i, end);
		t1 = clk_now();
		c1 = thread_run_ns();
		after_ops(sc, i, end);
		total += t1 - t0;
		wall = clk_ns(t1 - t0);
		mean[b] = wall / (end - i);
		if (c0 &&
		    wall - (double)(c1 - c0) > wall * BATCH_LOST_PCT / 100)
			r->batches_interrupted++;
		hist_record_n(&r->lat, (uint64_t)(mean[b] + 0.5), end - i);
	}
	r->batches = nb;
	r->t_op_ns = nb ? median_of(mean, nb) : 0;
	r->overhead_ns = cb_clock.pair_ns / sc->batch;
	r->window_ns = clk_ns(total);
	r->has_lat = true;
}

/* Distribution: one timestamp pair per op; its cost is recorded, not subtracted. */
static void time_each(struct sc *sc, struct record *r)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < sc->nops; i++) {
		uint64_t t0 = clk_now(), t1;

		run_ops(sc, i, i + 1);
		t1 = clk_now();
		after_ops(sc, i, i + 1);
		total += t1 - t0;
		hist_record(&r->lat, (uint64_t)(clk_ns(t1 - t0) + 0.5));
	}
	r->overhead_ns = cb_clock.pair_ns;
	r->window_ns = clk_ns(total);
	r->has_lat = true;
}

/* Ops with untimed work after them pause the counters around it. */
static void count_ops(struct sc *sc, struct window *w, struct record *r)
{
	uint64_t ticks = 0, t0;
	size_t i;

	if (!sc->ops->after_op) {
		t0 = clk_now();
		run_ops(sc, 0, sc->nops);
		ticks = clk_now() - t0;
	}
	for (i = 0; sc->ops->after_op && i < sc->nops; i++) {
		t0 = clk_now();
		run_ops(sc, i, i + 1);
		ticks += clk_now() - t0;
		window_pause(w);
		after_ops(sc, i, i + 1);
		window_resume(w);
	}
	r->window_ns = clk_ns(ticks);
}

static bool page_written(struct sc *sc, size_t i)
{
	return sc->ops->writes ? sc->ops->writes(sc, i) : i < sc->nops;
}

/* The writer's side of the page view, before the window. */
static int view_before(struct sc *sc, struct pass_shm *s)
{
	struct page_view *pv = s->pv;
	size_t i;
	int ret;

	for (i = 0; i < s->pages; i++) {
		pv[i].expect = sc->ops->expect_page ?
				       sc->ops->expect_page(sc, i) :
				       sc->ops->expect;
		pv[i].written = page_written(sc, i);
	}
	ret = pagemap_snap(sc->buf, s->pages, &pv->w_before, &pv->w_flags,
			   PV_STRIDE);
	if (ret)
		return fail(s, "pagemap/kpageflags of the writer: %s",
			    strerror(-ret));
	if (pagemap_hidden(&pv->w_before, s->pages, PV_STRIDE))
		return fail(
			s,
			"pagemap shows PFN 0 for present pages: reading PFNs needs CAP_SYS_ADMIN");
	return 0;
}

/*
 * What the window allocates comes from memory the host may have taken
 * back: free blocks of order >= page_reporting_order are reported to it
 * about 2 s after they form, and a THP from one faults in cold (6-8 ms
 * instead of 0.2 ms, measured).  Fault the window's worth in with the
 * backing's page size right before the window, and free it for the window
 * to take.  A hugetlb pool is not buddy memory: never reported.
 */
static void warm_window(struct sc *sc)
{
	enum warm warm = sc->bk->ops->warm;
	struct sc tmp = *sc;
	char why[8];
	size_t i;

	if (warm == WARM_NONE ||
	    map_anon(&tmp, warm == WARM_HUGE ? MADV_HUGEPAGE : MADV_NOHUGEPAGE,
		     why, sizeof(why)))
		return;
	if (madvise(tmp.buf, tmp.len, MADV_POPULATE_WRITE))
		for (i = 0; i < tmp.len; i += PAGE_SZ)
			tmp.buf[i] = 1;
	munmap(tmp.buf, tmp.len);
}

static int count(struct sc *sc, struct pass_shm *s)
{
	struct record *r = &s->rec;
	struct window w;
	int ret;

	warm_window(sc);
	window_open(&w, true, s->pages ? sc->buf : NULL, s->pages);
	if (s->pages && view_before(sc, s)) {
		window_close(&w);
		return -1;
	}
	window_arm(&w);
	count_ops(sc, &w, r);
	window_disarm(&w);
	ret = s->pages ? pagemap_snap(sc->buf, s->pages, &s->pv->w_after,
				      &s->pv->w_flags_after, PV_STRIDE) :
			 0;
	window_fill(&w, r, sc->bk->fault_pages, &s->pv->faulted,
		    sizeof(struct page_view));
	window_close(&w);
	if (ret)
		return fail(s, "pagemap after the writes: %s", strerror(-ret));
	r->c.has_pages = s->pages > 0;
	return 0;
}

static int measure(struct sc *sc, struct pass_shm *s)
{
	size_t nb = nbatches(sc) + 1;
	struct record *r = &s->rec;
	struct window w;
	double *mean;

	prefault_stack();
	r->ops = sc->nops;
	if (sc->pass == PASS_COUNTING)
		return count(sc, s);
	mean = xcalloc(nb, sizeof(*mean));
	/* touched now (not zeros: a memset(0) after calloc may be elided) */
	memset(mean, 0xff, nb * sizeof(*mean));
	warm_window(sc);
	window_open(&w, false, NULL, 0);
	window_arm(&w);
	if (sc->pass == PASS_TIMING)
		time_batched(sc, r, mean);
	else
		time_each(sc, r);
	window_disarm(&w);
	window_fill(&w, r, 1, NULL, 0);
	free(mean);
	return 0;
}

/* ---- the parties ---- */

/* The default observer: a forked other party reads each page. */
static void observe_bytes(struct sc *sc, struct pass_shm *s)
{
	volatile char *buf = sc->buf;
	size_t i;

	for (i = 0; i < s->pages; i++)
		s->pv[i].other_saw = buf[i * PAGE_SZ] == (char)WRITE_BYTE;
}

static int observe(struct sc *sc, struct pass_shm *s)
{
	bool counting = sc->pass == PASS_COUNTING;
	char why[200] = "";
	int ret = 0;

	if (counting && sc->ops->observe)
		ret = sc->ops->observe(sc, sc->role, s->pv, why, sizeof(why));
	if (ret < 0)
		return fail(s, "the %s could not observe: %s",
			    sc->role == ROLE_WRITER ? "writer" : "other party",
			    why);
	if (ret > 0) /* a precondition seen only now did not hold */
		return hook_result(s, ret, why);
	if (counting && !sc->ops->observe && sc->role == ROLE_OTHER &&
	    sc->ops->share->other == OTHER_PROCESS && s->pages)
		observe_bytes(sc, s);
	return 0;
}

/* The other mapper's PFNs (a forked process has its own page table). */
static int other_snap(struct sc *sc, struct pass_shm *s, uint64_t *dst)
{
	int ret;

	if (sc->pass != PASS_COUNTING || !s->pages ||
	    sc->ops->share->other != OTHER_PROCESS)
		return 0;
	ret = pagemap_snap(sc->buf, s->pages, dst, NULL, PV_STRIDE);
	if (ret)
		return fail(s, "pagemap of the other party: %s",
			    strerror(-ret));
	if (pagemap_hidden(dst, s->pages, PV_STRIDE))
		return fail(
			s,
			"pagemap shows PFN 0 for present pages: reading PFNs needs CAP_SYS_ADMIN");
	return 0;
}

/* The backing's hook after the share, then the scenario's, for a role. */
static int share_hooks(struct sc *sc, struct pass_shm *s, enum role r)
{
	const struct backing_ops *bk = sc->bk->ops;
	char why[200] = "";
	int ret =
		bk->after_share ? bk->after_share(sc, r, why, sizeof(why)) : 0;

	if (!ret && sc->ops->prepare)
		ret = sc->ops->prepare(sc, r, why, sizeof(why));
	return hook_result(s, ret, why);
}

/*
 * The backing's precondition again once the other party is set (it may
 * have touched, unmapped or pinned the region), before the writer's own
 * prepare changes it on purpose.
 */
static int reverify(struct sc *sc, struct pass_shm *s)
{
	char why[200] = "", msg[240];
	int ret;

	if (sc->ops->share->other == OTHER_NONE ||
	    sc->ops->populate == POP_NONE || sc->ops->map)
		return 0;
	/* fork copies no page table of a shared mapping: map it first */
	if (test_fault("shared"))
		read_fault(sc->buf, sc->pages, false);
	ret = sc->bk->ops->verify(sc, why, sizeof(why));
	snprintf(msg, sizeof(msg), "after the share: %s", why);
	return hook_result(s, ret, msg);
}

static int other_main(struct party *p)
{
	struct sc *sc = &p->sc;
	struct pass_shm *s = p->s;
	int ret = 0;

	sc->role = ROLE_OTHER;
	if (topo_pin(sc->other_cpu))
		ret = fail(s, "cannot pin the other party to CPU %d",
			   sc->other_cpu);
	if (!ret)
		ret = share_hooks(sc, s, ROLE_OTHER);
	if (!ret)
		ret = other_snap(sc, s, &s->pv->o_before);
	send_byte(p->m->ready[1], ret ? 'e' : 'k');
	if (ret || sc->ops->share->other_leaves)
		goto out;
	if (recv_byte(p->m->done[0])) {
		ret = -1;
		goto out;
	}
	/* after its reads: a swapped-out page it read is the swap-cache folio */
	ret = observe(sc, s);
	if (!ret)
		ret = other_snap(sc, s, &s->pv->o_after);
	if (!ret && sc->pass == PASS_COUNTING && sc->bk->ops->extra &&
	    sc->ops->share->other == OTHER_PROCESS)
		sc->bk->ops->extra(sc, ROLE_OTHER, &s->other_extra);
out:
	if (sc->ops->cleanup)
		sc->ops->cleanup(sc, ROLE_OTHER);
	return ret;
}

static int writer_main(struct party *p)
{
	const struct backing_ops *bk = p->sc.bk->ops;
	struct sc *sc = &p->sc;
	struct pass_shm *s = p->s;
	char why[200] = "";
	int ret;

	sc->role = ROLE_WRITER;
	if (p->m && recv_byte(p->m->ready[0]))
		return s->rec.status == ST_OK ?
			       fail(s, "the other party failed to prepare") :
			       -1;
	if (reverify(sc, s) || share_hooks(sc, s, ROLE_WRITER) ||
	    measure(sc, s)) {
		if (p->m)
			send_byte(p->m->done[1], 'e');
		if (sc->ops->cleanup)
			sc->ops->cleanup(sc, ROLE_WRITER);
		return s->rec.status == ST_SKIP ? 0 : -1;
	}
	if (p->m)
		send_byte(p->m->done[1], 'k');
	ret = observe(sc, s);
	if (!ret && sc->ops->populate == POP_NONE && !sc->ops->map &&
	    hook_result(s, bk->verify(sc, why, sizeof(why)), why) < 0)
		ret = -1;
	if (sc->pass == PASS_COUNTING && sc->ops->extra)
		sc->ops->extra(sc, &s->rec.c.extra);
	if (sc->pass == PASS_COUNTING && bk->extra)
		bk->extra(sc, ROLE_WRITER, &s->rec.c.extra);
	if (sc->ops->cleanup)
		sc->ops->cleanup(sc, ROLE_WRITER);
	return ret;
}

static void *other_thread(void *arg)
{
	other_main(arg);
	return NULL;
}

static int reap(struct pass_shm *s, pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return fail(s, "waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st))
		return fail(s, "the forked party was killed by signal %d",
			    WTERMSIG(st));
	return fail(s, "the forked party exited with status %d",
		    WEXITSTATUS(st));
}

static int fork_parties(struct party *p)
{
	bool child_writes = p->sc.ops->share->child_writes;
	pid_t pid = fork_tied();
	int ret;

	if (pid < 0)
		return fail(p->s, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit((child_writes ? writer_main(p) : other_main(p)) ? 1 : 0);
	p->sc.other_pid = pid;
	if (p->sc.ops->share->other_leaves) {
		/* it leaves first: the writer starts once it is gone */
		ret = reap(p->s, pid);
		p->m = NULL;
		return ret || p->s->rec.status != ST_OK ? -1 : writer_main(p);
	}
	/* the child's ends, so that a dead child reads as EOF, not a hang */
	close(child_writes ? p->m->ready[0] : p->m->ready[1]);
	close(child_writes ? p->m->done[1] : p->m->done[0]);
	ret = child_writes ? other_main(p) : writer_main(p);
	return reap(p->s, pid) || ret ? -1 : 0;
}

/* A thread party: its own view of the pass (role, priv), the same pass. */
static int run_thread_party(struct party *p)
{
	struct party o = *p;
	pthread_t t;
	int ret;

	if (pthread_create(&t, NULL, other_thread, &o))
		return fail(p->s, "pthread_create failed");
	if (p->sc.ops->share->other_leaves) {
		pthread_join(t, NULL);
		p->m = NULL;
		return p->s->rec.status != ST_OK ? -1 : writer_main(p);
	}
	ret = writer_main(p);
	pthread_join(t, NULL);
	return ret;
}

static int run_parties(struct party *p)
{
	struct meet m;

	if (p->sc.ops->share->other == OTHER_NONE)
		return writer_main(p);
	if (pipe(m.ready) || pipe(m.done))
		return fail(p->s, "pipe: %s", strerror(errno));
	p->m = &m;
	if (p->sc.ops->share->other == OTHER_PROCESS)
		return fork_parties(p);
	return run_thread_party(p);
}

/* ---- set-up ---- */

static void populate(struct sc *sc)
{
	volatile char *buf = sc->buf;
	size_t i;

	if (sc->ops->populate == POP_READ)
		read_fault(sc->buf, sc->pages,
			   !sc->ops->map && !(sc->bk->ops->kind & BK_FILE));
	for (i = 0; sc->ops->populate == POP_WRITE && i < sc->pages; i++)
		buf[i * PAGE_SZ] = POP_BYTE;
}

/* Fault the region's worth of memory in from the host and give it back. */
static void warm_up(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, len);
}

size_t region_pages(const struct scenario_ops *ops, const struct kvset *params)
{
	if (ops->region_pages)
		return ops->region_pages(params);
	return (size_t)kv_get(params, "pages", 0);
}

static int populate_on(struct party *p)
{
	struct sc *sc = &p->sc;
	int cpu = sc->ops->share->populate_on_other ? sc->other_cpu :
						      sc->writer_cpu;

	if (topo_pin(cpu))
		return fail(p->s, "cannot pin to CPU %d", cpu);
	populate(sc);
	if (topo_pin(sc->writer_cpu))
		return fail(p->s, "cannot pin to CPU %d", sc->writer_cpu);
	return 0;
}

/* map -> populate -> after_populate -> verify -> init */
static int build_region(struct party *p)
{
	const struct backing_ops *bk = p->sc.bk->ops;
	struct sc *sc = &p->sc;
	char why[200] = "";
	int ret;

	ret = sc->ops->map ? sc->ops->map(sc, why, sizeof(why)) :
			     bk->map(sc, why, sizeof(why));
	if (hook_result(p->s, ret, why) || populate_on(p))
		return -1;
	ret = bk->after_populate ? bk->after_populate(sc, why, sizeof(why)) : 0;
	if (!ret && sc->ops->populate != POP_NONE && !sc->ops->map)
		ret = bk->verify(sc, why, sizeof(why));
	if (!ret && sc->ops->init)
		ret = sc->ops->init(sc, why, sizeof(why));
	return hook_result(p->s, ret, why) ? -1 : 0;
}

/*
 * Test hook ($COWBENCH_TEST_PASS_KNOB=path=value[,path=value...]): knobs
 * changed inside a pass, to show that the supervisor undoes them after the
 * pass, or to give a backing a machine state on purpose.  The value the
 * pass found of the first is recorded, so a later pass shows whether it
 * was undone.
 */
static void test_pass_knob(struct pass_shm *s)
{
	const char *spec = getenv("COWBENCH_TEST_PASS_KNOB");
	char path[256], val[64], old[64];
	const char *eq;
	bool first = true;
	size_t n;

	for (; spec && (eq = strchr(spec, '=')); spec += n + !!spec[n]) {
		n = strcspn(spec, ",");
		snprintf(path, sizeof(path), "%.*s", (int)(eq - spec), spec);
		snprintf(val, sizeof(val), "%.*s", (int)(spec + n - eq - 1),
			 eq + 1);
		if (first && !knob_read(path, old, sizeof(old)))
			kv_set(&s->rec.c.extra, "test_knob_found", atoll(old));
		knob_set(path, val);
		first = false;
	}
}

/* A workload runs the pass itself. */
static int drive(struct party *p)
{
	char why[200] = "";
	int ret = p->sc.ops->drive(&p->sc, &p->s->rec, why, sizeof(why));

	return hook_result(p->s, ret, why) < 0;
}

/* The pass process: its exit status. */
static int pass_main(void *arg)
{
	struct pass_shm *s = arg;
	const struct pass_args *a = s->a;
	struct party p = { .s = s };
	struct sc *sc = &p.sc;

	signal(SIGPIPE, SIG_IGN); /* a party that is gone reads as EOF */
	*sc = (struct sc){ .ops = a->ops,
			   .bk = a->bk,
			   .params = a->params,
			   .pass = a->pass,
			   .batch = a->ops->batch ? a->ops->batch : a->batch,
			   .writer_cpu = a->writer_cpu,
			   .other_cpu = a->other_cpu,
			   .workdir = a->workdir };
	sc->pages = region_pages(a->ops, a->params);
	sc->len = sc->pages * PAGE_SZ;
	sc->nops = a->ops->nops ? a->ops->nops(sc) : sc->pages;
	if (topo_pin(a->writer_cpu))
		return fail(s, "cannot pin to CPU %d", a->writer_cpu) ? 1 : 0;
	test_pass_knob(s);
	window_blocking(a->ops->blocks);
	if (a->ops->drive)
		return drive(&p);
	warm_up(sc->len);
	if (build_region(&p))
		return s->rec.status == ST_SKIP ? 0 : 1;
	if (run_parties(&p))
		return s->rec.status == ST_SKIP ? 0 : 1;
	return 0;
}

/* ---- the supervisor's side ---- */

static void verdict(struct record *r)
{
	const struct tally *t = &r->c.t;
	uint64_t miss = t->classes[CLS_MISSED], wrong = t->classes[CLS_WRONG];
	uint64_t odd = t->events[EV_UNEXPLAINED];

	if (t->events[EV_MIGRATED] || t->events[EV_COLLAPSE] ||
	    t->events[EV_RECLAIMED])
		snprintf(
			r->perturbed, sizeof(r->perturbed),
			"%llu page(s) migrated, %llu collapsed, %llu swapped out under the window",
			(unsigned long long)t->events[EV_MIGRATED],
			(unsigned long long)t->events[EV_COLLAPSE],
			(unsigned long long)t->events[EV_RECLAIMED]);
	if (r->status != ST_OK || !(miss || wrong || odd))
		return;
	r->status = ST_FAIL;
	snprintf(
		r->reason, sizeof(r->reason),
		"%llu missed COW, %llu wrong COW, %llu outcome(s) the ground truth cannot explain",
		(unsigned long long)miss, (unsigned long long)wrong,
		(unsigned long long)odd);
}

static void classify_pages(struct pass_shm *s)
{
	struct record *r = &s->rec;
	size_t i;

	if (!r->c.has_pages || r->status != ST_OK)
		return;
	for (i = 0; i < s->pages; i++)
		classify_page(&s->pv[i], &r->c.t);
	verdict(r);
}

static void end_reason(struct record *r, const struct sv_result *res,
		       int timeout_s)
{
	int st = res->status;

	if (res->end == SV_TIMEOUT) {
		r->status = ST_TIMEOUT;
		snprintf(r->reason, sizeof(r->reason), "no result within %d s",
			 timeout_s);
	} else if (res->end == SV_NOFORK) {
		r->status = ST_ERROR;
		snprintf(r->reason, sizeof(r->reason), "fork: %s",
			 strerror(res->err));
	} else if (res->end == SV_EXITED && WIFSIGNALED(st)) {
		r->status = ST_ERROR;
		snprintf(r->reason, sizeof(r->reason),
			 "pass process killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	} else if (res->end == SV_EXITED && WEXITSTATUS(st) &&
		   r->status == ST_OK) {
		r->status = ST_ERROR;
		snprintf(r->reason, sizeof(r->reason),
			 "pass process exited with status %d", WEXITSTATUS(st));
	}
}

int harness_run_pass(const struct pass_args *a, struct record *rec)
{
	size_t pages = a->ops->no_pagemap || a->ops->drive ||
				       a->pass != PASS_COUNTING ?
			       0 :
			       region_pages(a->ops, a->params);
	struct pass_shm *s = shm_alloc(pages);
	struct sv_result res;
	int i;

	if (!s) {
		rec->status = ST_ERROR;
		snprintf(rec->reason, sizeof(rec->reason),
			 "mmap of the result area: %s", strerror(errno));
		return 0;
	}
	s->a = a;
	supervise(pass_main, s, a->timeout_s, &res);
	end_reason(&s->rec, &res, a->timeout_s);
	for (i = 0; i < s->other_extra.n; i++)
		kv_set(&s->rec.c.extra, s->other_extra.kv[i].key,
		       s->other_extra.kv[i].val);
	classify_pages(s);
	*rec = s->rec;
	munmap(s, s->size);
	return res.end == SV_SIGNAL ? res.sig : 0;
}
