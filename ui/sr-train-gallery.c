/* sr-train-gallery.c — the Train page's gallery (see sr-train-gallery.h):
 * its tabs, the checkpoint preview in the viewer, the reads behind both and
 * the colour taken from the project. Contact sheets are in
 * sr-train-gallery-sheets.c, the monitors in sr-train-gallery-monitors.c.
 *
 * Every file is read on a worker thread (GTask). Each kind of read (sheet,
 * Source, viewer's B, measurement) has at most one task in flight; when it
 * returns, a result that is no longer wanted (the slider moved on, clear()
 * ran, the Source changed) is dropped and the read the gallery wants now, if
 * any, starts. Scrubbing the history slider therefore never queues reads. */
#include "sr-train-gallery-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-frame-cache.h"
#include "sr-io.h"
#include "sr-project.h"
#include "sr-ui-util.h"
#include "sr-viewer.h"
#include "sr-window.h"

G_DEFINE_FINAL_TYPE(SrTrainGallery, sr_train_gallery, GTK_TYPE_BOX)

static void request_preview(SrTrainGallery *self);
static void request_source(SrTrainGallery *self);
static void request_measure(SrTrainGallery *self);
static void sync_previews(SrTrainGallery *self);

/* ---- Small helpers ------------------------------------------------------------ */

/* "1 200": groups of three digits, a no-break space between them. */
char *
sr_train_gallery_format_step(gint64 step)
{
  char digits[32];
  GString *out = g_string_new(NULL);
  g_snprintf(digits, sizeof digits, "%" G_GINT64_FORMAT, step < 0 ? -step : step);
  size_t n = strlen(digits);
  if (step < 0)
    g_string_append_c(out, '-');
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && (n - i) % 3 == 0)
      g_string_append(out, "\u00a0");
    g_string_append_c(out, digits[i]);
  }
  return g_string_free(out, FALSE);
}

char *
sr_train_gallery_step_title(gint64 step)
{
  g_autofree char *s = sr_train_gallery_format_step(step);
  return g_strdup_printf(_("Step %s"), s);
}

void
sr_train_gallery_set_error(SrTrainGallery *self, const char *message)
{
  g_free(self->error);
  self->error = g_strdup(message);
}

static void
sheet_clear(gpointer p)
{
  g_free(((Sheet *)p)->path);
}

static void
preview_clear(gpointer p)
{
  Preview *pr = p;
  g_free(pr->path);
  g_free(pr->error);
}

Sheet *
sr_train_gallery_sheet_at(SrTrainGallery *self, guint i)
{
  return &g_array_index(self->sheets, Sheet, i);
}

static Preview *
preview_at(SrTrainGallery *self, guint i)
{
  return &g_array_index(self->previews, Preview, i);
}

Preview *
sr_train_gallery_shown_preview(SrTrainGallery *self)
{
  return self->shown_preview < self->previews->len ? preview_at(self, self->shown_preview) : NULL;
}

/* Index where `step` sits in an array sorted by step (its own index when
 * present; *found says which). Sheet and Preview both start with the step. */
guint
sr_train_gallery_step_index(GArray *array, gint64 step, gboolean *found)
{
  guint lo = 0, hi = array->len;
  guint size = g_array_get_element_size(array);
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    gint64 s = *(const gint64 *)(array->data + (gsize)mid * size);
    if (s < step)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = lo < array->len && *(const gint64 *)(array->data + (gsize)lo * size) == step;
  return lo;
}

/* ---- Tasks -------------------------------------------------------------------- */

static void
read_data_free(gpointer p)
{
  ReadData *d = p;
  g_free(d->path);
  g_clear_pointer(&d->source, sr_frame_unref);
  g_free(d);
}

ReadData *
sr_train_gallery_read_data_new(SrTrainGallery *self, const char *path, gint64 step)
{
  ReadData *d = g_new0(ReadData, 1);
  d->path = g_strdup(path);
  d->step = step;
  d->generation = self->generation;
  d->source_generation = self->source_generation;
  d->space = self->source_space;
  d->matrix = self->matrix;
  return d;
}

GTask *
sr_train_gallery_task_new(SrTrainGallery *self, ReadData *d, GAsyncReadyCallback done)
{
  GTask *task = g_task_new(self, self->cancel, done, NULL);
  g_task_set_task_data(task, d, read_data_free);
  return task;
}

/* The read finished for a gallery that is gone, or for an earlier run. */
gboolean
sr_train_gallery_task_is_stale(SrTrainGallery *self, GAsyncResult *res)
{
  ReadData *d = g_task_get_task_data(G_TASK(res));
  return g_cancellable_is_cancelled(self->cancel) || d->generation != self->generation;
}

static void
return_engine_error(GTask *task, const sr_error *err)
{
  g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err->message);
}

void
sr_train_gallery_sheet_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  ReadData *d = data;
  GError *error = NULL;
  GdkTexture *texture = gdk_texture_new_from_filename(d->path, &error);
  if (texture)
    g_task_return_pointer(task, texture, g_object_unref);
  else
    g_task_return_error(task, error);
}

