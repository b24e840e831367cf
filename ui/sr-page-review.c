/* sr-page-review.c — the Review page (see sr-page-review.h): finding the
 * render, its frames against the Source, the scopes, the comparison modes,
 * the acceptance checklist and flags. The metrics are in
 * sr-page-review-metrics.c, the stills export in sr-page-review-stills.c.
 *
 * Everything that touches files or pixels runs off the main loop: finding
 * the render (sr_delivery_default_render_pattern reads the checkpoint),
 * loading frames (two SrFrameCaches, Source and render), the scopes (one
 * SrJob at a time; a result for frames no longer shown is dropped and the
 * latest frames are measured next), the per-frame metrics
 * (sr_validation_run) and the stills export. */
#include "sr-page-review-private.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-delivery.h"
#include "sr-frame-cache.h"
#include "sr-scopes.h"
#include "sr-timecode-spin.h"
#include "sr-ui-util.h"
#include "sr-validation-note.h"

/* On-screen scope pictures: the widget scales them; a vectorscope under
 * 160 px gets no bitmap names from the engine (the widget draws them). */
#define WAVE_W      320
#define WAVE_H      160
#define VECTOR_SIDE 150
/* The checklist (ids, labels, hints, plot titles) is sr_acceptance_items,
 * the one delivery's sign-off reads (sr-signoff.h). */
G_STATIC_ASSERT(SR_REVIEW_N_ITEMS == SR_ACCEPTANCE_N_ITEMS);

const char *
sr_page_review_item_id(int index)
{
  g_return_val_if_fail(index >= 0 && index < SR_REVIEW_N_ITEMS, NULL);
  return sr_acceptance_items[index].id;
}

G_DEFINE_FINAL_TYPE(SrPageReview, sr_page_review, SR_TYPE_STAGE_PAGE)

SrProject *
sr_page_review_project_of(SrPageReview *self)
{
  return sr_stage_page_get_project(SR_STAGE_PAGE(self));
}

/* Busy while the render is measured or stills are written. */
void
sr_page_review_update_busy(SrPageReview *self)
{
  sr_stage_page_set_busy(SR_STAGE_PAGE(self), self->measure_job || self->export_job);
}

static void show_frame(SrPageReview *self);
static void queue_scopes(SrPageReview *self);

SrViewer *
sr_page_review_viewer(SrPageReview *self)
{
  return SR_VIEWER(self->viewer);
}

void
sr_page_review_set_message(SrPageReview *self, const char *text, gboolean can_open)
{
  g_free(self->message);
  self->message = g_strdup(text);
  gtk_label_set_text(GTK_LABEL(self->message_label), text ? text : "");
  /* Long folder names are shortened in the middle; the tooltip has it all. */
  gtk_widget_set_tooltip_text(self->message_label, text);
  gtk_widget_set_visible(self->open_folder_button, can_open);
  gtk_revealer_set_reveal_child(GTK_REVEALER(self->message_revealer), text != NULL);
}

void
sr_page_review_set_measure_text(SrPageReview *self, const char *text)
{
  gtk_label_set_text(GTK_LABEL(self->measure_label), text);
  gtk_widget_set_tooltip_text(self->measure_label, text);
}

/* ---- Finding the render (worker) -------------------------------------------------- */

typedef struct {
  SrPageReview *page;
  guint generation;
  SrProject *snapshot;
  char *source_pattern, *render_pattern;
  sr_sequence source, render;
  gboolean ok;
  char *error;
} DetectJob;

static void
detect_job_free(gpointer data)
{
  DetectJob *d = data;
  g_clear_object(&d->snapshot);
  g_free(d->source_pattern);
  g_free(d->render_pattern);
  sr_sequence_clear(&d->source);
  sr_sequence_clear(&d->render);
  g_free(d->error);
  g_free(d);
}

static gboolean
detect_thread(SrJob *job, gpointer data, GError **error)
{
  DetectJob *d = data;
  sr_error err = {0};

  d->render_pattern = sr_delivery_default_render_pattern(d->snapshot);
  if (!d->render_pattern) {
    d->error = g_strdup(_("No output folder: choose one on the Project page, then render."));
    return TRUE;
  }
  if (!sr_sequence_open(&d->render, d->render_pattern, &err)) {
    /* No rendered frame yet is the common case, not an error. */
    return TRUE;
  }
  if (!d->source_pattern || !sr_sequence_open(&d->source, d->source_pattern, &err)) {
    d->error = d->source_pattern
                   ? g_strdup_printf(_("Cannot read the Source to compare with: %s"), err.message)
                   : g_strdup(_("No Source sequence: choose one on the Project page."));
    return TRUE;
  }
  d->ok = TRUE;
  return TRUE;
}

static void
show_empty(SrPageReview *self, const char *title, const char *text)
{
  gtk_label_set_text(GTK_LABEL(self->empty_title), title);
  gtk_label_set_text(GTK_LABEL(self->empty_text), text);
  gtk_stack_set_visible_child_name(GTK_STACK(self->stack), "empty");
}

