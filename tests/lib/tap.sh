# SPDX-License-Identifier: GPL-2.0-or-later
# The one TAP producer for every shell test (tests/ and vm-tests/tests/).
# Source it from a script that runs under `set -euo pipefail`:
#
#   plan N                  (or no plan: finish prints it at the end)
#   need TOOL...            skip the whole script when one is missing
#   run CMD...              keep CMD's status, stdout, stderr in rc, out, err
#   check DESC RC [OUT-RE] [ERR-RE]   a test point on the last `run`
#   assert DESC CMD...      a test point: CMD succeeds
#   pass DESC / fail DESC [DETAIL...] / skip DESC REASON
#   finish                  last line: the script's status
#
# Every helper returns 0, so a failed test point is a `not ok` line and
# the script goes on; only a command that fails outside a test point ends
# the script (set -e), which the harness counts as a failure.

# Tools such as sfdisk, mkfs and losetup live in sbin, which an ordinary
# user's PATH may lack: a test must find them or skip, never quietly
# compare two empty outputs.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin ;; esac
case ":$PATH:" in *:/sbin:*) ;; *) PATH=$PATH:/sbin ;; esac
export PATH

_tap_n=0
_tap_failed=0
_tap_planned=

plan() { _tap_planned=$1; echo "1..$1"; }

# diag LINE...: every line a TAP comment, however many lines a value holds.
diag() { local l; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done; }

# A description is one line: a value with a newline in it (two checksums)
# must not leave a bare line, which TAP does not know.
_tap_line() { printf '%s' "$*" | tr '\n' ' '; }

# pass/fail DESCRIPTION [DETAIL...]
pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $(_tap_line "$1")"; }
fail() {
  _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
  echo "not ok $_tap_n - $(_tap_line "$1")"
  shift
  diag "$@"
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $(_tap_line "$1") # SKIP $(_tap_line "$2")"; }

# skip_all REASON: the whole script is skipped (an empty plan).
skip_all() { printf '1..0 # SKIP %s\n' "$*"; exit 0; }
bail_out() { printf 'Bail out! %s\n' "$*"; exit 1; }

# need TOOL...: skip the whole script when one is not installed.
need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || skip_all "$t is not installed"
  done
}
# need_file FILE [PACKAGE]: skip the whole script when FILE is missing.
need_file() {
  [ -r "$1" ] || skip_all "$1 is missing${2:+ (install $2)}"
}

# run CMD...: runs it, keeping its exit status, stdout and stderr in
# $rc, $out, $err (and the command in $cmd, for the failure report).
run() {
  local o e
  cmd=$*
  o=$(mktemp) e=$(mktemp)
  # `&& ||`: a failing command is a result to check, also under set -e
  "$@" >"$o" 2>"$e" && rc=0 || rc=$?
  out=$(cat "$o") err=$(cat "$e")
  rm -f "$o" "$e"
}

# The report of a failed test point: the command, its status and the
# ends of its outputs.
_tap_report() {
  printf '%s\n' "command: $cmd" "exit status: $rc"
  [ -z "$out" ] || printf '%s\n' "stdout (last lines):" "$(tail -n 15 <<<"$out")"
  [ -z "$err" ] || printf '%s\n' "stderr (last lines):" "$(tail -n 15 <<<"$err")"
}

# check DESCRIPTION EXPECTED-RC [GREP-PATTERN-IN-OUT] [GREP-PATTERN-IN-ERR]
check() {
  local desc=$1 want=$2 pout=${3:-} perr=${4:-}
  if [ "$rc" -ne "$want" ]; then
    fail "$desc" "expected exit status $want" "$(_tap_report)"
  elif [ -n "$pout" ] && ! grep -qE -- "$pout" <<<"$out"; then
    fail "$desc" "stdout does not match /$pout/" "$(_tap_report)"
  elif [ -n "$perr" ] && ! grep -qE -- "$perr" <<<"$err"; then
    fail "$desc" "stderr does not match /$perr/" "$(_tap_report)"
  else
    pass "$desc"
  fi
}

# assert DESCRIPTION CMD...: one test point, passed when CMD exits 0.
assert() {
  local desc=$1; shift
  run "$@"
  if [ "$rc" -eq 0 ]; then pass "$desc"; else fail "$desc" "$(_tap_report)"; fi
}

# finish: the plan when none was given first; ends the script, 1 when a
# test point failed.
finish() {
  [ -n "$_tap_planned" ] || echo "1..$_tap_n"
  [ "$_tap_failed" -eq 0 ] && exit 0 || exit 1
}

# A command failing outside a test point ends the script (set -e): say
# which, since the harness shows only the output.
trap 'echo "# unexpected failure: exit status $? at ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND"' ERR
