/* The grain plan kept beside a render: where it lives, that it reads back
 * exactly (so every run adds the same grain), that a damaged file is named
 * with its field, what frames record, and the Review toggle's preview: grain
 * added and taken away again leaves the frame, chroma untouched. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sr-grain-plan.h"

static SrGrainPlan
some_plan(void)
{
  SrGrainPlan p;
  memset(&p, 0, sizeof p);
  g_strlcpy(p.model_id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            sizeof p.model_id);
  p.plan.seed = G_GUINT64_CONSTANT(18446744073709551557); /* beyond a double's integers */
  for (int i = 0; i < SR_GRAIN_BLOCK * SR_GRAIN_BLOCK; i++)
    p.plan.kernel[i] = (float)(0.01 * sin(i * 1.7) / (1 + i % 7));
  p.plan.kernel[SR_GRAIN_BLOCK * SR_GRAIN_BLOCK / 2 + SR_GRAIN_BLOCK / 2] = 0.03f;
  for (int l = 0; l < SR_GRAIN_LEVELS; l++)
    p.plan.level_gain[l] = 0.5 + 0.1 * l + 1e-9 / 3;
  p.pairs = 3;
  p.blocks = 40;
  p.reference_variance = 3.25e-3;
  for (int b = 0; b < SR_GRAIN_BANDS; b++)
    p.reference_bands[b] = b * 1e-4 / 3;
  p.result_variance = 1.1e-3;
  return p;
}

static void
test_path(void)
{
  g_autofree char *a = sr_grain_plan_path("/out/render/SH010_v001_m0123.%06d.exr");
  g_assert_cmpstr(a, ==, "/out/render/SH010_v001_m0123.grain.json");
  g_autofree char *b = sr_grain_plan_path("/out/r_####.exr");
  g_assert_cmpstr(b, ==, "/out/r.grain.json");
  g_autofree char *c = sr_grain_plan_path("/out/%04d.exr");
  g_assert_cmpstr(c, ==, "/out/render.grain.json");
  g_assert_null(sr_grain_plan_path("/out/still.exr"));
}