static void
clear_pictures(SrPageReview *self)
{
  g_clear_pointer(&self->frame_a, sr_frame_unref);
  g_clear_pointer(&self->frame_b, sr_frame_unref);
  g_clear_pointer(&self->scoped_a, sr_frame_unref);
  g_clear_pointer(&self->scoped_b, sr_frame_unref);
  sr_viewer_set_frames(sr_page_review_viewer(self), NULL, NULL);
  sr_scope_view_set_picture(SR_SCOPE_VIEW(self->wave_a), NULL, 0, 0);
  sr_scope_view_set_picture(SR_SCOPE_VIEW(self->wave_b), NULL, 0, 0);
  sr_scope_view_set_picture(SR_SCOPE_VIEW(self->vec_a), NULL, 0, 0);
  sr_scope_view_set_picture(SR_SCOPE_VIEW(self->vec_b), NULL, 0, 0);
}

static void
on_detect_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  DetectJob *d = sr_job_get_data(SR_JOB(source));
  SrPageReview *self = d->page;

  if (d->generation != self->detect_generation || !sr_page_review_project_of(self)) {
    g_object_unref(self);
    return;
  }
  self->detecting = FALSE;
  if (!d->ok) {
    sr_page_review_playback_stop(self);
    self->has_render = FALSE;
    g_clear_pointer(&self->render_key, g_free);
    sr_frame_cache_set_sequence(self->source_frames, NULL);
    sr_frame_cache_set_sequence(self->render_frames, NULL);
    clear_pictures(self);
    self->frame = G_MININT;
    if (d->error)
      show_empty(self, _("Cannot review yet"), d->error);
    else
      show_empty(self, _("Nothing rendered yet"),
                 _("Render frames on the Render page first. Review then compares Original and "
                   "Recovered with a wipe, split screen and toggle, reads both on the waveform "
                   "and vectorscope, and plots the metrics of every rendered frame."));
    g_object_unref(self);
    return;
  }

  g_autofree char *key = g_strdup_printf("%s\n%s\n%d\n%d\n%d", d->render_pattern, d->source_pattern,
                                         d->render.first, d->render.last, d->render.n_missing);
  if (g_strcmp0(key, self->render_key) != 0) {
    g_free(self->render_key);
    self->render_key = g_steal_pointer(&key);
    g_free(self->render_pattern);
    self->render_pattern = g_strdup(d->render_pattern);
    g_free(self->source_pattern);
    self->source_pattern = g_strdup(d->source_pattern);
    self->first = d->render.first;
    self->last = d->render.last;
    self->has_render = TRUE;
    /* A render rewrites frames under the same names: read them afresh. */
    sr_frame_cache_set_sequence(self->source_frames, &d->source);
    sr_frame_cache_set_sequence(self->render_frames, &d->render);
    clear_pictures(self);
    sr_page_review_grain_render_changed(self);
    int frame = self->frame == G_MININT ? self->first : CLAMP(self->frame, self->first, self->last);
    self->frame = G_MININT;
    self->syncing = TRUE;
    gtk_adjustment_configure(self->timeline_adjustment, frame, self->first, self->last, 1, 10, 0);
    self->syncing = FALSE;
    gtk_widget_set_sensitive(self->timeline, self->last > self->first);
    for (int i = 0; i < SR_REVIEW_N_ITEMS; i++)
      sr_metric_plot_set_range(SR_METRIC_PLOT(self->plots[i]), self->first, self->last);
    gtk_stack_set_visible_child_name(GTK_STACK(self->stack), "review");
    sr_page_review_set_frame(self, frame);
    sr_page_review_playback_range_changed(self, &d->source);
  } else {
    sr_page_review_grain_refresh(self);
  }
  if (g_strcmp0(self->measured_key, self->render_key) != 0 && !self->measure_job)
    sr_page_review_start_measure(self);
  g_object_unref(self);
}

static const char *
nonnull(const char *s)
{
  return s ? s : "";
}

/* What the render's location depends on. */
static char *
detect_key(SrProject *p)
{
  return g_strjoin("\n", nonnull(sr_project_get_output_folder(p)),
                   nonnull(sr_project_get_checkpoint(p)), nonnull(sr_project_get_version(p)),
                   nonnull(sr_project_get_source_pattern(p)), nonnull(sr_project_get_name(p)),
                   NULL);
}

static void
detect_render(SrPageReview *self)
{
  g_autoptr(GError) error = NULL;

  if (!sr_page_review_project_of(self))
    return;
  SrProject *snapshot = sr_project_copy_for_thread(sr_page_review_project_of(self), &error);
  if (!snapshot) {
    show_empty(self, _("Cannot review yet"), error->message);
    return;
  }
  g_free(self->detect_key);
  self->detect_key = detect_key(sr_page_review_project_of(self));
  DetectJob *d = g_new0(DetectJob, 1);
  d->page = g_object_ref(self);
  d->generation = ++self->detect_generation;
  d->snapshot = snapshot;
  const char *src = sr_project_get_source_pattern(sr_page_review_project_of(self));
  d->source_pattern =
      src && src[0] ? sr_project_resolve_path(sr_page_review_project_of(self), src) : NULL;
  self->detecting = TRUE;
  g_autoptr(SrJob) job =
      sr_job_new(_("Looking for rendered frames"), detect_thread, d, detect_job_free);
  sr_ui_run_job(GTK_WIDGET(self), job, FALSE, on_detect_done, NULL);
}

