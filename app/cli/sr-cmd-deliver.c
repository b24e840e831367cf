/* spatial-recovery-cli deliver — Stage 5 delivery: EXR masters in the
 * delivery colour space with provenance, JSON and text sidecars, and the
 * validation note; every master is read back and checked. Resumes: masters
 * already written are kept. */
#include "sr-cli.h"

#include <stdio.h>

#include <json-glib/json-glib.h>
#include <glib/gi18n.h>

#include "sr-cli-common.h"
#include "sr-delivery.h"
#include "sr-validation-note.h"

#define CMD "deliver"

static void
on_frame(int done, int total, int frame, const char *status, gpointer user_data)
{
  SrCliRun *st = user_data;
  /* Writing and verifying are two passes over the range. */
  if (!st->progress)
    st->progress = sr_progress_new(st->mode, "deliver", 2 * (gint64)total);
  const char *keys[] = {"frame"};
  double values[] = {frame};
  gint64 step = g_str_equal(status, "verified") ? total + done : done;
  sr_progress_update(st->progress, step, keys, values, 1);
}

static void
add_string(JsonBuilder *b, const char *key, const char *value)
{
  json_builder_set_member_name(b, key);
  if (value)
    json_builder_add_string_value(b, value);
  else
    json_builder_add_null_value(b);
}

static void
add_int(JsonBuilder *b, const char *key, gint64 value)
{
  json_builder_set_member_name(b, key);
  json_builder_add_int_value(b, value);
}

