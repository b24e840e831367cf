/* test-viewer.c — SrViewer, the display LUT, SrFrameCache and SrThumbnailer.
 *
 * Runs under Xvfb. The viewer is realised in a real window; each mode is
 * rendered through the window's GSK renderer to a texture, saved as a PNG in
 * $SR_SCREENSHOT_DIR and checked pixel by pixel against the CPU display
 * transform, for the GL path and the software fallback.
 */
#include <gtk/gtk.h>
#include <lcms2.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sr-display-lut.h"
#include "sr-frame-cache.h"
#include "sr-io.h"
#include "sr-thumbnailer.h"
#include "sr-viewer.h"

#define IMG_W   480
#define IMG_H   270
#define PATCH_W 60
#define PATCH_H 50
/* Top row of patches at y 20..70, bottom row at y 200..250. */
#define TOP_Y    20
#define BOTTOM_Y 200
/* B is A + this much in every channel on the patches (a luma change). */
#define B_LIFT 0.1f

static const float patch_colours[6][3] = {
    {0.45f, 0.32f, 0.26f}, {0.76f, 0.58f, 0.50f}, {0.36f, 0.48f, 0.61f},
    {0.35f, 0.42f, 0.26f}, {0.51f, 0.50f, 0.69f}, {0.40f, 0.74f, 0.67f},
};

static int
patch_x(int i)
{
  return 30 + i * 72;
}

/* A synthetic pair: a graded background, two rows of flat patches, and a
 * band of gratings, blurred in A (the degraded Source) and crisp in B. */
static sr_image *
make_image(gboolean is_b)
{
  sr_image *img = sr_image_new(IMG_W, IMG_H, 3, NULL);
  g_assert_nonnull(img);
  for (int y = 0; y < IMG_H; y++) {
    float *row = sr_image_row(img, y);
    for (int x = 0; x < IMG_W; x++) {
      float t = (float)y / IMG_H, s = (float)x / IMG_W;
      float *p = row + x * 3;
      p[0] = 0.16f + 0.20f * t + 0.05f * s;
      p[1] = 0.17f + 0.14f * t;
      p[2] = 0.22f + 0.06f * t - 0.04f * s;
      if (y >= 95 && y < 175) {
        /* A chirp from 0.01 to 0.4 cycles a pixel: phase is the
               * integral of the frequency, f0 x + (f1 − f0) x² / 2W. */
        double f = 0.01 + 0.39 * s;
        double phase = 2 * G_PI * (0.01 * x + 0.39 * x * (double)x / (2.0 * IMG_W));
        double v = sin(phase) * (y < 135 ? 1.0 : 0.5);
        /* A is the blurred Source: detail fades with frequency. */
        double amp = is_b ? 0.28 : 0.28 * exp(-(f / 0.12) * (f / 0.12));
        for (int c = 0; c < 3; c++)
          p[c] = (float)(0.45 + amp * v);
      }
    }
  }
  for (int row = 0; row < 2; row++)
    for (int i = 0; i < 6; i++) {
      int y0 = row == 0 ? TOP_Y : BOTTOM_Y;
      for (int y = y0; y < y0 + PATCH_H; y++)
        for (int x = patch_x(i); x < patch_x(i) + PATCH_W; x++)
          for (int c = 0; c < 3; c++)
            sr_image_row(img, y)[x * 3 + c] = patch_colours[i][c] + (is_b ? B_LIFT : 0.0f);
    }
  return img;
}

/* ---- Helpers --------------------------------------------------------------- */

static void
spin(int ms)
{
  gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
  while (g_get_monotonic_time() < end) {
    while (g_main_context_iteration(NULL, FALSE))
      ;
    g_usleep(2000);
  }
}

static gboolean
wait_for(gboolean (*cond)(gpointer), gpointer data, int timeout_ms)
{
  gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  while (!cond(data)) {
    if (g_get_monotonic_time() > end)
      return FALSE;
    g_main_context_iteration(NULL, FALSE);
    g_usleep(1000);
  }
  return TRUE;
}

typedef struct {
  guint8 *pixels; /* RGBA8 */
  int width, height;
} Shot;

static void
shot_free(Shot *s)
{
  g_free(s->pixels);
  g_free(s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Shot, shot_free)

static char *
screenshot_path(const char *name)
{
  const char *dir = g_getenv("SR_SCREENSHOT_DIR");
  g_autofree char *fallback = NULL;
  if (dir == NULL) {
    const char *root = g_getenv("SR_TEST_BUILD_ROOT");
    fallback = g_build_filename(root ? root : ".", "tests", "ui", "screenshots", NULL);
    dir = fallback;
  }
  g_mkdir_with_parents(dir, 0755);
  g_autofree char *file = g_strdup_printf("viewer-%s.png", name);
  return g_build_filename(dir, file, NULL);
}

/* Renders the widget the way the window would and saves it as a PNG. */
static Shot *
screenshot(GtkWidget *widget, const char *name)
{
  spin(30);
  int w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
  g_assert_cmpint(w, >, 0);
  GdkPaintable *paintable = gtk_widget_paintable_new(widget);
  GtkSnapshot *snapshot = gtk_snapshot_new();
  gdk_paintable_snapshot(paintable, snapshot, w, h);
  GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
  g_assert_nonnull(node);
  GskRenderer *renderer = gtk_native_get_renderer(gtk_widget_get_native(widget));
  GdkTexture *tex = gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, w, h));
  gsk_render_node_unref(node);
  g_object_unref(paintable);

  g_autofree char *path = screenshot_path(name);
  g_assert_true(gdk_texture_save_to_png(tex, path));
  g_test_message("screenshot %s", path);

  Shot *s = g_new0(Shot, 1);
  s->width = gdk_texture_get_width(tex);
  s->height = gdk_texture_get_height(tex);
  /* gdk_texture_download gives premultiplied BGRA/ARGB in native order; the
   * picture is opaque so premultiplication changes nothing. */
  guint32 *argb = g_new(guint32, (gsize)s->width * s->height);
  gdk_texture_download(tex, (guchar *)argb, (gsize)s->width * 4);
  s->pixels = g_new(guint8, (gsize)s->width * s->height * 4);
  for (gsize i = 0; i < (gsize)s->width * s->height; i++) {
    s->pixels[i * 4 + 0] = (argb[i] >> 16) & 0xff;
    s->pixels[i * 4 + 1] = (argb[i] >> 8) & 0xff;
    s->pixels[i * 4 + 2] = argb[i] & 0xff;
    s->pixels[i * 4 + 3] = argb[i] >> 24;
  }
  g_free(argb);
  g_object_unref(tex);
  return s;
}

static const guint8 *
shot_at(const Shot *s, double x, double y)
{
  int ix = CLAMP((int)x, 0, s->width - 1), iy = CLAMP((int)y, 0, s->height - 1);
  return s->pixels + ((gsize)iy * s->width + ix) * 4;
}

static void
expected_display(const SrDisplayLut *lut, float exposure, const float rgb[3], int out[3])
{
  float d[3];
  sr_display_lut_apply(lut, exposure, rgb, d);
  for (int c = 0; c < 3; c++)
    out[c] = (int)lrintf(d[c] * 255.0f);
}

static void
assert_colour_near(const guint8 *px, const int want[3], int tol, const char *what)
{
  for (int c = 0; c < 3; c++)
    if (abs((int)px[c] - want[c]) > tol)
      g_error("%s: pixel (%d,%d,%d), expected (%d,%d,%d) ± %d", what, px[0], px[1], px[2], want[0],
              want[1], want[2], tol);
}

static gboolean
colours_differ(const guint8 *a, const guint8 *b, int tol)
{
  for (int c = 0; c < 3; c++)
    if (abs((int)a[c] - (int)b[c]) > tol)
      return TRUE;
  return FALSE;
}

/* The widget position of the centre of patch i in a row (pane 0). */
static void
patch_centre(SrViewer *v, int i, int row_y, double *wx, double *wy)
{
  sr_viewer_image_to_widget(v, patch_x(i) + PATCH_W / 2.0, row_y + PATCH_H / 2.0, wx, wy);
}

typedef struct {
  GtkWidget *window;
  SrViewer *viewer;
  guint gl_errors;
  char *last_gl_error;
  guint probes;
  SrViewerProbe last_probe;
  int crop_edited[4];
  guint crop_edited_count;
} Fixture;

static void
on_gl_error(SrViewer *v, const char *message, Fixture *f)
{
  f->gl_errors++;
  g_free(f->last_gl_error);
  f->last_gl_error = g_strdup(message);
}