/* ---- Frames ------------------------------------------------------------------------- */

/* Original and Recovered are both in the Source's colour space (the merge
 * writes the render in it), so one display transform serves both. */
static void
sync_colourspace(SrPageReview *self)
{
  if (!sr_page_review_project_of(self))
    return;
  sr_colourspace cs = sr_project_get_source_colourspace(sr_page_review_project_of(self));
  if (sr_viewer_get_colourspace(sr_page_review_viewer(self)) != cs)
    sr_viewer_set_colourspace(sr_page_review_viewer(self), cs);
}

static void
on_source_ready(SrFrameCache *cache, int number, SrFrame *frame, SrPageReview *self)
{
  if (number != self->frame)
    return;
  sync_colourspace(self);
  g_clear_pointer(&self->frame_a, sr_frame_unref);
  self->frame_a = sr_frame_ref(frame);
  sr_viewer_set_frame_a(sr_page_review_viewer(self), frame);
  if (self->speed == 0) /* scopes wait for the frame playback pauses on */
    queue_scopes(self);
}

/* Recovered (B) in the viewer and its scopes: the frame as rendered, or
 * the Grain toggle's preview of it (sr-page-review-grain.c). */
void
sr_page_review_show_b(SrPageReview *self, SrFrame *frame)
{
  g_clear_pointer(&self->frame_b, sr_frame_unref);
  self->frame_b = sr_frame_ref(frame);
  sr_viewer_set_frame_b(sr_page_review_viewer(self), frame);
  if (self->speed == 0) /* scopes wait for the frame playback pauses on */
    queue_scopes(self);
}

static void
on_render_ready(SrFrameCache *cache, int number, SrFrame *frame, SrPageReview *self)
{
  if (number != self->frame)
    return;
  sync_colourspace(self);
  sr_page_review_grain_show(self, frame);
}

static void
on_frame_failed(SrFrameCache *cache, int number, const char *message, SrPageReview *self)
{
  if (number == self->frame)
    sr_ui_show_error(GTK_WIDGET(self), message);
}

static void
sync_flag_button(SrPageReview *self)
{
  gboolean flagged = FALSE;

  if (sr_page_review_project_of(self)) {
    const GArray *flags = sr_project_get_flags(sr_page_review_project_of(self));
    for (guint i = 0; i < flags->len; i++)
      flagged |= g_array_index(flags, SrFlag, i).frame == self->frame;
  }
  self->syncing = TRUE;
  gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(self->flag_button), flagged);
  self->syncing = FALSE;
  /* A flagged frame offers to unflag it, not to flag it again. */
  const char *label = flagged ? _("Flagged — Unflag") : _("Flag frame");
  if (g_strcmp0(gtk_button_get_label(GTK_BUTTON(self->flag_button)), label) != 0)
    gtk_button_set_label(GTK_BUTTON(self->flag_button), label);
  gtk_widget_set_tooltip_text(
      self->flag_button,
      flagged ? _("This frame is flagged; click (or F) to take the flag off")
              : _("Flag this frame for another look; flagged frames can become new pairs (F)"));
}

static void
show_frame(SrPageReview *self)
{
  sr_viewer_set_frame_number(sr_page_review_viewer(self), self->frame);
  for (int i = 0; i < SR_REVIEW_N_ITEMS; i++)
    sr_metric_plot_set_current(SR_METRIC_PLOT(self->plots[i]), self->frame);
  sync_flag_button(self);
  sr_frame_cache_show(self->source_frames, self->frame);
  sr_frame_cache_show(self->render_frames, self->frame);
}

void
sr_page_review_set_frame(SrPageReview *self, int frame)
{
  g_return_if_fail(SR_IS_PAGE_REVIEW(self));
  if (!self->has_render)
    return;
  frame = CLAMP(frame, self->first, self->last);
  self->syncing = TRUE;
  gtk_adjustment_set_value(self->timeline_adjustment, frame);
  self->syncing = FALSE;
  if (frame == self->frame)
    return;
  self->frame = frame;
  /* The old pictures stay in the viewer until the new ones arrive; they no
   * longer count as the frame shown. */
  g_clear_pointer(&self->frame_a, sr_frame_unref);
  g_clear_pointer(&self->frame_b, sr_frame_unref);
  show_frame(self);
}

int
sr_page_review_get_frame(SrPageReview *self)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), G_MININT);
  return self->has_render ? self->frame : G_MININT;
}

gboolean
sr_page_review_get_has_render(SrPageReview *self, int *first, int *last)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), FALSE);
  if (first)
    *first = self->first;
  if (last)
    *last = self->last;
  return self->has_render;
}

gboolean
sr_page_review_get_settled(SrPageReview *self)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), FALSE);
  return self->has_render && self->frame_a && self->frame_b && self->scoped_a == self->frame_a &&
         self->scoped_b == self->frame_b && !self->scope_running && !self->grain_busy;
}

