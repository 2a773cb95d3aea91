// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "util.h"

/* ---- writer ---- */

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
	w->cap = 1024;
	w->buf = xmalloc(w->cap);
	w->buf[0] = '\0';
	w->first[0] = true;
}

void jw_free(struct jw *w)
{
	free(w->buf);
	w->buf = NULL;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap) {
		while (w->len + n + 1 > w->cap)
			w->cap *= 2;
		w->buf = xrealloc(w->buf, w->cap);
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void puts_json(struct jw *w, const char *s)
{
	char esc[8];

	put(w, "\"", 1);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = c;
			put(w, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(w, esc, 6);
		} else {
			put(w, (const char *)&c, 1);
		}
	}
	put(w, "\"", 1);
}

static void member(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
	if (key) {
		puts_json(w, key);
		put(w, ":", 1);
	}
}

void jw_open(struct jw *w, const char *key, char bracket)
{
	member(w, key);
	put(w, &bracket, 1);
	if (w->depth + 1 >= JW_DEPTH)
		die(1, "json: nesting too deep");
	w->first[++w->depth] = true;
}

void jw_close(struct jw *w, char bracket)
{
	put(w, &bracket, 1);
	w->depth--;
}

void jw_members(struct jw *w, const char *members, size_t len)
{
	if (!len)
		return;
	member(w, NULL);
	put(w, members, len);
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	member(w, key);
	puts_json(w, val);
}

static void raw(struct jw *w, const char *key, const char *txt)
{
	member(w, key);
	put(w, txt, strlen(txt));
}

void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	char b[32];

	snprintf(b, sizeof(b), "%" PRIu64, val);
	raw(w, key, b);
}

void jw_i64(struct jw *w, const char *key, int64_t val)
{
	char b[32];

	snprintf(b, sizeof(b), "%" PRId64, val);
	raw(w, key, b);
}

void jw_dbl(struct jw *w, const char *key, double val)
{
	char b[40];

	if (!isfinite(val)) {
		raw(w, key, "null");
		return;
	}
	snprintf(b, sizeof(b), "%.6g", val);
	raw(w, key, b);
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	raw(w, key, val ? "true" : "false");
}

void jw_null(struct jw *w, const char *key)
{
	raw(w, key, "null");
}

/* ---- reader ---- */

struct jp {
	const char *s, *p;
	char *err;
	size_t errlen;
	int depth;
};

static int fail(struct jp *jp, const char *what)
{
	if (!jp->err[0])
		snprintf(jp->err, jp->errlen, "%s at column %zu", what,
			 (size_t)(jp->p - jp->s) + 1);
	return -1;
}

static void ws(struct jp *jp)
{
	while (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' ||
	       *jp->p == '\r')
		jp->p++;
}

static int parse_value(struct jp *jp, struct jval *v);

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | cp >> 6;
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	o[0] = 0xe0 | cp >> 12;
	o[1] = 0x80 | ((cp >> 6) & 0x3f);
	o[2] = 0x80 | (cp & 0x3f);
	return 3;
}

/* \" \\ \/ \b \f \n \r \t; \u is decoded apart */
#define ESC_IN "\"\\/bfnrt"
#define ESC_OUT "\"\\/\b\f\n\r\t"

static int parse_string(struct jp *jp, char **out)
{
	size_t cap = 16, n = 0;
	const char *esc;
	char *s;

	if (*jp->p != '"')
		return fail(jp, "expected string");
	jp->p++;
	s = xmalloc(cap);
	for (;;) {
		char c = *jp->p++;

		if (cap - n < 4)
			s = xrealloc(s, cap *= 2);
		if (c == '"')
			break;
		if (!c || (unsigned char)c < 0x20) {
			free(s);
			jp->p--;
			return fail(jp, "unterminated string");
		}
		if (c != '\\') {
			s[n++] = c;
			continue;
		}
		c = *jp->p++;
		esc = strchr(ESC_IN, c);
		if (c && esc) {
			s[n++] = ESC_OUT[esc - ESC_IN];
			continue;
		}
		switch (c) {
		case 'u': {
			unsigned int cp = 0;
			int i, h;

			for (i = 0; i < 4; i++) {
				h = hexval(jp->p[i]);
				if (h < 0) {
					free(s);
					return fail(jp, "bad \\u escape");
				}
				cp = cp << 4 | h;
			}
			jp->p += 4;
			n += utf8(s + n, cp);
			break;
		}
		default:
			free(s);
			return fail(jp, "bad escape");
		}
	}
	s[n] = '\0';
	*out = s;
	return 0;
}

