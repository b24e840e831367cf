/* sr-farm-slurm.c — the render farm on Slurm: submit a project's reel as a
 * job array with a finishing job, read the queue, resume what is missing.
 * Runs sbatch, squeue, sacct and scancel (found on PATH); the plan, the
 * scripts and the parsing are in sr-farm.c. */
#include "sr-config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sr-checkpoint.h"
#include "sr-delivery.h"
#include "sr-farm.h"
#include "sr-fs.h"
#include "sr-io.h"

void
sr_farm_submit_options_init(SrFarmSubmitOptions *o)
{
  memset(o, 0, sizeof *o);
  o->first = 1;
  o->last = 0;
  o->cpus_per_task = 1;
  o->requeue = TRUE;
}

static gboolean
find_tool(const char *name, GError **error)
{
  g_autofree char *found = g_find_program_in_path(name);
  if (!found)
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_SCHEDULER,
                _("%s was not found: run this on a Slurm login node (or put the Slurm "
                  "commands on PATH)"),
                name);
  return found != NULL;
}

/* Before anything is written: the commands every farm step needs. */
static gboolean
have_slurm(GError **error)
{
  return find_tool("sbatch", error) && find_tool("squeue", error) && find_tool("scancel", error);
}

/* Runs a scheduler command; its standard output in *out. */
static gboolean
run_tool(const char *const *argv, char **out, GError **error)
{
  if (!find_tool(argv[0], error))
    return FALSE;
  g_autofree char *std_out = NULL, *std_err = NULL;
  int status = 0;
  g_autoptr(GError) err = NULL;
  if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &std_out, &std_err,
                    &status, &err)) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_SCHEDULER, _("%s could not run: %s"), argv[0],
                err->message);
    return FALSE;
  }
  if (!g_spawn_check_wait_status(status, NULL)) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_SCHEDULER, _("%s failed: %s"), argv[0],
                g_strstrip(std_err ? std_err : std_out));
    return FALSE;
  }
  if (out)
    *out = g_steal_pointer(&std_out);
  return TRUE;
}

char *
sr_farm_dir(SrProject *project, GError **error)
{
  const char *of = sr_project_get_output_folder(project);
  if (!of || !*of) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_INVALID,
                _("the project has no output folder: set render.output_folder, where the farm "
                  "writes frames, scripts and logs"));
    return NULL;
  }
  g_autofree char *base = sr_project_resolve_path(project, of);
  return g_build_filename(base, "farm", NULL);
}

static gboolean
save_record(const SrFarmRecord *r, GError **error)
{
  g_autofree char *path = g_build_filename(r->script.farm_dir, "farm.json", NULL);
  g_autofree char *json = sr_farm_record_to_json(r);
  sr_error err = {0};
  if (!sr_write_file_atomic(path, json, strlen(json), &err)) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_IO, "%s", err.message);
    return FALSE;
  }
  return TRUE;
}

SrFarmRecord *
sr_farm_load(SrProject *project, GError **error)
{
  g_autofree char *dir = sr_farm_dir(project, error);
  if (!dir)
    return NULL;
  g_autofree char *path = g_build_filename(dir, "farm.json", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL)) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_INVALID,
                _("%s not found: nothing was submitted to the farm for this project yet "
                  "(use farm submit)"),
                path);
    return NULL;
  }
  return sr_farm_record_from_json(text, path, error);
}

/* A checkpoint that cannot change under the tasks: latest.safetensors is
 * rewritten while training goes on, so the step file with the same model id
 * is named instead when there is one. */
static char *
pin_model(const char *path, sr_checkpoint_meta *meta, GError **error)
{
  sr_error err = {0};
  if (!sr_checkpoint_read_meta(path, meta, &err)) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_INVALID, "%s", err.message);
    return NULL;
  }
  g_autofree char *base = g_path_get_basename(path);
  if (!g_str_equal(base, "latest.safetensors"))
    return g_canonicalize_filename(path, NULL);
  g_autofree char *dir = g_path_get_dirname(path);
  g_autofree char *name = g_strdup_printf("step_%06lld.safetensors", (long long)meta->step);
  g_autofree char *step = g_build_filename(dir, name, NULL);
  sr_checkpoint_meta sm;
  sr_checkpoint_meta_init(&sm);
  gboolean same =
      sr_checkpoint_read_meta(step, &sm, NULL) && g_str_equal(sm.model_id, meta->model_id);
  sr_checkpoint_meta_clear(&sm);
  return g_canonicalize_filename(same ? step : path, NULL);
}

