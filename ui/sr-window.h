/* sr-window.h — the main window: header bar, welcome page, stage wizard
 * (sidebar + pages), error banner and the job bar.
 *
 * Actions (win.*): new, open, open-recent(s), open-demo, save, save-as,
 * close, undo, redo, stage(s), dismiss-banner, show-help-overlay. */
#pragma once

#include <gtk/gtk.h>

#include "sr-application.h"
#include "sr-history.h"
#include "sr-job.h"
#include "sr-project.h"

G_BEGIN_DECLS

typedef enum {
  SR_STAGE_NOT_STARTED = 0,
  SR_STAGE_READY,
  SR_STAGE_ATTENTION,
  SR_STAGE_DONE,        /* the stage's result is on disk (model, full render, delivery) */
  SR_STAGE_IN_PROGRESS, /* a job is running, or the result is partly there */
} SrStageState;

/* The stages in wizard order; sr_stage_ids[] holds their ids ("project",
 * "pairs", "crop", "train", "render", "review", "deliver"). */
typedef enum {
  SR_STAGE_PROJECT = 0,
  SR_STAGE_PAIRS,
  SR_STAGE_CROP,
  SR_STAGE_TRAIN,
  SR_STAGE_RENDER,
  SR_STAGE_REVIEW,
  SR_STAGE_DELIVER,
  SR_N_STAGES
} SrStage;

extern const char *const sr_stage_ids[];

#define SR_TYPE_WINDOW (sr_window_get_type())
G_DECLARE_FINAL_TYPE(SrWindow, sr_window, SR, WINDOW, GtkApplicationWindow)

SrWindow *sr_window_new(SrApplication *app);

/* Loads a project on a worker thread, then shows it ("project-loaded" is
 * emitted; errors go to the banner). */
void sr_window_open_file(SrWindow *self, GFile *file);
/* Generates the demo project into the cache folder (first time only) on a
 * worker thread, then opens it. */
void sr_window_open_demo(SrWindow *self);
/* Shows an already loaded project (takes a reference). */
void sr_window_set_project(SrWindow *self, SrProject *project);

SrProject *sr_window_get_project(SrWindow *self);
SrHistory *sr_window_get_history(SrWindow *self);

const char *sr_window_get_stage(SrWindow *self);
void sr_window_set_stage(SrWindow *self, const char *stage);
GtkWidget *sr_window_get_page(SrWindow *self, const char *stage);
/* State and reason of a stage, as the sidebar shows them. */
SrStageState sr_window_get_stage_state(SrWindow *self, const char *stage, const char **reason);
/* The job bar's fraction, as drawn. */
double sr_window_get_job_fraction(SrWindow *self);
/* The line under the stage's name in the sidebar ("Needs attention: …"). */
const char *sr_window_get_stage_subtitle(SrWindow *self, const char *stage);
/* TRUE while the stage states are being recomputed off the main thread. */
gboolean sr_window_get_checking(SrWindow *self);
/* Recomputes the stage states now (they also follow every project edit and
 * the end of every job shown in the job bar). The file checks (checkpoint,
 * rendered frames, delivery sidecar) run on a worker thread. */
void sr_window_refresh_stages(SrWindow *self);

/* The error banner: the message as the engine wrote it. */
void sr_window_show_error(SrWindow *self, const char *message);
/* What a step did that shows best on another stage (e.g. pairs added from
 * the Render page); ignored while an error stands. Dismissed like errors. */
void sr_window_show_info(SrWindow *self, const char *message);
const char *sr_window_get_info(SrWindow *self); /* NULL when none */
void sr_window_dismiss_error(SrWindow *self);
const char *sr_window_get_error(SrWindow *self); /* NULL when hidden */

/* Runs a job. visible: shown in the job bar with pause and cancel, and a
 * desktop notification is sent if it ran long while the window was not
 * focused. A failed job's message goes to the banner unless it was
 * cancelled; callback (may be NULL) still runs and may call sr_job_finish. */
void sr_window_run_job(SrWindow *self, SrJob *job, gboolean visible, GAsyncReadyCallback callback,
                       gpointer user_data);
/* Jobs still running (visible or not). */
guint sr_window_get_n_jobs(SrWindow *self);
/* Jobs that were still running when the last project was replaced or
 * closed: 0 always, since every switch first waits for them (for tests). */
guint sr_window_get_jobs_at_last_switch(SrWindow *self);
/* The question quitting, New, Open or Close asks while a job runs
 * (training, rendering, delivery), while it is up; NULL otherwise. Its
 * responses are SR_WINDOW_STOP and SR_WINDOW_KEEP_WORKING. "Stop and Quit"
 * ("Stop and Open", …) cancels every job and quits (opens, …) once all of
 * them have returned, so no worker thread outlives its project. */
GtkWidget *sr_window_get_stop_dialog(SrWindow *self);
enum { SR_WINDOW_STOP = 1, SR_WINDOW_STOP_AND_QUIT = SR_WINDOW_STOP, SR_WINDOW_KEEP_WORKING = 2 };

/* Saves to the project's file, or to file when not NULL (Save As). */
gboolean sr_window_save_to(SrWindow *self, GFile *file, GError **error);

/* An error banner that hides itself once still(page) returns FALSE (it is
 * asked after each edit): for refusals whose cause the archivist can fix. */
void sr_window_show_problem(SrWindow *self, GtkWidget *page, const char *message,
                            gboolean (*still)(GtkWidget *page));

/* Before a job writes anything (sr-window-save-first.c): TRUE when the
 * project has a file (then is not called; data is destroyed). Otherwise
 * asks where to save, returns FALSE, and calls then(page, data) once the
 * project is saved there; a cancelled question starts nothing and says
 * so in the banner. */
typedef void (*SrWindowThen)(GtkWidget *page, gpointer data);
gboolean sr_window_save_first(SrWindow *self, GtkWidget *page, SrWindowThen then, gpointer data,
                              GDestroyNotify destroy);
/* Tests: answer every later save question with file (NULL: Cancel)
 * instead of showing a dialog; and how many were asked. */
void sr_window_set_save_answer(SrWindow *self, GFile *file);
guint sr_window_get_n_save_questions(SrWindow *self);

G_END_DECLS
