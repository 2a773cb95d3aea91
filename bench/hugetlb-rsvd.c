// SPDX-License-Identifier: GPL-2.0
/*
 * A kernel accounting check, not a COW verdict: HugePages_Rsvd must never
 * leave [0, the pool] (a reservation is of a pool page).  The smallest
 * sequence that breaks it, found by `cowbench check`'s accounting (a
 * killed run's orphan showed HugePages_Rsvd 18446744073709551608): map
 * MAP_PRIVATE hugetlb pages, fault them in, vmsplice() 4 KiB of each into
 * a pipe, munmap() them while the pipe holds them.  On 6.12 and 6.18
 * __unmap_hugepage_range() restores the reservation of an anonymous folio
 * on its last unmap (folio_set_hugetlb_restore_reserve() and
 * vma_add_reservation()), so hugetlb_vm_op_close() finds the page
 * reserved-but-unused and takes it from resv_huge_pages, which is 0: the
 * counter wraps, and is given back only when the pipe frees the folio
 * (free_huge_folio() restores the reserve).  The pass reads /proc/meminfo
 * before the munmap and with the pipe still holding the pages: the count
 * must not move (other users of the pool may hold reserves of their own);
 * and after the pipe is closed.  Meminfo has the default page size only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench.h"

struct pool {
	uint64_t total, rsvd;
};

static void read_pool(struct pool *p)
{
	memset(p, 0, sizeof(*p));
	meminfo_u64("HugePages_Total", &p->total);
	meminfo_u64("HugePages_Rsvd", &p->rsvd);
}

/* 4 KiB of each huge page into the pipe: a reference to every folio. */
static int splice_heads(struct sc *sc, int fd, char *why, int len)
{
	size_t step = sc->bk->unit_pages * PAGE_SZ, off;
	struct iovec iov = { .iov_len = PAGE_SZ };

	for (off = 0; off < sc->len; off += step) {
		iov.iov_base = sc->buf + off;
		if (vmsplice(fd, &iov, 1, 0) != PAGE_SZ) {
			snprintf(why, len, "vmsplice at %zu: %s", off,
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int rsvd_drive(struct sc *sc, struct record *r, char *why, int len)
{
	struct pool base, held, after;
	size_t off;
	int fd[2] = { -1, -1 }, ret;

	ret = sc->bk->ops->map(sc, why, len);
	for (off = 0; !ret && off < sc->len; off += PAGE_SZ)
		sc->buf[off] = POP_BYTE;
	if (!ret && pipe(fd)) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		ret = -1;
	}
	if (!ret)
		fcntl(fd[1], F_SETPIPE_SZ, 1 << 20);
	if (!ret)
		ret = splice_heads(sc, fd[1], why, len);
	/* every page faulted in: the reserves it took are consumed */
	read_pool(&base);
	if (!ret && munmap(sc->buf, sc->len)) {
		snprintf(why, len, "munmap: %s", strerror(errno));
		ret = -1;
	}
	read_pool(&held);
	if (fd[0] >= 0) {
		close(fd[0]);
		close(fd[1]);
	}
	read_pool(&after);
	if (ret)
		return ret;
	kv_set(&r->c.extra, "rsvd_before", (int64_t)base.rsvd);
	kv_set(&r->c.extra, "rsvd_while_held", (int64_t)held.rsvd);
	kv_set(&r->c.extra, "rsvd_after", (int64_t)after.rsvd);
	kv_set(&r->c.extra, "pool_pages", (int64_t)held.total);
	r->has_counts = true;
	r->ops = 1;
	/* unmapping consumed pages gives no reserve back and takes none */
	if (held.rsvd == base.rsvd)
		return 0;
	r->status = ST_FAIL;
	snprintf(
		r->reason, sizeof(r->reason),
		"HugePages_Rsvd %lld while a pipe holds the unmapped pages, %lld before the munmap (pool %llu)%s",
		(long long)held.rsvd, (long long)base.rsvd,
		(unsigned long long)held.total,
		held.rsvd > held.total ? ": the reserve count wrapped" : "");
	return 0;
}

const struct scenario_ops sc_hugetlb_rsvd = {
	.name = "hugetlb-rsvd",
	.desc = "MAP_PRIVATE hugetlb pages vmspliced into a pipe, then unmapped: HugePages_Rsvd must stay within the pool (a kernel accounting check)",
	.backings = BK_HUGETLB,
	.params = pages_param,
	.nparams = 1,
	.passes = 1u << PASS_COUNTING,
	.share = &share_none,
	.drive = rsvd_drive,
};
