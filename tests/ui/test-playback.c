/* Playback on the Review page (demo project under Xvfb, a tiny model, six
 * rendered frames): Space plays at the chosen rate from the frame clock,
 * the frame advances and wraps inside the loop set with I and O, the
 * counter adds up (frames shown + dropped = frames due), J/K/L shuttle as
 * in editing suites, the main loop never stalls while it plays, pausing
 * leaves the frame where it is, and leaving the page pauses. */
#include "sr-config.h"

#include "sr-page-review-private.h"
#include "sr-ui-test.h"

static void
check_counter(SrPageReview *review)
{
  guint64 due = 0, shown = 0, dropped = 0;
  sr_page_review_get_playback_stats(review, &due, &shown, &dropped);
  g_assert_cmpuint(shown + dropped, ==, due);
}

static void
test_playback(void)
{
  g_autoptr(SrApplication) app = NULL;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  sr_ui_test_train_tiny(window, 12);
  int first = sr_ui_test_render_first(window, 6);
  sr_window_set_stage(window, "review");
  SrPageReview *review = SR_PAGE_REVIEW(sr_window_get_page(window, "review"));
  GtkWidget *page = GTK_WIDGET(review);
  SR_UI_WAIT_FOR(sr_page_review_get_settled(review), 60);
  int in = 0, out = 0;
  sr_page_review_get_loop(review, &in, &out);
  g_assert_cmpint(in, ==, first);
  g_assert_cmpint(out, ==, first + 5);

  /* I and O set a loop of frames 2..5 of the render. */
  sr_page_review_set_frame(review, first + 1);
  g_assert_true(gtk_widget_activate_action(page, "review.loop", "i", 0));
  sr_page_review_set_frame(review, first + 4);
  g_assert_true(gtk_widget_activate_action(page, "review.loop", "i", 1));
  sr_page_review_get_loop(review, &in, &out);
  g_assert_cmpint(in, ==, first + 1);
  g_assert_cmpint(out, ==, first + 4);

  /* Space plays: every frame stays in the loop, it wraps, the counter adds
   * up, and the main loop keeps turning. */
  SrUiStall stall;
  sr_ui_stall_start(&stall);
  g_assert_true(gtk_widget_activate_action(page, "review.play", NULL));
  g_assert_cmpint(sr_page_review_get_speed(review), ==, 1);
  int prev = sr_page_review_get_frame(review), changes = 0, wraps = 0;
  gint64 end = g_get_monotonic_time() + 4 * G_USEC_PER_SEC;
  while ((wraps < 2 || changes < 6) && g_get_monotonic_time() < end) {
    g_main_context_iteration(NULL, FALSE);
    int f = sr_page_review_get_frame(review);
    g_assert_cmpint(f, >=, first + 1);
    g_assert_cmpint(f, <=, first + 4);
    changes += f != prev;
    wraps += f < prev;
    prev = f;
    check_counter(review);
  }
  double worst = sr_ui_stall_stop(&stall);
  guint64 due = 0, shown = 0, dropped = 0;
  sr_page_review_get_playback_stats(review, &due, &shown, &dropped);
  g_print("# playback at %g fps: %llu frames due, %llu shown, %llu dropped; worst stall %.1f ms\n",
          sr_page_review_get_fps(review), (unsigned long long)due, (unsigned long long)shown,
          (unsigned long long)dropped, worst);
  g_assert_cmpint(changes, >=, 6);
  g_assert_cmpint(wraps, >=, 2);
  g_assert_cmpuint(shown, >, 0);
  g_assert_cmpfloat(worst, <, sr_ui_stall_limit_ms());
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), "review-playing");

  /* J/K/L: L again doubles, J turns back at 1× then doubles, K pauses. */
  g_assert_true(gtk_widget_activate_action(page, "review.shuttle", "i", 1));
  g_assert_cmpint(sr_page_review_get_speed(review), ==, 2);
  g_assert_true(gtk_widget_activate_action(page, "review.shuttle", "i", 1));
  g_assert_cmpint(sr_page_review_get_speed(review), ==, 4);
  g_assert_true(gtk_widget_activate_action(page, "review.shuttle", "i", -1));
  g_assert_cmpint(sr_page_review_get_speed(review), ==, -1);
  /* Backwards it still wraps inside the loop. */
  prev = sr_page_review_get_frame(review);
  int back = 0;
  end = g_get_monotonic_time() + 4 * G_USEC_PER_SEC;
  while (back < 3 && g_get_monotonic_time() < end) {
    g_main_context_iteration(NULL, FALSE);
    int f = sr_page_review_get_frame(review);
    g_assert_cmpint(f, >=, first + 1);
    g_assert_cmpint(f, <=, first + 4);
    back += f != prev && (f == prev - 1 || (prev == first + 1 && f == first + 4));
    prev = f;
    check_counter(review);
  }
  g_assert_cmpint(back, >=, 3);
  g_assert_true(gtk_widget_activate_action(page, "review.shuttle", "i", -1));
  g_assert_cmpint(sr_page_review_get_speed(review), ==, -2);
  g_assert_true(gtk_widget_activate_action(page, "review.shuttle", "i", 0));
  g_assert_cmpint(sr_page_review_get_speed(review), ==, 0);
  int paused = sr_page_review_get_frame(review);
  sr_ui_test_pump(300);
  g_assert_cmpint(sr_page_review_get_frame(review), ==, paused);
  SR_UI_WAIT_FOR(sr_page_review_get_settled(review), 30);
  check_counter(review);

  /* Space again plays at 1× from there; the whole render loops again. */
  g_assert_true(gtk_widget_activate_action(page, "review.loop", "i", -1));
  g_assert_true(gtk_widget_activate_action(page, "review.play", NULL));
  g_assert_cmpint(sr_page_review_get_speed(review), ==, 1);
  g_assert_true(gtk_widget_activate_action(page, "review.play", NULL));
  g_assert_cmpint(sr_page_review_get_speed(review), ==, 0);
  /* Leaving the page pauses playback. */
  g_assert_true(gtk_widget_activate_action(page, "review.shuttle", "i", 1));
  g_assert_cmpint(sr_page_review_get_speed(review), ==, 1);
  sr_window_set_stage(window, "render");
  SR_UI_WAIT_FOR(!gtk_widget_get_mapped(page), 5);
  g_assert_cmpint(sr_page_review_get_speed(review), ==, 0);
  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "playback");
  g_test_add_func("/ui/review/playback", test_playback);
  return sr_ui_test_finish(g_test_run());
}