static void
on_probe(SrViewer *v, SrViewerProbe *p, Fixture *f)
{
  f->probes++;
  f->last_probe = *p;
}

static void
on_crop_edited(SrViewer *v, int x, int y, int w, int h, Fixture *f)
{
  f->crop_edited[0] = x;
  f->crop_edited[1] = y;
  f->crop_edited[2] = w;
  f->crop_edited[3] = h;
  f->crop_edited_count++;
}

static gboolean
viewer_ready(gpointer data)
{
  Fixture *f = data;
  return gtk_widget_get_mapped(GTK_WIDGET(f->viewer)) &&
         gtk_widget_get_width(GTK_WIDGET(f->viewer)) > 100 &&
         !g_str_equal(sr_viewer_get_renderer(f->viewer), "none");
}

static void
fixture_setup(Fixture *f, gboolean software)
{
  memset(f, 0, sizeof *f);
  f->window = gtk_window_new();
  gtk_window_set_default_size(GTK_WINDOW(f->window), 800, 480);
  gtk_window_set_decorated(GTK_WINDOW(f->window), FALSE);
  f->viewer = SR_VIEWER(sr_viewer_new());
  sr_viewer_set_force_software(f->viewer, software);
  g_signal_connect(f->viewer, "gl-error", G_CALLBACK(on_gl_error), f);
  g_signal_connect(f->viewer, "probe", G_CALLBACK(on_probe), f);
  g_signal_connect(f->viewer, "crop-edited", G_CALLBACK(on_crop_edited), f);
  gtk_window_set_child(GTK_WINDOW(f->window), GTK_WIDGET(f->viewer));

  sr_image *a = make_image(FALSE), *b = make_image(TRUE);
  SrFrame *fa = sr_frame_new_take(a, 1001), *fb = sr_frame_new_take(b, 1001);
  sr_viewer_set_frames(f->viewer, fa, fb);
  sr_frame_unref(fa);
  sr_frame_unref(fb);
  sr_viewer_set_frame_number(f->viewer, 1001);

  gtk_window_present(GTK_WINDOW(f->window));
  if (!wait_for(viewer_ready, f, 10000))
    g_error("the viewer was not realised within 10 s (renderer %s)",
            sr_viewer_get_renderer(f->viewer));
  /* Let the GL area render its first frame. */
  spin(100);
}

static void
fixture_teardown(Fixture *f)
{
  g_assert_cmpuint(f->gl_errors, ==, 0);
  g_assert_cmpuint(sr_viewer_get_gl_error_count(f->viewer), ==, 0);
  gtk_window_destroy(GTK_WINDOW(f->window));
  spin(20);
  g_free(f->last_gl_error);
}

/* ---- Display LUT ----------------------------------------------------------- */

static float
srgb_encode(float l)
{
  return l <= 0.0031308f ? 12.92f * l : 1.055f * powf(l, 1.0f / 2.4f) - 0.055f;
}

static void
test_lut_rec709(void)
{
  g_autoptr(GError) error = NULL;
  SrDisplayLut *lut = sr_display_lut_new(SR_CS_REC709, NULL, 0, &error);
  g_assert_no_error(error);
  g_assert_nonnull(lut);
  /* BT.1886 (2.4) values → linear → sRGB, also for non-grey colours. */
  float max_err = 0;
  for (int i = 0; i <= 20; i++)
    for (int k = 0; k < 3; k++) {
      float v = i / 20.0f;
      float rgb[3] = {v, k == 1 ? 0.5f * v : v, k == 2 ? 0.2f + 0.6f * v : v};
      float out[3];
      sr_display_lut_apply(lut, 0, rgb, out);
      for (int c = 0; c < 3; c++)
        max_err = fmaxf(max_err, fabsf(out[c] - srgb_encode(powf(rgb[c], 2.4f))));
    }
  g_test_message("Rec.709 → sRGB LUT max error %.5f", max_err);
  g_assert_cmpfloat(max_err, <, 0.006f);

  /* Exposure: +1 stop doubles linear light. */
  float grey[3] = {powf(0.18f, 1 / 2.4f), powf(0.18f, 1 / 2.4f), powf(0.18f, 1 / 2.4f)}, out[3];
  sr_display_lut_apply(lut, 1.0f, grey, out);
  g_assert_cmpfloat_with_epsilon(out[0], srgb_encode(0.36f), 0.006f);
  sr_display_lut_free(lut);
}

static void
test_lut_linear(void)
{
  g_autoptr(GError) error = NULL;
  SrDisplayLut *lut = sr_display_lut_new(SR_CS_ACESCG, NULL, 0, &error);
  g_assert_no_error(error);
  /* Grey stays neutral across white points and follows the sRGB curve. */
  float grey[3] = {0.18f, 0.18f, 0.18f}, out[3];
  sr_display_lut_apply(lut, 0, grey, out);
  for (int c = 0; c < 3; c++)
    g_assert_cmpfloat_with_epsilon(out[c], srgb_encode(0.18f), 0.008f);
  /* The shaper keeps highlights ordered up to 2^6; above white they clip. */
  float prev = -1;
  for (float l = 0.001f; l <= 1.0f; l *= 1.5f) {
    float in[3] = {l, l, l};
    sr_display_lut_apply(lut, 0, in, out);
    g_assert_cmpfloat(out[1], >, prev);
    prev = out[1];
  }
  float hot[3] = {8.0f, 8.0f, 8.0f};
  sr_display_lut_apply(lut, 0, hot, out);
  g_assert_cmpfloat_with_epsilon(out[0], 1.0f, 1e-3f);
  /* −3 stops brings 8.0 to 1.0: white, not clipped garbage. */
  sr_display_lut_apply(lut, -4.0f, hot, out);
  g_assert_cmpfloat_with_epsilon(out[1], srgb_encode(0.5f), 0.008f);
  /* NaN and negative input are safe. */
  float bad[3] = {NAN, -1.0f, INFINITY};
  sr_display_lut_apply(lut, 0, bad, out);
  for (int c = 0; c < 3; c++)
    g_assert_true(out[c] >= 0 && out[c] <= 1);
  sr_display_lut_free(lut);
}

