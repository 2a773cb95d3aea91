// SPDX-License-Identifier: GPL-2.0
/*
 * The Copy-on-Pin paper's write-fault-duration measurement as a
 * standalone loop, to set beside 'cowbench run -s mprotect': one process
 * maps PAGES anonymous 4 KiB pages (THP off) and writes each once; then,
 * ITERATIONS times, mprotect(PROT_READ), mprotect(PROT_READ | PROT_WRITE)
 * and one timed write per page.  Prints each iteration's ns per write;
 * the caller discards the first ones.
 *
 * -f: before each iteration, map, touch and unmap 1 GiB elsewhere: the
 * perturbation this hypervisor shows after memory is freed just before a
 * window (docs/harness.md), which cowbench's warm-up must not cause.
 *
 * usage: mprotect-ref [-f] PAGES ITERATIONS
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define FREED (1UL << 30)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Memory allocated, touched and freed just before the window. */
static int free_before(void)
{
	char *p = mmap(NULL, FREED, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < FREED; i += PAGE)
		p[i] = 1;
	return munmap(p, FREED);
}

static int iteration(char *buf, size_t pages, int perturb, double *ns)
{
	uint64_t t0;
	size_t i;

	if (perturb && free_before())
		return -1;
	if (mprotect(buf, pages * PAGE, PROT_READ) ||
	    mprotect(buf, pages * PAGE, PROT_READ | PROT_WRITE))
		return -1;
	t0 = now_ns();
	for (i = 0; i < pages; i++)
		((volatile char *)buf)[i * PAGE] = (char)i;
	*ns = (double)(now_ns() - t0) / (double)pages;
	return 0;
}

int main(int argc, char **argv)
{
	int perturb = argc > 1 && !strcmp(argv[1], "-f");
	size_t pages, i;
	long iters, k;
	double ns;
	char *buf;

	if (argc != 3 + perturb) {
		fprintf(stderr, "usage: mprotect-ref [-f] PAGES ITERATIONS\n");
		return 2;
	}
	pages = strtoul(argv[1 + perturb], NULL, 10);
	iters = strtol(argv[2 + perturb], NULL, 10);
	if (!pages || iters < 1) {
		fprintf(stderr, "mprotect-ref: PAGES and ITERATIONS >= 1\n");
		return 2;
	}
	buf = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || madvise(buf, pages * PAGE, MADV_NOHUGEPAGE)) {
		perror("mprotect-ref: mmap");
		return 1;
	}
	for (i = 0; i < pages; i++)
		buf[i * PAGE] = 1;
	for (k = 0; k < iters; k++) {
		if (iteration(buf, pages, perturb, &ns)) {
			perror("mprotect-ref");
			return 1;
		}
		printf("%.1f\n", ns);
	}
	return 0;
}
