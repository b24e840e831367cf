/* sr-train-gallery-private.h — SrTrainGallery's instance and what its
 * three files share: sr-train-gallery.c (tabs, preview, reads),
 * sr-train-gallery-sheets.c and sr-train-gallery-monitors.c. */
#pragma once

#include "sr-frame-cache.h"
#include "sr-train-gallery.h"

G_BEGIN_DECLS

/* Largest |ΔCb| or |ΔCr|, beyond what the preview file's half-float
 * rounding can explain, that still passes. */
#define CHROMA_PASS 1e-3
/* Values this far past 0 or 1 in the file count as outside the range; the
 * half-float rounding of a correct output stays well inside. */
#define RANGE_TOLERANCE 1e-3
/* Half of a half-float ulp, relative (11 significant bits), and half of the
 * smallest subnormal step: the rounding a value picks up in the EXR. */
#define HALF_ROUNDING     0x1p-11
#define HALF_ROUNDING_MIN 0x1p-25
/* An output channel this close to 0 or 1 (beyond its rounding) was clamped. */
#define CLAMP_MARGIN 1e-4
/* More sheets than this and the slider's tick marks would merge into a bar. */
#define MAX_SLIDER_MARKS 60

typedef struct {
  gint64 step;
  char *path;
} Sheet;

typedef enum {
  MEASURE_PENDING = 0,
  MEASURE_DONE,
  MEASURE_FAILED, /* the preview could not be read; error says why */
} MeasureState;

typedef struct {
  double value[SR_TRAIN_N_MONITORS];
  gboolean pass[SR_TRAIN_N_MONITORS];
  guint64 n_clamped;  /* pixels left out of the chroma check */
  guint64 n_compared; /* pixels the chroma check compared */
  sr_rect src_data, src_display, out_data, out_display;
} MonitorResult;

typedef struct {
  gint64 step;
  char *path;
  MeasureState state;
  MonitorResult result;
  char *error;
} Preview;

struct _SrTrainGallery {
  GtkBox parent_instance;

  GCancellable *cancel; /* cancelled on dispose: late results are dropped */

  GtkWidget *stack;
  GtkWidget *switcher;
  GtkStackPage *preview_page;

  /* Contact sheets */
  GtkWidget *sheet_stack;
  GtkWidget *sheet_empty;
  GtkWidget *sheet_scroller;
  GtkWidget *sheet_frame;
  GtkWidget *sheet_picture;
  GtkWidget *sheet_scale;
  guint n_marks; /* marks on the slider: 0 … n_marks-1 */
  GtkWidget *sheet_label;
  GtkWidget *sheet_newest;
  GtkWidget *sheet_actual;
  GtkWidget *sheet_error;

  /* Preview */
  GtkWidget *preview_stack;
  GtkWidget *preview_empty;
  GtkWidget *viewer;
  GtkWidget *ckpt_dropdown;
  GtkStringList *ckpt_model;
  GtkWidget *mode_wipe, *mode_side, *mode_toggle, *mode_difference;
  GtkWidget *preview_error;

  /* Monitors */
  GtkWidget *monitor_pill[SR_TRAIN_N_MONITORS];
  GtkWidget *monitor_value[SR_TRAIN_N_MONITORS];

  GArray *sheets;      /* of Sheet, by step */
  GArray *previews;    /* of Preview, by step */
  guint shown_sheet;   /* index into sheets; G_MAXUINT when none */
  guint shown_preview; /* index into previews; G_MAXUINT when none */
  gint64 loaded_sheet_step;
  char *loaded_sheet_path;
  gint64 loaded_preview_step;
  char *loaded_preview_path;

  guint generation; /* bumped by clear(): results of older reads are dropped */
  gboolean sheet_loading, preview_loading, source_loading, measuring;
  gboolean source_failed; /* the Source could not be read; set_preview_source retries */

  char *source_path;
  int source_frame;
  SrFrame *source;
  guint source_generation; /* bumped when the Source or the colour changes */

  sr_colourspace source_space;
  sr_ycbcr_matrix matrix;
  gboolean colour_set;
  gint64 sheet_every;

  char *error;
  gboolean syncing;
  gboolean toggle_just_activated;
};


/* One read on a worker: a sheet, the Source, a preview (a measurement
 * reads both). */
typedef struct {
  char *path;
  gint64 step;
  guint generation;
  guint source_generation;
  int frame;
  SrFrame *source;
  sr_colourspace space;
  sr_ycbcr_matrix matrix;
} ReadData;


/* sr-train-gallery.c */
char *sr_train_gallery_format_step(gint64 step);
char *sr_train_gallery_step_title(gint64 step);
void sr_train_gallery_set_error(SrTrainGallery *self, const char *message);
Sheet *sr_train_gallery_sheet_at(SrTrainGallery *self, guint i);
Preview *sr_train_gallery_shown_preview(SrTrainGallery *self);
guint sr_train_gallery_step_index(GArray *array, gint64 step, gboolean *found);
ReadData *sr_train_gallery_read_data_new(SrTrainGallery *self, const char *path, gint64 step);
GTask *sr_train_gallery_task_new(SrTrainGallery *self, ReadData *d, GAsyncReadyCallback done);
gboolean sr_train_gallery_task_is_stale(SrTrainGallery *self, GAsyncResult *res);
void sr_train_gallery_sheet_thread(GTask *task, gpointer source, gpointer data,
                                   GCancellable *cancel);

/* sr-train-gallery-monitors.c */
gboolean sr_train_gallery_measure_monitors(const sr_image *src, const sr_image *out,
                                           sr_colourspace space, sr_ycbcr_matrix matrix,
                                           MonitorResult *r, sr_error *err);
void sr_train_gallery_sync_monitors(SrTrainGallery *self);
GtkWidget *sr_train_gallery_build_monitors(SrTrainGallery *self);

/* sr-train-gallery-sheets.c */
void sr_train_gallery_request_sheet(SrTrainGallery *self);
void sr_train_gallery_sync_sheets(SrTrainGallery *self);
void sr_train_gallery_add_sheet(SrTrainGallery *self, gint64 step, const char *path);
void sr_train_gallery_on_sheet_scale(GtkRange *range, SrTrainGallery *self);
void sr_train_gallery_on_sheet_newest(GtkButton *button, SrTrainGallery *self);
void sr_train_gallery_on_sheet_actual(GtkToggleButton *button, SrTrainGallery *self);

G_END_DECLS
