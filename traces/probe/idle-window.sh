#!/usr/bin/env bash
# traces/probe/idle-window.sh - measure how long after a vCPU thread goes to sleep its CPU
# really halts, and how a wake-up's latency depends on when it comes in that window: the
# figure a profile's idle state calls entry_latency (kvmsim calibrate fits it as idle_entry).
#
#   traces/probe/idle-window.sh [--build DIR] [--cpu N] [--count N] [--pattern SPEC]
#
# It runs `kvmsim probe` (default: poisson:100us with halt polling off, so every halt
# sleeps at once, and the wake-ups come at every distance from the sleep) with the vCPU
# thread on CPU N (default 0), and records in a tracefs instance of its own (the host's
# other tracing is left alone): sched_switch, power:cpu_idle, kvm_msi_set_irq and
# kvm_vcpu_wakeup. For each sleep it takes the vCPU thread's switch-out, the CPU's first
# idle-state entry after it, the first MSI after it and the vCPU's wake-up, and prints
#   - the switch-out to idle-entry time (p10, p50, p90), and its quantiles as
#     `kvmsim calibrate` and `kvmsim validate` take them (--idle-entry), and
#   - for MSIs grouped by their distance from the switch-out: how many, and their latency
#     (MSI to kvm_vcpu_wakeup; p10, p50, p90): short while the CPU has not halted yet,
#     and growing with the time halted; where the CPU's idle exit is traced, the median
#     split there (the hypervisor below giving the CPU back; the host's wake-up path).
# Some kernels trace no cpu_idle event on some CPUs (on this project's machine, CPU 1):
# the script says so; try another --cpu.
# Needs root, tracefs and /dev/kvm. Exit status: 0 measured, 1 the work failed, 2 bad
# usage or missing tracefs, kvm events or /dev/kvm.
set -u
here=$PWD
cd "$(dirname "$0")/../.." || exit 1
B=build
CPU=0
COUNT=20000
PAT=poisson:100us
while [ $# -gt 0 ]; do
  case $1 in
    --build|--cpu|--count|--pattern)
      [ $# -ge 2 ] || { echo "idle-window.sh: $1: expected a value (--help)" >&2; exit 2; }
      case $1 in --build) B=$2 ;; --cpu) CPU=$2 ;; --count) COUNT=$2 ;; --pattern) PAT=$2 ;; esac
      shift 2 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "idle-window.sh: $1: unknown option (--help)" >&2; exit 2 ;;
  esac
