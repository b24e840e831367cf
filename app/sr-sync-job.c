/* sr-sync-job.c — frame matching for a project: both sequences opened the
 * project's way, progress and cancellation bridged to the engine. */
#include "sr-sync-job.h"

#include <glib/gi18n.h>

#include "sr-movie.h"
#include "sr-project-sequence.h"

G_DEFINE_QUARK(sr - sync - error - quark, sr_sync_error)

typedef struct {
  SrSyncProgress progress;
  gpointer user_data;
  GCancellable *cancellable;
} Bridge;

static bool
bridge_progress(int done, int total, void *user)
{
  Bridge *b = user;
  if (b->progress != NULL)
    b->progress(done, total, b->user_data);
  return !g_cancellable_is_cancelled(b->cancellable);
}

static gboolean
open_named(SrProject *project, const char *pattern, const char *which, sr_sequence *seq,
           GError **error)
{
  if (pattern == NULL || *pattern == '\0') {
    g_set_error(error, SR_SYNC_ERROR, SR_SYNC_ERROR_FAILED,
                _("no %s is set; choose its frames in the Project step"), which);
    return FALSE;
  }
  sr_error err = {0};
  if (!sr_project_open_sequence(project, pattern, seq, &err)) {
    g_set_error(error, SR_SYNC_ERROR, SR_SYNC_ERROR_FAILED, "%s: %s", which, err.message);
    return FALSE;
  }
  return TRUE;
}

gboolean
sr_project_sync(SrProject *project, int window, SrSyncProgress progress, gpointer user_data,
                GCancellable *cancellable, sr_sync_result *out, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(project), FALSE);
  sr_sequence src = {0}, ref = {0};
  if (!open_named(project, sr_project_get_source_pattern(project), _("Source"), &src, error))
    return FALSE;
  if (!open_named(project, sr_project_get_reference_pattern(project), _("Reference"), &ref,
                  error)) {
    sr_sequence_clear(&src);
    return FALSE;
  }
  Bridge bridge = {progress, user_data, cancellable};
  sr_sync_options o;
  sr_sync_options_init(&o);
  if (window > 0)
    o.window = window;
  o.progress = bridge_progress;
  o.user = &bridge;
  if (sr_sequence_is_movie(&ref))
    o.bottom_first = sr_movie_get_info(ref.movie)->scan == SR_SCAN_BOTTOM_FIRST;
  sr_error err = {0};
  gboolean ok = sr_sync_estimate(&src, &ref, &o, out, &err);
  if (!ok)
    g_set_error(error, SR_SYNC_ERROR,
                err.code == SR_ERR_CANCELLED ? SR_SYNC_ERROR_CANCELLED : SR_SYNC_ERROR_FAILED, "%s",
                err.message);
  sr_sequence_clear(&src);
  sr_sequence_clear(&ref);
  return ok;
}

char *
sr_sync_describe_mixed(const sr_sync_result *r, int max_ranges)
{
  GString *s = g_string_new(NULL);
  int ranges = 0;
  for (int i = 0; i < r->n_mixed;) {
    int j = i;
    while (j + 1 < r->n_mixed && r->mixed[j + 1] == r->mixed[j] + 1)
      j++;
    if (ranges == max_ranges) {
      g_string_append(s, ", ...");
      break;
    }
    g_string_append_printf(s, "%s%d", ranges ? ", " : "", r->mixed[i]);
    if (j > i)
      g_string_append_printf(s, "-%d", r->mixed[j]);
    ranges++;
    i = j + 1;
  }
  return g_string_free(s, FALSE);
}
