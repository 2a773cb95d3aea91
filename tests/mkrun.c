// SPDX-License-Identifier: GPL-2.0
/*
 * Write a crafted run (env.json + results.jsonl) for the analysis tests:
 * cow-child and reuse-after-exit on base pages, `reps` repetitions whose
 * per-op times are base * scale * (1 + noise * N(0,1)), deterministic in
 * the seed.  Records go through the real writer (lib/result.c).
 *
 * mkrun DIR LABEL KERNEL CREATED SCALE NOISE REPS SEED [MISSED] [ACCEL]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	fprintf(f,
		"{\"id\":\"00000000000000e1\",\"run\":\"%s\",\"created\":\"%s\","
		"\"matrix\":{\"config\":\"\",\"digest\":\"m1\"},"
		"\"hostname\":\"lab1\",\"kernel\":\"%s\",\"label\":\"%s\","
		"\"cow_policy\":\"%.*s\",\"cmdline\":\"console=ttyS0 quiet\","
		"\"cpu\":\"Test CPU\",\"accelerator\":\"%s\","
		"\"mm\":{\"thp_enabled\":\"madvise\"}}\n",
		run, created, kernel, label, (int)strcspn(label, "-"), label,
		accel);
	fclose(f);
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
	mkdir(dir, 0755);
	write_env(dir, run, argv[2], argv[3], argv[4],
		  argc > 10 ? argv[10] : "kvm");
	fd = result_open(dir);
	for (s = 0; s < 2; s++) {
		for (rep = 0; rep < reps; rep++) {
			double per = sc[s].ns * scale * (1 + noise * gauss());

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
			r->c.faults = r->c.faults_min = 512;
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
			result_append(fd, r);
		}
	}
	free(r);
	return 0;
}
