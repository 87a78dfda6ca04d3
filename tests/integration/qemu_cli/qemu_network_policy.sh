#!/usr/bin/env bash
# examples/network_policy_qemu.yaml through the CLI: the spec's policy map
# reaches the box's voidbox-netstack. In the guest a name outside the allow
# list does not resolve and the host's loopback is refused at once; on
# stderr each refusal is a warning naming destination and reason; no
# QEMU and no voidbox-netstack is left. Nothing leaves the machine.
#   qemu_network_policy.sh VOIDBOX SRC
set -uo pipefail
VBX=$1 SRC=$2
. "$(dirname "$0")/common.sh"
qemu_cli_require

run_report "$SRC/examples/network_policy_qemu.yaml"
jq -e '.status == "ok"' "$r" >/dev/null || fail "status: $(jq -c '.status, .error' "$r")"
calls='.stages[0].boxes[0].tool_calls'
jq -e "$calls[0].output | contains(\"inet 10.0.2.15/24\") and contains(\"nameserver 10.0.2.3\")" \
  "$r" >/dev/null || fail "guest network: $(jq -c "$calls[0].output" "$r")"
jq -e "$calls[1].output == \"nslookup_exit=1\n\"" "$r" >/dev/null ||
  fail "a name outside the allow list resolved: $(jq -c "$calls[1].output" "$r")"
jq -e "$calls[2].output | contains(\"Connection refused\") and contains(\"wget_exit=1\")" "$r" \
  >/dev/null || fail "the host's loopback was not refused: $(jq -c "$calls[2].output" "$r")"
grep -q "warn: box network_policy_qemu: network: deny dns www.example.org: not in the allow list" \
  "$TEST_TMP/stderr" || fail "no DNS deny line on stderr: $(grep network: "$TEST_TMP/stderr")"
grep -q "warn: box network_policy_qemu: network: deny tcp 10.0.2.2:8080: host loopback" \
  "$TEST_TMP/stderr" || fail "no TCP deny line on stderr: $(grep network: "$TEST_TMP/stderr")"
# the box's helper is gone (its command line carries this example's policy)
pgrep -f "voidbox-netstack --listen-fd 3 --policy .*api.example.com:443" >/dev/null &&
  fail "the box's voidbox-netstack is still running"
leftovers_check $pid
echo "PASS ($(jq '.totals.duration_ms // empty' "$r") ms)"
