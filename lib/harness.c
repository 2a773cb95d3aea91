// SPDX-License-Identifier: GPL-2.0
/*
 * The page driver: one pass of one scenario on one backing, in a
 * supervised process group.  One sequence for every sharing pattern
 * (scenario.h); the parties meet through two pipes, and a MAP_SHARED area
 * holds the record and the per-page view that the supervisor classifies.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "knobs.h"
#include "pagemap.h"
#include "scenario.h"
#include "supervise.h"
#include "topo.h"
#include "window.h"

/* AddressSanitizer maps its shadow of what the window touches, as faults */
#if defined(__SANITIZE_ADDRESS__)
static const bool sanitized = true;
#else
static const bool sanitized = false;
#endif

const char *const pass_names[PASS_NR] = { "timing", "sampled", "counting" };

const struct share share_none = { .other = OTHER_NONE };
const struct share share_parent_writes = { .other = OTHER_PROCESS };
const struct share share_child_writes = { .other = OTHER_PROCESS,
					  .child_writes = true };
const struct share share_child_exits = { .other = OTHER_PROCESS,
					 .other_leaves = true };

_Static_assert(sizeof(struct page_view) % sizeof(uint64_t) == 0,
	       "page views are read as arrays of 64-bit entries");

/* Shared by the supervisor and every party. */
struct pass_shm {
	struct record rec; /* the pass's: writer 0's, then every writer's */
	struct kvset other_extra; /* the other party's, merged afterwards */
	const struct pass_args *a;
	size_t pages; /* of one view */
	size_t size; /* of this area */
	int nviews; /* one per writer with a page table of its own */
	bool rehearse; /* the writer rehearses the window (rehearse()) */
	bool rerun; /* its rehearsal changed pages: run the pass unrehearsed */
	uint64_t *pm; /* the rehearsal's pagemap: before, then after */
	long rehearsal_faults; /* the faults it took */
	struct page_view pv[];
};

/* The parties' meeting points: READY (other -> writers), DONE (back). */
struct meet {
	int ready[2], done[2];
};

/*
 * The writers of a pass that has several (share.writers), MAP_SHARED.
 * Each sets up and arms its own window (a forked writer) and arrives;
 * writer 0 waits for all, takes the system-wide snapshot, arms and lets
 * them go; each writer that is done says so and spins on a plain load
 * (a thread that slept would leave the mm, and its CPU would no longer be
 * flushed) until writer 0, the last of all, has disarmed and taken the
 * snapshot after.  Harness work stays outside the span.
 */
struct crew {
	int n;
	bool procs; /* forked children, each with its own mm and view */
	int cpus[MAX_WRITERS];
	_Alignas(64) atomic_int arrived;
	_Alignas(64) atomic_int finished;
	_Alignas(64) atomic_int go, done, abort;
	struct vmsnap vb, va;
	uint64_t start_ns, end_ns;
	size_t nb; /* batch means per writer */
	double *means; /* n x nb */
	size_t size;
	struct record rec[]; /* writer k's at k - 1 (writer 0's: the pass's) */
};

struct party {
	struct sc sc;
	struct pass_shm *s;
	struct meet *m;
	struct crew *crew; /* NULL: one writer */
	pid_t *wpid; /* forked writers, watched while the parent waits */
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

static void *shared_area(size_t size)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return m == MAP_FAILED ? NULL : m;
}

static struct pass_shm *shm_alloc(size_t pages, int nviews)
{
	size_t size = sizeof(struct pass_shm) +
		      pages * nviews * sizeof(struct page_view);
	struct pass_shm *s = shared_area(size);

	if (!s)
		return NULL;
	record_init(&s->rec);
	s->size = size;
	s->pages = pages;
	s->nviews = nviews;
	return s;
}

/* The writer's record: the pass's for writer 0. */
static struct record *wrec(struct party *p)
{
	return p->sc.writer ? &p->crew->rec[p->sc.writer - 1] : &p->s->rec;
}

/* The writer's page view: its own when it has its own page table. */
static struct page_view *wview(struct party *p)
{
	return p->s->pv + (p->crew && p->crew->procs ?
				   (size_t)p->sc.writer * p->s->pages :
				   0);
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

/* One byte per writer: READY to each, DONE from each. */
static void send_n(int fd, char c, int n)
{
	while (n-- > 0)
		send_byte(fd, c);
}

static int recv_n(int fd, int n)
{
	int bad = 0;

	while (n-- > 0)
		bad |= recv_byte(fd);
	return bad;
}

/* ---- several writers ---- */

/* The writers that meet the other party: processes, not threads. */
static int writer_procs(const struct sc *sc)
{
	return sc->ops->share->child_writes ? sc->nwriters : 1;
}

/* A failed writer lets the others go (the status it set stays first). */
static void crew_abort(struct crew *c)
{
	if (c)
		atomic_store_explicit(&c->abort, 1, memory_order_release);
}

/* A forked writer that has exited, not reaped: killed or failed? */
static bool writer_died(pid_t pid)
{
	siginfo_t si = { 0 };

	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) ||
	    si.si_pid != pid)
		return false;
	return si.si_code != CLD_EXITED || si.si_status;
}

/*
 * DONE from each forked writer, watching them: one that dies before it
 * says so (a signal, the OOM killer) lets the others go, and the pass
 * fails instead of spinning to its time limit.
 */
