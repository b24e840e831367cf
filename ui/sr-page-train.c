/* sr-page-train.c — the Train page (see sr-page-train.h): the run in an
 * SrJob and the log its worker fills, the loss curve and checkpoint list it
 * feeds, the checkpoints already on disk and the training data facts. The
 * settings form is in sr-page-train-form.c, the estimate and devices in
 * sr-page-train-estimate.c, the curve in sr-loss-plot.c. */
#include "sr-page-train-private.h"

#include <math.h>
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <glib/gi18n.h>

#include "sr-backend.h"
#include "sr-checkpoint.h"
#include "sr-io.h"
#include "sr-metrics.h"
#include "sr-train-gallery.h"
#include "sr-train.h"
#include "sr-training-runs.h"
#include "sr-training.h"
#include "sr-ui-util.h"

static void
ckpt_row_clear(gpointer p)
{
  g_free(((CkptRow *)p)->path);
}

static void
step_file_clear(gpointer p)
{
  g_free(((StepFile *)p)->path);
}

static GArray *
ckpt_array_new(void)
{
  GArray *a = g_array_new(FALSE, FALSE, sizeof(CkptRow));
  g_array_set_clear_func(a, ckpt_row_clear);
  return a;
}

static GArray *
step_file_array_new(void)
{
  GArray *a = g_array_new(FALSE, FALSE, sizeof(StepFile));
  g_array_set_clear_func(a, step_file_clear);
  return a;
}

/* ---- compute at a lower priority ------------------------------------------------- */


typedef struct {
  NicedFunc func;
  gpointer data;
} Niced;

static gpointer
niced_main(gpointer p)
{
  Niced *n = p;
#ifdef __linux__
  /* A Linux thread id names one thread, and the compute threads this one
   * starts inherit its nice value: training yields the cores to the window
   * (and its renderer) whenever they want them, and still takes all of them
   * otherwise. A fresh thread, because an unprivileged process cannot raise
   * a pool thread's priority back afterwards. */
  setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
#endif
  return GINT_TO_POINTER(n->func(n->data));
}

gboolean
sr_page_train_run_niced(const char *name, NicedFunc func, gpointer data)
{
  Niced n = {func, data};
  return GPOINTER_TO_INT(g_thread_join(g_thread_new(name, niced_main, &n)));
}

static TrainLog *
train_log_new(void)
{
  TrainLog *l = g_atomic_rc_box_new0(TrainLog);
  g_mutex_init(&l->lock);
  l->points = g_array_new(FALSE, FALSE, sizeof(SrLossPoint));
  l->ckpts = ckpt_array_new();
  l->sheets = step_file_array_new();
  l->previews = step_file_array_new();
  atomic_init(&l->pause, false);
  return l;
}

static void
train_log_clear(gpointer p)
{
  TrainLog *l = p;
  g_array_unref(l->points);
  g_array_unref(l->ckpts);
  g_array_unref(l->sheets);
  g_array_unref(l->previews);
  g_mutex_clear(&l->lock);
}

static void
train_log_unref(gpointer p)
{
  g_atomic_rc_box_release_full(p, train_log_clear);
}

typedef struct {
  TrainLog *log;
  SrProject *copy; /* what the worker trains, read off the main thread */
  char *out_dir, *resume;
  SrTrainingResult result;
  SrJob *job; /* the job running this, while it runs */
} TrainJob;

static void
train_job_free(gpointer p)
{
  TrainJob *j = p;
  train_log_unref(j->log);
  g_clear_object(&j->copy);
  g_free(j->out_dir);
  g_free(j->resume);
  g_free(j);
}

/* ---- the page ------------------------------------------------------------------ */

G_DEFINE_FINAL_TYPE(SrPageTrain, sr_page_train, SR_TYPE_STAGE_PAGE)


SrProject *
sr_page_train_project_of(SrPageTrain *self)
{
  return sr_stage_page_get_project(SR_STAGE_PAGE(self));
}

static void rebuild_rows(SrPageTrain *self);

/* "1001, 1012, 1030" or "none". */
static char *
frames_text(const GArray *frames)
{
  GString *s = g_string_new(NULL);

  for (guint i = 0; i < frames->len; i++)
    g_string_append_printf(s, "%s%d", i ? ", " : "", g_array_index(frames, int, i));
  if (frames->len == 0)
    g_string_append(s, _("none"));
  return g_string_free(s, FALSE);
}

/* "about 2 h 10 min" for a duration in seconds. */
char *
sr_page_train_duration_text(double seconds)
{
  if (!(seconds >= 0) || seconds > 1e9)
    return g_strdup(_("unknown"));
  if (seconds < 60)
    return g_strdup(_("under a minute"));
  long minutes = lround(seconds / 60);
  if (minutes < 60)
    return g_strdup_printf(_("about %ld min"), minutes);
  long hours = minutes / 60;
  if (hours < 48)
    return g_strdup_printf(_("about %ld h %02ld min"), hours, minutes % 60);
  return g_strdup_printf(_("about %ld days %ld h"), hours / 24, hours % 24);
}

gboolean
sr_page_train_is_running(SrPageTrain *self)
{
  return self->job && sr_job_get_state(self->job) <= SR_JOB_STATE_PAUSED;
}

/* ---- checkpoints already on disk ------------------------------------------------ */

typedef struct {
  char *out_dir, *source;
  int preview;
  GArray *rows;   /* of CkptRow, newest first */
  GArray *points; /* of SrLossPoint, from the run's loss log */
  char *preview_path;
  gboolean has_dir;
} Scan;

static void
scan_free(gpointer p)
{
  Scan *s = p;
  g_free(s->out_dir);
  g_free(s->source);
  g_free(s->preview_path);
  if (s->rows)
    g_array_unref(s->rows);
  if (s->points)
    g_array_unref(s->points);
  g_free(s);
}

