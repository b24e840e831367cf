/* sr-train-gallery-sheets.c — the gallery's contact sheets: the history
 * slider and its marks, the sheet shown and the label under it. */
#include "sr-train-gallery-private.h"

#include <glib/gi18n.h>

/* ---- Contact sheets ----------------------------------------------------------- */

static void
sheet_done(GObject *object, GAsyncResult *res, gpointer user_data)
{
  SrTrainGallery *self = SR_TRAIN_GALLERY(object);
  ReadData *d = g_task_get_task_data(G_TASK(res));
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = g_task_propagate_pointer(G_TASK(res), &error);

  if (g_cancellable_is_cancelled(self->cancel))
    return;
  self->sheet_loading = FALSE;
  gboolean wanted =
      !sr_train_gallery_task_is_stale(self, res) && self->shown_sheet < self->sheets->len &&
      sr_train_gallery_sheet_at(self, self->shown_sheet)->step == d->step &&
      g_strcmp0(sr_train_gallery_sheet_at(self, self->shown_sheet)->path, d->path) == 0;
  if (wanted) {
    self->loaded_sheet_step = d->step;
    g_free(self->loaded_sheet_path);
    self->loaded_sheet_path = g_strdup(d->path);
    if (texture) {
      int w = gdk_texture_get_width(texture), h = gdk_texture_get_height(texture);
      gtk_aspect_frame_set_ratio(GTK_ASPECT_FRAME(self->sheet_frame), (float)w / (float)MAX(h, 1));
      gtk_picture_set_paintable(GTK_PICTURE(self->sheet_picture), GDK_PAINTABLE(texture));
      gtk_widget_set_visible(self->sheet_error, FALSE);
    } else {
      g_autofree char *msg = g_strdup_printf(
          _("Could not read the contact sheet %s: %s. The sheet may still be being written, or "
            "the disk is full; later sheets are unaffected."),
          d->path, error->message);
      gtk_picture_set_paintable(GTK_PICTURE(self->sheet_picture), NULL);
      gtk_label_set_text(GTK_LABEL(self->sheet_error), msg);
      gtk_widget_set_visible(self->sheet_error, TRUE);
      sr_train_gallery_set_error(self, msg);
    }
  }
  sr_train_gallery_request_sheet(self);
}

/* Starts reading the sheet the slider shows, unless it is on screen or a
 * read is running (its completion calls back here). */
void
sr_train_gallery_request_sheet(SrTrainGallery *self)
{
  if (self->sheet_loading || self->shown_sheet >= self->sheets->len)
    return;
  Sheet *s = sr_train_gallery_sheet_at(self, self->shown_sheet);
  if (s->step == self->loaded_sheet_step && g_strcmp0(s->path, self->loaded_sheet_path) == 0)
    return;
  self->sheet_loading = TRUE;
  g_autoptr(GTask) task = sr_train_gallery_task_new(
      self, sr_train_gallery_read_data_new(self, s->path, s->step), sheet_done);
  g_task_run_in_thread(task, sr_train_gallery_sheet_thread);
}

