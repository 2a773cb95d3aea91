// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static void oom(void)
{
	static const char msg[] = "cowbench: out of memory\n";

	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

void die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("cowbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

void warnx(const char *fmt, ...)
{
	va_list ap;

	fputs("cowbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

ssize_t read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

int write_text(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? (int)n : n == (ssize_t)len ? 0 : -EIO;
}

char *slurp(const char *path, size_t *lenp)
{
	size_t len = 0, cap = 65536;
	char *buf;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	buf = xmalloc(cap);
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096)
			buf = xrealloc(buf, cap *= 2);
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

char *strtrim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
		     s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

long long proc_start_time(int pid)
{
	char path[64], buf[1024], *p;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_text(path, buf, sizeof(buf)) <= 0)
		return -1;
	/* the command may hold spaces and ')': fields follow its last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return -1; /* a zombie's work is over */
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoll(p + 1, NULL, 10) : -1;
}

void boot_id(char *buf, int len)
{
	if (read_text("/proc/sys/kernel/random/boot_id", buf, len) <= 0)
		buf[0] = '\0';
	strtrim(buf);
}

bool meminfo_u64(const char *key, uint64_t *v)
{
	char buf[8192], *p;
	size_t klen = strlen(key);

	if (read_text("/proc/meminfo", buf, sizeof(buf)) < 0)
		return false;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			/* unsigned: a counter that wrapped reads as it is */
			*v = strtoull(p + klen + 1, NULL, 10);
			return true;
		}
	}
	return false;
}

int64_t meminfo_kb(const char *key)
{
	uint64_t v;

	return meminfo_u64(key, &v) ? (int64_t)v : -1;
}

/* $COWBENCH_MEMAVAILABLE_MB stands in for a machine with less free memory */
uint64_t mem_available(void)
{
	const char *sim = getenv("COWBENCH_MEMAVAILABLE_MB");
	int64_t kb = meminfo_kb("MemAvailable");

	if (sim && *sim)
		return strtoull(sim, NULL, 10) << 20;
	return kb < 0 ? 0 : (uint64_t)kb * 1024;
}

uint64_t mem_total(void)
{
	int64_t kb = meminfo_kb("MemTotal");

	return kb < 0 ? 0 : (uint64_t)kb * 1024;
}

void shuffle_ints(int *v, int n, unsigned int seed)
{
	int i, j, t;

	for (i = n - 1; i > 0; i--) {
		j = rand_r(&seed) % (i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct kv *kv_find(struct kvset *s, const char *key)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->kv[i].key, key))
			return &s->kv[i];
	/* keys are the program's own, never input: a full set is a bug */
	if (s->n == KV_MAX)
		die(1, "internal limit: more than %d keys in a set (at '%s')",
		    KV_MAX, key);
	snprintf(s->kv[s->n].key, sizeof(s->kv[0].key), "%s", key);
	s->kv[s->n].val = 0;
	return &s->kv[s->n++];
}

void kv_set(struct kvset *s, const char *key, int64_t val)
{
	kv_find(s, key)->val = val;
}

void kv_add(struct kvset *s, const char *key, int64_t val)
{
	kv_find(s, key)->val += val;
}

int64_t kv_get(const struct kvset *s, const char *key, int64_t def)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->kv[i].key, key))
			return s->kv[i].val;
	return def;
}

void cs_skip_all(struct countset *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->skip, sizeof(s->skip), fmt, ap);
	va_end(ap);
}

void cs_skip_key(struct countset *s, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (s->nskip == SKIP_MAX)
		die(1, "internal limit: more than %d skipped keys (at '%s')",
		    SKIP_MAX, key);
	snprintf(s->skipped[s->nskip].key, sizeof(s->skipped[0].key), "%s",
		 key);
	va_start(ap, fmt);
	vsnprintf(s->skipped[s->nskip].why, sizeof(s->skipped[0].why), fmt, ap);
	va_end(ap);
	s->nskip++;
}

void mkdir_p(const char *who, const char *dir)
{
	char tmp[4096], *p;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		die(1, "%s: mkdir %s: %s", who, dir, strerror(errno));
}

bool test_fault(const char *name)
{
	const char *list = getenv("COWBENCH_TEST_FAULT"), *p;
	size_t n = strlen(name);

	for (p = list; p && *p; p += strcspn(p, ","), p += !!*p)
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}

void exe_top(char *self, int slen, char *top, int tlen)
{
	char path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, slen - 1);

	if (n < 0)
		die(1, "/proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s", self);
	snprintf(top, tlen, "%s", dirname(dirname(path)));
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double median_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
