#!/usr/bin/env bash
# harden_test.sh - `kvmsim trace check` and `trace replay` on hostile input
# (issue 10): many vCPU threads, damaged trace.dat and gzip files, files with
# no kvm events, timestamps that go backwards or overflow; each ends with the
# documented status and one line on stderr, never a signal, and leaves no
# temporary file behind.
. "$(dirname "$0")/../lib.sh"

# many vCPU threads (the per-thread table grows while the models point into it):
# kvmsim's own trace of 40 vCPUs must read back with every decision reproduced
"$K" run --quiet --trace "$T/t40.trace" --duration 30ms --seed 3 --set vm.vcpus=40 --set host.pcpus=8 \
  --set vm.workload.rate=8000 > /dev/null 2>&1 || fail "run with 40 vCPUs"
threads=$(grep -oE '^ *CPU [0-9]+/KVM-[0-9]+' "$T/t40.trace" | sort -u | wc -l)
[ "$threads" -eq 40 ] || fail "the 40-vCPU trace has $threads threads"
decisions=$(grep -c ': kvm_halt_poll_ns:' "$T/t40.trace")
"$K" trace check "$T/t40.trace" --kernel 6.12 > "$T/out" 2>&1; rc=$?
[ "$rc" -eq 0 ] || fail "trace check of 40 threads exited $rc: $(tail -3 "$T/out")"
grep -q "^decisions reproduced: $decisions of $decisions (100.00%); made but not in the trace: 0;" "$T/out" \
  || fail "40 threads: $(grep reproduced "$T/out")"

