/* sr-project-sets.c — the project's sets and review state: training pairs
 * and held-out frames (sorted frame sets), the archivist's flags, the
 * training settings, provenance and the acceptance checklist. Every edit
 * goes through sr_project_edited (sr-project-private.h), so undo and the
 * modified state follow it like any other. */
#include "sr-project-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sr-project-sequence.h"

static gboolean
frame_set_remove(GArray *a, int frame)
{
  int i = sr_project_frame_search(a, frame);
  if (i < 0)
    return FALSE;
  g_array_remove_index(a, (guint)i);
  return TRUE;
}

static gboolean
provenance_equal(const SrProvenance *a, const SrProvenance *b)
{
  return g_strcmp0(a->film_title, b->film_title) == 0 && g_strcmp0(a->shot_id, b->shot_id) == 0 &&
         g_strcmp0(a->source_element, b->source_element) == 0 &&
         g_strcmp0(a->reference_source, b->reference_source) == 0 &&
         g_strcmp0(a->restorationist, b->restorationist) == 0 &&
         g_strcmp0(a->institution, b->institution) == 0 && g_strcmp0(a->notes, b->notes) == 0;
}

static gboolean
training_equal(const SrTrainingSettings *a, const SrTrainingSettings *b)
{
  return a->model_size == b->model_size && a->patch == b->patch && a->batch == b->batch &&
         a->steps == b->steps && a->checkpoint_every == b->checkpoint_every &&
         a->contact_sheet_every == b->contact_sheet_every && a->learning_rate == b->learning_rate &&
         a->warmup_steps == b->warmup_steps && !a->cosine_decay == !b->cosine_decay &&
         !a->flip == !b->flip && !a->exposure_jitter == !b->exposure_jitter &&
         !a->scale_jitter == !b->scale_jitter && a->translate_px == b->translate_px &&
         a->seed == b->seed && strcmp(a->backend, b->backend) == 0;
}

/* ---- Frame sets --------------------------------------------------------------- */

static gboolean
check_frame_number(int frame, GError **error)
{
  if (frame >= 0 && frame <= MAX_FRAME)
    return TRUE;
  g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD,
              _("%d is not a frame number (0..%d)"), frame, MAX_FRAME);
  return FALSE;
}

const GArray *
sr_project_get_pairs(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  return self->pairs;
}

gboolean
sr_project_check_pair(SrProject *self, int frame, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  if (!check_frame_number(frame, error))
    return FALSE;
  if (sr_project_frame_search(self->held_out, frame) >= 0) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD,
                _("frame %d is held out for validation; remove it from the held-out frames before "
                  "training on it"),
                frame);
    return FALSE;
  }
  if (frame == self->preview_frame) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD,
                _("frame %d is the preview frame; choose another preview frame before training on "
                  "it"),
                frame);
    return FALSE;
  }
  return sr_project_check_pair_reference(self, frame, error);
}

gboolean
sr_project_add_pair(SrProject *self, int frame, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  if (!sr_project_check_pair(self, frame, error))
    return FALSE;
  if (sr_project_frame_set_insert(self->pairs, frame)) {
    g_autofree char *what = g_strdup_printf(_("Add pair %d"), frame);
    sr_project_edited(self, what);
  }
  return TRUE;
}

guint
sr_project_add_pairs(SrProject *self, const int *frames, guint n)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), 0);
  g_autoptr(GString) list = g_string_new(NULL);
  guint added = 0;
  for (guint i = 0; i < n; i++) {
    if (!sr_project_check_pair(self, frames[i], NULL) ||
        !sr_project_frame_set_insert(self->pairs, frames[i]))
      continue;
    g_string_append_printf(list, "%s%d", added ? ", " : "", frames[i]);
    added++;
  }
  if (added) {
    g_autofree char *what =
        g_strdup_printf(g_dngettext(NULL, "Add pair %s", "Add pairs %s", added), list->str);
    sr_project_edited(self, what);
  }
  return added;
}

gboolean
sr_project_remove_pair(SrProject *self, int frame)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  if (!frame_set_remove(self->pairs, frame))
    return FALSE;
  g_autofree char *what = g_strdup_printf(_("Remove pair %d"), frame);
  sr_project_edited(self, what);
  return TRUE;
}

gboolean
sr_project_has_pair(SrProject *self, int frame)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  return sr_project_frame_search(self->pairs, frame) >= 0;
}

const GArray *
sr_project_get_held_out(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  return self->held_out;
}

