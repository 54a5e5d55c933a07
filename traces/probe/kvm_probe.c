/*
 * kvm_probe.c - a minimal guest under /dev/kvm, woken at controlled times, to
 * record real halt-polling traces (traces/samples/).
 *
 * The VM has the in-kernel irqchip (KVM_CREATE_IRQCHIP), so a guest HLT takes
 * the kernel's own halt path: kvm_vcpu_halt(), halt polling, the sleep, and
 * the kvm_halt_poll_ns / kvm_vcpu_wakeup tracepoints. Each vCPU runs a few
 * dozen bytes of real-mode code: switch its local APIC to x2APIC mode, enable it,
 * then loop on `sti; hlt`; the interrupt handler writes the x2APIC EOI MSR
 * and returns. A waker thread raises one MSI per vCPU at the times of the
 * chosen pattern, through an irqfd (KVM_IRQFD on an MSI route, the path a
 * vhost or VFIO device takes) or KVM_SIGNAL_MSI (the path a device model in
 * the VMM takes).
 *
 * The halt-poll ceiling is set per VM with KVM_ENABLE_CAP(KVM_CAP_HALT_POLL)
 * when --halt-poll-ns is given; the kvm module parameters are never written.
 * vCPU threads are named "CPU N/KVM" as QEMU names them, so the traces look
 * like a QEMU guest's.
 *
 * The probe does no tracing itself: run it under trace-cmd record, perf
 * record, or with tracefs events enabled (traces/probe/record.sh does all
 * three). It exits 77 when /dev/kvm or what it needs from KVM is missing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define EXIT_SKIP 77
#define MAX_VCPUS 8
#define MAX_PATTERN 64
#define GUEST_MEM (64 << 10)
#define GUEST_CODE 0x1000
#define GUEST_STACK 0x8000
#define WAKE_VECTOR 0x40
#define GSI_BASE 24 /* above the IOAPIC pins, so the default routes keep their numbers */

/* The guest: real mode, loaded at GUEST_CODE, handler right after the loop. */
static const uint8_t guest_code[] = {
	0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00, /* mov ecx, 0x1b (IA32_APIC_BASE) */
	0x0f, 0x32,                         /* rdmsr */
	0x66, 0x0d, 0x00, 0x0c, 0x00, 0x00, /* or eax, 0xc00 (EN | EXTD: x2APIC) */
	0x0f, 0x30,                         /* wrmsr */
	0x66, 0xb9, 0x0f, 0x08, 0x00, 0x00, /* mov ecx, 0x80f (x2APIC SPIV) */
	0x66, 0xb8, 0xff, 0x01, 0x00, 0x00, /* mov eax, 0x1ff (APIC enabled, spurious 0xff) */
	0x66, 0x31, 0xd2,                   /* xor edx, edx */
	0x0f, 0x30,                         /* wrmsr */
	0xfb,                               /* idle: sti */
	0xf4,                               /* hlt */
	0xeb, 0xfc,                         /* jmp idle */
	/* handler: */
	0x66, 0x50, 0x66, 0x51, 0x66, 0x52, /* push eax; push ecx; push edx */
	0x66, 0xb9, 0x0b, 0x08, 0x00, 0x00, /* mov ecx, 0x80b (x2APIC EOI) */
	0x66, 0x31, 0xc0,                   /* xor eax, eax */
	0x66, 0x31, 0xd2,                   /* xor edx, edx */
	0x0f, 0x30,                         /* wrmsr */
	0x66, 0x5a, 0x66, 0x59, 0x66, 0x58, /* pop edx; pop ecx; pop eax */
	0xcf,                               /* iret */
};
#define GUEST_HANDLER (GUEST_CODE + 37)

struct probe_conf {
	int vcpus;
	long long halt_poll_ns; /* -1: leave the VM to the module parameter */
	uint64_t pattern_ns[MAX_PATTERN];
	int npattern;
	double exp_mean_ns; /* > 0: exponential intervals instead of the pattern */
	uint64_t seed;
	long count;
	bool msi;     /* KVM_SIGNAL_MSI instead of an irqfd */
	bool stagger; /* vCPU i is woken i/vcpus of an interval later than vCPU 0 */
	bool pin;
};

struct probe_vcpu {
	int index, fd, efd;
	struct kvm_run *run;
	pthread_t thread;
	uint64_t exits;
};

static int kvm_fd = -1, vm_fd = -1;
static struct probe_vcpu vcpus[MAX_VCPUS];
static volatile sig_atomic_t stopping;
static __thread struct kvm_run *this_run;

/* die - a failure of the probe itself (exit 1), or of what the host offers (77). */
static void __attribute__((noreturn, format(printf, 2, 3))) die(int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "kvm_probe: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(rc);
}

