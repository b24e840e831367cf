/* sr-page-train.c — see sr-page-train.h. */
#include "sr-page-train.h"

#include <math.h>

#include <glib/gi18n.h>

#include "sr-io.h"
#include "sr-train.h"
#include "sr-ui-util.h"

typedef struct {
  gint64 step;
  double loss, loss_avg, lr;
} LossPoint;

typedef struct {
  gint64 step;
  double loss_avg, psnr_before, psnr_after;
  char *path;
  char model_id[65];
} CkptRow;

/* Shared between the worker (writes) and the page (reads, on a timer); both
 * hold a reference, so neither outlives the other's use of it. */
typedef struct {
  GMutex lock;
  GArray *points;   /* of LossPoint */
  GArray *ckpts;    /* of CkptRow, appended; the page reads from n_seen */
  double steps_per_second, eta;
  gint64 step, steps;
} TrainLog;

static void
ckpt_row_clear(gpointer p)
{
  g_free(((CkptRow *)p)->path);
}

static TrainLog *
train_log_new(void)
{
  TrainLog *l = g_atomic_rc_box_new0(TrainLog);
  g_mutex_init(&l->lock);
  l->points = g_array_new(FALSE, FALSE, sizeof(LossPoint));
  l->ckpts = g_array_new(FALSE, FALSE, sizeof(CkptRow));
  g_array_set_clear_func(l->ckpts, ckpt_row_clear);
  return l;
}

static void
train_log_clear(gpointer p)
{
  TrainLog *l = p;
  g_array_unref(l->points);
  g_array_unref(l->ckpts);
  g_mutex_clear(&l->lock);
}

static void
train_log_unref(gpointer p)
{
  g_atomic_rc_box_release_full(p, train_log_clear);
}

typedef struct {
  TrainLog *log;
  sr_train_config cfg;
  char *source, *reference, *out_dir;
  int offset, preview;
  GArray *pairs, *held;
  sr_prep_settings prep;
  sr_train_result result;
} TrainJob;

static void
train_job_free(gpointer p)
{
  TrainJob *j = p;
  train_log_unref(j->log);
  g_free(j->source);
  g_free(j->reference);
  g_free(j->out_dir);
  g_array_unref(j->pairs);
  g_array_unref(j->held);
  g_free(j);
}

struct _SrPageTrain {
  GtkBox parent_instance;

  GtkWidget *facts_settings;
  GtkWidget *facts_data;
  GtkWidget *empty_title;
  GtkWidget *empty_text;
  GtkWidget *monitor;
  GtkWidget *empty_state;

  GtkWidget *start_button, *pause_button, *stop_button;
  GtkWidget *status_label;
  GtkWidget *plot;
  GtkWidget *ckpt_list;

  SrProject *project;
  gulong changed_handler;

  SrJob *job;
  TrainLog *log;
  guint n_ckpts_seen;
  guint poll_id;
};

G_DEFINE_FINAL_TYPE(SrPageTrain, sr_page_train, GTK_TYPE_BOX)

enum { PROP_0, PROP_PROJECT, N_PROPS };
static GParamSpec *properties[N_PROPS];

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

static gboolean
shows_run(SrPageTrain *self)
{
  return self->log != NULL;
}

static void
update_controls(SrPageTrain *self)
{
  gboolean running = self->job && sr_job_get_state(self->job) <= SR_JOB_STATE_PAUSED;
  gboolean paused = running && sr_job_get_paused(self->job);

  gtk_widget_set_sensitive(self->start_button, !running && self->project &&
                                                   sr_project_get_pairs(self->project)->len > 0);
  gtk_widget_set_sensitive(self->pause_button, running);
  gtk_button_set_label(GTK_BUTTON(self->pause_button), paused ? _("Resume") : _("Pause"));
  gtk_widget_set_sensitive(self->stop_button, running);
  gtk_widget_set_visible(self->empty_state, !shows_run(self));
  gtk_widget_set_visible(self->plot, shows_run(self));
}

