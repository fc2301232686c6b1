#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `meson install` into a temporary root: the installed asr finds its own
# schemas (no ASR_SCHEMA_DIR, no build tree) and its man pages are there.
set -euo pipefail
. "$(dirname "$0")/../lib/tap.sh"

build=${ASR_BUILD_ROOT:?}
ex=${ASR_SOURCE_ROOT:?}/xml-schemas/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

plan 4
unset ASR_SCHEMA_DIR

run meson install -C "$build" --no-rebuild --destdir "$tmp/root" --quiet
check "meson install into a temporary root" 0

prefix=$(meson introspect "$build" --buildoptions | python3 -c \
  'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
installed=$tmp/root$prefix/bin/asr
run "$installed" validate "$ex/valid/bios-mbr-server.xml"
check "the installed asr validates an example with its installed schema" 0 'valid'

if [ -f "$tmp/root$prefix/share/man/man1/asr.1" ] && [ -f "$tmp/root$prefix/share/man/man5/asr-machine.5" ]; then
  pass "man pages asr.1 and asr-machine.5 are installed"
else
  fail "man pages asr.1 and asr-machine.5 are installed" "$(cd "$tmp/root" && find . -name '*.[15]')"
fi
# the rescue medium's builder, found by the installed asr beside it: a
# request it refuses before building says so, not "the builder is missing"
run "$installed" rescue -o "$tmp/m.iso" --unattended
if [ -x "$(ls -d "$tmp/root$prefix"/lib*/asr/rescue/mkrescue 2>/dev/null | head -n 1)" ] && [ "$rc" -eq 2 ] \
   && grep -q 'give --backup' <<<"$err"; then
  pass "the rescue medium's builder is installed"
else fail "the rescue medium's builder is installed" "$(cd "$tmp/root" && find . -path '*rescue*')" "$err"; fi
finish
