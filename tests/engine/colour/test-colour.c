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
      /* A float holds a log code value to ~1e-8, which is ~1e-10 in linear
       * light at black: measure log round trips above a floor of 1e-4. */
      bool log =
          sr_colourspace_is_log((sr_colourspace)a) || sr_colourspace_is_log((sr_colourspace)b);
      for (int p = 0; p < n; p++) {
        double scale = log ? 1e-4 : 1e-6;
        for (int c = 0; c < 3; c++)
          scale = fmax(scale, fabs(lin_o[p * 3 + c]));
        for (int c = 0; c < 3; c++)
          worst = fmax(worst, fabs((double)lin_p[p * 3 + c] - lin_o[p * 3 + c]) / scale);
        const float *o = orig + p * 3;
        /* Log codes above 1.5 times full scale decode past float range. */
        if (sr_colourspace_is_log((sr_colourspace)a) && (o[0] > 1.5f || o[1] > 1.5f || o[2] > 1.5f))
          continue;
        /* Near black a log code holds linear light to ~1e-9 absolute, less
         * than a display encoding's 1e-4 and far less, relatively, than
         * another log code below film base: log neutrals from 0.1 up. */
        if (o[0] == o[1] && o[1] == o[2] && o[0] != 0.0f && (!log || fabsf(o[0]) >= 0.1f))
          for (int c = 0; c < 3; c++)
            worst_neutral = fmax(worst_neutral, fabs((double)px[p * 3 + c] - o[c]) / fabs(o[c]));
      }
      g_free(lin_o);
      g_free(lin_p);
      /* One ulp of a log code value is up to ~35 ulp of linear light (the
       * curves' slope), and the 2.4 power adds ~2.4 more: 1e-5 for neutrals. Colours no film records (an
       * exposure below zero through ADX's matrices) land hundreds of times
       * outside the code range, where floats are coarser: 1e-4 there. */
      double tol = log ? 1e-4 : 1e-6, tol_neutral = log ? 1e-5 : 1e-6;
      if (worst > tol || worst_neutral > tol_neutral)
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
  } else if (cs == SR_CS_CINEON) {
    /* Type 8, Y = a·b^(cX + d) + e, from the documented constants: black
     * 95, white 685, 0.002 density a code value, negative gamma 0.6. */
    double k = 0.002 / 0.6, o = pow(10.0, (95.0 - 685.0) * k);
    double params[5] = {1.0 / (1.0 - o), 10.0, 1023.0 * k, -685.0 * k, -o / (1.0 - o)};
    curve = cmsBuildParametricToneCurve(NULL, 8, params);
  } else {
    curve = cmsBuildGamma(NULL, cs == SR_CS_REC709 ? 2.4 : 1.0);
  }
  g_assert_nonnull(curve);
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
      /* ADX is no matrix-shaper; test_adx pins it to reference values. */
      if (a == SR_CS_ADX10 || a == SR_CS_ADX16 || b == SR_CS_ADX10 || b == SR_CS_ADX16)
        continue;
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

/* The scene in the space's own encoding: log spaces get the codes a scan of
 * those ACES2065-1 values would hold. */
