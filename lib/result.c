// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "result.h"

const char *const rec_status_names[ST_NR] = { "ok", "skip", "error", "timeout",
					      "fail" };

void record_init(struct record *r)
{
	memset(r, 0, sizeof(*r));
	hist_init(&r->lat);
	r->c.faults = r->c.faults_task = r->c.faults_min = r->c.faults_maj = -1;
	r->c.tlb_ipis_received = -1;
}

bool record_failed(const struct record *r)
{
	return r->status == ST_FAIL ||
	       (r->has_counts && r->c.has_pages &&
		(r->c.t.classes[CLS_MISSED] || r->c.t.classes[CLS_WRONG] ||
		 r->c.t.events[EV_UNEXPLAINED]));
}

static void kv_json(struct jw *w, const char *key, const struct kvset *s)
{
	int i;

	jw_open(w, key, '{');
	for (i = 0; i < s->n; i++)
		jw_i64(w, s->kv[i].key, s->kv[i].val);
	jw_close(w, '}');
}

/* A percentile only where n supports it; the histogram holds the rest. */
static void latency_json(struct jw *w, const struct record *r)
{
	const struct hist_pct_key *pct = hist_pct_keys;
	char *h = hist_serialise(&r->lat);
	int i;

	jw_open(w, "latency_ns", '{');
	jw_u64(w, "n", r->lat.n);
	jw_u64(w, "mean", (uint64_t)(hist_mean(&r->lat) + 0.5));
	for (i = 0; i < HIST_NR_PCT; i++)
		if (hist_pct_supported(&r->lat, pct[i].p))
			jw_u64(w, pct[i].key, hist_pct(&r->lat, pct[i].p));
	jw_u64(w, "max", r->lat.max);
	jw_str(w, "hist", h);
	jw_close(w, '}');
	free(h);
}

/* Numbers, then "skipped": a string for the whole set or {key: why}. */
static void countset_json(struct jw *w, const char *key,
			  const struct countset *s)
{
	int i;

	jw_open(w, key, '{');
	for (i = 0; !s->skip[0] && i < s->v.n; i++)
		jw_i64(w, s->v.kv[i].key, s->v.kv[i].val);
	if (s->skip[0]) {
		jw_str(w, "skipped", s->skip);
	} else if (s->nskip) {
		jw_open(w, "skipped", '{');
		for (i = 0; i < s->nskip; i++)
			jw_str(w, s->skipped[i].key, s->skipped[i].why);
		jw_close(w, '}');
	}
	jw_close(w, '}');
}

static void opt_i64(struct jw *w, const char *key, int64_t v)
{
	if (v >= 0)
		jw_i64(w, key, v);
}

static void pages_json(struct jw *w, const struct tally *t)
{
	int i;

	if (tally_decided(t)) {
		jw_u64(w, "copies", t->copies);
		jw_u64(w, "reuses", t->reuses);
	} else {
		jw_null(w, "copies");
		jw_null(w, "reuses");
	}
	jw_u64(w, "undecided", t->undecided);
	if (!tally_decided(t)) { /* what is known of the counts left null */
		jw_open(w, "lower_bounds", '{');
		jw_u64(w, "copies", t->copies);
		jw_u64(w, "reuses", t->reuses);
		jw_u64(w, "reuse", t->classes[CLS_REUSE]);
		jw_u64(w, "unnecessary_copy", t->classes[CLS_UNNECESSARY]);
		jw_u64(w, "no_fault", t->events[EV_NO_FAULT]);
		jw_close(w, '}');
	}
	jw_open(w, "classes", '{');
	for (i = 0; i < NCLASS; i++)
		if (class_decided(t, i))
			jw_u64(w, cow_class_names[i], t->classes[i]);
		else
			jw_null(w, cow_class_names[i]);
	jw_close(w, '}');
	jw_open(w, "events", '{');
	for (i = 0; i < NEVENT; i++)
		if (event_decided(t, i))
			jw_u64(w, pg_event_names[i], t->events[i]);
		else
			jw_null(w, pg_event_names[i]);
	jw_close(w, '}');
}

