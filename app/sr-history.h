/* sr-history.h — undo and redo of project edits.
 *
 * SrHistory watches an SrProject's "changed" signal and keeps JSON snapshots
 * (sr_project_to_data) before and after each edit; undo and redo put a
 * snapshot back with sr_project_restore. Edits with the same description that
 * follow each other within a second (typing in a provenance field, dragging
 * the crop) merge into one step. The project's "modified" flag follows the
 * distance from the last snapshot marked as saved.
 */
#pragma once

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_HISTORY (sr_history_get_type())
G_DECLARE_FINAL_TYPE(SrHistory, sr_history, SR, HISTORY, GObject)

/* Starts with the project's current state as the only (saved) snapshot. */
SrHistory *sr_history_new(SrProject *project);
SrProject *sr_history_get_project(SrHistory *self);

/* Properties "can-undo", "can-redo", "undo-label", "redo-label" (the edit's
 * description, NULL when there is nothing to undo/redo). */
gboolean sr_history_get_can_undo(SrHistory *self);
gboolean sr_history_get_can_redo(SrHistory *self);
const char *sr_history_get_undo_label(SrHistory *self);
const char *sr_history_get_redo_label(SrHistory *self);

/* FALSE (with error) only when a snapshot no longer restores. */
gboolean sr_history_undo(SrHistory *self, GError **error);
gboolean sr_history_redo(SrHistory *self, GError **error);

/* The project's current state is what is on disk (after load or save). */
void sr_history_mark_saved(SrHistory *self);
/* Ends the current merge window: the next edit is its own step. */
void sr_history_break_merge(SrHistory *self);
/* Forgets every step (a new project was loaded into the same object). */
void sr_history_clear(SrHistory *self);

/* Steps kept at most; older ones are dropped. */
#define SR_HISTORY_DEPTH 200

G_END_DECLS
