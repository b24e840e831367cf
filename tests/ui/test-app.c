/* The application end to end under Xvfb: open the demo project, visit every
 * stage, add and remove a pair (button path and undo/redo), hold a frame
 * out, refuse a preview on a training frame, draw a crop on the viewer, read
 * the live checks, switch every viewer mode, save, and write a PNG
 * screenshot of each page into the build folder. Any GTK warning or
 * critical, or a GL error in a viewer, fails the test. */
#include "sr-config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <string.h>

#include "sr-application.h"
#include "sr-io.h"
#include "sr-page-crop-private.h"
#include "sr-page-pairs-private.h"
#include "sr-page-project-private.h"
#include "sr-project-ocio.h"
#include "sr-ui-test.h"
#include "sr-viewer.h"
#include "sr-window.h"

static void
on_flag(gpointer instance, gpointer user_data)
{
  *(gboolean *)user_data = TRUE;
}

static void
activate_win(SrWindow *window, const char *action)
{
  g_action_group_activate_action(G_ACTION_GROUP(window), action, NULL);
}

/* A frame inside the range that is neither a pair nor held out. */
static int
free_frame(SrProject *project, SrPagePairs *pairs, int from)
{
  for (int f = from; f < from + 500; f++) {
    sr_page_pairs_set_frame(pairs, f);
    int got = sr_page_pairs_get_frame(pairs);
    if (!sr_project_has_pair(project, got) && !sr_project_is_held_out(project, got) &&
        sr_project_get_preview_frame(project) != got)
      return got;
  }
  g_error("no free frame in the demo");
  return -1;
}

static GtkWidget *
find_message_dialog(void)
{
  GListModel *toplevels = gtk_window_get_toplevels();
  GtkWidget *found = NULL;

  for (guint i = 0; !found && i < g_list_model_get_n_items(toplevels); i++) {
    GtkWidget *w = g_list_model_get_item(toplevels, i);
    if (GTK_IS_MESSAGE_DIALOG(w) && gtk_widget_get_visible(w))
      found = w;
    g_object_unref(w);
  }
  if (found)
    SR_UI_WAIT_FOR(gtk_widget_get_mapped(found) && gtk_widget_get_width(found) > 0, 10);
  return found;
}

static void
check_viewer_clean(GtkWidget *viewer)
{
  g_assert_cmpuint(sr_viewer_get_gl_error_count(SR_VIEWER(viewer)), ==, 0);
}

/* A printing-density DPX chosen as the Source: the header is read, Cineon
 * preselected, and the page says what it found. */
static void
visit_project_detection(SrPageProject *page, SrProject *project)
{
  g_autofree char *original = g_strdup(sr_project_get_source_pattern(project));
  sr_colourspace original_cs = sr_project_get_source_colourspace(project);
  g_autofree char *dir = g_dir_make_tmp("sr-detect-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "scan.0001.dpx", NULL);
  sr_error err = {0};
  sr_image *img = sr_image_new(8, 4, 3, &err);
  g_assert_nonnull(img);
  for (size_t i = 0; i < 8 * 4 * 3; i++)
    img->pixels[i] = 445.0f / 1023.0f;
  sr_write_options wo;
  sr_write_options_init(&wo);
  wo.dpx_transfer = wo.dpx_colorimetric = SR_DPX_PRINTING_DENSITY;
  g_assert_true(sr_image_write(path, img, &wo, &err));
  sr_image_free(img);

  g_autoptr(GFile) file = g_file_new_for_path(path);
  sr_page_project_choose_frame(page, TRUE, file);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(page)) &&
                     sr_project_get_source_colourspace(project) == SR_CS_CINEON,
                 30);
  const char *said = sr_page_project_get_detection(page, TRUE);
  g_test_message("detection shown: %s", said);
  g_assert_nonnull(said);
  g_assert_nonnull(strstr(said, "printing density"));
  g_assert_nonnull(strstr(said, "Cineon"));

  sr_project_set_source_pattern(project, original);
  sr_project_set_source_colourspace(project, original_cs);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(page)) &&
                     !sr_page_project_get_sequence_error(page, TRUE),
                 30);
  /* Going back to the project's own files keeps the project's choice. */
  g_assert_cmpint(sr_project_get_source_colourspace(project), ==, original_cs);
  g_unlink(path);
  g_rmdir(dir);
}

/* An OpenColorIO config: its spaces listed as it spells them, with family
 * and aliases; one chosen for the Source; a broken config named. */
