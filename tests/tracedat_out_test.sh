#!/usr/bin/env bash
# tracedat_out_test.sh - `kvmsim run --trace FILE.dat` writes a trace.dat that
# trace-cmd (3.1, Debian 12) reads: `trace-cmd report` prints the same events as
# the text trace of the same run (`--trace-ns`), each event's broken-out fields
# agree with its text, kvmsim's own reader makes the same `trace check` of it,
# and a failed write exits 1. Skipped (77) without trace-cmd.
. "$(dirname "$0")/lib.sh"

command -v trace-cmd >/dev/null || { echo "SKIP: trace-cmd is not installed"; exit 77; }

# by_time - a text trace in the order trace-cmd report merges per-CPU buffers: by
# timestamp, then CPU; a CPU's own events keep their order (stable sort)
by_time() {
  sed -E 's/^([^[]*\[([0-9]{3})\] +([0-9]+)\.([0-9]{9}): .*)$/\3\4 \2 \1/' | sort -s -k1,1n -k2,2n | cut -d' ' -f3-
}

# same_events NAME ARGS... - the run as trace.dat and as text; trace-cmd's report of the one is the other
same_events() {
  local n=$1; shift
  "$K" run --quiet "$@" --trace "$T/$n.dat" || { fail "$n: run --trace $n.dat"; return; }
  "$K" run --quiet "$@" --trace "$T/$n.txt" --trace-ns || { fail "$n: run --trace $n.txt"; return; }
  [ "$(wc -l < "$T/$n.txt")" -gt 50 ] || fail "$n: the run traced only $(wc -l < "$T/$n.txt") lines"
  by_time < "$T/$n.txt" > "$T/$n.sorted"
  # without plugins, every payload is the text kvmsim prints (the msg field)
  trace-cmd report -N -t -i "$T/$n.dat" > "$T/$n.rep" 2> "$T/$n.err" || fail "$n: trace-cmd report -N failed: $(head -3 "$T/$n.err")"
  [ -s "$T/$n.err" ] && fail "$n: trace-cmd report -N complained: $(head -3 "$T/$n.err")"
  diff "$T/$n.sorted" "$T/$n.rep" > "$T/$n.diff" || fail "$n: trace-cmd report -N -t differs from --trace-ns: $(head -6 "$T/$n.diff")"
  # with plugins (the default), libtraceevent's kvm plugin formats kvm_exit and kvm_entry from
  # their fields as it does a real recording's; every other event is printed as is
  sed -E -e 's/kvm_exit: ( +)vcpu [0-9]+ reason ([A-Za-z_0-9]+) rip (0x[0-9a-f]+) info1 0x0*([0-9a-f]+) info2 0x0*([0-9a-f]+) .*/kvm_exit: \1reason \2 rip \3 info \4 \5/' \
         -e 's/kvm_entry: ( +)vcpu ([0-9]+), rip (0x[0-9a-f]+).*/kvm_entry: \1 vcpu \2 rip \3/' "$T/$n.sorted" > "$T/$n.plugin"
  trace-cmd report -t -i "$T/$n.dat" > "$T/$n.rep2" 2> "$T/$n.err" || fail "$n: trace-cmd report failed"
  grep -q "CAN'\?T FIND" "$T/$n.rep2" && fail "$n: trace-cmd report: $(grep -m1 "CAN'\?T FIND" "$T/$n.rep2")"
  diff "$T/$n.plugin" "$T/$n.rep2" > "$T/$n.diff" || fail "$n: trace-cmd report -t (kvm plugin) differs: $(head -6 "$T/$n.diff")"
}

# the default scenario; two VMs on a busy host (two device threads' CPUs); long idle gaps between
# events (deltas beyond the 27 bits of an event header: time extends)
same_events default
same_events bench "$S/workloads/scenarios/bench-haltpoll.yaml" --duration 200ms
same_events sparse --set vm.workload.rate=2 --set host.tasks.0.load.rate=1 --duration 3s
awk '{ if (match($0, /\[[0-9][0-9][0-9]\] +[0-9]+\.[0-9]+:/)) { s = substr($0, RSTART, RLENGTH); split(s, a, /[][ :]+/);
       c = a[2]; t = a[3] * 1e9; if (c in last && t - last[c] > 134217728) big++; last[c] = t } } END { exit !(big > 0) }' \
  "$T/sparse.txt" || fail "sparse: no gap beyond 2^27 ns on a CPU, so no time extend was tested"

