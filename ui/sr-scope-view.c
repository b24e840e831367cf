/* sr-scope-view.c — see sr-scope-view.h. */
#include "sr-scope-view.h"

#include <math.h>

#include <glib/gi18n.h>

#include "sr-scopes.h"

/* Room for the title above the picture and the level labels left of it. */
#define TITLE_H 18
#define LABEL_W 34

struct _SrScopeView {
  GtkWidget parent_instance;

  SrScopeViewKind kind;
  char *title;
  sr_ycbcr_matrix matrix;
  GdkTexture *texture;
  int tex_w, tex_h;
  guint64 hash;
  guint updates;
};

G_DEFINE_FINAL_TYPE(SrScopeView, sr_scope_view, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_KIND, PROP_TITLE, N_PROPS };
static GParamSpec *properties[N_PROPS];

GtkWidget *
sr_scope_view_new(SrScopeViewKind kind, const char *title)
{
  return g_object_new(SR_TYPE_SCOPE_VIEW, "kind", (int)kind, "title", title, NULL);
}

void
sr_scope_view_set_kind(SrScopeView *self, SrScopeViewKind kind)
{
  g_return_if_fail(SR_IS_SCOPE_VIEW(self));
  if (self->kind == kind)
    return;
  self->kind = kind;
  gtk_widget_queue_resize(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_KIND]);
}

SrScopeViewKind
sr_scope_view_get_kind(SrScopeView *self)
{
  g_return_val_if_fail(SR_IS_SCOPE_VIEW(self), SR_SCOPE_VIEW_WAVEFORM);
  return self->kind;
}

void
sr_scope_view_set_title(SrScopeView *self, const char *title)
{
  g_return_if_fail(SR_IS_SCOPE_VIEW(self));
  if (g_strcmp0(self->title, title) == 0)
    return;
  g_free(self->title);
  self->title = g_strdup(title);
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_TITLE]);
}

const char *
sr_scope_view_get_title(SrScopeView *self)
{
  g_return_val_if_fail(SR_IS_SCOPE_VIEW(self), NULL);
  return self->title;
}

