/*===- safetensors.c - Checkpoints in the safetensors format --------------===*
 *
 * Layout: u64 little-endian N, N bytes of JSON header, then the tensor data.
 * The header maps each name to {"dtype","shape","data_offsets":[b,e]} with
 * offsets relative to the data section; "__metadata__" maps strings to
 * strings. Files come from anywhere, so reading trusts nothing in them.
 *
 *===----------------------------------------------------------------------===*/

#include "rt_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "kiln_rt reads and writes little-endian data in place"
#endif

/* The reference implementation refuses larger headers too. */
enum { MAX_HEADER = 100 * 1000 * 1000 };

static int is_saved(const kiln_tensor_info *t) {
  return kiln_role_saved(t->role);
}

/*---- Writing -------------------------------------------------------------*/

static void put_quoted(kiln_buf *b, const char *s) {
  size_t n = kiln_json_quote(NULL, 0, s);
  char *q = malloc(n + 1);
  if (!q) {
    b->oom = 1;
    return;
  }
  kiln_json_quote(q, n + 1, s);
  kiln_buf_put(b, q, n);
  free(q);
}

kiln_status kiln_safetensors_write(const char *path, const char *model_name,
                                   const char *metadata,
                                   const kiln_st_tensor *ts, int32_t n,
                                   kiln_error *err) {
  kiln_buf h = {0};
  kiln_buf_printf(&h, "{\"__metadata__\":{\"format\":\"pt\",\"kiln_model\":");
  put_quoted(&h, model_name);
  if (metadata)
    kiln_buf_printf(&h, "%s", metadata);
  kiln_buf_printf(&h, "}");
  int64_t offset = 0;
  for (int32_t t = 0; t < n; ++t) {
    const kiln_tensor_info *ti = ts[t].ti;
    kiln_buf_printf(&h, ",");
    put_quoted(&h, ts[t].name);
    kiln_buf_printf(&h, ":{\"dtype\":\"F32\",\"shape\":[");
    for (int32_t d = 0; d < ti->rank; ++d)
      kiln_buf_printf(&h, "%s%lld", d ? "," : "", (long long)ti->shape[d]);
    kiln_buf_printf(&h, "],\"data_offsets\":[%lld,%lld]}", (long long)offset,
                    (long long)(offset + ti->numel * 4));
    offset += ti->numel * 4;
  }
  kiln_buf_printf(&h, "}");
  /* Readers that map the file want the data 8-byte aligned. */
  while (!h.oom && h.len % 8 != 0)
    kiln_buf_put(&h, " ", 1);
  kiln_chunk *chunks = malloc(((size_t)n + 2) * sizeof *chunks);
  if (h.oom || !chunks) {
    free(h.data);
    free(chunks);
    return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
  }
  unsigned char len8[8];
  for (int i = 0; i < 8; ++i)
    len8[i] = (unsigned char)((uint64_t)h.len >> (8 * i));
  int c = 0;
  chunks[c++] = (kiln_chunk){len8, 8};
  chunks[c++] = (kiln_chunk){h.data, h.len};
  for (int32_t t = 0; t < n; ++t)
    chunks[c++] = (kiln_chunk){ts[t].src, (size_t)ts[t].ti->numel * 4};
  kiln_status st = kiln_write_file_atomic(path, chunks, c, err);
  free(chunks);
  free(h.data);
  return st;
}

/* The tensors of a weights file (is_saved), reading from `src` or into
 * `dst`; *n of them. NULL when out of memory. */
static kiln_st_tensor *saved_tensors(const kiln_model *m, const float *src,
                                     float *dst, int32_t *n) {
  kiln_st_tensor *ts = calloc((size_t)m->num_tensors + 1, sizeof *ts);
  if (!ts)
    return NULL;
  *n = 0;
  for (int32_t t = 0; t < m->num_tensors; ++t) {
    const kiln_tensor_info *ti = &m->tensors[t];
    if (is_saved(ti))
      ts[(*n)++] = (kiln_st_tensor){ti->name, ti, src ? src + ti->offset : NULL,
                                    dst ? dst + ti->offset : NULL, 0, 0};
  }
  return ts;
}

kiln_status kiln_safetensors_save(const kiln_model *m, const float *state,
                                  const char *path, kiln_error *err) {
  kiln_status st = kiln_model_check(m, err);
  if (st)
    return st;
  int32_t n = 0;
  kiln_st_tensor *ts = saved_tensors(m, state, NULL, &n);
  if (!ts)
    return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
  st = kiln_safetensors_write(path, m->name, NULL, ts, n, err);
  free(ts);
  return st;
}