# the traced system as `trace-cmd report --uname` shows it: kvmsim, the simulated kernel
trace-cmd report --uname -i "$T/default.dat" 2>/dev/null | grep -qx 'kvmsim [0-9.]* (simulated) kernel 6.12 x86' ||
  fail "trace-cmd report --uname: $(trace-cmd report --uname -i "$T/default.dat" 2>&1 | sed -n 2p | cat -A)"

# the broken-out fields say what the text says
trace-cmd report -R -i "$T/default.dat" > "$T/raw" 2>&1 || fail "trace-cmd report -R"
awk '
BEGIN { code["EXTERNAL_INTERRUPT"] = 1; code["HLT"] = 12; code["IO_INSTRUCTION"] = 30; code["MSR_READ"] = 31
        code["MSR_WRITE"] = 32; code["APIC_ACCESS"] = 44; code["EOI_INDUCED"] = 45; code["PREEMPTION_TIMER"] = 52 }
/ kvm_halt_poll_ns: / { n++
  if (!match($0, /grow=([01]) vcpu_id=([0-9]+) new=([0-9]+) old=([0-9]+) msg=vcpu ([0-9]+): halt_poll_ns ([0-9]+) \((grow|shrink) ([0-9]+)\)$/)) { print "bad: " $0; bad++; next }
  split(substr($0, RSTART), f, /[ =:()]+/)
  if (f[4] != f[11] || f[6] != f[13] || f[8] != f[15] || (f[2] == 1) != (f[14] == "grow")) { print "differs: " $0; bad++ } }
/ kvm_vcpu_wakeup: / { w++
  if (!match($0, /ns=([0-9]+) waited=([01]) valid=([01]) msg=(wait|poll) time ([0-9]+) ns, polling (valid|invalid)$/)) { print "bad: " $0; bad++; next }
  split(substr($0, RSTART), f, /[ =,]+/)
  if (f[2] != f[10] || (f[4] == 1) != (f[8] == "wait") || (f[6] == 1) != (f[13] == "valid")) { print "differs: " $0; bad++ } }
/ kvm_exit: / { x++
  if (!match($0, /exit_reason=.* msg=vcpu [0-9]+ reason [A-Z_]+ rip 0x[0-9a-f]+ /)) { print "bad: " $0; bad++; next }
  split(substr($0, RSTART), f, /[ =]+/)
  if (f[16] != f[21] || f[4] != f[25] || f[2] != code[f[23]]) { print "differs: " $0; bad++ } }
END { if (bad || !n || !w || !x) { print n " kvm_halt_poll_ns, " w " kvm_vcpu_wakeup, " x " kvm_exit, " bad " wrong"; exit 1 } }
' "$T/raw" > "$T/raw.bad" || fail "trace-cmd report -R: fields and text disagree: $(head -4 "$T/raw.bad")"

# kvmsim's own reader takes the trace.dat back, with every decision reproduced
"$K" trace check "$T/default.dat" --kernel 6.12 > "$T/check.dat" || fail "trace check of the trace.dat exited $?"
"$K" trace check "$T/default.txt" --kernel 6.12 > "$T/check.txt" || fail "trace check of the text trace exited $?"
grep -q '^decisions reproduced: [1-9][0-9]* of [0-9]* (100.00%)' "$T/check.dat" || fail "trace check of the trace.dat: $(tail -1 "$T/check.dat")"
diff <(tail -n +2 "$T/check.txt") <(tail -n +2 "$T/check.dat") > "$T/check.diff" || fail "trace check: the trace.dat and the text differ: $(head -4 "$T/check.diff")"

# the same run gives the same bytes; --trace-ns is accepted (a trace.dat has nanoseconds anyway)
"$K" run --quiet --trace "$T/again.dat" --trace-ns || fail "run --trace again.dat --trace-ns"
cmp -s "$T/default.dat" "$T/again.dat" || fail "the same run wrote another trace.dat"

# a file that cannot be written: exit 1, one line saying why
ln -s /dev/full "$T/full.dat"
expect_err 1 "kvmsim run: $T/full.dat: write failed: No space left on device" -- "$K" run --quiet --trace "$T/full.dat"
expect_err 1 "kvmsim run: /nonexistent/x.dat: cannot write: No such file or directory" -- "$K" run --quiet --trace /nonexistent/x.dat

finish tracedat_out_test
