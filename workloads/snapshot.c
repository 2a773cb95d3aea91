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
 * child's Private_Dirty at the end of its work (Redis's "COW" figure),
 * the snapshot duration, SET latency during and outside the snapshot;
 * and exactly, in the counting pass, every page of the store classified
 * from the parent's and the child's page tables at the fork and when the
 * child is done (the child waits, done, until the parent has looked).
 *
 * The oracle, every pass: the file holds exactly the store at the fork.
 * A value that differs and was SET during the snapshot is the parent's
 * write seen by the child: a missed COW.  Any other difference is an
 * error that says which key.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
	  .def = { 1 << 20 },
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
	  .def = { 40000 },
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
#define IO_BUF (1 << 20)
#define TIMEOUT_MS 20000

enum snap_state { SNAP_IDLE, SNAP_RUNNING, SNAP_DONE };

/* What the child hands back (MAP_SHARED). */
struct child_out {
	int64_t private_dirty_kb;
	uint64_t file_bytes;
	char why[200];
};

struct snap {
	struct sc *sc;
	struct record *r;
	char *store;
	uint64_t keys, vsize, sets, served, during;
	uint64_t *seed, *seed0; /* each key's value now, and at the fork */
	uint8_t *dirty; /* per page: the parent wrote it during the snapshot */
	bool counting;
	int conn, file, done[2], release[2];
	enum snap_state state;
	pid_t child;
	uint64_t t_fork, fork_ns, snap_ns;
	struct child_out *out;
	struct window w;
	struct page_view *pv;
	char *set_buf;
};

static size_t snap_pages(const struct kvset *p)
{
	uint64_t bytes = kv_get(p, "keys", 0) * kv_get(p, "value", 0);

	return (size_t)((bytes + PMD_SZ - 1) / PMD_SZ * (PMD_SZ / PAGE_SZ));
}

/* The save file, written through the page cache (planner). */
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

