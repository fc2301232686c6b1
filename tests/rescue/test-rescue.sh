#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-rescue.sh MACHINE cd|usb|virtio [small|twins]: the rescue medium end
# to end, as a user runs it.  Capture the machine (all its disks), build
# the medium with the backup set and --unattended, and boot it (as a CD, as
# a USB stick on qemu-xhci, or as a virtio disk ahead of the blank one, so
# that the medium is vda and the blank disk vdb) on a machine with a blank
# disk in place of the system disk and the other disks as they were, each
# with a serial: the medium plans, restores and powers off by itself.  The
# other disks are byte for byte unchanged, and the blank disk then boots
# the machine.  Then, small (the default): a blank disk too small for the
# backup: the console shows the plan's reason, the medium stays at its
# shell (stopped by the test), and the disk is still all zeros; or twins:
# two blank disks of the same size, which nothing tells apart: the
# unattended restore refuses to choose, says so, stays at its shell, and
# both are still all zeros.  UEFI machines boot OVMF with a fresh variable
# store.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
. "$ASR_SOURCE_ROOT/tests/lib/machine.sh" "${1:-}"
how=${2:?usage: test-rescue.sh MACHINE cd|usb|virtio [small|twins]}
then=${3:-small}
with_tmp_and_loops
need qemu-system-x86_64 sha256sum cmp
firmware=$(get FIRMWARE)

# the restore (6), then small (4) or twins (4)
plan 10

run "$asr" capture -o "$tmp/backup" "${sources[@]}"
check "capture $machine" 0
[ "$rc" -eq 0 ] || bail_out "no backup"
run "$asr" rescue -o "$tmp/m.iso" --backup "$tmp/backup" --unattended
check "asr rescue builds the medium with the backup set" 0 '^built .*m\.iso: .* MiB in [0-9]+ s, with the backup set, unattended'
[ "$rc" -eq 0 ] || bail_out "no medium"
diag "$out"

# medium ARGS...: qemu arguments that attach the medium
medium=()
if [ "$how" = usb ]; then
  medium=(-device qemu-xhci,id=xhci -drive "file=$tmp/m.iso,format=raw,if=none,id=m,readonly=on"
          -device usb-storage,bus=xhci.0,drive=m,bootindex=0)
elif [ "$how" = virtio ]; then
  medium=(-drive "file=$tmp/m.iso,format=raw,if=none,id=m,readonly=on"
          -device virtio-blk-pci,drive=m,serial=MEDIUM,bootindex=0)
else
  medium=(-drive "file=$tmp/m.iso,format=raw,if=none,id=m,media=cdrom,readonly=on"
          -device ide-cd,drive=m,bootindex=0)
fi
# boot CONSOLE DISK... : the medium and the disks (virtio, serials D0, D1,
# ...), in the background; $qemu_pid
boot() {
  local console=$1 i=0 machine_type=pc d
  shift
  local args=(-nodefaults -accel tcg -m 1536 -smp 1 -display none -vga std -monitor none
              -serial "file:$console" -nic none -no-reboot "${medium[@]}")
  if [ "$firmware" = uefi ]; then
    machine_type=q35
    cp /usr/share/OVMF/OVMF_VARS_4M.fd "$tmp/vars.fd"
    args+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
           -drive "if=pflash,format=raw,unit=1,file=$tmp/vars.fd")
  fi
  for d in "$@"; do
    args+=(-drive "file=$d,format=raw,if=none,id=d$i" -device "virtio-blk-pci,drive=d$i,serial=D$i")
    i=$((i + 1))
  done
  qemu-system-x86_64 -machine "$machine_type" "${args[@]}" >"$tmp/qemu.out" 2>&1 &
  qemu_pid=$!
}
# wait_exit SECONDS: qemu ended by itself within SECONDS
wait_exit() {
  local i=0
  while kill -0 "$qemu_pid" 2>/dev/null; do
    [ $i -lt "$1" ] || { kill "$qemu_pid"; wait "$qemu_pid" || true; return 1; }
    sleep 1
    i=$((i + 1))
  done
  wait "$qemu_pid" || true
}
# wait_line CONSOLE REGEX SECONDS: the console showed it within SECONDS
wait_line() {
  local i=0
  until grep -aqE "$2" "$1" 2>/dev/null; do
    [ $i -lt "$3" ] || return 1
    sleep 1
    i=$((i + 1))
  done
}

