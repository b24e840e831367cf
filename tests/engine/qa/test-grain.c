/* Grain: the measured spectrum and level curve of known grain, regrain that
 * brings a grainless frame to the Reference's spectrum within a stated
 * tolerance, frames that are independent and repeatable, and nothing added
 * where nothing is missing. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "sr-grain.h"
#include "sr-rng.h"

#define W 256
#define H 256

/* A ramp of luma from 0.15 to 0.85 across the frame: flat everywhere, every
 * level from shadow to highlight. */
static float *
ramp(void)
{
  float *y = g_new(float, W *H);
  for (int j = 0; j < H; j++)
    for (int i = 0; i < W; i++)
      y[j * W + i] = 0.15f + 0.7f * (float)i / (W - 1);
  return y;
}

/* The ramp plus grain: white noise through a 2×2 box (more power at low
 * frequencies), its amplitude rising with the level as film grain does. */
static float *
grainy(uint64_t seed, double scale)
{
  float *y = ramp(), *n = g_new(float, (W + 1) * (H + 1));
  sr_rng rng;
  sr_rng_seed(&rng, seed);
  for (int i = 0; i < (W + 1) * (H + 1); i++)
    n[i] = (float)sr_rng_normal(&rng);
  for (int j = 0; j < H; j++)
    for (int i = 0; i < W; i++) {
      float b = 0.5f * (n[j * (W + 1) + i] + n[j * (W + 1) + i + 1] + n[(j + 1) * (W + 1) + i] +
                        n[(j + 1) * (W + 1) + i + 1]);
      float lvl = y[j * W + i];
      y[j * W + i] += (float)scale * (0.01f + 0.03f * lvl) * b;
    }
  g_free(n);
  return y;
}

static void
measure(sr_grain_profile *p, const float *y, const float *src)
{
  sr_error err = {0};
  sr_grain_profile_init(p);
  g_assert_true(sr_grain_measure(p, y, src, W, H, &err));
  g_assert_cmpint(p->blocks, ==, (W / SR_GRAIN_BLOCK) * (H / SR_GRAIN_BLOCK));
}

/* Grey RGB of a Y plane, so Y of the RGB is the plane itself. */
static float *
grey_rgb(const float *y)
{
  float *rgb = g_new(float, W *H * 3);
  for (int i = 0; i < W * H; i++)
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = y[i];
  return rgb;
}

static void
test_measure(void)
{
  float *src = ramp(), *ref = grainy(1, 1.0);
  sr_grain_profile p, clean;
  measure(&p, ref, src);
  measure(&clean, src, src);
  /* The ramp alone has no grain: its plane is removed exactly. */
  g_assert_cmpfloat(sr_grain_variance(&clean), <, 1e-10);
  /* Box-filtered noise has a falling spectrum: power per frequency bin
   * (bands hold more bins the further out they are). */
  int bins[SR_GRAIN_BANDS] = {0};
  for (int ky = 0; ky < SR_GRAIN_BLOCK; ky++)
    for (int kx = 0; kx < SR_GRAIN_BLOCK; kx++) {
      double fx = (double)(kx <= SR_GRAIN_BLOCK / 2 ? kx : kx - SR_GRAIN_BLOCK) / SR_GRAIN_BLOCK;
      double fy = (double)(ky <= SR_GRAIN_BLOCK / 2 ? ky : ky - SR_GRAIN_BLOCK) / SR_GRAIN_BLOCK;
      bins[MIN((int)(sqrt(fx * fx + fy * fy) / 0.5 * SR_GRAIN_BANDS), SR_GRAIN_BANDS - 1)]++;
    }
  g_assert_cmpfloat(sr_grain_band(&p, 1) / bins[1], >, 3 * sr_grain_band(&p, 6) / bins[6]);
  /* Level dependence: variance rises with the level. */
  double lo = sr_grain_level(&p, 1), hi = sr_grain_level(&p, 6);
  g_assert_cmpfloat(hi, >, 3 * lo);
  /* Levels outside the ramp hold no block. */
  g_assert_true(isnan(sr_grain_level(&p, 7)) || p.level_blocks[7] > 0);
  g_free(src);
  g_free(ref);
}

/* The stated tolerance: every radial band of the
 * regrained frame within 25 % of the Reference's (band 0, the DC bin the
 * plane fit removes, aside; the measurement's window leaks power from
 * the strong bands into the weak corner band twice, once in the Reference
 * and once in the regrained frame), every level within 15 %, the total
 * within 5 %. */
#define BAND_TOL  0.25
#define LEVEL_TOL 0.15
#define TOTAL_TOL 0.05

