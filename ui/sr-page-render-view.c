/* sr-page-render-view.c — what the Render page shows of a frame: Source
 * and Recovered read on workers into the viewer, and the filmstrip of the
 * rendered frames. */
#include "sr-page-render-private.h"

#include <glib/gi18n.h>

#include "sr-filmstrip.h"
#include "sr-frame-cache.h"
#include "sr-thumbnailer.h"
#include "sr-ui-util.h"
#include "sr-viewer.h"

/* ---- Viewer (frames read on workers) ---------------------------------------- */

static void view_load_next(SrPageRender *self, int side);

static void
view_read_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const char *path = data;
  sr_error err = {0};
  sr_image *img = sr_image_read(path, &err);

  if (img)
    g_task_return_pointer(task, img, (GDestroyNotify)sr_image_free);
  else
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err.message);
}

static void
on_view_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrPageRender *self = SR_PAGE_RENDER(source);
  int side = GPOINTER_TO_INT(user_data);
  int frame = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(result), "frame"));
  g_autoptr(GError) error = NULL;
  sr_image *img = g_task_propagate_pointer(G_TASK(result), &error);
  ViewSide *v = &self->side[side];

  v->in_flight = FALSE;
  if (!self->viewer) {
    sr_image_free(img);
    return;
  }
  if (frame == v->want) {
    SrFrame *f = img ? sr_frame_new_take(img, frame) : NULL;
    img = NULL;
    if (side == 0)
      sr_viewer_set_frame_a(SR_VIEWER(self->viewer), f);
    else
      sr_viewer_set_frame_b(SR_VIEWER(self->viewer), f);
    if (f)
      sr_frame_unref(f);
    v->shown = frame;
    if (error)
      sr_page_render_set_review_message(self, error->message);
  }
  sr_image_free(img);
  view_load_next(self, side);
}

static void
view_load_next(SrPageRender *self, int side)
{
  ViewSide *v = &self->side[side];

  if (v->in_flight || !v->want_path || v->shown == v->want)
    return;
  GTask *task = g_task_new(self, NULL, on_view_read, GINT_TO_POINTER(side));
  g_object_set_data(G_OBJECT(task), "frame", GINT_TO_POINTER(v->want));
  g_task_set_task_data(task, g_strdup(v->want_path), g_free);
  v->in_flight = TRUE;
  g_task_run_in_thread(task, view_read_thread);
  g_object_unref(task);
}

static void
view_want(SrPageRender *self, int side, int frame, char *path /* taken */)
{
  ViewSide *v = &self->side[side];

  g_free(v->want_path);
  v->want_path = path;
  v->want = path ? frame : G_MININT;
  if (!path) {
    v->shown = G_MININT;
    if (side == 0)
      sr_viewer_set_frame_a(SR_VIEWER(self->viewer), NULL);
    else
      sr_viewer_set_frame_b(SR_VIEWER(self->viewer), NULL);
    return;
  }
  view_load_next(self, side);
}

void
sr_page_render_show_frame(SrPageRender *self)
{
  gboolean have = self->frame != G_MININT && sr_page_render_is_rendered(self, self->frame);

  gtk_widget_set_visible(self->empty_state, !have);
  sr_viewer_set_show_labels(SR_VIEWER(self->viewer), have);
  if (!have) {
    view_want(self, 0, G_MININT, NULL);
    view_want(self, 1, G_MININT, NULL);
    return;
  }
  sr_viewer_set_frame_number(SR_VIEWER(self->viewer), self->frame);
  view_want(self, 0, self->frame,
            self->source_pattern ? sr_page_render_frame_path(self->source_pattern, self->frame)
                                 : NULL);
  view_want(self, 1, self->frame, sr_page_render_frame_path(self->pattern, self->frame));
}

/* ---- Filmstrip ----------------------------------------------------------------- */

typedef struct {
  GtkPicture *picture;
  int frame;
} ThumbRequest;

