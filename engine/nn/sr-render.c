/* Stage 4 render pipeline: reader pool → network on the calling thread →
 * writer pool, joined by bounded queues. */
#include "sr-render.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sr-fs.h"
#include "sr-i18n.h"

/* How often a reader looks again at a frame another process is rendering. */
#define CLAIM_POLL_US 20000

typedef struct render_job {
  int frame;
  sr_image *image;
  char *out_path;
  sr_claim claim; /* held from the completeness check until written */
  double t0;
} render_job;

typedef struct job_queue {
  render_job **items;
  int cap, head, count;
  bool closed;
  pthread_cond_t not_empty, not_full;
} job_queue;

typedef struct render_state {
  sr_model *model;
  const sr_sequence *seq;
  const sr_render_options *opts;
  const sr_render_callbacks *cb;
  pthread_mutex_t lock; /* guards everything below and both queues */
  job_queue in, out;
  int next_frame;
  int readers_left;
  bool stop;
  bool failed;
  sr_error first_error;
  int rendered, skipped, failed_frames, done, total;
  int *missing;
  int n_missing;
  int *unreadable; /* Source frames that could not be read, in any order */
  int n_unreadable;
  double t_start;
} render_state;

static double
now_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
job_free(render_job *j)
{
  if (!j)
    return;
  sr_image_free(j->image);
  free(j->out_path);
  sr_claim_release(&j->claim);
  free(j);
}

static bool
queue_init(job_queue *q, int cap)
{
  memset(q, 0, sizeof *q);
  q->items = calloc((size_t)cap, sizeof *q->items);
  if (!q->items)
    return false;
  q->cap = cap;
  pthread_cond_init(&q->not_empty, NULL);
  pthread_cond_init(&q->not_full, NULL);
  return true;
}

static void
queue_destroy(job_queue *q)
{
  for (int i = 0; i < q->count; i++)
    job_free(q->items[(q->head + i) % q->cap]);
  free(q->items);
  pthread_cond_destroy(&q->not_empty);
  pthread_cond_destroy(&q->not_full);
}

/* Both with s->lock held. push takes ownership (frees the job when stopped). */
static void
queue_push(render_state *s, job_queue *q, render_job *j)
{
  while (q->count == q->cap && !s->stop)
    pthread_cond_wait(&q->not_full, &s->lock);
  if (s->stop) {
    job_free(j);
    return;
  }
  q->items[(q->head + q->count) % q->cap] = j;
  q->count++;
  pthread_cond_signal(&q->not_empty);
}

static render_job *
queue_pop(render_state *s, job_queue *q)
{
  while (q->count == 0 && !q->closed && !s->stop)
    pthread_cond_wait(&q->not_empty, &s->lock);
  if (s->stop || q->count == 0)
    return NULL;
  render_job *j = q->items[q->head];
  q->head = (q->head + 1) % q->cap;
  q->count--;
  pthread_cond_signal(&q->not_full);
  return j;
}

static void
queue_close(job_queue *q)
{
  q->closed = true;
  pthread_cond_broadcast(&q->not_empty);
}

/* With s->lock held: wakes every waiting thread so the pipeline drains. */
static void
stop_locked(render_state *s)
{
  s->stop = true;
  pthread_cond_broadcast(&s->in.not_empty);
  pthread_cond_broadcast(&s->in.not_full);
  pthread_cond_broadcast(&s->out.not_empty);
  pthread_cond_broadcast(&s->out.not_full);
}

static bool
cancelled(const render_state *s)
{
  return s->cb && s->cb->cancel && atomic_load(s->cb->cancel);
}

static bool
stopping(render_state *s)
{
  pthread_mutex_lock(&s->lock);
  bool stop = s->stop || cancelled(s);
  pthread_mutex_unlock(&s->lock);
  return stop;
}

/* Records a Source frame that cannot be read; the others still render. */
static void
skip_unreadable(render_state *s, int frame, const sr_error *e)
{
  pthread_mutex_lock(&s->lock);
  s->failed_frames++;
  s->unreadable[s->n_unreadable++] = frame;
  s->done++;
  if (s->cb && s->cb->frame_error)
    s->cb->frame_error(s->cb->user, frame, e);
  pthread_mutex_unlock(&s->lock);
}

/* Records a frame's failure in writing or in the network; the first one
 * stops the pipeline, since the frames after it would fail alike. */
static void
fail_frame(render_state *s, int frame, const sr_error *e)
{
  pthread_mutex_lock(&s->lock);
  s->failed_frames++;
  if (!s->failed) {
    s->failed = true;
    s->first_error = *e;
  }
  if (s->cb && s->cb->frame_error)
    s->cb->frame_error(s->cb->user, frame, e);
  stop_locked(s);
  pthread_mutex_unlock(&s->lock);
}

