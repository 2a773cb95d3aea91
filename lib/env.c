// SPDX-License-Identifier: GPL-2.0
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "clock.h"
#include "counters.h"
#include "env.h"
#include "knobs.h"
#include "pagemap.h"
#include "util.h"

#ifndef COWBENCH_VERSION
#define COWBENCH_VERSION "unknown"
#endif

/* Kernel options that change COW results or their cost. */
static const char *const config_keys[] = {
	"CONFIG_INIT_ON_ALLOC_DEFAULT_ON",
	"CONFIG_DEBUG_VM",
	"CONFIG_PREEMPT_NONE",
	"CONFIG_PREEMPT_VOLUNTARY",
	"CONFIG_PREEMPT",
	"CONFIG_PREEMPT_DYNAMIC",
	"CONFIG_HZ",
	"CONFIG_LRU_GEN",
	"CONFIG_ZSWAP",
	"CONFIG_PAGE_REPORTING",
	"CONFIG_CPU_MITIGATIONS",
	"CONFIG_TRANSPARENT_HUGEPAGE",
	"CONFIG_KSM",
	"CONFIG_PER_VMA_LOCK",
	"CONFIG_GUP_TEST",
	"CONFIG_PARAVIRT_TIME_ACCOUNTING",
	"CONFIG_IRQ_TIME_ACCOUNTING",
};

static char *read_config(size_t *len)
{
	gzFile gz = gzopen("/proc/config.gz", "rb");
	size_t cap = 1 << 18, n = 0;
	char *buf;
	int r;

	if (!gz) {
		struct utsname u;
		char path[160];

		uname(&u);
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		return slurp(path, len);
	}
	buf = xmalloc(cap);
	while ((r = gzread(gz, buf + n, cap - n - 1)) > 0) {
		n += r;
		if (cap - n < 4096)
			buf = xrealloc(buf, cap *= 2);
	}
	gzclose(gz);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void config_value(const char *cfg, const char *key, char *out, int len)
{
	char pat[96];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s=", key);
	p = strstr(cfg, pat);
	if (!p) {
		snprintf(out, len, "n");
		return;
	}
	p += strlen(pat);
	snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
}

static void accelerator(char *out, int len)
{
	unsigned int a, b, c, d;
	char sig[13];

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 31))) {
		snprintf(out, len, "host");
		return;
	}
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	if (!strncmp(sig, "KVMKVMKVM", 9))
		snprintf(out, len, "kvm");
	else if (!strncmp(sig, "TCGTCGTCGTCG", 12))
		snprintf(out, len, "tcg");
	else
		snprintf(out, len, "%s", sig[0] ? sig : "unknown");
}

/* CAP_SYS_ADMIN in the effective set: without it pagemap hides PFNs. */
static bool cap_sys_admin(void)
{
	char *st = slurp("/proc/self/status", NULL), *p;
	bool yes = false;

	p = st ? strstr(st, "\nCapEff:") : NULL;
	if (p)
		yes = strtoull(p + 8, NULL, 16) & (1ULL << 21);
	free(st);
	return yes;
}

/*
 * Paravirtual remote TLB flush (KVM_FEATURE_PV_TLB_FLUSH, CPUID
 * 0x40000001 EAX bit 9): a preempted vCPU is flushed later, with no IPI
 * and no tracepoint, so remote flush counts are lower bounds.
 */
static bool pv_tlb_flush(const char *accel)
{
	unsigned int a, b, c, d;

	if (strcmp(accel, "kvm"))
		return false;
	__cpuid(0x40000001, a, b, c, d);
	return a & (1u << 9);
}

/*
 * AMD's broadcast TLB invalidation (6.16+ uses it for some mms): such a
 * flush sends no IPI and fires no receiver tracepoint, so remote counts do
 * not see it.
 */
static bool cpu_flag(const char *flag)
{
	char *info = slurp("/proc/cpuinfo", NULL), *p = info;
	size_t n = strlen(flag);
	bool found = false;

	while (p && !found && (p = strstr(p, flag))) {
		found = p > info && p[-1] == ' ' &&
			(p[n] == ' ' || p[n] == '\n');
		p += n;
	}
	free(info);
	return found;
}

static void cmdline_policy(const char *cmdline, char *out, int len)
{
	const char *p = strstr(cmdline, "cow_policy=");

	if (!p) {
		snprintf(out, len, "stock");
		return;
	}
	p += strlen("cow_policy=");
	snprintf(out, len, "%.*s", (int)strcspn(p, " \n"), p);
}

