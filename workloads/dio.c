// SPDX-License-Identifier: GPL-2.0
/*
 * Direct I/O while another thread forks, fio-like: O_DIRECT reads and
 * writes of random blocks of a file on a block-device file system, qd in
 * flight, through io_uring with registered (fixed, long-term pinned)
 * buffers, io_uring with plain buffers, or pread/pwrite.  A fork while a
 * buffer is pinned must give the child a copy and leave the parent its
 * page (or the data would land in the child's): every block read is
 * checked against the last one written there, and any byte that differs
 * is a wrong COW, and the pass fails.
 *
 * The buffers are the first qd * bs bytes of the backing's region.  The
 * counting pass has each child read its own pagemap: a buffer page whose
 * PFN in the child is neither the parent's before nor after the fork was
 * copied at fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/knobs.h"
#include "../lib/pagemap.h"
#include "../lib/window.h"
#include "wl.h"
#include "workloads.h"

#define TMPFS_MAGIC 0x01021994
#define RAMFS_MAGIC 0x858458f6
#define V9FS_MAGIC 0x01021997
#define OVERLAYFS_MAGIC 0x794c7630
#define NFS_MAGIC 0x6969
#define FUSE_MAGIC 0x65735546
#define BTRFS_MAGIC 0x9123683e
#define FILL_CHUNK (1 << 20)

static const struct param_spec params[] = {
	{ .name = "file",
	  .type = CFG_SIZE,
	  .min = 1 << 20,
	  .max = 1LL << 40,
	  .def = { 1 << 30 },
	  .ndef = 1,
	  .desc = "file size" },
	{ .name = "bs",
	  .type = CFG_SIZE,
	  .min = 512,
	  .max = 1 << 20,
	  .def = { 4096 },
	  .ndef = 1,
	  .desc = "block size (a multiple of 512)" },
	{ .name = "qd",
	  .type = CFG_INT,
	  .min = 1,
	  .max = 256,
	  .def = { 16 },
	  .ndef = 1,
	  .desc = "I/Os in flight (1 for psync)" },
	{ .name = "engine",
	  .type = CFG_INT,
	  .min = 0,
	  .max = 2,
	  .def = { 0, 1, 2 },
	  .ndef = 3,
	  .desc = "0 io_uring fixed buffers, 1 io_uring, 2 pread/pwrite" },
	{ .name = "ios",
	  .type = CFG_INT,
	  .min = 1,
	  .max = 100000000,
	  .def = { 200000 },
	  .ndef = 1,
	  .desc = "I/Os per pass" },
	{ .name = "write_pct",
	  .type = CFG_INT,
	  .min = 0,
	  .max = 100,
	  .def = { 50 },
	  .ndef = 1,
	  .desc = "percentage of writes" },
	{ .name = "fork_hz",
	  .type = CFG_INT,
	  .min = 0,
	  .max = 10000,
	  .def = { 100 },
	  .ndef = 1,
	  .desc = "forks per second by the other thread" },
};

struct slot {
	uint64_t block, t0;
	uint32_t gen;
	bool write;
	int res;
};

struct dio {
	const struct dio_engine *eng;
	struct sc *sc;
	int fd;
	bool inited; /* the engine */
	size_t bs, qd, nblocks, bufpages;
	uint32_t *gen; /* per block: the generation last written */
	uint8_t *busy;
	struct slot *slots;
	struct io_uring ring;
	int *ready, nready; /* psync: done, not yet reaped */
	uint64_t rng, mismatched, bad_reads, reads, writes;
	char *ghost; /* test fault drop-pin: where the reads land instead */
	/* the fork thread */
	pthread_t forker;
	volatile int stop;
	int fork_hz, fork_err;
	struct hist fork_us;
	uint64_t *pfn_before, *pfn_after, *pfn_child; /* MAP_SHARED */
	uint64_t forks, fork_copied;
};

