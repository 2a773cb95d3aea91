// SPDX-License-Identifier: GPL-2.0
/*
 * The matrix file, its jobs and what their results depend on (matrix.h):
 * kernels x policies x configs, each job's run id tag, its key (the
 * kernel's cache key, the VM settings, the config's text) and the status
 * that keeps a job done across invocations.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "env.h"
#include "matrix.h"
#include "plan.h"
#include "util.h"

static const char *const policy_words[] = { "stock",	      "page_count",
					    "page_count_v59", "mapcount",
					    "always_copy",    NULL };
static const char *const swap_words[] = { "none", "file", "zram", NULL };

static const char *const accel_words[] = { "auto", "kvm", "tcg", NULL };

static const char *const measure_words[] = { "counts", "timing", NULL };
static const char *const yes_no[] = { "no", "yes", NULL };

/* ---- the checkout, its kernels and configs ---- */

/* The checkout this binary was built in: <top>/build/cowbench. */
void mx_find_top(struct mx *m)
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
void mx_script(const struct mx *m, const char *env, const char *name, char *buf,
	       int len)
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
bool mx_takes_policies(const struct mx *m, const char *kernel)
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
	/* the tests point it at a stand-in: both sides run on any machine */
	const char *kvm = getenv("COWBENCH_KVM_DEV") ?: "/dev/kvm";
	int k;

	if (strcmp(word_or(&m->cfg, "measure", "counts"), "timing"))
		return;
	if (!strcmp(m->accel, "tcg"))
		die(EXIT_USAGE,
		    "matrix: %s: measure = timing refuses accel = tcg (TCG times are not evidence)",
		    path);
	m->accel = "kvm";
	m->timing = true;
	for (k = 0; k < m->kernels->n; k++)
		if (strcmp(m->kernels->w[k], "host") &&
		    access(kvm, R_OK | W_OK))
			die(EXIT_USAGE,
			    "matrix: %s: measure = timing needs KVM (%s: %s)",
			    path, kvm, strerror(errno));
}

/* The cow_policy a config sets into buf (left alone when none); sets one? */
static bool config_sets_policy(const struct mx *m, const char *config,
			       char *buf, int len)
{
	char path[PATH_MAX + 32], *text, *line, *save = NULL, word[24];
	bool sets = false;

	snprintf(path, sizeof(path), "%s/configs/%s.conf", m->top, config);
	text = slurp(path, NULL);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, " cow_policy = %23s", word) == 1) {
			snprintf(buf, len, "%s", word);
			sets = true;
		}
	free(text);
	return sets;
}

/*
 * `interleave = yes` switches vm.cow_policy between the runs of one boot:
 * two policies or more, `cowbench run` configs that leave cow_policy to
 * the matrix.  `seed` is the interleave's.
 */
static void interleave_fits(const struct mx *m, const char *path)
{
	char word[24];
	int c;

	if (!m->interleave) {
		if (m->seed >= 0)
			die(EXIT_USAGE,
			    "matrix: %s: seed orders an interleave (interleave = yes)",
			    path);
		return;
	}
	if (!m->policies || m->policies->n < 2)
		die(EXIT_USAGE,
		    "matrix: %s: interleave = yes needs two policies or more",
		    path);
	for (c = 0; c < m->configs->n; c++) {
		const char *cn = m->configs->w[c];

		if (!strncmp(cn, "check", 5))
			die(EXIT_USAGE,
			    "matrix: %s: interleave runs `cowbench run` configs; %s is a check suite",
			    path, cn);
		if (config_sets_policy(m, cn, word, sizeof(word)))
			die(EXIT_USAGE,
			    "matrix: %s: interleave sets cow_policy per run; configs/%s.conf sets cow_policy = %s",
			    path, cn, word);
	}
}

void mx_parse_file(struct mx *m, const char *path)
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
		{ "runs", CFG_INT, 1, MX_RUNS_MAX, 1, NULL },
		{ "interleave", CFG_WORD, 0, 0, 1, yes_no },
		{ "seed", CFG_INT, 0, UINT32_MAX, 1, NULL },
	};
	const struct cfg_val *seed;

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
	m->runs = int_or(&m->cfg, "runs", 1);
	m->interleave = !strcmp(word_or(&m->cfg, "interleave", "no"), "yes");
	seed = cfg_find(&m->cfg, "seed");
	m->seed = seed ? seed->v[0] : -1;
	timing_needs_kvm(m, path);
	interleave_fits(m, path);
}

static void add_job(struct mx *m, const char *k, const char *p, const char *c)
{
	struct mx_job *j;
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
	j->nrun = m->runs;
	if (m->interleave) {
		j->nrun *= m->policies->n;
		j->slot = xcalloc(j->nrun, sizeof(*j->slot));
	}
	j->run = xcalloc(j->nrun, sizeof(*j->run));
	snprintf(j->id, sizeof(j->id), "%s+%s+%s", k, p, c);
}

