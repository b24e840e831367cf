/* The Train page under Xvfb (demo project): settings edited through the
 * widgets (a preset fills the fields, an edit turns the preset to Custom, a
 * bad value is refused with a message, undo restores), the measured
 * estimate, a short run with pause and the main loop's worst stall, contact
 * sheets and previews in the gallery, the checkpoint list, resuming from a
 * middle checkpoint (refused while that would write over the checkpoint the
 * project renders with), and the checkpoints and loss curve on disk shown
 * when the training folder is (re)opened. */
#include "sr-config.h"

#include <math.h>
#include <string.h>

#include "sr-page-train-private.h"
#include "sr-train-gallery.h"
#include "sr-ui-test.h"

#define STEPS       120
#define CKPT_EVERY  40
#define SHEET_EVERY 10

static GtkWidget *
need(GtkWidget *root, const char *name)
{
  GtkWidget *w = sr_ui_test_find_named(root, name);
  if (!w)
    g_error("no widget named %s on the Train page", name);
  return w;
}

/* Buttons labelled `label` under root, in tree order. */
static void
collect_buttons(GtkWidget *root, const char *label, GPtrArray *out)
{
  if (GTK_IS_BUTTON(root) && g_strcmp0(gtk_button_get_label(GTK_BUTTON(root)), label) == 0)
    g_ptr_array_add(out, root);
  for (GtkWidget *c = gtk_widget_get_first_child(root); c; c = gtk_widget_get_next_sibling(c))
    collect_buttons(c, label, out);
}

static void
set_spin(GtkWidget *page, const char *name, double value)
{
  gtk_spin_button_set_value(GTK_SPIN_BUTTON(need(page, name)), value);
  sr_ui_test_pump(20);
}

static void
set_dropdown(GtkWidget *page, const char *name, guint i)
{
  gtk_drop_down_set_selected(GTK_DROP_DOWN(need(page, name)), i);
  sr_ui_test_pump(20);
}

static guint
dropdown_selected(GtkWidget *page, const char *name)
{
  return gtk_drop_down_get_selected(GTK_DROP_DOWN(need(page, name)));
}

static void
set_lr(GtkWidget *page, const char *text)
{
  GtkWidget *lr = need(page, "train-lr");
  gtk_editable_set_text(GTK_EDITABLE(lr), text);
  g_signal_emit_by_name(lr, "activate");
  sr_ui_test_pump(20);
}

static const char *
label_text(GtkWidget *page, const char *name)
{
  return gtk_label_get_text(GTK_LABEL(need(page, name)));
}

/* Index of "64 px" in the patch drop-down. */
static guint
patch_index(GtkWidget *page, int px)
{
  GListModel *m = gtk_drop_down_get_model(GTK_DROP_DOWN(need(page, "train-patch")));
  g_autofree char *want = g_strdup_printf("%d px", px);
  for (guint i = 0; i < g_list_model_get_n_items(m); i++) {
    const char *s = gtk_string_list_get_string(GTK_STRING_LIST(m), i);
    if (g_strcmp0(s, want) == 0)
      return i;
  }
  g_error("patch %d px is not offered", px);
  return 0;
}

static void
check_history(SrPageTrain *train, guint expect_n)
{
  gint64 prev = 0, step = 0;
  g_assert_cmpuint(sr_page_train_get_n_loss_points(train), ==, expect_n);
  for (guint i = 0; sr_page_train_get_loss_point(train, i, &step, NULL); i++) {
    g_assert_cmpint(step, ==, prev + 1);
    prev = step;
  }
  g_assert_cmpint(prev, ==, STEPS);
}

