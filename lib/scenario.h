/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_SCENARIO_H
#define COWBENCH_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfg.h"
#include "classify.h"
#include "result.h"
#include "util.h"

/*
 * A scenario says what is shared and what is written; a backing says what
 * memory it is written to.  The page driver (harness.c) runs one pass
 * sequence for every pair (docs/harness.md):
 *
 *   map -> populate -> backing after_populate -> scenario init
 *       -> start the other party -> it prepares, signals READY (or exits)
 *       -> backing after_share -> writer prepares -> arm -> window
 *       -> disarm -> WINDOW_DONE -> both parties observe
 *
 * With more than one writer (share.writers), every writer arms, they are
 * released together and end together, and the pass is their sum.
 *
 * Neither table knows how a pass is timed, counted, pinned or reported.
 */

struct sc;

enum pass { PASS_TIMING, PASS_SAMPLED, PASS_COUNTING, PASS_NR };
extern const char *const pass_names[PASS_NR];
#define PASSES_ALL ((1u << PASS_NR) - 1)

enum role { ROLE_WRITER, ROLE_OTHER };

/* Who else holds the region at the moment of the write. */
enum other_kind {
	OTHER_NONE,
	OTHER_PROCESS, /* fork() */
	OTHER_THREAD, /* a thread of the writer's process */
};

/* A sharing pattern: a constant description, not a case in the driver. */
struct share {
	enum other_kind other;
	bool child_writes; /* OTHER_PROCESS: the forked child is the writer */
	bool other_leaves; /* the other party exits before the window */
	bool populate_on_other; /* populate on the other party's CPU */
	/*
	 * The parameter that says how many writers (NULL: one), each pinned
	 * to a CPU of its own, released together.  With child_writes each is
	 * a forked child with its own page table and page view, writing byte
	 * k of every page (the observer tells whose write leaked); else they
	 * are threads of the writing process, writer k writing the k-th slice
	 * of nops pages.
	 */
	const char *writers;
};
#define MAX_WRITERS 1024
extern const struct share share_none, share_parent_writes, share_child_writes,
	share_child_exits;

/* What kind of memory a backing is: scenarios say which they take. */
#define BK_ANON (1u << 0) /* private anonymous, any page size */
#define BK_HUGETLB (1u << 1)
#define BK_SWAP (1u << 2) /* anonymous, paged out before the window */
#define BK_FILE (1u << 3)
#define BK_THP (1u << 4) /* anonymous large folios (PMD or mTHP) */
#define BK_KSM (1u << 5) /* anonymous, KSM-merged before the window */
/* the plain backing: a scenario that maps its own memory runs on it once */
#define BK_PLAIN (1u << 6)

/*
 * How the window's worth of memory is faulted in and freed right before
 * the window (harness.c warm_window()): with the backing's page size, or
 * not at all (a hugetlb pool or KSM's pages are not what a window takes).
 */
enum warm { WARM_NONE, WARM_BASE, WARM_HUGE };

/* One instance of a backing (a family enumerates one per page size). */
struct backing {
	const struct backing_ops *ops;
	char name[32];
	uint64_t size; /* the page size of a family member, or 0 */
	size_t unit_pages; /* the region is a whole number of these */
	size_t fault_pages; /* one fault maps this many pages (PMD) */
};

/*
 * Hooks return 0, >0 for a skip, <0 for an error, with the reason in why.
 * setup runs in the supervisor before each combination; whatever it sets
 * through the knobs module (knobs, zram, swap, pools) is undone after it.
 */
struct backing_ops {
	const char *name; /* an instance, or a family prefix ("hugetlb") */
	const char *desc;
	unsigned int kind; /* BK_* */
	enum warm warm;
	size_t unit_pages, fault_pages; /* of a single instance */
	/* the instances this machine offers; NULL: one, named name */
	int (*enumerate)(const struct backing_ops *ops, struct backing *out,
			 int max);
	/* does name belong to this family?  (configs name sizes) */
	bool (*owns)(const struct backing_ops *ops, const char *name,
		     struct backing *out);
	int (*setup)(const struct backing *b, size_t pages, char *why, int len);
	int (*map)(struct sc *sc, char *why, int len);
	int (*after_populate)(struct sc *sc, char *why, int len);
	int (*after_share)(struct sc *sc, enum role r, char *why, int len);
	/* after populate (or after the window, for unpopulated regions) */
	int (*verify)(struct sc *sc, char *why, int len);
	/* each party after the window: what the record should say of it */
	void (*extra)(struct sc *sc, enum role r, struct kvset *extra);
};

