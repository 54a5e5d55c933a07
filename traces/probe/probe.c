/* probe.c - the /dev/kvm guest, its waker and its measurements (see probe.h). */
#define _GNU_SOURCE
#include "traces/probe/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define GUEST_MEM (64 << 10)
#define GUEST_CODE 0x1000
#define GUEST_STACK 0x8000
#define RING 256
#define HARVEST_LAG 128
#define GSI 24
#define SETTLE_NS 20000000

#include "traces/probe/probe_guest.h"

struct ring_entry { /* the timer handler's records (the MSI handler's: struct probe_rec) */
	uint64_t tsc;
	uint32_t seq, pad;
};

struct probe_ctx {
	int kvm, vm, vcpu, efd, statsfd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	pthread_t thread;
	volatile int stopping;
	volatile int tid;
	bool rt, rt_ok;
	uint64_t timer_dl0, timer_period; /* timer patterns: the first deadline and the period (guest TSC) */
	int64_t tsc_off; /* read before KVM_RUN: a vCPU ioctl waits for the running one's mutex */
	struct kvm_stats_header sh;
	struct kvm_stats_desc *desc;
	size_t desc_size;
	char *why;
	size_t len;
};

static __thread struct kvm_run *this_run;

static int failf(struct probe_ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, c->len, fmt, ap);
	va_end(ap);
	return rc;
}

static void on_stop(int sig)
{
	(void)sig;
	if (this_run)
		this_run->immediate_exit = 1;
}

/* rt - SCHED_FIFO for the calling thread (the vCPU and the waker), so a busy host's other
 * tasks delay neither; false when not permitted (then the results carry that noise). */
static bool rt(int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	return !pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
}