static int recv_done(struct party *p, int n)
{
	struct pollfd *pf;
	int got = 0, gone = 0, bad = 0, k;
	char c;

	if (!p->wpid)
		return recv_n(p->m->done[0], n);
	pf = xcalloc(n + 1, sizeof(*pf));
	pf[0] = (struct pollfd){ .fd = p->m->done[0], .events = POLLIN };
	for (k = 0; k < n; k++)
		pf[k + 1] = (struct pollfd){ .fd = (int)syscall(SYS_pidfd_open,
								p->wpid[k], 0),
					     .events = POLLIN };
	while (got + gone < n && !bad) {
		if (poll(pf, n + 1, -1) < 0)
			continue; /* EINTR */
		if (pf[0].revents) {
			bad = read(pf[0].fd, &c, 1) != 1;
			bad |= !bad && c != 'k';
			got++;
		}
		for (k = 0; k < n; k++) {
			if (pf[k + 1].fd < 0 || !pf[k + 1].revents)
				continue;
			close(pf[k + 1].fd);
			pf[k + 1].fd = -1;
			if (writer_died(p->wpid[k])) {
				crew_abort(p->crew);
				fail(p->s, "writer %d died in the window", k);
				gone++;
			}
		}
	}
	for (k = 0; k < n; k++)
		if (pf[k + 1].fd >= 0)
			close(pf[k + 1].fd);
	free(pf);
	return bad || gone ? -1 : 0;
}

/* Plain loads, no PAUSE, no yield: the CPU keeps the mm loaded. */
static int crew_wait(struct crew *c, atomic_int *v, int want)
{
	while (atomic_load_explicit(v, memory_order_acquire) < want)
		if (atomic_load_explicit(&c->abort, memory_order_acquire))
			return -1;
	return 0;
}

/*
 * The window's edges, writer 0: every other writer armed, the snapshot
 * before, arm, go; and every other writer done, disarm, the snapshot
 * after, done.  The others: arrive and wait; finish and wait.
 */
static int window_start(struct party *p, struct window *w)
{
	struct crew *c = p->crew;

	if (c && p->sc.writer) {
		atomic_fetch_add(&c->arrived, 1);
		return crew_wait(c, &c->go, 1);
	}
	if (c && crew_wait(c, &c->arrived, c->n - 1))
		return -1;
	if (c)
		vmsnap_take(&c->vb);
	if (w)
		window_arm(w);
	if (c) {
		c->start_ns = mono_ns();
		atomic_store_explicit(&c->go, 1, memory_order_release);
	}
	return 0;
}

static int window_end(struct party *p, struct window *w)
{
	struct crew *c = p->crew;
	int ret = 0;

	if (c && p->sc.writer) {
		atomic_fetch_add(&c->finished, 1);
		ret = crew_wait(c, &c->done, 1);
	} else if (c) {
		ret = crew_wait(c, &c->finished, c->n - 1);
		c->end_ns = mono_ns();
	}
	if (w)
		window_disarm(w);
	if (c && !p->sc.writer) {
		vmsnap_take(&c->va);
		atomic_store_explicit(&c->done, 1, memory_order_release);
	}
	return ret;
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
	buf += sc->first * PAGE_SZ + sc->byte;
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
		if (w)
			window_pause(w);
		after_ops(sc, i, i + 1);
		if (w)
			window_resume(w);
	}
	r->window_ns = clk_ns(ticks);
}

/* Thread writers share the view: a page is written if any writes it. */
static bool page_written(struct party *p, size_t i)
{
	struct sc *sc = &p->sc;
	int slices = p->crew && !p->crew->procs ? p->crew->n : 1;

	return sc->ops->writes ? sc->ops->writes(sc, i) : i < sc->nops * slices;
}

/* The writer's side of the page view, before the window. */
static int view_before(struct party *p)
{
	struct page_view *pv = wview(p);
	struct pass_shm *s = p->s;
	struct sc *sc = &p->sc;
	size_t i;
	int ret;

	ret = pagemap_snap(sc->buf, s->pages, &pv->w_before, &pv->w_flags,
			   PV_STRIDE);
	if (ret)
		return fail(s, "pagemap/kpageflags of the writer: %s",
			    strerror(-ret));
	if (pagemap_hidden(&pv->w_before, s->pages, PV_STRIDE))
		return fail(
			s,
			"pagemap shows PFN 0 for present pages: reading PFNs needs CAP_SYS_ADMIN");
	for (i = 0; i < s->pages; i++) {
		pv[i].expect = sc->ops->expect_page ?
				       sc->ops->expect_page(sc, i, &pv[i]) :
				       sc->ops->expect;
		pv[i].written = page_written(p, i);
	}
	return 0;
}

/*
 * What the window allocates comes from memory the host may have taken
 * back: free blocks of order >= page_reporting_order are reported to it
 * about 2 s after they form, and a THP from one faults in cold (6-8 ms
 * instead of 0.2 ms, measured).  Fault in what the window will allocate
 * (the last counting pass's allocations, in the backing's page size)
 * right before the window, and free it for the window to take.  No more:
 * memory freed and left free just before a window perturbs it (a write
 * that takes no fault: 28 ns -> 3-5 us after 1 GiB was freed, measured),
 * so a window that allocates nothing gets no warming.  A hugetlb pool is
 * not buddy memory: never reported.
 */