/* How the region is filled before the measured writes. */
enum populate { POP_NONE, POP_WRITE, POP_READ };

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
	unsigned int backings; /* BK_* kinds it runs on */
	/* of those, the instances it takes (NULL: all) */
	bool (*takes)(const struct backing *b);
	const struct param_spec *params;
	int nparams;
	const struct share *share;
	enum populate populate;
	enum expect expect; /* of every page, unless expect_page says */
	unsigned int passes; /* bit per pass; 0: all three */
	bool no_pagemap; /* the op is not a page write: no per-page view */
	/*
	 * The share reshapes the backing on purpose (fork splits the PMD of
	 * a pinned THP): no re-verify of its precondition after the share.
	 */
	bool share_reshapes;
	/* the op waits for other tasks or I/O by design (fork + wait, a
	 * server's children): time off the CPU is not a disturbance */
	bool blocks;
	/*
	 * The window may leave the pages as it found them (mprotect on
	 * exclusive pages): the writer of a pass that takes time runs
	 * prepare and the ops once, untimed, before its own prepare, as the
	 * paper's loop discards its first iterations (the first writes
	 * after populate are slower).  A rehearsal that moved or split pages,
	 * or took other faults than the window after it, is thrown away with
	 * its pass, which runs again unrehearsed.
	 */
	bool rehearse;
	int batch; /* ops per timestamp pair in the timing pass (0: default) */
	size_t (*region_pages)(
		const struct kvset *params); /* default "pages" */
	size_t (*nops)(const struct sc *sc); /* default: one per page */
	/* what a pass holds besides the region (arrays, files); NULL: none */
	uint64_t (*mem_bytes)(const struct kvset *params);
	/* the scenario maps the region itself (file mappings) */
	int (*map)(struct sc *sc, char *why, int len);
	/* after populate, before the other party starts */
	int (*init)(struct sc *sc, char *why, int len);
	/* each party, after the share; the other party before READY */
	int (*prepare)(struct sc *sc, enum role r, char *why, int len);
	/* default: write byte sc->byte of page sc->first + i (an op of a
	 * forked writer must write byte sc->byte: the observer reads it) */
	void (*op)(struct sc *sc, size_t i);
	void (*after_op)(struct sc *sc, size_t i); /* untimed */
	/* v: the writer's PFNs and the other mapper's, before the window */
	enum expect (*expect_page)(struct sc *sc, size_t i,
				   const struct page_view *v);
	/* does the window write page i?  default: i < nops */
	bool (*writes)(struct sc *sc, size_t i);
	/*
	 * After WINDOW_DONE, in the party that holds the reference: set
	 * pv[i].other_saw, pin_lost, ref_pfn.  The default for a forked
	 * other party reads each page for the writer's byte (a hook that
	 * reads too calls observe_reads()).  An observer
	 * that could not observe returns <0 with the reason: the pass is an
	 * error, never a verdict on the kernel; >0: a precondition that only
	 * the observer sees did not hold (a skip).
	 */
	int (*observe)(struct sc *sc, enum role r, struct page_view *pv,
		       char *why, int len);
	void (*extra)(struct sc *sc, struct kvset *extra);
	void (*cleanup)(struct sc *sc, enum role r);
	/*
	 * A workload driver (workloads/): it runs the whole pass itself, in
	 * the supervised pass process pinned to writer_cpu, with its own
	 * processes and its own window (window.h), and fills r: latency,
	 * counts (a tally it classified sets r->c.has_pages and gets the
	 * verdict), extra.  Nothing is mapped for it: sc->bk->ops->map maps
	 * sc->len bytes of the backing if it wants them.  0, >0 skip, <0
	 * error, with the reason in why.
	 */
	int (*drive)(struct sc *sc, struct record *r, char *why, int len);
};

