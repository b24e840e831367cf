/* QA metrics on synthetic frames whose answer is known. Frames are built in
 * Rec.709 (the training domain itself), so no colour conversion blurs the
 * expectations. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "sr-grain.h"
#include "sr-metrics.h"
#include "sr-rng.h"

#define W 96
#define H 80

static sr_qa_context *
make_context(void)
{
  sr_prep_settings prep = {0};
  prep.source_space = SR_CS_REC709;
  prep.reference_space = SR_CS_REC709;
  prep.matrix = SR_YCBCR_BT709;
  sr_error err = {0};
  sr_qa_context *ctx = sr_qa_context_new(&prep, &err);
  g_assert_nonnull(ctx);
  return ctx;
}

/* Textured frame: smooth colour ramps, a vertical edge, mild noise. */
static sr_image *
make_source(guint64 seed)
{
  sr_image *img = sr_image_new(W, H, 3, NULL);
  g_assert_nonnull(img);
  sr_rng rng;
  sr_rng_seed(&rng, seed);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      float *p = sr_image_row(img, y) + x * 3;
      float base = x < W / 2 ? 0.25f : 0.7f;
      float n = (sr_rng_uniform(&rng) - 0.5f) * 0.04f;
      p[0] = base + 0.1f * (float)y / H + n;
      p[1] = base + n;
      p[2] = base - 0.1f * (float)x / W + n;
    }
  return img;
}

static sr_image *
box_blur(const sr_image *src, int r)
{
  sr_image *out = sr_image_copy(src, NULL);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++) {
        double s = 0;
        int n = 0;
        for (int dy = -r; dy <= r; dy++)
          for (int dx = -r; dx <= r; dx++) {
            int yy = CLAMP(y + dy, 0, H - 1), xx = CLAMP(x + dx, 0, W - 1);
            s += sr_image_row(src, yy)[xx * 3 + c];
            n++;
          }
        sr_image_row(out, y)[x * 3 + c] = (float)(s / n);
      }
  return out;
}

/* Adds the same luma change d(x,y) to R, G and B: chroma stays identical. */
static void
add_luma(sr_image *img, int x, int y, float d)
{
  float *p = sr_image_row(img, y) + x * 3;
  p[0] += d;
  p[1] += d;
  p[2] += d;
}

static gboolean
has_flag(const sr_qa_frame *f, const char *id)
{
  for (int i = 0; i < f->n_flags; i++)
    if (g_str_equal(f->flags[i].id, id))
      return TRUE;
  return FALSE;
}

static void
measure(sr_qa_context *ctx, const sr_image *out, const sr_image *src, const sr_image *ref,
        gboolean fidelity, sr_qa_frame *f)
{
  sr_error err = {0};
  sr_qa_options o = {.fidelity = fidelity, .held_out = fidelity};
  gboolean ok = sr_qa_measure_frame(ctx, 7, out, src, ref, &o, f, &err);
  if (!ok)
    g_error("%s", err.message);
  sr_qa_thresholds t;
  sr_qa_thresholds_init(&t);
  sr_qa_flag_frame(f, &t);
}

