/*
 * probe_guest.h - the probe's guest, real-mode machine code (only probe.c
 * includes it). GUEST_CODE: x2APIC on, the LAPIC timer in TSC-deadline mode
 * armed at the deadline the host left at TIMER_BASE (0: not armed), then
 * `sti; hlt` forever. GUEST_MSI_HANDLER (vector WAKE_VECTOR): read the TSC,
 * count its run at MBOX_BASE+4, store the TSC, the host's sequence number from
 * MBOX_BASE and the run's number (last) in the ring after them, in the run's
 * slot; then the TSC before and after its EOI at HANDLER_END_BASE in the same slot (after the
 * run's number: the host takes them only in order and newer than the first), return. GUEST_TIMER_HANDLER (TIMER_VECTOR): read the TSC, count
 * the expiry at TIMER_BASE+12, store both in the ring, arm the next deadline
 * (the last one plus the period at TIMER_BASE+8), EOI, return.
 */
#ifndef KVMSIM_PROBE_GUEST_H
#define KVMSIM_PROBE_GUEST_H

#include <stdint.h>

#define GUEST_CODE 0x1000
#define GUEST_MSI_HANDLER (GUEST_CODE + 0x80)
#define GUEST_TIMER_HANDLER (GUEST_CODE + 0x100)
#define MBOX_BASE 0x9000  /* u32 sequence number, u32 handler runs, then the ring at +16: entries of 16 bytes */
#define TIMER_BASE 0xa100 /* u64 next deadline (guest TSC), u32 period (TSC cycles), u32 expiries */
#define HANDLER_END_BASE 0xb000 /* u64 TSC before the MSI handler's EOI, u64 after; slots as the ring's */
#define WAKE_VECTOR 0x40
#define TIMER_VECTOR 0x41

static const uint8_t guest_init[] = {
	0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00, /* mov ecx, 0x1b (IA32_APIC_BASE) */
	0x0f, 0x32,                         /* rdmsr */
	0x66, 0x0d, 0x00, 0x0c, 0x00, 0x00, /* or eax, 0xc00 (EN | EXTD: x2APIC) */
	0x0f, 0x30,                         /* wrmsr */
	0x66, 0xb9, 0x0f, 0x08, 0x00, 0x00, /* mov ecx, 0x80f (x2APIC SPIV) */
	0x66, 0xb8, 0xff, 0x01, 0x00, 0x00, /* mov eax, 0x1ff (APIC enabled) */
	0x66, 0x31, 0xd2,                   /* xor edx, edx */
	0x0f, 0x30,                         /* wrmsr */
	0x66, 0xb9, 0x32, 0x08, 0x00, 0x00, /* mov ecx, 0x832 (x2APIC LVT timer) */
	0x66, 0xb8, 0x41, 0x00, 0x04, 0x00, /* mov eax, 0x40041 (TSC-deadline mode, TIMER_VECTOR) */
	0x0f, 0x30,                         /* wrmsr (edx is 0) */
	0x66, 0xa1, 0x00, 0xa1,             /* mov eax, [TIMER_BASE] */
	0x66, 0x8b, 0x16, 0x04, 0xa1,       /* mov edx, [TIMER_BASE+4] */
	0x66, 0xb9, 0xe0, 0x06, 0x00, 0x00, /* mov ecx, 0x6e0 (IA32_TSC_DEADLINE) */
	0x0f, 0x30,                         /* wrmsr */
	0xfb,                               /* idle: sti */
	0xf4,                               /* hlt */
	0xeb, 0xfc,                         /* jmp idle */
};

