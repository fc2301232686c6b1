#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# uefi-gpt-boots.sh: the uefi-gpt machine boots under OVMF (Secure Boot
# off, fresh variables, so from the removable path EFI/BOOT/BOOTX64.EFI)
# to its result line, with the ESP and /var mounted by UUID.
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img
need_file /usr/share/OVMF/OVMF_CODE_4M.fd ovmf
load_machine uefi-gpt

BOOT_ARGS=(--firmware uefi --timeout 60)
boot "$SYSTEM_IMAGE"
assert "boot-check says booted (exit 0)" [ "$BOOT_RC" -eq 0 ]
assert "result line: booted uefi-gpt, fstab ok" result_is '^boot-check: booted: asr-test-machine: booted uefi-gpt, fstab ok'
assert "OVMF started the disk's removable-path loader" console_has 'BdsDxe: starting Boot[0-9A-F]+ "UEFI Misc Device"'
assert "the root was found by its UUID" console_has "^asr-test-machine: / UUID=$SYSTEM_P2_UUID on /dev/vda2\$"
assert "the ESP mounted by its volume id" console_has "^asr-test-machine: /boot/efi UUID=$SYSTEM_P1_UUID on /dev/vda1\$"
assert "/var mounted by UUID" console_has "^asr-test-machine: /var UUID=$SYSTEM_P3_UUID on /dev/vda3\$"
finish
