/* Every stage fits a 1280×720 screen (demo project under Xvfb, a tiny
 * trained model and two rendered frames, so the later stages show their
 * full content): the window's content asks for no more than 1280×720 with
 * its header bar, and the widgets an archivist needs on each stage (the
 * filmstrip, the checklist, the provenance, "Add Flagged Frames", status
 * lines) are shown and either wholly inside the window or inside a
 * scrolled window that reaches them. Screenshots of every stage at
 * 1280×720 and 1920×1080. */
#include "sr-config.h"

#include <string.h>

#include "sr-filmstrip.h"
#include "sr-page-deliver-private.h"
#include "sr-page-render-private.h"
#include "sr-page-review-private.h"
#include "sr-page-train-private.h"
#include "sr-ui-test.h"

#define MAX_W 1280
#define MAX_H 720

/* Prints the widgets under root that ask for more than half the limit, so
 * a failure names what forces the size. */
static void
dump_wide(GtkWidget *w, int depth)
{
  int mw = 0, mh = 0;
  gtk_widget_measure(w, GTK_ORIENTATION_HORIZONTAL, -1, &mw, NULL, NULL, NULL);
  gtk_widget_measure(w, GTK_ORIENTATION_VERTICAL, -1, &mh, NULL, NULL, NULL);
  if (mw > MAX_W / 4 || mh > MAX_H / 3) {
    const char *label = GTK_IS_LABEL(w) ? gtk_label_get_text(GTK_LABEL(w)) : "";
    g_printerr("# %*s%s %s min %d×%d %.40s\n", depth * 2, "", G_OBJECT_TYPE_NAME(w),
               gtk_widget_get_name(w), mw, mh, label);
  }
  if (GTK_IS_SCROLLED_WINDOW(w))
    return;
  for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
    if (gtk_widget_get_visible(c) &&
        (!GTK_IS_STACK(w) || c == gtk_stack_get_visible_child(GTK_STACK(w))))
      dump_wide(c, depth + 1);
}

static void
measure_window(SrWindow *window, int *w, int *h)
{
  GtkWidget *child = gtk_window_get_child(GTK_WINDOW(window));
  GtkWidget *bar = gtk_window_get_titlebar(GTK_WINDOW(window));
  int bar_h = 0, child_h = 0;
  gtk_widget_measure(child, GTK_ORIENTATION_HORIZONTAL, -1, w, NULL, NULL, NULL);
  gtk_widget_measure(child, GTK_ORIENTATION_VERTICAL, MAX_W, &child_h, NULL, NULL, NULL);
  if (bar)
    gtk_widget_measure(bar, GTK_ORIENTATION_VERTICAL, MAX_W, &bar_h, NULL, NULL, NULL);
  *h = child_h + bar_h;
  g_print("# header bar %d px high\n", bar_h);
}

static void
check_stage(SrWindow *window, const char *stage)
{
  int w = 0, h = 0;
  sr_window_set_stage(window, stage);
  sr_ui_test_pump(200);
  measure_window(window, &w, &h);
  g_print("# %s: the window asks for at least %d×%d\n", stage, w, h);
  if (w > MAX_W || h > MAX_H || g_getenv("SR_LAYOUT_DUMP")) {
    dump_wide(gtk_window_get_child(GTK_WINDOW(window)), 0);
    g_test_fail_printf("the %s stage needs %d×%d, more than %d×%d", stage, w, h, MAX_W, MAX_H);
  }
}

/* Shown, and wholly inside the window or inside a scrolled window that is
 * itself on screen (so scrolling reaches it). */
static void
check_reachable(SrWindow *window, GtkWidget *w, const char *what)
{
  GtkWidget *win = GTK_WIDGET(window);
  graphene_rect_t r, s;
  int ww = gtk_widget_get_width(win), wh = gtk_widget_get_height(win);

  if (!gtk_widget_get_mapped(w))
    g_error("%s is not shown at %d×%d", what, ww, wh);
  g_assert_true(gtk_widget_compute_bounds(w, win, &r));
  if (r.origin.x >= 0 && r.origin.y >= 0 && r.origin.x + r.size.width <= ww + 0.5 &&
      r.origin.y + r.size.height <= wh + 0.5 && r.size.width > 0 && r.size.height > 0)
    return;
  GtkWidget *scroller = gtk_widget_get_ancestor(w, GTK_TYPE_SCROLLED_WINDOW);
  if (!scroller)
    g_error("%s lies outside the %d×%d window (%g,%g %g×%g) and nothing scrolls to it", what, ww,
            wh, r.origin.x, r.origin.y, r.size.width, r.size.height);
  g_assert_true(gtk_widget_compute_bounds(scroller, win, &s));
  if (s.origin.y < 0 || s.origin.y + s.size.height > wh + 0.5 || s.size.height < 24 ||
      s.origin.x + s.size.width > ww + 0.5)
    g_error("%s scrolls in a panel that is itself cut off (%g,%g %g×%g)", what, s.origin.x,
            s.origin.y, s.size.width, s.size.height);
}

