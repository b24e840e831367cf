/* Scopes, the bitmap font and validation stills. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sr-io.h"
#include "sr-scopes.h"
#include "sr-stills.h"

static sr_image *
flat(int w, int h, float r, float g, float b)
{
  sr_image *img = sr_image_new(w, h, 3, NULL);
  g_assert_nonnull(img);
  for (int i = 0; i < w * h; i++) {
    img->pixels[i * 3] = r;
    img->pixels[i * 3 + 1] = g;
    img->pixels[i * 3 + 2] = b;
  }
  return img;
}

static void
test_waveform_flat_grey(void)
{
  sr_image *img = flat(64, 48, 0.5f, 0.5f, 0.5f);
  sr_scope_options o;
  sr_scope_options_init(&o, 128, 100);
  guint32 *counts = g_new0(guint32, 128 * 100);
  g_assert_true(sr_scope_waveform_counts(img, &o, counts, NULL));
  int row = sr_waveform_row(0.5f, 100);
  guint64 total = 0;
  for (int y = 0; y < 100; y++)
    for (int x = 0; x < 128; x++) {
      if (counts[y * 128 + x])
        g_assert_cmpint(y, ==, row);
      total += counts[y * 128 + x];
    }
  /* 64 columns over 128: every scope column gets the 48 rows of its frame column. */
  g_assert_cmpuint(total, ==, 128 * 48);
  for (int x = 0; x < 128; x++)
    g_assert_cmpuint(counts[row * 128 + x], ==, 48);
  /* Bottom is 0, top is 1, the middle is 0.5. */
  g_assert_cmpint(sr_waveform_row(0.0f, 100), >, sr_waveform_row(1.0f, 100));
  g_assert_cmpint(abs(row - 50), <=, 1);
  /* Parade of pure red: R at the 1.0 row in the first third, G and B at 0. */
  sr_image *red = flat(64, 48, 1.0f, 0.0f, 0.0f);
  o.mode = SR_WAVEFORM_PARADE;
  g_assert_true(sr_scope_waveform_counts(red, &o, counts, NULL));
  int r1 = sr_waveform_row(1.0f, 100), r0 = sr_waveform_row(0.0f, 100);
  for (int y = 0; y < 100; y++)
    for (int x = 0; x < 128; x++)
      if (counts[y * 128 + x])
        g_assert_cmpint(y, ==, x < 128 / 3 ? r1 : r0);
  guint8 *rgba = g_malloc(128 * 100 * 4);
  g_assert_true(sr_scope_waveform(red, &o, rgba, NULL));
  /* A trace pixel in the red panel is red-dominant. */
  const guint8 *p = rgba + ((size_t)r1 * 128 + 10) * 4;
  g_assert_cmpuint(p[0], >, p[1]);
  g_assert_cmpuint(p[3], ==, 255);
  g_free(rgba);
  g_free(counts);
  sr_image_free(img);
  sr_image_free(red);
}