static void
check_regrain(double present_scale)
{
  float *src = ramp(), *ref = grainy(1, 1.0), *out = grainy(2, present_scale);
  sr_grain_profile pr, po, pg;
  measure(&pr, ref, src);
  measure(&po, out, src);
  sr_regrain g;
  sr_error err = {0};
  g_assert_true(sr_regrain_plan(&g, &pr, &po, 99, &err));
  float *rgb = grey_rgb(out), *dy = g_new0(float, W *H);
  sr_ycbcr_coeffs c = sr_ycbcr_coefficients(SR_YCBCR_BT709);
  g_assert_true(sr_regrain_add(&g, 7, rgb, c, W, H, dy, &err));
  float *regrained = g_new(float, W *H);
  for (int i = 0; i < W * H; i++)
    regrained[i] = out[i] + dy[i];
  measure(&pg, regrained, src);
  for (int b = 0; b < SR_GRAIN_BANDS; b++)
    g_test_message("band %d: Reference %.3g, recovered %.3g, regrained %.3g", b,
                   sr_grain_band(&pr, b), sr_grain_band(&po, b), sr_grain_band(&pg, b));
  /* Band 0 is the DC bin, which the plane fit removes from every block. */
  for (int b = 1; b < SR_GRAIN_BANDS; b++) {
    double want = sr_grain_band(&pr, b), got = sr_grain_band(&pg, b);
    g_assert_cmpfloat(fabs(got - want), <=, BAND_TOL * want);
  }
  for (int l = 0; l < SR_GRAIN_LEVELS; l++)
    if (pr.level_blocks[l] >= 8) {
      double want = sr_grain_level(&pr, l), got = sr_grain_level(&pg, l);
      g_test_message("level %d: Reference %.3g, regrained %.3g", l, want, got);
      g_assert_cmpfloat(fabs(got - want), <=, LEVEL_TOL * want);
    }
  double vr = sr_grain_variance(&pr), vg = sr_grain_variance(&pg);
  g_assert_cmpfloat(fabs(vg - vr), <=, TOTAL_TOL * vr);
  g_free(src);
  g_free(ref);
  g_free(out);
  g_free(rgb);
  g_free(dy);
  g_free(regrained);
}

static void
test_regrain_grainless(void)
{
  check_regrain(0.0);
}

static void
test_regrain_partial(void)
{
  /* A recovered frame that kept 40 % of the grain's amplitude. */
  check_regrain(0.4);
}

static void
test_frames_independent(void)
{
  float *src = ramp(), *ref = grainy(1, 1.0);
  sr_grain_profile pr, po;
  measure(&pr, ref, src);
  measure(&po, src, src);
  sr_regrain g;
  sr_error err = {0};
  g_assert_true(sr_regrain_plan(&g, &pr, &po, 5, &err));
  float *rgb = grey_rgb(src);
  float *a = g_new0(float, W *H), *b = g_new0(float, W *H), *a2 = g_new0(float, W *H);
  sr_ycbcr_coeffs c = sr_ycbcr_coefficients(SR_YCBCR_BT709);
  g_assert_true(sr_regrain_add(&g, 10, rgb, c, W, H, a, &err));
  g_assert_true(sr_regrain_add(&g, 11, rgb, c, W, H, b, &err));
  g_assert_true(sr_regrain_add(&g, 10, rgb, c, W, H, a2, &err));
  g_assert_cmpmem(a, W * H * sizeof(float), a2, W * H * sizeof(float));
  double sab = 0, saa = 0, sbb = 0;
  for (int i = 0; i < W * H; i++)
    sab += a[i] * b[i], saa += a[i] * a[i], sbb += b[i] * b[i];
  g_assert_cmpfloat(saa, >, 0);
  g_assert_cmpfloat(fabs(sab / sqrt(saa * sbb)), <, 0.03);
  g_free(src);
  g_free(ref);
  g_free(rgb);
  g_free(a);
  g_free(b);
  g_free(a2);
}

static void
test_nothing_missing(void)
{
  float *src = ramp(), *ref = grainy(1, 1.0);
  sr_grain_profile pr;
  measure(&pr, ref, src);
  sr_regrain g;
  sr_error err = {0};
  /* The recovered frame already has the Reference's grain: nothing is added. */
  g_assert_true(sr_regrain_plan(&g, &pr, &pr, 5, &err));
  float *rgb = grey_rgb(ref), *dy = g_new(float, W *H), *before = g_new(float, W *H);
  for (int i = 0; i < W * H; i++)
    dy[i] = before[i] = 0.01f * (float)(i % 7);
  sr_ycbcr_coeffs c = sr_ycbcr_coefficients(SR_YCBCR_BT709);
  g_assert_true(sr_regrain_add(&g, 3, rgb, c, W, H, dy, &err));
  g_assert_cmpmem(dy, W * H * sizeof(float), before, W * H * sizeof(float));
  /* A Reference without a flat block cannot be matched: said so. */
  sr_grain_profile none;
  sr_grain_profile_init(&none);
  g_assert_false(sr_regrain_plan(&g, &none, &pr, 5, &err));
  g_assert_nonnull(strstr(err.message, "flat area"));
  g_free(src);
  g_free(ref);
  g_free(rgb);
  g_free(dy);
  g_free(before);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/grain/measure", test_measure);
  g_test_add_func("/grain/regrain-grainless", test_regrain_grainless);
  g_test_add_func("/grain/regrain-partial", test_regrain_partial);
  g_test_add_func("/grain/frames-independent", test_frames_independent);
  g_test_add_func("/grain/nothing-missing", test_nothing_missing);
  return g_test_run();
}