int
sr_cmd_deliver(int argc, char **argv)
{
  g_autofree char *render_s = NULL, *out_s = NULL, *compression_s = NULL, *space_s = NULL;
  g_autofree char *frames_s = NULL, *progress_s = NULL, *checkpoint_s = NULL;
  gboolean no_note = FALSE;
  GOptionEntry entries[] = {
      {"render", 'r', 0, G_OPTION_ARG_FILENAME, &render_s,
       _("Rendered frames (default: the project's render folder)"), "PATTERN"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out_s,
       _("Delivery folder (default: OUTPUT/delivery)"), "DIR"},
      {"frames", 0, 0, G_OPTION_ARG_STRING, &frames_s, _("Frame range (default: the whole render)"),
       "A-B"},
      {"compression", 0, 0, G_OPTION_ARG_STRING, &compression_s, _("zip (default) or dwaa"),
       "NAME"},
      {"space", 0, 0, G_OPTION_ARG_STRING, &space_s,
       _("Delivery colour space: aces2065-1 (default), acescg, linear-rec709, srgb, rec709, "
         "cineon, adx10, adx16, or ocio:NAME (a space of the project's OpenColorIO config)"),
       "ID"},
      {"checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &checkpoint_s,
       _("Checkpoint the render was made with (default: the project's)"), "FILE"},
      {"no-note", 0, 0, G_OPTION_ARG_NONE, &no_note,
       _("Skip the validation note (no Source/Reference reads)"), NULL},
      {"progress", 0, 0, G_OPTION_ARG_STRING, &progress_s, _("auto, bar, json or quiet"), "MODE"},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("PROJECT — EXR masters with provenance, sidecars and the note");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  SrProgressMode mode;
  if (!sr_cli_parse_project_args(CMD, ctx, &argc, &argv, &progress_s, &mode))
    return 2;
  if (sr_cli_refuse_empty_path(CMD, "--out", out_s) ||
      sr_cli_refuse_empty_path(CMD, "--render", render_s) ||
      sr_cli_refuse_empty_path(CMD, "--checkpoint", checkpoint_s))
    return 2;
  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  if (compression_s && (!sr_exr_compression_from_name(compression_s, &o.compression) ||
                        (o.compression != SR_EXR_ZIP && o.compression != SR_EXR_DWAA))) {
    sr_cli_error(CMD, _("--compression must be zip or dwaa"));
    return 2;
  }
  /* "ocio:NAME": a space of the project's OpenColorIO config. */
  if (space_s && g_str_has_prefix(space_s, "ocio:"))
    o.ocio_space = space_s + strlen("ocio:");
  else if (space_s && !sr_colourspace_from_id(space_s, &o.space)) {
    sr_cli_error(CMD,
                 _("--space: unknown colour space '%s' (aces2065-1, acescg, linear-rec709, "
                   "srgb, rec709, cineon, adx10, adx16)"),
                 space_s);
    return 2;
  }
  if (frames_s && !sr_cli_parse_frame_range(frames_s, &o.first, &o.last, &error)) {
    sr_cli_error(CMD, _("--frames: %s"), error->message);
    return 2;
  }
  g_autoptr(SrProject) project = sr_cli_load_project(CMD, argv[1]);
  if (!project)
    return 1;
  o.render_pattern = render_s;
  o.out_dir = out_s;
  o.checkpoint = checkpoint_s;

  /* The note first, so the sidecars can name it. */
  SrValidationResult vres = {0};
  gboolean have_note = FALSE;
  if (!no_note) {
    SrValidationOptions vo;
    sr_validation_options_init(&vo);
    vo.render_pattern = render_s;
    vo.first = o.first;
    vo.last = o.last;
    vo.checkpoint = checkpoint_s;
    g_autofree char *vdir = out_s ? g_build_filename(out_s, "validation", NULL) : NULL;
    vo.out_dir = vdir;
    SrCliRun vs = {mode, NULL};
    gboolean ok =
        sr_validation_run(project, &vo, sr_cli_validation_progress, &vs, NULL, &vres, &error);
    sr_progress_finish(vs.progress);
    if (!ok) {
      sr_cli_error(CMD, _("validation note: %s (use --no-note to deliver without it)"),
                   error->message);
      sr_validation_result_clear(&vres);
      return 1;
    }
    have_note = TRUE;
    o.note_path = vres.note_path;
  }

  SrCliRun ds = {mode, NULL};
  SrDeliveryResult res;
  gboolean ok = sr_delivery_run(project, &o, on_frame, &ds, NULL, &res, &error);
  sr_progress_finish(ds.progress);
  if (!ok) {
    sr_cli_error(CMD, "%s", error->message);
    sr_delivery_result_clear(&res);
    sr_validation_result_clear(&vres);
    return 1;
  }
  if (mode == SR_PROGRESS_JSON) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    add_string(b, "event", "result");
    add_string(b, "masters", res.master_pattern);
    add_int(b, "first", res.first);
    add_int(b, "last", res.last);
    add_int(b, "written", res.written);
    add_int(b, "skipped", res.skipped);
    add_string(b, "model_id", res.facts.model_id);
    add_string(b, "json", res.json_path);
    add_string(b, "text", res.text_path);
    add_string(b, "note", have_note ? vres.note_path : NULL);
    add_string(b, "digital_source_type", res.merged ? SR_IPTC_COMPOSITE : SR_IPTC_TRAINED);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *line = json_to_string(root, FALSE);
    printf("%s\n", line);
  } else {
    /* TRANSLATORS: a summary line: the label is padded so that the values of
       this command's summary lines start in one column; pad all of them alike. */
    printf(_("model     %s (%s, %lld steps)\n"), res.facts.model_id_short, res.facts.model_size,
           (long long)res.facts.steps);
    printf(_("masters   %s\n"), res.master_pattern);
    printf(_("frames    %d-%d: %d written, %d already delivered, all verified\n"), res.first,
           res.last, res.written, res.skipped);
    printf(res.merged ? _("format    EXR half, %s, %s, crop merged over the original\n")
                      : _("format    EXR half, %s, %s\n"),
           sr_exr_compression_name(o.compression),
           o.ocio_space ? o.ocio_space : sr_colourspace_label(o.space));
    printf(_("sidecars  %s\n          %s\n"), res.json_path, res.text_path);
    if (have_note)
      printf(ngettext("note      %s (%d flagged frame)\n", "note      %s (%d flagged frames)\n",
                      vres.summary.n_flagged),
             vres.note_path, vres.summary.n_flagged);
  }
  sr_delivery_result_clear(&res);
  sr_validation_result_clear(&vres);
  return 0;
}
