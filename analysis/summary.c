// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cfg.h"
#include "../lib/scenario.h"
#include "runs.h"
#include "stats.h"
#include "summary.h"

#define MAX_REPS 256

struct row {
	char scenario[32], backing[32], params[96];
	char shown[96]; /* params as a reader writes them: 32M, not 33554432 */
	/* per repetition, for medians */
	int nt, ns, nc;
	double per_op[MAX_REPS], ovh_b[MAX_REPS];
	double mean_op[MAX_REPS]; /* window / ops: every op, faults included */
	double p50[MAX_REPS], p99[MAX_REPS], ovh_s[MAX_REPS];
	double copies[MAX_REPS], reuses[MAX_REPS], cls[NCLASS][MAX_REPS];
	double populate[MAX_REPS], faults[MAX_REPS], tlb[MAX_REPS];
	int perturbed, errors;
	/* open-loop timing passes whose throughput fell short of the rate */
	int below_rate;
	double miss, wrong, unexpl; /* worst over every record: verdicts */
	bool failed;
	char reason[300];
};

static double max(double a, double b)
{
	return a > b ? a : b;
}

struct summary {
	const struct registry *reg; /* the parameters' types, or NULL */
	int n;
	struct row **rows;
};

struct summary *summary_new(const struct registry *reg)
{
	struct summary *s = xcalloc(1, sizeof(*s));

	s->reg = reg;
	return s;
}

void summary_free(struct summary *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		free(s->rows[i]);
	free(s->rows);
	free(s);
}

/* Is key a byte size in the scenario's parameters (CFG_SIZE)? */
static bool is_size(const struct scenario_ops *ops, const char *key)
{
	int i;

	for (i = 0; ops && i < ops->nparams; i++)
		if (!strcmp(ops->params[i].name, key))
			return ops->params[i].type == CFG_SIZE;
	return false;
}

/* Sizes in the config's units (32M, not 33554432); counts as they are. */
static void params_shown(const struct summary *s, const struct record *r,
			 char *buf, int len)
{
	const struct scenario_ops *ops =
		s->reg ? scenario_find(s->reg, r->scenario) : NULL;
	const struct kvset *p = &r->params;
	int i, n = 0;
	char v[32];

	buf[0] = '\0';
	for (i = 0; i < p->n && n < len; i++) {
		if (is_size(ops, p->kv[i].key))
			fmt_size(v, sizeof(v), p->kv[i].val);
		else
			snprintf(v, sizeof(v), "%lld", (long long)p->kv[i].val);
		n += snprintf(buf + n, len - n, "%s%s=%s", i ? "," : "",
			      p->kv[i].key, v);
	}
}

static struct row *find_row(struct summary *s, const struct record *r)
{
	char params[96];
	struct row *row;
	int i;

	params_str(&r->params, params, sizeof(params));
	for (i = 0; i < s->n; i++) {
		row = s->rows[i];
		if (!strcmp(row->scenario, r->scenario) &&
		    !strcmp(row->backing, r->backing) &&
		    !strcmp(row->params, params))
			return row;
	}
	row = xcalloc(1, sizeof(*row));
	snprintf(row->scenario, sizeof(row->scenario), "%s", r->scenario);
	snprintf(row->backing, sizeof(row->backing), "%s", r->backing);
	snprintf(row->params, sizeof(row->params), "%s", params);
	params_shown(s, r, row->shown, sizeof(row->shown));
	s->rows = xrealloc(s->rows, (s->n + 1) * sizeof(*s->rows));
	s->rows[s->n++] = row;
	return row;
}

/* One repetition's value of a metric of analysis/runs.c. */
static double value(const char *metric, const struct record *r)
{
	return metric_find(metric)->get(r);
}

