/*
 * fleetsim_sg.c - the SimGrid half of the fleet simulation (fleetsim.h): built
 * as a module of its own (kvmsim-fleet-simgrid.so, next to kvmsim) that only
 * the child processes of `kvmsim plan` load, so that no other kvmsim process
 * pays for loading SimGrid. Its entry points run in the child and write their
 * figures to a pipe; the rest of kvmsim (xcalloc, place_pick, fleet_curve_at,
 * fleet_write_all) is reached in the program that loaded it.
 */
#include "fleet/fleetsim.h"
#include "sim/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/exec.h>
#include <simgrid/host.h>
#include <simgrid/plugins/energy.h>

#define write_all fleet_write_all
#define progress_fd fleet_progress_fd

/* engine_start - SimGrid in this (child) process, quiet but for errors, with the energy plugin */
static void engine_start(const char *platform)
{
	int ac = 2;
	char *av[] = { "kvmsim", "--log=root.thres:error", NULL };
	simgrid_init(&ac, av);
	sg_host_energy_plugin_init();
	simgrid_load_platform(platform);
}

void fleet_sg_platform_child(const void *arg, int fd)
{
	engine_start(arg);
	size_t n = sg_host_count();
	sg_host_t *hl = sg_host_list();
	struct fleet_hostinfo *h = xcalloc(n ? n : 1, sizeof(*h));
	for (size_t i = 0; i < n; i++) {
		snprintf(h[i].name, sizeof(h[i].name), "%s", sg_host_get_name(hl[i]));
		h[i].cores = sg_host_core_count(hl[i]);
		h[i].speed = sg_host_get_pstate_speed(hl[i], 0);
		if (!sg_host_get_property_value(hl[i], "wattage_per_state")) {
			fprintf(stderr, "[0] [fleet/ERROR] host %s: no wattage_per_state property "
					"(expected Idle:OneCore:AllCores watts per pstate)\n", h[i].name);
			_exit(3);
		}
		h[i].watt_idle = sg_host_get_wattmin_at(hl[i], 0);
		h[i].watt_max = sg_host_get_wattmax_at(hl[i], 0);
	}
	if (write_all(fd, &n, sizeof(n)) || write_all(fd, h, n * sizeof(*h)))
		_exit(1);
	_exit(0);
}

/* The child's state: one orchestrator actor replays the events. */
struct hstate {
	sg_host_t h;
	int cls, nvms, dirty;
	int *count; /* per type */
	double busy, poll, guest, over; /* current load (cores) and VMs over capacity */
	double since;                   /* time of the last change (s) */
	int nexec;       /* executions of a whole core */
	sg_exec_t *exec;
	sg_exec_t frac;  /* the fraction of a core left, or NULL */
	double fracv;
};

static const struct fleet_setup *S;
static struct hstate *H;
static struct place_host *P;
static struct fleet_host_out *OUT;
static struct fleet_out TOT;
static int32_t *where; /* host of each VM, -1 */
static size_t *dirty_list, ndirty; /* hosts whose executions are out of date */

static void account(size_t i, double now)
{
	struct hstate *h = &H[i];
	double dt = now - h->since, cores = S->hosts[i].cores;
	/* a host cannot be busier than its cores (as SimGrid runs it): scale the parts alike */
	double k = h->busy > cores ? cores / h->busy : 1;
	OUT[i].busy_cs += k * h->busy * dt;
	OUT[i].poll_cs += k * h->poll * dt;
	OUT[i].guest_cs += k * h->guest * dt;
	OUT[i].vm_s += h->nvms * dt;
	OUT[i].over_vm_s += h->over * dt;
	h->since = now;
}

/* reload - host i's load from its VMs, as SimGrid executions: one per busy core, the last bounded */
static sg_exec_t busy_exec(struct hstate *h, const struct fleet_hostinfo *hi, double cores)
{
	sg_exec_t e = sg_actor_exec_init(hi->speed * ((double)S->end / 1e12 + 1) * 4); /* never ends */
	sg_exec_set_host(e, h->h);
	sg_exec_set_bound(e, hi->speed * cores);
	sg_exec_start(e);
	return e;
}

/*
 * reload - host i's load from its VMs as SimGrid executions: one per whole busy core at
 * the core's speed and one bounded to the fraction left. A started execution's bound
 * cannot change, so only the executions that differ are cancelled or started.
 */
static void reload(size_t i)
{
	struct hstate *h = &H[i];
	const struct fleet_hostinfo *hi = &S->hosts[i];
	double load = h->busy < hi->cores ? h->busy : hi->cores;
	if (!(load > 0)) /* never below zero executions (nor NaN) */
		load = 0;
	int full = (int)floor(load + 1e-9);
	double frac = load - full < 1e-9 ? 0 : load - full;
	h->dirty = 0;
	while (h->nexec > full)
		sg_exec_cancel(h->exec[--h->nexec]);
	if (h->frac && fabs(frac - h->fracv) > 1e-12) {
		sg_exec_cancel(h->frac);
		h->frac = NULL;
	}
	while (h->nexec < full)
		h->exec[h->nexec++] = busy_exec(h, hi, 1);
	if (frac > 0 && !h->frac)
		h->frac = busy_exec(h, hi, frac);
	h->fracv = frac;
}

static void flush(void)
{
	for (size_t k = 0; k < ndirty; k++)
		reload(dirty_list[k]);
	ndirty = 0;
}

