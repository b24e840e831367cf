/* sr-viewer.c — the A/B image viewer: the object, its properties, frames,
 * display settings, comparison, zoom and pan.
 *
 * A GtkGLArea child draws the frames (half-float textures, display LUT in a
 * 3D texture, comparison in the fragment shader); SrViewer's own snapshot
 * draws the overlays on top (wipe line, crop rectangle and handles, labels)
 * with GtkSnapshot, so they stay crisp at any zoom and look the same on both
 * renderers. When GL cannot be used the frames are converted on the CPU
 * through the same LUT and drawn as GdkTextures instead.
 */
#include "sr-viewer-private.h"

#include <math.h>
#include <string.h>

const float sr_viewer_surround[3] = {0.118f, 0.118f, 0.125f};
GParamSpec *sr_viewer_props[N_PROPS];
guint sr_viewer_signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(SrViewer, sr_viewer, GTK_TYPE_WIDGET)

/* ---- Enum and boxed types ------------------------------------------------ */

GType
sr_viewer_mode_get_type(void)
{
  static gsize type = 0;
  if (g_once_init_enter(&type)) {
    static const GEnumValue values[] = {
        {SR_VIEWER_MODE_A, "SR_VIEWER_MODE_A", "a"},
        {SR_VIEWER_MODE_B, "SR_VIEWER_MODE_B", "b"},
        {SR_VIEWER_MODE_WIPE, "SR_VIEWER_MODE_WIPE", "wipe"},
        {SR_VIEWER_MODE_SIDE_BY_SIDE, "SR_VIEWER_MODE_SIDE_BY_SIDE", "side-by-side"},
        {SR_VIEWER_MODE_DIFFERENCE, "SR_VIEWER_MODE_DIFFERENCE", "difference"},
        {0, NULL, NULL},
    };
    g_once_init_leave(&type, g_enum_register_static("SrViewerMode", values));
  }
  return type;
}

GType
sr_viewer_wipe_get_type(void)
{
  static gsize type = 0;
  if (g_once_init_enter(&type)) {
    static const GEnumValue values[] = {
        {SR_VIEWER_WIPE_VERTICAL, "SR_VIEWER_WIPE_VERTICAL", "vertical"},
        {SR_VIEWER_WIPE_HORIZONTAL, "SR_VIEWER_WIPE_HORIZONTAL", "horizontal"},
        {0, NULL, NULL},
    };
    g_once_init_leave(&type, g_enum_register_static("SrViewerWipe", values));
  }
  return type;
}

SrViewerProbe *
sr_viewer_probe_copy(const SrViewerProbe *probe)
{
  return g_memdup2(probe, sizeof *probe);
}

void
sr_viewer_probe_free(SrViewerProbe *probe)
{
  g_free(probe);
}

G_DEFINE_BOXED_TYPE(SrViewerProbe, sr_viewer_probe, sr_viewer_probe_copy, sr_viewer_probe_free)

/* ---- Geometry ------------------------------------------------------------ */

const sr_image *
sr_viewer_image_a(SrViewer *self)
{
  return self->frame_a ? sr_frame_get_image(self->frame_a) : NULL;
}

const sr_image *
sr_viewer_image_b(SrViewer *self)
{
  return self->frame_b ? sr_frame_get_image(self->frame_b) : NULL;
}

/* The image that defines the coordinate system: A, or B when A is absent. */
gboolean
sr_viewer_reference_size(SrViewer *self, int *w, int *h)
{
  const sr_image *img = sr_viewer_image_a(self);
  if (img == NULL)
    img = sr_viewer_image_b(self);
  if (img == NULL)
    return FALSE;
  *w = img->width;
  *h = img->height;
  return TRUE;
}

double
sr_viewer_pane_width(SrViewer *self)
{
  double w = gtk_widget_get_width(GTK_WIDGET(self));
  return self->mode == SR_VIEWER_MODE_SIDE_BY_SIDE ? floor(w / 2.0) : w;
}

double
sr_viewer_view_height(SrViewer *self)
{
  return gtk_widget_get_height(GTK_WIDGET(self));
}

int
sr_viewer_pane_of(SrViewer *self, double wx)
{
  return self->mode == SR_VIEWER_MODE_SIDE_BY_SIDE && wx >= sr_viewer_pane_width(self) ? 1 : 0;
}

void
sr_viewer_to_image(SrViewer *self, int pane, double wx, double wy, double *ix, double *iy)
{
  double pw = sr_viewer_pane_width(self);
  *ix = (wx - pane * pw - pw / 2.0) / self->zoom + self->pan_x;
  *iy = (wy - sr_viewer_view_height(self) / 2.0) / self->zoom + self->pan_y;
}

