#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-restore-raid1.sh: the raid1 machine end to end.  Both disks are
# captured, with no appliance possible (the members' superblocks and the
# array's data read from the disks); one alone is refused (an array with
# a member missing); the
# plan puts the members on distinct target disks; restore onto two blank,
# larger disks; the restored pair boots, and so does each disk alone (the
# array degraded, GRUB on both); the array's UUID, name, level and
# metadata version, each member's role and the filesystem read back equal
# to the machine's record.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
record=${ASR_VM_RAID1:?the record of the raid1 machine}
boot_check=${VM_TESTS_DIR:?}/boot-check
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
need guestfish qemu-img sha256sum

get() { sed -n "s/^$1=//p" "$record" | tail -n 1; }
system=$(get SYSTEM_IMAGE) mirror=$(get MIRROR_IMAGE)
uuid=$(get MD0_UUID) name=$(get MD0_NAME)

plan 15
before=$(sha256sum "$system" "$mirror" | cut -d' ' -f1 | paste -sd' ')

# Both captures read the members' superblocks and the array's data
# without the appliance: with none able to start, the same refusal and
# the same capture.
mkdir "$tmp/one"
LIBGUESTFS_PATH=/nonexistent run "$asr" capture -o "$tmp/one/backup" "$system"
check "one disk of the mirror alone is refused (exit 2), no appliance needed" 2 '' "md array md0 \\($uuid\\) has 1 of its 2 members on the given disks"
if [ -z "$(ls -A "$tmp/one")" ]; then pass "... and nothing is left behind"
else fail "... and nothing is left behind" "$(ls -la "$tmp/one")"; fi

LIBGUESTFS_PATH=/nonexistent run "$asr" capture -o "$tmp/backup" "$system" "$mirror"
check "capture both disks, with no appliance possible" 0 '' 'inspected without the appliance'

if grep -q "<md-array id=\"md0\" uuid=\"$uuid\" name=\"$name\" level=\"raid1\" metadata=\"1.2\"" "$tmp/backup/machine.xml"; then
  pass "the descriptor records the array as its superblocks say"
else
  fail "the descriptor records the array as its superblocks say" "$(grep -A8 '<md-array' "$tmp/backup/machine.xml")"
fi

bytes=$(stat -c %s "$system")
truncate -s $((bytes + 128 * 1024 * 1024)) "$tmp/a.raw" "$tmp/b.raw"
run "$asr" plan "$tmp/backup" "$tmp/a.raw" "$tmp/b.raw"
check "the plan puts the members on two disks and says what is written" 0 \
  'disk0 → p1 \(member 0\) \+ disk1 → p1 \(member 1\) → md md0 \(raid1, metadata 1.2'
run "$asr" restore --yes "$tmp/backup" "$tmp/a.raw" "$tmp/b.raw"
check "restore onto two blank, larger disks" 0 'restored 2 disks'

# Each boot through fresh overlays: a degraded assembly writes to the
# members' superblocks, and the next boot must see the restored disks.
boot() {
  local what=$1 args=() d; shift
  for d in "$@"; do
    qemu-img create -q -f qcow2 -b "$tmp/$d" -F raw "$tmp/ov-$d.qcow2"
    args+=("$tmp/ov-$d.qcow2")
  done
  run "$boot_check" --firmware bios --timeout 150 --log "$tmp/console-$what.log" "${args[@]}"
  check "the restored raid1 boots from $what" 0 "booted: asr-test-machine: booted raid1, fstab ok"
  rm -f "$tmp"/ov-*.qcow2
}
boot "both disks" a.raw b.raw
boot "the first disk alone" a.raw
boot "the second disk alone" b.raw

# The appliance assembles the array as md127, as it did at capture.
guestfish --ro --format=raw -a "$tmp/a.raw" -a "$tmp/b.raw" >"$tmp/detail" 2>"$tmp/gf.err" <<'GF' || true
run
md-detail /dev/md127
vfs-uuid /dev/md127
vfs-label /dev/md127
GF
d() { sed -n "s/^$1: //p" "$tmp/detail" | head -n 1; }
same() { if [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1: want $2" "got: ${3:-nothing} $(cat "$tmp/gf.err")"; fi; }
same "array UUID" "$uuid" "$(d uuid)"
same "array name" "$name" "$(d name)"
same "level and metadata" "raid1 1.2" "$(d level) $(d metadata)"
same "filesystem UUID and label" "$(get MD0_FS_UUID) $(get MD0_LABEL)" "$(tail -n 2 "$tmp/detail" | paste -sd' ')"
same "the sources were not written" "$before" "$(sha256sum "$system" "$mirror" | cut -d' ' -f1 | paste -sd' ')"
run "$asr" verify --json --timeout 300 "$tmp/backup"
check "asr verify boots the backup in a throwaway VM" 0 '"verdict" : "booted"'
finish
