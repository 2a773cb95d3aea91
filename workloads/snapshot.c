// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot: a Redis-like key-value store and its background save.  The
 * pass process holds `keys` values of `value` bytes each (incompressible:
 * a PRNG stream of the value's seed) and serves SETs from a load
 * generator on the other CPU over loopback TCP.  After a quarter of the
 * SETs it forks a child that writes the store to a file (header, then
 * key and value for each key; real writes, fsync) while the parent goes
 * on serving SETs, as BGSAVE does.
 *
 * Reported as Redis reports it: the fork() time (latest_fork_usec), the
 * peak of the child's Private_Dirty sampled from /proc/self/smaps while
 * it saves (rdb_last_cow_size), process-wide and for the store alone,
 * the snapshot duration, SET latency during and outside the snapshot;
 * and exactly, in the counting pass, every page of the store classified
 * from the parent's and the child's page tables at the fork and when the
 * child is done (the child waits, done, until the parent has looked).
 *
 * The oracles, every pass: the file holds exactly the store at the fork
 * (a value that differs and was SET during the snapshot is the parent's
 * write seen by the child: a missed COW; any other difference is an
 * error that says which key), and at the end the store holds every value
 * the parent SET (one that does not is a lost write).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/topo.h"
#include "../lib/window.h"
#include "wl.h"
#include "workloads.h"

static const struct param_spec params[] = {
	{ .name = "keys",
	  .type = CFG_INT,
	  .min = 1,
	  .max = 1LL << 28,
	  .def = { 16384 },
	  .ndef = 1,
	  .desc = "keys in the store" },
	{ .name = "value",
	  .type = CFG_SIZE,
	  .min = 8,
	  .max = 1 << 20,
	  .def = { 1024 },
	  .ndef = 1,
	  .desc = "bytes of each value (incompressible)" },
	{ .name = "sets",
	  .type = CFG_INT,
	  .min = 4,
	  .max = 100000000,
	  .def = { 4000 },
	  .ndef = 1,
	  .desc = "SETs per pass; the snapshot starts after a quarter of them" },
	{ .name = "rate",
	  .type = CFG_INT,
	  .min = 0,
	  .max = 10000000,
	  .def = { 20000 },
	  .ndef = 1,
	  .desc = "SETs per second, open loop; 0: closed loop" },
};

#define MAGIC "CBSNAP01"
#define HDR_LEN 24 /* magic, keys, value size */
#define SET_HDR 24 /* id, key, seed; the value follows */
#define IO_BUF (1 << 20) /* the read-back's pieces */
#define SAVE_KEYS 512 /* records per pwritev: 2 iovecs each, IOV_MAX 1024 */
#define TIMEOUT_MS 20000
/* Redis's pace: sample smaps every 1024 keys, at most 1% of the time */
#define COW_EVERY 1024
#define COW_DUTY 100

enum snap_state { SNAP_IDLE, SNAP_RUNNING, SNAP_DONE };

/* What the child hands back (MAP_SHARED). */
struct child_out {
	/* peaks of the samples: every mapping, and the store's alone */
	int64_t dirty_kb, store_kb;
	uint64_t samples, file_bytes;
	char why[200];
};

struct snap {
	struct sc *sc;
	struct record *r;
	char *store;
	uint64_t keys, vsize, sets, served, during;
	/*
	 * Each key's value now, and at the fork: 0 until the parent's first
	 * SET of the key after the fork saves the old seed (seeds are odd),
	 * so that nothing is copied at the fork.  These, dirty and the page
	 * view are MAP_SHARED: the parent writes them after the fork, and a
	 * private page would be copied into the child's Private_Dirty.
	 */
	uint64_t *seed, *seed0;
	uint8_t *dirty; /* per page: the parent wrote it during the snapshot */
	char *scratch; /* test fault lose-write: where SETs land instead */
	bool counting;
	int conn, file;
	struct wl_hand hand;
	enum snap_state state;
	pid_t child;
	struct wl_forks forks; /* the one fork */
	uint64_t snap_ns;
	struct child_out *out;
	struct window w;
	struct page_view *pv;
	char *set_buf;
	uint64_t lost, first_lost;
};

static size_t snap_pages(const struct kvset *p)
{
	uint64_t bytes = kv_get(p, "keys", 0) * kv_get(p, "value", 0);

	return (size_t)((bytes + PMD_SZ - 1) / PMD_SZ * (PMD_SZ / PAGE_SZ));
}

/* The save file: dirty page cache until its fsync (planner). */
static uint64_t snap_mem(const struct kvset *p)
{
	return (uint64_t)kv_get(p, "keys", 0) * kv_get(p, "value", 0);
}

/* ---- values: a PRNG stream of the seed ---- */

static void gen_value(char *dst, uint64_t len, uint64_t seed)
{
	uint64_t s = seed, v, i;

	for (i = 0; i + 8 <= len; i += 8) {
		v = wl_rand(&s);
		memcpy(dst + i, &v, 8);
	}
	v = wl_rand(&s);
	memcpy(dst + i, &v, len - i);
}

static uint64_t first_seed(uint64_t key)
{
	uint64_t s = key ^ 0x5eed5eed5eedULL;

	return wl_rand(&s) | 1;
}

/* The generator's SET i: a random key, a fresh value sent in full. */
struct set_gen {
	uint64_t keys, vsize, rng;
};

static void fill_set(void *req, uint64_t i, void *arg)
{
	struct set_gen *g = arg;
	uint64_t *h = req, seed = wl_rand(&g->rng) | 1;

	(void)i;
	h[1] = wl_rand(&g->rng) % g->keys;
	h[2] = seed;
	gen_value((char *)req + SET_HDR, g->vsize, seed);
}

/* ---- the child: serialise and fsync ---- */

/*
 * Private_Dirty summed over /proc/self/smaps, as Redis's child does, and
 * over the mappings inside the store alone, in kB.  The line buffer is on
 * the stack and stdio's own is one page: the harness adds little to it.
 */
static int smaps_dirty(const char *lo, const char *hi, int64_t *all,
		       int64_t *store)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	unsigned long a, b;
	bool in = false;
	char line[512];
	long long kb;

	if (!f)
		return -1;
	*all = *store = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
			in = a >= (unsigned long)lo && b <= (unsigned long)hi;
			continue;
		}
		if (sscanf(line, "Private_Dirty: %lld kB", &kb) != 1)
			continue;
		*all += kb;
		if (in)
			*store += kb;
	}
	fclose(f);
	return 0;
}