void
sr_viewer_to_widget(SrViewer *self, int pane, double ix, double iy, double *wx, double *wy)
{
  double pw = sr_viewer_pane_width(self);
  *wx = (ix - self->pan_x) * self->zoom + pw / 2.0 + pane * pw;
  *wy = (iy - self->pan_y) * self->zoom + sr_viewer_view_height(self) / 2.0;
}

void
sr_viewer_notify_view(SrViewer *self)
{
  g_object_freeze_notify(G_OBJECT(self));
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_ZOOM]);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_PAN_X]);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_PAN_Y]);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_ZOOM_FIT]);
  g_object_thaw_notify(G_OBJECT(self));
}

void
sr_viewer_redraw(SrViewer *self)
{
  gtk_widget_queue_draw(GTK_WIDGET(self));
  if (self->gl_area != NULL)
    gtk_widget_queue_draw(self->gl_area);
}

/* Fit: the whole reference image inside one pane, centred. */
static void
apply_fit(SrViewer *self)
{
  int w, h;
  double pw = sr_viewer_pane_width(self), vh = sr_viewer_view_height(self);
  if (!sr_viewer_reference_size(self, &w, &h) || pw <= 0 || vh <= 0) {
    self->zoom = 1.0;
    self->pan_x = self->pan_y = 0;
    return;
  }
  self->zoom = CLAMP(MIN(pw / w, vh / h), MIN_ZOOM, MAX_ZOOM);
  self->pan_x = w / 2.0;
  self->pan_y = h / 2.0;
}

/* ---- GtkWidget ----------------------------------------------------------- */

static void
sr_viewer_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  SrViewer *self = SR_VIEWER(widget);
  float w = (float)gtk_widget_get_width(widget), h = (float)gtk_widget_get_height(widget);
  gtk_snapshot_push_clip(snapshot, &GRAPHENE_RECT_INIT(0, 0, w, h));
  if (self->software)
    sr_viewer_snapshot_software(self, snapshot);
  else
    gtk_widget_snapshot_child(widget, self->gl_area, snapshot);
  sr_viewer_snapshot_overlays(self, snapshot);
  gtk_snapshot_pop(snapshot);
}

static void
sr_viewer_measure(GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                  int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = 64;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 640 : 400;
}

static void
sr_viewer_size_allocate(GtkWidget *widget, int width, int height, int baseline)
{
  SrViewer *self = SR_VIEWER(widget);
  gtk_widget_allocate(self->gl_area, width, height, baseline, NULL);
  if (self->zoom_fit) {
    apply_fit(self);
    sr_viewer_notify_view(self);
  }
}

/* ---- Object -------------------------------------------------------------- */

static void
rebuild_lut(SrViewer *self)
{
  g_autoptr(GError) error = NULL;
  SrDisplayLut *lut = sr_display_lut_new(self->colourspace, self->display_profile, 0, &error);
  if (lut == NULL && self->display_profile != NULL) {
    g_warning("%s", error->message);
    g_clear_error(&error);
    lut = sr_display_lut_new(self->colourspace, NULL, 0, &error);
  }
  if (lut == NULL) {
    g_warning("%s", error->message);
    return;
  }
  sr_display_lut_free(self->lut);
  self->lut = lut;
  self->lut_dirty = TRUE;
  sr_viewer_invalidate_software(self);
  sr_viewer_redraw(self);
}

static void
sr_viewer_dispose(GObject *object)
{
  SrViewer *self = SR_VIEWER(object);
  sr_viewer_release_slot(&self->gl_a);
  sr_viewer_release_slot(&self->gl_b);
  g_clear_pointer(&self->gl_area, gtk_widget_unparent);
  g_clear_pointer(&self->frame_a, sr_frame_unref);
  g_clear_pointer(&self->frame_b, sr_frame_unref);
  sr_viewer_release_software(self);
  G_OBJECT_CLASS(sr_viewer_parent_class)->dispose(object);
}

static void
sr_viewer_finalize(GObject *object)
{
  SrViewer *self = SR_VIEWER(object);
  sr_display_lut_free(self->lut);
  g_free(self->display_profile);
  g_free(self->label_a);
  g_free(self->label_b);
  g_free(self->fallback_reason);
  g_hash_table_unref(self->uniforms);
  G_OBJECT_CLASS(sr_viewer_parent_class)->finalize(object);
}

