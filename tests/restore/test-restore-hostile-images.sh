#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# plan and restore vet every image of the backup set before anything reads
# or writes through it, and refuse a TARGET that is one of the set's own
# files.  One small backup set, made without the appliance (qemu-img and
# qemu-io, checksums filled in from `asr check --json`), is shared by all
# the cases; each case breaks one file, checks the exit status and the
# message of plan and restore, and that the target was not written.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
need qemu-img qemu-io python3 timeout mkfifo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

plan 82

# A hang (qemu opening a FIFO) must fail the case, not the CI job.
guard() { timeout -k 5 60 "$@"; }
sum() { sha256sum "$1" | cut -d' ' -f1; }

# --- the backup set: one disk, a boot area and one volume -----------------
mkdir -m 700 B
cat > B/machine.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<machine version="1">
  <origin captured="2026-11-27T17:00:00Z" tool="asr 0.1.0">
    <source disk="disk0" path="sys.raw" format="raw"/>
  </origin>
  <disk id="disk0" critical="yes" boot="yes" bytes="41943040" logical-sector="512" physical-sector="512">
    <partition-table type="mbr" signature="0x1234abcd"/>
    <boot-area bytes="1048576" image="disk0-bootarea.qcow2" checksum="asr-sha256-64k:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"/>
    <partition number="1" kind="primary" start="2048" sectors="65536" type="0x83" bootable="yes">
      <volume fs="ext4" uuid="0b5a4c3e-8f3d-4c39-9d61-0c1f9b2f6a11" label="root" mountpoint="/" critical="yes">
        <image file="disk0-p1.qcow2" format="qcow2" bytes="33554432" checksum="asr-sha256-64k:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"/>
      </volume>
    </partition>
  </disk>
</machine>
EOF
qemu-img create -q -f qcow2 B/disk0-bootarea.qcow2 1048576
qemu-io -c "write -P 0x11 0 4096" B/disk0-bootarea.qcow2 >/dev/null
qemu-img create -q -f qcow2 B/disk0-p1.qcow2 33554432
qemu-io -c "write -P 0x5a 1M 2M" -c "write -P 0x33 30M 64k" B/disk0-p1.qcow2 >/dev/null
"$asr" check --json B > check.json || true
python3 - <<'EOF'
import json
j = json.load(open("check.json"))
x = open("B/machine.xml").read()
for im in j["images"]:
    x = x.replace(im["expected"], im["actual"], 1)
open("B/machine.xml", "w").write(x)
EOF
run "$asr" check B
check "the hand-made backup set checks out" 0 'all 2 images check out'
mkdir good
cp B/disk0-p1.qcow2 B/disk0-bootarea.qcow2 good/

# The target: blank but for a first MiB of noise, so that any write shows.
truncate -s 40M t.raw
head -c 1M /dev/urandom | dd of=t.raw conv=notrunc status=none
target_sum=$(sum t.raw)
unchanged() {
  [ "$(sum t.raw)" = "$target_sum" ] && pass "$1: the target is unchanged" \
    || fail "$1: the target is unchanged"
}
put_back() { rm -rf "B/$1"; cp "good/$1" "B/$1"; }
secret=$tmp/secret
printf 'root:$6$very-secret-hash:19000:0:99999:7:::\n' > "$secret"
truncate -s 1M "$secret"

run "$asr" plan B t.raw
check "the good set: plan passes" 0 'images'
run "$asr" plan --check-images B t.raw
check "the good set: plan --check-images passes" 0 'checksum verified'

# hostile NAME IMAGE WHAT PATTERN: plan and restore (with and without
# --no-verify and --no-check-images) both refuse B with IMAGE broken, exit
# 2, saying PATTERN; nothing is written.
hostile() {
  local name=$1 image=$2 pattern=$3
  run guard "$asr" plan B t.raw
  check "$name: plan refuses it" 2 '' "$image.*refused.*$pattern"
  run guard "$asr" plan --check-images B t.raw
  check "$name: plan --check-images refuses it" 2 '' "$image.*refused.*$pattern"
  run guard "$asr" restore --yes --no-verify B t.raw
  check "$name: restore refuses it" 2 '' "$image.*refused.*$pattern.*nothing was written"
  run guard "$asr" restore --yes --no-check-images B t.raw
  check "$name: restore --no-check-images refuses it" 2 '' "$image.*$pattern.*nothing was written"
  unchanged "$name"
}

