// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmstat.h"

/* Reported keys; those marked 1 perturb a measurement when they move. */
static const struct {
	const char *name;
	int perturbs;
} keys[] = {
	{ "pgfault", 0 },
	{ "pgmajfault", 0 },
	{ "pgreuse", 0 },
	{ "cow_ksm", 0 },
	{ "thp_fault_alloc", 0 },
	{ "thp_fault_fallback", 0 },
	{ "thp_split_pmd", 0 },
	{ "thp_split_page", 0 },
	{ "thp_zero_page_alloc", 0 },
	{ "thp_deferred_split_page", 0 },
	{ "pswpin", 0 },
	{ "pswpout", 0 },
	{ "pgmigrate_success", 1 },
	{ "compact_stall", 1 },
	{ "compact_migrate_scanned", 1 },
	{ "thp_collapse_alloc", 1 },
	{ "numa_pte_updates", 1 },
	{ "ksm_swpin_copy", 1 },
	{ "pgpromote_success", 1 },
	/* the cowbench policy patch's decisions (configs/policies/) */
	{ "cow_pte_copy", 0 },
	{ "cow_pte_reuse", 0 },
	{ "cow_pmd_reuse", 0 },
	{ "cow_pmd_fallback", 0 },
	{ "cow_unshare_copy", 0 },
	{ "cow_unshare_reuse", 0 },
	{ "cow_swapin_reuse", 0 },
	{ "cow_fork_pinned_copy", 0 },
};

_Static_assert(ARRAY_SIZE(keys) <= 64, "vmsnap.present is one 64-bit mask");

static int key_index(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].name) == len &&
		    !strncmp(keys[i].name, name, len))
			return (int)i;
	return -1;
}

bool vmstat_known(const char *name)
{
	return key_index(name, strlen(name)) >= 0;
}

static void read_vmstat(struct vmsnap *s)
{
	char *text = slurp("/proc/vmstat", NULL), *p;

	for (p = text; p && *p;) {
		size_t len = strcspn(p, " ");
		int i = key_index(p, len);

		if (i >= 0) {
			s->v[i] = strtoll(p + len + 1, NULL, 10);
			s->present |= 1ULL << i;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	free(text);
}

static void read_interrupts(struct vmsnap *s)
{
	char *text = slurp("/proc/interrupts", NULL), *p, *end;

	p = text ? strstr(text, "\n TLB:") : NULL;
	if (!p && text)
		p = strstr(text, "\nTLB:");
	if (!p)
		goto out;
	p = strchr(p, ':') + 1;
	for (;;) {
		long long v = strtoll(p, &end, 10);

		if (end == p)
			break;
		s->tlb_irq += v;
		p = end;
	}
out:
	free(text);
}

static void read_stat(struct vmsnap *s)
{
	char *text = slurp("/proc/stat", NULL), *p;
	long long f[8];

	if (!text)
		return;
	if (sscanf(text, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &f[0],
		   &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]) == 8)
		s->steal_ticks = f[7];
	p = strstr(text, "\nctxt ");
	if (p)
		s->ctxt = strtoll(p + 6, NULL, 10);
	free(text);
}

void vmsnap_take(struct vmsnap *s)
{
	memset(s, 0, sizeof(*s));
	read_vmstat(s);
	read_interrupts(s);
	read_stat(s);
}

void vmsnap_delta(const struct vmsnap *a, const struct vmsnap *b,
		  struct kvset *out, int64_t *tlb_ipis)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (a->present & b->present & (1ULL << i))
			kv_set(out, keys[i].name, b->v[i] - a->v[i]);
	kv_set(out, "ctxt", b->ctxt - a->ctxt);
	kv_set(out, "steal_ticks", b->steal_ticks - a->steal_ticks);
	*tlb_ipis = b->tlb_irq - a->tlb_irq;
}

void vmsnap_perturbed(const struct vmsnap *a, const struct vmsnap *b,
		      uint64_t window_ns, char *buf, int len)
{
	double steal_ns =
		(b->steal_ticks - a->steal_ticks) * 1e9 / sysconf(_SC_CLK_TCK);
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!keys[i].perturbs ||
		    !(a->present & b->present & (1ULL << i)) ||
		    b->v[i] == a->v[i])
			continue;
		snprintf(buf, len, "%s +%lld", keys[i].name,
			 (long long)(b->v[i] - a->v[i]));
		return;
	}
	/*
	 * Steal comes in ticks: only a window of 100 ticks or more can see
	 * 10% of it.  Shorter windows see steal as lost time (with
	 * CONFIG_PARAVIRT_TIME_ACCOUNTING the thread's run time excludes it).
	 */
	if (window_ns >= 100 * 1e9 / sysconf(_SC_CLK_TCK) &&
	    steal_ns > 0.1 * window_ns)
		snprintf(buf, len, "steal %.0f%% of the window",
			 100.0 * steal_ns / window_ns);
}
