#!/usr/bin/env bash
# bench_fleet.sh - what a `kvmsim plan` fleet simulation costs on SimGrid as the
# fleet grows in hosts and in simulated days (10 VMs per host at the start,
# kept steady by Poisson arrivals with 1-day exponential lifetimes; the mix
# of fleet/vms/web.yaml and batch.yaml, 3:1, unpinned; first-fit, so one
# fleet simulation per row). Profiles are cached
# before timing, so the figures are the fleet simulation alone: the wall
# clock of the whole command and of SimGrid's child process.
#
#   bench/bench_fleet.sh [BUILD_DIR]      (default: build)
set -eu
S=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$S/build}
K="$B/kvmsim"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
platform() { # platform N: the 1000-host cluster cut to N hosts
  sed "s/radical=\"0-999\"/radical=\"0-$(($1 - 1))\"/" "$S/fleet/platforms/cluster-1000.xml" >"$T/c$1.xml"
  echo "$T/c$1.xml"
}
run() { # run HOSTS DAYS
  local p; p=$(platform "$1")
  local t0 t1
  t0=$(date +%s.%N)
  "$K" plan --platform "$p" --vm "$S/fleet/vms/web.yaml:3" --vm "$S/fleet/vms/batch.yaml:1" --unpinned --p99 50us --cache "$T/cache" --no-progress --placement first-fit \
    --vms $(($1 * 10)) --days "$2" --json "$T/out.json" >/dev/null
  t1=$(date +%s.%N)
  python3 - "$T/out.json" "$1" "$2" "$t0" "$t1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
f = j["fleet"][0]
print(f"{sys.argv[2]:>6} {float(sys.argv[3]):>5g} {f['arrived']:>9} {float(sys.argv[5]) - float(sys.argv[4]):>9.2f} "
      f"{f['wall_s']:>10.2f} {f['energy_kwh']:>11.1f}")
PY
}
run 250 0.01 >/dev/null # fill the profile cache
echo "kvmsim plan fleet simulation cost ($(nproc) CPUs; profiles cached)"
printf "%6s %5s %9s %9s %10s %11s\n" hosts days VMs "plan (s)" "SimGrid (s)" "energy kWh"
for h in 250 500 1000; do run "$h" 1; done
for d in 2 4; do run 1000 "$d"; done
