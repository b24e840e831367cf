/* OpenColorIO configs: listing, errors, and conversions checked against the
 * LittleCMS path where both express the same one. The configs are written
 * here from OCIO's built-in transforms; nothing is downloaded. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sr-colour.h"
#include "sr-ocio.h"

static char *tmpdir;

/* Rec.709 linear → ACES2065-1 is AP1's matrix to Rec.709 undone, then AP1 →
 * AP0, both OCIO built-ins; the display space adds a mirrored 2.4 power and
 * Cineon a log-affine curve with the documented constants (black 95, white
 * 685, 0.002 density a code value, negative gamma 0.6). */
#define REC709_TO_ACES                                                                             \
  "!<BuiltinTransform> {style: \"UTILITY - ACES-AP1_to_LINEAR-REC709_BFD\", direction: inverse}, " \
  "!<BuiltinTransform> {style: ACEScg_to_ACES2065-1}"

static const char *config_text =
    "ocio_profile_version: 2\n"
    "name: sr-test-config\n"
    "roles:\n"
    "  default: ACES2065-1\n"
    "  scene_linear: ACEScg\n"
    "  aces_interchange: ACES2065-1\n"
    "  cie_xyz_d65_interchange: ACES2065-1\n"
    "file_rules:\n"
    "  - !<Rule> {name: Default, colorspace: default}\n"
    "displays:\n"
    "  sRGB:\n"
    "    - !<View> {name: Raw, colorspace: ACES2065-1}\n"
    "active_displays: []\n"
    "active_views: []\n"
    "colorspaces:\n"
    "  - !<ColorSpace>\n"
    "    name: ACES2065-1\n"
    "    aliases: [aces, lin_ap0]\n"
    "    family: ACES\n"
    "  - !<ColorSpace>\n"
    "    name: ACEScg\n"
    "    aliases: [lin_ap1]\n"
    "    family: ACES\n"
    "    to_scene_reference: !<BuiltinTransform> {style: ACEScg_to_ACES2065-1}\n"
    "  - !<ColorSpace>\n"
    "    name: Linear Rec.709 (sRGB)\n"
    "    family: Utility/Linear\n"
    "    to_scene_reference: !<GroupTransform> {children: [" REC709_TO_ACES "]}\n"
    "  - !<ColorSpace>\n"
    "    name: Rec.709 display 2.4\n"
    "    family: Display\n"
    "    to_scene_reference: !<GroupTransform> {children: ["
    "!<ExponentTransform> {value: [2.4, 2.4, 2.4, 1], style: mirror}, " REC709_TO_ACES "]}\n"
    "  - !<ColorSpace>\n"
    "    name: Cineon lg10\n"
    "    aliases: [lg10]\n"
    "    family: Input/Film\n"
    "    to_scene_reference: !<GroupTransform> {children: ["
    "!<LogAffineTransform> {base: 10, log_side_slope: 0.29325513196480935, "
    "log_side_offset: 0.66959921798631476, lin_side_slope: 0.98920224837672291, "
    "lin_side_offset: 0.010797751623277094, direction: inverse}, " REC709_TO_ACES "]}\n"
    "  - !<ColorSpace>\n"
    "    name: ADX10\n"
    "    family: Input/ADX\n"
    "    to_scene_reference: !<BuiltinTransform> {style: ADX10_to_ACES2065-1}\n"
    "  - !<ColorSpace>\n"
    "    name: ADX16\n"
    "    family: Input/ADX\n"
    "    to_scene_reference: !<BuiltinTransform> {style: ADX16_to_ACES2065-1}\n"
    "  - !<ColorSpace>\n"
    "    name: ACEScct\n"
    "    family: ACES\n"
    "    to_scene_reference: !<BuiltinTransform> {style: ACEScct_to_ACES2065-1}\n";

static char *
write_config(const char *name, const char *text)
{
  char *path = g_build_filename(tmpdir, name, NULL);
  GError *error = NULL;
  if (!g_file_set_contents(path, text, -1, &error))
    g_error("%s: %s", path, error->message);
  return path;
}

static sr_ocio_config *
open_config(void)
{
  g_autofree char *path = write_config("config.ocio", config_text);
  sr_error err = {0};
  sr_ocio_config *c = sr_ocio_config_open(path, &err);
  if (!c)
    g_error("%s", err.message);
  return c;
}

