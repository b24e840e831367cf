/* sr-window-actions.c — the window's win.* actions (new, open,
 * open-recent, open-demo, save, save-as, close, undo, redo, stage,
 * dismiss-banner) and the question asked before unsaved edits are lost. */
#include "sr-config.h"

#include "sr-window-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sr-timecode-spin.h"

/* ---- Actions ------------------------------------------------------------ */

static GtkFileFilter *
project_filter(void)
{
  GtkFileFilter *filter = gtk_file_filter_new();
  gtk_file_filter_set_name(filter, _("Spatial Recovery projects"));
  gtk_file_filter_add_pattern(filter, "*.srproj");
  gtk_file_filter_add_pattern(filter, "*.json");
  return filter;
}

GFile *
sr_window_dialog_folder(SrWindow *self)
{
  GFile *file = self->project ? sr_project_get_file(self->project) : NULL;
  if (file)
    return g_file_get_parent(file);
  const char *source = self->project ? sr_project_get_source_pattern(self->project) : NULL;
  if (source && g_path_is_absolute(source)) {
    g_autofree char *dir = g_path_get_dirname(source);
    if (g_file_test(dir, G_FILE_TEST_IS_DIR))
      return g_file_new_for_path(dir);
  }
  return g_file_new_for_path(g_get_home_dir());
}

static void
on_open_response(GtkNativeDialog *dialog, int response, SrWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    g_autofree char *path = file ? g_file_get_path(file) : NULL;
    /* Through win.open-recent, which asks about running jobs once the file
     * is chosen (nothing is stopped when the chooser is cancelled). */
    if (path)
      g_action_group_activate_action(G_ACTION_GROUP(self), "open-recent",
                                     g_variant_new_string(path));
    else if (file && sr_window_confirm_stop_jobs(self, NULL, NULL))
      sr_window_open_file(self, file);
  }
  g_object_unref(dialog);
}

static void
action_open(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;
  GtkFileChooserNative *dialog;

  if (!sr_window_confirm_discard(self, "open"))
    return;
  dialog = gtk_file_chooser_native_new(_("Open Project"), GTK_WINDOW(self),
                                       GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(dialog), project_filter());
  g_autoptr(GFile) folder = sr_window_dialog_folder(self);
  gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(dialog), folder, NULL);
  g_signal_connect(dialog, "response", G_CALLBACK(on_open_response), self);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

static void
action_open_recent(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;
  g_autoptr(GFile) file = g_file_new_for_path(g_variant_get_string(param, NULL));

  if (!sr_window_confirm_stop_jobs(self, "open-recent", param) ||
      !sr_window_confirm_discard(self, NULL))
    return;
  sr_window_open_file(self, file);
}

static void
action_open_demo(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;

  if (!sr_window_confirm_stop_jobs(self, "open-demo", NULL) ||
      !sr_window_confirm_discard(self, "open-demo"))
    return;
  sr_window_open_demo(self);
}

static void
action_new(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;
  g_autoptr(SrProject) project = NULL;

  if (!sr_window_confirm_stop_jobs(self, "new", NULL) || !sr_window_confirm_discard(self, "new"))
    return;
  project = sr_project_new();
  sr_window_set_project(self, project);
  sr_window_set_stage(self, "project");
}

static void
action_close(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;

  if (!sr_window_confirm_stop_jobs(self, "close", NULL) ||
      !sr_window_confirm_discard(self, "close"))
    return;
  sr_window_set_project(self, NULL);
}

static void
on_save_as_response(GtkNativeDialog *dialog, int response, SrWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT && self->project) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    g_autoptr(GError) error = NULL;
    if (file && !sr_window_save_to(self, file, &error))
      sr_window_show_error(self, error->message);
  }
  g_object_unref(dialog);
}

static void
action_save_as(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;
  GtkFileChooserNative *dialog;
  const char *name;
  g_autofree char *suggested = NULL;

  if (!self->project)
    return;
  dialog = gtk_file_chooser_native_new(_("Save Project"), GTK_WINDOW(self),
                                       GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(dialog), project_filter());
  name = sr_project_get_name(self->project);
  suggested = g_strdup_printf("%s.srproj", name && name[0] ? name : _("Untitled"));
  gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(dialog), suggested);
  g_autoptr(GFile) folder = sr_window_dialog_folder(self);
  gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(dialog), folder, NULL);
  g_signal_connect(dialog, "response", G_CALLBACK(on_save_as_response), self);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

static void
action_save(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!self->project)
    return;
  if (!sr_project_get_file(self->project)) {
    action_save_as(action, param, user_data);
    return;
  }
  if (!sr_window_save_to(self, NULL, &error))
    sr_window_show_error(self, error->message);
}

static void
action_undo(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;
  g_autoptr(GError) error = NULL;

  if (self->history && !sr_history_undo(self->history, &error))
    sr_window_show_error(self, error->message);
}

