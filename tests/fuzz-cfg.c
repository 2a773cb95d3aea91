// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target for the config parser ('make fuzz'). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cfg.h"

static const char *const words[] = { "cow-child", "zeropage", "all", NULL };
static const struct cfg_key schema[] = {
	{ "scenarios", CFG_WORD, 0, 0, 64, words },
	{ "reps", CFG_INT, 1, 1000, 1, NULL },
	{ "pages", CFG_INT, 1, 1 << 26, CFG_MAXV, NULL },
	{ "fork-latency.size", CFG_SIZE, 2 << 20, 1LL << 40, CFG_MAXV, NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg c;
	char err[512];
	char *text = malloc(size + 1);
	int i, j;

	memcpy(text, data, size);
	text[size] = '\0';
	if (cfg_parse(schema, 4, "fuzz.conf", text, &c, err, sizeof(err)) ==
	    0) {
		/* whatever parsed must be in range and within its limits */
		for (i = 0; i < c.n; i++) {
			const struct cfg_val *v = &c.vals[i];

			if (v->n < 1 || v->n > v->key->max_values)
				abort();
			for (j = 0; v->key->type != CFG_WORD && j < v->n; j++)
				if (v->v[j] < v->key->min ||
				    v->v[j] > v->key->max)
					abort();
		}
	} else if (!strstr(err, "fuzz.conf:")) {
		abort(); /* every parse error names file:line */
	}
	free(text);
	return 0;
}
