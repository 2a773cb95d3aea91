/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_KNOBS_H
#define COWBENCH_KNOBS_H

/*
 * Every sysfs/procfs value cowbench changes goes through here: the old value
 * is appended to a state file (and fsynced) before the new one is written, so
 * that the machine can be put back after a normal exit, a signal, or - from
 * the state file, by 'cowbench restore' - after cowbench itself was killed.
 */

/* The state file: $COWBENCH_STATE or /run/cowbench/knobs.state. */
const char *knobs_state_path(void);
/* Set path to val; 0, or -errno (nothing is changed then). */
int knob_set(const char *path, const char *val);
/* Mount a pseudo file system if nothing is mounted there; undone on restore. */
int knob_mount(const char *fstype, const char *target);
/*
 * Restore everything set by this process; async-signal-safe.  A no-op in
 * a forked child: only the process that saved the values restores them.
 */
void knobs_restore(void);
/*
 * Restore from a state file left by another process.  Returns the number of
 * values restored, 0 if there is no state file, -1 if it is still owned by a
 * live cowbench (its pid is running) and force is not set.
 */
int knobs_restore_file(const char *path, int force);
/* The value a knob file shows, with "[selected]" words unwrapped. */
int knob_read(const char *path, char *buf, int len);

#endif
