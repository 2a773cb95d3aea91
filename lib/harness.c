// SPDX-License-Identifier: GPL-2.0
/*
 * The harness: one pass of one scenario on one backing, in a supervised
 * process group.  It builds the sharing state the scenario describes, lets
 * the writer time (timing, sampled) or count (counting) its ops, lets the
 * other party observe, and classifies every written page (DESIGN.md §4).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "counters.h"
#include "pagemap.h"
#include "scenario.h"
#include "topo.h"
#include "vmstat.h"

const char *const pass_names[PASS_NR] = { "timing", "sampled", "counting" };

/* Shared between the supervisor, the pass process and its fork partner. */
struct pass_shm {
	struct record rec;
	size_t pages;
	uint64_t *pm_before, *pm_after, *fl_before;
	uint8_t *saw;
	size_t size;
};

#define REASON(r, ...) snprintf((r)->reason, sizeof((r)->reason), __VA_ARGS__)

/* Set the reason of a failed pass; returns -1 for 'return fail(...)'. */
static int __printf(2, 3) fail(struct record *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return -1;
}

static struct pass_shm *shm_alloc(size_t pages)
{
	size_t size = sizeof(struct pass_shm) + pages * (3 * 8 + 1);
	struct pass_shm *s = mmap(NULL, size, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *p;

	if (s == MAP_FAILED)
		return NULL;
	record_init(&s->rec);
	s->size = size;
	s->pages = pages;
	p = (char *)(s + 1);
	s->pm_before = (uint64_t *)p;
	s->pm_after = s->pm_before + pages;
	s->fl_before = s->pm_after + pages;
	s->saw = (uint8_t *)(s->fl_before + pages);
	return s;
}

/* Writes after fork would COW the writer's own stack inside the window. */
static void __attribute__((noinline)) prefault_stack(void)
{
	volatile char pad[128 << 10];
	size_t i;

	for (i = 0; i < sizeof(pad); i += PAGE_SZ)
		pad[i] = 0;
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

/* Headline figure: one ordered timestamp pair per batch of ops. */
static void time_batched(struct sc *sc, struct record *r)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < sc->nops; i += sc->batch) {
		size_t end =
			i + sc->batch < sc->nops ? i + sc->batch : sc->nops;
		uint64_t t0 = clk_now(), t1;

		run_ops(sc, i, end);
		t1 = clk_now();
		after_ops(sc, i, end);
		total += t1 - t0;
		hist_record_n(&r->lat,
			      (uint64_t)(clk_ns(t1 - t0) / (end - i) + 0.5),
			      end - i);
	}
	r->overhead_ns = cb_clock.pair_ns / sc->batch;
	r->window_ns = clk_ns(total);
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
}

static void fill_counts(struct record *r, const struct counts *k)
{
	r->c.faults = k->faults;
	r->c.faults_min = k->faults_min;
	r->c.faults_maj = k->faults_maj;
	r->c.tlb_flush = k->tlb;
	r->c.hw = k->hw;
	if (k->tlb_skip)
		snprintf(r->c.tlb_skip, sizeof(r->c.tlb_skip), "%s",
			 k->tlb_skip);
	if (k->hw_skip)
		snprintf(r->c.hw_skip, sizeof(r->c.hw_skip), "%s", k->hw_skip);
}

/* Ops with untimed work after them pause the counters around it. */
static void count_ops(struct sc *sc, struct counters *c, uint64_t *ticks)
{
	size_t i;
	uint64_t t0;

	if (!sc->ops->after_op) {
		t0 = clk_now();
		run_ops(sc, 0, sc->nops);
		*ticks = clk_now() - t0;
		return;
	}
	for (i = 0; i < sc->nops; i++) {
		t0 = clk_now();
		run_ops(sc, i, i + 1);
		*ticks += clk_now() - t0;
		counters_disable(c);
		after_ops(sc, i, i + 1);
		counters_enable(c);
	}
}