static char *
self_path(void)
{
  char *exe = g_file_read_link("/proc/self/exe", NULL);
  return exe ? exe : g_strdup("spatial-recovery-cli");
}

/* The settings the scripts are made from. */
static gboolean
make_script(SrProject *project, const SrFarmSubmitOptions *o, SrFarmRecord *r, GError **error)
{
  GFile *file = sr_project_get_file(project);
  if (!file) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_INVALID,
                _("the project has not been saved: the farm's tasks read it from a file"));
    return FALSE;
  }
  g_autofree char *farm_dir = sr_farm_dir(project, error);
  if (!farm_dir)
    return FALSE;
  const char *ck = o->model ? o->model : sr_project_get_checkpoint(project);
  g_autofree char *ck_path = NULL;
  if (ck && *ck) {
    ck_path = o->model ? g_strdup(o->model) : sr_project_resolve_path(project, ck);
  } else {
    g_autofree char *base = sr_project_resolve_path(project, sr_project_get_output_folder(project));
    ck_path = g_build_filename(base, "training", "checkpoints", "latest.safetensors", NULL);
  }
  sr_checkpoint_meta meta;
  sr_checkpoint_meta_init(&meta);
  g_autofree char *model = pin_model(ck_path, &meta, error);
  char id_short[SR_MODEL_ID_SHORT + 1];
  if (model) {
    sr_model_id_short(meta.model_id, id_short);
    r->model_id = g_strdup(meta.model_id);
  }
  sr_checkpoint_meta_clear(&meta);
  if (!model)
    return FALSE;
  const char *src = sr_project_get_source_pattern(project);
  g_autofree char *src_path = src && *src ? sr_project_resolve_path(project, src) : NULL;
  sr_sequence seq = {0};
  sr_error err = {0};
  if (!src_path || !sr_sequence_open(&seq, src_path, &err)) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_INVALID,
                _("the Source sequence cannot be opened (%s): the farm needs it to know the "
                  "frame range"),
                src_path ? err.message : _("the project names none"));
    return FALSE;
  }
  int first = o->first, last = o->last;
  if (first > last) {
    first = seq.first;
    last = seq.last;
  }
  int src_first = seq.first, src_last = seq.last;
  sr_sequence_clear(&seq);
  /* A task given frames the Source lacks would fail after queueing for
   * hours; say so now. */
  if (first < src_first || last > src_last) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_INVALID,
                _("frames %d-%d reach outside the Source, which holds frames %d-%d (%s)"), first,
                last, src_first, src_last, src_path);
    return FALSE;
  }
  g_autofree char *render = sr_delivery_render_pattern(project, id_short);
  g_autofree char *shot = sr_delivery_shot_name(project);
  g_autofree char *job_name = g_strdup_printf("sr-%s", shot);
  g_autofree char *cli = o->cli ? g_strdup(o->cli) : self_path();
  g_autofree char *project_path = g_file_get_path(file);
  const char *backend = o->backend                          ? o->backend
                        : o->gres && strstr(o->gres, "gpu") ? "cuda"
                                                            : "cpu";
  SrFarmScript s = {
      .cli = cli,
      .project = project_path,
      .model = model,
      .render = render,
      .farm_dir = farm_dir,
      .job_name = job_name,
      .partition = o->partition,
      .account = o->account,
      .gres = o->gres,
      .time_limit = o->time_limit,
      .mem = o->mem,
      .backend = backend,
      .cpus_per_task = MAX(o->cpus_per_task, 1),
      .max_running = o->max_running,
      .requeue = o->requeue,
      .deliver = o->deliver,
      .regrain = o->regrain,
      .first = first,
      .last = last,
  };
  sr_farm_record_set_script(r, &s);
  return TRUE;
}

/* Writes a script under the first free name NAME-NN.sh; never replaces a
 * file (an admin may have edited an earlier one). */