static void
test_identity(void)
{
  sr_qa_context *ctx = make_context();
  sr_image *src = make_source(1);
  sr_image *out = sr_image_copy(src, NULL);
  sr_qa_frame f;
  measure(ctx, out, src, src, TRUE, &f);
  g_assert_cmpfloat(f.chroma_max, ==, 0.0);
  g_assert_cmpfloat(f.dcb_mean, ==, 0.0);
  g_assert_cmpfloat(f.dcr_mean, ==, 0.0);
  g_assert_cmpfloat_with_epsilon(f.sharpness_gain, 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon(f.sharpness_gain_db, 0.0, 1e-9);
  g_assert_cmpfloat_with_epsilon(f.hf_vs_reference_db, 0.0, 1e-9);
  g_assert_cmpfloat_with_epsilon(f.grain_vs_source_db, 0.0, 1e-9);
  g_assert_cmpfloat(f.halo_score, ==, 0.0);
  g_assert_cmpuint(f.edge_pixels, >, 0);
  g_assert_cmpuint(f.flat_pixels, >, 0);
  g_assert_cmpfloat(f.range_fraction, ==, 0.0);
  g_assert_cmpuint(f.nonfinite, ==, 0);
  g_assert_true(isinf(f.psnr));
  g_assert_cmpfloat_with_epsilon(f.ssim, 1.0, 1e-9);
  g_assert_cmpint(f.n_flags, ==, 0);
  sr_qa_context_free(ctx);
  /* Same in a scene-linear space: both go through the same domain transform. */
  sr_prep_settings prep = {0};
  prep.source_space = prep.reference_space = SR_CS_ACES2065_1;
  ctx = sr_qa_context_new(&prep, NULL);
  g_assert_nonnull(ctx);
  measure(ctx, out, src, src, TRUE, &f);
  g_assert_cmpfloat(f.chroma_max, ==, 0.0);
  g_assert_cmpfloat_with_epsilon(f.sharpness_gain_db, 0.0, 1e-9);
  g_assert_cmpfloat(f.halo_score, ==, 0.0);
  sr_image_free(out);
  sr_image_free(src);
  sr_qa_context_free(ctx);
}

static void
test_blur_is_detail_loss(void)
{
  sr_qa_context *ctx = make_context();
  sr_image *src = make_source(2);
  sr_image *out = box_blur(src, 1);
  sr_qa_frame f;
  measure(ctx, out, src, NULL, FALSE, &f);
  g_assert_cmpfloat(f.sharpness_gain, <, 1.0);
  g_assert_cmpfloat(f.sharpness_gain_db, <, -3.0);
  g_assert_true(has_flag(&f, "detail-loss"));
  g_assert_false(has_flag(&f, "over-sharpening"));
  g_assert_false(f.has_reference);
  g_assert_true(isnan(f.hf_vs_reference_db));
  sr_image_free(out);
  sr_image_free(src);
  sr_qa_context_free(ctx);
}

/* QA's grain is regrain's measurement (sr-grain.h): the same number for the
 * same frame, so the grain plot and regrain's target agree. */
static void
test_grain_is_regrains(void)
{
  sr_qa_context *ctx = make_context();
  sr_image *ref = make_source(5), *src = box_blur(ref, 1);
  sr_qa_frame f;
  measure(ctx, src, src, ref, FALSE, &f);
  sr_ycbcr_coeffs c = sr_ycbcr_coefficients(SR_YCBCR_BT709);
  float *yr = g_new(float, W *H), *ys = g_new(float, W *H);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const float *r = sr_image_row(ref, y) + x * 3, *s = sr_image_row(src, y) + x * 3;
      yr[y * W + x] = sr_luma(c, r[0], r[1], r[2]);
      ys[y * W + x] = sr_luma(c, s[0], s[1], s[2]);
    }
  sr_grain_profile pr, ps;
  sr_grain_profile_init(&pr);
  sr_grain_profile_init(&ps);
  sr_error err = {0};
  g_assert_true(sr_grain_measure(&pr, yr, ys, W, H, &err));
  g_assert_true(sr_grain_measure(&ps, ys, ys, W, H, &err));
  g_assert_cmpint(pr.blocks, >, 0);
  g_assert_cmpfloat_with_epsilon(f.grain_ref, sr_grain_variance(&pr),
                                 1e-6 * sr_grain_variance(&pr));
  g_assert_cmpfloat_with_epsilon(f.grain_src, sr_grain_variance(&ps),
                                 1e-6 * sr_grain_variance(&ps));
  /* The blur took most of the Reference's grain. */
  g_assert_cmpfloat(f.grain_vs_reference_db, <, -3.0);
  g_free(yr);
  g_free(ys);
  sr_image_free(ref);
  sr_image_free(src);
  sr_qa_context_free(ctx);
}

