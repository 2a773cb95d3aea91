/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_COUNTERS_H
#define COWBENCH_COUNTERS_H

#include <stdint.h>

#include "util.h"

#define TLB_REASONS 8

struct perf_evlist;
struct perf_evsel;

/*
 * Counters around one measured window, opened by the task that does the
 * work.  Per task: page faults (all, minor, major), tlb:tlb_flush once per
 * reason (a tracepoint filter each), and hardware events when the machine
 * has a cpu PMU.  Per CPU, on every CPU but the writer's: tlb:tlb_flush of
 * the remote reason, which is traced on the receiving CPU in interrupt
 * context.  Events that cannot be opened are skipped with the reason.
 */
struct counters {
	struct perf_evlist *task, *cpus;
	struct perf_evsel *faults[3];
	struct perf_evsel *tlb[TLB_REASONS];
	struct perf_evsel *tlb_remote;
	struct perf_evsel *hw[4];
	int ntlb, nhw, remote_reason;
	char tlb_name[TLB_REASONS][32];
	char hw_name[4][32];
	char tlb_skip[160], hw_skip[160];
};

struct counts {
	uint64_t faults, faults_min, faults_maj;
	struct kvset tlb; /* per reason name */
	struct kvset hw;
	const char *tlb_skip, *hw_skip; /* NULL when counted */
};

/* Which tracefs reasons exist: parsed from the tracepoint's format. */
int tlb_reasons(char names[][32], int max, char *err, int errlen);
int counters_open(struct counters *c, int writer_cpu);
void counters_enable(struct counters *c);
void counters_disable(struct counters *c);
void counters_read(struct counters *c, struct counts *out);
void counters_close(struct counters *c);
/* Why hardware events cannot be counted here, or NULL if they can. */
const char *hw_probe(void);

#endif
