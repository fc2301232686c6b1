#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# capture --force replaces an asr backup set and nothing else, and only once
# the new set is complete; a capture killed with SIGKILL leaves a temporary
# directory that the next capture to the same BACKUP removes.  Two appliance
# launches: a --force capture that fails (no OS) and one that succeeds.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
ex=$ASR_SOURCE_ROOT/xml-schemas/examples/valid
need qemu-img sfdisk mkfs.ext4 sha256sum
tmp=$(mktemp -d)
killed=
cleanup() {
  [ -z "$killed" ] || kill -9 $killed 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

plan 24

# A 64 MiB disk with an ext4 root that inspection takes for Debian, built
# with host tools only.
mkdir -p root/etc root/bin root/sbin
printf 'ID=debian\nVERSION_ID=12\nNAME=asr test\n' > root/etc/os-release
printf '/dev/sda1 / ext4 defaults 0 1\n' > root/etc/fstab
echo tiny > root/etc/hostname
truncate -s 64M sys.raw
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q sys.raw
mkfs.ext4 -q -F -E offset=$((2048 * 512)) -d root sys.raw $(((64 * 1024 - 1024)))k
truncate -s 64M blank.raw

# An existing backup set, as far as --force can tell: a descriptor and the
# images it names.
mkdir out
make_set() {
  mkdir "$1"
  cp "$ex/bios-mbr-server.xml" "$1/machine.xml"
  for f in disk0-bootarea.qcow2 disk0-p1.qcow2 disk0-p2.qcow2; do echo "old $f" > "$1/$f"; done
}
make_set out/set
(cd out/set && sha256sum -- *) > set.sums
set_untouched() {
  if (cd out/set && sha256sum --quiet -c "$tmp/set.sums") && [ "$(ls -A out/set | wc -l)" -eq 4 ]; then
    pass "$1: the existing set is untouched"
  else
    fail "$1: the existing set is untouched" "$(ls -la out/set)"
  fi
}
# temporaries: the temporary directories beside out/set, one per line
temporaries() { find out -mindepth 1 -maxdepth 1 -name '.*' -printf '%f\n' | sort; }

# --- refusals: nothing is removed, and the appliance is never started ---

mkdir precious
echo x > precious/notes.txt
run "$asr" capture --force -o precious sys.raw
check "--force onto a directory that is not a backup set: exit 2" 2 '' \
  'precious exists and is not a backup set .*--force replaces a backup set only'
if [ "$(cat precious/notes.txt)" = x ] && [ "$(ls -A precious)" = notes.txt ] \
   && [ -z "$(find . -maxdepth 1 -name '.precious*')" ]; then
  pass "precious/notes.txt is still there, and nothing else was made"
else
  fail "precious/notes.txt is still there, and nothing else was made" "$(ls -la . precious)"
fi

make_set out/extra
echo mine > out/extra/notes.txt
run "$asr" capture --force -o out/extra sys.raw
check "--force onto a backup set holding another file: exit 2" 2 '' \
  'holds notes\.txt, which is not part of its backup set.*nothing was removed'
[ "$(ls -A out/extra | wc -l)" -eq 5 ] && pass "that set and notes.txt are still there" \
  || fail "that set and notes.txt are still there" "$(ls -la out/extra)"
rm -rf out/extra

ln -s set out/link
run "$asr" capture --force -o out/link sys.raw
check "--force onto a symlink to a backup set: exit 2" 2 '' 'link exists and is not a backup set directory'
echo data > out/file
run "$asr" capture --force -o out/file sys.raw
check "--force onto a regular file: exit 2" 2 '' 'file exists and is not a backup set directory'
[ -L out/link ] && [ "$(cat out/file)" = data ] && pass "the symlink and the file are still there" \
  || fail "the symlink and the file are still there" "$(ls -la out)"
rm -rf out/link out/file

mkdir out/zero
ln -s /dev/zero out/zero/machine.xml
run timeout 20 "$asr" capture --force -o out/zero sys.raw
check "--force onto a set whose machine.xml is /dev/zero: exit 2" 2 '' \
  'zero/machine\.xml: not a regular file'
rm -rf out/zero
set_untouched "after the refusals"
[ -z "$(temporaries)" ] && pass "no temporary directory left by the refusals" \
  || fail "no temporary directory left by the refusals" "$(temporaries)"

# --- a capture killed with SIGKILL, and leftovers that are not stale ---

descendants() {
  local c
  for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done
}
nice -n 10 "$asr" capture --force -o out/set sys.raw >killed.log 2>&1 &
pid=$!
killed=$pid
for _ in $(seq 600); do
  compgen -G 'out/.set.asr-capture-??????/asr.pid' >/dev/null && break
  sleep 0.1
done
sleep 1
killed="$pid $(descendants "$pid")"
# shellcheck disable=SC2086 # a list of pids
kill -9 $killed 2>/dev/null || true
wait "$pid" 2>/dev/null || true
left=$(temporaries)
if [ "$(wc -w <<<"$left")" -eq 1 ] && [ -f "out/$left/asr.pid" ] \
   && [ "$(cut -d' ' -f1 "out/$left/asr.pid")" = "$pid" ]; then
  pass "a killed capture leaves its temporary directory, with its owner record"
else
  fail "a killed capture leaves its temporary directory, with its owner record" "$left" "$(cat killed.log)"
fi
set_untouched "after a killed --force capture"

# Not stale: an owner that still runs (this shell), no owner record, and a
# dead owner's directory for another BACKUP.
start=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f20)
mkdir out/.set.asr-capture-live01 out/.set.asr-capture-noown1 out/.other.asr-capture-dead01
echo "$$ $start" > out/.set.asr-capture-live01/asr.pid
cp "out/$left/asr.pid" out/.other.asr-capture-dead01/asr.pid
kept=$(printf '%s\n' .other.asr-capture-dead01 .set.asr-capture-live01 .set.asr-capture-noown1)

