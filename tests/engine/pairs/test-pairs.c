/* Stage 3 pair build, Source preparation, merge back, median, checks and
 * the misalignment estimate. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "sr-pairs.h"
#include "sr-simulator.h"

/* ---- Procedural images ------------------------------------------------------ */

/* A smooth, band-limited texture: a sum of plane waves with periods of 5 to
 * 40 px, sampled at any real position so shifted copies are exact. */
typedef struct texture {
  int n;
  double fx[24], fy[24], phase[24], amp[24];
} texture;

static void
texture_init(texture *t, guint32 seed)
{
  GRand *r = g_rand_new_with_seed(seed);
  t->n = 24;
  for (int i = 0; i < t->n; i++) {
    double period = g_rand_double_range(r, 5.0, 40.0);
    double angle = g_rand_double_range(r, 0.0, 2.0 * G_PI);
    t->fx[i] = cos(angle) / period;
    t->fy[i] = sin(angle) / period;
    t->phase[i] = g_rand_double_range(r, 0.0, 2.0 * G_PI);
    t->amp[i] = g_rand_double_range(r, 0.3, 1.0);
  }
  g_rand_free(r);
}

static double
texture_at(const texture *t, double x, double y)
{
  double s = 0.0, norm = 0.0;
  for (int i = 0; i < t->n; i++) {
    s += t->amp[i] * sin(2.0 * G_PI * (t->fx[i] * x + t->fy[i] * y) + t->phase[i]);
    norm += t->amp[i];
  }
  return s / norm; /* within [-1, 1] */
}

/* RGB(A) image of the texture displaced by (dx, dy): pixel (x, y) shows the
 * texture at (x - dx, y - dy), i.e. the content moves by +dx, +dy. Values
 * lie in [lo, hi]. */
static sr_image *
textured(int w, int h, int channels, const texture *t, double dx, double dy, float lo, float hi)
{
  sr_error err = {0};
  sr_image *img = sr_image_new(w, h, channels, &err);
  g_assert_nonnull(img);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double v = 0.5 + 0.5 * texture_at(t, x - dx, y - dy);
      double c = 0.5 + 0.5 * sin(0.05 * x + 0.03 * y); /* slow colour drift */
      float *p = sr_image_row(img, y) + (size_t)x * channels;
      double rgb[3] = {v * (0.8 + 0.2 * c), v * 0.9, v * (1.0 - 0.2 * c)};
      for (int k = 0; k < channels && k < 3; k++)
        p[k] = lo + (hi - lo) * (float)rgb[k];
      if (channels == 1)
        p[0] = lo + (hi - lo) * (float)v;
      if (channels == 4)
        p[3] = 1.0f;
    }
  return img;
}

static sr_prep_settings
settings(sr_colourspace src, sr_colourspace ref)
{
  sr_prep_settings s;
  sr_prep_settings_init(&s);
  s.source_space = src;
  s.reference_space = ref;
  return s;
}

static void
build_ok(const sr_image *a, const sr_image *b, const sr_prep_settings *s, sr_pair *p)
{
  sr_error err = {0};
  if (!sr_pair_build(a, b, s, p, &err))
    g_error("pair build failed: %s", err.message);
}

static double
max_chroma_diff(const sr_image *a, const sr_image *b)
{
  size_t n = (size_t)a->width * a->height;
  float *ya = g_new(float, n * 3), *yb = g_new(float, n * 3);
  sr_rgb_to_ycbcr(SR_YCBCR_BT709, a->pixels, ya, n, 3);
  sr_rgb_to_ycbcr(SR_YCBCR_BT709, b->pixels, yb, n, 3);
  double worst = 0.0;
  for (size_t i = 0; i < n; i++)
    for (int c = 1; c < 3; c++)
      worst = fmax(worst, fabs((double)ya[i * 3 + c] - yb[i * 3 + c]));
  g_free(ya);
  g_free(yb);
  return worst;
}

/* ---- Settings ------------------------------------------------------------------ */

static void
test_settings(void)
{
  sr_prep_settings s;
  sr_prep_settings_init(&s);
  g_assert_cmpint(s.prefilter, ==, SR_PREFILTER_NONE);
  g_assert_cmpint(s.matrix, ==, SR_YCBCR_BT709);
  g_assert_cmpint(s.source_space, ==, SR_TRAINING_DOMAIN);
  sr_rect r = sr_prep_effective_crop(&s, 640, 480);
  g_assert_true(sr_rect_equal(r, (sr_rect){0, 0, 640, 480}));
  s.crop = (sr_rect){10, 20, 100, 50};
  r = sr_prep_effective_crop(&s, 640, 480);
  g_assert_true(sr_rect_equal(r, s.crop));

  sr_prefilter p;
  for (int i = 0; i < 3; i++) {
    sr_prefilter want = i == 0   ? SR_PREFILTER_NONE
                        : i == 1 ? SR_PREFILTER_MEDIAN3
                                 : SR_PREFILTER_MEDIAN5;
    g_assert_true(sr_prefilter_from_id(sr_prefilter_id(want), &p));
    g_assert_cmpint(p, ==, want);
  }
  g_assert_cmpstr(sr_prefilter_id(SR_PREFILTER_MEDIAN5), ==, "median5");
  g_assert_true(sr_prefilter_from_id("Median3", &p) && p == SR_PREFILTER_MEDIAN3);
  g_assert_false(sr_prefilter_from_id("median7", &p));
  g_assert_false(sr_prefilter_from_id(NULL, &p));
}

/* ---- Ground truth ---------------------------------------------------------------- */

