#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# btrfs-boots.sh: the btrfs machine boots under SeaBIOS to its result line,
# its initramfs having mounted the root from subvolume @ (rootflags=) and
# machine-init /home from @home (fstab subvol=), each checked by its
# marker; and the identities read back from the image in the appliance
# (blkid, btrfs filesystem show, btrfs subvolume list, the markers in each
# subvolume) are the ones machines/btrfs.env fixes.
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img guestfish sfdisk
. "$VM_TESTS_DIR/lib/machine.sh"
load_machine btrfs

BOOT_ARGS=(--firmware bios --timeout 90)
boot "$SYSTEM_IMAGE"
assert "boot-check says booted (exit 0)" [ "$BOOT_RC" -eq 0 ]
assert "result line: booted btrfs, fstab ok" result_is '^boot-check: booted: asr-test-machine: booted btrfs, fstab ok'
assert "syslinux's MBR code chained to extlinux" console_has '^SYSLINUX 6'
assert "the kernel was told the root's subvolume" console_has "Command line: .*root=UUID=$SYSTEM_P2_UUID .*rootflags=$ROOT_FLAGS"
assert "the btrfs module found the filesystem" console_has "BTRFS: device label $SYSTEM_P2_LABEL devid 1 .* /dev/vda2"
# Every fstab volume by UUID, each subvolume proved by its marker (a wrong
# subvolume, or the top level, fails the boot).
while read -r what p; do
  uuid=$(fact "SYSTEM_P${p}_UUID")
  assert "$what: UUID=$uuid on /dev/vda$p" console_has "^asr-test-machine: $what UUID=$uuid on /dev/vda$p\$"
done <<EOF_VOLUMES
/ 2
/home 2
/boot 1
swap 3
EOF_VOLUMES
assert "login: after the result line" console_order '^asr-test-machine: booted btrfs, fstab ok' '^login:'

# The identities, read back from the image (read-only appliance).
sig=$(sfdisk --dump "$SYSTEM_IMAGE" | sed -n 's/^label-id: //p')
assert "MBR signature is $SYSTEM_MBR_SIGNATURE" [ "$sig" = "$SYSTEM_MBR_SIGNATURE" ]

gf_script() {
  local p sv
  printf 'add-drive %s format:raw readonly:true\nrun\n' "$SYSTEM_IMAGE"
  for p in $SYSTEM_PARTITIONS; do printf 'echo == blkid %s\nblkid /dev/sda%s\n' "$p" "$p"; done
  printf 'echo == show\nbtrfs-filesystem-show /dev/sda2\n'
  printf 'mount-ro /dev/sda2 /\n'
  printf 'echo == default\nbtrfs-subvolume-get-default /\n'
  printf 'echo == list\nbtrfs-subvolume-list /\numount-all\n'
  for sv in $SYSTEM_P2_SUBVOLUMES; do
    printf 'mount-options ro,subvol=%s /dev/sda2 /\n' "${sv%%:*}"
    printf 'echo == marker %s\ncat /.asr-volume\numount-all\n' "${sv%%:*}"
  done
}
gf_script >"$TEST_TMP/read.gf"
if guestfish --ro --no-progress-bars --file "$TEST_TMP/read.gf" >"$TEST_TMP/read.out" 2>"$TEST_TMP/read.err"; then
  pass "guestfish reads the image"
else
  fail "guestfish reads the image"
  diag "$(cat "$TEST_TMP/read.err")"
fi
# section NAME: the lines guestfish printed after "== NAME".
section() { awk -v s="== $1" '/^== / { on = ($0 == s); next } on' "$TEST_TMP/read.out"; }
# blkid_is PART KEY VALUE
blkid_is() { [ "$(section "blkid $1" | sed -n "s/^$2: //p")" = "$3" ]; }

for p in $SYSTEM_PARTITIONS; do
  k=SYSTEM_P$p
  fs=$(fact "${k}_FS") uuid=$(fact "${k}_UUID") label=$(fact "${k}_LABEL")
  assert "p$p: blkid TYPE $fs" blkid_is "$p" TYPE "$fs"
  assert "p$p: blkid UUID $uuid" blkid_is "$p" UUID "$uuid"
  assert "p$p: blkid LABEL $label" blkid_is "$p" LABEL "$label"
done
assert "btrfs filesystem show: one device, /dev/sda2" [ "$(section show)" = /dev/sda2 ]
assert "the default subvolume is the top level (5): the root is found by name" [ "$(section default)" = 5 ]
want_list=$(for sv in $SYSTEM_P2_SUBVOLUMES; do printf '5 %s\n' "${sv%%:*}"; done | sort)
got_list=$(section list | awk '/btrfssubvolume_top_level_id:/ { t = $2 } /btrfssubvolume_path:/ { print t, $2 }' | sort)
names=$(for sv in $SYSTEM_P2_SUBVOLUMES; do printf '%s\n' "${sv%%:*}"; done | paste -sd' ')
assert "btrfs subvolume list: exactly $names, in the top level" [ "$got_list" = "$want_list" ]
for sv in $SYSTEM_P2_SUBVOLUMES; do
  assert "subvolume ${sv%%:*} carries the marker of ${sv#*:}" [ "$(section "marker ${sv%%:*}")" = "${sv#*:}" ]
done
finish
