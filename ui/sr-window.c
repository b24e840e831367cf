/* sr-window.c — SrWindow (see sr-window.h): the project shown, loading and
 * saving it, jobs and the job bar, the banner, the title and recent
 * projects. Stage states are in sr-window-stages.c, actions in
 * sr-window-actions.c. */
#include "sr-config.h"

#include "sr-window-private.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sr-demo.h"
#include "sr-page-project.h"

/* A job that ran at least this long while the window was unfocused ends
 * with a desktop notification. */
#define NOTIFY_AFTER_S 10.0

G_DEFINE_FINAL_TYPE(SrWindow, sr_window, GTK_TYPE_APPLICATION_WINDOW)

enum { SIGNAL_PROJECT_LOADED, SIGNAL_STAGES_UPDATED, N_SIGNALS };

static guint signals[N_SIGNALS];

void
sr_window_emit_stages_updated(SrWindow *self)
{
  g_signal_emit(self, signals[SIGNAL_STAGES_UPDATED], 0);
}

/* ---- Banner ------------------------------------------------------------ */

/* One banner serves both: a problem (warning icon, red) or what a step
 * just did elsewhere in the window (information icon, blue). */
static void
show_banner(SrWindow *self, const char *message, gboolean is_error)
{
  gtk_image_set_from_icon_name(GTK_IMAGE(self->banner_icon), is_error
                                                                 ? "dialog-warning-symbolic"
                                                                 : "dialog-information-symbolic");
  if (is_error)
    gtk_widget_remove_css_class(self->banner, "info");
  else
    gtk_widget_add_css_class(self->banner, "info");
  gtk_label_set_text(GTK_LABEL(self->banner_label), message);
  gtk_revealer_set_reveal_child(GTK_REVEALER(self->banner_revealer), TRUE);
}

void
sr_window_show_error(SrWindow *self, const char *message)
{
  g_return_if_fail(SR_IS_WINDOW(self));
  g_clear_pointer(&self->info, g_free);
  g_free(self->error);
  self->error = g_strdup(message);
  show_banner(self, message, TRUE);
}

void
sr_window_show_info(SrWindow *self, const char *message)
{
  g_return_if_fail(SR_IS_WINDOW(self));
  /* A standing error is not hidden by news. */
  if (self->error)
    return;
  g_free(self->info);
  self->info = g_strdup(message);
  show_banner(self, message, FALSE);
}

const char *
sr_window_get_info(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), NULL);
  return self->info;
}

void
sr_window_dismiss_error(SrWindow *self)
{
  g_return_if_fail(SR_IS_WINDOW(self));
  g_clear_pointer(&self->error, g_free);
  g_clear_pointer(&self->info, g_free);
  gtk_revealer_set_reveal_child(GTK_REVEALER(self->banner_revealer), FALSE);
}

const char *
sr_window_get_error(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), NULL);
  return self->error;
}

/* ---- Jobs ------------------------------------------------------------- */

typedef struct {
  SrWindow *window; /* weak: the window may close first */
  GAsyncReadyCallback callback;
  gpointer user_data;
  gboolean visible;
} JobClosure;

static void
update_job_bar(SrWindow *self)
{
  SrJob *job = self->visible_job;
  double fraction;
  const char *message;

  if (!job)
    return;
  fraction = sr_job_get_fraction(job);
  if (fraction < 0.0)
    gtk_progress_bar_pulse(GTK_PROGRESS_BAR(self->job_progress));
  else
    gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->job_progress), fraction);
  message = sr_job_get_message(job);
  gtk_label_set_text(GTK_LABEL(self->job_message), message ? message : "");
  gtk_widget_set_tooltip_text(self->job_message, message);
}

static void
on_job_progress(SrJob *job, GParamSpec *pspec, gpointer user_data)
{
  update_job_bar(SR_WINDOW(user_data));
}