static void
scene_in(sr_colourspace cs, float *out)
{
  memcpy(out, scene, sizeof scene);
  if (sr_colourspace_is_log(cs)) {
    sr_colour_transform *t = transform(SR_CS_ACES2065_1, cs);
    sr_colour_transform_apply(t, out, G_N_ELEMENTS(scene) / 3, 3);
    sr_colour_transform_free(t);
  }
}

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
    float input[G_N_ELEMENTS(scene)], out[G_N_ELEMENTS(scene)], alias[G_N_ELEMENTS(scene)],
        px[G_N_ELEMENTS(scene)];
    scene_in(cs, px);
    to_network_input(d, px, input, n);
    sr_domain_merge(d, px, input, input, out, n, 3);
    g_assert_cmpmem(out, sizeof out, px, sizeof px);
    memcpy(alias, px, sizeof alias);
    sr_domain_merge(d, alias, input, input, alias, n, 3); /* out aliasing original */
    g_assert_cmpmem(alias, sizeof alias, px, sizeof px);
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
        fwd[G_N_ELEMENTS(scene)], px[G_N_ELEMENTS(scene)];
    scene_in(cs, px);
    to_network_input(d, px, input, n);
    memcpy(fwd, px, sizeof fwd);
    sr_domain_forward(d, fwd, n, 3);
    for (size_t i = 0; i < n * 3; i++)
      result[i] = input[i] + delta;
    sr_domain_merge(d, px, input, result, out, n, 3);
    int changed = 0;
    for (size_t p = 0; p < n; p++) {
      bool clipped = false;
      for (int c = 0; c < 3; c++)
        clipped |= fwd[p * 3 + c] < 0.0f || fwd[p * 3 + c] > 1.0f;
      if (clipped) {
        g_assert_cmpmem(out + p * 3, 12, px + p * 3, 12);
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


/* ---- Film-scan log spaces ----------------------------------------------- */

static void
convert1(sr_colourspace from, sr_colourspace to, const float in[3], float out[3])
{
  sr_colour_transform *t = transform(from, to);
  memcpy(out, in, sizeof(float) * 3);
  sr_colour_transform_apply(t, out, 1, 3);
  sr_colour_transform_free(t);
}

/* Reference points of the documented curves. */
static void
test_log_reference_points(void)
{
  float out[3];
  /* Cineon: base 95 → 0, white 685 → 1, code 1023 → 13.52 (no soft clip). */
  const struct {
    float code, linear;
  } cin[] = {{95.0f, 0.0f},
             {685.0f, 1.0f},
             {1023.0f, 13.5216946f},
             {445.0f, 0.149303712f},
             {0.0f, -0.00565081944f}};
  for (size_t i = 0; i < G_N_ELEMENTS(cin); i++) {
    float c = cin[i].code / 1023.0f, px[3] = {c, c, c};
    convert1(SR_CS_CINEON, SR_CS_LINEAR_REC709, px, out);
    for (int ch = 0; ch < 3; ch++)
      g_assert_cmpfloat_with_epsilon(out[ch], cin[i].linear, 2e-6 * fmaxf(1.0f, cin[i].linear));
  }
  /* ADX: 18 % grey at ADX10 445 and ADX16 7120; CID 0.6 (ADX10 395, ADX16
   * 6320) at the table's last entry, 10^−0.926545676714876. Neutral
   * densities stay neutral through both matrices. */
  const struct {
    sr_colourspace cs;
    float code, scale, aces;
  } adx[] = {
      {SR_CS_ADX10, 445.0f, 1023.0f, 0.18f},
      {SR_CS_ADX16, 7120.0f, 65535.0f, 0.18f},
      {SR_CS_ADX10, 395.0f, 1023.0f, 0.118427980f},
      {SR_CS_ADX16, 6320.0f, 65535.0f, 0.118427980f},
      {SR_CS_ADX10, 95.0f, 1023.0f, 0.00130126961f},
      {SR_CS_ADX16, 1520.0f, 65535.0f, 0.00130126961f},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(adx); i++) {
    float c = adx[i].code / adx[i].scale, px[3] = {c, c, c};
    convert1(adx[i].cs, SR_CS_ACES2065_1, px, out);
    for (int ch = 0; ch < 3; ch++)
      g_assert_cmpfloat(fabsf(out[ch] - adx[i].aces), <=, 2e-5f * adx[i].aces);
  }
  /* The same density in ADX10 and ADX16 is the same ACES value. */
  for (double d = -0.15; d < 2.0; d += 0.137) {
    float a10[3] = {(float)((95 + 500 * d) / 1023), (float)((95 + 500 * (d * 0.8)) / 1023),
                    (float)((95 + 500 * (d * 1.1)) / 1023)};
    float a16[3] = {(float)((1520 + 8000 * d) / 65535), (float)((1520 + 8000 * (d * 0.8)) / 65535),
                    (float)((1520 + 8000 * (d * 1.1)) / 65535)};
    float o10[3], o16[3];
    convert1(SR_CS_ADX10, SR_CS_ACES2065_1, a10, o10);
    convert1(SR_CS_ADX16, SR_CS_ACES2065_1, a16, o16);
    for (int ch = 0; ch < 3; ch++)
      g_assert_cmpfloat(fabsf(o10[ch] - o16[ch]), <=, 2e-5f * fmaxf(1e-3f, fabsf(o10[ch])));
  }
}

/* Round trips to ACES2065-1 over the codes a scan holds. Stated tolerances,
 * in printing density: code → ACES → code within 1e-6 for neutrals and
 * 5e-4 (a quarter of a 10-bit code value) for colours, where a dark channel
 * beside a bright one is held in ACES only to the float precision of the
 * bright one; so every 10-bit code comes back after rounding. ACES → code →
 * ACES within 5e-6 of the pixel's largest component (floor 1e-4). */
static void
test_log_aces_round_trips(void)
{
  const sr_colourspace spaces[] = {SR_CS_CINEON, SR_CS_ADX10, SR_CS_ADX16};
  for (size_t s = 0; s < G_N_ELEMENTS(spaces); s++) {
    sr_colourspace cs = spaces[s];
    double scale = cs == SR_CS_ADX16 ? 65535.0 : 1023.0;
    double density_per_code = cs == SR_CS_ADX16   ? 1.0 / 8000
                              : cs == SR_CS_ADX10 ? 1.0 / 500
                                                  : 0.002;
    /* ADX16 codes over the densities ADX10 holds (−0.19 to 1.86). Wider
     * spreads inside one pixel put a dark channel 10^4 times below a
     * bright one in ACES, beyond what a float holds of the dark one. */
    double range = cs == SR_CS_ADX16 ? 16368.0 / 65535.0 : 1.0;
    sr_colour_transform *to = transform(cs, SR_CS_ACES2065_1),
                        *from = transform(SR_CS_ACES2065_1, cs);
    enum { N = 4096 };
    float *codes = g_new(float, N * 3), *px = g_new(float, N * 3);
    guint32 seed = 12345;
    for (int i = 0; i < N * 3; i++) {
      seed = seed * 1664525u + 1013904223u;
      /* Neutral ramp for the first third, random colours after. */
      double u = i < N / 3 * 3 ? (double)(i / 3) / (N / 3 - 1) : (double)(seed >> 8) / (1 << 24);
      codes[i] = (float)(round(u * range * scale) / scale);
    }
    memcpy(px, codes, sizeof(float) * N * 3);
    sr_colour_transform_apply(to, px, N, 3);
    float *aces = g_memdup2(px, sizeof(float) * N * 3);
    sr_colour_transform_apply(from, px, N, 3);
    double worst_code = 0.0, worst_neutral = 0.0, worst_aces = 0.0;
    for (int i = 0; i < N * 3; i++) {
      double e = fabs((double)px[i] - codes[i]) * scale * density_per_code;
      if (i < N / 3 * 3)
        worst_neutral = fmax(worst_neutral, e);
      worst_code = fmax(worst_code, e);
    }
    sr_colour_transform_apply(to, px, N, 3);
    for (int p = 0; p < N; p++) {
      double big = 1e-4;
      for (int c = 0; c < 3; c++)
        big = fmax(big, fabs(aces[p * 3 + c]));
      for (int c = 0; c < 3; c++)
        worst_aces = fmax(worst_aces, fabs((double)px[p * 3 + c] - aces[p * 3 + c]) / big);
    }
    g_test_message("%s: code round trip %.3g density (neutrals %.3g), ACES round trip %.3g",
                   sr_colourspace_id(cs), worst_code, worst_neutral, worst_aces);
    g_assert_cmpfloat(worst_neutral, <=, 1e-6);
    g_assert_cmpfloat(worst_code, <=, 5e-4);
    g_assert_cmpfloat(worst_aces, <=, 5e-6);
    g_free(codes);
    g_free(px);
    g_free(aces);
    sr_colour_transform_free(to);
    sr_colour_transform_free(from);
  }
}

/* Strictly increasing, through the extensions below code 0 too. */
static void
test_log_monotonic(void)
{
  const sr_colourspace spaces[] = {SR_CS_CINEON, SR_CS_ADX10, SR_CS_ADX16};
  for (size_t s = 0; s < G_N_ELEMENTS(spaces); s++) {
    sr_colour_transform *t = transform(spaces[s], SR_CS_ACES2065_1);
    float prev = -INFINITY;
    for (int i = -400; i <= 1400; i++) {
      float c = (float)i / 1000.0f, px[3] = {c, c, c};
      sr_colour_transform_apply(t, px, 1, 3);
      g_assert_true(isfinite(px[1]));
      g_assert_cmpfloat(px[1], >, prev);
      prev = px[1];
    }
    sr_colour_transform_free(t);
  }
  g_assert_true(sr_colourspace_is_log(SR_CS_CINEON));
  g_assert_true(sr_colourspace_is_log(SR_CS_ADX16));
  g_assert_false(sr_colourspace_is_log(SR_CS_REC709));
  sr_colourspace cs;
  g_assert_true(sr_colourspace_from_id("Cineon", &cs) && cs == SR_CS_CINEON);
  g_assert_true(sr_colourspace_from_id("lg10", &cs) && cs == SR_CS_CINEON);
  g_assert_true(sr_colourspace_from_id("ACES ADX10", &cs) && cs == SR_CS_ADX10);
  g_assert_true(sr_colourspace_from_id("ADX16", &cs) && cs == SR_CS_ADX16);
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

/* The Y plane of an RGB, an RGBA and a one-channel image. */
static void
test_luma_plane(void)
{
  sr_ycbcr_coeffs k = sr_ycbcr_coefficients(SR_YCBCR_BT709);
  for (int ch = 1; ch <= 4; ch += ch == 1 ? 2 : 1) {
    sr_image *img = sr_image_new(3, 2, ch, NULL);
    for (size_t i = 0; i < (size_t)6 * ch; i++)
      img->pixels[i] = (float)((i * 37) % 11) / 10.0f;
    float y[6];
    sr_luma_plane(img, k, y);
    for (size_t p = 0; p < 6; p++) {
      const float *px = img->pixels + p * ch;
      float want = ch >= 3 ? 0.2126f * px[0] + 0.7152f * px[1] + 0.0722f * px[2] : px[0];
      g_assert_cmpfloat_with_epsilon(y[p], want, 1e-6);
    }
    sr_image_free(img);
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
  g_test_add_func("/colour/luma-plane", test_luma_plane);
  g_test_add_func("/colour/log/reference-points", test_log_reference_points);
  g_test_add_func("/colour/log/aces-round-trips", test_log_aces_round_trips);
  g_test_add_func("/colour/log/monotonic", test_log_monotonic);
  return g_test_run();
}