static void
image_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  ReadData *d = data;
  sr_error err = {0};
  sr_image *img = sr_image_read(d->path, &err);
  if (img)
    g_task_return_pointer(task, sr_frame_new_take(img, d->frame), (GDestroyNotify)sr_frame_unref);
  else
    return_engine_error(task, &err);
}

static void
measure_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  ReadData *d = data;
  sr_error err = {0};
  sr_image *out = sr_image_read(d->path, &err);
  if (!out) {
    return_engine_error(task, &err);
    return;
  }
  MonitorResult *r = g_new0(MonitorResult, 1);
  if (sr_train_gallery_measure_monitors(sr_frame_get_image(d->source), out, d->space, d->matrix, r,
                                        &err))
    g_task_return_pointer(task, r, g_free);
  else {
    g_free(r);
    return_engine_error(task, &err);
  }
  sr_image_free(out);
}

/* ---- Source and preview -------------------------------------------------------- */

static void
preview_failed(SrTrainGallery *self, const char *message)
{
  gtk_label_set_text(GTK_LABEL(self->preview_error), message);
  gtk_widget_set_visible(self->preview_error, TRUE);
  sr_train_gallery_set_error(self, message);
}

static void
source_done(GObject *object, GAsyncResult *res, gpointer user_data)
{
  SrTrainGallery *self = SR_TRAIN_GALLERY(object);
  ReadData *d = g_task_get_task_data(G_TASK(res));
  g_autoptr(GError) error = NULL;
  SrFrame *frame = g_task_propagate_pointer(G_TASK(res), &error);

  if (g_cancellable_is_cancelled(self->cancel)) {
    g_clear_pointer(&frame, sr_frame_unref);
    return;
  }
  self->source_loading = FALSE;
  if (d->source_generation != self->source_generation ||
      g_strcmp0(d->path, self->source_path) != 0) {
    g_clear_pointer(&frame, sr_frame_unref);
    request_source(self);
    return;
  }
  if (!frame) {
    g_autofree char *msg = g_strdup_printf(
        _("Could not read the preview frame %d of the Source (%s): %s. Check that the Source "
          "files are reachable; the monitors wait for it."),
        d->frame, d->path, error->message);
    self->source_failed = TRUE;
    preview_failed(self, msg);
    sync_previews(self);
    sr_train_gallery_sync_monitors(self);
    return;
  }
  self->source = frame;
  sr_viewer_set_frame_a(SR_VIEWER(self->viewer), frame);
  sr_viewer_set_frame_number(SR_VIEWER(self->viewer), self->source_frame);
  sync_previews(self);
  request_measure(self);
}

static void
request_source(SrTrainGallery *self)
{
  if (self->source_loading || self->source || self->source_failed || !self->source_path)
    return;
  self->source_loading = TRUE;
  ReadData *d = sr_train_gallery_read_data_new(self, self->source_path, 0);
  d->frame = self->source_frame;
  g_autoptr(GTask) task = sr_train_gallery_task_new(self, d, source_done);
  g_task_run_in_thread(task, image_thread);
}

static void
preview_done(GObject *object, GAsyncResult *res, gpointer user_data)
{
  SrTrainGallery *self = SR_TRAIN_GALLERY(object);
  ReadData *d = g_task_get_task_data(G_TASK(res));
  g_autoptr(GError) error = NULL;
  SrFrame *frame = g_task_propagate_pointer(G_TASK(res), &error);

  if (g_cancellable_is_cancelled(self->cancel)) {
    g_clear_pointer(&frame, sr_frame_unref);
    return;
  }
  self->preview_loading = FALSE;
  Preview *p = sr_train_gallery_shown_preview(self);
  if (!sr_train_gallery_task_is_stale(self, res) && p && p->step == d->step &&
      g_strcmp0(p->path, d->path) == 0) {
    self->loaded_preview_step = d->step;
    g_free(self->loaded_preview_path);
    self->loaded_preview_path = g_strdup(d->path);
    if (frame) {
      g_autofree char *label = sr_train_gallery_step_title(d->step);
      sr_viewer_set_frame_b(SR_VIEWER(self->viewer), frame);
      sr_viewer_set_labels(SR_VIEWER(self->viewer), _("Source"), label);
      gtk_widget_set_visible(self->preview_error, FALSE);
    } else {
      g_autofree char *step = sr_train_gallery_format_step(d->step);
      g_autofree char *msg = g_strdup_printf(
          _("Could not read the preview at step %s (%s): %s. Choose another checkpoint."), step,
          d->path, error->message);
      sr_viewer_set_frame_b(SR_VIEWER(self->viewer), NULL);
      preview_failed(self, msg);
    }
  }
  g_clear_pointer(&frame, sr_frame_unref);
  request_preview(self);
}

static void
request_preview(SrTrainGallery *self)
{
  Preview *p = sr_train_gallery_shown_preview(self);
  if (self->preview_loading || !p)
    return;
  if (p->step == self->loaded_preview_step && g_strcmp0(p->path, self->loaded_preview_path) == 0)
    return;
  self->preview_loading = TRUE;
  ReadData *d = sr_train_gallery_read_data_new(self, p->path, p->step);
  d->frame = self->source_frame;
  g_autoptr(GTask) task = sr_train_gallery_task_new(self, d, preview_done);
  g_task_run_in_thread(task, image_thread);
}