static size_t warm_len(const struct sc *sc, size_t unit)
{
	size_t len =
		sc->warm_pages == WARM_ALL ? sc->len : sc->warm_pages * PAGE_SZ;

	len = (len + unit - 1) / unit * unit;
	return len < sc->len ? len : sc->len;
}

/* The warming, said in the record's screen (warm_kb: 0 when none). */
static void warm_window(struct sc *sc, struct record *r)
{
	enum warm warm = sc->bk->ops->warm;
	struct sc tmp = *sc;
	char why[8];
	size_t i;

	tmp.len = warm == WARM_NONE ?
			  0 :
			  warm_len(sc, warm == WARM_HUGE ? PMD_SZ : PAGE_SZ);
	tmp.pages = tmp.len / PAGE_SZ;
	if (tmp.len &&
	    map_anon(&tmp, warm == WARM_HUGE ? MADV_HUGEPAGE : MADV_NOHUGEPAGE,
		     why, sizeof(why)))
		tmp.len = 0;
	if (tmp.len && madvise(tmp.buf, tmp.len, MADV_POPULATE_WRITE))
		for (i = 0; i < tmp.len; i += PAGE_SZ)
			tmp.buf[i] = 1;
	if (tmp.len)
		munmap(tmp.buf, tmp.len);
	kv_set(&r->screen, "warm_kb", (int64_t)(tmp.len / 1024));
}

/*
 * Map every page of this program's code and that of its libraries: the
 * window runs the timing loop for the first time, and a fault on its
 * text would count as one of the window's (same_faults()).
 */
static void map_code(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	char perm[5], line[512];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) == 3 &&
		    perm[2] == 'x' && strchr(line, '/'))
			madvise((void *)lo, hi - lo, MADV_POPULATE_READ);
	if (f)
		fclose(f);
}

/*
 * The rehearsal's pagemap snapshots and its smaps buffer, set up before
 * the region: what the writer allocates between populate and the window
 * goes through its LRU batch and pushes the region's last pages out of it
 * (under v5.9's rule, the ones a write would copy).  MAP_SHARED: a fork
 * of the other party must not make them COW.
 */
static int rehearsal_setup(struct pass_shm *s, struct sc *sc)
{
	size_t len = 2 * sc->pages * sizeof(*s->pm);

	if (!s->rehearse)
		return 0;
	prefault_stack();
	map_code();
	/* the record the window fills (fork mapped none of it here) */
	madvise(s, s->size, MADV_POPULATE_WRITE);
	s->pm = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (s->pm == MAP_FAILED)
		return fail(s, "mmap of the rehearsal's pagemap: %s",
			    strerror(errno));
	smaps_anon_huge_kb(s->pm); /* its buffer, reused later */
	return 0;
}

/* Minor and major faults this thread took. */
static long thread_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

/*
 * Pages the rehearsal changed: a PFN, its presence or the soft-dirty or
 * uffd-wp bit changed (a copy, a swap-in, a migration), or a huge mapping
 * went (a split; 1 for it).  0, or that, said in out; -errno.
 */
static long moved_pages(struct sc *sc, struct pass_shm *s, int64_t kb,
			char *out, int len)
{
	const uint64_t mask = PM_PFN(~0ULL) | PM_PRESENT | PM_SWAP |
			      PM_SOFT_DIRTY | PM_UFFD_WP;
	const uint64_t *before = s->pm, *after = s->pm + sc->pages;
	int64_t now_kb;
	long moved = 0;
	size_t i;
	int ret;

	ret = pagemap_snap(sc->buf, sc->pages, s->pm + sc->pages, NULL, 1);
	if (ret)
		return ret;
	for (i = 0; i < sc->pages; i++)
		moved += !!((after[i] ^ before[i]) & mask);
	now_kb = smaps_anon_huge_kb(sc->buf);
	if (now_kb < 0)
		return -EIO;
	if (moved)
		snprintf(
			out, len,
			"no: the rehearsal moved %ld page(s) (a copy, swap-in or migration)",
			moved);
	else if (now_kb != kb)
		snprintf(
			out, len,
			"no: the rehearsal split a huge mapping (AnonHugePages %lld -> %lld kB)",
			(long long)kb, (long long)now_kb);
	return moved ? moved : now_kb != kb;
}

/*
 * COWBENCH_TEST_FAULT: a rehearsal that moves every page (its writes
 * first-touch a dropped region) or only splits a huge mapping (a VMA
 * split and merge back), as a kernel that copies or splits would; or
 * pages that are no longer exclusive although no one else maps them (a
 * child forked and gone), so the rehearsal's faults reuse them, make them
 * exclusive, and the window after it takes none.
 */
