#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-restore-luks.sh: the luks machine end to end.  capture --include
# /srv (no appliance possible: crypttab and fstab read in userspace)
# takes the LUKS2 container whole, by its crypttab name, with none of
# its plaintext in the backup set; the plan says so; restore onto a blank,
# larger disk needs no key; the restored machine boots, unlocks /srv with
# the key file on / through crypttab and mounts it by the inner
# filesystem's UUID; the container's UUID and type read back unchanged.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
record=${ASR_VM_LUKS:?the record of the luks machine}
boot_check=${VM_TESTS_DIR:?}/boot-check
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
need guestfish sha256sum

get() { sed -n "s/^$1=//p" "$record" | tail -n 1; }
system=$(get SYSTEM_IMAGE)
name=$(get LUKS_NAME) uuid=$(get LUKS_UUID) marker=$(get LUKS_MARKER)

plan 12
before=$(sha256sum "$system" | cut -d' ' -f1)

# crypttab and fstab read from the root without the appliance: none is
# needed (the container is captured whole, its key never asked for).
LIBGUESTFS_PATH=/nonexistent run "$asr" capture --include /srv -o "$tmp/backup" "$system"
check "capture --include /srv, with no appliance possible" 0 '' "LUKS container $name on disk0 partition 3, holding /srv is captured whole"
grep -q 'inspected without the appliance' <<<"$err" && pass "... inspected without the appliance" \
  || fail "... inspected without the appliance" "$err"
if grep -q "<luks id=\"$name\" uuid=\"$uuid\" type=\"$(get LUKS_TYPE)\" device=\"disk0/p3\"" "$tmp/backup/machine.xml" \
   && grep -q "<volume fs=\"ext4\" uuid=\"$(get LUKS_FS_UUID)\" mountpoint=\"/srv\" critical=\"yes\"/>" "$tmp/backup/machine.xml"; then
  pass "the descriptor records $name, its type and what it holds"
else
  fail "the descriptor records $name, its type and what it holds" "$(grep -A3 '<luks' "$tmp/backup/machine.xml")"
fi
if ! grep -rqaF "$marker" "$tmp/backup"; then pass "no plaintext of /srv in the backup set"
else fail "no plaintext of /srv in the backup set" "$(grep -rlaF "$marker" "$tmp/backup")"; fi

bytes=$(stat -c %s "$system")
truncate -s $((bytes + 256 * 1024 * 1024)) "$tmp/new.raw"
run "$asr" plan "$tmp/backup" "$tmp/new.raw"
check "the plan shows the container restored whole" 0 "LUKS $name \\(luks2, $uuid\\) → /srv: restored whole"
run "$asr" restore --yes "$tmp/backup" "$tmp/new.raw"
check "restore onto a blank, larger disk (no key)" 0

run "$boot_check" --firmware bios --timeout 150 --log "$tmp/console.log" "$tmp/new.raw"
check "the restored luks machine boots" 0 "booted: asr-test-machine: booted luks, fstab ok"
if grep -Eq "^asr-test-machine: /srv UUID=$(get LUKS_FS_UUID) on (/dev/dm-[0-9]+|/dev/mapper/$name)" "$tmp/console.log"; then
  pass "/srv unlocked through crypttab and mounted by its UUID"
else
  fail "/srv unlocked through crypttab and mounted by its UUID" "$(grep asr-test-machine "$tmp/console.log" || tail -n 20 "$tmp/console.log")"
fi
if grep -qF "$marker" "$tmp/console.log"; then pass "its file reads back"
else fail "its file reads back" "$(grep asr-test-machine "$tmp/console.log")"; fi

if guestfish --ro --format=raw -a "$tmp/new.raw" >"$tmp/ids" 2>"$tmp/gf.err" <<'GF'
run
vfs-type /dev/sda3
vfs-uuid /dev/sda3
GF
then
  mapfile -t a <"$tmp/ids"
  if [ "${a[0]:-} ${a[1]:-}" = "crypto_LUKS $uuid" ]; then pass "LUKS UUID kept: $uuid"
  else fail "LUKS UUID kept" "got: ${a[*]:-nothing}"; fi
else
  fail "LUKS UUID kept" "$(cat "$tmp/gf.err")"
fi
if [ "$(sha256sum "$system" | cut -d' ' -f1)" = "$before" ]; then pass "the source was not written"
else fail "the source was not written"; fi
run "$asr" verify --json --timeout 300 "$tmp/backup"
check "asr verify boots the backup in a throwaway VM" 0 '"verdict" : "booted"'
finish
