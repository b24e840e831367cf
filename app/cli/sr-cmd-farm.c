/* spatial-recovery-cli farm — render a reel on a Slurm cluster: `submit`
 * writes and submits the job array and its finishing job, `status` reads
 * the queue and the render folder, `resume` resubmits the missing frames.
 * The work is in app/sr-farm*.c; this file parses and prints. */
#include "sr-cli.h"

#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <glib/gi18n.h>

#include "sr-cli-common.h"
#include "sr-json-builder.h"
#include "sr-farm.h"

#define CMD "farm"

static char *
log_pattern(const SrFarmRecord *r, const SrFarmSubmission *s)
{
  g_autofree char *name = g_strdup_printf("render-%s_%%a.log", s->array_job);
  return g_build_filename(r->script.farm_dir, "logs", name, NULL);
}

/* What a submission put in the queue, as text or one JSON line. */
static void
print_submission(const SrFarmRecord *r, const SrFarmSubmission *s, const char *event, gboolean json)
{
  g_autofree char *logs = s->array_job ? log_pattern(r, s) : NULL;
  int frames = 0;
  for (guint i = 0; i < s->ranges->len; i++) {
    const SrFarmRange *t = &g_array_index(s->ranges, SrFarmRange, i);
    frames += t->last - t->first + 1;
  }
  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    sr_json_member_string(b, "event", event);
    sr_json_member_string(b, "array_job", s->array_job);
    sr_json_member_int(b, "tasks", s->ranges->len);
    sr_json_member_int(b, "frames", frames);
    sr_json_member_string(b, "finish_job", s->finish_job);
    sr_json_member_string(b, "render_script", s->render_script);
    sr_json_member_string(b, "finish_script", s->finish_script);
    sr_json_member_string(b, "logs", logs);
    sr_json_member_string(b, "render", r->script.render);
    json_builder_end_object(b);
    sr_cli_emit_json(b);
    return;
  }
  if (s->array_job)
    printf(ngettext("array     job %s: %d task, %d frames\n",
                    "array     job %s: %d tasks, %d frames\n", s->ranges->len),
           s->array_job, (int)s->ranges->len, frames);
  printf(r->script.deliver ? _("finish    job %s: validates frames %d-%d, then delivers\n")
                           : _("finish    job %s: validates frames %d-%d\n"),
         s->finish_job, r->script.first, r->script.last);
  if (s->render_script)
    printf(_("scripts   %s\n          %s\n"), s->render_script, s->finish_script);
  else
    printf(_("script    %s\n"), s->finish_script);
  if (logs)
    printf(_("logs      %s\n"), logs);
  printf(_("frames    %s\n"), r->script.render);
}

