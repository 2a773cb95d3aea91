// SPDX-License-Identifier: GPL-2.0
/*
 * Running a matrix's jobs (matrix.h): missing kernels are built
 * (scripts/kbuild.sh, cached), each job runs `cowbench run` or `check` in
 * a guest (scripts/vmrun.sh + guest-run.sh) or, for `host`, on the running
 * kernel; every job has a hard time limit and a job that panics, hangs or
 * fails is a recorded failure.  Its run lands in the matrix folder by run
 * id.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "matrix.h"
#include "util.h"

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

void mx_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
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
int mx_spawn(char *const argv[], const char *out, const char *err, int limit_s)
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
char *mx_first_line(const char *path, char *buf, int len)
{
	buf[0] = '\0';
	if (read_text(path, buf, len) < 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return strtrim(buf);
}

/* PATH gets TEXT (created or replaced); dies on failure. */
void mx_put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		die(1, "matrix: %s: %s", path, strerror(errno));
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
	bool dbg = mx_debug_vm(m, kernel);
	char kb[PATH_MAX], out[PATH_MAX + 64], err[PATH_MAX + 64], img[512];
	char *argv[] = { kb, (char *)kernel, "--debug-vm", "--rebuild", NULL };
	char commit[256];
	time_t t0 = time(NULL);
	int i, rc;

	mx_script(m, "COWBENCH_KBUILD", "kbuild.sh", kb, sizeof(kb));
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
	rc = mx_spawn(argv, out, err, 0);
	mx_first_line(out, img, sizeof(img) - 16);
	kbuild_commit(img, commit, sizeof(commit));
	strncat(img, "/bzImage", sizeof(img) - strlen(img) - 1);
	if (rc || access(img, R_OK))
		printf("kernel %s: build failed (%s)\n", kernel, err);
	else
		printf("kernel %s: %s (%ld s)\n", kernel, img,
		       (long)(time(NULL) - t0));
	for (i = 0; i < m->n; i++) {
		struct mx_job *j = &m->jobs[i];

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

		if (m->jobs[i].state != MX_PENDING || !strcmp(kn, "host"))
			continue;
		for (k = 0; k < i; k++)
			if (!strcmp(m->jobs[k].kernel, kn) &&
			    m->jobs[k].state == MX_PENDING)
				break;
		if (k == i)
			build_kernel(m, kn, rebuild);
	}
}

static int run_host(const struct mx *m, const struct mx_job *j, int r,
		    const char *cfg)
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

	mx_job_path(m, j, "stdout", out, sizeof(out));
	mx_job_path(m, j, "stderr", err, sizeof(err));
	mx_job_path(m, j, "run", run, sizeof(run));
	mx_job_tag(m, j, r, tag, sizeof(tag));
	setenv("COWBENCH_RUN_TAG", tag, 1);
	if (mx_check_suite(j)) {
		argv[1] = "check";
		if (mx_expect_path(m, j, r, exp, sizeof(exp))) {
			argv[6] = "--expect";
			argv[7] = exp;
		}
	}
	rc = mx_spawn(argv, out, err, m->timeout);
	unsetenv("COWBENCH_RUN_TAG");
	/* a check that failed ran: its verdicts are the report's */
	return mx_check_suite(j) && rc == 1 ? 0 : rc;
}

