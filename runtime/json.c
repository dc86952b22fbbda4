/*===- json.c - A small strict JSON parser --------------------------------===*
 *
 * Enough JSON for safetensors headers, which come from files we did not
 * write: every input either parses into a tree or gives an error with a
 * byte offset; nothing reads past `len`, and nesting is bounded so that
 * "[[[[..." cannot exhaust the stack.
 *
 *===----------------------------------------------------------------------===*/

#include "rt_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_DEPTH = 64 };

/* The tree lives in a few large blocks freed together: a header of 100k
 * small entries as separate mallocs took twenty times its size in memory,
 * and most of the parse went to the allocator. */
typedef struct block {
  struct block *next;
  size_t used, cap;
  _Alignas(max_align_t) unsigned char data[];
} block;

enum { BLOCK_SIZE = 64 * 1024 };

/* What kiln_json_parse returns: the root first, so kiln_json_free finds
 * the blocks from it. */
typedef struct document {
  kiln_json root;
  block *blocks;
} document;

typedef struct parser {
  const char *s;
  size_t len;
  size_t pos;
  kiln_error *err;
  block *blocks; /* the first has free space; the others are full */
  /* Members of the open containers, innermost last (objects push key and
   * value); a container moves its own into the arena when it closes. */
  kiln_json *stack;
  size_t top, cap;
} parser;

static void *arena_alloc(parser *p, size_t n) {
  n = (n + 7) & ~(size_t)7;
  block *b = p->blocks;
  if (b && b->cap - b->used >= n) {
    void *r = b->data + b->used;
    b->used += n;
    return r;
  }
  /* A large request gets a block of its own, behind the current one, so
   * the current block's free space is not abandoned. */
  size_t cap = n > BLOCK_SIZE / 4 ? n : BLOCK_SIZE;
  block *nb = malloc(sizeof *nb + cap);
  if (!nb)
    return NULL;
  nb->used = n;
  nb->cap = cap;
  if (cap == n && b) {
    nb->next = b->next;
    b->next = nb;
  } else {
    nb->next = b;
    p->blocks = nb;
  }
  return nb->data;
}

static void free_blocks(block *b) {
  while (b) {
    block *next = b->next;
    free(b);
    b = next;
  }
}

static kiln_status push(parser *p, const kiln_json *v) {
  if (p->top == p->cap) {
    size_t ncap = p->cap ? p->cap * 2 : 64;
    kiln_json *s = realloc(p->stack, ncap * sizeof *s);
    if (!s)
      return kiln_fail(p->err, KILN_ERR_MEMORY, "JSON: out of memory");
    p->stack = s;
    p->cap = ncap;
  }
  p->stack[p->top++] = *v;
  return KILN_OK;
}

static kiln_status syntax(parser *p, const char *what) {
  if (p->pos >= p->len)
    return kiln_fail(p->err, KILN_ERR_FORMAT,
                     "JSON at byte %zu: %s (unexpected end)", p->pos, what);
  return kiln_fail(p->err, KILN_ERR_FORMAT, "JSON at byte %zu: %s", p->pos,
                   what);
}

static void skip_ws(parser *p) {
  while (p->pos < p->len) {
    char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      break;
    p->pos++;
  }
}

