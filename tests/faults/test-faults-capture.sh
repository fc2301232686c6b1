#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# asr capture interrupted or starved: stopped at its steps
# (ASR_CAPTURE_FAIL_AT), killed -9 during the appliance start, and a backup
# destination that fills up while the images are written; and fstab naming
# / by a label two volumes share, which is not guessed.  No backup set
# may ever appear at -o; a failure exits 3 naming what failed; temporary
# files are gone after the next run.
#
# sys.raw (ext4 only) is captured without the appliance; the kill -9 and
# the full destination use disks whose / is not marked clean, which the
# appliance inspects (20-60 s under TCG each).  The steps after the
# inspection other than 'descriptor' (appliance, image) end the same way:
# set ASR_FAULTS_ALL_STEPS=1 to run them too.
#
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"
. "$ASR_SOURCE_ROOT/tests/faults/lib.sh"

asr=${ASR:?}
need qemu-img sfdisk mke2fs debugfs tune2fs guestfish
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg ASR_ACCEL=tcg
tmp=$(mktemp -d)
trap 'umount "$tmp/small" 2>/dev/null || true; rm -rf "$tmp"' EXIT
cd "$tmp"

early=(tmpdir overlays)
late=(descriptor)
[ "${ASR_FAULTS_ALL_STEPS:-}" = 1 ] && late=(appliance image descriptor)
plan $((${#early[@]} * 2 + 1 + 3 + ${#late[@]} * 2 + 1 + 4))

make_machine sys.raw
mkdir out
tmpdirs() { find "$1" -mindepth 1 -maxdepth 1 -name '.backup.asr-capture-*'; }

# --- before the appliance: cheap ----------------------------------------------
for step in "${early[@]}"; do
  ASR_CAPTURE_FAIL_AT=$step run "$asr" capture -o "$tmp/out/backup" "$tmp/sys.raw"
  check "stopped at '$step': exit 3, the step named" 3 '' "stopped at step '$step'"
  left=$(ls -A out)
  [ -z "$left" ] && pass "stopped at '$step': no backup set, no temporary directory" \
    || fail "stopped at '$step': no backup set, no temporary directory" "$left"
done

# --- two volumes with the label fstab names: not guessed ----------------------
# /boot relabelled "root": the userspace inspection will not pick one,
# and with no appliance able to start the capture stops, saying why.
cp --sparse=always sys.raw twins.raw
tune2fs -L root "twins.raw?offset=$((2048 * 512))" >/dev/null
LIBGUESTFS_PATH=/nonexistent run "$asr" capture -o "$tmp/out/twins" "$tmp/twins.raw"
check "two volumes labelled as fstab's / : left to the appliance, and said so" 3 '' \
  'fstab names / as LABEL=root \(a form that needs the appliance, or a name several volumes share\), so these disks need the appliance'
rm -f twins.raw

# --- kill -9 while the appliance starts -----------------------------------------
# sys.raw needs no appliance; a copy whose / is not marked clean does.
cp --sparse=always sys.raw unclean.raw
mark_unclean unclean.raw
"$asr" capture -o "$tmp/out/backup" "$tmp/unclean.raw" >/dev/null 2>kill.err &
pid=$!
for _ in $(seq 1 600); do [ -n "$(tmpdirs out)" ] && break; sleep 0.05; done
sleep 2
kill -9 "$pid"
wait "$pid" && krc=0 || krc=$?
[ "$krc" -eq 137 ] && [ ! -e out/backup ] && pass "kill -9 while the appliance starts: no backup set" \
  || fail "kill -9 while the appliance starts: no backup set" "exit $krc" "$(ls -la out)"
# libguestfs' recovery process kills the appliance when asr dies.
for _ in $(seq 1 50); do pgrep -f "$tmp/out/" >/dev/null || break; sleep 0.2; done
[ -z "$(pgrep -af "$tmp/out/")" ] && pass "... no appliance or qemu-img of it is left" \
  || fail "... no appliance or qemu-img of it is left" "$(pgrep -af "$tmp/out/")"
stale=$(tmpdirs out)
[ -n "$stale" ] && pass "... its temporary directory is left for the next run to remove" \
  || fail "... its temporary directory is left for the next run to remove" "$(ls -la out)"

# --- after the appliance: one launch each ----------------------------------------
for step in "${late[@]}"; do
  ASR_CAPTURE_FAIL_AT=$step run "$asr" capture -o "$tmp/out/backup" "$tmp/sys.raw"
  check "stopped at '$step': exit 3, the step named" 3 '' "stopped at step '$step'"
  [ ! -e out/backup ] && [ -z "$(tmpdirs out | grep -v -F "$stale")" ] \
    && pass "stopped at '$step': no backup set, its temporary directory removed" \
    || fail "stopped at '$step': no backup set, its temporary directory removed" "$(ls -la out)"
done
# The captures above, to the same BACKUP, removed what the killed one left.
[ -z "$(tmpdirs out)" ] && pass "the next capture removed the killed capture's temporary directory" \
  || fail "the next capture removed the killed capture's temporary directory" "left: $(tmpdirs out)"

# --- the destination fills up -------------------------------------------------------
# A 24 MiB journal of random bytes in a filesystem not marked clean:
# measured in the appliance, whose "used" does not count a journal, so the
# free space check passes, but the image of / carries it: the 20 MiB
# filesystem fills while it is written.
make_machine full.raw 24
mkdir small
if mount -t tmpfs -o size=20m tmpfs small 2>/dev/null; then
  run "$asr" capture -o "$tmp/small/backup" "$tmp/full.raw"
  check "a destination that fills up: exit 3, 'No space left on device', the file named" 3 '' \
    'disk0-p2\.qcow2 of .*small/backup.*No space left on device'
  grep -qF "disk0 partition 2 (ext4): its state is 'not clean': its free space is trimmed in the appliance" <<<"$err" \
    && pass "... / took the appliance path: it is not marked clean" \
    || fail "... / took the appliance path: it is not marked clean" "$err"
  left=$(ls -A small)
  [ -z "$left" ] && pass "... no backup set, no temporary directory, the space given back" \
    || fail "... no backup set, no temporary directory, the space given back" "$left"
  used=$(df -k --output=used small | tail -n 1 | tr -d ' ')
  [ "$used" -lt 1024 ] && pass "... the filesystem is empty again ($used KiB used)" \
    || fail "... the filesystem is empty again" "$used KiB used"
  umount small
else
  for d in "a destination that fills up" "... appliance path" "... nothing left" "... empty again"; do
    skip "$d" "cannot mount a tmpfs here"
  done
fi

finish
