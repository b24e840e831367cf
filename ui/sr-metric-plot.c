/* sr-metric-plot.c — see sr-metric-plot.h. */
#include "sr-metric-plot.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

/* Margins around the plot area: title row, y labels, frame labels. */
#define TOP    34
#define LEFT   50
#define RIGHT  10
#define BOTTOM 16
/* A click or hover this close to a point (in x) picks it. */
#define PICK_PX 24

typedef struct {
  int frame;
  double value;
  gboolean outlier;
  char *note;
} Point;

struct _SrMetricPlot {
  GtkWidget parent_instance;

  char *title, *format, *placeholder;
  GArray *points; /* of Point, sorted by frame */
  GArray *marks;  /* of int */
  int first, last;
  double low, high;
  double min_span;
  int current;
};

G_DEFINE_FINAL_TYPE(SrMetricPlot, sr_metric_plot, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_TITLE, N_PROPS };
static GParamSpec *properties[N_PROPS];
enum { SIGNAL_FRAME_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

GtkWidget *
sr_metric_plot_new(const char *title)
{
  return g_object_new(SR_TYPE_METRIC_PLOT, "title", title, NULL);
}

void
sr_metric_plot_set_title(SrMetricPlot *self, const char *title)
{
  g_return_if_fail(SR_IS_METRIC_PLOT(self));
  if (g_strcmp0(self->title, title) == 0)
    return;
  g_free(self->title);
  self->title = g_strdup(title);
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_TITLE]);
}

const char *
sr_metric_plot_get_title(SrMetricPlot *self)
{
  g_return_val_if_fail(SR_IS_METRIC_PLOT(self), NULL);
  return self->title;
}