static const uint8_t guest_msi_handler[] = {
	0x66, 0x50, 0x66, 0x51, 0x66, 0x52, 0x66, 0x53, 0x56, /* push eax, ecx, edx, ebx, si */
	0x0f, 0x31,                         /* rdtsc: first thing the handler does */
	0x66, 0x8b, 0x1e, 0x00, 0x90,       /* mov ebx, [MBOX_BASE] (the host's sequence number) */
	0x66, 0x8b, 0x0e, 0x04, 0x90,       /* mov ecx, [MBOX_BASE+4] (this handler's runs so far) */
	0x66, 0x41,                         /* inc ecx */
	0x66, 0x89, 0x0e, 0x04, 0x90,       /* mov [MBOX_BASE+4], ecx */
	0x89, 0xce,                         /* mov si, cx */
	0x81, 0xe6, 0xff, 0x00,             /* and si, RING-1 */
	0xc1, 0xe6, 0x04,                   /* shl si, 4 */
	0x66, 0x89, 0x84, 0x10, 0x90,       /* mov [si+MBOX_BASE+16], eax */
	0x66, 0x89, 0x94, 0x14, 0x90,       /* mov [si+MBOX_BASE+20], edx */
	0x66, 0x89, 0x9c, 0x18, 0x90,       /* mov [si+MBOX_BASE+24], ebx */
	0x66, 0x89, 0x8c, 0x1c, 0x90,       /* mov [si+MBOX_BASE+28], ecx: the run's number, last */
	0x0f, 0x31,                         /* rdtsc: before the EOI */
	0x66, 0x89, 0x84, 0x00, 0xb0,       /* mov [si+HANDLER_END_BASE], eax */
	0x66, 0x89, 0x94, 0x04, 0xb0,       /* mov [si+HANDLER_END_BASE+4], edx */
	0x66, 0xb9, 0x0b, 0x08, 0x00, 0x00, /* mov ecx, 0x80b (x2APIC EOI) */
	0x66, 0x31, 0xc0, 0x66, 0x31, 0xd2, /* xor eax, eax; xor edx, edx */
	0x0f, 0x30,                         /* wrmsr */
	0x0f, 0x31,                         /* rdtsc: the EOI's exit is back */
	0x66, 0x89, 0x84, 0x08, 0xb0,       /* mov [si+HANDLER_END_BASE+8], eax */
	0x66, 0x89, 0x94, 0x0c, 0xb0,       /* mov [si+HANDLER_END_BASE+12], edx */
	0x5e, 0x66, 0x5b, 0x66, 0x5a, 0x66, 0x59, 0x66, 0x58, /* pop si, ebx, edx, ecx, eax */
	0xcf,                               /* iret */
};

static const uint8_t guest_timer_handler[] = {
	0x66, 0x50, 0x66, 0x51, 0x66, 0x52, 0x66, 0x53, 0x56, /* push eax, ecx, edx, ebx, si */
	0x0f, 0x31,                         /* rdtsc: first thing the handler does */
	0x66, 0x8b, 0x1e, 0x0c, 0xa1,       /* mov ebx, [TIMER_BASE+12] */
	0x66, 0x43,                         /* inc ebx */
	0x66, 0x89, 0x1e, 0x0c, 0xa1,       /* mov [TIMER_BASE+12], ebx */
	0x89, 0xde,                         /* mov si, bx */
	0x81, 0xe6, 0xff, 0x00,             /* and si, RING-1 */
	0xc1, 0xe6, 0x04,                   /* shl si, 4 */
	0x66, 0x89, 0x84, 0x10, 0x90,       /* mov [si+MBOX_BASE+16], eax */
	0x66, 0x89, 0x94, 0x14, 0x90,       /* mov [si+MBOX_BASE+20], edx */
	0x66, 0x89, 0x9c, 0x18, 0x90,       /* mov [si+MBOX_BASE+24], ebx */
	0x66, 0xa1, 0x00, 0xa1,             /* mov eax, [TIMER_BASE] */
	0x66, 0x8b, 0x16, 0x04, 0xa1,       /* mov edx, [TIMER_BASE+4] */
	0x66, 0x03, 0x06, 0x08, 0xa1,       /* add eax, [TIMER_BASE+8] */
	0x66, 0x83, 0xd2, 0x00,             /* adc edx, 0 */
	0x66, 0xa3, 0x00, 0xa1,             /* mov [TIMER_BASE], eax */
	0x66, 0x89, 0x16, 0x04, 0xa1,       /* mov [TIMER_BASE+4], edx */
	0x66, 0xb9, 0xe0, 0x06, 0x00, 0x00, /* mov ecx, 0x6e0 (IA32_TSC_DEADLINE) */
	0x0f, 0x30,                         /* wrmsr: the next deadline */
	0x66, 0xb9, 0x0b, 0x08, 0x00, 0x00, /* mov ecx, 0x80b (x2APIC EOI) */
	0x66, 0x31, 0xc0, 0x66, 0x31, 0xd2, /* xor eax, eax; xor edx, edx */
	0x0f, 0x30,                         /* wrmsr */
	0x5e, 0x66, 0x5b, 0x66, 0x5a, 0x66, 0x59, 0x66, 0x58, /* pop si, ebx, edx, ecx, eax */
	0xcf,                               /* iret */
};

#endif