/* fio's ioengine_ops, reduced: submit one, reap one. */
struct dio_engine {
	const char *name;
	bool fixed; /* registered buffers: slot i is buffer i */
	int (*init)(struct dio *d, char *why, int len);
	int (*submit)(struct dio *d, int slot); /* 0 or -errno */
	int (*reap)(struct dio *d, int *slot); /* 0 or -errno */
	void (*exit)(struct dio *d);
};

static char *slot_buf(struct dio *d, int i)
{
	return d->sc->buf + (size_t)i * d->bs;
}

/*
 * Test fault drop-pin: every read lands in a page the process does not
 * map (what a pin COWed away from gets), and the slot holds none of the
 * data.  Every read must then be counted wrong.
 */
static char *read_buf(struct dio *d, int i)
{
	if (!d->ghost)
		return slot_buf(d, i);
	memset(slot_buf(d, i), 0, d->bs);
	return d->ghost + (size_t)i * d->bs;
}

/* The content of a block at a generation: no two blocks or gens alike. */
static void pattern(uint64_t *w, size_t bs, uint64_t block, uint32_t gen)
{
	uint64_t seed = wl_mix(block << 32 | gen);
	size_t i;

	for (i = 0; i < bs / 8; i++)
		w[i] = seed + i;
}

static uint64_t mismatched_bytes(const uint64_t *w, size_t bs, uint64_t block,
				 uint32_t gen)
{
	uint64_t seed = wl_mix(block << 32 | gen), n = 0, x;
	size_t i, b;

	for (i = 0; i < bs / 8; i++) {
		x = w[i] ^ (seed + i);
		for (b = 0; x && b < 8; b++, x >>= 8)
			n += (x & 0xff) != 0;
	}
	return n;
}

/* ---- engines ---- */

static int uring_init(struct dio *d, char *why, int len)
{
	int ret = io_uring_queue_init(d->qd, &d->ring, 0);

	if (ret) {
		snprintf(why, len, "io_uring_queue_init: %s", strerror(-ret));
		return ret == -ENOSYS || ret == -EPERM ? 1 : -1;
	}
	return 0;
}

static int fixed_init(struct dio *d, char *why, int len)
{
	struct iovec *iov = xcalloc(2 * d->qd, sizeof(*iov));
	size_t i, n = d->ghost ? 2 * d->qd : d->qd;
	int ret = uring_init(d, why, len);

	/* slot i is buffer i; its ghost (drop-pin) buffer qd + i */
	for (i = 0; i < d->qd; i++) {
		iov[i] = (struct iovec){ slot_buf(d, i), d->bs };
		if (d->ghost)
			iov[d->qd + i] =
				(struct iovec){ d->ghost + i * d->bs, d->bs };
	}
	if (!ret)
		ret = io_uring_register_buffers(&d->ring, iov, n);
	free(iov);
	if (ret < 0) {
		snprintf(why, len, "io_uring_register_buffers: %s",
			 strerror(-ret));
		io_uring_queue_exit(&d->ring);
	}
	return ret;
}

static int uring_submit(struct dio *d, int i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&d->ring);
	struct slot *s = &d->slots[i];
	off_t off = s->block * d->bs;
	bool fixed = d->eng->fixed;
	int ret;

	if (!sqe)
		return -EBUSY;
	if (fixed && s->write)
		io_uring_prep_write_fixed(sqe, d->fd, slot_buf(d, i), d->bs,
					  off, i);
	else if (fixed)
		io_uring_prep_read_fixed(sqe, d->fd, read_buf(d, i), d->bs, off,
					 d->ghost ? (int)d->qd + i : i);
	else if (s->write)
		io_uring_prep_write(sqe, d->fd, slot_buf(d, i), d->bs, off);
	else
		io_uring_prep_read(sqe, d->fd, read_buf(d, i), d->bs, off);
	io_uring_sqe_set_data64(sqe, i);
	ret = io_uring_submit(&d->ring);
	return ret == 1 ? 0 : ret < 0 ? ret : -EIO;
}

