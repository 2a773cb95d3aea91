// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <perf/core.h>
#include <perf/cpumap.h>
#include <perf/evlist.h>
#include <perf/evsel.h>
#include <perf/threadmap.h>
#include <perfmon/pfmlib_perf_event.h>

#include "counters.h"

/* libperf keeps it internal (internal/evsel.h); we link libperf.a statically. */
int perf_evsel__apply_filter(struct perf_evsel *evsel, const char *filter);

#define TRACEFS "/sys/kernel/tracing/events/tlb/tlb_flush/"

static const char *const hw_events[] = { "cycles", "instructions",
					 "dTLB-load-misses" };

static int quiet(enum libperf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* "flush on task switch" -> task_switch, "remote IPI send" -> remote_send_ipi */
static void reason_key(const char *text, char *key, int len)
{
	static const struct {
		const char *text, *key;
	} known[] = {
		{ "flush on task switch", "task_switch" },
		{ "remote shootdown", "remote_shootdown" },
		{ "local shootdown", "local_shootdown" },
		{ "local MM shootdown", "local_mm_shootdown" },
		{ "remote IPI send", "remote_send_ipi" },
		{ "remote wrong CPU", "remote_wrong_cpu" },
	};
	size_t i;
	int j;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!strcmp(text, known[i].text)) {
			snprintf(key, len, "%s", known[i].key);
			return;
		}
	}
	for (j = 0; text[j] && j < len - 1; j++)
		key[j] = text[j] == ' ' ? '_' : (text[j] | 0x20);
	key[j] = '\0';
}

int tlb_reasons(char names[][32], int max, char *err, int errlen)
{
	char *fmt = slurp(TRACEFS "format", NULL), *p;
	int n = 0;

	if (!fmt) {
		snprintf(err, errlen, "no tlb:tlb_flush tracepoint (%s)",
			 strerror(errno));
		return -1;
	}
	p = strstr(fmt, "__print_symbolic(REC->reason");
	while (p && (p = strstr(p, "{ ")) && n < max) {
		int num, used = 0;
		char text[64];

		if (sscanf(p, "{ %d, \"%63[^\"]\" }%n", &num, text, &used) <
			    2 ||
		    num != n)
			break;
		reason_key(text, names[n++], 32);
		p += used ? used : 2;
	}
	free(fmt);
	if (!n)
		snprintf(err, errlen,
			 "tlb:tlb_flush reasons not found in format");
	return n ? n : -1;
}

static struct perf_evsel *add(struct perf_evlist *l, struct perf_event_attr *a)
{
	struct perf_evsel *e = perf_evsel__new(a);

	if (e)
		perf_evlist__add(l, e);
	return e;
}

static void sw_attr(struct perf_event_attr *a, uint64_t config)
{
	memset(a, 0, sizeof(*a));
	a->type = PERF_TYPE_SOFTWARE;
	a->size = sizeof(*a);
	a->config = config;
	a->disabled = 1;
	a->read_format =
		PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
}

static int tracepoint_id(void)
{
	char buf[32];

	return read_text(TRACEFS "id", buf, sizeof(buf)) > 0 ? atoi(buf) : -1;
}

static void open_tlb(struct counters *c, struct perf_evlist *task)
{
	struct perf_event_attr a;
	int id = tracepoint_id(), i;

	c->ntlb = tlb_reasons(c->tlb_name, TLB_REASONS, c->tlb_skip,
			      sizeof(c->tlb_skip));
	if (c->ntlb < 0 || id < 0) {
		c->ntlb = 0;
		if (!c->tlb_skip[0])
			snprintf(c->tlb_skip, sizeof(c->tlb_skip),
				 "no tlb:tlb_flush tracepoint (x86 only)");
		return;
	}
	c->remote_reason = -1;
	for (i = 0; i < c->ntlb; i++) {
		sw_attr(&a, id);
		a.type = PERF_TYPE_TRACEPOINT;
		if (!strcmp(c->tlb_name[i], "remote_shootdown")) {
			c->remote_reason = i;
			continue;
		}
		c->tlb[i] = add(task, &a);
	}
}

