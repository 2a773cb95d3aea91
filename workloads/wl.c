// SPDX-License-Identifier: GPL-2.0
/* What the workload drivers share (wl.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/pagemap.h"
#include "../lib/topo.h"
#include "wl.h"

/* ---- processes ---- */

void wl_forks_init(struct wl_forks *f)
{
	hist_init(&f->ns);
	f->t_ret = 0;
}

pid_t wl_fork(struct wl_forks *f, int cpu, int (*fn)(void *arg), void *arg)
{
	uint64_t t0 = clk_now();
	pid_t pid = fork_tied();
	int err = errno;

	if (pid > 0 && f) {
		f->t_ret = clk_now();
		hist_record(&f->ns, (uint64_t)clk_ns(f->t_ret - t0));
	}
	if (pid) {
		errno = err;
		return pid;
	}
	if (cpu >= 0 && topo_pin(cpu))
		_exit(3);
	_exit(fn(arg));
}

pid_t wl_spawn(int cpu, int (*fn)(void *arg), void *arg)
{
	return wl_fork(NULL, cpu, fn, arg);
}

void wl_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int wl_reap(pid_t pid, const char *who, char *why, int len)
{
	int st;

	if (waitpid(pid, &st, 0) != pid) {
		snprintf(why, len, "waitpid (%s): %s", who, strerror(errno));
		return -1;
	}
	if (WIFEXITED(st) && !WEXITSTATUS(st))
		return 0;
	if (WIFSIGNALED(st))
		snprintf(why, len, "%s killed by signal %d", who, WTERMSIG(st));
	else
		snprintf(why, len, "%s exited with status %d", who,
			 WEXITSTATUS(st));
	return -1;
}

/* ---- the hand-over ---- */

/* How xfer moves bytes: a socket's (no SIGPIPE) or a pipe's. */
enum xfer_how { X_RECV, X_SEND, X_READ, X_WRITE };

static ssize_t xfer_some(int fd, char *p, size_t n, enum xfer_how how)
{
	switch (how) {
	case X_RECV:
		return recv(fd, p, n, 0);
	case X_SEND:
		return send(fd, p, n, MSG_NOSIGNAL);
	case X_READ:
		return read(fd, p, n);
	default:
		return write(fd, p, n);
	}
}

/* All n bytes one way; EOF counts as an error. */
static int xfer(int fd, void *buf, size_t n, enum xfer_how how)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = xfer_some(fd, (char *)buf + done, n - done, how);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		done += k;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int wl_hand_open(struct wl_hand *h, char *why, int len)
{
	if (!pipe2(h->done, O_CLOEXEC) && !pipe2(h->release, O_CLOEXEC))
		return 0;
	snprintf(why, len, "child hand-over: %s", strerror(errno));
	return -1;
}

void wl_hand_close(struct wl_hand *h)
{
	close_fd(&h->done[0]);
	close_fd(&h->done[1]);
	close_fd(&h->release[0]);
	close_fd(&h->release[1]);
}

void wl_hand_child(struct wl_hand *h)
{
	close_fd(&h->done[0]);
	close_fd(&h->release[1]);
}

void wl_hand_parent(struct wl_hand *h)
{
	close_fd(&h->done[1]);
	close_fd(&h->release[0]);
}

int wl_hand_done(struct wl_hand *h, uint64_t word)
{
	return xfer(h->done[1], &word, sizeof(word), X_WRITE);
}

int wl_hand_hold(struct wl_hand *h)
{
	char c;

	return xfer(h->release[0], &c, 1, X_READ);
}

int wl_hand_wait(struct wl_hand *h, uint64_t *word)
{
	return xfer(h->done[0], word, sizeof(*word), X_READ);
}

int wl_hand_release(struct wl_hand *h, pid_t pid, char *why, int len)
{
	if (!xfer(h->release[1], (char[]){ 'r' }, 1, X_WRITE))
		return 0;
	snprintf(why, len, "release of the child: %s", strerror(errno));
	wl_kill(pid);
	return -1;
}

