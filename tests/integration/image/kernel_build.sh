#!/usr/bin/env bash
# The slim guest kernel, built for real from Debian's linux-source (into a
# temporary cache, or checked in scripts/test.sh's image cache): vmlinux is an ELF64 x86-64 file, bzImage has the HdrS
# header with boot protocol >= 2.15, every fragment option stuck, and a
# second build is a cache hit (fast, no make). Takes minutes: label `image`.
#   kernel_build.sh VOIDBOX
set -uo pipefail
voidbox=$1
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
tar=${VOIDBOX_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
[ -f "$tar" ] || skip "$tar missing: install linux-source (scripts/install-deps.sh)"
for t in make gcc bison flex bc jq; do
  command -v $t >/dev/null || skip "$t not installed (scripts/install-deps.sh)"
done
[ -e /usr/include/libelf.h ] || skip "libelf-dev not installed (scripts/install-deps.sh)"

tmp=$(mktemp -d /tmp/vbx-kernel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# scripts/test.sh builds the image once before the suites and names its
# cache in VBX_TEST_IMAGE_CACHE: then the first build here must be a cache
# hit of that cold build; alone, this test builds cold into $tmp.
cache=${VBX_TEST_IMAGE_CACHE:-$tmp}
want_cached=false
[ "$cache" != "$tmp" ] && want_cached=true
jobs=$(nproc)

start=$(date +%s.%N)
"$voidbox" image build --only kernel --cache-dir "$cache" --jobs "$jobs" --output json \
  > "$tmp/cold.json" || fail "cold kernel build failed"
cold=$(echo "$(date +%s.%N) - $start" | bc)
cat "$tmp/cold.json"
[ "$(jq -r .kernel.cached "$tmp/cold.json")" = $want_cached ] ||
  fail "first build in $cache: cached is not $want_cached"
[ "$(jq -r .kernel.unmet_options "$tmp/cold.json")" = 0 ] || fail "fragment options did not stick"

vm="$cache/vmlinux" bz="$cache/bzImage"
[ -L "$vm" ] && [ -L "$bz" ] || fail "cache links missing"
# ELF64 (class 2), little endian, e_machine 62 (x86-64)
[ "$(head -c 4 "$vm" | od -An -c | tr -d ' ')" = "177ELF" ] || fail "vmlinux is not ELF"
[ "$(od -An -tu1 -j4 -N2 "$vm" | tr -s ' ')" = " 2 1" ] || fail "vmlinux is not ELF64 LE"
[ "$(od -An -tu2 -j18 -N2 "$vm" | tr -d ' ')" = 62 ] || fail "vmlinux is not x86-64"
[ "$(dd if="$bz" bs=1 skip=$((0x202)) count=4 2>/dev/null)" = HdrS ] || fail "bzImage has no HdrS"
proto=$(od -An -tu2 -j$((0x206)) -N2 "$bz" | tr -d ' ')
[ "$proto" -ge $((0x020f)) ] || fail "boot protocol $proto < 2.15"
printf 'bzImage boot protocol %d.%d, %d bytes; vmlinux %d bytes; first build %.0f s (cache hit: %s)\n' \
  $((proto >> 8)) $((proto & 255)) "$(stat -L -c %s "$bz")" "$(stat -L -c %s "$vm")" "$cold" \
  "$want_cached"
kdir=$(jq -r .kernel.dir "$tmp/cold.json")
jq -e '.unmet_options == [] and (.bzImage.sha256 | length == 64) and .bzImage.boot_protocol != null' \
  "$kdir/kernel.json" >/dev/null || fail "kernel.json: $(cat "$kdir/kernel.json")"
grep -q '^CONFIG_VIRTIO_MMIO=y' "$kdir/config" || fail "config lacks virtio-mmio"
grep -q '^# CONFIG_PCI is not set' "$kdir/config" || fail "config has PCI"

# second build: cache hit, no make, fast
log_before=$(stat -c %Y "$kdir/build.log")
start=$(date +%s.%N)
"$voidbox" image build --only kernel --cache-dir "$cache" --jobs "$jobs" --output json \
  > "$tmp/warm.json" 2>"$tmp/warm.err" || fail "cached build failed"
warm=$(echo "$(date +%s.%N) - $start" | bc)
[ "$(jq -r .kernel.cached "$tmp/warm.json")" = true ] || fail "second build was not a cache hit"
grep -q "cache hit" "$tmp/warm.err" || fail "no cache-hit line: $(cat "$tmp/warm.err")"
grep -q "make -j" "$tmp/warm.err" && fail "second build ran make: $(cat "$tmp/warm.err")"
[ "$(stat -c %Y "$kdir/build.log")" = "$log_before" ] || fail "build log touched on a cache hit"
[ "$(echo "$warm < 5" | bc)" = 1 ] || fail "cache hit took $warm s"
printf 'cached build %.2f s\n' "$warm"

"$voidbox" image list --output json --cache-dir "$cache" > "$tmp/list.json" || fail "image list"
jq -e '[.kernels[] | select(.current)] | length == 1 and (.[0].bzImage.size > 0)' "$tmp/list.json" \
  >/dev/null || fail "image list: $(cat "$tmp/list.json")"
echo "PASS"