/* A status line: shown and reachable; at 1366×768 and up not cut off,
 * below that cut off only with the whole text in its tooltip. */
static void
check_status(SrWindow *window, GtkWidget *label, const char *what, gboolean roomy)
{
  check_reachable(window, label, what);
  const char *text = gtk_label_get_text(GTK_LABEL(label));
  if (!*text || !pango_layout_is_ellipsized(gtk_label_get_layout(GTK_LABEL(label))))
    return;
  if (roomy)
    g_error("%s is cut off at %d×%d: \"%s\"", what, gtk_widget_get_width(GTK_WIDGET(window)),
            gtk_widget_get_height(GTK_WIDGET(window)), text);
  const char *tip = gtk_widget_get_tooltip_text(label);
  if (!tip || !strstr(tip, text))
    g_error("%s is cut off without its text in a tooltip: \"%s\"", what, text);
}

static void
check_key_widgets(SrWindow *window, const char *stage, gboolean roomy)
{
  GtkWidget *page = sr_window_get_page(window, stage);

  if (g_str_equal(stage, "pairs")) {
    check_reachable(window, sr_ui_test_find_type(page, SR_TYPE_FILMSTRIP), "the Pairs filmstrip");
  } else if (g_str_equal(stage, "train")) {
    check_status(window, SR_PAGE_TRAIN(page)->status_label, "the Train status", roomy);
    check_reachable(window, SR_PAGE_TRAIN(page)->start_button, "Start training");
  } else if (g_str_equal(stage, "render")) {
    SrPageRender *render = SR_PAGE_RENDER(page);
    check_reachable(window, render->strip, "the Render filmstrip");
    check_reachable(window, render->add_pairs_button, "Add Flagged Frames as Pairs");
    check_status(window, render->status_label, "the Render status", roomy);
    check_status(window, render->frame_label, "the Render frame line", roomy);
    check_status(window, render->qa_frame_label, "the Render QA line", roomy);
  } else if (g_str_equal(stage, "review")) {
    SrPageReview *review = SR_PAGE_REVIEW(page);
    check_reachable(window, review->checklist, "the acceptance checklist");
    check_status(window, review->measure_label, "the Review measure line", roomy);
    check_reachable(window, review->play_button, "Play");
    check_status(window, review->play_label, "the playback line", roomy);
  } else if (g_str_equal(stage, "deliver")) {
    SrPageDeliver *deliver = SR_PAGE_DELIVER(page);
    check_reachable(window, deliver->film_title, "the provenance");
    check_reachable(window, deliver->deliver_button, "Deliver");
    check_status(window, deliver->status_label, "the Deliver status", roomy);
  }
}

static void
check_sizes(SrWindow *window, const char *stage)
{
  static const int sizes[][2] = {{1280, 720}, {1366, 768}};
  for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
    gtk_window_set_default_size(GTK_WINDOW(window), sizes[i][0], sizes[i][1]);
    sr_ui_test_pump(300);
    check_key_widgets(window, stage, i > 0);
  }
  g_autofree char *shot = g_strdup_printf("layout-%s", stage);
  sr_ui_test_screenshot_sizes(GTK_WIDGET(window), shot);
}

static void
test_layout(void)
{
  g_autoptr(SrApplication) app = NULL;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  sr_ui_test_train_tiny(window, 12);
  sr_ui_test_render_first(window, 2);
  for (int i = 0; i < SR_N_STAGES; i++) {
    check_stage(window, sr_stage_ids[i]);
    check_sizes(window, sr_stage_ids[i]);
  }
  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "layout");
  g_test_add_func("/ui/layout/fits-1280x720", test_layout);
  return sr_ui_test_finish(g_test_run());
}
