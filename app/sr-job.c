/* sr-job.c — see sr-job.h. */
#include "sr-job.h"

#include <glib/gi18n.h>

G_DEFINE_QUARK(sr - job - error - quark, sr_job_error)

G_DEFINE_ENUM_TYPE(SrJobState, sr_job_state, G_DEFINE_ENUM_VALUE(SR_JOB_STATE_READY, "ready"),
                   G_DEFINE_ENUM_VALUE(SR_JOB_STATE_RUNNING, "running"),
                   G_DEFINE_ENUM_VALUE(SR_JOB_STATE_PAUSED, "paused"),
                   G_DEFINE_ENUM_VALUE(SR_JOB_STATE_SUCCEEDED, "succeeded"),
                   G_DEFINE_ENUM_VALUE(SR_JOB_STATE_FAILED, "failed"),
                   G_DEFINE_ENUM_VALUE(SR_JOB_STATE_CANCELLED, "cancelled"))

struct _SrJob {
  GObject parent_instance;

  char *title;
  SrJobFunc func;
  gpointer data;
  GDestroyNotify data_free;

  GMainContext *context; /* where progress and completion are delivered */
  GCancellable *cancellable;
  gulong cancel_handler;
  atomic_bool cancel_flag;

  /* Shared with the worker, under lock. */
  GMutex lock;
  GCond cond;
  gboolean paused;
  double pending_fraction;
  char *pending_message;
  gboolean dispatch_queued;

  /* Main-thread state (what properties report). */
  double fraction;
  char *message;
  SrJobState state;
  gboolean started;
  gboolean finished;
  GTimer *timer;
  GError *error;
};

G_DEFINE_FINAL_TYPE(SrJob, sr_job, G_TYPE_OBJECT)

enum { PROP_0, PROP_TITLE, PROP_FRACTION, PROP_MESSAGE, PROP_STATE, PROP_PAUSED, N_PROPS };

static GParamSpec *properties[N_PROPS];

static void
sr_job_finalize(GObject *object)
{
  SrJob *self = SR_JOB(object);

  if (self->cancellable && self->cancel_handler)
    g_cancellable_disconnect(self->cancellable, self->cancel_handler);
  g_clear_object(&self->cancellable);
  if (self->data_free && self->data)
    self->data_free(self->data);
  g_clear_pointer(&self->context, g_main_context_unref);
  g_clear_pointer(&self->timer, g_timer_destroy);
  g_clear_error(&self->error);
  g_free(self->title);
  g_free(self->message);
  g_free(self->pending_message);
  g_mutex_clear(&self->lock);
  g_cond_clear(&self->cond);
  G_OBJECT_CLASS(sr_job_parent_class)->finalize(object);
}

static void
sr_job_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SrJob *self = SR_JOB(object);

  switch (prop_id) {
  case PROP_TITLE: g_value_set_string(value, self->title); break;
  case PROP_FRACTION: g_value_set_double(value, self->fraction); break;
  case PROP_MESSAGE: g_value_set_string(value, self->message); break;
  case PROP_STATE: g_value_set_enum(value, self->state); break;
  case PROP_PAUSED: g_value_set_boolean(value, sr_job_get_paused(self)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void
sr_job_class_init(SrJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);

  object_class->finalize = sr_job_finalize;
  object_class->get_property = sr_job_get_property;

  properties[PROP_TITLE] =
      g_param_spec_string("title", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
      g_param_spec_double("fraction", NULL, NULL, -1.0, 1.0, 0.0,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
      g_param_spec_string("message", NULL, NULL, NULL,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
      g_param_spec_enum("state", NULL, NULL, SR_TYPE_JOB_STATE, SR_JOB_STATE_READY,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
      g_param_spec_boolean("paused", NULL, NULL, FALSE,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);
}

static void
sr_job_init(SrJob *self)
{
  g_mutex_init(&self->lock);
  g_cond_init(&self->cond);
  atomic_init(&self->cancel_flag, false);
  self->pending_fraction = 0.0;
  self->state = SR_JOB_STATE_READY;
}

SrJob *
sr_job_new(const char *title, SrJobFunc func, gpointer data, GDestroyNotify data_free)
{
  g_return_val_if_fail(func != NULL, NULL);

  SrJob *self = g_object_new(SR_TYPE_JOB, NULL);
  self->title = g_strdup(title ? title : "");
  self->func = func;
  self->data = data;
  self->data_free = data_free;
  return self;
}

static void
set_state(SrJob *self, SrJobState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_STATE]);
}

/* Main context: copies the latest worker values into the properties. */
static gboolean
dispatch_progress(gpointer user_data)
{
  SrJob *self = SR_JOB(user_data);
  double fraction;
  char *message;

  g_mutex_lock(&self->lock);
  fraction = self->pending_fraction;
  message = g_steal_pointer(&self->pending_message);
  self->dispatch_queued = FALSE;
  g_mutex_unlock(&self->lock);

  /* A dispatch queued before the job ended must not undo its final values. */
  if (self->finished) {
    g_free(message);
    return G_SOURCE_REMOVE;
  }

  if (fraction != self->fraction) {
    self->fraction = fraction;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_FRACTION]);
  }
  if (message) {
    if (g_strcmp0(message, self->message) != 0) {
      g_free(self->message);
      self->message = message;
      g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_MESSAGE]);
    } else {
      g_free(message);
    }
  }
  return G_SOURCE_REMOVE;
}

