/* sr-grain.c — grain measurement (noise power spectrum and level curve in
 * flat areas) and grain synthesis to a measured profile. See sr-grain.h. */
#include "sr-grain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr-fft.h"
#include "sr-i18n.h"
#include "sr-metrics.h"
#include "sr-rng.h"

#define B  SR_GRAIN_BLOCK
#define NB (B * B)
/* A block counts as flat when this share of its pixels is. */
#define FLAT_SHARE 0.9

void
sr_grain_profile_init(sr_grain_profile *p)
{
  memset(p, 0, sizeof *p);
}

/* Radial band of DFT bin (kx, ky) of a B×B grid. */
static int
band_of(int kx, int ky)
{
  double fx = (double)(kx <= B / 2 ? kx : kx - B) / B;
  double fy = (double)(ky <= B / 2 ? ky : ky - B) / B;
  int b = (int)(sqrt(fx * fx + fy * fy) / 0.5 * SR_GRAIN_BANDS);
  return b < SR_GRAIN_BANDS ? b : SR_GRAIN_BANDS - 1;
}

static int
cmp_desc(const void *a, const void *b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (y > x) - (y < x);
}

static int
level_of(double y)
{
  int l = (int)floor(y * SR_GRAIN_LEVELS);
  return l < 0 ? 0 : l >= SR_GRAIN_LEVELS ? SR_GRAIN_LEVELS - 1 : l;
}

/* The block at (x0, y0) less its least-squares plane, Hann-windowed, into
 * data (complex); returns the block mean and Σ window². */
static double
window_block(const float *y, int w, int x0, int y0, double *data, double *wsum)
{
  double mean = 0, sx = 0, sy = 0, c = (B - 1) / 2.0, sxx = 0;
  for (int j = 0; j < B; j++)
    for (int i = 0; i < B; i++) {
      double v = y[(size_t)(y0 + j) * (size_t)w + (size_t)(x0 + i)];
      mean += v;
      sx += (i - c) * v;
      sy += (j - c) * v;
      sxx += (i - c) * (i - c);
    }
  mean /= NB;
  /* Centred coordinates are orthogonal, so the slopes separate. */
  double gx = sx / sxx, gy = sy / sxx;
  *wsum = 0;
  for (int j = 0; j < B; j++)
    for (int i = 0; i < B; i++) {
      double hw =
          (0.5 - 0.5 * cos(2 * M_PI * (i + 0.5) / B)) * (0.5 - 0.5 * cos(2 * M_PI * (j + 0.5) / B));
      double v = y[(size_t)(y0 + j) * (size_t)w + (size_t)(x0 + i)];
      double r = v - mean - gx * (i - c) - gy * (j - c);
      data[2 * (j * B + i)] = hw * r;
      data[2 * (j * B + i) + 1] = 0;
      *wsum += hw * hw;
    }
  return mean;
}

bool
sr_grain_measure(sr_grain_profile *p, const float *y, const float *source_y, int w, int h,
                 sr_error *err)
{
  size_t count = 0;
  unsigned char *mask = sr_qa_flat_mask(source_y, w, h, &count);
  if (!mask) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory measuring grain (%dx%d)"), w, h);
    return false;
  }
  bool ok = sr_grain_measure_mask(p, y, mask, w, h, err);
  free(mask);
  return ok;
}

