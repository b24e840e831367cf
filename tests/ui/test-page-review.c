/* The Review page under Xvfb (demo project): empty state, the A/B viewer in
 * every mode, scopes of both pictures that follow the scrubber, per-frame
 * metric plots that move the viewer, the acceptance checklist with undo,
 * frame flags, stills export, and main-loop stalls while scrubbing. */
#include "sr-config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "sr-page-review-private.h"
#include "sr-ui-test.h"

static void
wait_settled(SrPageReview *page)
{
  SrViewer *v = sr_page_review_get_viewer(page);
  SR_UI_WAIT_FOR(sr_page_review_get_settled(page) && !sr_viewer_is_preparing(v), 30);
  sr_ui_test_pump(100);
}

static guint64
scope_hash(SrPageReview *page, gboolean vectorscope, gboolean recovered)
{
  return sr_scope_view_get_content_hash(sr_page_review_get_scope(page, vectorscope, recovered));
}

static void
set_mode(SrPageReview *page, int i)
{
  gtk_widget_activate_action(GTK_WIDGET(page), "review.mode", "i", i);
  sr_ui_test_pump(150);
  SR_UI_WAIT_FOR(!sr_viewer_is_preparing(sr_page_review_get_viewer(page)), 10);
}

/* The first button under widget bound to action (with any target). */
static GtkWidget *
find_action_button(GtkWidget *widget, const char *action)
{
  if (GTK_IS_BUTTON(widget) &&
      g_strcmp0(gtk_actionable_get_action_name(GTK_ACTIONABLE(widget)), action) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child(widget); c; c = gtk_widget_get_next_sibling(c)) {
    GtkWidget *found = find_action_button(c, action);
    if (found)
      return found;
  }
  return NULL;
}

static gboolean
has_flag(SrProject *project, int frame)
{
  const GArray *flags = sr_project_get_flags(project);
  for (guint i = 0; i < flags->len; i++)
    if (g_array_index(flags, SrFlag, i).frame == frame)
      return TRUE;
  return FALSE;
}

