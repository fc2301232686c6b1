#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# boots-on-other-buses.sh: the machines find their volumes by UUID, not by
# device name, so they boot from NVMe (bios-mbr, with the data disk) and
# SATA (uefi-gpt) as well as virtio: what a restore onto other hardware
# relies on, and boot-check's --bus.
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img
need_file /usr/share/OVMF/OVMF_CODE_4M.fd ovmf
load_machine bios-mbr
bios_system=$SYSTEM_IMAGE bios_data=$DATA_IMAGE
load_machine uefi-gpt
uefi_system=$SYSTEM_IMAGE

BOOT_ARGS=(--firmware bios --bus nvme --timeout 60)
boot "$bios_system" "$bios_data"
assert "bios-mbr on NVMe: booted" result_is '^boot-check: booted: asr-test-machine: booted bios-mbr, fstab ok'
assert "bios-mbr on NVMe: the root is an NVMe namespace" console_has '^asr-test-machine: / UUID=.* on /dev/nvme[0-9]n1p2$'
assert "bios-mbr on NVMe: the data disk's files are intact" console_has '^asr-test-machine: /data manifest ok'

BOOT_ARGS=(--firmware uefi --bus sata --timeout 60)
boot "$uefi_system"
assert "uefi-gpt on SATA: booted" result_is '^boot-check: booted: asr-test-machine: booted uefi-gpt, fstab ok'
assert "uefi-gpt on SATA: the root is a SCSI disk" console_has '^asr-test-machine: / UUID=.* on /dev/sda2$'
finish
