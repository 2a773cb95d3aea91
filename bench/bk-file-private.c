// SPDX-License-Identifier: GPL-2.0
/*
 * A MAP_PRIVATE mapping of a file filled with POP_BYTE, every page mapped
 * read-only from the page cache before the share.  The page cache is always
 * another party: every first write must copy.  A scenario that populates by
 * writing gets its private copies dropped (MADV_DONTNEED) and the file pages
 * read-faulted again.  The file lives on the run's directory (ext4 or
 * tmpfs, never a network or FUSE file system) and has no name; memfd-private
 * is the same over a memfd (shmem).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../lib/knobs.h"
#include "../lib/pagemap.h"
#include "bench.h"

#define HUGETLB_2M "/sys/kernel/mm/hugepages/hugepages-2048kB"

#define V9FS_MAGIC 0x01021997
#define NFS_MAGIC 0x6969
#define FUSE_MAGIC 0x65735546

static int fill(int fd, size_t len)
{
	char page[PAGE_SZ];
	size_t off;

	memset(page, POP_BYTE, sizeof(page));
	for (off = 0; off < len; off += PAGE_SZ)
		if (pwrite(fd, page, PAGE_SZ, off) != PAGE_SZ)
			return -1;
	/* clean page cache: no writeback can start under the measurement */
	return fdatasync(fd);
}

/*
 * 2 MiB pages free for the file and a private copy of each, the pool
 * grown from the pass if need be (the supervisor undoes it; never shrunk:
 * other users may hold pages).  0, or a skip (>0) or an error, with why.
 */
static int hugetlb_room(size_t len, char *why, int wlen)
{
	uint64_t need = len / PMD_SZ * 2 + 1, total, avail;
	char val[32];
	int ret;

	if (knob_read(HUGETLB_2M "/nr_hugepages", val, sizeof(val))) {
		snprintf(why, wlen, "no 2 MiB hugetlb pages on this kernel");
		return 1;
	}
	total = strtoull(val, NULL, 10);
	avail = knob_read(HUGETLB_2M "/free_hugepages", val, sizeof(val)) ?
			0 :
			strtoull(val, NULL, 10);
	if (avail >= need)
		return 0;
	snprintf(val, sizeof(val), "%llu",
		 (unsigned long long)(total + need - avail));
	ret = knob_set(HUGETLB_2M "/nr_hugepages", val);
	if (!ret && !knob_read(HUGETLB_2M "/free_hugepages", val, sizeof(val)))
		avail = strtoull(val, NULL, 10);
	if (ret || avail < need) {
		snprintf(why, wlen, "%llu of %llu 2 MiB hugetlb pages free%s%s",
			 (unsigned long long)avail, (unsigned long long)need,
			 ret ? ": " : " (memory too fragmented)",
			 ret ? strerror(-ret) : "");
		return ret && ret != -EINVAL ? -1 : 1;
	}
	return 0;
}

/* hugetlbfs has no write(): fill through a MAP_SHARED alias. */
static int fill_hugetlb(int fd, size_t len, char *why, int wlen)
{
	char *p;
	int ret = hugetlb_room(len, why, wlen);

	if (ret)
		return ret;
	if (ftruncate(fd, len)) {
		snprintf(why, wlen, "ftruncate of a hugetlb memfd: %s",
			 strerror(errno));
		return errno == EINVAL ? 1 : -1;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(why, wlen, "the MAP_SHARED hugetlb alias: %s",
			 strerror(errno));
		return errno == ENOMEM ? 1 : -1;
	}
	memset(p, POP_BYTE, len);
	munmap(p, len);
	return 0;
}