static int
row_newest_first(gconstpointer a, gconstpointer b)
{
  gint64 sa = ((const CkptRow *)a)->step, sb = ((const CkptRow *)b)->step;
  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

static void
scan_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Scan *s = data;
  g_autofree char *dir = g_build_filename(s->out_dir, "checkpoints", NULL);
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;

  s->rows = ckpt_array_new();
  s->has_dir = g_file_test(s->out_dir, G_FILE_TEST_IS_DIR);
  while (d && (name = g_dir_read_name(d)) && !g_cancellable_is_cancelled(cancellable)) {
    if (!g_str_has_prefix(name, "step_") || !g_str_has_suffix(name, ".safetensors"))
      continue;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    sr_checkpoint_meta meta;
    sr_error err = {0};
    sr_checkpoint_meta_init(&meta);
    /* A damaged or foreign file is not listed: nothing could resume from it. */
    if (sr_checkpoint_read_meta(path, &meta, &err)) {
      CkptRow row = {meta.step, meta.loss, meta.psnr_before, meta.psnr_after, g_strdup(path), {0}};
      g_strlcpy(row.model_id, meta.model_id, sizeof row.model_id);
      g_array_append_val(s->rows, row);
    }
    sr_checkpoint_meta_clear(&meta);
  }
  if (d)
    g_dir_close(d);
  g_array_sort(s->rows, row_newest_first);
  s->points = sr_page_train_read_loss_log(s->out_dir);
  if (s->preview >= 0 && s->source) {
    sr_sequence seq = {0};
    if (sr_sequence_open(&seq, s->source, NULL) && sr_sequence_has_frame(&seq, s->preview))
      s->preview_path = sr_sequence_frame_path(&seq, s->preview);
    sr_sequence_clear(&seq);
  }
  g_task_return_boolean(task, TRUE);
}

/* The curve starts again from the points kept. */
static void
reset_plot(SrPageTrain *self)
{
  if (self->plot)
    sr_loss_plot_set_points(SR_LOSS_PLOT(self->plot), self->points);
}

/* The checkpoint rows, marked on the curve. */
static void
update_plot_marks(SrPageTrain *self)
{
  if (!self->plot)
    return;
  g_autoptr(GArray) marks = g_array_sized_new(FALSE, FALSE, sizeof(SrLossMark), self->rows->len);

  for (guint i = 0; i < self->rows->len; i++) {
    const CkptRow *r = &g_array_index(self->rows, CkptRow, i);
    SrLossMark m = {r->step, r->loss_avg, r->psnr_after};
    g_array_append_val(marks, m);
  }
  sr_loss_plot_set_marks(SR_LOSS_PLOT(self->plot), (const SrLossMark *)(const void *)marks->data,
                         marks->len);
}

static void
on_scan_done(GObject *source, GAsyncResult *res, gpointer user)
{
  GTask *task = G_TASK(res);
  SrPageTrain *self = SR_PAGE_TRAIN(source);
  Scan *s = g_task_get_task_data(task);

  if (!g_task_propagate_boolean(task, NULL) ||
      g_cancellable_is_cancelled(g_task_get_cancellable(task)) ||
      GPOINTER_TO_UINT(user) != self->scan_generation || self->job)
    return;
  g_clear_object(&self->scan_cancel);
  g_array_set_size(self->rows, 0);
  for (guint i = 0; i < s->rows->len; i++) {
    CkptRow r = g_array_index(s->rows, CkptRow, i);
    r.path = g_strdup(r.path);
    g_array_append_val(self->rows, r);
  }
  /* The run's loss log is its history, whoever wrote it (this window
   * before a restart, the command line). */
  g_array_set_size(self->points, 0);
  g_array_append_vals(self->points, s->points->data, s->points->len);
  reset_plot(self);
  sr_page_train_show_run_state(self);
  rebuild_rows(self);
  SrTrainGallery *gallery = SR_TRAIN_GALLERY(self->gallery);
  sr_train_gallery_set_preview_source(gallery, s->preview_path, s->preview_path ? s->preview : -1);
  sr_train_gallery_clear(gallery);
  if (s->has_dir)
    sr_train_gallery_load_dir(gallery, s->out_dir);
  gtk_widget_queue_draw(self->plot);
}

static void
scan_out_dir(SrPageTrain *self)
{
  if (!sr_page_train_project_of(self) || self->job)
    return;
  g_autofree char *out_dir = sr_page_train_get_out_dir(self);
  g_autofree char *source =
      sr_project_resolve_path(sr_page_train_project_of(self),
                              sr_project_get_source_pattern(sr_page_train_project_of(self)));
  int preview = sr_project_get_preview_frame(sr_page_train_project_of(self));
  g_autofree char *key = g_strdup_printf("%s\n%s\n%d", out_dir, source ? source : "", preview);

  if (g_strcmp0(key, self->scanned_key) == 0)
    return;
  g_free(self->scanned_key);
  self->scanned_key = g_steal_pointer(&key);
  if (self->scan_cancel) {
    g_cancellable_cancel(self->scan_cancel);
    g_clear_object(&self->scan_cancel);
  }
  Scan *s = g_new0(Scan, 1);
  s->out_dir = g_steal_pointer(&out_dir);
  s->source = g_steal_pointer(&source);
  s->preview = preview;
  self->scan_generation++;
  self->scan_cancel = g_cancellable_new();
  GTask *task =
      g_task_new(self, self->scan_cancel, on_scan_done, GUINT_TO_POINTER(self->scan_generation));
  g_task_set_task_data(task, s, scan_free);
  g_task_run_in_thread(task, scan_thread);
  g_object_unref(task);
}