static void counts_json(struct jw *w, const struct rec_counts *c)
{
	jw_open(w, "counts", '{');
	opt_i64(w, "faults", c->faults);
	if (c->faults < 0 && c->faults_skip[0])
		jw_str(w, "faults_skipped", c->faults_skip);
	opt_i64(w, "faults_task", c->faults_task);
	opt_i64(w, "faults_min", c->faults_min);
	opt_i64(w, "faults_maj", c->faults_maj);
	if (c->has_pages)
		pages_json(w, &c->t);
	countset_json(w, "tlb_flush", &c->tlb_flush);
	countset_json(w, "tlb_events", &c->tlb_events);
	opt_i64(w, "tlb_ipis_received", c->tlb_ipis_received);
	kv_json(w, "vmstat", &c->vmstat);
	countset_json(w, "hw", &c->hw);
	kv_json(w, "extra", &c->extra);
	jw_close(w, '}');
}

char *record_json(const struct record *r)
{
	struct jw w;

	jw_init(&w);
	jw_open(&w, NULL, '{');
	jw_str(&w, "run", r->run);
	jw_str(&w, "scenario", r->scenario);
	jw_str(&w, "backing", r->backing);
	kv_json(&w, "params", &r->params);
	jw_i64(&w, "rep", r->rep);
	jw_str(&w, "pass", r->pass);
	jw_str(&w, "status", rec_status_names[r->status]);
	if (r->reason[0])
		jw_str(&w, "reason", r->reason);
	jw_u64(&w, "ops", r->ops);
	if (r->has_lat) {
		latency_json(&w, r);
		jw_dbl(&w, "overhead_ns", r->overhead_ns);
	}
	if (r->window_ns)
		jw_dbl(&w, "window_ns", r->window_ns);
	if (r->batches) {
		jw_dbl(&w, "t_op_ns", r->t_op_ns);
		jw_i64(&w, "batches", r->batches);
		jw_i64(&w, "batches_interrupted", r->batches_interrupted);
	}
	if (r->has_counts)
		counts_json(&w, &r->c);
	if (r->screen.n)
		kv_json(&w, "screen", &r->screen);
	if (r->perturbed[0])
		jw_str(&w, "perturbed", r->perturbed);
	if (r->rehearsed[0])
		jw_str(&w, "rehearsed", r->rehearsed);
	jw_str(&w, "env", r->env);
	jw_close(&w, '}');
	return w.buf;
}

/* ---- reading back ---- */

static int str_field(const struct jval *v, const char *key, char *out, int len,
		     int required)
{
	const char *s = json_str(v, key);

	if (!s)
		return required ? -1 : 0;
	snprintf(out, len, "%s", s);
	return 0;
}

static void kv_parse(const struct jval *obj, struct kvset *s)
{
	size_t i;

	if (!obj || obj->t != J_OBJ)
		return;
	for (i = 0; i < obj->n; i++)
		if (obj->items[i].t == J_NUM)
			kv_set(s, obj->keys[i], (int64_t)obj->items[i].num);
}

static void countset_parse(const struct jval *obj, struct countset *s)
{
	const struct jval *sk = json_get(obj, "skipped");
	size_t i;

	kv_parse(obj, &s->v);
	if (sk && sk->t == J_STR)
		snprintf(s->skip, sizeof(s->skip), "%s", sk->str);
	for (i = 0; sk && sk->t == J_OBJ && i < sk->n && i < SKIP_MAX; i++)
		if (sk->items[i].t == J_STR)
			cs_skip_key(s, sk->keys[i], "%s", sk->items[i].str);
}

static void pages_parse(const struct jval *c, struct tally *t)
{
	char path[64];
	int i;

	t->copies = json_num(c, "copies", 0);
	t->reuses = json_num(c, "reuses", 0);
	t->undecided = json_num(c, "undecided", 0);
	for (i = 0; i < NCLASS; i++) {
		snprintf(path, sizeof(path), "classes.%s", cow_class_names[i]);
		t->classes[i] = json_num(c, path, 0);
	}
	for (i = 0; i < NEVENT; i++) {
		snprintf(path, sizeof(path), "events.%s", pg_event_names[i]);
		t->events[i] = json_num(c, path, 0);
	}
	if (t->undecided) { /* the counts written null: their known part */
		t->copies = json_num(c, "lower_bounds.copies", 0);
		t->reuses = json_num(c, "lower_bounds.reuses", 0);
		t->classes[CLS_REUSE] = json_num(c, "lower_bounds.reuse", 0);
		t->classes[CLS_UNNECESSARY] =
			json_num(c, "lower_bounds.unnecessary_copy", 0);
		t->events[EV_NO_FAULT] =
			json_num(c, "lower_bounds.no_fault", 0);
	}
}

