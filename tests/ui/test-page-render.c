/* The Render page under Xvfb (demo project): a range rendered through the
 * range entry, the filmstrip filling with the rendered frames, an invalid
 * range refused, QA measurement reaching the page, flags by key and by
 * button (undoable), and flagged frames becoming pairs while a held-out
 * frame stays held out. */
#include "sr-config.h"

#include "sr-filmstrip.h"
#include "sr-page-pairs-private.h"
#include "sr-page-render-private.h"
#include "sr-ui-test.h"
#include "sr-viewer.h"

/* The action a key of the page's shortcut controller runs. */
static GtkShortcut *
find_key(GtkWidget *page, guint keyval)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers(page);
  GtkShortcut *found = NULL;

  for (guint i = 0; !found && i < g_list_model_get_n_items(controllers); i++) {
    g_autoptr(GObject) c = g_list_model_get_item(controllers, i);
    if (!GTK_IS_SHORTCUT_CONTROLLER(c))
      continue;
    for (guint k = 0; !found && k < g_list_model_get_n_items(G_LIST_MODEL(c)); k++) {
      g_autoptr(GtkShortcut) s = g_list_model_get_item(G_LIST_MODEL(c), k);
      GtkShortcutTrigger *t = gtk_shortcut_get_trigger(s);
      if (GTK_IS_KEYVAL_TRIGGER(t) &&
          gtk_keyval_trigger_get_keyval(GTK_KEYVAL_TRIGGER(t)) == keyval)
        found = s;
    }
  }
  g_assert_nonnull(found);
  return found;
}

static void
press(GtkWidget *page, guint keyval)
{
  GtkShortcut *s = find_key(page, keyval);
  gtk_shortcut_action_activate(gtk_shortcut_get_action(s), 0, page, gtk_shortcut_get_arguments(s));
}

static const SrFlag *
flag_of(SrProject *project, int frame)
{
  const GArray *flags = sr_project_get_flags(project);
  for (guint i = 0; i < flags->len; i++)
    if (g_array_index(flags, SrFlag, i).frame == frame)
      return &g_array_index(flags, SrFlag, i);
  return NULL;
}

