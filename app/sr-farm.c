/* sr-farm.c — the render farm's plan, batch scripts, record and status:
 * everything about a Slurm job array that is text or arithmetic. Running
 * the scheduler's commands lives in sr-farm-slurm.c. */
#include "sr-config.h"

#include "sr-farm.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "sr-io.h"
#include "sr-json-builder.h"

G_DEFINE_QUARK(sr - farm - error - quark, sr_farm_error)

/* ---- Planning --------------------------------------------------------------- */

GArray *
sr_farm_plan_ranges(int first, int last, int tasks, int frames_per_task, GError **error)
{
  if (last < first) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_INVALID, _("empty frame range %d-%d"), first,
                last);
    return NULL;
  }
  if ((tasks > 0) == (frames_per_task > 0)) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_INVALID,
                _("give either a number of tasks or a number of frames per task, 1 or more"));
    return NULL;
  }
  gint64 n = (gint64)last - first + 1;
  if (frames_per_task > 0)
    tasks = (int)((n + frames_per_task - 1) / frames_per_task);
  if (tasks > n)
    tasks = (int)n;
  GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(SrFarmRange), tasks);
  gint64 a = first;
  for (int i = 0; i < tasks; i++) {
    /* The first n % tasks ranges take one frame more, so no two differ by
     * more than one frame. */
    gint64 len = frames_per_task > 0 ? frames_per_task : n / tasks + (i < n % tasks ? 1 : 0);
    gint64 b = MIN(a + len - 1, (gint64)last);
    SrFarmRange r = {i, (int)a, (int)b};
    g_array_append_val(out, r);
    a = b + 1;
  }
  return out;
}

GArray *
sr_farm_plan_frames(const int *frames, int n, int max_frames)
{
  GArray *out = g_array_new(FALSE, FALSE, sizeof(SrFarmRange));
  for (int i = 0; i < n;) {
    int j = i;
    while (j + 1 < n && frames[j + 1] == frames[j] + 1 &&
           (max_frames <= 0 || j + 1 - i < max_frames))
      j++;
    SrFarmRange r = {(int)out->len, frames[i], frames[j]};
    g_array_append_val(out, r);
    i = j + 1;
  }
  return out;
}

/* ---- Batch scripts ---------------------------------------------------------- */

static void
sbatch_line(GString *s, const char *option, const char *value)
{
  if (value && *value)
    g_string_append_printf(s, "#SBATCH --%s=%s\n", option, value);
}

static void
shell_var(GString *s, const char *name, const char *value)
{
  g_autofree char *q = g_shell_quote(value ? value : "");
  g_string_append_printf(s, "%s=%s\n", name, q);
}

static void
common_header(GString *s, const SrFarmScript *sc, const char *job_name, const char *log)
{
  g_autofree char *cpus = g_strdup_printf("%d", MAX(sc->cpus_per_task, 1));
  sbatch_line(s, "job-name", job_name);
  sbatch_line(s, "cpus-per-task", cpus);
  sbatch_line(s, "output", log);
  sbatch_line(s, "partition", sc->partition);
  sbatch_line(s, "account", sc->account);
  sbatch_line(s, "time", sc->time_limit);
  sbatch_line(s, "mem", sc->mem);
}

static void
common_body(GString *s, const SrFarmScript *sc)
{
  g_string_append(s, "\nset -u\n");
  shell_var(s, "cli", sc->cli);
  shell_var(s, "project", sc->project);
  shell_var(s, "model", sc->model);
  shell_var(s, "render", sc->render);
  g_autofree char *exits = g_build_filename(sc->farm_dir, "exit", NULL);
  shell_var(s, "exits", exits);
  g_string_append(s,
                  "\n"
                  "# One thread count for every task, set here rather than left to each node's\n"
                  "# default: the CPU backend then writes the same bytes for a frame whichever\n"
                  "# task renders it, and a node shared by several tasks is not oversubscribed.\n"
                  "export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\n"
                  "\n"
                  "# scancel, pre-emption and the time limit send SIGTERM to every process of\n"
                  "# the job: the command stops cleanly (a render after the frame in hand) and\n"
                  "# exits 1, and this trap keeps the script alive to record that status.\n"
                  "trap 'echo \"$(date -u +%FT%TZ) stop requested (SIGTERM)\" >&2' TERM\n");
}