bool
sr_grain_measure_mask(sr_grain_profile *p, const float *y, const unsigned char *mask, int w, int h,
                      sr_error *err)
{
  sr_fft_plan *plan = sr_fft_plan_new(B);
  double *data = malloc(2 * NB * sizeof *data), *scratch = malloc(2 * B * sizeof *scratch);
  bool ok = plan && data && scratch;
  if (!ok) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory measuring grain (%dx%d)"), w, h);
    goto out;
  }
  /* A block counts when FLAT_SHARE of its pixels are flat; in a frame where
   * no block is, the quarter of blocks with the most flat pixels: the flat
   * mask is the Source's least-textured quarter of pixels, which in a frame
   * that is flat all over (or textured all over) lies scattered, so that no
   * block is 90 % flat although every block is as flat as any. */
  int bw = w / B, bh = h / B, nblocks = bw * bh, need = (int)(FLAT_SHARE * NB);
  int *share = nblocks ? malloc((size_t)nblocks * 2 * sizeof *share) : NULL;
  if (nblocks && !share) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory measuring grain (%dx%d)"), w, h);
    ok = false;
    goto out;
  }
  for (int by = 0; by < bh; by++)
    for (int bx = 0; bx < bw; bx++) {
      int flat = 0;
      for (int j = 0; j < B; j++)
        for (int i = 0; i < B; i++)
          flat += mask[(size_t)(by * B + j) * (size_t)w + (size_t)(bx * B + i)];
      share[by * bw + bx] = share[nblocks + by * bw + bx] = flat;
    }
  if (nblocks) {
    qsort(share + nblocks, (size_t)nblocks, sizeof *share, cmp_desc);
    int top = share[nblocks + (nblocks - 1) / 4];
    /* The flattest quarter only where no block is flat outright. */
    if (share[nblocks] < need)
      need = top;
  }
  for (int y0 = 0; y0 + B <= h; y0 += B)
    for (int x0 = 0; x0 + B <= w; x0 += B) {
      int flat = share[(y0 / B) * bw + x0 / B];
      if (flat < need || flat == 0)
        continue;
      double wsum, mean = window_block(y, w, x0, y0, data, &wsum);
      sr_fft_2d(plan, plan, data, B, B, scratch, false);
      double var = 0;
      for (int ky = 0; ky < B; ky++)
        for (int kx = 0; kx < B; kx++) {
          const double *f = data + 2 * (ky * B + kx);
          double pk = (f[0] * f[0] + f[1] * f[1]) / wsum / NB;
          p->nps_sum[ky * B + kx] += pk;
          var += pk;
        }
      int l = level_of(mean);
      p->level_sum[l] += var;
      p->level_blocks[l]++;
      p->blocks++;
    }
  free(share);
out:
  sr_fft_plan_free(plan);
  free(data);
  free(scratch);
  return ok;
}

double
sr_grain_band(const sr_grain_profile *p, int b)
{
  if (!p->blocks || b < 0 || b >= SR_GRAIN_BANDS)
    return NAN;
  double s = 0;
  for (int ky = 0; ky < B; ky++)
    for (int kx = 0; kx < B; kx++)
      if (band_of(kx, ky) == b)
        s += p->nps_sum[ky * B + kx];
  return s / p->blocks;
}

double
sr_grain_level(const sr_grain_profile *p, int l)
{
  return l >= 0 && l < SR_GRAIN_LEVELS && p->level_blocks[l] ? p->level_sum[l] / p->level_blocks[l]
                                                             : NAN;
}

double
sr_grain_variance(const sr_grain_profile *p)
{
  if (!p->blocks)
    return NAN;
  double s = 0;
  for (int b = 0; b < SR_GRAIN_BANDS; b++)
    s += sr_grain_band(p, b);
  return s;
}

/* ---- synthesis ------------------------------------------------------------------- */

/* The level curve with gaps filled from the nearest measured level (NaN
 * when no level was measured). */
static void
filled_levels(const sr_grain_profile *p, double *out)
{
  for (int l = 0; l < SR_GRAIN_LEVELS; l++) {
    out[l] = NAN;
    for (int d = 0; d < SR_GRAIN_LEVELS && isnan(out[l]); d++) {
      double a = sr_grain_level(p, l - d), b = sr_grain_level(p, l + d);
      out[l] = !isnan(a) ? a : b;
    }
  }
}

