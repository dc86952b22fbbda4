/*===- progress.c - Progress bar and per-epoch lines ----------------------===*
 *
 * On a terminal one line per epoch is redrawn in place and then replaced by
 * the epoch's summary; into a file or a pipe only the summaries go, without
 * escape codes, so logs stay readable.
 *
 *===----------------------------------------------------------------------===*/

#include "rt_internal.h"

#include <math.h>
#include <unistd.h>

void kiln_progress_init(kiln_progress *p, FILE *out, int tty, int quiet,
                        int64_t epochs) {
  p->out = out ? out : stdout;
  p->tty = tty < 0 ? isatty(fileno(p->out)) : tty;
  p->quiet = quiet;
  p->epochs = epochs;
  p->epoch_start = kiln_now();
  p->last_draw = 0;
  p->drawn = 0;
}

void kiln_progress_epoch_start(kiln_progress *p) {
  p->epoch_start = kiln_now();
  p->last_draw = 0;
}

void kiln_format_value(char *dst, size_t size, double v) {
  if (isnan(v))
    snprintf(dst, size, "nan");
  else if (v == 0 || (fabs(v) >= 1e-3 && fabs(v) < 1e5))
    snprintf(dst, size, "%.4f", v);
  else
    snprintf(dst, size, "%.4e", v);
}

void kiln_progress_batch(kiln_progress *p, int64_t epoch, int64_t done,
                         int64_t total, double loss, int64_t samples) {
  if (p->quiet || !p->tty)
    return;
  double now = kiln_now();
  if (done < total && now - p->last_draw < 0.1)
    return;
  p->last_draw = now;
  enum { WIDTH = 24 };
  char bar[WIDTH + 1];
  int filled = total > 0 ? (int)(WIDTH * done / total) : WIDTH;
  for (int i = 0; i < WIDTH; ++i)
    bar[i] = i < filled ? '=' : i == filled ? '>' : ' ';
  bar[WIDTH] = '\0';
  double elapsed = now - p->epoch_start;
  char l[32];
  kiln_format_value(l, sizeof l, loss);
  fprintf(p->out, "\r\033[Kepoch %lld/%lld [%s] %3d%% loss %s %.0f samples/s",
          (long long)epoch + 1, (long long)p->epochs, bar,
          total > 0 ? (int)(100 * done / total) : 100, l,
          elapsed > 0 ? (double)samples / elapsed : 0.0);
  fflush(p->out);
  p->drawn = 1;
}

void kiln_progress_line(kiln_progress *p, const char *fmt, ...) {
  if (p->quiet)
    return;
  if (p->drawn)
    fputs("\r\033[K", p->out);
  p->drawn = 0;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(p->out, fmt, ap);
  va_end(ap);
  fputc('\n', p->out);
  fflush(p->out);
}