/* ---- controls and facts --------------------------------------------------------- */

static void
update_controls(SrPageTrain *self)
{
  gboolean running = sr_page_train_is_running(self);
  gboolean paused = running && sr_job_get_paused(self->job);

  gtk_widget_set_sensitive(self->start_button,
                           !running && sr_page_train_project_of(self) &&
                               sr_project_get_pairs(sr_page_train_project_of(self))->len > 0);
  gtk_widget_set_sensitive(self->pause_button, running);
  gtk_button_set_label(GTK_BUTTON(self->pause_button), paused ? _("Resume") : _("Pause"));
  gtk_widget_set_sensitive(self->stop_button, running);
  for (guint i = 0; i < self->resume_buttons->len; i++)
    gtk_widget_set_sensitive(g_ptr_array_index(self->resume_buttons, i), !running);
  if (running)
    gtk_label_set_text(GTK_LABEL(self->estimate_label),
                       _("Settings are locked while the model trains."));
}

static void
refresh(SrPageTrain *self)
{
  SrProject *p = sr_page_train_project_of(self);

  if (!p)
    return;
  const GArray *pairs = sr_project_get_pairs(p);
  const GArray *held = sr_project_get_held_out(p);
  int preview = sr_project_get_preview_frame(p);
  g_autofree char *pair_list = frames_text(pairs);
  g_autofree char *held_list = frames_text(held);
  g_autofree char *preview_text =
      preview >= 0 ? g_strdup_printf("%d", preview) : g_strdup(_("none"));
  g_autofree char *out_dir = sr_page_train_get_out_dir(self);
  sr_ui_fill_facts(self->facts_data, _("Pairs"), pair_list, _("Held out"), held_list,
                   _("Preview frame"), preview_text, _("Folder"), out_dir, NULL);
  sr_page_train_sync_settings(self);
  update_controls(self);
  scan_out_dir(self);
}

/* ---- worker ------------------------------------------------------------------- */

static void
on_train_progress(void *user, const sr_train_progress *p)
{
  TrainLog *l = ((TrainJob *)user)->log;
  SrLossPoint pt = {p->step, p->loss, p->loss_avg, p->lr};

  g_mutex_lock(&l->lock);
  if (!p->paused)
    g_array_append_val(l->points, pt);
  l->worker_paused = p->paused;
  l->steps_per_second = p->steps_per_second;
  l->eta = p->eta_seconds;
  l->step = p->step;
  l->steps = p->steps;
  g_mutex_unlock(&l->lock);
}

static void
on_train_contact_sheet(void *user, int64_t step, const sr_image *sheet, const char *path)
{
  TrainLog *l = ((TrainJob *)user)->log;
  StepFile f = {step, g_strdup(path)};

  g_mutex_lock(&l->lock);
  g_array_append_val(l->sheets, f);
  g_mutex_unlock(&l->lock);
}

static void
on_train_checkpoint(void *user, const sr_train_eval *e)
{
  TrainLog *l = ((TrainJob *)user)->log;
  CkptRow row = {e->step, e->loss_avg, e->psnr_before, e->psnr_after, g_strdup(e->checkpoint_path),
                 {0}};

  g_strlcpy(row.model_id, e->model_id, sizeof row.model_id);
  g_mutex_lock(&l->lock);
  g_array_append_val(l->ckpts, row);
  if (e->preview_path) {
    StepFile f = {e->step, g_strdup(e->preview_path)};
    g_array_append_val(l->previews, f);
  }
  g_mutex_unlock(&l->lock);
}

typedef struct {
  TrainJob *j;
  const SrTrainingOptions *opts;
  GError **error;
} TrainCall;

static gboolean
train_call(gpointer data)
{
  TrainCall *c = data;
  return sr_training_run(c->j->copy, c->opts, &c->j->result, c->error);
}

static void
on_train_ready(gpointer user, const SrTrainingPlan *plan)
{
  TrainJob *j = user;
  sr_job_set_progress(j->job, 0, j->resume ? _("Resuming…") : _("Training…"));
}

static gboolean
train_job_run(SrJob *job, gpointer data, GError **error)
{
  TrainJob *j = data;
  SrTrainingOptions o;

  j->job = job;
  sr_training_options_init(&o);
  o.out_dir = j->out_dir;
  o.resume = j->resume;
  o.ready = on_train_ready;
  o.callbacks = (sr_train_callbacks){
      .user = j,
      .progress = on_train_progress,
      .contact_sheet = on_train_contact_sheet,
      .checkpoint = on_train_checkpoint,
      .cancel = sr_job_get_cancel_flag(job),
      .pause = &j->log->pause,
  };
  sr_job_set_progress(job, -1, _("Reading the pairs…"));
  TrainCall call = {j, &o, error};
  return sr_page_train_run_niced("sr-train", train_call, &call);
}

/* ---- checkpoint list ------------------------------------------------------------ */

static void
on_use_checkpoint(GtkButton *button, SrPageTrain *self)
{
  const char *path = g_object_get_data(G_OBJECT(button), "path");
  if (sr_page_train_project_of(self) && path)
    sr_project_set_checkpoint(sr_page_train_project_of(self), path);
}

static void
on_resume_checkpoint(GtkButton *button, SrPageTrain *self)
{
  const char *path = g_object_get_data(G_OBJECT(button), "path");
  g_autoptr(GError) error = NULL;
  g_autofree char *copy = g_strdup(path);

  if (copy && !sr_page_train_resume(self, copy, &error))
    sr_ui_show_error(GTK_WIDGET(self), error->message);
}

