/* Tests for SrJob: progress reaches the main loop (and only there),
 * coalescing, cancel, pause/resume, engine errors. */
#include <string.h>

#include <gio/gio.h>

#include "sr-job.h"

typedef struct {
  GThread *main_thread;
  gboolean done;
  gboolean ok;
  GError *error;
  guint fraction_notifies;
  gboolean notified_off_main;
  double last_fraction;
} Watch;

static void
on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  Watch *w = user_data;
  w->ok = sr_job_finish(SR_JOB(source), result, &w->error);
  w->done = TRUE;
}

static void
on_fraction(SrJob *job, GParamSpec *pspec, gpointer user_data)
{
  Watch *w = user_data;
  if (g_thread_self() != w->main_thread)
    w->notified_off_main = TRUE;
  w->fraction_notifies++;
  w->last_fraction = sr_job_get_fraction(job);
}

static void
wait_done(Watch *w)
{
  while (!w->done)
    g_main_context_iteration(NULL, TRUE);
}

/* ---- progress --------------------------------------------------------- */

#define N_UPDATES 20000

static gboolean
counting_job(SrJob *job, gpointer data, GError **error)
{
  for (int i = 1; i <= N_UPDATES; i++) {
    if (!sr_job_checkpoint(job))
      return !g_cancellable_set_error_if_cancelled(sr_job_get_cancellable(job), error);
    sr_job_set_progress(job, (double)i / N_UPDATES, i == N_UPDATES ? "last step" : "working");
  }
  return TRUE;
}

static void
test_progress_on_main_loop(void)
{
  Watch w = {.main_thread = g_thread_self()};
  g_autoptr(SrJob) job = sr_job_new("Counting", counting_job, NULL, NULL);

  g_signal_connect(job, "notify::fraction", G_CALLBACK(on_fraction), &w);
  g_assert_cmpint(sr_job_get_state(job), ==, SR_JOB_STATE_READY);
  sr_job_start(job, NULL, on_done, &w);
  g_assert_cmpint(sr_job_get_state(job), ==, SR_JOB_STATE_RUNNING);
  wait_done(&w);

  g_assert_no_error(w.error);
  g_assert_true(w.ok);
  g_assert_false(w.notified_off_main);
  g_assert_cmpuint(w.fraction_notifies, >=, 1);
  /* Coalesced: a fast worker does not produce one main-loop dispatch per call. */
  g_assert_cmpuint(w.fraction_notifies, <, N_UPDATES);
  g_assert_cmpfloat(w.last_fraction, ==, 1.0);
  g_assert_cmpfloat(sr_job_get_fraction(job), ==, 1.0);
  g_assert_cmpstr(sr_job_get_message(job), ==, "last step");
  g_assert_cmpint(sr_job_get_state(job), ==, SR_JOB_STATE_SUCCEEDED);
  g_assert_null(sr_job_get_error(job));
  g_assert_cmpfloat(sr_job_get_elapsed(job), >=, 0.0);
}

/* ---- progress while the main loop is not running ------------------------ */

static gboolean
one_update_job(SrJob *job, gpointer data, GError **error)
{
  gint *reported = data;
  sr_job_set_progress(job, 0.5, "half");
  g_atomic_int_set(reported, 1);
  return TRUE;
}

static void
test_progress_waits_for_main_loop(void)
{
  Watch w = {.main_thread = g_thread_self()};
  gint reported = 0;
  g_autoptr(SrJob) job = sr_job_new("Half", one_update_job, &reported, NULL);

  g_signal_connect(job, "notify::fraction", G_CALLBACK(on_fraction), &w);
  sr_job_start(job, NULL, on_done, &w);
  /* The worker reports while this thread is not iterating: the update must
   * wait for the main loop rather than run on the worker. */
  while (!g_atomic_int_get(&reported))
    g_usleep(1000);
  g_usleep(20000);
  g_assert_cmpuint(w.fraction_notifies, ==, 0);
  wait_done(&w);
  g_assert_false(w.notified_off_main);
  g_assert_cmpuint(w.fraction_notifies, >=, 1);
}

/* ---- cancel ------------------------------------------------------------- */

static gboolean
endless_job(SrJob *job, gpointer data, GError **error)
{
  gint *counter = data;

  for (;;) {
    if (!sr_job_checkpoint(job)) {
      g_cancellable_set_error_if_cancelled(sr_job_get_cancellable(job), error);
      return FALSE;
    }
    g_atomic_int_inc(counter);
    sr_job_set_progress(job, -1.0, "spinning");
    g_usleep(500);
  }
}

