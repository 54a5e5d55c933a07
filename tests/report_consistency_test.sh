#!/usr/bin/env bash
# report_consistency_test.sh - the summary's tables agree with each other over
# the statistics' span (after the warm-up): a vCPU thread's CPU in the host
# scheduler's table ("got") is what the vCPU table splits into guest, guest
# polling, exits and halt polling, and both tables show the same steal.
. "$(dirname "$0")/lib.sh"

check() { # scenario args...
  "$K" run "$@" > "$T/out" 2>&1 || { fail "$*: exit $?"; return; }
  /usr/bin/python3 - "$T/out" "$*" <<'PY' || fail "$*: the tables disagree"
import re, sys
text = open(sys.argv[1]).read()
vcpu, sched = {}, {}
for line in text.splitlines():
    f = line.split()
    if len(f) == 13 and re.match(r"vm\d+/vcpu\d+$", f[0]):       # the vCPU table
        guest, gpoll, exit_, ok, fail, idle, steal = map(float, f[6:13])
        vcpu[f[0]] = (guest + gpoll + exit_ + ok + fail, steal)
    elif len(f) == 10 and re.match(r"vm\d+/vcpu\d+$", f[0]):     # the host scheduler's table
        sched[f[0]] = (float(f[1]), float(f[3]))
bad = [n for n in vcpu if n not in sched or abs(vcpu[n][0] - sched[n][0]) > 0.06 or abs(vcpu[n][1] - sched[n][1]) > 0.02]
for n in bad:
    print(sys.argv[2], n, "vCPU table busy/steal", vcpu[n], "scheduler got/steal", sched.get(n))
sys.exit(1 if bad or not vcpu else 0)
PY
}

check                                                     # the default: 1 s after a 100 ms warm-up
check "$S/workloads/scenarios/overcommit.yaml" --set duration=300ms --no-progress
check --set duration=200ms --set warmup=150ms             # a warm-up that is most of the run

# a device thread (fio's IOThread, alone on pCPU 4) is in the scheduler's table with its pCPU's task time
"$K" run "$S/workloads/scenarios/fio-randread.yaml" --set duration=60ms --set warmup=10ms --no-progress > "$T/fio" 2>&1 ||
  fail "fio run: exit $?"
got=$(awk '$1 == "vm0/iothread" { print $2 }' "$T/fio")
tasks=$(awk '$1 == "4" && NF >= 9 { print $7; exit }' "$T/fio")
[ -n "$got" ] && [ "$got" = "$tasks" ] || fail "IOThread: scheduler table got '$got', pCPU 4 tasks '$tasks'"
finish report_consistency_test
