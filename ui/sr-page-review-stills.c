/* sr-page-review-stills.c — the Review page's stills export: the frame
 * shown, as Original, Recovered, the comparison and its scopes, written on
 * a worker into <output-folder>/validation/stills. */
#include "sr-page-review-private.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-scopes.h"
#include "sr-stills.h"
#include "sr-ui-util.h"

/* Exported scopes. */
#define EXPORT_WAVE_W      1024
#define EXPORT_WAVE_H      512
#define EXPORT_VECTOR_SIDE 512

/* ---- Stills (worker) ------------------------------------------------------------------ */

typedef struct {
  SrPageReview *page;
  SrFrame *a, *b;
  sr_colourspace space;
  double wipe;
  char *dir;
  GPtrArray *written;
} ExportJob;

static void
export_job_free(gpointer data)
{
  ExportJob *e = data;
  g_clear_pointer(&e->a, sr_frame_unref);
  g_clear_pointer(&e->b, sr_frame_unref);
  g_free(e->dir);
  g_ptr_array_unref(e->written);
  g_free(e);
}

static gboolean
write_still(ExportJob *e, sr_image *still, const char *name, sr_error *err)
{
  if (!still)
    return FALSE;
  g_autofree char *path = g_build_filename(e->dir, name, NULL);
  gboolean ok = sr_still_write_png(path, still, 8, err);
  sr_image_free(still);
  if (ok)
    g_ptr_array_add(e->written, g_steal_pointer(&path));
  return ok;
}

static gboolean
write_scopes(ExportJob *e, const sr_image *img, const char *which, int frame, sr_error *err)
{
  g_autofree guint8 *wave = NULL, *vector = NULL;

  if (!sr_page_review_draw_scopes(img, e->space, SR_YCBCR_BT709, EXPORT_WAVE_W, EXPORT_WAVE_H,
                                  EXPORT_VECTOR_SIDE, &wave, &vector, err))
    return FALSE;
  g_autofree char *wave_name = g_strdup_printf("frame-%06d-waveform-%s.png", frame, which);
  g_autofree char *vector_name = g_strdup_printf("frame-%06d-vectorscope-%s.png", frame, which);
  return write_still(e, sr_scope_to_image(wave, EXPORT_WAVE_W, EXPORT_WAVE_H, err), wave_name,
                     err) &&
         write_still(e, sr_scope_to_image(vector, EXPORT_VECTOR_SIDE, EXPORT_VECTOR_SIDE, err),
                     vector_name, err);
}

static gboolean
export_thread(SrJob *job, gpointer data, GError **error)
{
  ExportJob *e = data;
  const sr_image *a = sr_frame_get_image(e->a), *b = sr_frame_get_image(e->b);
  int frame = sr_frame_get_number(e->a);
  sr_error err = {0};
  sr_still_options o;

  if (g_mkdir_with_parents(e->dir, 0755) != 0) {
    int saved = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                _("Cannot create the stills folder %s: %s. Choose another output folder on the "
                  "Project page."),
                e->dir, g_strerror(saved));
    return FALSE;
  }
  sr_still_options_init(&o, e->space, frame);
  o.wipe = (float)e->wipe;
  g_autofree char *wipe_name = g_strdup_printf("frame-%06d-wipe.png", frame);
  g_autofree char *side_name = g_strdup_printf("frame-%06d-side-by-side.png", frame);
  if (write_still(e, sr_still_wipe(a, b, &o, &err), wipe_name, &err) &&
      write_still(e, sr_still_side_by_side(a, b, &o, &err), side_name, &err) &&
      write_scopes(e, a, "original", frame, &err) && write_scopes(e, b, "recovered", frame, &err))
    return TRUE;
  sr_job_error_from_engine(error, &err);
  return FALSE;
}

