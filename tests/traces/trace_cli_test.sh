#!/usr/bin/env bash
# trace_cli_test.sh - `kvmsim trace check` and `kvmsim trace replay` as a user
# meets them: help, one-line errors with exit 2 (with file and line for a
# malformed kvm line), skipped-line counts, kvmsim's own --trace output read
# back for every era (round trip: every decision the simulator made is
# reproduced, every kvm event it wrote is read), stdin, and replay's
# reconstruction and determinism.
. "$(dirname "$0")/../lib.sh"


# help and usage
"$K" --help | grep -q "trace check" || fail "kvmsim --help lists trace check"
"$K" --help | grep -q "trace replay" || fail "kvmsim --help lists trace replay"
"$K" trace check --help | grep -q -- "--initial-poll-ns" || fail "trace check --help"
"$K" trace replay --help | grep -q -- "--compare" || fail "trace replay --help"
expect_err 2 'kvmsim trace check: a TRACE file is required (kvmsim trace check --help)' -- "$K" trace check --kernel 6.18
expect_err 2 'kvmsim trace check: --kernel VERSION is required (the release that recorded the trace, e.g. 6.18)' -- "$K" trace check x
expect_err 2 'kvmsim trace check: --kernel: expected a kernel release like 6.1 or 5.10.7, got "six"' -- "$K" trace check x --kernel six
expect_err 2 'kvmsim trace check: --bogus: unknown option or missing value (kvmsim trace check --help)' -- "$K" trace check --bogus
expect_err 2 'kvmsim trace check: --set vm.halt_poll_ns: KVM_CAP_HALT_POLL arrived in 5.8 (kernel 5.4)' -- "$K" trace check x --kernel 5.4 --set vm.halt_poll_ns=1000
expect_err 2 'kvmsim trace check: --set foo=1: unknown key (halt_poll_ns, halt_poll_ns_grow, halt_poll_ns_grow_start, halt_poll_ns_shrink, vm.halt_poll_ns, vm.msr_poll_control, vm.policy_params.KEY)' -- "$K" trace check x --kernel 6.1 --set foo=1
expect_err 2 'kvmsim trace check: --set halt_poll_ns: expected nanoseconds that fit 32 bits (e.g. 50000 or 50us), got "5s"' -- "$K" trace check x --kernel 6.1 --set halt_poll_ns=5s
expect_err 2 "kvmsim trace check: $T/none: cannot open: No such file or directory" -- "$K" trace check "$T/none" --kernel 6.18
expect_err 2 'kvmsim trace replay: a TRACE file is required (kvmsim trace replay --help)' -- "$K" trace replay
expect_err 2 'kvmsim trace replay: --compare needs at least one SPEC after the TRACE (e.g. --compare kvm none)' -- "$K" trace replay x --compare
expect_err 2 'kvmsim trace replay: "y": one TRACE only (to compare settings, use --compare SPEC...)' -- "$K" trace replay x y
expect_err 2 'kvmsim trace replay: nope:a=1: no policy named "nope" (kvmsim policies lists them)' -- "$K" trace replay x --compare kvm nope:a=1
expect_err 2 'kvmsim trace replay: "kvm:halt_poll_ns": expected NAME[:KEY=VALUE[,KEY=VALUE...]]' -- "$K" trace replay x --compare kvm:halt_poll_ns
expect_err 2 'kvmsim trace replay: column "kvm": --set vm.worklaod: unknown key (did you mean workload?)' -- \
  "$K" trace replay "$S/traces/samples/cap20k-noflags.trace.gz" --set vm.worklaod=1

# a malformed kvm line: one line naming the file and line; other lines counted, not errors
printf 'cpus=1\n       CPU 0/KVM-7     [000]     1.000000: kvm_vcpu_wakeup:      poll time 5 ns, polling valid\n' > "$T/bad"
printf '       CPU 0/KVM-7     [000]     1.000001: kvm_halt_poll_ns:     vcpu 0: halt_poll_ns ten (grow 0)\n' >> "$T/bad"
expect_err 2 "kvmsim trace check: $T/bad:3: kvm_halt_poll_ns: expected \"vcpu N: halt_poll_ns NEW (grow|shrink OLD)\", got \"vcpu 0: halt_poll_ns ten (grow 0)\"" -- "$K" trace check "$T/bad" --kernel 6.18
expect_err 2 "kvmsim trace replay: $T/bad:3: kvm_halt_poll_ns: expected \"vcpu N: halt_poll_ns NEW (grow|shrink OLD)\", got \"vcpu 0: halt_poll_ns ten (grow 0)\"" -- "$K" trace replay "$T/bad"
{ echo "# tracer: nop"; echo "#"
  echo "          <idle>-0       [000] d..2.     1.000000: sched_switch: prev_comm=swapper/0 prev_pid=0"
  echo "       CPU 0/KVM-7       [000] .....     1.000001: kvm_userspace_exit: reason KVM_EXIT_IO (2)"
  echo "       CPU 0/KVM-7       [000] .....     1.000002: kvm_vcpu_wakeup: wait time 50000 ns, polling valid"
} > "$T/mixed"
"$K" trace check "$T/mixed" --kernel 6.18 > "$T/out" 2>&1 && fail "a missing grow must be a divergence (exit 1)"
grep -q "^trace: $T/mixed (ftrace; 1 kvm events read, 2 other events and 2 other lines skipped)$" "$T/out" || fail "skipped counts: $(head -1 "$T/out")"
grep -q "^first divergence: $T/mixed:5, halt 1 of pid 7 (CPU 0/KVM, vcpu 0)$" "$T/out" || fail "divergence line"
grep -q "^  kvmsim: kvm_halt_poll_ns: vcpu 0: halt_poll_ns 10000 (grow 0)$" "$T/out" || fail "divergence shows the model's decision"
"$K" trace check - --kernel 6.18 < "$T/mixed" > "$T/out2" 2>&1
grep -q "^trace: (stdin) (ftrace; 1 kvm events" "$T/out2" || fail "stdin: $(head -1 "$T/out2")"

