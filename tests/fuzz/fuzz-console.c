/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: the serial console of a verify VM, whatever the
 * restored guest (or its firmware) prints.  The input is split into lines
 * as verify's console watcher does (NUL bytes dropped, lines capped),
 * each cleaned of terminal escapes and classified; the same bytes as a
 * log file go through asr_console_tail.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "verify.h"
#include "fuzz-common.h"

/* verify.c's cap on one console line. */
#define LINE_CAP 4096

static GRegex *expect;
/* The log asr_console_tail reads: a memory file, by its /proc path
 * (truncating a disk file on each run would wait for the disk). */
static int log_fd = -1;
static char *log_path;

/* Once, on the first input: the harness has no LLVMFuzzerInitialize of
 * its own (fuzz-common.c's). */
static void
setup (void)
{
  g_autoptr (GError) error = NULL;

  expect = g_regex_new (ASR_VERIFY_DEFAULT_EXPECT, 0, 0, &error);
  g_assert_no_error (error);
  log_fd = memfd_create ("asr-fuzz-console.log", MFD_CLOEXEC);
  if (log_fd < 0)
    fuzz_fail ("memfd_create: %s", g_strerror (errno));
  log_path = g_strdup_printf ("/proc/self/fd/%d", log_fd);
}

static void
judge (const char *line)
{
  g_autofree char *copy = g_strdup (line);
  AsrConsoleClass k;

  asr_console_clean_line (copy);
  if (strlen (copy) > strlen (line))
    fuzz_fail ("cleaning made a line longer");
  k = asr_console_classify_line (copy, expect);
  if (asr_console_class_to_string (k) == NULL)
    fuzz_fail ("class %d has no name", (int) k);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GString) line = g_string_new (NULL);
  g_autoptr (GPtrArray) tail = NULL;

  if (expect == NULL)
    setup ();
  for (size_t i = 0; i < size; i++)
    {
      if (data[i] == '\n')
        {
          judge (line->str);
          g_string_truncate (line, 0);
        }
      else if (line->len < LINE_CAP && data[i] != '\0')
        g_string_append_c (line, (char) data[i]);
    }
  if (line->len > 0)
    judge (line->str);

  if (ftruncate (log_fd, 0) != 0 || pwrite (log_fd, data, size, 0) != (ssize_t) size)
    fuzz_fail ("%s: cannot write: %s", log_path, g_strerror (errno));
  tail = asr_console_tail (log_path, 5);
  if (tail->len > 5)
    fuzz_fail ("asked for 5 lines, got %u", tail->len);
  return 0;
}
