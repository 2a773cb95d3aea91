// SPDX-License-Identifier: GPL-2.0
/*
 * Direct I/O while another thread forks, fio-like: O_DIRECT reads and
 * writes of random blocks of a file on a block-device file system, qd in
 * flight, through io_uring with registered (fixed, long-term pinned)
 * buffers, io_uring with plain buffers, or pread/pwrite.  A fork while a
 * buffer is pinned must give the child a copy and leave the parent its
 * page (or the data would land in the child's): every block read is
 * checked against the last one written there, every block of the file
 * again at the end, and any byte that differs is a wrong COW: the pass
 * fails.  Below 4 KiB blocks neighbouring slots share a page, so the
 * process writes into a page while the device still reads or writes
 * another part of it: the race a COW of a pinned page loses.
 *
 * Latency is fio's, per direction: clat from the submission's return to
 * the reap, lat from the I/O's start (its buffer filled) to the reap.  As
 * fio does, every completion of one reap shares the reap's timestamp,
 * taken before any of them is verified.
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
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/knobs.h"
#include "../lib/pagemap.h"
#include "../lib/window.h"
#include "wl.h"
#include "workloads.h"

#define BTRFS_MAGIC 0x9123683e
#define FILL_CHUNK (1 << 20)

static const struct param_spec params[] = {
	{ .name = "file",
	  .type = CFG_SIZE,
	  .min = 1 << 20,
	  .max = 1LL << 40,
	  .def = { 16 << 20 },
	  .ndef = 1,
	  .desc = "file size" },
	{ .name = "bs",
	  .type = CFG_SIZE,
	  .min = 512,
	  .max = 1 << 20,
	  .def = { 2048 },
	  .ndef = 1,
	  .desc = "block size (a multiple of 512; below 4k slots share pages)" },
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
	  .def = { 4000 },
	  .ndef = 1,
	  .desc = "I/Os per pass (when runtime is 0)" },
	{ .name = "runtime",
	  .type = CFG_INT,
	  .min = 0,
	  .max = 3600,
	  .def = { 0 },
	  .ndef = 1,
	  .desc = "seconds of I/O per pass, as fio's time_based (0: ios I/Os)" },
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
	  .def = { 500 },
	  .ndef = 1,
	  .desc = "forks per second by the other thread" },
};

struct slot {
	uint64_t block, t_start, t_issue;
	uint32_t gen;
	bool write;
	int res;
};

/* fio's three latencies of one direction, in ns */
struct dio_lat {
	struct hist slat, clat, lat;
};

enum { DIR_READ, DIR_WRITE };

struct dio {
	const struct dio_engine *eng;
	struct sc *sc;
	int fd;
	bool inited; /* the engine */
	size_t bs, qd, nblocks, bufpages;
	uint64_t ios, run_ticks, deadline; /* runtime; 0 for ios I/Os */
	uint32_t *gen; /* per block: the generation last written */
	uint8_t *busy;
	struct slot *slots;
	struct io_uring ring;
	int *ready, nready; /* psync: done, not yet reaped */
	uint64_t rng, mismatched, bad_reads, reads, writes;
	struct dio_lat dir[2]; /* timing pass: DIR_READ, DIR_WRITE */
	/* the read-back of every block at the end */
	uint64_t rb_blocks, rb_bad, rb_bytes, blocks_written;
	/* test faults drop-pin (reads) and stale-write: a pin's lost view */
	char *ghost;
	bool ghost_reads, ghost_writes;
	/* the fork thread */
	pthread_t forker;
	volatile int stop;
	int fork_hz, fork_err;
	struct wl_forks fork_t;
	uint64_t *pfn_before, *pfn_after, *pfn_child; /* MAP_SHARED */
	uint64_t forks, fork_copied;
};

/* fio's ioengine_ops, reduced: submit one, reap what is done. */
struct dio_engine {
	const char *name;
	bool fixed; /* registered buffers: slot i is buffer i */
	bool sync; /* submit does the I/O: issued when it is called */
	int (*init)(struct dio *d, char *why, int len);
	int (*submit)(struct dio *d, int slot); /* 0 or -errno */
	/* at least one: the slots done (up to qd), or -errno */
	int (*reap)(struct dio *d, int *slots);
	void (*exit)(struct dio *d);
};

