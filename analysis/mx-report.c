// SPDX-License-Identifier: GPL-2.0
/*
 * A matrix's report (mx-report.h): each job's run against what its job
 * says (policy, accelerator, the policy at boot), the compare table, a
 * report folder with the plots, the correctness verdicts, the checks whose
 * verdict differs between policies and each job's expectations; KTAP.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/expect.h"
#include "../lib/ktap.h"
#include "../lib/matrix.h"
#include "../lib/scenario.h"
#include "../lib/util.h"
#include "compare.h"
#include "mx-report.h"
#include "report.h"
#include "runs.h"

/* One run of a job in the report: "JOB", or "JOB run R/K" (`runs = K`). */
struct mx_run {
	const struct mx_job *j;
	int r;
	char name[240];
};

/*
 * A check job's own verdict: the KTAP it printed (a guest's check.ktap,
 * the host's stdout), judged there against the expectations with the
 * accounting.  Cut short (no totals, fewer lines than its plan): not ok.
 */
static void check_totals(const struct mx *m, const struct mx_run *at,
			 struct ktap *k)
{
	char path[PATH_MAX], *text, *line, *save = NULL, *tot = NULL;
	int plan = -1, lines = 0, f = 0, xp = 0, e = 0, vm = 0;
	const struct mx_job *j = at->j;

	mx_ktap_path(m, j, at->r, path, sizeof(path));
	text = slurp(path, NULL);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "1..", 3))
			plan = atoi(line + 3);
		else if (!strncmp(line, "ok ", 3) ||
			 !strncmp(line, "not ok ", 7))
			lines++;
		else if (!strncmp(line, "# Totals: ", 10))
			tot = line + 10;
		else
			sscanf(line, "# vm events: %d checks' pagemap", &vm);
	}
	if (!tot || lines != plan)
		ktap_resultf(k, KT_FAIL,
			     "%s: check cut short (%d of %d lines%s; %s)",
			     at->name, lines, plan, tot ? "" : ", no totals",
			     path);
	else if (sscanf(tot,
			"pass:%*d fail:%d xfail:%*d xpass:%d skip:%*d error:%d",
			&f, &xp, &e) != 3)
		ktap_resultf(k, KT_FAIL, "%s: check: unreadable totals '%s'",
			     at->name, tot);
	else
		ktap_resultf(k, f || xp || e ? KT_FAIL : KT_PASS,
			     "%s: check %s", at->name, tot);
	/* a policy kernel counts its decisions: some check must meet them */
	if (mx_takes_policies(m, j->kernel))
		ktap_resultf(
			k, vm > 0 ? KT_PASS : KT_FAIL,
			"%s: vm events cross-checked against pagemap in %d check(s) with a copy or reuse",
			at->name, vm);
	free(text);
}

/* One run's verdicts against configs/expect/<kernel>-<policy>. */
static void check_job(const struct mx *m, const struct mx_run *at,
		      const struct run *r, struct ktap *k)
{
	char path[PATH_MAX + 64];
	bool have = mx_expect_path(m, at->j, at->r, path, sizeof(path));

	if (mx_check_suite(at->j))
		return check_totals(m, at, k);
	if (!have) {
		ktap_diag(k, "%s: no expectations (%s)", at->name, path);
		return;
	}
	expect_file(path, at->name, r->recs, r->nrec, k);
}

/* A check's verdict in a job: what the differences table shows. */
static const char *verdict_word(const struct record *r)
{
	return r->status == ST_OK ? "ok" :
	       record_failed(r)	  ? "FAIL" :
				    rec_status_names[r->status];
}

/* The verdict of the named check in a run, or "-". */
static const char *verdict_of(const struct registry *reg, const struct run *r,
			      const char *name)
{
	char n[200];
	int i;

	for (i = 0; i < r->nrec; i++) {
		if (record_is_verdict(&r->recs[i]))
			continue;
		check_name_of(scenario_find(reg, r->recs[i].scenario),
			      r->recs[i].scenario, &r->recs[i].params,
			      r->recs[i].backing, n, sizeof(n));
		if (!strcmp(n, name))
			return verdict_word(&r->recs[i]);
	}
	return "-";
}

/* The check jobs of one kernel and one suite: its policies. */
static bool same_kernel_check(const struct mx_job *a, const struct mx_job *b)
{
	return mx_check_suite(a) && mx_check_suite(b) &&
	       !strcmp(a->kernel, b->kernel) && !strcmp(a->config, b->config);
}

/*
 * Every check whose verdict differs between the check jobs of one kernel
 * (its policies): the seed claims read straight from it.  Said once, by
 * the first job that has it.
 */