static int
farm_submit(int argc, char **argv)
{
  g_autofree char *scheduler_s = NULL, *frames_s = NULL, *model_s = NULL, *partition_s = NULL;
  g_autofree char *account_s = NULL, *gres_s = NULL, *time_s = NULL, *mem_s = NULL;
  g_autofree char *backend_s = NULL, *progress_s = NULL;
  int tasks = 0, per_task = 0, cpus = 1, max_running = 0;
  gboolean deliver = FALSE, no_requeue = FALSE, hold = FALSE, regrain = FALSE;
  GOptionEntry entries[] = {
      {"scheduler", 0, 0, G_OPTION_ARG_STRING, &scheduler_s, _("slurm (the only one so far)"),
       "NAME"},
      {"tasks", 0, 0, G_OPTION_ARG_INT, &tasks, _("Split the range into N array tasks"), "N"},
      {"frames-per-task", 0, 0, G_OPTION_ARG_INT, &per_task,
       _("Frames per array task (default 100)"), "K"},
      {"frames", 0, 0, G_OPTION_ARG_STRING, &frames_s, _("Frame range (default: the whole Source)"),
       "A-B"},
      {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model_s, _("Checkpoint (default: the project's)"),
       "FILE"},
      {"partition", 'p', 0, G_OPTION_ARG_STRING, &partition_s, _("Slurm partition"), "NAME"},
      {"account", 'A', 0, G_OPTION_ARG_STRING, &account_s, _("Slurm account"), "NAME"},
      {"gres", 0, 0, G_OPTION_ARG_STRING, &gres_s,
       _("Generic resources per task, e.g. gpu:1 (then the CUDA backend)"), "LIST"},
      {"time", 't', 0, G_OPTION_ARG_STRING, &time_s, _("Time limit per task, e.g. 02:00:00"),
       "TIME"},
      {"mem", 0, 0, G_OPTION_ARG_STRING, &mem_s, _("Memory per task, e.g. 16G"), "SIZE"},
      {"cpus-per-task", 'c', 0, G_OPTION_ARG_INT, &cpus,
       _("CPUs per task, also the render's thread count (default 1)"), "N"},
      {"max-running", 0, 0, G_OPTION_ARG_INT, &max_running,
       _("At most N array tasks running at once"), "N"},
      {"backend", 0, 0, G_OPTION_ARG_STRING, &backend_s,
       _("cpu, cuda or auto (default: cuda with --gres gpu, else cpu)"), "NAME"},
      {"deliver", 0, 0, G_OPTION_ARG_NONE, &deliver,
       _("Deliver the masters once the range validates"), NULL},
      {"regrain", 0, 0, G_OPTION_ARG_NONE, &regrain,
       _("Render with the grain the Reference has and the model leaves out (render --regrain)"),
       NULL},
      {"no-requeue", 0, 0, G_OPTION_ARG_NONE, &no_requeue,
       _("Do not let Slurm requeue pre-empted tasks"), NULL},
      {"hold", 0, 0, G_OPTION_ARG_NONE, &hold,
       _("Submit the array held; start it with scontrol release"), NULL},
      {"progress", 0, 0, G_OPTION_ARG_STRING, &progress_s, _("auto, bar, json or quiet"), "MODE"},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("PROJECT — render the reel as a Slurm job array");
  g_option_context_add_main_entries(ctx, entries, NULL);
  SrProgressMode mode;
  if (!sr_cli_parse_project_args("farm submit", ctx, &argc, &argv, &progress_s, &mode))
    return 2;
  if (scheduler_s && !g_str_equal(scheduler_s, "slurm")) {
    sr_cli_error(CMD,
                 _("--scheduler %s: only slurm is supported; docs/farm.md shows how to run the "
                   "same commands under other farm managers"),
                 scheduler_s);
    return 2;
  }
  if (tasks && per_task) {
    sr_cli_error(CMD, _("give --tasks or --frames-per-task, not both"));
    return 2;
  }
  if (tasks < 0 || per_task < 0 || cpus < 1 || max_running < 0) {
    sr_cli_error(CMD, _("--tasks, --frames-per-task, --cpus-per-task and --max-running must be "
                        "positive"));
    return 2;
  }
  if (backend_s && !g_str_equal(backend_s, "cpu") && !g_str_equal(backend_s, "cuda") &&
      !g_str_equal(backend_s, "auto")) {
    sr_cli_error(CMD, _("--backend must be cpu, cuda or auto"));
    return 2;
  }
  SrFarmSubmitOptions o;
  sr_farm_submit_options_init(&o);
  g_autoptr(GError) error = NULL;
  if (frames_s && !sr_cli_parse_frame_range(frames_s, &o.first, &o.last, &error)) {
    sr_cli_error(CMD, _("--frames: %s"), error->message);
    return 2;
  }
  o.tasks = tasks;
  o.frames_per_task = tasks ? 0 : per_task ? per_task : 100;
  o.model = model_s;
  o.partition = partition_s;
  o.account = account_s;
  o.gres = gres_s;
  o.time_limit = time_s;
  o.mem = mem_s;
  o.backend = backend_s;
  o.cpus_per_task = cpus;
  o.max_running = max_running;
  o.requeue = !no_requeue;
  o.deliver = deliver;
  o.regrain = regrain;
  o.hold = hold;
  g_autoptr(SrProject) project = sr_cli_load_project(CMD, argv[1]);
  if (!project)
    return 1;
  g_autoptr(SrFarmRecord) r = NULL;
  if (!sr_farm_submit(project, &o, &r, &error)) {
    sr_cli_error(CMD, "%s", error->message);
    return 1;
  }
  print_submission(r, g_ptr_array_index(r->submissions, r->submissions->len - 1), "submitted",
                   mode == SR_PROGRESS_JSON);
  return 0;
}

/* What farm status and farm resume share: the --progress option, the
 * project and its farm record. NULL with the exit status in *rc (2 for
 * usage, 1 for a project that does not load); a record that does not load
 * comes back NULL with *error set, for the caller to report with the rest. */
static SrProject *
open_farm_project(const char *name, const char *summary, int *argc, char ***argv,
                  SrProgressMode *mode, SrFarmRecord **record, GError **error, int *rc)
{
  g_autofree char *progress_s = NULL;
  GOptionEntry entries[] = {
      {"progress", 0, 0, G_OPTION_ARG_STRING, &progress_s, _("auto, bar, json or quiet"), "MODE"},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new(summary);
  g_option_context_add_main_entries(ctx, entries, NULL);
  *record = NULL;
  if (!sr_cli_parse_project_args(name, ctx, argc, argv, &progress_s, mode)) {
    *rc = 2;
    return NULL;
  }
  SrProject *project = sr_cli_load_project(CMD, (*argv)[1]);
  if (!project) {
    *rc = 1;
    return NULL;
  }
  *record = sr_farm_load(project, error);
  return project;
}

static void
task_json(JsonBuilder *b, const SrFarmRecord *r, const SrFarmTask *t)
{
  const SrFarmSubmission *s = g_ptr_array_index(r->submissions, t->submission);
  json_builder_begin_object(b);
  sr_json_member_string(b, "job", s->array_job);
  sr_json_member_int(b, "task", t->range.index);
  sr_json_member_int(b, "first", t->range.first);
  sr_json_member_int(b, "last", t->range.last);
  sr_json_member_string(b, "status", sr_farm_task_status_name(t->status));
  sr_json_member_int(b, "frames_done", t->frames_done);
  sr_json_member_string(b, "why", t->why);
  sr_json_member_string(b, "log", t->log_path);
  json_builder_end_object(b);
}

static int
farm_status(int argc, char **argv)
{
  SrProgressMode mode;
  g_autoptr(GError) error = NULL;
  g_autoptr(SrFarmRecord) r = NULL;
  int rc = 0;
  g_autoptr(SrProject) project =
      open_farm_project("farm status", "PROJECT — frames done, running and failed, per array task",
                        &argc, &argv, &mode, &r, &error, &rc);
  if (!project)
    return rc;
  GArray *queued = NULL, *accounted = NULL;
  if (!r || !sr_farm_query(r, &queued, &accounted, &error)) {
    sr_cli_error(CMD, "%s", error->message);
    return 1;
  }
  GArray *tasks = sr_farm_tasks(r, queued, accounted);
  int done = 0, total = r->script.last - r->script.first + 1;
  int counts[4] = {0};
  for (int f = r->script.first; f <= r->script.last; f++)
    done += sr_farm_frame_done(r->script.render, f);
  for (guint i = 0; i < tasks->len; i++)
    counts[g_array_index(tasks, SrFarmTask, i).status]++;
  guint last = r->submissions->len - 1;
  const char *finish_job =
      ((SrFarmSubmission *)g_ptr_array_index(r->submissions, last))->finish_job;
  g_autofree char *finish = sr_farm_finish_state(r, last, queued, accounted);
  if (mode == SR_PROGRESS_JSON) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    sr_json_member_string(b, "event", "status");
    sr_json_member_int(b, "first", r->script.first);
    sr_json_member_int(b, "last", r->script.last);
    sr_json_member_int(b, "frames_done", done);
    sr_json_member_int(b, "frames", total);
    sr_json_member_string(b, "finish_job", finish_job);
    sr_json_member_string(b, "finish", finish);
    sr_json_member_string(b, "render", r->script.render);
    json_builder_set_member_name(b, "tasks");
    json_builder_begin_array(b);
    for (guint i = 0; i < tasks->len; i++)
      task_json(b, r, &g_array_index(tasks, SrFarmTask, i));
    json_builder_end_array(b);
    json_builder_end_object(b);
    sr_cli_emit_json(b);
  } else {
    printf(_("frames    %d-%d: %d of %d rendered\n"), r->script.first, r->script.last, done, total);
    printf(_("tasks     %d done, %d running, %d pending, %d failed\n"), counts[SR_FARM_TASK_DONE],
           counts[SR_FARM_TASK_RUNNING], counts[SR_FARM_TASK_PENDING], counts[SR_FARM_TASK_FAILED]);
    printf("  %-12s %-13s %-8s %-11s %-24s %s\n", _("task"), _("frames"), _("status"), _("done"),
           _("why"), _("log"));
    for (guint i = 0; i < tasks->len; i++) {
      const SrFarmTask *t = &g_array_index(tasks, SrFarmTask, i);
      const SrFarmSubmission *s = g_ptr_array_index(r->submissions, t->submission);
      g_autofree char *id = g_strdup_printf("%s_%d", s->array_job, t->range.index);
      g_autofree char *range = g_strdup_printf("%d-%d", t->range.first, t->range.last);
      g_autofree char *count =
          g_strdup_printf("%d/%d", t->frames_done, t->range.last - t->range.first + 1);
      printf("  %-12s %-13s %-8s %-11s %-24s %s\n", id, range, sr_farm_task_status_name(t->status),
             count, t->why, t->log_path);
    }
    printf(_("finish    job %s: %s\n"), finish_job ? finish_job : "-", finish);
    if (counts[SR_FARM_TASK_FAILED] && done < total)
      printf("%s\n", _("some tasks ended with frames missing: run farm resume to render them"));
  }
  sr_farm_tasks_free(tasks);
  g_array_unref(queued);
  if (accounted)
    g_array_unref(accounted);
  return 0;
}

static int
farm_resume(int argc, char **argv)
{
  SrProgressMode mode;
  g_autoptr(GError) error = NULL;
  g_autoptr(SrFarmRecord) r = NULL;
  int rc = 0;
  g_autoptr(SrProject) project =
      open_farm_project("farm resume", "PROJECT — resubmit the frames no task rendered", &argc,
                        &argv, &mode, &r, &error, &rc);
  if (!project)
    return rc;
  SrFarmResumeResult res;
  if (!r || !sr_farm_resume(r, &res, &error)) {
    sr_cli_error(CMD, "%s", error->message);
    return 1;
  }
  gboolean json = mode == SR_PROGRESS_JSON;
  if (!res.sub) {
    if (json) {
      g_autoptr(JsonBuilder) b = json_builder_new();
      json_builder_begin_object(b);
      sr_json_member_string(b, "event", "nothing-to-resume");
      sr_json_member_string(b, "finish", res.finish_state);
      json_builder_end_object(b);
      sr_cli_emit_json(b);
    } else {
      const SrFarmSubmission *s = g_ptr_array_index(r->submissions, r->submissions->len - 1);
      printf(_("nothing to resume: every frame is rendered or queued; finishing job %s: %s\n"),
             s->finish_job ? s->finish_job : "-", res.finish_state);
    }
    sr_farm_resume_result_clear(&res);
    return 0;
  }
  if (!json && res.cancelled)
    printf(ngettext("cancelled %d finishing job that waited on the earlier array\n",
                    "cancelled %d finishing jobs that waited on the earlier arrays\n",
                    res.cancelled),
           res.cancelled);
  print_submission(r, res.sub, "resubmitted", json);
  return 0;
}

int
sr_cmd_farm(int argc, char **argv)
{
  static const struct {
    const char *name;
    int (*run)(int, char **);
  } subs[] = {{"submit", farm_submit}, {"status", farm_status}, {"resume", farm_resume}};
  if (argc >= 2)
    for (size_t i = 0; i < G_N_ELEMENTS(subs); i++)
      if (g_str_equal(argv[1], subs[i].name))
        return subs[i].run(argc - 1, argv + 1);
  gboolean help = argc >= 2 && (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h"));
  if (argc >= 2 && !help)
    sr_cli_error(CMD, _("unknown farm command '%s'"), argv[1]);
  fprintf(help ? stdout : stderr, "%s",
          _("Usage: spatial-recovery-cli farm submit|status|resume PROJECT [OPTIONS]\n\n"
            "  submit   render the reel as a Slurm job array, then validate (and deliver)\n"
            "  status   frames done, running and failed, per array task, with log paths\n"
            "  resume   resubmit the frames that failed or cancelled tasks left missing\n"));
  return help ? 0 : 2;
}
