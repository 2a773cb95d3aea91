/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_COUNTERS_H
#define COWBENCH_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#define TLB_REASONS 8
#define HW_MAX 8
#define MAX_TASKS 64 /* threads of the measured mm the counters follow */

struct perf_evlist;
struct perf_evsel;

/*
 * Counters around one measured window, opened by the task that does the
 * work (docs/harness.md, "Counters"):
 *  - page faults of the task (all, minor, major): a cross-check, since
 *    they include the harness's own faults;
 *  - page faults on the measured region: exceptions:page_fault_user,
 *    filtered to its addresses and sampled, so that each page knows
 *    whether its write faulted;
 *  - TLB flushes, tlb:tlb_flush with "pages != 0" (every reason also
 *    fires with pages=0 when the TLB generation is already current): the
 *    local reasons per task, remote_shootdown per CPU on the other CPUs,
 *    where it is traced (in the IPI handler);
 *  - hardware events (libpfm4), each skipped alone with its reason.
 * Nothing that failed to open is reported as 0: it is absent, with why.
 */
struct counters {
	struct perf_evsel *faults[3];
	struct perf_evsel *tlb[TLB_REASONS]; /* per task, sender side */
	struct perf_evsel *recv[TLB_REASONS]; /* per CPU, receiver side */
	struct perf_evlist *recv_list[TLB_REASONS]; /* owns recv[] */
	struct perf_evsel *hw[HW_MAX];
	struct perf_evlist *sampler; /* region faults, ring buffer */
	uintptr_t lo, hi;
	int ntlb, nhw;
	char tlb_name[TLB_REASONS][32];
	char hw_name[HW_MAX][48];
	struct countset tlb_set, ev_set, hw_set;
	char fault_skip[160];
	pid_t tasks[MAX_TASKS]; /* the measured mm's, see counters_open() */
	int ntasks, ncpus; /* ncpus: the receivers' CPUs */
	bool tasks_cut; /* more than MAX_TASKS threads: the opener alone */
};

struct counts {
	int64_t faults_task, faults_min, faults_maj; /* -1: not counted */
	int64_t region_faults; /* -1: not counted, see region_skip */
	char region_skip[160];
	uint64_t samples_lost;
	struct countset tlb; /* flushes, pages != 0 */
	struct countset tlb_events; /* remote_send_ipi, remote_wrong_cpu */
	struct countset hw;
};

/* The tracefs directory ($COWBENCH_TRACEFS, for tests). */
const char *tracefs_dir(void);
/* Which reasons tlb:tlb_flush has here, parsed from its format. */
int tlb_reasons(char names[][32], int max, char *err, int errlen);
/*
 * Open disabled, on the tasks of the measured mm (whole_mm: the threads of
 * the calling process at this moment; else the calling thread alone):
 * their faults, local flushes, IPIs sent, remote flushes received while
 * one of them ran.  region/pages: the range whose faults are attributed to
 * the calling thread (NULL: none).
 */
void counters_open(struct counters *c, const void *region, size_t pages,
		   bool whole_mm);
void counters_enable(struct counters *c);
void counters_disable(struct counters *c);
/*
 * Read every count into out; mark, per page of the region, whether a fault
 * hit its unit (unit_pages: a PMD mapping faults once for 512 pages) in
 * faulted[i * stride]: 1, 0, or -1 when the samples are incomplete.
 */
void counters_read(struct counters *c, struct counts *out, size_t unit_pages,
		   int8_t *faulted, size_t stride);
void counters_close(struct counters *c);
/* Why hardware events cannot be counted at all here, or NULL. */
const char *hw_probe(void);

#endif