bool env_kernel_commit(const char *given, const char *signature,
		       const char *version, char *out, int len, char *from,
		       int flen)
{
	const char *deb = version ? strstr(version, " Debian ") : NULL;
	int k = deb ? (int)strcspn(deb + 8, " ") : 0;

	out[0] = '\0';
	if (given && *given) {
		snprintf(out, len, "%s", given);
		snprintf(from, flen, "COWBENCH_KERNEL_COMMIT");
	} else if (signature && *signature) {
		snprintf(out, len, "%.*s", (int)strcspn(signature, "\n"),
			 signature);
		snprintf(from, flen, "/proc/version_signature");
	} else if (k) {
		snprintf(out, len, "Debian %.*s", k, deb + 8);
		snprintf(from, flen, "uname -v");
	} else {
		snprintf(
			from, flen,
			"unknown: no COWBENCH_KERNEL_COMMIT, /proc/version_signature or distribution version in uname -v");
	}
	return out[0];
}

/* The value of "KEY = VALUE" in text, trimmed; "" when absent. */
static void info_value(const char *text, const char *key, char *out, int len)
{
	size_t n = strlen(key);
	const char *p;

	out[0] = '\0';
	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n) && !strncmp(p + n, " = ", 3)) {
			snprintf(out, len, "%.*s",
				 (int)strcspn(p + n + 3, "\n"), p + n + 3);
			strtrim(out);
			return;
		}
}

bool env_kbuild_commit(const char *info, char *out, int len)
{
	char src[400], patches[512], kind[16], a[256], b[160];
	int n;

	out[0] = '\0';
	info_value(info, "source", src, sizeof(src));
	info_value(info, "patches", patches, sizeof(patches));
	if (sscanf(src, "%15s %255s %159s", kind, a, b) != 3)
		return false;
	if (!strcmp(kind, "git"))
		n = snprintf(out, len, "%s", b);
	else if (!strcmp(kind, "debian"))
		n = snprintf(out, len, "Debian %s (%s)", b, a);
	else
		return false;
	if (*patches && n < len)
		snprintf(out + n, len - n, " + %s", patches);
	return true;
}

void env_collect(struct env *e)
{
	struct utsname u;
	char cmdline[4096] = "", now[48], sig[256] = "";
	int major = 0, minor = 0;

	memset(e, 0, sizeof(*e));
	uname(&u);
	if (read_text("/proc/version_signature", sig, sizeof(sig)) < 0)
		sig[0] = '\0';
	env_kernel_commit(getenv("COWBENCH_KERNEL_COMMIT"), strtrim(sig),
			  u.version, e->kcommit, sizeof(e->kcommit),
			  e->kcommit_from, sizeof(e->kcommit_from));
	snprintf(e->release, sizeof(e->release), "%s", u.release);
	read_text("/proc/cmdline", cmdline, sizeof(cmdline));
	cmdline_policy(cmdline, e->policy, sizeof(e->policy));
	/* the policy in force: the boot's, unless a run switched it */
	if (!knob_read(COW_POLICY_SYSCTL, now, sizeof(now)))
		snprintf(e->policy, sizeof(e->policy), "%s", now);
	sscanf(u.release, "%d.%d", &major, &minor);
	snprintf(e->label, sizeof(e->label), "%s-%d.%d", e->policy, major,
		 minor);
	accelerator(e->accel, sizeof(e->accel));
	if (knob_read("/sys/kernel/mm/transparent_hugepage/enabled", e->thp,
		      sizeof(e->thp)))
		snprintf(e->thp, sizeof(e->thp), "unavailable");
}

static void str_file(struct jw *w, const char *key, const char *path)
{
	char buf[256];

	if (knob_read(path, buf, sizeof(buf)))
		jw_null(w, key);
	else
		jw_str(w, key, buf);
}

