/* sr-page-train.h — the Train stage. Property "project".
 *
 * The settings are edited in place (presets or field by field, validated
 * and undoable through the project) and an estimate of the run's length is
 * measured in the background by timing a few real training steps of the
 * chosen model, patch and batch on the chosen backend. Start runs
 * sr_train_run in an SrJob on the project's pairs; the worker hands progress,
 * contact sheets and checkpoints to the page through a locked log that the
 * main loop drains on a timer, so the window never waits on training. The
 * checkpoint list also shows the checkpoints already in the training folder,
 * each of which a run can resume from. */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_TRAIN (sr_page_train_get_type())
G_DECLARE_FINAL_TYPE(SrPageTrain, sr_page_train, SR, PAGE_TRAIN, GtkBox)

/* Starts training with the project's settings (what the Start button runs);
 * FALSE with error when there are no pairs or a run is already going. */
gboolean sr_page_train_start(SrPageTrain *self, GError **error);
/* Continues from a checkpoint (what "Resume from here" runs) up to the
 * settings' step count; the loss curve and the checkpoint list keep what
 * came before that step. FALSE with error when a run is going, there are no
 * pairs, or the checkpoint is already at or past the last step. */
gboolean sr_page_train_resume(SrPageTrain *self, const char *checkpoint_path, GError **error);
void sr_page_train_stop(SrPageTrain *self);
gboolean sr_page_train_get_busy(SrPageTrain *self);
/* Loss points plotted so far, and checkpoint rows listed (newest first). */
guint sr_page_train_get_n_loss_points(SrPageTrain *self);
/* Step and loss of plotted point i (0 = oldest); FALSE past the end. */
gboolean sr_page_train_get_loss_point(SrPageTrain *self, guint i, gint64 *step, double *loss);
guint sr_page_train_get_n_checkpoints(SrPageTrain *self);
/* Path (owned by the page) and step of checkpoint row i; NULL past the end. */
const char *sr_page_train_get_checkpoint(SrPageTrain *self, guint i, gint64 *step);
/* The folder training writes into (caller frees). */
char *sr_page_train_get_out_dir(SrPageTrain *self);
/* Measured seconds per training step for the current settings, or a
 * negative number while none is measured. */
double sr_page_train_get_seconds_per_step(SrPageTrain *self);

G_END_DECLS
