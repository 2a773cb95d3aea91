// SPDX-License-Identifier: GPL-2.0
/*
 * Swapped out to zram: the supervisor sets up a zram swap device for each
 * combination (undone afterwards, also by 'cowbench restore'), and after
 * populate the region is paged out with MADV_PAGEOUT.  Every page must
 * then be a swap entry in pagemap, or the combination is a skip.  zram is
 * synchronous: with a swap count of 1 a swap-in bypasses the swap cache.
 * The page-out, its check and the zswap note are shared with the swapfile
 * backing (bk-swap-file.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/knobs.h"
#include "../lib/pagemap.h"
#include "bench.h"

#define ZSWAP_ENABLED "/sys/module/zswap/parameters/enabled"

/* The device this combination swaps to (set up in the supervisor). */
static char swap_dev[256];

int swap_device(const char *path, int ret, char *why, int len)
{
	if (!ret) {
		snprintf(swap_dev, sizeof(swap_dev), "%s", path);
		return 0;
	}
	snprintf(why, len, "swap device %s: %s%s", path, strerror(-ret),
		 ret == -ENOSYS ? " (no CONFIG_SWAP)" : "");
	/* no swap in the kernel, or a file system without swapfiles */
	return ret == -ENOSYS || ret == -EINVAL || ret == -EOPNOTSUPP ? 1 : -1;
}

/* kB used on our swap device (/proc/swaps), -1 if it is not there. */
static long long swap_used_kb(void)
{
	char *text = slurp("/proc/swaps", NULL), *line, *save = NULL;
	char name[300];
	long long size, used = -1;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%299s %*s %lld %lld", name, &size, &used) ==
			    3 &&
		    !strcmp(name, swap_dev))
			break;
		else
			used = -1;
	free(text);
	return used;
}

/* A zram swap device of bytes (the supervisor undoes it after the combination). */
int zram_swap_setup(uint64_t bytes, char *why, int len)
{
	char dev[64];
	int ret;

	if (access("/sys/block/zram0", F_OK) &&
	    access("/sys/class/zram-control", F_OK)) {
		snprintf(why, len, "no zram (CONFIG_ZRAM) on this kernel");
		return 1;
	}
	ret = knob_zram(bytes, dev, sizeof(dev));
	if (ret) {
		snprintf(why, len, "zram device: %s", strerror(-ret));
		return -1;
	}
	return swap_device(dev, knob_swapon(dev), why, len);
}

static int zram_setup(const struct backing *b, size_t pages, char *why, int len)
{
	(void)b;
	/* room for the region twice, and never less than 16 MiB */
	return zram_swap_setup(pages * PAGE_SZ * 2 + (16 << 20), why, len);
}

int swap_map(struct sc *sc, char *why, int len)
{
	return map_anon(sc, MADV_NOHUGEPAGE, why, len);
}

/*
 * Reclaim may pass over a page it finds busy (a large folio being split):
 * a second and third MADV_PAGEOUT take what the first left; swap_verify
 * judges the result.
 */
int swap_page_out(struct sc *sc, char *why, int len)
{
	int tries;

	for (tries = 0;
	     tries < 3 && (!tries || count_pagemap(sc, PM_PRESENT) > 0);
	     tries++)
		if (madvise(sc->buf, sc->len, MADV_PAGEOUT)) {
			snprintf(why, len, "MADV_PAGEOUT: %s", strerror(errno));
			return errno == EINVAL ? 1 : -1;
		}
	return 0;
}

/* Every page a swap entry (pagemap bit 62), none still present. */
int swap_verify(struct sc *sc, char *why, int len)
{
	uint64_t *pm = xcalloc(sc->pages, 8);
	size_t i, n = 0;
	int ret = pagemap_snap(sc->buf, sc->pages, pm, NULL, 1);

	for (i = 0; !ret && i < sc->pages; i++)
		n += (pm[i] & PM_SWAP) && !(pm[i] & PM_PRESENT);
	free(pm);
	if (ret) {
		snprintf(why, len, "pagemap: %s", strerror(-ret));
		return -1;
	}
	if (n != sc->pages) {
		snprintf(why, len, "MADV_PAGEOUT swapped out %zu of %zu pages",
			 n, sc->pages);
		return 1;
	}
	/* another swap device of the machine may have taken them */
	if (swap_dev[0] && swap_used_kb() < (long long)(sc->len / 1024)) {
		snprintf(
			why, len,
			"%s holds %lld kB of the %zu kB paged out: another swap device took them",
			swap_dev, swap_used_kb(), sc->len / 1024);
		return 1;
	}
	return 0;
}

/* zswap takes pages before any swap device does: say whether it was on. */
void swap_extra(struct sc *sc, enum role r, struct kvset *extra)
{
	char val[8];

	(void)sc;
	if (r == ROLE_WRITER && !knob_read(ZSWAP_ENABLED, val, sizeof(val)))
		kv_set(extra, "zswap", val[0] == 'Y' || val[0] == '1');
}

const struct backing_ops bk_swap_zram = {
	.name = "swapped-zram",
	.desc = "4 KiB pages paged out (MADV_PAGEOUT) to a zram swap device the run sets up (synchronous: a swap-in with swap count 1 bypasses the swap cache; extra.zswap: zswap on)",
	.kind = BK_SWAP,
	.warm = WARM_BASE,
	.setup = zram_setup,
	.map = swap_map,
	.after_populate = swap_page_out,
	.verify = swap_verify,
	.extra = swap_extra,
};
