/* sr-frame-cache.c — LRU frame cache with background reads and prefetch.
 *
 * Threads: the cache object, its LRU and the bookkeeping of loads live on
 * the main context. Workers only see the request queue (under `lock`) and a
 * reference-counted copy of the sequence. Each worker token holds a strong
 * reference to the cache that is always released on the main context, so
 * the cache is never finalised on a worker thread.
 */
#include "sr-frame-cache.h"

#include <string.h>
#include <glib/gi18n.h>

#include "sr-job.h"

/* ---- SrFrame ------------------------------------------------------------- */

struct _SrFrame {
  gatomicrefcount ref;
  sr_image *image;
  int number;
};

G_DEFINE_BOXED_TYPE(SrFrame, sr_frame, sr_frame_ref, sr_frame_unref)

SrFrame *
sr_frame_new_take(sr_image *img, int number)
{
  g_return_val_if_fail(img != NULL, NULL);
  SrFrame *f = g_new0(SrFrame, 1);
  g_atomic_ref_count_init(&f->ref);
  f->image = img;
  f->number = number;
  return f;
}

SrFrame *
sr_frame_new_copy(const sr_image *img, int number, GError **error)
{
  g_return_val_if_fail(img != NULL, NULL);
  sr_error err = {0};
  sr_image *copy = sr_image_copy(img, &err);
  if (copy == NULL) {
    g_set_error(error, SR_JOB_ERROR, err.code, _("Frame %d: %s"), number, err.message);
    return NULL;
  }
  return sr_frame_new_take(copy, number);
}

SrFrame *
sr_frame_ref(SrFrame *frame)
{
  g_return_val_if_fail(frame != NULL, NULL);
  g_atomic_ref_count_inc(&frame->ref);
  return frame;
}

void
sr_frame_unref(SrFrame *frame)
{
  if (frame == NULL)
    return;
  if (g_atomic_ref_count_dec(&frame->ref)) {
    sr_image_free(frame->image);
    g_free(frame);
  }
}

const sr_image *
sr_frame_get_image(const SrFrame *frame)
{
  g_return_val_if_fail(frame != NULL, NULL);
  return frame->image;
}

int
sr_frame_get_number(const SrFrame *frame)
{
  g_return_val_if_fail(frame != NULL, 0);
  return frame->number;
}

gsize
sr_frame_get_size(const SrFrame *frame)
{
  g_return_val_if_fail(frame != NULL, 0);
  return sr_image_n_floats(frame->image) * sizeof(float);
}

/* ---- Shared sequence ----------------------------------------------------- */

typedef struct {
  gatomicrefcount ref;
  sr_sequence seq;
} SeqRef;

static SeqRef *
seq_ref_new(const sr_sequence *src)
{
  SeqRef *s = g_new0(SeqRef, 1);
  g_atomic_ref_count_init(&s->ref);
  /* Shares a movie's decoder instead of reopening (and reindexing) it. */
  if (!sr_sequence_copy(&s->seq, src, NULL))
    g_error("out of memory copying a sequence");
  return s;
}

static SeqRef *
seq_ref_ref(SeqRef *s)
{
  g_atomic_ref_count_inc(&s->ref);
  return s;
}

static void
seq_ref_unref(SeqRef *s)
{
  if (s != NULL && g_atomic_ref_count_dec(&s->ref)) {
    sr_sequence_clear(&s->seq);
    g_free(s);
  }
}

/* ---- SrFrameCache -------------------------------------------------------- */

typedef struct {
  int frame;
  int priority; /* lower first; explicit loads are −1 */
} Job;

typedef struct {
  int frame;
  GPtrArray *tasks; /* GTask* from load_async waiting for this frame */
  gboolean queued;  /* still in the job queue (not yet taken by a worker) */
} Loading;

typedef struct {
  SrFrame *frame;
  GList *lru_link; /* in self->lru, head = most recent */
} Entry;

struct _SrFrameCache {
  GObject parent_instance;

  GMainContext *context;
  GThreadPool *pool;

  GMutex lock; /* guards jobs, seq and gen for the workers */
  GQueue jobs; /* Job* */
  SeqRef *seq;
  guint gen; /* bumps when the sequence changes; older results are discarded */

  GHashTable *entries; /* frame → Entry* */
  GQueue lru;          /* frame numbers as GINT_TO_POINTER */
  GHashTable *loading; /* frame → Loading* */
  guint64 bytes;
  guint64 budget;
  guint prefetch;
  int current;
  int previous;
  GSource *ready_source;

