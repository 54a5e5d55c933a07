#!/usr/bin/env bash
# sweep_test.sh - `kvmsim sweep` as a user drives it: exact errors and exit
# codes, the results tables (header, rows, byte-identical on a rerun, a run's
# JSON identical to `kvmsim run` with the same settings, SQLite contents),
# failed and crashed runs recorded without stopping the sweep, resuming
# after an interruption without redoing finished runs (counted by a wrapper
# binary), and the same results through GNU parallel (--sshloginfile with
# ":", the local host), a Slurm array script run task by task, and --merge
# of copies.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
PY=/usr/bin/python3


# a wrapper around kvmsim that logs every run that writes a result, and
# crashes (SIGSEGV) on halt_poll_ns=666, hangs on 777, sleeps with SLOW set
cat > "$T/wrap" <<EOF
#!/bin/bash
case " \$* " in *" --json "*) echo run >> "$T/count";; esac
case " \$* " in
  *vm.halt_poll_ns=666*) kill -SEGV \$\$;;
  *vm.halt_poll_ns=777*) case " \$* " in *" --json "*) exec sleep 60;; esac;;
esac
[ -n "\${SLOW:-}" ] && sleep "\$SLOW"
exec "$K" "\$@"
EOF
chmod +x "$T/wrap"
count() { if [ -f "$T/count" ]; then wc -l < "$T/count"; else echo 0; fi; }
G=(--grid vm.halt_poll_ns=0,10000,50000,200000 --grid host.pcpus=1,2 --duration 50ms)

# usage and bad input
"$K" sweep --help | grep -q -- '--emit-jobs FILE' || fail "sweep --help"
"$K" --help | grep -q '^  sweep ' || fail "kvmsim --help lists sweep"
expect_err 2 'kvmsim sweep: --grid vm.halt_poll_ns: expected KEY=V1,V2,...' -- "$K" sweep --grid vm.halt_poll_ns
expect_err 2 'kvmsim sweep: --range vm.halt_poll_ns=0:100:0: STEP must be positive' -- "$K" sweep --range vm.halt_poll_ns=0:100:0
expect_err 2 'kvmsim sweep: --sample needs --samples N (how many points to draw)' -- "$K" sweep --sample vm.halt_poll_ns=1:9
expect_err 2 'kvmsim sweep: --jobs: expected an integer of at least 1, got "0"' -- "$K" sweep -j 0
expect_err 2 'kvmsim sweep: --seed: expected a non-negative integer, got "x"' -- "$K" sweep --seed x
expect_err 2 'kvmsim sweep: nothing to sweep: give --grid, --range or --sample (or --replicates N); kvmsim sweep --help' -- "$K" sweep
expect_err 2 'kvmsim sweep: --design: expected grid, random or lhs, got "sobol"' -- "$K" sweep --design sobol
expect_err 2 'kvmsim sweep: --bogus: unknown option or missing value (kvmsim sweep --help)' -- "$K" sweep --bogus
expect_err 2 'kvmsim sweep: --set vm.halt_poll_ns=5: vm.halt_poll_ns is swept; it cannot also be fixed' -- \
  "$K" sweep --grid vm.halt_poll_ns=0,1 --set vm.halt_poll_ns=5
expect_err 2 'kvmsim sweep: seed cannot be swept as a key: use --replicates N and --seed S' -- "$K" sweep --grid seed=1,2
expect_err 2 "kvmsim sweep: $T/none.yaml: cannot open: No such file or directory" -- "$K" sweep "$T/none.yaml" --grid vm.vcpus=1
expect_err 2 'kvmsim sweep: --merge works on a planned sweep and takes no --grid' -- "$K" sweep --merge x --grid a=1
expect_err 2 "kvmsim sweep: --merge: nodir/sweep.json: cannot open: No such file or directory (not a sweep directory?)" -- \
  "$K" sweep --merge nodir
# a key the scenario does not have stops the sweep before any run (checked on the first run's settings)
"$K" sweep --grid vm.halt_pol=0,1 -o bad >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q '^kvmsim sweep: --set vm.halt_pol: unknown key' "$T/err" && [ "$(wc -l < "$T/err")" -eq 1 ] \
  || fail "unknown key: exit $rc, $(cat "$T/err")"
[ -z "$(ls bad/runs)" ] || fail "a rejected sweep ran something"