static gboolean
need_ocio(void)
{
  if (sr_ocio_available())
    return TRUE;
  /* Without the library the entry points say so instead of failing. */
  sr_error err = {0};
  g_assert_null(sr_ocio_config_open("/any.ocio", &err));
  g_assert_nonnull(strstr(err.message, "no OpenColorIO support"));
  g_test_skip("built without OpenColorIO");
  return FALSE;
}

static void
test_listing(void)
{
  if (!need_ocio())
    return;
  sr_ocio_config *c = open_config();
  g_assert_cmpstr(sr_ocio_config_name(c), ==, "sr-test-config");
  g_assert_cmpint(sr_ocio_config_space_count(c), ==, 8);
  g_assert_cmpstr(sr_ocio_space_name(c, 0), ==, "ACES2065-1");
  g_assert_cmpstr(sr_ocio_space_family(c, 0), ==, "ACES");
  g_assert_cmpstr(sr_ocio_space_aliases(c, 0), ==, "aces, lin_ap0");
  g_assert_cmpstr(sr_ocio_space_name(c, 2), ==, "Linear Rec.709 (sRGB)");
  g_assert_cmpstr(sr_ocio_space_aliases(c, 2), ==, "");
  g_assert_cmpstr(sr_ocio_space_family(c, 4), ==, "Input/Film");
  g_assert_cmpstr(sr_ocio_space_name(c, 99), ==, "");
  /* Names, aliases and roles resolve to the config's spelling. */
  sr_error err = {0};
  g_assert_cmpstr(sr_ocio_config_resolve(c, "lin_ap1", &err), ==, "ACEScg");
  g_assert_cmpstr(sr_ocio_config_resolve(c, "lg10", &err), ==, "Cineon lg10");
  g_assert_cmpstr(sr_ocio_config_resolve(c, "aces_interchange", &err), ==, "ACES2065-1");
  g_assert_null(sr_ocio_config_resolve(c, "ARRI LogC4", &err));
  g_assert_nonnull(strstr(err.message, "ARRI LogC4"));
  g_assert_nonnull(strstr(err.message, sr_ocio_config_path(c)));
  sr_error_clear(&err);
  g_assert_null(sr_ocio_processor_new(c, "ACEScg", "nope", &err));
  g_assert_nonnull(strstr(err.message, "'nope'"));
  sr_ocio_config_free(c);
}

static void
test_bad_configs(void)
{
  if (!need_ocio())
    return;
  sr_error err = {0};
  g_autofree char *missing = g_build_filename(tmpdir, "missing.ocio", NULL);
  g_assert_null(sr_ocio_config_open(missing, &err));
  g_assert_nonnull(strstr(err.message, missing));
  sr_error_clear(&err);

  g_autofree char *garbage = write_config("garbage.ocio", "this: [is not: a config\n");
  g_assert_null(sr_ocio_config_open(garbage, &err));
  g_assert_nonnull(strstr(err.message, garbage));
  sr_error_clear(&err);

  /* Without aces_interchange the project cannot reach its domain. */
  g_autofree char *text = g_strdup(config_text);
  char *role = strstr(text, "  aces_interchange: ACES2065-1\n");
  g_assert_nonnull(role);
  memset(role, ' ', strlen("  aces_interchange: ACES2065-1"));
  g_autofree char *norole = write_config("norole.ocio", text);
  g_assert_null(sr_ocio_config_open(norole, &err));
  g_assert_nonnull(strstr(err.message, "aces_interchange"));
  g_assert_nonnull(strstr(err.message, norole));
  sr_error_clear(&err);

  /* $OCIO when no file is given. */
  g_autofree char *good = write_config("env.ocio", config_text);
  g_setenv("OCIO", good, TRUE);
  sr_ocio_config *c = sr_ocio_config_open(NULL, &err);
  g_assert_nonnull(c);
  g_assert_cmpstr(sr_ocio_config_path(c), ==, good);
  sr_ocio_config_free(c);
  g_unsetenv("OCIO");
  g_assert_null(sr_ocio_config_open("", &err));
  g_assert_nonnull(strstr(err.message, "$OCIO"));
}

