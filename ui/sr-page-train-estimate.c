/* sr-page-train-estimate.c — how long the Train page's run will take: the
 * devices listed once off the main loop, and a few real training steps of
 * the run's configuration timed on a worker while the page shows
 * (sr_training_measure, app/sr-training-estimate.c). */
#include "sr-page-train-private.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-backend.h"
#include "sr-train.h"
#include "sr-training.h"
#include "sr-ui-util.h"

/* ---- devices (listed once, off the main loop) ----------------------------------- */

typedef struct {
  sr_device_info devices[MAX_DEVICES];
  size_t n;
  char reason[256];
} DeviceList;

static void
devices_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  DeviceList *d = data;
  sr_error err = {0};

  if (!sr_backend_list_devices(d->devices, MAX_DEVICES, &d->n, d->reason, sizeof d->reason, &err)) {
    d->n = 0;
    g_strlcpy(d->reason, err.message, sizeof d->reason);
  }
  g_task_return_boolean(task, TRUE);
}

static void
on_devices_listed(GObject *source, GAsyncResult *res, gpointer user)
{
  GTask *task = G_TASK(res);

  if (!g_task_propagate_boolean(task, NULL) || g_task_had_error(task))
    return;
  if (g_cancellable_is_cancelled(g_task_get_cancellable(task)))
    return;
  SrPageTrain *self = SR_PAGE_TRAIN(source);
  DeviceList *d = g_task_get_task_data(task);
  memcpy(self->devices, d->devices, sizeof self->devices);
  self->n_devices = d->n;
  g_strlcpy(self->cuda_reason, d->reason, sizeof self->cuda_reason);
  self->devices_known = TRUE;
  sr_page_train_sync_settings(self);
}

void
sr_page_train_list_devices(SrPageTrain *self)
{
  self->devices_cancel = g_cancellable_new();
  GTask *task = g_task_new(self, self->devices_cancel, on_devices_listed, NULL);
  g_task_set_task_data(task, g_new0(DeviceList, 1), g_free);
  g_task_run_in_thread(task, devices_thread);
  g_object_unref(task);
}

/* ---- estimate: a few real steps of the chosen configuration ---------------------- */

typedef struct {
  SrProject *project; /* a copy for the worker (sr_project_copy_for_thread) */
  int patch;          /* the patch measured (fitted as a run fits it) */
  int train_w, train_h;
  double seconds_per_step;
  char backend_name[16];
  char error[256];
} Estimate;

static void
estimate_free(gpointer data)
{
  Estimate *e = data;
  g_clear_object(&e->project);
  g_free(e);
}

typedef struct {
  Estimate *e;
  GCancellable *cancellable;
} EstimateCall;

static GMutex estimate_lock;
static gint exiting; /* set once, at exit */

static gboolean
estimate_stop(gpointer user)
{
  return g_cancellable_is_cancelled(user) || g_atomic_int_get(&exiting);
}

/* The measurement the command line and tests share (sr_training_measure):
 * the run's own configuration, its first step untimed. */
static gboolean
estimate_measure(gpointer data)
{
  Estimate *e = ((EstimateCall *)data)->e;
  SrTrainingMeasureOptions o;
  SrTrainingMeasure m;
  g_autoptr(GError) error = NULL;

  sr_training_measure_options_init(&o);
  o.seconds = ESTIMATE_SECONDS;
  o.max_steps = ESTIMATE_MAX_STEPS;
  o.stop = estimate_stop;
  o.user = ((EstimateCall *)data)->cancellable;
  if (!sr_training_measure(e->project, &o, &m, &error)) {
    g_strlcpy(e->error, error->message, sizeof e->error);
    return FALSE;
  }
  e->seconds_per_step = m.seconds_per_step;
  e->patch = m.config.patch;
  e->train_w = m.train_w;
  e->train_h = m.train_h;
  g_strlcpy(e->backend_name, m.backend_name, sizeof e->backend_name);
  return TRUE;
}