static void add_counting(struct row *row, const struct record *r)
{
	int i = row->nc++, c;

	bool p = r->c.has_pages; /* outcomes not taken are not zeros */

	p = p && tally_decided(&r->c.t);
	row->copies[i] = p ? r->c.t.copies : NAN;
	row->reuses[i] = p ? r->c.t.reuses : NAN;
	p = r->c.has_pages;
	for (c = 0; c < NCLASS; c++)
		row->cls[c][i] = p && class_decided(&r->c.t, c) ?
					 r->c.t.classes[c] :
					 NAN;
	row->populate[i] = p ? r->c.t.events[EV_POPULATE] : NAN;
	row->faults[i] = value("faults/op", r);
	row->tlb[i] = value("tlb/op", r);
}

void summary_add(struct summary *s, const struct record *r)
{
	struct row *row = find_row(s, r);

	if (record_failed(r)) {
		/* a correctness failure counts, perturbed or not */
		row->failed = true;
		if (r->has_counts && r->c.has_pages) {
			row->miss = max(row->miss, r->c.t.classes[CLS_MISSED]);
			row->wrong = max(row->wrong, r->c.t.classes[CLS_WRONG]);
			row->unexpl =
				max(row->unexpl, r->c.t.events[EV_UNEXPLAINED]);
		}
		if (r->reason[0] && !row->reason[0])
			snprintf(row->reason, sizeof(row->reason), "%s",
				 r->reason);
		if (r->has_counts && row->nc < MAX_REPS)
			add_counting(row, r);
		return;
	}
	if (r->status != ST_OK) {
		if (!row->reason[0])
			snprintf(row->reason, sizeof(row->reason), "%s: %s",
				 rec_status_names[r->status], r->reason);
		row->errors += r->status != ST_SKIP;
		return;
	}
	if (r->perturbed[0]) {
		row->perturbed++;
		return; /* kept in the results, left out of the statistics */
	}
	if (!strcmp(r->pass, "timing"))
		row->below_rate += kv_get(&r->c.extra, "below_rate", 0) > 0;
	if (!strcmp(r->pass, "timing") && row->nt < MAX_REPS && r->ops) {
		row->per_op[row->nt] = value("t/op", r);
		row->mean_op[row->nt] = r->ops ? r->window_ns / r->ops : NAN;
		row->ovh_b[row->nt++] = r->overhead_ns;
	} else if (!strcmp(r->pass, "sampled") && row->ns < MAX_REPS) {
		row->p50[row->ns] = value("p50", r);
		row->p99[row->ns] = value("p99", r);
		row->ovh_s[row->ns++] = r->overhead_ns;
	} else if (!strcmp(r->pass, "counting") && row->nc < MAX_REPS) {
		add_counting(row, r);
	}
}

/* The values that were measured (not NAN); their number. */
static int measured(const double *v, int n, double *out)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			out[k++] = v[i];
	return k;
}

/* A count that differed between repetitions is marked with '~'; one no
 * repetition measured is "n/a", never 0. */
