/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_JSON_H
#define COWBENCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writer: one document into a growable buffer; commas are its business. */
#define JW_DEPTH 16
struct jw {
	char *buf;
	size_t len, cap;
	int depth;
	bool first[JW_DEPTH];
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
/* key is NULL inside arrays and for the top level. */
void jw_open(struct jw *w, const char *key, char bracket);
void jw_close(struct jw *w, char bracket);
/* Members already written ("k":v,...) into the open object, as they are. */
void jw_members(struct jw *w, const char *members, size_t len);
void jw_str(struct jw *w, const char *key, const char *val);
void jw_u64(struct jw *w, const char *key, uint64_t val);
void jw_i64(struct jw *w, const char *key, int64_t val);
void jw_dbl(struct jw *w, const char *key, double val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_null(struct jw *w, const char *key);
/* The document and a newline into path, atomically (tmp, fsync, rename). */
int jw_write_file(const struct jw *w, const char *path);

/* Reader: a small DOM. */
enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype t;
	bool b;
	double num;
	char *str;
	size_t n; /* items of an array or members of an object */
	struct jval *items;
	char **keys; /* objects only */
};

/* NULL on error, with a message (and column) in err. */
struct jval *json_parse(const char *s, char *err, size_t errlen);
void json_free(struct jval *v);
const struct jval *json_get(const struct jval *obj, const char *key);
/* Dotted path: "counts.classes.reuse". */
const struct jval *json_path(const struct jval *v, const char *path);
/* Number at path, or def when absent or not a number. */
double json_num(const struct jval *v, const char *path, double def);
const char *json_str(const struct jval *v, const char *path);
/* Deep equality (numbers compared exactly, object members by key). */
bool json_equal(const struct jval *a, const struct jval *b);

#endif