static void check_differences(const struct registry *reg,
			      const struct mx_run *at, const struct run *runs,
			      int n)
{
	char name[200];
	int a, b, i, shown = 0;

	for (a = 0; a < n; a++) {
		for (i = 0; mx_check_suite(at[a].j) && i < runs[a].nrec; i++) {
			const struct record *r = &runs[a].recs[i];
			bool differs = false, said = false;

			if (record_is_verdict(r))
				continue;
			check_name_of(scenario_find(reg, r->scenario),
				      r->scenario, &r->params, r->backing, name,
				      sizeof(name));
			for (b = 0; b < n; b++) {
				const char *v = verdict_of(reg, &runs[b], name);

				if (b == a ||
				    !same_kernel_check(at[a].j, at[b].j))
					continue;
				said |= b < a && strcmp(v, "-");
				differs |= !!strcmp(v, verdict_word(r));
			}
			if (!differs || said)
				continue;
			if (!shown++)
				printf("\nchecks whose verdict differs between policies\n");
			printf("  %s:", name);
			for (b = 0; b < n; b++)
				if (b == a ||
				    same_kernel_check(at[a].j, at[b].j))
					printf(" %s=%s", at[b].j->policy,
					       verdict_of(reg, &runs[b], name));
			printf("\n");
		}
	}
}

/* Missed and wrong COWs of a run, over its counting records. */
static void verdict_row(const struct mx_run *at, const struct run *r)
{
	uint64_t miss = 0, wrong = 0;
	int i, bad = 0;

	for (i = 0; i < r->nrec; i++) {
		if (record_is_verdict(&r->recs[i]))
			continue;
		miss += r->recs[i].c.t.classes[CLS_MISSED];
		wrong += r->recs[i].c.t.classes[CLS_WRONG];
		bad += record_failed(&r->recs[i]);
	}
	printf("  %-46s %-5s %10llu %10llu %6d\n", at->name,
	       json_str(r->env, "accelerator") ?: "?", (unsigned long long)miss,
	       (unsigned long long)wrong, bad);
}

/*
 * The host's run: its label and accelerator; an interleave's, the policy
 * in force (env.json's, read back from vm.cow_policy after the switch,
 * before the run) must be its slot's.
 */
static enum ktap_result host_matches(const struct mx_run *at,
				     const struct run *r, char *msg, int len)
{
	const char *want = at->j->slot ? at->j->slot[at->r] : NULL;

	if (!want)
		return snprintf(msg, len, "%s, %s", r->label, r->accel),
		       KT_PASS;
	snprintf(msg, len, "%s, %s, cow_policy %s", r->label, r->accel,
		 r->policy);
	return strcmp(r->policy, want) ? KT_FAIL : KT_PASS;
}

/*
 * A guest's env.json names the policy in force (the boot's, or the
 * config's cow_policy, which the run switched to) and the accelerator.
 */
static enum ktap_result env_matches(const struct mx *m, const struct mx_run *at,
				    const struct run *r, char *msg, int len)
{
	char path[PATH_MAX], accel[32], policy[24];
	const struct mx_job *j = at->j;

	if (!strcmp(j->kernel, "host"))
		return host_matches(at, r, msg, len);
	mx_job_path(m, j, "accel", path, sizeof(path));
	mx_first_line(path, accel, sizeof(accel));
	snprintf(msg, len, "cow_policy %s, accelerator %s (vmrun: %s)",
		 r->policy, r->accel, *accel ? accel : "?");
	mx_config_policy(m, j, at->r, policy, sizeof(policy));
	return strcmp(r->policy, policy) || strcmp(r->accel, accel) ? KT_FAIL :
								      KT_PASS;
}

/*
 * The policy the kernel booted with, as it said on the console: the first
 * "cow_policy: NAME" line (the boot parameter's, before any run-time
 * switch prints its own).  A grep over the whole console would match the
 * switch's line even if the boot had ignored cow_policy=.
 */
/* The console of run r's boot: each run folder keeps its own. */
static char *console_of(const struct mx *m, const struct mx_run *at)
{
	char path[PATH_MAX + MX_ID + 16];
	const struct mx_job *j = at->j;

	if (j->nrun > 1)
		snprintf(path, sizeof(path), "%s/%s/console.log", m->dir,
			 j->run[at->r]);
	else
		mx_job_path(m, j, "console.log", path, sizeof(path));
	return slurp(path, NULL);
}

/*
 * A guest's console: what the kernel reported on itself (DEBUG_VM's
 * VM_BUG_ON, a WARN, an oops) fails the boot's runs, whatever they said.
 */
