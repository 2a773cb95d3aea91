/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_WL_H
#define COWBENCH_WL_H

/*
 * What the workload drivers share: helper processes that die with the
 * pass, a loopback load generator (closed loop, or open loop at a fixed
 * rate with coordinated omission corrected), and the page views of a
 * writer and another process read from their page tables.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/classify.h"
#include "../lib/hist.h"
#include "../lib/result.h"
#include "../lib/scenario.h"
#include "../lib/supervise.h"

/* ---- processes ---- */

/*
 * The fork() calls of a pass, timed in the parent: what every driver
 * reports as fork_us_* (wl_put_forks).  t_ret: clk_now() when the last
 * one returned in the parent.
 */
struct wl_forks {
	struct hist ns;
	uint64_t t_ret;
};
void wl_forks_init(struct wl_forks *f);
/*
 * fork() a process of the pass (fork_tied: it stays in the pass's process
 * group, which the supervisor kills on a timeout or SIGINT, and gets
 * SIGKILL when its parent dies); the child pins itself to cpu (-1: leave
 * it) and _exit(fn(arg)).  f: the call's duration goes there (NULL: not
 * timed).  Returns like fork() in the parent.
 */
pid_t wl_fork(struct wl_forks *f, int cpu, int (*fn)(void *arg), void *arg);
/* An untimed wl_fork. */
pid_t wl_spawn(int cpu, int (*fn)(void *arg), void *arg);
/* SIGKILL and reap; for every exit path (pid <= 0: nothing to do). */
void wl_kill(pid_t pid);
/* Reap; 0 if it exited with status 0, else -1 with the reason in why. */
int wl_reap(pid_t pid, const char *who, char *why, int len);

/*
 * The hand-over between a parent and the child it forked: the child says
 * it is done (a word: 0 for success, or what it counted) and waits until
 * the parent has looked at it and releases it.  The parent keeps every
 * end, so one pair of pipes serves child after child; wl_hand_child()
 * (in the child) and wl_hand_parent() (after the fork) close the other
 * side's ends where one child has the pipes to itself and a side's exit
 * must read as EOF.
 */
struct wl_hand {
	int done[2], release[2];
};
int wl_hand_open(struct wl_hand *h, char *why, int len);
void wl_hand_close(struct wl_hand *h);
void wl_hand_child(struct wl_hand *h);
void wl_hand_parent(struct wl_hand *h);
/* Child: tell the parent (0, or -1 if it is gone). */
int wl_hand_done(struct wl_hand *h, uint64_t word);
/* Child: wait for the release: 0, or -1 when the parent's end closed. */
int wl_hand_hold(struct wl_hand *h);
/* Parent: the child's word; -1 if it closed without one. */
int wl_hand_wait(struct wl_hand *h, uint64_t *word);
/* Parent: let it go on (-1 with why if the write fails: it is killed). */
int wl_hand_release(struct wl_hand *h, pid_t pid, char *why, int len);

/* ---- memory the processes of a pass share, and files ---- */

/* MAP_SHARED anonymous memory, zeroed; NULL on failure (errno). */
void *wl_shared(size_t len);
void wl_shared_free(void *p, size_t len);
/*
 * An unnamed file in dir (O_TMPFILE, else a name unlinked at once), open
 * with flags (O_DIRECT, ...) added to O_RDWR | O_CLOEXEC.  0; 1 (a skip)
 * if the file system refuses the flags; -1; why says which.
 */
int wl_tmpfile(const char *dir, int flags, int *fdp, char *why, int len);
/* File systems a driver may refuse (wl_fs_refused). */
#define WL_FS_RAM 1u /* tmpfs, ramfs: fsync reaches no disk */
#define WL_FS_NODEV 2u /* 9p, overlayfs, NFS, FUSE: not a block device */
/*
 * fd's file system if it is of one of the kinds: its name; NULL if not,
 * or if fstatfs fails (errno set, else 0).
 */
const char *wl_fs_refused(int fd, unsigned int kinds);

/* ---- loopback TCP, fixed-size messages ---- */

/* All n bytes, or -1 (EOF counts as an error). */
int wl_send_all(int fd, const void *buf, size_t n);
int wl_recv_all(int fd, void *buf, size_t n);

