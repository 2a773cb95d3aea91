// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagemap.h"
#include "util.h"

int pagemap_open(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int pagemap_read(int fd, const void *addr, size_t pages, uint64_t *out)
{
	off_t off = (uintptr_t)addr / PAGE_SZ * sizeof(uint64_t);
	size_t len = pages * sizeof(uint64_t), done = 0;

	while (done < len) {
		ssize_t n =
			pread(fd, (char *)out + done, len - done, off + done);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += n;
	}
	return 0;
}

int kpageflags_read(const uint64_t *pm, size_t pages, uint64_t *flags)
{
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	size_t i;

	if (fd < 0)
		return -errno;
	for (i = 0; i < pages; i++) {
		flags[i] = 0;
		if (!(pm[i] & PM_PRESENT) || !PM_PFN(pm[i]))
			continue;
		if (pread(fd, &flags[i], 8, PM_PFN(pm[i]) * 8) != 8) {
			close(fd);
			return -EIO;
		}
	}
	close(fd);
	return 0;
}

long folio_pages(uint64_t pfn, size_t max)
{
	uint64_t fl[512];
	size_t n = max - 1 < ARRAY_SIZE(fl) ? max - 1 : ARRAY_SIZE(fl), i;
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = pread(fd, fl, n * 8, (pfn + 1) * 8);
	close(fd);
	if (got < 0)
		return -errno;
	for (i = 0; i < (size_t)got / 8 && (fl[i] & KPF_COMPOUND_TAIL); i++)
		;
	return 1 + (long)i;
}

static int flags_of(int kfd, uint64_t e, uint64_t *flags)
{
	*flags = 0;
	if (!(e & PM_PRESENT) || !PM_PFN(e))
		return 0;
	return pread(kfd, flags, 8, PM_PFN(e) * 8) == 8 ? 0 : -EIO;
}

int pagemap_snap(const void *addr, size_t pages, uint64_t *out, uint64_t *flags,
		 size_t stride)
{
	uint64_t chunk[512];
	int fd = pagemap_open(), kfd = -1, ret = 0;
	size_t i, j, n;

	if (fd < 0)
		return fd;
	if (flags) {
		kfd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
		if (kfd < 0)
			ret = -errno;
	}
	for (i = 0; !ret && i < pages; i += n) {
		n = pages - i < 512 ? pages - i : 512;
		ret = pagemap_read(fd, (const char *)addr + i * PAGE_SZ, n,
				   chunk);
		for (j = 0; !ret && j < n; j++) {
			out[(i + j) * stride] = chunk[j];
			if (flags)
				ret = flags_of(kfd, chunk[j],
					       &flags[(i + j) * stride]);
		}
	}
	if (kfd >= 0)
		close(kfd);
	close(fd);
	return ret;
}

int pagemap_hidden(const uint64_t *pm, size_t pages, size_t stride)
{
	size_t i;

	for (i = 0; i < pages; i++)
		if ((pm[i * stride] & PM_PRESENT) && !PM_PFN(pm[i * stride]))
			return 1;
	return 0;
}

/*
 * Read-fault pages in.  $COWBENCH_NO_ZERO_PAGE=1 simulates a kernel that
 * maps no zero page on a read fault of anonymous memory (pvm_no_zero_page=1,
 * s390's mm_forbids_zeropage): it allocates a zeroed page instead, mapped
 * writable, which is what a write-populate gives.
 */
void read_fault(char *buf, size_t pages, bool anon)
{
	volatile char *p = buf;
	char sink = 0;
	size_t i;

	if (anon && env_flag("COWBENCH_NO_ZERO_PAGE") &&
	    !madvise(buf, pages * PAGE_SZ, MADV_POPULATE_WRITE))
		return;
	for (i = 0; i < pages; i++)
		sink ^= p[i * PAGE_SZ];
	(void)sink;
}

int zero_page_on_read(void)
{
	char *p = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t pm = 0, fl = 0;
	int ret = -1;

	if (p == MAP_FAILED)
		return -1;
	read_fault(p, 1, true);
	if (!pagemap_snap(p, 1, &pm, &fl, 1) && !pagemap_hidden(&pm, 1, 1))
		ret = !!(fl & KPF_ZERO_PAGE);
	munmap(p, PAGE_SZ);
	return ret;
}