static void
on_export_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrJob *job = SR_JOB(source);
  ExportJob *e = sr_job_get_data(job);
  SrPageReview *self = e->page;
  g_autoptr(GError) error = NULL;

  if (job == self->export_job) {
    g_clear_object(&self->export_job);
    sr_page_review_update_busy(self);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "review.export-stills", TRUE);
    if (sr_job_finish(job, result, &error)) {
      GString *names = g_string_new(NULL);
      g_clear_pointer(&self->stills, g_ptr_array_unref);
      self->stills = g_ptr_array_ref(e->written);
      for (guint i = 0; i < e->written->len; i++) {
        g_autofree char *base = g_path_get_basename(g_ptr_array_index(e->written, i));
        g_string_append_printf(names, "%s%s", i ? ", " : "", base);
      }
      g_free(self->stills_dir);
      self->stills_dir = g_strdup(e->dir);
      g_autofree char *text =
          g_strdup_printf(g_dngettext(NULL, "Wrote %u still of frame %d to %s\n%s",
                                      "Wrote %u stills of frame %d to %s\n%s", e->written->len),
                          e->written->len, sr_frame_get_number(e->a), e->dir, names->str);
      g_string_free(names, TRUE);
      sr_page_review_set_message(self, text, TRUE);
    } else {
      g_autofree char *text = g_strdup_printf(_("Stills not written: %s"), error->message);
      sr_page_review_set_message(self, text, FALSE);
      sr_ui_show_error(GTK_WIDGET(self), text);
    }
  }
  g_object_unref(self);
}

gboolean
sr_page_review_export_stills(SrPageReview *self, GError **error)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), FALSE);
  const char *folder = sr_page_review_project_of(self)
                           ? sr_project_get_output_folder(sr_page_review_project_of(self))
                           : NULL;

  if (self->export_job) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, _("Stills are being written."));
    return FALSE;
  }
  if (!folder || !folder[0]) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No output folder: choose one on the Project page."));
    return FALSE;
  }
  if (!self->frame_a || !self->frame_b) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("Frame %d is not loaded yet; export once Original and Recovered show."),
                self->frame);
    return FALSE;
  }
  const sr_image *a = sr_frame_get_image(self->frame_a), *b = sr_frame_get_image(self->frame_b);
  if (a->width != b->width || a->height != b->height) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                _("Frame %d: the render is %d×%d but the Source is %d×%d; render the frame "
                  "again with the current Source."),
                self->frame, b->width, b->height, a->width, a->height);
    return FALSE;
  }
  g_autofree char *base = sr_project_resolve_path(sr_page_review_project_of(self), folder);
  ExportJob *e = g_new0(ExportJob, 1);
  e->page = g_object_ref(self);
  e->a = sr_frame_ref(self->frame_a);
  e->b = sr_frame_ref(self->frame_b);
  e->space = sr_project_get_source_colourspace(sr_page_review_project_of(self));
  e->wipe = sr_viewer_get_wipe_position(sr_page_review_viewer(self));
  e->dir = g_build_filename(base, "validation", "stills", NULL);
  e->written = g_ptr_array_new_with_free_func(g_free);
  self->export_job = sr_job_new(_("Writing stills"), export_thread, e, export_job_free);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "review.export-stills", FALSE);
  sr_ui_run_job(GTK_WIDGET(self), self->export_job, TRUE, on_export_done, NULL);
  sr_page_review_update_busy(self);
  return TRUE;
}

gboolean
sr_page_review_get_exporting(SrPageReview *self)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), FALSE);
  return self->export_job != NULL;
}

const GPtrArray *
sr_page_review_get_stills(SrPageReview *self)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), NULL);
  return self->stills;
}

const char *
sr_page_review_get_message(SrPageReview *self)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), NULL);
  return self->message;
}

void
sr_page_review_action_export(GtkWidget *widget, const char *name, GVariant *param)
{
  g_autoptr(GError) error = NULL;

  if (!sr_page_review_export_stills(SR_PAGE_REVIEW(widget), &error))
    sr_ui_show_error(widget, error->message);
}

void
sr_page_review_on_open_folder(GtkButton *button, SrPageReview *self)
{
  if (!self->stills_dir)
    return;
  g_autofree char *uri = g_filename_to_uri(self->stills_dir, NULL, NULL);
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  if (uri)
    gtk_show_uri(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, uri, GDK_CURRENT_TIME);
}

void
sr_page_review_on_message_close(GtkButton *button, SrPageReview *self)
{
  sr_page_review_set_message(self, NULL, FALSE);
}