static void console_clean(const struct mx *m, const struct mx_run *at,
			  struct ktap *k)
{
	static const char *const bad[] = { "BUG:",
					   "kernel BUG at",
					   "Oops:",
					   "WARNING:",
					   "Kernel panic",
					   "bad page",
					   "general protection fault" };
	char *text = console_of(m, at), *hit = NULL;
	size_t i;

	if (!*at->j->image) {
		free(text);
		return;
	}
	for (i = 0; text && !hit && i < ARRAY_SIZE(bad); i++)
		hit = strstr(text, bad[i]);
	if (hit) {
		while (hit > text && hit[-1] != '\n')
			hit--;
		hit[strcspn(hit, "\r\n")] = '\0';
	}
	ktap_resultf(k, hit || !text ? KT_FAIL : KT_PASS,
		     "%s: console free of BUG/Oops/WARNING (%.160s)", at->name,
		     hit  ? hit :
		     text ? "clean" :
			    "no console");
	free(text);
}

static void boot_policy(const struct mx *m, const struct mx_run *at,
			struct ktap *k)
{
	char said[32] = "";
	const struct mx_job *j = at->j;
	char *text, *p;

	if (!mx_takes_policies(m, j->kernel))
		return;
	text = console_of(m, at);
	p = text ? strstr(text, "cow_policy: ") : NULL;
	if (p)
		snprintf(said, sizeof(said), "%.*s",
			 (int)strcspn(p + 12, ": \r\n"), p + 12);
	ktap_resultf(
		k, strcmp(said, mx_boot_policy(j)) ? KT_FAIL : KT_PASS,
		"%s: booted with cow_policy=%s (console, first 'cow_policy:' line: %s)",
		at->name, mx_boot_policy(j),
		*said ? said :
		text  ? "none" :
			"no console");
	free(text);
}

/* Run r of job j: loaded into *run, a line that it ran as its job says. */
static bool load_run(const struct mx *m, const struct mx_run *at,
		     struct run *run, struct ktap *k)
{
	char path[PATH_MAX + MX_ID + 16], err[800];
	const struct mx_job *j = at->j;

	snprintf(path, sizeof(path), "%s/%s", m->dir, j->run[at->r]);
	if (run_load(path, run, err, sizeof(err))) {
		ktap_resultf(k, KT_FAIL, "%s: ran (%s)", at->name, err);
		return false;
	}
	ktap_resultf(k, env_matches(m, at, run, err, sizeof(err)),
		     "%s: ran (%s, %s)", at->name, j->run[at->r], err);
	/* an interleave's runs share one boot */
	if (!j->slot || !at->r) {
		boot_policy(m, at, k);
		console_clean(m, at, k);
	}
	return true;
}

/*
 * An interleave job's runs ran in the seeded order: each under its slot's
 * policy (env.json, read back from vm.cow_policy) and started no earlier
 * than the one before it.
 */
static void interleave_order(const struct mx_run *at, const struct run *runs,
			     int n, struct ktap *k)
{
	char order[1024] = "";
	bool in_order = n == at->j->nrun;
	int r, len = 0;

	for (r = 0; r < n; r++) {
		in_order &= !strcmp(runs[r].policy, at->j->slot[r]) &&
			    (!r ||
			     strcmp(runs[r - 1].created, runs[r].created) <= 0);
		if (len < (int)sizeof(order))
			len += snprintf(order + len, sizeof(order) - len,
					"%s%s", r ? " " : "", runs[r].policy);
	}
	ktap_resultf(k, in_order ? KT_PASS : KT_FAIL,
		     "%s: %d of %d runs in the order of seed %u (%s)",
		     at->j->id, n, at->j->nrun, at->j->seed, order);
}

/* "JOB", "JOB run R/K" (`runs = K`), "JOB run R/N (POLICY)" (interleave) */
static void run_name(const struct mx_job *j, int r, char *buf, int len)
{
	int n = snprintf(buf, len, "%s", j->id);

	if (j->nrun > 1)
		n += snprintf(buf + n, len - n, " run %d/%d", r + 1, j->nrun);
	if (j->slot)
		snprintf(buf + n, len - n, " (%s)", j->slot[r]);
}

/* Every run of the jobs (only: that one's) into runs and at; how many. */
static int load_runs(const struct mx *m, const char *only, struct run *runs,
		     struct mx_run *at, struct ktap *k)
{
	int i, r, first, n = 0;

