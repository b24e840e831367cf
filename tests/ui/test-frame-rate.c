/* The film's frame rate on the Project page and in Review (demo project
 * under Xvfb): choosing a Source whose EXR frames state framesPerSecond
 * presets the project's rate and the page says where it came from; Review
 * playback starts at it, a rate chosen there holds until the project's
 * changes; typing a rate on the page is one edit that undo takes back. */
#include "sr-config.h"

#include <string.h>

#include "sr-io.h"
#include "sr-page-project-private.h"
#include "sr-page-review-private.h"
#include "sr-ui-test.h"

/* Two EXR frames stating 25 frames a second; returns the first. */
static GFile *
write_source(void)
{
  g_autofree char *pattern = g_build_filename(sr_ui_test_tmp_dir(), "pal.%04d.exr", NULL);
  sr_write_options wo;
  sr_write_options_init(&wo);
  for (int f = 1; f <= 2; f++) {
    sr_error err = {0};
    sr_image *img = sr_image_new(64, 48, 3, &err);
    g_assert_nonnull(img);
    memset(sr_image_row(img, 0), 0, sizeof(float) * 64 * 48 * 3);
    sr_image_set_attribute(img, "framesPerSecond", "25", NULL);
    g_autofree char *path = sr_pattern_format(pattern, f);
    if (!sr_image_write(path, img, &wo, &err))
      g_error("%s", err.message);
    sr_image_free(img);
  }
  g_autofree char *first = sr_pattern_format(pattern, 1);
  return g_file_new_for_path(first);
}

static void
test_frame_rate(void)
{
  g_autoptr(SrApplication) app = NULL;
  g_autoptr(GError) error = NULL;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  SrProject *project = sr_window_get_project(window);
  SrPageProject *page = SR_PAGE_PROJECT(sr_window_get_page(window, "project"));
  SrPageReview *review = SR_PAGE_REVIEW(sr_window_get_page(window, "review"));
  g_assert_cmpfloat(sr_project_get_frame_rate(project), ==, 24.0);
  g_assert_cmpfloat(sr_page_review_get_fps(review), ==, 24.0);

  /* Chosen, the Source presets 25 and the page says it came from its EXR
   * framesPerSecond. */
  sr_window_set_stage(window, "project");
  g_autoptr(GFile) frame = write_source();
  sr_page_project_choose_frame(page, TRUE, frame);
  SR_UI_WAIT_FOR(sr_project_get_frame_rate(project) == 25.0, 30);
  g_assert_cmpint(sr_project_get_frame_rate_from(project), ==, SR_RATE_FROM_EXR);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(page)), 30);
  g_assert_cmpfloat(
      gtk_spin_button_get_value(GTK_SPIN_BUTTON(sr_page_project_get_frame_rate_spin(page))), ==,
      25.0);
  const char *from = sr_page_project_get_frame_rate_from(page);
  if (!strstr(from, "EXR framesPerSecond"))
    g_error("the page says \"%s\"", from);
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "frame-rate-project");

  /* Review plays at it; a rate picked there holds through other edits. */
  g_assert_cmpfloat(sr_page_review_get_fps(review), ==, 25.0);
  sr_page_review_set_fps(review, 30);
  sr_project_set_name(project, "PAL reel");
  g_assert_cmpfloat(sr_page_review_get_fps(review), ==, 30.0);

  /* Typed on the page: the project's, "set by hand", followed by Review
   * (an uncommon rate is offered there too); undo takes it back. */
  GtkSpinButton *spin = GTK_SPIN_BUTTON(sr_page_project_get_frame_rate_spin(page));
  gtk_spin_button_set_value(spin, 23.5);
  g_assert_cmpfloat(sr_project_get_frame_rate(project), ==, 23.5);
  g_assert_cmpint(sr_project_get_frame_rate_from(project), ==, SR_RATE_FROM_USER);
  g_assert_cmpstr(gtk_editable_get_text(GTK_EDITABLE(spin)), ==, "23.5");
  g_assert_nonnull(strstr(sr_page_project_get_frame_rate_from(page), "Set by hand"));
  g_assert_nonnull(strstr(sr_page_project_get_frame_rate_from(page), "The Source states 25"));
  g_assert_cmpfloat(sr_page_review_get_fps(review), ==, 23.5);
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "frame-rate-typed");
  g_action_group_activate_action(G_ACTION_GROUP(window), "undo", NULL);
  g_assert_cmpfloat(sr_project_get_frame_rate(project), ==, 25.0);
  g_assert_cmpfloat(gtk_spin_button_get_value(spin), ==, 25.0);
  g_assert_cmpfloat(sr_page_review_get_fps(review), ==, 25.0);
  sr_project_set_modified(project, FALSE);
  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "frame-rate");
  g_test_add_func("/ui/frame-rate/project-and-review", test_frame_rate);
  return sr_ui_test_finish(g_test_run());
}
