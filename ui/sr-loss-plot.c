/* sr-loss-plot.c — see sr-loss-plot.h. */
#include "sr-loss-plot.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-metrics.h"

/* The loss plot is drawn from render nodes (colour rectangles and text
 * layouts) rather than a cairo surface, so a refresh re-renders a few
 * hundred nodes instead of uploading a new window-sized texture, and a
 * curve of any length costs at most a few rectangles per pixel column. */
struct _SrLossPlot {
  GtkWidget parent_instance;

  GArray *points; /* of SrLossPoint, shared with the caller */
  GArray *marks;  /* of SrLossMark */
  gint64 steps;
  double lo, hi, lr_hi; /* ranges of the points */
};

G_DEFINE_FINAL_TYPE(SrLossPlot, sr_loss_plot, GTK_TYPE_WIDGET)

typedef struct {
  GtkSnapshot *snapshot;
  GtkWidget *widget;
  PangoFontDescription *font;
} Canvas;

static void
fill(Canvas *c, const GdkRGBA *colour, double x, double y, double w, double h)
{
  gtk_snapshot_append_color(c->snapshot, colour, &GRAPHENE_RECT_INIT(x, y, w, h));
}

/* Text with its left edge at x (or centred on x, or right-aligned at x when
 * align is 0, 1 or 2) and its vertical middle at y. */
static void
text_at(Canvas *c, const GdkRGBA *colour, double x, double y, int align, const char *text)
{
  PangoLayout *layout = gtk_widget_create_pango_layout(c->widget, text);
  int tw, th;

  pango_layout_set_font_description(layout, c->font);
  pango_layout_get_pixel_size(layout, &tw, &th);
  gtk_snapshot_save(c->snapshot);
  gtk_snapshot_translate(c->snapshot,
                         &GRAPHENE_POINT_INIT(round(x - tw * align / 2.0), round(y - th / 2.0)));
  gtk_snapshot_append_layout(c->snapshot, layout, colour);
  gtk_snapshot_restore(c->snapshot);
  g_object_unref(layout);
}

/* One pixel column of a curve: the span of the values that fall in it. */
typedef struct {
  float lo, hi, first, last;
  gboolean set;
} Column;

/* Strokes a curve column by column: each column's span joined to the
 * previous one by linear interpolation, so a run of any length costs at
 * most a few rectangles per pixel. dash > 0 skips every other `dash`
 * columns. */
static void
stroke_columns(Canvas *c, const Column *cols, int n, double x0, double thick, const GdkRGBA *colour,
               int dash)
{
  int prev = -1;

  for (int k = 0; k < n; k++) {
    if (!cols[k].set)
      continue;
    if (prev >= 0) {
      for (int m = prev + 1; m <= k; m++) {
        double t0 = (double)(m - 1 - prev) / (k - prev), t1 = (double)(m - prev) / (k - prev);
        double ya = cols[prev].last + (cols[k].first - cols[prev].last) * t0;
        double yb = cols[prev].last + (cols[k].first - cols[prev].last) * t1;
        if (dash > 0 && (m / dash) % 2)
          continue;
        fill(c, colour, x0 + m - 0.5, MIN(ya, yb) - thick / 2, 1, fabs(ya - yb) + thick);
      }
    }
    if (!(dash > 0 && (k / dash) % 2))
      fill(c, colour, x0 + k, cols[k].lo - thick / 2, 1, cols[k].hi - cols[k].lo + thick);
    prev = k;
  }
}

static void
column_add(Column *cols, int n, double x, double y)
{
  int k = CLAMP((int)floor(x), 0, n - 1);
  Column *col = &cols[k];

  if (!col->set) {
    col->lo = col->hi = col->first = col->last = (float)y;
    col->set = TRUE;
  } else {
    col->lo = MIN(col->lo, (float)y);
    col->hi = MAX(col->hi, (float)y);
    col->last = (float)y;
  }
}

