/* Tests for app/sr-farm*.c: frame ranges per array task, the batch scripts
 * (run by bash with a stand-in CLI), squeue/sacct parsing, the record, task
 * status, and submit/status/resume against stand-in sbatch, squeue, sacct
 * and scancel commands. The real Slurm run is tests/e2e/test-farm-slurm.sh. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "sr-backend.h"
#include "sr-checkpoint.h"
#include "sr-farm.h"
#include "sr-fs.h"
#include "sr-io.h"
#include "sr-unet.h"
#include "sr-test-util.h"

static char *tmpdir;

static void
assert_ranges(GArray *r, const int *expect, int n)
{
  g_assert_nonnull(r);
  g_assert_cmpuint(r->len, ==, (guint)n);
  for (int i = 0; i < n; i++) {
    const SrFarmRange *t = &g_array_index(r, SrFarmRange, i);
    g_assert_cmpint(t->index, ==, i);
    g_assert_cmpint(t->first, ==, expect[2 * i]);
    g_assert_cmpint(t->last, ==, expect[2 * i + 1]);
  }
}

static void
test_plan(void)
{
  GError *error = NULL;
  g_autoptr(GArray) four = sr_farm_plan_ranges(1, 10, 4, 0, &error);
  assert_ranges(four, (int[]){1, 3, 4, 6, 7, 8, 9, 10}, 4);
  g_autoptr(GArray) per = sr_farm_plan_ranges(1001, 1010, 0, 4, &error);
  assert_ranges(per, (int[]){1001, 1004, 1005, 1008, 1009, 1010}, 3);
  /* More tasks than frames: one frame each, no empty task. */
  g_autoptr(GArray) many = sr_farm_plan_ranges(5, 7, 10, 0, &error);
  assert_ranges(many, (int[]){5, 5, 6, 6, 7, 7}, 3);
  g_autoptr(GArray) one = sr_farm_plan_ranges(0, 0, 0, 100, &error);
  assert_ranges(one, (int[]){0, 0}, 1);

  g_assert_null(sr_farm_plan_ranges(1, 10, 2, 5, &error));
  g_assert_error(error, SR_FARM_ERROR, SR_FARM_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_null(sr_farm_plan_ranges(1, 10, 0, 0, &error));
  g_assert_error(error, SR_FARM_ERROR, SR_FARM_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_null(sr_farm_plan_ranges(10, 1, 2, 0, &error));
  g_assert_nonnull(strstr(error->message, "10-1"));
  g_clear_error(&error);

  /* Missing frames as contiguous runs, split at the task length. */
  int missing[] = {3, 4, 5, 9, 10, 20};
  g_autoptr(GArray) runs = sr_farm_plan_frames(missing, 6, 0);
  assert_ranges(runs, (int[]){3, 5, 9, 10, 20, 20}, 3);
  g_autoptr(GArray) split = sr_farm_plan_frames(missing, 6, 2);
  assert_ranges(split, (int[]){3, 4, 5, 5, 9, 10, 20, 20}, 4);
  g_autoptr(GArray) none = sr_farm_plan_frames(NULL, 0, 2);
  g_assert_cmpuint(none->len, ==, 0);
}

static void
script_settings(SrFarmScript *s, const char *cli, const char *farm_dir)
{
  *s = (SrFarmScript){
      .cli = cli,
      .project = "/archive/reel 3/it's.srproj",
      .model = "/archive/ck/step_000040.safetensors",
      .render = "/archive/out/render/SH010_v001_m0123456789ab.%06d.exr",
      .farm_dir = farm_dir,
      .job_name = "sr-SH010",
      .partition = "gpu",
      .gres = "gpu:1",
      .time_limit = "02:00:00",
      .backend = "cuda",
      .cpus_per_task = 4,
      .max_running = 2,
      .requeue = TRUE,
      .first = 1,
      .last = 9,
  };
}

static void
test_script_text(void)
{
  SrFarmScript s;
  script_settings(&s, "/usr/bin/spatial-recovery-cli", "/archive/out/farm");
  SrFarmRange ranges[] = {{0, 1, 3}, {1, 4, 6}, {2, 7, 9}, {5, 10, 10}};
  g_autofree char *text = sr_farm_render_script(&s, ranges, 4);
  const char *expect[] = {
      "#!/bin/bash\n",
      "#SBATCH --job-name=sr-SH010\n",
      "#SBATCH --array=0-2,5%2\n",
      "#SBATCH --cpus-per-task=4\n",
      "#SBATCH --output=/archive/out/farm/logs/render-%A_%a.log\n",
      "#SBATCH --partition=gpu\n",
      "#SBATCH --gres=gpu:1\n",
      "#SBATCH --time=02:00:00\n",
      "#SBATCH --requeue\n",
      "#SBATCH --open-mode=append\n",
      "project='/archive/reel 3/it'\\''s.srproj'\n",
      "export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\n",
      "  1) frames=4-6 ;;\n",
      "  5) frames=10-10 ;;\n",
      "--frames \"$frames\" --backend \"$backend\" --progress json\n",
      "exit $rc\n",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(expect); i++)
    if (!strstr(text, expect[i]))
      g_error("render script lacks %s:\n%s", expect[i], text);
  /* No account or memory given: the cluster's defaults stand. */
  g_assert_null(strstr(text, "--account"));
  g_assert_null(strstr(text, "--mem"));
  g_assert_null(strstr(text, "--regrain"));
  /* With grain every task renders with it (one plan, beside the render). */
  s.regrain = TRUE;
  g_autofree char *grained = sr_farm_render_script(&s, ranges, 4);
  g_assert_nonnull(strstr(grained, "--progress json --regrain\nrc=$?\n"));
  s.regrain = FALSE;

  s.deliver = TRUE;
  g_autofree char *fin = sr_farm_finish_script(&s);
  g_assert_nonnull(strstr(fin, "#SBATCH --job-name=sr-SH010-finish\n"));
  g_assert_nonnull(strstr(fin, "#SBATCH --output=/archive/out/farm/logs/finish-%j.log\n"));
  g_assert_nonnull(strstr(fin, "frames=1-9\n"));
  g_assert_nonnull(strstr(fin, "deliver=1\n"));
  g_assert_null(strstr(fin, "--gres"));
  g_assert_null(strstr(fin, "--array"));
}

/* A stand-in for spatial-recovery-cli that logs its arguments and exits
 * with the status named in STATUS_FILE for its sub-command. */
static char *
write_fake_cli(const char *dir)
{
  g_autofree char *path = g_build_filename(dir, "fake-cli", NULL);
  const char *text = "#!/bin/bash\n"
                     "printf '%s\\n' \"$*\" >> \"$FAKE_LOG\"\n"
                     "rc=$(sed -n \"s/^$1 //p\" \"$FAKE_STATUS\")\n"
                     "exit ${rc:-0}\n";
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  g_assert_cmpint(g_chmod(path, 0755), ==, 0);
  return g_steal_pointer(&path);
}

typedef struct {
  int status;
  char *log;
} ScriptRun;

static ScriptRun
run_script(const char *dir, const char *script, const char *statuses, const char *task)
{
  g_autofree char *path = g_build_filename(dir, "script.sh", NULL);
  g_autofree char *log = g_build_filename(dir, "cli.log", NULL);
  g_autofree char *st = g_build_filename(dir, "status.txt", NULL);
  g_assert_true(g_file_set_contents(path, script, -1, NULL));
  g_assert_true(g_file_set_contents(st, statuses, -1, NULL));
  g_unlink(log);
  g_auto(GStrv) env = g_get_environ();
  env = g_environ_setenv(env, "FAKE_LOG", log, TRUE);
  env = g_environ_setenv(env, "FAKE_STATUS", st, TRUE);
  env = g_environ_setenv(env, "SLURM_ARRAY_JOB_ID", "77", TRUE);
  env = g_environ_setenv(env, "SLURM_JOB_ID", "78", TRUE);
  env = g_environ_setenv(env, "SLURM_CPUS_PER_TASK", "3", TRUE);
  if (task)
    env = g_environ_setenv(env, "SLURM_ARRAY_TASK_ID", task, TRUE);
  else
    env = g_environ_unsetenv(env, "SLURM_ARRAY_TASK_ID");
  const char *argv[] = {"bash", path, NULL};
  ScriptRun r = {0};
  GError *error = NULL;
  g_assert_true(
      g_spawn_sync(dir, (char **)argv, env,
                   G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                   NULL, NULL, NULL, NULL, &r.status, &error));
  g_assert_no_error(error);
  r.status = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
  g_file_get_contents(log, &r.log, NULL, NULL);
  return r;
}

/* The scripts run: each task renders its own range with the task's CPUs
 * as threads, records its exit status, and exits with the render's. */
static void
test_script_runs(void)
{
  g_autofree char *dir = g_build_filename(tmpdir, "scripts", NULL);
  g_autofree char *farm = g_build_filename(dir, "farm", NULL);
  g_assert_true(sr_mkdir_p(farm, NULL));
  g_autofree char *cli = write_fake_cli(dir);
  SrFarmScript s;
  script_settings(&s, cli, farm);
  SrFarmRange ranges[] = {{0, 1, 3}, {1, 4, 6}};
  g_autofree char *text = sr_farm_render_script(&s, ranges, 2);

  ScriptRun r = run_script(dir, text, "render 3\n", "1");
  g_assert_cmpint(r.status, ==, 3);
  g_assert_nonnull(r.log);
  g_assert_nonnull(strstr(r.log, "render /archive/reel 3/it's.srproj --model "
                                 "/archive/ck/step_000040.safetensors --output "));
  g_assert_nonnull(strstr(r.log, "--frames 4-6 --backend cuda --progress json"));
  g_assert_cmpint(sr_farm_read_exit_marker(farm, "77", 1), ==, 3);
  g_free(r.log);

  r = run_script(dir, text, "", "0");
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.log, "--frames 1-3 "));
  g_assert_cmpint(sr_farm_read_exit_marker(farm, "77", 0), ==, 0);
  g_free(r.log);

  /* An index the script has no range for renders nothing and says so. */
  r = run_script(dir, text, "", "9");
  g_assert_cmpint(r.status, ==, 2);
  g_assert_null(r.log);

  /* The finishing job: validate, then deliver only when it passed. */
  s.deliver = TRUE;
  g_autofree char *fin = sr_farm_finish_script(&s);
  r = run_script(dir, fin, "", NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.log, "validate /archive/reel 3/it's.srproj --render "));
  g_assert_nonnull(strstr(r.log, "--frames 1-9 --checkpoint /archive/ck/step_000040"));
  g_assert_nonnull(strstr(r.log, "\ndeliver /archive/reel 3/it's.srproj"));
  g_assert_cmpint(sr_farm_read_exit_marker(farm, "78", -1), ==, 0);
  g_free(r.log);
  r = run_script(dir, fin, "validate 1\n", NULL);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_null(strstr(r.log, "deliver"));
  g_assert_cmpint(sr_farm_read_exit_marker(farm, "78", -1), ==, 1);
  g_free(r.log);
}

