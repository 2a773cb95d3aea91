// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../analysis/summary.h"

#include "../../analysis/stats.h"
#include "../../lib/scenario.h"
#include "unit.h"

#define NEAR(a, b, eps) (fabs((a) - (b)) <= (eps))

static void descriptive_by_hand(void)
{
	/* mean 5, sum of squares 32: sample sd sqrt(32/7) */
	const double v[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	struct desc d;

	describe(v, 8, &d);
	CHECK(d.n == 8 && d.mean == 5 && d.median == 4.5);
	CHECK(d.min == 2 && d.max == 9);
	CHECK(NEAR(d.stddev, sqrt(32.0 / 7), 1e-12));
	CHECK(NEAR(d.cv, sqrt(32.0 / 7) / 5, 1e-12));
	/* 8 / (1/2 + 3/4 + 2/5 + 1/7 + 1/9) */
	CHECK(NEAR(d.hmean, 8 / (0.5 + 0.75 + 0.4 + 1.0 / 7 + 1.0 / 9), 1e-12));
	describe((const double[]){ 1, 2, 4 }, 3, &d);
	CHECK(NEAR(d.hmean, 3 / 1.75, 1e-12));
	describe((const double[]){ 0, 2 }, 2, &d);
	CHECK(isnan(d.hmean)); /* a zero rate has no harmonic mean */
}

static void mann_whitney_exact(void)
{
	double u;

	/* complete separation: p = 2 / C(n1 + n2, n1) */
	CHECK(NEAR(mann_whitney_p((const double[]){ 1, 2, 3 }, 3,
				  (const double[]){ 4, 5, 6 }, 3, &u),
		   2.0 / 20, 1e-12));
	CHECK(u == 0);
	CHECK(NEAR(mann_whitney_p((const double[]){ 1, 2, 3, 4 }, 4,
				  (const double[]){ 5, 6, 7, 8 }, 4, NULL),
		   2.0 / 70, 1e-12));
	CHECK(NEAR(mann_whitney_p(
			   (const double[]){ 1, 2, 3, 4, 5, 6, 7, 8 }, 8,
			   (const double[]){ 9, 10, 11, 12, 13, 14, 15, 16 }, 8,
			   NULL),
		   2.0 / 12870, 1e-15));
	/* n1 = n2 = 5, U = 3: P(U <= 3) = 7/252, two-sided 14/252 (tables:
	 * the 5% critical value is U = 2, so this is not significant) */
	CHECK(NEAR(mann_whitney_p((const double[]){ 1, 2, 3, 4, 8 }, 5,
				  (const double[]){ 5, 6, 7, 9, 10 }, 5, &u),
		   14.0 / 252, 1e-12));
	CHECK(u == 3);
}

static void mann_whitney_ties(void)
{
	const double a[] = { 1, 1, 2, 2, 3, 3, 3, 4 };
	const double b[] = { 2, 3, 3, 4, 4, 5, 5, 5 };
	double p1 = mann_whitney_p(a, 8, b, 8, NULL);
	double p2 = mann_whitney_p(b, 8, a, 8, NULL);

	CHECK(p1 > 0 && p1 < 0.05); /* b is clearly larger */
	CHECK(NEAR(p1, p2, 1e-12)); /* two-sided: symmetric */
	CHECK(mann_whitney_p((const double[]){ 7, 7, 7 }, 3,
			     (const double[]){ 7, 7, 7 }, 3, NULL) == 1);
}

/* Three 1s against three 2s: only 2 of the C(6,3) = 20 splits are as
 * extreme, so p = 0.1 (the normal approximation said 0.047). */
static void mann_whitney_exact_ties(void)
{
	struct comparison c;

	CHECK(NEAR(mann_whitney_p((const double[]){ 1, 1, 1 }, 3,
				  (const double[]){ 2, 2, 2 }, 3, NULL),
		   0.1, 1e-12));
	/* 1,1,2 vs 2,3,3: midranks 1.5,1.5,3.5 | 3.5,5.5,5.5; rank sums as
	 * extreme as 6.5 (|R - 10.5| >= 4): 4 of 20 splits */
	CHECK(NEAR(mann_whitney_p((const double[]){ 1, 1, 2 }, 3,
				  (const double[]){ 2, 3, 3 }, 3, NULL),
		   4.0 / 20, 1e-12));
	compare_samples((const double[]){ 1, 1, 1 }, 3,
			(const double[]){ 2, 2, 2 }, 3, &c);
	CHECK(!c.significant && !c.testable && NEAR(c.p, 0.1, 1e-12));
	CHECK(NEAR(mw_min_p(3, 3), 0.1, 1e-12));
	CHECK(NEAR(mw_min_p(4, 4), 2.0 / 70, 1e-12));
}

static void bootstrap_is_deterministic(void)
{
	const double a[] = { 10, 11, 9, 10, 12, 10, 9, 11 };
	const double b[] = { 12, 13, 12, 11, 14, 12, 13, 12 };
	double lo1, hi1, lo2, hi2;

	bootstrap_ratio(a, 8, b, 8, 2000, 42, &lo1, &hi1);
	bootstrap_ratio(a, 8, b, 8, 2000, 42, &lo2, &hi2);
	CHECK(lo1 == lo2 && hi1 == hi2);
	CHECK(lo1 > 1 && lo1 <= 12.0 / 10.5 && hi1 >= 12.0 / 10.5);
	bootstrap_ratio((const double[]){ 5, 5, 5 }, 3,
			(const double[]){ 10, 10, 10 }, 3, 500, 1, &lo1, &hi1);
	CHECK(lo1 == 2 && hi1 == 2);
}

static void significance(void)
{
	const double a[] = { 100, 101, 99, 100, 102, 98, 100, 101 };
	const double b[] = { 120, 121, 119, 120, 122, 118, 120, 121 };
	const double noisy_a[] = { 100, 40, 160, 90, 130, 70, 110, 60 };
	const double noisy_b[] = { 120, 50, 170, 80, 140, 100, 150, 70 };
	struct comparison c;

	compare_samples(a, 8, b, 8, &c);
	CHECK(c.significant && NEAR(c.ratio, 1.2, 1e-12));
	CHECK(c.lo > 1 && c.p < 0.001);
	compare_samples(noisy_a, 8, noisy_b, 8, &c);
	CHECK(!c.significant && c.lo < 1 && c.hi > 1);
	compare_samples(a, 8, a, 8, &c);
	CHECK(!c.significant && c.ratio == 1 && c.p == 1);
	compare_samples(a, 1, b, 1, &c);
	CHECK(!c.significant); /* one repetition proves nothing */
	compare_samples((const double[]){ 0, 0, 0 }, 3,
			(const double[]){ 5, 5, 5 }, 3, &c);
	CHECK(isinf(c.ratio));
}

static void student_and_welch(void)
{
	struct welch w;

	/* table values: t(0.975) for df 1, 4, 10; df 1 is Cauchy */
	CHECK(NEAR(student_t(0.05, 1), 12.7062, 1e-3));
	CHECK(NEAR(student_t(0.05, 4), 2.7764, 1e-3));
	CHECK(NEAR(student_t(0.05, 10), 2.2281, 1e-3));
	CHECK(NEAR(student_p(1, 1), 0.5, 1e-9));
	/* means 2 and 5, variances 1 and 1, n 3 and 3: t = 3 / sqrt(2/3),
	 * Welch df = 4 */
	welch_test((const double[]){ 1, 2, 3 }, 3, (const double[]){ 4, 5, 6 },
		   3, &w);
	CHECK(NEAR(w.diff, 3, 1e-12) && NEAR(w.df, 4, 1e-9));
	CHECK(NEAR(w.p, student_p(3 / sqrt(2.0 / 3), 4), 1e-12));
	CHECK(w.p > 0.02 && w.p < 0.03);
	welch_test((const double[]){ 2, 2 }, 2, (const double[]){ 2, 2 }, 2,
		   &w);
	CHECK(w.p == 1);
	welch_test((const double[]){ 2, 2 }, 2, (const double[]){ 3, 3 }, 2,
		   &w);
	CHECK(w.p == 0);
}

static void benjamini_hochberg(void)
{
	/* m = 5: q = min over j >= i of p(j) * 5 / j */
	const double p[] = { 0.01, 0.04, 0.03, NAN, 0.5, 0.02 };
	double q[6];

	bh_adjust(p, 6, q);
	CHECK(NEAR(q[0], 0.05, 1e-12)); /* 0.01 * 5 / 1 */
	CHECK(NEAR(q[5], 0.05, 1e-12)); /* 0.02 * 5 / 2 */
	CHECK(NEAR(q[2], 0.05, 1e-12)); /* 0.03 * 5 / 3 */
	CHECK(NEAR(q[1], 0.05, 1e-12)); /* 0.04 * 5 / 4 */
	CHECK(NEAR(q[4], 0.5, 1e-12) && isnan(q[3]));
}

static void runs_as_unit(void)
{
	const double a[] = { 100, 103, 98 }, b[] = { 120, 117, 123 };
	const double a2[] = { 99, 102, 101 };
	struct comparison c;

	compare_runs(a, 3, b, 3, &c);
	CHECK(c.test == TEST_RUNS && c.significant && c.lo > 1);
	CHECK(c.mdc > 0 && c.mdc < 0.2);
	compare_runs(a, 3, a2, 3, &c);
	CHECK(!c.significant && c.lo < 1 && c.hi > 1);
	/* a 0 keeps the figures: no log of 0 */
	compare_runs((const double[]){ 0, 1, 0 }, 3,
		     (const double[]){ 0, 1, 1 }, 3, &c);
	CHECK(!c.significant && c.p > 0.05 && isfinite(c.mdc));
	/* repetitions: the detectable change is the one that gives p < 0.05 */
	compare_samples(a, 3, b, 3, &c);
	CHECK(c.test == TEST_REPS && isinf(c.mdc) && !c.testable);
}

static void runs_at_a_level(void)
{
	/* logs with a sample sd of 0.05 a side */
	const double a[] = { exp(-0.05), 1, exp(0.05) };
	const double b[] = { 1.05 * exp(-0.05), 1.05, 1.05 * exp(0.05) };
	struct comparison c, c6;

	/* the ratio tested is of geometric means, not of medians */
	compare_runs((const double[]){ 1, 1, 1.6 }, 3,
		     (const double[]){ 1.2, 1.2, 1.2 }, 3, &c);
	CHECK(NEAR(c.ratio, 1.2 / cbrt(1.6), 1e-12));
	CHECK(NEAR(gmean_of((const double[]){ 1, 1, 1.6 }, 3), cbrt(1.6),
		   1e-12));
	/* with a 0: the ratio of means, (2/3) / (1/3) */
	compare_runs((const double[]){ 0, 1, 0 }, 3,
		     (const double[]){ 0, 1, 1 }, 3, &c);
	CHECK(NEAR(c.ratio, 2, 1e-12) && !c.exact);
	/* +5% at sd 0.05: 2 (z.975 + z.8)^2 sd^2 / log(1.05)^2 = 16.5 by
	 * the normal approximation, a little more with t */
	compare_runs_at(a, 3, b, 3, true, STATS_ALPHA, &c);
	CHECK(c.runs5 >= 17 && c.runs5 <= 19);
	CHECK(NEAR(c.ratio, 1.05, 1e-12));
	/* at the level that stars a lone change among 6 tests: more */
	compare_runs_at(a, 3, b, 3, true, STATS_ALPHA / 6, &c6);
	CHECK(c6.runs5 > c.runs5 && c6.mdc > 1.4 * c.mdc);
	CHECK(c6.p == c.p && c6.lo == c.lo); /* the test is the same */
	/* no spread: certain, any change detectable, two runs do */
	compare_runs((const double[]){ 1, 1, 1 }, 3,
		     (const double[]){ 2, 2, 2 }, 3, &c);
	CHECK(c.exact && c.p == 0 && c.significant && c.mdc == 0);
	CHECK(c.runs5 == 2);
	compare_samples((const double[]){ 1, 1, 1, 1 }, 4,
			(const double[]){ 1, 1, 1, 1 }, 4, &c);
	CHECK(c.exact && isnan(c.runs5));
}

static void counting(struct record *r, int rep)
{
	record_init(r);
	snprintf(r->scenario, sizeof(r->scenario), "reuse-after-exit");
	snprintf(r->backing, sizeof(r->backing), "base");
	snprintf(r->pass, sizeof(r->pass), "counting");
	kv_set(&r->params, "pages", 512);
	r->rep = rep;
	r->ops = 512;
	r->has_counts = true;
	r->c.has_pages = true;
	r->c.t.reuses = 512;
	r->c.t.classes[CLS_REUSE] = 512;
	/* hw skipped, tlb_flush partly skipped, faults absent (-1) */
	cs_skip_all(&r->c.hw, "no cpu PMU");
	cs_skip_key(&r->c.tlb_flush, "remote_shootdown", "no per-cpu open");
	kv_set(&r->c.tlb_flush.v, "local_mm_shootdown", 0);
}

/* The summary of rows built by hand, as cowbench run prints it. */
static char *summarise_in(const struct registry *reg, struct record *r, int n)
{
	struct summary *s = summary_new(reg);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	for (i = 0; i < n; i++)
		summary_add(s, &r[i]);
	summary_print(s, f);
	fclose(f);
	summary_free(s);
	return buf;
}

static char *summarise(struct record *r, int n)
{
	return summarise_in(NULL, r, n);
}

/*
 * A perturbed record with a missed COW still fails the row, with the
 * worst count; faults and TLB flushes nobody measured are n/a, not 0.
 */
static void summary_fail_and_missing(void)
{
	struct record *r = calloc(3, sizeof(*r));
	char *out;

	counting(&r[0], 0);
	counting(&r[1], 1);
	snprintf(r[1].perturbed, sizeof(r[1].perturbed), "migrated");
	r[1].status = ST_FAIL;
	r[1].c.t.classes[CLS_MISSED] = 2;
	counting(&r[2], 2);
	out = summarise(r, 3);
	CHECK(strstr(out, "FAIL: 2 missed, 0 wrong COW, 0 unexplained"));
	/* miss column is the maximum; faults and tlb never measured */
	CHECK(strstr(out, "    2     0     0    n/a    n/a  FAIL"));
	free(out);
	free(r);
}

/* faults << ops: the summary shows t/op over faults per op */
static void summary_time_per_fault(void)
{
	struct record *r = calloc(2, sizeof(*r));
	char *out;

	counting(&r[0], 0);
	r[0].c.faults = 1; /* one fault in 512 writes: a THP */
	record_init(&r[1]);
	snprintf(r[1].scenario, sizeof(r[1].scenario), "reuse-after-exit");
	snprintf(r[1].backing, sizeof(r[1].backing), "base");
	snprintf(r[1].pass, sizeof(r[1].pass), "timing");
	kv_set(&r[1].params, "pages", 512);
	r[1].ops = 512;
	r[1].window_ns = 512 * 12; /* 12 ns a store */
	out = summarise(r, 2);
	CHECK(strstr(out, "t/op  t/fault"));
	CHECK(strstr(out, "    12ns   6144ns"));
	free(out);
	free(r);
}

static const struct param_spec wl_prm[] = {
	{ .name = "db", .type = CFG_SIZE },
	{ .name = "record", .type = CFG_SIZE },
	{ .name = "requests", .type = CFG_INT },
	{ .name = "rate", .type = CFG_INT },
	{ .name = "duration_ms", .type = CFG_INT },
	{ .name = "snapshot_ms", .type = CFG_INT },
};
static const struct scenario_ops wl_ops = { .name = "wl",
					    .params = wl_prm,
					    .nparams = 6 };
static const struct scenario_ops *const wl_list[] = { &wl_ops };
static const struct registry wl_reg = { .scenarios = wl_list,
					.nr_scenarios = 1 };

/* A size parameter reads 2M; a count that is a multiple of 1 KiB stays one. */
static void summary_sizes_by_type(void)
{
	struct record *r = calloc(1, sizeof(*r));
	char *out;

	counting(r, 0);
	snprintf(r->scenario, sizeof(r->scenario), "wl");
	kv_set(&r->params, "record", 2 << 20);
	kv_set(&r->params, "requests", 1 << 20);
	out = summarise_in(&wl_reg, r, 1);
	CHECK(strstr(out, "record=2M"));
	CHECK(strstr(out, "requests=1048576"));
	free(out);
	free(r);
}

/*
 * Every line of the table, a workload's long parameter list included (on
 * a line of its own), is no wider than the header: the params were once
 * spelled in bytes inside the row, ~190 columns.
 */
static void summary_rows_fit(void)
{
	struct record *r = calloc(2, sizeof(*r));
	char *out, *line, *save = NULL;
	size_t width = 0;
	int i, rows = 0;

	for (i = 0; i < 2; i++) {
		counting(&r[i], i);
		snprintf(r[i].scenario, sizeof(r[i].scenario), "wl");
		kv_set(&r[i].params, "db", 1LL << 30);
		kv_set(&r[i].params, "record", 256);
		kv_set(&r[i].params, "requests", 200000);
		kv_set(&r[i].params, "rate", 100000);
		kv_set(&r[i].params, "duration_ms", 10000);
		kv_set(&r[i].params, "snapshot_ms", 5000);
	}
	out = summarise_in(&wl_reg, r, 2);
	CHECK(strstr(out, "db=1G,record=256,"));
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "scenario ", 9))
			width = strlen(line);
		else if (width && ++rows)
			CHECK(strlen(line) <= width);
	}
	CHECK(width > 0 && rows == 2);
	free(out);
	free(r);
}

