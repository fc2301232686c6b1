#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A machine whose / is an LVM logical volume is refused, naming the device
# and what was found, and nothing is written.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/cli/tap.sh"

asr=${ASR:?}
need guestfish
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

plan 3

truncate -s 256M "$tmp/lvm.raw"
if ! guestfish --format=raw -a "$tmp/lvm.raw" >"$tmp/gf.log" 2>&1 <<'GF'
run
part-disk /dev/sda mbr
pvcreate /dev/sda1
vgcreate vg0 /dev/sda1
lvcreate root vg0 128
mkfs ext4 /dev/vg0/root
mount /dev/vg0/root /
mkdir /etc
mkdir /bin
mkdir /sbin
write /etc/os-release "ID=debian\nVERSION_ID=12\nNAME=asr test\n"
write /etc/fstab "/dev/vg0/root / ext4 defaults 0 1\n"
write /etc/hostname "lvm\n"
GF
then
  echo "1..0 # SKIP cannot build an LVM disk here: $(tail -n 2 "$tmp/gf.log")"
  exit 0
fi

mkdir "$tmp/out"
run "$asr" capture -o "$tmp/out/backup" "$tmp/lvm.raw"
check "an LVM root is refused with exit 2" 2 '' 'LVM'
check "the message names the device" 2 '' '/dev/vg0/root'
if [ -z "$(ls -A "$tmp/out")" ]; then pass "nothing left behind"
else fail "nothing left behind" "$(ls -la "$tmp/out")"; fi
finish
