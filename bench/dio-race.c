// SPDX-License-Identifier: GPL-2.0
/*
 * O_DIRECT against fork(): the races the Copy-on-Pin work (and Andrea
 * Arcangeli's dma_thread test before it) names, each tried K times with
 * the fork placed while the I/O is in flight.  O_DIRECT takes a reference
 * to the user pages for the length of the syscall (FOLL_PIN since the
 * block layer moved to iov_iter_extract_pages() in 6.3, a plain get before):
 *
 * race 0 write-fork: a thread writes the region to a file with O_DIRECT (a
 *   R/O reference for the device); the main thread forks; the parent
 *   writes each page and the child writes a secret into it right after
 *   (the parent's copy first).  The child's secret must never reach the
 *   file.
 * race 1 write-child: fork first; the child writes the region with
 *   O_DIRECT while the parent writes a secret into its own view.  The
 *   parent's post-fork secret must never reach the child's file.
 * race 2 read-fork: a thread reads the file with O_DIRECT into the lower
 *   half of every page; the main thread forks and writes the upper half
 *   of every page.  The read must land in the parent's pages (else the
 *   write fault copied the page away from the DMA: a wrong COW).
 * race 3 read-thread-fork: the same with a third thread forking while the
 *   main thread writes the upper halves: the fork and the write fault
 *   race each other and the read.
 *
 * Since 6.3 O_DIRECT pins (FOLL_PIN), and what keeps these right is not
 * the write fault's reuse rule but fork's copy of a maybe-pinned page
 * (copy_present_page(), 5.8+) and the unshare a R/O pin of a shared page
 * takes (5.19); the policy patch leaves both on for every policy, so here
 * these are regression tests of those two.  With a plain reference (before
 * 6.3) the reuse rule decides: under the map-count rule the child's write
 * after the parent's copy reuses the page the device reads (race 0).
 *
 * A try counts as in flight when the fork (race 1: the secret write)
 * started after the I/O syscall did and ended before it returned, and
 * the write that matters ended before it too (race 0: the child's secret;
 * race 3: the parent's writes had not ended when the fork began); with no
 * such try and nothing leaked the pass is a skip: the race was not run.
 * The syscall's bounds are the pin's from user space: the pages are held
 * for part of it only.  The file is an O_TMPFILE in the run directory on
 * a block-device file system (dio.c's rules; not btrfs for the reads,
 * which would fall back to buffered I/O for 2 KiB pieces).
 *
 * Test fault drop-pin: the I/O goes to or from pages we do not map, the
 * written ones full of the secret: every try fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "bench.h"

#define OLD_BYTE 'A' /* the region before a try */
#define PARENT_BYTE 'B' /* the parent's writes after the fork */
#define SECRET_BYTE 'S' /* must never reach the file */
#define FILE_BYTE 'D' /* the file, for the reads */
#define HALF (PAGE_SZ / 2)
#define SETTLE_NS 20000 /* after the syscall's start: its pages are held */

enum race_kind { WRITE_FORK, WRITE_CHILD, READ_FORK, READ_THREAD_FORK };

/* What the parties share; MAP_SHARED so a child's timestamps are seen. */
struct race_shm {
	volatile int io_seq, io_started, io_done, fork_seq, forking, forked;
	volatile uint64_t io_t0, io_t1, x_t0, x_t1, c_t1, w_t1;
	volatile uint64_t parent_pages; /* race 0: pages the parent wrote */
	volatile int io_err;
};

struct race {
	struct sc *sc;
	enum race_kind kind;
	int fd;
	char *io_buf; /* where the I/O goes: the region, or a ghost */
	char *check; /* aligned scratch for reading the file back */
	struct race_shm *shm;
	pthread_t io, forker;
	volatile int stop;
	uint64_t in_flight, bad_tries, bad_units;
};

static bool reads(const struct race *x)
{
	return x->kind == READ_FORK || x->kind == READ_THREAD_FORK;
}

static void spin_ns(uint64_t ns)
{
	uint64_t t0 = clk_now();

	while (clk_ns(clk_now() - t0) < (double)ns)
		;
}

static void wait_for(volatile int *v, int want)
{
	while (*v != want)
		sched_yield();
}