# --- hostile and damaged images ------------------------------------------
rm B/disk0-p1.qcow2
qemu-img create -q -f qcow2 -b /etc/passwd -F raw B/disk0-p1.qcow2 33554432
hostile "backing file /etc/passwd" disk0-p1.qcow2 'backing file \(/etc/passwd\)'
put_back disk0-p1.qcow2

rm B/disk0-bootarea.qcow2
qemu-img create -q -f qcow2 -b "$secret" -F raw B/disk0-bootarea.qcow2 1048576
hostile "boot area backed by a secret file" disk0-bootarea.qcow2 'backing file'
put_back disk0-bootarea.qcow2

rm B/disk0-p1.qcow2
qemu-img create -q -f qcow2 -o data_file="$tmp/data.raw" B/disk0-p1.qcow2 33554432
rm data.raw
mkfifo data.raw
hostile "external data file that is a FIFO" disk0-p1.qcow2 'external data file'
rm data.raw
put_back disk0-p1.qcow2

truncate -s 1M B/disk0-p1.qcow2
hostile "truncated image" disk0-p1.qcow2 'truncated or corrupt'
put_back disk0-p1.qcow2

rm B/disk0-p1.qcow2
qemu-img create -q -f qcow2 B/disk0-p1.qcow2 $((33554432 + 1048576))
hostile "wrong virtual size" disk0-p1.qcow2 'size is 34603008 bytes, the descriptor says 33554432'
put_back disk0-p1.qcow2

rm B/disk0-p1.qcow2
qemu-img convert -O raw good/disk0-p1.qcow2 B/disk0-p1.qcow2
hostile "raw image named .qcow2" disk0-p1.qcow2 'not a readable disk image'
put_back disk0-p1.qcow2

rm B/disk0-p1.qcow2
ln -s /etc/passwd B/disk0-p1.qcow2
hostile "symlink to /etc/passwd" disk0-p1.qcow2 'symbolic link'
put_back disk0-p1.qcow2

rm B/disk0-p1.qcow2
ln -s "$tmp/good/disk0-p1.qcow2" B/disk0-p1.qcow2
hostile "symlink to a good image outside the set" disk0-p1.qcow2 'symbolic link'
put_back disk0-p1.qcow2

rm B/disk0-p1.qcow2
mkdir B/disk0-p1.qcow2
hostile "a directory" disk0-p1.qcow2 'is a directory'
put_back disk0-p1.qcow2

rm B/disk0-p1.qcow2
mkfifo B/disk0-p1.qcow2
hostile "a FIFO" disk0-p1.qcow2 'a special file, not a regular file'
put_back disk0-p1.qcow2

rm B/disk0-p1.qcow2
hostile "a missing image" disk0-p1.qcow2 'missing'
put_back disk0-p1.qcow2

# --- a sound image with other content: the checksums ----------------------
qemu-io -c "write -P 0x77 5M 64k" B/disk0-p1.qcow2 >/dev/null
run "$asr" plan B t.raw
check "changed content: plan (structure only) passes" 0
run "$asr" plan --check-images B t.raw
check "changed content: plan --check-images fails the images check" 1 \
  'fail +disk0 p1 \(/\): disk0-p1.qcow2: its content differs'
run "$asr" restore --yes --no-verify B t.raw
check "changed content: restore refuses it before writing" 1 '' \
  'disk0-p1.qcow2.*refused: its content differs.*nothing was written'
unchanged "changed content"
truncate -s 40M t2.raw
run "$asr" restore --yes --no-check-images B t2.raw
check "changed content, --no-check-images: the read-back catches it" 1 '' \
  'checksum mismatch on .*t2.raw partition 1.*stays marked incomplete'

# --- an image swapped after `plan -o`: restore --plan vets again ----------
put_back disk0-p1.qcow2
run "$asr" plan -o plan.xml B t.raw
check "plan -o of the good set" 0
rm B/disk0-p1.qcow2
qemu-img create -q -f qcow2 -b /etc/passwd -F raw B/disk0-p1.qcow2 33554432
run guard "$asr" restore --yes --plan plan.xml B t.raw
check "image swapped after planning: restore --plan refuses it" 2 '' \
  'disk0-p1.qcow2.*refused.*backing file.*nothing was written'