static void
notify_finished(SrWindow *self, SrJob *job)
{
  GApplication *app = G_APPLICATION(gtk_window_get_application(GTK_WINDOW(self)));
  g_autoptr(GNotification) note = NULL;
  g_autofree char *body = NULL;
  SrJobState state = sr_job_get_state(job);

  /* Notifications travel over the session bus; without one there is no
   * desktop to tell. */
  if (!app || !g_application_get_dbus_connection(app) || gtk_window_is_active(GTK_WINDOW(self)) ||
      sr_job_get_elapsed(job) < NOTIFY_AFTER_S)
    return;
  if (state == SR_JOB_STATE_SUCCEEDED) {
    note = g_notification_new(sr_job_get_title(job));
    body = g_strdup_printf(_("Finished in %.0f s."), sr_job_get_elapsed(job));
  } else if (state == SR_JOB_STATE_FAILED) {
    g_autofree char *title = g_strdup_printf(_("%s failed"), sr_job_get_title(job));
    const GError *error = sr_job_get_error(job);
    note = g_notification_new(title);
    body = g_strdup(error ? error->message : "");
  } else {
    return;
  }
  g_notification_set_body(note, body);
  g_application_send_notification(app, "job-finished", note);
}

static void
on_job_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  JobClosure *closure = user_data;
  SrJob *job = SR_JOB(source);
  g_autoptr(SrWindow) self = closure->window ? g_object_ref(closure->window) : NULL;

  if (self) {
    g_object_remove_weak_pointer(G_OBJECT(self), (gpointer *)&closure->window);
    g_ptr_array_remove(self->jobs, job);
    if (closure->visible)
      self->n_visible_jobs--;
    if (closure->visible && self->visible_job == job) {
      g_signal_handlers_disconnect_by_data(job, self);
      g_clear_object(&self->visible_job);
      gtk_revealer_set_reveal_child(GTK_REVEALER(self->job_revealer), FALSE);
      notify_finished(self, job);
    }
    if (sr_job_get_state(job) == SR_JOB_STATE_FAILED && !closure->callback) {
      const GError *error = sr_job_get_error(job);
      sr_window_show_error(self, error ? error->message : _("The job failed."));
    }
  }
  if (closure->callback)
    closure->callback(source, result, closure->user_data);
  /* Visible jobs (training, rendering, delivery) change what is on disk;
   * the stage checks' own jobs are hidden, so this never loops. The check
   * is queued after the page's callback so it sees the page idle. */
  if (self && closure->visible && self->project && !self->idle_then && !self->close_when_idle)
    sr_window_queue_stage_check(self);
  /* Quitting or switching projects waited for this: the last worker has
   * returned. */
  if (self && self->idle_then && self->jobs->len == 0)
    sr_window_run_idle_then(self);
  g_free(closure);
}

void
sr_window_run_job(SrWindow *self, SrJob *job, gboolean visible, GAsyncReadyCallback callback,
                  gpointer user_data)
{
  g_return_if_fail(SR_IS_WINDOW(self));
  g_return_if_fail(SR_IS_JOB(job));

  JobClosure *closure = g_new0(JobClosure, 1);
  closure->window = self;
  closure->callback = callback;
  closure->user_data = user_data;
  closure->visible = visible;
  g_object_add_weak_pointer(G_OBJECT(self), (gpointer *)&closure->window);
  g_ptr_array_add(self->jobs, g_object_ref(job));
  if (visible)
    self->n_visible_jobs++;

  if (visible) {
    if (self->visible_job)
      g_signal_handlers_disconnect_by_data(self->visible_job, self);
    g_set_object(&self->visible_job, job);
    gtk_label_set_text(GTK_LABEL(self->job_title), sr_job_get_title(job));
    gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->job_progress), 0.0);
    gtk_label_set_text(GTK_LABEL(self->job_message), "");
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(self->job_pause), FALSE);
    g_signal_connect(job, "notify::fraction", G_CALLBACK(on_job_progress), self);
    g_signal_connect(job, "notify::message", G_CALLBACK(on_job_progress), self);
    gtk_revealer_set_reveal_child(GTK_REVEALER(self->job_revealer), TRUE);
  }
  sr_job_start(job, NULL, on_job_done, closure);
  if (visible && self->project)
    sr_window_queue_stage_check(self);
}

GtkWidget *
sr_window_get_stop_dialog(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), NULL);
  return self->stop_dialog;
}