static void
on_timeline_changed(GtkAdjustment *adjustment, SrPageReview *self)
{
  if (!self->syncing)
    sr_page_review_set_frame(self, (int)lround(gtk_adjustment_get_value(adjustment)));
}

static void
action_step(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageReview *self = SR_PAGE_REVIEW(widget);
  int step = g_variant_get_int32(param);

  if (!self->has_render)
    return;
  if (step == G_MININT32)
    sr_page_review_set_frame(self, self->first);
  else if (step == G_MAXINT32)
    sr_page_review_set_frame(self, self->last);
  else
    sr_page_review_set_frame(self, self->frame + step);
}

/* ---- Scopes (worker) ---------------------------------------------------------------- */

typedef struct {
  SrPageReview *page;
  SrFrame *a, *b;
  sr_colourspace space;
  sr_ycbcr_matrix matrix;
  guint8 *wave[2], *vector[2];
  char *error;
} ScopeJob;

static void
scope_job_free(gpointer data)
{
  ScopeJob *s = data;
  g_clear_pointer(&s->a, sr_frame_unref);
  g_clear_pointer(&s->b, sr_frame_unref);
  for (int i = 0; i < 2; i++) {
    g_free(s->wave[i]);
    g_free(s->vector[i]);
  }
  g_free(s->error);
  g_free(s);
}

/* The frame in the training domain (display-referred Rec.709), where the
 * scopes' 0..1 means something, every step-th pixel of every step-th row
 * with step chosen for at most max_columns columns: a waveform column then
 * still gets a frame column of its own, and a 4K frame costs what a small
 * one does. */
static sr_image *
scope_source(const sr_image *img, sr_colourspace space, int max_columns, sr_error *err)
{
  int step = MAX(1, (img->width + max_columns - 1) / max_columns);
  int w = (img->width + step - 1) / step, h = (img->height + step - 1) / step;
  int c = img->channels;
  sr_image *out = sr_image_new(w, h, c, err);

  if (!out)
    return NULL;
  for (int y = 0; y < h; y++) {
    const float *src = img->pixels + (size_t)y * step * img->width * c;
    float *dst = out->pixels + (size_t)y * w * c;
    for (int x = 0; x < w; x++)
      memcpy(dst + (size_t)x * c, src + (size_t)x * step * c, sizeof(float) * c);
  }
  if (space != SR_TRAINING_DOMAIN) {
    sr_domain *d = sr_domain_new(space, err);
    if (!d) {
      sr_image_free(out);
      return NULL;
    }
    sr_domain_forward(d, out->pixels, (size_t)w * h, c);
    sr_domain_free(d);
  }
  return out;
}

/* Waveform and vectorscope of one frame into freshly allocated RGBA8. */
gboolean
sr_page_review_draw_scopes(const sr_image *img, sr_colourspace space, sr_ycbcr_matrix matrix,
                           int wave_w, int wave_h, int vector_side, guint8 **wave, guint8 **vector,
                           sr_error *err)
{
  sr_image *domain = scope_source(img, space, 2 * wave_w, err);
  sr_scope_options o;
  gboolean ok;

  if (!domain)
    return FALSE;
  *wave = g_malloc((gsize)wave_w * wave_h * 4);
  *vector = g_malloc((gsize)vector_side * vector_side * 4);
  sr_scope_options_init(&o, wave_w, wave_h);
  o.matrix = matrix;
  ok = sr_scope_waveform(domain, &o, *wave, err);
  if (ok) {
    sr_scope_options_init(&o, vector_side, vector_side);
    o.matrix = matrix;
    ok = sr_scope_vectorscope(domain, &o, *vector, err);
  }
  sr_image_free(domain);
  if (!ok) {
    g_clear_pointer(wave, g_free);
    g_clear_pointer(vector, g_free);
  }
  return ok;
}

static gboolean
scope_thread(SrJob *job, gpointer data, GError **error)
{
  ScopeJob *s = data;
  SrFrame *frames[2] = {s->a, s->b};
  sr_error err = {0};

  for (int i = 0; i < 2; i++) {
    if (!frames[i])
      continue;
    if (!sr_page_review_draw_scopes(sr_frame_get_image(frames[i]), s->space, s->matrix, WAVE_W,
                                    WAVE_H, VECTOR_SIDE, &s->wave[i], &s->vector[i], &err)) {
      s->error =
          g_strdup_printf(_("Scopes of frame %d: %s"), sr_frame_get_number(frames[i]), err.message);
      return TRUE;
    }
  }
  return TRUE;
}

static void start_scopes(SrPageReview *self);

