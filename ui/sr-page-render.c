/* sr-page-render.c — see sr-page-render.h. */
#include "sr-page-render.h"

#include <math.h>

#include <glib/gi18n.h>

#include "sr-delivery.h"
#include "sr-render.h"
#include "sr-ui-util.h"

/* Written by the pipeline (one callback at a time), read by the page. */
typedef struct {
  GMutex lock;
  int done, total, rendered, skipped;
  double fps, eta;
} RenderLog;

static RenderLog *
render_log_new(void)
{
  RenderLog *l = g_atomic_rc_box_new0(RenderLog);
  g_mutex_init(&l->lock);
  return l;
}

static void
render_log_clear(gpointer p)
{
  g_mutex_clear(&((RenderLog *)p)->lock);
}

static void
render_log_unref(gpointer p)
{
  g_atomic_rc_box_release_full(p, render_log_clear);
}

typedef struct {
  RenderLog *log;
  char *source, *checkpoint, *output, *backend;
  int first, last;
  int count; /* at most this many frames from first; 0 = no limit */
} RenderJob;

static void
render_job_free(gpointer p)
{
  RenderJob *j = p;
  render_log_unref(j->log);
  g_free(j->source);
  g_free(j->checkpoint);
  g_free(j->output);
  g_free(j->backend);
  g_free(j);
}

struct _SrPageRender {
  GtkBox parent_instance;

  GtkWidget *facts_model;
  GtkWidget *facts_output;
  GtkWidget *empty_title;
  GtkWidget *empty_text;
  GtkWidget *monitor;
  GtkWidget *empty_state;

  GtkWidget *check_button, *all_button, *stop_button;
  GtkWidget *progress_bar;
  GtkWidget *status_label;

  SrProject *project;
  gulong changed_handler;

  SrJob *job;
  RenderLog *log;
  guint poll_id;
  int n_done;
};

G_DEFINE_FINAL_TYPE(SrPageRender, sr_page_render, GTK_TYPE_BOX)

enum { PROP_0, PROP_PROJECT, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
update_controls(SrPageRender *self)
{
  const char *ck = self->project ? sr_project_get_checkpoint(self->project) : NULL;
  gboolean can = !self->job && ck && *ck;

  gtk_widget_set_sensitive(self->check_button, can);
  gtk_widget_set_sensitive(self->all_button, can);
  gtk_widget_set_sensitive(self->stop_button, self->job != NULL);
  gtk_widget_set_visible(self->empty_state, self->log == NULL);
  gtk_widget_set_visible(self->progress_bar, self->log != NULL);
}

static void
refresh(SrPageRender *self)
{
  SrProject *p = self->project;

  if (!p)
    return;

  const char *checkpoint = sr_project_get_checkpoint(p);
  const char *folder = sr_project_get_output_folder(p);
  const char *version = sr_project_get_version(p);
  g_autofree char *model = checkpoint && checkpoint[0] ? g_path_get_basename(checkpoint)
                                                        : g_strdup(_("No model trained yet"));
  sr_ui_fill_facts(self->facts_model, _("Checkpoint"), model, NULL);
  sr_ui_fill_facts(self->facts_output, _("Folder"), folder && folder[0] ? folder : _("Not chosen yet"),
                   _("Version"), version, _("Format"), _("OpenEXR, 16-bit half, ZIP"), NULL);
  if (checkpoint && checkpoint[0])
    gtk_label_set_text(GTK_LABEL(self->empty_title), _("Ready to render"));
  else
    gtk_label_set_text(GTK_LABEL(self->empty_title), _("Nothing rendered yet"));
  update_controls(self);
}

static void
on_render_progress(void *user, const sr_render_progress *p)
{
  RenderLog *l = user;

  g_mutex_lock(&l->lock);
  l->done = p->done;
  l->total = p->total;
  l->rendered = p->rendered;
  l->skipped = p->skipped;
  l->fps = p->frames_per_second;
  l->eta = p->eta_seconds;
  g_mutex_unlock(&l->lock);
}

static gboolean
render_job_run(SrJob *job, gpointer data, GError **error)
{
  RenderJob *j = data;
  sr_error err = {0};
  sr_sequence seq = {0};
  sr_model *model = NULL;
  sr_render_result res = {0};
  gboolean ok = FALSE;
  char *dir = g_path_get_dirname(j->output);

  sr_job_set_progress(job, -1, _("Loading the model…"));
  if (!sr_sequence_open(&seq, j->source, &err))
    goto out;
  if (!(model = sr_model_open(j->checkpoint, j->backend, &err)))
    goto out;
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    sr_error_set(&err, SR_ERR_IO, "%s: cannot create the render folder; choose another output "
                 "folder", dir);
    goto out;
  }
  sr_render_options o;
  sr_render_options_init(&o);
  o.first = MAX(j->first, seq.first);
  o.last = j->last < 0 ? seq.last : MIN(j->last, seq.last);
  if (j->count > 0)
    o.last = MIN(o.last, o.first + j->count - 1);
  o.output_pattern = j->output;
  o.checkpoint_path = j->checkpoint;
  o.skip_missing = true;
  sr_render_callbacks cb = {.user = j->log, .progress = on_render_progress,
                            .cancel = sr_job_get_cancel_flag(job)};
  sr_job_set_progress(job, 0, _("Rendering…"));
  ok = sr_render_run(model, &seq, &o, &cb, &res, &err);
out:
  if (!ok)
    sr_job_error_from_engine(error, &err);
  g_free(dir);
  sr_render_result_clear(&res);
  if (model)
    sr_model_close(model);
  sr_sequence_clear(&seq);
  return ok;
}