static void fmt_count(char *buf, int len, const double *all, int n)
{
	double v[MAX_REPS], lo, hi;
	int i;

	n = measured(all, n, v);
	if (!n) {
		snprintf(buf, len, "n/a");
		return;
	}
	lo = hi = v[0];
	for (i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	snprintf(buf, len, "%s%.0f", lo != hi ? "~" : "", median_of(v, n));
}

/* A per-op rate, or "n/a" when no repetition measured it. */
static void fmt_rate(char *buf, int len, const double *all, int n)
{
	double v[MAX_REPS];

	n = measured(all, n, v);
	if (n)
		snprintf(buf, len, "%.2f", median_of(v, n));
	else
		snprintf(buf, len, "n/a");
}

void fmt_ns(char *buf, int len, double ns)
{
	if (ns < 10000)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 10e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 10e9)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

static void print_fail(const struct row *r, FILE *out)
{
	if (!r->failed)
		return;
	fprintf(out, "  FAIL: %.0f missed, %.0f wrong COW, %.0f unexplained",
		r->miss, r->wrong, r->unexpl);
	if (r->reason[0])
		fprintf(out, " (%s)", r->reason);
}

/*
 * Time per fault where faults are few against ops (FEW_FAULTS): t/op is
 * then a store's time and the fault's is what the row is about.  The
 * window's mean, not the median of batch means: that leaves the few
 * batches with a fault out.
 */
static void fmt_fault(char *buf, int len, const struct row *r)
{
	double v[MAX_REPS], f, mean = median_of(r->mean_op, r->nt);
	int n = measured(r->faults, r->nc, v);

	f = n ? median_of(v, n) : NAN;
	if (r->nt && f > 0 && f * FEW_FAULTS <= 1)
		fmt_ns(buf, len, mean / f);
}

static void print_row(const struct row *r, FILE *out)
{
	char op[16] = "-", p99[16] = "-", ob[16] = "-", os[16] = "-";
	char flt[16] = "-";
	char cnt[8][16], rate[2][16];
	double p50 = median_of(r->per_op, r->nt),
	       s50 = median_of(r->p50, r->ns);
	int i;

	/* a workload's many parameters: on a line of their own */
	if (strlen(r->shown) > 17)
		fprintf(out, "%-16s %-4s %s\n%-16s %-4s %-17s", r->scenario,
			r->backing, r->shown, "", "", "");
	else
		fprintf(out, "%-16s %-4s %-17s", r->scenario, r->backing,
			r->shown);
	if (!r->nt && !r->ns && !r->nc) {
		if (r->failed)
			print_fail(r, out);
		else
			fprintf(out, " %s",
				r->reason[0] ?
					r->reason :
					"every repetition was perturbed");
		fputc('\n', out);
		return;
	}
	if (r->nt) {
		fmt_ns(op, sizeof(op), p50);
		snprintf(ob, sizeof(ob), "%.1f%%",
			 100 * median_of(r->ovh_b, r->nt) / p50);
	}
	if (r->ns) {
		fmt_ns(p99, sizeof(p99), median_of(r->p99, r->ns));
		snprintf(os, sizeof(os), "%.1f%%",
			 100 * median_of(r->ovh_s, r->ns) / s50);
	}
	fmt_fault(flt, sizeof(flt), r);
	fprintf(out, " %8s %8s %8s %5s %5s", op, flt, p99, ob, os);
	if (!r->nc) {
		fprintf(out, "  %s\n",
			r->reason[0] ? r->reason : "no counting pass");
		return;
	}
	fmt_count(cnt[0], 16, r->copies, r->nc);
	fmt_count(cnt[1], 16, r->reuses, r->nc);
	for (i = 0; i < NCLASS; i++)
		fmt_count(cnt[2 + i], 16, r->cls[i], r->nc);
	fmt_count(cnt[7], 16, r->populate, r->nc);
	/* verdicts: the worst repetition, perturbed or not */
	snprintf(cnt[5], 16, "%.0f", r->miss);
	snprintf(cnt[6], 16, "%.0f", r->wrong);
	fmt_rate(rate[0], 16, r->faults, r->nc);
	fmt_rate(rate[1], 16, r->tlb, r->nc);
	fprintf(out, " %6s %6s %5s %5s %5s %4s %5s %5s %6s %6s", cnt[0], cnt[1],
		cnt[2], cnt[3], cnt[4], cnt[5], cnt[6], cnt[7], rate[0],
		rate[1]);
	print_fail(r, out);
	if (r->perturbed || r->errors)
		fprintf(out, "  (%d perturbed, %d failed)", r->perturbed,
			r->errors);
	if (r->below_rate)
		fprintf(out, "  (%d below the rate: queueing, not service)",
			r->below_rate);
	fputc('\n', out);
}

void summary_print(struct summary *s, FILE *out)
{
	int i;

	fprintf(out,
		"%-16s %-4s %-17s %8s %8s %8s %5s %5s %6s %6s %5s %5s %5s %4s %5s %5s %6s %6s\n",
		"scenario", "back", "params", "t/op", "t/fault", "p99", "ovh-b",
		"ovh-s", "copies", "reuses", "reuse", "nec", "unn", "miss",
		"wrong", "popul", "flt/op", "tlb/op");
	for (i = 0; i < s->n; i++)
		print_row(s->rows[i], out);
}
