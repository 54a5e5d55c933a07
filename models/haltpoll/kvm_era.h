/*
 * kvm_era.h - what changes in halt polling from one kernel release to the next.
 *
 * Version differences are data: kvm_era_for() turns a release and an
 * architecture into this table, and the halt handler and the "kvm" policy read
 * flags from it instead of comparing version numbers themselves. The eras are
 * those of docs/kernel-behaviour.md §1:
 *
 *   A  4.3 .. 4.6    dynamic polling as first merged; grow has no ceiling
 *   B  4.7 .. 5.0    valid_wakeup; grow capped at the module halt_poll_ns
 *   C  5.1 .. 5.7    halt_poll_ns_grow_start; kvm_arch_no_poll (5.2 s390, 5.3 x86)
 *   D  5.8 .. 5.14   per-VM max_halt_poll_ns (KVM_CAP_HALT_POLL); poll-time stats;
 *                    need_resched and the VM grow cap from 5.13 (and 5.10.38,
 *                    5.11.22, 5.12.5)
 *   E  5.15 .. 6.0   shrink floor (also 5.4.152, 5.10.72, 5.14.11), histograms;
 *                    kvm_vcpu_halt() split (5.17)
 *   F  6.1 ..        clamp before polling, override flag, live module parameter;
 *                    halt_poll_ns_shrink defaults to 2 from 6.11
 *
 * A first reading of the sources placed D at 5.10 and the 5.13
 * changes at 5.15; the kernel's merge and stable history says otherwise, and
 * the table follows the history. Releases whose behaviour is only bounded
 * (4.5-4.8 defaults and formats) are noted where they are set.
 */
#ifndef KVMSIM_HALTPOLL_KVM_ERA_H
#define KVMSIM_HALTPOLL_KVM_ERA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/haltpoll/policy.h"

enum kvm_arch { KVM_ARCH_X86, KVM_ARCH_POWERPC, KVM_ARCH_S390, KVM_ARCH_ARM64, KVM_ARCH_N };

/* Where grow_halt_poll_ns() caps the new value. */
enum kvm_grow_cap {
	KVM_GROW_CAP_NONE,   /* era A; and F, where the next halt clamps instead */
	KVM_GROW_CAP_GLOBAL, /* the module parameter halt_poll_ns */
	KVM_GROW_CAP_VM,     /* kvm->max_halt_poll_ns */
};

/* What the decision ceiling MAX is. */
enum kvm_max_source {
	KVM_MAX_GLOBAL,      /* the live module parameter (up to 5.9) */
	KVM_MAX_VM,          /* kvm->max_halt_poll_ns, a snapshot taken at VM creation (5.10-6.0) */
	KVM_MAX_OVERRIDE,    /* KVM_CAP_HALT_POLL's value if set, else the live parameter (6.1+) */
};

struct kvm_era {
	unsigned version; /* KVM_VERSION_CODE */
	enum kvm_arch arch;
	char era;         /* 'A'..'F' */

	/* grow/shrink (docs/kernel-behaviour.md §1.4) */
	bool grow_start_param;   /* 5.1+: grow from halt_poll_ns_grow_start; else hard-coded 10000 */
	enum kvm_grow_cap grow_cap;
	bool shrink_floor;       /* 5.15+: shrink below grow_start resets to 0 */

	/* the halt handler (docs/kernel-behaviour.md §1.5) */
	enum kvm_max_source max_source;
	bool valid_wakeup;       /* 4.7+: invalid wake-ups shrink and count halt_poll_invalid */
	bool arch_invalid_wakeups; /* the architecture has invalid wake-ups at all (s390) */
	bool no_poll;            /* kvm_arch_no_poll() can be true (x86 5.3+, s390 5.2+) */
	bool no_poll_skips_adapt; /* 5.4+: no_poll also skips grow/shrink */
	bool need_resched;       /* 5.13+: polling also stops on need_resched() */
	bool halt_split;         /* 5.17+: kvm_vcpu_halt(); success means "never scheduled out" */
	bool clamp_before_poll;  /* 6.1+: halt_poll_ns clamped to MAX before polling, silently */
	bool cap_halt_poll;      /* 5.8+: KVM_CAP_HALT_POLL exists */
	bool non_halt_block_polls; /* up to 5.16 every x86 block polled, not only HLT */

	/* statistics (docs/kernel-behaviour.md §1.8) */
	bool stat_poll_invalid;  /* halt_poll_invalid */
	bool stat_poll_ns;       /* halt_poll_success_ns / halt_poll_fail_ns */
	bool stat_wait;          /* halt_wait_ns and the three histograms */
	bool stat_blocking;      /* blocking */