unchanged "restore --plan, swapped image"
put_back disk0-p1.qcow2

# --- a TARGET that is one of the set's own files --------------------------
img_sum=$(sum B/disk0-p1.qcow2)
xml_sum=$(sum B/machine.xml)
run "$asr" plan B B/disk0-p1.qcow2
check "plan: a TARGET that is an image of the set is refused" 2 '' \
  'TARGET B/disk0-p1.qcow2 is disk0-p1.qcow2, a file of the backup set B: restoring onto it would destroy'
run "$asr" restore --yes B B/disk0-p1.qcow2
check "restore: a TARGET that is an image of the set is refused" 2 '' \
  'a file of the backup set.*nothing was written'
ln -s "$tmp/B/disk0-p1.qcow2" img-link.qcow2
run "$asr" restore --yes B img-link.qcow2
check "restore: ... also through a symlink" 2 '' 'is disk0-p1.qcow2, a file of the backup set'
ln B/disk0-p1.qcow2 img-hard.qcow2
run "$asr" plan B img-hard.qcow2
check "plan: ... also through a hard link" 2 '' 'is disk0-p1.qcow2, a file of the backup set'
[ "$(sum B/disk0-p1.qcow2)" = "$img_sum" ] && [ "$(sum B/machine.xml)" = "$xml_sum" ] \
  && pass "the set's files are unchanged" || fail "the set's files are unchanged"

run "$asr" restore --yes --create B B
check "restore --create into the backup set itself is refused" 2 '' \
  'create B: that is the backup set B: refused, nothing was written'
[ "$(ls B | sort | tr '\n' ' ')" = "disk0-bootarea.qcow2 disk0-p1.qcow2 machine.xml " ] \
  && pass "... and nothing was created in it" || fail "... and nothing was created in it" "$(ls B)"

# After `plan -o`, the target becomes a file of the set (a hard link into
# it): restore --plan does not rerun the planner, restore itself refuses.
run "$asr" plan -o plan2.xml B t.raw
check "plan -o onto a plain target" 0
ln t.raw B/stray.raw
run "$asr" restore --yes --plan plan2.xml B t.raw
check "restore --plan: a target linked into the set since is refused" 2 '' \
  'target .*t.raw is stray.raw, a file of the backup set .*nothing was written'
rm B/stray.raw
unchanged "target linked into the set"

# --- the control: the good set gets past the vetting and is written -------
run env ASR_RESTORE_FAIL_AT=volume "$asr" restore --yes B t.raw
check "the good set: restore vets, checksums and starts writing" 3 '' "stopped at step 'volume'"
[ "$(sum t.raw)" != "$target_sum" ] && pass "the good set: the target was written" \
  || fail "the good set: the target was written"
# Stopped while writing the volumes, the disk must say so: the marker goes
# first, the boot area (which clears it) last of all.
run "$asr" probe t.raw
check "... stopped there, asr probe reports the target incomplete" 0 '<incomplete/>'
# And to the end: read back, the marker gone, the boot code in place.
run "$asr" restore --yes B t.raw
check "the good set: a whole restore completes, its volume read back" 0 'restored 1 disk.*1 verified'
run "$asr" probe t.raw
if [ "$rc" -eq 0 ] && grep -q '<partition-table type="mbr" signature="0x1234abcd"/>' <<<"$out" \
  && ! grep -q '<incomplete/>' <<<"$out"; then
  pass "... asr probe finds the table and no incomplete marker"
else
  fail "... asr probe finds the table and no incomplete marker" "$(_tap_report)"
fi
qemu-img convert -f qcow2 -O raw B/disk0-bootarea.qcow2 bootarea.raw
cmp -s -n 440 bootarea.raw t.raw && pass "... the boot code (bytes 0-439) is the boot area's" \
  || fail "... the boot code (bytes 0-439) is the boot area's" "$(cmp -n 440 bootarea.raw t.raw 2>&1)"

finish
