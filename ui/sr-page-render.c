/* sr-page-render.c — the Render page (see sr-page-render.h): the
 * checkpoint choice, the facts and controls, and the render itself in an
 * SrJob with its progress. What it shows of a frame is in
 * sr-page-render-view.c, what it finds on disk in sr-page-render-scan.c, its
 * QA in sr-page-render-qa.c, the review panel and flags in
 * sr-page-render-flags.c. */
#include "sr-page-render-private.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-checkpoint.h"
#include "sr-delivery.h"
#include "sr-filmstrip.h"
#include "sr-frame-cache.h"
#include "sr-io.h"
#include "sr-page-pairs.h"
#include "sr-render.h"
#include "sr-rendering.h"
#include "sr-thumbnailer.h"
#include "sr-ui-util.h"
#include "sr-validation-note.h"
#include "sr-viewer.h"
#include "sr-window.h"

/* The guide: check on 50–100 frames before the whole range. */
#define CHECK_FRAMES 100


/* ---- Render progress, written by the pipeline, read by the page ------------- */

static RenderLog *
render_log_new(void)
{
  RenderLog *l = g_atomic_rc_box_new0(RenderLog);
  g_mutex_init(&l->lock);
  l->finished = g_array_new(FALSE, FALSE, sizeof(int));
  return l;
}

static void
render_log_clear(gpointer p)
{
  RenderLog *l = p;
  g_mutex_clear(&l->lock);
  g_array_unref(l->finished);
  g_free(l->pattern);
}

static void
render_log_unref(gpointer p)
{
  g_atomic_rc_box_release_full(p, render_log_clear);
}

typedef struct {
  RenderLog *log;
  SrProject *copy; /* what the worker renders, read off the main thread */
  SrJob *job;      /* the job running this, while it runs */
  int first, last;
  int count; /* at most this many frames from first; 0 = no limit */
  gboolean regrain;
} RenderJob;

static void
render_job_free(gpointer p)
{
  RenderJob *j = p;
  render_log_unref(j->log);
  g_clear_object(&j->copy);
  g_free(j);
}

G_DEFINE_FINAL_TYPE(SrPageRender, sr_page_render, SR_TYPE_STAGE_PAGE)

SrProject *
sr_page_render_project_of(SrPageRender *self)
{
  return sr_stage_page_get_project(SR_STAGE_PAGE(self));
}


gint
sr_page_render_compare_int(gconstpointer a, gconstpointer b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

char *
sr_page_render_frame_path(const char *pattern, int frame)
{
  char *path = pattern ? sr_pattern_format(pattern, frame) : NULL;
  return path ? path : g_strdup(pattern);
}

void
sr_page_render_set_review_message(SrPageRender *self, const char *text)
{
  gtk_label_set_text(GTK_LABEL(self->review_message), text ? text : "");
  gtk_widget_set_visible(self->review_message, text && *text);
}

const SrFlag *
sr_page_render_find_flag(SrPageRender *self, int frame)
{
  const GArray *flags = sr_page_render_project_of(self)
                            ? sr_project_get_flags(sr_page_render_project_of(self))
                            : NULL;

  for (guint i = 0; flags && i < flags->len; i++) {
    const SrFlag *f = &g_array_index(flags, SrFlag, i);
    if (f->frame == frame)
      return f;
  }
  return NULL;
}

gboolean
sr_page_render_qa_flagged(SrPageRender *self, int frame)
{
  const char *reasons = g_hash_table_lookup(self->qa, GINT_TO_POINTER(frame));
  return reasons && *reasons;
}

gboolean
sr_page_render_is_rendered(SrPageRender *self, int frame)
{
  return g_hash_table_contains(self->rendered, GINT_TO_POINTER(frame));
}

/* ---- Facts and controls ----------------------------------------------------- */

static char *
range_problem(SrPageRender *self, int first, int last)
{
  if (!self->have_source)
    return g_strdup(self->source_error ? self->source_error
                                       : _("The Source sequence has not been read yet."));
  if (first > last)
    return g_strdup_printf(_("The first frame (%d) comes after the last (%d): swap them."), first,
                           last);
  if (first < self->src_first || last > self->src_last)
    return g_strdup_printf(_("Frames %d–%d reach outside the Source, which runs %d–%d: choose "
                             "frames inside it."),
                           first, last, self->src_first, self->src_last);
  return NULL;
}

static void
update_range_message(SrPageRender *self)
{
  int first = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->first_spin));
  int last = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->last_spin));
  g_autofree char *problem = range_problem(self, first, last);
  g_autofree char *text = NULL;

  if (!problem)
    text = g_strdup_printf(g_dngettext(NULL, "%d frame of the Source (%d–%d).",
                                       "%d frames of the Source (%d–%d).", last - first + 1),
                           last - first + 1, self->src_first, self->src_last);
  gtk_label_set_text(GTK_LABEL(self->range_message), problem ? problem : text);
  sr_ui_set_class(self->range_message, "field-error", problem != NULL);
  sr_ui_set_class(self->range_message, "dim-label", problem == NULL);
}

