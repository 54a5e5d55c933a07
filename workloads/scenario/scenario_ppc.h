/*
 * scenario_ppc.h - the checks of a powerpc scenario (scenario_ppc.c), called
 * from scenario.c's checks.
 */
#ifndef KVMSIM_SCENARIO_SCENARIO_PPC_H
#define KVMSIM_SCENARIO_SCENARIO_PPC_H

#include "workloads/scenario/scenario.h"

/* kvm_hv: the powerpc module's own parameters (4.8-4.13), a section of the scenario. */
extern const struct cfg_section kvm_hv_section;

/* scenario_ppc_check_vm - a VM's keys: x86-only ones refused on powerpc, vcore ones elsewhere. */
int scenario_ppc_check_vm(const struct scenario *s, const struct vm_conf *vm, const struct conf_node *vmap,
			  const char *path, struct conf_err *err);
/* scenario_ppc_check - the top-level keys of x86's paths, refused on powerpc. */
int scenario_ppc_check(const struct scenario *s, const struct conf_node *map, struct conf_err *err);

#endif