/* Writes the exit status where `farm status` finds it without sacct. */
static void
marker_lines(GString *s, const char *name)
{
  g_string_append_printf(s,
                         "mkdir -p \"$exits\"\n"
                         "marker=\"$exits/%s\"\n"
                         "printf '%%s %%s\\n' \"$rc\" \"$(date -u +%%s)\" > \"$marker.$$\" && "
                         "mv -f \"$marker.$$\" \"$marker\"\n",
                         name);
}

char *
sr_farm_render_script(const SrFarmScript *sc, const SrFarmRange *ranges, int n)
{
  GString *s = g_string_new("#!/bin/bash\n");
  g_string_append_printf(s,
                         "# Spatial Recovery: render frames of %s as a Slurm job array.\n"
                         "# Written by `spatial-recovery-cli farm submit`; adapt it freely and\n"
                         "# submit it again with sbatch. Each array task renders its own frame\n"
                         "# range; frames are written whole (temporary file, then rename) and\n"
                         "# frames already rendered are skipped, so any task may run again.\n",
                         sc->project);
  GString *array = g_string_new(NULL);
  for (int i = 0; i < n; i++) {
    int j = i;
    while (j + 1 < n && ranges[j + 1].index == ranges[j].index + 1)
      j++;
    if (array->len)
      g_string_append_c(array, ',');
    if (j > i)
      g_string_append_printf(array, "%d-%d", ranges[i].index, ranges[j].index);
    else
      g_string_append_printf(array, "%d", ranges[i].index);
    i = j;
  }
  if (sc->max_running > 0)
    g_string_append_printf(array, "%%%d", sc->max_running);
  g_autofree char *log = g_build_filename(sc->farm_dir, "logs", "render-%A_%a.log", NULL);
  common_header(s, sc, sc->job_name, log);
  sbatch_line(s, "array", array->str);
  g_string_free(array, TRUE);
  sbatch_line(s, "gres", sc->gres);
  /* A requeued task appends to its log instead of wiping the first run's. */
  if (sc->requeue)
    g_string_append(s, "#SBATCH --requeue\n#SBATCH --open-mode=append\n");
  common_body(s, sc);
  shell_var(s, "backend", sc->backend ? sc->backend : "cpu");
  g_string_append(s, "\ncase \"${SLURM_ARRAY_TASK_ID:-}\" in\n");
  for (int i = 0; i < n; i++)
    g_string_append_printf(s, "  %d) frames=%d-%d ;;\n", ranges[i].index, ranges[i].first,
                           ranges[i].last);
  g_string_append(
      s, "  *) echo \"no frame range for array task '${SLURM_ARRAY_TASK_ID:-}'\" >&2; exit 2 ;;\n"
         "esac\n\n"
         "echo \"$(date -u +%FT%TZ) task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on "
         "$(hostname): frames $frames, $OMP_NUM_THREADS threads\"\n"
         "# --progress json: one line per frame (rendered, skipped or failed, with\n"
         "# its time), so this log shows what the task did frame by frame.\n"
         "\"$cli\" render \"$project\" --model \"$model\" --output \"$render\" \\\n"
         "    --frames \"$frames\" --backend \"$backend\" --progress json");
  /* With grain, the first task to start measures the plan and saves it
   * beside the render; the others wait for it and read it. */
  g_string_append(s, sc->regrain ? " --regrain\nrc=$?\n" : "\nrc=$?\n");
  marker_lines(s, "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}");
  g_string_append(s, "echo \"$(date -u +%FT%TZ) task ended: exit $rc\"\n"
                     "# 0: every frame of the range is rendered; 1: a frame failed or the task\n"
                     "# was stopped (run `farm resume` for the missing frames); 2: bad options.\n"
                     "exit $rc\n");
  return g_string_free(s, FALSE);
}