static void
test_cancel(void)
{
  Watch w = {.main_thread = g_thread_self()};
  gint counter = 0;
  g_autoptr(SrJob) job = sr_job_new("Endless", endless_job, &counter, NULL);

  sr_job_start(job, NULL, on_done, &w);
  while (g_atomic_int_get(&counter) < 5)
    g_main_context_iteration(NULL, FALSE);
  g_assert_false(atomic_load(sr_job_get_cancel_flag(job)));
  sr_job_cancel(job);
  /* Engine loops see the cancel through the flag too. */
  g_assert_true(atomic_load(sr_job_get_cancel_flag(job)));
  wait_done(&w);

  g_assert_false(w.ok);
  g_assert_error(w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint(sr_job_get_state(job), ==, SR_JOB_STATE_CANCELLED);
  g_assert_true(sr_job_is_cancelled(job));
  g_clear_error(&w.error);
}

/* ---- pause / resume ------------------------------------------------------ */

static void
spin_for(int ms)
{
  gint64 end = g_get_monotonic_time() + ms * 1000;
  while (g_get_monotonic_time() < end)
    g_main_context_iteration(NULL, FALSE);
}

static void
test_pause_resume(void)
{
  Watch w = {.main_thread = g_thread_self()};
  gint counter = 0;
  g_autoptr(SrJob) job = sr_job_new("Endless", endless_job, &counter, NULL);

  sr_job_start(job, NULL, on_done, &w);
  while (g_atomic_int_get(&counter) < 3)
    g_main_context_iteration(NULL, FALSE);

  sr_job_pause(job);
  g_assert_true(sr_job_get_paused(job));
  g_assert_cmpint(sr_job_get_state(job), ==, SR_JOB_STATE_PAUSED);
  spin_for(30); /* the worker reaches its next checkpoint and stops there */
  int paused_at = g_atomic_int_get(&counter);
  spin_for(60);
  g_assert_cmpint(g_atomic_int_get(&counter), ==, paused_at);
  double elapsed_paused = sr_job_get_elapsed(job);
  spin_for(30);
  /* Paused time does not count as running time. */
  g_assert_cmpfloat(sr_job_get_elapsed(job) - elapsed_paused, <, 0.02);

  sr_job_resume(job);
  g_assert_false(sr_job_get_paused(job));
  g_assert_cmpint(sr_job_get_state(job), ==, SR_JOB_STATE_RUNNING);
  while (g_atomic_int_get(&counter) < paused_at + 3)
    g_main_context_iteration(NULL, FALSE);

  /* Cancelling a paused job wakes it up. */
  sr_job_pause(job);
  spin_for(10);
  sr_job_cancel(job);
  wait_done(&w);
  g_assert_cmpint(sr_job_get_state(job), ==, SR_JOB_STATE_CANCELLED);
  g_clear_error(&w.error);
}

/* ---- errors ------------------------------------------------------------ */

static gboolean
engine_failure_job(SrJob *job, gpointer data, GError **error)
{
  sr_error err;
  sr_error_set(&err, SR_ERR_MISSING, "frame 12 of shot.%%04d.exr is missing");
  sr_job_error_from_engine(error, &err);
  return FALSE;
}

static gboolean
silent_failure_job(SrJob *job, gpointer data, GError **error)
{
  return FALSE;
}

static void
test_errors(void)
{
  Watch w = {.main_thread = g_thread_self()};
  g_autoptr(SrJob) job = sr_job_new("Reading", engine_failure_job, NULL, NULL);

  sr_job_start(job, NULL, on_done, &w);
  wait_done(&w);
  g_assert_false(w.ok);
  g_assert_error(w.error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING);
  g_assert_cmpstr(w.error->message, ==, "frame 12 of shot.%04d.exr is missing");
  g_assert_cmpint(sr_job_get_state(job), ==, SR_JOB_STATE_FAILED);
  g_assert_nonnull(sr_job_get_error(job));
  g_assert_cmpstr(sr_job_get_error(job)->message, ==, w.error->message);
  g_clear_error(&w.error);

  Watch w2 = {.main_thread = g_thread_self()};
  g_autoptr(SrJob) silent = sr_job_new("Silent", silent_failure_job, NULL, NULL);
  sr_job_start(silent, NULL, on_done, &w2);
  wait_done(&w2);
  g_assert_false(w2.ok);
  g_assert_nonnull(w2.error);
  g_assert_true(strstr(w2.error->message, "Silent") != NULL);
  g_clear_error(&w2.error);
}

/* ---- data ownership ------------------------------------------------------ */

static void
count_free(gpointer data)
{
  (*(int *)data)++;
}

static gboolean
noop_job(SrJob *job, gpointer data, GError **error)
{
  return TRUE;
}

static void
test_data_freed(void)
{
  int freed = 0;
  Watch w = {.main_thread = g_thread_self()};
  SrJob *job = sr_job_new("Noop", noop_job, &freed, count_free);

  g_assert_true(sr_job_get_data(job) == &freed);
  sr_job_start(job, NULL, on_done, &w);
  wait_done(&w);
  /* Let GTask drop its references. */
  while (g_main_context_iteration(NULL, FALSE))
    ;
  g_assert_cmpint(freed, ==, 0);
  g_object_unref(job);
  /* The worker thread may still be letting go of its task reference. */
  gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (freed == 0 && g_get_monotonic_time() < deadline) {
    g_main_context_iteration(NULL, FALSE);
    g_usleep(1000);
  }
  g_assert_cmpint(freed, ==, 1);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/job/progress-on-main-loop", test_progress_on_main_loop);
  g_test_add_func("/job/progress-waits-for-main-loop", test_progress_waits_for_main_loop);
  g_test_add_func("/job/cancel", test_cancel);
  g_test_add_func("/job/pause-resume", test_pause_resume);
  g_test_add_func("/job/errors", test_errors);
  g_test_add_func("/job/data-freed", test_data_freed);
  return g_test_run();
}
