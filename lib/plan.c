// SPDX-License-Identifier: GPL-2.0
/*
 * Matrix expansion and validation (see plan.h).  The config schema is
 * built from the scenario table and the backings this machine offers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

#define MAX_BACKINGS 64

struct schema {
	const struct registry *reg;
	struct cfg_key keys[CFG_MAXKEYS * 4];
	int n;
	const char *scen_words[128];
	const char *bk_words[MAX_BACKINGS + 16];
	struct backing inst[MAX_BACKINGS];
	int ninst;
};

static void add_key(struct schema *s, const char *name, enum cfg_type t,
		    int64_t min, int64_t max, int maxv,
		    const char *const *choices)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->keys[i].name, name))
			return;
	if (s->n == (int)ARRAY_SIZE(s->keys))
		die(1, "internal limit: more than %zu config keys",
		    ARRAY_SIZE(s->keys));
	s->keys[s->n++] =
		(struct cfg_key){ xstrdup(name), t, min, max, maxv, choices };
}

/* Backing words: every instance, every family name, and "all". */
static void backing_words(struct schema *s)
{
	int i, n = 0;

	s->ninst = backings_enumerate(s->reg, s->inst, MAX_BACKINGS);
	for (i = 0; i < s->ninst; i++)
		s->bk_words[n++] = s->inst[i].name;
	for (i = 0; i < s->reg->nr_families; i++)
		if (s->reg->families[i]->enumerate)
			s->bk_words[n++] = s->reg->families[i]->name;
	s->bk_words[n++] = "all";
	s->bk_words[n] = NULL;
}

/* The policy kernel's vm.cow_policy values (configs/policies/). */
static const char *const cow_policies[] = {
	"stock",    "page_count",  "page_count_v59",
	"mapcount", "always_copy", NULL,
};

static void build_schema(struct schema *s)
{
	const struct scenario_ops *const *scenarios = s->reg->scenarios;
	int nr_scenarios = s->reg->nr_scenarios;
	char name[96];
	int i, j;

	if (nr_scenarios >= (int)ARRAY_SIZE(s->scen_words))
		die(1, "internal limit: more than %zu scenarios",
		    ARRAY_SIZE(s->scen_words) - 1);
	for (i = 0; i < nr_scenarios; i++)
		s->scen_words[i] = scenarios[i]->name;
	s->scen_words[i++] = "all";
	s->scen_words[i] = NULL;
	backing_words(s);
	add_key(s, "scenarios", CFG_WORD, 0, 0, CFG_MAXV, s->scen_words);
	add_key(s, "backings", CFG_WORD, 0, 0, CFG_MAXV, s->bk_words);
	add_key(s, "reps", CFG_INT, 1, 1000, 1, NULL);
	add_key(s, "warmup", CFG_INT, 0, 100, 1, NULL);
	add_key(s, "batch", CFG_INT, 32, 65536, 1, NULL);
	add_key(s, "timeout", CFG_INT, 1, 3600, 1, NULL);
	add_key(s, "cow_policy", CFG_WORD, 0, 0, 1, cow_policies);
	for (i = 0; i < nr_scenarios; i++) {
		/* a scenario's own backings: a sweep need not cross them all */
		snprintf(name, sizeof(name), "%s.backings", scenarios[i]->name);
		add_key(s, name, CFG_WORD, 0, 0, CFG_MAXV, s->bk_words);
		/* and its own repetitions: a long workload needs fewer */
		snprintf(name, sizeof(name), "%s.reps", scenarios[i]->name);
		add_key(s, name, CFG_INT, 1, 1000, 1, NULL);
		snprintf(name, sizeof(name), "%s.warmup", scenarios[i]->name);
		add_key(s, name, CFG_INT, 0, 100, 1, NULL);
		for (j = 0; j < scenarios[i]->nparams; j++) {
			const struct param_spec *p = &scenarios[i]->params[j];

			add_key(s, p->name, p->type, p->min, p->max, CFG_MAXV,
				NULL);
			snprintf(name, sizeof(name), "%s.%s",
				 scenarios[i]->name, p->name);
			add_key(s, name, p->type, p->min, p->max, CFG_MAXV,
				NULL);
		}
	}
}

