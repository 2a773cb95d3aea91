// SPDX-License-Identifier: GPL-2.0
/*
 * userfaultfd write-protection of a region, resolved fault by fault: every
 * PTE marked (pagemap bit 57, checked: else a skip), then a thread answers
 * each write-protect fault (UFFD_PAGEFAULT_FLAG_WP) by un-protecting that
 * page, so the write goes through handle_userfault() and is retried.  The
 * un-protect itself may map an exclusive page writable (stock's
 * MM_CP_TRY_CHANGE_WRITABLE upgrade): then the retry takes no do_wp_page();
 * where a policy does not upgrade, the retry's write fault is the reuse
 * rule's.  The faults it answered and the marks left afterwards are the
 * caller's to report.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/pagemap.h"
#include "bench.h"

static int wp_range(int uffd, uint64_t start, uint64_t len, bool wp)
{
	struct uffdio_writeprotect w = {
		.range = { start, len },
		.mode = wp ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(uffd, UFFDIO_WRITEPROTECT, &w);
}

/* One message: a write-protect fault answered, 0; nothing yet, 1; <0. */
static int answer(struct uffd_wp *u)
{
	struct uffd_msg msg;
	uint64_t page;

	if (read(u->uffd, &msg, sizeof(msg)) != sizeof(msg))
		return errno == EAGAIN ? 1 : -errno;
	if (msg.event != UFFD_EVENT_PAGEFAULT ||
	    !(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP))
		return -EPROTO;
	page = msg.arg.pagefault.address & ~(uint64_t)(PAGE_SZ - 1);
	if (wp_range(u->uffd, page, PAGE_SZ, false))
		return -errno;
	u->faults++;
	return 0;
}

/*
 * Until disarmed: answer every fault.  On an error, un-protect the whole
 * range first (that wakes every waiting writer) so that no write of the
 * window is left blocked in handle_userfault(); the error is the pass's.
 */
static void *resolver(void *arg)
{
	struct uffd_wp *u = arg;
	struct pollfd fds[2] = { { u->uffd, POLLIN, 0 },
				 { u->stop, POLLIN, 0 } };
	int ret = 0;

	while (!ret && !(fds[1].revents & POLLIN) && !u->quit) {
		if (poll(fds, 2, 100) < 0 && errno != EINTR)
			ret = -errno;
		while (!ret && (fds[0].revents & POLLIN) && !(ret = answer(u)))
			;
		ret = ret == 1 ? 0 : ret;
	}
	if (ret)
		wp_range(u->uffd, u->start, u->len, false);
	u->err = -ret;
	return NULL;
}

static int open_uffd(struct uffd_wp *u, char *buf, size_t len, char *why,
		     int wlen)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	struct uffdio_register reg = {
		.range = { (uintptr_t)buf, len },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};

	u->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u->uffd < 0 || ioctl(u->uffd, UFFDIO_API, &api)) {
		int err = errno;

		snprintf(why, wlen, "userfaultfd with write-protect: %s",
			 strerror(err));
		return err == ENOSYS || err == EINVAL || err == EPERM ? 1 : -1;
	}
	if (ioctl(u->uffd, UFFDIO_REGISTER, &reg) ||
	    wp_range(u->uffd, (uintptr_t)buf, len, true)) {
		int err = errno;

		snprintf(why, wlen, "UFFDIO_REGISTER/WRITEPROTECT: %s",
			 strerror(err));
		return err == EINVAL ? 1 : -1;
	}
	return 0;
}

int uffd_wp_arm(struct uffd_wp *u, struct sc *sc, char *why, int len)
{
	long marked;
	int ret;

	memset(u, 0, sizeof(*u));
	u->uffd = u->stop = -1;
	u->start = (uintptr_t)sc->buf;
	u->len = sc->len;
	ret = open_uffd(u, sc->buf, sc->len, why, len);
	if (ret)
		return ret;
	marked = count_pagemap(sc, PM_UFFD_WP);
	if (marked != (long)sc->pages) {
		snprintf(
			why, len,
			"UFFDIO_WRITEPROTECT marked %ld of %zu PTEs (pagemap bit 57)",
			marked, sc->pages);
		return marked < 0 ? -1 : 1;
	}
	u->stop = eventfd(0, EFD_CLOEXEC);
	ret = u->stop < 0 ? errno :
			    pthread_create(&u->thread, NULL, resolver, u);
	if (ret) {
		snprintf(why, len, "the userfaultfd thread: %s", strerror(ret));
		return -1;
	}
	u->running = true;
	return 0;
}

int uffd_wp_disarm(struct uffd_wp *u)
{
	uint64_t one = 1;

	if (u->running) {
		/* the flag, should the eventfd fail: the thread polls it too */
		u->quit = 1;
		if (write(u->stop, &one, sizeof(one)) != sizeof(one))
			u->err = u->err ?: errno;
		pthread_join(u->thread, NULL);
		u->running = false;
	}
	if (u->stop >= 0)
		close(u->stop);
	if (u->uffd >= 0)
		close(u->uffd);
	u->stop = u->uffd = -1;
	return -u->err;
}
