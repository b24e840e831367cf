/* sr-metrics.c — per-frame QA metrics (see sr-metrics.h). */
#include "sr-metrics.h"

#include "sr-grain.h"
#include "sr-i18n.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pixels within this radius of a strong edge are checked for overshoot. */
#define HALO_RADIUS 4
/* A window whose Source luma spans at least this much holds a strong edge. */
#define HALO_EDGE_CONTRAST 0.1f
/* Flat areas: the Source's least-textured quarter. */
#define FLAT_PERCENTILE 0.25
#define GRAD_BINS       4096

struct sr_qa_context {
  sr_prep_settings prep;
  sr_domain *source_domain;
  sr_domain *reference_domain;
};

/* Y, Cb, Cr planes of the crop in the training domain. */
typedef struct planes {
  int w, h;
  float *y, *cb, *cr;
  double range_fraction;
} planes;

void
sr_qa_thresholds_init(sr_qa_thresholds *t)
{
  t->chroma_max = 0.004;
  t->chroma_mean = 0.0005;
  t->range_excess = 0.0005;
  t->nonfinite = 0;
  t->sharpness_min_db = -0.5;
  t->sharpness_max_db = 12.0;
  t->hf_over_ref_db = 3.0;
  t->grain_over_ref_db = 6.0;
  t->halo_excess = 0.03;
  t->flicker_luma = 0.01;
  t->flicker_detail_db = 1.5;
  t->psnr_drop_db = 0.5;
}

sr_qa_context *
sr_qa_context_new(const sr_prep_settings *prep, sr_error *err)
{
  sr_qa_context *ctx = calloc(1, sizeof *ctx);
  if (!ctx) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory creating the QA context"));
    return NULL;
  }
  ctx->prep = *prep;
  ctx->prep.source_domain = NULL; /* the caller's may not outlive the context */
  ctx->source_domain = sr_prep_domain_new(prep, true, err);
  if (!ctx->source_domain) {
    sr_qa_context_free(ctx);
    return NULL;
  }
  ctx->reference_domain = sr_prep_domain_new(prep, false, err);
  if (!ctx->reference_domain) {
    sr_qa_context_free(ctx);
    return NULL;
  }
  return ctx;
}

void
sr_qa_context_free(sr_qa_context *ctx)
{
  if (!ctx)
    return;
  sr_domain_free(ctx->source_domain);
  sr_domain_free(ctx->reference_domain);
  free(ctx);
}

static void
planes_clear(planes *p)
{
  free(p->y);
  free(p->cb);
  free(p->cr);
  memset(p, 0, sizeof *p);
}

static float *
plane_alloc(int w, int h)
{
  return malloc((size_t)w * (size_t)h * sizeof(float));
}

/* Crop → RGB → domain (unclamped) → YCbCr planes; non-finite values become 0
 * so one bad pixel does not poison every statistic (they are counted apart). */
/* A value within this of 0 or 1 counts as inside: pixels the merge brings
 * exactly to a bound come back from half-float storage up to ~5e-4 beyond
 * it, which is rounding, not a range excursion. */
#define RANGE_TOLERANCE 1e-3f

static bool
to_planes(const sr_image *img, const sr_domain *d, sr_ycbcr_matrix m, sr_rect crop, planes *p,
          const char *what, sr_error *err)
{
  memset(p, 0, sizeof *p);
  p->w = crop.w;
  p->h = crop.h;
  size_t n = (size_t)crop.w * (size_t)crop.h;
  float *rgb = malloc(n * 3 * sizeof(float));
  p->y = plane_alloc(crop.w, crop.h);
  p->cb = plane_alloc(crop.w, crop.h);
  p->cr = plane_alloc(crop.w, crop.h);
  if (!rgb || !p->y || !p->cb || !p->cr) {
    free(rgb);
    planes_clear(p);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory measuring the %s (%dx%d)"), what, crop.w,
                 crop.h);
    return false;
  }
  int c = img->channels;
  for (int y = 0; y < crop.h; y++) {
    const float *row = sr_image_row(img, crop.y + y) + (size_t)crop.x * (size_t)c;
    float *dst = rgb + (size_t)y * (size_t)crop.w * 3;
    for (int x = 0; x < crop.w; x++) {
      const float *px = row + (size_t)x * (size_t)c;
      for (int k = 0; k < 3; k++) {
        float v = c >= 3 ? px[k] : px[0];
        dst[(size_t)x * 3 + (size_t)k] = isfinite(v) ? v : 0.0f;
      }
    }
  }
  if (c >= 3)
    sr_domain_forward(d, rgb, n, 3);
  size_t outside = 0;
  for (size_t i = 0; i < n * 3; i++) {
    if (!isfinite(rgb[i]))
      rgb[i] = 0.0f;
    if (rgb[i] < -RANGE_TOLERANCE || rgb[i] > 1.0f + RANGE_TOLERANCE)
      outside++;
  }
  p->range_fraction = (double)outside / (double)(n * 3);
  sr_ycbcr_coeffs k = sr_ycbcr_coefficients(m);
  for (size_t i = 0; i < n; i++) {
    float r = rgb[i * 3], g = rgb[i * 3 + 1], b = rgb[i * 3 + 2];
    float yy = sr_luma(k, r, g, b);
    p->y[i] = yy;
    p->cb[i] = (b - yy) / (2.0f * (1.0f - k.kb));
    p->cr[i] = (r - yy) / (2.0f * (1.0f - k.kr));
  }
  free(rgb);
  return true;
}

