/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading the serial console: which lines end a boot, and how. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verify.h"

static const char *const class_names[] = {
  [ASR_CONSOLE_NOTHING] = "nothing",
  [ASR_CONSOLE_EXPECTED] = "expected-line",
  [ASR_CONSOLE_MACHINE_FAILED] = "machine-failed",
  [ASR_CONSOLE_KERNEL_PANIC] = "kernel-panic",
  [ASR_CONSOLE_EMERGENCY_SHELL] = "emergency-shell",
  [ASR_CONSOLE_NO_BOOTABLE_DEVICE] = "no-bootable-device",
  [ASR_CONSOLE_NO_BOOTABLE_OPTION] = "no-bootable-option",
  [ASR_CONSOLE_UEFI_SHELL] = "uefi-shell",
};

const char *
asr_console_class_to_string (AsrConsoleClass c)
{
  g_return_val_if_fail ((guint) c < G_N_ELEMENTS (class_names), "nothing");
  return class_names[c];
}

/* The same list as vm-tests/boot-check, plus OVMF's "BdsDxe: failed":
 * boot-check does not stop on it because q35's empty DVD drive fails that
 * way on every good boot, but our domain has no DVD drive and disk0 is the
 * first boot option, so a failure there is the backup's. */
static const struct {
  AsrConsoleClass klass;
  const char *pattern;
} failures[] = {
  { ASR_CONSOLE_MACHINE_FAILED, "asr-test-machine: .* FAILED" },
  { ASR_CONSOLE_KERNEL_PANIC, "Kernel panic" },
  { ASR_CONSOLE_NO_BOOTABLE_DEVICE, "No bootable device" },
  { ASR_CONSOLE_NO_BOOTABLE_OPTION, "No bootable option|BdsDxe: failed to (load|start)" },
  { ASR_CONSOLE_UEFI_SHELL, "UEFI Interactive Shell|^Shell> " },
  { ASR_CONSOLE_EMERGENCY_SHELL,
    "You are in emergency mode|Give root password for maintenance|[Ee]mergency shell"
    "|^\\(initramfs\\) |Dropping to a shell|Entering emergency mode" },
};

static gpointer
compile_failures (gpointer unused)
{
  GRegex **re = g_new0 (GRegex *, G_N_ELEMENTS (failures));
  for (guint i = 0; i < G_N_ELEMENTS (failures); i++)
    {
      re[i] = g_regex_new (failures[i].pattern, G_REGEX_OPTIMIZE, 0, NULL);
      g_assert (re[i] != NULL);
    }
  return re;
}

AsrConsoleClass
asr_console_classify_line (const char *line, const GRegex *expect)
{
  static GOnce once = G_ONCE_INIT;
  GRegex **re = g_once (&once, compile_failures, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (failures); i++)
    if (g_regex_match (re[i], line, 0, NULL))
      return failures[i].klass;
  if (expect && g_regex_match (expect, line, 0, NULL))
    return ASR_CONSOLE_EXPECTED;
  return ASR_CONSOLE_NOTHING;
}

char *
asr_console_clean_line (char *line)
{
  char *w = line;

  for (const char *r = line; *r;)
    {
      if (*r == '\r')
        r++;
      else if (r[0] == '\x1b' && r[1] == '[')
        {
          /* CSI: parameters and intermediates, then one final byte */
          r += 2;
          while (*r && !(*r >= '@' && *r <= '~'))
            r++;
          if (*r)
            r++;
        }
      else if (r[0] == '\x1b' && (r[1] == '(' || r[1] == ')'))
        r += r[2] ? 3 : 2;
      else if (r[0] == '\x1b')
        r += r[1] ? 2 : 1;
      else if ((unsigned char) *r < 0x20 && *r != '\t')
        r++; /* other control characters: nothing to see */
      else
        *w++ = *r++;
    }
  *w = '\0';
  return line;
}

/* At most this much of a log's end is read for its tail. */
#define TAIL_READ_BYTES (64 * 1024)

/* The last TAIL_READ_BYTES of a regular file, NUL-terminated, its own NULs
 * made newlines; NULL when it cannot be read.  A guest can fill its console log without end: only the
 * end is ever read. */
static char *
read_tail (const char *path)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  char *data;
  gsize got = 0;

  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return NULL;
    }
  off_t from = st.st_size > TAIL_READ_BYTES ? st.st_size - TAIL_READ_BYTES : 0;
  data = g_malloc (TAIL_READ_BYTES + 1);
  while (got < TAIL_READ_BYTES)
    {
      ssize_t r = pread (fd, data + got, TAIL_READ_BYTES - got, from + (off_t) got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      got += (gsize) r;
    }
  close (fd);
  /* a NUL (a sparse or garbled log) must not hide the lines after it */
  for (gsize i = 0; i < got; i++)
    if (data[i] == '\0')
      data[i] = '\n';
  data[got] = '\0';
  return data;
}

GPtrArray *
asr_console_tail (const char *path, guint n)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *data = path ? read_tail (path) : NULL;

  if (data == NULL)
    return g_steal_pointer (&out);
  const char *start = data;
  g_auto (GStrv) lines = g_strsplit (start, "\n", -1);
  guint total = g_strv_length (lines);
  g_autoptr (GPtrArray) kept = g_ptr_array_new ();

  for (guint i = 0; i < total; i++)
    {
      asr_console_clean_line (lines[i]);
      if (g_strstrip (lines[i])[0] != '\0')
        g_ptr_array_add (kept, lines[i]);
    }
  for (guint i = kept->len > n ? kept->len - n : 0; i < kept->len; i++)
    g_ptr_array_add (out, g_strdup (g_ptr_array_index (kept, i)));
  return g_steal_pointer (&out);
}