/*
 * Redis's schedule: at the start, then every COW_EVERY keys once the
 * time since the last sample is COW_DUTY times what that one cost, and at
 * the end (force).  The figures are the peaks of the samples.
 */
static void cow_sample(struct snap *s, bool force)
{
	static uint64_t last, cost;
	struct child_out *o = s->out;
	uint64_t t0 = wl_now();
	int64_t all, store;

	if (!force && last && t0 - last <= cost * COW_DUTY)
		return;
	if (smaps_dirty(s->store, s->store + s->sc->len, &all, &store))
		return;
	last = wl_now();
	cost = last - t0;
	o->samples++;
	if (all > o->dirty_kb)
		o->dirty_kb = all;
	if (store > o->store_kb)
		o->store_kb = store;
}

/* Records k..k+n as key, value, straight from the store (no buffer). */
static int save_some(struct snap *s, uint64_t k, uint64_t n, uint64_t *pos)
{
	struct iovec iov[2 * SAVE_KEYS];
	uint64_t key[SAVE_KEYS], j, want = n * (8 + s->vsize);

	for (j = 0; j < n; j++) {
		key[j] = k + j;
		iov[2 * j] = (struct iovec){ &key[j], 8 };
		iov[2 * j + 1] = (struct iovec){ s->store + (k + j) * s->vsize,
						 s->vsize };
	}
	if (pwritev(s->file, iov, 2 * n, *pos) != (ssize_t)want)
		return -1;
	*pos += want;
	return 0;
}

static int save(struct snap *s, char *why, int len)
{
	uint64_t hdr[3] = { 0, s->keys, s->vsize }, k, n, pos = HDR_LEN;

	memcpy(hdr, MAGIC, 8);
	if (pwrite(s->file, hdr, HDR_LEN, 0) != HDR_LEN)
		goto fail;
	for (k = 0; k < s->keys; k += n) {
		n = s->keys - k < SAVE_KEYS ? s->keys - k : SAVE_KEYS;
		if (k % COW_EVERY < n)
			cow_sample(s, false);
		if (save_some(s, k, n, &pos))
			goto fail;
	}
	s->out->file_bytes = pos;
	if (fsync(s->file)) {
		snprintf(why, len, "fsync of the snapshot: %s",
			 strerror(errno));
		return -1;
	}
	cow_sample(s, true);
	return 0;
fail:
	snprintf(why, len, "write of the snapshot: %s",
		 errno ? strerror(errno) : "short");
	return -1;
}