static gboolean
has_checkpoint(SrPageRender *self)
{
  const char *ck = sr_page_render_project_of(self)
                       ? sr_project_get_checkpoint(sr_page_render_project_of(self))
                       : NULL;
  return ck && *ck;
}

void
sr_page_render_update_controls(SrPageRender *self)
{
  gboolean can = !self->job && has_checkpoint(self);
  int first = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->first_spin));
  int last = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->last_spin));
  g_autofree char *problem = range_problem(self, first, last);

  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.check", can);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.render-all", can);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.render-range", can && !problem);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.stop", self->job != NULL);
  gtk_widget_set_sensitive(self->checkpoint_drop, !self->job && self->checkpoint_paths->len > 0);
  gtk_widget_set_visible(self->progress_bar, self->log != NULL);
  update_range_message(self);
}

void
sr_page_render_refresh_facts(SrPageRender *self)
{
  SrProject *p = sr_page_render_project_of(self);

  if (!p)
    return;
  const char *folder = sr_project_get_output_folder(p);
  const char *version = sr_project_get_version(p);
  g_autofree char *name = self->pattern ? g_path_get_basename(self->pattern) : NULL;
  const char *ck = sr_project_get_checkpoint(p);
  g_autofree char *model = ck && *ck ? g_path_get_basename(ck) : NULL;

  sr_ui_fill_facts(self->facts_model, _("Checkpoint"), model ? model : _("No model trained yet"),
                   NULL);
  /* The drop-down names the checkpoint once the training folder was read. */
  gtk_widget_set_visible(self->facts_model, self->checkpoint_paths->len == 0);
  sr_ui_fill_facts(self->facts_output, _("Folder"),
                   folder && *folder ? folder : _("Not chosen yet"), _("Name"), name ? name : "—",
                   _("Version"), version, _("Format"), _("OpenEXR, 16-bit half, ZIP"), NULL);
  gtk_label_set_text(GTK_LABEL(self->empty_title),
                     has_checkpoint(self) ? _("Ready to render") : _("Nothing rendered yet"));
}

/* ---- Checkpoint choice ------------------------------------------------------- */

void
sr_page_render_sync_checkpoint_drop(SrPageRender *self)
{
  g_autofree char *ck =
      sr_page_render_project_of(self)
          ? sr_project_resolve_path(sr_page_render_project_of(self),
                                    sr_project_get_checkpoint(sr_page_render_project_of(self)))
          : NULL;
  guint selected = GTK_INVALID_LIST_POSITION;

  for (guint i = 0; ck && i < self->checkpoint_paths->len; i++)
    if (g_strcmp0(g_ptr_array_index(self->checkpoint_paths, i), ck) == 0)
      selected = i;
  self->syncing = TRUE;
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->checkpoint_drop), selected);
  self->syncing = FALSE;
}

static void
on_checkpoint_selected(GObject *drop, GParamSpec *pspec, SrPageRender *self)
{
  guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(drop));

  if (self->syncing || !sr_page_render_project_of(self) || i >= self->checkpoint_paths->len)
    return;
  const char *path = g_ptr_array_index(self->checkpoint_paths, i);
  g_autofree char *current = sr_project_resolve_path(
      sr_page_render_project_of(self), sr_project_get_checkpoint(sr_page_render_project_of(self)));
  if (g_strcmp0(path, current) != 0)
    sr_project_set_checkpoint(sr_page_render_project_of(self), path);
}

/* ---- Render ------------------------------------------------------------------ */

static void
on_render_progress(void *user, const sr_render_progress *p)
{
  RenderLog *l = ((RenderJob *)user)->log;

  g_mutex_lock(&l->lock);
  l->done = p->done;
  l->total = p->total;
  l->rendered = p->rendered;
  l->skipped = p->skipped;
  l->fps = p->frames_per_second;
  l->eta = p->eta_seconds;
  if (p->status != SR_RENDER_FRAME_MISSING)
    g_array_append_val(l->finished, p->frame);
  g_mutex_unlock(&l->lock);
  /* The job bar shows the same line and fraction as the page. */
  SrRenderFacts f = {.running = TRUE,
                     .run_done = p->done,
                     .run_total = p->total,
                     .fps = p->frames_per_second,
                     .eta = p->eta_seconds};
  g_autofree char *text = sr_render_facts_progress(&f);
  sr_job_set_progress(((RenderJob *)user)->job, sr_render_facts_fraction(&f), text);
}

