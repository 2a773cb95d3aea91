/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_ENV_H
#define COWBENCH_ENV_H

#include "json.h"
#include "topo.h"

/*
 * What a result depends on besides the scenario: kernel, its config and
 * command line (cow_policy=), CPU, THP/mTHP/KSM/swap state, topology,
 * accelerator, clock.  The id is a digest of all of it, so that two runs
 * with the same id ran in the same environment.
 */
struct env {
	char id[17];
	char release[96];
	char policy[48]; /* cow_policy= from the command line, or "stock" */
	char label[160]; /* "stock-6.18" */
	char accel[16]; /* host, kvm, tcg, or the hypervisor's signature */
	char thp[16];
	char kcommit[256]; /* the kernel's source, "" when not known */
	char kcommit_from[160]; /* where kcommit came from, or why unknown */
	/* env.json's fields as the first write read them: the id's, kept */
	char *fields;
};

void env_collect(struct env *e);
/*
 * The kernel's source, never guessed: `given` ($COWBENCH_KERNEL_COMMIT),
 * else the distribution's word on the running kernel (`signature`, from
 * /proc/version_signature; "Debian VERSION" in `version`, uname -v).
 * False, with why in from, when none says.
 */
bool env_kernel_commit(const char *given, const char *signature,
		       const char *version, char *out, int len, char *from,
		       int flen);
/*
 * What a kbuild.sh cache entry's info file says was built: the git commit,
 * or "Debian VERSION (PACKAGE)", then " + PATCH:DIGEST ..." for the
 * patches applied.  False when it names no source.
 */
bool env_kbuild_commit(const char *info, char *out, int len);
/* Measured over the whole run, written when it ends. */
struct run_end {
	char finished[32]; /* UTC time the run ended */
	int status; /* its exit status */
	double elapsed_s;
	double steal_pct; /* of all CPUs' time (/proc/stat, 10 ms ticks) */
	int64_t reported_kib; /* free page reporting delta, -1 unknown */
	/* at the start */
	uint64_t t0_ns;
	long long ticks0, steal0, reported0;
};

/* Take the start of a run, then fill the rest at its end. */
void env_run_start(struct run_end *e);
void env_run_end(struct run_end *e, int status);
/* "2026-12-03T21:42:23Z" */
void utc_now(char *buf, size_t len);

/* What a run ran, beside where: not part of the environment's id. */
struct run_info {
	const char *run; /* run id */
	const char *config; /* the config file, or "" */
	char matrix[17]; /* digest of the expanded matrix */
	int64_t order_seed; /* of the combinations' order, -1: as planned */
	const struct run_end *end; /* NULL while it runs */
	/* when the run started, kept over rewrites and --resume; "": now */
	char created[32];
};

/* The whole document; ri may be NULL (cowbench env). */
void env_write_json(struct jw *w, struct env *e, const struct topo *t,
		    const struct run_info *ri);
/* Write env.json into dir (tmp + rename); 0 or -errno. */
int env_write_file(const char *dir, struct env *e, const struct topo *t,
		   const struct run_info *ri);

/* The policy kernel's run-time switch (configs/policies/). */
#define COW_POLICY_SYSCTL "/proc/sys/vm/cow_policy"

#endif