/* vcpu_thread - KVM_RUN until stopped; any exit to userspace other than a signal ends it. */
static void *vcpu_thread(void *arg)
{
	struct probe_ctx *c = arg;
	pthread_setname_np(pthread_self(), "CPU 0/KVM");
	c->tid = (int)syscall(SYS_gettid);
	if (c->rt)
		c->rt_ok = rt(50);
	this_run = c->run;
	while (!c->stopping) {
		if (ioctl(c->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		if (c->run->exit_reason != KVM_EXIT_INTR)
			break;
	}
	return NULL;
}

/* stats_open - the vCPU's binary statistics: header and descriptors, kept for reading. */
static int stats_open(struct probe_ctx *c)
{
	c->statsfd = ioctl(c->vcpu, KVM_GET_STATS_FD, NULL);
	if (c->statsfd < 0)
		return failf(c, 2, "KVM_GET_STATS_FD: %s (KVM 5.14+ is needed)", strerror(errno));
	if (pread(c->statsfd, &c->sh, sizeof(c->sh), 0) != (ssize_t)sizeof(c->sh))
		return failf(c, 1, "reading the statistics header: %s", strerror(errno));
	c->desc_size = sizeof(struct kvm_stats_desc) + c->sh.name_size;
	size_t total = c->desc_size * c->sh.num_desc;
	c->desc = malloc(total);
	if (!c->desc || pread(c->statsfd, c->desc, total, c->sh.desc_offset) != (ssize_t)total)
		return failf(c, 1, "reading the statistics descriptors: %s", strerror(errno));
	return 0;
}

/* stats_read - every statistic the probe uses, now. */
static int stats_read(struct probe_ctx *c, struct probe_stats *s)
{
	static const char *const scal[] = { "halt_successful_poll", "halt_attempted_poll", "halt_poll_invalid",
					    "halt_wakeup", "halt_poll_success_ns", "halt_poll_fail_ns",
					    "halt_wait_ns", "blocking", "halt_exits" };
	static const char *const hist[] = { "halt_poll_success_hist", "halt_poll_fail_hist", "halt_wait_hist" };
	uint64_t *sv[] = { &s->halt_successful_poll, &s->halt_attempted_poll, &s->halt_poll_invalid, &s->halt_wakeup,
			   &s->halt_poll_success_ns, &s->halt_poll_fail_ns, &s->halt_wait_ns, &s->blocking,
			   &s->halt_exits };
	memset(s, 0, sizeof(*s));
	int nhist = 0;
	for (uint32_t i = 0; i < c->sh.num_desc; i++) {
		const struct kvm_stats_desc *d = (const void *)((const char *)c->desc + i * c->desc_size);
		uint64_t v[PROBE_HIST_N];
		for (size_t k = 0; k < sizeof(scal) / sizeof(*scal); k++)
			if (!strcmp(d->name, scal[k]) && pread(c->statsfd, v, 8, c->sh.data_offset + d->offset) == 8)
				*sv[k] = v[0];
		for (int k = 0; k < 3; k++) {
			size_t n = d->size < PROBE_HIST_N ? d->size : PROBE_HIST_N;
			if (strcmp(d->name, hist[k]))
				continue;
			if (pread(c->statsfd, v, n * 8, c->sh.data_offset + d->offset) != (ssize_t)(n * 8))
				return failf(c, 1, "reading %s: %s", hist[k], strerror(errno));
			memcpy(s->hist[k], v, n * 8);
			nhist++;
		}
	}
	s->have_hist = nhist == 3;
	return 0;
}

static void stats_sub(struct probe_stats *a, const struct probe_stats *b)
{
	uint64_t *x = &a->halt_successful_poll;
	const uint64_t *y = &b->halt_successful_poll;
	for (int i = 0; i < 9 + 3 * PROBE_HIST_N; i++) /* the scalars, then hist, contiguous */
		x[i] -= y[i];
}

/* setup - VM, memory, irqchip, vCPU, MSI route and irqfd, the poll ceiling. */
static int setup(struct probe_ctx *c, const struct probe_pattern *p, struct probe_result *r)
{
	const char *dev = getenv("KVMSIM_KVM_DEV") ? getenv("KVMSIM_KVM_DEV") : "/dev/kvm";
	c->kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (c->kvm < 0)
		return failf(c, 2, "%s: %s (kvmsim probe needs a usable /dev/kvm)", dev, strerror(errno));
	if (ioctl(c->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return failf(c, 2, "/dev/kvm: KVM API version is not %d", KVM_API_VERSION);
	c->vm = ioctl(c->kvm, KVM_CREATE_VM, 0);
	if (c->vm < 0)
		return failf(c, 2, "KVM_CREATE_VM: %s", strerror(errno));
	if (p->halt_poll_ns >= 0) {
		if (ioctl(c->vm, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL) <= 0)
			return failf(c, 2, "this KVM lacks KVM_CAP_HALT_POLL (5.8+)");
		struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL, .args = { (uint64_t)p->halt_poll_ns } };
		if (ioctl(c->vm, KVM_ENABLE_CAP, &cap) < 0)
			return failf(c, 1, "KVM_ENABLE_CAP(KVM_CAP_HALT_POLL): %s", strerror(errno));
	}
	c->mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->mem == MAP_FAILED) {
		c->mem = NULL;
		return failf(c, 1, "guest memory: %s", strerror(errno));
	}
	memcpy(c->mem + GUEST_CODE, guest_init, sizeof(guest_init));
	_Static_assert(sizeof(guest_msi_handler) <= GUEST_TIMER_HANDLER - GUEST_MSI_HANDLER, "MSI handler too long");
	_Static_assert(HANDLER_END_BASE + 16 * RING <= GUEST_MEM, "handler end slots past the guest's memory");
	memcpy(c->mem + GUEST_MSI_HANDLER, guest_msi_handler, sizeof(guest_msi_handler));
	memcpy(c->mem + GUEST_TIMER_HANDLER, guest_timer_handler, sizeof(guest_timer_handler));
	uint16_t ivt[4] = { GUEST_MSI_HANDLER, 0, GUEST_TIMER_HANDLER, 0 }; /* offset, segment */
	memcpy(c->mem + 4 * WAKE_VECTOR, ivt, sizeof(ivt));
	struct kvm_userspace_memory_region region = { .slot = 0, .memory_size = GUEST_MEM,
						      .userspace_addr = (uintptr_t)c->mem };
	if (ioctl(c->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return failf(c, 1, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	if (ioctl(c->vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return failf(c, 2, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	int rs = ioctl(c->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	c->vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	if (rs <= 0 || c->vcpu < 0)
		return failf(c, 1, "KVM_CREATE_VCPU: %s", strerror(errno));
	c->run_size = (size_t)rs;
	c->run = mmap(NULL, c->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->vcpu, 0);
	if (c->run == MAP_FAILED) {
		c->run = NULL;
		return failf(c, 1, "mmap kvm_run: %s", strerror(errno));
	}

	int n = 256;
	struct kvm_cpuid2 *cp = calloc(1, sizeof(*cp) + (size_t)n * sizeof(cp->entries[0]));
	cp->nent = (uint32_t)n;
	int rc = ioctl(c->kvm, KVM_GET_SUPPORTED_CPUID, cp) < 0 ? 2 : 0;
	for (uint32_t i = 0; !rc && i < cp->nent; i++)
		if (cp->entries[i].function == 1 && !(cp->entries[i].ecx & (1u << 21)))
			rc = 3;
	if (!rc && ioctl(c->vcpu, KVM_SET_CPUID2, cp) < 0)
		rc = 1;
	free(cp);
	if (rc)
		return failf(c, rc == 3 ? 2 : rc, rc == 3 ? "this KVM offers no x2APIC to its guests" : "CPUID: %s",
			     strerror(errno));

	struct kvm_sregs s;
	if (ioctl(c->vcpu, KVM_GET_SREGS, &s) < 0)
		return failf(c, 1, "KVM_GET_SREGS: %s", strerror(errno));
	struct kvm_segment *segs[] = { &s.cs, &s.ds, &s.es, &s.fs, &s.gs, &s.ss };
	for (size_t i = 0; i < 6; i++)
		segs[i]->base = segs[i]->selector = 0;
	if (ioctl(c->vcpu, KVM_SET_SREGS, &s) < 0)
		return failf(c, 1, "KVM_SET_SREGS: %s", strerror(errno));
	struct kvm_regs regs = { .rip = GUEST_CODE, .rsp = GUEST_STACK, .rflags = 2 };
	if (ioctl(c->vcpu, KVM_SET_REGS, &regs) < 0)
		return failf(c, 1, "KVM_SET_REGS: %s", strerror(errno));

	struct kvm_irq_routing *rt = calloc(1, sizeof(*rt) + sizeof(rt->entries[0]));
	rt->nr = 1;
	rt->entries[0] = (struct kvm_irq_routing_entry){ .gsi = GSI, .type = KVM_IRQ_ROUTING_MSI,
							 .u.msi = { .address_lo = 0xfee00000u, .data = WAKE_VECTOR } };
	rc = ioctl(c->vm, KVM_SET_GSI_ROUTING, rt);
	free(rt);
	if (rc < 0)
		return failf(c, 2, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
	if (!p->msi) {
		c->efd = eventfd(0, EFD_CLOEXEC);
		struct kvm_irqfd f = { .fd = (uint32_t)c->efd, .gsi = GSI };
		if (c->efd < 0 || ioctl(c->vm, KVM_IRQFD, &f) < 0)
			return failf(c, 2, "KVM_IRQFD: %s", strerror(errno));
	}
	int khz = ioctl(c->vcpu, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		return failf(c, 2, "KVM_GET_TSC_KHZ: %s", strerror(errno));
	r->tsc_khz = (uint64_t)khz;
	return stats_open(c);
}

/* tsc_offset - guest TSC minus host TSC: KVM_VCPU_TSC_OFFSET (5.16+), else bracketing MSR reads. */
static int64_t tsc_offset(struct probe_ctx *c)
{
	uint64_t off;
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET, .addr = (uintptr_t)&off };
	if (!ioctl(c->vcpu, KVM_HAS_DEVICE_ATTR, &a) && !ioctl(c->vcpu, KVM_GET_DEVICE_ATTR, &a))
		return (int64_t)off;
	int64_t best = 0;
	uint64_t span = UINT64_MAX;
	for (int i = 0; i < 16; i++) {
		struct {
			struct kvm_msrs h;
			struct kvm_msr_entry e;
		} m = { .h.nmsrs = 1, .e.index = 0x10 };
		uint64_t t0 = __rdtsc();
		if (ioctl(c->vcpu, KVM_GET_MSRS, &m) != 1)
			break;
		uint64_t t1 = __rdtsc();
		if (t1 - t0 < span) {
			span = t1 - t0;
			best = (int64_t)(m.e.data - (t0 + (t1 - t0) / 2));
		}
	}
	return best;
}

static int64_t now_ns(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* wait_until - sleep to 100 us before t (CLOCK_MONOTONIC ns), then spin: the sleep's own
 * wake-up latency on a busy host would otherwise move every wake-up. */
static void wait_until(int64_t t)
{
	int64_t n = now_ns(CLOCK_MONOTONIC);
	if (t - n > 200000) {
		int64_t s = t - 100000;
		struct timespec ts = { (time_t)(s / 1000000000), (long)(s % 1000000000) };
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	while (now_ns(CLOCK_MONOTONIC) < t)
		_mm_pause();
}

/* timer_record - the timer handler's record of its expiry k + 1 (its count after that expiry),
 * or 0 when that slot holds another. */
static uint64_t timer_record(const struct probe_ctx *c, long k)
{
	const volatile struct ring_entry *e = (const volatile void *)(c->mem + MBOX_BASE + 16 + 16 * ((k + 1) % RING));
	return e->seq == (uint32_t)(k + 1) ? e->tsc : 0;
}

/* harvest - timer expiry k, due at guest TSC expect, with the guest's record of it. */
static void harvest(struct probe_ctx *c, struct probe_result *r, long k, uint64_t expect)
{
	uint64_t tsc = timer_record(c, k);
	if (!tsc || tsc < expect) {
		r->lost++;
		return;
	}
	sim_hist_record(&r->lat, (int64_t)((double)(tsc - expect) * 1e6 / (double)r->tsc_khz));
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int raise_irq(struct probe_ctx *c, bool msi)
{
	if (msi) {
		struct kvm_msi m = { .address_lo = 0xfee00000u, .data = WAKE_VECTOR };
		return ioctl(c->vm, KVM_SIGNAL_MSI, &m) < 0 ? -1 : 0;
	}
	uint64_t one = 1;
	return write(c->efd, &one, sizeof(one)) == sizeof(one) ? 0 : -1;
}

/* cpu_busy_ns - the time cpu was busy (user, nice, system, irq, softirq: /proc/stat, in
 * USER_HZ ticks, so a few ticks of resolution over a short window); -1 if unreadable. */
static int64_t cpu_busy_ns(int cpu)
{
	FILE *f = fopen("/proc/stat", "r");
	char line[512], want[16];
	long long v[7];
	int64_t ns = -1;
	long hz = sysconf(_SC_CLK_TCK);
	snprintf(want, sizeof(want), "cpu%d ", cpu);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)) && hz > 0 &&
		    sscanf(line + strlen(want), "%lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4],
			   &v[5], &v[6]) == 7)
			ns = (v[0] + v[1] + v[2] + v[5] + v[6]) * (1000000000 / hz);
	if (f)
		fclose(f);
	return ns;
}

/* window_end - the window's CPU times and statistics. */
static int window_end(struct probe_ctx *c, struct probe_result *r, const struct probe_stats *s0, clockid_t cpu_clock,
		      int64_t cpu0, int64_t run0, int64_t t0)
{
	r->cpu_ns = now_ns(cpu_clock) - cpu0;
	r->wall_ns = now_ns(CLOCK_MONOTONIC) - t0;
	int64_t run1 = cpu_busy_ns(r->vcpu_cpu);
	r->other_ns = run0 >= 0 && run1 >= 0 ? run1 - run0 - r->cpu_ns : -1;
	if (r->other_ns < -1)
		r->other_ns = 0;
	int rc = stats_read(c, &r->st);
	if (!rc)
		stats_sub(&r->st, s0);
	return rc;
}

/* measure_timer - the guest's own LAPIC timer wakes it: expiry k is due at the deadline
 * c->timer_dl0 + k * c->timer_period; the host only collects the records. */
static int measure_timer(struct probe_ctx *c, const struct probe_pattern *p, struct probe_result *r,
			 const struct probe_stats *s0, clockid_t cpu_clock, int64_t cpu0, int64_t run0, int64_t t0)
{
	volatile uint32_t *fired = (volatile uint32_t *)(c->mem + TIMER_BASE + 12);
	int64_t limit = t0 + p->count * p->interval_ns + 1000000000;
	long done = 0;
	while (done < p->count && now_ns(CLOCK_MONOTONIC) < limit) {
		long n = (long)*fired;
		for (; done < p->count && (done + HARVEST_LAG < n || n >= p->count); done++)
			harvest(c, r, done, c->timer_dl0 + (uint64_t)done * c->timer_period);
		if (done < p->count)
			wait_until(now_ns(CLOCK_MONOTONIC) + 200000);
	}
	for (long k = 0; k < p->count; k++)
		r->gap_ns[k] = p->interval_ns;
	r->raised = p->count;
	r->lost += p->count - done;
	return window_end(c, r, s0, cpu_clock, cpu0, run0, t0);
}

/* measure - the window: statistics and CPU time around the pattern, latencies paired. */
static int measure(struct probe_ctx *c, const struct probe_pattern *p, struct probe_result *r)
{
	clockid_t cpu_clock;
	if (pthread_getcpuclockid(c->thread, &cpu_clock))
		return failf(c, 1, "pthread_getcpuclockid failed");
	int64_t off = c->tsc_off;
	uint64_t raised[RING];
	struct probe_pairing pp = { .end = (const volatile uint64_t *)(c->mem + HANDLER_END_BASE) };
	volatile uint32_t *mbox = (volatile uint32_t *)(c->mem + MBOX_BASE);
	int64_t *plan = malloc((size_t)p->count * sizeof(*plan));
	r->gap_ns = malloc((size_t)p->count * sizeof(*r->gap_ns));
	if (!plan || !r->gap_ns) {
		free(plan);
		return failf(c, 1, "out of memory");
	}
	probe_gaps(p, plan, p->count);
	wait_until(now_ns(CLOCK_MONOTONIC) + SETTLE_NS); /* the vCPU reaches its first HLT */
	struct probe_stats s0;
	int rc = stats_read(c, &s0);
	int64_t run0 = cpu_busy_ns(r->vcpu_cpu);
	int64_t cpu0 = now_ns(cpu_clock), t0 = now_ns(CLOCK_MONOTONIC), t = t0, last = t0;
	r->t0_ns = t0;
	if (p->kind == PROBE_TIMER) {
		free(plan);
		return rc ? rc : measure_timer(c, p, r, &s0, cpu_clock, cpu0, run0, t0);
	}
	const volatile struct probe_rec *ring = (const volatile void *)(c->mem + MBOX_BASE + 16);
	volatile uint32_t *runs = (volatile uint32_t *)(c->mem + MBOX_BASE + 4);
	for (long k = 0; !rc && k < p->count; k++) {
		t += plan[k];
		wait_until(t);
		if (k >= HARVEST_LAG)
			probe_pair_runs(&pp, r, ring, RING, raised, RING, (uint32_t)k, (uint32_t)(k - HARVEST_LAG + 1));
		__atomic_store_n(mbox, (uint32_t)(k + 1), __ATOMIC_RELEASE);
		raised[k % RING] = __rdtsc() + (uint64_t)off; /* in the guest's TSC */
		int64_t now = now_ns(CLOCK_MONOTONIC);
		if (raise_irq(c, p->msi))
			rc = failf(c, 1, "raising the MSI: %s", strerror(errno));
		r->gap_ns[k] = now - last;
		last = now;
		r->raised++;
	}
	free(plan);
	if (rc)
		return rc;
	/* the last handler: wait for a run that found the last sequence number (at most 50 ms),
	 * then 1 ms more for the HLT (and any run behind it) */
	int64_t deadline = now_ns(CLOCK_MONOTONIC) + 50000000;
	for (;;) {
		uint32_t n = *runs;
		const volatile struct probe_rec *e = &ring[n % RING];
		if ((n && e->run == n && e->seq == (uint32_t)p->count) || now_ns(CLOCK_MONOTONIC) >= deadline)
			break;
		_mm_pause();
	}
	wait_until(now_ns(CLOCK_MONOTONIC) + 1000000);
	if ((rc = window_end(c, r, &s0, cpu_clock, cpu0, run0, t0)))
		return rc;
	probe_pair_runs(&pp, r, ring, RING, raised, RING, (uint32_t)p->count, (uint32_t)p->count);
	r->lost += p->count - (long)pp.answered; /* never answered */
	return 0;
}

static void read_module(struct probe_result *r)
{
	static const char *const n[4] = { "halt_poll_ns", "halt_poll_ns_grow", "halt_poll_ns_grow_start",
					  "halt_poll_ns_shrink" };
	for (int i = 0; i < 4; i++) {
		char path[96];
		snprintf(path, sizeof(path), "/sys/module/kvm/parameters/%s", n[i]);
		FILE *f = fopen(path, "r");
		if (f && fscanf(f, "%u", &r->module_param[i]) != 1)
			r->module_param[i] = 0;
		if (f)
			fclose(f);
	}
	if (!access("/sys/module/kvm_pvm", F_OK))
		snprintf(r->nested, sizeof(r->nested),
			 "PVM (kvm_pvm: a KVM that itself runs in a VM; guest kernel-mode instructions emulated)");
	else if (!access("/sys/hypervisor", F_OK) || system("grep -qw hypervisor /proc/cpuinfo 2>/dev/null") == 0)
		snprintf(r->nested, sizeof(r->nested), "nested (this host is itself a virtual machine)");
}

int probe_default_cpu(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
}

int probe_run(const struct probe_pattern *p, struct probe_result *r, char *why, size_t len)
{
	struct probe_ctx c = { .rt = p->rt, .kvm = -1, .vm = -1, .vcpu = -1, .efd = -1, .statsfd = -1, .why = why, .len = len };
	memset(r, 0, sizeof(*r));
	r->pat = *p;
	sim_hist_init(&r->lat);
	sim_hist_init(&r->handler);
	sim_hist_init(&r->eoi);
	struct utsname u;
	uname(&u);
	snprintf(r->kernel, sizeof(r->kernel), "%s", u.release);
	read_module(r);
	int rc = p->count < 1 || p->count > PROBE_MAX_COUNT ? failf(&c, 2, "count out of range") : setup(&c, p, r);
	if (!rc) {
		struct sigaction sa = { .sa_handler = on_stop };
		sigaction(SIGUSR1, &sa, NULL);
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		cpu_set_t orig;
		sched_getaffinity(0, sizeof(orig), &orig);
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		r->vcpu_cpu = p->vcpu_cpu_set && p->vcpu_cpu < ncpu ? p->vcpu_cpu : probe_default_cpu();
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(r->vcpu_cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		c.tsc_off = tsc_offset(&c);
		if (p->kind == PROBE_TIMER) { /* the guest arms its first deadline from here at start */
			c.timer_period = (uint64_t)p->interval_ns * r->tsc_khz / 1000000;
			c.timer_dl0 = __rdtsc() + (uint64_t)c.tsc_off +
				      (uint64_t)(SETTLE_NS + p->interval_ns) * r->tsc_khz / 1000000;
			uint32_t per = (uint32_t)c.timer_period;
			memcpy(c.mem + TIMER_BASE, &c.timer_dl0, 8);
			memcpy(c.mem + TIMER_BASE + 8, &per, 4);
		}
		if (pthread_create(&c.thread, &attr, vcpu_thread, &c))
			rc = failf(&c, 1, "pthread_create failed");
		pthread_attr_destroy(&attr);
		if (!rc) {
			pin(r->vcpu_cpu == 0 && ncpu > 1 ? 1 : 0);
			bool waker_rt = p->rt && rt(49);
			rc = measure(&c, p, r);
			r->rt = waker_rt && c.rt_ok;
			struct sched_param sp = { 0 };
			pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
			r->tid = c.tid;
			r->waker_tid = (int)syscall(SYS_gettid);
			c.stopping = 1;
			pthread_kill(c.thread, SIGUSR1);
			pthread_join(c.thread, NULL);
		}
		sched_setaffinity(0, sizeof(orig), &orig);
		if (!rc && c.run->exit_reason != KVM_EXIT_INTR)
			rc = failf(&c, 1, "the guest stopped with exit reason %u", c.run->exit_reason);
	}
	free(c.desc);
	if (c.run)
		munmap(c.run, c.run_size);
	if (c.mem)
		munmap(c.mem, GUEST_MEM);
	int fds[] = { c.statsfd, c.efd, c.vcpu, c.vm, c.kvm };
	for (int i = 0; i < 5; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (rc)
		probe_result_free(r);
	return rc;
}

void probe_background_free(struct probe_background *bg)
{
	free(bg->at_ns);
	free(bg->work_ns);
	free(bg->busy_ns);
	free(bg->idle_ns);
	free(bg->msi_ns);
	memset(bg, 0, sizeof(*bg));
}

void probe_result_free(struct probe_result *r)
{
	free(r->gap_ns);
	r->gap_ns = NULL;
	sim_hist_free(&r->lat);
	sim_hist_free(&r->handler);
	sim_hist_free(&r->eoi);
	probe_background_free(&r->bg);
}