gboolean
sr_project_add_held_out(SrProject *self, int frame, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  if (!check_frame_number(frame, error))
    return FALSE;
  gboolean was_pair = frame_set_remove(self->pairs, frame);
  gboolean added = sr_project_frame_set_insert(self->held_out, frame);
  if (was_pair || added) {
    g_autofree char *what = g_strdup_printf(_("Hold out frame %d"), frame);
    sr_project_edited(self, what);
  }
  return TRUE;
}

gboolean
sr_project_remove_held_out(SrProject *self, int frame)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  if (!frame_set_remove(self->held_out, frame))
    return FALSE;
  g_autofree char *what = g_strdup_printf(_("Stop holding out frame %d"), frame);
  sr_project_edited(self, what);
  return TRUE;
}

gboolean
sr_project_is_held_out(SrProject *self, int frame)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  return sr_project_frame_search(self->held_out, frame) >= 0;
}

/* ---- Flags, training, provenance, acceptance ------------------------------- */

const GArray *
sr_project_get_flags(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  return self->flags;
}

void
sr_project_add_flag(SrProject *self, int frame, const char *reason)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(frame >= 0 && frame <= MAX_FRAME);
  guint at = 0;
  while (at < self->flags->len && g_array_index(self->flags, SrFlag, at).frame < frame)
    at++;
  if (at < self->flags->len && g_array_index(self->flags, SrFlag, at).frame == frame) {
    SrFlag *f = &g_array_index(self->flags, SrFlag, at);
    if (g_strcmp0(f->reason, reason != NULL ? reason : "") == 0)
      return;
    sr_project_set_string_field(&f->reason, reason);
  } else {
    SrFlag f = {frame, g_strdup(reason != NULL ? reason : "")};
    g_array_insert_val(self->flags, at, f);
  }
  g_autofree char *what = g_strdup_printf(_("Flag frame %d"), frame);
  sr_project_edited(self, what);
}

gboolean
sr_project_remove_flag(SrProject *self, int frame)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  for (guint i = 0; i < self->flags->len; i++)
    if (g_array_index(self->flags, SrFlag, i).frame == frame) {
      g_array_remove_index(self->flags, i);
      g_autofree char *what = g_strdup_printf(_("Unflag frame %d"), frame);
      sr_project_edited(self, what);
      return TRUE;
    }
  return FALSE;
}

void
sr_project_get_training(SrProject *self, SrTrainingSettings *out)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  *out = self->training;
}

gboolean
sr_project_set_training(SrProject *self, const SrTrainingSettings *s, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  g_return_val_if_fail(s != NULL, FALSE);
  if (!sr_project_training_validate(s, "", error))
    return FALSE;
  if (training_equal(&self->training, s))
    return TRUE;
  self->training = *s;
  self->training.cosine_decay = !!s->cosine_decay;
  self->training.flip = !!s->flip;
  self->training.exposure_jitter = !!s->exposure_jitter;
  self->training.scale_jitter = !!s->scale_jitter;
  sr_project_edited(self, _("Training settings"));
  return TRUE;
}

const SrProvenance *
sr_project_get_provenance(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  return &self->provenance;
}

void
sr_project_set_provenance(SrProject *self, const SrProvenance *p)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(p != NULL);
  SrProvenance copy;
  sr_project_provenance_copy(&copy, p);
  if (provenance_equal(&copy, &self->provenance)) {
    sr_project_provenance_clear(&copy);
    return;
  }
  sr_project_provenance_clear(&self->provenance);
  self->provenance = copy;
  sr_project_edited(self, "Provenance");
}

gboolean
sr_project_get_accepted(SrProject *self, const char *item)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  for (guint i = 0; item != NULL && i < self->accepted->len; i++)
    if (strcmp(g_ptr_array_index(self->accepted, i), item) == 0)
      return TRUE;
  return FALSE;
}

void
sr_project_set_accepted(SrProject *self, const char *item, gboolean accepted)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(item != NULL && *item != '\0');
  guint at = 0;
  while (at < self->accepted->len && strcmp(g_ptr_array_index(self->accepted, at), item) < 0)
    at++;
  gboolean present =
      at < self->accepted->len && strcmp(g_ptr_array_index(self->accepted, at), item) == 0;
  if (present == !!accepted)
    return;
  if (accepted)
    g_ptr_array_insert(self->accepted, (gint)at, g_strdup(item));
  else
    g_ptr_array_remove_index(self->accepted, at);
  g_autofree char *what = g_strdup_printf("%s %s", accepted ? "Accept" : "Un-accept", item);
  sr_project_edited(self, what);
}