/* The same conversion through OCIO and through the LittleCMS path. */
static void
compare(sr_ocio_config *c, const char *ocio, sr_colourspace ours, float lo, float hi, double tol)
{
  sr_error err = {0};
  sr_colour_transform *a =
      sr_colour_transform_new_ocio(c, ocio, SR_CS_COUNT, NULL, SR_CS_ACES2065_1, &err);
  if (!a)
    g_error("%s: %s", ocio, err.message);
  sr_colour_transform *b = sr_colour_transform_new(ours, SR_CS_ACES2065_1, &err);
  g_assert_nonnull(b);
  enum { N = 6 * 6 * 6 };
  float pa[N * 3], pb[N * 3];
  int k = 0;
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++)
      for (int l = 0; l < 6; l++, k++) {
        pa[k * 3] = lo + (hi - lo) * (float)i / 5.0f;
        pa[k * 3 + 1] = lo + (hi - lo) * (float)j / 5.0f;
        pa[k * 3 + 2] = lo + (hi - lo) * (float)l / 5.0f;
      }
  memcpy(pb, pa, sizeof pb);
  sr_colour_transform_apply(a, pa, N, 3);
  sr_colour_transform_apply(b, pb, N, 3);
  double worst = 0.0;
  for (int p = 0; p < N; p++) {
    double big = 1e-3;
    for (int ch = 0; ch < 3; ch++)
      big = fmax(big, fabs(pb[p * 3 + ch]));
    for (int ch = 0; ch < 3; ch++)
      worst = fmax(worst, fabs((double)pa[p * 3 + ch] - pb[p * 3 + ch]) / big);
  }
  g_test_message("%s vs %s → ACES2065-1: worst relative difference %.3g", ocio,
                 sr_colourspace_id(ours), worst);
  g_assert_cmpfloat(worst, <=, tol);
  /* And back: OCIO's inverse against ours. */
  sr_colour_transform *a_inv =
      sr_colour_transform_new_ocio(c, NULL, SR_CS_ACES2065_1, ocio, SR_CS_COUNT, &err);
  g_assert_nonnull(a_inv);
  sr_colour_transform_apply(a_inv, pb, N, 3);
  sr_colour_transform_free(a_inv);
  sr_colour_transform_free(a);
  sr_colour_transform_free(b);
}

static void
test_against_lcms(void)
{
  if (!need_ocio())
    return;
  sr_ocio_config *c = open_config();
  /* Matrices (Bradford both ways), the mirrored 2.4 power, the Cineon
   * curve as OCIO's log-affine transform, and ADX as OCIO's own built-in
   * implementation of the Academy's transform: all within 1e-5 of the
   * pixel's largest component (measured: 1e-6 or better). */
  compare(c, "ACEScg", SR_CS_ACESCG, -0.1f, 4.0f, 1e-5);
  compare(c, "Linear Rec.709 (sRGB)", SR_CS_LINEAR_REC709, -0.1f, 4.0f, 1e-5);
  compare(c, "Rec.709 display 2.4", SR_CS_REC709, 0.0f, 1.0f, 1e-5);
  compare(c, "lg10", SR_CS_CINEON, 0.05f, 1.0f, 1e-5);
  compare(c, "ADX10", SR_CS_ADX10, 0.1f, 0.9f, 1e-5);
  compare(c, "ADX16", SR_CS_ADX16, 0.03f, 0.25f, 1e-5);
  compare(c, "aces", SR_CS_ACES2065_1, -1.0f, 16.0f, 0.0);
  sr_ocio_config_free(c);
}

/* The training domain through an OCIO space: identity delivers the input
 * bit for bit; a luma step keeps Cb/Cr. */
