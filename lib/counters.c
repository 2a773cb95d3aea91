// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <perf/core.h>
#include <perf/cpumap.h>
#include <perf/event.h>
#include <perf/evlist.h>
#include <perf/evsel.h>
#include <perf/mmap.h>
#include <perf/threadmap.h>
#include <perfmon/pfmlib_perf_event.h>

#include "counters.h"

/* libperf keeps it internal (internal/evsel.h); we link libperf.a statically. */
int perf_evsel__apply_filter(struct perf_evsel *evsel, const char *filter);

#define TLB_EVENT "tlb/tlb_flush"
#define FAULT_EVENT "exceptions/page_fault_user"

/* Overridable so that tests take every skip path on every machine. */
static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

const char *tracefs_dir(void)
{
	return env_or("COWBENCH_TRACEFS", "/sys/kernel/tracing");
}

static int quiet(enum libperf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static char *tp_file(const char *event, const char *file)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs_dir(), event,
		 file);
	return slurp(path, NULL);
}

static int tp_id(const char *event)
{
	char *s = tp_file(event, "id");
	int id = s ? atoi(s) : -1;

	free(s);
	return id;
}

/* Byte offset of a field in the tracepoint's raw record, or -1. */
static int tp_field_offset(const char *event, const char *field)
{
	char *fmt = tp_file(event, "format"), pat[64], *p;
	int off = -1;

	snprintf(pat, sizeof(pat), " %s;\toffset:", field);
	p = fmt ? strstr(fmt, pat) : NULL;
	if (p)
		off = atoi(p + strlen(pat));
	free(fmt);
	return off;
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

	for (i = 0; i < ARRAY_SIZE(known); i++) {
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
	char *fmt = tp_file(TLB_EVENT, "format"), *p;
	int n = 0;

	if (!fmt) {
		snprintf(err, errlen, "no tlb:tlb_flush tracepoint in %s (%s)",
			 tracefs_dir(), strerror(errno));
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
			 "tlb:tlb_flush reasons not found in its format");
	return n ? n : -1;
}

static void base_attr(struct perf_event_attr *a, uint32_t type, uint64_t cfg)
{
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->size = sizeof(*a);
	a->config = cfg;
	a->disabled = 1;
	a->read_format =
		PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
}

/*
 * The tasks of the measured mm: this process's threads when the window
 * opens (the writer, a thread party, remote-flush's siblings), not
 * io_uring's workers.  -1 if there are more than max.
 */
static int own_tasks(pid_t *tids, int max)
{
	DIR *d = opendir("/proc/self/task");
	char path[320], comm[32];
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 de->d_name);
		if (read_text(path, comm, sizeof(comm)) > 0 &&
		    !strncmp(comm, "iou-", 4))
			continue;
		if (n == max) {
			n = -1;
			break;
		}
		tids[n++] = atoi(de->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

/* Open on the measured mm's tasks, or on one CPU for every task (cpu >= 0). */
static struct perf_evsel *open_evsel(struct counters *c,
				     struct perf_event_attr *a, int cpu,
				     const char *filter, int *err)
{
	struct perf_evsel *e = perf_evsel__new(a);
	struct perf_cpu_map *cpus;
	struct perf_thread_map *threads;
	char list[16];

	if (!e) {
		*err = ENOMEM;
		return NULL;
	}
	snprintf(list, sizeof(list), "%d", cpu);
	cpus = cpu >= 0 ? perf_cpu_map__new(list) : perf_cpu_map__dummy_new();
	threads = cpu >= 0 ? perf_thread_map__new_dummy() :
			     perf_thread_map__new_array(c->ntasks, c->tasks);
	errno = 0;
	if (perf_evsel__open(e, cpus, threads) ||
	    (filter && perf_evsel__apply_filter(e, filter))) {
		*err = errno ? errno : EINVAL;
		perf_evsel__close(e);
		perf_evsel__delete(e);
		e = NULL;
	}
	perf_cpu_map__put(cpus);
	perf_thread_map__put(threads);
	return e;
}

static const char *errname(int err)
{
	return err == ENOENT ? "ENOENT" : strerror(err);
}

static void open_task_faults(struct counters *c)
{
	static const uint64_t sw[3] = { PERF_COUNT_SW_PAGE_FAULTS,
					PERF_COUNT_SW_PAGE_FAULTS_MIN,
					PERF_COUNT_SW_PAGE_FAULTS_MAJ };
	struct perf_event_attr a;
	int i, err = 0;

	for (i = 0; i < 3; i++) {
		base_attr(&a, PERF_TYPE_SOFTWARE, sw[i]);
		c->faults[i] = open_evsel(c, &a, -1, NULL, &err);
	}
}

/* Every online CPU but this one, or NULL if there is none. */
static struct perf_cpu_map *others_cpus(void)
{
	struct perf_cpu_map *all = perf_cpu_map__new(NULL), *others = NULL;
	char list[4096] = "";
	int k, len = 0, me = sched_getcpu();

	for (k = 0; all && k < perf_cpu_map__nr(all); k++) {
		int cpu = perf_cpu_map__cpu(all, k).cpu;

		if (cpu == me)
			continue;
		if (len > (int)sizeof(list) - 16)
			die(1, "internal limit: CPU list over %zu bytes",
			    sizeof(list));
		len += snprintf(list + len, sizeof(list) - len, "%s%d",
				len ? "," : "", cpu);
	}
	perf_cpu_map__put(all);
	if (len)
		others = perf_cpu_map__new(list);
	return others;
}

/*
 * Receivers of remote flushes, traced in the IPI handler of the receiving
 * CPU: counted on every CPU but the opener's (libperf sums them), filtered
 * to the measured mm's tasks as the interrupted task (common_pid).  Not
 * seen: a flush received by a CPU that runs another task, one received on
 * the opener's CPU (there, measured on 6.18, the writer's own COW traces a
 * remote_shootdown and a remote_wrong_cpu per copy too: no filter tells
 * them apart), and a broadcast flush (AMD INVLPGB: no IPI, no receiver
 * tracepoint; env.json says whether the CPU has it).
 */
/* "reason == N[ && pages != 0] && (common_pid == T || ...)" */
static void receiver_filter(const struct counters *c, int i, bool flush,
			    char *buf, int len)
{
	int k, n = snprintf(buf, len, "reason == %d%s && (", i,
			    flush ? " && pages != 0" : "");

	for (k = 0; k < c->ntasks; k++)
		n += snprintf(buf + n, len - n, "%scommon_pid == %d",
			      k ? " || " : "", (int)c->tasks[k]);
	snprintf(buf + n, len - n, ")");
}

static void open_receiver(struct counters *c, int i, int id)
{
	struct perf_cpu_map *others = others_cpus();
	struct perf_thread_map *none = perf_thread_map__new_dummy();
	bool flush = !strcmp(c->tlb_name[i], "remote_shootdown");
	struct countset *set = flush ? &c->tlb_set : &c->ev_set;
	char filter[64 + MAX_TASKS * 24];
	struct perf_event_attr a;
	bool ok;

	receiver_filter(c, i, flush, filter, sizeof(filter));
	base_attr(&a, PERF_TYPE_TRACEPOINT, id);
	/*
	 * Through an evlist: an evsel opened alone keeps no CPU map, and
	 * apply_filter() would then filter its first CPU only.
	 */
	c->recv_list[i] = others ? perf_evlist__new() : NULL;
	c->recv[i] = c->recv_list[i] ? perf_evsel__new(&a) : NULL;
	if (c->recv[i]) {
		perf_evlist__add(c->recv_list[i], c->recv[i]);
		perf_evlist__set_maps(c->recv_list[i], others, none);
	}
	errno = 0;
	ok = c->recv[i] && !perf_evlist__open(c->recv_list[i]) &&
	     !perf_evsel__apply_filter(c->recv[i], filter);
	if (!others)
		cs_skip_key(set, c->tlb_name[i],
			    "one CPU: no other CPU to receive a flush");
	else if (!ok)
		cs_skip_key(set, c->tlb_name[i], "per-CPU open: %s",
			    errname(errno ? errno : EINVAL));
	if (ok) {
		c->ncpus = perf_cpu_map__nr(others);
	} else if (c->recv_list[i]) {
		perf_evlist__delete(c->recv_list[i]); /* closes, frees evsels */
		c->recv_list[i] = NULL;
		c->recv[i] = NULL;
	}
	perf_cpu_map__put(others);
	perf_thread_map__put(none);
}

/*
 * Which side traces a reason: remote_shootdown and remote_wrong_cpu fire
 * in the IPI handler of the receiving CPU; task_switch is an mm switch,
 * traced between sched-out and sched-in, never a cost of the window.
 */
static void open_tlb(struct counters *c)
{
	struct perf_event_attr a;
	char err[160], filter[64];
	int id = tp_id(TLB_EVENT), i, e = 0;

	c->ntlb = tlb_reasons(c->tlb_name, TLB_REASONS, err, sizeof(err));
	if (c->ntlb < 0 || id < 0) {
		c->ntlb = 0;
		cs_skip_all(&c->tlb_set, "%s",
			    id < 0 ? "no tlb:tlb_flush tracepoint (x86 only)" :
				     err);
		cs_skip_all(&c->ev_set, "%s", c->tlb_set.skip);
		return;
	}
	for (i = 0; i < c->ntlb; i++) {
		const char *n = c->tlb_name[i];
		bool ipi = !strcmp(n, "remote_send_ipi");

		if (!strcmp(n, "task_switch"))
			continue;
		if (!strcmp(n, "remote_shootdown") ||
		    !strcmp(n, "remote_wrong_cpu")) {
			open_receiver(c, i, id);
			continue;
		}
		base_attr(&a, PERF_TYPE_TRACEPOINT, id);
		snprintf(filter, sizeof(filter),
			 ipi ? "reason == %d" : "reason == %d && pages != 0",
			 i);
		c->tlb[i] = open_evsel(c, &a, -1, filter, &e);
		if (!c->tlb[i])
			cs_skip_key(ipi ? &c->ev_set : &c->tlb_set, n,
				    "perf_event_open: %s", errname(e));
	}
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 8;

	while (p < n)
		p <<= 1;
	return p;
}

/*
 * Every fault on the region by a task of the measured mm, one sample
 * each, into a ring buffer per task.
 */
static void open_sampler(struct counters *c, size_t pages)
{
	struct perf_cpu_map *any = perf_cpu_map__dummy_new();
	struct perf_thread_map *self;
	struct perf_event_attr a;
	struct perf_evsel *e;
	char filter[96];
	int id = tp_id(FAULT_EVENT);

	if (id < 0) {
		snprintf(c->fault_skip, sizeof(c->fault_skip),
			 "no exceptions:page_fault_user tracepoint in %s",
			 tracefs_dir());
		perf_cpu_map__put(any);
		return;
	}
	base_attr(&a, PERF_TYPE_TRACEPOINT, id);
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_RAW;
	self = perf_thread_map__new_array(c->ntasks, c->tasks);
	c->sampler = perf_evlist__new();
	e = perf_evsel__new(&a);
	perf_evlist__add(c->sampler, e);
	perf_evlist__set_maps(c->sampler, any, self);
	snprintf(filter, sizeof(filter), "address >= 0x%lx && address < 0x%lx",
		 (unsigned long)c->lo, (unsigned long)c->hi);
	errno = 0;
	/* a sample is ~48 bytes; room for two faults per page, per task */
	if (perf_evlist__open(c->sampler) ||
	    perf_evsel__apply_filter(e, filter) ||
	    perf_evlist__mmap(
		    c->sampler,
		    test_fault("small-ring") ?
			    1 :
			    pow2_at_least(pages * 96 / PAGE_SZ + 1))) {
		snprintf(c->fault_skip, sizeof(c->fault_skip),
			 "exceptions:page_fault_user sampling: %s",
			 errname(errno ? errno : EINVAL));
		perf_evlist__close(c->sampler);
		perf_evlist__delete(c->sampler);
		c->sampler = NULL;
	}
	perf_cpu_map__put(any);
	perf_thread_map__put(self);
}

const char *hw_probe(void)
{
	static char why[200];
	const char *dir =
		env_or("COWBENCH_PMU_DIR", "/sys/bus/event_source/devices/cpu");

	if (access(dir, F_OK)) {
		snprintf(why, sizeof(why), "no cpu PMU (no %s)", dir);
		return why;
	}
	if (pfm_initialize() != PFM_SUCCESS) {
		snprintf(why, sizeof(why), "libpfm4 could not initialise");
		return why;
	}
	return NULL;
}

static void open_hw_event(struct counters *c, const char *name)
{
	struct perf_event_attr a;
	pfm_perf_encode_arg_t arg;
	int ret, err = 0;

	if (c->nhw == HW_MAX)
		die(1, "internal limit: more than %d hardware events", HW_MAX);
	memset(&a, 0, sizeof(a));
	memset(&arg, 0, sizeof(arg));
	arg.attr = &a;
	arg.size = sizeof(arg);
	ret = pfm_get_os_event_encoding(name, PFM_PLM0 | PFM_PLM3,
					PFM_OS_PERF_EVENT, &arg);
	if (ret != PFM_SUCCESS) {
		cs_skip_key(&c->hw_set, name, "libpfm4 cannot encode it: %s",
			    pfm_strerror(ret));
		return;
	}
	a.size = sizeof(a);
	a.disabled = 1;
	a.read_format =
		PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
	c->hw[c->nhw] = open_evsel(c, &a, -1, NULL, &err);
	if (!c->hw[c->nhw]) {
		cs_skip_key(&c->hw_set, name, "perf_event_open: %s",
			    errname(err));
		return;
	}
	snprintf(c->hw_name[c->nhw++], sizeof(c->hw_name[0]), "%s", name);
}

static void open_hw(struct counters *c)
{
	char *list = xstrdup(env_or(
		"COWBENCH_HW_EVENTS",
		"cycles,instructions,dTLB-load-misses,dTLB-store-misses"));
	const char *why = hw_probe();
	char *tok, *save = NULL;

	if (why)
		cs_skip_all(&c->hw_set, "%s", why);
	for (tok = strtok_r(list, ",", &save); !why && tok;
	     tok = strtok_r(NULL, ",", &save))
		open_hw_event(c, tok);
	free(list);
}

void counters_open(struct counters *c, const void *region, size_t pages,
		   bool whole_mm)
{
	memset(c, 0, sizeof(*c));
	libperf_init(quiet);
	c->ntasks = whole_mm ? own_tasks(c->tasks, MAX_TASKS) : 0;
	if (c->ntasks < 1) { /* this thread alone */
		c->tasks_cut = c->ntasks < 0;
		c->tasks[0] = gettid();
		c->ntasks = 1;
	}
	open_task_faults(c);
	open_tlb(c);
	open_hw(c);
	c->lo = (uintptr_t)region;
	c->hi = c->lo + pages * PAGE_SZ;
	if (region && pages)
		open_sampler(c, pages);
	else
		snprintf(c->fault_skip, sizeof(c->fault_skip),
			 "no region to attribute faults to");
}

#define ALL_EVSELS(c, e, body)                         \
	do {                                           \
		int _i;                                \
		for (_i = 0; _i < 3; _i++)             \
			if (((e) = (c)->faults[_i]))   \
				body;                  \
		for (_i = 0; _i < TLB_REASONS; _i++) { \
			if (((e) = (c)->tlb[_i]))      \
				body;                  \
			if (((e) = (c)->recv[_i]))     \
				body;                  \
		}                                      \
		for (_i = 0; _i < (c)->nhw; _i++)      \
			if (((e) = (c)->hw[_i]))       \
				body;                  \
	} while (0)

void counters_enable(struct counters *c)
{
	struct perf_evsel *e;

	ALL_EVSELS(c, e, perf_evsel__enable(e));
	if (c->sampler)
		perf_evlist__enable(c->sampler);
}

void counters_disable(struct counters *c)
{
	struct perf_evsel *e;

	if (c->sampler)
		perf_evlist__disable(c->sampler);
	ALL_EVSELS(c, e, perf_evsel__disable(e));
}

/* Sum over the evsel's CPUs, scaled for multiplexing. */
/*
 * The sum over an evsel's CPUs and tasks, scaled where multiplexed (an
 * evsel opened alone keeps no maps: the caller says how many it had).
 */
static int64_t value_of(struct perf_evsel *e, int ncpu, int nthr)
{
	struct perf_counts_values v;
	double sum = 0;
	int i, t;

	for (i = 0; i < ncpu; i++)
		for (t = 0; t < nthr; t++) {
			memset(&v, 0, sizeof(v));
			if (perf_evsel__read(e, i, t, &v))
				return -1;
			if (v.run && v.run < v.ena)
				sum += (double)v.val * v.ena / v.run;
			else
				sum += v.val;
		}
	return (int64_t)(sum + 0.5);
}

/* A per-task evsel: one value per task of the measured mm. */
static int64_t value(const struct counters *c, struct perf_evsel *e)
{
	return value_of(e, 1, c->ntasks);
}

static void read_tlb(struct counters *c, struct counts *out)
{
	int i;

	for (i = 0; i < c->ntlb; i++) {
		struct perf_evsel *e = c->tlb[i] ? c->tlb[i] : c->recv[i];
		const char *n = c->tlb_name[i];
		bool ev = !strcmp(n, "remote_send_ipi") ||
			  !strcmp(n, "remote_wrong_cpu");

		if (e && !c->tasks_cut)
			kv_set(ev ? &c->ev_set.v : &c->tlb_set.v, n,
			       c->tlb[i] ? value(c, e) :
					   value_of(e, c->ncpus, 1));
	}
	out->tlb = c->tlb_set;
	out->tlb_events = c->ev_set;
}

#define X86_PF_PROT 1 /* the page was present: a protection (write) fault */

/*
 * The pages one fault made writable: a not-present fault maps a whole
 * folio of the backing (unit pages: an mTHP, a PMD); a protection fault
 * on a PTE-mapped folio (an mTHP) changes one PTE, on a PMD or larger
 * mapping the whole mapping (a reuse; a split then faults per page).
 */
static void mark_fault(struct counters *c, uint64_t addr, uint64_t err,
		       size_t unit, int8_t *faulted, size_t stride,
		       size_t pages)
{
	size_t i, j;

	if ((err & X86_PF_PROT) && unit < PMD_SZ / PAGE_SZ)
		unit = 1;
	i = (addr - c->lo) / PAGE_SZ / unit * unit;
	for (j = i; j < i + unit && j < pages; j++)
		faulted[j * stride] = 1;
}

/* Walk the ring buffer: one sample per fault on the region. */
static void read_samples(struct counters *c, struct counts *out, size_t unit,
			 int8_t *faulted, size_t stride)
{
	int off = tp_field_offset(FAULT_EVENT, "address"),
	    eoff = tp_field_offset(FAULT_EVENT, "error_code");
	size_t pages = (c->hi - c->lo) / PAGE_SZ, i;
	int64_t count = value_of(perf_evlist__next(c->sampler, NULL), 1,
				 c->ntasks),
		n = 0;
	struct perf_mmap *m;
	union perf_event *ev;

	for (i = 0; faulted && i < pages; i++)
		faulted[i * stride] = 0;
	perf_evlist__for_each_mmap(c->sampler, m, false)
	{
		if (perf_mmap__read_init(m) < 0)
			continue;
		while ((ev = perf_mmap__read_event(m))) {
			const char *raw = (const char *)ev + sizeof(ev->header);
			uint64_t addr, err = 0;

			if (ev->header.type == PERF_RECORD_LOST)
				out->samples_lost += ev->lost.lost;
			if (ev->header.type == PERF_RECORD_SAMPLE && off >= 0) {
				memcpy(&addr, raw + 4 + off, 8);
				if (eoff >= 0)
					memcpy(&err, raw + 4 + eoff, 8);
				n++;
				if (faulted && addr >= c->lo && addr < c->hi)
					mark_fault(c, addr, err, unit, faulted,
						   stride, pages);
			}
			perf_mmap__consume(m);
		}
		perf_mmap__read_done(m);
	}
	/*
	 * A full ring drops samples, and no LOST record follows while it
	 * stays full: the event's own count says how many there were.
	 */
	if (count >= 0 && count > n + (int64_t)out->samples_lost)
		out->samples_lost = count - n;
	out->region_faults = n;
	if (out->samples_lost || off < 0) {
		out->region_faults = -1;
		snprintf(out->region_skip, sizeof(out->region_skip),
			 off < 0 ? "no address field in the tracepoint" :
				   "%llu fault samples lost",
			 (unsigned long long)out->samples_lost);
		for (i = 0; faulted && i < pages; i++)
			faulted[i * stride] = -1;
	}
}

void counters_read(struct counters *c, struct counts *out, size_t unit_pages,
		   int8_t *faulted, size_t stride)
{
	size_t i, pages = (c->hi - c->lo) / PAGE_SZ;
	int k;

	memset(out, 0, sizeof(*out));
	out->faults_task = c->faults[0] ? value(c, c->faults[0]) : -1;
	out->faults_min = c->faults[1] ? value(c, c->faults[1]) : -1;
	out->faults_maj = c->faults[2] ? value(c, c->faults[2]) : -1;
	if (c->tasks_cut) { /* the opener alone: not the mm's counts */
		out->faults_task = out->faults_min = out->faults_maj = -1;
		cs_skip_all(&c->tlb_set, "more than %d threads in the process",
			    MAX_TASKS);
		cs_skip_all(&c->ev_set, "%s", c->tlb_set.skip);
	}
	read_tlb(c, out);
	for (k = 0; k < c->nhw; k++)
		kv_set(&c->hw_set.v, c->hw_name[k], value(c, c->hw[k]));
	out->hw = c->hw_set;
	if (c->sampler && !c->tasks_cut) {
		read_samples(c, out, unit_pages ? unit_pages : 1, faulted,
			     stride);
		return;
	}
	if (c->tasks_cut) /* the opener's samples alone miss the others' */
		snprintf(c->fault_skip, sizeof(c->fault_skip),
			 "more than %d threads in the process", MAX_TASKS);
	out->region_faults = -1;
	snprintf(out->region_skip, sizeof(out->region_skip), "%s",
		 c->fault_skip);
	for (i = 0; faulted && i < pages; i++)
		faulted[i * stride] = -1;
}

void counters_close(struct counters *c)
{
	struct perf_evsel *e;
	int i;

	for (i = 0; i < TLB_REASONS; i++) {
		if (c->recv_list[i])
			perf_evlist__delete(c->recv_list[i]);
		c->recv[i] = NULL;
	}
	ALL_EVSELS(c, e, {
		perf_evsel__close(e);
		perf_evsel__delete(e);
	});
	if (c->sampler) {
		perf_evlist__munmap(c->sampler);
		perf_evlist__close(c->sampler);
		perf_evlist__delete(c->sampler);
	}
	memset(c, 0, sizeof(*c));
}