static void
on_scopes_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  ScopeJob *s = sr_job_get_data(SR_JOB(source));
  SrPageReview *self = s->page;

  self->scope_running = FALSE;
  if (sr_page_review_project_of(self) && s->a == self->frame_a && s->b == self->frame_b) {
    /* Still the frames shown: keep the result. */
    if (s->error) {
      sr_ui_show_error(GTK_WIDGET(self), s->error);
    } else {
      if (s->a) {
        sr_scope_view_set_picture(SR_SCOPE_VIEW(self->wave_a), s->wave[0], WAVE_W, WAVE_H);
        sr_scope_view_set_picture(SR_SCOPE_VIEW(self->vec_a), s->vector[0], VECTOR_SIDE,
                                  VECTOR_SIDE);
      }
      if (s->b) {
        sr_scope_view_set_picture(SR_SCOPE_VIEW(self->wave_b), s->wave[1], WAVE_W, WAVE_H);
        sr_scope_view_set_picture(SR_SCOPE_VIEW(self->vec_b), s->vector[1], VECTOR_SIDE,
                                  VECTOR_SIDE);
      }
    }
    g_clear_pointer(&self->scoped_a, sr_frame_unref);
    g_clear_pointer(&self->scoped_b, sr_frame_unref);
    self->scoped_a = s->a ? sr_frame_ref(s->a) : NULL;
    self->scoped_b = s->b ? sr_frame_ref(s->b) : NULL;
  }
  if (self->scope_dirty && sr_page_review_project_of(self))
    start_scopes(self);
  g_object_unref(self);
}

static void
start_scopes(SrPageReview *self)
{
  self->scope_dirty = FALSE;
  if (!self->frame_a && !self->frame_b)
    return;
  if (self->frame_a == self->scoped_a && self->frame_b == self->scoped_b)
    return;
  ScopeJob *s = g_new0(ScopeJob, 1);
  s->page = g_object_ref(self);
  s->a = self->frame_a ? sr_frame_ref(self->frame_a) : NULL;
  s->b = self->frame_b ? sr_frame_ref(self->frame_b) : NULL;
  /* The render is written in the Source's colour space. */
  s->space = sr_project_get_source_colourspace(sr_page_review_project_of(self));
  s->matrix = SR_YCBCR_BT709;
  self->scope_running = TRUE;
  g_autoptr(SrJob) job = sr_job_new(_("Drawing the scopes"), scope_thread, s, scope_job_free);
  sr_ui_run_job(GTK_WIDGET(self), job, FALSE, on_scopes_done, NULL);
}

static void
queue_scopes(SrPageReview *self)
{
  if (self->scope_running)
    self->scope_dirty = TRUE;
  else
    start_scopes(self);
}

/* ---- Comparison modes ------------------------------------------------------------------ */

static void
sync_mode_buttons(SrPageReview *self)
{
  SrViewerMode mode = sr_viewer_get_mode(sr_page_review_viewer(self));
  GtkWidget *active = mode == SR_VIEWER_MODE_WIPE           ? self->mode_wipe
                      : mode == SR_VIEWER_MODE_SIDE_BY_SIDE ? self->mode_split
                      : mode == SR_VIEWER_MODE_DIFFERENCE   ? self->mode_difference
                                                            : self->mode_toggle;

  self->syncing = TRUE;
  gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(active), TRUE);
  self->syncing = FALSE;
  gtk_widget_set_visible(self->gain_box, mode == SR_VIEWER_MODE_DIFFERENCE);
  gtk_label_set_text(GTK_LABEL(self->showing_label),
                     mode == SR_VIEWER_MODE_A   ? _("Showing Original — T shows Recovered")
                     : mode == SR_VIEWER_MODE_B ? _("Showing Recovered — T shows Original")
                     : mode == SR_VIEWER_MODE_WIPE
                         ? _("Original left, Recovered right — drag the line")
                     : mode == SR_VIEWER_MODE_SIDE_BY_SIDE ? _("Original left, Recovered right")
                                                           : _("|Original − Recovered| × gain"));
}

static void
on_viewer_mode(SrViewer *v, GParamSpec *pspec, SrPageReview *self)
{
  sync_mode_buttons(self);
}

static void
on_mode_toggled(GtkToggleButton *button, SrPageReview *self)
{
  if (self->syncing || !gtk_toggle_button_get_active(button))
    return;
  GtkWidget *b = GTK_WIDGET(button);
  if (b == self->mode_wipe)
    sr_viewer_set_mode(sr_page_review_viewer(self), SR_VIEWER_MODE_WIPE);
  else if (b == self->mode_split)
    sr_viewer_set_mode(sr_page_review_viewer(self), SR_VIEWER_MODE_SIDE_BY_SIDE);
  else if (b == self->mode_difference)
    sr_viewer_set_mode(sr_page_review_viewer(self), SR_VIEWER_MODE_DIFFERENCE);
  else {
    self->entering_toggle = TRUE;
    sr_viewer_set_mode(sr_page_review_viewer(self), SR_VIEWER_MODE_B);
  }
}

/* A click on Toggle while it is already active flips A and B. */
static void
on_toggle_clicked(GtkButton *button, SrPageReview *self)
{
  if (self->entering_toggle)
    self->entering_toggle = FALSE;
  else
    sr_viewer_toggle_ab(sr_page_review_viewer(self));
}

static void
action_mode(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageReview *self = SR_PAGE_REVIEW(widget);
  static const SrViewerMode modes[] = {SR_VIEWER_MODE_WIPE, SR_VIEWER_MODE_SIDE_BY_SIDE,
                                       SR_VIEWER_MODE_B, SR_VIEWER_MODE_DIFFERENCE};
  int i = g_variant_get_int32(param);

  if (i >= 0 && i < (int)G_N_ELEMENTS(modes))
    sr_viewer_set_mode(sr_page_review_viewer(self), modes[i]);
}

