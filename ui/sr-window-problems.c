/* sr-window-problems.c — banners that go when their cause does.
 *
 * A page that refuses to start a job for want of something the archivist
 * can give (pairs, a checkpoint, an output folder) shows the refusal with
 * sr_window_show_problem() and a test of whether the cause remains; after
 * each edit (once the stage checks ran) the window asks again and hides
 * the banner when the answer is no. Any other error a page shows is hidden
 * once a job of that same page starts: whatever stood in its way is gone. */
#include "sr-window-private.h"

#include "sr-stage-page.h"

static void
forget_problem(SrWindow *self)
{
  self->problem_page = NULL;
  self->problem_still = NULL;
  g_clear_pointer(&self->problem_message, g_free);
}

void
sr_window_show_problem(SrWindow *self, GtkWidget *page, const char *message,
                       gboolean (*still)(GtkWidget *page))
{
  g_return_if_fail(SR_IS_WINDOW(self));
  sr_window_show_error(self, message);
  forget_problem(self);
  self->problem_page = page;
  self->problem_still = still;
  self->problem_message = g_strdup(message);
}

void
sr_window_note_error_page(SrWindow *self, GtkWidget *widget)
{
  g_return_if_fail(SR_IS_WINDOW(self));
  GtkWidget *page = gtk_widget_get_ancestor(widget, SR_TYPE_STAGE_PAGE);
  self->error_page = page;
}

void
sr_window_recheck_problem(SrWindow *self)
{
  if (!self->problem_still)
    return;
  /* Dismissed, or replaced by another error: nothing of ours is shown. */
  if (g_strcmp0(sr_window_get_error(self), self->problem_message) != 0) {
    forget_problem(self);
    return;
  }
  if (!self->problem_still(self->problem_page)) {
    sr_window_dismiss_error(self);
    forget_problem(self);
  }
}

void
sr_window_page_started_work(SrWindow *self, GtkWidget *page)
{
  if (self->error_page == page && sr_window_get_error(self)) {
    sr_window_dismiss_error(self);
    self->error_page = NULL;
  }
}

void
sr_window_clear_problems(SrWindow *self)
{
  forget_problem(self);
  self->error_page = NULL;
}
