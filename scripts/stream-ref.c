// SPDX-License-Identifier: GPL-2.0
/*
 * A reference for the stream driver, measured by STREAM's rules (McCalpin,
 * stream.c v5.10), written for cowbench: three static arrays of
 * STREAM_N doubles (a compile-time size, as STREAM's, so that -O2 knows
 * the trip count and vectorises), initialised a = 2, b = 2, c = 0, scalar
 * 3; NTIMES iterations of copy, scale, add, triad, each kernel timed on
 * its own; the first iteration left out; the best time gives the rate,
 * MB = 10^6 bytes, bytes counted as read plus written (copy and scale 2
 * arrays, add and triad 3); the results checked against the same
 * recurrence run on scalars (average relative error below 1e-13).
 *
 * Build and run: scripts/peer-stream.sh (it passes -DSTREAM_N).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef STREAM_N
#define STREAM_N 10000000
#endif
#ifndef NTIMES
#define NTIMES 10
#endif

static double a[STREAM_N], b[STREAM_N], c[STREAM_N];

static const char *const names[4] = { "copy", "scale", "add", "triad" };
static const int arrays[4] = { 2, 2, 3, 3 };

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static void kernel(int k, double s)
{
	long j;

	switch (k) {
	case 0:
		for (j = 0; j < STREAM_N; j++)
			c[j] = a[j];
		break;
	case 1:
		for (j = 0; j < STREAM_N; j++)
			b[j] = s * c[j];
		break;
	case 2:
		for (j = 0; j < STREAM_N; j++)
			c[j] = a[j] + b[j];
		break;
	default:
		for (j = 0; j < STREAM_N; j++)
			a[j] = b[j] + s * c[j];
		break;
	}
}

/* Average relative error of one array against its expected value. */
static double error(const double *x, double want)
{
	double sum = 0;
	long j;

	for (j = 0; j < STREAM_N; j++)
		sum += fabs(x[j] - want);
	return sum / STREAM_N / fabs(want);
}

static int check(double s)
{
	double ea = 2, eb = 2, ec = 0;
	int k;

	for (k = 0; k < NTIMES; k++) {
		ec = ea;
		eb = s * ec;
		ec = ea + eb;
		ea = eb + s * ec;
	}
	if (error(a, ea) < 1e-13 && error(b, eb) < 1e-13 &&
	    error(c, ec) < 1e-13)
		return 0;
	fprintf(stderr, "stream-ref: results wrong\n");
	return 1;
}

/* What the arrays ran on: PMD-mapped THP of the process, from smaps_rollup. */
static long anon_huge_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "AnonHugePages:", 14))
			kb = atol(line + 14);
	if (f)
		fclose(f);
	return kb;
}

int main(void)
{
	double best[4] = { 0 }, sum[4] = { 0 }, s = 3.0, t;
	long j;
	int k, i;

	for (j = 0; j < STREAM_N; j++) {
		a[j] = 1;
		b[j] = 2;
		c[j] = 0;
	}
	for (j = 0; j < STREAM_N; j++)
		a[j] *= 2;
	for (k = 0; k < NTIMES; k++) {
		for (i = 0; i < 4; i++) {
			t = now();
			kernel(i, s);
			t = now() - t;
			if (!k)
				continue;
			if (k == 1 || t < best[i])
				best[i] = t;
			sum[i] += t;
		}
	}
	printf("stream-ref: %d doubles per array (%.1f MiB), %d iterations, first untimed\n",
	       STREAM_N, STREAM_N * 8.0 / (1 << 20), NTIMES);
	for (i = 0; i < 4; i++) {
		double bytes = arrays[i] * 8.0 * STREAM_N;

		printf("%s best_mb_per_s=%.0f avg_mb_per_s=%.0f\n", names[i],
		       1e-6 * bytes / best[i],
		       1e-6 * bytes / (sum[i] / (NTIMES - 1)));
	}
	printf("anon_huge_kb=%ld\n", anon_huge_kb());
	return check(s);
}