char *
sr_farm_finish_script(const SrFarmScript *sc)
{
  GString *s = g_string_new("#!/bin/bash\n");
  g_string_append_printf(s,
                         "# Spatial Recovery: check frames %d-%d of %s once the render\n"
                         "# array has ended, then %s.\n"
                         "# Written by `spatial-recovery-cli farm submit`. validate refuses a\n"
                         "# range with frames missing and names them.\n",
                         sc->first, sc->last, sc->project,
                         sc->deliver ? "deliver the masters" : "stop (delivery was not asked for)");
  g_autofree char *name = g_strdup_printf("%s-finish", sc->job_name);
  g_autofree char *log = g_build_filename(sc->farm_dir, "logs", "finish-%j.log", NULL);
  common_header(s, sc, name, log);
  common_body(s, sc);
  g_string_append_printf(s, "frames=%d-%d\n", sc->first, sc->last);
  g_string_append_printf(s, "deliver=%d\n\n", sc->deliver ? 1 : 0);
  g_string_append(
      s, "echo \"$(date -u +%FT%TZ) started $(date -u +%s) on $(hostname): validating "
         "frames $frames\"\n"
         "\"$cli\" validate \"$project\" --render \"$render\" --frames \"$frames\" \\\n"
         "    --checkpoint \"$model\" --progress quiet\n"
         "rc=$?\n"
         "if [ \"$rc\" -ne 0 ]; then\n"
         "  echo \"validation did not pass (exit $rc): nothing delivered; review the flagged\" "
         ">&2\n"
         "  echo \"frames, or render the missing ones with 'farm resume'\" >&2\n"
         "elif [ \"$deliver\" = 1 ]; then\n"
         "  \"$cli\" deliver \"$project\" --render \"$render\" --frames \"$frames\" \\\n"
         "      --checkpoint \"$model\" --progress quiet\n"
         "  rc=$?\n"
         "fi\n");
  /* Run by hand, outside Slurm, the marker is named after the shell. */
  marker_lines(s, "finish_${SLURM_JOB_ID:-$$}");
  g_string_append(s, "echo \"$(date -u +%FT%TZ) finished: exit $rc\"\n"
                     "exit $rc\n");
  return g_string_free(s, FALSE);
}

gboolean
sr_farm_parse_job_id(const char *out, char **job_id, GError **error)
{
  g_autofree char *t = g_strstrip(g_strdup(out ? out : ""));
  char *semi = strchr(t, ';');
  if (semi)
    *semi = '\0';
  gboolean ok = *t != '\0';
  for (const char *p = t; *p; p++)
    ok = ok && g_ascii_isdigit(*p);
  if (!ok) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_SCHEDULER,
                _("sbatch did not print a job id (it printed '%s')"), out ? out : "");
    return FALSE;
  }
  *job_id = g_steal_pointer(&t);
  return TRUE;
}

/* ---- Scheduler output ------------------------------------------------------- */

static void
state_clear(gpointer p)
{
  SrFarmJobState *st = p;
  g_free(st->job);
  g_free(st->state);
  g_free(st->reason);
}

GArray *
sr_farm_job_states_new(void)
{
  GArray *a = g_array_new(FALSE, TRUE, sizeof(SrFarmJobState));
  g_array_set_clear_func(a, state_clear);
  return a;
}

static void
add_state(GArray *states, const char *job, int task, const char *state, const char *reason)
{
  SrFarmJobState st = {g_strdup(job), task, g_strdup(state), g_strdup(reason ? reason : "")};
  g_array_append_val(states, st);
}

/* "4", "[4-7]", "[1,3,5-6%2]" → each task; "N/A" or "" → -1 (a plain job). */
static void
add_tasks(GArray *states, const char *job, const char *tasks, const char *state, const char *reason)
{
  if (!*tasks || g_str_equal(tasks, "N/A")) {
    add_state(states, job, -1, state, reason);
    return;
  }
  g_autofree char *t = g_strdup(tasks);
  g_strdelimit(t, "[]", ' ');
  char *pct = strchr(t, '%');
  if (pct)
    *pct = '\0';
  g_auto(GStrv) parts = g_strsplit(g_strstrip(t), ",", -1);
  for (int i = 0; parts[i]; i++) {
    char *end = NULL;
    long a = strtol(parts[i], &end, 10), b = a;
    if (end == parts[i])
      continue;
    if (*end == '-')
      b = strtol(end + 1, NULL, 10);
    for (long k = a; k <= b && k - a < 1000000; k++)
      add_state(states, job, (int)k, state, reason);
  }
}

