/* sr-training.h — Stage 3 training of a project: the one entry point the
 * command line and the Train page both call.
 *
 * sr_training_run() reads the project's pairs and held-out frames from its
 * Source and Reference sequences, builds each pair with the project's
 * preprocessing (crop, pre-filter, colour spaces), turns the training
 * settings into the trainer's configuration, fits the patch to the crop
 * (sr_training_fit_patch), and trains, reporting through the engine's
 * callbacks. Cancel and pause are the engine's flags, so a caller on an
 * SrJob worker passes sr_job_get_cancel_flag() and a pause flag of its own.
 *
 * The faces only parse and present: the CLI turns its options into a
 * project (loaded or built in memory) and settings, the Train page hands
 * over a copy of the open project (sr_project_copy_for_thread).
 */
#pragma once

#include <gio/gio.h>

#include "sr-project.h"
#include "sr-train.h"

G_BEGIN_DECLS

/* The patch the trainer uses for a crop of crop_w×crop_h: the guide asks for
 * 512 px, 256 when the crop is small, and never a patch larger than the
 * crop. So a patch that does not fit is halved until it fits, stopping at
 * the model's size multiple (the smallest patch the U-Net accepts; a crop
 * smaller than that is left to sr_train_config_validate to report). A patch
 * that fits, or an unknown crop (w or h <= 0), is returned unchanged.
 *
 * The step count is left alone: the guide's "proportionally more steps"
 * for a smaller patch is the archivist's call, since steps also place the
 * checkpoints, shape the learning-rate schedule and must stay the same for
 * a run to be resumed. */
int sr_training_fit_patch(int patch, int crop_w, int crop_h, SrModelSize size);

/* The size the patch is fitted to: the project's crop, else (no crop: the
 * pairs are whole frames) the first pair's Source frame, read from its
 * header. FALSE with a message when the Source cannot be opened. */
gboolean sr_training_size(SrProject *project, int *w, int *h, GError **error);

/* ---- Estimate (sr-training-estimate.c) ---- */

#define SR_TRAINING_MEASURE_MAX 16

typedef struct {
  const SrTrainingSettings *settings; /* NULL: the project's */
  int threads;                        /* as SrTrainingOptions.threads */
  gboolean fit_patch;                 /* default TRUE, as a run */
  double seconds;                     /* timed steps stop after this long (default 1 s) */
  int max_steps;                      /* ...or this many (default 5) */
  gboolean (*stop)(gpointer user);    /* polled between steps; may be NULL */
  gpointer user;
} SrTrainingMeasureOptions;

typedef struct {
  sr_train_config config; /* what a run of these settings gets: patch fitted, threads */
  int train_w, train_h;   /* the size the patch was fitted to (sr_training_size) */
  double warmup_seconds;  /* the first step (set-up included), never used as a step's time */
  int n_timed;
  double step_seconds[SR_TRAINING_MEASURE_MAX];
  double seconds_per_step; /* median of step_seconds */
  char backend_name[16];
} SrTrainingMeasure;

void sr_training_measure_options_init(SrTrainingMeasureOptions *o);
/* Times steps of the trainer's own step function for the configuration
 * sr_training_run would use on this project: one untimed step (primitive
 * creation, first-touch memory), then steps until the time or step budget
 * is spent (at least one). Runs on the calling thread. */
gboolean sr_training_measure(SrProject *project, const SrTrainingMeasureOptions *opts,
                             SrTrainingMeasure *out, GError **error);
/* The median of n values (n <= SR_TRAINING_MEASURE_MAX); NaN for none. */
double sr_training_median(const double *values, int n);
/* The time a run takes at seconds_per_step: the steps it still has to go
 * (steps - start_step; a resumed run starts at its checkpoint's step). */
double sr_training_estimate_seconds(double seconds_per_step, gint64 steps, gint64 start_step);

/* The trainer's configuration for project settings (the one copy of that
 * mapping). A warm-up as long as the run becomes a tenth of it. */
void sr_training_config_from_settings(const SrTrainingSettings *settings, sr_train_config *out);
/* The settings a run or a measurement uses (given, else the project's) into
 * *settings, and their configuration, with threads, into *config. */
void sr_training_config_for(SrProject *project, const SrTrainingSettings *given, int threads,
                            SrTrainingSettings *settings, sr_train_config *config);

/* Where a project's training writes: <output folder>/training, else a
 * "training" folder beside the project file, else the user cache. Caller
 * frees. */
char *sr_training_default_out_dir(SrProject *project);

/* Facts about a run, known once the pairs are built and before the first
 * step. */
typedef struct {
  sr_train_config config; /* as the trainer gets it, patch fitted */
  int requested_patch;    /* the settings' patch before fitting */
  int crop_w, crop_h;     /* size of the built pairs */
  int n_pairs, n_held_out;
  gint64 start_step; /* the step a resumed run continues from, else 0 */
  const char *out_dir;
} SrTrainingPlan;

typedef struct {
  const SrTrainingSettings *settings; /* NULL: the project's */
  const char *out_dir;                /* NULL: sr_training_default_out_dir() */
  const char *resume;                 /* checkpoint to continue from, or NULL */
  gboolean fit_patch;                 /* default TRUE: sr_training_fit_patch() */
  int threads;                        /* CPU threads; 0: the backend's default */
  /* Called on the calling thread once the plan is known, before the first
   * step (e.g. to size a progress bar); may be NULL. */
  void (*ready)(gpointer user, const SrTrainingPlan *plan);
  /* The trainer's callbacks and cancel/pause flags, passed through. */
  sr_train_callbacks callbacks;
} SrTrainingOptions;

void sr_training_options_init(SrTrainingOptions *o);

typedef struct {
  sr_train_config config; /* the configuration the run used */
  sr_train_result train;
} SrTrainingResult;

/* Trains the project (see the top of this file). Fails with an
 * SR_JOB_ERROR: SR_JOB_ERROR_MISSING without pairs or a sequence, the
 * engine's error naming the frame for a pair that cannot be built, and
 * SR_JOB_ERROR_CANCELLED after a cancel (the last finished step is saved;
 * out->train.cancelled is set). out is filled as far as the run got. */
gboolean sr_training_run(SrProject *project, const SrTrainingOptions *opts, SrTrainingResult *out,
                         GError **error);

G_END_DECLS