void
sr_job_set_progress(SrJob *self, double fraction, const char *message)
{
  g_return_if_fail(SR_IS_JOB(self));

  gboolean queue;
  if (fraction > 1.0)
    fraction = 1.0;
  if (fraction < 0.0)
    fraction = -1.0;

  g_mutex_lock(&self->lock);
  self->pending_fraction = fraction;
  if (message) {
    g_free(self->pending_message);
    self->pending_message = g_strdup(message);
  }
  /* One dispatch in flight at a time: a fast worker cannot flood the loop. */
  queue = !self->dispatch_queued && self->context != NULL;
  if (queue)
    self->dispatch_queued = TRUE;
  g_mutex_unlock(&self->lock);

  /* An idle source, not g_main_context_invoke(): that would run the
   * dispatch on this worker thread whenever the context is not owned. */
  if (queue) {
    GSource *source = g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(source, dispatch_progress, g_object_ref(self), g_object_unref);
    g_source_set_static_name(source, "[sr-job] progress");
    g_source_attach(source, self->context);
    g_source_unref(source);
  }
}

gboolean
sr_job_is_cancelled(SrJob *self)
{
  g_return_val_if_fail(SR_IS_JOB(self), TRUE);
  return self->cancellable != NULL && g_cancellable_is_cancelled(self->cancellable);
}

gboolean
sr_job_checkpoint(SrJob *self)
{
  g_return_val_if_fail(SR_IS_JOB(self), FALSE);

  g_mutex_lock(&self->lock);
  while (self->paused && !sr_job_is_cancelled(self))
    g_cond_wait(&self->cond, &self->lock);
  g_mutex_unlock(&self->lock);
  return !sr_job_is_cancelled(self);
}

GCancellable *
sr_job_get_cancellable(SrJob *self)
{
  g_return_val_if_fail(SR_IS_JOB(self), NULL);
  return self->cancellable;
}

const atomic_bool *
sr_job_get_cancel_flag(SrJob *self)
{
  g_return_val_if_fail(SR_IS_JOB(self), NULL);
  return &self->cancel_flag;
}

gpointer
sr_job_get_data(SrJob *self)
{
  g_return_val_if_fail(SR_IS_JOB(self), NULL);
  return self->data;
}

/* Runs in whichever thread calls g_cancellable_cancel(). */
static void
on_cancelled(GCancellable *cancellable, gpointer user_data)
{
  SrJob *self = user_data;

  atomic_store(&self->cancel_flag, true);
  g_mutex_lock(&self->lock);
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);
}

static void
job_thread(GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  SrJob *self = SR_JOB(source_object);
  GError *error = NULL;

  if (self->func(self, self->data, &error))
    g_task_return_boolean(task, TRUE);
  else if (error)
    g_task_return_error(task, error);
  else
    g_task_return_new_error(task, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                            _("%s failed without saying why"), self->title);
}

static gboolean
error_is_cancel(const GError *error)
{
  return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
         g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED);
}

/* Main context: the worker returned. Settle state, then answer the caller. */
static void
job_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrJob *self = SR_JOB(source);
  GTask *outer = user_data;
  GError *error = NULL;

  g_timer_stop(self->timer);
  /* Deliver the worker's last progress before the final state. */
  dispatch_progress(self);
  self->finished = TRUE;

  if (g_task_propagate_boolean(G_TASK(result), &error)) {
    if (self->fraction != 1.0) {
      self->fraction = 1.0;
      g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_FRACTION]);
    }
    set_state(self, SR_JOB_STATE_SUCCEEDED);
    g_task_return_boolean(outer, TRUE);
  } else {
    self->error = g_error_copy(error);
    set_state(self, error_is_cancel(error) ? SR_JOB_STATE_CANCELLED : SR_JOB_STATE_FAILED);
    g_task_return_error(outer, error);
  }
  g_object_unref(outer);
}

