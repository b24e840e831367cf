/* Quit, switch and restart guarded (demo project under Xvfb): quitting,
 * New, Open and Close while the model trains ask first (Keep Working / Stop
 * and …; the switch waits for the trainer to return). Quitting while the
 * model trains asks first; "Keep Working" leaves the run going, "Stop and
 * Quit" stops the trainer and waits for it before the window goes (the
 * cancel checkpoint is on disk when it does). Reopened, the Train page shows
 * where the run stopped, its loss curve from the loss log and every
 * contact sheet on disk; "Start training" then asks, and a new run goes in
 * a folder of its own, leaving the first run's checkpoints as they were. */
#include "sr-config.h"

#include <string.h>

#include "sr-loss-log.h"
#include "sr-page-train-private.h"
#include "sr-train-gallery.h"
#include "sr-training-runs.h"
#include "sr-ui-test.h"

#define SHEET_EVERY 4

static void
on_flag(gpointer instance, gpointer user_data)
{
  *(gboolean *)user_data = TRUE;
}

static SrPageTrain *
train_page(SrWindow *window)
{
  return SR_PAGE_TRAIN(sr_window_get_page(window, "train"));
}

/* Starts a long run and waits until it has passed a checkpoint. */
static void
start_long_run(SrWindow *window, int min_steps)
{
  g_autoptr(GError) error = NULL;
  SrPageTrain *train = train_page(window);
  g_assert_true(sr_page_train_start(train, &error));
  g_assert_no_error(error);
  SR_UI_WAIT_FOR(sr_page_train_get_n_loss_points(train) >= (guint)min_steps ||
                     !sr_page_train_is_running(train),
                 120);
  if (!sr_page_train_is_running(train))
    g_error("training stopped: %s", gtk_label_get_text(GTK_LABEL(train->status_label)));
}

static guint
count_files(const char *dir, const char *suffix)
{
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;
  guint n = 0;
  while (d && (name = g_dir_read_name(d)))
    n += g_str_has_prefix(name, "step_") && g_str_has_suffix(name, suffix);
  if (d)
    g_dir_close(d);
  return n;
}