replacement_disks

boot "$tmp/console.log" "${disks[@]}"
if wait_exit 600 && grep -aq 'asr rescue: restored: powering off' "$tmp/console.log"; then
  pass "the medium ($how, $firmware) restored unattended and powered off"
else
  fail "the medium ($how, $firmware) restored unattended and powered off" \
    "$(grep -a 'asr rescue\|restore\|Result' "$tmp/console.log" | tail -n 30)" "$(cat "$tmp/qemu.out")"
fi
if grep -aq '^Result: restorable' "$tmp/console.log"; then pass "the plan passed on the console"
else fail "the plan passed on the console" "$(tail -c 3000 "$tmp/console.log")"; fi
others_unchanged
run "$boot_check" --firmware "$firmware" --timeout 150 --log "$tmp/boot.log" "${disks[@]}"
check "the restored disk boots $machine" 0 "booted: asr-test-machine: booted $machine, fstab ok"

# zeros DISK: all zeros
zeros() { cmp -s -n "$(stat -c %s "$1")" "$1" /dev/zero; }
# at_shell WHAT: the medium is still running (at its shell): stop it
at_shell() {
  sleep 2
  if kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid"
    wait "$qemu_pid" || true
    pass "$1: the medium stays at its shell"
  else
    fail "$1: the medium stays at its shell" "qemu exited"
  fi
}

if [ "$then" = twins ]; then
  # Two blank disks of the system disk's size: the plan could take either.
  truncate -s "$(stat -c %s "${sources[0]}")" "$tmp/twin1.raw" "$tmp/twin2.raw"
  boot "$tmp/console-twins.log" "$tmp/twin1.raw" "$tmp/twin2.raw" "${disks[@]:1}"
  if wait_line "$tmp/console-twins.log" 'asr rescue: the restore was refused \(exit 1\): nothing was written' 600; then
    pass "twins: the console says the restore was refused"
  else
    fail "twins: the console says the restore was refused" "$(tail -c 3000 "$tmp/console-twins.log")"
  fi
  if grep -aq 'warn .*chosen by disk order' "$tmp/console-twins.log" \
    && grep -aq 'an unattended restore does not choose by disk order' "$tmp/console-twins.log"; then
    pass "twins: the plan's warning and the refusal are on the console"
  else fail "twins: the plan's warning and the refusal are on the console" "$(tail -c 3000 "$tmp/console-twins.log")"; fi
  at_shell twins
  if zeros "$tmp/twin1.raw" && zeros "$tmp/twin2.raw"; then
    pass "twins: both disks are still all zeros"
  else fail "twins: both disks are still all zeros"; fi
  finish
fi

# A blank disk too small: blocked, at the shell, nothing written.
truncate -s $(($(stat -c %s "${sources[0]}") / 2)) "$tmp/small.raw"
boot "$tmp/console-small.log" "$tmp/small.raw" "${disks[@]:1}"
if wait_line "$tmp/console-small.log" 'asr rescue: the plan is blocked' 600; then
  pass "too small: the console says the plan is blocked"
else
  fail "too small: the console says the plan is blocked" "$(tail -c 3000 "$tmp/console-small.log")"
fi
if grep -aqE 'fail +(capacity|disk-count)' "$tmp/console-small.log"; then
  pass "too small: the plan's reason is on the console"
else fail "too small: the plan's reason is on the console" "$(grep -a 'fail ' "$tmp/console-small.log")"; fi
at_shell "too small"
if zeros "$tmp/small.raw"; then
  pass "too small: the disk is still all zeros"
else fail "too small: the disk is still all zeros"; fi

finish