/* One measurement at a time, so an abandoned one finishing its step does
 * not share the cores with (and slow down) the one that replaced it. The
 * lock is also what the program waits on before it exits: a measurement
 * still inside the backend when the process tears its libraries down would
 * crash it, so sr_page_train_stop_estimates() raises `exiting` (the step
 * loop stops) and takes the lock. */

void
sr_page_train_stop_estimates(void)
{
  g_atomic_int_set(&exiting, 1);
  g_mutex_lock(&estimate_lock);
  g_mutex_unlock(&estimate_lock);
}

static void
estimate_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  EstimateCall call = {data, cancellable};
  gboolean ok = FALSE;

  g_mutex_lock(&estimate_lock);
  if (!g_cancellable_is_cancelled(cancellable) && !g_atomic_int_get(&exiting))
    ok = sr_page_train_run_niced("sr-estimate", estimate_measure, &call);
  g_mutex_unlock(&estimate_lock);
  g_task_return_boolean(task, ok);
}

static void start_estimate(SrPageTrain *self);

void
sr_page_train_show_estimate(SrPageTrain *self)
{
  SrTrainingSettings t;
  g_autofree char *text = NULL;

  if (!sr_page_train_project_of(self) || self->seconds_per_step < 0)
    return;
  sr_project_get_training(sr_page_train_project_of(self), &t);
  g_autofree char *total =
      sr_page_train_duration_text(sr_training_estimate_seconds(self->seconds_per_step, t.steps, 0));
  /* The schedule scales with the run: say how, since it shapes the loss
   * curve the archivist is about to watch. */
  sr_train_config cfg;
  sr_training_config_from_settings(&t, &cfg);
  if (cfg.cosine_decay)
    text = g_strdup_printf(_("Estimated time: %s (%.3g s/step on %s, measured); warm-up %lld steps "
                             "(5 %% of the run, at most %lld), then cosine decay to the last step"),
                           total, self->seconds_per_step, self->estimate_backend,
                           (long long)sr_train_warmup(&cfg), (long long)cfg.warmup_steps);
  else
    text = g_strdup_printf(_("Estimated time: %s (%.3g s/step on %s, measured); warm-up %lld steps "
                             "(5 %% of the run, at most %lld)"),
                           total, self->seconds_per_step, self->estimate_backend,
                           (long long)sr_train_warmup(&cfg), (long long)cfg.warmup_steps);
  gtk_label_set_text(GTK_LABEL(self->estimate_label), text);
}

static void
on_estimate_done(GObject *source, GAsyncResult *res, gpointer user)
{
  GTask *task = G_TASK(res);
  SrPageTrain *self = SR_PAGE_TRAIN(source);
  Estimate *e = g_task_get_task_data(task);
  gboolean ok = g_task_propagate_boolean(task, NULL);
  guint generation = GPOINTER_TO_UINT(user);

  /* A cancelled measurement was for settings that no longer hold (or the
   * page is gone): its newer replacement reports instead. */
  if (g_cancellable_is_cancelled(g_task_get_cancellable(task)) ||
      generation != self->estimate_generation)
    return;
  g_clear_object(&self->estimate_cancel);
  gtk_spinner_set_spinning(GTK_SPINNER(self->estimate_spinner), FALSE);
  gtk_widget_set_visible(self->estimate_spinner, FALSE);
  self->estimate_wanted = FALSE;
  if (ok) {
    self->seconds_per_step = e->seconds_per_step;
    g_strlcpy(self->estimate_backend, e->backend_name, sizeof self->estimate_backend);
    /* Without a crop the patch is fitted to the frame, whose size the
     * measurement read: the form now lists what fits it. */
    if (self->train_w != e->train_w || self->train_h != e->train_h) {
      self->train_w = e->train_w;
      self->train_h = e->train_h;
      sr_page_train_sync_settings(self);
    }
    sr_page_train_show_estimate(self);
  } else {
    g_autofree char *text = g_strdup_printf(_("No estimate: %s"), e->error);
    gtk_label_set_text(GTK_LABEL(self->estimate_label), text);
  }
}

