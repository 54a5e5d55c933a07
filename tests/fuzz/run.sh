#!/usr/bin/env bash
# tests/fuzz/run.sh - build the libFuzzer harnesses (clang, ASan + UBSan) in
# build-fuzz/ and run each for a short fixed time; scripts/test runs it.
#
#   KVMSIM_FUZZ_TIME=S    seconds per harness (default 15)
#   KVMSIM_FUZZ_ONLY="A B"  only these harnesses (scenario profile trace_text
#                         trace_perf trace_dat trace_replay haltpoll_replay compare)
#   KVMSIM_FUZZ_JOBS=N    build jobs (default 2)
#
# Each harness's corpus grows in build-fuzz/corpus/NAME/ (seeded every time
# from the shipped scenarios, traces and test data); a crashing input is kept
# in build-fuzz/crashes/NAME/ and fails the run. Inputs of crashes that are
# known and still open (in code another change fixes) live in
# tests/fuzz/crashes/NAME/: they are re-run and reported, and while a harness
# has any, a new crash of it is reported but does not fail the run. Inputs of
# fixed crashes live in tests/fuzz/regress/NAME/ and run in ctest.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
S=$PWD
B=$S/build-fuzz
secs=${KVMSIM_FUZZ_TIME:-15}
all="scenario profile trace_text trace_perf trace_dat trace_replay haltpoll_replay compare"
only=${KVMSIM_FUZZ_ONLY:-$all}

command -v clang >/dev/null || { echo "fuzz: no clang; skipped"; exit 0; }
mkdir -p "$B"
targets=""
for h in $only; do targets="$targets fuzz_$h"; done
# shellcheck disable=SC2086
if ! { cmake -S . -B "$B" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS=-O1 \
         -DKVMSIM_SANITIZE=ON -DKVMSIM_FUZZ=ON &&
       cmake --build "$B" -j"${KVMSIM_FUZZ_JOBS:-2}" --target $targets; } >"$B/build.log" 2>&1; then
  cat "$B/build.log" >&2
  echo "fuzz: the build failed (log above)" >&2
  exit 1
fi

# seed - copy the shipped inputs of harness $1 into its corpus
seed() {
  local c=$B/corpus/$1 f n
  mkdir -p "$c"
  case $1 in
  scenario)
    cp workloads/scenarios/*.yaml models/costs/profiles/*.yaml "$c/"
    # a scenario, then --set assignments after NUL bytes
    printf 'duration: 1ms\n\0vm.workload={type: periodic, period: 1ms}\0vms.0.vcpus=2' > "$c/set-1"
    printf 'vms:\n  - {name: a}\n  - {name: b, workload: &w {type: idle}}\n\0vms.1.halt_poll_ns=5us\0kernel=5.10' > "$c/set-2"
    printf 'host:\n  tasks: [{name: t, load: {rate: 1000, work: {dist: empirical, quantiles: [1us, 5us, 40us]}}}]\n\0host.tasks.0.preempt_delay={dist: empirical, quantiles: [0us, 0us, 30us]}' > "$c/set-3"
    ;;
  profile)
    cp models/costs/profiles/*.yaml "$c/"
    # an idle state's measured exit distribution, as kvmsim calibrate writes it
    sed 's|{name: C6, exit_latency: 133us,|{name: C6, exit_latency: 133us, exit_latency_dist: {quantiles: [20us, 60us, 133us]},|' \
      models/costs/profiles/haswell-ep.yaml > "$c/exit-dist.yaml"
    # a halted state whose exit grows with the stay, as kvmsim validate measures it
    sed 's|{name: haltpoll, |{name: haltpoll, exit_growth: 8us, exit_growth_tau: 260us, |' \
      models/costs/profiles/xeon-pvm.yaml > "$c/exit-growth.yaml"
    ;;
  trace_text | trace_perf | trace_replay)
    if [ "$1" = trace_perf ]; then set -- traces/samples/*perf*.gz; else
      set -- traces/samples/*.trace.gz traces/samples/*.report.gz; fi
    for f in "$@"; do # the first lines: small inputs fuzz faster
      n=$(basename "$f" .gz)
      zcat "$f" | head -n 300 > "$c/$n"
      head -n 40 "$c/$n" | gzip -n > "$c/$n.gz"
    done
    ;;
  trace_dat) zcat traces/samples/*.dat.gz > "$c/module-2vcpu.dat" ;;
  haltpoll_replay) # first byte: kernel (low 3 bits) and arch (next 2)
    for f in tests/data/replay/*.txt; do
      { printf '\004'; sed '/^# expect:/q' "$f"; } > "$c/x86-6.1-$(basename "$f")"
      { printf '\024'; sed '/^# expect:/q' "$f"; } > "$c/s390-6.1-$(basename "$f")"
    done
    ;;
  compare) cp tests/data/study/*.json "$c/" ;;
  idle_entry) for f in tests/data/idle_entry/*.trace.gz tests/data/background/*.trace.gz; do n=${f##*/}; zcat "$f" | head -n 300 > "$c/${n%.gz}"; done ;;
  esac
  [ -d "tests/fuzz/regress/$1" ] && cp "tests/fuzz/regress/$1"/* "$c/" 2>/dev/null
  return 0
}

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:quarantine_size_mb=64
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$S/tests/traces/lsan.supp
failed=""
for h in $only; do
  bin=$B/fuzz/fuzz_$h
  open=0
  for f in tests/fuzz/crashes/"$h"/*; do
    [ -f "$f" ] || continue
    open=$((open + 1))
    if "$bin" "$f" >"$B/known.log" 2>&1; then
      echo "fuzz $h: $f no longer crashes: move it to tests/fuzz/regress/$h/"
    else
      echo "fuzz $h: $f still crashes (known, open)"
    fi
  done
  seed "$h"
  mkdir -p "$B/crashes/$h"
  echo "fuzz $h: ${secs}s"
  "$bin" "$B/corpus/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
    -artifact_prefix="$B/crashes/$h/" >"$B/$h.log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "$B/$h.log"
    if [ "$open" -gt 0 ]; then
      echo "fuzz $h: crashed (exit $rc; $open known open crashes; inputs in $B/crashes/$h/)"
    else
      echo "fuzz $h: CRASHED (exit $rc): inputs in $B/crashes/$h/, log in $B/$h.log"
      failed="$failed $h"
    fi
  else
    echo "fuzz $h: $(grep -E '^Done [0-9]+ runs' "$B/$h.log" | tail -1), corpus $(ls "$B/corpus/$h" | wc -l) inputs"
  fi
done
[ -z "$failed" ] || { echo "fuzz: crashes in:$failed"; exit 1; }
echo "fuzz: no new crashes"