static void
finish_frame(render_state *s, int frame, sr_render_frame_status st, const char *path, double t0)
{
  pthread_mutex_lock(&s->lock);
  s->done++;
  if (st == SR_RENDER_FRAME_RENDERED)
    s->rendered++;
  else if (st == SR_RENDER_FRAME_SKIPPED)
    s->skipped++;
  if (s->cb && s->cb->progress) {
    double now = now_seconds(), el = now - s->t_start;
    sr_render_progress p = {
        .frame = frame,
        .status = st,
        .path = path,
        .done = s->done,
        .total = s->total,
        .rendered = s->rendered,
        .skipped = s->skipped,
        .missing = s->n_missing,
        .frames_per_second = el > 0 ? s->rendered / el : 0.0,
        .eta_seconds = NAN,
        .frame_seconds = st == SR_RENDER_FRAME_RENDERED ? now - t0 : 0.0,
    };
    if (p.frames_per_second > 0)
      p.eta_seconds = (s->total - s->done) / p.frames_per_second;
    s->cb->progress(s->cb->user, &p);
  }
  pthread_mutex_unlock(&s->lock);
}

bool
sr_render_output_complete(const char *out_path, int width, int height, const char *model_id)
{
  return sr_render_output_complete_grain(out_path, width, height, model_id, NULL);
}

bool
sr_render_output_complete_grain(const char *out_path, int width, int height, const char *model_id,
                                const char *grain_attr)
{
  sr_image_info info;
  if (!sr_image_read_info(out_path, &info, NULL))
    return false;
  if (info.width != width || info.height != height)
    return false;
  if (info.format != SR_FORMAT_EXR || !model_id)
    return true;
  /* Reading every pixel also proves the file is not truncated. */
  sr_image *img = sr_image_read(out_path, NULL);
  if (!img)
    return false;
  const char *id = sr_image_get_attribute(img, SR_RENDER_MODEL_ID_ATTR);
  const char *grain = sr_image_get_attribute(img, SR_RENDER_GRAIN_ATTR);
  bool same = id && strcmp(id, model_id) == 0;
  same = same && (grain_attr ? grain && strcmp(grain, grain_attr) == 0 : !grain);
  sr_image_free(img);
  return same;
}

sr_image *
sr_render_frame(sr_unet *net, const sr_image *source, const sr_prep_settings *prep,
                const sr_infer_options *opts, const sr_regrain *g, int frame, sr_error *err)
{
  if (!g)
    return sr_infer_frame(net, source, prep, opts, err);
  sr_image *input = sr_prep_source(source, prep, err);
  if (!input)
    return NULL;
  sr_image *dy = sr_infer_delta(net, input, opts, err);
  bool ok = dy && sr_regrain_add(g, frame, input->pixels, sr_ycbcr_coefficients(prep->matrix),
                                 input->width, input->height, dy->pixels, err);
  sr_image_free(input);
  sr_image *out = ok ? sr_merge_recovered(source, dy, prep, err) : NULL;
  sr_image_free(dy);
  return out;
}

