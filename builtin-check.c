// SPDX-License-Identifier: GPL-2.0
/*
 * cowbench check: the correctness oracle.  Every check of configs/check.conf
 * (a scenario with an observer, at one point of its sweep) on every backing
 * it takes here, counting pass only, through the same harness and backings
 * as 'cowbench run': missed and wrong COW from the page views, a skip with
 * its reason where a precondition does not hold.  KTAP out, kselftest
 * totals, the records in a run directory; expected failures from
 * configs/expect/ are XFAIL, an expected failure that passes an XPASS.
 */
#include <dirent.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "builtin.h"
#include "lib/expect.h"
#include "lib/ktap.h"
#include "lib/plan.h"
#include "lib/result.h"
#include "lib/scenario.h"

/* The kernel's own accounting, back where it was after each check. */
static const char *const acct_keys[] = {
	"HugePages_Total", "HugePages_Free", "HugePages_Rsvd",
	"HugePages_Surp",  "SwapTotal",
};
#define NACCT ARRAY_SIZE(acct_keys)

struct pending {
	char name[200];
	enum ktap_result res;
	char why[400];
	struct record rec; /* the scenario's counting record */
};

struct check {
	const char *pattern, *expect_file;
	struct expect_list *exp;
	struct ktap k;
	uint64_t acct[NACCT];
	struct pending *p;
	int np, cap, reps;
	int fd; /* the run's results.jsonl, for the verdict records */
	int vm_checked; /* records the policy patch's vm events agreed with */
	bool vm_present; /* the kernel has them */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cowbench check [--quick] [-k PATTERN] [--backing B]... [--repeat K]\n"
		"                      [-o DIR] [-c FILE] [--expect FILE]\n\n"
		"Every check of FILE (default configs/check.conf beside this binary's\n"
		"checkout) on every backing it takes here: KTAP version 1 out, one\n"
		"line per check (ok, not ok, SKIP, XFAIL, XPASS with the reason), then\n"
		"'# Totals: pass:P fail:F xfail:X xpass:Y skip:S error:E'.  Exit 0 when\n"
		"nothing failed, erred or passed against its expectation, else 1.\n\n"
		"  --quick          the smallest point of each sweep\n"
		"  -k PATTERN       only checks whose name matches the glob\n"
		"  -b, --backing B  only these backings (repeat the option)\n"
		"      --repeat K   each check K times\n"
		"  -o DIR           the run directory (records, env.json)\n"
		"  -c FILE          the checks\n"
		"      --expect F   expected failures (default: configs/expect/release-R,\n"
		"                   R the newest release not after the running kernel's)\n");
}

static void check_name(const struct combo *cb, int rep, int reps, char *buf,
		       int len)
{
	int n;

	check_name_of(cb->ops, cb->ops->name, &cb->params, cb->bk.name, buf,
		      len);
	n = strlen(buf);
	if (reps > 1 && n < len)
		snprintf(buf + n, len - n, " [%d/%d]", rep + 1, reps);
}

static void read_acct(uint64_t *v)
{
	size_t i;

	for (i = 0; i < NACCT; i++)
		if (!meminfo_u64(acct_keys[i], &v[i]))
			v[i] = 0;
}

/*
 * What differs from before, or a count out of range, into why.  The pool
 * and swap sizes are the machine's: back exactly.  Free and reserved pages
 * move with any other user of the pool: only never above it.
 */
static bool acct_broken(const uint64_t *before, char *why, int len)
{
	static const bool exact[NACCT] = { true, false, false, true, true };
	uint64_t now[NACCT];
	int n = 0;
	size_t i;

	read_acct(now);
	for (i = 0; i < NACCT && n < len; i++)
		if (exact[i] && now[i] != before[i])
			n += snprintf(why + n, len - n,
				      "%s%s: %llu, %llu before the check",
				      n ? "; " : "", acct_keys[i],
				      (unsigned long long)now[i],
				      (unsigned long long)before[i]);
	/* _Total counts surplus pages too: the pool is _Total */
	for (i = 1; i < 3 && n < len; i++)
		if (now[i] > now[0])
			n += snprintf(why + n, len - n,
				      "%s%s: %llu: out of range (pool %llu)",
				      n ? "; " : "", acct_keys[i],
				      (unsigned long long)now[i],
				      (unsigned long long)now[0]);
	return n > 0;
}

static bool ck_keep(void *ctx, const struct combo *cb)
{
	struct check *c = ctx;
	char name[200];

	check_name(cb, 0, 1, name, sizeof(name));
	return !c->pattern || !fnmatch(c->pattern, name, 0);
}

static void ck_begin(void *ctx, int records, const char *dir)
{
	struct check *c = ctx;

	c->fd = result_open(dir);
	if (c->fd < 0)
		die(1, "check: %s/results.jsonl: %s", dir, strerror(-c->fd));
	ktap_begin(&c->k, stdout, records);
	if (c->exp)
		ktap_diag(&c->k, "expected failures: %s", c->expect_file);
	else
		ktap_diag(&c->k, "no expectation file: every failure counts");
}

