/*===- plot.c - A run's curves as an SVG, from its metrics file -----------===*
 *
 * `train --plot F.svg` and `plot METRICS.csv`: three panels over the
 * epochs (losses, the validation metric, the learning rate), one marker
 * per epoch, and the early-stopping point. Plain SVG 1.1 written by hand:
 * any browser shows it, and no library is needed (docs/runtime.md,
 * "Plots").
 *
 *===----------------------------------------------------------------------===*/

#include "rt_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The metrics file's columns (train.c writes them):
 * epoch,train_loss,val_loss,val_<metric>,lr,seconds. */
enum { COL_EPOCH, COL_TRAIN, COL_VAL, COL_METRIC, COL_LR, NUM_COLS };

void kiln_curves_free(kiln_curves *c) {
  for (int k = 0; k < KILN_CURVES; ++k)
    free(c->values[k]);
  memset(c, 0, sizeof *c);
}

/* A cell: a finite number, or NaN when empty. 0 when it is neither. */
static int parse_cell(const char *s, size_t n, double *out) {
  if (n == 0) {
    *out = NAN;
    return 1;
  }
  char buf[64], *end;
  if (n >= sizeof buf)
    return 0;
  memcpy(buf, s, n);
  buf[n] = '\0';
  *out = strtod(buf, &end);
  return *end == '\0' && isfinite(*out);
}

/* Epochs count from 1; a larger number than a run can have is damage. */
static int valid_epoch(double e) { return e == floor(e) && e >= 1 && e <= 1e9; }

kiln_status kiln_curves_read(const char *path, kiln_curves *out,
                             kiln_error *err) {
  memset(out, 0, sizeof *out);
  char *data;
  size_t size;
  kiln_status st = kiln_read_file(path, &data, &size, err);
  if (st)
    return st;
  int64_t lines = 0;
  for (size_t i = 0; i < size; ++i)
    lines += data[i] == '\n';
  for (int k = 0; k < KILN_CURVES; ++k)
    if (!(out->values[k] = malloc(((size_t)lines + 1) * sizeof(double)))) {
      st = kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
      goto done;
    }
  const char *p = data, *stop = data + size;
  int64_t line = 0;
  while (p < stop) {
    const char *eol = memchr(p, '\n', (size_t)(stop - p));
    if (!eol)
      eol = stop;
    const char *end = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
    ++line;
    if (line == 1) {
      static const char prefix[] = KILN_METRICS_HEAD;
      size_t n = (size_t)(end - p), plen = sizeof prefix - 1;
      const char *comma = n > plen ? memchr(p + plen, ',', n - plen) : NULL;
      if (n <= plen || strncmp(p, prefix, plen) != 0 || !comma ||
          (size_t)(comma - p - plen) >= sizeof out->metric ||
          strncmp(comma, ",lr,", 4) != 0) {
        st = kiln_fail(err, KILN_ERR_FORMAT,
                       "%s:1: not a metrics file of `train --metrics` "
                       "(" KILN_METRICS_HEAD "<metric>" KILN_METRICS_TAIL ")",
                       path);
        goto done;
      }
      memcpy(out->metric, p + plen, (size_t)(comma - p - plen));
    } else if (end > p) {
      int col = 0;
      for (const char *cell = p; col <= NUM_COLS; ++col) {
        const char *sep = memchr(cell, ',', (size_t)(end - cell));
        const char *cell_end = sep ? sep : end;
        double v;
        if (col < NUM_COLS) {
          if (!parse_cell(cell, (size_t)(cell_end - cell), &v) ||
              (col == COL_EPOCH && !valid_epoch(v))) {
            st = kiln_fail(err, KILN_ERR_FORMAT,
                           "%s:%lld: column %d: not a number", path,
                           (long long)line, col + 1);
            goto done;
          }
          out->values[col][out->epochs] = v;
        }
        if (!sep)
          break;
        cell = sep + 1;
      }
      if (col != NUM_COLS) { /* the seconds column ends the row */
        st = kiln_fail(err, KILN_ERR_FORMAT,
                       "%s:%lld: %d columns, expected 6", path,
                       (long long)line, col + 1);
        goto done;
      }
      out->epochs++;
    }
    p = eol + 1;
  }
  if (out->epochs == 0)
    st = kiln_fail(err, KILN_ERR_FORMAT, "%s: no epochs to plot", path);
done:
  free(data);
  if (st)
    kiln_curves_free(out);
  return st;
}