static void
test_parse(void)
{
  GError *error = NULL;
  char *id = NULL;
  g_assert_true(sr_farm_parse_job_id("4711\n", &id, &error));
  g_assert_cmpstr(id, ==, "4711");
  g_free(id);
  g_assert_true(sr_farm_parse_job_id("4712;cluster2\n", &id, &error));
  g_assert_cmpstr(id, ==, "4712");
  g_free(id);
  g_assert_false(sr_farm_parse_job_id("Submitted batch job 5\n", &id, &error));
  g_assert_nonnull(strstr(error->message, "Submitted batch job 5"));
  g_clear_error(&error);
  g_assert_false(sr_farm_parse_job_id("", &id, &error));
  g_clear_error(&error);

  g_autoptr(GArray) q = sr_farm_job_states_new();
  sr_farm_parse_squeue("12|0|RUNNING|None\n"
                       "12|3|PENDING|JobHeldUser\n"
                       "13|N/A|PENDING|DependencyNeverSatisfied\n"
                       "14|[4-6%2]|PENDING|JobArrayTaskLimit\n"
                       "garbage\n\n",
                       q);
  g_assert_cmpuint(q->len, ==, 6);
  g_assert_cmpstr(sr_farm_job_states_find(q, "12", 0)->state, ==, "RUNNING");
  g_assert_cmpstr(sr_farm_job_states_find(q, "12", 3)->reason, ==, "JobHeldUser");
  g_assert_cmpstr(sr_farm_job_states_find(q, "13", -1)->reason, ==, "DependencyNeverSatisfied");
  g_assert_nonnull(sr_farm_job_states_find(q, "14", 5));
  g_assert_null(sr_farm_job_states_find(q, "14", 7));
  g_assert_null(sr_farm_job_states_find(q, "12", 1));

  g_autoptr(GArray) a = sr_farm_job_states_new();
  sr_farm_parse_sacct("12_0|COMPLETED|0:0\n"
                      "12_0.batch|COMPLETED|0:0\n"
                      "12_3|CANCELLED by 0|0:15\n"
                      "12_[4-5]|PENDING|0:0\n"
                      "12_1|PREEMPTED|0:15\n"
                      "12_1|TIMEOUT|0:0\n"
                      "13|FAILED|1:0\n",
                      a);
  g_assert_cmpstr(sr_farm_job_states_find(a, "12", 3)->state, ==, "CANCELLED");
  g_assert_cmpstr(sr_farm_job_states_find(a, "12", 5)->state, ==, "PENDING");
  /* A requeued task: the newest line counts. */
  g_assert_cmpstr(sr_farm_job_states_find(a, "12", 1)->state, ==, "TIMEOUT");
  g_assert_cmpstr(sr_farm_job_states_find(a, "13", -1)->reason, ==, "1:0");
  g_assert_cmpuint(a->len, ==, 7);
}

