/* sr-viewer-software.c — SrViewer's CPU renderer, used when GL cannot be:
 * the frames go through the same display LUT on a worker and are drawn as
 * GdkTextures; the previous picture stays until the new one is ready. */
#include "sr-viewer-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

/* ---- Software renderer --------------------------------------------------- */

static GdkTexture *
texture_from_rgba8(guint8 *pixels, int w, int h)
{
  GBytes *bytes = g_bytes_new_take(pixels, (gsize)w * h * 4);
  GdkTexture *t = gdk_memory_texture_new(w, h, GDK_MEMORY_R8G8B8A8, bytes, (gsize)w * 4);
  /* Kept for the magnified view, which samples the pixels itself. */
  g_object_set_data_full(G_OBJECT(t), "sr-rgba8", bytes, (GDestroyNotify)g_bytes_unref);
  return t;
}

static GdkTexture *
software_display(const SrDisplayLut *lut, float exposure, const sr_image *img)
{
  guint8 *px = g_try_malloc((gsize)img->width * img->height * 4);
  if (px == NULL)
    return NULL;
  sr_display_lut_apply_rgba8(lut, exposure, img->pixels, img->channels, px,
                             (gsize)img->width * img->height);
  /* Alpha only matters to the shader path's blending, which it does not do. */
  for (gsize i = 0; i < (gsize)img->width * img->height; i++)
    px[i * 4 + 3] = 255;
  return texture_from_rgba8(px, img->width, img->height);
}

static GdkTexture *
software_difference(const sr_image *a, const sr_image *b, float gain)
{
  if (a == NULL && b == NULL)
    return NULL;
  int w = MAX(a ? a->width : 0, b ? b->width : 0);
  int h = MAX(a ? a->height : 0, b ? b->height : 0);
  guint8 *px = g_try_malloc0((gsize)w * h * 4);
  if (px == NULL)
    return NULL;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float va[3] = {0, 0, 0}, vb[3] = {0, 0, 0};
      gboolean in_a = a && x < a->width && y < a->height;
      gboolean in_b = b && x < b->width && y < b->height;
      guint8 *o = px + ((gsize)y * w + x) * 4;
      if (!in_a && !in_b) {
        for (int c = 0; c < 3; c++)
          o[c] = (guint8)lrintf(sr_viewer_surround[c] * 255.0f);
        o[3] = 255;
        continue;
      }
      for (int c = 0; c < 3; c++) {
        if (in_a)
          va[c] = sr_image_row(a, y)[(gsize)x * a->channels + (a->channels >= 3 ? c : 0)];
        if (in_b)
          vb[c] = sr_image_row(b, y)[(gsize)x * b->channels + (b->channels >= 3 ? c : 0)];
        float d = fabsf(va[c] - vb[c]) * gain;
        d = isfinite(d) ? CLAMP(d, 0.0f, 1.0f) : 0.0f;
        o[c] = (guint8)lrintf(d * 255.0f);
      }
      o[3] = 255;
    }
  return texture_from_rgba8(px, w, h);
}

typedef struct {
  int slot;
  guint gen;
  SrFrame *a, *b;    /* b only for the difference */
  SrDisplayLut *lut; /* a private copy: the viewer may rebuild its own */
  float exposure, gain;
} SwJob;

static void
sw_job_free(gpointer p)
{
  SwJob *j = p;
  sr_frame_unref(j->a);
  sr_frame_unref(j->b);
  sr_display_lut_free(j->lut);
  g_free(j);
}

static GdkTexture *
sw_job_run(const SwJob *j)
{
  const sr_image *a = j->a ? sr_frame_get_image(j->a) : NULL;
  const sr_image *b = j->b ? sr_frame_get_image(j->b) : NULL;
  if (j->slot == SW_DIFF)
    return software_difference(a, b, j->gain);
  return a != NULL && j->lut != NULL ? software_display(j->lut, j->exposure, a) : NULL;
}

static void
sw_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  if (g_task_return_error_if_cancelled(task))
    return;
  GdkTexture *t = sw_job_run(data);
  if (t == NULL)
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED,
                            _("not enough memory to draw a frame on the CPU"));
  else
    g_task_return_pointer(task, t, g_object_unref);
}

static void
sw_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrViewer *self = SR_VIEWER(source);
  SwJob *j = g_task_get_task_data(G_TASK(result));
  SwSlot *slot = &self->sw[j->slot];
  g_autoptr(GError) error = NULL;
  GdkTexture *t = g_task_propagate_pointer(G_TASK(result), &error);
  if (g_task_get_cancellable(G_TASK(result)) == slot->cancel)
    g_clear_object(&slot->cancel);
  if (t == NULL) {
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_warning("Viewer: %s", error->message);
    return;
  }
  if (j->gen != slot->want) {
    g_object_unref(t);
    return;
  }
  g_clear_object(&slot->tex);
  slot->tex = t;
  slot->tex_gen = j->gen;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static SrDisplayLut *
