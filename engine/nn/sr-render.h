/* sr-render.h — Stage 4 as a concurrent, resumable pipeline.
 *
 * Readers (a pool) check each frame's output and read the Source frames
 * that still need rendering; the calling thread runs the network one frame
 * at a time (the backend is itself multithreaded, and a GPU context stays on
 * the thread that opened it); writers (a pool) encode and write the results
 * atomically. Queues between the stages are bounded, so at most
 * readers + 2·queue_depth + writers frames are in memory at once. Frames
 * finish in any order.
 *
 * Resume: a frame whose output already exists, reads back at the Source
 * frame's size and (for EXR) carries the same spatialRecovery:modelId
 * attribute is skipped; one rendered by another model is rendered again.
 *
 * Regrain (optional, off by default): with a grain plan (sr-grain.h) each
 * frame's ΔY gets the plan's grain for that frame number before it is
 * merged back (luma only, chroma untouched), and the frame carries the
 * plan's description in spatialRecovery:grain; resume then also requires
 * that attribute to match, so a frame rendered without the grain, or with
 * another plan, is rendered again. Without a plan the frame is exactly the
 * network's (sr_infer_frame) and carries no grain attribute.
 *
 * A Source frame that cannot be read is reported and left out; every other
 * frame still renders. Any other error (writing, the network) or a cancel
 * stops the pipeline: frames being written finish atomically, queued ones
 * are dropped, nothing half-written stays.
 *
 * Before any work the run refuses an output pattern whose frames would
 * replace a Source (or Reference) frame, however the path is spelt, and an
 * output folder it cannot write.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>

#include "sr-error.h"
#include "sr-grain.h"
#include "sr-infer.h"
#include "sr-io.h"

#define SR_RENDER_MODEL_ID_ATTR   "spatialRecovery:modelId"
#define SR_RENDER_CHECKPOINT_ATTR "spatialRecovery:checkpoint"
#define SR_RENDER_GRAIN_ATTR      "spatialRecovery:grain"

typedef enum sr_render_frame_status {
  SR_RENDER_FRAME_RENDERED,
  SR_RENDER_FRAME_SKIPPED, /* output already complete */
  SR_RENDER_FRAME_MISSING, /* Source frame absent, skipped by skip_missing */
} sr_render_frame_status;

typedef struct sr_render_options {
  int first, last;             /* Source frames to render, inclusive */
  const char *output_pattern;  /* printf or #### pattern; extension picks the format */
  const char *checkpoint_path; /* stored as an attribute; may be NULL */
  sr_write_options write;
  sr_infer_options infer;
  int readers;                  /* 0 = 2 */
  int writers;                  /* 0 = 2 */
  int queue_depth;              /* 0 = 2 frames per queue */
  bool skip_missing;            /* missing Source frames are listed, not fatal */
  const sr_sequence *reference; /* also never overwritten; may be NULL */
  const sr_regrain *regrain;    /* grain to add; NULL: none (the default) */
  const char *grain_attr;       /* the plan's description, required with regrain */
} sr_render_options;

void sr_render_options_init(sr_render_options *o);

typedef struct sr_render_progress {
  int frame;
  sr_render_frame_status status;
  const char *path; /* the frame's output path */
  int done, total;  /* frames finished in any way, of total */
  int rendered, skipped, missing;
  double frames_per_second; /* rendered frames per second of wall time */
  double eta_seconds;       /* NaN until one frame was rendered */
  double frame_seconds;     /* read to written, for rendered frames */
} sr_render_progress;

typedef struct sr_render_callbacks {
  void *user;
  /* Called once per finished frame, from any pipeline thread, never two at
   * a time. */
  void (*progress)(void *user, const sr_render_progress *p);
  /* Called for each frame that failed; the message names the frame. */
  void (*frame_error)(void *user, int frame, const sr_error *e);
  const atomic_bool *cancel;
} sr_render_callbacks;

typedef struct sr_render_result {
  int total, rendered, skipped, failed;
  int *missing; /* Source frames skipped by skip_missing, ascending */
  int n_missing;
  bool cancelled;
  double seconds;
  double frames_per_second;
} sr_render_result;

void sr_render_result_clear(sr_render_result *r);

/* True when out_path is a finished render of a width×height frame by the
 * model model_id (EXR: the attribute must match; other formats carry no
 * attributes, so only the size is checked), without grain. */
bool sr_render_output_complete(const char *out_path, int width, int height, const char *model_id);
/* The same, with the grain plan described by grain_attr (NULL: without
 * grain): the EXR frame's spatialRecovery:grain must match. */
bool sr_render_output_complete_grain(const char *out_path, int width, int height,
                                     const char *model_id, const char *grain_attr);

/* One frame of Stage 4 with the optional grain: sr_infer_frame when g is
 * NULL, else prep, network, g's grain for `frame` added to ΔY, merge. */
sr_image *sr_render_frame(sr_unet *net, const sr_image *source, const sr_prep_settings *prep,
                          const sr_infer_options *opts, const sr_regrain *g, int frame,
                          sr_error *err);

/* Fails (SR_ERR_INVALID, naming both files) when a frame first..last of
 * output_pattern is a frame of source or reference (may be NULL). */
bool sr_render_refuse_inputs(const sr_sequence *source, const sr_sequence *reference,
                             const char *output_pattern, int first, int last, sr_error *err);

/* Renders opts->first..last of seq with model. cb and result may be NULL.
 * Returns false with the first error (SR_ERR_CANCELLED on cancel, SR_ERR_MISSING
 * naming the frame for a missing Source frame without skip_missing). */
bool sr_render_run(sr_model *model, const sr_sequence *seq, const sr_render_options *opts,
                   const sr_render_callbacks *cb, sr_render_result *result, sr_error *err);
