/* Job states under Xvfb: after a render, the stage list, the Render page's
 * status line and frame count, and the job bar give the same numbers; after
 * the project is reopened they still agree with what is on disk. A job
 * started on a project that has no file first asks where to save it: Cancel
 * starts nothing and writes nothing in the working folder; an answer saves
 * the project there and then starts the job. */
#include "sr-config.h"

#include <gtk/gtk.h>
#include <string.h>
#include <unistd.h>

#include "sr-application.h"
#include "sr-page-deliver-private.h"
#include "sr-page-render-private.h"
#include "sr-page-train-private.h"
#include "sr-ui-test.h"
#include "sr-window.h"

static void
settle(SrWindow *window)
{
  sr_ui_test_pump(300);
  SR_UI_WAIT_FOR(!sr_window_get_checking(window), 60);
}

/* The sidebar, the page's status and the page's frame count all name
 * `want` ("3 of 48"). */
static void
assert_render_agrees(SrWindow *window, SrPageRender *render, const char *want)
{
  const char *reason = NULL;
  SrStageState state = sr_window_get_stage_state(window, "render", &reason);
  const char *status = sr_page_render_get_status(render);
  const char *count = sr_page_render_get_frame_count(render);
  g_test_message("render: state %d, sidebar \"%s\", status \"%s\", count \"%s\"", state, reason,
                 status, count);
  g_assert_cmpint(state, ==, SR_STAGE_READY);
  g_assert_nonnull(strstr(reason, want));
  g_assert_nonnull(strstr(status, want));
  g_assert_nonnull(strstr(count, want));
}

static void
on_loaded(SrWindow *window, gboolean *flag)
{
  *flag = TRUE;
}

static void
test_render_states(void)
{
  g_autoptr(SrApplication) app = NULL;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  SrPageRender *render = SR_PAGE_RENDER(sr_window_get_page(window, "render"));

  sr_ui_test_train_tiny(window, 6);
  /* Training moved the job bar too (it used to sit at zero). */
  g_assert_cmpfloat(sr_window_get_job_fraction(window), >, 0.0);
  /* The job bar fills as the render goes: it ends full. */
  sr_ui_test_render_first(window, 3);
  g_assert_cmpfloat(sr_window_get_job_fraction(window), ==, 1.0);
  SR_UI_WAIT_FOR(strstr(sr_page_render_get_status(render), "3 of 48") != NULL, 30);
  settle(window);
  assert_render_agrees(window, render, "3 of 48");
  g_autofree char *stat = g_strdup(sr_window_get_stage_subtitle(window, "render"));
  g_assert_cmpstr(stat, ==, "Ready");
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "21-render-states");

  /* Delivered: the page says so, and no warning that the masters are
   * "already there" contradicts it. */
  SrPageDeliver *deliver = SR_PAGE_DELIVER(sr_window_get_page(window, "deliver"));
  g_autofree char *dest = g_build_filename(sr_ui_test_tmp_dir(), "delivered", NULL);
  sr_window_set_stage(window, "deliver");
  sr_ui_test_pump(100);
  SR_UI_WAIT_FOR(!sr_page_deliver_get_checking(deliver), 30);
  sr_page_deliver_set_range(deliver, 1001, 1003);
  SR_UI_WAIT_FOR(!sr_page_deliver_get_checking(deliver), 30);
  /* Nothing is reviewed yet: deliver through the recorded override. */
  sr_page_deliver_set_destination(deliver, dest);
  g_assert_true(sr_page_deliver_override_and_start(deliver, "Test", "job states only", NULL));
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(deliver)), 120);
  g_assert_null(sr_window_get_error(window));
  sr_page_deliver_set_destination(deliver, dest);
  sr_ui_test_pump(300);
  SR_UI_WAIT_FOR(!sr_page_deliver_get_checking(deliver), 30);
  const char *delivered = gtk_label_get_text(GTK_LABEL(deliver->status_label));
  g_test_message("deliver: status \"%s\", warning visible %d", delivered,
                 gtk_widget_get_visible(deliver->warning_label));
  g_assert_nonnull(strstr(delivered, "Delivered"));
  g_assert_false(gtk_widget_get_visible(deliver->warning_label));
  sr_window_set_stage(window, "render");

  /* Reopened: the same numbers from the disk. Saved as a copy in the
   * temporary folder (the shared demo project stays as it was), with the
   * demo's frames named absolutely. */
  GFile *file = sr_ui_test_save_copy(window, "reopen.srproj");
  gboolean loaded = FALSE;
  gulong id = g_signal_connect(window, "project-loaded", G_CALLBACK(on_loaded), &loaded);
  sr_window_open_file(window, file);
  SR_UI_WAIT_FOR(loaded, 60);
  g_signal_handler_disconnect(window, id);
  g_object_unref(file);
  render = SR_PAGE_RENDER(sr_window_get_page(window, "render"));
  SR_UI_WAIT_FOR(strstr(sr_page_render_get_status(render), "3 of 48") != NULL, 60);
  settle(window);
  assert_render_agrees(window, render, "3 of 48");
  sr_ui_test_close(window);
}