static int apply_filters(struct counters *c)
{
	char filter[32];
	int i;

	for (i = 0; i < c->ntlb; i++) {
		struct perf_evsel *e =
			i == c->remote_reason ? c->tlb_remote : c->tlb[i];

		if (!e)
			continue;
		snprintf(filter, sizeof(filter), "reason == %d", i);
		if (perf_evsel__apply_filter(e, filter))
			return -1;
	}
	return 0;
}

/* Remote shootdowns, on every online CPU except the writer's. */
static void open_remote(struct counters *c, int writer_cpu, int id)
{
	struct perf_cpu_map *all = perf_cpu_map__new(NULL), *others;
	struct perf_thread_map *none = perf_thread_map__new_dummy();
	struct perf_event_attr a;
	char list[1024] = "";
	int i, len = 0;

	for (i = 0; all && i < perf_cpu_map__nr(all); i++) {
		int cpu = perf_cpu_map__cpu(all, i).cpu;

		if (cpu != writer_cpu && len < (int)sizeof(list) - 16)
			len += snprintf(list + len, sizeof(list) - len, "%s%d",
					len ? "," : "", cpu);
	}
	perf_cpu_map__put(all);
	if (!len || c->remote_reason < 0) {
		perf_thread_map__put(none);
		return;
	}
	others = perf_cpu_map__new(list);
	c->cpus = perf_evlist__new();
	sw_attr(&a, id);
	a.type = PERF_TYPE_TRACEPOINT;
	c->tlb_remote = add(c->cpus, &a);
	perf_evlist__set_maps(c->cpus, others, none);
	if (perf_evlist__open(c->cpus)) {
		perf_evlist__delete(c->cpus);
		c->cpus = NULL;
		c->tlb_remote = NULL;
	}
	perf_cpu_map__put(others);
	perf_thread_map__put(none);
}

const char *hw_probe(void)
{
	static char why[160];
	struct perf_event_attr a;
	pfm_perf_encode_arg_t arg;
	int ret, fd;

	if (access("/sys/bus/event_source/devices/cpu", F_OK)) {
		snprintf(why, sizeof(why),
			 "no cpu PMU (no /sys/bus/event_source/devices/cpu)");
		return why;
	}
	if (pfm_initialize() != PFM_SUCCESS) {
		snprintf(why, sizeof(why), "libpfm4 could not initialise");
		return why;
	}
	memset(&a, 0, sizeof(a));
	memset(&arg, 0, sizeof(arg));
	arg.attr = &a;
	arg.size = sizeof(arg);
	ret = pfm_get_os_event_encoding(hw_events[0], PFM_PLM0 | PFM_PLM3,
					PFM_OS_PERF_EVENT, &arg);
	if (ret != PFM_SUCCESS) {
		snprintf(why, sizeof(why), "libpfm4 cannot encode '%s': %s",
			 hw_events[0], pfm_strerror(ret));
		return why;
	}
	a.size = sizeof(a);
	a.disabled = 1;
	fd = (int)syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0) {
		snprintf(why, sizeof(why), "no cpu PMU (perf_event_open: %s)",
			 errno == ENOENT ? "ENOENT" : strerror(errno));
		return why;
	}
	close(fd);
	return NULL;
}

static void open_hw(struct counters *c, struct perf_evlist *task)
{
	const char *why = hw_probe();
	size_t i;

	if (why) {
		snprintf(c->hw_skip, sizeof(c->hw_skip), "%s", why);
		return;
	}
	for (i = 0; i < sizeof(hw_events) / sizeof(hw_events[0]); i++) {
		struct perf_event_attr a;
		pfm_perf_encode_arg_t arg;

		memset(&a, 0, sizeof(a));
		memset(&arg, 0, sizeof(arg));
		arg.attr = &a;
		arg.size = sizeof(arg);
		if (pfm_get_os_event_encoding(hw_events[i], PFM_PLM0 | PFM_PLM3,
					      PFM_OS_PERF_EVENT,
					      &arg) != PFM_SUCCESS)
			continue;
		a.size = sizeof(a);
		a.disabled = 1;
		a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
				PERF_FORMAT_TOTAL_TIME_RUNNING;
		snprintf(c->hw_name[c->nhw], sizeof(c->hw_name[0]), "%s",
			 hw_events[i]);
		c->hw[c->nhw++] = add(task, &a);
	}
}