# round trip: kvmsim's own --trace output, for every era's formats, reads back and reproduces
for kernel in 4.4 4.19 5.4 5.10.7 5.15 6.1 6.9 6.14 6.18; do
  "$K" run --quiet --trace "$T/sim.trace" --duration 200ms --seed 3 --set kernel="$kernel" \
    --set vm.workload.rate=8000 > /dev/null 2>&1 || { fail "run --set kernel=$kernel"; continue; }
  "$K" trace check "$T/sim.trace" --kernel "$kernel" > "$T/out" 2>&1 || { fail "round trip $kernel: $(tail -5 "$T/out")"; continue; }
  lines=$(grep -c ': kvm_' "$T/sim.trace")
  others=$(grep -cE ': kvm_(pio|wait_lapic_expire|userspace_exit):' "$T/sim.trace")
  grep -q "; $((lines - others)) kvm events read, $others other events and 1 other lines skipped)" "$T/out" \
    || fail "round trip $kernel: not every kvm line read: $(head -1 "$T/out")"
  decisions=$(grep -c ': kvm_halt_poll_ns:' "$T/sim.trace")
  [ "$decisions" -gt 0 ] || fail "round trip $kernel: the run made no decisions"
  grep -q "^decisions reproduced: $decisions of $decisions (100.00%); made but not in the trace: 0;" "$T/out" \
    || fail "round trip $kernel: $(grep reproduced "$T/out")"
done
# round trip of the other events (kvm_msr, kvm_apic, kvm_eoi, kvm_pv_eoi, kvm_inj_virq, kvm_msi_set_irq,
# kvm_apic_accept_irq, kvm_hv_timer_state) through the shipped scenarios that emit them, under the
# release and module parameters each run reports
seen=""
for sc in pv-eoi-before pv-eoi-after cyclictest-hv-timer; do
  f="$S/workloads/scenarios/$sc.yaml"
  [ -f "$f" ] || continue
  "$K" run "$f" --quiet --duration 150ms --trace "$T/$sc.trace" --json "$T/$sc.json" > /dev/null 2>&1 || { fail "run $sc"; continue; }
  args=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["kvm_params"]; k=d["scenario"]["kernel"]
old = tuple(map(int, k.split(".")[:2])) < (5, 1)  # before 5.1 grow_start was a constant, not a parameter
print("--kernel", k, *["--set %s=%d" % (n, p[n]) for n in sorted(p) if not (old and n.endswith("grow_start"))])' "$T/$sc.json")
  # shellcheck disable=SC2086
  "$K" trace check "$T/$sc.trace" $args > "$T/out" 2>&1 || { fail "round trip $sc ($args): $(tail -4 "$T/out")"; continue; }
  lines=$(grep -c ': kvm_' "$T/$sc.trace")
  others=$(grep -cE ': kvm_(pio|wait_lapic_expire|userspace_exit):' "$T/$sc.trace")
  grep -q "; $((lines - others)) kvm events read, $others other events" "$T/out" || fail "round trip $sc: $(head -1 "$T/out")"
  seen="$seen $(grep -oE ': kvm_[a-z_]+:' "$T/$sc.trace" | sort -u | tr -d ': ' | tr '\n' ' ')"
done
for e in kvm_msr kvm_apic kvm_eoi kvm_pv_eoi kvm_inj_virq kvm_msi_set_irq kvm_apic_accept_irq kvm_hv_timer_state; do
  case " $seen " in *" $e "*) ;; *) fail "no shipped scenario wrote $e for the round trip" ;; esac
done
# the same trace gzip-compressed, and read under the wrong release
gzip -c "$T/sim.trace" > "$T/sim.trace.gz"
"$K" trace check "$T/sim.trace.gz" --kernel 6.18 > "$T/out" 2>&1 || fail "gzip round trip"
"$K" trace check "$T/sim.trace" --kernel 6.10 > "$T/out" 2>&1; [ $? -eq 1 ] || fail "6.18 decisions under 6.10's shrink default must diverge"