void
sr_farm_parse_squeue(const char *text, GArray *states)
{
  g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
  for (int i = 0; lines[i]; i++) {
    g_auto(GStrv) f = g_strsplit(g_strstrip(lines[i]), "|", 4);
    if (g_strv_length(f) < 3 || !*f[0])
      continue;
    add_tasks(states, f[0], f[1], f[2], f[3]);
  }
}

void
sr_farm_parse_sacct(const char *text, GArray *states)
{
  g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
  for (int i = 0; lines[i]; i++) {
    g_auto(GStrv) f = g_strsplit(g_strstrip(lines[i]), "|", 4);
    if (g_strv_length(f) < 3 || !*f[0] || strchr(f[0], '.'))
      continue; /* job steps (123.batch) say nothing the allocation does not */
    /* "CANCELLED by 1000" → CANCELLED */
    char *sp = strchr(f[1], ' ');
    if (sp)
      *sp = '\0';
    char *us = strchr(f[0], '_');
    if (us)
      *us = '\0';
    add_tasks(states, f[0], us ? us + 1 : "", f[1], f[2]);
  }
}

const SrFarmJobState *
sr_farm_job_states_find(GArray *states, const char *job, int task)
{
  if (!states || !job)
    return NULL;
  /* sacct lists a requeued task once per run: the last line is the newest. */
  for (guint i = states->len; i-- > 0;) {
    const SrFarmJobState *st = &g_array_index(states, SrFarmJobState, i);
    if (st->task == task && g_str_equal(st->job, job))
      return st;
  }
  return NULL;
}

/* ---- The record ------------------------------------------------------------- */

static void
submission_free(gpointer p)
{
  SrFarmSubmission *s = p;
  g_free(s->array_job);
  g_free(s->finish_job);
  g_free(s->render_script);
  g_free(s->finish_script);
  if (s->ranges)
    g_array_unref(s->ranges);
  g_free(s);
}

SrFarmRecord *
sr_farm_record_new(void)
{
  SrFarmRecord *r = g_new0(SrFarmRecord, 1);
  r->submissions = g_ptr_array_new_with_free_func(submission_free);
  r->script.cpus_per_task = 1;
  return r;
}

static void
script_strings_free(SrFarmScript *s)
{
  const char **fields[] = {&s->cli,      &s->project,    &s->model,     &s->render,
                           &s->farm_dir, &s->job_name,   &s->partition, &s->account,
                           &s->gres,     &s->time_limit, &s->mem,       &s->backend};
  for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
    g_free((char *)*fields[i]);
    *fields[i] = NULL;
  }
}

void
sr_farm_record_free(SrFarmRecord *r)
{
  if (!r)
    return;
  script_strings_free(&r->script);
  g_free(r->model_id);
  g_ptr_array_unref(r->submissions);
  g_free(r);
}

void
sr_farm_record_set_script(SrFarmRecord *r, const SrFarmScript *s)
{
  script_strings_free(&r->script);
  r->script = *s;
  const char **fields[] = {&r->script.cli,        &r->script.project,  &r->script.model,
                           &r->script.render,     &r->script.farm_dir, &r->script.job_name,
                           &r->script.partition,  &r->script.account,  &r->script.gres,
                           &r->script.time_limit, &r->script.mem,      &r->script.backend};
  for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
    *fields[i] = g_strdup(*fields[i]);
}

SrFarmSubmission *
sr_farm_record_add(SrFarmRecord *r)
{
  SrFarmSubmission *s = g_new0(SrFarmSubmission, 1);
  s->ranges = g_array_new(FALSE, FALSE, sizeof(SrFarmRange));
  g_ptr_array_add(r->submissions, s);
  return s;
}