static char *
write_script(const SrFarmRecord *r, const char *kind, guint number, const char *text,
             GError **error)
{
  sr_error err = {0};
  for (guint n = number;; n++) {
    g_autofree char *name = g_strdup_printf("%s-%02u.sh", kind, n);
    g_autofree char *path = g_build_filename(r->script.farm_dir, name, NULL);
    if (g_file_test(path, G_FILE_TEST_EXISTS))
      continue;
    if (!sr_write_file_atomic(path, text, strlen(text), &err)) {
      g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_IO, "%s", err.message);
      return NULL;
    }
    return g_steal_pointer(&path);
  }
}

static char *
sbatch(const char *script, const char *dependency, gboolean hold, GError **error)
{
  g_autofree char *dep = dependency ? g_strdup_printf("--dependency=%s", dependency) : NULL;
  const char *argv[6] = {"sbatch", "--parsable"};
  int n = 2;
  if (hold)
    argv[n++] = "--hold";
  if (dep)
    argv[n++] = dep;
  argv[n++] = script;
  argv[n] = NULL;
  g_autofree char *out = NULL;
  char *id = NULL;
  if (!run_tool(argv, &out, error) || !sr_farm_parse_job_id(out, &id, error))
    return NULL;
  return id;
}

static gboolean
make_dirs(const SrFarmRecord *r, GError **error)
{
  const char *subs[] = {"logs", "exit"};
  sr_error err = {0};
  for (size_t i = 0; i < G_N_ELEMENTS(subs); i++) {
    g_autofree char *d = g_build_filename(r->script.farm_dir, subs[i], NULL);
    if (!sr_mkdir_p(d, &err)) {
      g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_IO, "%s", err.message);
      return FALSE;
    }
  }
  g_autofree char *render_dir = g_path_get_dirname(r->script.render);
  if (!sr_mkdir_p(render_dir, &err)) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_IO, "%s", err.message);
    return FALSE;
  }
  return TRUE;
}

/* Writes the array script for `ranges` and the finishing script, submits
 * both (the finishing job after `extra_dependency` too) and records them. */
static gboolean
submit_ranges(SrFarmRecord *r, GArray *ranges, const char *extra_dependency, gboolean hold,
              SrFarmSubmission **out, GError **error)
{
  if (!make_dirs(r, error))
    return FALSE;
  guint number = r->submissions->len + 1;
  g_autofree char *ftext = sr_farm_finish_script(&r->script);
  SrFarmSubmission *sub = sr_farm_record_add(r);
  if (ranges && ranges->len) {
    g_autofree char *text =
        sr_farm_render_script(&r->script, (const SrFarmRange *)ranges->data, (int)ranges->len);
    sub->render_script = write_script(r, "render", number, text, error);
    if (!sub->render_script)
      goto fail;
  }
  sub->finish_script = write_script(r, "finish", number, ftext, error);
  if (!sub->finish_script)
    goto fail;
  if (sub->render_script) {
    sub->array_job = sbatch(sub->render_script, NULL, hold, error);
    if (!sub->array_job)
      goto fail;
    g_array_append_vals(sub->ranges, ranges->data, ranges->len);
  }
  GString *dep = g_string_new(NULL);
  if (sub->array_job)
    g_string_append_printf(dep, "afterok:%s", sub->array_job);
  if (extra_dependency && *extra_dependency)
    g_string_append_printf(dep, "%s%s", dep->len ? "," : "", extra_dependency);
  sub->finish_job = sbatch(sub->finish_script, dep->len ? dep->str : NULL, FALSE, error);
  g_string_free(dep, TRUE);
  /* Saved even when the finishing job was refused: the array is queued and
   * `farm resume` submits the finishing job again. */
  if (!save_record(r, error) || !sub->finish_job)
    return FALSE;
  *out = sub;
  return TRUE;
fail:
  /* Scripts of a submission the scheduler refused would only mislead. */
  if (sub->render_script)
    g_unlink(sub->render_script);
  if (sub->finish_script)
    g_unlink(sub->finish_script);
  g_ptr_array_remove(r->submissions, sub);
  return FALSE;
}