  SrFrameCacheStats stats;
};

enum { PROP_0, PROP_CURRENT, PROP_BUDGET, PROP_PREFETCH, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_FRAME_READY, SIGNAL_FRAME_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(SrFrameCache, sr_frame_cache, G_TYPE_OBJECT)

typedef struct {
  SrFrameCache *cache; /* strong reference, released on the main context */
  guint gen;
  int frame;
  gboolean had_job;
  SrFrame *result;
  char *message;
  int code;
} Delivery;

static void
entry_free(gpointer p)
{
  Entry *e = p;
  sr_frame_unref(e->frame);
  g_free(e);
}

static void
loading_free(gpointer p)
{
  Loading *l = p;
  if (l->tasks != NULL) {
    for (guint i = 0; i < l->tasks->len; i++) {
      GTask *task = g_ptr_array_index(l->tasks, i);
      g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                              _("Frame %d: the sequence was replaced before it was read"),
                              l->frame);
    }
    g_ptr_array_unref(l->tasks);
  }
  g_free(l);
}

static void deliver_on_main(Delivery *d);

static gboolean
deliver_cb(gpointer data)
{
  deliver_on_main(data);
  return G_SOURCE_REMOVE;
}

static void
worker_func(gpointer data, gpointer user_data)
{
  SrFrameCache *self = data;
  Delivery *d = g_new0(Delivery, 1);
  d->cache = self;

  Job *job = NULL;
  SeqRef *seq = NULL;
  g_mutex_lock(&self->lock);
  GList *best = NULL;
  for (GList *l = self->jobs.head; l != NULL; l = l->next)
    if (best == NULL || ((Job *)l->data)->priority < ((Job *)best->data)->priority)
      best = l;
  if (best != NULL) {
    job = best->data;
    g_queue_delete_link(&self->jobs, best);
    if (self->seq != NULL)
      seq = seq_ref_ref(self->seq);
  }
  d->gen = self->gen;
  g_mutex_unlock(&self->lock);

  if (job != NULL) {
    d->had_job = TRUE;
    d->frame = job->frame;
    g_free(job);
    if (seq != NULL) {
      sr_error err = {0};
      sr_image *img = sr_sequence_read(&seq->seq, d->frame, &err);
      if (img != NULL)
        d->result = sr_frame_new_take(img, d->frame);
      else {
        d->code = err.code != SR_OK ? (int)err.code : SR_ERR_IO;
        d->message = g_strdup(err.message[0] ? err.message : _("the frame could not be read"));
      }
      seq_ref_unref(seq);
    } else {
      d->code = SR_ERR_MISSING;
      d->message = g_strdup_printf(_("Frame %d: no sequence is open"), d->frame);
    }
  }

  GSource *src = g_idle_source_new();
  g_source_set_priority(src, G_PRIORITY_DEFAULT);
  g_source_set_callback(src, deliver_cb, d, NULL);
  g_source_attach(src, self->context);
  g_source_unref(src);
}

static void
evict(SrFrameCache *self)
{
  while (self->bytes > self->budget && self->lru.length > 1) {
    /* The tail is the least recently used; never evict the shown frame. */
    GList *victim = self->lru.tail;
    while (victim != NULL && GPOINTER_TO_INT(victim->data) == self->current)
      victim = victim->prev;
    if (victim == NULL)
      break;
    int frame = GPOINTER_TO_INT(victim->data);
    Entry *e = g_hash_table_lookup(self->entries, GINT_TO_POINTER(frame));
    self->bytes -= sr_frame_get_size(e->frame);
    g_queue_delete_link(&self->lru, victim);
    g_hash_table_remove(self->entries, GINT_TO_POINTER(frame));
  }
  self->stats.n_frames = g_hash_table_size(self->entries);
  self->stats.bytes = self->bytes;
}

static void
insert_frame(SrFrameCache *self, SrFrame *frame)
{
  int n = sr_frame_get_number(frame);
  Entry *old = g_hash_table_lookup(self->entries, GINT_TO_POINTER(n));
  if (old != NULL) {
    self->bytes -= sr_frame_get_size(old->frame);
    g_queue_delete_link(&self->lru, old->lru_link);
    g_hash_table_remove(self->entries, GINT_TO_POINTER(n));
  }
  Entry *e = g_new0(Entry, 1);
  e->frame = sr_frame_ref(frame);
  g_queue_push_head(&self->lru, GINT_TO_POINTER(n));
  e->lru_link = self->lru.head;
  g_hash_table_insert(self->entries, GINT_TO_POINTER(n), e);
  self->bytes += sr_frame_get_size(frame);
  evict(self);
}