static void
refresh(SrPageTrain *self)
{
  SrProject *p = self->project;

  if (!p)
    return;

  SrTrainingSettings t;
  static const char *const sizes[] = {"S (16 channels, 3 levels)", "M (32 channels, 4 levels)",
                                      "L (64 channels, 4 levels)"};
  const GArray *pairs = sr_project_get_pairs(p);
  const GArray *held = sr_project_get_held_out(p);
  int preview = sr_project_get_preview_frame(p);

  sr_project_get_training(p, &t);
  g_autofree char *patch = g_strdup_printf("%d px", t.patch);
  g_autofree char *batch = g_strdup_printf("%d", t.batch);
  g_autofree char *steps = g_strdup_printf("%d", t.steps);
  g_autofree char *ckpt = g_strdup_printf(_("every %d steps"), t.checkpoint_every);
  g_autofree char *sheet = g_strdup_printf(_("every %d steps"), t.contact_sheet_every);
  g_autofree char *lr = g_strdup_printf(_("%g, %d warm-up steps%s"), t.learning_rate,
                                        t.warmup_steps, t.cosine_decay ? _(", cosine decay") : "");
  g_autofree char *aug = g_strdup_printf(_("translate ±%g px%s%s%s"), t.translate_px,
                                         t.flip ? _(", horizontal flip") : "",
                                         t.exposure_jitter ? _(", exposure ±0.1") : "",
                                         t.scale_jitter ? _(", scale ±5 %") : "");
  sr_ui_fill_facts(self->facts_settings, _("Model"),
                   sizes[CLAMP((int)t.model_size, 0, 2)], _("Patch"), patch, _("Batch"), batch,
                   _("Steps"), steps, _("Checkpoints"), ckpt, _("Contact sheets"), sheet,
                   _("Learning rate"), lr, _("Augmentation"), aug, _("Backend"), t.backend, NULL);

  g_autofree char *pair_list = frames_text(pairs);
  g_autofree char *held_list = frames_text(held);
  g_autofree char *preview_text = preview >= 0 ? g_strdup_printf("%d", preview) : g_strdup(_("none"));
  sr_ui_fill_facts(self->facts_data, _("Pairs"), pair_list, _("Held out"), held_list,
                   _("Preview frame"), preview_text, NULL);
  update_controls(self);
}

/* ---- worker ---- */

static void
on_train_progress(void *user, const sr_train_progress *p)
{
  TrainLog *l = user;
  LossPoint pt = {p->step, p->loss, p->loss_avg, p->lr};

  g_mutex_lock(&l->lock);
  g_array_append_val(l->points, pt);
  l->steps_per_second = p->steps_per_second;
  l->eta = p->eta_seconds;
  l->step = p->step;
  l->steps = p->steps;
  g_mutex_unlock(&l->lock);
}

static void
on_train_checkpoint(void *user, const sr_train_eval *e)
{
  TrainLog *l = user;
  CkptRow row = {e->step, e->loss_avg, e->psnr_before, e->psnr_after,
                 g_strdup(e->checkpoint_path), {0}};

  g_strlcpy(row.model_id, e->model_id, sizeof row.model_id);
  g_mutex_lock(&l->lock);
  g_array_append_val(l->ckpts, row);
  g_mutex_unlock(&l->lock);
}

static gboolean
build_one(const sr_sequence *src, const sr_sequence *ref, int frame, int offset,
          const sr_prep_settings *prep, sr_pair *pair, sr_error *err)
{
  sr_image *s = sr_sequence_read(src, frame, err);
  sr_image *r = s ? sr_sequence_read(ref, frame + offset, err) : NULL;
  gboolean ok = s && r && sr_pair_build(s, r, prep, pair, err);

  if (ok) {
    pair->source_frame = frame;
    pair->reference_frame = frame + offset;
  } else {
    sr_error_prefix(err, "pair %d: ", frame);
  }
  sr_image_free(s);
  sr_image_free(r);
  return ok;
}

