/* The Project stage's checks under Xvfb: choosing frames whose headers name
 * a colour space preselects it and says so; a declared space that
 * contradicts the files warns on the page and puts the stage in Needs
 * attention with the reason in the sidebar row; a Reference of another
 * frame size is named as soon as it is chosen; each warning clears when
 * its cause is fixed, and so does a banner refusing a render for want of
 * an output folder once one is chosen. The demo project's states do not change on their own
 * between pages. Screenshots of the warnings at 1280×720 and 1920×1080. */
#include "sr-config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "sr-application.h"
#include "sr-io.h"
#include "sr-page-pairs-private.h"
#include "sr-page-project-private.h"
#include "sr-ui-test.h"
#include "sr-window.h"

static char *
write_frames(const char *name, int w, int h, sr_colourspace cs)
{
  g_autofree char *dir = g_build_filename(sr_ui_test_tmp_dir(), name, NULL);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  sr_image *img = sr_image_new(w, h, 3, NULL);
  for (size_t i = 0; i < (size_t)w * h * 3; i++)
    img->pixels[i] = 0.05f + 0.3f * (float)(i % 97) / 97.0f;
  img->has_chromaticities = true;
  sr_colourspace_chromaticities(cs, img->chromaticities);
  for (int f = 1; f <= 5; f++) {
    g_autofree char *path = g_strdup_printf("%s/%s.%04d.exr", dir, name, f);
    g_assert_true(sr_image_write(path, img, NULL, NULL));
  }
  sr_image_free(img);
  return g_strdup_printf("%s/%s.0001.exr", dir, name);
}

static void
choose(SrPageProject *page, gboolean is_source, const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path(path);
  sr_page_project_choose_frame(page, is_source, file);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(page)), 30);
}

/* Waits for the stage checks the last edit queued. */
static void
settle(SrWindow *window)
{
  sr_ui_test_pump(300);
  SR_UI_WAIT_FOR(!sr_window_get_checking(window), 60);
}

static void
log_stages(SrWindow *window, const char *when)
{
  static const char *const ids[] = {"project", "pairs",  "crop",   "train",
                                    "render",  "review", "deliver"};
  for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
    const char *reason = NULL;
    SrStageState st = sr_window_get_stage_state(window, ids[i], &reason);
    g_test_message("%s: %s %d %s | %s", when, ids[i], st,
                   sr_window_get_stage_subtitle(window, ids[i]), reason);
  }
}