/* "40k", "2.5k" or "800" for axis labels. */
static void
step_text(char *buf, gsize len, double step)
{
  if (step >= 1000)
    g_snprintf(buf, len, "%gk", round(step / 100) / 10);
  else
    g_snprintf(buf, len, "%.0f", step);
}

/* Loss on a log scale (raw faint, smoothed solid), learning rate dashed on
 * its own linear axis at the right, held-out PSNR marked at checkpoints. */
static void
sr_loss_plot_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  SrLossPlot *self = SR_LOSS_PLOT(widget);
  const double ml = 48, mr = 18, mt = 24, mb = 26;
  int w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
  double pw = floor(w - ml - mr), ph = floor(h - mt - mb);
  const GdkRGBA bg = {0.11, 0.11, 0.12, 1}, grid = {1, 1, 1, 0.09}, label = {1, 1, 1, 0.6};
  const GdkRGBA raw = {0.45, 0.65, 1.0, 0.35}, avg = {0.45, 0.75, 1.0, 1.0};
  const GdkRGBA lr_col = {0.95, 0.75, 0.3, 0.9}, mark = {0.4, 0.85, 0.45, 1};
  char buf[64];
  Canvas c = {snapshot, widget, pango_font_description_from_string("Sans 8.5")};

  fill(&c, &bg, 0, 0, w, h);
  if (!self->points || pw < 20 || ph < 20)
    goto out;
  GArray *pts = self->points;
  if (pts->len == 0 && self->marks->len == 0) {
    text_at(&c, &label, w / 2.0, h / 2.0, 1,
            _("The loss curve appears here once training starts."));
    goto out;
  }
  gint64 steps = MAX(self->steps, 1);
  double lo = self->lo, hi = self->hi, lr_hi = self->lr_hi;
  for (guint i = 0; i < self->marks->len; i++) {
    double v = g_array_index(self->marks, SrLossMark, i).loss_avg;
    if (v > 0 && isfinite(v)) {
      lo = MIN(lo, v);
      hi = MAX(hi, v);
    }
  }
  if (!(lo < hi)) {
    lo = (lo > 0 && isfinite(lo)) ? lo / 2 : 1e-3;
    hi = lo * 4;
  }
  double llo = floor(log10(lo)), lhi = ceil(log10(hi));
  if (lhi <= llo)
    lhi = llo + 1;

  for (double d = llo; d <= lhi; d += 1) {
    double y = round(mt + ph * (1 - (d - llo) / (lhi - llo)));
    fill(&c, &grid, ml, y, pw, 1);
    g_snprintf(buf, sizeof buf, "1e%d", (int)d);
    text_at(&c, &label, ml - 8, y, 2, buf);
  }
  for (int k = 0; k <= 4; k++) {
    double x = round(ml + pw * k / 4.0);
    step_text(buf, sizeof buf, (double)steps * k / 4.0);
    fill(&c, &grid, x, mt, 1, ph);
    text_at(&c, &label, x, h - mb / 2.0, 1, buf);
  }
  text_at(&c, &avg, ml, mt / 2, 0, _("loss, log scale: each step (faint) and smoothed"));
  if (lr_hi > 0) {
    g_snprintf(buf, sizeof buf, _("learning rate, up to %.1e"), lr_hi);
    text_at(&c, &lr_col, ml + pw, mt / 2, 2, buf);
  }