static void
test_task_status(void)
{
  SrFarmJobState running = {"12", 0, "RUNNING", "None"};
  SrFarmJobState held = {"12", 0, "PENDING", "JobHeldUser"};
  SrFarmJobState cancelled = {"12", 0, "CANCELLED", "0:15"};
  SrFarmJobState completed = {"12", 0, "COMPLETED", "0:0"};
  char *why = NULL;
  g_assert_cmpint(sr_farm_task_status(&running, NULL, -1, 1, 3, &why), ==, SR_FARM_TASK_RUNNING);
  g_assert_cmpstr(why, ==, "RUNNING");
  g_free(why);
  g_assert_cmpint(sr_farm_task_status(&held, NULL, -1, 0, 3, &why), ==, SR_FARM_TASK_PENDING);
  g_assert_cmpstr(why, ==, "JobHeldUser");
  g_free(why);
  /* The frames decide once the task has left the queue. */
  g_assert_cmpint(sr_farm_task_status(NULL, &cancelled, 1, 3, 3, &why), ==, SR_FARM_TASK_DONE);
  g_free(why);
  g_assert_cmpint(sr_farm_task_status(NULL, &cancelled, -1, 2, 3, &why), ==, SR_FARM_TASK_FAILED);
  g_assert_cmpstr(why, ==, "CANCELLED");
  g_free(why);
  g_assert_cmpint(sr_farm_task_status(NULL, &completed, 1, 2, 3, &why), ==, SR_FARM_TASK_FAILED);
  g_assert_cmpstr(why, ==, "exit 1");
  g_free(why);
  g_assert_cmpint(sr_farm_task_status(NULL, NULL, 0, 2, 3, &why), ==, SR_FARM_TASK_FAILED);
  g_assert_cmpstr(why, ==, "incomplete");
  g_free(why);
  g_assert_cmpint(sr_farm_task_status(NULL, NULL, -1, 0, 3, &why), ==, SR_FARM_TASK_FAILED);
  g_assert_cmpstr(why, ==, "stopped");
  g_free(why);
}

