// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "knobs.h"
#include "util.h"

#define MAX_SEEN 256
#define VAL_LEN 128

/*
 * The paths this process saved, so that a second change keeps the first
 * original.  Fixed arrays: parts of this run in signal handlers.
 */
static struct seen {
	char path[256];
	off_t off;
	pid_t pid;
} seen[MAX_SEEN];
static int nseen;
static char state_path[256];
static int state_fd = -1, lock_fd = -1;
static pid_t owner; /* forked children inherit the file, not the duty */
static char restore_buf[1 << 16];

const char *knobs_state_path(void)
{
	const char *env = getenv("COWBENCH_STATE");

	if (!state_path[0])
		snprintf(state_path, sizeof(state_path), "%s",
			 env && *env ? env : "/run/cowbench/knobs.state");
	return state_path;
}

static void lock_path(char *buf, int len)
{
	snprintf(buf, len, "%s.lock", knobs_state_path());
}

static void make_dir(void)
{
	char dir[256], *slash;

	snprintf(dir, sizeof(dir), "%s", knobs_state_path());
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
}

static int read_pid(int fd)
{
	char buf[32] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	return atoi(buf) > 0 ? atoi(buf) : -1;
}

int knobs_lock(void)
{
	char path[300], line[32];
	int fd, n;

	make_dir();
	lock_path(path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		n = errno == EWOULDBLOCK ? read_pid(fd) : -errno;
		close(fd);
		return n;
	}
	n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, line, n, 0) != n) {
		close(fd);
		return -errno;
	}
	lock_fd = fd;
	owner = getpid();
	return 0;
}

void knobs_child(void)
{
	if (lock_fd >= 0 && getpid() != owner) {
		close(lock_fd);
		lock_fd = -1;
	}
}

