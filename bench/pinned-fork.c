// SPDX-License-Identifier: GPL-2.0
/*
 * fork() with the first "pinned" bytes of the region registered as
 * io_uring fixed buffers (io_uring_register_buffers(): FOLL_PIN |
 * FOLL_LONGTERM).  fork() must not share a page a device may write:
 * the child gets a copy of every page of a folio with a pinned subpage
 * (copy_present_page(); a PMD is split first), the parent keeps the
 * pinned page.
 *
 * A description: the pins are taken in init, the harness forks the child
 * that holds the region (the fork's time is extra.fork_ns of the counting
 * pass), and the window is the parent's write to every page, so every
 * pass of a row times and counts the same op.  A pinned page must still be
 * the page the ring sees, which IORING_OP_WRITE_FIXED to a file and a read
 * back show (else wrong COW); the child's PFNs show which pages fork copied
 * (fork_copy) and its reads whether a write leaked.  mprotect = 1 makes the
 * region read-only and writable again between the fork and the writes: the
 * fixed-buffer check under which the page_count and always_copy policies
 * lose the pin.
 *
 * uffd_wp = 1 write-protects the region with userfaultfd (every PTE
 * marked) before the writes, and a thread resolves each write-protect
 * fault they take (bench/uffd-wp.c): the pin must see the writes too.
 *
 * pinned-nofork is the same without the fork: the pin must keep our writes
 * after a R/O round trip (mprotect or userfaultfd-wp) of our own exclusive
 * pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../lib/cfg.h"
#include "../lib/pagemap.h"
#include "bench.h"

#define IO_URING_DISABLED "/proc/sys/kernel/io_uring_disabled"
#define CHUNK (64UL << 20) /* bytes per fixed buffer (io_uring allows 1G) */
#define MAX_BUFS 16384 /* IORING_MAX_REG_BUFFERS */

/* pages, pinned, mprotect: both scenarios' */
#define PIN_PARAMS                                                                       \
	PAGES_PARAM("4 KiB pages in the region, one write each"),                        \
		{ .name = "pinned",                                                      \
		  .type = CFG_SIZE,                                                      \
		  .min = 0,                                                              \
		  .max = 1LL << 40,                                                      \
		  .def = { 0, 1 << 20, 2 << 20 },                                        \
		  .ndef = 3,                                                             \
		  .desc = "bytes from the region's start registered as fixed buffers" }, \
	{                                                                                \
		.name = "mprotect", .type = CFG_INT, .min = 0, .max = 1,                 \
		.def = { 0, 1 }, .ndef = 2,                                              \
		.desc = "1: PROT_READ and back between the fork and the writes"          \
	}

static const struct param_spec params[] = { PIN_PARAMS };

/* pinned-nofork: and a userfaultfd-wp round */
static const struct param_spec nofork_params[] = {
	PIN_PARAMS,
	{ .name = "uffd_wp",
	  .type = CFG_INT,
	  .min = 0,
	  .max = 1,
	  .def = { 0 },
	  .ndef = 1,
	  .desc = "1: userfaultfd write-protects the region and resolves it, before the writes" },
};

/* The writer's: the child never touches it. */
struct pin_state {
	struct io_uring ring;
	bool ring_up, registered, odirect;
	int fd, nbufs;
	struct uffd_wp uffd; /* uffd_wp = 1 */
	long uffd_left; /* marks left after the window (-1: unknown) */
	size_t pinned; /* pages */
	char *ghost; /* test fault drop-pin: what the ring holds instead */
	int64_t ring_same, ring_error; /* what observe found */
};

/* Checked while the matrix is planned: a bad value is exit 2 there. */
static size_t pin_region(const struct kvset *p)
{
	int64_t pages = kv_get(p, "pages", 0), pinned = kv_get(p, "pinned", 0);
	char a[32], b[32];

	fmt_size(a, sizeof(a), pinned);
	fmt_size(b, sizeof(b), pages * PAGE_SZ);
	if (pinned > pages * (int64_t)PAGE_SZ)
		die(EXIT_USAGE,
		    "pinned-fork: pinned = %s is more than the region (pages = %lld, %s)",
		    a, (long long)pages, b);
	if (pinned % PAGE_SZ)
		die(EXIT_USAGE,
		    "pinned-fork: pinned = %s is not a whole number of 4 KiB pages",
		    a);
	return pages;
}

/* io_uring refused here (a skip, with why), or failed (an error). */
static int ring_refused(int err, char *why, int len)
{
	char dis[16] = "absent";

	if (read_text(IO_URING_DISABLED, dis, sizeof(dis)) > 0)
		strtrim(dis);
	snprintf(why, len,
		 "io_uring_setup: %s (kernel.io_uring_disabled = %s%s)",
		 strerror(err), dis,
		 err == ENOSYS ? ", or no CONFIG_IO_URING" : "");
	return err == ENOSYS || err == EPERM || err == EACCES ? 1 : -1;
}

