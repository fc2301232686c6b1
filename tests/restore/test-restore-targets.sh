#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Which targets restore refuses to write, and that it writes nothing then:
# partition tables asr cannot read (signatures in them still protect the
# disk; only --map writes one), a --plan gone stale (the target re-checked
# once locked), image files open in qemu (its OFD image locks), and two
# restores onto one target at once (image file, and loop device as root).
# One backup set, captured once, serves every case.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
need qemu-img qemu-io qemu-nbd sfdisk mkfs.ext4
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg ASR_ACCEL=tcg
tmp=$(mktemp -d)
nbd_pids=()
loops=()
cleanup() {
  # Under set -e: a step that fails here must not skip the next ones.
  for p in "${nbd_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for m in fsmnt mnt; do umount "$tmp/$m" 2>/dev/null || true; done
  for l in "${loops[@]}"; do
    swapoff "$l" 2>/dev/null || true
    losetup -d "$l" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

plan 68

sum() { sha256sum "$1" | cut -d' ' -f1; }
# unchanged FILE SUM DESCRIPTION
unchanged() {
  [ "$(sum "$1")" = "$2" ] && pass "$3" || fail "$3" "$1 was written"
}
# refused DESCRIPTION STATUS OUT-RE ERR-RE FILE [OPTION...]: restore --yes
# onto FILE is refused so, and FILE is unchanged
refused() {
  local desc=$1 want=$2 pout=$3 perr=$4 file=$5 before
  shift 5
  before=$(sum "$file")
  run "$asr" restore --yes "$@" "$tmp/backup" "$tmp/$file"
  check "$desc" "$want" "$pout" "$perr"
  unchanged "$file" "$before" "... and $file is unchanged"
}
# sfdisk SCRIPT FILE: a table written by sfdisk, as a user would
table() { printf "$1" | sfdisk -q --no-reread --no-tell-kernel "$2" >/dev/null; }
SIZE=40M

# --- the backup: disk0 critical (/), disk1 non-critical MBR 0xdada0001,
# disk2 non-critical GPT; the filesystem made by mkfs -d, no appliance ----
mkdir -p root/etc root/bin root/sbin
printf 'ID=debian\nVERSION_ID=12\nNAME=Debian\n' > root/etc/os-release
printf 'LABEL=root / ext4 defaults 0 1\n' > root/etc/fstab
truncate -s 39M p1.img
mkfs.ext4 -q -L root -d root p1.img
truncate -s $SIZE sys.raw
table 'label: dos\nlabel-id: 0x5a5a0001\nstart=2048, type=83, bootable\n' sys.raw
dd if=p1.img of=sys.raw bs=512 seek=2048 conv=notrunc status=none
truncate -s 16M data1.raw data2.raw
table 'label: dos\nlabel-id: 0xdada0001\nstart=2048, type=83\n' data1.raw
GUID2=11111111-2222-4333-8444-555555555555
table "label: gpt\nlabel-id: $GUID2\nstart=2048, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n" data2.raw

run "$asr" capture -o "$tmp/backup" "$tmp/sys.raw" "$tmp/data1.raw" "$tmp/data2.raw"
check "capture of the test machine" 0
[ "$rc" -eq 0 ] || { finish; exit 1; }

# A table whose last partition ends past the disk's end, as the attack did:
# made on a larger disk, then cut (Linux and sfdisk still read it).
past_end() { # ID FILE
  truncate -s 80M big.raw
  table "label: dos\nlabel-id: $1\nstart=2048, type=83\n" big.raw
  head -c $SIZE big.raw > "$2"
  rm -f big.raw
}

# --- an unreadable table with the non-critical disk's MBR signature ---------
past_end 0xdada0001 bad.raw
sfdisk -d bad.raw 2>/dev/null | grep -q 'label-id: 0xdada0001' && pass "sfdisk reads the damaged table" \
  || fail "sfdisk reads the damaged table"
run "$asr" probe "$tmp/bad.raw"
check "probe records the signature and why the table cannot be read" 0 \
  '<partition-table type="mbr" signature="0xdada0001" unreadable="partition 1 ends at sector 163839, past the disk end \(81920 sectors\)"/>'
run "$asr" plan "$tmp/backup" "$tmp/bad.raw"
check "plan: its signature still protects it" 1 \
  'noncritical-protection +target disk0 carries the MBR signature 0xdada0001 of the backup.s non-critical disk disk1; its partition table cannot be read'
refused "restore --yes refuses it" 1 'carries the MBR signature 0xdada0001' \
  'blocked: nothing was written' bad.raw
run "$asr" plan --map disk0=disk0 "$tmp/backup" "$tmp/bad.raw"
check "--map does not override the signature" 1 \
  'fail +noncritical-protection .*non-critical disk disk1.*--map disk0=disk0 would write it'

# --- the same with a GPT: the disk GUID from a header whose entries are bad --
truncate -s $SIZE gbad.raw
table "label: gpt\nlabel-id: $GUID2\nstart=2048, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n" gbad.raw
# a byte of the first entry (primary and backup arrays): both CRCs fail
printf 'X' | dd of=gbad.raw bs=1 seek=$((2 * 512 + 60)) conv=notrunc status=none
printf 'X' | dd of=gbad.raw bs=1 seek=$((40 * 1024 * 1024 - 33 * 512 + 60)) conv=notrunc status=none
run "$asr" probe "$tmp/gbad.raw"
check "probe records the GUID of a GPT whose entries are bad" 0 \
  "<partition-table type=\"gpt\" guid=\"$GUID2\" unreadable=\"GPT entries CRC mismatch"
refused "restore --yes refuses a disk with the non-critical disk's GUID" 1 \
  "carries the GPT disk GUID $GUID2 of the backup.s non-critical disk disk2" 'nothing was written' gbad.raw

# --- an unreadable table with another signature: only --map writes it -------
past_end 0x12345678 other.raw
refused "restore --yes refuses an unreadable table nobody named" 1 \
  'its partition table cannot be read \(partition 1 ends .*\), so what it holds is unknown: only a --map naming it writes it' \
  'blocked: nothing was written' other.raw
run "$asr" plan --map disk0=disk0 -o map.xml "$tmp/backup" "$tmp/other.raw"
check "plan --map names it: restorable, and the plan says what is lost" 0 \
  'warn +noncritical-protection +target disk0: its partition table cannot be read .*--map disk0=disk0 names it, so whatever it holds is overwritten'
# --map names a file target by any path to it: relative, ./, absolute
for spec in other.raw ./other.raw "$tmp/other.raw"; do
  run "$asr" plan --map "disk0=$spec" "$tmp/backup" other.raw
  check "--map disk0=$spec names the TARGET other.raw" 0 "--map disk0=${spec//./\\.} names it"
done
run "$asr" restore --yes --plan map.xml "$tmp/backup" "$tmp/other.raw"
check "restore --plan with that --map writes it" 0 'restored 1 disk'
sfdisk -d other.raw 2>/dev/null | grep -q 'label-id: 0x5a5a0001' && pass "... with the backup's table" \
  || fail "... with the backup's table" "$(sfdisk -d other.raw 2>&1)"

# --- a plan that chose a disk by disk order alone: --yes refuses it ---------
# Two equal blank disks of one TARGET (local, on a rescue medium) give such
# a plan; image files are one TARGET each, so the tie is written in by hand,
# as `asr plan BACKUP local -o` records it.
truncate -s $SIZE tie.raw
"$asr" plan -o tie.xml "$tmp/backup" "$tmp/tie.raw" >/dev/null
sed -i 's|<map \(.*\)/>|<map \1 tie="disk1"/>|' tie.xml
grep -q 'tie="disk1"' tie.xml || fail "the tie is in the plan" "$(cat tie.xml)"
refused "restore --yes refuses a plan that chose by disk order" 1 '' \
  'disk0 could go to target disk0 or target disk1, and nothing tells the two apart: an unattended restore does not choose by disk order.*nothing was written' \
  tie.raw --plan tie.xml

# --- a stale --plan: the target is re-checked once locked --------------------
truncate -s $SIZE t5.raw
"$asr" plan -o stale.xml "$tmp/backup" "$tmp/t5.raw" >/dev/null
rm t5.raw
truncate -s $SIZE t5.raw
table 'label: dos\nlabel-id: 0xdada0001\nstart=2048, type=83\n' t5.raw
refused "a stale plan onto a file now carrying the non-critical signature is refused" 2 '' \
  'nothing was written: .*t5.raw has changed since it was planned \(carries the MBR signature 0xdada0001 of the backup.s non-critical disk disk1\): refusing to write it' \
  t5.raw --plan stale.xml
before=$(sum t5.raw)
"$asr" restore --yes --plan stale.xml --dry-run "$tmp/backup" "$tmp/t5.raw" >/dev/null 2>&1
unchanged t5.raw "$before" "... a dry run with it writes nothing either"

rm t5.raw
past_end 0x12345678 t5.raw
refused "a stale plan onto a file whose table became unreadable is refused" 2 '' \
  'has changed since it was planned \(its partition table cannot be read .*\) \(the plan did not name it with --map\)' \
  t5.raw --plan stale.xml

# --- --grow[=MOUNTPOINT]: a bare --grow before BACKUP is --grow=/ (GOption
# would take BACKUP as its value); a mount point the backup lacks is refused
truncate -s 80M g.raw
run "$asr" restore --dry-run --grow "$tmp/backup" "$tmp/g.raw"
check "restore --dry-run --grow BACKUP: / takes the space" 0 \
  'g.raw: layout: partition 1: start 2048 → 2048, [0-9]+ → 161792 sectors \(grows\)'
refused "restore --grow=/srv: no volume there, the plan is blocked" 1 'no volume of the backup is mounted at /srv' \
  'the plan is blocked: nothing was written' g.raw --grow=/srv

# --- image files open in qemu ------------------------------------------------
nbd() { # FORMAT FILE [OPTIONS]: export it until the test ends
  local f=$1 file=$2; shift 2
  qemu-nbd -f "$f" -t -k "$tmp/$file.sock" "$@" "$tmp/$file" &
  nbd_pids+=($!)
  for _ in $(seq 50); do [ -S "$tmp/$file.sock" ] && return 0; sleep 0.1; done
  return 1
}
truncate -s $SIZE q.raw
"$asr" plan -o q.xml "$tmp/backup" "$tmp/q.raw" >/dev/null
nbd raw q.raw
run "$asr" probe "$tmp/q.raw"
check "probe: a raw file exported by qemu-nbd is in use" 0 \
  '<in-use reason="locked" detail="qemu.s image lock for &quot;consistent read&quot; is held: a VM, qemu-nbd or qemu-img has it open"/>'
refused "restore --yes refuses it (the plan is blocked)" 1 \
  'in-use +target disk0 is locked by another program \(qemu.s image lock' 'blocked: nothing was written' q.raw
refused "a plan made before qemu opened it is refused at the re-check" 2 '' \
  'nothing was written: .*q.raw has changed since it was planned \(locked by another program \(qemu.s image lock' \
  q.raw --plan q.xml

qemu-img create -q -f qcow2 q.qcow2 $SIZE
nbd qcow2 q.qcow2 --read-only
refused "a qcow2 file qemu-nbd has open read-only is in use too" 1 'locked by another program' \
  'blocked: nothing was written' q.qcow2

# --- two restores onto one target at once ------------------------------------
# The result of one restore alone, to compare with: restore is
# deterministic, so a loser that wrote anything (even only invalidated the
# disk, before or after the winner) leaves other bytes.
truncate -s $SIZE ref.raw
run "$asr" restore --yes "$tmp/backup" "$tmp/ref.raw"
check "a restore alone (the reference)" 0 'restored 1 disk'
ref=$(sum ref.raw)

# race TARGET FILE ROUND: two restores of TARGET started together
race() {
  local target=$1 file=$2 round=$3
  local p1 p2 r1 r2 loser
  ("$asr" restore --yes "$tmp/backup" "$target" >o1 2>e1 && echo 0 >r1 || echo $? >r1) &
  p1=$!
  ("$asr" restore --yes "$tmp/backup" "$target" >o2 2>e2 && echo 0 >r2 || echo $? >r2) &
  p2=$!
  wait $p1 $p2
  r1=$(cat r1) r2=$(cat r2)
  if [ "$r1" -eq 0 ] && [ "$r2" -ne 0 ]; then loser=2
  elif [ "$r2" -eq 0 ] && [ "$r1" -ne 0 ]; then loser=1
  else
    fail "$round: exactly one of two restores runs" "exit statuses $r1 and $r2" \
      "first: $(tail -2 e1)" "second: $(tail -2 e2)"
    fail "$round: the other says the target is locked or in use"
    fail "$round: the disk is what one restore alone writes"
    return
  fi
  pass "$round: exactly one of two restores runs"
  if grep -qE 'locked|in use' o$loser e$loser && grep -q 'nothing was written' e$loser; then
    pass "$round: the other says the target is locked or in use, and that nothing was written"
  else
    fail "$round: the other says the target is locked or in use" "$(cat e$loser)"
  fi
  [ "$(sum "$file")" = "$ref" ] && pass "$round: the disk is what one restore alone writes" \
    || fail "$round: the disk is what one restore alone writes"
}
for i in 1 2; do
  rm -f c.raw
  truncate -s $SIZE c.raw
  race "$tmp/c.raw" c.raw "image file, round $i"
done

if [ "$(id -u)" -ne 0 ] || ! command -v losetup >/dev/null; then
  for i in 1 2 3 4 5 6; do skip "loop device race" "needs root and losetup"; done
else
  for i in 1 2; do
    rm -f l.raw
    truncate -s $SIZE l.raw
    dev=$(losetup -f --show l.raw) || { fail "losetup"; continue; }
    loops+=("$dev")
    race "$dev" l.raw "loop device, round $i"
    losetup -d "$dev"
  done
fi

# --- a loop device over the backup set's own files ---------------------------
# A loop device is its backing file: found by identity (LOOP_GET_STATUS64),
# not by path, so an image of the set behind one is refused like the file,
# by plan and by restore; so is a loop device over a file system image that
# holds the set, and that image file itself.
if [ "$(id -u)" -ne 0 ] || ! command -v losetup >/dev/null; then
  for d in "plan refuses a loop device over an image of the set" \
           "restore refuses it" "... and the image is unchanged" \
           "plan refuses a loop device over a file system image holding the set" \
           "restore refuses the loop device over the file system image" "... and the file system image is unchanged" \
           "plan refuses that file system image itself as a target"; do
    skip "$d" "needs root and losetup"
  done
else
  cp -a backup lset
  # grown, so that the loop device is large enough for the plan's rules
  # (qcow2 ignores what follows its last cluster: check still passes)
  truncate -s 64M lset/disk0-p1.qcow2
  img_sum=$(sum lset/disk0-p1.qcow2)
  dev=$(losetup -f --show lset/disk0-p1.qcow2)
  loops+=("$dev")
  mv lset/disk0-p1.qcow2 lset/renamed.qcow2 && mv lset/renamed.qcow2 lset/disk0-p1.qcow2
  run "$asr" plan "$tmp/lset" "$dev"
  check "plan refuses a loop device over an image of the set" 2 '' \
    "$dev is disk0-p1.qcow2, a file of the backup set"
  run "$asr" restore --yes --no-verify "$tmp/lset" "$dev"
  check "restore refuses it" 2 '' "$dev is disk0-p1.qcow2, a file of the backup set"
  losetup -d "$dev"
  unchanged lset/disk0-p1.qcow2 "$img_sum" "... and the image is unchanged"

  truncate -s 200M fs.img
  mkfs.ext4 -q -F fs.img
  fsdev=$(losetup -f --show fs.img)
  loops+=("$fsdev")
  mkdir -p fsmnt
  mount "$fsdev" fsmnt
  cp -a backup fsmnt/set
  dev=$(losetup -f --show fs.img)
  loops+=("$dev")
  run "$asr" plan "$tmp/fsmnt/set" "$dev"
  check "plan refuses a loop device over a file system image holding the set" 2 '' \
    "$dev holds the backup set"
  set_sum=$(sha256sum fsmnt/set/* | sha256sum)
  run "$asr" restore --yes --no-verify "$tmp/fsmnt/set" "$dev"
  check "restore refuses the loop device over the file system image" 2 '' "$dev holds the backup set"
  losetup -d "$dev"
  sync
  [ "$(sha256sum fsmnt/set/* | sha256sum)" = "$set_sum" ] && pass "... and the file system image is unchanged" \
    || fail "... and the file system image is unchanged"
  run "$asr" plan "$tmp/fsmnt/set" "$tmp/fs.img"
  check "plan refuses that file system image itself as a target" 2 '' \
    "TARGET $tmp/fs.img holds the backup set"
  umount fsmnt
  losetup -d "$fsdev"
fi

# --- a mounted block device ----------------------------------------------------
# A filesystem on a disk, mounted: restore refuses the device (O_EXCL and
# the in-use check) and writes none of its bytes.
if [ "$(id -u)" -ne 0 ] || ! command -v losetup >/dev/null; then
  skip "a mounted loop device is refused" "needs root and losetup"
  skip "the mounted device's bytes are unchanged" "needs root and losetup"
elif ! dev=$(losetup -f --show "$(truncate -s $SIZE m.raw && mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 m.raw && echo m.raw)" 2>losetup.err); then
  fail "a mounted loop device is refused" "losetup failed: $(cat losetup.err)"
  fail "the mounted device's bytes are unchanged" "no loop device"
else
  loops+=("$dev")
  mkdir -p mnt
  # read-only: a file system mounted read-write writes by itself (lazy
  # initialisation, journal commits), which would say nothing of restore
  mount -o ro "$dev" mnt
  before=$(sha256sum <"$dev")
  run "$asr" restore --yes "$tmp/backup" "$dev"
  check "a mounted loop device is refused" 1 "mounted" "blocked: nothing was written"
  after=$(sha256sum <"$dev")
  umount mnt
  [ "$before" = "$after" ] && pass "the mounted device's bytes are unchanged" \
    || fail "the mounted device's bytes are unchanged"
  losetup -d "$dev"
fi

# --- in use through another loop device -----------------------------------------
# A partition of the target used through an offset loop device over the
# same file shows in no holders/ of the target: found by the loop
# devices' backing identity.  Mounted, then swapped on; and a loop device
# swapped on as a whole.  Each refused with its bytes unchanged.
loop_cases=("a partition mounted through another loop device is refused"
  "a file whose partition is mounted through a loop device is refused"
  "a partition swapped on through another loop device is refused"
  "a swapped-on loop device is refused")
if [ "$(id -u)" -ne 0 ] || ! command -v losetup >/dev/null || ! command -v swapon >/dev/null; then
  for d in "${loop_cases[@]}"; do
    skip "$d" "needs root, losetup and swapon"
    skip "... and its bytes are unchanged" "needs root, losetup and swapon"
  done
else
  truncate -s $SIZE a.raw
  table 'label: dos\nstart=2048, size=30720, type=83\nstart=32768, type=82\n' a.raw
  dev=$(losetup -f --show a.raw)
  part=$(losetup -f --show -o $((2048 * 512)) --sizelimit $((30720 * 512)) a.raw)
  swap=$(losetup -f --show -o $((32768 * 512)) a.raw)
  loops+=("$part" "$swap" "$dev")
  mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$part"
  mkswap -q "$swap" >/dev/null
  mkdir -p mnt
  mount -o ro "$part" mnt
  before=$(sum a.raw)
  run "$asr" restore --yes "$tmp/backup" "$dev"
  check "${loop_cases[0]}" 1 "mounted.*${part#/dev/} \(a loop device over this disk\)" \
    "blocked: nothing was written"
  unchanged a.raw "$before" "... and its bytes are unchanged"
  refused "${loop_cases[1]}" 1 "mounted.*${part#/dev/}" "blocked: nothing was written" a.raw
  umount mnt
  swapon "$swap"
  before=$(sum a.raw)
  run "$asr" restore --yes "$tmp/backup" "$dev"
  swapoff "$swap"
  check "${loop_cases[2]}" 1 "swap.*${swap#/dev/} \(a loop device over this disk\)" \
    "blocked: nothing was written"
  unchanged a.raw "$before" "... and its bytes are unchanged"
  losetup -d "$part" "$swap" "$dev"
  # the whole device swapped on
  truncate -s $SIZE w.raw
  mkswap -q w.raw >/dev/null
  dev=$(losetup -f --show w.raw)
  loops+=("$dev")
  swapon "$dev"
  before=$(sum w.raw)
  run "$asr" restore --yes "$tmp/backup" "$dev"
  swapoff "$dev"
  check "${loop_cases[3]}" 1 "swap" "blocked: nothing was written"
  unchanged w.raw "$before" "... and its bytes are unchanged"
  losetup -d "$dev"
fi

# --- the typed confirmation, on a terminal --------------------------------------
# script(1) gives restore a terminal; on a block device it asks for the
# device's name, and 'yes' is not it.
if [ "$(id -u)" -ne 0 ] || ! command -v losetup >/dev/null || ! command -v script >/dev/null; then
  for d in "the prompt names the disk" "a wrong answer writes nothing" "the disk's name goes ahead"; do
    skip "$d" "needs root, losetup and script"
  done
else
  rm -f t.raw
  truncate -s $SIZE t.raw
  dev=$(losetup -f --show t.raw)
  loops+=("$dev")
  name=${dev##*/}
  zero=$(sum t.raw)
  out=$(echo yes | script -q -e -c "$asr restore $tmp/backup $dev" /dev/null 2>&1) && rc=0 || rc=$?
  if grep -q "Type '$name' (the disk to overwrite)" <<<"$out"; then pass "the prompt names the disk"
  else fail "the prompt names the disk" "$out"; fi
  if [ "$rc" -eq 2 ] && grep -q 'not confirmed: nothing was written' <<<"$out" && [ "$(sum t.raw)" = "$zero" ]; then
    pass "a wrong answer writes nothing"
  else fail "a wrong answer writes nothing" "exit $rc" "$out"; fi
  out=$(echo "$name" | script -q -e -c "$asr restore $tmp/backup $dev" /dev/null 2>&1) && rc=0 || rc=$?
  if [ "$rc" -eq 0 ] && grep -q 'restored 1 disk' <<<"$out"; then pass "the disk's name goes ahead"
  else fail "the disk's name goes ahead" "exit $rc" "$out"; fi
  losetup -d "$dev"
fi

finish
