/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_HIST_H
#define COWBENCH_HIST_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Log-linear latency histogram, HdrHistogram-like: values below 2^HIST_SUB
 * are exact, above that every power of two is split into 2^(HIST_SUB-1)
 * buckets, so a bucket is at most 1/64 (1.6%) of its value wide.  Min, max
 * and sum are kept exactly.
 */
#define HIST_SUB 7
#define HIST_MAX_SHIFT 36
#define HIST_NB ((1 << HIST_SUB) + HIST_MAX_SHIFT * (1 << (HIST_SUB - 1)))

struct hist {
	uint64_t n, min, max;
	double sum;
	uint64_t c[HIST_NB];
};

void hist_init(struct hist *h);
void hist_record_n(struct hist *h, uint64_t v, uint64_t count);
static inline void hist_record(struct hist *h, uint64_t v)
{
	hist_record_n(h, v, 1);
}
void hist_merge(struct hist *dst, const struct hist *src);
/* Value at percentile p (0..100]: the ceil(p*n/100)-th smallest. */
uint64_t hist_pct(const struct hist *h, double p);
/*
 * Whether n supports percentile p: ten samples at least lie at or above
 * it (p99 from 1000); below that it is the maximum's noise.
 */
bool hist_pct_supported(const struct hist *h, double p);
/* The percentiles a record lists, and their key suffixes ("p999"). */
#define HIST_NR_PCT 4
extern const struct hist_pct_key {
	const char *key;
	double p;
} hist_pct_keys[HIST_NR_PCT];
double hist_mean(const struct hist *h);
/* Bucket index and the [lo, hi] range a bucket stands for. */
int hist_index(uint64_t v);
void hist_bucket(int idx, uint64_t *lo, uint64_t *hi);
/* "1;min;max;sum;idx:count,..." in a malloc'd string. */
char *hist_serialise(const struct hist *h);
/* 0, or -1 if the string is not a serialised histogram. */
int hist_parse(struct hist *h, const char *s);

#endif
