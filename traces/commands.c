/* commands.c - the commands of traces/ (reading and replaying real traces), for sim/cli.c. */
#include "sim/cli.h"

int cmd_trace_check(int argc, char **argv);
int cmd_trace_replay(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_validate(int argc, char **argv);

const struct cli_cmd trace_commands[] = {
	{ "trace check", "reproduce a recorded trace's kvm_halt_poll_ns decisions with a kernel's halt polling",
	  cmd_trace_check },
	{ "trace replay", "simulate a recorded trace's load under other halt-polling settings, side by side",
	  cmd_trace_replay },
	{ "probe", "run a wake pattern on the real /dev/kvm and measure it as KVM and the guest see it", cmd_probe },
	{ "calibrate", "fit this host's costs to kvmsim probe results and write its cost profile", cmd_calibrate },
	{ "validate", "fit this host's costs on some probe patterns and predict others, beside the real KVM",
	  cmd_validate },
	{ NULL },
};
