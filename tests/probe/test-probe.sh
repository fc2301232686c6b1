#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# asr probe end to end (suite integration): image files built here with
# qemu-img and sfdisk, `local` on this machine, a libvirt test-driver domain.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

plan 23

need qemu-img sfdisk

dir=$(mktemp -d)
nbd_pid=
trap '[ -z "$nbd_pid" ] || kill $nbd_pid 2>/dev/null || true; rm -rf "$dir"' EXIT
cd "$dir" || exit 1

qemu-img create -q -f raw mbr.raw 64M
printf 'label: dos\nlabel-id: 0x1234abcd\n,16M,83,*\n,,82\n' | sfdisk -q mbr.raw
qemu-img create -q -f raw gpt.raw 64M
printf 'label: gpt\nlabel-id: 01234567-89AB-4CDE-8F01-23456789ABCD\n,8M,U\n,,L\n' | sfdisk -q gpt.raw
qemu-img convert -O qcow2 gpt.raw gpt.qcow2
qemu-img create -q -f qcow2 empty.qcow2 1G
qemu-img create -q -f qcow2 -b /etc/passwd -F raw backed.qcow2

run "$ASR" probe
check "no target: usage" 2 "" "expects at least one TARGET"

run "$ASR" probe missing.img
check "missing file: invalid input" 2 "" "missing.img: No such file"

run "$ASR" probe mbr.raw
check "raw image with an MBR" 0 '<partition-table type="mbr" signature="0x1234abcd"/>'
check "  its partitions" 0 '<partition number="2" kind="primary" start="34816" sectors="96256" type="0x82" bootable="no"/>'
check "  its source, absolute, format raw" 0 "<source disk=\"disk0\" path=\"$dir/mbr.raw\" format=\"raw\"/>"

run "$ASR" probe empty.qcow2 gpt.qcow2 mbr.raw
check "several images: disk0.. in order" 0 '<disk id="disk2" bytes="67108864" logical-sector="512" physical-sector="512">'
check "  empty qcow2: no table" 0 '<disk id="disk0" bytes="1073741824" logical-sector="512" physical-sector="512"/>'
check "  GPT read through qcow2, with its geometry" 0 '<partition-table type="gpt" guid="01234567-89ab-4cde-8f01-23456789abcd" first-usable="2048" entries-start="2" entries="128" entry-bytes="128"/>'
if grep -q "<hardware>" <<<"$out"; then fail "  image files: no hardware"; else pass "  image files: no hardware"; fi

# A table asr cannot read, which Linux still reads: a partition past the
# end (made on a larger disk, then cut), and a GPT with bad entries.
qemu-img create -q -f raw big.raw 128M
printf 'label: dos\nlabel-id: 0xdada0001\n2048,,83\n' | sfdisk -q big.raw
head -c 64M big.raw > cut.raw
cp gpt.raw badentries.raw
printf 'X' | dd of=badentries.raw bs=1 seek=1084 conv=notrunc status=none
printf 'X' | dd of=badentries.raw bs=1 seek=$((64 * 1024 * 1024 - 33 * 512 + 60)) conv=notrunc status=none
run "$ASR" probe cut.raw badentries.raw
check "unreadable MBR: its signature and why" 0 '<partition-table type="mbr" signature="0xdada0001" unreadable="partition 1 ends at sector 262143, past the disk end \(131072 sectors\)"/>'
check "unreadable GPT: its disk GUID and why" 0 '<partition-table type="gpt" guid="01234567-89ab-4cde-8f01-23456789abcd" unreadable="GPT entries CRC mismatch'
if grep -q "<partition number" <<<"$out"; then fail "  no partitions recorded" "$out"; else pass "  no partitions recorded"; fi

# An image qemu has open: its image locks, tested as qemu tests them.
if command -v qemu-nbd >/dev/null; then
  qemu-nbd -f raw -t -k "$dir/nbd.sock" mbr.raw & nbd_pid=$!
  for _ in $(seq 50); do [ -S nbd.sock ] && break; sleep 0.1; done
  run "$ASR" probe mbr.raw
  check "qemu-nbd has it open: in use, locked" 0 '<in-use reason="locked" detail="qemu.s image lock for &quot;consistent read&quot; is held'
  kill $nbd_pid; wait $nbd_pid 2>/dev/null || true; nbd_pid=
  run "$ASR" probe mbr.raw
  if grep -q "<in-use" <<<"$out"; then fail "  not once qemu-nbd is gone" "$out"; else pass "  not once qemu-nbd is gone"; fi
else
  skip "qemu-nbd has it open: in use, locked" "qemu-nbd not installed"
  skip "  not once qemu-nbd is gone" "qemu-nbd not installed"
fi

run "$ASR" probe -o out.xml backed.qcow2
check "backing file refused, named" 2 "" "backing file \(/etc/passwd\)"
if [ -e out.xml ]; then fail "  nothing written on refusal"; else pass "  nothing written on refusal"; fi

run "$ASR" probe mbr.raw ./mbr.raw
check "the same disk twice" 2 "" "the same disk is given twice"

run "$ASR" probe -o out.xml gpt.raw
mode=$(stat -c %a out.xml 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -z "$out" ] && [ "$mode" = 600 ] && grep -q 'type="gpt"' out.xml; then
  pass "-o writes the file (0600), nothing on stdout"
else
  fail "-o writes the file (0600), nothing on stdout" "rc $rc mode $mode" "$out" "$err"
fi

run "$ASR" probe -o local.xml local
run2_rc=$rc
run "$ASR" validate local.xml
if [ "$run2_rc" -eq 0 ] && [ "$rc" -eq 0 ] && grep -q "<architecture>" local.xml; then
  pass "local: a valid descriptor"
else
  fail "local: a valid descriptor" "probe rc $run2_rc, validate rc $rc" "$err" "$(cat local.xml 2>/dev/null)"
fi

run "$ASR" probe local local
check "local twice: refused" 2 "" "at most one of local and domain:NAME"

# libvirt's test driver: a domain named "test", no daemon needed
run "$ASR" probe --connect test:///default domain:test
check "domain:test through test:///default" 0 "<machine-type>|<cpu |<memory bytes="

run "$ASR" probe --connect test:///default domain:no-such-domain
check "unknown domain: invalid input" 2 "" "no such domain"

# A block device with no medium (an unattached loop device): refused.
if [ -b /dev/loop0 ] && [ "$(cat /sys/class/block/loop0/size 2>/dev/null)" = 0 ]; then
  run "$ASR" probe /dev/loop0
  check "block device of 0 bytes refused" 2 "" "size of 0 bytes"
else
  skip "block device of 0 bytes refused" "no detached /dev/loop0"
fi

finish
