/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_UTIL_H
#define COWBENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE_SZ 4096UL
#define PMD_SZ (2UL << 20)
#define EXIT_USAGE 2

#define __printf(a, b) __attribute__((format(printf, a, b)))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Print "cowbench: msg" on stderr and exit with status. */
void __printf(2, 3) __attribute__((noreturn))
die(int status, const char *fmt, ...);
void __printf(1, 2) warnx(const char *fmt, ...);

/* Whole small file (procfs/sysfs) into buf; returns length or -errno. */
ssize_t read_text(const char *path, char *buf, size_t len);
/* Write a string to a procfs/sysfs file; 0 or -errno. */
int write_text(const char *path, const char *val);
/* Read a file into a malloc'd NUL-terminated buffer; NULL + errno on failure. */
char *slurp(const char *path, size_t *lenp);
/* mkdir -p; dies (status 1) naming `who` and the folder on failure. */
void mkdir_p(const char *who, const char *dir);
/* This binary's path, and the checkout it was built in (<top>/build/). */
void exe_top(char *self, int slen, char *top, int tlen);
/*
 * What tells a process apart from every other (a run's writer): its start
 * time in clock ticks after boot (/proc/PID/stat field 22), -1 when PID is
 * no process or a zombie; and the boot's id ("" when unknown).
 */
long long proc_start_time(int pid);
void boot_id(char *buf, int len);
/* Trim trailing white space in place. */
char *strtrim(char *s);

/*
 * Test-only faults ($COWBENCH_TEST_FAULT, a comma list; never set by
 * default, recorded in env.json when set): each breaks one observer or
 * one input on purpose, so that a test sees the verdict fail.
 *   shared      the region is MAP_SHARED: every write is seen by the other
 *   drop-pin    a pin holder's view is dropped: it never sees the write
 *   stale-write dio's writes go out from a stale copy of their buffer
 *   small-ring  the fault sampler's ring is one page: samples are lost
 *   ring-error  pinned-fork's ring loses its target file: the pin holder
 *               cannot observe (an error, never a lost pin)
 *   lose-write  snapshot's SETs during the save land outside the store:
 *               the parent's writes are lost
 */
bool test_fault(const char *name);
/* An environment flag: set, and neither empty nor "0". */
bool env_flag(const char *name);

/* MemAvailable from /proc/meminfo, in bytes (0 if unknown). */
uint64_t mem_available(void);
uint64_t mem_total(void);
/* A /proc/meminfo line in kB (-1 if absent). */
int64_t meminfo_kb(const char *key);
/* A /proc/meminfo value as the kernel prints it (kB or a count); found? */
bool meminfo_u64(const char *key, uint64_t *v);

/* 64-bit FNV-1a, for environment and config digests. */
/* The median of n > 0 values, sorting them in place. */
double median_sort(double *v, size_t n);
uint64_t fnv1a(const void *p, size_t n, uint64_t h);
#define FNV_SEED 0xcbf29ce484222325ULL

/*
 * A Fisher-Yates shuffle of v[0..n) from seed (rand_r: the same order for
 * the same seed on every machine with glibc): run --shuffle's combination
 * order, a matrix's interleaved policies.
 */
void shuffle_ints(int *v, int n, unsigned int seed);

/* A small ordered set of named counts (vmstat deltas, params, extras). */
#define KV_MAX 80
struct kv {
	char key[40];
	int64_t val;
};
struct kvset {
	int n;
	struct kv kv[KV_MAX];
};
/* Set key to val (the last set wins); more than KV_MAX keys dies. */
void kv_set(struct kvset *s, const char *key, int64_t val);
void kv_add(struct kvset *s, const char *key, int64_t val);
int64_t kv_get(const struct kvset *s, const char *key, int64_t def);

/*
 * A set of counts of which some, or all, may not have been counted: a
 * count that was not measured is absent with its reason, never 0.
 */
#define SKIP_MAX 8
struct countset {
	struct kvset v;
	char skip[160]; /* the whole set was not counted: why */
	int nskip;
	struct {
		char key[40];
		char why[160];
	} skipped[SKIP_MAX]; /* one count was not: why */
};
void __printf(2, 3) cs_skip_all(struct countset *s, const char *fmt, ...);
void __printf(3, 4)
	cs_skip_key(struct countset *s, const char *key, const char *fmt, ...);

#endif
