#!/usr/bin/env bash
# hardening_test.sh - inputs built to exhaust or fool the loader (issue 10):
# YAML aliases that expand without bound, a second document, --set keys with
# empty parts, running out of memory, a standard output that cannot be
# written, and `kvmsim GROUP --help`.
. "$(dirname "$0")/lib.sh"

# "billion laughs": nine lines of nested aliases would expand to 9^9 values
{
  echo 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
  prev=a
  for n in b c d e f g h i; do
    echo "$n: &$n [*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev]"
    prev=$n
  done
} > "$T/laughs.yaml"
expect_err 2 "kvmsim run: $T/laughs.yaml:1: alias expansion limit hit: the aliases expand the document beyond 65664 bytes (twice its own 64, plus 65536)" \
  -- "$K" run "$T/laughs.yaml"
# aliases as scenarios use them stay fine: an anchored workload shared by two VMs
cat > "$T/alias.yaml" <<'YAML'
duration: 20ms
warmup: 0
vms:
  - {name: a, workload: &w {type: periodic, period: 1ms}}
  - {name: b, workload: *w}
YAML
"$K" run "$T/alias.yaml" > "$T/out" || fail "a shared anchor is refused"
# 1ms periods in 20ms: 20 wake-ups each (the default workload would give about 40)
grep -qE '^a/vcpu0 +20 ' "$T/out" && grep -qE '^b/vcpu0 +20 ' "$T/out" || fail "the aliased workload reached both VMs"

# a scenario is one YAML document
printf 'duration: 10ms\n---\nduration: 1s\n' > "$T/two.yaml"
expect_err 2 "kvmsim run: $T/two.yaml:2: a second YAML document (after \"---\"): expected one document only" -- "$K" run "$T/two.yaml"
printf -- '---\nduration: 10ms\n...\n' > "$T/one.yaml"
"$K" run --quiet "$T/one.yaml" || fail "one explicit document (--- ... ...) is refused"
expect_err 2 'kvmsim run: --set vm.workload: value is not valid YAML: vm.workload:2: a second YAML document (after "---"): expected one document only' \
  -- "$K" run --set $'vm.workload={type: idle}\n---\n{}'

# --set keys: every part between dots names something
for k in . .vm vm. vm..halt_poll_ns; do
  expect_err 2 "kvmsim run: --set $k: expected a key of names joined by single dots, e.g. vm.halt_poll_ns" -- "$K" run --set "$k=1"
done

# out of memory is "the work failed" (1) with one line, never another status or a signal;
# a sanitizer build cannot run under ulimit -v at all, so it skips this
if { (ulimit -v 100000 && "$K" --version) >/dev/null 2>&1; } 2>/dev/null; then
  # 600k keys, and an alias copying them: libyaml runs out below ~250 MB, kvmsim's
  # own tree (sim/xalloc.c) below ~450 MB, and the load completes at ~500 MB
  awk 'BEGIN { print "a: &a"; for (i = 0; i < 600000; i++) print "  k" i ": " i; print "b: *a" }' > "$T/big.yaml"
  for lim in 100000 200000 350000; do
    (ulimit -v "$lim" && exec "$K" run "$T/big.yaml") >/dev/null 2>"$T/err"; rc=$?
    [ "$rc" -eq 1 ] || fail "out of memory under ulimit -v $lim exited $rc, expected 1 ($(cat "$T/err"))"
    [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q '^kvmsim: out of memory (' "$T/err" || fail "out of memory under ulimit -v $lim: stderr was '$(cat "$T/err")'"
  done
else
  echo "hardening_test: no ulimit -v check (sanitizer build)"
fi

# compare: histogram counts that would wrap the 64-bit total to a small number, a mean
# no latency of the histogram can give
"$K" run --quiet --duration 50ms --json "$T/base.json" || fail "run --json"
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
j = json.load(open(t + "/base.json"))
h = j["vcpus"][0]["latency"]["wake"]["histogram"]
h[0][2], h[1][2], h[2][2] = 2**63 - 1, 2**63 - 1, 3  # adds up to 1 modulo 2^64
json.dump(j, open(t + "/wrap.json", "w"))
j = json.load(open(t + "/base.json"))
j["vcpus"][0]["latency"]["wake"]["mean"] = 1e300
json.dump(j, open(t + "/mean.json", "w"))
PY
expect_err 2 "kvmsim compare: $T/wrap.json: vcpus[0].latency.wake: the histogram's counts add up to more than 2^48 samples" \
  -- "$K" compare --quiet "$T/base.json" "$T/wrap.json"
expect_err 2 "kvmsim compare: $T/mean.json: vcpus[0].latency.wake: the mean lies outside the histogram's buckets" \
  -- "$K" compare --quiet "$T/base.json" "$T/mean.json"
"$K" compare --quiet "$T/base.json" "$T/base.json" || fail "a run compared with itself"

# standard output that cannot be written: the run failed (1), one line
if [ -w /dev/full ]; then
  "$K" run --quiet --duration 50ms --json "$T/r.json" || fail "run --json"
  full() { # full WHAT CMD...: CMD's stdout goes to /dev/full
    local what=$1; shift
    "$@" >/dev/full 2>"$T/err"; local rc=$?
    [ "$rc" -eq 1 ] || fail "$* > /dev/full exited $rc, expected 1"
    [ "$(wc -l < "$T/err")" -eq 1 ] || fail "$* > /dev/full: stderr was '$(cat "$T/err")'"
    [ -z "$what" ] || [ "$(cat "$T/err")" = "kvmsim $what: standard output: No space left on device" ] ||
      fail "$* > /dev/full: stderr was '$(cat "$T/err")'"
  }
  full run "$K" run --duration 10ms
  full run "$K" run --duration 10ms --kvm-events
  full keys "$K" keys
  full profiles "$K" profiles
  full profiles "$K" profiles haswell-ep
  full policies "$K" policies
  full compare "$K" compare "$T/r.json" "$T/r.json"
  full "" "$K" trace check "$S/traces/samples/cap20k-noflags.trace.gz" --kernel 6.1
  full "" sh -c "printf '5000\n' | '$K' haltpoll replay --kernel 6.1"
  full "haltpoll" "$K" haltpoll --help
  # bad input stays bad input (2) with its own message
  expect_err 2 'kvmsim run: --set vm.policy: no policy named "nope" (known: kvm, none, fixed; load one with --policy-lib)' \
    -- sh -c "exec '$K' run --set vm.policy=nope > /dev/full"
fi

# kvmsim GROUP --help: the group's subcommands, exit 0
for g in haltpoll trace; do
  for h in --help -h; do
    "$K" "$g" "$h" > "$T/out" 2> "$T/err" || fail "kvmsim $g $h exited $?"
    [ -s "$T/err" ] && fail "kvmsim $g $h wrote to stderr: $(cat "$T/err")"
    head -1 "$T/out" | grep -q "^usage: kvmsim $g SUBCOMMAND" || fail "kvmsim $g $h: no usage line"
  done
done
"$K" haltpoll --help | grep -qE '^  replay +print what a kernel' || fail "haltpoll --help lists replay with its summary"
[ "$("$K" trace --help | grep -cE '^  (check|replay) ')" -eq 2 ] || fail "trace --help lists check and replay"
expect_err 2 'kvmsim: unknown command "bogus" (kvmsim --help lists them)' -- "$K" bogus --help

finish hardening_test