/* ---- expansion ---- */

struct expand {
	struct plan *p;
	const struct cfg *c;
	const struct plan_sel *sel;
	int cap;
	bool named; /* the backing was selected by its own name */
};

/* Where a value came from, for errors: "file:line" or the option. */
static void origin(const struct cfg *c, const char *key, char *buf, int len)
{
	const struct cfg_val *v = cfg_find(c, key);

	if (v)
		snprintf(buf, len, "%s:%d", c->file, v->line);
	else
		snprintf(buf, len, "run");
}

static const struct cfg_val *param_values(const struct cfg *c,
					  const struct scenario_ops *s,
					  const char *param, char *key, int len)
{
	const struct cfg_val *v;

	snprintf(key, len, "%s.%s", s->name, param);
	v = cfg_find(c, key);
	if (v)
		return v;
	snprintf(key, len, "%s", param);
	return cfg_find(c, param);
}

/*
 * What one pass holds: the region and a copy of each page, the writer's
 * and the other party's page views, a swapped backing's pages in zram or
 * a file backing's page cache (at worst the region again), and what the
 * scenario holds besides (a generator's arrays, a store's file).
 */
static uint64_t footprint(const struct combo *cb, uint64_t pages)
{
	uint64_t b = pages * (PAGE_SZ * 2 + 2 * sizeof(struct page_view));

	if (cb->bk.ops->kind & (BK_SWAP | BK_FILE))
		b += pages * PAGE_SZ;
	if (cb->ops->mem_bytes)
		b += cb->ops->mem_bytes(&cb->params);
	return b;
}

/*
 * A combination no machine state could hold (above MemTotal) is bad
 * input; one above what is free now is a skip, and the rest run.
 */
static void check_combo(const struct cfg *c, struct combo *cb, bool named)
{
	uint64_t pages = region_pages(cb->ops, &cb->params), avail, need;
	char where[300], key[96];

	if (!cb->ops->nparams)
		return;
	param_values(c, cb->ops, cb->ops->params[0].name, key, sizeof(key));
	origin(c, key, where, sizeof(where));
	if (pages % cb->bk.unit_pages && !named) {
		/* "all" or a family: a member whose page size does not fit */
		snprintf(cb->skip, sizeof(cb->skip),
			 "%llu pages is not a multiple of %zu, as %s needs",
			 (unsigned long long)pages, cb->bk.unit_pages,
			 cb->bk.name);
		return;
	}
	if (pages % cb->bk.unit_pages)
		die(EXIT_USAGE,
		    "%s: %s: %llu pages is not a multiple of %zu, as backing %s needs",
		    where, cb->ops->name, (unsigned long long)pages,
		    cb->bk.unit_pages, cb->bk.name);
	need = footprint(cb, pages);
	if (mem_total() && need > mem_total())
		die(EXIT_USAGE,
		    "%s: %s: %llu MiB (the region twice, for the copies, and what the pass holds besides) is more than MemTotal (%llu MiB)",
		    where, cb->ops->name, (unsigned long long)(need >> 20),
		    (unsigned long long)(mem_total() >> 20));
	avail = mem_available();
	if (avail && need > avail)
		snprintf(
			cb->skip, sizeof(cb->skip),
			"needs %llu MiB (the region twice, for the copies, and what the pass holds besides), more than MemAvailable (%llu MiB)",
			(unsigned long long)(need >> 20),
			(unsigned long long)(avail >> 20));
}

static void push(struct expand *x, struct combo *cb)
{
	struct plan *p = x->p;

	check_combo(x->c, cb, x->named);
	if (p->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		p->combos = xrealloc(p->combos, x->cap * sizeof(*cb));
	}
	p->combos[p->n++] = *cb;
}