static char *slot_buf(struct dio *d, int i)
{
	return d->sc->buf + (size_t)i * d->bs;
}

/*
 * Where slot i's I/O goes to or comes from.  Under a test fault it is a
 * page the process does not map, as a pin that a COW moved the process
 * away from: drop-pin's reads land there (the slot is zeroed, so every
 * read is wrong); stale-write's writes go out from there, holding what
 * the slot held before its new data (every block written is wrong at the
 * end).
 */
static bool ghosted(struct dio *d, int i)
{
	return d->slots[i].write ? d->ghost_writes : d->ghost_reads;
}

static char *io_buf(struct dio *d, int i)
{
	if (!ghosted(d, i))
		return slot_buf(d, i);
	if (!d->slots[i].write)
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

	/* slot i is buffer i; its ghost (test faults) buffer qd + i */
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
	int idx = ghosted(d, i) ? (int)d->qd + i : i;
	char *buf = io_buf(d, i);
	int ret;

	if (!sqe)
		return -EBUSY;
	if (d->eng->fixed && s->write)
		io_uring_prep_write_fixed(sqe, d->fd, buf, d->bs, off, idx);
	else if (d->eng->fixed)
		io_uring_prep_read_fixed(sqe, d->fd, buf, d->bs, off, idx);
	else if (s->write)
		io_uring_prep_write(sqe, d->fd, buf, d->bs, off);
	else
		io_uring_prep_read(sqe, d->fd, buf, d->bs, off);
	io_uring_sqe_set_data64(sqe, i);
	ret = io_uring_submit(&d->ring);
	return ret == 1 ? 0 : ret < 0 ? ret : -EIO;
}

static int uring_reap(struct dio *d, int *slots)
{
	struct io_uring_cqe *cqe, *cqes[d->qd];
	unsigned int n, k;
	int ret;

	do
		ret = io_uring_wait_cqe(&d->ring, &cqe);
	while (ret == -EINTR);
	if (ret)
		return ret;
	n = io_uring_peek_batch_cqe(&d->ring, cqes, d->qd);
	for (k = 0; k < n; k++) {
		slots[k] = (int)io_uring_cqe_get_data64(cqes[k]);
		d->slots[slots[k]].res = cqes[k]->res;
	}
	io_uring_cq_advance(&d->ring, n);
	return (int)n;
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
	char *buf = io_buf(d, i);
	ssize_t n = s->write ? pwrite(d->fd, buf, d->bs, off) :
			       pread(d->fd, buf, d->bs, off);

	s->res = n < 0 ? -errno : (int)n;
	d->ready[d->nready++] = i;
	return 0;
}

static int psync_reap(struct dio *d, int *slots)
{
	int n = d->nready;

	if (!n)
		return -EIO;
	memcpy(slots, d->ready, n * sizeof(*slots));
	d->nready = 0;
	return n;
}

static void psync_exit(struct dio *d)
{
	free(d->ready);
}

static const struct dio_engine engines[] = {
	{ "io_uring-fixed", true, false, fixed_init, uring_submit, uring_reap,
	  uring_exit },
	{ "io_uring", false, false, uring_init, uring_submit, uring_reap,
	  uring_exit },
	{ "psync", false, true, psync_init, psync_submit, psync_reap,
	  psync_exit },
};

/* ---- the I/O loop ---- */

/*
 * fio's timestamps: start once the buffer is filled, issue when the
 * submission returns (a sync engine: when it is called), completion when
 * reaped.
 */
