/* sr-history.c — see sr-history.h. */
#include "sr-history.h"

#include <glib/gi18n.h>

#include <string.h>

/* Edits with the same label closer together than this are one step. */
#define MERGE_WINDOW_US (1000 * 1000)

typedef struct {
  char *snapshot; /* project state before (undo stack) or after (redo stack) */
  char *label;
} Step;

struct _SrHistory {
  GObject parent_instance;

  SrProject *project;
  gulong changed_handler;
  GPtrArray *undo; /* of Step*, oldest first */
  GPtrArray *redo; /* of Step*, next redo last */
  char *current;   /* snapshot of the project as it is now */
  char *saved;     /* snapshot last marked saved (NULL: none matches) */
  gint64 last_edit_us;
  gboolean restoring;
  gboolean merge_open;
};

G_DEFINE_FINAL_TYPE(SrHistory, sr_history, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_CAN_UNDO,
  PROP_CAN_REDO,
  PROP_UNDO_LABEL,
  PROP_REDO_LABEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
step_free(gpointer data)
{
  Step *step = data;
  g_free(step->snapshot);
  g_free(step->label);
  g_free(step);
}

static Step *
step_new(const char *snapshot, const char *label)
{
  Step *step = g_new0(Step, 1);
  step->snapshot = g_strdup(snapshot);
  step->label = g_strdup(label ? label : _("Edit"));
  return step;
}

static char *
take_snapshot(SrProject *project)
{
  gsize len = 0;
  return sr_project_to_data(project, &len);
}

static void
notify_all(SrHistory *self)
{
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_CAN_UNDO]);
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_CAN_REDO]);
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_UNDO_LABEL]);
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_REDO_LABEL]);
}

static void
sync_modified(SrHistory *self)
{
  gboolean modified = self->saved == NULL || g_strcmp0(self->saved, self->current) != 0;

  if (sr_project_get_modified(self->project) != modified)
    sr_project_set_modified(self->project, modified);
}

static void
on_project_changed(SrProject *project, const char *description, gpointer user_data)
{
  SrHistory *self = user_data;
  char *now;
  gint64 t;
  Step *top;

  if (self->restoring)
    return;
  now = take_snapshot(project);
  /* Notifications that change nothing saved (e.g. "modified") are not edits. */
  if (g_strcmp0(now, self->current) == 0) {
    g_free(now);
    return;
  }

  t = g_get_monotonic_time();
  top = self->undo->len ? g_ptr_array_index(self->undo, self->undo->len - 1) : NULL;
  if (!(self->merge_open && top && self->redo->len == 0 &&
        g_strcmp0(top->label, description) == 0 && t - self->last_edit_us < MERGE_WINDOW_US)) {
    g_ptr_array_add(self->undo, step_new(self->current, description));
    if (self->undo->len > SR_HISTORY_DEPTH)
      g_ptr_array_remove_index(self->undo, 0);
  }
  g_ptr_array_set_size(self->redo, 0);
  g_free(self->current);
  self->current = now;
  self->last_edit_us = t;
  self->merge_open = TRUE;
  sync_modified(self);
  notify_all(self);
}

static void
sr_history_dispose(GObject *object)
{
  SrHistory *self = SR_HISTORY(object);

  if (self->project) {
    g_clear_signal_handler(&self->changed_handler, self->project);
    g_clear_object(&self->project);
  }
  G_OBJECT_CLASS(sr_history_parent_class)->dispose(object);
}

static void
sr_history_finalize(GObject *object)
{
  SrHistory *self = SR_HISTORY(object);

  g_ptr_array_unref(self->undo);
  g_ptr_array_unref(self->redo);
  g_free(self->current);
  g_free(self->saved);
  G_OBJECT_CLASS(sr_history_parent_class)->finalize(object);
}