static void
test_record(void)
{
  g_autoptr(SrFarmRecord) r = sr_farm_record_new();
  SrFarmScript s;
  script_settings(&s, "/usr/bin/spatial-recovery-cli", "/archive/out/farm");
  s.regrain = TRUE;
  sr_farm_record_set_script(r, &s);
  r->model_id = g_strdup("0123456789abcdef");
  SrFarmSubmission *sub = sr_farm_record_add(r);
  sub->array_job = g_strdup("12");
  sub->finish_job = g_strdup("13");
  sub->render_script = g_strdup("/archive/out/farm/render-01.sh");
  SrFarmRange t[] = {{0, 1, 5}, {1, 6, 9}};
  g_array_append_vals(sub->ranges, t, 2);
  g_autofree char *json = sr_farm_record_to_json(r);
  GError *error = NULL;
  g_autoptr(SrFarmRecord) back = sr_farm_record_from_json(json, "farm.json", &error);
  g_assert_no_error(error);
  g_autofree char *again = sr_farm_record_to_json(back);
  g_assert_cmpstr(json, ==, again);
  g_assert_cmpstr(back->script.project, ==, "/archive/reel 3/it's.srproj");
  g_assert_cmpint(back->script.cpus_per_task, ==, 4);
  g_assert_true(back->script.requeue);
  g_assert_true(back->script.regrain); /* farm resume renders with grain again */
  SrFarmSubmission *bs = g_ptr_array_index(back->submissions, 0);
  g_assert_cmpint(g_array_index(bs->ranges, SrFarmRange, 1).first, ==, 6);

  /* A damaged record names the file and the field. */
  g_assert_null(sr_farm_record_from_json("{", "/x/farm.json", &error));
  g_assert_nonnull(strstr(error->message, "/x/farm.json"));
  g_clear_error(&error);
  g_autofree char *no_model = g_strdup(json);
  char *m = strstr(no_model, "\"model\"");
  memcpy(m, "\"mudel\"", 7);
  g_assert_null(sr_farm_record_from_json(no_model, "/x/farm.json", &error));
  g_assert_nonnull(strstr(error->message, "'model'"));
  g_clear_error(&error);
  /* A task range that is not three numbers. */
  const char *tk = strstr(strstr(json, "\"tasks\""), "1,\n");
  g_assert_nonnull(tk);
  g_autofree char *bad_task = g_strdup_printf("%.*s\"one\"%s", (int)(tk - json), json, tk + 1);
  g_assert_null(sr_farm_record_from_json(bad_task, "/x/farm.json", &error));
  g_assert_nonnull(strstr(error->message, "'tasks'"));
  g_clear_error(&error);
  g_assert_null(sr_farm_record_from_json("{\"cli\":\"c\"}", "/x/farm.json", &error));
  g_assert_nonnull(strstr(error->message, "'project'"));
  g_clear_error(&error);
  /* Nested past what json-glib parses without running out of stack. */
  g_autofree char *deep = g_strnfill(100000, '[');
  g_assert_null(sr_farm_record_from_json(deep, "/x/farm.json", &error));
  g_assert_nonnull(strstr(error->message, "/x/farm.json"));
  g_clear_error(&error);
}

