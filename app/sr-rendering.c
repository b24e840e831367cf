/* sr-rendering.c — see sr-rendering.h: the render entry point shared by the
 * command line and the Render page. */
#include "sr-rendering.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sr-checkpoint.h"
#include "sr-delivery.h"
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

gboolean
sr_rendering_run(SrProject *project, const SrRenderingOptions *opts, SrRenderingResult *out,
                 GError **error)
{
  SrRenderingOptions defaults;
  SrTrainingSettings t;
  sr_error err = {0};
  sr_sequence seq = {0}, reference = {0};
  sr_model *model = NULL;
  g_autofree char *dir = NULL, *ref_path = NULL;
  gboolean ok = FALSE;

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
  if (opts->ready) {
    SrRenderingPlan plan = {model, out->checkpoint, out->output_pattern, out->first, out->last};
    opts->ready(opts->callbacks.user, &plan);
  }
  out->started = TRUE;
  ok = sr_render_run(model, &seq, &ro, &opts->callbacks, &out->render, &err);
out:
  if (!ok)
    sr_job_error_from_engine(error, &err);
  if (model)
    sr_model_close(model);
  sr_sequence_clear(&seq);
  sr_sequence_clear(&reference);
  return ok;
}