static void
action_redo(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;
  g_autoptr(GError) error = NULL;

  if (self->history && !sr_history_redo(self->history, &error))
    sr_window_show_error(self, error->message);
}

static void
action_stage(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  sr_window_set_stage(SR_WINDOW(user_data), g_variant_get_string(param, NULL));
}

static void
action_dismiss_banner(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  sr_window_dismiss_error(SR_WINDOW(user_data));
}

static const GActionEntry win_actions[] = {
    {"new", action_new, NULL, NULL, NULL, {0}},
    {"open", action_open, NULL, NULL, NULL, {0}},
    {"open-recent", action_open_recent, "s", NULL, NULL, {0}},
    {"open-demo", action_open_demo, NULL, NULL, NULL, {0}},
    {"save", action_save, NULL, NULL, NULL, {0}},
    {"save-as", action_save_as, NULL, NULL, NULL, {0}},
    {"close", action_close, NULL, NULL, NULL, {0}},
    {"undo", action_undo, NULL, NULL, NULL, {0}},
    {"redo", action_redo, NULL, NULL, NULL, {0}},
    {"stage", action_stage, "s", NULL, NULL, {0}},
    {"dismiss-banner", action_dismiss_banner, NULL, NULL, NULL, {0}},
};

/* ---- Unsaved changes ---------------------------------------------------- */

static void
on_discard_response(GtkDialog *dialog, int response, SrWindow *self)
{
  const char *then = g_object_get_data(G_OBJECT(dialog), "then");
  g_autofree char *action = g_strdup(then);

  gtk_window_destroy(GTK_WINDOW(dialog));
  if (response == GTK_RESPONSE_CANCEL || response == GTK_RESPONSE_DELETE_EVENT) {
    self->stop_confirmed = FALSE; /* the next quit asks about running jobs again */
    return;
  }
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GError) error = NULL;
    if (!sr_project_get_file(self->project)) {
      action_save_as(NULL, NULL, self);
      return;
    }
    if (!sr_window_save_to(self, NULL, &error)) {
      sr_window_show_error(self, error->message);
      return;
    }
  }
  /* Discarded or saved: the state on screen may go. */
  sr_project_set_modified(self->project, FALSE);
  if (g_strcmp0(action, "quit") == 0) {
    self->closing_confirmed = TRUE;
    gtk_window_close(GTK_WINDOW(self));
  } else if (action) {
    g_action_group_activate_action(G_ACTION_GROUP(self), action, NULL);
  }
}

/* TRUE when nothing unsaved would be lost. Otherwise asks, and re-runs the
 * win action `then` ("quit" closes the window) once the user decides. */
gboolean
sr_window_confirm_discard(SrWindow *self, const char *then)
{
  GtkWidget *dialog;

  if (!self->project || !sr_project_get_modified(self->project))
    return TRUE;
  dialog = gtk_message_dialog_new(
      GTK_WINDOW(self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_QUESTION,
      GTK_BUTTONS_NONE, _("Save changes to the project?"));
  gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(dialog), "%s",
                                           _("Unsaved edits are lost if you don't save them."));
  gtk_dialog_add_buttons(GTK_DIALOG(dialog), _("_Cancel"), GTK_RESPONSE_CANCEL, _("_Discard"),
                         GTK_RESPONSE_REJECT, _("_Save"), GTK_RESPONSE_ACCEPT, NULL);
  gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_ACCEPT);
  g_object_set_data_full(G_OBJECT(dialog), "then", g_strdup(then), g_free);
  g_signal_connect(dialog, "response", G_CALLBACK(on_discard_response), self);
  gtk_window_present(GTK_WINDOW(dialog));
  return FALSE;
}

/* ---- Jobs running when the project would go -------------------------- */

/* The question's title and its "Stop and …" button for the action `then`. */
static void
stop_wording(const char *then, const char *job, char **title, const char **button)
{
  if (g_strcmp0(then, "quit") == 0) {
    *title = g_strdup_printf(_("%s is still running. Stop it and quit?"), job);
    *button = _("_Stop and Quit");
  } else if (g_strcmp0(then, "close") == 0) {
    *title = g_strdup_printf(_("%s is still running. Stop it and close the project?"), job);
    *button = _("_Stop and Close");
  } else if (g_strcmp0(then, "new") == 0) {
    *title = g_strdup_printf(_("%s is still running. Stop it and start a new project?"), job);
    *button = _("_Stop and Start New");
  } else {
    *title = g_strdup_printf(_("%s is still running. Stop it and open another project?"), job);
    *button = _("_Stop and Open");
  }
}