/*---- Reading -------------------------------------------------------------*/

typedef struct entry {
  const char *name;
  int dtype_size; /* 4: F32, 8: F64 */
  int64_t begin, end;
  const kiln_json *shape;
  int tensor;  /* index among the wanted tensors, or -1 */
  int ignored; /* not wanted, but accepted (the ignore callback) */
} entry;

static int json_uint(const kiln_json *v, int64_t *out) {
  if (!v || v->kind != KILN_JSON_NUMBER || !(v->number >= 0) ||
      v->number > 9007199254740992.0 || v->number != floor(v->number))
    return 0;
  *out = (int64_t)v->number;
  return 1;
}

static int shape_matches(const kiln_json *shape, const kiln_tensor_info *ti) {
  if (shape->count != ti->rank)
    return 0;
  for (int32_t d = 0; d < ti->rank; ++d) {
    int64_t v;
    if (!json_uint(&shape->items[d], &v) || v != ti->shape[d])
      return 0;
  }
  return 1;
}

static void format_json_shape(char *dst, size_t size, const kiln_json *shape) {
  int64_t dims[8];
  int rank = 0;
  for (int64_t d = 0; d < shape->count && rank < 8; ++d) {
    int64_t v = -1;
    json_uint(&shape->items[d], &v);
    dims[rank++] = v;
  }
  kiln_format_shape(dst, size, dims, rank);
  if (shape->count > 8 && strlen(dst) + 6 < size)
    strcpy(dst + strlen(dst) - 1, ", ...]");
}

/* One tensor's header entry, checked on its own. */
static kiln_status read_entry(const kiln_json *key, const kiln_json *val,
                              const char *path, entry *e, kiln_error *err) {
  e->name = key->str;
  if (strlen(key->str) != key->len)
    return kiln_fail(err, KILN_ERR_FORMAT, "%s: tensor name with a NUL byte",
                     path);
  if (val->kind != KILN_JSON_OBJECT)
    return kiln_fail(err, KILN_ERR_FORMAT,
                     "%s: tensor \"%s\": entry is not an object", path,
                     e->name);
  const kiln_json *dtype = kiln_json_get(val, "dtype");
  const kiln_json *shape = kiln_json_get(val, "shape");
  const kiln_json *offs = kiln_json_get(val, "data_offsets");
  if (!dtype || dtype->kind != KILN_JSON_STRING)
    return kiln_fail(err, KILN_ERR_FORMAT,
                     "%s: tensor \"%s\": no \"dtype\" string", path, e->name);
  if (strcmp(dtype->str, "F32") == 0)
    e->dtype_size = 4;
  else if (strcmp(dtype->str, "F64") == 0)
    e->dtype_size = 8;
  else
    return kiln_fail(err, KILN_ERR_VALUE,
                     "%s: tensor \"%s\": dtype %s not supported (F32 or F64)",
                     path, e->name, dtype->str);
  if (!shape || shape->kind != KILN_JSON_ARRAY)
    return kiln_fail(err, KILN_ERR_FORMAT,
                     "%s: tensor \"%s\": no \"shape\" array", path, e->name);
  int64_t numel = 1;
  for (int64_t d = 0; d < shape->count; ++d) {
    int64_t v;
    if (!json_uint(&shape->items[d], &v) || (v > 0 && numel > INT64_MAX / v))
      return kiln_fail(err, KILN_ERR_FORMAT,
                       "%s: tensor \"%s\": bad dimension in \"shape\"", path,
                       e->name);
    numel *= v;
  }
  e->shape = shape;
  if (!offs || offs->kind != KILN_JSON_ARRAY || offs->count != 2 ||
      !json_uint(&offs->items[0], &e->begin) ||
      !json_uint(&offs->items[1], &e->end) || e->begin > e->end)
    return kiln_fail(err, KILN_ERR_FORMAT,
                     "%s: tensor \"%s\": \"data_offsets\" must be [begin, end] "
                     "with 0 <= begin <= end",
                     path, e->name);
  if (numel > INT64_MAX / 8 || e->end - e->begin != numel * e->dtype_size)
    return kiln_fail(err, KILN_ERR_FORMAT,
                     "%s: tensor \"%s\": data_offsets span %lld bytes, its "
                     "shape and dtype need %lld",
                     path, e->name, (long long)(e->end - e->begin),
                     (long long)(numel * e->dtype_size));
  return KILN_OK;
}

