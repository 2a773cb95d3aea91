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
/* exp(mean(log v)): NAN unless every value is positive. */
double gmean_of(const double *v, int n);

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

/* The test a comparison made: repetitions (one run a side), or runs. */
enum cmp_test { TEST_NONE, TEST_REPS, TEST_RUNS };

struct comparison {
	/* the ratio tested: of geometric means (runs), of means (runs with
	 * a figure of 0), of medians (repetitions); INFINITY if a's is 0 */
	double ratio;
	double lo, hi; /* 95% interval of the ratio */
	double p; /* Mann-Whitney (reps) or Welch's t (runs) */
	double q; /* p adjusted over a table (Benjamini-Hochberg) */
	/* the smallest change (ratio - 1) the test could have detected at
	 * the level asked for; INFINITY when no change could be, NAN when
	 * not relative (a 0) */
	double mdc;
	/* runs a side a +5% change needs at that level (80% power, the
	 * runs' spread as it is): NAN with repetitions, INFINITY beyond
	 * STATS_RUNS_MAX */
	double runs5;
	enum cmp_test test;
	bool significant; /* q < alpha and the interval excludes 1 */
	bool testable; /* enough values that p < alpha is possible */
	bool exact; /* no spread on either side: certain, not a test */
};

#define STATS_ALPHA 0.05
#define STATS_BOOT 2000
#define STATS_SEED 0x5eed5eedULL
#define STATS_POWER 0.8 /* of the smallest detectable change of runs */
#define STATS_CHANGE 0.05 /* the change runs5 is for */
#define STATS_RUNS_MAX 10000

/* Two-sided p of Student's t with df degrees of freedom, and its inverse. */
double student_p(double t, double df);
double student_t(double p, double df);

/* Welch's t-test of mean(b) - mean(a); se 0: p is 1 or 0.  va, vb: the
 * sides' sample variances. */
struct welch {
	double diff, se, df, p, va, vb;
};
void welch_test(const double *a, int na, const double *b, int nb,
		struct welch *w);

/* Benjamini-Hochberg: q[i] for p[i]; NAN p are left out (q NAN). */
void bh_adjust(const double *p, int n, double *q);

/*
 * Repetitions of one run a side: Mann-Whitney and the bootstrap; the mdc
 * is the change that would give p < level.
 */
void compare_samples_at(const double *a, int na, const double *b, int nb,
			double level, struct comparison *c);
/*
 * Runs as the unit: Welch's t on the per-run figures a and b, at least two
 * on one side (a single run on the other takes that side's spread); on
 * their logs when `logs` (every figure must be positive).  The
 * mdc and runs5 are for a two-sided test at level.
 */
void compare_runs_at(const double *a, int na, const double *b, int nb,
		     bool logs, double level, struct comparison *c);
/* At STATS_ALPHA; runs on the logs when every figure is positive. */
void compare_samples(const double *a, int na, const double *b, int nb,
		     struct comparison *c);
void compare_runs(const double *a, int na, const double *b, int nb,
		  struct comparison *c);

#endif
