/*===- file.c - Whole-file reads, atomic writes, clocks, locale -----------===*/

/* madvise (MADV_HUGEPAGE) is not POSIX. */
#define _DEFAULT_SOURCE

#include "rt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

kiln_status kiln_read_file(const char *path, char **data, size_t *size,
                           kiln_error *err) {
  *data = NULL;
  *size = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return kiln_fail(err, KILN_ERR_IO, "%s: cannot open: %s", path,
                     strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0)
    st.st_size = 0;
  else if (S_ISDIR(st.st_mode)) {
    fclose(f);
    return kiln_fail(err, KILN_ERR_IO, "%s: is a directory", path);
  }
  /* Grow as we read rather than trusting the size: pipes and /proc files
   * report 0. */
  size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, len = 0;
  char *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory (%zu bytes)",
                     path, cap);
  }
  for (;;) {
    if (len + 1 >= cap) {
      /* Full: only grow if there is more, so an exact fit costs nothing. */
      int c = fgetc(f);
      if (c == EOF)
        break;
      size_t ncap = cap * 2;
      char *nbuf = realloc(buf, ncap);
      if (!nbuf) {
        free(buf);
        fclose(f);
        return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
      }
      buf = nbuf;
      cap = ncap;
      buf[len++] = (char)c;
    }
    size_t got = fread(buf + len, 1, cap - 1 - len, f);
    len += got;
    if (got == 0)
      break;
  }
  int failed = ferror(f);
  int saved = errno;
  fclose(f);
  if (failed) {
    free(buf);
    return kiln_fail(err, KILN_ERR_IO, "%s: read error: %s", path,
                     strerror(saved));
  }
  buf[len] = '\0';
  *data = buf;
  *size = len;
  return KILN_OK;
}

static int write_all(int fd, const void *data, size_t size) {
  const char *p = data;
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += n;
    size -= (size_t)n;
  }
  return 0;
}

/* Makes the rename itself durable; best effort, some filesystems refuse to
 * fsync a directory. */
static void sync_parent_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char dir[4096];
  if (!slash) {
    strcpy(dir, ".");
  } else {
    size_t n = (size_t)(slash - path);
    if (n == 0)
      n = 1; /* "/file" */
    if (n >= sizeof dir)
      return;
    memcpy(dir, path, n);
    dir[n] = '\0';
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
}

/* The descriptor that /dev/stdout, /dev/stderr, /dev/fd/N or
 * /proc/self/fd/N name, or -1. Such a path means "my output": reopening it
 * would start a new file offset at 0 (overwriting what the shell wrote
 * before us, overwritten by what it writes after), and replacing the file
 * it leads to would unlink the one the shell holds open. */
static int inherited_fd(const char *path) {
  if (strcmp(path, "/dev/stdout") == 0)
    return 1;
  if (strcmp(path, "/dev/stderr") == 0)
    return 2;
  const char *n = strncmp(path, "/dev/fd/", 8) == 0           ? path + 8
                  : strncmp(path, "/proc/self/fd/", 14) == 0 ? path + 14
                                                              : NULL;
  if (!n || !*n)
    return -1;
  long fd = 0;
  for (; *n >= '0' && *n <= '9' && fd < 1000000; ++n)
    fd = fd * 10 + (*n - '0');
  return *n ? -1 : (int)fd;
}

static kiln_status write_fd(int fd, const char *path,
                            const kiln_chunk *chunks, int count,
                            kiln_error *err) {
  for (int i = 0; i < count; ++i)
    if (write_all(fd, chunks[i].data, chunks[i].size) != 0)
      return kiln_fail(err, KILN_ERR_IO, "%s: write error: %s", path,
                       strerror(errno));
  return KILN_OK;
}

/* A target that exists and is not a regular file (a terminal, /dev/null,
 * a FIFO, /dev/stdout on a pipe) is written in place: a rename would put a
 * regular file in its stead, and as root replace the device itself. No
 * fsync: devices and pipes refuse it, and there is nothing to make durable.
 */
