/*===- csv.c - Reading CSV files into float matrices ----------------------===*
 *
 * The file is checked once when opened (quoting, field counts),
 * remembering where each record starts; cells are converted only for the
 * columns asked for, so a text column nobody selects is harmless. A large
 * regular file is mapped rather than read, and each pass over it gives
 * back the pages behind it: the text is never in memory whole beside the
 * floats it becomes (docs/runtime.md, "Memory").
 *
 *===----------------------------------------------------------------------===*/

/* madvise (MADV_DONTNEED): POSIX's posix_madvise does not give pages back
 * on Linux. */
#define _DEFAULT_SOURCE

#include "rt_internal.h"

#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct kiln_csv {
  char *path;
  char *text;
  size_t size;
  int mapped; /* text is an mmap of the file, not a malloc'd copy */
  int64_t ncols;
  char **names;
  int64_t nrows;
  size_t *row_start; /* byte offset of each data record */
  int64_t *row_line; /* its first physical line, 1-based */
};

typedef struct field {
  size_t start, end; /* raw bytes, quotes included */
  int quoted;
} field;

typedef struct cursor {
  const kiln_csv *csv;
  size_t pos;
  int64_t line;
} cursor;

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* Files below this size are read: mapping them saves nothing. */
enum { kMapMinBytes = 1 << 20 };
/* A pass gives back the mapped pages behind it in steps of this size. */
enum { kReleaseStep = 8 << 20 };

/* Maps a large regular file, or reads any other whole. */
static kiln_status load_text(kiln_csv *csv, kiln_error *err) {
  int fd = open(csv->path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      st.st_size >= kMapMinBytes) {
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p != MAP_FAILED) {
      (void)madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
      csv->text = p;
      csv->size = (size_t)st.st_size;
      csv->mapped = 1;
      return KILN_OK;
    }
  } else if (fd >= 0) {
    close(fd);
  }
  return kiln_read_file(csv->path, &csv->text, &csv->size, err);
}

/* Gives back the mapped pages before `pos`, which this pass has done with
 * (they fault in again from the page cache if a later pass reads them);
 * *released is where the last call stopped. */
static void release_before(const kiln_csv *csv, size_t pos, size_t *released) {
  if (!csv->mapped)
    return;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t end = pos / page * page;
  if (end < *released + kReleaseStep)
    return;
  (void)madvise(csv->text + *released, end - *released, MADV_DONTNEED);
  *released = end;
}

/* Scans one field; *last is set when it ends its record. */
static kiln_status scan_field(cursor *c, field *f, int *last, kiln_error *err) {
  const char *s = c->csv->text;
  size_t n = c->csv->size;
  size_t p = c->pos;
  while (p < n && is_space(s[p]))
    p++;
  f->start = p;
  f->quoted = p < n && s[p] == '"';
  if (f->quoted) {
    int64_t open_line = c->line;
    for (p++;; p++) {
      if (p >= n)
        return kiln_fail(err, KILN_ERR_FORMAT,
                         "%s:%lld: quoted field never closed", c->csv->path,
                         (long long)open_line);
      if (s[p] == '\n')
        c->line++;
      if (s[p] == '"') {
        if (p + 1 < n && s[p + 1] == '"') {
          p++;
          continue;
        }
        break;
      }
    }
    p++;
    f->end = p;
    while (p < n && is_space(s[p]))
      p++;
    if (p < n && s[p] != ',' && s[p] != '\n' &&
        !(s[p] == '\r' && p + 1 < n && s[p + 1] == '\n') &&
        !(s[p] == '\r' && p + 1 == n))
      return kiln_fail(err, KILN_ERR_FORMAT,
                       "%s:%lld: unexpected character after a closing quote",
                       c->csv->path, (long long)c->line);
  } else {
    while (p < n && s[p] != ',' && s[p] != '\n') {
      if (s[p] == '"')
        return kiln_fail(err, KILN_ERR_FORMAT,
                         "%s:%lld: quote inside an unquoted field (quote the "
                         "whole field and double the quote)",
                         c->csv->path, (long long)c->line);
      p++;
    }
    f->end = p;
    if (f->end > f->start && s[f->end - 1] == '\r' &&
        (p == n || s[p] == '\n'))
      f->end--;
    while (f->end > f->start && is_space(s[f->end - 1]))
      f->end--;
  }
  if (p < n && s[p] == ',') {
    c->pos = p + 1;
    *last = 0;
    return KILN_OK;
  }
  if (p < n && s[p] == '\r')
    p++;
  if (p < n && s[p] == '\n') {
    p++;
    c->line++;
  }
  c->pos = p;
  *last = 1;
  return KILN_OK;
}