/* recompute - host i's load and latency share after a change of its VMs */
static void recompute(size_t i)
{
	struct hstate *h = &H[i];
	double busy = 0, poll = 0, guest = 0, lat = 0;
	for (size_t t = 0; t < S->ntypes; t++) {
		if (!h->count[t])
			continue;
		size_t k = (size_t)h->cls * S->ntypes + t;
		const struct fleet_curve *c = &S->curve[k];
		busy += h->count[t] * fleet_curve_at(c, 0, h->nvms);
		poll += h->count[t] * fleet_curve_at(c, 1, h->nvms);
		guest += h->count[t] * fleet_curve_at(c, 2, h->nvms);
		lat += S->maxvms[k] > 0 ? (double)h->count[t] / S->maxvms[k] : INFINITY;
	}
	h->busy = busy;
	h->poll = poll;
	h->guest = guest;
	P[i].lat_used = h->nvms ? lat : 0;
	h->over = P[i].lat_used > 1 + 1e-9 ? h->nvms : 0;
	if ((uint32_t)h->nvms > OUT[i].peak_vms)
		OUT[i].peak_vms = (uint32_t)h->nvms;
	if (!h->dirty)
		dirty_list[ndirty++] = i;
	h->dirty = 1;
}

static void orchestrator(int argc, char **argv)
{
	size_t nh = S->nhosts, last_pct = 0;
	for (size_t e = 0; e < S->nev; e++) {
		const struct fleet_event *ev = &S->ev[e];
		double now = (double)ev->t / 1e12;
		if (now > simgrid_get_clock()) {
			flush();
			sg_actor_sleep_until(now);
		}
		if (S->progress && progress_fd >= 0 && e * 10 / S->nev > last_pct) {
			last_pct = e * 10 / S->nev;
			dprintf(progress_fd, "kvmsim plan: fleet, %s, %s: %zu0%% (day %.2f of %.2f)\n",
				S->label ? S->label : "", place_names[S->place], last_pct, now / 86400,
				(double)S->end / 1e12 / 86400);
		}
		size_t t = ev->type;
		if (ev->leave) {
			int32_t i = where[ev->vm];
			if (i < 0)
				continue; /* refused when it arrived */
			account((size_t)i, now);
			H[i].count[t]--;
			H[i].nvms--;
			P[i].used -= S->vcpus[t];
			where[ev->vm] = -1;
			recompute((size_t)i);
			continue;
		}
		TOT.arrived++;
		if (S->place == PLACE_LATENCY)
			for (size_t j = 0; j < nh; j++) {
				int m = S->maxvms[(size_t)H[j].cls * S->ntypes + t];
				P[j].lat_need = m > 0 ? 1.0 / m : INFINITY;
			}
		long i = place_pick(S->place, P, nh, S->vcpus[t]);
		if (i < 0) {
			TOT.refused++;
			continue;
		}
		account((size_t)i, now);
		H[i].count[t]++;
		H[i].nvms++;
		P[i].used += S->vcpus[t];
		where[ev->vm] = (int32_t)i;
		TOT.placed++;
		recompute((size_t)i);
		if (P[i].lat_used > 1 + 1e-9)
			TOT.violations++;
	}
	double end = (double)S->end / 1e12;
	flush();
	sg_actor_sleep_until(end);
	sg_host_energy_update_all();
	for (size_t i = 0; i < nh; i++) {
		account(i, end);
		OUT[i].energy_j = sg_host_get_consumed_energy(H[i].h);
		/* the plugin's power is linear in the busy cores above one: polling's share of it */
		OUT[i].poll_j = OUT[i].poll_cs * (S->hosts[i].watt_max - S->hosts[i].watt_idle) / S->hosts[i].cores;
		for (int k = 0; k < H[i].nexec; k++)
			sg_exec_cancel(H[i].exec[k]);
		if (H[i].frac)
			sg_exec_cancel(H[i].frac);
	}
	TOT.seconds = end;
}

void fleet_sg_sim_child(const void *arg, int fd)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	S = arg;
	engine_start(S->platform);
	size_t nh = sg_host_count();
	if (nh != S->nhosts)
		_exit(3);
	sg_host_t *hl = sg_host_list();
	H = xcalloc(nh, sizeof(*H));
	P = xcalloc(nh, sizeof(*P));
	OUT = xcalloc(nh, sizeof(*OUT));
	where = xcalloc(S->nvm ? S->nvm : 1, sizeof(*where));
	dirty_list = xcalloc(nh, sizeof(*dirty_list));
	for (uint32_t v = 0; v < S->nvm; v++)
		where[v] = -1;
	for (size_t i = 0; i < nh; i++) {
		H[i].h = hl[i];
		H[i].cls = S->host_class[i];
		H[i].count = xcalloc(S->ntypes, sizeof(int));
		H[i].exec = xcalloc((size_t)S->hosts[i].cores, sizeof(sg_exec_t));
		P[i].cap = S->hosts[i].cores * S->overcommit;
	}
	sg_actor_create("orchestrator", hl[0], orchestrator, 0, NULL);
	simgrid_run();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	TOT.wall_s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (write_all(fd, &TOT, sizeof(TOT)) || write_all(fd, OUT, nh * sizeof(*OUT)))
		_exit(1);
	_exit(0);
}