static GtkWidget *
ckpt_row_widget(SrPageTrain *self, const CkptRow *r, const char *in_use)
{
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget *text = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
  char shrt[SR_MODEL_ID_SHORT + 1];
  g_autofree char *title = NULL;
  g_autofree char *detail = NULL;

  sr_model_id_short(r->model_id, shrt);
  title = g_strdup_printf(_("Step %lld · model %s"), (long long)r->step, shrt);
  if (isnan(r->psnr_after))
    detail = g_strdup_printf(_("loss %.4g · no held-out frames"), r->loss_avg);
  else
    detail = g_strdup_printf(_("loss %.4g · held-out PSNR %.2f → %.2f dB"), r->loss_avg,
                             sr_qa_psnr_display(r->psnr_before), sr_qa_psnr_display(r->psnr_after));
  GtkWidget *t = gtk_label_new(title);
  gtk_label_set_xalign(GTK_LABEL(t), 0);
  gtk_label_set_ellipsize(GTK_LABEL(t), PANGO_ELLIPSIZE_END);
  gtk_widget_set_tooltip_text(t, title);
  gtk_widget_add_css_class(t, "heading");
  GtkWidget *dl = gtk_label_new(detail);
  gtk_label_set_xalign(GTK_LABEL(dl), 0);
  gtk_label_set_ellipsize(GTK_LABEL(dl), PANGO_ELLIPSIZE_END);
  gtk_widget_set_tooltip_text(dl, detail);
  gtk_widget_add_css_class(dl, "dim-label");
  gtk_widget_add_css_class(dl, "numeric");
  gtk_box_append(GTK_BOX(text), t);
  gtk_box_append(GTK_BOX(text), dl);
  gtk_widget_set_hexpand(text, TRUE);
  gtk_widget_set_valign(text, GTK_ALIGN_CENTER);
  gtk_box_append(GTK_BOX(box), text);

  GtkWidget *resume = gtk_button_new_with_label(_("Resume from here"));
  gtk_widget_set_valign(resume, GTK_ALIGN_CENTER);
  g_object_set_data_full(G_OBJECT(resume), "path", g_strdup(r->path), g_free);
  gtk_widget_set_tooltip_text(resume, _("Continue training from this checkpoint to the last "
                                        "step; later checkpoints are written again"));
  g_signal_connect(resume, "clicked", G_CALLBACK(on_resume_checkpoint), self);
  gtk_widget_set_sensitive(resume, !sr_page_train_is_running(self));
  g_ptr_array_add(self->resume_buttons, resume);
  gtk_box_append(GTK_BOX(box), resume);

  if (in_use && g_strcmp0(in_use, r->path) == 0) {
    GtkWidget *used = gtk_label_new(_("Used for rendering"));
    gtk_widget_add_css_class(used, "status-pass");
    gtk_widget_set_size_request(used, 150, -1);
    gtk_box_append(GTK_BOX(box), used);
  } else {
    GtkWidget *use = gtk_button_new_with_label(_("Use for rendering"));
    gtk_widget_set_valign(use, GTK_ALIGN_CENTER);
    gtk_widget_set_size_request(use, 150, -1);
    g_object_set_data_full(G_OBJECT(use), "path", g_strdup(r->path), g_free);
    g_signal_connect(use, "clicked", G_CALLBACK(on_use_checkpoint), self);
    gtk_box_append(GTK_BOX(box), use);
  }
  gtk_widget_set_margin_start(box, 10);
  gtk_widget_set_margin_end(box, 6);
  gtk_widget_set_margin_top(box, 4);
  gtk_widget_set_margin_bottom(box, 4);
  return box;
}

/* Rows change only at checkpoints (rare), so the list is simply rebuilt. */
static void
rebuild_rows(SrPageTrain *self)
{
  GtkWidget *child;
  const char *ck = sr_page_train_project_of(self)
                       ? sr_project_get_checkpoint(sr_page_train_project_of(self))
                       : NULL;
  g_autofree char *in_use = ck ? sr_project_resolve_path(sr_page_train_project_of(self), ck) : NULL;

  while ((child = gtk_widget_get_first_child(self->ckpt_list)))
    gtk_list_box_remove(GTK_LIST_BOX(self->ckpt_list), child);
  g_ptr_array_set_size(self->resume_buttons, 0);
  for (guint i = 0; i < self->rows->len; i++)
    gtk_list_box_append(GTK_LIST_BOX(self->ckpt_list),
                        ckpt_row_widget(self, &g_array_index(self->rows, CkptRow, i), in_use));
  g_autofree char *caption = NULL;
  if (self->rows->len == 0)
    caption =
        g_strdup(_("none yet: one is written every “Checkpoints every” steps and at the end"));
  else
    caption = g_strdup_printf(
        ngettext("%u in the training folder", "%u in the training folder", self->rows->len),
        self->rows->len);
  gtk_label_set_text(GTK_LABEL(self->ckpt_caption), caption);
  gtk_widget_set_visible(self->ckpt_scroller, self->rows->len > 0);
  g_object_set_data_full(G_OBJECT(self->ckpt_list), "in-use", g_strdup(in_use), g_free);
  update_plot_marks(self);
}

/* Inserts a row keeping newest first; a row with the same step replaces it. */
static void
insert_row(SrPageTrain *self, CkptRow *r)
{
  guint at = 0;

  while (at < self->rows->len && g_array_index(self->rows, CkptRow, at).step > r->step)
    at++;
  if (at < self->rows->len && g_array_index(self->rows, CkptRow, at).step == r->step)
    g_array_remove_index(self->rows, at);
  g_array_insert_val(self->rows, at, *r);
  update_plot_marks(self);
}

/* ---- polling the log ------------------------------------------------------------ */