guint
sr_window_get_jobs_at_last_switch(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), 0);
  return self->jobs_at_switch;
}

guint
sr_window_get_n_jobs(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), 0);
  return self->jobs->len;
}

static void
on_job_pause_toggled(GtkToggleButton *button, SrWindow *self)
{
  gboolean paused = gtk_toggle_button_get_active(button);

  if (!self->visible_job)
    return;
  if (paused)
    sr_job_pause(self->visible_job);
  else
    sr_job_resume(self->visible_job);
  gtk_button_set_icon_name(GTK_BUTTON(button), paused ? "media-playback-start-symbolic"
                                                      : "media-playback-pause-symbolic");
  gtk_widget_set_tooltip_text(GTK_WIDGET(button), paused ? _("Resume") : _("Pause"));
}

static void
on_job_cancel_clicked(GtkButton *button, SrWindow *self)
{
  if (self->visible_job)
    sr_job_cancel(self->visible_job);
}

/* ---- Title ------------------------------------------------------------ */

static void
update_title(SrWindow *self)
{
  const char *name = NULL;
  GFile *file = NULL;
  gboolean modified = FALSE;
  g_autofree char *title = NULL;

  if (self->project) {
    name = sr_project_get_name(self->project);
    file = sr_project_get_file(self->project);
    modified = sr_project_get_modified(self->project);
  }
  if (self->project && (!name || !name[0])) {
    if (file) {
      g_autofree char *base = g_file_get_basename(file);
      title = g_strdup(base);
    } else {
      title = g_strdup(_("Untitled Project"));
    }
  } else {
    title = g_strdup(self->project ? name : "Spatial Recovery");
  }
  gtk_label_set_text(GTK_LABEL(self->title_label), title);
  gtk_window_set_title(GTK_WINDOW(self), title);
  gtk_widget_set_visible(self->modified_mark, modified);

  if (file) {
    g_autofree char *path = g_file_get_path(file);
    g_autofree char *dir = path ? g_path_get_dirname(path) : NULL;
    const char *home = g_get_home_dir();
    g_autofree char *shown = NULL;
    if (dir && home && g_str_has_prefix(dir, home) && home[1])
      shown = g_strconcat("~", dir + strlen(home), NULL);
    else
      shown = g_strdup(dir);
    gtk_label_set_text(GTK_LABEL(self->subtitle_label), shown ? shown : "");
    gtk_widget_set_tooltip_text(self->subtitle_label, path);
    gtk_widget_set_visible(self->subtitle_label, shown != NULL);
  } else {
    gtk_widget_set_visible(self->subtitle_label, FALSE);
  }
}

static void
update_actions(SrWindow *self)
{
  GActionMap *map = G_ACTION_MAP(self);
  gboolean has = self->project != NULL;

  g_simple_action_set_enabled(G_SIMPLE_ACTION(g_action_map_lookup_action(map, "save")), has);
  g_simple_action_set_enabled(G_SIMPLE_ACTION(g_action_map_lookup_action(map, "save-as")), has);
  g_simple_action_set_enabled(G_SIMPLE_ACTION(g_action_map_lookup_action(map, "close")), has);
  g_simple_action_set_enabled(G_SIMPLE_ACTION(g_action_map_lookup_action(map, "stage")), has);
  g_simple_action_set_enabled(G_SIMPLE_ACTION(g_action_map_lookup_action(map, "undo")),
                              self->history && sr_history_get_can_undo(self->history));
  g_simple_action_set_enabled(G_SIMPLE_ACTION(g_action_map_lookup_action(map, "redo")),
                              self->history && sr_history_get_can_redo(self->history));
}

static void
on_history_notify(SrHistory *history, GParamSpec *pspec, SrWindow *self)
{
  const char *undo = sr_history_get_undo_label(history);
  const char *redo = sr_history_get_redo_label(history);
  g_autofree char *undo_tip = undo ? g_strdup_printf(_("Undo “%s” (Ctrl+Z)"), undo) : NULL;
  g_autofree char *redo_tip = redo ? g_strdup_printf(_("Redo “%s” (Ctrl+Shift+Z)"), redo) : NULL;

  update_actions(self);
  gtk_widget_set_tooltip_text(self->undo_button, undo_tip ? undo_tip : _("Undo (Ctrl+Z)"));
  gtk_widget_set_tooltip_text(self->redo_button, redo_tip ? redo_tip : _("Redo (Ctrl+Shift+Z)"));
}

