/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_TOPO_H
#define COWBENCH_TOPO_H

/*
 * hwloc: the measured task runs on the first PU of the last core, everything
 * else (the other side of a fork, the supervisor) on the first PU of another
 * core when there is one, so that remote work lands on a known sibling.
 */
struct topo {
	int writer_cpu, other_cpu;
	int ncores, npus, nnodes;
	char summary[160];
};

int topo_init(struct topo *t, char *err, int errlen);
/* Pin the calling process to one CPU (OS index); 0 or -1. */
int topo_pin(int cpu);
/* Pin only the calling thread (a sibling on another CPU); 0 or -1. */
int topo_pin_thread(int cpu);
/* The OS indices of the PUs hwloc sees, at most max of them: how many. */
int topo_cpus(int *cpus, int max);

#endif
