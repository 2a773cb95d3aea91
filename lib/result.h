/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_RESULT_H
#define COWBENCH_RESULT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "classify.h"
#include "hist.h"
#include "util.h"

/*
 * One result record: one JSON object per line of results.jsonl, with the
 * keys of DESIGN.md §5.  Appended and fsynced when its combination's
 * repetitions are done (screened together), or on SIGINT.
 */
/*
 * fail: the pass ran and the kernel did something the ground truth calls
 * wrong (a missed or wrong COW) or that nothing the scenario knew explains.
 */
enum rec_status { ST_OK, ST_SKIP, ST_ERROR, ST_TIMEOUT, ST_FAIL, ST_NR };
extern const char *const rec_status_names[ST_NR];

/* Counts of a counting pass; -1 and absent from the JSON: not measured. */
struct rec_counts {
	int64_t faults; /* on the measured region */
	char faults_skip[160];
	int64_t faults_task, faults_min, faults_maj; /* the whole task */
	bool has_pages; /* per-page outcomes were taken */
	struct tally t; /* copies, reuses, the five classes, events */
	struct countset tlb_flush; /* flushes (pages != 0) by reason */
	struct countset tlb_events; /* IPIs sent, IPIs to a CPU left */
	int64_t tlb_ipis_received; /* system-wide */
	struct kvset vmstat; /* system-wide deltas */
	struct countset hw;
	struct kvset extra; /* backing verification, page tables, ... */
};

struct record {
	char run[128], scenario[32], backing[32], pass[16], env[20];
	struct kvset params;
	int rep;
	enum rec_status status;
	char reason[256];
	uint64_t ops;
	bool has_lat;
	struct hist lat;
	double overhead_ns; /* the timing mode's own cost per op */
	double window_ns; /* wall time of the measured window */
	/*
	 * Timing pass: the repetition's per-op figure, the median of the
	 * batch means (robust to a batch the host interrupted), and how many
	 * batches there were and were interrupted (docs/harness.md).
	 */
	double t_op_ns;
	int64_t batches, batches_interrupted;
	bool has_counts;
	struct rec_counts c;
	struct kvset screen; /* what disturbed the window: lost time, ... */
	char perturbed[160]; /* empty: not perturbed */
	/*
	 * A timed pass of a scenario that rehearses (scenario_ops.rehearse):
	 * "yes", or why the window was timed unrehearsed; empty otherwise.
	 */
	char rehearsed[160];
};

void record_init(struct record *r);
/*
 * A sub-window's error (fault samples lost, ...) is the record's: the
 * counts merged from it cannot carry a verdict.
 */
void record_take_error(struct record *r, const struct record *sub,
		       const char *whose);
/* A record with a missed or wrong COW, whatever its status. */
bool record_failed(const struct record *r);
/*
 * cowbench check's verdict record ("check:<scenario>"), beside the
 * scenario's own: a row of its own in compare and report, never added to a
 * run's totals a second time.
 */
static inline bool record_is_verdict(const struct record *r)
{
	return !strncmp(r->scenario, "check:", 6);
}
/* The record as one line of JSON (no newline), malloc'd. */
char *record_json(const struct record *r);
/* Parse one line back; 0, or -1 with a message in err. */
int record_parse(const char *line, struct record *r, char *err, int errlen);

/* results.jsonl in dir, opened for appending. */
int result_open(const char *dir);
/* Append one record and fsync it; 0 or -errno. */
int result_append(int fd, const struct record *r);

/* The identity --resume skips on: "scenario|backing|params|rep|pass". */
void record_key(const struct record *r, char *buf, int len);

#endif
