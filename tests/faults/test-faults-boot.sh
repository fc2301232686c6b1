#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-faults-boot.sh MACHINE: a restore interrupted after the volumes were
# written and verified, before the appliance and the boot area, never
# boots a half-written system: neither asr verify --disks nor a plain boot
# (vm-tests/boot-check, no asr in the way) reaches the machine's "booted"
# line or a login prompt.  A second restore onto the same disk
# completes and boots.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
. "$ASR_SOURCE_ROOT/tests/lib/machine.sh" "${1:-}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp

system=$(get SYSTEM_IMAGE)
firmware=$(get FIRMWARE)
booted="asr-test-machine: booted $machine, fstab ok"

plan 8

run "$asr" capture -o "$tmp/backup" "$system"
check "capture $machine (system disk)" 0

truncate -s "$(stat -c %s "$system")" "$tmp/new.raw"
ASR_RESTORE_FAIL_AT=verify run "$asr" restore --yes "$tmp/backup" "$tmp/new.raw"
check "restore stopped after the volumes, before the boot area" 3 '' "stopped at step 'verify'"

run "$asr" probe "$tmp/new.raw"
grep -q '<incomplete/>' <<<"$out" && pass "asr probe reports the disk incomplete" \
  || fail "asr probe reports the disk incomplete" "$out" "$err"

# asr verify --disks sees the marker and does not boot the disk at all.
run "$asr" verify --disks --firmware "$firmware" --timeout 60 --expect "$booted" "$tmp/new.raw"
check "asr verify --disks: the half-written disk is refused, not booted" 1 \
  'incomplete restore: .*new\.raw carries the incomplete-restore marker'

# The marker replaced the boot code, the new table is in place: booted
# anyway, the BIOS runs the marker's bytes, which print nothing and boot
# nothing.

run "$boot_check" --firmware "$firmware" --timeout 60 --expect "$booted" --log "$tmp/half.log" "$tmp/new.raw"
if [ "$rc" -eq 1 ] && ! grep -q "$booted" "$tmp/half.log" && ! grep -qi 'login:' "$tmp/half.log"; then
  pass "booted anyway, the half-written disk does not boot ($(head -n 1 <<<"$out"))"
else
  fail "booted anyway, the half-written disk does not boot" "rc=$rc" "$out" "$(tail -n 20 "$tmp/half.log")"
fi

run "$asr" restore --yes "$tmp/backup" "$tmp/new.raw"
check "a second restore onto the same disk completes" 0 'restored 1 disk'
run "$asr" probe "$tmp/new.raw"
grep -q '<incomplete/>' <<<"$out" && fail "... no incomplete mark is left" "$out" \
  || pass "... no incomplete mark is left"

run "$asr" verify --disks --firmware "$firmware" --timeout 180 --expect "$booted" "$tmp/new.raw"
check "... and it boots (asr verify --disks)" 0 'booted'

finish