char *
sr_farm_record_to_json(const SrFarmRecord *r)
{
  const SrFarmScript *s = &r->script;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  sr_json_member_string(b, "scheduler", "slurm");
  sr_json_member_string(b, "cli", s->cli);
  sr_json_member_string(b, "project", s->project);
  sr_json_member_string(b, "model", s->model);
  sr_json_member_string(b, "model_id", r->model_id);
  sr_json_member_string(b, "render", s->render);
  sr_json_member_string(b, "farm_dir", s->farm_dir);
  sr_json_member_string(b, "job_name", s->job_name);
  sr_json_member_string(b, "partition", s->partition);
  sr_json_member_string(b, "account", s->account);
  sr_json_member_string(b, "gres", s->gres);
  sr_json_member_string(b, "time", s->time_limit);
  sr_json_member_string(b, "mem", s->mem);
  sr_json_member_string(b, "backend", s->backend);
  sr_json_member_int(b, "cpus_per_task", s->cpus_per_task);
  sr_json_member_int(b, "max_running", s->max_running);
  sr_json_member_bool(b, "requeue", s->requeue);
  sr_json_member_bool(b, "deliver", s->deliver);
  sr_json_member_bool(b, "regrain", s->regrain);
  sr_json_member_int(b, "first", s->first);
  sr_json_member_int(b, "last", s->last);
  json_builder_set_member_name(b, "submissions");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->submissions->len; i++) {
    const SrFarmSubmission *sub = g_ptr_array_index(r->submissions, i);
    json_builder_begin_object(b);
    sr_json_member_string(b, "array_job", sub->array_job);
    sr_json_member_string(b, "finish_job", sub->finish_job);
    sr_json_member_string(b, "render_script", sub->render_script);
    sr_json_member_string(b, "finish_script", sub->finish_script);
    json_builder_set_member_name(b, "tasks");
    json_builder_begin_array(b);
    for (guint k = 0; k < sub->ranges->len; k++) {
      const SrFarmRange *t = &g_array_index(sub->ranges, SrFarmRange, k);
      json_builder_begin_array(b);
      json_builder_add_int_value(b, t->index);
      json_builder_add_int_value(b, t->first);
      json_builder_add_int_value(b, t->last);
      json_builder_end_array(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  char *text = sr_json_text(root, TRUE, NULL);
  char *with_nl = g_strconcat(text, "\n", NULL);
  g_free(text);
  return with_nl;
}

static char *
get_string(JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member(o, key);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? g_strdup(json_node_get_string(n))
             : NULL;
}

static gint64
get_int(JsonObject *o, const char *key, gint64 fallback)
{
  JsonNode *n = json_object_get_member(o, key);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64
             ? json_node_get_int(n)
             : fallback;
}

static gboolean
get_bool(JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member(o, key);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
         json_node_get_boolean(n);
}

static gboolean
bad_record(GError **error, const char *what, const char *field)
{
  g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_INVALID,
              _("%s: '%s' is missing or wrong; the farm record was changed by hand or "
                "is damaged — move it aside and submit again"),
              what, field);
  return FALSE;
}

static gboolean
read_submission(JsonObject *o, SrFarmRecord *r, const char *what, GError **error)
{
  SrFarmSubmission *s = sr_farm_record_add(r);
  s->array_job = get_string(o, "array_job");
  s->finish_job = get_string(o, "finish_job");
  s->render_script = get_string(o, "render_script");
  s->finish_script = get_string(o, "finish_script");
  JsonNode *tn = json_object_get_member(o, "tasks");
  if (!tn || !JSON_NODE_HOLDS_ARRAY(tn))
    return bad_record(error, what, "tasks");
  JsonArray *ta = json_node_get_array(tn);
  for (guint k = 0; k < json_array_get_length(ta); k++) {
    JsonNode *e = json_array_get_element(ta, k);
    if (!JSON_NODE_HOLDS_ARRAY(e) || json_array_get_length(json_node_get_array(e)) != 3)
      return bad_record(error, what, "tasks");
    JsonArray *t = json_node_get_array(e);
    for (guint j = 0; j < 3; j++) {
      JsonNode *v = json_array_get_element(t, j);
      if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_INT64)
        return bad_record(error, what, "tasks");
    }
    SrFarmRange range = {(int)json_array_get_int_element(t, 0),
                         (int)json_array_get_int_element(t, 1),
                         (int)json_array_get_int_element(t, 2)};
    if (range.index < 0 || range.last < range.first)
      return bad_record(error, what, "tasks");
    g_array_append_val(s->ranges, range);
  }
  if (s->ranges->len && !s->array_job)
    return bad_record(error, what, "array_job");
  return TRUE;
}