static void
test_sharpening_vs_reference(void)
{
  sr_qa_context *ctx = make_context();
  sr_image *ref = make_source(3);
  sr_image *src = box_blur(ref, 1);
  /* A faithful recovery: Source luma replaced by the Reference's. */
  sr_image *good = sr_image_copy(ref, NULL);
  /* Over-sharpened: 3x the Reference's detail on luma. */
  sr_image *blur = box_blur(ref, 1);
  sr_image *over = sr_image_copy(ref, NULL);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const float *r = sr_image_row(ref, y) + x * 3, *b = sr_image_row(blur, y) + x * 3;
      add_luma(over, x, y, 2.0f * ((r[1] - b[1])));
    }
  sr_qa_frame fg, fo;
  measure(ctx, good, src, ref, FALSE, &fg);
  measure(ctx, over, src, ref, FALSE, &fo);
  g_assert_cmpfloat(fg.sharpness_gain_db, >, 3.0);
  g_assert_cmpfloat_with_epsilon(fg.hf_vs_reference_db, 0.0, 1e-9);
  g_assert_false(has_flag(&fg, "over-sharpening"));
  g_assert_cmpfloat(fo.hf_vs_reference_db, >, 3.0);
  g_assert_true(has_flag(&fo, "over-sharpening"));
  /* Grain: the Reference's own noise is matched by the good output. */
  g_assert_cmpfloat_with_epsilon(fg.grain_vs_reference_db, 0.0, 1e-9);
  g_assert_cmpfloat(fg.grain_vs_source_db, >, 0.0);
  sr_image_free(ref);
  sr_image_free(src);
  sr_image_free(good);
  sr_image_free(blur);
  sr_image_free(over);
  sr_qa_context_free(ctx);
}

static void
test_halo(void)
{
  sr_qa_context *ctx = make_context();
  /* A clean blurred step edge in a grey frame. */
  sr_image *sharp = sr_image_new(W, H, 3, NULL);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      add_luma(sharp, x, y, x < W / 2 ? 0.2f : 0.8f);
  sr_image *src = box_blur(sharp, 1);
  sr_image *soft = box_blur(src, 2);
  /* Unsharp mask with a big amount: overshoot and undershoot either side. */
  sr_image *ring = sr_image_copy(src, NULL);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      float d = sr_image_row(src, y)[x * 3] - sr_image_row(soft, y)[x * 3];
      add_luma(ring, x, y, 2.0f * d);
    }
  sr_image *same = sr_image_copy(src, NULL);
  sr_qa_frame f0, f1;
  measure(ctx, same, src, NULL, FALSE, &f0);
  measure(ctx, ring, src, NULL, FALSE, &f1);
  g_assert_cmpfloat(f0.halo_score, ==, 0.0);
  g_assert_cmpfloat(f1.halo_score, >, 0.03);
  g_assert_true(has_flag(&f1, "halo"));
  g_assert_false(has_flag(&f0, "halo"));
  /* Chroma is untouched by a luma-only change. */
  g_assert_cmpfloat(f1.chroma_max, <, 1e-6);
  /* With the sharp step as Reference, the ringing output is still flagged
   * (the Reference does not overshoot) and the sharp one is not. */
  sr_qa_frame f2, f3;
  measure(ctx, ring, src, sharp, FALSE, &f2);
  measure(ctx, sharp, src, sharp, FALSE, &f3);
  g_assert_cmpfloat(f2.reference_halo_score, ==, 0.0);
  g_assert_true(has_flag(&f2, "halo"));
  g_assert_false(has_flag(&f3, "halo"));
  sr_image_free(sharp);
  sr_image_free(src);
  sr_image_free(soft);
  sr_image_free(ring);
  sr_image_free(same);
  sr_qa_context_free(ctx);
}

