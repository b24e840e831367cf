/* sr-farm.h — rendering a reel as a Slurm job array: the plan (which frames
 * each array task renders), the batch scripts, the record of what was
 * submitted (OUTPUT/farm/farm.json), reading squeue/sacct output, and the
 * status and resume decisions built on them.
 *
 * Everything here is pure text and arithmetic, so it is tested without a
 * scheduler; sr-farm-slurm.c runs sbatch, squeue, sacct and scancel. */
#pragma once

#include <glib.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_FARM_ERROR (sr_farm_error_quark())
GQuark sr_farm_error_quark(void);

typedef enum {
  SR_FARM_ERROR_INVALID,   /* bad option, project field or record */
  SR_FARM_ERROR_SCHEDULER, /* sbatch/squeue/scancel missing or refused */
  SR_FARM_ERROR_BUSY,      /* a submission of this project is still queued */
  SR_FARM_ERROR_IO,
} SrFarmError;

/* One array task: array index and the frames it renders. */
typedef struct {
  int index;
  int first, last;
} SrFarmRange;

/* first..last split into `tasks` ranges of near-equal length, or into
 * ranges of `frames_per_task` frames: exactly one of them is > 0. Indices
 * count from 0. GArray of SrFarmRange. */
GArray *sr_farm_plan_ranges(int first, int last, int tasks, int frames_per_task, GError **error);
/* Frames to render again (sorted, unique) as contiguous ranges, each at
 * most max_frames long (0: no limit), indexed from 0. */
GArray *sr_farm_plan_frames(const int *frames, int n, int max_frames);

/* What the batch scripts are made of. Paths are absolute. */
typedef struct {
  const char *cli;        /* spatial-recovery-cli */
  const char *project;    /* the .srproj */
  const char *model;      /* the pinned checkpoint */
  const char *render;     /* output frame pattern */
  const char *farm_dir;   /* OUTPUT/farm: scripts, logs/, exit/ */
  const char *job_name;   /* sr-SHOT */
  const char *partition;  /* NULL: the cluster's default */
  const char *account;    /* NULL: the user's default */
  const char *gres;       /* e.g. "gpu:1"; NULL: none */
  const char *time_limit; /* e.g. "02:00:00"; NULL: the partition's */
  const char *mem;        /* e.g. "16G"; NULL: the partition's */
  const char *backend;    /* cpu, cuda or auto */
  int cpus_per_task;      /* >= 1; also the render's thread count */
  int max_running;        /* array throttle "%N"; 0: none */
  gboolean requeue;       /* let Slurm re-run pre-empted tasks */
  gboolean deliver;       /* the finishing job delivers after validating */
  gboolean regrain;       /* render --regrain: every task adds the render's grain plan */
  int first, last;        /* the whole range the finishing job checks */
} SrFarmScript;

/* The array script for these ranges (array indices taken from them). */
char *sr_farm_render_script(const SrFarmScript *s, const SrFarmRange *ranges, int n);
/* The finishing job: validate first..last (which refuses a range with
 * missing frames and names them), then deliver if asked. */
char *sr_farm_finish_script(const SrFarmScript *s);
/* "123" from sbatch --parsable output ("123" or "123;cluster"). */
gboolean sr_farm_parse_job_id(const char *sbatch_out, char **job_id, GError **error);

/* A scheduler's view of one job or array task. task is -1 for a plain
 * job; for an array line that still stands for several pending tasks
 * ("123_[4-7]") the entry is repeated once per task. state is Slurm's
 * word (PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, TIMEOUT, ...). */
typedef struct {
  char *job;
  int task;
  char *state;
  char *reason; /* squeue's reason or sacct's exit code; may be "" */
} SrFarmJobState;

/* GArray of SrFarmJobState (cleared with the array). */
GArray *sr_farm_job_states_new(void);
/* Lines of `squeue --noheader --array --format=%F|%K|%T|%r`. */
void sr_farm_parse_squeue(const char *text, GArray *states);
/* Lines of `sacct --noheader --parsable2 --allocations
 * --format=JobID,State,ExitCode`. */
void sr_farm_parse_sacct(const char *text, GArray *states);
/* The entry for job/task, or NULL. */
const SrFarmJobState *sr_farm_job_states_find(GArray *states, const char *job, int task);

/* One submission: an array and its finishing job. */
typedef struct {
  char *array_job; /* NULL when only a finishing job was submitted */
  char *finish_job;
  char *render_script, *finish_script;
  GArray *ranges; /* SrFarmRange */
} SrFarmSubmission;

/* The record of a project's farm runs, OUTPUT/farm/farm.json: the
 * settings every script was made with and each submission. */
typedef struct {
  SrFarmScript script; /* its strings are owned by the record */
  char *model_id;
  GPtrArray *submissions; /* SrFarmSubmission*, oldest first */
} SrFarmRecord;

