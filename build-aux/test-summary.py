#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Counts test results from meson's testlog JSON files.

A TAP test counts each of its subtests ("ok", "not ok", "# SKIP"); any
other test counts once, by meson's result.  A TAP test that failed without
a "not ok" line (it crashed or timed out) counts one failure more.  Prints
"N skipped" and, last, "N passed, N failed".
"""
import json
import re
import sys

TAP_RESULT = re.compile(r"^(not ok|ok)\b(.*)$")


def count(log):
    passed = failed = skipped = 0
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            result = t.get("result", "")
            stdout = t.get("stdout") or ""
            tap = [TAP_RESULT.match(l) for l in stdout.splitlines()]
            tap = [m for m in tap if m]
            if tap:
                p = f = s = 0
                for m in tap:
                    directive = m.group(2)
                    if "# SKIP" in directive.upper():
                        s += 1
                    elif m.group(1) == "ok" or "# TODO" in directive.upper():
                        p += 1
                    else:
                        f += 1
                if result not in ("OK", "EXPECTEDFAIL", "SKIP") and f == 0:
                    f += 1
                passed, failed, skipped = passed + p, failed + f, skipped + s
            elif result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
                print(f"FAILED: {t.get('name')} ({result})", file=sys.stderr)
    return passed, failed, skipped


def main(logs):
    passed = failed = skipped = 0
    for log in logs:
        try:
            p, f, s = count(log)
        except FileNotFoundError:
            print(f"{log}: no results (the suite did not run)", file=sys.stderr)
            failed += 1
            continue
        print(f"{log}: {p} passed, {f} failed, {s} skipped", file=sys.stderr)
        passed, failed, skipped = passed + p, failed + f, skipped + s
    print(f"{skipped} skipped")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
