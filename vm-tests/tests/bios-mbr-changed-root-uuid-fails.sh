#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bios-mbr-changed-root-uuid-fails.sh: negative control.  With the root
# filesystem's UUID changed (tune2fs -U, through libguestfs on an overlay),
# as a restore that made a new filesystem would leave it, the initramfs
# cannot find root=UUID=... and prints the machine's FAILED line; boot-check
# must stop on it and report it.
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img guestfish
load_machine bios-mbr

new_uuid=0badc0de-0000-4000-8000-000000000002
disk=$(overlay "$SYSTEM_IMAGE" system)
guestfish --rw --no-progress-bars --format=qcow2 -a "$disk" <<EOF_GF >/dev/null || bail_out "guestfish set-uuid failed"
run
# tune2fs -U on a metadata_csum filesystem wants a fresh check first.
e2fsck-f /dev/sda2
set-uuid /dev/sda2 $new_uuid
EOF_GF

BOOT_ARGS=(--firmware bios --timeout 60)
boot "$disk" "$DATA_IMAGE"
assert "boot-check says not booted (exit 1)" [ "$BOOT_RC" -eq 1 ]
assert "reason: the machine's FAILED line, root UUID not found" \
  result_is "^boot-check: not booted: machine-failed: asr-test-machine: bios-mbr fstab FAILED: root UUID=$SYSTEM_P2_UUID not found\$"
assert "the kernel was booted with the recorded root UUID" console_has "root=UUID=$SYSTEM_P2_UUID"
assert "no result line claims a boot" eval '! console_has "booted bios-mbr"'
finish