static void
poll_log(SrPageRender *self)
{
  RenderLog *l = self->log;
  g_autofree char *text = NULL;
  double fraction = 0;

  if (!l)
    return;
  g_mutex_lock(&l->lock);
  self->n_done = l->rendered + l->skipped;
  if (l->total > 0) {
    fraction = (double)l->done / l->total;
    if (isfinite(l->eta) && l->eta >= 0) {
      int eta = (int)MIN(l->eta, 1e7);
      text = g_strdup_printf(_("%d of %d frames · %.2f frames/s · about %d:%02d left"), l->done,
                             l->total, l->fps, eta / 60, eta % 60);
    } else {
      text = g_strdup_printf(_("%d of %d frames"), l->done, l->total);
    }
  }
  g_mutex_unlock(&l->lock);
  gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress_bar), fraction);
  if (text)
    gtk_label_set_text(GTK_LABEL(self->status_label), text);
}

static gboolean
on_poll(gpointer data)
{
  poll_log(data);
  return G_SOURCE_CONTINUE;
}

static void
on_render_done(GObject *source, GAsyncResult *res, gpointer data)
{
  SrPageRender *self = data;
  g_autoptr(GError) error = NULL;
  SrJob *job = SR_JOB(source);

  if (self->job == job) {
    poll_log(self);
    g_clear_handle_id(&self->poll_id, g_source_remove);
    if (sr_job_finish(job, res, &error)) {
      g_autofree char *text = g_strdup_printf(
          g_dngettext(NULL, "Done: %d frame written.", "Done: %d frames written.", self->n_done),
          self->n_done);
      gtk_label_set_text(GTK_LABEL(self->status_label), text);
      gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress_bar), 1);
    } else if (g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED)) {
      gtk_label_set_text(GTK_LABEL(self->status_label),
                         _("Stopped; finished frames are kept and skipped next time."));
    } else {
      gtk_label_set_text(GTK_LABEL(self->status_label), error->message);
      sr_ui_show_error(GTK_WIDGET(self), error->message);
    }
    g_clear_object(&self->job);
    update_controls(self);
  }
  g_object_unref(self);
}

char *
sr_page_render_get_output_pattern(SrPageRender *self)
{
  /* Delivery reads renders from the same place by default. */
  return self->project ? sr_delivery_default_render_pattern(self->project) : NULL;
}

static gboolean
start_job(SrPageRender *self, int first, int last, int count, GError **error)
{
  SrTrainingSettings t;

  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  const char *ck = self->project ? sr_project_get_checkpoint(self->project) : NULL;
  if (self->job) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, _("A render is already running."));
    return FALSE;
  }
  if (!ck || !*ck) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No checkpoint: train a model, or choose a checkpoint in the Train stage."));
    return FALSE;
  }
  char *output = sr_page_render_get_output_pattern(self);
  if (!output) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No output folder: choose one in the Project stage."));
    return FALSE;
  }
  RenderJob *j = g_new0(RenderJob, 1);
  sr_project_get_training(self->project, &t);
  j->source = sr_project_resolve_path(self->project, sr_project_get_source_pattern(self->project));
  j->checkpoint = sr_project_resolve_path(self->project, ck);
  j->output = output;
  j->backend = g_strdup(t.backend);
  j->first = first;
  j->last = last;
  j->count = count;
  if (self->log)
    render_log_unref(self->log);
  self->log = render_log_new();
  j->log = g_atomic_rc_box_acquire(self->log);
  self->n_done = 0;
  gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress_bar), 0);
  gtk_label_set_text(GTK_LABEL(self->status_label), _("Starting…"));
  self->job = sr_job_new(_("Rendering"), render_job_run, j, render_job_free);
  self->poll_id = g_timeout_add(200, on_poll, self);
  sr_ui_run_job(GTK_WIDGET(self), self->job, TRUE, on_render_done, g_object_ref(self));
  update_controls(self);
  return TRUE;
}

