// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "lib/cfg.h"
#include "lib/scenario.h"

static void param_defaults(const struct param_spec *p, char *buf, int len)
{
	int i, n = 0;

	for (i = 0; i < p->ndef && n < len; i++) {
		char v[32];

		if (p->type == CFG_SIZE)
			fmt_size(v, sizeof(v), p->def[i]);
		else
			snprintf(v, sizeof(v), "%lld", (long long)p->def[i]);
		n += snprintf(buf + n, len - n, "%s%s", i ? "," : "", v);
	}
}

int cmd_list(int argc, char **argv)
{
	const struct registry *reg = &cowbench_registry;
	struct backing inst[64];
	int i, j, ninst = backings_enumerate(reg, inst, ARRAY_SIZE(inst));

	if (argc > 1) {
		if (strcmp(argv[1], "--help") && strcmp(argv[1], "-h"))
			die(EXIT_USAGE, "list: unknown option '%s'", argv[1]);
		printf("usage: cowbench list\n\nOne line per scenario (with its backings and parameters), then one per backing.\n");
		return 0;
	}
	for (i = 0; i < reg->nr_scenarios; i++) {
		const struct scenario_ops *s = reg->scenarios[i];
		char bk[512] = "", def[96];
		int n = 0;

		if (!i || i == reg->first_workload)
			printf("%s:\n", i ? "workloads" : "scenarios");
		for (j = 0; j < ninst && n < (int)sizeof(bk); j++)
			if (scenario_runs_on(s, &inst[j]))
				n += snprintf(bk + n, sizeof(bk) - n, "%s%s",
					      n ? "," : "", inst[j].name);
		printf("  %-17s %s [backings: %s;", s->name, s->desc, bk);
		for (j = 0; j < s->nparams; j++) {
			param_defaults(&s->params[j], def, sizeof(def));
			printf(" %s=%s", s->params[j].name, def);
		}
		printf("]\n");
	}
	printf("backings (this machine's instances):\n");
	for (i = 0; i < ninst; i++)
		printf("  %-17s %s\n", inst[i].name, inst[i].ops->desc);
	return 0;
}
