// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "clock.h"
#include "window.h"

/* se.nr_migrations (CONFIG_SCHED_DEBUG), -1 if the kernel does not say. */
static int64_t migrations(void)
{
	char *text = slurp("/proc/thread-self/sched", NULL), *p;
	int64_t n = -1;

	p = text ? strstr(text, "se.nr_migrations") : NULL;
	if (p && (p = strchr(p, ':')))
		n = strtoll(p + 1, NULL, 10);
	free(text);
	return n;
}

static void screen_take(struct screen *s)
{
	struct rusage ru;

	s->migrations = migrations();
	getrusage(RUSAGE_THREAD, &ru);
	s->ctxsw = ru.ru_nvcsw + ru.ru_nivcsw;
	s->run_ns = thread_run_ns();
	s->wall_ns = mono_ns();
}

static void open_for(struct window *w, bool counting, const void *region,
		     size_t pages, bool whole_mm)
{
	memset(w, 0, sizeof(*w));
	w->counting = counting;
	if (counting)
		counters_open(&w->c, region, pages, whole_mm);
}

void window_open(struct window *w, bool counting, const void *region,
		 size_t pages)
{
	open_for(w, counting, region, pages, true);
}

void window_open_thread(struct window *w, bool counting, const void *region,
			size_t pages)
{
	open_for(w, counting, region, pages, false);
}

void window_arm(struct window *w)
{
	vmsnap_take(&w->vb);
	screen_take(&w->sb);
	if (w->counting)
		counters_enable(&w->c);
}

void window_disarm(struct window *w)
{
	if (w->counting)
		counters_disable(&w->c);
	screen_take(&w->sa);
	vmsnap_take(&w->va);
}

void window_pause(struct window *w)
{
	if (w->counting)
		counters_disable(&w->c);
}

void window_resume(struct window *w)
{
	if (w->counting)
		counters_enable(&w->c);
}

static void screen_fill(struct window *w, struct record *r)
{
	uint64_t wall = w->sa.wall_ns - w->sb.wall_ns;
	uint64_t run = w->sa.run_ns - w->sb.run_ns;

	kv_set(&r->screen, "wall_ns", (int64_t)wall);
	if (w->sa.run_ns && run <= wall)
		kv_set(&r->screen, "lost_ns", (int64_t)(wall - run));
	kv_set(&r->screen, "ctxsw", w->sa.ctxsw - w->sb.ctxsw);
	/* in 10 ms ticks: only long windows can use it (screen_perturbed) */
	kv_set(&r->screen, "steal_ticks",
	       w->va.steal_ticks - w->vb.steal_ticks);
	if (w->sa.migrations >= 0 && w->sb.migrations >= 0)
		kv_set(&r->screen, "migrations",
		       w->sa.migrations - w->sb.migrations);
}

static void counts_fill(struct window *w, struct record *r, size_t unit,
			int8_t *faulted, size_t stride)
{
	struct rec_counts *c = &r->c;
	struct counts k;

	counters_read(&w->c, &k, unit, faulted, stride);
	c->faults = k.region_faults;
	snprintf(c->faults_skip, sizeof(c->faults_skip), "%s", k.region_skip);
	c->faults_task = k.faults_task;
	c->faults_min = k.faults_min;
	c->faults_maj = k.faults_maj;
	c->tlb_flush = k.tlb;
	c->tlb_events = k.tlb_events;
	c->hw = k.hw;
	r->has_counts = true;
	/* which writes faulted is unknown: no verdict can rest on it */
	if (k.samples_lost && r->status == ST_OK) {
		r->status = ST_ERROR;
		snprintf(r->reason, sizeof(r->reason),
			 "%llu of the region's fault samples lost (ring full)",
			 (unsigned long long)k.samples_lost);
	}
}

/*
 * The perturbation rule (docs/harness.md): a migration; a system event
 * that moves memory under us (vmstat); in a timed pass, time lost beyond
 * LOST_PCT of the window, or, where batch means carry the figure, more
 * than a quarter of the batches interrupted (their median is then no
 * longer safe).  Lost time leaves a counting pass's counts exact.
 */
#define LOST_PCT 10

static bool ops_block;

void window_blocking(bool blocks)
{
	ops_block = blocks;
}

void window_batches_perturbed(struct record *r)
{
	if (!r->perturbed[0] && !ops_block && r->batches &&
	    r->batches_interrupted * 4 > r->batches)
		snprintf(r->perturbed, sizeof(r->perturbed),
			 "%lld of %lld batches interrupted",
			 (long long)r->batches_interrupted,
			 (long long)r->batches);
}