static void
visit_project_ocio(SrPageProject *page, SrProject *project)
{
  SrProjectOcio *ocio = sr_page_project_get_ocio(page);
  g_autofree char *dir = g_dir_make_tmp("sr-ocio-ui-XXXXXX", NULL);
  g_autofree char *cfg = g_build_filename(dir, "studio.ocio", NULL);
  g_autofree char *bad = g_build_filename(dir, "broken.ocio", NULL);
  g_assert_true(g_file_set_contents(
      cfg,
      "ocio_profile_version: 2\n"
      "roles: {default: ACES2065-1, aces_interchange: ACES2065-1, "
      "cie_xyz_d65_interchange: ACES2065-1}\n"
      "file_rules:\n  - !<Rule> {name: Default, colorspace: default}\n"
      "displays:\n  sRGB:\n    - !<View> {name: Raw, colorspace: ACES2065-1}\n"
      "colorspaces:\n"
      "  - !<ColorSpace> {name: ACES2065-1, family: ACES, aliases: [aces, lin_ap0]}\n"
      "  - !<ColorSpace> {name: ACEScg, family: ACES, "
      "to_scene_reference: !<BuiltinTransform> {style: ACEScg_to_ACES2065-1}}\n",
      -1, NULL));
  g_assert_true(g_file_set_contents(bad, "not: [a config", -1, NULL));

  sr_project_set_ocio_config(project, cfg);
  SR_UI_WAIT_FOR(!sr_project_ocio_get_busy(ocio), 30);
  g_test_message("OCIO status: %s", sr_project_ocio_get_status(ocio));
  g_assert_cmpuint(sr_project_ocio_get_space_count(ocio), ==, 2);
  g_assert_cmpstr(sr_project_ocio_get_row(ocio, 0), ==, "ACES2065-1 — ACES (also aces, lin_ap0)");
  g_assert_true(sr_project_ocio_choose(ocio, TRUE, 1));
  g_assert_cmpstr(sr_project_get_ocio_space(project, TRUE), ==, "ACEScg");

  sr_project_set_ocio_config(project, bad);
  SR_UI_WAIT_FOR(!sr_project_ocio_get_busy(ocio), 30);
  const char *status = sr_project_ocio_get_status(ocio);
  g_assert_nonnull(status);
  g_assert_nonnull(strstr(status, "broken.ocio"));

  sr_project_set_ocio_space(project, TRUE, "");
  sr_project_set_ocio_config(project, "");
  SR_UI_WAIT_FOR(!sr_project_ocio_get_busy(ocio), 30);
  g_unlink(cfg);
  g_unlink(bad);
  g_rmdir(dir);
}

static void
visit_project(SrWindow *window, GtkWidget *win, SrProject *project)
{
  SrPageProject *page = SR_PAGE_PROJECT(sr_window_get_page(window, "project"));
  g_autofree char *original = g_strdup(sr_project_get_source_pattern(project));

  sr_window_set_stage(window, "project");
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(page)), 30);
  g_assert_null(sr_page_project_get_sequence_error(page, TRUE));
  g_assert_null(sr_page_project_get_sequence_error(page, FALSE));
  sr_ui_test_screenshot(win, "01-project");

  /* A wrong pattern: the engine's message appears next to the field. */
  sr_project_set_source_pattern(project, "/nonexistent/folder/shot.%04d.exr");
  SR_UI_WAIT_FOR(sr_page_project_get_sequence_error(page, TRUE) != NULL, 30);
  g_test_message("source error shown: %s", sr_page_project_get_sequence_error(page, TRUE));
  sr_ui_test_screenshot(win, "01b-project-error");
  activate_win(window, "undo");
  g_assert_cmpstr(sr_project_get_source_pattern(project), ==, original);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(page)) &&
                     !sr_page_project_get_sequence_error(page, TRUE),
                 30);
  visit_project_detection(page, project);
  if (sr_ocio_available())
    visit_project_ocio(page, project);
}

