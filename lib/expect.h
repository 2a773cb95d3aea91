/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_EXPECT_H
#define COWBENCH_EXPECT_H

#include "ktap.h"
#include "result.h"

/*
 * What a kernel under a policy must show, as data: one line per scenario
 * and backing (configs/expect/<kernel>-<policy>),
 *
 *   SCENARIO[:PARAM=V[,PARAM=V]...] BACKING VERDICT [COUNT=N]...   [# why]
 *
 * The PARAM filter picks the records of one point of a sweep (pinned-fork's
 * mprotect=1, swapin's read=0); without it the line holds for every point.
 * BACKING may be a glob (mthp-*): every member in the run, a skip if none.
 * VERDICT is ok, fail:CLASS[,CLASS] (missed_cow, wrong_cow, unexplained),
 * skip, or xfail (a known defect of ours: reported, not asserted).  COUNT
 * is faults, copies, reuses, a class or a page event, exact in every
 * counting record of the group; or vm.EVENT, the window's /proc/vmstat
 * delta (system-wide: for a guest, where nothing else moves it).
 */
enum xverdict { XV_OK, XV_FAIL, XV_SKIP, XV_XFAIL };

#define EXPECT_MAX 64
#define EXPECT_PARAMS 4
struct expect_line {
	int line;
	char spec[96]; /* SCENARIO[:PARAM=V,...] as written */
	char scenario[32], backing[32];
	int nparams;
	struct kv params[EXPECT_PARAMS];
	enum xverdict verdict;
	unsigned int classes; /* fail: the failing classes, bit per name */
	struct kvset counts;
};

struct expect_list {
	char file[256];
	int n;
	struct expect_line l[EXPECT_MAX];
};

/* 0, or -1 with "file:line: what" in err. */
int expect_parse(const char *path, struct expect_list *e, char *err,
		 int errlen);

/*
 * Check one line against a run's records; what was seen goes to msg.
 * KT_PASS, KT_FAIL, or KT_SKIP (an xfail line: reported, not asserted;
 * a backing family the run does not have).
 */
enum ktap_result expect_check(const struct expect_line *l,
			      const struct record *recs, int n, char *msg,
			      int len);

/* The first line about this record (scenario, backing, params), or NULL. */
const struct expect_line *expect_find(const struct expect_list *e,
				      const struct record *r);
/* Does a failed record fail the way the line says it must (or may)? */
bool expect_fails_as(const struct expect_line *l, const struct record *r);

/*
 * A check's verdict (cowbench check): a record against the file's line
 * about it (e may be NULL): pass, fail, an expected failure, a pass where
 * a failure was expected, skip or error; the reason into why.
 */
enum ktap_result expect_judge(const struct expect_list *e,
			      const struct record *r, char *why, int len);

/*
 * A check's stable name, "vmsplice on hugetlb-2048kB" or
 * "pinned-fork:pinned=1048576,mprotect=1 on thp", so that two kernels'
 * outputs diff line by line (the region size, one for all, left out; and,
 * given the scenario's ops, an option it does not sweep unless asked, at
 * its default: adding one keeps the names there were).
 */
struct scenario_ops;
void check_name_of(const struct scenario_ops *ops, const char *scenario,
		   const struct kvset *params, const char *backing, char *buf,
		   int len);

/*
 * Every line of an expectation file against records, one KTAP line each
 * named "prefix: spec backing: what was seen"; a file that does not parse
 * is one failed line.
 */
void expect_file(const char *path, const char *prefix,
		 const struct record *recs, int n, struct ktap *k);

#endif