/*
 * kernels x policies x configs; a kernel without the patch: stock only.
 * Interleaved, the policies are runs of one job per kernel and config.
 */
void mx_expand(struct mx *m)
{
	int k, p, c;

	for (k = 0; k < m->kernels->n; k++) {
		const char *kn = m->kernels->w[k];
		bool all = mx_takes_policies(m, kn);

		for (c = 0; m->interleave && c < m->configs->n; c++)
			add_job(m, kn, "interleave", m->configs->w[c]);
		for (p = 0; !m->interleave &&
			    p < (all && m->policies ? m->policies->n : 1);
		     p++)
			for (c = 0; c < m->configs->n; c++)
				add_job(m, kn,
					all && m->policies ? m->policies->w[p] :
							     "stock",
					m->configs->w[c]);
	}
}
/* Every guest config is a valid run matrix (the planner dies with 2). */
void mx_validate_configs(const struct mx *m)
{
	char path[PATH_MAX + 32];
	struct plan_sel sel;
	struct plan p;
	int c;

	for (c = 0; c < m->configs->n; c++) {
		snprintf(path, sizeof(path), "%s/configs/%s.conf", m->top,
			 m->configs->w[c]);
		memset(&sel, 0, sizeof(sel));
		sel.reg = m->reg;
		sel.config = path;
		sel.reps = -1;
		plan_build(&p, &sel);
		plan_free(&p);
	}
}

/* ---- the kernels ---- */

/*
 * debug-vm names the kernel, or `all`, or is absent: all for a counting
 * matrix, none for a timing one (DEBUG_VM's checks are on every fault)
 */
bool mx_debug_vm(const struct mx *m, const char *kernel)
{
	int i;

	for (i = 0; m->debug_vm && i < m->debug_vm->n; i++)
		if (!strcmp(m->debug_vm->w[i], kernel) ||
		    !strcmp(m->debug_vm->w[i], "all"))
			return true;
	return !m->debug_vm && !m->timing;
}

/* ---- what a job's results depend on ---- */

/*
 * Run r's id tag ($COWBENCH_RUN_TAG): with the time and the hostname it
 * makes the id unique by construction.  A guest's hostname is its kernel's
 * name, so its tag is the rest of the job id and this machine; the host's
 * hostname is this machine, so its tag is the job id.  Runs of a job that
 * makes several (`runs = K`) may start in one second: each is .rN.
 */
void mx_job_tag(const struct mx *m, const struct mx_job *j, int r, char *buf,
		int len)
{
	char nth[16] = "";

	if (j->nrun > 1)
		snprintf(nth, sizeof(nth), ".r%d", r + 1);
	if (!strcmp(j->kernel, "host"))
		snprintf(buf, len, "%s%s", j->id, nth);
	else
		snprintf(buf, len, "%s+%s%s@%s", j->policy, j->config, nth,
			 m->machine);
}

/* Every tag fits a run id (cowbench run takes up to 80 characters). */
void mx_check_tags(const struct mx *m)
{
	const struct mx_job *j;
	char tag[512];
	int i;

	for (i = 0; i < m->n; i++) {
		j = &m->jobs[i];
		mx_job_tag(m, j, j->nrun - 1, tag, sizeof(tag));
		if (strlen(tag) > 80)
			die(EXIT_USAGE,
			    "matrix: job %s on %s: run id tag '%s' is over 80 characters",
			    j->id, m->machine, tag);
	}
}

/* The output of `kbuild.sh KERNEL [--debug-vm] --key`, or "unknown: ...". */
static void kernel_key(const struct mx *m, const char *kernel, char *buf,
		       int len)
{
	char kb[PATH_MAX], out[PATH_MAX + 64], err[PATH_MAX + 64];
	char *argv[] = { kb, (char *)kernel, "--key", "--debug-vm", NULL };

	mx_script(m, "COWBENCH_KBUILD", "kbuild.sh", kb, sizeof(kb));
	if (!mx_debug_vm(m, kernel))
		argv[3] = NULL;
	snprintf(out, sizeof(out), "%s/jobs/kbuild-%s.key", m->dir, kernel);
	snprintf(err, sizeof(err), "%s/jobs/kbuild-%s.keylog", m->dir, kernel);
	if (mx_spawn(argv, out, err, 600) || !*mx_first_line(out, buf, len))
		snprintf(buf, len, "unknown (%.200s)", err);
}

/* An interleave's policies, and its seed when the file sets one. */
static void interleave_key(const struct mx *m, char *buf, int len)
{
	int i, n = strlen(buf);

	n += snprintf(buf + n, len - n, " policies=");
	for (i = 0; i < m->policies->n && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? "," : "",
			      m->policies->w[i]);
	if (m->seed >= 0 && n < len)
		snprintf(buf + n, len - n, " seed=%lld", (long long)m->seed);
}

