#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# btrfs-wrong-subvolume-fails.sh: negative, the btrfs machine does not
# boot with the wrong subvolume at a mount point, and says why.  Two
# overlays, changed in one appliance launch: without rootflags= on the
# kernel command line the initramfs mounts the top level, which has no
# /sbin/init; with fstab mounting @ at /home, machine-init finds @'s
# marker ("/") there.
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img guestfish
load_machine btrfs

no_flags=$(overlay "$SYSTEM_IMAGE" no-rootflags)
wrong_home=$(overlay "$SYSTEM_IMAGE" wrong-home)
t=$TEST_TMP
guestfish --rw --no-progress-bars <<EOF_GF >/dev/null || bail_out "guestfish could not change the overlays"
add-drive $no_flags format:qcow2
add-drive $wrong_home format:qcow2
run
mount /dev/sda1 /
download /extlinux.conf $t/extlinux.conf
!sed 's/ rootflags=[^ ]*//' $t/extlinux.conf >$t/extlinux.conf.new
upload $t/extlinux.conf.new /extlinux.conf
umount-all
mount-options subvol=@ /dev/sdb2 /
download /etc/fstab $t/fstab
!sed 's/ subvol=@home / subvol=@ /' $t/fstab >$t/fstab.new
upload $t/fstab.new /etc/fstab
umount-all
EOF_GF
# The edits must have changed something, or the boots below prove nothing.
assert "rootflags= dropped from the kernel command line" \
  eval '! cmp -s "$t/extlinux.conf" "$t/extlinux.conf.new" && ! grep -q rootflags= "$t/extlinux.conf.new"'
assert "fstab mounts @ at /home" grep -Eq '^UUID=[^ ]+ /home btrfs subvol=@ ' "$t/fstab.new"

BOOT_ARGS=(--firmware bios --timeout 60)
boot "$no_flags"
assert "without rootflags=: not booted (exit 1)" [ "$BOOT_RC" -eq 1 ]
assert "without rootflags=: the top level has no /sbin/init" \
  result_is "^boot-check: not booted: machine-failed: asr-test-machine: btrfs fstab FAILED: root UUID=$SYSTEM_P2_UUID \(/dev/vda2\) has no /sbin/init\$"

boot "$wrong_home"
assert "@ at /home: not booted (exit 1)" [ "$BOOT_RC" -eq 1 ]
assert "@ at /home: its marker names /" \
  result_is "^boot-check: not booted: machine-failed: asr-test-machine: btrfs fstab FAILED: /home: wrong volume \(its .asr-volume marker says '/'\)\$"
assert "the root subvolume was right: / was checked first" console_has "^asr-test-machine: / UUID=$SYSTEM_P2_UUID on /dev/vda2"
finish
