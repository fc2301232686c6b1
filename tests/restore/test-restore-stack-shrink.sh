#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-restore-stack-shrink.sh MACHINE: restore --shrink=/boot of a machine
# whose root is an LVM logical volume (rhel-like: /boot xfs, recreated
# smaller and refilled in the appliance; ubuntu-like: /boot ext4, shrunk
# in a private copy), onto a disk 64 MiB smaller, as a user runs it.  The
# plan shows /boot shrinking and the PV moving; the restored disk boots to
# "booted MACHINE, fstab ok"; /boot keeps its UUID and label and every
# file's checksum; the PV after it moved, with its UUID.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
. "$ASR_SOURCE_ROOT/tests/lib/machine.sh" "${1:-}"
need guestfish sfdisk sha256sum qemu-storage-daemon fusermount3
[ -c /dev/fuse ] || skip_all "no /dev/fuse (--shrink exports images with FUSE)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

system=$(get SYSTEM_IMAGE)
firmware=$(get FIRMWARE)
boot=
for n in $(get SYSTEM_PARTITIONS); do
  [ "$(get "SYSTEM_P${n}_MOUNTPOINT")" = /boot ] && boot=$n
done
[ -n "$boot" ] || skip_all "$machine has no /boot partition of its own"
fs=$(get "SYSTEM_P${boot}_FS")
pv_part=$(get VG0_PVS)
pv_num=${pv_part##*_P}

plan 8

run "$asr" capture -o "$tmp/backup" "$system"
check "capture $machine" 0
[ "$rc" -eq 0 ] || { finish; exit 1; }

bytes=$(stat -c %s "$system")
truncate -s $((bytes - 64 * 1024 * 1024)) "$tmp/small.raw"
old=$(get "SYSTEM_P${boot}_SECTORS")
new=$((old - 64 * 2048))
run "$asr" plan --shrink=/boot "$tmp/backup" "$tmp/small.raw"
check "plan --shrink=/boot: /boot's $fs gives up 64 MiB, the PV moves" 0 \
  "--shrink=/boot: partition $boot and its $fs shrink from $old to $new sectors"
run "$asr" restore --yes --shrink=/boot "$tmp/backup" "$tmp/small.raw"
check "restore --shrink=/boot onto a disk 64 MiB smaller" 0

run "$boot_check" --firmware "$firmware" --timeout 150 --log "$tmp/console.log" "$tmp/small.raw"
check "the restored $machine boots" 0 "booted: asr-test-machine: booted $machine, fstab ok"

# /boot's files and identities, from the source and from the restored disk
sums() {
  guestfish --ro --no-progress-bars --format=raw -a "$1" <<EOF >"$2" 2>"$tmp/gf.err"
run
vfs-uuid /dev/sda$boot
vfs-label /dev/sda$boot
blockdev-getsize64 /dev/sda$boot
pvuuid /dev/sda$pv_num
mount-ro /dev/sda$boot /
checksums-out sha256 / -
EOF
}
if sums "$system" "$tmp/want" && sums "$tmp/small.raw" "$tmp/got"; then
  pass "guestfish reads /boot on both disks"
else
  fail "guestfish reads /boot on both disks" "$(cat "$tmp/gf.err")"
fi
mapfile -t w <"$tmp/want"
mapfile -t g <"$tmp/got"
if [ "${g[0]:-}" = "$(get "SYSTEM_P${boot}_UUID")" ] && [ "${g[1]:-}" = "$(get "SYSTEM_P${boot}_LABEL")" ] \
   && [ "${g[0]}" = "${w[0]}" ] && [ "${g[2]:-0}" -eq $((new * 512)) ]; then
  pass "/boot keeps its UUID and label (${g[0]}, ${g[1]}) at $((new * 512)) bytes"
else
  fail "/boot keeps its UUID and label at $((new * 512)) bytes" "got: ${g[*]:0:3}" "want: ${w[*]:0:3}"
fi
if [ "${g[3]:-}" = "$(get "${pv_part}_UUID")" ]; then pass "the PV moved with its UUID (${g[3]})"
else fail "the PV moved with its UUID" "got: ${g[3]:-nothing}"; fi
if [ "${#w[@]}" -gt 5 ] && diff <(printf '%s\n' "${w[@]:4}" | sort -k2) <(printf '%s\n' "${g[@]:4}" | sort -k2) >"$tmp/diff"; then
  pass "every file of /boot has its checksum ($((${#w[@]} - 4)) files)"
else
  fail "every file of /boot has its checksum" "$(head -n 20 "$tmp/diff")"
fi
finish
