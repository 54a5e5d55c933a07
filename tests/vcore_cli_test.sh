#!/bin/bash
# vcore_cli_test.sh - PowerPC vcore polling through the binary: `haltpoll
# replay --arch powerpc` against hand-worked files (tests/data/vcore), its
# statistics, what it refuses, and `run` refusing powerpc until the vcore
# runner exists.
. "$(dirname "$0")/lib.sh"

for f in "$S"/tests/data/vcore/*.txt; do
  args=$(sed -n 's/^# args: //p' "$f")
  sed -n '/^# expect:/q;p' "$f" > "$T/in"
  sed -n '/^# expect:/,$p' "$f" | tail -n +2 > "$T/want"
  # shellcheck disable=SC2086
  "$K" haltpoll replay $args "$T/in" > "$T/got" 2> "$T/err" || fail "$(basename "$f"): exit $? $(cat "$T/err")"
  diff -u "$T/want" "$T/got" > "$T/diff" || { fail "$(basename "$f")"; cat "$T/diff"; }
done

# the same blocks under the generic rules are not the vcore's (the issue's 10000, 0, ...)
printf '5000\n20000\n' | "$K" haltpoll replay --kernel 6.18 --arch x86 --set halt_poll_ns=10000 > "$T/x86"
grep -q 'halt_poll_ns 0 (shrink 10000)' "$T/x86" || fail "x86 5.15+ shrink floor: $(cat "$T/x86")"
grep -q vcore_halt_poll_ns "$T/x86" && fail "x86 replay prints the vcore's window"

# statistics: charged to the runner, under KVM's names plus halt_successful_wait
printf '5000\n4000\n15000\n' | "$K" haltpoll replay --kernel 6.18 --arch powerpc --stats-json "$T/st.json" > /dev/null ||
  fail "powerpc --stats-json"
python3 - "$T/st.json" <<'PY' || fail "powerpc statistics: $(cat "$T/st.json")"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["stats"]
want = {"halt_attempted_poll": 2, "halt_successful_poll": 1, "halt_successful_wait": 2,
        "halt_poll_success_ns": 4000, "halt_poll_fail_ns": 10000, "halt_wait_ns": 10000}
assert all(s[k] == v for k, v in want.items()), s
assert "halt_poll_invalid" not in s and "halt_exits" not in s
assert d["halt_poll_ns"] == 5000 and d["halt_poll_max_ns"] == 10000 and d["host_cpu"] == "power8"
PY
printf '5000\n' | "$K" haltpoll replay --kernel 4.7 --arch powerpc --stats-json - | grep -q '"stats": {}' ||
  fail "4.7 powerpc counts nothing"

# the longest blocks replay takes, many of them: the replay clock must not overflow (UBSan build)
for i in 1 2 3 4 5 6; do echo 2305843009213693951; done > "$T/long"
for a in powerpc x86; do
  "$K" haltpoll replay --kernel 6.18 --arch $a "$T/long" > "$T/long.out" 2> "$T/long.err" ||
    fail "$a: long blocks: exit $? $(cat "$T/long.err")"
  [ -s "$T/long.err" ] && fail "$a: long blocks: $(cat "$T/long.err")"
done
grep -c 'wait time 2305843009213693951 ns' "$T/long.out" | grep -qx 6 || fail "long blocks' wake-ups"

R='kvmsim haltpoll replay'
expect_err 2 "$R: --set vm.halt_poll_ns: the powerpc vcore path never reads KVM_CAP_HALT_POLL; set halt_poll_ns (kvm.halt_poll_ns)" -- \
  "$K" haltpoll replay --kernel 6.1 --arch powerpc --set vm.halt_poll_ns=1000 /dev/null
expect_err 2 "$R: --set kvm_hv.halt_poll_max_ns: kvm_hv's own parameter of powerpc 4.8-4.13 (kernel 6.1, powerpc); from 4.14 the vcore reads kvm.halt_poll_ns" -- \
  "$K" haltpoll replay --kernel 6.1 --arch powerpc --set kvm_hv.halt_poll_max_ns=1000 /dev/null
expect_err 2 "$R: --set halt_poll_max_ns: kvm_hv's own parameter of powerpc 4.8-4.13 (kernel 4.9, x86)" -- \
  "$K" haltpoll replay --kernel 4.9 --set halt_poll_max_ns=1000 /dev/null
expect_err 2 "$R: --set halt_poll_ns: the vcore of 4.8-4.13 reads kvm_hv.halt_poll_max_ns, not kvm.halt_poll_ns" -- \
  "$K" haltpoll replay --kernel 4.13 --arch powerpc --set kvm.halt_poll_ns=1000 /dev/null
expect_err 2 "$R: --set halt_poll_ns_shrink: powerpc vcores poll from 4.8 (kernel 4.7 never polls)" -- \
  "$K" haltpoll replay --kernel 4.7 --arch powerpc --set halt_poll_ns_shrink=2 /dev/null
"$K" haltpoll replay --kernel 4.14 --arch powerpc --set halt_poll_ns=1000 /dev/null || fail "4.14 powerpc takes halt_poll_ns"
expect_err 2 "$R: --set host.cpu: expected power7, power8, power9 or power10, got \"power6\"" -- \
  "$K" haltpoll replay --kernel 6.1 --arch powerpc --set host.cpu=power6 /dev/null
expect_err 2 "$R: --set host.cpu: the host processor is a powerpc setting (--arch powerpc)" -- \
  "$K" haltpoll replay --kernel 6.1 --set host.cpu=power9 /dev/null
expect_err 2 "$R: --runnable: expected 1 to 8 threads, got 9" -- \
  "$K" haltpoll replay --kernel 6.1 --arch powerpc --runnable 9 /dev/null
expect_err 2 "$R: --tgid: a vcore's setting (--arch powerpc)" -- "$K" haltpoll replay --kernel 6.1 --tgid 5 /dev/null
expect_err 2 "$R: --policy: the powerpc vcore path has the kernel's own policy only (kvm)" -- \
  "$K" haltpoll replay --kernel 6.1 --arch powerpc --policy none /dev/null
printf '100 invalid\n' > "$T/inv"
expect_err 2 "$R: $T/inv:1: invalid wake-ups exist only on s390 (--arch s390)" -- \
  "$K" haltpoll replay --kernel 6.1 --arch powerpc "$T/inv"

# run: powerpc runs its vcores (tests/ppc_run_test.sh), never the x86 path; an x86 profile has no vcore costs
expect_err 2 "kvmsim run: (built-in default):13: cost_profile: profile haswell-ep has no POWER vcore costs (arch powerpc: use power8)" -- \
  "$K" run --set arch=powerpc
printf 'arch: powerpc\n' > "$T/p.yaml"
expect_err 2 "kvmsim run: $T/p.yaml:1: cost_profile: profile haswell-ep has no POWER vcore costs (arch powerpc: use power8)" -- \
  "$K" run "$T/p.yaml"
"$K" run --quiet --duration 10ms --set arch=s390 > /dev/null || fail "run --set arch=s390"

# the README's PowerPC example prints what the binary prints
sed -n '/^### PowerPC vcores/,/^## /p' "$S/README.md" | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' > "$T/ex"
cmd=$(head -1 "$T/ex")
tail -n +2 "$T/ex" > "$T/ex_want"
eval "${cmd//build\/kvmsim/\"\$K\"}" > "$T/ex_got"
[ -s "$T/ex_want" ] && cmp -s "$T/ex_want" "$T/ex_got" || fail "README PowerPC example: $(cat "$T/ex_got")"

finish vcore_cli_test
