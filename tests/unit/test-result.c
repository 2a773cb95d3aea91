// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/result.h"
#include "../../lib/window.h"
#include "unit.h"

static void fill(struct record *r)
{
	int i;

	record_init(r);
	snprintf(r->run, sizeof(r->run), "20261121-231500-host");
	snprintf(r->scenario, sizeof(r->scenario), "cow-child");
	snprintf(r->backing, sizeof(r->backing), "thp");
	snprintf(r->pass, sizeof(r->pass), "counting");
	snprintf(r->env, sizeof(r->env), "0123456789abcdef");
	kv_set(&r->params, "pages", 512);
	r->rep = 2;
	r->status = ST_OK;
	r->ops = 512;
	r->has_lat = true;
	for (i = 1; i <= 512; i++)
		hist_record(&r->lat, 1000 + i * 7);
	r->overhead_ns = 0.625;
	r->window_ns = 601208;
	r->has_counts = true;
	r->c.faults = r->c.faults_min = 512;
	r->c.faults_maj = 0;
	r->c.t.copies = 512;
	r->c.t.classes[CLS_NECESSARY] = 510;
	r->c.t.classes[CLS_MISSED] = 2;
	r->c.has_pages = true;
	r->c.t.events[EV_POPULATE] = 3;
	r->c.t.events[EV_UNEXPLAINED] = 1;
	kv_set(&r->c.tlb_flush.v, "local_mm_shootdown", 513);
	cs_skip_key(&r->c.tlb_flush, "remote_shootdown",
		    "per-CPU open on 1: ENOENT");
	r->c.tlb_ipis_received = 4;
	kv_set(&r->c.vmstat, "thp_split_pmd", 1);
	cs_skip_all(&r->c.hw, "no cpu PMU (perf_event_open: ENOENT)");
	kv_set(&r->c.extra, "anon_huge_kb", 0);
	kv_set(&r->c.extra, "observer_anon_huge_kb", 2048);
	snprintf(r->perturbed, sizeof(r->perturbed), "pgmigrate_success +1");
	snprintf(r->reason, sizeof(r->reason), "a \"quoted\"\treason\\");
}

static void round_trip(void)
{
	struct record *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char err[200], *line;

	fill(a);
	line = record_json(a);
	CHECK(strchr(line, '\n') == NULL);
	CHECK(record_parse(line, b, err, sizeof(err)) == 0);
	CHECK(!strcmp(a->run, b->run) && !strcmp(a->scenario, b->scenario) &&
	      !strcmp(a->backing, b->backing) && !strcmp(a->pass, b->pass) &&
	      !strcmp(a->env, b->env) && !strcmp(a->reason, b->reason) &&
	      !strcmp(a->perturbed, b->perturbed));
	CHECK_EQ(b->rep, 2);
	CHECK_EQ(b->status, ST_OK);
	CHECK_EQ(b->ops, 512);
	CHECK_EQ(kv_get(&b->params, "pages", -1), 512);
	CHECK(b->has_lat && b->lat.n == 512 && b->lat.max == a->lat.max);
	CHECK(!memcmp(a->lat.c, b->lat.c, sizeof(a->lat.c)));
	CHECK(b->overhead_ns == 0.625 && b->window_ns == 601208);
	CHECK(b->has_counts);
	CHECK_EQ(b->c.faults_min, 512);
	CHECK_EQ(b->c.t.copies, 512);
	CHECK_EQ(b->c.t.classes[CLS_NECESSARY], 510);
	CHECK_EQ(b->c.t.classes[CLS_MISSED], 2);
	CHECK_EQ(b->c.t.events[EV_POPULATE], 3);
	CHECK_EQ(b->c.t.events[EV_UNEXPLAINED], 1);
	CHECK_EQ(kv_get(&b->c.tlb_flush.v, "local_mm_shootdown", -1), 513);
	/* a count that was not taken is absent with its reason, never 0 */
	CHECK_EQ(b->c.tlb_flush.v.n, 1);
	CHECK(b->c.tlb_flush.nskip == 1 &&
	      !strcmp(b->c.tlb_flush.skipped[0].key, "remote_shootdown") &&
	      !strcmp(b->c.tlb_flush.skipped[0].why,
		      "per-CPU open on 1: ENOENT"));
	CHECK_EQ(b->c.tlb_ipis_received, 4);
	CHECK_EQ(kv_get(&b->c.vmstat, "thp_split_pmd", -1), 1);
	CHECK(!strcmp(b->c.hw.skip, a->c.hw.skip) && b->c.hw.v.n == 0);
	CHECK_EQ(b->c.faults_maj, 0);
	CHECK_EQ(b->c.faults_task, -1); /* never set: not in the JSON */
	CHECK(record_failed(b));
	CHECK_EQ(kv_get(&b->c.extra, "observer_anon_huge_kb", -1), 2048);
	free(line);
	free(a);
	free(b);
}

