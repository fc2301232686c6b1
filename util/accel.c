/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <poll.h>

#include "accel.h"

#define KVM_PROBE_TIMEOUT_SECONDS 8
#define QEMU_BINARY "qemu-system-x86_64"

const char *
asr_accel_to_string (AsrAccel accel)
{
  return accel == ASR_ACCEL_KVM ? "kvm" : "tcg";
}

/* The newest /boot/vmlinuz-*: the kernel the machine would boot, not
 * necessarily the running one. */
static char *
find_probe_kernel (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/boot", 0, NULL);
  g_autofree char *best = NULL;
  const char *name;

  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_has_prefix (name, "vmlinuz-"))
        continue;
      g_autofree char *path = g_build_filename ("/boot", name, NULL);
      if (access (path, R_OK) != 0)
        continue;
      if (best == NULL || strverscmp (name, best) > 0)
        {
          g_free (best);
          best = g_strdup (name);
        }
    }
  return best ? g_build_filename ("/boot", best, NULL) : NULL;
}

static char *
file_key (const char *path)
{
  struct stat st;
  if (path == NULL || stat (path, &st) != 0)
    return g_strdup_printf ("%s:missing", path ? path : "(none)");
  return g_strdup_printf ("%s:%lld:%lld", path, (long long) st.st_size, (long long) st.st_mtime);
}

static char *
cache_path (void)
{
  return g_build_filename (g_get_user_cache_dir (), "asr", "accel-probe", NULL);
}

/* Boots @kernel under KVM without a root filesystem: a working KVM
 * reaches "Kernel panic" in a second or two; a broken one hangs or
 * aborts.  TRUE when the panic line was seen in time. */
static gboolean
kvm_boots_kernel (const char *qemu, const char *kernel)
{
  g_autoptr (GSubprocessLauncher) launcher
    = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE
                                 | G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GString) console = g_string_new (NULL);
  gboolean seen = FALSE;
  gint64 deadline = g_get_monotonic_time () + KVM_PROBE_TIMEOUT_SECONDS * G_USEC_PER_SEC;
  const char *argv[] = {
    qemu,
    "-machine",
    "accel=kvm",
    "-cpu",
    "host",
    "-m",
    "256",
    "-nodefaults",
    "-display",
    "none",
    "-no-reboot",
    "-serial",
    "stdio",
    "-kernel",
    kernel,
    "-append",
    "console=ttyS0 panic=-1 loglevel=4",
    NULL,
  };

  proc = g_subprocess_launcher_spawnv (launcher, argv, NULL);
  if (proc == NULL)
    return FALSE;

  int fd = g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (g_subprocess_get_stdout_pipe (proc)));
  while (!seen)
    {
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      char buf[4096];
      ssize_t n;

      if (left_ms <= 0)
        break;
      if (poll (&pfd, 1, (int) left_ms) <= 0)
        continue; /* timeout (checked above) or EINTR */
      n = read (fd, buf, sizeof buf);
      if (n <= 0)
        break; /* qemu exited: a working KVM panics first */
      g_string_append_len (console, buf, n);
      if (strstr (console->str, "Kernel panic") != NULL)
        seen = TRUE;
    }
  g_subprocess_force_exit (proc);
  g_subprocess_wait (proc, NULL, NULL);
  return seen;
}

static AsrAccel
decide (char **why)
{
  const char *forced = g_getenv ("ASR_ACCEL");

  if (forced && *forced)
    {
      AsrAccel accel = g_ascii_strcasecmp (forced, "kvm") == 0 ? ASR_ACCEL_KVM : ASR_ACCEL_TCG;
      *why = g_strdup_printf ("ASR_ACCEL=%s: using %s", forced, asr_accel_to_string (accel));
      return accel;
    }
  if (access ("/dev/kvm", R_OK | W_OK) != 0)
    {
      *why = g_strdup_printf ("/dev/kvm not usable (%s): using TCG", g_strerror (errno));
      return ASR_ACCEL_TCG;
    }

  g_autofree char *qemu = g_find_program_in_path (QEMU_BINARY);
  g_autofree char *kernel = find_probe_kernel ();
  if (qemu == NULL || kernel == NULL)
    {
      *why = g_strdup_printf ("cannot test KVM (no %s): using TCG",
                              qemu == NULL ? QEMU_BINARY : "kernel in /boot");
      return ASR_ACCEL_TCG;
    }

  struct utsname u;
  uname (&u);
  g_autofree char *kkey = file_key (kernel);
  g_autofree char *qkey = file_key (qemu);
  g_autofree char *key = g_strdup_printf ("%s %s %s", u.release, kkey, qkey);
  g_autofree char *cache = cache_path ();
  g_autofree char *cached = NULL;

  if (g_file_get_contents (cache, &cached, NULL, NULL))
    {
      g_auto (GStrv) lines = g_strsplit (cached, "\n", 3);
      if (g_strv_length (lines) >= 2 && strcmp (lines[0], key) == 0)
        {
          AsrAccel accel = strcmp (lines[1], "kvm") == 0 ? ASR_ACCEL_KVM : ASR_ACCEL_TCG;
          *why = g_strdup_printf ("KVM %s (cached in %s): using %s",
                                  accel == ASR_ACCEL_KVM ? "works" : "does not boot a kernel here",
                                  cache, asr_accel_to_string (accel));
          return accel;
        }
    }

  AsrAccel accel = kvm_boots_kernel (qemu, kernel) ? ASR_ACCEL_KVM : ASR_ACCEL_TCG;
  *why = accel == ASR_ACCEL_KVM
           ? g_strdup ("KVM boots a kernel: using KVM")
           : g_strdup_printf ("/dev/kvm exists but a kernel did not boot under KVM within %d s: "
                              "using TCG",
                              KVM_PROBE_TIMEOUT_SECONDS);
  g_autofree char *dir = g_path_get_dirname (cache);
  g_autofree char *content = g_strdup_printf ("%s\n%s\n", key, asr_accel_to_string (accel));
  if (g_mkdir_with_parents (dir, 0700) == 0)
    g_file_set_contents (cache, content, -1, NULL); /* a cache: failure only costs a probe */
  return accel;
}

AsrAccel
asr_accel_decide (char **reason)
{
  g_autofree char *why = NULL;
  AsrAccel accel = decide (&why);

  g_debug ("%s", why);
  if (reason)
    *reason = g_steal_pointer (&why);
  return accel;
}