static void
on_thumb_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  ThumbRequest *req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture =
      sr_thumbnailer_load_finish(SR_THUMBNAILER(source), result, &error);

  if (sr_filmstrip_picture_frame(req->picture) == req->frame) {
    if (texture)
      gtk_picture_set_paintable(req->picture, GDK_PAINTABLE(texture));
    else
      gtk_widget_set_tooltip_text(GTK_WIDGET(req->picture), error->message);
  }
  g_object_unref(req->picture);
  g_free(req);
}

void
sr_page_render_request_thumb(SrFilmstrip *strip, int frame, GtkPicture *picture, gpointer user_data)
{
  SrPageRender *self = user_data;
  g_autoptr(GdkTexture) cached = NULL;

  if (!sr_page_render_project_of(self) || !self->pattern ||
      !sr_page_render_is_rendered(self, frame))
    return;
  g_autofree char *path = sr_page_render_frame_path(self->pattern, frame);
  sr_colourspace cs = sr_project_get_source_colourspace(sr_page_render_project_of(self));
  gtk_widget_set_tooltip_text(GTK_WIDGET(picture), NULL);
  cached = sr_thumbnailer_lookup(self->thumbnailer, path, cs, 0);
  if (cached) {
    gtk_picture_set_paintable(picture, GDK_PAINTABLE(cached));
    return;
  }
  ThumbRequest *req = g_new0(ThumbRequest, 1);
  req->picture = g_object_ref(picture);
  req->frame = frame;
  sr_thumbnailer_load_async(self->thumbnailer, path, cs, 0, NULL, on_thumb_done, req);
}

guint
sr_page_render_frame_marks(int frame, gpointer user_data)
{
  SrPageRender *self = user_data;
  guint marks = 0;

  if (!sr_page_render_project_of(self))
    return 0;
  if (sr_page_render_is_rendered(self, frame))
    marks |= SR_FILMSTRIP_MARK_RENDERED;
  if (sr_page_render_find_flag(self, frame))
    marks |= SR_FILMSTRIP_MARK_FLAGGED;
  if (sr_page_render_qa_flagged(self, frame))
    marks |= SR_FILMSTRIP_MARK_QA;
  if (sr_project_has_pair(sr_page_render_project_of(self), frame))
    marks |= SR_FILMSTRIP_MARK_PAIR;
  if (sr_project_is_held_out(sr_page_render_project_of(self), frame))
    marks |= SR_FILMSTRIP_MARK_HELD_OUT;
  return marks;
}

char *
sr_page_render_frame_tooltip(int frame, gpointer user_data)
{
  SrPageRender *self = user_data;
  const SrFlag *flag = sr_page_render_find_flag(self, frame);
  const char *qa = g_hash_table_lookup(self->qa, GINT_TO_POINTER(frame));
  GString *s = g_string_new(NULL);

  if (!sr_page_render_is_rendered(self, frame))
    g_string_append_printf(s, _("Frame %d: not rendered yet"), frame);
  else
    g_string_append_printf(s, _("Frame %d"), frame);
  if (flag)
    g_string_append_printf(s, _("\nFlagged: %s"),
                           flag->reason && *flag->reason ? flag->reason : _("no reason"));
  if (qa && *qa)
    g_string_append_printf(s, _("\nQA: %s"), qa);
  return g_string_free(s, FALSE);
}

/* The strip spans the rendered frames; unrendered frames inside show dimmed. */
void
sr_page_render_update_strip_range(SrPageRender *self)
{
  int first = G_MAXINT, last = G_MININT;
  GHashTableIter it;
  gpointer key;

  g_hash_table_iter_init(&it, self->rendered);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    int f = GPOINTER_TO_INT(key);
    first = MIN(first, f);
    last = MAX(last, f);
  }
  if (first > last) {
    first = 0;
    last = -1;
  }
  if (first != self->rendered_first || last != self->rendered_last) {
    self->rendered_first = first;
    self->rendered_last = last;
    sr_filmstrip_set_range(SR_FILMSTRIP(self->strip), first, last, 0);
  }
  gtk_widget_set_visible(self->strip_box, first <= last);
}
