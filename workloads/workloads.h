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

#endif
