// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "../../lib/ktap.h"
#include "unit.h"

/* What a writer printed, into a malloc'd string. */
static char *capture(void (*body)(struct ktap *k), int *status)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ktap k;

	ktap_begin(&k, f, 6);
	body(&k);
	ktap_totals(&k);
	*status = ktap_exit(&k);
	fclose(f);
	return buf;
}

static void all_kinds(struct ktap *k)
{
	ktap_result(k, KT_PASS, "cow-parent on base", NULL);
	ktap_result(k, KT_FAIL, "vmsplice on thp", "512 missed COW");
	ktap_result(k, KT_XFAIL, "vmsplice on hugetlb-2048kB", "known leak");
	ktap_result(k, KT_SKIP, "cow-parent on ksm", "no KSM");
	ktap_result(k, KT_ERROR, "dio on base", "ring died");
	ktap_result(k, KT_XPASS, "x on y", "expected fail");
}

static void every_line_and_the_totals(void)
{
	int st;
	char *out = capture(all_kinds, &st);

	CHECK(!strcmp(
		out,
		"KTAP version 1\n1..6\n"
		"ok 1 cow-parent on base\n"
		"# 512 missed COW\n"
		"not ok 2 vmsplice on thp\n"
		"ok 3 vmsplice on hugetlb-2048kB # XFAIL known leak\n"
		"ok 4 cow-parent on ksm # SKIP no KSM\n"
		"# error: ring died\n"
		"not ok 5 dio on base\n"
		"ok 6 x on y # XPASS expected fail\n"
		"# Totals: pass:1 fail:1 xfail:1 xpass:1 skip:1 error:1\n"));
	CHECK_EQ(st, 1);
	free(out);
}

static void passes_skips_xfails(struct ktap *k)
{
	ktap_result(k, KT_PASS, "a", NULL);
	ktap_result(k, KT_SKIP, "b", "why");
	ktap_result(k, KT_XFAIL, "c", "known");
}

static void exit_zero_without_fail_error_xpass(void)
{
	int st;

	free(capture(passes_skips_xfails, &st));
	CHECK_EQ(st, 0);
}

static void an_xpass_alone_fails(struct ktap *k)
{
	ktap_result(k, KT_XPASS, "a", "expected fail");
}

static void xpass_exits_one(void)
{
	int st;

	free(capture(an_xpass_alone_fails, &st));
	CHECK_EQ(st, 1);
}

static void a_skip_without_reason(struct ktap *k)
{
	ktap_result(k, KT_SKIP, "a", "");
}

/* an empty reason leaves the directive bare: a test can see it is missing */
static void empty_reason_bare_directive(void)
{
	int st;
	char *out = capture(a_skip_without_reason, &st);

	CHECK(strstr(out, "ok 1 a # SKIP\n") != NULL);
	free(out);
}

static void one_then_bail(struct ktap *k)
{
	ktap_result(k, KT_PASS, "a", NULL);
	ktap_bail(k, "interrupted by signal 2");
}

/* a stop before the plan is met says so in KTAP's words */
static void bail_out_line(void)
{
	int st;
	char *out = capture(one_then_bail, &st);

	CHECK(strstr(out, "ok 1 a\nBail out! interrupted by signal 2\n") !=
	      NULL);
	free(out);
}

/*
 * A report whose lines depend on what it reads (matrix, expect): the plan
 * after the last line, the totals, and the closing line the runners add
 * up, with an XFAIL a pass and an XPASS or an error a failure.
 */
static void plan_at_the_end_and_summary(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ktap k;

	ktap_begin(&k, f, -1);
	ktap_resultf(&k, KT_PASS, "job %d: ran (%s)", 1, "r1");
	ktap_resultf(&k, KT_FAIL, "job %d: %s", 2, "copies=512 (want 511)");
	ktap_resultf(&k, KT_SKIP, "job %d: xfail", 3);
	ktap_result(&k, KT_XFAIL, "x", "known");
	ktap_result(&k, KT_XPASS, "y", "expected to fail");
	ktap_result(&k, KT_ERROR, "z", "died");
	ktap_end(&k);
	ktap_summary(&k);
	fclose(f);
	CHECK(!strncmp(buf,
		       "KTAP version 1\n"
		       "ok 1 job 1: ran (r1)\n"
		       "not ok 2 job 2: copies=512 (want 511)\n"
		       "ok 3 job 3: xfail # SKIP\n",
		       strlen("KTAP version 1\nok 1 job 1: ran (r1)\n"
			      "not ok 2 job 2: copies=512 (want 511)\n"
			      "ok 3 job 3: xfail # SKIP\n")));
	CHECK(strstr(buf, "\n1..6\n# Totals: pass:1 fail:1 xfail:1 xpass:1 "
			  "skip:1 error:1\n2 passed, 3 failed, 1 skipped\n") !=
	      NULL);
	CHECK_EQ(ktap_exit(&k), 1);
	free(buf);
}

const struct unit_test ktap_tests[] = {
	{ "ktap: a plan at the end, the runners' closing line",
	  plan_at_the_end_and_summary },
	{ "ktap: Bail out! when the plan cannot be met", bail_out_line },
	{ "ktap: an empty reason leaves the directive bare",
	  empty_reason_bare_directive },
	{ "ktap: every kind of line, the totals", every_line_and_the_totals },
	{ "ktap: pass, skip, xfail exit 0",
	  exit_zero_without_fail_error_xpass },
	{ "ktap: an XPASS fails the expectation file", xpass_exits_one },
};
const int nr_ktap_tests = sizeof(ktap_tests) / sizeof(ktap_tests[0]);