static gboolean
train_job_run(SrJob *job, gpointer data, GError **error)
{
  TrainJob *j = data;
  sr_error err = {0};
  sr_sequence src = {0}, ref = {0};
  sr_pair *built = g_new0(sr_pair, j->pairs->len);
  sr_pair *held = g_new0(sr_pair, j->held->len + 1);
  sr_image *preview = NULL;
  guint n_built = 0, n_held = 0;
  gboolean ok = FALSE;

  sr_job_set_progress(job, -1, _("Reading the pairs…"));
  if (!sr_sequence_open(&src, j->source, &err) || !sr_sequence_open(&ref, j->reference, &err))
    goto out;
  for (; n_built < j->pairs->len; n_built++)
    if (!build_one(&src, &ref, g_array_index(j->pairs, int, n_built), j->offset, &j->prep,
                   &built[n_built], &err))
      goto out;
  for (; n_held < j->held->len; n_held++)
    if (!build_one(&src, &ref, g_array_index(j->held, int, n_held), j->offset, &j->prep,
                   &held[n_held], &err))
      goto out;
  if (j->preview >= 0 && !(preview = sr_sequence_read(&src, j->preview, &err)))
    goto out;
  /* The guide's patch is 512, or 256 when the crop is small: shrink to fit. */
  int cw = built[0].input->width, ch = built[0].input->height;
  int mult = sr_unet_size_multiple(j->cfg.model_size);
  while (j->cfg.patch > mult && (j->cfg.patch > cw || j->cfg.patch > ch))
    j->cfg.patch /= 2;
  if (j->cfg.warmup_steps >= j->cfg.steps)
    j->cfg.warmup_steps = j->cfg.steps / 10;

  sr_train_data d = {
    .pairs = built, .n_pairs = (int)n_built, .held_out = held, .n_held_out = (int)n_held,
    .preview_source = preview, .preview_frame = preview ? j->preview : -1,
    .reference_offset = j->offset, .prep = j->prep,
  };
  sr_train_callbacks cb = {
    .user = j->log, .progress = on_train_progress, .checkpoint = on_train_checkpoint,
    .cancel = sr_job_get_cancel_flag(job),
  };
  sr_job_set_progress(job, 0, _("Training…"));
  ok = sr_train_run(&j->cfg, &d, j->out_dir, NULL, &cb, &j->result, &err);
out:
  if (!ok)
    sr_job_error_from_engine(error, &err);
  for (guint i = 0; i < n_built; i++)
    sr_pair_clear(&built[i]);
  for (guint i = 0; i < n_held; i++)
    sr_pair_clear(&held[i]);
  g_free(built);
  g_free(held);
  sr_image_free(preview);
  sr_sequence_clear(&src);
  sr_sequence_clear(&ref);
  return ok;
}

/* ---- main thread ---- */

static void
on_use_checkpoint(GtkButton *button, SrPageTrain *self)
{
  const char *path = g_object_get_data(G_OBJECT(button), "path");
  if (self->project && path)
    sr_project_set_checkpoint(self->project, path);
}

static void
add_ckpt_row(SrPageTrain *self, const CkptRow *r)
{
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  g_autofree char *text = NULL;
  char shrt[13];

  g_strlcpy(shrt, r->model_id, sizeof shrt);
  if (isnan(r->psnr_after))
    text = g_strdup_printf(_("Step %lld · loss %.4g · model %s"), (long long)r->step,
                           r->loss_avg, shrt);
  else
    text = g_strdup_printf(_("Step %lld · loss %.4g · held-out PSNR %.2f → "
                             "%.2f dB · model %s"),
                           (long long)r->step, r->loss_avg, r->psnr_before, r->psnr_after, shrt);
  GtkWidget *label = gtk_label_new(text);
  gtk_label_set_xalign(GTK_LABEL(label), 0);
  gtk_widget_set_hexpand(label, TRUE);
  gtk_label_set_wrap(GTK_LABEL(label), TRUE);
  GtkWidget *use = gtk_button_new_with_label(_("Use for rendering"));
  g_object_set_data_full(G_OBJECT(use), "path", g_strdup(r->path), g_free);
  g_signal_connect(use, "clicked", G_CALLBACK(on_use_checkpoint), self);
  gtk_box_append(GTK_BOX(box), label);
  gtk_box_append(GTK_BOX(box), use);
  gtk_list_box_prepend(GTK_LIST_BOX(self->ckpt_list), box);
  self->n_ckpts_seen++;
}