static inline int
clampi(int v, int lo, int hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

/* One à-trous B3-spline pass at dilation d, edges replicated:
 * out = [1 4 6 4 1]/16 along x then y, taps 0, ±d, ±2d. */
static void
atrous_smooth(const float *in, float *out, float *tmp, int w, int h, int d)
{
  static const float k[5] = {1.0f / 16, 4.0f / 16, 6.0f / 16, 4.0f / 16, 1.0f / 16};
  int lo = 2 * d < w ? 2 * d : w, hi = w - 2 * d > lo ? w - 2 * d : lo;
  for (int y = 0; y < h; y++) {
    const float *r = in + (size_t)y * (size_t)w;
    float *t = tmp + (size_t)y * (size_t)w;
    for (int x = 0; x < w; x++) {
      if (x == lo) {
        /* Interior: every tap inside the row, no clamping. */
        for (; x < hi; x++)
          t[x] = k[0] * (r[x - 2 * d] + r[x + 2 * d]) + k[1] * (r[x - d] + r[x + d]) + k[2] * r[x];
        if (x >= w)
          break;
      }
      float s = 0.0f;
      for (int j = -2; j <= 2; j++)
        s += k[j + 2] * r[clampi(x + j * d, 0, w - 1)];
      t[x] = s;
    }
  }
  for (int y = 0; y < h; y++) {
    const float *rows[5];
    for (int j = -2; j <= 2; j++)
      rows[j + 2] = tmp + (size_t)clampi(y + j * d, 0, h - 1) * (size_t)w;
    float *o = out + (size_t)y * (size_t)w;
    for (int x = 0; x < w; x++)
      o[x] = k[0] * rows[0][x] + k[1] * rows[1][x] + k[2] * rows[2][x] + k[3] * rows[3][x] +
             k[4] * rows[4][x];
  }
}

/* Band energies of y; band0 (w*h, may be NULL) receives the finest band and
 * coarse (may be NULL) the G_2 smoothing. Returns false on no memory. */
static bool
bands(const float *y, int w, int h, double energy[3], float *band0, float *coarse)
{
  size_t n = (size_t)w * (size_t)h;
  float *g_prev = plane_alloc(w, h), *g_next = plane_alloc(w, h), *tmp = plane_alloc(w, h);
  if (!g_prev || !g_next || !tmp) {
    free(g_prev);
    free(g_next);
    free(tmp);
    return false;
  }
  memcpy(g_prev, y, n * sizeof(float));
  for (int level = 0; level < 3; level++) {
    atrous_smooth(g_prev, g_next, tmp, w, h, 1 << level);
    double e = 0.0;
    for (size_t i = 0; i < n; i++) {
      double b = (double)g_prev[i] - (double)g_next[i];
      e += b * b;
      if (level == 0 && band0)
        band0[i] = (float)b;
    }
    energy[level] = n ? e / (double)n : 0.0;
    if (level == 1 && coarse)
      memcpy(coarse, g_next, n * sizeof(float));
    float *swap = g_prev;
    g_prev = g_next;
    g_next = swap;
  }
  free(g_prev);
  free(g_next);
  free(tmp);
  return true;
}

void
sr_qa_band_energies(const float *y, int w, int h, double out[3])
{
  if (!bands(y, w, h, out, NULL, NULL))
    out[0] = out[1] = out[2] = NAN;
}

static double
hf_energy(const double e[3])
{
  return e[0] + e[1];
}

static double
db_ratio(double a, double b)
{
  /* Tiny floor: two featureless planes compare as equal (0 dB). */
  const double floor = 1e-20;
  return 10.0 * log10((a + floor) / (b + floor));
}

/* Flat-area mask: pixels whose coarse gradient is in the lowest quarter. */
static unsigned char *
flat_mask(const float *coarse, int w, int h, size_t *count)
{
  size_t n = (size_t)w * (size_t)h;
  float *grad = plane_alloc(w, h);
  unsigned char *mask = calloc(n ? n : 1, 1);
  size_t *hist = calloc(GRAD_BINS, sizeof(size_t));
  if (!grad || !mask || !hist) {
    free(grad);
    free(mask);
    free(hist);
    return NULL;
  }
  float gmax = 0.0f;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float gx = coarse[(size_t)y * w + clampi(x + 1, 0, w - 1)] -
                 coarse[(size_t)y * w + clampi(x - 1, 0, w - 1)];
      float gy = coarse[(size_t)clampi(y + 1, 0, h - 1) * w + x] -
                 coarse[(size_t)clampi(y - 1, 0, h - 1) * w + x];
      float g = sqrtf(gx * gx + gy * gy);
      grad[(size_t)y * w + x] = g;
      if (g > gmax)
        gmax = g;
    }
  float thr = gmax;
  if (gmax > 0.0f) {
    for (size_t i = 0; i < n; i++) {
      int b = (int)(grad[i] / gmax * (GRAD_BINS - 1));
      hist[clampi(b, 0, GRAD_BINS - 1)]++;
    }
    size_t want = (size_t)(FLAT_PERCENTILE * (double)n), acc = 0;
    for (int b = 0; b < GRAD_BINS; b++) {
      acc += hist[b];
      if (acc >= want) {
        thr = (float)(b + 1) / (GRAD_BINS - 1) * gmax;
        break;
      }
    }
  }
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    if (grad[i] <= thr) {
      mask[i] = 1;
      c++;
    }
  free(grad);
  free(hist);
  *count = c;
  return mask;
}

