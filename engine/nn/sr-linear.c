/* sr-linear.c — the linear branch: least-squares 9×9 luma filter and cubic
 * tone curve, fitted in closed form, and applied on the host. See
 * sr-linear.h for the model. */
#include "sr-linear.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr-i18n.h"

/* Unknowns: the taps, then t0, t2, t3. */
#define N_COEF (SR_LINEAR_TAPS + SR_LINEAR_TONE)
/* Ridge on the normal equations, relative to their mean diagonal: enough to
 * keep a flat or periodic pair set solvable, far below what moves a fit. */
#define RIDGE 1e-10

void
sr_linear_identity(sr_linear *lin, sr_ycbcr_matrix m)
{
  memset(lin, 0, sizeof *lin);
  lin->filter[SR_LINEAR_TAPS / 2] = 1.0f;
  lin->luma = sr_ycbcr_coefficients(m);
}

/* Mirror index without repeating the edge pixel (…2 1 0 1 2…), the padding
 * sr_infer_delta gives the network. */
static int
reflect(int i, int n)
{
  if (n == 1)
    return 0;
  int period = 2 * (n - 1);
  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - i;
}

/* Y of one w×h RGB plane into a (w+8)×(h+8) plane mirrored by the radius. */
static void
padded_luma(const float *rgb, int w, int h, sr_ycbcr_coeffs c, float *out)
{
  const int r = SR_LINEAR_RADIUS, pw = w + 2 * r;
  for (int y = 0; y < h + 2 * r; y++) {
    const float *row = rgb + (size_t)reflect(y - r, h) * (size_t)w * 3;
    float *o = out + (size_t)y * (size_t)pw;
    for (int x = 0; x < pw; x++) {
      const float *p = row + (size_t)reflect(x - r, w) * 3;
      o[x] = sr_luma(c, p[0], p[1], p[2]);
    }
  }
}

/* Ŷ − Y at one pixel of a padded plane (row stride pw, (x, y) unpadded). */
static inline float
delta_at(const sr_linear *lin, const float *py, int pw, int x, int y)
{
  const float *centre = py + (size_t)(y + SR_LINEAR_RADIUS) * (size_t)pw + SR_LINEAR_RADIUS + x;
  float s = 0.0f;
  const float *f = lin->filter;
  for (int dy = -SR_LINEAR_RADIUS; dy <= SR_LINEAR_RADIUS; dy++) {
    const float *row = centre + (ptrdiff_t)dy * pw - SR_LINEAR_RADIUS;
    for (int k = 0; k < SR_LINEAR_SIDE; k++)
      s += f[k] * row[k];
    f += SR_LINEAR_SIDE;
  }
  float v = *centre;
  return s + lin->tone[0] + v * v * (lin->tone[1] + v * lin->tone[2]) - v;
}

static bool
check_plane(int n, int w, int h, sr_error *err)
{
  if (n < 1 || w < 1 || h < 1) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("linear branch: %d planes of %dx%d is not a usable shape"), n, w, h);
    return false;
  }
  return true;
}

bool
sr_linear_delta(const sr_linear *lin, const float *rgb, int n, int w, int h, float *dy,
                bool accumulate, sr_error *err)
{
  if (!check_plane(n, w, h, err))
    return false;
  int pw = w + 2 * SR_LINEAR_RADIUS, ph = h + 2 * SR_LINEAR_RADIUS;
  float *py = malloc((size_t)pw * (size_t)ph * sizeof *py);
  if (!py) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("linear branch: out of memory for a %dx%d plane"), w, h);
    return false;
  }
  size_t plane = (size_t)w * (size_t)h;
  for (int b = 0; b < n; b++) {
    padded_luma(rgb + (size_t)b * plane * 3, w, h, lin->luma, py);
    float *o = dy + (size_t)b * plane;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float d = delta_at(lin, py, pw, x, y);
        size_t i = (size_t)y * (size_t)w + (size_t)x;
        o[i] = accumulate ? o[i] + d : d;
      }
  }
  free(py);
  return true;
}

bool
sr_linear_subtract(const sr_linear *lin, const float *src, int n, int w, int h, float *target,
                   sr_error *err)
{
  if (!check_plane(n, w, h, err))
    return false;
  size_t count = (size_t)n * (size_t)w * (size_t)h;
  float *dy = malloc(count * sizeof *dy);
  if (!dy) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("linear branch: out of memory for a %dx%d plane"), w, h);
    return false;
  }
  bool ok = sr_linear_delta(lin, src, n, w, h, dy, false, err);
  /* kr + kg + kb = 1, so Y(target − d·(1,1,1)) = Y(target) − d. */
  for (size_t i = 0; ok && i < count; i++)
    for (int c = 0; c < 3; c++)
      target[3 * i + c] -= dy[i];
  free(dy);
  return ok;
}

/* ---- fit ------------------------------------------------------------------------ */

/* Adds one sample's features x (and target t) to the upper triangle of the
 * normal equations. */
static void
accumulate(double *ata, double *atb, const double *x, double t)
{
  for (int i = 0; i < N_COEF; i++) {
    double xi = x[i];
    double *row = ata + (size_t)i * N_COEF;
    for (int j = i; j < N_COEF; j++)
      row[j] += xi * x[j];
    atb[i] += xi * t;
  }
}

/* Solves A c = b for symmetric positive definite A (upper triangle filled)
 * by Cholesky, A = L Lᵀ, in place. False when A is not positive definite. */
