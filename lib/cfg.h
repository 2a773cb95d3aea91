/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_CFG_H
#define COWBENCH_CFG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Plain "key = value value ..." files; '#' starts a comment; values are
 * separated by blanks or commas.  Every key must be in the schema the caller
 * gives: an unknown key, a bad or out-of-range value, or a repeated key is a
 * "file:line: ..." error.
 */
enum cfg_type {
	CFG_INT, /* decimal integer */
	CFG_SIZE, /* bytes: 4096, 64k, 16M, 1G, 2T */
	CFG_WORD, /* one of choices[] */
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	int64_t min, max; /* INT and SIZE */
	int max_values; /* 1 for a scalar */
	const char *const *choices; /* WORD: NULL-terminated */
};

#define CFG_MAXV 32
struct cfg_val {
	const struct cfg_key *key;
	int line;
	int n;
	int64_t v[CFG_MAXV];
	const char *w[CFG_MAXV]; /* WORD values point into key->choices */
};

#define CFG_MAXKEYS 128
struct cfg {
	char file[256];
	int n;
	struct cfg_val vals[CFG_MAXKEYS];
};

int cfg_parse(const struct cfg_key *schema, int nkeys, const char *file,
	      const char *text, struct cfg *out, char *err, size_t errlen);
int cfg_parse_file(const struct cfg_key *schema, int nkeys, const char *path,
		   struct cfg *out, char *err, size_t errlen);
const struct cfg_val *cfg_find(const struct cfg *c, const char *name);

/* Strict scalar parsers: 0, or -1 on anything that is not one number. */
int parse_int(const char *s, int64_t *out);
int parse_size(const char *s, int64_t *out);
/* "16M", "1G", "512k" or plain bytes, for printing sizes back. */
void fmt_size(char *buf, size_t len, uint64_t bytes);

#endif
