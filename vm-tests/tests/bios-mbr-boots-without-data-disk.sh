#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bios-mbr-boots-without-data-disk.sh: the system disk alone still boots
# (a restore of the critical disk only); the nofail data disk is reported
# optional and absent, not as a failure.
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img
load_machine bios-mbr

BOOT_ARGS=(--firmware bios --timeout 60)
boot "$SYSTEM_IMAGE"
assert "boot-check says booted (exit 0)" [ "$BOOT_RC" -eq 0 ]
assert "result line: booted bios-mbr, fstab ok" result_is '^boot-check: booted: asr-test-machine: booted bios-mbr, fstab ok'
assert "/data reported optional and absent" \
  console_has "^asr-test-machine: /data \\(UUID=$DATA_P1_UUID\\): optional and absent\$"
assert "no FAILED line" eval '! console_has FAILED'
finish
