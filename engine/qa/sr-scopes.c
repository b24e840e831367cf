/* sr-scopes.c — waveform and vectorscope (see sr-scopes.h). */
#include "sr-scopes.h"

#include "sr-stills.h"
#include "sr-i18n.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCOPE_MIN 16
#define SCOPE_MAX 8192
/* Vectorscope: |Cb|,|Cr| = 0.5 sits at 45 % of the square's side from the
 * centre, leaving room for the 100 % red and blue targets (radius ≈ 0.51). */
#define VS_SCALE 0.9f

void
sr_scope_options_init(sr_scope_options *o, int width, int height)
{
  memset(o, 0, sizeof *o);
  o->width = width;
  o->height = height;
  o->mode = SR_WAVEFORM_LUMA;
  o->matrix = SR_YCBCR_BT709;
  o->max_samples = 1L << 19;
  o->graticule = true;
  o->gain = 1.0f;
}

static bool
check_args(const sr_image *img, const sr_scope_options *o, const void *out, const char *what,
           sr_error *err)
{
  if (!img || !o || !out || !img->pixels) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: no frame or no output buffer"), what);
    return false;
  }
  if (o->width < SCOPE_MIN || o->height < SCOPE_MIN || o->width > SCOPE_MAX ||
      o->height > SCOPE_MAX) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: size %dx%d is outside %d..%d px a side"), what,
                 o->width, o->height, SCOPE_MIN, SCOPE_MAX);
    return false;
  }
  if (img->width <= 0 || img->height <= 0) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: the frame is empty"), what);
    return false;
  }
  return true;
}

static inline int
clampi(int v, int lo, int hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

int
sr_waveform_row(float value, int h)
{
  if (!isfinite(value))
    value = value > 0 ? SR_WAVEFORM_HI : SR_WAVEFORM_LO;
  float t = (value - SR_WAVEFORM_LO) / (SR_WAVEFORM_HI - SR_WAVEFORM_LO);
  t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
  return clampi((int)lrintf((1.0f - t) * (float)(h - 1)), 0, h - 1);
}

void
sr_vectorscope_position(float cb, float cr, int w, int h, int *x, int *y)
{
  int s = w < h ? w : h;
  float cx = (float)(w - 1) * 0.5f, cy = (float)(h - 1) * 0.5f;
  if (!isfinite(cb))
    cb = 0.0f;
  if (!isfinite(cr))
    cr = 0.0f;
  *x = clampi((int)lrintf(cx + cb * VS_SCALE * (float)(s - 1)), 0, w - 1);
  *y = clampi((int)lrintf(cy - cr * VS_SCALE * (float)(s - 1)), 0, h - 1);
}

static const float target_rgb[6][3] = {
    {1, 0, 0}, {1, 0, 1}, {0, 0, 1}, {0, 1, 1}, {0, 1, 0}, {1, 1, 0},
};
static const char *const target_names[6] = {"R", "Mg", "B", "Cy", "G", "Yl"};

const char *
sr_vectorscope_target_name(int index)
{
  return index >= 0 && index < 6 ? target_names[index] : "";
}

static inline void
cbcr_of(sr_ycbcr_coeffs k, float r, float g, float b, float *cb, float *cr)
{
  float y = sr_luma(k, r, g, b);
  *cb = (b - y) / (2.0f * (1.0f - k.kb));
  *cr = (r - y) / (2.0f * (1.0f - k.kr));
}

void
sr_vectorscope_target(sr_ycbcr_matrix m, int index, float level, float *cb, float *cr)
{
  index = clampi(index, 0, 5);
  const float *c = target_rgb[index];
  cbcr_of(sr_ycbcr_coefficients(m), c[0] * level, c[1] * level, c[2] * level, cb, cr);
}

/* Sampling steps: keep at least two samples per waveform column and read at
 * most max_samples pixels. */
static void
sampling(const sr_image *img, const sr_scope_options *o, int columns, int *xs, int *ys)
{
  *xs = 1;
  *ys = 1;
  if (o->max_samples <= 0)
    return;
  if (columns > 0 && img->width > 2 * columns)
    *xs = img->width / (2 * columns);
  long per_row = (img->width + *xs - 1) / *xs;
  long total = per_row * (long)img->height;
  if (total > o->max_samples)
    *ys = (int)((total + o->max_samples - 1) / o->max_samples);
}

bool
sr_scope_waveform_counts(const sr_image *img, const sr_scope_options *o, uint32_t *counts,
                         sr_error *err)
{
  if (!check_args(img, o, counts, SR_("waveform"), err))
    return false;
  int w = o->width, h = o->height, c = img->channels;
  memset(counts, 0, (size_t)w * (size_t)h * sizeof(uint32_t));
  bool parade = o->mode == SR_WAVEFORM_PARADE && c >= 3;
  int panels = parade ? 3 : 1;
  int pw = w / panels;
  int xs, ys;
  sampling(img, o, pw, &xs, &ys);
  sr_ycbcr_coeffs k = sr_ycbcr_coefficients(o->matrix);
  /* Column of each sampled x, computed once. */
  int *colmap = malloc(sizeof(int) * (size_t)img->width);
  if (!colmap) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("waveform: out of memory"));
    return false;
  }
  for (int x = 0; x < img->width; x++)
    colmap[x] = (int)((long)x * pw / img->width);
  for (int y = 0; y < img->height; y += ys) {
    const float *row = sr_image_row(img, y);
    for (int x = 0; x < img->width; x += xs) {
      const float *p = row + (size_t)x * (size_t)c;
      /* A frame narrower than the scope spreads each sample over the
       * columns up to the next sample's, so the trace has no gaps. */
      int col = colmap[x];
      int end = x + xs < img->width ? colmap[x + xs] : pw;
      if (end <= col)
        end = col + 1;
      if (parade) {
        for (int ch = 0; ch < 3; ch++) {
          uint32_t *r = counts + (size_t)sr_waveform_row(p[ch], h) * w + (size_t)(ch * pw);
          for (int cc = col; cc < end; cc++)
            r[cc]++;
        }
      } else {
        float v = c >= 3 ? sr_luma(k, p[0], p[1], p[2]) : p[0];
        uint32_t *r = counts + (size_t)sr_waveform_row(v, h) * w;
        for (int cc = col; cc < end; cc++)
          r[cc]++;
      }
    }
  }
  free(colmap);
  return true;
}

