// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <hwloc.h>

#include "topo.h"

static hwloc_topology_t topology;

static int first_pu(hwloc_obj_t core)
{
	hwloc_obj_t pu = hwloc_get_obj_inside_cpuset_by_type(
		topology, core->cpuset, HWLOC_OBJ_PU, 0);

	return pu ? (int)pu->os_index : -1;
}

int topo_init(struct topo *t, char *err, int errlen)
{
	hwloc_obj_t last, first;

	memset(t, 0, sizeof(*t));
	if (hwloc_topology_init(&topology) || hwloc_topology_load(topology)) {
		snprintf(err, errlen, "hwloc: cannot load the topology");
		return -1;
	}
	t->ncores = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE);
	t->npus = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU);
	t->nnodes = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE);
	if (t->ncores < 1) {
		snprintf(err, errlen, "hwloc: no cores found");
		return -1;
	}
	last = hwloc_get_obj_by_type(topology, HWLOC_OBJ_CORE, t->ncores - 1);
	first = hwloc_get_obj_by_type(topology, HWLOC_OBJ_CORE, 0);
	t->writer_cpu = first_pu(last);
	t->other_cpu = first_pu(first);
	snprintf(t->summary, sizeof(t->summary),
		 "%d package(s), %d core(s), %d PU(s), %d NUMA node(s)",
		 hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PACKAGE),
		 t->ncores, t->npus, t->nnodes);
	return 0;
}

static int bind_to(int cpu, int how)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int ret;

	hwloc_bitmap_only(set, cpu);
	ret = hwloc_set_cpubind(topology, set, how);
	hwloc_bitmap_free(set);
	return ret ? -1 : 0;
}

int topo_pin(int cpu)
{
	return bind_to(cpu, HWLOC_CPUBIND_PROCESS);
}

int topo_pin_thread(int cpu)
{
	return bind_to(cpu, HWLOC_CPUBIND_THREAD);
}

int topo_cpus(int *cpus, int max)
{
	int n = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU), i;

	for (i = 0; i < n && i < max; i++)
		cpus[i] = (int)hwloc_get_obj_by_type(topology, HWLOC_OBJ_PU, i)
				  ->os_index;
	return i;
}
