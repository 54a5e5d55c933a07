#!/usr/bin/env bash
# cli_test.sh - the kvmsim binary as a user meets it: exit codes and exact
# messages for bad input, byte-identical outputs for a scenario and seed,
# `haltpoll replay` against hand-worked cases (tests/data/replay/*.txt), the
# plug-in policy through --policy-lib, and the README's key table in sync.
. "$(dirname "$0")/lib.sh"


# usage and bad input
"$K" --help | grep -q "haltpoll replay" || fail "--help lists commands"
expect_err 2 'kvmsim: unknown command "bogus" (kvmsim --help lists them)' -- "$K" bogus
expect_err 2 'kvmsim: "haltpoll" needs a subcommand, e.g. haltpoll replay' -- "$K" haltpoll
expect_err 2 'kvmsim run: --bogus: unknown option or missing value (kvmsim run --help)' -- "$K" run --bogus
expect_err 2 "kvmsim run: $T/none.yaml: cannot open: No such file or directory" -- "$K" run "$T/none.yaml"
printf 'vm:\n  vcpus: 2\n  worklaod: {}\n' > "$T/bad.yaml"
expect_err 2 "kvmsim run: $T/bad.yaml:3: vm.worklaod: unknown key (did you mean workload?)" -- "$K" run "$T/bad.yaml"
expect_err 2 'kvmsim run: --duration: expected a time that is not negative, got "-1s"' -- "$K" run --duration -1s
expect_err 2 'kvmsim run: --set vm.policy: no policy named "nope" (known: kvm, none, fixed; load one with --policy-lib)' -- "$K" run --set vm.policy=nope
expect_err 1 "kvmsim run: /nonexistent/x.json: cannot write: No such file or directory" -- "$K" run --json /nonexistent/x.json

# the default run, its outputs, and determinism
"$K" run > "$T/summary" || fail "default run"
grep -q '^vm0/vcpu0 ' "$T/summary" && grep -q '^vm0/vcpu1 ' "$T/summary" || fail "summary lists the vCPUs"
"$K" run --quiet --json "$T/a.json" --trace "$T/a.trace" --duration 300ms || fail "run --json --trace"
"$K" run --quiet --json "$T/b.json" --trace "$T/b.trace" --duration 300ms || fail "run again"
cmp -s "$T/a.json" "$T/b.json" || fail "same scenario and seed: JSON differs"
cmp -s "$T/a.trace" "$T/b.trace" || fail "same scenario and seed: trace differs"
"$K" run --quiet --json "$T/c.json" --duration 300ms --seed 7
cmp -s "$T/a.json" "$T/c.json" && fail "another seed gives the same JSON"
grep -q '"schema": "kvmsim-run/1"' "$T/a.json" || fail "JSON has its schema"
head -1 "$T/a.trace" | grep -qx 'cpus=3' || fail "trace header: 2 pCPUs and the VM's device thread's CPU"
# threads run where the model runs them: the device thread (vhost) on a CPU of its own,
# never on a pCPU where a vCPU runs; each vCPU thread on its own pCPU
awk 'NR > 1 { split($0, a, "[][]"); cpu = a[2] + 0; thr = substr($0, 1, 22); sub(/^ +/, "", thr)
      if (thr ~ /^vhost/ && cpu < 2) bad = 1
      if (thr !~ /^vhost/ && (thr in seen) && seen[thr] != cpu) bad = 1
      if (thr !~ /^vhost/) seen[thr] = cpu }
     END { exit bad }' "$T/a.trace" || fail "a thread on a CPU the model does not run it on"
# nanosecond timestamps, as trace-cmd report -t prints them
"$K" run --quiet --duration 5ms --trace "$T/ns.trace" --trace-ns
sed -n 2p "$T/ns.trace" | grep -Eq '\] +[0-9]+\.[0-9]{9}: kvm_' || fail "--trace-ns: $(sed -n 2p "$T/ns.trace")"
grep -qE '^ +CPU 0/KVM-4100  \[000\] +[0-9]+\.[0-9]{6}: kvm_exit: {13}vcpu 0 reason HLT rip 0x' "$T/a.trace" || fail "trace-cmd layout of kvm_exit"
grep -qE ': kvm_vcpu_wakeup: {6}(poll|wait) time [0-9]+ ns, polling valid$' "$T/a.trace" || fail "kvm_vcpu_wakeup layout"

# the trace's own halts replayed give the trace's own grow/shrink decisions
"$K" run --quiet --trace "$T/t" --duration 1s --set host.pcpus=1 --set vm.vcpus=1 --set vm.workload.rate=8000
sed -nE 's/.*kvm_vcpu_wakeup: +(poll|wait) time ([0-9]+) ns.*/\2/p' "$T/t" > "$T/halts"
sed -nE 's/.*(kvm_halt_poll_ns): +/\1: /p' "$T/t" > "$T/sim_decisions"
"$K" haltpoll replay --kernel 6.12 "$T/halts" | grep kvm_halt_poll_ns > "$T/replay_decisions"
[ -s "$T/sim_decisions" ] && cmp -s "$T/sim_decisions" "$T/replay_decisions" || fail "simulated decisions differ from replayed ones"