lut_copy(const SrDisplayLut *lut)
{
  if (lut == NULL)
    return NULL;
  SrDisplayLut *c = g_new0(SrDisplayLut, 1);
  *c = *lut;
  c->table = g_memdup2(lut->table, sizeof(float) * 3 * (gsize)lut->size * lut->size * lut->size);
  c->profile_path = g_strdup(lut->profile_path);
  c->description = g_strdup(lut->description);
  return c;
}

/* Makes the slot's picture current: small frames right away, big ones on a
 * worker while the previous picture stays up. */
static void
ensure_sw_slot(SrViewer *self, int idx)
{
  SwSlot *slot = &self->sw[idx];
  if (slot->tex_gen == slot->want)
    return;
  SrFrame *fa = idx == SW_B ? self->frame_b : self->frame_a;
  SrFrame *fb = idx == SW_DIFF ? self->frame_b : NULL;
  if (fa == NULL && fb == NULL) {
    g_clear_object(&slot->tex);
    slot->tex_gen = slot->want;
    return;
  }
  if (slot->cancel != NULL && slot->tex_gen != slot->want &&
      GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(slot->cancel), "sr-gen")) == slot->want)
    return; /* already being made */
  SwJob *j = g_new0(SwJob, 1);
  j->slot = idx;
  j->gen = slot->want;
  j->a = fa ? sr_frame_ref(fa) : NULL;
  j->b = fb ? sr_frame_ref(fb) : NULL;
  j->exposure = (float)self->exposure;
  j->gain = (float)self->gain;
  gint64 pixels = 0;
  if (fa)
    pixels = MAX(pixels, (gint64)sr_frame_get_image(fa)->width * sr_frame_get_image(fa)->height);
  if (fb)
    pixels = MAX(pixels, (gint64)sr_frame_get_image(fb)->width * sr_frame_get_image(fb)->height);
  if (pixels <= SYNC_CONVERT_PIXELS) {
    j->lut = NULL;
    const sr_image *a = fa ? sr_frame_get_image(fa) : NULL;
    const sr_image *b = fb ? sr_frame_get_image(fb) : NULL;
    GdkTexture *t = NULL;
    if (idx == SW_DIFF)
      t = software_difference(a, b, j->gain);
    else if (a != NULL && self->lut != NULL)
      t = software_display(self->lut, j->exposure, a);
    sw_job_free(j);
    g_clear_object(&slot->tex);
    slot->tex = t;
    slot->tex_gen = slot->want;
    return;
  }
  j->lut = idx == SW_DIFF ? NULL : lut_copy(self->lut);
  if (slot->cancel != NULL)
    g_cancellable_cancel(slot->cancel);
  g_clear_object(&slot->cancel);
  slot->cancel = g_cancellable_new();
  g_object_set_data(G_OBJECT(slot->cancel), "sr-gen", GUINT_TO_POINTER(j->gen));
  GTask *task = g_task_new(self, slot->cancel, sw_done, NULL);
  g_task_set_task_data(task, j, sw_job_free);
  g_task_run_in_thread(task, sw_thread);
  g_object_unref(task);
}

void
sr_viewer_invalidate_sw(SrViewer *self, int idx)
{
  self->sw[idx].want++;
}

void
sr_viewer_invalidate_software(SrViewer *self)
{
  for (int i = 0; i < 3; i++)
    sr_viewer_invalidate_sw(self, i);
}

void
sr_viewer_release_software(SrViewer *self)
{
  for (int i = 0; i < 3; i++) {
    if (self->sw[i].cancel != NULL)
      g_cancellable_cancel(self->sw[i].cancel);
    g_clear_object(&self->sw[i].cancel);
    g_clear_object(&self->sw[i].tex);
  }
}