unsigned char *
sr_qa_flat_mask(const float *source_y, int w, int h, size_t *count)
{
  double e[3];
  float *coarse = plane_alloc(w, h);
  unsigned char *mask =
      coarse && bands(source_y, w, h, e, NULL, coarse) ? flat_mask(coarse, w, h, count) : NULL;
  free(coarse);
  return mask;
}

/* Grain as regrain measures and targets it (sr-grain.h): the variance of
 * the flat blocks' noise power spectrum; NaN when no block is flat. */
static bool
flat_grain(const float *y, const unsigned char *mask, int w, int h, double *out, sr_error *err)
{
  sr_grain_profile p;
  sr_grain_profile_init(&p);
  if (!sr_grain_measure_mask(&p, y, mask, w, h, err))
    return false;
  *out = sr_grain_variance(&p);
  return true;
}

/* Separable running min and max of radius r (edges replicated). */
static bool
local_min_max(const float *y, int w, int h, int r, float *mn, float *mx)
{
  float *tmn = plane_alloc(w, h), *tmx = plane_alloc(w, h);
  if (!tmn || !tmx) {
    free(tmn);
    free(tmx);
    return false;
  }
  for (int yy = 0; yy < h; yy++) {
    const float *row = y + (size_t)yy * w;
    for (int x = 0; x < w; x++) {
      float a = FLT_MAX, b = -FLT_MAX;
      for (int j = -r; j <= r; j++) {
        float v = row[clampi(x + j, 0, w - 1)];
        a = v < a ? v : a;
        b = v > b ? v : b;
      }
      tmn[(size_t)yy * w + x] = a;
      tmx[(size_t)yy * w + x] = b;
    }
  }
  for (int yy = 0; yy < h; yy++)
    for (int x = 0; x < w; x++) {
      float a = FLT_MAX, b = -FLT_MAX;
      for (int j = -r; j <= r; j++) {
        size_t i = (size_t)clampi(yy + j, 0, h - 1) * w + x;
        a = tmn[i] < a ? tmn[i] : a;
        b = tmx[i] > b ? tmx[i] : b;
      }
      mn[(size_t)yy * w + x] = a;
      mx[(size_t)yy * w + x] = b;
    }
  free(tmn);
  free(tmx);
  return true;
}

/* Mean of overshoot / local contrast over strong-edge windows:
 * o = (max(0, y − max_src) + max(0, min_src − y)) / (max_src − min_src). */
