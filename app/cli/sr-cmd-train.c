/* spatial-recovery-cli train — Stage 3 training from a project or from
 * sequences named on the command line. */
#include "sr-cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-glib/json-glib.h>
#include <glib/gi18n.h>

#include "sr-checkpoint.h"
#include "sr-cli-common.h"
#include "sr-json-builder.h"
#include "sr-memory.h"
#include "sr-fs.h"
#include "sr-io.h"
#include "sr-metrics.h"
#include "sr-project.h"
#include "sr-train.h"
#include "sr-training.h"
#include "sr-training-runs.h"


typedef struct reporter {
  SrProgressMode mode;
  SrProgress *progress;
  gint64 last_json_us;
  gint64 start_step; /* the bar counts steps of this run, so its rate is right on resume */
} reporter;

/* null when nothing was measured; an infinite PSNR (identical images) as
 * ±1e308, as qa-frames.json writes it, since JSON has no infinity. */
static void
on_progress(void *user, const sr_train_progress *p)
{
  reporter *r = user;
  /* JSON lines at most twice a second (and always the last step); the bar
   * throttles itself. */
  if (r->mode == SR_PROGRESS_JSON && p->step != p->steps && !p->paused) {
    gint64 now = g_get_monotonic_time();
    if (now - r->last_json_us < 500000)
      return;
    r->last_json_us = now;
  }
  static const char *const keys[] = {"step", "loss", "loss_avg", "lr"};
  double values[] = {(double)p->step, p->loss, p->loss_avg, p->lr};
  sr_progress_update(r->progress, p->step - r->start_step, keys, values, G_N_ELEMENTS(values));
  if (p->paused)
    sr_progress_message(r->progress, _("paused at step %lld"), (long long)p->step);
}

static void
on_checkpoint(void *user, const sr_train_eval *e)
{
  reporter *r = user;
  char shrt[SR_MODEL_ID_SHORT + 1];
  sr_model_id_short(e->model_id, shrt);
  if (r->mode == SR_PROGRESS_JSON) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "event");
    json_builder_add_string_value(b, "checkpoint");
    json_builder_set_member_name(b, "step");
    json_builder_add_int_value(b, e->step);
    json_builder_set_member_name(b, "path");
    json_builder_add_string_value(b, e->checkpoint_path);
    json_builder_set_member_name(b, "model_id");
    json_builder_add_string_value(b, e->model_id);
    json_builder_set_member_name(b, "preview");
    if (e->preview_path)
      json_builder_add_string_value(b, e->preview_path);
    else
      json_builder_add_null_value(b);
    sr_json_member_double(b, "loss_avg", e->loss_avg);
    sr_json_member_double(b, "psnr_y_before", e->psnr_before);
    sr_json_member_double(b, "psnr_y_after", e->psnr_after);
    sr_json_member_double(b, "ssim_y_before", e->ssim_before);
    sr_json_member_double(b, "ssim_y_after", e->ssim_after);
    json_builder_end_object(b);
    sr_cli_emit_json(b);
    return;
  }
  if (!isnan(e->psnr_after))
    sr_progress_message(
        r->progress, _("checkpoint step %lld: model %s, held-out PSNR Y %.2f dB (Source %.2f dB)"),
        (long long)e->step, shrt, sr_qa_psnr_display(e->psnr_after),
        sr_qa_psnr_display(e->psnr_before));
  else
    sr_progress_message(r->progress, _("checkpoint step %lld: model %s"), (long long)e->step, shrt);
}

static void
on_contact_sheet(void *user, int64_t step, const sr_image *sheet, const char *path)
{
  reporter *r = user;
  if (r->mode != SR_PROGRESS_JSON)
    return;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "event");
  json_builder_add_string_value(b, "contact_sheet");
  json_builder_set_member_name(b, "step");
  json_builder_add_int_value(b, step);
  json_builder_set_member_name(b, "path");
  json_builder_add_string_value(b, path);
  json_builder_end_object(b);
  sr_cli_emit_json(b);
}

/* Replaces the project's training and held-out frames with the ones the
 * command line gave (NULL keeps the project's). Held-out frames go in first,
 * so the project refuses a training pair that is also held out. */
