#!/usr/bin/env bash
# Fault injection: SIGKILL at random points of many `voidbox run`s, then
# prove that nothing of those runs is left and that each run ended as
# specified.
#
#   fault_injection.sh MODE VOIDBOX CHECK_REPORT
#
#   MODE           victim                    a run ends with
#   local-voidbox  voidbox (the CLI parent)  137, or 0 with an ok report
#   local-agent    the local guest agent     1 with the box FAILED "guest agent
#                                            was killed by signal 9", or 0 (ok)
#   qemu-voidbox   voidbox                   137, or 0 with an ok report
#   qemu-qemu      QEMU                      1 with the box FAILED "QEMU was
#                                            killed by signal 9", or 0 (ok)
#
# The first run of each mode is not killed: it must pass, and its duration
# T sets the range of kill points (uniform over the run: 0 .. 1.2 T after
# the start for voidbox, 0 .. T after the victim appeared otherwise).
#
# After every run: no process of it remains (every descendant seen before
# the kill is gone within 5 s, and its cgroups hold no task), no mount and
# no Unix socket names its directories. When voidbox itself was killed the
# next start sweeps what nobody could remove (`voidbox validate` loads the
# backend), so that is checked after it; otherwise voidbox removed its box
# itself and nothing may be left at once: no box directory, no registry
# entry, no cgroup.
#
# Environment: VBX_FAULT_RUNS (killed runs, default 50), VBX_FAULT_SEED
# (the kill points; printed, so a failure can be replayed).
set -uo pipefail
MODE=$1 VBX=$2 CHECK=$3
RUNS=${VBX_FAULT_RUNS:-50}
SEED=${VBX_FAULT_SEED:-$(($(date +%s) % 32768))}
RANDOM=$SEED
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL (mode $MODE, seed $SEED, run ${run:-calibration}): $*"; exit 1; }

case $MODE in
  local-*) BACKEND=local ;;
  qemu-*) BACKEND=qemu ;;
  *) echo "usage: fault_injection.sh local-voidbox|local-agent|qemu-voidbox|qemu-qemu VOIDBOX CHECK_REPORT" >&2
     exit 2 ;;
