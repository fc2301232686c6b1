#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# asr restore on the worst day: stopped at every step, killed -9 at random
# moments, I/O errors and stalls reading the backup and writing the target,
# a target that fills up.  Every failure must exit 3 with a message naming
# the image or disk (and the offset where qemu gives it), leave the target
# marked incomplete (asr probe: <incomplete/>, asr plan: a warning), leave
# no helper writing it, and a second restore must complete.
#
# One backup set (one appliance launch, for the capture); every restore
# here is host-side only (the machine has no swap, so restore needs no
# appliance).  ASR_FAULTS_SEED replays the kill -9 runs of a given seed.
#
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"
. "$ASR_SOURCE_ROOT/tests/faults/lib.sh"

asr=${ASR:?}
need qemu-img qemu-storage-daemon fusermount3 sfdisk mke2fs python3 guestfish
[ -c /dev/fuse ] || { echo "1..0 # SKIP no /dev/fuse"; exit 0; }
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg ASR_ACCEL=tcg
tmp=$(mktemp -d)
cleanup() {
  # Under set -e: a step that fails here must not skip the next ones.
  for m in "$tmp"/*.qsd-pid "$tmp"/*/*.qsd-pid; do [ ! -e "$m" ] || fault_unexport "${m%.qsd-pid}"; done
  umount "$tmp/small" 2>/dev/null || true
  [ -z "${ldev:-}" ] || losetup -d "$ldev" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

kills=20
steps=(invalidate table volume verify appliance bootarea)
plan $((1 + 1 + ${#steps[@]} * 3 + 2 + 1 + ${#steps[@]} * 2 + 2 + kills + 3 + 6 + 3 + 9 + 1 + 4 + 3))

make_machine sys.raw
run "$asr" capture -o "$tmp/backup" "$tmp/sys.raw"
check "capture of the test machine" 0

# A fresh target is a sparse 96 MiB file; `asr probe` says whether it is
# marked incomplete.  incomplete FILE DESCRIPTION
incomplete() {
  run "$asr" probe "$1"
  if [ "$rc" -eq 0 ] && grep -q '<incomplete/>' <<<"$out"; then pass "$2"
  else fail "$2" "rc=$rc" "$out" "$err"; fi
}
is_incomplete() { "$asr" probe "$1" 2>/dev/null | grep '<incomplete/>' >/dev/null; }  # no -q: an early exit would fail the pipe
blank() { rm -f "$1"; truncate -s 96M "$1"; }
now() { date +%s.%N; }

# The reference: a complete restore, timed (the kill -9 runs spread over it).
# started FILE: waits until the restore writing FILE says it starts writing.
started() { for _ in $(seq 1 1000); do grep -q invalidating "$1" 2>/dev/null && break; sleep 0.01; done; }
cp --sparse=always sys.raw ref.raw
"$asr" restore --yes "$tmp/backup" "$tmp/ref.raw" >/dev/null 2>ref.err &
pid=$!
started ref.err
t0=$(now)
wait "$pid" && rc=0 || rc=$?
t1=$(now)
out='' err=$(cat ref.err)
restore_s=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
check "a complete restore, the reference (writing took $restore_s s)" 0
same_as_ref() { cmp -s "$1" ref.raw; }

# --- stopped at every step ---------------------------------------------------
# The target starts as a copy of another system (the source disk itself):
# after any step it must not look like that system, nor like a finished
# restore.
cp --sparse=always sys.raw t.raw
for step in "${steps[@]}"; do
  ASR_RESTORE_FAIL_AT=$step run "$asr" restore --yes "$tmp/backup" "$tmp/t.raw"
  check "stopped at '$step': exit 3, the step named" 3 '' "stopped at step '$step'"
  incomplete t.raw "stopped at '$step': asr probe reports the target incomplete"
  run "$asr" plan "$tmp/backup" "$tmp/t.raw"
  check "stopped at '$step': asr plan warns of the interrupted restore" 0 \
    'left by an interrupted restore: it will be rewritten'
done
# --grow has a step of its own: the grown table, before the filesystem is grown.
blank big.raw; truncate -s 128M big.raw
ASR_RESTORE_FAIL_AT=grow run "$asr" restore --yes --grow "$tmp/backup" "$tmp/big.raw"
check "stopped at 'grow' (--grow): exit 3" 3 '' "stopped at step 'grow'"
incomplete big.raw "stopped at 'grow': the target is reported incomplete"
run "$asr" restore --yes "$tmp/backup" "$tmp/t.raw"
if [ "$rc" -eq 0 ] && same_as_ref t.raw && ! is_incomplete t.raw; then
  pass "a second restore over the interrupted target completes (equal to the reference)"
else
  fail "a second restore over the interrupted target completes" "rc=$rc" "$err"
fi

# --- the same onto a block device ---------------------------------------------
# A loop device over a copy of the source disk: stopped at every step, it is
# reported incomplete; a second restore completes, equal to the reference,
# and no loop device of the restore is left over its file.
loop_points=$((${#steps[@]} * 2 + 2))
if [ "$(id -u)" -ne 0 ] || ! command -v losetup >/dev/null; then
  for _ in $(seq 1 $loop_points); do skip "restore onto a loop device, stopped" "needs root and losetup"; done
elif ! ldev=$(losetup -f --show "$(cp --sparse=always sys.raw lt.raw && echo lt.raw)" 2>losetup.err); then
  for _ in $(seq 1 $loop_points); do
    skip "restore onto a loop device, stopped" "losetup cannot make a loop device: $(cat losetup.err)"
  done
else
  for step in "${steps[@]}"; do
    ASR_RESTORE_FAIL_AT=$step run "$asr" restore --yes "$tmp/backup" "$ldev"
    check "loop device, stopped at '$step': exit 3, the step named" 3 '' "stopped at step '$step'"
    incomplete "$ldev" "loop device, stopped at '$step': asr probe reports it incomplete"
  done
  run "$asr" restore --yes "$tmp/backup" "$ldev"
  if [ "$rc" -eq 0 ] && same_as_ref lt.raw && ! is_incomplete "$ldev"; then
    pass "a second restore over the interrupted loop device completes (equal to the reference)"
  else
    fail "a second restore over the interrupted loop device completes" "rc=$rc" "$err"
  fi
  left=$(losetup -n -j lt.raw | grep -v "^$ldev:" || true)
  losetup -d "$ldev"
  if [ -z "$left" ]; then pass "no loop device of the restores is left"
  else fail "no loop device of the restores is left" "$left"; fi
fi

# --- kill -9 at random moments -----------------------------------------------
seed=${ASR_FAULTS_SEED:-$(( $(date +%s) % 100000 ))}
echo "# kill -9: seed $seed (ASR_FAULTS_SEED=$seed replays it), delays spread over the ${restore_s} s" \
  "from the first write to the end"
RANDOM=$seed
n_incomplete=0 n_finished=0 n_untouched=0
for i in $(seq 1 $kills); do
  delay=$(python3 -c "print(f'{$restore_s * $((RANDOM % 1000)) / 1000:.3f}')")
  cp --sparse=always sys.raw k.raw
  "$asr" restore --yes "$tmp/backup" "$tmp/k.raw" >/dev/null 2>k.err &
  pid=$!
  started k.err
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true  # it may have finished already
  wait "$pid" && krc=0 || krc=$?
  sleep 0.2
  left=$(helpers_of "$tmp/k.raw")
  state=''
  if is_incomplete k.raw; then state=incomplete; n_incomplete=$((n_incomplete + 1))
  elif same_as_ref k.raw; then state=finished; n_finished=$((n_finished + 1))
  elif cmp -s k.raw sys.raw; then state=untouched; n_untouched=$((n_untouched + 1))
  else state=neither; fi
  "$asr" restore --yes "$tmp/backup" "$tmp/k.raw" >/dev/null 2>k2.err && rc2=0 || rc2=$?
  if [ "$state" != neither ] && [ -z "$left" ] && [ "$rc2" -eq 0 ] && same_as_ref k.raw; then
    pass "kill -9 after $delay s (exit $krc): $state, no helper left, a second restore completes"
  else
    fail "kill -9 after $delay s (exit $krc): marked incomplete or finished, no helper left, a second restore completes" \
      "state: $state" "helpers left: $left" "second restore: exit $rc2: $(cat k2.err)"
  fi
done
echo "# kill -9: $n_incomplete runs left the target marked incomplete, $n_finished had finished," \
  "$n_untouched were killed before the first write"

# --- the backup unreadable: an I/O error in an image -------------------------
# bk-eio: the backup set, its / image seen through blkdebug.
p2=backup/disk0-p2.qcow2
mkdir bk-eio && cp -a backup/machine.xml backup/disk0-bootarea.qcow2 backup/disk0-p1.qcow2 bk-eio/
off=$(data_offset "$p2")
fault_export "$tmp/$p2" bk-eio/disk0-p2.qcow2 off "blkdebug=event=read_aio,errno=5,sector=$((off / 512))"
cp --sparse=always sys.raw e.raw
before=$(sha256sum <e.raw)
# By default restore reads every image for its checksum before the first
# write: the error is found there and the target is not touched.
run "$asr" restore --yes "$tmp/bk-eio" "$tmp/e.raw"
check "a read error in a backup image, found before writing: exit 3, the image named" 3 '' \
  'bk-eio/disk0-p2\.qcow2 .*(Input/output error|not connected).*nothing was written'
[ "$(sha256sum <e.raw)" = "$before" ] && pass "... the target is unchanged" \
  || fail "... the target is unchanged"
# Without that read, the error comes while the volume is written.
run "$asr" restore --yes --no-check-images "$tmp/bk-eio" "$tmp/e.raw"
check "a read error in a backup image while writing: exit 3, the image and the offset named" 3 '' \
  'bk-eio/disk0-p2\.qcow2.*(at byte|offset) [0-9]+.*Input/output error'
if is_incomplete e.raw || [ "$(sha256sum <e.raw)" = "$before" ]; then
  pass "... the target is marked incomplete (or was never written)"
else fail "... the target is marked incomplete (or was never written)"; fi
[ -z "$(helpers_of "$tmp/e.raw")" ] && pass "... no helper is left" || fail "... no helper is left" "$(helpers_of "$tmp/e.raw")"
fault_unexport bk-eio/disk0-p2.qcow2

# --- the backup stalls: reads at 2 MiB/s ---------------------------------------
mkdir bk-slow && cp -a backup/machine.xml backup/disk0-bootarea.qcow2 backup/disk0-p1.qcow2 bk-slow/
fault_export "$tmp/$p2" bk-slow/disk0-p2.qcow2 off read-bps=2097152
blank s.raw
run "$asr" restore --yes "$tmp/bk-slow" "$tmp/s.raw"
if [ "$rc" -eq 0 ] && same_as_ref s.raw; then pass "a stalling backup: the restore completes, equal to the reference"
else fail "a stalling backup: the restore completes, equal to the reference" "rc=$rc" "$err"; fi
# Interrupted while stalled (Ctrl-C, or a service stop).
cp --sparse=always sys.raw s.raw
"$asr" restore --yes "$tmp/bk-slow" "$tmp/s.raw" >/dev/null 2>s.err &
pid=$!
for _ in $(seq 1 200); do pgrep -f "convert.*$tmp/s.raw" >/dev/null && break; sleep 0.05; done
sleep 0.5
kill -TERM "$pid"
wait "$pid" && rc=0 || rc=$?
if [ "$rc" -eq 143 ] && grep -q 'interrupted' s.err; then pass "SIGTERM while the backup stalls: exit 143, said"
else fail "SIGTERM while the backup stalls: exit 143, said" "rc=$rc" "$(cat s.err)"; fi
incomplete s.raw "... the target is marked incomplete"
sleep 0.2
[ -z "$(helpers_of "$tmp/s.raw")" ] && pass "... no helper is left" || fail "... no helper is left" "$(helpers_of "$tmp/s.raw")"
# Killed -9 while stalled: nothing of asr may go on writing the target.
cp --sparse=always sys.raw s.raw
"$asr" restore --yes "$tmp/bk-slow" "$tmp/s.raw" >/dev/null 2>s.err &
pid=$!
for _ in $(seq 1 200); do pgrep -f "convert.*$tmp/s.raw" >/dev/null && break; sleep 0.05; done
sleep 0.5
kill -9 "$pid"
wait "$pid" || true  # its status is the kill's
sleep 0.5
[ -z "$(helpers_of "$tmp/s.raw")" ] && pass "kill -9 while the backup stalls: no qemu-img is left writing the target" \
  || fail "kill -9 while the backup stalls: no qemu-img is left writing the target" "$(helpers_of "$tmp/s.raw")"
incomplete s.raw "... the target is marked incomplete"
fault_unexport bk-slow/disk0-p2.qcow2

# --- the backup stalls, then fails --------------------------------------------
mkdir bk-both && cp -a backup/machine.xml backup/disk0-bootarea.qcow2 backup/disk0-p1.qcow2 bk-both/
off=$(data_offset "$p2" 1)
fault_export "$tmp/$p2" bk-both/disk0-p2.qcow2 off read-bps=2097152 \
  "blkdebug=event=read_aio,errno=5,sector=$((off / 512))"
blank b.raw
run "$asr" restore --yes "$tmp/bk-both" "$tmp/b.raw"
check "a backup that stalls, then fails, found before writing: exit 3, the image named" 3 '' \
  'bk-both/disk0-p2\.qcow2 .*(Input/output error|not connected).*nothing was written'
run "$asr" restore --yes --no-check-images "$tmp/bk-both" "$tmp/b.raw"
check "a backup that stalls, then fails while writing: exit 3, the image and the offset named" 3 '' \
  'bk-both/disk0-p2\.qcow2.*(at byte|offset) [0-9]+.*Input/output error'
if is_incomplete b.raw || ! sfdisk -d b.raw >/dev/null 2>&1; then
  pass "... the target is marked incomplete (or was never written)"
else fail "... the target is marked incomplete (or was never written)"; fi
[ -z "$(helpers_of "$tmp/b.raw")" ] && pass "... no helper is left" || fail "... no helper is left" "$(helpers_of "$tmp/b.raw")"
fault_unexport bk-both/disk0-p2.qcow2

# --- the target fails -----------------------------------------------------------
# An error writing / (partition 2 starts at sector 34816), in data the
# volume copy writes.
p2_sector=$((34816 + $(data_offset "$p2" 0 start) / 512))
blank w.raw
fault_export "$tmp/w.raw" wx.raw on "blkdebug=event=write_aio,errno=5,sector=$p2_sector"
run "$asr" restore --yes "$tmp/backup" "$tmp/wx.raw"
check "a write error on the target's partition 2: exit 3, the disk, the partition and the offset named" 3 '' \
  'wx\.raw partition 2.*at byte [0-9]+.*Input/output error'
[ -z "$(helpers_of "$tmp/wx.raw")" ] && pass "... no helper is left" || fail "... no helper is left" "$(helpers_of "$tmp/wx.raw")"
fault_unexport wx.raw
incomplete w.raw "... the target is marked incomplete"
# An error on sector 0: the marker itself cannot be written.
blank w0.raw
fault_export "$tmp/w0.raw" w0x.raw on "blkdebug=event=write_aio,errno=5,sector=0"
run "$asr" restore --yes "$tmp/backup" "$tmp/w0x.raw"
check "a write error on the target's sector 0: exit 3, the disk and the offset named" 3 '' \
  'w0x\.raw.*(at|write at) [0-9]+.*Input/output error'
fault_unexport w0x.raw
if ! sfdisk -d w0.raw >/dev/null 2>&1; then pass "... the target holds no partition table"
else fail "... the target holds no partition table" "$(sfdisk -d w0.raw)"; fi
# An error on the last MiB, zeroed in the first step: the old system is
# already gone from the head, so the marker must be there too.
cp --sparse=always sys.raw wt.raw
fault_export "$tmp/wt.raw" wtx.raw on "blkdebug=event=write_aio,errno=5,sector=$((96 * 2048 - 1))"
run "$asr" restore --yes "$tmp/backup" "$tmp/wtx.raw"
check "a write error on the target's last sector: exit 3, the disk and the offset named" 3 '' \
  'wtx\.raw.*at [0-9]+.*Input/output error'
fault_unexport wtx.raw
if cmp -s wt.raw sys.raw || is_incomplete wt.raw; then pass "... the target is marked incomplete (or untouched)"
else fail "... the target is marked incomplete (or untouched)" "$(sfdisk -d wt.raw 2>&1)"; fi
# An error reading the target back (the verify step).
blank r.raw
fault_export "$tmp/r.raw" rx.raw on "blkdebug=event=read_aio,errno=5,sector=$p2_sector"
run "$asr" restore --yes "$tmp/backup" "$tmp/rx.raw"
check "a read error on the target during the read-back: exit 3, the disk and the offset named" 3 '' \
  'rx\.raw.*[0-9]+.*Input/output error'
fault_unexport rx.raw
incomplete r.raw "... the target is marked incomplete"

# --- the target stalls: writes at 4 MiB/s ----------------------------------------
blank ws.raw
fault_export "$tmp/ws.raw" wsx.raw on write-bps=4194304
run "$asr" restore --yes "$tmp/backup" "$tmp/wsx.raw"
rc1=$rc err1=$err
fault_unexport wsx.raw
if [ "$rc1" -eq 0 ] && same_as_ref ws.raw; then pass "a stalling target: the restore completes, equal to the reference"
else fail "a stalling target: the restore completes, equal to the reference" "rc=$rc1" "$err1"; fi

# --- the target fills up ----------------------------------------------------------
mkdir small
if mount -t tmpfs -o size=4m tmpfs small 2>/dev/null; then
  truncate -s 96M small/t.raw
  run "$asr" restore --yes "$tmp/backup" "$tmp/small/t.raw"
  check "a sparse target on a full filesystem: exit 3, 'No space left on device', the file named" 3 '' \
    'small/t\.raw.*No space left on device'
  incomplete small/t.raw "... the target is marked incomplete"
  rm -f small/t.raw
  qemu-img create -q -f qcow2 small/t.qcow2 96M
  run "$asr" restore --yes "$tmp/backup" "$tmp/small/t.qcow2"
  check "a qcow2 target on a full filesystem: exit 3, 'No space left on device', the file named" 3 '' \
    'small/t\.qcow2.*No space left on device'
  incomplete small/t.qcow2 "... the target is marked incomplete"
  umount small
else
  for d in "a sparse target on a full filesystem" "... incomplete" "a qcow2 target on a full filesystem" "... incomplete"; do
    skip "$d" "cannot mount a tmpfs here"
  done
fi

finish
