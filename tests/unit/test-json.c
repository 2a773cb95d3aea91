// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "../../lib/json.h"
#include "unit.h"

static void parse_nested(void)
{
	char err[128];
	struct jval *v = json_parse(
		" {\"a\": {\"b\": [1, 2.5, -3e2], \"s\": \"x\\\"y\\u00e9\\n\"},"
		" \"t\": true, \"f\": false, \"n\": null, \"e\": {}, \"l\": []} ",
		err, sizeof(err));
	const struct jval *b;

	CHECK(v != NULL);
	if (!v)
		return;
	b = json_path(v, "a.b");
	CHECK(b && b->t == J_ARR && b->n == 3 && b->items[2].num == -300);
	CHECK(json_num(v, "a.b", 7) == 7); /* not a number: the default */
	CHECK(!strcmp(json_str(v, "a.s"), "x\"y\xc3\xa9\n"));
	CHECK(json_get(v, "t")->b && !json_get(v, "f")->b);
	CHECK(json_get(v, "n")->t == J_NULL);
	CHECK(json_get(v, "e")->n == 0 && json_get(v, "l")->t == J_ARR);
	CHECK(json_path(v, "a.missing") == NULL);
	json_free(v);
}

static void reject_bad(void)
{
	static const char *const bad[] = {
		"",	 "{",	    "{\"a\":}", "{\"a\":1,}",
		"[1 2]", "\"open",  "tru",	"{\"a\":1} x",
		"{1:2}", "\"\\q\"", "[-]",
	};
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jval *v = json_parse(bad[i], err, sizeof(err));

		CHECK(v == NULL);
		CHECK(err[0] != '\0');
		json_free(v);
	}
}

static void writer_escapes(void)
{
	struct jw w;
	char err[128];
	struct jval *v;

	jw_init(&w);
	jw_open(&w, NULL, '{');
	jw_str(&w, "k", "tab\there \"q\" \\ \x01");
	jw_open(&w, "arr", '[');
	jw_u64(&w, NULL, 18446744073709551615ULL);
	jw_i64(&w, NULL, -5);
	jw_dbl(&w, NULL, 0.5);
	jw_close(&w, ']');
	jw_bool(&w, "b", true);
	jw_close(&w, '}');
	v = json_parse(w.buf, err, sizeof(err));
	CHECK(v != NULL);
	if (v) {
		CHECK(!strcmp(json_str(v, "k"), "tab\there \"q\" \\ \x01"));
		CHECK(json_get(v, "arr")->n == 3);
		CHECK(json_get(v, "arr")->items[1].num == -5);
	}
	json_free(v);
	jw_free(&w);
}

const struct unit_test json_tests[] = {
	{ "json: nested document, escapes, paths", parse_nested },
	{ "json: malformed input is rejected with a message", reject_bad },
	{ "json: writer output parses back", writer_escapes },
};
const int nr_json_tests = sizeof(json_tests) / sizeof(json_tests[0]);
