/* sr-page-deliver.c — see sr-page-deliver.h.
 *
 * Shows what the project says about this stage; the work area explains what
 * appears there once the stage has something to show. */
#include "sr-page-deliver.h"

#include <glib/gi18n.h>

#include "sr-delivery.h"
#include "sr-ui-util.h"

typedef struct {
  SrProject *snapshot;
  char *out_dir;
  SrDeliveryResult result;
} DeliverJob;

static void
deliver_job_free(gpointer p)
{
  DeliverJob *j = p;
  g_clear_object(&j->snapshot);
  g_free(j->out_dir);
  sr_delivery_result_clear(&j->result);
  g_free(j);
}

static void
on_delivery_progress(int done, int total, int frame, const char *status, gpointer user_data)
{
  g_autofree char *msg = g_strdup_printf(_("Frame %d %s (%d of %d)"), frame, status, done, total);
  sr_job_set_progress(user_data, total > 0 ? (double)done / total : -1, msg);
}

static gboolean
deliver_job_run(SrJob *job, gpointer data, GError **error)
{
  DeliverJob *j = data;
  SrDeliveryOptions o;

  sr_delivery_options_init(&o);
  o.out_dir = j->out_dir;
  return sr_delivery_run(j->snapshot, &o, on_delivery_progress, job, sr_job_get_cancellable(job),
                         &j->result, error);
}

struct _SrPageDeliver {
  GtkBox parent_instance;

  GtkWidget *facts_provenance;
  GtkWidget *facts_delivery;
  GtkWidget *empty_title;
  GtkWidget *empty_text;
  GtkWidget *monitor;
  GtkWidget *empty_state;

  GtkWidget *deliver_button, *open_button, *status_label;

  SrProject *project;
  gulong changed_handler;

  SrJob *job;
  int n_written;
  char *done_dir;
};

G_DEFINE_FINAL_TYPE(SrPageDeliver, sr_page_deliver, GTK_TYPE_BOX)

enum { PROP_0, PROP_PROJECT, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
refresh(SrPageDeliver *self)
{
  SrProject *p = self->project;

  if (!p)
    return;

  const SrProvenance *prov = sr_project_get_provenance(p);
  sr_ui_fill_facts(self->facts_provenance, _("Film title"), prov->film_title, _("Shot id"),
                   prov->shot_id, _("Source element"), prov->source_element,
                   _("Reference source"), prov->reference_source, _("Restorationist"),
                   prov->restorationist, _("Institution"), prov->institution, _("Notes"),
                   prov->notes, NULL);
  const char *folder = sr_project_get_output_folder(p);
  sr_ui_fill_facts(self->facts_delivery, _("Masters"), _("OpenEXR half, ACES2065-1, ZIP"),
                   _("Folder"), folder && folder[0] ? folder : _("Not chosen yet"), _("Version"),
                   sr_project_get_version(p), _("Digital source type"),
                   _("trainedAlgorithmicMedia (compositeWithTrainedAlgorithmicMedia for a merged crop)"),
                   NULL);
}

static void
on_project_changed(SrProject *project, const char *description, SrPageDeliver *self)
{
  refresh(self);
}

static void
set_project(SrPageDeliver *self, SrProject *project)
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
on_deliver_done(GObject *source, GAsyncResult *res, gpointer data)
{
  SrPageDeliver *self = data;
  g_autoptr(GError) error = NULL;
  SrJob *job = SR_JOB(source);
  DeliverJob *j = sr_job_get_data(job);

  if (self->job == job) {
    if (sr_job_finish(job, res, &error)) {
      g_autofree char *text = g_strdup_printf(
          _("Delivered %d masters (%d already there) to %s, with %s and %s."), j->result.written,
          j->result.skipped, j->result.out_dir, j->result.json_path, j->result.text_path);
      gtk_label_set_text(GTK_LABEL(self->status_label), text);
      self->n_written = j->result.written;
      g_free(self->done_dir);
      self->done_dir = g_strdup(j->result.out_dir);
    } else if (!g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED)) {
      gtk_label_set_text(GTK_LABEL(self->status_label), error->message);
      sr_ui_show_error(GTK_WIDGET(self), error->message);
    }
    g_clear_object(&self->job);
    gtk_widget_set_sensitive(self->deliver_button, TRUE);
    gtk_widget_set_visible(self->open_button, self->done_dir != NULL);
    gtk_widget_set_visible(self->empty_state, self->done_dir == NULL);
  }
  g_object_unref(self);
}

