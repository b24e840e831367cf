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
#include "sr-project-sequence.h"
#include "sr-fs.h"
#include "sr-io.h"
#include "sr-project.h"
#include "sr-train.h"


typedef struct reporter {
  SrProgressMode mode;
  SrProgress *progress;
  gint64 last_json_us;
  gint64 start_step; /* the bar counts steps of this run, so its rate is right on resume */
} reporter;

static void
add_double(JsonBuilder *b, const char *key, double v)
{
  json_builder_set_member_name(b, key);
  if (isfinite(v))
    json_builder_add_double_value(b, v);
  else
    json_builder_add_null_value(b);
}

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
    add_double(b, "loss_avg", e->loss_avg);
    add_double(b, "psnr_y_before", e->psnr_before);
    add_double(b, "psnr_y_after", e->psnr_after);
    add_double(b, "ssim_y_before", e->ssim_before);
    add_double(b, "ssim_y_after", e->ssim_after);
    json_builder_end_object(b);
    sr_cli_emit_json(b);
    return;
  }
  if (isfinite(e->psnr_after))
    sr_progress_message(
        r->progress, _("checkpoint step %lld: model %s, held-out PSNR Y %.2f dB (Source %.2f dB)"),
        (long long)e->step, shrt, e->psnr_after, e->psnr_before);
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

