// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "stats.h"

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median_of(const double *v, int n)
{
	double *c, m;

	if (n <= 0)
		return NAN;
	c = xmalloc(n * sizeof(*c));
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_dbl);
	m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

double gmean_of(const double *v, int n)
{
	double sum = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!(v[i] > 0))
			return NAN;
		sum += log(v[i]);
	}
	return n ? exp(sum / n) : NAN;
}

void describe(const double *v, int n, struct desc *d)
{
	double sum = 0, inv = 0, ss = 0;
	bool positive = true;
	int i;

	memset(d, 0, sizeof(*d));
	d->n = n;
	if (!n) {
		d->median = d->mean = d->hmean = d->stddev = d->cv = NAN;
		d->min = d->max = NAN;
		return;
	}
	d->min = d->max = v[0];
	for (i = 0; i < n; i++) {
		sum += v[i];
		positive &= v[i] > 0;
		inv += v[i] > 0 ? 1 / v[i] : 0;
		d->min = v[i] < d->min ? v[i] : d->min;
		d->max = v[i] > d->max ? v[i] : d->max;
	}
	d->mean = sum / n;
	for (i = 0; i < n; i++)
		ss += (v[i] - d->mean) * (v[i] - d->mean);
	d->stddev = n > 1 ? sqrt(ss / (n - 1)) : 0;
	d->cv = d->mean ? d->stddev / d->mean : NAN;
	d->hmean = positive ? n / inv : NAN;
	d->median = median_of(v, n);
}

/* Ranks 1..n with ties averaged; returns the tie term sum(t^3 - t). */
static double rank_all(const double *v, int n, double *rank)
{
	int *idx = xmalloc(n * sizeof(*idx)), i, j, k;
	double ties = 0;

	for (i = 0; i < n; i++)
		idx[i] = i;
	/* insertion sort by value: n is a few dozen repetitions */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[idx[j - 1]] > v[idx[j]]; j--) {
			k = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = k;
		}
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && v[idx[j]] == v[idx[i]]; j++)
			;
		for (k = i; k < j; k++)
			rank[idx[k]] = (i + 1 + j) / 2.0;
		ties += (double)(j - i) * (j - i) * (j - i) - (j - i);
	}
	free(idx);
	return ties;
}

/*
 * The exact permutation distribution of the first sample's rank sum, by
 * counting subsets: ways[k][s] = subsets of k of the ranks seen so far with
 * doubled rank sum s.  Midranks of ties are half-integers, so doubling makes
 * every sum an integer; that is what makes the test exact with ties, where
 * the normal approximation is far off at small n (three 1s against three
 * 2s: 0.047 by the approximation, 0.1 exactly).  Returns the two-sided p:
 * P(|R - E[R]| >= |r - E[R]|).
 */
static double exact_p(const double *rank, int n, int na, double ra)
{
	int smax = 0, i, k, s, two;
	double *ways, total = 0, tail = 0, mean2, obs;

	for (i = 0; i < n; i++)
		smax += (int)(2 * rank[i] + 0.5);
	ways = xcalloc((size_t)(na + 1) * (smax + 1), sizeof(*ways));
#define W(k, s) ways[(size_t)(k) * (smax + 1) + (s)]
	W(0, 0) = 1;
	for (i = 0; i < n; i++) {
		two = (int)(2 * rank[i] + 0.5);
		for (k = (i + 1 < na ? i + 1 : na); k > 0; k--)
			for (s = smax; s >= two; s--)
				W(k, s) += W(k - 1, s - two);
	}
	mean2 = (double)na * (n + 1); /* twice E[R] */
	obs = fabs(2 * ra - mean2);
	for (s = 0; s <= smax; s++) {
		total += W(na, s);
		if (fabs(s - mean2) >= obs - 1e-9)
			tail += W(na, s);
	}
#undef W
	free(ways);
	return tail / total;
}

/* The normal approximation with tie and continuity correction. */
static double normal_p(int na, int nb, double u, double ties)
{
	int n = na + nb;
	double mu = na * nb / 2.0, sigma, z;

	sigma = sqrt(na * nb / 12.0 * ((n + 1) - ties / ((double)n * (n - 1))));
	if (sigma == 0)
		return 1; /* every value tied */
	z = (fabs(u - mu) - 0.5) / sigma;
	return erfc((z < 0 ? 0 : z) / sqrt(2));
}

