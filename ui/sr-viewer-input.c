/* sr-viewer-input.c — SrViewer's pixel probe and input: drag to pan,
 * wipe or edit the crop, scroll to zoom, space to pan, and the viewer.*
 * actions with their keys. */
#include "sr-viewer-private.h"

#include <math.h>
#include <string.h>

/* ---- Probe --------------------------------------------------------------- */

static void
read_pixel(const sr_image *img, int x, int y, float rgb[4])
{
  const float *p = sr_image_row(img, y) + (gsize)x * img->channels;
  if (img->channels >= 3) {
    rgb[0] = p[0];
    rgb[1] = p[1];
    rgb[2] = p[2];
    rgb[3] = img->channels == 4 ? p[3] : 1.0f;
  } else {
    rgb[0] = rgb[1] = rgb[2] = p[0];
    rgb[3] = 1.0f;
  }
}

void
sr_viewer_probe_pixel(SrViewer *self, int x, int y, SrViewerProbe *out)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  g_return_if_fail(out != NULL);
  memset(out, 0, sizeof *out);
  out->x = x;
  out->y = y;
  const sr_image *a = sr_viewer_image_a(self), *b = sr_viewer_image_b(self);
  if (a != NULL && x >= 0 && y >= 0 && x < a->width && y < a->height) {
    out->has_a = TRUE;
    read_pixel(a, x, y, out->a_rgb);
    sr_rgb_to_ycbcr(self->matrix, out->a_rgb, out->a_ycbcr, 1, 3);
  }
  if (b != NULL && x >= 0 && y >= 0 && x < b->width && y < b->height) {
    out->has_b = TRUE;
    read_pixel(b, x, y, out->b_rgb);
    sr_rgb_to_ycbcr(self->matrix, out->b_rgb, out->b_ycbcr, 1, 3);
  }
  out->valid = out->has_a || out->has_b;
}

static void
set_probe(SrViewer *self, const SrViewerProbe *p)
{
  if (memcmp(p, &self->probe, sizeof *p) == 0)
    return;
  self->probe = *p;
  if (self->show_probe)
    gtk_widget_queue_draw(GTK_WIDGET(self));
  SrViewerProbe copy = *p;
  g_signal_emit(self, sr_viewer_signals[SIGNAL_PROBE], 0, &copy);
}

void
sr_viewer_probe_at(SrViewer *self, double wx, double wy, SrViewerProbe *out)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  SrViewerProbe p = {0};
  double ix, iy;
  if (sr_viewer_widget_to_image(self, wx, wy, &ix, &iy))
    sr_viewer_probe_pixel(self, (int)floor(ix), (int)floor(iy), &p);
  else
    p.x = p.y = -1;
  set_probe(self, &p);
  if (out != NULL)
    *out = p;
}

void
sr_viewer_get_probe(SrViewer *self, SrViewerProbe *out)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  *out = self->probe;
}

void
sr_viewer_refresh_probe(SrViewer *self)
{
  if (self->pointer_in)
    sr_viewer_probe_at(self, self->pointer_x, self->pointer_y, NULL);
  else if (self->probe.valid)
    sr_viewer_probe_pixel(self, self->probe.x, self->probe.y, &self->probe);
}

void
sr_viewer_set_ycbcr_matrix(SrViewer *self, sr_ycbcr_matrix matrix)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (self->matrix == matrix)
    return;
  self->matrix = matrix;
  sr_viewer_refresh_probe(self);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_YCBCR_MATRIX]);
}

/* ---- Pointer and keys ---------------------------------------------------- */

static int
hit_handle(SrViewer *self, double wx, double wy)
{
  if (!self->crop_edit || !self->show_crop || sr_rect_is_empty(self->crop))
    return HANDLE_NONE;
  int pane = sr_viewer_pane_of(self, wx);
  int best = HANDLE_NONE;
  double best_d = HANDLE_HIT;
  for (int h = 0; h < 8; h++) {
    double ix, iy, hx, hy;
    sr_viewer_handle_point(&self->crop, h, &ix, &iy);
    sr_viewer_to_widget(self, pane, ix, iy, &hx, &hy);
    double d = MAX(fabs(hx - wx), fabs(hy - wy));
    if (d <= best_d) {
      best = h;
      best_d = d;
    }
  }
  return best;
}

