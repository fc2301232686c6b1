#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --verbose and --debug lines go to stderr: what a command prints on stdout
# (probe's XML, show --json, plan --json) stays a valid document with them.
set -euo pipefail
. "$(dirname "$0")/../lib/tap.sh"

asr=${ASR:?ASR must name the asr binary}
ex=${ASR_SOURCE_ROOT:?}/xml-schemas/examples/valid
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

plan 18

need qemu-img sfdisk xmllint jq

# A GPT whose primary header is damaged: probe reads the backup and says
# so in a debug line.
truncate -s 16M "$tmp/gpt.raw"
sfdisk -q -X gpt "$tmp/gpt.raw" <<<'start=2048, size=8192' >/dev/null
printf '\377\377\377\377' | dd of="$tmp/gpt.raw" bs=1 seek=$((512 + 16)) conv=notrunc 2>/dev/null

# valid RC VALIDATOR DESCRIPTION: the exit status is RC, stdout ($out) is
# a valid document, and stderr ($err) holds asr's log lines.
valid() {
  local want=$1 validator=$2 desc=$3
  if [ "$rc" -ne "$want" ]; then
    fail "$desc: exit $want" "exit $rc" "$err"
  else
    pass "$desc: exit $want"
  fi
  case $validator in
    xml) printf '%s\n' "$out" | xmllint --noout - 2>"$tmp/why" ;;
    json) printf '%s\n' "$out" | jq -e . >/dev/null 2>"$tmp/why" ;;
  esac && pass "$desc: stdout is valid $validator" \
    || fail "$desc: stdout is valid $validator" "$(cat "$tmp/why")" "$out"
  if grep -q 'DEBUG' <<<"$err" && ! grep -q 'DEBUG' <<<"$out"; then
    pass "$desc: the log lines are on stderr"
  else
    fail "$desc: the log lines are on stderr" "stderr: $err" "stdout: $out"
  fi
}

# (run keeps the exit status in $rc; "|| true" keeps set -e from ending
# the script on the one it tests.)
for opt in -v --debug; do
  run "$asr" probe "$opt" "$tmp/gpt.raw" || true
  valid 0 xml "probe $opt"
  run "$asr" show --json "$opt" "$ex/bios-mbr-server.xml" || true
  valid 0 json "show --json $opt"
  # blocked (exit 1), with a full report all the same
  run "$asr" plan --json "$opt" "$ex/bios-mbr-server.xml" "$ex/probed-target.xml" || true
  valid 1 json "plan --json $opt"
done
finish