/* ---- Project ------------------------------------------------------------ */

static void
on_project_changed(SrProject *project, const char *description, SrWindow *self)
{
  update_title(self);
  sr_window_queue_stage_check(self);
}

static void
on_project_notify(SrProject *project, GParamSpec *pspec, SrWindow *self)
{
  update_title(self);
}

void
sr_window_set_project(SrWindow *self, SrProject *project)
{
  g_return_if_fail(SR_IS_WINDOW(self));
  self->jobs_at_switch = self->jobs->len;

  if (self->history)
    g_signal_handlers_disconnect_by_data(self->history, self);
  g_clear_object(&self->history);
  g_set_object(&self->project, project);
  g_signal_group_set_target(self->project_signals, project);
  sr_window_dismiss_error(self);

  if (project) {
    self->history = sr_history_new(project);
    g_signal_connect(self->history, "notify", G_CALLBACK(on_history_notify), self);
  }
  for (int i = 0; i < SR_N_STAGES; i++)
    g_object_set(self->pages[i], "project", project, NULL);

  if (project) {
    gtk_stack_set_visible_child_name(GTK_STACK(self->main_stack), "workspace");
    sr_window_reset_stages(self);
    sr_window_refresh_stages(self);
  } else {
    gtk_stack_set_visible_child_name(GTK_STACK(self->main_stack), "welcome");
  }
  update_title(self);
  update_actions(self);
  if (project)
    on_history_notify(self->history, NULL, self);
  g_signal_emit(self, signals[SIGNAL_PROJECT_LOADED], 0);
}

SrProject *
sr_window_get_project(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), NULL);
  return self->project;
}

SrHistory *
sr_window_get_history(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), NULL);
  return self->history;
}

static void rebuild_recent(SrWindow *self);

static void
remember_project(SrWindow *self)
{
  GtkApplication *app = gtk_window_get_application(GTK_WINDOW(self));
  GFile *file = self->project ? sr_project_get_file(self->project) : NULL;
  g_autofree char *path = file ? g_file_get_path(file) : NULL;

  if (path && app && SR_IS_APPLICATION(app)) {
    sr_application_add_recent(SR_APPLICATION(app), path);
    /* Other windows hear of it through the settings' change signal. */
    rebuild_recent(self);
  }
}

static void
set_loading(SrWindow *self, const char *what)
{
  self->loading = what != NULL;
  if (what) {
    gtk_label_set_text(GTK_LABEL(self->loading_label), what);
    gtk_spinner_start(GTK_SPINNER(self->loading_spinner));
    gtk_stack_set_visible_child_name(GTK_STACK(self->main_stack), "loading");
  } else {
    gtk_spinner_stop(GTK_SPINNER(self->loading_spinner));
    gtk_stack_set_visible_child_name(GTK_STACK(self->main_stack),
                                     self->project ? "workspace" : "welcome");
  }
}

typedef struct {
  GFile *file;
  char *demo_dir;
  SrProject *project; /* result */
} LoadData;

static void
load_data_free(gpointer data)
{
  LoadData *d = data;
  g_clear_object(&d->file);
  g_clear_object(&d->project);
  g_free(d->demo_dir);
  g_free(d);
}

static gboolean
load_thread(SrJob *job, gpointer data, GError **error)
{
  LoadData *d = data;

  if (d->demo_dir) {
    sr_job_set_progress(job, -1.0, _("Writing the demo sequences"));
    char *path = sr_demo_ensure(d->demo_dir, job, error);
    if (!path)
      return FALSE;
    d->file = g_file_new_for_path(path);
    g_free(path);
  }
  sr_job_set_progress(job, -1.0, _("Reading the project"));
  d->project = sr_project_load(d->file, error);
  return d->project != NULL;
}