static void rehearsal_fault(struct sc *sc)
{
	pid_t pid;

	if (test_fault("rehearsal-unshares") && (pid = fork()) >= 0) {
		if (!pid)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	if (test_fault("rehearsal-moves"))
		madvise(sc->buf, sc->len, MADV_DONTNEED);
	if (test_fault("rehearsal-splits") && sc->len > PAGE_SZ) {
		mprotect(sc->buf + PAGE_SZ, PAGE_SZ, PROT_READ);
		mprotect(sc->buf + PAGE_SZ, PAGE_SZ, PROT_READ | PROT_WRITE);
	}
}

/*
 * The writer's untimed round of the window, in a pass that takes time, for
 * a window that may leave the pages as it found them (.rehearse): the
 * first writes after populate are slow on this hypervisor, and the
 * paper's loop discards its first iterations.  Kept only when it changed
 * no page and the window then takes the faults it took (same_faults()),
 * so the window timed is the one the counting pass counts; otherwise (a
 * policy that copies, pages an LRU batch holds, a reuse that made a page
 * exclusive) the pass runs again unrehearsed (harness_run_pass()).
 */
static int rehearse(struct sc *sc, struct pass_shm *s, enum role r, char *why,
		    int len)
{
	char *said = s->rec.rehearsed;
	int n = sizeof(s->rec.rehearsed);
	int64_t kb;
	long ret;

	if (!s->rehearse || r != ROLE_WRITER)
		return 0;
	ret = pagemap_snap(sc->buf, sc->pages, s->pm, NULL, 1);
	kb = ret ? -1 : smaps_anon_huge_kb(sc->buf);
	if (kb < 0 || pagemap_hidden(s->pm, sc->pages, 1)) {
		snprintf(
			said, n, "no: %s",
			kb < 0 ?
				"pagemap or smaps unreadable" :
				"PFNs hidden (no CAP_SYS_ADMIN): a rehearsal that moved pages could not be told");
		s->rehearse = false;
		return 0;
	}
	if (sanitized) {
		snprintf(
			said, n,
			"no: a sanitizer build (its shadow memory faults in the window: the rehearsal cannot be checked)");
		s->rehearse = false;
		return 0;
	}
	ret = sc->ops->prepare ? sc->ops->prepare(sc, r, why, len) : 0;
	if (ret)
		return ret;
	rehearsal_fault(sc);
	s->rehearsal_faults = thread_faults();
	run_ops(sc, 0, sc->nops);
	after_ops(sc, 0, sc->nops);
	s->rehearsal_faults = thread_faults() - s->rehearsal_faults;
	ret = moved_pages(sc, s, kb, said, n);
	if (ret < 0) {
		snprintf(why, len, "pagemap after the rehearsal: %s",
			 strerror(-ret));
		return -1;
	}
	if (ret) {
		s->rerun = true;
		snprintf(why, len, "%s", said);
		return 1;
	}
	snprintf(said, n, "yes");
	sc->warm_pages = 0; /* the window allocates nothing: nothing to warm */
	return 0;
}

/*
 * A rehearsed window that took other faults than its rehearsal ran in
 * another state than the first window (a reuse fault that made a page
 * exclusive, so the window took none): run the pass again unrehearsed.
 */
static void same_faults(struct pass_shm *s, long faults)
{
	if (faults == s->rehearsal_faults)
		return;
	snprintf(s->rec.rehearsed, sizeof(s->rec.rehearsed),
		 "no: the rehearsal took %ld fault(s), the window after it %ld",
		 s->rehearsal_faults, faults);
	s->rerun = true;
}

/* The window: with several writers, released and ended together. */
static int run_window(struct party *p, struct window *w, double *mean)
{
	struct record *r = wrec(p);
	struct sc *sc = &p->sc;
	long faults;

	if (p->crew && p->sc.writer && w)
		window_arm(w); /* a forked writer's own, before it arrives */
	if (window_start(p, w)) {
		if (w)
			window_disarm(w);
		return -1;
	}
	faults = p->s->rehearse ? thread_faults() : 0;
	if (sc->pass == PASS_COUNTING)
		count_ops(sc, w, r);
	else if (sc->pass == PASS_TIMING)
		time_batched(sc, r, mean);
	else
		time_each(sc, r);
	if (p->s->rehearse)
		same_faults(p->s, thread_faults() - faults);
	/* after the count: qsort may allocate */
	if (sc->pass == PASS_TIMING && r->batches)
		r->t_op_ns = median_sort(mean, r->batches);
	return window_end(p, w);
}

static int count(struct party *p)
{
	struct page_view *pv = wview(p);
	struct pass_shm *s = p->s;
	struct sc *sc = &p->sc;
	struct window w;
	int ret;

	warm_window(sc, wrec(p));
	window_open(&w, true, s->pages ? sc->buf : NULL, s->pages);
	if (s->pages && view_before(p)) {
		window_close(&w);
		return -1;
	}
	ret = run_window(p, &w, NULL);
	if (ret) {
		window_close(&w);
		return fail(s, "a writer failed in the window");
	}
	ret = s->pages ? pagemap_snap(sc->buf, s->pages, &pv->w_after,
				      &pv->w_flags_after, PV_STRIDE) :
			 0;
	window_fill(&w, wrec(p), sc->bk->fault_pages, &pv->faulted,
		    sizeof(struct page_view));
	window_close(&w);
	if (ret)
		return fail(s, "pagemap after the writes: %s", strerror(-ret));
	wrec(p)->c.has_pages = s->pages > 0;
	return 0;
}

/* The batch means: the crew's, where the pass takes the median of all. */
static double *means_of(struct party *p, size_t nb)
{
	double *mean = p->crew ? p->crew->means + p->sc.writer * p->crew->nb :
				 xcalloc(nb, sizeof(*mean));

	/* touched now (not zeros: a memset(0) after calloc may be elided) */
	memset(mean, 0xff, nb * sizeof(*mean));
	return mean;
}

static int measure(struct party *p)
{
	struct sc *sc = &p->sc;
	struct window w;
	double *mean;
	int ret;

	prefault_stack();
	wrec(p)->ops = sc->nops;
	if (sc->pass == PASS_COUNTING)
		return count(p);
	mean = means_of(p, nbatches(sc) + 1);
	warm_window(sc, wrec(p));
	window_open(&w, false, NULL, 0);
	ret = run_window(p, &w, mean);
	window_fill(&w, wrec(p), 1, NULL, 0);
	if (!p->crew)
		free(mean);
	return ret ? fail(p->s, "a writer failed in the window") : 0;
}

/*
 * A thread writer besides the first: no window of its own (the first
 * writer's counts every thread of the mm), its ops timed into its record.
 */
static void *sibling_main(void *arg)
{
	struct party *p = arg;
	struct sc *sc = &p->sc;
	double *mean = NULL;

	/* set up before it arrives: none of it lands in the window */
	if (topo_pin_thread(p->crew->cpus[sc->writer])) {
		fail(p->s, "cannot pin writer %d to CPU %d", sc->writer,
		     p->crew->cpus[sc->writer]);
		crew_abort(p->crew);
		return NULL;
	}
	prefault_stack();
	wrec(p)->ops = sc->nops;
	if (sc->pass != PASS_COUNTING)
		mean = means_of(p, nbatches(sc) + 1);
	if (run_window(p, NULL, mean))
		crew_abort(p->crew);
	return NULL;
}

/* ---- the parties ---- */

/*
 * The default observer: a forked other party reads each page, for each
 * writer's view the byte that writer writes.
 */
void observe_reads(struct sc *sc, struct page_view *pv, int nviews)
{
	volatile char *buf = sc->buf;
	size_t i;
	int k;

	for (k = 0; k < nviews; k++)
		for (i = 0; i < sc->pages; i++)
			pv[k * sc->pages + i].other_saw =
				buf[i * PAGE_SZ + k] == (char)WRITE_BYTE;
}

static int observe(struct party *p)
{
	struct sc *sc = &p->sc;
	struct pass_shm *s = p->s;
	bool counting = sc->pass == PASS_COUNTING;
	struct page_view *pv = sc->role == ROLE_WRITER ? wview(p) : s->pv;
	char why[200] = "";
	int ret = 0;

	if (counting && sc->ops->observe)
		ret = sc->ops->observe(sc, sc->role, pv, why, sizeof(why));
	if (ret < 0)
		return fail(s, "the %s could not observe: %s",
			    sc->role == ROLE_WRITER ? "writer" : "other party",
			    why);
	if (ret > 0) /* a precondition seen only now did not hold */
		return hook_result(s, ret, why);
	if (counting && !sc->ops->observe && sc->role == ROLE_OTHER &&
	    sc->ops->share->other == OTHER_PROCESS && s->pages)
		observe_reads(sc, s->pv, s->nviews);
	return 0;
}

/*
 * The other mapper's PFNs (a forked process has its own page table), into
 * field (o_before or o_after) of every writer's view.
 */
static int other_snap(struct sc *sc, struct pass_shm *s, size_t field)
{
	uint64_t *dst = (uint64_t *)((char *)s->pv + field);
	size_t i, k;
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
	for (k = 1; k < (size_t)s->nviews; k++)
		for (i = 0; i < s->pages; i++)
			dst[(k * s->pages + i) * PV_STRIDE] =
				dst[i * PV_STRIDE];
	return 0;
}

/*
 * The other party only holds its view.  khugepaged must not collapse the
 * pages fork gave it (a pinned THP's copies) under the window: both PFNs
 * would change, which the classifier rightly calls a migration, not a COW.
 */
static int hold_still(struct sc *sc, enum role r, char *why, int len)
{
	/* ENOMEM: a hole (MADV_DONTFORK'ed), the mapped rest is done */
	if (r != ROLE_OTHER || !(sc->bk->ops->kind & BK_ANON) ||
	    !madvise(sc->buf, sc->len, MADV_NOHUGEPAGE) || errno == ENOMEM)
		return 0;
	snprintf(why, len, "the other party's madvise(MADV_NOHUGEPAGE): %s",
		 strerror(errno));
	return -1;
}

/* The backing's hook after the share, then the scenario's, for a role. */
static int share_hooks(struct sc *sc, struct pass_shm *s, enum role r)
{
	const struct backing_ops *bk = sc->bk->ops;
	char why[200] = "";
	int ret = hold_still(sc, r, why, sizeof(why));

	if (!ret && bk->after_share)
		ret = bk->after_share(sc, r, why, sizeof(why));
	if (!ret)
		ret = rehearse(sc, s, r, why, sizeof(why));

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
	    sc->ops->populate == POP_NONE || sc->ops->map ||
	    sc->ops->share_reshapes)
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
		ret = other_snap(sc, s, offsetof(struct page_view, o_before));
	send_n(p->m->ready[1], ret ? 'e' : 'k', writer_procs(sc));
	if (ret || sc->ops->share->other_leaves)
		goto out;
	if (recv_done(p, writer_procs(sc))) {
		ret = -1;
		goto out;
	}
	/* after its reads: a swapped-out page it read is the swap-cache folio */
	ret = observe(p);
	if (!ret)
		ret = other_snap(sc, s, offsetof(struct page_view, o_after));
	if (!ret && sc->pass == PASS_COUNTING && sc->bk->ops->extra &&
	    sc->ops->share->other == OTHER_PROCESS)
		sc->bk->ops->extra(sc, ROLE_OTHER, &s->other_extra);
out:
	if (sc->ops->cleanup)
		sc->ops->cleanup(sc, ROLE_OTHER);
	return ret;
}

