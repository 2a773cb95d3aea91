/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_SUMMARY_H
#define COWBENCH_SUMMARY_H

#include <stdio.h>

#include "../lib/result.h"

/*
 * The table 'cowbench run' prints at the end: one row per scenario x
 * backing x params, medians over repetitions of each pass's figures.
 * Built from result records only, so it works on a resumed run too.
 */
struct summary;
struct registry;

/* reg gives the parameters' types (sizes shown as 32M), or NULL. */
struct summary *summary_new(const struct registry *reg);
void summary_add(struct summary *s, const struct record *r);
void summary_print(struct summary *s, FILE *out);
void summary_free(struct summary *s);
/* Human-readable nanoseconds: "850ns", "2.65us", "12.3ms". */
void fmt_ns(char *buf, int len, double ns);

#endif