static void
poll_log(SrPageTrain *self)
{
  TrainLog *l = self->log;
  g_autofree char *status = NULL;

  if (!l)
    return;
  g_mutex_lock(&l->lock);
  while (self->n_ckpts_seen < l->ckpts->len)
    add_ckpt_row(self, &g_array_index(l->ckpts, CkptRow, self->n_ckpts_seen));
  if (l->steps > 0) {
    int eta = (int)CLAMP(l->eta, 0, 1e7);
    status = g_strdup_printf(_("Step %lld of %lld · %.1f steps/s · about %d:%02d left"),
                             (long long)l->step, (long long)l->steps, l->steps_per_second, eta / 60, eta % 60);
  }
  g_mutex_unlock(&l->lock);
  if (status)
    gtk_label_set_text(GTK_LABEL(self->status_label), status);
  gtk_widget_queue_draw(self->plot);
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
    poll_log(self);
    g_clear_handle_id(&self->poll_id, g_source_remove);
    if (sr_job_finish(job, res, &error)) {
      if (self->project && j->result.checkpoint_path[0])
        sr_project_set_checkpoint(self->project, j->result.checkpoint_path);
      gtk_label_set_text(GTK_LABEL(self->status_label),
                         j->result.cancelled ? _("Stopped; the last step was saved.")
                                             : _("Finished."));
    } else if (!g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED)) {
      gtk_label_set_text(GTK_LABEL(self->status_label), error->message);
      sr_ui_show_error(GTK_WIDGET(self), error->message);
    }
    g_clear_object(&self->job);
    update_controls(self);
  }
  g_object_unref(self);
}

char *
sr_page_train_get_out_dir(SrPageTrain *self)
{
  const char *out = self->project ? sr_project_get_output_folder(self->project) : NULL;
  g_autofree char *abs = out && *out ? sr_project_resolve_path(self->project, out) : NULL;
  GFile *file = self->project ? sr_project_get_file(self->project) : NULL;

  if (abs)
    return g_build_filename(abs, "training", NULL);
  if (file) {
    g_autoptr(GFile) parent = g_file_get_parent(file);
    g_autofree char *dir = parent ? g_file_get_path(parent) : NULL;
    if (dir)
      return g_build_filename(dir, "training", NULL);
  }
  return g_build_filename(g_get_user_cache_dir(), "spatial-recovery", "training", NULL);
}

