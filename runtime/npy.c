/*===- npy.c - Reading NumPy .npy arrays ----------------------------------===*/

#include "rt_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

static kiln_status fail_free(char *data, kiln_error *err, kiln_status code,
                             const char *path, const char *what) {
  free(data);
  return kiln_fail(err, code, "%s: %s", path, what);
}

kiln_status kiln_npy_read(const char *path, kiln_matrix *out,
                          kiln_error *err) {
  memset(out, 0, sizeof *out);
  char *data;
  size_t size;
  kiln_status st = kiln_read_file(path, &data, &size, err);
  if (st)
    return st;
  const unsigned char *u = (const unsigned char *)data;
  if (size < 10 || memcmp(data, "\x93NUMPY", 6) != 0)
    return fail_free(data, err, KILN_ERR_FORMAT, path,
                     "not a .npy file (no \\x93NUMPY magic)");
  int major = u[6];
  size_t hlen_bytes = major == 1 ? 2 : 4;
  if (major < 1 || major > 3)
    return fail_free(data, err, KILN_ERR_FORMAT, path,
                     "unsupported .npy format version");
  if (size < 8 + hlen_bytes)
    return fail_free(data, err, KILN_ERR_FORMAT, path, "truncated header");
  size_t hlen = (size_t)le(u + 8, (int)hlen_bytes);
  size_t data_start = 8 + hlen_bytes + hlen;
  if (hlen > size || data_start > size)
    return fail_free(data, err, KILN_ERR_FORMAT, path, "truncated header");
  npy_header h;
  if (!parse_header(data + 8 + hlen_bytes, hlen, &h))
    return fail_free(data, err, KILN_ERR_FORMAT, path,
                     "cannot parse the header dictionary");
  int itemsize;
  if (strcmp(h.descr, "<f4") == 0) {
    itemsize = 4;
  } else if (strcmp(h.descr, "<f8") == 0) {
    itemsize = 8;
  } else {
    free(data);
    return kiln_fail(err, KILN_ERR_VALUE,
                     "%s: dtype '%s' not supported (expected '<f4' or "
                     "'<f8': save with x.astype(np.float32))",
                     path, h.descr);
  }
  if (h.fortran)
    return fail_free(data, err, KILN_ERR_VALUE, path,
                     "Fortran-ordered array not supported (save "
                     "np.ascontiguousarray(x))");
  if (h.rank < 1 || h.rank > 2) {
    char shape[128];
    kiln_format_shape(shape, sizeof shape, h.shape, h.rank);
    free(data);
    return kiln_fail(err, KILN_ERR_SHAPE,
                     "%s: shape %s, expected 1 or 2 dimensions", path, shape);
  }
  int64_t rows = h.shape[0], cols = h.rank == 2 ? h.shape[1] : 1;
  if (rows == 0 || cols == 0)
    return fail_free(data, err, KILN_ERR_SHAPE, path, "empty array");
  if (cols > INT64_MAX / rows || rows * cols > INT64_MAX / 8)
    return fail_free(data, err, KILN_ERR_FORMAT, path, "shape too large");
  uint64_t need = (uint64_t)(rows * cols) * (uint64_t)itemsize;
  if (size - data_start != need) {
    free(data);
    return kiln_fail(err, KILN_ERR_FORMAT,
                     "%s: %s: %zu data bytes, the shape needs %llu", path,
                     size - data_start < need ? "truncated" : "size mismatch",
                     size - data_start, (unsigned long long)need);
  }
  float *m = malloc((size_t)(rows * cols) * sizeof *m);
  if (!m)
    return fail_free(data, err, KILN_ERR_MEMORY, path, "out of memory");
  for (int64_t i = 0; i < rows * cols; ++i) {
    const unsigned char *b = u + data_start + (size_t)i * (size_t)itemsize;
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
    if (!isfinite(v) || fabs(v) > FLT_MAX) {
      free(m);
      free(data);
      return kiln_fail(err, KILN_ERR_VALUE,
                       "%s: element [%lld, %lld] is %s", path,
                       (long long)(i / cols), (long long)(i % cols),
                       isnan(v) ? "nan"
                       : isinf(v) ? "infinite"
                                  : "out of float32 range");
    }
    m[i] = (float)v;
  }
  free(data);
  out->rows = rows;
  out->cols = cols;
  out->data = m;
  return KILN_OK;
}