static double
halo_score(const float *y, const float *mn, const float *mx, size_t n, size_t *edges)
{
  double s = 0.0;
  size_t c = 0;
  for (size_t i = 0; i < n; i++) {
    float range = mx[i] - mn[i];
    if (range < HALO_EDGE_CONTRAST)
      continue;
    float o = 0.0f;
    if (y[i] > mx[i])
      o = y[i] - mx[i];
    else if (y[i] < mn[i])
      o = mn[i] - y[i];
    s += (double)(o / range);
    c++;
  }
  if (edges)
    *edges = c;
  return c ? s / (double)c : 0.0;
}

double
sr_qa_psnr(const float *a, const float *b, int w, int h)
{
  size_t n = (size_t)w * (size_t)h;
  if (!n)
    return NAN;
  double se = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)a[i] - (double)b[i];
    se += d * d;
  }
  double mse = se / (double)n;
  if (mse <= 0.0)
    return INFINITY;
  return 10.0 * log10(1.0 / mse);
}

double
sr_qa_psnr_tone_fit(const float *a, const float *b, int w, int h)
{
  size_t n = (size_t)w * (size_t)h;
  if (!n)
    return NAN;
  double ma = 0, mb = 0;
  for (size_t i = 0; i < n; i++)
    ma += a[i], mb += b[i];
  ma /= (double)n, mb /= (double)n;
  double vaa = 0, vab = 0;
  for (size_t i = 0; i < n; i++) {
    double da = (double)a[i] - ma;
    vaa += da * da;
    vab += da * ((double)b[i] - mb);
  }
  /* b ≈ g (a − mean a) + mean b; a flat plane keeps only the offset. */
  double g = vaa > 0 ? vab / vaa : 0.0, se = 0;
  for (size_t i = 0; i < n; i++) {
    double d = g * ((double)a[i] - ma) + mb - (double)b[i];
    se += d * d;
  }
  double mse = se / (double)n;
  return mse <= 0.0 ? INFINITY : 10.0 * log10(1.0 / mse);
}

/* Y − G_2 (bands 0 and 1 together) into hf. */
static bool
hf_detail(const float *y, int w, int h, float *hf)
{
  size_t n = (size_t)w * (size_t)h;
  float *g1 = plane_alloc(w, h), *tmp = plane_alloc(w, h);
  bool ok = g1 && tmp;
  if (ok) {
    atrous_smooth(y, g1, tmp, w, h, 1);
    atrous_smooth(g1, hf, tmp, w, h, 2);
    for (size_t i = 0; i < n; i++)
      hf[i] = y[i] - hf[i];
  }
  free(g1);
  free(tmp);
  return ok;
}

double
sr_qa_hf_correlation(const float *a, const float *b, int w, int h)
{
  size_t n = (size_t)w * (size_t)h;
  float *ha = plane_alloc(w, h), *hb = plane_alloc(w, h);
  double r = NAN;
  if (n && ha && hb && hf_detail(a, w, h, ha) && hf_detail(b, w, h, hb)) {
    double sab = 0, saa = 0, sbb = 0, ma = 0, mb = 0;
    for (size_t i = 0; i < n; i++)
      ma += ha[i], mb += hb[i];
    ma /= (double)n, mb /= (double)n;
    for (size_t i = 0; i < n; i++) {
      double da = ha[i] - ma, db = hb[i] - mb;
      sab += da * db, saa += da * da, sbb += db * db;
    }
    r = saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : 0.0;
  }
  free(ha);
  free(hb);
  return r;
}

static double
ssim_from_moments(double ma, double mb, double va, double vb, double cov)
{
  const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  return ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
}