static void
snapshot_texture_at(SrViewer *self, GtkSnapshot *snapshot, GdkTexture *tex, int pane,
                    const graphene_rect_t *clip)
{
  if (tex == NULL)
    return;
  GBytes *bytes = g_object_get_data(G_OBJECT(tex), "sr-rgba8");
  if (self->zoom >= 2.0 && bytes != NULL) {
    /* GSK filters scaled textures linearly; an inspection viewer shows
       * magnified pixels as squares, so sample them here, one texel per
       * device pixel of the visible part. */
    graphene_rect_t vis;
    if (!graphene_rect_intersection(
            clip,
            &GRAPHENE_RECT_INIT(0, 0, (float)gtk_widget_get_width(GTK_WIDGET(self)),
                                (float)gtk_widget_get_height(GTK_WIDGET(self))),
            &vis))
      return;
    int scale = gtk_widget_get_scale_factor(GTK_WIDGET(self));
    int x0 = (int)floorf(vis.origin.x), y0 = (int)floorf(vis.origin.y);
    int vw = (int)ceilf(vis.origin.x + vis.size.width) - x0;
    int vh = (int)ceilf(vis.origin.y + vis.size.height) - y0;
    int dw = vw * scale, dh = vh * scale;
    if (dw <= 0 || dh <= 0)
      return;
    int tw = gdk_texture_get_width(tex), th = gdk_texture_get_height(tex);
    const guint8 *src = g_bytes_get_data(bytes, NULL);
    guint8 *out = g_malloc0((gsize)dw * dh * 4);
    int *col = g_new(int, dw);
    for (int x = 0; x < dw; x++) {
      double ix, iy;
      sr_viewer_to_image(self, pane, x0 + (x + 0.5) / scale, 0, &ix, &iy);
      col[x] = ix >= 0 && ix < tw ? (int)ix : -1;
    }
    for (int y = 0; y < dh; y++) {
      double ix, iy;
      sr_viewer_to_image(self, pane, 0, y0 + (y + 0.5) / scale, &ix, &iy);
      if (iy < 0 || iy >= th)
        continue;
      const guint8 *row = src + (gsize)((int)iy) * tw * 4;
      guint8 *o = out + (gsize)y * dw * 4;
      for (int x = 0; x < dw; x++)
        if (col[x] >= 0)
          memcpy(o + x * 4, row + (gsize)col[x] * 4, 4);
    }
    g_free(col);
    GdkTexture *view = texture_from_rgba8(out, dw, dh);
    gtk_snapshot_push_clip(snapshot, clip);
    gtk_snapshot_append_texture(snapshot, view,
                                &GRAPHENE_RECT_INIT((float)x0, (float)y0, (float)vw, (float)vh));
    gtk_snapshot_pop(snapshot);
    g_object_unref(view);
    return;
  }
  double x0, y0;
  sr_viewer_to_widget(self, pane, 0, 0, &x0, &y0);
  graphene_rect_t r =
      GRAPHENE_RECT_INIT((float)x0, (float)y0, (float)(gdk_texture_get_width(tex) * self->zoom),
                         (float)(gdk_texture_get_height(tex) * self->zoom));
  gtk_snapshot_push_clip(snapshot, clip);
  gtk_snapshot_append_texture(snapshot, tex, &r);
  gtk_snapshot_pop(snapshot);
}

void
sr_viewer_snapshot_software(SrViewer *self, GtkSnapshot *snapshot)
{
  float w = (float)gtk_widget_get_width(GTK_WIDGET(self));
  float h = (float)gtk_widget_get_height(GTK_WIDGET(self));
  float pw = (float)sr_viewer_pane_width(self);
  GdkRGBA bg = {sr_viewer_surround[0], sr_viewer_surround[1], sr_viewer_surround[2], 1};
  gtk_snapshot_append_color(snapshot, &bg, &GRAPHENE_RECT_INIT(0, 0, w, h));

  gboolean need_a = self->mode != SR_VIEWER_MODE_B && self->mode != SR_VIEWER_MODE_DIFFERENCE;
  gboolean need_b = self->mode != SR_VIEWER_MODE_A && self->mode != SR_VIEWER_MODE_DIFFERENCE;
  if (need_a)
    ensure_sw_slot(self, SW_A);
  if (need_b)
    ensure_sw_slot(self, SW_B);
  if (self->mode == SR_VIEWER_MODE_DIFFERENCE)
    ensure_sw_slot(self, SW_DIFF);

  graphene_rect_t all = GRAPHENE_RECT_INIT(0, 0, w, h);
  switch (self->mode) {
  case SR_VIEWER_MODE_A: snapshot_texture_at(self, snapshot, self->sw[SW_A].tex, 0, &all); break;
  case SR_VIEWER_MODE_B: snapshot_texture_at(self, snapshot, self->sw[SW_B].tex, 0, &all); break;
  case SR_VIEWER_MODE_DIFFERENCE:
    snapshot_texture_at(self, snapshot, self->sw[SW_DIFF].tex, 0, &all);
    break;
  case SR_VIEWER_MODE_SIDE_BY_SIDE:
    snapshot_texture_at(self, snapshot, self->sw[SW_A].tex, 0, &GRAPHENE_RECT_INIT(0, 0, pw, h));
    snapshot_texture_at(self, snapshot, self->sw[SW_B].tex, 1,
                        &GRAPHENE_RECT_INIT(pw, 0, w - pw, h));
    break;
  case SR_VIEWER_MODE_WIPE:
  default: {
    int rw = 1, rh = 1;
    sr_viewer_reference_size(self, &rw, &rh);
    double lx, ly;
    sr_viewer_to_widget(self, 0, self->wipe_position * rw, self->wipe_position * rh, &lx, &ly);
    graphene_rect_t ca, cb;
    if (self->wipe == SR_VIEWER_WIPE_VERTICAL) {
      float x = (float)CLAMP(lx, 0, w);
      ca = GRAPHENE_RECT_INIT(0, 0, x, h);
      cb = GRAPHENE_RECT_INIT(x, 0, w - x, h);
    } else {
      float y = (float)CLAMP(ly, 0, h);
      ca = GRAPHENE_RECT_INIT(0, 0, w, y);
      cb = GRAPHENE_RECT_INIT(0, y, w, h - y);
    }
    snapshot_texture_at(self, snapshot, self->sw[SW_A].tex, 0, &ca);
    snapshot_texture_at(self, snapshot, self->sw[SW_B].tex, 0, &cb);
  } break;
  }
}