static void
test_chroma_range_nonfinite(void)
{
  sr_qa_context *ctx = make_context();
  sr_image *src = make_source(4);
  sr_image *shift = sr_image_copy(src, NULL);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      sr_image_row(shift, y)[x * 3 + 2] += 0.02f; /* blue only */
  sr_image *range = sr_image_copy(src, NULL);
  for (int y = 0; y < 10; y++)
    for (int x = 0; x < W; x++)
      add_luma(range, x, y, 0.5f);
  sr_image *bad = sr_image_copy(src, NULL);
  bad->pixels[5] = NAN;
  bad->pixels[9] = INFINITY;

  sr_qa_frame fs, fr, fb;
  measure(ctx, shift, src, NULL, FALSE, &fs);
  measure(ctx, range, src, NULL, FALSE, &fr);
  measure(ctx, bad, src, NULL, FALSE, &fb);
  /* ΔB = 0.02 → ΔCb = 0.02 (1 − kb) / (2 (1 − kb)) = 0.01. */
  g_assert_cmpfloat_with_epsilon(fs.dcb_max, 0.01, 1e-5);
  g_assert_cmpfloat_with_epsilon(fs.dcb_mean, 0.01, 1e-5);
  g_assert_true(has_flag(&fs, "chroma-shift"));
  g_assert_cmpfloat(fr.range_fraction, >, 0.01);
  g_assert_cmpfloat(fr.source_range_fraction, ==, 0.0);
  g_assert_true(has_flag(&fr, "range"));
  g_assert_false(has_flag(&fr, "chroma-shift"));
  /* Values a hair past white, as half-float storage leaves pixels the merge
   * brought exactly to 1, are rounding, not a range excursion. */
  sr_image *hair = sr_image_copy(src, NULL);
  for (int y = 0; y < 20; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++)
        sr_image_row(hair, y)[x * 3 + c] = 1.0004f;
  sr_qa_frame fh;
  measure(ctx, hair, src, NULL, FALSE, &fh);
  g_assert_cmpfloat(fh.range_fraction, ==, 0.0);
  g_assert_false(has_flag(&fh, "range"));
  sr_image_free(hair);
  g_assert_cmpuint(fb.nonfinite, ==, 2);
  g_assert_true(has_flag(&fb, "nonfinite"));
  for (int i = 0; i < fb.n_flags; i++)
    g_assert_cmpuint(strlen(fb.flags[i].reason), >, 10);
  sr_image_free(src);
  sr_image_free(shift);
  sr_image_free(range);
  sr_image_free(bad);
  sr_qa_context_free(ctx);
}

static void
test_flicker(void)
{
  sr_qa_context *ctx = make_context();
  enum { N = 6 };
  sr_qa_frame steady[N], flicker[N];
  for (int i = 0; i < N; i++) {
    sr_image *src = make_source(10 + i);
    /* The Source itself brightens over the shot: not flicker. */
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        add_luma(src, x, y, 0.02f * i);
    sr_image *out = sr_image_copy(src, NULL);
    sr_image *jump = sr_image_copy(src, NULL);
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        add_luma(jump, x, y, i % 2 ? 0.03f : 0.0f);
    sr_qa_options o = {0};
    g_assert_true(sr_qa_measure_frame(ctx, 100 + i, out, src, NULL, &o, &steady[i], NULL));
    g_assert_true(sr_qa_measure_frame(ctx, 100 + i, jump, src, NULL, &o, &flicker[i], NULL));
    sr_image_free(src);
    sr_image_free(out);
    sr_image_free(jump);
  }
  double d0 = -1, d1 = -1;
  double i0 = sr_qa_sequence_flicker(steady, N, &d0);
  double i1 = sr_qa_sequence_flicker(flicker, N, &d1);
  g_assert_cmpfloat_with_epsilon(i0, 0.0, 1e-9);
  g_assert_cmpfloat_with_epsilon(d0, 0.0, 1e-9);
  g_assert_cmpfloat_with_epsilon(i1, 0.03, 1e-4);
  g_assert_true(isnan(flicker[0].flicker_luma));
  sr_qa_thresholds t;
  sr_qa_thresholds_init(&t);
  int flagged = 0;
  for (int i = 0; i < N; i++) {
    sr_qa_flag_frame(&flicker[i], &t);
    sr_qa_flag_frame(&steady[i], &t);
    flagged += has_flag(&flicker[i], "flicker");
    g_assert_false(has_flag(&steady[i], "flicker"));
  }
  g_assert_cmpint(flagged, ==, N - 1);
  /* A gap in the numbering starts a new run. */
  flicker[3].frame = 200;
  sr_qa_sequence_flicker(flicker, N, NULL);
  g_assert_true(isnan(flicker[3].flicker_luma));
  sr_qa_summary s;
  sr_qa_summarise(flicker, N, &s);
  g_assert_cmpint(s.n_frames, ==, N);
  g_assert_cmpfloat(s.flicker_index, >, 0.02);
  sr_qa_context_free(ctx);
}

