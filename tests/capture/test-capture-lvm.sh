#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# LVM in capture and restore, on small disks built here:
#   - a machine whose / is a logical volume is captured: the descriptor
#     records the volume group (its metadata file, the PV's label area, the
#     LV's segment and image), the set checks out, and a restore onto a
#     blank disk writes the identities back (PV, VG and LV UUIDs, the
#     filesystem's UUID) and recreates swap on its LV;
#   - plan vets the LVM metadata file as check does: changed, it fails the
#     images check; a directory, symlink, FIFO or device is refused;
#   - what restore cannot recreate is refused by name, before anything is
#     written: a snapshot, an LV in two segments, a volume group with a PV
#     on a disk that was not given;
#   - with no appliance able to start (as on the rescue medium), the good
#     machine is captured all the same (LVM's label and metadata read from
#     the disk's bytes); a changed metadata text
#     or a snapshot stops it, naming why these disks need the appliance.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
need guestfish
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

plan 32

for d in good multiseg snap split1 split2 thin raid cache; do truncate -s 256M "$tmp/$d.raw"; done
# An OS on a plain partition: what the refusal cases boot from.
os_on() {
  cat <<GF
mkfs ext4 $1
mount $1 /
mkdir /etc
mkdir /bin
mkdir /sbin
write /etc/os-release "ID=debian\nVERSION_ID=12\nNAME=asr test\n"
write /etc/fstab "$2"
write /etc/hostname "lvm\n"
umount /
GF
}
# A thin pool and a thin volume, without thin_check (the appliance may
# lack thin-provisioning-tools; only the metadata matters here).
thin_sh='lvm lvcreate -q --config "global/thin_check_executable=\"\"" -L 32m -T vgt/pool && lvm lvcreate -q --config "global/thin_check_executable=\"\"" -V 16m -T vgt/pool -n thin && echo thin-done'
cache_sh='lvm lvcreate -q -L 16m -n data vgc && lvm lvcreate -q --type cache-pool -L 8m -n cpool vgc && lvm lvconvert -q -y --config "global/cache_check_executable=\"\"" --type cache --cachepool vgc/cpool vgc/data && echo cache-done'
if ! guestfish --format=raw -a "$tmp/good.raw" -a "$tmp/multiseg.raw" -a "$tmp/snap.raw" \
     -a "$tmp/split1.raw" -a "$tmp/split2.raw" -a "$tmp/thin.raw" \
     -a "$tmp/raid.raw" -a "$tmp/cache.raw" >"$tmp/gf.log" 2>&1 <<GF
run
part-disk /dev/sda mbr
pvcreate /dev/sda1
vgcreate vg0 /dev/sda1
lvcreate root vg0 128
lvcreate swap vg0 16
mkfs ext4 /dev/vg0/root label:rootfs
mkswap /dev/vg0/swap label:swap0
mount /dev/vg0/root /
mkdir /etc
mkdir /bin
mkdir /sbin
write /etc/os-release "ID=debian\nVERSION_ID=12\nNAME=asr test\n"
write /etc/fstab "/dev/vg0/root / ext4 defaults 0 1\n/dev/vg0/swap none swap sw 0 0\n"
write /etc/hostname "lvm\n"
umount /
part-init /dev/sdb mbr
part-add /dev/sdb p 2048 200000
part-add /dev/sdb p 200001 -1
$(os_on /dev/sdb1 '/dev/sda1 / ext4 defaults 0 1\n')
pvcreate /dev/sdb2
vgcreate vgm /dev/sdb2
lvcreate a vgm 8
lvcreate b vgm 8
lvresize /dev/vgm/a 16
part-init /dev/sdc mbr
part-add /dev/sdc p 2048 200000
part-add /dev/sdc p 200001 -1
$(os_on /dev/sdc1 '/dev/sda1 / ext4 defaults 0 1\n')
pvcreate /dev/sdc2
vgcreate vgs /dev/sdc2
lvcreate data vgs 16
debug sh "lvm lvcreate -q -s -L 8m -n snap vgs/data && echo snap-done"
part-init /dev/sdd mbr
part-add /dev/sdd p 2048 200000
part-add /dev/sdd p 200001 -1
$(os_on /dev/sdd1 '/dev/sda1 / ext4 defaults 0 1\n')
part-disk /dev/sde mbr
pvcreate /dev/sdd2
pvcreate /dev/sde1
vgcreate vgx "/dev/sdd2 /dev/sde1"
lvcreate x vgx 300
part-init /dev/sdf mbr
part-add /dev/sdf p 2048 200000
part-add /dev/sdf p 200001 -1
$(os_on /dev/sdf1 '/dev/sda1 / ext4 defaults 0 1\n')
pvcreate /dev/sdf2
vgcreate vgt /dev/sdf2
debug sh "echo $(printf '%s\n' "$thin_sh" | base64 -w0) | base64 -d | sh"
part-init /dev/sdg mbr
part-add /dev/sdg p 2048 200000
part-add /dev/sdg p 200001 350000
part-add /dev/sdg p 350001 -1
$(os_on /dev/sdg1 '/dev/sda1 / ext4 defaults 0 1\n')
pvcreate /dev/sdg2
pvcreate /dev/sdg3
vgcreate vgr "/dev/sdg2 /dev/sdg3"
debug sh "lvm lvcreate -q --type raid1 -m 1 -L 8m -n r vgr && echo raid-done"
part-init /dev/sdh mbr
part-add /dev/sdh p 2048 200000
part-add /dev/sdh p 200001 -1
$(os_on /dev/sdh1 '/dev/sda1 / ext4 defaults 0 1\n')
pvcreate /dev/sdh2
vgcreate vgc /dev/sdh2
debug sh "echo $(printf '%s\n' "$cache_sh" | base64 -w0) | base64 -d | sh"
lvs
GF
then
  # The appliance has LVM wherever asr runs: a build that fails is a
  # defect of this test or of the host, not a reason to skip.
  bail_out "building the LVM disks failed: $(tail -n 3 "$tmp/gf.log" | tr '\n' ' ')"
