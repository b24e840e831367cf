/* sr-shift.c — residual misalignment between Source and Reference.
 *
 * Phase correlation on high-passed luma (luma minus a Gaussian-blurred copy,
 * so exposure and colour differences between the elements do not matter),
 * Hann-windowed, over a central power-of-two region (up to 512 a side, with
 * at least 8 px to spare on each side). The integer peak comes from an
 * inverse FFT of the whitened cross-power spectrum; the sub-pixel peak from
 * evaluating that same inverse transform on a 0.1 px grid around it (a
 * separable direct DFT) and a parabolic fit through the best grid point and
 * its neighbours. The measurement is repeated with b resampled at the shift
 * found (cubic), which removes the window's pull towards zero shift.
 */
#include "sr-fft.h"
#include "sr-pairs.h"
#include "sr-i18n.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SIDE     512
#define MIN_SIDE     32
#define MARGIN       8
#define MAX_PASSES   5
#define BLUR_SIGMA   2.0
#define BLUR_RADIUS  6
#define WHITEN_FLOOR 1e-3
#define REFINE_STEPS 10 /* grid points per pixel */
#define REFINE_HALF  (REFINE_STEPS + 1)
#define REFINE_N     (2 * REFINE_HALF + 1)

static int
pow2_floor(int v)
{
  int p = 1;
  while (p * 2 <= v)
    p *= 2;
  return p;
}

static double
luma_at(const sr_image *img, int x, int y)
{
  x = x < 0 ? 0 : x >= img->width ? img->width - 1 : x;
  y = y < 0 ? 0 : y >= img->height ? img->height - 1 : y;
  const float *p = sr_image_row(img, y) + (size_t)x * img->channels;
  return img->channels == 1 ? p[0] : 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
}

/* Keys cubic convolution weights (a = −0.5) for fractional position t in [0,1). */
static void
cubic_weights(double t, double w[4])
{
  double t2 = t * t, t3 = t2 * t;
  w[0] = -0.5 * t3 + t2 - 0.5 * t;
  w[1] = 1.5 * t3 - 2.5 * t2 + 1.0;
  w[2] = -1.5 * t3 + 2.0 * t2 + 0.5 * t;
  w[3] = 0.5 * t3 - 0.5 * t2;
}

/* The nx x ny luma of img starting at (x0, y0) (fractional: cubic
 * interpolation; outside the image: edges replicated), high-passed, mean
 * removed, Hann-windowed, written as complex numbers. Returns the energy
 * left (0 = no detail). */