# one line on stderr and the status given, for both commands; nothing left in TMPDIR
mkdir -p "$T/tmp"
both() { # both RC MSG-AFTER-"kvmsim trace CMD: " FILE
  local rc=$1 msg=$2 f=$3
  TMPDIR="$T/tmp" expect_err "$rc" "kvmsim trace check: $msg" -- "$K" trace check "$f" --kernel 6.18
  TMPDIR="$T/tmp" expect_err "$rc" "kvmsim trace replay: $msg" -- "$K" trace replay "$f"
  [ -z "$(ls -A "$T/tmp")" ] || { fail "$f left $(ls "$T/tmp") in TMPDIR"; rm -f "$T/tmp"/*; }
}

# a truncated or damaged trace.dat: libtracecmd must not take kvmsim down (nor leave the .gz's copy)
zcat "$S/traces/samples/module-2vcpu.dat.gz" > "$T/full.dat"
for n in 100000 150000 190000; do
  head -c $n "$T/full.dat" > "$T/cut$n.dat"
  gzip -c "$T/cut$n.dat" > "$T/cut$n.dat.gz"
  for f in "$T/cut$n.dat" "$T/cut$n.dat.gz"; do
    both 2 "$f: damaged trace.dat: libtracecmd failed reading it" "$f"
  done
done
for n in 20 5000; do # cut in the headers: libtracecmd refuses it itself
  head -c $n "$T/full.dat" > "$T/head$n.dat"
  both 2 "$T/head$n.dat: libtracecmd cannot read this trace.dat (damaged, or a newer version)" "$T/head$n.dat"
done
{ printf '\027\010Dtracing'; head -c 20000 /dev/urandom; } > "$T/rnd.dat"
TMPDIR="$T/tmp" "$K" trace check "$T/rnd.dat" --kernel 6.18 > /dev/null 2> "$T/err"; rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "^kvmsim trace check: $T/rnd.dat: " "$T/err" \
  || fail "random bytes after a trace.dat magic: exit $rc, $(cat "$T/err")"
# the whole file still reads, through gzip too, and a compressed one leaves no copy behind
TMPDIR="$T/tmp" "$K" trace check "$S/traces/samples/module-2vcpu.dat.gz" --kernel 6.18 --set halt_poll_ns=200000 \
  > /dev/null 2>&1 || fail "the shipped trace.dat no longer checks"
[ -z "$(ls -A "$T/tmp")" ] || fail "a .dat.gz left $(ls "$T/tmp") in TMPDIR"

# no kvm event at all is no trace to check
: > "$T/empty"; : > "$T/empty.dat"; : > "$T/empty.gz"
for f in "$T/empty" "$T/empty.dat" "$T/empty.gz"; do
  both 2 "$f: no kvm events in it (0 lines read; expected a trace of a KVM host: trace-cmd report, tracefs trace, perf script or trace.dat)" "$f"
done
printf '' | gzip -c > "$T/nothing.gz"
both 2 "$T/nothing.gz: no kvm events in it (0 lines read; expected a trace of a KVM host: trace-cmd report, tracefs trace, perf script or trace.dat)" "$T/nothing.gz"
printf '# tracer: nop\n          <idle>-0       [000] d..2.     1.000000: sched_switch: prev_comm=swapper/0 prev_pid=0\n' > "$T/sched"
both 2 "$T/sched: no kvm events in it (2 lines read; expected a trace of a KVM host: trace-cmd report, tracefs trace, perf script or trace.dat)" "$T/sched"
head -c 30000 /dev/urandom | tr -d '\000' | tr '\n' ' ' | fold -w 100 > "$T/rnd"
lines=$(wc -l < "$T/rnd"); [ -n "$(tail -c 1 "$T/rnd")" ] && lines=$((lines + 1))
both 2 "$T/rnd: no kvm events in it ($lines lines read; expected a trace of a KVM host: trace-cmd report, tracefs trace, perf script or trace.dat)" "$T/rnd"

# a gzip cut short, damaged, or followed by other data is refused, not read up to the damage
zcat "$S/traces/samples/two-vms.trace.gz" > "$T/two.trace"
gzip -c "$T/two.trace" > "$T/two.gz"
size=$(stat -c %s "$T/two.gz")
for n in 100 $((size / 2)) $((size - 4)); do
  head -c $n "$T/two.gz" > "$T/cut.gz"
  both 2 "$T/cut.gz: the compressed data ends early (a truncated gzip file)" "$T/cut.gz"
done
{ cat "$T/two.gz"; echo trailing garbage; } > "$T/trail.gz"
both 2 "$T/trail.gz: data that is not gzip after the end of the compressed stream" "$T/trail.gz"
{ head -c $((size - 8)) "$T/two.gz"; printf 'XXXX'; tail -c 4 "$T/two.gz"; } > "$T/crc.gz" # a wrong CRC-32
both 2 "$T/crc.gz: the compressed data is damaged: incorrect data check" "$T/crc.gz"
gzip -c "$T/two.trace" | cat - <(gzip -c /dev/null) > "$T/members.gz" # more members are one stream
"$K" trace check "$T/members.gz" --kernel 6.18 --set vm.halt_poll_ns=50000 > /dev/null 2>&1 \
  || fail "a gzip of two members is one file"

# timestamps that go back (the layouts are merged in time order): file and line
{ echo "cpus=2"
  echo "       CPU 0/KVM-7     [000]     1.000010: kvm_vcpu_wakeup:      wait time 5000 ns, polling valid"
  echo "       CPU 1/KVM-8     [001]     1.000020: kvm_vcpu_wakeup:      wait time 5000 ns, polling valid"
  echo "       CPU 0/KVM-7     [000]     1.000015: kvm_vcpu_wakeup:      wait time 5000 ns, polling valid"
} > "$T/back"
both 2 "$T/back:4: timestamp 1.000015 goes back before line 3's 1.000020 (lines out of time order: a damaged or reordered file)" "$T/back"
cat "$T/two.trace" "$T/two.trace" > "$T/twice"
TMPDIR="$T/tmp" "$K" trace check "$T/twice" --kernel 6.18 > /dev/null 2> "$T/err"
grep -q "^kvmsim trace check: $T/twice:$(( $(wc -l < "$T/two.trace") + $(grep -n ': kvm_\|: sched' "$T/two.trace" | head -1 | cut -d: -f1) )): timestamp .* goes back before line" "$T/err" \
  || fail "a trace twice over: $(cat "$T/err")"

# timestamps and halts too large for int64 arithmetic: refused, never a signed overflow
printf 'cpus=1\n       CPU 0/KVM-7     [000] 99999999999999.000000: kvm_vcpu_wakeup:      wait time 5000 ns, polling valid\n' > "$T/bigts"
both 2 "$T/bigts:2: timestamp out of range (at most 4611686018.427387904 s): \"       CPU 0/KVM-7     [000] 99999999999999.000000: kvm_vcpu_wakeup:      wait t\"" "$T/bigts"
printf 'cpus=1\n       CPU 0/KVM-7     [000]     1.000000: kvm_vcpu_wakeup:      wait time 9223372036854775807 ns, polling valid\n' > "$T/bigns"
both 2 "$T/bigns:2: kvm_vcpu_wakeup: expected \"poll|wait time NS ns[, polling valid|invalid]\", got \"wait time 9223372036854775807 ns, polling valid\"" "$T/bigns"
# the largest accepted, many times: the checker's clock must not overflow
for s in 1 2 3 4 5; do
  echo "       CPU 0/KVM-7     [000]     $s.000000: kvm_vcpu_wakeup:      wait time 4611686018427387904 ns, polling valid"
done > "$T/longhalts"
"$K" trace check "$T/longhalts" --kernel 6.18 > "$T/out" 2>&1 || fail "5 halts of 2^62 ns: $(tail -2 "$T/out")"
grep -q "halts agreeing: 5 of 5" "$T/out" || fail "5 halts of 2^62 ns: $(grep agreeing "$T/out")"

# replay: a failure to write is exit 1 (not the input), and messages name the user's files
S2="$S/traces/samples/cap20k-noflags.trace.gz"
if [ -w /dev/full ]; then
  expect_err 1 "kvmsim trace replay: cannot write the rebuilt arrivals to /dev/full: No space left on device" -- \
    "$K" trace replay "$S2" --arrivals /dev/full
fi
TMPDIR="$T/none" expect_err 1 "kvmsim trace replay: column \"kvm\": cannot write the arrivals in $T/none: No such file or directory" -- \
  "$K" trace replay "$S2"
dat="$S/traces/samples/module-2vcpu.dat.gz"
TMPDIR="$T/none" expect_err 1 "kvmsim trace replay: $dat: cannot make a temporary file in $T/none: No such file or directory" -- \
  "$K" trace replay "$dat"
TMPDIR="$T/none" expect_err 1 "kvmsim trace check: $dat: cannot make a temporary file in $T/none: No such file or directory" -- \
  "$K" trace check "$dat" --kernel 6.18
expect_err 2 'kvmsim trace replay: column "kvm": vm.workload.file: does not apply to a poisson source' -- \
  "$K" trace replay "$S2" --set vm.workload.type=poisson
{ echo "cpus=1"
  echo "       CPU 0/KVM-7     [000]     1.000000: kvm_vcpu_wakeup:      wait time 5000 ns, polling valid"
  echo "       CPU 0/KVM-7     [000] 200000.000000: kvm_vcpu_wakeup:      wait time 5000 ns, polling valid"
} > "$T/gap"
TMPDIR="$T/tmp" expect_err 2 "kvmsim trace replay: $T/gap:2: the guest ran 199998 s after this halt; replay takes at most a day" -- \
  "$K" trace replay "$T/gap"
{ echo "cpus=2"
  echo "       CPU 0/KVM-7     [000]     1.000000: kvm_vcpu_wakeup:      wait time 5000 ns, polling valid"
  echo "       CPU 1/KVM-8     [001] 90000.000000: kvm_exit:             vcpu 1 reason HLT rip 0x0 info1 0x0 info2 0x0 intr_info 0x00000000 error_code 0x00000000"
} > "$T/span"
TMPDIR="$T/tmp" expect_err 2 "kvmsim trace replay: $T/span: the trace spans 89999 s from its first wake source; replay simulates at most a day (86400 s)" -- \
  "$K" trace replay "$T/span"
[ -z "$(ls -A "$T/tmp")" ] || fail "replay left $(ls "$T/tmp") in TMPDIR"

# no interrupt events: the recorded wake latency is unknown (n/a, null), not 0
zcat "$S2" | grep -vE 'kvm_msi_set_irq|kvm_apic_accept_irq' > "$T/noirq"
"$K" trace replay "$T/noirq" --json "$T/noirq.json" > "$T/out" 2>&1 || fail "replay without interrupts: $(tail -2 "$T/out")"
for q in mean p50 p90 p99 max; do
  grep -qE "^wake latency $q \(us\) +n/a +[0-9]+\.[0-9][0-9]$" "$T/out" || fail "no interrupts: $(grep "latency $q" "$T/out")"
done
python3 -c 'import json, sys; c = json.load(open(sys.argv[1]))["columns"]
sys.exit(not (c[0]["wake_latency"] is None and c[1]["wake_latency"]["count"] > 0))' "$T/noirq.json" \
  || fail "no interrupts: the recorded wake_latency in JSON is not null"

# a directory named as the trace is bad input (exit 2), not a failure to read
expect_err 2 "kvmsim trace check: $T: a directory, not a trace" -- "$K" trace check "$T" --kernel 6.18
finish harden_test
