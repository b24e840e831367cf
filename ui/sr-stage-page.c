/* sr-stage-page.c — see sr-stage-page.h. */
#include "sr-stage-page.h"

typedef struct {
  SrProject *project;
  GSignalGroup *project_signals;
  gboolean busy;
} SrStagePagePrivate;

G_DEFINE_TYPE_WITH_PRIVATE(SrStagePage, sr_stage_page, GTK_TYPE_BOX)

enum { PROP_0, PROP_PROJECT, PROP_BUSY, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
on_project_changed(SrProject *project, const char *description, SrStagePage *self)
{
  SrStagePageClass *klass = SR_STAGE_PAGE_GET_CLASS(self);

  if (klass->project_changed)
    klass->project_changed(self, description);
}

SrProject *
sr_stage_page_get_project(SrStagePage *self)
{
  g_return_val_if_fail(SR_IS_STAGE_PAGE(self), NULL);
  SrStagePagePrivate *priv = sr_stage_page_get_instance_private(self);
  return priv->project;
}

void
sr_stage_page_set_project(SrStagePage *self, SrProject *project)
{
  g_return_if_fail(SR_IS_STAGE_PAGE(self));
  g_return_if_fail(!project || SR_IS_PROJECT(project));
  SrStagePagePrivate *priv = sr_stage_page_get_instance_private(self);
  SrStagePageClass *klass = SR_STAGE_PAGE_GET_CLASS(self);

  if (!g_set_object(&priv->project, project))
    return;
  g_signal_group_set_target(priv->project_signals, project);
  if (klass->project_set)
    klass->project_set(self, project);
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PROJECT]);
}

GSignalGroup *
sr_stage_page_get_project_signals(SrStagePage *self)
{
  g_return_val_if_fail(SR_IS_STAGE_PAGE(self), NULL);
  SrStagePagePrivate *priv = sr_stage_page_get_instance_private(self);
  return priv->project_signals;
}

gboolean
sr_stage_page_get_busy(SrStagePage *self)
{
  g_return_val_if_fail(SR_IS_STAGE_PAGE(self), FALSE);
  SrStagePagePrivate *priv = sr_stage_page_get_instance_private(self);
  return priv->busy;
}

void
sr_stage_page_set_busy(SrStagePage *self, gboolean busy)
{
  g_return_if_fail(SR_IS_STAGE_PAGE(self));
  SrStagePagePrivate *priv = sr_stage_page_get_instance_private(self);

  busy = !!busy;
  if (priv->busy == busy)
    return;
  priv->busy = busy;
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BUSY]);
}

static void
sr_stage_page_dispose(GObject *object)
{
  SrStagePagePrivate *priv = sr_stage_page_get_instance_private(SR_STAGE_PAGE(object));

  /* Let go of the project's signals before the subclass's widgets go. */
  if (priv->project_signals)
    g_signal_group_set_target(priv->project_signals, NULL);
  g_clear_object(&priv->project);
  G_OBJECT_CLASS(sr_stage_page_parent_class)->dispose(object);
}

static void
sr_stage_page_finalize(GObject *object)
{
  SrStagePagePrivate *priv = sr_stage_page_get_instance_private(SR_STAGE_PAGE(object));

  g_clear_object(&priv->project_signals);
  G_OBJECT_CLASS(sr_stage_page_parent_class)->finalize(object);
}

static void
sr_stage_page_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  SrStagePage *self = SR_STAGE_PAGE(object);

  switch (id) {
  case PROP_PROJECT: g_value_set_object(value, sr_stage_page_get_project(self)); break;
  case PROP_BUSY: g_value_set_boolean(value, sr_stage_page_get_busy(self)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
sr_stage_page_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    sr_stage_page_set_project(SR_STAGE_PAGE(object), g_value_get_object(value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_stage_page_class_init(SrStagePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);

  object_class->dispose = sr_stage_page_dispose;
  object_class->finalize = sr_stage_page_finalize;
  object_class->get_property = sr_stage_page_get_property;
  object_class->set_property = sr_stage_page_set_property;

  properties[PROP_PROJECT] =
      g_param_spec_object("project", NULL, NULL, SR_TYPE_PROJECT,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
      g_param_spec_boolean("busy", NULL, NULL, FALSE,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);
}

static void
sr_stage_page_init(SrStagePage *self)
{
  SrStagePagePrivate *priv = sr_stage_page_get_instance_private(self);

  priv->project_signals = g_signal_group_new(SR_TYPE_PROJECT);
  g_signal_group_connect_object(priv->project_signals, "changed", G_CALLBACK(on_project_changed),
                                self, 0);
}