# a grid sweep: its tables
"$K" sweep "${G[@]}" --replicates 2 -o s1 -j 2 > out || fail "grid sweep exit $?"
grep -qx 'sweep .*/s1: 16 runs (8 points x 2 replicates): 16 ok, 0 failed, 0 not run' out || fail "summary: $(head -1 out)"
[ "$(head -1 s1/results.csv)" = "run,point,seed,vm.halt_poll_ns,host.pcpus,status,wake_n,wake_mean_ns,wake_p50_ns,wake_p90_ns,wake_p99_ns,wake_p999_ns,wake_max_ns,irq_n,irq_mean_ns,irq_p50_ns,irq_p90_ns,irq_p99_ns,irq_p999_ns,irq_max_ns,halts,poll_success,host_cpu,poll_cpu,guest_cpu,events,steal_cpu,run_delay_p99_ns,vm_worst_wake_p99_ns,fio_iops,fio_clat_p50_ns,fio_clat_p99_ns,rtt_n,rtt_mean_ns,rtt_p50_ns,rtt_p90_ns,rtt_p99_ns,rtt_p999_ns,rtt_max_ns,transactions_per_s,tcp_rr_tps,tcp_rr_rtt_mean_ns,tcp_rr_rtt_p99_ns,error,vm.halt_poll_ns:text,host.pcpus:text" ] \
  || fail "results.csv header: $(head -1 s1/results.csv)"
[ "$(wc -l < s1/results.csv)" -eq 17 ] || fail "results.csv rows"
[ "$(cut -d, -f1-6 s1/results.csv | sed -n '2p;3p;4p;17p' | tr '\n' ' ')" = "1,1,1,0,1,ok 2,1,2,0,1,ok 3,2,1,0,2,ok 16,8,2,200000000,2,ok " ] \
  || fail "grid order, points and seeds: $(cut -d, -f1-6 s1/results.csv | head -4 | tr '\n' ' ')"
[ "$(head -1 s1/points.csv | cut -d, -f1-9)" = "point,vm.halt_poll_ns,host.pcpus,runs,ok,wake_n,wake_n_ci95,wake_mean_ns,wake_mean_ns_ci95" ] \
  || fail "points.csv header"
[ "$(wc -l < s1/points.csv)" -eq 9 ] || fail "points.csv rows"
awk -F, 'NR > 1 && ($4 != 2 || $5 != 2 || $7 == "") { bad = 1 } END { exit bad }' s1/points.csv || fail "points: 2 runs, a CI"
# a run's JSON is exactly what `kvmsim run` gives for the same settings
"$K" run --quiet --json direct.json --seed 2 --set duration=50ms --set vm.halt_poll_ns=10000 --set host.pcpus=2
cmp -s direct.json s1/runs/0008.json || fail "run 8's JSON differs from kvmsim run with its settings"
# the same sweep elsewhere gives byte-identical tables; --jobs changes nothing
"$K" sweep "${G[@]}" --replicates 2 -o s2 -j 1 -q || fail "second sweep"
cmp -s s1/results.csv s2/results.csv && cmp -s s1/points.csv s2/points.csv || fail "tables differ between identical sweeps"
$PY - s1/results.db <<'EOF' || fail "results.db"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("select count(*) from runs where status = 'ok'").fetchone() == (16,)
assert c.execute('select typeof("vm.halt_poll_ns"), "vm.halt_poll_ns", "vm.halt_poll_ns:text" from runs where run = 16').fetchone() == ("integer", 200000000, "200000")
assert c.execute("select count(*) from points where wake_p50_ns is not null and runs = 2").fetchone() == (8,)
assert dict(c.execute("select key, value from sweep").fetchall())["design"] == "grid"
EOF

# failed runs are recorded, the others finish; exit 1
"$K" sweep --grid vm.vcpus=1,0,2 --duration 50ms -o f1 > out; rc=$?
[ $rc -eq 1 ] || fail "a failed run: exit $rc"
[ "$(sed -n 3p f1/results.csv | cut -d, -f1-5)" = "2,2,1,0,failed" ] || fail "failed row: $(sed -n 3p f1/results.csv)"
sed -n 3p f1/results.csv | grep -q ',kvmsim run: --set vm.vcpus: 0 is out of range' || fail "failed row error"
grep -q '"exit_code": 2' f1/runs/0002.fail.json || fail "fail record"
[ "$(cut -d, -f5 f1/results.csv | tr '\n' ' ')" = "status ok failed ok " ] || fail "statuses"
grep -q 'run 2 (seed 1, vm.vcpus=0) failed: kvmsim run: --set vm.vcpus: 0 is out of range' out || fail "summary names the failed run"
# a crash and a hang (--timeout)
"$K" sweep --grid vm.halt_poll_ns=0,666,777,1000 --duration 50ms -o f2 --kvmsim "$T/wrap" --timeout 1s -q; rc=$?
[ $rc -eq 1 ] || fail "crash/hang sweep exit $rc"
[ "$(cut -d, -f4,5 f2/results.csv | tr '\n' ' ')" = "vm.halt_poll_ns,status 0,ok 666000,failed 777000,failed 1000000,ok " ] \
  || fail "crash/hang statuses: $(cut -d, -f4,5 f2/results.csv | tr '\n' ' ')"