gboolean
sr_page_train_start(SrPageTrain *self, GError **error)
{
  SrTrainingSettings t;

  g_return_val_if_fail(SR_IS_PAGE_TRAIN(self), FALSE);
  if (self->job) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, _("Training is already running."));
    return FALSE;
  }
  if (!self->project || sr_project_get_pairs(self->project)->len == 0) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No training pairs: add pairs in the Pairs stage first."));
    return FALSE;
  }
  TrainJob *j = g_new0(TrainJob, 1);
  sr_project_get_training(self->project, &t);
  sr_train_config_init(&j->cfg);
  j->cfg.model_size = (sr_unet_size)t.model_size;
  j->cfg.patch = t.patch;
  j->cfg.batch = t.batch;
  j->cfg.steps = t.steps;
  j->cfg.checkpoint_every = t.checkpoint_every;
  j->cfg.contact_sheet_every = t.contact_sheet_every;
  j->cfg.learning_rate = t.learning_rate;
  j->cfg.warmup_steps = t.warmup_steps;
  j->cfg.cosine_decay = t.cosine_decay;
  j->cfg.flip = t.flip;
  j->cfg.exposure_jitter = t.exposure_jitter;
  j->cfg.scale_jitter = t.scale_jitter;
  j->cfg.translate_px = t.translate_px;
  j->cfg.seed = t.seed;
  g_strlcpy(j->cfg.backend, t.backend, sizeof j->cfg.backend);
  j->source = sr_project_resolve_path(self->project, sr_project_get_source_pattern(self->project));
  j->reference =
      sr_project_resolve_path(self->project, sr_project_get_reference_pattern(self->project));
  j->out_dir = sr_page_train_get_out_dir(self);
  j->offset = sr_project_get_reference_offset(self->project);
  j->preview = sr_project_get_preview_frame(self->project);
  j->pairs = g_array_copy((GArray *)sr_project_get_pairs(self->project));
  j->held = g_array_copy((GArray *)sr_project_get_held_out(self->project));
  sr_project_get_prep_settings(self->project, &j->prep);

  if (self->log)
    train_log_unref(self->log);
  self->log = train_log_new();
  j->log = g_atomic_rc_box_acquire(self->log);
  self->n_ckpts_seen = 0;
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child(self->ckpt_list)))
    gtk_list_box_remove(GTK_LIST_BOX(self->ckpt_list), child);
  gtk_label_set_text(GTK_LABEL(self->status_label), _("Starting…"));

  self->job = sr_job_new(_("Training"), train_job_run, j, train_job_free);
  self->poll_id = g_timeout_add(200, on_poll, self);
  sr_ui_run_job(GTK_WIDGET(self), self->job, TRUE, on_train_done, g_object_ref(self));
  update_controls(self);
  return TRUE;
}

void
sr_page_train_stop(SrPageTrain *self)
{
  if (self->job)
    sr_job_cancel(self->job);
}

gboolean
sr_page_train_get_busy(SrPageTrain *self)
{
  return self->job != NULL;
}

guint
sr_page_train_get_n_loss_points(SrPageTrain *self)
{
  guint n = 0;
  if (self->log) {
    g_mutex_lock(&self->log->lock);
    n = self->log->points->len;
    g_mutex_unlock(&self->log->lock);
  }
  return n;
}

guint
sr_page_train_get_n_checkpoints(SrPageTrain *self)
{
  return self->n_ckpts_seen;
}

static void
on_start_clicked(GtkButton *button, SrPageTrain *self)
{
  g_autoptr(GError) error = NULL;
  if (!sr_page_train_start(self, &error))
    sr_ui_show_error(GTK_WIDGET(self), error->message);
}

static void
on_pause_clicked(GtkButton *button, SrPageTrain *self)
{
  if (!self->job)
    return;
  if (sr_job_get_paused(self->job))
    sr_job_resume(self->job);
  else
    sr_job_pause(self->job);
  update_controls(self);
}

static void
on_stop_clicked(GtkButton *button, SrPageTrain *self)
{
  sr_page_train_stop(self);
}

/* Loss on a log scale (raw faint, smoothed solid), learning rate dashed on
 * its own linear axis at the right. */
