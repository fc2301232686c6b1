#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# asr restore of an MBR machine (primary /, extended, logical swap and
# /boot, boot code in the boot area) beside a non-critical data disk:
# refusals first (nothing written), then a real restore into --create DIR
# compared field by field, a re-capture of the restored disk, --grow onto a
# larger raw disk, and a corrupted image refused before the first write
# (and, with --no-check-images, caught by the read-back).
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"
. "$ASR_SOURCE_ROOT/tests/lib/layout.sh"

asr=${ASR:?}
need qemu-img qemu-io guestfish sfdisk blkid python3
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg ASR_ACCEL=tcg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

plan 38

# --- the machine: one guestfish launch for both disks ---------------------
truncate -s 256M sys.raw
truncate -s 64M data.raw
guestfish -a sys.raw -a data.raw <<'GF' >/dev/null
run
part-init /dev/sda mbr
part-add /dev/sda p 2048 264191
part-add /dev/sda e 264192 -1
part-add /dev/sda l 266240 331775
part-add /dev/sda l 333824 -1
part-set-bootable /dev/sda 1 true
mkfs ext4 /dev/sda1 label:root
mkswap /dev/sda5 label:swap
mkfs ext4 /dev/sda6 label:boot
mount /dev/sda1 /
mkdir /etc
mkdir /boot
write /etc/os-release "ID=debian\nVERSION_ID=12\nNAME=Debian\n"
write /etc/fstab "LABEL=root / ext4 defaults 0 1\nLABEL=boot /boot ext4 defaults 0 2\nLABEL=swap none swap sw 0 0\n"
write /etc/hostname "restored\n"
mkdir /bin
mkdir /sbin
mount /dev/sda6 /boot
write /boot/vmlinuz "not a kernel"
umount-all
part-init /dev/sdb mbr
part-add /dev/sdb p 2048 -1
mkfs ext4 /dev/sdb1 label:data
GF
# boot code and an "embedded loader" in the boot area
printf 'BOOTCODE-asr-test' | dd of=sys.raw conv=notrunc bs=1 seek=0 2>/dev/null
head -c 4096 /dev/urandom > loader.bin
dd if=loader.bin of=sys.raw conv=notrunc bs=512 seek=1 2>/dev/null
sum() { sha256sum "$1" | cut -d' ' -f1; }

run "$asr" capture -o "$tmp/backup" "$tmp/sys.raw" "$tmp/data.raw"
check "capture of the test machine" 0
xml=backup/machine.xml

# --- refusals: exit status, message, nothing written -----------------------
run "$asr" restore "$tmp/backup"
check "no TARGET is a usage error" 2 '' 'at least one TARGET'

truncate -s 255M small.raw
before=$(sum small.raw)
run "$asr" restore --yes "$tmp/backup" "$tmp/small.raw"
check "a target too small is a blocked plan" 1 'capacity' 'blocked.*nothing was written'
[ "$(sum small.raw)" = "$before" ] && pass "the small target is unchanged" || fail "the small target is unchanged"

truncate -s 256M blank.raw
before=$(sum blank.raw)
run "$asr" restore "$tmp/backup" "$tmp/blank.raw" </dev/null
check "not on a terminal, without --yes: refused" 2 '' 'pass --yes'
[ "$(sum blank.raw)" = "$before" ] && pass "... and the target is unchanged" || fail "... and the target is unchanged"

run "$asr" restore --dry-run "$tmp/backup" "$tmp/blank.raw"
check "--dry-run lists the writes" 0 'volume: partition 1: .*disk0-p1.qcow2 → 134217728 bytes at 1048576'
grep -q 'table: .*EBR' <<<"$out" && grep -q 'boot area: .*bytes 0-439' <<<"$out" \
  && grep -q 'boot area: .*bytes 512-1048575' <<<"$out" \
  && pass "--dry-run shows the EBRs and the boot area around the table" \
  || fail "--dry-run shows the EBRs and the boot area around the table" "$out"
[ "$(sum blank.raw)" = "$before" ] && pass "--dry-run wrote nothing" || fail "--dry-run wrote nothing"

# a plan made for another backup, then for another disk
"$asr" plan -o other-plan.xml "$tmp/backup" "$tmp/blank.raw" >/dev/null
sed -i 's/sha256="[0-9a-f]*"/sha256="'"$(printf '0%.0s' {1..64})"'"/' other-plan.xml
run "$asr" restore --yes --plan other-plan.xml "$tmp/backup" "$tmp/blank.raw"
check "a plan for another backup is refused" 2 '' 'another backup.*nothing was written'
truncate -s 256M blank2.raw
"$asr" plan -o plan2.xml "$tmp/backup" "$tmp/blank2.raw" >/dev/null
run "$asr" restore --yes --plan plan2.xml "$tmp/backup" "$tmp/blank.raw"
check "a plan naming another disk is refused" 2 '' 'not among the TARGETs'
[ "$(sum blank.raw)" = "$before" ] && pass "... and nothing was written" || fail "... and nothing was written"

