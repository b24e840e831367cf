/* sr-validation-private.h — what sr-validation-note.c (the run, tables and
 * note) shares with sr-validation-measure.c (measuring each frame on the
 * worker threads, keyed into the render's QA cache). Nothing else includes
 * it. */
#pragma once

#include "sr-qa-cache.h"
#include "sr-validation-note.h"

G_BEGIN_DECLS

typedef struct {
  const sr_qa_context *ctx;
  const sr_sequence *rseq, *sseq, *fseq;
  const sr_frame_map *map;
  int first, total;
  gboolean *held_out;
  sr_qa_frame *frames;
  GCancellable *cancellable;
  SrValidationProgress progress;
  gpointer user_data;
  SrQaCache *cache;
  const char *context; /* what the cache key adds to the files' identity */
  GMutex lock;
  int done, cached;
  GError *error; /* the first failure */
} measure_shared;

/* One frame: read render, Source and Reference, measure (or take the
 * measurement from the cache). data = index + 1; user_data the
 * measure_shared. A GThreadPool function. */
void sr_validation_measure_one(gpointer data, gpointer user_data);
/* What a frame's measurement depends on besides its three files. */
char *sr_validation_cache_context(SrProject *project, const sr_prep_settings *prep,
                                  const SrCheckpointFacts *facts);
gboolean sr_validation_fail_sr(GError **error, int code, const sr_error *err);

G_END_DECLS
