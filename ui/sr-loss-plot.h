/* sr-loss-plot.h — SrLossPlot, the Train page's loss curve: the loss of
 * each step (faint) and smoothed on a log scale, the learning rate, and the
 * checkpoints marked on the step axis with their held-out PSNR. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* One training step as the trainer reported it. */
typedef struct {
  gint64 step;
  double loss, loss_avg, lr;
} SrLossPoint;

/* A checkpoint on the curve; psnr_after is NAN when not measured. */
typedef struct {
  gint64 step;
  double loss_avg, psnr_after;
} SrLossMark;

#define SR_TYPE_LOSS_PLOT (sr_loss_plot_get_type())
G_DECLARE_FINAL_TYPE(SrLossPlot, sr_loss_plot, SR, LOSS_PLOT, GtkWidget)

GtkWidget *sr_loss_plot_new(void);
/* The series drawn, of SrLossPoint (referenced; the caller appends to it
 * and says so with sr_loss_plot_points_added). NULL draws nothing. */
void sr_loss_plot_set_points(SrLossPlot *self, GArray *points);
void sr_loss_plot_points_added(SrLossPlot *self, guint first);
/* The step axis runs from 0 to steps. */
void sr_loss_plot_set_steps(SrLossPlot *self, gint64 steps);
void sr_loss_plot_set_marks(SrLossPlot *self, const SrLossMark *marks, guint n);

G_END_DECLS
