// SPDX-License-Identifier: GPL-2.0
/* Expected verdicts and counts per scenario and backing (expect.h). */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "expect.h"
#include "scenario.h"
#include "vmstat.h"

/* The failing classes, in the order a verdict names them. */
static const char *const fail_names[] = { "missed_cow", "wrong_cow",
					  "unexplained" };

/*
 * A count of a counting record by its results.jsonl name into *v (r may
 * be NULL: is it a name at all?).  False for an unknown name.
 */
/*
 * "vm.NAME": the window's /proc/vmstat delta, system-wide (exact in a
 * guest where nothing else takes the event); -1 where the kernel lacks it.
 */
static bool vm_count(const struct record *r, const char *key, int64_t *v)
{
	if (strncmp(key, "vm.", 3) || !vmstat_known(key + 3))
		return false;
	if (r)
		*v = kv_get(&r->c.vmstat, key + 3, -1);
	return true;
}

static bool count_of(const struct record *r, const char *key, int64_t *v)
{
	const struct tally *t = r ? &r->c.t : NULL;
	int i;

	if (vm_count(r, key, v))
		return true;

	if (!strcmp(key, "faults"))
		return r ? *v = r->c.faults, true : true;
	if (!strcmp(key, "undecided"))
		return t ? *v = t->undecided, true : true;
	/* unknown (-1) while some page is undecided */
	if (!strcmp(key, "copies") || !strcmp(key, "reuses")) {
		if (t && !tally_decided(t))
			*v = -1;
		else if (t)
			*v = key[0] == 'c' ? t->copies : t->reuses;
		return true;
	}
	for (i = 0; i < NCLASS; i++)
		if (!strcmp(key, cow_class_names[i])) {
			if (t)
				*v = class_decided(t, i) ?
					     (int64_t)t->classes[i] :
					     -1;
			return true;
		}
	for (i = 0; i < NEVENT; i++)
		if (!strcmp(key, pg_event_names[i])) {
			if (t)
				*v = event_decided(t, i) ?
					     (int64_t)t->events[i] :
					     -1;
			return true;
		}
	return false;
}

/* "fail:missed_cow,wrong_cow" -> class bits; -1 on an unknown name. */
static int parse_classes(char *list)
{
	char *tok, *save = NULL;
	unsigned int bits = 0, i;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < ARRAY_SIZE(fail_names); i++)
			if (!strcmp(tok, fail_names[i]))
				break;
		if (i == ARRAY_SIZE(fail_names))
			return -1;
		bits |= 1u << i;
	}
	return bits ? (int)bits : -1;
}

static int parse_verdict(char *w, struct expect_line *l)
{
	int bits;

	if (!strcmp(w, "ok"))
		l->verdict = XV_OK;
	else if (!strcmp(w, "skip"))
		l->verdict = XV_SKIP;
	else if (!strcmp(w, "xfail"))
		l->verdict = XV_XFAIL;
	else if (!strncmp(w, "fail:", 5) && (bits = parse_classes(w + 5)) > 0)
		l->verdict = XV_FAIL, l->classes = bits;
	else
		return -1;
	return 0;
}