static void
measure_done(GObject *object, GAsyncResult *res, gpointer user_data)
{
  SrTrainGallery *self = SR_TRAIN_GALLERY(object);
  ReadData *d = g_task_get_task_data(G_TASK(res));
  g_autoptr(GError) error = NULL;
  g_autofree MonitorResult *r = g_task_propagate_pointer(G_TASK(res), &error);

  if (g_cancellable_is_cancelled(self->cancel))
    return;
  self->measuring = FALSE;
  if (!sr_train_gallery_task_is_stale(self, res) &&
      d->source_generation == self->source_generation) {
    gboolean found;
    guint i = sr_train_gallery_step_index(self->previews, d->step, &found);
    Preview *p = found ? preview_at(self, i) : NULL;
    if (p && g_strcmp0(p->path, d->path) == 0 && p->state == MEASURE_PENDING) {
      if (r) {
        p->result = *r;
        p->state = MEASURE_DONE;
      } else {
        p->state = MEASURE_FAILED;
        p->error =
            g_strdup_printf(_("Could not measure the preview %s: %s"), d->path, error->message);
        sr_train_gallery_set_error(self, p->error);
      }
      sr_train_gallery_sync_monitors(self);
    }
  }
  request_measure(self);
}

/* Measures the newest preview not measured yet (one at a time, so a resumed
 * run with many previews does not read them all at once). */
static void
request_measure(SrTrainGallery *self)
{
  if (self->measuring || !self->source)
    return;
  for (guint k = self->previews->len; k-- > 0;) {
    Preview *p = preview_at(self, k);
    if (p->state != MEASURE_PENDING)
      continue;
    self->measuring = TRUE;
    ReadData *d = sr_train_gallery_read_data_new(self, p->path, p->step);
    d->source = sr_frame_ref(self->source);
    g_autoptr(GTask) task = sr_train_gallery_task_new(self, d, measure_done);
    g_task_run_in_thread(task, measure_thread);
    return;
  }
}

static void
sync_previews(SrTrainGallery *self)
{
  guint n = self->previews->len;
  self->syncing = TRUE;

  gtk_stack_page_set_visible(self->preview_page, self->source_path != NULL);
  /* A switcher with one button would only take room. */
  gtk_widget_set_visible(self->switcher, self->source_path != NULL);
  g_autofree char **items = g_new0(char *, n + 1);
  for (guint i = 0; i < n; i++)
    items[i] = sr_train_gallery_step_title(preview_at(self, i)->step);
  guint old = g_list_model_get_n_items(G_LIST_MODEL(self->ckpt_model));
  gtk_string_list_splice(self->ckpt_model, 0, old, (const char *const *)items);
  for (guint i = 0; i < n; i++)
    g_free(items[i]);
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->ckpt_dropdown),
                             n ? self->shown_preview : GTK_INVALID_LIST_POSITION);
  gtk_widget_set_sensitive(self->ckpt_dropdown, n > 1);
  gtk_stack_set_visible_child(GTK_STACK(self->preview_stack),
                              n && self->source ? self->viewer : self->preview_empty);
  if (!self->source_path)
    gtk_label_set_text(GTK_LABEL(self->preview_empty), _("This project has no preview frame."));
  else if (self->source_failed)
    gtk_label_set_text(GTK_LABEL(self->preview_empty),
                       _("The Source preview frame could not be read; see the message below."));
  else if (!self->source)
    gtk_label_set_text(GTK_LABEL(self->preview_empty), _("Reading the Source preview frame…"));
  else
    gtk_label_set_text(GTK_LABEL(self->preview_empty),
                       _("The preview frame's output appears at every checkpoint, wiped against "
                         "the Source, with the monitors measured on it."));
  self->syncing = FALSE;
}

static void
add_preview(SrTrainGallery *self, gint64 step, const char *path)
{
  guint n = self->previews->len;
  gboolean at_newest = n == 0 || self->shown_preview + 1 >= n;
  gint64 shown_step = n ? preview_at(self, self->shown_preview)->step : -1;
  gboolean found;
  guint i = sr_train_gallery_step_index(self->previews, step, &found);

  if (found) {
    Preview *p = preview_at(self, i);
    g_free(p->path);
    g_clear_pointer(&p->error, g_free);
    p->path = g_strdup(path);
    p->state = MEASURE_PENDING;
  } else {
    Preview p = {.step = step, .path = g_strdup(path), .state = MEASURE_PENDING};
    g_array_insert_val(self->previews, i, p);
  }
  if (at_newest)
    self->shown_preview = self->previews->len - 1;
  else
    self->shown_preview = sr_train_gallery_step_index(self->previews, shown_step, &found);
}