double
sr_qa_ssim(const float *a, const float *b, int w, int h)
{
  size_t n = (size_t)w * (size_t)h;
  if (!n)
    return NAN;
  if (w < 11 || h < 11) {
    double ma = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
      ma += a[i];
      mb += b[i];
    }
    ma /= (double)n;
    mb /= (double)n;
    double va = 0, vb = 0, cov = 0;
    for (size_t i = 0; i < n; i++) {
      double da = a[i] - ma, dbb = b[i] - mb;
      va += da * da;
      vb += dbb * dbb;
      cov += da * dbb;
    }
    return ssim_from_moments(ma, mb, va / (double)n, vb / (double)n, cov / (double)n);
  }
  /* Gaussian σ = 1.5, 11 taps, 'valid' region as in the reference method. */
  float g[11];
  double gs = 0.0;
  for (int i = 0; i < 11; i++) {
    double x = i - 5;
    g[i] = (float)exp(-x * x / (2.0 * 1.5 * 1.5));
    gs += g[i];
  }
  for (int i = 0; i < 11; i++)
    g[i] = (float)(g[i] / gs);
  int ow = w - 10, oh = h - 10;
  /* Horizontal pass of the five moments over all rows, then vertical. */
  size_t hn = (size_t)ow * (size_t)h;
  float *hbuf = malloc(hn * 5 * sizeof(float));
  if (!hbuf)
    return NAN;
  for (int y = 0; y < h; y++) {
    const float *ra = a + (size_t)y * w, *rb = b + (size_t)y * w;
    for (int x = 0; x < ow; x++) {
      float s[5] = {0};
      for (int k = 0; k < 11; k++) {
        float va = ra[x + k], vb = rb[x + k];
        s[0] += g[k] * va;
        s[1] += g[k] * vb;
        s[2] += g[k] * va * va;
        s[3] += g[k] * vb * vb;
        s[4] += g[k] * va * vb;
      }
      for (int m = 0; m < 5; m++)
        hbuf[(size_t)m * hn + (size_t)y * ow + x] = s[m];
    }
  }
  double total = 0.0;
  for (int y = 0; y < oh; y++)
    for (int x = 0; x < ow; x++) {
      double s[5] = {0};
      for (int k = 0; k < 11; k++)
        for (int m = 0; m < 5; m++)
          s[m] += g[k] * hbuf[(size_t)m * hn + (size_t)(y + k) * ow + x];
      double va = s[2] - s[0] * s[0], vb = s[3] - s[1] * s[1], cov = s[4] - s[0] * s[1];
      total += ssim_from_moments(s[0], s[1], va, vb, cov);
    }
  free(hbuf);
  return total / ((double)ow * (double)oh);
}

static double
mean_of(const float *p, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += p[i];
  return n ? s / (double)n : NAN;
}

static void
frame_init(sr_qa_frame *f, int frame)
{
  memset(f, 0, sizeof *f);
  f->frame = frame;
  double *nanfields[] = {
      &f->hf_vs_reference_db,
      &f->source_hf_vs_reference_db,
      &f->grain_ref,
      &f->grain_vs_reference_db,
      &f->reference_halo_score,
      &f->flicker_luma,
      &f->flicker_detail_db,
      &f->psnr,
      &f->ssim,
      &f->psnr_source,
      &f->ssim_source,
      &f->psnr_tone_fit,
      &f->hf_correlation,
      &f->grain_out,
      &f->grain_src,
      &f->grain_vs_source_db,
  };
  for (size_t i = 0; i < sizeof nanfields / sizeof nanfields[0]; i++)
    *nanfields[i] = NAN;
  for (int k = 0; k < 3; k++)
    f->band_ref[k] = NAN;
}

