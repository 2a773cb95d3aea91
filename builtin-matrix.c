// SPDX-License-Identifier: GPL-2.0
/*
 * cowbench matrix FILE: kernels x policies x configs (configs/matrix/NAME.conf)
 * become jobs.  Missing kernels are built (scripts/kbuild.sh, cached), each
 * job runs `cowbench run` in a guest (scripts/vmrun.sh + guest-run.sh) or,
 * for `host`, on the running kernel; every job has a hard time limit and a
 * job that panics, hangs or fails is a recorded failure.  The runs land in
 * one folder by run id; then the compare table, a report folder with the
 * plots, and each job's verdicts against configs/expect/<kernel>-<policy>.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analysis/compare.h"
#include "analysis/report.h"
#include "analysis/runs.h"
#include "builtin.h"
#include "lib/cfg.h"
#include "lib/env.h"
#include "lib/expect.h"
#include "lib/plan.h"

/* pending: to run now; other: not the --job asked for */
enum job_state { JOB_PENDING, JOB_OK, JOB_FAIL, JOB_OTHER };

struct job {
	const char *kernel, *policy, *config;
	char id[200];
	char image[512]; /* the guest's bzImage once built; "" for host */
	char kcommit[256]; /* the tree it was built from, "" if not known */
	char key[400]; /* kernel cache key and settings: the status's `key` */
	enum job_state state;
	char run[128], why[256];
};

struct mx {
	const char **choices[3]; /* of kernels, configs, debug-vm */
	char file[256], dir[512], top[PATH_MAX], self[PATH_MAX];
	char machine[65]; /* this machine's hostname: in every run id */
	struct cfg cfg;
	const struct cfg_val *kernels, *policies, *configs;
	const struct cfg_val *debug_vm; /* kernels built with DEBUG_VM */
	int timeout, mem;
	const char *swap, *accel;
	struct job *jobs;
	int n;
};

struct opts {
	const char *file, *dir, *job;
	bool jobs_only, report_only, rebuild;
};

static const char *const policy_words[] = { "stock",	      "page_count",
					    "page_count_v59", "mapcount",
					    "always_copy",    NULL };
static const char *const swap_words[] = { "none", "file", "zram", NULL };
static const char *const accel_words[] = { "auto", "kvm", "tcg", NULL };
static const char *const measure_words[] = { "counts", "timing", NULL };

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

/* ---- the checkout, its kernels and configs ---- */

/* The checkout this binary was built in: <top>/build/cowbench. */
static void find_top(struct mx *m)
{
	char path[PATH_MAX + 32];
	struct utsname u;

	uname(&u);
	snprintf(m->machine, sizeof(m->machine), "%s", u.nodename);
	exe_top(m->self, sizeof(m->self), m->top, sizeof(m->top));
	snprintf(path, sizeof(path), "%s/scripts/vmrun.sh", m->top);
	if (access(path, X_OK))
		die(EXIT_USAGE,
		    "matrix: no scripts/vmrun.sh in %s (run the checkout's own cowbench)",
		    m->top);
}

/* A script of the checkout, or the test's stand-in from the environment. */
static void script(const struct mx *m, const char *env, const char *name,
		   char *buf, int len)
{
	const char *v = getenv(env);

	if (v && *v)
		snprintf(buf, len, "%s", v);
	else
		snprintf(buf, len, "%.3900s/scripts/%s", m->top, name);
}

/* Names of the .conf files in dir without the suffix, NULL-terminated; `first` first. */
static const char **conf_names(const char *dir, const char *first)
{
	char pat[PATH_MAX + 16];
	const char **w;
	glob_t g;
	size_t i, n = 0;

	snprintf(pat, sizeof(pat), "%s/*.conf", dir);
	if (glob(pat, 0, NULL, &g))
		g.gl_pathc = 0;
	w = xcalloc(g.gl_pathc + 2, sizeof(*w));
	if (first)
		w[n++] = first;
	for (i = 0; i < g.gl_pathc; i++) {
		char *b = xstrdup(strrchr(g.gl_pathv[i], '/') + 1);

		b[strlen(b) - 5] = '\0';
		w[n++] = b;
	}
	if (g.gl_pathc)
		globfree(&g);
	return w;
}

/* A kernel carrying a cow-policy patch boots with every policy. */
static bool takes_policies(const struct mx *m, const char *kernel)
{
	char path[PATH_MAX + 64], *text, *line, *save = NULL;
	bool yes = false;

	if (!strcmp(kernel, "host"))
		return false;
	snprintf(path, sizeof(path), "%s/configs/kernels/%s.conf", m->top,
		 kernel);
	text = slurp(path, NULL);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "#")] = '\0';
		if (!strncmp(strtrim(line), "patches", 7) &&
		    strstr(line, "cow-policy-"))
			yes = true;
	}
	free(text);
	return yes;
}

static int int_or(const struct cfg *c, const char *key, int def)
{
	const struct cfg_val *v = cfg_find(c, key);

	return v ? (int)v->v[0] : def;
}

static const char *word_or(const struct cfg *c, const char *key,
			   const char *def)
{
	const struct cfg_val *v = cfg_find(c, key);

	return v ? v->w[0] : def;
}

/*
 * `measure = timing`: times under TCG are not evidence (software TLB and
 * `rep movs`), so the guests must run under KVM: `accel = tcg` is bad
 * input, `auto` becomes `kvm` (vmrun fails the job rather than falling
 * back), and a machine without /dev/kvm is refused before anything runs.
 * `counts` (the default) may use TCG: counts and verdicts are exact there.
 */
