#!/usr/bin/env bash
# samples_test.sh - the shipped real traces (traces/samples/, recorded on a
# 6.18 host with traces/probe): `trace check --kernel 6.18` with the settings
# of checks.txt reproduces every kvm_halt_poll_ns decision in each, and no
# other; a wrong ceiling or another release's defaults do not; and replay
# runs on each layout.
. "$(dirname "$0")/../lib.sh"
D="$S/traces/samples"

total=0
while read -r file args; do
  case $file in ''|'#'*) continue ;; esac
  # shellcheck disable=SC2086
  "$K" trace check "$D/$file" $args > "$T/out" 2>&1 || { fail "$file: exit $?: $(tail -6 "$T/out")"; continue; }
  line=$(grep '^decisions reproduced:' "$T/out")
  n=$(echo "$line" | sed -n 's/^decisions reproduced: \([0-9]*\) of \1 (100.00%); made but not in the trace: 0; halts agreeing: \([0-9]*\) of \2$/\1/p')
  [ -n "$n" ] && [ "$n" -gt 50 ] || fail "$file: $line"
  grep -qE '^ +all +[0-9]+ +[0-9]+ +[0-9]+ +0$' "$T/out" || fail "$file: the model made decisions the trace has not"
  case $file in *.report.gz) ;; *) total=$((total + ${n:-0})) ;; esac
done < "$D/checks.txt"
[ "$total" -eq 1190 ] || fail "the samples hold 1190 decisions, $total were reproduced"

# the two readings of one recording agree line for line on what they report
"$K" trace check "$D/module-2vcpu.dat.gz" --kernel 6.18 | sed 1d > "$T/dat"
"$K" trace check "$D/module-2vcpu.report.gz" --kernel 6.18 | sed 1d > "$T/rep"
cmp -s "$T/dat" "$T/rep" || fail "trace.dat and its trace-cmd report check differently"
grep -cE '^ +[0-9]+ +[01] CPU [01]/KVM ' "$T/dat" | grep -qx 2 || fail "two vCPU threads in module-2vcpu"
grep -cE '^ +[0-9]+ +0 CPU 0/KVM ' < <("$K" trace check "$D/two-vms.trace.gz" --kernel 6.18 --set vm.halt_poll_ns=50000) \
  | grep -qx 2 || fail "two VMs' vcpu 0 told apart by pid"

# the same traces under a wrong setting diverge, exit 1, and say where
"$K" trace check "$D/cap50k-ftrace.trace.gz" --kernel 6.18 --set vm.halt_poll_ns=40000 > "$T/out" 2>&1
[ $? -eq 1 ] || fail "a wrong ceiling must exit 1"
grep -q '^first divergence: .*cap50k-ftrace.trace.gz:[0-9]*, halt [0-9]* of pid' "$T/out" || fail "divergence reported"
grep -q '^  trace:  .*cap50k-ftrace.trace.gz:[0-9]*: kvm_halt_poll_ns: vcpu 0: halt_poll_ns ' "$T/out" \
  || fail "the divergence quotes the trace's decision with its line"
"$K" trace check "$D/cap100k-perf.script.gz" --kernel 6.10 --set vm.halt_poll_ns=100000 > /dev/null 2>&1
[ $? -eq 1 ] || fail "6.10's shrink default must not reproduce a 6.18 trace"

# replay reads every layout and predicts the recorded setting's decisions closely
for f in cap50k-ftrace.trace.gz:50000 cap100k-perf.script.gz:100000 module-2vcpu.dat.gz:; do
  file=${f%%:*} cap=${f##*:}
  spec=kvm${cap:+:vm.halt_poll_ns=$cap}
  "$K" trace replay "$D/$file" --kernel 6.18 --compare "$spec" none > "$T/out" 2>&1 || { fail "replay $file: $(cat "$T/out")"; continue; }
  grep -q '^arrivals: [0-9]* rebuilt; [1-9][0-9]* at the interrupt the trace shows' "$T/out" \
    || fail "replay $file: arrivals from kvm_apic_accept_irq: $(grep ^arrivals "$T/out")"
done

finish samples_test