/* One O_DIRECT syscall over the region, timed in shm. */
static void do_io(struct race *x)
{
	struct race_shm *m = x->shm;
	size_t i, n = x->sc->pages;
	struct iovec *iov;
	ssize_t got;

	m->io_t0 = clk_now();
	m->io_started = 1;
	if (reads(x)) {
		iov = xcalloc(n, sizeof(*iov));
		for (i = 0; i < n; i++)
			iov[i] =
				(struct iovec){ x->io_buf + i * PAGE_SZ, HALF };
		got = preadv(x->fd, iov, (int)n, 0);
		free(iov);
		if (got != (ssize_t)(n * HALF))
			m->io_err = got < 0 ? errno : EIO;
	} else {
		got = pwrite(x->fd, x->io_buf, x->sc->len, 0);
		if (got != (ssize_t)x->sc->len)
			m->io_err = got < 0 ? errno : EIO;
	}
	m->io_t1 = clk_now();
	m->io_done = 1;
}

/* A thread of the pass: act each time the main thread bumps *seq. */
static void serve(struct race *x, volatile int *seq,
		  void (*act)(struct race *x))
{
	int seen = 0;

	while (!x->stop) {
		if (*seq == seen) {
			sched_yield();
			continue;
		}
		seen = *seq;
		act(x);
	}
}

static void *io_thread(void *arg)
{
	struct race *x = arg;

	serve(x, &x->shm->io_seq, do_io);
	return NULL;
}

/*
 * Race 0's child: each page's secret right after the parent's write of
 * it (the parent's copy first, then the child's write to what is left).
 */
static void chase_parent(struct race *x)
{
	size_t i;

	for (i = 0; i < x->sc->pages; i++) {
		while (x->shm->parent_pages <= i)
			;
		memset(x->sc->buf + i * PAGE_SZ, SECRET_BYTE, PAGE_SZ);
	}
	x->shm->c_t1 = clk_now();
}

/* The child of a try: it holds the pages until the parent has written. */
static void child(struct race *x, int rd)
{
	char c;

	if (x->kind == WRITE_CHILD) {
		do_io(x);
		_exit(x->shm->io_err ? 1 : 0);
	}
	if (x->kind == WRITE_FORK) {
		chase_parent(x);
		_exit(0);
	}
	if (read(rd, &c, 1) != 1)
		_exit(1);
	_exit(0);
}

static pid_t fork_timed(struct race *x, int rd)
{
	pid_t pid;

	x->shm->x_t0 = clk_now();
	pid = fork_tied();
	if (pid == 0)
		child(x, rd);
	x->shm->x_t1 = clk_now();
	return pid;
}

/* race 3: fork when asked, from a thread of our own. */
static pid_t forked_pid;
static int forked_rd;

static void fork_act(struct race *x)
{
	x->shm->forking = 1;
	forked_pid = fork_timed(x, forked_rd);
	x->shm->forked = 1;
}

static void *fork_thread(void *arg)
{
	struct race *x = arg;

	serve(x, &x->shm->fork_seq, fork_act);
	return NULL;
}

/* Race 0's parent: every page, counted for the child. */
static void write_pages(struct race *x)
{
	size_t i;

	for (i = 0; i < x->sc->pages; i++) {
		memset(x->sc->buf + i * PAGE_SZ, PARENT_BYTE, PAGE_SZ);
		x->shm->parent_pages = i + 1;
	}
}

static void write_upper_halves(struct sc *sc)
{
	size_t i;

	for (i = 0; i < sc->pages; i++)
		memset(sc->buf + i * PAGE_SZ + HALF, PARENT_BYTE, HALF);
}

/* The parent's side of one try; the child's pid, or -1. */
static pid_t parent_try(struct race *x, int rd)
{
	struct race_shm *m = x->shm;
	pid_t pid;

	if (x->kind == WRITE_CHILD) {
		pid = fork_timed(x, rd);
		wait_for(&m->io_started, 1);
		spin_ns(SETTLE_NS);
		m->x_t0 = clk_now();
		memset(x->sc->buf, SECRET_BYTE, x->sc->len);
		m->x_t1 = clk_now();
		return pid;
	}
	m->io_seq++;
	wait_for(&m->io_started, 1);
	spin_ns(SETTLE_NS);
	if (x->kind != READ_THREAD_FORK) {
		pid = fork_timed(x, rd);
		if (x->kind == WRITE_FORK)
			write_pages(x);
		else
			write_upper_halves(x->sc);
		return pid;
	}
	/* the writes start as the fork does: both take the mmap lock */
	m->fork_seq++;
	wait_for(&m->forking, 1);
	write_upper_halves(x->sc);
	m->w_t1 = clk_now();
	wait_for(&m->forked, 1);
	return forked_pid;
}

/* Bytes of the secret in the file, or pages whose read went elsewhere. */
static uint64_t judge(struct race *x)
{
	struct sc *sc = x->sc;
	uint64_t bad = 0;
	size_t i;

	if (reads(x)) {
		for (i = 0; i < sc->pages; i++)
			bad += sc->buf[i * PAGE_SZ] != FILE_BYTE ||
			       sc->buf[i * PAGE_SZ + HALF - 1] != FILE_BYTE;
		return bad;
	}
	if (pread(x->fd, x->check, sc->len, 0) != (ssize_t)sc->len)
		return (uint64_t)-1;
	for (i = 0; i < sc->len; i++)
		bad += x->check[i] == SECRET_BYTE;
	return bad;
}

