/* sr-training-estimate.c — how long a training run will take, measured the
 * way the run will go: the configuration a run would get (the same patch
 * fitted to the same size, batch, model, backend and threads), one untimed
 * step that pays for the one-off set-up, then a few timed steps of the
 * trainer's own step function, whose median is the time of a step. */
#include "sr-training.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-backend.h"
#include "sr-io.h"
#include "sr-job.h"
#include "sr-project-sequence.h"

gboolean
sr_training_size(SrProject *project, int *w, int *h, GError **error)
{
  sr_rect crop = sr_project_get_crop(project);
  const GArray *pairs = sr_project_get_pairs(project);
  sr_error err = {0};

  if (crop.w > 0 && crop.h > 0) {
    *w = crop.w;
    *h = crop.h;
    return TRUE;
  }
  /* No crop: the pairs are whole frames, and the first pair's header says
   * how big (a project without pairs has the first Source frame's size). */
  g_autofree char *src = sr_project_resolve_path(project, sr_project_get_source_pattern(project));
  sr_sequence seq = {0};
  if (!src || !sr_project_open_sequence(project, src, &seq, &err)) {
    if (!src)
      sr_error_set(&err, SR_ERR_MISSING, _("the project names no Source sequence"));
    sr_job_error_from_engine(error, &err);
    return FALSE;
  }
  int frame = pairs->len ? g_array_index(pairs, int, 0) : seq.first;
  sr_image_info info;
  gboolean ok = sr_sequence_frame_info(&seq, frame, &info, &err);
  sr_sequence_clear(&seq);
  if (!ok) {
    sr_job_error_from_engine(error, &err);
    return FALSE;
  }
  *w = info.width;
  *h = info.height;
  return TRUE;
}

static int
compare_doubles(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double
sr_training_median(const double *values, int n)
{
  if (n <= 0)
    return NAN;
  double sorted[SR_TRAINING_MEASURE_MAX];
  n = MIN(n, SR_TRAINING_MEASURE_MAX);
  memcpy(sorted, values, (size_t)n * sizeof *sorted);
  qsort(sorted, (size_t)n, sizeof *sorted, compare_doubles);
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

double
sr_training_estimate_seconds(double seconds_per_step, gint64 steps, gint64 start_step)
{
  return seconds_per_step * (double)MAX(steps - MAX(start_step, 0), 0);
}

static gboolean
stop_asked(const SrTrainingMeasureOptions *o)
{
  return o->stop && o->stop(o->user);
}

/* Steps of the trainer's step function on a ramp (the time of a step does
 * not depend on the values). */
static gboolean
measure_steps(sr_backend *be, const SrTrainingMeasureOptions *o, SrTrainingMeasure *out,
              sr_error *err)
{
  const sr_train_config *c = &out->config;
  size_t count = (size_t)c->batch * c->patch * c->patch * 3;
  g_autofree float *src = g_try_new(float, count), *gt = g_try_new(float, count);
  sr_unet *net = NULL;
  sr_unet_workspace *ws = NULL;
  gboolean ok = FALSE;

  if (!src || !gt) {
    sr_error_set(err, SR_ERR_NOMEM, _("not enough memory for %d × %d px patches"), c->patch,
                 c->patch);
    return FALSE;
  }
  for (size_t i = 0; i < count; i++) {
    src[i] = 0.25f + 0.5f * (float)((i / 3) % (size_t)c->patch) / (float)c->patch;
    gt[i] = src[i] + ((i / 3) % 2 ? 0.02f : -0.02f);
  }
  if (!(net = sr_unet_new(c->model_size, be, err)) || !sr_unet_init(net, c->seed, err) ||
      !(ws = sr_unet_workspace_new(net, c->batch, c->patch, c->patch, true, err)))
    goto out;
  sr_loss_desc loss = {0.2126f, 0.7152f, 0.0722f, SR_CHARBONNIER_EPS};
  sr_adam_desc adam = sr_adam_defaults();
  double l;
  double budget = o->seconds > 0 ? o->seconds : 1.0;
  int max_steps = CLAMP(o->max_steps > 0 ? o->max_steps : 5, 1, SR_TRAINING_MEASURE_MAX);
  gint64 begin = g_get_monotonic_time();
  /* Step 0 creates the primitives, compiles kernels and touches the
   * workspace for the first time: it can take several times as long as a
   * step of the run, so it is reported apart and never used as the time
   * of a step. */
  for (int i = 0; i <= max_steps; i++) {
    if (stop_asked(o))
      goto out;
    adam.step = i + 1;
    gint64 t0 = g_get_monotonic_time();
    if (!sr_unet_train_step_host(net, ws, src, gt, &loss, &adam, &l, err) ||
        !sr_backend_synchronize(be, err))
      goto out;
    double s = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
    if (i == 0) {
      out->warmup_seconds = s;
      begin = g_get_monotonic_time();
      continue;
    }
    out->step_seconds[out->n_timed++] = s;
    if ((double)(g_get_monotonic_time() - begin) / G_USEC_PER_SEC >= budget)
      break;
  }
  out->seconds_per_step = sr_training_median(out->step_seconds, out->n_timed);
  ok = TRUE;
out:
  sr_unet_workspace_free(ws);
  sr_unet_free(net);
  return ok;
}

void
sr_training_measure_options_init(SrTrainingMeasureOptions *o)
{
  memset(o, 0, sizeof *o);
  o->fit_patch = TRUE;
  o->seconds = 1.0;
  o->max_steps = 5;
}

gboolean
sr_training_measure(SrProject *project, const SrTrainingMeasureOptions *opts,
                    SrTrainingMeasure *out, GError **error)
{
  SrTrainingMeasureOptions defaults;
  SrTrainingSettings settings;
  sr_error err = {0};
  char reason[256] = "";
  gboolean ok = FALSE;

  g_return_val_if_fail(SR_IS_PROJECT(project), FALSE);
  if (!opts) {
    sr_training_measure_options_init(&defaults);
    opts = &defaults;
  }
  memset(out, 0, sizeof *out);
  /* The same mapping, threads and patch fitting as sr_training_run. */
  sr_training_config_for(project, opts->settings, opts->threads, &settings, &out->config);
  if (!sr_training_size(project, &out->train_w, &out->train_h, error))
    return FALSE;
  if (opts->fit_patch)
    out->config.patch = sr_training_fit_patch(out->config.patch, out->train_w, out->train_h,
                                              (SrModelSize)out->config.model_size);
  sr_backend *be = strcmp(out->config.backend, "cpu") == 0 && out->config.threads > 0
                       ? sr_backend_cpu_create(out->config.threads, &err)
                       : sr_backend_open(out->config.backend, reason, sizeof reason, &err);
  if (be) {
    g_strlcpy(out->backend_name, be->name, sizeof out->backend_name);
    ok = measure_steps(be, opts, out, &err);
    sr_backend_close(be);
  }
  if (!ok && !stop_asked(opts))
    sr_job_error_from_engine(error, &err);
  else if (!ok)
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("measurement stopped"));
  return ok;
}
