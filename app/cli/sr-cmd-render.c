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

#include "sr-checkpoint.h"
#include "sr-cli-common.h"
#include "sr-fs.h"
#include "sr-infer.h"
#include "sr-io.h"
#include "sr-project.h"


static atomic_bool stop_requested;

static void
on_signal(int sig)
{
  atomic_store(&stop_requested, true);
}

static void
emit_json(JsonBuilder *b)
{
  g_autoptr(JsonGenerator) gen = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  json_generator_set_root(gen, root);
  g_autofree char *text = json_generator_to_data(gen, NULL);
  printf("%s\n", text);
  fflush(stdout);
}

/* An output counts as done when it reads back as an image of the frame's size. */
static gboolean
output_complete(const char *out_path, const char *src_path)
{
  if (!g_file_test(out_path, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  sr_image_info oi, si;
  sr_error err = {0};
  if (!sr_image_read_info(out_path, &oi, &err) || !sr_image_read_info(src_path, &si, &err))
    return FALSE;
  return oi.width == si.width && oi.height == si.height;
}

static char *
sanitize(const char *name)
{
  GString *s = g_string_new(NULL);
  for (const char *c = name; c && *c; c++)
    g_string_append_c(s, g_ascii_isalnum(*c) || *c == '-' || *c == '_' ? *c : '_');
  if (s->len == 0)
    g_string_append(s, "render");
  return g_string_free(s, FALSE);
}

int
sr_cmd_render(int argc, char **argv)
{
  g_autofree char *model_s = NULL, *input_s = NULL, *output_s = NULL, *frames_s = NULL;
  g_autofree char *backend_s = NULL, *progress_s = NULL, *compression_s = NULL;
  int first = 0, tile = 0;
  GOptionEntry entries[] = {
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model_s, "Checkpoint (.safetensors)", "FILE"},
    {"input", 'i', 0, G_OPTION_ARG_FILENAME, &input_s, "Source sequence", "PATTERN"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output_s, "Output sequence; the extension picks the format (.exr half, .png/.tif 16-bit)", "PATTERN"},
    {"frames", 0, 0, G_OPTION_ARG_STRING, &frames_s, "Frame range (default: the whole sequence)", "A-B"},
    {"first", 0, 0, G_OPTION_ARG_INT, &first, "Only the first N frames of the range (a check render)", "N"},
    {"backend", 0, 0, G_OPTION_ARG_STRING, &backend_s, "auto, cpu or cuda", "NAME"},
    {"tile", 0, 0, G_OPTION_ARG_INT, &tile, "Tile size in px (0: automatic, -1: whole frame)", "N"},
    {"compression", 0, 0, G_OPTION_ARG_STRING, &compression_s, "EXR compression: zip, dwaa, piz, none", "NAME"},
    {"progress", 0, 0, G_OPTION_ARG_STRING, &progress_s, "auto, bar, json or quiet", "MODE"},
    {NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("[PROJECT] — render a sequence with a trained model");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    sr_cli_error("render", "%s", error->message);
    return 2;
  }
  if (argc > 2) {
    sr_cli_error("render", "unexpected argument '%s'", argv[2]);
    return 2;
  }
  SrProgressMode mode = SR_PROGRESS_AUTO;
  if (progress_s && !sr_cli_parse_progress_mode(progress_s, &mode)) {
    sr_cli_error("render", "--progress must be auto, bar, json or quiet");
    return 2;
  }
  gboolean json = mode == SR_PROGRESS_JSON;
  if (first < 0) {
    sr_cli_error("render", "--first must be 1 or more");
    return 2;
  }
  sr_write_options wo;
  sr_write_options_init(&wo);
  if (compression_s && !sr_exr_compression_from_name(compression_s, &wo.compression)) {
    sr_cli_error("render", "--compression must be zip, dwaa, piz or none");
    return 2;
  }

  g_autofree char *model_path = NULL, *input = NULL, *output = NULL;
  sr_prep_settings project_prep;
  gboolean have_project_prep = FALSE;
  if (argc == 2) {
    g_autoptr(SrProject) project = sr_cli_load_project("render", argv[1]);
    if (!project)
      return 1;
    input = sr_project_resolve_path(project, sr_project_get_source_pattern(project));
    sr_project_get_prep_settings(project, &project_prep);
    have_project_prep = TRUE;
    const char *of = sr_project_get_output_folder(project);
    g_autofree char *base = of && *of ? sr_project_resolve_path(project, of) : NULL;
    const char *ck = sr_project_get_checkpoint(project);
    if (ck && *ck)
      model_path = sr_project_resolve_path(project, ck);
    else if (base)
      model_path = g_build_filename(base, "training", "checkpoints", "latest.safetensors", NULL);
    if (base) {
      g_autofree char *name = sanitize(sr_project_get_name(project));
      const char *ver = sr_project_get_version(project);
      g_autofree char *file_name = g_strdup_printf("%s_%s.%%06d.exr", name, ver && *ver ? ver : "v001");
      output = g_build_filename(base, "render", file_name, NULL);
    }
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
  if (!model_path || !input || !output) {
    sr_cli_error("render", "give a PROJECT (with an output folder), or --model, --input and "
            "--output");
    return 2;
  }
  if (sr_format_from_path(output) == SR_FORMAT_UNKNOWN ||
      sr_format_from_path(output) == SR_FORMAT_DPX) {
    sr_cli_error("render", "--output %s: use an .exr, .png or .tif extension", output);
    return 2;
  }
  g_autofree char *probe = sr_pattern_format(output, 0);
  if (!probe || g_str_equal(probe, output)) {
    sr_cli_error("render", "--output %s is not a frame pattern (use name.%%04d.exr or "
            "name.####.exr)", output);
    return 2;
  }

  sr_error err = {0};
  sr_sequence seq = {0};
  if (!sr_sequence_open(&seq, input, &err)) {
    sr_cli_error("render", "%s", err.message);
    return 1;
  }
  int a = seq.first, b = seq.last;
  if (frames_s && !sr_cli_parse_frame_range(frames_s, &a, &b, &error)) {
    sr_cli_error("render", "--frames: %s", error->message);
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
      fprintf(stderr, "note: the project's crop, pre-filter or Source colour space differ from "
              "model %s's; rendering with the model's (crop %d,%d,%d,%d, %s, %s) — retrain to "
              "use the new settings\n", shrt, mp->crop.x, mp->crop.y, mp->crop.w, mp->crop.h,
              sr_prefilter_id(mp->prefilter), sr_colourspace_id(mp->source_space));
  }
  if (!json && model->backend_reason[0])
    fprintf(stderr, "note: %s\n", model->backend_reason);
  if (!json)
    fprintf(stderr, "model %s (%s, step %lld) on %s: frames %d-%d\n", shrt,
            sr_unet_size_id(model->meta.size), (long long)model->meta.step,
            model->backend->description, a, b);
  g_autofree char *out_dir = NULL;
  {
    g_autofree char *first_out = sr_pattern_format(output, a);
    out_dir = sr_path_dirname(first_out);
  }
  if (!sr_mkdir_p(out_dir, &err)) {
    sr_cli_error("render", "%s", err.message);
    sr_model_close(model);
    sr_sequence_clear(&seq);
    return 1;
  }
  sr_fs_remove_stale_temps(out_dir, "");
  sr_infer_options io;
  sr_infer_options_init(&io);
  io.tile = tile;

  atomic_store(&stop_requested, false);
  struct sigaction sa = {0}, old_int, old_term;
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  int total = b - a + 1, rendered = 0, skipped = 0, failed = 0;
  SrProgress *progress = sr_progress_new(mode, "render", total);
  for (int f = a; f <= b && !atomic_load(&stop_requested); f++) {
    g_autofree char *in_path = sr_sequence_frame_path(&seq, f);
    g_autofree char *out_path = sr_pattern_format(output, f);
    const char *status = "rendered";
    gint64 f0 = g_get_monotonic_time();
    if (output_complete(out_path, in_path)) {
      status = "skipped";
      skipped++;
    } else {
      sr_image *src = sr_sequence_read(&seq, f, &err);
      sr_image *rec = src ? sr_infer_frame(model->net, src, &model->meta.prep, &io, &err) : NULL;
      gboolean ok = rec != NULL;
      if (ok) {
        sr_image_set_attribute(rec, "spatialRecovery:modelId", model->meta.model_id, NULL);
        sr_image_set_attribute(rec, "spatialRecovery:checkpoint", model_path, NULL);
        wo.write_alpha = rec->channels == 4;
        ok = sr_image_write(out_path, rec, &wo, &err);
      }
      sr_image_free(src);
      sr_image_free(rec);
      if (ok) {
        rendered++;
      } else {
        status = "failed";
        failed++;
        sr_progress_message(progress, "spatial-recovery-cli render: frame %d: %s", f, err.message);
      }
    }
    int done = f - a + 1;
    if (json) {
      g_autoptr(JsonBuilder) jb = json_builder_new();
      json_builder_begin_object(jb);
      json_builder_set_member_name(jb, "event");
      json_builder_add_string_value(jb, "frame");
      json_builder_set_member_name(jb, "frame");
      json_builder_add_int_value(jb, f);
      json_builder_set_member_name(jb, "status");
      json_builder_add_string_value(jb, status);
      json_builder_set_member_name(jb, "path");
      json_builder_add_string_value(jb, out_path);
      json_builder_set_member_name(jb, "done");
      json_builder_add_int_value(jb, done);
      json_builder_set_member_name(jb, "total");
      json_builder_add_int_value(jb, total);
      json_builder_set_member_name(jb, "fraction");
      json_builder_add_double_value(jb, (double)done / total);
      json_builder_set_member_name(jb, "seconds");
      json_builder_add_double_value(jb, (double)(g_get_monotonic_time() - f0) / 1e6);
      json_builder_end_object(jb);
      emit_json(jb);
    }
    static const char *const keys[] = {"frame"};
    double values[] = {f};
    sr_progress_update(progress, done, keys, values, 1);
  }
  sr_progress_finish(progress);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  gboolean stopped = atomic_load(&stop_requested);
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
    json_builder_add_int_value(jb, rendered);
    json_builder_set_member_name(jb, "skipped");
    json_builder_add_int_value(jb, skipped);
    json_builder_set_member_name(jb, "failed");
    json_builder_add_int_value(jb, failed);
    json_builder_set_member_name(jb, "stopped");
    json_builder_add_boolean_value(jb, stopped);
    json_builder_set_member_name(jb, "output");
    json_builder_add_string_value(jb, output);
    json_builder_end_object(jb);
    emit_json(jb);
  } else {
    printf("model     %s (%s)\n", shrt, model->meta.model_id);
    printf("frames    %d-%d: %d rendered, %d already done, %d failed%s\n", a, b, rendered,
           skipped, failed, stopped ? " (stopped; run again to continue)" : "");
    printf("output    %s\n", output);
  }
  sr_model_close(model);
  sr_sequence_clear(&seq);
  return failed || stopped ? 1 : 0;
}
