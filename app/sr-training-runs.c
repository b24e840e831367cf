/* sr-training-runs.c — see sr-training-runs.h: run folders and the rule
 * that a run never writes over another run or the model a render used. */
#include "sr-training-runs.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-job.h"
#include "sr-training.h"

char *
sr_training_run_dir_n(const char *base, int n)
{
  if (n <= 1)
    return g_strdup(base);
  g_autofree char *name = g_strdup_printf("run-%d", n);
  return g_build_filename(base, name, NULL);
}

gboolean
sr_training_dir_has_run(const char *dir)
{
  /* latest.safetensors is written after each checkpoint's other files, so
   * a run stopped while writing its first checkpoint has none: it holds
   * nothing to resume, and starting again in its folder writes over only
   * its own unfinished files (the project's checkpoint, if it names one
   * there, is still guarded by sr_training_check_out_dir). */
  g_autofree char *latest = g_build_filename(dir, "checkpoints", "latest.safetensors", NULL);
  return g_file_test(latest, G_FILE_TEST_IS_REGULAR);
}

/* The highest N with a run-N folder in base (1 when none). */
static int
highest_run_folder(const char *base, gboolean with_run)
{
  GDir *d = g_dir_open(base, 0, NULL);
  const char *name;
  int best = 1;

  while (d && (name = g_dir_read_name(d))) {
    int n = 0;
    char tail = 0;
    if (sscanf(name, "run-%d%c", &n, &tail) != 1 || n <= best)
      continue;
    g_autofree char *dir = sr_training_run_dir_n(base, n);
    if (g_file_test(dir, G_FILE_TEST_IS_DIR) && (!with_run || sr_training_dir_has_run(dir)))
      best = n;
  }
  if (d)
    g_dir_close(d);
  return best;
}

char *
sr_training_current_run_dir(SrProject *project)
{
  g_autofree char *base = sr_training_default_out_dir(project);
  return sr_training_run_dir_n(base, highest_run_folder(base, TRUE));
}

char *
sr_training_new_run_dir(SrProject *project)
{
  g_autofree char *base = sr_training_default_out_dir(project);
  int n = highest_run_folder(base, TRUE);
  g_autofree char *current = sr_training_run_dir_n(base, n);

  if (!sr_training_dir_has_run(current))
    return g_steal_pointer(&current);
  /* Past every run-N folder, even an empty one someone made by hand. */
  int next = MAX(n, highest_run_folder(base, FALSE)) + 1;
  return sr_training_run_dir_n(base, next);
}

int
sr_training_run_number(SrProject *project, const char *run_dir)
{
  g_autofree char *base = sr_training_default_out_dir(project);
  g_autofree char *name = g_path_get_basename(run_dir);
  g_autofree char *parent = g_path_get_dirname(run_dir);
  g_autofree char *a = g_canonicalize_filename(parent, NULL);
  g_autofree char *b = g_canonicalize_filename(base, NULL);
  int n = 0;
  char tail = 0;

  if (g_strcmp0(a, b) == 0 && sscanf(name, "run-%d%c", &n, &tail) == 1 && n > 1)
    return n;
  return 1;
}

/* The step in "step_001200.safetensors", else -1 (latest.safetensors). */
static gint64
checkpoint_file_step(const char *path)
{
  g_autofree char *name = g_path_get_basename(path);
  long long step = -1;
  char tail[16] = "";

  if (sscanf(name, "step_%lld%15s", &step, tail) == 2 && strcmp(tail, ".safetensors") == 0)
    return step;
  return -1;
}

gboolean
sr_training_check_out_dir(SrProject *project, const char *out_dir, gint64 resume_step,
                          GError **error)
{
  if (resume_step < 0 && sr_training_dir_has_run(out_dir)) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                _("%s already holds a training run: resume it, or start the new run in "
                  "another folder"),
                out_dir);
    return FALSE;
  }
  const char *ck = sr_project_get_checkpoint(project);
  if (!ck || !*ck)
    return TRUE;
  g_autofree char *ck_abs = sr_project_resolve_path(project, ck);
  g_autofree char *ck_dir = g_path_get_dirname(ck_abs);
  g_autofree char *ck_dir_c = g_canonicalize_filename(ck_dir, NULL);
  g_autofree char *run_ck = g_build_filename(out_dir, "checkpoints", NULL);
  g_autofree char *run_ck_c = g_canonicalize_filename(run_ck, NULL);
  if (g_strcmp0(ck_dir_c, run_ck_c) != 0)
    return TRUE;
  gint64 step = checkpoint_file_step(ck_abs);
  if (step >= 0 && step <= resume_step)
    return TRUE;
  g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
              _("Training into %s would overwrite %s, the checkpoint the project renders with: "
                "start a new run, or resume from that checkpoint or a later one"),
              out_dir, ck_abs);
  return FALSE;
}
