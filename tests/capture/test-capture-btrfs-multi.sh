#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A root on a btrfs filesystem that spans two disks is refused, naming the
# partition and the number of devices, and nothing is written.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
need guestfish
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

plan 2
truncate -s 320M "$tmp/a.raw" "$tmp/b.raw"
if ! guestfish --format=raw -a "$tmp/a.raw" -a "$tmp/b.raw" >"$tmp/gf.log" 2>&1 <<'GF'
run
part-disk /dev/sda mbr
part-disk /dev/sdb mbr
mkfs-btrfs "/dev/sda1 /dev/sdb1" datatype:single metadata:raid1
mount /dev/sda1 /
mkdir /etc
mkdir /bin
mkdir /sbin
write /etc/os-release "ID=debian\nVERSION_ID=12\nNAME=asr test\n"
write /etc/fstab "/dev/sda1 / btrfs defaults 0 0\n"
GF
then
  bail_out "building the two-disk btrfs failed: $(tail -n 3 "$tmp/gf.log" | tr '\n' ' ')"
fi
mkdir "$tmp/out"
run "$asr" capture -o "$tmp/out/backup" "$tmp/a.raw" "$tmp/b.raw"
check "a root on a two-disk btrfs is refused (exit 2), naming it" 2 '' \
  'the root filesystem is one btrfs on 2 devices \(/dev/sda1, /dev/sdb1\): multi-device btrfs is not supported yet'
if [ -z "$(ls -A "$tmp/out")" ]; then pass "nothing left behind"
else fail "nothing left behind" "$(ls -la "$tmp/out")"; fi
finish
