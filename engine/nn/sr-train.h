/* sr-train.h — training the U-Net on built pairs.
 *
 * The built pairs stay resident in memory. Each step draws `batch` patches,
 * cycling through the pairs so every pair is used evenly, each at a random
 * position, with paired augmentations applied identically to the input and
 * the ground truth: window translation (reflected at frame edges),
 * horizontal flip, optional exposure gain (±10 %) and optional scale (±5 %,
 * bilinear, off by default). Nothing sharpens, blurs or adds grain.
 *
 * Before the first step the linear branch (sr-linear.h) is fitted to the
 * pairs and the network starts at ΔY = 0 on top of it (linear_start), so the
 * model is never worse than the linear solution and learns the residual.
 * The loss is Charbonnier on Y (sr-backend.h); Adam with a linear warm-up
 * then cosine decay to zero, both scaled to the run (sr_train_warmup). Every `checkpoint_every` steps and at the end:
 * a checkpoint (out_dir/checkpoints/step_NNNNNN.safetensors and a copy at
 * out_dir/checkpoints/latest.safetensors, both with Adam moments and the
 * RNG state), the preview frame (out_dir/preview/step_NNNNNN.exr) and the
 * held-out PSNR/SSIM of Y against the ground truth (sr-metrics.h). Every
 * `contact_sheet_every` steps: out_dir/contact/step_NNNNNN.png (rows: batch
 * samples; columns: input | ground truth | output).
 *
 * Resuming from a checkpoint restores weights, Adam moments, step and RNG,
 * so on the CPU backend a run stopped at step k and resumed reaches the same
 * weights, bit for bit, as an uninterrupted run.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sr-checkpoint.h"
#include "sr-error.h"
#include "sr-image.h"
#include "sr-pairs.h"
#include "sr-rng.h"
#include "sr-unet.h"

typedef struct sr_train_config {
  sr_unet_size model_size;     /* M */
  int patch;                   /* 512; multiple of the model's size multiple, <= crop */
  int batch;                   /* 3 */
  int64_t steps;               /* 40000 */
  int64_t checkpoint_every;    /* 10000 */
  int64_t contact_sheet_every; /* 100; 0 = never */
  double learning_rate;        /* 2e-4 */
  int64_t warmup_steps;        /* 1000: the cap; see sr_train_warmup */
  bool cosine_decay;           /* true */
  bool linear_start;           /* true: fit the linear branch first (sr-linear.h) */
  bool flip;                   /* true */
  bool exposure_jitter;        /* false: gain in [0.9, 1.1] */
  bool scale_jitter;           /* false: scale in [0.95, 1.05] */
  double translate_px;         /* 4 */
  uint64_t seed;               /* 1 */
  char backend[16];            /* "auto", "cpu", "cuda" */
  int threads;                 /* CPU threads; 0 = default */
} sr_train_config;

void sr_train_config_init(sr_train_config *c);
/* Checks ranges; crop_w/crop_h (> 0) is the size of the built pairs: a patch
 * larger than the crop is an error that says so. */
bool sr_train_config_validate(const sr_train_config *c, int crop_w, int crop_h, sr_error *err);
/* JSON object with every field (caller frees); stored in checkpoints. */
char *sr_train_config_to_json(const sr_train_config *c);
/* Reads fields present in json over c's current values. */
bool sr_train_config_from_json(sr_train_config *c, const char *json, sr_error *err);
/* The warm-up scales with the run: SR_TRAIN_WARMUP_PERCENT of the steps
 * (rounded up), capped at warmup_steps (0 = none). A 1,500-step run warms up
 * over 75 steps, a 40,000-step run over 1,000; the cosine decay then spans
 * every step after the warm-up. */
#define SR_TRAIN_WARMUP_PERCENT 5
int64_t sr_train_warmup(const sr_train_config *c);
/* Learning rate at step t (1-based): linear warm-up, then cosine decay to 0
 * at the last step (or constant without decay). */
double sr_train_lr(const sr_train_config *c, int64_t t);

typedef struct sr_train_data {
  const sr_pair *pairs; /* built training pairs (sr_pair_build) */
  int n_pairs;
  const sr_pair *held_out; /* built pairs of held-out frames (may be 0) */
  int n_held_out;
  const sr_image *preview_source; /* the preview frame as read, or NULL */
  int preview_frame;              /* -1 when none */
  int reference_offset;
  sr_prep_settings prep;
} sr_train_data;

/* Bytes the pairs need while training holds them all: input and ground
 * truth (RGB float) of each pair at the crop size (the frame size without
 * a crop), plus the Source and Reference frames read while one is built. */
uint64_t sr_train_pairs_memory(int n_pairs, int frame_w, int frame_h, int frame_channels,
                               sr_rect crop);
/* Fails before any pair is read when they would not fit in `available`
 * bytes (sr_memory_available(); 0 means unknown and passes), naming the
 * memory needed, the memory available and what to change. */
bool sr_train_check_memory(int n_pairs, int frame_w, int frame_h, int frame_channels, sr_rect crop,
                           uint64_t available, sr_error *err);

/* Draws the batch of training step t (1-based) into src and gt (each
 * batch×patch×patch×3): pairs in turn, random windows, augmentations.
 * Exposed for tests; the trainer calls it once per step. */
void sr_train_sample_batch(const sr_train_config *c, const sr_train_data *d, int64_t t, sr_rng *rng,
                           float *src, float *gt);

/* SHA-256 over the pairs' frame numbers, sizes and pixel bytes (hex). */
void sr_train_data_hash(const sr_train_data *d, char out[65]);

typedef struct sr_train_progress {
  int64_t step, steps;
  double loss;     /* this step's loss */
  double loss_avg; /* exponential average (about 100 steps) */
  double lr;
  double steps_per_second;
  double eta_seconds;
  bool paused;
} sr_train_progress;

typedef struct sr_train_eval {
  int64_t step;
  const char *checkpoint_path;
  const char *preview_path; /* NULL when there is no preview frame */
  char model_id[65];
  int n_held_out;
  double psnr_before, psnr_after; /* mean over held-out frames; NaN when none */
  double ssim_before, ssim_after;
  double loss_avg;
} sr_train_eval;

typedef struct sr_train_callbacks {
  void *user;
  void (*progress)(void *user, const sr_train_progress *p);
  void (*contact_sheet)(void *user, int64_t step, const sr_image *sheet, const char *path);
  void (*checkpoint)(void *user, const sr_train_eval *e);
  /* Checked before every step: cancel stops after saving a checkpoint of
   * the last finished step; pause waits (checking every 50 ms). */
  const atomic_bool *cancel;
  const atomic_bool *pause;
} sr_train_callbacks;

typedef struct sr_train_result {
  int64_t start_step; /* 0, or the step resumed from */
  int64_t step;       /* last finished step */
  double loss_avg;
  char model_id[65];
  char checkpoint_path[4096];
  double psnr_before, psnr_after, ssim_before, ssim_after;
  bool cancelled;
  char backend[256]; /* description of the backend used */
  char backend_reason[256];
} sr_train_result;

/* Trains (or resumes from `resume`, a checkpoint path, when not NULL) and
 * writes everything under out_dir. cb may be NULL. On cancel returns false
 * with SR_ERR_CANCELLED after saving the last finished step. */
bool sr_train_run(const sr_train_config *cfg, const sr_train_data *data, const char *out_dir,
                  const char *resume, const sr_train_callbacks *cb, sr_train_result *result,
                  sr_error *err);
