/* spatial-recovery-cli validate — Stage 5 QA of a render: per-frame metrics
 * and flags (CSV and JSON), stills for chosen frames, and the validation
 * note. Exit 0 when no frame is flagged, 1 when some are (or on errors). */
#include "sr-cli.h"

#include <math.h>
#include <stdio.h>

#include <json-glib/json-glib.h>
#include <glib/gi18n.h>

#include "sr-cli-common.h"
#include "sr-json-builder.h"
#include "sr-validation-note.h"

#define CMD "validate"

/* Indents and pads a summary label to 32 characters (not bytes: a translated
 * label may hold accented letters) so the values line up. */
static void
print_label(const char *label)
{
  glong chars = g_utf8_strlen(label, -1);
  printf("  %s%*s ", label, chars < 32 ? (int)(32 - chars) : 0, "");
}

static void
print_value(const char *label, double v, const char *unit)
{
  print_label(label);
  if (isnan(v))
    printf("%s\n", _("n/a"));
  else
    printf("%.4g%s\n", v, unit);
}

int
sr_cmd_validate(int argc, char **argv)
{
  g_autofree char *render_s = NULL, *frames_s = NULL, *out_s = NULL, *stills_s = NULL;
  g_autofree char *progress_s = NULL, *checkpoint_s = NULL;
  gboolean no_note = FALSE, no_stills = FALSE;
  GOptionEntry entries[] = {
      {"render", 'r', 0, G_OPTION_ARG_FILENAME, &render_s,
       _("Rendered frames (default: the project's render folder)"), "PATTERN"},
      {"frames", 0, 0, G_OPTION_ARG_STRING, &frames_s, _("Frame range (default: the whole render)"),
       "A-B"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out_s,
       _("Report folder (default: OUTPUT/validation)"), "DIR"},
      {"stills", 0, 0, G_OPTION_ARG_STRING, &stills_s,
       _("Frames for stills, e.g. 1001,1012 (default: first, middle, last)"), "LIST"},
      {"checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &checkpoint_s,
       _("Checkpoint the render was made with (default: the project's)"), "FILE"},
      {"no-note", 0, 0, G_OPTION_ARG_NONE, &no_note, _("Do not write the validation note"), NULL},
      {"no-stills", 0, 0, G_OPTION_ARG_NONE, &no_stills, _("Do not write stills"), NULL},
      {"progress", 0, 0, G_OPTION_ARG_STRING, &progress_s, _("auto, bar, json or quiet"), "MODE"},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("PROJECT — per-frame QA metrics, flags, stills and the validation note");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  SrProgressMode mode;
  if (!sr_cli_parse_project_args(CMD, ctx, &argc, &argv, &progress_s, &mode))
    return 2;
  if (sr_cli_refuse_empty_path(CMD, "--out", out_s) ||
      sr_cli_refuse_empty_path(CMD, "--render", render_s) ||
      sr_cli_refuse_empty_path(CMD, "--checkpoint", checkpoint_s))
    return 2;
  SrValidationOptions vo;
  sr_validation_options_init(&vo);
  if (frames_s && !sr_cli_parse_frame_range(frames_s, &vo.first, &vo.last, &error)) {
    sr_cli_error(CMD, _("--frames: %s"), error->message);
    return 2;
  }
  g_autoptr(GArray) stills = g_array_new(FALSE, FALSE, sizeof(int));
  if (stills_s && !sr_cli_parse_frame_list(stills_s, stills, &error)) {
    sr_cli_error(CMD, _("--stills: %s"), error->message);
    return 2;
  }
  g_autoptr(SrProject) project = sr_cli_load_project(CMD, argv[1]);
  if (!project)
    return 1;
  vo.render_pattern = render_s;
  vo.out_dir = out_s;
  vo.still_frames = stills;
  vo.write_note = !no_note;
  vo.write_stills = !no_stills;
  vo.checkpoint = checkpoint_s;

  SrCliRun st = {mode, NULL};
  SrValidationResult res;
  gboolean ok =
      sr_validation_run(project, &vo, sr_cli_validation_progress, &st, NULL, &res, &error);
  sr_progress_finish(st.progress);
  if (!ok) {
    sr_cli_error(CMD, "%s", error->message);
    sr_validation_result_clear(&res);
    return 1;
  }
  const sr_qa_summary *s = &res.summary;
  if (mode == SR_PROGRESS_JSON) {
    g_autofree char *json = sr_validation_frames_json(res.frames, res.n_frames, s);
    g_autoptr(JsonNode) qa = json_from_string(json, NULL);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "event");
    json_builder_add_string_value(b, "result");
    json_builder_set_member_name(b, "csv");
    json_builder_add_string_value(b, res.csv_path);
    json_builder_set_member_name(b, "json");
    json_builder_add_string_value(b, res.json_path);
    json_builder_set_member_name(b, "note");
    if (res.note_path)
      json_builder_add_string_value(b, res.note_path);
    else
      json_builder_add_null_value(b);
    json_builder_set_member_name(b, "flagged");
    json_builder_add_int_value(b, s->n_flagged);
    json_builder_set_member_name(b, "qa");
    json_builder_add_value(b, g_steal_pointer(&qa));
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *line = sr_json_text(root, FALSE, NULL);
    printf("%s\n", line);
  } else {
    printf(ngettext("validated %d frame (%d-%d)\n", "validated %d frames (%d-%d)\n", s->n_frames),
           s->n_frames, res.n_frames ? res.frames[0].frame : 0,
           res.n_frames ? res.frames[res.n_frames - 1].frame : 0);
    if (res.has_facts) {
      print_label(_("model"));
      printf(_("%s (%s, %lld steps)\n"), res.facts.model_id_short, res.facts.model_size,
             (long long)res.facts.steps);
    }
    print_value(_("chroma identity, worst"), s->chroma_max, "");
    print_value(_("outside 0-1, worst frame"), 100.0 * s->range_fraction_max, " %");
    print_label(_("NaN/Inf values"));
    printf("%zu\n", s->nonfinite_total);
    print_value(_("sharpness gain vs Source, mean"), s->sharpness_gain_db_mean, " dB");
    print_value(_("detail vs Reference, mean"), s->hf_vs_reference_db_mean, " dB");
    print_value(_("halo score, worst"), s->halo_score_max, "");
    print_value(_("flicker index (luma)"), s->flicker_index, "");
    print_value(_("flicker index (detail)"), s->flicker_detail_index, " dB");
    if (s->n_held_out) {
      print_value(_("held-out PSNR, mean"), s->psnr_mean, " dB");
      print_value(_("held-out PSNR of Source, mean"), s->psnr_source_mean, " dB");
      print_value(_("held-out SSIM, mean"), s->ssim_mean, "");
    }
    printf(ngettext("flagged %d of %d frame\n", "flagged %d of %d frames\n", s->n_frames),
           s->n_flagged, s->n_frames);
    for (int i = 0; i < res.n_frames; i++)
      for (int j = 0; j < res.frames[i].n_flags; j++)
        printf(_("  frame %d: %s\n"), res.frames[i].frame, res.frames[i].flags[j].reason);
    /* TRANSLATORS: a summary line: the label is padded so that the values of
       this command's summary lines start in one column; pad all of them alike. */
    printf(_("table     %s\n          %s\n"), res.csv_path, res.json_path);
    if (res.still_paths->len)
      printf(_("stills    %u files in %s/stills\n"), res.still_paths->len, res.out_dir);
    if (res.note_path)
      printf(_("note      %s\n"), res.note_path);
  }
  int rc = s->n_flagged ? 1 : 0;
  sr_validation_result_clear(&res);
  return rc;
}
