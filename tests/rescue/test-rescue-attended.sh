#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-rescue-attended.sh MACHINE disk|label|url: the generic rescue medium
# (no backup set on it) with a person at the console, driven through the
# serial port.  disk: the machine's backup set is on a partition of another
# disk, as on a USB disk, and the medium boots (as a CD) beside it, which
# finds it; label: the same disk, the set named by
# asr.backup=LABEL=asr-backups:/backups/MACHINE on the kernel command line.  url:
# the set is served over HTTP (with Range requests) on the host's loopback
# by tests/lib/http-range-server, reached from qemu's user network (the
# gateway, 10.0.2.2, is the host's loopback: nothing leaves the machine),
# and named by asr.backup=http://... on the kernel command line; the
# medium's own kernel and initramfs boot with -kernel/-initrd to pass it,
# the ISO attached as a CD.  Either way, beside a blank disk and the
# machine's other disks, each with a serial: the menu lists the set;
# choosing it shows the plan and a prompt naming the blank disk's size and
# serial; a wrong answer writes nothing and the list comes back; the
# disk's name restores it; power off from the menu.  The blank disk then
# boots the machine, and the other disks (the backup disk among them,
# searched with the device read-only and the journal not replayed) are
# byte for byte unchanged.  shrink: as disk, but the blank disk is half
# the system disk's size: from the menu's shell, asr restore --shrink
# (/ shrunk with the medium's own e2fsprogs and qemu-storage-daemon, swap
# moved) restores onto it, and it boots.  capture: the machine's own disk
# (a copy) beside a disk holding an empty ext4: c at the menu captures the
# machine onto it (no appliance on the medium: ext4 and swap are read in
# userspace); the set checks out and boots in asr verify, and the
# machine's disk is byte for byte unchanged.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
. "$ASR_SOURCE_ROOT/tests/lib/machine.sh" "${1:-}"
where=${2:?usage: test-rescue-attended.sh MACHINE disk|label|url|shrink|capture}
with_tmp_and_loops
need qemu-system-x86_64 python3 sfdisk mkfs.ext4 sha256sum cmp xorriso
chat=$ASR_SOURCE_ROOT/tests/lib/serial-chat
[ "$(get FIRMWARE)" = bios ] || bail_out "$machine: this test boots BIOS machines"

plan 8

run "$asr" capture -o "$tmp/backup" "${sources[@]}"
check "capture $machine" 0
[ "$rc" -eq 0 ] || bail_out "no backup"
run "$asr" rescue -o "$tmp/m.iso"
check "asr rescue builds the generic medium" 0 '^built .*m\.iso: .* MiB in [0-9]+ s$'
[ "$rc" -eq 0 ] || bail_out "no medium"

# disk, label: the backup disk, a GPT partition with ext4 (label
# asr-backups) holding backups/MACHINE.
# url: the set served from $tmp/www/backups/MACHINE.
if [ "$where" = capture ]; then
  [ -c /dev/fuse ] || skip_all "no /dev/fuse (capture exports the disk's overlay with FUSE)"
elif [ "$where" != url ]; then
  mkdir -p "$tmp/stage/backups"
  cp -r "$tmp/backup" "$tmp/stage/backups/$machine"
  mib=$(($(du -sm "$tmp/stage" | cut -f1) * 2 + 64))
  truncate -s "${mib}M" "$tmp/backupfs.img"
  mkfs.ext4 -q -L asr-backups -d "$tmp/stage" "$tmp/backupfs.img"
  truncate -s "$((mib + 2))M" "$tmp/usb.raw"
  printf 'label: gpt\nstart=2048, size=%s, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n' "$((mib * 2048))" \
    | sfdisk -q --no-reread --no-tell-kernel "$tmp/usb.raw" >/dev/null
  dd if="$tmp/backupfs.img" of="$tmp/usb.raw" bs=1M seek=1 conv=notrunc,sparse status=none
  rm -rf "$tmp/stage" "$tmp/backupfs.img"
  set_where="vd[a-z]1:/backups/$machine"
  [ "$where" = shrink ] && [ ! -c /dev/fuse ] && skip_all "no /dev/fuse (--shrink exports images with FUSE)"
