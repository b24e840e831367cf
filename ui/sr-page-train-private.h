/* sr-page-train-private.h — the Train page's instance, shared by
 * sr-page-train.c (the run, the log, the checkpoint list),
 * sr-page-train-form.c (presets and the settings form) and
 * sr-page-train-estimate.c (devices and the time estimate), and what the UI
 * tests drive and read on the page. */
#pragma once

#include <stdatomic.h>

#include "sr-backend.h"
#include "sr-job.h"
#include "sr-loss-plot.h"
#include "sr-page-train.h"

G_BEGIN_DECLS

/* Starts a new run with the project's settings: in the current run folder
 * while it holds no checkpoint, else in a new run-N folder (what "Start a
 * New Run" runs); FALSE with error when there are no pairs or a run is
 * already going. */
gboolean sr_page_train_start(SrPageTrain *self, GError **error);
/* What the Start button does: starts at once when there is no run yet,
 * otherwise asks whether to resume the current run, start a new one or
 * cancel (sr_page_train_get_start_dialog). */
void sr_page_train_ask_start(SrPageTrain *self);
/* Shows why a start was refused: a missing-pairs refusal as a problem that
 * clears once pairs are added, anything else as an error. */
void sr_page_train_show_start_error(SrPageTrain *self, const GError *error);
/* The question sr_page_train_ask_start() put up, while it is up. Its
 * responses are SR_TRAIN_START_RESUME, SR_TRAIN_START_NEW and
 * GTK_RESPONSE_CANCEL. */
GtkWidget *sr_page_train_get_start_dialog(SrPageTrain *self);
enum { SR_TRAIN_START_RESUME = 1, SR_TRAIN_START_NEW = 2 };
/* Continues from a checkpoint (what "Resume from here" runs) up to the
 * settings' step count; the loss curve and the checkpoint list keep what
 * came before that step. FALSE with error when a run is going, there are no
 * pairs, or the checkpoint is already at or past the last step. */
gboolean sr_page_train_resume(SrPageTrain *self, const char *checkpoint_path, GError **error);
void sr_page_train_stop(SrPageTrain *self);
/* Loss points plotted so far, and checkpoint rows listed (newest first). */
guint sr_page_train_get_n_loss_points(SrPageTrain *self);
/* TRUE once the trainer has stopped at a pause (no step is in flight). */
gboolean sr_page_train_get_worker_paused(SrPageTrain *self);
/* Step and loss of plotted point i (0 = oldest); FALSE past the end. */
gboolean sr_page_train_get_loss_point(SrPageTrain *self, guint i, gint64 *step, double *loss);
guint sr_page_train_get_n_checkpoints(SrPageTrain *self);
/* Path (owned by the page) and step of checkpoint row i; NULL past the end. */
const char *sr_page_train_get_checkpoint(SrPageTrain *self, guint i, gint64 *step);
/* The run folder shown and written into: the run this page last started,
 * else the project's newest run (caller frees). */
char *sr_page_train_get_out_dir(SrPageTrain *self);
/* Measured seconds per training step for the current settings, or a
 * negative number while none is measured. */
double sr_page_train_get_seconds_per_step(SrPageTrain *self);

/* ---- Shared by the page's files ---- */

#define MAX_STEPS   100000000
#define MAX_DEVICES 16
/* Settings edits are measured once typing has paused this long. */
#define ESTIMATE_DEBOUNCE_MS 600
/* The measurement times steps until this much time has passed (after one
 * untimed step that pays for primitive creation and first-touch memory). */
#define ESTIMATE_SECONDS   1.0
#define ESTIMATE_MAX_STEPS 6

typedef struct {
  gint64 step;
  double loss_avg, psnr_before, psnr_after;
  char *path;
  char model_id[65];
} CkptRow;

/* A file the worker wrote (contact sheet or preview) and its step. */
typedef struct {
  gint64 step;
  char *path;
} StepFile;

/* Shared between the worker (appends) and the page (drains on a timer):
 * the page swaps each pending array for an empty one, so the time the lock
 * is held does not grow with the length of the run. Both hold a reference. */
