// SPDX-License-Identifier: GPL-2.0
/*
 * cowcheck: prove, inside a guest, what the kernel's anonymous COW reuse
 * policy did. Four checks, one output line each:
 *
 *   vmsplice  a forked child vmsplice()s a page into a pipe and unmaps it;
 *             the parent writes the page; the pipe reader reads it.
 *             Old bytes: ok. New bytes: missed COW (CVE-2020-29374).
 *   uring     an io_uring fixed buffer over our own anonymous pages,
 *             mprotect(PROT_READ) then back to RW, then we write; a
 *             IORING_OP_WRITE_FIXED copies the buffer to a file on ext4
 *             and we read it back. Our bytes: ok. Old bytes: wrong COW
 *             (the write went to a copy the pin does not see).
 *   swapin    pages paged out (MADV_PAGEOUT) to the swap, read back in
 *             (PFN = the swap-cache folio), then written: reused or copied.
 *             Needs root (pagemap PFNs) and swap.
 *   mprotect  exclusive pages, mprotect RO then RW, then written: write
 *             faults (getrusage minflt) and reused or copied (PFNs).
 *
 * Each line: `check=NAME verdict=V key=value...` with V one of ok,
 * missed_cow, wrong_cow, skip. Counts come from pagemap, getrusage and
 * the deltas of the /proc/vmstat COW events (cow_* from the cowbench
 * policy patch; absent on other kernels, then `vmstat=absent`).
 *
 * Usage: cowcheck [--dir DIR] [--pages N] [--policy P] [CHECK...]
 *   --dir     where the uring check writes its file (default
 *             $COWBENCH_DISK, else .); use a block-device filesystem
 *   --policy  write P to /proc/sys/vm/cow_policy first (run-time switch)
 * Exit status: 0 when every check ran (whatever the verdict), 1 on an
 * error, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PM_PFN_MASK	((1ULL << 55) - 1)
#define PM_SWAP		(1ULL << 62)
#define PM_PRESENT	(1ULL << 63)

static long psz;
static int npages = 16;
static const char *dir;

static const char *const vm_events[] = {
	"cow_pte_copy", "cow_pte_reuse", "cow_pmd_reuse", "cow_pmd_fallback",
	"cow_unshare_copy", "cow_unshare_reuse", "cow_swapin_reuse",
	"cow_fork_pinned_copy", "pgreuse",
};
#define NR_EVENTS (sizeof(vm_events) / sizeof(vm_events[0]))

struct vmsnap {
	long long v[NR_EVENTS];
	int have_cow;
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "cowcheck: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	exit(1);
}

static void vm_read(struct vmsnap *s)
{
	char name[64];
	long long val;
	FILE *f = fopen("/proc/vmstat", "r");
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!f)
		return;
	while (fscanf(f, "%63s %lld", name, &val) == 2) {
		for (i = 0; i < NR_EVENTS; i++) {
			if (strcmp(name, vm_events[i]))
				continue;
			s->v[i] = val;
			if (i == 0)
				s->have_cow = 1;
		}
	}
	fclose(f);
}

/* Append " vm_<event>=<delta>" for every non-zero delta. */
static void vm_print(const struct vmsnap *a, const struct vmsnap *b)
{
	size_t i;

	if (!b->have_cow)
		printf(" vmstat=absent");
	for (i = 0; i < NR_EVENTS; i++) {
		if (!b->have_cow && i + 1 < NR_EVENTS)
			continue;
		printf(" vm_%s=%lld", vm_events[i], b->v[i] - a->v[i]);
	}
}

static long vm_delta(const struct vmsnap *a, const struct vmsnap *b,
		     const char *ev)
{
	size_t i;

	for (i = 0; i < NR_EVENTS; i++)
		if (!strcmp(vm_events[i], ev))
			return b->v[i] - a->v[i];
	return 0;
}

/* One pagemap entry per page of [p, p + n pages). */
static int pagemap(const void *p, int n, uint64_t *ent)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	off_t off = (uintptr_t)p / psz * sizeof(uint64_t);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = pread(fd, ent, n * sizeof(uint64_t), off);
	close(fd);
	return r == (ssize_t)(n * sizeof(uint64_t)) ? 0 : -1;
}

