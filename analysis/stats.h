/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_STATS_H
#define COWBENCH_STATS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Statistics over repetitions (the unit is a repetition in a fresh process,
 * never a single fault).  Pure functions: no I/O, no globals.
 */
struct desc {
	int n;
	double median, mean, hmean, stddev, cv, min, max;
};

/* stddev is the sample standard deviation (n - 1); cv = stddev / mean;
 * hmean is NAN unless every value is positive. */
void describe(const double *v, int n, struct desc *d);
double median_of(const double *v, int n);

/* Two-sided Mann-Whitney U test: the exact permutation p (ties included)
 * for n1, n2 <= 30, else the normal approximation with tie and continuity
 * correction. */
double mann_whitney_p(const double *a, int na, const double *b, int nb,
		      double *u);
/* The smallest p the exact test can give at these sizes (no ties). */
double mw_min_p(int na, int nb);

/*
 * 95% percentile-bootstrap interval of median(b) / median(a), from `iters`
 * resamples with a fixed seed: the same inputs give the same interval.
 */
void bootstrap_ratio(const double *a, int na, const double *b, int nb,
		     int iters, uint64_t seed, double *lo, double *hi);

struct comparison {
	double ratio; /* median(b) / median(a); INFINITY if a's is 0 */
	double lo, hi; /* bootstrap interval of the ratio */
	double p; /* Mann-Whitney */
	bool significant; /* p < alpha and the interval excludes 1 */
	bool testable; /* enough repetitions that p < alpha is possible */
};

#define STATS_ALPHA 0.05
#define STATS_BOOT 2000
#define STATS_SEED 0x5eed5eedULL

void compare_samples(const double *a, int na, const double *b, int nb,
		     struct comparison *c);

#endif