static int pin_register(struct pin_state *p, char *base, char *why, int len)
{
	size_t bytes = p->pinned * PAGE_SZ, off;
	struct iovec *iov = xcalloc(bytes / CHUNK + 1, sizeof(*iov));
	struct rlimit rl = { 0 };
	int ret;

	for (off = 0; off < bytes; off += CHUNK, p->nbufs++) {
		iov[p->nbufs].iov_base = base + off;
		iov[p->nbufs].iov_len =
			bytes - off < CHUNK ? bytes - off : CHUNK;
	}
	ret = p->nbufs > MAX_BUFS ?
		      -E2BIG :
		      io_uring_register_buffers(&p->ring, iov, p->nbufs);
	free(iov);
	p->registered = !ret;
	if (!ret)
		return 0;
	getrlimit(RLIMIT_MEMLOCK, &rl);
	snprintf(
		why, len,
		"io_uring_register_buffers of %zu kB: %s (RLIMIT_MEMLOCK %lld kB; pins count against it without CAP_IPC_LOCK)",
		bytes >> 10, strerror(-ret),
		rl.rlim_cur == RLIM_INFINITY ? -1LL :
					       (long long)(rl.rlim_cur >> 10));
	return -ret == ENOMEM || -ret == EPERM || -ret == EOPNOTSUPP ? 1 : -1;
}

/* O_DIRECT where the file system takes it; the ring reads the pin either way. */
static int open_target(struct sc *sc, struct pin_state *p, char *why, int len)
{
	p->odirect = true;
	p->fd = open(sc->workdir, O_TMPFILE | O_RDWR | O_DIRECT, 0600);
	if (p->fd < 0 && errno == EINVAL) {
		p->odirect = false;
		p->fd = open(sc->workdir, O_TMPFILE | O_RDWR, 0600);
	}
	if (p->fd >= 0)
		return 0;
	snprintf(why, len, "O_TMPFILE in %s: %s", sc->workdir, strerror(errno));
	return -1;
}

/* Pins can migrate what they pin (FOLL_LONGTERM): the backing again. */
static int pin_setup(struct sc *sc, struct pin_state *p, char *why, int len)
{
	int ret = io_uring_queue_init(8, &p->ring, 0);

	if (ret)
		return ring_refused(-ret, why, len);
	p->ring_up = true;
	ret = open_target(sc, p, why, len);
	if (!ret)
		ret = pin_register(p, sc->buf, why, len);
	if (!ret)
		ret = sc->bk->ops->verify(sc, why, len);
	return ret;
}

static int pin_init(struct sc *sc, char *why, int len)
{
	struct pin_state *p = xcalloc(1, sizeof(*p));

	(void)why;
	(void)len;
	p->fd = -1;
	p->uffd.uffd = p->uffd.stop = -1;
	p->pinned = kv_get(sc->params, "pinned", 0) / PAGE_SZ;
	sc->priv = p;
	return p->pinned ? pin_setup(sc, p, why, len) : 0;
}

/*
 * Test fault drop-pin: the ring's buffers move to a copy taken before the
 * window, as if the pinned pages had been COWed away from the pin.  Every
 * written pinned page must then read as a wrong COW.
 */
static int drop_pin(struct sc *sc, struct pin_state *p, char *why, int len)
{
	size_t bytes = p->pinned * PAGE_SZ;

	p->ghost = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->ghost == MAP_FAILED) {
		p->ghost = NULL;
		snprintf(why, len, "drop-pin: mmap: %s", strerror(errno));
		return -1;
	}
	memcpy(p->ghost, sc->buf, bytes);
	io_uring_unregister_buffers(&p->ring);
	p->nbufs = 0;
	return pin_register(p, p->ghost, why, len) ? -1 : 0;
}

/* After the fork: the mprotect pair or the uffd-wp arming, the test fault. */
static int pin_prepare(struct sc *sc, enum role r, char *why, int len)
{
	struct pin_state *p = sc->priv;

	if (r != ROLE_WRITER)
		return 0;
	if (kv_get(sc->params, "mprotect", 0) &&
	    mprotect_round_trip(sc, why, len))
		return -1;
	if (kv_get(sc->params, "uffd_wp", 0)) {
		int ret = uffd_wp_arm(&p->uffd, sc, why, len);

		if (ret)
			return ret;
	}
	if (p->pinned && test_fault("drop-pin"))
		return drop_pin(sc, p, why, len);
	return 0;
}

/* Our own pin, a page the child maps too, or one fork gave it a copy of. */
static enum expect pin_expect(struct sc *sc, size_t i,
			      const struct page_view *v)
{
	struct pin_state *p = sc->priv;

	if (i < p->pinned)
		return EXP_OWN_PIN;
	return same_page(v) ? EXP_SHARED : EXP_EXCLUSIVE;
}

