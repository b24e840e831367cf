/* sr-page-deliver.c — see sr-page-deliver.h.
 *
 * Shows what the project says about this stage; the work area explains what
 * appears there once the stage has something to show. */
#include "sr-page-deliver.h"

#include <glib/gi18n.h>

#include "sr-ui-util.h"

struct _SrPageDeliver {
  GtkBox parent_instance;

  GtkWidget *facts_provenance;
  GtkWidget *facts_delivery;
  GtkWidget *empty_title;
  GtkWidget *empty_text;

  SrProject *project;
  gulong changed_handler;
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
sr_page_deliver_dispose(GObject *object)
{
  SrPageDeliver *self = SR_PAGE_DELIVER(object);

  if (self->project)
    g_clear_signal_handler(&self->changed_handler, self->project);
  g_clear_object(&self->project);
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
}

static void
sr_page_deliver_init(SrPageDeliver *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
}
