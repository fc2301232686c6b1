#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-restore-device.sh MACHINE: a test machine restored onto block
# devices (loop devices over blank files, one per disk) with no appliance
# able to start (LIBGUESTFS_PATH=/nonexistent), then booted from the
# backing files.  Whatever volume work the machine needs runs with the
# host's own tools.  Suite vm-long (README.md): one capture and one boot
# per machine.  Skipped, with the reason, where losetup cannot make a
# loop device.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
. "$ASR_SOURCE_ROOT/tests/lib/machine.sh" "${1:-}"
with_tmp_and_loops

firmware=$(get FIRMWARE)

# The LVM machines are captured with no appliance possible either (LVM
# read from the disk's bytes): the whole chain without one.
capture_env=()
case $machine in
  rhel-like | ubuntu-like) capture_env=(LIBGUESTFS_PATH=/nonexistent) ;;
esac
descs=("capture $machine${capture_env[*]:+, no appliance possible}" "restore onto ${#sources[@]} loop device(s), no appliance possible"
  "no appliance was asked for" "no loop device of the restore is left"
  "the disks restored through loop devices boot")
plan ${#descs[@]}

run env "${capture_env[@]}" "$asr" capture -o "$tmp/backup" "${sources[@]}"
check "${descs[0]}" 0
[ "$rc" -eq 0 ] || { for d in "${descs[@]:1}"; do skip "$d" "no backup"; done; finish; }

files=() devs=()
for i in "${!sources[@]}"; do
  f=$tmp/dev$i.raw
  truncate -s $(($(stat -c %s "${sources[$i]}") + 64 * 1024 * 1024)) "$f"
  if ! l=$(losetup --find --show "$f" 2>"$tmp/losetup.err"); then
    for d in "${descs[@]:1}"; do
      skip "$d" "losetup cannot make a loop device here: $(cat "$tmp/losetup.err")"
    done
    finish
  fi
  loops+=("$l")
  files+=("$f")
  devs+=("$l")
done

LIBGUESTFS_PATH=/nonexistent run "$asr" restore --yes "$tmp/backup" "${devs[@]}"
check "${descs[1]}" 0 "restored ${#devs[@]} disk"
diag "$(grep -E 'with the|recreated|fallback|grown' <<<"$err" || true)"
if ! grep -qi 'appliance' <<<"$err"; then pass "${descs[2]}"
else fail "${descs[2]}" "$err"; fi
left=
for i in "${!files[@]}"; do
  left+=$(losetup -n -j "${files[$i]}" | grep -v "^${devs[$i]}:" || true)
done
if [ -z "$left" ]; then pass "${descs[3]}"; else fail "${descs[3]}" "$left"; fi
for l in "${devs[@]}"; do losetup -d "$l"; done
loops=()

run "$boot_check" --firmware "$firmware" --timeout 150 --log "$tmp/console.log" "${files[@]}"
check "${descs[4]}" 0 "booted: asr-test-machine: booted $machine, fstab ok"

finish