#define PX(s) (pw * (double)(s) / (double)steps)
#define PY(v) (mt + ph * (1 - (log10(MAX(v, 1e-12)) - llo) / (lhi - llo)))
  int n = (int)pw;
  Column *cols = g_new(Column, (gsize)n * 3);
  memset(cols, 0, sizeof(Column) * (gsize)n * 3);
  for (guint i = 0; i < pts->len; i++) {
    SrLossPoint *p = &g_array_index(pts, SrLossPoint, i);
    double x = PX(p->step);
    column_add(cols, n, x, PY(p->loss));
    column_add(cols + n, n, x, PY(p->loss_avg));
    if (lr_hi > 0)
      column_add(cols + 2 * n, n, x, mt + ph * (1 - p->lr / lr_hi));
  }
  stroke_columns(&c, cols, n, ml, 1, &raw, 0);
  stroke_columns(&c, cols + 2 * n, n, ml, 1.5, &lr_col, 4);
  stroke_columns(&c, cols + n, n, ml, 2, &avg, 0);
  g_free(cols);

  for (guint i = 0; i < self->marks->len; i++) {
    SrLossMark *r = &g_array_index(self->marks, SrLossMark, i);
    double x = ml + PX(r->step);
    GskRoundedRect dot;
    gsk_rounded_rect_init_from_rect(&dot, &GRAPHENE_RECT_INIT(x - 4, mt + ph - 4, 8, 8), 4);
    gtk_snapshot_push_rounded_clip(snapshot, &dot);
    fill(&c, &mark, x - 4, mt + ph - 4, 8, 8);
    gtk_snapshot_pop(snapshot);
    if (!isnan(r->psnr_after)) {
      g_snprintf(buf, sizeof buf, _("%.1f dB"), sr_qa_psnr_display(r->psnr_after));
      text_at(&c, &mark, CLAMP(x, ml + 20, ml + pw - 20), mt + ph - 14, 1, buf);
    }
  }
#undef PX
#undef PY
out:
  pango_font_description_free(c.font);
}

/* Widens the ranges by points first.. of the series. */
static void
add_range(SrLossPlot *self, guint first)
{
  for (guint i = first; i < self->points->len; i++) {
    SrLossPoint *p = &g_array_index(self->points, SrLossPoint, i);
    if (p->loss > 0) {
      self->lo = MIN(self->lo, p->loss);
      self->hi = MAX(self->hi, p->loss);
    }
    self->lr_hi = MAX(self->lr_hi, p->lr);
  }
}

void
sr_loss_plot_set_points(SrLossPlot *self, GArray *points)
{
  g_return_if_fail(SR_IS_LOSS_PLOT(self));
  if (points != self->points) {
    g_clear_pointer(&self->points, g_array_unref);
    self->points = points ? g_array_ref(points) : NULL;
  }
  self->lo = INFINITY;
  self->hi = -INFINITY;
  self->lr_hi = 0;
  if (self->points)
    add_range(self, 0);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_loss_plot_points_added(SrLossPlot *self, guint first)
{
  g_return_if_fail(SR_IS_LOSS_PLOT(self));
  if (self->points)
    add_range(self, first);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_loss_plot_set_steps(SrLossPlot *self, gint64 steps)
{
  g_return_if_fail(SR_IS_LOSS_PLOT(self));
  self->steps = steps;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
sr_loss_plot_set_marks(SrLossPlot *self, const SrLossMark *marks, guint n)
{
  g_return_if_fail(SR_IS_LOSS_PLOT(self));
  g_array_set_size(self->marks, 0);
  g_array_append_vals(self->marks, marks, n);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

GtkWidget *
sr_loss_plot_new(void)
{
  return g_object_new(SR_TYPE_LOSS_PLOT, NULL);
}

static void
sr_loss_plot_finalize(GObject *object)
{
  SrLossPlot *self = SR_LOSS_PLOT(object);

  g_clear_pointer(&self->points, g_array_unref);
  g_array_unref(self->marks);
  G_OBJECT_CLASS(sr_loss_plot_parent_class)->finalize(object);
}

static void
sr_loss_plot_class_init(SrLossPlotClass *klass)
{
  G_OBJECT_CLASS(klass)->finalize = sr_loss_plot_finalize;
  GTK_WIDGET_CLASS(klass)->snapshot = sr_loss_plot_snapshot;
}

static void
sr_loss_plot_init(SrLossPlot *self)
{
  self->marks = g_array_new(FALSE, FALSE, sizeof(SrLossMark));
  self->lo = INFINITY;
  self->hi = -INFINITY;
}