static void
sr_viewer_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SrViewer *self = SR_VIEWER(object);
  switch (prop_id) {
  case PROP_MODE: g_value_set_enum(value, self->mode); break;
  case PROP_WIPE_ORIENTATION: g_value_set_enum(value, self->wipe); break;
  case PROP_WIPE_POSITION: g_value_set_double(value, self->wipe_position); break;
  case PROP_DIFFERENCE_GAIN: g_value_set_double(value, self->gain); break;
  case PROP_EXPOSURE: g_value_set_double(value, self->exposure); break;
  case PROP_ZOOM: g_value_set_double(value, self->zoom); break;
  case PROP_ZOOM_FIT: g_value_set_boolean(value, self->zoom_fit); break;
  case PROP_PAN_X: g_value_set_double(value, self->pan_x); break;
  case PROP_PAN_Y: g_value_set_double(value, self->pan_y); break;
  case PROP_COLOURSPACE: g_value_set_int(value, self->colourspace); break;
  case PROP_DISPLAY_PROFILE: g_value_set_string(value, self->display_profile); break;
  case PROP_YCBCR_MATRIX: g_value_set_int(value, self->matrix); break;
  case PROP_CROP_X: g_value_set_int(value, self->crop.x); break;
  case PROP_CROP_Y: g_value_set_int(value, self->crop.y); break;
  case PROP_CROP_WIDTH: g_value_set_int(value, self->crop.w); break;
  case PROP_CROP_HEIGHT: g_value_set_int(value, self->crop.h); break;
  case PROP_SHOW_CROP: g_value_set_boolean(value, self->show_crop); break;
  case PROP_CROP_EDIT: g_value_set_boolean(value, self->crop_edit); break;
  case PROP_SHOW_LABELS: g_value_set_boolean(value, self->show_labels); break;
  case PROP_SHOW_PROBE: g_value_set_boolean(value, self->show_probe); break;
  case PROP_LABEL_A: g_value_set_string(value, self->label_a); break;
  case PROP_LABEL_B: g_value_set_string(value, self->label_b); break;
  case PROP_FRAME_NUMBER: g_value_set_int(value, self->frame_number); break;
  case PROP_RENDERER: g_value_set_string(value, sr_viewer_get_renderer(self)); break;
  case PROP_FALLBACK_REASON: g_value_set_string(value, self->fallback_reason); break;
  case PROP_FORCE_SOFTWARE: g_value_set_boolean(value, self->force_software); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void
set_crop_field(SrViewer *self, int field, int v)
{
  sr_rect r = self->crop;
  switch (field) {
  case PROP_CROP_X: r.x = v; break;
  case PROP_CROP_Y: r.y = v; break;
  case PROP_CROP_WIDTH: r.w = v; break;
  default: r.h = v; break;
  }
  sr_viewer_set_crop(self, &r);
}

static void
sr_viewer_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SrViewer *self = SR_VIEWER(object);
  switch (prop_id) {
  case PROP_MODE: sr_viewer_set_mode(self, g_value_get_enum(value)); break;
  case PROP_WIPE_ORIENTATION: sr_viewer_set_wipe_orientation(self, g_value_get_enum(value)); break;
  case PROP_WIPE_POSITION: sr_viewer_set_wipe_position(self, g_value_get_double(value)); break;
  case PROP_DIFFERENCE_GAIN: sr_viewer_set_difference_gain(self, g_value_get_double(value)); break;
  case PROP_EXPOSURE: sr_viewer_set_exposure(self, g_value_get_double(value)); break;
  case PROP_ZOOM: sr_viewer_set_zoom(self, g_value_get_double(value)); break;
  case PROP_ZOOM_FIT:
    if (g_value_get_boolean(value))
      sr_viewer_zoom_fit(self);
    else if (self->zoom_fit) {
      self->zoom_fit = FALSE;
      g_object_notify_by_pspec(object, pspec);
    }
    break;
  case PROP_PAN_X: sr_viewer_set_pan(self, g_value_get_double(value), self->pan_y); break;
  case PROP_PAN_Y: sr_viewer_set_pan(self, self->pan_x, g_value_get_double(value)); break;
  case PROP_COLOURSPACE: sr_viewer_set_colourspace(self, g_value_get_int(value)); break;
  case PROP_DISPLAY_PROFILE: sr_viewer_set_display_profile(self, g_value_get_string(value)); break;
  case PROP_YCBCR_MATRIX: sr_viewer_set_ycbcr_matrix(self, g_value_get_int(value)); break;
  case PROP_CROP_X:
  case PROP_CROP_Y:
  case PROP_CROP_WIDTH:
  case PROP_CROP_HEIGHT: set_crop_field(self, (int)prop_id, g_value_get_int(value)); break;
  case PROP_SHOW_CROP: sr_viewer_set_show_crop(self, g_value_get_boolean(value)); break;
  case PROP_CROP_EDIT: sr_viewer_set_crop_edit(self, g_value_get_boolean(value)); break;
  case PROP_SHOW_LABELS: sr_viewer_set_show_labels(self, g_value_get_boolean(value)); break;
  case PROP_SHOW_PROBE: sr_viewer_set_show_probe(self, g_value_get_boolean(value)); break;
  case PROP_LABEL_A: sr_viewer_set_labels(self, g_value_get_string(value), self->label_b); break;
  case PROP_LABEL_B: sr_viewer_set_labels(self, self->label_a, g_value_get_string(value)); break;
  case PROP_FRAME_NUMBER: sr_viewer_set_frame_number(self, g_value_get_int(value)); break;
  case PROP_FORCE_SOFTWARE: sr_viewer_set_force_software(self, g_value_get_boolean(value)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

#define RW (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)
#define RO (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)

static void
sr_viewer_class_init(SrViewerClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  oc->dispose = sr_viewer_dispose;
  oc->finalize = sr_viewer_finalize;
  oc->get_property = sr_viewer_get_property;
  oc->set_property = sr_viewer_set_property;
  wc->snapshot = sr_viewer_snapshot;
  wc->measure = sr_viewer_measure;
  wc->size_allocate = sr_viewer_size_allocate;

  sr_viewer_props[PROP_MODE] =
      g_param_spec_enum("mode", NULL, NULL, SR_TYPE_VIEWER_MODE, SR_VIEWER_MODE_A, RW);
  sr_viewer_props[PROP_WIPE_ORIENTATION] = g_param_spec_enum(
      "wipe-orientation", NULL, NULL, SR_TYPE_VIEWER_WIPE, SR_VIEWER_WIPE_VERTICAL, RW);
  sr_viewer_props[PROP_WIPE_POSITION] =
      g_param_spec_double("wipe-position", NULL, NULL, 0, 1, 0.5, RW);
  sr_viewer_props[PROP_DIFFERENCE_GAIN] =
      g_param_spec_double("difference-gain", NULL, NULL, 0.01, 10000, 8, RW);
  sr_viewer_props[PROP_EXPOSURE] = g_param_spec_double("exposure", NULL, NULL, -20, 20, 0, RW);
  sr_viewer_props[PROP_ZOOM] = g_param_spec_double("zoom", NULL, NULL, MIN_ZOOM, MAX_ZOOM, 1, RW);
  sr_viewer_props[PROP_ZOOM_FIT] = g_param_spec_boolean("zoom-fit", NULL, NULL, TRUE, RW);
  sr_viewer_props[PROP_PAN_X] =
      g_param_spec_double("pan-x", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, RW);
  sr_viewer_props[PROP_PAN_Y] =
      g_param_spec_double("pan-y", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, RW);
  sr_viewer_props[PROP_COLOURSPACE] =
      g_param_spec_int("colourspace", NULL, NULL, 0, SR_CS_COUNT - 1, SR_CS_REC709, RW);
  sr_viewer_props[PROP_DISPLAY_PROFILE] =
      g_param_spec_string("display-profile", NULL, NULL, NULL, RW);
  sr_viewer_props[PROP_YCBCR_MATRIX] = g_param_spec_int("ycbcr-matrix", NULL, NULL, SR_YCBCR_BT709,
                                                        SR_YCBCR_BT601, SR_YCBCR_BT709, RW);
  sr_viewer_props[PROP_CROP_X] = g_param_spec_int("crop-x", NULL, NULL, 0, SR_IMAGE_MAX_DIM, 0, RW);
  sr_viewer_props[PROP_CROP_Y] = g_param_spec_int("crop-y", NULL, NULL, 0, SR_IMAGE_MAX_DIM, 0, RW);
  sr_viewer_props[PROP_CROP_WIDTH] =
      g_param_spec_int("crop-width", NULL, NULL, 0, SR_IMAGE_MAX_DIM, 0, RW);
  sr_viewer_props[PROP_CROP_HEIGHT] =
      g_param_spec_int("crop-height", NULL, NULL, 0, SR_IMAGE_MAX_DIM, 0, RW);
  sr_viewer_props[PROP_SHOW_CROP] = g_param_spec_boolean("show-crop", NULL, NULL, TRUE, RW);
  sr_viewer_props[PROP_CROP_EDIT] = g_param_spec_boolean("crop-edit", NULL, NULL, FALSE, RW);
  sr_viewer_props[PROP_SHOW_LABELS] = g_param_spec_boolean("show-labels", NULL, NULL, TRUE, RW);
  sr_viewer_props[PROP_SHOW_PROBE] = g_param_spec_boolean("show-probe", NULL, NULL, TRUE, RW);
  sr_viewer_props[PROP_LABEL_A] = g_param_spec_string("label-a", NULL, NULL, "A: Source", RW);
  sr_viewer_props[PROP_LABEL_B] = g_param_spec_string("label-b", NULL, NULL, "B: Recovered", RW);
  sr_viewer_props[PROP_FRAME_NUMBER] =
      g_param_spec_int("frame-number", NULL, NULL, -1, G_MAXINT, -1, RW);
  sr_viewer_props[PROP_RENDERER] = g_param_spec_string("renderer", NULL, NULL, "none", RO);
  sr_viewer_props[PROP_FALLBACK_REASON] =
      g_param_spec_string("fallback-reason", NULL, NULL, NULL, RO);
  sr_viewer_props[PROP_FORCE_SOFTWARE] =
      g_param_spec_boolean("force-software", NULL, NULL, FALSE, RW);
  g_object_class_install_properties(oc, N_PROPS, sr_viewer_props);

  sr_viewer_signals[SIGNAL_PROBE] =
      g_signal_new("probe", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                   G_TYPE_NONE, 1, SR_TYPE_VIEWER_PROBE | G_SIGNAL_TYPE_STATIC_SCOPE);
  sr_viewer_signals[SIGNAL_CROP_EDITED] =
      g_signal_new("crop-edited", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                   G_TYPE_NONE, 4, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT);
  sr_viewer_signals[SIGNAL_GL_ERROR] =
      g_signal_new("gl-error", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                   G_TYPE_NONE, 1, G_TYPE_STRING);

  sr_viewer_input_class_init(wc);

  gtk_widget_class_set_css_name(wc, "srviewer");
  gtk_widget_class_set_accessible_role(wc, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
sr_viewer_init(SrViewer *self)
{
  self->colourspace = SR_CS_REC709;
  self->mode = SR_VIEWER_MODE_A;
  self->wipe = SR_VIEWER_WIPE_VERTICAL;
  self->wipe_position = 0.5;
  self->gain = 8.0;
  self->zoom = 1.0;
  self->zoom_fit = TRUE;
  self->matrix = SR_YCBCR_BT709;
  self->show_crop = TRUE;
  self->show_labels = TRUE;
  self->show_probe = TRUE;
  self->label_a = g_strdup("A: Source");
  self->label_b = g_strdup("B: Recovered");
  self->frame_number = -1;
  self->probe.x = self->probe.y = -1;
  self->drag_handle = HANDLE_NONE;
  self->uniforms = g_hash_table_new(g_str_hash, g_str_equal);
  rebuild_lut(self);

  gtk_widget_set_focusable(GTK_WIDGET(self), TRUE);
  gtk_widget_set_overflow(GTK_WIDGET(self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);
  gtk_widget_set_vexpand(GTK_WIDGET(self), TRUE);

  self->gl_area = gtk_gl_area_new();
  gtk_gl_area_set_auto_render(GTK_GL_AREA(self->gl_area), TRUE);
  gtk_widget_set_can_target(self->gl_area, FALSE);
  gtk_widget_set_parent(self->gl_area, GTK_WIDGET(self));
  sr_viewer_gl_init(self);

  sr_viewer_input_init(self);
}

GtkWidget *
sr_viewer_new(void)
{
  return g_object_new(SR_TYPE_VIEWER, NULL);
}

/* ---- Frames -------------------------------------------------------------- */

static void
frames_changed(SrViewer *self, gboolean size_changed)
{
  sr_viewer_invalidate_software(self);
  if (self->zoom_fit || size_changed) {
    if (size_changed && !self->zoom_fit) {
      /* A new size: keep the zoom but re-centre, so the picture is in view. */
      int w, h;
      if (sr_viewer_reference_size(self, &w, &h)) {
        self->pan_x = w / 2.0;
        self->pan_y = h / 2.0;
      }
    } else
      apply_fit(self);
    sr_viewer_notify_view(self);
  }
  sr_viewer_refresh_probe(self);
  sr_viewer_redraw(self);
}

void
sr_viewer_set_frames(SrViewer *self, SrFrame *a, SrFrame *b)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  int ow = 0, oh = 0, nw = 0, nh = 0;
  gboolean had = sr_viewer_reference_size(self, &ow, &oh);
  if (a != self->frame_a) {
    if (a != NULL)
      sr_frame_ref(a);
    sr_frame_unref(self->frame_a);
    self->frame_a = a;
  }
  if (b != self->frame_b) {
    if (b != NULL)
      sr_frame_ref(b);
    sr_frame_unref(self->frame_b);
    self->frame_b = b;
  }
  gboolean has = sr_viewer_reference_size(self, &nw, &nh);
  frames_changed(self, had != has || ow != nw || oh != nh);
}

void
sr_viewer_set_frame_a(SrViewer *self, SrFrame *frame)
{
  sr_viewer_set_frames(self, frame, self->frame_b);
}

void
sr_viewer_set_frame_b(SrViewer *self, SrFrame *frame)
{
  sr_viewer_set_frames(self, self->frame_a, frame);
}

SrFrame *
sr_viewer_get_frame_a(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), NULL);
  return self->frame_a;
}

SrFrame *
sr_viewer_get_frame_b(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), NULL);
  return self->frame_b;
}

static void
set_image(SrViewer *self, const sr_image *img, gboolean is_a)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  SrFrame *f = NULL;
  if (img != NULL) {
    g_autoptr(GError) error = NULL;
    f = sr_frame_new_copy(img, -1, &error);
    if (f == NULL) {
      g_warning("Viewer: %s", error->message);
      return;
    }
  }
  if (is_a)
    sr_viewer_set_frame_a(self, f);
  else
    sr_viewer_set_frame_b(self, f);
  sr_frame_unref(f);
}

