// SPDX-License-Identifier: GPL-2.0
/* Backing instances: families enumerate what this machine offers. */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

static void single(const struct backing_ops *ops, struct backing *b)
{
	memset(b, 0, sizeof(*b));
	b->ops = ops;
	snprintf(b->name, sizeof(b->name), "%s", ops->name);
	b->unit_pages = ops->unit_pages ? ops->unit_pages : 1;
	b->fault_pages = ops->fault_pages ? ops->fault_pages : 1;
}

int backings_enumerate(const struct registry *reg, struct backing *out, int max)
{
	int i, n = 0;

	for (i = 0; i < reg->nr_families && n < max; i++) {
		const struct backing_ops *ops = reg->families[i];

		if (ops->enumerate)
			n += ops->enumerate(ops, out + n, max - n);
		else
			single(ops, &out[n++]);
	}
	return n;
}

int backing_lookup(const struct registry *reg, const char *name,
		   struct backing *out)
{
	int i;

	for (i = 0; i < reg->nr_families; i++) {
		const struct backing_ops *ops = reg->families[i];

		if (ops->owns && ops->owns(ops, name, out))
			return 0;
		if (!ops->owns && !strcmp(ops->name, name)) {
			single(ops, out);
			return 0;
		}
	}
	return -1;
}

const struct scenario_ops *scenario_find(const struct registry *reg,
					 const char *name)
{
	int i;

	for (i = 0; i < reg->nr_scenarios; i++)
		if (!strcmp(reg->scenarios[i]->name, name))
			return reg->scenarios[i];
	return NULL;
}

/* A scenario that maps its own memory runs once, on the plain backing. */
bool scenario_runs_on(const struct scenario_ops *ops, const struct backing *b)
{
	if (ops->map)
		return b->ops->kind & BK_PLAIN;
	return (ops->backings & b->ops->kind & ~BK_PLAIN) &&
	       (!ops->takes || ops->takes(b));
}
