/* sr-rendering.c — see sr-rendering.h: the render entry point shared by the
 * command line and the Render page. */
#include "sr-rendering.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sr-checkpoint.h"
#include "sr-delivery.h"
#include "sr-fs.h"
#include "sr-job.h"
#include "sr-project-sequence.h"

void
sr_rendering_options_init(SrRenderingOptions *o)
{
  memset(o, 0, sizeof *o);
  o->first = -1;
  o->last = -1;
  sr_write_options_init(&o->write);
}

void
sr_rendering_result_clear(SrRenderingResult *r)
{
  g_clear_pointer(&r->checkpoint, g_free);
  g_clear_pointer(&r->output_pattern, g_free);
  g_clear_pointer(&r->grain_path, g_free);
  sr_render_result_clear(&r->render);
}

/* The output when none is given: the project's default name for its own
 * checkpoint (which also keeps a render made under an earlier name), or the
 * same name carrying the id of the checkpoint the caller chose. */
static char *
output_pattern(SrProject *project, const SrRenderingOptions *opts, const sr_model *model)
{
  if (opts->output_pattern)
    return g_strdup(opts->output_pattern);
  if (!opts->checkpoint)
    return sr_delivery_default_render_pattern(project);
  char id_short[SR_MODEL_ID_SHORT + 1];
  sr_model_id_short(model->meta.model_id, id_short);
  return sr_delivery_render_pattern(project, id_short);
}

static const char *
backend_of(SrProject *project, const SrRenderingOptions *opts, SrTrainingSettings *t)
{
  if (opts->backend)
    return opts->backend;
  sr_project_get_training(project, t);
  return t->backend[0] ? t->backend : "auto";
}

/* The plan beside the render, or a new one measured and saved there; one
 * process at a time (render-farm tasks start together). */
static gboolean
grain_plan(SrProject *project, const SrRenderingOptions *opts, sr_model *model,
           SrRenderingResult *out, gboolean *measured, GError **error)
{
  out->grain_path = sr_grain_plan_path(out->output_pattern);
  if (!out->grain_path) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                _("%s is not a frame pattern, so the grain plan has no place beside it"),
                out->output_pattern);
    return FALSE;
  }
  const atomic_bool *cancel = opts->callbacks.cancel;
  sr_claim claim = {.fd = -1};
  sr_error err = {0};
  int got;
  while ((got = sr_claim_try(&claim, out->grain_path, &err)) == 0) {
    if (cancel && atomic_load(cancel)) {
      g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED,
                  _("render stopped while another render planned the grain"));
      return FALSE;
    }
    g_usleep(50000);
  }
  if (got < 0) {
    sr_job_error_from_engine(error, &err);
    return FALSE;
  }
  gboolean ok;
  *measured = !g_file_test(out->grain_path, G_FILE_TEST_EXISTS);
  if (*measured) {
    SrGrainPlan fresh;
    /* Saved, then read back: every run adds the grain the file holds. */
    ok = sr_grain_plan_measure(project, model, opts->grain_seed ? opts->grain_seed : 1, cancel,
                               &fresh, error) &&
         sr_grain_plan_save(out->grain_path, &fresh, error) &&
         sr_grain_plan_load(out->grain_path, &out->grain, error);
  } else {
    ok = sr_grain_plan_load(out->grain_path, &out->grain, error);
    if (ok && strcmp(out->grain.model_id, model->meta.model_id) != 0) {
      g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                  _("grain plan %s was measured for another model (%.12s); render to another "
                    "output, or move the plan away to measure it for this model"),
                  out->grain_path, out->grain.model_id);
      ok = FALSE;
    } else if (ok && opts->grain_seed && opts->grain_seed != out->grain.plan.seed) {
      g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                  _("grain plan %s has seed %llu; continue with that seed, or render to another "
                    "output for seed %llu"),
                  out->grain_path, (unsigned long long)out->grain.plan.seed,
                  (unsigned long long)opts->grain_seed);
      ok = FALSE;
    }
  }
  sr_claim_release(&claim);
  return ok;
}