static gboolean
hit_wipe(SrViewer *self, double wx, double wy)
{
  int rw, rh;
  if (self->mode != SR_VIEWER_MODE_WIPE || !sr_viewer_reference_size(self, &rw, &rh))
    return FALSE;
  double lx, ly;
  sr_viewer_to_widget(self, 0, self->wipe_position * rw, self->wipe_position * rh, &lx, &ly);
  return self->wipe == SR_VIEWER_WIPE_VERTICAL ? fabs(wx - lx) <= WIPE_HIT
                                               : fabs(wy - ly) <= WIPE_HIT;
}

void
sr_viewer_notify_crop(SrViewer *self)
{
  g_object_freeze_notify(G_OBJECT(self));
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_CROP_X]);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_CROP_Y]);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_CROP_WIDTH]);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_CROP_HEIGHT]);
  g_object_thaw_notify(G_OBJECT(self));
}

SrViewerDrag
sr_viewer_drag_begin(SrViewer *self, guint button, double wx, double wy)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), SR_VIEWER_DRAG_NONE);
  self->drag = SR_VIEWER_DRAG_NONE;
  self->drag_start_x = wx;
  self->drag_start_y = wy;
  self->drag_start_pan_x = self->pan_x;
  self->drag_start_pan_y = self->pan_y;
  self->drag_start_crop = self->crop;
  self->drag_pane = sr_viewer_pane_of(self, wx);
  self->drag_handle = HANDLE_NONE;
  int rw, rh;
  if (!sr_viewer_reference_size(self, &rw, &rh))
    return SR_VIEWER_DRAG_NONE;

  if (button == 2 || (button == 1 && self->space_held))
    self->drag = SR_VIEWER_DRAG_PAN;
  else if (button == 1) {
    int h = hit_handle(self, wx, wy);
    if (h != HANDLE_NONE) {
      self->drag = SR_VIEWER_DRAG_CROP_HANDLE;
      self->drag_handle = h;
    } else if (hit_wipe(self, wx, wy))
      self->drag = SR_VIEWER_DRAG_WIPE;
    else
      self->drag = SR_VIEWER_DRAG_PAN;
  }
  return self->drag;
}

static int
round_even(double v)
{
  return 2 * (int)lround(v / 2.0);
}

static void
drag_crop(SrViewer *self, double ix, double iy)
{
  int rw = 1, rh = 1;
  sr_viewer_reference_size(self, &rw, &rh);
  const sr_rect s = self->drag_start_crop;
  int h = self->drag_handle;
  gboolean left = h == HANDLE_TL || h == HANDLE_BL || h == HANDLE_L;
  gboolean right = h == HANDLE_TR || h == HANDLE_BR || h == HANDLE_R;
  gboolean top = h == HANDLE_TL || h == HANDLE_T || h == HANDLE_TR;
  gboolean bottom = h == HANDLE_BL || h == HANDLE_B || h == HANDLE_BR;
  int x0 = s.x, y0 = s.y, x1 = s.x + s.w, y1 = s.y + s.h;
  int min_w = MIN(MIN_CROP, rw - rw % 2), min_h = MIN(MIN_CROP, rh - rh % 2);

  /* The edge being dragged follows the pointer; the opposite edge stays,
   * and the moving edge settles where the size comes out even. */
  if (left) {
    int w = round_even(x1 - CLAMP(ix, 0, x1));
    w = CLAMP(w, min_w, x1 - x1 % 2);
    x0 = x1 - w;
  } else if (right) {
    int w = round_even(CLAMP(ix, x0, rw) - x0);
    w = CLAMP(w, min_w, (rw - x0) - (rw - x0) % 2);
    x1 = x0 + w;
  }
  if (top) {
    int hh = round_even(y1 - CLAMP(iy, 0, y1));
    hh = CLAMP(hh, min_h, y1 - y1 % 2);
    y0 = y1 - hh;
  } else if (bottom) {
    int hh = round_even(CLAMP(iy, y0, rh) - y0);
    hh = CLAMP(hh, min_h, (rh - y0) - (rh - y0) % 2);
    y1 = y0 + hh;
  }
  sr_rect r = {x0, y0, x1 - x0, y1 - y0};
  if (!sr_rect_equal(r, self->crop) && r.w > 0 && r.h > 0) {
    self->crop = r;
    sr_viewer_notify_crop(self);
    gtk_widget_queue_draw(GTK_WIDGET(self));
  }
}

