#!/usr/bin/env bash
# `voidbox doctor --output json`: every documented key, each with a boolean
# `available`, a `detail`, and a `reason` that is non-empty exactly when the
# capability is unavailable; facts cross-checked against the host; --require.
#   doctor_json.sh VOIDBOX
set -uo pipefail
voidbox=$1
fail() { echo "FAIL: $*"; exit 1; }
command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/install-deps.sh)"; exit 77; }
tmp=$(mktemp -d /tmp/vbx-doctor.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

"$voidbox" doctor --output json --cache-dir "$tmp/cache" > "$tmp/d.json" || fail "doctor exited $?"
jq -e . "$tmp/d.json" >/dev/null || fail "not JSON"
keys="kvm_device hardware_virtualization kvm_hardware vhost_vsock net_tun qemu cgroup_v2 cgroup_v1
      user_namespaces guest_kernel guest_initramfs qemu_kvm kvm_backend netstack"
for k in $keys; do
  jq -e --arg k "$k" '.capabilities[$k] | (.available | type == "boolean") and
       (.detail | type == "string") and (.reason | type == "string") and
       ((.available and .reason == "") or ((.available | not) and (.reason | length > 0)))' \
     "$tmp/d.json" >/dev/null || fail "capability $k malformed: $(jq -c --arg k "$k" '.capabilities[$k]' "$tmp/d.json")"
done
n=$(jq '.capabilities | length' "$tmp/d.json")
[ "$n" -eq 14 ] || fail "expected 14 capabilities, got $n"
[ "$(jq -r .cache_dir "$tmp/d.json")" = "$tmp/cache" ] || fail "cache_dir not honoured"

cap() { jq -r --arg k "$1" '.capabilities[$k].available' "$tmp/d.json"; }
# facts against the host
if [ -e /dev/kvm ]; then want=true; else want=false; fi
[ -r /dev/kvm ] && [ -w /dev/kvm ] || want=false
[ "$(cap kvm_device)" = $want ] || fail "kvm_device should be $want"
if grep -qwE 'vmx|svm' /proc/cpuinfo; then hw=true; else hw=false; fi
[ "$(cap hardware_virtualization)" = $hw ] || fail "hardware_virtualization should be $hw"
if [ "$(cap kvm_device)" = true ] && [ $hw = false ]; then
  jq -r .capabilities.kvm_hardware.reason "$tmp/d.json" | grep -q "KVM device present but no vmx/svm" \
    || fail "kvm_hardware reason does not say the KVM device is not hardware virtualization"
fi
if command -v qemu-system-x86_64 >/dev/null; then
  [ "$(cap qemu)" = true ] || fail "qemu present but reported missing"
  v=$(qemu-system-x86_64 --version | head -1 | awk '{print $4}')
  [ "$(jq -r .capabilities.qemu.version "$tmp/d.json")" = "$v" ] || fail "qemu version != $v"
else
  [ "$(cap qemu)" = false ] || fail "qemu reported present"
fi
[ "$(cap guest_kernel)" = false ] || fail "empty cache dir has no kernel"
# netstack: available exactly when voidbox-netstack is beside voidbox, and
# its detail names the libslirp it runs on
ns=$(dirname "$(readlink -f "$voidbox")")/voidbox-netstack
if [ -x "$ns" ]; then nsa=true; else nsa=false; fi
[ "$(cap netstack)" = $nsa ] || fail "netstack should be $nsa ($ns)"
if [ $nsa = true ]; then
  jq -r .capabilities.netstack.detail "$tmp/d.json" | grep -q "libslirp [0-9]" ||
    fail "netstack detail does not name libslirp: $(jq -r .capabilities.netstack.detail "$tmp/d.json")"
  [ "$(jq -r .capabilities.netstack.path "$tmp/d.json")" = "$ns" ] || fail "netstack.path is not $ns"
fi
# kvm_backend: directly only with hardware KVM and voidbox-vmm beside voidbox;
# otherwise whether scripts/nested-kvm.sh can run it (root, QEMU -cpu max)
vmm=$(dirname "$(readlink -f "$voidbox")")/voidbox-vmm
if [ "$(cap kvm_hardware)" = true ] && [ -x "$vmm" ]; then kb=true; else kb=false; fi
[ "$(cap kvm_backend)" = $kb ] || fail "kvm_backend should be $kb (vmm $vmm)"
if [ "$(id -u)" = 0 ] && command -v qemu-system-x86_64 >/dev/null &&
   qemu-system-x86_64 -cpu help | grep -qw max; then nr=true; else nr=false; fi
[ "$(jq -r .capabilities.kvm_backend.nested_runner "$tmp/d.json")" = $nr ] ||
  fail "kvm_backend.nested_runner should be $nr"
if [ "$(cap kvm_hardware)" = false ]; then
  jq -r .capabilities.kvm_backend.reason "$tmp/d.json" | grep -q "scripts/nested-kvm.sh" ||
    fail "kvm_backend reason does not name scripts/nested-kvm.sh"
  if [ $nr = true ]; then
    jq -r .capabilities.kvm_backend.detail "$tmp/d.json" | grep -q "scripts/nested-kvm.sh can run the kvm backend under emulation" ||
      fail "kvm_backend detail does not say the nested runner can run it"
  fi
fi
[ -e /dev/vhost-vsock ] || [ "$(cap vhost_vsock)" = false ] || fail "vhost_vsock"
jq -e '.capabilities.cgroup_v1.controllers | type == "array"' "$tmp/d.json" >/dev/null || fail "cgroup_v1.controllers"

# --require: exit 1 and the reason for a missing capability, 0 for present, 2 for unknown
"$voidbox" doctor --require guest_kernel --cache-dir "$tmp/cache" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] || fail "--require guest_kernel on an empty cache should exit 1"
grep -q "guest_kernel unavailable: no guest kernel" "$tmp/err" || fail "no reason: $(cat "$tmp/err")"
"$voidbox" doctor --require user_namespaces --require cgroup_v1 >/dev/null 2>&1
rc=$?
if [ "$(cap user_namespaces)" = true ] && [ "$(cap cgroup_v1)" = true ]; then
  [ $rc -eq 0 ] || fail "--require of present capabilities exited $rc"
fi
"$voidbox" doctor --require no_such_thing >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown --require key should be a usage error"
"$voidbox" doctor --output yaml >/dev/null 2>&1
[ $? -eq 2 ] || fail "bad --output should be a usage error"
# the human form names every key
"$voidbox" doctor --cache-dir "$tmp/cache" > "$tmp/h.txt" || fail "human doctor"
for k in $keys; do grep -q " $k " "$tmp/h.txt" || fail "human form lacks $k"; done
echo "PASS"
