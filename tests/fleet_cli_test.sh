#!/usr/bin/env bash
# fleet_cli_test.sh - `kvmsim plan` end to end on a one-host platform with a
# tiny VM type (tests/fleet/tiny.yaml, 50 ms per profile): the bisection's
# answer grows with the latency target, a second plan with the same inputs
# runs no simulation, more VMs cost more energy, and bad input exits 2 with
# one line naming the file, line or key.
. "$(dirname "$0")/lib.sh"

one="$S/fleet/platforms/one-host.xml"
tiny="$S/tests/fleet/tiny.yaml"
plan() { "$K" plan --platform "$one" --vm "$tiny" --cache "$T/cache" --no-progress "$@"; }
jq_() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# bad input: one line, exit 2
printf '<?xml version="1.0"?>\n<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">\n<platform version="4.1">\n<zone id="a" routing="Full">\n<host id="x" speed="1Gf" core="2">\n</zone></platform>\n' >"$T/unclosed.xml"
expect_err 2 "kvmsim plan: $T/unclosed.xml: line 6: Invalid XML (XML input line 6, state 75): Unexpected end-tag \`</zone>': \`</host>' expected." -- \
  plan --platform "$T/unclosed.xml" --p99 100us
printf '<?xml version="1.0"?>\n<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">\n<platform version="4.1">\n<zone id="a" routing="Full">\n<host id="x" speed="1Gf" core="2"/>\n</zone></platform>\n' >"$T/nowatt.xml"
expect_err 2 "kvmsim plan: $T/nowatt.xml: host x: no wattage_per_state property (expected Idle:OneCore:AllCores watts per pstate)" -- \
  plan --platform "$T/nowatt.xml" --p99 100us
expect_err 2 "kvmsim plan: $T/none.xml: No such file or directory" -- plan --platform "$T/none.xml" --p99 100us
VIA='(plan gives --set, --policy and --halt-poll-ns to the model as --set)'
expect_err 2 "kvmsim plan: $tiny: --set vm.worklaod: unknown key (did you mean workload?) $VIA" -- \
  plan --p99 100us --set vm.worklaod=1
expect_err 2 "kvmsim plan: $tiny: --set kvm.halt_poll_ns: 5000000000 does not fit the kernel's 32-bit nanoseconds (at most 4294967295) $VIA" -- \
  plan --p99 100us --halt-poll-ns 5000000000
expect_err 2 'kvmsim plan: --placement: expected first-fit, best-fit or latency-aware, got "worst-fit"' -- \
  plan --p99 100us --placement worst-fit
expect_err 2 'kvmsim plan: --p99: missing (the p99 wake-latency target)' -- plan
printf 'arrive,leave,type\n0,10s,tiny\n5s,1s,tiny\n' >"$T/trace.csv"
expect_err 2 "kvmsim plan: $T/trace.csv: line 3: leave: before arrive" -- plan --p99 100us --trace "$T/trace.csv"
printf '0,,huge\n' >"$T/trace2.csv"
expect_err 2 "kvmsim plan: $T/trace2.csv: line 1: type: expected a VM type's name or index 0..0, got \"huge\"" -- \
  plan --p99 100us --trace "$T/trace2.csv"
expect_err 2 'kvmsim plan: --plot: expected a file name ending in .png, got "out.pdf"' -- plan --p99 100us --plot out.pdf
printf 'duration: 20ms\nvms:\n  - {name: a}\n  - {name: b}\n' >"$T/vms.yaml"
expect_err 2 "kvmsim plan: $T/vms.yaml: vms: a VM type is the scenario's vm: template (vm.count=1 gave 2 VMs: a vms: list ignores the count)" -- \
  "$K" plan --platform "$one" --vm "$T/vms.yaml" --p99 1ms --no-cache
"$K" plan --help >"$T/help" || fail "--help exits 0"
grep -q -- '--p99 TIME' "$T/help" || fail "--help names --p99"

# the answer is monotone in the target, and the target matters
prev=-1
for tgt in 2us 20us 150us 1ms 20ms; do
  plan --p99 "$tgt" --no-fleet --json "$T/m-$tgt.json" >/dev/null || fail "plan --p99 $tgt"
  m=$(jq_ "$T/m-$tgt.json" 'j["search"][0]["max_vms"]')
  [ "$m" -ge "$prev" ] || fail "max VMs $m at $tgt below $prev at a tighter target"
  prev=$m
