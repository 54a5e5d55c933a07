#!/usr/bin/env bash
# traces/probe/switch-window.sh - measure what a context switch to a vCPU thread costs on
# this host, split the way a profile's ctxsw and idle exit split it:
#
#   traces/probe/switch-window.sh [--build DIR] [--cpu N] [--count N] [--pattern-a SPEC]
#                                 [--pattern-b SPEC] [--no-rt]
#
# (a) two `kvmsim probe`s at once (default poisson:100us each, halt polling off), both vCPU
#     threads pinned to CPU N (default 0): whenever one blocks in HLT (or is preempted) while
#     the other is runnable, the CPU switches straight from one vCPU thread to the other.
#     Measured: that sched_switch to the guest's entry in the thread switched to, by how
#     the previous thread left (blocked in HLT, preempted) and how the next one had left
#     (halted and since woken, preempted); for a woken one also the switch to its
#     kvm_vcpu_wakeup (the end of its halt: finish_task_switch, kvm_sched_in's vcpu_load and
#     the return from schedule(); no tracepoint splits them).
# (b) one probe (default poisson:300us, halt polling off) on CPU N, so the CPU is idle when
#     the MSI comes if nothing else runs there. For each wake-up that found the CPU halted
#     in an idle state: the MSI (kvm_msi_set_irq) to sched_waking of the vCPU thread, to the
#     CPU's idle exit (cpu_idle, state=-1), to sched_switch(swapper -> vCPU), to its
#     kvm_vcpu_wakeup and to the guest's entry; the whole, MSI to entry. Wake-ups that found
#     another task running (it is preempted) are shown apart.
# The guest's entry is kvm_entry where the kernel traces it; under PVM, which traces none,
# the first emulated instruction of the probe's (emulated) guest. Each figure is printed as
# p10, p50, p90 in us and in cycles at the TSC frequency the probe reports, with its sample
# count; the trace's timestamps have 1 us resolution. Recorded in a tracefs instance of its
# own ("mono" clock across CPUs; the host's other tracing is left alone), only the probes'
# own threads. CPU 1 of this project's machine traces no cpu_idle: (b) then finds no halted
# wake-up; use another --cpu.
# --no-rt leaves the probes' threads SCHED_OTHER (default SCHED_FIFO: a vCPU thread woken
# while the other runs waits for it to block, so (a)'s switches are then all blockings and
# there is no switch back to a preempted thread; with --no-rt a few percent are).
# Exit status: 0 measured, 1 the work failed (or nothing measured), 2 bad usage or no
# root, tracefs or /dev/kvm (as idle-window.sh and kvmsim probe).
set -u
here=$PWD
cd "$(dirname "$0")/../.." || exit 1
B=build
CPU=0
COUNT=4000
PA=poisson:100us
PB=poisson:300us
RT=
while [ $# -gt 0 ]; do
  case $1 in
    --build|--cpu|--count|--pattern-a|--pattern-b)
      [ $# -ge 2 ] || { echo "switch-window.sh: $1: expected a value (--help)" >&2; exit 2; }
      case $1 in --build) B=$2 ;; --cpu) CPU=$2 ;; --count) COUNT=$2 ;; --pattern-a) PA=$2 ;; --pattern-b) PB=$2 ;; esac
      shift 2 ;;
    --no-rt) RT=--no-rt; shift ;;
    -h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "switch-window.sh: $1: unknown option (--help)" >&2; exit 2 ;;
  esac
