#!/usr/bin/env bash
# sweep_units_test.sh - swept values with units are numbers in the results
# (issue 9): `--range vm.halt_poll_ns=0:400us:50us` must sort 50us before
# 400us in SQLite and in the CSV, in the key's base unit (ps for times, Hz
# for rates), with the value as written kept in KEY:text, and the unit of
# each key in results.db's units table. A value that is no number (a
# distribution, a name) stays text.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
"$K" sweep --range vm.halt_poll_ns=0:400us:50us --grid vm.workload.rate=1kHz,500 \
  --grid 'vm.workload.work=20us,30,{dist: exponential, mean: 5us}' --grid vm.policy=kvm,none \
  --duration 1ms -q -o u || fail "sweep exited $?"
DB=u/results.db
[ "$(sqlite3 $DB 'SELECT group_concat(v, " ") FROM (SELECT DISTINCT "vm.halt_poll_ns" AS v FROM points ORDER BY v)')" = \
  "0 50000000 100000000 150000000 200000000 250000000 300000000 350000000 400000000" ] \
  || fail "ORDER BY halt_poll_ns: $(sqlite3 $DB 'SELECT group_concat(v, " ") FROM (SELECT DISTINCT "vm.halt_poll_ns" AS v FROM points ORDER BY v)')"
[ "$(sqlite3 $DB 'SELECT group_concat(t, " ") FROM (SELECT DISTINCT "vm.halt_poll_ns", "vm.halt_poll_ns:text" AS t FROM runs ORDER BY 1)')" = \
  "0us 50us 100us 150us 200us 250us 300us 350us 400us" ] || fail "written form of halt_poll_ns"
[ "$(sqlite3 $DB 'SELECT DISTINCT typeof("vm.halt_poll_ns") FROM runs')" = integer ] || fail "halt_poll_ns is not stored as integers"
[ "$(sqlite3 $DB 'SELECT group_concat(v, " ") FROM (SELECT DISTINCT "vm.workload.rate" AS v FROM runs ORDER BY v)')" = "500 1000" ] \
  || fail "rates in Hz"
# a bare number takes the key's bare unit (us for work): 30 is 30us
[ "$(sqlite3 $DB 'SELECT group_concat(v, "|") FROM (SELECT DISTINCT "vm.workload.work" AS v FROM runs ORDER BY v)')" = \
  "20000000|30000000|{dist: exponential, mean: 5us}" ] || fail "work: $(sqlite3 $DB 'SELECT DISTINCT "vm.workload.work" FROM runs')"
[ "$(sqlite3 $DB 'SELECT group_concat(key || "=" || ifnull(unit, "NULL"), " ") FROM units')" = \
  "vm.halt_poll_ns=ps vm.workload.rate=Hz vm.workload.work=ps vm.policy=NULL" ] \
  || fail "units table: $(sqlite3 $DB 'SELECT * FROM units')"
# the CSV: the same numbers, the text at the end
/usr/bin/python3 - <<'EOF2' || fail "CSV columns"
import csv
rows = list(csv.DictReader(open("u/results.csv")))
assert sorted({int(r["vm.halt_poll_ns"]) for r in rows})[:3] == [0, 50000000, 100000000]
r = [r for r in rows if r["vm.halt_poll_ns:text"] == "50us"][0]
assert r["vm.halt_poll_ns"] == "50000000" and r["vm.policy"] == r["vm.policy:text"] in ("kvm", "none"), r
head = next(csv.reader(open("u/points.csv")))
assert head[-4:] == ["vm.halt_poll_ns:text", "vm.workload.rate:text", "vm.workload.work:text", "vm.policy:text"], head
p = list(csv.DictReader(open("u/points.csv")))
assert {x["vm.workload.rate"] for x in p} == {"1000", "500"}
EOF2
# list items and vms entries are found under their documented names
"$K" sweep --grid host.tasks.0.load.period=1ms,500us --grid vms.0.halt_poll_ns=10us \
  --set 'host.tasks=[{name: t, load: {type: periodic}}]' --set 'vms=[{name: a}]' --duration 1ms -q -o l \
  || fail "list-key sweep exited $?"
[ "$(sqlite3 l/results.db 'SELECT group_concat(key || "=" || unit, " ") FROM units')" = \
  "host.tasks.0.load.period=ps vms.0.halt_poll_ns=ps" ] || fail "list keys' units: $(sqlite3 l/results.db 'SELECT * FROM units')"
[ "$(sqlite3 l/results.db 'SELECT group_concat("host.tasks.0.load.period", " ") FROM runs')" = "1000000000 500000000" ] \
  || fail "list key values"
finish sweep_units_test