static void
on_render_ready(gpointer user, const SrRenderingPlan *plan)
{
  RenderJob *j = user;

  g_mutex_lock(&j->log->lock);
  g_free(j->log->pattern);
  j->log->pattern = g_strdup(plan->output_pattern);
  g_mutex_unlock(&j->log->lock);
  sr_job_set_progress(j->job, 0, _("Rendering…"));
}

static gboolean
render_job_run(SrJob *job, gpointer data, GError **error)
{
  RenderJob *j = data;
  SrRenderingOptions o;
  g_auto(SrRenderingResult) result = {0};

  j->job = job;
  sr_rendering_options_init(&o);
  o.first = j->first;
  o.last = j->last;
  o.count = j->count;
  o.skip_missing = TRUE;
  o.regrain = j->regrain;
  o.ready = on_render_ready;
  o.callbacks = (sr_render_callbacks){
      .user = j, .progress = on_render_progress, .cancel = sr_job_get_cancel_flag(job)};
  sr_job_set_progress(job, -1, _("Loading the model…"));
  return sr_rendering_run(j->copy, &o, &result, error);
}

static void
poll_log(SrPageRender *self)
{
  RenderLog *l = self->log;
  g_autofree char *text = NULL;
  g_autoptr(GArray) finished = NULL;
  g_autofree char *pattern = NULL;
  double fraction = 0;

  if (!l)
    return;
  g_mutex_lock(&l->lock);
  self->n_done = l->rendered + l->skipped;
  SrRenderFacts run = {
      .running = TRUE, .run_done = l->done, .run_total = l->total, .fps = l->fps, .eta = l->eta};
  fraction = sr_render_facts_fraction(&run);
  if (l->total > 0)
    text = sr_render_facts_progress(&run);
  if (l->finished->len) {
    finished = l->finished;
    l->finished = g_array_new(FALSE, FALSE, sizeof(int));
  }
  pattern = g_strdup(l->pattern);
  g_mutex_unlock(&l->lock);
  gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress_bar), fraction);
  if (text)
    gtk_label_set_text(GTK_LABEL(self->status_label), text);

  if (pattern && g_strcmp0(pattern, self->pattern) != 0) {
    /* Another model's name: what was on the strip belongs to that model. */
    g_free(self->pattern);
    self->pattern = g_steal_pointer(&pattern);
    g_hash_table_remove_all(self->rendered);
    g_hash_table_remove_all(self->qa);
    g_hash_table_remove_all(self->qa_ids);
    g_hash_table_remove_all(self->qa_dirty);
    self->qa_measured = -1;
    self->frame = G_MININT;
    self->frame_chosen = FALSE;
    sr_page_render_update_strip_range(self);
    sr_page_render_refresh_facts(self);
    sr_page_render_show_frame(self);
  }
  if (!finished)
    return;
  gboolean first_frames = g_hash_table_size(self->rendered) == 0;
  for (guint i = 0; i < finished->len; i++) {
    gpointer f = GINT_TO_POINTER(g_array_index(finished, int, i));
    g_hash_table_add(self->rendered, f);
    g_hash_table_add(self->qa_dirty, f);
  }
  int old_first = self->rendered_first, old_last = self->rendered_last;
  int old_frame = self->frame;
  sr_page_render_update_strip_range(self);
  if (self->frame == G_MININT || first_frames || !self->frame_chosen) {
    self->frame = self->rendered_first;
    sr_filmstrip_set_current(SR_FILMSTRIP(self->strip), self->frame);
  }
  if (self->frame != old_frame)
    sr_page_render_show_frame(self);
  if (old_first == self->rendered_first && old_last == self->rendered_last)
    for (guint i = 0; i < finished->len; i++)
      sr_filmstrip_reload_frame(SR_FILMSTRIP(self->strip), g_array_index(finished, int, i));
  for (guint i = 0; i < finished->len; i++)
    if (g_array_index(finished, int, i) == self->frame) {
      sr_page_render_show_frame(self);
      break;
    }
  sr_page_render_update_review(self);
}

static gboolean
on_poll(gpointer data)
{
  poll_log(data);
  return G_SOURCE_CONTINUE;
}