static void ck_combo_begin(void *ctx, const struct combo *cb)
{
	struct check *c = ctx;
	char name[200];

	read_acct(c->acct);
	/* test fault: a pool that did not come back after the check */
	if (test_fault("acct"))
		c->acct[0]++;
	check_name(cb, 0, 1, name, sizeof(name));
	ktap_diag(&c->k, "[RUN] %s", name);
	c->np = 0;
}

/*
 * The policy patch's /proc/vmstat events against pagemap, on anonymous
 * base pages (one event per page written): every copy and reuse the PFNs
 * show is a decision the kernel counted.  The events are system-wide,
 * other tasks add to them: a count above its event is the disagreement.
 */
static bool vm_events_disagree(struct check *c, const struct combo *cb,
			       const struct record *r, char *why, int len)
{
	const struct kvset *v = &r->c.vmstat;
	int64_t copy = kv_get(v, "cow_pte_copy", -1) +
		       kv_get(v, "cow_unshare_copy", 0),
		reuse = kv_get(v, "cow_pte_reuse", 0) +
			kv_get(v, "cow_swapin_reuse", 0) +
			kv_get(v, "cow_unshare_reuse", 0);

	/* test fault: a kernel whose events counted nothing */
	if (test_fault("vm-events"))
		copy = reuse = 0;
	c->vm_present |= copy >= 0;
	/*
	 * The patch counts anonymous faults only, not a file's COW; a NUMA
	 * hinting or a userfaultfd write-protect fault keeps the PFN and
	 * counts no decision.
	 */
	if (copy < 0 || !r->has_counts || !r->c.has_pages ||
	    !tally_decided(&r->c.t) || cb->bk.unit_pages != 1 ||
	    cb->bk.fault_pages != 1 || (cb->bk.ops->kind & BK_FILE) ||
	    cb->ops->map || kv_get(v, "numa_pte_updates", 0) > 0 ||
	    kv_get(&r->c.extra, "uffd_wp_faults", 0) > 0)
		return false;
	/* nothing decided (no write fault): 0 <= events holds whatever they are */
	if (!r->c.t.copies && !r->c.t.reuses)
		return false;
	c->vm_checked++;
	if (r->c.t.copies <= (uint64_t)copy && r->c.t.reuses <= (uint64_t)reuse)
		return false;
	snprintf(
		why, len,
		"vm events: pagemap copied %llu, cow_pte_copy + cow_unshare_copy %lld; reused %llu, cow_pte_reuse + cow_swapin_reuse + cow_unshare_reuse %lld",
		(unsigned long long)r->c.t.copies, (long long)copy,
		(unsigned long long)r->c.t.reuses, (long long)reuse);
	return true;
}

static void ck_record(void *ctx, const struct combo *cb, const struct record *r)
{
	struct check *c = ctx;
	struct pending *p;

	if (c->np == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 8;
		c->p = realloc(c->p, c->cap * sizeof(*c->p));
		if (!c->p)
			die(1, "check: out of memory");
	}
	p = &c->p[c->np++];
	p->rec = *r;
	check_name(cb, r->rep, c->reps, p->name, sizeof(p->name));
	p->res = expect_judge(c->exp, r, p->why, sizeof(p->why));
	if (vm_events_disagree(c, cb, r, p->why, sizeof(p->why)))
		p->res = KT_FAIL;
}

/*
 * The verdict beside the scenario's own record in results.jsonl, for
 * compare and the reports: scenario "check:<scenario>", the same backing,
 * parameters and counts, status ok, fail (XFAIL too), skip or error, and
 * the KTAP directive leading the reason.
 */
static void write_verdict(struct check *c, const struct pending *p)
{
	static const enum rec_status st[KT_NR] = {
		[KT_PASS] = ST_OK,  [KT_FAIL] = ST_FAIL, [KT_XFAIL] = ST_FAIL,
		[KT_XPASS] = ST_OK, [KT_SKIP] = ST_SKIP, [KT_ERROR] = ST_ERROR,
	};
	static const char *const dir[KT_NR] = {
		[KT_XFAIL] = "XFAIL: ",
		[KT_XPASS] = "XPASS: ",
	};
	struct record *v = xmalloc(sizeof(*v));
	int ret;

	*v = p->rec;
	snprintf(v->scenario, sizeof(v->scenario), "check:%.24s",
		 p->rec.scenario);
	v->status = st[p->res];
	snprintf(v->reason, sizeof(v->reason), "%s%.240s",
		 dir[p->res] ? dir[p->res] : "",
		 p->res == KT_PASS ? "" : p->why);
	ret = result_append(c->fd, v);
	free(v);
	if (ret)
		die(1, "check: writing results: %s", strerror(-ret));
}

/* After the knobs are back: the lines, each failing if accounting broke. */
static void ck_combo_done(void *ctx, const struct combo *cb)
{
	struct check *c = ctx;
	char acct[300];
	bool broken = acct_broken(c->acct, acct, sizeof(acct));
	int i;

	(void)cb;
	for (i = 0; i < c->np; i++) {
		struct pending *p = &c->p[i];

		if (broken) {
			p->res = KT_FAIL;
			snprintf(p->why, sizeof(p->why), "accounting: %s",
				 acct);
		}
		ktap_result(&c->k, p->res, p->name,
			    p->res == KT_PASS ? NULL : p->why);
		write_verdict(c, p);
	}
}

