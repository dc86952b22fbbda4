/*===- npy.c - Reading NumPy .npy arrays ----------------------------------===*/

#include "rt_internal.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct npy_header {
  char descr[16];
  int fortran;
  int rank;
  int64_t shape[8];
  int seen_descr, seen_fortran, seen_shape;
} npy_header;

typedef struct dict_parser {
  const char *s;
  size_t len, pos;
} dict_parser;

static void dp_ws(dict_parser *p) {
  while (p->pos < p->len &&
         (p->s[p->pos] == ' ' || p->s[p->pos] == '\n' || p->s[p->pos] == '\t'))
    p->pos++;
}

static int dp_eat(dict_parser *p, char c) {
  dp_ws(p);
  if (p->pos < p->len && p->s[p->pos] == c) {
    p->pos++;
    return 1;
  }
  return 0;
}

/* A Python string literal without escapes (all numpy writes). */
static int dp_string(dict_parser *p, char *dst, size_t size) {
  dp_ws(p);
  if (p->pos >= p->len || (p->s[p->pos] != '\'' && p->s[p->pos] != '"'))
    return 0;
  char q = p->s[p->pos++];
  size_t o = 0;
  while (p->pos < p->len && p->s[p->pos] != q) {
    if (o + 1 >= size || p->s[p->pos] == '\\')
      return 0;
    dst[o++] = p->s[p->pos++];
  }
  if (p->pos >= p->len)
    return 0;
  p->pos++;
  dst[o] = '\0';
  return 1;
}

static int dp_word(dict_parser *p, const char *w) {
  dp_ws(p);
  size_t n = strlen(w);
  if (p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0) {
    p->pos += n;
    return 1;
  }
  return 0;
}

static int dp_shape(dict_parser *p, npy_header *h) {
  if (!dp_eat(p, '('))
    return 0;
  h->rank = 0;
  for (;;) {
    if (dp_eat(p, ')'))
      return 1;
    dp_ws(p);
    int64_t v = 0;
    size_t start = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
      if (v > (INT64_MAX - 9) / 10)
        return 0;
      v = v * 10 + (p->s[p->pos++] - '0');
    }
    if (p->pos == start || h->rank == 8)
      return 0;
    h->shape[h->rank++] = v;
    if (!dp_eat(p, ',')) {
      return dp_eat(p, ')');
    }
  }
}

static int parse_header(const char *s, size_t len, npy_header *h) {
  dict_parser p = {s, len, 0};
  memset(h, 0, sizeof *h);
  if (!dp_eat(&p, '{'))
    return 0;
  for (;;) {
    if (dp_eat(&p, '}'))
      break;
    char key[32];
    if (!dp_string(&p, key, sizeof key) || !dp_eat(&p, ':'))
      return 0;
    if (strcmp(key, "descr") == 0) {
      if (!dp_string(&p, h->descr, sizeof h->descr))
        return 0;
      h->seen_descr = 1;
    } else if (strcmp(key, "fortran_order") == 0) {
      if (dp_word(&p, "True"))
        h->fortran = 1;
      else if (!dp_word(&p, "False"))
        return 0;
      h->seen_fortran = 1;
    } else if (strcmp(key, "shape") == 0) {
      if (!dp_shape(&p, h))
        return 0;
      h->seen_shape = 1;
    } else {
      return 0;
    }
    if (!dp_eat(&p, ',')) {
      if (!dp_eat(&p, '}'))
        return 0;
      break;
    }
  }
  return h->seen_descr && h->seen_fortran && h->seen_shape;
}

static uint64_t le(const unsigned char *b, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i)
    v = (v << 8) | b[i];
  return v;
}

/* The file is read in two steps: the header, then the data straight into
 * the matrix (float32) or through a small buffer (float64), so that loading
 * N floats takes 4N bytes and no copy of the file (docs/runtime.md). */

typedef struct npy_file {
  const char *path;
  FILE *f;
  char *header;
  float *data;
} npy_file;

static kiln_status npy_fail(npy_file *n, kiln_error *err, kiln_status code,
                            const char *what) {
  return kiln_fail(err, code, "%s: %s", n->path, what);
}

static void npy_close(npy_file *n) {
  if (n->f)
    fclose(n->f);
  free(n->header);
  free(n->data);
}

/* Reads up to `size` bytes; returns how many it got (short only at the end
 * of the file or on an error, which ferror tells). */
static size_t read_some(FILE *f, void *dst, size_t size) {
  size_t got = 0;
  while (got < size) {
    size_t n = fread((char *)dst + got, 1, size - got, f);
    if (n == 0)
      break;
    got += n;
  }
  return got;
}