/* ---- Submit, status and resume with stand-in Slurm commands -------------------- */

static void
write_checkpoint(const char *path, char model_id[65])
{
  sr_error err = {0};
  sr_backend *be = sr_backend_cpu_create(1, &err);
  g_assert_nonnull(be);
  sr_unet *net = sr_unet_new(SR_UNET_S, be, &err);
  g_assert_nonnull(net);
  g_assert_true(sr_unet_init(net, 7, &err));
  sr_checkpoint_meta meta;
  sr_checkpoint_meta_init(&meta);
  meta.size = SR_UNET_S;
  meta.step = 40;
  meta.prep.source_space = meta.prep.reference_space = SR_CS_REC709;
  if (!sr_checkpoint_save(path, net, &meta, false, model_id, &err))
    g_error("%s", err.message);
  sr_unet_free(net);
  sr_backend_close(be);
}

static void
write_tool(const char *bin, const char *name, const char *body)
{
  g_autofree char *path = g_build_filename(bin, name, NULL);
  g_autofree char *text = g_strdup_printf("#!/bin/bash\n%s", body);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  g_assert_cmpint(g_chmod(path, 0755), ==, 0);
}

static char *
read_text(const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  char *text = NULL;
  g_file_get_contents(path, &text, NULL, NULL);
  return text ? text : g_strdup("");
}

