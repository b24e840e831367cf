/* spatial-recovery-cli sync PROJECT: estimates which Reference frame shows
 * each Source frame (offset, pulldown cadence, breaks), reports a
 * confidence per segment and the field-mixed Reference frames, and with
 * --apply saves the map in the project. Exit 0 on an estimate, 1 when none
 * can be made. */
#include "sr-cli.h"

#include <stdio.h>

#include <json-glib/json-glib.h>
#include <glib/gi18n.h>

#include "sr-cli-common.h"
#include "sr-sync-job.h"

#define CMD "sync"
/* Below this share of agreeing fields a segment is reported as doubtful. */
#define LOW_CONFIDENCE 0.8

typedef struct {
  SrProgressMode mode;
  SrProgress *progress;
  const atomic_bool *stop;
  GCancellable *cancellable;
} SyncRun;

static void
on_progress(int done, int total, gpointer user_data)
{
  SyncRun *run = user_data;
  if (run->progress == NULL)
    run->progress = sr_progress_new(run->mode, _("reading frames"), total);
  sr_progress_update(run->progress, done + 1, NULL, NULL, 0);
  if (atomic_load(run->stop))
    g_cancellable_cancel(run->cancellable);
}

static void
print_text(const sr_sync_result *r, gboolean applied, const char *project_path)
{
  char desc[512];
  sr_frame_map_describe(&r->map, desc, sizeof desc);
  printf(_("frame map    %s\n"), desc);
  if (r->map.cadence != SR_CADENCE_NONE)
    printf(_("cadence      %s from phase %d, fits %.0f%% of the frames\n"),
           sr_cadence_name(r->map.cadence), r->map.phase, 100.0 * r->cadence_score);
  for (int i = 0; i < r->n_segments; i++) {
    const sr_sync_segment *s = &r->segments[i];
    printf(_("segment      Source %d-%d: %d of %d Reference fields agree (%.0f%%), correlation "
             "%.3f%s\n"),
           s->first_source, s->last_source, s->agreeing, s->fields, 100.0 * s->confidence,
           s->mean_correlation,
           s->confidence < LOW_CONFIDENCE ? _(" — doubtful, check by eye") : "");
  }
  if (r->n_mixed > 0) {
    g_autofree char *mixed = sr_sync_describe_mixed(r, 12);
    printf(_("field-mixed  %d Reference frames, never used as pairs: %s\n"), r->n_mixed, mixed);
  }
  if (applied)
    printf(_("saved in     %s\n"), project_path);
  else
    printf(_("not saved: run again with --apply to store the map in the project\n"));
}

static void
print_json(const sr_sync_result *r, gboolean applied)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "event");
  json_builder_add_string_value(b, "sync");
  json_builder_set_member_name(b, "offset");
  json_builder_add_int_value(b, r->map.offset);
  json_builder_set_member_name(b, "cadence");
  json_builder_add_string_value(b, sr_cadence_name(r->map.cadence));
  json_builder_set_member_name(b, "cadence_phase");
  json_builder_add_int_value(b, r->map.phase);
  json_builder_set_member_name(b, "cadence_fit");
  json_builder_add_double_value(b, r->cadence_score);
  json_builder_set_member_name(b, "breaks");
  json_builder_begin_array(b);
  for (int i = 0; i < r->map.n_breaks; i++) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "source_frame");
    json_builder_add_int_value(b, r->map.breaks[i].source_frame);
    json_builder_set_member_name(b, "shift");
    json_builder_add_int_value(b, r->map.breaks[i].shift);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "segments");
  json_builder_begin_array(b);
  for (int i = 0; i < r->n_segments; i++) {
    const sr_sync_segment *s = &r->segments[i];
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "first_source");
    json_builder_add_int_value(b, s->first_source);
    json_builder_set_member_name(b, "last_source");
    json_builder_add_int_value(b, s->last_source);
    json_builder_set_member_name(b, "fields");
    json_builder_add_int_value(b, s->fields);
    json_builder_set_member_name(b, "agreeing");
    json_builder_add_int_value(b, s->agreeing);
    json_builder_set_member_name(b, "confidence");
    json_builder_add_double_value(b, s->confidence);
    json_builder_set_member_name(b, "correlation");
    json_builder_add_double_value(b, s->mean_correlation);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "field_mixed");
  json_builder_begin_array(b);
  for (int i = 0; i < r->n_mixed; i++)
    json_builder_add_int_value(b, r->mixed[i]);
  json_builder_end_array(b);
  json_builder_set_member_name(b, "applied");
  json_builder_add_boolean_value(b, applied);
  json_builder_end_object(b);
  sr_cli_emit_json(b);
}

int
sr_cmd_sync(int argc, char **argv)
{
  g_autofree char *progress_s = NULL;
  int window = 0;
  gboolean apply = FALSE, json = FALSE;
  GOptionEntry entries[] = {
      {"window", 0, 0, G_OPTION_ARG_INT, &window,
       _("Source frames searched either side of the expected match (default 48)"), "N"},
      {"apply", 0, 0, G_OPTION_ARG_NONE, &apply, _("Save the estimated map in the project"), NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, _("Print the result as JSON"), NULL},
      {"progress", 0, 0, G_OPTION_ARG_STRING, &progress_s, _("auto, bar, json or quiet"), "MODE"},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new(
      "PROJECT — find which Reference frame shows each Source frame (offset, cadence, breaks)");
  g_option_context_add_main_entries(ctx, entries, NULL);
  SrProgressMode mode;
  if (!sr_cli_parse_project_args(CMD, ctx, &argc, &argv, &progress_s, &mode))
    return 2;
  if (window < 0 || window > 100000) {
    sr_cli_error(CMD, _("--window %d: give a number of frames from 1 to 100000"), window);
    return 2;
  }
  g_autoptr(SrProject) project = sr_cli_load_project(CMD, argv[1]);
  if (!project)
    return 1;
  g_autoptr(GCancellable) cancellable = g_cancellable_new();
  SrCliStopGuard guard;
  SyncRun run = {mode, NULL, sr_cli_stop_begin(&guard), cancellable};
  sr_sync_result r;
  g_autoptr(GError) error = NULL;
  gboolean ok = sr_project_sync(project, window, on_progress, &run, cancellable, &r, &error);
  sr_progress_finish(run.progress);
  sr_cli_stop_end(&guard);
  if (!ok) {
    sr_cli_error(CMD, "%s", error->message);
    return 1;
  }
  gboolean applied = FALSE;
  if (apply) {
    applied = sr_project_set_frame_map(project, &r.map, &error) &&
              sr_project_save(project, sr_project_get_file(project), &error);
    if (!applied) {
      sr_cli_error(CMD, _("cannot save the map in %s: %s"), argv[1], error->message);
      sr_sync_result_clear(&r);
      return 1;
    }
  }
  if (json)
    print_json(&r, applied);
  else
    print_text(&r, applied, argv[1]);
  fflush(stdout);
  sr_sync_result_clear(&r);
  return 0;
}