int64_t kiln_curves_best_epoch(const kiln_curves *c) {
  int higher = strcmp(c->metric, "accuracy") == 0 || strcmp(c->metric, "r2") == 0;
  const double *v = c->values[COL_METRIC];
  int64_t best = 0;
  for (int64_t i = 0; i < c->epochs; ++i)
    if (!isnan(v[i]) &&
        (!best || (higher ? v[i] > v[best - 1] : v[i] < v[best - 1])))
      best = i + 1;
  return best ? (int64_t)c->values[COL_EPOCH][best - 1] : 0;
}

/*---- Drawing ---------------------------------------------------------------*/

enum { WIDTH = 720, PANEL = 190, TOP = 60, GAP = 44, LEFT = 70, RIGHT = 150 };

/* A round step for about `n` ticks over [lo, hi]: 1, 2 or 5 times 10^k;
 * 0 when the range is too wide or too narrow for one (overflow, denormal
 * steps): then only the ends are labelled. */
static double tick_step(double lo, double hi, int n) {
  double raw = (hi - lo) / n, mag = pow(10, floor(log10(raw)));
  double f = raw / mag;
  double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
  return isfinite(step) && step > 0 && (hi - lo) / step <= 4.0 * n ? step : 0;
}

typedef struct panel {
  double x0, x1, y0, y1; /* data ranges */
  int top;               /* pixel row of the panel's top */
} panel;

static double px(const panel *p, double x) {
  return LEFT + (p->x1 > p->x0 ? (x - p->x0) / (p->x1 - p->x0) : 0.5) *
                    (WIDTH - LEFT - RIGHT);
}
static double py(const panel *p, double y) {
  return p->top + PANEL -
         (p->y1 > p->y0 ? (y - p->y0) / (p->y1 - p->y0) : 0.5) * PANEL;
}

/* The panel's frame, title and ticks, for the finite values of its
 * series; 0 when it has none (the panel is skipped). */
