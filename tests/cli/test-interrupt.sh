#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGINT, SIGTERM, SIGHUP: asr says it was interrupted, in its usual
# words, and dies of the signal (exit 128 + N).  The words come from the
# command line's hook; the cleanup library itself prints nothing.
set -euo pipefail
. "$(dirname "$0")/../lib/tap.sh"

asr=${ASR:?ASR must name the asr binary}
doc=${ASR_SOURCE_ROOT:?}/xml-schemas/examples/valid/bios-mbr-server.xml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

plan 6

# 3000 "FILE: valid" lines are about 200 KB, more than a FIFO holds:
# asr blocks writing to one nobody empties, so it is still running, its
# handler in place, when the signal comes.
args=()
for _ in $(seq 1 3000); do args+=("$doc"); done

for sig in INT TERM HUP; do
  # a FIFO of its own: the last one is still full
  mkfifo "$tmp/$sig.fifo"
  exec 3<>"$tmp/$sig.fifo"
  "$asr" validate "${args[@]}" >"$tmp/$sig.fifo" 2>"$tmp/$sig.err" &
  pid=$!
  # its first output: main() has run, the handler is installed
  dd bs=1 count=1 status=none <&3 >/dev/null
  kill -s "$sig" "$pid"
  wait "$pid" && rc=0 || rc=$?
  want=$((128 + $(kill -l "$sig")))
  case $sig in
    INT) name=Interrupt ;;
    TERM) name=Terminated ;;
    HUP) name=Hangup ;;
  esac
  if [ "$rc" -eq "$want" ]; then pass "SIG$sig: exit $want"
  else fail "SIG$sig: exit $want" "exit $rc"; fi
  if [ "$(cat "$tmp/$sig.err")" = "asr: interrupted ($name), temporary files removed" ]; then
    pass "SIG$sig: said once, in the usual words"
  else
    fail "SIG$sig: said once, in the usual words" "$(cat "$tmp/$sig.err")"
  fi
  exec 3<&-
done

finish
