#!/usr/bin/env bash
# Run the benchmarks and gather their headline figures into one markdown
# table: each benchmark prints its human output and one tab-separated BENCH
# line per figure (tests/bench/bench_report.h); this script shows the human
# output as it comes and writes the table to stdout and to a file.
# docs/performance.md says what each figure measures and against what.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

usage() {
  cat <<'EOF'
usage: scripts/bench.sh [--no-build] [--out FILE] [BENCH...]

Builds (scripts/build.sh build) unless --no-build, runs every
build/tests/bench/bench_* (or the BENCH names given: bench_local or local),
shows their output, and writes one markdown table of their BENCH figures
(figure | ours | peer | peer value | ratio (ours/peer) | goal | met) with the
machine, date and commit, to stdout and to FILE (default build/bench.md).
A benchmark that skips (exit 77), fails or prints no figure has a row saying
so. Each benchmark is stopped after BENCH_TIMEOUT seconds (default 1800).

exit: 0 when every benchmark ran or skipped (goals not met included),
1 when one failed or the build failed, 2 on a usage error.
EOF
}

build=1
out=build/bench.md
names=()
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) build=0 ;;
    --out)
      [ $# -ge 2 ] || { usage >&2; exit 2; }
      out=$2
      shift
      ;;
    --out=*) out=${1#--out=} ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) names+=("$1") ;;
  esac
  shift
done

if [ "$build" = 1 ] && ! scripts/build.sh build; then
  echo "bench: build failed"
  exit 1
fi

benches=()
if [ ${#names[@]} -eq 0 ]; then
  for b in build/tests/bench/bench_*; do
    [ -f "$b" ] && [ -x "$b" ] && benches+=("$b")
  done
else
  for n in "${names[@]}"; do
    n=${n##*/}
    benches+=("build/tests/bench/bench_${n#bench_}")
  done
fi
if [ ${#benches[@]} -eq 0 ]; then
  echo "bench: no benchmark under build/tests/bench (build first, or drop --no-build)" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rows=$tmp/rows # BENCH<TAB>fields... or STATUS<TAB>bench<TAB>text, in order
: >"$rows"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
date_start=$(date -u '+%Y-%m-%d %H:%M UTC')
stdbuf=()
command -v stdbuf >/dev/null && stdbuf=(stdbuf -oL)
failed=0

for b in "${benches[@]}"; do
  name=${b##*/}
  echo "=== $name"
  if [ ! -x "$b" ]; then
    echo "bench: $b is not built"
    printf 'STATUS\t%s\tfailed: not built\n' "$name" >>"$rows"
    failed=1
    continue
  fi
  t0=$SECONDS
  timeout -k 10 "${BENCH_TIMEOUT:-1800}" "${stdbuf[@]}" "$b" 2>&1 | tee "$tmp/log" |
    awk '!/^BENCH\t/ { print; fflush() }'
  rc=${PIPESTATUS[0]}
  echo "=== $name: exit $rc ($((SECONDS - t0)) s)"
  awk -F'\t' '$1 == "BENCH" && NF == 7' "$tmp/log" >>"$rows"
  nfig=$(awk -F'\t' '$1 == "BENCH" && NF == 7' "$tmp/log" | wc -l)
  # "SKIP: why" (exit 77), or "bench_x: skipped: why" (exit 0, older benches)
  why=$(grep -m1 -E '^SKIP|: skipped' "$tmp/log" | sed -E 's/^SKIP:? *//; s/^[^ ]*: skipped:? *//' |
    tr '\t' ' ' | cut -c1-160)
  last=$(grep -v -E '^BENCH' "$tmp/log" | tail -n1 | tr '\t' ' ' | cut -c1-160)
  [ "$rc" -gt 128 ] && [ "$rc" -ne 137 ] && last="killed by signal $((rc - 128))${last:+; $last}"
  case $rc in
    0)
      if [ "$nfig" -eq 0 ] && [ -n "$why" ]; then
        printf 'STATUS\t%s\tskipped: %s\n' "$name" "$why" >>"$rows"
      elif [ "$nfig" -eq 0 ]; then
        printf 'STATUS\t%s\tran; no BENCH line (figures in its output only)\n' "$name" >>"$rows"
      fi
      ;;
    77) printf 'STATUS\t%s\tskipped: %s\n' "$name" "${why:-$last}" >>"$rows" ;;
    124)
      printf 'STATUS\t%s\tfailed: timed out after %s s\n' "$name" "${BENCH_TIMEOUT:-1800}" >>"$rows"
      failed=1
      ;;
    *)
      printf 'STATUS\t%s\tfailed (exit %s): %s\n' "$name" "$rc" "$last" >>"$rows"
      failed=1
      ;;
  esac
done

# The header: the machine the figures come from.
cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
if [ -e /dev/kvm ]; then
  kvm="/dev/kvm present"
  [ -r /dev/kvm ] && [ -w /dev/kvm ] && kvm="$kvm (read/write)"
else
  kvm="no /dev/kvm"
fi
flags=$(grep -m1 -ow -E 'vmx|svm' /proc/cpuinfo)
if [ -n "$flags" ]; then
  kvm="$kvm; CPU flag $flags"
else
  kvm="$kvm; no vmx/svm CPU flag"
  [ -e /dev/kvm ] && kvm="$kvm (a /dev/kvm without them may be PVM: \`voidbox doctor\` tells)"
fi
grep -qw hypervisor /proc/cpuinfo && kvm="$kvm; running under a hypervisor"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
branch=$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
dirty=""
[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && dirty=", with uncommitted changes"

mkdir -p "$(dirname "$out")"
{
  echo "# voidbox benchmarks"
  echo
  echo "- date: $date_start; commit $commit (branch $branch$dirty)"
  echo "- machine: $cpu, $(nproc) cores, $mem, kernel $(uname -r)"
  echo "- KVM: $kvm"
  echo "- load average (1/5/15 min) at start: $load_start; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- benchmarks: ${benches[*]##*/}"
  echo
  awk -F'\t' '
    function num(s) { return s ~ /^-?[0-9]+(\.[0-9]+)?$/ }
    function fmt(x, a) {
      a = x < 0 ? -x : x
      if (a >= 1000) return sprintf("%.0f", x)
      if (a >= 100) return sprintf("%.1f", x)
      if (a >= 10) return sprintf("%.2f", x)
      return sprintf("%.3f", x)
    }
    function esc(s) { gsub(/\|/, "\\|", s); return s }
    function holds(x, op, lim) {
      if (op == "<=") return x <= lim
      if (op == ">=") return x >= lim
      if (op == "<") return x < lim
      return x > lim
    }
    BEGIN {
      print "| figure | ours | peer | peer value | ratio (ours/peer) | goal | met |"
      print "|---|---|---|---|---|---|---|"
    }
    $1 == "STATUS" {
      printf "| %s | %s | - | - | - | - | - |\n", esc($2), esc($3)
      next
    }
    {
      fig = $2; ours = $3; unit = $4; peer = $5; pv = $6; goal = $7
      ratio = "-"
      if (num(ours) && num(pv) && pv + 0 != 0) ratio = fmt(ours / pv)
      met = "-"
      if (match(goal, /^(ratio|value)(<=|>=|<|>)-?[0-9.]+$/)) {
        kind = substr(goal, 1, 5)
        rest = substr(goal, 6)
        op = substr(rest, 1, 2) ~ /^(<=|>=)$/ ? substr(rest, 1, 2) : substr(rest, 1, 1)
        lim = substr(rest, length(op) + 1) + 0
        if (kind == "ratio" && ratio != "-") met = holds(ours / pv, op, lim) ? "yes" : "no"
        if (kind == "value" && num(ours)) met = holds(ours + 0, op, lim) ? "yes" : "no"
      }
      if (met == "yes") yes++
      if (met == "no") no++
      if (goal != "-" && met == "-") open++
      printf "| %s | %s %s | %s | %s | %s | %s | %s |\n", esc(fig), num(ours) ? fmt(ours) : ours,
             unit, esc(peer), num(pv) ? fmt(pv) " " unit : "-", ratio, esc(goal), met
    }
    END {
      printf "\nGoals met: %d of %d", yes, yes + no + open
      if (open) printf " (%d without the peer figure to judge)", open
      print "."
    }' "$rows"
} >"$tmp/table"
cp "$tmp/table" "$out"
echo
cat "$out"
echo
echo "bench: table written to $out"
exit "$failed"
