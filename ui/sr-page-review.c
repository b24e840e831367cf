/* sr-page-review.c — see sr-page-review.h.
 *
 * Shows what the project says about this stage; the work area explains what
 * appears there once the stage has something to show. */
#include "sr-page-review.h"

#include <glib/gi18n.h>

#include "sr-ui-util.h"

struct _SrPageReview {
  GtkBox parent_instance;

  GtkWidget *facts_acceptance;
  GtkWidget *facts_flags;
  GtkWidget *empty_title;
  GtkWidget *empty_text;

  SrProject *project;
  gulong changed_handler;
};

G_DEFINE_FINAL_TYPE(SrPageReview, sr_page_review, GTK_TYPE_BOX)

enum { PROP_0, PROP_PROJECT, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
refresh(SrPageReview *self)
{
  SrProject *p = self->project;

  if (!p)
    return;

  static const char *const items[][2] = {
    {"sharper-edges", N_("Sharper edges, more detail")},
    {"grain", N_("Grain consistent with the Reference")},
    {"no-flicker", N_("No flicker over time")},
    {"no-colour-shift", N_("No colour shift")},
    {"no-halos", N_("No over-sharpening or halos")},
  };
  const char *state[5];
  for (int i = 0; i < 5; i++)
    state[i] = sr_project_get_accepted(p, items[i][0]) ? _("accepted") : _("not yet judged");
  sr_ui_fill_facts(self->facts_acceptance, _(items[0][1]), state[0], _(items[1][1]), state[1],
                   _(items[2][1]), state[2], _(items[3][1]), state[3], _(items[4][1]), state[4],
                   NULL);

  const GArray *flags = sr_project_get_flags(p);
  GString *text = g_string_new(NULL);
  for (guint i = 0; i < flags->len; i++) {
    const SrFlag *f = &g_array_index(flags, SrFlag, i);
    g_string_append_printf(text, "%s%d — %s", i ? "\n" : "", f->frame,
                           f->reason && f->reason[0] ? f->reason : _("no reason given"));
  }
  sr_ui_fill_facts(self->facts_flags, _("Frames"), flags->len ? text->str : _("none"), NULL);
  g_string_free(text, TRUE);
}

static void
on_project_changed(SrProject *project, const char *description, SrPageReview *self)
{
  refresh(self);
}

static void
set_project(SrPageReview *self, SrProject *project)
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
sr_page_review_dispose(GObject *object)
{
  SrPageReview *self = SR_PAGE_REVIEW(object);

  if (self->project)
    g_clear_signal_handler(&self->changed_handler, self->project);
  g_clear_object(&self->project);
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_REVIEW);
  G_OBJECT_CLASS(sr_page_review_parent_class)->dispose(object);
}

static void
sr_page_review_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    g_value_set_object(value, SR_PAGE_REVIEW(object)->project);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_review_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    set_project(SR_PAGE_REVIEW(object), g_value_get_object(value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_review_class_init(SrPageReviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->dispose = sr_page_review_dispose;
  object_class->get_property = sr_page_review_get_property;
  object_class->set_property = sr_page_review_set_property;
  properties[PROP_PROJECT] =
      g_param_spec_object("project", NULL, NULL, SR_TYPE_PROJECT,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-review.ui");
  gtk_widget_class_bind_template_child(widget_class, SrPageReview, facts_acceptance);
  gtk_widget_class_bind_template_child(widget_class, SrPageReview, facts_flags);
  gtk_widget_class_bind_template_child(widget_class, SrPageReview, empty_title);
  gtk_widget_class_bind_template_child(widget_class, SrPageReview, empty_text);
}

static void
sr_page_review_init(SrPageReview *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
}