static void timing_needs_kvm(struct mx *m, const char *path)
{
	int k;

	if (strcmp(word_or(&m->cfg, "measure", "counts"), "timing"))
		return;
	if (!strcmp(m->accel, "tcg"))
		die(EXIT_USAGE,
		    "matrix: %s: measure = timing refuses accel = tcg (TCG times are not evidence)",
		    path);
	m->accel = "kvm";
	for (k = 0; k < m->kernels->n; k++)
		if (strcmp(m->kernels->w[k], "host") &&
		    access("/dev/kvm", R_OK | W_OK))
			die(EXIT_USAGE,
			    "matrix: %s: measure = timing needs KVM (/dev/kvm: %s)",
			    path, strerror(errno));
}

static void parse_file(struct mx *m, const char *path)
{
	char kdir[PATH_MAX + 32], cdir[PATH_MAX + 16], err[512];
	struct cfg_key schema[] = {
		{ "kernels", CFG_WORD, 0, 0, CFG_MAXV, NULL },
		{ "policies", CFG_WORD, 0, 0, CFG_MAXV, policy_words },
		{ "configs", CFG_WORD, 0, 0, CFG_MAXV, NULL },
		{ "debug-vm", CFG_WORD, 0, 0, CFG_MAXV, NULL },
		{ "timeout", CFG_INT, 10, 86400, 1, NULL },
		{ "mem", CFG_INT, 256, 1 << 20, 1, NULL },
		{ "swap", CFG_WORD, 0, 0, 1, swap_words },
		{ "accel", CFG_WORD, 0, 0, 1, accel_words },
		{ "measure", CFG_WORD, 0, 0, 1, measure_words },
	};

	snprintf(kdir, sizeof(kdir), "%s/configs/kernels", m->top);
	snprintf(cdir, sizeof(cdir), "%s/configs", m->top);
	/* kept in m: the values point into them */
	schema[0].choices = m->choices[0] = conf_names(kdir, "host");
	schema[2].choices = m->choices[1] = conf_names(cdir, NULL);
	schema[3].choices = m->choices[2] = conf_names(kdir, "all");
	if (cfg_parse_file(schema, ARRAY_SIZE(schema), path, &m->cfg, err,
			   sizeof(err)))
		die(EXIT_USAGE, "matrix: %s", err);
	snprintf(m->file, sizeof(m->file), "%s", path);
	m->kernels = cfg_find(&m->cfg, "kernels");
	m->policies = cfg_find(&m->cfg, "policies");
	m->configs = cfg_find(&m->cfg, "configs");
	if (!m->kernels || !m->configs)
		die(EXIT_USAGE, "matrix: %s: needs 'kernels' and 'configs'",
		    path);
	m->debug_vm = cfg_find(&m->cfg, "debug-vm");
	m->timeout = int_or(&m->cfg, "timeout", 900);
	m->mem = int_or(&m->cfg, "mem", 2048);
	m->swap = word_or(&m->cfg, "swap", "file");
	m->accel = word_or(&m->cfg, "accel", "auto");
	timing_needs_kvm(m, path);
}

static void add_job(struct mx *m, const char *k, const char *p, const char *c)
{
	struct job *j;
	int i;

	for (i = 0; i < m->n; i++)
		if (m->jobs[i].kernel == k && m->jobs[i].policy == p &&
		    m->jobs[i].config == c)
			return;
	m->jobs = xrealloc(m->jobs, (m->n + 1) * sizeof(*m->jobs));
	j = &m->jobs[m->n++];
	memset(j, 0, sizeof(*j));
	j->kernel = k;
	j->policy = p;
	j->config = c;
	snprintf(j->id, sizeof(j->id), "%s+%s+%s", k, p, c);
}

/* kernels x policies x configs; a kernel without the patch: stock only. */
static void expand(struct mx *m)
{
	int k, p, c;

	for (k = 0; k < m->kernels->n; k++) {
		const char *kn = m->kernels->w[k];
		bool all = takes_policies(m, kn);

		for (p = 0; p < (all && m->policies ? m->policies->n : 1); p++)
			for (c = 0; c < m->configs->n; c++)
				add_job(m, kn,
					all && m->policies ? m->policies->w[p] :
							     "stock",
					m->configs->w[c]);
	}
}

/* Every guest config is a valid run matrix (the planner dies with 2). */
static void validate_configs(const struct mx *m)
{
	char path[PATH_MAX + 32];
	struct plan_sel sel;
	struct plan p;
	int c;

	for (c = 0; c < m->configs->n; c++) {
		snprintf(path, sizeof(path), "%s/configs/%s.conf", m->top,
			 m->configs->w[c]);
		memset(&sel, 0, sizeof(sel));
		sel.reg = &cowbench_registry;
		sel.config = path;
		sel.reps = -1;
		plan_build(&p, &sel);
		plan_free(&p);
	}
}

/* ---- files and processes ---- */

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(path);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int copy_file(const char *from, const char *to)
{
	size_t len = 0;
	char *text = slurp(from, &len);
	FILE *f;
	int ret;

	if (!text)
		return -1;
	f = fopen(to, "w");
	ret = f && fwrite(text, 1, len, f) == len ? 0 : -1;
	if (f && fclose(f))
		ret = -1;
	free(text);
	return ret;
}

static void redirect(int fd, const char *path)
{
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (f < 0 || dup2(f, fd) < 0)
		_exit(127);
	close(f);
}

/*
 * Run argv in its own process group, stdout and stderr into files, at
 * most limit_s seconds (0: no limit).  Its exit status; -1 when it was
 * killed at the limit or died of a signal.  SIGINT/SIGTERM to us ends it
 * (its traps stop the guest) and then us.
 */
