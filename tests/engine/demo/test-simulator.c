/* Tests for the film-element simulator: determinism, the Source's blur and
 * fade relative to the Reference, values, colour spaces, speed. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "sr-simulator.h"

static void
render(const sr_simulator_options *o, int frame, sr_image **src, sr_image **ref)
{
  sr_error err;
  sr_error_clear(&err);
  gboolean ok = sr_simulator_render_frame(o, frame, src, ref, &err);
  if (!ok)
    g_error("render failed: %s", err.message);
  g_assert_nonnull(*src);
  g_assert_nonnull(*ref);
}

static gboolean
images_equal(const sr_image *a, const sr_image *b)
{
  return a->width == b->width && a->height == b->height && a->channels == b->channels &&
         memcmp(a->pixels, b->pixels, sr_image_n_floats(a) * sizeof(float)) == 0;
}

static void
options_small(sr_simulator_options *o)
{
  sr_simulator_options_init(o);
  o->width = 160;
  o->height = 120;
}

static void
test_defaults(void)
{
  sr_simulator_options o;
  sr_simulator_options_init(&o);
  g_assert_cmpint(o.width, ==, 480);
  g_assert_cmpint(o.height, ==, 270);
  g_assert_true(o.grain);
  g_assert_cmpint(o.output_space, ==, SR_CS_ACES2065_1);
  g_assert_cmpfloat(o.source_blur_sigma, >=, 1.5);
  g_assert_cmpfloat(o.source_blur_sigma, <=, 2.0);
}

static void
test_deterministic(void)
{
  sr_simulator_options o;
  options_small(&o);
  sr_image *s1, *r1, *s2, *r2, *s3, *r3, *s4, *r4;
  render(&o, 3, &s1, &r1);
  render(&o, 3, &s2, &r2);
  g_assert_true(images_equal(s1, s2));
  g_assert_true(images_equal(r1, r2));
  /* The camera moves and the grain changes from frame to frame. */
  render(&o, 4, &s3, &r3);
  g_assert_false(images_equal(r1, r3));
  g_assert_false(images_equal(s1, s3));
  /* Another seed is another scene. */
  o.seed = 99;
  render(&o, 3, &s4, &r4);
  g_assert_false(images_equal(r1, r4));
  sr_image_free(s1);
  sr_image_free(r1);
  sr_image_free(s2);
  sr_image_free(r2);
  sr_image_free(s3);
  sr_image_free(r3);
  sr_image_free(s4);
  sr_image_free(r4);
}

static void
test_shape_and_values(void)
{
  sr_simulator_options o;
  options_small(&o);
  sr_image *s, *r;
  render(&o, 1, &s, &r);
  g_assert_cmpint(s->width, ==, 160);
  g_assert_cmpint(s->height, ==, 120);
  g_assert_cmpint(s->channels, ==, 3);
  g_assert_cmpint(r->width, ==, s->width);
  g_assert_cmpint(r->height, ==, s->height);
  g_assert_true(sr_rect_equal(s->display_window, r->display_window));
  g_assert_true(sr_rect_equal(s->data_window, r->data_window));
  g_assert_cmpuint(sr_image_count_nonfinite(s), ==, 0);
  g_assert_cmpuint(sr_image_count_nonfinite(r), ==, 0);

  float aces[8];
  sr_colourspace_chromaticities(SR_CS_ACES2065_1, aces);
  g_assert_true(r->has_chromaticities);
  g_assert_true(s->has_chromaticities);
  g_assert_cmpmem(r->chromaticities, sizeof aces, aces, sizeof aces);

  /* Scene-linear output keeps highlights above 1 and reaches deep shadow. */
  float hi = -INFINITY, lo = INFINITY;
  for (size_t i = 0; i < sr_image_n_floats(r); i++) {
    hi = fmaxf(hi, r->pixels[i]);
    lo = fminf(lo, r->pixels[i]);
  }
  g_assert_cmpfloat(hi, >, 1.5f);
  g_assert_cmpfloat(lo, <, 0.01f);
  sr_image_free(s);
  sr_image_free(r);
}

/* Mean squared Laplacian of luma: high-frequency energy. */
static double
hf_energy(const sr_image *img)
{
  double sum = 0;
  int n = 0;
  for (int y = 1; y < img->height - 1; y++)
    for (int x = 1; x < img->width - 1; x++) {
#define LUMA(xx, yy)                                                \
  (0.2126 * img->pixels[((size_t)(yy)*img->width + (xx)) * 3] +     \
   0.7152 * img->pixels[((size_t)(yy)*img->width + (xx)) * 3 + 1] + \
   0.0722 * img->pixels[((size_t)(yy)*img->width + (xx)) * 3 + 2])
      double l = 4 * LUMA(x, y) - LUMA(x - 1, y) - LUMA(x + 1, y) - LUMA(x, y - 1) - LUMA(x, y + 1);
#undef LUMA
      /* Compare detail, not highlight peaks. */
      sum += fmin(l * l, 1.0);
      n++;
    }
  return sum / n;
}

/* Mean distance of each pixel's RGB from its own grey, relative to luma. */
static double
saturation(const sr_image *img)
{
  double sum = 0;
  size_t n = (size_t)img->width * img->height;
  for (size_t i = 0; i < n; i++) {
    const float *p = img->pixels + i * 3;
    double y = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
    if (y < 0.02 || y > 1.0)
      continue;
    sum += (fabs(p[0] - y) + fabs(p[1] - y) + fabs(p[2] - y)) / y;
  }
  return sum / (double)n;
}