done
case $B in /*) ;; *) [ -d "$B" ] || B=$here/$B ;; esac
case $CPU in ''|*[!0-9]*) echo "switch-window.sh: --cpu: expected a CPU number, got $CPU" >&2; exit 2 ;; esac
case $COUNT in ''|*[!0-9]*|0) echo "switch-window.sh: --count: expected a positive number, got $COUNT" >&2; exit 2 ;; esac
K="$B/kvmsim"
[ -x "$K" ] || { echo "switch-window.sh: $K: no such program (build first)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "switch-window.sh: root needed (tracefs)" >&2; exit 2; }
[ -w /dev/kvm ] || { echo "switch-window.sh: no usable /dev/kvm" >&2; exit 2; }
. traces/probe/tracefs.sh
tracefs_open switch-window.sh kvmsim-switch 32768 sched/sched_switch sched/sched_waking power/cpu_idle \
  kvm/kvm_msi_set_irq kvm/kvm_vcpu_wakeup kvm/kvm_entry kvm/kvm_emulate_insn
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] && cp -r "$tmp" "$KEEP"; tracefs_close' EXIT

# probe NAME PATTERN SEED: one probe in the background, its pid appended to $pids
probe() {
  "$K" probe --pattern "$2" --halt-poll-ns 0 --count "$COUNT" --seed "$3" --vcpu-cpu "$CPU" $RT \
    --json "$tmp/$1.json" > "$tmp/$1.out" 2>&1 &
  pids="$pids $!"
  eval "pid_$1=$!"
}
# finish NAME: wait for it; its vCPU thread's id in tid_NAME
finish() {
  local p rc; eval "p=\$pid_$1"
  wait "$p"; rc=$?
  [ $rc -eq 0 ] || { cat "$tmp/$1.out" >&2; [ $rc -le 2 ] || rc=1; exit $rc; }
  eval "tid_$1=\$(sed -n 's/^ *\"pid\": \\([0-9]*\\),*\$/\\1/p' \"\$tmp/$1.json\" | head -1)"
  eval "[ -n \"\$tid_$1\" ]" || { echo "switch-window.sh: the probe's result names no vCPU thread" >&2; exit 1; }
}

# (a): two probes on one CPU
echo > "$I/trace"
echo 1 > "$I/tracing_on"
probe a1 "$PA" 1
probe a2 "$PA" 2
finish a1
finish a2
pids=
echo 0 > "$I/tracing_on"
cat "$I/trace" > "$tmp/trace-a"
# (b): one probe, mostly idle CPU
echo > "$I/trace"
echo 1 > "$I/tracing_on"
probe b "$PB" 3
finish b
pids=
echo 0 > "$I/tracing_on"
cat "$I/trace" > "$tmp/trace-b"
grep -q '\[LOST [0-9]* EVENTS\]' "$tmp/trace-a" "$tmp/trace-b" && echo "note: the trace buffer overflowed; some events were lost (fewer samples)"
khz=$(sed -n 's/^ *"tsc_khz": \([0-9]*\),*$/\1/p' "$tmp/b.json" | head -1)
[ -n "$khz" ] || khz=0
head -1 "$tmp/a1.out"
head -1 "$tmp/b.out"

# fields of a line: F[cpu], F[t] (us), F[ev], F[task] (the task's pid)
P='function parse(   f, w, k) {
  if (!match($0, /-[0-9]+ +\[[0-9]+\] [^ ]+ +[0-9]+\.[0-9]+: [a-z_]+:/)) return 0
  f = substr($0, RSTART + 1, RLENGTH - 1); split(f, w, " ")
  F["task"] = w[1]; k = 2
  F["cpu"] = substr(w[k], 2, length(w[k]) - 2) + 0; F["t"] = substr(w[k + 2], 1, length(w[k + 2]) - 1) * 1e6
  F["ev"] = w[k + 3]; return 1
}
function kv(key,   r) { if (!match($0, " " key "=[^ ]+")) return ""; r = substr($0, RSTART + length(key) + 2, RLENGTH - length(key) - 2); return r }'

# the first sign of the guest running again: kvm_entry where the kernel traces it; under PVM
# (no kvm_entry) the first emulated guest instruction (the probe's guest is emulated there)
ENT='function isentry(e) { return e == "kvm_entry:" || e == "kvm_emulate_insn:" }'
# (a): "A block|preempt-halted|preempted halt_end entry" per switch from one vCPU thread to
# the other (how the previous one left, how the next one had left): the switch to the
# kvm_vcpu_wakeup (end of the halt; - if it had been preempted, not halted) and to the
# guest's entry
awk -v cpu="$CPU" -v t1="$tid_a1" -v t2="$tid_a2" "$P $ENT"'
{
  if (!parse()) next
  if (F["cpu"] != cpu) next
  e = F["ev"]; k = F["task"]
  if (e == "sched_switch:") {
    p = kv("prev_pid"); n = kv("next_pid"); s = kv("prev_state")
    if (p == t1 || p == t2) { pend[p] = ""; out[p] = s ~ /^S/ ? "halted" : "preempted" }
    if ((p == t1 || p == t2) && (n == t1 || n == t2) && p != n && out[n] != "") { pend[n] = F["t"]; hw[n] = "-"; kind[n] = (s ~ /^S/ ? "block" : "preempt") "-" out[n] }
    next
  }
  if (e == "kvm_vcpu_wakeup:" && pend[k] != "") { hw[k] = sprintf("%.3f", F["t"] - pend[k]); next }
  if (isentry(e) && pend[k] != "") { printf "A %s %s %.3f\n", kind[k], hw[k], F["t"] - pend[k]; pend[k] = "" }
}' "$tmp/trace-a" > "$tmp/figs"
# (b): per wake-up of the sleeping vCPU thread: "B kind msi-waking waking-idleexit
# idleexit-switch waking-switch switch-halt_end switch-entry msi-entry" (- where it does not
# apply); kind halted (the CPU in a halting idle state at the waking), polling (in the polling
# one), idle (swapper ran, no idle state traced), busy (another task ran: it is preempted)
awk -v cpu="$CPU" -v pid="$pid_b" -v tid="$tid_b" "$P $ENT"'
function d(a, b) { return a == "" || b == "" ? "-" : sprintf("%.3f", b - a) }
BEGIN { idle = -1 }
{
  if (!parse()) next
  ev = F["ev"]; t = F["t"]
  if (ev == "kvm_msi_set_irq:") { if (asleep && msi == "" && F["task"] == pid) msi = t; next }
  if (ev == "sched_waking:") {
    if (asleep && msi != "" && wk == "" && kv("pid") == tid) { wk = t; st = idle }
    next
  }
  if (F["cpu"] != cpu) next
  if (ev == "cpu_idle:") {
    s = kv("state") + 0
    if (s == 4294967295) { if (wk != "" && ix == "") ix = t; idle = -1 } else idle = s
    next
  }
  if (ev == "sched_switch:") {
    p = kv("prev_pid"); n = kv("next_pid")
    if (p == tid) { sw = ""; asleep = kv("prev_state") ~ /^S/; msi = wk = ix = ""; next }
    if (n == tid && asleep) {
      asleep = 0; hw = ""
      if (wk == "") next
      sw = t; kind = p != 0 ? "busy" : st >= 1 && ix != "" ? "halted" : st == 0 ? "polling" : "idle"
      if (kind != "halted") ix = ""
    }
    next
  }
  if (F["task"] != tid || sw == "") next
  if (ev == "kvm_vcpu_wakeup:") { hw = t; next }
  if (isentry(ev)) { print "B", kind, d(msi, wk), d(wk, ix), d(ix, sw), d(wk, sw), d(sw, hw), d(sw, t), d(msi, t); sw = "" }
}' "$tmp/trace-b" >> "$tmp/figs"

awk -v cpu="$CPU" -v khz="$khz" '
function sortq(a, n,   i, j, v) { for (i = 2; i <= n; i++) { v = a[i]; for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v } }
function q(a, n, p) { return a[int(p * (n - 1)) + 1] }
# row NAME KEY: the quantiles of the samples V[KEY, 1..N[KEY]]
function row(name, key,   a, n, i, c) {
  n = N[key] + 0
  if (!n) { printf "%-44s %6d\n", name, 0; return }
  for (i = 1; i <= n; i++) a[i] = V[key, i]
  sortq(a, n); c = khz / 1000
  printf "%-44s %6d %7.1f %6.1f %6.1f  %7.0f %7.0f %7.0f\n", name, n, q(a, n, .1), q(a, n, .5), q(a, n, .9), q(a, n, .1) * c, q(a, n, .5) * c, q(a, n, .9) * c
}
function add(key, v) { if (v != "-") V[key, ++N[key]] = v }
$1 == "A" { add("a" $2 "h", $3); add("a" $2, $4); add("a", $4); split($2, w, "-"); add("a" w[1], $4) }
$1 == "B" { K = $2; nb[K]++; for (i = 3; i <= 9; i++) add(K i, $i) }
END {
  printf "CPU %d, TSC %d kHz; figure                      samples  p10 us    p50    p90  p10 cyc p50 cyc p90 cyc\n", cpu, khz
  print "(a) vCPU thread to a runnable vCPU thread (two probes on the CPU):"
  row("  sched_switch to entry, all", "a")
  row("  prev blocked in HLT: switch to entry", "ablock"); row("  prev preempted: switch to entry", "apreempt")
  print "  by prev (blocked in HLT | preempted) and next (woken from HLT | preempted before):"
  row("  blocked -> woken: switch to entry", "ablock-halted"); row("    switch to kvm_vcpu_wakeup (halt end)", "ablock-haltedh")
  row("  blocked -> preempted: switch to entry", "ablock-preempted")
  row("  preempted -> woken: switch to entry", "apreempt-halted"); row("    switch to kvm_vcpu_wakeup (halt end)", "apreempt-haltedh")
  row("  preempted -> preempted: switch to entry", "apreempt-preempted")
  print "(b) wake-up of the sleeping vCPU thread (one probe), the CPU halted in an idle state:"
  row("  MSI to sched_waking", "halted3"); row("  sched_waking to idle exit (cpu_idle -1)", "halted4")
  row("  idle exit to sched_switch(swapper->vCPU)", "halted5"); row("  sched_switch to kvm_vcpu_wakeup (halt end)", "halted7")
  row("  sched_switch to entry", "halted8"); row("  MSI to entry (whole)", "halted9")
  print "(b) the same, the CPU running another task at the waking (the vCPU thread preempts it):"
  row("  sched_waking to sched_switch(task->vCPU)", "busy6"); row("  sched_switch to kvm_vcpu_wakeup (halt end)", "busy7")
  row("  sched_switch to entry", "busy8"); row("  MSI to entry (whole)", "busy9")
  printf "  (b) wake-ups: %d halted, %d busy, %d polling idle state, %d idle without a traced state\n", nb["halted"], nb["busy"], nb["polling"], nb["idle"]
  if (!N["a"] || !(nb["halted"] + nb["busy"] + nb["polling"] + nb["idle"])) { print "too few samples: nothing measured in (a) or (b)"; exit 1 }
}' "$tmp/figs"
