/* sr-job.h — engine work on a worker thread, watched from the main loop.
 *
 * An SrJob wraps one function that runs on a GTask worker thread. The worker
 * reports progress with sr_job_set_progress(); the values are coalesced and
 * delivered to the thread-default main context the job was started from, as
 * notifications of the "fraction" and "message" properties, so a progress bar
 * can bind to them. The worker calls sr_job_checkpoint() between units of work:
 * it blocks while the job is paused and returns FALSE once it is cancelled.
 *
 * Errors travel as GError; engine failures keep the engine's message and map
 * its status onto SR_JOB_ERROR codes (sr_job_error_from_engine).
 */
#pragma once

#include <stdatomic.h>

#include <gio/gio.h>

#include "sr-error.h"

G_BEGIN_DECLS

#define SR_JOB_ERROR (sr_job_error_quark())
GQuark sr_job_error_quark(void);

/* Same numbers as the engine's sr_status, so nothing is lost in translation. */
typedef enum {
  SR_JOB_ERROR_IO = SR_ERR_IO,
  SR_JOB_ERROR_FORMAT = SR_ERR_FORMAT,
  SR_JOB_ERROR_INVALID = SR_ERR_INVALID,
  SR_JOB_ERROR_NOMEM = SR_ERR_NOMEM,
  SR_JOB_ERROR_UNSUPPORTED = SR_ERR_UNSUPPORTED,
  SR_JOB_ERROR_NOSPACE = SR_ERR_NOSPACE,
  SR_JOB_ERROR_CANCELLED = SR_ERR_CANCELLED,
  SR_JOB_ERROR_BACKEND = SR_ERR_BACKEND,
  SR_JOB_ERROR_MISSING = SR_ERR_MISSING,
} SrJobError;

typedef enum {
  SR_JOB_STATE_READY = 0, /* created, not started */
  SR_JOB_STATE_RUNNING,
  SR_JOB_STATE_PAUSED,
  SR_JOB_STATE_SUCCEEDED,
  SR_JOB_STATE_FAILED,
  SR_JOB_STATE_CANCELLED,
} SrJobState;

GType sr_job_state_get_type(void);
#define SR_TYPE_JOB_STATE (sr_job_state_get_type())

#define SR_TYPE_JOB (sr_job_get_type())
G_DECLARE_FINAL_TYPE(SrJob, sr_job, SR, JOB, GObject)

/* Runs on the worker thread. Returns FALSE and sets error on failure; a
 * cancelled job should return FALSE with G_IO_ERROR_CANCELLED (what
 * g_cancellable_set_error_if_cancelled() gives) or SR_JOB_ERROR_CANCELLED. */
typedef gboolean (*SrJobFunc)(SrJob *job, gpointer data, GError **error);

SrJob *sr_job_new(const char *title, SrJobFunc func, gpointer data, GDestroyNotify data_free);

/* Starts the worker. callback runs in the caller's thread-default main
 * context after "state" has reached its final value. A job runs once. */
void sr_job_start(SrJob *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data);
gboolean sr_job_finish(SrJob *self, GAsyncResult *result, GError **error);

/* Main-thread controls. Pausing takes effect at the worker's next
 * sr_job_checkpoint(); cancelling also wakes a paused worker. */
void sr_job_cancel(SrJob *self);
void sr_job_pause(SrJob *self);
void sr_job_resume(SrJob *self);

/* Worker side (any thread). fraction in [0,1], or negative for "busy"
 * (unknown amount of work); message may be NULL to keep the last one. */
void sr_job_set_progress(SrJob *self, double fraction, const char *message);
/* Blocks while paused; FALSE when the job has been cancelled. */
gboolean sr_job_checkpoint(SrJob *self);
gboolean sr_job_is_cancelled(SrJob *self);
GCancellable *sr_job_get_cancellable(SrJob *self);
/* The same cancellation as a flag for engine loops that poll an atomic_bool
 * (sr_train_callbacks.cancel and friends). Valid for the job's lifetime. */
const atomic_bool *sr_job_get_cancel_flag(SrJob *self);
gpointer sr_job_get_data(SrJob *self);

/* Main-thread view (also properties: "title", "fraction", "message",
 * "state", "paused"). */
const char *sr_job_get_title(SrJob *self);
double sr_job_get_fraction(SrJob *self);
const char *sr_job_get_message(SrJob *self);
SrJobState sr_job_get_state(SrJob *self);
gboolean sr_job_get_paused(SrJob *self);
/* Seconds spent running (paused time excluded), valid during and after. */
double sr_job_get_elapsed(SrJob *self);
/* The error a failed job ended with (NULL otherwise); owned by the job. */
const GError *sr_job_get_error(SrJob *self);

/* Turns an engine error into a GError with the engine's message. */
void sr_job_error_from_engine(GError **error, const sr_error *err);

G_END_DECLS