int counters_open(struct counters *c, int writer_cpu)
{
	static const uint64_t sw[3] = { PERF_COUNT_SW_PAGE_FAULTS,
					PERF_COUNT_SW_PAGE_FAULTS_MIN,
					PERF_COUNT_SW_PAGE_FAULTS_MAJ };
	struct perf_cpu_map *any;
	struct perf_thread_map *self;
	struct perf_event_attr a;
	pid_t me = 0;
	int i;

	memset(c, 0, sizeof(*c));
	libperf_init(quiet);
	c->task = perf_evlist__new();
	for (i = 0; i < 3; i++) {
		sw_attr(&a, sw[i]);
		c->faults[i] = add(c->task, &a);
	}
	open_tlb(c, c->task);
	open_hw(c, c->task);
	any = perf_cpu_map__dummy_new();
	self = perf_thread_map__new_array(1, &me);
	perf_evlist__set_maps(c->task, any, self);
	perf_cpu_map__put(any);
	perf_thread_map__put(self);
	if (perf_evlist__open(c->task)) {
		perf_evlist__delete(c->task);
		c->task = NULL;
		return -1;
	}
	if (c->ntlb)
		open_remote(c, writer_cpu, tracepoint_id());
	if (c->ntlb && apply_filters(c)) {
		snprintf(c->tlb_skip, sizeof(c->tlb_skip),
			 "tlb:tlb_flush filter rejected");
		c->ntlb = 0;
	}
	return 0;
}

void counters_enable(struct counters *c)
{
	if (c->cpus)
		perf_evlist__enable(c->cpus);
	perf_evlist__enable(c->task);
}

void counters_disable(struct counters *c)
{
	perf_evlist__disable(c->task);
	if (c->cpus)
		perf_evlist__disable(c->cpus);
}

/* Sum over the evsel's CPUs, scaled for multiplexing. */
static uint64_t value(struct perf_evsel *e, int ncpu)
{
	struct perf_counts_values v;
	double sum = 0;
	int i;

	for (i = 0; i < ncpu; i++) {
		memset(&v, 0, sizeof(v));
		if (perf_evsel__read(e, i, 0, &v))
			continue;
		if (v.run && v.run < v.ena)
			sum += (double)v.val * v.ena / v.run;
		else
			sum += v.val;
	}
	return (uint64_t)(sum + 0.5);
}

void counters_read(struct counters *c, struct counts *out)
{
	int i, ncpu;

	memset(out, 0, sizeof(*out));
	out->faults = value(c->faults[0], 1);
	out->faults_min = value(c->faults[1], 1);
	out->faults_maj = value(c->faults[2], 1);
	for (i = 0; i < c->ntlb; i++) {
		if (i == c->remote_reason) {
			if (!c->tlb_remote)
				continue;
			ncpu = perf_cpu_map__nr(
				perf_evsel__cpus(c->tlb_remote));
			kv_set(&out->tlb, c->tlb_name[i],
			       value(c->tlb_remote, ncpu));
		} else if (c->tlb[i]) {
			kv_set(&out->tlb, c->tlb_name[i], value(c->tlb[i], 1));
		}
	}
	for (i = 0; i < c->nhw; i++)
		kv_set(&out->hw, c->hw_name[i], value(c->hw[i], 1));
	out->tlb_skip = c->ntlb ? NULL : c->tlb_skip;
	out->hw_skip = c->nhw ? NULL : c->hw_skip;
}

void counters_close(struct counters *c)
{
	if (c->task) {
		perf_evlist__close(c->task);
		perf_evlist__delete(c->task);
	}
	if (c->cpus) {
		perf_evlist__close(c->cpus);
		perf_evlist__delete(c->cpus);
	}
	memset(c, 0, sizeof(*c));
}