gboolean
sr_rendering_run(SrProject *project, const SrRenderingOptions *opts, SrRenderingResult *out,
                 GError **error)
{
  SrRenderingOptions defaults;
  SrTrainingSettings t;
  sr_error err = {0};
  sr_sequence seq = {0}, reference = {0};
  sr_model *model = NULL;
  g_autofree char *dir = NULL, *ref_path = NULL, *grain_attr = NULL;
  gboolean ok = FALSE, measured = FALSE;

  g_return_val_if_fail(SR_IS_PROJECT(project), FALSE);
  if (!opts) {
    sr_rendering_options_init(&defaults);
    opts = &defaults;
  }
  memset(out, 0, sizeof *out);
  g_autofree char *source =
      opts->source_pattern
          ? g_strdup(opts->source_pattern)
          : sr_project_resolve_path(project, sr_project_get_source_pattern(project));
  out->checkpoint = sr_checkpoint_facts_path(project, opts->checkpoint);
  if (!source) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No Source sequence: choose one in the Project stage."));
    return FALSE;
  }
  if (!out->checkpoint) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No checkpoint: train a model, or choose a checkpoint in the Train stage."));
    return FALSE;
  }
  /* A movie's frame index is kept beside the project (sr-project-sequence.h). */
  g_autofree char *index_dir = sr_project_index_dir(project);
  if (!sr_sequence_open_indexed(&seq, source, index_dir, &err) ||
      !(model = sr_model_open(out->checkpoint, backend_of(project, opts, &t), &err)))
    goto out;
  g_strlcpy(out->model_id, model->meta.model_id, sizeof out->model_id);
  out->output_pattern = output_pattern(project, opts, model);
  if (!out->output_pattern) {
    sr_error_set(&err, SR_ERR_MISSING, _("No output folder: choose one in the Project stage."));
    goto out;
  }
  dir = g_path_get_dirname(out->output_pattern);
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    sr_error_set(&err, SR_ERR_IO,
                 _("%s: cannot create the render folder; choose another output folder"), dir);
    goto out;
  }
  out->first = opts->first < 0 ? seq.first : opts->first;
  out->last = opts->last < 0 ? seq.last : opts->last;
  if (opts->count > 0 && (gint64)out->first + opts->count - 1 < out->last)
    out->last = out->first + opts->count - 1;

  sr_render_options ro;
  sr_render_options_init(&ro);
  ro.first = out->first;
  ro.last = out->last;
  ro.output_pattern = out->output_pattern;
  ro.checkpoint_path = out->checkpoint;
  ro.write = opts->write;
  ro.infer.tile = opts->tile;
  ro.skip_missing = opts->skip_missing;
  /* The Reference is never written over either: the render refuses an
   * output that is one of its frames, whatever the spelling. */
  const char *rp = sr_project_get_reference_pattern(project);
  ref_path = rp && *rp ? sr_project_resolve_path(project, rp) : NULL;
  if (ref_path && sr_sequence_open_indexed(&reference, ref_path, index_dir, NULL))
    ro.reference = &reference;
  if (opts->regrain) {
    if (!grain_plan(project, opts, model, out, &measured, error))
      goto out_gerror;
    out->grained = TRUE;
    grain_attr = sr_grain_plan_describe(&out->grain);
    ro.regrain = &out->grain.plan;
    ro.grain_attr = grain_attr;
  }
  if (opts->ready) {
    SrRenderingPlan plan = {model,           out->checkpoint, out->output_pattern,
                            out->first,      out->last,       out->grained ? &out->grain : NULL,
                            out->grain_path, measured};
    opts->ready(opts->callbacks.user, &plan);
  }
  out->started = TRUE;
  ok = sr_render_run(model, &seq, &ro, &opts->callbacks, &out->render, &err);
out:
  if (!ok)
    sr_job_error_from_engine(error, &err);
out_gerror:
  if (model)
    sr_model_close(model);
  sr_sequence_clear(&seq);
  sr_sequence_clear(&reference);
  return ok;
}