static int child_main(void *arg)
{
	struct snap *s = arg;
	bool failed;

	/* beside the load generator, not time-sharing with the server */
	errno = 0;
	failed = topo_pin(s->sc->other_cpu) ||
		 save(s, s->out->why, sizeof(s->out->why));
	if (wl_hand_done(&s->hand, failed))
		return 1;
	wl_hand_hold(&s->hand);
	return 0;
}

/* ---- the parent ---- */

static int start_snapshot(struct snap *s, char *why, int len)
{
	if (s->counting) {
		window_open(&s->w, true, s->store, s->sc->pages);
		window_arm(&s->w);
	}
	s->child = wl_fork(&s->forks, -1, child_main, s);
	if (s->child < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	s->state = SNAP_RUNNING;
	if (!s->counting)
		return 0;
	window_pause(&s->w);
	if (wl_snap_writer(s->store, s->sc->pages, s->pv, false, why, len) ||
	    wl_snap_other(s->child, s->store, s->sc->pages, s->pv, false, why,
			  len))
		return -1;
	window_resume(&s->w);
	return 0;
}

static int finish_snapshot(struct snap *s, char *why, int len)
{
	pid_t pid = s->child;
	uint64_t failed = 1;

	if (wl_hand_wait(&s->hand, &failed) || failed) {
		snprintf(why, len, "the snapshot child failed: %s",
			 s->out->why[0] ? s->out->why : "no word from it");
		return -1;
	}
	s->snap_ns = (uint64_t)clk_ns(clk_now() - s->forks.t_ret);
	s->state = SNAP_DONE;
	if (s->counting) {
		window_disarm(&s->w);
		if (wl_snap_writer(s->store, s->sc->pages, s->pv, true, why,
				   len) ||
		    wl_snap_other(pid, s->store, s->sc->pages, s->pv, true, why,
				  len))
			return -1;
		window_fill(&s->w, s->r, s->sc->bk->fault_pages,
			    &s->pv->faulted, sizeof(*s->pv));
		window_close(&s->w);
	}
	s->child = 0;
	if (wl_hand_release(&s->hand, pid, why, len))
		return -1;
	return wl_reap(pid, "the snapshot child", why, len);
}

static void mark_dirty(struct snap *s, uint64_t key)
{
	uint64_t lo = key * s->vsize, hi = lo + s->vsize - 1, p;

	for (p = lo / PAGE_SZ; p <= hi / PAGE_SZ; p++)
		s->dirty[p] = 1;
}

static int serve_set(struct snap *s, char *why, int len)
{
	uint64_t *h = (uint64_t *)s->set_buf, key;
	bool during = s->state == SNAP_RUNNING;
	struct wl_reply rp;

	if (wl_recv_all(s->conn, s->set_buf, SET_HDR + s->vsize)) {
		snprintf(why, len,
			 "the load generator went away after %llu SETs",
			 (unsigned long long)s->served);
		return -1;
	}
	key = h[1];
	if (key >= s->keys) {
		snprintf(why, len, "SET of key %llu: no such key",
			 (unsigned long long)key);
		return -1;
	}
	if (s->state != SNAP_IDLE && !s->seed0[key])
		s->seed0[key] = s->seed[key];
	memcpy(during && s->scratch ? s->scratch : s->store + key * s->vsize,
	       s->set_buf + SET_HDR, s->vsize);
	s->seed[key] = h[2];
	if (during) {
		mark_dirty(s, key);
		s->during++;
	}
	rp = (struct wl_reply){ .id = h[0], .flags = during ? WL_MARKED : 0 };
	s->served++;
	if (wl_send_all(s->conn, &rp, sizeof(rp))) {
		snprintf(why, len, "reply: the load generator went away");
		return -1;
	}
	if (s->served == s->sets / 4 && s->state == SNAP_IDLE)
		return start_snapshot(s, why, len);
	return 0;
}

/* SETs until all are served and the snapshot is over. */
static int serve(struct snap *s, char *why, int len)
{
	while (s->served < s->sets || s->state == SNAP_RUNNING) {
		struct pollfd p[2] = {
			{ .fd = s->served < s->sets ? s->conn : -1,
			  .events = POLLIN },
			{ .fd = s->state == SNAP_RUNNING ? s->hand.done[0] : -1,
			  .events = POLLIN },
		};
		int n = poll(p, 2, TIMEOUT_MS);

		if (n <= 0 && errno != EINTR) {
			snprintf(why, len,
				 "no SET and no snapshot progress: %s",
				 n ? strerror(errno) : "timed out");
			return -1;
		}
		if (p[1].revents && finish_snapshot(s, why, len))
			return -1;
		if (p[0].revents && serve_set(s, why, len))
			return -1;
	}
	return 0;
}

/* ---- the oracle ---- */

static bool key_dirty(struct snap *s, uint64_t key)
{
	uint64_t lo = key * s->vsize, hi = lo + s->vsize - 1, p;

	for (p = lo / PAGE_SZ; p <= hi / PAGE_SZ; p++)
		if (s->dirty[p])
			return true;
	return false;
}

/* The child saw the parent's write to key: mark the pages it shows. */
static void saw(struct snap *s, uint64_t key)
{
	uint64_t lo = key * s->vsize, hi = lo + s->vsize - 1, p;

	for (p = lo / PAGE_SZ; s->counting && p <= hi / PAGE_SZ; p++)
		s->pv[p].other_saw = 1;
}

/* One record of the file against the store at the fork. */
static int check_key(struct snap *s, uint64_t k, const char *rec, char *want,
		     uint64_t *missed, char *why, int len)
{
	uint64_t key;

	memcpy(&key, rec, 8);
	gen_value(want, s->vsize, s->seed0[k] ? s->seed0[k] : s->seed[k]);
	if (key == k && !memcmp(rec + 8, want, s->vsize))
		return 0;
	if (key == k && key_dirty(s, k)) {
		(*missed)++;
		saw(s, k);
		return 0;
	}
	snprintf(
		why, len,
		"snapshot file: key %llu differs from the store at the fork and was not written during the snapshot",
		(unsigned long long)k);
	return -1;
}

static int verify_file(struct snap *s, uint64_t *missed, char *why, int len)
{
	uint64_t rec = 8 + s->vsize, per = IO_BUF / rec, k, n, j, hdr[2];
	char *buf = xmalloc(per * rec), *want = xmalloc(s->vsize + 8);
	char head[HDR_LEN];
	int ret = 0;

	if (pread(s->file, head, HDR_LEN, 0) != HDR_LEN ||
	    memcmp(head, MAGIC, 8) ||
	    (memcpy(hdr, head + 8, 16), hdr[0] != s->keys) ||
	    hdr[1] != s->vsize) {
		snprintf(why, len, "snapshot file: bad header");
		ret = -1;
	}
	for (k = 0; !ret && k < s->keys; k += n) {
		n = s->keys - k < per ? s->keys - k : per;
		if (pread(s->file, buf, n * rec, HDR_LEN + k * rec) !=
		    (ssize_t)(n * rec)) {
			snprintf(why, len, "snapshot file: short at key %llu",
				 (unsigned long long)k);
			ret = -1;
		}
		for (j = 0; !ret && j < n; j++)
			ret = check_key(s, k + j, buf + j * rec, want, missed,
					why, len);
	}
	free(buf);
	free(want);
	return ret;
}

/* Every value the parent SET is in the store: none was lost. */
static void check_store(struct snap *s)
{
	char *want = xmalloc(s->vsize + 8);
	uint64_t k;

	for (k = 0; k < s->keys; k++) {
		gen_value(want, s->vsize, s->seed[k]);
		if (!memcmp(s->store + k * s->vsize, want, s->vsize))
			continue;
		if (!s->lost++)
			s->first_lost = k;
	}
	free(want);
}

/* ---- the pass ---- */

/* fsync does nothing on tmpfs and ramfs: a save there never reaches a disk */
static int check_fs(struct snap *s, char *why, int len)
{
	const char *fs = wl_fs_refused(s->file, WL_FS_RAM);

	if (!fs && !errno)
		return 0;
	if (!fs) {
		snprintf(why, len, "statfs %s: %s", s->sc->workdir,
			 strerror(errno));
		return -1;
	}
	snprintf(
		why, len,
		"run directory %s is on %s: fsync does nothing there, the save would reach no disk (Redis saves to a disk file)",
		s->sc->workdir, fs);
	return 1;
}

static int open_file(struct snap *s, char *why, int len)
{
	int ret = wl_tmpfile(s->sc->workdir, 0, &s->file, why, len);

	return ret ? ret : check_fs(s, why, len);
}

static int alloc_arrays(struct snap *s, char *why, int len)
{
	size_t pages = s->sc->pages;

	s->seed = wl_shared(s->keys * sizeof(*s->seed));
	s->seed0 = wl_shared(s->keys * sizeof(*s->seed));
	s->dirty = wl_shared(pages);
	s->pv = s->counting ? wl_shared(pages * sizeof(*s->pv)) : NULL;
	s->out = wl_shared(sizeof(*s->out));
	if (!s->seed || !s->seed0 || !s->dirty || !s->out ||
	    (s->counting && !s->pv)) {
		snprintf(why, len, "mmap of the arrays: %s", strerror(errno));
		return -1;
	}
	if (test_fault("lose-write"))
		s->scratch = xmalloc(s->vsize);
	return 0;
}

static int setup(struct snap *s, struct sc *sc, char *why, int len)
{
	uint64_t k, used;
	int ret = open_file(s, why, len);

	/* the test fault "shared" maps it MAP_SHARED: the child sees every SET */
	if (!ret)
		ret = sc->bk->ops->map(sc, why, len);
	if (ret)
		return ret;
	s->store = sc->buf;
	s->keys = kv_get(sc->params, "keys", 1);
	s->vsize = kv_get(sc->params, "value", 8);
	s->sets = kv_get(sc->params, "sets", 4);
	s->counting = sc->pass == PASS_COUNTING;
	if (alloc_arrays(s, why, len))
		return -1;
	s->set_buf = xmalloc(SET_HDR + s->vsize + 8);
	for (k = 0; k < s->keys; k++) {
		s->seed[k] = first_seed(k);
		gen_value(s->store + k * s->vsize, s->vsize, s->seed[k]);
	}
	used = s->keys * s->vsize;
	memset(s->store + used, 0, sc->len - used);
	ret = sc->bk->ops->verify(sc, why, len);
	if (ret)
		return ret;
	wl_forks_init(&s->forks);
	return wl_hand_open(&s->hand, why, len);
}

static int run(struct snap *s, struct wl_lat *l, pid_t *gen, char *why, int len)
{
	struct set_gen g = { s->keys, s->vsize, 0x5e7 };
	struct wl_load load = { .n = s->sets,
				.rate = kv_get(s->sc->params, "rate", 0),
				.req_len = SET_HDR + s->vsize,
				.fill = fill_set,
				.arg = &g,
				.timeout_ms = TIMEOUT_MS,
				/* the default 50 us would land in the lag */
				.timer_slack_ns = 1 };

	/*
	 * The generator is a fork of the server: mapping the store, it would
	 * make every first SET of a page a copy, and keep a page the parent
	 * copied during the save shared, not in the child's Private_Dirty.
	 */
	if (madvise(s->store, s->sc->len, MADV_DONTFORK)) {
		snprintf(why, len, "madvise(MADV_DONTFORK): %s",
			 strerror(errno));
		return -1;
	}
	s->conn = wl_load_open(&load, l, s->sc->other_cpu, gen, why, len);
	if (s->conn < 0)
		return -1;
	if (madvise(s->store, s->sc->len, MADV_DOFORK)) {
		snprintf(why, len, "madvise(MADV_DOFORK): %s", strerror(errno));
		return -1;
	}
	return serve(s, why, len);
}

static void put_counts(struct snap *s, uint64_t missed)
{
	struct kvset *x = &s->r->c.extra;
	size_t i, written = 0;

	for (i = 0; i < s->sc->pages; i++)
		written += s->dirty[i];
	kv_set(x, "cow_private_dirty_kb", s->out->dirty_kb);
	kv_set(x, "cow_store_private_dirty_kb", s->out->store_kb);
	kv_set(x, "cow_samples", s->out->samples);
	kv_set(x, "file_bytes", s->out->file_bytes);
	kv_set(x, "sets_during_snapshot", s->during);
	kv_set(x, "pages_written_snapshot", written);
	kv_set(x, "file_missed_keys", missed);
	kv_set(x, "store_lost_keys", s->lost);
	if (!s->counting)
		return;
	for (i = 0; i < s->sc->pages; i++)
		s->pv[i].written = s->dirty[i];
	wl_classify(s->pv, s->sc->pages, &s->r->c.t);
	s->r->c.has_pages = true;
	if (tally_decided(&s->r->c.t))
		kv_set(x, "cow_pagemap_kb",
		       s->r->c.t.copies * (PAGE_SZ / 1024));
}

/*
 * The generator shares a CPU with the save child (2 CPUs, 3 parties): a
 * SET built late is charged to the server by the corrected figures.  When
 * the lag's p99 during the save reaches a quarter of the SETs' p99 there,
 * generator_lagged says so; the uncorrected figures stand beside them.
 */
#define LAG_SHARE 4

static void put_lag(struct kvset *x, const struct wl_lat *l)
{
	wl_put_pcts(x, "set_snap_uncorrected_ns", &l->uncorr_marked, 1);
	wl_put_pcts(x, "set_uncorrected_ns", &l->uncorr, 1);
	wl_put_pcts(x, "gen_lag_snap_ns", &l->lag_marked, 1);
	wl_put_pcts(x, "gen_lag_ns", &l->lag, 1);
	if (!l->marked.n)
		return;
	kv_set(x, "generator_lagged",
	       hist_pct(&l->lag_marked, 99) * LAG_SHARE >=
		       hist_pct(&l->marked, 99));
}

static void put_timing(struct snap *s, const struct wl_lat *l)
{
	struct kvset *x = &s->r->c.extra;

	/* timings from this pass only: the counting pass traces */
	wl_put_forks(x, &s->forks);
	kv_set(x, "snapshot_us", s->snap_ns / 1000);
	kv_set(x, "sets_per_s", wl_lat_rate(l));
	wl_put_pcts(x, "set_snap_ns", &l->marked, 1);
	wl_put_pcts(x, "set_idle_ns", &l->unmarked, 1);
	put_lag(x, l);
	s->r->lat = l->all;
	s->r->has_lat = true;
	s->r->window_ns = l->last_ns - l->first_ns;
	wl_timing_counts(s->r);
}

/*
 * The generator reaped, the file and the store checked: a missed COW
 * fails the timing pass (the counting pass's classes fail it), a lost
 * write either pass.
 */
static int conclude(struct snap *s, struct wl_lat *l, pid_t gen, char *why,
		    int len)
{
	uint64_t missed = 0;
	struct record *r = s->r;

	if (wl_load_close(gen, l, why, len))
		return -1;
	if (verify_file(s, &missed, why, len))
		return -1;
	check_store(s);
	r->ops = s->sets;
	if (!s->counting)
		put_timing(s, l);
	put_counts(s, missed);
	wl_put_procs(&r->c.extra, gen);
	if (s->lost) {
		r->status = ST_FAIL;
		snprintf(
			r->reason, sizeof(r->reason),
			"lost write: %llu key(s) of the store do not hold the parent's last SET (first: key %llu)",
			(unsigned long long)s->lost,
			(unsigned long long)s->first_lost);
	} else if (missed && !s->counting) {
		r->status = ST_FAIL;
		snprintf(
			r->reason, sizeof(r->reason),
			"missed COW: %llu key(s) in the snapshot file show SETs made after the fork",
			(unsigned long long)missed);
	}
	return 0;
}

static void release_all(struct snap *s)
{
	if (s->conn >= 0)
		close(s->conn);
	if (s->file >= 0)
		close(s->file);
	wl_shared_free(s->seed, s->keys * sizeof(*s->seed));
	wl_shared_free(s->seed0, s->keys * sizeof(*s->seed));
	wl_shared_free(s->dirty, s->sc->pages);
	wl_shared_free(s->pv, s->sc->pages * sizeof(*s->pv));
	wl_shared_free(s->out, sizeof(*s->out));
	free(s->set_buf);
	free(s->scratch);
	wl_hand_close(&s->hand);
}

static int snap_drive(struct sc *sc, struct record *r, char *why, int len)
{
	struct wl_lat *l = wl_lat_alloc();
	struct snap s = { .sc = sc,
			  .r = r,
			  .conn = -1,
			  .file = -1,
			  .hand = { { -1, -1 }, { -1, -1 } } };
	pid_t gen = -1;
	int ret;

	if (!l) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -1;
	}
	ret = setup(&s, sc, why, len);
	if (!ret)
		ret = run(&s, l, &gen, why, len);
	if (!ret)
		ret = conclude(&s, l, gen, why, len);
	else
		wl_kill(gen);
	wl_kill(s.child);
	release_all(&s);
	wl_lat_free(l);
	return ret;
}

const struct scenario_ops wl_snapshot = {
	.name = "snapshot",
	.desc = "Redis-like store: SETs over loopback while a forked child saves it to a file (BGSAVE)",
	.blocks = true,
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.share = &share_none,
	.passes = (1u << PASS_TIMING) | (1u << PASS_COUNTING),
	.region_pages = snap_pages,
	.mem_bytes = snap_mem,
	.drive = snap_drive,
};
