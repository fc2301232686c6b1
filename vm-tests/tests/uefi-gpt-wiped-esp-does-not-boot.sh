#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# uefi-gpt-wiped-esp-does-not-boot.sh: negative control.  With the ESP
# zeroed (GPT kept), OVMF finds no EFI/BOOT/BOOTX64.EFI on the disk and
# falls back to its shell; boot-check must stop there and say why.
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img qemu-io
need_file /usr/share/OVMF/OVMF_CODE_4M.fd ovmf
load_machine uefi-gpt

disk=$(overlay "$SYSTEM_IMAGE" system)
qemu-io -f qcow2 -c "write -z $((SYSTEM_P1_START * 512)) $((SYSTEM_P1_SECTORS * 512))" "$disk" >/dev/null ||
  bail_out "qemu-io write failed"

BOOT_ARGS=(--firmware uefi --timeout 60)
boot "$disk"
assert "boot-check says not booted (exit 1)" [ "$BOOT_RC" -eq 1 ]
assert "reason: OVMF fell back to its shell" result_is '^boot-check: not booted: uefi-shell: '
assert "OVMF could not load the disk's boot option" \
  result_is 'BdsDxe: failed to load Boot[0-9A-F]+ "UEFI Misc Device" .*: Not Found'
assert "no kernel started" eval '! console_has "Linux version"'
finish