static void
sr_history_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SrHistory *self = SR_HISTORY(object);

  switch (prop_id) {
  case PROP_PROJECT: g_value_set_object(value, self->project); break;
  case PROP_CAN_UNDO: g_value_set_boolean(value, sr_history_get_can_undo(self)); break;
  case PROP_CAN_REDO: g_value_set_boolean(value, sr_history_get_can_redo(self)); break;
  case PROP_UNDO_LABEL: g_value_set_string(value, sr_history_get_undo_label(self)); break;
  case PROP_REDO_LABEL: g_value_set_string(value, sr_history_get_redo_label(self)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void
sr_history_class_init(SrHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);

  object_class->dispose = sr_history_dispose;
  object_class->finalize = sr_history_finalize;
  object_class->get_property = sr_history_get_property;

  properties[PROP_PROJECT] = g_param_spec_object("project", NULL, NULL, SR_TYPE_PROJECT,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_UNDO] = g_param_spec_boolean("can-undo", NULL, NULL, FALSE,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_REDO] = g_param_spec_boolean("can-redo", NULL, NULL, FALSE,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNDO_LABEL] = g_param_spec_string("undo-label", NULL, NULL, NULL,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REDO_LABEL] = g_param_spec_string("redo-label", NULL, NULL, NULL,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);
}

static void
sr_history_init(SrHistory *self)
{
  self->undo = g_ptr_array_new_with_free_func(step_free);
  self->redo = g_ptr_array_new_with_free_func(step_free);
}

SrHistory *
sr_history_new(SrProject *project)
{
  g_return_val_if_fail(SR_IS_PROJECT(project), NULL);

  SrHistory *self = g_object_new(SR_TYPE_HISTORY, NULL);
  self->project = g_object_ref(project);
  self->current = take_snapshot(project);
  if (!sr_project_get_modified(project))
    self->saved = g_strdup(self->current);
  self->changed_handler =
      g_signal_connect(project, "changed", G_CALLBACK(on_project_changed), self);
  return self;
}

SrProject *
sr_history_get_project(SrHistory *self)
{
  g_return_val_if_fail(SR_IS_HISTORY(self), NULL);
  return self->project;
}

gboolean
sr_history_get_can_undo(SrHistory *self)
{
  g_return_val_if_fail(SR_IS_HISTORY(self), FALSE);
  return self->undo->len > 0;
}

gboolean
sr_history_get_can_redo(SrHistory *self)
{
  g_return_val_if_fail(SR_IS_HISTORY(self), FALSE);
  return self->redo->len > 0;
}

const char *
sr_history_get_undo_label(SrHistory *self)
{
  g_return_val_if_fail(SR_IS_HISTORY(self), NULL);
  if (self->undo->len == 0)
    return NULL;
  return ((Step *)g_ptr_array_index(self->undo, self->undo->len - 1))->label;
}

const char *
sr_history_get_redo_label(SrHistory *self)
{
  g_return_val_if_fail(SR_IS_HISTORY(self), NULL);
  if (self->redo->len == 0)
    return NULL;
  return ((Step *)g_ptr_array_index(self->redo, self->redo->len - 1))->label;
}

/* Moves the top step of `from` onto `to`, putting its snapshot back. */
static gboolean
travel(SrHistory *self, GPtrArray *from, GPtrArray *to, GError **error)
{
  Step *step;
  gboolean ok;

  if (from->len == 0)
    return TRUE;
  step = g_ptr_array_steal_index(from, from->len - 1);

  self->restoring = TRUE;
  ok = sr_project_restore(self->project, step->snapshot, error);
  self->restoring = FALSE;
  if (!ok) {
    g_ptr_array_add(from, step);
    return FALSE;
  }

  /* The same step object now records the state we left. */
  char *left = self->current;
  self->current = step->snapshot;
  step->snapshot = left;
  g_ptr_array_add(to, step);
  self->merge_open = FALSE;
  sync_modified(self);
  notify_all(self);
  return TRUE;
}

gboolean
sr_history_undo(SrHistory *self, GError **error)
{
  g_return_val_if_fail(SR_IS_HISTORY(self), FALSE);
  return travel(self, self->undo, self->redo, error);
}

gboolean
sr_history_redo(SrHistory *self, GError **error)
{
  g_return_val_if_fail(SR_IS_HISTORY(self), FALSE);
  return travel(self, self->redo, self->undo, error);
}

void
sr_history_mark_saved(SrHistory *self)
{
  g_return_if_fail(SR_IS_HISTORY(self));
  /* Saving may have changed the stored file path; the saved state is now. */
  g_free(self->current);
  self->current = take_snapshot(self->project);
  g_free(self->saved);
  self->saved = g_strdup(self->current);
  self->merge_open = FALSE;
  sync_modified(self);
}

void
sr_history_break_merge(SrHistory *self)
{
  g_return_if_fail(SR_IS_HISTORY(self));
  self->merge_open = FALSE;
}

void
sr_history_clear(SrHistory *self)
{
  g_return_if_fail(SR_IS_HISTORY(self));
  g_ptr_array_set_size(self->undo, 0);
  g_ptr_array_set_size(self->redo, 0);
  g_free(self->current);
  self->current = take_snapshot(self->project);
  g_free(self->saved);
  self->saved = sr_project_get_modified(self->project) ? NULL : g_strdup(self->current);
  self->merge_open = FALSE;
  notify_all(self);
}
