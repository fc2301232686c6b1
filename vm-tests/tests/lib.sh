# SPDX-License-Identifier: GPL-2.0-or-later
#
# TAP helpers for the vm suite (sourced).  Each test prints "ok"/"not ok"
# lines and the plan at the end; "1..0 # SKIP" when a tool is missing.
# Meson passes VM_TESTS_DIR (the source folder) and ASR_VM_<MACHINE>, the
# record build-machine wrote for each machine.
set -uo pipefail

: "${VM_TESTS_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
. "$VM_TESTS_DIR/lib/common.sh"
boot_check=$VM_TESTS_DIR/boot-check

tap_count=0
tap_failed=0
ok() { tap_count=$((tap_count + 1)); printf 'ok %d - %s\n' "$tap_count" "$*"; }
not_ok() {
  tap_count=$((tap_count + 1))
  tap_failed=$((tap_failed + 1))
  printf 'not ok %d - %s\n' "$tap_count" "$*"
}
# check DESCRIPTION COMMAND...: one test point from a command's status.
check() {
  local desc=$1; shift
  if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
skip_all() { printf '1..0 # SKIP %s\n' "$*"; exit 0; }
bail_out() { printf 'Bail out! %s\n' "$*"; exit 1; }
done_testing() {
  printf '1..%d\n' "$tap_count"
  [ "$tap_failed" -eq 0 ]
  exit
}

# need TOOL...: skip the whole test when one is missing.
need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || skip_all "$t is not installed"
  done
}
need_file() {
  [ -r "$1" ] || skip_all "$1 is missing${2:+ (install $2)}"
}

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
  BOOT_OUT=$("$boot_check" "${BOOT_ARGS[@]}" --log "$TEST_TMP/console.log" "$@" 2>&1)
  BOOT_RC=$?
  diag "$BOOT_OUT"
}
# console_has REGEX: the console log (carriage returns dropped) matches.
# (grep without -q: ending the pipe early would fail it under pipefail.)
console_has() { tr -d '\r' <"$TEST_TMP/console.log" | grep -E -- "$1" >/dev/null; }
# result_is REGEX: boot-check's result line matches.
result_is() { grep -m1 '^boot-check: ' <<<"$BOOT_OUT" | grep -E -- "$1" >/dev/null; }
