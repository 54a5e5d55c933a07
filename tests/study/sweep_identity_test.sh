#!/usr/bin/env bash
# sweep_identity_test.sh - what a sweep takes as a run's result (issue 10):
# seeds up to 2^64-1 as `kvmsim run` takes them, and a resumed sweep that
# finds another run's output under a run's name runs that run again.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
MAX=18446744073709551615

# seeds: the whole range of `kvmsim run --seed`
"$K" run --seed $MAX --duration 1ms -q --json run.json || fail "run --seed 2^64-1"
"$K" sweep --seed $((0)) --replicates 1 --grid vm.halt_poll_ns=0 --duration 1ms -q -o s0 || fail "sweep --seed 0"
"$K" sweep --seed 18446744073709551614 --replicates 2 --grid vm.halt_poll_ns=0 --duration 1ms -q -o big \
  || fail "sweep --seed 2^64-2 --replicates 2 exited $?"
[ "$(cut -d, -f3 big/results.csv | tail -n +2 | tr '\n' ' ')" = "18446744073709551614 $MAX " ] \
  || fail "results.csv seeds: $(cut -d, -f3 big/results.csv | tr '\n' ' ')"
/usr/bin/python3 -c 'import json, sys; a, b = (json.load(open(f))["scenario"]["seed"] for f in sys.argv[1:]); sys.exit(a != b)' \
  big/runs/0002.json run.json || fail "run 2 of the sweep did not run with seed 2^64-1"
[ "$(sqlite3 big/results.db 'SELECT group_concat(seed) FROM runs')" = "18446744073709551614,$MAX" ] \
  || fail "results.db seeds: $(sqlite3 big/results.db 'SELECT group_concat(seed) FROM runs')"
expect_err 2 "kvmsim sweep: --seed $MAX with 2 replicates needs seeds above $MAX" -- \
  "$K" sweep --seed $MAX --replicates 2 --grid vm.halt_poll_ns=0 -o over
expect_err 2 'kvmsim sweep: --seed: expected a non-negative integer, got "18446744073709551616"' -- \
  "$K" sweep --seed 18446744073709551616 --grid vm.halt_poll_ns=0 -o over

# resuming: runs/0001.json holding run 2's output (another seed) is not run 1's result
A=(--grid vm.halt_poll_ns=0,50us --replicates 2 --duration 2ms -o res -q)
"$K" sweep "${A[@]}" || fail "first sweep"
cp res/runs/0001.json want1.json
cp res/runs/0002.json res/runs/0001.json
"$K" sweep "${A[@]}" 2>err || fail "resumed sweep exited $?"
grep -q '^kvmsim sweep: .*/runs/0001.json: holds the output of seed 2, not run 1.s seed 1; running run 1 again$' err \
  || fail "no word of the foreign result: $(cat err)"
cmp -s res/runs/0001.json want1.json || fail "run 1 was not run again"
# the same seed but another point's value
cp res/runs/0004.json res/runs/0002.json
"$K" sweep "${A[@]}" 2>err || fail "resumed sweep (settings) exited $?"
grep -q "runs/0002.json: was not run with run 2's vm.halt_poll_ns=0; running run 2 again" err \
  || fail "no word of the other point's result: $(cat err)"
[ "$(wc -l < err)" -eq 1 ] || fail "expected one line on stderr: $(cat err)"
# a failure record of another run
cp res/runs/0003.json keep3.json
printf '{"run": 4, "status": "failed", "error": "x"}\n' > res/runs/0003.fail.json
rm res/runs/0003.json
"$K" sweep "${A[@]}" 2>err || fail "resumed sweep (fail record) exited $?"
grep -q 'runs/0003.fail.json: records the failure of another run than run 3; running run 3 again' err \
  || fail "no word of the foreign failure record: $(cat err)"
cmp -s res/runs/0003.json keep3.json || fail "run 3 was not run again"
# --merge takes nothing that is not the run's own
cp -r res copy; rm res/runs/0004.json; cp copy/runs/0003.json copy/runs/0004.json
"$K" sweep --merge res copy -q 2>err; rc=$?
[ $rc -eq 1 ] || fail "--merge with a foreign result exited $rc"
grep -q 'copy/runs/0004.json: holds the output of seed 1, not run 4.s seed 2; not taken' err \
  || fail "--merge: $(cat err)"
[ ! -e res/runs/0004.json ] || fail "--merge took another run's output"

finish sweep_identity_test