static gint
compare_int(gconstpointer a, gconstpointer b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Reads and builds one pair; errors name the frame. */
static gboolean
build_pair(const sr_sequence *src, const sr_sequence *ref, int frame, const sr_frame_map *map,
           const sr_prep_settings *prep, sr_pair *pair, sr_error *err)
{
  int ref_frame = sr_frame_map_reference(map, frame);
  if (ref_frame == SR_NO_FRAME) {
    char desc[256];
    sr_frame_map_describe(map, desc, sizeof desc);
    sr_error_set(err, SR_ERR_INVALID,
                 _("pair %d: no clean Reference frame under the frame map (%s); choose a frame "
                   "next to it"),
                 frame, desc);
    return FALSE;
  }
  sr_image *s = sr_sequence_read(src, frame, err);
  sr_image *r = s ? sr_sequence_read(ref, ref_frame, err) : NULL;
  gboolean ok = s && r && sr_pair_build(s, r, prep, pair, err);
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
  const char *project_path = argc == 2 ? argv[1] : NULL;

  reporter rep = {.mode = SR_PROGRESS_AUTO};
  if (progress_s && !sr_cli_parse_progress_mode(progress_s, &rep.mode)) {
    sr_cli_error("train", _("--progress must be auto, bar, json or quiet"));
    return 2;
  }

  sr_train_config cfg;
  sr_train_config_init(&cfg);
  sr_prep_settings prep;
  sr_prep_settings_init(&prep);
  g_autoptr(GArray) pairs = g_array_new(FALSE, FALSE, sizeof(int));
  g_autoptr(GArray) held = g_array_new(FALSE, FALSE, sizeof(int));
  g_autofree char *src_pattern = NULL, *ref_pattern = NULL, *out_dir = NULL;
  g_autoptr(SrProject) project = NULL;
  g_auto(sr_frame_map) map;
  sr_frame_map_init(&map, offset);

  if (project_path) {
    project = sr_cli_load_project("train", project_path);
    if (!project)
      return 1;
    src_pattern = sr_project_resolve_path(project, sr_project_get_source_pattern(project));
    ref_pattern = sr_project_resolve_path(project, sr_project_get_reference_pattern(project));
    sr_frame_map_clear(&map);
    sr_project_get_frame_map(project, &map);
    offset = map.offset;
    sr_project_get_prep_settings(project, &prep);
    const GArray *pp = sr_project_get_pairs(project), *hh = sr_project_get_held_out(project);
    g_array_append_vals(pairs, pp->data, pp->len);
    g_array_append_vals(held, hh->data, hh->len);
    if (preview < 0)
      preview = sr_project_get_preview_frame(project);
    SrTrainingSettings ts;
    sr_project_get_training(project, &ts);
    cfg.model_size = (sr_unet_size)ts.model_size;
    cfg.patch = ts.patch;
    cfg.batch = ts.batch;
    cfg.steps = ts.steps;
    cfg.checkpoint_every = ts.checkpoint_every;
    cfg.contact_sheet_every = ts.contact_sheet_every;
    cfg.learning_rate = ts.learning_rate;
    cfg.warmup_steps = ts.warmup_steps;
    cfg.cosine_decay = ts.cosine_decay;
    cfg.flip = ts.flip;
    cfg.exposure_jitter = ts.exposure_jitter;
    cfg.scale_jitter = ts.scale_jitter;
    cfg.translate_px = ts.translate_px;
    cfg.seed = ts.seed;
    g_strlcpy(cfg.backend, ts.backend[0] ? ts.backend : "auto", sizeof cfg.backend);
    if (!out_s) {
      const char *of = sr_project_get_output_folder(project);
      if (!of || !*of) {
        sr_cli_error("train", _("%s has no output folder; give one with --out DIR"), project_path);
        return 2;
      }
      g_autofree char *base = sr_project_resolve_path(project, of);
      out_dir = g_build_filename(base, "training", NULL);
    }
  }
  if (source) {
    g_free(src_pattern);
    src_pattern = g_strdup(source);
  }
  if (reference) {
    g_free(ref_pattern);
    ref_pattern = g_strdup(reference);
  }
  if (out_s) {
    g_free(out_dir);
    out_dir = g_strdup(out_s);
  }
  if (pairs_s) {
    g_array_set_size(pairs, 0);
    if (!sr_cli_parse_frame_list(pairs_s, pairs, &error)) {
      sr_cli_error("train", _("--pairs: %s"), error->message);
      return 2;
    }
  }
  if (holdout_s) {
    g_array_set_size(held, 0);
    if (!sr_cli_parse_frame_list(holdout_s, held, &error)) {
      sr_cli_error("train", _("--holdout: %s"), error->message);
      return 2;
    }
  }
  if (crop_s && !sr_cli_parse_rect(crop_s, &prep.crop, &error)) {
    sr_cli_error("train", _("--crop: %s"), error->message);
    return 2;
  }
  if (cs_s) {
    if (!sr_colourspace_from_id(cs_s, &prep.source_space)) {
      sr_cli_error("train",
                   _("--colorspace: unknown colour space '%s' (use aces2065-1, acescg, "
                     "linear-rec709, srgb or rec709)"),
                   cs_s);
      return 2;
    }
    if (!ref_cs_s)
      prep.reference_space = prep.source_space;
  }
  if (ref_cs_s && !sr_colourspace_from_id(ref_cs_s, &prep.reference_space)) {
    sr_cli_error("train", _("--reference-colorspace: unknown colour space '%s'"), ref_cs_s);
    return 2;
  }
  if (prefilter_s && !sr_prefilter_from_id(prefilter_s, &prep.prefilter)) {
    sr_cli_error("train", _("--prefilter must be none, median3 or median5"));
    return 2;
  }
  if (model_s && !sr_unet_size_from_id(model_s, &cfg.model_size)) {
    sr_cli_error("train", _("--model must be s, m or l"));
    return 2;
  }
  if (patch > 0)
    cfg.patch = patch;
  if (batch > 0)
    cfg.batch = batch;
  if (steps > 0)
    cfg.steps = steps;
  if (ck_every > 0)
    cfg.checkpoint_every = ck_every;
  if (contact_every >= 0)
    cfg.contact_sheet_every = contact_every;
  if (lr > 0)
    cfg.learning_rate = lr;
  if (seed >= 0)
    cfg.seed = (uint64_t)seed;
  if (backend_s)
    g_strlcpy(cfg.backend, backend_s, sizeof cfg.backend);
  cfg.threads = threads;
  if (cfg.warmup_steps >= cfg.steps)
    cfg.warmup_steps = cfg.steps / 10;

  if (!src_pattern || !ref_pattern || !*src_pattern || !*ref_pattern) {
    sr_cli_error("train", _("give a PROJECT, or --source and --reference"));
    return 2;
  }
  if (!out_dir) {
    sr_cli_error("train", _("give the output folder with --out DIR"));
    return 2;
  }
  if (pairs->len == 0) {
    sr_cli_error("train", _("no training pairs: give --pairs LIST (e.g. --pairs 1,5,9)"));
    return 2;
  }
  g_array_sort(pairs, compare_int);
  g_array_sort(held, compare_int);
  for (guint i = 0; i < held->len; i++)
    for (guint k = 0; k < pairs->len; k++)
      if (g_array_index(held, int, i) == g_array_index(pairs, int, k)) {
        sr_cli_error("train",
                     _("frame %d is both a training pair and held out; a held-out frame "
                       "must not be trained on"),
                     g_array_index(held, int, i));
        return 2;
      }
  for (guint k = 0; k < pairs->len; k++)
    if (preview >= 0 && g_array_index(pairs, int, k) == preview) {
      sr_cli_error("train", _("preview frame %d is a training pair; choose a frame not trained on"),
                   preview);
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

  sr_error err = {0};
  sr_sequence src_seq = {0}, ref_seq = {0};
  g_autofree char *index_dir = project ? sr_project_index_dir(project) : NULL;
  if (!sr_sequence_open_indexed(&src_seq, src_pattern, index_dir, &err) ||
      !sr_sequence_open_indexed(&ref_seq, ref_pattern, index_dir, &err)) {
    sr_cli_error("train", "%s", err.message);
    sr_sequence_clear(&src_seq);
    return 1;
  }
  int status = 1;
  sr_pair *built = g_new0(sr_pair, pairs->len);
  sr_pair *built_held = g_new0(sr_pair, held->len + 1);
  sr_image *preview_img = NULL;
  guint n_built = 0, n_held = 0;
  for (; n_built < pairs->len; n_built++)
    if (!build_pair(&src_seq, &ref_seq, g_array_index(pairs, int, n_built), &map, &prep,
                    &built[n_built], &err)) {
      sr_cli_error("train", "%s", err.message);
      goto out;
    }
  for (; n_held < held->len; n_held++)
    if (!build_pair(&src_seq, &ref_seq, g_array_index(held, int, n_held), &map, &prep,
                    &built_held[n_held], &err)) {
      /* TRANSLATORS: put before "pair 12: <what went wrong>". */
      sr_error_prefix(&err, "%s", _("held-out "));
      sr_cli_error("train", "%s", err.message);
      goto out;
    }
  if (preview >= 0) {
    preview_img = sr_sequence_read(&src_seq, preview, &err);
    if (!preview_img) {
      sr_cli_error("train", _("preview frame %d: %s"), preview, err.message);
      goto out;
    }
  }
  /* The guide's patch is 512, or 256 when the crop is small: when the patch
   * was not chosen explicitly, shrink it to fit the crop. */
  int cw = built[0].input->width, ch = built[0].input->height;
  int mult = sr_unet_size_multiple(cfg.model_size);
  if (patch <= 0 && (cfg.patch > cw || cfg.patch > ch)) {
    int fit = (cw < ch ? cw : ch) / mult * mult;
    int p2 = 256;
    while (p2 > fit)
      p2 /= 2;
    cfg.patch = p2 >= mult ? p2 : fit;
    if (rep.mode != SR_PROGRESS_JSON)
      fprintf(stderr, _("the crop is %d×%d: training on %d px patches\n"), cw, ch, cfg.patch);
  }

  if (resume_path) {
    /* Read the step resumed from up front so progress counts this run only;
     * sr_train_run validates the checkpoint again in full. */
    sr_checkpoint_meta rm;
    if (!sr_checkpoint_read_meta(resume_path, &rm, &err)) {
      sr_cli_error("train", "%s", err.message);
      goto out;
    }
    rep.start_step = rm.step < cfg.steps ? rm.step : 0;
    sr_checkpoint_meta_clear(&rm);
  }
  sr_train_data data = {
      .pairs = built,
      .n_pairs = (int)n_built,
      .held_out = built_held,
      .n_held_out = (int)n_held,
      .preview_source = preview_img,
      .preview_frame = preview,
      .reference_offset = offset,
      .prep = prep,
  };
  SrCliStopGuard stop_guard;
  const atomic_bool *stop = sr_cli_stop_begin(&stop_guard);
  rep.progress = sr_progress_new(rep.mode, "train", cfg.steps - rep.start_step);
  sr_train_callbacks cb = {
      .user = &rep,
      .progress = on_progress,
      .checkpoint = on_checkpoint,
      .contact_sheet = on_contact_sheet,
      .cancel = stop,
  };
  sr_train_result res;
  gboolean ok = sr_train_run(&cfg, &data, out_dir, resume_path, &cb, &res, &err);
  sr_cli_stop_end(&stop_guard);
  if (res.backend_reason[0])
    sr_progress_message(rep.progress, _("note: %s"), res.backend_reason);
  sr_progress_finish(rep.progress);
  if (!ok) {
    sr_cli_error("train", "%s", err.message);
    goto out;
  }
  char shrt[SR_MODEL_ID_SHORT + 1];
  sr_model_id_short(res.model_id, shrt);
  if (rep.mode == SR_PROGRESS_JSON) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "event");
    json_builder_add_string_value(b, "summary");
    json_builder_set_member_name(b, "model_id");
    json_builder_add_string_value(b, res.model_id);
    json_builder_set_member_name(b, "model_id_short");
    json_builder_add_string_value(b, shrt);
    json_builder_set_member_name(b, "model_size");
    json_builder_add_string_value(b, sr_unet_size_id(cfg.model_size));
    json_builder_set_member_name(b, "steps");
    json_builder_add_int_value(b, res.step);
    json_builder_set_member_name(b, "resumed_from");
    json_builder_add_int_value(b, res.start_step);
    add_double(b, "final_loss", res.loss_avg);
    add_double(b, "psnr_y_before", res.psnr_before);
    add_double(b, "psnr_y_after", res.psnr_after);
    add_double(b, "ssim_y_before", res.ssim_before);
    add_double(b, "ssim_y_after", res.ssim_after);
    json_builder_set_member_name(b, "checkpoint");
    json_builder_add_string_value(b, res.checkpoint_path);
    json_builder_set_member_name(b, "backend");
    json_builder_add_string_value(b, res.backend);
    json_builder_end_object(b);
    sr_cli_emit_json(b);
  } else {
    /* TRANSLATORS: a summary line: the label is padded so that the values of
       this command's summary lines start in one column; pad all of them alike. */
    printf(_("model       %s (%s)\n"), shrt, res.model_id);
    printf(_("size        %s\n"), sr_unet_size_id(cfg.model_size));
    if (res.start_step)
      printf(_("steps       %lld (resumed at %lld)\n"), (long long)res.step,
             (long long)res.start_step);
    else
      printf(_("steps       %lld\n"), (long long)res.step);
    printf(_("final loss  %.6f\n"), res.loss_avg);
    if (isfinite(res.psnr_after))
      printf(_("held-out    PSNR Y %.2f dB -> %.2f dB, SSIM Y %.4f -> %.4f\n"), res.psnr_before,
             res.psnr_after, res.ssim_before, res.ssim_after);
    else
      printf("%s", _("held-out    none (add held-out frames to measure the gain)\n"));
    printf(_("checkpoint  %s\n"), res.checkpoint_path);
    printf(_("backend     %s\n"), res.backend);
  }
  status = 0;
out:
  for (guint i = 0; i < n_built && i < pairs->len; i++)
    sr_pair_clear(&built[i]);
  for (guint i = 0; i < n_held && i < held->len; i++)
    sr_pair_clear(&built_held[i]);
  g_free(built);
  g_free(built_held);
  sr_image_free(preview_img);
  sr_sequence_clear(&src_seq);
  sr_sequence_clear(&ref_seq);
  return status;
}