static void
set_queue(const char *bin, const char *text)
{
  g_autofree char *path = g_build_filename(bin, "queue.txt", NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void
touch_frame(const char *pattern, int f)
{
  g_autofree char *path = sr_pattern_format(pattern, f);
  g_assert_true(g_file_set_contents(path, "frame", -1, NULL));
}

static void
test_submit_resume(void)
{
  g_autofree char *dir = g_build_filename(tmpdir, "reel", NULL);
  g_autofree char *bin = g_build_filename(dir, "bin", NULL);
  g_autofree char *src_dir = g_build_filename(dir, "source", NULL);
  g_autofree char *ck_dir = g_build_filename(dir, "ck", NULL);
  g_assert_true(sr_mkdir_p(bin, NULL) && sr_mkdir_p(src_dir, NULL) && sr_mkdir_p(ck_dir, NULL));
  for (int f = 1; f <= 10; f++) {
    g_autofree char *name = g_strdup_printf("src.%04d.exr", f);
    g_autofree char *path = g_build_filename(src_dir, name, NULL);
    g_assert_true(g_file_set_contents(path, "x", 1, NULL));
  }
  /* latest.safetensors is pinned to the step file with the same model. */
  g_autofree char *step = g_build_filename(ck_dir, "step_000040.safetensors", NULL);
  g_autofree char *latest = g_build_filename(ck_dir, "latest.safetensors", NULL);
  char model_id[65];
  write_checkpoint(step, model_id);
  write_checkpoint(latest, model_id);

  SrProject *p = sr_project_new();
  sr_project_set_name(p, "shot");
  sr_project_set_source_pattern(p, "source/src.%04d.exr");
  sr_project_set_checkpoint(p, "ck/latest.safetensors");
  GError *error = NULL;
  SrFarmSubmitOptions o;
  sr_farm_submit_options_init(&o);
  o.tasks = 3;
  o.cli = "/opt/sr/bin/spatial-recovery-cli";
  SrFarmRecord *r = NULL;
  /* Not saved yet: the tasks could not read it. */
  g_assert_false(sr_farm_submit(p, &o, &r, &error));
  g_assert_nonnull(strstr(error->message, "not been saved"));
  g_clear_error(&error);
  g_autofree char *proj_path = g_build_filename(dir, "reel.srproj", NULL);
  GFile *file = g_file_new_for_path(proj_path);
  sr_project_set_output_folder(p, "");
  g_assert_true(sr_project_save(p, file, &error));
  g_assert_false(sr_farm_submit(p, &o, &r, &error));
  g_assert_nonnull(strstr(error->message, "output folder"));
  g_clear_error(&error);
  sr_project_set_output_folder(p, "out");
  g_assert_true(sr_project_save(p, file, &error));
  g_object_unref(file);

  /* No Slurm on PATH: nothing is written. */
  g_autofree char *old_path = g_strdup(g_getenv("PATH"));
  g_setenv("PATH", bin, TRUE);
  g_assert_false(sr_farm_submit(p, &o, &r, &error));
  g_assert_error(error, SR_FARM_ERROR, SR_FARM_ERROR_SCHEDULER);
  g_assert_nonnull(strstr(error->message, "sbatch was not found"));
  g_clear_error(&error);
  g_autofree char *path = g_strdup_printf("%s:%s", bin, old_path);
  g_setenv("PATH", path, TRUE);
  g_autofree char *farm_dir = g_build_filename(dir, "out", "farm", NULL);
  g_assert_false(g_file_test(farm_dir, G_FILE_TEST_EXISTS));

  /* sbatch refuses (a partition that does not exist): no script is left. */
  write_tool(bin, "squeue", "true\n");
  write_tool(bin, "scancel", "true\n");
  write_tool(bin, "sbatch", "echo 'sbatch: error: invalid partition specified: gpu' >&2; exit 1\n");
  g_assert_false(sr_farm_submit(p, &o, &r, &error));
  g_assert_nonnull(strstr(error->message, "invalid partition specified"));
  g_clear_error(&error);
  g_autofree char *script01 = g_build_filename(farm_dir, "render-01.sh", NULL);
  g_assert_false(g_file_test(script01, G_FILE_TEST_EXISTS));

  write_tool(bin, "sbatch",
             "d=$(dirname \"$0\")\n"
             "echo \"$*\" >> \"$d/sbatch.log\"\n"
             "n=$(cat \"$d/next\" 2>/dev/null || echo 100)\n"
             "echo $((n + 1)) > \"$d/next\"\n"
             "echo \"$n\"\n");
  write_tool(bin, "squeue", "cat \"$(dirname \"$0\")/queue.txt\"\n");
  write_tool(bin, "sacct", "echo 'Slurm accounting storage is disabled' >&2; exit 1\n");
  write_tool(bin, "scancel", "echo \"$*\" >> \"$(dirname \"$0\")/scancel.log\"\n");
  set_queue(bin, "");

  /* A range the Source does not hold is refused before anything queues. */
  o.first = 5;
  o.last = 12;
  g_assert_false(sr_farm_submit(p, &o, &r, &error));
  g_assert_nonnull(strstr(error->message, "frames 5-12 reach outside the Source"));
  g_assert_nonnull(strstr(error->message, "1-10"));
  g_clear_error(&error);
  o.first = 1;
  o.last = 0;

  g_assert_true(sr_farm_submit(p, &o, &r, &error));
  g_assert_no_error(error);
  g_autofree char *out = g_build_filename(dir, "out", NULL);
  g_autofree char *farm = g_build_filename(out, "farm", NULL);
  g_autofree char *sb = read_text(bin, "sbatch.log");
  g_autofree char *expect_sb =
      g_strdup_printf("--parsable %s/render-01.sh\n"
                      "--parsable --dependency=afterok:100 %s/finish-01.sh\n",
                      farm, farm);
  g_assert_cmpstr(sb, ==, expect_sb);
  g_assert_cmpint(r->script.first, ==, 1);
  g_assert_cmpint(r->script.last, ==, 10);
  g_assert_cmpstr(r->script.model, ==, step);
  g_assert_cmpstr(r->script.cli, ==, "/opt/sr/bin/spatial-recovery-cli");
  g_assert_cmpstr(r->script.backend, ==, "cpu");
  char short_id[SR_MODEL_ID_SHORT + 1];
  sr_model_id_short(model_id, short_id);
  g_assert_nonnull(strstr(r->script.render, short_id));
  g_autofree char *script = read_text(farm, "render-01.sh");
  g_assert_nonnull(strstr(script, "#SBATCH --array=0-2\n"));
  g_assert_nonnull(strstr(script, "  2) frames=8-10 ;;\n"));
  const char *render = r->script.render;
  g_autofree char *render_copy = g_strdup(render);
  sr_farm_record_free(r);

  /* While the array is queued, a second submit is refused. */
  set_queue(bin, "100|1|RUNNING|None\n101|N/A|PENDING|Dependency\n");
  g_assert_false(sr_farm_submit(p, &o, &r, &error));
  g_assert_error(error, SR_FARM_ERROR, SR_FARM_ERROR_BUSY);
  g_clear_error(&error);

  /* Task 0 finished, task 1 runs, task 2 was cancelled after frame 8. */
  for (int f = 1; f <= 5; f++)
    touch_frame(render_copy, f);
  touch_frame(render_copy, 8);
  g_autoptr(SrFarmRecord) rec = sr_farm_load(p, &error);
  g_assert_no_error(error);
  GArray *queued = NULL, *accounted = NULL;
  g_assert_true(sr_farm_query(rec, &queued, &accounted, &error));
  g_assert_null(accounted); /* accounting off: sacct failed */
  GArray *tasks = sr_farm_tasks(rec, queued, accounted);
  g_assert_cmpuint(tasks->len, ==, 3);
  const SrFarmTask *t = (const SrFarmTask *)tasks->data;
  g_assert_cmpint(t[0].status, ==, SR_FARM_TASK_DONE);
  g_assert_cmpint(t[0].frames_done, ==, 4);
  g_assert_cmpint(t[1].status, ==, SR_FARM_TASK_RUNNING);
  g_assert_cmpint(t[2].status, ==, SR_FARM_TASK_FAILED);
  g_assert_cmpstr(t[2].why, ==, "stopped");
  g_autofree char *log2 = g_build_filename(farm, "logs", "render-100_2.log", NULL);
  g_assert_cmpstr(t[2].log_path, ==, log2);
  g_autofree char *fs = sr_farm_finish_state(rec, 0, queued, accounted);
  g_assert_cmpstr(fs, ==, "pending (Dependency)");
  /* Missing and not queued: 9 and 10 (5-7 are task 1's, still running). */
  g_autoptr(GArray) missing = sr_farm_resume_frames(rec, tasks);
  g_assert_cmpuint(missing->len, ==, 2);
  g_assert_cmpint(g_array_index(missing, int, 0), ==, 9);
  sr_farm_tasks_free(tasks);
  g_array_unref(queued);

  /* Resume: frames 9-10 as a new array; the old finishing job is replaced
   * by one that also waits for the running task. */
  SrFarmResumeResult res;
  g_assert_true(sr_farm_resume(rec, &res, &error));
  g_assert_no_error(error);
  g_assert_cmpint(res.frames, ==, 2);
  g_assert_cmpint(res.cancelled, ==, 1);
  g_assert_nonnull(res.sub);
  g_assert_cmpstr(res.sub->array_job, ==, "102");
  g_assert_cmpstr(res.sub->finish_job, ==, "103");
  g_autofree char *sc = read_text(bin, "scancel.log");
  g_assert_cmpstr(sc, ==, "101\n");
  g_free(sb);
  sb = read_text(bin, "sbatch.log");
  g_autofree char *expect_dep =
      g_strdup_printf("--parsable --dependency=afterok:102,afterany:100_1 %s/finish-02.sh\n", farm);
  g_assert_true(g_str_has_suffix(sb, expect_dep));
  g_autofree char *script2 = read_text(farm, "render-02.sh");
  g_assert_nonnull(strstr(script2, "  0) frames=9-10 ;;\n"));
  sr_farm_resume_result_clear(&res);

  /* Everything rendered, the finishing job passed: nothing to resume. */
  set_queue(bin, "");
  for (int f = 1; f <= 10; f++)
    touch_frame(render_copy, f);
  g_autofree char *marker = g_build_filename(farm, "exit", "finish_103", NULL);
  g_assert_true(g_file_set_contents(marker, "0 1796600000\n", -1, NULL));
  g_autoptr(SrFarmRecord) rec2 = sr_farm_load(p, &error);
  g_assert_cmpuint(rec2->submissions->len, ==, 2);
  g_assert_true(sr_farm_resume(rec2, &res, &error));
  g_assert_null(res.sub);
  g_assert_cmpstr(res.finish_state, ==, "done");
  sr_farm_resume_result_clear(&res);

  /* A finishing job that never ran (cancelled by hand): only it again. */
  g_unlink(marker);
  g_assert_true(sr_farm_resume(rec2, &res, &error));
  g_assert_nonnull(res.sub);
  g_assert_null(res.sub->array_job);
  g_assert_cmpint(res.frames, ==, 0);
  g_free(sb);
  sb = read_text(bin, "sbatch.log");
  g_autofree char *expect_fin = g_strdup_printf("--parsable %s/finish-03.sh\n", farm);
  g_assert_true(g_str_has_suffix(sb, expect_fin));
  sr_farm_resume_result_clear(&res);

  /* A record damaged by hand is named. */
  g_autofree char *rec_path = g_build_filename(farm, "farm.json", NULL);
  g_assert_true(g_file_set_contents(rec_path, "{\"submissions\": 3}", -1, NULL));
  g_assert_null(sr_farm_load(p, &error));
  g_assert_nonnull(strstr(error->message, rec_path));
  g_clear_error(&error);
  g_setenv("PATH", old_path, TRUE);
  g_object_unref(p);
}

typedef struct {
  int status;
  char *err;
} CliRun;

static CliRun
run_cli(const char *const *args)
{
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (char *)g_getenv("SR_CLI"));
  for (int i = 0; args[i]; i++)
    g_ptr_array_add(argv, (char *)args[i]);
  g_ptr_array_add(argv, NULL);
  CliRun r = {0};
  GError *error = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                             NULL, NULL, &r.err, &r.status, &error));
  g_assert_no_error(error);
  r.status = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
  g_ptr_array_unref(argv);
  return r;
}