static int frame(kiln_buf *b, panel *p, const kiln_curves *c,
                 const int *series, int n, const char *title) {
  double lo = INFINITY, hi = -INFINITY;
  for (int s = 0; s < n; ++s)
    for (int64_t i = 0; i < c->epochs; ++i) {
      double v = c->values[series[s]][i];
      if (isfinite(v)) {
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      }
    }
  if (!(lo <= hi))
    return 0;
  if (hi == lo) {
    double pad = lo != 0 ? fabs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  double step = tick_step(lo, hi, 4);
  p->y0 = step > 0 ? floor(lo / step) * step : lo;
  p->y1 = step > 0 ? ceil(hi / step) * step : hi;
  if (!(step > 0) || !isfinite(p->y0) || !isfinite(p->y1)) {
    p->y0 = lo;
    p->y1 = hi;
    step = hi - lo;
  }
  p->x0 = c->values[COL_EPOCH][0];
  p->x1 = c->values[COL_EPOCH][c->epochs - 1];
  kiln_buf_printf(b,
                  "<g class=\"panel\"><text x=\"%d\" y=\"%d\" "
                  "font-weight=\"bold\">%s</text>\n"
                  "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                  "fill=\"none\" stroke=\"#888\"/>\n",
                  LEFT, p->top - 8, title, LEFT, p->top,
                  WIDTH - LEFT - RIGHT, PANEL);
  int yticks = step > 0 ? (int)floor((p->y1 - p->y0) / step + 0.5) : 0;
  for (int t = 0; t <= yticks && t <= 40; ++t) {
    double y = t == yticks ? p->y1 : p->y0 + t * step;
    kiln_buf_printf(b,
                    "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" "
                    "text-anchor=\"end\" font-size=\"11\">%.4g</text>\n",
                    LEFT, WIDTH - RIGHT, py(p, y), py(p, y), LEFT - 6,
                    py(p, y) + 4, fabs(y) < step * 1e-9 ? 0.0 : y);
  }
  double xstep = tick_step(p->x0, p->x1 > p->x0 ? p->x1 : p->x0 + 1, 6);
  if (xstep < 1)
    xstep = 1;
  /* Epochs are whole numbers up to 1e9 (kiln_curves_read): at most a few
   * dozen ticks. */
  for (double x = ceil(p->x0 / xstep) * xstep; x <= p->x1; x += xstep)
    kiln_buf_printf(b,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                    "font-size=\"11\">%.0f</text>\n",
                    px(p, x), p->top + PANEL + 14, x);
  return 1;
}

/* One series: a polyline through its finite points and a marker on each;
 * nothing for a series without any (no validation data). */
static void series(kiln_buf *b, const panel *p, const kiln_curves *c, int col,
                   const char *name, const char *color, int legend) {
  int64_t finite = 0;
  for (int64_t i = 0; i < c->epochs; ++i)
    finite += isfinite(c->values[col][i]) != 0;
  if (finite == 0)
    return;
  kiln_buf_printf(b, "<g class=\"series %s\"><polyline fill=\"none\" "
                     "stroke=\"%s\" stroke-width=\"1.5\" points=\"",
                  name, color);
  for (int64_t i = 0; i < c->epochs; ++i)
    if (isfinite(c->values[col][i]))
      kiln_buf_printf(b, "%.1f,%.1f ", px(p, c->values[COL_EPOCH][i]),
                      py(p, c->values[col][i]));
  kiln_buf_printf(b, "\"/>\n");
  for (int64_t i = 0; i < c->epochs; ++i)
    if (isfinite(c->values[col][i]))
      kiln_buf_printf(b,
                      "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\">"
                      "<title>epoch %.0f: %.6g</title></circle>\n",
                      px(p, c->values[COL_EPOCH][i]), py(p, c->values[col][i]),
                      color, c->values[COL_EPOCH][i], c->values[col][i]);
  kiln_buf_printf(b,
                  "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" "
                  "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\" "
                  "font-size=\"12\">%s</text></g>\n",
                  WIDTH - RIGHT + 12, WIDTH - RIGHT + 32, p->top + 14 + 18 * legend,
                  p->top + 14 + 18 * legend, color, WIDTH - RIGHT + 38,
                  p->top + 18 + 18 * legend, name);
}

kiln_status kiln_curves_svg(const kiln_curves *c, const char *title,
                            int64_t best_epoch, const char *path,
                            kiln_error *err) {
  kiln_c_locale loc;
  kiln_c_locale_begin(&loc);
  kiln_buf b = {0};
  char metric[64];
  snprintf(metric, sizeof metric, "val_%s", c->metric);
  panel panels[3];
  int top = TOP;
  /* Each panel once laid out; the SVG's height follows. */
  kiln_buf body = {0};
  static const int losses[] = {COL_TRAIN, COL_VAL}, metrics[] = {COL_METRIC},
                   rates[] = {COL_LR};
  struct {
    const int *cols;
    int n;
    const char *title;
  } layout[] = {{losses, 2, "loss"}, {metrics, 1, metric},
                {rates, 1, "learning rate"}};
  int drawn = 0;
  for (int k = 0; k < 3; ++k) {
    panel *p = &panels[drawn];
    p->top = top;
    if (!frame(&body, p, c, layout[k].cols, layout[k].n, layout[k].title))
      continue;
    if (k == 0) {
      series(&body, p, c, COL_TRAIN, "train_loss", "#1f77b4", 0);
      series(&body, p, c, COL_VAL, "val_loss", "#ff7f0e", 1);
    } else if (k == 1) {
      series(&body, p, c, COL_METRIC, metric, "#2ca02c", 0);
    } else {
      series(&body, p, c, COL_LR, "lr", "#9467bd", 0);
    }
    kiln_buf_printf(&body, "</g>\n");
    top += PANEL + GAP;
    drawn++;
  }
  int height = top + 10;
  if (best_epoch > 0 && drawn > 0) {
    double x = px(&panels[0], (double)best_epoch);
    kiln_buf_printf(&body,
                    "<g class=\"best\"><line x1=\"%.1f\" x2=\"%.1f\" "
                    "y1=\"%d\" y2=\"%d\" stroke=\"#d62728\" "
                    "stroke-dasharray=\"5,4\"/><text x=\"%.1f\" y=\"%d\" "
                    "fill=\"#d62728\" font-size=\"12\" "
                    "text-anchor=\"middle\">best epoch %lld</text></g>\n",
                    x, x, TOP, top - GAP + 16, x, top - GAP + 30,
                    (long long)best_epoch);
    height += 20;
  }
  kiln_buf_printf(&b,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
                  "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "font-family=\"sans-serif\">\n"
                  "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
                  "<text x=\"%d\" y=\"22\" font-size=\"15\">%s: %lld "
                  "epoch%s</text>\n",
                  WIDTH, height, WIDTH, height, LEFT, title,
                  (long long)c->epochs, c->epochs == 1 ? "" : "s");
  kiln_buf_put(&b, body.data ? body.data : "", body.len);
  kiln_buf_printf(&b, "</svg>\n");
  free(body.data);
  kiln_c_locale_end(&loc);
  kiln_status st;
  if (b.oom || body.oom)
    st = kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
  else {
    kiln_chunk chunk = {b.data, b.len};
    st = kiln_write_file_atomic(path, &chunk, 1, err);
  }
  free(b.data);
  return st;
}