static void expand_params(struct expand *x, struct combo *cb, int depth)
{
	const struct param_spec *p;
	const struct cfg_val *v;
	const int64_t *vals;
	int64_t lo;
	char key[96];
	int i, n;

	if (depth == cb->ops->nparams) {
		push(x, cb);
		return;
	}
	p = &cb->ops->params[depth];
	v = param_values(x->c, cb->ops, p->name, key, sizeof(key));
	vals = v ? v->v : p->def;
	n = v ? v->n : p->ndef;
	if (x->sel->quick) {
		for (lo = vals[0], i = 1; i < n; i++)
			lo = vals[i] < lo ? vals[i] : lo;
		kv_set(&cb->params, p->name, lo);
		expand_params(x, cb, depth + 1);
		return;
	}
	for (i = 0; i < n; i++) {
		struct combo next = *cb;

		kv_set(&next.params, p->name, vals[i]);
		expand_params(x, &next, depth + 1);
	}
}

/* The selected names: the command line's, else the config's, else all. */
static int select_list(const struct cfg *c, const char *key,
		       const char *const *cli, int ncli, const char **out)
{
	const struct cfg_val *v = cfg_find(c, key);
	int i, n = 0;

	if (ncli) {
		for (i = 0; i < ncli; i++)
			out[n++] = cli[i];
	} else if (v) {
		for (i = 0; i < v->n; i++)
			out[n++] = v->w[i];
	} else {
		out[n++] = "all";
	}
	return n;
}

/* 2: the selection names this instance; 1: its family or all; 0: no. */
static int selected(const struct backing *b, const char **sel, int n)
{
	int i, how = 0;

	for (i = 0; i < n; i++) {
		if (!strcmp(sel[i], b->name))
			return 2;
		if (!strcmp(sel[i], "all") || !strcmp(sel[i], b->ops->name))
			how = 1;
	}
	return how;
}

static bool scen_selected(const char *name, const char **sel, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(sel[i], name) || !strcmp(sel[i], "all"))
			return true;
	return false;
}

static void check_names(const struct schema *s, const struct plan_sel *sel)
{
	struct backing b;
	int i, j;

	for (i = 0; i < sel->nscen; i++)
		if (strcmp(sel->scen[i], "all") &&
		    !scenario_find(s->reg, sel->scen[i]))
			die(EXIT_USAGE,
			    "run: -s: unknown scenario '%s' (see 'cowbench list')",
			    sel->scen[i]);
	for (i = 0; i < sel->nbk; i++) {
		for (j = 0; s->bk_words[j]; j++)
			if (!strcmp(s->bk_words[j], sel->bk[i]))
				break;
		if (!s->bk_words[j] && backing_lookup(s->reg, sel->bk[i], &b))
			die(EXIT_USAGE,
			    "run: -b: unknown backing '%s' (see 'cowbench list')",
			    sel->bk[i]);
	}
}

/*
 * "<scenario>.reps" (or ".warmup") over the run's; --reps and --quick
 * over both.
 */
static int scen_setting(const struct expand *x, const char *scen,
			const char *what, int run)
{
	const struct cfg_val *v;
	char key[96];

	if (!strcmp(what, "reps") && x->sel->reps > 0)
		return run;
	if (x->sel->quick)
		return run;
	snprintf(key, sizeof(key), "%s.%s", scen, what);
	v = cfg_find(x->c, key);
	return v ? (int)v->v[0] : run;
}

