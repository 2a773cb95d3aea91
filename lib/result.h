/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_RESULT_H
#define COWBENCH_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "hist.h"
#include "util.h"

/*
 * One result record: one JSON object per line of results.jsonl, with the
 * keys of DESIGN.md §5.  Appended and fsynced as each completes.
 */
enum rec_status { ST_OK, ST_SKIP, ST_ERROR, ST_TIMEOUT, ST_NR };
extern const char *const rec_status_names[ST_NR];

struct rec_counts {
	uint64_t faults, faults_min, faults_maj;
	struct tally t; /* copies, reuses, the five classes, events */
	struct kvset tlb_flush;
	char tlb_skip[160];
	int64_t tlb_ipis_received;
	struct kvset vmstat;
	struct kvset hw;
	char hw_skip[160];
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
	bool has_counts;
	struct rec_counts c;
	char perturbed[160]; /* empty: not perturbed */
};

void record_init(struct record *r);
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