void
sr_viewer_set_image_a(SrViewer *self, const sr_image *img)
{
  set_image(self, img, TRUE);
}

void
sr_viewer_set_image_b(SrViewer *self, const sr_image *img)
{
  set_image(self, img, FALSE);
}

/* ---- Display ------------------------------------------------------------- */

void
sr_viewer_set_colourspace(SrViewer *self, sr_colourspace cs)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  g_return_if_fail((int)cs >= 0 && cs < SR_CS_COUNT);
  if (self->colourspace == cs)
    return;
  self->colourspace = cs;
  rebuild_lut(self);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_COLOURSPACE]);
}

sr_colourspace
sr_viewer_get_colourspace(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), SR_CS_REC709);
  return self->colourspace;
}

void
sr_viewer_set_display_profile(SrViewer *self, const char *icc_path)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (icc_path != NULL && icc_path[0] == '\0')
    icc_path = NULL;
  if (g_strcmp0(self->display_profile, icc_path) == 0)
    return;
  g_free(self->display_profile);
  self->display_profile = g_strdup(icc_path);
  rebuild_lut(self);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_DISPLAY_PROFILE]);
}

const char *
sr_viewer_get_display_profile(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), NULL);
  return self->display_profile;
}

void
sr_viewer_set_exposure(SrViewer *self, double stops)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  stops = CLAMP(stops, -20.0, 20.0);
  if (self->exposure == stops)
    return;
  self->exposure = stops;
  sr_viewer_invalidate_sw(self, SW_A);
  sr_viewer_invalidate_sw(self, SW_B);
  sr_viewer_redraw(self);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_EXPOSURE]);
}

