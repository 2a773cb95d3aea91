// SPDX-License-Identifier: GPL-2.0
/*
 * Write faults on a MAP_PRIVATE file mapping with no other process: every
 * page is first mapped read-only from the page cache, so each write must
 * copy it (the page cache is the other party, and must not see the write).
 * The mapping is the file-private backing's (bk-file-private.c); this
 * scenario keeps the descriptor to read the file back.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

static const struct param_spec params[] = {
	PAGES_PARAM("4 KiB pages of the file, one write each"),
	{ .name = "memfd",
	  .type = CFG_INT,
	  .min = 0,
	  .max = 2,
	  .def = { 0, 1 },
	  .ndef = 2,
	  .desc = "0: a file on the run's directory; 1: a memfd; 2: a hugetlb memfd (2 MiB), read back as its MAP_SHARED alias sees it" },
};

static int file_map(struct sc *sc, char *why, int len)
{
	int fd, ret = file_private_mmap(
			sc, (enum fp_file)kv_get(sc->params, "memfd", 0), &fd,
			why, len);

	if (!ret)
		sc->priv = (void *)(intptr_t)fd;
	return ret;
}

/* A hugetlb memfd: what a MAP_SHARED alias of it shows. */
static int alias_observe(struct sc *sc, struct page_view *pv, char *why,
			 int len)
{
	char *a = mmap(NULL, sc->len, PROT_READ, MAP_SHARED,
		       (int)(intptr_t)sc->priv, 0);
	size_t i;

	if (a == MAP_FAILED) {
		snprintf(why, len, "the MAP_SHARED alias: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < sc->pages; i++)
		pv[i].other_saw = a[i * PAGE_SZ + sc->byte] == (char)WRITE_BYTE;
	munmap(a, sc->len);
	return 0;
}

/* The page cache is the other party: did our write reach the file? */
static int file_observe(struct sc *sc, enum role r, struct page_view *pv,
			char *why, int len)
{
	int fd = (int)(intptr_t)sc->priv;
	size_t i;
	char c;

	if (r == ROLE_WRITER &&
	    kv_get(sc->params, "memfd", 0) == FP_MEMFD_HUGETLB)
		return alias_observe(sc, pv, why, len);
	for (i = 0; r == ROLE_WRITER && i < sc->pages; i++) {
		if (pread(fd, &c, 1, i * PAGE_SZ) != 1) {
			snprintf(why, len, "pread of page %zu of the file: %s",
				 i, errno ? strerror(errno) : "short read");
			return -1;
		}
		pv[i].other_saw = c == (char)WRITE_BYTE;
	}
	return 0;
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
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.populate = POP_READ,
	.share = &share_none,
	.expect = EXP_SHARED,
	.map = file_map,
	.init = file_private_check,
	.observe = file_observe,
	.cleanup = file_cleanup,
};