bool
sr_qa_measure_frame(const sr_qa_context *ctx, int frame, const sr_image *output,
                    const sr_image *source, const sr_image *reference, const sr_qa_options *opts,
                    sr_qa_frame *out, sr_error *err)
{
  frame_init(out, frame);
  if (!output || !source) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("frame %d: QA needs both the rendered and the Source frame"), frame);
    return false;
  }
  if (output->width != source->width || output->height != source->height) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("frame %d: the render is %dx%d but the Source is %dx%d; render with the "
                     "project's settings so both have the same size"),
                 frame, output->width, output->height, source->width, source->height);
    return false;
  }
  if (reference && (reference->width != source->width || reference->height != source->height)) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("frame %d: the Reference is %dx%d but the Source is %dx%d; the Reference must "
                     "be aligned and framed like the Source"),
                 frame, reference->width, reference->height, source->width, source->height);
    return false;
  }
  /* Same rule as sr_prep_effective_crop: an unset crop is the whole frame. */
  sr_rect crop =
      ctx->prep.crop.w > 0 ? ctx->prep.crop : (sr_rect){0, 0, source->width, source->height};
  if (!sr_rect_inside(crop, source->width, source->height)) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("frame %d: the crop %dx%d+%d+%d leaves the %dx%d frame; fix the crop"), frame,
                 crop.w, crop.h, crop.x, crop.y, source->width, source->height);
    return false;
  }
  out->held_out = opts && opts->held_out;
  out->nonfinite = sr_image_count_nonfinite(output);

  bool ok = false;
  planes po = {0}, ps = {0}, pr = {0};
  float *band0_out = NULL, *band0_src = NULL, *band0_ref = NULL, *coarse = NULL;
  float *mn = NULL, *mx = NULL;
  unsigned char *mask = NULL;
  int w = crop.w, h = crop.h;
  size_t n = (size_t)w * (size_t)h;

  if (!to_planes(output, ctx->source_domain, ctx->prep.matrix, crop, &po, SR_("render"), err) ||
      !to_planes(source, ctx->source_domain, ctx->prep.matrix, crop, &ps, SR_("Source"), err))
    goto done;
  if (reference && !to_planes(reference, ctx->reference_domain, ctx->prep.matrix, crop, &pr,
                              SR_("Reference"), err))
    goto done;
  out->has_reference = reference != NULL;
  out->range_fraction = po.range_fraction;
  out->source_range_fraction = ps.range_fraction;

  double scb = 0, scr = 0;
  for (size_t i = 0; i < n; i++) {
    double dcb = fabs((double)po.cb[i] - (double)ps.cb[i]);
    double dcr = fabs((double)po.cr[i] - (double)ps.cr[i]);
    out->dcb_max = dcb > out->dcb_max ? dcb : out->dcb_max;
    out->dcr_max = dcr > out->dcr_max ? dcr : out->dcr_max;
    scb += dcb;
    scr += dcr;
  }
  out->dcb_mean = scb / (double)n;
  out->dcr_mean = scr / (double)n;
  out->chroma_max = out->dcb_max > out->dcr_max ? out->dcb_max : out->dcr_max;

  band0_out = plane_alloc(w, h);
  band0_src = plane_alloc(w, h);
  coarse = plane_alloc(w, h);
  mn = plane_alloc(w, h);
  mx = plane_alloc(w, h);
  if (reference)
    band0_ref = plane_alloc(w, h);
  if (!band0_out || !band0_src || !coarse || !mn || !mx || (reference && !band0_ref) ||
      !bands(po.y, w, h, out->band_out, band0_out, NULL) ||
      !bands(ps.y, w, h, out->band_src, band0_src, coarse) ||
      (reference && !bands(pr.y, w, h, out->band_ref, band0_ref, NULL)) ||
      !(mask = flat_mask(coarse, w, h, &out->flat_pixels)) ||
      !local_min_max(ps.y, w, h, HALO_RADIUS, mn, mx)) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("frame %d: out of memory computing QA metrics (%dx%d)"),
                 frame, w, h);
    goto done;
  }
  double hf_out = hf_energy(out->band_out), hf_src = hf_energy(out->band_src);
  out->sharpness_gain = (hf_out + 1e-20) / (hf_src + 1e-20);
  out->sharpness_gain_db = db_ratio(hf_out, hf_src);
  out->hf_db_out = db_ratio(hf_out, 1.0);
  out->hf_db_src = db_ratio(hf_src, 1.0);
  if (!flat_grain(po.y, mask, w, h, &out->grain_out, err) ||
      !flat_grain(ps.y, mask, w, h, &out->grain_src, err))
    goto done;
  out->grain_vs_source_db = db_ratio(out->grain_out, out->grain_src);
  out->halo_score = halo_score(po.y, mn, mx, n, &out->edge_pixels);
  out->mean_y_out = mean_of(po.y, n);
  out->mean_y_src = mean_of(ps.y, n);

  if (reference) {
    double hf_ref = hf_energy(out->band_ref);
    out->hf_vs_reference_db = db_ratio(hf_out, hf_ref);
    out->source_hf_vs_reference_db = db_ratio(hf_src, hf_ref);
    if (!flat_grain(pr.y, mask, w, h, &out->grain_ref, err))
      goto done;
    out->grain_vs_reference_db = db_ratio(out->grain_out, out->grain_ref);
    out->reference_halo_score = halo_score(pr.y, mn, mx, n, NULL);
    if (opts && opts->fidelity) {
      out->psnr = sr_qa_psnr(po.y, pr.y, w, h);
      out->ssim = sr_qa_ssim(po.y, pr.y, w, h);
      out->psnr_source = sr_qa_psnr(ps.y, pr.y, w, h);
      out->ssim_source = sr_qa_ssim(ps.y, pr.y, w, h);
      out->psnr_tone_fit = sr_qa_psnr_tone_fit(po.y, pr.y, w, h);
      out->hf_correlation = sr_qa_hf_correlation(po.y, pr.y, w, h);
    }
  }
  ok = true;
done:
  planes_clear(&po);
  planes_clear(&ps);
  planes_clear(&pr);
  free(band0_out);
  free(band0_src);
  free(band0_ref);
  free(coarse);
  free(mn);
  free(mx);
  free(mask);
  return ok;
}