static void
test_psnr_ssim(void)
{
  enum { n = 32 };
  float a[n * n], b[n * n], c[n * n];
  sr_rng rng;
  sr_rng_seed(&rng, 5);
  for (int i = 0; i < n * n; i++) {
    a[i] = 0.2f + 0.6f * sr_rng_uniform(&rng);
    b[i] = a[i] + 0.1f;
    c[i] = 0.2f + 0.6f * sr_rng_uniform(&rng);
  }
  /* MSE 0.01 → 20 dB. */
  g_assert_cmpfloat_with_epsilon(sr_qa_psnr(a, b, n, n), 20.0, 1e-4);
  g_assert_true(isinf(sr_qa_psnr(a, a, n, n)));
  g_assert_cmpfloat_with_epsilon(sr_qa_ssim(a, a, n, n), 1.0, 1e-9);
  double s_ab = sr_qa_ssim(a, b, n, n), s_ac = sr_qa_ssim(a, c, n, n);
  g_assert_cmpfloat(s_ab, <, 1.0);
  g_assert_cmpfloat(s_ab, >, 0.9);
  g_assert_cmpfloat(fabs(s_ac), <, 0.2);
  /* Small planes use one global window: constants 0.5 vs 0.6 give the
   * luminance term alone, (2·0.3 + C1) / (0.25 + 0.36 + C1). */
  float p[64], q[64];
  for (int i = 0; i < 64; i++) {
    p[i] = 0.5f;
    q[i] = 0.6f;
  }
  double c1 = 1e-4;
  g_assert_cmpfloat_with_epsilon(sr_qa_ssim(p, q, 8, 8), (0.6 + c1) / (0.61 + c1), 1e-6);
  double e[3];
  sr_qa_band_energies(p, 8, 8, e);
  g_assert_cmpfloat(e[0] + e[1] + e[2], <, 1e-12);
}

/* The image-level metrics the trainer's held-out evaluation uses are the
 * plane metrics on Y: one definition, valid-region SSIM included. */
static void
test_psnr_ssim_images(void)
{
  enum { w = 40, h = 24 };
  sr_image *a = sr_image_new(w, h, 3, NULL), *b = sr_image_new(w, h, 3, NULL);
  float ya[w * h], yb[w * h];
  sr_ycbcr_coeffs k = sr_ycbcr_coefficients(SR_YCBCR_BT709);
  sr_rng rng;
  sr_rng_seed(&rng, 9);
  for (int i = 0; i < w * h; i++) {
    float *pa = a->pixels + 3 * i, *pb = b->pixels + 3 * i;
    for (int c = 0; c < 3; c++) {
      pa[c] = 0.2f + 0.6f * sr_rng_uniform(&rng);
      pb[c] = pa[c] + 0.05f * (sr_rng_uniform(&rng) - 0.5f);
    }
    ya[i] = sr_luma(k, pa[0], pa[1], pa[2]);
    yb[i] = sr_luma(k, pb[0], pb[1], pb[2]);
  }
  g_assert_cmpfloat(sr_qa_psnr_y(a, b, SR_YCBCR_BT709), ==, sr_qa_psnr(ya, yb, w, h));
  g_assert_cmpfloat(sr_qa_ssim_y(a, b, SR_YCBCR_BT709), ==, sr_qa_ssim(ya, yb, w, h));
  /* Identical images: infinite PSNR, SSIM 1; shown capped, NaN untouched. */
  double inf = sr_qa_psnr_y(a, a, SR_YCBCR_BT709);
  g_assert_true(isinf(inf) && inf > 0);
  g_assert_cmpfloat_with_epsilon(sr_qa_ssim_y(a, a, SR_YCBCR_BT709), 1.0, 1e-9);
  g_assert_cmpfloat(sr_qa_psnr_display(inf), ==, SR_QA_PSNR_DISPLAY_MAX_DB);
  g_assert_cmpfloat(sr_qa_psnr_display(31.5), ==, 31.5);
  g_assert_true(isnan(sr_qa_psnr_display(NAN)));
  /* Different sizes are not comparable. */
  sr_image *c = sr_image_new(w / 2, h, 3, NULL);
  g_assert_true(isnan(sr_qa_psnr_y(a, c, SR_YCBCR_BT709)));
  g_assert_true(isnan(sr_qa_ssim_y(a, c, SR_YCBCR_BT709)));
  sr_image_free(a);
  sr_image_free(b);
  sr_image_free(c);
}

