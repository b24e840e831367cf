/* The Train stage end to end under Xvfb: open the demo project, train a tiny
 * model from the page (S model, 64 px patches, 30 steps, a checkpoint every
 * 10), check the loss plot got points and checkpoint rows appeared, use a
 * checkpoint for rendering, render the first frames from the Render page
 * (EXR files appear, a second render skips them), deliver them to a
 * temporary folder, and save a screenshot of the Train, Render,
 * Review and Deliver pages. Any GTK warning or critical fails the test. The
 * main loop's worst stall while training is measured and printed. */
#include "sr-config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "sr-application.h"
#include "sr-io.h"
#include "sr-page-deliver.h"
#include "sr-page-render.h"
#include "sr-page-train.h"
#include "sr-window.h"

#define WAIT_FOR(expr, seconds)                                                                    \
  do {                                                                                             \
    gint64 wait_end_ = g_get_monotonic_time() + (gint64)((seconds) * G_USEC_PER_SEC);              \
    while (!(expr) && g_get_monotonic_time() < wait_end_) {                                         \
      if (!g_main_context_iteration(NULL, FALSE))                                                  \
        g_usleep(2000);                                                                            \
    }                                                                                              \
    if (!(expr))                                                                                   \
      g_error("timed out after %g s waiting for: %s", (double)(seconds), #expr);                   \
  } while (0)

static char *tmp_dir;
static char *shot_dir;

static GLogWriterOutput
strict_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  GLogWriterOutput out = g_log_writer_default(level, fields, n_fields, data);

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) {
    const char *message = NULL;
    for (gsize i = 0; i < n_fields; i++)
      if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    g_test_fail_printf("warning: %s", message ? message : "");
  }
  return out;
}

static void
pump(int ms)
{
  gint64 end = g_get_monotonic_time() + ms * 1000;
  while (g_get_monotonic_time() < end)
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(2000);
}

static void
screenshot(GtkWidget *window, const char *name)
{
  int width = gtk_widget_get_width(window);
  int height = gtk_widget_get_height(window);
  GdkPaintable *paintable = gtk_widget_paintable_new(window);
  GtkSnapshot *snapshot = gtk_snapshot_new();
  GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(window));
  g_autofree char *file = g_strdup_printf("%s.png", name);
  g_autofree char *path = g_build_filename(shot_dir, file, NULL);

  pump(350);
  gdk_paintable_snapshot(paintable, snapshot, width, height);
  GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
  g_assert_nonnull(node);
  GdkTexture *texture =
      gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, width, height));
  g_assert_true(gdk_texture_save_to_png(texture, path));
  g_test_message("screenshot: %s", path);
  g_object_unref(texture);
  gsk_render_node_unref(node);
  g_object_unref(paintable);
}

static void
on_flag(gpointer instance, gpointer user_data)
{
  *(gboolean *)user_data = TRUE;
}

/* Longest gap between 10 ms ticks: how long the main loop was kept away. */
typedef struct {
  gint64 last, worst;
} Stall;

static gboolean
on_tick(gpointer data)
{
  Stall *s = data;
  gint64 now = g_get_monotonic_time();
  if (s->last && now - s->last > s->worst)
    s->worst = now - s->last;
  s->last = now;
  return G_SOURCE_CONTINUE;
}

static void
remove_tree(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      remove_tree(child);
    }
    if (d)
      g_dir_close(d);
  }
  g_remove(path);
}

