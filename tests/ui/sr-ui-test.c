/* sr-ui-test.c — see sr-ui-test.h. */
#include "sr-ui-test.h"

#include <glib/gstdio.h>

#include "sr-io.h"
#include "sr-page-render-private.h"
#include "sr-page-train-private.h"

static char *tmp_dir;
static char *shot_dir;

/* Warnings from any domain fail the test (criticals abort through
 * G_DEBUG=fatal-criticals). */
static GLogWriterOutput
strict_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  GLogWriterOutput out = g_log_writer_default(level, fields, n_fields, data);

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) {
    const char *message = NULL, *domain = NULL;
    for (gsize i = 0; i < n_fields; i++) {
      if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
      else if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
    }
    g_test_fail_printf("%s warning: %s", domain ? domain : "(no domain)", message ? message : "");
  }
  return out;
}

void
sr_ui_test_init(int *argc, char ***argv, const char *name)
{
  g_log_set_writer_func(strict_writer, NULL, NULL);
  g_test_init(argc, argv, NULL);
  g_autofree char *tmpl = g_strdup_printf("sr-%s-XXXXXX", name);
  tmp_dir = g_dir_make_tmp(tmpl, NULL);
  g_assert_nonnull(tmp_dir);
  const char *env_shots = g_getenv("SR_SCREENSHOT_DIR");
  shot_dir = g_strdup(env_shots ? env_shots : tmp_dir);
  g_mkdir_with_parents(shot_dir, 0755);
}

int
sr_ui_test_finish(int rc)
{
  sr_page_train_stop_estimates();
  sr_ui_test_remove_tree(tmp_dir);
  g_clear_pointer(&tmp_dir, g_free);
  g_clear_pointer(&shot_dir, g_free);
  return rc;
}

const char *
sr_ui_test_tmp_dir(void)
{
  return tmp_dir;
}

gboolean
sr_ui_test_require_display(void)
{
  if (g_getenv("DISPLAY") || g_getenv("WAYLAND_DISPLAY"))
    return TRUE;
  g_test_skip("no display: run under xvfb-run");
  return FALSE;
}

void
sr_ui_test_pump(int ms)
{
  gint64 end = g_get_monotonic_time() + ms * 1000;
  while (g_get_monotonic_time() < end)
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(2000);
}

void
sr_ui_test_screenshot(GtkWidget *window, const char *name)
{
  GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(window));
  g_autofree char *file = g_strdup_printf("%s.png", name);
  g_autofree char *path = g_build_filename(shot_dir, file, NULL);
  GskRenderNode *node = NULL;
  int width = 0, height = 0;

  sr_ui_test_pump(350);
  /* A window whose next frame is still pending snapshots to nothing: give
   * the frame clock a little longer and try again. */
  for (int attempt = 0; attempt < 50 && !node; attempt++) {
    if (attempt)
      sr_ui_test_pump(100);
    width = gtk_widget_get_width(window);
    height = gtk_widget_get_height(window);
    GdkPaintable *paintable = gtk_widget_paintable_new(window);
    GtkSnapshot *snapshot = gtk_snapshot_new();
    gdk_paintable_snapshot(paintable, snapshot, width, height);
    node = gtk_snapshot_free_to_node(snapshot);
    g_object_unref(paintable);
  }
  g_assert_nonnull(node);
  GdkTexture *texture =
      gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, width, height));
  g_assert_true(gdk_texture_save_to_png(texture, path));
  g_test_message("screenshot: %s", path);
  g_object_unref(texture);
  gsk_render_node_unref(node);
}

/* The two sizes every stage must work at: a small laptop and a common
 * desktop monitor. */
void
sr_ui_test_screenshot_sizes(GtkWidget *window, const char *name)
{
  static const int sizes[][2] = {{1280, 720}, {1920, 1080}};
  int old_w = 0, old_h = 0;

  gtk_window_get_default_size(GTK_WINDOW(window), &old_w, &old_h);
  for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
    g_autofree char *shot = g_strdup_printf("%s-%dx%d", name, sizes[i][0], sizes[i][1]);
    gtk_window_set_default_size(GTK_WINDOW(window), sizes[i][0], sizes[i][1]);
    sr_ui_test_pump(300);
    sr_ui_test_screenshot(window, shot);
  }
  gtk_window_set_default_size(GTK_WINDOW(window), old_w, old_h);
  sr_ui_test_pump(200);
}

