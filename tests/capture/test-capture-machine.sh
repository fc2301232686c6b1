#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-capture-machine.sh MACHINE: asr capture of a test machine built by
# vm-tests/ records exactly what was built (field by field, against the
# machine's record), writes a backup set that validates and checks out,
# with the right modes, and never writes its sources.
#
# Each ext and FAT volume's used blocks come from its own metadata; each
# machine is inspected without the appliance, and captured with none
# usable.  bios-mbr also: a file written then deleted in / is not
# captured (used data only), and --all images the data disk.  uefi-gpt also: a backup set
# on a full filesystem fails with exit 3 and leaves nothing.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
machine=${1:?usage: test-capture-machine.sh MACHINE}
var=ASR_VM_$(tr 'a-z-' 'A-Z_' <<<"$machine")
record=${!var:?the record of $machine}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'umount "$tmp/small" 2>/dev/null || true; fault_unexport "$tmp/slow.raw"; rm -rf "$tmp"' EXIT
. "$ASR_SOURCE_ROOT/tests/faults/lib.sh" # fault_export: a slow source

get() { sed -n "s/^$1=//p" "$record" | tail -n 1; }
sources=()
for d in $(get DISKS); do sources+=("$(get "${d^^}_IMAGE")"); done

case $machine in
  bios-mbr) plan 19 ;;
  *) plan 20 ;;
esac

sums() { sha256sum "$@" | cut -d' ' -f1; }
before=$(sums "${sources[@]}")

run "$asr" capture --json -o "$tmp/backup" "${sources[@]}"
check "capture $machine" 0 '"images"'
summary=$out capture_err=$err

run "$asr" validate "$tmp/backup/machine.xml"
check "the descriptor validates" 0 'valid'

run "$asr" show --json "$tmp/backup"
echo "$out" > "$tmp/show.json"
if diff=$(python3 "$here/compare-descriptor.py" "$record" "$tmp/show.json"); then
  pass "the descriptor matches what was built, field by field"
else
  fail "the descriptor matches what was built, field by field" "$diff"
fi

run "$asr" check "$tmp/backup"
check "asr check: every image checks out" 0 'all [0-9]+ images check out'

modes=$(stat -c '%a %n' "$tmp/backup" "$tmp/backup"/* | sed "s|$tmp/||")
if [ "$(stat -c %a "$tmp/backup")" = 700 ] && ! stat -c %a "$tmp/backup"/* | grep -v '^600$' >/dev/null; then
  pass "the backup set is 0700 and its files 0600"
else
  fail "the backup set is 0700 and its files 0600" "$modes"
fi

if [ -z "$(find "$tmp" -maxdepth 1 -name '.backup.asr-capture-*')" ] && [ ! -e "$tmp/backup/.work" ]; then
  pass "no temporary directory or overlay is left"
else
  fail "no temporary directory or overlay is left" "$(ls -la "$tmp" "$tmp/backup")"
fi

# Used data only: the images together are about the size of the data
# in the captured filesystems, not of the partitions.
used=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["used_bytes"])' <<<"$summary")
image=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["image_bytes"])' <<<"$summary")
if [ "$image" -le $((used + used / 10 + 8 * 1024 * 1024)) ]; then
  pass "images hold used data only ($image bytes for $used used)"
else
  fail "images hold used data only" "image bytes $image, used bytes $used"
fi

# Which path each volume took: every captured ext2/3/4 and FAT volume's
# used blocks are read from its own metadata (no trim in the appliance).
mappable=$(python3 -c '
import json, sys
def walk(o):
    if isinstance(o, dict):
        if o.get("fs") in ("ext2", "ext3", "ext4", "vfat") and "image" in o:
            yield o
        for v in o.values():
            yield from walk(v)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v)
print(sum(1 for _ in walk(json.load(open(sys.argv[1])))))' "$tmp/show.json")
mapped=$(grep -cE '\((ext[234]|vfat)\): used blocks read from its metadata' <<<"$capture_err" || true)
if [ "$mappable" -eq "$mapped" ]; then
  pass "each of the $mappable captured ext and FAT volumes took the metadata path"
else
  fail "each captured ext and FAT volume took the metadata path" \
    "$mappable such volumes, $mapped mapped: $capture_err"
fi

# Without the appliance: both machines hold only ext4, FAT and swap on
# partitions, so they are inspected in userspace, and a capture needs no
# appliance at all (libguestfs pointed at nothing, which the control
# shows it cannot launch); the same descriptor and images either way.
grep -q 'inspected without the appliance' <<<"$capture_err" \
  && pass "$machine is inspected without the appliance" \
  || fail "$machine is inspected without the appliance" "$capture_err"
run env LIBGUESTFS_PATH=/nonexistent guestfish -a /dev/null run
check "control: no appliance starts with LIBGUESTFS_PATH=/nonexistent" 1 "" \
  "cannot find any suitable libguestfs"
LIBGUESTFS_PATH=/nonexistent run "$asr" capture -o "$tmp/no-appliance" "${sources[@]}"
check "capture with no usable appliance" 0
same=yes
diff <(grep -v 'captured=' "$tmp/backup/machine.xml") \
  <(grep -v 'captured=' "$tmp/no-appliance/machine.xml") >/dev/null || same="descriptor differs"
for f in "$tmp/backup"/*.qcow2; do
  qemu-img compare -q "$f" "$tmp/no-appliance/${f##*/}" || same="${f##*/} differs"
done
[ "$same" = yes ] && pass "... the same descriptor and images" \
  || fail "... the same descriptor and images" "$same"
rm -rf "$tmp/no-appliance"

# A checksum that no longer matches is found (the check can fail).
cp -a "$tmp/backup" "$tmp/damaged"
img=$(ls "$tmp/damaged"/disk0-p*.qcow2 | head -n 1)
qemu-io -f qcow2 -c 'write -P 0x5a 4096 512' "$img" >/dev/null
run "$asr" check "$tmp/damaged"
check "asr check finds a changed image" 1 "checksum-mismatch +$(basename "$img")"
rm -rf "$tmp/damaged"

run "$asr" capture -o "$tmp/backup" "${sources[@]}"
check "an existing backup set is refused without --force" 2 '' 'already exists'

case $machine in
bios-mbr)
  # Write 200 MiB into / of a copy and delete it without trim: the
  # capture must not carry it.  (A copy, not an overlay: capture refuses
  # images with backing files.)
  cp --sparse=always "${sources[0]}" "$tmp/sys.raw"
  head -c 200M /dev/urandom > "$tmp/random"
  guestfish --format=raw -a "$tmp/sys.raw" -i upload "$tmp/random" /junk : sync : rm /junk >>"$tmp/gf.log" 2>&1
  rm -f "$tmp/random"
  allocated=$(du -B1 "$tmp/sys.raw" | cut -f1)
  run "$asr" capture --all --json -o "$tmp/all" "$tmp/sys.raw" "${sources[1]}"
  check "capture --all of bios-mbr with a deleted 200 MiB file" 0 '"images"'
  run "$asr" show --json "$tmp/all"
  echo "$out" > "$tmp/show-all.json"
  if diff=$(python3 "$here/compare-descriptor.py" "$record" "$tmp/show-all.json" --all); then
    pass "--all images the data disk too"
  else
    fail "--all images the data disk too" "$diff"
  fi
  p2=$(du -B1 "$tmp/all/disk0-p2.qcow2" | cut -f1)
  p2_before=$(du -B1 "$tmp/backup/disk0-p2.qcow2" | cut -f1)
  if [ "$allocated" -gt $((200 * 1024 * 1024 + p2_before)) ] && [ "$p2" -le $((p2_before + 16 * 1024 * 1024)) ]; then
    pass "the deleted 200 MiB is not in the image (/ image $p2 bytes, $p2_before before)"
  else
    fail "the deleted 200 MiB is not in the image" "copy $allocated, / image $p2, before $p2_before"
  fi
  run "$asr" check "$tmp/all"
  check "the --all backup checks out" 0 'check out'
  ;;