static gboolean
set_frames(SrProject *project, GArray *pairs, GArray *held, GError **error)
{
  g_autoptr(GArray) p =
      pairs ? g_array_ref(pairs) : g_array_copy((GArray *)sr_project_get_pairs(project));
  g_autoptr(GArray) h =
      held ? g_array_ref(held) : g_array_copy((GArray *)sr_project_get_held_out(project));
  while (sr_project_get_pairs(project)->len)
    sr_project_remove_pair(project, g_array_index(sr_project_get_pairs(project), int, 0));
  while (sr_project_get_held_out(project)->len)
    sr_project_remove_held_out(project, g_array_index(sr_project_get_held_out(project), int, 0));
  for (guint i = 0; i < h->len; i++)
    if (!sr_project_add_held_out(project, g_array_index(h, int, i), error))
      return FALSE;
  for (guint i = 0; i < p->len; i++)
    if (!sr_project_add_pair(project, g_array_index(p, int, i), error))
      return FALSE;
  return TRUE;
}

/* Pairs are built and the patch fitted: size the progress and say what
 * the fit changed. */
static void
on_ready(gpointer user, const SrTrainingPlan *plan)
{
  reporter *r = user;
  r->start_step = plan->start_step;
  if (plan->config.patch != plan->requested_patch && r->mode != SR_PROGRESS_JSON)
    fprintf(stderr, _("the crop is %d×%d: training on %d px patches\n"), plan->crop_w, plan->crop_h,
            plan->config.patch);
  r->progress = sr_progress_new(r->mode, "train", plan->config.steps - r->start_step);
}

static gboolean
int_option(const char *name, gint64 value, int *out)
{
  if (value > G_MAXINT) {
    sr_cli_error("train", _("--%s must be at most %d"), name, G_MAXINT);
    return FALSE;
  }
  *out = (int)value;
  return TRUE;
}