double
sr_viewer_get_exposure(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), 0);
  return self->exposure;
}

/* ---- Comparison ---------------------------------------------------------- */

void
sr_viewer_set_mode(SrViewer *self, SrViewerMode mode)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  g_return_if_fail(mode <= SR_VIEWER_MODE_DIFFERENCE);
  if (self->mode == mode)
    return;
  gboolean sbs_changed =
      (self->mode == SR_VIEWER_MODE_SIDE_BY_SIDE) != (mode == SR_VIEWER_MODE_SIDE_BY_SIDE);
  self->mode = mode;
  if (sbs_changed && self->zoom_fit) {
    apply_fit(self);
    sr_viewer_notify_view(self);
  }
  sr_viewer_redraw(self);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_MODE]);
}

SrViewerMode
sr_viewer_get_mode(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), SR_VIEWER_MODE_A);
  return self->mode;
}

void
sr_viewer_toggle_ab(SrViewer *self)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  sr_viewer_set_mode(self, self->mode == SR_VIEWER_MODE_A ? SR_VIEWER_MODE_B : SR_VIEWER_MODE_A);
}

void
sr_viewer_set_wipe_orientation(SrViewer *self, SrViewerWipe wipe)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (self->wipe == wipe)
    return;
  self->wipe = wipe;
  sr_viewer_redraw(self);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_WIPE_ORIENTATION]);
}