static int ck_end(void *ctx)
{
	struct check *c = ctx;

	if (c->vm_checked)
		ktap_diag(
			&c->k,
			"vm events: %d checks' pagemap counts within the policy patch's cow_* events",
			c->vm_checked);
	else if (c->vm_present)
		ktap_diag(
			&c->k,
			"vm events: present, but no check's counts could be set beside them");
	ktap_totals(&c->k);
	close(c->fd);
	return ktap_exit(&c->k);
}

/* KTAP's way to say the plan will not be met. */
static void ck_bail(void *ctx, int sig)
{
	struct check *c = ctx;
	char why[48];

	snprintf(why, sizeof(why), "interrupted by signal %d", sig);
	ktap_bail(&c->k, why);
}

/* configs/expect/release-R: the newest R not after the running kernel. */
static bool release_file(const char *top, char *buf, int len)
{
	int run_M = 0, run_m = 0, best_M = -1, best_m = -1, M, m;
	char dir[PATH_MAX];
	struct utsname u;
	struct dirent *d;
	DIR *dp;

	uname(&u);
	sscanf(u.release, "%d.%d", &run_M, &run_m);
	snprintf(dir, sizeof(dir), "%.3000s/configs/expect", top);
	dp = opendir(dir);
	while (dp && (d = readdir(dp))) {
		if (sscanf(d->d_name, "release-%d.%d", &M, &m) != 2 ||
		    M > run_M || (M == run_M && m > run_m) || M < best_M ||
		    (M == best_M && m < best_m))
			continue;
		best_M = M;
		best_m = m;
	}
	if (dp)
		closedir(dp);
	if (best_M < 0)
		return false;
	snprintf(buf, len, "%.3000s/release-%d.%d", dir, best_M, best_m);
	return true;
}

struct check_opts {
	struct plan_sel sel;
	const char *bk[64], *outdir;
	char conf[PATH_MAX], exp[PATH_MAX];
	bool have_exp;
};

static void parse(int argc, char **argv, struct check_opts *o, struct check *c)
{
	static const struct option lo[] = {
		{ "quick", no_argument, 0, 'q' },
		{ "backing", required_argument, 0, 'b' },
		{ "repeat", required_argument, 0, 'r' },
		{ "expect", required_argument, 0, 'e' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	char self[PATH_MAX], top[PATH_MAX];
	int64_t v;
	int ch;

	exe_top(self, sizeof(self), top, sizeof(top));
	snprintf(o->conf, sizeof(o->conf), "%.3000s/configs/check.conf", top);
	o->have_exp = release_file(top, o->exp, sizeof(o->exp));
	o->sel.reps = 1;
	o->sel.bk = o->bk;
	o->sel.reg = &cowbench_registry;
	o->sel.bk_narrows = true;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "k:b:o:c:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'q':
			o->sel.quick = true;
			break;
		case 'k':
			c->pattern = optarg;
			break;
		case 'b':
			if (o->sel.nbk < 64)
				o->bk[o->sel.nbk++] = optarg;
			break;
		case 'r':
			if (parse_int(optarg, &v) || v < 1 || v > 1000)
				die(EXIT_USAGE,
				    "check: --repeat: '%s' is not a number in [1, 1000]",
				    optarg);
			o->sel.reps = (int)v;
			break;
		case 'o':
			o->outdir = optarg;
			break;
		case 'c':
			snprintf(o->conf, sizeof(o->conf), "%s", optarg);
			break;
		case 'e':
			snprintf(o->exp, sizeof(o->exp), "%s", optarg);
			o->have_exp = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			die(EXIT_USAGE,
			    "check: %s '%s' (see 'cowbench check --help')",
			    optopt && strchr("kbocre", optopt) ?
				    "option needs a value:" :
				    "unknown option",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "check: unexpected argument '%s'",
		    argv[optind]);
	o->sel.config = o->conf;
	c->reps = o->sel.quick ? 1 : o->sel.reps; /* --quick: one (plan.c) */
}

int cmd_check(int argc, char **argv)
{
	static struct check_opts o;
	static struct check c;
	struct run_sink sink = {
		.ctx = &c,
		.passes = 1u << PASS_COUNTING,
		.keep = ck_keep,
		.begin = ck_begin,
		.combo_begin = ck_combo_begin,
		.record = ck_record,
		.combo_done = ck_combo_done,
		.end = ck_end,
		.bail = ck_bail,
	};
	char err[600];

	parse(argc, argv, &o, &c);
	if (o.have_exp) {
		c.exp = xmalloc(sizeof(*c.exp));
		if (expect_parse(o.exp, c.exp, err, sizeof(err)))
			die(EXIT_USAGE, "check: %s", err);
		c.expect_file = o.exp;
	}
	return run_sunk(&o.sel, o.outdir, &sink);
}