/* Every fixed buffer out to the file through the ring; 0 or -errno. */
static int ring_write_out(struct pin_state *p, char *base)
{
	size_t bytes = p->pinned * PAGE_SZ;
	struct io_uring_cqe *cqe;
	int b, ret = 0;

	for (b = 0; b < p->nbufs; b++) {
		size_t off = b * CHUNK,
		       n = bytes - off < CHUNK ? bytes - off : CHUNK;
		struct io_uring_sqe *sqe = io_uring_get_sqe(&p->ring);

		if (!sqe)
			return -EBUSY;
		io_uring_prep_write_fixed(sqe, p->fd, base + off, n, off, b);
		ret = io_uring_submit_and_wait(&p->ring, 1);
		if (ret >= 0)
			ret = io_uring_wait_cqe(&p->ring, &cqe);
		if (ret < 0)
			return ret;
		ret = cqe->res == (int)n ? 0 : cqe->res < 0 ? cqe->res : -EIO;
		io_uring_cqe_seen(&p->ring, cqe);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The pin holder observes: what the ring wrote out must be what we see.
 * A ring or a read-back that fails has observed nothing: an error (with
 * ring_error in extra), never a lost pin.
 */
static int check_pins(struct sc *sc, struct pin_state *p, struct page_view *pv)
{
	char *back = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret;
	size_t i, same = 0;

	if (test_fault("ring-error") && p->fd >= 0) {
		close(p->fd); /* the ring's target is gone: it cannot show */
		p->fd = -1;
	}
	ret = back == MAP_FAILED ? -ENOMEM :
				   ring_write_out(p, p->ghost ?: sc->buf);
	for (i = 0; !ret && i < p->pinned; i++) {
		if (pread(p->fd, back, PAGE_SZ, i * PAGE_SZ) != PAGE_SZ)
			ret = errno ? -errno : -EIO;
		else
			pv[i].pin_lost =
				!!memcmp(back, sc->buf + i * PAGE_SZ, PAGE_SZ);
		same += !ret && !pv[i].pin_lost;
	}
	if (back != MAP_FAILED)
		munmap(back, PAGE_SZ);
	p->ring_same = same;
	p->ring_error = -ret;
	return ret;
}

static int pin_observe(struct sc *sc, enum role r, struct page_view *pv,
		       char *why, int len)
{
	struct pin_state *p = sc->priv;
	int err;

	if (r != ROLE_WRITER) { /* the child: did our writes leak? */
		observe_reads(sc, pv, 1);
		return 0;
	}
	if (kv_get(sc->params, "uffd_wp", 0)) {
		p->uffd_left = count_pagemap(sc, PM_UFFD_WP);
		err = uffd_wp_disarm(&p->uffd);
		if (err || !p->uffd.faults) {
			snprintf(why, len, "the userfaultfd thread: %s",
				 err ? strerror(-err) :
				       "no write-protect fault reached it");
			return -1;
		}
	}
	err = p->pinned ? check_pins(sc, p, pv) : 0;
	if (err)
		snprintf(why, len, "the ring's write-back of the pins: %s",
			 strerror(-err));
	return err ? -1 : 0;
}

static void pin_extra(struct sc *sc, struct kvset *extra)
{
	struct pin_state *p = sc->priv;

	kv_set(extra, "pinned_pages", p->pinned);
	if (sc->ops->share->other != OTHER_NONE)
		kv_set(extra, "fork_ns", sc->fork_ns);
	if (p->pinned) {
		kv_set(extra, "ring_pages_same", p->ring_same);
		kv_set(extra, "ring_odirect", p->odirect);
	}
	if (p->ring_error)
		kv_set(extra, "ring_error", p->ring_error);
	if (kv_get(sc->params, "uffd_wp", 0)) {
		kv_set(extra, "uffd_wp_faults", (int64_t)p->uffd.faults);
		kv_set(extra, "uffd_wp_left", p->uffd_left);
	}
}

/* Give the pins and the ring back. */
static void pin_cleanup(struct sc *sc, enum role r)
{
	struct pin_state *p = sc->priv;

	if (r != ROLE_WRITER || !p)
		return;
	if (p->registered)
		io_uring_unregister_buffers(&p->ring);
	if (p->ring_up)
		io_uring_queue_exit(&p->ring);
	if (p->fd >= 0)
		close(p->fd);
	if (p->ghost)
		munmap(p->ghost, p->pinned * PAGE_SZ);
	uffd_wp_disarm(&p->uffd);
	free(p);
}

/* fork copies what a pin holds: a pinned THP's PMD is split on purpose */
#define PINNED(nm, sh, prm, what)                                             \
	{                                                                     \
		.name = nm, .desc = what, .backings = BK_ANON, .params = prm, \
		.nparams = ARRAY_SIZE(prm), .populate = POP_WRITE,            \
		.share = sh, .share_reshapes = true,                          \
		.region_pages = pin_region, .init = pin_init,                 \
		.prepare = pin_prepare, .expect_page = pin_expect,            \
		.observe = pin_observe, .extra = pin_extra,                   \
		.cleanup = pin_cleanup,                                       \
	}

const struct scenario_ops sc_pinned_fork = PINNED(
	"pinned-fork", &share_parent_writes, params,
	"io_uring fixed buffers over the region, then fork; the parent writes every page: pages copied at fork, the pin keeps the writes (fork time in extra)");
const struct scenario_ops sc_pinned_nofork = PINNED(
	"pinned-nofork", &share_none, nofork_params,
	"io_uring fixed buffers over the region, (mprotect RO and back,) then our own writes: the pin keeps them");
