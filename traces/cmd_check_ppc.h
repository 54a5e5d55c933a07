/* cmd_check_ppc.h - `trace check` for powerpc traces (cmd_check_ppc.c), called by cmd_check.c. */
#ifndef KVMSIM_TRACES_CMD_CHECK_PPC_H
#define KVMSIM_TRACES_CMD_CHECK_PPC_H

#include <stdint.h>

#include "models/haltpoll/kvm_era.h"
#include "models/haltpoll/settings.h"

/* cmd_check_ppc - read the trace, check its vcore blocks, print the report; the exit status. */
int cmd_check_ppc(const char *cmd, const char *trace, const char *kernel, const struct kvm_era *era,
		  const struct kvm_setting *s, int64_t initial);

#endif