uefi-gpt)
  mkdir "$tmp/small"
  if mount -t tmpfs -o size=4m tmpfs "$tmp/small" 2>/dev/null; then
    run "$asr" capture -o "$tmp/small/backup" "${sources[@]}"
    check "a backup set on a full filesystem: exit 3" 3 '' 'not enough space'
    if [ -z "$(ls -A "$tmp/small")" ]; then pass "the full filesystem holds nothing after"
    else fail "the full filesystem holds nothing after" "$(ls -la "$tmp/small")"; fi
    umount "$tmp/small"
  else
    skip "a backup set on a full filesystem: exit 3" "cannot mount a tmpfs here"
    skip "the full filesystem holds nothing after" "cannot mount a tmpfs here"
  fi

  # Interrupted (SIGINT, as Ctrl-C sends) while its disk is exported as a
  # file (read at 100 kB/s, so it is still being read): the temporary
  # directory goes, and so do every qemu the capture started and the
  # FUSE export in it.
  mkdir "$tmp/int"
  fault_export "${sources[0]}" "$tmp/slow.raw" off read-bps=100000
  "$asr" capture -o "$tmp/int/backup" "$tmp/slow.raw" "${sources[@]:1}" >/dev/null 2>"$tmp/int.err" &
  pid=$!
  for _ in $(seq 1 600); do
    [ -n "$(find "$tmp/int" -path '*/.work/disk0-overlay.qcow2.raw')" ] && break
    sleep 0.1
  done
  sleep 1
  kill -INT "$pid"
  wait "$pid" && rc=0 || rc=$?
  if [ "$rc" -eq 130 ] && grep -q 'interrupted' "$tmp/int.err"; then
    pass "SIGINT interrupts the capture (exit 130)"
  else
    fail "SIGINT interrupts the capture (exit 130)" "exit $rc" "$(cat "$tmp/int.err")"
  fi
  if [ -z "$(ls -A "$tmp/int")" ]; then pass "the interrupted capture leaves nothing"
  else fail "the interrupted capture leaves nothing" "$(ls -la "$tmp/int")"; fi
  sleep 1
  if ! pgrep -f "$tmp/int" >/dev/null && ! grep -qF "$tmp/int" /proc/self/mountinfo; then
    pass "no qemu or export of the interrupted capture is left"
  else
    fail "no qemu or export of the interrupted capture is left" "$(pgrep -af "$tmp/int")" \
      "$(grep -F "$tmp/int" /proc/self/mountinfo)"
  fi
  fault_unexport "$tmp/slow.raw"
  ;;
esac

after=$(sums "${sources[@]}")
if [ "$before" = "$after" ]; then pass "the sources are unchanged (sha256 before and after)"
else fail "the sources are unchanged" "before: $before" "after: $after"; fi
finish