static void
visit_pairs(SrWindow *window, GtkWidget *win, SrProject *project)
{
  SrPagePairs *page = SR_PAGE_PAIRS(sr_window_get_page(window, "pairs"));
  GtkWidget *viewer = sr_page_pairs_get_viewer(page);
  guint n_pairs;
  int frame, held;
  GError *error = NULL;

  sr_window_set_stage(window, "pairs");
  SR_UI_WAIT_FOR(sr_page_pairs_get_frame(page) >= 0, 30);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(page)), 60);
  SR_UI_WAIT_FOR(
      sr_viewer_get_frame_a(SR_VIEWER(viewer)) && sr_viewer_get_frame_b(SR_VIEWER(viewer)), 30);
  n_pairs = sr_project_get_pairs(project)->len;

  /* Add a pair with the page action (what the button and the p key run). */
  frame = free_frame(project, page, sr_page_pairs_get_frame(page));
  g_assert_true(gtk_widget_activate_action(GTK_WIDGET(page), "pairs.toggle-pair", NULL));
  g_assert_true(sr_project_has_pair(project, frame));
  g_assert_cmpuint(sr_project_get_pairs(project)->len, ==, n_pairs + 1);
  SR_UI_WAIT_FOR(sr_page_pairs_get_shift(page, frame, NULL, NULL), 60);
  SR_UI_WAIT_FOR(sr_viewer_get_frame_a(SR_VIEWER(viewer)) &&
                     sr_frame_get_number(sr_viewer_get_frame_a(SR_VIEWER(viewer))) == frame,
                 30);
  sr_ui_test_screenshot(win, "02-pairs");

  /* Undo and redo of the edit. */
  activate_win(window, "undo");
  g_assert_false(sr_project_has_pair(project, frame));
  activate_win(window, "redo");
  g_assert_true(sr_project_has_pair(project, frame));

  /* The preview frame must not be a training frame. */
  g_assert_false(sr_page_pairs_set_preview(page, &error));
  g_assert_nonnull(error);
  g_test_message("preview refused: %s", error->message);
  g_clear_error(&error);

  /* Every viewer mode, drawn once each. */
  for (int mode = SR_VIEWER_MODE_A; mode <= SR_VIEWER_MODE_DIFFERENCE; mode++) {
    g_assert_true(gtk_widget_activate_action(GTK_WIDGET(page), "pairs.mode", "i", mode));
    sr_ui_test_pump(120);
    check_viewer_clean(viewer);
  }
  g_assert_cmpint(sr_viewer_get_mode(SR_VIEWER(viewer)), ==, SR_VIEWER_MODE_DIFFERENCE);
  const char *fallback = sr_viewer_get_fallback_reason(SR_VIEWER(viewer));
  g_test_message("pairs viewer renderer: %s (%s)", sr_viewer_get_renderer(SR_VIEWER(viewer)),
                 fallback ? fallback : "OpenGL");
  sr_ui_test_screenshot(win, "02b-pairs-difference");
  gtk_widget_activate_action(GTK_WIDGET(page), "pairs.mode", "i", 0);

  /* Remove the pair again. */
  g_assert_true(sr_page_pairs_toggle_pair(page, NULL));
  g_assert_false(sr_project_has_pair(project, frame));
  g_assert_cmpuint(sr_project_get_pairs(project)->len, ==, n_pairs);

  /* Hold a frame out; it then cannot become a pair. */
  held = free_frame(project, page, frame + 1);
  g_assert_true(gtk_widget_activate_action(GTK_WIDGET(page), "pairs.toggle-held-out", NULL));
  g_assert_true(sr_project_is_held_out(project, held));
  g_assert_false(sr_page_pairs_toggle_pair(page, &error));
  g_assert_nonnull(error);
  g_clear_error(&error);
  g_assert_false(sr_project_has_pair(project, held));
  g_assert_true(sr_page_pairs_toggle_held_out(page, NULL));
  g_assert_false(sr_project_is_held_out(project, held));
  check_viewer_clean(viewer);
}

