#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# asr capture refuses bad sources with exit 2 and a message naming the
# problem, and leaves nothing behind: no BACKUP, no temporary directory.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

asr=${ASR:?}
need qemu-img
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

plan 24

# nothing_left DESCRIPTION: no backup set and no temporary directory.
nothing_left() {
  local left
  left=$(find "$tmp/out" -mindepth 1 -maxdepth 1 | head -n 3)
  if [ -z "$left" ]; then pass "$1: nothing left behind"
  else fail "$1: nothing left behind" "found: $left"; fi
}
mkdir out

refused() { # DESCRIPTION PATTERN ARGS...
  local desc=$1 pat=$2; shift 2
  run "$asr" capture -o "$tmp/out/backup" "$@"
  check "$desc" 2 '' "$pat"
  nothing_left "$desc"
}

refused "a missing source" 'absent\.img' "$tmp/absent.img"
mkdir adir
refused "a directory" 'adir' "$tmp/adir"
: > empty.img
refused "a zero-byte file" 'empty\.img' "$tmp/empty.img"
printf 'hello, I am a text file\n' > text.img
refused "a file that is not a disk image" 'text\.img' "$tmp/text.img"

qemu-img create -q -f qcow2 whole.qcow2 64M
head -c 1000 whole.qcow2 > truncated.qcow2
refused "a truncated qcow2" 'truncated\.qcow2' "$tmp/truncated.qcow2"

qemu-img create -q -f qcow2 -F raw -b /etc/passwd -u backing.qcow2 64M
refused "a qcow2 whose backing file is /etc/passwd" '/etc/passwd' "$tmp/backing.qcow2"

qemu-img create -q -f qcow2 -o data_file="$tmp/external.raw" datafile.qcow2 64M
refused "a qcow2 with an external data file" 'data.file|external' "$tmp/datafile.qcow2"

# A raw disk whose first sector is a qcow2 header naming a backing file.
cp backing.qcow2 disguised.raw
truncate -s 64M disguised.raw
refused "a raw file with a qcow2 header naming a backing file, probed" 'backing' "$tmp/disguised.raw"

truncate -s 64M blank.raw
mkdir out/backup
run "$asr" capture -o "$tmp/out/backup" "$tmp/blank.raw"
check "an existing BACKUP without --force" 2 '' 'already exists.*--force'
if [ -z "$(ls -A out/backup)" ] && [ "$(find out -mindepth 1 -maxdepth 1 | wc -l)" -eq 1 ]; then
  pass "the existing BACKUP is untouched and nothing else is left"
else
  fail "the existing BACKUP is untouched and nothing else is left" "$(ls -la out out/backup)"
fi
rmdir out/backup

run "$asr" capture "$tmp/blank.raw"
check "no -o is a usage error" 2 '' '-o BACKUP is required'
run "$asr" capture -o "$tmp/out/backup"
check "no SOURCE is a usage error" 2 '' 'at least one SOURCE'
run "$asr" capture -o "$tmp/out/backup" --include srv "$tmp/blank.raw"
check "--include needs an absolute mountpoint" 2 '' 'absolute'

# With --format raw the same file is the raw disk it is: past the probe,
# refused only because it holds no OS (one appliance launch).
run "$asr" capture -o "$tmp/out/backup" --format raw "$tmp/disguised.raw"
check "--format raw: the disguised file is taken as raw, and holds no OS" 2 '' 'no operating system'
if grep -q 'backing' <<<"$err"; then fail "--format raw: not refused for a backing file" "$err"
else pass "--format raw: not refused for a backing file"; fi
nothing_left "--format raw, no OS"

finish