static int by_begin(const void *a, const void *b) {
  const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
  return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Entries against the data section, against each other, and against the
 * wanted tensors. */
static kiln_status check_entries(const kiln_st_tensor *ts, int32_t nts,
                                 entry *es, int64_t n, uint64_t data_len,
                                 const char *path, kiln_error *err) {
  entry **sorted = malloc(((size_t)n + 1) * sizeof *sorted);
  if (!sorted)
    return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
  for (int64_t i = 0; i < n; ++i)
    sorted[i] = &es[i];
  qsort(sorted, (size_t)n, sizeof *sorted, by_begin);
  kiln_status st = KILN_OK;
  for (int64_t i = 0; i < n && !st; ++i) {
    if ((uint64_t)sorted[i]->end > data_len)
      st = kiln_fail(err, KILN_ERR_FORMAT,
                     "%s: tensor \"%s\": data_offsets [%lld, %lld] beyond the "
                     "%llu bytes of data (truncated file?)",
                     path, sorted[i]->name, (long long)sorted[i]->begin,
                     (long long)sorted[i]->end, (unsigned long long)data_len);
    else if (i > 0 && sorted[i]->begin < sorted[i - 1]->end)
      st = kiln_fail(err, KILN_ERR_FORMAT,
                     "%s: tensors \"%s\" and \"%s\" overlap in the data", path,
                     sorted[i - 1]->name, sorted[i]->name);
  }
  free(sorted);
  if (st)
    return st;
  int64_t *entry_of = malloc(((size_t)nts + 1) * sizeof *entry_of);
  if (!entry_of)
    return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
  for (int32_t t = 0; t < nts; ++t)
    entry_of[t] = n;
  for (int64_t i = 0; i < n; ++i)
    if (es[i].tensor >= 0)
      entry_of[es[i].tensor] = i;
  for (int32_t t = 0; t < nts && !st; ++t) {
    const kiln_tensor_info *ti = ts[t].ti;
    int64_t i = entry_of[t];
    if (i == n) {
      if (!ts[t].optional)
        st = kiln_fail(err, KILN_ERR_SHAPE,
                       "%s: tensor \"%s\" is missing (checkpoint for another "
                       "model?)",
                       path, ts[t].name);
    } else if (!shape_matches(es[i].shape, ti)) {
      char got[128], want[128];
      format_json_shape(got, sizeof got, es[i].shape);
      kiln_format_shape(want, sizeof want, ti->shape, ti->rank);
      st = kiln_fail(err, KILN_ERR_SHAPE,
                     "%s: tensor \"%s\": shape %s, expected %s", path,
                     ts[t].name, got, want);
    }
  }
  free(entry_of);
  if (st)
    return st;
  for (int64_t i = 0; i < n; ++i)
    if (es[i].tensor < 0 && !es[i].ignored) {
      int64_t more = 0;
      for (int64_t j = i + 1; j < n; ++j)
        more += es[j].tensor < 0 && !es[j].ignored;
      char tail[64] = "";
      if (more)
        snprintf(tail, sizeof tail, " (and %lld more)", (long long)more);
      return kiln_fail(err, KILN_ERR_SHAPE,
                       "%s: unexpected tensor \"%s\"%s: checkpoint for another "
                       "model?",
                       path, es[i].name, tail);
    }
  return KILN_OK;
}

/* Header keys sorted by their bytes, so that duplicates are neighbours and
 * the model's names are found by binary search: a header with n entries is
 * checked in O(n log n), where comparing every pair took minutes at 100k. */
typedef struct key_ref {
  const kiln_json *key;
  int64_t index; /* in the header */
} key_ref;

static int compare_bytes(const char *a, size_t alen, const char *b,
                         size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if (c)
    return c;
  return alen < blen ? -1 : alen > blen;
}

static int by_key(const void *pa, const void *pb) {
  const key_ref *a = pa, *b = pb;
  int c = compare_bytes(a->key->str, a->key->len, b->key->str, b->key->len);
  if (c)
    return c;
  return a->index < b->index ? -1 : a->index > b->index;
}

/* The header index of `name` among the sorted keys, or -1. */
static int64_t find_key(const key_ref *sorted, int64_t n, const char *name) {
  size_t len = strlen(name);
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    int c = compare_bytes(sorted[mid].key->str, sorted[mid].key->len, name, len);
    if (c == 0)
      return sorted[mid].index;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

static kiln_status parse_header(const kiln_st_tensor *ts, int32_t nts,
                                kiln_st_ignore_fn ignore, const void *arg,
                                const char *path, const kiln_json *root,
                                entry *es, int64_t *n, kiln_error *err) {
  *n = 0;
  int64_t count = root->count;
  key_ref *sorted = malloc(((size_t)count + 1) * sizeof *sorted);
  int64_t *entry_of = malloc(((size_t)count + 1) * sizeof *entry_of);
  kiln_status st = KILN_OK;
  if (!sorted || !entry_of) {
    st = kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
    goto done;
  }
  for (int64_t i = 0; i < count; ++i)
    sorted[i] = (key_ref){&root->keys[i], i};
  qsort(sorted, (size_t)count, sizeof *sorted, by_key);
  /* Of several duplicates, name the one the header repeats first. */
  int64_t dup = -1;
  for (int64_t i = 1; i < count; ++i)
    if (compare_bytes(sorted[i - 1].key->str, sorted[i - 1].key->len,
                      sorted[i].key->str, sorted[i].key->len) == 0 &&
        (dup < 0 || sorted[i].index < dup))
      dup = sorted[i].index;
  if (dup >= 0) {
    st = kiln_fail(err, KILN_ERR_FORMAT,
                   "%s: tensor \"%s\" appears twice in the header", path,
                   root->keys[dup].str);
    goto done;
  }
  const kiln_json *meta = kiln_json_get(root, "__metadata__");
  if (meta && meta->kind != KILN_JSON_OBJECT)
    meta = NULL; /* refused below */
  for (int64_t i = 0; i < count && !st; ++i) {
    const kiln_json *key = &root->keys[i], *val = &root->items[i];
    entry_of[i] = -1;
    if (strcmp(key->str, "__metadata__") == 0) {
      if (val->kind != KILN_JSON_OBJECT)
        st = kiln_fail(err, KILN_ERR_FORMAT,
                       "%s: \"__metadata__\" is not an object", path);
      continue;
    }
    entry_of[i] = *n;
    entry *e = &es[(*n)++];
    e->tensor = -1;
    st = read_entry(key, val, path, e, err);
    e->ignored = !st && ignore && ignore(arg, meta, e->name);
  }
  for (int32_t t = 0; t < nts && !st; ++t) {
    int64_t i = find_key(sorted, count, ts[t].name);
    if (i >= 0 && entry_of[i] >= 0) {
      es[entry_of[i]].tensor = t;
      es[entry_of[i]].ignored = 0;
    }
  }
done:
  free(sorted);
  free(entry_of);
  return st;
}

/* A NaN or an infinity in a weight makes every loss and prediction NaN
 * (an inf in a running mean gave "loss nan" and exit 0), and F64 values
 * beyond float32 would become infinities: every load refuses them, naming
 * the first such element. */
static kiln_status check_finite(const char *name, const kiln_tensor_info *ti,
                                const unsigned char *src, int dtype_size,
                                const char *path, kiln_error *err) {
  for (int64_t i = 0; i < ti->numel; ++i) {
    double v;
    if (dtype_size == 4) {
      float f;
      memcpy(&f, src + 4 * i, 4);
      v = f;
    } else {
      memcpy(&v, src + 8 * i, 8);
    }
    if (isfinite(v) && fabs(v) <= FLT_MAX)
      continue;
    int64_t index[4] = {0}, flat = i;
    for (int32_t d = ti->rank - 1; d >= 0; --d) { /* i < numel: dims > 0 */
      index[d] = flat % ti->shape[d];
      flat /= ti->shape[d];
    }
    char where[128];
    kiln_format_shape(where, sizeof where, index, ti->rank);
    char value[32];
    snprintf(value, sizeof value, "%g", v);
    return kiln_fail(err, KILN_ERR_VALUE,
                     "%s: tensor \"%s\": element %s is %s%s", path, name,
                     where,
                     isnan(v)   ? "nan"
                     : isinf(v) ? (v > 0 ? "inf" : "-inf")
                                : value,
                     isfinite(v) ? ", beyond float32's range" : "");
  }
  return KILN_OK;
}

static void copy_tensor(float *dst, const unsigned char *src, int64_t numel,
                        int dtype_size) {
  if (dtype_size == 4) {
    memcpy(dst, src, (size_t)numel * 4);
    return;
  }
  for (int64_t i = 0; i < numel; ++i) {
    double v;
    memcpy(&v, src + 8 * i, 8);
    dst[i] = (float)v;
  }
}

kiln_status kiln_safetensors_load(const kiln_model *m, float *state,
                                  const char *path, kiln_error *err) {
  kiln_status st = kiln_model_check(m, err);
  if (st)
    return st;
  char *file;
  size_t size;
  if ((st = kiln_read_file(path, &file, &size, err)))
    return st;
  st = kiln_safetensors_parse(m, state, path, file, size, err);
  free(file);
  return st;
}

kiln_status kiln_safetensors_read(const char *path, const char *file,
                                  size_t size, kiln_st_tensor *ts, int32_t nts,
                                  kiln_st_ignore_fn ignore, const void *arg,
                                  kiln_json **root_out, kiln_error *err) {
  kiln_status st = KILN_OK;
  if (root_out)
    *root_out = NULL;
  const unsigned char *u = (const unsigned char *)file;
  uint64_t hlen = 0;
  for (int i = 7; size >= 8 && i >= 0; --i)
    hlen = (hlen << 8) | u[i];
  if (size < 8) {
    st = kiln_fail(err, KILN_ERR_FORMAT,
                   "%s: %zu bytes, too short for a safetensors file", path,
                   size);
  } else if (hlen > size - 8 || hlen > MAX_HEADER) {
    st = kiln_fail(err, KILN_ERR_FORMAT,
                   "%s: header length %llu exceeds the file size %zu (not a "
                   "safetensors file, or truncated)",
                   path, (unsigned long long)hlen, size);
  }
  if (st)
    return st;
  kiln_json *root = NULL;
  if ((st = kiln_json_parse(file + 8, (size_t)hlen, &root, err))) {
    kiln_error_prefix(err, "%s: header", path);
    return st;
  }
  entry *es = NULL;
  int64_t n = 0;
  if (root->kind != KILN_JSON_OBJECT) {
    st = kiln_fail(err, KILN_ERR_FORMAT, "%s: header is not a JSON object",
                   path);
  } else if (!(es = calloc((size_t)root->count + 1, sizeof *es))) {
    st = kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
  } else {
    st = parse_header(ts, nts, ignore, arg, path, root, es, &n, err);
    if (!st)
      st = check_entries(ts, nts, es, n, size - 8 - hlen, path, err);
  }
  const unsigned char *data = u + 8 + hlen;
  for (int64_t i = 0; i < n && !st; ++i)
    if (es[i].tensor >= 0)
      st = check_finite(ts[es[i].tensor].name, ts[es[i].tensor].ti,
                        data + es[i].begin, es[i].dtype_size, path, err);
  if (!st) {
    for (int32_t t = 0; t < nts; ++t)
      ts[t].found = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (es[i].tensor < 0)
        continue;
      kiln_st_tensor *t = &ts[es[i].tensor];
      copy_tensor(t->dst, data + es[i].begin, t->ti->numel, es[i].dtype_size);
      t->found = 1;
    }
  }
  free(es);
  if (!st && root_out)
    *root_out = root;
  else
    kiln_json_free(root);
  return st;
}

/* A plain load of a resumable checkpoint (kiln_checkpoint_* in
 * checkpoint.c) takes its weights and leaves the rest: the optimizer
 * tensors of the model's table and the best epoch's state under
 * KILN_CHECKPOINT_BEST_PREFIX. Only a file whose metadata says it is one
 * gets this leniency, so that a checkpoint of another model is still
 * refused by its foreign tensors. */
static int resume_extra(const void *arg, const kiln_json *meta,
                        const char *name) {
  const kiln_model *m = arg;
  if (!meta || !kiln_json_get(meta, KILN_CHECKPOINT_KEY))
    return 0;
  size_t plen = strlen(KILN_CHECKPOINT_BEST_PREFIX);
  if (strncmp(name, KILN_CHECKPOINT_BEST_PREFIX, plen) == 0)
    return 1;
  for (int32_t t = 0; t < m->num_tensors; ++t)
    if (!is_saved(&m->tensors[t]) && strcmp(m->tensors[t].name, name) == 0)
      return 1;
  return 0;
}

kiln_status kiln_safetensors_parse(const kiln_model *m, float *state,
                                   const char *path, const char *file,
                                   size_t size, kiln_error *err) {
  int32_t n = 0;
  kiln_st_tensor *ts = saved_tensors(m, NULL, state, &n);
  if (!ts)
    return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
  kiln_status st = kiln_safetensors_read(path, file, size, ts, n, resume_extra,
                                         m, NULL, err);
  free(ts);
  if (!st)
    for (int32_t t = 0; t < m->num_tensors; ++t)
      if (!is_saved(&m->tensors[t]))
        memset(state + m->tensors[t].offset, 0,
               (size_t)m->tensors[t].numel * sizeof *state);
  return st;
}
