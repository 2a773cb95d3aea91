/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_WORKLOADS_H
#define COWBENCH_WORKLOADS_H

/*
 * Workload drivers: a scenario_ops with a drive hook (lib/scenario.h),
 * one file each, listed after the scenarios in bench/table.c.  They share
 * the planner, supervision, knobs, backings and result keys.
 */
#include "../lib/scenario.h"

extern const struct scenario_ops wl_forksrv, wl_snapshot;
extern const struct scenario_ops wl_dio, wl_stream, wl_thpdb;

/*
 * An unnamed O_DIRECT file in sc->workdir (dio.c), or a skip where
 * O_DIRECT pins nothing (tmpfs, 9p, NFS, ...); the fd in *fdp either way.
 */
int dio_tmpfile(struct sc *sc, int *fdp, char *why, int len);

#endif
