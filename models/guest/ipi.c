/*
 * ipi.c - the guest's IPI send primitive (guest.h: guest_send_ipi), as Linux's
 * x86 APIC drivers send a fixed, physically addressed IPI to one CPU:
 *
 *   x2APIC (x2apic_send_IPI): one WRMSR to MSR 0x830, the destination's APIC ID
 *     in bits 63:32 and the vector in the low half;
 *   xAPIC (__default_send_IPI_dest_field): the destination into ICR2, then the
 *     vector into ICR, whose write sends;
 *   PV (kvm_send_ipi_mask, 4.19+, x2APIC guests with KVM_FEATURE_PV_SEND_IPI):
 *     KVM_HC_SEND_IPI with a bitmap of APIC IDs from the lowest one and the ICR.
 *
 * Not modelled: xAPIC's wait for the ICR's delivery-status bit before the
 * write (a read of the APIC page, an exit without APICv).
 */
#include "models/guest/guest.h"

#include "models/costs/costs.h"

void guest_send_ipi(struct guest_cpu *g, uint32_t dest, uint8_t vector)
{
	struct gop ops[3];
	int n = 0;
	ops[n++] = (struct gop){ .kind = GOP_RUN, .ps = guest_cost(g, COST_guest_ipi_send) };
	if (g->conf.pv_send_ipi) {
		/* __send_ipi_mask(): a0/a1 the bitmap from min = dest, a3 = APIC_DM_FIXED | vector */
		ops[n++] = (struct gop){ .kind = GOP_INSN,
					 .insn = { .kind = GUEST_VMCALL, .reg = KVM_HC_SEND_IPI, .value = 1,
						   .a = { 0, dest, vector }, .rip = GUEST_RIP_PV_IPI } };
	} else if (g->conf.x2apic) {
		ops[n++] = (struct gop){ .kind = GOP_INSN,
					 .insn = { .kind = GUEST_WRMSR, .reg = X2APIC_MSR_ICR,
						   .value = (uint64_t)dest << 32 | vector, .rip = GUEST_RIP_IPI } };
	} else {
		ops[n++] = (struct gop){ .kind = GOP_INSN,
					 .insn = { .kind = GUEST_APIC_WRITE, .reg = APIC_ICR2, .value = (uint64_t)(dest & 0xff) << 24,
						   .rip = GUEST_RIP_IPI } };
		ops[n++] = (struct gop){ .kind = GOP_INSN,
					 .insn = { .kind = GUEST_APIC_WRITE, .reg = APIC_ICR, .value = vector,
						   .rip = GUEST_RIP_IPI } };
	}
	for (int i = n; i-- > 0;)
		guest_push_front(g, &ops[i]);
}

bool guest_idle_polling(const struct guest_cpu *g)
{
	if (!g->idle || g->qn)
		return false;
	return g->conf.haltpoll ? g->idle_state == HALTPOLL_POLL : g->conf.idle_poll;
}
