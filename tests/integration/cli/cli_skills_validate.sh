#!/usr/bin/env bash
# Skill declarations through `voidbox validate`: the agent engine choice
# (agent:NAME) and SKILL.md front matter faults, each at its file, line and
# column, exit 2; good declarations validate.
#   cli_skills_validate.sh VOIDBOX PLUGIN_DIR
set -u
VBX=$1 PLUGINS=$2 HERE=$(dirname "$0")
. "$HERE/lib.sh"
D=$TMPDIR_T

spec() { # spec FILE BACKEND SKILLS... : an agent spec with these skill lines
  local f=$1 backend=$2
  shift 2
  {
    printf 'api_version: v1\nkind: agent\nname: a\nsandbox: {backend: %s}\n' "$backend"
    printf 'llm: {provider: mock, turns: [{text: hi}]}\nagent:\n  prompt: p\n  skills:\n'
    for s in "$@"; do printf '    - %s\n' "$s"; done
  } >"$D/$f"
}
validate() { expect_exit "$1" "$VBX" validate --file "$D/$2" --plugin-dir "$PLUGINS"; }

mkdir -p "$D/skills/good-one" "$D/skills/bad_name" "$D/skills/other"
printf -- '---\nname: good-one\ndescription: fine\n---\nbody\n' >"$D/skills/good-one/SKILL.md"
printf -- '---\nname: bad_name\ndescription: d\n---\n' >"$D/skills/bad_name/SKILL.md"
printf -- '---\ndescription: d\nname: good-one\n---\n' >"$D/skills/other/SKILL.md"

spec ok.yaml local '"agent:voidbox"' '"file:skills/good-one"' '"cli:sort"'
validate 0 ok.yaml
spec cc.yaml local agent:claude-code '"file:skills/good-one"'
validate 0 cc.yaml

spec typo.yaml local agent:claude
validate 2 typo.yaml
expect_match "$ERR" "typo.yaml:9:7: .*unknown agent engine 'claude' \(did you mean 'claude-code'\?\)" \
  "unknown engine with a hint, at the value"
spec twice.yaml local agent:voidbox agent:claude-code
validate 2 twice.yaml
expect_match "$ERR" "twice.yaml:10:7: .*chooses its agent engine twice" "two engines"
spec opt.yaml local '{type: agent, value: claude-code, version: "2"}'
validate 2 opt.yaml
expect_match "$ERR" "opt.yaml:9:.*takes no options, but option 'version' is set" "engine option"
spec mock.yaml mock agent:claude-code
validate 2 mock.yaml
expect_match "$ERR" "mock.yaml:9:7: .*sandbox backend 'mock' only simulates commands" \
  "claude-code on mock"

spec badname.yaml local '"file:skills/bad_name"'
validate 2 badname.yaml
expect_match "$ERR" "skills/bad_name/SKILL.md:2:7: front matter \`name\` 'bad_name' must be" \
  "SKILL.md name rule with its line"
spec other.yaml local '"file:skills/other"'
validate 2 other.yaml
expect_match "$ERR" "skills/other/SKILL.md:3:7: .*must equal the skill's directory name 'other'" \
  "name and directory"
spec cli.yaml local '"cli:-rf"'
validate 2 cli.yaml
expect_match "$ERR" "cli.yaml:9:.*the program's name '-rf' must be" "cli name"

finish
