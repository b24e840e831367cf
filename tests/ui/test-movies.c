/* UI with movie files: the thumbnailer decodes movie frames off the main
 * loop (each frame its own picture, cached), the Pairs page shows a movie
 * Source against a 3:2 telecine Reference, and "Find match" finds the
 * simulated frame map and applies it when accepted. Skips (77) without
 * ffmpeg. */
#include <gtk/gtk.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sr-page-pairs-private.h"
#include "sr-page-review-private.h"
#include "sr-stage-page.h"
#include "sr-telecine.h"
#include "sr-test-movie.h"
#include "sr-thumbnailer.h"
#include "sr-ui-test.h"

static char *src_movie, *ref_movie;
static sr_telecine_options tel;

static void
make_clips(void)
{
  const char *tmp = sr_ui_test_tmp_dir();
  sr_simulator_options sim;
  sr_simulator_options_init(&sim);
  sim.width = 128;
  sim.height = 96;
  sim.grain = false;
  sim.output_space = SR_CS_REC709;
  sr_telecine_options_init(&tel);
  tel.offset = 2;
  tel.cadence = SR_CADENCE_32;
  tel.phase = 0;
  tel.motion = 8;
  g_autofree char *sdir = g_build_filename(tmp, "s", NULL),
                  *rdir = g_build_filename(tmp, "r", NULL);
  g_mkdir(sdir, 0700);
  g_mkdir(rdir, 0700);
  sr_image *img[24];
  for (int i = 0; i < 16; i++) {
    sr_image *ref = NULL;
    g_assert_true(sr_telecine_film_frame(&sim, &tel, i, &img[i], &ref, NULL));
    sr_image_free(ref);
  }
  sr_test_write_frames(sdir, img, 16);
  for (int i = 0; i < 16; i++)
    sr_image_free(img[i]);
  for (int i = 0; i < 22; i++)
    img[i] = sr_telecine_render_frame(&sim, &tel, i, NULL);
  sr_test_write_frames(rdir, img, 22);
  for (int i = 0; i < 22; i++)
    sr_image_free(img[i]);
  src_movie = g_build_filename(tmp, "scan.mkv", NULL);
  ref_movie = g_build_filename(tmp, "telecine.mov", NULL);
  sr_test_encode(sdir, "24", "-c:v ffv1 -pix_fmt rgb48le", src_movie);
  sr_test_encode(rdir, "30000/1001", "-c:v prores_ks -profile:v 3 -pix_fmt yuv422p10le", ref_movie);
}

typedef struct {
  GdkTexture *texture;
  GError *error;
  gboolean done;
} Loaded;

static void
on_loaded(GObject *source, GAsyncResult *result, gpointer user_data)
{
  Loaded *l = user_data;
  l->texture = sr_thumbnailer_load_finish(SR_THUMBNAILER(source), result, &l->error);
  l->done = TRUE;
}

static GdkTexture *
load_frame(SrThumbnailer *t, int frame)
{
  Loaded l = {0};
  sr_thumbnailer_load_frame_async(t, src_movie, frame, SR_CS_REC709, 64, NULL, on_loaded, &l);
  while (!l.done)
    g_main_context_iteration(NULL, TRUE);
  g_assert_no_error(l.error);
  return l.texture;
}

static void
test_thumbnails(void)
{
  g_autofree char *cache = g_build_filename(sr_ui_test_tmp_dir(), "thumbs", NULL);
  g_autoptr(SrThumbnailer) t = sr_thumbnailer_new(cache);
  g_autoptr(GdkTexture) a = load_frame(t, 3);
  g_autoptr(GdkTexture) b = load_frame(t, 11);
  g_assert_nonnull(a);
  g_assert_nonnull(b);
  g_autoptr(GBytes) pa = gdk_texture_save_to_png_bytes(a);
  g_autoptr(GBytes) pb = gdk_texture_save_to_png_bytes(b);
  g_assert_false(g_bytes_equal(pa, pb)); /* two frames, two pictures */
  g_autoptr(GdkTexture) again = sr_thumbnailer_lookup_frame(t, src_movie, 3, SR_CS_REC709, 64);
  g_assert_true(again == a);
  g_assert_null(sr_thumbnailer_lookup_frame(t, src_movie, 4, SR_CS_REC709, 64));
}

/* A movie Source presets the film's rate with its own: 24 for the scan,
 * 29.97 for the telecine (Review plays at the project's rate); a sequence
 * without a movie or header rate states none. */