static int parse_container(struct jp *jp, struct jval *v, char close)
{
	size_t cap = 0;

	if (++jp->depth > 64)
		return fail(jp, "nesting too deep");
	v->t = close == '}' ? J_OBJ : J_ARR;
	jp->p++;
	ws(jp);
	if (*jp->p == close) {
		jp->p++;
		jp->depth--;
		return 0;
	}
	for (;;) {
		char *key = NULL;

		if (v->n == cap) {
			cap = cap ? cap * 2 : 8;
			v->items = xrealloc(v->items, cap * sizeof(*v->items));
			if (close == '}')
				v->keys =
					xrealloc(v->keys, cap * sizeof(char *));
		}
		ws(jp);
		if (close == '}') {
			if (parse_string(jp, &key))
				return -1;
			ws(jp);
			if (*jp->p != ':') {
				free(key);
				return fail(jp, "expected ':'");
			}
			jp->p++;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		if (close == '}')
			v->keys[v->n] = key;
		v->n++;
		if (parse_value(jp, &v->items[v->n - 1]))
			return -1;
		ws(jp);
		if (*jp->p == ',') {
			jp->p++;
			continue;
		}
		if (*jp->p == close) {
			jp->p++;
			jp->depth--;
			return 0;
		}
		return fail(jp, close == '}' ? "expected ',' or '}'" :
					       "expected ',' or ']'");
	}
}

static int parse_number(struct jp *jp, struct jval *v)
{
	const char *q = jp->p;
	char *end;

	if (*q == '-')
		q++;
	if (*q < '0' || *q > '9')
		return fail(jp, "unexpected character");
	v->t = J_NUM;
	v->num = strtod(jp->p, &end);
	jp->p = end;
	return 0;
}

static int parse_value(struct jp *jp, struct jval *v)
{
	ws(jp);
	switch (*jp->p) {
	case '{':
		return parse_container(jp, v, '}');
	case '[':
		return parse_container(jp, v, ']');
	case '"':
		v->t = J_STR;
		return parse_string(jp, &v->str);
	case 't':
		if (strncmp(jp->p, "true", 4))
			return fail(jp, "unexpected character");
		v->t = J_BOOL;
		v->b = true;
		jp->p += 4;
		return 0;
	case 'f':
		if (strncmp(jp->p, "false", 5))
			return fail(jp, "unexpected character");
		v->t = J_BOOL;
		jp->p += 5;
		return 0;
	case 'n':
		if (strncmp(jp->p, "null", 4))
			return fail(jp, "unexpected character");
		v->t = J_NULL;
		jp->p += 4;
		return 0;
	case '\0':
		return fail(jp, "unexpected end of input");
	default:
		return parse_number(jp, v);
	}
}

static void free_members(struct jval *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		free_members(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

void json_free(struct jval *v)
{
	if (!v)
		return;
	free_members(v);
	free(v);
}

struct jval *json_parse(const char *s, char *err, size_t errlen)
{
	struct jp jp = { s, s, err, errlen, 0 };
	struct jval *v = xcalloc(1, sizeof(*v));

	err[0] = '\0';
	if (parse_value(&jp, v) == 0) {
		ws(&jp);
		if (!*jp.p)
			return v;
		fail(&jp, "trailing characters");
	}
	json_free(v);
	return NULL;
}

const struct jval *json_get(const struct jval *obj, const char *key)
{
	size_t i;

	if (!obj || obj->t != J_OBJ)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

const struct jval *json_path(const struct jval *v, const char *path)
{
	char part[128];

	while (v && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		v = json_get(v, part);
		path += n + (path[n] == '.');
	}
	return v;
}

double json_num(const struct jval *v, const char *path, double def)
{
	v = json_path(v, path);
	return v && v->t == J_NUM ? v->num : def;
}

const char *json_str(const struct jval *v, const char *path)
{
	v = json_path(v, path);
	return v && v->t == J_STR ? v->str : NULL;
}

bool json_equal(const struct jval *a, const struct jval *b)
{
	size_t i;

	if (!a || !b || a->t != b->t || a->n != b->n)
		return a == b;
	switch (a->t) {
	case J_NULL:
		return true;
	case J_BOOL:
		return a->b == b->b;
	case J_NUM:
		return a->num == b->num;
	case J_STR:
		return !strcmp(a->str, b->str);
	case J_ARR:
		for (i = 0; i < a->n; i++)
			if (!json_equal(&a->items[i], &b->items[i]))
				return false;
		return true;
	case J_OBJ:
		for (i = 0; i < a->n; i++)
			if (!json_equal(&a->items[i], json_get(b, a->keys[i])))
				return false;
		return true;
	}
	return false;
}

int jw_write_file(const struct jw *w, const char *path)
{
	char tmp[600];
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, w->buf, w->len) != (ssize_t)w->len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) || rename(tmp, path))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	return ret;
}