static guint
count_entries(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  guint n = 0;
  while (d && g_dir_read_name(d))
    n++;
  return n;
}

static void
test_save_first(void)
{
  g_autoptr(SrApplication) app = NULL;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  /* The demo as a project that was never saved (its paths absolute). */
  SrProject *unsaved = sr_project_copy_for_thread(sr_window_get_project(window), NULL);
  g_assert_null(sr_project_get_file(unsaved));
  SrTrainingSettings t;
  sr_ui_test_small_training(unsaved, &t);
  t.steps = 4;
  t.checkpoint_every = 2;
  t.warmup_steps = 1;
  g_assert_true(sr_project_set_training(unsaved, &t, NULL));
  sr_window_set_project(window, unsaved);
  g_object_unref(unsaved);
  SrProject *project = sr_window_get_project(window);

  /* Training from the working folder that holds nothing to lose. */
  g_autofree char *cwd_dir = g_build_filename(sr_ui_test_tmp_dir(), "cwd", NULL);
  g_assert_cmpint(g_mkdir_with_parents(cwd_dir, 0755), ==, 0);
  g_autofree char *old_cwd = g_get_current_dir();
  g_assert_cmpint(chdir(cwd_dir), ==, 0);

  /* Cancel: nothing starts, nothing is written, the banner says why. */
  SrPageTrain *train = SR_PAGE_TRAIN(sr_window_get_page(window, "train"));
  sr_window_set_save_answer(window, NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(sr_page_train_start(train, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(sr_window_get_n_save_questions(window), ==, 1);
  g_assert_false(sr_stage_page_get_busy(SR_STAGE_PAGE(train)));
  g_assert_null(sr_project_get_file(project));
  g_assert_nonnull(sr_window_get_info(window));
  g_assert_nonnull(strstr(sr_window_get_info(window), "save the project first"));
  sr_ui_test_pump(200);
  g_assert_cmpuint(count_entries(cwd_dir), ==, 0);

  /* An answer: saved there, then the run starts. */
  g_autofree char *dir = g_build_filename(sr_ui_test_tmp_dir(), "saved", NULL);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_autofree char *path = g_build_filename(dir, "shot.srproj", NULL);
  g_autoptr(GFile) file = g_file_new_for_path(path);
  sr_window_set_save_answer(window, file);
  g_assert_true(sr_page_train_start(train, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(sr_window_get_n_save_questions(window), ==, 2);
  g_assert_nonnull(sr_project_get_file(project));
  g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
  g_assert_true(sr_stage_page_get_busy(SR_STAGE_PAGE(train)));
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(train)), 180);
  g_assert_cmpuint(count_entries(cwd_dir), ==, 0);
  /* Saved now: the next job asks nothing. */
  g_assert_true(sr_window_save_to(window, NULL, NULL));
  g_assert_cmpint(chdir(old_cwd), ==, 0);
  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "ui-job-states");
  g_test_add_func("/ui/job-states/render", test_render_states);
  g_test_add_func("/ui/job-states/save-first", test_save_first);
  return sr_ui_test_finish(g_test_run());
}