static int uring_reap(struct dio *d, int *i)
{
	struct io_uring_cqe *cqe;
	int ret;

	do
		ret = io_uring_wait_cqe(&d->ring, &cqe);
	while (ret == -EINTR);
	if (ret)
		return ret;
	*i = (int)io_uring_cqe_get_data64(cqe);
	d->slots[*i].res = cqe->res;
	io_uring_cqe_seen(&d->ring, cqe);
	return 0;
}

static void uring_exit(struct dio *d)
{
	io_uring_queue_exit(&d->ring);
}

static int psync_init(struct dio *d, char *why, int len)
{
	(void)why;
	(void)len;
	d->ready = xcalloc(d->qd, sizeof(int));
	return 0;
}

static int psync_submit(struct dio *d, int i)
{
	struct slot *s = &d->slots[i];
	off_t off = s->block * d->bs;
	ssize_t n = s->write ? pwrite(d->fd, slot_buf(d, i), d->bs, off) :
			       pread(d->fd, read_buf(d, i), d->bs, off);

	s->res = n < 0 ? -errno : (int)n;
	d->ready[d->nready++] = i;
	return 0;
}

static int psync_reap(struct dio *d, int *i)
{
	if (!d->nready)
		return -EIO;
	*i = d->ready[--d->nready];
	return 0;
}

static void psync_exit(struct dio *d)
{
	free(d->ready);
}

static const struct dio_engine engines[] = {
	{ "io_uring-fixed", true, fixed_init, uring_submit, uring_reap,
	  uring_exit },
	{ "io_uring", false, uring_init, uring_submit, uring_reap, uring_exit },
	{ "psync", false, psync_init, psync_submit, psync_reap, psync_exit },
};

/* ---- the I/O loop ---- */

static int start(struct dio *d, int i)
{
	struct slot *s = &d->slots[i];

	do {
		d->rng = wl_mix(d->rng);
		s->block = d->rng % d->nblocks;
	} while (d->busy[s->block]);
	d->busy[s->block] = 1;
	s->write = wl_mix(d->rng ^ 1) % 100 <
		   (uint64_t)kv_get(d->sc->params, "write_pct", 50);
	if (s->write) {
		s->gen = ++d->gen[s->block];
		pattern((uint64_t *)slot_buf(d, i), d->bs, s->block, s->gen);
	} else {
		s->gen = d->gen[s->block];
	}
	s->t0 = clk_now();
	return d->eng->submit(d, i);
}

static int complete(struct dio *d, int i, struct record *r)
{
	struct slot *s = &d->slots[i];
	uint64_t ns = (uint64_t)clk_ns(clk_now() - s->t0), bad;

	if (s->res != (int)d->bs)
		return s->res < 0 ? s->res : -EIO;
	if (d->sc->pass == PASS_TIMING)
		hist_record(&r->lat, ns);
	d->busy[s->block] = 0;
	if (s->write) {
		d->writes++;
		return 0;
	}
	d->reads++;
	bad = mismatched_bytes((uint64_t *)slot_buf(d, i), d->bs, s->block,
			       s->gen);
	d->mismatched += bad;
	d->bad_reads += bad > 0;
	return 0;
}

static int io_loop(struct dio *d, struct record *r, char *why, int len)
{
	uint64_t issued = 0, done = 0;
	int ret = 0, i;

	for (i = 0; !ret && (size_t)i < d->qd && issued < r->ops; i++, issued++)
		ret = start(d, i);
	while (!ret && done < r->ops) {
		ret = d->eng->reap(d, &i);
		if (!ret)
			ret = complete(d, i, r);
		done++;
		if (!ret && issued < r->ops) {
			ret = start(d, i);
			issued++;
		}
	}
	if (ret)
		snprintf(why, len, "%s %s: %s", d->eng->name,
			 d->slots[i].write ? "write" : "read", strerror(-ret));
	return ret ? -1 : 0;
}

/* ---- the fork thread ---- */