static void
on_ckpt_selected(GtkDropDown *dropdown, GParamSpec *pspec, SrTrainGallery *self)
{
  guint i = gtk_drop_down_get_selected(dropdown);
  if (self->syncing || i >= self->previews->len)
    return;
  sr_train_gallery_show_preview(self, i);
}

/* ---- Viewer modes --------------------------------------------------------------- */

static void
sync_mode_buttons(SrTrainGallery *self)
{
  SrViewerMode mode = sr_viewer_get_mode(SR_VIEWER(self->viewer));
  GtkWidget *button = mode == SR_VIEWER_MODE_WIPE           ? self->mode_wipe
                      : mode == SR_VIEWER_MODE_SIDE_BY_SIDE ? self->mode_side
                      : mode == SR_VIEWER_MODE_DIFFERENCE   ? self->mode_difference
                                                            : self->mode_toggle;
  self->syncing = TRUE;
  gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(button), TRUE);
  self->syncing = FALSE;
}

static void
on_viewer_mode(GObject *viewer, GParamSpec *pspec, SrTrainGallery *self)
{
  sync_mode_buttons(self);
}

static void
on_mode_toggled(GtkToggleButton *button, SrTrainGallery *self)
{
  if (self->syncing || !gtk_toggle_button_get_active(button))
    return;
  SrViewer *viewer = SR_VIEWER(self->viewer);
  GtkWidget *w = GTK_WIDGET(button);
  if (w == self->mode_toggle) {
    /* Starts on the output; the next click (or T) flips to the Source. */
    self->toggle_just_activated = TRUE;
    sr_viewer_set_mode(viewer, SR_VIEWER_MODE_B);
  } else {
    sr_viewer_set_mode(viewer, w == self->mode_wipe   ? SR_VIEWER_MODE_WIPE
                               : w == self->mode_side ? SR_VIEWER_MODE_SIDE_BY_SIDE
                                                      : SR_VIEWER_MODE_DIFFERENCE);
  }
}

static void
on_toggle_clicked(GtkButton *button, SrTrainGallery *self)
{
  if (self->toggle_just_activated) {
    self->toggle_just_activated = FALSE;
    return;
  }
  if (gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(button)))
    sr_viewer_toggle_ab(SR_VIEWER(self->viewer));
}

/* ---- Colour from the project ---------------------------------------------------- */

static void
apply_colour(SrTrainGallery *self, sr_colourspace space, sr_ycbcr_matrix matrix)
{
  if (space == self->source_space && matrix == self->matrix)
    return;
  self->source_space = space;
  self->matrix = matrix;
  sr_viewer_set_colourspace(SR_VIEWER(self->viewer), space);
  sr_viewer_set_ycbcr_matrix(SR_VIEWER(self->viewer), matrix);
  self->source_generation++;
  for (guint i = 0; i < self->previews->len; i++) {
    Preview *p = preview_at(self, i);
    if (p->state == MEASURE_DONE)
      p->state = MEASURE_PENDING;
  }
  sr_train_gallery_sync_monitors(self);
  request_measure(self);
}

static void
colour_from_project(SrTrainGallery *self)
{
  if (self->colour_set)
    return;
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  SrProject *project = root && SR_IS_WINDOW(root) ? sr_window_get_project(SR_WINDOW(root)) : NULL;
  if (!project)
    return;
  sr_prep_settings prep;
  sr_project_get_prep_settings(project, &prep);
  apply_colour(self, prep.source_space, prep.matrix);
  if (self->sheet_every == 0) {
    SrTrainingSettings t;
    sr_project_get_training(project, &t);
    self->sheet_every = t.contact_sheet_every;
    sr_train_gallery_sync_sheets(self);
  }
}

/* ---- GObject ---------------------------------------------------------------------- */

static void
sr_train_gallery_root(GtkWidget *widget)
{
  GTK_WIDGET_CLASS(sr_train_gallery_parent_class)->root(widget);
  colour_from_project(SR_TRAIN_GALLERY(widget));
}

static void
sr_train_gallery_dispose(GObject *object)
{
  SrTrainGallery *self = SR_TRAIN_GALLERY(object);
  if (self->cancel)
    g_cancellable_cancel(self->cancel);
  G_OBJECT_CLASS(sr_train_gallery_parent_class)->dispose(object);
}

static void
sr_train_gallery_finalize(GObject *object)
{
  SrTrainGallery *self = SR_TRAIN_GALLERY(object);
  g_clear_object(&self->cancel);
  g_array_unref(self->sheets);
  g_array_unref(self->previews);
  g_clear_pointer(&self->source, sr_frame_unref);
  g_free(self->source_path);
  g_free(self->loaded_sheet_path);
  g_free(self->loaded_preview_path);
  g_free(self->error);
  G_OBJECT_CLASS(sr_train_gallery_parent_class)->finalize(object);
}

static void
sr_train_gallery_class_init(SrTrainGalleryClass *klass)
{
  G_OBJECT_CLASS(klass)->dispose = sr_train_gallery_dispose;
  G_OBJECT_CLASS(klass)->finalize = sr_train_gallery_finalize;
  GTK_WIDGET_CLASS(klass)->root = sr_train_gallery_root;
  gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "train-gallery");
}

