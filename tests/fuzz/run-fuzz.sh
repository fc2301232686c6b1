#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs one libFuzzer harness for the fuzz suite (TAP):
#   run-fuzz.sh [--slow-unwind] [--single-thread] NAME HARNESS SECONDS MAX_LEN DICT SEED...
# SEED is a directory of inputs (read, never written: libFuzzer writes new
# inputs only into its first corpus directory, a fresh one under the build
# tree) or gen:PROGRAM, a program that writes seeds into the directory it
# is given.  First every seed runs once, then the harness fuzzes for
# SECONDS.  Either fails on a crash, a leak, a timeout or a UBSan report;
# the input that did it is kept under $ASR_BUILD_ROOT/fuzz/NAME/.
#
# For a longer run (docs/reliability.md): ASR_FUZZ_SECONDS overrides
# SECONDS, ASR_FUZZ_WORK another directory than $ASR_BUILD_ROOT/fuzz.
set -euo pipefail
. "$ASR_SOURCE_ROOT/tests/lib/tap.sh"

# --slow-unwind: full stacks for every allocation, so that a suppression in
# lsan.supp can name a function of a library built without frame pointers
# (the fast unwinder stops at the first frame of such a library).
# --single-thread: no RSS-watching thread in libFuzzer, for a harness
# that forks (asr_run_sandboxed): a thread holding a sanitizer allocator
# lock at the fork would leave the child hung on it.
unwind= rss=2048
while :; do
  case ${1:-} in
    --slow-unwind) unwind=:fast_unwind_on_malloc=0; shift ;;
    --single-thread) rss=0; shift ;;
    *) break ;;
  esac
done
name=$1 harness=$2 seconds=${ASR_FUZZ_SECONDS:-$3} max_len=$4 dict=$5
shift 5

work=${ASR_FUZZ_WORK:-$ASR_BUILD_ROOT/fuzz}/$name
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
seeds=()
for s in "$@"; do
  case $s in
    gen:*)
      "${s#gen:}" "$work/generated"
      seeds+=("$work/generated") ;;
    *) seeds+=("$s") ;;
  esac
done

# UBSan halts (the build also does not recover); ASan reports leaks.
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1$unwind
export LSAN_OPTIONS=suppressions=$ASR_SOURCE_ROOT/tests/fuzz/lsan.supp:print_suppressions=0
# GLib's slice allocator would hide heap errors from ASan.
export G_SLICE=always-malloc

common=(-timeout=10 -rss_limit_mb=$rss -malloc_limit_mb=2048 -max_len="$max_len" -dict="$dict"
        -artifact_prefix="$work/artifacts/" -print_final_stats=1)

# The last crash report of a libFuzzer log, as TAP comment lines.
report() {
  grep -E -A 25 '^==[0-9]+==|runtime error:|fuzz oracle failed|ERROR: libFuzzer|GLib.*(CRITICAL|WARNING|ERROR)' "$1" \
    | head -n 40 || tail -n 20 "$1"
  ls "$work/artifacts"
}

plan 2

# -runs=0: run what is in the corpus directories, nothing more.
"$harness" "${common[@]}" -runs=0 "$work/corpus" "${seeds[@]}" >"$work/seeds.log" 2>&1 && rc=0 || rc=$?
n_seeds=$(sed -n 's/^INFO: seed corpus: files: \([0-9]*\).*/\1/p' "$work/seeds.log" | tail -n 1 || :)
if [ "$rc" -eq 0 ]; then
  pass "/fuzz/$name/seed-corpus (${n_seeds:-?} inputs)"
else
  fail "/fuzz/$name/seed-corpus" "exit status $rc; log $work/seeds.log" "$(report "$work/seeds.log")"
fi

"$harness" "${common[@]}" -max_total_time="$seconds" "$work/corpus" "${seeds[@]}" \
  >"$work/fuzz.log" 2>&1 && rc=0 || rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1 || :)
stats=$(grep -E '^#[0-9]+.*cov: ' "$work/fuzz.log" | tail -n 1 \
  | sed -n 's/.*\(cov: [0-9]*\) \(ft: [0-9]*\).*/\1 \2/p' || :)
if [ "$rc" -eq 0 ]; then
  pass "/fuzz/$name/${seconds}s (${execs:-?} runs, ${stats:-no stats})"
else
  fail "/fuzz/$name/${seconds}s" "exit status $rc after ${execs:-?} runs; log $work/fuzz.log" \
    "$(report "$work/fuzz.log")"
fi
finish
