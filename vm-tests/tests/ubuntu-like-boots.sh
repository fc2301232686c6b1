#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ubuntu-like-boots.sh: the ubuntu-like machine (the default layout of an
# Ubuntu Server install) boots under OVMF from its NVRAM entry, Boot0000
# "debian" = EFI/debian/grubx64.efi on the ESP, through GRUB (ext4 /boot)
# to its result line, with its root on an LVM logical volume found by UUID
# and the ESP at /boot/efi; with fresh NVRAM it does not boot (no
# removable-path loader: that is for asr's restore to install).  The image
# carries the identities machines/ubuntu-like.env fixes, read back in a
# read-only libguestfs appliance (PV, VG and LV UUIDs and names, the LV's
# size, the VG's extents with some left free, filesystem types, UUIDs and
# labels, what the ESP holds) and with sfdisk (GPT disk GUID, partitions).
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img guestfish sfdisk
need_file /usr/share/OVMF/OVMF_CODE_4M.fd ovmf
load_machine ubuntu-like
[ -r "$UEFI_VARS_IMAGE" ] || bail_out "$UEFI_VARS_IMAGE: no NVRAM variables, was the machine built?"

# The machine's own NVRAM (boot-check copies it afresh for the run).
BOOT_ARGS=(--firmware uefi --timeout 150)
OVMF_VARS=$UEFI_VARS_IMAGE
export OVMF_VARS
boot "$SYSTEM_IMAGE"
unset OVMF_VARS
assert "boot-check says booted (exit 0)" [ "$BOOT_RC" -eq 0 ]
assert "result line: booted ubuntu-like, fstab ok" result_is '^boot-check: booted: asr-test-machine: booted ubuntu-like, fstab ok'
esp_path=$(printf 'HD\\(1,GPT,%s,0x%X,0x%X\\)' "$SYSTEM_P1_GUID" "$SYSTEM_P1_START" "$SYSTEM_P1_SECTORS")
assert "OVMF started the NVRAM entry: EFI/debian/grubx64.efi on the ESP, by partition GUID" \
  console_has "BdsDxe: starting Boot0000 \"debian\" from $esp_path/\\\\EFI\\\\debian\\\\grubx64\\.efi"
assert "GRUB started" console_has 'Welcome to GRUB!'
# The kernel prints its command line itself; BOOT_IMAGE= is what GRUB's
# `linux` command puts first: proof that GRUB read grub.cfg from /boot.
assert "GRUB read its grub.cfg from the ext4 /boot" console_has "Command line: BOOT_IMAGE=/vmlinuz-[^ ]+ console=ttyS0,115200 .*asr\.machine=ubuntu-like"
assert "the root (an LV) was found by its UUID" console_has "^asr-test-machine: / UUID=$VG0_ROOT_FS_UUID on /dev/dm-[0-9]+\$"
assert "/boot (ext4) mounted by UUID" console_has "^asr-test-machine: /boot UUID=$SYSTEM_P2_UUID on /dev/vda2\$"
assert "the ESP mounted at /boot/efi by its volume id" console_has "^asr-test-machine: /boot/efi UUID=$SYSTEM_P1_UUID on /dev/vda1\$"
assert "login: after the result line" console_order '^asr-test-machine: booted ubuntu-like, fstab ok' '^login:'

# Fresh NVRAM: OVMF finds no removable-path loader and ends in its shell
# (or finds no option), without starting GRUB.
BOOT_ARGS=(--firmware uefi --timeout 60)
boot "$SYSTEM_IMAGE"
assert "fresh NVRAM: not booted (exit 1)" [ "$BOOT_RC" -eq 1 ]
assert "fresh NVRAM: OVMF found nothing to boot" result_is '^boot-check: not booted: (uefi-shell|no-bootable-option):'
assert "fresh NVRAM: GRUB did not start" eval '! console_has "Welcome to GRUB"'

# The identities, as LVM and the filesystems report them: one read-only
# appliance, one answer per line, then the VG's numbers and the ESP's
# files after marker lines.
root_dev=/dev/$VG0_NAME/$VG0_ROOT_NAME
got=$TEST_TMP/identities
if guestfish --ro --no-progress-bars --format=raw -a "$SYSTEM_IMAGE" >"$got" 2>"$TEST_TMP/guestfish.err" <<EOF_GF
run
pvuuid /dev/sda3
vguuid $VG0_NAME
lvuuid $root_dev
blockdev-getsize64 $root_dev
vfs-type /dev/sda1
vfs-uuid /dev/sda1
vfs-label /dev/sda1
vfs-type /dev/sda2
vfs-uuid /dev/sda2
vfs-label /dev/sda2
vfs-type /dev/sda3
vfs-type $root_dev
vfs-uuid $root_dev
vfs-label $root_dev
vgs
lvs
echo --vg--
vgs-full
echo --esp--
mount-ro /dev/sda1 /
find /
EOF_GF
then
  pass "guestfish reads the LVM and filesystem identities"