static void
draw_plot(GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  SrPageTrain *self = data;
  TrainLog *l = self->log;
  const double ml = 56, mr = 56, mt = 12, mb = 28;
  double pw = w - ml - mr, ph = h - mt - mb;

  cairo_set_source_rgb(cr, 0.12, 0.12, 0.13);
  cairo_paint(cr);
  if (!l || pw < 20 || ph < 20)
    return;
  g_mutex_lock(&l->lock);
  GArray *pts = l->points;
  gint64 steps = MAX(l->steps, 1);
  double lo = INFINITY, hi = -INFINITY, lr_hi = 0;
  for (guint i = 0; i < pts->len; i++) {
    LossPoint *p = &g_array_index(pts, LossPoint, i);
    if (p->loss > 0) {
      lo = MIN(lo, p->loss);
      hi = MAX(hi, p->loss);
    }
    lr_hi = MAX(lr_hi, p->lr);
  }
  if (!(lo < hi)) {
    lo = (lo > 0 && isfinite(lo)) ? lo / 2 : 1e-3;
    hi = lo * 4;
  }
  double llo = floor(log10(lo)), lhi = ceil(log10(hi));
  if (lhi <= llo)
    lhi = llo + 1;

  cairo_set_line_width(cr, 1);
  cairo_select_font_face(cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 10);
  for (double d = llo; d <= lhi; d += 1) {
    double y = mt + ph * (1 - (d - llo) / (lhi - llo));
    char buf[32];
    cairo_set_source_rgba(cr, 1, 1, 1, 0.12);
    cairo_move_to(cr, ml, y);
    cairo_line_to(cr, ml + pw, y);
    cairo_stroke(cr);
    g_snprintf(buf, sizeof buf, "1e%d", (int)d);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.6);
    cairo_move_to(cr, 8, y + 3);
    cairo_show_text(cr, buf);
  }
  cairo_set_source_rgba(cr, 1, 1, 1, 0.6);
  cairo_move_to(cr, ml, h - 8);
  cairo_show_text(cr, _("step"));
  char buf[48];
  g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, steps);
  cairo_move_to(cr, ml + pw - 30, h - 8);
  cairo_show_text(cr, buf);
  g_snprintf(buf, sizeof buf, "lr %.1e", lr_hi);
  cairo_set_source_rgba(cr, 0.95, 0.75, 0.3, 0.9);
  cairo_move_to(cr, ml + pw + 4, mt + 10);
  cairo_show_text(cr, buf);

#define PX(s) (ml + pw * (double)(s) / (double)steps)
#define PY(v) (mt + ph * (1 - (log10(MAX(v, 1e-12)) - llo) / (lhi - llo)))
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 0)
      cairo_set_source_rgba(cr, 0.45, 0.65, 1.0, 0.35);
    else
      cairo_set_source_rgba(cr, 0.45, 0.75, 1.0, 1.0);
    cairo_set_line_width(cr, pass ? 2 : 1);
    for (guint i = 0; i < pts->len; i++) {
      LossPoint *p = &g_array_index(pts, LossPoint, i);
      double v = pass ? p->loss_avg : p->loss;
      if (i == 0)
        cairo_move_to(cr, PX(p->step), PY(v));
      else
        cairo_line_to(cr, PX(p->step), PY(v));
    }
    cairo_stroke(cr);
  }
  if (lr_hi > 0) {
    double dash[] = {4, 3};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_source_rgba(cr, 0.95, 0.75, 0.3, 0.9);
    cairo_set_line_width(cr, 1.5);
    for (guint i = 0; i < pts->len; i++) {
      LossPoint *p = &g_array_index(pts, LossPoint, i);
      double y = mt + ph * (1 - p->lr / lr_hi);
      if (i == 0)
        cairo_move_to(cr, PX(p->step), y);
      else
        cairo_line_to(cr, PX(p->step), y);
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
  }
  /* Held-out PSNR at each checkpoint, as labelled markers on the step axis. */
  cairo_set_source_rgb(cr, 0.4, 0.85, 0.45);
  for (guint i = 0; i < l->ckpts->len; i++) {
    CkptRow *r = &g_array_index(l->ckpts, CkptRow, i);
    double x = PX(r->step);
    cairo_arc(cr, x, mt + ph, 4, 0, 2 * G_PI);
    cairo_fill(cr);
    if (!isnan(r->psnr_after)) {
      g_snprintf(buf, sizeof buf, "%.1f dB", r->psnr_after);
      cairo_move_to(cr, x - 20, mt + ph - 8);
      cairo_show_text(cr, buf);
    }
  }
#undef PX
#undef PY
  g_mutex_unlock(&l->lock);
}