/*
 * Thread writers 1..n-1 of the writing process, each with its own sc:
 * how many started (a failure to start one aborts the crew).
 */
static int start_siblings(struct party *p, struct party *sib, pthread_t *t)
{
	int k;

	for (k = 1; p->crew && !p->crew->procs && k < p->crew->n; k++) {
		sib[k] = *p;
		sib[k].sc.writer = k;
		sib[k].sc.first = k * p->sc.nops;
		if (pthread_create(&t[k], NULL, sibling_main, &sib[k])) {
			crew_abort(p->crew);
			fail(p->s, "pthread_create: writer %d", k);
			break;
		}
	}
	return k;
}

/* The window, with any sibling threads around it. */
static int writer_window(struct party *p)
{
	int n = p->crew ? p->crew->n : 1, ret, k, started;
	struct party *sib = xcalloc(n, sizeof(*sib));
	pthread_t *t = xcalloc(n, sizeof(*t));

	started = start_siblings(p, sib, t);
	ret = started < n && p->crew && !p->crew->procs ? -1 : measure(p);
	if (ret)
		crew_abort(p->crew);
	for (k = 1; k < started; k++)
		pthread_join(t[k], NULL);
	free(sib);
	free(t);
	return ret;
}

static void writer_done(struct party *p, char c)
{
	struct sc *sc = &p->sc;

	if (p->m)
		send_byte(p->m->done[1], c);
	if (c != 'k')
		crew_abort(p->crew);
	if (sc->ops->cleanup)
		sc->ops->cleanup(sc, ROLE_WRITER);
}