static double
prepare(const sr_image *img, double x0, double y0, int nx, int ny, double *out, double *tmp,
        double *blur)
{
  const double fx0 = floor(x0), fy0 = floor(y0);
  const int ix = (int)fx0, iy = (int)fy0;
  const double tx = x0 - fx0, ty = y0 - fy0;
  if (tx == 0.0 && ty == 0.0) {
    for (int y = 0; y < ny; y++)
      for (int x = 0; x < nx; x++)
        tmp[(size_t)y * nx + x] = luma_at(img, ix + x, iy + y);
  } else {
    double wx[4], wy[4];
    cubic_weights(tx, wx);
    cubic_weights(ty, wy);
    for (int y = 0; y < ny; y++)
      for (int x = 0; x < nx; x++) {
        double v = 0.0;
        for (int j = 0; j < 4; j++)
          for (int i = 0; i < 4; i++)
            v += wy[j] * wx[i] * luma_at(img, ix + x + i - 1, iy + y + j - 1);
        tmp[(size_t)y * nx + x] = v;
      }
  }
  double k[2 * BLUR_RADIUS + 1], ksum = 0.0;
  for (int i = -BLUR_RADIUS; i <= BLUR_RADIUS; i++)
    ksum += k[i + BLUR_RADIUS] = exp(-0.5 * i * i / (BLUR_SIGMA * BLUR_SIGMA));
  for (int i = 0; i < 2 * BLUR_RADIUS + 1; i++)
    k[i] /= ksum;
  /* Separable blur, edges replicated: rows into blur, then columns into out's real parts. */
  for (int y = 0; y < ny; y++)
    for (int x = 0; x < nx; x++) {
      double s = 0.0;
      for (int i = -BLUR_RADIUS; i <= BLUR_RADIUS; i++) {
        int xx = x + i < 0 ? 0 : x + i >= nx ? nx - 1 : x + i;
        s += k[i + BLUR_RADIUS] * tmp[(size_t)y * nx + xx];
      }
      blur[(size_t)y * nx + x] = s;
    }
  double mean = 0.0;
  for (int y = 0; y < ny; y++)
    for (int x = 0; x < nx; x++) {
      double s = 0.0;
      for (int i = -BLUR_RADIUS; i <= BLUR_RADIUS; i++) {
        int yy = y + i < 0 ? 0 : y + i >= ny ? ny - 1 : y + i;
        s += k[i + BLUR_RADIUS] * blur[(size_t)yy * nx + x];
      }
      double hp = tmp[(size_t)y * nx + x] - s;
      out[2 * ((size_t)y * nx + x)] = hp;
      mean += hp;
    }
  mean /= (double)nx * ny;
  double energy = 0.0;
  for (int y = 0; y < ny; y++) {
    double wy = 0.5 - 0.5 * cos(2.0 * M_PI * y / ny);
    for (int x = 0; x < nx; x++) {
      double wx = 0.5 - 0.5 * cos(2.0 * M_PI * x / nx);
      double *c = out + 2 * ((size_t)y * nx + x);
      c[0] = (c[0] - mean) * wx * wy;
      c[1] = 0.0;
      energy += c[0] * c[0];
    }
  }
  return energy;
}

static int
signed_freq(int k, int n)
{
  return k < n / 2 ? k : k - n;
}

/* Parabola through (−1,a), (0,b), (1,c): the vertex offset. */
static double
parabola(double a, double b, double c)
{
  double den = a - 2.0 * b + c;
  if (!(fabs(den) > 1e-300))
    return 0.0;
  double d = 0.5 * (a - c) / den;
  return d < -1.0 ? -1.0 : d > 1.0 ? 1.0 : d;
}

typedef struct workspace {
  int nx, ny;
  double *fa, *fb, *tmp, *blur, *scratch, *ex, *sx;
  sr_fft_plan *px, *py;
} workspace;

