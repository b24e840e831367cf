/* sr-window.c — see sr-window.h. */
#include "sr-config.h"

#include "sr-window.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sr-delivery.h"
#include "sr-demo.h"
#include "sr-io.h"
#include "sr-page-crop.h"
#include "sr-page-deliver.h"
#include "sr-page-pairs.h"
#include "sr-page-project.h"
#include "sr-page-render.h"
#include "sr-page-review.h"
#include "sr-page-train.h"

const char *const sr_stage_ids[] = {"project", "pairs",  "crop",    "train",
                                    "render",  "review", "deliver", NULL};

static const char *const stage_titles[] = {
    N_("Project"), N_("Pairs"), N_("Crop"), N_("Train"), N_("Render"), N_("Review"), N_("Deliver"),
};

/* Guide: 4–9 pairs per shot to start. */
#define ADVISED_MIN_PAIRS 4

/* A job that ran at least this long while the window was unfocused ends
 * with a desktop notification. */
#define NOTIFY_AFTER_S 10.0

typedef struct {
  GtkWidget *row;
  GtkWidget *state_icon;
  GtkWidget *state_label;
  SrStageState state;
  char *reason;
} StageRow;

struct _SrWindow {
  GtkApplicationWindow parent_instance;

  /* Template children. */
  GtkWidget *title_label;
  GtkWidget *subtitle_label;
  GtkWidget *modified_mark;
  GtkWidget *recent_button;
  GtkWidget *undo_button;
  GtkWidget *redo_button;
  GtkWidget *banner_revealer;
  GtkWidget *banner;
  GtkWidget *banner_icon;
  GtkWidget *banner_label;
  GtkWidget *main_stack;
  GtkWidget *loading_spinner;
  GtkWidget *loading_label;
  GtkWidget *stage_list;
  GtkWidget *page_stack;
  GtkWidget *recent_list;
  GtkWidget *recent_heading;
  GtkWidget *job_revealer;
  GtkWidget *job_title;
  GtkWidget *job_progress;
  GtkWidget *job_message;
  GtkWidget *job_pause;
  GtkWidget *job_cancel;

  GtkWidget *pages[SR_N_STAGES];
  StageRow stages[SR_N_STAGES];

  SrProject *project;
  SrHistory *history;
  gulong project_changed_handler;
  gulong project_notify_handler;

  GSettings *settings;
  GMenu *recent_menu;

  char *error;
  char *info;
  SrJob *visible_job; /* the job the job bar shows */
  GPtrArray *jobs;    /* running jobs, for cancel on close */
  guint check_source; /* debounce of the stage checks */
  guint check_generation;
  gboolean checking;
  gboolean loading;
  gboolean closing_confirmed;
};

G_DEFINE_FINAL_TYPE(SrWindow, sr_window, GTK_TYPE_APPLICATION_WINDOW)

enum { SIGNAL_PROJECT_LOADED, SIGNAL_STAGES_UPDATED, N_SIGNALS };

static guint signals[N_SIGNALS];

static void queue_stage_check(SrWindow *self);

