/* noise.c - host interrupts and SMIs as optional tail sources (noise.h). */
#include "models/host/noise.h"

#include <stdio.h>

#include <gsl/gsl_randist.h>

#include "sim/rng.h"

/* next_in - an exponential gap at rate (Hz), at least 1 ps. */
static sim_time_t next_in(gsl_rng *r, double rate)
{
	return (sim_time_t)(gsl_ran_exponential(r, 1.0 / rate) * SIM_S) + 1;
}

static void handler_done(struct sim *sim, void *subject, void *object)
{
	(void)sim;
	(void)subject;
	(void)object; /* the interrupt wakes nobody */
}

void host_stall(struct pcpu *p, sim_time_t cost)
{
	struct sim *sim = p->host->sim;
	switch (p->phase) {
	case PCPU_IDLE:
		host_irq(p, cost, handler_done, NULL, NULL);
		break;
	case PCPU_IDLE_EXIT:
	case PCPU_IDLE_IRQ:
	case PCPU_SWITCH:
		if (p->ev != SIM_NO_EVENT)
			p->ev = sim_postpone(sim, p->ev, cost);
		break;
	case PCPU_RUN:
		if (p->curr && p->curr->ops->stall)
			p->curr->ops->stall(p->curr, cost);
		break;
	}
}

static void ev_irq(struct sim *sim, void *subject, void *object)
{
	struct pcpu *p = subject;
	const struct host_noise_conf *c = object;
	p->noise_irqs++;
	host_stall(p, dist_sample(&c->irq_cost, p->noise_rng));
	sim_after(sim, next_in(p->noise_rng, c->irq_rate), ev_irq, p, object);
}

static void ev_smi(struct sim *sim, void *subject, void *object)
{
	struct host *h = subject;
	const struct host_noise_conf *c = object;
	sim_time_t cost = dist_sample(&c->smi_cost, h->smi_rng);
	for (int i = 0; i < h->ncpu; i++) {
		h->cpu[i].smis++;
		host_stall(&h->cpu[i], cost);
	}
	sim_after(sim, next_in(h->smi_rng, c->smi_rate), ev_smi, h, object);
}

void host_noise_start(struct host *h, const struct host_noise_conf *c)
{
	h->noise = *c;
	char name[64];
	if (c->irq_rate > 0)
		for (int i = 0; i < h->ncpu; i++) {
			struct pcpu *p = &h->cpu[i];
			snprintf(name, sizeof(name), "host/cpu%d/noise", i);
			p->noise_rng = sim_rng_new(h->seed, name);
			sim_after(h->sim, next_in(p->noise_rng, c->irq_rate), ev_irq, p, &h->noise);
		}
	if (c->smi_rate > 0) {
		h->smi_rng = sim_rng_new(h->seed, "host/smi");
		sim_after(h->sim, next_in(h->smi_rng, c->smi_rate), ev_smi, h, &h->noise);
	}
}
