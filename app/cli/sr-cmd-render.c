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
#include "sr-project-sequence.h"
#include "sr-fs.h"
#include "sr-infer.h"
#include "sr-io.h"
#include "sr-delivery.h"
#include "sr-project.h"
#include "sr-render.h"


typedef struct render_ui {
  SrProgress *progress;
  gboolean json;
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
  sr_progress_message(ui->progress, _("spatial-recovery-cli render: frame %d: %s"), frame,
                      e->message);
}

int
sr_cmd_render(int argc, char **argv)
{
  g_autofree char *model_s = NULL, *input_s = NULL, *output_s = NULL, *frames_s = NULL;
  g_autofree char *backend_s = NULL, *progress_s = NULL, *compression_s = NULL;
  int first = 0, tile = 0;
  gboolean skip_missing = FALSE;
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
  sr_write_options wo;
  sr_write_options_init(&wo);
  if (compression_s && !sr_exr_compression_from_name(compression_s, &wo.compression)) {
    sr_cli_error("render", _("--compression must be zip, dwaa, piz or none"));
    return 2;
  }

  g_autofree char *model_path = NULL, *input = NULL, *output = NULL, *render_dir = NULL;
  g_autofree char *index_dir = NULL; /* movie index beside the project */
  /* Project mode names the output after shot, version and model. */
  g_autoptr(SrProject) project_ref = NULL;
  sr_prep_settings project_prep;
  gboolean have_project_prep = FALSE;
  if (argc == 2) {
    g_autoptr(SrProject) project = sr_cli_load_project("render", argv[1]);
    if (!project)
      return 1;
    input = sr_project_resolve_path(project, sr_project_get_source_pattern(project));
    index_dir = sr_project_index_dir(project);
    sr_project_get_prep_settings(project, &project_prep);
    have_project_prep = TRUE;
    const char *of = sr_project_get_output_folder(project);
    g_autofree char *base = of && *of ? sr_project_resolve_path(project, of) : NULL;
    const char *ck = sr_project_get_checkpoint(project);
    if (ck && *ck)
      model_path = sr_project_resolve_path(project, ck);
    else if (base)
      model_path = g_build_filename(base, "training", "checkpoints", "latest.safetensors", NULL);
    if (base)
      render_dir = g_build_filename(base, "render", NULL);
    project_ref = g_object_ref(project);
  }
  if (model_s) {
    g_free(model_path);
    model_path = g_strdup(model_s);
  }
  if (input_s) {
    g_free(input);
    input = g_strdup(input_s);
  }
  if (output_s) {
    g_free(output);
    output = g_strdup(output_s);
  }
  if (!model_path || !input || (!output && !render_dir)) {
    sr_cli_error("render", _("give a PROJECT (with an output folder), or --model, --input and "
                             "--output"));
    return 2;
  }
  if (!output) {
    sr_error merr = {0};
    sr_checkpoint_meta meta;
    sr_checkpoint_meta_init(&meta);
    if (!sr_checkpoint_read_meta(model_path, &meta, &merr)) {
      sr_cli_error("render", "%s", merr.message);
      sr_checkpoint_meta_clear(&meta);
      return 1;
    }
    char id_short[SR_MODEL_ID_SHORT + 1];
    sr_model_id_short(meta.model_id, id_short);
    sr_checkpoint_meta_clear(&meta);
    /* The name delivery looks for (sr_delivery_default_render_pattern). */
    g_autofree char *stem = sr_delivery_base_name(project_ref, id_short);
    g_autofree char *file_name = g_strdup_printf("%s.%%06d.exr", stem);
    output = g_build_filename(render_dir, file_name, NULL);
  }
  if (sr_format_from_path(output) == SR_FORMAT_UNKNOWN ||
      sr_format_from_path(output) == SR_FORMAT_DPX) {
    sr_cli_error("render", _("--output %s: use an .exr, .png or .tif extension"), output);
    return 2;
  }
  g_autofree char *probe = sr_pattern_format(output, 0);
  if (!probe || g_str_equal(probe, output)) {
    sr_cli_error("render",
                 _("--output %s is not a frame pattern (use name.%%04d.exr or "
                   "name.####.exr)"),
                 output);
    return 2;
  }

  sr_error err = {0};
  sr_sequence seq = {0};
  if (!sr_sequence_open_indexed(&seq, input, index_dir, &err)) {
    sr_cli_error("render", "%s", err.message);
    return 1;
  }
  int a = seq.first, b = seq.last;
  if (frames_s && !sr_cli_parse_frame_range(frames_s, &a, &b, &error)) {
    sr_cli_error("render", _("--frames: %s"), error->message);
    sr_sequence_clear(&seq);
    return 2;
  }
  if (first > 0 && (gint64)a + first - 1 < b)
    b = a + first - 1;
  sr_model *model = sr_model_open(model_path, backend_s ? backend_s : "auto", &err);
  if (!model) {
    sr_cli_error("render", "%s", err.message);
    sr_sequence_clear(&seq);
    return 1;
  }
  char shrt[SR_MODEL_ID_SHORT + 1];
  sr_model_id_short(model->meta.model_id, shrt);
  /* The render always repeats the model's own preprocessing; say so when
   * the project has since changed it. */
  if (have_project_prep && !json) {
    const sr_prep_settings *mp = &model->meta.prep;
    if (!sr_rect_equal(mp->crop, project_prep.crop) || mp->prefilter != project_prep.prefilter ||
        mp->source_space != project_prep.source_space)
      fprintf(stderr,
              _("note: the project's crop, pre-filter or Source colour space differ from "
                "model %s's; rendering with the model's (crop %d,%d,%d,%d, %s, %s) — retrain to "
                "use the new settings\n"),
              shrt, mp->crop.x, mp->crop.y, mp->crop.w, mp->crop.h, sr_prefilter_id(mp->prefilter),
              sr_colourspace_id(mp->source_space));
  }
  if (!json && model->backend_reason[0])
    fprintf(stderr, _("note: %s\n"), model->backend_reason);
  if (!json)
    fprintf(stderr, _("model %s (%s, step %lld) on %s: frames %d-%d\n"), shrt,
            sr_unet_size_id(model->meta.size), (long long)model->meta.step,
            model->backend->description, a, b);
  sr_render_options ro;
  sr_render_options_init(&ro);
  ro.first = a;
  ro.last = b;
  ro.output_pattern = output;
  ro.checkpoint_path = model_path;
  ro.write = wo;
  ro.infer.tile = tile;
  ro.skip_missing = skip_missing;

  SrCliStopGuard stop_guard;
  const atomic_bool *stop = sr_cli_stop_begin(&stop_guard);

  int total = b - a + 1;
  render_ui ui = {sr_progress_new(mode, "render", total), json};
  sr_render_callbacks cb = {
      .user = &ui, .progress = on_frame, .frame_error = on_frame_error, .cancel = stop};
  sr_render_result res;
  gboolean ok = sr_render_run(model, &seq, &ro, &cb, &res, &err);
  sr_progress_finish(ui.progress);
  sr_cli_stop_end(&stop_guard);
  gboolean stopped = res.cancelled;
  int failed = res.failed;
  char missing_text[1024] = "";
  for (int i = 0; i < res.n_missing; i++) {
    size_t len = strlen(missing_text);
    if (len + 16 >= sizeof missing_text) {
      g_strlcat(missing_text, ", ...", sizeof missing_text);
      break;
    }
    g_snprintf(missing_text + len, sizeof missing_text - len, "%s%d", i ? ", " : "",
               res.missing[i]);
  }
  if (!ok && !stopped)
    sr_cli_error("render", "%s", err.message);
  if (json) {
    g_autoptr(JsonBuilder) jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "event");
    json_builder_add_string_value(jb, "summary");
    json_builder_set_member_name(jb, "model_id");
    json_builder_add_string_value(jb, model->meta.model_id);
    json_builder_set_member_name(jb, "model_id_short");
    json_builder_add_string_value(jb, shrt);
    json_builder_set_member_name(jb, "frames");
    json_builder_add_int_value(jb, total);
    json_builder_set_member_name(jb, "rendered");
    json_builder_add_int_value(jb, res.rendered);
    json_builder_set_member_name(jb, "skipped");
    json_builder_add_int_value(jb, res.skipped);
    json_builder_set_member_name(jb, "failed");
    json_builder_add_int_value(jb, failed);
    json_builder_set_member_name(jb, "missing");
    json_builder_begin_array(jb);
    for (int i = 0; i < res.n_missing; i++)
      json_builder_add_int_value(jb, res.missing[i]);
    json_builder_end_array(jb);
    json_builder_set_member_name(jb, "frames_per_second");
    json_builder_add_double_value(jb, res.frames_per_second);
    json_builder_set_member_name(jb, "stopped");
    json_builder_add_boolean_value(jb, stopped);
    json_builder_set_member_name(jb, "output");
    json_builder_add_string_value(jb, output);
    json_builder_end_object(jb);
    sr_cli_emit_json(jb);
  } else {
    /* TRANSLATORS: a summary line: the label is padded so that the values of
       this command's summary lines start in one column; pad all of them alike. */
    printf(_("model     %s (%s)\n"), shrt, model->meta.model_id);
    printf(stopped ? _("frames    %d-%d: %d rendered, %d already done, %d failed (stopped; run "
                       "again to continue)\n")
                   : _("frames    %d-%d: %d rendered, %d already done, %d failed\n"),
           a, b, res.rendered, res.skipped, failed);
    printf(_("speed     %.2f frames/s\n"), res.frames_per_second);
    if (res.n_missing)
      printf(ngettext("missing   %d Source frame not rendered: %s\n",
                      "missing   %d Source frames not rendered: %s\n", res.n_missing),
             res.n_missing, missing_text);
    printf(_("output    %s\n"), output);
  }
  sr_render_result_clear(&res);
  sr_model_close(model);
  sr_sequence_clear(&seq);
  return !ok || stopped || failed ? 1 : 0;
}
