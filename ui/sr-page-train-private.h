/* sr-page-train-private.h — what the UI tests drive and read on the Train
 * page besides its public type. */
#pragma once

#include "sr-page-train.h"

G_BEGIN_DECLS

/* Starts training with the project's settings (what the Start button runs);
 * FALSE with error when there are no pairs or a run is already going. */
gboolean sr_page_train_start(SrPageTrain *self, GError **error);
/* Continues from a checkpoint (what "Resume from here" runs) up to the
 * settings' step count; the loss curve and the checkpoint list keep what
 * came before that step. FALSE with error when a run is going, there are no
 * pairs, or the checkpoint is already at or past the last step. */
gboolean sr_page_train_resume(SrPageTrain *self, const char *checkpoint_path, GError **error);
void sr_page_train_stop(SrPageTrain *self);
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

/* ---- Shared by the page's files ---- */

void sr_page_train_update_backend_info(SrPageTrain *self);
void sr_page_train_sync_settings(SrPageTrain *self);
void sr_page_train_show_settings_message(SrPageTrain *self, const char *message);
void sr_page_train_form_class_init(GObjectClass *object_class);
void sr_page_train_form_init(SrPageTrain *self);
void sr_page_train_form_setup(SrPageTrain *self);

G_END_DECLS
