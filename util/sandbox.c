/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__SANITIZE_ADDRESS__)
#define ASR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASR_ASAN 1
#endif
#endif
#ifdef ASR_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

/* The child's error, after its output: "domain\ncode\nmessage". */
#define MAX_STATUS_BYTES 8192

gboolean
asr_sandbox_write (int fd, const void *data, gsize len)
{
  const char *buf = data;
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      buf += n;
      len -= (gsize) n;
    }
  return TRUE;
}

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SANDBOX_ARCH
/* What a reader of metadata never needs: a process, a network, changes to
 * any file or mount, privileges, the kernel's state.  Each fails with
 * EPERM (a reader that tried it reports an error, it is not killed). */
static const int denied_syscalls[] = {
  __NR_execve,
  __NR_execveat,
  __NR_ptrace,
  __NR_process_vm_writev,
  __NR_socket,
  __NR_socketpair,
  __NR_connect,
  __NR_bind,
  __NR_mount,
  __NR_umount2,
  __NR_pivot_root,
  __NR_chroot,
  __NR_unlinkat,
  __NR_renameat2,
  __NR_linkat,
  __NR_symlinkat,
  __NR_mkdirat,
  __NR_mknodat,
  __NR_fchmodat,
  __NR_fchmod,
  __NR_fchownat,
  __NR_fchown,
  __NR_truncate,
  __NR_ftruncate,
  __NR_fallocate,
  __NR_setuid,
  __NR_setgid,
  __NR_setreuid,
  __NR_setregid,
  __NR_setresuid,
  __NR_setresgid,
  __NR_setgroups,
  __NR_capset,
  __NR_unshare,
  __NR_setns,
  __NR_init_module,
  __NR_finit_module,
  __NR_delete_module,
  __NR_kexec_load,
  __NR_reboot,
  __NR_bpf,
  __NR_perf_event_open,
  __NR_userfaultfd,
  __NR_keyctl,
  __NR_add_key,
  __NR_request_key,
  __NR_open_by_handle_at,
  __NR_name_to_handle_at,
  __NR_swapon,
  __NR_swapoff,
  __NR_sethostname,
  __NR_setdomainname,
  __NR_settimeofday,
  __NR_clock_settime,
  __NR_adjtimex,
  __NR_acct,
  __NR_quotactl,
  __NR_io_uring_setup,
  __NR_fanotify_init,
  __NR_syslog,
#ifdef __NR_unlink
  __NR_unlink,
  __NR_rmdir,
  __NR_rename,
  __NR_renameat,
  __NR_link,
  __NR_symlink,
  __NR_mkdir,
  __NR_mknod,
  __NR_chmod,
  __NR_chown,
  __NR_lchown,
  __NR_creat,
#endif
};

#define WRITE_FLAGS (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)

/* A seccomp filter: the calls above fail, and so does an open for
 * writing; anything else is allowed.  Another ABI (x32's numbers, a
 * 32-bit one) is killed: the filter reads only this one's. */
static gboolean
deny_syscalls (void)
{
  struct sock_filter f[8 + 2 * G_N_ELEMENTS (denied_syscalls) + 12];
  guint n = 0;
#define STMT(c, k) (f[n++] = (struct sock_filter) BPF_STMT (c, k))
#define JUMP(c, k, jt, jf) (f[n++] = (struct sock_filter) BPF_JUMP (c, k, jt, jf))
  STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch));
  JUMP (BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
  STMT (BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr));
  JUMP (BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1); /* x32 */
  STMT (BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  for (gsize i = 0; i < G_N_ELEMENTS (denied_syscalls); i++)
    {
      JUMP (BPF_JMP | BPF_JEQ | BPF_K, (guint32) denied_syscalls[i], 0, 1);
      STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
    }
  /* openat (and open): the flags argument, low word */
  JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 4);
  STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, args[2]));
  JUMP (BPF_JMP | BPF_JSET | BPF_K, WRITE_FLAGS, 0, 1);
  STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
  STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
#ifdef __NR_open
  JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 0, 4);
  STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, args[1]));
  JUMP (BPF_JMP | BPF_JSET | BPF_K, WRITE_FLAGS, 0, 1);
  STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
  STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
#endif
  STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
#undef STMT
#undef JUMP
  struct sock_fprog prog = { (unsigned short) n, f };
  return prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
         && prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}
#else
static gboolean
deny_syscalls (void)
{
  return TRUE; /* no filter written for this architecture */
}
#endif

gboolean
asr_sandbox_denies_syscalls (void)
{
#ifdef SANDBOX_ARCH
  return TRUE;
#else
  return FALSE;
#endif
}