static int run_guest(const struct mx *m, const struct mx_job *j)
{
	char vm[PATH_MAX], guest[PATH_MAX + 32], dir[PATH_MAX];
	char out[PATH_MAX], err[PATH_MAX], tmo[16], mem[16];
	char *argv[] = { vm,
			 "--kernel",
			 (char *)j->image,
			 "--policy",
			 (char *)mx_boot_policy(j),
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

	mx_script(m, "COWBENCH_VMRUN", "vmrun.sh", vm, sizeof(vm));
	snprintf(guest, sizeof(guest), "%s/scripts/guest-run.sh", m->top);
	mx_job_path(m, j, "", dir, sizeof(dir));
	mx_job_path(m, j, "vmrun.out", out, sizeof(out));
	mx_job_path(m, j, "vmrun.log", err, sizeof(err));
	snprintf(tmo, sizeof(tmo), "%d", m->timeout);
	snprintf(mem, sizeof(mem), "%d", m->mem);
	/* vmrun's own limit ends the guest; ours only backs it up */
	return mx_spawn(argv, out, err, m->timeout + 10);
}

/*
 * The run folder's `job`: what made it; an interleave's run names the
 * policy it ran under, its slot and the order's seed.
 */
static void job_file(const struct mx_job *j, int r, const char *dst)
{
	char path[PATH_MAX + 200], text[1024];
	int n;

	snprintf(path, sizeof(path), "%s/job", dst);
	n = snprintf(
		text, sizeof(text),
		"job = %.199s\nkernel = %.60s\npolicy = %.20s\nconfig = %.60s\nimage = %.120s\n",
		j->id, j->kernel, j->slot ? j->slot[r] : j->policy, j->config,
		*j->image ? j->image : "host");
	if (j->slot)
		snprintf(text + n, sizeof(text) - n,
			 "slot = %d/%d\nseed = %u\n", r + 1, j->nrun, j->seed);
	mx_put_file(path, text);
}

/*
 * Move run r's folder (from, in the job's folder) into the matrix folder
 * under its run id.
 */
static void collect(const struct mx *m, struct mx_job *j, int r, int rc,
		    const char *from)
{
	char src[PATH_MAX], dst[PATH_MAX + 160], path[PATH_MAX + 200];
	char reason[240], err[512];

	mx_job_path(m, j, from, src, sizeof(src));
	if (m->run_id(src, j->run[r], MX_ID, err, sizeof(err))) {
		j->state = MX_FAIL;
		mx_job_path(m, j, "reason", path, sizeof(path));
		if (!*mx_first_line(path, reason, sizeof(reason)))
			snprintf(reason, sizeof(reason), "exit status %d", rc);
		mx_job_path(m, j, "partial/run/results.jsonl", path,
			    sizeof(path));
		snprintf(j->why, sizeof(j->why), "%.180s; %s", reason,
			 access(path, R_OK) ?
				 "no results" :
				 "partial results kept in partial/run");
		return;
	}
	snprintf(dst, sizeof(dst), "%s/%s", m->dir, j->run[r]);
	/* never over another run: ids are unique, a clash is kept as data */
	if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE)) {
		j->state = MX_FAIL;
		snprintf(
			j->why, sizeof(j->why),
			"run id %.100s: %s in the matrix folder; this run kept in jobs/%.60s/%s",
			j->run[r], errno == EEXIST ? "exists" : strerror(errno),
			j->id, from);
		return;
	}
	mx_job_path(m, j, "console.log", src, sizeof(src));
	snprintf(path, sizeof(path), "%s/console.log", dst);
	copy_file(src, path);
	job_file(j, r, dst);
	j->done = r + 1;
	j->state = rc ? MX_FAIL : MX_OK;
	if (rc)
		snprintf(j->why, sizeof(j->why),
			 "exit status %d (results kept in %.200s)", rc, dst);
}

/* What guest-run.sh needs for a check: the mode, the expectations. */
static void guest_check(const struct mx *m, const struct mx_job *j,
			const char *dir)
{
	char path[PATH_MAX + 16], exp[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/mode", dir);
	mx_put_file(path, "check\n");
	snprintf(path, sizeof(path), "%s/guest.expect", dir);
	if (mx_expect_path(m, j, 0, exp, sizeof(exp)) && copy_file(exp, path))
		die(1, "matrix: copy %s: %s", exp, strerror(errno));
}

/*
 * What a guest cannot know itself, for guest-run.sh to pass on to the run's
 * env.json: the machine it runs on (its hostname is the kernel's name) and
 * the tree its kernel was built from.
 */
static void guest_meta(const struct mx *m, const struct mx_job *j,
		       const char *dir)
{
	char path[PATH_MAX + 16], line[300];

	snprintf(path, sizeof(path), "%s/machine", dir);
	snprintf(line, sizeof(line), "%s\n", m->machine);
	mx_put_file(path, line);
	if (!*j->kcommit)
		return;
	snprintf(path, sizeof(path), "%s/kernel_commit", dir);
	snprintf(line, sizeof(line), "%s\n", j->kcommit);
	mx_put_file(path, line);
}

/* The guest's run id tag for run r (guest-run.sh reads /out/run_tag). */
static void guest_tag(const struct mx *m, const struct mx_job *j, int r,
		      const char *dir)
{
	char path[PATH_MAX + 16], tag[256];

	mx_job_tag(m, j, r, tag, sizeof(tag) - 1);
	strcat(tag, "\n");
	snprintf(path, sizeof(path), "%s/run_tag", dir);
	mx_put_file(path, tag);
}

/* A check job making several runs: run r's KTAP under a name of its own. */
static void keep_ktap(const struct mx *m, const struct mx_job *j, int r)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (j->nrun == 1 || !mx_check_suite(j))
		return;
	mx_job_path(m, j, strcmp(j->kernel, "host") ? "check.ktap" : "stdout",
		    from, sizeof(from));
	mx_ktap_path(m, j, r, to, sizeof(to));
	rename(from, to);
}