static void
action_toggle(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageReview *self = SR_PAGE_REVIEW(widget);
  SrViewerMode mode = sr_viewer_get_mode(sr_page_review_viewer(self));

  /* From a two-picture mode, start on Recovered (what is being judged). */
  if (mode == SR_VIEWER_MODE_A || mode == SR_VIEWER_MODE_B)
    sr_viewer_toggle_ab(sr_page_review_viewer(self));
  else
    sr_viewer_set_mode(sr_page_review_viewer(self), SR_VIEWER_MODE_B);
}

static void
on_gain_changed(GtkAdjustment *adjustment, SrPageReview *self)
{
  sr_viewer_set_difference_gain(sr_page_review_viewer(self), gtk_adjustment_get_value(adjustment));
}

/* ---- Checklist and flags ----------------------------------------------------------------- */

static void
sync_checklist(SrPageReview *self)
{
  self->syncing = TRUE;
  for (int i = 0; i < SR_REVIEW_N_ITEMS; i++)
    gtk_check_button_set_active(
        GTK_CHECK_BUTTON(self->checks[i]),
        sr_page_review_project_of(self) &&
            sr_project_get_accepted(sr_page_review_project_of(self), sr_acceptance_items[i].id));
  self->syncing = FALSE;
}

static void
on_check_toggled(GtkCheckButton *check, SrPageReview *self)
{
  if (self->syncing || !sr_page_review_project_of(self))
    return;
  for (int i = 0; i < SR_REVIEW_N_ITEMS; i++)
    if (GTK_WIDGET(check) == self->checks[i] &&
        sr_project_get_accepted(sr_page_review_project_of(self), sr_acceptance_items[i].id) !=
            gtk_check_button_get_active(check))
      sr_project_set_accepted(sr_page_review_project_of(self), sr_acceptance_items[i].id,
                              gtk_check_button_get_active(check));
}

static void
build_checklist(SrPageReview *self)
{
  for (int i = 0; i < SR_REVIEW_N_ITEMS; i++) {
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *check = gtk_check_button_new_with_label(_(sr_acceptance_items[i].label));
    GtkWidget *hint = gtk_label_new(_(sr_acceptance_items[i].hint));

    gtk_label_set_xalign(GTK_LABEL(hint), 0);
    gtk_label_set_wrap(GTK_LABEL(hint), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(hint), 40);
    gtk_widget_add_css_class(hint, "dim-label");
    gtk_widget_add_css_class(hint, "caption");
    gtk_widget_add_css_class(hint, "review-hint");
    g_signal_connect(check, "toggled", G_CALLBACK(on_check_toggled), self);
    gtk_box_append(GTK_BOX(box), check);
    gtk_box_append(GTK_BOX(box), hint);
    gtk_box_append(GTK_BOX(self->checklist), box);
    self->checks[i] = check;
  }
}

static void
on_flag_toggled(GtkToggleButton *button, SrPageReview *self)
{
  if (self->syncing || !sr_page_review_project_of(self) || !self->has_render)
    return;
  if (gtk_toggle_button_get_active(button))
    sr_project_add_flag(sr_page_review_project_of(self), self->frame, _("Flagged in review"));
  else
    sr_project_remove_flag(sr_page_review_project_of(self), self->frame);
}

static void
action_flag(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageReview *self = SR_PAGE_REVIEW(widget);
  GtkToggleButton *b = GTK_TOGGLE_BUTTON(self->flag_button);

  if (self->has_render)
    gtk_toggle_button_set_active(b, !gtk_toggle_button_get_active(b));
}

/* ---- Project ------------------------------------------------------------------------------ */

static void
sr_page_review_project_changed(SrStagePage *page, const char *description)
{
  SrPageReview *self = SR_PAGE_REVIEW(page);

  sync_checklist(self);
  sync_flag_button(self);
  sr_page_review_update_marks(self);
  sr_timecode_spin_set_project(GTK_SPIN_BUTTON(self->frame_spin), sr_stage_page_get_project(page));
  sr_page_review_playback_follow_project(self, FALSE);
  g_autofree char *key = detect_key(sr_stage_page_get_project(page));
  if (gtk_widget_get_mapped(GTK_WIDGET(self)) && g_strcmp0(key, self->detect_key) != 0)
    detect_render(self);
}

static void
on_map(GtkWidget *widget, SrPageReview *self)
{
  /* Frames may have been rendered since the page was last shown. */
  detect_render(self);
}

static void
sr_page_review_project_set(SrStagePage *page, SrProject *project)
{
  SrPageReview *self = SR_PAGE_REVIEW(page);

  g_clear_pointer(&self->render_key, g_free);
  g_clear_pointer(&self->measured_key, g_free);
  g_clear_pointer(&self->qa, g_free);
  self->detect_generation++;
  self->has_render = FALSE;
  self->frame = G_MININT;
  clear_pictures(self);
  sr_page_review_update_plots(self);
  sync_checklist(self);
  sr_timecode_spin_set_project(GTK_SPIN_BUTTON(self->frame_spin), project);
  sr_page_review_playback_follow_project(self, TRUE);
  show_empty(self, _("Nothing rendered yet"), _("Render frames on the Render page first."));
  if (project && gtk_widget_get_mapped(GTK_WIDGET(self)))
    detect_render(self);
}

