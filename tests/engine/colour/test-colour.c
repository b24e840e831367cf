/* Colour spaces, conversions, the training domain and YCbCr. */
#include <glib.h>
#include <lcms2.h>
#include <math.h>
#include <string.h>

#include "sr-colour.h"

static sr_colour_transform *
transform(sr_colourspace a, sr_colourspace b)
{
  sr_error err = {0};
  sr_colour_transform *t = sr_colour_transform_new(a, b, &err);
  if (!t)
    g_error("transform %s → %s: %s", sr_colourspace_id(a), sr_colourspace_id(b), err.message);
  return t;
}

static void
test_ids(void)
{
  for (int i = 0; i < SR_CS_COUNT; i++) {
    sr_colourspace cs = SR_CS_COUNT;
    g_assert_true(sr_colourspace_from_id(sr_colourspace_id(i), &cs));
    g_assert_cmpint(cs, ==, i);
    cs = SR_CS_COUNT;
    g_assert_true(sr_colourspace_from_id(sr_colourspace_label(i), &cs));
    g_assert_cmpint(cs, ==, i);
  }
  g_assert_cmpstr(sr_colourspace_id(SR_CS_ACES2065_1), ==, "aces2065-1");
  g_assert_cmpstr(sr_colourspace_id(SR_CS_ACESCG), ==, "acescg");
  g_assert_cmpstr(sr_colourspace_id(SR_CS_LINEAR_REC709), ==, "linear-rec709");
  g_assert_cmpstr(sr_colourspace_id(SR_CS_SRGB), ==, "srgb");
  g_assert_cmpstr(sr_colourspace_id(SR_CS_REC709), ==, "rec709");
  g_assert_cmpstr(sr_colourspace_label(SR_CS_REC709), ==, "Rec.709 (BT.1886)");
  sr_colourspace cs;
  g_assert_true(sr_colourspace_from_id("ACES", &cs) && cs == SR_CS_ACES2065_1);
  g_assert_true(sr_colourspace_from_id("ACES2065_1", &cs) && cs == SR_CS_ACES2065_1);
  g_assert_true(sr_colourspace_from_id("AP1", &cs) && cs == SR_CS_ACESCG);
  g_assert_true(sr_colourspace_from_id("Linear_Rec.709", &cs) && cs == SR_CS_LINEAR_REC709);
  g_assert_true(sr_colourspace_from_id("BT.1886", &cs) && cs == SR_CS_REC709);
  g_assert_true(sr_colourspace_from_id("SRGB", &cs) && cs == SR_CS_SRGB);
  g_assert_false(sr_colourspace_from_id("prophoto", &cs));
  g_assert_false(sr_colourspace_from_id("", &cs));
  g_assert_false(sr_colourspace_from_id(NULL, &cs));

  g_assert_true(sr_colourspace_is_linear(SR_CS_ACES2065_1));
  g_assert_true(sr_colourspace_is_linear(SR_CS_ACESCG));
  g_assert_true(sr_colourspace_is_linear(SR_CS_LINEAR_REC709));
  g_assert_false(sr_colourspace_is_linear(SR_CS_SRGB));
  g_assert_false(sr_colourspace_is_linear(SR_CS_REC709));

  float c[8];
  sr_colourspace_chromaticities(SR_CS_ACES2065_1, c);
  g_assert_cmpfloat_with_epsilon(c[6], 0.32168, 1e-6);
  g_assert_cmpfloat_with_epsilon(c[7], 0.33767, 1e-6);
  sr_colourspace_chromaticities(SR_CS_REC709, c);
  g_assert_cmpfloat_with_epsilon(c[0], 0.64, 1e-6);
  g_assert_cmpfloat_with_epsilon(c[6], 0.3127, 1e-6);

  sr_ycbcr_matrix m;
  g_assert_true(sr_ycbcr_matrix_from_id(sr_ycbcr_matrix_id(SR_YCBCR_BT601), &m) &&
                m == SR_YCBCR_BT601);
  g_assert_true(sr_ycbcr_matrix_from_id("BT.709", &m) && m == SR_YCBCR_BT709);
  g_assert_true(sr_ycbcr_matrix_from_id("rec601", &m) && m == SR_YCBCR_BT601);
  g_assert_false(sr_ycbcr_matrix_from_id("bt2020", &m));
}

