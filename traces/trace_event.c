/*
 * trace_event.c - reading KVM tracepoint payloads back (see trace_event.h).
 *
 * One small scanner per event, strict about the literal text of each
 * TP_printk (a payload that drifts from every known release is an error, not
 * a guess) and tolerant only of trailing white space, which older
 * kvm_hv_timer_state formats print as "\n". The layouts are those of spec
 * section 6 and of models/tracepoints/kvm_tp.c, which writes them.
 */
#include "traces/trace_event.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const event_names[KEV_N] = {
	[KEV_EXIT] = "kvm_exit",
	[KEV_ENTRY] = "kvm_entry",
	[KEV_VCPU_WAKEUP] = "kvm_vcpu_wakeup",
	[KEV_HALT_POLL_NS] = "kvm_halt_poll_ns",
	[KEV_MSR] = "kvm_msr",
	[KEV_APIC] = "kvm_apic",
	[KEV_EOI] = "kvm_eoi",
	[KEV_PV_EOI] = "kvm_pv_eoi",
	[KEV_INJ_VIRQ] = "kvm_inj_virq",
	[KEV_APIC_ACCEPT_IRQ] = "kvm_apic_accept_irq",
	[KEV_MSI_SET_IRQ] = "kvm_msi_set_irq",
	[KEV_HV_TIMER_STATE] = "kvm_hv_timer_state",
	[KEV_APIC_IPI] = "kvm_apic_ipi",
	[KEV_VCORE_BLOCKED] = "kvmppc_vcore_blocked",
	[KEV_VCORE_WAKEUP] = "kvmppc_vcore_wakeup",
	[KEV_SCHED_SWITCH] = "sched_switch",
};

/* What each payload looks like, for error messages. */
static const char *const event_forms[KEV_N] = {
	[KEV_EXIT] = "[vcpu N ]reason NAME rip 0xADDR (info A B | info1 0xA info2 0xB intr_info 0xI "
		     "error_code 0xE[ requests 0xR])",
	[KEV_ENTRY] = "vcpu N[, rip 0xADDR[ intr_info 0xI error_code 0xE]][[immediate exit]]",
	[KEV_VCPU_WAKEUP] = "poll|wait time NS ns[, polling valid|invalid]",
	[KEV_HALT_POLL_NS] = "vcpu N: halt_poll_ns NEW (grow|shrink OLD)",
	[KEV_MSR] = "msr_read|msr_write ECX = 0xDATA[ (#GP)]",
	[KEV_APIC] = "apic_read|apic_write REG = 0xVAL",
	[KEV_EOI] = "apicid ID vector N",
	[KEV_PV_EOI] = "apicid ID vector N",
	[KEV_INJ_VIRQ] = "irq N, or IRQ|Soft/INTn 0xVEC[ [reinjected]]",
	[KEV_APIC_ACCEPT_IRQ] = "apicid ID vec N (MODE|edge|level)",
	[KEV_MSI_SET_IRQ] = "dst D vec N (MODE|physical|logical|edge|level[|rh])",
	[KEV_HV_TIMER_STATE] = "vcpu_id ID hv_timer N",
	[KEV_APIC_IPI] = "dst D vec N (MODE|physical|logical|assert|de-assert|edge|level|dst|self|all|all-but-self)",
	[KEV_VCORE_BLOCKED] = "Enter|Exit runner_vcpu=N runnable=N tgid=N",
	[KEV_VCORE_WAKEUP] = "wait|poll time NS ns, tgid=N",
	[KEV_SCHED_SWITCH] = "prev_comm=COMM prev_pid=N prev_prio=N prev_state=S ==> next_comm=COMM next_pid=N "
			     "next_prio=N, or COMM:N [N] S ==> COMM:N [N]",
};

/* trace_event_name - the tracepoint name of an event type. */
const char *trace_event_name(enum trace_ev t)
{
	return t >= 0 && t < KEV_N ? event_names[t] : "?";
}

/* trace_event_lookup - an event type by name ("kvm:" prefix allowed), or KEV_NONE. */
enum trace_ev trace_event_lookup(const char *name, size_t len)
{
	if (len > 4 && !strncmp(name, "kvm:", 4))
		name += 4, len -= 4;
	else if (len > 7 && !strncmp(name, "kvm_hv:", 7)) /* powerpc's system */
		name += 7, len -= 7;
	else if (len > 6 && !strncmp(name, "sched:", 6))
		name += 6, len -= 6;
	for (int i = 0; i < KEV_N; i++)
		if (strlen(event_names[i]) == len && !strncmp(event_names[i], name, len))
			return (enum trace_ev)i;
	return KEV_NONE;
}