/* Source + (Y_ref − Y_src)·(1,1,1) equals Reference Y with Source Cb/Cr. */
static void
test_ground_truth_formulations(void)
{
  texture ta, tb;
  texture_init(&ta, 11);
  texture_init(&tb, 12);
  static const sr_colourspace spaces[][2] = {
      {SR_CS_REC709, SR_CS_REC709},
      {SR_CS_ACESCG, SR_CS_SRGB},
      {SR_CS_ACES2065_1, SR_CS_LINEAR_REC709},
  };
  for (size_t k = 0; k < G_N_ELEMENTS(spaces); k++) {
    /* Mid-range values so no pixel reaches 0 or 1 after the luma step. */
    gboolean lin_s = sr_colourspace_is_linear(spaces[k][0]),
             lin_r = sr_colourspace_is_linear(spaces[k][1]);
    sr_image *src = textured(96, 64, 3, &ta, 0, 0, lin_s ? 0.08f : 0.3f, lin_s ? 0.3f : 0.6f);
    sr_image *ref = textured(96, 64, 3, &tb, 0, 0, lin_r ? 0.08f : 0.3f, lin_r ? 0.3f : 0.6f);
    sr_prep_settings s = settings(spaces[k][0], spaces[k][1]);
    s.crop = (sr_rect){8, 4, 64, 48};
    sr_pair p = {0};
    build_ok(src, ref, &s, &p);
    g_assert_cmpint(p.input->channels, ==, 3);
    g_assert_cmpint(p.ground_truth->width, ==, 64);
    g_assert_cmpint(p.ground_truth->height, ==, 48);

    /* The Reference prepared alone (domain, crop, clamp): its Y with the
     * input's Cb/Cr, back to RGB. */
    sr_prep_settings rs = settings(spaces[k][1], spaces[k][1]);
    rs.crop = s.crop;
    sr_error err = {0};
    sr_image *ref_prep = sr_prep_source(ref, &rs, &err);
    g_assert_nonnull(ref_prep);
    size_t n = 64 * 48;
    float *yr = g_new(float, n * 3), *ys = g_new(float, n * 3), *alt = g_new(float, n * 3);
    sr_rgb_to_ycbcr(SR_YCBCR_BT709, ref_prep->pixels, yr, n, 3);
    sr_rgb_to_ycbcr(SR_YCBCR_BT709, p.input->pixels, ys, n, 3);
    for (size_t i = 0; i < n; i++)
      ys[i * 3] = yr[i * 3];
    sr_ycbcr_to_rgb(SR_YCBCR_BT709, ys, alt, n, 3);
    double worst = 0.0;
    for (size_t i = 0; i < n * 3; i++)
      worst = fmax(worst, fabs((double)alt[i] - p.ground_truth->pixels[i]));
    g_assert_cmpfloat(worst, <=, 1e-5);
    /* And the ground truth is not just the input: the luma really moved. */
    double moved = 0.0;
    for (size_t i = 0; i < n * 3; i++)
      moved = fmax(moved, fabs((double)p.input->pixels[i] - p.ground_truth->pixels[i]));
    g_assert_cmpfloat(moved, >, 0.02);
    g_assert_cmpfloat(max_chroma_diff(p.ground_truth, p.input), <=, 1e-6);

    g_free(yr);
    g_free(ys);
    g_free(alt);
    sr_image_free(ref_prep);
    sr_pair_clear(&p);
    sr_image_free(src);
    sr_image_free(ref);
  }
}

/* Full-range content: the luma step is shortened where it would leave
 * [0,1], so the pair stays in range and chroma stays exactly the Source's. */
static void
test_chroma_identity_and_range(void)
{
  texture ta, tb;
  texture_init(&ta, 21);
  texture_init(&tb, 22);
  sr_image *src = textured(80, 60, 4, &ta, 0, 0, -1.0f, 2.0f);
  sr_image *ref = textured(80, 60, 3, &tb, 0, 0, -1.2f, 2.2f);
  sr_prep_settings s = settings(SR_CS_REC709, SR_CS_REC709);
  sr_pair p = {0};
  build_ok(src, ref, &s, &p);
  g_assert_cmpint(p.input->channels, ==, 3); /* alpha dropped */
  size_t nf = sr_image_n_floats(p.input);
  int at_bound = 0;
  for (size_t i = 0; i < nf; i++) {
    g_assert_cmpfloat(p.input->pixels[i], >=, 0.0f);
    g_assert_cmpfloat(p.input->pixels[i], <=, 1.0f);
    g_assert_cmpfloat(p.ground_truth->pixels[i], >=, 0.0f);
    g_assert_cmpfloat(p.ground_truth->pixels[i], <=, 1.0f);
    at_bound += p.ground_truth->pixels[i] == 0.0f || p.ground_truth->pixels[i] == 1.0f;
  }
  g_assert_cmpint(at_bound, >, 0);
  g_assert_cmpfloat(max_chroma_diff(p.ground_truth, p.input), <=, 1e-6);

  sr_check_report r;
  sr_check_report_init(&r);
  sr_check_pair(src, ref, &p, &s, "pair 1", &r);
  for (int i = 0; i < r.n; i++)
    if (strcmp(r.items[i].id, "chroma-identity") == 0 || strcmp(r.items[i].id, "range") == 0)
      g_assert_cmpint(r.items[i].status, ==, SR_CHECK_PASS);
  sr_check_report_clear(&r);
  sr_pair_clear(&p);
  sr_image_free(src);
  sr_image_free(ref);
}

/* ---- Order of the chain ------------------------------------------------------------ */