/* Whether any job of the record is still in the queue. */
static gboolean
anything_queued(const SrFarmRecord *r, GArray *queued)
{
  for (guint i = 0; i < r->submissions->len; i++) {
    const SrFarmSubmission *s = g_ptr_array_index(r->submissions, i);
    for (guint k = 0; k < queued->len; k++) {
      const SrFarmJobState *st = &g_array_index(queued, SrFarmJobState, k);
      if ((s->array_job && g_str_equal(st->job, s->array_job)) ||
          (s->finish_job && g_str_equal(st->job, s->finish_job)))
        return TRUE;
    }
  }
  return FALSE;
}

gboolean
sr_farm_submit(SrProject *project, const SrFarmSubmitOptions *o, SrFarmRecord **record,
               GError **error)
{
  if (!have_slurm(error))
    return FALSE;
  g_autoptr(SrFarmRecord) r = sr_farm_record_new();
  if (!make_script(project, o, r, error))
    return FALSE;
  g_autoptr(GArray) ranges =
      sr_farm_plan_ranges(r->script.first, r->script.last, o->tasks, o->frames_per_task, error);
  if (!ranges)
    return FALSE;
  /* An earlier submission still in the queue would race this one for the
   * same frames and write a second validation. */
  g_autoptr(SrFarmRecord) old = sr_farm_load(project, NULL);
  if (old) {
    GArray *queued = NULL;
    if (!sr_farm_query(old, &queued, NULL, error))
      return FALSE;
    gboolean busy = anything_queued(old, queued);
    g_array_unref(queued);
    if (busy) {
      g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_BUSY,
                  _("jobs of an earlier submission of this project are still queued: follow "
                    "them with farm status, or cancel them with scancel before submitting "
                    "again"));
      return FALSE;
    }
  }
  SrFarmSubmission *sub = NULL;
  if (!submit_ranges(r, ranges, NULL, o->hold, &sub, error))
    return FALSE;
  *record = g_steal_pointer(&r);
  return TRUE;
}

gboolean
sr_farm_query(const SrFarmRecord *r, GArray **queued, GArray **accounted, GError **error)
{
  /* --user rather than --me, which Slurm releases before 20.11 lack. */
  g_autofree char *user = g_strdup_printf("--user=%s", g_get_user_name());
  const char *sq[] = {"squeue", "--noheader", "--array", user, "--format=%F|%K|%T|%r", NULL};
  g_autofree char *out = NULL;
  if (!run_tool(sq, &out, error))
    return FALSE;
  *queued = sr_farm_job_states_new();
  sr_farm_parse_squeue(out, *queued);
  if (!accounted)
    return TRUE;
  *accounted = NULL;
  GString *ids = g_string_new(NULL);
  for (guint i = 0; i < r->submissions->len; i++) {
    const SrFarmSubmission *s = g_ptr_array_index(r->submissions, i);
    const char *both[] = {s->array_job, s->finish_job};
    for (int k = 0; k < 2; k++)
      if (both[k])
        g_string_append_printf(ids, "%s%s", ids->len ? "," : "", both[k]);
  }
  g_autofree char *jobs = g_strdup_printf("--jobs=%s", ids->str);
  g_string_free(ids, TRUE);
  const char *sa[] = {
      "sacct", "--noheader", "--parsable2", "--allocations", jobs, "--format=JobID,State,ExitCode",
      NULL};
  g_autofree char *acct = NULL;
  /* Without accounting storage sacct fails; the queue, the exit markers
   * and the frames on disk still tell each task's state. */
  if (run_tool(sa, &acct, NULL)) {
    *accounted = sr_farm_job_states_new();
    sr_farm_parse_sacct(acct, *accounted);
  }
  return TRUE;
}

