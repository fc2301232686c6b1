#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes a raw disk whose MBR holds one extended partition with an EBR
chain of LINKS logical partitions (far past what any real disk has), each
EBR followed by its one-sector logical partition.

usage: make-ebr-chain.py FILE LINKS
"""
import struct
import sys

SECTOR = 512


def entry(boot, ptype, start, sectors):
    # CHS fields are unused by every reader that matters: 0xfe 0xff 0xff.
    return struct.pack('<B3sB3sII', boot, b'\xfe\xff\xff', ptype, b'\xfe\xff\xff',
                       start, sectors)


def sector(entries):
    body = b''.join(entries).ljust(64, b'\0')
    return b'\0' * 446 + body + b'\x55\xaa'


def main():
    path, links = sys.argv[1], int(sys.argv[2])
    ext_start = 2048
    ext_sectors = 2 * links + 2048
    total = ext_start + ext_sectors
    with open(path, 'wb') as f:
        f.truncate(total * SECTOR)
        f.seek(0)
        f.write(sector([entry(0, 0x05, ext_start, ext_sectors)]))
        for i in range(links):
            ebr = ext_start + 2 * i
            parts = [entry(0, 0x83, 1, 1)]
            if i + 1 < links:
                # The next EBR's start is relative to the extended partition.
                parts.append(entry(0, 0x05, 2 * (i + 1), 2))
            f.seek(ebr * SECTOR)
            f.write(sector(parts))


if __name__ == '__main__':
    main()