static GtkWidget *
mode_button(SrTrainGallery *self, const char *label, const char *tooltip, GtkWidget *group,
            GtkWidget *box)
{
  GtkWidget *b = gtk_toggle_button_new_with_label(label);
  gtk_widget_set_tooltip_text(b, tooltip);
  if (group)
    gtk_toggle_button_set_group(GTK_TOGGLE_BUTTON(b), GTK_TOGGLE_BUTTON(group));
  g_signal_connect(b, "toggled", G_CALLBACK(on_mode_toggled), self);
  gtk_box_append(GTK_BOX(box), b);
  return b;
}

static GtkWidget *
build_sheets(SrTrainGallery *self)
{
  GtkWidget *page = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);

  self->sheet_stack = gtk_stack_new();
  gtk_widget_set_vexpand(self->sheet_stack, TRUE);
  gtk_widget_add_css_class(self->sheet_stack, "sheet-area");
  self->sheet_empty = gtk_label_new(NULL);
  gtk_label_set_wrap(GTK_LABEL(self->sheet_empty), TRUE);
  gtk_label_set_justify(GTK_LABEL(self->sheet_empty), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars(GTK_LABEL(self->sheet_empty), 48);
  gtk_widget_add_css_class(self->sheet_empty, "dim-label");
  gtk_stack_add_child(GTK_STACK(self->sheet_stack), self->sheet_empty);

  /* The captions sit over the picture inside an aspect frame of the sheet's
   * shape, so each caption lies over its third of the sheet at any size. */
  self->sheet_picture = gtk_picture_new();
  gtk_picture_set_can_shrink(GTK_PICTURE(self->sheet_picture), TRUE);
  gtk_widget_set_tooltip_text(self->sheet_picture,
                              _("One row per training sample of the batch: input | ground truth "
                                "| output"));
  GtkWidget *captions = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_box_set_homogeneous(GTK_BOX(captions), TRUE);
  gtk_widget_set_valign(captions, GTK_ALIGN_START);
  gtk_widget_set_can_target(captions, FALSE);
  gtk_widget_add_css_class(captions, "sheet-captions");
  const char *names[] = {_("Input"), _("Ground truth"), _("Output")};
  for (int i = 0; i < 3; i++) {
    GtkWidget *l = gtk_label_new(names[i]);
    gtk_widget_set_halign(l, GTK_ALIGN_CENTER);
    gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
    gtk_box_append(GTK_BOX(captions), l);
  }
  GtkWidget *overlay = gtk_overlay_new();
  gtk_overlay_set_child(GTK_OVERLAY(overlay), self->sheet_picture);
  gtk_overlay_add_overlay(GTK_OVERLAY(overlay), captions);
  self->sheet_frame = gtk_aspect_frame_new(0.5f, 0.5f, 1.5f, FALSE);
  gtk_aspect_frame_set_child(GTK_ASPECT_FRAME(self->sheet_frame), overlay);
  self->sheet_scroller = gtk_scrolled_window_new();
  gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(self->sheet_scroller), GTK_POLICY_NEVER,
                                 GTK_POLICY_NEVER);
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(self->sheet_scroller), self->sheet_frame);
  gtk_stack_add_child(GTK_STACK(self->sheet_stack), self->sheet_scroller);
  gtk_box_append(GTK_BOX(page), self->sheet_stack);

  self->sheet_error = gtk_label_new(NULL);
  gtk_label_set_wrap(GTK_LABEL(self->sheet_error), TRUE);
  gtk_label_set_xalign(GTK_LABEL(self->sheet_error), 0);
  gtk_widget_add_css_class(self->sheet_error, "field-error");
  gtk_widget_set_visible(self->sheet_error, FALSE);
  gtk_box_append(GTK_BOX(page), self->sheet_error);

  GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_add_css_class(bar, "toolbar-strip");
  self->sheet_label = gtk_label_new(NULL);
  gtk_label_set_width_chars(GTK_LABEL(self->sheet_label), 20);
  gtk_label_set_xalign(GTK_LABEL(self->sheet_label), 0);
  gtk_widget_add_css_class(self->sheet_label, "numeric");
  gtk_box_append(GTK_BOX(bar), self->sheet_label);
  self->sheet_scale = gtk_scale_new_with_range(GTK_ORIENTATION_HORIZONTAL, 0, 1, 1);
  gtk_scale_set_draw_value(GTK_SCALE(self->sheet_scale), FALSE);
  gtk_range_set_round_digits(GTK_RANGE(self->sheet_scale), 0);
  gtk_widget_set_hexpand(self->sheet_scale, TRUE);
  gtk_widget_set_tooltip_text(self->sheet_scale,
                              _("Earlier contact sheets; while it sits at the newest, new sheets "
                                "move it along"));
  g_signal_connect(self->sheet_scale, "value-changed", G_CALLBACK(sr_train_gallery_on_sheet_scale),
                   self);
  gtk_box_append(GTK_BOX(bar), self->sheet_scale);
  self->sheet_newest = gtk_button_new_with_label(_("Newest"));
  gtk_widget_set_tooltip_text(self->sheet_newest, _("Go to the newest sheet and follow new ones"));
  g_signal_connect(self->sheet_newest, "clicked", G_CALLBACK(sr_train_gallery_on_sheet_newest),
                   self);
  gtk_box_append(GTK_BOX(bar), self->sheet_newest);
  self->sheet_actual = gtk_toggle_button_new_with_label(_("1:1"));
  gtk_widget_set_tooltip_text(self->sheet_actual,
                              _("Show the sheet pixel for pixel and scroll around it"));
  g_signal_connect(self->sheet_actual, "toggled", G_CALLBACK(sr_train_gallery_on_sheet_actual),
                   self);
  /* In a linked box so it takes the mode switches' checked look. */
  GtkWidget *actual_box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class(actual_box, "linked");
  gtk_box_append(GTK_BOX(actual_box), self->sheet_actual);
  gtk_box_append(GTK_BOX(bar), actual_box);
  gtk_box_append(GTK_BOX(page), bar);
  return page;
}