static int writer_main(struct party *p)
{
	const struct backing_ops *bk = p->sc.bk->ops;
	struct sc *sc = &p->sc;
	struct pass_shm *s = p->s;
	char why[200] = "";
	int ret;

	sc->role = ROLE_WRITER;
	if (p->m && recv_byte(p->m->ready[0])) {
		crew_abort(p->crew);
		return s->rec.status == ST_OK ?
			       fail(s, "the other party failed to prepare") :
			       -1;
	}
	if (reverify(sc, s) || share_hooks(sc, s, ROLE_WRITER) ||
	    writer_window(p)) {
		writer_done(p, 'e');
		return s->rec.status == ST_SKIP ? 0 : -1;
	}
	if (p->m)
		send_byte(p->m->done[1], 'k');
	ret = observe(p);
	if (!ret && sc->ops->populate == POP_NONE && !sc->ops->map &&
	    hook_result(s, bk->verify(sc, why, sizeof(why)), why) < 0)
		ret = -1;
	if (sc->pass == PASS_COUNTING && sc->ops->extra && !sc->writer)
		sc->ops->extra(sc, &s->rec.c.extra);
	if (sc->pass == PASS_COUNTING && bk->extra && !sc->writer)
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

/* Forked writer k: pinned to its CPU, writing byte k of every page. */
static pid_t fork_writer(struct party *p, int k)
{
	pid_t pid = fork_tied();

	if (pid)
		return pid;
	/* the parent's ends: a parent that is gone reads as EOF */
	close(p->m->ready[1]);
	close(p->m->done[0]);
	p->sc.writer = k;
	p->sc.byte = k;
	/* fork copies no page table of a shared area: fault it in now */
	madvise(p->s, p->s->size, MADV_POPULATE_WRITE);
	if (p->crew)
		madvise(p->crew, p->crew->size, MADV_POPULATE_WRITE);
	if (p->crew && topo_pin(p->crew->cpus[k])) {
		fail(p->s, "cannot pin writer %d to CPU %d", k,
		     p->crew->cpus[k]);
		crew_abort(p->crew);
		_exit(1);
	}
	_exit(writer_main(p) ? 1 : 0);
}

/* The forked children write: one per writer, the parent holds. */
static int fork_writers(struct party *p)
{
	int n = p->sc.nwriters, k, ret;
	pid_t *pid = xcalloc(n, sizeof(*pid));
	uint64_t t0 = clk_now();

	for (k = 0; k < n; k++) {
		pid[k] = fork_writer(p, k);
		if (pid[k] < 0)
			break;
	}
	p->sc.fork_ns = (int64_t)clk_ns(clk_now() - t0);
	close(p->m->ready[0]);
	close(p->m->done[1]);
	if (k < n) {
		ret = fail(p->s, "fork: %s", strerror(errno));
		crew_abort(p->crew);
		send_n(p->m->ready[1], 'e', k); /* those forked: go home */
	} else {
		p->wpid = pid;
		ret = other_main(p);
		p->wpid = NULL;
	}
	while (k-- > 0)
		ret |= reap(p->s, pid[k]);
	free(pid);
	return ret ? -1 : 0;
}

static int fork_parties(struct party *p)
{
	uint64_t t0;
	pid_t pid;
	int ret;

	if (p->sc.ops->share->child_writes)
		return fork_writers(p);
	t0 = clk_now();
	pid = fork_tied();
	if (pid < 0)
		return fail(p->s, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(other_main(p) ? 1 : 0);
	p->sc.fork_ns = (int64_t)clk_ns(clk_now() - t0);
	if (p->sc.ops->share->other_leaves) {
		/* it leaves first: the writer starts once it is gone */
		ret = reap(p->s, pid);
		p->m = NULL;
		return ret || p->s->rec.status != ST_OK ? -1 : writer_main(p);
	}
	/* the child's ends, so that a dead child reads as EOF, not a hang */
	close(p->m->ready[1]);
	close(p->m->done[0]);
	ret = writer_main(p);
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

int writers_of(const struct scenario_ops *ops, const struct kvset *params)
{
	const char *w = ops->share ? ops->share->writers : NULL;

	return w ? (int)kv_get(params, w, 1) : 1;
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

/* One write per page; thread writers write a slice each. */
static size_t default_nops(const struct sc *sc)
{
	const struct share *sh = sc->ops->share;

	return sh && !sh->child_writes ? sc->pages / sc->nwriters : sc->pages;
}

/*
 * Several writers: each on a CPU of its own (the first on the writer's,
 * the others in hwloc's order), a skip where there are too few.
 */
static struct crew *crew_alloc(struct party *p)
{
	struct sc *sc = &p->sc;
	int cpus[MAX_WRITERS], n = topo_cpus(cpus, MAX_WRITERS), i, k;
	size_t nb = nbatches(sc) + 1, size;
	struct crew *c;

	if (sc->nwriters > n) {
		p->s->rec.status = ST_SKIP;
		snprintf(p->s->rec.reason, sizeof(p->s->rec.reason),
			 "%s = %d: one CPU per writer, hwloc sees %d",
			 sc->ops->share->writers, sc->nwriters, n);
		return NULL;
	}
	/* thread writers: the counters follow at most MAX_TASKS of them */
	if (!sc->ops->share->child_writes && sc->nwriters > MAX_TASKS - 2) {
		p->s->rec.status = ST_SKIP;
		snprintf(p->s->rec.reason, sizeof(p->s->rec.reason),
			 "%s = %d: the counters follow at most %d threads",
			 sc->ops->share->writers, sc->nwriters, MAX_TASKS - 2);
		return NULL;
	}
	size = sizeof(*c) + (sc->nwriters - 1) * sizeof(struct record);
	size += nb * sc->nwriters * sizeof(double);
	c = shared_area(size);
	if (!c) {
		fail(p->s, "mmap of the writers' area: %s", strerror(errno));
		return NULL;
	}
	c->n = sc->nwriters;
	c->procs = sc->ops->share->child_writes;
	c->size = size;
	c->nb = nb;
	c->means = (double *)&c->rec[c->n - 1];
	c->cpus[0] = sc->writer_cpu;
	for (i = 0, k = 1; i < n && k < c->n; i++)
		if (cpus[i] != sc->writer_cpu)
			c->cpus[k++] = cpus[i];
	for (k = 0; k < c->n - 1; k++)
		record_init(&c->rec[k]);
	return c;
}

/* A sum of counts, unknown (-1) once one of them is. */
static void sum_known(int64_t *sum, int64_t v)
{
	*sum = *sum < 0 || v < 0 ? -1 : *sum + v;
}

/* Per-task counts of each forked writer add up. */
static void add_writer_counts(struct record *r, const struct record *w, int k)
{
	char whose[32];
	int j;

	snprintf(whose, sizeof(whose), "writer %d", k);
	record_take_error(r, w, whose);
	if (w->c.faults < 0 || r->c.faults < 0) {
		if (r->c.faults >= 0)
			memcpy(r->c.faults_skip, w->c.faults_skip,
			       sizeof(r->c.faults_skip));
		r->c.faults = -1;
	} else {
		r->c.faults += w->c.faults;
	}
	sum_known(&r->c.faults_task, w->c.faults_task);
	sum_known(&r->c.faults_min, w->c.faults_min);
	sum_known(&r->c.faults_maj, w->c.faults_maj);
	for (j = 0; j < w->c.tlb_flush.v.n; j++)
		kv_add(&r->c.tlb_flush.v, w->c.tlb_flush.v.kv[j].key,
		       w->c.tlb_flush.v.kv[j].val);
	for (j = 0; j < w->c.tlb_events.v.n; j++)
		kv_add(&r->c.tlb_events.v, w->c.tlb_events.v.kv[j].key,
		       w->c.tlb_events.v.kv[j].val);
}

/* What disturbed the other writers, apart: writers_lost_ns, ... */
static void add_writer_screen(struct record *r, const struct record *w, int k)
{
	char key[48];
	int j;

	for (j = 0; j < w->screen.n; j++) {
		snprintf(key, sizeof(key), "writers_%s", w->screen.kv[j].key);
		kv_add(&r->screen, key, w->screen.kv[j].val);
	}
	if (w->perturbed[0] && !r->perturbed[0])
		snprintf(r->perturbed, sizeof(r->perturbed),
			 "writer %d: %.140s", k, w->perturbed);
}

/* The median of every writer's batch means. */
static double crew_median(const struct crew *c, const struct record *r)
{
	size_t per = (size_t)r->batches / c->n, i, k, m = 0;
	double *all = xcalloc(per * c->n + 1, sizeof(*all)), med;

	for (k = 0; k < (size_t)c->n; k++)
		for (i = 0; i < per; i++)
			all[m++] = c->means[k * c->nb + i];
	med = m ? median_sort(all, m) : 0;
	free(all);
	return med;
}

/*
 * Every writer's results into the pass's record: latency and batches of
 * all, the counts of forked writers summed (a thread's are in the first
 * writer's window already), the system-wide deltas and the wall time of
 * the span from the release to the last writer's end.
 */
static void crew_merge(struct pass_shm *s, struct crew *c)
{
	struct record *r = &s->rec;
	uint64_t span = c->end_ns - c->start_ns;
	int k;

	for (k = 1; k < c->n; k++) {
		const struct record *w = &c->rec[k - 1];

		hist_merge(&r->lat, &w->lat);
		r->has_lat |= w->has_lat;
		r->ops += w->ops;
		r->batches += w->batches;
		r->batches_interrupted += w->batches_interrupted;
		if (c->procs && w->has_counts)
			add_writer_counts(r, w, k);
		if (c->procs)
			add_writer_screen(r, w, k);
	}
	if (r->batches)
		r->t_op_ns = crew_median(c, r);
	window_batches_perturbed(r); /* every writer's batches now */
	if (!c->done)
		return;
	r->window_ns = (double)span;
	if (r->has_counts) {
		r->c.vmstat.n = 0;
		vmsnap_delta(&c->vb, &c->va, &r->c.vmstat,
			     &r->c.tlb_ipis_received);
	}
	if (!r->perturbed[0])
		vmsnap_perturbed(&c->vb, &c->va, span, r->perturbed,
				 sizeof(r->perturbed));
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
			   .workdir = a->workdir,
			   .warm_pages = a->warm_pages };
	sc->pages = region_pages(a->ops, a->params);
	sc->len = sc->pages * PAGE_SZ;
	sc->nwriters = writers_of(a->ops, a->params);
	sc->nops = a->ops->nops ? a->ops->nops(sc) : default_nops(sc);
	if (topo_pin(a->writer_cpu))
		return fail(s, "cannot pin to CPU %d", a->writer_cpu) ? 1 : 0;
	test_pass_knob(s);
	window_blocking(a->ops->blocks);
	if (a->ops->drive)
		return drive(&p);
	if (sc->nwriters > 1 && !(p.crew = crew_alloc(&p)))
		return s->rec.status == ST_SKIP ? 0 : 1;
	warm_up(sc->len);
	if (rehearsal_setup(s, sc) || build_region(&p) || run_parties(&p))
		return s->rec.status == ST_SKIP ? 0 : 1;
	if (p.crew) {
		crew_merge(s, p.crew);
		munmap(p.crew, p.crew->size);
	}
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
	for (i = 0; i < s->pages * s->nviews; i++)
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

/*
 * One attempt at the pass; unrehearsed: why its writer must not rehearse
 * (NULL: it does if the scenario asks).  *again: the rehearsal changed
 * pages or faults, why in again_why.
 */
static int attempt(const struct pass_args *a, struct record *rec,
		   const char *unrehearsed, bool *again, char *again_why)
{
	size_t pages = a->ops->no_pagemap || a->ops->drive ||
				       a->pass != PASS_COUNTING ?
			       0 :
			       region_pages(a->ops, a->params);
	int nviews = a->ops->share && a->ops->share->child_writes ?
			     writers_of(a->ops, a->params) :
			     1;
	struct pass_shm *s = shm_alloc(pages, nviews);
	struct sv_result res;
	int i;

	if (!s) {
		rec->status = ST_ERROR;
		snprintf(rec->reason, sizeof(rec->reason),
			 "mmap of the result area: %s", strerror(errno));
		return 0;
	}
	s->a = a;
	/* one writer: its page table and its faults are the window's */
	s->rehearse = a->ops->rehearse && a->pass != PASS_COUNTING &&
		      writers_of(a->ops, a->params) == 1 && !unrehearsed;
	if (unrehearsed)
		snprintf(s->rec.rehearsed, sizeof(s->rec.rehearsed), "%s",
			 unrehearsed);
	supervise(pass_main, s, a->timeout_s, &res);
	end_reason(&s->rec, &res, a->timeout_s);
	for (i = 0; i < s->other_extra.n; i++)
		kv_set(&s->rec.c.extra, s->other_extra.kv[i].key,
		       s->other_extra.kv[i].val);
	classify_pages(s);
	*rec = s->rec;
	/* a pass that then failed is recorded as it failed */
	*again = s->rerun && res.end == SV_EXITED && WIFEXITED(res.status) &&
		 !WEXITSTATUS(res.status);
	snprintf(again_why, sizeof(rec->rehearsed), "%s", s->rec.rehearsed);
	munmap(s, s->size);
	return res.end == SV_SIGNAL ? res.sig : 0;
}

int harness_run_pass(const struct pass_args *a, struct record *rec)
{
	char why[sizeof(rec->rehearsed)], none[sizeof(rec->rehearsed)];
	bool again;
	int sig = attempt(a, rec, NULL, &again, why);

	/* the rehearsal copied or split: time what the counting pass counts */
	if (again)
		sig = attempt(a, rec, why, &again, none);
	return sig;
}