int
sr_cmd_train(int argc, char **argv)
{
  g_autofree char *source = NULL, *reference = NULL, *pairs_s = NULL, *holdout_s = NULL;
  g_autofree char *crop_s = NULL, *cs_s = NULL, *ref_cs_s = NULL, *model_s = NULL;
  g_autofree char *backend_s = NULL, *out_s = NULL, *progress_s = NULL, *prefilter_s = NULL;
  g_autofree char *resume_from = NULL;
  int preview = -1, patch = -1, batch = -1, offset = 0, threads = 0;
  gint64 steps = -1, ck_every = -1, contact_every = -1, seed = -1;
  double lr = -1;
  gboolean resume = FALSE;
  GOptionEntry entries[] = {
      {"source", 0, 0, G_OPTION_ARG_FILENAME, &source,
       _("Source sequence (shot.%04d.exr or shot.####.exr)"), "PATTERN"},
      {"reference", 0, 0, G_OPTION_ARG_FILENAME, &reference, _("Reference sequence"), "PATTERN"},
      {"reference-offset", 0, 0, G_OPTION_ARG_INT, &offset,
       _("Reference frame = Source frame + OFFSET"), "OFFSET"},
      {"pairs", 0, 0, G_OPTION_ARG_STRING, &pairs_s, _("Training frames, e.g. 1,5,9 or 10-20"),
       "LIST"},
      {"holdout", 0, 0, G_OPTION_ARG_STRING, &holdout_s, _("Held-out validation frames"), "LIST"},
      {"preview", 0, 0, G_OPTION_ARG_INT, &preview, _("Preview frame rendered at each checkpoint"),
       "N"},
      {"crop", 0, 0, G_OPTION_ARG_STRING, &crop_s, _("Live picture area shared by both"),
       "X,Y,W,H"},
      {"colorspace", 0, 0, G_OPTION_ARG_STRING, &cs_s,
       _("Colour space of the Source (and of the Reference unless --reference-colorspace)"),
       "NAME"},
      {"reference-colorspace", 0, 0, G_OPTION_ARG_STRING, &ref_cs_s,
       _("Colour space of the Reference"), "NAME"},
      {"prefilter", 0, 0, G_OPTION_ARG_STRING, &prefilter_s,
       _("Source pre-filter: none, median3, median5"), "NAME"},
      {"model", 0, 0, G_OPTION_ARG_STRING, &model_s, _("Model size: s, m (default) or l"), "SIZE"},
      {"patch", 0, 0, G_OPTION_ARG_INT, &patch, _("Patch size in pixels"), "N"},
      {"batch", 0, 0, G_OPTION_ARG_INT, &batch, _("Patches per step"), "N"},
      {"steps", 0, 0, G_OPTION_ARG_INT64, &steps, _("Training steps"), "N"},
      {"checkpoint-every", 0, 0, G_OPTION_ARG_INT64, &ck_every, _("Steps between checkpoints"),
       "N"},
      {"contact-sheet-every", 0, 0, G_OPTION_ARG_INT64, &contact_every,
       _("Steps between contact sheets (0: none)"), "N"},
      {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, _("Peak learning rate"), "RATE"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, _("Random seed"), "N"},
      {"backend", 0, 0, G_OPTION_ARG_STRING, &backend_s, _("auto, cpu or cuda"), "NAME"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads, _("CPU threads (0: default)"), "N"},
      {"resume", 0, 0, G_OPTION_ARG_NONE, &resume,
       _("Continue from OUT/checkpoints/latest.safetensors"), NULL},
      {"resume-from", 0, 0, G_OPTION_ARG_FILENAME, &resume_from, _("Continue from this checkpoint"),
       "FILE"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out_s,
       _("Output folder (checkpoints, contact sheets, preview)"), "DIR"},
      {"progress", 0, 0, G_OPTION_ARG_STRING, &progress_s, _("auto, bar, json or quiet"), "MODE"},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("[PROJECT] — train a model");
  g_option_context_set_summary(
      ctx, _("Train from a project file, or from --source/--reference/--pairs/--out.\n"
             "Command-line settings override the project's."));
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    sr_cli_error("train", "%s", error->message);
    return 2;
  }
  if (argc > 2) {
    sr_cli_error("train", _("unexpected argument '%s'"), argv[2]);
    return 2;
  }
  if (sr_cli_refuse_empty_path("train", "--out", out_s) ||
      sr_cli_refuse_empty_path("train", "--source", source) ||
      sr_cli_refuse_empty_path("train", "--reference", reference) ||
      sr_cli_refuse_empty_path("train", "--resume-from", resume_from))
    return 2;
  const char *project_path = argc == 2 ? argv[1] : NULL;

  reporter rep = {.mode = SR_PROGRESS_AUTO};
  if (progress_s && !sr_cli_parse_progress_mode(progress_s, &rep.mode)) {
    sr_cli_error("train", _("--progress must be auto, bar, json or quiet"));
    return 2;
  }

  g_autoptr(SrProject) project = NULL;
  g_autofree char *out_dir = NULL;
  SrTrainingSettings ts;
  if (project_path) {
    project = sr_cli_load_project("train", project_path);
    if (!project)
      return 1;
    sr_project_get_training(project, &ts);
    if (!out_s) {
      const char *of = sr_project_get_output_folder(project);
      if (!of || !*of) {
        sr_cli_error("train", _("%s has no output folder; give one with --out DIR"), project_path);
        return 2;
      }
      /* --resume continues the newest run; otherwise a new run never goes
       * over an earlier one. */
      out_dir = resume || resume_from ? sr_training_current_run_dir(project)
                                      : sr_training_new_run_dir(project);
      if (!resume && !resume_from && sr_training_run_number(project, out_dir) > 1 &&
          rep.mode != SR_PROGRESS_JSON)
        fprintf(stderr, _("earlier runs are kept: this run goes in %s\n"), out_dir);
    }
  } else {
    /* Sequences named on the command line: a project held in memory only. */
    project = sr_project_new();
    sr_training_settings_init(&ts);
  }
  /* Sequences named here are relative to the working folder, not to the
   * project's. */
  if (source) {
    g_autofree char *abs = g_canonicalize_filename(source, NULL);
    sr_project_set_source_pattern(project, abs);
  }
  if (reference) {
    g_autofree char *abs = g_canonicalize_filename(reference, NULL);
    sr_project_set_reference_pattern(project, abs);
  }
  if (!project_path || offset != 0)
    sr_project_set_reference_offset(project, offset);
  if (out_s) {
    g_free(out_dir);
    out_dir = g_strdup(out_s);
  }
  g_autoptr(GArray) pairs = NULL, held = NULL;
  if (pairs_s) {
    pairs = g_array_new(FALSE, FALSE, sizeof(int));
    if (!sr_cli_parse_frame_list(pairs_s, pairs, &error)) {
      sr_cli_error("train", _("--pairs: %s"), error->message);
      return 2;
    }
  }
  if (holdout_s) {
    held = g_array_new(FALSE, FALSE, sizeof(int));
    if (!sr_cli_parse_frame_list(holdout_s, held, &error)) {
      sr_cli_error("train", _("--holdout: %s"), error->message);
      return 2;
    }
  }
  if (preview >= 0)
    sr_project_set_preview_frame(project, -1, NULL);
  if ((pairs || held) && !set_frames(project, pairs, held, &error)) {
    sr_cli_error("train", "%s", error->message);
    return 2;
  }
  if (preview >= 0 && !sr_project_set_preview_frame(project, preview, &error)) {
    sr_cli_error("train", _("--preview: %s"), error->message);
    return 2;
  }
  if (crop_s) {
    sr_rect crop;
    if (!sr_cli_parse_rect(crop_s, &crop, &error)) {
      sr_cli_error("train", _("--crop: %s"), error->message);
      return 2;
    }
    sr_project_set_crop(project, crop);
  }
  if (cs_s) {
    sr_colourspace cs;
    if (!sr_colourspace_from_id(cs_s, &cs)) {
      sr_cli_error("train",
                   _("--colorspace: unknown colour space '%s' (use aces2065-1, acescg, "
                     "linear-rec709, srgb or rec709)"),
                   cs_s);
      return 2;
    }
    sr_project_set_source_colourspace(project, cs);
    if (!ref_cs_s)
      sr_project_set_reference_colourspace(project, cs);
  }
  if (ref_cs_s) {
    sr_colourspace cs;
    if (!sr_colourspace_from_id(ref_cs_s, &cs)) {
      sr_cli_error("train", _("--reference-colorspace: unknown colour space '%s'"), ref_cs_s);
      return 2;
    }
    sr_project_set_reference_colourspace(project, cs);
  }
  if (prefilter_s) {
    sr_prefilter pf;
    if (!sr_prefilter_from_id(prefilter_s, &pf)) {
      sr_cli_error("train", _("--prefilter must be none, median3 or median5"));
      return 2;
    }
    sr_project_set_prefilter(project, pf);
  }
  if (model_s) {
    sr_unet_size size;
    if (!sr_unet_size_from_id(model_s, &size)) {
      sr_cli_error("train", _("--model must be s, m or l"));
      return 2;
    }
    ts.model_size = (SrModelSize)size;
  }
  if (patch > 0)
    ts.patch = patch;
  if (batch > 0)
    ts.batch = batch;
  if ((steps > 0 && !int_option("steps", steps, &ts.steps)) ||
      (ck_every > 0 && !int_option("checkpoint-every", ck_every, &ts.checkpoint_every)) ||
      (contact_every >= 0 &&
       !int_option("contact-sheet-every", contact_every, &ts.contact_sheet_every)))
    return 2;
  if (lr > 0)
    ts.learning_rate = lr;
  if (seed >= 0)
    ts.seed = (guint64)seed;
  if (backend_s)
    g_strlcpy(ts.backend, backend_s, sizeof ts.backend);

  if (!*sr_project_get_source_pattern(project) || !*sr_project_get_reference_pattern(project)) {
    sr_cli_error("train", _("give a PROJECT, or --source and --reference"));
    return 2;
  }
  if (!out_dir) {
    sr_cli_error("train", _("give the output folder with --out DIR"));
    return 2;
  }
  if (sr_project_get_pairs(project)->len == 0) {
    sr_cli_error("train", _("no training pairs: give --pairs LIST (e.g. --pairs 1,5,9)"));
    return 2;
  }

  g_autofree char *resume_path = NULL;
  if (resume_from) {
    resume_path = g_strdup(resume_from);
  } else if (resume) {
    resume_path = g_build_filename(out_dir, "checkpoints", "latest.safetensors", NULL);
    if (!g_file_test(resume_path, G_FILE_TEST_IS_REGULAR)) {
      sr_cli_error("train",
                   _("--resume: %s does not exist; nothing to resume (run without "
                     "--resume to start)"),
                   resume_path);
      return 1;
    }
  }

  SrTrainingOptions opts;
  sr_training_options_init(&opts);
  opts.settings = &ts;
  opts.out_dir = out_dir;
  opts.resume = resume_path;
  /* A patch chosen on the command line is taken as given. */
  opts.fit_patch = patch <= 0;
  opts.threads = threads;
  opts.ready = on_ready;
  opts.callbacks = (sr_train_callbacks){
      .user = &rep,
      .progress = on_progress,
      .checkpoint = on_checkpoint,
      .contact_sheet = on_contact_sheet,
  };
  SrCliStopGuard stop_guard;
  opts.callbacks.cancel = sr_cli_stop_begin(&stop_guard);
  SrTrainingResult tr;
  gboolean ok = sr_training_run(project, &opts, &tr, &error);
  sr_cli_stop_end(&stop_guard);
  const sr_train_result *res = &tr.train;
  if (res->backend_reason[0])
    sr_progress_message(rep.progress, _("note: %s"), res->backend_reason);
  sr_progress_finish(rep.progress);
  if (!ok) {
    sr_cli_error("train", "%s", error->message);
    return 1;
  }
  char shrt[SR_MODEL_ID_SHORT + 1];
  sr_model_id_short(res->model_id, shrt);
  if (rep.mode == SR_PROGRESS_JSON) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "event");
    json_builder_add_string_value(b, "summary");
    json_builder_set_member_name(b, "model_id");
    json_builder_add_string_value(b, res->model_id);
    json_builder_set_member_name(b, "model_id_short");
    json_builder_add_string_value(b, shrt);
    json_builder_set_member_name(b, "model_size");
    json_builder_add_string_value(b, sr_unet_size_id(tr.config.model_size));
    json_builder_set_member_name(b, "steps");
    json_builder_add_int_value(b, res->step);
    json_builder_set_member_name(b, "resumed_from");
    json_builder_add_int_value(b, res->start_step);
    sr_json_member_double(b, "final_loss", res->loss_avg);
    sr_json_member_double(b, "psnr_y_before", res->psnr_before);
    sr_json_member_double(b, "psnr_y_after", res->psnr_after);
    sr_json_member_double(b, "ssim_y_before", res->ssim_before);
    sr_json_member_double(b, "ssim_y_after", res->ssim_after);
    json_builder_set_member_name(b, "checkpoint");
    json_builder_add_string_value(b, res->checkpoint_path);
    json_builder_set_member_name(b, "backend");
    json_builder_add_string_value(b, res->backend);
    json_builder_end_object(b);
    sr_cli_emit_json(b);
  } else {
    /* TRANSLATORS: a summary line: the label is padded so that the values of
       this command's summary lines start in one column; pad all of them alike. */
    printf(_("model       %s (%s)\n"), shrt, res->model_id);
    printf(_("size        %s\n"), sr_unet_size_id(tr.config.model_size));
    if (res->start_step)
      printf(_("steps       %lld (resumed at %lld)\n"), (long long)res->step,
             (long long)res->start_step);
    else
      printf(_("steps       %lld\n"), (long long)res->step);
    printf(_("final loss  %.6f\n"), res->loss_avg);
    if (!isnan(res->psnr_after))
      printf(_("held-out    PSNR Y %.2f dB -> %.2f dB, SSIM Y %.4f -> %.4f\n"),
             sr_qa_psnr_display(res->psnr_before), sr_qa_psnr_display(res->psnr_after),
             res->ssim_before, res->ssim_after);
    else
      printf("%s", _("held-out    none (add held-out frames to measure the gain)\n"));
    printf(_("checkpoint  %s\n"), res->checkpoint_path);
    printf(_("backend     %s\n"), res->backend);
  }
  return 0;
}