/* ---- shared memory and files ---- */

void *wl_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void wl_shared_free(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

int wl_tmpfile(const char *dir, int flags, int *fdp, char *why, int len)
{
	char path[4200];
	int err;

	flags |= O_RDWR | O_CLOEXEC;
	*fdp = open(dir, O_TMPFILE | flags, 0600);
	if (*fdp >= 0)
		return 0;
	if (errno == EOPNOTSUPP || errno == EISDIR) {
		/* no O_TMPFILE here: a name (mkostemp fills the Xs), gone at once */
		snprintf(path, sizeof(path), "%s/cowbench-XXXXXX", dir);
		*fdp = mkostemp(path, flags & ~(O_RDWR));
		if (*fdp >= 0) {
			unlink(path);
			return 0;
		}
	}
	err = errno;
	snprintf(why, len, "a file in %s%s: %s", dir,
		 flags & O_DIRECT ? " (O_DIRECT)" : "", strerror(err));
	/* the file system does not take the flags (O_DIRECT): a skip */
	return err == EINVAL || err == EOPNOTSUPP ? 1 : -1;
}

#define TMPFS_MAGIC 0x01021994
#define RAMFS_MAGIC 0x858458f6
#define V9FS_MAGIC 0x01021997
#define OVERLAYFS_MAGIC 0x794c7630
#define NFS_MAGIC 0x6969
#define FUSE_MAGIC 0x65735546

const char *wl_fs_refused(int fd, unsigned int kinds)
{
	static const struct {
		long magic;
		const char *name;
		unsigned int kind;
	} fs[] = {
		{ TMPFS_MAGIC, "tmpfs", WL_FS_RAM | WL_FS_NODEV },
		{ RAMFS_MAGIC, "ramfs", WL_FS_RAM | WL_FS_NODEV },
		{ V9FS_MAGIC, "9p", WL_FS_NODEV },
		{ OVERLAYFS_MAGIC, "overlayfs", WL_FS_NODEV },
		{ NFS_MAGIC, "NFS", WL_FS_NODEV },
		{ FUSE_MAGIC, "FUSE", WL_FS_NODEV },
	};
	struct statfs st;
	size_t i;

	errno = 0;
	if (fstatfs(fd, &st))
		return NULL;
	for (i = 0; i < ARRAY_SIZE(fs); i++)
		if (st.f_type == fs[i].magic && (fs[i].kind & kinds))
			return fs[i].name;
	return NULL;
}

/* ---- loopback TCP ---- */

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int wl_listen(uint16_t *port, char *why, int len)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 4) || getsockname(fd, (struct sockaddr *)&a, &alen)) {
		snprintf(why, len, "listen on 127.0.0.1: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static int wl_accept(int lfd, int timeout_ms, char *why, int len)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd = -1;

	if (poll(&p, 1, timeout_ms) == 1)
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "the load generator did not connect: %s",
			 errno ? strerror(errno) : "timed out");
		return -1;
	}
	nodelay(fd);
	return fd;
}

static int wl_connect(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	nodelay(fd);
	return fd;
}

int wl_send_all(int fd, const void *buf, size_t n)
{
	return xfer(fd, (void *)buf, n, X_SEND);
}

int wl_recv_all(int fd, void *buf, size_t n)
{
	return xfer(fd, buf, n, X_RECV);
}

/* ---- pacing ---- */