/* The bytes left in the file, read and counted (a pipe has no size), up
 * to kMaxRest: a stream that never ends is reported, not read forever. */
enum { kMaxRest = 1 << 26 };
static uint64_t count_rest(FILE *f) {
  char buf[65536];
  uint64_t total = 0;
  size_t n;
  while (total < kMaxRest && (n = fread(buf, 1, sizeof buf, f)) > 0)
    total += n;
  return total;
}

static kiln_status read_failed(npy_file *n, kiln_error *err) {
  return kiln_fail(err, KILN_ERR_IO, "%s: read error: %s", n->path,
                   strerror(errno));
}

/* Converts `count` elements at `bytes` (little-endian, `itemsize` each) to
 * float32 at `dst`, refusing what float32 cannot hold; `first` is the index
 * of the first element, for the message. `dst` may alias `bytes` when the
 * items are float32. */
static kiln_status convert(npy_file *n, const unsigned char *bytes,
                           int itemsize, int64_t count, int64_t first,
                           int64_t cols, float *dst, kiln_error *err) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  /* float32 in the host's order: only finiteness to check, and the values
   * are already where they belong (dst aliases bytes). */
  if (itemsize == 4) {
    uint32_t nonfinite = 0; /* no early exit: the loop vectorizes */
    for (int64_t i = 0; i < count; ++i) {
      uint32_t bits;
      memcpy(&bits, bytes + (size_t)i * 4, 4);
      nonfinite |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    if (!nonfinite) {
      if ((void *)dst != (const void *)bytes)
        memcpy(dst, bytes, (size_t)count * 4);
      return KILN_OK;
    }
  }
#endif
  for (int64_t i = 0; i < count; ++i) {
    const unsigned char *b = bytes + (size_t)i * (size_t)itemsize;
    double v;
    if (itemsize == 4) {
      uint32_t bits = (uint32_t)le(b, 4);
      float f;
      memcpy(&f, &bits, 4);
      v = f;
    } else {
      uint64_t bits = le(b, 8);
      memcpy(&v, &bits, 8);
    }
    if (!isfinite(v) || fabs(v) > FLT_MAX)
      return kiln_fail(err, KILN_ERR_VALUE, "%s: element [%lld, %lld] is %s",
                       n->path, (long long)((first + i) / cols),
                       (long long)((first + i) % cols),
                       isnan(v)   ? "nan"
                       : isinf(v) ? "infinite"
                                  : "out of float32 range");
    dst[i] = (float)v;
  }
  return KILN_OK;
}