/* What a user can get wrong on the command line: exit 2 (or 1 for a
 * project with nothing submitted) and one line naming the problem. */
static void
test_cli_bad_input(void)
{
  if (!g_getenv("SR_CLI")) {
    g_test_skip("SR_CLI not set");
    return;
  }
  g_autofree char *dir = g_build_filename(tmpdir, "cli", NULL);
  g_assert_true(sr_mkdir_p(dir, NULL));
  g_autofree char *proj = g_build_filename(dir, "p.srproj", NULL);
  SrProject *p = sr_project_new();
  sr_project_set_name(p, "p");
  sr_project_set_output_folder(p, "out");
  GFile *file = g_file_new_for_path(proj);
  GError *error = NULL;
  g_assert_true(sr_project_save(p, file, &error));
  g_object_unref(file);
  g_object_unref(p);
  struct {
    const char *args[8];
    int status;
    const char *says;
  } cases[] = {
      {{"farm", NULL}, 2, "Usage: spatial-recovery-cli farm"},
      {{"farm", "launch", proj, NULL}, 2, "unknown farm command 'launch'"},
      {{"farm", "submit", NULL}, 2, "give the project file"},
      {{"farm", "submit", proj, "--tasks", "4", "--frames-per-task", "10", NULL}, 2, "not both"},
      {{"farm", "submit", proj, "--tasks", "-1", NULL}, 2, "must be positive"},
      {{"farm", "submit", proj, "--scheduler", "pbs", NULL}, 2, "only slurm"},
      {{"farm", "submit", proj, "--backend", "gpu", NULL}, 2, "cpu, cuda or auto"},
      {{"farm", "submit", proj, "--frames", "9-3", NULL}, 2, "--frames"},
      {{"farm", "status", proj, NULL}, 1, "nothing was submitted"},
      {{"farm", "resume", proj, NULL}, 1, "nothing was submitted"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    CliRun r = run_cli(cases[i].args);
    if (r.status != cases[i].status || !strstr(r.err, cases[i].says))
      g_error("case %zu: exit %d, expected %d with '%s':\n%s", i, r.status, cases[i].status,
              cases[i].says, r.err);
    g_free(r.err);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp("sr-test-farm-XXXXXX", NULL);
  g_assert_nonnull(tmpdir);
  g_test_add_func("/farm/plan", test_plan);
  g_test_add_func("/farm/script-text", test_script_text);
  g_test_add_func("/farm/script-runs", test_script_runs);
  g_test_add_func("/farm/parse", test_parse);
  g_test_add_func("/farm/task-status", test_task_status);
  g_test_add_func("/farm/record", test_record);
  g_test_add_func("/farm/submit-resume", test_submit_resume);
  g_test_add_func("/farm/cli-bad-input", test_cli_bad_input);
  int rc = g_test_run();
  sr_test_remove_tree(tmpdir);
  g_free(tmpdir);
  return rc;
}