uint64_t wl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void wl_sleep_until(uint64_t t_ns)
{
	struct timespec ts = { .tv_sec = t_ns / 1000000000ULL,
			       .tv_nsec = t_ns % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

#define NAP_MAX_NS 1000000

void wl_pace_start(struct wl_pace *p, uint64_t t0)
{
	p->t0 = t0;
	if (p->timer_slack_ns)
		prctl(PR_SET_TIMERSLACK, p->timer_slack_ns, 0, 0, 0);
}

uint64_t wl_pace_due(const struct wl_pace *p, uint64_t i)
{
	return p->t0 + (uint64_t)(i * p->period_ns / cb_clock.ns_per_tick);
}

static void nap(struct wl_pace *p, double ns)
{
	struct timespec ts = { 0, ns < NAP_MAX_NS ? (long)ns : NAP_MAX_NS };

	nanosleep(&ts, NULL);
	p->naps++;
}

uint64_t wl_pace_wait(struct wl_pace *p, uint64_t due,
		      bool (*stop)(void *arg, uint64_t now), void *arg)
{
	uint64_t now;
	double gap;

	while ((now = clk_now()) < due && !(stop && stop(arg, now))) {
		gap = clk_ns(due - now);
		if (gap > p->sleep_min_ns)
			nap(p, gap - p->wake_early_ns);
	}
	return now;
}

/* ---- the load generator ---- */

struct wl_lat *wl_lat_alloc(void)
{
	struct wl_lat *l = wl_shared(sizeof(*l));

	if (!l)
		return NULL;
	hist_init(&l->all);
	hist_init(&l->marked);
	hist_init(&l->unmarked);
	hist_init(&l->uncorr);
	hist_init(&l->lag);
	hist_init(&l->uncorr_marked);
	hist_init(&l->lag_marked);
	return l;
}

void wl_lat_free(struct wl_lat *l)
{
	wl_shared_free(l, sizeof(*l));
}

int64_t wl_lat_rate(const struct wl_lat *l)
{
	uint64_t span = l->last_ns - l->first_ns;

	return l->answered && span ?
		       (int64_t)(l->answered * 1000000000.0 / span + 0.5) :
		       0;
}

/* The generator's state: one request going out, replies coming in. */
struct gen {
	const struct wl_load *l;
	struct wl_lat *out;
	int fd;
	uint64_t *due; /* per id: when it was due (open) or sent (closed) */
	uint64_t *sent_at; /* per id: when it went out */
	uint8_t *seen;
	uint64_t cap; /* ids the arrays hold */
	uint64_t replies; /* warm-up ones too */
	uint64_t start;
	char *tx;
	size_t tx_off, tx_len;
	char rx[64 * sizeof(struct wl_reply)];
	size_t rx_len;
};

static int __printf(2, 3) gen_fail(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	g->out->failed = 1;
	va_start(ap, fmt);
	vsnprintf(g->out->why, sizeof(g->out->why), fmt, ap);
	va_end(ap);
	return 1;
}

static uint64_t since(uint64_t now, uint64_t t)
{
	return now > t ? now - t : 0;
}

/*
 * The uncorrected latency (from the send, wrk2 -U) and the generator's lag
 * (send - due; 0 in a closed loop) of one recorded reply: all of them, and
 * the marked ones apart (snapshot: during the save).
 */
static void gen_reply_sent(struct gen *g, const struct wl_reply *r,
			   uint64_t now)
{
	uint64_t ns = since(now, g->sent_at[r->id]);
	uint64_t lag = since(g->sent_at[r->id], g->due[r->id]);
	struct wl_lat *o = g->out;

	hist_record(&o->uncorr, ns);
	hist_record(&o->lag, lag);
	if (r->flags & WL_MARKED) {
		hist_record(&o->uncorr_marked, ns);
		hist_record(&o->lag_marked, lag);
	}
}

static void gen_reply(struct gen *g, const struct wl_reply *r, uint64_t now)
{
	struct wl_lat *o = g->out;
	uint64_t ns, id = r->id;

	if (id >= o->sent || g->seen[id]) {
		o->bad++;
		return;
	}
	g->seen[id] = 1;
	g->replies++;
	if (!o->warm_set || id < o->warm)
		return; /* warm-up: served, not recorded */
	ns = since(now, g->due[id]);
	hist_record(&o->all, ns);
	hist_record(r->flags & WL_MARKED ? &o->marked : &o->unmarked, ns);
	gen_reply_sent(g, r, now);
	o->answered++;
	o->last_ns = now;
}

/* Take what arrived; whole replies are counted. 0, or 1 on EOF/error. */
static int gen_recv(struct gen *g)
{
	ssize_t k = recv(g->fd, g->rx + g->rx_len, sizeof(g->rx) - g->rx_len,
			 MSG_DONTWAIT);
	uint64_t now = wl_now();
	size_t off = 0;

	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (k <= 0)
		return gen_fail(
			g,
			"the server closed the connection after %llu of %llu replies",
			(unsigned long long)g->out->answered,
			(unsigned long long)g->l->n);
	g->rx_len += k;
	for (; g->rx_len - off >= sizeof(struct wl_reply);
	     off += sizeof(struct wl_reply)) {
		struct wl_reply r;

		memcpy(&r, g->rx + off, sizeof(r));
		gen_reply(g, &r, now);
	}
	memmove(g->rx, g->rx + off, g->rx_len - off);
	g->rx_len -= off;
	return 0;
}

/* Room for id i (a closed loop's warm-up has no known length). */
static int gen_room(struct gen *g, uint64_t i)
{
	uint64_t cap = g->cap * 2;

	if (i < g->cap)
		return 0;
	g->due = realloc(g->due, cap * sizeof(*g->due));
	g->sent_at = realloc(g->sent_at, cap * sizeof(*g->sent_at));
	g->seen = realloc(g->seen, cap);
	if (!g->due || !g->sent_at || !g->seen)
		return gen_fail(g, "out of memory for %llu requests",
				(unsigned long long)cap);
	memset(g->seen + g->cap, 0, cap - g->cap);
	g->cap = cap;
	return 0;
}

/* The first id due (sent) after the warm-up: published before its send. */
static void gen_warm(struct gen *g, uint64_t i)
{
	struct wl_lat *o = g->out;

	if (o->warm_set || g->due[i] < g->start + g->l->warmup_ns)
		return;
	o->first_ns = g->due[i];
	o->warm = i;
	__atomic_store_n(&o->warm_set, 1, __ATOMIC_RELEASE);
}

/* Build the next request when it is due; returns when to look again. */
static uint64_t gen_next(struct gen *g)
{
	const struct wl_load *l = g->l;
	struct wl_lat *o = g->out;
	uint64_t i = o->sent, due, now;

	if (g->tx_off < g->tx_len || (o->warm_set && i - o->warm == l->n))
		return UINT64_MAX;
	if ((!l->rate || l->one_outstanding) && g->replies < i)
		return UINT64_MAX; /* one outstanding */
	due = l->rate ? g->start + (uint64_t)(i * 1e9 / l->rate) : 0;
	now = wl_now();
	if (l->rate && now < due)
		return due;
	if (gen_room(g, i))
		return UINT64_MAX;
	memset(g->tx, 0, l->req_len);
	memcpy(g->tx, &i, sizeof(i));
	if (l->fill)
		l->fill(g->tx, i, l->arg);
	g->sent_at[i] = wl_now();
	g->due[i] = l->rate ? due : g->sent_at[i];
	gen_warm(g, i);
	g->tx_off = 0;
	g->tx_len = l->req_len;
	g->out->sent++;
	return 0;
}

static int gen_send(struct gen *g)
{
	ssize_t k = send(g->fd, g->tx + g->tx_off, g->tx_len - g->tx_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);

	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (k < 0)
		return gen_fail(g, "send: %s", strerror(errno));
	if (!g->tx_off && k > 0)
		g->sent_at[g->out->sent - 1] = wl_now();
	g->tx_off += k;
	return 0;
}

static int gen_loop(struct gen *g)
{
	uint64_t idle_since = wl_now(), progress = 0;
	const struct wl_load *l = g->l;

	g->start = idle_since;
	while (g->out->answered < l->n) {
		uint64_t wake = gen_next(g), now = wl_now();
		struct pollfd p = { .fd = g->fd, .events = POLLIN };
		struct timespec ts = { 0, 100000000 }; /* look at the clock */

		if (g->out->failed)
			return 1;
		if (g->tx_off < g->tx_len) {
			p.events |= POLLOUT;
		} else if (wake != UINT64_MAX) {
			wake = wake > now ? wake - now : 0;
			ts = (struct timespec){ wake / 1000000000ULL,
						wake % 1000000000ULL };
		}
		if (ppoll(&p, 1, &ts, NULL) < 0 && errno != EINTR)
			return gen_fail(g, "ppoll: %s", strerror(errno));
		if ((p.revents & POLLOUT) && gen_send(g))
			return 1;
		if ((p.revents & (POLLIN | POLLHUP | POLLERR)) && gen_recv(g))
			return 1;
		now = wl_now();
		/* idle: requests are out and nothing moves */
		if (g->replies + g->out->sent != progress ||
		    g->replies == g->out->sent) {
			progress = g->replies + g->out->sent;
			idle_since = now;
		} else if (now - idle_since > l->timeout_ms * 1000000ULL) {
			return gen_fail(
				g, "no reply for %d ms (%llu of %llu answered)",
				l->timeout_ms,
				(unsigned long long)g->out->answered,
				(unsigned long long)l->n);
		}
	}
	return 0;
}

static int gen_main(const struct wl_load *l, struct wl_lat *out)
{
	struct gen g = { .l = l, .out = out };
	int ret;

	g.fd = wl_connect(l->port);
	if (g.fd < 0)
		return gen_fail(&g, "connect to 127.0.0.1:%u: %s", l->port,
				strerror(errno));
	if (l->timer_slack_ns)
		prctl(PR_SET_TIMERSLACK, l->timer_slack_ns, 0, 0, 0);
	/* open loop: the warm-up's ids are known; closed: gen_room grows */
	g.cap = l->n + 1 +
		(l->rate ? (uint64_t)(l->warmup_ns / 1e9 * l->rate) : 0);
	g.due = calloc(g.cap, sizeof(*g.due));
	g.sent_at = calloc(g.cap, sizeof(*g.sent_at));
	g.seen = calloc(g.cap, 1);
	g.tx = malloc(l->req_len);
	if (!g.due || !g.sent_at || !g.seen || !g.tx)
		return gen_fail(&g, "out of memory for %llu requests",
				(unsigned long long)l->n);
	ret = gen_loop(&g);
	close(g.fd);
	return ret;
}

struct gen_start {
	const struct wl_load *l;
	struct wl_lat *out;
	int cpu;
};

static int gen_start(void *arg)
{
	struct gen_start *a = arg;

	if (a->cpu >= 0 && topo_pin(a->cpu))
		return gen_fail(&(struct gen){ .out = a->out },
				"cannot pin the load generator to CPU %d",
				a->cpu);
	return gen_main(a->l, a->out);
}

pid_t wl_load_start(const struct wl_load *l, struct wl_lat *out, int cpu)
{
	struct gen_start a = { l, out, cpu };

	return wl_spawn(-1, gen_start, &a);
}

int wl_load_open(struct wl_load *l, struct wl_lat *out, int cpu, pid_t *gen,
		 char *why, int len)
{
	int lfd = wl_listen(&l->port, why, len), fd = -1;

	*gen = -1;
	if (lfd < 0)
		return -1;
	*gen = wl_load_start(l, out, cpu);
	if (*gen < 0)
		snprintf(why, len, "fork of the load generator: %s",
			 strerror(errno));
	else
		fd = wl_accept(lfd, l->timeout_ms, why, len);
	close(lfd);
	return fd;
}

int wl_load_close(pid_t gen, const struct wl_lat *out, char *why, int len)
{
	char w[160];

	if (wl_reap(gen, "the load generator", w, sizeof(w))) {
		snprintf(why, len, "%s: %s", w,
			 out->failed ? out->why : "no reason given");
		return -1;
	}
	/* an id not asked for, or answered twice: the server is broken */
	if (out->bad) {
		snprintf(
			why, len,
			"the load generator: %llu replies with an unknown or repeated id",
			(unsigned long long)out->bad);
		return -1;
	}
	return 0;
}

/* ---- the record ---- */

void wl_put_pcts(struct kvset *s, const char *key, const struct hist *h,
		 uint64_t div)
{
	const struct hist_pct_key *pct = hist_pct_keys;
	char k[48];
	int i;

	if (!h->n)
		return;
	snprintf(k, sizeof(k), "%s_mean", key);
	kv_set(s, k, (int64_t)(hist_mean(h) / div));
	for (i = 0; i < HIST_NR_PCT; i++) {
		if (!hist_pct_supported(h, pct[i].p))
			continue;
		snprintf(k, sizeof(k), "%s_%s", key, pct[i].key);
		kv_set(s, k, hist_pct(h, pct[i].p) / div);
	}
	snprintf(k, sizeof(k), "%s_max", key);
	kv_set(s, k, h->max / div);
}

void wl_put_forks(struct kvset *s, const struct wl_forks *f)
{
	wl_put_pcts(s, "fork_us", &f->ns, 1000);
}

void wl_timing_counts(struct record *r)
{
	static const char why[] = "timing pass: counters are off";

	r->has_counts = true;
	snprintf(r->c.faults_skip, sizeof(r->c.faults_skip), "%s", why);
	cs_skip_all(&r->c.tlb_flush, "%s", why);
	cs_skip_all(&r->c.tlb_events, "%s", why);
	cs_skip_all(&r->c.hw, "%s", why);
}

void wl_pass_counts(const struct sc *sc, struct record *r)
{
	if (sc->pass == PASS_COUNTING)
		r->has_counts = true;
	else
		wl_timing_counts(r);
}

void wl_put_procs(struct kvset *s, pid_t gen)
{
	kv_set(s, "pgid", getpgrp());
	kv_set(s, "generator_pid", gen);
}

/* A set into an empty one is taken whole, with what it skipped. */
static void cs_add(struct countset *dst, const struct countset *src)
{
	int i;

	if (!dst->v.n && !dst->skip[0] && !dst->nskip) {
		*dst = *src;
		return;
	}
	for (i = 0; !dst->skip[0] && i < src->v.n; i++)
		kv_add(&dst->v, src->v.kv[i].key, src->v.kv[i].val);
}

static void kvs_add(struct kvset *dst, const struct kvset *src)
{
	int i;

	for (i = 0; i < src->n; i++)
		kv_add(dst, src->kv[i].key, src->kv[i].val);
}

/* a + b, unknown (-1) if either is */
static int64_t sum_known(int64_t a, int64_t b)
{
	return a < 0 || b < 0 ? -1 : a + b;
}

static void counts_add(struct record *r, const struct record *add,
		       const char *whose)
{
	const struct rec_counts *a = &add->c;
	struct rec_counts *c = &r->c;
	int i;

	record_take_error(r, add, whose);
	if (a->faults < 0 && c->faults >= 0)
		snprintf(c->faults_skip, sizeof(c->faults_skip), "%s",
			 a->faults_skip);
	c->faults = sum_known(c->faults, a->faults);
	c->faults_task = sum_known(c->faults_task, a->faults_task);
	cs_add(&c->tlb_flush, &a->tlb_flush);
	cs_add(&c->tlb_events, &a->tlb_events);
	for (i = 0; i < NCLASS; i++)
		c->t.classes[i] += a->t.classes[i];
	for (i = 0; i < NEVENT; i++)
		c->t.events[i] += a->t.events[i];
	c->t.copies += a->t.copies;
	c->t.reuses += a->t.reuses;
	c->t.undecided += a->t.undecided;
}

void wl_counts_add(struct record *r, const struct record *add)
{
	counts_add(r, add, "a window of another task");
}

void wl_counts_add_window(struct record *r, const struct record *add)
{
	struct rec_counts *c = &r->c;

	counts_add(r, add, "one of the pass's windows");
	c->faults_min = sum_known(c->faults_min, add->c.faults_min);
	c->faults_maj = sum_known(c->faults_maj, add->c.faults_maj);
	c->tlb_ipis_received =
		sum_known(c->tlb_ipis_received, add->c.tlb_ipis_received);
	cs_add(&c->hw, &add->c.hw);
	kvs_add(&c->vmstat, &add->c.vmstat);
	kvs_add(&r->screen, &add->screen);
	r->has_counts |= add->has_counts;
}

void wl_counts_zero(struct record *r)
{
	r->c.faults = r->c.faults_task = 0;
	r->c.faults_min = r->c.faults_maj = 0;
	r->c.tlb_ipis_received = 0;
}

/* ---- page views ---- */

int wl_pagemap_pid(pid_t pid, const void *addr, size_t pages, uint64_t *out,
		   size_t stride)
{
	uint64_t chunk[512];
	char path[64];
	size_t i, j, n;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (i = 0; !ret && i < pages; i += n) {
		n = pages - i < 512 ? pages - i : 512;
		ret = pagemap_read(fd, (const char *)addr + i * PAGE_SZ, n,
				   chunk);
		for (j = 0; !ret && j < n; j++)
			out[(i + j) * stride] = chunk[j];
	}
	close(fd);
	return ret;
}

static int snap_result(int ret, const uint64_t *e, size_t pages,
		       const char *who, char *why, int len)
{
	if (ret) {
		snprintf(why, len, "pagemap of the %s: %s", who,
			 strerror(-ret));
		return -1;
	}
	if (pagemap_hidden(e, pages, PV_STRIDE)) {
		snprintf(
			why, len,
			"pagemap shows PFN 0 for present pages: reading PFNs needs CAP_SYS_ADMIN");
		return -1;
	}
	return 0;
}

int wl_snap_writer(const void *addr, size_t pages, struct page_view *pv,
		   bool after, char *why, int len)
{
	uint64_t *e = after ? &pv->w_after : &pv->w_before;
	uint64_t *f = after ? &pv->w_flags_after : &pv->w_flags;

	return snap_result(pagemap_snap(addr, pages, e, f, PV_STRIDE), e, pages,
			   "writer", why, len);
}

int wl_snap_other(pid_t pid, const void *addr, size_t pages,
		  struct page_view *pv, bool after, char *why, int len)
{
	uint64_t *e = after ? &pv->o_after : &pv->o_before;
	size_t i;

	if (pid <= 0) {
		for (i = 0; i < pages; i++)
			e[i * PV_STRIDE] = 0;
		return 0;
	}
	return snap_result(wl_pagemap_pid(pid, addr, pages, e, PV_STRIDE), e,
			   pages, "other process", why, len);
}

static bool maps_same(uint64_t a, uint64_t b)
{
	return (a & PM_PRESENT) && (b & PM_PRESENT) && PM_PFN(a) == PM_PFN(b);
}

void wl_classify(struct page_view *pv, size_t pages, struct tally *t)
{
	size_t i;

	for (i = 0; i < pages; i++) {
		struct page_view *v = &pv[i];
		/* seen by the other party (an oracle said so): shared */
		bool shared =
			maps_same(v->o_before, v->w_before) || v->other_saw;

		v->expect = shared ? EXP_SHARED : EXP_EXCLUSIVE;
		if (shared && v->written && maps_same(v->o_after, v->w_after))
			v->other_saw = 1;
		classify_page(v, t);
	}
}

int64_t wl_rollup_kb(pid_t pid, const char *field)
{
	char path[64], key[48], *text, *p;
	int64_t kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	snprintf(key, sizeof(key), "\n%s:", field);
	text = slurp(path, NULL);
	p = text ? strstr(text, key) : NULL;
	if (p)
		kb = strtoll(p + strlen(key), NULL, 10);
	free(text);
	return kb;
}
