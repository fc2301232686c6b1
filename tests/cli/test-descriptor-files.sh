#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Descriptor and plan files that are not regular files, or too large: every
# command that reads one (plan, restore, show, validate, check, verify)
# refuses it at once with exit 2 and a message naming the file and why —
# never blocking on a FIFO without a writer, never reading /dev/zero to
# the end of memory — and writes nothing.
set -euo pipefail
. "$(dirname "$0")/../lib/tap.sh"

asr=${ASR:?ASR must name the asr binary}
ex=${ASR_SOURCE_ROOT:?}/xml-schemas/examples/valid
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# Each run is bounded: a hang becomes exit 124 and fails the check, long
# before meson's timeout.
quick() { run timeout 20 "$asr" "$@"; }

mkdir good zero fifo dir big
cp "$ex/bios-mbr-server.xml" good/machine.xml
ln -s /dev/zero zero/machine.xml
mkfifo fifo/machine.xml
mkdir dir/machine.xml
# Sparse, far over the 16 MiB a descriptor may have.
truncate -s 100M big/machine.xml
mkfifo plan-fifo.xml
ln -s /dev/zero plan-zero.xml
# A target descriptor is known by its name.
ln -s /dev/zero target-zero.xml
mkfifo target-fifo.xml

why_zero='not a regular file \(it is a character device\)'
why_fifo='not a regular file \(it is a FIFO\)'
why_dir='not a regular file \(it is a directory\)'
why_big='too large'

cases=(
  "plan zero good/machine.xml|zero/machine.xml: $why_zero"
  "plan fifo good/machine.xml|fifo/machine.xml: $why_fifo"
  "plan dir good/machine.xml|dir/machine.xml: $why_dir"
  "plan big good/machine.xml|big/machine.xml: $why_big"
  "plan -o out.xml good target-zero.xml|target-zero.xml: $why_zero"
  "plan -o out.xml good target-fifo.xml|target-fifo.xml: $why_fifo"
  "restore --create out --dry-run zero|zero/machine.xml: $why_zero"
  "restore --create out --dry-run fifo|fifo/machine.xml: $why_fifo"
  "restore --create out --dry-run --plan plan-fifo.xml good|plan-fifo.xml: $why_fifo"
  "restore --create out --dry-run --plan plan-zero.xml good|plan-zero.xml: $why_zero"
  "show zero|zero/machine.xml: $why_zero"
  "show fifo|fifo/machine.xml: $why_fifo"
  "show dir|dir/machine.xml: $why_dir"
  "validate zero/machine.xml|zero/machine.xml: $why_zero"
  "validate fifo/machine.xml|fifo/machine.xml: $why_fifo"
  "validate dir/machine.xml|dir/machine.xml: $why_dir"
  "check zero|zero/machine.xml: $why_zero"
  "check fifo|fifo/machine.xml: $why_fifo"
  "check dir|dir/machine.xml: $why_dir"
  "verify zero|zero/machine.xml: $why_zero"
  "verify fifo|fifo/machine.xml: $why_fifo"
)

plan $((${#cases[@]} * 2 + 1))

for c in "${cases[@]}"; do
  args=${c%%|*} want=${c#*|}
  t0=$(date +%s)
  # shellcheck disable=SC2086 # the arguments are words
  quick $args
  check "asr $args: exit 2, says why" 2 '' "$want"
  t=$(( $(date +%s) - t0 ))
  if [ "$t" -le 5 ] && [ ! -e out ] && [ ! -e out.xml ]; then
    pass "asr $args: refused in ${t} s, nothing written"
  else
    fail "asr $args: refused in ${t} s, nothing written" "$(ls -la)"
  fi
done

# The refusals above read nothing either: a FIFO still has no data taken
# from it, and the files given are all still there as they were.
if [ -p fifo/machine.xml ] && [ -p plan-fifo.xml ] && cmp -s "$ex/bios-mbr-server.xml" good/machine.xml; then
  pass "inputs left as they were"
else
  fail "inputs left as they were" "$(ls -la . fifo good)"
fi
finish
