# tests/integration/proc_tree.sh - sourced by the shell tests that watch the
# processes a voidbox run starts (voidbox may run the pipeline in a worker
# process of its own, so a box's agent or QEMU is a grandchild).

# descendants PID: every process descending from PID, parents first, each
# as "pid:starttime" (field 22 of /proc/PID/stat: a reused pid differs).
descendants() {
  local todo=$1 p k st
  while [ -n "$todo" ]; do
    set -- $todo
    p=$1
    shift
    todo="$*"
    for k in $(pgrep -P "$p"); do
      st=$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$k/stat" 2>/dev/null) || continue
      [ -n "$st" ] && echo "$k:$st"
      todo="$todo $k"
    done
  done
}

# descendant_pids PID PATTERN: the pids of PID's descendants whose command
# name (/proc/PID/comm) matches the shell pattern PATTERN, one per line.
descendant_pids() {
  local d pid
  for d in $(descendants "$1"); do
    pid=${d%%:*}
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
      $2) echo "$pid" ;;
    esac
  done
}
