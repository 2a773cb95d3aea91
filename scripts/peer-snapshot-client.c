// SPDX-License-Identifier: GPL-2.0
/*
 * The load of cowbench's snapshot driver against a real Redis: SETs of a
 * random key:N with a fresh incompressible value, open loop at a fixed
 * rate (latency from when each SET was due, as wrk2; and from when it
 * went out, as wrk2 -U), a BGSAVE after a quarter of them; a SET whose
 * reply arrives while INFO says the save is in progress is "during".
 * Prints key=value lines.  Built and run by scripts/peer-snapshot.sh.
 *
 * usage: peer-snapshot-client PORT KEYS VALUE SETS RATE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct peer {
	uint64_t keys, vsize, sets, rate, rng;
	int fd, ctl;
	uint64_t *due, *sent, *lat, *ulat, *lag;
	uint8_t *during;
	char *tx;
	size_t tx_off, tx_len;
	uint64_t nsent, nrecv, rx_ok;
	int saving; /* 0 before, 1 while INFO says in progress, 2 after */
	uint64_t next_info;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = (*s += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int dial(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* One request-reply on the control connection, the reply into buf. */
static void ctl(struct peer *p, const char *cmd, char *buf, size_t len)
{
	size_t got = 0, want = 0;
	ssize_t k;

	if (write(p->ctl, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		perror("control");
		exit(1);
	}
	while (got < len - 1) {
		k = read(p->ctl, buf + got, len - 1 - got);
		if (k <= 0) {
			perror("control reply");
			exit(1);
		}
		got += k;
		buf[got] = 0;
		if (buf[0] != '$' && strstr(buf, "\r\n"))
			break;
		if (buf[0] == '$' && !want && strstr(buf, "\r\n"))
			want = (strstr(buf, "\r\n") - buf) + 2 + atol(buf + 1) +
			       2;
		if (want && got >= want)
			break;
	}
}

/* The text of an INFO field (up to the line's end), or NULL. */
static const char *info_text(struct peer *p, const char *section, const char *f)
{
	static char buf[1 << 16];
	char cmd[64], key[64], *at;

	snprintf(cmd, sizeof(cmd), "INFO %s\r\n", section);
	ctl(p, cmd, buf, sizeof(buf));
	snprintf(key, sizeof(key), "\n%s:", f);
	at = strstr(buf, key);
	if (!at)
		return NULL;
	at += strlen(key);
	at[strcspn(at, "\r\n")] = 0;
	return at;
}

static uint64_t info_field(struct peer *p, const char *section, const char *f)
{
	const char *t = info_text(p, section, f);

	return t ? strtoull(t, NULL, 10) : UINT64_MAX;
}

static void build(struct peer *p, uint64_t i)
{
	uint64_t key = rnd(&p->rng) % p->keys, v, j;
	char hdr[128];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "*3\r\n$3\r\nSET\r\n$%d\r\nkey:%llu\r\n$%llu\r\n",
		     snprintf(NULL, 0, "key:%llu", (unsigned long long)key),
		     (unsigned long long)key, (unsigned long long)p->vsize);
	memcpy(p->tx, hdr, n);
	for (j = 0; j < p->vsize; j += 8) {
		v = rnd(&p->rng);
		memcpy(p->tx + n + j, &v, p->vsize - j < 8 ? p->vsize - j : 8);
	}
	memcpy(p->tx + n + p->vsize, "\r\n", 2);
	p->tx_len = n + p->vsize + 2;
	p->tx_off = 0;
	(void)i;
}

static void on_reply(struct peer *p, uint64_t t)
{
	uint64_t i = p->nrecv++;

	p->lat[i] = t - p->due[i];
	p->ulat[i] = t - p->sent[i];
	p->during[i] = p->saving == 1;
}

static void recv_replies(struct peer *p)
{
	char buf[65536];
	ssize_t k = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);
	uint64_t t = now_ns();

	if (k == 0 || (k < 0 && errno != EAGAIN)) {
		fprintf(stderr, "the server went away\n");
		exit(1);
	}
	for (ssize_t j = 0; j < k; j++)
		if (buf[j] == '\n')
			on_reply(p, t);
}

/* BGSAVE after a quarter of the replies; then INFO every ms until done. */
static void watch_save(struct peer *p, uint64_t t)
{
	char buf[256];

	if (!p->saving && p->nrecv >= p->sets / 4) {
		ctl(p, "BGSAVE\r\n", buf, sizeof(buf));
		if (!strstr(buf, "Background saving started")) {
			fprintf(stderr, "BGSAVE: %s", buf);
			exit(1);
		}
		p->saving = 1;
		p->next_info = t;
	}
	if (p->saving == 1 && t >= p->next_info) {
		if (!info_field(p, "persistence", "rdb_bgsave_in_progress"))
			p->saving = 2;
		p->next_info = now_ns() + 1000000;
	}
}

static void loop(struct peer *p)
{
	uint64_t start = now_ns();

	while (p->nrecv < p->sets || p->saving == 1) {
		uint64_t t = now_ns(),
			 due = start + p->nsent * 1000000000ULL / p->rate;
		struct pollfd pf = { .fd = p->fd, .events = POLLIN };
		int wait_ms = 1;

		if (p->tx_off == p->tx_len && p->nsent < p->sets && t >= due) {
			p->due[p->nsent] = due;
			p->lag[p->nsent] = t - due;
			build(p, p->nsent);
			p->sent[p->nsent++] = now_ns();
		}
		if (p->tx_off < p->tx_len) {
			pf.events |= POLLOUT;
			wait_ms = 0;
		}
		poll(&pf, 1, wait_ms);
		if (pf.revents & POLLOUT) {
			ssize_t k = send(p->fd, p->tx + p->tx_off,
					 p->tx_len - p->tx_off, MSG_DONTWAIT);
			if (k > 0)
				p->tx_off += k;
		}
		if (pf.revents & POLLIN)
			recv_replies(p);
		watch_save(p, now_ns());
	}
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* p50 p99 p999 max of v[i] for i where sel[i] == want (want 2: all), us */
static void pcts(const char *name, struct peer *p, const uint64_t *v, int want)
{
	uint64_t *s = malloc(p->sets * sizeof(*s)), n = 0, i;
	static const double q[] = { 50, 99, 99.9 };
	static const char *qn[] = { "p50", "p99", "p999" };

	for (i = 0; i < p->sets; i++)
		if (want == 2 || p->during[i] == want)
			s[n++] = v[i];
	if (!n) {
		free(s);
		return;
	}
	qsort(s, n, sizeof(*s), cmp);
	printf("%s_n=%llu", name, (unsigned long long)n);
	for (i = 0; i < 3; i++)
		printf(" %s_%s_us=%.1f", name, qn[i],
		       s[(uint64_t)(q[i] / 100 * (n - 1) + 0.5)] / 1000.0);
	printf(" %s_max_us=%.1f\n", name, s[n - 1] / 1000.0);
	free(s);
}

int main(int argc, char **argv)
{
	struct peer p = { 0 };
	uint64_t n, i;

	if (argc != 6) {
		fprintf(stderr, "usage: %s PORT KEYS VALUE SETS RATE\n",
			argv[0]);
		return 2;
	}
	p.keys = strtoull(argv[2], NULL, 0);
	p.vsize = strtoull(argv[3], NULL, 0);
	p.sets = strtoull(argv[4], NULL, 0);
	p.rate = strtoull(argv[5], NULL, 0);
	if (!p.keys || !p.vsize || p.sets < 4 || !p.rate) {
		fprintf(stderr, "%s: KEYS, VALUE, RATE > 0, SETS >= 4\n",
			argv[0]);
		return 2;
	}
	p.rng = 0x5e7;
	p.fd = dial(atoi(argv[1]));
	p.ctl = dial(atoi(argv[1]));
	p.due = calloc(p.sets, 8);
	p.sent = calloc(p.sets, 8);
	p.lat = calloc(p.sets, 8);
	p.ulat = calloc(p.sets, 8);
	p.lag = calloc(p.sets, 8);
	p.during = calloc(p.sets, 1);
	p.tx = malloc(p.vsize + 128);
	loop(&p);
	for (n = 0, i = 0; i < p.sets; i++)
		n += p.during[i];
	printf("sets=%llu sets_during_snapshot=%llu\n",
	       (unsigned long long)p.sets, (unsigned long long)n);
	pcts("set_snap", &p, p.lat, 1);
	pcts("set_idle", &p, p.lat, 0);
	pcts("set_snap_uncorrected", &p, p.ulat, 1);
	pcts("gen_lag_snap", &p, p.lag, 1);
	printf("rdb_last_cow_size=%llu\n",
	       (unsigned long long)info_field(&p, "persistence",
					      "rdb_last_cow_size"));
	printf("rdb_last_bgsave_status=%s\n",
	       info_text(&p, "persistence", "rdb_last_bgsave_status"));
	printf("latest_fork_usec=%llu\n",
	       (unsigned long long)info_field(&p, "stats", "latest_fork_usec"));
	printf("rdb_last_bgsave_time_sec=%llu\n",
	       (unsigned long long)info_field(&p, "persistence",
					      "rdb_last_bgsave_time_sec"));
	return 0;
}
