/* sr-metric-plot.h — one per-frame QA metric over a rendered range.
 *
 * A small line plot: frame numbers along x, the metric up y, the accepted
 * band shaded between its limits (dashed lines), the y range always holding
 * the band and never narrower than a minimum span, outlier frames as red
 * points (with their reasons in the tooltip), the archivist's flagged
 * frames as amber ticks
 * along the top, and the frame the viewer shows as a vertical line.
 * Clicking the plot picks the nearest point's frame ("frame-activated").
 * Values that could not be measured (NaN) leave a gap.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SR_TYPE_METRIC_PLOT (sr_metric_plot_get_type())
G_DECLARE_FINAL_TYPE(SrMetricPlot, sr_metric_plot, SR, METRIC_PLOT, GtkWidget)

GtkWidget *sr_metric_plot_new(const char *title);
void sr_metric_plot_set_title(SrMetricPlot *self, const char *title);
const char *sr_metric_plot_get_title(SrMetricPlot *self);
/* printf format for one value in labels and tooltips, e.g. "%.2f dB"
 * (default "%.3g"). */
void sr_metric_plot_set_format(SrMetricPlot *self, const char *format);
/* The x axis: frames first..last (first > last: from the points). */
void sr_metric_plot_set_range(SrMetricPlot *self, int first, int last);

/* Replaces the points. frames and values have n entries; outlier (may be
 * NULL) marks red points; notes (may be NULL, entries may be NULL) are
 * shown in the tooltip of that point. */
void sr_metric_plot_set_points(SrMetricPlot *self, const int *frames, const double *values,
                               const gboolean *outlier, const char *const *notes, int n);
void sr_metric_plot_clear(SrMetricPlot *self);
int sr_metric_plot_get_n_points(SrMetricPlot *self);
/* Points with a finite value marked as outliers. */
int sr_metric_plot_get_n_outliers(SrMetricPlot *self);

/* Limits of the accepted band; NaN leaves that side open. The band is
 * shaded and always inside the y range. */
void sr_metric_plot_set_limits(SrMetricPlot *self, double low, double high);
/* The narrowest y range shown (in the metric's unit; 0: none), so that
 * noise is not magnified into drama when the values barely move. */
void sr_metric_plot_set_min_span(SrMetricPlot *self, double span);
/* The y range drawn (test hook and tooltips). */
void sr_metric_plot_get_value_range(SrMetricPlot *self, double *vmin, double *vmax);
/* The archivist's flagged frames (copied). */
void sr_metric_plot_set_marks(SrMetricPlot *self, const int *frames, int n);
/* The frame shown in the viewer (G_MININT: none). */
void sr_metric_plot_set_current(SrMetricPlot *self, int frame);
/* Text shown in place of the plot when there are no points. */
void sr_metric_plot_set_placeholder(SrMetricPlot *self, const char *text);

/* Widget position of point i (FALSE when out of range or not finite). */
gboolean sr_metric_plot_get_point_position(SrMetricPlot *self, int i, double *x, double *y);
/* The frame of the point nearest to widget x (G_MININT without points). */
int sr_metric_plot_frame_at(SrMetricPlot *self, double x, double y);
/* What a primary click does: emits "frame-activated" for the nearest point;
 * returns its frame or G_MININT. */
int sr_metric_plot_click(SrMetricPlot *self, double x, double y);
/* The tooltip at x: the nearest point's frame, value and note when the
 * pointer is on it; elsewhere the title and the frame shown with its value,
 * in full (the plot ellipsizes both when narrow). NULL for none. */
char *sr_metric_plot_tooltip_text(SrMetricPlot *self, double x);

/* Signals: "frame-activated" (SrMetricPlot *, int frame).
 * Properties: "title" (string). */

G_END_DECLS