/*
 * The job's key: its kernel (kbuild.sh's cache key, or the host's
 * release and build), the VM settings, its runs (when more than one), an
 * interleave's policies and seed, and its config's text.  Kept in the
 * job's status: an "ok" whose key changed is run again.
 */
static void job_key(const struct mx *m, struct mx_job *j,
		    const struct mx_job *same)
{
	char kk[300], path[PATH_MAX + 32], runs[160] = "", *text;
	size_t len = 0;
	struct utsname u;
	uint64_t h;

	if (same) {
		snprintf(kk, sizeof(kk), "%s", same->key + 7);
		kk[strcspn(kk, " ")] = '\0';
	} else if (!strcmp(j->kernel, "host")) {
		/* a lab kernel rebuilt under one release differs in its build */
		uname(&u);
		snprintf(
			kk, sizeof(kk), "host:%.60s#%08llx", u.release,
			(unsigned long long)(fnv1a(u.version, strlen(u.version),
						   FNV_SEED) &
					     0xffffffff));
	} else {
		kernel_key(m, j->kernel, kk, sizeof(kk));
		kk[strcspn(kk, " ")] = '\0';
	}
	snprintf(path, sizeof(path), "%s/configs/%s.conf", m->top, j->config);
	text = slurp(path, &len);
	h = fnv1a(text ? text : "", text ? len : 0, FNV_SEED);
	free(text);
	if (j->nrun > 1)
		snprintf(runs, sizeof(runs), " runs=%d", j->nrun);
	if (j->slot)
		interleave_key(m, runs, sizeof(runs));
	if (!strcmp(j->kernel, "host"))
		snprintf(j->key, sizeof(j->key), "kernel=%s%s config=%016llx",
			 kk, runs, (unsigned long long)h);
	else
		snprintf(
			j->key, sizeof(j->key),
			"kernel=%s debug_vm=%d mem=%d swap=%s accel=%s timeout=%d%s config=%016llx",
			kk, mx_debug_vm(m, j->kernel), m->mem, m->swap,
			m->accel, m->timeout, runs, (unsigned long long)h);
}

/* The key of every job to consider, each kernel's asked once. */
void mx_job_keys(struct mx *m, const char *only)
{
	int i, k;

	for (i = 0; i < m->n; i++) {
		struct mx_job *j = &m->jobs[i], *same = NULL;

		if (only && strcmp(j->id, only))
			continue;
		for (k = 0; k < i && !same; k++)
			if (*m->jobs[k].key &&
			    !strcmp(m->jobs[k].kernel, j->kernel))
				same = &m->jobs[k];
		job_key(m, j, same);
	}
}

/* ---- a job's folder, status and expectations ---- */

void mx_job_path(const struct mx *m, const struct mx_job *j, const char *file,
		 char *buf, int len)
{
	snprintf(buf, len, "%s/jobs/%s%s%s", m->dir, j->id, *file ? "/" : "",
		 file);
}

/*
 * "ok RUN-ID", "fail REASON" or "skip REASON", a "run RUN-ID" line for
 * each further run (`runs = K`), an interleave's "seed S", then "key KEY"
 * (job_key).
 */
void mx_write_status(const struct mx *m, const struct mx_job *j)
{
	char path[PATH_MAX];
	FILE *f;
	int r;

	mx_job_path(m, j, "status", path, sizeof(path));
	f = fopen(path, "w");
	if (!f)
		die(1, "matrix: %s: %s", path, strerror(errno));
	fprintf(f, "%s %s\n",
		j->state == MX_OK   ? "ok" :
		j->state == MX_SKIP ? "skip" :
				      "fail",
		j->state == MX_OK ? j->run[0] : j->why);
	for (r = 1; j->state == MX_OK && r < j->done; r++)
		fprintf(f, "run %s\n", j->run[r]);
	if (j->slot)
		fprintf(f, "seed %u\n", j->seed);
	fprintf(f, "key %s\n", j->key);
	if (fclose(f))
		die(1, "matrix: %s: %s", path, strerror(errno));
}

/* The status's key line, "" when none (a status of an older matrix). */
static void status_key(const char *text, char *buf, int len)
{
	const char *k = strstr(text, "\nkey ");

	buf[0] = '\0';
	if (k) {
		snprintf(buf, len, "%s", k + 5);
		buf[strcspn(buf, "\n")] = '\0';
	}
}

/* An interleave's seed, and from it its order; false when none. */
static bool status_seed(const struct mx *m, struct mx_job *j, const char *text)
{
	const char *p = strstr(text, "\nseed ");

	if (!j->slot)
		return true;
	if (!p || sscanf(p + 6, "%u", &j->seed) != 1)
		return false;
	mx_interleave(m, j);
	return true;
}