static void mm_state(struct jw *w)
{
	glob_t g;
	size_t i;
	char swaps[4096] = "";
	int nswap = -1;

	jw_open(w, "mm", '{');
	str_file(w, "thp_enabled",
		 "/sys/kernel/mm/transparent_hugepage/enabled");
	str_file(w, "thp_defrag", "/sys/kernel/mm/transparent_hugepage/defrag");
	str_file(w, "thp_use_zero_page",
		 "/sys/kernel/mm/transparent_hugepage/use_zero_page");
	str_file(w, "thp_shrink_underused",
		 "/sys/kernel/mm/transparent_hugepage/shrink_underused");
	jw_open(w, "mthp", '{');
	if (!glob("/sys/kernel/mm/transparent_hugepage/hugepages-*/enabled", 0,
		  NULL, &g)) {
		for (i = 0; i < g.gl_pathc; i++) {
			char key[64];
			const char *p = strstr(g.gl_pathv[i], "hugepages-");

			snprintf(key, sizeof(key), "%.*s",
				 (int)strcspn(p + 10, "/"), p + 10);
			str_file(w, key, g.gl_pathv[i]);
		}
		globfree(&g);
	}
	jw_close(w, '}');
	str_file(w, "ksm_run", "/sys/kernel/mm/ksm/run");
	str_file(w, "nr_hugepages", "/proc/sys/vm/nr_hugepages");
	if (read_text("/proc/swaps", swaps, sizeof(swaps)) >= 0)
		for (i = 0, nswap = -1; swaps[i]; i++)
			nswap += swaps[i] == '\n';
	jw_i64(w, "swap_devices", nswap);
	jw_close(w, '}');
}

#define PR_PARAMS "/sys/module/page_reporting/parameters/"

/*
 * Free blocks of this order go back to the host (virtio-balloon free page
 * reporting) and fault in again from it: what a cold THP allocation costs.
 */
static void page_reporting(struct jw *w)
{
	static const char *const keys[] = { "page_reporting_order",
					    "free_bitmap_enable", "min_free_ms",
					    "max_waiting_mib" };
	char path[128];
	size_t i;

	if (access(PR_PARAMS, F_OK)) {
		jw_null(w, "page_reporting");
		return;
	}
	jw_open(w, "page_reporting", '{');
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		snprintf(path, sizeof(path), PR_PARAMS "%s", keys[i]);
		if (!access(path, F_OK))
			str_file(w, keys[i], path);
	}
	jw_close(w, '}');
}

/* kdamond threads: DAMON may migrate, reclaim or split under a window. */
static void damon(struct jw *w)
{
	char buf[64];
	glob_t g;
	size_t i, n = 0;

	if (!glob("/proc/[0-9]*/comm", 0, NULL, &g)) {
		for (i = 0; i < g.gl_pathc; i++)
			n += read_text(g.gl_pathv[i], buf, sizeof(buf)) > 0 &&
			     !strncmp(buf, "kdamond", 7);
		globfree(&g);
	}
	jw_open(w, "damon", '{');
	jw_i64(w, "kdamond_threads", n);
	str_file(w, "sysfs_kdamonds",
		 "/sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds");
	jw_close(w, '}');
}

/* All CPUs' ticks and steal ticks from /proc/stat; -1 unknown. */
static void cpu_ticks(long long *all, long long *steal)
{
	char line[512];
	long long f[8];
	int i;

	*all = *steal = -1;
	if (read_text("/proc/stat", line, sizeof(line)) < 0 ||
	    sscanf(line, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &f[0],
		   &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]) != 8)
		return;
	for (*all = 0, i = 0; i < 8; i++)
		*all += f[i];
	*steal = f[7];
}