static void
test_domain(void)
{
  if (!need_ocio())
    return;
  sr_ocio_config *c = open_config();
  sr_error err = {0};
  sr_domain *d = sr_domain_new_ocio(c, "Cineon lg10", &err);
  g_assert_nonnull(d);
  sr_ocio_config_free(c); /* the domain holds its own processors */
  enum { N = 200 };
  float orig[N * 3], input[N * 3], result[N * 3], out[N * 3];
  for (int i = 0; i < N * 3; i++)
    orig[i] = 0.2f + 0.6f * (float)((i * 37) % 101) / 100.0f;
  memcpy(input, orig, sizeof input);
  sr_domain_forward(d, input, N, 3);
  for (int i = 0; i < N * 3; i++)
    input[i] = fminf(fmaxf(input[i], 0.0f), 1.0f);
  sr_domain_merge(d, orig, input, input, out, N, 3);
  g_assert_cmpmem(out, sizeof out, orig, sizeof orig);

  int changed = 0;
  for (int i = 0; i < N * 3; i++)
    result[i] = input[i] + 0.02f;
  sr_domain_merge(d, orig, input, result, out, N, 3);
  float fwd[N * 3];
  memcpy(fwd, orig, sizeof fwd);
  sr_domain_forward(d, fwd, N, 3);
  for (int p = 0; p < N; p++) {
    bool skip = false;
    for (int ch = 0; ch < 3; ch++)
      skip |= fwd[p * 3 + ch] < 0.0f || fwd[p * 3 + ch] > 0.98f;
    if (skip)
      continue;
    float o[3] = {out[p * 3], out[p * 3 + 1], out[p * 3 + 2]}, yo[3], yi[3];
    sr_domain_forward(d, o, 1, 3);
    sr_rgb_to_ycbcr(SR_YCBCR_BT709, o, yo, 1, 3);
    sr_rgb_to_ycbcr(SR_YCBCR_BT709, input + p * 3, yi, 1, 3);
    g_assert_cmpfloat_with_epsilon(yo[0] - yi[0], 0.02, 5e-5);
    g_assert_cmpfloat_with_epsilon(yo[1], yi[1], 5e-5);
    g_assert_cmpfloat_with_epsilon(yo[2], yi[2], 5e-5);
    changed++;
  }
  g_assert_cmpint(changed, >, 50);
  sr_domain_free(d);
}

typedef struct {
  const sr_colour_transform *t;
  float *px;
  size_t n;
} Job;

static gpointer
run_job(gpointer data)
{
  Job *j = data;
  sr_colour_transform_apply(j->t, j->px, j->n, 3);
  return NULL;
}

/* One transform, built once, applied from several threads at once. */
static void
test_threads(void)
{
  if (!need_ocio())
    return;
  sr_ocio_config *c = open_config();
  sr_error err = {0};
  sr_colour_transform *t = sr_colour_transform_new_ocio(c, "ADX10", SR_CS_COUNT,
                                                        "Rec.709 display 2.4", SR_CS_COUNT, &err);
  g_assert_nonnull(t);
  enum { N = 40000, T = 4 };
  float *serial = g_new(float, N * 3), *par = g_new(float, N * 3);
  for (int i = 0; i < N * 3; i++)
    serial[i] = par[i] = (float)((i * 7919) % 1024) / 1023.0f;
  sr_colour_transform_apply(t, serial, N, 3);
  GThread *threads[T];
  Job jobs[T];
  for (int k = 0; k < T; k++) {
    jobs[k] = (Job){t, par + (size_t)k * (N / T) * 3, N / T};
    threads[k] = g_thread_new("ocio", run_job, &jobs[k]);
  }
  for (int k = 0; k < T; k++)
    g_thread_join(threads[k]);
  g_assert_cmpmem(par, sizeof(float) * N * 3, serial, sizeof(float) * N * 3);
  /* Into an OCIO space: the image claims no chromaticities it cannot know. */
  sr_image *img = sr_image_new(2, 2, 3, &err);
  img->has_chromaticities = true;
  sr_colour_transform_image(t, img);
  g_assert_false(img->has_chromaticities);
  sr_image_free(img);
  sr_colour_transform_free(t);
  sr_ocio_config_free(c);
  g_free(serial);
  g_free(par);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp("sr-ocio-XXXXXX", NULL);
  g_test_add_func("/ocio/listing", test_listing);
  g_test_add_func("/ocio/bad-configs", test_bad_configs);
  g_test_add_func("/ocio/against-lcms", test_against_lcms);
  g_test_add_func("/ocio/domain", test_domain);
  g_test_add_func("/ocio/threads", test_threads);
  int rc = g_test_run();
  const char *names[] = {"config.ocio", "garbage.ocio", "norole.ocio", "env.ocio"};
  for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *p = g_build_filename(tmpdir, names[i], NULL);
    g_unlink(p);
  }
  g_rmdir(tmpdir);
  g_free(tmpdir);
  return rc;
}