/* One pass of one scenario on one backing, as each party sees it. */
struct sc {
	const struct scenario_ops *ops;
	const struct backing *bk;
	const struct kvset *params;
	enum pass pass;
	enum role role; /* of the process or thread looking at it */
	char *buf;
	size_t pages, len;
	size_t nops;
	int batch;
	int writer_cpu, other_cpu;
	const char *workdir; /* for files the scenario creates */
	size_t warm_pages; /* pass_args.warm_pages */
	void *priv; /* MAP_SHARED if both parties must see it */
	int64_t fork_ns; /* the fork() that made the other party */
	int writer, nwriters; /* this writer's index (share.writers) */
	size_t first; /* the first page this writer writes */
	int byte; /* the byte of each page it writes */
};

#define POP_BYTE 0x11
#define WRITE_BYTE 0xa5

/*
 * The tables of scenarios and backing families.  lib/ knows none of them:
 * the commands hand bench/table.c's registry in (builtin.h).
 */
struct registry {
	const struct scenario_ops *const *scenarios;
	int nr_scenarios;
	int first_workload; /* workloads follow the scenarios */
	const struct backing_ops *const *families;
	int nr_families;
};

const struct scenario_ops *scenario_find(const struct registry *reg,
					 const char *name);
/* The instances every family offers here. */
int backings_enumerate(const struct registry *reg, struct backing *out,
		       int max);
/* Resolve a name: an instance or a member of a family; 0 or -1. */
int backing_lookup(const struct registry *reg, const char *name,
		   struct backing *out);
size_t region_pages(const struct scenario_ops *ops, const struct kvset *params);
bool scenario_runs_on(const struct scenario_ops *ops, const struct backing *b);

/* Harness entry: run one pass in a supervised process group. */
struct pass_args {
	const struct scenario_ops *ops;
	const struct backing *bk;
	const struct kvset *params;
	enum pass pass;
	int batch;
	int writer_cpu, other_cpu;
	int timeout_s;
	const char *workdir;
	/* pages the window allocates (the last counting pass), WARM_ALL unknown */
	size_t warm_pages;
};

#define WARM_ALL ((size_t)-1)

/* 0, or the signal that interrupted the supervisor (SIGINT, ...). */
int harness_run_pass(const struct pass_args *a, struct record *rec);

/*
 * The default observer, for an observe hook of a forked other party that
 * also reads: did its reads see each writer's byte (writer k's in view k)?
 */
void observe_reads(struct sc *sc, struct page_view *pv, int nviews);
/* How many writers a pass has (share.writers). */
int writers_of(const struct scenario_ops *ops, const struct kvset *params);

/* Helpers the scenario files and backings share. */
/* MAP_PRIVATE, or MAP_SHARED under the test fault "shared" */
int region_map_type(void);
int map_anon(struct sc *sc, int advice, char *why, int len);
int64_t smaps_anon_huge_kb(const void *addr);
/* backing_ops.extra: AnonHugePages of the region, as each party maps it */
void anon_huge_extra(struct sc *sc, enum role r, struct kvset *extra);
/*
 * Every page of the region in a PMD-size THP folio, at its offset in it
 * (heads: each page the head of its own): KPF_THP alone also marks mTHP
 * folios.  0, 1 (a skip, why) or <0.
 */
int require_pmd_folios(struct sc *sc, bool heads, char *why, int len);
/* Every run pages from a 2 MiB THP folio's head on, in PFN order. */
int require_pmd_folio_runs(struct sc *sc, size_t run, char *why, int len);
/*
 * Do the writer and the other mapper map the same page before the window?
 * (expect_page: shared if so, else a copy was made already: exclusive)
 */
bool same_page(const struct page_view *v);
/* Per page of the region: how many have all of want in kpageflags. */
long count_flagged(struct sc *sc, uint64_t want, char *why, int len);
/* fork() a child that exits at once: what it shared, it shared. 0 or -1. */
int share_with_leaving_child(char *why, int len);
/* mprotect(PROT_READ) of the region and back: 0, or -1 with why. */
int mprotect_round_trip(struct sc *sc, char *why, int len);
/* Pages whose pagemap entry has every bit of bits (-1: pagemap failed). */
long count_pagemap(struct sc *sc, uint64_t bits);
/* 0 if every page has all of want, else a skip saying how many do. */
int require_flagged(struct sc *sc, uint64_t want, const char *what, char *why,
		    int len);

#endif