void
sr_viewer_drag_update(SrViewer *self, double wx, double wy)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  int rw = 1, rh = 1;
  if (!sr_viewer_reference_size(self, &rw, &rh))
    return;
  switch (self->drag) {
  case SR_VIEWER_DRAG_PAN:
    self->zoom_fit = FALSE;
    self->pan_x = self->drag_start_pan_x - (wx - self->drag_start_x) / self->zoom;
    self->pan_y = self->drag_start_pan_y - (wy - self->drag_start_y) / self->zoom;
    sr_viewer_notify_view(self);
    sr_viewer_redraw(self);
    break;
  case SR_VIEWER_DRAG_WIPE: {
    double ix, iy;
    sr_viewer_to_image(self, 0, wx, wy, &ix, &iy);
    sr_viewer_set_wipe_position(self, self->wipe == SR_VIEWER_WIPE_VERTICAL ? ix / rw : iy / rh);
  } break;
  case SR_VIEWER_DRAG_CROP_HANDLE: {
    double ix, iy;
    sr_viewer_to_image(self, self->drag_pane, wx, wy, &ix, &iy);
    drag_crop(self, ix, iy);
  } break;
  case SR_VIEWER_DRAG_NONE:
  default: break;
  }
}

void
sr_viewer_drag_end(SrViewer *self, double wx, double wy)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  sr_viewer_drag_update(self, wx, wy);
  SrViewerDrag was = self->drag;
  self->drag = SR_VIEWER_DRAG_NONE;
  if (was == SR_VIEWER_DRAG_CROP_HANDLE)
    g_signal_emit(self, sr_viewer_signals[SIGNAL_CROP_EDITED], 0, self->crop.x, self->crop.y,
                  self->crop.w, self->crop.h);
}

void
sr_viewer_set_space_held(SrViewer *self, gboolean held)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  self->space_held = held;
  gtk_widget_set_cursor_from_name(GTK_WIDGET(self), held ? "grab" : NULL);
}

static guint
current_button(GtkGesture *gesture)
{
  return gtk_gesture_single_get_current_button(GTK_GESTURE_SINGLE(gesture));
}

static void
drag_begin_cb(GtkGestureDrag *gesture, double x, double y, SrViewer *self)
{
  gtk_widget_grab_focus(GTK_WIDGET(self));
  if (sr_viewer_drag_begin(self, current_button(GTK_GESTURE(gesture)), x, y) == SR_VIEWER_DRAG_NONE)
    gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_DENIED);
  else
    gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  if (self->drag == SR_VIEWER_DRAG_PAN)
    gtk_widget_set_cursor_from_name(GTK_WIDGET(self), "grabbing");
}

static void
drag_update_cb(GtkGestureDrag *gesture, double dx, double dy, SrViewer *self)
{
  sr_viewer_drag_update(self, self->drag_start_x + dx, self->drag_start_y + dy);
}

static void
drag_end_cb(GtkGestureDrag *gesture, double dx, double dy, SrViewer *self)
{
  sr_viewer_drag_end(self, self->drag_start_x + dx, self->drag_start_y + dy);
  gtk_widget_set_cursor_from_name(GTK_WIDGET(self), self->space_held ? "grab" : NULL);
}

static void
update_cursor(SrViewer *self, double x, double y)
{
  if (self->drag != SR_VIEWER_DRAG_NONE || self->space_held)
    return;
  static const char *names[8] = {"nw-resize", "n-resize", "ne-resize", "e-resize",
                                 "se-resize", "s-resize", "sw-resize", "w-resize"};
  int h = hit_handle(self, x, y);
  const char *name = NULL;
  if (h != HANDLE_NONE)
    name = names[h];
  else if (hit_wipe(self, x, y))
    name = self->wipe == SR_VIEWER_WIPE_VERTICAL ? "col-resize" : "row-resize";
  gtk_widget_set_cursor_from_name(GTK_WIDGET(self), name);
}

static void
motion_cb(GtkEventControllerMotion *motion, double x, double y, SrViewer *self)
{
  self->pointer_in = TRUE;
  self->pointer_x = x;
  self->pointer_y = y;
  update_cursor(self, x, y);
  sr_viewer_probe_at(self, x, y, NULL);
}

static void
leave_cb(GtkEventControllerMotion *motion, SrViewer *self)
{
  self->pointer_in = FALSE;
  SrViewerProbe p = {0};
  p.x = p.y = -1;
  set_probe(self, &p);
}