static void
append_points(SrPageTrain *self, GArray *pts)
{
  guint first = self->points->len;

  g_array_append_vals(self->points, pts->data, pts->len);
  sr_loss_plot_points_added(SR_LOSS_PLOT(self->plot), first);
}

static void
poll_log(SrPageTrain *self)
{
  TrainLog *l = self->log;
  GArray *pts, *ckpts, *sheets, *previews;
  g_autofree char *status = NULL;
  double fraction = 0;

  if (!l)
    return;
  g_mutex_lock(&l->lock);
  pts = l->points;
  ckpts = l->ckpts;
  sheets = l->sheets;
  previews = l->previews;
  l->points = g_array_new(FALSE, FALSE, sizeof(SrLossPoint));
  l->ckpts = ckpt_array_new();
  l->sheets = step_file_array_new();
  l->previews = step_file_array_new();
  if (l->steps > 0) {
    int eta = (int)CLAMP(l->eta, 0, 1e7);
    g_autofree char *left = sr_page_train_duration_text(eta);
    sr_loss_plot_set_steps(SR_LOSS_PLOT(self->plot), l->steps);
    status = g_strdup_printf(_("Step %lld of %lld · %.2f steps/s · %s left"), (long long)l->step,
                             (long long)l->steps, l->steps_per_second, left);
    fraction = CLAMP((double)l->step / (double)l->steps, 0.0, 1.0);
  }
  g_mutex_unlock(&l->lock);

  if (status && g_strcmp0(status, self->status_text) != 0) {
    /* The job bar says what the page says, and fills as the run goes. */
    if (self->job)
      sr_job_set_progress(self->job, fraction, status);
    gtk_label_set_text(GTK_LABEL(self->status_label), status);
    g_free(self->status_text);
    self->status_text = g_steal_pointer(&status);
  }
  if (pts->len) {
    append_points(self, pts);
    gtk_widget_queue_draw(self->plot);
  }
  SrTrainGallery *gallery = SR_TRAIN_GALLERY(self->gallery);
  for (guint i = 0; i < sheets->len; i++) {
    StepFile *f = &g_array_index(sheets, StepFile, i);
    sr_train_gallery_add_contact_sheet(gallery, f->step, f->path);
  }
  for (guint i = 0; i < previews->len; i++) {
    StepFile *f = &g_array_index(previews, StepFile, i);
    sr_train_gallery_add_preview(gallery, f->step, f->path);
  }
  if (ckpts->len) {
    for (guint i = 0; i < ckpts->len; i++) {
      CkptRow r = g_array_index(ckpts, CkptRow, i);
      r.path = g_strdup(r.path);
      insert_row(self, &r);
    }
    rebuild_rows(self);
    gtk_widget_queue_draw(self->plot);
  }
  g_array_unref(pts);
  g_array_unref(ckpts);
  g_array_unref(sheets);
  g_array_unref(previews);
}

static gboolean
on_poll(gpointer data)
{
  poll_log(data);
  return G_SOURCE_CONTINUE;
}

static void
on_train_done(GObject *source, GAsyncResult *res, gpointer data)
{
  SrPageTrain *self = data;
  g_autoptr(GError) error = NULL;
  SrJob *job = SR_JOB(source);
  TrainJob *j = sr_job_get_data(job);

  if (self->job == job) {
    g_autoptr(SrJob) keep = g_object_ref(job);
    poll_log(self);
    g_clear_handle_id(&self->poll_id, g_source_remove);
    gboolean ok = sr_job_finish(job, res, &error);
    /* No run any more before the project changes, so what reacts to the new
     * checkpoint sees the run as finished. */
    g_clear_object(&self->job);
    if (ok) {
      if (sr_page_train_project_of(self) && j->result.train.checkpoint_path[0])
        sr_project_set_checkpoint(sr_page_train_project_of(self), j->result.train.checkpoint_path);
      g_autofree char *took = sr_page_train_duration_text(sr_job_get_elapsed(job));
      g_autofree char *done =
          g_strdup_printf(_("Finished at step %lld (%s) on %s."), (long long)j->result.train.step,
                          took, j->result.train.backend);
      gtk_label_set_text(GTK_LABEL(self->status_label), done);
      gtk_widget_set_tooltip_text(self->status_label, done);
    } else if (sr_job_get_state(job) == SR_JOB_STATE_CANCELLED &&
               j->result.train.step <= j->result.train.start_step) {
      /* Stopped before its first step (while the pairs were read): the run
       * on disk is as it was. */
      sr_page_train_show_run_state(self);
    } else if (g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED) ||
               j->result.train.cancelled) {
      g_autofree char *stopped =
          g_strdup_printf(_("Stopped at step %lld; that step was saved as a checkpoint."),
                          (long long)j->result.train.step);
      gtk_label_set_text(GTK_LABEL(self->status_label), stopped);
    } else {
      gtk_label_set_text(GTK_LABEL(self->status_label), error->message);
      sr_ui_show_error(GTK_WIDGET(self), error->message);
    }
    g_clear_pointer(&self->status_text, g_free);
    /* The stage list rechecks when the run is seen to end, after the
     * project names the new checkpoint (a resumed run may edit nothing). */
    sr_stage_page_set_busy(SR_STAGE_PAGE(self), FALSE);
    rebuild_rows(self);
    update_controls(self);
    sr_page_train_schedule_estimate(self);
  }
  g_object_unref(self);
}

char *
sr_page_train_get_out_dir(SrPageTrain *self)
{
  SrProject *project = sr_page_train_project_of(self);
  /* The run started here, while the project's training folder holds it. */
  if (project && self->run_dir) {
    g_autofree char *base = sr_training_default_out_dir(project);
    g_autofree char *parent = g_path_get_dirname(self->run_dir);
    if (g_strcmp0(self->run_dir, base) == 0 || g_strcmp0(parent, base) == 0)
      return g_strdup(self->run_dir);
  }
  if (project)
    return sr_training_current_run_dir(project);
  return g_build_filename(g_get_user_cache_dir(), "spatial-recovery", "training", NULL);
}