static void
on_render_done(GObject *source, GAsyncResult *result, gpointer data)
{
  SrPageRender *self = data;
  g_autoptr(GError) error = NULL;
  SrJob *job = SR_JOB(source);

  if (self->job == job) {
    poll_log(self);
    g_clear_handle_id(&self->poll_id, g_source_remove);
    if (sr_job_finish(job, result, &error)) {
      /* The status line says what the disk holds once the scan below read
       * it: the same count the stage list and the frame label give. */
      gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress_bar), 1);
    } else if (g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED)) {
      self->status_sticky = TRUE;
      gtk_label_set_text(GTK_LABEL(self->status_label),
                         _("Stopped; finished frames are kept and skipped next time."));
    } else {
      self->status_sticky = TRUE;
      gtk_label_set_text(GTK_LABEL(self->status_label), error->message);
      sr_ui_show_error(GTK_WIDGET(self), error->message);
    }
    g_clear_object(&self->job);
    sr_stage_page_set_busy(SR_STAGE_PAGE(self), FALSE);
    sr_page_render_update_controls(self);
    /* What is on disk now, then its QA. */
    self->qa_wanted = TRUE;
    sr_page_render_request_scan(self, TRUE);
  }
  g_object_unref(self);
}

void
sr_page_render_get_facts(SrPageRender *self, SrRenderFacts *out)
{
  g_return_if_fail(SR_IS_PAGE_RENDER(self));
  memset(out, 0, sizeof *out);
  out->known = self->scanned;
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, self->rendered);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    int f = GPOINTER_TO_INT(key);
    out->on_disk += !self->have_source || (f >= self->src_first && f <= self->src_last);
  }
  out->wanted = self->have_source ? self->src_last - self->src_first + 1 : out->on_disk;
  out->running = self->job != NULL;
  if (self->log) {
    g_mutex_lock(&self->log->lock);
    out->run_done = self->log->done;
    out->run_total = self->log->total;
    out->fps = self->log->fps;
    out->eta = self->log->eta;
    g_mutex_unlock(&self->log->lock);
  }
}

const char *
sr_page_render_get_status(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), NULL);
  return gtk_label_get_text(GTK_LABEL(self->status_label));
}

const char *
sr_page_render_get_frame_count(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), NULL);
  return gtk_label_get_text(GTK_LABEL(self->frame_label));
}

void
sr_page_render_show_idle_status(SrPageRender *self)
{
  if (self->job || self->status_sticky || !self->scanned)
    return;
  SrRenderFacts f;
  sr_page_render_get_facts(self, &f);
  if (f.wanted == 0) {
    gtk_label_set_text(GTK_LABEL(self->status_label), _("Nothing rendered yet"));
    return;
  }
  g_autofree char *count = sr_render_facts_count(&f);
  /* TRANSLATORS: the Render page's status line, e.g. "5 of 5 frames rendered." */
  g_autofree char *text = g_strdup_printf(_("%s."), count);
  gtk_label_set_text(GTK_LABEL(self->status_label), text);
}

char *
sr_page_render_get_output_pattern(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), NULL);
  return g_strdup(self->pattern);
}

static gboolean start_job(SrPageRender *self, int first, int last, int count, GError **error);

static void
start_after_save(GtkWidget *page, gpointer data)
{
  const int *args = data;
  g_autoptr(GError) error = NULL;
  if (!start_job(SR_PAGE_RENDER(page), args[0], args[1], args[2], &error))
    sr_ui_show_error(page, error->message);
}

static gboolean
start_job(SrPageRender *self, int first, int last, int count, GError **error)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  const char *ck = sr_page_render_project_of(self)
                       ? sr_project_get_checkpoint(sr_page_render_project_of(self))
                       : NULL;
  const char *out = sr_page_render_project_of(self)
                        ? sr_project_get_output_folder(sr_page_render_project_of(self))
                        : NULL;
  if (self->job) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, _("A render is already running."));
    return FALSE;
  }
  if (!ck || !*ck) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No checkpoint: train a model, or choose a checkpoint in the Train stage."));
    return FALSE;
  }
  if (!out || !*out) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No output folder: choose one in the Project stage."));
    return FALSE;
  }
  /* Renders go under the project's folder: save it first. */
  int *args = g_new(int, 3);
  args[0] = first;
  args[1] = last;
  args[2] = count;
  if (!sr_ui_save_first(GTK_WIDGET(self), start_after_save, args, g_free))
    return TRUE;
  RenderJob *j = g_new0(RenderJob, 1);
  j->copy = sr_project_copy_for_thread(sr_page_render_project_of(self), NULL);
  if (!j->copy) {
    g_free(j);
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                _("The project could not be copied for the render."));
    return FALSE;
  }
  j->first = first;
  j->last = last;
  j->count = count;
  j->regrain = gtk_check_button_get_active(GTK_CHECK_BUTTON(self->regrain_check));
  if (self->log)
    render_log_unref(self->log);
  self->log = render_log_new();
  j->log = g_atomic_rc_box_acquire(self->log);
  self->n_done = 0;
  self->status_sticky = FALSE;
  gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress_bar), 0);
  gtk_label_set_text(GTK_LABEL(self->status_label), _("Starting…"));
  self->job = sr_job_new(_("Rendering"), render_job_run, j, render_job_free);
  self->poll_id = g_timeout_add(200, on_poll, self);
  sr_ui_run_job(GTK_WIDGET(self), self->job, TRUE, on_render_done, g_object_ref(self));
  sr_stage_page_set_busy(SR_STAGE_PAGE(self), TRUE);
  sr_page_render_update_controls(self);
  return TRUE;
}