static void keys_of_design(void)
{
	static const char *const keys[] = {
		"\"run\":",
		"\"scenario\":",
		"\"backing\":",
		"\"params\":",
		"\"rep\":",
		"\"pass\":",
		"\"status\":",
		"\"ops\":",
		"\"latency_ns\":",
		"\"p50\":",
		"\"p90\":",
		"\"hist\":",
		"\"counts\":",
		"\"faults_min\":",
		"\"faults_maj\":",
		"\"copies\":",
		"\"reuses\":",
		"\"classes\":",
		"\"necessary_copy\":",
		"\"unnecessary_copy\":",
		"\"missed_cow\":",
		"\"wrong_cow\":",
		"\"tlb_flush\":",
		"\"tlb_ipis_received\":",
		"\"vmstat\":",
		"\"hw\":",
		"\"skipped\":",
		"\"env\":",
	};
	struct record *a = malloc(sizeof(*a));
	char *line;
	size_t i;

	fill(a);
	line = record_json(a);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strstr(line, keys[i])) {
			printf("# key %s missing\n", keys[i]);
			unit_failed = 1;
		}
	free(line);
	free(a);
}

/* p99 from 1000 samples, p99.9 from 10000: below that the maximum's noise */
static void percentiles_n_supports(void)
{
	struct record *a = malloc(sizeof(*a));
	char *line;
	int i;

	fill(a);
	line = record_json(a);
	CHECK(strstr(line, "\"p90\":") && !strstr(line, "\"p99\":") &&
	      !strstr(line, "\"p999\":"));
	free(line);
	for (i = 0; i < 9487; i++)
		hist_record(&a->lat, 5000);
	line = record_json(a);
	CHECK(strstr(line, "\"p99\":") && !strstr(line, "\"p999\":"));
	free(line);
	hist_record(&a->lat, 5000);
	line = record_json(a);
	CHECK(strstr(line, "\"p999\":") != NULL);
	free(line);
	free(a);
}

static void bad_lines(void)
{
	struct record *r = malloc(sizeof(*r));
	char err[200];

	CHECK(record_parse("{\"run\":\"x\"", r, err, sizeof(err)) == -1);
	CHECK(strstr(err, "column") != NULL);
	CHECK(record_parse("{\"run\":\"x\"}", r, err, sizeof(err)) == -1);
	CHECK(strstr(err, "required key") != NULL);
	CHECK(record_parse("[1,2]", r, err, sizeof(err)) == -1);
	CHECK(record_parse("", r, err, sizeof(err)) == -1);
	CHECK(record_parse(
		      "{\"run\":\"r\",\"scenario\":\"s\",\"backing\":\"b\","
		      "\"pass\":\"timing\",\"env\":\"e\",\"rep\":0,"
		      "\"status\":\"weird\"}",
		      r, err, sizeof(err)) == -1);
	CHECK(record_parse(
		      "{\"run\":\"r\",\"scenario\":\"s\",\"backing\":\"b\","
		      "\"pass\":\"timing\",\"env\":\"e\",\"rep\":0,"
		      "\"status\":\"skip\",\"reason\":\"no THP\"}",
		      r, err, sizeof(err)) == 0);
	CHECK(r->status == ST_SKIP && !strcmp(r->reason, "no THP"));
	free(r);
}