/* A job of several runs fails at one: which. */
static void note_run(struct mx_job *j, int r)
{
	char why[sizeof(j->why)];

	if (j->state != MX_FAIL || j->nrun == 1)
		return;
	snprintf(why, sizeof(why), "run %d/%d: %.200s", r + 1, j->nrun, j->why);
	memcpy(j->why, why, sizeof(why));
}

/* jobs/ID/policy-P.conf */
static void policy_conf(const struct mx *m, const struct mx_job *j,
			const char *policy, char *buf, int len)
{
	char file[64];

	snprintf(file, sizeof(file), "policy-%s.conf", policy);
	mx_job_path(m, j, file, buf, len);
}

/* Run r of the job (the host's, or one guest boot), collected. */
static void run_once(const struct mx *m, struct mx_job *j, int r,
		     const char *cfg, const char *dir)
{
	int rc;

	if (!strcmp(j->kernel, "host")) {
		rc = run_host(m, j, r, cfg);
	} else {
		guest_tag(m, j, r, dir);
		rc = run_guest(m, j);
	}
	keep_ktap(m, j, r);
	collect(m, j, r, rc, "run");
	note_run(j, r);
}

/* What a guest boot needs in the job's folder (the 9p share). */
static void guest_files(const struct mx *m, const struct mx_job *j,
			const char *cfg, const char *dir)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/guest.conf", dir);
	if (copy_file(cfg, path))
		die(1, "matrix: copy %s: %s", cfg, strerror(errno));
	if (mx_check_suite(j))
		guest_check(m, j, dir);
	guest_meta(m, j, dir);
}

/* ---- interleave: the policies switched between the runs of one boot */

/* jobs/ID/policy-P.conf: the job's config with cow_policy = P. */
static void policy_confs(const struct mx *m, const struct mx_job *j,
			 const char *cfg)
{
	char path[PATH_MAX], *text;
	FILE *f;
	int p;

	text = slurp(cfg, NULL);
	if (!text)
		die(1, "matrix: %s: %s", cfg, strerror(errno));
	for (p = 0; p < m->policies->n; p++) {
		policy_conf(m, j, m->policies->w[p], path, sizeof(path));
		f = fopen(path, "w");
		if (!f ||
		    fprintf(f,
			    "%s\n# this run's policy (interleave)\n"
			    "cow_policy = %s\n",
			    text, m->policies->w[p]) < 0 ||
		    fclose(f))
			die(1, "matrix: %s: %s", path, strerror(errno));
	}
	free(text);
}

/*
 * jobs/ID/order, for guest-run.sh: one line per run, "POLICY TAG", in the
 * shuffled order; the seed in jobs/ID/seed.
 */
static void order_file(const struct mx *m, const struct mx_job *j)
{
	char path[PATH_MAX], tag[256];
	FILE *f;
	int r;

	mx_job_path(m, j, "seed", path, sizeof(path));
	snprintf(tag, sizeof(tag), "%u\n", j->seed);
	mx_put_file(path, tag);
	mx_job_path(m, j, "order", path, sizeof(path));
	f = fopen(path, "w");
	for (r = 0; f && r < j->nrun; r++) {
		mx_job_tag(m, j, r, tag, sizeof(tag));
		fprintf(f, "%s %s\n", j->slot[r], tag);
	}
	if (!f || fclose(f))
		die(1, "matrix: %s: %s", path, strerror(errno));
}

/* The host's runs, each under its slot's policy; the first failure ends it. */
static void interleave_host(const struct mx *m, struct mx_job *j)
{
	char cfg[PATH_MAX];
	int r, rc;

	for (r = 0; r < j->nrun && (!r || j->state == MX_OK); r++) {
		policy_conf(m, j, j->slot[r], cfg, sizeof(cfg));
		rc = run_host(m, j, r, cfg);
		collect(m, j, r, rc, "run");
		note_run(j, r);
	}
}

/*
 * One boot runs them all (guest-run.sh reads the order); runs/N is run N,
 * runs/N.rc its exit status, `skip` the guest's reason not to.
 */
