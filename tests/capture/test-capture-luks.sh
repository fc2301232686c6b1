#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A LUKS2 /srv (crypttab names it, fstab mounts /dev/mapper/NAME) on the
# system disk, end to end: capture --include /srv records the container by
# its crypttab name and captures it whole, the backup holds none of its
# plaintext, the plan says so, and a restore onto a blank disk brings it
# back byte for byte: it opens with the original key and holds the file.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
need guestfish qemu-img
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

plan 11

key=asr-test-key
marker=asr-plaintext-marker-5f3a
truncate -s 256M "$tmp/sys.raw"
# appliance_sh SCRIPT: a guestfish command running SCRIPT in the
# appliance's shell, base64-encoded (guestfish strings cannot carry all of
# sh).  The shell sees the kernel's disk names, which need not be
# guestfish's: the disk is found by its partition 2's size, then by UUID.
appliance_sh() { printf 'debug sh "echo %s | base64 -d | sh"\n' "$(printf '%s\n' "$1" | base64 -w0)"; }
format_sh="set -e
for d in /sys/block/sd*; do n=\${d##*/}; [ \"\$(cat \$d/\${n}2/size 2>/dev/null)\" = 262144 ] && dev=/dev/\${n}2 || :; done
[ -n \"\$dev\" ]
printf %s $key | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - \$dev
printf %s $key | cryptsetup open --key-file - \$dev crypt-data
echo luks-done"
if ! guestfish --format=raw -a "$tmp/sys.raw" >"$tmp/gf.log" 2>&1 <<GF
run
part-init /dev/sda mbr
part-add /dev/sda p 2048 262143
part-add /dev/sda p 262144 -1
$(appliance_sh "$format_sh")
mkfs ext4 /dev/mapper/crypt-data label:data
mount /dev/mapper/crypt-data /
write /secret "$marker\n"
umount /
luks-close /dev/mapper/crypt-data
mkfs ext4 /dev/sda1
mount /dev/sda1 /
mkdir /etc
mkdir /bin
mkdir /sbin
write /etc/os-release "ID=debian\nVERSION_ID=12\nNAME=asr test\n"
write /etc/fstab "/dev/sda1 / ext4 defaults 0 1\n/dev/mapper/crypt-data /srv ext4 defaults 0 2\n"
umount /
vfs-uuid /dev/sda2
GF
then
  bail_out "building the LUKS disk failed: $(tail -n 3 "$tmp/gf.log" | tr '\n' ' ')"
fi
grep -q luks-done "$tmp/gf.log" || bail_out "cryptsetup failed in the appliance: $(head -n 5 "$tmp/gf.log" | tr '\n' ' ')"
luks_uuid=$(tail -n 1 "$tmp/gf.log")
# crypttab names the container by its UUID, as the Debian installer does.
guestfish --format=raw -a "$tmp/sys.raw" >>"$tmp/gf.log" 2>&1 <<GF
run
mount /dev/sda1 /
write /etc/crypttab "crypt-data UUID=$luks_uuid none luks\n"
GF

run "$asr" capture --include /srv -o "$tmp/backup" "$tmp/sys.raw"
check "capture --include /srv of a LUKS /srv" 0 '' 'captured whole, as it is on disk: encrypted'
xml=$tmp/backup/machine.xml
if grep -q "<luks id=\"crypt-data\" uuid=\"$luks_uuid\" type=\"luks2\" device=\"disk0/p2\"" "$xml" \
   && grep -q '<image file="disk0-p2-luks.qcow2" format="qcow2"' "$xml" \
   && grep -q '<volume mountpoint="/srv" critical="yes"/>' "$xml"; then
  pass "the descriptor records the container by its crypttab name, its image and /srv"
else
  fail "the descriptor records the container by its crypttab name, its image and /srv" "$(cat "$xml")"
fi
run "$asr" check "$tmp/backup"
check "asr check: the container's image checks out" 0 'disk0-p2-luks.qcow2'

# The image is the partition as it is on disk, and no plaintext.
start=$((262144 * 512)) size=$(( (524288 - 262144) * 512 ))
if qemu-img compare -q --image-opts "driver=qcow2,file.driver=file,file.filename=$tmp/backup/disk0-p2-luks.qcow2" \
     "driver=raw,offset=$start,size=$size,file.driver=file,file.filename=$tmp/sys.raw" 2>"$tmp/cmp.err"; then
  pass "the image holds the container's bytes exactly"
else
  fail "the image holds the container's bytes exactly" "$(cat "$tmp/cmp.err")"
fi
qemu-img convert -f qcow2 -O raw "$tmp/backup/disk0-p2-luks.qcow2" "$tmp/luks.raw"
if ! grep -qa "$marker" "$tmp/luks.raw" && ! grep -qra "$marker" "$tmp/backup"; then
  pass "the backup set holds no plaintext of the encrypted volume"
else
  fail "the backup set holds no plaintext of the encrypted volume"
fi
rm -f "$tmp/luks.raw"

truncate -s 300M "$tmp/new.raw"
run "$asr" plan "$tmp/backup" "$tmp/new.raw"
check "the plan shows the container, restored whole, encrypted" 0 \
  "disk0 → p2 → LUKS crypt-data \\(luks2, $luks_uuid\\) → /srv: restored whole onto target disk0"
run "$asr" restore --yes "$tmp/backup" "$tmp/new.raw"
check "restore onto a blank disk" 0
# Opened the way it was made: the key on cryptsetup's stdin.
if guestfish --ro --format=raw -a "$tmp/new.raw" >"$tmp/back" 2>"$tmp/back.err" <<GF
run
vfs-uuid /dev/sda2
$(appliance_sh "set -e
dev=\$(blkid -U $luks_uuid)
printf %s $key | cryptsetup open --readonly --key-file - \$dev back
mkdir -p /tmp/m
mount -o ro /dev/mapper/back /tmp/m
cat /tmp/m/secret")
GF
then
  pass "the restored container opens with the original key"
else
  fail "the restored container opens with the original key" "$(cat "$tmp/back.err")"
fi
mapfile -t a <"$tmp/back"
if [ "${a[0]:-}" = "$luks_uuid" ]; then pass "LUKS UUID kept: $luks_uuid"; else fail "LUKS UUID kept" "got: ${a[0]:-nothing}"; fi
if [ "${a[1]:-}" = "$marker" ]; then pass "its file reads back"; else fail "its file reads back" "got: ${a[1]:-nothing}"; fi

# Without --include, the container on the system disk is still captured
# whole: restoring the disk must not destroy it.
run "$asr" capture -o "$tmp/backup2" "$tmp/sys.raw"
check "without --include, a container on a critical disk is captured whole too" 0 '' \
  'LUKS container crypt-data on disk0 partition 2, holding /srv is captured whole'
finish