gboolean
sr_page_deliver_start(SrPageDeliver *self, const char *out_dir, GError **error)
{
  g_return_val_if_fail(SR_IS_PAGE_DELIVER(self), FALSE);
  if (self->job) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, _("A delivery is already running."));
    return FALSE;
  }
  if (!self->project) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING, _("No project is open."));
    return FALSE;
  }
  gsize len = 0;
  g_autofree char *json = sr_project_to_data(self->project, &len);
  GFile *file = sr_project_get_file(self->project);
  g_autofree char *origin = file ? g_file_get_path(file) : NULL;
  SrProject *snapshot = sr_project_load_from_data(json, len, origin, error);
  if (!snapshot)
    return FALSE;
  DeliverJob *j = g_new0(DeliverJob, 1);
  j->snapshot = snapshot;
  j->out_dir = g_strdup(out_dir);
  gtk_label_set_text(GTK_LABEL(self->status_label), _("Delivering…"));
  gtk_widget_set_sensitive(self->deliver_button, FALSE);
  self->job = sr_job_new(_("Delivering"), deliver_job_run, j, deliver_job_free);
  sr_ui_run_job(GTK_WIDGET(self), self->job, TRUE, on_deliver_done, g_object_ref(self));
  return TRUE;
}

gboolean
sr_page_deliver_get_busy(SrPageDeliver *self)
{
  return self->job != NULL;
}

int
sr_page_deliver_get_n_written(SrPageDeliver *self)
{
  return self->n_written;
}

const char *
sr_page_deliver_get_out_dir(SrPageDeliver *self)
{
  return self->done_dir;
}

static void
on_deliver_clicked(GtkButton *button, SrPageDeliver *self)
{
  g_autoptr(GError) error = NULL;
  if (!sr_page_deliver_start(self, NULL, &error))
    sr_ui_show_error(GTK_WIDGET(self), error->message);
}

static void
on_open_clicked(GtkButton *button, SrPageDeliver *self)
{
  if (!self->done_dir)
    return;
  g_autofree char *uri = g_filename_to_uri(self->done_dir, NULL, NULL);
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  if (uri)
    gtk_show_uri(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, uri, GDK_CURRENT_TIME);
}

static void
build_monitor(SrPageDeliver *self)
{
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);

  self->deliver_button = gtk_button_new_with_label(_("Deliver"));
  gtk_widget_add_css_class(self->deliver_button, "suggested-action");
  self->open_button = gtk_button_new_with_label(_("Open folder"));
  gtk_widget_set_visible(self->open_button, FALSE);
  g_signal_connect(self->deliver_button, "clicked", G_CALLBACK(on_deliver_clicked), self);
  g_signal_connect(self->open_button, "clicked", G_CALLBACK(on_open_clicked), self);
  gtk_box_append(GTK_BOX(row), self->deliver_button);
  gtk_box_append(GTK_BOX(row), self->open_button);
  gtk_box_prepend(GTK_BOX(self->monitor), row);
  self->status_label = gtk_label_new(_("Masters, provenance (JSON and text) go to the output "
                                       "folder's delivery folder."));
  gtk_label_set_xalign(GTK_LABEL(self->status_label), 0);
  gtk_label_set_wrap(GTK_LABEL(self->status_label), TRUE);
  gtk_widget_add_css_class(self->status_label, "dim-label");
  gtk_widget_insert_after(self->status_label, self->monitor, row);
}

static void
sr_page_deliver_dispose(GObject *object)
{
  SrPageDeliver *self = SR_PAGE_DELIVER(object);

  if (self->project)
    g_clear_signal_handler(&self->changed_handler, self->project);
  g_clear_object(&self->project);
  if (self->job)
    sr_job_cancel(self->job);
  g_clear_object(&self->job);
  g_clear_pointer(&self->done_dir, g_free);
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_DELIVER);
  G_OBJECT_CLASS(sr_page_deliver_parent_class)->dispose(object);
}

static void
sr_page_deliver_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    g_value_set_object(value, SR_PAGE_DELIVER(object)->project);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_deliver_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    set_project(SR_PAGE_DELIVER(object), g_value_get_object(value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_deliver_class_init(SrPageDeliverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->dispose = sr_page_deliver_dispose;
  object_class->get_property = sr_page_deliver_get_property;
  object_class->set_property = sr_page_deliver_set_property;
  properties[PROP_PROJECT] =
      g_param_spec_object("project", NULL, NULL, SR_TYPE_PROJECT,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-deliver.ui");
  gtk_widget_class_bind_template_child(widget_class, SrPageDeliver, facts_provenance);
  gtk_widget_class_bind_template_child(widget_class, SrPageDeliver, facts_delivery);
  gtk_widget_class_bind_template_child(widget_class, SrPageDeliver, empty_title);
  gtk_widget_class_bind_template_child(widget_class, SrPageDeliver, empty_text);
  gtk_widget_class_bind_template_child(widget_class, SrPageDeliver, monitor);
  gtk_widget_class_bind_template_child(widget_class, SrPageDeliver, empty_state);
}

static void
sr_page_deliver_init(SrPageDeliver *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
  self->n_written = -1;
  build_monitor(self);
}