static int peek(const parser *p) {
  return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int literal(parser *p, const char *word) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
    return 0;
  p->pos += n;
  return 1;
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static kiln_status parse_number(parser *p, kiln_json *v) {
  size_t start = p->pos;
  if (peek(p) == '-')
    p->pos++;
  if (peek(p) == '0') {
    p->pos++;
  } else if (is_digit(peek(p))) {
    while (is_digit(peek(p)))
      p->pos++;
  } else {
    return syntax(p, "expected a digit");
  }
  if (peek(p) == '.') {
    p->pos++;
    if (!is_digit(peek(p)))
      return syntax(p, "expected a digit after '.'");
    while (is_digit(peek(p)))
      p->pos++;
  }
  if (peek(p) == 'e' || peek(p) == 'E') {
    p->pos++;
    if (peek(p) == '+' || peek(p) == '-')
      p->pos++;
    if (!is_digit(peek(p)))
      return syntax(p, "expected a digit in the exponent");
    while (is_digit(peek(p)))
      p->pos++;
  }
  /* strtod needs a terminated copy: the input need not be NUL-terminated. */
  size_t n = p->pos - start;
  char small[64];
  char *buf = n < sizeof small ? small : malloc(n + 1);
  if (!buf)
    return kiln_fail(p->err, KILN_ERR_MEMORY, "JSON: out of memory");
  memcpy(buf, p->s + start, n);
  buf[n] = '\0';
  v->number = strtod(buf, NULL); /* in the C locale: kiln_json_parse */
  if (buf != small)
    free(buf);
  v->kind = KILN_JSON_NUMBER;
  return KILN_OK;
}

static int hex4(parser *p, unsigned *out) {
  if (p->len - p->pos < 4)
    return 0;
  unsigned x = 0;
  for (int i = 0; i < 4; ++i) {
    char c = p->s[p->pos + (size_t)i];
    x <<= 4;
    if (c >= '0' && c <= '9')
      x |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      x |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      x |= (unsigned)(c - 'A' + 10);
    else
      return 0;
  }
  p->pos += 4;
  *out = x;
  return 1;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t avail) {
  unsigned c = s[0];
  size_t n;
  unsigned min;
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (avail < n)
    return 0;
  unsigned cp = c & (0x3F >> (n - 1));
  for (size_t i = 1; i < n; ++i) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

static kiln_status parse_string(parser *p, kiln_json *v) {
  p->pos++; /* the opening quote */
  /* Decoded text is never longer than its source. */
  size_t start = p->pos;
  size_t end = start;
  while (end < p->len && p->s[end] != '"')
    end += p->s[end] == '\\' ? 2 : 1;
  size_t cap = (end < p->len ? end : p->len) - start + 1;
  char *out = arena_alloc(p, cap);
  if (!out)
    return kiln_fail(p->err, KILN_ERR_MEMORY, "JSON: out of memory");
  size_t o = 0;
  for (;;) {
    if (p->pos >= p->len) {
      return syntax(p, "unterminated string");
    }
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c == '"') {
      p->pos++;
      break;
    }
    if (c < 0x20) {
      return syntax(p, "control character in string");
    }
    if (c != '\\') {
      size_t n = utf8_len((const unsigned char *)p->s + p->pos,
                          p->len - p->pos);
      if (n == 0) {
          return syntax(p, "invalid UTF-8 in string");
      }
      memcpy(out + o, p->s + p->pos, n);
      o += n;
      p->pos += n;
      continue;
    }
    p->pos++;
    int e = peek(p);
    const char *simple = "\"\"\\\\//b\bf\fn\nr\rt\t";
    const char *hit = NULL;
    for (const char *q = simple; e >= 0 && *q; q += 2)
      if (*q == e) {
        hit = q;
        break;
      }
    if (hit) {
      out[o++] = hit[1];
      p->pos++;
      continue;
    }
    if (e != 'u') {
      return syntax(p, "invalid escape");
    }
    p->pos++;
    unsigned cp;
    if (!hex4(p, &cp)) {
      return syntax(p, "expected 4 hex digits after \\u");
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return syntax(p, "unpaired low surrogate");
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      unsigned lo;
      if (!literal(p, "\\u") || !hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
          return syntax(p, "unpaired high surrogate");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    o += put_utf8(out + o, cp);
  }
  out[o] = '\0';
  v->kind = KILN_JSON_STRING;
  v->str = out;
  v->len = o;
  return KILN_OK;
}

static kiln_status parse_value(parser *p, kiln_json *v, int depth);

static kiln_status parse_container(parser *p, kiln_json *v, int depth,
                                   int object) {
  char close = object ? '}' : ']';
  v->kind = object ? KILN_JSON_OBJECT : KILN_JSON_ARRAY;
  p->pos++;
  skip_ws(p);
  if (peek(p) == close) {
    p->pos++;
    return KILN_OK;
  }
  size_t base = p->top;
  for (;;) {
    kiln_json key, item;
    memset(&key, 0, sizeof key);
    memset(&item, 0, sizeof item);
    kiln_status st;
    if (object) {
      skip_ws(p);
      if (peek(p) != '"')
        return syntax(p, "expected a string key");
      if ((st = parse_string(p, &key)))
        return st;
      skip_ws(p);
      if (peek(p) != ':')
        return syntax(p, "expected ':'");
      p->pos++;
    }
    /* Parsed into a local: nested containers may move the stack. */
    if ((st = parse_value(p, &item, depth + 1)) ||
        (object && (st = push(p, &key))) || (st = push(p, &item)))
      return st;
    skip_ws(p);
    int c = peek(p);
    if (c == ',') {
      p->pos++;
      continue;
    }
    if (c != close)
      return syntax(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    p->pos++;
    break;
  }
  size_t per = object ? 2 : 1, count = (p->top - base) / per;
  v->count = (int64_t)count;
  v->items = arena_alloc(p, count * sizeof *v->items);
  if (object)
    v->keys = arena_alloc(p, count * sizeof *v->keys);
  if (!v->items || (object && !v->keys))
    return kiln_fail(p->err, KILN_ERR_MEMORY, "JSON: out of memory");
  for (size_t i = 0; i < count; ++i) {
    if (object)
      v->keys[i] = p->stack[base + 2 * i];
    v->items[i] = p->stack[base + per * i + per - 1];
  }
  p->top = base;
  return KILN_OK;
}

static kiln_status parse_value(parser *p, kiln_json *v, int depth) {
  if (depth > MAX_DEPTH)
    return syntax(p, "nested too deeply");
  skip_ws(p);
  int c = peek(p);
  switch (c) {
  case '{':
    return parse_container(p, v, depth, 1);
  case '[':
    return parse_container(p, v, depth, 0);
  case '"':
    return parse_string(p, v);
  case 't':
    if (literal(p, "true")) {
      v->kind = KILN_JSON_TRUE;
      return KILN_OK;
    }
    break;
  case 'f':
    if (literal(p, "false")) {
      v->kind = KILN_JSON_FALSE;
      return KILN_OK;
    }
    break;
  case 'n':
    if (literal(p, "null")) {
      v->kind = KILN_JSON_NULL;
      return KILN_OK;
    }
    break;
  default:
    if (c == '-' || is_digit(c))
      return parse_number(p, v);
    break;
  }
  return syntax(p, "expected a value");
}

void kiln_json_free(kiln_json *v) {
  if (v) {
    document *d = (document *)(void *)v;
    free_blocks(d->blocks);
    free(d);
  }
}

kiln_status kiln_json_parse(const char *text, size_t len, kiln_json **out,
                            kiln_error *err) {
  *out = NULL;
  parser p = {text, len, 0, err, NULL, NULL, 0, 0};
  document *d = calloc(1, sizeof *d);
  if (!d)
    return kiln_fail(err, KILN_ERR_MEMORY, "JSON: out of memory");
  /* Once per document rather than per number. */
  kiln_c_locale loc;
  kiln_c_locale_begin(&loc);
  kiln_status st = parse_value(&p, &d->root, 1);
  kiln_c_locale_end(&loc);
  if (!st) {
    skip_ws(&p);
    if (p.pos != p.len)
      st = syntax(&p, "trailing characters after the value");
  }
  free(p.stack);
  d->blocks = p.blocks;
  if (st) {
    kiln_json_free(&d->root);
    return st;
  }
  *out = &d->root;
  return KILN_OK;
}

const kiln_json *kiln_json_get(const kiln_json *object, const char *key) {
  if (!object || object->kind != KILN_JSON_OBJECT)
    return NULL;
  size_t n = strlen(key);
  for (int64_t i = 0; i < object->count; ++i)
    if (object->keys[i].len == n && memcmp(object->keys[i].str, key, n) == 0)
      return &object->items[i];
  return NULL;
}

size_t kiln_json_quote(char *buf, size_t size, const char *s) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
#define PUT(ch)                                                                \
  do {                                                                         \
    if (o + 1 < size)                                                          \
      buf[o] = (ch);                                                           \
    o++;                                                                       \
  } while (0)
  PUT('"');
  for (const unsigned char *q = (const unsigned char *)s; *q; ++q) {
    unsigned char c = *q;
    if (c == '"' || c == '\\') {
      PUT('\\');
      PUT((char)c);
    } else if (c < 0x20) {
      PUT('\\');
      PUT('u');
      PUT('0');
      PUT('0');
      PUT(hex[c >> 4]);
      PUT(hex[c & 15]);
    } else {
      PUT((char)c);
    }
  }
  PUT('"');
#undef PUT
  if (size)
    buf[o < size ? o : size - 1] = '\0';
  return o;
}
