#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# rhel-like-boots.sh: the rhel-like machine (the layout of a RHEL server)
# boots under SeaBIOS through GRUB (boot.img in the MBR, core.img in the
# gap, /boot on xfs) to its result line, with its root on an LVM logical
# volume found by UUID and swap on another; and the image carries the
# identities machines/rhel-like.env fixes, read back in a read-only
# libguestfs appliance (PV, VG and LV UUIDs, filesystem UUIDs and labels,
# LV sizes) and with sfdisk (disk signature).
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img guestfish sfdisk
load_machine rhel-like

BOOT_ARGS=(--firmware bios --timeout 150)
boot "$SYSTEM_IMAGE"
assert "boot-check says booted (exit 0)" [ "$BOOT_RC" -eq 0 ]
assert "result line: booted rhel-like, fstab ok" result_is '^boot-check: booted: asr-test-machine: booted rhel-like, fstab ok'
assert "GRUB's boot.img loaded its core.img" console_has '^GRUB loading'
# GRUB's own menu text reaches the serial port only through SeaBIOS's
# copy of the screen, which misses it at times; the kernel prints its
# command line on ttyS0 itself, and BOOT_IMAGE= is what GRUB's `linux`
# command puts first: proof that GRUB read grub.cfg from the xfs /boot.
assert "GRUB read its grub.cfg from the xfs /boot" console_has "Command line: BOOT_IMAGE=/vmlinuz-[^ ]+ console=ttyS0,115200 .*asr\.machine=rhel-like"
assert "the root (an LV) was found by its UUID" console_has "^asr-test-machine: / UUID=$VG0_ROOT_FS_UUID on /dev/dm-[0-9]+\$"
assert "/boot (xfs) mounted by UUID" console_has "^asr-test-machine: /boot UUID=$SYSTEM_P1_UUID on /dev/vda1\$"
assert "swap (an LV) found by UUID" console_has "^asr-test-machine: swap UUID=$VG0_SWAP_FS_UUID on /dev/dm-[0-9]+\$"
assert "login: after the result line" console_order '^asr-test-machine: booted rhel-like, fstab ok' '^login:'

# The identities, as LVM and the filesystems report them: one read-only
# appliance, one answer per line.
got=$TEST_TMP/identities
if guestfish --ro --no-progress-bars --format=raw -a "$SYSTEM_IMAGE" >"$got" 2>"$TEST_TMP/guestfish.err" <<EOF_GF
run
pvuuid /dev/sda2
vguuid $VG0_NAME
lvuuid /dev/$VG0_NAME/root
lvuuid /dev/$VG0_NAME/swap
blockdev-getsize64 /dev/$VG0_NAME/root
blockdev-getsize64 /dev/$VG0_NAME/swap
vfs-type /dev/sda1
vfs-uuid /dev/sda1
vfs-label /dev/sda1
vfs-type /dev/$VG0_NAME/root
vfs-uuid /dev/$VG0_NAME/root
vfs-label /dev/$VG0_NAME/root
vfs-type /dev/$VG0_NAME/swap
vfs-uuid /dev/$VG0_NAME/swap
vfs-label /dev/$VG0_NAME/swap
EOF_GF
then
  pass "guestfish reads the LVM and filesystem identities"
else
  fail "guestfish reads the LVM and filesystem identities"
  diag "$(cat "$TEST_TMP/guestfish.err")"
fi
mapfile -t a <"$got"
# identity WHAT WANT GOT: one test point.  Compared exactly: LVM's UUIDs
# mix cases, and libguestfs prints the others as the record spells them.
identity() {
  if [ "$2" = "$3" ]; then
    pass "$1: $2"
  else
    fail "$1: want $2"
    diag "got: ${3:-nothing}"
  fi
}
identity "PV UUID" "$SYSTEM_P2_UUID" "${a[0]:-}"
identity "VG $VG0_NAME UUID" "$VG0_UUID" "${a[1]:-}"
identity "LV root UUID" "$VG0_ROOT_UUID" "${a[2]:-}"
identity "LV swap UUID" "$VG0_SWAP_UUID" "${a[3]:-}"
identity "LV root size" "$VG0_ROOT_SIZE" "${a[4]:-}"
identity "LV swap size" "$VG0_SWAP_SIZE" "${a[5]:-}"
identity "/boot type" "$SYSTEM_P1_FS" "${a[6]:-}"
identity "/boot UUID" "$SYSTEM_P1_UUID" "${a[7]:-}"
identity "/boot label" "$SYSTEM_P1_LABEL" "${a[8]:-}"
identity "root type" "$VG0_ROOT_FS" "${a[9]:-}"
identity "root UUID" "$VG0_ROOT_FS_UUID" "${a[10]:-}"
identity "root label" "$VG0_ROOT_LABEL" "${a[11]:-}"
identity "swap type" "$VG0_SWAP_FS" "${a[12]:-}"
identity "swap UUID" "$VG0_SWAP_FS_UUID" "${a[13]:-}"
identity "swap label" "$VG0_SWAP_LABEL" "${a[14]:-}"

# The disk signature and the partitions, from the table itself.
dump=$(sfdisk --dump "$SYSTEM_IMAGE")
identity "disk signature" "$SYSTEM_MBR_SIGNATURE" "$(sed -n 's/^label-id: //p' <<<"$dump")"
identity "p1 start, size, type" "$SYSTEM_P1_START $SYSTEM_P1_SECTORS ${SYSTEM_P1_TYPE#0x}" \
  "$(sed -nE 's/^[^ ]+1 : start= *([0-9]+), size= *([0-9]+), type=([0-9a-f]+).*/\1 \2 \3/p' <<<"$dump")"
identity "p2 start, size, type" "$SYSTEM_P2_START $SYSTEM_P2_SECTORS ${SYSTEM_P2_TYPE#0x}" \
  "$(sed -nE 's/^[^ ]+2 : start= *([0-9]+), size= *([0-9]+), type=([0-9a-f]+).*/\1 \2 \3/p' <<<"$dump")"
finish
