#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes a libFuzzer dictionary for the documents a RELAX NG schema
describes: its element names as tags, its attribute names, its fixed
values.  Made from the schema at build time, so it follows the schema.

Usage: gen-dict.py SCHEMA.rng OUTPUT.dict
"""
import re
import sys


def main(schema, output):
    with open(schema, encoding="utf-8") as f:
        text = f.read()
    words = set()
    for name in re.findall(r'<element name="([^"]+)"', text):
        words.update({f"<{name}", f"</{name}>", f"<{name}/>"})
    for name in re.findall(r'<attribute name="([^"]+)"', text):
        words.add(f' {name}="')
    for value in re.findall(r"<value>([^<]+)</value>", text):
        words.add(f'"{value}"')
    words.update({'<?xml version="1.0" encoding="UTF-8"?>', "<!DOCTYPE", "&amp;",
                  "<![CDATA[", "-->", "<!--", "0x", "18446744073709551616"})
    with open(output, "w", encoding="utf-8") as out:
        for w in sorted(words):
            escaped = w.replace("\\", "\\\\").replace('"', '\\"')
            out.write(f'"{escaped}"\n')


if __name__ == "__main__":
    main(*sys.argv[1:])