static gboolean
scroll_cb(GtkEventControllerScroll *scroll, double dx, double dy, SrViewer *self)
{
  if (dy == 0)
    return FALSE;
  double x = self->pointer_in ? self->pointer_x : gtk_widget_get_width(GTK_WIDGET(self)) / 2.0;
  double y = self->pointer_in ? self->pointer_y : gtk_widget_get_height(GTK_WIDGET(self)) / 2.0;
  /* One wheel notch is a quarter of a stop of magnification. */
  sr_viewer_zoom_at(self, pow(2.0, -dy * 0.25), x, y);
  return TRUE;
}

static gboolean
key_pressed_cb(GtkEventControllerKey *key, guint keyval, guint keycode, GdkModifierType state,
               SrViewer *self)
{
  if (keyval == GDK_KEY_space) {
    sr_viewer_set_space_held(self, TRUE);
    return TRUE;
  }
  return FALSE;
}

static void
key_released_cb(GtkEventControllerKey *key, guint keyval, guint keycode, GdkModifierType state,
                SrViewer *self)
{
  if (keyval == GDK_KEY_space)
    sr_viewer_set_space_held(self, FALSE);
}

static void
action_toggle(GtkWidget *widget, const char *name, GVariant *param)
{
  sr_viewer_toggle_ab(SR_VIEWER(widget));
}

static void
action_zoom_fit(GtkWidget *widget, const char *name, GVariant *param)
{
  sr_viewer_zoom_fit(SR_VIEWER(widget));
}

static void
action_zoom_one(GtkWidget *widget, const char *name, GVariant *param)
{
  sr_viewer_zoom_one(SR_VIEWER(widget));
}

static void
action_zoom_step(GtkWidget *widget, const char *name, GVariant *param)
{
  SrViewer *self = SR_VIEWER(widget);
  double f = g_str_equal(name, "viewer.zoom-in") ? 2.0 : 0.5;
  sr_viewer_zoom_at(self, f,
                    gtk_widget_get_width(widget) / 2.0 - (self->mode == SR_VIEWER_MODE_SIDE_BY_SIDE
                                                              ? sr_viewer_pane_width(self) / 2.0
                                                              : 0),
                    gtk_widget_get_height(widget) / 2.0);
}

void
sr_viewer_input_class_init(GtkWidgetClass *wc)
{
  gtk_widget_class_install_action(wc, "viewer.toggle-ab", NULL, action_toggle);
  gtk_widget_class_install_action(wc, "viewer.zoom-fit", NULL, action_zoom_fit);
  gtk_widget_class_install_action(wc, "viewer.zoom-one", NULL, action_zoom_one);
  gtk_widget_class_install_action(wc, "viewer.zoom-in", NULL, action_zoom_step);
  gtk_widget_class_install_action(wc, "viewer.zoom-out", NULL, action_zoom_step);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_t, 0, "viewer.toggle-ab", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_f, 0, "viewer.zoom-fit", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_1, 0, "viewer.zoom-one", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_plus, 0, "viewer.zoom-in", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_equal, 0, "viewer.zoom-in", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_KP_Add, 0, "viewer.zoom-in", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_minus, 0, "viewer.zoom-out", NULL);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_KP_Subtract, 0, "viewer.zoom-out", NULL);
}

void
sr_viewer_input_init(SrViewer *self)
{
  GtkGesture *drag = gtk_gesture_drag_new();
  gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(drag), 0);
  g_signal_connect(drag, "drag-begin", G_CALLBACK(drag_begin_cb), self);
  g_signal_connect(drag, "drag-update", G_CALLBACK(drag_update_cb), self);
  g_signal_connect(drag, "drag-end", G_CALLBACK(drag_end_cb), self);
  gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drag));

  GtkEventController *motion = gtk_event_controller_motion_new();
  g_signal_connect(motion, "enter", G_CALLBACK(motion_cb), self);
  g_signal_connect(motion, "motion", G_CALLBACK(motion_cb), self);
  g_signal_connect(motion, "leave", G_CALLBACK(leave_cb), self);
  gtk_widget_add_controller(GTK_WIDGET(self), motion);

  GtkEventController *scroll =
      gtk_event_controller_scroll_new(GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect(scroll, "scroll", G_CALLBACK(scroll_cb), self);
  gtk_widget_add_controller(GTK_WIDGET(self), scroll);

  GtkEventController *keys = gtk_event_controller_key_new();
  g_signal_connect(keys, "key-pressed", G_CALLBACK(key_pressed_cb), self);
  g_signal_connect(keys, "key-released", G_CALLBACK(key_released_cb), self);
  gtk_widget_add_controller(GTK_WIDGET(self), keys);
}
