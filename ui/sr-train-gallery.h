/* sr-train-gallery.h — what the Train page shows besides the loss curve.
 *
 * Three parts: the contact sheets (out_dir/contact/step_NNNNNN.png: one row
 * per batch sample, input | ground truth | output) with a history slider that
 * stays where the archivist put it while newer sheets arrive; the preview
 * frame's output at each checkpoint (out_dir/preview/step_NNNNNN.exr) shown
 * in an SrViewer wiped against the Source frame; and the monitors, measured
 * on each preview off the main loop: chroma identity (largest |ΔCb|, |ΔCr|
 * of the output against the Source), range (share of values outside 0–1)
 * and bbox (output and Source share the data and display windows), each
 * green or red with its value. All functions run on the main thread. */
#pragma once

#include <gtk/gtk.h>

#include "sr-colour.h"

G_BEGIN_DECLS

#define SR_TYPE_TRAIN_GALLERY (sr_train_gallery_get_type())
G_DECLARE_FINAL_TYPE(SrTrainGallery, sr_train_gallery, SR, TRAIN_GALLERY, GtkBox)

typedef enum {
  SR_TRAIN_MONITOR_CHROMA,
  SR_TRAIN_MONITOR_RANGE,
  SR_TRAIN_MONITOR_BBOX,
  SR_TRAIN_N_MONITORS,
} SrTrainMonitor;

GtkWidget *sr_train_gallery_new(void);
/* Forgets every sheet, preview and monitor value (a new run). */
void sr_train_gallery_clear(SrTrainGallery *self);
/* The Source frame the previews are compared with (an image file path; the
 * Source as read, before any crop) and its frame number; NULL hides the
 * preview part. */
void sr_train_gallery_set_preview_source(SrTrainGallery *self, const char *source_path, int frame);
/* A contact sheet PNG written at `step`; shown when the slider is at the
 * newest sheet. */
void sr_train_gallery_add_contact_sheet(SrTrainGallery *self, gint64 step, const char *png_path);
/* The preview frame's output at a checkpoint; becomes the viewer's B and is
 * measured for the monitors in the background. */
void sr_train_gallery_add_preview(SrTrainGallery *self, gint64 step, const char *exr_path);
/* Adds the sheets and previews already in out_dir (a reopened project or a
 * resumed run), in step order. */
void sr_train_gallery_load_dir(SrTrainGallery *self, const char *out_dir);

guint sr_train_gallery_get_n_sheets(SrTrainGallery *self);
guint sr_train_gallery_get_n_previews(SrTrainGallery *self);
/* Step of the sheet on show (-1 when none). */
gint64 sr_train_gallery_get_shown_sheet_step(SrTrainGallery *self);
/* Moves the history slider to sheet `index` (0 = oldest). */
void sr_train_gallery_show_sheet(SrTrainGallery *self, guint index);
/* -1 while not yet measured, 0 = red (failed), 1 = green (passed); value
 * (may be NULL) receives the measured number. */
int sr_train_gallery_get_monitor(SrTrainGallery *self, SrTrainMonitor monitor, double *value);

/* ---- Added for the Train page and the tests ------------------------------ */

/* Monitor values (sr_train_gallery_get_monitor): CHROMA the largest |ΔCb| or
 * |ΔCr| in the training domain beyond the preview file's half-float rounding
 * (passes at 1e-3 or less; pixels the merge clamped to 0 or 1 left out),
 * RANGE the share of the file's values outside 0–1 where the Source's were
 * inside (0 to 1; passes at 0), BBOX how many of the two windows differ (0,
 * 1 or 2; passes at 0). */

/* The Source's colour space and the YCbCr matrix of the project: the chroma
 * monitor compares in the training domain with this matrix, and the viewer
 * shows the frames in this space. Without a call the gallery takes both from
 * the project of the SrWindow it sits in (else Rec.709 and BT.709).
 * Changing them measures every preview again. */
void sr_train_gallery_set_colour(SrTrainGallery *self, sr_colourspace source_space,
                                 sr_ycbcr_matrix matrix);
/* Contact sheet interval in steps, for the empty state's wording (0 = never). */
void sr_train_gallery_set_sheet_interval(SrTrainGallery *self, gint64 every);
/* Shows "sheets" (contact sheets) or "preview" (viewer against the Source;
 * ignored while there is no preview Source). */
void sr_train_gallery_set_page(SrTrainGallery *self, const char *name);
/* The preview viewer (an SrViewer; owned by the gallery). */
GtkWidget *sr_train_gallery_get_viewer(SrTrainGallery *self);
/* Step of the checkpoint chosen for the viewer's B (-1 when none), and
 * choosing it (0 = oldest). The monitors show that checkpoint's values. */
gint64 sr_train_gallery_get_shown_preview_step(SrTrainGallery *self);
void sr_train_gallery_show_preview(SrTrainGallery *self, guint index);
/* Step of the sheet whose picture is on screen (-1 when none): lags
 * get_shown_sheet_step while the PNG loads. */
gint64 sr_train_gallery_get_loaded_sheet_step(SrTrainGallery *self);
/* TRUE while a sheet, the Source, a preview or a measurement is being read
 * or computed off the main thread. */
gboolean sr_train_gallery_is_busy(SrTrainGallery *self);
/* The message of the latest sheet, Source or preview read that failed,
 * naming the file (NULL when none failed since clear()). */
const char *sr_train_gallery_get_error(SrTrainGallery *self);

G_END_DECLS
