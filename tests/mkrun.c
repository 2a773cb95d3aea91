// SPDX-License-Identifier: GPL-2.0
/*
 * Write a crafted run (env.json + results.jsonl) for the analysis tests:
 * cow-child and reuse-after-exit on base pages, `reps` repetitions whose
 * per-op times are base * scale * (1 + noise * N(0,1)), deterministic in
 * the seed.  Records go through the real writer (lib/result.c).
 *
 * mkrun DIR LABEL KERNEL CREATED SCALE NOISE REPS SEED [MISSED] [ACCEL]
 *
 * Variations for single tests, from the environment:
 *   MKRUN_ONLY=SCENARIO        write only that scenario's records
 *   MKRUN_FAIL_PERTURBED=N     reuse-after-exit rep 0 counting: status fail,
 *                              perturbed, N missed COWs
 *   MKRUN_UNMEASURED=1         faults absent, hw skipped, tlb_flush partly
 *   MKRUN_SUITE, MKRUN_KCONFIG, MKRUN_DEFRAG, MKRUN_PAIR_NS: env.json
 *   MKRUN_SCALE_ONLY=SCENARIO  SCALE applies to that scenario only
 *   MKRUN_FAULTS=N             the counting pass's faults (default 512)
 *   MKRUN_FORK=SIZE,SIZE,...   fork-latency timing records of these sizes,
 *                              in this order, t/op 1 us per MiB
 *   MKRUN_RUN_CV=C             between-run noise: SCALE * (1 + C * N(0,1)),
 *                              drawn once from the seed
 *   MKRUN_HOST, MKRUN_MACHINE  env.json's hostname (default lab1), machine
 *                              (absent by default, as in older runs)
 *   MKRUN_KERNEL_COMMIT        env.json's kernel_commit (absent by default)
 *   MKRUN_RUNNING              no run_end in env.json: a run in progress
 *   MKRUN_WRITER="PID START BOOT_ID"  env.json's writer (absent by default,
 *                              as in older runs)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/cfg.h"
#include "../lib/result.h"

static uint64_t state;

static double uniform(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return ((state >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

static void ident(struct record *r, const char *run, const char *sc,
		  const char *pass, int rep)
{
	record_init(r);
	snprintf(r->run, sizeof(r->run), "%s", run);
	snprintf(r->scenario, sizeof(r->scenario), "%s", sc);
	snprintf(r->backing, sizeof(r->backing), "base");
	snprintf(r->pass, sizeof(r->pass), "%s", pass);
	snprintf(r->env, sizeof(r->env), "00000000000000e1");
	kv_set(&r->params, "pages", 512);
	r->rep = rep;
	r->ops = 512;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v ? v : def;
}

/* A JSON string's inside: labels in tests carry quotes on purpose. */
static const char *esc(const char *s)
{
	static char buf[256];
	int n = 0;

	for (; *s && n < (int)sizeof(buf) - 2; s++) {
		if (*s == '"' || *s == '\\')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

/* "key":"$VAR", when VAR is set. */
static void optional(FILE *f, const char *key, const char *var)
{
	if (getenv(var))
		fprintf(f, "\"%s\":\"%s\",", key, esc(getenv(var)));
}

/* "writer":{...}, from MKRUN_WRITER="PID START BOOT_ID". */
static void writer(FILE *f)
{
	long long pid, start;
	char boot[64];

	if (!getenv("MKRUN_WRITER") ||
	    sscanf(getenv("MKRUN_WRITER"), "%lld %lld %63s", &pid, &start,
		   boot) != 3)
		return;
	fprintf(f,
		"\"writer\":{\"pid\":%lld,\"boot_id\":\"%s\",\"start_time\":%lld},",
		pid, esc(boot), start);
}

static void write_env(const char *dir, const char *run, const char *label,
		      const char *kernel, const char *created,
		      const char *accel)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/env.json", dir);
	f = fopen(path, "w");
	if (!f)
		exit(1);
	fputc('{', f);
	optional(f, "machine", "MKRUN_MACHINE");
	optional(f, "kernel_commit", "MKRUN_KERNEL_COMMIT");
	writer(f);
	fprintf(f,
		"\"id\":\"00000000000000e1\",\"run\":\"%s\",\"created\":\"%s\","
		"\"matrix\":{\"config\":\"\",\"digest\":\"m1\"},"
		"\"hostname\":\"%s\",\"kernel\":\"%s\",\"label\":\"%s\","
		"\"cow_policy\":\"%.*s\",\"cmdline\":\"console=ttyS0 quiet\","
		"\"cpu\":\"Test CPU\",\"accelerator\":\"%s\","
		"\"suite_version\":\"%s\",\"config\":{\"digest\":\"%s\"},"
		"\"clock\":{\"pair_ns\":%s},%s"
		"\"mm\":{\"thp_enabled\":\"madvise\",\"thp_defrag\":\"%s\"}}\n",
		run, created, env_or("MKRUN_HOST", "lab1"), kernel, esc(label),
		(int)strcspn(label, "-\"\\"), label, accel,
		env_or("MKRUN_SUITE", "t1"), env_or("MKRUN_KCONFIG", "c1"),
		env_or("MKRUN_PAIR_NS", "20"),
		getenv("MKRUN_RUNNING") ? "" :
					  "\"run_end\":{\"exit_status\":0},",
		env_or("MKRUN_DEFRAG", "madvise"));
	fclose(f);
}

/* The counting record's variations a test asked for (see the top). */
static void vary(struct record *r, int s, int rep)
{
	int missed = atoi(env_or("MKRUN_FAIL_PERTURBED", "0"));

	if (missed && s == 1 && rep == 0) {
		r->status = ST_FAIL;
		snprintf(r->reason, sizeof(r->reason), "missed COW");
		snprintf(r->perturbed, sizeof(r->perturbed), "migrated");
		r->c.t.classes[CLS_MISSED] = missed;
	}
	if (getenv("MKRUN_UNMEASURED")) {
		r->c.faults = r->c.faults_min = r->c.faults_maj = -1;
		snprintf(r->c.faults_skip, sizeof(r->c.faults_skip),
			 "no page_fault_user tracepoint");
		cs_skip_key(&r->c.tlb_flush, "remote_shootdown",
			    "per-CPU open failed");
	}
}

/* fork-latency records in the order given: the plot sorts them. */
static void fork_records(int fd, struct record *r, const char *run, int reps)
{
	char *list = strdup(getenv("MKRUN_FORK")), *tok, *save = NULL;
	int64_t bytes;
	int rep;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (parse_size(tok, &bytes))
			exit(2);
		for (rep = 0; rep < reps; rep++) {
			ident(r, run, "fork-latency", "timing", rep);
			r->params.n = 0;
			kv_set(&r->params, "size", bytes);
			r->ops = 1;
			r->window_ns = bytes / 1024.0;
			result_append(fd, r);
		}
	}
	free(list);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		double ns;
		int copy;
	} sc[] = { { "cow-child", 1000, 1 }, { "reuse-after-exit", 400, 0 } };
	struct record *r = malloc(sizeof(*r));
	double scale, noise, missed;
	int reps, rep, s, i, fd;
	const char *dir, *run;

	if (argc < 9)
		return 2;
	dir = argv[1];
	run = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	scale = atof(argv[5]);
	noise = atof(argv[6]);
	reps = atoi(argv[7]);
	state = strtoull(argv[8], NULL, 10) * 2654435761ULL + 1;
	missed = argc > 9 ? atof(argv[9]) : 0;
	if (getenv("MKRUN_RUN_CV"))
		scale *= 1 + atof(getenv("MKRUN_RUN_CV")) * gauss();
	mkdir(dir, 0755);
	write_env(dir, run, argv[2], argv[3], argv[4],
		  argc > 10 ? argv[10] : "kvm");
	fd = result_open(dir);
	for (s = 0; s < 2; s++) {
		if (getenv("MKRUN_ONLY") &&
		    strcmp(getenv("MKRUN_ONLY"), sc[s].name))
			continue;
		for (rep = 0; rep < reps; rep++) {
			const char *only = getenv("MKRUN_SCALE_ONLY");
			double per =
				sc[s].ns *
				(only && strcmp(only, sc[s].name) ? 1 : scale) *
				(1 + noise * gauss());

			ident(r, run, sc[s].name, "timing", rep);
			r->has_lat = true;
			hist_record_n(&r->lat, (uint64_t)per, 512);
			r->window_ns = per * 512;
			result_append(fd, r);
			ident(r, run, sc[s].name, "sampled", rep);
			r->has_lat = true;
			for (i = 0; i < 512; i++)
				hist_record(
					&r->lat,
					(uint64_t)(per * (1 + 0.05 * gauss())));
			result_append(fd, r);
			ident(r, run, sc[s].name, "counting", rep);
			r->has_counts = true;
			r->c.faults = r->c.faults_min =
				atoi(env_or("MKRUN_FAULTS", "512"));
			r->c.faults_maj = 0;
			r->c.has_pages = true;
			r->c.t.copies = sc[s].copy ? 512 : 0;
			r->c.t.reuses = sc[s].copy ? 0 : 512;
			r->c.t.classes[sc[s].copy ? CLS_NECESSARY : CLS_REUSE] =
				512;
			r->c.t.classes[CLS_MISSED] =
				sc[s].copy ? 0 : (uint64_t)missed;
			kv_set(&r->c.tlb_flush.v, "local_mm_shootdown",
			       sc[s].copy ? 512 : 0);
			cs_skip_all(&r->c.hw, "no cpu PMU");
			vary(r, s, rep);
			result_append(fd, r);
		}
	}
	if (getenv("MKRUN_FORK"))
		fork_records(fd, r, run, reps);
	free(r);
	return 0;
}