static void
test_guards(void)
{
  g_autoptr(SrApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  SrTrainingSettings t;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  SrProject *project = sr_window_get_project(window);
  sr_ui_test_small_training(project, &t);
  t.steps = 100000;
  t.checkpoint_every = 4;
  t.contact_sheet_every = SHEET_EVERY;
  t.warmup_steps = 3;
  g_assert_true(sr_project_set_training(project, &t, &error));
  /* Saved in the temporary folder, so its sequences are named in full. */
  g_autoptr(GFile) file = sr_ui_test_save_copy(window, "guards.srproj");
  sr_window_set_stage(window, "train");
  start_long_run(window, 2 * SHEET_EVERY + 1);
  g_autofree char *run1 = sr_page_train_get_out_dir(train_page(window));

  /* Ctrl+Q while it trains asks; "Keep Working" keeps it training. */
  g_action_group_activate_action(G_ACTION_GROUP(app), "quit", NULL);
  sr_ui_test_pump(50);
  GtkWidget *ask = sr_window_get_stop_dialog(window);
  g_assert_nonnull(ask);
  sr_ui_test_screenshot(GTK_WIDGET(ask), "guards-quit-question");
  gtk_dialog_response(GTK_DIALOG(ask), SR_WINDOW_KEEP_WORKING);
  sr_ui_test_pump(50);
  g_assert_null(sr_window_get_stop_dialog(window));
  g_assert_true(sr_page_train_is_running(train_page(window)));
  guint before = sr_page_train_get_n_loss_points(train_page(window));
  SR_UI_WAIT_FOR(sr_page_train_get_n_loss_points(train_page(window)) > before + 1, 60);

  /* "Stop and Quit": the window goes only after the trainer has returned,
   * having saved its last step. */
  sr_project_set_modified(project, FALSE);
  g_object_add_weak_pointer(G_OBJECT(window), (gpointer *)&window);
  g_action_group_activate_action(G_ACTION_GROUP(app), "quit", NULL);
  sr_ui_test_pump(50);
  g_assert_nonnull(window);
  ask = sr_window_get_stop_dialog(window);
  g_assert_nonnull(ask);
  gtk_dialog_response(GTK_DIALOG(ask), SR_WINDOW_STOP_AND_QUIT);
  SR_UI_WAIT_FOR(window == NULL, 60);
  g_autofree char *log_path = g_build_filename(run1, SR_LOSS_LOG_NAME, NULL);
  sr_loss_entry *entries = NULL;
  size_t n_logged = 0;
  sr_error err = {0};
  g_assert_true(sr_loss_log_read(log_path, &entries, &n_logged, NULL, &err));
  g_assert_cmpuint(n_logged, >, before);
  gint64 last = entries[n_logged - 1].step;
  free(entries);
  g_autofree char *name = g_strdup_printf("step_%06lld.safetensors", (long long)last);
  g_autofree char *stopped = g_build_filename(run1, "checkpoints", name, NULL);
  g_assert_true(g_file_test(stopped, G_FILE_TEST_IS_REGULAR));
  g_autofree char *contact = g_build_filename(run1, "contact", NULL);
  guint sheets = count_files(contact, ".png");
  g_assert_cmpuint(sheets, ==, (guint)(last / SHEET_EVERY));

  /* Reopened: where it stopped, the whole curve, every contact sheet. (A
   * second toplevel under Xvfb gets too few frame-clock ticks to finish the
   * stack's crossfade before the screenshot: no animations.) */
  g_object_set(gtk_settings_get_default(), "gtk-enable-animations", FALSE, NULL);
  window = sr_window_new(app);
  gtk_window_set_default_size(GTK_WINDOW(window), 1440, 900);
  gtk_window_present(GTK_WINDOW(window));
  SR_UI_WAIT_FOR(gtk_widget_get_mapped(GTK_WIDGET(window)) &&
                     gtk_widget_get_width(GTK_WIDGET(window)) > 0,
                 20);
  gboolean loaded = FALSE;
  g_signal_connect(window, "project-loaded", G_CALLBACK(on_flag), &loaded);
  sr_window_open_file(window, file);
  SR_UI_WAIT_FOR(loaded, 60);
  project = sr_window_get_project(window);
  sr_window_set_stage(window, "train");
  SrPageTrain *train = train_page(window);
  SR_UI_WAIT_FOR(sr_page_train_get_n_loss_points(train) == n_logged, 30);
  g_autofree char *want = g_strdup_printf("Stopped at step %lld of %d", (long long)last, t.steps);
  const char *status = gtk_label_get_text(GTK_LABEL(train->status_label));
  if (!strstr(status, want))
    g_error("status reads \"%s\", not \"%s…\"", status, want);
  SrTrainGallery *gallery = SR_TRAIN_GALLERY(train->gallery);
  SR_UI_WAIT_FOR(sr_train_gallery_get_n_sheets(gallery) == sheets, 30);
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "guards-train-reopened");

  /* "Start training" over the run asks; "Start a New Run" goes to run-2 and
   * the first run's checkpoints stay as they were. */
  g_autofree char *kept = NULL;
  gsize kept_len = 0;
  g_assert_true(g_file_get_contents(stopped, &kept, &kept_len, NULL));
  sr_page_train_ask_start(train);
  GtkWidget *question = sr_page_train_get_start_dialog(train);
  g_assert_nonnull(question);
  g_assert_false(sr_page_train_is_running(train));
  sr_ui_test_screenshot(question, "guards-start-question");
  gtk_dialog_response(GTK_DIALOG(question), SR_TRAIN_START_NEW);
  g_assert_true(sr_page_train_is_running(train));
  g_autofree char *run2 = sr_page_train_get_out_dir(train);
  g_autofree char *want2 = sr_training_run_dir_n(run1, 2);
  g_assert_cmpstr(run2, ==, want2);
  SR_UI_WAIT_FOR(sr_page_train_get_n_loss_points(train) >= 6, 120);
  sr_page_train_stop(train);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(train)), 60);
  g_autofree char *now = NULL;
  gsize now_len = 0;
  g_assert_true(g_file_get_contents(stopped, &now, &now_len, NULL));
  g_assert_cmpmem(kept, kept_len, now, now_len);
  g_assert_true(sr_training_dir_has_run(run2));

  /* Asked again, "Resume" continues run-2 in its own folder. */
  SR_UI_WAIT_FOR(sr_page_train_get_n_checkpoints(train) > 0, 30);
  sr_page_train_ask_start(train);
  question = sr_page_train_get_start_dialog(train);
  g_assert_nonnull(question);
  gtk_dialog_response(GTK_DIALOG(question), SR_TRAIN_START_RESUME);
  if (!sr_page_train_is_running(train))
    g_error("not resumed: %s", sr_window_get_error(window));
  g_autofree char *resumed = sr_page_train_get_out_dir(train);
  g_assert_cmpstr(resumed, ==, run2);
  sr_page_train_stop(train);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(train)), 60);
  if (sr_window_get_error(window))
    g_error("error after the resumed run: %s", sr_window_get_error(window));
  sr_ui_test_close(window);
}

