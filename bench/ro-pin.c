// SPDX-License-Identifier: GPL-2.0
/*
 * R/O long-term pins (FOLL_PIN | FOLL_LONGTERM without FOLL_WRITE) through
 * CONFIG_GUP_TEST's /sys/kernel/debug/gup_test, by GUP or GUP-fast: such
 * a pin must stay reliable, i.e. a write after it must be seen through it.
 * A R/O pin of a page that may be shared takes an unshare fault first
 * (FAULT_FLAG_UNSHARE, 5.19: a7f226604170, "mm/gup: trigger
 * FAULT_FLAG_UNSHARE when R/O-pinning a possibly shared anonymous page"),
 * so that the pinned page is the writer's own; a rule that then copies at
 * the write fault (a page_count > 1 test) moves the writer away from its
 * pin: a wrong COW.
 *
 * ro-pin-shared   fork; the child holds the pages; the parent pins them
 *                 R/O and writes every page (the child must not see it)
 * ro-pin          prior = 1: previously shared (a child forked and exited
 *                 before the pin: mapped R/O, no longer shared); prior = 2:
 *                 R/O exclusive (mprotect RO and back, soft-dirty cleared
 *                 in between, no fork); then the pin and the writes
 *
 * The pin holder observes: PIN_LONGTERM_TEST_READ copies the pinned pages
 * out, and each must hold the byte we wrote.  Where the kernel has no
 * gup_test the checks are skips saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/knobs.h"
#include "bench.h"

#define GUP_TEST "/sys/kernel/debug/gup_test"

/* mm/gup_test.h (not exported to userspace headers) */
struct pin_longterm_test {
	uint64_t addr, size;
	uint32_t flags;
};
#define PIN_LONGTERM_TEST_START _IOW('g', 7, struct pin_longterm_test)
#define PIN_LONGTERM_TEST_STOP _IO('g', 8)
#define PIN_LONGTERM_TEST_READ _IOW('g', 9, uint64_t)
#define PIN_LONGTERM_TEST_FLAG_USE_FAST 2

struct ro_pin {
	int fd;
	bool pinned;
	char *ghost; /* test fault drop-pin: what the pin holds instead */
};

/*
 * gup_test, mounting debugfs if need be (the knobs undo it); >0: a skip.
 * $COWBENCH_GUP_TEST names another path (tests: the kernel without it).
 */
static int gup_open(struct ro_pin *p, char *why, int len)
{
	const char *path = getenv("COWBENCH_GUP_TEST");
	int err;

	path = path && *path ? path : GUP_TEST;
	if (access(path, F_OK) && !strcmp(path, GUP_TEST) &&
	    (err = knob_mount("debugfs", "/sys/kernel/debug"))) {
		snprintf(why, len, "mount debugfs for %s: %s", GUP_TEST,
			 strerror(-err));
		return -1;
	}
	p->fd = open(path, O_RDWR | O_CLOEXEC);
	if (p->fd >= 0)
		return 0;
	err = errno;
	snprintf(why, len, "%s: %s%s", path, strerror(err),
		 err == ENOENT ? " (the kernel lacks CONFIG_GUP_TEST)" : "");
	return err == ENOENT ? 1 : -1;
}

static int ro_init(struct sc *sc, char *why, int len)
{
	struct ro_pin *p = xcalloc(1, sizeof(*p));
	int ret;

	p->fd = -1;
	sc->priv = p;
	ret = gup_open(p, why, len);
	if (!ret && kv_get(sc->params, "prior", 0) == 1)
		ret = share_with_leaving_child(why, len);
	return ret;
}

static int take_pin(struct sc *sc, struct ro_pin *p, char *why, int len)
{
	struct pin_longterm_test t = {
		.addr = (uintptr_t)sc->buf,
		.size = sc->len,
		.flags = kv_get(sc->params, "fast", 0) ?
				 PIN_LONGTERM_TEST_FLAG_USE_FAST :
				 0,
	};

	if (test_fault("drop-pin")) {
		p->ghost =
			mmap(NULL, sc->len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p->ghost == MAP_FAILED) {
			p->ghost = NULL;
			snprintf(why, len, "drop-pin: mmap: %s",
				 strerror(errno));
			return -1;
		}
		memcpy(p->ghost, sc->buf, sc->len);
		t.addr = (uintptr_t)p->ghost;
	}
	/* EINVAL: a pin of gup_test's (one for the machine) is held */
	if (ioctl(p->fd, PIN_LONGTERM_TEST_START, &t)) {
		snprintf(why, len, "PIN_LONGTERM_TEST_START: %s",
			 strerror(errno));
		return -1;
	}
	p->pinned = true;
	return 0;
}

/*
 * R/O exclusive: mprotect RO and back with the soft-dirty bits cleared in
 * between, so that mprotect cannot map the pages writable again (stock's
 * can_change_pte_writable() upgrade wants a soft-dirty PTE once tracking
 * is on): the pin and the writes then meet R/O PTEs.  No soft-dirty
 * tracking, or a page still soft-dirty: a skip.
 */