static int count(struct sc *sc, struct pass_shm *s)
{
	struct record *r = &s->rec;
	struct vmsnap before, after;
	struct counters c;
	struct counts k;
	uint64_t ticks = 0;
	int pm = -1;

	if (!sc->ops->no_pagemap) {
		pm = pagemap_open();
		if (pm < 0)
			return fail(r, "/proc/self/pagemap: %s", strerror(-pm));
		memset(s->pm_after, 0, s->pages * 8);
		if (pagemap_read(pm, sc->buf, s->pages, s->pm_before) ||
		    kpageflags_read(s->pm_before, s->pages, s->fl_before))
			return fail(
				r,
				"pagemap/kpageflags unreadable (root needed)");
	}
	if (counters_open(&c, sc->writer_cpu))
		return fail(r, "perf_event_open: %s", strerror(errno));
	vmsnap_take(&before);
	counters_enable(&c);
	count_ops(sc, &c, &ticks);
	counters_disable(&c);
	if (pm >= 0 && pagemap_read(pm, sc->buf, s->pages, s->pm_after))
		return fail(r, "pagemap unreadable after the writes");
	vmsnap_take(&after);
	counters_read(&c, &k);
	counters_close(&c);
	if (pm >= 0)
		close(pm);
	fill_counts(r, &k);
	r->window_ns = clk_ns(ticks);
	vmsnap_delta(&before, &after, &r->c.vmstat, &r->c.tlb_ipis_received);
	vmsnap_perturbed(&before, &after, r->window_ns, r->perturbed,
			 sizeof(r->perturbed));
	kv_set(&r->c.extra, "anon_huge_kb", smaps_anon_huge_kb(sc->buf));
	if (sc->ops->extra)
		sc->ops->extra(sc, &r->c.extra);
	r->has_counts = true;
	return 0;
}

static int verify(struct sc *sc, struct record *r)
{
	char why[200] = "";
	int (*fn)(struct sc *, char *, int) = sc->bk->verify;

	if (sc->ops->map)
		return 0; /* a scenario that maps its own memory checks it there */
	if (fn(sc, why, sizeof(why))) {
		r->status = ST_SKIP;
		REASON(r, "%s", why);
		return -1;
	}
	return 0;
}

static int measure(struct sc *sc, struct pass_shm *s)
{
	struct record *r = &s->rec;

	prefault_stack();
	r->ops = sc->nops;
	switch (sc->pass) {
	case PASS_TIMING:
		r->has_lat = true;
		time_batched(sc, r);
		break;
	case PASS_SAMPLED:
		r->has_lat = true;
		time_each(sc, r);
		break;
	default:
		if (count(sc, s))
			return -1;
		break;
	}
	if (sc->ops->populate == POP_NONE && verify(sc, r))
		return 1;
	if (sc->pass == PASS_COUNTING && sc->ops->observe)
		sc->ops->observe(sc, s->saw);
	return 0;
}

/* The other party's view: which pages show the writer's byte. */
static void observe_view(struct sc *sc, struct pass_shm *s)
{
	volatile char *buf = sc->buf;
	size_t i;

	if (sc->pass != PASS_COUNTING || sc->ops->no_pagemap)
		return;
	for (i = 0; i < s->pages; i++)
		s->saw[i] = buf[i * PAGE_SZ] == (char)WRITE_BYTE;
	kv_set(&s->rec.c.extra, "observer_anon_huge_kb",
	       smaps_anon_huge_kb(sc->buf));
}

static pid_t fork_on(int cpu)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		topo_pin(cpu);
	}
	return pid;
}