/* The demo set to train on the CPU without end, saved in the temporary
 * folder so it can be opened again; returns its path. */
static char *
save_endless_demo(SrWindow *window)
{
  g_autoptr(GError) error = NULL;
  SrTrainingSettings t;
  SrProject *project = sr_window_get_project(window);
  sr_project_get_training(project, &t);
  t.model_size = SR_MODEL_SIZE_S;
  t.patch = 64;
  t.batch = 1;
  t.steps = 100000;
  t.checkpoint_every = 1000;
  t.contact_sheet_every = 0;
  t.warmup_steps = 3;
  g_strlcpy(t.backend, "cpu", sizeof t.backend);
  g_assert_true(sr_project_set_training(project, &t, &error));
  g_autofree char *src = sr_project_resolve_path(project, sr_project_get_source_pattern(project));
  g_autofree char *ref =
      sr_project_resolve_path(project, sr_project_get_reference_pattern(project));
  sr_project_set_source_pattern(project, src);
  sr_project_set_reference_pattern(project, ref);
  char *path = g_build_filename(sr_ui_test_tmp_dir(), "switch.srproj", NULL);
  g_autoptr(GFile) file = g_file_new_for_path(path);
  g_assert_true(sr_window_save_to(window, file, &error));
  g_assert_no_error(error);
  return path;
}

/* Runs win.`action` while the model trains: it asks; Keep Working leaves
 * run and project as they were; asked again, Stop and … switches only once
 * the trainer has returned. */