/* on_stop - SIGUSR1 ends KVM_RUN; immediate_exit closes the race with entering it. */
static void on_stop(int sig)
{
	(void)sig;
	if (this_run)
		this_run->immediate_exit = 1;
}

/* vcpu_thread - run one vCPU until told to stop; any userspace exit is a probe bug. */
static void *vcpu_thread(void *arg)
{
	struct probe_vcpu *v = arg;
	char name[16];
	snprintf(name, sizeof(name), "CPU %d/KVM", v->index);
	pthread_setname_np(pthread_self(), name);
	this_run = v->run;
	while (!stopping) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die(1, "vCPU %d: KVM_RUN: %s", v->index, strerror(errno));
		}
		v->exits++;
		if (v->run->exit_reason != KVM_EXIT_INTR)
			die(1, "vCPU %d: unexpected exit to userspace (reason %u)", v->index,
			    v->run->exit_reason);
	}
	return NULL;
}

/* setup_cpuid - the host's supported CPUID, so the guest may turn on x2APIC. */
static void setup_cpuid(int fd, int index)
{
	int n = 256;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (size_t)n * sizeof(c->entries[0]));
	c->nent = (uint32_t)n;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0)
		die(EXIT_SKIP, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1) {
			if (!(c->entries[i].ecx & (1u << 21)))
				die(EXIT_SKIP, "this KVM offers no x2APIC to its guests");
			c->entries[i].ebx = (c->entries[i].ebx & 0x00ffffff) | ((uint32_t)index << 24);
		}
	if (ioctl(fd, KVM_SET_CPUID2, c) < 0)
		die(1, "KVM_SET_CPUID2: %s", strerror(errno));
	free(c);
}

/* setup_vcpu - real mode at GUEST_CODE with flat 64 KiB segments; APs made runnable. */
static void setup_vcpu(struct probe_vcpu *v, int index, size_t run_size)
{
	v->index = index;
	v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, index);
	if (v->fd < 0)
		die(1, "KVM_CREATE_VCPU %d: %s", index, strerror(errno));
	v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		die(1, "mmap kvm_run: %s", strerror(errno));
	setup_cpuid(v->fd, index);

	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		die(1, "KVM_GET_SREGS: %s", strerror(errno));
	struct kvm_segment *segs[] = { &s.cs, &s.ds, &s.es, &s.fs, &s.gs, &s.ss };
	for (size_t i = 0; i < sizeof(segs) / sizeof(*segs); i++) {
		segs[i]->base = 0;
		segs[i]->selector = 0;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		die(1, "KVM_SET_SREGS: %s", strerror(errno));
	struct kvm_regs r = { .rip = GUEST_CODE, .rsp = GUEST_STACK - 0x100 * (uint64_t)index, .rflags = 2 };
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		die(1, "KVM_SET_REGS: %s", strerror(errno));
	if (index) { /* an AP waits for INIT/SIPI; let it run the same code instead */
		struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };
		if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
			die(1, "KVM_SET_MP_STATE: %s", strerror(errno));
	}
}