void
sr_ui_test_remove_tree(const char *path)
{
  if (!path)
    return;
  if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      sr_ui_test_remove_tree(child);
    }
    if (d)
      g_dir_close(d);
  }
  g_remove(path);
}

static void
on_flag(gpointer instance, gpointer user_data)
{
  *(gboolean *)user_data = TRUE;
}

SrWindow *
sr_ui_test_open_demo(SrApplication **app_out)
{
  g_autoptr(GError) error = NULL;
  gboolean loaded = FALSE;
  SrApplication *app = sr_application_new(G_APPLICATION_NON_UNIQUE);

  g_assert_true(g_application_register(G_APPLICATION(app), NULL, &error));
  g_assert_no_error(error);
  g_application_activate(G_APPLICATION(app));
  GtkWidget *win = GTK_WIDGET(gtk_application_get_active_window(GTK_APPLICATION(app)));
  SrWindow *window = SR_WINDOW(win);
  gtk_window_set_default_size(GTK_WINDOW(win), 1440, 900);
  SR_UI_WAIT_FOR(gtk_widget_get_mapped(win) && gtk_widget_get_width(win) > 0, 20);
  gulong id = g_signal_connect(win, "project-loaded", G_CALLBACK(on_flag), &loaded);
  sr_window_open_demo(window);
  SR_UI_WAIT_FOR(loaded, 300);
  g_signal_handler_disconnect(win, id);
  SrProject *project = sr_window_get_project(window);
  g_assert_nonnull(project);
  SR_UI_WAIT_FOR(!sr_window_get_checking(window), 60);
  g_assert_cmpuint(sr_project_get_pairs(project)->len, >, 0);
  g_autofree char *out = g_build_filename(tmp_dir, "out", NULL);
  sr_project_set_output_folder(project, out);
  *app_out = app;
  return window;
}

void
sr_ui_test_close(SrWindow *window)
{
  SrProject *project = sr_window_get_project(window);
  if (project)
    sr_project_set_modified(project, FALSE);
  gtk_window_destroy(GTK_WINDOW(window));
  sr_ui_test_pump(50);
}

GtkWidget *
sr_ui_test_find(GtkWidget *root, SrUiTestMatch match, gconstpointer data)
{
  if (match(root, data))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child(root); c; c = gtk_widget_get_next_sibling(c)) {
    GtkWidget *found = sr_ui_test_find(c, match, data);
    if (found)
      return found;
  }
  return NULL;
}

static gboolean
is_of_type(GtkWidget *widget, gconstpointer type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE(widget, *(const GType *)type);
}

GtkWidget *
sr_ui_test_find_type(GtkWidget *root, GType type)
{
  return sr_ui_test_find(root, is_of_type, &type);
}

static gboolean
is_button_labelled(GtkWidget *widget, gconstpointer label)
{
  return GTK_IS_BUTTON(widget) && g_strcmp0(gtk_button_get_label(GTK_BUTTON(widget)), label) == 0;
}

GtkWidget *
sr_ui_test_find_button(GtkWidget *root, const char *label)
{
  return sr_ui_test_find(root, is_button_labelled, label);
}

static gboolean
is_named(GtkWidget *widget, gconstpointer name)
{
  return g_strcmp0(gtk_widget_get_name(widget), name) == 0;
}

GtkWidget *
sr_ui_test_find_named(GtkWidget *root, const char *name)
{
  return sr_ui_test_find(root, is_named, name);
}

void
sr_ui_test_small_training(SrProject *project, SrTrainingSettings *t)
{
  sr_project_get_training(project, t);
  t->model_size = SR_MODEL_SIZE_S;
  t->patch = 64;
  t->batch = 1;
  g_strlcpy(t->backend, "cpu", sizeof t->backend);
}

GFile *
sr_ui_test_save_copy(SrWindow *window, const char *name)
{
  g_autoptr(GError) error = NULL;
  SrProject *project = sr_window_get_project(window);
  g_autofree char *src = sr_project_resolve_path(project, sr_project_get_source_pattern(project));
  g_autofree char *ref =
      sr_project_resolve_path(project, sr_project_get_reference_pattern(project));
  sr_project_set_source_pattern(project, src);
  sr_project_set_reference_pattern(project, ref);
  g_autofree char *path = g_build_filename(sr_ui_test_tmp_dir(), name, NULL);
  GFile *file = g_file_new_for_path(path);
  g_assert_true(sr_window_save_to(window, file, &error));
  g_assert_no_error(error);
  return file;
}

