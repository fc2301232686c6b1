#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# raid1-boots.sh: the raid1 machine (its system on an md RAID1 mirror of
# two disks) boots under SeaBIOS through GRUB (boot.img in the MBR,
# core.img in the gap, /boot on ext4 on the array) to its result line,
# with its root on the array found by UUID: with both disks, with
# system.raw alone and with mirror.raw alone (degraded, from whichever disk
# is there), each disk through its own qcow2 overlay as a degraded
# assembly writes to the members' superblocks.  Then the images carry the
# identities machines/raid1.env fixes, read back in a read-only libguestfs
# appliance (array UUID, name, level, metadata, members and their roles,
# the filesystem's type, UUID and label) and with sfdisk (signatures,
# partitions).
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img guestfish sfdisk
load_machine raid1
# fact NAME: the value of a fact, empty if unset (for names built from a
# disk and partition).
fact() { printf '%s' "${!1:-}"; }

BOOT_ARGS=(--firmware bios --timeout 150)
md_dev='/dev/md[0-9]+'

# boots WHAT DISK...: one boot through fresh overlays of DISK..., and the
# test points every boot of this machine must pass.
boots() {
  local what=$1 d disks=() n=0
  shift
  for d in "$@"; do
    disks+=("$(overlay "$d" "${what// /-}-$n")")
    n=$((n + 1))
  done
  boot "${disks[@]}"
  assert "$what: boot-check says booted (exit 0)" [ "$BOOT_RC" -eq 0 ]
  assert "$what: result line: booted raid1, fstab ok" result_is '^boot-check: booted: asr-test-machine: booted raid1, fstab ok'
  assert "$what: GRUB's boot.img loaded its core.img" console_has '^GRUB loading'
  # GRUB's `linux` command puts BOOT_IMAGE= first on the kernel's command
  # line: proof that GRUB read grub.cfg and the kernel from the array.
  assert "$what: GRUB read its grub.cfg from the array" console_has "Command line: BOOT_IMAGE=/boot/vmlinuz-[^ ]+ console=ttyS0,115200 .*asr\.machine=raid1"
  assert "$what: the root (on the array) was found by its UUID" console_has "^asr-test-machine: / UUID=$MD0_FS_UUID on $md_dev\$"
  assert "$what: login: after the result line" console_order '^asr-test-machine: booted raid1, fstab ok' '^login:'
}

boots "both disks" "$SYSTEM_IMAGE" "$MIRROR_IMAGE"
assert "both disks: the initramfs started the array with both members" console_has "mdadm: /dev/md/[^ ]+ has been started with $MD0_RAID_DEVICES drives\.\$"
boots "system.raw alone" "$SYSTEM_IMAGE"
assert "system.raw alone: the array started degraded" console_has "mdadm: /dev/md/[^ ]+ has been started with 1 drive \\(out of $MD0_RAID_DEVICES\\)\\.\$"
boots "mirror.raw alone" "$MIRROR_IMAGE"
assert "mirror.raw alone: the array started degraded" console_has "mdadm: /dev/md/[^ ]+ has been started with 1 drive \\(out of $MD0_RAID_DEVICES\\)\\.\$"

# The identities, as md and the filesystem report them: one read-only
# appliance, which assembles the array itself (as md127: its home host is
# not the appliance's).  guestfish's names (/dev/sda1...) follow the order
# the disks were added; the kernel's in the appliance's shell do not
# always, so there each disk is found by its MBR signature and its
# member's superblock read with mdadm --examine (the script goes
# base64-encoded: guestfish strings cannot span lines).
md=/dev/md127
examine=
for m in $MD0_MEMBERS; do
  sig=$(fact "${m%_P*}_MBR_SIGNATURE")
  examine+="for b in /sys/block/sd*; do
  [ \"\$(od -An -tx4 -j440 -N4 /dev/\${b##*/} | tr -d ' ')\" = ${sig#0x} ] || continue
  mdadm --examine /dev/\${b##*/}${m##*_P} | while read -r l; do echo \"examine $m \$l\"; done
done
"
done
got=$TEST_TMP/identities
if guestfish --ro --no-progress-bars --format=raw -a "$SYSTEM_IMAGE" -a "$MIRROR_IMAGE" >"$got" 2>"$TEST_TMP/guestfish.err" <<EOF_GF
run
list-md-devices
md-detail $md
debug sh "echo $(printf '%s' "$examine" | base64 -w0) | base64 -d | sh"
echo filesystems:
vfs-type $md
vfs-uuid $md
vfs-label $md
blockdev-getsz $md
vfs-type /dev/sda1
vfs-uuid /dev/sda1
vfs-label /dev/sda1
vfs-type /dev/sdb1
vfs-uuid /dev/sdb1
vfs-label /dev/sdb1
EOF_GF
then
  pass "guestfish reads the md and filesystem identities"
else
  fail "guestfish reads the md and filesystem identities"
  diag "$(cat "$TEST_TMP/guestfish.err")"
fi
# value PREFIX: the rest of the first answer line starting with PREFIX.
value() { sed -n "s/^$1//p" "$got" | head -n 1; }
mapfile -t a < <(sed -n '/^filesystems:$/,$p' "$got" | tail -n +2)
# identity WHAT WANT GOT: one test point.  Compared exactly: libguestfs
# and mdadm print the identities as the record spells them.
identity() {
  if [ "$2" = "$3" ]; then
    pass "$1: $2"
  else
    fail "$1: want $2"
    diag "got: ${3:-nothing}"
  fi
}
identity "the appliance's md devices" "$md" "$(sed -n '1p' "$got")"
identity "array UUID" "$MD0_UUID" "$(value 'uuid: ')"
identity "array name" "$MD0_NAME" "$(value 'name: ')"
identity "array level" "$MD0_LEVEL" "$(value 'level: ')"
identity "array metadata" "$MD0_METADATA" "$(value 'metadata: ')"
identity "array member count" "$MD0_RAID_DEVICES" "$(value 'devices: ')"
identity "array size (sectors)" "$MD0_SECTORS" "${a[3]:-}"
identity "root type" "$MD0_FS" "${a[0]:-}"
identity "root UUID" "$MD0_FS_UUID" "${a[1]:-}"
identity "root label" "$MD0_LABEL" "${a[2]:-}"
# The members, in DISKS order as guestfish names them (sda1, sdb1).
i=4
for m in $MD0_MEMBERS; do
  e="examine $m"
  identity "$m: its superblock's array UUID" "$MD0_UUID" "$(value "$e Array UUID : ")"
  identity "$m: its superblock's name" "$MD0_NAME" "$(value "$e Name : ")"
  identity "$m: its superblock's level, members" "$MD0_LEVEL $MD0_RAID_DEVICES" \
    "$(value "$e Raid Level : ") $(value "$e Raid Devices : ")"
  identity "$m: its role" "Active device $(fact "${m}_MD_ROLE")" "$(value "$e Device Role : ")"
  identity "$m: data offset" "$MD0_DATA_OFFSET sectors" "$(value "$e Data Offset : ")"
  identity "$m: array size (KiB)" "$((MD0_SECTORS / 2)) KiB" "$(value "$e Array Size : " | cut -d' ' -f1-2)"
  identity "$m: clean" "clean" "$(value "$e State : ")"
  identity "$m type" "$(fact "${m}_FS")" "${a[i]:-}"
  identity "$m UUID (the array's)" "$(fact "${m}_UUID")" "${a[i + 1]:-}"
  identity "$m label (the array's name)" "$(fact "${m}_LABEL")" "${a[i + 2]:-}"
  i=$((i + 3))
done

# The disk signatures and the partitions, from the tables themselves.
for d in $DISKS; do
  D=${d^^}
  img=$(fact "${D}_IMAGE")
  dump=$(sfdisk --dump "$img")
  identity "$d.raw: disk signature" "$(fact "${D}_MBR_SIGNATURE")" "$(sed -n 's/^label-id: //p' <<<"$dump")"
  identity "$d.raw: p1 start, size, type" \
    "$(fact "${D}_P1_START") $(fact "${D}_P1_SECTORS") $(fact "${D}_P1_TYPE" | sed 's/^0x//')" \
    "$(sed -nE 's/^[^ ]+1 : start= *([0-9]+), size= *([0-9]+), type=([0-9a-f]+).*/\1 \2 \3/p' <<<"$dump")"
  identity "$d.raw: only p1" "1" "$(grep -c '^[^ ]* : start=' <<<"$dump")"
done
finish