done
lo=$(jq_ "$T/m-2us.json" 'j["search"][0]["max_vms"]')
hi=$(jq_ "$T/m-20ms.json" 'j["search"][0]["max_vms"]')
[ "$lo" -lt "$hi" ] || fail "max VMs the same ($lo) at 2us and 20ms"
# bisection, not a grid: the search bound is 16 (4 cores x 4 vCPUs per core), so at most 1 + 4 profiles
n=$(jq_ "$T/m-150us.json" 'j["search"][0]["simulations"] + j["search"][0]["cached"]')
[ "$n" -le 5 ] || fail "the search asked for $n profiles"

# the cache: the same question again runs no simulation and gives the same answer
rm -rf "$T/cache"
plan --p99 150us --no-fleet --json "$T/c1.json" >/dev/null || fail "first plan"
files=$(ls "$T/cache" | wc -l)
[ "$(jq_ "$T/c1.json" 'j["simulations"]')" -gt 0 ] || fail "the first plan simulated nothing"
plan --p99 150us --no-fleet --json "$T/c2.json" >"$T/c2.out" || fail "second plan"
[ "$(jq_ "$T/c2.json" 'j["simulations"]')" -eq 0 ] || fail "the second plan ran simulations"
grep -q '^simulations: 0 run' "$T/c2.out" || fail "the table does not say no simulation ran"
[ "$(ls "$T/cache" | wc -l)" -eq "$files" ] || fail "the cache grew on a hit"
[ "$(jq_ "$T/c1.json" 'j["search"][0]["max_vms"]')" = "$(jq_ "$T/c2.json" 'j["search"][0]["max_vms"]')" ] ||
  fail "cached answer differs"
# a cache entry out of range (tampered with, or corrupt) is a miss, simulated again: never a crash
for f in "$T"/cache/*; do sed -i 's/"host_cpu": [0-9.e+-]*/"host_cpu": -1.0/' "$f"; done
plan --p99 150us --vms 2 --days 0.01 --json "$T/c4.json" >/dev/null || fail "a tampered cache: exit $?"
[ "$(jq_ "$T/c4.json" 'j["simulations"]')" -gt 0 ] || fail "a tampered cache entry was used"
# SimGrid's reason for a platform it refuses, not a line of its backtrace
sed 's/core="[0-9]*"/core="0"/' "$one" >"$T/zerocore.xml"
"$K" plan --platform "$T/zerocore.xml" --vm "$tiny" --p99 100us --no-cache 2>"$T/zc.err" >/dev/null
[ $? -eq 2 ] && grep -q "zerocore.xml: Host .* must have at least one core, not 0.$" "$T/zc.err" &&
  [ "$(wc -l <"$T/zc.err")" -eq 1 ] || fail "zero cores: $(cat "$T/zc.err")"
# a trace line with a fourth field is refused, not cut short
printf 'arrive,leave,type\n0,3600,0\n5,6,0,x\n' >"$T/four.csv"
expect_err 2 "kvmsim plan: $T/four.csv: line 3: expected arrive,leave,type" -- \
  "$K" plan --platform "$one" --vm "$tiny" --p99 100us --cache "$T/cache" --no-progress --trace "$T/four.csv"
# another setting is another question
plan --p99 150us --no-fleet --json "$T/c3.json" --set vm.workload.rate=1000 >/dev/null || fail "third plan"
[ "$(jq_ "$T/c3.json" 'j["simulations"]')" -gt 0 ] || fail "a changed setting hit the cache"

# energy rises with the VMs on the host; polling costs energy only when the host polls
for n in 1 3; do
  plan --p99 1ms --placement first-fit --vms $n --lifetime 100d --days 0.1 --json "$T/e$n.json" >/dev/null ||
    fail "fleet with $n VMs"
done
python3 - "$T" <<'PY' || fail "fleet figures"
import json, sys
d = sys.argv[1]
e1, e3 = (json.load(open(f"{d}/e{n}.json"))["fleet"][0] for n in (1, 3))
ok = True
def check(c, msg):
    global ok
    if not c:
        print("FAIL:", msg); ok = False
check(e3["energy_kwh"] > e1["energy_kwh"], f"energy {e3['energy_kwh']} with 3 VMs not above {e1['energy_kwh']} with 1")
check(e3["util"] > e1["util"], "utilisation does not rise with the VMs")
check(e1["placed"] == 1 and e3["placed"] == 3 and e3["refused"] == 0, "placements")
h = e3["hosts"][0]
check(abs(h["energy_j"] / 3.6e6 - e3["energy_kwh"]) < 1e-9, "per-host energy does not add up")
# one host at 60 W idle for 0.1 day is 0.144 kWh; at most 140 W
check(0.144 <= e1["energy_kwh"] <= 0.336, f"energy {e1['energy_kwh']} kWh outside the platform's watts")
sys.exit(0 if ok else 1)
PY
plan --p99 1ms --placement first-fit --vms 3 --lifetime 100d --days 0.1 --halt-poll-ns 0 --json "$T/np.json" >/dev/null ||
  fail "fleet without polling"