gboolean
sr_page_render_start(SrPageRender *self, int first, int last, GError **error)
{
  return start_job(self, first, last, 0, error);
}

void
sr_page_render_stop(SrPageRender *self)
{
  if (self->job)
    sr_job_cancel(self->job);
}

GtkCheckButton *
sr_page_render_get_regrain_check(SrPageRender *self)
{
  return GTK_CHECK_BUTTON(self->regrain_check);
}

int
sr_page_render_get_n_done(SrPageRender *self)
{
  return self->n_done;
}

void
sr_page_render_set_range(SrPageRender *self, int first, int last)
{
  g_return_if_fail(SR_IS_PAGE_RENDER(self));
  gtk_adjustment_set_value(self->first_adjustment, first);
  gtk_adjustment_set_value(self->last_adjustment, last);
  self->range_touched = TRUE;
  sr_page_render_update_controls(self);
}

gboolean
sr_page_render_render_range(SrPageRender *self, GError **error)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  gtk_spin_button_update(GTK_SPIN_BUTTON(self->first_spin));
  gtk_spin_button_update(GTK_SPIN_BUTTON(self->last_spin));
  int first = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->first_spin));
  int last = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->last_spin));
  g_autofree char *problem = range_problem(self, first, last);

  update_range_message(self);
  if (problem) {
    g_set_error_literal(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, problem);
    return FALSE;
  }
  return start_job(self, first, last, 0, error);
}

gboolean
sr_page_render_get_source_range(SrPageRender *self, int *first, int *last)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  if (first)
    *first = self->src_first;
  if (last)
    *last = self->src_last;
  return self->have_source;
}

const char *
sr_page_render_get_range_message(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), "");
  return gtk_label_get_text(GTK_LABEL(self->range_message));
}

guint
sr_page_render_get_n_rendered(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), 0);
  return g_hash_table_size(self->rendered);
}

GtkWidget *
sr_page_render_get_strip(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), NULL);
  return self->strip;
}

int
sr_page_render_get_frame(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), G_MININT);
  return self->frame;
}

void
sr_page_render_set_frame(SrPageRender *self, int frame)
{
  g_return_if_fail(SR_IS_PAGE_RENDER(self));
  if (self->rendered_first > self->rendered_last)
    return;
  frame = CLAMP(frame, self->rendered_first, self->rendered_last);
  self->frame_chosen = TRUE;
  if (frame == self->frame)
    return;
  self->frame = frame;
  sr_filmstrip_set_current(SR_FILMSTRIP(self->strip), frame);
  sr_page_render_update_review(self);
  sr_page_render_show_frame(self);
}

gboolean
sr_page_render_get_qa_busy(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  return self->qa_job != NULL || self->qa_wanted || self->scan_jobs > 0;
}

int
sr_page_render_get_n_qa_measured(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), -1);
  return self->qa_measured;
}

const char *
sr_page_render_get_qa_reasons(SrPageRender *self, int frame)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), NULL);
  return g_hash_table_lookup(self->qa, GINT_TO_POINTER(frame));
}

const char *
sr_page_render_get_review_message(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), "");
  return gtk_label_get_text(GTK_LABEL(self->review_message));
}

/* ---- Actions -------------------------------------------------------------------- */

/* While a start refused for a missing input still would be. */
static gboolean
start_still_refused(GtkWidget *page)
{
  SrProject *p = sr_page_render_project_of(SR_PAGE_RENDER(page));
  const char *ck = p ? sr_project_get_checkpoint(p) : NULL;
  const char *out = p ? sr_project_get_output_folder(p) : NULL;
  return !ck || !*ck || !out || !*out;
}

static void
report(SrPageRender *self, GError *error)
{
  if (error && g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING))
    sr_ui_show_problem(GTK_WIDGET(self), error->message, start_still_refused);
  else if (error)
    sr_ui_show_error(GTK_WIDGET(self), error->message);
}

static void
action_check(GtkWidget *widget, const char *name, GVariant *param)
{
  g_autoptr(GError) error = NULL;
  /* The first 100 frames: the worker clamps to the sequence's range. */
  if (!start_job(SR_PAGE_RENDER(widget), G_MININT / 2, -1, CHECK_FRAMES, &error))
    report(SR_PAGE_RENDER(widget), error);
}