typedef struct {
  GMutex lock;
  GArray *points;   /* of SrLossPoint, pending */
  GArray *ckpts;    /* of CkptRow, pending */
  GArray *sheets;   /* of StepFile, pending */
  GArray *previews; /* of StepFile, pending */
  double steps_per_second, eta;
  gint64 step, steps;
  atomic_bool pause;
  gboolean worker_paused; /* the trainer reported it is waiting at a pause */
} TrainLog;

struct _SrPageTrain {
  SrStagePage parent_instance;

  GtkWidget *settings_grid, *settings_message, *settings_card;
  GtkWidget *estimate_spinner, *estimate_label;
  GtkWidget *facts_data;
  GtkWidget *controls, *view_stack, *ckpt_list, *ckpt_caption, *ckpt_scroller;

  GtkWidget *preset, *patch, *lr, *backend_info;
  GtkWidget *start_button, *pause_button, *stop_button, *status_label;
  GtkWidget *plot, *gallery;
  GPtrArray *resume_buttons;

  SrTrainingSettings form; /* the settings as the form holds them */
  GArray *patch_values;    /* of int: what the patch drop-down lists */

  /* Devices, listed once off the main loop. */
  sr_device_info devices[MAX_DEVICES];
  size_t n_devices;
  char cuda_reason[256];
  gboolean devices_known;
  GCancellable *devices_cancel;

  /* Estimate. */
  guint estimate_timeout;
  guint estimate_generation;
  GCancellable *estimate_cancel;
  double seconds_per_step;
  char estimate_backend[16];
  int train_w, train_h;     /* the frame size measured when there is no crop */
  gboolean estimate_wanted; /* settings changed while the page was hidden */

  /* Checkpoints already on disk. */
  char *run_dir; /* the run this page started last, NULL: the newest run */
  GtkWidget *start_dialog;
  char *scanned_key;
  guint scan_generation;
  GCancellable *scan_cancel;

  /* Run. */
  SrJob *job;
  TrainLog *log;
  guint poll_id;
  char *status_text;

  /* Main-thread copies the plot and list draw from. */
  GArray *points; /* of SrLossPoint */
  GArray *rows;   /* of CkptRow, newest first */
};


/* sr-page-train.c */
/* Runs func on a thread of its own at a lower priority and waits for it,
 * so training work never competes with the main loop. */
typedef gboolean (*NicedFunc)(gpointer data);
gboolean sr_page_train_run_niced(const char *name, NicedFunc func, gpointer data);
SrProject *sr_page_train_project_of(SrPageTrain *self);
char *sr_page_train_duration_text(double seconds);
gboolean sr_page_train_is_running(SrPageTrain *self);

/* sr-page-train-runs.c */
/* The loss log of the run in out_dir as SrLossPoints (empty when none);
 * safe off the main thread. */
GArray *sr_page_train_read_loss_log(const char *out_dir);
/* The status line for a run on disk and not running: where it stopped. */
void sr_page_train_show_run_state(SrPageTrain *self);

/* sr-page-train-form.c */
/* The patch the trainer will use for the project's crop. */
int sr_page_train_fitted_patch(SrPageTrain *self, int patch, SrModelSize size);
void sr_page_train_update_backend_info(SrPageTrain *self);
void sr_page_train_sync_settings(SrPageTrain *self);
void sr_page_train_show_settings_message(SrPageTrain *self, const char *message);
void sr_page_train_form_class_init(GObjectClass *object_class);
void sr_page_train_form_init(SrPageTrain *self);
void sr_page_train_form_setup(SrPageTrain *self);

/* sr-page-train-estimate.c */
void sr_page_train_list_devices(SrPageTrain *self);
void sr_page_train_show_estimate(SrPageTrain *self);
void sr_page_train_cancel_estimate(SrPageTrain *self);
void sr_page_train_schedule_estimate(SrPageTrain *self);
void sr_page_train_on_map(GtkWidget *widget, SrPageTrain *self);
void sr_page_train_on_unmap(GtkWidget *widget, SrPageTrain *self);

G_END_DECLS
