# SPDX-License-Identifier: GPL-2.0-or-later
#
# Helpers for the vm suite (sourced), on top of the shared TAP producer
# (tests/lib/tap.sh: pass, fail, assert, need, skip_all, finish...): a test
# prints its "ok"/"not ok" lines and the plan at the end; "1..0 # SKIP"
# when a tool is missing.  Meson passes VM_TESTS_DIR (the source folder)
# and ASR_VM_<MACHINE>, the record build-machine wrote for each machine.
set -euo pipefail

: "${VM_TESTS_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
. "$VM_TESTS_DIR/../tests/lib/tap.sh"
. "$VM_TESTS_DIR/lib/common.sh"
boot_check=$VM_TESTS_DIR/boot-check

# load_machine NAME: the record of a built machine into shell variables.
load_machine() {
  local var=ASR_VM_${1//-/_}
  var=${var^^}
  [ -n "${!var:-}" ] || bail_out "$var is not set: run this test through meson"
  [ -r "${!var}" ] || bail_out "${!var}: no record, was the machine built?"
  facts_load "${!var}"
  RECORD=${!var}
}

# A private temporary folder, removed on every way out.
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/asr-vm-test.XXXXXX") || bail_out "mktemp failed"
trap 'rm -rf "$TEST_TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# overlay BASE NAME: a qcow2 overlay of BASE in TEST_TMP (the base is never
# written); prints its path.
overlay() {
  local path=$TEST_TMP/$2.qcow2
  qemu-img create -q -f qcow2 -b "$1" -F raw "$path" >&2 || bail_out "qemu-img create $path failed"
  printf '%s\n' "$path"
}

# boot DISK...: runs boot-check with BOOT_ARGS, keeping its output in
# BOOT_OUT, its status in BOOT_RC and the console in $TEST_TMP/console.log.
BOOT_ARGS=()
boot() {
  # `&& ||`: a failed boot is a result to check, also under set -e
  BOOT_OUT=$("$boot_check" "${BOOT_ARGS[@]}" --log "$TEST_TMP/console.log" "$@" 2>&1) \
    && BOOT_RC=0 || BOOT_RC=$?
  diag "$BOOT_OUT"
}
# console_has REGEX: the console log (carriage returns dropped) matches.
# (grep without -q: ending the pipe early would fail it under pipefail.)
console_has() { tr -d '\r' <"$TEST_TMP/console.log" | grep -E -- "$1" >/dev/null; }
# console_line REGEX: the number of the first console line matching, or
# nothing.
console_line() {
  tr -d '\r' <"$TEST_TMP/console.log" | grep -n -m1 -E -- "$1" | cut -d: -f1 || true
}
# console_order REGEX1 REGEX2: a line matching REGEX2 comes after the first
# line matching REGEX1.
console_order() {
  local a b
  a=$(console_line "$1")
  [ -n "$a" ] || { echo "no console line matches /$1/"; return 1; }
  b=$(tr -d '\r' <"$TEST_TMP/console.log" | tail -n "+$((a + 1))" | grep -n -m1 -E -- "$2" | cut -d: -f1 || true)
  [ -n "$b" ] || { echo "no console line after line $a matches /$2/"; return 1; }
}
# result_is REGEX: boot-check's result line matches.
result_is() { grep -m1 '^boot-check: ' <<<"$BOOT_OUT" | grep -E -- "$1" >/dev/null; }