/* Buffer pages the child got a copy of: neither the parent's before nor after. */
static uint64_t fork_copies(struct dio *d)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < d->bufpages; i++) {
		uint64_t c = d->pfn_child[i];

		n += (c & PM_PRESENT) &&
		     PM_PFN(c) != PM_PFN(d->pfn_before[i]) &&
		     PM_PFN(c) != PM_PFN(d->pfn_after[i]);
	}
	return n;
}

static int fork_once(struct dio *d, bool counting)
{
	char *buf = d->sc->buf;
	uint64_t t0;
	pid_t pid;
	int st;

	if (counting && pagemap_snap(buf, d->bufpages, d->pfn_before, NULL, 1))
		return -1;
	t0 = clk_now();
	pid = fork_tied();
	if (pid == 0)
		_exit(counting && pagemap_snap(buf, d->bufpages, d->pfn_child,
					       NULL, 1) ?
			      1 :
			      0);
	if (pid < 0)
		return -1;
	hist_record(&d->fork_us, (uint64_t)(clk_ns(clk_now() - t0) / 1000));
	if (counting && pagemap_snap(buf, d->bufpages, d->pfn_after, NULL, 1))
		return -1;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1; /* the child could not read its pagemap */
	d->forks++;
	if (counting)
		d->fork_copied += fork_copies(d);
	return 0;
}

static void *forker(void *arg)
{
	struct dio *d = arg;
	uint64_t period = 1000000000ULL / d->fork_hz;
	bool counting = d->sc->pass == PASS_COUNTING;
	struct timespec next;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(d->sc->other_cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!d->stop && !d->fork_err) {
		next.tv_nsec += period;
		next.tv_sec += next.tv_nsec / 1000000000;
		next.tv_nsec %= 1000000000;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (!d->stop && fork_once(d, counting))
			d->fork_err = errno ? errno : EIO;
	}
	return NULL;
}

/* ---- set-up ---- */

static int check_fs(struct sc *sc, int fd, char *why, int len)
{
	static const struct {
		long magic;
		const char *name;
	} refused[] = {
		{ TMPFS_MAGIC, "tmpfs" }, { RAMFS_MAGIC, "ramfs" },
		{ V9FS_MAGIC, "9p" },	  { OVERLAYFS_MAGIC, "overlayfs" },
		{ NFS_MAGIC, "NFS" },	  { FUSE_MAGIC, "FUSE" },
	};
	struct statfs fs;
	struct stat st;
	size_t i;

	if (fstatfs(fd, &fs) || fstat(fd, &st)) {
		snprintf(why, len, "statfs %s: %s", sc->workdir,
			 strerror(errno));
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		if (fs.f_type != refused[i].magic)
			continue;
		snprintf(
			why, len,
			"work dir %s is on %s: O_DIRECT pins nothing there, dio needs a block-device file system",
			sc->workdir, refused[i].name);
		return 1;
	}
	if (!major(st.st_dev) && fs.f_type != BTRFS_MAGIC) {
		snprintf(why, len,
			 "work dir %s is not on a block device (device %u:%u)",
			 sc->workdir, major(st.st_dev), minor(st.st_dev));
		return 1;
	}
	return 0;
}

/* Every block at generation 0, on the device, before the I/O starts. */
static int prefill(struct dio *d, char *why, int len)
{
	size_t per = FILL_CHUNK / d->bs, b, j;
	char *chunk = NULL;
	int ret = 0;

	if (posix_memalign((void **)&chunk, 4096, FILL_CHUNK))
		return -1;
	for (b = 0; !ret && b < d->nblocks; b += per) {
		size_t n = d->nblocks - b < per ? d->nblocks - b : per;

		for (j = 0; j < n; j++)
			pattern((uint64_t *)(chunk + j * d->bs), d->bs, b + j,
				0);
		if (pwrite(d->fd, chunk, n * d->bs, b * d->bs) !=
		    (ssize_t)(n * d->bs))
			ret = -1;
	}
	if (!ret && fdatasync(d->fd))
		ret = -1;
	if (ret)
		snprintf(why, len, "writing the file: %s", strerror(errno));
	free(chunk);
	return ret;
}