static int
stage_index(const char *stage)
{
  for (int i = 0; i < SR_N_STAGES; i++)
    if (g_strcmp0(sr_stage_ids[i], stage) == 0)
      return i;
  return -1;
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
  if (self && closure->visible && self->project)
    queue_stage_check(self);
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
    queue_stage_check(self);
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

/* ---- Stage states ------------------------------------------------------ */

/* The acceptance checklist the Review stage ticks (sr_project_get_accepted). */
static const char *const acceptance_items[] = {"sharper-edges", "grain", "no-flicker",
                                               "no-colour-shift", "no-halos"};
#define N_ACCEPTANCE G_N_ELEMENTS(acceptance_items)

typedef struct {
  SrProject *copy;
  gboolean has_source, has_reference;
  char *source_error;
  char *reference_error;
  int source_first, source_last, reference_first, reference_last;
  sr_check_report report;
  gboolean checked;
  guint generation;
  /* Model, render and delivery on disk; deliver_dir is filled in on the
   * main thread, the rest by the worker. */
  char *deliver_dir;
  gboolean checkpoint_exists, has_facts;
  char *checkpoint_path, *model_short, *facts_error;
  char *new_pairs; /* pairs the model was not trained on ("1002, 1003"), or NULL */
  char *render_pattern;
  int render_present, render_wanted; /* frames of the Source range rendered */
  char *delivery_json;               /* sidecar of a delivery by this model, if there */
} StageCheck;

static void
stage_check_free(gpointer data)
{
  StageCheck *c = data;
  g_clear_object(&c->copy);
  g_free(c->source_error);
  g_free(c->reference_error);
  sr_check_report_clear(&c->report);
  g_free(c->deliver_dir);
  g_free(c->checkpoint_path);
  g_free(c->model_short);
  g_free(c->facts_error);
  g_free(c->new_pairs);
  g_free(c->render_pattern);
  g_free(c->delivery_json);
  g_free(c);
}

static gboolean
open_sequence(const char *pattern, int *first, int *last, char **error_out)
{
  sr_sequence seq = {0};
  sr_error err = {0};

  if (!sr_sequence_open(&seq, pattern, &err)) {
    *error_out = g_strdup(err.message);
    return FALSE;
  }
  *first = seq.first;
  *last = seq.last;
  sr_sequence_clear(&seq);
  return TRUE;
}

static gboolean
stage_check_thread(SrJob *job, gpointer data, GError **error)
{
  StageCheck *c = data;
  const char *src = sr_project_get_source_pattern(c->copy);
  const char *ref = sr_project_get_reference_pattern(c->copy);

  c->has_source = src && src[0];
  c->has_reference = ref && ref[0];
  gboolean ok_src =
      c->has_source && open_sequence(src, &c->source_first, &c->source_last, &c->source_error);
  gboolean ok_ref = c->has_reference && open_sequence(ref, &c->reference_first, &c->reference_last,
                                                      &c->reference_error);
  if (ok_src && ok_ref && sr_project_get_pairs(c->copy)->len > 0) {
    sr_project_check(c->copy, &c->report);
    c->checked = TRUE;
  }

  const char *ck = sr_project_get_checkpoint(c->copy);
  if (ck && ck[0]) {
    c->checkpoint_path = g_strdup(ck);
    c->checkpoint_exists = g_file_test(ck, G_FILE_TEST_IS_REGULAR);
  }
  SrCheckpointFacts facts = {0};
  g_autoptr(GError) ferr = NULL;
  if (c->checkpoint_exists) {
    c->has_facts = sr_checkpoint_facts_lookup(c->copy, NULL, &facts, &ferr);
    if (c->has_facts) {
      c->model_short = g_strdup(facts.model_id_short);
      /* Pairs added since (from the Render page's outliers, say) are not
       * in this model until it is trained again. */
      const GArray *pairs = sr_project_get_pairs(c->copy);
      GString *added = g_string_new(NULL);
      for (guint i = 0; i < pairs->len; i++) {
        int f = g_array_index(pairs, int, i);
        gboolean known = FALSE;
        for (guint k = 0; facts.training_frames && k < facts.training_frames->len && !known; k++)
          known = g_array_index(facts.training_frames, int, k) == f;
        if (!known)
          g_string_append_printf(added, "%s%d", added->len ? ", " : "", f);
      }
      c->new_pairs = g_string_free(added, added->len == 0);
    } else
      c->facts_error = g_strdup(ferr->message);
  }
  sr_checkpoint_facts_clear(&facts);
  if (!c->has_facts)
    return TRUE;

  /* Render: the frames of the Source range under the name the render stage
   * writes for this model. */
  c->render_pattern = sr_delivery_default_render_pattern(c->copy);
  sr_sequence seq = {0};
  if (c->render_pattern && sr_sequence_open(&seq, c->render_pattern, NULL)) {
    int first = ok_src ? c->source_first : seq.first;
    int last = ok_src ? c->source_last : seq.last;
    c->render_wanted = last - first + 1;
    for (int f = first; f <= last; f++)
      if (sr_sequence_has_frame(&seq, f))
        c->render_present++;
  }
  sr_sequence_clear(&seq);

  if (c->deliver_dir) {
    g_autofree char *base = sr_delivery_base_name(c->copy, c->model_short);
    g_autofree char *name = g_strconcat(base, ".json", NULL);
    g_autofree char *json = g_build_filename(c->deliver_dir, name, NULL);
    if (g_file_test(json, G_FILE_TEST_IS_REGULAR))
      c->delivery_json = g_steal_pointer(&json);
  }
  return TRUE;
}

static void
set_stage(SrWindow *self, int i, SrStageState state, const char *reason)
{
  static const char *const state_text[] = {N_("Not started"), N_("Ready"), N_("Needs attention"),
                                           N_("Done"), N_("In progress")};
  static const char *const icons[] = {"content-loading-symbolic", "emblem-ok-symbolic",
                                      "dialog-warning-symbolic", "checkbox-checked-symbolic",
                                      "emblem-synchronizing-symbolic"};
  static const char *const classes[] = {"not-started", "ready", "attention", "done", "in-progress"};
  StageRow *row = &self->stages[i];

  /* The checks rerun after every edit and job; an unchanged row is left
   * alone so the sidebar does not redraw for nothing. */
  if (row->state == state && row->reason && g_strcmp0(row->reason, reason) == 0 &&
      gtk_widget_has_css_class(row->row, classes[state]))
    return;
  row->state = state;
  g_free(row->reason);
  row->reason = g_strdup(reason);
  gtk_label_set_text(GTK_LABEL(row->state_label), _(state_text[state]));
  gtk_image_set_from_icon_name(GTK_IMAGE(row->state_icon), icons[state]);
  for (guint k = 0; k < G_N_ELEMENTS(classes); k++)
    gtk_widget_remove_css_class(row->row, classes[k]);
  gtk_widget_add_css_class(row->row, classes[state]);
  gtk_widget_set_tooltip_text(row->row, reason);
}

/* Which stage an engine check belongs to. */
static int
stage_of_check(const sr_check *item)
{
  if (strcmp(item->id, "misalignment") == 0 || strstr(item->id, "frame") ||
      strstr(item->id, "preview") || strstr(item->id, "held") || strstr(item->id, "pair"))
    return 1;
  if (strncmp(item->subject, "pair", 4) == 0)
    return 2;
  if (strstr(item->id, "sequence") || strstr(item->id, "colour") || strstr(item->id, "source") ||
      strstr(item->id, "reference"))
    return 0;
  return 2;
}

/* The worst check of a stage, or NULL when all pass. */
static const sr_check *
worst_check(const StageCheck *c, int stage)
{
  const sr_check *worst = NULL;

  for (int i = 0; c->checked && i < c->report.n; i++) {
    const sr_check *item = &c->report.items[i];
    if (item->status == SR_CHECK_PASS || stage_of_check(item) != stage)
      continue;
    if (!worst || item->status > worst->status)
      worst = item;
  }
  return worst;
}

/* Train, Render, Review and Deliver follow the model and what it made on
 * disk: Done once the result is there, In progress while a job makes it or
 * it is partly there. */
static void
apply_model_stages(SrWindow *self, StageCheck *c)
{
  SrProject *p = self->project;
  g_autofree char *reason = NULL;
  gboolean training = sr_page_train_get_busy(SR_PAGE_TRAIN(self->pages[3]));
  gboolean rendering = sr_page_render_get_busy(SR_PAGE_RENDER(self->pages[4]));
  gboolean delivering = sr_page_deliver_get_busy(SR_PAGE_DELIVER(self->pages[6]));
  g_autofree char *ck_name = c->checkpoint_path ? g_path_get_basename(c->checkpoint_path) : NULL;

  /* Train */
  if (training) {
    set_stage(self, 3, SR_STAGE_IN_PROGRESS, _("Training is running."));
  } else if (!c->checkpoint_path) {
    set_stage(self, 3, SR_STAGE_NOT_STARTED,
              _("No model yet: train once pairs and crop are ready."));
  } else if (!c->checkpoint_exists) {
    reason = g_strdup_printf(_("The checkpoint %s is missing: train again or choose another."),
                             c->checkpoint_path);
    set_stage(self, 3, SR_STAGE_ATTENTION, reason);
  } else if (!c->has_facts) {
    set_stage(self, 3, SR_STAGE_ATTENTION, c->facts_error);
  } else if (c->new_pairs) {
    reason = g_strdup_printf(_("Model %s was trained before the pairs %s were added: train again "
                               "(or resume) so it learns from them."),
                             c->model_short, c->new_pairs);
    set_stage(self, 3, SR_STAGE_READY, reason);
  } else {
    reason = g_strdup_printf(_("Model %s (%s)."), c->model_short, ck_name);
    set_stage(self, 3, SR_STAGE_DONE, reason);
  }
  g_clear_pointer(&reason, g_free);

  /* Render */
  gboolean rendered_any = c->render_present > 0;
  gboolean rendered_all = rendered_any && c->render_present == c->render_wanted;
  if (rendering) {
    set_stage(self, 4, SR_STAGE_IN_PROGRESS, _("Rendering is running."));
  } else if (!c->has_facts) {
    set_stage(self, 4, SR_STAGE_NOT_STARTED, _("Needs a trained model."));
  } else if (rendered_all) {
    reason = g_strdup_printf(ngettext("All %d frame rendered with model %s.",
                                      "All %d frames rendered with model %s.", c->render_present),
                             c->render_present, c->model_short);
    set_stage(self, 4, SR_STAGE_DONE, reason);
  } else if (rendered_any) {
    reason = g_strdup_printf(ngettext("%d of %d frame rendered with model %s.",
                                      "%d of %d frames rendered with model %s.", c->render_wanted),
                             c->render_present, c->render_wanted, c->model_short);
    set_stage(self, 4, SR_STAGE_IN_PROGRESS, reason);
  } else {
    reason = g_strdup_printf(_("Render the Source with model %s."), c->model_short);
    set_stage(self, 4, SR_STAGE_NOT_STARTED, reason);
  }
  g_clear_pointer(&reason, g_free);

  /* Review */
  const GArray *flags = sr_project_get_flags(p);
  guint ticked = 0;
  for (guint i = 0; i < N_ACCEPTANCE; i++)
    ticked += sr_project_get_accepted(p, acceptance_items[i]) ? 1 : 0;
  if (flags->len > 0) {
    reason = g_strdup_printf(ngettext("%u frame flagged for another look.",
                                      "%u frames flagged for another look.", flags->len),
                             flags->len);
    set_stage(self, 5, SR_STAGE_ATTENTION, reason);
  } else if (ticked == N_ACCEPTANCE) {
    set_stage(self, 5, SR_STAGE_DONE, _("Every acceptance item is ticked."));
  } else if (ticked > 0) {
    reason = g_strdup_printf(_("%u of %u acceptance items ticked."), ticked, (guint)N_ACCEPTANCE);
    set_stage(self, 5, SR_STAGE_IN_PROGRESS, reason);
  } else if (rendered_any) {
    set_stage(self, 5, SR_STAGE_READY,
              _("Compare the render with the Source and tick the acceptance items."));
  } else {
    set_stage(self, 5, SR_STAGE_NOT_STARTED, _("Needs a render to review."));
  }
  g_clear_pointer(&reason, g_free);

  /* Deliver */
  if (delivering) {
    set_stage(self, 6, SR_STAGE_IN_PROGRESS, _("Delivery is running."));
  } else if (c->delivery_json) {
    reason = g_strdup_printf(_("Delivered with model %s: %s."), c->model_short, c->delivery_json);
    set_stage(self, 6, SR_STAGE_DONE, reason);
  } else if (rendered_any) {
    reason = g_strdup_printf(ngettext("%d rendered frame can be delivered.",
                                      "%d rendered frames can be delivered.", c->render_present),
                             c->render_present);
    set_stage(self, 6, SR_STAGE_READY, reason);
  } else {
    set_stage(self, 6, SR_STAGE_NOT_STARTED, _("Needs rendered frames."));
  }
}

static void
apply_stage_check(SrWindow *self, StageCheck *c)
{
  SrProject *p = self->project;
  const GArray *pairs = sr_project_get_pairs(p);
  const GArray *held = sr_project_get_held_out(p);
  gboolean project_ready = FALSE;
  g_autofree char *reason = NULL;
  const sr_check *worst;

  /* Project */
  if (!c->has_source || !c->has_reference) {
    set_stage(self, 0, SR_STAGE_NOT_STARTED,
              !c->has_source ? _("Choose the Source sequence.")
                             : _("Choose the Reference sequence."));
  } else if (c->source_error || c->reference_error) {
    reason = g_strdup_printf("%s", c->source_error ? c->source_error : c->reference_error);
    set_stage(self, 0, SR_STAGE_ATTENTION, reason);
  } else if ((worst = worst_check(c, 0))) {
    set_stage(self, 0, worst->status == SR_CHECK_FAIL ? SR_STAGE_ATTENTION : SR_STAGE_READY,
              worst->detail);
    project_ready = worst->status != SR_CHECK_FAIL;
  } else {
    reason = g_strdup_printf(_("Source frames %d–%d, Reference frames %d–%d."), c->source_first,
                             c->source_last, c->reference_first, c->reference_last);
    set_stage(self, 0, SR_STAGE_READY, reason);
    project_ready = TRUE;
  }
  g_clear_pointer(&reason, g_free);

  /* Pairs */
  if (!project_ready) {
    set_stage(self, 1, SR_STAGE_NOT_STARTED, _("Needs both sequences from the Project stage."));
  } else if (pairs->len == 0) {
    set_stage(self, 1, SR_STAGE_NOT_STARTED,
              _("Add 4–9 pairs at frames that cover the shot's textures."));
  } else if ((worst = worst_check(c, 1)) && worst->status == SR_CHECK_FAIL) {
    set_stage(self, 1, SR_STAGE_ATTENTION, worst->detail);
  } else if (pairs->len < ADVISED_MIN_PAIRS) {
    reason =
        g_strdup_printf(ngettext("%u pair: the guide advises 4–9 per shot to start.",
                                 "%u pairs: the guide advises 4–9 per shot to start.", pairs->len),
                        pairs->len);
    set_stage(self, 1, SR_STAGE_ATTENTION, reason);
  } else if (worst) {
    set_stage(self, 1, SR_STAGE_ATTENTION, worst->detail);
  } else {
    int preview = sr_project_get_preview_frame(p);
    if (preview >= 0)
      reason = g_strdup_printf(_("%u pairs, %u held out, preview frame %d."), pairs->len, held->len,
                               preview);
    else
      reason =
          g_strdup_printf(_("%u pairs, %u held out, no preview frame."), pairs->len, held->len);
    set_stage(self, 1, SR_STAGE_READY, reason);
  }
  g_clear_pointer(&reason, g_free);

  /* Crop */
  if (!project_ready || pairs->len == 0) {
    set_stage(self, 2, SR_STAGE_NOT_STARTED, _("Needs at least one pair."));
  } else if ((worst = worst_check(c, 2)) && worst->status == SR_CHECK_FAIL) {
    reason = g_strdup_printf("%s: %s", worst->subject, worst->detail);
    set_stage(self, 2, SR_STAGE_ATTENTION, reason);
  } else {
    sr_rect crop = sr_project_get_crop(p);
    if (crop.w > 0)
      reason = g_strdup_printf(_("Crop %d×%d at %d, %d; every pair check passes."), crop.w, crop.h,
                               crop.x, crop.y);
    else
      reason = g_strdup(_("Whole frame; every pair check passes."));
    set_stage(self, 2, SR_STAGE_READY, reason);
  }
  g_clear_pointer(&reason, g_free);

  apply_model_stages(self, c);
}

static void
on_stage_check_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrWindow *self = user_data;
  StageCheck *c = sr_job_get_data(SR_JOB(source));

  if (c->generation == self->check_generation && self->project) {
    self->checking = FALSE;
    apply_stage_check(self, c);
    g_signal_emit(self, signals[SIGNAL_STAGES_UPDATED], 0);
  }
  g_object_unref(self);
}