/* Every request starts with its id; every reply is this. */
struct wl_reply {
	uint64_t id;
	uint32_t flags; /* WL_MARKED: counted apart (during a snapshot, ...) */
	uint32_t pad;
};
#define WL_MARKED 1u

/* ---- the load generator ---- */

/*
 * n requests of req_len bytes over one connection.  rate 0: closed loop
 * (one outstanding request; latency from its send).  rate > 0: open loop,
 * request i is due at start + i / rate whatever the replies do, and its
 * latency runs from when it was due, not from when it went out: a stalled
 * server delays the requests behind the stall, and they count it
 * (coordinated omission corrected).
 */
struct wl_load {
	uint64_t n, rate;
	size_t req_len; /* >= 8: the id comes first */
	/* the bytes after the id of request i (NULL: zeros) */
	void (*fill)(void *req, uint64_t i, void *arg);
	void *arg;
	uint16_t port;
	int timeout_ms; /* a silent server for this long is an error */
	/*
	 * wrk2's way (all three 0: as above).  one_outstanding: a request due
	 * while another is out waits for its reply (wrk2's connection), so a
	 * stalled server delays the sends; latency still runs from the due
	 * time, and wl_lat.uncorr from the send (wrk2 -U).  warmup_ns:
	 * requests due (closed loop: sent) in the first warmup_ns are served
	 * but not recorded, and n more follow (wrk2 resets its statistics
	 * after calibration).  timer_slack_ns: the generator's
	 * PR_SET_TIMERSLACK (the default 50 us is late against a short
	 * request).
	 */
	bool one_outstanding;
	uint64_t warmup_ns, timer_slack_ns;
};

/* What the generator measured: in MAP_SHARED memory (wl_lat_alloc). */
struct wl_lat {
	struct hist all, marked, unmarked;
	uint64_t sent, answered, bad; /* bad: unknown or repeated ids */
	uint64_t first_ns, last_ns; /* first send, last reply */
	int failed;
	char why[160];
	/* from the send (wrk2 -U), and send - due: recorded ones */
	struct hist uncorr, lag;
	/*
	 * The first recorded id, published (warm_set) before it is sent: a
	 * server that sees an id >= warm knows the warm-up is over.
	 */
	uint64_t warm;
	int warm_set;
	/*
	 * uncorr and lag of the marked replies alone (snapshot: during the
	 * save).  A lag comparable to the latency is the generator's delay,
	 * not the server's.
	 */
	struct hist uncorr_marked, lag_marked;
};
struct wl_lat *wl_lat_alloc(void);
void wl_lat_free(struct wl_lat *l);
/* Fork the generator, pinned to cpu; it connects and runs l to the end. */
pid_t wl_load_start(const struct wl_load *l, struct wl_lat *out, int cpu);
/*
 * Listen on 127.0.0.1 (a port the kernel picks, into l->port), start the
 * generator and accept its one connection within l->timeout_ms.  The
 * connection, or -1 with why; *gen is its pid (or -1) either way.
 */
int wl_load_open(struct wl_load *l, struct wl_lat *out, int cpu, pid_t *gen,
		 char *why, int len);
/* Reap it; 0 if it got every reply and no other, else -1 with why. */
int wl_load_close(pid_t gen, const struct wl_lat *out, char *why, int len);
/* Replies per second over the generator's run (0 if unknown). */
int64_t wl_lat_rate(const struct wl_lat *l);

/* ---- pacing ---- */

/* CLOCK_MONOTONIC ns: the clock absolute sleeps use. */
uint64_t wl_now(void);
void wl_sleep_until(uint64_t t_ns);

/*
 * An open-loop schedule, in clk_now() ticks: event i is due at t0 + i *
 * period_ns whatever the events before it did, so a late event is late
 * from its due time and does not move the ones after it.  A waiter sleeps
 * through a gap longer than sleep_min_ns, wakes wake_early_ns before the
 * due time and spins the rest (a timer wake-up overshoots: 6-9 us p50,
 * 41-62 us p99 with 1 ns of slack on the project's VM); one nap is 1 ms at
 * most, so a stop request is heard within that.  (The load generator
 * keeps the same schedule in its own poll loop: it waits on its socket.)
 */