static void
test_stages(void)
{
  g_autoptr(SrApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  gboolean loaded = FALSE;

  if (!g_getenv("DISPLAY") && !g_getenv("WAYLAND_DISPLAY")) {
    g_test_skip("no display: run under xvfb-run");
    return;
  }
  app = sr_application_new(G_APPLICATION_NON_UNIQUE);
  g_assert_true(g_application_register(G_APPLICATION(app), NULL, &error));
  g_application_activate(G_APPLICATION(app));
  GtkWidget *win = GTK_WIDGET(gtk_application_get_active_window(GTK_APPLICATION(app)));
  SrWindow *window = SR_WINDOW(win);
  gtk_window_set_default_size(GTK_WINDOW(win), 1440, 900);
  WAIT_FOR(gtk_widget_get_mapped(win) && gtk_widget_get_width(win) > 0, 20);
  g_signal_connect(win, "project-loaded", G_CALLBACK(on_flag), &loaded);
  sr_window_open_demo(window);
  WAIT_FOR(loaded, 300);
  SrProject *project = sr_window_get_project(window);
  g_assert_nonnull(project);
  WAIT_FOR(!sr_window_get_checking(window), 60);
  g_assert_cmpuint(sr_project_get_pairs(project)->len, >, 0);

  /* Train into the temporary folder with tiny settings. */
  g_autofree char *out = g_build_filename(tmp_dir, "out", NULL);
  sr_project_set_output_folder(project, out);
  SrTrainingSettings t;
  sr_project_get_training(project, &t);
  t.model_size = SR_MODEL_SIZE_S;
  t.patch = 64;
  t.batch = 1;
  t.steps = 30;
  t.checkpoint_every = 10;
  t.warmup_steps = 3;
  g_strlcpy(t.backend, "cpu", sizeof t.backend);
  g_assert_true(sr_project_set_training(project, &t, &error));
  g_assert_no_error(error);

  sr_window_set_stage(window, "train");
  SrPageTrain *train = SR_PAGE_TRAIN(sr_window_get_page(window, "train"));
  g_assert_false(sr_page_train_get_busy(train));
  Stall stall = {0};
  guint tick = g_timeout_add(10, on_tick, &stall);
  g_assert_true(sr_page_train_start(train, &error));
  g_assert_no_error(error);
  g_assert_true(sr_page_train_get_busy(train));
  /* A second start while one runs is refused. */
  g_assert_false(sr_page_train_start(train, NULL));
  WAIT_FOR(!sr_page_train_get_busy(train), 120);
  g_source_remove(tick);
  g_print("# worst main-loop stall while training: %.1f ms\n", stall.worst / 1000.0);
  g_test_message("worst main-loop stall while training: %.1f ms", stall.worst / 1000.0);
  g_assert_null(sr_window_get_error(window));
  g_assert_cmpuint(sr_page_train_get_n_loss_points(train), >=, 10);
  g_assert_cmpuint(sr_page_train_get_n_checkpoints(train), >=, 3);
  /* The finished run's checkpoint becomes the project's and exists. */
  const char *ck = sr_project_get_checkpoint(project);
  g_assert_nonnull(ck);
  g_autofree char *ck_abs = sr_project_resolve_path(project, ck);
  g_assert_true(g_file_test(ck_abs, G_FILE_TEST_IS_REGULAR));
  screenshot(win, "14-train-run");

  /* Render the first three frames of the Source. */
  sr_window_set_stage(window, "render");
  SrPageRender *render = SR_PAGE_RENDER(sr_window_get_page(window, "render"));
  g_autofree char *src = sr_project_resolve_path(project, sr_project_get_source_pattern(project));
  sr_sequence seq = {0};
  g_assert_true(sr_sequence_open(&seq, src, NULL));
  int first = seq.first;
  sr_sequence_clear(&seq);
  g_assert_true(sr_page_render_start(render, first, first + 2, &error));
  g_assert_no_error(error);
  g_assert_false(sr_page_render_start(render, first, first, NULL));
  WAIT_FOR(!sr_page_render_get_busy(render), 120);
  g_assert_null(sr_window_get_error(window));
  g_assert_cmpint(sr_page_render_get_n_done(render), ==, 3);
  g_autofree char *pattern = sr_page_render_get_output_pattern(render);
  g_assert_nonnull(pattern);
  for (int f = first; f <= first + 2; f++) {
    g_autofree char *num = g_strdup_printf("%06d", f);
    g_auto(GStrv) parts = g_strsplit(pattern, "%06d", 2);
    g_assert_cmpuint(g_strv_length(parts), ==, 2);
    g_autofree char *path = g_strconcat(parts[0], num, parts[1], NULL);
    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
  }
  /* Rendering again finds the frames complete and skips them. */
  g_assert_true(sr_page_render_start(render, first, first + 2, NULL));
  WAIT_FOR(!sr_page_render_get_busy(render), 120);
  g_assert_cmpint(sr_page_render_get_n_done(render), ==, 3);
  screenshot(win, "15-render-run");

  sr_window_set_stage(window, "review");
  screenshot(win, "16-review-after-render");

  /* Deliver the three frames into a folder of the temporary folder. */
  sr_window_set_stage(window, "deliver");
  SrPageDeliver *deliver = SR_PAGE_DELIVER(sr_window_get_page(window, "deliver"));
  g_autofree char *ddir = g_build_filename(tmp_dir, "delivery", NULL);
  g_assert_cmpint(sr_page_deliver_get_n_written(deliver), ==, -1);
  g_assert_true(sr_page_deliver_start(deliver, ddir, &error));
  g_assert_no_error(error);
  g_assert_false(sr_page_deliver_start(deliver, ddir, NULL));
  WAIT_FOR(!sr_page_deliver_get_busy(deliver), 120);
  g_assert_null(sr_window_get_error(window));
  g_assert_cmpint(sr_page_deliver_get_n_written(deliver), ==, 3);
  g_assert_cmpstr(sr_page_deliver_get_out_dir(deliver), ==, ddir);
  screenshot(win, "17-deliver-run");

  sr_project_set_modified(project, FALSE);
  gtk_window_destroy(GTK_WINDOW(win));
  pump(50);
}

int
main(int argc, char **argv)
{
  g_log_set_writer_func(strict_writer, NULL, NULL);
  g_test_init(&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp("sr-test-stages-XXXXXX", NULL);
  const char *env_shots = g_getenv("SR_SCREENSHOT_DIR");
  shot_dir = g_strdup(env_shots ? env_shots : tmp_dir);
  g_mkdir_with_parents(shot_dir, 0755);
  g_test_add_func("/ui/stages", test_stages);
  int rc = g_test_run();
  remove_tree(tmp_dir);
  g_free(tmp_dir);
  g_free(shot_dir);
  return rc;
}