static G_GNUC_NORETURN void
child_main (AsrSandboxFunc fn, gpointer data, const AsrRunLimits *limits, int out_fd, int status_fd,
            int err_fd)
{
  g_autoptr (GError) local = NULL;
  static const int crash_signals[] = { SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE };

  asr_cleanup_child_setup (NULL);
#ifdef ASR_ASAN
  /* A sanitizer's report ends the child alone: a death callback the
   * parent set (libFuzzer's, which takes locks another thread of the
   * parent held at the fork) would hang it. */
  __sanitizer_set_death_callback (NULL);
#endif
  /* A crash ends the child at once: no handler the parent set (libFuzzer's
   * writes a report file and runs the exit handlers, a leak check among
   * them, for many seconds) runs in it. */
  for (gsize i = 0; i < G_N_ELEMENTS (crash_signals); i++)
    signal (crash_signals[i], SIG_DFL);
  /* Its standard error is a pipe the parent passes on: under the limit of
   * no file writes, one to asr's own standard error redirected to a file
   * (a log under cron) would kill it.  Any other file write fails. */
  if (err_fd != STDERR_FILENO)
    {
      if (dup2 (err_fd, STDERR_FILENO) < 0)
        _exit (126);
      close (err_fd);
    }
  signal (SIGXFSZ, SIG_IGN);
  asr_run_limit_self (limits, asr_sandbox_address_space_unlimited ());
  gboolean ok = deny_syscalls ();
  if (!ok) /* never run unfiltered: said as a failure to start */
    g_set_error (&local, ASR_RUN_ERROR, ASR_RUN_ERROR_SPAWN,
                 "the sandboxed reader cannot set its system-call filter: %s", g_strerror (errno));
  else
    ok = fn (out_fd, data, &local);
  close (out_fd);
  if (!ok)
    {
      g_autofree char *status
        = local ? g_strdup_printf ("%s\n%d\n%s", g_quark_to_string (local->domain), local->code,
                                   local->message)
                : g_strdup ("asr-run-error-quark\n1\nfailed without saying why");
      (void) asr_sandbox_write (status_fd, status, strlen (status));
      _exit (1);
    }
  _exit (0);
}

gboolean
asr_sandbox_address_space_unlimited (void)
{
#ifdef ASR_ASAN
  return TRUE;
#else
  return FALSE;
#endif
}

/* One of the child's pipes, read to its end. */
typedef struct {
  int fd;
  GByteArray *into;
  gsize max;    /* bytes kept */
  gboolean cap; /* past @max: drop the rest (else the call fails) */
  gsize dropped;
} Stream;

/* Reads every stream to its end before @deadline (monotonic µs).  FALSE
 * when one fails: past its @max (*err 0, *over its index), after the
 * deadline (*err ETIMEDOUT) or on a read error (*err errno). */
static gboolean
read_streams (Stream *s, guint n, gint64 deadline, int *err, guint *over)
{
  char buf[65536];
  for (;;)
    {
      struct pollfd p[3];
      guint map[3], np = 0;
      for (guint i = 0; i < n && np < G_N_ELEMENTS (p); i++)
        if (s[i].fd >= 0)
          {
            p[np] = (struct pollfd){ s[i].fd, POLLIN, 0 };
            map[np++] = i;
          }
      if (np == 0)
        return TRUE;
      gint64 left = deadline - g_get_monotonic_time ();
      int r = left <= 0 ? 0 : poll (p, np, (int) MIN (left / 1000 + 1, G_MAXINT));
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        {
          *err = r == 0 ? ETIMEDOUT : errno;
          return FALSE;
        }
      for (guint k = 0; k < np; k++)
        {
          Stream *t = &s[map[k]];
          if (p[k].revents == 0)
            continue;
          ssize_t got = read (t->fd, buf, sizeof buf);
          if (got < 0 && errno == EINTR)
            continue;
          if (got < 0)
            {
              *err = errno;
              return FALSE;
            }
          if (got == 0)
            {
              close (t->fd);
              t->fd = -1;
              continue;
            }
          gsize room = t->max - t->into->len, take = MIN (room, (gsize) got);
          if (take < (gsize) got && !t->cap)
            {
              *err = 0;
              *over = map[k];
              return FALSE;
            }
          g_byte_array_append (t->into, (const guint8 *) buf, (guint) take);
          t->dropped += (gsize) got - take;
        }
    }
}

static void
set_child_error (GError **error, const char *status)
{
  g_auto (GStrv) f = g_strsplit (status, "\n", 3);
  gint64 code = 0;
  if (g_strv_length (f) == 3
      && g_ascii_string_to_signed (f[1], 10, G_MININT, G_MAXINT, &code, NULL))
    g_set_error_literal (error, g_quark_from_string (f[0]), (gint) code, f[2]);
  else
    g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED, "the sandboxed reader failed");
}

