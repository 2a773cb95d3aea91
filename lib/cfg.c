// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "util.h"

#define LINE_MAX_LEN 4096

int parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int parse_size(const char *s, int64_t *out)
{
	static const char units[] = "kmgt";
	unsigned long long v;
	char *end;
	const char *u;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		u = strchr(units, end[0] | 0x20);
		if (!u || !end[0] ||
		    (end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B")))
			return -1;
		shift = 10 * (int)(u - units + 1);
	}
	if (v > (unsigned long long)INT64_MAX >> shift)
		return -1;
	*out = (int64_t)(v << shift);
	return 0;
}

void fmt_size(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "kMGT";
	int i = -1;

	while (i < 3 && bytes && !(bytes & 1023)) {
		bytes >>= 10;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)bytes,
			 units[i]);
}

struct ctx {
	const char *file;
	int line;
	char *err;
	size_t errlen;
};

static int __printf(2, 3) error(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, c->errlen, "%s:%d: ", c->file, c->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static const struct cfg_key *lookup(const struct cfg_key *s, int n,
				    const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s[i].name, name))
			return &s[i];
	return NULL;
}

static int parse_word(struct ctx *c, const struct cfg_key *k, const char *tok,
		      struct cfg_val *v)
{
	int i;

	for (i = 0; k->choices[i]; i++) {
		if (!strcmp(k->choices[i], tok)) {
			v->w[v->n] = k->choices[i];
			return 0;
		}
	}
	return error(c, "'%s': unknown value '%s' (see 'cowbench list')",
		     k->name, tok);
}

static int parse_token(struct ctx *c, const struct cfg_key *k, const char *tok,
		       struct cfg_val *v)
{
	int64_t x;

	if (v->n == k->max_values)
		return error(c, "'%s' takes at most %d value%s", k->name,
			     k->max_values, k->max_values == 1 ? "" : "s");
	if (k->type == CFG_WORD)
		return parse_word(c, k, tok, v) ? -1 : (v->n++, 0);
	if ((k->type == CFG_INT ? parse_int(tok, &x) : parse_size(tok, &x)))
		return error(c, "'%s': '%s' is not a %s", k->name, tok,
			     k->type == CFG_INT ? "number" : "size");
	if (x < k->min || x > k->max)
		return error(c, "'%s': %s is out of range [%lld, %lld]",
			     k->name, tok, (long long)k->min,
			     (long long)k->max);
	v->v[v->n++] = x;
	return 0;
}

static int parse_line(struct ctx *c, const struct cfg_key *schema, int nkeys,
		      char *line, struct cfg *out)
{
	char *eq, *key, *val, *tok, *save = NULL;
	const struct cfg_key *k;
	struct cfg_val *v;

	line[strcspn(line, "#")] = '\0';
	key = line + strspn(line, " \t");
	strtrim(key);
	if (!*key)
		return 0;
	eq = strchr(key, '=');
	if (!eq)
		return error(c, "expected 'key = value'");
	*eq = '\0';
	val = eq + 1;
	strtrim(key);
	if (!*key)
		return error(c, "expected 'key = value'");
	k = lookup(schema, nkeys, key);
	if (!k)
		return error(c, "unknown key '%s'", key);
	if (cfg_find(out, k->name))
		return error(c, "'%s' given twice", k->name);
	if (out->n == CFG_MAXKEYS)
		return error(c, "too many keys");
	v = &out->vals[out->n];
	memset(v, 0, sizeof(*v));
	v->key = k;
	v->line = c->line;
	for (tok = strtok_r(val, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save))
		if (parse_token(c, k, tok, v))
			return -1;
	if (!v->n)
		return error(c, "'%s' has no value", k->name);
	out->n++;
	return 0;
}

int cfg_parse(const struct cfg_key *schema, int nkeys, const char *file,
	      const char *text, struct cfg *out, char *err, size_t errlen)
{
	struct ctx c = { file, 0, err, errlen };
	char line[LINE_MAX_LEN];

	memset(out, 0, sizeof(*out));
	snprintf(out->file, sizeof(out->file), "%s", file);
	while (*text) {
		size_t n = strcspn(text, "\n");

		c.line++;
		if (n >= sizeof(line))
			return error(&c, "line too long");
		memcpy(line, text, n);
		line[n] = '\0';
		if (memchr(text, '\0', n) || strlen(line) != n)
			return error(&c, "NUL byte");
		text += n + (text[n] == '\n');
		if (parse_line(&c, schema, nkeys, line, out))
			return -1;
	}
	return 0;
}

int cfg_parse_file(const struct cfg_key *schema, int nkeys, const char *path,
		   struct cfg *out, char *err, size_t errlen)
{
	size_t len;
	char *text = slurp(path, &len);
	int ret;

	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (strlen(text) != len) {
		snprintf(err, errlen, "%s: not a text file (NUL byte)", path);
		free(text);
		return -1;
	}
	ret = cfg_parse(schema, nkeys, path, text, out, err, errlen);
	free(text);
	return ret;
}

const struct cfg_val *cfg_find(const struct cfg *c, const char *name)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->vals[i].key->name, name))
			return &c->vals[i];
	return NULL;
}