static int spawn(char *const argv[], const char *out, const char *err,
		 int limit_s)
{
	struct timespec tick = { 0, 200 * 1000 * 1000 };
	time_t t0 = time(NULL);
	int st, killed = 0;
	pid_t pid = fork();

	if (pid < 0)
		die(1, "matrix: fork: %s", strerror(errno));
	if (!pid) {
		setpgid(0, 0);
		redirect(1, out);
		redirect(2, err);
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (stop_sig ||
		    (limit_s && time(NULL) - t0 >= limit_s && killed < 2)) {
			kill(-pid, killed++ ? SIGKILL : SIGTERM);
			limit_s = stop_sig ? limit_s : limit_s + 10;
		}
		nanosleep(&tick, NULL);
	}
	if (stop_sig)
		die(128 + stop_sig, "matrix: stopped by signal %d", stop_sig);
	return WIFEXITED(st) && !killed ? WEXITSTATUS(st) : -1;
}

/* The first line of a file, trimmed, into buf; "" when none. */
static char *first_line(const char *path, char *buf, int len)
{
	buf[0] = '\0';
	if (read_text(path, buf, len) < 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return strtrim(buf);
}

/* ---- building ---- */

/* debug-vm names the kernel, or `all`, or is absent (all) */
static bool debug_vm(const struct mx *m, const char *kernel)
{
	int i;

	for (i = 0; m->debug_vm && i < m->debug_vm->n; i++)
		if (!strcmp(m->debug_vm->w[i], kernel) ||
		    !strcmp(m->debug_vm->w[i], "all"))
			return true;
	return !m->debug_vm;
}

/* The tree kbuild.sh built into cache folder dir (its info file), or "". */
static void kbuild_commit(const char *dir, char *buf, int len)
{
	char path[PATH_MAX];
	char *info;

	snprintf(path, sizeof(path), "%s/info", dir);
	info = slurp(path, NULL);
	if (!info || !env_kbuild_commit(info, buf, len))
		buf[0] = '\0';
	free(info);
}

static void build_kernel(const struct mx *m, const char *kernel, bool rebuild)
{
	bool dbg = debug_vm(m, kernel);
	char kb[PATH_MAX], out[PATH_MAX + 64], err[PATH_MAX + 64], img[512];
	char *argv[] = { kb, (char *)kernel, "--debug-vm", "--rebuild", NULL };
	char commit[256];
	time_t t0 = time(NULL);
	int i, rc;

	script(m, "COWBENCH_KBUILD", "kbuild.sh", kb, sizeof(kb));
	if (!dbg) {
		argv[2] = rebuild ? "--rebuild" : NULL;
		argv[3] = NULL;
	} else if (!rebuild) {
		argv[3] = NULL;
	}
	snprintf(out, sizeof(out), "%s/jobs/kbuild-%s.out", m->dir, kernel);
	snprintf(err, sizeof(err), "%s/jobs/kbuild-%s.log", m->dir, kernel);
	printf("kernel %s%s: building or from the cache (log: %s)\n", kernel,
	       dbg ? " (DEBUG_VM)" : "", err);
	fflush(stdout);
	rc = spawn(argv, out, err, 0);
	first_line(out, img, sizeof(img) - 16);
	kbuild_commit(img, commit, sizeof(commit));
	strncat(img, "/bzImage", sizeof(img) - strlen(img) - 1);
	if (rc || access(img, R_OK))
		printf("kernel %s: build failed (%s)\n", kernel, err);
	else
		printf("kernel %s: %s (%ld s)\n", kernel, img,
		       (long)(time(NULL) - t0));
	for (i = 0; i < m->n; i++) {
		struct job *j = &m->jobs[i];

		if (strcmp(j->kernel, kernel))
			continue;
		if (rc || access(img, R_OK))
			snprintf(j->why, sizeof(j->why),
				 "kernel build failed: %.200s", err);
		else
			snprintf(j->image, sizeof(j->image), "%s", img);
		snprintf(j->kcommit, sizeof(j->kcommit), "%s", commit);
	}
}

/* Build every guest kernel that a job to run needs, once each. */
static void build_kernels(struct mx *m, bool rebuild)
{
	int i, k;

	for (i = 0; i < m->n; i++) {
		const char *kn = m->jobs[i].kernel;

		if (m->jobs[i].state != JOB_PENDING || !strcmp(kn, "host"))
			continue;
		for (k = 0; k < i; k++)
			if (!strcmp(m->jobs[k].kernel, kn) &&
			    m->jobs[k].state == JOB_PENDING)
				break;
		if (k == i)
			build_kernel(m, kn, rebuild);
	}
}

/* ---- what a job's results depend on ---- */

/*
 * The run id's tag ($COWBENCH_RUN_TAG): with the time and the hostname it
 * makes the id unique by construction.  A guest's hostname is its kernel's
 * name, so its tag is the rest of the job id and this machine; the host's
 * hostname is this machine, so its tag is the job id.
 */
static void job_tag(const struct mx *m, const struct job *j, char *buf, int len)
{
	if (!strcmp(j->kernel, "host"))
		snprintf(buf, len, "%s", j->id);
	else
		snprintf(buf, len, "%s+%s@%s", j->policy, j->config,
			 m->machine);
}

/* Every tag fits a run id (cowbench run takes up to 80 characters). */
static void check_tags(const struct mx *m)
{
	char tag[512];
	int i;

	for (i = 0; i < m->n; i++) {
		job_tag(m, &m->jobs[i], tag, sizeof(tag));
		if (strlen(tag) > 80)
			die(EXIT_USAGE,
			    "matrix: job %s on %s: run id tag '%s' is over 80 characters",
			    m->jobs[i].id, m->machine, tag);
	}
}

/* The output of `kbuild.sh KERNEL [--debug-vm] --key`, or "unknown: ...". */
static void kernel_key(const struct mx *m, const char *kernel, char *buf,
		       int len)
{
	char kb[PATH_MAX], out[PATH_MAX + 64], err[PATH_MAX + 64];
	char *argv[] = { kb, (char *)kernel, "--key", "--debug-vm", NULL };

	script(m, "COWBENCH_KBUILD", "kbuild.sh", kb, sizeof(kb));
	if (!debug_vm(m, kernel))
		argv[3] = NULL;
	snprintf(out, sizeof(out), "%s/jobs/kbuild-%s.key", m->dir, kernel);
	snprintf(err, sizeof(err), "%s/jobs/kbuild-%s.keylog", m->dir, kernel);
	if (spawn(argv, out, err, 600) || !*first_line(out, buf, len))
		snprintf(buf, len, "unknown (%.200s)", err);
}

/*
 * The job's key: its kernel (kbuild.sh's cache key, or the host's
 * release and build), the VM settings and its config's text.  Kept in the
 * job's status: an "ok" whose key changed is run again.
 */
static void job_key(const struct mx *m, struct job *j, const struct job *same)
{
	char kk[300], path[PATH_MAX + 32], *text;
	size_t len = 0;
	struct utsname u;
	uint64_t h;

	if (same) {
		snprintf(kk, sizeof(kk), "%s", same->key + 7);
		kk[strcspn(kk, " ")] = '\0';
	} else if (!strcmp(j->kernel, "host")) {
		uname(&u);
		snprintf(kk, sizeof(kk), "host:%.60s", u.release);
	} else {
		kernel_key(m, j->kernel, kk, sizeof(kk));
		kk[strcspn(kk, " ")] = '\0';
	}
	snprintf(path, sizeof(path), "%s/configs/%s.conf", m->top, j->config);
	text = slurp(path, &len);
	h = fnv1a(text ? text : "", text ? len : 0, FNV_SEED);
	free(text);
	if (!strcmp(j->kernel, "host"))
		snprintf(j->key, sizeof(j->key), "kernel=%s config=%016llx", kk,
			 (unsigned long long)h);
	else
		snprintf(
			j->key, sizeof(j->key),
			"kernel=%s debug_vm=%d mem=%d swap=%s accel=%s timeout=%d config=%016llx",
			kk, debug_vm(m, j->kernel), m->mem, m->swap, m->accel,
			m->timeout, (unsigned long long)h);
}

/* The key of every job to consider, each kernel's asked once. */
static void job_keys(struct mx *m, const char *only)
{
	int i, k;

	for (i = 0; i < m->n; i++) {
		struct job *j = &m->jobs[i], *same = NULL;

		if (only && strcmp(j->id, only))
			continue;
		for (k = 0; k < i && !same; k++)
			if (*m->jobs[k].key &&
			    !strcmp(m->jobs[k].kernel, j->kernel))
				same = &m->jobs[k];
		job_key(m, j, same);
	}
}

/* ---- running ---- */

static void job_path(const struct mx *m, const struct job *j, const char *file,
		     char *buf, int len)
{
	snprintf(buf, len, "%s/jobs/%s%s%s", m->dir, j->id, *file ? "/" : "",
		 file);
}

/* PATH gets TEXT (created or replaced); dies on failure. */
static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		die(1, "matrix: %s: %s", path, strerror(errno));
}