void
sr_window_refresh_stages(SrWindow *self)
{
  g_return_if_fail(SR_IS_WINDOW(self));
  g_clear_handle_id(&self->check_source, g_source_remove);
  if (!self->project)
    return;

  StageCheck *c = g_new0(StageCheck, 1);
  sr_check_report_init(&c->report);
  c->copy = sr_project_copy_for_thread(self->project, NULL);
  c->deliver_dir = sr_page_deliver_dup_destination(SR_PAGE_DELIVER(self->pages[6]));
  c->generation = ++self->check_generation;
  if (!c->copy) {
    stage_check_free(c);
    return;
  }
  self->checking = TRUE;
  g_autoptr(SrJob) job =
      sr_job_new(_("Checking the project"), stage_check_thread, c, stage_check_free);
  sr_window_run_job(self, job, FALSE, on_stage_check_done, g_object_ref(self));
}

static gboolean
refresh_stages_idle(gpointer user_data)
{
  SrWindow *self = user_data;
  self->check_source = 0;
  sr_window_refresh_stages(self);
  return G_SOURCE_REMOVE;
}

/* Edits come in bursts (typing, dragging): check once they settle. */
static void
queue_stage_check(SrWindow *self)
{
  g_clear_handle_id(&self->check_source, g_source_remove);
  self->checking = TRUE;
  self->check_source = g_timeout_add(250, refresh_stages_idle, self);
}

