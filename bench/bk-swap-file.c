// SPDX-License-Identifier: GPL-2.0
/*
 * Swapped out to a swapfile on a block-device file system: the supervisor
 * creates it for each combination (fallocate, a swap signature, swapon),
 * and the knobs module swaps it off and unlinks it afterwards, also after
 * SIGINT and by 'cowbench restore'.  Unlike zram the device is not
 * synchronous: a swapped-in page goes through the swap cache.  The
 * page-out and its check are the zram backing's (bk-swap-zram.c).
 *
 * Setup runs in the supervisor, which knows no run directory: the file is
 * made in /var/tmp ($COWBENCH_SWAPDIR for tests), which must be ext4 or
 * xfs (the file systems whose swapfiles need nothing but fallocate).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../lib/knobs.h"
#include "bench.h"

#define EXT4_MAGIC 0xef53
#define XFS_MAGIC 0x58465342

static const char *swap_dir(char *why, int len)
{
	const char *dir = getenv("COWBENCH_SWAPDIR");
	struct statfs fs;

	dir = dir && *dir ? dir : "/var/tmp";
	if (statfs(dir, &fs)) {
		snprintf(why, len, "swapfile directory %s: %s", dir,
			 strerror(errno));
		return NULL;
	}
	if (fs.f_type != EXT4_MAGIC && fs.f_type != XFS_MAGIC) {
		snprintf(
			why, len,
			"%s is not on ext4 or xfs (f_type 0x%lx): no swapfile on a block device",
			dir, (unsigned long)fs.f_type);
		return NULL;
	}
	return dir;
}

/* Undo is newest first: swapoff, then unlink. */
static int make_swapfile(const char *path, uint64_t size)
{
	int fd, ret = knob_unlink_later(path);

	if (ret)
		return ret;
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = fallocate(fd, 0, 0, size) ? -errno : 0;
	close(fd);
	return ret ? ret : swap_format(path, size);
}

static int file_setup(const struct backing *b, size_t pages, char *why, int len)
{
	const char *dir = swap_dir(why, len);
	char path[300];
	int ret;

	(void)b;
	if (!dir)
		return 1;
	snprintf(path, sizeof(path), "%s/cowbench-swap.%d", dir, (int)getpid());
	/* room for the region twice, and never less than 16 MiB */
	ret = make_swapfile(path, pages * PAGE_SZ * 2 + (16 << 20));
	if (!ret)
		ret = knob_swapon(path);
	return swap_device(path, ret, why, len);
}

const struct backing_ops bk_swap_file = {
	.name = "swapped-file",
	.desc = "4 KiB pages paged out (MADV_PAGEOUT) to a swapfile on ext4/xfs the run sets up (through the swap cache; extra.zswap: zswap on)",
	.kind = BK_SWAP,
	.warm = WARM_BASE,
	.setup = file_setup,
	.map = swap_map,
	.after_populate = swap_page_out,
	.verify = swap_verify,
	.extra = swap_extra,
};