/* ---- Accessors ------------------------------------------------------------------------------ */

SrViewer *
sr_page_review_get_viewer(SrPageReview *self)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), NULL);
  return sr_page_review_viewer(self);
}

SrScopeView *
sr_page_review_get_scope(SrPageReview *self, gboolean vectorscope, gboolean recovered)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), NULL);
  if (vectorscope)
    return SR_SCOPE_VIEW(recovered ? self->vec_b : self->vec_a);
  return SR_SCOPE_VIEW(recovered ? self->wave_b : self->wave_a);
}

SrMetricPlot *
sr_page_review_get_plot(SrPageReview *self, int index)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), NULL);
  g_return_val_if_fail(index >= 0 && index < SR_REVIEW_N_ITEMS, NULL);
  return SR_METRIC_PLOT(self->plots[index]);
}

GtkCheckButton *
sr_page_review_get_check(SrPageReview *self, int index)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), NULL);
  g_return_val_if_fail(index >= 0 && index < SR_REVIEW_N_ITEMS, NULL);
  return GTK_CHECK_BUTTON(self->checks[index]);
}

/* ---- GObject -------------------------------------------------------------------------------- */

static void
sr_page_review_dispose(GObject *object)
{
  SrPageReview *self = SR_PAGE_REVIEW(object);

  if (self->measure_job) {
    g_signal_handlers_disconnect_by_data(self->measure_job, self);
    sr_job_cancel(self->measure_job);
  }
  g_clear_object(&self->measure_job);
  g_clear_object(&self->export_job);
  if (self->source_frames)
    g_signal_handlers_disconnect_by_data(self->source_frames, self);
  if (self->render_frames)
    g_signal_handlers_disconnect_by_data(self->render_frames, self);
  g_clear_object(&self->source_frames);
  g_clear_object(&self->render_frames);
  g_clear_pointer(&self->frame_a, sr_frame_unref);
  g_clear_pointer(&self->frame_b, sr_frame_unref);
  g_clear_pointer(&self->scoped_a, sr_frame_unref);
  g_clear_pointer(&self->scoped_b, sr_frame_unref);
  g_clear_pointer(&self->rendered_b, sr_frame_unref);
  g_clear_pointer(&self->grain_plan, g_free);
  self->grain_generation++;
  g_clear_pointer(&self->stills, g_ptr_array_unref);
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_REVIEW);
  G_OBJECT_CLASS(sr_page_review_parent_class)->dispose(object);
}

static void
sr_page_review_finalize(GObject *object)
{
  SrPageReview *self = SR_PAGE_REVIEW(object);

  g_free(self->detect_key);
  g_free(self->render_key);
  g_free(self->render_pattern);
  g_free(self->source_pattern);
  g_free(self->measured_key);
  g_free(self->qa);
  g_free(self->stills_dir);
  g_free(self->message);
  G_OBJECT_CLASS(sr_page_review_parent_class)->finalize(object);
}

static void
sr_page_review_class_init(SrPageReviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  SrStagePageClass *page_class = SR_STAGE_PAGE_CLASS(klass);

  object_class->dispose = sr_page_review_dispose;
  object_class->finalize = sr_page_review_finalize;
  page_class->project_set = sr_page_review_project_set;
  page_class->project_changed = sr_page_review_project_changed;

  g_type_ensure(SR_TYPE_SCOPE_VIEW);
  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-review.ui");
#define BIND(name) gtk_widget_class_bind_template_child(widget_class, SrPageReview, name)
  BIND(stack);
  BIND(empty_title);
  BIND(empty_text);
  BIND(go_render);
  BIND(mode_wipe);
  BIND(mode_split);
  BIND(mode_toggle);
  BIND(mode_difference);
  BIND(gain_box);
  BIND(gain_spin);
  BIND(gain_adjustment);
  BIND(showing_label);
  BIND(measure_button);
  BIND(export_button);
  BIND(message_revealer);
  BIND(message_label);
  BIND(open_folder_button);
  BIND(message_close);
  BIND(viewer_slot);
  BIND(timeline);
  BIND(timeline_adjustment);
  BIND(frame_spin);
  BIND(flag_button);
  BIND(plots_box);
  BIND(measure_label);
  BIND(checklist);
  BIND(wave_a);
  BIND(wave_b);
  BIND(vec_a);
  BIND(vec_b);
  BIND(grain_check);
  gtk_widget_class_bind_template_callback(widget_class, sr_page_review_on_grain_toggled);
#undef BIND

  gtk_widget_class_install_action(widget_class, "review.step", "i", action_step);
  gtk_widget_class_install_action(widget_class, "review.mode", "i", action_mode);
  gtk_widget_class_install_action(widget_class, "review.toggle", NULL, action_toggle);
  gtk_widget_class_install_action(widget_class, "review.flag", NULL, action_flag);
  gtk_widget_class_install_action(widget_class, "review.measure", NULL,
                                  sr_page_review_action_measure);
  gtk_widget_class_install_action(widget_class, "review.export-stills", NULL,
                                  sr_page_review_action_export);
  sr_page_review_playback_class_init(widget_class);
}