/* An unnamed file: nothing is left behind, whatever kills the pass. */
static int open_file(struct sc *sc, enum fp_file memfd, char *why, int len)
{
	struct statfs fs;
	int fd;

	if (memfd) {
		fd = memfd_create("cowbench",
				  MFD_CLOEXEC | (memfd == 2 ? MFD_HUGETLB : 0));
		if (fd < 0)
			snprintf(why, len, "memfd_create%s: %s",
				 memfd == FP_MEMFD_HUGETLB ? " (MFD_HUGETLB)" :
							     "",
				 strerror(errno));
		return fd < 0 ? (errno == ENOSYS || errno == EINVAL ? -ENOSYS :
								      -1) :
				fd;
	}
	if (statfs(sc->workdir, &fs) == 0 &&
	    (fs.f_type == V9FS_MAGIC || fs.f_type == NFS_MAGIC ||
	     fs.f_type == FUSE_MAGIC)) {
		snprintf(
			why, len,
			"work dir %s is on %s: file-private needs ext4 or tmpfs",
			sc->workdir, "a network or FUSE file system");
		return -2;
	}
	fd = open(sc->workdir, O_TMPFILE | O_RDWR, 0600);
	if (fd < 0)
		snprintf(why, len, "O_TMPFILE in %s: %s", sc->workdir,
			 strerror(errno));
	return fd;
}

int file_private_mmap(struct sc *sc, enum fp_file memfd, int *fdp, char *why,
		      int len)
{
	int fd = open_file(sc, memfd, why, len), ret;

	if (fd < 0) /* a file system or kernel without it: a skip */
		return fd == -1 ? -1 : 1;
	if (memfd == FP_MEMFD_HUGETLB &&
	    (ret = fill_hugetlb(fd, sc->len, why, len))) {
		close(fd);
		return ret;
	}
	if (memfd != FP_MEMFD_HUGETLB && fill(fd, sc->len)) {
		snprintf(why, len, "writing the file: %s", strerror(errno));
		close(fd);
		return -1;
	}
	sc->buf = mmap(NULL, sc->len, PROT_READ | PROT_WRITE, region_map_type(),
		       fd, 0);
	if (sc->buf == MAP_FAILED) {
		int err = errno;

		snprintf(why, len, "mmap: %s", strerror(err));
		close(fd);
		/* a hugetlb pool short of the private copies' reserve */
		return err == ENOMEM && memfd == FP_MEMFD_HUGETLB ? 1 : -1;
	}
	madvise(sc->buf, sc->len, MADV_NOHUGEPAGE);
	*fdp = fd;
	return 0;
}

int file_private_check(struct sc *sc, char *why, int len)
{
	uint64_t *pm = xcalloc(sc->pages, 8);
	int ret = pagemap_snap(sc->buf, sc->pages, pm, NULL, 1);
	size_t i, n = 0;

	for (i = 0; !ret && i < sc->pages; i++)
		n += (pm[i] & (PM_PRESENT | PM_FILE)) == (PM_PRESENT | PM_FILE);
	free(pm);
	if (ret) {
		snprintf(why, len, "pagemap: %s", strerror(-ret));
		return -1;
	}
	if (n != sc->pages) {
		snprintf(why, len,
			 "only %zu of %zu pages mapped from the page cache", n,
			 sc->pages);
		return 1;
	}
	return 0;
}

/* The mapping keeps the file: the backing needs no descriptor. */
static int fp_map(struct sc *sc, char *why, int len)
{
	int fd, ret = file_private_mmap(
			sc,
			sc->bk->ops == &bk_memfd_private ? FP_MEMFD : FP_FILE,
			&fd, why, len);

	if (!ret)
		close(fd);
	return ret;
}

static int fp_after_populate(struct sc *sc, char *why, int len)
{
	return read_mapped(sc, file_private_check, why, len);
}

static int fp_verify(struct sc *sc, char *why, int len)
{
	return read_mapped_verify(sc, file_private_check, why, len);
}

#define FILE_PRIVATE(nm, what)                                                \
	{                                                                     \
		.name = nm, .desc = what, .kind = BK_FILE, .warm = WARM_BASE, \
		.unit_pages = 1, .fault_pages = 1, .map = fp_map,             \
		.after_populate = fp_after_populate, .verify = fp_verify,     \
	}

const struct backing_ops bk_file_private = FILE_PRIVATE(
	"file-private",
	"MAP_PRIVATE file pages read-faulted from the page cache (written pages dropped and read again)");
const struct backing_ops bk_memfd_private = FILE_PRIVATE(
	"memfd-private",
	"MAP_PRIVATE memfd (shmem) pages read-faulted from the page cache (written pages dropped and read again)");
