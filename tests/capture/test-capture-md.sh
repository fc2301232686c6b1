#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# md RAID in a capture without the appliance (asr-capture(1), WITHOUT THE
# APPLIANCE), on small disks built here in one appliance session:
#   - a RAID1 of two partitions (metadata 1.2) holding an ext4 /: the
#     members' superblocks and the array's data are read from the disks,
#     with no appliance able to start; the descriptor records the array as
#     its superblocks say, and the set checks out;
#   - one member alone: refused with the appliance path's message (exit 2),
#     still with no appliance;
#   - a member whose superblock no longer matches its checksum, and a
#     RAID0: not read here; with no appliance to look instead, the capture
#     stops naming why (exit 3), and nothing is left behind.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
need guestfish python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

plan 9

for d in a b c d; do truncate -s 128M "$tmp/$d.raw"; done
if ! guestfish --format=raw -a "$tmp/a.raw" -a "$tmp/b.raw" -a "$tmp/c.raw" -a "$tmp/d.raw" \
     >"$tmp/gf.log" 2>&1 <<'GF'
run
part-disk /dev/sda mbr
part-disk /dev/sdb mbr
md-create mdroot "/dev/sda1 /dev/sdb1" level:raid1
mkfs ext4 /dev/md/mdroot label:mdroot
mount /dev/md/mdroot /
mkdir /etc
mkdir /bin
write /etc/os-release "ID=debian\nVERSION_ID=12\nNAME=asr test\n"
write /etc/fstab "LABEL=mdroot / ext4 defaults 0 1\n"
write /etc/hostname "md\n"
umount /
part-disk /dev/sdc mbr
part-disk /dev/sdd mbr
md-create mdstripe "/dev/sdc1 /dev/sdd1" level:raid0
mkfs ext4 /dev/md/mdstripe label:mdroot
mount /dev/md/mdstripe /
mkdir /etc
write /etc/os-release "ID=debian\nVERSION_ID=12\nNAME=asr test\n"
write /etc/fstab "LABEL=mdroot / ext4 defaults 0 1\n"
umount /
GF
then
  # The appliance builds every disk here: a failure is a defect of this
  # test or of the host, not a reason to skip.
  bail_out "building the md disks failed: $(tail -n 3 "$tmp/gf.log" | tr '\n' ' ')"
fi

# refused WHAT STATUS PATTERN DISK...: nothing left behind either
refused() {
  local what=$1 status=$2 pattern=$3
  shift 3
  mkdir "$tmp/out"
  LIBGUESTFS_PATH=/nonexistent run "$asr" capture -o "$tmp/out/backup" "$@"
  check "$what (exit $status)" "$status" '' "$pattern"
  if [ -z "$(ls -A "$tmp/out")" ]; then pass "$what: nothing left behind"
  else fail "$what: nothing left behind" "$(ls -la "$tmp/out")"; fi
  rm -rf "$tmp/out"
}

LIBGUESTFS_PATH=/nonexistent run "$asr" capture -o "$tmp/backup" "$tmp/a.raw" "$tmp/b.raw"
check "a RAID1 root, with no appliance possible" 0 '' \
  'md array md0 \(ext4\): used blocks read from its metadata'
xml=$tmp/backup/machine.xml
if grep -q '<md-array id="md0" uuid="[0-9a-f:]*" name="[^"]*root" level="raid1" metadata="1.2"' "$xml" \
   && grep -q '<image file="md0.qcow2"' "$xml" && grep -q 'label="mdroot"' "$xml" \
   && [ -e "$tmp/backup/disk0-p1-md.qcow2" ] && [ -e "$tmp/backup/disk1-p1-md.qcow2" ]; then
  pass "the descriptor records the array, each member's superblock area and its data"
else
  fail "the descriptor records the array, each member's superblock area and its data" "$(cat "$xml")"
fi
run "$asr" check "$tmp/backup"
check "asr check: every image checks out" 0 'all [0-9]+ images check out'

refused "one member alone: refused as with the appliance" 2 \
  'md array md0 \([0-9a-f:]+\) has 1 of its 2 members on the given disks' "$tmp/b.raw"

# The second member's superblock (metadata 1.2: 4 KiB into the partition)
# with one byte of its name changed: its checksum no longer matches.
cp --sparse=always "$tmp/b.raw" "$tmp/b-bad.raw"
python3 - "$tmp/b-bad.raw" <<'PY'
import struct, sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(446 + 8)
    at = struct.unpack('<I', f.read(4))[0] * 512 + 4096 + 32  # the array's name
    f.seek(at)
    b = f.read(1)
    f.seek(at)
    f.write(bytes([b[0] ^ 0x01]))
PY
refused "a member's superblock fails its checksum: not believed" 3 \
  'disk1 partition 1 is an md RAID member without a version-1 superblock at its start, so these disks need the appliance, which cannot start' \
  "$tmp/a.raw" "$tmp/b-bad.raw"
refused "a RAID0: not read without the appliance" 3 \
  'md array [0-9a-f:]+ is not a plain RAID1, so these disks need the appliance, which cannot start' \
  "$tmp/c.raw" "$tmp/d.raw"
finish