# haltpoll replay: hand-worked cases
for f in "$S"/tests/data/replay/*.txt; do
  args=$(sed -n 's/^# args: //p' "$f")
  sed -n '/^# expect:/q;p' "$f" > "$T/in"
  sed -n '/^# expect:/,$p' "$f" | tail -n +2 > "$T/want"
  # shellcheck disable=SC2086
  "$K" haltpoll replay $args "$T/in" > "$T/got" 2> "$T/err" || fail "$(basename "$f"): exit $? $(cat "$T/err")"
  diff -u "$T/want" "$T/got" > "$T/diff" || { fail "$(basename "$f")"; cat "$T/diff"; }
done
printf '100\nabc\n' > "$T/badh"
expect_err 2 "kvmsim haltpoll replay: $T/badh:2: expected a halt duration in ns, got \"abc\"" -- "$K" haltpoll replay --kernel 6.1 "$T/badh"
printf '100 invalid\n' > "$T/inv"
expect_err 2 "kvmsim haltpoll replay: $T/inv:1: invalid wake-ups exist only on s390 (--arch s390)" -- "$K" haltpoll replay --kernel 6.1 "$T/inv"
expect_err 2 'kvmsim haltpoll replay: --kernel VERSION is required (e.g. --kernel 6.1)' -- "$K" haltpoll replay "$T/inv"
expect_err 2 'kvmsim haltpoll replay: --set vm.halt_poll_ns: KVM_CAP_HALT_POLL arrived in 5.8 (kernel 5.4)' -- "$K" haltpoll replay --kernel 5.4 --set vm.halt_poll_ns=1000 "$T/inv"
printf '5000\n50000\n' | "$K" haltpoll replay --kernel 6.6 --stats-json "$T/st.json" > /dev/null || fail "replay --stats-json"
grep -q '"halt_wait_hist"' "$T/st.json" && grep -q '"halt_attempted_poll": 1' "$T/st.json" || fail "replay statistics"
printf '5000\n' | "$K" haltpoll replay --kernel 5.4 --stats-json - | grep -q halt_wait_hist && fail "5.4 has no halt_wait_hist"

# a policy from a shared object
"$K" run --quiet --json "$T/e.json" --duration 100ms --policy-lib "$B/libewma_policy.so" --set vm.policy=ewma \
  --set vm.policy_params.alpha=0.25 || fail "run with the ewma plug-in"
grep -q '"policy": "ewma"' "$T/e.json" || fail "ewma policy used"
expect_err 2 'kvmsim run: --set vm.policy_params: ewma: unknown parameter "beta" (alpha, factor)' -- \
  "$K" run --policy-lib "$B/libewma_policy.so" --set vm.policy=ewma --set vm.policy_params.beta=1

# the README's scenario key table is what `kvmsim keys --markdown` prints
sed -n '/<!-- keys:begin -->/,/<!-- keys:end -->/p' "$S/README.md" | sed '1d;$d' > "$T/readme_keys"
"$K" keys --markdown > "$T/keys"
diff -u "$T/keys" "$T/readme_keys" > "$T/diff" || { fail "README key table is stale (regenerate with kvmsim keys --markdown)"; head -20 "$T/diff"; }

# stopped by SIGTERM mid-run, an output not finished leaves nothing behind (it is written to
# a temporary file beside its path; a sweep stops its runs this way)
mkdir "$T/stop"
"$K" run --duration 200s --quiet --no-progress --json "$T/stop/out.json" &
pid=$!
for _ in $(seq 200); do [ -n "$(ls -A "$T/stop")" ] && break; sleep 0.02; done
[ -n "$(ls -A "$T/stop")" ] || fail "no temporary output appeared"
kill -TERM $pid; wait $pid; rc=$?
[ $rc -eq 143 ] || fail "SIGTERM: exit $rc, expected 143 (killed by it)"
[ -z "$(ls -A "$T/stop")" ] || fail "SIGTERM left $(ls -A "$T/stop")"

# the profile file's keys, with the idle states' (a user writing a profile finds them here)
"$K" profiles --keys > "$T/pkeys" || fail "kvmsim profiles --keys failed"
for k in tsc costs.vmexit idle_states.N.exit_latency_dist idle_states.N.exit_growth idle_states.N.exit_growth_tau; do
  grep -q "^$k " "$T/pkeys" || fail "kvmsim profiles --keys does not list $k"
done
"$K" profiles --keys --markdown | grep -q '^| `idle_states.N.exit_growth` | time' || fail "profiles --keys --markdown: no exit_growth row"
expect_err 2 'kvmsim profiles: unknown option "x" (kvmsim profiles --keys [--markdown])' -- "$K" profiles --keys x

finish cli_test
