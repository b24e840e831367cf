/* sr-training.c — see sr-training.h: the training entry point shared by the
 * command line and the Train page, the patch-fitting rule and the settings
 * to configuration mapping. */
#include "sr-training.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sr-checkpoint.h"
#include "sr-io.h"
#include "sr-job.h"
#include "sr-memory.h"
#include "sr-project-sequence.h"
#include "sr-training-runs.h"

int
sr_training_fit_patch(int patch, int crop_w, int crop_h, SrModelSize size)
{
  int mult = sr_unet_size_multiple((sr_unet_size)size);
  int side = MIN(crop_w, crop_h);

  if (crop_w <= 0 || crop_h <= 0)
    return patch;
  while (patch > side && patch / 2 >= mult && (patch / 2) % mult == 0)
    patch /= 2;
  return patch;
}

void
sr_training_config_from_settings(const SrTrainingSettings *t, sr_train_config *c)
{
  sr_train_config_init(c);
  c->model_size = (sr_unet_size)t->model_size;
  c->patch = t->patch;
  c->batch = t->batch;
  c->steps = t->steps;
  c->checkpoint_every = t->checkpoint_every;
  c->contact_sheet_every = t->contact_sheet_every;
  c->learning_rate = t->learning_rate;
  c->warmup_steps = t->warmup_steps;
  c->cosine_decay = t->cosine_decay;
  c->flip = t->flip;
  c->exposure_jitter = t->exposure_jitter;
  c->scale_jitter = t->scale_jitter;
  c->translate_px = t->translate_px;
  c->seed = t->seed;
  g_strlcpy(c->backend, t->backend[0] ? t->backend : "auto", sizeof c->backend);
  if (c->warmup_steps >= c->steps)
    c->warmup_steps = c->steps / 10;
}

void
sr_training_config_for(SrProject *project, const SrTrainingSettings *given, int threads,
                       SrTrainingSettings *settings, sr_train_config *config)
{
  if (given)
    *settings = *given;
  else
    sr_project_get_training(project, settings);
  sr_training_config_from_settings(settings, config);
  config->threads = threads;
}

char *
sr_training_default_out_dir(SrProject *project)
{
  const char *out = sr_project_get_output_folder(project);
  g_autofree char *abs = out && *out ? sr_project_resolve_path(project, out) : NULL;
  GFile *file = sr_project_get_file(project);

  if (abs)
    return g_build_filename(abs, "training", NULL);
  if (file) {
    g_autoptr(GFile) parent = g_file_get_parent(file);
    g_autofree char *dir = parent ? g_file_get_path(parent) : NULL;
    if (dir)
      return g_build_filename(dir, "training", NULL);
  }
  return g_build_filename(g_get_user_cache_dir(), "spatial-recovery", "training", NULL);
}

void
sr_training_options_init(SrTrainingOptions *o)
{
  memset(o, 0, sizeof *o);
  o->fit_patch = TRUE;
}

/* ---- the run ------------------------------------------------------------------ */

/* Everything read from the project before the first step. */
typedef struct {
  sr_sequence src, ref;
  sr_pair *pairs, *held;
  guint n_pairs, n_held;
  sr_image *preview;
  int preview_frame, offset;
  sr_frame_map map; /* which Reference frame each Source frame meets; offset above is its */
  sr_prep_settings prep;
} TrainingData;

static void
training_data_clear(TrainingData *d)
{
  for (guint i = 0; i < d->n_pairs; i++)
    sr_pair_clear(&d->pairs[i]);
  for (guint i = 0; i < d->n_held; i++)
    sr_pair_clear(&d->held[i]);
  g_free(d->pairs);
  g_free(d->held);
  sr_image_free(d->preview);
  sr_sequence_clear(&d->src);
  sr_sequence_clear(&d->ref);
  sr_frame_map_clear(&d->map);
}

/* Reads and builds the pair of Source frame `frame`; errors name the frame. */
static gboolean
build_pair(TrainingData *d, int frame, sr_pair *pair, sr_error *err)
{
  int ref_frame = sr_frame_map_reference(&d->map, frame);
  if (ref_frame == SR_NO_FRAME) {
    char desc[256];
    sr_frame_map_describe(&d->map, desc, sizeof desc);
    sr_error_set(err, SR_ERR_INVALID,
                 _("pair %d: no clean Reference frame under the frame map (%s); choose a frame "
                   "next to it"),
                 frame, desc);
    return FALSE;
  }
  sr_image *s = sr_sequence_read(&d->src, frame, err);
  sr_image *r = s ? sr_sequence_read(&d->ref, ref_frame, err) : NULL;
  gboolean ok = s && r && sr_pair_build(s, r, &d->prep, pair, err);

  if (ok) {
    pair->source_frame = frame;
    pair->reference_frame = ref_frame;
  } else {
    sr_error_prefix(err, _("pair %d: "), frame);
  }
  sr_image_free(s);
  sr_image_free(r);
  return ok;
}

static gboolean
stopped(const atomic_bool *cancel, sr_error *err)
{
  if (!cancel || !atomic_load(cancel))
    return FALSE;
  sr_error_set(err, SR_ERR_CANCELLED, _("training stopped while reading the pairs"));
  return TRUE;
}

/* Refuses, before any pair is read, a set of pairs that would not fit in
 * memory; a frame that cannot be read is left for build_pair to name. */