/* The try's fork (or secret write) ran while the syscall held the pages. */
static bool in_flight(const struct race *x)
{
	const struct race_shm *m = x->shm;
	bool in = m->x_t0 > m->io_t0 && m->x_t1 < m->io_t1;

	if (x->kind == WRITE_FORK)
		in = in && m->c_t1 < m->io_t1;
	if (x->kind == READ_THREAD_FORK)
		in = in && m->x_t0 < m->w_t1;
	return in;
}

static int one_try(struct race *x, char *why, int len)
{
	struct race_shm *m = x->shm;
	int p[2], st, ret = 0;
	uint64_t bad;
	pid_t pid;

	memset(x->sc->buf, OLD_BYTE, x->sc->len);
	m->io_started = m->io_done = m->forking = m->forked = 0;
	m->io_err = 0;
	m->c_t1 = m->w_t1 = m->parent_pages = 0;
	if (pipe(p)) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return -1;
	}
	forked_rd = p[0];
	pid = parent_try(x, p[0]);
	if (pid > 0 && write(p[1], "x", 1) != 1)
		ret = -1;
	close(p[0]);
	close(p[1]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		ret = -1;
	if (x->kind != WRITE_CHILD)
		wait_for(&m->io_done, 1);
	if (!ret && m->io_err == EINVAL && reads(x)) {
		snprintf(
			why, len,
			"O_DIRECT refused 2 KiB pieces (EINVAL): the device's logical block is larger");
		return 1;
	}
	if (ret || m->io_err) {
		snprintf(why, len, "a try: %s",
			 m->io_err ? strerror(m->io_err) :
				     "fork, or the child failed");
		return -1;
	}
	x->in_flight += in_flight(x);
	bad = judge(x);
	if (bad == (uint64_t)-1) {
		snprintf(why, len, "reading the file back: %s",
			 strerror(errno));
		return -1;
	}
	x->bad_tries += bad > 0;
	x->bad_units += bad;
	return 0;
}

/* One iovec per page, each a 2 KiB piece the device must pin. */
static int reads_possible(struct race *x, char *why, int len)
{
	struct statfs fs;

	if (x->sc->pages > IOV_MAX) {
		snprintf(
			why, len,
			"the reads take an iovec per page: %zu pages, IOV_MAX %d",
			x->sc->pages, IOV_MAX);
		return 1;
	}
	if (!fstatfs(x->fd, &fs) && fs.f_type == BTRFS_SUPER_MAGIC) {
		snprintf(
			why, len,
			"btrfs: O_DIRECT of 2 KiB pieces falls back to buffered I/O, nothing is pinned");
		return 1;
	}
	return 0;
}

/*
 * The writes wait for the device's cache flush too (O_DSYNC): the pages
 * stay held longer, and more forks and secrets fall inside the syscall.
 */
static int sync_writes(struct race *x, char *why, int len)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", x->fd);
	fd = open(path, O_RDWR | O_DIRECT | O_DSYNC | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "reopening the file O_DSYNC: %s",
			 strerror(errno));
		return -1;
	}
	close(x->fd);
	x->fd = fd;
	return 0;
}