static void
visit_crop(SrWindow *window, GtkWidget *win, SrProject *project)
{
  SrPageCrop *page = SR_PAGE_CROP(sr_window_get_page(window, "crop"));
  SrViewer *viewer = SR_VIEWER(sr_page_crop_get_viewer(page));
  const sr_image *img;
  sr_rect before, after, shown;
  double wx, wy;
  const sr_check_report *checks;

  sr_window_set_stage(window, "crop");
  SR_UI_WAIT_FOR(sr_viewer_get_frame_a(viewer) != NULL, 60);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(page)), 60);
  sr_ui_test_pump(200);
  img = sr_frame_get_image(sr_viewer_get_frame_a(viewer));
  before = sr_project_get_crop(project);
  sr_viewer_get_crop(viewer, &shown);
  g_assert_cmpint(shown.w, >, 0);

  /* Drag the bottom-right handle up and left, as the pointer would. */
  sr_viewer_image_to_widget(viewer, shown.x + shown.w, shown.y + shown.h, &wx, &wy);
  g_assert_cmpint(sr_viewer_drag_begin(viewer, 1, wx, wy), ==, SR_VIEWER_DRAG_CROP_HANDLE);
  sr_viewer_drag_update(viewer, wx - 25, wy - 20);
  sr_viewer_drag_update(viewer, wx - 50, wy - 40);
  sr_viewer_drag_end(viewer, wx - 50, wy - 40);
  after = sr_project_get_crop(project);
  g_assert_false(sr_rect_equal(before, after));
  g_assert_cmpint(after.w, <, shown.w);
  g_assert_cmpint(after.h, <, shown.h);
  g_assert_cmpint(after.w % 2, ==, 0);
  g_assert_cmpint(after.h % 2, ==, 0);
  g_assert_true(sr_rect_inside(after, img->width, img->height));

  /* The live checks follow the new crop. */
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(page)), 60);
  if (sr_project_get_pairs(project)->len > 0) {
    checks = sr_page_crop_get_checks(page);
    g_assert_nonnull(checks);
    g_assert_cmpint(checks->n, >, 0);
    for (int i = 0; i < checks->n; i++)
      g_test_message("check %s %s: %s", checks->items[i].id,
                     sr_check_status_name(checks->items[i].status), checks->items[i].detail);
    g_assert_cmpint(sr_check_report_status(checks), !=, SR_CHECK_FAIL);
  }
  for (int mode = SR_VIEWER_MODE_A; mode <= SR_VIEWER_MODE_DIFFERENCE; mode++) {
    sr_viewer_set_mode(viewer, mode);
    sr_ui_test_pump(100);
    check_viewer_clean(GTK_WIDGET(viewer));
  }
  sr_viewer_set_mode(viewer, SR_VIEWER_MODE_A);
  sr_ui_test_screenshot(win, "03-crop");

  /* Typed numbers go through the same rules (odd sizes snap to even). */
  sr_page_crop_apply(page, (sr_rect){2, 2, img->width / 2 + 1, img->height / 2 + 1});
  after = sr_project_get_crop(project);
  g_assert_cmpint(after.w % 2, ==, 0);
  g_assert_cmpint(after.h % 2, ==, 0);
  activate_win(window, "undo");
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(page)), 60);
}