static void
test_bad_sizes(void)
{
  sr_qa_context *ctx = make_context();
  sr_image *src = make_source(6);
  sr_image *small = sr_image_new(W / 2, H, 3, NULL);
  sr_error err = {0};
  sr_qa_frame f;
  g_assert_false(sr_qa_measure_frame(ctx, 12, small, src, NULL, NULL, &f, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  g_assert_nonnull(strstr(err.message, "frame 12"));
  sr_error_clear(&err);
  g_assert_false(sr_qa_measure_frame(ctx, 13, src, src, small, NULL, &f, &err));
  g_assert_nonnull(strstr(err.message, "Reference"));
  sr_image_free(src);
  sr_image_free(small);
  sr_qa_context_free(ctx);
}

static void
test_crop(void)
{
  /* Changes outside the crop do not count. */
  sr_prep_settings prep = {0};
  prep.source_space = prep.reference_space = SR_CS_REC709;
  prep.crop = (sr_rect){8, 8, 40, 40};
  sr_qa_context *ctx = sr_qa_context_new(&prep, NULL);
  g_assert_nonnull(ctx);
  sr_image *src = make_source(7);
  sr_image *out = sr_image_copy(src, NULL);
  sr_image_row(out, 70)[90 * 3 + 2] += 0.5f;
  sr_qa_frame f;
  g_assert_true(sr_qa_measure_frame(ctx, 1, out, src, NULL, NULL, &f, NULL));
  g_assert_cmpfloat(f.chroma_max, ==, 0.0);
  sr_image_row(out, 10)[10 * 3 + 2] += 0.5f;
  g_assert_true(sr_qa_measure_frame(ctx, 1, out, src, NULL, NULL, &f, NULL));
  g_assert_cmpfloat(f.chroma_max, >, 0.1);
  sr_image_free(src);
  sr_image_free(out);
  sr_qa_context_free(ctx);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/qa/metrics/identity", test_identity);
  g_test_add_func("/qa/metrics/blur-detail-loss", test_blur_is_detail_loss);
  g_test_add_func("/qa/metrics/sharpening-vs-reference", test_sharpening_vs_reference);
  g_test_add_func("/qa/metrics/halo", test_halo);
  g_test_add_func("/qa/metrics/grain-is-regrains", test_grain_is_regrains);
  g_test_add_func("/qa/metrics/chroma-range-nonfinite", test_chroma_range_nonfinite);
  g_test_add_func("/qa/metrics/flicker", test_flicker);
  g_test_add_func("/qa/metrics/psnr-ssim", test_psnr_ssim);
  g_test_add_func("/qa/metrics/psnr-ssim-images", test_psnr_ssim_images);
  g_test_add_func("/qa/metrics/bad-sizes", test_bad_sizes);
  g_test_add_func("/qa/metrics/crop", test_crop);
  return g_test_run();
}
