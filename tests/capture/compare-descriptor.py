#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""compare-descriptor.py RECORD SHOW_JSON [--all]

Compares what `asr capture` recorded (the JSON of `asr show --json`) with
what the test machine was built with (its vm-tests record, KEY=value),
field by field.  Prints one line per difference; exit 1 if any, 0 if none.
Identifiers are compared without case.
"""
import json
import sys


def load_record(path):
    rec = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            rec[k] = v
    return rec


def main():
    rec = load_record(sys.argv[1])
    with open(sys.argv[2]) as f:
        desc = json.load(f)
    capture_all = "--all" in sys.argv[3:]
    problems = []

    def same(what, want, got, nocase=False):
        w = "" if want is None else str(want)
        g = "" if got is None else str(got)
        if nocase:
            w, g = w.lower(), g.lower()
        if w != g:
            problems.append(f"{what}: want {want!r}, got {got!r}")

    hw = desc.get("hardware", {})
    same("firmware", rec["FIRMWARE"], hw.get("firmware"))
    same("os hostname", rec["HOSTNAME"], desc.get("os", {}).get("hostname"))
    same("os name", "debian", desc.get("os", {}).get("name"))

    names = rec["DISKS"].split()
    same("disk count", len(names), len(desc["disks"]))
    for i, name in enumerate(names):
        D = name.upper()
        if i >= len(desc["disks"]):
            break
        disk = desc["disks"][i]
        did = disk["id"]
        same(f"{did} id", f"disk{i}", did)
        same(f"{did} bytes", rec[f"{D}_BYTES"], disk.get("bytes"))
        pt = disk["partition_table"]
        same(f"{did} table", rec[f"{D}_PTTYPE"], pt.get("type"))
        if rec[f"{D}_PTTYPE"] == "mbr":
            same(f"{did} signature", rec[f"{D}_MBR_SIGNATURE"], pt.get("signature"), True)
        else:
            same(f"{did} guid", rec[f"{D}_GPT_GUID"], pt.get("guid"), True)
        critical = name == "system" or capture_all
        same(f"{did} critical", critical, disk.get("critical"))
        same(f"{did} boot", name == "system", disk.get("boot"))
        if name == "system":
            if not disk.get("boot_area", {}).get("image"):
                problems.append(f"{did}: no boot area image")
        parts = {p["number"]: p for p in disk["partitions"]}
        want_nums = [int(n) for n in rec[f"{D}_PARTITIONS"].split()]
        same(f"{did} partitions", sorted(want_nums), sorted(parts))
        for n in want_nums:
            P = f"{D}_P{n}"
            p = parts.get(n)
            if p is None:
                continue
            w = f"{did} p{n}"
            same(f"{w} start", rec[f"{P}_START"], p.get("start"))
            same(f"{w} sectors", rec[f"{P}_SECTORS"], p.get("sectors"))
            same(f"{w} type", rec[f"{P}_TYPE"], p.get("type"), True)
            if f"{P}_BOOTABLE" in rec:
                same(f"{w} bootable", rec[f"{P}_BOOTABLE"] == "yes", p.get("bootable"))
            if f"{P}_GUID" in rec:
                same(f"{w} guid", rec[f"{P}_GUID"], p.get("guid"), True)
            if f"{P}_NAME" in rec:
                same(f"{w} name", rec[f"{P}_NAME"], p.get("name"))
            v = p.get("volume") or {}
            same(f"{w} fs", rec[f"{P}_FS"], v.get("fs"))
            same(f"{w} uuid", rec[f"{P}_UUID"], v.get("uuid"), True)
            same(f"{w} label", rec.get(f"{P}_LABEL", ""), v.get("label"))
            mp = rec.get(f"{P}_MOUNTPOINT") or None
            same(f"{w} mountpoint", mp, v.get("mountpoint"))
            imaged = rec[f"{P}_FS"] != "swap" and (critical)
            got_image = bool(v.get("image"))
            if imaged != got_image:
                problems.append(f"{w}: image {'missing' if imaged else 'present but not wanted'}")
            same(f"{w} critical", imaged, v.get("critical"))
            if got_image:
                img = v["image"]
                same(f"{w} image bytes", int(rec[f"{P}_SECTORS"]) * 512, img.get("bytes"))
                if not str(img.get("checksum", "")).startswith("asr-sha256-64k:"):
                    problems.append(f"{w}: checksum {img.get('checksum')!r}")

    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
