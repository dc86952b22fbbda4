/*===- error.c - Status codes and error messages --------------------------===*/

#include "rt_internal.h"

#include <string.h>

const char *kiln_status_name(kiln_status status) {
  switch (status) {
  case KILN_OK: return "ok";
  case KILN_ERR_IO: return "io";
  case KILN_ERR_FORMAT: return "format";
  case KILN_ERR_SHAPE: return "shape";
  case KILN_ERR_VALUE: return "value";
  case KILN_ERR_ARGUMENT: return "argument";
  case KILN_ERR_MEMORY: return "memory";
  case KILN_ERR_NUMERIC: return "numeric";
  case KILN_ERR_ABI: return "abi";
  case KILN_ERR_STATE: return "state";
  case KILN_ERR_INTERRUPTED: return "interrupted";
  }
  return "unknown";
}

kiln_status kiln_fail(kiln_error *err, kiln_status code, const char *fmt,
                      ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

kiln_status kiln_error_prefix(kiln_error *err, const char *fmt, ...) {
  if (!err)
    return KILN_ERR_ARGUMENT; /* callers only prefix after a failure */
  char prefix[KILN_ERROR_MESSAGE_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char joined[2 * KILN_ERROR_MESSAGE_SIZE + 2];
  snprintf(joined, sizeof joined, "%s: %s", prefix, err->message);
  /* Truncation keeps the start, which names the place. */
  joined[sizeof err->message - 1] = '\0';
  memcpy(err->message, joined, sizeof err->message);
  return err->code;
}

void kiln_error_clear(kiln_error *err) {
  if (err) {
    err->code = KILN_OK;
    err->message[0] = '\0';
  }
}

void kiln_quote(char *dst, size_t dst_size, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  const size_t max_shown = 40; /* a whole garbage line helps nobody */
  if (dst_size < 8) {
    if (dst_size)
      dst[0] = '\0';
    return;
  }
  dst[o++] = '"';
  for (size_t i = 0; i < len && i < max_shown; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (o + 6 >= dst_size)
      break;
    if (c == '"' || c == '\\') {
      dst[o++] = '\\';
      dst[o++] = (char)c;
    } else if (c < 0x20 || c == 0x7f) {
      dst[o++] = '\\';
      dst[o++] = 'x';
      dst[o++] = hex[c >> 4];
      dst[o++] = hex[c & 15];
    } else {
      dst[o++] = (char)c;
    }
  }
  if (len > max_shown && o + 5 < dst_size) {
    memcpy(dst + o, "...", 3);
    o += 3;
  }
  dst[o++] = '"';
  dst[o] = '\0';
}