# --- the data disk's copy among the targets is never written ----------------
cp data.raw datacopy.raw
dbefore=$(sum datacopy.raw)
run "$asr" restore --yes --no-verify "$tmp/backup" "$tmp/datacopy.raw" "$tmp/blank.raw"
check "restore beside a copy of the non-critical data disk" 0 'restored 1 disk'
[ "$(sum datacopy.raw)" = "$dbefore" ] && pass "the non-critical disk's copy was never written" \
  || fail "the non-critical disk's copy was never written"

# --- into --create DIR, compared field by field ------------------------------
run "$asr" restore --yes --create "$tmp/vm" "$tmp/backup"
check "restore into --create DIR" 0 'restored 1 disk.*1 verified|2 verified' 'swap recreated empty'
qemu-img convert -O raw vm/disk0.qcow2 restored.raw
sfdisk --json sys.raw | grep -v '"device"\|"node"' | sed 's/sys.raw//' > want.json
sfdisk --json restored.raw | grep -v '"device"\|"node"' | sed 's/restored.raw//' > got.json
diff want.json got.json >/dev/null && pass "partition table equal (sfdisk --json: id, starts, sizes, types, bootable)" \
  || fail "partition table equal" "$(diff want.json got.json)"
cmp -n 440 sys.raw restored.raw && pass "boot code (bytes 0-439) restored" || fail "boot code restored"
cmp -i 512 -n $((2047 * 512)) sys.raw restored.raw && pass "sectors 1-2047 (embedded loader) restored" \
  || fail "sectors 1-2047 restored"
run "$asr" probe "$tmp/vm/disk0.qcow2"
# probe must succeed, or an absent marker says nothing
if [ "$rc" -eq 0 ] && ! grep -q '<incomplete/>' <<<"$out"; then
  pass "no incomplete marker left"
else
  fail "no incomplete marker left" "$(_tap_report)"
fi
# Swap is recreated, not copied: it must carry the captured UUID and label,
# which fstab (or resume=) may name it by.
sstart=0 suuid='' slabel=''
read -r sstart suuid slabel < <(python3 - "$xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
for d in ET.parse(sys.argv[1]).getroot().iter("disk"):
    for p in d.iter("partition"):
        v = p.find("volume")
        if d.get("id") == "disk0" and v is not None and v.get("fs") == "swap":
            print(p.get("start"), v.get("uuid"), v.get("label"))
EOF
) || true
got=$(blkid -p -O $((${sstart:-0} * 512)) -o export restored.raw 2>&1 || true)
if [ -n "$suuid" ] && grep -qx "TYPE=swap" <<<"$got" && grep -qx "UUID=$suuid" <<<"$got" \
   && grep -qx "LABEL=$slabel" <<<"$got"; then
  pass "swap recreated with the captured UUID and label ($suuid, $slabel)"
else
  fail "swap recreated with the captured UUID and label" "want UUID=$suuid LABEL=$slabel at sector $sstart" "$got"
fi

# a real round trip: capture the restored disk and compare descriptors
run "$asr" capture -o "$tmp/backup2" --format qcow2 "$tmp/vm/disk0.qcow2"
check "capture of the restored disk" 0
norm() { sed -e '/<origin/,/<\/origin>/d' -e 's/ checksum="[^"]*"//' -e 's/ image="[^"]*"//' \
  -e '/<image /d' -e '/<disk id="disk1"/,/<\/disk>/d' "$1"; }
norm backup/machine.xml > a.xml; norm backup2/machine.xml > b.xml
# the first capture also saw disk1 (data): compare disk0 and the OS only;
# swap's UUID and label, types, starts and sizes are all in it
diff a.xml b.xml >/dev/null && pass "re-capture gives an equal descriptor (modulo origin and images)" \
  || fail "re-capture gives an equal descriptor" "$(diff a.xml b.xml | head -20)"

run "$asr" restore --yes --create "$tmp/vm" "$tmp/backup"
check "--create DIR that already holds the disk is refused" 2 '' 'already exists'

# --- --grow onto a larger raw disk -----------------------------------------
# / (partition 1) takes the space; the extended partition, swap (5) and
# /boot (6) after it move towards the end, each EBR with its partition.
truncate -s 512M big.raw
run "$asr" restore --yes --grow "$tmp/backup" "$tmp/big.raw"
check "restore --grow onto a larger raw disk: / takes the space" 0 '' 'partition 1 and its ext4 grown'
# sfdisk: start and size of partitions 1, 2, 5, 6
layout=$(partition_layout big.raw)
# 512 MiB = 1048576 sectors, 256 MiB more: 524288 sectors gained
want="1 2048 786432 2 788480 260096 5 790528 65536 6 858112 190464 "
[ "$layout" = "$want" ] && pass "--grow: / grew by the new space, the partitions after it moved ($layout)" \
  || fail "--grow: / grew by the new space, the partitions after it moved" "got:  $layout" "want: $want"
