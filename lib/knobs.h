/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_KNOBS_H
#define COWBENCH_KNOBS_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Every sysfs/procfs value and every resource cowbench changes goes through
 * here.  What it takes to undo a change is appended to a state file (and
 * fsynced) before the change is made; the file is the only record, so that
 * changes made by a pass process, the run's exit, a signal and - from the
 * file, by 'cowbench restore' - a SIGKILL all undo the same list, newest
 * first.  One run at a time: the run holds a lock beside the state file.
 */

/* The state file: $COWBENCH_STATE or /run/cowbench/knobs.state. */
const char *knobs_state_path(void);
/*
 * Take the run lock (beside the state file).  0, or the pid of the live
 * run that holds it (or -1 if that is unknown), or -errno.
 */
int knobs_lock(void);
/* The pid holding the run lock now, 0 if none (for 'restore'). */
int knobs_lock_holder(void);
/*
 * In a forked child: let go of the run's lock (an flock stays held while
 * any process has the file open), so that an orphan left by a killed run
 * cannot make 'restore' or the next run believe the run still lives.
 */
void knobs_child(void);

/* Set path to val; 0, or -errno (nothing is changed then). */
int knob_set(const char *path, const char *val);
/* Mount a pseudo file system if nothing is mounted there. */
int knob_mount(const char *fstype, const char *target);
/* Resources: undone on restore (swapoff, zram reset, unlink). */
int knob_swapon(const char *path);
int knob_unlink_later(const char *path);
/*
 * A free zram device of disksize bytes, as a swap device; its /dev path in
 * dev.  Reset (and removed, if we added it) on restore.
 */
int knob_zram(uint64_t disksize, char *dev, int len);

/*
 * A process group the run owns (a pass): undoing kills it and waits until
 * every member is gone, before anything saved earlier is put back.
 */
int knob_group(pid_t pgid);

/* A point in the state file: what was set after it can be undone alone. */
off_t knobs_mark(void);
/* Undo what was set since mark, by any process of the run. */
void knobs_restore_since(off_t mark);
/*
 * Undo everything; async-signal-safe.  A no-op in a forked child: only
 * the process that took the lock restores.
 */
void knobs_restore(void);
/*
 * Restore from a state file left by a killed run.  The number of values
 * restored, 0 if there is no state file.  *alive: a process group of the
 * run that outlived SIGKILL (0: none); the state file then stays.
 */
int knobs_restore_file(const char *path, pid_t *alive);
/* The value a knob file shows, with "[selected]" words unwrapped. */
int knob_read(const char *path, char *buf, int len);
/* Write a swap signature on a device or file of size bytes (mkswap). */
int swap_format(const char *path, uint64_t size);

#endif