static long long reported_kib(void)
{
	char buf[32];

	if (knob_read(PR_PARAMS "reported_kib", buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

void env_run_start(struct run_end *e)
{
	memset(e, 0, sizeof(*e));
	e->t0_ns = mono_ns();
	cpu_ticks(&e->ticks0, &e->steal0);
	e->reported0 = reported_kib();
}

void utc_now(char *buf, size_t len)
{
	time_t tm = time(NULL);

	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime(&tm));
}

void env_run_end(struct run_end *e, int status)
{
	long long all, steal, rep = reported_kib();

	utc_now(e->finished, sizeof(e->finished));
	e->status = status;
	e->elapsed_s = (mono_ns() - e->t0_ns) / 1e9;
	cpu_ticks(&all, &steal);
	e->steal_pct = all > e->ticks0 && e->ticks0 >= 0 ?
			       100.0 * (steal - e->steal0) / (all - e->ticks0) :
			       -1;
	e->reported_kib =
		rep >= 0 && e->reported0 >= 0 ? rep - e->reported0 : -1;
}

/* What the whole run saw, known at its end: not part of the id. */
static void run_end(struct jw *w, const struct run_end *end)
{
	jw_open(w, "run_end", '{');
	jw_str(w, "finished", end->finished);
	jw_i64(w, "exit_status", end->status);
	jw_dbl(w, "elapsed_s", end->elapsed_s);
	jw_dbl(w, "steal_pct", end->steal_pct);
	if (end->reported_kib >= 0)
		jw_i64(w, "page_reporting_reported_kib", end->reported_kib);
	jw_close(w, '}');
}

/*
 * Who writes the run: a reader without run_end tells a run in progress
 * (this process still runs) from a killed one (pid gone, reused, or of
 * another boot).  Not part of the id.
 */
static void writer(struct jw *w)
{
	char id[64];

	boot_id(id, sizeof(id));
	jw_open(w, "writer", '{');
	jw_i64(w, "pid", getpid());
	jw_str(w, "boot_id", id);
	jw_i64(w, "start_time", proc_start_time(getpid()));
	jw_close(w, '}');
}

static void kernel_config(struct jw *w)
{
	size_t len = 0, i;
	char *cfg = read_config(&len), val[64], digest[17];

	jw_open(w, "config", '{');
	if (!cfg) {
		jw_str(w, "unavailable",
		       "no /proc/config.gz or /boot/config-*");
		jw_close(w, '}');
		return;
	}
	snprintf(digest, sizeof(digest), "%016llx",
		 (unsigned long long)fnv1a(cfg, len, FNV_SEED));
	jw_str(w, "digest", digest);
	for (i = 0; i < ARRAY_SIZE(config_keys); i++) {
		config_value(cfg, config_keys[i], val, sizeof(val));
		jw_str(w, config_keys[i] + 7, val);
	}
	free(cfg);
	jw_close(w, '}');
}

static void cpu_model(char *out, int len)
{
	char *info = slurp("/proc/cpuinfo", NULL), *p;

	snprintf(out, len, "unknown");
	p = info ? strstr(info, "model name") : NULL;
	if (p && (p = strchr(p, ':')))
		snprintf(out, len, "%.*s", (int)strcspn(p + 2, "\n"), p + 2);
	free(info);
}

/* Whether a read fault maps the zero page, as probed. */
static void zero_page(struct jw *w)
{
	int z = zero_page_on_read();

	if (z < 0)
		jw_null(w, "zero_page_on_read");
	else
		jw_bool(w, "zero_page_on_read", z);
}

/* The machine sides a run simulates ($COWBENCH_NO_*), or nothing. */
static void simulated(struct jw *w)
{
	static const char *const sim[] = { "COWBENCH_NO_ZERO_PAGE",
					   "COWBENCH_NO_SWAP" };
	char buf[128] = "";
	size_t i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(sim); i++)
		if (env_flag(sim[i]))
			n += snprintf(buf + n, sizeof(buf) - n, "%s%s=1",
				      n ? " " : "", sim[i]);
	if (n)
		jw_str(w, "simulated", buf);
}

/* Everything that defines the environment (the id is its digest). */
static void env_fields(struct jw *w, const struct env *e, const struct topo *t)
{
	struct utsname u;
	char buf[4096] = "";
	const char *hw = hw_probe(), *machine = getenv("COWBENCH_MACHINE");

	uname(&u);
	jw_str(w, "suite_version", COWBENCH_VERSION);
	jw_str(w, "hostname", u.nodename);
	/* a guest's hostname is its kernel's name: the matrix names the host */
	jw_str(w, "machine", machine && *machine ? machine : u.nodename);
	jw_str(w, "kernel", e->release);
	jw_str(w, "kernel_version", u.version);
	if (e->kcommit[0])
		jw_str(w, "kernel_commit", e->kcommit);
	else
		jw_null(w, "kernel_commit");
	jw_str(w, "kernel_commit_from", e->kcommit_from);
	jw_str(w, "label", e->label);
	jw_str(w, "cow_policy", e->policy);
	read_text("/proc/cmdline", buf, sizeof(buf));
	jw_str(w, "cmdline", strtrim(buf));
	kernel_config(w);
	cpu_model(buf, sizeof(buf));
	jw_str(w, "cpu", buf);
	jw_str(w, "accelerator", e->accel);
	jw_bool(w, "pv_tlb_flush", pv_tlb_flush(e->accel));
	jw_bool(w, "invlpgb", cpu_flag("invlpgb"));
	jw_bool(w, "cap_sys_admin", cap_sys_admin());
	zero_page(w);
	simulated(w);
	if (getenv("COWBENCH_TEST_FAULT"))
		jw_str(w, "test_faults", getenv("COWBENCH_TEST_FAULT"));
	jw_str(w, "topology", t->summary);
	jw_i64(w, "writer_cpu", t->writer_cpu);
	jw_i64(w, "other_cpu", t->other_cpu);
	mm_state(w);
	page_reporting(w);
	damon(w);
	jw_str(w, "clock_source", cb_clock.source);
	if (hw)
		jw_str(w, "hw_counters", hw);
	else
		jw_str(w, "hw_counters", "available");
}

/*
 * Keys whose value at the run's end differs from its start ("mm.thp_..."):
 * something changed a knob under the run (another cowbench process, a
 * test suite beside a matrix job, set THP shrink_underused), which a
 * reader must see beside the numbers.
 */
static void env_changed(struct jw *w, const char *start, const char *now)
{
	char err[80];
	struct jval *a = json_parse(start, err, sizeof(err)),
		    *b = json_parse(now, err, sizeof(err));
	const struct jval *x, *y;
	size_t i, k;

	jw_open(w, "env_changed", '[');
	for (i = 0; a && b && i < a->n; i++) {
		x = &a->items[i];
		y = json_get(b, a->keys[i]);
		if (json_equal(x, y))
			continue;
		if (x->t != J_OBJ || !y || y->t != J_OBJ) {
			jw_str(w, NULL, a->keys[i]);
			continue;
		}
		for (k = 0; k < x->n; k++)
			if (!json_equal(&x->items[k],
					json_get(y, x->keys[k]))) {
				char key[128];

				snprintf(key, sizeof(key), "%s.%s", a->keys[i],
					 x->keys[k]);
				jw_str(w, NULL, key);
			}
	}
	jw_close(w, ']');
	json_free(a);
	json_free(b);
}

/*
 * The first write fixes the id and the fields it digests; a later one (the
 * run's end) writes them again as they were, the records' id still env.json's,
 * and names what changed since.
 */
void env_write_json(struct jw *w, struct env *e, const struct topo *t,
		    const struct run_info *ri)
{
	struct jw body;
	char now[64];

	jw_init(&body);
	jw_open(&body, NULL, '{');
	env_fields(&body, e, t);
	jw_close(&body, '}');
	if (!e->fields) {
		snprintf(e->id, sizeof(e->id), "%016llx",
			 (unsigned long long)fnv1a(body.buf, body.len,
						   FNV_SEED));
		e->fields = xstrdup(body.buf);
	}

	jw_open(w, NULL, '{');
	jw_str(w, "id", e->id);
	if (ri) {
		jw_str(w, "run", ri->run);
		jw_open(w, "matrix", '{');
		jw_str(w, "config", ri->config);
		jw_str(w, "digest", ri->matrix);
		if (ri->order_seed >= 0)
			jw_i64(w, "order_seed", ri->order_seed);
		jw_close(w, '}');
	}
	utc_now(now, sizeof(now));
	jw_str(w, "created", ri && ri->created[0] ? ri->created : now);
	/* the object's members, without its braces */
	jw_members(w, e->fields + 1, strlen(e->fields) - 2);
	/* Measured, so it varies from run to run: not part of the id. */
	jw_open(w, "clock", '{');
	jw_dbl(w, "ns_per_tick", cb_clock.ns_per_tick);
	jw_dbl(w, "pair_ns", cb_clock.pair_ns);
	jw_dbl(w, "pair_ns_p99", cb_clock.pair_ns_p99);
	jw_close(w, '}');
	if (ri)
		writer(w);
	if (ri && ri->end) {
		run_end(w, ri->end);
		env_changed(w, e->fields, body.buf);
	}
	jw_free(&body);
	jw_close(w, '}');
}

int env_write_file(const char *dir, struct env *e, const struct topo *t,
		   const struct run_info *ri)
{
	char path[512];
	struct jw w;
	int ret;

	snprintf(path, sizeof(path), "%s/env.json", dir);
	jw_init(&w);
	env_write_json(&w, e, t, ri);
	ret = jw_write_file(&w, path);
	jw_free(&w);
	return ret;
}