/* Displacement of b's region at (bx, by) relative to a's at (ax, ay). */
static bool
correlate(workspace *w, const sr_image *a, int ax, int ay, const sr_image *b, double bx, double by,
          double *dx, double *dy)
{
  const int nx = w->nx, ny = w->ny;
  const size_t n = (size_t)nx * ny;
  double *fa = w->fa, *fb = w->fb, *scratch = w->scratch, *ex = w->ex, *sx = w->sx;
  const sr_fft_plan *px = w->px, *py = w->py;
  double ea = prepare(a, ax, ay, nx, ny, fa, w->tmp, w->blur);
  double eb = prepare(b, bx, by, nx, ny, fb, w->tmp, w->blur);
  if (!(ea > 1e-12 * (double)n) || !(eb > 1e-12 * (double)n) || !isfinite(ea) || !isfinite(eb))
    return false;
  sr_fft_2d(px, py, fa, nx, ny, scratch, false);
  sr_fft_2d(px, py, fb, nx, ny, scratch, false);
  /* Cross-power spectrum conj(A)·B, whitened: its inverse transform peaks at
   * the displacement of b relative to a. Pure phase correlation divides by
   * |conj(A)·B| everywhere, which lets bins holding only window leakage and
   * rounding noise (most of them, for soft pictures) bury the peak; the floor
   * keeps those bins weak while strong bins are still flattened. Any real,
   * non-negative weighting keeps the peak where the shift is. */
  double strongest = 0.0;
  for (size_t i = 0; i < n; i++) {
    double ar = fa[2 * i], ai = fa[2 * i + 1], br = fb[2 * i], bi = fb[2 * i + 1];
    double re = ar * br + ai * bi, im = ar * bi - ai * br;
    fa[2 * i] = re;
    fa[2 * i + 1] = im;
    double mag = hypot(re, im);
    if (mag > strongest)
      strongest = mag;
  }
  const double floor_mag = WHITEN_FLOOR * strongest;
  for (int ky = 0; ky < ny; ky++)
    for (int kx = 0; kx < nx; kx++) {
      size_t i = (size_t)ky * nx + kx;
      bool nyquist = kx == nx / 2 || ky == ny / 2;
      double weight = nyquist ? 0.0 : 1.0 / (hypot(fa[2 * i], fa[2 * i + 1]) + floor_mag);
      fa[2 * i] *= weight;
      fa[2 * i + 1] *= weight;
    }
  memcpy(fb, fa, sizeof(double) * 2 * n);
  sr_fft_2d(px, py, fb, nx, ny, scratch, true);
  size_t best = 0;
  for (size_t i = 1; i < n; i++)
    if (fb[2 * i] > fb[2 * best])
      best = i;
  int peak_x = signed_freq((int)(best % (size_t)nx), nx);
  int peak_y = signed_freq((int)(best / (size_t)nx), ny);

  /* c(x, y) = Re Σ R(kx, ky) e^{2πi (kx x / nx + ky y / ny)} on the grid
   * x = peak_x + u / REFINE_STEPS, |u| <= REFINE_HALF (same for y). */
  for (int u = 0; u < REFINE_N; u++) {
    double x = peak_x + (double)(u - REFINE_HALF) / REFINE_STEPS;
    for (int kx = 0; kx < nx; kx++) {
      double ang = 2.0 * M_PI * signed_freq(kx, nx) * x / nx;
      ex[2 * ((size_t)u * nx + kx)] = cos(ang);
      ex[2 * ((size_t)u * nx + kx) + 1] = sin(ang);
    }
  }
  for (int ky = 0; ky < ny; ky++) {
    const double *r = fa + 2 * (size_t)ky * nx;
    for (int u = 0; u < REFINE_N; u++) {
      const double *e = ex + 2 * (size_t)u * nx;
      double sr = 0.0, si = 0.0;
      for (int kx = 0; kx < nx; kx++) {
        sr += r[2 * kx] * e[2 * kx] - r[2 * kx + 1] * e[2 * kx + 1];
        si += r[2 * kx] * e[2 * kx + 1] + r[2 * kx + 1] * e[2 * kx];
      }
      sx[2 * ((size_t)ky * REFINE_N + u)] = sr;
      sx[2 * ((size_t)ky * REFINE_N + u) + 1] = si;
    }
  }
  double grid[REFINE_N][REFINE_N]; /* [v][u] */
  for (int v = 0; v < REFINE_N; v++) {
    double y = peak_y + (double)(v - REFINE_HALF) / REFINE_STEPS;
    double acc[REFINE_N] = {0};
    for (int ky = 0; ky < ny; ky++) {
      double ang = 2.0 * M_PI * signed_freq(ky, ny) * y / ny;
      double c = cos(ang), s = sin(ang);
      const double *row = sx + 2 * (size_t)ky * REFINE_N;
      for (int u = 0; u < REFINE_N; u++)
        acc[u] += row[2 * u] * c - row[2 * u + 1] * s;
    }
    for (int u = 0; u < REFINE_N; u++)
      grid[v][u] = acc[u];
  }
  int bu = REFINE_HALF, bv = REFINE_HALF;
  for (int v = 1; v < REFINE_N - 1; v++)
    for (int u = 1; u < REFINE_N - 1; u++)
      if (grid[v][u] > grid[bv][bu]) {
        bu = u;
        bv = v;
      }
  double fu = bu + parabola(grid[bv][bu - 1], grid[bv][bu], grid[bv][bu + 1]);
  double fv = bv + parabola(grid[bv - 1][bu], grid[bv][bu], grid[bv + 1][bu]);
  *dx = peak_x + (fu - REFINE_HALF) / REFINE_STEPS;
  *dy = peak_y + (fv - REFINE_HALF) / REFINE_STEPS;
  return true;
}

