#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every C file of the tree is laid out as .clang-format says: one test
# point per file, so a failure names the file and shows the first lines
# clang-format would change.
set -euo pipefail
. "$(dirname "$0")/../lib/tap.sh"

src=${ASR_SOURCE_ROOT:?ASR_SOURCE_ROOT must name the source tree}
cf=
for c in clang-format-14 clang-format; do
  if command -v "$c" >/dev/null; then cf=$c; break; fi
done
[ -n "$cf" ] || skip_all "clang-format is not installed (package clang-format-14)"
need git
[ -e "$src/.git" ] || skip_all "$src is not a git checkout: the tracked files are unknown"

mapfile -t files < <(git -C "$src" ls-files '*.c' '*.h')
[ "${#files[@]}" -gt 0 ] || skip_all "no C files tracked in $src"
plan "${#files[@]}"
for f in "${files[@]}"; do
  if out=$(cd "$src" && "$cf" --style=file --dry-run --Werror "$f" 2>&1); then
    pass "$f"
  else
    fail "$f" "as .clang-format lays it out (clang-format -i $f):" "$(head -20 <<<"$out")"
  fi
done
finish