/* 1 when the kernel gives us real PFNs (root), 0 when it hides them. */
static int pfns_visible(const uint64_t *ent, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if ((ent[i] & PM_PRESENT) && (ent[i] & PM_PFN_MASK))
			return 1;
	return 0;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static char *map_pages(int n)
{
	char *p = mmap(NULL, n * psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	/* Base pages only: THP would change the path taken. */
	madvise(p, n * psz, MADV_NOHUGEPAGE);
	return p;
}

static void fill(char *p, int n, char c)
{
	int i;

	for (i = 0; i < n; i++)
		memset(p + i * psz, c, psz);
}

/* Write one byte per page, counting the faults it takes. */
static long write_pages(volatile char *p, int n, char c)
{
	long f0 = minflt();
	int i;

	for (i = 0; i < n; i++)
		p[i * psz] = c;
	return minflt() - f0;
}

/*
 * mprotect(PROT_READ) and back, then one write per page, between PFN and
 * vmstat snapshots: the faults it took.
 */
static long mprotect_and_write(char *p, int n, uint64_t *before,
			       uint64_t *after, struct vmsnap *s0,
			       struct vmsnap *s1)
{
	long faults;

	if (mprotect(p, n * psz, PROT_READ) ||
	    mprotect(p, n * psz, PROT_READ | PROT_WRITE))
		die("mprotect");
	pagemap(p, n, before);
	vm_read(s0);
	faults = write_pages(p, n, 'B');
	vm_read(s1);
	pagemap(p, n, after);
	return faults;
}

static void count_pfns(const uint64_t *a, const uint64_t *b, int n,
		       int *copied, int *reused)
{
	int i;

	*copied = *reused = 0;
	for (i = 0; i < n; i++) {
		if (!(a[i] & PM_PRESENT) || !(b[i] & PM_PRESENT))
			continue;
		if ((a[i] & PM_PFN_MASK) == (b[i] & PM_PFN_MASK))
			(*reused)++;
		else
			(*copied)++;
	}
}

/* ---- (a) vmsplice + unmap in the child, parent writes */
static void check_vmsplice(void)
{
	uint64_t before, after;
	struct vmsnap s0, s1;
	int fds[2], status, copied, reused;
	char *p = map_pages(1), *buf;
	struct iovec iov;
	long faults;
	pid_t pid;

	fill(p, 1, 'A');
	if (pipe(fds))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		iov.iov_base = p;
		iov.iov_len = psz;
		if (vmsplice(fds[1], &iov, 1, 0) != psz)
			_exit(3);
		munmap(p, psz);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		printf("check=vmsplice verdict=skip reason=child_vmsplice_failed\n");
		return;
	}
	pagemap(p, 1, &before);
	vm_read(&s0);
	faults = write_pages(p, 1, 'B');
	vm_read(&s1);
	pagemap(p, 1, &after);
	buf = malloc(psz);
	if (!buf || read(fds[0], buf, psz) != psz)
		die("read pipe");
	count_pfns(&before, &after, 1, &copied, &reused);
	printf("check=vmsplice verdict=%s reader_saw=%c faults=%ld",
	       buf[0] == 'B' ? "missed_cow" : "ok", buf[0], faults);
	if (pfns_visible(&before, 1))
		printf(" copied=%d reused=%d", copied, reused);
	vm_print(&s0, &s1);
	printf("\n");
	free(buf);
	close(fds[0]);
	close(fds[1]);
	munmap(p, psz);
}

/* ---- (b) io_uring fixed buffer, mprotect RO -> RW, write, WRITE_FIXED */
static void check_uring(void)
{
	int n = npages, fd, ret, copied, reused, lost = 0, i;
	uint64_t *before = calloc(n, 8), *after = calloc(n, 8);
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct vmsnap s0, s1;
	char path[4096], *back;
	struct iovec iov;
	long faults;
	char *p;

	snprintf(path, sizeof(path), "%s/cowcheck-uring.dat", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die("open %s", path);
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret) {
		printf("check=uring verdict=skip reason=io_uring_queue_init_%s\n",
		       strerror(-ret));
		close(fd);
		return;
	}
	p = map_pages(n);
	fill(p, n, 'A');
	iov.iov_base = p;
	iov.iov_len = n * psz;
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret) {
		printf("check=uring verdict=skip reason=register_buffers_%s\n",
		       strerror(-ret));
		goto out;
	}
	faults = mprotect_and_write(p, n, before, after, &s0, &s1);

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write_fixed(sqe, fd, p, n * psz, 0, 0);
	ret = io_uring_submit_and_wait(&ring, 1);
	if (ret < 0 || io_uring_wait_cqe(&ring, &cqe))
		die("io_uring submit");
	if (cqe->res != n * psz) {
		errno = cqe->res < 0 ? -cqe->res : EIO;
		die("IORING_OP_WRITE_FIXED");
	}
	io_uring_cqe_seen(&ring, cqe);
	back = malloc(n * psz);
	if (!back || pread(fd, back, n * psz, 0) != n * psz)
		die("pread %s", path);
	for (i = 0; i < n; i++)
		lost += back[i * psz] != 'B';
	count_pfns(before, after, n, &copied, &reused);
	printf("check=uring verdict=%s pages=%d pin_lost=%d faults=%ld",
	       lost ? "wrong_cow" : "ok", n, lost, faults);
	if (pfns_visible(before, n))
		printf(" copied=%d reused=%d", copied, reused);
	vm_print(&s0, &s1);
	printf("\n");
	free(back);
	io_uring_unregister_buffers(&ring);
out:
	io_uring_queue_exit(&ring);
	munmap(p, n * psz);
	close(fd);
	unlink(path);
	free(before);
	free(after);
}

