#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A source whose partition table asr's parser refuses (here an EBR chain of
# 20,000 links, which keeps the appliance's own tools busy for minutes) is
# refused by capture at once, exit 2, before the appliance or any overlay
# is started, and nothing is left behind.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
need python3
need qemu-img
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

plan 4

python3 "$ASR_SOURCE_ROOT/tests/capture/make-ebr-chain.py" ebr.raw 20000
mkdir out

t0=$(date +%s)
# Were the appliance started, this would take minutes: cut it short.
run timeout 120 "$asr" capture --debug -o out/backup ebr.raw
t=$(( $(date +%s) - t0 ))
check "an EBR chain of 20,000 links: exit 2" 2 '' \
  'ebr\.raw \(disk0\): partition table: .*EBR chain is longer than 128'
if [ "$t" -le 10 ]; then pass "refused in $t s"
else fail "refused in $t s, not within 10 s"; fi
# The overlays are made right before the appliance starts.
if grep -qiE 'overlay|appliance|guestfs' <<<"$err"; then
  fail "neither an overlay nor the appliance was started" "$err"
else
  pass "neither an overlay nor the appliance was started"
fi
if [ -z "$(ls -A out)" ]; then pass "nothing left behind"
else fail "nothing left behind" "$(ls -la out)"; fi
finish