static int
cmp_int(const void *a, const void *b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static void *
reader_main(void *arg)
{
  render_state *s = arg;
  for (;;) {
    pthread_mutex_lock(&s->lock);
    if (cancelled(s))
      stop_locked(s);
    int f = s->next_frame;
    bool go = !s->stop && f <= s->opts->last;
    if (go)
      s->next_frame++;
    pthread_mutex_unlock(&s->lock);
    if (!go)
      break;

    double t0 = now_seconds();
    char *src_path = sr_sequence_frame_path(s->seq, f);
    char *out_path = sr_pattern_format(s->opts->output_pattern, f);
    sr_error e = {0};
    sr_image_info si;
    if (!src_path || !out_path) {
      sr_error_set(&e, SR_ERR_INVALID,
                   SR_("frame %d: the output pattern %s is not a frame pattern"), f,
                   s->opts->output_pattern);
      fail_frame(s, f, &e);
      free(src_path);
      free(out_path);
      break;
    }
    if (!sr_sequence_frame_info(s->seq, f, &si, &e)) {
      if (e.code == SR_ERR_MISSING && s->opts->skip_missing) {
        pthread_mutex_lock(&s->lock);
        s->missing[s->n_missing++] = f;
        pthread_mutex_unlock(&s->lock);
        finish_frame(s, f, SR_RENDER_FRAME_MISSING, out_path, t0);
      } else {
        sr_error me = {0};
        if (e.code == SR_ERR_MISSING)
          sr_error_set(&me, SR_ERR_MISSING,
                       SR_("Source frame %d is missing (%s): restore it, or "
                           "render with --skip-missing to leave it out"),
                       f, src_path);
        else
          sr_error_set(&me, e.code, SR_("Source frame %d: %s"), f, e.message);
        if (e.code == SR_ERR_MISSING)
          fail_frame(s, f, &me);
        else
          skip_unreadable(s, f, &me);
      }
      free(src_path);
      free(out_path);
      continue;
    }
    /* Render-farm processes sharing the folder take each frame in turn: the
     * first renders it, the others then find it complete. Frames are
     * claimed in increasing order and a claim's job never waits for
     * another claim, so processes cannot deadlock. */
    sr_claim claim;
    int got;
    while ((got = sr_claim_try(&claim, out_path, &e)) == 0 && !stopping(s))
      usleep(CLAIM_POLL_US);
    if (got != 1) {
      if (got < 0) {
        sr_error_prefix(&e, SR_("frame %d: "), f);
        fail_frame(s, f, &e);
      }
      free(src_path);
      free(out_path);
      continue;
    }
    if (sr_render_output_complete_grain(out_path, si.width, si.height, s->model->meta.model_id,
                                        s->opts->regrain ? s->opts->grain_attr : NULL)) {
      finish_frame(s, f, SR_RENDER_FRAME_SKIPPED, out_path, t0);
      sr_claim_release(&claim);
      free(src_path);
      free(out_path);
      continue;
    }
    sr_image *img = sr_sequence_is_movie(s->seq) ? sr_sequence_read(s->seq, f, &e)
                                                 : sr_image_read(src_path, &e);
    free(src_path);
    if (!img) {
      sr_error_prefix(&e, SR_("Source frame %d: "), f);
      skip_unreadable(s, f, &e);
      sr_claim_release(&claim);
      free(out_path);
      continue;
    }
    render_job *j = calloc(1, sizeof *j);
    if (!j) {
      sr_image_free(img);
      sr_claim_release(&claim);
      free(out_path);
      sr_error_set(&e, SR_ERR_NOMEM, SR_("frame %d: out of memory"), f);
      fail_frame(s, f, &e);
      continue;
    }
    *j = (render_job){.frame = f, .image = img, .out_path = out_path, .claim = claim, .t0 = t0};
    pthread_mutex_lock(&s->lock);
    queue_push(s, &s->in, j);
    pthread_mutex_unlock(&s->lock);
  }
  pthread_mutex_lock(&s->lock);
  if (--s->readers_left == 0)
    queue_close(&s->in);
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

static void *
writer_main(void *arg)
{
  render_state *s = arg;
  for (;;) {
    pthread_mutex_lock(&s->lock);
    if (cancelled(s))
      stop_locked(s);
    render_job *j = queue_pop(s, &s->out);
    pthread_mutex_unlock(&s->lock);
    if (!j)
      break;
    sr_write_options wo = s->opts->write;
    wo.write_alpha = j->image->channels == 4;
    sr_error e = {0};
    if (sr_image_write(j->out_path, j->image, &wo, &e)) {
      finish_frame(s, j->frame, SR_RENDER_FRAME_RENDERED, j->out_path, j->t0);
    } else {
      sr_error_prefix(&e, SR_("frame %d: "), j->frame);
      fail_frame(s, j->frame, &e);
    }
    job_free(j);
  }
  return NULL;
}

void
sr_render_options_init(sr_render_options *o)
{
  memset(o, 0, sizeof *o);
  sr_write_options_init(&o->write);
  sr_infer_options_init(&o->infer);
}

void
sr_render_result_clear(sr_render_result *r)
{
  if (!r)
    return;
  free(r->missing);
  memset(r, 0, sizeof *r);
}

/* Whether a file name is the output of a frame in this run's range. */
static bool
frame_in_range(const char *name, void *user)
{
  const sr_render_options *opts = user;
  const char *base = strrchr(opts->output_pattern, '/');
  base = base ? base + 1 : opts->output_pattern;
  for (const char *p = name; *p; p++) {
    if (*p < '0' || *p > '9' || (p > name && p[-1] >= '0' && p[-1] <= '9'))
      continue;
    long f = strtol(p, NULL, 10);
    if (f < opts->first || f > opts->last)
      continue;
    char *expected = sr_pattern_format(base, (int)f);
    bool match = expected && strcmp(expected, name) == 0;
    free(expected);
    if (match)
      return true;
  }
  return false;
}

bool
sr_render_refuse_inputs(const sr_sequence *source, const sr_sequence *reference,
                        const char *output_pattern, int first, int last, sr_error *err)
{
  sr_file_set *inputs = sr_file_set_new();
  bool ok = inputs && sr_file_set_add_sequence(inputs, source, err) &&
            (!reference || sr_file_set_add_sequence(inputs, reference, err)) &&
            sr_file_set_refuse_pattern(inputs, output_pattern, first, last, err);
  if (!inputs)
    sr_error_set(err, SR_ERR_NOMEM, SR_("render: out of memory"));
  sr_file_set_free(inputs);
  return ok;
}

/* The run's error when Source frames could not be read: each was reported
 * on its own; this names them together and says the rest is done. */
static void
unreadable_error(const render_state *s, bool cancelled_too, sr_error *err)
{
  char list[256] = "";
  size_t len = 0;
  int listed = 0;
  for (; listed < s->n_unreadable && len + 16 < sizeof list; listed++)
    len += (size_t)snprintf(list + len, sizeof list - len, "%s%d", listed ? ", " : "",
                            s->unreadable[listed]);
  if (listed < s->n_unreadable)
    snprintf(list + len, sizeof list - len, ", ...");
  if (cancelled_too)
    sr_error_set(err, SR_ERR_CANCELLED,
                 SR_("render stopped; %d Source frames could not be read (%s): replace them and "
                     "run the render again to finish"),
                 s->n_unreadable, list);
  else
    sr_error_set(err, SR_ERR_IO,
                 SR_("%d of %d Source frames could not be read (%s); every other frame was "
                     "rendered. Replace those frames and run the render again to finish them"),
                 s->n_unreadable, s->total, list);
}

bool
sr_render_run(sr_model *model, const sr_sequence *seq, const sr_render_options *opts,
              const sr_render_callbacks *cb, sr_render_result *result, sr_error *err)
{
  if (result)
    memset(result, 0, sizeof *result);
  if (!model || !seq || !opts || !opts->output_pattern) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("render: a model, a Source sequence and an output "
                     "pattern are required"));
    return false;
  }
  if (opts->regrain && (!opts->grain_attr || !*opts->grain_attr)) {
    sr_error_set(err, SR_ERR_INVALID, SR_("render: a grain plan needs its description"));
    return false;
  }
  if (opts->last < opts->first) {
    sr_error_set(err, SR_ERR_INVALID, SR_("render: empty frame range %d-%d"), opts->first,
                 opts->last);
    return false;
  }
  char *probe = sr_pattern_format(opts->output_pattern, opts->first);
  if (!probe) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("render: output %s is not a frame pattern (use "
                     "name.%%04d.exr or name.####.exr)"),
                 opts->output_pattern);
    return false;
  }
  free(probe);
  if (!sr_render_refuse_inputs(seq, opts->reference, opts->output_pattern, opts->first, opts->last,
                               err))
    return false;
  probe = sr_pattern_format(opts->output_pattern, opts->first);
  char *dir = probe ? sr_path_dirname(probe) : NULL;
  bool dir_ok = dir && sr_mkdir_p(dir, err);
  /* A folder we cannot write is found now, not after the network ran. */
  char *tmp = dir_ok ? sr_atomic_temp_name(probe, err) : NULL;
  free(probe);
  if (tmp)
    unlink(tmp);
  dir_ok = dir_ok && tmp;
  free(tmp);
  if (dir_ok) {
    /* A temporary left by a killed run is never a finished frame. Only those
     * of this run's frames go: on a render farm other tasks are writing
     * their own frames into the same folder right now, and a task over the
     * same frames may be writing one of ours (locked, so it stays). */
    sr_fs_remove_stale_temps_owned(dir, frame_in_range, (void *)opts);
  } else if (err) {
    sr_error_prefix(err, SR_("render: output folder: "));
  }
  free(dir);
  if (!dir_ok)
    return false;
  /* The Source's domain (with an OCIO space, its processors) is built once
   * here and used for every frame. */
  sr_prep_settings prep = model->meta.prep;
  sr_domain *domain = sr_prep_domain_new(&prep, true, err);
  if (!domain)
    return false;
  prep.source_domain = domain;

  int n_readers = opts->readers > 0 ? opts->readers : 2;
  int n_writers = opts->writers > 0 ? opts->writers : 2;
  int depth = opts->queue_depth > 0 ? opts->queue_depth : 2;
  render_state s = {
      .model = model,
      .seq = seq,
      .opts = opts,
      .cb = cb,
      .next_frame = opts->first,
      .readers_left = n_readers,
      .total = opts->last - opts->first + 1,
      .t_start = now_seconds(),
  };
  s.missing = calloc((size_t)s.total, sizeof *s.missing);
  s.unreadable = calloc((size_t)s.total, sizeof *s.unreadable);
  pthread_mutex_init(&s.lock, NULL);
  bool ok_init = s.missing && s.unreadable && queue_init(&s.in, depth);
  ok_init = ok_init && queue_init(&s.out, depth);
  pthread_t *threads = ok_init ? calloc((size_t)(n_readers + n_writers), sizeof *threads) : NULL;
  if (!threads) {
    if (s.in.items)
      queue_destroy(&s.in);
    if (s.out.items)
      queue_destroy(&s.out);
    pthread_mutex_destroy(&s.lock);
    free(s.missing);
    sr_domain_free(domain);
    free(s.unreadable);
    sr_error_set(err, SR_ERR_NOMEM, SR_("render: out of memory"));
    return false;
  }
  int started = 0;
  for (int i = 0; i < n_readers + n_writers; i++) {
    if (pthread_create(&threads[i], NULL, i < n_readers ? reader_main : writer_main, &s) != 0)
      break;
    started++;
  }
  if (started < n_readers + n_writers) {
    sr_error e = {0};
    sr_error_set(&e, SR_ERR_NOMEM, SR_("render: could not start the pipeline threads"));
    pthread_mutex_lock(&s.lock);
    s.readers_left -= n_readers - (started < n_readers ? started : n_readers);
    if (!s.failed) {
      s.failed = true;
      s.first_error = e;
    }
    stop_locked(&s);
    pthread_mutex_unlock(&s.lock);
  }

  /* The network runs here, one frame at a time. */
  for (;;) {
    pthread_mutex_lock(&s.lock);
    if (cancelled(&s))
      stop_locked(&s);
    render_job *j = queue_pop(&s, &s.in);
    pthread_mutex_unlock(&s.lock);
    if (!j)
      break;
    sr_error e = {0};
    sr_image *rec =
        sr_render_frame(model->net, j->image, &prep, &opts->infer, opts->regrain, j->frame, &e);
    bool ok = rec != NULL;
    ok = ok && sr_image_set_attribute(rec, SR_RENDER_MODEL_ID_ATTR, model->meta.model_id, &e);
    if (ok && opts->regrain)
      ok = sr_image_set_attribute(rec, SR_RENDER_GRAIN_ATTR, opts->grain_attr, &e);
    if (ok && opts->checkpoint_path)
      ok = sr_image_set_attribute(rec, SR_RENDER_CHECKPOINT_ATTR, opts->checkpoint_path, &e);
    if (!ok) {
      sr_error_prefix(&e, SR_("frame %d: "), j->frame);
      fail_frame(&s, j->frame, &e);
      sr_image_free(rec);
      job_free(j);
      continue;
    }
    sr_image_free(j->image);
    j->image = rec;
    pthread_mutex_lock(&s.lock);
    queue_push(&s, &s.out, j);
    pthread_mutex_unlock(&s.lock);
  }
  pthread_mutex_lock(&s.lock);
  queue_close(&s.out);
  pthread_mutex_unlock(&s.lock);
  for (int i = 0; i < started; i++)
    pthread_join(threads[i], NULL);
  free(threads);

  bool was_cancelled = cancelled(&s) && !s.failed && s.done < s.total;
  double secs = now_seconds() - s.t_start;
  qsort(s.missing, (size_t)s.n_missing, sizeof *s.missing, cmp_int);
  if (result) {
    result->total = s.total;
    result->rendered = s.rendered;
    result->skipped = s.skipped;
    result->failed = s.failed_frames;
    result->cancelled = was_cancelled;
    result->seconds = secs;
    result->frames_per_second = secs > 0 ? s.rendered / secs : 0.0;
    result->n_missing = s.n_missing;
    result->missing = s.missing;
    s.missing = NULL;
  }
  free(s.missing);
  queue_destroy(&s.in);
  queue_destroy(&s.out);
  pthread_mutex_destroy(&s.lock);
  sr_domain_free(domain);
  qsort(s.unreadable, (size_t)s.n_unreadable, sizeof *s.unreadable, cmp_int);
  bool failed = s.failed, some_unreadable = s.n_unreadable > 0;
  if (some_unreadable && !failed)
    unreadable_error(&s, was_cancelled, err);
  free(s.unreadable);
  if (failed) {
    if (err)
      *err = s.first_error;
    return false;
  }
  if (some_unreadable)
    return false;
  if (was_cancelled) {
    sr_error_set(err, SR_ERR_CANCELLED,
                 SR_("render stopped after %d of %d frames; run it again "
                     "to continue"),
                 s.done, s.total);
    return false;
  }
  return true;
}
