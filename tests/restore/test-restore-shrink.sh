#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# restore --shrink of a FAT volume (docs/asr-restore.1, DISKS OF OTHER
# SIZES): a GPT disk with an ESP (FAT32, 64 MiB, a few files, one hidden
# and system), / (ext4) and swap after it, restored with
# --shrink=/boot/efi onto a disk 24 MiB smaller.  The ESP is recreated at
# 46 MiB with its volume id, label and FAT size, its files and their
# attributes copied; / and swap move towards the start, whole.  The plan
# shows the layout first; a disk too small for the ESP's data is blocked.
# --shrink=/boot/efi,/ onto a disk smaller still: the ESP gives what it
# can, / (ext4, shrunk in a private copy) the rest.
# One capture (an appliance launch); the FAT work needs no appliance.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"
. "$ASR_SOURCE_ROOT/tests/lib/layout.sh"

asr=${ASR:?}
need sfdisk mkfs.vfat mkfs.ext4 mkswap mcopy mattrib blkid qemu-storage-daemon fusermount3 \
  e2fsck debugfs
[ -c /dev/fuse ] || { echo "1..0 # SKIP no /dev/fuse (--shrink exports images with FUSE)"; exit 0; }
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg ASR_ACCEL=tcg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export MTOOLS_SKIP_CHECK=1

plan 17

# --- the machine: ESP p1 (2048 + 131072), / p2 (133120 + 81920), swap p3
# (215040 + 16384), on 120 MiB (245760 sectors); no appliance
mkdir -p esp/EFI/BOOT esp/EFI/debian root/etc root/bin root/sbin
head -c 300000 /dev/urandom > esp/EFI/BOOT/BOOTX64.EFI
head -c 200000 /dev/urandom > esp/EFI/debian/grubx64.efi
printf 'timeout 3\n' > esp/loader.conf
printf 'hidden\n' > esp/HIDDEN.SYS
printf 'ID=debian\nVERSION_ID=12\nNAME=Debian\n' > root/etc/os-release
printf 'UUID=A5B1-E0F1 /boot/efi vfat umask=0077 0 1\nLABEL=root / ext4 defaults 0 1\nLABEL=swap none swap sw 0 0\n' \
  > root/etc/fstab
truncate -s 64M esp.img
mkfs.vfat -F 32 -i A5B1E0F1 -n ESP esp.img >/dev/null
mcopy -s -p -m -i esp.img esp/EFI esp/loader.conf esp/HIDDEN.SYS ::/
mattrib -i esp.img +h +s ::/HIDDEN.SYS
truncate -s 40M root.img
mkfs.ext4 -q -L root -d root root.img
truncate -s 8M swap.img
mkswap -q -L swap swap.img
truncate -s 120M sys.raw
printf 'label: gpt\nlabel-id: 5E1F2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B\n%s\n%s\n%s\n' \
  'start=2048, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B' \
  'start=133120, size=81920, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4' \
  'start=215040, size=16384, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F' \
  | sfdisk -q --no-reread --no-tell-kernel sys.raw >/dev/null
dd if=esp.img of=sys.raw bs=512 seek=2048 conv=notrunc status=none
dd if=root.img of=sys.raw bs=512 seek=133120 conv=notrunc status=none
dd if=swap.img of=sys.raw bs=512 seek=215040 conv=notrunc status=none

run "$asr" capture -o "$tmp/backup" "$tmp/sys.raw"
check "capture of a GPT disk: ESP, / and swap" 0
[ "$rc" -eq 0 ] || { finish; exit 1; }

# --- onto 96 MiB (196608 sectors, 196575 before GPT's backup): what ends
# at 231424 must end there, so the ESP gives up 18 whole MiB (36864)
truncate -s 96M small.raw
run "$asr" plan --shrink=/boot/efi "$tmp/backup" "$tmp/small.raw"
check "plan --shrink=/boot/efi: the ESP shrinks, / and swap move" 0 \
  'disk0 +1 +2048 +→ 2048 +131072 +→ 94208 +shrinks'
run "$asr" restore --yes --shrink=/boot/efi "$tmp/backup" "$tmp/small.raw"
check "restore --shrink=/boot/efi onto a disk 24 MiB smaller" 0 '' \
  'partition 1: its FAT32 recreated with 48234496 bytes and its files copied'
layout=$(partition_layout small.raw)
want="1 2048 94208 2 96256 81920 3 178176 16384 "
[ "$layout" = "$want" ] && pass "the ESP shrank, / and swap moved towards the start ($layout)" \
  || fail "the ESP shrank, / and swap moved towards the start" "got:  $layout" "want: $want"

esp=$(blkid -p -o export -O $((2048 * 512)) small.raw | grep -E '^(UUID|LABEL|VERSION)=' | sort | tr '\n' ' ')
[ "$esp" = "LABEL=ESP UUID=A5B1-E0F1 VERSION=FAT32 " ] \
  && pass "the ESP keeps its volume id, label and FAT size ($esp)" \
  || fail "the ESP keeps its volume id, label and FAT size" "$esp"
mkdir out
mcopy -s -p -m -n -i "small.raw@@$((2048 * 512))" '::/*' out/
diff -r esp out >diff.out 2>&1 && pass "every file of the ESP is copied, byte for byte" \
  || fail "every file of the ESP is copied, byte for byte" "$(head -20 diff.out)"
