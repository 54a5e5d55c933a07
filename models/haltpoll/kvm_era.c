/*
 * kvm_era.c - kernel release -> halt-polling behaviour table.
 *
 * Each flag is switched on at the first release that has the behaviour. The
 * releases are those docs/kernel-behaviour.md §0 names, narrowed where the kernel's
 * history pins the change; see the comments for the ones that are bounds.
 */
#include "models/haltpoll/kvm_era.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V KVM_VERSION_CODE

int kvm_version_parse(const char *s, unsigned *version, char *err, size_t errlen)
{
	unsigned long part[3] = { 0, 0, 0 };
	int n = 0;
	const char *p = s;
	if (!s || !*s)
		goto bad;
	if (*p == 'v')
		p++;
	while (n < 3) {
		if (*p < '0' || *p > '9')
			goto bad;
		char *end;
		part[n++] = strtoul(p, &end, 10);
		p = end;
		if (*p == '.') {
			p++;
			continue;
		}
		break;
	}
	if (*p != '\0' || n < 2 || part[0] > 255 || part[1] > 255)
		goto bad;
	if (part[2] > 255)
		part[2] = 255; /* stable releases go past 255 (4.9.337); the era is what matters */
	*version = V(part[0], part[1], part[2]);
	return 0;
bad:
	snprintf(err, errlen, "expected a kernel release like 6.1 or 5.10.7, got \"%s\"", s ? s : "");
	return -1;
}

static const char *const arch_names[KVM_ARCH_N] = { "x86", "powerpc", "s390", "arm64" };

int kvm_arch_parse(const char *s, enum kvm_arch *arch)
{
	for (int i = 0; i < KVM_ARCH_N; i++)
		if (!strcmp(s, arch_names[i])) {
			*arch = (enum kvm_arch)i;
			return 0;
		}
	return -1;
}

const char *kvm_arch_name(enum kvm_arch arch)
{
	return arch < KVM_ARCH_N ? arch_names[arch] : "?";
}

uint32_t kvm_halt_poll_ns_default(unsigned v, enum kvm_arch arch)
{
	switch (arch) {
	case KVM_ARCH_X86:
		/* 500000 in 4.4, 400000 in 4.9, 200000 in 4.14; the changes are bounded, not pinned */
		if (v < V(4, 7, 0))
			return 500000;
		if (v < V(4, 13, 0))
			return 400000;
		return 200000;
	case KVM_ARCH_POWERPC:
		/* f4944613ad1a; dated to the 4.10 cycle, not pinned to a tag */
		return v < V(4, 10, 0) ? 500000 : 10000;
	case KVM_ARCH_S390:
		/* 0 in 4.4, 80000 by 4.9 (change not pinned), 50000 from 5.2 */
		if (v < V(4, 7, 0))
			return 0;
		return v < V(5, 2, 0) ? 80000 : 50000;
	case KVM_ARCH_ARM64:
	default:
		return 500000;
	}
}

/*
 * since - v has a change that reached mainline in `mainline` and was backported
 * to the stable series listed as (series, first patch level) pairs.
 */
static bool since(unsigned v, unsigned mainline, const unsigned *backports, size_t n)
{
	if (v >= mainline)
		return true;
	for (size_t i = 0; i < n; i++)
		if ((v & ~0xffu) == (backports[i] & ~0xffu) && v >= backports[i])
			return true;
	return false;
}

/* 262de4102c7b (need_resched) and 258785ef08b3 (grow cap), 5.13, both in the same stable batches */
static const unsigned kvm_513_fixes[] = { V(5, 10, 38), V(5, 11, 22), V(5, 12, 5) };
/* ae232ea46088 (shrink floor), 5.15 */
static const unsigned shrink_floor_fix[] = { V(5, 4, 152), V(5, 10, 72), V(5, 14, 11) };
/* "Plumb force_immediate_exit into kvm_entry() tracepoint", 6.9 */
static const unsigned entry_immediate_fix[] = { V(6, 1, 149), V(6, 6, 103) };

#define SINCE(v, m, b) since(v, m, b, sizeof(b) / sizeof(*(b)))