static int start(struct dio *d, int i)
{
	struct slot *s = &d->slots[i];
	int ret;

	do {
		d->rng = wl_mix(d->rng);
		s->block = d->rng % d->nblocks;
	} while (d->busy[s->block]);
	d->busy[s->block] = 1;
	s->write = wl_mix(d->rng ^ 1) % 100 <
		   (uint64_t)kv_get(d->sc->params, "write_pct", 50);
	if (s->write) {
		s->gen = ++d->gen[s->block];
		if (d->ghost_writes)
			memcpy(d->ghost + (size_t)i * d->bs, slot_buf(d, i),
			       d->bs);
		pattern((uint64_t *)slot_buf(d, i), d->bs, s->block, s->gen);
	} else {
		s->gen = d->gen[s->block];
	}
	s->t_start = clk_now();
	s->t_issue = s->t_start;
	ret = d->eng->submit(d, i);
	if (!d->eng->sync)
		s->t_issue = clk_now();
	return ret;
}

static void record_lat(struct dio *d, struct slot *s, uint64_t now,
		       struct record *r)
{
	struct dio_lat *l = &d->dir[s->write ? DIR_WRITE : DIR_READ];
	uint64_t lat = (uint64_t)clk_ns(now - s->t_start);

	hist_record(&l->slat, (uint64_t)clk_ns(s->t_issue - s->t_start));
	hist_record(&l->clat, (uint64_t)clk_ns(now - s->t_issue));
	hist_record(&l->lat, lat);
	hist_record(&r->lat, lat);
}