attrs=$(mattrib -i "small.raw@@$((2048 * 512))" ::/HIDDEN.SYS | tr -s ' ')
case "$attrs" in
  *S*H*::/HIDDEN.SYS*) pass "attributes are kept (hidden, system: $attrs)" ;;
  *) fail "attributes are kept (hidden, system)" "$attrs" ;;
esac

l=$(losetup -f --show -o $((96256 * 512)) --sizelimit $((81920 * 512)) small.raw)
root_ok=$(e2fsck -fn "$l" >/dev/null 2>&1 && debugfs -R 'cat /etc/os-release' "$l" 2>/dev/null | head -1)
losetup -d "$l"
swap=$(blkid -p -o value -s UUID -O $((178176 * 512)) small.raw)
[ "$root_ok" = "ID=debian" ] && [ "$swap" = "$(blkid -p -o value -s UUID swap.img)" ] \
  && pass "/ is whole and clean at its new place; swap is there with its UUID" \
  || fail "/ is whole and clean at its new place; swap is there with its UUID" "root: $root_ok" "swap: $swap"

# --- several volumes: onto 76 MiB (155615 sectors before GPT's backup)
# the disk lacks 38 whole MiB; the ESP gives what FAT32's minimum (36 MiB)
# leaves, 28 MiB, and / (ext4) the other 10
truncate -s 76M two.raw
run "$asr" plan --shrink=/boot/efi,/ -o "$tmp/plan.xml" "$tmp/backup" "$tmp/two.raw"
check "plan --shrink=/boot/efi,/ -o: the plan records each one's minimum" 0
grep -Eq '<partition number="1" .* min-bytes="37748736"/>' plan.xml \
  && grep -Eq '<partition number="2" .* min-bytes="[0-9]+"/>' plan.xml \
  && pass "... the ESP's (FAT32: 36 MiB) and /'s, as min-bytes" \
  || fail "... the ESP's (FAT32: 36 MiB) and /'s, as min-bytes" "$(grep '<partition' plan.xml)"
run "$asr" restore --yes --plan "$tmp/plan.xml" "$tmp/backup" "$tmp/two.raw"
check "restore --plan onto a disk 44 MiB smaller: the ESP, then /" 0 '' \
  'partition 2: its ext4 shrunk to 31457280 bytes'
layout=$(partition_layout two.raw)
want="1 2048 73728 2 75776 61440 3 137216 16384 "
[ "$layout" = "$want" ] && grep -q 'partition 1: its FAT32 recreated with 37748736 bytes' <<<"$err" \
  && pass "both shrank, swap moved by what both gave ($layout)" \
  || fail "both shrank, swap moved by what both gave" "got:  $layout" "want: $want"
rm -rf out2 && mkdir out2
mcopy -s -p -m -n -i "two.raw@@$((2048 * 512))" '::/*' out2/
l=$(losetup -f --show -o $((75776 * 512)) --sizelimit $((61440 * 512)) two.raw)
root_ok=$(e2fsck -fn "$l" >/dev/null 2>&1 && debugfs -R 'cat /etc/os-release' "$l" 2>/dev/null | head -1)
losetup -d "$l"
diff -r esp out2 >diff2.out 2>&1 && [ "$root_ok" = "ID=debian" ] \
  && pass "the ESP's files are all there, / is whole and clean" \
  || fail "the ESP's files are all there, / is whole and clean" "root: $root_ok" "$(head -20 diff2.out)"

# --- a disk that leaves the ESP less than its data and FAT32's minimum
truncate -s 70M tiny.raw
before=$(sha256sum tiny.raw)
run "$asr" restore --yes --shrink=/boot/efi "$tmp/backup" "$tmp/tiny.raw"
check "a disk too small for the ESP's data is blocked by the plan, saying by how much" 1 \
  'the target is short by [0-9]+ bytes' 'the plan is blocked: nothing was written'
[ "$(sha256sum tiny.raw)" = "$before" ] && pass "... and the disk is unchanged" \
  || fail "... and the disk is unchanged"

# --- onto a block device (a loop device over 96 MiB), where no appliance
# can start: the ESP recreated and / moved as above, swap recreated at its
# new place by the host's mkswap
truncate -s 96M dev.raw
if loop=$(losetup -f --show dev.raw 2>losetup.err); then
  run env LIBGUESTFS_PATH="$tmp/no-appliance" "$asr" restore --yes --shrink=/boot/efi "$tmp/backup" "$loop"
  check "restore --shrink=/boot/efi onto a loop device, no appliance possible" 0 '' \
    'partition 1: its FAT32 recreated with 48234496 bytes'
  losetup -d "$loop"
  layout=$(partition_layout dev.raw)
  rm -rf out3 && mkdir out3
  mcopy -s -p -m -n -i "dev.raw@@$((2048 * 512))" '::/*' out3/
  swap=$(blkid -p -o value -s UUID -O $((178176 * 512)) dev.raw)
  [ "$layout" = "1 2048 94208 2 96256 81920 3 178176 16384 " ] && diff -r esp out3 >/dev/null \
    && [ "$swap" = "$(blkid -p -o value -s UUID swap.img)" ] \
    && pass "the loop device holds the shrunk layout, the ESP's files, swap with its UUID" \
    || fail "the loop device holds the shrunk layout, the ESP's files, swap with its UUID" \
      "layout: $layout" "swap: $swap"
else
  skip "restore --shrink=/boot/efi onto a loop device, no appliance possible" "losetup: $(cat losetup.err)"
  skip "the loop device holds the shrunk layout, the ESP's files, swap with its UUID" "no loop device"
fi

finish
