#!/usr/bin/env bash
# Build the initramfs twice into two fresh caches (and once more into the
# first) and check: identical sha256 and bytes, the manifest agrees with the
# file, the archive unpacks with GNU cpio to the expected tree with mtime 0
# and owner root, and /init is the agent byte for byte.
#   initramfs_repro.sh VOIDBOX AGENT
set -uo pipefail
voidbox=$1 agent=$2
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ -f "$agent" ] || skip "guest agent binary $agent not built (voidbox-guest-agent target under guest/agent)"
if readelf -l "$agent" 2>/dev/null | grep -q "Requesting program interpreter"; then
  skip "guest agent $agent is dynamically linked (sanitizer builds cannot link it statically); /init must be static"
fi
[ -x /bin/busybox ] || skip "/bin/busybox missing: install busybox-static (scripts/install-deps.sh)"
command -v jq >/dev/null || skip "jq not installed (scripts/install-deps.sh)"
command -v cpio >/dev/null || skip "GNU cpio not installed (scripts/install-deps.sh)"

tmp=$(mktemp -d /tmp/vbx-image-repro.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

build() { # CACHE -> prints sha
  "$voidbox" image build --only initramfs --quiet --output json --cache-dir "$1" --agent "$agent" \
    > "$tmp/out.json" || fail "image build into $1 failed"
  jq -r .initramfs.sha256 "$tmp/out.json"
}
a=$(build "$tmp/a") b=$(build "$tmp/b")
[ ${#a} -eq 64 ] || fail "no sha256 in output: $(cat "$tmp/out.json")"
[ "$a" = "$b" ] || fail "two builds differ: $a vs $b"
a2=$(build "$tmp/a")
[ "$a" = "$a2" ] || fail "rebuild in the same cache differs: $a vs $a2"
echo "initramfs sha256 $a (3 builds)"

f="$tmp/a/initramfs.cpio"
[ -L "$f" ] || fail "$f is not a link to the current build"
cmp "$f" "$tmp/b/initramfs.cpio" || fail "archives differ byte-wise"
[ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$a" ] || fail "printed sha256 is not the file's"
m="$tmp/a/initramfs.manifest.json"
[ "$(jq -r .initramfs.sha256 "$m")" = "$a" ] || fail "manifest sha256 mismatch"
[ "$(jq -r .initramfs.size "$m")" = "$(stat -L -c %s "$f")" ] || fail "manifest size mismatch"
[ "$(jq -r '.files | length' "$m")" = "$(jq -r .initramfs.entries "$m")" ] || fail "entry count"
[ "$(jq -r '.files[] | select(.path == "/init") | .sha256' "$m")" = \
  "$(sha256sum < "$agent" | cut -d' ' -f1)" ] || fail "manifest /init digest is not the agent's"
cmp "$m" "$tmp/b/initramfs.manifest.json" || fail "manifests differ"

# GNU cpio reads it back: names, owner, mtime.
cpio -itv --quiet < "$f" > "$tmp/list" 2>"$tmp/cpio.err" || fail "cpio -t: $(cat "$tmp/cpio.err")"
for want in init bin/busybox bin/sh bin/ls bin/cat bin/echo usr/bin/wc dev/console \
            etc/passwd etc/group etc/ssl/certs/ca-certificates.crt home/sandbox tmp proc sys; do
  grep -qE " ${want}( ->|$)" "$tmp/list" || fail "archive lacks $want"
done
grep -q "Jan  1  1970" "$tmp/list" || fail "mtimes are not 0: $(head -3 "$tmp/list")"
grep -v "Jan  1  1970" "$tmp/list" | grep . && fail "some entry has a non-zero mtime"
awk '$3 != "root" && $0 !~ / home\/sandbox$/ {print; bad=1} END {exit bad}' "$tmp/list" \
  || fail "entries not owned by root (above)"
mkdir "$tmp/x"
(cd "$tmp/x" && cpio -id --quiet --no-absolute-filenames < "$f" 2>"$tmp/cpio.err") \
  || fail "cpio -i: $(cat "$tmp/cpio.err")"
cmp "$tmp/x/init" "$agent" || fail "/init is not the agent"
[ -x "$tmp/x/init" ] || fail "/init not executable"
[ "$(readlink "$tmp/x/bin/sh")" = /bin/busybox ] || fail "bin/sh does not link to busybox"
grep -q '^sandbox:x:1000:1000:' "$tmp/x/etc/passwd" || fail "no unprivileged user"

# image list sees it as current
"$voidbox" image list --output json --cache-dir "$tmp/a" > "$tmp/list.json" || fail "image list"
[ "$(jq -r '.initramfs[] | select(.current) | .sha256' "$tmp/list.json")" = "$a" ] \
  || fail "image list: $(cat "$tmp/list.json")"

# a dynamic binary is refused as /init, naming why
if "$voidbox" image build --only initramfs --quiet --cache-dir "$tmp/c" --agent /bin/ls \
    2>"$tmp/err"; then fail "a dynamically linked agent was accepted"; fi
grep -q "dynamically linked" "$tmp/err" || fail "unclear error: $(cat "$tmp/err")"
echo "PASS"