bool
sr_scope_vectorscope_counts(const sr_image *img, const sr_scope_options *o, uint32_t *counts,
                            sr_error *err)
{
  if (!check_args(img, o, counts, SR_("vectorscope"), err))
    return false;
  int w = o->width, h = o->height, c = img->channels;
  memset(counts, 0, (size_t)w * (size_t)h * sizeof(uint32_t));
  if (c < 3)
    return true; /* a grey image has no chroma: nothing off centre */
  int step = 1;
  long n = (long)img->width * img->height;
  if (o->max_samples > 0 && n > o->max_samples)
    step = (int)ceil(sqrt((double)n / (double)o->max_samples));
  sr_ycbcr_coeffs k = sr_ycbcr_coefficients(o->matrix);
  int s = w < h ? w : h;
  float cx = (float)(w - 1) * 0.5f, cy = (float)(h - 1) * 0.5f, sc = VS_SCALE * (float)(s - 1);
  for (int y = 0; y < img->height; y += step) {
    const float *row = sr_image_row(img, y);
    for (int x = 0; x < img->width; x += step) {
      const float *p = row + (size_t)x * (size_t)c;
      float cb, cr;
      cbcr_of(k, p[0], p[1], p[2], &cb, &cr);
      if (!isfinite(cb) || !isfinite(cr))
        continue;
      int px = clampi((int)lrintf(cx + cb * sc), 0, w - 1);
      int py = clampi((int)lrintf(cy - cr * sc), 0, h - 1);
      counts[(size_t)py * w + (size_t)px]++;
    }
  }
  return true;
}

/* ---- drawing ---------------------------------------------------------------- */

typedef struct canvas {
  uint8_t *px;
  int w, h;
} canvas;

static void
put(canvas *cv, int x, int y, uint8_t r, uint8_t g, uint8_t b)
{
  if (x < 0 || y < 0 || x >= cv->w || y >= cv->h)
    return;
  uint8_t *p = cv->px + ((size_t)y * cv->w + x) * 4;
  p[0] = r > p[0] ? r : p[0];
  p[1] = g > p[1] ? g : p[1];
  p[2] = b > p[2] ? b : p[2];
}