static kiln_status write_in_place(const char *path, const kiln_chunk *chunks,
                                  int count, kiln_error *err) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return kiln_fail(err, KILN_ERR_IO, "%s: cannot open: %s", path,
                     strerror(errno));
  kiln_status st = write_fd(fd, path, chunks, count, err);
  if (st) {
    close(fd);
    return st;
  }
  if (close(fd) != 0)
    return kiln_fail(err, KILN_ERR_IO, "%s: write error: %s", path,
                     strerror(errno));
  return KILN_OK;
}

/* The file a save to `path` must replace: the end of its symlink chain, so
 * that the link stays a link and the temporary file is created beside the
 * real file (a rename cannot cross filesystems). The chain may end in a
 * file that does not exist yet. */
static kiln_status resolve_target(const char *path, char *out, size_t size,
                                  kiln_error *err) {
  if (strlen(path) >= size)
    return kiln_fail(err, KILN_ERR_ARGUMENT, "%s: path too long", path);
  strcpy(out, path);
  for (int hops = 0;; ++hops) {
    struct stat st;
    if (lstat(out, &st) != 0 || !S_ISLNK(st.st_mode))
      return KILN_OK;
    if (hops == 40)
      return kiln_fail(err, KILN_ERR_IO, "%s: too many levels of symbolic "
                                         "links", path);
    char link[4096];
    ssize_t n = readlink(out, link, sizeof link - 1);
    if (n < 0)
      return kiln_fail(err, KILN_ERR_IO, "%s: cannot read the link %s: %s",
                       path, out, strerror(errno));
    link[n] = '\0';
    const char *slash = strrchr(out, '/');
    size_t dir = link[0] == '/' || !slash ? 0 : (size_t)(slash - out) + 1;
    if (dir + (size_t)n >= size)
      return kiln_fail(err, KILN_ERR_ARGUMENT, "%s: path too long", path);
    memcpy(out + dir, link, (size_t)n + 1);
  }
}

/* A save killed between creating and renaming its temporary file (kill -9,
 * a power cut) leaves "<target>.tmp.<pid>" behind, which no later save
 * would reuse. Each save removes those of its target whose process is gone.
 * Best effort: a pid reused since is taken for alive and the file stays,
 * and processes of another host or PID namespace sharing the directory
 * look dead (see docs/runtime.md). */
static void remove_stale_temps(const char *target) {
  const char *slash = strrchr(target, '/');
  char dir[4096], prefix[512];
  const char *base = slash ? slash + 1 : target;
  if (!slash) {
    strcpy(dir, ".");
  } else {
    size_t n = slash == target ? 1 : (size_t)(slash - target);
    if (n >= sizeof dir)
      return;
    memcpy(dir, target, n);
    dir[n] = '\0';
  }
  int plen = snprintf(prefix, sizeof prefix, "%s.tmp.", base);
  if (plen < 0 || (size_t)plen >= sizeof prefix)
    return;
  DIR *d = opendir(dir);
  if (!d)
    return;
  long self = (long)getpid();
  for (struct dirent *e; (e = readdir(d));) {
    if (strncmp(e->d_name, prefix, (size_t)plen) != 0)
      continue;
    const char *digits = e->d_name + plen;
    long pid = 0;
    size_t i = 0;
    for (; digits[i] >= '0' && digits[i] <= '9' && pid < 100000000; ++i)
      pid = pid * 10 + (digits[i] - '0');
    /* kill(0) or kill(-1) would ask about process groups, not a pid. */
    if (i == 0 || digits[i] || pid <= 0 || pid == self)
      continue;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
      (void)unlinkat(dirfd(d), e->d_name, 0);
  }
  closedir(d);
}