else
  mkdir -p "$tmp/www/backups"
  cp -r "$tmp/backup" "$tmp/www/backups/$machine"
  "$ASR_SOURCE_ROOT/tests/lib/http-range-server" "$tmp/www" "$tmp/port" 2>"$tmp/http.log" &
  http_pid=$!
  trap 'kill $http_pid 2>/dev/null || true; _machine_cleanup' EXIT
  for _ in $(seq 300); do [ -e "$tmp/port" ] && break; sleep 0.1; done
  [ -e "$tmp/port" ] || bail_out "the HTTP server did not start: $(cat "$tmp/http.log")"
  url="http://10.0.2.2:$(cat "$tmp/port")/backups/$machine/"
  url_shown=${url%/}
  set_where="${url_shown//./\\.}"
fi
# A kernel command line needs the medium's kernel and initramfs booted
# directly (-kernel), the ISO attached: GRUB's menu would need editing.
if [ "$where" = url ] || [ "$where" = label ]; then
  xorriso -osirrox on -indev "$tmp/m.iso" -extract /boot/vmlinuz "$tmp/vmlinuz" \
    -extract /boot/initrd.zst "$tmp/initrd.zst" >"$tmp/xorriso.log" 2>&1 \
    || bail_out "the medium's kernel and initramfs: $(tail -n 3 "$tmp/xorriso.log")"
fi

# The disks: blank first (vda), the machine's others, the backup disk.
# capture: the machine's system disk (a copy), then the target disk.
if [ "$where" = capture ]; then
  cp --sparse=always "${sources[0]}" "$tmp/machine.raw"
  truncate -s 1G "$tmp/target.raw"
  mkfs.ext4 -q -F -L target "$tmp/target.raw"
  disks=("$tmp/machine.raw" "$tmp/target.raw")
  machine_sum=$(sha256sum <"$tmp/machine.raw")
elif [ "$where" = url ]; then replacement_disks; else replacement_disks "$tmp/usb.raw"; fi
[ "$where" = shrink ] && truncate -s $(($(stat -c %s "$tmp/blank.raw") / 2)) "$tmp/blank.raw"
size=$(stat -c %s "${disks[0]}")

args=(-machine pc -nodefaults -accel tcg -m 1536 -smp 1 -display none -vga std -monitor none
      -no-reboot -serial stdio
      -drive "file=$tmp/m.iso,format=raw,if=none,id=m,media=cdrom,readonly=on")
if [ "$where" = url ]; then
  args+=(-device ide-cd,drive=m -nic user,model=virtio-net-pci -kernel "$tmp/vmlinuz" -initrd "$tmp/initrd.zst"
         -append "console=tty0 console=ttyS0,115200 quiet loglevel=3 asr.backup=$url")
elif [ "$where" = label ]; then
  args+=(-device ide-cd,drive=m -nic none -kernel "$tmp/vmlinuz" -initrd "$tmp/initrd.zst"
         -append "console=tty0 console=ttyS0,115200 quiet loglevel=3 asr.backup=LABEL=asr-backups:/backups/$machine")
else
  args+=(-device ide-cd,drive=m,bootindex=0 -nic none)
fi
i=0
for d in "${disks[@]}"; do
  args+=(-drive "file=$d,format=raw,if=none,id=d$i" -device "virtio-blk-pci,drive=d$i,serial=S$i")
  i=$((i + 1))
done

# The conversation, one checkpoint per test point.
set_line="  1  ${set_where:-}  debian 12 \\(host $machine\\), captured [0-9T:-]+Z by asr [^ ]+, [0-9]+ MiB"
if [ "$where" = capture ]; then
  points=(
    "menu|the menu, with no backup set, offers c to capture this machine"
    "captured|c captures the machine's disk onto the other disk's filesystem, without an appliance"
    "off|power off from the menu"
  )
  steps=(-t 300 -e 'Choose a backup set \(1-0\), c to capture this machine' -p menu
         -s c -t 60 -e "vda  [0-9]+ MiB" -e 'Disks to capture' -s vda
         -e 'Filesystem to write the backup set to' -s vdb -e 'Name of the backup set' -s "$machine"
         -t 600 -e 'inspected without the appliance' -e "asr rescue: captured to vdb:/$machine" -p captured
         -e 'Choose a backup set' -s p -t 120 -w -p off)