static GtkWidget *
build_preview(SrTrainGallery *self)
{
  GtkWidget *page = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);

  GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_add_css_class(bar, "toolbar-strip");
  GtkWidget *modes = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class(modes, "linked");
  self->mode_wipe =
      mode_button(self, _("Wipe"), _("Source left, output right; drag the line"), NULL, modes);
  self->mode_side = mode_button(self, _("Side by Side"), _("Source and output next to each other"),
                                self->mode_wipe, modes);
  self->mode_toggle = mode_button(self, _("Toggle"),
                                  _("One at a time: click again or press T to flip between the "
                                    "output and the Source"),
                                  self->mode_wipe, modes);
  g_signal_connect(self->mode_toggle, "clicked", G_CALLBACK(on_toggle_clicked), self);
  self->mode_difference = mode_button(self, _("Difference"),
                                      _("Output minus Source, amplified: what the network changed"),
                                      self->mode_wipe, modes);
  gtk_box_append(GTK_BOX(bar), modes);
  GtkWidget *spacer = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_set_hexpand(spacer, TRUE);
  gtk_box_append(GTK_BOX(bar), spacer);
  GtkWidget *ckpt_label = gtk_label_new(_("Checkpoint"));
  gtk_widget_add_css_class(ckpt_label, "dim-label");
  gtk_box_append(GTK_BOX(bar), ckpt_label);
  self->ckpt_model = gtk_string_list_new(NULL);
  self->ckpt_dropdown = gtk_drop_down_new(G_LIST_MODEL(self->ckpt_model), NULL);
  gtk_widget_set_tooltip_text(self->ckpt_dropdown,
                              _("The checkpoint whose preview is shown as B; the newest is "
                                "followed until you pick an earlier one"));
  g_signal_connect(self->ckpt_dropdown, "notify::selected", G_CALLBACK(on_ckpt_selected), self);
  gtk_box_append(GTK_BOX(bar), self->ckpt_dropdown);
  gtk_box_append(GTK_BOX(page), bar);

  self->preview_stack = gtk_stack_new();
  gtk_widget_set_vexpand(self->preview_stack, TRUE);
  self->preview_empty = gtk_label_new(NULL);
  gtk_label_set_wrap(GTK_LABEL(self->preview_empty), TRUE);
  gtk_label_set_justify(GTK_LABEL(self->preview_empty), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars(GTK_LABEL(self->preview_empty), 48);
  gtk_widget_add_css_class(self->preview_empty, "dim-label");
  gtk_stack_add_child(GTK_STACK(self->preview_stack), self->preview_empty);
  self->viewer = sr_viewer_new();
  gtk_widget_set_hexpand(self->viewer, TRUE);
  gtk_widget_set_vexpand(self->viewer, TRUE);
  gtk_widget_set_focusable(self->viewer, TRUE);
  sr_viewer_set_labels(SR_VIEWER(self->viewer), _("Source"), _("Output"));
  sr_viewer_set_show_labels(SR_VIEWER(self->viewer), TRUE);
  sr_viewer_set_mode(SR_VIEWER(self->viewer), SR_VIEWER_MODE_WIPE);
  g_signal_connect(self->viewer, "notify::mode", G_CALLBACK(on_viewer_mode), self);
  gtk_stack_add_child(GTK_STACK(self->preview_stack), self->viewer);
  gtk_box_append(GTK_BOX(page), self->preview_stack);

  self->preview_error = gtk_label_new(NULL);
  gtk_label_set_wrap(GTK_LABEL(self->preview_error), TRUE);
  gtk_label_set_xalign(GTK_LABEL(self->preview_error), 0);
  gtk_widget_add_css_class(self->preview_error, "field-error");
  gtk_widget_set_visible(self->preview_error, FALSE);
  gtk_box_append(GTK_BOX(page), self->preview_error);
  return page;
}