static int open_file(struct dio *d, char *why, int len)
{
	struct sc *sc = d->sc;
	int ret;

	ret = dio_tmpfile(sc, &d->fd, why, len);
	if (!ret && ftruncate(d->fd, (off_t)(d->nblocks * d->bs))) {
		snprintf(why, len, "ftruncate: %s", strerror(errno));
		ret = -1;
	}
	return ret ? ret : prefill(d, why, len);
}

int dio_tmpfile(struct sc *sc, int *fdp, char *why, int len)
{
	*fdp = open(sc->workdir, O_TMPFILE | O_RDWR | O_DIRECT, 0600);
	if (*fdp < 0) {
		snprintf(why, len, "O_TMPFILE|O_DIRECT in %s: %s", sc->workdir,
			 strerror(errno));
		return errno == EINVAL || errno == EOPNOTSUPP ? 1 : -1;
	}
	return check_fs(sc, *fdp, why, len);
}

/* kernel.io_uring_disabled = 2: no ring for anyone ($COWBENCH_IO_URING_DISABLED: tests). */
static int uring_allowed(char *why, int len)
{
	const char *path = getenv("COWBENCH_IO_URING_DISABLED");
	char val[16];

	if (!path)
		path = "/proc/sys/kernel/io_uring_disabled";
	if (knob_read(path, val, sizeof(val)) || atoi(val) != 2)
		return 0;
	snprintf(why, len, "io_uring disabled (%s = 2)", path);
	return 1;
}