/* The field's text without quotes or doubled quotes, NUL-terminated. */
static size_t decode(const kiln_csv *csv, const field *f, char *dst,
                     size_t dst_size) {
  size_t o = 0;
  const char *s = csv->text;
  if (!f->quoted) {
    for (size_t p = f->start; p < f->end && o + 1 < dst_size; ++p)
      dst[o++] = s[p];
  } else {
    for (size_t p = f->start + 1; p + 1 < f->end && o + 1 < dst_size; ++p) {
      dst[o++] = s[p];
      if (s[p] == '"')
        p++; /* the second quote of a doubled pair */
    }
  }
  dst[o] = '\0';
  return o;
}

/* Whether the line at p holds nothing but spaces up to its end (or the
 * file's); *next is then where the following line starts. */
static int blank_line(const kiln_csv *csv, size_t p, size_t *next) {
  while (p < csv->size && (is_space(csv->text[p]) || csv->text[p] == '\r'))
    p++;
  if (p < csv->size && csv->text[p] != '\n')
    return 0;
  *next = p < csv->size ? p + 1 : p;
  return 1;
}

/* Where the run of blank lines at p ends: the file's size if only blank
 * lines remain. */
static size_t skip_blank_lines(const kiln_csv *csv, size_t p) {
  size_t next;
  while (p < csv->size && blank_line(csv, p, &next))
    p = next;
  return p;
}

static kiln_status count_fields(cursor *c, int64_t *count, kiln_error *err) {
  int last = 0;
  field f;
  *count = 0;
  while (!last) {
    int64_t line = c->line;
    kiln_status st = scan_field(c, &f, &last, err);
    if (st)
      return st;
    ++*count;
    /* C strings end at a NUL: a header name would be cut there, and a
     * NUL usually means a binary or UTF-16 file. */
    const char *s = c->csv->text;
    const char *nul = memchr(s + f.start, '\0', f.end - f.start);
    if (nul) {
      for (const char *q = s + f.start; q < nul; ++q)
        line += *q == '\n';
      return kiln_fail(err, KILN_ERR_FORMAT,
                       "%s:%lld: column %lld: NUL byte (not a text file, or "
                       "UTF-16?)",
                       c->csv->path, (long long)line, (long long)*count);
    }
  }
  return KILN_OK;
}

static kiln_status read_header(kiln_csv *csv, cursor *c, kiln_error *err) {
  size_t start = c->pos;
  kiln_status st = count_fields(c, &csv->ncols, err);
  if (st)
    return st;
  csv->names = calloc((size_t)csv->ncols, sizeof *csv->names);
  if (!csv->names)
    return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", csv->path);
  cursor again = {csv, start, 1};
  for (int64_t i = 0; i < csv->ncols; ++i) {
    field f;
    int last;
    scan_field(&again, &f, &last, NULL);
    size_t cap = f.end - f.start + 1;
    if (!(csv->names[i] = malloc(cap)))
      return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", csv->path);
    decode(csv, &f, csv->names[i], cap);
  }
  return KILN_OK;
}

static kiln_status index_rows(kiln_csv *csv, cursor *c, kiln_error *err) {
  int64_t cap = 1024;
  size_t released = 0;
  csv->row_start = malloc((size_t)cap * sizeof *csv->row_start);
  csv->row_line = malloc((size_t)cap * sizeof *csv->row_line);
  if (!csv->row_start || !csv->row_line)
    return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", csv->path);
  while (c->pos < csv->size) {
    size_t p = skip_blank_lines(csv, c->pos);
    if (p == csv->size)
      break; /* only blank lines remain */
    if (p != c->pos)
      return kiln_fail(err, KILN_ERR_FORMAT,
                       "%s:%lld: blank line between rows", csv->path,
                       (long long)c->line);
    if (csv->nrows == cap) {
      cap *= 2;
      size_t *ns = realloc(csv->row_start, (size_t)cap * sizeof *ns);
      if (ns)
        csv->row_start = ns;
      int64_t *nl = realloc(csv->row_line, (size_t)cap * sizeof *nl);
      if (nl)
        csv->row_line = nl;
      if (!ns || !nl)
        return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory",
                         csv->path);
    }
    csv->row_start[csv->nrows] = c->pos;
    csv->row_line[csv->nrows] = c->line;
    int64_t line = c->line, fields;
    kiln_status st = count_fields(c, &fields, err);
    if (st)
      return st;
    if (fields != csv->ncols)
      return kiln_fail(err, KILN_ERR_FORMAT,
                       "%s:%lld: %lld field%s, but the header has %lld",
                       csv->path, (long long)line, (long long)fields,
                       fields == 1 ? "" : "s", (long long)csv->ncols);
    csv->nrows++;
    release_before(csv, c->pos, &released);
  }
  return KILN_OK;
}

