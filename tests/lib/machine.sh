# SPDX-License-Identifier: GPL-2.0-or-later
#
# A test machine built by vm-tests, for the tests that capture, restore or
# boot one:  . "$ASR_SOURCE_ROOT/tests/lib/machine.sh" MACHINE
# sets $machine, $record (the machine's KEY=VALUE record, from the
# ASR_VM_<MACHINE> variable meson gives the test), $boot_check
# (vm-tests/boot-check), $sources (its disk images, the system disk
# first), and defines `get KEY`: a value of the record.  Its callers run
# under `set -euo pipefail`, as tap.sh asks; it says so itself too.
set -euo pipefail
machine=${1:?usage: the test takes a MACHINE}
_machine_var=ASR_VM_$(tr 'a-z-' 'A-Z_' <<<"$machine")
record=${!_machine_var:?the record of $machine}
boot_check=${VM_TESTS_DIR:?}/boot-check
get() { sed -n "s/^$1=//p" "$record" | tail -n 1; }
# its disk images, in the record's order (the system disk first)
sources=()
for _machine_d in $(get DISKS); do sources+=("$(get "${_machine_d^^}_IMAGE")"); done

# with_tmp_and_loops: $tmp, a fresh directory, and $loops, loop devices
# the test adds to; on exit each is unmounted and detached, and $tmp goes.
with_tmp_and_loops() {
  tmp=$(mktemp -d)
  loops=()
  trap _machine_cleanup EXIT
}
_machine_cleanup() {
  local l
  for l in "${loops[@]}"; do
    umount "$l" 2>/dev/null || true
    losetup -d "$l" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
