#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# luks-boots.sh: the luks machine boots under SeaBIOS (syslinux mbr.bin,
# extlinux) to its result line, its init having opened the LUKS2 container
# on p3 through /etc/crypttab with the key file on the root and mounted the
# ext4 inside it at /srv by UUID (its marker printed and its manifest
# checked); and the image carries the identities machines/luks.env fixes,
# read back in a read-only libguestfs appliance: the container's type and
# LUKS UUID and version (without a key), then, opened read-only with the
# copy of the key the build keeps, the inner filesystem's type, UUID,
# label and marker, and the root's crypttab and key file; the disk
# signature and partitions with sfdisk.
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 qemu-img guestfish sfdisk
. "$VM_TESTS_DIR/lib/machine.sh"
load_machine luks

BOOT_ARGS=(--firmware bios --timeout 90)
boot "$SYSTEM_IMAGE"
assert "boot-check says booted (exit 0)" [ "$BOOT_RC" -eq 0 ]
assert "result line: booted luks, fstab ok" result_is '^boot-check: booted: asr-test-machine: booted luks, fstab ok'
assert "syslinux's MBR code chained to extlinux" console_has '^SYSLINUX 6'
assert "/ mounted by UUID" console_has "^asr-test-machine: / UUID=$SYSTEM_P2_UUID on /dev/vda2\$"
assert "/boot mounted by UUID" console_has "^asr-test-machine: /boot UUID=$SYSTEM_P1_UUID on /dev/vda1\$"
assert "crypttab: $LUKS_NAME opened from UUID=$LUKS_UUID on /dev/vda3 as a dm device on vda3" \
  console_has "^asr-test-machine: crypttab $LUKS_NAME UUID=$LUKS_UUID on /dev/vda3: /dev/mapper/$LUKS_NAME is dm-[0-9]+ on vda3\$"
dm=$(tr -d '\r' <"$TEST_TMP/console.log" |
       sed -nE "s|^asr-test-machine: crypttab $LUKS_NAME .* is (dm-[0-9]+) on .*|\\1|p" | head -n 1)
assert "$LUKS_MOUNTPOINT mounted by its UUID from the opened container (/dev/${dm:-dm-?})" \
  console_has "^asr-test-machine: $LUKS_MOUNTPOINT UUID=$LUKS_FS_UUID on (/dev/${dm:-none}|/dev/mapper/$LUKS_NAME)\$"
assert "$LUKS_MOUNTPOINT marker read: $LUKS_MARKER" \
  console_has "^asr-test-machine: $LUKS_MOUNTPOINT message: $LUKS_MARKER\$"
assert "$LUKS_MOUNTPOINT files match their manifest" console_has "^asr-test-machine: $LUKS_MOUNTPOINT manifest ok \\(1 files\\)\$"
assert "crypttab before $LUKS_MOUNTPOINT" \
  console_order "^asr-test-machine: crypttab $LUKS_NAME " "^asr-test-machine: $LUKS_MOUNTPOINT UUID="
assert "login: after the result line" console_order '^asr-test-machine: booted luks, fstab ok' '^login:'

# The identities, read back from the image: one read-only appliance.  The
# container's UUID and type need no key; guestfish takes the key for
# luks-open-ro from its stdin, which is the script (the line after the
# command).
[ -r "$LUKS_KEY_IMAGE" ] || bail_out "no key copy $LUKS_KEY_IMAGE (was the machine built?)"
key=$(cat "$LUKS_KEY_IMAGE")
cat >"$TEST_TMP/read.gf" <<EOF_GF
add-drive $SYSTEM_IMAGE format:raw readonly:true
run
echo == type
vfs-type /dev/sda3
echo == uuid
vfs-uuid /dev/sda3
echo == luks-uuid
luks-uuid /dev/sda3
echo == blkid
blkid /dev/sda3
luks-open-ro /dev/sda3 $LUKS_NAME
$key
echo == fs
vfs-type /dev/mapper/$LUKS_NAME
vfs-uuid /dev/mapper/$LUKS_NAME
vfs-label /dev/mapper/$LUKS_NAME
mount-ro /dev/mapper/$LUKS_NAME /
echo == marker
cat /marker.txt
umount-all
luks-close /dev/mapper/$LUKS_NAME
mount-ro /dev/sda2 /
echo == crypttab
cat /etc/crypttab
echo == key
checksum sha256 $LUKS_KEY_FILE
stat $LUKS_KEY_FILE
EOF_GF
if guestfish --ro --no-progress-bars --keys-from-stdin <"$TEST_TMP/read.gf" \
     >"$TEST_TMP/read.out" 2>"$TEST_TMP/read.err"; then
  pass "guestfish reads the image"
else
  fail "guestfish reads the image"
  diag "$(cat "$TEST_TMP/read.err")"
fi
# section NAME: the lines guestfish printed after "== NAME".
section() { awk -v s="== $1" '/^== / { on = ($0 == s); next } on' "$TEST_TMP/read.out"; }
# identity WHAT WANT GOT: one test point, compared exactly.
identity() {
  if [ "$2" = "$3" ]; then
    pass "$1: $2"
  else
    fail "$1: want $2"
    diag "got: ${3:-nothing}"
  fi
}
identity "p3 type (no key)" "$SYSTEM_P3_FS" "$(section type)"
identity "p3 UUID (vfs-uuid, no key)" "$LUKS_UUID" "$(section uuid)"
identity "the record's p3 UUID is the LUKS UUID" "$LUKS_UUID" "$SYSTEM_P3_UUID"
identity "LUKS UUID (luks-uuid)" "$LUKS_UUID" "$(section luks-uuid)"
identity "LUKS version" "${LUKS_TYPE#luks}" "$(section blkid | sed -n 's/^VERSION: //p')"
mapfile -t fs < <(section fs)
identity "inner filesystem type" "$LUKS_FS" "${fs[0]:-}"
identity "inner filesystem UUID" "$LUKS_FS_UUID" "${fs[1]:-}"
identity "inner filesystem label" "$LUKS_LABEL" "${fs[2]:-}"
identity "marker" "$LUKS_MARKER" "$(section marker)"
identity "crypttab" "$LUKS_NAME UUID=$LUKS_UUID $LUKS_KEY_FILE $LUKS_CRYPTTAB_OPTIONS" \
  "$(section crypttab | grep -v '^#')"
mapfile -t k < <(section key)
identity "the key file on / is the build's key" "$(sha256sum <"$LUKS_KEY_IMAGE" | cut -d' ' -f1)" "${k[0]:-}"
identity "the key file's mode" "mode: $((0100400))" "$(printf '%s\n' "${k[@]}" | grep '^mode: ' || true)"

# The disk signature and the partitions, from the table itself.
dump=$(sfdisk --dump "$SYSTEM_IMAGE")
identity "disk signature" "$SYSTEM_MBR_SIGNATURE" "$(sed -n 's/^label-id: //p' <<<"$dump")"
for p in $SYSTEM_PARTITIONS; do
  identity "p$p start, size, type" \
    "$(fact "SYSTEM_P${p}_START") $(fact "SYSTEM_P${p}_SECTORS") $(fact "SYSTEM_P${p}_TYPE" | sed 's/^0x//')" \
    "$(sed -nE "s/^[^ ]+$p : start= *([0-9]+), size= *([0-9]+), type=([0-9a-f]+).*/\\1 \\2 \\3/p" <<<"$dump")"
done
finish
