#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-restore-machine.sh MACHINE: capture, restore and boot, end to end,
# on a real bootable machine.  Capture it (system and data disk), restore the backup
# onto a blank raw disk a little larger than the original, and boot the
# restored disk alone: it must reach "booted MACHINE, fstab ok" (bios-mbr
# reports its data disk optional-and-absent).  Also: the restored
# partition table equals the original's, sector for sector of the table
# (sfdisk --dump), and its boot code is the original's.
#
# bios-mbr is restored with --shrink onto a disk half its size too, booted,
# and its files compared.  Then the same backup with --grow onto a block device, a loop device over
# a larger blank file: / takes the new space and the partition after it
# moves to the end of the disk with its UUID (docs/asr-restore.1, DISKS OF
# OTHER SIZES); the volume work is the host's tools', with no appliance able to
# start (LIBGUESTFS_PATH=/nonexistent, and a control that a launch does
# fail so), and the backing file boots; skipped, with the reason, where losetup cannot make
# a loop device.  (A mounted device and two restores at once onto one:
# tests/restore/test-restore-targets.sh.)
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
. "$ASR_SOURCE_ROOT/tests/lib/machine.sh" "${1:-}"
with_tmp_and_loops

system=${sources[0]}
firmware=$(get FIRMWARE)
need sfdisk cmp

plan 17

run "$asr" capture -o "$tmp/backup" "${sources[@]}"
check "capture $machine" 0

# A replacement disk 64 MiB larger than the original, blank.
bytes=$(stat -c %s "$system")
truncate -s $((bytes + 64 * 1024 * 1024)) "$tmp/new.raw"
run "$asr" restore --yes "$tmp/backup" "$tmp/new.raw"
check "restore onto a blank, larger disk" 0

# The table, as sfdisk dumps it, without the lines that name the file or
# depend on the disk size (GPT last-lba).  Into files, not <(...): a
# failing sfdisk there would leave two empty dumps that compare equal.
dump() { sfdisk --dump "$1" | grep -v -e '^device:' -e '^last-lba:' | sed "s|^$1|DISK|"; }
if dump "$system" >"$tmp/orig.dump" 2>"$tmp/dump.err" && dump "$tmp/new.raw" >"$tmp/new.dump" 2>>"$tmp/dump.err" \
   && grep -q '^DISK' "$tmp/orig.dump" && diff=$(diff "$tmp/orig.dump" "$tmp/new.dump"); then
  pass "the restored partition table equals the original"
else
  fail "the restored partition table equals the original" "${diff:-}" "$(cat "$tmp/dump.err")" "$(cat "$tmp/orig.dump")"
fi
if cmp -s -n 440 "$system" "$tmp/new.raw"; then pass "the boot code is the original's"
else fail "the boot code is the original's" "$(cmp -n 440 "$system" "$tmp/new.raw")"; fi

run "$asr" probe "$tmp/new.raw"
if [ "$rc" -eq 0 ] && ! grep -q '<incomplete/>' <<<"$out"; then
  pass "probe: the restore is complete (no incomplete mark)"
else
  fail "probe: the restore is complete (no incomplete mark)" "rc=$rc" "$out" "$err"
fi

run "$boot_check" --firmware "$firmware" --timeout 120 --log "$tmp/console.log" "$tmp/new.raw"
check "the restored $machine boots" 0 "booted: asr-test-machine: booted $machine, fstab ok"
if [ "$machine" = bios-mbr ]; then
  if grep -qi 'optional.*absent\|absent.*optional' "$tmp/console.log"; then
    pass "the data disk, not restored, is reported optional and absent"
  else
    fail "the data disk, not restored, is reported optional and absent" "$(tail -n 20 "$tmp/console.log")"
  fi
else
  if grep -q "^asr-test-machine: /var UUID=$(get SYSTEM_P3_UUID)" "$tmp/console.log"; then
    pass "/var is mounted by its UUID after the restore"
  else
    fail "/var is mounted by its UUID after the restore" "$(tail -n 20 "$tmp/console.log")"
  fi
fi

# ---- --shrink onto a smaller disk (bios-mbr: Debian's layout) ------------
# / gives up what a 512 MiB disk lacks (about 40 MiB of the machine is
# used): shrunk in a private copy of its image, swap moved towards the
# start; the disk boots (fstab finds swap by its UUID) and every file of
# / reads back equal to the machine's.
shrink_descs=("restore --shrink onto a disk half the size" "the shrunk disk boots"
              "the files of / on the shrunk disk equal the machine's"
              "plan --shrink=/boot is blocked: extlinux finds ldlinux.sys there by sector")
if [ "$machine" != bios-mbr ]; then
  for d in "${shrink_descs[@]}"; do skip "$d" "the --shrink proof is bios-mbr's (swap last)"; done