static void
test_project_checks(void)
{
  g_autoptr(SrApplication) app = NULL;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  SrProject *project = sr_window_get_project(window);
  SrPageProject *page = SR_PAGE_PROJECT(sr_window_get_page(window, "project"));

  /* The demo: its states after loading are the states on the next page. */
  settle(window);
  log_stages(window, "loaded");
  SrStageState project_state = sr_window_get_stage_state(window, "project", NULL);
  SrStageState pairs_state = sr_window_get_stage_state(window, "pairs", NULL);
  g_assert_cmpint(project_state, ==, SR_STAGE_READY);
  sr_window_set_stage(window, "pairs");
  sr_ui_test_pump(500);
  settle(window);
  log_stages(window, "on pairs");
  g_assert_cmpint(sr_window_get_stage_state(window, "project", NULL), ==, project_state);
  g_assert_cmpint(sr_window_get_stage_state(window, "pairs", NULL), ==, pairs_state);
  sr_window_set_stage(window, "project");

  /* AP0 Source frames: detected, selected, and the field named. */
  g_autofree char *src = write_frames("src", 64, 48, SR_CS_ACES2065_1);
  g_autofree char *ref_wide = write_frames("refwide", 80, 48, SR_CS_ACES2065_1);
  g_autofree char *ref = write_frames("ref", 64, 48, SR_CS_ACES2065_1);
  sr_project_set_source_colourspace(project, SR_CS_REC709);
  choose(page, TRUE, src);
  g_assert_cmpint(sr_project_get_source_colourspace(project), ==, SR_CS_ACES2065_1);
  const char *detected = sr_page_project_get_detection(page, TRUE);
  g_assert_nonnull(detected);
  g_assert_true(g_str_has_prefix(detected, "Detected and selected: "));
  g_assert_nonnull(strstr(detected, "EXR chromaticities"));
  g_assert_nonnull(strstr(detected, "ACES2065-1"));
  g_assert_null(sr_page_project_get_colour_warning(page, TRUE));

  /* Declared Rec.709 over AP0 files: warned on the page and in the sidebar. */
  sr_project_set_source_colourspace(project, SR_CS_REC709);
  const char *warning = sr_page_project_get_colour_warning(page, TRUE);
  g_assert_nonnull(warning);
  g_assert_nonnull(strstr(warning, "ACES2065-1"));
  g_assert_true(g_str_has_prefix(sr_page_project_get_detection(page, TRUE), "Detected: "));
  choose(page, FALSE, ref);
  sr_project_set_source_colourspace(project, SR_CS_REC709);
  settle(window);
  log_stages(window, "contradiction");
  const char *reason = NULL;
  g_assert_cmpint(sr_window_get_stage_state(window, "project", &reason), ==, SR_STAGE_ATTENTION);
  g_assert_nonnull(strstr(reason, "ACES2065-1"));
  const char *subtitle = sr_window_get_stage_subtitle(window, "project");
  g_assert_nonnull(strstr(subtitle, "Source is declared"));

  /* A Reference of another frame size: named when chosen, both sizes. */
  choose(page, FALSE, ref_wide);
  const char *mismatch = sr_page_project_get_mismatch(page);
  g_assert_nonnull(mismatch);
  g_assert_nonnull(strstr(mismatch, "80×48"));
  g_assert_nonnull(strstr(mismatch, "64×48"));
  sr_project_set_source_colourspace(project, SR_CS_ACES2065_1);
  g_assert_null(sr_page_project_get_colour_warning(page, TRUE));
  settle(window);
  log_stages(window, "size");
  g_assert_cmpint(sr_window_get_stage_state(window, "project", &reason), ==, SR_STAGE_ATTENTION);
  subtitle = sr_window_get_stage_subtitle(window, "project");
  g_assert_nonnull(strstr(subtitle, "80×48"));
  g_assert_cmpint(sr_window_get_stage_state(window, "pairs", NULL), ==, SR_STAGE_NOT_STARTED);
  /* The Pairs page names the sizes too, not an unknown shift. */
  SrPagePairs *pairs = SR_PAGE_PAIRS(sr_window_get_page(window, "pairs"));
  g_assert_true(sr_project_add_pair(project, 2, NULL));
  sr_window_set_stage(window, "pairs");
  SR_UI_WAIT_FOR(sr_page_pairs_get_shift_error(pairs, 2) != NULL, 30);
  g_assert_nonnull(strstr(sr_page_pairs_get_shift_error(pairs, 2), "80×48"));
  sr_window_set_stage(window, "project");
  g_assert_true(sr_project_remove_pair(project, 2));
  sr_project_set_source_colourspace(project, SR_CS_REC709);
  sr_ui_test_pump(100);
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "20-project-warnings");

  /* Fixed: the warnings go, and the stage is Ready again. */
  sr_project_set_source_colourspace(project, SR_CS_ACES2065_1);
  choose(page, FALSE, ref);
  g_assert_null(sr_page_project_get_mismatch(page));
  g_assert_null(sr_page_project_get_colour_warning(page, TRUE));
  g_assert_null(sr_page_project_get_colour_warning(page, FALSE));
  settle(window);
  log_stages(window, "fixed");
  g_assert_cmpint(sr_window_get_stage_state(window, "project", NULL), ==, SR_STAGE_READY);
  g_assert_cmpstr(sr_window_get_stage_subtitle(window, "project"), ==, "Ready");
  sr_ui_test_close(window);
}

/* A refusal whose cause the archivist fixes: the banner goes by itself. */
static void
test_banner_clears(void)
{
  g_autoptr(SrApplication) app = NULL;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  SrProject *project = sr_window_get_project(window);
  GtkWidget *render = sr_window_get_page(window, "render");
  g_autofree char *out = g_strdup(sr_project_get_output_folder(project));

  sr_project_set_checkpoint(project, "/nonexistent/model.safetensors");
  sr_project_set_output_folder(project, "");
  settle(window);
  sr_window_set_stage(window, "render");
  sr_ui_test_pump(100);
  g_assert_true(gtk_widget_activate_action(render, "render.check", NULL));
  const char *error = sr_window_get_error(window);
  g_assert_nonnull(error);
  g_assert_nonnull(strstr(error, "No output folder"));
  /* An unrelated edit leaves it; the fix takes it away. */
  sr_project_set_name(project, "Demo renamed");
  settle(window);
  g_assert_nonnull(sr_window_get_error(window));
  sr_project_set_output_folder(project, out);
  settle(window);
  g_assert_null(sr_window_get_error(window));
  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "ui-project-checks");
  g_test_add_func("/ui/project-checks", test_project_checks);
  g_test_add_func("/ui/project-checks/banner-clears", test_banner_clears);
  return sr_ui_test_finish(g_test_run());
}
