// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "util.h"

#define LIN (1 << HIST_SUB)
#define HALF (1 << (HIST_SUB - 1))

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

int hist_index(uint64_t v)
{
	int e, shift;

	if (v < LIN)
		return (int)v;
	e = 63 - __builtin_clzll(v);
	shift = e - (HIST_SUB - 1);
	if (shift > HIST_MAX_SHIFT)
		return HIST_NB - 1;
	return LIN + (shift - 1) * HALF + (int)((v >> shift) - HALF);
}

void hist_bucket(int idx, uint64_t *lo, uint64_t *hi)
{
	int shift;
	uint64_t m;

	if (idx < LIN) {
		*lo = *hi = idx;
		return;
	}
	shift = (idx - LIN) / HALF + 1;
	m = (uint64_t)((idx - LIN) % HALF + HALF);
	*lo = m << shift;
	*hi = ((m + 1) << shift) - 1;
}

void hist_record_n(struct hist *h, uint64_t v, uint64_t count)
{
	if (!count)
		return;
	h->c[hist_index(v)] += count;
	h->n += count;
	h->sum += (double)v * count;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	int i;

	if (!src->n)
		return;
	for (i = 0; i < HIST_NB; i++)
		dst->c[i] += src->c[i];
	dst->n += src->n;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

const struct hist_pct_key hist_pct_keys[HIST_NR_PCT] = { { "p50", 50 },
							 { "p90", 90 },
							 { "p99", 99 },
							 { "p999", 99.9 } };

bool hist_pct_supported(const struct hist *h, double p)
{
	return h->n * (100 - p) >= 1000 - 1e-6;
}

uint64_t hist_pct(const struct hist *h, double p)
{
	uint64_t rank, seen = 0, lo, hi, v;
	int i;

	if (!h->n)
		return 0;
	rank = (uint64_t)(p / 100.0 * h->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank >= h->n)
		return h->max;
	for (i = 0; i < HIST_NB; i++) {
		seen += h->c[i];
		if (seen >= rank)
			break;
	}
	hist_bucket(i, &lo, &hi);
	v = lo + (hi - lo) / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

double hist_mean(const struct hist *h)
{
	return h->n ? h->sum / h->n : 0;
}

char *hist_serialise(const struct hist *h)
{
	size_t cap = 64, len;
	char *s = xmalloc(cap);
	int i;

	len = snprintf(s, cap, "1;%" PRIu64 ";%" PRIu64 ";%.0f;",
		       h->n ? h->min : 0, h->max, h->sum);
	for (i = 0; i < HIST_NB; i++) {
		if (!h->c[i])
			continue;
		if (cap - len < 48)
			s = xrealloc(s, cap *= 2);
		len += snprintf(s + len, cap - len, "%s%d:%" PRIu64,
				s[len - 1] == ';' ? "" : ",", i, h->c[i]);
	}
	return s;
}

int hist_parse(struct hist *h, const char *s)
{
	unsigned long long mn, mx, idx, cnt;
	double sum;
	int used;
	const char *p;

	hist_init(h);
	if (sscanf(s, "1;%llu;%llu;%lf;%n", &mn, &mx, &sum, &used) != 3)
		return -1;
	for (p = s + used; *p;) {
		if (sscanf(p, "%llu:%llu%n", &idx, &cnt, &used) != 2 ||
		    idx >= HIST_NB)
			return -1;
		h->c[idx] += cnt;
		h->n += cnt;
		p += used;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	h->sum = sum;
	h->min = h->n ? mn : UINT64_MAX;
	h->max = mx;
	return 0;
}