static void
test_vectorscope_red_target(void)
{
  sr_image *red = flat(40, 30, 1.0f, 0.0f, 0.0f);
  sr_scope_options o;
  sr_scope_options_init(&o, 200, 200);
  guint32 *counts = g_new0(guint32, 200 * 200);
  g_assert_true(sr_scope_vectorscope_counts(red, &o, counts, NULL));
  float cb, cr;
  int tx, ty;
  sr_vectorscope_target(SR_YCBCR_BT709, 0, 1.0f, &cb, &cr);
  g_assert_cmpfloat_with_epsilon(cr, 0.5, 1e-5);
  g_assert_cmpfloat(cb, <, 0.0);
  sr_vectorscope_position(cb, cr, 200, 200, &tx, &ty);
  g_assert_cmpuint(counts[ty * 200 + tx], ==, 40 * 30);
  /* Grey sits at the centre. */
  sr_image *grey = flat(40, 30, 0.3f, 0.3f, 0.3f);
  g_assert_true(sr_scope_vectorscope_counts(grey, &o, counts, NULL));
  int cx, cy;
  sr_vectorscope_position(0, 0, 200, 200, &cx, &cy);
  g_assert_cmpuint(counts[cy * 200 + cx], ==, 40 * 30);
  g_assert_cmpstr(sr_vectorscope_target_name(0), ==, "R");
  /* The drawn scope has the graticule box at the 75 % red target. */
  guint8 *rgba = g_malloc(200 * 200 * 4);
  g_assert_true(sr_scope_vectorscope(grey, &o, rgba, NULL));
  sr_vectorscope_target(SR_YCBCR_BT709, 0, 0.75f, &cb, &cr);
  sr_vectorscope_position(cb, cr, 200, 200, &tx, &ty);
  int half = 200 / 64;
  const guint8 *p = rgba + ((size_t)(ty - half) * 200 + tx) * 4;
  g_assert_cmpuint(p[0], >, 150);
  /* Bad sizes are refused with a message. */
  sr_error err = {0};
  o.width = 4;
  g_assert_false(sr_scope_vectorscope(grey, &o, rgba, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  g_free(rgba);
  g_free(counts);
  sr_image_free(red);
  sr_image_free(grey);
}

static void
test_scope_subsampling(void)
{
  sr_image *img = sr_image_new(2048, 1556, 3, NULL);
  for (size_t i = 0; i < sr_image_n_floats(img); i++)
    img->pixels[i] = (float)(i % 1000) / 1000.0f;
  sr_scope_options o;
  sr_scope_options_init(&o, 512, 256);
  guint32 *counts = g_new0(guint32, 512 * 256);
  g_assert_true(sr_scope_waveform_counts(img, &o, counts, NULL));
  guint64 total = 0;
  int empty_columns = 0;
  for (int x = 0; x < 512; x++) {
    guint64 col = 0;
    for (int y = 0; y < 256; y++)
      col += counts[y * 512 + x];
    empty_columns += col == 0;
    total += col;
  }
  g_assert_cmpuint(total, <=, (guint64)o.max_samples + 2048);
  g_assert_cmpuint(total, >, (guint64)o.max_samples / 2);
  g_assert_cmpint(empty_columns, ==, 0);
  g_free(counts);
  sr_image_free(img);
}

static void
test_font(void)
{
  for (char c = 32; c < 127; c++)
    g_assert_true(sr_font_has_glyph(c));
  const unsigned char *a = sr_font_glyph('A');
  int bits = 0;
  for (int r = 0; r < 7; r++) {
    g_assert_cmpuint(a[r] & ~0x1Fu, ==, 0);
    bits += a[r] != 0;
  }
  g_assert_cmpint(bits, ==, 7);
  g_assert_true(sr_font_glyph('\t') == sr_font_glyph('?'));
  g_assert_cmpint(sr_font_text_width("Frame 12", 2), ==, (8 * 6 - 1) * 2);
  /* Distinct glyphs for the characters labels use. */
  const char *chars = "0123456789AOR:ecdv";
  for (int i = 0; chars[i]; i++)
    for (int j = i + 1; chars[j]; j++)
      g_assert_false(memcmp(sr_font_glyph(chars[i]), sr_font_glyph(chars[j]), 7) == 0);
  sr_image *img = flat(40, 12, 0, 0, 0);
  const float white[3] = {1, 1, 1};
  sr_font_draw(img, 1, 1, "1", 1, white);
  /* '1' row 0 is 0x04: the middle column of the cell. */
  g_assert_cmpfloat(sr_image_row(img, 1)[(1 + 2) * 3], ==, 1.0f);
  g_assert_cmpfloat(sr_image_row(img, 1)[(1 + 0) * 3], ==, 0.0f);
  /* Clipped at the border without writing outside. */
  sr_font_draw(img, 35, 8, "WWW", 3, white);
  sr_image_free(img);
}

static void
test_stills(void)
{
  g_autoptr(GError) gerr = NULL;
  g_autofree char *dir = g_dir_make_tmp("sr-qa-XXXXXX", &gerr);
  g_assert_no_error(gerr);
  sr_image *orig = flat(220, 160, 0.0f, 0.0f, 0.0f);
  sr_image *rec = flat(220, 160, 1.0f, 1.0f, 1.0f);
  sr_still_options o;
  sr_still_options_init(&o, SR_CS_SRGB, 1012);
  sr_error err = {0};
  sr_image *wipe = sr_still_wipe(orig, rec, &o, &err);
  g_assert_nonnull(wipe);
  g_assert_cmpint(wipe->width, ==, 220);
  g_assert_cmpint(wipe->channels, ==, 3);
  /* Away from labels: left is the original, right the recovered. */
  g_assert_cmpfloat(sr_image_row(wipe, 80)[20 * 3], ==, 0.0f);
  g_assert_cmpfloat(sr_image_row(wipe, 80)[200 * 3], ==, 1.0f);
  /* The "Original" label lights pixels in the top-left corner. */
  int lit = 0;
  for (int y = 0; y < 20; y++)
    for (int x = 0; x < 60; x++)
      lit += sr_image_row(wipe, y)[x * 3] > 0.5f;
  g_assert_cmpint(lit, >, 20);
  sr_image *sbs = sr_still_side_by_side(orig, rec, &o, &err);
  g_assert_nonnull(sbs);
  g_assert_cmpint(sbs->width, >, 440);
  g_assert_cmpint(sbs->height, ==, 160);
  o.max_width = 100;
  sr_image *small = sr_still_side_by_side(orig, rec, &o, &err);
  g_assert_cmpint(small->width, ==, 100);

  g_autofree char *p1 = g_build_filename(dir, "wipe.png", NULL);
  g_autofree char *p2 = g_build_filename(dir, "sbs.png", NULL);
  g_autofree char *p3 = g_build_filename(dir, "vectorscope.png", NULL);
  g_assert_true(sr_still_write_png(p1, wipe, 16, &err));
  g_assert_true(sr_still_write_png(p2, sbs, 8, &err));
  sr_scope_options so;
  sr_scope_options_init(&so, 64, 64);
  guint8 *rgba = g_malloc(64 * 64 * 4);
  g_assert_true(sr_scope_vectorscope(rec, &so, rgba, &err));
  sr_image *scope = sr_scope_to_image(rgba, 64, 64, &err);
  g_assert_true(sr_still_write_png(p3, scope, 8, &err));
  sr_image *back = sr_image_read(p1, &err);
  if (!back)
    g_error("%s", err.message);
  g_assert_cmpint(back->width, ==, 220);
  g_assert_cmpfloat_with_epsilon(sr_image_row(back, 80)[200 * 3], 1.0, 1e-3);
  sr_image *back3 = sr_image_read(p3, &err);
  g_assert_nonnull(back3);
  g_assert_cmpint(back3->width, ==, 64);
  /* Not a PNG name: refused. */
  g_autofree char *bad = g_build_filename(dir, "x.exr", NULL);
  g_assert_false(sr_still_write_png(bad, wipe, 8, &err));
  g_assert_false(g_file_test(bad, G_FILE_TEST_EXISTS));
  /* Mismatched sizes: refused. */
  sr_image *other = flat(10, 10, 0, 0, 0);
  g_assert_null(sr_still_wipe(orig, other, &o, &err));
  g_assert_nonnull(strstr(err.message, "10x10"));

  g_remove(p1);
  g_remove(p2);
  g_remove(p3);
  g_rmdir(dir);
  g_free(rgba);
  sr_image_free(orig);
  sr_image_free(rec);
  sr_image_free(wipe);
  sr_image_free(sbs);
  sr_image_free(small);
  sr_image_free(scope);
  sr_image_free(back);
  sr_image_free(back3);
  sr_image_free(other);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/qa/scopes/waveform-flat-grey", test_waveform_flat_grey);
  g_test_add_func("/qa/scopes/vectorscope-red-target", test_vectorscope_red_target);
  g_test_add_func("/qa/scopes/subsampling", test_scope_subsampling);
  g_test_add_func("/qa/stills/font", test_font);
  g_test_add_func("/qa/stills/composites", test_stills);
  return g_test_run();
}