static gboolean run(SrPageTrain *self, const char *resume_path, GError **error);

static void
run_after_save(GtkWidget *page, gpointer resume_path)
{
  g_autoptr(GError) error = NULL;
  if (!run(SR_PAGE_TRAIN(page), resume_path, &error))
    sr_ui_show_error(page, error->message);
}

static gboolean
run(SrPageTrain *self, const char *resume_path, GError **error)
{
  SrTrainingSettings t;
  gint64 resume_step = 0;
  /* The path may belong to a row this function is about to drop. */
  g_autofree char *resume = g_strdup(resume_path);

  g_return_val_if_fail(SR_IS_PAGE_TRAIN(self), FALSE);
  if (self->job) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, _("Training is already running."));
    return FALSE;
  }
  if (!sr_page_train_project_of(self) ||
      sr_project_get_pairs(sr_page_train_project_of(self))->len == 0) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No training pairs: add pairs in the Pairs stage first."));
    return FALSE;
  }
  /* The run's folder lies beside the project file: save it first. */
  if (!sr_ui_save_first(GTK_WIDGET(self), run_after_save, g_strdup(resume), g_free))
    return TRUE;
  sr_project_get_training(sr_page_train_project_of(self), &t);
  if (resume) {
    gboolean known = FALSE;
    for (guint i = 0; i < self->rows->len; i++) {
      CkptRow *r = &g_array_index(self->rows, CkptRow, i);
      if (g_strcmp0(r->path, resume) == 0) {
        resume_step = r->step;
        known = TRUE;
      }
    }
    if (!known) {
      g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                  _("%s is not one of the listed checkpoints."), resume);
      return FALSE;
    }
    if (resume_step >= t.steps) {
      g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                  _("The checkpoint is at step %lld and the run ends at step %d: raise Steps "
                    "to continue training from it."),
                  (long long)resume_step, t.steps);
      return FALSE;
    }
  }

  /* A resume continues the checkpoint's own run; a new run gets a folder
   * of its own once the current one holds checkpoints. */
  g_autofree char *ck_dir = resume ? g_path_get_dirname(resume) : NULL;
  g_autofree char *out_dir =
      resume ? g_path_get_dirname(ck_dir) : sr_training_new_run_dir(sr_page_train_project_of(self));
  if (!sr_training_check_out_dir(sr_page_train_project_of(self), out_dir, resume ? resume_step : -1,
                                 error))
    return FALSE;
  SrProject *copy = sr_project_copy_for_thread(sr_page_train_project_of(self), error);
  if (!copy)
    return FALSE;
  TrainJob *j = g_new0(TrainJob, 1);
  j->copy = copy;
  j->out_dir = g_strdup(out_dir);
  j->resume = g_strdup(resume);
  g_free(self->run_dir);
  self->run_dir = g_strdup(out_dir);

  /* Whatever the page was measuring or scanning is stale once a run starts. */
  sr_page_train_cancel_estimate(self);
  if (self->scan_cancel) {
    self->scan_generation++;
    g_cancellable_cancel(self->scan_cancel);
    g_clear_object(&self->scan_cancel);
  }

  if (self->log)
    train_log_unref(self->log);
  self->log = train_log_new();
  j->log = g_atomic_rc_box_acquire(self->log);
  SrTrainGallery *gallery = SR_TRAIN_GALLERY(self->gallery);
  sr_train_gallery_clear(gallery);
  if (resume) {
    /* The history up to the checkpoint stays; what came after is redone. */
    guint keep = 0;
    while (keep < self->points->len &&
           g_array_index(self->points, SrLossPoint, keep).step <= resume_step)
      keep++;
    g_array_set_size(self->points, keep);
    for (guint i = self->rows->len; i-- > 0;)
      if (g_array_index(self->rows, CkptRow, i).step > resume_step)
        g_array_remove_index(self->rows, i);
  } else {
    g_array_set_size(self->points, 0);
    g_array_set_size(self->rows, 0);
  }
  reset_plot(self);
  sr_loss_plot_set_steps(SR_LOSS_PLOT(self->plot), t.steps);
  rebuild_rows(self);
  gtk_widget_queue_draw(self->plot);
  gtk_stack_set_visible_child_name(GTK_STACK(self->view_stack), "loss");
  if (resume) {
    g_autofree char *msg = g_strdup_printf(_("Resuming from step %lld…"), (long long)resume_step);
    gtk_label_set_text(GTK_LABEL(self->status_label), msg);
  } else {
    gtk_label_set_text(GTK_LABEL(self->status_label), _("Starting…"));
  }

  self->job = sr_job_new(_("Training"), train_job_run, j, train_job_free);
  self->poll_id = g_timeout_add(200, on_poll, self);
  sr_ui_run_job(GTK_WIDGET(self), self->job, TRUE, on_train_done, g_object_ref(self));
  sr_stage_page_set_busy(SR_STAGE_PAGE(self), TRUE);
  update_controls(self);
  return TRUE;
}

gboolean
sr_page_train_start(SrPageTrain *self, GError **error)
{
  return run(self, NULL, error);
}

gboolean
sr_page_train_resume(SrPageTrain *self, const char *checkpoint_path, GError **error)
{
  g_return_val_if_fail(checkpoint_path != NULL, FALSE);
  return run(self, checkpoint_path, error);
}