static sr_image *
manual_chain(const sr_image *img, sr_colourspace cs, sr_rect crop, int median, gboolean clamp_first)
{
  sr_error err = {0};
  sr_image *c = sr_image_crop(img, crop, &err);
  g_assert_nonnull(c);
  sr_domain *d = sr_domain_new(cs, &err);
  size_t n = (size_t)c->width * c->height;
  if (clamp_first)
    for (size_t i = 0; i < sr_image_n_floats(c); i++)
      c->pixels[i] = fminf(fmaxf(c->pixels[i], 0.0f), 1.0f);
  sr_domain_forward(d, c->pixels, n, c->channels);
  sr_domain_free(d);
  if (median) {
    sr_image *m = sr_median_filter(c, median, &err);
    sr_image_free(c);
    c = m;
  }
  for (size_t i = 0; i < sr_image_n_floats(c); i++)
    c->pixels[i] = fminf(fmaxf(c->pixels[i], 0.0f), 1.0f);
  return c;
}

static void
test_order(void)
{
  texture ta, tb;
  texture_init(&ta, 31);
  texture_init(&tb, 32);
  /* ACES scene values with highlights up to 3 and saturated colours. */
  sr_image *src = textured(72, 56, 3, &ta, 0, 0, 0.0f, 3.0f);
  sr_image *ref = textured(72, 56, 3, &tb, 0, 0, 0.0f, 3.0f);
  for (int y = 0; y < src->height; y += 7) /* impulse noise the median removes */
    for (int x = (y * 3) % 5; x < src->width; x += 9)
      sr_image_row(src, y)[x * 3 + 1] = 40.0f;
  sr_prep_settings s = settings(SR_CS_ACES2065_1, SR_CS_ACES2065_1);
  s.crop = (sr_rect){4, 6, 60, 40};
  s.prefilter = SR_PREFILTER_MEDIAN3;
  sr_pair p = {0};
  build_ok(src, ref, &s, &p);

  /* Input = clamp(median(domain(crop(Source)))). */
  sr_image *want = manual_chain(src, SR_CS_ACES2065_1, s.crop, 3, FALSE);
  g_assert_cmpmem(p.input->pixels, sr_image_n_floats(want) * 4, want->pixels,
                  sr_image_n_floats(want) * 4);
  /* Clamping before the domain conversion would give something else. */
  sr_image *wrong = manual_chain(src, SR_CS_ACES2065_1, s.crop, 3, TRUE);
  double diff = 0.0;
  for (size_t i = 0; i < sr_image_n_floats(want); i++)
    diff = fmax(diff, fabs((double)wrong->pixels[i] - want->pixels[i]));
  g_assert_cmpfloat(diff, >, 0.01);
  /* The median runs in the domain, not in the input space. */
  sr_error err = {0};
  sr_image *cut = sr_image_crop(src, s.crop, &err);
  sr_image *med_first = sr_median_filter(cut, 3, &err);
  sr_domain *d = sr_domain_new(SR_CS_ACES2065_1, &err);
  sr_domain_forward(d, med_first->pixels, (size_t)med_first->width * med_first->height, 3);
  sr_domain_free(d);
  diff = 0.0;
  for (size_t i = 0; i < sr_image_n_floats(want); i++)
    diff = fmax(diff, fabs((double)fminf(fmaxf(med_first->pixels[i], 0), 1) - want->pixels[i]));
  g_assert_cmpfloat(diff, >, 1e-4);

  /* The Reference is never filtered: ground truth luma is the unfiltered
   * Reference's wherever the luma step was not shortened. */
  sr_image *ref_chain = manual_chain(ref, SR_CS_ACES2065_1, s.crop, 0, FALSE);
  sr_image *ref_filtered = manual_chain(ref, SR_CS_ACES2065_1, s.crop, 3, FALSE);
  sr_ycbcr_coeffs k = sr_ycbcr_coefficients(SR_YCBCR_BT709);
  size_t n = (size_t)want->width * want->height;
  int compared = 0;
  double worst = 0.0, vs_filtered = 0.0;
  for (size_t i = 0; i < n; i++) {
    const float *g = p.ground_truth->pixels + i * 3, *rr = ref_chain->pixels + i * 3,
                *rf = ref_filtered->pixels + i * 3;
    if (fminf(g[0], fminf(g[1], g[2])) <= 0.0f || fmaxf(g[0], fmaxf(g[1], g[2])) >= 1.0f)
      continue;
    compared++;
    worst = fmax(worst, fabs(sr_luma(k, g[0], g[1], g[2]) - sr_luma(k, rr[0], rr[1], rr[2])));
    vs_filtered =
        fmax(vs_filtered, fabs(sr_luma(k, g[0], g[1], g[2]) - sr_luma(k, rf[0], rf[1], rf[2])));
  }
  g_assert_cmpint(compared, >, (int)n / 10);
  g_assert_cmpfloat(worst, <=, 1e-5);
  g_assert_cmpfloat(vs_filtered, >, 1e-3);

  /* sr_prep_source is the same Source chain. */
  sr_image *prepped = sr_prep_source(src, &s, &err);
  g_assert_nonnull(prepped);
  g_assert_cmpmem(prepped->pixels, sr_image_n_floats(prepped) * 4, p.input->pixels,
                  sr_image_n_floats(p.input) * 4);

  sr_image_free(prepped);
  sr_image_free(ref_chain);
  sr_image_free(ref_filtered);
  sr_image_free(cut);
  sr_image_free(med_first);
  sr_image_free(want);
  sr_image_free(wrong);
  sr_pair_clear(&p);
  sr_image_free(src);
  sr_image_free(ref);
}