gboolean
sr_window_get_checking(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), FALSE);
  return self->checking;
}

SrStageState
sr_window_get_stage_state(SrWindow *self, const char *stage, const char **reason)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), SR_STAGE_NOT_STARTED);
  int i = stage_index(stage);
  g_return_val_if_fail(i >= 0, SR_STAGE_NOT_STARTED);
  if (reason)
    *reason = self->stages[i].reason;
  return self->stages[i].state;
}

/* ---- Project ------------------------------------------------------------ */

static void
on_project_changed(SrProject *project, const char *description, SrWindow *self)
{
  update_title(self);
  queue_stage_check(self);
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

  if (self->project) {
    g_clear_signal_handler(&self->project_changed_handler, self->project);
    g_clear_signal_handler(&self->project_notify_handler, self->project);
  }
  if (self->history)
    g_signal_handlers_disconnect_by_data(self->history, self);
  g_clear_object(&self->history);
  g_set_object(&self->project, project);
  sr_window_dismiss_error(self);

  if (project) {
    self->history = sr_history_new(project);
    g_signal_connect(self->history, "notify", G_CALLBACK(on_history_notify), self);
    self->project_changed_handler =
        g_signal_connect(project, "changed", G_CALLBACK(on_project_changed), self);
    self->project_notify_handler =
        g_signal_connect(project, "notify", G_CALLBACK(on_project_notify), self);
  }
  for (int i = 0; i < SR_N_STAGES; i++)
    g_object_set(self->pages[i], "project", project, NULL);

  if (project) {
    gtk_stack_set_visible_child_name(GTK_STACK(self->main_stack), "workspace");
    for (int i = 0; i < SR_N_STAGES; i++)
      set_stage(self, i, SR_STAGE_NOT_STARTED, _("Checking…"));
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
    set_loading(self, NULL);
    sr_window_set_project(self, d->project);
    remember_project(self);
  } else {
    set_loading(self, NULL);
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      sr_window_show_error(self, error->message);
    g_signal_emit(self, signals[SIGNAL_PROJECT_LOADED], 0);
  }
  g_object_unref(self);
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

static void
on_open_response(GtkNativeDialog *dialog, int response, SrWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    if (file)
      sr_window_open_file(self, file);
  }
  g_object_unref(dialog);
}