/* exact_max: the largest sample size the exact distribution is used for. */
static double mw_p(const double *a, int na, const double *b, int nb,
		   double *u_out, int exact_max)
{
	int n = na + nb, i;
	double *v = xmalloc(n * sizeof(*v)), *r = xmalloc(n * sizeof(*r));
	double ra = 0, ua, ub, u, ties, p = 1;

	memcpy(v, a, na * sizeof(*v));
	memcpy(v + na, b, nb * sizeof(*v));
	ties = rank_all(v, n, r);
	for (i = 0; i < na; i++)
		ra += r[i];
	ua = ra - na * (na + 1) / 2.0;
	ub = (double)na * nb - ua;
	u = ua < ub ? ua : ub;
	if (u_out)
		*u_out = u;
	if (na && nb)
		p = na <= exact_max && nb <= exact_max ?
			    exact_p(r, n, na, ra) :
			    normal_p(na, nb, u, ties);
	free(v);
	free(r);
	return p > 1 ? 1 : p;
}

double mann_whitney_p(const double *a, int na, const double *b, int nb,
		      double *u_out)
{
	return mw_p(a, na, b, nb, u_out, 30);
}

double mw_min_p(int na, int nb)
{
	double c = 1;
	int i;

	if (na < 1 || nb < 1)
		return 1;
	for (i = 1; i <= na; i++)
		c = c * (nb + i) / i; /* C(na + nb, na) */
	return 2 / c > 1 ? 1 : 2 / c;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void resample(const double *v, int n, double *out, uint64_t *s)
{
	int i;

	for (i = 0; i < n; i++)
		out[i] = v[xorshift(s) % n];
}

void bootstrap_ratio(const double *a, int na, const double *b, int nb,
		     int iters, uint64_t seed, double *lo, double *hi)
{
	double *ra = xmalloc(na * sizeof(*ra)), *rb = xmalloc(nb * sizeof(*rb));
	double *ratio = xmalloc(iters * sizeof(*ratio));
	uint64_t s = seed ? seed : 1;
	int i, m = 0;

	for (i = 0; i < iters; i++) {
		double ma, mb;

		resample(a, na, ra, &s);
		resample(b, nb, rb, &s);
		ma = median_of(ra, na);
		mb = median_of(rb, nb);
		if (ma != 0)
			ratio[m++] = mb / ma;
		else if (mb != 0)
			ratio[m++] = INFINITY;
		else
			ratio[m++] = 1;
	}
	qsort(ratio, m, sizeof(*ratio), cmp_dbl);
	*lo = ratio[(int)(0.025 * (m - 1) + 0.5)];
	*hi = ratio[(int)(0.975 * (m - 1) + 0.5)];
	free(ra);
	free(rb);
	free(ratio);
}

/*
 * The smallest factor the rank test could have seen: b recentred on a's
 * median and scaled by f, the smallest f > 1 that gives p < level (by
 * bisection on log f; U only grows with f).  A change of that size is
 * detected about half the time.  The exact test is slow beyond a dozen a
 * side and the normal approximation is close there.
 */
static double mw_detectable(const double *a, int na, const double *b, int nb,
			    double level)
{
	double ma = median_of(a, na), mb = median_of(b, nb);
	double lo = 0, hi = log(1e3), *s;
	int i, k;

	if (!(ma > 0) || !(mb > 0))
		return NAN; /* no relative change from or to 0 */
	if (mw_min_p(na, nb) >= level)
		return INFINITY;
	s = xmalloc(nb * sizeof(*s));
	for (k = 0; k < 24; k++) {
		double mid = k ? (lo + hi) / 2 : hi;

		for (i = 0; i < nb; i++)
			s[i] = b[i] * ma / mb * exp(mid);
		if (mw_p(a, na, s, nb, NULL, 12) < level)
			hi = mid;
		else if (!k)
			break; /* not even a thousandfold change */
		else
			lo = mid;
	}
	free(s);
	return k ? expm1(hi) : INFINITY;
}

static double ratio_of(double ma, double mb)
{
	return ma ? mb / ma : mb ? INFINITY : 1;
}

/* Every value of v is the same. */
static bool no_spread(const double *v, int n)
{
	int i;

	for (i = 1; i < n; i++)
		if (v[i] != v[0])
			return false;
	return true;
}

void compare_samples_at(const double *a, int na, const double *b, int nb,
			double level, struct comparison *c)
{
	memset(c, 0, sizeof(*c));
	c->ratio = ratio_of(median_of(a, na), median_of(b, nb));
	c->p = c->q = 1;
	c->lo = c->hi = c->ratio;
	c->mdc = INFINITY;
	c->runs5 = NAN; /* the runs' spread is unknown */
	if (na < 2 || nb < 2)
		return; /* nothing to test: no '*' on a single repetition */
	c->test = TEST_REPS;
	c->testable = mw_min_p(na, nb) < STATS_ALPHA;
	c->exact = no_spread(a, na) && no_spread(b, nb);
	c->p = c->q = mann_whitney_p(a, na, b, nb, NULL);
	c->mdc = mw_detectable(a, na, b, nb, level);
	bootstrap_ratio(a, na, b, nb, STATS_BOOT, STATS_SEED, &c->lo, &c->hi);
	c->significant = c->p < STATS_ALPHA && (c->lo > 1 || c->hi < 1);
}

/* Regularised incomplete beta I_x(a, b): its continued fraction, by
 * the modified Lentz method. */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1, d, h, step, num;
	int m, odd;

	d = 1 - (a + b) * x / (a + 1);
	d = 1 / (fabs(d) < tiny ? tiny : d);
	h = d;
	for (m = 1; m <= 500; m++) {
		for (odd = 0; odd < 2; odd++) {
			num = odd ? -(a + m) * (a + b + m) * x /
					      ((a + 2 * m) * (a + 2 * m + 1)) :
				    m * (b - m) * x /
					      ((a + 2 * m - 1) * (a + 2 * m));
			d = 1 + num * d;
			d = 1 / (fabs(d) < tiny ? tiny : d);
			c = 1 + num / c;
			c = fabs(c) < tiny ? tiny : c;
			step = d * c;
			h *= step;
		}
		if (fabs(step - 1) < 1e-15)
			break;
	}
	return h;
}

