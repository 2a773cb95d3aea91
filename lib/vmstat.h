/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_VMSTAT_H
#define COWBENCH_VMSTAT_H

#include <stdint.h>

#include "util.h"

/*
 * System-wide counters read around a measured window: the /proc/vmstat
 * events cowbench reports, the per-CPU "TLB shootdowns" interrupts, steal
 * time and context switches.  All deltas, all system-wide.
 */
struct vmsnap {
	int64_t v[64];
	unsigned long long present; /* bit i: key i exists on this kernel */
	int64_t tlb_irq; /* "TLB shootdowns", summed over the CPUs */
	int64_t steal_ticks, ctxt;
};

void vmsnap_take(struct vmsnap *s);
/* Is name a /proc/vmstat event cowbench records (when the kernel has it)? */
bool vmstat_known(const char *name);
/*
 * vmstat deltas into out (keys this kernel has), plus "ctxt" and
 * "steal_ticks" from /proc/stat; TLB IPIs received (all CPUs).
 */
void vmsnap_delta(const struct vmsnap *a, const struct vmsnap *b,
		  struct kvset *out, int64_t *tlb_ipis);
/*
 * Background activity that moves pages under a measurement (migration,
 * compaction, khugepaged, NUMA hinting, KSM) or steal above 10% of the
 * window: a reason in buf, or an empty string.
 */
void vmsnap_perturbed(const struct vmsnap *a, const struct vmsnap *b,
		      uint64_t window_ns, char *buf, int len);

#endif