done
case $B in /*) ;; *) [ -d "$B" ] || B=$here/$B ;; esac
case $CPU in ''|*[!0-9]*) echo "idle-window.sh: --cpu: expected a CPU number, got $CPU" >&2; exit 2 ;; esac
K="$B/kvmsim"
[ -x "$K" ] || { echo "idle-window.sh: $K: no such program (build first)" >&2; exit 1; }
. traces/probe/tracefs.sh
tracefs_open idle-window.sh kvmsim-idle 16384 sched/sched_switch power/cpu_idle kvm/kvm_msi_set_irq kvm/kvm_vcpu_wakeup
echo 1 > "$I/tracing_on"
"$K" probe --pattern "$PAT" --halt-poll-ns 0 --count "$COUNT" --vcpu-cpu "$CPU" --json "$tmp/p.json" > "$tmp/probe" 2>&1 &
pid=$!
wait $pid
rc=$?
echo 0 > "$I/tracing_on"
[ $rc -eq 0 ] || { cat "$tmp/probe" >&2; [ $rc -le 2 ] || rc=1; exit $rc; }
# only the probe's own threads: its waker (the process) raises the MSIs, its vCPU thread sleeps
tid=$(sed -n 's/^ *"pid": \([0-9]*\),*$/\1/p' "$tmp/p.json" | head -1) # the vCPU's thread id
[ -n "$tid" ] || { echo "idle-window.sh: the probe's result names no vCPU thread" >&2; exit 1; }
cat "$I/trace" > "$tmp/trace"
head -1 "$tmp/probe"
grep "^other tasks on the vCPU's CPU" "$tmp/probe" # a busy CPU: few sleeps, and their windows not this host's alone
# one line per measured figure ("E us" an idle entry, "G group us" a wake-up's latency), then
# sorted and summed up
awk -v cpu="$CPU" -v pid="$pid" -v tid="$tid" '
{
  if (!match($0, /\[[0-9]+\] [^ ]+ +[0-9]+\.[0-9]+: [a-z_]+:/)) next
  f = substr($0, RSTART, RLENGTH); split(f, w, " ")
  c = substr(w[1], 2, length(w[1]) - 2) + 0; t = substr(w[3], 1, length(w[3]) - 1) * 1e6; e = w[4]
  if (e == "kvm_msi_set_irq:") { if (asleep && msi == "" && $0 ~ ("-" pid " +\\[")) msi = t; next }
  if (c != cpu) next
  if (e == "sched_switch:" && $0 ~ (" prev_pid=" tid " ") && $0 ~ /prev_state=S/ && $0 ~ / next_pid=0 /) { asleep = 1; out = t; idle = ""; msi = ""; ex = ""; next }
  if (e == "sched_switch:" && asleep && $0 !~ / prev_pid=0 /) { asleep = 0; next } # another task ran first
  # the first idle state that halts (state 0 is the polling one where there is one)
  if (e == "cpu_idle:" && asleep && idle == "" && $0 ~ /state=[1-9][0-9]* / && $0 !~ /state=4294967295/) { idle = t; printf "E %.3f\n", t - out; next }
  # the CPU back from that state after the MSI: the part of the latency spent below
  if (e == "cpu_idle:" && asleep && idle != "" && msi != "" && ex == "" && $0 ~ /state=4294967295/) { ex = t; next }
  if (e == "kvm_vcpu_wakeup:" && asleep) {
    asleep = 0
    if (msi == "") next
    d = msi - out
    g = d < 5 ? 1 : d < 10 ? 2 : d < 15 ? 3 : d < 20 ? 4 : d < 30 ? 5 : d < 50 ? 6 : d < 100 ? 7 : d < 200 ? 8 : d < 500 ? 9 : 10
    printf "G %d %.3f\n", g, t - msi
    if (ex != "") printf "X %d %.3f\nY %d %.3f\n", g, ex - msi, g, t - ex
  }
}' "$tmp/trace" | sort -k1,1 -k2,2n -k3,3n > "$tmp/figs"
awk -v cpu="$CPU" '
function q(a, n, p) { return a[int(p * (n - 1)) + 1] }
$1 == "E" { ent[++ne] = $2 }
$1 == "G" { g = $2; n[g]++; L[g, n[g]] = $3; sleeps++ }
$1 == "X" { g = $2; nx[g]++; XL[g, nx[g]] = $3 }
$1 == "Y" { g = $2; ny[g]++; YL[g, ny[g]] = $3 }
END {
  if (!sleeps) { print "no sleep of the vCPU thread with an MSI after it was traced"; exit 1 }
  printf "%d sleeps of the vCPU thread on CPU %d\n", sleeps, cpu
  if (ne) {
    printf "switch-out to idle-state entry (us): p10 %.0f  p50 %.0f  p90 %.0f  (%d entries)\n", q(ent, ne, 0.1), q(ent, ne, 0.5), q(ent, ne, 0.9), ne
    # p0..p100 by tenths, the ends held at p5 and p95 (one sleep is not the distribution)
    line = ""
    for (k = 0; k <= 10; k++) { pk = k / 10; if (pk < 0.05) pk = 0.05; if (pk > 0.95) pk = 0.95; line = line (k ? "," : "") sprintf("%.1fus", q(ent, ne, pk)) }
    print "as kvmsim calibrate/validate take it: --idle-entry " line
  }
  else printf "no cpu_idle event on CPU %d: this kernel does not trace that CPU'"'"'s idle; try another --cpu\n", cpu
  split("0-5 5-10 10-15 15-20 20-30 30-50 50-100 100-200 200-500 500+", name, " ")
  print "MSI after the switch-out (us)    MSIs   latency to the wake-up (us): p10   p50   p90   p50 to the idle exit, from it"
  for (g = 1; g <= 10; g++) {
    if (!n[g]) continue
    for (i = 1; i <= n[g]; i++) x[i] = L[g, i]
    printf "%-30s %6d %37.0f %5.0f %5.0f", name[g], n[g], q(x, n[g], 0.1), q(x, n[g], 0.5), q(x, n[g], 0.9)
    if (nx[g]) {
      for (i = 1; i <= nx[g]; i++) x[i] = XL[g, i]
      a = q(x, nx[g], 0.5)
      for (i = 1; i <= ny[g]; i++) x[i] = YL[g, i]
      printf "   %5.0f %5.0f  (%d)", a, q(x, ny[g], 0.5), nx[g]
    }
    printf "\n"
  }
}' "$tmp/figs"