struct wl_pace {
	uint64_t t0;
	double period_ns;
	uint64_t sleep_min_ns, wake_early_ns;
	uint64_t timer_slack_ns; /* the waiting thread's (0: leave it) */
	uint64_t naps; /* sleeps taken */
};
/* Start the schedule now, in the thread that waits. */
void wl_pace_start(struct wl_pace *p, uint64_t t0);
uint64_t wl_pace_due(const struct wl_pace *p, uint64_t i);
/*
 * Until due, or until stop(arg, now) (NULL: never) says so; clk_now()
 * then.  now - due is how late the event starts.
 */
uint64_t wl_pace_wait(struct wl_pace *p, uint64_t due,
		      bool (*stop)(void *arg, uint64_t now), void *arg);

/* ---- the record ---- */

/*
 * A histogram as integer keys, values / div: "<key>_mean" and "<key>_max"
 * always, "_p50", "_p90", "_p99", "_p999" only where n supports them (at
 * least ten samples at or above: p50 from 20, p99 from 1000, p99.9 from
 * 10000); nothing measured is absent, not 0.
 */
void wl_put_pcts(struct kvset *s, const char *key, const struct hist *h,
		 uint64_t div);
/* The forks' fork_us_* (wl_put_pcts, in us); none forked: absent. */
void wl_put_forks(struct kvset *s, const struct wl_forks *f);
/*
 * A timing pass reports extras but no counters: say so, so that no count
 * reads as a measured 0.
 */
void wl_timing_counts(struct record *r);
/* Counts taken (the counting pass), or the timing pass's marker. */
void wl_pass_counts(const struct sc *sc, struct record *r);
/*
 * The pass's process group and the generator's pid, so that a test can
 * check by pid that nothing outlived the pass.
 */
void wl_put_procs(struct kvset *s, pid_t gen);
/*
 * Add another task's counting record, taken over the same time (a child,
 * another thread), into r: its faults, TLB flushes and page outcomes.
 * System-wide figures (vmstat) are not added: r's window saw them.
 */
void wl_counts_add(struct record *r, const struct record *add);
/*
 * Add a record of the same task's earlier window (one after another):
 * also the system-wide deltas (vmstat, TLB IPIs received) and the screen.
 * r's counts start at 0 (wl_counts_zero).
 */
void wl_counts_add_window(struct record *r, const struct record *add);
/* r's counts 0, not unknown (-1): the start of a sum. */
void wl_counts_zero(struct record *r);

/* ---- page views of two processes ---- */

/*
 * pages entries of pid's pagemap at addr into out[i * stride] (strides
 * in uint64_t, as pagemap_snap).  0 or -errno.
 */
int wl_pagemap_pid(pid_t pid, const void *addr, size_t pages, uint64_t *out,
		   size_t stride);
/* The writer's own entries (and kpageflags) before or after, into pv. */
int wl_snap_writer(const void *addr, size_t pages, struct page_view *pv,
		   bool after, char *why, int len);
/* The other process's entries before or after; pid 0: there is none. */
int wl_snap_other(pid_t pid, const void *addr, size_t pages,
		  struct page_view *pv, bool after, char *why, int len);
/*
 * Classify pv[0..pages) into t.  A page is shared when the other process
 * mapped the writer's page before the writes (its own PTE: the ground
 * truth, not the kernel's counts); the other process saw a write when it
 * maps, after it, the page the writer wrote.  The caller sets written
 * and may set other_saw from an oracle of its own (which makes the page
 * shared: the other party saw it).
 */
void wl_classify(struct page_view *pv, size_t pages, struct tally *t);
/* A field of /proc/<pid>/smaps_rollup in kB ("Pss", "Private_Dirty"), or -1. */
int64_t wl_rollup_kb(pid_t pid, const char *field);

/* splitmix64: a well-mixed 64-bit value of x (data that KSM cannot merge,
 * seeds, keys); wl_rand() steps a state through it. */
#define WL_GOLDEN 0x9e3779b97f4a7c15ULL
static inline uint64_t wl_mix(uint64_t x)
{
	x += WL_GOLDEN;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint64_t wl_rand(uint64_t *s)
{
	uint64_t r = wl_mix(*s);

	*s += WL_GOLDEN;
	return r;
}

#endif
