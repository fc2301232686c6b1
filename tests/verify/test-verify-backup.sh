#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-verify-backup.sh MACHINE: asr verify of a backup set captured from a
# test machine boots it in a throwaway VM (exit 0, verdict booted), leaves
# no VM, no private directory and the backup set unchanged; a backup set
# with a damaged image is a checksum mismatch (exit 1), not a boot.
#
# test-verify-backup.sh MACHINE under-load RUNS: the same backup verified
# RUNS times beside a CPU hog, as on a busy host, where a
# helper process can finish and be reaped before asr looks at it: each run
# boots, none crashes, nothing is left behind.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
machine=${1:?usage: test-verify-backup.sh MACHINE [under-load RUNS]}
mode=${2:-}
runs=${3:-3}
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

# (libguestfs keeps its appliance cache, .guestfs-UID, in TMPDIR too.)
left() { find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'asr-verify-*' ! -name '*-console.log'; }

if [ "$mode" = under-load ]; then
  plan $((2 * runs + 2))
else
  plan 10
fi

run "$asr" capture -o "$tmp/backup" "${sources[@]}"
check "capture $machine" 0
before=$(cd "$tmp/backup" && sha256sum *)

if [ "$mode" = under-load ]; then
  # One busy loop: enough that asr's threads and its helpers wait for a
  # CPU.  (At a load of 15 on 2 cores a TCG guest's kernel can fail its
  # timer check and panic: that is the host, not the backup.)
  ( while :; do :; done ) &
  hogs=($!)
  trap 'kill "${hogs[@]}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  for i in $(seq "$runs"); do
    run "$asr" verify --json --timeout 400 "$tmp/backup"
    # 128 + N: killed by signal N (139 a segmentation fault)
    if [ "$rc" -lt 128 ]; then pass "under load, run $i: asr did not crash"
    else fail "under load, run $i: asr did not crash" "exit $rc" "$err"; fi
    check "under load, run $i: the backup boots" 0 '"verdict" : "booted"'
  done
  kill "${hogs[@]}"
  if [ -z "$(left)" ] && [ -z "$(ours)" ]; then
    pass "under load: nothing is left running or on disk"
  else
    fail "under load: nothing is left running or on disk" "$(ls -la "$TMPDIR")" "$(ours)"
  fi
  finish
  exit
fi

run "$asr" verify --json --timeout 240 "$tmp/backup"
check "verify boots the backup (exit 0)" 0 '"verdict" : "booted"'
if [ "$rc" -eq 0 ] && [ "$(json '["seconds"]' | cut -d. -f1)" -gt 0 ]; then
  pass "the report gives the seconds to boot ($(json '["seconds"]') s)"
else
  fail "the report gives the seconds to boot" "$out"
fi
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
wait "$pid" && rc=0 || rc=$?
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
