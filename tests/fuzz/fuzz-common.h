/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every libFuzzer harness shares (fuzz-common.c, linked into each):
 * LLVMFuzzerInitialize makes a warning or a critical from GLib fatal
 * (hostile input must become a GError, never a g_warning) and points
 * ASR_SCHEMA_DIR at the source tree; an oracle that fails says why before
 * it aborts, so the crash report libFuzzer prints is readable.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define fuzz_fail(...)                                      \
  do                                                        \
    {                                                       \
      fprintf (stderr, "fuzz oracle failed: " __VA_ARGS__); \
      fputc ('\n', stderr);                                 \
      abort ();                                             \
    }                                                       \
  while (0)

/* A refusal must be a GError of @domain with a message, and never of
 * @fatal_code (a missing schema: the harness's set-up, not the input);
 * -1 when there is none. */
void fuzz_check_refusal (const GError *error, GQuark domain, int fatal_code);