static void
test_bbox_parity(void)
{
  texture t;
  texture_init(&t, 41);
  sr_image *src = textured(64, 48, 3, &t, 0, 0, 0.2f, 0.8f);
  sr_image *ref = textured(64, 48, 3, &t, 0, 0, 0.2f, 0.8f);
  src->data_window = (sr_rect){100, 50, 64, 48};
  src->display_window = (sr_rect){0, 0, 300, 200};
  ref->data_window = (sr_rect){10, 20, 64, 48};
  ref->display_window = (sr_rect){0, 0, 128, 96};
  sr_prep_settings s = settings(SR_CS_REC709, SR_CS_REC709);
  s.crop = (sr_rect){4, 2, 40, 32};
  sr_pair p = {0};
  build_ok(src, ref, &s, &p);
  sr_rect dw = {14, 22, 40, 32};
  g_assert_true(sr_rect_equal(p.input->data_window, dw));
  g_assert_true(sr_rect_equal(p.ground_truth->data_window, dw));
  g_assert_true(sr_rect_equal(p.input->display_window, ref->display_window));
  g_assert_true(sr_rect_equal(p.ground_truth->display_window, ref->display_window));

  sr_check_report r;
  sr_check_report_init(&r);
  sr_check_pair(src, ref, &p, &s, "pair 3", &r);
  gboolean saw_bbox = FALSE, saw_size = FALSE;
  for (int i = 0; i < r.n; i++) {
    g_assert_cmpstr(r.items[i].subject, ==, "pair 3");
    g_assert_cmpuint(strlen(r.items[i].detail), >, 0);
    if (strcmp(r.items[i].id, "bbox-parity") == 0) {
      saw_bbox = TRUE;
      g_assert_cmpint(r.items[i].status, ==, SR_CHECK_PASS);
    }
    if (strcmp(r.items[i].id, "size-parity") == 0) {
      saw_size = TRUE;
      g_assert_cmpint(r.items[i].status, ==, SR_CHECK_WARN); /* same size, other bbox */
    }
  }
  g_assert_true(saw_bbox && saw_size);
  sr_check_report_clear(&r);

  /* A pair whose two halves disagree is caught. */
  p.ground_truth->data_window.x++;
  sr_check_report_init(&r);
  sr_check_pair(src, ref, &p, &s, "pair 3", &r);
  for (int i = 0; i < r.n; i++)
    if (strcmp(r.items[i].id, "bbox-parity") == 0)
      g_assert_cmpint(r.items[i].status, ==, SR_CHECK_FAIL);
  g_assert_cmpint(sr_check_report_status(&r), ==, SR_CHECK_FAIL);
  sr_check_report_clear(&r);
  sr_pair_clear(&p);
  sr_image_free(src);
  sr_image_free(ref);
}

/* ---- Bad input --------------------------------------------------------------------- */

static const sr_check *
find_check(const sr_check_report *r, const char *id)
{
  for (int i = 0; i < r->n; i++)
    if (strcmp(r->items[i].id, id) == 0)
      return &r->items[i];
  return NULL;
}