SrFarmRecord *sr_farm_record_new(void);
void sr_farm_record_free(SrFarmRecord *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SrFarmRecord, sr_farm_record_free)
/* Copies the settings of s into r (strings duplicated). */
void sr_farm_record_set_script(SrFarmRecord *r, const SrFarmScript *s);
SrFarmSubmission *sr_farm_record_add(SrFarmRecord *r);
char *sr_farm_record_to_json(const SrFarmRecord *r);
SrFarmRecord *sr_farm_record_from_json(const char *json, const char *what, GError **error);

/* How one array task stands. */
typedef enum {
  SR_FARM_TASK_PENDING, /* queued, not started (held, waiting for resources) */
  SR_FARM_TASK_RUNNING, /* running, or being cancelled/requeued right now */
  SR_FARM_TASK_DONE,    /* every frame of its range is rendered */
  SR_FARM_TASK_FAILED,  /* ended with frames missing: failed, cancelled, timed out, lost */
} SrFarmTaskStatus;

typedef struct {
  int submission; /* index into the record's submissions */
  SrFarmRange range;
  SrFarmTaskStatus status;
  int frames_done;
  char *why;      /* scheduler state / exit status, e.g. "CANCELLED", "exit 1"; may be "" */
  char *log_path; /* FARM_DIR/logs/render-JOB_TASK.log */
} SrFarmTask;

/* Exit status an array task's script recorded (exit/JOB_TASK), or -1. */
int sr_farm_read_exit_marker(const char *farm_dir, const char *job, int task);
/* Whether rendered frame f of pattern exists (frames are renamed into
 * place whole, so existing means complete). */
gboolean sr_farm_frame_done(const char *render, int f);

/* One task's status from the scheduler's states (squeue first, then sacct
 * when accounting is on; either may be NULL), its exit marker and the
 * frames on disk. */
SrFarmTaskStatus sr_farm_task_status(const SrFarmJobState *queued, const SrFarmJobState *accounted,
                                     int exit_marker, int frames_done, int frames, char **why);
/* Every task of every submission in r, evaluated. GArray of SrFarmTask. */
GArray *sr_farm_tasks(const SrFarmRecord *r, GArray *queued, GArray *accounted);
void sr_farm_tasks_free(GArray *tasks);

/* Frames of first..last not on disk and not inside the range of a task
 * that is still pending or running: what a resume must render. */
GArray *sr_farm_resume_frames(const SrFarmRecord *r, GArray *tasks);

const char *sr_farm_task_status_name(SrFarmTaskStatus s);

/* ---- Running on Slurm (sr-farm-slurm.c) ---- */

typedef struct {
  int first, last;            /* first > last: the Source's whole range */
  int tasks, frames_per_task; /* exactly one > 0 */
  const char *cli;            /* NULL: this program */
  const char *model;          /* NULL: the project's checkpoint */
  const char *partition, *account, *gres, *time_limit, *mem, *backend;
  int cpus_per_task, max_running;
  gboolean requeue, deliver, regrain;
  gboolean hold; /* submit the array held (scontrol release to start) */
} SrFarmSubmitOptions;

void sr_farm_submit_options_init(SrFarmSubmitOptions *o);

/* OUTPUT/farm of the project; NULL (with error) without an output folder. */
char *sr_farm_dir(SrProject *project, GError **error);
/* Plans, writes the scripts into OUTPUT/farm and submits the array and
 * its finishing job; refuses while an earlier submission is still queued.
 * On success *record is the new record (already saved). */
gboolean sr_farm_submit(SrProject *project, const SrFarmSubmitOptions *o, SrFarmRecord **record,
                        GError **error);
/* The saved record of the project's farm runs. */
SrFarmRecord *sr_farm_load(SrProject *project, GError **error);
/* squeue's view of this user's jobs (required) and sacct's (NULL when
 * accounting is off or sacct is missing). */
gboolean sr_farm_query(const SrFarmRecord *r, GArray **queued, GArray **accounted, GError **error);
/* The finishing job of submission i: "pending", "running", "done",
 * "failed (exit N)" or "not run"; caller frees. */
char *sr_farm_finish_state(const SrFarmRecord *r, guint i, GArray *queued, GArray *accounted);

typedef struct {
  int frames;            /* frames given to the new array; 0: none */
  SrFarmSubmission *sub; /* the new submission (owned by the record); NULL: nothing to do */
  int cancelled;         /* finishing jobs cancelled because a new one replaces them */
  char *finish_state;    /* with nothing to do: the newest finishing job's state */
} SrFarmResumeResult;

void sr_farm_resume_result_clear(SrFarmResumeResult *res);

/* Submits an array for the frames no task has rendered or is rendering,
 * and a finishing job after it (and after tasks still queued); finishing
 * jobs still queued are cancelled, the new one replaces them. With no
 * frame missing, only a finishing job, unless the newest one is waiting
 * or has run (then res->sub is NULL). Saves the record. */
gboolean sr_farm_resume(SrFarmRecord *r, SrFarmResumeResult *res, GError **error);

G_END_DECLS