gboolean
sr_page_render_start(SrPageRender *self, int first, int last, GError **error)
{
  return start_job(self, first, last, 0, error);
}

void
sr_page_render_stop(SrPageRender *self)
{
  if (self->job)
    sr_job_cancel(self->job);
}

gboolean
sr_page_render_get_busy(SrPageRender *self)
{
  return self->job != NULL;
}

int
sr_page_render_get_n_done(SrPageRender *self)
{
  return self->n_done;
}

static void
start_range(SrPageRender *self, int count)
{
  g_autoptr(GError) error = NULL;
  if (!start_job(self, G_MININT / 2, -1, count, &error))
    sr_ui_show_error(GTK_WIDGET(self), error->message);
}

static void
on_check_clicked(GtkButton *button, SrPageRender *self)
{
  /* The first 100 frames: the worker clamps to the sequence's range. */
  start_range(self, 100);
}

static void
on_all_clicked(GtkButton *button, SrPageRender *self)
{
  start_range(self, 0);
}

static void
on_stop_clicked(GtkButton *button, SrPageRender *self)
{
  sr_page_render_stop(self);
}

static void
build_monitor(SrPageRender *self)
{
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);

  self->check_button = gtk_button_new_with_label(_("Check first 100 frames"));
  gtk_widget_add_css_class(self->check_button, "suggested-action");
  self->all_button = gtk_button_new_with_label(_("Render all"));
  self->stop_button = gtk_button_new_with_label(_("Stop"));
  g_signal_connect(self->check_button, "clicked", G_CALLBACK(on_check_clicked), self);
  g_signal_connect(self->all_button, "clicked", G_CALLBACK(on_all_clicked), self);
  g_signal_connect(self->stop_button, "clicked", G_CALLBACK(on_stop_clicked), self);
  gtk_box_append(GTK_BOX(row), self->check_button);
  gtk_box_append(GTK_BOX(row), self->all_button);
  gtk_box_append(GTK_BOX(row), self->stop_button);
  gtk_box_prepend(GTK_BOX(self->monitor), row);
  self->progress_bar = gtk_progress_bar_new();
  gtk_widget_insert_after(self->progress_bar, self->monitor, row);
  self->status_label = gtk_label_new(_("Not started."));
  gtk_label_set_xalign(GTK_LABEL(self->status_label), 0);
  gtk_label_set_wrap(GTK_LABEL(self->status_label), TRUE);
  gtk_widget_add_css_class(self->status_label, "dim-label");
  gtk_widget_insert_after(self->status_label, self->monitor, self->progress_bar);
}

static void
on_project_changed(SrProject *project, const char *description, SrPageRender *self)
{
  refresh(self);
}

static void
set_project(SrPageRender *self, SrProject *project)
{
  if (self->project == project)
    return;
  if (self->project)
    g_clear_signal_handler(&self->changed_handler, self->project);
  g_set_object(&self->project, project);
  if (project)
    self->changed_handler =
        g_signal_connect(project, "changed", G_CALLBACK(on_project_changed), self);
  refresh(self);
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PROJECT]);
}

static void
sr_page_render_dispose(GObject *object)
{
  SrPageRender *self = SR_PAGE_RENDER(object);

  if (self->project)
    g_clear_signal_handler(&self->changed_handler, self->project);
  g_clear_object(&self->project);
  g_clear_handle_id(&self->poll_id, g_source_remove);
  if (self->job)
    sr_job_cancel(self->job);
  g_clear_object(&self->job);
  if (self->log) {
    render_log_unref(self->log);
    self->log = NULL;
  }
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_RENDER);
  G_OBJECT_CLASS(sr_page_render_parent_class)->dispose(object);
}

static void
sr_page_render_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    g_value_set_object(value, SR_PAGE_RENDER(object)->project);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_render_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    set_project(SR_PAGE_RENDER(object), g_value_get_object(value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_render_class_init(SrPageRenderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->dispose = sr_page_render_dispose;
  object_class->get_property = sr_page_render_get_property;
  object_class->set_property = sr_page_render_set_property;
  properties[PROP_PROJECT] =
      g_param_spec_object("project", NULL, NULL, SR_TYPE_PROJECT,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-render.ui");
  gtk_widget_class_bind_template_child(widget_class, SrPageRender, facts_model);
  gtk_widget_class_bind_template_child(widget_class, SrPageRender, facts_output);
  gtk_widget_class_bind_template_child(widget_class, SrPageRender, empty_title);
  gtk_widget_class_bind_template_child(widget_class, SrPageRender, empty_text);
  gtk_widget_class_bind_template_child(widget_class, SrPageRender, monitor);
  gtk_widget_class_bind_template_child(widget_class, SrPageRender, empty_state);
}

static void
sr_page_render_init(SrPageRender *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
  build_monitor(self);
  update_controls(self);
}