void
sr_ui_test_train_tiny(SrWindow *window, int steps)
{
  g_autoptr(GError) error = NULL;
  SrProject *project = sr_window_get_project(window);
  SrTrainingSettings t;

  sr_ui_test_small_training(project, &t);
  t.steps = steps;
  t.checkpoint_every = MAX(1, steps / 3);
  t.warmup_steps = MIN(3, steps);
  g_assert_true(sr_project_set_training(project, &t, &error));
  g_assert_no_error(error);

  sr_window_set_stage(window, "train");
  SrPageTrain *train = SR_PAGE_TRAIN(sr_window_get_page(window, "train"));
  g_assert_true(sr_page_train_start(train, &error));
  g_assert_no_error(error);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(train)), 180);
  g_assert_null(sr_window_get_error(window));
  g_assert_nonnull(sr_project_get_checkpoint(project));
}

int
sr_ui_test_render_first(SrWindow *window, int n)
{
  g_autoptr(GError) error = NULL;
  SrProject *project = sr_window_get_project(window);
  g_autofree char *src = sr_project_resolve_path(project, sr_project_get_source_pattern(project));
  sr_sequence seq = {0};

  g_assert_true(sr_sequence_open(&seq, src, NULL));
  int first = seq.first;
  sr_sequence_clear(&seq);
  sr_window_set_stage(window, "render");
  SrPageRender *render = SR_PAGE_RENDER(sr_window_get_page(window, "render"));
  g_assert_true(sr_page_render_start(render, first, first + n - 1, &error));
  g_assert_no_error(error);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(render)), 180);
  g_assert_null(sr_window_get_error(window));
  g_assert_cmpint(sr_page_render_get_n_done(render), ==, n);
  return first;
}

static gboolean
on_tick(gpointer data)
{
  SrUiStall *s = data;
  gint64 now = g_get_monotonic_time();
  if (s->last && now - s->last > s->worst)
    s->worst = now - s->last;
  s->last = now;
  return G_SOURCE_CONTINUE;
}

void
sr_ui_stall_start(SrUiStall *s)
{
  s->last = 0;
  s->worst = 0;
  s->source = g_timeout_add(10, on_tick, s);
}

double
sr_ui_stall_stop(SrUiStall *s)
{
  g_clear_handle_id(&s->source, g_source_remove);
  return s->worst / 1000.0;
}

double
sr_ui_stall_limit_ms(void)
{
  g_autofree char *text = NULL;
  double load = 0;

  if (g_file_get_contents("/proc/loadavg", &text, NULL, NULL))
    load = g_ascii_strtod(text, NULL);
  double cores = MAX(1, g_get_num_processors());
  double limit = 250 * MAX(1.0, load / cores);
  g_test_message("load average %.1f on %.0f cores: stall limit %.0f ms", load, cores, limit);
  return limit;
}

gboolean
sr_ui_test_press_page_key(GtkWidget *page, guint keyval)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers(page);

  for (guint i = 0; i < g_list_model_get_n_items(controllers); i++) {
    g_autoptr(GObject) c = g_list_model_get_item(controllers, i);
    if (!GTK_IS_SHORTCUT_CONTROLLER(c))
      continue;
    for (guint k = 0; k < g_list_model_get_n_items(G_LIST_MODEL(c)); k++) {
      g_autoptr(GtkShortcut) s = g_list_model_get_item(G_LIST_MODEL(c), k);
      GtkShortcutTrigger *t = gtk_shortcut_get_trigger(s);
      if (!GTK_IS_KEYVAL_TRIGGER(t) ||
          gtk_keyval_trigger_get_keyval(GTK_KEYVAL_TRIGGER(t)) != keyval)
        continue;
      g_assert_cmpint(gtk_event_controller_get_propagation_phase(GTK_EVENT_CONTROLLER(c)), ==,
                      GTK_PHASE_CAPTURE);
      return gtk_shortcut_action_activate(gtk_shortcut_get_action(s), 0, page,
                                          gtk_shortcut_get_arguments(s));
    }
  }
  g_error("no page key %s", gdk_keyval_name(keyval));
  return FALSE;
}