static void
action_render_all(GtkWidget *widget, const char *name, GVariant *param)
{
  g_autoptr(GError) error = NULL;
  if (!start_job(SR_PAGE_RENDER(widget), G_MININT / 2, -1, 0, &error))
    report(SR_PAGE_RENDER(widget), error);
}

static void
action_render_range(GtkWidget *widget, const char *name, GVariant *param)
{
  g_autoptr(GError) error = NULL;
  SrPageRender *self = SR_PAGE_RENDER(widget);
  /* A bad range is explained under the entry; other failures go to the banner. */
  if (!sr_page_render_render_range(self, &error) &&
      !g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID))
    report(self, error);
}

static void
action_stop(GtkWidget *widget, const char *name, GVariant *param)
{
  sr_page_render_stop(SR_PAGE_RENDER(widget));
}

static void
action_flag(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);
  if (gtk_widget_get_sensitive(self->flag_button) && gtk_widget_get_mapped(self->flag_button))
    gtk_menu_button_popup(GTK_MENU_BUTTON(self->flag_button));
}

static void
action_flag_reason(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);
  g_autoptr(GError) error = NULL;
  if (!sr_page_render_flag_current(self, g_variant_get_string(param, NULL), &error))
    sr_page_render_set_review_message(self, error->message);
}

static void
action_unflag(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);
  if (sr_page_render_project_of(self) && self->frame != G_MININT)
    sr_project_remove_flag(sr_page_render_project_of(self), self->frame);
}

static void
action_step(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);
  int step = g_variant_get_int32(param);

  if (self->frame == G_MININT)
    return;
  if (step == G_MININT32)
    sr_page_render_set_frame(self, self->rendered_first);
  else if (step == G_MAXINT32)
    sr_page_render_set_frame(self, self->rendered_last);
  else
    sr_page_render_set_frame(self, self->frame + step);
}

static void
action_add_pairs(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);
  sr_page_render_add_flagged_pairs(
      self, gtk_check_button_get_active(GTK_CHECK_BUTTON(self->include_qa_check)), NULL);
}

static void
on_mode_toggled(GtkToggleButton *button, SrPageRender *self)
{
  SrViewer *v = SR_VIEWER(self->viewer);

  if (!gtk_toggle_button_get_active(button))
    return;
  if (GTK_WIDGET(button) == self->mode_wipe)
    sr_viewer_set_mode(v, SR_VIEWER_MODE_WIPE);
  else if (GTK_WIDGET(button) == self->mode_source)
    sr_viewer_set_mode(v, SR_VIEWER_MODE_A);
  else if (GTK_WIDGET(button) == self->mode_recovered)
    sr_viewer_set_mode(v, SR_VIEWER_MODE_B);
  else if (GTK_WIDGET(button) == self->mode_side)
    sr_viewer_set_mode(v, SR_VIEWER_MODE_SIDE_BY_SIDE);
  else
    sr_viewer_set_mode(v, SR_VIEWER_MODE_DIFFERENCE);
}

/* W, S, D: wipe, side by side, difference; T: Source ↔ Recovered. */
static void
action_mode(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);
  GtkWidget *modes[] = {self->mode_wipe, self->mode_source, self->mode_recovered, self->mode_side,
                        self->mode_difference};
  int i = g_variant_get_int32(param);

  if (i < 0) /* toggle */
    i = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(self->mode_recovered)) ? 1 : 2;
  if (i < (int)G_N_ELEMENTS(modes))
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(modes[i]), TRUE);
}

static void
on_strip_frame_activated(SrFilmstrip *strip, int frame, SrPageRender *self)
{
  sr_page_render_set_frame(self, frame);
}

static void
on_range_changed(GtkAdjustment *adjustment, SrPageRender *self)
{
  if (!self->syncing)
    self->range_touched = TRUE;
  sr_page_render_update_controls(self);
}

/* ---- Project ------------------------------------------------------------------- */

static void
sr_page_render_project_changed(SrStagePage *page, const char *description)
{
  SrPageRender *self = SR_PAGE_RENDER(page);

  sr_page_render_refresh_facts(self);
  sr_page_render_sync_checkpoint_drop(self);
  sr_page_render_update_controls(self);
  sr_page_render_update_review(self);
  sr_page_render_request_scan(self, FALSE);
}

static void
sr_page_render_project_set(SrStagePage *page, SrProject *project)
{
  SrPageRender *self = SR_PAGE_RENDER(page);

  g_clear_pointer(&self->scan_key, g_free);
  g_clear_pointer(&self->pattern, g_free);
  g_clear_pointer(&self->qa_pattern, g_free);
  g_clear_pointer(&self->qa_error, g_free);
  self->scan_generation++;
  self->have_source = FALSE;
  self->scanned = FALSE;
  self->status_sticky = FALSE;
  self->range_touched = FALSE;
  self->qa_measured = -1;
  self->frame = G_MININT;
  self->frame_chosen = FALSE;
  g_hash_table_remove_all(self->rendered);
  g_hash_table_remove_all(self->qa);
  g_hash_table_remove_all(self->qa_ids);
  g_hash_table_remove_all(self->qa_dirty);
  sr_page_render_update_strip_range(self);
  sr_page_render_set_review_message(self, NULL);
  if (project)
    sr_page_render_project_changed(page, NULL);
  sr_page_render_show_frame(self);
}