void
sr_metric_plot_set_format(SrMetricPlot *self, const char *format)
{
  g_return_if_fail(SR_IS_METRIC_PLOT(self));
  g_free(self->format);
  self->format = g_strdup(format ? format : "%.3g");
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_metric_plot_set_range(SrMetricPlot *self, int first, int last)
{
  g_return_if_fail(SR_IS_METRIC_PLOT(self));
  self->first = first;
  self->last = last;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void
point_clear(gpointer p)
{
  g_free(((Point *)p)->note);
}

static int
point_compare(gconstpointer a, gconstpointer b)
{
  int fa = ((const Point *)a)->frame, fb = ((const Point *)b)->frame;
  return (fa > fb) - (fa < fb);
}

void
sr_metric_plot_set_points(SrMetricPlot *self, const int *frames, const double *values,
                          const gboolean *outlier, const char *const *notes, int n)
{
  g_return_if_fail(SR_IS_METRIC_PLOT(self));
  g_array_set_size(self->points, 0);
  for (int i = 0; i < n; i++) {
    Point p = {frames[i], values[i], outlier ? outlier[i] : FALSE,
               notes && notes[i] && notes[i][0] ? g_strdup(notes[i]) : NULL};
    g_array_append_val(self->points, p);
  }
  g_array_sort(self->points, point_compare);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_metric_plot_clear(SrMetricPlot *self)
{
  sr_metric_plot_set_points(self, NULL, NULL, NULL, NULL, 0);
}

int
sr_metric_plot_get_n_points(SrMetricPlot *self)
{
  g_return_val_if_fail(SR_IS_METRIC_PLOT(self), 0);
  return (int)self->points->len;
}

int
sr_metric_plot_get_n_outliers(SrMetricPlot *self)
{
  int n = 0;

  g_return_val_if_fail(SR_IS_METRIC_PLOT(self), 0);
  for (guint i = 0; i < self->points->len; i++) {
    const Point *p = &g_array_index(self->points, Point, i);
    n += p->outlier && isfinite(p->value);
  }
  return n;
}

void
sr_metric_plot_set_limits(SrMetricPlot *self, double low, double high)
{
  g_return_if_fail(SR_IS_METRIC_PLOT(self));
  self->low = low;
  self->high = high;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_metric_plot_set_min_span(SrMetricPlot *self, double span)
{
  g_return_if_fail(SR_IS_METRIC_PLOT(self));
  self->min_span = isfinite(span) && span > 0 ? span : 0;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_metric_plot_set_marks(SrMetricPlot *self, const int *frames, int n)
{
  g_return_if_fail(SR_IS_METRIC_PLOT(self));
  g_array_set_size(self->marks, 0);
  if (n > 0)
    g_array_append_vals(self->marks, frames, (guint)n);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_metric_plot_set_current(SrMetricPlot *self, int frame)
{
  g_return_if_fail(SR_IS_METRIC_PLOT(self));
  if (self->current == frame)
    return;
  self->current = frame;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_metric_plot_set_placeholder(SrMetricPlot *self, const char *text)
{
  g_return_if_fail(SR_IS_METRIC_PLOT(self));
  g_free(self->placeholder);
  self->placeholder = g_strdup(text);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* ---- Geometry ------------------------------------------------------------------ */

typedef struct {
  double x0, y0, w, h; /* plot area */
  int first, last;     /* frames along x */
  double vmin, vmax;   /* values along y */
} Axes;

static void
get_axes(SrMetricPlot *self, Axes *a)
{
  int width = gtk_widget_get_width(GTK_WIDGET(self));
  int height = gtk_widget_get_height(GTK_WIDGET(self));
  double lo = INFINITY, hi = -INFINITY;

  a->x0 = LEFT;
  a->y0 = TOP;
  a->w = MAX(width - LEFT - RIGHT, 1);
  a->h = MAX(height - TOP - BOTTOM, 1);
  a->first = self->first;
  a->last = self->last;
  if (a->first > a->last && self->points->len) {
    a->first = g_array_index(self->points, Point, 0).frame;
    a->last = g_array_index(self->points, Point, self->points->len - 1).frame;
  }
  for (guint i = 0; i < self->points->len; i++) {
    double v = g_array_index(self->points, Point, i).value;
    if (isfinite(v)) {
      lo = MIN(lo, v);
      hi = MAX(hi, v);
    }
  }
  /* The accepted band is always in view, so values are read against it:
   * noise well inside the band stays a near-flat line instead of being
   * stretched over the whole height. */
  if (isfinite(self->low)) {
    lo = MIN(lo, self->low);
    hi = MAX(hi, self->low);
  }
  if (isfinite(self->high)) {
    hi = MAX(hi, self->high);
    lo = MIN(lo, self->high);
  }
  if (!isfinite(lo) || !isfinite(hi)) {
    lo = 0;
    hi = 1;
  }
  /* Never narrower than the plot's minimum span (or a tenth of the values'
   * size), centred on what is there. */
  double need = MAX(self->min_span, MAX(fabs(hi), fabs(lo)) * 0.1);
  if (need < 1e-12)
    need = 1;
  if (hi - lo < need) {
    double mid = (hi + lo) / 2;
    lo = mid - need / 2;
    hi = mid + need / 2;
  }
  double pad = (hi - lo) * 0.12;
  /* A metric that is never negative (flicker, a colour shift) keeps its
   * axis from going below zero for the padding's sake. */
  a->vmin = lo >= 0 ? MAX(lo - pad, 0) : lo - pad;
  a->vmax = hi + pad;
}

static double
frame_x(const Axes *a, int frame)
{
  if (a->last <= a->first)
    return a->x0 + a->w / 2;
  return a->x0 + (double)(frame - a->first) / (a->last - a->first) * a->w;
}

static double
value_y(const Axes *a, double v)
{
  return a->y0 + (a->vmax - v) / (a->vmax - a->vmin) * a->h;
}

gboolean
sr_metric_plot_get_point_position(SrMetricPlot *self, int i, double *x, double *y)
{
  Axes a;

  g_return_val_if_fail(SR_IS_METRIC_PLOT(self), FALSE);
  if (i < 0 || i >= (int)self->points->len)
    return FALSE;
  const Point *p = &g_array_index(self->points, Point, i);
  if (!isfinite(p->value))
    return FALSE;
  get_axes(self, &a);
  *x = frame_x(&a, p->frame);
  *y = value_y(&a, p->value);
  return TRUE;
}

static int
nearest_index(SrMetricPlot *self, double x, double *distance)
{
  Axes a;
  int best = -1;
  double best_d = INFINITY;

  get_axes(self, &a);
  for (guint i = 0; i < self->points->len; i++) {
    double d = fabs(frame_x(&a, g_array_index(self->points, Point, i).frame) - x);
    if (d < best_d) {
      best_d = d;
      best = (int)i;
    }
  }
  if (distance)
    *distance = best_d;
  return best;
}

int
sr_metric_plot_frame_at(SrMetricPlot *self, double x, double y)
{
  g_return_val_if_fail(SR_IS_METRIC_PLOT(self), G_MININT);
  int i = nearest_index(self, x, NULL);
  return i < 0 ? G_MININT : g_array_index(self->points, Point, i).frame;
}

int
sr_metric_plot_click(SrMetricPlot *self, double x, double y)
{
  int frame = sr_metric_plot_frame_at(self, x, y);

  if (frame != G_MININT)
    g_signal_emit(self, signals[SIGNAL_FRAME_ACTIVATED], 0, frame);
  return frame;
}

static char *
format_value(SrMetricPlot *self, double v)
{
  if (!isfinite(v))
    return g_strdup(_("not measured"));
    /* The format comes from the page, never from data. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  return g_strdup_printf(self->format, v);
#pragma GCC diagnostic pop
}

/* ---- Drawing ----------------------------------------------------------------- */

/* max_width > 0: a longer text ends in an ellipsis instead of being cut at
 * the widget's edge (a narrow plot at 1280 pixels). */
static void
show_text(SrMetricPlot *self, cairo_t *cr, const char *text, double x, double y, double xalign,
          double yalign, double scale, gboolean bold, double max_width)
{
  PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), text);
  PangoAttrList *attrs = pango_attr_list_new();
  int w, h;

  pango_attr_list_insert(attrs, pango_attr_scale_new(scale));
  if (bold)
    pango_attr_list_insert(attrs, pango_attr_weight_new(PANGO_WEIGHT_BOLD));
  pango_layout_set_attributes(layout, attrs);
  pango_attr_list_unref(attrs);
  if (max_width > 0) {
    pango_layout_set_width(layout, (int)(max_width * PANGO_SCALE));
    pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
  }
  pango_layout_get_pixel_size(layout, &w, &h);
  cairo_move_to(cr, round(x - xalign * w), round(y - yalign * h));
  pango_cairo_show_layout(cr, layout);
  g_object_unref(layout);
}

static void
draw_limit(cairo_t *cr, const Axes *a, double v)
{
  static const double dash[] = {4, 3};

  if (!isfinite(v) || v < a->vmin || v > a->vmax)
    return;
  double y = round(value_y(a, v)) + 0.5;
  cairo_save(cr);
  cairo_set_source_rgba(cr, 0.91, 0.71, 0.30, 0.75);
  cairo_set_line_width(cr, 1);
  cairo_set_dash(cr, dash, 2, 0);
  cairo_move_to(cr, a->x0, y);
  cairo_line_to(cr, a->x0 + a->w, y);
  cairo_stroke(cr);
  cairo_restore(cr);
}

/* The accepted band, shaded: between the limits, or from the one limit to
 * the edge of the plot on its accepted side. */
static void
draw_band(SrMetricPlot *self, cairo_t *cr, const Axes *a)
{
  if (!isfinite(self->low) && !isfinite(self->high))
    return;
  double top = value_y(a, isfinite(self->high) ? MIN(self->high, a->vmax) : a->vmax);
  double bottom = value_y(a, isfinite(self->low) ? MAX(self->low, a->vmin) : a->vmin);
  if (bottom <= top)
    return;
  cairo_set_source_rgba(cr, 0.36, 0.62, 0.42, 0.16);
  cairo_rectangle(cr, a->x0, top, a->w, bottom - top);
  cairo_fill(cr);
}

void
sr_metric_plot_get_value_range(SrMetricPlot *self, double *vmin, double *vmax)
{
  Axes a;

  g_return_if_fail(SR_IS_METRIC_PLOT(self));
  get_axes(self, &a);
  *vmin = a.vmin;
  *vmax = a.vmax;
}

static void
sr_metric_plot_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  SrMetricPlot *self = SR_METRIC_PLOT(widget);
  int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
  Axes a;
  cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, width, height));

  get_axes(self, &a);
  cairo_set_source_rgba(cr, 0.9, 0.9, 0.92, 0.92);
  if (self->title)
    show_text(self, cr, self->title, 2, 2, 0, 0, 0.82, TRUE, width - 2);

  /* Plot area. */
  cairo_set_source_rgb(cr, 0.075, 0.075, 0.085);
  cairo_rectangle(cr, a.x0, a.y0, a.w, a.h);
  cairo_fill(cr);

  if (self->points->len == 0) {
    cairo_set_source_rgba(cr, 0.9, 0.9, 0.92, 0.55);
    show_text(self, cr, self->placeholder ? self->placeholder : _("Not measured yet"),
              a.x0 + a.w / 2, a.y0 + a.h / 2, 0.5, 0.5, 0.8, FALSE, a.w);
    cairo_destroy(cr);
    return;
  }

  /* The frame shown and its value, under the title. */
  for (guint i = 0; i < self->points->len; i++) {
    const Point *p = &g_array_index(self->points, Point, i);
    if (p->frame == self->current) {
      g_autofree char *v = format_value(self, p->value);
      if (p->outlier)
        cairo_set_source_rgb(cr, 0.94, 0.47, 0.44);
      else
        cairo_set_source_rgba(cr, 0.9, 0.9, 0.92, 0.8);
      g_autofree char *text = g_strdup_printf(_("Frame %d: %s"), p->frame, v);
      show_text(self, cr, text, 2, 17, 0, 0, 0.72, FALSE, width - 2);
    }
  }

  /* Y labels at the ends of the axis. */
  cairo_set_source_rgba(cr, 0.9, 0.9, 0.92, 0.5);
  char buf[32], top[32];
  /* The fewest digits that still tell the two ends apart. */
  for (int digits = 2; digits <= 6; digits++) {
    g_snprintf(top, sizeof top, "%.*g", digits, a.vmax);
    g_snprintf(buf, sizeof buf, "%.*g", digits, a.vmin);
    if (strcmp(top, buf) != 0)
      break;
  }
  show_text(self, cr, top, a.x0 - 4, a.y0, 1, 0, 0.68, FALSE, 0);
  show_text(self, cr, buf, a.x0 - 4, a.y0 + a.h, 1, 1, 0.68, FALSE, 0);
  /* Frame labels under the first and last frame. */
  g_snprintf(buf, sizeof buf, "%d", a.first);
  show_text(self, cr, buf, a.x0, a.y0 + a.h + 1, 0, 0, 0.68, FALSE, 0);
  if (a.last > a.first) {
    g_snprintf(buf, sizeof buf, "%d", a.last);
    show_text(self, cr, buf, a.x0 + a.w, a.y0 + a.h + 1, 1, 0, 0.68, FALSE, 0);
  }

  draw_band(self, cr, &a);
  draw_limit(cr, &a, self->low);
  draw_limit(cr, &a, self->high);

  /* The archivist's flags: amber ticks along the top. */
  cairo_set_source_rgb(cr, 0.91, 0.71, 0.30);
  for (guint i = 0; i < self->marks->len; i++) {
    int f = g_array_index(self->marks, int, i);
    if (f < a.first || f > a.last)
      continue;
    double x = frame_x(&a, f);
    cairo_move_to(cr, x - 4, a.y0);
    cairo_line_to(cr, x + 4, a.y0);
    cairo_line_to(cr, x, a.y0 + 6);
    cairo_close_path(cr);
    cairo_fill(cr);
  }

  if (self->current >= a.first && self->current <= a.last) {
    double x = round(frame_x(&a, self->current)) + 0.5;
    cairo_set_source_rgba(cr, 0.47, 0.68, 0.93, 0.8);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, x, a.y0);
    cairo_line_to(cr, x, a.y0 + a.h);
    cairo_stroke(cr);
  }

  /* The trace; NaN breaks it. */
  cairo_set_source_rgba(cr, 0.62, 0.75, 0.90, 0.9);
  cairo_set_line_width(cr, 1.5);
  gboolean pen = FALSE;
  for (guint i = 0; i < self->points->len; i++) {
    const Point *p = &g_array_index(self->points, Point, i);
    if (!isfinite(p->value)) {
      pen = FALSE;
      continue;
    }
    double x = frame_x(&a, p->frame), y = value_y(&a, p->value);
    if (pen)
      cairo_line_to(cr, x, y);
    else
      cairo_move_to(cr, x, y);
    pen = TRUE;
  }
  cairo_stroke(cr);

  /* Points: fewer frames get bigger dots. */
  double radius = self->points->len > 200 ? 1.5 : self->points->len > 50 ? 2.2 : 3.2;
  for (guint i = 0; i < self->points->len; i++) {
    const Point *p = &g_array_index(self->points, Point, i);
    if (!isfinite(p->value))
      continue;
    double x = frame_x(&a, p->frame), y = value_y(&a, p->value);
    if (p->outlier)
      cairo_set_source_rgb(cr, 0.94, 0.35, 0.32);
    else
      cairo_set_source_rgb(cr, 0.80, 0.87, 0.95);
    cairo_arc(cr, x, y, p->outlier ? radius + 1 : radius, 0, 2 * G_PI);
    cairo_fill(cr);
  }
  cairo_destroy(cr);
}

char *
sr_metric_plot_tooltip_text(SrMetricPlot *self, double x)
{
  g_return_val_if_fail(SR_IS_METRIC_PLOT(self), NULL);
  double d;
  int i = nearest_index(self, x, &d);

  if (i >= 0 && d <= PICK_PX) {
    const Point *p = &g_array_index(self->points, Point, i);
    g_autofree char *v = format_value(self, p->value);
    return g_strdup_printf(_("Frame %d: %s%s%s"), p->frame, v, p->note ? "\n" : "",
                           p->note ? p->note : "");
  }
  /* Away from the points: the title and the frame shown, in full (the plot
   * ellipsizes them when it is narrow). */
  if (self->title == NULL)
    return NULL;
  GString *text = g_string_new(self->title);
  for (guint k = 0; k < self->points->len; k++) {
    const Point *p = &g_array_index(self->points, Point, k);
    if (p->frame == self->current) {
      g_autofree char *v = format_value(self, p->value);
      g_string_append_c(text, '\n');
      g_string_append_printf(text, _("Frame %d: %s"), p->frame, v);
    }
  }
  return g_string_free(text, FALSE);
}

static gboolean
on_query_tooltip(GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                 gpointer user_data)
{
  g_autofree char *text = sr_metric_plot_tooltip_text(SR_METRIC_PLOT(widget), x);
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text(tooltip, text);
  return TRUE;
}

static void
on_pressed(GtkGestureClick *gesture, int n_press, double x, double y, SrMetricPlot *self)
{
  double d;

  if (nearest_index(self, x, &d) >= 0 && d <= PICK_PX * 2)
    sr_metric_plot_click(self, x, y);
}

static void
sr_metric_plot_measure(GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                       int *natural, int *minimum_baseline, int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL) {
    *minimum = LEFT + RIGHT + 30;
    *natural = LEFT + RIGHT + 110;
  } else {
    *minimum = TOP + BOTTOM + 40;
    *natural = TOP + BOTTOM + 90;
  }
}

/* ---- GObject ------------------------------------------------------------------ */

static void
sr_metric_plot_finalize(GObject *object)
{
  SrMetricPlot *self = SR_METRIC_PLOT(object);

  g_array_unref(self->points);
  g_array_unref(self->marks);
  g_free(self->title);
  g_free(self->format);
  g_free(self->placeholder);
  G_OBJECT_CLASS(sr_metric_plot_parent_class)->finalize(object);
}

static void
sr_metric_plot_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  if (id == PROP_TITLE)
    g_value_set_string(value, SR_METRIC_PLOT(object)->title);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_metric_plot_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  if (id == PROP_TITLE)
    sr_metric_plot_set_title(SR_METRIC_PLOT(object), g_value_get_string(value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_metric_plot_class_init(SrMetricPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->finalize = sr_metric_plot_finalize;
  object_class->get_property = sr_metric_plot_get_property;
  object_class->set_property = sr_metric_plot_set_property;
  widget_class->snapshot = sr_metric_plot_snapshot;
  widget_class->measure = sr_metric_plot_measure;
  properties[PROP_TITLE] =
      g_param_spec_string("title", NULL, NULL, NULL,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);
  signals[SIGNAL_FRAME_ACTIVATED] =
      g_signal_new("frame-activated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                   NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  gtk_widget_class_set_css_name(widget_class, "metric-plot");
}

static void
sr_metric_plot_init(SrMetricPlot *self)
{
  GtkGesture *click = gtk_gesture_click_new();

  self->points = g_array_new(FALSE, TRUE, sizeof(Point));
  g_array_set_clear_func(self->points, point_clear);
  self->marks = g_array_new(FALSE, FALSE, sizeof(int));
  self->format = g_strdup("%.3g");
  self->first = 0;
  self->last = -1;
  self->low = self->high = NAN;
  self->current = G_MININT;
  gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), GDK_BUTTON_PRIMARY);
  g_signal_connect(click, "pressed", G_CALLBACK(on_pressed), self);
  gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(click));
  gtk_widget_set_has_tooltip(GTK_WIDGET(self), TRUE);
  g_signal_connect(self, "query-tooltip", G_CALLBACK(on_query_tooltip), NULL);
}
