// SPDX-License-Identifier: GPL-2.0
/*
 * Write faults on a MAP_PRIVATE file mapping: every page is first mapped
 * read-only from the page cache, so each write must copy it (the page cache
 * is the other party, and must not see the write).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../lib/pagemap.h"
#include "bench.h"

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

static int file_map(struct sc *sc, char *why, int len)
{
	struct statfs fs;
	int fd;

	if (statfs(sc->workdir, &fs) == 0 &&
	    (fs.f_type == V9FS_MAGIC || fs.f_type == NFS_MAGIC ||
	     fs.f_type == FUSE_MAGIC)) {
		snprintf(
			why, len,
			"work dir %s is on %s: file-private needs ext4 or tmpfs",
			sc->workdir, "a network or FUSE file system");
		return 1;
	}
	/* unnamed: nothing is left behind, whatever kills the pass */
	fd = open(sc->workdir, O_TMPFILE | O_RDWR, 0600);
	if (fd < 0) {
		snprintf(why, len, "O_TMPFILE in %s: %s", sc->workdir,
			 strerror(errno));
		return -1;
	}
	if (fill(fd, sc->len)) {
		snprintf(why, len, "writing the file: %s", strerror(errno));
		close(fd);
		return -1;
	}
	sc->buf =
		mmap(NULL, sc->len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (sc->buf == MAP_FAILED) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		close(fd);
		return -1;
	}
	madvise(sc->buf, sc->len, MADV_NOHUGEPAGE);
	sc->priv = (void *)(intptr_t)fd;
	return 0;
}

/* Every page must be mapped from the page cache before the writes. */
static int file_init(struct sc *sc, char *why, int len)
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

/* The page cache is the other party: did our write reach the file? */
static void file_observe(struct sc *sc, enum role r, struct page_view *pv)
{
	int fd = (int)(intptr_t)sc->priv;
	size_t i;
	char c;

	for (i = 0; r == ROLE_WRITER && i < sc->pages; i++)
		pv[i].other_saw = pread(fd, &c, 1, i * PAGE_SZ) == 1 &&
				  c == (char)WRITE_BYTE;
}

static void file_cleanup(struct sc *sc, enum role r)
{
	(void)r;
	munmap(sc->buf, sc->len);
	close((int)(intptr_t)sc->priv);
}

const struct scenario_ops sc_file_private = {
	.name = "file-private",
	.desc = "write faults on a MAP_PRIVATE file mapping (COW from the page cache)",
	.backings = BK_ANON,
	.params = pages_param,
	.nparams = 1,
	.populate = POP_READ,
	.share = &share_none,
	.expect = EXP_SHARED,
	.map = file_map,
	.init = file_init,
	.observe = file_observe,
	.cleanup = file_cleanup,
};
