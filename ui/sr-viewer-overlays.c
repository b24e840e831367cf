/* sr-viewer-overlays.c — what SrViewer draws over the picture with
 * GtkSnapshot, the same on both renderers: wipe line, crop rectangle and
 * handles, A/B labels, frame number and the pixel probe. */
#include "sr-viewer-private.h"

#include <math.h>

/* ---- Overlays ------------------------------------------------------------ */

void
sr_viewer_handle_point(const sr_rect *r, int handle, double *ix, double *iy)
{
  double x0 = r->x, y0 = r->y, x1 = r->x + r->w, y1 = r->y + r->h;
  double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  static const int hx[8] = {0, 1, 2, 2, 2, 1, 0, 0};
  static const int hy[8] = {0, 0, 0, 1, 2, 2, 2, 1};
  *ix = hx[handle] == 0 ? x0 : (hx[handle] == 1 ? cx : x1);
  *iy = hy[handle] == 0 ? y0 : (hy[handle] == 1 ? cy : y1);
}

static void
append_rect_outline(GtkSnapshot *snapshot, graphene_rect_t r, float width, const GdkRGBA *c)
{
  GskRoundedRect rr;
  gsk_rounded_rect_init_from_rect(&rr, &r, 0);
  float widths[4] = {width, width, width, width};
  GdkRGBA colours[4] = {*c, *c, *c, *c};
  gtk_snapshot_append_border(snapshot, &rr, widths, colours);
}

static void
snapshot_crop(SrViewer *self, GtkSnapshot *snapshot, int pane)
{
  const sr_rect *c = &self->crop;
  int rw, rh;
  if (sr_rect_is_empty(*c) || !sr_viewer_reference_size(self, &rw, &rh))
    return;
  double x0, y0, x1, y1, ix0, iy0, ix1, iy1;
  sr_viewer_to_widget(self, pane, c->x, c->y, &x0, &y0);
  sr_viewer_to_widget(self, pane, c->x + c->w, c->y + c->h, &x1, &y1);
  sr_viewer_to_widget(self, pane, 0, 0, &ix0, &iy0);
  sr_viewer_to_widget(self, pane, rw, rh, &ix1, &iy1);
  x0 = round(x0), y0 = round(y0), x1 = round(x1), y1 = round(y1);
  ix0 = round(ix0), iy0 = round(iy0), ix1 = round(ix1), iy1 = round(iy1);

  /* Dim what the crop leaves out, within the picture. */
  GdkRGBA dim = {0, 0, 0, 0.5f};
  graphene_rect_t parts[4] = {
      GRAPHENE_RECT_INIT((float)ix0, (float)iy0, (float)(ix1 - ix0), (float)MAX(0, y0 - iy0)),
      GRAPHENE_RECT_INIT((float)ix0, (float)y1, (float)(ix1 - ix0), (float)MAX(0, iy1 - y1)),
      GRAPHENE_RECT_INIT((float)ix0, (float)y0, (float)MAX(0, x0 - ix0), (float)(y1 - y0)),
      GRAPHENE_RECT_INIT((float)x1, (float)y0, (float)MAX(0, ix1 - x1), (float)(y1 - y0)),
  };
  for (int i = 0; i < 4; i++)
    if (parts[i].size.width > 0 && parts[i].size.height > 0)
      gtk_snapshot_append_color(snapshot, &dim, &parts[i]);

  /* A light line with a dark rim reads on bright and dark pictures alike. */
  GdkRGBA dark = {0, 0, 0, 0.7f};
  GdkRGBA light = {1.0f, 0.78f, 0.2f, 1};
  append_rect_outline(
      snapshot,
      GRAPHENE_RECT_INIT((float)x0 - 2, (float)y0 - 2, (float)(x1 - x0) + 4, (float)(y1 - y0) + 4),
      1, &dark);
  append_rect_outline(
      snapshot,
      GRAPHENE_RECT_INIT((float)x0 - 1, (float)y0 - 1, (float)(x1 - x0) + 2, (float)(y1 - y0) + 2),
      1.5f, &light);

  if (!self->crop_edit)
    return;
  for (int hdl = 0; hdl < 8; hdl++) {
    double ix, iy, wx, wy;
    sr_viewer_handle_point(c, hdl, &ix, &iy);
    sr_viewer_to_widget(self, pane, ix, iy, &wx, &wy);
    float s = (float)HANDLE_SIZE;
    graphene_rect_t r =
        GRAPHENE_RECT_INIT((float)round(wx) - s / 2, (float)round(wy) - s / 2, s, s);
    gtk_snapshot_append_color(snapshot, &light, &r);
    append_rect_outline(snapshot, r, 1, &dark);
  }
}