static void
on_load_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrWindow *self = user_data;
  LoadData *d = sr_job_get_data(SR_JOB(source));
  g_autoptr(GError) error = NULL;

  if (sr_job_finish(SR_JOB(source), result, &error)) {
    /* Jobs the shown project started meanwhile are stopped and waited for
     * before it goes (sr_window_show_loaded). */
    g_set_object(&self->loaded, d->project);
    sr_window_stop_jobs_then(self, SR_WINDOW_SHOW_LOADED, NULL);
  } else {
    set_loading(self, NULL);
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      sr_window_show_error(self, error->message);
    g_signal_emit(self, signals[SIGNAL_PROJECT_LOADED], 0);
  }
  g_object_unref(self);
}

void
sr_window_show_loaded(SrWindow *self)
{
  g_autoptr(SrProject) project = g_steal_pointer(&self->loaded);
  set_loading(self, NULL);
  if (project) {
    sr_window_set_project(self, project);
    remember_project(self);
  }
}

static void
start_load(SrWindow *self, LoadData *d, const char *title, gboolean visible)
{
  g_autoptr(SrJob) job = sr_job_new(title, load_thread, d, load_data_free);

  sr_window_dismiss_error(self);
  set_loading(self, title);
  sr_window_run_job(self, job, visible, on_load_done, g_object_ref(self));
}

void
sr_window_open_file(SrWindow *self, GFile *file)
{
  g_return_if_fail(SR_IS_WINDOW(self));
  g_return_if_fail(G_IS_FILE(file));

  LoadData *d = g_new0(LoadData, 1);
  d->file = g_object_ref(file);
  start_load(self, d, _("Opening the project"), FALSE);
}

void
sr_window_open_demo(SrWindow *self)
{
  g_return_if_fail(SR_IS_WINDOW(self));

  LoadData *d = g_new0(LoadData, 1);
  d->demo_dir = sr_application_get_demo_dir();
  start_load(self, d, _("Preparing the demo project"), TRUE);
}

gboolean
sr_window_save_to(SrWindow *self, GFile *file, GError **error)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), FALSE);
  g_return_val_if_fail(self->project != NULL, FALSE);

  GFile *target = file ? file : sr_project_get_file(self->project);
  if (!target) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                        _("The project has no file yet: use Save As."));
    return FALSE;
  }
  /* A project file is a few kilobytes: saving on the main thread is shorter
   * than a frame. */
  g_object_ref(target);
  gboolean ok = sr_project_save(self->project, target, error);
  g_object_unref(target);
  if (!ok)
    return FALSE;
  sr_history_mark_saved(self->history);
  remember_project(self);
  update_title(self);
  return TRUE;
}

/* ---- Recent projects ----------------------------------------------------- */

static void
on_recent_row_activated(GtkListBox *list, GtkListBoxRow *row, SrWindow *self)
{
  const char *path = g_object_get_data(G_OBJECT(row), "path");
  if (path)
    g_action_group_activate_action(G_ACTION_GROUP(self), "open-recent", g_variant_new_string(path));
}

