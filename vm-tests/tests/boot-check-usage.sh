#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# boot-check-usage.sh: boot-check's exit statuses without a machine: 2 for
# bad usage, 3 when qemu cannot start, 1 (not 0) for a disk that boots
# nothing, and no temporary files left behind.
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img

bc() { OUT=$(TMPDIR=$TEST_TMP/t "$boot_check" "$@" 2>&1) && RC=0 || RC=$?; }
mkdir -p "$TEST_TMP/t"
truncate -s 1M "$TEST_TMP/blank.raw"

bc
assert "no disk: exit 2" [ "$RC" -eq 2 ]
bc --firmware coreboot "$TEST_TMP/blank.raw"
assert "--firmware coreboot: exit 2" [ "$RC" -eq 2 ]
assert "--firmware coreboot: says why" grep -q -- '--firmware must be bios or uefi' <<<"$OUT"
bc --timeout 0 "$TEST_TMP/blank.raw"
assert "--timeout 0: exit 2" [ "$RC" -eq 2 ]
bc --expect '(' "$TEST_TMP/blank.raw"
assert "--expect with a bad regex: exit 2" [ "$RC" -eq 2 ]
bc --bogus "$TEST_TMP/blank.raw"
assert "unknown option: exit 2" [ "$RC" -eq 2 ]

bc "$TEST_TMP/missing.raw"
assert "missing disk: exit 3" [ "$RC" -eq 3 ]
assert "missing disk: says which" grep -q "cannot read disk $TEST_TMP/missing.raw" <<<"$OUT"
QEMU=$TEST_TMP/no-such-qemu bc "$TEST_TMP/blank.raw"
assert "no qemu: exit 3" [ "$RC" -eq 3 ]
bc --memory 999999999 "$TEST_TMP/blank.raw"
assert "qemu refuses to start: exit 3" [ "$RC" -eq 3 ]

# A blank disk: SeaBIOS says there is nothing to boot, and boot-check
# stops at once on that line rather than waiting out the timeout.
SECONDS=0
bc --timeout 60 "$TEST_TMP/blank.raw"
assert "blank disk: exit 1" [ "$RC" -eq 1 ]
assert "blank disk: reason no-bootable-device" grep -q '^boot-check: not booted: no-bootable-device: ' <<<"$OUT"
assert "blank disk: detected well before the timeout ($SECONDS s)" [ "$SECONDS" -lt 40 ]
assert "no temporary files left" [ -z "$(ls -A "$TEST_TMP/t")" ]
diag "$OUT"
finish