static void
switch_while_training(SrWindow *window, const char *action, GVariant *param, const char *shot)
{
  SrProject *before = sr_window_get_project(window);
  g_autoptr(GVariant) arg = param ? g_variant_ref_sink(param) : NULL;
  sr_window_set_stage(window, "train");
  SrPageTrain *train = train_page(window);
  /* A project reopened over its stopped run asks; a new run starts. */
  sr_page_train_ask_start(train);
  GtkWidget *question = sr_page_train_get_start_dialog(train);
  if (question)
    gtk_dialog_response(GTK_DIALOG(question), SR_TRAIN_START_NEW);
  SR_UI_WAIT_FOR(sr_page_train_get_n_loss_points(train) >= 2 || !sr_page_train_is_running(train),
                 120);
  if (!sr_page_train_is_running(train))
    g_error("%s: training stopped: %s (%s)", action,
            gtk_label_get_text(GTK_LABEL(train->status_label)), sr_window_get_error(window));
  sr_project_set_modified(before, FALSE);

  g_action_group_activate_action(G_ACTION_GROUP(window), action, arg);
  sr_ui_test_pump(50);
  GtkWidget *ask = sr_window_get_stop_dialog(window);
  if (!ask)
    g_error("win.%s while training asked nothing", action);
  if (shot) {
    sr_ui_test_screenshot(ask, shot);
    g_autofree char *whole = g_strconcat(shot, "-window", NULL);
    sr_ui_test_screenshot_sizes(GTK_WIDGET(window), whole);
  }
  gtk_dialog_response(GTK_DIALOG(ask), SR_WINDOW_KEEP_WORKING);
  sr_ui_test_pump(50);
  g_assert_null(sr_window_get_stop_dialog(window));
  g_assert_true(sr_window_get_project(window) == before);
  g_assert_true(sr_page_train_is_running(train_page(window)));
  guint points = sr_page_train_get_n_loss_points(train_page(window));
  SR_UI_WAIT_FOR(sr_page_train_get_n_loss_points(train_page(window)) > points, 60);

  g_action_group_activate_action(G_ACTION_GROUP(window), action, arg);
  sr_ui_test_pump(50);
  ask = sr_window_get_stop_dialog(window);
  g_assert_nonnull(ask);
  gtk_dialog_response(GTK_DIALOG(ask), SR_WINDOW_STOP);
  /* The trainer's thread has not returned yet: the project stays. */
  g_assert_cmpuint(sr_window_get_n_jobs(window), >, 0);
  g_assert_true(sr_window_get_project(window) == before);
  SR_UI_WAIT_FOR(sr_window_get_project(window) != before, 60);
  if (sr_window_get_jobs_at_last_switch(window) != 0)
    g_error("win.%s let the project go with %u jobs running", action,
            sr_window_get_jobs_at_last_switch(window));
  g_assert_false(sr_page_train_is_running(train_page(window)));
}

static void
test_switch(void)
{
  g_autoptr(SrApplication) app = NULL;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  g_autofree char *path = save_endless_demo(window);
  g_autoptr(GFile) file = g_file_new_for_path(path);
  gboolean loaded = FALSE;
  g_signal_connect(window, "project-loaded", G_CALLBACK(on_flag), &loaded);

  /* New: a fresh project once the trainer has returned. */
  switch_while_training(window, "new", NULL, "guards-new-question");
  g_assert_nonnull(sr_window_get_project(window));
  g_assert_null(sr_project_get_file(sr_window_get_project(window)));

  /* Open (Ctrl+O's chosen file goes the same way as a recent project);
   * idle, nothing is asked. */
  loaded = FALSE;
  g_action_group_activate_action(G_ACTION_GROUP(window), "open-recent", g_variant_new_string(path));
  g_assert_null(sr_window_get_stop_dialog(window));
  SR_UI_WAIT_FOR(loaded, 60);
  loaded = FALSE;
  switch_while_training(window, "open-recent", g_variant_new_string(path), "guards-open-question");
  SR_UI_WAIT_FOR(loaded, 60);
  g_assert_true(g_file_equal(sr_project_get_file(sr_window_get_project(window)), file));

  /* Close: no project once the trainer has returned. */
  switch_while_training(window, "close", NULL, NULL);
  g_assert_null(sr_window_get_project(window));

  /* Idle, New and Close switch at once. */
  g_action_group_activate_action(G_ACTION_GROUP(window), "new", NULL);
  g_assert_null(sr_window_get_stop_dialog(window));
  g_assert_nonnull(sr_window_get_project(window));
  g_action_group_activate_action(G_ACTION_GROUP(window), "close", NULL);
  g_assert_null(sr_window_get_stop_dialog(window));
  g_assert_null(sr_window_get_project(window));
  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "guards");
  g_test_add_func("/ui/guards/quit-and-restart", test_guards);
  g_test_add_func("/ui/guards/switch-project", test_switch);
  return sr_ui_test_finish(g_test_run());
}