void
sr_page_train_cancel_estimate(SrPageTrain *self)
{
  g_clear_handle_id(&self->estimate_timeout, g_source_remove);
  self->estimate_generation++;
  if (self->estimate_cancel) {
    g_cancellable_cancel(self->estimate_cancel);
    g_clear_object(&self->estimate_cancel);
  }
  gtk_spinner_set_spinning(GTK_SPINNER(self->estimate_spinner), FALSE);
  gtk_widget_set_visible(self->estimate_spinner, FALSE);
}

/* A superseded measurement is abandoned, not waited for: it stops after the
 * step it is in, and only the newest one reports. */
static void
start_estimate(SrPageTrain *self)
{
  sr_page_train_cancel_estimate(self);
  if (!sr_page_train_project_of(self) || sr_page_train_is_running(self))
    return;
  Estimate *e = g_new0(Estimate, 1);
  g_autoptr(GError) error = NULL;
  e->project = sr_project_copy_for_thread(sr_page_train_project_of(self), &error);
  if (!e->project) {
    g_autofree char *text = g_strdup_printf(_("No estimate: %s"), error->message);
    gtk_label_set_text(GTK_LABEL(self->estimate_label), text);
    estimate_free(e);
    return;
  }
  self->seconds_per_step = -1;
  self->estimate_cancel = g_cancellable_new();
  gtk_widget_set_visible(self->estimate_spinner, TRUE);
  gtk_spinner_set_spinning(GTK_SPINNER(self->estimate_spinner), TRUE);
  gtk_label_set_text(GTK_LABEL(self->estimate_label), _("Measuring a few training steps…"));
  GTask *task = g_task_new(self, self->estimate_cancel, on_estimate_done,
                           GUINT_TO_POINTER(self->estimate_generation));
  g_task_set_task_data(task, e, estimate_free);
  g_task_run_in_thread(task, estimate_thread);
  g_object_unref(task);
}

static gboolean
on_estimate_timeout(gpointer data)
{
  SrPageTrain *self = data;
  self->estimate_timeout = 0;
  start_estimate(self);
  return G_SOURCE_REMOVE;
}

void
sr_page_train_schedule_estimate(SrPageTrain *self)
{
  sr_page_train_cancel_estimate(self);
  if (!sr_page_train_project_of(self) || sr_page_train_is_running(self))
    return;
  self->seconds_per_step = -1;
  gtk_label_set_text(GTK_LABEL(self->estimate_label), _("Measuring a few training steps…"));
  /* Measured only while the page is on screen: a big model's steps would
   * otherwise take the cores from whatever stage the archivist is in. The
   * spinner spins only then too: a spinning spinner on a hidden page still
   * wakes the frame clock every frame. */
  self->estimate_wanted = TRUE;
  if (gtk_widget_get_mapped(GTK_WIDGET(self))) {
    gtk_widget_set_visible(self->estimate_spinner, TRUE);
    gtk_spinner_set_spinning(GTK_SPINNER(self->estimate_spinner), TRUE);
    self->estimate_timeout = g_timeout_add(ESTIMATE_DEBOUNCE_MS, on_estimate_timeout, self);
  }
}

void
sr_page_train_on_map(GtkWidget *widget, SrPageTrain *self)
{
  if (self->estimate_wanted && !self->estimate_timeout && !self->estimate_cancel)
    sr_page_train_schedule_estimate(self);
}

void
sr_page_train_on_unmap(GtkWidget *widget, SrPageTrain *self)
{
  gboolean unfinished = self->estimate_timeout || self->estimate_cancel;
  sr_page_train_cancel_estimate(self);
  self->estimate_wanted = unfinished;
}