static void
test_page(void)
{
  g_autoptr(SrApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  SrUiStall stall;
  int sf = 0, sl = 0;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  SrProject *project = sr_window_get_project(window);
  GtkWidget *win = GTK_WIDGET(window);
  sr_ui_test_train_tiny(window, 12);

  sr_window_set_stage(window, "render");
  GtkWidget *page = sr_window_get_page(window, "render");
  SrPageRender *render = SR_PAGE_RENDER(page);
  SR_UI_WAIT_FOR(sr_page_render_get_source_range(render, &sf, &sl), 30);
  SR_UI_WAIT_FOR(!sr_page_render_get_qa_busy(render), 30);
  g_assert_cmpint(sl - sf, >=, 8);
  /* The page leaves room for the stage sidebar on a 1280-pixel screen. */
  int page_min = 0;
  gtk_widget_measure(page, GTK_ORIENTATION_HORIZONTAL, -1, &page_min, NULL, NULL, NULL);
  int win_min = 0;
  gtk_widget_measure(win, GTK_ORIENTATION_HORIZONTAL, -1, &win_min, NULL, NULL, NULL);
  g_test_message("render page minimum width: %d (window %d)", page_min, win_min);
  g_assert_cmpint(page_min, <=, 1050);
  g_assert_cmpuint(sr_page_render_get_n_rendered(render), ==, 0);
  /* The training run's checkpoints are offered, the project's chosen. */
  GtkDropDown *drop = GTK_DROP_DOWN(sr_ui_test_find_type(page, GTK_TYPE_DROP_DOWN));
  g_assert_cmpuint(g_list_model_get_n_items(gtk_drop_down_get_model(drop)), >=, 3);
  guint chosen = gtk_drop_down_get_selected(drop);
  g_assert_cmpuint(chosen, !=, GTK_INVALID_LIST_POSITION);
  /* An earlier checkpoint is one click away, and the choice is an undoable edit. */
  g_autofree char *latest = g_strdup(sr_project_get_checkpoint(project));
  /* (Training set the checkpoint a moment ago: keep that its own undo step.) */
  sr_history_break_merge(sr_window_get_history(window));
  gtk_drop_down_set_selected(drop, 0);
  g_assert_cmpstr(sr_project_get_checkpoint(project), !=, latest);
  g_assert_true(g_str_has_suffix(sr_project_get_checkpoint(project), "step_000004.safetensors"));
  g_assert_true(sr_history_undo(sr_window_get_history(window), &error));
  g_assert_no_error(error);
  g_assert_cmpstr(sr_project_get_checkpoint(project), ==, latest);
  g_assert_cmpuint(gtk_drop_down_get_selected(drop), ==, chosen);
  SR_UI_WAIT_FOR(!sr_page_render_get_qa_busy(render), 30);

  /* A range outside the Source is refused with a message naming it. */
  sr_page_render_set_range(render, sf - 20, sf - 10);
  gtk_widget_activate_action(page, "render.render-range", NULL);
  g_assert_false(sr_stage_page_get_busy(SR_STAGE_PAGE(render)));
  g_assert_nonnull(strstr(sr_page_render_get_range_message(render), "outside"));
  g_assert_false(sr_page_render_render_range(render, &error));
  g_assert_nonnull(error);
  g_clear_error(&error);
  sr_page_render_set_range(render, sf + 3, sf);
  g_assert_false(sr_page_render_render_range(render, &error));
  g_assert_nonnull(strstr(error->message, "after"));
  g_clear_error(&error);
  g_assert_false(sr_stage_page_get_busy(SR_STAGE_PAGE(render)));

  /* Two frames first: the viewer's first picture (GL set-up) is a one-off
   * cost that the stall measurement below should not count. */
  sr_page_render_set_range(render, sf, sf + 1);
  gtk_widget_activate_action(page, "render.render-range", NULL);
  g_assert_true(sr_stage_page_get_busy(SR_STAGE_PAGE(render)));
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(render)), 120);
  g_assert_cmpint(sr_page_render_get_n_done(render), ==, 2);
  SR_UI_WAIT_FOR(!sr_page_render_get_qa_busy(render), 60);
  sr_ui_test_pump(500);

  /* Four frames through the range entry (two are found complete and
   * skipped); the strip fills as they finish. */
  sr_page_render_set_range(render, sf, sf + 3);
  g_assert_null(strstr(sr_page_render_get_range_message(render), "outside"));
  sr_ui_stall_start(&stall);
  gtk_widget_activate_action(page, "render.render-range", NULL);
  g_assert_true(sr_stage_page_get_busy(SR_STAGE_PAGE(render)));
  SR_UI_WAIT_FOR(!sr_stage_page_get_busy(SR_STAGE_PAGE(render)), 120);
  g_assert_null(sr_window_get_error(window));
  g_assert_cmpint(sr_page_render_get_n_done(render), ==, 4);
  g_assert_cmpuint(sr_page_render_get_n_rendered(render), ==, 4);
  g_autofree char *pattern = sr_page_render_get_output_pattern(render);
  g_assert_nonnull(pattern);

  SrFilmstrip *strip = SR_FILMSTRIP(sr_page_render_get_strip(render));
  int first = 0, last = 0;
  guint with_picture = 0;
  sr_filmstrip_get_range(strip, &first, &last);
  g_assert_cmpint(first, ==, sf);
  g_assert_cmpint(last, ==, sf + 3);
  SR_UI_WAIT_FOR(sr_filmstrip_get_n_shown(strip, &with_picture) == 4 && with_picture == 4, 30);
  g_assert_true(sr_filmstrip_get_cell_marks(strip, sf + 2) & SR_FILMSTRIP_MARK_RENDERED);
  /* The current frame shows large: Source on A, Recovered on B. */
  SrViewer *viewer = SR_VIEWER(sr_ui_test_find_type(page, SR_TYPE_VIEWER));
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf);
  SR_UI_WAIT_FOR(sr_viewer_get_frame_a(viewer) && sr_viewer_get_frame_b(viewer), 20);
  g_assert_cmpint(sr_viewer_get_mode(viewer), ==, SR_VIEWER_MODE_WIPE);

  /* QA runs after the render and its results reach the page. */
  SR_UI_WAIT_FOR(!sr_page_render_get_qa_busy(render), 60);
  double worst = sr_ui_stall_stop(&stall);
  g_test_message("worst main-loop stall during render + QA: %.1f ms", worst);
  g_assert_cmpfloat(worst, <, sr_ui_stall_limit_ms());
  g_assert_cmpint(sr_page_render_get_n_qa_measured(render), ==, 4);
  for (int f = sf; f <= sf + 3; f++)
    g_assert_nonnull(sr_page_render_get_qa_reasons(render, f));
  g_autofree char *render_dir = g_path_get_dirname(pattern);
  g_autofree char *qa_csv = g_build_filename(render_dir, "qa", "qa-frames.csv", NULL);
  g_assert_true(g_file_test(qa_csv, G_FILE_TEST_IS_REGULAR));
  SR_UI_WAIT_FOR(!sr_viewer_is_preparing(viewer), 10);
  sr_ui_test_screenshot(win, "23-render-strip");

  /* Frames already on disk when the page opens are found and measured. */
  g_object_set(page, "project", NULL, NULL);
  g_assert_cmpint(sr_page_render_get_n_qa_measured(render), ==, -1);
  g_assert_cmpuint(sr_page_render_get_n_rendered(render), ==, 0);
  g_object_set(page, "project", project, NULL);
  SR_UI_WAIT_FOR(sr_page_render_get_n_rendered(render) == 4, 30);
  SR_UI_WAIT_FOR(!sr_page_render_get_qa_busy(render), 60);
  g_assert_cmpint(sr_page_render_get_n_qa_measured(render), ==, 4);
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf);

  /* Scrubbing: arrow keys and clicks on the strip. */
  press(page, GDK_KEY_Right);
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf + 1);
  g_signal_emit_by_name(strip, "frame-activated", sf + 3);
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf + 3);
  press(page, GDK_KEY_Right); /* stays on the last rendered frame */
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf + 3);
  press(page, GDK_KEY_Left);
  press(page, GDK_KEY_Left);
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf + 1);
  g_assert_cmpint(sr_filmstrip_get_current(strip), ==, sf + 1);
  /* A thumbnail of the strip clicked last has the focus: the page's keys
   * (a capture-phase controller) still answer; W, S, D and T pick the
   * view. */
  gtk_widget_grab_focus(GTK_WIDGET(strip));
  g_assert_true(sr_ui_test_press_page_key(page, GDK_KEY_Right));
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf + 2);
  g_assert_true(sr_ui_test_press_page_key(page, GDK_KEY_Left));
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf + 1);
  /* End and Home: the last and the first rendered frame; Page Down and
   * Page Up step ten frames, held inside the rendered ones. */
  g_assert_true(sr_ui_test_press_page_key(page, GDK_KEY_End));
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf + 3);
  g_assert_true(sr_ui_test_press_page_key(page, GDK_KEY_Home));
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf);
  g_assert_true(sr_ui_test_press_page_key(page, GDK_KEY_Page_Down));
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf + 3);
  g_assert_true(sr_ui_test_press_page_key(page, GDK_KEY_Page_Up));
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf);
  g_assert_true(sr_ui_test_press_page_key(page, GDK_KEY_Right));
  g_assert_cmpint(sr_page_render_get_frame(render), ==, sf + 1);
  g_assert_true(sr_ui_test_press_page_key(page, GDK_KEY_d));
  g_assert_true(gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(render->mode_difference)));
  g_assert_true(sr_ui_test_press_page_key(page, GDK_KEY_t));
  g_assert_true(gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(render->mode_recovered)));
  g_assert_true(sr_ui_test_press_page_key(page, GDK_KEY_t));
  g_assert_true(gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(render->mode_source)));
  g_assert_true(sr_ui_test_press_page_key(page, GDK_KEY_s));
  g_assert_true(gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(render->mode_side)));
  g_assert_true(sr_ui_test_press_page_key(page, GDK_KEY_w));
  g_assert_true(gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(render->mode_wipe)));

  /* Flag with the F key: it asks for a reason. */
  press(page, GDK_KEY_f);
  SR_UI_WAIT_FOR(sr_page_render_get_flag_popup_visible(render), 5);
  gtk_widget_activate_action(page, "render.flag-reason", "s", "Halos");
  g_assert_false(sr_page_render_get_flag_popup_visible(render));
  g_assert_nonnull(flag_of(project, sf + 1));
  g_assert_cmpstr(flag_of(project, sf + 1)->reason, ==, "Halos");
  g_assert_true(sr_filmstrip_get_cell_marks(strip, sf + 1) & SR_FILMSTRIP_MARK_FLAGGED);
  /* Undo through the window's history removes it. */
  g_assert_true(sr_history_undo(sr_window_get_history(window), &error));
  g_assert_no_error(error);
  g_assert_null(flag_of(project, sf + 1));
  g_assert_false(sr_filmstrip_get_cell_marks(strip, sf + 1) & SR_FILMSTRIP_MARK_FLAGGED);
  g_assert_true(sr_history_redo(sr_window_get_history(window), &error));
  g_assert_nonnull(flag_of(project, sf + 1));

  /* Flag with the button and a typed reason. */
  sr_page_render_set_frame(render, sf + 2);
  GtkMenuButton *flag_button = GTK_MENU_BUTTON(sr_ui_test_find_type(page, GTK_TYPE_MENU_BUTTON));
  gtk_menu_button_popup(flag_button);
  SR_UI_WAIT_FOR(sr_page_render_get_flag_popup_visible(render), 5);
  GtkWidget *entry =
      sr_ui_test_find_type(GTK_WIDGET(gtk_menu_button_get_popover(flag_button)), GTK_TYPE_ENTRY);
  g_assert_nonnull(entry);
  gtk_editable_set_text(GTK_EDITABLE(entry), "  Ringing along the fence  ");
  g_signal_emit_by_name(entry, "activate");
  g_assert_nonnull(flag_of(project, sf + 2));
  g_assert_cmpstr(flag_of(project, sf + 2)->reason, ==, "Ringing along the fence");

  /* Unflag, and undo the unflag. */
  gtk_widget_activate_action(page, "render.unflag", NULL);
  g_assert_null(flag_of(project, sf + 2));
  g_assert_true(sr_history_undo(sr_window_get_history(window), &error));
  g_assert_nonnull(flag_of(project, sf + 2));

  /* A held-out frame flagged too: it must stay held out. */
  if (sr_project_has_pair(project, sf))
    sr_project_remove_pair(project, sf);
  g_assert_true(sr_project_add_held_out(project, sf, &error));
  g_assert_no_error(error);
  sr_page_render_set_frame(render, sf);
  g_assert_true(sr_page_render_flag_current(render, "Flicker", &error));
  g_assert_false(sr_page_render_flag_current(render, "   ", &error));
  g_clear_error(&error);
  sr_page_render_set_frame(render, sf + 2);
  SR_UI_WAIT_FOR(!sr_viewer_is_preparing(viewer), 10);
  sr_ui_test_screenshot(win, "24-render-flag");

  /* Flagged frames become pairs; the Pairs stage shows them. */
  gboolean was_pair1 = sr_project_has_pair(project, sf + 1);
  gtk_widget_activate_action(page, "render.add-flagged-pairs", NULL);
  g_assert_cmpstr(sr_window_get_stage(window), ==, "pairs");
  g_assert_true(sr_project_has_pair(project, sf + 1));
  g_assert_true(sr_project_has_pair(project, sf + 2));
  g_assert_false(sr_project_has_pair(project, sf));
  g_assert_true(sr_project_is_held_out(project, sf));
  g_assert_cmpint(sr_page_pairs_get_frame(SR_PAGE_PAIRS(sr_window_get_page(window, "pairs"))), ==,
                  was_pair1 ? sf + 2 : sf + 1);
  const char *message = sr_page_render_get_review_message(render);
  g_test_message("add pairs: %s", message);
  g_assert_nonnull(strstr(message, "held out"));
  g_assert_nonnull(strstr(message, was_pair1 ? "already" : "Added"));
  /* The same summary is on the window's banner, over the Pairs stage. */
  g_assert_cmpstr(sr_window_get_info(window), ==, message);
  g_assert_null(sr_window_get_error(window));
  sr_ui_test_screenshot(win, "24b-render-pairs-added");
  /* The model predates the new pairs: the Train stage says so. */
  sr_window_refresh_stages(window);
  SR_UI_WAIT_FOR(!sr_window_get_checking(window), 30);
  const char *train_reason = NULL;
  g_assert_cmpint(sr_window_get_stage_state(window, "train", &train_reason), ==, SR_STAGE_READY);
  g_autofree char *added_frame = g_strdup_printf("%d", was_pair1 ? sf + 2 : sf + 1);
  g_assert_nonnull(strstr(train_reason, added_frame));

  /* The whole batch is one undo step. */
  g_autoptr(GError) undo_error = NULL;
  g_assert_true(sr_history_undo(sr_window_get_history(window), &undo_error));
  g_assert_no_error(undo_error);
  g_assert_cmpint(sr_project_has_pair(project, sf + 2), ==, FALSE);
  g_assert_cmpint(sr_project_has_pair(project, sf + 1), ==, was_pair1);

  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "page-render");
  g_test_add_func("/ui/page-render", test_page);
  return sr_ui_test_finish(g_test_run());
}
