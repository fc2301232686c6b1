/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The input of fuzz-ptable, shared with the seed generator: one byte that
 * picks the logical sector size (its low bit: 0 = 512, 1 = 4096), then the
 * disk's bytes from sector 0.  Tables are read as probe reads a target's
 * and capture a source's: through a memory PtableReader.
 */
#pragma once

#define FUZZ_PTABLE_SECTOR_SIZE(first_byte) (((first_byte) & 1) ? 4096u : 512u)