static void
test_app(void)
{
  g_autoptr(SrApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *win;
  SrWindow *window;
  SrProject *project;
  gboolean loaded = FALSE;
  const char *reason;
  static const char *const names[] = {"01-project", "02-pairs",  "03-crop",   "04-train",
                                      "05-render",  "06-review", "07-deliver"};

  if (!g_getenv("DISPLAY") && !g_getenv("WAYLAND_DISPLAY")) {
    g_test_skip("no display: run under xvfb-run");
    return;
  }

  app = sr_application_new(G_APPLICATION_NON_UNIQUE);
  g_assert_true(g_application_register(G_APPLICATION(app), NULL, &error));
  g_assert_no_error(error);
  g_application_activate(G_APPLICATION(app));
  win = GTK_WIDGET(gtk_application_get_active_window(GTK_APPLICATION(app)));
  g_assert_true(SR_IS_WINDOW(win));
  window = SR_WINDOW(win);
  gtk_window_set_default_size(GTK_WINDOW(win), 1440, 900);
  SR_UI_WAIT_FOR(gtk_widget_get_mapped(win) && gtk_widget_get_width(win) > 0, 20);
  sr_ui_test_screenshot(win, "00-welcome");

  g_signal_connect(win, "project-loaded", G_CALLBACK(on_flag), &loaded);
  sr_window_open_demo(window);
  /* The demo is written on a worker thread while the window stays live and
   * shows the job's progress. */
  g_assert_cmpuint(sr_window_get_n_jobs(window), >, 0);
  sr_ui_test_screenshot(win, "00b-demo-progress");
  SR_UI_WAIT_FOR(loaded, 300);
  g_assert_null(sr_window_get_error(window));
  project = sr_window_get_project(window);
  g_assert_nonnull(project);
  SR_UI_WAIT_FOR(!sr_window_get_checking(window), 60);
  g_assert_cmpint(sr_window_get_stage_state(window, "project", &reason), ==, SR_STAGE_READY);
  g_test_message("project stage: %s", reason);

  visit_project(window, win, project);
  visit_pairs(window, win, project);
  visit_crop(window, win, project);
  for (int i = 3; i < SR_N_STAGES; i++) {
    sr_window_set_stage(window, sr_stage_ids[i]);
    g_assert_cmpstr(sr_window_get_stage(window), ==, sr_stage_ids[i]);
    sr_ui_test_screenshot(win, names[i]);
  }
  SR_UI_WAIT_FOR(!sr_window_get_checking(window), 60);
  for (int i = 0; i < SR_N_STAGES; i++) {
    SrStageState state = sr_window_get_stage_state(window, sr_stage_ids[i], &reason);
    g_test_message("stage %s: %d (%s)", sr_stage_ids[i], state, reason);
    g_assert_nonnull(reason);
  }

  /* The keyboard shortcuts window. */
  activate_win(window, "show-help-overlay");
  GtkWindow *overlay =
      GTK_WINDOW(gtk_application_window_get_help_overlay(GTK_APPLICATION_WINDOW(win)));
  g_assert_nonnull(overlay);
  SR_UI_WAIT_FOR(gtk_widget_get_mapped(GTK_WIDGET(overlay)) &&
                     gtk_widget_get_width(GTK_WIDGET(overlay)) > 0,
                 10);
  sr_ui_test_screenshot(GTK_WIDGET(overlay), "08-shortcuts");
  gtk_widget_set_visible(GTK_WIDGET(overlay), FALSE);

  /* Save As into the temporary folder; the unsaved mark goes away. */
  g_assert_true(sr_project_get_modified(project));
  g_autofree char *saved = g_build_filename(sr_ui_test_tmp_dir(), "saved.srproj", NULL);
  g_autoptr(GFile) file = g_file_new_for_path(saved);
  g_assert_true(sr_window_save_to(window, file, &error));
  g_assert_no_error(error);
  g_assert_false(sr_project_get_modified(project));
  g_assert_true(g_file_test(saved, G_FILE_TEST_IS_REGULAR));

  /* Unsaved edits: closing asks first; Cancel keeps the project, Discard
   * lets it go. */
  sr_project_set_name(project, "Demo, renamed");
  g_assert_true(sr_project_get_modified(project));
  activate_win(window, "close");
  GtkWidget *dialog = find_message_dialog();
  g_assert_nonnull(dialog);
  sr_ui_test_screenshot(dialog, "08b-unsaved-changes");
  gtk_dialog_response(GTK_DIALOG(dialog), GTK_RESPONSE_CANCEL);
  sr_ui_test_pump(50);
  g_assert_true(sr_window_get_project(window) == project);
  activate_win(window, "close");
  dialog = find_message_dialog();
  g_assert_nonnull(dialog);
  gtk_dialog_response(GTK_DIALOG(dialog), GTK_RESPONSE_REJECT);
  sr_ui_test_pump(50);

  /* Closing the project goes back to the welcome page, which now offers
   * the saved project among the recent ones. */
  g_assert_null(sr_window_get_project(window));
  sr_ui_test_screenshot(win, "09-welcome-recent");
  g_auto(GStrv) recent = g_settings_get_strv(sr_application_get_settings(app), "recent-projects");
  g_assert_true(g_strv_contains((const char *const *)recent, saved));

  /* Undo after closing has nothing to act on. */
  g_assert_false(g_action_group_get_action_enabled(G_ACTION_GROUP(window), "undo"));

  /* Every page fits a 1280-pixel-wide screen (the page stack measures all
   * of its pages). */
  int min_width = 0;
  gtk_widget_measure(win, GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL, NULL);
  g_test_message("window minimum width: %d", min_width);
  g_assert_cmpint(min_width, <=, 1280);

  int width = 0, height = 0;
  gtk_window_get_default_size(GTK_WINDOW(win), &width, &height);
  SR_UI_WAIT_FOR(sr_window_get_n_jobs(window) == 0, 60);
  gtk_window_close(GTK_WINDOW(win));
  sr_ui_test_pump(100);
  g_assert_null(gtk_application_get_active_window(GTK_APPLICATION(app)));
  /* The window size is remembered for the next start. */
  g_assert_cmpint(g_settings_get_int(sr_application_get_settings(app), "window-width"), ==, width);
  g_assert_cmpint(g_settings_get_int(sr_application_get_settings(app), "window-height"), ==,
                  height);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "ui-app");
  /* Demo project, thumbnails and settings stay inside the test's folder. */
  g_setenv("XDG_CACHE_HOME", sr_ui_test_tmp_dir(), TRUE);
  g_setenv("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_add_func("/ui/app", test_app);
  return sr_ui_test_finish(g_test_run());
}