SrFarmRecord *
sr_farm_record_from_json(const char *json, const char *what, GError **error)
{
  /* A record nests three levels; json-glib must not be given a file nested
   * far deeper (sr_json_load_outside). */
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) perr = NULL;
  if (!sr_json_load_outside(parser, json, strlen(json), 8, &perr)) {
    g_set_error(error, SR_FARM_ERROR, SR_FARM_ERROR_INVALID, _("%s is not valid JSON: %s"), what,
                perr->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    bad_record(error, what, "{}");
    return NULL;
  }
  JsonObject *o = json_node_get_object(root);
  g_autoptr(SrFarmRecord) r = sr_farm_record_new();
  SrFarmScript *s = &r->script;
  s->cli = get_string(o, "cli");
  s->project = get_string(o, "project");
  s->model = get_string(o, "model");
  s->render = get_string(o, "render");
  s->farm_dir = get_string(o, "farm_dir");
  s->job_name = get_string(o, "job_name");
  s->partition = get_string(o, "partition");
  s->account = get_string(o, "account");
  s->gres = get_string(o, "gres");
  s->time_limit = get_string(o, "time");
  s->mem = get_string(o, "mem");
  s->backend = get_string(o, "backend");
  r->model_id = get_string(o, "model_id");
  s->cpus_per_task = (int)get_int(o, "cpus_per_task", 1);
  s->max_running = (int)get_int(o, "max_running", 0);
  s->requeue = get_bool(o, "requeue");
  s->deliver = get_bool(o, "deliver");
  s->regrain = get_bool(o, "regrain");
  s->first = (int)get_int(o, "first", 0);
  s->last = (int)get_int(o, "last", -1);
  const char *need[] = {s->cli, s->project, s->model, s->render, s->farm_dir, s->job_name};
  const char *names[] = {"cli", "project", "model", "render", "farm_dir", "job_name"};
  for (size_t i = 0; i < G_N_ELEMENTS(need); i++)
    if (!need[i]) {
      bad_record(error, what, names[i]);
      return NULL;
    }
  if (s->last < s->first || s->cpus_per_task < 1) {
    bad_record(error, what, "first/last");
    return NULL;
  }
  JsonNode *sn = json_object_get_member(o, "submissions");
  if (!sn || !JSON_NODE_HOLDS_ARRAY(sn)) {
    bad_record(error, what, "submissions");
    return NULL;
  }
  JsonArray *sa = json_node_get_array(sn);
  if (json_array_get_length(sa) == 0) {
    bad_record(error, what, "submissions");
    return NULL;
  }
  for (guint i = 0; i < json_array_get_length(sa); i++) {
    JsonNode *e = json_array_get_element(sa, i);
    if (!JSON_NODE_HOLDS_OBJECT(e)) {
      bad_record(error, what, "submissions");
      return NULL;
    }
    if (!read_submission(json_node_get_object(e), r, what, error))
      return NULL;
  }
  return g_steal_pointer(&r);
}

/* ---- Status ----------------------------------------------------------------- */

const char *
sr_farm_task_status_name(SrFarmTaskStatus s)
{
  switch (s) {
  case SR_FARM_TASK_PENDING: return "pending";
  case SR_FARM_TASK_RUNNING: return "running";
  case SR_FARM_TASK_DONE: return "done";
  case SR_FARM_TASK_FAILED: break;
  }
  return "failed";
}