/* A text box; returns its height (0 when nothing was drawn). */
static float
snapshot_text(SrViewer *self, GtkSnapshot *snapshot, const char *text, const char *font, double x,
              double y, gboolean right_align, gboolean bottom_align)
{
  if (text == NULL || text[0] == '\0')
    return 0;
  PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), text);
  PangoFontDescription *fd = pango_font_description_from_string(font);
  pango_layout_set_font_description(layout, fd);
  pango_font_description_free(fd);
  int lw, lh;
  pango_layout_get_pixel_size(layout, &lw, &lh);
  const float pad_x = 7, pad_y = 3;
  float bw = lw + 2 * pad_x, bh = lh + 2 * pad_y;
  float bx = (float)(right_align ? x - bw : x);
  float by = (float)(bottom_align ? y - bh : y);
  bx = roundf(bx);
  by = roundf(by);
  GskRoundedRect rr;
  gsk_rounded_rect_init_from_rect(&rr, &GRAPHENE_RECT_INIT(bx, by, bw, bh), 4);
  gtk_snapshot_push_rounded_clip(snapshot, &rr);
  GdkRGBA box = {0.05f, 0.05f, 0.06f, 0.72f};
  gtk_snapshot_append_color(snapshot, &box, &rr.bounds);
  gtk_snapshot_pop(snapshot);
  gtk_snapshot_save(snapshot);
  gtk_snapshot_translate(snapshot, &GRAPHENE_POINT_INIT(bx + pad_x, by + pad_y));
  GdkRGBA fg = {0.94f, 0.94f, 0.94f, 1};
  gtk_snapshot_append_layout(snapshot, layout, &fg);
  gtk_snapshot_restore(snapshot);
  g_object_unref(layout);
  return bh;
}

static void
snapshot_label(SrViewer *self, GtkSnapshot *snapshot, const char *text, double x, double y,
               gboolean right_align, gboolean bottom_align)
{
  snapshot_text(self, snapshot, text, "Sans Bold 9", x, y, right_align, bottom_align);
}

/* The pixel probe readout: position, then RGB and Y/Cb/Cr of A and B. */
static float
snapshot_probe(SrViewer *self, GtkSnapshot *snapshot, double x, double y)
{
  const SrViewerProbe *p = &self->probe;
  if (!p->valid)
    return 0;
  GString *t = g_string_new(NULL);
  g_string_append_printf(t, "x %d  y %d", p->x, p->y);
  const char *names[2] = {"A", "B"};
  const float *rgb[2] = {p->a_rgb, p->b_rgb};
  const float *ycc[2] = {p->a_ycbcr, p->b_ycbcr};
  gboolean has[2] = {p->has_a, p->has_b};
  for (int i = 0; i < 2; i++)
    if (has[i])
      g_string_append_printf(t, "\n%s  RGB %7.4f %7.4f %7.4f   Y %7.4f  Cb %+.4f  Cr %+.4f",
                             names[i], rgb[i][0], rgb[i][1], rgb[i][2], ycc[i][0], ycc[i][1],
                             ycc[i][2]);
  float hgt = snapshot_text(self, snapshot, t->str, "Monospace 8", x, y, TRUE, TRUE);
  g_string_free(t, TRUE);
  return hgt;
}

