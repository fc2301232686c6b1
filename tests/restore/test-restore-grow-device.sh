#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# --grow of xfs onto a block device (docs/asr-restore.1): xfs grows only
# mounted, and this host's kernel mounts a filesystem from a backup set
# only with --mount-to-grow.  With it, the host tools grow / and no
# appliance can start (LIBGUESTFS_PATH=/nonexistent); without it, the
# appliance is chosen, which cannot start here: the restore says why and
# fails, and the disk stays marked incomplete.  One capture (an appliance
# launch); root and losetup needed, skipped with the reason otherwise.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg ASR_ACCEL=tcg
tmp=$(mktemp -d)
loops=()
cleanup() {
  umount "$tmp/mnt" 2>/dev/null || true
  for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

descs=("capture of an xfs machine" "restore --grow --mount-to-grow onto a loop device"
  "the host tools did the volume work" "/ was grown to fill the partition"
  "no loop device of the restore is left"
  "without --mount-to-grow the appliance is chosen, and says why"
  "... and the disk stays marked incomplete")
plan ${#descs[@]}
why=
if [ "$(id -u)" -ne 0 ]; then why="needs root (loop devices, mount)"
elif ! command -v losetup >/dev/null || ! command -v mkfs.xfs >/dev/null \
     || ! command -v xfs_db >/dev/null || ! command -v sfdisk >/dev/null; then
  why="needs losetup, sfdisk, mkfs.xfs and xfs_db"
elif ! grep -qw xfs /proc/filesystems && ! modprobe -q xfs; then
  why="this kernel has no xfs driver"
fi
if [ -n "$why" ]; then
  for d in "${descs[@]}"; do skip "$d" "$why"; done
  finish
fi

# A machine on one disk: / is xfs (mkfs.xfs makes nothing under 300 MB).
SECTORS=$((320 * 2048))
truncate -s $(((2048 + SECTORS) * 512)) src.raw
printf 'label: dos\nlabel-id: 0x5a5a0002\nstart=2048, type=83, bootable\n' \
  | sfdisk -q --no-reread --no-tell-kernel src.raw >/dev/null
p=$(losetup -f --show -o $((2048 * 512)) --sizelimit $((SECTORS * 512)) src.raw)
loops+=("$p")
mkfs.xfs -q -L root "$p"
mkdir -p mnt
mount "$p" mnt
mkdir -p mnt/etc mnt/bin mnt/sbin
printf 'ID=debian\nVERSION_ID=12\nNAME=Debian\n' > mnt/etc/os-release
printf 'LABEL=root / xfs defaults 0 1\n' > mnt/etc/fstab
umount mnt
losetup -d "$p"

run "$asr" capture -o "$tmp/backup" "$tmp/src.raw"
check "${descs[0]}" 0
[ "$rc" -eq 0 ] || { for d in "${descs[@]:1}"; do skip "$d" "no backup"; done; finish; }

# dblocks of the xfs at the start of partition 1 of FILE, in bytes
xfs_bytes() {
  local l out
  l=$(losetup -f --show -r -o $((2048 * 512)) "$1")
  out=$(xfs_db -r -c 'sb 0' -c 'p dblocks' -c 'p blocksize' "$l") || true
  losetup -d "$l"
  awk '/^dblocks/ { d = $3 } /^blocksize/ { b = $3 } END { print d * b }' <<<"$out"
}
before=$(xfs_bytes src.raw)

# A disk 256 MiB larger, as a loop device.
truncate -s $(((2048 + SECTORS) * 512 + 256 * 1024 * 1024)) dev.raw
dev=$(losetup -f --show dev.raw)
loops+=("$dev")
LIBGUESTFS_PATH=/nonexistent run "$asr" restore --yes --grow --mount-to-grow "$tmp/backup" "$dev"
check "${descs[1]}" 0
if grep -q 'with the host tools' <<<"$err" && ! grep -qi 'with the appliance' <<<"$err"; then
  pass "${descs[2]}"
else fail "${descs[2]}" "$err"; fi
after=$(xfs_bytes dev.raw)
if [ -n "$before" ] && [ "$after" -gt $((before + 200 * 1024 * 1024)) ]; then
  pass "${descs[3]} ($before -> $after bytes)"
else fail "${descs[3]}" "before $before, after $after bytes"; fi
if [ -z "$(losetup -n -j dev.raw | grep -v "^$dev:")" ]; then pass "${descs[4]}"
else fail "${descs[4]}" "$(losetup -l)"; fi

# Without --mount-to-grow: the appliance, which cannot start here.
LIBGUESTFS_PATH=/nonexistent run "$asr" restore --yes --grow "$tmp/backup" "$dev"
if [ "$rc" -ne 0 ] && grep -q 'with the appliance (xfs grows only mounted, and without --mount-to-grow' <<<"$err" \
   && grep -q 'cannot find any suitable libguestfs' <<<"$err"; then
  pass "${descs[5]} (exit $rc)"
else fail "${descs[5]}" "exit $rc" "$err"; fi
run "$asr" probe "$dev"
check "${descs[6]}" 0 '<incomplete/>'

finish
