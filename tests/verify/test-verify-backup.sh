#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-verify-backup.sh MACHINE: asr verify of a backup set captured from a
# test machine boots it in a throwaway VM (exit 0, verdict booted), leaves
# no VM, no private directory and the backup set unchanged; a backup set
# with a damaged image is a checksum mismatch (exit 1), not a boot.
set -u
. "$ASR_SOURCE_ROOT/tests/cli/tap.sh"

asr=${ASR:?}
machine=${1:?usage: test-verify-backup.sh MACHINE}
var=ASR_VM_$(tr 'a-z-' 'A-Z_' <<<"$machine")
record=${!var:?the record of $machine}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp/run
mkdir "$TMPDIR"

get() { sed -n "s/^$1=//p" "$record" | tail -n 1; }
sources=()
for d in $(get DISKS); do sources+=("$(get "${d^^}_IMAGE")"); done
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)" <<<"$out"; }
ours() { pgrep -f "asr-verify-.*$tmp" || true; }

plan 10

run "$asr" capture -o "$tmp/backup" "${sources[@]}"
check "capture $machine" 0
before=$(cd "$tmp/backup" && sha256sum *)

run "$asr" verify --json --timeout 240 "$tmp/backup"
check "verify boots the backup (exit 0)" 0 '"verdict" : "booted"'
if [ "$rc" -eq 0 ] && [ "$(json '["seconds"]' | cut -d. -f1)" -gt 0 ]; then
  pass "the report gives the seconds to boot ($(json '["seconds"]') s)"
else
  fail "the report gives the seconds to boot" "$out"
fi
# (libguestfs keeps its appliance cache, .guestfs-UID, in TMPDIR too.)
left() { find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'asr-verify-*' ! -name '*-console.log'; }
if [ -z "$(left)" ]; then pass "no private directory is left"
else fail "no private directory is left" "$(ls -la "$TMPDIR")"; fi
if [ -z "$(ours)" ]; then pass "no qemu of this run is left"
else fail "no qemu of this run is left" "$(ours)"; fi
if [ "$(cd "$tmp/backup" && sha256sum *)" = "$before" ]; then pass "the backup set is unchanged"
else fail "the backup set is unchanged"; fi

cp -a "$tmp/backup" "$tmp/damaged"
qemu-io -f qcow2 -c 'write -P 0x5a 1M 4k' "$tmp/damaged/disk0-p2.qcow2" >/dev/null
run "$asr" verify --json --timeout 240 "$tmp/damaged"
check "a damaged image is a checksum mismatch (exit 1)" 1 '"verdict" : "checksum-mismatch"'
if [ -z "$(left)" ] && [ -z "$(ours)" ]; then
  pass "after the mismatch too, nothing is left running or on disk"
else
  fail "after the mismatch too, nothing is left running or on disk" "$(ls -la "$TMPDIR")" "$(ours)"
fi

# Interrupted (SIGINT, as Ctrl-C sends) while the VM runs: the domain and
# the temporary disks go.
"$asr" verify --timeout 240 "$tmp/backup" >/dev/null 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 1 1200); do
  pgrep -f "qemu-system.*$TMPDIR" >/dev/null && break
  sleep 0.1
done
sleep 2
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" -eq 130 ] && grep -q interrupted "$tmp/int.err"; then
  pass "SIGINT interrupts verify (exit 130)"
else
  fail "SIGINT interrupts verify (exit 130)" "exit $rc" "$(cat "$tmp/int.err")"
fi
sleep 1
if [ -z "$(left)" ] && ! pgrep -f "qemu-system.*$TMPDIR" >/dev/null; then
  pass "the interrupted verify leaves no VM and no directory"
else
  fail "the interrupted verify leaves no VM and no directory" "$(ls -la "$TMPDIR")" "$(pgrep -af "qemu-system.*$TMPDIR")"
fi
finish
