/* sr-page-train.h — the Train stage. Property "project".
 *
 * Start runs sr_train_run in an SrJob on the project's pairs; the worker
 * hands progress and checkpoints to the page through a locked log that the
 * main loop polls, so the window never waits on training. */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_TRAIN (sr_page_train_get_type())
G_DECLARE_FINAL_TYPE(SrPageTrain, sr_page_train, SR, PAGE_TRAIN, GtkBox)

/* Starts training with the project's settings (what the Start button runs);
 * FALSE with error when there are no pairs or a run is already going. */
gboolean sr_page_train_start(SrPageTrain *self, GError **error);
void sr_page_train_stop(SrPageTrain *self);
gboolean sr_page_train_get_busy(SrPageTrain *self);
/* Loss points plotted so far, and checkpoint rows listed. */
guint sr_page_train_get_n_loss_points(SrPageTrain *self);
guint sr_page_train_get_n_checkpoints(SrPageTrain *self);
/* The folder training writes into (caller frees). */
char *sr_page_train_get_out_dir(SrPageTrain *self);

G_END_DECLS
