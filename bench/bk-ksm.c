// SPDX-License-Identifier: GPL-2.0
/*
 * KSM-merged pages.  The supervisor turns ksmd on with a fast scan for each
 * combination (undone afterwards, also by 'cowbench restore'); the region
 * is MADV_MERGEABLE and populated with identical pages; after populate the
 * pass waits, bounded by ksmd's full scans, until every page is KPF_KSM,
 * then stops ksmd (merged pages stay merged) so that nothing merges the
 * written pages again under the window.  Fewer merged pages is a skip.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../lib/knobs.h"
#include "../lib/pagemap.h"
#include "bench.h"

/* ksmd needs two scans to see a page unchanged, a third to merge it */
#define KSM_MAX_SCANS 12
/* no full scan in this long: ksmd is not scanning */
#define KSM_STALL_MS 2000
#define KSM_POLL_MS 20

/* $COWBENCH_KSM_DIR: the tests point it elsewhere to take the skips. */
static void ksm_path(char *buf, int len, const char *knob)
{
	const char *dir = getenv("COWBENCH_KSM_DIR");

	snprintf(buf, len, "%s/%s", dir ? dir : "/sys/kernel/mm/ksm", knob);
}

static const struct {
	const char *knob, *val;
} ksm_knobs[] = {
	{ "pages_to_scan", "20000" },
	{ "sleep_millisecs", "10" },
	/* smart_scan skips pages that did not merge on earlier scans */
	{ "smart_scan", "0" },
	{ "run", "1" },
};

static int ksm_setup(const struct backing *b, size_t pages, char *why, int len)
{
	char path[PATH_MAX], old[32];
	size_t i;
	int ret;

	(void)b;
	(void)pages;
	ksm_path(path, sizeof(path), "run");
	if (knob_read(path, old, sizeof(old))) {
		snprintf(why, len, "no KSM (%s missing)", path);
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(ksm_knobs); i++) {
		ksm_path(path, sizeof(path), ksm_knobs[i].knob);
		if (access(path, F_OK))
			continue; /* smart_scan is 6.7+ */
		ret = knob_set(path, ksm_knobs[i].val);
		if (ret) {
			snprintf(why, len, "%s: %s", path, strerror(-ret));
			return -1;
		}
	}
	return 0;
}

static int ksm_map(struct sc *sc, char *why, int len)
{
	int ret = map_anon(sc, MADV_NOHUGEPAGE, why, len);

	if (ret || !madvise(sc->buf, sc->len, MADV_MERGEABLE))
		return ret;
	snprintf(why, len, "MADV_MERGEABLE: %s", strerror(errno));
	return errno == EINVAL ? 1 : -1;
}

static long full_scans(void)
{
	char path[PATH_MAX], v[32];

	ksm_path(path, sizeof(path), "full_scans");
	return knob_read(path, v, sizeof(v)) ? -1 : atol(v);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Wait until every page is KPF_KSM, for at most KSM_MAX_SCANS full scans,
 * and no longer than KSM_STALL_MS without one.
 */
static int wait_merged(struct sc *sc, char *why, int len)
{
	long start = full_scans(), last = start, now, idle = 0, n;

	for (;;) {
		n = count_flagged(sc, KPF_KSM, why, len);
		if (n < 0)
			return -1;
		if ((size_t)n == sc->pages)
			return 0;
		if (last - start >= KSM_MAX_SCANS || idle >= KSM_STALL_MS)
			break;
		sleep_ms(KSM_POLL_MS);
		now = full_scans();
		idle = now == last ? idle + KSM_POLL_MS : 0;
		last = now;
	}
	snprintf(why, len, "KSM merged %ld of %zu pages in %ld full scans%s", n,
		 sc->pages, last - start,
		 idle ? " (ksmd stopped scanning)" : "");
	return 1;
}

static int ksm_after_populate(struct sc *sc, char *why, int len)
{
	char path[PATH_MAX];
	int ret = wait_merged(sc, why, len);

	if (ret)
		return ret;
	/* run=0 stops ksmd and keeps what it merged */
	ksm_path(path, sizeof(path), "run");
	ret = knob_set(path, "0");
	if (ret) {
		snprintf(why, len, "stopping ksmd: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

static int ksm_verify(struct sc *sc, char *why, int len)
{
	return require_flagged(sc, KPF_KSM, "KSM-merged (KPF_KSM)", why, len);
}

const struct backing_ops bk_ksm = {
	.name = "ksm",
	.desc = "identical 4 KiB pages merged by KSM (MADV_MERGEABLE, KPF_KSM verified)",
	.kind = BK_KSM,
	.setup = ksm_setup,
	.map = ksm_map,
	.after_populate = ksm_after_populate,
	.verify = ksm_verify,
};