static void
sr_train_gallery_init(SrTrainGallery *self)
{
  self->cancel = g_cancellable_new();
  self->sheets = g_array_new(FALSE, FALSE, sizeof(Sheet));
  g_array_set_clear_func(self->sheets, sheet_clear);
  self->previews = g_array_new(FALSE, FALSE, sizeof(Preview));
  g_array_set_clear_func(self->previews, preview_clear);
  self->shown_sheet = G_MAXUINT;
  self->shown_preview = G_MAXUINT;
  self->loaded_sheet_step = -1;
  self->loaded_preview_step = -1;
  self->source_frame = -1;
  self->source_space = SR_CS_REC709;
  self->matrix = SR_YCBCR_BT709;

  gtk_orientable_set_orientation(GTK_ORIENTABLE(self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing(GTK_BOX(self), 0);

  self->stack = gtk_stack_new();
  gtk_widget_set_vexpand(self->stack, TRUE);
  gtk_stack_set_transition_type(GTK_STACK(self->stack), GTK_STACK_TRANSITION_TYPE_NONE);
  gtk_stack_add_titled(GTK_STACK(self->stack), build_sheets(self), "sheets", _("Contact Sheets"));
  self->preview_page = gtk_stack_add_titled(GTK_STACK(self->stack), build_preview(self), "preview",
                                            _("Preview Frame"));
  /* In a toolbar strip so the page on show takes the mode switches' look. */
  self->switcher = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class(self->switcher, "toolbar-strip");
  GtkWidget *switcher = gtk_stack_switcher_new();
  gtk_stack_switcher_set_stack(GTK_STACK_SWITCHER(switcher), GTK_STACK(self->stack));
  gtk_widget_set_halign(switcher, GTK_ALIGN_START);
  gtk_box_append(GTK_BOX(self->switcher), switcher);
  gtk_box_append(GTK_BOX(self), self->switcher);
  gtk_box_append(GTK_BOX(self), self->stack);
  gtk_box_append(GTK_BOX(self), sr_train_gallery_build_monitors(self));

  sr_train_gallery_sync_sheets(self);
  sync_previews(self);
  sr_train_gallery_sync_monitors(self);
  sync_mode_buttons(self);
}

/* ---- Public API ----------------------------------------------------------------- */

GtkWidget *
sr_train_gallery_new(void)
{
  return g_object_new(SR_TYPE_TRAIN_GALLERY, NULL);
}

void
sr_train_gallery_clear(SrTrainGallery *self)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  self->generation++;
  g_array_set_size(self->sheets, 0);
  g_array_set_size(self->previews, 0);
  self->shown_sheet = G_MAXUINT;
  self->shown_preview = G_MAXUINT;
  self->loaded_sheet_step = -1;
  self->loaded_preview_step = -1;
  g_clear_pointer(&self->loaded_sheet_path, g_free);
  g_clear_pointer(&self->loaded_preview_path, g_free);
  g_clear_pointer(&self->error, g_free);
  gtk_picture_set_paintable(GTK_PICTURE(self->sheet_picture), NULL);
  gtk_widget_set_visible(self->sheet_error, FALSE);
  gtk_widget_set_visible(self->preview_error, FALSE);
  sr_viewer_set_frame_b(SR_VIEWER(self->viewer), NULL);
  sr_viewer_set_labels(SR_VIEWER(self->viewer), _("Source"), _("Output"));
  sr_train_gallery_sync_sheets(self);
  sync_previews(self);
  sr_train_gallery_sync_monitors(self);
}

void
sr_train_gallery_set_preview_source(SrTrainGallery *self, const char *source_path, int frame)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  colour_from_project(self);
  if (g_strcmp0(source_path, self->source_path) == 0 && frame == self->source_frame &&
      (self->source || self->source_loading))
    return;
  g_free(self->source_path);
  self->source_path = g_strdup(source_path);
  self->source_frame = frame;
  self->source_generation++;
  self->source_failed = FALSE;
  g_clear_pointer(&self->source, sr_frame_unref);
  sr_viewer_set_frame_a(SR_VIEWER(self->viewer), NULL);
  sr_viewer_set_frame_number(SR_VIEWER(self->viewer), source_path ? frame : -1);
  gtk_widget_set_visible(self->preview_error, FALSE);
  for (guint i = 0; i < self->previews->len; i++) {
    Preview *p = preview_at(self, i);
    p->state = MEASURE_PENDING;
    g_clear_pointer(&p->error, g_free);
  }
  request_source(self);
  sync_previews(self);
  sr_train_gallery_sync_monitors(self);
}

void
sr_train_gallery_add_contact_sheet(SrTrainGallery *self, gint64 step, const char *png_path)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  g_return_if_fail(png_path != NULL);
  sr_train_gallery_add_sheet(self, step, png_path);
  sr_train_gallery_sync_sheets(self);
  sr_train_gallery_request_sheet(self);
}

void
sr_train_gallery_add_preview(SrTrainGallery *self, gint64 step, const char *exr_path)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  g_return_if_fail(exr_path != NULL);
  add_preview(self, step, exr_path);
  sync_previews(self);
  sr_train_gallery_sync_monitors(self);
  request_preview(self);
  request_measure(self);
}