SrViewerWipe
sr_viewer_get_wipe_orientation(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), SR_VIEWER_WIPE_VERTICAL);
  return self->wipe;
}

void
sr_viewer_set_wipe_position(SrViewer *self, double position)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  position = isfinite(position) ? CLAMP(position, 0.0, 1.0) : 0.5;
  if (self->wipe_position == position)
    return;
  self->wipe_position = position;
  sr_viewer_redraw(self);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_WIPE_POSITION]);
}

double
sr_viewer_get_wipe_position(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), 0.5);
  return self->wipe_position;
}

void
sr_viewer_set_difference_gain(SrViewer *self, double gain)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  gain = CLAMP(gain, 0.01, 10000.0);
  if (self->gain == gain)
    return;
  self->gain = gain;
  sr_viewer_invalidate_sw(self, SW_DIFF);
  sr_viewer_redraw(self);
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_DIFFERENCE_GAIN]);
}

double
sr_viewer_get_difference_gain(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), 1);
  return self->gain;
}

/* ---- Zoom and pan -------------------------------------------------------- */

void
sr_viewer_set_zoom(SrViewer *self, double zoom)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (!isfinite(zoom))
    return;
  self->zoom = CLAMP(zoom, MIN_ZOOM, MAX_ZOOM);
  self->zoom_fit = FALSE;
  sr_viewer_notify_view(self);
  sr_viewer_refresh_probe(self);
  sr_viewer_redraw(self);
}