fi
grep -q snap-done "$tmp/gf.log" || bail_out "no LVM snapshot made in the appliance: $(tail -n 3 "$tmp/gf.log" | tr '\n' ' ')"

# --- the good machine ------------------------------------------------------
# LVM read from the disk's bytes: no appliance needed.
LIBGUESTFS_PATH=/nonexistent run "$asr" capture -o "$tmp/no-appliance" "$tmp/good.raw"
check "without an appliance: captured, LVM read from the disk's bytes" 0 '' \
  'inspected without the appliance'
run "$asr" capture -o "$tmp/backup" "$tmp/good.raw"
check "a machine with / on an LV is captured, without the appliance" 0 '' \
  'logical volume vg0/root \(ext4\): used blocks read from its metadata'
rm -rf "$tmp/no-appliance"
# The metadata text checked against its checksum: one byte changed, it
# is not believed, and with no appliance to look instead the capture
# stops naming why (exit 3).
cp --sparse=always "$tmp/good.raw" "$tmp/bad-text.raw"
python3 - "$tmp/bad-text.raw" <<'PY'
import struct, sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(446 + 8)
    part = struct.unpack('<I', f.read(4))[0] * 512    # partition 1's start
    f.seek(part + 4096 + 40)                          # the area's first text
    off, size = struct.unpack('<QQ', f.read(16))
    f.seek(part + 4096 + off + size // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x20]))
PY
LIBGUESTFS_PATH=/nonexistent run "$asr" capture -o "$tmp/no-appliance" "$tmp/bad-text.raw"
check "a changed LVM metadata text: not believed; no appliance, exit 3 naming it" 3 '' \
  'disk0 partition 1: LVM physical volume: the metadata text at [0-9]+ does not match its checksum, so these disks need the appliance, which cannot start'
rm -f "$tmp/bad-text.raw"
xml=$tmp/backup/machine.xml
vg_uuid=$(sed -n 's/.*<volume-group name="vg0" uuid="\([^"]*\)".*/\1/p' "$xml") || true
pv_uuid=$(sed -n 's/.*<pv uuid="\([^"]*\)" device="disk0\/p1".*/\1/p' "$xml") || true
root_uuid=$(sed -n 's/.*<lv name="root" uuid="\([^"]*\)".*/\1/p' "$xml") || true
if [ -n "$vg_uuid" ] && [ -n "$pv_uuid" ] && [ -n "$root_uuid" ] \
   && grep -q '<metadata file="lvm-vg0.vgcfg" checksum="asr-sha256-64k:' "$xml" \
   && grep -q '<image file="disk0-p1-lvm.qcow2" format="qcow2" bytes="1048576"' "$xml" \
   && grep -q "<segment start-extent=\"0\" extents=\"32\" pv=\"$pv_uuid\" pv-extent=\"0\"/>" "$xml" \
   && grep -q '<image file="lvm-vg0-root.qcow2" format="qcow2" bytes="134217728"' "$xml"; then
  pass "the descriptor records vg0: metadata file, PV label area, LV segment and image"
else
  fail "the descriptor records vg0: metadata file, PV label area, LV segment and image" "$(cat "$xml")"
fi
if grep -q '<volume fs="swap"[^>]*label="swap0" critical="no"/>' "$xml" && [ ! -e "$tmp/backup/lvm-vg0-swap.qcow2" ]; then
  pass "swap on an LV is recorded, not imaged"
else
  fail "swap on an LV is recorded, not imaged" "$(ls "$tmp/backup")"
fi
run "$asr" check "$tmp/backup"
check "asr check: every image and the metadata file check out" 0 'lvm-vg0.vgcfg +LVM metadata of vg0'

# A changed metadata file is found.
cp -a "$tmp/backup" "$tmp/damaged"
echo "# changed" >>"$tmp/damaged/lvm-vg0.vgcfg"
run "$asr" check "$tmp/damaged"
check "asr check: a changed LVM metadata file is a checksum mismatch (exit 1)" 1 'checksum-mismatch +lvm-vg0.vgcfg'
truncate -s 300M "$tmp/plan.raw"
run "$asr" plan --check-images "$tmp/damaged" "$tmp/plan.raw"
check "plan --check-images: the changed metadata file fails the images check (exit 1)" 1 \
  'fail +LVM metadata of vg0: lvm-vg0.vgcfg: its content differs'
run "$asr" plan "$tmp/backup" "$tmp/plan.raw"
check "plan vets the metadata file too" 0 'LVM metadata of vg0: lvm-vg0.vgcfg, checksum verified'
# The metadata file replaced by what is not a regular file of the set:
# plan refuses what check and restore refuse (exit 2, naming it).
for kind in directory symlink fifo device; do
  rm -rf "$tmp/odd"
  cp -a "$tmp/backup" "$tmp/odd"
  rm "$tmp/odd/lvm-vg0.vgcfg"
  case $kind in
    directory) mkdir "$tmp/odd/lvm-vg0.vgcfg" ;;
    symlink) ln -s "$tmp/backup/lvm-vg0.vgcfg" "$tmp/odd/lvm-vg0.vgcfg" ;;
    fifo) mkfifo "$tmp/odd/lvm-vg0.vgcfg" ;;
    device) ln -s /dev/zero "$tmp/odd/lvm-vg0.vgcfg" ;;
  esac
  run "$asr" plan --check-images "$tmp/odd" "$tmp/plan.raw"
  check "plan --check-images refuses the metadata file as a $kind (exit 2)" 2 '' \
    'lvm-vg0.vgcfg.*(is refused|not a regular file)'