esac
VICTIM=${MODE#*-}

command -v jq >/dev/null || skip "jq not installed (scripts/install-deps.sh)"
if [ "$BACKEND" = local ]; then
  [ "$(id -u)" = 0 ] || skip "the local backend needs root"
  REGISTRY=/run/voidbox-local/boxes
else
  [ -n "${VBX_TEST_IMAGE_CACHE:-}" ] && export VOIDBOX_CACHE_DIR=$VBX_TEST_IMAGE_CACHE
  doc=$("$VBX" doctor --output json) || fail "voidbox doctor failed"
  for cap in qemu guest_kernel guest_initramfs; do
    [ "$(jq -r ".capabilities.$cap.available" <<<"$doc")" = true ] ||
      skip "voidbox doctor: $cap: $(jq -r ".capabilities.$cap.reason" <<<"$doc")"
  done
  REGISTRY=
fi

T=$(mktemp -d /tmp/vbx-faults.XXXXXX)
export TMPDIR=$T/work # the backends make their box directories here
mkdir -p "$TMPDIR"
trap 'rm -rf "$T"' EXIT

# A box that runs three short commands, then answers.
cat >"$T/script.yaml" <<'EOF'
model: mock-faults
turns:
  - tool_calls: [{name: bash, input: {command: "echo one; sleep 0.2"}}]
  - tool_calls: [{name: bash, input: {command: "echo two > /tmp/two; sleep 0.2"}}]
  - tool_calls: [{name: bash, input: {command: "cat /tmp/two; sleep 0.2"}}]
  - text: "done"
EOF
cat >"$T/spec.yaml" <<EOF
api_version: v1
kind: agent
name: faultinj
sandbox: {backend: $BACKEND, network: false}
llm: {provider: mock, script: script.yaml}
agent: {prompt: Work.}
EOF

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# sleep_ms N
sleep_ms() { sleep "$(awk -v n="$1" 'BEGIN { printf "%.3f", n / 1000 }')"; }
# rand_ms MAX: uniform 0..MAX
rand_ms() { echo $(((RANDOM * 32768 + RANDOM) % ($1 + 1))); }

# descendants PID: "pid:starttime" of each process descending from PID.
. "$(dirname "$0")/../proc_tree.sh"
# 0 when pid:starttime $1 is still that process and not a zombie
alive() {
  local pid=${1%%:*} st=${1#*:} s
  s=$(awk '{ sub(/.*\) /, ""); print $1 " " $20 }' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ -n "$s" ] && [ "${s#* }" = "$st" ] && [ "${s%% *}" != Z ]
}
# The first descendant of $1 whose command line matches $2, as a pid.
find_victim() {
  local d pid
  for d in $(descendants "$1"); do
    pid=${d%%:*}
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq "$2" && { echo "$pid"; return 0; }
  done
  return 1
}
# Every local cgroup directory of a worker pid in the list $1.
local_cgroups() {
  local d pid
  for d in $1; do
    pid=${d%%:*}
    ls -d /sys/fs/cgroup/*/voidbox-local/o"$pid"-* /sys/fs/cgroup/voidbox-local/o"$pid"-* 2>/dev/null
  done
}

# no_process_left PROCS: every process of the list ends within 5 s and the
# cgroups of the run hold no task (a process forked after the list was
# taken is in them).
no_process_left() {
  local d left deadline=$(($(now_ms) + 5000)) cg
  while :; do
    left=
    for d in $1; do alive "$d" && left="$left ${d%%:*}"; done
    for cg in $(local_cgroups "$1"); do
      for f in $(find "$cg" -name tasks -o -name cgroup.procs 2>/dev/null); do
        [ -s "$f" ] && left="$left $(tr '\n' ' ' <"$f")"
      done
    done
    [ -z "$left" ] && return 0
    [ "$(now_ms)" -gt "$deadline" ] && {
      ps -o pid,ppid,stat,args -p "$(tr ' ' ',' <<<"${left# }")" 2>/dev/null
      fail "process(es)$left still running 5 s after the kill"
    }
    sleep 0.02
  done
}
# Mounts are gone as soon as the processes are; a Unix socket within 2 s
# (the kernel frees one that a killed process's descriptor-passing message
# still references only when its garbage collector runs).
no_mount_or_socket_left() {
  grep -q "$T" /proc/self/mountinfo && fail "a mount names $T: $(grep "$T" /proc/self/mountinfo | head -3)"
  local deadline=$(($(now_ms) + 2000))
  while grep -q "$T" /proc/net/unix; do
    [ "$(now_ms)" -gt "$deadline" ] && { fail "a Unix socket names $T 2 s after its processes ended: $(grep "$T" /proc/net/unix | head -3)"; break; }
    sleep 0.02
  done
  return 0
}
# Box directories, registry entries and cgroups of the run.
no_box_left() {
  local left
  left=$(ls -A "$TMPDIR")
  [ -z "$left" ] || fail "left in the work root: $left"
  if [ -n "$REGISTRY" ] && [ -d "$REGISTRY" ]; then
    left=$(ls -A "$REGISTRY" | grep -- "-faultinj-" | while read -r e; do
      grep -q "$T" "$REGISTRY/$e" 2>/dev/null && echo "$e"
      [ -e "$TMPDIR/${e}" ] && echo "$e"
    done)
    [ -z "$left" ] || fail "registry entries left: $left"
  fi
  left=$(local_cgroups "$1")
  [ -z "$left" ] || fail "cgroups left: $left"
  return 0
}
sweep() {
  "$VBX" validate --file "$T/spec.yaml" >"$T/sweep.log" 2>&1 ||
    fail "voidbox validate (the next start) failed: $(tail -5 "$T/sweep.log")"
}

# check_ended RC: the run's exit code and report are as specified.
check_ended() {
  local rc=$1 status err
  if [ "$rc" = 0 ]; then
    "$CHECK" "$T/out.json" --status ok >"$T/check.log" 2>&1 ||
      fail "exit 0 but the report is not ok: $(cat "$T/check.log")"
    jq -e '.stages[0].boxes[0].output == "done"' "$T/out.json" >/dev/null ||
      fail "exit 0 without the box's answer: $(head -c 800 "$T/out.json")"
    finished=$((finished + 1))
    return
  fi
  case $VICTIM in
    voidbox)
      [ "$rc" = 137 ] || fail "voidbox killed by SIGKILL exited $rc: $(tail -3 "$T/err")"
      killed=$((killed + 1))
      ;;
    agent | qemu)
      [ "$rc" = 1 ] || fail "exit $rc, expected 1: $(tail -5 "$T/err")"
      "$CHECK" "$T/out.json" --status failed >"$T/check.log" 2>&1 ||
        fail "the report is not a valid failed one: $(cat "$T/check.log")"
      status=$(jq -r '.stages[0].boxes[0].status' "$T/out.json")
      err=$(jq -r '.stages[0].boxes[0].error' "$T/out.json")
      [ "$status" = failed ] || fail "box status '$status', expected failed ($err)"
      if [ "$VICTIM" = agent ]; then
        grep -q "guest agent was killed by signal 9" <<<"$err" || fail "box error: $err"
      else
        grep -q "QEMU was killed by signal 9" <<<"$err" || fail "box error: $err"
      fi
      killed=$((killed + 1))
      ;;
  esac
}

# ---- calibration: one run, not killed ----------------------------------
t0=$(now_ms)
"$VBX" run --file "$T/spec.yaml" --output json >"$T/out.json" 2>"$T/err"
rc=$?
DUR=$(($(now_ms) - t0))
[ "$rc" = 0 ] || fail "the run without a fault exited $rc: $(tail -5 "$T/err")"
finished=0 killed=0
check_ended 0
no_box_left ""
echo "calibration: one run takes $DUR ms; $RUNS runs, seed $SEED"
finished=0

# ---- the killed runs ----------------------------------------------------
case $VICTIM in
  agent) PATTERN='^voidbox-guest-agent ' ;;
  qemu) PATTERN='^qemu-system' ;;
esac
swept=0 t_start=$(now_ms)
for run in $(seq 1 "$RUNS"); do
  : >"$T/out.json"
  "$VBX" run --file "$T/spec.yaml" --output json >"$T/out.json" 2>"$T/err" &
  pid=$!
  if [ "$VICTIM" = voidbox ]; then
    sleep_ms "$(rand_ms $((DUR * 12 / 10)))"
    procs=$(descendants $pid)
    target=$pid
  else
    target=
    deadline=$(($(now_ms) + DUR * 3 + 10000))
    while [ -z "$target" ] && kill -0 $pid 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do
      target=$(find_victim $pid "$PATTERN") || sleep 0.005
    done
    [ -n "$target" ] || { wait $pid; fail "no $VICTIM process appeared (exit $?): $(tail -3 "$T/err")"; }
    sleep_ms "$(rand_ms "$DUR")"
    procs=$(descendants $pid)
  fi
  kill -9 "$target" 2>/dev/null
  wait $pid
  rc=$?
  check_ended $rc
  no_process_left "$procs"
  no_mount_or_socket_left
  if [ "$VICTIM" = voidbox ] && [ "$rc" != 0 ]; then
    sweep
    swept=$((swept + 1))
  fi
  no_box_left "$procs"
done
secs=$((($(now_ms) - t_start) / 1000))
echo "PASS: $RUNS runs with $VICTIM SIGKILLed at random points (seed $SEED) in $secs s:" \
  "$killed ended by the kill as specified, $finished finished first;" \
  "nothing left after any run ($swept swept by the next start)"
