#!/usr/bin/env bash
# record-samples.sh - record the shipped sample traces again (see README.md here).
#
#   traces/samples/record-samples.sh BUILD_DIR [OUT_DIR]
#
# Needs root, /dev/kvm, tracefs, trace-cmd, perf and python3 (traces/probe/record.sh
# exits 77 without them). The kvm module parameters are left as they are: each
# VM's ceiling is set with KVM_CAP_HALT_POLL, or, for the samples marked
# "module", is the live kvm.halt_poll_ns (check it before recording). Every
# sample is then checked with the arguments of checks.txt; a sample the check
# does not reproduce exactly is reported (and kept, for a look).
set -u
B=${1:?usage: record-samples.sh BUILD_DIR [OUT_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
out=${2:-$here}
probe="$B/kvm_probe"
rec="$here/../probe/record.sh"
mkdir -p "$out" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

record() { # record NAME MODE PROBE-ARGS...
  local name=$1 mode=$2
  shift 2
  "$rec" -p "$probe" -m "$mode" -o "$work/$name" -- "$@" || exit $?
}

# 1. ftrace `trace` file with the flags column; VM ceiling 50 us; bursts of short
#    halts (grow) broken by long ones (shrink). irqfd.
record cap50k-ftrace ftrace --halt-poll-ns 50000 --interval 30,30,30,30,30,30,150 --count 600
gzip -9 -n -c "$work/cap50k-ftrace.trace" > "$out/cap50k-ftrace.trace.gz"

# 2. ftrace without the flags column, with the TGID column; VM ceiling 20 us.
record cap20k-noflags ftrace-noflags --halt-poll-ns 20000 --interval 15,15,15,60 --count 600
gzip -9 -n -c "$work/cap20k-noflags.trace" > "$out/cap20k-noflags.trace.gz"

# 3. trace.dat (trace-cmd extract, slimmed) and its `trace-cmd report`; no
#    KVM_CAP_HALT_POLL: the module's halt_poll_ns rules (200000 here); two
#    vCPUs, woken half an interval apart at exponential intervals; KVM_SIGNAL_MSI.
record module-2vcpu tracecmd --vcpus 2 --stagger --exp 120 --seed 5 --count 250 --msi
gzip -9 -n -c "$work/module-2vcpu.dat" > "$out/module-2vcpu.dat.gz"
gzip -9 -n -c "$work/module-2vcpu.report" > "$out/module-2vcpu.report.gz"

# 4. perf script; VM ceiling 100 us; exponential intervals.
record cap100k-perf perf --halt-poll-ns 100000 --exp 150 --seed 3 --count 500
gzip -9 -n -c "$work/cap100k-perf.script" > "$out/cap100k-perf.script.gz"

# 5. two VMs at once (two probes, one vCPU each, both "CPU 0/KVM", vcpu 0), told
#    apart by their pids; both with a 50 us ceiling; one irqfd, one MSI.
"$rec" -p /bin/sh -m ftrace -o "$work/two-vms" -- -c \
  "'$probe' --halt-poll-ns 50000 --interval 40,40,200 --count 300 --no-pin &
   '$probe' --halt-poll-ns 50000 --exp 80 --seed 9 --count 300 --msi --no-pin; wait" || exit $?
gzip -9 -n -c "$work/two-vms.trace" > "$out/two-vms.trace.gz"

# 6. the same two VMs, pinned (both vCPU threads on CPU 1), with the TGID column
#    (each interrupt's VM) and sched_switch (when each thread left its CPU).
"$rec" -p /bin/sh -m ftrace-noflags -s -o "$work/two-vms-sched" -- -c \
  "'$probe' --halt-poll-ns 50000 --interval 40,40,200 --count 300 &
   '$probe' --halt-poll-ns 50000 --exp 80 --seed 9 --count 300 --msi; wait" || exit $?
gzip -9 -n -c "$work/two-vms-sched.trace" > "$out/two-vms-sched.trace.gz"

# 7. sample 3's probe again, as an ftrace file with the TGID column and
#    sched_switch: the waker shares CPU 0 with a vCPU thread, and sched_switch
#    shows where each poll the waker cut really ended.
"$rec" -p "$probe" -m ftrace-noflags -s -o "$work/module-2vcpu-sched" -- \
  --vcpus 2 --stagger --exp 120 --seed 5 --count 250 --msi || exit $?
gzip -9 -n -c "$work/module-2vcpu-sched.trace" > "$out/module-2vcpu-sched.trace.gz"

status=0
while read -r file args; do
  case $file in ''|'#'*) continue ;; esac
  # shellcheck disable=SC2086
  if ! "$B/kvmsim" trace check "$out/$file" $args > "$work/check" 2>&1; then
    echo "record-samples: $file is not reproduced exactly:"; cat "$work/check"; status=1
  fi
done < "$here/checks.txt"
exit $status