static void
test_bad_input(void)
{
  texture t;
  texture_init(&t, 51);
  sr_image *src = textured(64, 48, 3, &t, 0, 0, 0.2f, 0.8f);
  sr_image *ref = textured(64, 48, 3, &t, 0, 0, 0.2f, 0.8f);
  sr_image *other = textured(64, 50, 3, &t, 0, 0, 0.2f, 0.8f);
  sr_prep_settings s = settings(SR_CS_REC709, SR_CS_REC709);
  sr_pair p = {0};
  sr_error err = {0};

  /* Sizes differ. */
  g_assert_false(sr_pair_build(src, other, &s, &p, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  g_assert_nonnull(strstr(err.message, "64x48"));
  g_assert_nonnull(strstr(err.message, "64x50"));
  g_assert_null(p.input);
  sr_check_report r;
  sr_check_report_init(&r);
  sr_check_pair(src, other, NULL, &s, "pair 5", &r);
  g_assert_cmpint(find_check(&r, "size-parity")->status, ==, SR_CHECK_FAIL);
  g_assert_null(find_check(&r, "range")); /* no pair, no pair checks */
  sr_check_report_clear(&r);

  /* Crop leaves the frame. */
  s.crop = (sr_rect){40, 10, 30, 20};
  sr_error_clear(&err);
  g_assert_false(sr_pair_build(src, ref, &s, &p, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  g_assert_nonnull(strstr(err.message, "40,10 30x20"));
  g_assert_nonnull(strstr(err.message, "64x48"));
  sr_error_clear(&err);
  g_assert_null(sr_prep_source(src, &s, &err));
  g_assert_nonnull(strstr(err.message, "30x20"));
  sr_check_report_init(&r);
  sr_check_pair(src, ref, NULL, &s, "pair 5", &r);
  g_assert_cmpint(find_check(&r, "crop-inside")->status, ==, SR_CHECK_FAIL);
  sr_check_report_clear(&r);
  s.crop = (sr_rect){0, 0, 0, 0};

  /* NaN and Inf are counted, never carried into a pair. */
  src->pixels[5] = NAN;
  src->pixels[77] = NAN;
  src->pixels[300] = INFINITY;
  ref->pixels[9] = -INFINITY;
  sr_error_clear(&err);
  g_assert_false(sr_pair_build(src, ref, &s, &p, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  g_assert_nonnull(strstr(err.message, "3 in the Source"));
  g_assert_nonnull(strstr(err.message, "1 in the Reference"));
  g_assert_null(p.input);
  sr_error_clear(&err);
  g_assert_null(sr_prep_source(src, &s, &err));
  g_assert_nonnull(strstr(err.message, "3 values"));
  sr_check_report_init(&r);
  sr_check_pair(src, ref, NULL, &s, "pair 5", &r);
  const sr_check *nf = find_check(&r, "nonfinite");
  g_assert_cmpint(nf->status, ==, SR_CHECK_FAIL);
  g_assert_cmpfloat(nf->value, ==, 4.0);
  sr_check_report_clear(&r);

  /* Missing frames and unknown settings. */
  sr_error_clear(&err);
  g_assert_false(sr_pair_build(NULL, ref, &s, &p, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  s.prefilter = (sr_prefilter)4;
  g_assert_false(sr_pair_build(other, other, &s, &p, &err));
  g_assert_nonnull(strstr(err.message, "pre-filter"));

  sr_image_free(src);
  sr_image_free(ref);
  sr_image_free(other);
}

/* ---- Frame sets and report helpers ----------------------------------------------- */

static void
test_frame_sets(void)
{
  const int pairs[] = {10, 20, 30, 40};
  const int held[] = {15, 25};
  const int held_bad[] = {15, 30};
  sr_check_report r;

  sr_check_report_init(&r);
  sr_check_frame_sets(pairs, 4, held, 2, 50, true, &r);
  g_assert_cmpint(sr_check_report_status(&r), ==, SR_CHECK_PASS);
  g_assert_nonnull(find_check(&r, "held-out"));
  g_assert_nonnull(find_check(&r, "preview-frame"));
  g_assert_nonnull(find_check(&r, "training-pairs"));
  sr_check_report_clear(&r);

  sr_check_report_init(&r);
  sr_check_frame_sets(pairs, 4, held_bad, 2, 50, true, &r);
  const sr_check *h = find_check(&r, "held-out");
  g_assert_cmpint(h->status, ==, SR_CHECK_FAIL);
  g_assert_nonnull(strstr(h->detail, "30"));
  g_assert_cmpint(sr_check_report_status(&r), ==, SR_CHECK_FAIL);
  sr_check_report_clear(&r);

  sr_check_report_init(&r);
  sr_check_frame_sets(pairs, 4, held, 2, 20, true, &r);
  g_assert_cmpint(find_check(&r, "preview-frame")->status, ==, SR_CHECK_FAIL);
  g_assert_cmpint(find_check(&r, "held-out")->status, ==, SR_CHECK_PASS);
  sr_check_report_clear(&r);

  sr_check_report_init(&r);
  sr_check_frame_sets(NULL, 0, NULL, 0, 0, false, &r);
  g_assert_cmpint(find_check(&r, "training-pairs")->status, ==, SR_CHECK_FAIL);
  g_assert_cmpint(find_check(&r, "preview-frame")->status, ==, SR_CHECK_WARN);
  sr_check_report_clear(&r);

  /* Report helpers: growth, worst status, names. */
  sr_check_report_init(&r);
  g_assert_cmpint(sr_check_report_status(&r), ==, SR_CHECK_PASS);
  for (int i = 0; i < 40; i++)
    sr_check_report_add(&r, "x", "project", i == 17 ? SR_CHECK_WARN : SR_CHECK_PASS, i, "line %d",
                        i);
  g_assert_cmpint(r.n, ==, 40);
  g_assert_cmpstr(r.items[39].detail, ==, "line 39");
  g_assert_cmpint(sr_check_report_status(&r), ==, SR_CHECK_WARN);
  sr_check_report_clear(&r);
  g_assert_cmpint(r.n, ==, 0);
  g_assert_cmpstr(sr_check_status_name(SR_CHECK_PASS), ==, "PASS");
  g_assert_cmpstr(sr_check_status_name(SR_CHECK_WARN), ==, "WARN");
  g_assert_cmpstr(sr_check_status_name(SR_CHECK_FAIL), ==, "FAIL");
}

/* 300,000 pairs and held-out frames: linear-logarithmic, where the checks
 * once compared every pair with every other (tens of minutes at this size);
 * the counts and the first repeat are as before. */
static void
test_frame_sets_large(void)
{
  const int n = 300000;
  int *pairs = g_new(int, n + 2), *held = g_new(int, n);
  for (int i = 0; i < n; i++)
    pairs[i] = n - i; /* n..1, worst case for in-order scans */
  pairs[n] = 77;      /* repeats: 77 first, then 5 */
  pairs[n + 1] = 5;
  for (int i = 0; i < n; i++)
    held[i] = n + 1 + i;
  held[10] = 12; /* a clash */
  held[20] = 12; /* the same clash listed again counts once */
  sr_check_report r;
  sr_check_report_init(&r);
  sr_check_frame_sets(pairs, n + 2, held, n, 2 * n + 5, true, &r);
  const sr_check *d = find_check(&r, "duplicate-pairs");
  g_assert_nonnull(d);
  g_assert_cmpint((int)d->value, ==, 2);
  g_assert_nonnull(strstr(d->detail, "frame 77"));
  const sr_check *h = find_check(&r, "held-out");
  g_assert_cmpint(h->status, ==, SR_CHECK_FAIL);
  g_assert_cmpint((int)h->value, ==, 1);
  g_assert_nonnull(strstr(h->detail, "12"));
  g_assert_cmpint(find_check(&r, "preview-frame")->status, ==, SR_CHECK_PASS);
  sr_check_report_clear(&r);
  sr_check_report_init(&r);
  sr_check_frame_sets(pairs, n, held, n, 7, true, &r);
  g_assert_cmpint(find_check(&r, "preview-frame")->status, ==, SR_CHECK_FAIL);
  sr_check_report_clear(&r);
  g_free(pairs);
  g_free(held);
}

/* ---- Median ------------------------------------------------------------------------ */

static int
cmp_float(const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

static void
test_median(void)
{
  GRand *rnd = g_rand_new_with_seed(7);
  sr_error err = {0};
  for (int ch = 1; ch <= 4; ch++) {
    if (ch == 2)
      continue;
    for (int size = 3; size <= 5; size += 2) {
      int w = 37, h = 23;
      sr_image *img = sr_image_new(w, h, ch, &err);
      for (size_t i = 0; i < sr_image_n_floats(img); i++)
        img->pixels[i] = (float)g_rand_double_range(rnd, -1.0, 2.0);
      img->data_window = (sr_rect){3, 4, w, h};
      sr_image *out = sr_median_filter(img, size, &err);
      g_assert_nonnull(out);
      g_assert_true(sr_rect_equal(out->data_window, img->data_window));
      int r = size / 2;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          for (int c = 0; c < ch; c++) {
            float v[25];
            int k = 0;
            for (int dy = -r; dy <= r; dy++)
              for (int dx = -r; dx <= r; dx++) {
                int sx = CLAMP(x + dx, 0, w - 1), sy = CLAMP(y + dy, 0, h - 1);
                v[k++] = sr_image_row(img, sy)[sx * ch + c];
              }
            qsort(v, (size_t)k, sizeof(float), cmp_float);
            g_assert_cmpfloat(sr_image_row(out, y)[x * ch + c], ==, v[k / 2]);
          }
      sr_image_free(out);
      sr_image_free(img);
    }
  }
  g_rand_free(rnd);
  sr_image *img = sr_image_new(8, 8, 3, &err);
  g_assert_null(sr_median_filter(img, 4, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  sr_image_free(img);
}

/* ---- Misalignment ------------------------------------------------------------------ */

static void
test_shift_estimate(void)
{
  texture t;
  texture_init(&t, 61);
  static const double shifts[][2] = {
      {0.0, 0.0}, {3.0, -2.0}, {-7.0, 5.0}, {0.3, -0.7}, {1.25, 0.5}, {-0.45, 2.6},
  };
  sr_image *a = textured(200, 150, 3, &t, 0, 0, 0.1f, 0.9f);
  for (size_t i = 0; i < G_N_ELEMENTS(shifts); i++) {
    sr_image *b = textured(200, 150, 3, &t, shifts[i][0], shifts[i][1], 0.15f, 0.7f);
    double dx = 99, dy = 99;
    sr_error err = {0};
    g_assert_true(sr_estimate_shift(a, b, &dx, &dy, &err));
    if (fabs(dx - shifts[i][0]) > 0.1 || fabs(dy - shifts[i][1]) > 0.1)
      g_error("shift (%g, %g) estimated as (%.3f, %.3f)", shifts[i][0], shifts[i][1], dx, dy);
    sr_image_free(b);
  }
  /* One-channel luma images work too. */
  sr_image *ya = textured(64, 64, 1, &t, 0, 0, 0, 1),
           *yb = textured(64, 64, 1, &t, -1.5, 0.25, 0, 1);
  double dx, dy;
  g_assert_true(sr_estimate_shift(ya, yb, &dx, &dy, NULL));
  g_assert_cmpfloat_with_epsilon(dx, -1.5, 0.1);
  g_assert_cmpfloat_with_epsilon(dy, 0.25, 0.1);
  sr_image_free(ya);
  sr_image_free(yb);

  sr_error err = {0};
  sr_image *small_a = textured(31, 64, 3, &t, 0, 0, 0, 1),
           *small_b = textured(31, 64, 3, &t, 0, 0, 0, 1);
  g_assert_false(sr_estimate_shift(small_a, small_b, &dx, &dy, &err));
  g_assert_nonnull(strstr(err.message, "too small"));
  sr_image *flat = sr_image_new(64, 64, 3, NULL), *flat2 = sr_image_new(64, 64, 3, NULL);
  g_assert_false(sr_estimate_shift(flat, flat2, &dx, &dy, &err));
  g_assert_false(sr_estimate_shift(a, flat, &dx, &dy, &err)); /* size mismatch */
  sr_image_free(flat);
  sr_image_free(flat2);
  sr_image_free(small_a);
  sr_image_free(small_b);
  sr_image_free(a);
}

static void
test_misalignment_check(void)
{
  texture ts, tr;
  texture_init(&ts, 71);
  texture_init(&tr, 71);
  sr_prep_settings s = settings(SR_CS_REC709, SR_CS_REC709);
  static const double shifts[] = {0.2, 0.8};
  for (int i = 0; i < 2; i++) {
    sr_image *src = textured(128, 96, 3, &ts, 0, 0, 0.25f, 0.75f);
    sr_image *ref = textured(128, 96, 3, &tr, shifts[i], 0.0, 0.2f, 0.8f);
    sr_pair p = {0};
    build_ok(src, ref, &s, &p);
    sr_check_report r;
    sr_check_report_init(&r);
    sr_check_pair(src, ref, &p, &s, "pair 9", &r);
    const sr_check *m = find_check(&r, "misalignment");
    g_assert_nonnull(m);
    g_assert_cmpfloat_with_epsilon(m->value, shifts[i], 0.1);
    g_assert_cmpint(m->status, ==, i == 0 ? SR_CHECK_PASS : SR_CHECK_WARN);
    if (i == 0)
      g_assert_cmpint(sr_check_report_status(&r), ==, SR_CHECK_PASS);
    sr_check_report_clear(&r);
    sr_pair_clear(&p);
    sr_image_free(src);
    sr_image_free(ref);
  }
}

/* ---- Merge back -------------------------------------------------------------------- */

/* A ΔY strong enough to push many pixels past 0 or 1 in the domain: the step
 * is shortened equally on R, G and B (as for the ground truth), so chroma
 * stays the Source's and the pixel just reaches the bound; clamping each
 * channel on its own would tint it. */
static void
test_merge_bounds_keep_chroma(void)
{
  texture t;
  texture_init(&t, 93);
  sr_image *src = textured(64, 48, 3, &t, 0, 0, 0.02f, 0.8f);
  sr_prep_settings s = settings(SR_CS_ACES2065_1, SR_CS_ACES2065_1);
  sr_error err = {0};
  sr_image *dy = sr_image_new(64, 48, 1, &err);
  for (size_t i = 0; i < 64 * 48; i++)
    dy->pixels[i] = 0.6f * (float)sin(0.37 * (double)i);
  sr_image *out = sr_merge_recovered(src, dy, &s, &err);
  g_assert_nonnull(out);
  sr_image *input = sr_prep_source(src, &s, &err);
  sr_domain *d = sr_domain_new(SR_CS_ACES2065_1, &err);
  int at_bound = 0;
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++) {
      const float *in = sr_image_row(input, y) + x * 3;
      float lo = fminf(in[0], fminf(in[1], in[2])), hi = fmaxf(in[0], fmaxf(in[1], in[2]));
      if (lo <= 0.0f || hi >= 1.0f)
        continue; /* clipped on the way in: passes through unchanged */
      float dv = dy->pixels[y * 64 + x];
      float fo[3];
      memcpy(fo, sr_image_row(out, y) + x * 3, sizeof fo);
      sr_domain_forward(d, fo, 1, 3);
      float yo[3], yi[3];
      sr_rgb_to_ycbcr(SR_YCBCR_BT709, fo, yo, 1, 3);
      sr_rgb_to_ycbcr(SR_YCBCR_BT709, in, yi, 1, 3);
      /* A channel that reaches 0 comes back through the steep foot of the
       * transfer curve, where float rounding of the linear value reads as
       * several 1e-4: allow that near black, nothing more. */
      float olo = fminf(fo[0], fminf(fo[1], fo[2])), ohi = fmaxf(fo[0], fmaxf(fo[1], fo[2]));
      float tol = olo < 0.01f ? 1e-3f : 5e-5f;
      g_assert_cmpfloat_with_epsilon(yo[1], yi[1], tol);
      g_assert_cmpfloat_with_epsilon(yo[2], yi[2], tol);
      if (lo + dv < 0.0f || hi + dv > 1.0f) {
        g_assert_cmpfloat_with_epsilon(dv > 0 ? ohi : olo, dv > 0 ? 1.0f : 0.0f, tol);
        at_bound++;
      }
    }
  g_assert_cmpint(at_bound, >, 100);
  sr_domain_free(d);
  sr_image_free(input);
  sr_image_free(out);
  sr_image_free(dy);
  sr_image_free(src);
}

static void
test_merge_identity(void)
{
  texture t;
  texture_init(&t, 81);
  for (int ch = 3; ch <= 4; ch++) {
    /* ACES frame with highlights far above 1, a negative and a dark corner. */
    sr_image *src = textured(64, 48, ch, &t, 0, 0, 0.0f, 6.0f);
    sr_image_row(src, 10)[12 * ch] = 16.0f;
    sr_image_row(src, 11)[13 * ch + 1] = -0.02f;
    if (ch == 4)
      for (int i = 0; i < 64 * 48; i++)
        src->pixels[i * 4 + 3] = (float)(i % 7) / 6.0f;
    src->data_window = (sr_rect){5, 7, 64, 48};
    sr_prep_settings s = settings(SR_CS_ACES2065_1, SR_CS_REC709);
    s.crop = (sr_rect){6, 4, 40, 30};
    s.prefilter = SR_PREFILTER_MEDIAN5;
    sr_error err = {0};
    sr_image *dy = sr_image_new(40, 30, 1, &err);
    sr_image *out = sr_merge_recovered(src, dy, &s, &err);
    g_assert_nonnull(out);
    g_assert_cmpint(out->channels, ==, ch);
    g_assert_true(sr_rect_equal(out->data_window, src->data_window));
    g_assert_cmpmem(out->pixels, sr_image_n_floats(out) * 4, src->pixels,
                    sr_image_n_floats(src) * 4);
    sr_image_free(out);
    sr_image_free(dy);
    sr_image_free(src);
  }
}

static void
test_merge_changes(void)
{
  texture t;
  texture_init(&t, 91);
  sr_image *src = textured(64, 48, 3, &t, 0, 0, 0.02f, 0.5f); /* ACES, mostly in range */
  sr_image_row(src, 20)[20 * 3] = 9.0f;                       /* a clipped highlight */
  sr_prep_settings s = settings(SR_CS_ACES2065_1, SR_CS_ACES2065_1);
  s.crop = (sr_rect){8, 8, 32, 24};
  sr_error err = {0};
  sr_image *dy = sr_image_new(32, 24, 1, &err);
  for (size_t i = 0; i < 32 * 24; i++)
    dy->pixels[i] = 0.02f * (float)sin(0.7 * (double)i);
  sr_image *out = sr_merge_recovered(src, dy, &s, &err);
  g_assert_nonnull(out);

  sr_domain *d = sr_domain_new(SR_CS_ACES2065_1, &err);
  sr_image *input = sr_prep_source(src, &s, &err);
  int changed = 0;
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++) {
      const float *o = sr_image_row(out, y) + x * 3, *p = sr_image_row(src, y) + x * 3;
      gboolean inside = x >= 8 && x < 40 && y >= 8 && y < 32;
      if (!inside || (x == 20 && y == 20)) {
        g_assert_cmpmem(o, 12, p, 12); /* outside the crop, and the clipped pixel */
        continue;
      }
      float fo[3] = {o[0], o[1], o[2]};
      sr_domain_forward(d, fo, 1, 3);
      const float *in = sr_image_row(input, y - 8) + (x - 8) * 3;
      float dv = dy->pixels[(y - 8) * 32 + (x - 8)];
      if (fminf(in[0], fminf(in[1], in[2])) + dv <= 0.0f ||
          fmaxf(in[0], fmaxf(in[1], in[2])) + dv >= 1.0f)
        continue;
      float yo[3], yi[3];
      sr_rgb_to_ycbcr(SR_YCBCR_BT709, fo, yo, 1, 3);
      sr_rgb_to_ycbcr(SR_YCBCR_BT709, in, yi, 1, 3);
      g_assert_cmpfloat_with_epsilon(yo[0] - yi[0], dv, 5e-5);
      g_assert_cmpfloat_with_epsilon(yo[1], yi[1], 5e-5);
      g_assert_cmpfloat_with_epsilon(yo[2], yi[2], 5e-5);
      changed++;
    }
  g_assert_cmpint(changed, >, 32 * 24 / 2);

  /* A ΔY of the wrong size is refused. */
  sr_image *wrong = sr_image_new(31, 24, 1, &err);
  sr_error_clear(&err);
  g_assert_null(sr_merge_recovered(src, wrong, &s, &err));
  g_assert_nonnull(strstr(err.message, "31x24"));
  sr_image_free(wrong);
  sr_image *nan_dy = sr_image_new(32, 24, 1, &err);
  nan_dy->pixels[3] = NAN;
  g_assert_null(sr_merge_recovered(src, nan_dy, &s, &err));
  g_assert_nonnull(strstr(err.message, "not numbers"));
  sr_image_free(nan_dy);

  sr_domain_free(d);
  sr_image_free(input);
  sr_image_free(out);
  sr_image_free(dy);
  sr_image_free(src);
}

/* A soft Source against a sharp Reference, perfectly aligned: in a display
 * encoding the blur moves every edge's apparent position, so the estimate
 * must be taken in linear light to read (close to) zero. */
static void
test_misalignment_soft_vs_sharp(void)
{
  sr_simulator_options o;
  sr_simulator_options_init(&o);
  o.grain = false;
  for (int space = 0; space < 2; space++) {
    o.output_space = space ? SR_CS_REC709 : SR_CS_ACES2065_1;
    sr_image *src = NULL, *ref = NULL;
    sr_error err = {0};
    g_assert_true(sr_simulator_render_frame(&o, 5, &src, &ref, &err));
    sr_prep_settings ps;
    sr_prep_settings_init(&ps);
    ps.source_space = ps.reference_space = o.output_space;
    ps.crop = (sr_rect){16, 16, src->width - 32, src->height - 32};
    double dx = 9, dy = 9;
    g_assert_true(sr_measure_misalignment(src, ref, &ps, &dx, &dy, &err));
    g_assert_cmpfloat(hypot(dx, dy), <, 0.25);

    /* The same Reference moved by two whole pixels is found. */
    sr_image *moved = sr_image_copy(ref, &err);
    for (int y = 0; y < ref->height; y++)
      for (int x = 0; x < ref->width; x++)
        for (int c = 0; c < ref->channels; c++) {
          int sx = x - 2 < 0 ? 0 : x - 2;
          sr_image_row(moved, y)[x * ref->channels + c] =
              sr_image_row(ref, y)[sx * ref->channels + c];
        }
    g_assert_true(sr_measure_misalignment(src, moved, &ps, &dx, &dy, &err));
    g_assert_cmpfloat(fabs(dx - 2.0), <, 0.3);
    g_assert_cmpfloat(fabs(dy), <, 0.3);
    sr_image_free(moved);
    sr_image_free(src);
    sr_image_free(ref);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pairs/settings", test_settings);
  g_test_add_func("/pairs/ground-truth-formulations", test_ground_truth_formulations);
  g_test_add_func("/pairs/chroma-identity-and-range", test_chroma_identity_and_range);
  g_test_add_func("/pairs/order", test_order);
  g_test_add_func("/pairs/bbox-parity", test_bbox_parity);
  g_test_add_func("/pairs/bad-input", test_bad_input);
  g_test_add_func("/pairs/frame-sets", test_frame_sets);
  g_test_add_func("/pairs/median", test_median);
  g_test_add_func("/pairs/shift-estimate", test_shift_estimate);
  g_test_add_func("/pairs/misalignment-check", test_misalignment_check);
  g_test_add_func("/pairs/misalignment-soft-vs-sharp", test_misalignment_soft_vs_sharp);
  g_test_add_func("/pairs/merge-identity", test_merge_identity);
  g_test_add_func("/pairs/merge-changes", test_merge_changes);
  g_test_add_func("/pairs/merge-bounds-keep-chroma", test_merge_bounds_keep_chroma);
  g_test_add_func("/pairs/frame-sets-large", test_frame_sets_large);
  return g_test_run();
}