static void
rebuild_recent(SrWindow *self)
{
  GtkApplication *app = gtk_window_get_application(GTK_WINDOW(self));
  g_auto(GStrv) paths = app && SR_IS_APPLICATION(app)
                            ? sr_application_get_recent(SR_APPLICATION(app))
                            : g_new0(char *, 1);
  GtkWidget *child;
  guint shown = 0;

  g_menu_remove_all(self->recent_menu);
  while ((child = gtk_widget_get_first_child(self->recent_list)))
    gtk_list_box_remove(GTK_LIST_BOX(self->recent_list), child);

  for (guint i = 0; paths[i]; i++) {
    g_autofree char *base = g_path_get_basename(paths[i]);
    g_autofree char *dir = g_path_get_dirname(paths[i]);
    g_autofree char *detailed = NULL;
    GMenuItem *item = g_menu_item_new(base, NULL);
    g_menu_item_set_action_and_target_value(item, "win.open-recent",
                                            g_variant_new_string(paths[i]));
    g_menu_append_item(self->recent_menu, item);
    g_object_unref(item);

    GtkWidget *row = gtk_list_box_row_new();
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    GtkWidget *name = gtk_label_new(base);
    GtkWidget *where = gtk_label_new(dir);
    gtk_label_set_xalign(GTK_LABEL(name), 0);
    gtk_label_set_xalign(GTK_LABEL(where), 0);
    gtk_label_set_ellipsize(GTK_LABEL(where), PANGO_ELLIPSIZE_MIDDLE);
    gtk_widget_add_css_class(where, "dim-label");
    gtk_widget_add_css_class(where, "caption");
    gtk_box_append(GTK_BOX(box), name);
    gtk_box_append(GTK_BOX(box), where);
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
    g_object_set_data_full(G_OBJECT(row), "path", g_strdup(paths[i]), g_free);
    gtk_widget_set_tooltip_text(row, paths[i]);
    gtk_list_box_append(GTK_LIST_BOX(self->recent_list), row);
    shown++;
  }
  gtk_widget_set_visible(self->recent_list, shown > 0);
  gtk_widget_set_visible(self->recent_heading, shown > 0);
  gtk_widget_set_sensitive(self->recent_button, shown > 0);
}

static void
on_recent_changed(GSettings *settings, const char *key, SrWindow *self)
{
  rebuild_recent(self);
}

static void
on_recent_files_changed(GtkRecentManager *manager, SrWindow *self)
{
  rebuild_recent(self);
}

/* ---- GObject ------------------------------------------------------------ */

static gboolean
sr_window_close_request(GtkWindow *window)
{
  SrWindow *self = SR_WINDOW(window);

  if (self->close_when_idle)
    return self->jobs->len > 0 || GTK_WINDOW_CLASS(sr_window_parent_class)->close_request(window);
  if (!self->closing_confirmed && (!sr_window_confirm_stop_jobs(self, "quit", NULL) ||
                                   !sr_window_confirm_discard(self, "quit")))
    return TRUE;
  if (self->settings) {
    int width, height;
    gtk_window_get_default_size(window, &width, &height);
    g_settings_set_boolean(self->settings, "window-maximized", gtk_window_is_maximized(window));
    if (!gtk_window_is_maximized(window) && width > 0 && height > 0) {
      g_settings_set_int(self->settings, "window-width", width);
      g_settings_set_int(self->settings, "window-height", height);
    }
    GFile *file = self->project ? sr_project_get_file(self->project) : NULL;
    g_autofree char *path = file ? g_file_get_path(file) : NULL;
    g_settings_set_string(self->settings, "last-project", path ? path : "");
    g_settings_set_string(self->settings, "last-stage", sr_window_get_stage(self));
  }
  /* Every job is stopped and waited for: the window goes once the last
   * worker has returned (sr_window_run_idle_then closes it again). */
  if (self->jobs->len > 0) {
    sr_window_stop_jobs_then(self, "quit", NULL);
    return TRUE;
  }
  return GTK_WINDOW_CLASS(sr_window_parent_class)->close_request(window);
}

static void
sr_window_dispose(GObject *object)
{
  SrWindow *self = SR_WINDOW(object);

  g_clear_handle_id(&self->check_source, g_source_remove);
  g_signal_group_set_target(self->project_signals, NULL);
  if (self->history)
    g_signal_handlers_disconnect_by_data(self->history, self);
  if (self->visible_job)
    g_signal_handlers_disconnect_by_data(self->visible_job, self);
  if (self->settings)
    g_signal_handlers_disconnect_by_data(self->settings, self);
  g_clear_object(&self->visible_job);
  g_clear_object(&self->loaded);
  g_clear_object(&self->history);
  g_clear_object(&self->project);
  g_clear_object(&self->settings);
  g_clear_object(&self->recent_menu);
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_WINDOW);
  G_OBJECT_CLASS(sr_window_parent_class)->dispose(object);
}