got=$(guestfish --ro -a big.raw run : tune2fs-l /dev/sda1 : vfs-label /dev/sda5 : vfs-label /dev/sda6 \
      : mount /dev/sda6 / : cat /vmlinuz 2>&1 | grep -E '^Block count:|^swap$|^boot$|^not a kernel$' | tr -s ' ' | tr '\n' ' ')
[ "$got" = "Block count: 393216 swap boot not a kernel " ] \
  && pass "... / fills its partition; swap and /boot are whole at their new places" \
  || fail "... / fills its partition; swap and /boot are whole at their new places" "$got"

# --- --shrink onto a smaller raw disk --------------------------------------
# / (partition 1, 128 MiB, little used) gives up 56 MiB: shrunk in a
# private copy, then the extended partition, swap and /boot move towards
# the start.  The backup set is not touched.
truncate -s 200M small.raw
sums_before=$(sha256sum backup/*.qcow2)
run "$asr" restore --yes --shrink "$tmp/backup" "$tmp/small.raw"
check "restore --shrink onto a smaller raw disk: / gives up the space" 0 '' \
  'partition 1: its ext4 shrunk to 75497472 bytes in a private copy'
layout=$(partition_layout small.raw)
# 200 MiB = 409600 sectors, 114688 fewer than 524288
want="1 2048 147456 2 149504 260096 5 151552 65536 6 219136 190464 "
[ "$layout" = "$want" ] && pass "--shrink: / shrank by what the disk lacks, the partitions after it moved ($layout)" \
  || fail "--shrink: / shrank by what the disk lacks, the partitions after it moved" "got:  $layout" "want: $want"
got=$(guestfish --ro -a small.raw run : fsck ext4 /dev/sda1 : tune2fs-l /dev/sda1 : vfs-label /dev/sda5 \
      : mount /dev/sda1 / : cat /etc/hostname : mount /dev/sda6 /boot : cat /boot/vmlinuz 2>&1 \
      | grep -E '^0$|^Block count:|^swap$|^restored$|^not a kernel$' | tr -s ' ' | tr '\n' ' ')
[ "$got" = "0 Block count: 73728 swap restored not a kernel " ] \
  && pass "... / is clean and holds its files; swap and /boot are whole at their new places" \
  || fail "... / is clean and holds its files; swap and /boot are whole at their new places" "$got"
[ "$(sha256sum backup/*.qcow2)" = "$sums_before" ] && pass "... and the backup set's images are unchanged" \
  || fail "... and the backup set's images are unchanged"
truncate -s 64M tiny.raw
before=$(sha256sum tiny.raw)
run "$asr" restore --yes --shrink "$tmp/backup" "$tmp/tiny.raw"
check "--shrink onto a disk smaller than the used data: the plan is blocked, saying by how much" 1 \
  'the target is short by [0-9]+ bytes' 'the plan is blocked: nothing was written'
[ "$(sha256sum tiny.raw)" = "$before" ] && pass "... and the disk is unchanged" \
  || fail "... and the disk is unchanged"

# --- a corrupted image: checksum mismatch, exit 1, marker left --------------
cp -r backup bad
qemu-io -f qcow2 -c 'write -P 0x5a 1048576 1' bad/disk0-p1.qcow2 >/dev/null
truncate -s 256M target3.raw
before=$(sum target3.raw)
run "$asr" restore --yes "$tmp/bad" "$tmp/target3.raw"
check "a corrupted image is refused before the first write" 1 '' \
  'disk0-p1.qcow2.*its content differs.*nothing was written'
[ "$(sum target3.raw)" = "$before" ] && pass "... and the target is unchanged" \
  || fail "... and the target is unchanged"
run "$asr" restore --yes --no-check-images "$tmp/bad" "$tmp/target3.raw"
check "with --no-check-images it is caught by the read-back" 1 '' 'checksum mismatch on .*partition 1'
run "$asr" probe "$tmp/target3.raw"
grep -q '<incomplete/>' <<<"$out" && pass "the target is reported incomplete" || fail "the target is reported incomplete" "$out"

# --- interrupted at a named step: marker left, a second restore completes --
truncate -s 256M target4.raw
ASR_RESTORE_FAIL_AT=table run "$asr" restore --yes "$tmp/backup" "$tmp/target4.raw"
check "stopped after the table" 3 '' "stopped at step 'table'"
run "$asr" probe "$tmp/target4.raw"
grep -q '<incomplete/>' <<<"$out" && pass "... the target is reported incomplete" || fail "... the target is reported incomplete" "$out"

finish