static int race_setup(struct race *x, struct sc *sc, char *why, int len)
{
	int ret;

	x->sc = sc;
	x->kind = (enum race_kind)kv_get(sc->params, "race", 0);
	x->fd = -1;
	x->shm = mmap(NULL, sizeof(*x->shm), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (x->shm == MAP_FAILED ||
	    posix_memalign((void **)&x->check, PAGE_SZ, sc->len)) {
		snprintf(why, len, "memory: %s", strerror(errno));
		return -1;
	}
	memset(x->shm, 0, sizeof(*x->shm));
	ret = sc->bk->ops->map(sc, why, len);
	if (!ret) {
		memset(sc->buf, OLD_BYTE, sc->len);
		ret = sc->bk->ops->verify(sc, why, len);
	}
	if (!ret)
		ret = dio_tmpfile(sc, &x->fd, why, len);
	if (!ret && reads(x))
		ret = reads_possible(x, why, len);
	if (!ret && !reads(x))
		ret = sync_writes(x, why, len);
	if (ret)
		return ret;
	/* the file the reads take; the writes overwrite it */
	memset(x->check, FILE_BYTE, sc->len);
	if (pwrite(x->fd, x->check, sc->len, 0) != (ssize_t)sc->len) {
		snprintf(why, len, "writing the file: %s", strerror(errno));
		return -1;
	}
	x->io_buf = sc->buf;
	if (!test_fault("drop-pin"))
		return 0;
	if (posix_memalign((void **)&x->io_buf, PAGE_SZ, sc->len)) {
		x->io_buf = sc->buf;
		return -1;
	}
	memset(x->io_buf, SECRET_BYTE, sc->len);
	return 0;
}

static void race_report(struct race *x, struct record *r, uint64_t tries)
{
	static const char *const what[] = {
		[WRITE_FORK] =
			"missed COW: the child's secret reached the file",
		[WRITE_CHILD] =
			"missed COW: the parent's post-fork secret reached the child's file",
		[READ_FORK] =
			"wrong COW: the read landed in a page the parent no longer maps",
		[READ_THREAD_FORK] =
			"wrong COW: the read landed in a page the parent no longer maps",
	};
	struct kvset *e = &r->c.extra;
	bool rd = reads(x);

	kv_set(e, "tries", (int64_t)tries);
	kv_set(e, "in_flight", (int64_t)x->in_flight);
	kv_set(e, "bad_tries", (int64_t)x->bad_tries);
	kv_set(e, rd ? "lost_pages" : "secret_bytes", (int64_t)x->bad_units);
	r->has_counts = true;
	r->ops = tries;
	if (!x->bad_tries)
		return;
	r->status = ST_FAIL;
	snprintf(r->reason, sizeof(r->reason),
		 "%s in %llu of %llu tries (%llu %s; %llu tries in flight)",
		 what[x->kind], (unsigned long long)x->bad_tries,
		 (unsigned long long)tries, (unsigned long long)x->bad_units,
		 rd ? "pages" : "bytes", (unsigned long long)x->in_flight);
}

static int race_drive(struct sc *sc, struct record *r, char *why, int len)
{
	struct race *x = xcalloc(1, sizeof(*x));
	uint64_t tries = (uint64_t)kv_get(sc->params, "tries", 1), t;
	bool io_thr = false, f_thr = false;
	int ret = race_setup(x, sc, why, len);

	if (!ret && x->kind != WRITE_CHILD) {
		io_thr = !pthread_create(&x->io, NULL, io_thread, x);
		ret = io_thr ? 0 : -1;
	}
	if (!ret && x->kind == READ_THREAD_FORK) {
		f_thr = !pthread_create(&x->forker, NULL, fork_thread, x);
		ret = f_thr ? 0 : -1;
	}
	if (ret < 0 && !why[0])
		snprintf(why, len, "pthread_create failed");
	for (t = 0; !ret && t < tries; t++)
		ret = one_try(x, why, len);
	x->stop = 1;
	if (io_thr)
		pthread_join(x->io, NULL);
	if (f_thr)
		pthread_join(x->forker, NULL);
	if (!ret && !x->in_flight && !x->bad_tries) {
		snprintf(
			why, len,
			"no fork overlapped an in-flight O_DIRECT in %llu tries: the race was not run",
			(unsigned long long)tries);
		ret = 1;
	}
	if (!ret)
		race_report(x, r, tries);
	if (x->fd >= 0)
		close(x->fd);
	if (x->io_buf != sc->buf)
		free(x->io_buf);
	if (x->shm != MAP_FAILED)
		munmap(x->shm, sizeof(*x->shm));
	free(x->check);
	free(x);
	return ret;
}

static const struct param_spec params[] = {
	PAGES_PARAM("4 KiB pages in the region, one O_DIRECT syscall over all"),
	{ .name = "race",
	  .type = CFG_INT,
	  .min = 0,
	  .max = 3,
	  .def = { 0, 1, 2, 3 },
	  .ndef = 4,
	  .desc = "0 write-fork, 1 write-child, 2 read-fork, 3 read-thread-fork" },
	{ .name = "tries",
	  .type = CFG_INT,
	  .min = 1,
	  .max = 1000000,
	  .def = { 50 },
	  .ndef = 1,
	  .desc = "tries of the race in one pass" },
};

/* the region is mapped and verified here, not built by the harness */
static bool race_takes(const struct backing *b)
{
	return !strcmp(b->name, "base") || !strcmp(b->name, "thp");
}

const struct scenario_ops sc_dio_race = {
	.name = "dio-race",
	.desc = "O_DIRECT in flight while the process forks: a secret must never reach the file, a read must land in the parent's page (K tries)",
	.backings = BK_ANON,
	.takes = race_takes,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.passes = 1u << PASS_COUNTING,
	.share = &share_none,
	.blocks = true,
	.drive = race_drive,
};