static void
sr_window_finalize(GObject *object)
{
  SrWindow *self = SR_WINDOW(object);

  for (int i = 0; i < SR_N_STAGES; i++)
    g_free(self->stages[i].reason);
  g_ptr_array_unref(self->jobs);
  g_object_unref(self->project_signals);
  g_free(self->error);
  g_free(self->info);
  g_clear_object(&self->save_answer);
  g_free(self->problem_message);
  g_free(self->idle_then);
  g_clear_pointer(&self->idle_param, g_variant_unref);
  G_OBJECT_CLASS(sr_window_parent_class)->finalize(object);
}

/* "application" is not a construct property, so settings are hooked up
 * once the window has been created with it. */
static void
attach_settings(SrWindow *self, SrApplication *app)
{
  if (app && sr_application_get_settings(app))
    self->settings = g_object_ref(sr_application_get_settings(app));
  if (self->settings) {
    gtk_window_set_default_size(GTK_WINDOW(self),
                                g_settings_get_int(self->settings, "window-width"),
                                g_settings_get_int(self->settings, "window-height"));
    if (g_settings_get_boolean(self->settings, "window-maximized"))
      gtk_window_maximize(GTK_WINDOW(self));
    g_signal_connect(self->settings, "changed::recent-projects", G_CALLBACK(on_recent_changed),
                     self);
    sr_window_bind_preferences(self, self->settings);
    g_autofree char *stage = g_settings_get_string(self->settings, "last-stage");
    sr_window_set_stage(self, stage);
  } else {
    gtk_window_set_default_size(GTK_WINDOW(self), 1360, 860);
  }
  g_signal_connect_object(gtk_recent_manager_get_default(), "changed",
                          G_CALLBACK(on_recent_files_changed), self, 0);
  rebuild_recent(self);
}

static void
sr_window_class_init(SrWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS(klass);

  object_class->dispose = sr_window_dispose;
  object_class->finalize = sr_window_finalize;
  window_class->close_request = sr_window_close_request;

  /* Emitted when a project load ends (loaded or failed) and when the shown
   * project is replaced. */
  signals[SIGNAL_PROJECT_LOADED] =
      g_signal_new("project-loaded", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                   NULL, G_TYPE_NONE, 0);
  /* Emitted after the stage states were recomputed. */
  signals[SIGNAL_STAGES_UPDATED] =
      g_signal_new("stages-updated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                   NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-window.ui");
  gtk_widget_class_bind_template_child(widget_class, SrWindow, title_label);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, subtitle_label);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, modified_mark);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, recent_button);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, undo_button);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, redo_button);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, banner_revealer);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, banner);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, banner_icon);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, banner_label);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, main_stack);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, loading_spinner);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, loading_label);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, stage_list);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, page_stack);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, recent_list);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, recent_heading);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, job_revealer);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, job_title);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, job_progress);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, job_message);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, job_pause);
  gtk_widget_class_bind_template_child(widget_class, SrWindow, job_cancel);
}

static void
sr_window_init(SrWindow *self)
{
  g_type_ensure(SR_TYPE_PAGE_PROJECT);
  gtk_widget_init_template(GTK_WIDGET(self));

  self->jobs = g_ptr_array_new_with_free_func(g_object_unref);
  self->project_signals = g_signal_group_new(SR_TYPE_PROJECT);
  g_signal_group_connect(self->project_signals, "changed", G_CALLBACK(on_project_changed), self);
  g_signal_group_connect(self->project_signals, "notify", G_CALLBACK(on_project_notify), self);
  self->recent_menu = g_menu_new();
  gtk_menu_button_set_menu_model(GTK_MENU_BUTTON(self->recent_button),
                                 G_MENU_MODEL(self->recent_menu));
  g_signal_connect(self->recent_list, "row-activated", G_CALLBACK(on_recent_row_activated), self);
  g_signal_connect(self->job_pause, "toggled", G_CALLBACK(on_job_pause_toggled), self);
  g_signal_connect(self->job_cancel, "clicked", G_CALLBACK(on_job_cancel_clicked), self);

  sr_window_add_actions(self);
  sr_window_build_stages(self);
  update_actions(self);
}

SrWindow *
sr_window_new(SrApplication *app)
{
  SrWindow *self = g_object_new(SR_TYPE_WINDOW, "application", app, NULL);

  attach_settings(self, app);
  return self;
}