/* ---- GObject -------------------------------------------------------------------- */

static void
sr_page_render_dispose(GObject *object)
{
  SrPageRender *self = SR_PAGE_RENDER(object);

  g_clear_handle_id(&self->poll_id, g_source_remove);
  if (self->job)
    sr_job_cancel(self->job);
  g_clear_object(&self->job);
  if (self->qa_job) {
    g_signal_handlers_disconnect_by_data(self->qa_job, self);
    sr_job_cancel(self->qa_job);
  }
  g_clear_object(&self->qa_job);
  if (self->log) {
    render_log_unref(self->log);
    self->log = NULL;
  }
  g_clear_object(&self->thumbnailer);
  self->viewer = NULL;
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_RENDER);
  G_OBJECT_CLASS(sr_page_render_parent_class)->dispose(object);
}

static void
sr_page_render_finalize(GObject *object)
{
  SrPageRender *self = SR_PAGE_RENDER(object);

  g_hash_table_unref(self->rendered);
  g_hash_table_unref(self->qa);
  g_hash_table_unref(self->qa_ids);
  g_hash_table_unref(self->qa_dirty);
  g_free(self->flag_list_sig);
  g_ptr_array_unref(self->checkpoint_paths);
  g_free(self->scan_key);
  g_free(self->source_pattern);
  g_free(self->source_error);
  g_free(self->pattern);
  g_free(self->qa_pattern);
  g_free(self->qa_error);
  for (int i = 0; i < 2; i++)
    g_free(self->side[i].want_path);
  G_OBJECT_CLASS(sr_page_render_parent_class)->finalize(object);
}

static void
sr_page_render_map(GtkWidget *widget)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);

  GTK_WIDGET_CLASS(sr_page_render_parent_class)->map(widget);
  if (self->viewer && gtk_widget_get_mapped(self->viewer) && !gtk_widget_has_focus(self->viewer))
    gtk_widget_grab_focus(self->viewer);
}

static void
sr_page_render_class_init(SrPageRenderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  SrStagePageClass *page_class = SR_STAGE_PAGE_CLASS(klass);

  object_class->dispose = sr_page_render_dispose;
  object_class->finalize = sr_page_render_finalize;
  widget_class->map = sr_page_render_map;
  page_class->project_set = sr_page_render_project_set;
  page_class->project_changed = sr_page_render_project_changed;

  g_type_ensure(SR_TYPE_FILMSTRIP);
  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-render.ui");
#define BIND(name) gtk_widget_class_bind_template_child(widget_class, SrPageRender, name)
  BIND(mode_wipe);
  BIND(mode_source);
  BIND(mode_recovered);
  BIND(mode_side);
  BIND(mode_difference);
  BIND(frame_label);
  BIND(qa_frame_label);
  BIND(viewer_stack);
  BIND(empty_state);
  BIND(empty_title);
  BIND(empty_text);
  BIND(viewer_slot);
  BIND(strip_box);
  BIND(strip);
  BIND(checkpoint_drop);
  BIND(facts_model);
  BIND(first_spin);
  BIND(last_spin);
  BIND(first_adjustment);
  BIND(last_adjustment);
  BIND(range_message);
  BIND(range_button);
  BIND(check_button);
  BIND(all_button);
  BIND(stop_button);
  BIND(progress_bar);
  BIND(status_label);
  BIND(facts_output);
  BIND(current_title);
  BIND(flag_button);
  BIND(unflag_button);
  BIND(current_state);
  BIND(qa_status);
  BIND(flag_list);
  BIND(include_qa_check);
  BIND(regrain_check);
  BIND(add_pairs_button);
  BIND(review_message);
#undef BIND

  gtk_widget_class_install_action(widget_class, "render.check", NULL, action_check);
  gtk_widget_class_install_action(widget_class, "render.render-all", NULL, action_render_all);
  gtk_widget_class_install_action(widget_class, "render.render-range", NULL, action_render_range);
  gtk_widget_class_install_action(widget_class, "render.stop", NULL, action_stop);
  gtk_widget_class_install_action(widget_class, "render.flag", NULL, action_flag);
  gtk_widget_class_install_action(widget_class, "render.flag-reason", "s", action_flag_reason);
  gtk_widget_class_install_action(widget_class, "render.unflag", NULL, action_unflag);
  gtk_widget_class_install_action(widget_class, "render.step", "i", action_step);
  gtk_widget_class_install_action(widget_class, "render.mode", "i", action_mode);
  gtk_widget_class_install_action(widget_class, "render.add-flagged-pairs", NULL, action_add_pairs);
}

