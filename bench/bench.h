/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_BENCH_H
#define COWBENCH_BENCH_H

#include <pthread.h>

#include "../lib/scenario.h"
#include "../lib/supervise.h"
#include "../workloads/workloads.h"

/* The region size every fault scenario takes: "pages" 4 KiB pages. */
#define PAGES_PARAM(what)                                                   \
	{                                                                   \
		.name = "pages", .type = CFG_INT, .min = 1, .max = 1 << 26, \
		.def = { 512 }, .ndef = 1, .desc = what,                    \
	}
extern const struct param_spec pages_param[1];
/* A 0/1 parameter of a scenario, both values by default. */
#define FLAG_PARAM(n, d)                                        \
	{                                                       \
		.name = n, .type = CFG_INT, .min = 0, .max = 1, \
		.def = { 0, 1 }, .ndef = 2, .desc = d,          \
	}

extern const struct scenario_ops sc_cow_child, sc_cow_parent,
	sc_reuse_after_exit, sc_first_touch, sc_zeropage, sc_fork_latency,
	sc_file_private;
extern const struct scenario_ops sc_thp_cow_child, sc_thp_cow_exit,
	sc_thp_cow_parent, sc_cow_parallel;
extern const struct scenario_ops sc_pinned_fork, sc_pinned_nofork,
	sc_remote_flush, sc_hw;

extern const struct backing_ops bk_base, bk_thp, bk_hugetlb, bk_swap_zram;
extern const struct backing_ops bk_zeropage, bk_zeropage_huge, bk_swap_file,
	bk_thp_pte, bk_thp_single, bk_mthp, bk_file_private, bk_memfd_private,
	bk_thp_partial_mremap, bk_thp_partial_shared, bk_swap_thp,
	bk_swap_thp_pte, bk_swap_thp_single;
/* A 2 MiB THP backing mapped by PTEs: thp-pte, thp-partial-*. */
#define PTE_THP_BACKING(nm, what, unit, after, check)                 \
	{                                                             \
		.name = nm, .desc = what, .kind = BK_ANON | BK_THP,   \
		.warm = WARM_BASE, .extra = anon_huge_extra,          \
		.unit_pages = unit, .fault_pages = 1, .map = thp_map, \
		.after_populate = after, .verify = check,             \
	}
/* The THP backings the swapped-thp* ones page out. */
int thp_verify(struct sc *sc, char *why, int len);
int pte_after_populate(struct sc *sc, char *why, int len);
int pte_verify(struct sc *sc, char *why, int len);
int single_setup(const struct backing *b, size_t pages, char *why, int len);
int single_after_populate(struct sc *sc, char *why, int len);
int single_verify(struct sc *sc, char *why, int len);

/* Shared by the backings (bk-*.c). */
void family_member(const struct backing_ops *ops, uint64_t kb,
		   struct backing *b);
bool family_owns(const struct backing_ops *ops, const char *name,
		 uint64_t min_kb, struct backing *out);
int thp_map(struct sc *sc, char *why, int len);
int thp_needs_write(struct sc *sc, char *why, int len);
/* after_populate / verify of a backing whose pages a read maps */
int read_mapped(struct sc *sc, int (*check)(struct sc *, char *, int),
		char *why, int len);
int read_mapped_verify(struct sc *sc, int (*check)(struct sc *, char *, int),
		       char *why, int len);
int swap_map(struct sc *sc, char *why, int len);
int zram_swap_setup(uint64_t bytes, char *why, int len);
int swap_page_out(struct sc *sc, char *why, int len);
int swap_verify(struct sc *sc, char *why, int len);
/* After swapon(path) returned ret: remember the device, or skip/error. */
int swap_device(const char *path, int ret, char *why, int len);
void swap_extra(struct sc *sc, enum role r, struct kvset *extra);
/*
 * A MAP_PRIVATE mapping of a new unnamed file of POP_BYTE (memfd 0: on
 * the run's directory; 1: a memfd; 2: a hugetlb memfd, 2 MiB pages, the
 * pool set from the pass); its fd in *fdp.
 */
enum fp_file { FP_FILE, FP_MEMFD, FP_MEMFD_HUGETLB };
int file_private_mmap(struct sc *sc, enum fp_file memfd, int *fdp, char *why,
		      int len);
/* 0 if every page is mapped from the page cache, else a skip. */
int file_private_check(struct sc *sc, char *why, int len);

/*
 * userfaultfd-wp over the region (bench/uffd-wp.c): every PTE marked
 * (else a skip), then a thread answers each write-protect fault by
 * un-protecting its page.  disarm stops it: 0, or the thread's -errno.
 */
struct uffd_wp {
	int uffd, stop, err;
	volatile int quit;
	bool running;
	uint64_t start, len;
	pthread_t thread;
	uint64_t faults; /* write-protect faults answered */
};
int uffd_wp_arm(struct uffd_wp *u, struct sc *sc, char *why, int len);
int uffd_wp_disarm(struct uffd_wp *u);

extern const struct scenario_ops sc_ksm, sc_swapin, sc_swapin_child,
	sc_mprotect, sc_mprotect_fork, sc_vmsplice, sc_vmsplice_parent,
	sc_lru_fresh, sc_collapse, sc_hugetlb_rsvd, sc_dio_race,
	sc_ro_pin_shared, sc_ro_pin;
extern const struct backing_ops bk_ksm;

#endif