void
sr_train_gallery_sync_sheets(SrTrainGallery *self)
{
  guint n = self->sheets->len;
  self->syncing = TRUE;

  gtk_stack_set_visible_child(GTK_STACK(self->sheet_stack),
                              n ? self->sheet_scroller : self->sheet_empty);
  if (self->sheet_every > 0) {
    g_autofree char *every = sr_train_gallery_format_step(self->sheet_every);
    g_autofree char *text = g_strdup_printf(
        _("Contact sheets appear every %s steps once training runs. Each row is one training "
          "sample: input, ground truth and the network's output."),
        every);
    gtk_label_set_text(GTK_LABEL(self->sheet_empty), text);
  } else {
    gtk_label_set_text(GTK_LABEL(self->sheet_empty),
                       _("Contact sheets appear here once training runs with contact sheets "
                         "turned on. Each row is one training sample: input, ground truth and "
                         "the network's output."));
  }

  GtkRange *range = GTK_RANGE(self->sheet_scale);
  gtk_range_set_range(range, 0, MAX(1, n) - 1);
  /* The marks sit on 0 … n-1 whatever order sheets arrive in, so a new
   * sheet adds one mark; rebuilding them all (each mark is a widget) cost
   * 8-17 ms of the main loop per sheet during training. */
  guint want = n > 1 && n <= MAX_SLIDER_MARKS ? n : 0;
  if (want < self->n_marks) {
    gtk_scale_clear_marks(GTK_SCALE(self->sheet_scale));
    self->n_marks = 0;
  }
  for (; self->n_marks < want; self->n_marks++)
    gtk_scale_add_mark(GTK_SCALE(self->sheet_scale), self->n_marks, GTK_POS_BOTTOM, NULL);
  if (n)
    gtk_range_set_value(range, self->shown_sheet);
  gtk_widget_set_sensitive(self->sheet_scale, n > 1);
  gtk_widget_set_sensitive(self->sheet_newest, n > 0 && self->shown_sheet + 1 < n);

  if (n) {
    g_autofree char *step =
        sr_train_gallery_format_step(sr_train_gallery_sheet_at(self, self->shown_sheet)->step);
    g_autofree char *text =
        g_strdup_printf(_("Step %s (%u of %u)"), step, self->shown_sheet + 1, n);
    gtk_label_set_text(GTK_LABEL(self->sheet_label), text);
    gtk_widget_set_tooltip_text(self->sheet_label,
                                sr_train_gallery_sheet_at(self, self->shown_sheet)->path);
  } else {
    gtk_label_set_text(GTK_LABEL(self->sheet_label), _("No sheets yet"));
    gtk_widget_set_tooltip_text(self->sheet_label, NULL);
  }
  self->syncing = FALSE;
}

/* Inserts or replaces a sheet; keeps the newest on show when it was, else
 * the sheet that was on show. */
void
sr_train_gallery_add_sheet(SrTrainGallery *self, gint64 step, const char *path)
{
  guint n = self->sheets->len;
  gboolean at_newest = n == 0 || self->shown_sheet + 1 >= n;
  gint64 shown_step = n ? sr_train_gallery_sheet_at(self, self->shown_sheet)->step : -1;
  gboolean found;
  guint i = sr_train_gallery_step_index(self->sheets, step, &found);

  if (found) {
    g_free(sr_train_gallery_sheet_at(self, i)->path);
    sr_train_gallery_sheet_at(self, i)->path = g_strdup(path);
  } else {
    Sheet s = {step, g_strdup(path)};
    g_array_insert_val(self->sheets, i, s);
  }
  if (at_newest)
    self->shown_sheet = self->sheets->len - 1;
  else
    self->shown_sheet = sr_train_gallery_step_index(self->sheets, shown_step, &found);
}

void
sr_train_gallery_on_sheet_scale(GtkRange *range, SrTrainGallery *self)
{
  if (self->syncing || self->sheets->len == 0)
    return;
  double v = round(gtk_range_get_value(range));
  guint i = (guint)CLAMP(v, 0, self->sheets->len - 1);
  if (i == self->shown_sheet)
    return;
  self->shown_sheet = i;
  sr_train_gallery_sync_sheets(self);
  sr_train_gallery_request_sheet(self);
}

void
sr_train_gallery_on_sheet_newest(GtkButton *button, SrTrainGallery *self)
{
  if (self->sheets->len)
    sr_train_gallery_show_sheet(self, self->sheets->len - 1);
}

void
sr_train_gallery_on_sheet_actual(GtkToggleButton *button, SrTrainGallery *self)
{
  gboolean actual = gtk_toggle_button_get_active(button);
  /* Pixel for pixel: the picture asks for the texture's size and the
   * scroller pans; otherwise it shrinks to the space there is. */
  gtk_picture_set_can_shrink(GTK_PICTURE(self->sheet_picture), !actual);
  gtk_widget_set_halign(self->sheet_frame, actual ? GTK_ALIGN_CENTER : GTK_ALIGN_FILL);
  gtk_widget_set_valign(self->sheet_frame, actual ? GTK_ALIGN_CENTER : GTK_ALIGN_FILL);
  gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(self->sheet_scroller),
                                 actual ? GTK_POLICY_AUTOMATIC : GTK_POLICY_NEVER,
                                 actual ? GTK_POLICY_AUTOMATIC : GTK_POLICY_NEVER);
}