static gboolean confirm_discard(SrWindow *self, const char *then);

static void
action_open(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;
  GtkFileChooserNative *dialog;

  if (!confirm_discard(self, "open"))
    return;
  dialog = gtk_file_chooser_native_new(_("Open Project"), GTK_WINDOW(self),
                                       GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(dialog), project_filter());
  g_signal_connect(dialog, "response", G_CALLBACK(on_open_response), self);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

static void
action_open_recent(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;
  g_autoptr(GFile) file = g_file_new_for_path(g_variant_get_string(param, NULL));

  if (!confirm_discard(self, NULL))
    return;
  sr_window_open_file(self, file);
}

static void
action_open_demo(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;

  if (!confirm_discard(self, "open-demo"))
    return;
  sr_window_open_demo(self);
}

static void
action_new(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;
  g_autoptr(SrProject) project = NULL;

  if (!confirm_discard(self, "new"))
    return;
  project = sr_project_new();
  sr_window_set_project(self, project);
  sr_window_set_stage(self, "project");
}

static void
action_close(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SrWindow *self = user_data;

  if (!confirm_discard(self, "close"))
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
  if (response == GTK_RESPONSE_CANCEL || response == GTK_RESPONSE_DELETE_EVENT)
    return;
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
static gboolean
confirm_discard(SrWindow *self, const char *then)
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

static gboolean
sr_window_close_request(GtkWindow *window)
{
  SrWindow *self = SR_WINDOW(window);

  if (!self->closing_confirmed && !confirm_discard(self, "quit"))
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
  for (guint i = 0; i < self->jobs->len; i++)
    sr_job_cancel(g_ptr_array_index(self->jobs, i));
  return GTK_WINDOW_CLASS(sr_window_parent_class)->close_request(window);
}

/* ---- Stage sidebar ------------------------------------------------------ */

const char *
sr_window_get_stage(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), NULL);
  const char *name = gtk_stack_get_visible_child_name(GTK_STACK(self->page_stack));
  return name ? name : sr_stage_ids[0];
}

