/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one bounded reader for files a user or a backup set hands in
 * (machine.xml, plan XML, probe descriptors).  Such a path may name a
 * FIFO, /dev/zero, a directory or a file that grows while it is read:
 * neither st_size nor the kind of file is trusted before the read itself
 * is capped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

/* clang-format off */
G_DEFINE_QUARK (asr-file-error-quark, asr_file_error)
/* clang-format on */

static const char *
file_kind (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  if (S_ISSOCK (mode))
    return "a socket";
  return "of an unknown kind";
}

static void
set_errno_error (GError **error, const char *path, const char *what, int saved)
{
  /* A path that does not lead to a file is bad input; anything else
   * (permissions, I/O) is the system's. */
  AsrFileError code
    = (saved == ENOENT || saved == ENOTDIR || saved == ELOOP || saved == ENAMETOOLONG)
        ? ASR_FILE_ERROR_NOT_FILE
        : ASR_FILE_ERROR_IO;
  g_set_error (error, ASR_FILE_ERROR, code, "%s: cannot %s: %s", path, what, g_strerror (saved));
}

char *
asr_file_read_bounded (const char *path, gsize max_bytes, gsize *len, GError **error)
{
  int fd;
  int flags;
  struct stat st;
  g_autofree char *buf = NULL;
  gsize cap, room, got = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Room for the byte past the limit and the NUL; no buffer gets near. */
  max_bytes = MIN (max_bytes, G_MAXSIZE - 2);

  /* O_NONBLOCK: a plain open of a FIFO waits for a writer, before fstat
   * could tell what it is. */
  fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    {
      set_errno_error (error, path, "open", errno);
      return NULL;
    }
  if (fstat (fd, &st) < 0)
    {
      int saved = errno;
      close (fd);
      set_errno_error (error, path, "stat", saved);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, ASR_FILE_ERROR, ASR_FILE_ERROR_NOT_FILE,
                   "%s: not a regular file (it is %s)", path, file_kind (st.st_mode));
      return NULL;
    }
  /* Reads of a regular file never return EAGAIN, but a file replaced by
   * a FUSE or network file system could; block as an ordinary read does. */
  flags = fcntl (fd, F_GETFL);
  if (flags < 0 || fcntl (fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
    {
      int saved = errno;
      close (fd);
      set_errno_error (error, path, "read", saved);
      return NULL;
    }
  if (st.st_size < 0 || (guint64) st.st_size > max_bytes)
    {
      close (fd);
      g_set_error (error, ASR_FILE_ERROR, ASR_FILE_ERROR_TOO_LARGE,
                   "%s: too large: %" G_GUINT64_FORMAT " bytes, at most %" G_GSIZE_FORMAT
                   " accepted",
                   path, (guint64) st.st_size, max_bytes);
      return NULL;
    }

  /* The size can change under us: read until EOF, but never more than
   * one byte past the limit, whatever st_size said. */
  cap = max_bytes + 1;
  room = MIN ((gsize) st.st_size + 1, cap);
  buf = g_malloc (room + 1);
  while (got < cap)
    {
      ssize_t r;

      if (got == room)
        {
          room = room > cap / 2 ? cap : MAX (room * 2, (gsize) 4096);
          room = MIN (room, cap);
          buf = g_realloc (buf, room + 1);
        }
      r = read (fd, buf + got, room - got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int saved = errno;
          close (fd);
          set_errno_error (error, path, "read", saved);
          return NULL;
        }
      if (r == 0)
        break;
      got += (gsize) r;
    }
  close (fd);
  if (got > max_bytes)
    {
      g_set_error (error, ASR_FILE_ERROR, ASR_FILE_ERROR_TOO_LARGE,
                   "%s: too large: more than %" G_GSIZE_FORMAT " bytes accepted", path, max_bytes);
      return NULL;
    }
  buf[got] = '\0';
  if (len)
    *len = got;
  return g_steal_pointer (&buf);
}

char *
asr_file_find_data_dir (const char *env_var, const char *const *from_bindir, const char *marker,
                        const char *installed)
{
  const char *env = g_getenv (env_var);
  g_autofree char *exe = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  /* /proc/self/exe rather than argv[0]: it is right whatever the PATH or
   * working directory, and a library has no argv. */
  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe != NULL)
    {
      g_autofree char *bindir = g_path_get_dirname (exe);
      for (const char *const *rel = from_bindir; rel && *rel; rel++)
        {
          g_autofree char *dir = g_build_filename (bindir, *rel, NULL);
          g_autofree char *canon = g_canonicalize_filename (dir, NULL);
          g_autofree char *file = g_build_filename (canon, marker, NULL);
          if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
            return g_steal_pointer (&canon);
        }
    }
  return g_strdup (installed);
}