static int save(struct snap *s, char *why, int len)
{
	char *buf = xmalloc(IO_BUF);
	uint64_t k, off = HDR_LEN, pos = 0, rec = 8 + s->vsize;
	uint64_t hdr[2] = { s->keys, s->vsize };

	memcpy(buf, MAGIC, 8);
	memcpy(buf + 8, hdr, sizeof(hdr));
	for (k = 0; k <= s->keys; k++) {
		if (k == s->keys || off + rec > IO_BUF) {
			if (pwrite(s->file, buf, off, pos) != (ssize_t)off) {
				snprintf(why, len, "write of the snapshot: %s",
					 strerror(errno));
				return -1;
			}
			pos += off;
			off = 0;
		}
		if (k == s->keys)
			break;
		memcpy(buf + off, &k, 8);
		memcpy(buf + off + 8, s->store + k * s->vsize, s->vsize);
		off += rec;
	}
	s->out->file_bytes = pos;
	if (fsync(s->file)) {
		snprintf(why, len, "fsync of the snapshot: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int child_main(struct snap *s)
{
	char c = 'k';

	/* beside the load generator, not time-sharing with the server */
	if (topo_pin(s->sc->other_cpu) ||
	    save(s, s->out->why, sizeof(s->out->why)))
		c = 'e';
	/* Redis's figure: the child's Private_Dirty once it is done */
	s->out->private_dirty_kb = wl_rollup_kb(getpid(), "Private_Dirty");
	if (write(s->done[1], &c, 1) != 1 || read(s->release[0], &c, 1) < 0)
		return 1;
	return 0;
}

/* ---- the parent ---- */

static int start_snapshot(struct snap *s, char *why, int len)
{
	uint64_t t0;

	memcpy(s->seed0, s->seed, s->keys * sizeof(*s->seed));
	if (s->counting) {
		window_open(&s->w, true, s->store, s->sc->pages);
		window_arm(&s->w);
	}
	t0 = clk_now();
	s->child = fork_tied();
	if (!s->child)
		_exit(child_main(s));
	s->fork_ns = (uint64_t)clk_ns(clk_now() - t0);
	s->t_fork = t0;
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
	char c = 0;

	if (read(s->done[0], &c, 1) != 1 || c != 'k') {
		snprintf(why, len, "the snapshot child failed: %s",
			 s->out->why[0] ? s->out->why : "no word from it");
		return -1;
	}
	s->snap_ns = (uint64_t)clk_ns(clk_now() - s->t_fork);
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
	c = 'k';
	if (write(s->release[1], &c, 1) != 1) {
		wl_kill(pid);
		snprintf(why, len, "release of the child: %s", strerror(errno));
		return -1;
	}
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
	memcpy(s->store + key * s->vsize, s->set_buf + SET_HDR, s->vsize);
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
			{ .fd = s->state == SNAP_RUNNING ? s->done[0] : -1,
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
	gen_value(want, s->vsize, s->seed0[k]);
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

/* ---- the pass ---- */

static int open_file(struct snap *s, char *why, int len)
{
	char path[4200];

	s->file = open(s->sc->workdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->file >= 0)
		return 0;
	/* no O_TMPFILE here: a name, gone at once */
	snprintf(path, sizeof(path), "%s/snapshot-XXXXXX", s->sc->workdir);
	s->file = mkostemp(path, O_CLOEXEC);
	if (s->file < 0) {
		snprintf(why, len, "snapshot file in %s: %s", s->sc->workdir,
			 strerror(errno));
		return -1;
	}
	unlink(path);
	return 0;
}

static int setup(struct snap *s, struct sc *sc, char *why, int len)
{
	uint64_t k, used;
	/* the test fault "shared" maps it MAP_SHARED: the child sees every SET */
	int ret = sc->bk->ops->map(sc, why, len);

	if (ret)
		return ret;
	s->store = sc->buf;
	s->keys = kv_get(sc->params, "keys", 1);
	s->vsize = kv_get(sc->params, "value", 8);
	s->sets = kv_get(sc->params, "sets", 4);
	s->counting = sc->pass == PASS_COUNTING;
	s->seed = xmalloc(s->keys * sizeof(*s->seed));
	s->seed0 = xmalloc(s->keys * sizeof(*s->seed));
	s->dirty = xcalloc(sc->pages, 1);
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
	s->out = mmap(NULL, sizeof(*s->out), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->out == MAP_FAILED || pipe(s->done) || pipe(s->release)) {
		snprintf(why, len, "child hand-over: %s", strerror(errno));
		return -1;
	}
	if (s->counting)
		s->pv = xcalloc(sc->pages, sizeof(*s->pv));
	return open_file(s, why, len);
}

static int run(struct snap *s, struct wl_lat *l, pid_t *gen, char *why, int len)
{
	struct set_gen g = { s->keys, s->vsize, 0x5e7 };
	struct wl_load load = { .n = s->sets,
				.rate = kv_get(s->sc->params, "rate", 0),
				.req_len = SET_HDR + s->vsize,
				.fill = fill_set,
				.arg = &g,
				.timeout_ms = TIMEOUT_MS };

	s->conn = wl_load_open(&load, l, s->sc->other_cpu, gen, why, len);
	if (s->conn < 0)
		return -1;
	return serve(s, why, len);
}

static void put_counts(struct snap *s, uint64_t missed)
{
	struct kvset *x = &s->r->c.extra;
	size_t i, written = 0;

	for (i = 0; i < s->sc->pages; i++)
		written += s->dirty[i];
	kv_set(x, "fork_us", s->fork_ns / 1000);
	kv_set(x, "snapshot_us", s->snap_ns / 1000);
	kv_set(x, "cow_private_dirty_kb", s->out->private_dirty_kb);
	kv_set(x, "file_bytes", s->out->file_bytes);
	kv_set(x, "sets_during_snapshot", s->during);
	kv_set(x, "pages_written_snapshot", written);
	kv_set(x, "file_missed_keys", missed);
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

static void put_timing(struct snap *s, const struct wl_lat *l)
{
	struct kvset *x = &s->r->c.extra;

	kv_set(x, "sets_per_s", wl_lat_rate(l));
	wl_put_pcts(x, "set_snap_ns", &l->marked, 1);
	wl_put_pcts(x, "set_idle_ns", &l->unmarked, 1);
	s->r->lat = l->all;
	s->r->has_lat = true;
	s->r->window_ns = l->last_ns - l->first_ns;
	wl_timing_counts(s->r);
}

/* The generator reaped, the file checked; a missed COW fails the pass. */
static int conclude(struct snap *s, struct wl_lat *l, pid_t gen, char *why,
		    int len)
{
	uint64_t missed = 0;

	if (wl_load_close(gen, l, why, len))
		return -1;
	if (verify_file(s, &missed, why, len))
		return -1;
	s->r->ops = s->sets;
	if (!s->counting)
		put_timing(s, l);
	put_counts(s, missed);
	wl_put_procs(&s->r->c.extra, gen);
	if (missed && !s->counting) {
		s->r->status = ST_FAIL;
		snprintf(
			s->r->reason, sizeof(s->r->reason),
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
	free(s->seed);
	free(s->seed0);
	free(s->dirty);
	free(s->set_buf);
	free(s->pv);
}

static int snap_drive(struct sc *sc, struct record *r, char *why, int len)
{
	struct wl_lat *l = wl_lat_alloc();
	struct snap s = { .sc = sc, .r = r, .conn = -1, .file = -1 };
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