grep -q ',killed by signal 11 (Segmentation fault),666$' f2/results.csv || fail "crash recorded"
grep -q ',timed out after 1s,777$' f2/results.csv || fail "timeout recorded"
[ -z "$(ls -A f2/runs | grep '^\.')" ] || fail "partial files left: $(ls -A f2/runs)"

# resume: nothing is redone; exactly the missing runs are
rm -f "$T/count"
"$K" sweep "${G[@]}" -o r1 --kvmsim "$T/wrap" -q || fail "resume sweep"
[ "$(count)" -eq 8 ] || fail "first pass ran $(count) runs, expected 8"
"$K" sweep "${G[@]}" -o r1 --kvmsim "$T/wrap" -q || fail "resume sweep again"
[ "$(count)" -eq 8 ] || fail "a finished sweep ran again ($(count) runs)"
rm r1/runs/0003.json r1/runs/0006.json
"$K" sweep "${G[@]}" -o r1 --kvmsim "$T/wrap" > out || fail "resume after deleting runs"
[ "$(count)" -eq 10 ] || fail "resume ran $(($(count) - 8)) runs, expected 2"
grep -q 'this time: 2 ran (2 ok, 0 failed) .*, 6 finished before' out || fail "resume summary: $(sed -n 2p out)"
cmp -s r1/results.csv s1/results.csv && fail "r1 (one replicate) should differ from s1"
"$K" sweep "${G[@]}" -o r1b -q && cmp -s r1/results.csv r1b/results.csv || fail "resumed results differ from a clean sweep"
# ... and after a real interruption (SIGINT while runs are going)
rm -f "$T/count"
SLOW=0.3 "$K" sweep "${G[@]}" -o r2 --kvmsim "$T/wrap" -j 2 -q 2> err &
pid=$!
for _ in $(seq 100); do [ -n "$(ls r2/runs 2>/dev/null)" ] && break; sleep 0.05; done
kill -INT $pid; wait $pid; rc=$?
done_before=$(ls r2/runs | grep -c '^[0-9]*\.json$')
started=$(count)
[ $rc -eq 1 ] && grep -q 'interrupted by SIGINT' err || fail "interrupt: exit $rc, $(cat err)"
[ "$done_before" -ge 1 ] && [ "$done_before" -lt 8 ] || fail "interrupt left $done_before runs"
[ -z "$(ls -A r2/runs | grep '^\.')" ] || fail "interrupted runs left partial files"
grep -q ',missing,' r2/results.csv || fail "interrupted sweep: missing rows in results.csv"
rm -f "$T/count"
# what a run killed outright (a --timeout's SIGKILL) leaves: its partial files and kvmsim's
# temporary output, of a runner that is gone; the next sweep removes them, and keeps another
# host's and a live runner's
h=$(hostname | tr './' '__')
true & dead=$!; wait $dead
touch "r2/runs/.0001.json.$h.$dead" "r2/runs/.0001.json.$h.$dead.tmp-AbC123" "r2/runs/.0002.json.otherhost.$dead.tmp-AbC123" \
  "r2/runs/.0003.json.$h.$$.tmp-AbC123"
"$K" sweep "${G[@]}" -o r2 --kvmsim "$T/wrap" -q || fail "resumed sweep"
[ "$(ls -A r2/runs | grep '^\.' | sort | tr '\n' ' ')" = ".0002.json.otherhost.$dead.tmp-AbC123 .0003.json.$h.$$.tmp-AbC123 " ] \
  || fail "stale partial files: $(ls -A r2/runs | grep '^\.' | tr '\n' ' ')"
rm -f r2/runs/.0002.json.otherhost.* r2/runs/.0003.json.*
[ "$(count)" -eq $((8 - done_before)) ] || fail "resume after SIGINT ran $(count), expected $((8 - done_before)) (started $started)"
cmp -s r2/results.csv r1b/results.csv || fail "resumed after SIGINT: results differ"
# another design in the same directory is refused
expect_err 2 "kvmsim sweep: $T/r2 holds another sweep (its sweep.json differs: other parameters, scenario or version); use another --out or remove it" -- \
  "$K" sweep --grid vm.halt_poll_ns=0,1 --duration 50ms -o r2