void
sr_page_train_stop(SrPageTrain *self)
{
  if (self->job) {
    atomic_store(&self->log->pause, false);
    sr_job_cancel(self->job);
  }
}

guint
sr_page_train_get_n_loss_points(SrPageTrain *self)
{
  return self->points->len;
}

gboolean
sr_page_train_get_worker_paused(SrPageTrain *self)
{
  if (!self->log)
    return FALSE;
  g_mutex_lock(&self->log->lock);
  gboolean paused = self->log->worker_paused;
  g_mutex_unlock(&self->log->lock);
  return paused;
}

gboolean
sr_page_train_get_loss_point(SrPageTrain *self, guint i, gint64 *step, double *loss)
{
  if (i >= self->points->len)
    return FALSE;
  SrLossPoint *p = &g_array_index(self->points, SrLossPoint, i);
  if (step)
    *step = p->step;
  if (loss)
    *loss = p->loss;
  return TRUE;
}

guint
sr_page_train_get_n_checkpoints(SrPageTrain *self)
{
  return self->rows->len;
}

const char *
sr_page_train_get_checkpoint(SrPageTrain *self, guint i, gint64 *step)
{
  if (i >= self->rows->len)
    return NULL;
  CkptRow *r = &g_array_index(self->rows, CkptRow, i);
  if (step)
    *step = r->step;
  return r->path;
}

double
sr_page_train_get_seconds_per_step(SrPageTrain *self)
{
  return self->seconds_per_step;
}

static gboolean
still_no_pairs(GtkWidget *page)
{
  SrProject *p = sr_page_train_project_of(SR_PAGE_TRAIN(page));
  return !p || sr_project_get_pairs(p)->len == 0;
}

void
sr_page_train_show_start_error(SrPageTrain *self, const GError *error)
{
  /* A refusal for want of pairs goes once pairs are added. */
  if (g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING) &&
      still_no_pairs(GTK_WIDGET(self)))
    sr_ui_show_problem(GTK_WIDGET(self), error->message, still_no_pairs);
  else
    sr_ui_show_error(GTK_WIDGET(self), error->message);
}

static void
on_start_clicked(GtkButton *button, SrPageTrain *self)
{
  sr_page_train_ask_start(self);
}

static void
on_pause_clicked(GtkButton *button, SrPageTrain *self)
{
  if (!self->job)
    return;
  if (sr_job_get_paused(self->job)) {
    atomic_store(&self->log->pause, false);
    sr_job_resume(self->job);
  } else {
    atomic_store(&self->log->pause, true);
    sr_job_pause(self->job);
    gtk_label_set_text(GTK_LABEL(self->status_label), _("Paused after the current step."));
    g_clear_pointer(&self->status_text, g_free);
  }
  update_controls(self);
}

static void
on_stop_clicked(GtkButton *button, SrPageTrain *self)
{
  sr_page_train_stop(self);
}

