# SPDX-License-Identifier: GPL-2.0-or-later
#
# A test machine built by vm-tests, for the tests that capture, restore or
# boot one:  . "$ASR_SOURCE_ROOT/tests/lib/machine.sh" MACHINE
# sets $machine, $record (the machine's KEY=VALUE record, from the
# ASR_VM_<MACHINE> variable meson gives the test), $boot_check
# (vm-tests/boot-check), $sources (its disk images, the system disk
# first), and defines `get KEY`: a value of the record, and the helpers
# below.  Its callers run
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

# replacement_disks [EXTRA...]: $disks, the machine as a replacement
# would find it: a blank disk the system disk's size ($tmp/blank.raw),
# copies of the machine's other disks, then EXTRA; $sums, the SHA-256 of
# each disk after the blank one.
replacement_disks() {
  local s d
  truncate -s "$(stat -c %s "${sources[0]}")" "$tmp/blank.raw"
  disks=("$tmp/blank.raw")
  for s in "${sources[@]:1}"; do
    cp --sparse=always "$s" "$tmp/$(basename "$s")"
    disks+=("$tmp/$(basename "$s")")
  done
  disks+=("$@")
  sums=()
  for d in "${disks[@]:1}"; do sums+=("$(sha256sum <"$d")"); done
}
# others_unchanged: one test point (tap.sh): the disks after the blank one
# are byte for byte as replacement_disks found them
others_unchanged() {
  local i same=yes
  for i in "${!sums[@]}"; do
    [ "$(sha256sum <"${disks[$((i + 1))]}")" = "${sums[$i]}" ] || same=no
  done
  if [ ${#sums[@]} -eq 0 ]; then skip "the other disks are byte for byte unchanged" "$machine has no other disk"
  elif [ "$same" = yes ]; then pass "the other ${#sums[@]} disk(s) are byte for byte unchanged"
  else fail "the other disks are byte for byte unchanged"; fi
}