else
  truncate -s 512M "$tmp/half.raw"
  run "$asr" restore --yes --shrink "$tmp/backup" "$tmp/half.raw"
  check "${shrink_descs[0]}" 0 '' 'partition 2: its ext4 shrunk to [0-9]+ bytes in a private copy'
  run "$boot_check" --firmware "$firmware" --timeout 120 --log "$tmp/console-half.log" "$tmp/half.raw"
  check "${shrink_descs[1]}" 0 "booted: asr-test-machine: booted $machine, fstab ok"
  # one appliance: the machine's / and the shrunk one, each summed whole
  guestfish --ro -a "$system" -a "$tmp/half.raw" run : mount /dev/sda2 / \
    : checksums-out sha256 / "$tmp/sums-a" : umount / : mount /dev/sdb2 / \
    : checksums-out sha256 / "$tmp/sums-b" >"$tmp/gf.out" 2>&1 || true
  sort -o "$tmp/sums-a" "$tmp/sums-a" 2>/dev/null || true
  sort -o "$tmp/sums-b" "$tmp/sums-b" 2>/dev/null || true
  if [ -s "$tmp/sums-a" ] && [ "$(wc -l <"$tmp/sums-a")" -gt 5 ] && cmp -s "$tmp/sums-a" "$tmp/sums-b"; then
    pass "${shrink_descs[2]} ($(wc -l <"$tmp/sums-a") files)"
  else
    fail "${shrink_descs[2]}" "$(cat "$tmp/gf.out")" "$(diff "$tmp/sums-a" "$tmp/sums-b" 2>&1 | head -10)"
  fi
  # /boot (partition 1) holds extlinux: its boot sector reads ldlinux.sys
  # by sector, which shrinking /boot would move
  run "$asr" plan --shrink=/boot "$tmp/backup" "$tmp/half.raw"
  check "${shrink_descs[3]}" 1 "its first sector holds SYSLINUX's \\(extlinux\\), which finds ldlinux.sys by sector"
fi

# ---- onto a block device ------------------------------------------------
# attach FILE: a loop device over it, in $loop ("" when losetup fails here).
attach() {
  loop=$(losetup --find --show "$1" 2>"$tmp/losetup.err") || loop=
  [ -n "$loop" ] && loops+=("$loop")
  return 0
}
truncate -s $((bytes + 64 * 1024 * 1024)) "$tmp/dev.raw"
attach "$tmp/dev.raw"
if [ -z "$loop" ]; then
  why="losetup cannot make a loop device here: $(cat "$tmp/losetup.err")"
  for d in "control: no appliance starts with LIBGUESTFS_PATH=/nonexistent" \
           "restore onto a loop device" "--grow: / grew, partition 3 moved to the end with its UUID" \
           "the volume work ran with the host tools" \
           "no loop device of the restore is left" "the disk restored through a loop device boots"; do
    skip "$d" "$why"
  done
  finish
  exit 0
fi
# No appliance can start here: libguestfs finds no appliance under a
# LIBGUESTFS_PATH that does not exist (an unknown LIBGUESTFS_BACKEND would
# not do: libguestfs ignores it and launches "direct").  The control shows
# that a launch does fail so; the restore must not need one.
run env LIBGUESTFS_PATH=/nonexistent guestfish -a /dev/null run
check "control: no appliance starts with LIBGUESTFS_PATH=/nonexistent" 1 "" "cannot find any suitable libguestfs"
LIBGUESTFS_PATH=/nonexistent run "$asr" restore --yes --grow "$tmp/backup" "$loop"
check "restore --grow onto a larger loop device ($loop), no appliance possible" 0
# / (partition 2) takes the new space; partition 3 after it (bios-mbr:
# swap, recreated; uefi-gpt: /var, its image) moves to the end of the disk
# with its UUID.  The machine boots below, and fstab names both by UUID.
p3=$(sfdisk --dump "$loop" | sed -n "s|^$loop""p\?3 : start= *\([0-9]*\), size= *\([0-9]*\).*|\1 \2|p")
p2_was=$(get SYSTEM_P2_SECTORS)
p2_now=$(sfdisk --dump "$loop" | sed -n "s|^$loop""p\?2 : start= *[0-9]*, size= *\([0-9]*\).*|\1|p")
dev_sectors=$(( $(blockdev --getsize64 "$loop") / 512 ))
uuid3=$(blkid -p -o value -s UUID -O $(( ${p3%% *} * 512 )) "$loop" 2>/dev/null || true)
# the move is whole MiB (under 2048 sectors lost), and GPT keeps 33
# sectors at the end for its backup
end3=$(( ${p3%% *} + ${p3##* } ))
if grep -qE 'disk0 partition 2 and its ext4 grown to [0-9]+ sectors' <<<"$err" \
   && [ "${p2_now:-0}" -gt "$p2_was" ] && [ "$end3" -le "$dev_sectors" ] \
   && [ $(( dev_sectors - end3 )) -le $(( 2047 + 33 )) ] && [ "$uuid3" = "$(get SYSTEM_P3_UUID)" ]; then
  pass "--grow: / grew ($p2_was → $p2_now sectors), partition 3 moved to the end with its UUID"
else fail "--grow: / grew, partition 3 moved to the end with its UUID" \
  "p2 $p2_was → ${p2_now:-?}; p3 ${p3:-?} ends $end3 of $dev_sectors; UUID ${uuid3:-none}" "$err"; fi
# swap recreated (bios-mbr), the fallback loader looked for (uefi-gpt):
# the volume work runs, and not in an appliance
if grep -q 'with the host tools' <<<"$err" && ! grep -qi 'appliance' <<<"$err"; then
  pass "the volume work ran with the host tools"
else fail "the volume work ran with the host tools" "$err"; fi
# restore's own loop devices (over partitions of $loop) are gone
if [ -z "$(losetup -n -j "$loop" 2>/dev/null)" ]; then
  pass "no loop device of the restore is left"
else
  fail "no loop device of the restore is left" "$(losetup -l)"
fi
losetup -d "$loop"
run "$boot_check" --firmware "$firmware" --timeout 120 --log "$tmp/console-dev.log" "$tmp/dev.raw"
check "the disk restored through a loop device boots" 0 "booted: asr-test-machine: booted $machine, fstab ok"

finish
