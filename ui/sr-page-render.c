/* sr-page-render.c — see sr-page-render.h.
 *
 * Shows what the project says about this stage; the work area explains what
 * appears there once the stage has something to show. */
#include "sr-page-render.h"

#include <glib/gi18n.h>

#include "sr-ui-util.h"

struct _SrPageRender {
  GtkBox parent_instance;

  GtkWidget *facts_model;
  GtkWidget *facts_output;
  GtkWidget *empty_title;
  GtkWidget *empty_text;

  SrProject *project;
  gulong changed_handler;
};

G_DEFINE_FINAL_TYPE(SrPageRender, sr_page_render, GTK_TYPE_BOX)

enum { PROP_0, PROP_PROJECT, N_PROPS };
static GParamSpec *properties[N_PROPS];

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
}

static void
sr_page_render_init(SrPageRender *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
}
