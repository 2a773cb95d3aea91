/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_PAGEMAP_H
#define COWBENCH_PAGEMAP_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* Documentation/admin-guide/mm/pagemap.rst */
#define PM_PFN(e) ((e) & ((1ULL << 55) - 1))
#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_EXCLUSIVE (1ULL << 56)
#define PM_UFFD_WP (1ULL << 57)
#define PM_FILE (1ULL << 61)
#define PM_SWAP (1ULL << 62)
#define PM_PRESENT (1ULL << 63)

#define KPF_ANON (1ULL << 12)
#define KPF_SWAPCACHE (1ULL << 13)
#define KPF_COMPOUND_HEAD (1ULL << 15)
#define KPF_COMPOUND_TAIL (1ULL << 16)
#define KPF_HUGE (1ULL << 17)
#define KPF_KSM (1ULL << 21)
#define KPF_THP (1ULL << 22)
#define KPF_ZERO_PAGE (1ULL << 24)

/*
 * /proc/self/pagemap names the process that opened it: a child must open
 * its own after fork.  Reading PFNs needs CAP_SYS_ADMIN.
 */
int pagemap_open(void);
/* One entry per 4 KiB page of [addr, addr + pages * 4K); 0 or -errno. */
int pagemap_read(int fd, const void *addr, size_t pages, uint64_t *out);
/* kpageflags of each present entry's PFN (0 for absent ones). */
int kpageflags_read(const uint64_t *pm, size_t pages, uint64_t *flags);

/*
 * Snapshot [addr, addr + pages * 4K): each entry into out[i * stride] and,
 * when flags is not NULL, the kpageflags of its PFN into flags[i * stride]
 * (strides in uint64_t, so that a caller can fill an array of structs).
 * Opens this process's own pagemap.  0, or -errno.
 */
int pagemap_snap(const void *addr, size_t pages, uint64_t *out, uint64_t *flags,
		 size_t stride);
/*
 * A present entry with PFN 0: without CAP_SYS_ADMIN the kernel hides PFNs,
 * and no PFN comparison means anything.
 */
int pagemap_hidden(const uint64_t *pm, size_t pages, size_t stride);

/*
 * Base pages of the folio whose head is at pfn: 1 + the tail pages that
 * follow it (counted up to max, at most 512); -errno.
 */
long folio_pages(uint64_t pfn, size_t max);

/* Read-fault pages in (or, $COWBENCH_NO_ZERO_PAGE, allocate them). */
void read_fault(char *buf, size_t pages, bool anon);
/* Does a read fault map the zero page here?  1, 0, or -1 unknown. */
int zero_page_on_read(void);

#endif