static void
test_lut_icc(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("sr-viewer-icc-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *icc = g_build_filename(dir, "display.icc", NULL);
  cmsHPROFILE p = cmsCreate_sRGBProfile();
  g_assert_true(cmsSaveProfileToFile(p, icc));
  cmsCloseProfile(p);

  SrDisplayLut *a = sr_display_lut_new(SR_CS_LINEAR_REC709, NULL, 17, &error);
  g_assert_no_error(error);
  SrDisplayLut *b = sr_display_lut_new(SR_CS_LINEAR_REC709, icc, 17, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(b->profile_path, ==, icc);
  /* The same profile from a file gives the same picture. (Its colorants are
   * stored as 16.16 fixed point, so grid points far outside the picture's
   * range, where one channel is 2^6 and another ~0, may differ a little.) */
  for (int i = 0; i < 125; i++) {
    float rgb[3] = {(i % 5) / 4.0f, ((i / 5) % 5) / 4.0f, (i / 25) / 4.0f}, oa[3], ob[3];
    sr_display_lut_apply(a, 0, rgb, oa);
    sr_display_lut_apply(b, 0, rgb, ob);
    for (int c = 0; c < 3; c++)
      g_assert_cmpfloat_with_epsilon(oa[c], ob[c], 4e-3);
  }
  sr_display_lut_free(a);
  sr_display_lut_free(b);

  /* A file that is not a profile: a clear error naming it. */
  g_autofree char *bogus = g_build_filename(dir, "bogus.icc", NULL);
  g_assert_true(g_file_set_contents(bogus, "not a profile", -1, NULL));
  SrDisplayLut *c = sr_display_lut_new(SR_CS_REC709, bogus, 0, &error);
  g_assert_null(c);
  g_assert_nonnull(error);
  g_assert_nonnull(strstr(error->message, "bogus.icc"));
  g_unlink(bogus);
  g_unlink(icc);
  g_rmdir(dir);
}

/* ---- Viewer ---------------------------------------------------------------- */

static void
check_modes(Fixture *f, const char *prefix)
{
  SrViewer *v = f->viewer;
  g_autoptr(GError) error = NULL;
  SrDisplayLut *lut = sr_display_lut_new(SR_CS_REC709, NULL, 0, &error);
  g_assert_no_error(error);
  float lifted[6][3];
  int want_a[6][3], want_b[6][3];
  for (int i = 0; i < 6; i++) {
    for (int c = 0; c < 3; c++)
      lifted[i][c] = patch_colours[i][c] + B_LIFT;
    expected_display(lut, 0, patch_colours[i], want_a[i]);
    expected_display(lut, 0, lifted[i], want_b[i]);
  }
  g_autofree char *name = NULL;
  double x, y, x2, y2;
  /* Half-float textures and the GPU's LUT filtering vs the CPU: 4/255. */
  const int tol = 4;

  /* A only, fitted: the whole picture is inside the view, dark surround. */
  sr_viewer_zoom_fit(v);
  sr_viewer_set_mode(v, SR_VIEWER_MODE_A);
  g_autoptr(Shot) s_a = screenshot(GTK_WIDGET(v), (name = g_strdup_printf("%s-a", prefix)));
  sr_viewer_image_to_widget(v, 0, 0, &x, &y);
  sr_viewer_image_to_widget(v, IMG_W, IMG_H, &x2, &y2);
  g_assert_cmpfloat(x, >=, -0.01);
  g_assert_cmpfloat(y, >=, -0.01);
  g_assert_cmpfloat(x2, <=, gtk_widget_get_width(GTK_WIDGET(v)) + 0.01);
  g_assert_cmpfloat(y2, <=, gtk_widget_get_height(GTK_WIDGET(v)) + 0.01);
  for (int i = 0; i < 6; i++) {
    patch_centre(v, i, TOP_Y, &x, &y);
    assert_colour_near(shot_at(s_a, x, y), want_a[i], tol, "A patch");
  }
  /* The surround above the fitted picture (the view is taller than 16:9). */
  sr_viewer_image_to_widget(v, IMG_W / 2.0, 0, &x, &y);
  g_assert_cmpfloat(y, >=, 3);
  const guint8 *bg = shot_at(s_a, x, 1);
  g_assert_cmpint(bg[0], <, 45);
  g_assert_cmpint(abs(bg[0] - bg[1]), <=, 3);

  /* B only. */
  sr_viewer_set_mode(v, SR_VIEWER_MODE_B);
  g_free(name);
  g_autoptr(Shot) s_b = screenshot(GTK_WIDGET(v), (name = g_strdup_printf("%s-b", prefix)));
  for (int i = 0; i < 6; i++) {
    patch_centre(v, i, BOTTOM_Y, &x, &y);
    assert_colour_near(shot_at(s_b, x, y), want_b[i], tol, "B patch");
  }

  /* Toggle: B → A → B. */
  sr_viewer_toggle_ab(v);
  g_assert_cmpint(sr_viewer_get_mode(v), ==, SR_VIEWER_MODE_A);
  g_assert_true(gtk_widget_activate_action(GTK_WIDGET(v), "viewer.toggle-ab", NULL));
  g_assert_cmpint(sr_viewer_get_mode(v), ==, SR_VIEWER_MODE_B);

  /* Vertical wipe at the middle: left patches from A, right from B. */
  sr_viewer_set_mode(v, SR_VIEWER_MODE_WIPE);
  sr_viewer_set_wipe_orientation(v, SR_VIEWER_WIPE_VERTICAL);
  sr_viewer_set_wipe_position(v, 0.5);
  g_free(name);
  g_autoptr(Shot) s_w = screenshot(GTK_WIDGET(v), (name = g_strdup_printf("%s-wipe", prefix)));
  for (int i = 0; i < 6; i++) {
    patch_centre(v, i, TOP_Y, &x, &y);
    assert_colour_near(shot_at(s_w, x, y), i < 3 ? want_a[i] : want_b[i], tol, "wipe patch");
  }
  /* The same patch looks different on the two sides of the line: move the
   * line past patch 2 and compare. */
  patch_centre(v, 2, TOP_Y, &x, &y);
  sr_viewer_set_wipe_position(v, 0.2);
  g_free(name);
  g_autoptr(Shot) s_w2 =
      screenshot(GTK_WIDGET(v), (name = g_strdup_printf("%s-wipe-moved", prefix)));
  g_assert_true(colours_differ(shot_at(s_w, x, y), shot_at(s_w2, x, y), 8));
  sr_viewer_set_wipe_position(v, 0.5);

  /* Horizontal wipe: top row from A, bottom row from B. */
  sr_viewer_set_wipe_orientation(v, SR_VIEWER_WIPE_HORIZONTAL);
  g_free(name);
  g_autoptr(Shot) s_h =
      screenshot(GTK_WIDGET(v), (name = g_strdup_printf("%s-wipe-horizontal", prefix)));
  for (int i = 0; i < 6; i++) {
    patch_centre(v, i, TOP_Y, &x, &y);
    assert_colour_near(shot_at(s_h, x, y), want_a[i], tol, "horizontal wipe top");
    patch_centre(v, i, BOTTOM_Y, &x, &y);
    assert_colour_near(shot_at(s_h, x, y), want_b[i], tol, "horizontal wipe bottom");
  }
  sr_viewer_set_wipe_orientation(v, SR_VIEWER_WIPE_VERTICAL);

  /* Side by side: A in the left pane, B in the right, same framing. */
  sr_viewer_set_mode(v, SR_VIEWER_MODE_SIDE_BY_SIDE);
  g_assert_true(sr_viewer_get_zoom_fit(v));
  g_free(name);
  g_autoptr(Shot) s_s =
      screenshot(GTK_WIDGET(v), (name = g_strdup_printf("%s-side-by-side", prefix)));
  double half = floor(gtk_widget_get_width(GTK_WIDGET(v)) / 2.0);
  for (int i = 0; i < 6; i++) {
    patch_centre(v, i, TOP_Y, &x, &y);
    g_assert_cmpfloat(x, <, half);
    assert_colour_near(shot_at(s_s, x, y), want_a[i], tol, "side-by-side left");
    assert_colour_near(shot_at(s_s, x + half, y), want_b[i], tol, "side-by-side right");
    double ix, iy;
    g_assert_true(sr_viewer_widget_to_image(v, x + half, y, &ix, &iy));
    g_assert_cmpint((int)ix, ==, patch_x(i) + PATCH_W / 2);
  }

  /* Difference: |A − B| × gain on the patches, black where they agree. */
  sr_viewer_set_mode(v, SR_VIEWER_MODE_DIFFERENCE);
  sr_viewer_set_difference_gain(v, 8.0);
  g_free(name);
  g_autoptr(Shot) s_d =
      screenshot(GTK_WIDGET(v), (name = g_strdup_printf("%s-difference", prefix)));
  int want_d = (int)lrintf(B_LIFT * 8.0f * 255.0f);
  for (int i = 0; i < 6; i++) {
    patch_centre(v, i, TOP_Y, &x, &y);
    int w3[3] = {want_d, want_d, want_d};
    assert_colour_near(shot_at(s_d, x, y), w3, tol, "difference patch");
  }
  sr_viewer_image_to_widget(v, 10, 10, &x, &y);
  g_assert_cmpint(shot_at(s_d, x, y)[1], <=, 2);

  /* Exposure: +1 stop on A. */
  sr_viewer_set_mode(v, SR_VIEWER_MODE_A);
  sr_viewer_set_exposure(v, 1.0);
  g_free(name);
  g_autoptr(Shot) s_e = screenshot(GTK_WIDGET(v), (name = g_strdup_printf("%s-exposure", prefix)));
  for (int i = 0; i < 6; i++) {
    int want[3];
    expected_display(lut, 1.0f, patch_colours[i], want);
    patch_centre(v, i, TOP_Y, &x, &y);
    assert_colour_near(shot_at(s_e, x, y), want, tol, "exposed patch");
  }
  sr_viewer_set_exposure(v, 0.0);

  /* Crop overlay with handles: the region outside is dimmed. */
  sr_rect crop = {40, 30, 400, 210};
  sr_viewer_set_crop(v, &crop);
  sr_viewer_set_crop_edit(v, TRUE);
  sr_viewer_set_mode(v, SR_VIEWER_MODE_WIPE);
  g_free(name);
  g_autoptr(Shot) s_c = screenshot(GTK_WIDGET(v), (name = g_strdup_printf("%s-crop", prefix)));
  sr_viewer_image_to_widget(v, 20, 150, &x, &y);
  const guint8 *outside = shot_at(s_c, x, y);
  const guint8 *before = shot_at(s_w, x, y);
  g_assert_cmpint(outside[1], <, before[1] - 10);
  /* A handle is drawn at the crop's top-left corner. */
  sr_viewer_image_to_widget(v, 40, 30, &x, &y);
  const guint8 *hdl = shot_at(s_c, x, y);
  g_assert_cmpint(hdl[0], >, 200);
  sr_viewer_set_crop_edit(v, FALSE);
  sr_viewer_set_crop(v, NULL);

  /* Zoomed in 4:1 about a patch edge: pixels stay sharp (no smear wider
   * than one display pixel across the edge). */
  sr_viewer_set_mode(v, SR_VIEWER_MODE_A);
  sr_viewer_zoom_fit(v);
  sr_viewer_image_to_widget(v, patch_x(1), TOP_Y + 25, &x, &y);
  sr_viewer_set_zoom(v, 4.0);
  sr_viewer_set_pan(v, patch_x(1), TOP_Y + 25);
  g_free(name);
  g_autoptr(Shot) s_z = screenshot(GTK_WIDGET(v), (name = g_strdup_printf("%s-zoom", prefix)));
  /* The first display pixel inside the patch edge is all patch, the last
   * one outside is all background: 4× magnified pixels are squares. */
  sr_viewer_image_to_widget(v, patch_x(1), TOP_Y + 25, &x, &y);
  g_assert_cmpfloat(fabs(x - round(x)), <, 1e-6);
  assert_colour_near(shot_at(s_z, x + 0.5, y), want_a[1], tol, "zoomed patch edge");
  float edge_bg[3];
  for (int c = 0; c < 3; c++)
    edge_bg[c] = sr_image_row(sr_frame_get_image(sr_viewer_get_frame_a(v)),
                              TOP_Y + 25)[(patch_x(1) - 1) * 3 + c];
  int want_bg[3];
  expected_display(lut, 0, edge_bg, want_bg);
  assert_colour_near(shot_at(s_z, x - 0.5, y), want_bg, tol, "zoomed background edge");
  sr_viewer_zoom_fit(v);

  sr_display_lut_free(lut);
}

static void
test_viewer_gl(void)
{
  Fixture f;
  fixture_setup(&f, FALSE);
  const char *renderer = sr_viewer_get_renderer(f.viewer);
  g_test_message("viewer renderer: %s%s%s", renderer,
                 sr_viewer_get_fallback_reason(f.viewer) ? ", because " : "",
                 sr_viewer_get_fallback_reason(f.viewer) ? sr_viewer_get_fallback_reason(f.viewer)
                                                         : "");
  if (g_getenv("SR_TEST_REQUIRE_GL") != NULL)
    g_assert_cmpstr(renderer, ==, "gl");
  check_modes(&f, g_str_equal(renderer, "gl") ? "gl" : "fallback");
  fixture_teardown(&f);
}

static void
test_viewer_software(void)
{
  Fixture f;
  fixture_setup(&f, TRUE);
  g_assert_cmpstr(sr_viewer_get_renderer(f.viewer), ==, "software");
  g_assert_nonnull(sr_viewer_get_fallback_reason(f.viewer));
  check_modes(&f, "software");
  fixture_teardown(&f);
}

static gboolean
not_preparing(gpointer data)
{
  return !sr_viewer_is_preparing(data);
}

static void
check_2k(gboolean software)
{
  /* A 2K float frame: prepared off the main thread, then drawn; timed. */
  Fixture f;
  fixture_setup(&f, software);
  sr_image *img = sr_image_new(2048, 1080, 3, NULL);
  for (int y = 0; y < 1080; y++)
    for (int x = 0; x < 2048; x++) {
      float *p = sr_image_row(img, y) + x * 3;
      p[0] = (float)x / 2048;
      p[1] = (float)y / 1080;
      p[2] = 0.5f;
    }
  SrFrame *fr = sr_frame_new_take(img, 1);
  gint64 t0 = g_get_monotonic_time();
  sr_viewer_set_frames(f.viewer, fr, fr);
  gint64 t_set = g_get_monotonic_time() - t0;
  /* The main thread only hands the frame over; conversion runs elsewhere. */
  g_assert_cmpint(t_set, <, 20000);
  g_assert_true(sr_viewer_is_preparing(f.viewer));
  /* Drawing while it is prepared shows the previous picture. */
  g_autoptr(Shot) early =
      screenshot(GTK_WIDGET(f.viewer), software ? "software-2k-early" : "gl-2k-early");
  g_assert_true(wait_for(not_preparing, f.viewer, 10000));
  g_test_message("2K frame (%s): handed over in %.1f ms, on screen after %.0f ms",
                 software ? "software" : "gl", t_set / 1000.0,
                 (g_get_monotonic_time() - t0) / 1000.0);
  g_autoptr(Shot) s = screenshot(GTK_WIDGET(f.viewer), software ? "software-2k" : "gl-2k");
  double x, y;
  sr_viewer_image_to_widget(f.viewer, 1024, 540, &x, &y);
  g_assert_cmpint(shot_at(s, x, y)[0], >, 100);
  sr_frame_unref(fr);
  fixture_teardown(&f);
}

static void
test_viewer_2k_gl(void)
{
  check_2k(FALSE);
}

static void
test_viewer_2k_software(void)
{
  check_2k(TRUE);
}

static void
test_viewer_navigation(void)
{
  Fixture f;
  fixture_setup(&f, FALSE);
  SrViewer *v = f.viewer;
  double ix, iy, ix2, iy2, px, py;

  /* Fit, then 1:1 keeps the centre. */
  g_assert_true(sr_viewer_get_zoom_fit(v));
  sr_viewer_get_pan(v, &px, &py);
  g_assert_cmpfloat_with_epsilon(px, IMG_W / 2.0, 1e-9);
  g_assert_cmpfloat_with_epsilon(py, IMG_H / 2.0, 1e-9);
  sr_viewer_zoom_one(v);
  g_assert_cmpfloat(sr_viewer_get_zoom(v), ==, 1.0);
  g_assert_false(sr_viewer_get_zoom_fit(v));

  /* Wheel zoom about the cursor: the image point under it stays put. */
  g_assert_true(sr_viewer_widget_to_image(v, 300, 200, &ix, &iy));
  sr_viewer_zoom_at(v, 2.0, 300, 200);
  g_assert_cmpfloat(sr_viewer_get_zoom(v), ==, 2.0);
  g_assert_true(sr_viewer_widget_to_image(v, 300, 200, &ix2, &iy2));
  g_assert_cmpfloat_with_epsilon(ix, ix2, 1e-9);
  g_assert_cmpfloat_with_epsilon(iy, iy2, 1e-9);
  g_assert_true(gtk_widget_activate_action(GTK_WIDGET(v), "viewer.zoom-out", NULL));
  g_assert_cmpfloat(sr_viewer_get_zoom(v), ==, 1.0);

  /* Middle-button pan: the picture follows the pointer. */
  sr_viewer_get_pan(v, &px, &py);
  g_assert_cmpint(sr_viewer_drag_begin(v, 2, 300, 200), ==, SR_VIEWER_DRAG_PAN);
  sr_viewer_drag_update(v, 330, 210);
  sr_viewer_drag_end(v, 350, 220);
  double qx, qy;
  sr_viewer_get_pan(v, &qx, &qy);
  g_assert_cmpfloat_with_epsilon(qx, px - 50, 1e-9);
  g_assert_cmpfloat_with_epsilon(qy, py - 20, 1e-9);
  /* Properties follow. */
  double pan_x;
  g_object_get(v, "pan-x", &pan_x, NULL);
  g_assert_cmpfloat(pan_x, ==, qx);

  /* Primary drag with space held pans too, even over a handle. */
  sr_viewer_set_space_held(v, TRUE);
  g_assert_cmpint(sr_viewer_drag_begin(v, 1, 100, 100), ==, SR_VIEWER_DRAG_PAN);
  sr_viewer_drag_end(v, 100, 100);
  sr_viewer_set_space_held(v, FALSE);

  /* Keyboard: f fits again (the action the key is bound to). */
  g_assert_true(gtk_widget_activate_action(GTK_WIDGET(v), "viewer.zoom-fit", NULL));
  g_assert_true(sr_viewer_get_zoom_fit(v));

  /* Wipe line drag. */
  sr_viewer_set_mode(v, SR_VIEWER_MODE_WIPE);
  double lx, ly;
  sr_viewer_image_to_widget(v, IMG_W * 0.5, IMG_H * 0.5, &lx, &ly);
  g_assert_cmpint(sr_viewer_drag_begin(v, 1, lx + 3, ly), ==, SR_VIEWER_DRAG_WIPE);
  double tx, ty;
  sr_viewer_image_to_widget(v, IMG_W * 0.25, 0, &tx, &ty);
  sr_viewer_drag_update(v, tx + 3, ly);
  sr_viewer_drag_end(v, tx + 3, ly);
  g_assert_cmpfloat_with_epsilon(sr_viewer_get_wipe_position(v),
                                 0.25 + 3 / sr_viewer_get_zoom(v) / IMG_W, 1e-6);
  /* Away from the line a primary drag pans. */
  g_assert_cmpint(sr_viewer_drag_begin(v, 1, tx + 100, ly), ==, SR_VIEWER_DRAG_PAN);
  sr_viewer_drag_end(v, tx + 100, ly);
  fixture_teardown(&f);
}

static void
test_viewer_probe(void)
{
  Fixture f;
  fixture_setup(&f, FALSE);
  SrViewer *v = f.viewer;
  const sr_image *a = sr_frame_get_image(sr_viewer_get_frame_a(v));
  const sr_image *b = sr_frame_get_image(sr_viewer_get_frame_b(v));
  const int pts[][2] = {{37, 25}, {200, 120}, {479, 269}, {0, 0}, {95, 45}};
  for (gsize k = 0; k < G_N_ELEMENTS(pts); k++) {
    int px = pts[k][0], py = pts[k][1];
    double wx, wy;
    sr_viewer_image_to_widget(v, px + 0.5, py + 0.5, &wx, &wy);
    SrViewerProbe p;
    guint before = f.probes;
    sr_viewer_probe_at(v, wx, wy, &p);
    g_assert_true(p.valid);
    g_assert_cmpint(p.x, ==, px);
    g_assert_cmpint(p.y, ==, py);
    g_assert_true(p.has_a && p.has_b);
    g_assert_cmpuint(f.probes, ==, before + 1);
    g_assert_cmpint(f.last_probe.x, ==, px);
    const float *ra = sr_image_row(a, py) + px * 3, *rb = sr_image_row(b, py) + px * 3;
    for (int c = 0; c < 3; c++) {
      g_assert_cmpfloat(p.a_rgb[c], ==, ra[c]);
      g_assert_cmpfloat(p.b_rgb[c], ==, rb[c]);
    }
    g_assert_cmpfloat(p.a_rgb[3], ==, 1.0f);
    /* BT.709: Y = .2126 R + .7152 G + .0722 B, Cb = (B−Y)/1.8556, Cr = (R−Y)/1.5748. */
    float y = 0.2126f * ra[0] + 0.7152f * ra[1] + 0.0722f * ra[2];
    g_assert_cmpfloat_with_epsilon(p.a_ycbcr[0], y, 1e-5);
    g_assert_cmpfloat_with_epsilon(p.a_ycbcr[1], (ra[2] - y) / 1.8556f, 1e-5);
    g_assert_cmpfloat_with_epsilon(p.a_ycbcr[2], (ra[0] - y) / 1.5748f, 1e-5);
  }
  /* On a patch, B = A + 0.1·(1,1,1): Y rises by 0.1, Cb/Cr are unchanged. */
  SrViewerProbe p;
  sr_viewer_probe_pixel(v, patch_x(2) + 5, TOP_Y + 5, &p);
  g_assert_cmpfloat_with_epsilon(p.b_ycbcr[0] - p.a_ycbcr[0], B_LIFT, 1e-5);
  g_assert_cmpfloat_with_epsilon(p.b_ycbcr[1], p.a_ycbcr[1], 1e-5);
  g_assert_cmpfloat_with_epsilon(p.b_ycbcr[2], p.a_ycbcr[2], 1e-5);

  /* The readout is drawn in the bottom-right corner while the probe is
   * valid, and goes away with show-probe off. */
  double hx = gtk_widget_get_width(GTK_WIDGET(v)) - 30,
         hy = gtk_widget_get_height(GTK_WIDGET(v)) - 20;
  g_autoptr(Shot) with_hud = screenshot(GTK_WIDGET(v), "gl-probe");
  sr_viewer_set_show_probe(v, FALSE);
  g_autoptr(Shot) without_hud = screenshot(GTK_WIDGET(v), "gl-probe-hidden");
  gboolean any_diff = FALSE;
  for (int dy = -12; dy <= 4 && !any_diff; dy++)
    for (int dx = -200; dx <= 20 && !any_diff; dx++)
      any_diff = colours_differ(shot_at(with_hud, hx + dx, hy + dy),
                                shot_at(without_hud, hx + dx, hy + dy), 30);
  g_assert_true(any_diff);
  sr_viewer_set_show_probe(v, TRUE);

  /* A one-channel frame (with a NaN) shows as grey and probes as grey. */
  sr_image *grey = sr_image_new(IMG_W, IMG_H, 1, NULL);
  for (gsize i = 0; i < sr_image_n_floats(grey); i++)
    grey->pixels[i] = 0.5f;
  grey->pixels[0] = NAN;
  sr_viewer_set_image_a(v, grey);
  sr_image_free(grey);
  sr_viewer_probe_pixel(v, 10, 10, &p);
  g_assert_cmpfloat(p.a_rgb[0], ==, 0.5f);
  g_assert_cmpfloat(p.a_rgb[2], ==, 0.5f);
  g_assert_cmpfloat_with_epsilon(p.a_ycbcr[1], 0, 1e-6);
  g_autoptr(Shot) grey_shot = screenshot(GTK_WIDGET(v), "gl-grey");
  double gx, gy;
  sr_viewer_image_to_widget(v, 200.5, 100.5, &gx, &gy);
  const guint8 *gp = shot_at(grey_shot, gx, gy);
  g_assert_cmpint(abs(gp[0] - gp[1]), <=, 1);
  g_assert_cmpint(abs(gp[1] - gp[2]), <=, 1);
  g_assert_cmpint(gp[1], >, 60);

  /* Outside the picture: invalid. */
  sr_viewer_probe_at(v, 1, 1, &p);
  g_assert_false(p.valid);
  g_assert_false(f.last_probe.valid);
  /* Side by side: the right pane probes the same pixel. */
  sr_viewer_set_mode(v, SR_VIEWER_MODE_SIDE_BY_SIDE);
  double wx, wy;
  sr_viewer_image_to_widget(v, 100.5, 50.5, &wx, &wy);
  sr_viewer_probe_at(v, wx + floor(gtk_widget_get_width(GTK_WIDGET(v)) / 2.0), wy, &p);
  g_assert_true(p.valid);
  g_assert_cmpint(p.x, ==, 100);
  g_assert_cmpint(p.y, ==, 50);
  fixture_teardown(&f);
}

static void
test_viewer_crop(void)
{
  Fixture f;
  fixture_setup(&f, FALSE);
  SrViewer *v = f.viewer;
  sr_rect crop = {100, 60, 200, 120}, got;
  sr_viewer_set_crop(v, &crop);
  int cw = 0;
  g_object_get(v, "crop-width", &cw, NULL);
  g_assert_cmpint(cw, ==, 200);

  /* Without crop-edit the handles are not there: a primary drag pans. */
  double wx, wy;
  sr_viewer_image_to_widget(v, 300, 180, &wx, &wy);
  g_assert_cmpint(sr_viewer_drag_begin(v, 1, wx, wy), ==, SR_VIEWER_DRAG_PAN);
  sr_viewer_drag_end(v, wx, wy);
  sr_viewer_zoom_fit(v);

  sr_viewer_set_crop_edit(v, TRUE);
  /* Bottom-right handle to image (331.3, 201.7): sizes snap to even. */
  sr_viewer_image_to_widget(v, 300, 180, &wx, &wy);
  g_assert_cmpint(sr_viewer_drag_begin(v, 1, wx + 2, wy - 2), ==, SR_VIEWER_DRAG_CROP_HANDLE);
  double tx, ty;
  sr_viewer_image_to_widget(v, 331.3, 201.7, &tx, &ty);
  sr_viewer_drag_update(v, tx + 2, ty - 2);
  sr_viewer_drag_end(v, tx + 2, ty - 2);
  sr_viewer_get_crop(v, &got);
  g_assert_cmpint(got.x, ==, 100);
  g_assert_cmpint(got.y, ==, 60);
  g_assert_cmpint(got.w % 2, ==, 0);
  g_assert_cmpint(got.h % 2, ==, 0);
  g_assert_cmpint(abs(got.x + got.w - 331), <=, 2);
  g_assert_cmpint(abs(got.y + got.h - 202), <=, 2);
  g_assert_cmpuint(f.crop_edited_count, ==, 1);
  g_assert_cmpint(f.crop_edited[2], ==, got.w);
  g_assert_cmpint(f.crop_edited[3], ==, got.h);

  /* Top-left handle past the image corner: clamped to the image. */
  sr_viewer_image_to_widget(v, got.x, got.y, &wx, &wy);
  g_assert_cmpint(sr_viewer_drag_begin(v, 1, wx, wy), ==, SR_VIEWER_DRAG_CROP_HANDLE);
  sr_viewer_drag_end(v, -500, -500);
  sr_rect tl;
  sr_viewer_get_crop(v, &tl);
  g_assert_cmpint(tl.x, >=, 0);
  g_assert_cmpint(tl.y, >=, 0);
  g_assert_cmpint(tl.x + tl.w, ==, got.x + got.w);
  g_assert_cmpint(tl.y + tl.h, ==, got.y + got.h);
  g_assert_cmpint(tl.w % 2, ==, 0);
  g_assert_cmpint(tl.h % 2, ==, 0);
  g_assert_cmpint(tl.x, <=, 1);

  /* Right edge dragged past the left edge: the crop keeps its minimum. */
  double mx, my;
  sr_viewer_image_to_widget(v, tl.x + tl.w, tl.y + tl.h / 2.0, &mx, &my);
  g_assert_cmpint(sr_viewer_drag_begin(v, 1, mx, my), ==, SR_VIEWER_DRAG_CROP_HANDLE);
  sr_viewer_drag_end(v, -900, my);
  sr_viewer_get_crop(v, &got);
  g_assert_cmpint(got.x, ==, tl.x);
  g_assert_cmpint(got.w, ==, 16);
  g_assert_cmpint(got.h, ==, tl.h);

  /* Right edge past the image's right side: stops at the image, even. */
  sr_viewer_image_to_widget(v, got.x + got.w, got.y + got.h / 2.0, &mx, &my);
  g_assert_cmpint(sr_viewer_drag_begin(v, 1, mx, my), ==, SR_VIEWER_DRAG_CROP_HANDLE);
  sr_viewer_drag_end(v, 5000, my);
  sr_viewer_get_crop(v, &got);
  g_assert_cmpint(got.x + got.w, <=, IMG_W);
  g_assert_cmpint(got.w % 2, ==, 0);
  g_assert_cmpint(got.x + got.w, >=, IMG_W - 1);
  g_assert_cmpuint(f.crop_edited_count, ==, 4);

  /* Drags in the side-by-side right pane edit the same rectangle. */
  sr_viewer_set_mode(v, SR_VIEWER_MODE_SIDE_BY_SIDE);
  sr_rect c2 = {100, 60, 200, 120};
  sr_viewer_set_crop(v, &c2);
  double half = floor(gtk_widget_get_width(GTK_WIDGET(v)) / 2.0);
  sr_viewer_image_to_widget(v, 100, 120, &wx, &wy);
  g_assert_cmpint(sr_viewer_drag_begin(v, 1, wx + half, wy), ==, SR_VIEWER_DRAG_CROP_HANDLE);
  sr_viewer_image_to_widget(v, 80, 120, &tx, &ty);
  sr_viewer_drag_end(v, tx + half, wy);
  sr_viewer_get_crop(v, &got);
  g_assert_cmpint(abs(got.x - 80), <=, 2);
  g_assert_cmpint(got.x + got.w, ==, 300);
  g_autoptr(Shot) s = screenshot(GTK_WIDGET(v), "gl-crop-side-by-side");
  fixture_teardown(&f);
}

/* ---- Frame cache ------------------------------------------------------------ */

typedef struct {
  int ready_frame;
  guint ready_count;
  int failed_frame;
  char *failed_message;
} CacheWatch;

static void
on_frame_ready(SrFrameCache *c, int frame, SrFrame *f, CacheWatch *w)
{
  g_assert_cmpint(sr_frame_get_number(f), ==, frame);
  w->ready_frame = frame;
  w->ready_count++;
}

static void
on_frame_failed(SrFrameCache *c, int frame, const char *message, CacheWatch *w)
{
  w->failed_frame = frame;
  g_free(w->failed_message);
  w->failed_message = g_strdup(message);
}

static gboolean
ready_is(gpointer data)
{
  CacheWatch *w = data;
  return w->ready_count > 0;
}

static gboolean
failed_set(gpointer data)
{
  CacheWatch *w = data;
  return w->failed_message != NULL;
}

static char *
write_sequence(const char *dir, int first, int last, int w, int h)
{
  for (int fr = first; fr <= last; fr++) {
    sr_image *img = sr_image_new(w, h, 3, NULL);
    for (gsize i = 0; i < sr_image_n_floats(img); i++)
      img->pixels[i] = (float)fr / 2000.0f;
    g_autofree char *name = g_strdup_printf("shot.%04d.exr", fr);
    g_autofree char *path = g_build_filename(dir, name, NULL);
    sr_error err = {0};
    sr_write_options opts;
    sr_write_options_init(&opts);
    opts.compression = SR_EXR_NONE;
    if (!sr_image_write(path, img, &opts, &err))
      g_error("writing %s: %s", path, err.message);
    sr_image_free(img);
  }
  return g_build_filename(dir, "shot.%04d.exr", NULL);
}

static void
remove_dir(const char *dir)
{
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    if (g_file_test(p, G_FILE_TEST_IS_DIR))
      remove_dir(p);
    else
      g_unlink(p);
  }
  if (d)
    g_dir_close(d);
  g_rmdir(dir);
}

static void
load_cb(GObject *src, GAsyncResult *res, gpointer data)
{
  SrFrame **out = data;
  g_autoptr(GError) error = NULL;
  *out = sr_frame_cache_load_finish(SR_FRAME_CACHE(src), res, &error);
  g_assert_no_error(error);
}

static gboolean
frame_set(gpointer data)
{
  return *(SrFrame **)data != NULL;
}

static void
test_frame_cache(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("sr-frame-cache-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *pattern = write_sequence(dir, 1001, 1030, 64, 36);
  const guint64 frame_bytes = 64 * 36 * 3 * sizeof(float);

  /* Room for 6 frames. */
  SrFrameCache *cache = sr_frame_cache_new(6 * frame_bytes);
  CacheWatch w = {0};
  g_signal_connect(cache, "frame-ready", G_CALLBACK(on_frame_ready), &w);
  g_signal_connect(cache, "frame-failed", G_CALLBACK(on_frame_failed), &w);
  g_assert_true(sr_frame_cache_open(cache, pattern, &error));
  g_assert_no_error(error);
  g_assert_cmpint(sr_frame_cache_get_sequence(cache)->first, ==, 1001);

  /* Show: read off the main thread, delivered on the main loop — right
   * after the call nothing has been read into the cache. */
  sr_frame_cache_show(cache, 1005);
  g_assert_cmpuint(w.ready_count, ==, 0);
  g_assert_null(sr_frame_cache_lookup(cache, 1005));
  g_assert_true(wait_for(ready_is, &w, 5000));
  g_assert_cmpint(w.ready_frame, ==, 1005);
  SrFrame *f = sr_frame_cache_lookup(cache, 1005);
  g_assert_nonnull(f);
  g_assert_cmpfloat_with_epsilon(sr_frame_get_image(f)->pixels[0], 1005 / 2000.0f, 1e-3);
  sr_frame_unref(f);

  /* Neighbours are prefetched. */
  spin(300);
  SrFrameCacheStats st;
  sr_frame_cache_get_stats(cache, &st);
  g_assert_cmpuint(st.loads, >=, 3);
  f = sr_frame_cache_lookup(cache, 1006);
  g_assert_nonnull(f);
  sr_frame_unref(f);
  f = sr_frame_cache_lookup(cache, 1004);
  g_assert_nonnull(f);
  sr_frame_unref(f);

  /* A cached frame answers without I/O (from an idle, not re-entrantly). */
  guint loads_before = st.loads;
  w.ready_count = 0;
  sr_frame_cache_show(cache, 1006);
  g_assert_cmpuint(w.ready_count, ==, 0);
  g_assert_true(wait_for(ready_is, &w, 2000));
  g_assert_cmpint(w.ready_frame, ==, 1006);
  sr_frame_cache_get_stats(cache, &st);
  g_assert_cmpuint(st.hits, >=, 1);

  /* Scrubbing fast: only the last shown frame is announced, reads for
   * frames scrubbed past are dropped before they start. */
  sr_frame_cache_set_prefetch(cache, 1);
  w.ready_count = 0;
  for (int fr = 1010; fr <= 1029; fr++)
    sr_frame_cache_show(cache, fr);
  g_assert_true(wait_for(ready_is, &w, 5000));
  spin(200);
  g_assert_cmpint(w.ready_frame, ==, 1029);
  sr_frame_cache_get_stats(cache, &st);
  g_test_message("after scrub: loads %u, dropped %u, hits %u", st.loads, st.dropped, st.hits);
  (void)loads_before;
  /* The budget holds. */
  g_assert_cmpuint(st.bytes, <=, 6 * frame_bytes);
  g_assert_cmpuint(st.n_frames, <=, 6);
  f = sr_frame_cache_lookup(cache, 1029);
  g_assert_nonnull(f);
  sr_frame_unref(f);

  /* Least recently used goes first. */
  sr_frame_cache_set_prefetch(cache, 0);
  spin(200);
  sr_frame_cache_clear(cache);
  for (int fr = 1001; fr <= 1007; fr++) {
    SrFrame *lf = NULL;
    sr_frame_cache_load_async(cache, fr, NULL, load_cb, &lf);
    g_assert_true(wait_for(frame_set, &lf, 5000));
    sr_frame_unref(lf);
    if (fr == 1006) {
      /* Touch the oldest so that the second oldest is the victim. */
      f = sr_frame_cache_lookup(cache, 1001);
      g_assert_nonnull(f);
      sr_frame_unref(f);
    }
  }
  sr_frame_cache_get_stats(cache, &st);
  g_assert_cmpuint(st.n_frames, ==, 6);
  f = sr_frame_cache_lookup(cache, 1002);
  g_assert_null(f);
  f = sr_frame_cache_lookup(cache, 1001);
  g_assert_nonnull(f);
  sr_frame_unref(f);

  /* load_async: one frame, never dropped as stale. */
  SrFrame *got = NULL;
  sr_frame_cache_load_async(cache, 1001, NULL, load_cb, &got);
  sr_frame_cache_show(cache, 1020);
  g_assert_true(wait_for(frame_set, &got, 5000));
  g_assert_cmpint(sr_frame_get_number(got), ==, 1001);
  sr_frame_unref(got);

  /* A missing frame: a message naming it. */
  sr_frame_cache_show(cache, 1100);
  g_assert_true(wait_for(failed_set, &w, 5000));
  g_assert_cmpint(w.failed_frame, ==, 1100);
  g_test_message("missing frame message: %s", w.failed_message);
  g_assert_nonnull(strstr(w.failed_message, "1100"));

  /* Replacing the sequence drops everything. */
  sr_frame_cache_set_sequence(cache, NULL);
  sr_frame_cache_get_stats(cache, &st);
  g_assert_cmpuint(st.n_frames, ==, 0);
  spin(100);
  g_object_unref(cache);
  g_free(w.failed_message);
  remove_dir(dir);
}

static void
test_frame_cache_scrub_2k(void)
{
  /* A 2K sequence scrubbed at 24 fps: the main loop never waits on a read. */
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("sr-frame-cache-2k-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *pattern = write_sequence(dir, 1, 12, 2048, 1080);
  SrFrameCache *cache = sr_frame_cache_new(0);
  CacheWatch w = {0};
  g_signal_connect(cache, "frame-ready", G_CALLBACK(on_frame_ready), &w);
  g_assert_true(sr_frame_cache_open(cache, pattern, &error));
  gint64 worst = 0;
  for (int fr = 1; fr <= 12; fr++) {
    gint64 t0 = g_get_monotonic_time();
    sr_frame_cache_show(cache, fr);
    while (g_main_context_iteration(NULL, FALSE))
      ;
    worst = MAX(worst, g_get_monotonic_time() - t0);
    g_usleep(41000);
  }
  g_assert_true(wait_for(ready_is, &w, 10000));
  /* What one synchronous read would have cost the main loop. */
  gint64 t0 = g_get_monotonic_time();
  sr_image *direct = sr_sequence_read(sr_frame_cache_get_sequence(cache), 5, NULL);
  gint64 sync_read = g_get_monotonic_time() - t0;
  g_assert_nonnull(direct);
  sr_image_free(direct);
  g_test_message("2K scrub: longest main-loop step %.1f ms (a synchronous read: %.1f ms)",
                 worst / 1000.0, sync_read / 1000.0);
  /* Generous for a loaded machine, still well under a frame at 24 fps. */
  g_assert_cmpint(worst, <, 40000);
  spin(300);

  /* A fast scrub back over frames no longer cached: reads for frames the
   * user has already passed are dropped before they start, and only the
   * frame finally shown is announced. */
  sr_frame_cache_clear(cache);
  SrFrameCacheStats before, after;
  sr_frame_cache_get_stats(cache, &before);
  w.ready_count = 0;
  for (int fr = 12; fr >= 1; fr--)
    sr_frame_cache_show(cache, fr);
  g_assert_true(wait_for(ready_is, &w, 10000));
  spin(300);
  sr_frame_cache_get_stats(cache, &after);
  g_test_message("fast scrub over 12 frames: %u read, %u dropped", after.loads - before.loads,
                 after.dropped - before.dropped);
  g_assert_cmpint(w.ready_frame, ==, 1);
  g_assert_cmpuint(w.ready_count, ==, 1);
  g_assert_cmpuint(after.dropped - before.dropped, >, 0);
  g_assert_cmpuint(after.loads - before.loads, <, 12);
  g_object_unref(cache);
  remove_dir(dir);
}

/* ---- Thumbnailer ------------------------------------------------------------ */

static void
thumb_cb(GObject *src, GAsyncResult *res, gpointer data)
{
  GdkTexture **out = data;
  g_autoptr(GError) error = NULL;
  *out = sr_thumbnailer_load_finish(SR_THUMBNAILER(src), res, &error);
  g_assert_no_error(error);
}

static gboolean
texture_set(gpointer data)
{
  return *(GdkTexture **)data != NULL;
}

static GdkTexture *
thumbnail_sync(SrThumbnailer *t, const char *path, sr_colourspace cs, int width)
{
  GdkTexture *tex = NULL;
  sr_thumbnailer_load_async(t, path, cs, width, NULL, thumb_cb, &tex);
  g_assert_true(wait_for(texture_set, &tex, 10000));
  return tex;
}

typedef struct {
  GError *error;
  gboolean done;
} ThumbFail;

static void
thumb_fail_cb(GObject *src, GAsyncResult *res, gpointer data)
{
  ThumbFail *tf = data;
  GdkTexture *t = sr_thumbnailer_load_finish(SR_THUMBNAILER(src), res, &tf->error);
  g_assert_null(t);
  tf->done = TRUE;
}

static gboolean
thumb_fail_done(gpointer data)
{
  return ((ThumbFail *)data)->done;
}

static void
test_thumbnailer(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("sr-thumbs-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *cache_dir = g_build_filename(dir, "cache", NULL);
  g_autofree char *png = g_build_filename(dir, "frame.png", NULL);

  /* An 8-bit sRGB source 640×360: left half mid grey, right half red. */
  sr_image *img = sr_image_new(640, 360, 3, NULL);
  for (int y = 0; y < 360; y++)
    for (int x = 0; x < 640; x++) {
      float *p = sr_image_row(img, y) + x * 3;
      if (x < 320)
        p[0] = p[1] = p[2] = 128 / 255.0f;
      else {
        p[0] = 200 / 255.0f;
        p[1] = 30 / 255.0f;
        p[2] = 20 / 255.0f;
      }
    }
  sr_write_options opts;
  sr_write_options_init(&opts);
  opts.bit_depth = 8;
  sr_error err = {0};
  if (!sr_image_write(png, img, &opts, &err))
    g_error("writing %s: %s", png, err.message);
  sr_image_free(img);

  SrThumbnailer *t = sr_thumbnailer_new(cache_dir);
  g_assert_cmpstr(sr_thumbnailer_get_cache_dir(t), ==, cache_dir);
  GdkTexture *tex = thumbnail_sync(t, png, SR_CS_SRGB, 0);
  g_assert_cmpint(gdk_texture_get_width(tex), ==, 160);
  g_assert_cmpint(gdk_texture_get_height(tex), ==, 90);
  guint32 px[160 * 90];
  gdk_texture_download(tex, (guchar *)px, 160 * 4);
  /* sRGB in, sRGB display: values come back (within the LUT's error). */
  guint32 grey = px[45 * 160 + 40], red = px[45 * 160 + 120];
  g_assert_cmpint(abs((int)((grey >> 16) & 0xff) - 128), <=, 2);
  g_assert_cmpint(abs((int)((red >> 16) & 0xff) - 200), <=, 2);
  g_assert_cmpint(abs((int)((red >> 8) & 0xff) - 30), <=, 2);
  g_object_unref(tex);

  SrThumbnailerStats st;
  sr_thumbnailer_get_stats(t, &st);
  g_assert_cmpuint(st.generated, ==, 1);
  g_autofree char *cached = sr_thumbnailer_get_cache_path(t, png, SR_CS_SRGB, 0, &error);
  g_assert_no_error(error);
  g_assert_true(g_str_has_prefix(cached, cache_dir));
  g_assert_true(g_file_test(cached, G_FILE_TEST_IS_REGULAR));

  /* Memory hit, no I/O. */
  tex = sr_thumbnailer_lookup(t, png, SR_CS_SRGB, 0);
  g_assert_nonnull(tex);
  g_object_unref(tex);
  tex = thumbnail_sync(t, png, SR_CS_SRGB, 0);
  g_object_unref(tex);
  sr_thumbnailer_get_stats(t, &st);
  g_assert_cmpuint(st.memory_hits, ==, 1);
  g_assert_cmpuint(st.generated, ==, 1);
  g_object_unref(t);

  /* A new session reuses the disk cache. */
  t = sr_thumbnailer_new(cache_dir);
  g_assert_null(sr_thumbnailer_lookup(t, png, SR_CS_SRGB, 0));
  tex = thumbnail_sync(t, png, SR_CS_SRGB, 0);
  g_assert_cmpint(gdk_texture_get_width(tex), ==, 160);
  g_object_unref(tex);
  sr_thumbnailer_get_stats(t, &st);
  g_assert_cmpuint(st.disk_hits, ==, 1);
  g_assert_cmpuint(st.generated, ==, 0);

  /* Another width or colour space is another thumbnail. */
  tex = thumbnail_sync(t, png, SR_CS_REC709, 80);
  g_assert_cmpint(gdk_texture_get_width(tex), ==, 80);
  g_object_unref(tex);
  sr_thumbnailer_get_stats(t, &st);
  g_assert_cmpuint(st.generated, ==, 1);

  /* A changed file (new mtime) gets a new key. */
  GFile *gf = g_file_new_for_path(png);
  g_assert_true(g_file_set_attribute_uint64(gf, G_FILE_ATTRIBUTE_TIME_MODIFIED,
                                            (guint64)(g_get_real_time() / G_USEC_PER_SEC + 100),
                                            G_FILE_QUERY_INFO_NONE, NULL, &error));
  g_assert_no_error(error);
  g_object_unref(gf);
  g_autofree char *cached2 = sr_thumbnailer_get_cache_path(t, png, SR_CS_SRGB, 0, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(cached, !=, cached2);

  /* No temporary files left behind by the atomic writes. */
  GDir *d = g_dir_open(cache_dir, 0, NULL);
  const char *name;
  int n = 0;
  while ((name = g_dir_read_name(d)) != NULL) {
    g_assert_true(g_str_has_suffix(name, ".png"));
    n++;
  }
  g_dir_close(d);
  g_assert_cmpint(n, ==, 2);

  /* A missing file fails with its name. */
  ThumbFail tf = {0};
  g_autofree char *missing = g_build_filename(dir, "nope.exr", NULL);
  sr_thumbnailer_load_async(t, missing, SR_CS_REC709, 0, NULL, thumb_fail_cb, &tf);
  g_assert_true(wait_for(thumb_fail_done, &tf, 5000));
  g_assert_nonnull(tf.error);
  g_assert_nonnull(strstr(tf.error->message, "nope.exr"));
  g_clear_error(&tf.error);

  spin(50);
  g_object_unref(t);
  remove_dir(dir);
}

/* Run in a child process with OpenGL disabled (GDK_DEBUG=gl-disable): the
 * viewer must notice, fall back to the CPU path, say why, and still draw. */
static int
fallback_child(void)
{
  Fixture f;
  fixture_setup(&f, FALSE);
  const char *reason = sr_viewer_get_fallback_reason(f.viewer);
  g_print("renderer=%s\nreason=%s\n", sr_viewer_get_renderer(f.viewer), reason ? reason : "");
  sr_viewer_set_mode(f.viewer, SR_VIEWER_MODE_WIPE);
  g_autoptr(Shot) s = screenshot(GTK_WIDGET(f.viewer), "fallback-wipe");
  double xa, xb, y;
  patch_centre(f.viewer, 0, TOP_Y, &xa, &y);
  patch_centre(f.viewer, 5, TOP_Y, &xb, &y);
  /* Picture drawn: patches are not the surround. */
  gboolean drawn = colours_differ(shot_at(s, xa, y), shot_at(s, xb, y), 8);
  g_print("drawn=%d\n", drawn);
  gboolean ok = drawn && g_str_equal(sr_viewer_get_renderer(f.viewer), "software");
  fixture_teardown(&f);
  return ok ? 0 : 1;
}

static void
test_viewer_gl_unavailable(void)
{
  const char *self_exe = g_getenv("SR_TEST_VIEWER_EXE");
  g_assert_nonnull(self_exe);
  GSubprocessLauncher *l =
      g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv(l, "GDK_DEBUG", "gl-disable", TRUE);
  g_subprocess_launcher_unsetenv(l, "GSK_RENDERER");
  /* Under AddressSanitizer the child's exit status must reflect the test,
   * not the toolkit's process-lifetime allocations. */
  const char *asan = g_getenv("ASAN_OPTIONS");
  g_autofree char *child_asan =
      g_strdup_printf("%s%sdetect_leaks=0", asan ? asan : "", asan && asan[0] ? ":" : "");
  g_subprocess_launcher_setenv(l, "ASAN_OPTIONS", child_asan, TRUE);
  g_autoptr(GError) error = NULL;
  GSubprocess *p = g_subprocess_launcher_spawn(l, &error, self_exe, "--fallback-child", NULL);
  g_assert_no_error(error);
  g_autofree char *out = NULL;
  g_assert_true(g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, &error));
  g_assert_no_error(error);
  g_test_message("child said:\n%s", out);
  g_assert_true(g_subprocess_get_successful(p));
  g_assert_nonnull(strstr(out, "renderer=software"));
  g_assert_nonnull(strstr(out, "reason=OpenGL"));
  g_object_unref(p);
  g_object_unref(l);
}

int
main(int argc, char **argv)
{
  if (argc == 2 && g_str_equal(argv[1], "--fallback-child")) {
    g_setenv("GTK_A11Y", "none", FALSE);
    if (!gtk_init_check())
      return 77;
    return fallback_child();
  }
  g_setenv("SR_TEST_VIEWER_EXE", argv[0], TRUE);
  g_setenv("GTK_A11Y", "none", FALSE);
  g_setenv("NO_AT_BRIDGE", "1", FALSE);
  g_test_init(&argc, &argv, NULL);
  if (!gtk_init_check()) {
    g_printerr("No display: run the UI tests under xvfb-run\n");
    return 77;
  }
  g_test_add_func("/display-lut/rec709", test_lut_rec709);
  g_test_add_func("/display-lut/linear", test_lut_linear);
  g_test_add_func("/display-lut/icc", test_lut_icc);
  g_test_add_func("/viewer/gl", test_viewer_gl);
  g_test_add_func("/viewer/software", test_viewer_software);
  g_test_add_func("/viewer/gl-unavailable", test_viewer_gl_unavailable);
  g_test_add_func("/viewer/2k-gl", test_viewer_2k_gl);
  g_test_add_func("/viewer/2k-software", test_viewer_2k_software);
  g_test_add_func("/viewer/navigation", test_viewer_navigation);
  g_test_add_func("/viewer/probe", test_viewer_probe);
  g_test_add_func("/viewer/crop", test_viewer_crop);
  g_test_add_func("/frame-cache/basic", test_frame_cache);
  g_test_add_func("/frame-cache/scrub-2k", test_frame_cache_scrub_2k);
  g_test_add_func("/thumbnailer/cache", test_thumbnailer);
  return g_test_run();
}