static void
line(canvas *cv, float x0, float y0, float x1, float y1, uint8_t r, uint8_t g, uint8_t b)
{
  float dx = x1 - x0, dy = y1 - y0;
  int steps = (int)ceilf(fmaxf(fabsf(dx), fabsf(dy)));
  if (steps < 1)
    steps = 1;
  for (int i = 0; i <= steps; i++) {
    float t = (float)i / (float)steps;
    put(cv, (int)lrintf(x0 + dx * t), (int)lrintf(y0 + dy * t), r, g, b);
  }
}

static void
box(canvas *cv, int x, int y, int half, uint8_t r, uint8_t g, uint8_t b)
{
  line(cv, (float)(x - half), (float)(y - half), (float)(x + half), (float)(y - half), r, g, b);
  line(cv, (float)(x - half), (float)(y + half), (float)(x + half), (float)(y + half), r, g, b);
  line(cv, (float)(x - half), (float)(y - half), (float)(x - half), (float)(y + half), r, g, b);
  line(cv, (float)(x + half), (float)(y - half), (float)(x + half), (float)(y + half), r, g, b);
}

/* Graticule text in the bitmap font, one font pixel per canvas pixel. */
static void
text(canvas *cv, int x, int y, const char *str, uint8_t r, uint8_t g, uint8_t b)
{
  for (int i = 0; str[i]; i++) {
    const unsigned char *gl = sr_font_glyph(str[i]);
    for (int row = 0; row < 7; row++)
      for (int col = 0; col < 5; col++)
        if (gl[row] & (0x10 >> col))
          put(cv, x + i * SR_FONT_CELL_W + col, y + row, r, g, b);
  }
}

static void
background(canvas *cv)
{
  size_t n = (size_t)cv->w * (size_t)cv->h;
  for (size_t i = 0; i < n; i++) {
    cv->px[i * 4] = 12;
    cv->px[i * 4 + 1] = 12;
    cv->px[i * 4 + 2] = 14;
    cv->px[i * 4 + 3] = 255;
  }
}

/* Brightness of a cell: 1 − exp(−gain · count / ref); `ref` is a typical
 * count so that a trace of average density is clearly visible. */
static uint8_t
level(uint32_t count, float ref, float gain)
{
  if (!count)
    return 0;
  float a = 1.0f - expf(-gain * 2.5f * (float)count / (ref > 0.0f ? ref : 1.0f));
  return (uint8_t)lrintf(40.0f + 215.0f * a);
}

bool
sr_scope_waveform(const sr_image *img, const sr_scope_options *o, uint8_t *rgba, sr_error *err)
{
  if (!check_args(img, o, rgba, SR_("waveform"), err))
    return false;
  int w = o->width, h = o->height;
  uint32_t *counts = malloc((size_t)w * (size_t)h * sizeof(uint32_t));
  if (!counts) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("waveform: out of memory"));
    return false;
  }
  if (!sr_scope_waveform_counts(img, o, counts, err)) {
    free(counts);
    return false;
  }
  canvas cv = {rgba, w, h};
  background(&cv);
  bool parade = o->mode == SR_WAVEFORM_PARADE && img->channels >= 3;
  int panels = parade ? 3 : 1, pw = w / panels;
  if (o->graticule) {
    static const float marks[] = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
      int yy = sr_waveform_row(marks[i], h);
      uint8_t v = (marks[i] == 0.0f || marks[i] == 1.0f) ? 90 : 50;
      line(&cv, 0, (float)yy, (float)(w - 1), (float)yy, v, v, v);
    }
    for (int p = 1; p < panels; p++)
      line(&cv, (float)(p * pw), 0, (float)(p * pw), (float)(h - 1), 70, 70, 70);
  }
  uint64_t total = 0;
  for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
    total += counts[i];
  /* A column's hits spread over a tenth of the height on average. */
  float ref = (float)total / (float)(panels * pw > 0 ? panels * pw : 1) / ((float)h * 0.1f);
  for (int yy = 0; yy < h; yy++)
    for (int x = 0; x < w; x++) {
      uint32_t c = counts[(size_t)yy * w + x];
      if (!c)
        continue;
      uint8_t v = level(c, ref, o->gain);
      if (!parade)
        put(&cv, x, yy, (uint8_t)(v * 3 / 5), v, (uint8_t)(v * 3 / 4));
      else if (x / pw == 0)
        put(&cv, x, yy, v, (uint8_t)(v / 5), (uint8_t)(v / 5));
      else if (x / pw == 1)
        put(&cv, x, yy, (uint8_t)(v / 5), v, (uint8_t)(v / 5));
      else
        put(&cv, x, yy, (uint8_t)(v / 4), (uint8_t)(v / 3), v);
    }
  free(counts);
  return true;
}

