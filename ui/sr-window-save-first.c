/* sr-window-save-first.c — no job writes for a project that has no file.
 *
 * A job's outputs (pairs, checkpoints, renders, masters, notes) are placed
 * relative to the project file; an unsaved project has none, and they would
 * land in whatever folder the program was started from. So a page that
 * starts a job first calls sr_window_save_first(): with a saved project the
 * job starts at once; otherwise the window asks where to save (a native
 * file chooser), saves there, and then starts it. Cancelling starts
 * nothing and says why. Tests answer the question with
 * sr_window_set_save_answer() instead of a dialog. */
#include "sr-window-private.h"

#include <glib/gi18n.h>

typedef struct {
  SrWindow *window;
  GtkWidget *page;
  SrWindowThen then;
  gpointer data;
  GDestroyNotify destroy;
} SaveFirst;

static void
save_first_free(SaveFirst *s)
{
  if (s->destroy)
    s->destroy(s->data);
  g_object_unref(s->page);
  g_object_unref(s->window);
  g_free(s);
}

/* The user's answer: a file to save to, or NULL for Cancel. */
static void
answered(SaveFirst *s, GFile *file)
{
  g_autoptr(GError) error = NULL;
  SrWindow *self = s->window;

  if (!file || !self->project) {
    sr_window_show_info(self, _("Nothing was started: save the project first, so the job's files "
                                "go beside it."));
  } else if (!sr_window_save_to(self, file, &error)) {
    sr_window_show_error(self, error->message);
  } else {
    s->then(s->page, s->data);
  }
  save_first_free(s);
}

static void
on_response(GtkNativeDialog *dialog, int response, SaveFirst *s)
{
  g_autoptr(GFile) file =
      response == GTK_RESPONSE_ACCEPT ? gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog)) : NULL;
  answered(s, file);
  g_object_unref(dialog);
}

gboolean
sr_window_save_first(SrWindow *self, GtkWidget *page, SrWindowThen then, gpointer data,
                     GDestroyNotify destroy)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), FALSE);
  if (!self->project || sr_project_get_file(self->project)) {
    if (destroy)
      destroy(data);
    return TRUE;
  }
  SaveFirst *s = g_new0(SaveFirst, 1);
  s->window = g_object_ref(self);
  s->page = g_object_ref(page);
  s->then = then;
  s->data = data;
  s->destroy = destroy;
  self->save_questions++;
  if (self->save_answer_set) {
    /* Tests: the answer given beforehand, at once. */
    g_autoptr(GFile) answer = self->save_answer ? g_object_ref(self->save_answer) : NULL;
    answered(s, answer);
    return FALSE;
  }
  GtkFileChooserNative *dialog =
      gtk_file_chooser_native_new(_("Save the Project Before the Job"), GTK_WINDOW(self),
                                  GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  const char *name = sr_project_get_name(self->project);
  g_autofree char *suggested = g_strdup_printf("%s.srproj", name && *name ? name : _("Untitled"));
  gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(dialog), suggested);
  g_signal_connect(dialog, "response", G_CALLBACK(on_response), s);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
  return FALSE;
}

void
sr_window_set_save_answer(SrWindow *self, GFile *file)
{
  g_return_if_fail(SR_IS_WINDOW(self));
  g_set_object(&self->save_answer, file);
  self->save_answer_set = TRUE;
}

guint
sr_window_get_n_save_questions(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), 0);
  return self->save_questions;
}