# --- a --force capture that fails late: the old set is kept ---

run nice -n 10 "$asr" capture --force -o out/set blank.raw
check "a --force capture of a disk without an OS fails with exit 2" 2 '' 'no operating system'
set_untouched "after a failed --force capture"
if [ "$(temporaries)" = "$kept" ]; then
  pass "the next capture removed the killed one's temporary directory, and only that"
else
  fail "the next capture removed the killed one's temporary directory, and only that" "$(temporaries)"
fi

# --- a --force capture that succeeds: the new set replaces the old ---

run nice -n 10 "$asr" capture --force -o out/set sys.raw
check "--force replaces an existing backup set" 0
check "and says what it wrote" 0 'out/set: 2 images'
if grep -q 'sys\.raw' out/set/machine.xml && [ ! -e out/set/disk0-p2.qcow2 ]; then
  pass "out/set is the new set"
else
  fail "out/set is the new set" "$(ls -la out/set)"
fi
got=$(ls -A out/set | sort | tr '\n' ' ')
[ "$got" = "disk0-bootarea.qcow2 disk0-p1.qcow2 machine.xml " ] \
  && pass "the new set holds its own files only (no owner record)" \
  || fail "the new set holds its own files only (no owner record)" "$got"
[ "$(stat -c %a out/set)" = 700 ] && pass "the new set is 0700" \
  || fail "the new set is 0700" "$(stat -c %a out/set)"
if [ "$(temporaries)" = "$kept" ]; then
  pass "the replaced set is gone and no temporary directory is left"
else
  fail "the replaced set is gone and no temporary directory is left" "$(temporaries)"
fi
run "$asr" check out/set
check "the new set checks out" 0
run "$asr" validate out/set/machine.xml
check "its descriptor is valid" 0 'valid'

# A second --force onto the set just made is accepted at once (it is a
# backup set); refused here only for the source, before the appliance.
run "$asr" capture --force -o out/set ebr-missing.raw
check "--force onto a real set gets past the BACKUP check" 2 '' 'ebr-missing\.raw'
finish
