/*
 * fleetsim.h - the fleet on SimGrid: hosts from a SimGrid platform file, VMs
 * that arrive and leave, placed by a placement policy (place.h), each VM a
 * busy CPU load on its host as its type's profile says, energy from
 * SimGrid's host energy plugin.
 *
 * SimGrid allows one engine per process, so each fleet simulation (and each
 * look at a platform) runs in a child process of its own and sends its
 * figures back through a pipe; a platform SimGrid refuses is a one-line
 * error, not an abort of kvmsim.
 */
#ifndef KVMSIM_FLEET_FLEETSIM_H
#define KVMSIM_FLEET_FLEETSIM_H

#include <stddef.h>
#include <stdint.h>

#include "fleet/place.h"
#include "sim/time.h"

#define FLEET_NAME_MAX 64

struct fleet_hostinfo {
	char name[FLEET_NAME_MAX];
	int cores;
	double speed; /* flop/s at pstate 0 */
	double watt_idle, watt_max; /* pstate 0 */
};

/* fleet_platform - the hosts of platform file path (malloc'd array in *hosts, SimGrid's order);
 * 0, or EXIT_BAD_INPUT / EXIT_FAILED with one line in why naming the file (and line). */
int fleet_platform(const char *path, struct fleet_hostinfo **hosts, size_t *n, char *why, size_t len);

/* A VM type's cost on a host class as a function of the VMs on the host: per-VM figures
 * (pCPUs) at the counts simulated, interpolated linearly between them, flat outside. */
struct fleet_curve {
	int npts;
	int n[32];
	double busy[32], poll[32], guest[32];
	double steal[32], p99[32]; /* steal per VM (vCPUs) and the worst VM's p99 (ns): for reports */
};

struct fleet_event {
	sim_time_t t;
	uint32_t vm;
	uint16_t type;
	uint8_t leave;
};

struct fleet_setup {
	const char *platform;
	size_t nhosts;
	const struct fleet_hostinfo *hosts;
	const int *host_class;           /* class of each host */
	size_t ntypes;
	const double *vcpus;             /* per type */
	const struct fleet_curve *curve; /* [class * ntypes + type] */
	const int *maxvms;               /* [class * ntypes + type]: latency capacity, 0: none fits */
	const struct fleet_event *ev;    /* sorted by time */
	size_t nev;
	uint32_t nvm;
	sim_time_t end;
	double overcommit;               /* vCPUs per core a host accepts */
	enum place_policy place;
	int progress;                    /* progress lines on stderr */
	const char *label;               /* the policy's, for progress */
};

struct fleet_host_out {
	double busy_cs, poll_cs, guest_cs; /* core-seconds */
	double energy_j, poll_j;           /* poll_j: the energy polling's busy time adds */
	double vm_s, over_vm_s;            /* VM-seconds hosted, and on a host over its latency capacity */
	uint32_t peak_vms;
};

struct fleet_out {
	uint64_t arrived, placed, refused, violations; /* violations: placements over the latency capacity */
	double seconds;                                /* simulated */
	double wall_s;                                 /* the child's wall-clock time */
};

/* fleet_corecurve_at - curve c's per-VM field (0 busy, 1 poll, 2 guest) with n VMs on the host. */
double fleet_curve_at(const struct fleet_curve *c, int field, int n);

/* A fleet simulation running in its child process. */
struct fleet_job {
	int pid, fd;
	char err[512];
};

/* The SimGrid module (fleetsim_sg.c), its entry points, and what it uses of the program. */
#define FLEET_SIMGRID_MODULE "kvmsim-fleet-simgrid.so"
void fleet_sg_platform_child(const void *path, int fd);
void fleet_sg_sim_child(const void *setup, int fd);
int fleet_write_all(int fd, const void *p, size_t n);
extern int fleet_progress_fd;

/* fleet_start - start simulating s in a child process (s is the child's copy from here on); 0 or EXIT_FAILED. */
int fleet_start(const struct fleet_setup *s, struct fleet_job *j, char *why, size_t len);
/* fleet_finish - wait for j; per-host figures into hosts[s->nhosts]; 0 or EXIT_FAILED with why. */
int fleet_finish(const struct fleet_setup *s, struct fleet_job *j, struct fleet_host_out *hosts, struct fleet_out *tot,
		 char *why, size_t len);

#endif