static void
build_monitor(SrPageTrain *self)
{
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);

  self->start_button = gtk_button_new_with_label(_("Start training"));
  gtk_widget_add_css_class(self->start_button, "suggested-action");
  self->pause_button = gtk_button_new_with_label(_("Pause"));
  self->stop_button = gtk_button_new_with_label(_("Stop"));
  g_signal_connect(self->start_button, "clicked", G_CALLBACK(on_start_clicked), self);
  g_signal_connect(self->pause_button, "clicked", G_CALLBACK(on_pause_clicked), self);
  g_signal_connect(self->stop_button, "clicked", G_CALLBACK(on_stop_clicked), self);
  self->status_label = gtk_label_new(_("Not started."));
  gtk_label_set_xalign(GTK_LABEL(self->status_label), 0);
  gtk_widget_set_hexpand(self->status_label, TRUE);
  gtk_label_set_wrap(GTK_LABEL(self->status_label), TRUE);
  gtk_widget_add_css_class(self->status_label, "dim-label");
  gtk_box_append(GTK_BOX(row), self->start_button);
  gtk_box_append(GTK_BOX(row), self->pause_button);
  gtk_box_append(GTK_BOX(row), self->stop_button);
  gtk_box_append(GTK_BOX(row), self->status_label);
  gtk_box_prepend(GTK_BOX(self->monitor), row);

  self->plot = gtk_drawing_area_new();
  gtk_widget_set_size_request(self->plot, -1, 260);
  gtk_widget_set_vexpand(self->plot, TRUE);
  gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(self->plot), draw_plot, self, NULL);
  gtk_box_append(GTK_BOX(self->monitor), self->plot);

  GtkWidget *heading = gtk_label_new(_("Checkpoints"));
  gtk_label_set_xalign(GTK_LABEL(heading), 0);
  gtk_widget_add_css_class(heading, "heading");
  gtk_box_append(GTK_BOX(self->monitor), heading);
  self->ckpt_list = gtk_list_box_new();
  gtk_list_box_set_selection_mode(GTK_LIST_BOX(self->ckpt_list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class(self->ckpt_list, "boxed-list");
  gtk_box_append(GTK_BOX(self->monitor), self->ckpt_list);
}

static void
on_project_changed(SrProject *project, const char *description, SrPageTrain *self)
{
  refresh(self);
}

static void
set_project(SrPageTrain *self, SrProject *project)
{
  if (self->project == project)
    return;
  if (self->project)
    g_clear_signal_handler(&self->changed_handler, self->project);
  g_set_object(&self->project, project);
  if (project)
    self->changed_handler =
        g_signal_connect(project, "changed", G_CALLBACK(on_project_changed), self);
  refresh(self);
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PROJECT]);
}

static void
sr_page_train_dispose(GObject *object)
{
  SrPageTrain *self = SR_PAGE_TRAIN(object);

  if (self->project)
    g_clear_signal_handler(&self->changed_handler, self->project);
  g_clear_object(&self->project);
  g_clear_handle_id(&self->poll_id, g_source_remove);
  if (self->job)
    sr_job_cancel(self->job);
  g_clear_object(&self->job);
  if (self->log) {
    train_log_unref(self->log);
    self->log = NULL;
  }
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_TRAIN);
  G_OBJECT_CLASS(sr_page_train_parent_class)->dispose(object);
}

static void
sr_page_train_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    g_value_set_object(value, SR_PAGE_TRAIN(object)->project);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_train_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    set_project(SR_PAGE_TRAIN(object), g_value_get_object(value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_train_class_init(SrPageTrainClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->dispose = sr_page_train_dispose;
  object_class->get_property = sr_page_train_get_property;
  object_class->set_property = sr_page_train_set_property;
  properties[PROP_PROJECT] =
      g_param_spec_object("project", NULL, NULL, SR_TYPE_PROJECT,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-train.ui");
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, facts_settings);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, facts_data);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, empty_title);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, empty_text);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, monitor);
  gtk_widget_class_bind_template_child(widget_class, SrPageTrain, empty_state);
}

static void
sr_page_train_init(SrPageTrain *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
  build_monitor(self);
  update_controls(self);
}