static void append_is_one_line_each(void)
{
	struct record *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char dir[64], path[96], err[200];
	char *text, *nl;
	int fd;

	fill(a);
	snprintf(dir, sizeof(dir), "/tmp/cowbench-unit-%d", (int)getpid());
	CHECK(mkdir(dir, 0700) == 0);
	fd = result_open(dir);
	CHECK(fd >= 0);
	CHECK(result_append(fd, a) == 0);
	a->rep = 3;
	CHECK(result_append(fd, a) == 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/results.jsonl", dir);
	text = slurp(path, NULL);
	CHECK(text != NULL);
	nl = text ? strchr(text, '\n') : NULL;
	CHECK(nl && strchr(nl + 1, '\n') && !strchr(nl + 1, '\n')[1]);
	if (nl) {
		*strchr(nl + 1, '\n') = '\0';
		CHECK(record_parse(nl + 1, b, err, sizeof(err)) == 0 &&
		      b->rep == 3);
	}
	free(text);
	unlink(path);
	rmdir(dir);
	free(a);
	free(b);
}

static void resume_key(void)
{
	struct record *a = malloc(sizeof(*a));
	char key[200];

	fill(a);
	record_key(a, key, sizeof(key));
	CHECK(!strcmp(key, "cow-child|thp|pages=512,|2|counting"));
	free(a);
}

/*
 * Timing records of one combination, t/op as given, and each repetition's
 * counting record: 512 copies, or 0 where copies0 says (another outcome).
 */
static struct record *regime_recs(const double *t, int n, int copies0)
{
	struct record *r = calloc(2 * n, sizeof(*r));
	int i;

	for (i = 0; i < 2 * n; i++) {
		record_init(&r[i]);
		snprintf(r[i].pass, sizeof(r[i].pass), "%s",
			 i < n ? "timing" : "counting");
		r[i].status = ST_OK;
		r[i].rep = i % n;
		r[i].t_op_ns = i < n ? t[i] : 0;
		r[i].has_counts = i >= n;
		r[i].c.t.copies = i - n == copies0 ? 0 : 512;
		r[i].c.faults = 512;
	}
	return r;
}

static int marked(const struct record *r, int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		k += !!r[i].perturbed[0];
	return k;
}

static void regimes(void)
{
	/* mprotect at 1 GiB once gave modes of ~40 ns, ~200 ns and ~5 us */
	const double t[] = { 38, 41, 35, 5200, 44, 190, 40, 39 };
	const double half[] = { 36, 5150, 37, 5100, 35, 5200, 36, 5000 };
	struct record *r = regime_recs(t, 8, -1);
	int i;

	window_screen_regimes(r, 16);
	for (i = 0; i < 8; i++)
		CHECK_EQ(!!r[i].perturbed[0], t[i] > 100);
	CHECK(strstr(r[3].perturbed, "above the median"));
	CHECK_EQ(marked(r + 8, 8), 0);
	free(r);
	/* half and half: no regime is clearly the host's, nothing marked */
	r = regime_recs(half, 8, -1);
	window_screen_regimes(r, 16);
	CHECK_EQ(marked(r, 16), 0);
	free(r);
	/* the slow repetition copied nothing where the others copied 512:
	 * the kernel's doing, not the host's */
	r = regime_recs(t, 8, 3);
	window_screen_regimes(r, 16);
	CHECK(!r[3].perturbed[0] && r[5].perturbed[0]);
	free(r);
	/* three repetitions are too few to tell a regime */
	r = regime_recs(t + 2, 3, -1);
	window_screen_regimes(r, 6);
	CHECK_EQ(marked(r, 6), 0);
	free(r);
}

const struct unit_test result_tests[] = {
	{ "result: a repetition in another regime than the median is perturbed",
	  regimes },
	{ "result: write/read round trip keeps every field", round_trip },
	{ "result: a record has the keys of DESIGN.md section 5",
	  keys_of_design },
	{ "result: latency_ns lists a percentile only where n supports it",
	  percentiles_n_supports },
	{ "result: bad and truncated lines are rejected with a reason",
	  bad_lines },
	{ "result: append writes one fsynced line per record",
	  append_is_one_line_each },
	{ "result: the identity --resume skips on", resume_key },
};
const int nr_result_tests = sizeof(result_tests) / sizeof(result_tests[0]);