	for (i = 0; i < m->n; i++) {
		const struct mx_job *j = &m->jobs[i];

		if (only && strcmp(j->id, only))
			continue;
		if (j->state == MX_SKIP) {
			ktap_result(k, KT_SKIP, j->id, j->why);
			continue;
		}
		if (j->state != MX_OK) {
			ktap_resultf(k, KT_FAIL, "%s: ran (%s)", j->id,
				     *j->why ? j->why : "not run");
			continue;
		}
		for (r = 0, first = n; r < j->done; r++) {
			at[n] = (struct mx_run){ .j = j, .r = r };
			run_name(j, r, at[n].name, sizeof(at[n].name));
			n += load_run(m, &at[n], &runs[n], k);
		}
		if (j->slot)
			interleave_order(&at[first], &runs[first], n - first,
					 k);
	}
	return n;
}

/* Runs a and b are one column: one job's, an interleave's of one policy. */
static bool same_column(const struct mx_run *a, const struct mx_run *b)
{
	return a->j == b->j &&
	       (!a->j->slot || !strcmp(a->j->slot[a->r], b->j->slot[b->r]));
}

/*
 * The runs as columns (into ord, shallow copies of runs, a column's runs
 * side by side): a job's runs are one (`runs = K`: the statistical unit
 * when K >= 2), an interleave's one per policy.  Their number.
 */
static int columns_of(const struct run *runs, const struct mx_run *at, int n,
		      struct run *ord, struct column *cols)
{
	bool *put = xcalloc(n, sizeof(*put));
	int a, b, c = 0, o = 0;

	for (a = 0; a < n; a++) {
		if (put[a])
			continue;
		cols[c] = (struct column){ .runs = &ord[o] };
		for (b = a; b < n; b++)
			if (!put[b] && same_column(&at[a], &at[b])) {
				ord[o++] = runs[b];
				put[b] = true;
				cols[c].n++;
			}
		snprintf(cols[c].name, sizeof(cols[c].name), "%.120s",
			 cols[c].n > 1 ? at[a].j->id : runs[a].name);
		if (at[a].j->slot)
			snprintf(cols[c].name, sizeof(cols[c].name), "%.80s-%s",
				 at[a].j->id, at[a].j->slot[at[a].r]);
		c++;
	}
	free(put);
	return c;
}

/* The compare table and the report folder of all the runs. */
static void table_and_plots(const struct mx *m, const struct run *runs,
			    const struct mx_run *at, int n, struct ktap *k)
{
	struct column *cols = xcalloc(n, sizeof(*cols));
	struct run *ord = xcalloc(n, sizeof(*ord));
	char path[PATH_MAX + 16], err[800];
	int c = columns_of(runs, at, n, ord, cols);

	printf("\n");
	compare_print(stdout, cols, c, FMT_TEXT);
	snprintf(path, sizeof(path), "%s/report", m->dir);
	if (report_write(cols, c, path, stdout, err, sizeof(err)))
		ktap_resultf(k, KT_FAIL, "report: %s", err);
	else
		ktap_resultf(k, KT_PASS, "report: %s", path);
	free(ord);
	free(cols);
}

/* Missed and wrong COWs of each run. */
static void verdict_table(const struct run *runs, const struct mx_run *at,
			  int n)
{
	int i;

	printf("\ncorrectness verdicts (counting records)\n  %-46s %-5s %10s %10s %6s\n",
	       "job", "accel", "missed_cow", "wrong_cow", "failed");
	for (i = 0; i < n; i++)
		verdict_row(&at[i], &runs[i]);
	printf("\n");
}

int mx_report(const struct mx *m, const char *only)
{
	struct run *runs;
	struct mx_run *at;
	struct ktap k;
	int i, n = 0;

	for (i = 0; i < m->n; i++)
		n += m->jobs[i].nrun;
	runs = xcalloc(n, sizeof(*runs));
	at = xcalloc(n, sizeof(*at));

	printf("\n");
	ktap_begin(&k, stdout, -1);
	if (m->runs > 1)
		ktap_diag(&k, "runs = %d: each job runs its config %d times",
			  m->runs, m->runs);
	if (m->interleave)
		ktap_diag(
			&k,
			"interleave: each job runs %d per policy in one boot, vm.cow_policy switched between the runs in a seeded random order",
			m->runs);
	n = load_runs(m, only, runs, at, &k);
	if (n && !only)
		table_and_plots(m, runs, at, n, &k);
	if (n)
		verdict_table(runs, at, n);
	check_differences(m->reg, at, runs, n);
	for (i = 0; i < n; i++) {
		check_job(m, &at[i], &runs[i], &k);
		run_free(&runs[i]);
	}
	free(runs);
	free(at);
	ktap_end(&k);
	ktap_summary(&k);
	return ktap_exit(&k);
}

int mx_run_id(const char *dir, char *id, int len, char *err, int errlen)
{
	struct run r;

	if (run_load(dir, &r, err, errlen))
		return -1;
	snprintf(id, len, "%s", json_str(r.env, "run") ?: "unnamed");
	run_free(&r);
	return 0;
}