# GNU parallel: the jobs file run through --sshloginfile, ":" being this host (no ssh)
command -v parallel > /dev/null || fail "GNU parallel is not installed (scripts/deps.txt)"
F=(--grid vm.vcpus=1,0,2 --grid vm.halt_poll_ns=0,50000 --duration 50ms)
"$K" sweep "${F[@]}" -o p1 --emit-jobs jobs.txt > out || fail "--emit-jobs"
[ "$(wc -l < jobs.txt)" -eq 6 ] && [ "$(sed -n 2p jobs.txt)" = "'$(readlink -f "$K")' sweep --exec '$T/p1' 2" ] \
  || fail "jobs file: $(sed -n 2p jobs.txt)"
[ -z "$(ls p1/runs)" ] || fail "--emit-jobs ran something"
printf ':\n' > hosts
parallel --will-cite --sshloginfile hosts < jobs.txt > par.out 2> par.err; rc=$?
[ $rc -eq 2 ] || fail "parallel exit $rc (2 failed jobs expected): $(cat par.err)"
grep -q '^kvmsim sweep: run 3 failed: kvmsim run: --set vm.vcpus: 0 is out of range' par.err || fail "failed job reported: $(cat par.err)"
"$K" sweep --merge p1 > out; rc=$?
[ $rc -eq 1 ] && grep -q '6 runs: 4 ok, 2 failed, 0 not run' out || fail "merge after parallel: exit $rc, $(cat out)"
"$K" sweep "${F[@]}" -o p2 -q; [ $? -eq 1 ] || fail "local sweep with failures"
cmp -s p1/results.csv p2/results.csv || fail "GNU parallel results differ from a local sweep"
# running the jobs again does nothing new
rm -f "$T/count"
parallel --will-cite --sshloginfile hosts < jobs.txt > /dev/null 2>&1
[ -z "$(ls -A p1/runs | grep '^\.')" ] || fail "rerun left partial files"

# Slurm: the array script, run task by task as sbatch would
"$K" sweep "${G[@]}" -o u1 --slurm u1.sbatch -q || fail "--slurm"
grep -qx '#SBATCH --array=1-8' u1.sbatch && grep -qx "#SBATCH --output=$T/u1/slurm/%A_%a.out" u1.sbatch || fail "sbatch header"
bash -n u1.sbatch || fail "sbatch script syntax"
bash u1.sbatch > /dev/null 2>&1 && fail "the script runs without SLURM_ARRAY_TASK_ID"
for i in $(seq 8); do SLURM_ARRAY_TASK_ID=$i bash u1.sbatch || fail "array task $i"; done
"$K" sweep --merge u1 -q && cmp -s u1/results.csv r1b/results.csv || fail "Slurm results differ from a local sweep"

# merge from copies made on other hosts (no shared file system)
"$K" sweep "${G[@]}" -o m1 --emit-jobs /dev/null -q
cp -r m1 m2
"$K" sweep --exec m1 1-3 && "$K" sweep --exec m2 4-6,8 || fail "--exec"
"$K" sweep --merge m1 m2 > out; rc=$?
[ $rc -eq 1 ] && grep -q '8 runs: 7 ok, 0 failed, 1 not run (4 taken from 1 copy)' out || fail "merge copies: exit $rc, $(cat out)"
"$K" sweep --exec m1 7 && "$K" sweep --merge m1 -q && cmp -s m1/results.csv r1b/results.csv || fail "merged copies differ"
expect_err 2 "kvmsim sweep: --exec m1 9: expected run ids 1..8 as ID, FIRST-LAST or a list of them" -- "$K" sweep --exec m1 9
expect_err 2 "kvmsim sweep: --merge: $T/s1/sweep.json: another sweep than $T/m1's" -- "$K" sweep --merge m1 "$T/s1"

# random and Latin-hypercube designs: the design seed decides the points
S=(--sample vm.halt_poll_ns=1000:400000:log --sample vm.workload.rate=2000:40000 --design lhs --samples 6 --duration 50ms)
"$K" sweep "${S[@]}" -o l1 --emit-jobs /dev/null -q && "$K" sweep "${S[@]}" -o l2 --emit-jobs /dev/null -q
cmp -s l1/sweep.json l2/sweep.json || fail "the same LHS design differs"
"$K" sweep "${S[@]}" --design-seed 2 -o l3 --emit-jobs /dev/null -q
cmp -s l1/sweep.json l3/sweep.json && fail "another design seed gives the same points"
"$K" sweep "${S[@]}" -o l1 -q || fail "LHS sweep"
[ "$(cut -d, -f6 l1/results.csv | tr '\n' ' ')" = "status ok ok ok ok ok ok " ] || fail "LHS runs"

finish sweep_test
exit $((fails > 0))
