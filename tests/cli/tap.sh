# SPDX-License-Identifier: GPL-2.0-or-later
# A small TAP producer for shell tests.  Source it, call `plan N`, then
# `ok CONDITION-COMMAND... -- DESCRIPTION` style helpers below, then `finish`.

_tap_n=0
_tap_failed=0

plan() { echo "1..$1"; }

# pass/fail DESCRIPTION
pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
fail() {
  _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
  echo "not ok $_tap_n - $1"
  shift
  # Every line a TAP comment, however many lines an argument holds.
  for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP $2"; }

# run CMD...: runs it, keeping its exit status, stdout and stderr in
# $rc, $out, $err.
run() {
  local o e
  o=$(mktemp) e=$(mktemp)
  # `&& ||`: a failing command is a result to check, also under set -e
  "$@" >"$o" 2>"$e" && rc=0 || rc=$?
  out=$(cat "$o") err=$(cat "$e")
  rm -f "$o" "$e"
}

# check DESCRIPTION EXPECTED-RC [GREP-PATTERN-IN-OUT] [GREP-PATTERN-IN-ERR]
check() {
  local desc=$1 want=$2 pout=${3:-} perr=${4:-}
  if [ "$rc" -ne "$want" ]; then
    fail "$desc" "exit status $rc, expected $want" "stdout: $out" "stderr: $err"
  elif [ -n "$pout" ] && ! grep -qE -- "$pout" <<<"$out"; then
    fail "$desc" "stdout does not match /$pout/" "stdout: $out"
  elif [ -n "$perr" ] && ! grep -qE -- "$perr" <<<"$err"; then
    fail "$desc" "stderr does not match /$perr/" "stderr: $err"
  else
    pass "$desc"
  fi
}

finish() { [ "$_tap_failed" -eq 0 ]; }