[ "$(jq_ "$T/np.json" 'j["fleet"][0]["poll_energy_kwh"]')" = "0.0" ] || fail "polling energy without halt polling"
python3 -c "import sys,json; a=json.load(open(sys.argv[1]))['fleet'][0]; b=json.load(open(sys.argv[2]))['fleet'][0]; sys.exit(0 if a['poll_energy_kwh'] > 0 and a['energy_kwh'] > b['energy_kwh'] else 1)" \
  "$T/e3.json" "$T/np.json" || fail "halt polling adds no energy"

# latency-aware never goes past the bisection's answer; first-fit does and says so
plan --p99 150us --vms 12 --lifetime 100d --days 0.05 --json "$T/la.json" >/dev/null || fail "placements"
python3 - "$T/la.json" <<'PY' || fail "latency-aware placement"
import json, sys
j = json.load(open(sys.argv[1]))
m = j["search"][0]["max_vms"]
f = {x["placement"]: x for x in j["fleet"]}
la, ff = f["latency-aware"], f["first-fit"]
ok = la["hosts"][0]["peak_vms"] <= m and la["violations"] == 0 and la["over_vm_hours"] == 0
ok = ok and la["placed"] == m and la["refused"] == 12 - m
ok = ok and ff["placed"] > m and ff["violations"] == ff["placed"] - m and ff["over_vm_hours"] > 0
if not ok:
    print("FAIL: max", m, "latency-aware", la["placed"], la["violations"], "first-fit", ff["placed"], ff["violations"])
sys.exit(0 if ok else 1)
PY
# a trace: its VMs are placed when it says and VM-hours add up exactly (0.01 day = 864 s)
printf '# arrive,leave,type\narrive,leave,type\n0,,tiny\n0s,10s,0\n100s,,tiny\n900s,,tiny\n' >"$T/ok.csv"
plan --p99 1ms --placement first-fit --days 0.01 --trace "$T/ok.csv" --json "$T/tr.json" >/dev/null || fail "plan --trace"
python3 - "$T/tr.json" <<'PY' || fail "trace figures"
import json, sys
f = json.load(open(sys.argv[1]))["fleet"][0]
want = (864 + 10 + 764) / 3600
ok = f["arrived"] == 3 and f["placed"] == 3 and abs(f["hosts"][0]["vm_hours"] - want) < 1e-9
if not ok:
    print("FAIL: arrived", f["arrived"], "placed", f["placed"], "VM-hours", f["hosts"][0]["vm_hours"], "expected", want)
sys.exit(0 if ok else 1)
PY

# two host sizes: a search per core count, and latency-aware keeps each host within its own answer
cat >"$T/two.xml" <<'XML'
<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <zone id="z" routing="Full">
    <host id="a" speed="1Gf" core="2"><prop id="wattage_per_state" value="50:60:100"/></host>
    <host id="b" speed="1Gf" core="6"><prop id="wattage_per_state" value="80:90:200"/></host>
  </zone>
</platform>
XML
plan --platform "$T/two.xml" --p99 150us --placement latency-aware --vms 30 --lifetime 100d --days 0.01 \
  --json "$T/two.json" >/dev/null || fail "two host sizes"
python3 - "$T/two.json" <<'PY' || fail "two host sizes: figures"
import json, sys
j = json.load(open(sys.argv[1]))
m = {s["cores"]: s["max_vms"] for s in j["search"]}
f = j["fleet"][0]
h = {x["name"]: x for x in f["hosts"]}
ok = sorted(m) == [2, 6] and m[2] < m[6]
ok = ok and h["a"]["peak_vms"] == m[2] and h["b"]["peak_vms"] == m[6] and f["placed"] == m[2] + m[6]
if not ok:
    print("FAIL: answers", m, "peaks", {n: x["peak_vms"] for n, x in h.items()}, "placed", f["placed"])
sys.exit(0 if ok else 1)
PY

# outputs: the plot (PNG and SVG) from the JSON; an unwritable output fails with 1
plan --p99 150us --vms 2 --days 0.01 --plot "$T/plot.png" >/dev/null || fail "plan --plot"
[ -s "$T/plot.png" ] && [ -s "$T/plot.svg" ] || fail "no plot"
plan --p99 150us --vms 2 --days 0.01 --json "$T/none/x.json" >/dev/null 2>&1
[ $? -eq 1 ] || fail "an unwritable --json did not exit 1"
finish fleet_cli_test
