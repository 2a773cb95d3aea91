// SPDX-License-Identifier: GPL-2.0
/* A KTAP writer (ktap.h). */
#include <stdarg.h>

#include "ktap.h"

void ktap_begin(struct ktap *k, FILE *f, int plan)
{
	*k = (struct ktap){ .f = f };
	fprintf(f, "KTAP version 1\n1..%d\n", plan);
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

void ktap_totals(struct ktap *k)
{
	ktap_diag(k,
		  "Totals: pass:%d fail:%d xfail:%d xpass:%d skip:%d error:%d",
		  k->count[KT_PASS], k->count[KT_FAIL], k->count[KT_XFAIL],
		  k->count[KT_XPASS], k->count[KT_SKIP], k->count[KT_ERROR]);
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