int kvm_era_for(unsigned v, enum kvm_arch arch, struct kvm_era *e, char *err, size_t errlen)
{
	if (v < KVM_OLDEST_VERSION) {
		snprintf(err, errlen,
			 "%u.%u predates adaptive halt polling; the oldest modelled release is 4.3",
			 v >> 16, (v >> 8) & 0xff);
		return -1;
	}
	if (arch >= KVM_ARCH_N) {
		snprintf(err, errlen, "unknown architecture");
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->version = v;
	e->arch = arch;
	e->era = v < V(4, 7, 0)	  ? 'A'
		 : v < V(5, 1, 0)  ? 'B'
		 : v < V(5, 8, 0)  ? 'C'
		 : v < V(5, 15, 0) ? 'D'
		 : v < V(6, 1, 0)  ? 'E'
				   : 'F';

	bool fix513 = SINCE(v, V(5, 13, 0), kvm_513_fixes);
	e->grow_start_param = v >= V(5, 1, 0);
	if (e->era == 'A' || e->era == 'F')
		e->grow_cap = KVM_GROW_CAP_NONE;
	else if (v >= V(5, 8, 0) && fix513)
		e->grow_cap = KVM_GROW_CAP_VM;
	else
		e->grow_cap = KVM_GROW_CAP_GLOBAL;
	e->shrink_floor = SINCE(v, V(5, 15, 0), shrink_floor_fix);

	e->max_source = v < V(5, 8, 0) ? KVM_MAX_GLOBAL : v < V(6, 1, 0) ? KVM_MAX_VM : KVM_MAX_OVERRIDE;
	e->valid_wakeup = v >= V(4, 7, 0);
	e->arch_invalid_wakeups = arch == KVM_ARCH_S390;
	/* the generic hook is 5.2 (s390 steal time); x86's poll-control MSR is 5.3 */
	e->no_poll = arch == KVM_ARCH_X86 ? v >= V(5, 3, 0) : arch == KVM_ARCH_S390 && v >= V(5, 2, 0);
	e->no_poll_skips_adapt = v >= V(5, 4, 0);
	e->need_resched = fix513;
	e->halt_split = v >= V(5, 17, 0);
	e->clamp_before_poll = v >= V(6, 1, 0);
	e->cap_halt_poll = v >= V(5, 8, 0);
	e->non_halt_block_polls = v < V(5, 17, 0);

	e->stat_poll_invalid = v >= V(4, 7, 0);
	e->stat_poll_ns = v >= V(5, 8, 0);
	e->stat_wait = v >= V(5, 15, 0);
	e->stat_blocking = v >= V(5, 17, 0);

	e->tp_wakeup_valid = v >= V(4, 7, 0);
	e->tp_halt_poll_signed = v < V(4, 7, 0);
	e->tp_kvm_exit = v < V(5, 4, 0) ? 0 : v < V(5, 10, 0) ? 1 : v < V(6, 14, 0) ? 2 : 3;
	e->tp_kvm_entry = v < V(5, 10, 0)					? 0
			  : v >= V(6, 14, 0)					? 3
			  : SINCE(v, V(6, 9, 0), entry_immediate_fix) ? 2
									: 1;
	e->tp_inj_virq_new = v >= V(6, 0, 0);
	e->tp_hv_timer_newline = v < V(5, 4, 0);
	/* bounded, not pinned: 4.4.302 has the first layout, 4.19.71 the last */
	e->tp_msi_set_irq = v < V(4, 6, 0) ? 0 : v < V(4, 8, 0) ? 1 : 2;
	/* start_sw_timer()/restart_apic_timer(): observed in 4.19, absent in 4.9 */
	e->tp_hv_state_sw = v >= V(4, 19, 0);

	e->hv_timer = arch == KVM_ARCH_X86 && v >= V(4, 9, 0);
	e->hv_advance = v >= V(4, 10, 0);
	e->pv_send_ipi = arch == KVM_ARCH_X86 && v >= V(4, 19, 0); /* "KVM: X86: Implement \"send IPI\" hypercall" (Wanpeng Li, 2018) */
	e->hv_oneshot = v >= V(4, 19, 0); /* observed in 4.19; 4.9 ran only TSC-deadline on it */
	e->ptimer_fastpath = v >= V(5, 10, 0);
	/* "KVM: VMX: FIXED+PHYSICAL mode single target IPI fastpath" (Wanpeng Li), applied after the
	 * 5.5 merge window: 5.6; moved into .run() by "KVM: X86: Improve latency for single target IPI
	 * fastpath" for 5.8; "Filter the broadcast dest for IPI fastpath" posted the week 5.6 came out,
	 * placed at 5.7 (bounded, not pinned to a tag) */
	e->icr_fastpath = arch != KVM_ARCH_X86 ? 0 : v >= V(5, 8, 0) ? 2 : v >= V(5, 6, 0) ? 1 : 0;
	e->icr_fastpath_no_bcast = e->icr_fastpath && v >= V(5, 7, 0);
	/* vmx_set_hv_timer()'s `expired` and start_hv_timer() acting on it: the 2019 series
	 * "KVM: lapic: Fix a variety of timer adv issues" (Sean Christopherson), merged for 5.2 */
	e->hv_expired_at_start = v >= V(5, 2, 0);
	e->advance_default = v >= V(5, 2, 0) ? -1 : 0;
	e->advance_bool = v >= V(6, 10, 0);
	e->eevdf = v >= V(6, 6, 0);

	if (arch == KVM_ARCH_POWERPC) {
		/* 8a7e75d47b68 "Implement halt polling", 4.8; the generic kvm parameters from 4.14 */
		e->vcore_poll = v >= V(4, 8, 0);
		e->vcore_own_max = e->vcore_poll && v < V(4, 14, 0);
		e->vcore_clamp = v >= V(4, 14, 0);
		/* "exit halt polling on need_resched() as well" (Wanpeng Li, posted May 2021): placed
		 * at 5.15, not pinned to a tag; it changes no replayed decision */
		e->vcore_need_resched = v >= V(5, 15, 0);
		/* ecb6a7207f92 "Book3S HV P9: Remove most of the vcore logic", in the powerpc
		 * tree for 5.16 (its linux-next merge conflict with KVM's 5.16 rcuwait change) */
		e->vcore_p9_no_poll = v >= V(5, 16, 0);
	}
	e->defaults.halt_poll_ns = kvm_halt_poll_ns_default(v, arch);
	e->defaults.halt_poll_ns_grow = 2;
	e->defaults.halt_poll_ns_grow_start = 10000;
	e->defaults.halt_poll_ns_shrink = v >= V(6, 11, 0) ? 2 : 0;
	return 0;
}