double
sr_viewer_get_zoom(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), 1);
  return self->zoom;
}

void
sr_viewer_zoom_at(SrViewer *self, double factor, double wx, double wy)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (!isfinite(factor) || factor <= 0)
    return;
  int pane = sr_viewer_pane_of(self, wx);
  double ix, iy;
  sr_viewer_to_image(self, pane, wx, wy, &ix, &iy);
  double z = CLAMP(self->zoom * factor, MIN_ZOOM, MAX_ZOOM);
  /* Keep (ix, iy) under (wx, wy): pan = i − (w − centre) / z. */
  double pw = sr_viewer_pane_width(self);
  self->pan_x = ix - (wx - pane * pw - pw / 2.0) / z;
  self->pan_y = iy - (wy - sr_viewer_view_height(self) / 2.0) / z;
  self->zoom = z;
  self->zoom_fit = FALSE;
  sr_viewer_notify_view(self);
  sr_viewer_refresh_probe(self);
  sr_viewer_redraw(self);
}

void
sr_viewer_zoom_fit(SrViewer *self)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  self->zoom_fit = TRUE;
  apply_fit(self);
  sr_viewer_notify_view(self);
  sr_viewer_refresh_probe(self);
  sr_viewer_redraw(self);
}

void
sr_viewer_zoom_one(SrViewer *self)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  /* Keep the point at the view centre where it is. */
  self->zoom = 1.0;
  self->zoom_fit = FALSE;
  sr_viewer_notify_view(self);
  sr_viewer_refresh_probe(self);
  sr_viewer_redraw(self);
}

gboolean
sr_viewer_get_zoom_fit(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), FALSE);
  return self->zoom_fit;
}

void
sr_viewer_set_pan(SrViewer *self, double image_x, double image_y)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (!isfinite(image_x) || !isfinite(image_y))
    return;
  self->pan_x = image_x;
  self->pan_y = image_y;
  self->zoom_fit = FALSE;
  sr_viewer_notify_view(self);
  sr_viewer_refresh_probe(self);
  sr_viewer_redraw(self);
}

void
sr_viewer_get_pan(SrViewer *self, double *image_x, double *image_y)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (image_x)
    *image_x = self->pan_x;
  if (image_y)
    *image_y = self->pan_y;
}

gboolean
sr_viewer_widget_to_image(SrViewer *self, double wx, double wy, double *ix, double *iy)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), FALSE);
  int rw, rh;
  double x, y;
  sr_viewer_to_image(self, sr_viewer_pane_of(self, wx), wx, wy, &x, &y);
  if (ix)
    *ix = x;
  if (iy)
    *iy = y;
  if (!sr_viewer_reference_size(self, &rw, &rh))
    return FALSE;
  if (wx < 0 || wy < 0 || wx >= gtk_widget_get_width(GTK_WIDGET(self)) ||
      wy >= gtk_widget_get_height(GTK_WIDGET(self)))
    return FALSE;
  const sr_image *b = sr_viewer_image_b(self);
  int mw = rw, mh = rh;
  if (b != NULL) {
    mw = MAX(mw, b->width);
    mh = MAX(mh, b->height);
  }
  return x >= 0 && y >= 0 && x < mw && y < mh;
}