void
sr_viewer_snapshot_overlays(SrViewer *self, GtkSnapshot *snapshot)
{
  double w = gtk_widget_get_width(GTK_WIDGET(self));
  double h = gtk_widget_get_height(GTK_WIDGET(self));
  double pw = sr_viewer_pane_width(self);
  int rw = 0, rh = 0;
  gboolean has_image = sr_viewer_reference_size(self, &rw, &rh);
  GdkRGBA line = {0.95f, 0.95f, 0.95f, 0.95f};
  GdkRGBA shadow = {0, 0, 0, 0.6f};

  if (has_image && self->show_crop) {
    snapshot_crop(self, snapshot, 0);
    if (self->mode == SR_VIEWER_MODE_SIDE_BY_SIDE)
      snapshot_crop(self, snapshot, 1);
  }

  if (has_image && self->mode == SR_VIEWER_MODE_WIPE) {
    double lx, ly;
    sr_viewer_to_widget(self, 0, self->wipe_position * rw, self->wipe_position * rh, &lx, &ly);
    if (self->wipe == SR_VIEWER_WIPE_VERTICAL && lx >= 0 && lx <= w) {
      float x = (float)round(lx);
      gtk_snapshot_append_color(snapshot, &shadow, &GRAPHENE_RECT_INIT(x - 2, 0, 4, (float)h));
      gtk_snapshot_append_color(snapshot, &line, &GRAPHENE_RECT_INIT(x - 1, 0, 2, (float)h));
      GskRoundedRect knob;
      gsk_rounded_rect_init_from_rect(&knob, &GRAPHENE_RECT_INIT(x - 6, (float)h / 2 - 18, 12, 36),
                                      6);
      gtk_snapshot_push_rounded_clip(snapshot, &knob);
      gtk_snapshot_append_color(snapshot, &line, &knob.bounds);
      gtk_snapshot_pop(snapshot);
    } else if (self->wipe == SR_VIEWER_WIPE_HORIZONTAL && ly >= 0 && ly <= h) {
      float y = (float)round(ly);
      gtk_snapshot_append_color(snapshot, &shadow, &GRAPHENE_RECT_INIT(0, y - 2, (float)w, 4));
      gtk_snapshot_append_color(snapshot, &line, &GRAPHENE_RECT_INIT(0, y - 1, (float)w, 2));
      GskRoundedRect knob;
      gsk_rounded_rect_init_from_rect(&knob, &GRAPHENE_RECT_INIT((float)w / 2 - 18, y - 6, 36, 12),
                                      6);
      gtk_snapshot_push_rounded_clip(snapshot, &knob);
      gtk_snapshot_append_color(snapshot, &line, &knob.bounds);
      gtk_snapshot_pop(snapshot);
    }
  }

  if (self->mode == SR_VIEWER_MODE_SIDE_BY_SIDE)
    gtk_snapshot_append_color(snapshot, &(GdkRGBA){0.03f, 0.03f, 0.035f, 1},
                              &GRAPHENE_RECT_INIT((float)pw - 1, 0, 2, (float)h));

  const double m = 10;
  double right_y = h - m;
  if (self->exposure != 0.0 && self->show_labels) {
    g_autofree char *t = g_strdup_printf("Exposure %+.1f", self->exposure);
    right_y -= snapshot_text(self, snapshot, t, "Sans Bold 9", w - m, right_y, TRUE, TRUE) + 6;
  }
  if (self->show_probe)
    snapshot_probe(self, snapshot, w - m, right_y);

  if (!self->show_labels)
    return;
  switch (self->mode) {
  case SR_VIEWER_MODE_A: snapshot_label(self, snapshot, self->label_a, m, m, FALSE, FALSE); break;
  case SR_VIEWER_MODE_B: snapshot_label(self, snapshot, self->label_b, m, m, FALSE, FALSE); break;
  case SR_VIEWER_MODE_WIPE:
    snapshot_label(self, snapshot, self->label_a, m, m, FALSE, FALSE);
    if (self->wipe == SR_VIEWER_WIPE_VERTICAL)
      snapshot_label(self, snapshot, self->label_b, w - m, m, TRUE, FALSE);
    else
      snapshot_label(self, snapshot, self->label_b, m, h - m - (self->frame_number >= 0 ? 30 : 0),
                     FALSE, TRUE);
    break;
  case SR_VIEWER_MODE_SIDE_BY_SIDE:
    snapshot_label(self, snapshot, self->label_a, m, m, FALSE, FALSE);
    snapshot_label(self, snapshot, self->label_b, pw + m, m, FALSE, FALSE);
    break;
  case SR_VIEWER_MODE_DIFFERENCE:
  default: {
    g_autofree char *t = g_strdup_printf("|A − B| × %g", self->gain);
    snapshot_label(self, snapshot, t, m, m, FALSE, FALSE);
  } break;
  }
  if (self->frame_number >= 0) {
    g_autofree char *t = g_strdup_printf("Frame %d", self->frame_number);
    snapshot_label(self, snapshot, t, m, h - m, FALSE, TRUE);
  }
}