/* The runs an "ok" status lists, each with its env.json: into run[]. */
static bool status_runs(const struct mx *m, struct mx_job *j, char *text)
{
	char *line, *save = NULL, path[PATH_MAX + MX_ID + 16];

	j->done = 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, j->done ? "run " : "ok ", j->done ? 4 : 3))
			continue;
		if (j->done == j->nrun)
			return false;
		snprintf(j->run[j->done], MX_ID, "%.127s",
			 line + (j->done ? 4 : 3));
		snprintf(path, sizeof(path), "%s/%s/env.json", m->dir,
			 j->run[j->done++]);
		if (access(path, R_OK))
			return false;
	}
	return j->done == j->nrun;
}

/*
 * Done before (this folder, or merged from another machine)?  When the job
 * has a key (it is to run here), an "ok" with another key is stale: its
 * kernel, VM settings, runs or config changed since, and it runs again.
 */
bool mx_job_done(const struct mx *m, struct mx_job *j)
{
	char path[PATH_MAX], line[512], key[400], *text;
	bool done = false;

	mx_job_path(m, j, "status", path, sizeof(path));
	mx_first_line(path, line, sizeof(line));
	text = slurp(path, NULL);
	status_key(text ? text : "", key, sizeof(key));
	if (!strncmp(line, "ok ", 3) && *j->key && strcmp(key, j->key)) {
		printf("%s: stale, run again (key '%s', now '%s')\n", j->id,
		       *key ? key : "none", j->key);
	} else if (!strncmp(line, "ok ", 3) && status_seed(m, j, text) &&
		   status_runs(m, j, text)) {
		j->state = MX_OK;
		done = true;
	} else if (!strncmp(line, "fail ", 5) || !strncmp(line, "skip ", 5)) {
		snprintf(j->why, sizeof(j->why), "%.255s", line + 5);
		j->state = *line == 's' ? MX_SKIP : MX_FAIL;
	}
	free(text);
	return done;
}

void mx_ktap_path(const struct mx *m, const struct mx_job *j, int r, char *buf,
		  int len)
{
	char file[32];

	snprintf(file, sizeof(file), "%s",
		 strcmp(j->kernel, "host") ? "check.ktap" : "stdout");
	if (j->nrun > 1)
		snprintf(file + strlen(file), sizeof(file) - strlen(file),
			 ".r%d", r + 1);
	mx_job_path(m, j, file, buf, len);
}

/* A job whose config is a check suite (configs/check*.conf) runs check. */
bool mx_check_suite(const struct mx_job *j)
{
	return !strncmp(j->config, "check", 5);
}

/*
 * The policy the job runs under: the config's cow_policy, else the boot's.
 * The key alone is read: the guest config names the guest's backings,
 * which this host need not have (validate_configs planned it already).
 */
void mx_config_policy(const struct mx *m, const struct mx_job *j, int r,
		      char *buf, int len)
{
	snprintf(buf, len, "%s", j->slot ? j->slot[r] : j->policy);
	if (!j->slot)
		config_sets_policy(m, j->config, buf, len);
}

const char *mx_boot_policy(const struct mx_job *j)
{
	return j->slot ? "stock" : j->policy;
}

void mx_interleave(const struct mx *m, struct mx_job *j)
{
	int *v = xcalloc(j->nrun, sizeof(*v));
	int r;

	for (r = 0; r < j->nrun; r++)
		v[r] = r / m->runs;
	shuffle_ints(v, j->nrun, j->seed);
	for (r = 0; r < j->nrun; r++)
		j->slot[r] = m->policies->w[v[r]];
	free(v);
}

/*
 * configs/expect/<kernel>-<policy> (or $COWBENCH_EXPECT_DIR's); a check
 * suite's expected failures are <kernel>-<policy>.check.  Exists?
 */
bool mx_expect_path(const struct mx *m, const struct mx_job *j, int r,
		    char *path, int len)
{
	const char *dir = getenv("COWBENCH_EXPECT_DIR");
	const char *sfx = mx_check_suite(j) ? ".check" : "";
	char policy[24];

	mx_config_policy(m, j, r, policy, sizeof(policy));
	if (dir && *dir)
		snprintf(path, len, "%.3000s/%s-%s%s", dir, j->kernel, policy,
			 sfx);
	else
		snprintf(path, len, "%s/configs/expect/%s-%s%s", m->top,
			 j->kernel, policy, sfx);
	return !access(path, R_OK);
}
struct mx_job *mx_find_job(struct mx *m, const char *id)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->jobs[i].id, id))
			return &m->jobs[i];
	return NULL;
}