static void interleave_guest(const struct mx *m, struct mx_job *j,
			     const char *dir)
{
	char path[PATH_MAX], from[32], rc_s[16];
	int r, rc, vm;

	order_file(m, j);
	guest_meta(m, j, dir);
	vm = run_guest(m, j);
	mx_job_path(m, j, "skip", path, sizeof(path));
	if (*mx_first_line(path, j->why, sizeof(j->why))) {
		j->state = MX_SKIP;
		return;
	}
	for (r = 0; r < j->nrun && (!r || j->state == MX_OK); r++) {
		snprintf(from, sizeof(from), "runs/%d.rc", r + 1);
		mx_job_path(m, j, from, path, sizeof(path));
		rc = *mx_first_line(path, rc_s, sizeof(rc_s)) ? atoi(rc_s) :
		     vm					      ? vm :
								-1;
		snprintf(from, sizeof(from), "runs/%d", r + 1);
		collect(m, j, r, rc, from);
		note_run(j, r);
	}
}

/*
 * An interleave job: its order from the seed (the file's, else the
 * clock's: recorded), then its runs; a kernel without vm.cow_policy is a
 * skip with the reason.
 */
static void run_interleave(const struct mx *m, struct mx_job *j,
			   const char *cfg, const char *dir)
{
	j->seed = m->seed >= 0 ? (unsigned int)m->seed :
				 (unsigned int)(time(NULL) ^ getpid());
	mx_interleave(m, j);
	policy_confs(m, j, cfg);
	if (strcmp(j->kernel, "host")) {
		interleave_guest(m, j, dir);
	} else if (access(COW_POLICY_SYSCTL, F_OK)) {
		j->state = MX_SKIP;
		snprintf(j->why, sizeof(j->why),
			 "no %s: not a kernel with the cow-policy patch",
			 COW_POLICY_SYSCTL);
	} else {
		interleave_host(m, j);
	}
}

/* The job's runs, one after the other; the first failure ends it. */
static void run_job(const struct mx *m, struct mx_job *j)
{
	char dir[PATH_MAX], cfg[PATH_MAX + 32];
	int r;

	mx_job_path(m, j, "", dir, sizeof(dir));
	rm_rf(dir);
	mkdir_p("matrix", dir);
	snprintf(cfg, sizeof(cfg), "%s/configs/%s.conf", m->top, j->config);
	j->done = 0;
	if (*j->why)
		j->state = MX_FAIL;
	else if (j->slot)
		run_interleave(m, j, cfg, dir);
	else if (strcmp(j->kernel, "host"))
		guest_files(m, j, cfg, dir);
	for (r = 0;
	     !j->slot && !*j->why && r < j->nrun && (!r || j->state == MX_OK);
	     r++)
		run_once(m, j, r, cfg, dir);
	mx_write_status(m, j);
}

/* The job's run id, or its first and last and how many. */
static const char *runs_said(const struct mx_job *j, char *buf, int len)
{
	if (j->done == 1)
		return j->run[0];
	snprintf(buf, len, "%d runs: %s .. %s", j->done, j->run[0],
		 j->run[j->done - 1]);
	return buf;
}

static void fmt_secs(char *buf, int len, long s)
{
	snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

/* Run the jobs not done yet, one by one, with progress. */
void mx_run_jobs(struct mx *m, const char *only, bool rebuild)
{
	time_t t0 = time(NULL), tj;
	int i, pending = 0, done = 0;
	char el[32], eta[32], said[2 * MX_ID + 32];

	mx_job_keys(m, only);
	for (i = 0; i < m->n; i++) {
		struct mx_job *j = &m->jobs[i];

		if (only && strcmp(j->id, only))
			j->state = MX_OTHER;
		else if (!mx_job_done(m, j)) {
			j->state = MX_PENDING;
			j->why[0] = '\0';
			pending++;
		}
	}
	build_kernels(m, rebuild);
	for (i = 0; i < m->n; i++) {
		struct mx_job *j = &m->jobs[i];

		if (j->state == MX_OTHER)
			continue;
		if (j->state != MX_PENDING) {
			printf("[%d/%d] %s: done before (%s)\n", i + 1, m->n,
			       j->id,
			       j->state == MX_OK ?
				       runs_said(j, said, sizeof(said)) :
				       j->why);
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
		       j->state == MX_OK   ? "ok" :
		       j->state == MX_SKIP ? "skip" :
					     "FAILED",
		       j->state == MX_OK ? runs_said(j, said, sizeof(said)) :
					   j->why,
		       (long)(time(NULL) - tj));
		fflush(stdout);
	}
}