static gboolean
check_memory(TrainingData *d, int frame, int n_pairs, sr_error *err)
{
  g_autofree char *path = sr_sequence_frame_path(&d->src, frame);
  sr_image_info info;
  if (path == NULL || !sr_image_read_info(path, &info, NULL))
    return TRUE;
  return sr_train_check_memory(n_pairs, info.width, info.height, info.channels, d->prep.crop,
                               sr_memory_available(), err);
}

static gboolean
training_data_load(SrProject *project, const atomic_bool *cancel, TrainingData *d, sr_error *err)
{
  const GArray *pairs = sr_project_get_pairs(project);
  const GArray *held = sr_project_get_held_out(project);
  g_autofree char *src = sr_project_resolve_path(project, sr_project_get_source_pattern(project));
  g_autofree char *ref =
      sr_project_resolve_path(project, sr_project_get_reference_pattern(project));

  sr_project_get_frame_map(project, &d->map);
  d->offset = d->map.offset;
  d->preview_frame = sr_project_get_preview_frame(project);
  sr_project_get_prep_settings(project, &d->prep);
  if (!src || !ref) {
    sr_error_set(err, SR_ERR_MISSING,
                 _("the project names no Source or no Reference sequence; choose both first"));
    return FALSE;
  }
  if (pairs->len == 0) {
    sr_error_set(err, SR_ERR_MISSING, _("no training pairs: add pairs before training"));
    return FALSE;
  }
  /* A movie's frame index is kept beside the project (sr-project-sequence.h). */
  g_autofree char *index_dir = sr_project_index_dir(project);
  if (!sr_sequence_open_indexed(&d->src, src, index_dir, err) ||
      !sr_sequence_open_indexed(&d->ref, ref, index_dir, err) ||
      !check_memory(d, g_array_index(pairs, int, 0), (int)(pairs->len + held->len), err))
    return FALSE;
  d->pairs = g_new0(sr_pair, pairs->len);
  d->held = g_new0(sr_pair, held->len + 1);
  for (; d->n_pairs < pairs->len; d->n_pairs++)
    if (stopped(cancel, err) ||
        !build_pair(d, g_array_index(pairs, int, d->n_pairs), &d->pairs[d->n_pairs], err))
      return FALSE;
  for (; d->n_held < held->len; d->n_held++) {
    if (stopped(cancel, err))
      return FALSE;
    if (!build_pair(d, g_array_index(held, int, d->n_held), &d->held[d->n_held], err)) {
      /* TRANSLATORS: put before "pair 12: <what went wrong>". */
      sr_error_prefix(err, "%s", _("held-out "));
      return FALSE;
    }
  }
  if (d->preview_frame >= 0 && !(d->preview = sr_sequence_read(&d->src, d->preview_frame, err))) {
    sr_error_prefix(err, _("preview frame %d: "), d->preview_frame);
    return FALSE;
  }
  return TRUE;
}

gboolean
sr_training_run(SrProject *project, const SrTrainingOptions *opts, SrTrainingResult *out,
                GError **error)
{
  SrTrainingOptions defaults;
  SrTrainingSettings settings;
  TrainingData d = {0};
  sr_error err = {0};
  gboolean ok = FALSE;

  g_return_val_if_fail(SR_IS_PROJECT(project), FALSE);
  if (!opts) {
    sr_training_options_init(&defaults);
    opts = &defaults;
  }
  memset(out, 0, sizeof *out);
  g_autofree char *out_dir =
      opts->out_dir ? g_strdup(opts->out_dir) : sr_training_default_out_dir(project);

  SrTrainingPlan plan = {.out_dir = out_dir};
  sr_training_config_for(project, opts->settings, opts->threads, &settings, &plan.config);
  plan.requested_patch = settings.patch;
  if (opts->resume) {
    /* Read up front so progress can count this run's steps; the trainer
     * checks the checkpoint again in full. */
    sr_checkpoint_meta rm;
    sr_checkpoint_meta_init(&rm);
    if (!sr_checkpoint_read_meta(opts->resume, &rm, &err)) {
      sr_checkpoint_meta_clear(&rm);
      goto out;
    }
    plan.start_step = rm.step < plan.config.steps ? rm.step : 0;
    sr_checkpoint_meta_clear(&rm);
  }
  /* Nothing kept is written over: another run, or the model renders use. */
  if (!sr_training_check_out_dir(project, out_dir, opts->resume ? plan.start_step : -1, error))
    return FALSE;
  if (!training_data_load(project, opts->callbacks.cancel, &d, &err))
    goto out;
  plan.crop_w = d.pairs[0].input->width;
  plan.crop_h = d.pairs[0].input->height;
  plan.n_pairs = (int)d.n_pairs;
  plan.n_held_out = (int)d.n_held;
  if (opts->fit_patch)
    plan.config.patch = sr_training_fit_patch(plan.config.patch, plan.crop_w, plan.crop_h,
                                              (SrModelSize)plan.config.model_size);
  out->config = plan.config;
  if (opts->ready)
    opts->ready(opts->callbacks.user, &plan);

  sr_train_data data = {
      .pairs = d.pairs,
      .n_pairs = (int)d.n_pairs,
      .held_out = d.held,
      .n_held_out = (int)d.n_held,
      .preview_source = d.preview,
      .preview_frame = d.preview ? d.preview_frame : -1,
      .reference_offset = d.offset,
      .prep = d.prep,
  };
  ok =
      sr_train_run(&plan.config, &data, out_dir, opts->resume, &opts->callbacks, &out->train, &err);
out:
  if (!ok)
    sr_job_error_from_engine(error, &err);
  training_data_clear(&d);
  return ok;
}