done

truncate -s 300M "$tmp/new.raw"
run "$asr" restore --yes "$tmp/backup" "$tmp/new.raw"
check "restore onto a blank disk" 0 '' 'logical volume vg0/swap: swap recreated empty'
if guestfish --ro --format=raw -a "$tmp/new.raw" >"$tmp/ids" 2>"$tmp/ids.err" <<'GF'
run
pvuuid /dev/sda1
vguuid vg0
lvuuid /dev/vg0/root
vfs-label /dev/vg0/root
vfs-type /dev/vg0/swap
vfs-label /dev/vg0/swap
mount-ro /dev/vg0/root /
cat /etc/hostname
GF
then
  pass "the restored disk reads back in the appliance"
else
  fail "the restored disk reads back in the appliance" "$(cat "$tmp/ids.err")"
fi
mapfile -t a <"$tmp/ids"
same() { if [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1: want $2" "got: ${3:-nothing}"; fi; }
same "PV UUID kept" "$pv_uuid" "${a[0]:-}"
same "VG UUID kept" "$vg_uuid" "${a[1]:-}"
same "LV UUID kept" "$root_uuid" "${a[2]:-}"
same "the root filesystem and its label" "rootfs swap swap0 lvm" "${a[3]:-} ${a[4]:-} ${a[5]:-} ${a[6]:-}"

# --- refusals: nothing is written -----------------------------------------
refused() {
  local what=$1 pattern=$2; shift 2
  mkdir "$tmp/out-$what"
  run "$asr" capture -o "$tmp/out-$what/backup" "$@"
  check "$what: refused with exit 2, naming it" 2 '' "$pattern"
  if [ -z "$(ls -A "$tmp/out-$what")" ]; then pass "$what: nothing left behind"
  else fail "$what: nothing left behind" "$(ls -la "$tmp/out-$what")"; fi
}
refused "two segments" 'logical volume vgm/a has 2 segments' "$tmp/multiseg.raw"
refused "snapshot" 'logical volume vgs/snap is a snapshot of vgs/data' "$tmp/snap.raw"
LIBGUESTFS_PATH=/nonexistent run "$asr" capture -o "$tmp/out-snapshot/backup" "$tmp/snap.raw"
check "a snapshot with no appliance: exit 3, naming why these disks need one" 3 '' \
  'logical volume vgs/[a-z0-9_]+ is not linear in one segment, so these disks need the appliance, which cannot start'
refused "missing PV" 'volume group vgx is missing its physical volume' "$tmp/split1.raw"
if grep -q thin-done "$tmp/gf.log"; then
  refused "thin pool" 'logical volume vgt/(pool|thin) is a thin (pool|volume) \(segment type thin' "$tmp/thin.raw"
else
  skip "thin pool: refused with exit 2, naming it" "the appliance made no thin pool: $(grep -i thin "$tmp/gf.log" | tail -n 1)"
  skip "thin pool: nothing left behind" "no thin pool to capture"
fi
if grep -q raid-done "$tmp/gf.log"; then
  refused "RAID LV" 'logical volume vgr/r is a RAID logical volume \(segment type raid1' "$tmp/raid.raw"
else
  skip "RAID LV: refused with exit 2, naming it" "the appliance made no RAID LV"
  skip "RAID LV: nothing left behind" "no RAID LV to capture"
fi
if grep -q cache-done "$tmp/gf.log"; then
  refused "cache" 'logical volume vgc/(data|cpool) is a cache(d volume| pool) \(segment type cache' "$tmp/cache.raw"
else
  skip "cache: refused with exit 2, naming it" "the appliance made no cached LV"
  skip "cache: nothing left behind" "no cached LV to capture"
fi
finish
