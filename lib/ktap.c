// SPDX-License-Identifier: GPL-2.0
/* A KTAP writer (ktap.h). */
#include <stdarg.h>

#include "ktap.h"

void ktap_begin(struct ktap *k, FILE *f, int plan)
{
	*k = (struct ktap){ .f = f, .plan = plan };
	fprintf(f, "KTAP version 1\n");
	if (plan >= 0)
		fprintf(f, "1..%d\n", plan);
	fflush(f);
}

void ktap_diag(struct ktap *k, const char *fmt, ...)
{
	va_list ap;

	fputs("# ", k->f);
	va_start(ap, fmt);
	vfprintf(k->f, fmt, ap);
	va_end(ap);
	fputc('\n', k->f);
	fflush(k->f);
}

void ktap_result(struct ktap *k, enum ktap_result r, const char *name,
		 const char *why)
{
	static const char *const directive[KT_NR] = {
		[KT_XFAIL] = "XFAIL", [KT_XPASS] = "XPASS", [KT_SKIP] = "SKIP"
	};
	bool bad = r == KT_FAIL || r == KT_ERROR;

	k->n++;
	k->count[r]++;
	/* a failure's reason goes before it: KTAP has no directive for it */
	if (bad && why && *why)
		ktap_diag(k, "%s%s", r == KT_ERROR ? "error: " : "", why);
	fprintf(k->f, "%sok %d %s", bad ? "not " : "", k->n, name);
	if (directive[r])
		fprintf(k->f, " # %s%s%s", directive[r], why && *why ? " " : "",
			why ? why : "");
	fputc('\n', k->f);
	fflush(k->f);
}

void ktap_resultf(struct ktap *k, enum ktap_result r, const char *fmt, ...)
{
	char name[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	ktap_result(k, r, name, NULL);
}

void ktap_totals(struct ktap *k)
{
	ktap_diag(k,
		  "Totals: pass:%d fail:%d xfail:%d xpass:%d skip:%d error:%d",
		  k->count[KT_PASS], k->count[KT_FAIL], k->count[KT_XFAIL],
		  k->count[KT_XPASS], k->count[KT_SKIP], k->count[KT_ERROR]);
}

void ktap_end(struct ktap *k)
{
	if (k->plan < 0)
		fprintf(k->f, "1..%d\n", k->n);
	ktap_totals(k);
}

void ktap_summary(const struct ktap *k)
{
	const int *c = k->count;

	fprintf(k->f, "%d passed, %d failed, %d skipped\n",
		c[KT_PASS] + c[KT_XFAIL],
		c[KT_FAIL] + c[KT_XPASS] + c[KT_ERROR], c[KT_SKIP]);
	fflush(k->f);
}

int ktap_exit(const struct ktap *k)
{
	return k->count[KT_FAIL] || k->count[KT_XPASS] || k->count[KT_ERROR];
}

void ktap_bail(struct ktap *k, const char *why)
{
	fprintf(k->f, "Bail out! %s\n", why);
	fflush(k->f);
}
