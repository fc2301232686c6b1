#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-restore-btrfs.sh: the btrfs machine end to end.  Its root is the
# subvolume @ of a btrfs filesystem, /home the subvolume @home; capture
# records both subvolumes with their mountpoints and images the filesystem
# (used data only); restore with --grow onto a blank, larger disk: / (the
# btrfs, partition 2) takes the space and swap, the last partition, moves
# to the end with its UUID; the restored disk
# boots into @ with /home from @home, and the filesystem's UUID and label
# and its subvolumes read back.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
record=${ASR_VM_BTRFS:?the record of the btrfs machine}
boot_check=${VM_TESTS_DIR:?}/boot-check
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
need guestfish sfdisk blkid losetup btrfs

get() { sed -n "s/^$1=//p" "$record" | tail -n 1; }
system=$(get SYSTEM_IMAGE)
uuid=$(get SYSTEM_P2_UUID)

plan 9
run "$asr" capture --json -o "$tmp/backup" "$system"
check "capture the btrfs machine, through the appliance (it says why)" 0 '"images"' \
  'holds btrfs: the appliance inspects the disks'
xml=$tmp/backup/machine.xml
if grep -q "<volume fs=\"btrfs\" uuid=\"$uuid\" label=\"$(get SYSTEM_P2_LABEL)\" critical=\"yes\">" "$xml" \
   && grep -q '<subvolume path="@" mountpoint="/"/>' "$xml" && grep -q '<subvolume path="@home" mountpoint="/home"/>' "$xml" \
   && grep -q '<image file="disk0-p2.qcow2"' "$xml"; then
  pass "the descriptor records the filesystem, @ on / and @home on /home, and its image"
else
  fail "the descriptor records the filesystem, @ on / and @home on /home, and its image" "$(grep -B1 -A4 btrfs "$xml")"
fi
used=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["image_bytes"], d["used_bytes"])' <<<"$out")
set -- $used
if [ "$1" -le $(( $2 + $2 / 5 + 8 * 1024 * 1024 )) ]; then pass "used data only: $1 bytes of images for $2 used"
else fail "used data only" "$1 bytes of images for $2 used"; fi

bytes=$(stat -c %s "$system")
truncate -s $((bytes + 256 * 1024 * 1024)) "$tmp/new.raw"
run "$asr" restore --yes --grow "$tmp/backup" "$tmp/new.raw"
check "restore --grow onto a blank, larger disk" 0 '' 'partition 2 and its btrfs grown'
p2=$(sfdisk --dump "$tmp/new.raw" | sed -n 's/^.*new.raw2 : start= *\([0-9]*\), size= *\([0-9]*\).*/\1 \2/p')
p3=$(sfdisk --dump "$tmp/new.raw" | sed -n 's/^.*new.raw3 : start= *\([0-9]*\), size= *\([0-9]*\).*/\1 \2/p')
end3=$(( ${p3%% *} + ${p3##* } ))
swap_uuid=$(blkid -p -o value -s UUID -O $(( ${p3%% *} * 512 )) "$tmp/new.raw" || true)
l=$(losetup -r -f --show -o $(( ${p2%% *} * 512 )) --sizelimit $(( ${p2##* } * 512 )) "$tmp/new.raw")
total=$(btrfs inspect-internal dump-super "$l" 2>/dev/null | awk '$1 == "total_bytes" {print $2}')
losetup -d "$l"
if [ "$end3" -eq $(( $(stat -c %s "$tmp/new.raw") / 512 )) ] && [ "$swap_uuid" = "$(get SYSTEM_P3_UUID)" ] \
   && [ "${p2##* }" -gt "$(get SYSTEM_P2_SECTORS)" ] && [ "${total:-0}" -eq $(( ${p2##* } * 512 )) ]; then
  pass "/'s btrfs grew to fill its partition (${total} bytes); swap moved to the end with its UUID"
else
  fail "/'s btrfs grew to fill its partition; swap moved to the end with its UUID" \
    "p2 ${p2:-?} (was $(get SYSTEM_P2_SECTORS) sectors), btrfs ${total:-?} bytes; p3 ${p3:-?} ends $end3; swap UUID ${swap_uuid:-none}"
fi
run "$boot_check" --firmware bios --timeout 150 --log "$tmp/console.log" "$tmp/new.raw"
check "the restored btrfs machine boots" 0 "booted: asr-test-machine: booted btrfs, fstab ok"
if grep -Eq "^asr-test-machine: /home UUID=$uuid on /dev/vda2" "$tmp/console.log"; then
  pass "/home is mounted from the same filesystem"
else
  fail "/home is mounted from the same filesystem" "$(grep asr-test-machine "$tmp/console.log" || tail -n 20 "$tmp/console.log")"
fi
if guestfish --ro --format=raw -a "$tmp/new.raw" >"$tmp/ids" 2>"$tmp/gf.err" <<'GF'
run
vfs-uuid /dev/sda2
mount-ro /dev/sda2 /
btrfs-subvolume-list /
GF
then
  if [ "$(head -n 1 "$tmp/ids")" = "$uuid" ]; then pass "btrfs UUID kept: $uuid"
  else fail "btrfs UUID kept" "got: $(head -n 1 "$tmp/ids")"; fi
  if grep -q 'btrfssubvolume_path: @$' "$tmp/ids" && grep -q 'btrfssubvolume_path: @home$' "$tmp/ids"; then
    pass "its subvolumes @ and @home read back"
  else
    fail "its subvolumes @ and @home read back" "$(cat "$tmp/ids")"
  fi
else
  fail "btrfs UUID kept" "$(cat "$tmp/gf.err")"
  fail "its subvolumes @ and @home read back"
fi
finish