const struct unit_test stats_tests[] = {
	{ "summary: size parameters as sizes, counts as numbers",
	  summary_sizes_by_type },
	{ "summary: a workload's row is no wider than the header",
	  summary_rows_fit },
	{ "stats: Student's t and Welch against table values",
	  student_and_welch },
	{ "stats: Benjamini-Hochberg by hand", benjamini_hochberg },
	{ "stats: runs as the unit: a 20% shift across 3 runs, A/A not",
	  runs_as_unit },
	{ "stats: the ratio of geometric means, mdc and runs for +5% at a level",
	  runs_at_a_level },
	{ "summary: time per fault where faults << ops",
	  summary_time_per_fault },
	{ "summary: a perturbed missed COW fails; unmeasured is n/a",
	  summary_fail_and_missing },
	{ "stats: median, mean, hmean, sd and CV against hand values",
	  descriptive_by_hand },
	{ "stats: exact Mann-Whitney against textbook values",
	  mann_whitney_exact },
	{ "stats: Mann-Whitney with ties is symmetric", mann_whitney_ties },
	{ "stats: exact permutation p with ties at small n",
	  mann_whitney_exact_ties },
	{ "stats: the bootstrap interval is deterministic and sane",
	  bootstrap_is_deterministic },
	{ "stats: a clean 20% shift is significant, noise and identity not",
	  significance },
};
const int nr_stats_tests = sizeof(stats_tests) / sizeof(stats_tests[0]);