static void build_matrix(struct expand *x, const struct schema *s)
{
	const struct scenario_ops *const *scenarios = s->reg->scenarios;
	int nr_scenarios = s->reg->nr_scenarios;
	const char *sel_s[CFG_MAXV + 64], *sel_b[CFG_MAXV + 64];
	char key[96];
	int ns, nb, i, j, found;

	check_names(s, x->sel);
	ns = select_list(x->c, "scenarios", x->sel->scen, x->sel->nscen, sel_s);
	for (i = 0; i < nr_scenarios; i++) {
		if (!scen_selected(scenarios[i]->name, sel_s, ns))
			continue;
		/* -b, else "<scenario>.backings", else "backings" */
		snprintf(key, sizeof(key), "%s.backings", scenarios[i]->name);
		nb = select_list(x->c, cfg_find(x->c, key) ? key : "backings",
				 x->sel->bk, x->sel->nbk, sel_b);
		for (found = 0, j = 0; j < s->ninst; j++) {
			struct combo cb = {
				.ops = scenarios[i],
				.bk = s->inst[j],
				.reps = scen_setting(x, scenarios[i]->name,
						     "reps", x->p->set.reps),
				.warmup = scen_setting(x, scenarios[i]->name,
						       "warmup",
						       x->p->set.warmup),
			};

			int how = selected(&s->inst[j], sel_b, nb);

			if (!how ||
			    !scenario_runs_on(scenarios[i], &s->inst[j]))
				continue;
			found = 1;
			x->named = how == 2;
			expand_params(x, &cb, 0);
		}
		if (!found && !(x->sel->bk_narrows && x->sel->nbk))
			die(EXIT_USAGE,
			    "run: scenario %s runs on none of the selected backings (see 'cowbench list')",
			    scenarios[i]->name);
	}
	if (!x->p->n)
		die(EXIT_USAGE, "run: the matrix is empty");
}

static void settings_from(const struct cfg *c, const struct plan_sel *sel,
			  struct settings *s)
{
	const struct cfg_val *v;

	*s = (struct settings){
		.reps = 5, .warmup = 1, .batch = 32, .timeout = 120
	};
	if ((v = cfg_find(c, "reps")))
		s->reps = (int)v->v[0];
	if ((v = cfg_find(c, "warmup")))
		s->warmup = (int)v->v[0];
	if ((v = cfg_find(c, "batch")))
		s->batch = (int)v->v[0];
	if ((v = cfg_find(c, "timeout")))
		s->timeout = (int)v->v[0];
	if ((v = cfg_find(c, "cow_policy")))
		snprintf(s->cow_policy, sizeof(s->cow_policy), "%s", v->w[0]);
	if (sel->reps > 0)
		s->reps = sel->reps;
	if (sel->quick) {
		s->reps = 1;
		s->warmup = 0;
	}
}

/*
 * Same digest, same matrix (scenarios, backings, params, batch; not the
 * repetitions): what 'regress' compares like with like by.
 */
static void digest(struct plan *p)
{
	uint64_t h = fnv1a(&p->set.batch, sizeof(p->set.batch), FNV_SEED);
	int i, j;

	for (i = 0; i < p->n; i++) {
		const struct combo *c = &p->combos[i];

		h = fnv1a(c->ops->name, strlen(c->ops->name), h);
		h = fnv1a(c->bk.name, strlen(c->bk.name), h);
		for (j = 0; j < c->params.n; j++)
			h = fnv1a(&c->params.kv[j].val, 8, h);
	}
	snprintf(p->digest, sizeof(p->digest), "%016llx",
		 (unsigned long long)h);
}

void plan_build(struct plan *p, const struct plan_sel *sel)
{
	struct schema *s = xcalloc(1, sizeof(*s));
	struct cfg *c = xcalloc(1, sizeof(*c));
	struct expand x = { .p = p, .c = c, .sel = sel };
	char err[512];

	memset(p, 0, sizeof(*p));
	s->reg = sel->reg;
	build_schema(s);
	if (sel->config &&
	    cfg_parse_file(s->keys, s->n, sel->config, c, err, sizeof(err)))
		die(EXIT_USAGE, "%s", err);
	settings_from(c, sel, &p->set);
	build_matrix(&x, s);
	digest(p);
	free(c); /* the matrix holds values, not pointers into it */
	while (s->n--)
		free((char *)s->keys[s->n].name);
	free(s);
}

void plan_free(struct plan *p)
{
	free(p->combos);
	memset(p, 0, sizeof(*p));
}