static void
build_monitor(SrPageTrain *self)
{
  self->start_button = gtk_button_new_with_label(_("Start training"));
  gtk_widget_add_css_class(self->start_button, "suggested-action");
  self->pause_button = gtk_button_new_with_label(_("Pause"));
  self->stop_button = gtk_button_new_with_label(_("Stop"));
  gtk_widget_set_name(self->start_button, "train-start");
  gtk_widget_set_name(self->pause_button, "train-pause");
  gtk_widget_set_name(self->stop_button, "train-stop");
  g_signal_connect(self->start_button, "clicked", G_CALLBACK(on_start_clicked), self);
  g_signal_connect(self->pause_button, "clicked", G_CALLBACK(on_pause_clicked), self);
  g_signal_connect(self->stop_button, "clicked", G_CALLBACK(on_stop_clicked), self);
  self->status_label = gtk_label_new(_("Not started."));
  gtk_label_set_xalign(GTK_LABEL(self->status_label), 0);
  gtk_widget_set_hexpand(self->status_label, TRUE);
  /* Two lines before it ellipsizes; the tooltip has it all. */
  gtk_label_set_wrap(GTK_LABEL(self->status_label), TRUE);
  gtk_label_set_wrap_mode(GTK_LABEL(self->status_label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines(GTK_LABEL(self->status_label), 2);
  gtk_label_set_ellipsize(GTK_LABEL(self->status_label), PANGO_ELLIPSIZE_END);
  gtk_label_set_width_chars(GTK_LABEL(self->status_label), 20);
  gtk_widget_add_css_class(self->status_label, "dim-label");
  gtk_widget_add_css_class(self->status_label, "numeric");
  gtk_box_append(GTK_BOX(self->controls), self->start_button);
  gtk_box_append(GTK_BOX(self->controls), self->pause_button);
  gtk_box_append(GTK_BOX(self->controls), self->stop_button);
  gtk_box_append(GTK_BOX(self->controls), self->status_label);

  self->plot = sr_loss_plot_new();
  sr_loss_plot_set_points(SR_LOSS_PLOT(self->plot), self->points);
  gtk_widget_set_size_request(self->plot, -1, 160);
  gtk_widget_set_vexpand(self->plot, TRUE);
  gtk_widget_set_hexpand(self->plot, TRUE);
  gtk_stack_add_titled(GTK_STACK(self->view_stack), self->plot, "loss", _("Loss"));
  gtk_widget_set_name(self->view_stack, "train-views");

  self->gallery = sr_train_gallery_new();
  gtk_widget_set_vexpand(self->gallery, TRUE);
  gtk_stack_add_titled(GTK_STACK(self->view_stack), self->gallery, "gallery",
                       _("Contact sheets and preview"));
}

static void
sr_page_train_project_changed(SrStagePage *page, const char *description)
{
  SrPageTrain *self = SR_PAGE_TRAIN(page);
  SrProject *project = sr_stage_page_get_project(page);
  SrTrainingSettings t;
  sr_project_get_training(project, &t);
  sr_rect crop = sr_project_get_crop(project);
  g_autofree char *key = g_strdup_printf("%d %d %d %s %d %d", (int)t.model_size, t.patch, t.batch,
                                         t.backend, crop.w, crop.h);
  const char *old = g_object_get_data(G_OBJECT(self), "estimate-key");
  gboolean steps_only = g_strcmp0(old, key) == 0;

  /* The project now holds valid settings (an accepted edit, undo, a load):
   * whatever the form refused before no longer applies. */
  sr_page_train_show_settings_message(self, NULL);
  sr_ui_set_class(self->lr, "error", FALSE);
  refresh(self);
  /* Only model, patch, batch, backend and the crop (the patch is fitted to
   * it) change the time of a step; other
   * edits just rescale the measured time. */
  if (!steps_only) {
    g_object_set_data_full(G_OBJECT(self), "estimate-key", g_steal_pointer(&key), g_free);
    sr_page_train_schedule_estimate(self);
  } else if (!sr_page_train_is_running(self)) {
    sr_page_train_show_estimate(self);
  }
  const char *ck = sr_project_get_checkpoint(project);
  g_autofree char *in_use = ck ? sr_project_resolve_path(project, ck) : NULL;
  if (g_strcmp0(in_use, g_object_get_data(G_OBJECT(self->ckpt_list), "in-use")) != 0)
    rebuild_rows(self);
}

static void
sr_page_train_project_set(SrStagePage *page, SrProject *project)
{
  SrPageTrain *self = SR_PAGE_TRAIN(page);

  g_clear_pointer(&self->scanned_key, g_free);
  if (!self->job)
    g_clear_pointer(&self->run_dir, g_free);
  if (!self->job) {
    /* Nothing of another project's run stays on show; the scan lists this
     * project's checkpoints. */
    g_array_set_size(self->points, 0);
    g_array_set_size(self->rows, 0);
    reset_plot(self);
    sr_loss_plot_set_steps(SR_LOSS_PLOT(self->plot), 0);
    rebuild_rows(self);
    sr_train_gallery_clear(SR_TRAIN_GALLERY(self->gallery));
    gtk_label_set_text(GTK_LABEL(self->status_label), _("Not started."));
    gtk_widget_queue_draw(self->plot);
  }
  g_object_set_data(G_OBJECT(self), "estimate-key", NULL);
  if (project)
    sr_page_train_project_changed(page, NULL);
  update_controls(self);
}

static void
sr_page_train_dispose(GObject *object)
{
  SrPageTrain *self = SR_PAGE_TRAIN(object);

  g_clear_handle_id(&self->poll_id, g_source_remove);
  g_clear_handle_id(&self->estimate_timeout, g_source_remove);
  if (self->estimate_cancel) {
    g_cancellable_cancel(self->estimate_cancel);
    g_clear_object(&self->estimate_cancel);
  }
  if (self->scan_cancel) {
    g_cancellable_cancel(self->scan_cancel);
    g_clear_object(&self->scan_cancel);
  }
  if (self->devices_cancel) {
    g_cancellable_cancel(self->devices_cancel);
    g_clear_object(&self->devices_cancel);
  }
  if (self->job) {
    atomic_store(&self->log->pause, false);
    sr_job_cancel(self->job);
  }
  g_clear_object(&self->job);
  if (self->log) {
    train_log_unref(self->log);
    self->log = NULL;
  }
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_TRAIN);
  G_OBJECT_CLASS(sr_page_train_parent_class)->dispose(object);
}

static void
sr_page_train_finalize(GObject *object)
{
  SrPageTrain *self = SR_PAGE_TRAIN(object);

  g_array_unref(self->points);
  g_array_unref(self->rows);
  g_array_unref(self->patch_values);
  g_ptr_array_unref(self->resume_buttons);
  g_free(self->scanned_key);
  g_free(self->run_dir);
  g_free(self->status_text);
  G_OBJECT_CLASS(sr_page_train_parent_class)->finalize(object);
}

static void
sr_page_train_class_init(SrPageTrainClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  SrStagePageClass *page_class = SR_STAGE_PAGE_CLASS(klass);

  object_class->dispose = sr_page_train_dispose;
  object_class->finalize = sr_page_train_finalize;
  page_class->project_set = sr_page_train_project_set;
  page_class->project_changed = sr_page_train_project_changed;

  g_type_ensure(SR_TYPE_TRAIN_GALLERY);
  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-train.ui");
  sr_page_train_form_class_init(object_class);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, settings_card);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, settings_grid);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, settings_message);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, estimate_spinner);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, estimate_label);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, facts_data);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, controls);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, view_stack);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, ckpt_list);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, ckpt_caption);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, ckpt_scroller);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, preset);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, patch);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, lr);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, backend_info);
}

static void
sr_page_train_init(SrPageTrain *self)
{
  self->points = g_array_new(FALSE, FALSE, sizeof(SrLossPoint));
  self->rows = ckpt_array_new();
  self->resume_buttons = g_ptr_array_new();
  self->seconds_per_step = -1;
  reset_plot(self);
  sr_page_train_form_init(self);
  gtk_widget_init_template(GTK_WIDGET(self));
  sr_page_train_form_setup(self);
  build_monitor(self);
  gtk_widget_set_visible(self->estimate_spinner, FALSE);
  rebuild_rows(self);
  update_controls(self);
  g_signal_connect(self, "map", G_CALLBACK(sr_page_train_on_map), self);
  g_signal_connect(self, "unmap", G_CALLBACK(sr_page_train_on_unmap), self);
  sr_page_train_list_devices(self);
}
