/* sr-page-train-estimate.c — how long the Train page's run will take: the
 * devices listed once off the main loop, and a few real training steps of
 * the chosen model, patch and batch timed on a worker while the page shows. */
#include "sr-page-train-private.h"

#include <math.h>
#include <stdlib.h>
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
  char backend[16];
  SrModelSize size;
  int patch, batch;
  double seconds_per_step;
  char backend_name[16];
  char error[256];
} Estimate;

typedef struct {
  Estimate *e;
  GCancellable *cancellable;
} EstimateCall;

static GMutex estimate_lock;
static gint exiting; /* set once, at exit */

static gboolean
estimate_measure(gpointer data)
{
  Estimate *e = ((EstimateCall *)data)->e;
  GCancellable *cancellable = ((EstimateCall *)data)->cancellable;
  sr_error err = {0};
  char reason[256] = "";
  sr_backend *be = NULL;
  sr_unet *net = NULL;
  sr_unet_workspace *ws = NULL;
  size_t count = (size_t)e->batch * e->patch * e->patch * 3;
  float *src = g_try_new(float, count), *gt = g_try_new(float, count);
  gboolean ok = FALSE;

  if (!src || !gt) {
    g_snprintf(e->error, sizeof e->error, _("not enough memory for %d × %d px patches"), e->patch,
               e->patch);
    goto out;
  }
  be = sr_backend_open(e->backend, reason, sizeof reason, &err);
  if (!be || !(net = sr_unet_new((sr_unet_size)e->size, be, &err)) || !sr_unet_init(net, 1, &err) ||
      !(ws = sr_unet_workspace_new(net, e->batch, e->patch, e->patch, true, &err))) {
    g_strlcpy(e->error, err.message, sizeof e->error);
    goto out;
  }
  g_strlcpy(e->backend_name, be->name, sizeof e->backend_name);
  /* A smooth ramp for the Source and a slightly sharper copy for the
   * ground truth: the time of a step does not depend on the values. */
  for (size_t i = 0; i < count; i++) {
    src[i] = 0.25f + 0.5f * (float)((i / 3) % (size_t)e->patch) / (float)e->patch;
    gt[i] = src[i] + ((i / 3) % 2 ? 0.02f : -0.02f);
  }
  sr_loss_desc loss = {0.2126f, 0.7152f, 0.0722f, SR_CHARBONNIER_EPS};
  sr_adam_desc adam = sr_adam_defaults();
  double l;
  if (g_cancellable_is_cancelled(cancellable) || g_atomic_int_get(&exiting))
    goto out;
  gint64 t0 = g_get_monotonic_time();
  if (!sr_unet_train_step_host(net, ws, src, gt, &loss, &adam, &l, &err) ||
      !sr_backend_synchronize(be, &err)) {
    g_strlcpy(e->error, err.message, sizeof e->error);
    goto out;
  }
  /* A step that long dwarfs the one-off set-up it includes: it is the
   * measurement, and a big model is not kept busy any longer. */
  double first = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
  if (first >= ESTIMATE_SLOW_STEP) {
    e->seconds_per_step = first;
    ok = TRUE;
    goto out;
  }
  t0 = g_get_monotonic_time();
  int n = 0;
  while (n < ESTIMATE_MAX_STEPS && !g_cancellable_is_cancelled(cancellable) &&
         !g_atomic_int_get(&exiting) &&
         (n == 0 || (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC < ESTIMATE_SECONDS)) {
    adam.step++;
    if (!sr_unet_train_step_host(net, ws, src, gt, &loss, &adam, &l, &err)) {
      g_strlcpy(e->error, err.message, sizeof e->error);
      goto out;
    }
    n++;
  }
  if (!sr_backend_synchronize(be, &err)) {
    g_strlcpy(e->error, err.message, sizeof e->error);
    goto out;
  }
  e->seconds_per_step = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC / MAX(n, 1);
  ok = TRUE;
out:
  sr_unet_workspace_free(ws);
  sr_unet_free(net);
  sr_backend_close(be);
  g_free(src);
  g_free(gt);
  return ok;
}

/* One measurement at a time, so an abandoned one finishing its step does
 * not share the cores with (and slow down) the one that replaced it. The
 * lock is also what the program waits on at exit: a measurement still
 * inside the backend when the process tears its libraries down would crash
 * it, so exit raises `exiting` (the step loop stops) and takes the lock. */

static void
wait_for_estimate_at_exit(void)
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
  g_autofree char *total = sr_page_train_duration_text(self->seconds_per_step * t.steps);
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
  SrTrainingSettings t;

  sr_page_train_cancel_estimate(self);
  if (!sr_page_train_project_of(self) || sr_page_train_is_running(self))
    return;
  sr_project_get_training(sr_page_train_project_of(self), &t);
  Estimate *e = g_new0(Estimate, 1);
  g_strlcpy(e->backend, t.backend, sizeof e->backend);
  e->size = t.model_size;
  e->patch = sr_page_train_fitted_patch(self, t.patch, t.model_size);
  e->batch = t.batch;
  self->seconds_per_step = -1;
  self->estimate_cancel = g_cancellable_new();
  gtk_widget_set_visible(self->estimate_spinner, TRUE);
  gtk_spinner_set_spinning(GTK_SPINNER(self->estimate_spinner), TRUE);
  gtk_label_set_text(GTK_LABEL(self->estimate_label), _("Measuring a few training steps…"));
  GTask *task = g_task_new(self, self->estimate_cancel, on_estimate_done,
                           GUINT_TO_POINTER(self->estimate_generation));
  g_task_set_task_data(task, e, g_free);
  static gsize exit_hook;
  if (g_once_init_enter(&exit_hook)) {
    /* Registered after the backend's libraries are loaded, so it runs
     * before their own exit handlers. */
    atexit(wait_for_estimate_at_exit);
    g_once_init_leave(&exit_hook, 1);
  }
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
