#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Capture of xfs from its own metadata (docs/asr-capture.1, WITHOUT THE
# APPLIANCE and USED DATA), on disks made with host tools (mkfs.xfs -p,
# no mount).  An xfs root beside an ESP is inspected without the
# appliance (LIBGUESTFS_PATH pointing nowhere, with a control that none
# starts there): OS, hostname, architecture and root read from the xfs;
# the ESP, marked dirty, is imaged whole without an appliance either.
# An xfs /srv beside ext4 /boot and /, its free space full of random
# bytes, captured with --include /srv without the appliance: the xfs
# volume is mapped, its image holds /srv's file and not the random free
# space.  With the xfs log left dirty (mounted, shut down; as root) the
# userspace path stands aside: without the appliance capture stops (exit
# 3) naming why, with it the appliance replays the log and the volume is
# mapped all the same.  One appliance launch.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
need qemu-img sfdisk mke2fs mkfs.xfs mkfs.vfat xfs_db guestfish
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg ASR_ACCEL=tcg
tmp=$(mktemp -d)
trap 'umount "$tmp/mnt" 2>/dev/null || true; rm -rf "$tmp"' EXIT
cd "$tmp"

plan 14

# The disk: p1 /boot (16 MiB), p2 / (64 MiB), p3 /srv (xfs, 300 MiB: the
# smallest mkfs.xfs makes).
p3=$((2048 + 32768 + 131072))
d=content
mkdir -p $d/root/etc $d/root/bin $d/root/srv $d/boot
printf 'ID=debian\nVERSION_ID=12\nNAME=Debian\n' > $d/root/etc/os-release
printf 'LABEL=root / ext4 defaults 0 1\nLABEL=boot /boot ext4 defaults 0 2\nLABEL=srv /srv xfs defaults 0 2\n' \
  > $d/root/etc/fstab
printf 'xfs-srv\n' > $d/root/etc/hostname
head -c 3M /dev/urandom > srv-file
printf '/dev/null\n0 0\nd--755 0 0\ndata ---644 0 0 %s\n$\n' "$tmp/srv-file" > proto
truncate -s $(((p3 + 614400) * 512)) disk.raw
printf 'label: dos\nlabel-id: 0x0fa0f5e1\n2048,32768,83,*\n34816,131072,83\n%s,614400,83\n' "$p3" \
  | sfdisk -q disk.raw
mke2fs -q -t ext4 -F -L boot -E offset=$((2048 * 512)) -d $d/boot disk.raw 16M
mke2fs -q -t ext4 -F -L root -E offset=$((34816 * 512)) -d $d/root disk.raw 64M
# /srv's free space holds random bytes (-K: mkfs discards nothing)
head -c 300M /dev/urandom > srv.raw
mkfs.xfs -q -K -L srv -p proto srv.raw
dd if=srv.raw of=disk.raw bs=512 seek=$p3 conv=notrunc status=none

run env LIBGUESTFS_PATH=/nonexistent guestfish -a /dev/null run
check "control: no appliance starts with LIBGUESTFS_PATH=/nonexistent" 1

# An xfs root (p2, 300 MiB) beside a FAT32 ESP (p1, 64 MiB), as a RHEL or
# Rocky cloud image has it: inspected without the appliance, its OS read
# from the xfs.  The ESP is marked dirty, as a crash leaves it.
mkdir -p $d/x
printf 'ID=rocky\nVERSION_ID=9.4\nNAME="Rocky Linux"\n' > $d/x/os-release
printf 'LABEL=root / xfs defaults 0 0\nLABEL=ESP /boot/efi vfat umask=077 0 2\n' > $d/x/fstab
printf 'rocky-xfs\n' > $d/x/hostname
x=$tmp/$d/x
printf '%s\n' /dev/null '0 0' 'd--755 0 0' 'etc d--755 0 0' "fstab ---644 0 0 $x/fstab" \
  "hostname ---644 0 0 $x/hostname" 'os-release l--777 0 0 ../usr/lib/os-release' '$' \
  'usr d--755 0 0' 'lib d--755 0 0' "os-release ---644 0 0 $x/os-release" '$' '$' \
  'bin d--755 0 0' 'dash ---755 0 0 /bin/dash' 'sh l--777 0 0 dash' '$' '$' > xroot.proto