/* "pinned-fork:mprotect=1,pinned=1M": the scenario and its filter. */
static int parse_spec(char *w, struct expect_line *l, char *why, int len)
{
	char *colon = strchr(w, ':'), *tok, *save = NULL, *eq;

	snprintf(l->spec, sizeof(l->spec), "%s", w);
	if (colon)
		*colon = '\0';
	snprintf(l->scenario, sizeof(l->scenario), "%s", w);
	if (!colon)
		return 0;
	for (tok = strtok_r(colon + 1, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		struct kv *kv = &l->params[l->nparams];

		eq = strchr(tok, '=');
		if (l->nparams == EXPECT_PARAMS || !eq || eq == tok ||
		    (*eq = '\0', strlen(tok) >= sizeof(kv->key)) ||
		    parse_size(eq + 1, &kv->val))
			return snprintf(
				       why, len,
				       "'%s' is not SCENARIO:PARAM=V[,PARAM=V] (at most %d)",
				       l->spec, EXPECT_PARAMS),
			       -1;
		snprintf(kv->key, sizeof(kv->key), "%s", tok);
		l->nparams++;
	}
	return l->nparams ? 0 :
			    (snprintf(why, len, "'%s': no PARAM=V after ':'",
				      l->spec),
			     -1);
}

static int parse_line(char *text, struct expect_line *l, char *why, int len)
{
	char *w[3 + KV_MAX], *save = NULL, *eq;
	int n = 0, i;
	int64_t v;

	for (w[n] = strtok_r(text, " \t", &save); w[n] && n < 2 + KV_MAX;
	     w[++n] = strtok_r(NULL, " \t", &save))
		;
	if (n < 3)
		return snprintf(why, len, "expected SCENARIO BACKING VERDICT"),
		       -1;
	if (parse_spec(w[0], l, why, len))
		return -1;
	snprintf(l->backing, sizeof(l->backing), "%s", w[1]);
	if (parse_verdict(w[2], l))
		return snprintf(
			       why, len,
			       "verdict '%s' is not ok, fail:CLASS[,CLASS], skip or xfail",
			       w[2]),
		       -1;
	for (i = 3; i < n; i++) {
		eq = strchr(w[i], '=');
		if (!eq || (*eq = '\0', !count_of(NULL, w[i], &v)) ||
		    parse_int(eq + 1, &v) || v < 0)
			return snprintf(
				       why, len,
				       "'%s' is not COUNT=N with a known count (faults, copies, reuses, undecided, a class, an event or vm.EVENT)",
				       w[i]),
			       -1;
		kv_set(&l->counts, w[i], v);
	}
	return 0;
}

int expect_parse(const char *path, struct expect_list *e, char *err, int errlen)
{
	char *text = slurp(path, NULL), *line, *save = NULL, why[160];
	int no = 0;

	memset(e, 0, sizeof(*e));
	snprintf(e->file, sizeof(e->file), "%s", path);
	if (!text)
		return snprintf(err, errlen, "%s: %s", path, strerror(errno)),
		       -1;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		no++;
		line[strcspn(line, "#")] = '\0';
		if (!*strtrim(line))
			continue;
		if (e->n == EXPECT_MAX) {
			snprintf(why, sizeof(why), "more than %d lines",
				 EXPECT_MAX);
		} else if (!parse_line(line, &e->l[e->n], why, sizeof(why))) {
			e->l[e->n++].line = no;
			continue;
		}
		snprintf(err, errlen, "%s:%d: %s", path, no, why);
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

/* "ok" or "fail:missed_cow,..." as the record's classes say. */
static unsigned int failing(const struct record *r)
{
	const uint64_t n[] = { r->c.t.classes[CLS_MISSED],
			       r->c.t.classes[CLS_WRONG],
			       r->c.t.events[EV_UNEXPLAINED] };
	unsigned int bits = 0, i;

	for (i = 0; i < ARRAY_SIZE(n); i++)
		bits |= n[i] ? 1u << i : 0;
	return bits;
}

static int verdict_str(unsigned int bits, char *buf, int len)
{
	unsigned int i;
	int n = snprintf(buf, len, bits ? "fail:" : "ok");

	for (i = 0; i < ARRAY_SIZE(fail_names) && n < len; i++)
		if (bits & (1u << i))
			n += snprintf(buf + n, len - n, "%s%s",
				      n > 5 ? "," : "", fail_names[i]);
	return n;
}

/* Append the line's counts as this record has them; mismatches marked. */
static bool counts_match(const struct expect_line *l, const struct record *r,
			 char *msg, int len)
{
	int i, n = strlen(msg);
	bool all = true;

	for (i = 0; i < l->counts.n && n < len; i++) {
		const struct kv *kv = &l->counts.kv[i];
		int64_t got = -1;

		count_of(r, kv->key, &got);

		n += snprintf(msg + n, len - n, " %s=%lld", kv->key,
			      (long long)got);
		if (got != kv->val) {
			n += snprintf(msg + n, len - n, " (want %lld)",
				      (long long)kv->val);
			all = false;
		}
	}
	return all;
}

/* The line is about this record: scenario, backing, every filter param. */
static bool line_has(const struct expect_line *l, const struct record *r)
{
	int i;

	if (strcmp(r->scenario, l->scenario) ||
	    fnmatch(l->backing, r->backing, 0))
		return false;
	for (i = 0; i < l->nparams; i++)
		if (kv_get(&r->params, l->params[i].key, -1) !=
		    l->params[i].val)
			return false;
	return true;
}

/* A group's record that decides before any count: error, skip. */
static const struct record *blocker(const struct expect_line *l,
				    const struct record *recs, int n,
				    enum rec_status st)
{
	int i;

	for (i = 0; i < n; i++)
		if (line_has(l, &recs[i]) &&
		    (recs[i].status == st ||
		     (st == ST_ERROR && recs[i].status == ST_TIMEOUT)))
			return &recs[i];
	return NULL;
}

/* Did a record of the line's run (not skip)? */
static bool ran_any(const struct expect_line *l, const struct record *recs,
		    int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (line_has(l, &recs[i]) && recs[i].status != ST_SKIP)
			return true;
	return false;
}

/* One record's verdict and counts into msg; whether they are the line's. */
static bool record_matches(const struct expect_line *l, const struct record *r,
			   char *msg, int len)
{
	unsigned int want = l->verdict == XV_FAIL ? l->classes : 0;
	bool match = true;

	msg[0] = '\0';
	verdict_str(failing(r), msg, len);
	if ((l->verdict == XV_OK || l->verdict == XV_FAIL) &&
	    want != failing(r)) {
		strncat(msg, " (want ", len - strlen(msg) - 1);
		verdict_str(want, msg + strlen(msg), len - strlen(msg));
		strncat(msg, ")", len - strlen(msg) - 1);
		match = false;
	}
	return counts_match(l, r, msg, len) && match;
}

enum ktap_result expect_check(const struct expect_line *l,
			      const struct record *recs, int n, char *msg,
			      int len)
{
	char one[300], last[300] = "";
	const struct record *r;
	bool match = true;
	int i, seen = 0;

	msg[0] = '\0';
	if ((r = blocker(l, recs, n, ST_ERROR)))
		return snprintf(msg, len, "%s: %s", rec_status_names[r->status],
				r->reason),
		       KT_FAIL;
	/* a family's member that cannot run here leaves the others to say */
	if ((r = blocker(l, recs, n, ST_SKIP)) &&
	    (!strchr(l->backing, '*') || !ran_any(l, recs, n))) {
		snprintf(msg, len, "skip: %s", r->reason);
		return l->verdict == XV_SKIP ? KT_PASS : KT_SKIP;
	}
	for (i = 0; i < n; i++) {
		r = &recs[i];
		if (!line_has(l, r) || !r->has_counts || !r->c.has_pages)
			continue;
		match &= record_matches(l, r, one, sizeof(one));
		/* repetitions that agree are said once */
		if (!seen++ || strcmp(one, last))
			snprintf(msg + strlen(msg), len - strlen(msg), "%s%s",
				 seen > 1 ? "; " : "", one);
		snprintf(last, sizeof(last), "%s", one);
	}
	/* a family (mthp-*) this machine does not offer */
	if (!seen && strchr(l->backing, '*'))
		return snprintf(msg, len, "no backing %s in the run",
				l->backing),
		       KT_SKIP;
	if (!seen)
		return snprintf(
			       msg, len,
			       "no counting record (scenario, backing or params not in the run)"),
		       KT_FAIL;
	if (l->verdict == XV_XFAIL)
		return KT_SKIP;
	if (l->verdict == XV_SKIP)
		return strncat(msg, " (want skip)", len - strlen(msg) - 1),
		       KT_FAIL;
	return match ? KT_PASS : KT_FAIL;
}

void expect_file(const char *path, const char *prefix,
		 const struct record *recs, int n, struct ktap *k)
{
	struct expect_list *e = xmalloc(sizeof(*e));
	char err[512], msg[600];
	int i;

	if (expect_parse(path, e, err, sizeof(err))) {
		ktap_resultf(k, KT_FAIL, "%s: %s", prefix, err);
		free(e);
		return;
	}
	for (i = 0; i < e->n; i++) {
		enum ktap_result res =
			expect_check(&e->l[i], recs, n, msg, sizeof(msg));

		ktap_resultf(k, res, "%s: %s %s: %s", prefix, e->l[i].spec,
			     e->l[i].backing, msg);
	}
	free(e);
}

const struct expect_line *expect_find(const struct expect_list *e,
				      const struct record *r)
{
	int i;

	for (i = 0; i < e->n; i++)
		if (line_has(&e->l[i], r))
			return &e->l[i];
	return NULL;
}

bool expect_fails_as(const struct expect_line *l, const struct record *r)
{
	char msg[300];

	/* the failure the line names, with the counts it gives */
	return l->verdict == XV_XFAIL ||
	       (l->verdict == XV_FAIL && l->classes == failing(r) &&
		counts_match(l, r, msg, sizeof(msg)));
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

enum ktap_result expect_judge(const struct expect_list *e,
			      const struct record *r, char *why, int len)
{
	const struct expect_line *l = e ? expect_find(e, r) : NULL;
	bool expected_fail =
		l && (l->verdict == XV_FAIL || l->verdict == XV_XFAIL);

	snprintf(why, len, "%s", r->reason);
	switch (r->status) {
	case ST_SKIP:
		return KT_SKIP;
	case ST_ERROR:
	case ST_TIMEOUT:
		return KT_ERROR;
	case ST_FAIL:
		if (!l || !expect_fails_as(l, r))
			return KT_FAIL;
		snprintf(why, len, "%.200s (%.120s:%d)", r->reason,
			 base_name(e->file), l->line);
		return KT_XFAIL;
	default:
		if (!expected_fail)
			return KT_PASS;
		snprintf(why, len, "%.120s:%d expects it to fail",
			 base_name(e->file), l->line);
		return KT_XPASS;
	}
}

/* An option ops does not sweep by default, at that default. */
static bool quiet_default(const struct scenario_ops *ops, const char *key,
			  int64_t val)
{
	int i;

	for (i = 0; ops && i < ops->nparams; i++)
		if (!strcmp(ops->params[i].name, key))
			return ops->params[i].ndef == 1 &&
			       ops->params[i].def[0] == val;
	return false;
}

void check_name_of(const struct scenario_ops *ops, const char *scenario,
		   const struct kvset *params, const char *backing, char *buf,
		   int len)
{
	int i, n = snprintf(buf, len, "%s", scenario), k = 0;

	for (i = 0; i < params->n && n < len; i++) {
		if (!strcmp(params->kv[i].key, "pages") ||
		    quiet_default(ops, params->kv[i].key, params->kv[i].val))
			continue;
		n += snprintf(buf + n, len - n, "%c%s=%lld", k++ ? ',' : ':',
			      params->kv[i].key, (long long)params->kv[i].val);
	}
	if (n < len)
		snprintf(buf + n, len - n, " on %s", backing);
}