# replay: a simulated trace's load rebuilt and simulated again under its own setting
printf 'duration: 300ms\nkernel: "6.18"\nhost: {pcpus: 2}\nvm:\n  vcpus: 2\n  workload: {type: periodic, period: 150us, jitter: 40us, work: 10us}\n' > "$T/r.yaml"
"$K" run "$T/r.yaml" --quiet --trace "$T/r.trace" > /dev/null 2>&1 || fail "run $T/r.yaml"
"$K" trace replay "$T/r.trace" --kernel 6.18 --json "$T/r1.json" > "$T/r1.txt" 2>"$T/err" || fail "replay: $(cat "$T/err")"
"$K" trace replay "$T/r.trace" --kernel 6.18 --json "$T/r2.json" > "$T/r2.txt" 2>&1
cmp -s "$T/r1.txt" "$T/r2.txt" && cmp -s "$T/r1.json" "$T/r2.json" || fail "replay is not deterministic"
grep -q '"schema": "kvmsim-trace-replay/1"' "$T/r1.json" || fail "replay JSON schema"
rec=$(sed -n 's/^halts  *\([0-9]*\)  *\([0-9]*\)$/\1 \2/p' "$T/r1.txt")
set -- $rec
[ $# -eq 2 ] && [ "$1" -gt 3000 ] && [ $(( ($1 - $2) * ($1 - $2) * 10000 )) -le $(( $1 * $1 )) ] \
  || fail "replayed halts ($rec) within 1% of the recorded ones"
grep -q "^trace: $T/r.trace (trace-cmd report; 2 vCPU threads" "$T/r1.txt" || fail "replay header: $(head -1 "$T/r1.txt")"
grep -q "guest work from kvm_entry/kvm_exit for [1-9][0-9]*, from the gap between halts for 0$" "$T/r1.txt" \
  || fail "guest work from the entry/exit events: $(sed -n 2p "$T/r1.txt")"
# two vCPUs that shared one CPU share one pCPU in the replay, and contend as they did
printf 'duration: 500ms\nkernel: "6.12"\nhost: {pcpus: 1}\nvm:\n  vcpus: 2\n  workload: {type: poisson, rate: 10000, work: 8us}\n' > "$T/s.yaml"
"$K" run "$T/s.yaml" --quiet --trace "$T/s.trace" > /dev/null 2>&1 || fail "run $T/s.yaml"
"$K" trace replay "$T/s.trace" > "$T/s.txt" 2>&1 || fail "replay of a shared CPU"
grep -q "its 2 vCPUs pinned as the trace ran them, on 1 pCPU;" "$T/s.txt" || fail "pinning: $(sed -n 3p "$T/s.txt")"
for row in "halts" "polls successful"; do
  set -- $(sed -n "s/^$row  *\([0-9]*\)  *\([0-9]*\)$/\1 \2/p" "$T/s.txt")
  [ $# -eq 2 ] && [ "$1" -gt 1000 ] && [ $(( ($1 - $2) * ($1 - $2) * 400 )) -le $(( $1 * $1 )) ] \
    || fail "shared CPU: replayed $row ($*) within 5% of the recorded"
done
# --compare: one column per SPEC; no polling means no polling CPU and no decisions
"$K" trace replay "$T/r.trace" --kernel 6.18 --compare kvm none fixed:vm.halt_poll_ns=20000 > "$T/c.txt" 2>&1 || fail "compare"
head -5 "$T/c.txt" | tail -1 | grep -qE '^ +recorded +kvm +none +fixed:vm.halt_poll_ns=20000$' || fail "compare columns: $(sed -n 5p "$T/c.txt")"
grep -qE '^polls attempted +[0-9]+ +[0-9]+ +0 +[1-9][0-9]*$' "$T/c.txt" || fail "none attempts no poll, fixed does: $(grep 'polls attempted' "$T/c.txt")"
grep -qE '^halt_poll_ns grows +[0-9]+ +[0-9]+ +0 +0$' "$T/c.txt" || fail "none and fixed never grow"
grep -qE '^polling CPU, failed \(ms\) +[0-9.]+ +[0-9.]+ +0\.000 ' "$T/c.txt" || fail "none spends no CPU polling"
# the arrivals file
"$K" trace replay "$T/r.trace" --kernel 6.18 --arrivals "$T/arr" > /dev/null 2>&1
n=$(grep -vc '^#' "$T/arr")
h=$(grep -c ': kvm_vcpu_wakeup:' "$T/r.trace")
[ "$n" -eq "$h" ] || fail "one arrival per recorded halt ($n vs $h)"
awk '!/^#/ && ($1 > 1 || $2 < 0 || $3 < 0) {bad=1} END {exit bad}' "$T/arr" || fail "arrivals are VCPU TIME WORK"

finish trace_cli_test