bool
sr_regrain_plan(sr_regrain *g, const sr_grain_profile *reference, const sr_grain_profile *present,
                uint64_t seed, sr_error *err)
{
  memset(g, 0, sizeof *g);
  g->seed = seed;
  if (!reference->blocks) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("the Reference has no flat area to measure its grain in; regrain needs "
                     "pairs with some plain, untextured areas"));
    return false;
  }
  double add[NB], total = 0;
  for (int k = 0; k < NB; k++) {
    double have = present->blocks ? present->nps_sum[k] / present->blocks : 0.0;
    add[k] = fmax(reference->nps_sum[k] / reference->blocks - have, 0.0);
    total += add[k];
  }
  sr_fft_plan *plan = sr_fft_plan_new(B);
  double *data = malloc(2 * NB * sizeof *data), *scratch = malloc(2 * B * sizeof *scratch);
  if (!plan || !data || !scratch) {
    sr_fft_plan_free(plan);
    free(data);
    free(scratch);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory planning grain"));
    return false;
  }
  /* |H(k)|² = the density B²·add(k), zero phase (P is even in k for a real
   * signal, so h is real); h = IDFT(H)/B². */
  for (int k = 0; k < NB; k++) {
    data[2 * k] = sqrt((double)NB * add[k]);
    data[2 * k + 1] = 0;
  }
  sr_fft_2d(plan, plan, data, B, B, scratch, true);
  for (int y = 0; y < B; y++)
    for (int x = 0; x < B; x++)
      g->kernel[((y + B / 2) % B) * B + (x + B / 2) % B] = (float)(data[2 * (y * B + x)] / NB);
  sr_fft_plan_free(plan);
  free(data);
  free(scratch);

  /* The level curve shapes the missing spectrum as the Reference's grain
   * varies with the level: gain² = ref_l / (the Reference's mean block
   * variance), so the flat blocks on average get `add` itself. (Subtracting
   * the result's level curve instead would let a result with more power
   * than the Reference in some bins — coarse Source grain the model left —
   * cancel the power it lacks in others, and undershoot.) */
  double ref_l[SR_GRAIN_LEVELS], ref_mean = 0;
  int level_blocks = 0;
  filled_levels(reference, ref_l);
  for (int l = 0; l < SR_GRAIN_LEVELS; l++) {
    ref_mean += reference->level_sum[l];
    level_blocks += reference->level_blocks[l];
  }
  ref_mean = level_blocks ? ref_mean / level_blocks : 0.0;
  for (int l = 0; l < SR_GRAIN_LEVELS; l++)
    g->level_gain[l] = total > 0 && ref_mean > 0 ? sqrt(ref_l[l] / ref_mean) : 0.0;
  return true;
}

bool
sr_regrain_add(const sr_regrain *g, int frame, const float *rgb, sr_ycbcr_coeffs c, int w, int h,
               float *dy, sr_error *err)
{
  int nw = w + B, nh = h + B;
  float *noise = malloc((size_t)nw * (size_t)nh * sizeof *noise);
  double *sum = malloc((size_t)(w + 1) * (size_t)(h + 1) * sizeof *sum);
  if (!noise || !sum) {
    free(noise);
    free(sum);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory synthesising grain (%dx%d)"), w, h);
    return false;
  }
  /* The level a pixel's grain is scaled for is the mean Y of the B×B block
   * around it, as the measurement files each block under its mean: a
   * per-pixel level would spread a block's grain over the neighbouring
   * levels and lose strength wherever the level curve is not smooth. */
  for (int x = 0; x <= w; x++)
    sum[x] = 0;
  for (int y = 0; y < h; y++) {
    double row = 0;
    sum[(size_t)(y + 1) * (size_t)(w + 1)] = 0;
    for (int x = 0; x < w; x++) {
      size_t p = (size_t)y * (size_t)w + (size_t)x;
      row += sr_luma(c, rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]) + dy[p];
      sum[(size_t)(y + 1) * (size_t)(w + 1) + (size_t)(x + 1)] =
          sum[(size_t)y * (size_t)(w + 1) + (size_t)(x + 1)] + row;
    }
  }
  /* One stream per frame: frames are independent, a render repeatable. */
  sr_rng rng;
  sr_rng_seed(&rng, g->seed ^ ((uint64_t)(int64_t)frame * 0x9e3779b97f4a7c15ULL));
  for (size_t i = 0; i < (size_t)nw * (size_t)nh; i++)
    noise[i] = (float)sr_rng_normal(&rng);
  for (int y = 0; y < h; y++) {
    int y0 = y - B / 2 < 0 ? 0 : y - B / 2, y1 = y + B / 2 > h ? h : y + B / 2;
    for (int x = 0; x < w; x++) {
      float s = 0;
      for (int j = 0; j < B; j++) {
        const float *n = noise + (size_t)(y + j) * (size_t)nw + (size_t)x;
        const float *k = g->kernel + j * B;
        for (int i = 0; i < B; i++)
          s += k[i] * n[i];
      }
      int x0 = x - B / 2 < 0 ? 0 : x - B / 2, x1 = x + B / 2 > w ? w : x + B / 2;
      size_t W1 = (size_t)(w + 1);
      double area = (double)(x1 - x0) * (double)(y1 - y0);
      double yv = (sum[(size_t)y1 * W1 + (size_t)x1] - sum[(size_t)y0 * W1 + (size_t)x1] -
                   sum[(size_t)y1 * W1 + (size_t)x0] + sum[(size_t)y0 * W1 + (size_t)x0]) /
                  area;
      double gain = g->level_gain[level_of(yv)];
      dy[(size_t)y * (size_t)w + (size_t)x] += (float)(gain * s);
    }
  }
  free(noise);
  free(sum);
  return true;
}