static void
deliver_on_main(Delivery *d)
{
  SrFrameCache *self = d->cache;
  if (d->had_job && d->gen == self->gen) {
    Loading *l = g_hash_table_lookup(self->loading, GINT_TO_POINTER(d->frame));
    GPtrArray *tasks = NULL;
    if (l != NULL) {
      tasks = g_steal_pointer(&l->tasks);
      g_hash_table_remove(self->loading, GINT_TO_POINTER(d->frame));
    }
    if (d->result != NULL) {
      self->stats.loads++;
      insert_frame(self, d->result);
    } else
      self->stats.failures++;

    for (guint i = 0; tasks != NULL && i < tasks->len; i++) {
      GTask *task = g_ptr_array_index(tasks, i);
      if (g_task_return_error_if_cancelled(task))
        continue;
      if (d->result != NULL)
        g_task_return_pointer(task, sr_frame_ref(d->result), (GDestroyNotify)sr_frame_unref);
      else
        g_task_return_new_error(task, SR_JOB_ERROR, d->code, "%s", d->message);
    }
    if (tasks != NULL)
      g_ptr_array_unref(tasks);

    if (d->frame == self->current) {
      if (d->result != NULL)
        g_signal_emit(self, signals[SIGNAL_FRAME_READY], 0, d->frame, d->result);
      else
        g_signal_emit(self, signals[SIGNAL_FRAME_FAILED], 0, d->frame, d->message);
    }
  }
  sr_frame_unref(d->result);
  g_free(d->message);
  g_free(d);
  g_object_unref(self);
}

/* Queues a read of frame unless it is cached or already loading. */
static Loading *
queue_load(SrFrameCache *self, int frame, int priority)
{
  Loading *l = g_hash_table_lookup(self->loading, GINT_TO_POINTER(frame));
  if (l != NULL) {
    if (l->queued) {
      g_mutex_lock(&self->lock);
      for (GList *it = self->jobs.head; it != NULL; it = it->next) {
        Job *j = it->data;
        if (j->frame == frame && priority < j->priority)
          j->priority = priority;
      }
      g_mutex_unlock(&self->lock);
    }
    return l;
  }
  l = g_new0(Loading, 1);
  l->frame = frame;
  l->tasks = g_ptr_array_new_with_free_func(g_object_unref);
  l->queued = TRUE;
  g_hash_table_insert(self->loading, GINT_TO_POINTER(frame), l);

  Job *job = g_new0(Job, 1);
  job->frame = frame;
  job->priority = priority;
  g_mutex_lock(&self->lock);
  g_queue_push_tail(&self->jobs, job);
  g_mutex_unlock(&self->lock);
  g_thread_pool_push(self->pool, g_object_ref(self), NULL);
  return l;
}

/* Marks which loads the workers have already taken (they can't be dropped). */
static void
sync_queued_flags(SrFrameCache *self)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, self->loading);
  while (g_hash_table_iter_next(&it, NULL, &value))
    ((Loading *)value)->queued = FALSE;
  g_mutex_lock(&self->lock);
  for (GList *l = self->jobs.head; l != NULL; l = l->next) {
    Loading *ld = g_hash_table_lookup(self->loading, GINT_TO_POINTER(((Job *)l->data)->frame));
    if (ld != NULL)
      ld->queued = TRUE;
  }
  g_mutex_unlock(&self->lock);
}

static void
cancel_ready_source(SrFrameCache *self)
{
  if (self->ready_source != NULL) {
    g_source_destroy(self->ready_source);
    g_clear_pointer(&self->ready_source, g_source_unref);
  }
}

static void
clear_all(SrFrameCache *self)
{
  cancel_ready_source(self);
  g_mutex_lock(&self->lock);
  Job *j;
  while ((j = g_queue_pop_head(&self->jobs)) != NULL)
    g_free(j);
  self->gen++;
  g_mutex_unlock(&self->lock);
  g_hash_table_remove_all(self->loading);
  g_hash_table_remove_all(self->entries);
  g_queue_clear(&self->lru);
  self->bytes = 0;
  self->stats.n_frames = 0;
  self->stats.bytes = 0;
}