void
sr_viewer_image_to_widget(SrViewer *self, double ix, double iy, double *wx, double *wy)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  double x, y;
  sr_viewer_to_widget(self, 0, ix, iy, &x, &y);
  if (wx)
    *wx = x;
  if (wy)
    *wy = y;
}

/* ---- Overlays ------------------------------------------------------------ */

void
sr_viewer_set_crop(SrViewer *self, const sr_rect *crop)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  sr_rect r = crop ? *crop : (sr_rect){0, 0, 0, 0};
  if (r.w < 0 || r.h < 0)
    r.w = r.h = 0;
  if (sr_rect_equal(r, self->crop))
    return;
  self->crop = r;
  sr_viewer_notify_crop(self);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_viewer_get_crop(SrViewer *self, sr_rect *out)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  *out = self->crop;
}

void
sr_viewer_set_show_crop(SrViewer *self, gboolean show)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  show = !!show;
  if (self->show_crop == show)
    return;
  self->show_crop = show;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_SHOW_CROP]);
}

void
sr_viewer_set_crop_edit(SrViewer *self, gboolean edit)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  edit = !!edit;
  if (self->crop_edit == edit)
    return;
  self->crop_edit = edit;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_CROP_EDIT]);
}

gboolean
sr_viewer_get_crop_edit(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), FALSE);
  return self->crop_edit;
}

void
sr_viewer_set_labels(SrViewer *self, const char *label_a, const char *label_b)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  if (g_strcmp0(label_a, self->label_a) != 0) {
    char *t = g_strdup(label_a);
    g_free(self->label_a);
    self->label_a = t;
    g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_LABEL_A]);
  }
  if (g_strcmp0(label_b, self->label_b) != 0) {
    char *t = g_strdup(label_b);
    g_free(self->label_b);
    self->label_b = t;
    g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_LABEL_B]);
  }
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_viewer_set_frame_number(SrViewer *self, int number)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  number = MAX(number, -1);
  if (self->frame_number == number)
    return;
  self->frame_number = number;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_FRAME_NUMBER]);
}

void
sr_viewer_set_show_labels(SrViewer *self, gboolean show)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  show = !!show;
  if (self->show_labels == show)
    return;
  self->show_labels = show;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_SHOW_LABELS]);
}

/* ---- Renderer ------------------------------------------------------------ */

const char *
sr_viewer_get_renderer(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), "none");
  if (self->software)
    return "software";
  return self->gl_ready ? "gl" : "none";
}

const char *
sr_viewer_get_fallback_reason(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), NULL);
  return self->fallback_reason;
}

void
sr_viewer_set_force_software(SrViewer *self, gboolean force)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  force = !!force;
  if (self->force_software == force)
    return;
  self->force_software = force;
  if (force)
    sr_viewer_switch_to_software(self, "the software renderer was requested");
  else if (self->software && self->fallback_reason != NULL &&
           g_str_equal(self->fallback_reason, "the software renderer was requested")) {
    /* Back to GL: the next render sets GL up if realisation skipped it. */
    self->software = FALSE;
    g_clear_pointer(&self->fallback_reason, g_free);
    g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_RENDERER]);
    g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_FALLBACK_REASON]);
    sr_viewer_redraw(self);
  }
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_FORCE_SOFTWARE]);
}

guint
sr_viewer_get_gl_error_count(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), 0);
  return self->gl_errors;
}

gboolean
sr_viewer_is_preparing(SrViewer *self)
{
  g_return_val_if_fail(SR_IS_VIEWER(self), FALSE);
  if (self->software) {
    gboolean a = self->mode != SR_VIEWER_MODE_B && self->mode != SR_VIEWER_MODE_DIFFERENCE;
    gboolean b = self->mode != SR_VIEWER_MODE_A && self->mode != SR_VIEWER_MODE_DIFFERENCE;
    gboolean d = self->mode == SR_VIEWER_MODE_DIFFERENCE;
    return (a && self->sw[SW_A].tex_gen != self->sw[SW_A].want) ||
           (b && self->sw[SW_B].tex_gen != self->sw[SW_B].want) ||
           (d && self->sw[SW_DIFF].tex_gen != self->sw[SW_DIFF].want);
  }
  if (!self->gl_ready)
    return self->frame_a != NULL || self->frame_b != NULL;
  return self->gl_a.shown != self->frame_a || self->gl_b.shown != self->frame_b;
}

void
sr_viewer_set_show_probe(SrViewer *self, gboolean show)
{
  g_return_if_fail(SR_IS_VIEWER(self));
  show = !!show;
  if (self->show_probe == show)
    return;
  self->show_probe = show;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), sr_viewer_props[PROP_SHOW_PROBE]);
}
