/* spatial-recovery-cli deliver — Stage 5 delivery: EXR masters in the
 * delivery colour space with provenance, JSON and text sidecars, and the
 * validation note; every master is read back and checked, and a checksum
 * manifest covers masters and sidecars. Resumes: masters already written are
 * kept. Refuses an unreviewed, unaccepted or flagged delivery unless
 * --override-review names who decides and why (recorded in the project). */
#include "sr-cli.h"

#include <stdio.h>

#include <json-glib/json-glib.h>
#include <glib/gi18n.h>

#include "sr-cli-common.h"
#include "sr-json-builder.h"
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

/* Records the override in the project and saves it (the project is the
 * record the note and the sidecars are made from); the same who and reason
 * as the last override restate it without a new record. */
static const SrOverride *
record_override(SrProject *project, const char *by, const char *reason)
{
  g_autoptr(GError) error = NULL;
  const SrOverride *same = sr_project_find_last_override(project, by, reason);
  if (same)
    return same;
  SrGateInput assumed = {.qa_run = TRUE};
  g_autoptr(GPtrArray) pending = sr_delivery_gate_blockers(project, &assumed);
  g_ptr_array_add(pending, NULL);
  const SrOverride *ov =
      sr_project_add_override(project, by, reason, (const char *const *)pending->pdata, &error);
  if (!ov || !sr_project_save(project, sr_project_get_file(project), &error)) {
    sr_cli_error(CMD, _("cannot record the override: %s"), error->message);
    return NULL;
  }
  return ov;
}

int
sr_cmd_deliver(int argc, char **argv)
{
  g_autofree char *render_s = NULL, *out_s = NULL, *compression_s = NULL, *space_s = NULL;
  g_autofree char *frames_s = NULL, *progress_s = NULL, *checkpoint_s = NULL;
  gboolean no_note = FALSE, override = FALSE, md5 = FALSE, bagit = FALSE;
  g_autofree char *by_s = NULL, *reason_s = NULL;
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
      {"override-review", 0, 0, G_OPTION_ARG_NONE, &override,
       _("Deliver although review is incomplete or frames are flagged (needs --by and --reason; "
         "recorded in the project, the note and the sidecars)"),
       NULL},
      {"by", 0, 0, G_OPTION_ARG_STRING, &by_s, _("Who decides the override"), "NAME"},
      {"reason", 0, 0, G_OPTION_ARG_STRING, &reason_s, _("Why the override is given"), "TEXT"},
      {"md5", 0, 0, G_OPTION_ARG_NONE, &md5, _("Also write manifest-md5.txt"), NULL},
      {"bagit", 0, 0, G_OPTION_ARG_NONE, &bagit,
       _("Deliver as a BagIt bag (RFC 8493): masters and sidecars under data/"), NULL},
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
  if (!override && (by_s || reason_s)) {
    sr_cli_error(CMD, _("--by and --reason go with --override-review"));
    return 2;
  }
  if (override && (!sr_override_text_ok(by_s) || !sr_override_text_ok(reason_s))) {
    sr_cli_error(CMD,
                 _("--override-review needs --by NAME and --reason TEXT (not empty, at most "
                   "%d characters each)"),
                 SR_OVERRIDE_MAX_TEXT);
    return 2;
  }
  g_autoptr(SrProject) project = sr_cli_load_project(CMD, argv[1]);
  if (!project)
    return 1;
  o.render_pattern = render_s;
  o.out_dir = out_s;
  o.checkpoint = checkpoint_s;
  o.md5 = md5;
  o.bagit = bagit;
  /* Recorded before the note is written, so the note names it too. */
  if (override && !(o.override = record_override(project, by_s, reason_s)))
    return 1;

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
  g_autoptr(GArray) qa_flagged = g_array_new(FALSE, FALSE, sizeof(int));
  for (int i = 0; have_note && i < vres.n_frames; i++)
    if (vres.frames[i].n_flags)
      g_array_append_val(qa_flagged, vres.frames[i].frame);
  o.gate.qa_run = have_note;
  o.gate.qa_flagged = qa_flagged;

  SrCliRun ds = {mode, NULL};
  SrDeliveryResult res;
  gboolean ok = sr_delivery_run(project, &o, on_frame, &ds, NULL, &res, &error);
  sr_progress_finish(ds.progress);
  if (!ok) {
    if (g_error_matches(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_GATE))
      sr_cli_error(CMD, _("%s\n(to deliver anyway: --override-review --by NAME --reason TEXT)"),
                   error->message);
    else
      sr_cli_error(CMD, "%s", error->message);
    sr_delivery_result_clear(&res);
    sr_validation_result_clear(&vres);
    return 1;
  }
  if (mode == SR_PROGRESS_JSON) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    sr_json_member_string(b, "event", "result");
    sr_json_member_string(b, "masters", res.master_pattern);
    sr_json_member_int(b, "first", res.first);
    sr_json_member_int(b, "last", res.last);
    sr_json_member_int(b, "written", res.written);
    sr_json_member_int(b, "skipped", res.skipped);
    sr_json_member_string(b, "model_id", res.facts.model_id);
    sr_json_member_string(b, "json", res.json_path);
    sr_json_member_string(b, "text", res.text_path);
    sr_json_member_string(b, "note", have_note ? vres.note_path : NULL);
    sr_json_member_string(b, "digital_source_type",
                          res.merged ? SR_IPTC_COMPOSITE : SR_IPTC_TRAINED);
    sr_json_member_string(b, "manifest", res.manifest_path);
    sr_json_member_int(b, "overridden", res.overridden ? g_strv_length(res.overridden) : 0);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *line = sr_json_text(root, FALSE, NULL);
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
    printf(_("manifest  %s (%d files, verified)\n"), res.manifest_path, res.n_manifested);
    char tc0[SR_TIMECODE_TEXT_SIZE], tc1[SR_TIMECODE_TEXT_SIZE];
    if (sr_reel_facts_timecode(&res.reel, res.first, tc0) &&
        sr_reel_facts_timecode(&res.reel, res.last, tc1))
      printf(_("timecode  %s-%s at %d fps%s%s\n"), tc0, tc1, res.reel.fps,
             res.reel.reel[0] ? _(", reel ") : "", res.reel.reel);
    else
      printf(_("timecode  none: %s\n"), res.reel.note);
    for (int i = 0; res.overridden && res.overridden[i]; i++)
      printf(_("override  %s\n"), res.overridden[i]);
    if (have_note)
      printf(ngettext("note      %s (%d flagged frame)\n", "note      %s (%d flagged frames)\n",
                      vres.summary.n_flagged),
             vres.note_path, vres.summary.n_flagged);
  }
  sr_delivery_result_clear(&res);
  sr_validation_result_clear(&vres);
  return 0;
}
