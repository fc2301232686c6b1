#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bios-mbr-zeroed-boot-code-does-not-boot.sh: negative control.  With the
# MBR's 440 bytes of boot code zeroed (signature and partition table kept,
# as a restore that forgot the boot area would leave them), SeaBIOS jumps
# into zeros and nothing more happens: boot-check must call that a timeout,
# never a boot.  The timeout is short: a good boot prints its result line
# in about 8 s.
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img qemu-io
load_machine bios-mbr

disk=$(overlay "$SYSTEM_IMAGE" system)
qemu-io -f qcow2 -c "write -z 0 440" "$disk" >/dev/null || bail_out "qemu-io write failed"
assert "the overlay's boot code is zero" eval 'qemu-io -f qcow2 -c "read -P 0 0 440" "$disk" >/dev/null'
assert "the overlay keeps the MBR signature 55aa" \
  eval 'qemu-io -f qcow2 -c "read -P 0x55 510 1" -c "read -P 0xaa 511 1" "$disk" | grep -c "^read" | grep -qx 2'
assert "the base image still has syslinux's boot code" cmp -s -n 440 "$SYSTEM_IMAGE" /usr/lib/syslinux/mbr/mbr.bin

BOOT_ARGS=(--firmware bios --timeout 25)
boot "$disk" "$DATA_IMAGE"
assert "boot-check says not booted (exit 1)" [ "$BOOT_RC" -eq 1 ]
assert "reason: timeout" result_is '^boot-check: not booted: timeout: '
assert "SeaBIOS tried the disk" console_has '^Booting from Hard Disk'
assert "no boot loader ran" eval '! console_has SYSLINUX'
finish
