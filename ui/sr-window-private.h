/* sr-window-private.h — SrWindow's instance and what its three files
 * share: sr-window.c (project, jobs, banner, title, recent projects),
 * sr-window-stages.c (the stage sidebar and stage states) and
 * sr-window-actions.c (the win.* actions and the unsaved-changes question). */
#pragma once

#include "sr-window.h"

G_BEGIN_DECLS

typedef struct {
  GtkWidget *row;
  GtkWidget *state_icon;
  GtkWidget *state_label;
  SrStageState state;
  char *reason;
} StageRow;

struct _SrWindow {
  GtkApplicationWindow parent_instance;

  /* Template children. */
  GtkWidget *title_label;
  GtkWidget *subtitle_label;
  GtkWidget *modified_mark;
  GtkWidget *recent_button;
  GtkWidget *undo_button;
  GtkWidget *redo_button;
  GtkWidget *banner_revealer;
  GtkWidget *banner;
  GtkWidget *banner_icon;
  GtkWidget *banner_label;
  GtkWidget *main_stack;
  GtkWidget *loading_spinner;
  GtkWidget *loading_label;
  GtkWidget *stage_list;
  GtkWidget *page_stack;
  GtkWidget *recent_list;
  GtkWidget *recent_heading;
  GtkWidget *job_revealer;
  GtkWidget *job_title;
  GtkWidget *job_progress;
  GtkWidget *job_message;
  GtkWidget *job_pause;
  GtkWidget *job_cancel;

  GtkWidget *pages[SR_N_STAGES];
  StageRow stages[SR_N_STAGES];

  SrProject *project;
  SrHistory *history;
  GSignalGroup *project_signals; /* "changed" and "notify" of the project shown */

  GSettings *settings;
  GMenu *recent_menu;

  char *error;
  char *info;
  SrJob *visible_job; /* the job the job bar shows */
  GPtrArray *jobs;    /* running jobs, for cancel on close */
  guint check_source; /* debounce of the stage checks */
  guint check_generation;
  gboolean checking;
  gboolean loading;
  gboolean closing_confirmed;
  /* sr-window-save-first.c: questions asked, and the tests' answer. */
  guint save_questions;
  GFile *save_answer;
  gboolean save_answer_set;
  /* sr-window-problems.c: the banner's cause, when a page named one. */
  GtkWidget *problem_page, *error_page; /* pages: they live as long as the window */
  gboolean (*problem_still)(GtkWidget *page);
  char *problem_message;
  /* Quitting or leaving the project while jobs run: the question, and
   * after "Stop and …" the win action run once every job has returned
   * ("quit" closes the window, and close_when_idle lets it go). */
  guint n_visible_jobs;
  GtkWidget *stop_dialog;
  gboolean stop_confirmed;
  gboolean close_when_idle;
  char *idle_then;
  GVariant *idle_param;
  SrProject *loaded;    /* opened, shown once the last job returns */
  guint jobs_at_switch; /* jobs running when the last project went */
};

/* sr-window-actions.c: the folder the Open and Save As dialogs start in:
 * the project file's folder, else the Source's folder, else the home
 * folder (never the folder the program was started from). */
GFile *sr_window_dialog_folder(SrWindow *self);

/* sr-window.c */
void sr_window_emit_stages_updated(SrWindow *self);
/* The `then` of sr_window_stop_jobs_then that shows the project just
 * opened (sr_window_show_loaded), rather than a win action. */
#define SR_WINDOW_SHOW_LOADED "show-loaded"
void sr_window_show_loaded(SrWindow *self);

/* sr-window-stages.c */
/* Builds the pages and their sidebar rows; the window follows each page's
 * "busy". */
void sr_window_build_stages(SrWindow *self);
/* Shows every stage as being checked (a project was just opened). */
void sr_window_reset_stages(SrWindow *self);
/* Rechecks the stage states once edits settle. */
void sr_window_queue_stage_check(SrWindow *self);
/* "Needs attention: <the reason's first sentence>" (caller frees). */
char *sr_window_stage_subtitle(const char *state, const char *reason);

/* sr-window-problems.c */
/* The page whose error the banner shows (sr_ui_show_error records it). */
void sr_window_note_error_page(SrWindow *self, GtkWidget *widget);
/* Hides the banner when its cause went (after each round of checks). */
void sr_window_recheck_problem(SrWindow *self);
/* A page started a job: its own error is no longer standing. */
void sr_window_page_started_work(SrWindow *self, GtkWidget *page);
void sr_window_clear_problems(SrWindow *self);

/* sr-window-actions.c */
void sr_window_add_actions(SrWindow *self);
/* Keeps preference actions (win.frames-as-timecode) in settings. */
void sr_window_bind_preferences(SrWindow *self, GSettings *settings);
/* TRUE when nothing unsaved would be lost. Otherwise asks, and re-runs the
 * win action `then` ("quit" closes the window) once the user decides. */
gboolean sr_window_confirm_discard(SrWindow *self, const char *then);
/* TRUE when no training, render or delivery would be stopped. Otherwise
 * asks "Stop and …" (worded for the win action `then`: quit, close, new,
 * open-recent, open-demo; param is its parameter) or "Keep Working"; the
 * first stops every job and runs `then` once all have returned. */
gboolean sr_window_confirm_stop_jobs(SrWindow *self, const char *then, GVariant *param);
/* Cancels every job and runs the win action `then` (with param) once the
 * last one has returned, at once when none runs. The one way the window
 * waits for its worker threads. */
void sr_window_stop_jobs_then(SrWindow *self, const char *then, GVariant *param);
/* Runs the action sr_window_stop_jobs_then waits for (on_job_done calls it
 * when the last job returns). */
void sr_window_run_idle_then(SrWindow *self);

G_END_DECLS