kiln_status kiln_csv_open(const char *path, kiln_csv **out, kiln_error *err) {
  *out = NULL;
  kiln_csv *csv = calloc(1, sizeof *csv);
  if (!csv || !(csv->path = malloc(strlen(path) + 1))) {
    free(csv);
    return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
  }
  strcpy(csv->path, path);
  kiln_status st = load_text(csv, err);
  if (st) {
    kiln_csv_close(csv);
    return st;
  }
  cursor c = {csv, 0, 1};
  if (csv->size >= 3 && memcmp(csv->text, "\xEF\xBB\xBF", 3) == 0)
    c.pos = 3;
  size_t after_blanks = skip_blank_lines(csv, c.pos);
  if (after_blanks != c.pos || c.pos == csv->size) {
    int all_blank = after_blanks == csv->size;
    kiln_csv_close(csv);
    if (all_blank)
      return kiln_fail(err, KILN_ERR_FORMAT, "%s: empty file", path);
    return kiln_fail(err, KILN_ERR_FORMAT,
                     "%s:1: blank line where the header should be", path);
  }
  if ((st = read_header(csv, &c, err)) || (st = index_rows(csv, &c, err))) {
    kiln_csv_close(csv);
    return st;
  }
  if (csv->nrows == 0) {
    kiln_csv_close(csv);
    return kiln_fail(err, KILN_ERR_FORMAT,
                     "%s: no data rows after the header", path);
  }
  *out = csv;
  return KILN_OK;
}

void kiln_csv_close(kiln_csv *csv) {
  if (!csv)
    return;
  if (csv->names)
    for (int64_t i = 0; i < csv->ncols; ++i)
      free(csv->names[i]);
  free(csv->names);
  free(csv->row_start);
  free(csv->row_line);
  if (csv->mapped)
    munmap(csv->text, csv->size);
  else
    free(csv->text);
  free(csv->path);
  free(csv);
}

int64_t kiln_csv_num_rows(const kiln_csv *csv) { return csv->nrows; }
int64_t kiln_csv_num_columns(const kiln_csv *csv) { return csv->ncols; }

const char *kiln_csv_column_name(const kiln_csv *csv, int64_t index) {
  return index >= 0 && index < csv->ncols ? csv->names[index] : NULL;
}

kiln_status kiln_csv_find_column(const kiln_csv *csv, kiln_column column,
                                 int64_t *index, kiln_error *err) {
  *index = -1;
  if (column.name && column.index < 0) {
    for (int64_t i = 0; i < csv->ncols; ++i) {
      if (strcmp(csv->names[i], column.name) != 0)
        continue;
      for (int64_t j = i + 1; j < csv->ncols; ++j)
        if (strcmp(csv->names[j], column.name) == 0)
          return kiln_fail(err, KILN_ERR_ARGUMENT,
                           "%s: column name \"%s\" appears twice in the "
                           "header (columns %lld and %lld)",
                           csv->path, column.name, (long long)i + 1,
                           (long long)j + 1);
      *index = i;
      return KILN_OK;
    }
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "%s: no column named \"%s\" in the header", csv->path,
                     column.name);
  }
  if (column.index < 0 || column.index >= csv->ncols)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "%s: column index %lld out of range: the file has %lld "
                     "columns (indices 0 to %lld)",
                     csv->path, (long long)column.index, (long long)csv->ncols,
                     (long long)csv->ncols - 1);
  *index = column.index;
  return KILN_OK;
}

/* What docs/runtime.md promises: [+-] digits [. digits] [e [+-] digits],
 * digits on at least one side of the point. strtod alone also takes hex
 * ("0x10", "0x1p3"), "inf", "infinity" and "nan(...)". */
static int is_decimal(const char *s) {
  int digits = 0;
  if (*s == '+' || *s == '-')
    s++;
  for (; *s >= '0' && *s <= '9'; s++)
    digits++;
  if (*s == '.')
    for (s++; *s >= '0' && *s <= '9'; s++)
      digits++;
  if (!digits)
    return 0;
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-')
      s++;
    if (!(*s >= '0' && *s <= '9'))
      return 0;
    while (*s >= '0' && *s <= '9')
      s++;
  }
  return *s == '\0';
}

