/* sr-rendering.h — Stage 4 render of a project's shot: the one entry point
 * the command line and the Render page both call.
 *
 * sr_rendering_run() opens the project's Source sequence and the model (the
 * project's checkpoint unless one is named), names the output after shot,
 * version and model in <output folder>/render (the name delivery and
 * validation look for, sr_delivery_default_render_pattern), creates the
 * folder, and runs the engine's concurrent, resumable render pipeline
 * (sr-render.h) over the range, reporting each frame through the engine's
 * callbacks. The render repeats the model's own preprocessing; the caller
 * can compare it with the project's from the plan.
 *
 * With regrain (off by default) the grain plan is taken from
 * <render stem>.grain.json beside the frames when it exists (a resumed
 * render, another render-farm task: the same grain for every frame), and
 * otherwise measured on the project's training pairs and saved there first
 * (sr-grain-plan.h); one process plans while the others wait for it.
 */
#pragma once

#include <gio/gio.h>

#include "sr-grain-plan.h"
#include "sr-infer.h"
#include "sr-project.h"
#include "sr-render.h"

G_BEGIN_DECLS

/* What a render is about to do, known before the first frame. */
typedef struct {
  const sr_model *model; /* meta (model id, size, step, preprocessing), backend */
  const char *checkpoint;
  const char *output_pattern;
  int first, last;
  const SrGrainPlan *grain; /* NULL without regrain */
  const char *grain_path;   /* where the plan is kept */
  gboolean grain_measured;  /* measured now, not loaded */
} SrRenderingPlan;

typedef struct {
  const char *checkpoint;     /* NULL: the project's (sr_checkpoint_facts_lookup) */
  const char *source_pattern; /* NULL: the project's Source */
  const char *output_pattern; /* NULL: named after shot, version and model */
  const char *backend;        /* NULL: the project's training backend */
  int first, last;            /* Source frames; a negative end: the sequence's own */
  int count;                  /* at most this many frames from first; 0: no limit */
  int tile;                   /* px; 0: automatic, -1: whole frame */
  gboolean skip_missing;      /* list missing Source frames instead of failing */
  gboolean regrain;           /* add the grain the Reference has and the model lacks */
  guint64 grain_seed;         /* 0: a new plan's is 1, a kept plan's stays */
  sr_write_options write;
  /* Called on the calling thread once the model is open and the range and
   * output known, before the first frame; may be NULL. */
  void (*ready)(gpointer user, const SrRenderingPlan *plan);
  /* The pipeline's callbacks and cancel flag, passed through. */
  sr_render_callbacks callbacks;
} SrRenderingOptions;

void sr_rendering_options_init(SrRenderingOptions *o);

typedef struct {
  gboolean started; /* the model opened and the pipeline ran */
  char model_id[65];
  char *checkpoint, *output_pattern;
  int first, last;
  gboolean grained; /* regrain on: grain, grain_path filled */
  SrGrainPlan grain;
  char *grain_path;
  sr_render_result render;
} SrRenderingResult;

void sr_rendering_result_clear(SrRenderingResult *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(SrRenderingResult, sr_rendering_result_clear)

/* Renders (see the top of this file). Fails with an SR_JOB_ERROR:
 * SR_JOB_ERROR_MISSING without an output folder or checkpoint, the engine's
 * error for a sequence or model that cannot be read or a frame that fails,
 * SR_JOB_ERROR_CANCELLED after a cancel (finished frames are kept and
 * skipped next time). out is filled as far as the run got. */
gboolean sr_rendering_run(SrProject *project, const SrRenderingOptions *opts,
                          SrRenderingResult *out, GError **error);

G_END_DECLS