else
  fail "guestfish reads the LVM and filesystem identities"
  diag "$(cat "$TEST_TMP/guestfish.err")"
fi
mapfile -t a <"$got"
# identity WHAT WANT GOT: one test point.  Compared exactly: LVM's UUIDs
# mix cases, and libguestfs prints the others as the record spells them.
identity() {
  if [ "$2" = "$3" ]; then
    pass "$1: $2"
  else
    fail "$1: want $2"
    diag "got: ${3:-nothing}"
  fi
}
identity "PV UUID" "$SYSTEM_P3_UUID" "${a[0]:-}"
identity "VG $VG0_NAME UUID" "$VG0_UUID" "${a[1]:-}"
identity "LV $VG0_ROOT_NAME UUID" "$VG0_ROOT_UUID" "${a[2]:-}"
identity "LV $VG0_ROOT_NAME size" "$VG0_ROOT_SIZE" "${a[3]:-}"
identity "ESP type" "$SYSTEM_P1_FS" "${a[4]:-}"
identity "ESP volume id" "$SYSTEM_P1_UUID" "${a[5]:-}"
identity "ESP label" "$SYSTEM_P1_LABEL" "${a[6]:-}"
identity "/boot type" "$SYSTEM_P2_FS" "${a[7]:-}"
identity "/boot UUID" "$SYSTEM_P2_UUID" "${a[8]:-}"
identity "/boot label" "$SYSTEM_P2_LABEL" "${a[9]:-}"
identity "p3 type" "$SYSTEM_P3_FS" "${a[10]:-}"
identity "root type" "$VG0_ROOT_FS" "${a[11]:-}"
identity "root UUID" "$VG0_ROOT_FS_UUID" "${a[12]:-}"
identity "root label" "$VG0_ROOT_LABEL" "${a[13]:-}"
identity "the volume groups" "$VG0_NAME" "${a[14]:-}"
identity "the logical volumes" "$root_dev" "${a[15]:-}"

# The VG's extents: its size as built, and free ones beyond the LV's.
vg=$(sed -n '/^--vg--$/,/^--esp--$/p' "$got")
vg_field() { sed -nE "s/^ *$1: //p" <<<"$vg"; }
identity "VG extent size" "$VG0_EXTENT_BYTES" "$(vg_field vg_extent_size)"
count=$(vg_field vg_extent_count) free=$(vg_field vg_free_count)
identity "VG free extents: all but the LV's" "$((${count:-0} - VG0_ROOT_SIZE / VG0_EXTENT_BYTES))" "${free:-}"
assert "VG has free extents ($free of $count)" [ "${free:-0}" -gt 0 ]

# The ESP: GRUB in EFI/debian only, no removable-path loader.
esp=$(sed -n '/^--esp--$/,$p' "$got" | tail -n +2)
assert "ESP holds EFI/debian/grubx64.efi" grep -x 'EFI/debian/grubx64.efi' <<<"$esp"
assert "ESP has no EFI/BOOT" eval '! grep -i "^EFI/BOOT" <<<"$esp"'

# The GPT disk GUID and the partitions, from the table itself.
dump=$(sfdisk --dump "$SYSTEM_IMAGE")
identity "GPT disk GUID" "$SYSTEM_GPT_GUID" "$(sed -n 's/^label-id: //p' <<<"$dump")"
for p in $SYSTEM_PARTITIONS; do
  k=SYSTEM_P$p
  start=${k}_START sectors=${k}_SECTORS type=${k}_TYPE guid=${k}_GUID
  identity "p$p start, size, type, GUID" "${!start} ${!sectors} ${!type} ${!guid}" \
    "$(sed -nE "s/^[^ ]+$p : start= *([0-9]+), size= *([0-9]+), type=([0-9A-F-]+), uuid=([0-9A-F-]+).*/\1 \2 \3 \4/p" <<<"$dump")"
done
finish
