/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The input of fuzz-ptable, shared with the seed generator: one byte of
 * flags, then the disk's bytes from sector 0.  Flag bit 0 picks the
 * logical sector size (0 = 512, 1 = 4096); bit 1 asks the harness to set
 * the CRCs of the GPT headers (at LBA 1 and where its alternate LBA
 * points) and of their entry arrays to match the bytes, so that mutations
 * reach what is parsed after the CRC checks.  Tables are read as probe reads a target's
 * and capture a source's: through a memory PtableReader.
 */
#pragma once

#define FUZZ_PTABLE_SECTOR_SIZE(first_byte) (((first_byte) &1) ? 4096u : 512u)
#define FUZZ_PTABLE_FIX_CRCS(first_byte) (((first_byte) &2) != 0)
