# tests/lib.sh - what every shell test of kvmsim starts with (sourced, bash).
#   B the build directory (KVMSIM_BUILD), S the source tree (KVMSIM_SRC),
#   K the kvmsim binary, T a scratch directory removed on exit;
#   fail MSG            count a failure and say what it was
#   expect_err RC MSG -- CMD...   CMD must exit RC with exactly MSG on stderr
#   run_body JSON       a run's vCPUs and pCPUs, keys sorted (two runs compared by it)
#   finish NAME         end the test: exit 1 if anything failed
set -u
B=${KVMSIM_BUILD:?}
S=${KVMSIM_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
K="$B/kvmsim"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

expect_err() {
  local rc=$1 msg=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"; local got=$?
  [ "$got" -eq "$rc" ] || { fail "$* exited $got, expected $rc ($(cat "$T/err"))"; return; }
  [ "$(cat "$T/err")" = "$msg" ] || fail "$*: stderr was '$(cat "$T/err")', expected '$msg'"
}

run_body() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d["vcpus"], sort_keys=True)); print(json.dumps(d["pcpus"], sort_keys=True))' "$1"; }

finish() {
  if [ "$fails" -eq 0 ]; then echo "$1: all passed"; else echo "$1: $fails failed"; exit 1; fi
}
