/* spatial-recovery-cli render — Stage 4: run a trained model over a
 * sequence. Frames whose output already exists and reads back complete are
 * skipped, so an interrupted render resumes where it stopped; each frame is
 * written atomically. */
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
#include "sr-fs.h"
#include "sr-infer.h"
#include "sr-io.h"
#include "sr-delivery.h"
#include "sr-project.h"
#include "sr-render.h"
#include "sr-rendering.h"


typedef struct render_ui {
  SrProgress *progress;
  gboolean json;
  SrProject *project; /* NULL without one */
  SrProgressMode mode;
  GHashTable *reported; /* frame error messages already printed */
} render_ui;

static const char *
status_name(sr_render_frame_status st)
{
  return st == SR_RENDER_FRAME_RENDERED  ? "rendered"
         : st == SR_RENDER_FRAME_SKIPPED ? "skipped"
                                         : "missing";
}

/* Called by the pipeline, one frame at a time. */
static void
on_frame(void *user, const sr_render_progress *p)
{
  render_ui *ui = user;
  if (ui->json) {
    g_autoptr(JsonBuilder) jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "event");
    json_builder_add_string_value(jb, "frame");
    json_builder_set_member_name(jb, "frame");
    json_builder_add_int_value(jb, p->frame);
    json_builder_set_member_name(jb, "status");
    json_builder_add_string_value(jb, status_name(p->status));
    json_builder_set_member_name(jb, "path");
    json_builder_add_string_value(jb, p->path);
    json_builder_set_member_name(jb, "done");
    json_builder_add_int_value(jb, p->done);
    json_builder_set_member_name(jb, "total");
    json_builder_add_int_value(jb, p->total);
    json_builder_set_member_name(jb, "fraction");
    json_builder_add_double_value(jb, (double)p->done / p->total);
    json_builder_set_member_name(jb, "frames_per_second");
    json_builder_add_double_value(jb, p->frames_per_second);
    json_builder_set_member_name(jb, "eta_seconds");
    json_builder_add_double_value(jb, isfinite(p->eta_seconds) ? p->eta_seconds : -1.0);
    json_builder_set_member_name(jb, "seconds");
    json_builder_add_double_value(jb, p->frame_seconds);
    json_builder_end_object(jb);
    sr_cli_emit_json(jb);
  }
  static const char *const keys[] = {"frame", "fps"};
  double values[] = {p->frame, p->frames_per_second};
  sr_progress_update(ui->progress, p->done, keys, values, 2);
}

static void
on_frame_error(void *user, int frame, const sr_error *e)
{
  render_ui *ui = user;
  (void)frame; /* the message names it */
  g_hash_table_add(ui->reported, g_strdup(e->message));
  sr_progress_message(ui->progress, "spatial-recovery-cli render: %s", e->message);
}

/* The model is open: say what will be rendered. The render always repeats
 * the model's own preprocessing; say so when the project has since changed
 * it. */
static void
on_ready(gpointer user, const SrRenderingPlan *plan)
{
  render_ui *ui = user;
  const sr_model *model = plan->model;
  char shrt[SR_MODEL_ID_SHORT + 1];
  sr_model_id_short(model->meta.model_id, shrt);
  if (ui->project && !ui->json) {
    const sr_prep_settings *mp = &model->meta.prep;
    sr_prep_settings pp;
    sr_project_get_prep_settings(ui->project, &pp);
    if (!sr_rect_equal(mp->crop, pp.crop) || mp->prefilter != pp.prefilter ||
        mp->source_space != pp.source_space)
      fprintf(stderr,
              _("note: the project's crop, pre-filter or Source colour space differ from "
                "model %s's; rendering with the model's (crop %d,%d,%d,%d, %s, %s) — retrain to "
                "use the new settings\n"),
              shrt, mp->crop.x, mp->crop.y, mp->crop.w, mp->crop.h, sr_prefilter_id(mp->prefilter),
              sr_colourspace_id(mp->source_space));
  }
  if (!ui->json && model->backend_reason[0])
    fprintf(stderr, _("note: %s\n"), model->backend_reason);
  if (!ui->json)
    fprintf(stderr, _("model %s (%s, step %lld) on %s: frames %d-%d\n"), shrt,
            sr_unet_size_id(model->meta.size), (long long)model->meta.step,
            model->backend->description, plan->first, plan->last);
  if (!ui->json && plan->grain)
    fprintf(stderr,
            plan->grain_measured
                ? _("grain: measured on %d training pairs (Reference %.3g, model %.3g in %d flat "
                    "blocks), seed %llu, plan saved as %s\n")
                : _("grain: %d training pairs (Reference %.3g, model %.3g in %d flat blocks), "
                    "seed %llu, plan read from %s\n"),
            plan->grain->pairs, plan->grain->reference_variance, plan->grain->result_variance,
            plan->grain->blocks, (unsigned long long)plan->grain->plan.seed, plan->grain_path);
  ui->progress = sr_progress_new(ui->mode, "render", plan->last - plan->first + 1);
}