static void
check_matrix(sr_colourspace from, sr_colourspace to, const double expect[9])
{
  sr_colour_transform *t = transform(from, to);
  float px[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  sr_colour_transform_apply(t, px, 3, 3);
  for (int col = 0; col < 3; col++)
    for (int row = 0; row < 3; row++)
      g_assert_cmpfloat_with_epsilon(px[col * 3 + row], expect[row * 3 + col], 1e-4);
  sr_colour_transform_free(t);
}

/* Published matrices: ACES S-2014-004 (AP0 → AP1) and ACEScg → linear
 * Rec.709 with Bradford adaptation from the ACES white to D65. */
static void
test_published_matrices(void)
{
  static const double ap0_to_ap1[9] = {
      1.4514393161,  -0.2365107469, -0.2149285693, -0.0765537734, 1.1762296998,
      -0.0996759264, 0.0083161484,  -0.0060324498, 0.9977163014,
  };
  static const double ap1_to_709[9] = {
      1.70505, -0.62179, -0.08326, -0.13026, 1.14080, -0.01055, -0.02400, -0.12897, 1.15297,
  };
  check_matrix(SR_CS_ACES2065_1, SR_CS_ACESCG, ap0_to_ap1);
  check_matrix(SR_CS_ACESCG, SR_CS_LINEAR_REC709, ap1_to_709);
  /* The white of one space maps to the white of the other (relative intent). */
  sr_colour_transform *t = transform(SR_CS_ACES2065_1, SR_CS_REC709);
  float w[3] = {1, 1, 1};
  sr_colour_transform_apply(t, w, 1, 3);
  for (int c = 0; c < 3; c++)
    g_assert_cmpfloat_with_epsilon(w[c], 1.0, 1e-5);
  sr_colour_transform_free(t);
}

static void
test_curves(void)
{
  sr_colour_transform *to_srgb = transform(SR_CS_LINEAR_REC709, SR_CS_SRGB);
  sr_colour_transform *to_709 = transform(SR_CS_LINEAR_REC709, SR_CS_REC709);
  sr_colour_transform *from_srgb = transform(SR_CS_SRGB, SR_CS_LINEAR_REC709);
  sr_colour_transform *from_709 = transform(SR_CS_REC709, SR_CS_LINEAR_REC709);

  /* sRGB: linear 0.18 → 0.461356, 0.0031308 → 0.04045 (the break), 1 → 1,
   * the toe is 12.92 x. */
  float s[12] = {0.18f, 0.18f, 0.18f,  0.0031308f, 1.0f, 0.001f,
                 0.5f,  0.0f,  -0.01f, 4.0f,       4.0f, 4.0f};
  sr_colour_transform_apply(to_srgb, s, 4, 3);
  g_assert_cmpfloat_with_epsilon(s[0], 0.4613561295, 2e-6);
  g_assert_cmpfloat_with_epsilon(s[3], 0.04045, 2e-6);
  g_assert_cmpfloat_with_epsilon(s[4], 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon(s[5], 0.01292, 1e-7);
  g_assert_cmpfloat_with_epsilon(s[6], 1.055 * pow(0.5, 1 / 2.4) - 0.055, 2e-6);
  g_assert_cmpfloat(s[7], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon(s[8], -0.1292, 1e-6); /* toe continued below 0 */
  g_assert_cmpfloat_with_epsilon(s[9], 1.055 * pow(4.0, 1 / 2.4) - 0.055,
                                 4e-6); /* unbounded above 1 */

  float d[6] = {0.5f, 0.04045f, 0.2f, 1.0f, 0.0f, 0.0f};
  sr_colour_transform_apply(from_srgb, d, 2, 3);
  g_assert_cmpfloat_with_epsilon(d[0], 0.2140411405, 1e-6);
  g_assert_cmpfloat_with_epsilon(d[1], 0.0031308, 1e-7);
  g_assert_cmpfloat_with_epsilon(d[2], pow((0.2 + 0.055) / 1.055, 2.4), 1e-6);
  g_assert_cmpfloat_with_epsilon(d[3], 1.0, 1e-6);

  /* BT.1886 pure 2.4 power, mirrored below 0. */
  float b[9] = {0.5f, 0.18f, 1.0f, 2.0f, -0.25f, 0.0f, 16.0f, 0.01f, 1e-6f};
  sr_colour_transform_apply(from_709, b, 3, 3);
  g_assert_cmpfloat_with_epsilon(b[0], pow(0.5, 2.4), 1e-7);
  g_assert_cmpfloat_with_epsilon(b[1], pow(0.18, 2.4), 1e-7);
  g_assert_cmpfloat_with_epsilon(b[2], 1.0, 1e-7);
  g_assert_cmpfloat_with_epsilon(b[3], pow(2.0, 2.4), 1e-5);
  g_assert_cmpfloat_with_epsilon(b[4], -pow(0.25, 2.4), 1e-7);
  g_assert_cmpfloat_with_epsilon(b[6], pow(16.0, 2.4), 1e-6 * pow(16.0, 2.4));
  float e[3] = {0.18f, 0.5f, 1.0f};
  sr_colour_transform_apply(to_709, e, 1, 3);
  g_assert_cmpfloat_with_epsilon(e[0], pow(0.18, 1 / 2.4), 1e-7);
  g_assert_cmpfloat_with_epsilon(e[1], pow(0.5, 1 / 2.4), 1e-7);
  g_assert_cmpfloat_with_epsilon(e[2], 1.0, 1e-7);

  sr_colour_transform_free(to_srgb);
  sr_colour_transform_free(to_709);
  sr_colour_transform_free(from_srgb);
  sr_colour_transform_free(from_709);
}

/* A dense sweep of the power path against libm: the table-driven power must
 * be as good as float storage. */
static void
test_power_accuracy(void)
{
  sr_colour_transform *dec = transform(SR_CS_REC709, SR_CS_LINEAR_REC709);
  sr_colour_transform *enc = transform(SR_CS_LINEAR_REC709, SR_CS_REC709);
  enum { N = 30000 };
  float *a = g_new(float, N * 3), *b = g_new(float, N * 3);
  for (int i = 0; i < N * 3; i++)
    a[i] = b[i] = (float)(1e-5 * pow(1e7, (double)i / (N * 3 - 1))); /* 1e-5 .. 100 */
  sr_colour_transform_apply(dec, a, N, 3);
  sr_colour_transform_apply(enc, b, N, 3);
  double worst_d = 0, worst_e = 0;
  for (int i = 0; i < N * 3; i++) {
    double x = (double)(float)(1e-5 * pow(1e7, (double)i / (N * 3 - 1)));
    worst_d = fmax(worst_d, fabs(a[i] - pow(x, 2.4)) / pow(x, 2.4));
    worst_e = fmax(worst_e, fabs(b[i] - pow(x, 1 / 2.4)) / pow(x, 1 / 2.4));
  }
  g_assert_cmpfloat(worst_d, <, 1.2e-7);
  g_assert_cmpfloat(worst_e, <, 1.2e-7);
  g_free(a);
  g_free(b);
  sr_colour_transform_free(dec);
  sr_colour_transform_free(enc);
}

static void
test_round_trips(void)
{
  static const float values[] = {0.0f, 1e-4f, 0.01f, 0.18f,   0.5f,   1.0f,
                                 1.5f, 4.0f,  16.0f, -0.002f, -0.05f, -0.3f};
  const int nv = G_N_ELEMENTS(values);
  const int n = nv * nv * nv;
  float *orig = g_new(float, n * 3), *px = g_new(float, n * 3);
  int k = 0;
  for (int i = 0; i < nv; i++)
    for (int j = 0; j < nv; j++)
      for (int l = 0; l < nv; l++, k++) {
        orig[k * 3] = values[i];
        orig[k * 3 + 1] = values[j];
        orig[k * 3 + 2] = values[l];
      }
  for (int a = 0; a < SR_CS_COUNT; a++)
    for (int b = 0; b < SR_CS_COUNT; b++) {
      sr_colour_transform *ab = transform(a, b), *ba = transform(b, a);
      memcpy(px, orig, sizeof(float) * n * 3);
      sr_colour_transform_apply(ab, px, n, 3);
      sr_colour_transform_apply(ba, px, n, 3);
      /* Float storage of the intermediate limits precision to a few ulp of the
       * pixel's largest linear-light component, so measure there: decode both
       * to linear Rec.709 and compare relative to that component. Neutral
       * pixels are also compared channel by channel in the space itself. */
      float *lin_o = g_memdup2(orig, sizeof(float) * n * 3);
      float *lin_p = g_memdup2(px, sizeof(float) * n * 3);
      sr_colour_transform *lin = transform(a, SR_CS_LINEAR_REC709);
      sr_colour_transform_apply(lin, lin_o, n, 3);
      sr_colour_transform_apply(lin, lin_p, n, 3);
      sr_colour_transform_free(lin);
      double worst = 0.0, worst_neutral = 0.0;
      for (int p = 0; p < n; p++) {
        double scale = 1e-6;
        for (int c = 0; c < 3; c++)
          scale = fmax(scale, fabs(lin_o[p * 3 + c]));
        for (int c = 0; c < 3; c++)
          worst = fmax(worst, fabs((double)lin_p[p * 3 + c] - lin_o[p * 3 + c]) / scale);
        const float *o = orig + p * 3;
        if (o[0] == o[1] && o[1] == o[2] && o[0] != 0.0f)
          for (int c = 0; c < 3; c++)
            worst_neutral = fmax(worst_neutral, fabs((double)px[p * 3 + c] - o[c]) / fabs(o[c]));
      }
      g_free(lin_o);
      g_free(lin_p);
      if (worst > 1e-6 || worst_neutral > 1e-6)
        g_error("round trip %s → %s → %s: relative error %g (neutral %g)", sr_colourspace_id(a),
                sr_colourspace_id(b), sr_colourspace_id(a), worst, worst_neutral);
      if (a == b)
        g_assert_cmpmem(px, sizeof(float) * n * 3, orig, sizeof(float) * n * 3);
      sr_colour_transform_free(ab);
      sr_colour_transform_free(ba);
    }
  g_free(orig);
  g_free(px);
}

/* The fast path agrees with LittleCMS's own float transform built with the
 * real tone curves, including above 1 where LittleCMS's curves are
 * unbounded. */
static cmsHPROFILE
lcms_profile(sr_colourspace cs)
{
  float c[8];
  sr_colourspace_chromaticities(cs, c);
  cmsCIExyY w = {c[6], c[7], 1};
  cmsCIExyYTRIPLE p = {{c[0], c[1], 1}, {c[2], c[3], 1}, {c[4], c[5], 1}};
  cmsToneCurve *curve;
  if (cs == SR_CS_SRGB) {
    double params[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
    curve = cmsBuildParametricToneCurve(NULL, 4, params);
  } else {
    curve = cmsBuildGamma(NULL, cs == SR_CS_REC709 ? 2.4 : 1.0);
  }
  cmsToneCurve *three[3] = {curve, curve, curve};
  cmsHPROFILE prof = cmsCreateRGBProfile(&w, &p, three);
  cmsFreeToneCurve(curve);
  return prof;
}

static void
test_against_lcms(void)
{
  static const float probe[] = {0.1f, 0.2f, 0.3f, 0.5f, 0.5f, 0.5f, 0.9f, 0.7f,  0.6f,  1.0f, 1.0f,
                                1.0f, 2.0f, 1.5f, 1.2f, 4.0f, 4.0f, 4.0f, 16.0f, 12.0f, 9.0f};
  const int n = G_N_ELEMENTS(probe) / 3;
  for (int a = 0; a < SR_CS_COUNT; a++)
    for (int b = 0; b < SR_CS_COUNT; b++) {
      cmsHPROFILE pa = lcms_profile(a), pb = lcms_profile(b);
      cmsHTRANSFORM x = cmsCreateTransform(pa, TYPE_RGB_FLT, pb, TYPE_RGB_FLT,
                                           INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_NOCACHE);
      g_assert_nonnull(x);
      float ref[G_N_ELEMENTS(probe)], ours[G_N_ELEMENTS(probe)];
      cmsDoTransform(x, probe, ref, n);
      memcpy(ours, probe, sizeof ours);
      sr_colour_transform *t = transform(a, b);
      sr_colour_transform_apply(t, ours, n, 3);
      for (int i = 0; i < n * 3; i++) {
        if (ref[i] <= 0.0f) /* LittleCMS's power curves give 0 below 0 */
          continue;
        if (fabs(ref[i] - ours[i]) > 2e-5 * fmax(1.0, fabs(ref[i])))
          g_error("%s → %s value %d: LittleCMS %.7g, ours %.7g", sr_colourspace_id(a),
                  sr_colourspace_id(b), i, ref[i], ours[i]);
      }
      sr_colour_transform_free(t);
      cmsDeleteTransform(x);
      cmsCloseProfile(pa);
      cmsCloseProfile(pb);
    }
}

static void
test_rgba_and_image(void)
{
  sr_colour_transform *t = transform(SR_CS_ACES2065_1, SR_CS_REC709);
  float rgba[8] = {0.2f, 0.3f, 0.4f, 0.25f, 2.0f, 1.0f, 0.5f, 0.75f};
  float rgb[6] = {0.2f, 0.3f, 0.4f, 2.0f, 1.0f, 0.5f};
  sr_colour_transform_apply(t, rgba, 2, 4);
  sr_colour_transform_apply(t, rgb, 2, 3);
  g_assert_cmpfloat(rgba[3], ==, 0.25f);
  g_assert_cmpfloat(rgba[7], ==, 0.75f);
  for (int c = 0; c < 3; c++) {
    g_assert_cmpfloat(rgba[c], ==, rgb[c]);
    g_assert_cmpfloat(rgba[4 + c], ==, rgb[3 + c]);
  }
  sr_error err = {0};
  sr_image *img = sr_image_new(4, 2, 3, &err), *grey = sr_image_new(4, 2, 1, &err);
  for (size_t i = 0; i < sr_image_n_floats(img); i++)
    img->pixels[i] = 0.1f * (float)i;
  for (size_t i = 0; i < sr_image_n_floats(grey); i++)
    grey->pixels[i] = 0.3f;
  float first[3] = {img->pixels[0], img->pixels[1], img->pixels[2]};
  sr_colour_transform_apply(t, first, 1, 3);
  sr_colour_transform_image(t, img);
  sr_colour_transform_image(t, grey);
  g_assert_cmpmem(img->pixels, sizeof first, first, sizeof first);
  g_assert_true(img->has_chromaticities);
  g_assert_cmpfloat_with_epsilon(img->chromaticities[6], 0.3127, 1e-6);
  g_assert_cmpfloat(grey->pixels[0], ==, 0.3f); /* one channel: left alone */
  sr_image_free(img);
  sr_image_free(grey);
  sr_colour_transform_free(t);

  g_assert_null(sr_colour_transform_new(SR_CS_COUNT, SR_CS_REC709, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
}

typedef struct thread_job {
  const sr_colour_transform *t;
  float *px;
  size_t n;
} thread_job;

static gpointer
apply_thread(gpointer data)
{
  thread_job *j = data;
  for (int rep = 0; rep < 4; rep++)
    sr_colour_transform_apply(j->t, j->px + rep * j->n * 3 / 4, j->n / 4, 3);
  return NULL;
}

static void
test_threads(void)
{
  sr_colour_transform *t = transform(SR_CS_ACESCG, SR_CS_SRGB);
  enum { N = 40000 };
  float *serial = g_new(float, N * 3), *a = g_new(float, N * 3), *b = g_new(float, N * 3);
  for (int i = 0; i < N * 3; i++)
    serial[i] = a[i] = b[i] = (float)((i * 7919) % 1000) / 250.0f - 0.5f;
  sr_colour_transform_apply(t, serial, N, 3);
  thread_job ja = {t, a, N}, jb = {t, b, N};
  GThread *ta = g_thread_new("colour-a", apply_thread, &ja);
  GThread *tb = g_thread_new("colour-b", apply_thread, &jb);
  g_thread_join(ta);
  g_thread_join(tb);
  g_assert_cmpmem(a, sizeof(float) * N * 3, serial, sizeof(float) * N * 3);
  g_assert_cmpmem(b, sizeof(float) * N * 3, serial, sizeof(float) * N * 3);
  g_free(serial);
  g_free(a);
  g_free(b);
  sr_colour_transform_free(t);
}

/* ---- Training domain ------------------------------------------------------ */

static sr_domain *
domain(sr_colourspace cs)
{
  sr_error err = {0};
  sr_domain *d = sr_domain_new(cs, &err);
  if (!d)
    g_error("domain for %s: %s", sr_colourspace_id(cs), err.message);
  g_assert_cmpint(sr_domain_input_space(d), ==, cs);
  return d;
}

static void
test_domain_round_trip(void)
{
  for (int cs = 0; cs < SR_CS_COUNT; cs++) {
    sr_domain *d = domain(cs);
    enum { N = 1000 };
    float dom[N * 3], px[N * 3];
    for (int i = 0; i < N * 3; i++)
      dom[i] = (float)((i * 37) % 1001) / 1000.0f; /* in-range domain values */
    memcpy(px, dom, sizeof px);
    sr_domain_inverse(d, px, N, 3);
    sr_domain_forward(d, px, N, 3);
    /* Exact to float rounding of the input-space value: tight in linear
     * light; in the domain the 1/2.4 power magnifies it near black only. */
    float lin_a[N * 3], lin_b[N * 3];
    memcpy(lin_a, dom, sizeof lin_a);
    memcpy(lin_b, px, sizeof lin_b);
    sr_colour_transform *lin = transform(SR_TRAINING_DOMAIN, SR_CS_LINEAR_REC709);
    sr_colour_transform_apply(lin, lin_a, N, 3);
    sr_colour_transform_apply(lin, lin_b, N, 3);
    sr_colour_transform_free(lin);
    for (int p = 0; p < N; p++) {
      float scale = fmaxf(1e-6f, fmaxf(lin_a[p * 3], fmaxf(lin_a[p * 3 + 1], lin_a[p * 3 + 2])));
      for (int c = 0; c < 3; c++) {
        int i = p * 3 + c;
        g_assert_cmpfloat(fabsf(lin_b[i] - lin_a[i]) / scale, <=, 1e-6);
        if (dom[i] >= 0.05f)
          g_assert_cmpfloat_with_epsilon(px[i], dom[i], 1e-5);
      }
    }
    sr_domain_free(d);
  }
}

/* Input space pixels: mid-tones, highlights far above 1, out-of-gamut colours. */
static const float scene[] = {
    0.18f, 0.18f, 0.18f, 0.05f, 0.1f,  0.2f,   4.0f,   3.5f, 3.0f,  16.0f, 16.0f, 16.0f,
    0.9f,  0.01f, 0.02f, 0.0f,  0.0f,  0.0f,   -0.01f, 0.2f, 0.3f,  1.0f,  1.0f,  1.0f,
    0.5f,  0.4f,  0.3f,  0.02f, 0.03f, 0.025f, 1.2f,   0.9f, 0.8f,  0.7f,  0.7f,  0.75f,
    0.3f,  0.3f,  0.3f,  0.1f,  0.12f, 0.11f,  0.25f,  0.2f, 0.22f,
};

static void
to_network_input(const sr_domain *d, const float *orig, float *input, size_t n)
{
  memcpy(input, orig, sizeof(float) * n * 3);
  sr_domain_forward(d, input, n, 3);
  for (size_t i = 0; i < n * 3; i++)
    input[i] = input[i] < 0.0f ? 0.0f : input[i] > 1.0f ? 1.0f : input[i];
}

static void
test_domain_identity_merge(void)
{
  const size_t n = G_N_ELEMENTS(scene) / 3;
  for (int cs = 0; cs < SR_CS_COUNT; cs++) {
    sr_domain *d = domain(cs);
    float input[G_N_ELEMENTS(scene)], out[G_N_ELEMENTS(scene)], alias[G_N_ELEMENTS(scene)];
    to_network_input(d, scene, input, n);
    sr_domain_merge(d, scene, input, input, out, n, 3);
    g_assert_cmpmem(out, sizeof out, scene, sizeof scene);
    memcpy(alias, scene, sizeof alias);
    sr_domain_merge(d, alias, input, input, alias, n, 3); /* out aliasing original */
    g_assert_cmpmem(alias, sizeof alias, scene, sizeof scene);
    sr_domain_free(d);
  }
  /* RGBA: alpha comes from the original. */
  sr_domain *d = domain(SR_CS_ACES2065_1);
  float orig[8] = {8.0f, 4.0f, 2.0f, 0.5f, 0.1f, 0.2f, 0.3f, 1.0f};
  float in4[8], res4[8], out4[8];
  memcpy(in4, orig, sizeof in4);
  sr_domain_forward(d, in4, 2, 4);
  for (int i = 0; i < 8; i++)
    if (i % 4 != 3)
      in4[i] = fminf(fmaxf(in4[i], 0.0f), 1.0f);
  memcpy(res4, in4, sizeof res4);
  res4[3] = res4[7] = 0.0f;
  sr_domain_merge(d, orig, in4, res4, out4, 2, 4);
  g_assert_cmpmem(out4, sizeof out4, orig, sizeof orig);
  sr_domain_free(d);
}

static void
test_domain_merge_changes_luma_only(void)
{
  const size_t n = G_N_ELEMENTS(scene) / 3;
  const float delta = 0.03f;
  for (int cs = 0; cs < SR_CS_COUNT; cs++) {
    sr_domain *d = domain(cs);
    float input[G_N_ELEMENTS(scene)], result[G_N_ELEMENTS(scene)], out[G_N_ELEMENTS(scene)],
        fwd[G_N_ELEMENTS(scene)];
    to_network_input(d, scene, input, n);
    memcpy(fwd, scene, sizeof fwd);
    sr_domain_forward(d, fwd, n, 3);
    for (size_t i = 0; i < n * 3; i++)
      result[i] = input[i] + delta;
    sr_domain_merge(d, scene, input, result, out, n, 3);
    int changed = 0;
    for (size_t p = 0; p < n; p++) {
      bool clipped = false;
      for (int c = 0; c < 3; c++)
        clipped |= fwd[p * 3 + c] < 0.0f || fwd[p * 3 + c] > 1.0f;
      if (clipped) {
        g_assert_cmpmem(out + p * 3, 12, scene + p * 3, 12);
        continue;
      }
      bool any_top = false;
      for (int c = 0; c < 3; c++)
        any_top |= input[p * 3 + c] + delta > 1.0f;
      if (any_top)
        continue;
      /* Back in the domain the merged pixel is the input plus Δ(1,1,1):
       * luma moved by Δ, Cb/Cr unchanged. */
      float o[3] = {out[p * 3], out[p * 3 + 1], out[p * 3 + 2]};
      sr_domain_forward(d, o, 1, 3);
      float yo[3], yi[3];
      sr_rgb_to_ycbcr(SR_YCBCR_BT709, o, yo, 1, 3);
      sr_rgb_to_ycbcr(SR_YCBCR_BT709, input + p * 3, yi, 1, 3);
      g_assert_cmpfloat_with_epsilon(yo[0] - yi[0], delta, 2e-5);
      g_assert_cmpfloat_with_epsilon(yo[1], yi[1], 2e-5);
      g_assert_cmpfloat_with_epsilon(yo[2], yi[2], 2e-5);
      changed++;
    }
    g_assert_cmpint(changed, >=, 6);
    sr_domain_free(d);
  }
}

/* ---- YCbCr ---------------------------------------------------------------- */

static void
test_ycbcr(void)
{
  sr_ycbcr_coeffs k = sr_ycbcr_coefficients(SR_YCBCR_BT709);
  g_assert_cmpfloat_with_epsilon(k.kr, 0.2126, 1e-7);
  g_assert_cmpfloat_with_epsilon(k.kg, 0.7152, 1e-7);
  g_assert_cmpfloat_with_epsilon(k.kb, 0.0722, 1e-7);
  k = sr_ycbcr_coefficients(SR_YCBCR_BT601);
  g_assert_cmpfloat_with_epsilon(k.kr, 0.299, 1e-7);
  g_assert_cmpfloat_with_epsilon(k.kb, 0.114, 1e-7);
  g_assert_cmpfloat_with_epsilon(sr_luma(k, 1, 1, 1), 1.0, 1e-6);

  float rgb[12] = {1, 1, 1, 1, 0, 0, 0, 0, 1, 0.3f, 0.6f, 0.1f}, ycc[12];
  sr_rgb_to_ycbcr(SR_YCBCR_BT709, rgb, ycc, 4, 3);
  g_assert_cmpfloat_with_epsilon(ycc[0], 1.0, 1e-6); /* white */
  g_assert_cmpfloat_with_epsilon(ycc[1], 0.0, 1e-7);
  g_assert_cmpfloat_with_epsilon(ycc[2], 0.0, 1e-7);
  g_assert_cmpfloat_with_epsilon(ycc[3], 0.2126, 1e-7); /* red */
  g_assert_cmpfloat_with_epsilon(ycc[4], -0.2126 / (2 * (1 - 0.0722)), 1e-7);
  g_assert_cmpfloat_with_epsilon(ycc[5], 0.5, 1e-7);
  g_assert_cmpfloat_with_epsilon(ycc[6], 0.0722, 1e-7); /* blue */
  g_assert_cmpfloat_with_epsilon(ycc[7], 0.5, 1e-7);
  sr_rgb_to_ycbcr(SR_YCBCR_BT601, rgb + 3, ycc, 1, 3);
  g_assert_cmpfloat_with_epsilon(ycc[0], 0.299, 1e-7);
  g_assert_cmpfloat_with_epsilon(ycc[1], -0.299 / 1.772, 1e-7);
  g_assert_cmpfloat_with_epsilon(ycc[2], 0.5, 1e-7);

  for (int m = SR_YCBCR_BT709; m <= SR_YCBCR_BT601; m++) {
    enum { N = 500 };
    float src[N * 4], y[N * 3], back[N * 4], shifted[N * 4], ys[N * 3];
    for (int i = 0; i < N * 4; i++)
      src[i] = (float)((i * 613) % 997) / 500.0f - 0.3f;
    memcpy(back, src, sizeof back);
    sr_rgb_to_ycbcr(m, src, y, N, 4);
    for (int i = 0; i < N * 4; i++)
      back[i] = i % 4 == 3 ? src[i] : -99.0f;
    sr_ycbcr_to_rgb(m, y, back, N, 4);
    for (int i = 0; i < N * 4; i++)
      g_assert_cmpfloat_with_epsilon(back[i], src[i], 2e-6);
    /* Δ on R, G and B moves Y by Δ and leaves Cb/Cr alone. */
    const float delta = 0.125f;
    for (int i = 0; i < N * 4; i++)
      shifted[i] = i % 4 == 3 ? src[i] : src[i] + delta;
    sr_rgb_to_ycbcr(m, shifted, ys, N, 4);
    for (int p = 0; p < N; p++) {
      g_assert_cmpfloat_with_epsilon(ys[p * 3] - y[p * 3], delta, 1e-6);
      g_assert_cmpfloat_with_epsilon(ys[p * 3 + 1], y[p * 3 + 1], 1e-6);
      g_assert_cmpfloat_with_epsilon(ys[p * 3 + 2], y[p * 3 + 2], 1e-6);
    }
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/colour/ids", test_ids);
  g_test_add_func("/colour/published-matrices", test_published_matrices);
  g_test_add_func("/colour/curves", test_curves);
  g_test_add_func("/colour/power-accuracy", test_power_accuracy);
  g_test_add_func("/colour/round-trips", test_round_trips);
  g_test_add_func("/colour/against-lcms", test_against_lcms);
  g_test_add_func("/colour/rgba-and-image", test_rgba_and_image);
  g_test_add_func("/colour/threads", test_threads);
  g_test_add_func("/colour/domain/round-trip", test_domain_round_trip);
  g_test_add_func("/colour/domain/identity-merge", test_domain_identity_merge);
  g_test_add_func("/colour/domain/luma-only", test_domain_merge_changes_luma_only);
  g_test_add_func("/colour/ycbcr", test_ycbcr);
  return g_test_run();
}