/* Page the range out; return how many pages the pagemap shows swapped. */
static int page_out(char *p, int n, uint64_t *ent)
{
	int i, tries, swapped = 0;

	for (tries = 0; tries < 5 && swapped < n; tries++) {
		if (madvise(p, n * psz, MADV_PAGEOUT))
			return -1;
		pagemap(p, n, ent);
		for (swapped = 0, i = 0; i < n; i++)
			swapped += !!(ent[i] & PM_SWAP);
	}
	return swapped;
}

/* ---- (c) swap-in then write: reuse or copy of the swap-cache folio */
static void check_swapin(void)
{
	int n = npages, swapped, copied, reused, i;
	uint64_t *ent = calloc(n, 8), *ref = calloc(n, 8), *after = calloc(n, 8);
	struct vmsnap s0, s1;
	volatile char sink;
	long rfaults, wfaults;
	char *p = map_pages(n);

	fill(p, n, 'A');
	swapped = page_out(p, n, ent);
	if (swapped < 0) {
		printf("check=swapin verdict=skip reason=MADV_PAGEOUT_%s\n",
		       strerror(errno));
		goto out;
	}
	if (swapped < n) {
		printf("check=swapin verdict=skip reason=only_%d_of_%d_pages_swapped_out\n",
		       swapped, n);
		goto out;
	}
	/* A read fault swaps in: its PFN is the swap-cache folio's. */
	rfaults = minflt();
	for (i = 0; i < n; i++)
		sink = p[i * psz];
	(void)sink;
	rfaults = minflt() - rfaults;
	pagemap(p, n, ref);
	if (!pfns_visible(ref, n)) {
		printf("check=swapin verdict=skip reason=pagemap_hides_pfns(not_root)\n");
		goto out;
	}
	vm_read(&s0);
	wfaults = write_pages(p, n, 'B');
	vm_read(&s1);
	pagemap(p, n, after);
	count_pfns(ref, after, n, &copied, &reused);
	printf("check=swapin verdict=ok pages=%d swapped=%d read_minflt=%ld faults=%ld copied=%d reused=%d",
	       n, swapped, rfaults, wfaults, copied, reused);
	vm_print(&s0, &s1);
	printf("\n");

	/* Same, but the swap-in fault is itself the write. */
	swapped = page_out(p, n, ent);
	if (swapped != n) {
		printf("check=swapin-write verdict=skip reason=only_%d_of_%d_pages_swapped_out\n",
		       swapped, n);
		goto out;
	}
	vm_read(&s0);
	wfaults = write_pages(p, n, 'C');
	vm_read(&s1);
	/* No PFN before: classify from the policy patch's events. */
	printf("check=swapin-write verdict=ok pages=%d swapped=%d faults=%ld",
	       n, swapped, wfaults);
	if (s1.have_cow)
		printf(" copied=%ld reused=%ld",
		       vm_delta(&s0, &s1, "cow_pte_copy"),
		       vm_delta(&s0, &s1, "cow_pte_reuse") +
		       vm_delta(&s0, &s1, "cow_swapin_reuse"));
	vm_print(&s0, &s1);
	printf("\n");
out:
	munmap(p, n * psz);
	free(ent);
	free(ref);
	free(after);
}

