#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-restore-stack.sh MACHINE: a machine whose root is an LVM logical
# volume (rhel-like, ubuntu-like), end to end as a user runs it.  Capture
# it (without the appliance: LVM read from the disk's bytes); the set
# checks out and records the volume group as LVM does; the
# plan shows the stack; restore with --grow onto a blank disk 1 GiB larger,
# with fresh firmware state (no NVRAM entry); the restored disk boots to
# "booted MACHINE, fstab ok" with / found by UUID on device-mapper; and the
# identities read back equal to the machine's record: PV, VG and LV UUIDs
# and names, filesystem UUIDs and labels, the disk's signature or GUID.
# The PV and the LV holding / took the new space; the source was not
# written; and asr verify boots the backup in a throwaway VM.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
. "$ASR_SOURCE_ROOT/tests/lib/machine.sh" "${1:-}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
need guestfish sfdisk sha256sum

system=$(get SYSTEM_IMAGE)
firmware=$(get FIRMWARE)
vg=$(get VG0_NAME)
pv_part=$(get VG0_PVS)           # SYSTEM_P2
pv_num=${pv_part##*_P}
lvs=$(get VG0_LVS)
lv_name() { local n; n=$(get "VG0_${1^^}_NAME"); echo "${n:-$1}"; }

plan $((14 + 5 * $(wc -w <<<"$lvs")))

before=$(sha256sum "$system" | cut -d' ' -f1)

run "$asr" capture --json -o "$tmp/backup" "$system"
check "capture $machine, inspected without the appliance" 0 '"images"' \
  'inspected without the appliance'
run "$asr" check "$tmp/backup"
check "asr check: the images and the LVM metadata check out" 0 "lvm-$vg.vgcfg"
if grep -q "^$vg {" "$tmp/backup/lvm-$vg.vgcfg" && grep -q "id = \"$(get VG0_UUID)\"" "$tmp/backup/lvm-$vg.vgcfg"; then
  pass "the backup holds $vg's metadata as LVM keeps it"
else
  fail "the backup holds $vg's metadata as LVM keeps it" "$(head -n 20 "$tmp/backup/lvm-$vg.vgcfg")"
fi

bytes=$(stat -c %s "$system")
truncate -s $((bytes + 1024 * 1024 * 1024)) "$tmp/new.raw"
run "$asr" plan "$tmp/backup" "$tmp/new.raw"
check "the plan passes and shows the stack down to the root LV" 0 \
  "p$pv_num → PV $(get "$pv_part"_UUID) → VG $vg \\($(get VG0_UUID)\\) → LV $(lv_name "$(sed 's/ .*//' <<<"$lvs")")"

run "$asr" restore --yes --grow "$tmp/backup" "$tmp/new.raw"
check "restore --grow onto a blank disk 1 GiB larger" 0 '' 'its LVM physical volume, /dev/'

# Fresh firmware state: a UEFI machine boots through the fallback loader
# restore installed, as a replacement machine would.
run "$boot_check" --firmware "$firmware" --timeout 150 --log "$tmp/console.log" "$tmp/new.raw"
check "the restored $machine boots" 0 "booted: asr-test-machine: booted $machine, fstab ok"
if grep -Eq "^asr-test-machine: / UUID=$(get VG0_ROOT_FS_UUID) on /dev/dm-[0-9]+" "$tmp/console.log"; then
  pass "/ is the logical volume, found by its UUID"
else
  fail "/ is the logical volume, found by its UUID" "$(grep asr-test-machine "$tmp/console.log" || tail -n 20 "$tmp/console.log")"
fi

# The identities, read back in one read-only appliance.
script="run
pvuuid /dev/sda$pv_num
vguuid $vg
vglvuuids $vg
blockdev-getsize64 /dev/sda$pv_num"
for lv in $lvs; do
  n=$(lv_name "$lv")
  script+="
lvuuid /dev/$vg/$n
blockdev-getsize64 /dev/$vg/$n
vfs-type /dev/$vg/$n
vfs-uuid /dev/$vg/$n
vfs-label /dev/$vg/$n"
done
if guestfish --ro --no-progress-bars --format=raw -a "$tmp/new.raw" <<<"$script" >"$tmp/ids" 2>"$tmp/gf.err"; then
  pass "guestfish reads the restored LVM identities"
else
  fail "guestfish reads the restored LVM identities" "$(cat "$tmp/gf.err")"
fi
mapfile -t a <"$tmp/ids"
same() {
  if [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1: want $2" "got: ${3:-nothing}"; fi
}
same "PV UUID" "$(get "$pv_part"_UUID)" "${a[0]:-}"
same "VG UUID" "$(get VG0_UUID)" "${a[1]:-}"
nlv=$(wc -w <<<"$lvs")
i=$((2 + nlv + 1))
for lv in $lvs; do
  n=$(lv_name "$lv") k=VG0_${lv^^}
  same "LV $n UUID" "$(get "${k}_UUID")" "${a[$i]:-}"
  size=${a[$((i + 1))]:-0}
  if [ "$(get "${k}_MOUNTPOINT")" = / ]; then
    if [ "$size" -gt "$(get "${k}_SIZE")" ]; then pass "LV $n holding / grew: $size bytes, was $(get "${k}_SIZE")"
    else fail "LV $n holding / grew" "$size bytes, was $(get "${k}_SIZE")"; fi
  else
    same "LV $n size" "$(get "${k}_SIZE")" "$size"
  fi
  same "LV $n filesystem" "$(get "${k}_FS")" "${a[$((i + 2))]:-}"
  same "LV $n filesystem UUID" "$(get "${k}_FS_UUID")" "${a[$((i + 3))]:-}"
  same "LV $n label" "$(get "${k}_LABEL")" "${a[$((i + 4))]:-}"
  i=$((i + 5))
done
pv_bytes=${a[$((2 + nlv))]:-0}
if [ "$pv_bytes" -gt $(( $(get "$pv_part"_SECTORS) * 512 )) ]; then pass "the PV's partition grew: $pv_bytes bytes"
else fail "the PV's partition grew" "$pv_bytes bytes"; fi

dump=$(sfdisk --dump "$tmp/new.raw")
if [ "$(get SYSTEM_PTTYPE)" = gpt ]; then
  same "GPT disk GUID" "$(get SYSTEM_GPT_GUID | tr a-z A-Z)" "$(sed -n 's/^label-id: //p' <<<"$dump" | tr a-z A-Z)"
else
  same "MBR disk signature" "$(get SYSTEM_MBR_SIGNATURE)" "$(sed -n 's/^label-id: //p' <<<"$dump")"
fi
same "the source was not written" "$before" "$(sha256sum "$system" | cut -d' ' -f1)"

# The nightly proof: asr verify restores the set into throwaway disks and
# boots them.
run "$asr" verify --json --timeout 300 "$tmp/backup"
check "asr verify boots the backup" 0 '"verdict" : "booted"'
finish