static void
test_playback_rate(void)
{
  const char *movies[] = {src_movie, ref_movie};
  const double want[] = {24, 29.97};
  for (gsize i = 0; i < G_N_ELEMENTS(movies); i++) {
    sr_sequence seq = {0};
    sr_error err = {0};
    double fps = 0;
    SrRateFrom from = SR_RATE_FROM_DEFAULT;
    if (!sr_sequence_open(&seq, movies[i], &err))
      g_error("%s: %s", movies[i], err.message);
    g_assert_true(sr_frame_rate_detect(&seq, &fps, &from, &err));
    g_assert_cmpfloat_with_epsilon(fps, want[i], 1e-9);
    g_assert_cmpint(from, ==, SR_RATE_FROM_MOVIE);
    sr_sequence_clear(&seq);
  }
  sr_sequence plain = {0};
  double fps = 0;
  SrRateFrom from;
  sr_error err = {0};
  g_assert_false(sr_frame_rate_detect(&plain, &fps, &from, &err));
}

static GtkWidget *
find_dialog(void)
{
  GListModel *tops = gtk_window_get_toplevels();
  for (guint i = 0; i < g_list_model_get_n_items(tops); i++) {
    g_autoptr(GObject) w = g_list_model_get_item(tops, i);
    if (GTK_IS_MESSAGE_DIALOG(w))
      return GTK_WIDGET(w);
  }
  return NULL;
}

static void
test_find_match(void)
{
  g_autoptr(SrProject) p = sr_project_new();
  sr_project_set_source_pattern(p, src_movie);
  sr_project_set_reference_pattern(p, ref_movie);
  sr_project_set_source_colourspace(p, SR_CS_REC709);
  sr_project_set_reference_colourspace(p, SR_CS_REC709);
  GtkWidget *window = gtk_window_new();
  GtkWidget *page = g_object_new(SR_TYPE_PAGE_PAIRS, "project", p, NULL);
  gtk_window_set_child(GTK_WINDOW(window), page);
  gtk_window_set_default_size(GTK_WINDOW(window), 1200, 800);
  gtk_window_present(GTK_WINDOW(window));
  sr_ui_test_pump(500);

  g_assert_true(gtk_widget_activate_action(page, "pairs.find-match", NULL));
  GtkWidget *dialog = NULL;
  gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
  while (!(dialog = find_dialog()) && g_get_monotonic_time() < end)
    g_main_context_iteration(NULL, TRUE);
  g_assert_nonnull(dialog);
  g_autofree char *title = NULL;
  g_object_get(dialog, "text", &title, NULL);
  g_test_message("%s", title);
  g_assert_nonnull(strstr(title, "3:2 cadence phase 0"));
  sr_ui_test_screenshot(dialog, "pairs-find-match");
  gtk_dialog_response(GTK_DIALOG(dialog), GTK_RESPONSE_ACCEPT);
  /* The page rereads its ranges for the new map. */
  sr_ui_test_pump(200);
  end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (sr_stage_page_get_busy(SR_STAGE_PAGE(page)) && g_get_monotonic_time() < end)
    g_main_context_iteration(NULL, TRUE);

  sr_frame_map truth, found;
  g_assert_true(sr_telecine_truth(&tel, &truth, NULL));
  sr_project_get_frame_map(p, &found);
  g_assert_true(sr_frame_map_equal(&found, &truth));
  /* Source frame 2 (C) lives only in field-mixed frames: not a pair. */
  sr_page_pairs_set_frame(SR_PAGE_PAIRS(page), 2);
  g_autoptr(GError) error = NULL;
  g_assert_false(sr_page_pairs_toggle_pair(SR_PAGE_PAIRS(page), &error));
  g_test_message("%s", error->message);
  g_assert_nonnull(strstr(error->message, "field-mixed"));
  sr_page_pairs_set_frame(SR_PAGE_PAIRS(page), 5);
  g_assert_true(sr_page_pairs_toggle_pair(SR_PAGE_PAIRS(page), NULL));
  g_assert_true(sr_project_has_pair(p, 5));
  sr_ui_test_pump(300);
  sr_ui_test_screenshot(window, "pairs-movies");
  sr_frame_map_clear(&truth);
  sr_frame_map_clear(&found);
  gtk_window_destroy(GTK_WINDOW(window));
  sr_ui_test_pump(100);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "movies");
  sr_test_require_ffmpeg();
  if (!sr_ui_test_require_display())
    return sr_ui_test_finish(77);
  gtk_init();
  g_setenv("XDG_CACHE_HOME", sr_ui_test_tmp_dir(), TRUE);
  make_clips();
  g_test_add_func("/ui/movies/thumbnails", test_thumbnails);
  g_test_add_func("/ui/movies/find-match", test_find_match);
  g_test_add_func("/ui/movies/playback-rate", test_playback_rate);
  int rc = g_test_run();
  g_free(src_movie);
  g_free(ref_movie);
  return sr_ui_test_finish(rc);
}
