// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "../../lib/hist.h"
#include "unit.h"

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Log-uniform values from 1 ns to ~10 ms, like fault latencies with tails. */
static void fill(uint64_t *v, int n, uint64_t seed)
{
	int i;

	for (i = 0; i < n; i++) {
		int bits = 1 + lcg(&seed) % 23;

		v[i] = 1 + lcg(&seed) % (1ULL << bits);
	}
}

static void percentiles_match_sorted_reference(void)
{
	static const double ps[] = {
		0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 100
	};
	enum { N = 100003 };
	uint64_t *v = malloc(N * sizeof(*v));
	struct hist *h = malloc(sizeof(*h));
	size_t i;

	fill(v, N, 42);
	hist_init(h);
	for (i = 0; i < N; i++)
		hist_record(h, v[i]);
	qsort(v, N, sizeof(*v), cmp);
	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		uint64_t rank = (uint64_t)(ps[i] / 100 * N + 0.999999);
		uint64_t ref = v[(rank ? rank : 1) - 1],
			 got = hist_pct(h, ps[i]);
		uint64_t diff = got > ref ? got - ref : ref - got;

		/* a bucket is at most 1/64 of its value wide */
		CHECK(diff <= ref / 64 + 1);
	}
	CHECK_EQ(h->min, v[0]);
	CHECK_EQ(h->max, v[N - 1]);
	CHECK_EQ(hist_pct(h, 100), v[N - 1]);
	CHECK_EQ(h->n, N);
	free(v);
	free(h);
}

static void small_values_are_exact(void)
{
	struct hist *h = malloc(sizeof(*h));
	int i;

	hist_init(h);
	for (i = 1; i <= 100; i++)
		hist_record(h, i);
	CHECK_EQ(hist_pct(h, 50), 50);
	CHECK_EQ(hist_pct(h, 1), 1);
	CHECK_EQ(hist_pct(h, 99), 99);
	CHECK(hist_mean(h) == 50.5);
	free(h);
}

static void buckets_cover_every_value_once(void)
{
	uint64_t v, lo, hi;
	int prev = -1, idx;

	for (v = 0; v < (1ULL << 20); v += 1 + v / 300) {
		idx = hist_index(v);
		hist_bucket(idx, &lo, &hi);
		CHECK(lo <= v && v <= hi);
		CHECK(idx >= prev);
		prev = idx;
	}
	CHECK(hist_index(UINT64_MAX) == HIST_NB - 1);
}

static void merge_equals_recording_all(void)
{
	struct hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)),
		    *all = malloc(sizeof(*all));
	uint64_t v[2000];
	int i;

	fill(v, 2000, 7);
	hist_init(a);
	hist_init(b);
	hist_init(all);
	for (i = 0; i < 2000; i++) {
		hist_record(i % 3 ? a : b, v[i]);
		hist_record(all, v[i]);
	}
	hist_merge(a, b);
	CHECK(!memcmp(a->c, all->c, sizeof(a->c)));
	CHECK_EQ(a->n, all->n);
	CHECK_EQ(a->min, all->min);
	CHECK_EQ(a->max, all->max);
	CHECK(a->sum == all->sum);
	free(a);
	free(b);
	free(all);
}

static void serialise_round_trip(void)
{
	struct hist *h = malloc(sizeof(*h)), *g = malloc(sizeof(*g));
	uint64_t v[500];
	char *s;
	int i;

	fill(v, 500, 9);
	hist_init(h);
	for (i = 0; i < 500; i++)
		hist_record_n(h, v[i], 1 + i % 3);
	s = hist_serialise(h);
	CHECK(hist_parse(g, s) == 0);
	CHECK(!memcmp(h->c, g->c, sizeof(h->c)));
	CHECK_EQ(g->n, h->n);
	CHECK_EQ(g->min, h->min);
	CHECK_EQ(g->max, h->max);
	CHECK_EQ(hist_pct(g, 99), hist_pct(h, 99));
	free(s);
	CHECK(hist_parse(g, "garbage") == -1);
	CHECK(hist_parse(g, "1;1;2;3;5:1,x") == -1);
	CHECK(hist_parse(g, "1;1;2;3;999999:1") == -1);
	hist_init(h);
	s = hist_serialise(h);
	CHECK(hist_parse(g, s) == 0 && g->n == 0);
	free(s);
	free(h);
	free(g);
}

const struct unit_test hist_tests[] = {
	{ "hist: percentiles match a sorted-array reference",
	  percentiles_match_sorted_reference },
	{ "hist: values below 128 are exact", small_values_are_exact },
	{ "hist: every value falls in its bucket, in order",
	  buckets_cover_every_value_once },
	{ "hist: merge equals recording everything",
	  merge_equals_recording_all },
	{ "hist: serialise/parse round trip and bad input",
	  serialise_round_trip },
};
const int nr_hist_tests = sizeof(hist_tests) / sizeof(hist_tests[0]);
