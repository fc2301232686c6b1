#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# restore --shrink of xfs (docs/asr-restore.1, DISKS OF OTHER SIZES): an
# MBR disk with /boot (xfs, 512 MiB, GRUB 2.06's features: no bigtime, no
# inobtcount; files, a hard link, a symbolic link, an extended attribute)
# and / (ext4) after it, restored with --shrink=/boot onto a disk 160 MiB
# smaller.  xfs cannot shrink: it is recreated at 359 MiB with its UUID,
# label and features, and its files copied in the appliance; / moves
# towards the start, whole.  A target that leaves /boot under mkfs.xfs's
# 300 MB is blocked, saying by how much; without an appliance the plan
# refuses, naming it.  Two appliance launches (capture, the copy).
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"
. "$ASR_SOURCE_ROOT/tests/lib/layout.sh"

asr=${ASR:?}
need sfdisk mkfs.xfs xfs_db mkfs.ext4 debugfs e2fsck losetup mount getfattr setfattr \
  qemu-storage-daemon fusermount3
[ -c /dev/fuse ] || skip_all "no /dev/fuse (--shrink exports images with FUSE)"
[ "$(id -u)" -eq 0 ] || skip_all "the source xfs is filled through a loop mount, which needs root"
grep -qw xfs /proc/filesystems || modprobe xfs 2>/dev/null || skip_all "this kernel has no xfs"
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg ASR_ACCEL=tcg
tmp=$(mktemp -d)
loops=()
cleanup() {
  mountpoint -q "$tmp/mnt" && umount "$tmp/mnt"
  for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
mkdir mnt

plan 12

# --- the machine: /boot p1 (2048 + 1048576, xfs), / p2 (1050624 + 81920,
# ext4) on 560 MiB (1146880 sectors); no appliance
uuid=7b1c6a52-3f0e-4d8b-9a41-2c5e8d0f9b13
truncate -s 512M boot.img
mkfs.xfs -q -m uuid=$uuid,bigtime=0,inobtcount=0 -L boot boot.img
mount -o loop boot.img mnt
mkdir -p mnt/grub2/i386-pc mnt/loader/entries
head -c 3000000 /dev/urandom > mnt/vmlinuz-6.1.0-asr
head -c 9000000 /dev/urandom > mnt/initrd.img-6.1.0-asr
head -c 40000 /dev/urandom > mnt/grub2/i386-pc/normal.mod
printf 'set timeout=3\n' > mnt/grub2/grub.cfg
ln mnt/vmlinuz-6.1.0-asr mnt/vmlinuz
ln -s vmlinuz-6.1.0-asr mnt/vmlinuz.old
setfattr -n user.asr -v kept mnt/grub2/grub.cfg
chmod 0600 mnt/initrd.img-6.1.0-asr
touch -d '2024-02-29 12:00:00' mnt/grub2/grub.cfg
(cd mnt && find . -printf '%p %y %m %n %s %T@ %l\n' | sort) > want.list
(cd mnt && find . -type f -exec sha256sum {} + | sort -k2) > want.sums
umount mnt
mkdir -p root/etc root/bin root/sbin
printf 'ID=debian\nVERSION_ID=12\nNAME=Debian\n' > root/etc/os-release
printf 'LABEL=root / ext4 defaults 0 1\nUUID=%s /boot xfs defaults 0 2\n' $uuid > root/etc/fstab
truncate -s 40M root.img
mkfs.ext4 -q -L root -d root root.img
truncate -s 560M sys.raw
printf 'label: dos\nlabel-id: 0x5eedb007\n%s\n%s\n' \
  'start=2048, size=1048576, type=83, bootable' 'start=1050624, size=81920, type=83' \
  | sfdisk -q --no-reread --no-tell-kernel sys.raw >/dev/null
dd if=boot.img of=sys.raw bs=512 seek=2048 conv=notrunc status=none
dd if=root.img of=sys.raw bs=512 seek=1050624 conv=notrunc status=none
features() {
  xfs_db -r -c 'sb 0' -c 'p versionnum features2 features_compat features_ro_compat features_incompat blocksize sectsize inodesize dirblklog uuid fname' "$1" \
    | tr '\n' ' '
}
want_features=$(features boot.img)

run "$asr" capture -o "$tmp/backup" "$tmp/sys.raw"
check "capture of an MBR disk: /boot (xfs) and / (ext4)" 0
[ "$rc" -eq 0 ] || { finish; exit 1; }

# --- onto 400 MiB (819200 sectors): what ends at 1132544 must end by
# 819200, so /boot gives up 153 whole MiB (313344 sectors)
truncate -s 400M small.raw
run "$asr" plan --shrink=/boot "$tmp/backup" "$tmp/small.raw"
check "plan --shrink=/boot: /boot's xfs shrinks, / moves" 0 \
  'disk0 +1 +2048 +→ 2048 +1048576 +→ 735232 +shrinks'
run "$asr" restore --yes --shrink=/boot "$tmp/backup" "$tmp/small.raw"
check "restore --shrink=/boot onto a disk 160 MiB smaller" 0 '' \
  'partition 1: its xfs recreated with 376438784 bytes and its files copied'
layout=$(partition_layout small.raw)
want="1 2048 735232 2 737280 81920 "
[ "$layout" = "$want" ] && pass "/boot shrank, / moved towards the start ($layout)" \
  || fail "/boot shrank, / moved towards the start" "got:  $layout" "want: $want"

l=$(losetup -f --show -r -o $((2048 * 512)) --sizelimit $((735232 * 512)) small.raw)
loops+=("$l")
got_features=$(features "$l")
[ "$got_features" = "$want_features" ] \
  && pass "the xfs keeps its UUID, label, geometry and features ($got_features)" \
  || fail "the xfs keeps its UUID, label, geometry and features" "got:  $got_features" "want: $want_features"
if xfs_repair -n "$l" >repair.out 2>&1; then pass "xfs_repair -n finds the recreated xfs clean"
else fail "xfs_repair -n finds the recreated xfs clean" "$(tail -n 20 repair.out)"; fi
mount -o ro "$l" mnt
(cd mnt && find . -printf '%p %y %m %n %s %T@ %l\n' | sort) > got.list
(cd mnt && find . -type f -exec sha256sum {} + | sort -k2) > got.sums
xattr=$(getfattr --only-values -n user.asr mnt/grub2/grub.cfg 2>&1 || true)
umount mnt
if diff want.list got.list >diff.out && diff want.sums got.sums >>diff.out; then
  pass "every file is copied: contents, modes, hard links, symbolic links, times"
else
  fail "every file is copied: contents, modes, hard links, symbolic links, times" "$(head -n 20 diff.out)"
fi
[ "$xattr" = kept ] && pass "extended attributes are copied" \
  || fail "extended attributes are copied" "user.asr: $xattr"

r=$(losetup -f --show -r -o $((737280 * 512)) --sizelimit $((81920 * 512)) small.raw)
loops+=("$r")
root_ok=$(e2fsck -fn "$r" >/dev/null 2>&1 && debugfs -R 'cat /etc/os-release' "$r" 2>/dev/null | head -n 1)
[ "$root_ok" = "ID=debian" ] && pass "/ is whole and clean at its new place" \
  || fail "/ is whole and clean at its new place" "got: $root_ok"

# --- 320 MiB leaves /boot 279 MiB: under the 300 MB mkfs.xfs makes
truncate -s 320M tiny.raw
before=$(sha256sum tiny.raw)
run "$asr" restore --yes --shrink=/boot "$tmp/backup" "$tmp/tiny.raw"
check "a disk that leaves /boot under 300 MB is blocked by the plan, saying by how much" 1 \
  'the target is short by [0-9]+ bytes' 'the plan is blocked: nothing was written'

# --- no appliance (a rescue medium): the plan refuses to shrink xfs
run env LIBGUESTFS_PATH="$tmp/no-appliance" "$asr" plan --shrink=/boot "$tmp/backup" "$tmp/tiny.raw"
check "without an appliance the plan refuses to shrink xfs, naming why" 1 \
  'xfs cannot shrink: .*libguestfs appliance, and this host has none'
[ "$(sha256sum tiny.raw)" = "$before" ] && pass "... and the disk is unchanged" \
  || fail "... and the disk is unchanged"

finish
