/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_SCENARIO_H
#define COWBENCH_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "classify.h"
#include "result.h"
#include "util.h"

/*
 * A scenario says what is shared and what is written; a backing says what
 * memory it is written to.  The harness (harness.c) builds the state, times,
 * counts, classifies and reports; neither table knows how.
 */

struct sc;

enum pass { PASS_TIMING, PASS_SAMPLED, PASS_COUNTING, PASS_NR };
extern const char *const pass_names[PASS_NR];

struct backing_ops {
	const char *name;
	const char *desc;
	size_t unit_pages; /* the region is a whole number of these */
	/* mmap and madvise sc->len bytes at sc->buf */
	int (*map)(struct sc *sc, char *why, int len);
	/* 0 if the memory is what we asked for, else a skip reason in why */
	int (*verify)(struct sc *sc, char *why, int len);
};

/* How the region is filled before the measured writes. */
enum populate { POP_NONE, POP_WRITE, POP_READ };

/* Who shares the region at the moment of the write, and who writes. */
enum share {
	SHARE_NONE, /* nobody: we write */
	SHARE_CHILD_WRITES, /* fork; the child writes, the parent observes */
	SHARE_PARENT_WRITES, /* fork; the parent writes, the idle child observes */
	SHARE_CHILD_EXITED, /* fork; the child exits without writing; we write */
};

struct param_spec {
	const char *name;
	enum cfg_type type;
	int64_t min, max;
	int64_t def[8];
	int ndef;
	const char *desc;
};

struct scenario_ops {
	const char *name;
	const char *desc;
	unsigned int backings; /* bit per backing index */
	const struct param_spec *params;
	int nparams;
	enum populate populate;
	enum share share;
	enum expect expect; /* what every written page is at the write */
	bool no_pagemap; /* the op is not a write: no per-page classes */
	int batch; /* ops per timestamp pair in the timing pass (0: default) */
	/* region size in pages from the params (default: "pages") */
	size_t (*region_pages)(const struct kvset *params);
	/* how many ops one pass does (default: one per page) */
	size_t (*nops)(const struct sc *sc);
	/* after populate: set up priv; >0 skip, <0 error (reason in why) */
	int (*init)(struct sc *sc, char *why, int len);
	/* map the region instead of the backing (file mappings) */
	int (*map)(struct sc *sc, char *why, int len);
	/* the measured op (default: write one byte to page i) */
	void (*op)(struct sc *sc, size_t i);
	/* untimed work after op i (default: none) */
	void (*after_op)(struct sc *sc, size_t i);
	/* in-process observer: did anyone else see the write to page i? */
	void (*observe)(struct sc *sc, uint8_t *saw);
	/* extra counts at the end of the counting pass */
	void (*extra)(struct sc *sc, struct kvset *extra);
	void (*cleanup)(struct sc *sc);
};

/* One pass of one scenario, in its own process. */
struct sc {
	const struct scenario_ops *ops;
	const struct backing_ops *bk;
	const struct kvset *params;
	enum pass pass;
	char *buf;
	size_t pages, len;
	size_t nops;
	int batch;
	int writer_cpu, other_cpu;
	const char *workdir; /* for files the scenario creates */
	void *priv;
};

#define POP_BYTE 0x11
#define WRITE_BYTE 0xa5

/* The tables, defined in bench/. */
extern const struct scenario_ops *const scenarios[];
extern const int nr_scenarios;
extern const struct backing_ops *const backings[];
extern const int nr_backings;

const struct scenario_ops *scenario_find(const char *name);
int backing_index(const char *name);
size_t region_pages(const struct scenario_ops *ops, const struct kvset *params);

/* Harness entry: run one pass; fills *rec (status, latency, counts). */
struct pass_shm;
struct pass_args {
	const struct scenario_ops *ops;
	const struct backing_ops *bk;
	const struct kvset *params;
	enum pass pass;
	int batch;
	int writer_cpu, other_cpu;
	int timeout_s;
	const char *workdir;
};

/* Runs the pass in a supervised child; returns 0, or the signal that
 * interrupted the supervisor (SIGINT, SIGTERM, SIGHUP). */
int harness_run_pass(const struct pass_args *a, struct record *rec);

/* Helpers the scenario files and backings share. */
int map_anon(struct sc *sc, int advice, char *why, int len);
int64_t smaps_anon_huge_kb(const void *addr);

#endif
