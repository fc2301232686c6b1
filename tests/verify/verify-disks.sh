#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# verify-disks.sh CASE MACHINE: `asr verify --disks` on a built test machine.
#   boots               exit 0, booted, base images unchanged
#   no-bootable-device  sector 0 zeroed: exit 1 at once, no-bootable-device
#   zeroed-boot-code    boot code zeroed (signature kept): the CPU runs
#                       zeroes, nothing is printed: exit 1 timeout
#   timeout             --timeout 5 --expect never-printed: exit 1 timeout
#   keep                --keep: exit 0, the directory stays and is named
#   killed              verify killed -9 mid-boot: the next run removes its
#                       directory and kills its qemu
# After every case: no qemu of ours runs, no private directory is left.
. "$VM_TESTS_DIR/tests/lib.sh"
need qemu-system-x86_64 qemu-img jq
[ $# -eq 2 ] || bail_out "usage: verify-disks.sh CASE MACHINE"
case_=$1
load_machine "$2"
: "${ASR:?ASR is not set: run this test through meson}"

# Private directories go here, so that leftovers are ours to see.  Short:
# libvirt's socket paths live below it.
export TMPDIR=$TEST_TMP/t
mkdir -p "$TMPDIR"

disks=("$SYSTEM_IMAGE")
[ -z "${DATA_IMAGE:-}" ] || disks+=("$DATA_IMAGE")
firmware=(--firmware "$FIRMWARE")
expect=(--expect "asr-test-machine: booted $MACHINE, fstab ok")

sums() { sha256sum "${disks[@]}"; }
before=$(sums)

# verify ARGS...: asr verify --json, output in OUT, status in RC.
verify() {
  OUT=$("$ASR" verify --json "$@" 2>"$TEST_TMP/stderr") && RC=0 || RC=$?
  diag "asr verify $* -> $RC" "$OUT"
  [ ! -s "$TEST_TMP/stderr" ] || diag "stderr:" "$(cat "$TEST_TMP/stderr")"
}
field() { jq -r ".$1" <<<"$OUT"; }
domain_of_run() { field connect | sed -n 's|.*/\(asr-verify-[A-Za-z0-9]\{6\}\)/libvirt$|\1|p'; }
no_qemu_named() { ! pgrep -f "guest=$1," >/dev/null; }
no_private_dirs() {
  [ -z "$(find "$TMPDIR" -mindepth 1 -maxdepth 1 -type d -name 'asr-verify-*' -print -quit)" ]
}
check_clean() {
  local name
  name=$(domain_of_run)
  assert "the run named its domain ($name)" [ -n "$name" ]
  assert "no qemu of this run is left" no_qemu_named "${name:-none}"
  assert "no private directory is left" no_private_dirs
  assert "the base images are unchanged" eval '[ "$(sums)" = "$before" ]'
}
# broken_copy BYTES: a sparse copy of the system disk with its first BYTES zeroed.
broken_copy() {
  local copy=$TEST_TMP/broken.raw
  cp --sparse=always "$SYSTEM_IMAGE" "$copy" || bail_out "cp failed"
  dd if=/dev/zero of="$copy" bs="$1" count=1 conv=notrunc status=none || bail_out "dd failed"
  printf '%s\n' "$copy"
}

case $case_ in
  boots)
    verify "${expect[@]}" --disks "${firmware[@]}" "${disks[@]}"
    assert "exit 0" [ "$RC" -eq 0 ]
    assert "verdict booted" [ "$(field verdict)" = booted ]
    assert "the machine's own success line decided" \
      eval '[[ "$(field detail)" == "asr-test-machine: booted $MACHINE, fstab ok" ]]'
    assert "no console log is kept after a success" [ "$(field console_log)" = null ]
    diag "boot seconds: $(field seconds)"
    check_clean ;;
  no-bootable-device)
    copy=$(broken_copy 512)
    verify --timeout 60 --disks "${firmware[@]}" "$copy"
    assert "exit 1" [ "$RC" -eq 1 ]
    assert "reason no-bootable-device" [ "$(field reason)" = no-bootable-device ]
    assert "decided in under 30 s, not by the timeout" eval '[ "$(field seconds | cut -d. -f1)" -lt 30 ]'
    assert "the console tail is in the report" eval 'jq -e ".console_tail | length > 0" <<<"$OUT" >/dev/null'
    assert "the console log of a failure is kept" test -s "$(field console_log)"
    check_clean ;;
  zeroed-boot-code)
    copy=$(broken_copy 440)
    verify --timeout 20 --disks "${firmware[@]}" "$copy"
    assert "exit 1" [ "$RC" -eq 1 ]
    assert "reason timeout" [ "$(field reason)" = timeout ]
    assert "SeaBIOS tried the disk" eval 'jq -r ".console_tail[]" <<<"$OUT" | grep -q "^Booting from Hard Disk"'
    check_clean ;;
  timeout)
    verify --timeout 5 --expect never-printed --disks "${firmware[@]}" "${disks[@]}"
    assert "exit 1" [ "$RC" -eq 1 ]
    assert "verdict did-not-boot" [ "$(field verdict)" = did-not-boot ]
    assert "reason timeout" [ "$(field reason)" = timeout ]
    assert "stopped after about 5 s" eval '[ "$(field seconds | cut -d. -f1)" -lt 15 ]'
    check_clean ;;
  keep)
    verify --keep "${expect[@]}" --disks "${firmware[@]}" "${disks[@]}"
    kept=$(field kept)
    assert "exit 0" [ "$RC" -eq 0 ]
    assert "the kept directory is named" [ -d "$kept" ]
    assert "it holds the console log and the overlays" \
      eval '[ -s "$kept/console.log" ] && [ -f "$kept/disk0.qcow2" ]'
    assert "its qemu is gone" no_qemu_named "$(basename "$kept")"
    assert "the base images are unchanged" eval '[ "$(sums)" = "$before" ]'
    # a kept directory is the user's: the next run does not remove it
    verify --timeout 2 --expect never-printed --disks "${firmware[@]}" "${disks[@]}"
    assert "a later run leaves a kept directory alone" [ -d "$kept" ]
    rm -rf "$kept" ;;
  killed)
    "$ASR" verify --timeout 120 --disks "${firmware[@]}" "${disks[@]}" >/dev/null 2>&1 &
    pid=$!
    name=
    for _ in $(seq 1 100); do
      name=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 -type d -name 'asr-verify-*' -printf '%f\n' -quit)
      [ -n "$name" ] && pgrep -f "guest=$name," >/dev/null && break
      sleep 0.2
    done
    assert "the first run started a qemu ($name)" eval '[ -n "$name" ] && pgrep -f "guest=$name," >/dev/null'
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true  # its status is the kill's
    assert "killed -9, it left its qemu running" eval 'pgrep -f "guest=$name," >/dev/null'
    verify --timeout 2 --expect never-printed --disks "${firmware[@]}" "${disks[@]}"
    assert "the next run ran (exit 1, timeout)" [ "$RC" -eq 1 ]
    assert "the killed run's qemu is gone" no_qemu_named "$name"
    assert "the killed run's directory is gone" [ ! -e "$TMPDIR/$name" ]
    check_clean ;;
  *) bail_out "unknown case $case_" ;;
esac
finish