int
sr_cmd_render(int argc, char **argv)
{
  g_autofree char *model_s = NULL, *input_s = NULL, *output_s = NULL, *frames_s = NULL;
  g_autofree char *backend_s = NULL, *progress_s = NULL, *compression_s = NULL;
  int first = 0, tile = 0;
  gboolean skip_missing = FALSE, regrain = FALSE;
  gint64 grain_seed = 0;
  GOptionEntry entries[] = {
      {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model_s, _("Checkpoint (.safetensors)"), "FILE"},
      {"input", 'i', 0, G_OPTION_ARG_FILENAME, &input_s, _("Source sequence"), "PATTERN"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output_s,
       _("Output sequence; the extension picks the format (.exr half, .png/.tif 16-bit)"),
       "PATTERN"},
      {"frames", 0, 0, G_OPTION_ARG_STRING, &frames_s,
       _("Frame range (default: the whole sequence)"), "A-B"},
      {"first", 0, 0, G_OPTION_ARG_INT, &first,
       _("Only the first N frames of the range (a check render)"), "N"},
      {"backend", 0, 0, G_OPTION_ARG_STRING, &backend_s, _("auto, cpu or cuda"), "NAME"},
      {"tile", 0, 0, G_OPTION_ARG_INT, &tile, _("Tile size in px (0: automatic, -1: whole frame)"),
       "N"},
      {"compression", 0, 0, G_OPTION_ARG_STRING, &compression_s,
       _("EXR compression: zip, dwaa, piz, none"), "NAME"},
      {"progress", 0, 0, G_OPTION_ARG_STRING, &progress_s, _("auto, bar, json or quiet"), "MODE"},
      {"skip-missing", 0, 0, G_OPTION_ARG_NONE, &skip_missing,
       _("Render around missing Source frames and list them at the end"), NULL},
      {"regrain", 0, 0, G_OPTION_ARG_NONE, &regrain,
       _("Add the grain the Reference has and the model leaves out (measured on the project's "
         "training pairs; needs a PROJECT)"),
       NULL},
      {"grain-seed", 0, 0, G_OPTION_ARG_INT64, &grain_seed,
       _("Seed of the added grain (default: 1, or the seed of the render's grain plan)"), "N"},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("[PROJECT] — render a sequence with a trained model");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    sr_cli_error("render", "%s", error->message);
    return 2;
  }
  if (argc > 2) {
    sr_cli_error("render", _("unexpected argument '%s'"), argv[2]);
    return 2;
  }
  if (sr_cli_refuse_empty_path("render", "--output", output_s) ||
      sr_cli_refuse_empty_path("render", "--input", input_s) ||
      sr_cli_refuse_empty_path("render", "--model", model_s))
    return 2;
  SrProgressMode mode = SR_PROGRESS_AUTO;
  if (progress_s && !sr_cli_parse_progress_mode(progress_s, &mode)) {
    sr_cli_error("render", _("--progress must be auto, bar, json or quiet"));
    return 2;
  }
  gboolean json = mode == SR_PROGRESS_JSON;
  if (first < 0) {
    sr_cli_error("render", _("--first must be 1 or more"));
    return 2;
  }
  if (grain_seed < 0 || (grain_seed && !regrain)) {
    sr_cli_error("render", grain_seed < 0 ? _("--grain-seed must be 1 or more")
                                          : _("--grain-seed goes with --regrain"));
    return 2;
  }
  if (regrain && argc != 2) {
    sr_cli_error("render", _("--regrain measures the grain on a project's training pairs: give "
                             "the PROJECT"));
    return 2;
  }
  sr_write_options wo;
  sr_write_options_init(&wo);
  if (compression_s && !sr_exr_compression_from_name(compression_s, &wo.compression)) {
    sr_cli_error("render", _("--compression must be zip, dwaa, piz or none"));
    return 2;
  }

  int a = -1, b = -1;
  if (frames_s && !sr_cli_parse_frame_range(frames_s, &a, &b, &error)) {
    sr_cli_error("render", _("--frames: %s"), error->message);
    return 2;
  }
  /* Project mode names the output after shot, version and model; without
   * a project, one held in memory carries the sequence. */
  gboolean have_project = argc == 2;
  g_autoptr(SrProject) project =
      have_project ? sr_cli_load_project("render", argv[1]) : sr_project_new();
  if (!project)
    return 1;
  g_autofree char *model_path =
      have_project ? sr_checkpoint_facts_path(project, model_s) : g_strdup(model_s);
  const char *of = have_project ? sr_project_get_output_folder(project) : NULL;
  if (!have_project && input_s)
    sr_project_set_source_pattern(project, input_s);
  if (!model_path || !*sr_project_get_source_pattern(project) || (!output_s && (!of || !*of))) {
    sr_cli_error("render", _("give a PROJECT (with an output folder), or --model, --input and "
                             "--output"));
    return 2;
  }
  if (output_s && (sr_format_from_path(output_s) == SR_FORMAT_UNKNOWN ||
                   sr_format_from_path(output_s) == SR_FORMAT_DPX)) {
    sr_cli_error("render", _("--output %s: use an .exr, .png or .tif extension"), output_s);
    return 2;
  }
  g_autofree char *probe = output_s ? sr_pattern_format(output_s, 0) : NULL;
  if (output_s && (!probe || g_str_equal(probe, output_s))) {
    sr_cli_error("render",
                 _("--output %s is not a frame pattern (use name.%%04d.exr or "
                   "name.####.exr)"),
                 output_s);
    return 2;
  }

  SrRenderingOptions ro;
  sr_rendering_options_init(&ro);
  ro.checkpoint = model_s;
  ro.source_pattern = input_s;
  ro.output_pattern = output_s;
  ro.backend = backend_s; /* NULL: the project's */
  ro.first = a;
  ro.last = b;
  ro.count = first;
  ro.tile = tile;
  ro.skip_missing = skip_missing;
  ro.regrain = regrain;
  ro.grain_seed = (guint64)grain_seed;
  ro.write = wo;
  ro.ready = on_ready;
  render_ui ui = {NULL, json, have_project ? project : NULL, mode,
                  g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
  ro.callbacks =
      (sr_render_callbacks){.user = &ui, .progress = on_frame, .frame_error = on_frame_error};
  SrCliStopGuard stop_guard;
  ro.callbacks.cancel = sr_cli_stop_begin(&stop_guard);
  g_auto(SrRenderingResult) out = {0};
  gboolean ok = sr_rendering_run(project, &ro, &out, &error);
  sr_progress_finish(ui.progress);
  sr_cli_stop_end(&stop_guard);
  if (!out.started) {
    sr_cli_error("render", "%s", error->message);
    return 1;
  }
  const sr_render_result *res = &out.render;
  gboolean stopped = res->cancelled;
  int failed = res->failed;
  char missing_text[1024] = "";
  for (int i = 0; i < res->n_missing; i++) {
    size_t len = strlen(missing_text);
    if (len + 16 >= sizeof missing_text) {
      g_strlcat(missing_text, ", ...", sizeof missing_text);
      break;
    }
    g_snprintf(missing_text + len, sizeof missing_text - len, "%s%d", i ? ", " : "",
               res->missing[i]);
  }
  /* A frame's failure was printed as it happened; say it once. */
  if (!ok && (!stopped || failed) && !g_hash_table_contains(ui.reported, error->message))
    sr_cli_error("render", "%s", error->message);
  g_hash_table_unref(ui.reported);
  char shrt[SR_MODEL_ID_SHORT + 1];
  sr_model_id_short(out.model_id, shrt);
  int total = out.last - out.first + 1;
  const char *output = out.output_pattern;
  int a0 = out.first, b0 = out.last;
  if (json) {
    g_autoptr(JsonBuilder) jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "event");
    json_builder_add_string_value(jb, "summary");
    json_builder_set_member_name(jb, "model_id");
    json_builder_add_string_value(jb, out.model_id);
    json_builder_set_member_name(jb, "model_id_short");
    json_builder_add_string_value(jb, shrt);
    json_builder_set_member_name(jb, "frames");
    json_builder_add_int_value(jb, total);
    json_builder_set_member_name(jb, "rendered");
    json_builder_add_int_value(jb, res->rendered);
    json_builder_set_member_name(jb, "skipped");
    json_builder_add_int_value(jb, res->skipped);
    json_builder_set_member_name(jb, "failed");
    json_builder_add_int_value(jb, failed);
    json_builder_set_member_name(jb, "missing");
    json_builder_begin_array(jb);
    for (int i = 0; i < res->n_missing; i++)
      json_builder_add_int_value(jb, res->missing[i]);
    json_builder_end_array(jb);
    json_builder_set_member_name(jb, "frames_per_second");
    json_builder_add_double_value(jb, res->frames_per_second);
    json_builder_set_member_name(jb, "stopped");
    json_builder_add_boolean_value(jb, stopped);
    json_builder_set_member_name(jb, "output");
    json_builder_add_string_value(jb, output);
    json_builder_set_member_name(jb, "grain");
    if (out.grained) {
      json_builder_begin_object(jb);
      g_autofree char *seed = g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)out.grain.plan.seed);
      json_builder_set_member_name(jb, "seed");
      json_builder_add_string_value(jb, seed);
      json_builder_set_member_name(jb, "plan");
      json_builder_add_string_value(jb, out.grain_path);
      json_builder_set_member_name(jb, "reference_variance");
      json_builder_add_double_value(jb, out.grain.reference_variance);
      json_builder_set_member_name(jb, "result_variance");
      json_builder_add_double_value(jb, out.grain.result_variance);
      json_builder_end_object(jb);
    } else {
      json_builder_add_null_value(jb);
    }
    json_builder_end_object(jb);
    sr_cli_emit_json(jb);
  } else {
    /* TRANSLATORS: a summary line: the label is padded so that the values of
       this command's summary lines start in one column; pad all of them alike. */
    printf(_("model     %s (%s)\n"), shrt, out.model_id);
    printf(stopped ? _("frames    %d-%d: %d rendered, %d already done, %d failed (stopped; run "
                       "again to continue)\n")
                   : _("frames    %d-%d: %d rendered, %d already done, %d failed\n"),
           a0, b0, res->rendered, res->skipped, failed);
    printf(_("speed     %.2f frames/s\n"), res->frames_per_second);
    if (res->n_missing)
      printf(ngettext("missing   %d Source frame not rendered: %s\n",
                      "missing   %d Source frames not rendered: %s\n", res->n_missing),
             res->n_missing, missing_text);
    printf(_("output    %s\n"), output);
    if (out.grained)
      printf(_("grain     seed %llu, Reference variance %.3g, plan %s\n"),
             (unsigned long long)out.grain.plan.seed, out.grain.reference_variance, out.grain_path);
  }
  return !ok || stopped || failed ? 1 : 0;
}