static double ibeta(double a, double b, double x)
{
	double front;

	if (x <= 0 || x >= 1)
		return x <= 0 ? 0 : 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) +
		    b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, 1 - x) / b;
}

double student_p(double t, double df)
{
	if (isinf(t))
		return 0;
	return ibeta(df / 2, 0.5, df / (df + t * t));
}

double student_t(double p, double df)
{
	double lo = 0, hi = 1;
	int i;

	while (student_p(hi, df) > p && hi < 1e12)
		hi *= 2;
	for (i = 0; i < 100; i++) {
		double mid = (lo + hi) / 2;

		if (student_p(mid, df) > p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* Welch-Satterthwaite, from the squared standard errors of the means. */
static double welch_df(double sa, double sb, int na, int nb)
{
	return (sa + sb) * (sa + sb) /
	       (sa * sa / (na - 1) + sb * sb / (nb - 1));
}

void welch_test(const double *a, int na, const double *b, int nb,
		struct welch *w)
{
	struct desc da, db;
	double sa, sb;

	describe(a, na, &da);
	describe(b, nb, &db);
	w->va = da.stddev * da.stddev;
	w->vb = db.stddev * db.stddev;
	sa = w->va / na;
	sb = w->vb / nb;
	w->diff = db.mean - da.mean;
	w->se = sqrt(sa + sb);
	if (sa + sb == 0) {
		/* no spread: a difference is certain, none is none */
		w->df = na + nb - 2;
		w->p = w->diff ? 0 : 1;
		return;
	}
	w->df = welch_df(sa, sb, na, nb);
	w->p = student_p(fabs(w->diff) / w->se, w->df);
}

/*
 * The change Welch's test detects with STATS_POWER at two-sided level
 * alpha, on the scale of the variances va and vb: (t(alpha) + t(power))
 * standard errors.  0 without spread (any change is certain).
 */
static double detectable(double va, double vb, int na, int nb, double alpha)
{
	double sa = va / na, sb = vb / nb, df;

	if (sa + sb == 0)
		return 0;
	df = welch_df(sa, sb, na, nb);
	return (student_t(alpha, df) + student_t(2 * (1 - STATS_POWER), df)) *
	       sqrt(sa + sb);
}

/*
 * The fewest runs a side (2 or more) that detect `change` so, the sides'
 * variances as they are: doubling, then bisection (what is detectable only
 * shrinks with more runs).
 */
static double runs_needed(double va, double vb, double change, double alpha)
{
	int lo = 1, hi = 2, mid;

	while (detectable(va, vb, hi, hi, alpha) > change) {
		if (hi >= STATS_RUNS_MAX)
			return INFINITY;
		lo = hi;
		hi = hi * 2 < STATS_RUNS_MAX ? hi * 2 : STATS_RUNS_MAX;
	}
	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (detectable(va, vb, mid, mid, alpha) > change)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/*
 * Per-run figures are roughly log-normal (a time is a product of
 * slowdowns), so the test is on their logs and the ratio is one of
 * geometric means; a figure of 0 (a count) keeps the test on the figures,
 * the ratio of means and the interval of the difference over A's mean.
 */
/*
 * One run against a group: the run's own between-run spread is unknown,
 * so the group's stands for it (a prediction interval of one new run:
 * se = s sqrt(1/n + 1), n - 1 degrees of freedom).  Repetitions of the
 * one run would understate it: an A/A of a 3-run group against single
 * runs at 5% between-run CV starred a quarter of the rows.
 */
static void one_run_side(struct welch *w, int na, int nb)
{
	int n = na > 1 ? na : nb;
	double v = na > 1 ? w->va : w->vb;

	w->va = w->vb = v;
	w->se = sqrt(v / n + v);
	w->df = n - 1;
	w->p = w->se ? student_p(fabs(w->diff) / w->se, w->df) :
		       (w->diff ? 0 : 1);
}

/* detectable() when one side has a single run (one_run_side()). */
static double detectable_one(const struct welch *w, double alpha)
{
	return w->se ? (student_t(alpha, w->df) +
			student_t(2 * (1 - STATS_POWER), w->df)) *
			       w->se :
		       0;
}

void compare_runs_at(const double *a, int na, const double *b, int nb,
		     bool logs, double level, struct comparison *c)
{
	double *x = xmalloc((na + nb) * sizeof(*x)), half, det, base, rel;
	struct welch w;
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < na + nb; i++) {
		x[i] = i < na ? a[i] : b[i - na];
		logs &= x[i] > 0;
	}
	for (i = 0; logs && i < na + nb; i++)
		x[i] = log(x[i]);
	welch_test(x, na, x + na, nb, &w);
	if (na < 2 || nb < 2)
		one_run_side(&w, na, nb);
	free(x);
	for (i = 0, base = 0; i < na; i++)
		base += a[i] / na; /* A's mean: the raw scale's unit */
	c->test = TEST_RUNS;
	c->testable = true;
	c->exact = w.se == 0;
	c->p = c->q = w.p;
	half = student_t(STATS_ALPHA, w.df) * w.se;
	det = na < 2 || nb < 2 ? detectable_one(&w, level) :
				 detectable(w.va, w.vb, na, nb, level);
	if (logs) {
		c->ratio = exp(w.diff);
		c->lo = exp(w.diff - half);
		c->hi = exp(w.diff + half);
		c->mdc = expm1(det);
		c->runs5 = runs_needed(w.va, w.vb, log1p(STATS_CHANGE), level);
	} else {
		c->ratio = ratio_of(base, base + w.diff);
		rel = base > 0 ? base * base : NAN;
		c->lo = base > 0 ? 1 + (w.diff - half) / base : c->ratio;
		c->hi = base > 0 ? 1 + (w.diff + half) / base : c->ratio;
		c->mdc = base > 0 ? det / base : NAN;
		c->runs5 = base > 0 ? runs_needed(w.va / rel, w.vb / rel,
						  STATS_CHANGE, level) :
				      NAN;
	}
	c->significant = c->p < STATS_ALPHA && (c->lo > 1 || c->hi < 1);
}

void compare_runs(const double *a, int na, const double *b, int nb,
		  struct comparison *c)
{
	compare_runs_at(a, na, b, nb, true, STATS_ALPHA, c);
}

void compare_samples(const double *a, int na, const double *b, int nb,
		     struct comparison *c)
{
	compare_samples_at(a, na, b, nb, STATS_ALPHA, c);
}

void bh_adjust(const double *p, int n, double *q)
{
	int *idx = xmalloc((n + 1) * sizeof(*idx)), m = 0, i, j, k;
	double run = 1;

	for (i = 0; i < n; i++) {
		q[i] = NAN;
		if (isnan(p[i]))
			continue;
		/* insertion by p: a table has a few hundred rows */
		for (j = m++; j > 0 && p[idx[j - 1]] > p[i]; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
	}
	for (k = m - 1; k >= 0; k--) {
		double v = p[idx[k]] * m / (k + 1);

		run = v < run ? v : run;
		q[idx[k]] = run;
	}
	free(idx);
}
