/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_MATRIX_H
#define COWBENCH_MATRIX_H

#include <limits.h>
#include <stdbool.h>

#include "cfg.h"

/*
 * cowbench matrix FILE: kernels x policies x configs (configs/matrix/
 * NAME.conf) become jobs.  lib/matrix.c: the file, the jobs, their keys
 * and status; lib/mx-exec.c: kernel builds, running a job on the host or
 * in a guest, collecting its run; analysis/mx-report.c: the report (it
 * reads runs, which is analysis' business).
 */

#define MX_ID 128 /* a run id */
#define MX_RUNS_MAX 100 /* `runs = K`: a timing matrix needs a few */

/*
 * pending: to run now; other: not the --job asked for; skip: cannot run
 * here, with the reason (an interleave job on a kernel without
 * vm.cow_policy)
 */
enum mx_state { MX_PENDING, MX_OK, MX_FAIL, MX_OTHER, MX_SKIP };

struct mx_job {
	const char *kernel, *policy, *config;
	char id[200];
	char image[512]; /* the guest's bzImage once built; "" for host */
	char kcommit[256]; /* the tree it was built from, "" if not known */
	char key[400]; /* kernel cache key and settings: the status's `key` */
	enum mx_state state;
	char why[256];
	int nrun; /* the runs it makes (`runs = K`) */
	int done; /* of which in the matrix folder, their ids in run[] */
	char (*run)[MX_ID];
	/*
	 * An interleave job (`interleave = yes`): K runs of each policy in
	 * one boot, slot[r] run r's policy, the order shuffled from seed.
	 */
	const char **slot;
	unsigned int seed;
};

struct registry;
struct mx {
	const char **choices[3]; /* of kernels, configs, debug-vm */
	char file[256], dir[512], top[PATH_MAX], self[PATH_MAX];
	char machine[65]; /* this machine's hostname: in every run id */
	struct cfg cfg;
	const struct cfg_val *kernels, *policies, *configs;
	const struct cfg_val *debug_vm; /* kernels built with DEBUG_VM */
	int timeout, mem, runs;
	const char *swap, *accel;
	bool interleave;
	bool timing; /* measure = timing */
	int64_t seed; /* `seed = N`, or -1: one from the clock, recorded */
	struct mx_job *jobs;
	int n;
	const struct registry *reg; /* the scenarios the configs name */
	/*
	 * A run folder's id (env.json's `run`): 0, or -1 with why in err
	 * when it does not load as a run (analysis reads runs, lib does not).
	 */
	int (*run_id)(const char *dir, char *id, int len, char *err,
		      int errlen);
};

/* ---- lib/matrix.c: the file, the jobs, what their results depend on */

/* The checkout this binary was built in; dies (2) without its scripts. */
void mx_find_top(struct mx *m);
/* The matrix file into m; bad input dies with exit status 2. */
void mx_parse_file(struct mx *m, const char *path);
/* kernels x policies x configs; a kernel without the patch: stock only. */
void mx_expand(struct mx *m);
/* Every guest config is a valid run matrix (the planner dies with 2). */
void mx_validate_configs(const struct mx *m);
/* Every run id tag fits (dies with 2). */
void mx_check_tags(const struct mx *m);
/* The job of that id, or NULL. */
struct mx_job *mx_find_job(struct mx *m, const char *id);
/* The key of every job to consider, each kernel's asked once. */
void mx_job_keys(struct mx *m, const char *only);
/* Done before (ok, with the same key when it has one)? Sets state, run, why. */
bool mx_job_done(const struct mx *m, struct mx_job *j);
void mx_write_status(const struct mx *m, const struct mx_job *j);

/* A kernel carrying a cow-policy patch boots with every policy. */
bool mx_takes_policies(const struct mx *m, const char *kernel);
/* Is the kernel built with DEBUG_VM (debug-vm names it, `all`, or none)? */
bool mx_debug_vm(const struct mx *m, const char *kernel);
/* A job whose config is a check suite (configs/check*.conf) runs check. */
bool mx_check_suite(const struct mx_job *j);
/*
 * The policy run r runs under: its slot's (interleave), the config's
 * cow_policy, else the boot's.
 */
void mx_config_policy(const struct mx *m, const struct mx_job *j, int r,
		      char *buf, int len);
/* The policy a job's guest boots with (an interleave job's: stock). */
const char *mx_boot_policy(const struct mx_job *j);
/* Run r's expectation file (configs/expect/...): exists? */
bool mx_expect_path(const struct mx *m, const struct mx_job *j, int r,
		    char *path, int len);
/* An interleave job's order: K slots per policy, shuffled from j->seed. */
void mx_interleave(const struct mx *m, struct mx_job *j);
/* DIR/jobs/ID/FILE ("" for the job's folder). */
void mx_job_path(const struct mx *m, const struct mx_job *j, const char *file,
		 char *buf, int len);
/* Run r's id tag ($COWBENCH_RUN_TAG). */
void mx_job_tag(const struct mx *m, const struct mx_job *j, int r, char *buf,
		int len);
/* Where a check job's run r left its KTAP (stdout, a guest's check.ktap). */
void mx_ktap_path(const struct mx *m, const struct mx_job *j, int r, char *buf,
		  int len);
/* A script of the checkout, or the test's stand-in from the environment. */
void mx_script(const struct mx *m, const char *env, const char *name, char *buf,
	       int len);

/* ---- lib/mx-exec.c: files, processes, builds, runs */

/* SIGINT, SIGTERM and SIGHUP end the running job (its guest), then us. */
void mx_catch_signals(void);
/*
 * Run argv in its own process group, stdout and stderr into files, at
 * most limit_s seconds (0: no limit): its exit status, -1 when killed.
 */
int mx_spawn(char *const argv[], const char *out, const char *err, int limit_s);
/* PATH gets TEXT (created or replaced); dies on failure. */
void mx_put_file(const char *path, const char *text);
/* The first line of a file, trimmed, into buf; "" when none. */
char *mx_first_line(const char *path, char *buf, int len);
/* Run the jobs not done yet (only: that one), one by one, with progress. */
void mx_run_jobs(struct mx *m, const char *only, bool rebuild);

#endif