/* "ok RUN-ID" or "fail REASON", then "key KEY" (job_key) */
static void write_status(const struct mx *m, const struct job *j)
{
	char path[PATH_MAX], line[1024];

	job_path(m, j, "status", path, sizeof(path));
	snprintf(line, sizeof(line), "%s %s\nkey %s\n",
		 j->state == JOB_OK ? "ok" : "fail",
		 j->state == JOB_OK ? j->run : j->why, j->key);
	put_file(path, line);
}

/* The status's key line, "" when none (a status of an older matrix). */
static void status_key(const char *path, char *buf, int len)
{
	char text[1024], *k;

	buf[0] = '\0';
	if (read_text(path, text, sizeof(text)) < 0)
		return;
	k = strstr(text, "\nkey ");
	if (k) {
		snprintf(buf, len, "%s", k + 5);
		buf[strcspn(buf, "\n")] = '\0';
	}
}

/*
 * Done before (this folder, or merged from another machine)?  When the job
 * has a key (it is to run here), an "ok" with another key is stale: its
 * kernel, VM settings or config changed since, and it runs again.
 */
static bool job_done(const struct mx *m, struct job *j)
{
	char path[PATH_MAX], line[512], key[400];

	job_path(m, j, "status", path, sizeof(path));
	first_line(path, line, sizeof(line));
	status_key(path, key, sizeof(key));
	if (!strncmp(line, "ok ", 3) && *j->key && strcmp(key, j->key)) {
		printf("%s: stale, run again (key '%s', now '%s')\n", j->id,
		       *key ? key : "none", j->key);
	} else if (!strncmp(line, "ok ", 3)) {
		snprintf(j->run, sizeof(j->run), "%.127s", line + 3);
		snprintf(path, sizeof(path), "%s/%s/env.json", m->dir, j->run);
		if (!access(path, R_OK))
			return j->state = JOB_OK, true;
	} else if (!strncmp(line, "fail ", 5)) {
		snprintf(j->why, sizeof(j->why), "%.255s", line + 5);
		j->state = JOB_FAIL;
	}
	return false;
}

/* A job whose config is a check suite (configs/check*.conf) runs check. */
static bool check_suite(const struct job *j)
{
	return !strncmp(j->config, "check", 5);
}

/*
 * The policy the job runs under: the config's cow_policy, else the boot's.
 * The key alone is read: the guest config names the guest's backings,
 * which this host need not have (validate_configs planned it already).
 */
static void config_policy(const struct mx *m, const struct job *j, char *buf,
			  int len)
{
	char path[PATH_MAX + 32], *text, *line, *save = NULL, word[24];

	snprintf(buf, len, "%s", j->policy);
	snprintf(path, sizeof(path), "%s/configs/%s.conf", m->top, j->config);
	text = slurp(path, NULL);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, " cow_policy = %23s", word) == 1)
			snprintf(buf, len, "%s", word);
	free(text);
}