elif [ "$where" = shrink ]; then
  points=(
    "listed|the menu lists the backup set (on a disk)"
    "shell|s at the menu gives a shell"
    "shrunk|asr restore --shrink from that shell restores onto a disk half the size"
    "off|power off from the menu"
  )
  steps=(-t 300 -e "$set_line" -e 'Choose a backup set \(1-1\)' -p listed
         -s s -t 60 -s 'echo shell-is-$((6*7))' -e 'shell-is-42' -p shell
         -s 'asr restore --yes --shrink "$(cut -d" " -f1 /run/asr/sets)" /dev/vda; echo "shrink rc=$?"'
         -t 900 -e 'shrunk to [0-9]+ bytes in a private copy' -e 'shrink rc=0' -p shrunk
         -s exit -t 60 -e 'Choose a backup set' -s p -t 120 -w -p off)
else
  points=(
    "listed|the menu lists the backup set ($where)"
    "prompt|the plan, and a prompt naming the blank disk's size and serial"
    "wrong|a wrong answer writes nothing and the list comes back"
    "off|the disk's name restores it; power off from the menu"
  )
  steps=(-t 300 -e "$set_line" -e 'Choose a backup set \(1-1\)' -p listed
         -s 1 -t 120 -e 'Result: restorable' -e "/dev/vda  [^\\n]*\\($size bytes\\)[^\\n]*serial S0"
         -e "Type 'vda' \\(the disk to overwrite\\)" -p prompt
         -s sdz -e 'not confirmed: nothing was written' -e "$set_line" -e 'Choose a backup set'
         -r "cmp -s -n $size $tmp/blank.raw /dev/zero" -p wrong
         -s 1 -e "Type 'vda'" -s vda -t 600 -e 'restored 1 disk' -e 'r to reboot, p to power off'
         -s p -t 120 -w -p off)
fi
"$chat" "$tmp/console.log" "${steps[@]}" \
  -- qemu-system-x86_64 "${args[@]}" >"$tmp/chat.out" 2>"$tmp/chat.err" || true
failed=no
for p in "${points[@]}"; do
  if [ $failed = no ] && grep -q "^reached ${p%%|*} " "$tmp/chat.out"; then pass "${p#*|}"
  elif [ $failed = no ]; then
    failed=yes
    fail "${p#*|}" "$(cat "$tmp/chat.err")" "$(cat "$tmp/console.log.stderr" 2>/dev/null)"
  else fail "${p#*|}" "an earlier step failed"; fi
done
if [ "$where" = capture ]; then
  [ "$(sha256sum <"$tmp/machine.raw")" = "$machine_sum" ] \
    && pass "the machine's disk is byte for byte unchanged" \
    || fail "the machine's disk is byte for byte unchanged" "its SHA-256 changed"
  loop=$(losetup -f --show -r "$tmp/target.raw")
  loops+=("$loop")
  mkdir "$tmp/target"
  mount -o ro,noload "$loop" "$tmp/target"
  run "$asr" check "$tmp/target/$machine"
  check "the set captured on the medium checks out" 0 'all [0-9]+ images check out'
  run "$asr" verify --json --timeout 240 "$tmp/target/$machine"
  check "asr verify boots the set captured on the medium" 0 '"verdict" : "booted"'
  finish
fi
others_unchanged
run "$boot_check" --firmware bios --timeout 150 --log "$tmp/boot.log" "${disks[@]:0:${#sources[@]}}"
check "the restored disk boots $machine" 0 "booted: asr-test-machine: booted $machine, fstab ok"

finish