bool
sr_scope_vectorscope(const sr_image *img, const sr_scope_options *o, uint8_t *rgba, sr_error *err)
{
  if (!check_args(img, o, rgba, SR_("vectorscope"), err))
    return false;
  int w = o->width, h = o->height;
  uint32_t *counts = malloc((size_t)w * (size_t)h * sizeof(uint32_t));
  if (!counts) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("vectorscope: out of memory"));
    return false;
  }
  if (!sr_scope_vectorscope_counts(img, o, counts, err)) {
    free(counts);
    return false;
  }
  canvas cv = {rgba, w, h};
  background(&cv);
  int s = w < h ? w : h;
  float cx = (float)(w - 1) * 0.5f, cy = (float)(h - 1) * 0.5f;
  if (o->graticule) {
    float rad = 0.5f * VS_SCALE * (float)(s - 1);
    int segs = 360;
    for (int i = 0; i < segs; i++) {
      float a0 = (float)i / segs * 6.2831853f, a1 = (float)(i + 1) / segs * 6.2831853f;
      line(&cv, cx + rad * cosf(a0), cy - rad * sinf(a0), cx + rad * cosf(a1), cy - rad * sinf(a1),
           70, 70, 70);
    }
    line(&cv, cx - rad, cy, cx + rad, cy, 45, 45, 45);
    line(&cv, cx, cy - rad, cx, cy + rad, 45, 45, 45);
    double ang = SR_VECTORSCOPE_SKIN_ANGLE * 3.14159265358979 / 180.0;
    line(&cv, cx, cy, cx + rad * (float)cos(ang), cy - rad * (float)sin(ang), 200, 150, 110);
    int half = s / 64 > 2 ? s / 64 : 2;
    for (int t = 0; t < 6; t++) {
      const float *c = target_rgb[t];
      uint8_t r = (uint8_t)(c[0] * 180 + 60), g = (uint8_t)(c[1] * 180 + 60),
              b = (uint8_t)(c[2] * 180 + 60);
      float cb, cr;
      int x, y;
      sr_vectorscope_target(o->matrix, t, 0.75f, &cb, &cr);
      sr_vectorscope_position(cb, cr, w, h, &x, &y);
      box(&cv, x, y, half, r, g, b);
      sr_vectorscope_target(o->matrix, t, 1.0f, &cb, &cr);
      sr_vectorscope_position(cb, cr, w, h, &x, &y);
      box(&cv, x, y, half, r, g, b);
      box(&cv, x, y, half + 1, r, g, b);
      /* Name outside the box, away from the centre. */
      const char *name = target_names[t];
      int tw = sr_font_text_width(name, 1);
      int tx = x + (cb >= 0 ? half + 3 : -half - 3 - tw);
      int ty = y + (cr >= 0 ? -half - 9 : half + 3);
      if (s >= 160)
        text(&cv, clampi(tx, 1, w - tw - 2), clampi(ty, 1, h - 9), name, r, g, b);
    }
  }
  uint64_t total = 0;
  size_t used = 0;
  for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
    total += counts[i];
    used += counts[i] != 0;
  }
  float ref = used ? (float)total / (float)used : 1.0f;
  for (int yy = 0; yy < h; yy++)
    for (int x = 0; x < w; x++) {
      uint32_t c = counts[(size_t)yy * w + x];
      if (c) {
        uint8_t v = level(c, ref, o->gain);
        put(&cv, x, yy, (uint8_t)(v * 3 / 5), v, (uint8_t)(v * 3 / 4));
      }
    }
  free(counts);
  return true;
}

sr_image *
sr_scope_to_image(const uint8_t *rgba, int width, int height, sr_error *err)
{
  sr_image *img = sr_image_new(width, height, 4, err);
  if (!img)
    return NULL;
  size_t n = (size_t)width * (size_t)height * 4;
  for (size_t i = 0; i < n; i++)
    img->pixels[i] = (float)rgba[i] / 255.0f;
  return img;
}