static void
sr_page_review_init(SrPageReview *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
  sr_timecode_spin_attach(GTK_SPIN_BUTTON(self->frame_spin));
  self->frame = G_MININT;

  /* Captured before the viewer sees them: on this page F flags and T
   * toggles Source and Recovered, wherever the focus is. */
  GtkShortcutController *keys = sr_ui_page_keys_new(GTK_WIDGET(self), "review-keys");
  sr_ui_page_key(keys, GDK_KEY_Left, "review.step", g_variant_new_int32(-1));
  sr_ui_page_key(keys, GDK_KEY_Right, "review.step", g_variant_new_int32(1));
  sr_ui_page_jump_keys(keys, "review.step");
  sr_ui_page_key(keys, GDK_KEY_w, "review.mode", g_variant_new_int32(0));
  sr_ui_page_key(keys, GDK_KEY_s, "review.mode", g_variant_new_int32(1));
  sr_ui_page_key(keys, GDK_KEY_d, "review.mode", g_variant_new_int32(3));
  sr_ui_page_key(keys, GDK_KEY_t, "review.toggle", NULL);
  sr_ui_page_key(keys, GDK_KEY_f, "review.flag", NULL);
  sr_ui_page_key(keys, GDK_KEY_j, "review.shuttle", g_variant_new_int32(-1));
  sr_ui_page_key(keys, GDK_KEY_k, "review.shuttle", g_variant_new_int32(0));
  sr_ui_page_key(keys, GDK_KEY_l, "review.shuttle", g_variant_new_int32(1));
  sr_ui_page_key(keys, GDK_KEY_i, "review.loop", g_variant_new_int32(0));
  sr_ui_page_key(keys, GDK_KEY_o, "review.loop", g_variant_new_int32(1));

  self->viewer = sr_viewer_new();
  gtk_widget_set_vexpand(self->viewer, TRUE);
  gtk_widget_set_hexpand(self->viewer, TRUE);
  gtk_widget_set_focusable(self->viewer, TRUE);
  sr_viewer_set_labels(sr_page_review_viewer(self), _("A: Original"), _("B: Recovered"));
  sr_viewer_set_show_labels(sr_page_review_viewer(self), TRUE);
  sr_viewer_set_mode(sr_page_review_viewer(self), SR_VIEWER_MODE_WIPE);
  sr_viewer_set_difference_gain(sr_page_review_viewer(self),
                                gtk_adjustment_get_value(self->gain_adjustment));
  gtk_box_append(GTK_BOX(self->viewer_slot), self->viewer);
  g_signal_connect(self->viewer, "notify::mode", G_CALLBACK(on_viewer_mode), self);
  sync_mode_buttons(self);

  for (int i = 0; i < SR_REVIEW_N_ITEMS; i++) {
    self->plots[i] = sr_metric_plot_new(_(sr_acceptance_items[i].plot));
    gtk_widget_set_tooltip_text(self->plots[i], _(sr_acceptance_items[i].hint));
    g_signal_connect(self->plots[i], "frame-activated",
                     G_CALLBACK(sr_page_review_on_plot_activated), self);
    gtk_box_append(GTK_BOX(self->plots_box), self->plots[i]);
  }
  build_checklist(self);
  sr_page_review_playback_init(self);

  self->source_frames = sr_frame_cache_new(256u << 20);
  self->render_frames = sr_frame_cache_new(256u << 20);
  g_signal_connect(self->source_frames, "frame-ready", G_CALLBACK(on_source_ready), self);
  g_signal_connect(self->render_frames, "frame-ready", G_CALLBACK(on_render_ready), self);
  g_signal_connect(self->source_frames, "frame-failed", G_CALLBACK(on_frame_failed), self);
  g_signal_connect(self->render_frames, "frame-failed", G_CALLBACK(on_frame_failed), self);

  GtkWidget *modes[] = {self->mode_wipe, self->mode_split, self->mode_toggle,
                        self->mode_difference};
  for (gsize i = 0; i < G_N_ELEMENTS(modes); i++)
    g_signal_connect(modes[i], "toggled", G_CALLBACK(on_mode_toggled), self);
  g_signal_connect(self->mode_toggle, "clicked", G_CALLBACK(on_toggle_clicked), self);
  g_signal_connect(self->gain_adjustment, "value-changed", G_CALLBACK(on_gain_changed), self);
  g_signal_connect(self->timeline_adjustment, "value-changed", G_CALLBACK(on_timeline_changed),
                   self);
  g_signal_connect(self->flag_button, "toggled", G_CALLBACK(on_flag_toggled), self);
  g_signal_connect(self->open_folder_button, "clicked", G_CALLBACK(sr_page_review_on_open_folder),
                   self);
  g_signal_connect(self->message_close, "clicked", G_CALLBACK(sr_page_review_on_message_close),
                   self);
  g_signal_connect(self, "map", G_CALLBACK(on_map), self);
  sr_page_review_update_plots(self);
}