kiln_status kiln_write_file_atomic(const char *path, const kiln_chunk *chunks,
                                   int count, kiln_error *err) {
  if (!path || !*path)
    return kiln_fail(err, KILN_ERR_ARGUMENT, "empty output path");
  int fd = inherited_fd(path);
  if (fd >= 0) {
    if (fcntl(fd, F_GETFD) < 0)
      return kiln_fail(err, KILN_ERR_IO, "%s: cannot write: %s", path,
                       strerror(errno));
    return write_fd(fd, path, chunks, count, err);
  }
  struct stat st;
  int exists = stat(path, &st) == 0;
  if (exists && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    return write_in_place(path, chunks, count, err);
  char target[4096];
  kiln_status status = resolve_target(path, target, sizeof target, err);
  if (status)
    return status;
  remove_stale_temps(target);
  char tmp[4096];
  int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", target, (long)getpid());
  if (n < 0 || (size_t)n >= sizeof tmp)
    return kiln_fail(err, KILN_ERR_ARGUMENT, "%s: path too long", path);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return kiln_fail(err, KILN_ERR_IO, "%s: cannot create: %s", tmp,
                     strerror(errno));
  /* The replacement keeps the permissions of the file it replaces. */
  if (exists && S_ISREG(st.st_mode))
    (void)fchmod(fd, st.st_mode & 07777);
  for (int i = 0; i < count; ++i) {
    if (write_all(fd, chunks[i].data, chunks[i].size) != 0) {
      int saved = errno;
      close(fd);
      unlink(tmp);
      return kiln_fail(err, KILN_ERR_IO, "%s: write error: %s", tmp,
                       strerror(saved));
    }
  }
  int synced = fsync(fd);
  int saved = errno;
  if (close(fd) != 0 && synced == 0) {
    synced = -1;
    saved = errno;
  }
  if (synced != 0) {
    unlink(tmp);
    return kiln_fail(err, KILN_ERR_IO, "%s: cannot flush to disk: %s", tmp,
                     strerror(saved));
  }
  if (rename(tmp, target) != 0) {
    saved = errno;
    unlink(tmp);
    return kiln_fail(err, KILN_ERR_IO, "%s: cannot rename %s over it: %s",
                     path, tmp, strerror(saved));
  }
  sync_parent_dir(target);
  return KILN_OK;
}

double kiln_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void kiln_c_locale_begin(kiln_c_locale *l) {
  l->c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  l->saved = l->c ? uselocale(l->c) : (locale_t)0;
}

void kiln_c_locale_end(kiln_c_locale *l) {
  if (l->c) {
    uselocale(l->saved);
    freelocale(l->c);
  }
  l->c = (locale_t)0;
}

void kiln_buf_put(kiln_buf *b, const char *s, size_t n) {
  if (b->oom)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
      b->oom = 1;
      return;
    }
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void kiln_buf_printf(kiln_buf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->oom = 1;
    return;
  }
  if ((size_t)n < sizeof small) {
    kiln_buf_put(b, small, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    b->oom = 1;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  kiln_buf_put(b, big, (size_t)n);
  free(big);
}

void kiln_format_shape(char *dst, size_t dst_size, const int64_t *shape,
                       int rank) {
  size_t o = 0;
  o += (size_t)snprintf(dst, dst_size, "[");
  for (int i = 0; i < rank && o < dst_size; ++i)
    o += (size_t)snprintf(dst + o, dst_size - o, "%s%lld", i ? ", " : "",
                          (long long)shape[i]);
  if (o < dst_size)
    snprintf(dst + o, dst_size - o, "]");
}

void *kiln_alloc_aligned(size_t bytes) {
  size_t size = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
  if (size < bytes)
    return NULL; /* overflow */
  void *p = aligned_alloc(64, size);
  if (p)
    memset(p, 0, size);
  return p;
}

void *kiln_alloc_data(size_t bytes) {
  enum { kHugePage = 2 << 20 };
  if (bytes < 2 * kHugePage)
    return malloc(bytes ? bytes : 1);
  size_t size = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void *p = NULL;
  if (size < bytes || posix_memalign(&p, kHugePage, size) != 0)
    return NULL;
#ifdef MADV_HUGEPAGE
  (void)madvise(p, size, MADV_HUGEPAGE);
#endif
  return p;
}

void kiln_matrix_free(kiln_matrix *mat) {
  if (mat) {
    free(mat->data);
    mat->data = NULL;
    mat->rows = mat->cols = 0;
  }
}