static void
test_page(void)
{
  g_autoptr(SrApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  int first, last;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  SrProject *project = sr_window_get_project(window);
  SrPageReview *page = SR_PAGE_REVIEW(sr_window_get_page(window, "review"));
  g_assert_nonnull(page);

  /* Before any render: the empty state and its way to the Render stage. */
  sr_window_set_stage(window, "review");
  sr_ui_test_pump(600);
  g_assert_false(sr_page_review_get_has_render(page, NULL, NULL));
  g_assert_false(sr_page_review_measure(page, &error));
  g_clear_error(&error);
  sr_ui_test_screenshot(GTK_WIDGET(window), "25a-review-empty");
  GtkWidget *go_render = find_action_button(GTK_WIDGET(page), "win.stage");
  g_assert_nonnull(go_render);
  g_assert_true(gtk_widget_get_visible(go_render) && gtk_widget_get_mapped(go_render));
  g_signal_emit_by_name(go_render, "clicked");
  g_assert_cmpstr(sr_window_get_stage(window), ==, "render");

  sr_ui_test_train_tiny(window, 12);
  int rendered_first = sr_ui_test_render_first(window, 4);

  sr_window_set_stage(window, "review");
  SR_UI_WAIT_FOR(sr_page_review_get_has_render(page, &first, &last), 30);
  g_assert_cmpint(first, ==, rendered_first);
  g_assert_cmpint(last, ==, rendered_first + 3);
  g_assert_cmpint(sr_page_review_get_frame(page), ==, first);
  wait_settled(page);
  SrViewer *v = sr_page_review_get_viewer(page);
  g_assert_nonnull(sr_viewer_get_frame_a(v));
  g_assert_nonnull(sr_viewer_get_frame_b(v));
  g_assert_cmpint(sr_frame_get_number(sr_viewer_get_frame_a(v)), ==, first);
  g_assert_cmpint(sr_frame_get_number(sr_viewer_get_frame_b(v)), ==, first);

  /* The metrics are measured on their own when the page shows a render. */
  SR_UI_WAIT_FOR(!sr_page_review_get_measuring(page) && sr_page_review_get_n_measured(page) == 4,
                 60);
  for (int i = 0; i < SR_REVIEW_N_ITEMS; i++)
    g_assert_cmpint(sr_metric_plot_get_n_points(sr_page_review_get_plot(page, i)), ==, 4);

  /* Scopes of both pictures: Recovered's waveform differs from Original's
   * (that is the recovered detail). */
  for (int scope = 0; scope < 2; scope++)
    for (int side = 0; side < 2; side++)
      g_assert_true(sr_scope_view_has_picture(sr_page_review_get_scope(page, scope, side)));
  g_assert_cmpuint(scope_hash(page, FALSE, FALSE), !=, scope_hash(page, FALSE, TRUE));

  /* Every mode, from the page's actions (what the buttons and keys use). */
  set_mode(page, 0);
  g_assert_cmpint(sr_viewer_get_mode(v), ==, SR_VIEWER_MODE_WIPE);
  sr_ui_test_screenshot(GTK_WIDGET(window), "25-review-wipe");
  set_mode(page, 1);
  g_assert_cmpint(sr_viewer_get_mode(v), ==, SR_VIEWER_MODE_SIDE_BY_SIDE);
  sr_ui_test_screenshot(GTK_WIDGET(window), "26-review-split");
  set_mode(page, 2);
  g_assert_cmpint(sr_viewer_get_mode(v), ==, SR_VIEWER_MODE_B);
  gtk_widget_activate_action(GTK_WIDGET(page), "review.toggle", NULL);
  g_assert_cmpint(sr_viewer_get_mode(v), ==, SR_VIEWER_MODE_A);
  gtk_widget_activate_action(GTK_WIDGET(page), "review.toggle", NULL);
  g_assert_cmpint(sr_viewer_get_mode(v), ==, SR_VIEWER_MODE_B);
  sr_ui_test_pump(150);
  sr_ui_test_screenshot(GTK_WIDGET(window), "27-review-toggle");
  set_mode(page, 3);
  g_assert_cmpint(sr_viewer_get_mode(v), ==, SR_VIEWER_MODE_DIFFERENCE);
  sr_ui_test_screenshot(GTK_WIDGET(window), "28-review-difference");
  /* The viewer's own T key goes back to a single picture; the page follows. */
  sr_viewer_toggle_ab(v);
  g_assert_cmpint(sr_viewer_get_mode(v), ==, SR_VIEWER_MODE_A);
  GtkWidget *toggle = sr_ui_test_find_button(GTK_WIDGET(page), "Toggle");
  g_assert_nonnull(toggle);
  g_assert_true(gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(toggle)));
  /* The buttons: Toggle from Wipe shows Recovered; clicked again, Original. */
  set_mode(page, 0);
  g_assert_false(gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(toggle)));
  g_signal_emit_by_name(toggle, "clicked");
  g_assert_cmpint(sr_viewer_get_mode(v), ==, SR_VIEWER_MODE_B);
  g_signal_emit_by_name(toggle, "clicked");
  g_assert_cmpint(sr_viewer_get_mode(v), ==, SR_VIEWER_MODE_A);
  g_assert_true(gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(toggle)));
  g_signal_emit_by_name(sr_ui_test_find_button(GTK_WIDGET(page), "Split"), "clicked");
  g_assert_cmpint(sr_viewer_get_mode(v), ==, SR_VIEWER_MODE_SIDE_BY_SIDE);
  set_mode(page, 0);

  /* Scrubbing: the scopes follow the frame. */
  guint64 wave_a = scope_hash(page, FALSE, FALSE), wave_b = scope_hash(page, FALSE, TRUE);
  guint updates = sr_scope_view_get_updates(sr_page_review_get_scope(page, FALSE, FALSE));
  gtk_widget_activate_action(GTK_WIDGET(page), "review.step", "i", 1);
  gtk_widget_activate_action(GTK_WIDGET(page), "review.step", "i", 1);
  g_assert_cmpint(sr_page_review_get_frame(page), ==, first + 2);
  wait_settled(page);
  g_assert_cmpint(sr_frame_get_number(sr_viewer_get_frame_b(v)), ==, first + 2);
  g_assert_cmpuint(sr_scope_view_get_updates(sr_page_review_get_scope(page, FALSE, FALSE)), >,
                   updates);
  g_assert_cmpuint(scope_hash(page, FALSE, FALSE), !=, wave_a);
  g_assert_cmpuint(scope_hash(page, FALSE, TRUE), !=, wave_b);
  gtk_widget_activate_action(GTK_WIDGET(page), "review.step", "i", G_MAXINT32);
  g_assert_cmpint(sr_page_review_get_frame(page), ==, last);

  /* Clicking a point of a plot shows that frame. */
  SrMetricPlot *plot = sr_page_review_get_plot(page, 0);
  double px, py;
  g_assert_true(sr_metric_plot_get_point_position(plot, 1, &px, &py));
  g_assert_cmpint(sr_metric_plot_click(plot, px, py), ==, first + 1);
  g_assert_cmpint(sr_page_review_get_frame(page), ==, first + 1);
  wait_settled(page);
  /* Its tooltip: on a point, that frame; away from the points, the title
   * and the frame shown in full, whatever the plot's width cut short. */
  g_autofree char *on_point = sr_metric_plot_tooltip_text(plot, px);
  g_autofree char *on_point_want = g_strdup_printf("Frame %d: ", first + 1);
  g_assert_true(g_str_has_prefix(on_point, on_point_want));
  g_autofree char *away = sr_metric_plot_tooltip_text(plot, -1000);
  g_assert_nonnull(away);
  g_assert_nonnull(strstr(away, sr_metric_plot_get_title(plot)));
  g_assert_nonnull(strstr(away, on_point_want));

  /* Stalls while scrubbing back and forth. */
  SrUiStall stall;
  sr_ui_stall_start(&stall);
  for (int i = 0; i < 24; i++) {
    sr_page_review_set_frame(page, first + (i % 4));
    sr_ui_test_pump(40);
  }
  wait_settled(page);
  double worst = sr_ui_stall_stop(&stall);
  g_test_message("worst main-loop stall while scrubbing: %.1f ms", worst);
  g_printerr("review: worst main-loop stall while scrubbing: %.1f ms\n", worst);
  g_assert_cmpfloat(worst, <, 1000);

  /* The checklist reaches the project and undo reverts it. */
  SrHistory *history = sr_window_get_history(window);
  for (int i = 0; i < SR_REVIEW_N_ITEMS; i++)
    g_assert_false(gtk_check_button_get_active(sr_page_review_get_check(page, i)));
  gtk_check_button_set_active(sr_page_review_get_check(page, 4), TRUE);
  g_assert_true(sr_project_get_accepted(project, sr_page_review_item_id(4)));
  g_assert_true(sr_history_undo(history, &error));
  g_assert_no_error(error);
  g_assert_false(sr_project_get_accepted(project, sr_page_review_item_id(4)));
  g_assert_false(gtk_check_button_get_active(sr_page_review_get_check(page, 4)));
  sr_project_set_accepted(project, sr_page_review_item_id(0), TRUE);
  g_assert_true(gtk_check_button_get_active(sr_page_review_get_check(page, 0)));

  /* Flagging the frame shown, with F while a check box of the checklist has
   * the focus (clicked last): the page's keys still answer, and the button
   * then offers to take the flag off instead of "Flag frame". */
  int frame = sr_page_review_get_frame(page);
  GtkButton *flag_button = GTK_BUTTON(page->flag_button);
  g_assert_cmpstr(gtk_button_get_label(flag_button), ==, "Flag frame");
  gtk_widget_grab_focus(GTK_WIDGET(sr_page_review_get_check(page, 1)));
  g_assert_true(sr_ui_test_press_page_key(GTK_WIDGET(page), GDK_KEY_f));
  g_assert_true(has_flag(project, frame));
  g_assert_cmpstr(gtk_button_get_label(flag_button), ==, "Flagged — Unflag");
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "review-flagged");
  g_assert_true(sr_ui_test_press_page_key(GTK_WIDGET(page), GDK_KEY_Left));
  g_assert_cmpint(sr_page_review_get_frame(page), ==, frame - 1);
  g_assert_cmpstr(gtk_button_get_label(flag_button), ==, "Flag frame");
  g_assert_true(sr_ui_test_press_page_key(GTK_WIDGET(page), GDK_KEY_Right));
  wait_settled(page);
  g_assert_true(sr_ui_test_press_page_key(GTK_WIDGET(page), GDK_KEY_f));
  g_assert_false(has_flag(project, frame));
  g_assert_true(sr_history_undo(history, &error));
  g_assert_true(has_flag(project, frame));
  g_assert_true(sr_history_undo(history, &error));
  g_assert_false(has_flag(project, frame));

  /* The plots keep the accepted band in their range: Sharpness gain's
   * lower limit (-0.5 dB), and at least 2 dB of range; Flicker's upper
   * limit. */
  double vmin, vmax;
  sr_metric_plot_get_value_range(sr_page_review_get_plot(page, 0), &vmin, &vmax);
  g_assert_cmpfloat(vmin, <=, -0.5);
  g_assert_cmpfloat(vmax - vmin, >=, 2.0);
  sr_metric_plot_get_value_range(sr_page_review_get_plot(page, 2), &vmin, &vmax);
  g_assert_cmpfloat(vmax, >=, 0.01);
  g_assert_cmpfloat(vmin, >=, 0); /* flicker is never negative */

  /* Stills of the frame shown. */
  g_assert_true(sr_page_review_export_stills(page, &error));
  g_assert_no_error(error);
  SR_UI_WAIT_FOR(!sr_page_review_get_exporting(page), 60);
  g_assert_null(sr_window_get_error(window));
  const GPtrArray *stills = sr_page_review_get_stills(page);
  g_assert_nonnull(stills);
  g_assert_cmpuint(stills->len, ==, 6);
  g_autofree char *dir =
      g_build_filename(sr_project_get_output_folder(project), "validation", "stills", NULL);
  for (guint i = 0; i < stills->len; i++) {
    const char *path = g_ptr_array_index(stills, i);
    GStatBuf st;
    g_assert_true(g_str_has_prefix(path, dir));
    g_assert_true(g_str_has_suffix(path, ".png"));
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_size, >, 2000);
    g_autofree char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpint(memcmp(data, "\x89PNG", 4), ==, 0);
  }
  g_assert_nonnull(strstr(sr_page_review_get_message(page), "6 stills"));
  g_autofree char *wipe = g_strdup_printf("frame-%06d-wipe.png", frame);
  g_autofree char *wipe_path = g_build_filename(dir, wipe, NULL);
  g_assert_true(g_file_test(wipe_path, G_FILE_TEST_IS_REGULAR));
  sr_ui_test_pump(300);
  sr_ui_test_screenshot(GTK_WIDGET(window), "28b-review-stills");

  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "page-review");
  g_test_add_func("/ui/page-review", test_page);
  return sr_ui_test_finish(g_test_run());
}
