// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "../../lib/cfg.h"
#include "unit.h"

static const char *const words[] = { "base", "thp", "all", NULL };
static const struct cfg_key schema[] = {
	{ "reps", CFG_INT, 1, 100, 1, NULL },
	{ "pages", CFG_INT, 1, 1 << 20, CFG_MAXV, NULL },
	{ "size", CFG_SIZE, 4096, 1LL << 40, 4, NULL },
	{ "backings", CFG_WORD, 0, 0, 3, words },
};
#define NKEYS ((int)(sizeof(schema) / sizeof(schema[0])))

static struct cfg c;
static char err[512];

static int parse(const char *text)
{
	err[0] = '\0';
	return cfg_parse(schema, NKEYS, "t.conf", text, &c, err, sizeof(err));
}

static void good_file(void)
{
	const struct cfg_val *v;

	CHECK(parse("# comment\n\nreps = 3   # trailing\n"
		    "pages = 1, 2 3\nsize = 16M 1G 4k 2MiB\nbackings=base thp\n") ==
	      0);
	CHECK_EQ(c.n, 4);
	v = cfg_find(&c, "reps");
	CHECK(v && v->n == 1 && v->v[0] == 3 && v->line == 3);
	v = cfg_find(&c, "pages");
	CHECK(v && v->n == 3 && v->v[2] == 3);
	v = cfg_find(&c, "size");
	CHECK(v && v->v[0] == 16 << 20 && v->v[1] == 1 << 30 &&
	      v->v[2] == 4096 && v->v[3] == 2 << 20);
	v = cfg_find(&c, "backings");
	CHECK(v && v->n == 2 && !strcmp(v->w[1], "thp"));
	CHECK(cfg_find(&c, "nope") == NULL);
	CHECK(parse("") == 0 && c.n == 0);
}

/* Each error names file:line and what is wrong. */
static void expect_error(const char *text, const char *line, const char *what)
{
	int ret = parse(text);

	CHECK(ret == -1);
	if (ret != -1)
		return;
	CHECK(!strncmp(err, line, strlen(line)));
	if (!strstr(err, what)) {
		printf("# error '%s' lacks '%s'\n", err, what);
		unit_failed = 1;
	}
}

static void every_error_path(void)
{
	expect_error("reps = 3\nbogus = 1\n",
		     "t.conf:2:", "unknown key 'bogus'");
	expect_error("reps 3\n", "t.conf:1:", "expected 'key = value'");
	expect_error(" = 3\n", "t.conf:1:", "expected 'key = value'");
	expect_error("reps =\n", "t.conf:1:", "has no value");
	expect_error("reps = abc\n", "t.conf:1:", "not a number");
	expect_error("reps = 3x\n", "t.conf:1:", "not a number");
	expect_error("reps = 0\n", "t.conf:1:", "out of range");
	expect_error("reps = 101\n", "t.conf:1:", "out of range");
	expect_error("reps = 1 2\n", "t.conf:1:", "at most 1 value");
	expect_error("size = 16Q\n", "t.conf:1:", "not a size");
	expect_error("size = 99999999999T\n", "t.conf:1:", "not a size");
	expect_error("size = 1k\n", "t.conf:1:", "out of range");
	expect_error("size = 1M 2M 3M 4M 5M\n",
		     "t.conf:1:", "at most 4 values");
	expect_error("reps = 1\nreps = 2\n", "t.conf:2:", "given twice");
	expect_error("backings = base huge\n",
		     "t.conf:1:", "unknown value 'huge'");
}

static void long_line_and_nul(void)
{
	char *big = malloc(5000);
	char path[64];
	int fd;

	memset(big, 'x', 4999);
	big[4999] = '\0';
	expect_error(big, "t.conf:1:", "line too long");
	free(big);
	snprintf(path, sizeof(path), "/tmp/cowbench-cfg-%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, "reps = 1\n\0\n", 11) == 11);
	close(fd);
	CHECK(cfg_parse_file(schema, NKEYS, path, &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "NUL") != NULL);
	unlink(path);
	CHECK(cfg_parse_file(schema, NKEYS, path, &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "No such file") != NULL);
}

static void scalar_parsers(void)
{
	int64_t v;
	char buf[32];

	CHECK(parse_int("42", &v) == 0 && v == 42);
	CHECK(parse_int("-3", &v) == 0 && v == -3);
	CHECK(parse_int("", &v) == -1);
	CHECK(parse_int("4 2", &v) == -1);
	CHECK(parse_int("99999999999999999999", &v) == -1);
	CHECK(parse_size("2G", &v) == 0 && v == 2LL << 30);
	CHECK(parse_size("512kB", &v) == 0 && v == 512 << 10);
	CHECK(parse_size("-1", &v) == -1);
	CHECK(parse_size("1.5G", &v) == -1);
	fmt_size(buf, sizeof(buf), 1 << 30);
	CHECK(!strcmp(buf, "1G"));
	fmt_size(buf, sizeof(buf), 16 << 20);
	CHECK(!strcmp(buf, "16M"));
	fmt_size(buf, sizeof(buf), 1000);
	CHECK(!strcmp(buf, "1000"));
}

const struct unit_test cfg_tests[] = {
	{ "cfg: a good file parses, lines and values kept", good_file },
	{ "cfg: every error names file:line and the fault", every_error_path },
	{ "cfg: over-long line, NUL byte, missing file", long_line_and_nul },
	{ "cfg: integer and size parsers", scalar_parsers },
};
const int nr_cfg_tests = sizeof(cfg_tests) / sizeof(cfg_tests[0]);