static void counts_parse(const struct jval *c, struct rec_counts *o)
{
	o->faults = json_num(c, "faults", -1);
	str_field(c, "faults_skipped", o->faults_skip, sizeof(o->faults_skip),
		  0);
	o->faults_task = json_num(c, "faults_task", -1);
	o->faults_min = json_num(c, "faults_min", -1);
	o->faults_maj = json_num(c, "faults_maj", -1);
	o->has_pages = json_get(c, "classes") != NULL;
	if (o->has_pages)
		pages_parse(c, &o->t);
	countset_parse(json_get(c, "tlb_flush"), &o->tlb_flush);
	countset_parse(json_get(c, "tlb_events"), &o->tlb_events);
	o->tlb_ipis_received = json_num(c, "tlb_ipis_received", -1);
	kv_parse(json_get(c, "vmstat"), &o->vmstat);
	countset_parse(json_get(c, "hw"), &o->hw);
	kv_parse(json_get(c, "extra"), &o->extra);
}

static int status_parse(const char *s)
{
	int i;

	for (i = 0; s && i < ST_NR; i++)
		if (!strcmp(s, rec_status_names[i]))
			return i;
	return -1;
}

int record_parse(const char *line, struct record *r, char *err, int errlen)
{
	struct jval *v = json_parse(line, err, errlen);
	const struct jval *lat, *c;
	const char *h;
	int st;

	record_init(r);
	if (!v)
		return -1;
	st = status_parse(json_str(v, "status"));
	if (v->t != J_OBJ || str_field(v, "run", r->run, sizeof(r->run), 1) ||
	    str_field(v, "scenario", r->scenario, sizeof(r->scenario), 1) ||
	    str_field(v, "backing", r->backing, sizeof(r->backing), 1) ||
	    str_field(v, "pass", r->pass, sizeof(r->pass), 1) ||
	    str_field(v, "env", r->env, sizeof(r->env), 1) || st < 0 ||
	    !json_get(v, "rep")) {
		snprintf(err, errlen,
			 "not a cowbench record (a required key is missing)");
		json_free(v);
		return -1;
	}
	r->status = st;
	r->rep = (int)json_num(v, "rep", 0);
	r->ops = json_num(v, "ops", 0);
	str_field(v, "reason", r->reason, sizeof(r->reason), 0);
	str_field(v, "perturbed", r->perturbed, sizeof(r->perturbed), 0);
	str_field(v, "rehearsed", r->rehearsed, sizeof(r->rehearsed), 0);
	kv_parse(json_get(v, "params"), &r->params);
	lat = json_get(v, "latency_ns");
	h = json_str(lat, "hist");
	if (lat && (!h || hist_parse(&r->lat, h))) {
		snprintf(err, errlen, "bad latency histogram");
		json_free(v);
		return -1;
	}
	r->has_lat = lat != NULL;
	r->overhead_ns = json_num(v, "overhead_ns", 0);
	r->window_ns = json_num(v, "window_ns", 0);
	r->t_op_ns = json_num(v, "t_op_ns", 0);
	r->batches = json_num(v, "batches", 0);
	r->batches_interrupted = json_num(v, "batches_interrupted", 0);
	c = json_get(v, "counts");
	r->has_counts = c != NULL;
	if (c)
		counts_parse(c, &r->c);
	kv_parse(json_get(v, "screen"), &r->screen);
	json_free(v);
	return 0;
}

int result_open(const char *dir)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/results.jsonl", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	return fd < 0 ? -errno : fd;
}

int result_append(int fd, const struct record *r)
{
	char *s = record_json(r);
	size_t len = strlen(s);
	int ret = 0;

	s[len] = '\n'; /* the writer's buffer always has room for one more */
	if (write(fd, s, len + 1) != (ssize_t)(len + 1) || fsync(fd))
		ret = errno ? -errno : -EIO;
	free(s);
	return ret;
}

void record_key(const struct record *r, char *buf, int len)
{
	int n = snprintf(buf, len, "%s|%s|", r->scenario, r->backing), i;

	for (i = 0; i < r->params.n && n < len; i++)
		n += snprintf(buf + n, len - n, "%s=%lld,", r->params.kv[i].key,
			      (long long)r->params.kv[i].val);
	if (n < len)
		snprintf(buf + n, len - n, "|%d|%s", r->rep, r->pass);
}

void record_take_error(struct record *r, const struct record *sub,
		       const char *whose)
{
	if (sub->status != ST_ERROR || r->status != ST_OK)
		return;
	r->status = ST_ERROR;
	snprintf(r->reason, sizeof(r->reason), "%s: %.200s", whose,
		 sub->reason);
}