static void
test_source_blurred_and_faded(void)
{
  sr_simulator_options o;
  options_small(&o);
  o.grain = FALSE;
  o.output_space = SR_CS_LINEAR_REC709;
  sr_image *s, *r;
  render(&o, 2, &s, &r);
  double e_src = hf_energy(s), e_ref = hf_energy(r);
  g_test_message("high-frequency energy: Source %g, Reference %g", e_src, e_ref);
  g_assert_cmpfloat(e_src, <, 0.5 * e_ref);
  double sat_src = saturation(s), sat_ref = saturation(r);
  g_test_message("saturation: Source %g, Reference %g", sat_src, sat_ref);
  g_assert_cmpfloat(sat_src, <, 0.95 * sat_ref);
  /* The fade lifts the blacks. */
  float min_src = INFINITY, min_ref = INFINITY;
  for (size_t i = 0; i < sr_image_n_floats(r); i++) {
    min_src = fminf(min_src, s->pixels[i]);
    min_ref = fminf(min_ref, r->pixels[i]);
  }
  g_assert_cmpfloat(min_src, >, min_ref);

  /* Without blur and grain the Source differs only by the fade: its detail
   * energy is then close to the Reference's. */
  o.source_blur_sigma = 0;
  sr_image *s0, *r0;
  render(&o, 2, &s0, &r0);
  g_assert_cmpfloat(hf_energy(s0), >, 0.7 * e_ref);
  sr_image_free(s0);
  sr_image_free(r0);
  sr_image_free(s);
  sr_image_free(r);
}

static void
test_grain(void)
{
  sr_simulator_options o;
  options_small(&o);
  o.output_space = SR_CS_LINEAR_REC709;
  sr_image *s, *r, *s0, *r0;
  render(&o, 5, &s, &r);
  o.grain = FALSE;
  render(&o, 5, &s0, &r0);
  g_assert_false(images_equal(r, r0));
  g_assert_false(images_equal(s, s0));
  /* The Source's grain is stronger than the Reference's. */
  double dr = 0, ds = 0;
  for (size_t i = 0; i < sr_image_n_floats(r); i++) {
    dr += fabs(r->pixels[i] - r0->pixels[i]);
    ds += fabs(s->pixels[i] - s0->pixels[i]);
  }
  g_test_message("mean grain: Source %g, Reference %g", ds, dr);
  g_assert_cmpfloat(ds, >, 1.5 * dr);
  sr_image_free(s);
  sr_image_free(r);
  sr_image_free(s0);
  sr_image_free(r0);
}

static void
test_rec709_output(void)
{
  sr_simulator_options o;
  options_small(&o);
  o.grain = FALSE;
  o.output_space = SR_CS_REC709;
  sr_image *s, *r;
  render(&o, 1, &s, &r);
  float rec709[8];
  sr_colourspace_chromaticities(SR_CS_REC709, rec709);
  g_assert_cmpmem(r->chromaticities, sizeof rec709, rec709, sizeof rec709);
  g_assert_cmpuint(sr_image_count_nonfinite(r), ==, 0);
  /* Display encoding lifts mid-tones: the mean is higher than linear's. */
  o.output_space = SR_CS_LINEAR_REC709;
  sr_image *sl, *rl;
  render(&o, 1, &sl, &rl);
  double m709 = 0, mlin = 0;
  for (size_t i = 0; i < sr_image_n_floats(r); i++) {
    m709 += fmin(r->pixels[i], 1.0);
    mlin += fmin(rl->pixels[i], 1.0);
  }
  g_assert_cmpfloat(m709, >, mlin);
  sr_image_free(s);
  sr_image_free(r);
  sr_image_free(sl);
  sr_image_free(rl);
}

static void
test_bad_options(void)
{
  sr_simulator_options o;
  options_small(&o);
  o.width = 0;
  sr_image *s = (sr_image *)&o, *r = (sr_image *)&o;
  sr_error err;
  sr_error_clear(&err);
  g_assert_false(sr_simulator_render_frame(&o, 1, &s, &r, &err));
  g_assert_null(s);
  g_assert_null(r);
  g_assert_cmpstr(err.message, !=, "");
  options_small(&o);
  o.source_blur_sigma = NAN;
  g_assert_false(sr_simulator_render_frame(&o, 1, &s, &r, &err));
  g_assert_nonnull(strstr(err.message, "sigma"));
  options_small(&o);
  o.output_space = SR_CS_COUNT;
  g_assert_false(sr_simulator_render_frame(&o, 1, &s, &r, &err));
  g_assert_null(s);
}

static void
test_speed(void)
{
  sr_simulator_options o;
  sr_simulator_options_init(&o);
  o.width = 640;
  o.height = 360;
  sr_image *s, *r;
  gint64 t0 = g_get_monotonic_time();
  render(&o, 7, &s, &r);
  double ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
  g_test_message("640x360 frame pair in %.1f ms", ms);
  /* Generous bound: sanitiser builds run several times slower. */
  g_assert_cmpfloat(ms, <, 3000.0);
  sr_image_free(s);
  sr_image_free(r);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/simulator/defaults", test_defaults);
  g_test_add_func("/simulator/deterministic", test_deterministic);
  g_test_add_func("/simulator/shape-and-values", test_shape_and_values);
  g_test_add_func("/simulator/source-blurred-and-faded", test_source_blurred_and_faded);
  g_test_add_func("/simulator/grain", test_grain);
  g_test_add_func("/simulator/rec709-output", test_rec709_output);
  g_test_add_func("/simulator/bad-options", test_bad_options);
  g_test_add_func("/simulator/speed", test_speed);
  return g_test_run();
}