int knobs_lock_holder(void)
{
	char path[300];
	int fd, pid = 0;

	lock_path(path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK)
		pid = read_pid(fd);
	close(fd);
	return pid;
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
	if (state_fd >= 0)
		return 0;
	make_dir();
	state_fd = open(knobs_state_path(),
			O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	return state_fd < 0 ? -errno : 0;
}

/*
 * Saved by this very process: a pass process that changes a knob the run
 * had changed before saves the run's value again, so that undoing the
 * pass puts back the run's value, not the machine's original.
 */
static struct seen *find_seen(const char *path)
{
	pid_t me = getpid();
	int i;

	for (i = 0; i < nseen; i++)
		if (seen[i].pid == me && !strcmp(seen[i].path, path))
			return &seen[i];
	return NULL;
}

/* Append what undoes a change, before the change is made. */
static int save(const char *kind, const char *path, const char *undo)
{
	char line[512];
	int n, ret = state_open();
	off_t off;

	if (ret)
		return ret;
	if (nseen == MAX_SEEN)
		die(1, "internal limit: more than %d knobs", MAX_SEEN);
	off = lseek(state_fd, 0, SEEK_END);
	n = snprintf(line, sizeof(line), "%s\t%s\t%s\n", kind, path, undo);
	if (n >= (int)sizeof(line))
		return -ENAMETOOLONG;
	if (write(state_fd, line, n) != n || fsync(state_fd))
		return -errno;
	snprintf(seen[nseen].path, sizeof(seen[0].path), "%s", path);
	seen[nseen].pid = getpid();
	seen[nseen++].off = off;
	return 0;
}

int knob_set(const char *path, const char *val)
{
	char old[VAL_LEN];
	int ret;

	if (!find_seen(path)) {
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

int knob_swapon(const char *path)
{
	int ret;

	/* $COWBENCH_NO_SWAP=1: a kernel without CONFIG_SWAP, simulated */
	if (env_flag("COWBENCH_NO_SWAP"))
		return -ENOSYS;
	ret = save("swapon", path, "-");

	if (ret)
		return ret;
	/* the highest priority: our pages go to our device, not another */
	return swapon(path, SWAP_FLAG_PREFER | SWAP_FLAG_PRIO_MASK) ? -errno :
								      0;
}

int knob_unlink_later(const char *path)
{
	return save("unlink", path, "-");
}

/* Decimal into buf (room for 21 bytes); async-signal-safe. */
static void utoa(unsigned long long v, char *buf)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = '0' + v % 10;
	while ((v /= 10));
	while (n)
		*buf++ = tmp[--n];
	*buf = '\0';
}

/* /proc/PID/stat fields a restore needs; false if the process is gone. */
struct pstat {
	char state;
	long pgrp;
	unsigned long long start;
};

/* Field n (from 3, after the name) of a stat line, as a number. */
static unsigned long long stat_field(const char *p, int n)
{
	unsigned long long v = 0;
	int f;

	for (f = 2; *p && f < n; p++)
		f += *p == ' ';
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (unsigned long long)(*p++ - '0');
	return v;
}

/* No stdio: undoing runs in signal handlers. */
static bool proc_stat(pid_t pid, struct pstat *st)
{
	char path[40] = "/proc/", buf[1024], *p;
	ssize_t n;
	int fd;

	utoa(pid, path + strlen(path));
	strcat(path, "/stat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')'); /* the name may hold spaces */
	if (!p || !p[1] || !p[2])
		return false;
	st->state = p[2];
	st->pgrp = (long)stat_field(p, 5);
	st->start = stat_field(p, 22);
	return true;
}

static unsigned long long start_time(pid_t pid)
{
	struct pstat st;

	return proc_stat(pid, &st) ? st.start : 0;
}

/*
 * Does a member of the group live (a zombie does not: it holds nothing)?
 * /proc read with getdents64, which a signal handler may call.
 */
static bool group_alive(pid_t pgid)
{
	char buf[4096];
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool alive = false;
	long n, off;

	while (fd >= 0 && !alive &&
	       (n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n && !alive;) {
			struct linux_dirent64 {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);
			struct pstat st;

			if (d->name[0] >= '1' && d->name[0] <= '9' &&
			    proc_stat(atoi(d->name), &st))
				alive = st.pgrp == pgid && st.state != 'Z';
			off += d->reclen;
		}
	}
	if (fd >= 0)
		close(fd);
	return alive;
}

int knob_group(pid_t pgid)
{
	char path[24], when[24];

	utoa(pgid, path);
	utoa(start_time(pgid), when);
	return save("pgroup", path, when);
}

static pid_t alive_group; /* a group that outlived SIGKILL, for restore */

/*
 * Kill a process group of the run and wait until it is gone (reaping our
 * own children): its memory (huge pages, swap) must be free before the
 * knobs that lent it are put back.  A leader that lives with another
 * start time is not ours: its pid was reused.  While any member lives,
 * the pgid cannot be reused, so a group without its leader is ours.
 */
static void kill_pgroup(const char *id, const char *when)
{
	pid_t pgid = atoi(id);
	unsigned long long t = start_time(pgid);
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	if (pgid <= 1 || (t && t != strtoull(when, NULL, 10)))
		return;
	kill(-pgid, SIGKILL);
	for (i = 0; i < 250; i++) { /* 5 s */
		while (waitpid(-pgid, NULL, WNOHANG) > 0)
			;
		if ((kill(-pgid, 0) && errno == ESRCH) || !group_alive(pgid))
			return;
		nanosleep(&ts, NULL);
	}
	alive_group = pgid;
}

/* A zram device with no disksize, or a new one from hot_add. */
static int zram_free_device(void)
{
	char path[96], buf[32];
	int i, ret;

	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", i);
		if (read_text(path, buf, sizeof(buf)) > 0 && atoll(buf) == 0)
			return i;
	}
	if (read_text("/sys/class/zram-control/hot_add", buf, sizeof(buf)) <= 0)
		return -ENODEV;
	i = atoi(buf);
	snprintf(buf, sizeof(buf), "%d", i);
	ret = save("zram_remove", "/sys/class/zram-control/hot_remove", buf);
	return ret ? ret : i;
}

int knob_zram(uint64_t disksize, char *dev, int len)
{
	char path[96], size[32];
	int n = zram_free_device(), ret;

	if (n < 0)
		return n;
	snprintf(path, sizeof(path), "/sys/block/zram%d/reset", n);
	ret = save("zram", path, "1");
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", n);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)disksize);
	ret = write_text(path, size);
	if (ret)
		return ret;
	snprintf(dev, len, "/dev/zram%d", n);
	return swap_format(dev, disksize);
}

int swap_format(const char *path, uint64_t size)
{
	uint32_t hdr[3] = { 1, (uint32_t)(size / PAGE_SZ - 1), 0 };
	char page[PAGE_SZ];
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	memset(page, 0, sizeof(page));
	/* version, last page, bad pages after the 1 KiB boot block */
	memcpy(page + 1024, hdr, sizeof(hdr));
	memcpy(page + PAGE_SZ - 10, "SWAPSPACE2", 10);
	if (pwrite(fd, page, PAGE_SZ, 0) != PAGE_SZ || fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

/* ---- undoing: open/write/close, swapoff, umount, unlink only ---- */

static void put(const char *path, const char *val, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, val, len) < 0) {
		/* nothing more can be done from here */
	}
	close(fd);
}

static void undo_one(char *kind, char *path, char *val)
{
	if (!strcmp(kind, "pgroup"))
		kill_pgroup(path, val);
	else if (!strcmp(kind, "mount"))
		umount2(path, MNT_DETACH);
	else if (!strcmp(kind, "swapon"))
		swapoff(path);
	else if (!strcmp(kind, "unlink"))
		unlink(path);
	else if (!strcmp(kind, "knob") || !strcmp(kind, "zram") ||
		 !strcmp(kind, "zram_remove"))
		put(path, val, strlen(val));
}

/* Split "kind\tpath\tval" in place; 0 if the line has all three. */
static int split_line(char *line, char **kind, char **path, char **val)
{
	char *t1 = strchr(line, '\t'), *t2;

	if (!t1)
		return -1;
	t2 = strchr(t1 + 1, '\t');
	if (!t2)
		return -1;
	*t1 = *t2 = '\0';
	*kind = line;
	*path = t1 + 1;
	*val = t2 + 1;
	return 0;
}

/*
 * Every process group first, whatever was saved after it: the knobs a pass
 * set while it ran go back only once none of its processes lives.
 */
static void kill_groups(const char *buf, size_t len)
{
	char line[128], *kind, *path, *val;
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i - start < sizeof(line) &&
		    !strncmp(buf + start, "pgroup\t", 7)) {
			memcpy(line, buf + start, i - start);
			line[i - start] = '\0';
			if (!split_line(line, &kind, &path, &val))
				kill_pgroup(path, val);
		}
		start = i + 1;
	}
}