static void
sr_page_render_init(SrPageRender *self)
{
  GtkWidget *modes[5];

  gtk_widget_init_template(GTK_WIDGET(self));
  self->rendered = g_hash_table_new(NULL, NULL);
  self->qa = g_hash_table_new_full(NULL, NULL, NULL, g_free);
  self->qa_ids = g_hash_table_new_full(NULL, NULL, NULL, g_free);
  self->qa_dirty = g_hash_table_new(NULL, NULL);
  self->checkpoint_paths = g_ptr_array_new_with_free_func(g_free);
  self->frame = G_MININT;
  self->rendered_first = 0;
  self->rendered_last = -1;
  self->qa_measured = -1;
  for (int i = 0; i < 2; i++)
    self->side[i].want = self->side[i].shown = G_MININT;

  self->viewer = sr_viewer_new();
  gtk_widget_set_vexpand(self->viewer, TRUE);
  gtk_widget_set_hexpand(self->viewer, TRUE);
  gtk_widget_set_focusable(self->viewer, TRUE);
  sr_viewer_set_labels(SR_VIEWER(self->viewer), _("A: Source"), _("B: Recovered"));
  sr_viewer_set_show_labels(SR_VIEWER(self->viewer), TRUE);
  sr_viewer_set_mode(SR_VIEWER(self->viewer), SR_VIEWER_MODE_WIPE);
  gtk_box_append(GTK_BOX(self->viewer_slot), self->viewer);
  self->thumbnailer = g_object_ref(sr_thumbnailer_get_default());

  self->checkpoint_model = gtk_string_list_new(NULL);
  gtk_drop_down_set_model(GTK_DROP_DOWN(self->checkpoint_drop),
                          G_LIST_MODEL(self->checkpoint_model));
  g_object_unref(self->checkpoint_model);
  g_signal_connect(self->checkpoint_drop, "notify::selected", G_CALLBACK(on_checkpoint_selected),
                   self);

  sr_filmstrip_set_funcs(SR_FILMSTRIP(self->strip), sr_page_render_request_thumb,
                         sr_page_render_frame_marks, self);
  sr_filmstrip_set_tooltip_func(SR_FILMSTRIP(self->strip), sr_page_render_frame_tooltip);
  g_signal_connect(self->strip, "frame-activated", G_CALLBACK(on_strip_frame_activated), self);
  g_signal_connect(self->flag_list, "row-activated",
                   G_CALLBACK(sr_page_render_on_flag_row_activated), self);
  g_signal_connect(self->first_adjustment, "value-changed", G_CALLBACK(on_range_changed), self);
  g_signal_connect(self->last_adjustment, "value-changed", G_CALLBACK(on_range_changed), self);
  sr_page_render_build_flag_popover(self);

  modes[0] = self->mode_wipe;
  modes[1] = self->mode_source;
  modes[2] = self->mode_recovered;
  modes[3] = self->mode_side;
  modes[4] = self->mode_difference;
  for (int i = 0; i < 5; i++)
    g_signal_connect(modes[i], "toggled", G_CALLBACK(on_mode_toggled), self);

  /* Captured before the viewer sees them: on this page F flags (the viewer's
   * fit stays on its toolbar action and the wheel). */
  GtkShortcutController *keys = sr_ui_page_keys_new(GTK_WIDGET(self), "render-keys");
  sr_ui_page_key(keys, GDK_KEY_f, "render.flag", NULL);
  sr_ui_page_key(keys, GDK_KEY_F, "render.flag", NULL);
  sr_ui_page_key(keys, GDK_KEY_Left, "render.step", g_variant_new_int32(-1));
  sr_ui_page_key(keys, GDK_KEY_Right, "render.step", g_variant_new_int32(1));
  sr_ui_page_jump_keys(keys, "render.step");
  sr_ui_page_key(keys, GDK_KEY_w, "render.mode", g_variant_new_int32(0));
  sr_ui_page_key(keys, GDK_KEY_s, "render.mode", g_variant_new_int32(3));
  sr_ui_page_key(keys, GDK_KEY_d, "render.mode", g_variant_new_int32(4));
  sr_ui_page_key(keys, GDK_KEY_t, "render.mode", g_variant_new_int32(-1));

  gtk_widget_set_visible(self->checkpoint_drop, FALSE);
  sr_page_render_update_strip_range(self);
  sr_page_render_update_controls(self);
  sr_page_render_show_frame(self);
}