void
sr_scope_view_set_matrix(SrScopeView *self, sr_ycbcr_matrix matrix)
{
  g_return_if_fail(SR_IS_SCOPE_VIEW(self));
  self->matrix = matrix;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static guint64
fnv1a(const guint8 *p, gsize n)
{
  guint64 h = 1469598103934665603ull;
  for (gsize i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

void
sr_scope_view_set_picture(SrScopeView *self, const guint8 *rgba, int width, int height)
{
  g_return_if_fail(SR_IS_SCOPE_VIEW(self));
  g_clear_object(&self->texture);
  self->hash = 0;
  self->tex_w = self->tex_h = 0;
  if (rgba && width > 0 && height > 0) {
    gsize size = (gsize)width * (gsize)height * 4;
    g_autoptr(GBytes) bytes = g_bytes_new(rgba, size);
    self->texture =
        gdk_memory_texture_new(width, height, GDK_MEMORY_R8G8B8A8, bytes, (gsize)width * 4);
    self->tex_w = width;
    self->tex_h = height;
    self->hash = fnv1a(rgba, size);
    self->updates++;
  }
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

gboolean
sr_scope_view_has_picture(SrScopeView *self)
{
  g_return_val_if_fail(SR_IS_SCOPE_VIEW(self), FALSE);
  return self->texture != NULL;
}

guint64
sr_scope_view_get_content_hash(SrScopeView *self)
{
  g_return_val_if_fail(SR_IS_SCOPE_VIEW(self), 0);
  return self->hash;
}

guint
sr_scope_view_get_updates(SrScopeView *self)
{
  g_return_val_if_fail(SR_IS_SCOPE_VIEW(self), 0);
  return self->updates;
}

/* ---- Drawing ----------------------------------------------------------------- */

static void
draw_text(SrScopeView *self, GtkSnapshot *snapshot, const char *text, double x, double y,
          double xalign, double yalign, const GdkRGBA *colour, gboolean bold)
{
  PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), text);
  PangoAttrList *attrs = pango_attr_list_new();
  int w, h;

  pango_attr_list_insert(attrs, pango_attr_scale_new(bold ? 0.82 : 0.75));
  if (bold)
    pango_attr_list_insert(attrs, pango_attr_weight_new(PANGO_WEIGHT_BOLD));
  pango_layout_set_attributes(layout, attrs);
  pango_attr_list_unref(attrs);
  pango_layout_get_pixel_size(layout, &w, &h);
  gtk_snapshot_save(snapshot);
  gtk_snapshot_translate(
      snapshot, &GRAPHENE_POINT_INIT((float)round(x - xalign * w), (float)round(y - yalign * h)));
  gtk_snapshot_append_layout(snapshot, layout, colour);
  gtk_snapshot_restore(snapshot);
  g_object_unref(layout);
}

/* Where the picture goes inside the widget. */
static graphene_rect_t
picture_rect(SrScopeView *self, int width, int height)
{
  if (self->kind == SR_SCOPE_VIEW_WAVEFORM)
    return GRAPHENE_RECT_INIT(LABEL_W, TITLE_H, MAX(width - LABEL_W - 4, 1),
                              MAX(height - TITLE_H - 2, 1));
  float side = MAX(MIN(width - 8, height - TITLE_H - 2), 1);
  return GRAPHENE_RECT_INIT((width - side) / 2.0f, TITLE_H, side, side);
}

static void
sr_scope_view_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  SrScopeView *self = SR_SCOPE_VIEW(widget);
  int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
  graphene_rect_t r = picture_rect(self, width, height);
  const GdkRGBA title_colour = {0.86f, 0.86f, 0.88f, 0.9f};
  const GdkRGBA label_colour = {0.78f, 0.78f, 0.80f, 0.75f};
  const GdkRGBA empty_colour = {0.05f, 0.05f, 0.06f, 1.0f};

  if (self->title)
    draw_text(self, snapshot, self->title, 2, 1, 0, 0, &title_colour, TRUE);
  if (!self->texture) {
    gtk_snapshot_append_color(snapshot, &empty_colour, &r);
    draw_text(self, snapshot, _("No frame"), r.origin.x + r.size.width / 2,
              r.origin.y + r.size.height / 2, 0.5, 0.5, &label_colour, FALSE);
    return;
  }
  gtk_snapshot_append_texture(snapshot, self->texture, &r);

  if (self->kind == SR_SCOPE_VIEW_WAVEFORM) {
    static const float levels[] = {0.0f, 0.5f, 1.0f};
    static const char *const names[] = {"0 %", "50 %", "100 %"};
    for (int i = 0; i < 3; i++) {
      int row = sr_waveform_row(levels[i], self->tex_h);
      double y = r.origin.y + (row + 0.5) / self->tex_h * r.size.height;
      draw_text(self, snapshot, names[i], r.origin.x - 4, y, 1, 0.5, &label_colour, FALSE);
    }
  } else {
    double cx = r.origin.x + r.size.width / 2, cy = r.origin.y + r.size.height / 2;
    for (int i = 0; i < 6; i++) {
      float cb, cr;
      int px, py;
      sr_vectorscope_target(self->matrix, i, 0.75f, &cb, &cr);
      sr_vectorscope_position(cb, cr, self->tex_w, self->tex_h, &px, &py);
      double x = r.origin.x + (px + 0.5) / self->tex_w * r.size.width;
      double y = r.origin.y + (py + 0.5) / self->tex_h * r.size.height;
      /* Names sit just inside the target, towards the centre, so they never
       * leave the picture. */
      double dx = cx - x, dy = cy - y, len = hypot(dx, dy);
      if (len > 1) {
        x += dx / len * 13;
        y += dy / len * 13;
      }
      draw_text(self, snapshot, sr_vectorscope_target_name(i), x, y, 0.5, 0.5, &label_colour,
                FALSE);
    }
  }
}

static void
sr_scope_view_measure(GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                      int *natural, int *minimum_baseline, int *natural_baseline)
{
  SrScopeView *self = SR_SCOPE_VIEW(widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL) {
    *minimum = self->kind == SR_SCOPE_VIEW_WAVEFORM ? LABEL_W + 80 : 96;
    *natural = self->kind == SR_SCOPE_VIEW_WAVEFORM ? LABEL_W + 130 : 160;
  } else {
    *minimum = TITLE_H + (self->kind == SR_SCOPE_VIEW_WAVEFORM ? 64 : 88);
    if (self->kind == SR_SCOPE_VIEW_VECTORSCOPE && for_size > 0)
      *natural = MAX(*minimum, for_size - 8 + TITLE_H + 2);
    else
      *natural = TITLE_H + (self->kind == SR_SCOPE_VIEW_WAVEFORM ? 120 : 180);
  }
}

/* ---- GObject ------------------------------------------------------------------- */

static void
sr_scope_view_finalize(GObject *object)
{
  SrScopeView *self = SR_SCOPE_VIEW(object);

  g_clear_object(&self->texture);
  g_free(self->title);
  G_OBJECT_CLASS(sr_scope_view_parent_class)->finalize(object);
}

static void
sr_scope_view_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  SrScopeView *self = SR_SCOPE_VIEW(object);

  switch (id) {
  case PROP_KIND: g_value_set_int(value, self->kind); break;
  case PROP_TITLE: g_value_set_string(value, self->title); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
sr_scope_view_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  SrScopeView *self = SR_SCOPE_VIEW(object);

  switch (id) {
  case PROP_KIND: sr_scope_view_set_kind(self, (SrScopeViewKind)g_value_get_int(value)); break;
  case PROP_TITLE: sr_scope_view_set_title(self, g_value_get_string(value)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
sr_scope_view_class_init(SrScopeViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->finalize = sr_scope_view_finalize;
  object_class->get_property = sr_scope_view_get_property;
  object_class->set_property = sr_scope_view_set_property;
  widget_class->snapshot = sr_scope_view_snapshot;
  widget_class->measure = sr_scope_view_measure;
  properties[PROP_KIND] = g_param_spec_int(
      "kind", NULL, NULL, SR_SCOPE_VIEW_WAVEFORM, SR_SCOPE_VIEW_VECTORSCOPE, SR_SCOPE_VIEW_WAVEFORM,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
      g_param_spec_string("title", NULL, NULL, NULL,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);
  gtk_widget_class_set_css_name(widget_class, "scope-view");
  gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
sr_scope_view_init(SrScopeView *self)
{
  self->matrix = SR_YCBCR_BT709;
  gtk_widget_set_overflow(GTK_WIDGET(self), GTK_OVERFLOW_HIDDEN);
}