static void screen_perturbed(struct window *w, struct record *r)
{
	uint64_t wall = w->sa.wall_ns - w->sb.wall_ns;
	uint64_t run = w->sa.run_ns - w->sb.run_ns;
	int64_t mig = w->sa.migrations - w->sb.migrations;

	if (r->perturbed[0])
		return;
	if (w->sa.migrations >= 0 && w->sb.migrations >= 0 && mig > 0)
		snprintf(r->perturbed, sizeof(r->perturbed),
			 "%lld CPU migration(s) in the window", (long long)mig);
	else if (!ops_block && r->batches &&
		 r->batches_interrupted * 4 > r->batches)
		window_batches_perturbed(r);
	else if (!ops_block && !w->counting && !r->batches && w->sa.run_ns &&
		 run < wall && wall - run > wall / 100 * LOST_PCT)
		snprintf(r->perturbed, sizeof(r->perturbed),
			 "%.0f%% of the window lost to other work",
			 100.0 * (wall - run) / wall);
	else
		vmsnap_perturbed(&w->vb, &w->va, wall, r->perturbed,
				 sizeof(r->perturbed));
}

/* A timed record's figure: t/op, or the sampled pass's p50; 0 none. */
static double regime_figure(const struct record *r)
{
	if (r->status != ST_OK || r->perturbed[0])
		return 0;
	if (!strcmp(r->pass, "timing"))
		return r->t_op_ns;
	if (!strcmp(r->pass, "sampled") && r->has_lat && r->lat.n)
		return (double)hist_pct(&r->lat, 50);
	return 0;
}

/*
 * Did repetition rep's counting pass see what most did (copies, faults)?
 * A repetition whose kernel did something else is not the host's doing.
 */
static bool counts_typical(const struct record *recs, int n, int rep)
{
	double *c = xcalloc(n, sizeof(*c)), *f = xcalloc(n, sizeof(*f));
	double mc, mf;
	const struct record *mine = NULL;
	int i, k = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(recs[i].pass, "counting") || !recs[i].has_counts)
			continue;
		c[k] = recs[i].c.t.copies;
		f[k++] = recs[i].c.faults;
		if (recs[i].rep == rep)
			mine = &recs[i];
	}
	mc = k ? median_sort(c, k) : 0;
	mf = k ? median_sort(f, k) : 0;
	free(c);
	free(f);
	return !mine ||
	       ((double)mine->c.t.copies == mc && (double)mine->c.faults == mf);
}

/* The figures of pass's unperturbed ok records, their median in *med. */
static int figures(const struct record *recs, int n, const char *pass,
		   double *med)
{
	double *v = xcalloc(n, sizeof(*v));
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (!strcmp(recs[i].pass, pass) && regime_figure(&recs[i]) > 0)
			v[k++] = regime_figure(&recs[i]);
	*med = k ? median_sort(v, k) : 0;
	free(v);
	return k;
}

static bool in_regime(double x, double med)
{
	return x <= med * REGIME_X && x * REGIME_X >= med;
}

static void screen_pass(struct record *recs, int n, const char *pass)
{
	double med, x;
	int i, k = figures(recs, n, pass, &med), out = 0;

	for (i = 0; i < n; i++)
		out += !strcmp(recs[i].pass, pass) &&
		       regime_figure(&recs[i]) > 0 &&
		       !in_regime(regime_figure(&recs[i]), med);
	/* no clear majority regime (3 of 4): which one is the host's? */
	if (k < 4 || out * 4 > k)
		return;
	for (i = 0; i < n; i++) {
		x = regime_figure(&recs[i]);
		if (strcmp(recs[i].pass, pass) || !(x > 0) ||
		    in_regime(x, med) || !counts_typical(recs, n, recs[i].rep))
			continue;
		snprintf(
			recs[i].perturbed, sizeof(recs[i].perturbed),
			"%s %.4g ns is %.1fx %s the median of %d repetitions: another regime",
			!strcmp(pass, "timing") ? "t/op" : "p50", x,
			x > med ? x / med : med / x,
			x > med ? "above" : "below", k);
	}
}

void window_screen_regimes(struct record *recs, int n)
{
	screen_pass(recs, n, "timing");
	screen_pass(recs, n, "sampled");
}

void window_fill(struct window *w, struct record *r, size_t unit_pages,
		 int8_t *faulted, size_t stride)
{
	screen_fill(w, r);
	if (w->counting) {
		counts_fill(w, r, unit_pages, faulted, stride);
		vmsnap_delta(&w->vb, &w->va, &r->c.vmstat,
			     &r->c.tlb_ipis_received);
	}
	screen_perturbed(w, r);
}

void window_close(struct window *w)
{
	if (w->counting)
		counters_close(&w->c);
}