/* The child's standard error passed on is cut after this much. */
#define MAX_STDERR_BYTES 65536

/* Passes the child's standard error on to ours. */
static void
pass_stderr (const Stream *e)
{
  if (e->into->len > 0)
    (void) asr_sandbox_write (STDERR_FILENO, e->into->data, e->into->len);
  if (e->dropped > 0)
    g_printerr ("[%" G_GSIZE_FORMAT " more bytes of the sandboxed reader's messages dropped]\n",
                e->dropped);
}

gboolean
asr_run_sandboxed (AsrSandboxFunc fn, gpointer data, const AsrRunLimits *limits,
                   guint timeout_seconds, gsize max_output, GBytes **output, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_seconds * G_USEC_PER_SEC;
  int fds[3][2]; /* output, status, standard error */
  g_autoptr (GByteArray) got = g_byte_array_new ();
  g_autoptr (GByteArray) st = g_byte_array_new ();
  g_autoptr (GByteArray) msgs = g_byte_array_new ();
  int err = 0, ws = 0;
  guint made = 0, over = 0;

  for (; made < 3; made++)
    if (pipe2 (fds[made], O_CLOEXEC) != 0)
      break;
  pid_t pid = made == 3 ? fork () : -1;
  if (pid < 0)
    {
      int e = errno;
      for (guint i = 0; i < made; i++)
        {
          close (fds[i][0]);
          close (fds[i][1]);
        }
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_SPAWN, "%s: %s", made == 3 ? "fork" : "pipe",
                   g_strerror (e));
      return FALSE;
    }
  if (pid == 0)
    {
      for (guint i = 0; i < 3; i++)
        close (fds[i][0]);
      child_main (fn, data, limits, fds[0][1], fds[1][1], fds[2][1]);
    }
  asr_cleanup_add_pid (pid);
  for (guint i = 0; i < 3; i++)
    close (fds[i][1]);

  Stream streams[3] = {
    { fds[0][0], got, max_output, FALSE, 0 },
    { fds[1][0], st, MAX_STATUS_BYTES, FALSE, 0 },
    { fds[2][0], msgs, MAX_STDERR_BYTES, TRUE, 0 },
  };
  gboolean read_all = read_streams (streams, G_N_ELEMENTS (streams), deadline, &err, &over);
  if (!read_all)
    kill (pid, SIGKILL);
  for (guint i = 0; i < G_N_ELEMENTS (streams); i++)
    if (streams[i].fd >= 0)
      close (streams[i].fd);
  while (waitpid (pid, &ws, 0) < 0 && errno == EINTR)
    ;
  asr_cleanup_remove_pid (pid);
  pass_stderr (&streams[2]);

  if (!read_all && err == 0)
    {
      if (over == 0)
        g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_OUTPUT,
                     "the sandboxed reader was killed after more than %" G_GSIZE_FORMAT
                     " bytes of output",
                     max_output);
      else
        g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_OUTPUT,
                     "the sandboxed reader was killed after more than %d bytes of error message",
                     MAX_STATUS_BYTES);
      return FALSE;
    }
  if (err == ETIMEDOUT)
    {
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_TIMEOUT,
                   "the sandboxed reader did not finish within %u s", timeout_seconds);
      return FALSE;
    }
  if (err != 0)
    {
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_IO, "reading the sandboxed reader: %s",
                   g_strerror (err));
      return FALSE;
    }
  if (WIFSIGNALED (ws))
    {
      int sig = WTERMSIG (ws);
      if (limits && limits->enabled && (sig == SIGXCPU || sig == SIGKILL))
        g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED,
                     "the sandboxed reader was killed after its %" G_GUINT64_FORMAT " s CPU limit",
                     limits->max_cpu_seconds);
      else
        g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED,
                     "the sandboxed reader was killed by signal %d (%s)", sig, g_strsignal (sig));
      return FALSE;
    }
  if (!WIFEXITED (ws) || WEXITSTATUS (ws) != 0)
    {
      if (st->len > 0)
        {
          g_byte_array_append (st, (const guint8 *) "", 1);
          set_child_error (error, (const char *) st->data);
        }
      else
        g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED,
                     "the sandboxed reader failed with exit status %d",
                     WIFEXITED (ws) ? WEXITSTATUS (ws) : -1);
      return FALSE;
    }
  if (output)
    *output = g_byte_array_free_to_bytes (g_steal_pointer (&got));
  return TRUE;
}