void
sr_job_start(SrJob *self, GCancellable *cancellable, GAsyncReadyCallback callback,
             gpointer user_data)
{
  g_return_if_fail(SR_IS_JOB(self));
  g_return_if_fail(!self->started);

  GTask *outer, *inner;

  self->started = TRUE;
  self->context = g_main_context_ref_thread_default();
  self->cancellable = cancellable ? g_object_ref(cancellable) : g_cancellable_new();
  self->cancel_handler =
      g_cancellable_connect(self->cancellable, G_CALLBACK(on_cancelled), self, NULL);
  self->timer = g_timer_new();

  outer = g_task_new(self, self->cancellable, callback, user_data);
  g_task_set_source_tag(outer, sr_job_start);
  g_task_set_name(outer, self->title);

  set_state(self, self->paused ? SR_JOB_STATE_PAUSED : SR_JOB_STATE_RUNNING);

  inner = g_task_new(self, self->cancellable, job_done, outer);
  g_task_set_name(inner, self->title);
  g_task_set_return_on_cancel(inner, FALSE);
  g_task_run_in_thread(inner, job_thread);
  g_object_unref(inner);
}

gboolean
sr_job_finish(SrJob *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
  return g_task_propagate_boolean(G_TASK(result), error);
}

void
sr_job_cancel(SrJob *self)
{
  g_return_if_fail(SR_IS_JOB(self));
  if (self->cancellable)
    g_cancellable_cancel(self->cancellable);
}

static void
set_paused(SrJob *self, gboolean paused)
{
  gboolean changed;

  g_mutex_lock(&self->lock);
  changed = self->paused != paused;
  self->paused = paused;
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);

  if (!changed)
    return;
  if (self->timer && (self->state == SR_JOB_STATE_RUNNING || self->state == SR_JOB_STATE_PAUSED)) {
    if (paused)
      g_timer_stop(self->timer);
    else
      g_timer_continue(self->timer);
    set_state(self, paused ? SR_JOB_STATE_PAUSED : SR_JOB_STATE_RUNNING);
  }
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PAUSED]);
}

void
sr_job_pause(SrJob *self)
{
  g_return_if_fail(SR_IS_JOB(self));
  set_paused(self, TRUE);
}

void
sr_job_resume(SrJob *self)
{
  g_return_if_fail(SR_IS_JOB(self));
  set_paused(self, FALSE);
}

const char *
sr_job_get_title(SrJob *self)
{
  g_return_val_if_fail(SR_IS_JOB(self), NULL);
  return self->title;
}

double
sr_job_get_fraction(SrJob *self)
{
  g_return_val_if_fail(SR_IS_JOB(self), 0.0);
  return self->fraction;
}

const char *
sr_job_get_message(SrJob *self)
{
  g_return_val_if_fail(SR_IS_JOB(self), NULL);
  return self->message;
}

SrJobState
sr_job_get_state(SrJob *self)
{
  g_return_val_if_fail(SR_IS_JOB(self), SR_JOB_STATE_READY);
  return self->state;
}

gboolean
sr_job_get_paused(SrJob *self)
{
  gboolean paused;

  g_return_val_if_fail(SR_IS_JOB(self), FALSE);
  g_mutex_lock(&self->lock);
  paused = self->paused;
  g_mutex_unlock(&self->lock);
  return paused;
}

double
sr_job_get_elapsed(SrJob *self)
{
  g_return_val_if_fail(SR_IS_JOB(self), 0.0);
  return self->timer ? g_timer_elapsed(self->timer, NULL) : 0.0;
}

const GError *
sr_job_get_error(SrJob *self)
{
  g_return_val_if_fail(SR_IS_JOB(self), NULL);
  return self->error;
}

void
sr_job_error_from_engine(GError **error, const sr_error *err)
{
  int code = err && err->code != SR_OK ? (int)err->code : (int)SR_ERR_INVALID;
  const char *message = err && err->message[0] ? err->message : _("the engine reported a failure");

  g_set_error_literal(error, SR_JOB_ERROR, code, message);
}