void
sr_window_set_stage(SrWindow *self, const char *stage)
{
  g_return_if_fail(SR_IS_WINDOW(self));
  int i = stage_index(stage);
  if (i < 0)
    return;
  gtk_list_box_select_row(GTK_LIST_BOX(self->stage_list), GTK_LIST_BOX_ROW(self->stages[i].row));
  gtk_stack_set_visible_child_name(GTK_STACK(self->page_stack), stage);
}

GtkWidget *
sr_window_get_page(SrWindow *self, const char *stage)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), NULL);
  int i = stage_index(stage);
  return i < 0 ? NULL : self->pages[i];
}

static void
on_stage_selected(GtkListBox *list, GtkListBoxRow *row, SrWindow *self)
{
  if (!row)
    return;
  int i = gtk_list_box_row_get_index(row);
  if (i >= 0 && i < SR_N_STAGES)
    gtk_stack_set_visible_child_name(GTK_STACK(self->page_stack), sr_stage_ids[i]);
}

static void
build_stages(SrWindow *self)
{
  self->pages[0] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_PROJECT, NULL));
  self->pages[1] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_PAIRS, NULL));
  self->pages[2] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_CROP, NULL));
  self->pages[3] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_TRAIN, NULL));
  self->pages[4] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_RENDER, NULL));
  self->pages[5] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_REVIEW, NULL));
  self->pages[6] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_DELIVER, NULL));

  for (int i = 0; i < SR_N_STAGES; i++) {
    StageRow *s = &self->stages[i];
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 10);
    GtkWidget *number = gtk_label_new(NULL);
    GtkWidget *text = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *title = gtk_label_new(_(stage_titles[i]));
    g_autofree char *digit = g_strdup_printf("%d", i + 1);

    gtk_label_set_text(GTK_LABEL(number), digit);
    gtk_widget_add_css_class(number, "stage-number");
    gtk_widget_set_valign(number, GTK_ALIGN_CENTER);
    gtk_label_set_xalign(GTK_LABEL(title), 0);
    gtk_widget_add_css_class(title, "stage-title");
    s->state_label = gtk_label_new(_("Not started"));
    gtk_label_set_xalign(GTK_LABEL(s->state_label), 0);
    gtk_widget_add_css_class(s->state_label, "stage-state");
    gtk_box_append(GTK_BOX(text), title);
    gtk_box_append(GTK_BOX(text), s->state_label);
    gtk_widget_set_hexpand(text, TRUE);
    s->state_icon = gtk_image_new_from_icon_name("content-loading-symbolic");
    gtk_widget_add_css_class(s->state_icon, "stage-icon");
    gtk_box_append(GTK_BOX(box), number);
    gtk_box_append(GTK_BOX(box), text);
    gtk_box_append(GTK_BOX(box), s->state_icon);

    s->row = gtk_list_box_row_new();
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(s->row), box);
    gtk_widget_add_css_class(s->row, "stage-row");
    gtk_list_box_append(GTK_LIST_BOX(self->stage_list), s->row);
    s->state = SR_STAGE_NOT_STARTED;

    gtk_stack_add_titled(GTK_STACK(self->page_stack), self->pages[i], sr_stage_ids[i],
                         _(stage_titles[i]));
  }
  g_signal_connect(self->stage_list, "row-selected", G_CALLBACK(on_stage_selected), self);
  gtk_list_box_select_row(GTK_LIST_BOX(self->stage_list), GTK_LIST_BOX_ROW(self->stages[0].row));
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
  g_auto(GStrv) paths =
      self->settings ? g_settings_get_strv(self->settings, "recent-projects") : g_new0(char *, 1);
  GtkWidget *child;
  guint shown = 0;

  g_menu_remove_all(self->recent_menu);
  while ((child = gtk_widget_get_first_child(self->recent_list)))
    gtk_list_box_remove(GTK_LIST_BOX(self->recent_list), child);

  for (guint i = 0; paths[i]; i++) {
    if (!g_file_test(paths[i], G_FILE_TEST_IS_REGULAR))
      continue;
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

/* ---- GObject ------------------------------------------------------------ */

static void
sr_window_dispose(GObject *object)
{
  SrWindow *self = SR_WINDOW(object);

  g_clear_handle_id(&self->check_source, g_source_remove);
  if (self->project) {
    g_clear_signal_handler(&self->project_changed_handler, self->project);
    g_clear_signal_handler(&self->project_notify_handler, self->project);
  }
  if (self->history)
    g_signal_handlers_disconnect_by_data(self->history, self);
  if (self->visible_job)
    g_signal_handlers_disconnect_by_data(self->visible_job, self);
  if (self->settings)
    g_signal_handlers_disconnect_by_data(self->settings, self);
  g_clear_object(&self->visible_job);
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
  g_free(self->error);
  g_free(self->info);
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
    g_autofree char *stage = g_settings_get_string(self->settings, "last-stage");
    sr_window_set_stage(self, stage);
  } else {
    gtk_window_set_default_size(GTK_WINDOW(self), 1360, 860);
  }
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
  self->recent_menu = g_menu_new();
  gtk_menu_button_set_menu_model(GTK_MENU_BUTTON(self->recent_button),
                                 G_MENU_MODEL(self->recent_menu));
  g_signal_connect(self->recent_list, "row-activated", G_CALLBACK(on_recent_row_activated), self);
  g_signal_connect(self->job_pause, "toggled", G_CALLBACK(on_job_pause_toggled), self);
  g_signal_connect(self->job_cancel, "clicked", G_CALLBACK(on_job_cancel_clicked), self);

  g_action_map_add_action_entries(G_ACTION_MAP(self), win_actions, G_N_ELEMENTS(win_actions), self);
  build_stages(self);
  update_actions(self);
}

SrWindow *
sr_window_new(SrApplication *app)
{
  SrWindow *self = g_object_new(SR_TYPE_WINDOW, "application", app, NULL);

  attach_settings(self, app);
  return self;
}
