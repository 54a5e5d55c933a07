#!/usr/bin/env bash
# record.sh - record a real KVM halt-polling trace of kvm_probe (traces/samples/).
#
#   record.sh [-p PROBE] [-m ftrace|ftrace-noflags|tracecmd|perf] [-s] -o OUT -- PROBE_ARGS...
#
# ftrace          the tracefs `trace` file of a private instance (flags column on)
# ftrace-noflags  the same with options/irq-info off (no flags column) and record-tgid on
# tracecmd        `trace-cmd extract` of the instance: OUT.dat (slimmed with
#                 tracedat_slim.py: no kallsyms, kvm formats only) and OUT.report
#                 (`trace-cmd report` of it)
# perf            `perf record` of the kvm events around the probe, then `perf script`
# -s              also sched:sched_switch (ftrace modes): when each vCPU thread left its
#                 CPU, so that a replay sees where a poll ended and when a thread was
#                 preempted
#
# The kvm events read by kvmsim's trace readers are enabled in a tracefs instance
# of our own (instances/kvmsim-probe-PID), restricted to the probe's threads
# with set_event_pid and event-fork, and removed afterwards; the global trace
# buffer and the kvm module parameters are left alone. Needs root, tracefs and
# /dev/kvm; exits 77 without them.
set -u
here=$(cd "$(dirname "$0")" && pwd)
probe=""
mode=ftrace
out=""
sched=0
while [ $# -gt 0 ]; do
  case $1 in
    -p) probe=$2; shift 2 ;;
    -m) mode=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    -s) sched=1; shift ;;
    --) shift; break ;;
    *) echo "record.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "record.sh: -o OUT is required" >&2; exit 2; }
[ -n "$probe" ] || probe=$(command -v kvm_probe || echo "$here/../../build/kvm_probe")
[ -x "$probe" ] || { echo "record.sh: no kvm_probe at $probe (build it, or pass -p)" >&2; exit 2; }

T=/sys/kernel/tracing
[ -w /dev/kvm ] || { echo "record.sh: /dev/kvm is not usable" >&2; exit 77; }
if [ ! -e $T/instances ]; then
  mount -t tracefs nodev $T 2>/dev/null || { echo "record.sh: no tracefs at $T" >&2; exit 77; }
fi
[ -w $T/instances ] || { echo "record.sh: $T/instances is not writable (root?)" >&2; exit 77; }

events="kvm_exit kvm_entry kvm_vcpu_wakeup kvm_halt_poll_ns kvm_msr kvm_apic kvm_eoi kvm_pv_eoi
        kvm_inj_virq kvm_apic_accept_irq kvm_msi_set_irq kvm_hv_timer_state"

if [ "$sched" = 1 ]; then
  case $mode in ftrace|ftrace-noflags) ;; *) echo "record.sh: -s is for the ftrace modes (ftrace, ftrace-noflags)" >&2; exit 2 ;; esac
fi
if [ "$mode" = perf ]; then
  command -v perf > /dev/null || { echo "record.sh: perf is not installed" >&2; exit 77; }
  args=()
  for e in $events; do args+=(-e "kvm:$e"); done
  perf record -q -o "$out.data" "${args[@]}" -- "$probe" "$@" || exit 1
  perf script -i "$out.data" > "$out.script" || exit 1
  rm -f "$out.data"
  exit 0
fi

inst=kvmsim-probe-$$
I=$T/instances/$inst
mkdir "$I" || exit 1
cleanup() {
  [ -d "$I" ] || return 0 # trace-cmd extract removes the instance itself
  echo 0 > "$I/tracing_on" 2>/dev/null
  for e in $events; do echo 0 > "$I/events/kvm/$e/enable" 2>/dev/null; done
  echo 0 > "$I/events/sched/sched_switch/enable" 2>/dev/null
  echo > "$I/set_event_pid" 2>/dev/null
  rmdir "$I" 2>/dev/null
}
trap cleanup EXIT
echo 1 > "$I/options/event-fork"
if [ "$mode" = ftrace-noflags ]; then
  echo 0 > "$I/options/irq-info"
  echo 1 > "$I/options/record-tgid"
fi
for e in $events; do
  [ -e "$I/events/kvm/$e/enable" ] && echo 1 > "$I/events/kvm/$e/enable"
done
if [ "$sched" = 1 ]; then
  echo 1 > "$I/events/sched/sched_switch/enable" || exit 1
fi
# The subshell puts itself in set_event_pid, then becomes the probe; its threads follow.
( echo "$BASHPID" > "$I/set_event_pid" && exec "$probe" "$@" ) || exit 1
echo 0 > "$I/tracing_on"

case $mode in
  ftrace|ftrace-noflags)
    cat "$I/trace" > "$out.trace" ;;
  tracecmd)
    command -v trace-cmd > /dev/null || { echo "record.sh: trace-cmd is not installed" >&2; exit 77; }
    trace-cmd extract -B "$inst" -o "$out.full.dat" > /dev/null 2>&1 || exit 1
    trace-cmd convert --file-version 6 --compression none -i "$out.full.dat" -o "$out.v6.dat" \
      > /dev/null 2>&1 || exit 1
    python3 "$here/tracedat_slim.py" "$out.v6.dat" "$out.dat" kvm || exit 1
    rm -f "$out.full.dat" "$out.full.dat.cpu"* "$out.v6.dat"
    trace-cmd report -i "$out.dat" > "$out.report" || exit 1 ;;
  *)
    echo "record.sh: unknown mode $mode" >&2; exit 2 ;;
esac
