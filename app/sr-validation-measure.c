/* sr-validation-measure.c — the per-frame part of validation: each frame
 * of the render is read with its Source and Reference frames and measured
 * on a worker thread, and its measurement is keyed (files, model,
 * preprocessing, frame map, held-out state) into the render's QA cache so
 * an unchanged frame is never read twice. The run that drives it, the
 * tables and the note are in sr-validation-note.c. */
#include "sr-config.h"

#include "sr-validation-private.h"

#include <glib/gi18n.h>

#include "sr-io.h"
#include "sr-sha256.h"


/* The cache key of frame f, from the files as they are before reading. */
static gboolean
frame_key(measure_shared *ms, int i, gboolean ref_exists, guint8 key[SR_SHA256_DIGEST_SIZE])
{
  int f = ms->first + i;
  g_autofree char *rp = sr_sequence_frame_path(ms->rseq, f);
  g_autofree char *sp = sr_sequence_frame_path(ms->sseq, f);
  int rf = sr_frame_map_reference(ms->map, f);
  g_autofree char *fp = ref_exists ? sr_sequence_frame_path(ms->fseq, rf) : NULL;
  g_autofree char *context = g_strdup_printf("%s held=%d", ms->context, ms->held_out[i] ? 1 : 0);
  return rp && sp && (!ref_exists || fp) && sr_qa_cache_key(context, rp, sp, fp, key);
}

static void
frame_done(measure_shared *ms, int f, gboolean cached)
{
  g_mutex_lock(&ms->lock);
  ms->done++;
  ms->cached += cached;
  if (ms->progress)
    ms->progress(ms->done, ms->total, f, ms->user_data);
  g_mutex_unlock(&ms->lock);
}

/* One frame: read render, Source and Reference, measure. data = index + 1. */
void
sr_validation_measure_one(gpointer data, gpointer user_data)
{
  measure_shared *ms = user_data;
  int i = GPOINTER_TO_INT(data) - 1, f = ms->first + i;
  g_mutex_lock(&ms->lock);
  gboolean stop = ms->error != NULL;
  if (!stop && g_cancellable_set_error_if_cancelled(ms->cancellable, &ms->error))
    stop = TRUE;
  g_mutex_unlock(&ms->lock);
  if (stop)
    return;
  int rf = sr_frame_map_reference(ms->map, f);
  gboolean ref_exists = ms->fseq && rf != SR_NO_FRAME && sr_sequence_has_frame(ms->fseq, rf);
  guint8 key[SR_SHA256_DIGEST_SIZE];
  gboolean keyed = frame_key(ms, i, ref_exists, key);
  if (keyed && sr_qa_cache_lookup(ms->cache, f, key, &ms->frames[i])) {
    frame_done(ms, f, TRUE);
    return;
  }
  sr_error err = {0};
  sr_image *rec = sr_sequence_read(ms->rseq, f, &err);
  sr_image *src = rec ? sr_sequence_read(ms->sseq, f, &err) : NULL;
  sr_image *ref = src && ref_exists ? sr_sequence_read(ms->fseq, rf, &err) : NULL;
  gboolean fine = src && (!ref_exists || ref);
  /* sr_sequence_read names the frame itself; only a measurement error
   * needs it added. */
  gboolean read_all = fine;
  if (fine) {
    sr_qa_options qo = {.held_out = ms->held_out[i]};
    qo.fidelity = qo.held_out && ref != NULL;
    fine = sr_qa_measure_frame(ms->ctx, f, rec, src, ref, &qo, &ms->frames[i], &err);
  }
  sr_image_free(rec);
  sr_image_free(src);
  sr_image_free(ref);
  if (fine) {
    if (keyed)
      sr_qa_cache_store(ms->cache, f, key, &ms->frames[i]);
    frame_done(ms, f, FALSE);
    return;
  }
  g_mutex_lock(&ms->lock);
  if (!ms->error) {
    if (read_all)
      sr_error_prefix(&err, _("frame %d: "), f);
    sr_validation_fail_sr(&ms->error, SR_VALIDATION_ERROR_IO, &err);
  }
  g_mutex_unlock(&ms->lock);
}

/* What a frame's measurement depends on besides the three files: the model
 * and the preprocessing (crop, colour spaces, matrix). */
char *
sr_validation_cache_context(SrProject *project, const sr_prep_settings *prep,
                            const SrCheckpointFacts *facts)
{
  /* The frame map decides which Reference frame each frame meets. */
  g_auto(sr_frame_map) map;
  sr_project_get_frame_map(project, &map);
  char desc[256];
  sr_frame_map_describe(&map, desc, sizeof desc);
  return g_strdup_printf("model=%s crop=%d,%d,%d,%d spaces=%d,%d matrix=%d prefilter=%d "
                         "offset=%d map=%s",
                         facts ? facts->model_id : "", prep->crop.x, prep->crop.y, prep->crop.w,
                         prep->crop.h, (int)prep->source_space, (int)prep->reference_space,
                         (int)prep->matrix, (int)prep->prefilter,
                         sr_project_get_reference_offset(project), desc);
}
