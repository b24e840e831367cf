/* sr-page-train-runs.c — the Train page and the runs on disk: the loss
 * history read back from the run's loss log, the status line of a run that
 * is not running ("Stopped at step N of M"), and the question "Start
 * training" asks when the project already has a run (resume it, or start a
 * new run in a folder of its own, so no checkpoint is written over). */
#include "sr-page-train-private.h"

#include <glib/gi18n.h>

#include "sr-loss-log.h"
#include "sr-training-runs.h"
#include "sr-ui-util.h"

GArray *
sr_page_train_read_loss_log(const char *out_dir)
{
  GArray *points = g_array_new(FALSE, FALSE, sizeof(SrLossPoint));
  g_autofree char *path = g_build_filename(out_dir, SR_LOSS_LOG_NAME, NULL);
  sr_loss_entry *v = NULL;
  size_t n = 0;
  sr_error err = {0};

  /* An unreadable log is an empty curve; the checkpoints still list. */
  if (!sr_loss_log_read(path, &v, &n, NULL, &err))
    return points;
  g_array_set_size(points, (guint)n);
  for (size_t i = 0; i < n; i++)
    g_array_index(points, SrLossPoint, i) =
        (SrLossPoint){v[i].step, v[i].loss, v[i].loss_avg, v[i].lr};
  free(v);
  return points;
}

/* "Run 2: " for a run past the first, else "". */
static char *
run_prefix(SrPageTrain *self, const char *run_dir)
{
  int n = sr_training_run_number(sr_page_train_project_of(self), run_dir);
  return n > 1 ? g_strdup_printf(_("Run %d: "), n) : g_strdup("");
}

void
sr_page_train_show_run_state(SrPageTrain *self)
{
  SrProject *project = sr_page_train_project_of(self);
  if (!project || sr_page_train_is_running(self))
    return;
  SrTrainingSettings t;
  sr_project_get_training(project, &t);
  gint64 saved = self->rows->len ? g_array_index(self->rows, CkptRow, 0).step : 0;
  gint64 logged =
      self->points->len ? g_array_index(self->points, SrLossPoint, self->points->len - 1).step : 0;
  gint64 steps = MAX(t.steps, saved);
  g_autofree char *out_dir = sr_page_train_get_out_dir(self);
  g_autofree char *prefix = run_prefix(self, out_dir);
  g_autofree char *text = NULL;

  sr_loss_plot_set_steps(SR_LOSS_PLOT(self->plot), MAX(steps, logged));
  if (saved == 0 && logged == 0)
    text = g_strdup(_("Not started."));
  else if (saved == 0)
    text = g_strdup_printf(_("%sStopped at step %lld of %lld before its first checkpoint."), prefix,
                           (long long)logged, (long long)steps);
  else if (saved >= t.steps)
    text = g_strdup_printf(_("%sFinished at step %lld."), prefix, (long long)saved);
  else
    text = g_strdup_printf(_("%sStopped at step %lld of %lld."), prefix, (long long)saved,
                           (long long)steps);
  gtk_label_set_text(GTK_LABEL(self->status_label), text);
  g_autofree char *tip = g_strdup_printf("%s\n%s", text, out_dir);
  gtk_widget_set_tooltip_text(self->status_label, tip);
  g_clear_pointer(&self->status_text, g_free);
}

static void
on_start_response(GtkDialog *dialog, int response, SrPageTrain *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *resume = g_strdup(g_object_get_data(G_OBJECT(dialog), "resume"));
  gboolean ok = TRUE;

  self->start_dialog = NULL;
  gtk_window_destroy(GTK_WINDOW(dialog));
  if (response == SR_TRAIN_START_RESUME && resume)
    ok = sr_page_train_resume(self, resume, &error);
  else if (response == SR_TRAIN_START_NEW)
    ok = sr_page_train_start(self, &error);
  if (!ok)
    sr_page_train_show_start_error(self, error);
}

void
sr_page_train_ask_start(SrPageTrain *self)
{
  g_autoptr(GError) error = NULL;
  SrProject *project = sr_page_train_project_of(self);
  g_autofree char *current = project ? sr_training_current_run_dir(project) : NULL;

  if (self->start_dialog)
    return;
  if (!current || !sr_training_dir_has_run(current) || self->rows->len == 0) {
    if (!sr_page_train_start(self, &error))
      sr_page_train_show_start_error(self, error);
    return;
  }
  SrTrainingSettings t;
  sr_project_get_training(project, &t);
  const CkptRow *last = &g_array_index(self->rows, CkptRow, 0);
  g_autofree char *next = sr_training_new_run_dir(project);
  g_autofree char *prefix = run_prefix(self, current);
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  GtkWidget *dialog = gtk_message_dialog_new(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
                                             GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                             GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE, "%s",
                                             _("This project already has a training run"));
  g_autofree char *where =
      last->step < t.steps
          ? g_strdup_printf(_("%sstopped at step %lld of %d."), prefix, (long long)last->step,
                            t.steps)
          : g_strdup_printf(_("%sfinished at step %lld."), prefix, (long long)last->step);
  gtk_message_dialog_format_secondary_text(
      GTK_MESSAGE_DIALOG(dialog),
      _("The run in %s %s\nResume it, or start a new run in %s? The checkpoints already written "
        "are kept either way."),
      current, where, next);
  gtk_dialog_add_buttons(GTK_DIALOG(dialog), _("_Cancel"), GTK_RESPONSE_CANCEL,
                         _("Start a _New Run"), SR_TRAIN_START_NEW, _("_Resume"),
                         SR_TRAIN_START_RESUME, NULL);
  /* A finished run has nothing to resume at these settings. */
  gboolean can_resume = last->step < t.steps;
  gtk_dialog_set_response_sensitive(GTK_DIALOG(dialog), SR_TRAIN_START_RESUME, can_resume);
  gtk_dialog_set_default_response(GTK_DIALOG(dialog),
                                  can_resume ? SR_TRAIN_START_RESUME : SR_TRAIN_START_NEW);
  g_object_set_data_full(G_OBJECT(dialog), "resume", g_strdup(last->path), g_free);
  g_signal_connect(dialog, "response", G_CALLBACK(on_start_response), self);
  self->start_dialog = dialog;
  gtk_window_present(GTK_WINDOW(dialog));
}

GtkWidget *
sr_page_train_get_start_dialog(SrPageTrain *self)
{
  return self->start_dialog;
}