double
sr_qa_sequence_flicker(sr_qa_frame *frames, int n, double *detail_index)
{
  double sl = 0, sd = 0;
  int c = 0;
  for (int i = 0; i < n; i++) {
    frames[i].flicker_luma = NAN;
    frames[i].flicker_detail_db = NAN;
    if (i == 0 || frames[i].frame != frames[i - 1].frame + 1)
      continue;
    const sr_qa_frame *p = &frames[i - 1], *f = &frames[i];
    double dl = (f->mean_y_out - p->mean_y_out) - (f->mean_y_src - p->mean_y_src);
    double dd = (f->hf_db_out - p->hf_db_out) - (f->hf_db_src - p->hf_db_src);
    frames[i].flicker_luma = fabs(dl);
    frames[i].flicker_detail_db = fabs(dd);
    sl += fabs(dl);
    sd += fabs(dd);
    c++;
  }
  if (detail_index)
    *detail_index = c ? sd / c : 0.0;
  return c ? sl / c : 0.0;
}

static void add_flag(sr_qa_frame *f, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add_flag(sr_qa_frame *f, const char *id, const char *fmt, ...)
{
  if (f->n_flags >= SR_QA_MAX_FLAGS)
    return;
  sr_qa_flag *fl = &f->flags[f->n_flags++];
  snprintf(fl->id, sizeof fl->id, "%s", id);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(fl->reason, sizeof fl->reason, fmt, ap);
  va_end(ap);
}

int
sr_qa_flag_frame(sr_qa_frame *f, const sr_qa_thresholds *t)
{
  f->n_flags = 0;
  memset(f->flags, 0, sizeof f->flags);
  if ((double)f->nonfinite > t->nonfinite)
    add_flag(f, "nonfinite", SR_("%zu NaN/Inf values in the render; re-render this frame"),
             f->nonfinite);
  if (f->chroma_max > t->chroma_max)
    add_flag(f, "chroma-shift",
             SR_("colour shift vs the Source: max |dCb| %.4f, |dCr| %.4f (limit %.4f)"), f->dcb_max,
             f->dcr_max, t->chroma_max);
  else if (f->dcb_mean > t->chroma_mean || f->dcr_mean > t->chroma_mean)
    add_flag(f, "chroma-shift",
             SR_("colour shift vs the Source: mean |dCb| %.5f, |dCr| %.5f (limit %.5f)"),
             f->dcb_mean, f->dcr_mean, t->chroma_mean);
  if (f->range_fraction - f->source_range_fraction > t->range_excess)
    add_flag(f, "range",
             SR_("%.3f %% of values outside 0-1 in the training domain (Source: %.3f %%)"),
             100.0 * f->range_fraction, 100.0 * f->source_range_fraction);
  if (f->sharpness_gain_db < t->sharpness_min_db)
    add_flag(f, "detail-loss", SR_("detail loss: %.2f dB less fine detail than the Source"),
             -f->sharpness_gain_db);
  if (f->has_reference && f->hf_vs_reference_db > t->hf_over_ref_db)
    add_flag(f, "over-sharpening",
             SR_("over-sharpening: fine detail %.2f dB above the Reference (limit %.1f dB)"),
             f->hf_vs_reference_db, t->hf_over_ref_db);
  else if (!f->has_reference && f->sharpness_gain_db > t->sharpness_max_db)
    add_flag(f, "over-sharpening",
             SR_("over-sharpening: fine detail %.2f dB above the Source (limit %.1f dB)"),
             f->sharpness_gain_db, t->sharpness_max_db);
  if (f->has_reference && isfinite(f->grain_vs_reference_db) &&
      fabs(f->grain_vs_reference_db) > t->grain_over_ref_db)
    add_flag(f, "grain-mismatch",
             f->grain_vs_reference_db > 0
                 ? SR_("grain stronger than the Reference's by %.2f dB in flat areas")
                 : SR_("grain weaker than the Reference's by %.2f dB in flat areas"),
             fabs(f->grain_vs_reference_db));
  double halo_base =
      f->has_reference && isfinite(f->reference_halo_score) ? f->reference_halo_score : 0.0;
  if (f->halo_score - halo_base > t->halo_excess)
    add_flag(f, "halo",
             SR_("halos: overshoot %.1f %% of edge contrast at %zu edge pixels (Reference %.1f "
                 "%%)"),
             100.0 * f->halo_score, f->edge_pixels, 100.0 * halo_base);
  if (isfinite(f->flicker_luma) && f->flicker_luma > t->flicker_luma)
    add_flag(f, "flicker",
             SR_("flicker: luma jumps %.4f vs the previous frame beyond the Source's"),
             f->flicker_luma);
  if (isfinite(f->flicker_detail_db) && f->flicker_detail_db > t->flicker_detail_db)
    add_flag(f, "detail-flicker",
             SR_("inconsistent detail: detail level jumps %.2f dB vs the previous frame beyond the "
                 "Source's"),
             f->flicker_detail_db);
  if (f->held_out && isfinite(f->psnr_source) && !isnan(f->psnr) &&
      f->psnr < f->psnr_source - t->psnr_drop_db)
    add_flag(f, "held-out-worse",
             SR_("held-out frame: PSNR %.2f dB vs the Reference is below the Source's %.2f dB"),
             f->psnr, f->psnr_source);
  return f->n_flags;
}

void
sr_qa_summarise(const sr_qa_frame *frames, int n, sr_qa_summary *s)
{
  memset(s, 0, sizeof *s);
  s->n_frames = n;
  s->hf_vs_reference_db_mean = NAN;
  s->psnr_mean = s->ssim_mean = s->psnr_source_mean = s->ssim_source_mean = NAN;
  double sg = 0, hr = 0, fl = 0, fd = 0, ps = 0, ss = 0, pss = 0, sss = 0;
  int nhr = 0, nfl = 0, nps = 0;
  for (int i = 0; i < n; i++) {
    const sr_qa_frame *f = &frames[i];
    if (f->n_flags)
      s->n_flagged++;
    s->chroma_max = f->chroma_max > s->chroma_max ? f->chroma_max : s->chroma_max;
    s->range_fraction_max =
        f->range_fraction > s->range_fraction_max ? f->range_fraction : s->range_fraction_max;
    s->nonfinite_total += f->nonfinite;
    s->halo_score_max = f->halo_score > s->halo_score_max ? f->halo_score : s->halo_score_max;
    sg += f->sharpness_gain_db;
    if (f->has_reference && isfinite(f->hf_vs_reference_db)) {
      hr += f->hf_vs_reference_db;
      nhr++;
    }
    if (isfinite(f->flicker_luma)) {
      fl += f->flicker_luma;
      fd += f->flicker_detail_db;
      nfl++;
    }
    if (f->held_out)
      s->n_held_out++;
    if (f->held_out && !isnan(f->psnr) && !isnan(f->ssim)) {
      /* An exact match (PSNR = inf) is reported as 99 dB in the mean. */
      ps += isfinite(f->psnr) ? f->psnr : 99.0;
      ss += f->ssim;
      pss += isfinite(f->psnr_source) ? f->psnr_source : 99.0;
      sss += f->ssim_source;
      nps++;
    }
  }
  s->sharpness_gain_db_mean = n ? sg / n : NAN;
  if (nhr)
    s->hf_vs_reference_db_mean = hr / nhr;
  s->flicker_index = nfl ? fl / nfl : 0.0;
  s->flicker_detail_index = nfl ? fd / nfl : 0.0;
  if (nps) {
    s->psnr_mean = ps / nps;
    s->ssim_mean = ss / nps;
    s->psnr_source_mean = pss / nps;
    s->ssim_source_mean = sss / nps;
  }
}

/* ---- metrics on images ------------------------------------------------------- */

/* Y plane of an RGB (or one-channel) image; NULL when memory runs out. */
static float *
image_luma(const sr_image *img, sr_ycbcr_matrix m)
{
  size_t n = (size_t)img->width * (size_t)img->height;
  float *y = malloc((n ? n : 1) * sizeof *y);
  if (!y)
    return NULL;
  sr_luma_plane(img, sr_ycbcr_coefficients(m), y);
  return y;
}

typedef double (*plane_metric)(const float *a, const float *b, int w, int h);

static double
image_metric(const sr_image *a, const sr_image *b, sr_ycbcr_matrix m, plane_metric metric)
{
  if (a->width != b->width || a->height != b->height || a->width < 1 || a->height < 1)
    return NAN;
  float *ya = image_luma(a, m), *yb = image_luma(b, m);
  double v = ya && yb ? metric(ya, yb, a->width, a->height) : NAN;
  free(ya);
  free(yb);
  return v;
}

double
sr_qa_psnr_y(const sr_image *a, const sr_image *b, sr_ycbcr_matrix m)
{
  return image_metric(a, b, m, sr_qa_psnr);
}

double
sr_qa_ssim_y(const sr_image *a, const sr_image *b, sr_ycbcr_matrix m)
{
  return image_metric(a, b, m, sr_qa_ssim);
}

double
sr_qa_psnr_display(double db)
{
  return db > SR_QA_PSNR_DISPLAY_MAX_DB ? SR_QA_PSNR_DISPLAY_MAX_DB : db;
}
