#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bios-mbr-boots.sh: the bios-mbr machine, system and data disk, boots
# under SeaBIOS to its result line, with every fstab volume checked and the
# data disk's files matching their manifest.
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img
load_machine bios-mbr

BOOT_ARGS=(--firmware bios --timeout 60)
boot "$SYSTEM_IMAGE" "$DATA_IMAGE"
assert "boot-check says booted (exit 0)" [ "$BOOT_RC" -eq 0 ]
assert "result line: booted bios-mbr, fstab ok" result_is '^boot-check: booted: asr-test-machine: booted bios-mbr, fstab ok'
assert "syslinux's MBR code chained to extlinux" console_has '^SYSLINUX 6'
assert "the root was found by its UUID" console_has "^asr-test-machine: / UUID=$SYSTEM_P2_UUID on /dev/vda2\$"
assert "/boot mounted by UUID" console_has "^asr-test-machine: /boot UUID=$SYSTEM_P1_UUID on /dev/vda1\$"
assert "swap found by UUID" console_has "^asr-test-machine: swap UUID=$SYSTEM_P3_UUID on /dev/vda3\$"
assert "/data mounted by UUID" console_has "^asr-test-machine: /data UUID=$DATA_P1_UUID on /dev/vdb1\$"
assert "/data files match MANIFEST.sha256" console_has '^asr-test-machine: /data manifest ok \(4 files\)$'
assert "login: after the result line" console_order '^asr-test-machine: booted bios-mbr, fstab ok' '^login:'
finish