static void
sr_frame_cache_dispose(GObject *object)
{
  SrFrameCache *self = SR_FRAME_CACHE(object);
  /* Workers hold references until their results are delivered, so by now
   * none is running or queued. */
  if (self->pool != NULL) {
    g_thread_pool_free(self->pool, TRUE, TRUE);
    self->pool = NULL;
  }
  clear_all(self);
  G_OBJECT_CLASS(sr_frame_cache_parent_class)->dispose(object);
}

static void
sr_frame_cache_finalize(GObject *object)
{
  SrFrameCache *self = SR_FRAME_CACHE(object);
  g_hash_table_unref(self->entries);
  g_hash_table_unref(self->loading);
  g_clear_pointer(&self->seq, seq_ref_unref);
  g_mutex_clear(&self->lock);
  g_main_context_unref(self->context);
  G_OBJECT_CLASS(sr_frame_cache_parent_class)->finalize(object);
}

static void
sr_frame_cache_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SrFrameCache *self = SR_FRAME_CACHE(object);
  switch (prop_id) {
  case PROP_CURRENT: g_value_set_int(value, self->current); break;
  case PROP_BUDGET: g_value_set_uint64(value, self->budget); break;
  case PROP_PREFETCH: g_value_set_uint(value, self->prefetch); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void
sr_frame_cache_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SrFrameCache *self = SR_FRAME_CACHE(object);
  switch (prop_id) {
  case PROP_BUDGET: sr_frame_cache_set_budget(self, g_value_get_uint64(value)); break;
  case PROP_PREFETCH: sr_frame_cache_set_prefetch(self, g_value_get_uint(value)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void
sr_frame_cache_class_init(SrFrameCacheClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  oc->dispose = sr_frame_cache_dispose;
  oc->finalize = sr_frame_cache_finalize;
  oc->get_property = sr_frame_cache_get_property;
  oc->set_property = sr_frame_cache_set_property;

  props[PROP_CURRENT] = g_param_spec_int("current", NULL, NULL, G_MININT, G_MAXINT, G_MININT,
                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_BUDGET] =
      g_param_spec_uint64("budget", NULL, NULL, 1, G_MAXUINT64, SR_FRAME_CACHE_DEFAULT_BUDGET,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_PREFETCH] =
      g_param_spec_uint("prefetch", NULL, NULL, 0, 64, 2,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties(oc, N_PROPS, props);

  signals[SIGNAL_FRAME_READY] =
      g_signal_new("frame-ready", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                   G_TYPE_NONE, 2, G_TYPE_INT, SR_TYPE_FRAME);
  signals[SIGNAL_FRAME_FAILED] =
      g_signal_new("frame-failed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                   G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
}

static void
sr_frame_cache_init(SrFrameCache *self)
{
  g_mutex_init(&self->lock);
  g_queue_init(&self->jobs);
  g_queue_init(&self->lru);
  self->entries = g_hash_table_new_full(NULL, NULL, NULL, entry_free);
  self->loading = g_hash_table_new_full(NULL, NULL, NULL, loading_free);
  self->budget = SR_FRAME_CACHE_DEFAULT_BUDGET;
  self->prefetch = 2;
  self->current = G_MININT;
  self->previous = G_MININT;
  self->context = g_main_context_ref_thread_default();
  /* Two readers: enough to overlap decode with disk, and the machine's
   * cores are shared with the GUI and any training job. */
  self->pool = g_thread_pool_new(worker_func, NULL, 2, FALSE, NULL);
}

SrFrameCache *
sr_frame_cache_new(guint64 budget_bytes)
{
  SrFrameCache *self = g_object_new(SR_TYPE_FRAME_CACHE, NULL);
  if (budget_bytes > 0)
    self->budget = budget_bytes;
  return self;
}

void
sr_frame_cache_set_sequence(SrFrameCache *self, const sr_sequence *seq)
{
  g_return_if_fail(SR_IS_FRAME_CACHE(self));
  clear_all(self);
  SeqRef *fresh = seq != NULL && seq->pattern != NULL ? seq_ref_new(seq) : NULL;
  g_mutex_lock(&self->lock);
  SeqRef *old = self->seq;
  self->seq = fresh;
  g_mutex_unlock(&self->lock);
  seq_ref_unref(old);
  self->current = G_MININT;
  self->previous = G_MININT;
}

gboolean
sr_frame_cache_open(SrFrameCache *self, const char *pattern_or_file, GError **error)
{
  g_return_val_if_fail(SR_IS_FRAME_CACHE(self), FALSE);
  g_return_val_if_fail(pattern_or_file != NULL, FALSE);
  sr_sequence seq = {0};
  sr_error err = {0};
  gboolean ok;
  if (strchr(pattern_or_file, '%') != NULL || strchr(pattern_or_file, '#') != NULL)
    ok = sr_sequence_open(&seq, pattern_or_file, &err);
  else
    ok = sr_sequence_from_file(&seq, pattern_or_file, &err);
  if (!ok) {
    g_set_error_literal(error, SR_JOB_ERROR, err.code, err.message);
    sr_sequence_clear(&seq);
    return FALSE;
  }
  sr_frame_cache_set_sequence(self, &seq);
  sr_sequence_clear(&seq);
  return TRUE;
}

const sr_sequence *
sr_frame_cache_get_sequence(SrFrameCache *self)
{
  g_return_val_if_fail(SR_IS_FRAME_CACHE(self), NULL);
  return self->seq != NULL ? &self->seq->seq : NULL;
}

static void
touch(SrFrameCache *self, Entry *e)
{
  g_queue_unlink(&self->lru, e->lru_link);
  g_queue_push_head_link(&self->lru, e->lru_link);
}

static gboolean
emit_cached_ready(gpointer data)
{
  SrFrameCache *self = data;
  g_clear_pointer(&self->ready_source, g_source_unref);
  Entry *e = g_hash_table_lookup(self->entries, GINT_TO_POINTER(self->current));
  if (e != NULL) {
    SrFrame *f = sr_frame_ref(e->frame);
    g_signal_emit(self, signals[SIGNAL_FRAME_READY], 0, self->current, f);
    sr_frame_unref(f);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
in_window(int frame, int current, int ahead, int behind, int dir)
{
  int d = frame - current;
  if (dir >= 0)
    return d >= -behind && d <= ahead;
  return d <= behind && d >= -ahead;
}

void
sr_frame_cache_show(SrFrameCache *self, int frame)
{
  g_return_if_fail(SR_IS_FRAME_CACHE(self));
  int dir = self->current == G_MININT
                ? 0
                : (frame > self->current ? 1 : (frame < self->current ? -1 : 0));
  self->previous = self->current;
  self->current = frame;
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CURRENT]);

  int p = (int)self->prefetch;
  /* Twice as far ahead as behind: scrubbing usually keeps its direction. */
  int ahead = dir != 0 ? 2 * p : p;
  int behind = p;

  /* Drop queued reads the user has scrubbed past; loads someone awaits stay. */
  sync_queued_flags(self);
  g_mutex_lock(&self->lock);
  for (GList *l = self->jobs.head; l != NULL;) {
    GList *next = l->next;
    Job *j = l->data;
    Loading *ld = g_hash_table_lookup(self->loading, GINT_TO_POINTER(j->frame));
    gboolean awaited = ld != NULL && ld->tasks != NULL && ld->tasks->len > 0;
    if (!awaited && !in_window(j->frame, frame, ahead, behind, dir)) {
      g_queue_delete_link(&self->jobs, l);
      g_hash_table_remove(self->loading, GINT_TO_POINTER(j->frame));
      g_free(j);
      self->stats.dropped++;
    } else if (!awaited)
      j->priority = ABS(j->frame - frame) + (in_window(j->frame, frame, 0, behind, dir) ? p : 0);
    l = next;
  }
  g_mutex_unlock(&self->lock);

  cancel_ready_source(self);
  Entry *e = g_hash_table_lookup(self->entries, GINT_TO_POINTER(frame));
  if (e != NULL) {
    self->stats.hits++;
    touch(self, e);
    self->ready_source = g_idle_source_new();
    g_source_set_callback(self->ready_source, emit_cached_ready, self, NULL);
    g_source_attach(self->ready_source, self->context);
  } else if (self->seq != NULL)
    queue_load(self, frame, 0);
  else {
    /* Nothing can be read; say so from an idle like a failed read would. */
    g_object_ref(self);
    Delivery *d = g_new0(Delivery, 1);
    d->cache = self;
    d->gen = self->gen;
    d->frame = frame;
    d->had_job = TRUE;
    d->code = SR_ERR_MISSING;
    d->message = g_strdup_printf(_("Frame %d: no sequence is open"), frame);
    GSource *src = g_idle_source_new();
    g_source_set_callback(src, deliver_cb, d, NULL);
    g_source_attach(src, self->context);
    g_source_unref(src);
    return;
  }

  if (self->seq == NULL || p == 0)
    return;
  const sr_sequence *seq = &self->seq->seq;
  for (int k = 1; k <= MAX(ahead, behind); k++) {
    int fwd = dir >= 0 ? frame + k : frame - k;
    int back = dir >= 0 ? frame - k : frame + k;
    if (k <= ahead && sr_sequence_has_frame(seq, fwd) &&
        !g_hash_table_contains(self->entries, GINT_TO_POINTER(fwd)))
      queue_load(self, fwd, k);
    if (k <= behind && sr_sequence_has_frame(seq, back) &&
        !g_hash_table_contains(self->entries, GINT_TO_POINTER(back)))
      queue_load(self, back, k + p);
  }
}

int
sr_frame_cache_get_current(SrFrameCache *self)
{
  g_return_val_if_fail(SR_IS_FRAME_CACHE(self), G_MININT);
  return self->current;
}

SrFrame *
sr_frame_cache_lookup(SrFrameCache *self, int frame)
{
  g_return_val_if_fail(SR_IS_FRAME_CACHE(self), NULL);
  Entry *e = g_hash_table_lookup(self->entries, GINT_TO_POINTER(frame));
  if (e == NULL)
    return NULL;
  touch(self, e);
  return sr_frame_ref(e->frame);
}

void
sr_frame_cache_load_async(SrFrameCache *self, int frame, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail(SR_IS_FRAME_CACHE(self));
  GTask *task = g_task_new(self, cancellable, callback, user_data);
  g_task_set_source_tag(task, sr_frame_cache_load_async);
  Entry *e = g_hash_table_lookup(self->entries, GINT_TO_POINTER(frame));
  if (e != NULL) {
    self->stats.hits++;
    touch(self, e);
    g_task_return_pointer(task, sr_frame_ref(e->frame), (GDestroyNotify)sr_frame_unref);
    g_object_unref(task);
    return;
  }
  if (self->seq == NULL) {
    g_task_return_new_error(task, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                            _("Frame %d: no sequence is open"), frame);
    g_object_unref(task);
    return;
  }
  Loading *l = queue_load(self, frame, -1);
  g_ptr_array_add(l->tasks, task);
}

SrFrame *
sr_frame_cache_load_finish(SrFrameCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail(g_task_is_valid(result, self), NULL);
  return g_task_propagate_pointer(G_TASK(result), error);
}

void
sr_frame_cache_set_prefetch(SrFrameCache *self, guint n_frames)
{
  g_return_if_fail(SR_IS_FRAME_CACHE(self));
  n_frames = MIN(n_frames, 64u);
  if (self->prefetch == n_frames)
    return;
  self->prefetch = n_frames;
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_PREFETCH]);
}

void
sr_frame_cache_set_budget(SrFrameCache *self, guint64 budget_bytes)
{
  g_return_if_fail(SR_IS_FRAME_CACHE(self));
  if (budget_bytes == 0)
    budget_bytes = SR_FRAME_CACHE_DEFAULT_BUDGET;
  if (self->budget == budget_bytes)
    return;
  self->budget = budget_bytes;
  evict(self);
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BUDGET]);
}

guint64
sr_frame_cache_get_budget(SrFrameCache *self)
{
  g_return_val_if_fail(SR_IS_FRAME_CACHE(self), 0);
  return self->budget;
}

void
sr_frame_cache_clear(SrFrameCache *self)
{
  g_return_if_fail(SR_IS_FRAME_CACHE(self));
  g_hash_table_remove_all(self->entries);
  g_queue_clear(&self->lru);
  self->bytes = 0;
  self->stats.n_frames = 0;
  self->stats.bytes = 0;
}

void
sr_frame_cache_invalidate(SrFrameCache *self, int frame)
{
  g_return_if_fail(SR_IS_FRAME_CACHE(self));
  Entry *e = g_hash_table_lookup(self->entries, GINT_TO_POINTER(frame));
  if (e == NULL)
    return;
  self->bytes -= sr_frame_get_size(e->frame);
  g_queue_delete_link(&self->lru, e->lru_link);
  g_hash_table_remove(self->entries, GINT_TO_POINTER(frame));
  self->stats.n_frames = g_hash_table_size(self->entries);
  self->stats.bytes = self->bytes;
}

void
sr_frame_cache_get_stats(SrFrameCache *self, SrFrameCacheStats *out)
{
  g_return_if_fail(SR_IS_FRAME_CACHE(self));
  *out = self->stats;
}