/* ---- (d) exclusive pages, mprotect RO -> RW, write */
static void check_mprotect(void)
{
	int n = npages, copied, reused;
	uint64_t *before = calloc(n, 8), *after = calloc(n, 8);
	struct vmsnap s0, s1;
	char *p = map_pages(n);
	long faults;

	fill(p, n, 'A');
	faults = mprotect_and_write(p, n, before, after, &s0, &s1);
	printf("check=mprotect verdict=ok pages=%d faults=%ld", n, faults);
	if (pfns_visible(before, n)) {
		count_pfns(before, after, n, &copied, &reused);
		printf(" copied=%d reused=%d", copied, reused);
	}
	vm_print(&s0, &s1);
	printf("\n");
	munmap(p, n * psz);
	free(before);
	free(after);
}

static const struct {
	const char *name;
	void (*fn)(void);
} checks[] = {
	{ "vmsplice", check_vmsplice },
	{ "uring", check_uring },
	{ "swapin", check_swapin },
	{ "mprotect", check_mprotect },
};
#define NR_CHECKS (sizeof(checks) / sizeof(checks[0]))

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: cowcheck [--dir DIR] [--pages N] [--policy P] [CHECK...]\nchecks:");
	for (i = 0; i < NR_CHECKS; i++)
		fprintf(stderr, " %s", checks[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

static void set_policy(const char *p)
{
	int fd = open("/proc/sys/vm/cow_policy", O_WRONLY);

	if (fd < 0 || write(fd, p, strlen(p)) != (ssize_t)strlen(p))
		die("set /proc/sys/vm/cow_policy to %s", p);
	close(fd);
}

static void print_policy(void)
{
	char buf[64] = "";
	FILE *f = fopen("/proc/sys/vm/cow_policy", "r");

	if (f && fgets(buf, sizeof(buf), f))
		buf[strcspn(buf, "\n")] = 0;
	if (f)
		fclose(f);
	printf("policy=%s\n", buf[0] ? buf : "none(unpatched_kernel)");
}

int main(int argc, char **argv)
{
	const char *policy = NULL;
	int i, any = 0;
	size_t c;

	psz = sysconf(_SC_PAGESIZE);
	dir = getenv("COWBENCH_DISK") ? getenv("COWBENCH_DISK") : ".";
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strcmp(argv[i], "--pages") && i + 1 < argc) {
			npages = atoi(argv[++i]);
			if (npages < 1 || npages > 65536)
				usage();
		} else if (!strcmp(argv[i], "--policy") && i + 1 < argc) {
			policy = argv[++i];
		} else {
			usage();
		}
	}
	for (int j = i; j < argc; j++) {
		for (c = 0; c < NR_CHECKS; c++)
			if (!strcmp(argv[j], checks[c].name))
				break;
		if (c == NR_CHECKS)
			usage();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (policy)
		set_policy(policy);
	print_policy();
	for (c = 0; c < NR_CHECKS; c++) {
		if (i < argc) {
			int want = 0;

			for (int j = i; j < argc; j++)
				want |= !strcmp(argv[j], checks[c].name);
			if (!want)
				continue;
		}
		checks[c].fn();
		any = 1;
	}
	return any ? 0 : 1;
}