/* Clinger's fast path: a decimal without exponent of at most 15 digits is
 * an integer N < 2^53 over 10^k (k <= 15), both exact doubles, so one
 * correctly rounded division gives exactly the double strtod gives. Most
 * cells of a data file are such; the rest go through strtod. */
static int parse_simple(const char *s, size_t len, double *value) {
  static const double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,
                                  1e6, 1e7, 1e8,  1e9,  1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15};
  size_t i = 0;
  int negative = 0, digits = 0, point = 0, fraction = 0;
  uint64_t n = 0;
  if (i < len && (s[i] == '+' || s[i] == '-'))
    negative = s[i++] == '-';
  for (; i < len; ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (++digits > 15)
        return 0;
      n = n * 10 + (uint64_t)(c - '0');
      fraction += point;
    } else if (c == '.' && !point) {
      point = 1;
    } else {
      return 0;
    }
  }
  if (digits == 0)
    return 0;
  double v = (double)n / kPow10[fraction];
  *value = negative ? -v : v;
  return 1;
}

static kiln_status parse_cell(const kiln_csv *csv, const field *f,
                              int64_t line, int64_t col, double *value,
                              kiln_error *err) {
  char small[128];
  size_t raw = f->end - f->start + 1;
  char *buf = raw <= sizeof small ? small : malloc(raw);
  if (!buf)
    return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", csv->path);
  size_t len = decode(csv, f, buf, raw);
  /* Quoted cells may still carry spaces inside the quotes. */
  char *s = buf;
  while (is_space(*s)) {
    s++;
    len--;
  }
  while (len > 0 && is_space(s[len - 1]))
    s[--len] = '\0';
  const char *problem = NULL;
  char *end = NULL;
  double v = 0.0;
  if (len == 0) {
    problem = "empty cell";
  } else if (parse_simple(s, len, &v)) {
    /* a decimal, and within float32's range: 15 digits are < 1e15 */
  } else {
    v = strtod(s, &end);
    if (end != s + len)
      problem = "not a number";
    else if (!is_decimal(s))
      problem = isfinite(v) ? "not a decimal number" : "not a finite number";
    else if (!isfinite(v) || fabs(v) > FLT_MAX)
      problem = "out of float32 range";
  }
  kiln_status st = KILN_OK;
  if (problem) {
    char shown[128];
    kiln_quote(shown, sizeof shown, s, len);
    st = kiln_fail(err, KILN_ERR_VALUE, "%s:%lld: column %lld (\"%s\"): %s%s%s",
                   csv->path, (long long)line, (long long)col + 1,
                   csv->names[col], problem, len ? ": " : "", len ? shown : "");
  }
  if (buf != small)
    free(buf);
  *value = v;
  return st;
}

kiln_status kiln_csv_read_columns(const kiln_csv *csv, const int64_t *indices,
                                  int64_t n, kiln_matrix *out,
                                  kiln_error *err) {
  memset(out, 0, sizeof *out);
  for (int64_t k = 0; k < n; ++k)
    if (indices[k] < 0 || indices[k] >= csv->ncols)
      return kiln_fail(err, KILN_ERR_ARGUMENT,
                       "%s: column index %lld out of range [0, %lld)",
                       csv->path, (long long)indices[k], (long long)csv->ncols);
  float *data = kiln_alloc_data((size_t)(csv->nrows * n + 1) * sizeof *data);
  double *row = malloc((size_t)csv->ncols * sizeof *row);
  unsigned char *wanted = calloc((size_t)csv->ncols, 1);
  if (!data || !row || !wanted) {
    free(data);
    free(row);
    free(wanted);
    return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", csv->path);
  }
  for (int64_t k = 0; k < n; ++k)
    wanted[indices[k]] = 1;
  kiln_status st = KILN_OK;
  size_t released = 0;
  kiln_c_locale loc;
  kiln_c_locale_begin(&loc);
  for (int64_t r = 0; r < csv->nrows && !st; ++r) {
    cursor c = {csv, csv->row_start[r], csv->row_line[r]};
    for (int64_t col = 0; col < csv->ncols && !st; ++col) {
      field f;
      int last;
      scan_field(&c, &f, &last, NULL); /* validated by kiln_csv_open */
      if (wanted[col])
        st = parse_cell(csv, &f, csv->row_line[r], col, &row[col], err);
    }
    for (int64_t k = 0; k < n && !st; ++k)
      data[r * n + k] = (float)row[indices[k]];
    release_before(csv, c.pos, &released);
  }
  kiln_c_locale_end(&loc);
  free(row);
  free(wanted);
  if (st) {
    free(data);
    return st;
  }
  out->rows = csv->nrows;
  out->cols = n;
  out->data = data;
  return KILN_OK;
}