static int complete(struct dio *d, int i, uint64_t now, struct record *r)
{
	struct slot *s = &d->slots[i];
	uint64_t bad;

	if (s->res != (int)d->bs)
		return s->res < 0 ? s->res : -EIO;
	if (d->sc->pass == PASS_TIMING)
		record_lat(d, s, now, r);
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

/* Another I/O to start: ios of them, or until the runtime is over. */
static bool more(struct dio *d, uint64_t issued)
{
	return d->deadline ? clk_now() < d->deadline : issued < d->ios;
}

/*
 * The I/Os done, or -1 with why.  Each reap's completions are verified,
 * then their slots start new I/Os, as fio's loop does.
 */
static int64_t io_loop(struct dio *d, char *why, int len, struct record *r)
{
	uint64_t issued = 0, done = 0, now;
	int ret = 0, i, k, n, slots[d->qd];

	for (i = 0; (size_t)i < d->qd && more(d, issued); i++, issued++)
		if ((ret = start(d, i)))
			break;
	while (!ret && done < issued) {
		n = d->eng->reap(d, slots);
		if (n < 0) {
			snprintf(why, len, "%s reap: %s", d->eng->name,
				 strerror(-n));
			return -1;
		}
		now = clk_now();
		for (k = 0; !ret && k < n; k++, done++)
			ret = complete(d, i = slots[k], now, r);
		for (k = 0; !ret && k < n && more(d, issued); k++, issued++)
			ret = start(d, i = slots[k]);
	}
	if (!ret)
		return (int64_t)done;
	snprintf(why, len, "%s %s: %s", d->eng->name,
		 d->slots[i].write ? "write" : "read", strerror(-ret));
	return -1;
}

/*
 * Every block of the file against its last write, after the I/O: the
 * reads check only the blocks they happen to pick, so a write that went
 * astray is seen here.  Plain pread, outside the window.
 */
static int read_back(struct dio *d, char *why, int len)
{
	size_t per = FILL_CHUNK / d->bs, b, j, n;
	char *chunk = NULL;
	uint64_t bad;
	int ret = 0;

	if (posix_memalign((void **)&chunk, 4096, FILL_CHUNK))
		return -1;
	for (b = 0; !ret && b < d->nblocks; b += n) {
		n = d->nblocks - b < per ? d->nblocks - b : per;
		if (pread(d->fd, chunk, n * d->bs, b * d->bs) !=
		    (ssize_t)(n * d->bs)) {
			snprintf(why, len, "reading the file back: %s",
				 errno ? strerror(errno) : "short read");
			ret = -1;
			break;
		}
		for (j = 0; j < n; j++) {
			bad = mismatched_bytes((uint64_t *)(chunk + j * d->bs),
					       d->bs, b + j, d->gen[b + j]);
			d->rb_bytes += bad;
			d->rb_bad += bad > 0;
			d->blocks_written += d->gen[b + j] > 0;
		}
		d->rb_blocks += n;
	}
	free(chunk);
	return ret;
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

/* The child: counting, its own view of the buffers; then it exits. */
static int fork_child(void *arg)
{
	struct dio *d = arg;

	return d->sc->pass == PASS_COUNTING &&
	       pagemap_snap(d->sc->buf, d->bufpages, d->pfn_child, NULL, 1);
}

static int fork_once(struct dio *d, bool counting)
{
	char *buf = d->sc->buf;
	char why[160];
	pid_t pid;

	if (counting && pagemap_snap(buf, d->bufpages, d->pfn_before, NULL, 1))
		return -1;
	pid = wl_fork(&d->fork_t, -1, fork_child, d);
	if (pid < 0)
		return -1;
	if (counting && pagemap_snap(buf, d->bufpages, d->pfn_after, NULL, 1)) {
		wl_kill(pid);
		return -1;
	}
	if (wl_reap(pid, "fork child", why, sizeof(why)))
		return -1; /* the child could not read its pagemap */
	d->forks++;
	if (counting)
		d->fork_copied += fork_copies(d);
	return 0;
}

static bool stopped(void *arg, uint64_t now)
{
	(void)now;
	return ((struct dio *)arg)->stop;
}

/* A fork every 1/fork_hz s, asleep in between (no spinning on its CPU). */
static void *forker(void *arg)
{
	struct dio *d = arg;
	struct wl_pace p = { .period_ns = 1e9 / d->fork_hz };
	bool counting = d->sc->pass == PASS_COUNTING;
	cpu_set_t set;
	uint64_t i;

	CPU_ZERO(&set);
	CPU_SET(d->sc->other_cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	wl_pace_start(&p, clk_now());
	for (i = 1; !d->stop && !d->fork_err; i++) {
		wl_pace_wait(&p, wl_pace_due(&p, i), stopped, d);
		if (!d->stop && fork_once(d, counting))
			d->fork_err = errno ? errno : EIO;
	}
	return NULL;
}

/* ---- set-up ---- */

static int check_fs(struct sc *sc, int fd, char *why, int len)
{
	const char *name = wl_fs_refused(fd, WL_FS_NODEV);
	struct statfs fs;
	struct stat st;

	if (name) {
		snprintf(
			why, len,
			"work dir %s is on %s: O_DIRECT pins nothing there, dio needs a block-device file system",
			sc->workdir, name);
		return 1;
	}
	if (fstatfs(fd, &fs) || fstat(fd, &st)) {
		snprintf(why, len, "statfs %s: %s", sc->workdir,
			 strerror(errno));
		return -1;
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

/*
 * Room for the file before anything is allocated or written: the file,
 * and a sixty-fourth more for the file system's own blocks (extents,
 * journal).  Too little is a skip of the combination.
 */
static int check_space(struct dio *d, char *why, int len)
{
	uint64_t need = (uint64_t)d->nblocks * d->bs, avail;
	struct statvfs v;

	if (fstatvfs(d->fd, &v)) {
		snprintf(why, len, "statvfs %s: %s", d->sc->workdir,
			 strerror(errno));
		return -1;
	}
	avail = (uint64_t)v.f_bavail * v.f_frsize;
	if (avail >= need + (need >> 6))
		return 0;
	snprintf(
		why, len,
		"work dir %s has %llu MiB free, the %llu MiB file needs %llu MiB",
		d->sc->workdir, (unsigned long long)(avail >> 20),
		(unsigned long long)(need >> 20),
		(unsigned long long)((need + (need >> 6)) >> 20));
	return 1;
}

static int open_file(struct dio *d, char *why, int len)
{
	int ret = dio_tmpfile(d->sc, &d->fd, why, len);

	return ret ? ret : check_space(d, why, len);
}

static int fill_file(struct dio *d, char *why, int len)
{
	if (ftruncate(d->fd, (off_t)(d->nblocks * d->bs))) {
		snprintf(why, len, "ftruncate: %s", strerror(errno));
		return -1;
	}
	return prefill(d, why, len);
}

int dio_tmpfile(struct sc *sc, int *fdp, char *why, int len)
{
	int ret = wl_tmpfile(sc->workdir, O_DIRECT, fdp, why, len);

	return ret ? ret : check_fs(sc, *fdp, why, len);
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

static void params_of(struct dio *d, struct sc *sc)
{
	int64_t runtime = kv_get(sc->params, "runtime", 0);
	int i;

	d->sc = sc;
	d->eng = &engines[kv_get(sc->params, "engine", 0)];
	d->bs = (size_t)kv_get(sc->params, "bs", 4096);
	d->qd = d->eng->sync ? 1 : (size_t)kv_get(sc->params, "qd", 1);
	d->fork_hz = (int)kv_get(sc->params, "fork_hz", 0);
	d->nblocks = (size_t)kv_get(sc->params, "file", 0) / d->bs;
	d->bufpages = (d->qd * d->bs + PAGE_SZ - 1) / PAGE_SZ;
	d->ios = (uint64_t)kv_get(sc->params, "ios", 1);
	if (runtime)
		d->run_ticks = (uint64_t)(runtime * 1e9 / cb_clock.ns_per_tick);
	d->ghost_reads = test_fault("drop-pin");
	d->ghost_writes = test_fault("stale-write");
	d->rng = 1;
	d->fd = -1;
	wl_forks_init(&d->fork_t);
	for (i = 0; i < 2; i++) {
		hist_init(&d->dir[i].slat);
		hist_init(&d->dir[i].clat);
		hist_init(&d->dir[i].lat);
	}
}

static int setup(struct dio *d, struct sc *sc, char *why, int len)
{
	int ret;

	params_of(d, sc);
	if (!d->eng->sync && uring_allowed(why, len))
		return 1;
	ret = open_file(d, why, len);
	if (ret)
		return ret;
	d->gen = xcalloc(d->nblocks, sizeof(*d->gen));
	d->busy = xcalloc(d->nblocks, 1);
	d->slots = xcalloc(d->qd, sizeof(*d->slots));
	d->pfn_before = wl_shared(3 * d->bufpages * 8);
	if (!d->pfn_before)
		return -1;
	d->pfn_after = d->pfn_before + d->bufpages;
	d->pfn_child = d->pfn_after + d->bufpages;
	if ((d->ghost_reads || d->ghost_writes) &&
	    !(d->ghost = wl_shared(d->qd * d->bs)))
		return -1;
	ret = sc->bk->ops->map(sc, why, len);
	if (ret)
		return ret;
	memset(sc->buf, POP_BYTE, sc->len);
	ret = sc->bk->ops->verify(sc, why, len);
	if (!ret)
		ret = fill_file(d, why, len);
	if (!ret)
		ret = d->eng->init(d, why, len);
	d->inited = !ret;
	return ret;
}

/* ---- the pass ---- */

/* fio's per-direction figures: IOPS, clat, lat (and slat, async only) */
static void report_dir(struct dio *d, struct kvset *x, int dir, uint64_t ns)
{
	const char *name = dir == DIR_READ ? "read" : "write";
	struct dio_lat *l = &d->dir[dir];
	char k[48];

	snprintf(k, sizeof(k), "%s_iops", name);
	kv_set(x, k, (int64_t)(l->clat.n * 1e9 / ns));
	snprintf(k, sizeof(k), "%s_clat_ns", name);
	wl_put_pcts(x, k, &l->clat, 1);
	snprintf(k, sizeof(k), "%s_lat_ns", name);
	wl_put_pcts(x, k, &l->lat, 1);
	if (d->eng->sync)
		return;
	snprintf(k, sizeof(k), "%s_slat_ns", name);
	wl_put_pcts(x, k, &l->slat, 1);
}

static void report_fail(struct dio *d, struct record *r)
{
	if (!d->mismatched && !d->rb_bad)
		return;
	r->status = ST_FAIL;
	snprintf(
		r->reason, sizeof(r->reason),
		"wrong COW: %llu byte(s) in %llu read(s), %llu byte(s) in %llu block(s) of the file at the end differ from what was written",
		(unsigned long long)d->mismatched,
		(unsigned long long)d->bad_reads,
		(unsigned long long)d->rb_bytes, (unsigned long long)d->rb_bad);
}

static void report(struct dio *d, struct record *r, uint64_t ns)
{
	struct kvset *x = &r->c.extra;

	kv_set(x, "reads", (int64_t)d->reads);
	kv_set(x, "writes", (int64_t)d->writes);
	kv_set(x, "mismatched_bytes", (int64_t)d->mismatched);
	kv_set(x, "bad_reads", (int64_t)d->bad_reads);
	kv_set(x, "readback_blocks", (int64_t)d->rb_blocks);
	kv_set(x, "readback_bad_blocks", (int64_t)d->rb_bad);
	kv_set(x, "readback_mismatched_bytes", (int64_t)d->rb_bytes);
	kv_set(x, "blocks_written", (int64_t)d->blocks_written);
	kv_set(x, "forks", (int64_t)d->forks);
	if (d->sc->pass == PASS_COUNTING) {
		kv_set(x, "fork_copied_pages", (int64_t)d->fork_copied);
		kv_set(x, "buffer_pages", (int64_t)d->bufpages);
	} else if (ns) {
		/* times from the timing pass only: the counting pass traces */
		wl_put_forks(x, &d->fork_t);
		kv_set(x, "runtime_ms", (int64_t)(ns / 1000000));
		kv_set(x, "iops", (int64_t)(r->ops * 1e9 / ns));
		kv_set(x, "mb_per_s", (int64_t)(r->ops * d->bs * 1e3 / ns));
		report_dir(d, x, DIR_READ, ns);
		report_dir(d, x, DIR_WRITE, ns);
	}
	wl_pass_counts(d->sc, r);
	r->window_ns = (double)ns;
	report_fail(d, r);
}

static int run(struct dio *d, struct record *r, char *why, int len)
{
	bool counting = d->sc->pass == PASS_COUNTING;
	struct window w;
	uint64_t t0, ns;
	int64_t done;
	int ret;

	if (d->fork_hz && pthread_create(&d->forker, NULL, forker, d)) {
		snprintf(why, len, "fork thread: %s", strerror(errno));
		return -1;
	}
	/* after the fork thread exists: its faults and flushes are the mm's */
	window_open(&w, counting, d->sc->buf, d->sc->pages);
	window_arm(&w);
	t0 = clk_now();
	d->deadline = d->run_ticks ? t0 + d->run_ticks : 0;
	done = io_loop(d, why, len, r);
	ns = (uint64_t)clk_ns(clk_now() - t0);
	window_disarm(&w);
	d->stop = 1;
	if (d->fork_hz)
		pthread_join(d->forker, NULL);
	r->ops = done > 0 ? (uint64_t)done : 0;
	window_fill(&w, r, d->sc->bk->fault_pages, NULL, 0);
	window_close(&w);
	ret = done < 0 ? -1 : 0;
	if (!ret && d->fork_err) {
		snprintf(why, len, "the fork thread: %s",
			 strerror(d->fork_err));
		ret = -1;
	}
	if (!ret)
		ret = read_back(d, why, len);
	r->has_lat = !ret && !counting;
	if (!ret)
		report(d, r, ns);
	return ret;
}

static int dio_drive(struct sc *sc, struct record *r, char *why, int len)
{
	struct dio *d = xcalloc(1, sizeof(*d));
	int ret = setup(d, sc, why, len);

	if (!ret)
		ret = run(d, r, why, len);
	if (d->inited)
		d->eng->exit(d);
	if (d->fd >= 0)
		close(d->fd);
	wl_shared_free(d->ghost, d->qd * d->bs);
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
	.desc = "O_DIRECT reads and writes (io_uring fixed/plain, psync) while another thread forks; every block read, and the whole file at the end, checked",
	.blocks = true,
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.passes = (1u << PASS_TIMING) | (1u << PASS_COUNTING),
	.region_pages = dio_pages,
	.drive = dio_drive,
};