/* ---- a cursor over the payload ------------------------------------------------------ */

struct cur {
	const char *p;
};

/* lit - consume the literal s if the text continues with it. */
static bool lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);
	if (strncmp(c->p, s, n))
		return false;
	c->p += n;
	return true;
}

/* unum - an unsigned number in base 10 or 16, digits only (no sign, no space). */
static bool unum(struct cur *c, int base, uint64_t *v)
{
	const char *s = c->p;
	bool digit = base == 16 ? (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')
				: *s >= '0' && *s <= '9';
	if (!digit)
		return false;
	char *end;
	errno = 0;
	*v = strtoull(s, &end, base);
	if (errno)
		return false;
	c->p = end;
	return true;
}

/* u32num - unum that must fit 32 bits. */
static bool u32num(struct cur *c, int base, uint32_t *v)
{
	uint64_t x;
	if (!unum(c, base, &x) || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* snum - a decimal number that may be negative (%d, %lld). */
static bool snum(struct cur *c, int64_t *v)
{
	bool neg = lit(c, "-");
	uint64_t x;
	if (!unum(c, 10, &x) || x > (uint64_t)INT64_MAX)
		return false;
	*v = neg ? -(int64_t)x : (int64_t)x;
	return true;
}

/* hex0x - "0x" and a hexadecimal number. */
static bool hex0x(struct cur *c, uint64_t *v)
{
	return lit(c, "0x") && unum(c, 16, v);
}

/* upto - copy the text before `stop` into buf (at most n-1 chars); false if stop is absent or it is empty. */
static bool upto(struct cur *c, const char *stop, char *buf, size_t n)
{
	const char *e = strstr(c->p, stop);
	if (!e || e == c->p || (size_t)(e - c->p) >= n)
		return false;
	memcpy(buf, c->p, (size_t)(e - c->p));
	buf[e - c->p] = 0;
	c->p = e;
	return true;
}

/* word - one of the alternatives, its index in *which. */
static bool word(struct cur *c, const char *const *alts, int n, int *which)
{
	for (int i = 0; i < n; i++)
		if (lit(c, alts[i])) {
			*which = i;
			return true;
		}
	return false;
}

/* done - only white space is left. */
static bool done(struct cur *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')
		c->p++;
	return !*c->p;
}

static const char *const delivery_modes[] = { "Fixed", "LowPrio", "SMI", "Res3", "NMI", "INIT", "SIPI", "ExtINT" };

/* ---- the events -------------------------------------------------------------------- */

static bool parse_wakeup(struct cur *c, struct trace_event *ev)
{
	static const char *const how[] = { "poll", "wait" };
	static const char *const validity[] = { "invalid", "valid" };
	int w, v;
	int64_t ns;
	if (!word(c, how, 2, &w) || !lit(c, " time ") || !snum(c, &ns) || ns < 0 || ns > TRACE_TS_MAX ||
	    !lit(c, " ns"))
		return false;
	ev->wakeup.ns = (uint64_t)ns;
	ev->wakeup.waited = w == 1;
	ev->wakeup.valid = true;
	ev->wakeup.has_valid = false;
	if (lit(c, ", polling ")) {
		if (!word(c, validity, 2, &v))
			return false;
		ev->wakeup.valid = v == 1;
		ev->wakeup.has_valid = true;
	}
	return done(c);
}

/* parse_halt_poll_ns - "vcpu %u: halt_poll_ns %u (%s %u)", or %d before 4.7. */
static bool parse_halt_poll_ns(struct cur *c, struct trace_event *ev)
{
	static const char *const dir[] = { "shrink", "grow" };
	int d;
	int64_t nv, ov;
	/* %u from 4.7, %d (of an unsigned int) in 4.3-4.6: read both, keep the 32 bits */
	if (!lit(c, "vcpu ") || !u32num(c, 10, &ev->hpn.vcpu_id) || !lit(c, ": halt_poll_ns ") ||
	    !snum(c, &nv) || !lit(c, " (") || !word(c, dir, 2, &d) || !lit(c, " ") || !snum(c, &ov) ||
	    !lit(c, ")"))
		return false;
	if (nv < INT32_MIN || nv > UINT32_MAX || ov < INT32_MIN || ov > UINT32_MAX)
		return false;
	ev->hpn.new_ns = (uint32_t)nv;
	ev->hpn.old_ns = (uint32_t)ov;
	ev->hpn.grow = d == 1;
	return done(c);
}

/* parse_exit - kvm_exit in its four layouts (trace_exit_layout), VMX or SVM names. */
static bool parse_exit(struct cur *c, struct trace_event *ev)
{
	uint64_t v;
	ev->exit.has_vcpu = lit(c, "vcpu ");
	if (ev->exit.has_vcpu && (!u32num(c, 10, &ev->exit.vcpu_id) || !lit(c, " ")))
		return false;
	if (!lit(c, "reason ") || !upto(c, " rip 0x", ev->exit.reason, sizeof(ev->exit.reason)))
		return false;
	char *flag = strstr(ev->exit.reason, " FAILED_VMENTRY");
	if (flag && !flag[15]) {
		*flag = 0;
		ev->exit.failed_vmentry = true;
	}
	const char *r = ev->exit.reason;
	/* VMX, the kernel's SVM names, and the SVM names of trace-cmd's kvm plugin */
	ev->exit.is_hlt = !strcmp(r, "HLT") || !strcmp(r, "hlt") || !strcmp(r, "idle-halt") || !strcmp(r, "EXIT_HLT");
	if (!lit(c, " rip ") || !hex0x(c, &ev->exit.rip))
		return false;
	if (lit(c, " info ")) { /* up to 5.9, and trace-cmd's plugin: raw %llx */
		if (!unum(c, 16, &ev->exit.info1) || !lit(c, " ") || !unum(c, 16, &ev->exit.info2))
			return false;
		ev->exit.layout = ev->exit.has_vcpu ? KVM_EXIT_L_VCPU : KVM_EXIT_L_REASON;
		return done(c);
	}
	if (!ev->exit.has_vcpu || !lit(c, " info1 ") || !hex0x(c, &ev->exit.info1) || !lit(c, " info2 ") ||
	    !hex0x(c, &ev->exit.info2) || !lit(c, " intr_info ") || !hex0x(c, &v) || v > UINT32_MAX)
		return false;
	ev->exit.intr_info = (uint32_t)v;
	if (!lit(c, " error_code ") || !hex0x(c, &v) || v > UINT32_MAX)
		return false;
	ev->exit.error_code = (uint32_t)v;
	ev->exit.layout = KVM_EXIT_L_INFO12;
	if (lit(c, " requests ")) {
		if (!hex0x(c, &ev->exit.requests))
			return false;
		ev->exit.layout = KVM_EXIT_L_REQUESTS;
	}
	return done(c);
}

/* parse_entry - kvm_entry: "vcpu %u", then ", rip", intr_info/error_code, "[immediate exit]". */
static bool parse_entry(struct cur *c, struct trace_event *ev)
{
	uint64_t v;
	if (!lit(c, "vcpu ") || !u32num(c, 10, &ev->entry.vcpu_id))
		return false;
	ev->entry.layout = 0;
	if (done(c))
		return true;
	if (!lit(c, ", rip ") || !hex0x(c, &ev->entry.rip))
		return false;
	ev->entry.layout = 1;
	if (lit(c, " intr_info ")) {
		if (!hex0x(c, &v) || v > UINT32_MAX)
			return false;
		ev->entry.intr_info = (uint32_t)v;
		if (!lit(c, " error_code ") || !hex0x(c, &v) || v > UINT32_MAX)
			return false;
		ev->entry.error_code = (uint32_t)v;
		ev->entry.layout = 3;
	}
	if (lit(c, "[immediate exit]")) {
		ev->entry.immediate_exit = true;
		if (ev->entry.layout == 1)
			ev->entry.layout = 2;
	}
	return done(c);
}

/* parse_msr - "msr_%s %x = 0x%llx%s". */
static bool parse_msr(struct cur *c, struct trace_event *ev)
{
	static const char *const rw[] = { "msr_read ", "msr_write " };
	int w;
	if (!word(c, rw, 2, &w) || !u32num(c, 16, &ev->msr.ecx) || !lit(c, " = ") || !hex0x(c, &ev->msr.data))
		return false;
	ev->msr.write = w == 1;
	ev->msr.gp = lit(c, " (#GP)");
	return done(c);
}

/* parse_apic - "apic_%s %s = 0x%llx" (a register name, or its number). */
static bool parse_apic(struct cur *c, struct trace_event *ev)
{
	static const char *const rw[] = { "apic_read ", "apic_write " };
	int w;
	if (!word(c, rw, 2, &w) || !upto(c, " = 0x", ev->apic.reg, sizeof(ev->apic.reg)) || !lit(c, " = ") ||
	    !hex0x(c, &ev->apic.val))
		return false;
	ev->apic.write = w == 1;
	return done(c);
}

/* parse_eoi - "apicid %x vector %d" (kvm_eoi and kvm_pv_eoi). */
static bool parse_eoi(struct cur *c, struct trace_event *ev)
{
	int64_t vec;
	if (!lit(c, "apicid ") || !u32num(c, 16, &ev->eoi.apicid) || !lit(c, " vector ") || !snum(c, &vec) ||
	    vec < INT32_MIN || vec > INT32_MAX)
		return false;
	ev->eoi.vector = (int32_t)vec;
	return done(c);
}

/* parse_inj_virq - "irq %u" (up to 5.x), or "%s 0x%x%s". */
static bool parse_inj_virq(struct cur *c, struct trace_event *ev)
{
	static const char *const kind[] = { "IRQ 0x", "Soft/INTn 0x" };
	int k;
	if (lit(c, "irq ")) { /* up to 5.x */
		ev->inj.old_layout = true;
		return u32num(c, 10, &ev->inj.vector) && done(c);
	}
	if (!word(c, kind, 2, &k) || !u32num(c, 16, &ev->inj.vector))
		return false;
	ev->inj.soft = k == 1;
	ev->inj.reinjected = lit(c, " [reinjected]");
	return done(c);
}

/* parse_mode - an APIC delivery mode name. */
static bool parse_mode(struct cur *c, char *dm)
{
	int m;
	if (!word(c, delivery_modes, 8, &m))
		return false;
	snprintf(dm, 8, "%s", delivery_modes[m]);
	return true;
}

/* parse_apic_ipi - "dst %x vec %u (%s|%s|%s|%s|%s)": mode, destination mode, level, trigger, shorthand. */
static bool parse_apic_ipi(struct cur *c, struct trace_event *ev)
{
	static const char *const dmode[] = { "physical|", "logical|" };
	static const char *const lvl[] = { "de-assert|", "assert|" };
	static const char *const trig[] = { "edge|", "level|" };
	static const char *const sh[] = { "dst)", "self)", "all-but-self)", "all)" }; /* the longer "all" first */
	int d, l, t, s;
	if (!lit(c, "dst ") || !u32num(c, 16, &ev->ipi.dest_id) || !lit(c, " vec ") || !u32num(c, 10, &ev->ipi.vec) ||
	    !lit(c, " (") || !parse_mode(c, ev->ipi.dm) || !lit(c, "|") || !word(c, dmode, 2, &d) ||
	    !word(c, lvl, 2, &l) || !word(c, trig, 2, &t) || !word(c, sh, 4, &s))
		return false;
	ev->ipi.logical = d == 1;
	ev->ipi.assert_ = l == 1;
	ev->ipi.level = t == 1;
	ev->ipi.shorthand = s == 2 ? 3 : s == 3 ? 2 : s;
	return done(c);
}

/* parse_accept_irq - "apicid %x vec %u (%s|%s)", older kernels adding " (coalesced)". */
static bool parse_accept_irq(struct cur *c, struct trace_event *ev)
{
	static const char *const trig[] = { "edge)", "level)" };
	int t;
	if (!lit(c, "apicid ") || !u32num(c, 16, &ev->accept.apicid) || !lit(c, " vec ") ||
	    !u32num(c, 10, &ev->accept.vec) || !lit(c, " (") || !parse_mode(c, ev->accept.dm) || !lit(c, "|") ||
	    !word(c, trig, 2, &t))
		return false;
	ev->accept.level = t == 1;
	ev->accept.coalesced = lit(c, " (coalesced)"); /* older kernels */
	return done(c);
}

/* parse_msi_set_irq - "dst %llx vec %u (%s|%s|%s%s)". */
static bool parse_msi_set_irq(struct cur *c, struct trace_event *ev)
{
	static const char *const dest[] = { "physical|", "logical|" };
	static const char *const trig[] = { "edge", "level" };
	int d, t;
	if (!lit(c, "dst ") || !unum(c, 16, &ev->msi.dst) || !lit(c, " vec ") || !u32num(c, 10, &ev->msi.vec) ||
	    !lit(c, " (") || !parse_mode(c, ev->msi.dm) || !lit(c, "|") || !word(c, dest, 2, &d) ||
	    !word(c, trig, 2, &t))
		return false;
	ev->msi.logical = d == 1;
	ev->msi.level = t == 1;
	ev->msi.rh = lit(c, "|rh");
	return lit(c, ")") && done(c);
}

/* parse_hv_timer_state - "vcpu_id %x hv_timer %x" (with "\n" before 5.4). */
static bool parse_hv_timer_state(struct cur *c, struct trace_event *ev)
{
	return lit(c, "vcpu_id ") && u32num(c, 16, &ev->hvt.vcpu_id) && lit(c, " hv_timer ") &&
	       u32num(c, 16, &ev->hvt.hv_timer) && done(c);
}

/* trace_event_parse - dispatch on ev->type; the error says what the event should look like. */
/* parse_vcore_blocked - "%s runner_vcpu=%d runnable=%d tgid=%d" (arch/powerpc/kvm/trace_hv.h). */
static bool parse_vcore_blocked(struct cur *c, struct trace_event *ev)
{
	static const char *const where[] = { "Enter", "Exit" };
	int w;
	int64_t rv, n, tg;
	if (!word(c, where, 2, &w) || !lit(c, " runner_vcpu=") || !snum(c, &rv) || !lit(c, " runnable=") ||
	    !snum(c, &n) || !lit(c, " tgid=") || !snum(c, &tg))
		return false;
	if (rv < INT32_MIN || rv > INT32_MAX || n < 0 || n > INT32_MAX || tg < INT32_MIN || tg > INT32_MAX)
		return false;
	ev->vblocked.exit = w == 1;
	ev->vblocked.runner_vcpu = (int32_t)rv;
	ev->vblocked.runnable = (int32_t)n;
	ev->vblocked.tgid = (int32_t)tg;
	return done(c);
}

/* parse_vcore_wakeup - "%s time %lld ns, tgid=%d" (%llu by 6.18). */
static bool parse_vcore_wakeup(struct cur *c, struct trace_event *ev)
{
	static const char *const how[] = { "poll", "wait" };
	int w;
	int64_t ns, tg;
	if (!word(c, how, 2, &w) || !lit(c, " time ") || !snum(c, &ns) || ns < 0 || ns > TRACE_TS_MAX ||
	    !lit(c, " ns, tgid=") || !snum(c, &tg) || tg < INT32_MIN || tg > INT32_MAX)
		return false;
	ev->vwakeup.waited = w == 1;
	ev->vwakeup.ns = (uint64_t)ns;
	ev->vwakeup.tgid = (int32_t)tg;
	return done(c);
}

/* pid_at - the decimal number that ends at e, after `sep` (':' or '='); -1 if there is none. */
static int32_t pid_at(const char *s, const char *e, char sep)
{
	const char *d = e;
	while (d > s && d[-1] >= '0' && d[-1] <= '9')
		d--;
	if (d == e || e - d > 7 || d == s || d[-1] != sep)
		return -1;
	long v = strtol(d, NULL, 10);
	return v <= TRACE_PID_MAX ? (int32_t)v : -1;
}

/* rfind - the last occurrence of tok that starts in [s, end), or NULL. */
static const char *rfind(const char *s, const char *end, const char *tok)
{
	size_t n = strlen(tok);
	for (const char *p = end - 1; p >= s; p--)
		if (!strncmp(p, tok, n))
			return p;
	return NULL;
}

/*
 * parse_sched_switch - the kernel's "prev_comm=%s prev_pid=%d prev_prio=%d
 * prev_state=%s%s ==> next_comm=%s next_pid=%d next_prio=%d", or trace-cmd's
 * sched plugin "COMM:PID [PRIO] STATE ==> COMM:PID [PRIO]". A comm may hold
 * spaces and any text, so the fields are found from the right (each the last
 * of its kind before the next field). A prev_state of R or R+ is a
 * preemption; anything else the task blocking.
 */
static bool parse_sched_switch(struct cur *c, struct trace_event *ev)
{
	const char *s = c->p, *end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	const char *state, *arrow;
	if (!strncmp(s, "prev_comm=", 10)) {
		const char *nprio = rfind(s, end, " next_prio=");
		const char *npid = nprio ? rfind(s, nprio, " next_pid=") : NULL;
		const char *ncomm = npid ? rfind(s, npid, " next_comm=") : NULL;
		arrow = ncomm ? rfind(s, ncomm + 1, " ==> ") : NULL;
		state = arrow ? rfind(s, arrow, " prev_state=") : NULL;
		const char *pprio = state ? rfind(s, state, " prev_prio=") : NULL;
		const char *ppid = pprio ? rfind(s, pprio, " prev_pid=") : NULL;
		if (!ppid || arrow + 5 != ncomm + 1)
			return false;
		ev->sswitch.prev_pid = pid_at(ppid, pprio, '=');
		ev->sswitch.next_pid = pid_at(npid, nprio, '=');
		state += 12;
	} else { /* trace-cmd's plugin */
		const char *nb = rfind(s, end, " [");
		arrow = nb ? rfind(s, nb, " ==> ") : NULL;
		const char *pb = arrow ? rfind(s, arrow, " [") : NULL;
		const char *close = pb ? strchr(pb, ']') : NULL;
		if (!pb || !close || close > arrow || end[-1] != ']')
			return false;
		state = close + 1;
		while (*state == ' ')
			state++;
		ev->sswitch.prev_pid = pid_at(s, pb, ':');
		ev->sswitch.next_pid = pid_at(arrow + 5, nb, ':');
	}
	if (ev->sswitch.prev_pid < 0 || ev->sswitch.next_pid < 0 || state >= arrow)
		return false;
	ev->sswitch.prev_runnable = state[0] == 'R' && (state[1] == ' ' || state[1] == '+');
	c->p += strlen(c->p);
	return true;
}

int trace_event_parse(struct trace_event *ev, const char *payload, char *err, size_t errlen)
{
	struct cur c = { payload };
	bool ok;
	memset((char *)ev + offsetof(struct trace_event, wakeup), 0, sizeof(*ev) - offsetof(struct trace_event, wakeup));
	switch (ev->type) {
	case KEV_EXIT:
		ok = parse_exit(&c, ev);
		break;
	case KEV_ENTRY:
		ok = parse_entry(&c, ev);
		break;
	case KEV_VCPU_WAKEUP:
		ok = parse_wakeup(&c, ev);
		break;
	case KEV_HALT_POLL_NS:
		ok = parse_halt_poll_ns(&c, ev);
		break;
	case KEV_MSR:
		ok = parse_msr(&c, ev);
		break;
	case KEV_APIC:
		ok = parse_apic(&c, ev);
		break;
	case KEV_EOI:
	case KEV_PV_EOI:
		ok = parse_eoi(&c, ev);
		break;
	case KEV_INJ_VIRQ:
		ok = parse_inj_virq(&c, ev);
		break;
	case KEV_APIC_ACCEPT_IRQ:
		ok = parse_accept_irq(&c, ev);
		break;
	case KEV_MSI_SET_IRQ:
		ok = parse_msi_set_irq(&c, ev);
		break;
	case KEV_HV_TIMER_STATE:
		ok = parse_hv_timer_state(&c, ev);
		break;
	case KEV_APIC_IPI:
		ok = parse_apic_ipi(&c, ev);
		break;
	case KEV_VCORE_BLOCKED:
		ok = parse_vcore_blocked(&c, ev);
		break;
	case KEV_VCORE_WAKEUP:
		ok = parse_vcore_wakeup(&c, ev);
		break;
	case KEV_SCHED_SWITCH:
		ok = parse_sched_switch(&c, ev);
		break;
	default:
		snprintf(err, errlen, "not a kvm event kvmsim reads");
		return -1;
	}
	if (ok)
		return 0;
	size_t n = strcspn(payload, "\r\n");
	snprintf(err, errlen, "%s: expected \"%s\", got \"%.*s\"", event_names[ev->type], event_forms[ev->type],
		 (int)(n > 160 ? 160 : n), payload);
	return -1;
}