/* setup_routes - one MSI route per vCPU (x2APIC destination = vCPU index), and its irqfd. */
static void setup_routes(const struct probe_conf *c)
{
	struct kvm_irq_routing *rt = calloc(1, sizeof(*rt) + MAX_VCPUS * sizeof(rt->entries[0]));
	rt->nr = (uint32_t)c->vcpus;
	for (int i = 0; i < c->vcpus; i++) {
		rt->entries[i].gsi = GSI_BASE + (uint32_t)i;
		rt->entries[i].type = KVM_IRQ_ROUTING_MSI;
		rt->entries[i].u.msi.address_lo = 0xfee00000u | ((uint32_t)i << 12);
		rt->entries[i].u.msi.data = WAKE_VECTOR; /* fixed, edge */
	}
	if (ioctl(vm_fd, KVM_SET_GSI_ROUTING, rt) < 0)
		die(EXIT_SKIP, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
	free(rt);
	for (int i = 0; i < c->vcpus && !c->msi; i++) {
		vcpus[i].efd = eventfd(0, EFD_CLOEXEC);
		struct kvm_irqfd f = { .fd = (uint32_t)vcpus[i].efd, .gsi = GSI_BASE + (uint32_t)i };
		if (vcpus[i].efd < 0 || ioctl(vm_fd, KVM_IRQFD, &f) < 0)
			die(EXIT_SKIP, "KVM_IRQFD: %s", strerror(errno));
	}
}

/* setup_vm - the VM, its memory with the guest code and vector table, irqchip and routes. */
static void setup_vm(const struct probe_conf *c)
{
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die(EXIT_SKIP, "/dev/kvm: %s", strerror(errno));
	if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die(EXIT_SKIP, "KVM API version is not %d", KVM_API_VERSION);
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die(EXIT_SKIP, "KVM_CREATE_VM: %s", strerror(errno));
	if (c->halt_poll_ns >= 0) {
		if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL) <= 0)
			die(EXIT_SKIP, "this KVM lacks KVM_CAP_HALT_POLL (5.8+)");
		struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL, .args = { (uint64_t)c->halt_poll_ns } };
		if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			die(1, "KVM_ENABLE_CAP(KVM_CAP_HALT_POLL, %lld): %s", c->halt_poll_ns, strerror(errno));
	}

	uint8_t *mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die(1, "guest memory: %s", strerror(errno));
	memcpy(mem + GUEST_CODE, guest_code, sizeof(guest_code));
	uint16_t ivt[2] = { GUEST_HANDLER, 0 }; /* offset, segment */
	memcpy(mem + 4 * WAKE_VECTOR, ivt, sizeof(ivt));
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM, .userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die(1, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	if (ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		die(EXIT_SKIP, "KVM_CREATE_IRQCHIP: %s", strerror(errno));

	int run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		die(1, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	for (int i = 0; i < c->vcpus; i++)
		setup_vcpu(&vcpus[i], i, (size_t)run_size);
	setup_routes(c);
}

/* next_interval - the pattern cycled, or a seeded exponential draw (xorshift64*). */
static uint64_t next_interval(const struct probe_conf *c, long i, uint64_t *rng)
{
	if (c->exp_mean_ns <= 0)
		return c->pattern_ns[i % c->npattern];
	*rng ^= *rng >> 12;
	*rng ^= *rng << 25;
	*rng ^= *rng >> 27;
	double u = (double)((*rng * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
	return (uint64_t)(-c->exp_mean_ns * __builtin_log(1.0 - u)) + 1;
}

/* ts_add - advance a timespec by ns. */
static void ts_add(struct timespec *t, uint64_t ns)
{
	uint64_t s = (uint64_t)t->tv_nsec + ns;
	t->tv_sec += (time_t)(s / 1000000000u);
	t->tv_nsec = (long)(s % 1000000000u);
}

/* wake - raise vCPU i's MSI. */
static void wake(const struct probe_conf *c, int i)
{
	if (c->msi) {
		struct kvm_msi m = { .address_lo = 0xfee00000u | ((uint32_t)i << 12), .data = WAKE_VECTOR };
		if (ioctl(vm_fd, KVM_SIGNAL_MSI, &m) < 0)
			die(1, "KVM_SIGNAL_MSI: %s", strerror(errno));
	} else {
		uint64_t one = 1;
		if (write(vcpus[i].efd, &one, sizeof(one)) != sizeof(one))
			die(1, "irqfd write: %s", strerror(errno));
	}
}

/* run_waker - the wake-up schedule, on absolute CLOCK_MONOTONIC deadlines. */
static void run_waker(const struct probe_conf *c)
{
	struct timespec t;
	uint64_t rng = c->seed * 0x9e3779b97f4a7c15ull + 1;
	clock_gettime(CLOCK_MONOTONIC, &t);
	ts_add(&t, 20000000); /* let every vCPU reach its first HLT */
	for (long n = 0; n < c->count; n++) {
		uint64_t iv = next_interval(c, n, &rng);
		ts_add(&t, iv);
		for (int i = 0; i < c->vcpus; i++) {
			struct timespec ti = t;
			if (c->stagger)
				ts_add(&ti, iv * (uint64_t)i / (uint64_t)c->vcpus);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ti, NULL) == EINTR)
				;
			wake(c, i);
		}
	}
	struct timespec settle = { 0, 20000000 };
	nanosleep(&settle, NULL);
}

/* pin_self - run the calling thread on cpu (modulo the CPUs online). */
static void pin_self(int cpu)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET((int)(cpu % (ncpu > 0 ? ncpu : 1)), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* usage - the --help text. */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvm_probe [options]\n\n"
		"Run a minimal guest under /dev/kvm that loops on `sti; hlt`, and wake each\n"
		"vCPU with an MSI at controlled intervals, so that the kernel's halt polling\n"
		"can be traced (kvm:kvm_vcpu_wakeup, kvm:kvm_halt_poll_ns, ...).\n\n"
		"  --halt-poll-ns NS   KVM_ENABLE_CAP(KVM_CAP_HALT_POLL, NS) on the VM\n"
		"                      (default: do not set it; the module parameter rules)\n"
		"  --interval LIST     wake intervals in us, cycled: e.g. 20,20,400 (default 100)\n"
		"  --exp MEAN_US       exponential intervals of this mean instead (seeded)\n"
		"  --seed N            seed of --exp (default 1)\n"
		"  --count N           wake-ups per vCPU (default 1000)\n"
		"  --vcpus N           vCPUs (1..%d, default 1)\n"
		"  --stagger           wake vCPU i i/N of an interval after vCPU 0\n"
		"  --msi               KVM_SIGNAL_MSI instead of an irqfd\n"
		"  --no-pin            do not pin the waker to CPU 0 and vCPU i to CPU i+1\n"
		"  -h, --help          this text\n\n"
		"Exit status: 0 done, 1 failed, 2 bad usage, 77 no usable /dev/kvm.\n",
		MAX_VCPUS);
}

/* parse_args - the options above into *c; exits 2 with one line on bad usage. */
static void parse_args(int argc, char **argv, struct probe_conf *c)
{
	static const struct option opts[] = {
		{ "halt-poll-ns", required_argument, NULL, 'p' }, { "interval", required_argument, NULL, 'i' },
		{ "exp", required_argument, NULL, 'e' },	  { "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },	  { "vcpus", required_argument, NULL, 'v' },
		{ "stagger", no_argument, NULL, 'g' },		  { "msi", no_argument, NULL, 'm' },
		{ "no-pin", no_argument, NULL, 'P' },		  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*c = (struct probe_conf){ .vcpus = 1, .halt_poll_ns = -1, .pattern_ns = { 100000 }, .npattern = 1,
				  .seed = 1, .count = 1000, .pin = true };
	int o;
	char *end;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		errno = 0;
		switch (o) {
		case 'p':
			c->halt_poll_ns = strtoll(optarg, &end, 10);
			if (*end || errno || c->halt_poll_ns < 0 || c->halt_poll_ns > UINT32_MAX)
				die(2, "--halt-poll-ns: expected 0..4294967295, got \"%s\"", optarg);
			break;
		case 'i': {
			c->npattern = 0;
			for (char *p = optarg; *p; p = end + (*end == ',')) {
				double us = strtod(p, &end);
				if (end == p || us <= 0 || us > 1e7 || (*end && *end != ',') ||
				    c->npattern == MAX_PATTERN)
					die(2, "--interval: expected up to %d intervals in us (e.g. 20,400), got \"%s\"",
					    MAX_PATTERN, optarg);
				c->pattern_ns[c->npattern++] = (uint64_t)(us * 1000.0 + 0.5);
			}
			if (!c->npattern)
				die(2, "--interval: expected a list of intervals in us");
			break;
		}
		case 'e':
			c->exp_mean_ns = strtod(optarg, &end) * 1000.0;
			if (*end || c->exp_mean_ns <= 0 || c->exp_mean_ns > 1e10)
				die(2, "--exp: expected a mean interval in us, got \"%s\"", optarg);
			break;
		case 's':
			c->seed = strtoull(optarg, &end, 10);
			if (*end || errno)
				die(2, "--seed: expected a whole number, got \"%s\"", optarg);
			break;
		case 'n':
			c->count = strtol(optarg, &end, 10);
			if (*end || errno || c->count < 1)
				die(2, "--count: expected a positive whole number, got \"%s\"", optarg);
			break;
		case 'v':
			c->vcpus = (int)strtol(optarg, &end, 10);
			if (*end || c->vcpus < 1 || c->vcpus > MAX_VCPUS)
				die(2, "--vcpus: expected 1..%d, got \"%s\"", MAX_VCPUS, optarg);
			break;
		case 'g':
			c->stagger = true;
			break;
		case 'm':
			c->msi = true;
			break;
		case 'P':
			c->pin = false;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			die(2, "%s: unknown option or missing value (kvm_probe --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die(2, "%s: unexpected argument (kvm_probe --help)", argv[optind]);
}

/* main - set up the VM, start the vCPU threads, wake them on schedule, stop them. */
int main(int argc, char **argv)
{
	struct probe_conf c;
	parse_args(argc, argv, &c);
	setup_vm(&c);

	struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART: KVM_RUN must return */
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < c.vcpus; i++) {
		cpu_set_t set;
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		if (c.pin) {
			CPU_ZERO(&set);
			CPU_SET((int)((1 + i) % (ncpu > 0 ? ncpu : 1)), &set);
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		}
		if (pthread_create(&vcpus[i].thread, &attr, vcpu_thread, &vcpus[i]))
			die(1, "pthread_create failed");
		pthread_attr_destroy(&attr);
	}
	if (c.pin)
		pin_self(0);
	run_waker(&c);

	stopping = 1;
	for (int i = 0; i < c.vcpus; i++) {
		pthread_kill(vcpus[i].thread, SIGUSR1);
		pthread_join(vcpus[i].thread, NULL);
	}
	char cap[48] = "the module's halt_poll_ns";
	if (c.halt_poll_ns >= 0)
		snprintf(cap, sizeof(cap), "KVM_CAP_HALT_POLL %lld", c.halt_poll_ns);
	fprintf(stderr, "kvm_probe: %d vCPU(s), %ld wake-ups each via %s, %s\n", c.vcpus, c.count,
		c.msi ? "KVM_SIGNAL_MSI" : "irqfd", cap);
	return 0;
}
