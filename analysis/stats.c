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
 * Number of ways to place n1 of n1 + n2 ranks so that U equals u, by the
 * recurrence f(n1, n2, u) = f(n1 - 1, n2, u - n2) + f(n1, n2 - 1, u).
 * Returns P(U <= u).
 */
static double exact_cdf(int n1, int n2, int u)
{
	int umax = n1 * n2, i, j, k;
	/* f[j][k]: ways with i of the first sample, j of the second, U = k */
	double *prev = xcalloc((size_t)(n2 + 1) * (umax + 1), sizeof(double));
	double *cur = xcalloc((size_t)(n2 + 1) * (umax + 1), sizeof(double));
	double total = 0, below = 0, *t;

#define F(a, j, k) a[(size_t)(j) * (umax + 1) + (k)]
	for (j = 0; j <= n2; j++)
		F(prev, j, 0) = 1; /* i = 0 */
	for (i = 1; i <= n1; i++) {
		memset(cur, 0, (size_t)(n2 + 1) * (umax + 1) * sizeof(double));
		F(cur, 0, 0) = 1;
		for (j = 1; j <= n2; j++)
			for (k = 0; k <= i * j; k++)
				F(cur, j, k) =
					(k >= j ? F(prev, j, k - j) : 0) +
					F(cur, j - 1, k);
		t = prev;
		prev = cur;
		cur = t;
	}
	for (k = 0; k <= umax; k++) {
		total += F(prev, n2, k);
		if (k <= u)
			below += F(prev, n2, k);
	}
#undef F
	free(prev);
	free(cur);
	return below / total;
}

double mann_whitney_p(const double *a, int na, const double *b, int nb,
		      double *u_out)
{
	int n = na + nb, i;
	double *v = xmalloc(n * sizeof(*v)), *r = xmalloc(n * sizeof(*r));
	double ra = 0, ua, ub, u, ties, mu, sigma, z, p;

	memcpy(v, a, na * sizeof(*v));
	memcpy(v + na, b, nb * sizeof(*v));
	ties = rank_all(v, n, r);
	for (i = 0; i < na; i++)
		ra += r[i];
	free(v);
	free(r);
	ua = ra - na * (na + 1) / 2.0;
	ub = (double)na * nb - ua;
	u = ua < ub ? ua : ub;
	if (u_out)
		*u_out = u;
	if (!na || !nb)
		return 1;
	if (ties == 0 && na <= 30 && nb <= 30) {
		p = 2 * exact_cdf(na, nb, (int)u);
		return p > 1 ? 1 : p;
	}
	mu = na * nb / 2.0;
	sigma = sqrt(na * nb / 12.0 * ((n + 1) - ties / ((double)n * (n - 1))));
	if (sigma == 0)
		return 1; /* every value tied */
	z = (fabs(u - mu) - 0.5) / sigma;
	if (z < 0)
		z = 0;
	p = erfc(z / sqrt(2));
	return p > 1 ? 1 : p;
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

void compare_samples(const double *a, int na, const double *b, int nb,
		     struct comparison *c)
{
	double ma = median_of(a, na), mb = median_of(b, nb);

	memset(c, 0, sizeof(*c));
	c->ratio = ma ? mb / ma : mb ? INFINITY : 1;
	c->p = 1;
	c->lo = c->hi = c->ratio;
	if (na < 2 || nb < 2)
		return; /* nothing to test: no '*' on a single repetition */
	c->p = mann_whitney_p(a, na, b, nb, NULL);
	bootstrap_ratio(a, na, b, nb, STATS_BOOT, STATS_SEED, &c->lo, &c->hi);
	c->significant = c->p < STATS_ALPHA && (c->lo > 1 || c->hi < 1);
}
