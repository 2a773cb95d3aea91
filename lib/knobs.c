// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "knobs.h"
#include "util.h"

#define MAX_KNOBS 64
#define VAL_LEN 128

/* Fixed arrays: the restore path runs in signal handlers. */
static struct saved {
	char path[256];
	char old[VAL_LEN];
	int is_mount;
} saved[MAX_KNOBS];
static volatile int nsaved;
static char state_path[256];
static int state_fd = -1;
static pid_t owner; /* forked children inherit the table, not the duty */

const char *knobs_state_path(void)
{
	const char *env = getenv("COWBENCH_STATE");

	if (!state_path[0])
		snprintf(state_path, sizeof(state_path), "%s",
			 env && *env ? env : "/run/cowbench/knobs.state");
	return state_path;
}

int knob_read(const char *path, char *buf, int len)
{
	char raw[512], *l, *r;
	ssize_t n = read_text(path, raw, sizeof(raw));

	if (n < 0)
		return (int)n;
	strtrim(raw);
	l = strchr(raw, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r) {
		*r = '\0';
		snprintf(buf, len, "%s", l + 1);
	} else {
		snprintf(buf, len, "%s", raw);
	}
	return 0;
}

static int state_open(void)
{
	const char *p = knobs_state_path();
	char dir[256], *slash, line[64];

	if (state_fd >= 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s", p);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	state_fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (state_fd < 0)
		return -errno;
	snprintf(line, sizeof(line), "pid\t%d\n", (int)getpid());
	if (write(state_fd, line, strlen(line)) < 0)
		return -errno;
	return 0;
}

static int state_append(const char *kind, const char *path, const char *old)
{
	char line[512];
	int n, ret = state_open();

	if (ret)
		return ret;
	n = snprintf(line, sizeof(line), "%s\t%s\t%s\n", kind, path, old);
	if (write(state_fd, line, n) != n || fsync(state_fd))
		return -errno;
	return 0;
}

static struct saved *find_saved(const char *path)
{
	int i;

	for (i = 0; i < nsaved; i++)
		if (!strcmp(saved[i].path, path))
			return &saved[i];
	return NULL;
}

static int save(const char *kind, const char *path, const char *old)
{
	struct saved *s;
	int ret;

	if (nsaved == MAX_KNOBS)
		return -ENOSPC;
	ret = state_append(kind, path, old);
	if (ret)
		return ret;
	s = &saved[nsaved];
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(s->old, sizeof(s->old), "%s", old);
	s->is_mount = !strcmp(kind, "mount");
	owner = getpid();
	nsaved++;
	return 0;
}

int knob_set(const char *path, const char *val)
{
	char old[VAL_LEN];
	int ret;

	if (!find_saved(path)) {
		ret = knob_read(path, old, sizeof(old));
		if (ret)
			return ret;
		if (!strcmp(old, val))
			return 0;
		ret = save("knob", path, old);
		if (ret)
			return ret;
	}
	return write_text(path, val);
}

static int is_mountpoint(const char *target)
{
	struct stat a, b;
	char parent[512];

	snprintf(parent, sizeof(parent), "%s/..", target);
	if (stat(target, &a) || stat(parent, &b))
		return 0;
	return a.st_dev != b.st_dev;
}

int knob_mount(const char *fstype, const char *target)
{
	int ret;

	if (is_mountpoint(target))
		return 0;
	ret = save("mount", target, fstype);
	if (ret)
		return ret;
	return mount("nodev", target, fstype, 0, NULL) ? -errno : 0;
}

static void restore_one(const char *kind, const char *path, const char *old)
{
	if (!strcmp(kind, "mount")) {
		umount2(path, MNT_DETACH);
		return;
	}
	/* open/write/close only: async-signal-safe */
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, old, strlen(old)) < 0) {
			/* nothing more can be done from here */
		}
		close(fd);
	}
}

void knobs_restore(void)
{
	int i, n = nsaved;

	if (n && getpid() != owner)
		return;
	nsaved = 0;
	for (i = n - 1; i >= 0; i--)
		restore_one(saved[i].is_mount ? "mount" : "knob", saved[i].path,
			    saved[i].old);
	if (state_fd >= 0) {
		close(state_fd);
		state_fd = -1;
	}
	if (n)
		unlink(knobs_state_path());
}

int knobs_restore_file(const char *path, int force)
{
	char *text = slurp(path, NULL), *line, *save_ptr = NULL;
	char *lines[MAX_KNOBS * 2];
	int n = 0, i, pid = 0;

	if (!text)
		return 0;
	if (sscanf(text, "pid\t%d", &pid) == 1 && pid != getpid() && !force &&
	    (kill(pid, 0) == 0 || errno == EPERM)) {
		free(text);
		return -1;
	}
	for (line = strtok_r(text, "\n", &save_ptr);
	     line && n < (int)ARRAY_SIZE(lines);
	     line = strtok_r(NULL, "\n", &save_ptr))
		lines[n++] = line;
	/* Reverse order: the first saved value of a path is its original. */
	for (i = n - 1; i >= 0; i--) {
		char *kind = lines[i], *p = strchr(kind, '\t'), *old;

		if (!p)
			continue;
		*p++ = '\0';
		old = strchr(p, '\t');
		if (!old || !strcmp(kind, "pid"))
			continue;
		*old++ = '\0';
		restore_one(kind, p, old);
	}
	free(text);
	unlink(path);
	return n > 0 ? n - 1 : 0;
}