	/* tracepoint formats (docs/kernel-behaviour.md §6) */
	bool tp_wakeup_valid;    /* kvm_vcpu_wakeup prints ", polling valid|invalid" */
	bool tp_halt_poll_signed; /* kvm_halt_poll_ns prints %d (4.4) instead of %u */
	int tp_kvm_exit;         /* 0: <5.4 "reason", 1: 5.4 "vcpu reason", 2: 5.10+ info1/info2, 3: 6.14+ requests */
	int tp_kvm_entry;        /* 0: "vcpu %u", 1: 5.10+ ", rip", 2: 6.9+ immediate exit, 3: 6.14+ intr_info */
	bool tp_inj_virq_new;    /* 6.0+: "IRQ 0x%x" instead of "irq %u" */
	bool tp_hv_timer_newline; /* <5.4: kvm_hv_timer_state ends in "\n" */
	int tp_msi_set_irq;      /* 0: <4.6 "dst %u vec %x", 1: "dst %u vec %u", 2: 4.8+ "dst %llx vec %u" */
	bool tp_hv_state_sw;     /* 4.19+: every start of the sw timer traces kvm_hv_timer_state 0 */

	/* LAPIC timer (docs/kernel-behaviour.md §4) */
	bool hv_timer;           /* 4.9+: the VMX preemption timer emulates the TSC-deadline timer */
	bool hv_advance;         /* 4.10+: the hv timer also fires timer_advance_ns early */
	bool hv_oneshot;         /* 4.19+: one-shot and periodic modes use the hv timer too */
	bool ptimer_fastpath;    /* 5.10+: PREEMPTION_TIMER exits handled in the exit fastpath */
	bool hv_expired_at_start; /* 5.2+: a deadline already due (or a timer pending) when the hv timer
				   * starts fires in software at once, without a PREEMPTION_TIMER exit */
	int64_t advance_default; /* kvm.lapic_timer_advance_ns default: 0 (<5.2), -1 adaptive (5.2+) */
	bool advance_bool;       /* 6.10+: only kvm.lapic_timer_advance (adaptive or off) */

	/*
	 * PowerPC Book3S HV vcore polling (models/vcore/vcore.h, docs/kernel-behaviour.md §2);
	 * all false on the other architectures.
	 */
	bool vcore_poll;         /* 4.8+: kvmppc_vcore_blocked() polls with vc->halt_poll_ns */
	bool vcore_own_max;      /* 4.8-4.13: kvm_hv's own halt_poll_max_ns is MAX, and grow caps at it */
	bool vcore_clamp;        /* 4.14+: MAX is kvm's halt_poll_ns; vc->halt_poll_ns clamped to it after adapting */
	bool vcore_need_resched; /* 5.15+: polling also stops on need_resched() */
	bool vcore_p9_no_poll;   /* 5.16+: on POWER9 (ARCH_300) a ceded vCPU sleeps at once, no vcore */

	/* guest IPIs (models/vcpu/ipi.c, docs/ipi.md) */
	bool pv_send_ipi;        /* x86 4.19+: KVM_HC_SEND_IPI (KVM_FEATURE_PV_SEND_IPI), one VMCALL for a bitmap */
	/*
	 * x86: the exit fastpath for a WRMSR to the x2APIC ICR (handle_fastpath_set_x2apic_icr_irqoff):
	 * 0 none (up to 5.5); 1 from handle_exit_irqoff() (5.6-5.7, 1e9e2622a149); 2 inside the vendor
	 * .run() right after the exit (5.8+, a9ab13ff6e84). No shorthand, physical, fixed only.
	 */
	int icr_fastpath;
	bool icr_fastpath_no_bcast; /* 5.7+: destination 0xffffffff (broadcast) takes the normal path */

	/* the host scheduler (models/host/sched_fair.c) */
	bool eevdf;              /* 6.6+: the fair class is EEVDF (147f3efaa241), before it CFS */

	/* module parameter defaults of this release and architecture */
	struct kvm_module_params defaults;
};

/* kvm_version_parse - "6.1", "5.10.7" -> KVM_VERSION_CODE; -1 with a message if malformed. */
int kvm_version_parse(const char *s, unsigned *version, char *err, size_t errlen);

/* kvm_arch_parse - "x86" | "powerpc" | "s390" | "arm64"; -1 if unknown. */
int kvm_arch_parse(const char *s, enum kvm_arch *arch);
const char *kvm_arch_name(enum kvm_arch arch);

/* kvm_era_for - fill *e for a release and architecture; -1 with a message if not modelled. */
int kvm_era_for(unsigned version, enum kvm_arch arch, struct kvm_era *e, char *err, size_t errlen);

/* KVM_HALT_POLL_NS_DEFAULT of a release and architecture (docs/kernel-behaviour.md §1.2). */
uint32_t kvm_halt_poll_ns_default(unsigned version, enum kvm_arch arch);

#define KVM_OLDEST_VERSION KVM_VERSION_CODE(4, 3, 0)

#endif
