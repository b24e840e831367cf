/* sr-page-train.c — see sr-page-train.h.
 *
 * Shows what the project says about this stage; the work area explains what
 * appears there once the stage has something to show. */
#include "sr-page-train.h"

#include <glib/gi18n.h>

#include "sr-ui-util.h"

struct _SrPageTrain {
  GtkBox parent_instance;

  GtkWidget *facts_settings;
  GtkWidget *facts_data;
  GtkWidget *empty_title;
  GtkWidget *empty_text;

  SrProject *project;
  gulong changed_handler;
};

G_DEFINE_FINAL_TYPE(SrPageTrain, sr_page_train, GTK_TYPE_BOX)

enum { PROP_0, PROP_PROJECT, N_PROPS };
static GParamSpec *properties[N_PROPS];

/* "1001, 1012, 1030" or "none". */
static char *
frames_text(const GArray *frames)
{
  GString *s = g_string_new(NULL);

  for (guint i = 0; i < frames->len; i++)
    g_string_append_printf(s, "%s%d", i ? ", " : "", g_array_index(frames, int, i));
  if (frames->len == 0)
    g_string_append(s, _("none"));
  return g_string_free(s, FALSE);
}

static void
refresh(SrPageTrain *self)
{
  SrProject *p = self->project;

  if (!p)
    return;

  SrTrainingSettings t;
  static const char *const sizes[] = {"S (16 channels, 3 levels)", "M (32 channels, 4 levels)",
                                      "L (64 channels, 4 levels)"};
  const GArray *pairs = sr_project_get_pairs(p);
  const GArray *held = sr_project_get_held_out(p);
  int preview = sr_project_get_preview_frame(p);

  sr_project_get_training(p, &t);
  g_autofree char *patch = g_strdup_printf("%d px", t.patch);
  g_autofree char *batch = g_strdup_printf("%d", t.batch);
  g_autofree char *steps = g_strdup_printf("%d", t.steps);
  g_autofree char *ckpt = g_strdup_printf(_("every %d steps"), t.checkpoint_every);
  g_autofree char *sheet = g_strdup_printf(_("every %d steps"), t.contact_sheet_every);
  g_autofree char *lr = g_strdup_printf(_("%g, %d warm-up steps%s"), t.learning_rate,
                                        t.warmup_steps, t.cosine_decay ? _(", cosine decay") : "");
  g_autofree char *aug = g_strdup_printf(_("translate ±%g px%s%s%s"), t.translate_px,
                                         t.flip ? _(", horizontal flip") : "",
                                         t.exposure_jitter ? _(", exposure ±0.1") : "",
                                         t.scale_jitter ? _(", scale ±5 %") : "");
  sr_ui_fill_facts(self->facts_settings, _("Model"),
                   sizes[CLAMP((int)t.model_size, 0, 2)], _("Patch"), patch, _("Batch"), batch,
                   _("Steps"), steps, _("Checkpoints"), ckpt, _("Contact sheets"), sheet,
                   _("Learning rate"), lr, _("Augmentation"), aug, _("Backend"), t.backend, NULL);

  g_autofree char *pair_list = frames_text(pairs);
  g_autofree char *held_list = frames_text(held);
  g_autofree char *preview_text = preview >= 0 ? g_strdup_printf("%d", preview) : g_strdup(_("none"));
  sr_ui_fill_facts(self->facts_data, _("Pairs"), pair_list, _("Held out"), held_list,
                   _("Preview frame"), preview_text, NULL);
}

static void
on_project_changed(SrProject *project, const char *description, SrPageTrain *self)
{
  refresh(self);
}

static void
set_project(SrPageTrain *self, SrProject *project)
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
sr_page_train_dispose(GObject *object)
{
  SrPageTrain *self = SR_PAGE_TRAIN(object);

  if (self->project)
    g_clear_signal_handler(&self->changed_handler, self->project);
  g_clear_object(&self->project);
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_TRAIN);
  G_OBJECT_CLASS(sr_page_train_parent_class)->dispose(object);
}

static void
sr_page_train_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    g_value_set_object(value, SR_PAGE_TRAIN(object)->project);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_train_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    set_project(SR_PAGE_TRAIN(object), g_value_get_object(value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_train_class_init(SrPageTrainClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->dispose = sr_page_train_dispose;
  object_class->get_property = sr_page_train_get_property;
  object_class->set_property = sr_page_train_set_property;
  properties[PROP_PROJECT] =
      g_param_spec_object("project", NULL, NULL, SR_TYPE_PROJECT,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-train.ui");
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, facts_settings);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, facts_data);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, empty_title);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, empty_text);
}

static void
sr_page_train_init(SrPageTrain *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
}
