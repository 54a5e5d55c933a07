# traces/probe/tracefs.sh - sourced by idle-window.sh and switch-window.sh: a tracefs
# instance of the script's own, so that other tracing on the machine is left alone.
#
# tracefs_open WHO NAME BUFFER_KB EVENT...: sets T (tracefs), I (the instance
#   $T/instances/NAME-PID, tracing off, the mono clock, EVENT... as group/event enabled)
#   and tmp (a scratch directory), and a trap that undoes them on exit (a script with
#   more to undo sets its own trap and calls tracefs_close in it). Exits 2, saying so as
#   WHO, when an event or the instance cannot be had (root, tracefs and kvm needed).
# tracefs_close: tracing off, the instance and the scratch directory removed.
tracefs_open() {
  local who=$1 name=$2 kb=$3 e
  shift 3
  T=/sys/kernel/tracing
  [ -d "$T/instances" ] || T=/sys/kernel/debug/tracing
  for e in "$@"; do
    [ -d "$T/events/$e" ] || { echo "$who: no tracefs event $e here (root, tracefs and kvm needed)" >&2; exit 2; }
  done
  I="$T/instances/$name-$$"
  mkdir "$I" 2>/dev/null || { echo "$who: cannot create a tracefs instance in $T/instances (root needed)" >&2; exit 2; }
  tmp=$(mktemp -d) || { rmdir "$I"; exit 1; }
  trap tracefs_close EXIT
  echo 0 > "$I/tracing_on"
  echo "$kb" > "$I/buffer_size_kb"
  echo mono > "$I/trace_clock" # one clock for all CPUs: an MSI and a switch are on different ones
  for e in "$@"; do echo "${e%%/*}:${e#*/}" >> "$I/set_event"; done
}

tracefs_close() {
  echo 0 > "$I/tracing_on" 2>/dev/null
  rmdir "$I" 2>/dev/null
  rm -rf "$tmp"
}