static kiln_status npy_read(npy_file *n, kiln_matrix *out, kiln_error *err) {
  n->f = fopen(n->path, "rb");
  if (!n->f)
    return kiln_fail(err, KILN_ERR_IO, "%s: cannot open: %s", n->path,
                     strerror(errno));
  struct stat st;
  if (fstat(fileno(n->f), &st) == 0 && S_ISDIR(st.st_mode))
    return kiln_fail(err, KILN_ERR_IO, "%s: is a directory", n->path);
  unsigned char pre[12];
  size_t got = read_some(n->f, pre, 8);
  if (ferror(n->f))
    return read_failed(n, err);
  if (got < 8 || memcmp(pre, "\x93NUMPY", 6) != 0)
    return npy_fail(n, err, KILN_ERR_FORMAT,
                    "not a .npy file (no \\x93NUMPY magic)");
  int major = pre[6];
  size_t hlen_bytes = major == 1 ? 2 : 4;
  if (major < 1 || major > 3)
    return npy_fail(n, err, KILN_ERR_FORMAT, "unsupported .npy format version");
  if (read_some(n->f, pre + 8, hlen_bytes) != hlen_bytes)
    return ferror(n->f) ? read_failed(n, err)
                        : npy_fail(n, err, KILN_ERR_FORMAT, "truncated header");
  size_t hlen = (size_t)le(pre + 8, (int)hlen_bytes);
  size_t data_start = 8 + hlen_bytes + hlen;
  /* Real headers are a few hundred bytes: a larger length is a broken
   * file, not a reason to allocate. */
  if (hlen > ((size_t)1 << 24) ||
      (S_ISREG(st.st_mode) && data_start > (uint64_t)st.st_size))
    return npy_fail(n, err, KILN_ERR_FORMAT, "truncated header");
  if (!(n->header = malloc(hlen + 1)))
    return npy_fail(n, err, KILN_ERR_MEMORY, "out of memory");
  if (read_some(n->f, n->header, hlen) != hlen)
    return ferror(n->f) ? read_failed(n, err)
                        : npy_fail(n, err, KILN_ERR_FORMAT, "truncated header");
  npy_header h;
  if (!parse_header(n->header, hlen, &h))
    return npy_fail(n, err, KILN_ERR_FORMAT,
                    "cannot parse the header dictionary");
  int itemsize;
  if (strcmp(h.descr, "<f4") == 0) {
    itemsize = 4;
  } else if (strcmp(h.descr, "<f8") == 0) {
    itemsize = 8;
  } else {
    return kiln_fail(err, KILN_ERR_VALUE,
                     "%s: dtype '%s' not supported (expected '<f4' or "
                     "'<f8': save with x.astype(np.float32))",
                     n->path, h.descr);
  }
  if (h.fortran)
    return npy_fail(n, err, KILN_ERR_VALUE,
                    "Fortran-ordered array not supported (save "
                    "np.ascontiguousarray(x))");
  if (h.rank < 1 || h.rank > 2) {
    char shape[128];
    kiln_format_shape(shape, sizeof shape, h.shape, h.rank);
    return kiln_fail(err, KILN_ERR_SHAPE,
                     "%s: shape %s, expected 1 or 2 dimensions", n->path,
                     shape);
  }
  int64_t rows = h.shape[0], cols = h.rank == 2 ? h.shape[1] : 1;
  if (rows == 0 || cols == 0)
    return npy_fail(n, err, KILN_ERR_SHAPE, "empty array");
  if (cols > INT64_MAX / rows || rows * cols > INT64_MAX / 8)
    return npy_fail(n, err, KILN_ERR_FORMAT, "shape too large");
  uint64_t need = (uint64_t)(rows * cols) * (uint64_t)itemsize;
  /* A regular file's size says at once whether the data is all there,
   * before its size is allocated. */
  if (S_ISREG(st.st_mode) && (uint64_t)st.st_size - data_start != need) {
    uint64_t have = (uint64_t)st.st_size - data_start;
    return kiln_fail(err, KILN_ERR_FORMAT,
                     "%s: %s: %llu data bytes, the shape needs %llu", n->path,
                     have < need ? "truncated" : "size mismatch",
                     (unsigned long long)have, (unsigned long long)need);
  }
  int64_t count = rows * cols;
  if (!(n->data = kiln_alloc_data((size_t)count * sizeof(float))))
    return npy_fail(n, err, KILN_ERR_MEMORY, "out of memory");
  /* Blocks small enough to be checked while in cache: float32 read in
   * place, float64 through a buffer. */
  enum { kBlock = 1 << 18 };
  unsigned char *buffer = NULL;
  if (itemsize == 8 && !(buffer = malloc((size_t)kBlock * 8)))
    return npy_fail(n, err, KILN_ERR_MEMORY, "out of memory");
  kiln_status status = KILN_OK;
  uint64_t have = 0;
  for (int64_t done = 0; done < count && !status;) {
    int64_t chunk = count - done < kBlock ? count - done : kBlock;
    unsigned char *bytes =
        buffer ? buffer : (unsigned char *)(n->data + done);
    size_t size = (size_t)chunk * (size_t)itemsize;
    size_t read = read_some(n->f, bytes, size);
    have += read;
    if (read != size)
      status = ferror(n->f)
                   ? read_failed(n, err)
                   : kiln_fail(err, KILN_ERR_FORMAT,
                               "%s: truncated: %llu data bytes, the shape "
                               "needs %llu",
                               n->path, (unsigned long long)have,
                               (unsigned long long)need);
    else
      status = convert(n, bytes, itemsize, chunk, done, cols, n->data + done,
                       err);
    done += chunk;
  }
  free(buffer);
  if (status)
    return status;
  uint64_t extra = count_rest(n->f);
  if (extra)
    return kiln_fail(err, KILN_ERR_FORMAT,
                     "%s: size mismatch: %s%llu data bytes, the shape needs "
                     "%llu",
                     n->path, extra >= kMaxRest ? "at least " : "",
                     (unsigned long long)(need + extra),
                     (unsigned long long)need);
  out->rows = rows;
  out->cols = cols;
  out->data = n->data;
  n->data = NULL;
  return KILN_OK;
}

kiln_status kiln_npy_read(const char *path, kiln_matrix *out,
                          kiln_error *err) {
  memset(out, 0, sizeof *out);
  npy_file n = {path, NULL, NULL, NULL};
  kiln_status st = npy_read(&n, out, err);
  npy_close(&n);
  return st;
}