static int ro_exclusive(struct sc *sc, char *why, int len)
{
	int fd, ok, err;
	long dirty;

	if (mprotect(sc->buf, sc->len, PROT_READ)) {
		snprintf(why, len, "mprotect: %s", strerror(errno));
		return -1;
	}
	fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	ok = fd >= 0 && write(fd, "4", 1) == 1;
	err = errno;
	if (fd >= 0)
		close(fd);
	if (!ok) {
		snprintf(
			why, len,
			"/proc/self/clear_refs 4: %s (no CONFIG_MEM_SOFT_DIRTY: mprotect would map the pages writable again)",
			strerror(err));
		return 1;
	}
	if (mprotect(sc->buf, sc->len, PROT_READ | PROT_WRITE)) {
		snprintf(why, len, "mprotect: %s", strerror(errno));
		return -1;
	}
	dirty = count_pagemap(sc, PM_SOFT_DIRTY);
	if (dirty) {
		snprintf(why, len,
			 "%ld of %zu pages soft-dirty after clear_refs", dirty,
			 sc->pages);
		return dirty < 0 ? -1 : 1;
	}
	return 0;
}

/* The writer, after the share: (the R/O round trip,) then the pin. */
static int ro_prepare(struct sc *sc, enum role r, char *why, int len)
{
	struct ro_pin *p = sc->priv;
	int ret = 0;

	if (r != ROLE_WRITER)
		return 0;
	if (kv_get(sc->params, "prior", 0) == 2)
		ret = ro_exclusive(sc, why, len);
	return ret ? ret : take_pin(sc, p, why, len);
}

static enum expect ro_expect(struct sc *sc, size_t i, const struct page_view *v)
{
	(void)sc, (void)i, (void)v;
	return EXP_OWN_PIN;
}

/* What the pin shows of each page must be the byte we wrote there. */
static int ro_observe(struct sc *sc, enum role r, struct page_view *pv,
		      char *why, int len)
{
	struct ro_pin *p = sc->priv;
	char *back;
	uint64_t to;
	size_t i;

	if (r != ROLE_WRITER) { /* the child: did our writes leak? */
		observe_reads(sc, pv, 1);
		return 0;
	}
	back = xcalloc(1, sc->len);
	to = (uintptr_t)back;
	if (ioctl(p->fd, PIN_LONGTERM_TEST_READ, &to)) {
		snprintf(why, len, "PIN_LONGTERM_TEST_READ: %s",
			 strerror(errno));
		free(back);
		return -1;
	}
	for (i = 0; i < sc->pages; i++) {
		size_t at = i * PAGE_SZ + sc->byte;

		pv[i].pin_lost = back[at] != sc->buf[at];
	}
	free(back);
	return 0;
}

static void ro_cleanup(struct sc *sc, enum role r)
{
	struct ro_pin *p = sc->priv;

	if (r != ROLE_WRITER || !p)
		return;
	if (p->pinned)
		ioctl(p->fd, PIN_LONGTERM_TEST_STOP);
	if (p->fd >= 0)
		close(p->fd);
	if (p->ghost)
		munmap(p->ghost, sc->len);
	free(p);
	sc->priv = NULL;
}

static const struct param_spec shared_params[] = {
	PAGES_PARAM("4 KiB pages in the region, pinned R/O and written"),
	FLAG_PARAM("fast", "1: GUP-fast (pin_user_pages_fast); 0: GUP"),
};

static const struct param_spec nofork_params[] = {
	PAGES_PARAM("4 KiB pages in the region, pinned R/O and written"),
	{ .name = "prior",
	  .type = CFG_INT,
	  .min = 1,
	  .max = 2,
	  .def = { 1, 2 },
	  .ndef = 2,
	  .desc = "1: previously shared (a child forked and exited); 2: R/O exclusive (mprotect RO and back, soft-dirty cleared)" },
	FLAG_PARAM("fast", "1: GUP-fast (pin_user_pages_fast); 0: GUP"),
};

/* the unshare at the pin replaces a shared page on purpose */
#define RO_PIN(nm, sh, prm, what)                                           \
	{                                                                   \
		.name = nm, .desc = what,                                   \
		.backings = BK_ANON | BK_SWAP | BK_FILE | BK_KSM,           \
		.params = prm, .nparams = ARRAY_SIZE(prm),                  \
		.populate = POP_WRITE, .share = sh, .share_reshapes = true, \
		.init = ro_init, .prepare = ro_prepare,                     \
		.expect_page = ro_expect, .observe = ro_observe,            \
		.cleanup = ro_cleanup,                                      \
	}

const struct scenario_ops sc_ro_pin_shared = RO_PIN(
	"ro-pin-shared", &share_parent_writes, shared_params,
	"fork; the parent pins the shared pages R/O (gup_test) and writes them: the pin must see the writes, the child must not");
const struct scenario_ops sc_ro_pin = RO_PIN(
	"ro-pin", &share_none, nofork_params,
	"previously shared or R/O exclusive pages pinned R/O (gup_test), then written: the pin must see the writes");