static void
on_stop_response(GtkDialog *dialog, int response, SrWindow *self)
{
  g_autofree char *then = g_strdup(g_object_get_data(G_OBJECT(dialog), "then"));
  GVariant *param = g_object_get_data(G_OBJECT(dialog), "param");
  g_autoptr(GVariant) keep = param ? g_variant_ref(param) : NULL;

  self->stop_dialog = NULL;
  gtk_window_destroy(GTK_WINDOW(dialog));
  if (response != SR_WINDOW_STOP)
    return;
  if (g_strcmp0(then, "quit") == 0) {
    /* Closing asks about unsaved edits, then stops and waits. */
    self->stop_confirmed = TRUE;
    gtk_window_close(GTK_WINDOW(self));
    return;
  }
  sr_window_stop_jobs_then(self, then, keep);
}

gboolean
sr_window_confirm_stop_jobs(SrWindow *self, const char *then, GVariant *param)
{
  if (self->stop_confirmed || self->n_visible_jobs == 0)
    return TRUE;
  if (self->stop_dialog) {
    gtk_window_present(GTK_WINDOW(self->stop_dialog));
    return FALSE;
  }
  const char *job = self->visible_job ? sr_job_get_title(self->visible_job) : _("A job");
  g_autofree char *title = NULL;
  const char *button = NULL;
  stop_wording(then, job, &title, &button);
  GtkWidget *dialog =
      gtk_message_dialog_new(GTK_WINDOW(self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                             GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE, "%s", title);
  gtk_message_dialog_format_secondary_text(
      GTK_MESSAGE_DIALOG(dialog), "%s",
      _("Training keeps its last finished step as a checkpoint and can be resumed; a render "
        "keeps the frames already written."));
  gtk_dialog_add_buttons(GTK_DIALOG(dialog), _("_Keep Working"), SR_WINDOW_KEEP_WORKING, button,
                         SR_WINDOW_STOP, NULL);
  gtk_dialog_set_default_response(GTK_DIALOG(dialog), SR_WINDOW_KEEP_WORKING);
  gtk_widget_add_css_class(gtk_dialog_get_widget_for_response(GTK_DIALOG(dialog), SR_WINDOW_STOP),
                           "destructive-action");
  g_object_set_data_full(G_OBJECT(dialog), "then", g_strdup(then), g_free);
  if (param)
    g_object_set_data_full(G_OBJECT(dialog), "param", g_variant_ref_sink(param),
                           (GDestroyNotify)g_variant_unref);
  g_signal_connect(dialog, "response", G_CALLBACK(on_stop_response), self);
  self->stop_dialog = dialog;
  gtk_window_present(GTK_WINDOW(dialog));
  return FALSE;
}

void
sr_window_stop_jobs_then(SrWindow *self, const char *then, GVariant *param)
{
  g_free(self->idle_then);
  self->idle_then = g_strdup(then);
  g_clear_pointer(&self->idle_param, g_variant_unref);
  if (param)
    self->idle_param = g_variant_ref_sink(param);
  for (guint i = 0; i < self->jobs->len; i++)
    sr_job_cancel(g_ptr_array_index(self->jobs, i));
  if (self->jobs->len == 0) {
    sr_window_run_idle_then(self);
    return;
  }
  gtk_label_set_text(GTK_LABEL(self->job_message),
                     g_strcmp0(then, "quit") == 0 ? _("Stopping, then quitting…") : _("Stopping…"));
  gtk_widget_set_sensitive(self->main_stack, FALSE);
}

void
sr_window_run_idle_then(SrWindow *self)
{
  g_autofree char *then = g_steal_pointer(&self->idle_then);
  g_autoptr(GVariant) param = g_steal_pointer(&self->idle_param);

  if (!then)
    return;
  gtk_widget_set_sensitive(self->main_stack, TRUE);
  if (strcmp(then, "quit") == 0) {
    self->close_when_idle = TRUE;
    gtk_window_close(GTK_WINDOW(self));
    return;
  }
  if (strcmp(then, SR_WINDOW_SHOW_LOADED) == 0) {
    sr_window_show_loaded(self);
    return;
  }
  g_action_group_activate_action(G_ACTION_GROUP(self), then, param);
}

void
sr_window_add_actions(SrWindow *self)
{
  g_action_map_add_action_entries(G_ACTION_MAP(self), win_actions, G_N_ELEMENTS(win_actions), self);
  /* Frame numbers as the Source's timecode: a preference, kept in GSettings
   * once the window has them (sr_window_bind_preferences). */
  g_autoptr(GSimpleAction) tc =
      g_simple_action_new_stateful(SR_TIMECODE_ACTION, NULL, g_variant_new_boolean(FALSE));
  g_action_map_add_action(G_ACTION_MAP(self), G_ACTION(tc));
}

void
sr_window_bind_preferences(SrWindow *self, GSettings *settings)
{
  g_autoptr(GAction) tc = g_settings_create_action(settings, SR_TIMECODE_ACTION);
  g_action_map_add_action(G_ACTION_MAP(self), tc);
}
