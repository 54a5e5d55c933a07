/*
 * pingpong_run.h - the VMs' ping-pong loops (vm.pingpong, workloads/pingpong.h)
 * in a machine: built with it, restarted at the warm-up, reported in the
 * summary and in `run --json` ("pingpong": one entry per VM that runs one).
 */
#ifndef KVMSIM_SCENARIO_PINGPONG_RUN_H
#define KVMSIM_SCENARIO_PINGPONG_RUN_H

#include <stdio.h>

#include <jansson.h>

struct machine;
struct conf_err;

/* machine_pingpong_build - start every VM's loop (after its vCPUs and guests); -1 with a message. */
int machine_pingpong_build(struct machine *m, struct conf_err *err);
void machine_pingpong_reset(struct machine *m);
void machine_pingpong_free(struct machine *m);
/* report_pingpong_text - the loops' table (nothing when none runs). */
void report_pingpong_text(FILE *f, const struct machine *m);
/* report_pingpong_json - root.pingpong (nothing when none runs). */
void report_pingpong_json(json_t *root, const struct machine *m);

#endif