/* Undo the lines of buf[0, len), newest first; the number undone. */
static int undo_lines(char *buf, size_t len)
{
	char *kind, *path, *val;
	int n = 0;

	kill_groups(buf, len);
	while (len) {
		size_t start;

		buf[--len] = '\0'; /* the newline that ends the last line */
		for (start = len; start && buf[start - 1] != '\n'; start--)
			;
		if (!split_line(buf + start, &kind, &path, &val)) {
			undo_one(kind, path, val);
			n++;
		}
		len = start;
	}
	return n;
}

/* Read [from, end) of the state file into restore_buf; its length. */
static size_t read_from(int fd, off_t from)
{
	ssize_t r;
	size_t len = 0;

	while (len < sizeof(restore_buf) - 1 &&
	       (r = pread(fd, restore_buf + len, sizeof(restore_buf) - 1 - len,
			  from + len)) > 0)
		len += r;
	while (len && restore_buf[len - 1] != '\n')
		len--; /* a torn last line was never acted on */
	return len;
}

off_t knobs_mark(void)
{
	if (state_open())
		return 0;
	return lseek(state_fd, 0, SEEK_END);
}

void knobs_restore_since(off_t mark)
{
	int fd = open(knobs_state_path(), O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	undo_lines(restore_buf, read_from(fd, mark));
	if (ftruncate(fd, mark)) {
		/* the entries stay: a later restore undoes them again */
	}
	close(fd);
	while (nseen && seen[nseen - 1].off >= mark)
		nseen--;
}

void knobs_restore(void)
{
	if (!owner || getpid() != owner)
		return;
	knobs_restore_since(0);
	unlink(knobs_state_path());
	if (state_fd >= 0) {
		close(state_fd);
		state_fd = -1;
	}
	nseen = 0;
}

int knobs_restore_file(const char *path, pid_t *alive)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), n;

	*alive = alive_group = 0;
	if (fd < 0)
		return 0;
	n = undo_lines(restore_buf, read_from(fd, 0));
	close(fd);
	*alive = alive_group;
	if (!alive_group) /* else a later restore tries again */
		unlink(path);
	return n;
}