/*
 * configs/expect/<kernel>-<policy> (or $COWBENCH_EXPECT_DIR's); a check
 * suite's expected failures are <kernel>-<policy>.check.  Exists?
 */
static bool expect_path(const struct mx *m, const struct job *j, char *path,
			int len)
{
	const char *dir = getenv("COWBENCH_EXPECT_DIR");
	const char *sfx = check_suite(j) ? ".check" : "";
	char policy[24];

	config_policy(m, j, policy, sizeof(policy));
	if (dir && *dir)
		snprintf(path, len, "%.3000s/%s-%s%s", dir, j->kernel, policy,
			 sfx);
	else
		snprintf(path, len, "%s/configs/expect/%s-%s%s", m->top,
			 j->kernel, policy, sfx);
	return !access(path, R_OK);
}

static int run_host(const struct mx *m, const struct job *j, const char *cfg)
{
	char out[PATH_MAX], err[PATH_MAX], run[PATH_MAX], exp[PATH_MAX + 64];
	char tag[256];
	char *argv[] = { (char *)m->self,
			 "run",
			 "-c",
			 (char *)cfg,
			 "-o",
			 run,
			 NULL,
			 NULL,
			 NULL };
	int rc;

	job_path(m, j, "stdout", out, sizeof(out));
	job_path(m, j, "stderr", err, sizeof(err));
	job_path(m, j, "run", run, sizeof(run));
	job_tag(m, j, tag, sizeof(tag));
	setenv("COWBENCH_RUN_TAG", tag, 1);
	if (check_suite(j)) {
		argv[1] = "check";
		if (expect_path(m, j, exp, sizeof(exp))) {
			argv[6] = "--expect";
			argv[7] = exp;
		}
	}
	rc = spawn(argv, out, err, m->timeout);
	unsetenv("COWBENCH_RUN_TAG");
	/* a check that failed ran: its verdicts are the report's */
	return check_suite(j) && rc == 1 ? 0 : rc;
}

static int run_guest(const struct mx *m, const struct job *j)
{
	char vm[PATH_MAX], guest[PATH_MAX + 32], dir[PATH_MAX];
	char out[PATH_MAX], err[PATH_MAX], tmo[16], mem[16];
	char *argv[] = { vm,
			 "--kernel",
			 (char *)j->image,
			 "--policy",
			 (char *)j->policy,
			 "--out",
			 dir,
			 "--timeout",
			 tmo,
			 "--mem",
			 mem,
			 "--swap",
			 (char *)m->swap,
			 "--accel",
			 (char *)m->accel,
			 "--file",
			 (char *)m->self,
			 "--",
			 guest,
			 (char *)j->kernel,
			 NULL };

	script(m, "COWBENCH_VMRUN", "vmrun.sh", vm, sizeof(vm));
	snprintf(guest, sizeof(guest), "%s/scripts/guest-run.sh", m->top);
	job_path(m, j, "", dir, sizeof(dir));
	job_path(m, j, "vmrun.out", out, sizeof(out));
	job_path(m, j, "vmrun.log", err, sizeof(err));
	snprintf(tmo, sizeof(tmo), "%d", m->timeout);
	snprintf(mem, sizeof(mem), "%d", m->mem);
	/* vmrun's own limit ends the guest; ours only backs it up */
	return spawn(argv, out, err, m->timeout + 10);
}

/* Move the job's run folder into the matrix folder under its run id. */
static void collect(const struct mx *m, struct job *j, int rc)
{
	char src[PATH_MAX], dst[PATH_MAX + 160], path[PATH_MAX + 200];
	char reason[240], err[512];
	struct run r;

	job_path(m, j, "run", src, sizeof(src));
	if (run_load(src, &r, err, sizeof(err))) {
		j->state = JOB_FAIL;
		job_path(m, j, "reason", path, sizeof(path));
		if (!*first_line(path, reason, sizeof(reason)))
			snprintf(reason, sizeof(reason), "exit status %d", rc);
		job_path(m, j, "partial/run/results.jsonl", path, sizeof(path));
		snprintf(j->why, sizeof(j->why), "%.180s; %s", reason,
			 access(path, R_OK) ?
				 "no results" :
				 "partial results kept in partial/run");
		return;
	}
	snprintf(j->run, sizeof(j->run), "%s",
		 json_str(r.env, "run") ?: "unnamed");
	run_free(&r);
	snprintf(dst, sizeof(dst), "%s/%s", m->dir, j->run);
	/* never over another run: ids are unique, a clash is kept as data */
	if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE)) {
		j->state = JOB_FAIL;
		snprintf(
			j->why, sizeof(j->why),
			"run id %.100s: %s in the matrix folder; this run kept in jobs/%.60s/run",
			j->run, errno == EEXIST ? "exists" : strerror(errno),
			j->id);
		return;
	}
	job_path(m, j, "console.log", src, sizeof(src));
	snprintf(path, sizeof(path), "%s/console.log", dst);
	copy_file(src, path);
	snprintf(path, sizeof(path), "%s/job", dst);
	snprintf(
		err, sizeof(err),
		"job = %.199s\nkernel = %.60s\npolicy = %.20s\nconfig = %.60s\nimage = %.120s\n",
		j->id, j->kernel, j->policy, j->config,
		*j->image ? j->image : "host");
	put_file(path, err);
	j->state = rc ? JOB_FAIL : JOB_OK;
	if (rc)
		snprintf(j->why, sizeof(j->why),
			 "exit status %d (results kept in %.200s)", rc, dst);
}

