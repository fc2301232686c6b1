#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# facts-match-build.sh MACHINE: the built images carry exactly the layout,
# identifiers, filesystems and OS that the machine's record promises (read
# back with sfdisk and libguestfs, one appliance launch), and the
# comparison does catch a difference.
. "$(dirname "$0")/lib.sh"
need qemu-img guestfish sfdisk jq
[ $# -eq 1 ] || bail_out "usage: facts-match-build.sh MACHINE"
load_machine "$1"

args=()
for d in $DISKS; do
  args+=("$d=$(facts_get "$RECORD" "${d^^}_IMAGE")")
done
actual=$TEST_TMP/actual.env
if "$VM_TESTS_DIR/read-facts" "${args[@]}" >"$actual" 2>"$TEST_TMP/read-facts.err"; then
  pass "read-facts reads the $MACHINE images"
else
  fail "read-facts reads the $MACHINE images"
  diag "$(cat "$TEST_TMP/read-facts.err")"
fi

if diff=$("$VM_TESTS_DIR/compare-facts" "$RECORD" "$actual"); then
  pass "the images match the record"
else
  fail "the images match the record"
  diag "$diff"
fi

# Every disk and every partition of the record was found and compared.
for d in $DISKS; do
  D=${d^^}
  for p in $(facts_get "$RECORD" "${D}_PARTITIONS"); do
    assert "$d p$p: filesystem UUID read back" \
      grep -qix "${D}_P${p}_UUID=$(facts_get "$RECORD" "${D}_P${p}_UUID")" "$actual"
  done
done

# A record that differs in one identifier must be reported, by key.
case $SYSTEM_PTTYPE in
  mbr) id_key=SYSTEM_MBR_SIGNATURE bad_id=0xdeadbeef ;;
  gpt) id_key=SYSTEM_GPT_GUID bad_id=00000000-0000-4000-8000-000000000001 ;;
esac
for change in "$id_key=$bad_id" "SYSTEM_P2_UUID=00000000-0000-4000-8000-000000000002"; do
  key=${change%%=*}
  sed "s/^$key=.*/$change/" "$RECORD" >"$TEST_TMP/tampered.env"
  got=$(facts_get "$actual" "$key")
  out=$("$VM_TESTS_DIR/compare-facts" "$TEST_TMP/tampered.env" "$actual") && rc=0 || rc=$?
  if [ "$rc" -eq 1 ] && [ "$out" = "$key: want ${change#*=}, got $got" ]; then
    pass "a record with another $key does not match"
  else
    fail "a record with another $key does not match"
    diag "exit $rc, output: $out"
  fi
done

finish