static bool
cholesky_solve(double *a, double *b, double *c)
{
  const int n = N_COEF;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++)
      a[(size_t)i * n + j] = a[(size_t)j * n + i];
  for (int j = 0; j < n; j++) {
    double d = a[(size_t)j * n + j];
    for (int k = 0; k < j; k++)
      d -= a[(size_t)j * n + k] * a[(size_t)j * n + k];
    if (!(d > 0))
      return false;
    d = sqrt(d);
    a[(size_t)j * n + j] = d;
    for (int i = j + 1; i < n; i++) {
      double s = a[(size_t)i * n + j];
      for (int k = 0; k < j; k++)
        s -= a[(size_t)i * n + k] * a[(size_t)j * n + k];
      a[(size_t)i * n + j] = s / d;
    }
  }
  /* L z = b, then Lᵀ c = z. */
  for (int i = 0; i < n; i++) {
    double s = b[i];
    for (int k = 0; k < i; k++)
      s -= a[(size_t)i * n + k] * b[k];
    b[i] = s / a[(size_t)i * n + i];
  }
  for (int i = n - 1; i >= 0; i--) {
    double s = b[i];
    for (int k = i + 1; k < n; k++)
      s -= a[(size_t)k * n + i] * c[k];
    c[i] = s / a[(size_t)i * n + i];
  }
  return true;
}

/* Accumulates one pair's samples on a grid of the given stride. */
static void
fit_pair(const sr_pair *p, sr_ycbcr_coeffs lc, int stride, float *py, double *ata, double *atb)
{
  const sr_image *in = p->input, *gt = p->ground_truth;
  int w = in->width, h = in->height, pw = w + 2 * SR_LINEAR_RADIUS;
  padded_luma(in->pixels, w, h, lc, py);
  double x[N_COEF];
  for (int y = 0; y < h; y += stride)
    for (int xx = 0; xx < w; xx += stride) {
      const float *centre =
          py + (size_t)(y + SR_LINEAR_RADIUS) * (size_t)pw + SR_LINEAR_RADIUS + xx;
      int k = 0;
      for (int dy = -SR_LINEAR_RADIUS; dy <= SR_LINEAR_RADIUS; dy++)
        for (int dx = -SR_LINEAR_RADIUS; dx <= SR_LINEAR_RADIUS; dx++)
          x[k++] = centre[(ptrdiff_t)dy * pw + dx];
      double v = *centre;
      x[k++] = 1.0;
      x[k++] = v * v;
      x[k++] = v * v * v;
      const float *g = sr_image_row(gt, y) + (size_t)xx * 3;
      accumulate(ata, atb, x, sr_luma(lc, g[0], g[1], g[2]));
    }
}

bool
sr_linear_fit(const sr_pair *pairs, int n_pairs, sr_ycbcr_matrix m, sr_linear *out, sr_error *err)
{
  sr_linear_identity(out, m);
  double total = 0;
  int maxw = 0, maxh = 0;
  for (int i = 0; i < n_pairs; i++) {
    const sr_image *in = pairs[i].input, *gt = pairs[i].ground_truth;
    if (!in || !gt || in->channels != 3 || gt->channels != 3 || in->width != gt->width ||
        in->height != gt->height) {
      sr_error_set(err, SR_ERR_INVALID,
                   SR_("pair %d: input and ground truth must be RGB of equal size"),
                   pairs[i].source_frame);
      return false;
    }
    total += (double)in->width * in->height;
    maxw = in->width > maxw ? in->width : maxw;
    maxh = in->height > maxh ? in->height : maxh;
  }
  if (total < N_COEF) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("the linear fit needs at least %d training pixels; add pairs"), N_COEF);
    return false;
  }
  int stride = (int)ceil(sqrt(total / SR_LINEAR_FIT_SAMPLES));
  stride = stride < 1 ? 1 : stride;
  double *ata = calloc((size_t)N_COEF * N_COEF, sizeof *ata);
  double *atb = calloc(N_COEF, sizeof *atb), *c = calloc(N_COEF, sizeof *c);
  float *py = malloc((size_t)(maxw + 2 * SR_LINEAR_RADIUS) * (size_t)(maxh + 2 * SR_LINEAR_RADIUS) *
                     sizeof *py);
  bool ok = false;
  if (!ata || !atb || !c || !py) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory for the linear fit"));
    goto out;
  }
  for (int i = 0; i < n_pairs; i++)
    fit_pair(&pairs[i], out->luma, stride, py, ata, atb);
  double trace = 0;
  for (int i = 0; i < N_COEF; i++)
    trace += ata[(size_t)i * N_COEF + i];
  for (int i = 0; i < N_COEF; i++)
    ata[(size_t)i * N_COEF + i] += RIDGE * trace / N_COEF;
  if (!cholesky_solve(ata, atb, c)) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("the linear fit has no unique solution (the training pairs hold no usable "
                     "detail); add pairs with texture"));
    goto out;
  }
  for (int i = 0; i < N_COEF; i++)
    if (!isfinite(c[i])) {
      sr_error_set(err, SR_ERR_INVALID, SR_("the linear fit gave a non-finite coefficient"));
      goto out;
    }
  for (int k = 0; k < SR_LINEAR_TAPS; k++)
    out->filter[k] = (float)c[k];
  for (int k = 0; k < SR_LINEAR_TONE; k++)
    out->tone[k] = (float)c[SR_LINEAR_TAPS + k];
  ok = true;
out:
  free(ata);
  free(atb);
  free(c);
  free(py);
  return ok;
}