static void *shared(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int setup(struct dio *d, struct sc *sc, char *why, int len)
{
	int64_t file = kv_get(sc->params, "file", 0);
	int ret;

	d->sc = sc;
	d->eng = &engines[kv_get(sc->params, "engine", 0)];
	d->bs = (size_t)kv_get(sc->params, "bs", 4096);
	d->qd = d->eng->submit == psync_submit ?
			1 :
			(size_t)kv_get(sc->params, "qd", 1);
	d->fork_hz = (int)kv_get(sc->params, "fork_hz", 0);
	d->nblocks = (size_t)file / d->bs;
	d->bufpages = (d->qd * d->bs + PAGE_SZ - 1) / PAGE_SZ;
	d->rng = 1;
	d->fd = -1;
	hist_init(&d->fork_us);
	if (d->bs % 512 || d->nblocks < d->qd) {
		snprintf(
			why, len,
			"bs %zu: not a multiple of 512, or fewer blocks than qd",
			d->bs);
		return -1;
	}
	if (d->eng->submit == uring_submit && uring_allowed(why, len))
		return 1;
	d->gen = xcalloc(d->nblocks, sizeof(*d->gen));
	d->busy = xcalloc(d->nblocks, 1);
	d->slots = xcalloc(d->qd, sizeof(*d->slots));
	d->pfn_before = shared(3 * d->bufpages * 8);
	if (!d->pfn_before)
		return -1;
	d->pfn_after = d->pfn_before + d->bufpages;
	d->pfn_child = d->pfn_after + d->bufpages;
	if (test_fault("drop-pin") && !(d->ghost = shared(d->qd * d->bs)))
		return -1;
	ret = sc->bk->ops->map(sc, why, len);
	if (ret)
		return ret;
	memset(sc->buf, POP_BYTE, sc->len);
	ret = sc->bk->ops->verify(sc, why, len);
	if (!ret)
		ret = open_file(d, why, len);
	if (!ret)
		ret = d->eng->init(d, why, len);
	d->inited = !ret;
	return ret;
}

/* ---- the pass ---- */

static void report(struct dio *d, struct record *r, uint64_t ns)
{
	struct kvset *x = &r->c.extra;

	kv_set(x, "reads", (int64_t)d->reads);
	kv_set(x, "writes", (int64_t)d->writes);
	kv_set(x, "mismatched_bytes", (int64_t)d->mismatched);
	kv_set(x, "bad_reads", (int64_t)d->bad_reads);
	kv_set(x, "forks", (int64_t)d->forks);
	if (d->forks) {
		kv_set(x, "fork_us_p50", (int64_t)hist_pct(&d->fork_us, 50));
		kv_set(x, "fork_us_p99", (int64_t)hist_pct(&d->fork_us, 99));
	}
	if (d->sc->pass == PASS_COUNTING) {
		kv_set(x, "fork_copied_pages", (int64_t)d->fork_copied);
		kv_set(x, "buffer_pages", (int64_t)d->bufpages);
	} else if (ns) {
		kv_set(x, "iops", (int64_t)(r->ops * 1e9 / ns));
		kv_set(x, "mb_per_s", (int64_t)(r->ops * d->bs * 1e3 / ns));
	}
	r->has_counts = true;
	r->window_ns = (double)ns;
	if (!d->mismatched)
		return;
	r->status = ST_FAIL;
	snprintf(
		r->reason, sizeof(r->reason),
		"wrong COW: %llu byte(s) in %llu read(s) differ from what was written",
		(unsigned long long)d->mismatched,
		(unsigned long long)d->bad_reads);
}

static int run(struct dio *d, struct record *r, char *why, int len)
{
	bool counting = d->sc->pass == PASS_COUNTING;
	struct window w;
	uint64_t t0, ns;
	int ret;

	if (d->fork_hz && pthread_create(&d->forker, NULL, forker, d)) {
		snprintf(why, len, "fork thread: %s", strerror(errno));
		return -1;
	}
	/* after the fork thread exists: its faults and flushes are the mm's */
	window_open(&w, counting, d->sc->buf, d->sc->pages);
	window_arm(&w);
	t0 = clk_now();
	ret = io_loop(d, r, why, len);
	ns = (uint64_t)clk_ns(clk_now() - t0);
	window_disarm(&w);
	d->stop = 1;
	if (d->fork_hz)
		pthread_join(d->forker, NULL);
	window_fill(&w, r, d->sc->bk->fault_pages, NULL, 0);
	window_close(&w);
	if (!ret && d->fork_err) {
		snprintf(why, len, "the fork thread: %s",
			 strerror(d->fork_err));
		ret = -1;
	}
	r->has_lat = !ret && !counting;
	if (!ret)
		report(d, r, ns);
	return ret;
}

static int dio_drive(struct sc *sc, struct record *r, char *why, int len)
{
	struct dio *d = xcalloc(1, sizeof(*d));
	int ret = setup(d, sc, why, len);

	r->ops = (uint64_t)kv_get(sc->params, "ios", 1);
	if (!ret)
		ret = run(d, r, why, len);
	if (d->inited)
		d->eng->exit(d);
	if (d->fd >= 0)
		close(d->fd);
	if (d->ghost)
		munmap(d->ghost, d->qd * d->bs);
	return ret;
}

/* The buffers, in whole 2 MiB (so that every backing fits); checks bs. */
static size_t dio_pages(const struct kvset *p)
{
	size_t bytes = (size_t)(kv_get(p, "qd", 1) * kv_get(p, "bs", 4096));

	/* called by the planner first: bad input stops the run there */
	if (kv_get(p, "bs", 4096) % 512)
		die(EXIT_USAGE, "dio: bs %lld is not a multiple of 512",
		    (long long)kv_get(p, "bs", 4096));
	if (kv_get(p, "file", 0) / kv_get(p, "bs", 4096) < kv_get(p, "qd", 1))
		die(EXIT_USAGE,
		    "dio: a %lld-byte file has fewer blocks than qd",
		    (long long)kv_get(p, "file", 0));

	return (bytes + PMD_SZ - 1) / PMD_SZ * PMD_SZ / PAGE_SZ;
}

const struct scenario_ops wl_dio = {
	.name = "dio",
	.desc = "O_DIRECT reads and writes (io_uring fixed/plain, psync) while another thread forks; every byte read checked",
	.blocks = true,
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.passes = (1u << PASS_TIMING) | (1u << PASS_COUNTING),
	.region_pages = dio_pages,
	.drive = dio_drive,
};