bool
sr_estimate_shift(const sr_image *a, const sr_image *b, double *dx, double *dy, sr_error *err)
{
  if (!a || !b || !a->pixels || !b->pixels) {
    sr_error_set(err, SR_ERR_INVALID, SR_("shift estimate: missing image"));
    return false;
  }
  if (a->width != b->width || a->height != b->height) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("shift estimate: the images differ in size (%dx%d and %dx%d)"), a->width,
                 a->height, b->width, b->height);
    return false;
  }
  if (a->width < MIN_SIDE || a->height < MIN_SIDE) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("shift estimate: %dx%d is too small to measure (at least %d px a side)"),
                 a->width, a->height, MIN_SIDE);
    return false;
  }
  /* Leave a margin so the second pass can move b's window. */
  const int nx = pow2_floor(a->width - 2 * MARGIN < MAX_SIDE ? a->width - 2 * MARGIN : MAX_SIDE);
  const int ny = pow2_floor(a->height - 2 * MARGIN < MAX_SIDE ? a->height - 2 * MARGIN : MAX_SIDE);
  const size_t n = (size_t)nx * ny;

  workspace w = {.nx = nx, .ny = ny};
  w.fa = malloc(sizeof(double) * 2 * n);
  w.fb = malloc(sizeof(double) * 2 * n);
  w.tmp = malloc(sizeof(double) * n);
  w.blur = malloc(sizeof(double) * n);
  w.scratch = malloc(sizeof(double) * 2 * (size_t)(nx > ny ? nx : ny));
  w.ex = malloc(sizeof(double) * 2 * REFINE_N * (size_t)nx);
  w.sx = malloc(sizeof(double) * 2 * REFINE_N * (size_t)ny);
  w.px = sr_fft_plan_new(nx);
  w.py = sr_fft_plan_new(ny);
  bool ok = false;
  if (!w.fa || !w.fb || !w.tmp || !w.blur || !w.scratch || !w.ex || !w.sx || !w.px || !w.py) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("shift estimate: out of memory"));
    goto out;
  }
  /* Windowed correlation is biased towards zero shift (the window does not
   * move with the picture), so measure, resample b's window at the shift
   * found, and measure the remainder again until it is negligible. */
  const int x0 = (a->width - nx) / 2, y0 = (a->height - ny) / 2;
  double sx0 = 0.0, sy0 = 0.0;
  for (int pass = 0; pass < MAX_PASSES; pass++) {
    double rx, ry;
    if (!correlate(&w, a, x0, y0, b, x0 + sx0, y0 + sy0, &rx, &ry)) {
      if (pass > 0)
        break;
      sr_error_set(err, SR_ERR_INVALID,
                   SR_("shift estimate: the images hold no measurable detail (flat, or not "
                       "finite)"));
      goto out;
    }
    sx0 += rx;
    sy0 += ry;
    if (fabs(rx) < 0.005 && fabs(ry) < 0.005)
      break;
  }
  if (dx)
    *dx = sx0;
  if (dy)
    *dy = sy0;
  ok = true;
out:
  free(w.fa);
  free(w.fb);
  free(w.tmp);
  free(w.blur);
  free(w.scratch);
  free(w.ex);
  free(w.sx);
  sr_fft_plan_free(w.px);
  sr_fft_plan_free(w.py);
  return ok;
}