/* Step of a file named step_<digits><suffix>; FALSE for any other name. */
static gboolean
parse_step_name(const char *name, const char *suffix, gint64 *step)
{
  if (!g_str_has_prefix(name, "step_") || !g_str_has_suffix(name, suffix))
    return FALSE;
  const char *digits = name + 5;
  size_t n = strlen(digits) - strlen(suffix);
  if (n == 0 || n > 18)
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isdigit(digits[i]))
      return FALSE;
  *step = g_ascii_strtoll(digits, NULL, 10);
  return TRUE;
}

typedef struct {
  gint64 step;
  char *path;
} Found;

static int
found_cmp(gconstpointer a, gconstpointer b)
{
  gint64 x = ((const Found *)a)->step, y = ((const Found *)b)->step;
  return x < y ? -1 : x > y;
}

static GArray *
scan_steps(const char *dir, const char *suffix)
{
  GArray *found = g_array_new(FALSE, FALSE, sizeof(Found));
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    Found f;
    if (parse_step_name(name, suffix, &f.step)) {
      f.path = g_build_filename(dir, name, NULL);
      g_array_append_val(found, f);
    }
  }
  if (d)
    g_dir_close(d);
  g_array_sort(found, found_cmp);
  return found;
}

void
sr_train_gallery_load_dir(SrTrainGallery *self, const char *out_dir)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  g_return_if_fail(out_dir != NULL);
  g_autofree char *contact = g_build_filename(out_dir, "contact", NULL);
  g_autofree char *preview = g_build_filename(out_dir, "preview", NULL);
  GArray *sheets = scan_steps(contact, ".png");
  GArray *previews = scan_steps(preview, ".exr");

  for (guint i = 0; i < sheets->len; i++) {
    Found *f = &g_array_index(sheets, Found, i);
    sr_train_gallery_add_sheet(self, f->step, f->path);
    g_free(f->path);
  }
  for (guint i = 0; i < previews->len; i++) {
    Found *f = &g_array_index(previews, Found, i);
    add_preview(self, f->step, f->path);
    g_free(f->path);
  }
  g_array_unref(sheets);
  g_array_unref(previews);
  sr_train_gallery_sync_sheets(self);
  sync_previews(self);
  sr_train_gallery_sync_monitors(self);
  sr_train_gallery_request_sheet(self);
  request_preview(self);
  request_measure(self);
}

guint
sr_train_gallery_get_n_sheets(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), 0);
  return self->sheets->len;
}

guint
sr_train_gallery_get_n_previews(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), 0);
  return self->previews->len;
}

gint64
sr_train_gallery_get_shown_sheet_step(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), -1);
  return self->shown_sheet < self->sheets->len
             ? sr_train_gallery_sheet_at(self, self->shown_sheet)->step
             : -1;
}

void
sr_train_gallery_show_sheet(SrTrainGallery *self, guint index)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  if (index >= self->sheets->len)
    return;
  self->shown_sheet = index;
  sr_train_gallery_sync_sheets(self);
  sr_train_gallery_request_sheet(self);
}

int
sr_train_gallery_get_monitor(SrTrainGallery *self, SrTrainMonitor monitor, double *value)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), -1);
  g_return_val_if_fail(monitor < SR_TRAIN_N_MONITORS, -1);
  Preview *p = sr_train_gallery_shown_preview(self);
  if (!p || p->state != MEASURE_DONE) {
    if (value)
      *value = NAN;
    return -1;
  }
  if (value)
    *value = p->result.value[monitor];
  return p->result.pass[monitor] ? 1 : 0;
}

void
sr_train_gallery_set_colour(SrTrainGallery *self, sr_colourspace source_space,
                            sr_ycbcr_matrix matrix)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  self->colour_set = TRUE;
  apply_colour(self, source_space, matrix);
}

void
sr_train_gallery_set_sheet_interval(SrTrainGallery *self, gint64 every)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  self->sheet_every = MAX(every, 0);
  sr_train_gallery_sync_sheets(self);
}

void
sr_train_gallery_set_page(SrTrainGallery *self, const char *name)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  if (g_strcmp0(name, "preview") == 0 && !gtk_stack_page_get_visible(self->preview_page))
    return;
  gtk_stack_set_visible_child_name(GTK_STACK(self->stack), name);
}

GtkWidget *
sr_train_gallery_get_viewer(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), NULL);
  return self->viewer;
}

gint64
sr_train_gallery_get_shown_preview_step(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), -1);
  Preview *p = sr_train_gallery_shown_preview(self);
  return p ? p->step : -1;
}

void
sr_train_gallery_show_preview(SrTrainGallery *self, guint index)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  if (index >= self->previews->len)
    return;
  self->shown_preview = index;
  sync_previews(self);
  sr_train_gallery_sync_monitors(self);
  request_preview(self);
}

gint64
sr_train_gallery_get_loaded_sheet_step(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), -1);
  return self->loaded_sheet_step;
}

gboolean
sr_train_gallery_is_busy(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), FALSE);
  return self->sheet_loading || self->preview_loading || self->source_loading || self->measuring;
}

const char *
sr_train_gallery_get_error(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), NULL);
  return self->error;
}
