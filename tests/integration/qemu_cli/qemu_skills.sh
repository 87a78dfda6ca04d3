#!/usr/bin/env bash
# Skills on the qemu backend through the CLI: a file: skill directory is
# provisioned into the guest (SKILL.md read back, its resource script run
# with the host's mode) and a cli: program is looked up and run as a tool.
#   qemu_skills.sh VOIDBOX SRC
set -uo pipefail
VBX=$1 SRC=$2
. "$(dirname "$0")/common.sh"
qemu_cli_require

run_report "$SRC/tests/integration/qemu_cli/skills.yaml"
b='.stages[0].boxes[0]'
jq -e "$b.status == \"ok\"" "$r" >/dev/null || fail "status: $(jq -c "$b.error" "$r")"
jq -e "$b.tool_calls[0].output | contains(\"description: Sums the second column\")" "$r" \
  >/dev/null || fail "SKILL.md in the guest: $(jq -c "$b.tool_calls[0]" "$r")"
jq -e "$b.tool_calls[2].output == \"42\n755\n\"" "$r" >/dev/null ||
  fail "the skill's script in the guest: $(jq -c "$b.tool_calls[2]" "$r")"
jq -e "$b.tool_calls[3].output | test(\"^2 /workspace/p.csv\")" "$r" >/dev/null ||
  fail "cli__wc in the guest: $(jq -c "$b.tool_calls[3]" "$r")"
leftovers_check $pid
echo "PASS"