/* What guest-run.sh needs for a check: the mode, the expectations. */
static void guest_check(const struct mx *m, const struct job *j,
			const char *dir)
{
	char path[PATH_MAX + 16], exp[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/mode", dir);
	put_file(path, "check\n");
	snprintf(path, sizeof(path), "%s/guest.expect", dir);
	if (expect_path(m, j, exp, sizeof(exp)) && copy_file(exp, path))
		die(1, "matrix: copy %s: %s", exp, strerror(errno));
}

/*
 * What a guest cannot know itself, for guest-run.sh to pass on to the run's
 * env.json: the machine it runs on (its hostname is the kernel's name) and
 * the tree its kernel was built from.
 */
static void guest_meta(const struct mx *m, const struct job *j, const char *dir)
{
	char path[PATH_MAX + 16], line[300], tag[256];

	snprintf(path, sizeof(path), "%s/machine", dir);
	snprintf(line, sizeof(line), "%s\n", m->machine);
	put_file(path, line);
	job_tag(m, j, tag, sizeof(tag));
	snprintf(path, sizeof(path), "%s/run_tag", dir);
	snprintf(line, sizeof(line), "%s\n", tag);
	put_file(path, line);
	if (!*j->kcommit)
		return;
	snprintf(path, sizeof(path), "%s/kernel_commit", dir);
	snprintf(line, sizeof(line), "%s\n", j->kcommit);
	put_file(path, line);
}

static void run_job(const struct mx *m, struct job *j)
{
	char dir[PATH_MAX], cfg[PATH_MAX + 32], path[PATH_MAX + 16];
	int rc;

	job_path(m, j, "", dir, sizeof(dir));
	rm_rf(dir);
	mkdir_p("matrix", dir);
	snprintf(cfg, sizeof(cfg), "%s/configs/%s.conf", m->top, j->config);
	if (*j->why) {
		j->state = JOB_FAIL;
	} else if (!strcmp(j->kernel, "host")) {
		rc = run_host(m, j, cfg);
		collect(m, j, rc);
	} else {
		snprintf(path, sizeof(path), "%s/guest.conf", dir);
		if (copy_file(cfg, path))
			die(1, "matrix: copy %s: %s", cfg, strerror(errno));
		if (check_suite(j))
			guest_check(m, j, dir);
		guest_meta(m, j, dir);
		rc = run_guest(m, j);
		collect(m, j, rc);
	}
	write_status(m, j);
}

static void fmt_secs(char *buf, int len, long s)
{
	snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

/* Run the jobs not done yet, one by one, with progress. */
static void run_jobs(struct mx *m, const char *only, bool rebuild)
{
	time_t t0 = time(NULL), tj;
	int i, pending = 0, done = 0;
	char el[32], eta[32];

	job_keys(m, only);
	for (i = 0; i < m->n; i++) {
		struct job *j = &m->jobs[i];

		if (only && strcmp(j->id, only))
			j->state = JOB_OTHER;
		else if (!job_done(m, j)) {
			j->state = JOB_PENDING;
			j->why[0] = '\0';
			pending++;
		}
	}
	build_kernels(m, rebuild);
	for (i = 0; i < m->n; i++) {
		struct job *j = &m->jobs[i];

		if (j->state == JOB_OTHER)
			continue;
		if (j->state != JOB_PENDING) {
			printf("[%d/%d] %s: done before (%s)\n", i + 1, m->n,
			       j->id, j->state == JOB_OK ? j->run : j->why);
			continue;
		}
		fmt_secs(el, sizeof(el), time(NULL) - t0);
		if (done)
			fmt_secs(eta, sizeof(eta),
				 (time(NULL) - t0) * (pending - done) / done);
		printf("[%d/%d] %s: running (elapsed %s, ETA %s)\n", i + 1,
		       m->n, j->id, el, done ? eta : "unknown");
		fflush(stdout);
		tj = time(NULL);
		run_job(m, j);
		done++;
		printf("[%d/%d] %s: %s %s (%ld s)\n", i + 1, m->n, j->id,
		       j->state == JOB_OK ? "ok" : "FAILED",
		       j->state == JOB_OK ? j->run : j->why,
		       (long)(time(NULL) - tj));
		fflush(stdout);
	}
}

/* ---- the report ---- */

/*
 * A check job's own verdict: the KTAP it printed (a guest's check.ktap,
 * the host's stdout), judged there against the expectations with the
 * accounting.  Cut short (no totals, fewer lines than its plan): not ok.
 */
static void check_totals(const struct mx *m, const struct job *j, struct tap *t)
{
	char path[PATH_MAX], *text, *line, *save = NULL, *tot = NULL;
	int plan = -1, lines = 0, f = 0, xp = 0, e = 0, vm = 0;

	job_path(m, j, strcmp(j->kernel, "host") ? "check.ktap" : "stdout",
		 path, sizeof(path));
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
		tap(t, XR_FAIL, "%s: check cut short (%d of %d lines%s; %s)",
		    j->id, lines, plan, tot ? "" : ", no totals", path);
	else if (sscanf(tot,
			"pass:%*d fail:%d xfail:%*d xpass:%d skip:%*d error:%d",
			&f, &xp, &e) != 3)
		tap(t, XR_FAIL, "%s: check: unreadable totals '%s'", j->id,
		    tot);
	else
		tap(t, f || xp || e ? XR_FAIL : XR_PASS, "%s: check %s", j->id,
		    tot);
	/* a policy kernel counts its decisions: some check must meet them */
	if (takes_policies(m, j->kernel))
		tap(t, vm > 0 ? XR_PASS : XR_FAIL,
		    "%s: vm events cross-checked against pagemap in %d check(s) with a copy or reuse",
		    j->id, vm);
	free(text);
}

/* One job's verdicts against configs/expect/<kernel>-<policy>. */
static void check_job(const struct mx *m, const struct job *j,
		      const struct run *r, struct tap *t)
{
	char path[PATH_MAX + 64];
	bool have = expect_path(m, j, path, sizeof(path));

	if (check_suite(j))
		return check_totals(m, j, t);
	if (!have) {
		printf("# %s: no expectations (%s)\n", j->id, path);
		return;
	}
	expect_file(path, j->id, r->recs, r->nrec, t);
}

/* A check's verdict in a job: what the differences table shows. */
static const char *verdict_word(const struct record *r)
{
	return r->status == ST_OK ? "ok" :
	       record_failed(r)	  ? "FAIL" :
				    rec_status_names[r->status];
}

/* The verdict of the named check in a run, or "-". */
static const char *verdict_of(const struct run *r, const char *name)
{
	char n[200];
	int i;

	for (i = 0; i < r->nrec; i++) {
		if (record_is_verdict(&r->recs[i]))
			continue;
		check_name_of(
			scenario_find(&cowbench_registry, r->recs[i].scenario),
			r->recs[i].scenario, &r->recs[i].params,
			r->recs[i].backing, n, sizeof(n));
		if (!strcmp(n, name))
			return verdict_word(&r->recs[i]);
	}
	return "-";
}

/* The check jobs of one kernel and one suite: its policies. */
static bool same_kernel_check(const struct job *a, const struct job *b)
{
	return check_suite(a) && check_suite(b) &&
	       !strcmp(a->kernel, b->kernel) && !strcmp(a->config, b->config);
}

/*
 * Every check whose verdict differs between the check jobs of one kernel
 * (its policies): the seed claims read straight from it.  Said once, by
 * the first job that has it.
 */
static void check_differences(const struct job **of, const struct run *runs,
			      int n)
{
	char name[200];
	int a, b, i, shown = 0;

	for (a = 0; a < n; a++) {
		for (i = 0; check_suite(of[a]) && i < runs[a].nrec; i++) {
			const struct record *r = &runs[a].recs[i];
			bool differs = false, said = false;

			if (record_is_verdict(r))
				continue;
			check_name_of(
				scenario_find(&cowbench_registry, r->scenario),
				r->scenario, &r->params, r->backing, name,
				sizeof(name));
			for (b = 0; b < n; b++) {
				const char *v = verdict_of(&runs[b], name);

				if (b == a || !same_kernel_check(of[a], of[b]))
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
				if (b == a || same_kernel_check(of[a], of[b]))
					printf(" %s=%s", of[b]->policy,
					       verdict_of(&runs[b], name));
			printf("\n");
		}
	}
}

/* Missed and wrong COWs of a run, over its counting records. */
static void verdict_row(const struct job *j, const struct run *r)
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
	printf("  %-46s %-5s %10llu %10llu %6d\n", j->id,
	       json_str(r->env, "accelerator") ?: "?", (unsigned long long)miss,
	       (unsigned long long)wrong, bad);
}

/*
 * A guest's env.json names the policy in force (the boot's, or the
 * config's cow_policy, which the run switched to) and the accelerator.
 */
static enum xresult env_matches(const struct mx *m, const struct job *j,
				const struct run *r, char *msg, int len)
{
	char path[PATH_MAX], accel[32], policy[24];

	if (!strcmp(j->kernel, "host"))
		return snprintf(msg, len, "%s, %s", r->label, r->accel),
		       XR_PASS;
	job_path(m, j, "accel", path, sizeof(path));
	first_line(path, accel, sizeof(accel));
	snprintf(msg, len, "cow_policy %s, accelerator %s (vmrun: %s)",
		 r->policy, r->accel, *accel ? accel : "?");
	config_policy(m, j, policy, sizeof(policy));
	return strcmp(r->policy, policy) || strcmp(r->accel, accel) ? XR_FAIL :
								      XR_PASS;
}

/*
 * The policy the kernel booted with, as it said on the console: the first
 * "cow_policy: NAME" line (the boot parameter's, before any run-time
 * switch prints its own).  A grep over the whole console would match the
 * switch's line even if the boot had ignored cow_policy=.
 */
static void boot_policy(const struct mx *m, const struct job *j, struct tap *t)
{
	char path[PATH_MAX], said[32] = "";
	char *text, *p;

	if (!takes_policies(m, j->kernel))
		return;
	job_path(m, j, "console.log", path, sizeof(path));
	text = slurp(path, NULL);
	p = text ? strstr(text, "cow_policy: ") : NULL;
	if (p)
		snprintf(said, sizeof(said), "%.*s",
			 (int)strcspn(p + 12, ": \r\n"), p + 12);
	tap(t, strcmp(said, j->policy) ? XR_FAIL : XR_PASS,
	    "%s: booted with cow_policy=%s (console, first 'cow_policy:' line: %s)",
	    j->id, j->policy,
	    *said ? said :
	    text  ? "none" :
		    "no console");
	free(text);
}

static int report(const struct mx *m, const char *only)
{
	struct run *runs = xcalloc(m->n, sizeof(*runs));
	const struct job **of = xcalloc(m->n, sizeof(*of));
	char path[PATH_MAX + 160], err[800];
	struct tap t = { 0 };
	int i, n = 0;

	printf("\n");
	for (i = 0; i < m->n; i++) {
		const struct job *j = &m->jobs[i];

		if (only && strcmp(j->id, only))
			continue;
		if (j->state != JOB_OK) {
			tap(&t, XR_FAIL, "%s: ran (%s)", j->id,
			    *j->why ? j->why : "not run");
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", m->dir, j->run);
		if (run_load(path, &runs[n], err, sizeof(err))) {
			tap(&t, XR_FAIL, "%s: ran (%s)", j->id, err);
			continue;
		}
		tap(&t, env_matches(m, j, &runs[n], err, sizeof(err)),
		    "%s: ran (%s, %s)", j->id, j->run, err);
		boot_policy(m, j, &t);
		of[n++] = j;
	}
	if (n && !only) {
		struct column *cols = xcalloc(n, sizeof(*cols));

		for (i = 0; i < n; i++)
			cols[i] = column_of(&runs[i]);
		printf("\n");
		compare_print(stdout, cols, n, FMT_TEXT);
		snprintf(path, sizeof(path), "%s/report", m->dir);
		if (report_write(cols, n, path, stdout, err, sizeof(err)))
			tap(&t, XR_FAIL, "report: %s", err);
		else
			tap(&t, XR_PASS, "report: %s", path);
		free(cols);
	}
	if (n) {
		printf("\ncorrectness verdicts (counting records)\n  %-46s %-5s %10s %10s %6s\n",
		       "job", "accel", "missed_cow", "wrong_cow", "failed");
		for (i = 0; i < n; i++)
			verdict_row(of[i], &runs[i]);
		printf("\n");
	}
	check_differences(of, runs, n);
	for (i = 0; i < n; i++) {
		check_job(m, of[i], &runs[i], &t);
		run_free(&runs[i]);
	}
	free(runs);
	free(of);
	printf("%d passed, %d failed, %d skipped\n", t.pass, t.fail, t.skip);
	return t.fail ? 1 : 0;
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cowbench matrix FILE [-o DIR] [--job ID | --jobs-only | --report]\n"
		"                       [--rebuild]\n\n"
		"FILE (configs/matrix/NAME.conf) names kernels (`host` = the running\n"
		"kernel, or configs/kernels/NAME), policies and configs; a kernel with\n"
		"the cow-policy patch runs every policy, others their own rule.\n"
		"Missing kernels are built (scripts/kbuild.sh), every job runs in a\n"
		"guest (or on the host) with a hard time limit, runs land in DIR\n"
		"(default results/matrix-NAME) by run id, and the compare table, a\n"
		"report folder with plots and each job's verdicts against\n"
		"configs/expect/KERNEL-POLICY follow.  Jobs done before are kept.\n\n"
		"  -o, --output DIR  the matrix folder\n"
		"      --job ID      run one job (KERNEL+POLICY+CONFIG) and check it\n"
		"      --jobs-only   print one command per job, for GNU parallel\n"
		"      --report      no runs: the table and verdicts of DIR\n"
		"      --rebuild     build the kernels even when cached\n");
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "output", required_argument, 0, 'o' },
		{ "job", required_argument, 0, 'j' },
		{ "jobs-only", no_argument, 0, 'J' },
		{ "report", no_argument, 0, 'r' },
		{ "rebuild", no_argument, 0, 'B' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->dir = optarg;
			break;
		case 'j':
			o->job = optarg;
			break;
		case 'J':
			o->jobs_only = true;
			break;
		case 'r':
			o->report_only = true;
			break;
		case 'B':
			o->rebuild = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			die(EXIT_USAGE,
			    "matrix: unknown option or missing value: '%s' (see --help)",
			    argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		die(EXIT_USAGE, "matrix: name one matrix FILE (see --help)");
	o->file = argv[optind];
	if (o->jobs_only + o->report_only + !!o->job > 1)
		die(EXIT_USAGE,
		    "matrix: --job, --jobs-only and --report exclude each other");
}

static void set_dir(struct mx *m, const struct opts *o)
{
	char name[128];
	const char *b = strrchr(o->file, '/');

	snprintf(name, sizeof(name), "%s", b ? b + 1 : o->file);
	if (strlen(name) > 5 && !strcmp(name + strlen(name) - 5, ".conf"))
		name[strlen(name) - 5] = '\0';
	if (o->dir)
		snprintf(m->dir, sizeof(m->dir), "%s", o->dir);
	else
		snprintf(m->dir, sizeof(m->dir), "results/matrix-%s", name);
}

int cmd_matrix(int argc, char **argv)
{
	static struct mx m;
	struct sigaction sa = { .sa_handler = on_signal };
	char jobs[PATH_MAX], *real;
	struct opts o;
	int i;

	parse_opts(argc, argv, &o);
	find_top(&m);
	parse_file(&m, o.file);
	set_dir(&m, &o);
	expand(&m);
	check_tags(&m);
	for (i = 0; o.job && i < m.n && strcmp(m.jobs[i].id, o.job); i++)
		;
	if (o.job && i == m.n)
		die(EXIT_USAGE, "matrix: no job '%s' in %s (see --jobs-only)",
		    o.job, o.file);
	if (o.jobs_only) {
		for (i = 0; i < m.n; i++)
			printf("./cowbench matrix %s -o %s --job %s\n", o.file,
			       m.dir, m.jobs[i].id);
		return 0;
	}
	if (o.report_only) {
		for (i = 0; i < m.n; i++)
			if (!job_done(&m, &m.jobs[i]) && !*m.jobs[i].why)
				snprintf(m.jobs[i].why, sizeof(m.jobs[i].why),
					 "not run");
		return report(&m, NULL);
	}
	validate_configs(&m);
	if (geteuid())
		die(EXIT_USAGE,
		    "matrix: needs root (cowbench run, qemu, packages)");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	snprintf(jobs, sizeof(jobs), "%s/jobs", m.dir);
	mkdir_p("matrix", jobs);
	real = realpath(m.dir, NULL);
	if (!real)
		die(1, "matrix: %s: %s", m.dir, strerror(errno));
	snprintf(m.dir, sizeof(m.dir), "%s", real);
	free(real);
	printf("cowbench matrix %s: %d job(s), results in %s/\n", o.file, m.n,
	       m.dir);
	run_jobs(&m, o.job, o.rebuild);
	return report(&m, o.job);
}
