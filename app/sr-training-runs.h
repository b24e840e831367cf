/* sr-training-runs.h — a project's training runs, each in a folder of its
 * own, so that starting again never overwrites a model a render used.
 *
 * The first run lives in the training folder (sr_training_default_out_dir);
 * each later one in <training folder>/run-N, N = 2, 3, … A folder "holds a
 * run" once it has a checkpoint: a run that stopped before its first one
 * left nothing to resume or render with, and a new run may take its place. The Train page and the
 * command line both show and continue the current run (the newest one) and
 * start a new run in sr_training_new_run_dir(); sr_training_run() refuses a
 * run that would overwrite another run or the project's checkpoint. */
#pragma once

#include <gio/gio.h>

#include "sr-project.h"

G_BEGIN_DECLS

/* <base> for n <= 1, else <base>/run-<n>. Caller frees. */
char *sr_training_run_dir_n(const char *base, int n);
/* TRUE when dir holds a run: a finished checkpoint (latest.safetensors,
 * written after each checkpoint's other files). */
gboolean sr_training_dir_has_run(const char *dir);
/* The newest run folder that holds a run, else the training folder. */
char *sr_training_current_run_dir(SrProject *project);
/* Where a new run goes: the current run folder while it holds no run, else
 * the next free run-N folder. */
char *sr_training_new_run_dir(SrProject *project);
/* The number N of a run folder (1 for the training folder itself). */
int sr_training_run_number(SrProject *project, const char *run_dir);

/* Fails with SR_JOB_ERROR_INVALID, naming the folder or file and what to do,
 * when training into out_dir would overwrite something kept: a new run
 * (resume_step < 0) into a folder that already holds a run, or a run that
 * writes over the checkpoint the project renders with (a resume from before
 * that checkpoint, or any run when the project names latest.safetensors). */
gboolean sr_training_check_out_dir(SrProject *project, const char *out_dir, gint64 resume_step,
                                   GError **error);

G_END_DECLS