char *
sr_farm_finish_state(const SrFarmRecord *r, guint i, GArray *queued, GArray *accounted)
{
  const SrFarmSubmission *s = g_ptr_array_index(r->submissions, i);
  if (!s->finish_job)
    return g_strdup(_("not submitted"));
  const SrFarmJobState *q = sr_farm_job_states_find(queued, s->finish_job, -1);
  if (q)
    return g_str_equal(q->state, "PENDING")
               ? g_strdup_printf("pending (%s)", q->reason && *q->reason ? q->reason : "None")
               : g_ascii_strdown(q->state, -1);
  int rc = sr_farm_read_exit_marker(r->script.farm_dir, s->finish_job, -1);
  if (rc == 0)
    return g_strdup("done");
  if (rc > 0)
    return g_strdup_printf("failed (exit %d)", rc);
  const SrFarmJobState *a = sr_farm_job_states_find(accounted, s->finish_job, -1);
  if (a)
    return g_ascii_strdown(a->state, -1);
  return g_strdup("not run");
}

static gboolean
scancel(const char *job, GError **error)
{
  const char *argv[] = {"scancel", job, NULL};
  return run_tool(argv, NULL, error);
}

void
sr_farm_resume_result_clear(SrFarmResumeResult *res)
{
  g_clear_pointer(&res->finish_state, g_free);
}

gboolean
sr_farm_resume(SrFarmRecord *r, SrFarmResumeResult *res, GError **error)
{
  memset(res, 0, sizeof *res);
  if (!have_slurm(error))
    return FALSE;
  GArray *queued = NULL, *accounted = NULL;
  if (!sr_farm_query(r, &queued, &accounted, error))
    return FALSE;
  GArray *tasks = sr_farm_tasks(r, queued, accounted);
  GArray *frames = sr_farm_resume_frames(r, tasks);
  GArray *ranges = NULL;
  gboolean ok = FALSE;
  /* Tasks still queued must end before the new finishing job checks the
   * range, whatever their outcome: what they miss the next resume takes. */
  GString *dep = g_string_new(NULL);
  int longest = 0;
  for (guint i = 0; i < tasks->len; i++) {
    const SrFarmTask *t = &g_array_index(tasks, SrFarmTask, i);
    const SrFarmSubmission *s = g_ptr_array_index(r->submissions, t->submission);
    longest = MAX(longest, t->range.last - t->range.first + 1);
    if (t->status == SR_FARM_TASK_PENDING || t->status == SR_FARM_TASK_RUNNING)
      g_string_append_printf(dep, "%s%s_%d", dep->len ? ":" : "afterany:", s->array_job,
                             t->range.index);
  }
  /* The newest finishing job stands if nothing is missing and it can
   * still run or has passed. */
  const SrFarmSubmission *last =
      r->submissions->len ? g_ptr_array_index(r->submissions, r->submissions->len - 1) : NULL;
  const SrFarmJobState *lq = last ? sr_farm_job_states_find(queued, last->finish_job, -1) : NULL;
  gboolean last_waits = lq && !g_str_equal(lq->reason, "DependencyNeverSatisfied");
  /* One that ran and failed on a whole range found flagged frames: running
   * it again would find them again; a person has to look. */
  gboolean last_ran = last && last->finish_job &&
                      (sr_farm_read_exit_marker(r->script.farm_dir, last->finish_job, -1) >= 0 ||
                       sr_farm_job_states_find(accounted, last->finish_job, -1));
  if (frames->len == 0 && (last_waits || last_ran)) {
    res->finish_state = sr_farm_finish_state(r, r->submissions->len - 1, queued, accounted);
    ok = TRUE;
    goto out;
  }
  /* Every finishing job still queued is replaced by the new one. */
  for (guint i = 0; i < r->submissions->len; i++) {
    const SrFarmSubmission *s = g_ptr_array_index(r->submissions, i);
    if (s->finish_job && sr_farm_job_states_find(queued, s->finish_job, -1)) {
      if (!scancel(s->finish_job, error))
        goto out;
      res->cancelled++;
    }
  }
  ranges = sr_farm_plan_frames((const int *)frames->data, (int)frames->len, longest);
  res->frames = (int)frames->len;
  ok = submit_ranges(r, ranges, dep->str, FALSE, &res->sub, error);
out:
  g_string_free(dep, TRUE);
  g_array_unref(frames);
  if (ranges)
    g_array_unref(ranges);
  sr_farm_tasks_free(tasks);
  g_array_unref(queued);
  if (accounted)
    g_array_unref(accounted);
  return ok;
}
