// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
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

enum pg_outcome pagemap_outcome(uint64_t before, uint64_t after,
				uint64_t flags_before)
{
	if (!(after & PM_PRESENT)) {
		if (before & PM_PRESENT)
			return PG_GONE;
		return PG_UNTOUCHED;
	}
	if (before & PM_SWAP)
		return PG_SWAPIN;
	if (!(before & PM_PRESENT) || (flags_before & KPF_ZERO_PAGE))
		return PG_POPULATE;
	return PM_PFN(before) == PM_PFN(after) ? PG_SAME : PG_COPY;
}