static void
test_page(void)
{
  g_autoptr(SrApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  SrTrainingSettings t;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  GtkWidget *win = GTK_WIDGET(window);
  SrProject *project = sr_window_get_project(window);
  /* A small model from the start, so the first measurement is quick. */
  sr_ui_test_small_training(project, &t);
  g_assert_true(sr_project_set_training(project, &t, &error));
  sr_window_set_stage(window, "train");
  GtkWidget *page = sr_window_get_page(window, "train");
  SrPageTrain *train = SR_PAGE_TRAIN(page);
  sr_ui_test_pump(100);
  /* The page fits beside the stage list on a 1280-pixel-wide screen. */
  int page_min = 0;
  gtk_widget_measure(page, GTK_ORIENTATION_HORIZONTAL, -1, &page_min, NULL, NULL, NULL);
  g_test_message("Train page minimum width: %d", page_min);
  g_assert_cmpint(page_min, <=, 1050);

  /* The backend line names what "Automatic" resolves to on this machine. */
  SR_UI_WAIT_FOR(strstr(label_text(page, "train-backend-info"), "Runs on") ||
                     strstr(label_text(page, "train-backend-info"), "fail"),
                 20);

  /* A preset fills the fields. */
  set_dropdown(page, "train-preset", 0);
  sr_project_get_training(project, &t);
  g_assert_cmpint(t.model_size, ==, SR_MODEL_SIZE_S);
  g_assert_cmpint(t.steps, ==, 5000);
  g_assert_cmpint(t.batch, ==, 2);
  g_assert_cmpint(gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(need(page, "train-steps"))), ==,
                  5000);
  g_assert_cmpuint(dropdown_selected(page, "train-model"), ==, 0);
  set_dropdown(page, "train-preset", 1);
  sr_project_get_training(project, &t);
  g_assert_cmpint(t.model_size, ==, SR_MODEL_SIZE_M);
  g_assert_cmpint(t.steps, ==, 40000);
  g_assert_cmpint(t.checkpoint_every, ==, 10000);
  g_assert_cmpuint(dropdown_selected(page, "train-preset"), ==, 1);

  /* Editing a field makes it Custom; undo brings the preset back. */
  set_spin(page, "train-steps", 50000);
  sr_project_get_training(project, &t);
  g_assert_cmpint(t.steps, ==, 50000);
  g_assert_cmpuint(dropdown_selected(page, "train-preset"), ==, 3);
  gtk_widget_activate_action(win, "win.undo", NULL);
  sr_ui_test_pump(50);
  sr_project_get_training(project, &t);
  g_assert_cmpint(t.steps, ==, 40000);
  g_assert_cmpuint(dropdown_selected(page, "train-preset"), ==, 1);
  g_assert_cmpint(gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(need(page, "train-steps"))), ==,
                  40000);
  /* Back to a small model through the fields (quick to measure). */
  set_dropdown(page, "train-model", 0);
  set_dropdown(page, "train-patch", patch_index(page, 64));
  set_spin(page, "train-batch", 1);
  sr_project_get_training(project, &t);
  g_assert_cmpint(t.model_size, ==, SR_MODEL_SIZE_S);
  g_assert_cmpint(t.patch, ==, 64);
  g_assert_cmpint(t.batch, ==, 1);
  g_assert_cmpuint(dropdown_selected(page, "train-preset"), ==, 3);

  /* A bad learning rate is refused with a message; the project keeps its
   * value; a good one is taken and clears the message. */
  set_lr(page, "fast");
  g_assert_true(gtk_widget_get_visible(need(page, "train-settings-message")));
  g_assert_nonnull(strstr(label_text(page, "train-settings-message"), "fast"));
  g_assert_true(gtk_widget_has_css_class(need(page, "train-lr"), "error"));
  sr_project_get_training(project, &t);
  g_assert_cmpfloat(t.learning_rate, ==, 2e-4);
  set_lr(page, "3");
  g_assert_true(gtk_widget_get_visible(need(page, "train-settings-message")));
  sr_project_get_training(project, &t);
  g_assert_cmpfloat(t.learning_rate, ==, 2e-4);
  set_lr(page, "1e-4");
  g_assert_false(gtk_widget_get_visible(need(page, "train-settings-message")));
  sr_project_get_training(project, &t);
  g_assert_cmpfloat(t.learning_rate, ==, 1e-4);
  g_assert_cmpuint(dropdown_selected(page, "train-preset"), ==, 3);
  /* A warm-up as long as the run is refused too. */
  set_spin(page, "train-steps", 500);
  g_assert_true(gtk_widget_get_visible(need(page, "train-settings-message")));
  sr_project_get_training(project, &t);
  g_assert_cmpint(t.steps, ==, 40000);

  /* Tiny settings through the widgets (warm-up first, so the run stays
   * longer than it). */
  set_lr(page, "2e-4");
  set_spin(page, "train-warmup", 3);
  set_spin(page, "train-steps", STEPS);
  set_spin(page, "train-checkpoint-every", CKPT_EVERY);
  set_spin(page, "train-sheet-every", SHEET_EVERY);
  set_spin(page, "train-batch", 1);
  set_dropdown(page, "train-model", 0);
  set_dropdown(page, "train-patch", patch_index(page, 64));
  set_dropdown(page, "train-backend", 1);
  gtk_check_button_set_active(GTK_CHECK_BUTTON(need(page, "train-exposure")), TRUE);
  sr_ui_test_pump(20);
  g_assert_false(gtk_widget_get_visible(need(page, "train-settings-message")));
  sr_project_get_training(project, &t);
  g_assert_cmpint(t.model_size, ==, SR_MODEL_SIZE_S);
  g_assert_cmpint(t.patch, ==, 64);
  g_assert_cmpint(t.batch, ==, 1);
  g_assert_cmpint(t.steps, ==, STEPS);
  g_assert_cmpint(t.checkpoint_every, ==, CKPT_EVERY);
  g_assert_cmpint(t.contact_sheet_every, ==, SHEET_EVERY);
  g_assert_cmpint(t.warmup_steps, ==, 3);
  g_assert_true(t.exposure_jitter);
  g_assert_cmpstr(t.backend, ==, "cpu");
  g_assert_nonnull(strstr(label_text(page, "train-backend-info"), "CPU"));

  /* The estimate is measured for these settings. */
  SR_UI_WAIT_FOR(sr_page_train_get_seconds_per_step(train) > 0, 40);
  g_assert_nonnull(strstr(label_text(page, "train-estimate"), "s/step on cpu"));
  g_test_message("estimate: %s", label_text(page, "train-estimate"));
  sr_ui_test_screenshot(win, "20-train-settings");

  /* A run from the Start button, paused once, with the stall measured. */
  GtkWidget *start = need(page, "train-start"), *pause = need(page, "train-pause");
  SrUiStall stall;
  sr_ui_stall_start(&stall);
  g_signal_emit_by_name(start, "clicked");
  g_assert_true(sr_stage_page_get_busy(SR_STAGE_PAGE(train)));
  g_assert_false(gtk_widget_is_sensitive(need(page, "train-steps")));
  g_assert_false(sr_page_train_start(train, NULL));
  SR_UI_WAIT_FOR(sr_page_train_get_n_loss_points(train) >= 5 ||
                     !sr_stage_page_get_busy(SR_STAGE_PAGE(train)),
                 60);
  if (sr_stage_page_get_busy(SR_STAGE_PAGE(train))) {
    g_signal_emit_by_name(pause, "clicked");
    /* The step in flight when Pause is pressed still finishes (seconds on a
     * loaded machine); after the trainer says it waits, none may follow. */
    SR_UI_WAIT_FOR(sr_page_train_get_worker_paused(train) ||
                       !sr_stage_page_get_busy(SR_STAGE_PAGE(train)),
                   60);
    sr_ui_test_pump(500);
    guint n = sr_page_train_get_n_loss_points(train);
    sr_ui_test_pump(600);
    if (sr_stage_page_get_busy(SR_STAGE_PAGE(train)))
      g_assert_cmpuint(sr_page_train_get_n_loss_points(train), ==, n);
    g_signal_emit_by_name(pause, "clicked");
  }
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(train)), 120);
  double worst = sr_ui_stall_stop(&stall);
  g_print("# worst main-loop stall while training: %.1f ms\n", worst);
  g_test_message("worst main-loop stall while training: %.1f ms", worst);
  g_assert_null(sr_window_get_error(window));
  /* Under Xvfb most of what remains is the software GL renderer drawing
   * whole frames on a loaded machine (about 50 ms even with this page
   * hidden); work on the main loop itself (file I/O, decoding, rebuilding
   * the curve) shows up as stalls well past this bound. */
  g_assert_cmpfloat(worst, <, sr_ui_stall_limit_ms());
  g_assert_true(gtk_widget_is_sensitive(need(page, "train-steps")));

  check_history(train, STEPS);
  g_assert_cmpuint(sr_page_train_get_n_checkpoints(train), ==, STEPS / CKPT_EVERY);
  gint64 step = 0;
  const char *newest = sr_page_train_get_checkpoint(train, 0, &step);
  g_assert_cmpint(step, ==, STEPS);
  g_assert_true(g_file_test(newest, G_FILE_TEST_IS_REGULAR));
  g_autofree char *ck = sr_project_resolve_path(project, sr_project_get_checkpoint(project));
  g_assert_cmpstr(ck, ==, newest);
  SrTrainGallery *gallery = SR_TRAIN_GALLERY(sr_ui_test_find_type(page, SR_TYPE_TRAIN_GALLERY));
  g_assert_nonnull(gallery);
  g_assert_cmpuint(sr_train_gallery_get_n_sheets(gallery), ==, STEPS / SHEET_EVERY);
  g_assert_cmpuint(sr_train_gallery_get_n_previews(gallery), ==, STEPS / CKPT_EVERY);
  sr_ui_test_screenshot(win, "21-train-monitor");

  /* Resuming from the middle checkpoint would write over the newest, which
   * the project renders with: refused, naming it. */
  gint64 middle = 0;
  g_autofree char *middle_path = g_strdup(sr_page_train_get_checkpoint(train, 1, &middle));
  g_assert_cmpint(middle, ==, STEPS - CKPT_EVERY);
  g_assert_false(sr_page_train_resume(train, middle_path, &error));
  g_assert_nonnull(strstr(error->message, newest));
  g_clear_error(&error);
  g_assert_false(sr_stage_page_get_busy(SR_STAGE_PAGE(train)));
  g_assert_true(g_file_test(newest, G_FILE_TEST_IS_REGULAR));
  /* Rendering with the middle one, resuming from it is allowed (with its
   * row's button): the curve keeps the steps up to it and the run goes on
   * to the end. */
  sr_project_set_checkpoint(project, middle_path);
  g_autoptr(GPtrArray) resume = g_ptr_array_new();
  collect_buttons(page, "Resume from here", resume);
  g_assert_cmpuint(resume->len, ==, STEPS / CKPT_EVERY);
  g_signal_emit_by_name(g_ptr_array_index(resume, 1), "clicked");
  g_assert_true(sr_stage_page_get_busy(SR_STAGE_PAGE(train)));
  g_assert_cmpuint(sr_page_train_get_n_loss_points(train), ==, (guint)middle);
  g_assert_cmpuint(sr_page_train_get_n_checkpoints(train), ==, 2);
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(train)), 120);
  g_assert_null(sr_window_get_error(window));
  check_history(train, STEPS);
  g_assert_cmpuint(sr_page_train_get_n_checkpoints(train), ==, STEPS / CKPT_EVERY);
  g_assert_cmpstr(sr_page_train_get_checkpoint(train, 1, NULL), ==, middle_path);
  /* Resuming from the last step has nothing left to do: refused. */
  g_assert_false(sr_page_train_resume(train, sr_page_train_get_checkpoint(train, 0, NULL), &error));
  g_assert_nonnull(error);
  g_clear_error(&error);

  GtkWidget *stack = need(page, "train-views");
  gtk_stack_set_visible_child_name(GTK_STACK(stack), "gallery");
  sr_ui_test_screenshot(win, "22-train-gallery");
  gtk_stack_set_visible_child_name(GTK_STACK(stack), "loss");

  /* Another training folder lists nothing; coming back lists the
   * checkpoints on disk with their steps, losses, scores and model ids. */
  g_autofree char *out = g_strdup(sr_project_get_output_folder(project));
  g_autofree char *elsewhere = g_build_filename(sr_ui_test_tmp_dir(), "elsewhere", NULL);
  sr_project_set_output_folder(project, elsewhere);
  SR_UI_WAIT_FOR(sr_page_train_get_n_checkpoints(train) == 0, 20);
  sr_project_set_output_folder(project, out);
  SR_UI_WAIT_FOR(sr_page_train_get_n_checkpoints(train) == STEPS / CKPT_EVERY, 20);
  /* The curve comes back from the run's loss log, resume and all. */
  check_history(train, STEPS);
  sr_page_train_get_checkpoint(train, 2, &step);
  g_assert_cmpint(step, ==, CKPT_EVERY);
  SR_UI_WAIT_FOR(sr_train_gallery_get_n_sheets(gallery) == STEPS / SHEET_EVERY, 20);
  g_autoptr(GPtrArray) use = g_ptr_array_new();
  collect_buttons(page, "Use for rendering", use);
  g_assert_cmpuint(use->len, ==, STEPS / CKPT_EVERY - 1); /* the newest is in use */
  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "page-train");
  g_test_add_func("/ui/page-train", test_page);
  return sr_ui_test_finish(g_test_run());
}