static void
test_save_load(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-grain-plan-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "r.grain.json", NULL);
  SrGrainPlan p = some_plan(), q;
  g_autoptr(GError) error = NULL;
  g_assert_true(sr_grain_plan_save(path, &p, &error));
  g_assert_true(sr_grain_plan_load(path, &q, &error));
  /* Exactly: the grain a resumed render adds is the first run's. */
  g_assert_cmpmem(&p.plan, sizeof p.plan, &q.plan, sizeof q.plan);
  g_assert_cmpstr(p.model_id, ==, q.model_id);
  g_assert_cmpint(q.blocks, ==, 40);
  g_autofree char *dp = sr_grain_plan_describe(&p), *dq = sr_grain_plan_describe(&q);
  g_assert_cmpstr(dp, ==, dq);
  g_assert_nonnull(strstr(dp, "\"seed\":\"18446744073709551557\""));
  g_assert_nonnull(strstr(dp, "\"referenceVariance\":0.00325"));
  g_assert_nonnull(strstr(dp, "\"referenceBands\":[0,"));
  /* Another seed is another plan. */
  q.plan.seed = 2;
  g_autofree char *d2 = sr_grain_plan_describe(&q);
  g_assert_cmpstr(dp, !=, d2);

  /* A damaged plan: the file and the field are named. */
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  char *k = strstr(text, "\"kernel\"");
  g_assert_nonnull(k);
  memcpy(k, "\"kernal\"", 8);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  g_assert_false(sr_grain_plan_load(path, &q, &error));
  g_assert_nonnull(strstr(error->message, path));
  g_assert_nonnull(strstr(error->message, "'kernel'"));
  g_clear_error(&error);
  g_assert_true(g_file_set_contents(path, "not json", -1, NULL));
  g_assert_false(sr_grain_plan_load(path, &q, &error));
  g_assert_nonnull(strstr(error->message, path));
  g_clear_error(&error);

  /* Values no film's grain has, fields of the wrong kind, and a file
   * nested past what json-glib can parse without running out of stack:
   * refused, naming the field where there is one. */
  g_assert_true(sr_grain_plan_save(path, &p, &error));
  g_autofree char *good = NULL;
  g_assert_true(g_file_get_contents(path, &good, NULL, NULL));
  const struct {
    const char *from, *to, *field;
  } bad[] = {
      {"\"format\" : 1", "\"format\" : \"1\"", "'format'"},
      {"\"pairs\" : 3", "\"pairs\" : -3", "'pairs'"},
      {"\"model_id\" : \"", "\"model_id\" : [], \"x\" : \"", "'model_id'"},
      {"\"kernel\" : [", "\"kernel\" : [1e30,", "'kernel'"},
      {"\"level_gain\" : [", "\"level_gain\" : [-1,", "'level_gain'"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_nonnull(strstr(good, bad[i].from));
    g_autoptr(GString) t = g_string_new(good);
    g_string_replace(t, bad[i].from, bad[i].to, 1);
    if (strcmp(bad[i].field, "'kernel'") == 0 || strcmp(bad[i].field, "'level_gain'") == 0) {
      /* one more value than the list holds: drop the last one */
      char *end = strstr(strstr(t->str, bad[i].to), "]");
      char *comma = g_strrstr_len(t->str, end - t->str, ",");
      g_string_erase(t, comma - t->str, end - comma);
    }
    g_assert_true(g_file_set_contents(path, t->str, -1, NULL));
    g_assert_false(sr_grain_plan_load(path, &q, &error));
    g_assert_nonnull(strstr(error->message, path));
    g_assert_nonnull(strstr(error->message, bad[i].field));
    g_clear_error(&error);
  }
  /* A plan an older version wrote with json-glib's spoiled exponent form
   * (1e-08.0) still loads, with the value it meant. */
  {
    g_autoptr(GString) t = g_string_new(good);
    g_assert_nonnull(strstr(good, "\"reference_variance\" : "));
    char num[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(num, sizeof num, "%.17g", p.reference_variance);
    g_autofree char *was = g_strdup_printf("\"reference_variance\" : %s,", num);
    g_assert_nonnull(strstr(good, was));
    g_string_replace(t, was, "\"reference_variance\" : 1e-08.0,", 1);
    g_assert_true(g_file_set_contents(path, t->str, -1, NULL));
    g_assert_true(sr_grain_plan_load(path, &q, &error));
    g_assert_no_error(error);
    g_assert_cmpfloat(q.reference_variance, ==, 1e-8);
  }
  GString *deep = g_string_new(NULL);
  for (int i = 0; i < 100000; i++)
    g_string_append_c(deep, '[');
  g_assert_true(g_file_set_contents(path, deep->str, (gssize)deep->len, NULL));
  g_string_free(deep, TRUE);
  g_assert_false(sr_grain_plan_load(path, &q, &error));
  g_assert_nonnull(strstr(error->message, path));
  g_clear_error(&error);
  g_remove(path);
  g_rmdir(dir);
}

static void
test_preview(void)
{
  SrGrainPlan p = some_plan();
  int w = 64, h = 48;
  sr_image *img = sr_image_new(w, h, 3, NULL);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float *px = sr_image_row(img, y) + 3 * x;
      float v = 0.2f + 0.6f * (float)x / w;
      px[0] = v * 0.9f;
      px[1] = v;
      px[2] = v * 0.95f + 0.02f;
    }
  sr_prep_settings prep;
  sr_prep_settings_init(&prep);
  prep.source_space = prep.reference_space = SR_CS_REC709;
  sr_error err = {0};
  sr_image *grained = sr_grain_plan_preview(&p, img, 5, &prep, FALSE, &err);
  g_assert_nonnull(grained);
  sr_image *back = sr_grain_plan_preview(&p, grained, 5, &prep, TRUE, &err);
  g_assert_nonnull(back);
  sr_ycbcr_coeffs c = sr_ycbcr_coefficients(prep.matrix);
  double added = 0, left = 0, chroma = 0;
  for (size_t i = 0; i < (size_t)w * h; i++) {
    const float *a = img->pixels + 3 * i, *g = grained->pixels + 3 * i, *r = back->pixels + 3 * i;
    double ya = sr_luma(c, a[0], a[1], a[2]), yg = sr_luma(c, g[0], g[1], g[2]);
    double yr = sr_luma(c, r[0], r[1], r[2]);
    added = fmax(added, fabs(yg - ya));
    left = fmax(left, fabs(yr - ya));
    for (int k = 0; k < 3; k++)
      chroma = fmax(chroma, fabs((g[k] - yg) - (a[k] - ya)));
  }
  g_test_message("added %.3g, left after removal %.3g, chroma %.3g", added, left, chroma);
  g_assert_cmpfloat(added, >, 0.01);
  /* Removal reads the level with the grain in: a level boundary crossed by
   * the grain itself is all that can differ. */
  g_assert_cmpfloat(left, <, 0.2 * added);
  g_assert_cmpfloat(chroma, <, 1e-5);
  sr_image_free(img);
  sr_image_free(grained);
  sr_image_free(back);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/grain-plan/path", test_path);
  g_test_add_func("/grain-plan/save-load-describe", test_save_load);
  g_test_add_func("/grain-plan/preview-add-remove", test_preview);
  return g_test_run();
}
