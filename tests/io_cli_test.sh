#!/bin/bash
# tests/io_cli_test.sh - issue 14 end to end: the fio scenarios run and report fio's
# layout; poll_source and io_poll change how completions arrive; bad keys exit 2
# with one line naming the file, line and key.
. "$(dirname "$0")/lib.sh"

for rw in randread randwrite randrw; do
  f="$S/workloads/scenarios/fio-$rw.yaml"
  "$K" run "$f" --set duration=60ms --set warmup=10ms --json "$T/$rw.json" >"$T/out" 2>"$T/err" || fail "fio-$rw: exit $?"
  grep -q "clat percentiles (usec):" "$T/out" || fail "fio-$rw: no clat percentiles block"
  grep -q "99.99th=\[" "$T/out" || fail "fio-$rw: no 99.99th percentile"
  python3 - "$T/$rw.json" "$rw" <<'PY' || fail "fio-$rw: JSON"
import json, sys
d = json.load(open(sys.argv[1]))['fio'][0]
assert d['rw'] == sys.argv[2] and d['numjobs'] == 4 and d['num_queues'] == 4
assert d['iops'] > 0 and abs(d['read']['total_ios'] + d['write']['total_ios'] - d['iops'] * 0.05) < 1
assert d['per_io']['interrupts'] > 0.9 and d['per_io']['polled'] == 0
PY
done

"$K" run "$S/workloads/scenarios/fio-randread.yaml" --set duration=60ms --set vm.virtio_blk.poll_source=true \
  --json "$T/ps.json" >/dev/null || fail "poll_source run"
"$K" run "$S/workloads/scenarios/fio-randread.yaml" --set duration=60ms --set vm.virtio_blk.io_poll=true \
  --json "$T/iop.json" >/dev/null || fail "io_poll run"
python3 - "$T/randread.json" "$T/ps.json" "$T/iop.json" <<'PY' || fail "polling outcomes"
import json, sys
b, p, i = (json.load(open(f))['fio'][0] for f in sys.argv[1:])
assert p['per_io']['interrupts'] < 0.1 and p['per_io']['polled'] > 0.9, p['per_io']
assert i['per_io']['interrupts'] == 0 and i['per_io']['polled'] > 0.99, i['per_io']
assert p['iops'] > b['iops'] and i['iops'] > b['iops']
assert i['cpu']['guest_poll'] == 0 and i['cpu']['guest'] > b['cpu']['guest']
PY

# compare takes fio's clat (both sides ran fio), and a sweep has fio's columns
"$K" compare "$T/randread.json" "$T/ps.json" >"$T/cmp" 2>&1; rc=$?
[ "$rc" -le 1 ] && grep -q "^clat " "$T/cmp" || fail "compare: rc $rc, no clat: $(head -3 "$T/cmp")"
"$K" sweep "$S/workloads/scenarios/fio-randread.yaml" --set warmup=10ms --set duration=40ms \
  --grid vm.virtio_blk.poll_source=false,true -o "$T/sw" --quiet >/dev/null 2>&1 || fail "sweep"
python3 - "$T/sw/results.csv" <<'PY' || fail "sweep columns"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 2 and all(float(r['fio_iops']) > 0 and float(r['fio_clat_p99_ns']) > 0 for r in rows)
PY

# the interaction scenario runs in every mode
"$K" run "$S/workloads/scenarios/fio-polling-interaction.yaml" --set duration=40ms --set warmup=10ms >/dev/null || fail "interaction scenario"

cp "$S/workloads/scenarios/fio-randread.yaml" "$T/bad.yaml"
sed -i 's/iodepth: 1/iodepth: 0/' "$T/bad.yaml"
line=$(grep -n 'iodepth: 0' "$T/bad.yaml" | cut -d: -f1)
"$K" run "$T/bad.yaml" >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -eq 2 ] || fail "iodepth 0: exit $rc"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "iodepth 0: not one line: $(cat "$T/err")"
grep -q "bad.yaml:$line.*vm.fio.iodepth" "$T/err" || fail "iodepth 0: $(cat "$T/err")"

expect_err 2 "kvmsim run: --set vm.fio.iodpth: unknown key (did you mean iodepth?)" -- \
  "$K" run "$S/workloads/scenarios/fio-randread.yaml" --set vm.fio.iodpth=2
expect_err 2 "kvmsim run: --set vm.fio.bs: 1000 bytes: expected a multiple of 512 (whole sectors)" -- \
  "$K" run "$S/workloads/scenarios/fio-randread.yaml" --set vm.fio.bs=1000
expect_err 2 'kvmsim run: --set vm.fio.rw: expected one of randread, randwrite, randrw, got "seqread"' -- \
  "$K" run "$S/workloads/scenarios/fio-randread.yaml" --set vm.fio.rw=seqread
"$K" run "$S/workloads/scenarios/fio-randread.yaml" --set vm.virtio_blk.num_queues=2 >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "vm.virtio_blk.num_queues" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ] || fail "num_queues 2: $(cat "$T/err")"
"$K" run "$S/workloads/scenarios/fio-randread.yaml" --set vm.guest_haltpoll.enabled=false \
  --set vm.virtio_blk.poll_source=true >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "vm.virtio_blk.poll_source" "$T/err" || fail "poll_source without haltpoll: $(cat "$T/err")"
"$K" run "$S/workloads/scenarios/fio-randread.yaml" --set vm.virtio_blk.iothread_pcpu=9 >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "iothread_pcpu" "$T/err" || fail "iothread_pcpu 9: $(cat "$T/err")"

finish io_cli_test