static int reap(pid_t pid, struct record *r)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return fail(r, "waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) <= 1)
		return WEXITSTATUS(st) ? -1 : 0;
	if (!r->reason[0])
		REASON(r, "fork partner %s %d",
		       WIFSIGNALED(st) ? "killed by signal" : "exited with",
		       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	return -1;
}

static int share_and_measure(struct sc *sc, struct pass_shm *s)
{
	struct record *r = &s->rec;
	int p[2], ret;
	pid_t pid;
	char c = 0;

	switch (sc->ops->share) {
	case SHARE_NONE:
		return measure(sc, s);
	case SHARE_CHILD_EXITED:
		pid = fork_on(sc->other_cpu);
		if (pid == 0)
			_exit(0);
		if (pid < 0 || reap(pid, r))
			return -1;
		return measure(sc, s);
	case SHARE_CHILD_WRITES:
		pid = fork_on(sc->writer_cpu);
		if (pid == 0)
			_exit(measure(sc, s) < 0 ? 1 : 0);
		topo_pin(sc->other_cpu);
		if (pid < 0 || reap(pid, r))
			return -1;
		observe_view(sc, s);
		return 0;
	case SHARE_PARENT_WRITES:
		if (pipe(p))
			return fail(r, "pipe: %s", strerror(errno));
		pid = fork_on(sc->other_cpu);
		if (pid == 0) {
			close(p[1]);
			if (read(p[0], &c, 1) == 1)
				observe_view(sc, s);
			_exit(0);
		}
		close(p[0]);
		ret = pid < 0 ? -1 : measure(sc, s);
		if (write(p[1], &c, 1) != 1)
			ret = -1;
		close(p[1]);
		return pid < 0 || reap(pid, r) ? -1 : ret;
	}
	return -1;
}

static void populate(struct sc *sc)
{
	volatile char *buf = sc->buf;
	size_t i;
	char sink = 0;

	for (i = 0; i < sc->pages; i++) {
		if (sc->ops->populate == POP_WRITE)
			buf[i * PAGE_SZ] = POP_BYTE;
		else if (sc->ops->populate == POP_READ)
			sink ^= buf[i * PAGE_SZ];
	}
	(void)sink;
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

/* The pass process: returns its exit status. */
static int pass_main(const struct pass_args *a, struct pass_shm *s)
{
	struct record *r = &s->rec;
	struct sc sc = { .ops = a->ops,
			 .bk = a->bk,
			 .params = a->params,
			 .pass = a->pass,
			 .batch = a->batch,
			 .writer_cpu = a->writer_cpu,
			 .other_cpu = a->other_cpu,
			 .workdir = a->workdir };
	char why[200] = "";
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	topo_pin(a->writer_cpu);
	sc.pages = region_pages(a->ops, a->params);
	sc.len = sc.pages * PAGE_SZ;
	sc.nops = a->ops->nops ? a->ops->nops(&sc) : sc.pages;
	if (a->ops->batch)
		sc.batch = a->ops->batch;
	warm_up(sc.len);
	ret = a->ops->map ? a->ops->map(&sc, why, sizeof(why)) :
			    a->bk->map(&sc, why, sizeof(why));
	if (ret) {
		r->status = ret > 0 ? ST_SKIP : ST_ERROR;
		REASON(r, "%s", why);
		return ret > 0 ? 0 : 1;
	}
	populate(&sc);
	if (a->ops->populate != POP_NONE && verify(&sc, r))
		return 0;
	ret = a->ops->init ? a->ops->init(&sc, why, sizeof(why)) : 0;
	if (ret) {
		r->status = ret > 0 ? ST_SKIP : ST_ERROR;
		REASON(r, "%s", why);
		return ret > 0 ? 0 : 1;
	}
	ret = share_and_measure(&sc, s);
	if (a->ops->cleanup)
		a->ops->cleanup(&sc);
	if (ret < 0 && r->status == ST_OK) {
		r->status = ST_ERROR;
		if (!r->reason[0])
			REASON(r, "the pass failed");
	}
	return ret < 0 ? 1 : 0;
}

static void classify_pages(const struct scenario_ops *ops, struct pass_shm *s)
{
	struct tally *t = &s->rec.c.t;
	size_t i;

	if (ops->no_pagemap || s->rec.status != ST_OK || !s->rec.has_counts)
		return;
	for (i = 0; i < s->pages; i++)
		classify_page(pagemap_outcome(s->pm_before[i], s->pm_after[i],
					      s->fl_before[i]),
			      ops->expect, s->saw[i], false, t);
	if (t->unexplained && !s->rec.perturbed[0])
		snprintf(s->rec.perturbed, sizeof(s->rec.perturbed),
			 "%llu page outcome(s) the expectation cannot explain",
			 (unsigned long long)t->unexplained);
}

enum wait_result { W_DONE, W_TIMEOUT, W_SIGNAL };

static enum wait_result supervise(pid_t pid, int timeout_s, int *st, int *sig)
{
	uint64_t deadline = mono_ns() + (uint64_t)timeout_s * 1000000000ULL;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	for (;;) {
		uint64_t now = mono_ns(), left;
		struct timespec ts;
		int s;

		if (waitpid(pid, st, WNOHANG) == pid)
			return W_DONE;
		if (now >= deadline)
			return W_TIMEOUT;
		left = deadline - now;
		ts.tv_sec = left / 1000000000ULL;
		ts.tv_nsec = left % 1000000000ULL;
		s = sigtimedwait(&set, NULL, &ts);
		if (s == SIGINT || s == SIGTERM || s == SIGHUP) {
			*sig = s;
			return W_SIGNAL;
		}
	}
}

/* Kill what is left of the pass's process group and reap it. */
static void kill_group(pid_t pgid)
{
	kill(-pgid, SIGKILL);
	while (waitpid(-pgid, NULL, 0) > 0)
		;
}

static void exit_reason(struct record *r, int st)
{
	if (WIFSIGNALED(st)) {
		r->status = ST_ERROR;
		REASON(r, "pass process killed by signal %d (%s)", WTERMSIG(st),
		       strsignal(WTERMSIG(st)));
	} else if (WEXITSTATUS(st) && r->status == ST_OK) {
		r->status = ST_ERROR;
		REASON(r, "pass process exited with status %d",
		       WEXITSTATUS(st));
	}
}

int harness_run_pass(const struct pass_args *a, struct record *rec)
{
	size_t pages = a->ops->no_pagemap ? 0 : region_pages(a->ops, a->params);
	struct pass_shm *s = shm_alloc(pages);
	int st = 0, sig = 0;
	sigset_t old;
	pid_t pid;

	if (!s) {
		rec->status = ST_ERROR;
		REASON(rec, "mmap of the result area: %s", strerror(errno));
		return 0;
	}
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		sigemptyset(&old);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* not the supervisor's handlers: they restore the knobs */
		for (sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		_exit(pass_main(a, s));
	}
	if (pid > 0)
		setpgid(pid, pid);
	switch (pid < 0 ? W_DONE : supervise(pid, a->timeout_s, &st, &sig)) {
	case W_DONE:
		if (pid < 0) {
			s->rec.status = ST_ERROR;
			REASON(&s->rec, "fork: %s", strerror(errno));
		} else {
			exit_reason(&s->rec, st);
		}
		break;
	case W_TIMEOUT:
		s->rec.status = ST_TIMEOUT;
		REASON(&s->rec, "no result within %d s", a->timeout_s);
		break;
	case W_SIGNAL:
		break;
	}
	if (pid > 0)
		kill_group(pid);
	classify_pages(a->ops, s);
	*rec = s->rec;
	munmap(s, s->size);
	return sig;
}

/* ---- helpers shared by backings and scenarios ---- */

int map_anon(struct sc *sc, int advice, char *why, int len)
{
	size_t span = sc->len + PMD_SZ;
	char *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *al;

	if (p == MAP_FAILED) {
		snprintf(why, len, "mmap %zu bytes: %s", sc->len,
			 strerror(errno));
		return -1;
	}
	/* 2 MiB aligned, whatever the backing: the same layout for both. */
	al = (char *)(((uintptr_t)p + PMD_SZ - 1) & ~(PMD_SZ - 1));
	if (al > p)
		munmap(p, al - p);
	if (p + span > al + sc->len)
		munmap(al + sc->len, p + span - (al + sc->len));
	if (madvise(al, sc->len, advice)) {
		snprintf(why, len, "madvise: %s", strerror(errno));
		return -1;
	}
	sc->buf = al;
	return 0;
}

int64_t smaps_anon_huge_kb(const void *addr)
{
	char *text = slurp("/proc/self/smaps", NULL), *p, *line;
	uintptr_t a = (uintptr_t)addr;
	int64_t kb = -1;
	int in = 0;

	for (p = text; p && *p; p = line) {
		unsigned long lo, hi;

		line = strchr(p, '\n');
		line = line ? line + 1 : NULL;
		if (sscanf(p, "%lx-%lx ", &lo, &hi) == 2) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && !strncmp(p, "AnonHugePages:", 14)) {
			kb = strtoll(p + 14, NULL, 10);
			break;
		}
	}
	free(text);
	return kb;
}