int
sr_farm_read_exit_marker(const char *farm_dir, const char *job, int task)
{
  g_autofree char *name =
      task >= 0 ? g_strdup_printf("%s_%d", job, task) : g_strdup_printf("finish_%s", job);
  g_autofree char *path = g_build_filename(farm_dir, "exit", name, NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    return -1;
  char *end = NULL;
  long rc = strtol(text, &end, 10);
  return end != text && rc >= 0 && rc < 256 ? (int)rc : -1;
}

gboolean
sr_farm_frame_done(const char *render, int f)
{
  g_autofree char *path = sr_pattern_format(render, f);
  return path && g_file_test(path, G_FILE_TEST_IS_REGULAR);
}

SrFarmTaskStatus
sr_farm_task_status(const SrFarmJobState *queued, const SrFarmJobState *accounted, int exit_marker,
                    int frames_done, int frames, char **why)
{
  *why = g_strdup("");
  if (queued) {
    g_free(*why);
    *why = g_strdup(queued->reason && *queued->reason && !g_str_equal(queued->reason, "None")
                        ? queued->reason
                        : queued->state);
    return g_str_equal(queued->state, "PENDING") ? SR_FARM_TASK_PENDING : SR_FARM_TASK_RUNNING;
  }
  /* The frames on disk are the truth; the scheduler only explains a gap. */
  if (frames_done >= frames)
    return SR_FARM_TASK_DONE;
  g_free(*why);
  if (accounted && !g_str_equal(accounted->state, "COMPLETED"))
    *why = g_strdup(accounted->state);
  else if (exit_marker > 0)
    *why = g_strdup_printf("exit %d", exit_marker);
  else if (exit_marker == 0)
    *why = g_strdup("incomplete"); /* exit 0 yet frames gone: deleted since */
  else
    *why = g_strdup("stopped"); /* killed before it could record its exit */
  return SR_FARM_TASK_FAILED;
}

GArray *
sr_farm_tasks(const SrFarmRecord *r, GArray *queued, GArray *accounted)
{
  GArray *out = g_array_new(FALSE, TRUE, sizeof(SrFarmTask));
  for (guint i = 0; i < r->submissions->len; i++) {
    const SrFarmSubmission *sub = g_ptr_array_index(r->submissions, i);
    for (guint k = 0; k < sub->ranges->len; k++) {
      SrFarmTask t = {.submission = (int)i, .range = g_array_index(sub->ranges, SrFarmRange, k)};
      for (int f = t.range.first; f <= t.range.last; f++)
        t.frames_done += sr_farm_frame_done(r->script.render, f);
      const SrFarmJobState *q = sr_farm_job_states_find(queued, sub->array_job, t.range.index);
      const SrFarmJobState *a = sr_farm_job_states_find(accounted, sub->array_job, t.range.index);
      int marker = sr_farm_read_exit_marker(r->script.farm_dir, sub->array_job, t.range.index);
      t.status = sr_farm_task_status(q, a, marker, t.frames_done, t.range.last - t.range.first + 1,
                                     &t.why);
      g_autofree char *log = g_strdup_printf("render-%s_%d.log", sub->array_job, t.range.index);
      t.log_path = g_build_filename(r->script.farm_dir, "logs", log, NULL);
      g_array_append_val(out, t);
    }
  }
  return out;
}

void
sr_farm_tasks_free(GArray *tasks)
{
  if (!tasks)
    return;
  for (guint i = 0; i < tasks->len; i++) {
    SrFarmTask *t = &g_array_index(tasks, SrFarmTask, i);
    g_free(t->why);
    g_free(t->log_path);
  }
  g_array_unref(tasks);
}

GArray *
sr_farm_resume_frames(const SrFarmRecord *r, GArray *tasks)
{
  GArray *out = g_array_new(FALSE, FALSE, sizeof(int));
  for (int f = r->script.first; f <= r->script.last; f++) {
    if (sr_farm_frame_done(r->script.render, f))
      continue;
    gboolean queued = FALSE;
    for (guint i = 0; i < tasks->len && !queued; i++) {
      const SrFarmTask *t = &g_array_index(tasks, SrFarmTask, i);
      queued = (t->status == SR_FARM_TASK_PENDING || t->status == SR_FARM_TASK_RUNNING) &&
               f >= t->range.first && f <= t->range.last;
    }
    if (!queued)
      g_array_append_val(out, f);
  }
  return out;
}