truncate -s $(((133120 + 614400) * 512)) xroot.raw
printf 'label: dos\nlabel-id: 0x0fa0f5e2\n2048,131072,ef,*\n133120,614400,83\n' | sfdisk -q xroot.raw
truncate -s 64M xroot-p1.raw
mkfs.vfat -F 32 -n ESP xroot-p1.raw >/dev/null
printf '\001' | dd of=xroot-p1.raw bs=1 seek=$((0x41)) conv=notrunc status=none # dirty
dd if=xroot-p1.raw of=xroot.raw bs=512 seek=2048 conv=notrunc status=none
truncate -s 300M xroot-p2.raw
mkfs.xfs -q -L root -p xroot.proto xroot-p2.raw
dd if=xroot-p2.raw of=xroot.raw bs=512 seek=133120 conv=notrunc status=none
LIBGUESTFS_PATH=/nonexistent run "$asr" capture -o "$tmp/xroot" xroot.raw
check "an xfs root is inspected without the appliance" 0 '' 'inspected without the appliance'
check "... its ESP, marked dirty, imaged whole" 0 '' \
  'note: disk0 partition 1 \(vfat\): it is marked dirty .*: imaged whole'
if grep -q '<os name="rocky" version="9.4" hostname="rocky-xfs"/>' xroot/machine.xml \
  && grep -q 'fs="xfs".*label="root".*mountpoint="/"' xroot/machine.xml \
  && grep -q 'fs="vfat".*label="ESP".*mountpoint="/boot/efi"' xroot/machine.xml \
  && grep -q '<architecture>x86_64</architecture>' xroot/machine.xml; then
  pass "its OS, hostname, architecture and root read from the xfs"
else
  fail "its OS, hostname, architecture and root read from the xfs" "$(cat xroot/machine.xml)"
fi

LIBGUESTFS_PATH=/nonexistent run "$asr" capture --include /srv -o "$tmp/clean" disk.raw
check "an xfs /srv is captured without the appliance" 0 '' \
  'disk0 partition 3 \(xfs\): used blocks read from its metadata'
if grep -q 'fs="xfs".*label="srv".*mountpoint="/srv"' clean/machine.xml; then
  pass "the descriptor names the xfs volume and its mountpoint"
else
  fail "the descriptor names the xfs volume and its mountpoint" "$(grep '<volume' clean/machine.xml)"
fi

# 300 MiB of random free space is not in the image: about 3 MiB of file,
# the log and the metadata are
img=$(find clean -name 'disk0-p3*.qcow2')
alloc=$(qemu-img info --output=json "$img" | sed -n 's/.*"actual-size": \([0-9]*\).*/\1/p')
if [ -n "$alloc" ] && [ "$alloc" -lt $((40 * 1024 * 1024)) ]; then
  pass "the xfs image leaves the free space out ($alloc bytes on disk)"
else
  fail "the xfs image leaves the free space out" "actual size: ${alloc:-unknown}"
fi
qemu-img convert -O raw "$img" p3.raw
run xfs_db -r -c 'ls /' p3.raw
check "the image is an xfs holding /srv's file" 0 ' data '

if [ "$(id -u)" -ne 0 ]; then
  for t in "the file reads back" "a dirty log: without the appliance, stopped" \
    "a dirty log: its reason" "a dirty log: with the appliance, captured" \
    "a dirty log: mapped after the replay" \
    "a dirty log: the file reads back, and the one written before the shutdown"; do
    skip "$t" "mounting a loop device needs root"
  done
  finish
fi

mkdir mnt
mount -o loop,ro p3.raw mnt
if cmp -s mnt/data srv-file; then pass "the file reads back"
else fail "the file reads back" "mnt/data differs from what mkfs.xfs -p put there"; fi
umount mnt

# The log left dirty: mounted, written, shut down without an unmount record.
loop=$(losetup -f --show -o $((p3 * 512)) --sizelimit $((614400 * 512)) disk.raw)
mount "$loop" mnt
echo later > mnt/later
sync
xfs_io -x -c 'shutdown -f' mnt
umount mnt
losetup -d "$loop"

LIBGUESTFS_PATH=/nonexistent run "$asr" capture --include /srv -o "$tmp/dirty" disk.raw
check "a dirty log: without the appliance, stopped" 3
check "a dirty log: its reason" 3 '' 'partition 3 \(xfs\): its log is not clean'

run "$asr" capture --include /srv -o "$tmp/replayed" disk.raw
check "a dirty log: with the appliance, captured" 0
check "a dirty log: mapped after the replay" 0 '' \
  'disk0 partition 3 \(xfs\): used blocks read from its metadata'
qemu-img convert -O raw "$(find replayed -name 'disk0-p3*.qcow2')" p3r.raw
mount -o loop,ro p3r.raw mnt
if [ "$(cat mnt/later)" = later ] && cmp -s mnt/data srv-file; then
  pass "a dirty log: the file reads back, and the one written before the shutdown"
else
  fail "a dirty log: the file reads back, and the one written before the shutdown" "$(ls -la mnt)"
fi
umount mnt
finish
