/* sr-train-gallery.c — see sr-train-gallery.h.
 *
 * Every file is read on a worker thread (GTask). Each kind of read (sheet,
 * Source, viewer's B, measurement) has at most one task in flight; when it
 * returns, a result that is no longer wanted (the slider moved on, clear()
 * ran, the Source changed) is dropped and the read the gallery wants now, if
 * any, starts. Scrubbing the history slider therefore never queues reads. */
#include "sr-train-gallery.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-frame-cache.h"
#include "sr-io.h"
#include "sr-project.h"
#include "sr-ui-util.h"
#include "sr-viewer.h"
#include "sr-window.h"

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

G_DEFINE_FINAL_TYPE(SrTrainGallery, sr_train_gallery, GTK_TYPE_BOX)

static void request_sheet(SrTrainGallery *self);
static void request_preview(SrTrainGallery *self);
static void request_source(SrTrainGallery *self);
static void request_measure(SrTrainGallery *self);
static void sync_sheets(SrTrainGallery *self);
static void sync_previews(SrTrainGallery *self);
static void sync_monitors(SrTrainGallery *self);

/* ---- Small helpers ------------------------------------------------------------ */

/* "1 200": groups of three digits, a no-break space between them. */
static char *
format_step(gint64 step)
{
  char digits[32];
  GString *out = g_string_new(NULL);
  g_snprintf(digits, sizeof digits, "%" G_GINT64_FORMAT, step < 0 ? -step : step);
  size_t n = strlen(digits);
  if (step < 0)
    g_string_append_c(out, '-');
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && (n - i) % 3 == 0)
      g_string_append(out, "\u00a0");
    g_string_append_c(out, digits[i]);
  }
  return g_string_free(out, FALSE);
}

static char *
step_title(gint64 step)
{
  g_autofree char *s = format_step(step);
  return g_strdup_printf(_("Step %s"), s);
}

static void
set_error(SrTrainGallery *self, const char *message)
{
  g_free(self->error);
  self->error = g_strdup(message);
}

static void
sheet_clear(gpointer p)
{
  g_free(((Sheet *)p)->path);
}

static void
preview_clear(gpointer p)
{
  Preview *pr = p;
  g_free(pr->path);
  g_free(pr->error);
}

static Sheet *
sheet_at(SrTrainGallery *self, guint i)
{
  return &g_array_index(self->sheets, Sheet, i);
}

static Preview *
preview_at(SrTrainGallery *self, guint i)
{
  return &g_array_index(self->previews, Preview, i);
}

static Preview *
shown_preview(SrTrainGallery *self)
{
  return self->shown_preview < self->previews->len ? preview_at(self, self->shown_preview) : NULL;
}

/* Index where `step` sits in an array sorted by step (its own index when
 * present; *found says which). Sheet and Preview both start with the step. */
static guint
step_index(GArray *array, gint64 step, gboolean *found)
{
  guint lo = 0, hi = array->len;
  guint size = g_array_get_element_size(array);
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    gint64 s = *(const gint64 *)(array->data + (gsize)mid * size);
    if (s < step)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = lo < array->len && *(const gint64 *)(array->data + (gsize)lo * size) == step;
  return lo;
}

/* ---- Measurement (worker thread) ---------------------------------------------- */

/* Copies n pixels of a 1, 3 or 4 channel row into RGB. */
static void
row_to_rgb(const float *row, int channels, float *rgb, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    const float *p = row + i * (size_t)channels;
    rgb[i * 3 + 0] = p[0];
    rgb[i * 3 + 1] = channels >= 3 ? p[1] : p[0];
    rgb[i * 3 + 2] = channels >= 3 ? p[2] : p[0];
  }
}

static gboolean
in_unit_range(const float *rgb, double tolerance)
{
  for (int c = 0; c < 3; c++)
    if (!(rgb[c] >= -tolerance && rgb[c] <= 1.0 + tolerance))
      return FALSE;
  return TRUE;
}

/* How far rounding the output pixel `file` (values as stored) to half float
 * can move each channel of it in the training domain (err) and its Cb and Cr
 * (return value). Near black the domain's 2.4 curve is steep, so for a
 * scene-linear file this reaches several 0.01 there. Each domain channel is
 * a monotone function of each stored value, so its extremes over the
 * rounding box lie at the corners picked by the signs of its slopes. */
static double
rounding_bound(const sr_domain *dom, sr_ycbcr_coeffs k, const float file[3], float err[3])
{
  float h[3], probe[4 * 3], corner[6 * 3];
  for (int c = 0; c < 3; c++)
    h[c] = MAX(fabsf(file[c]) * (float)HALF_ROUNDING, (float)HALF_ROUNDING_MIN);
  /* The slopes' signs: each stored value pushed up on its own. */
  for (int i = 0; i < 4; i++)
    memcpy(probe + i * 3, file, sizeof(float) * 3);
  for (int c = 0; c < 3; c++)
    probe[(1 + c) * 3 + c] += h[c];
  sr_domain_forward(dom, probe, 4, 3);
  for (int d = 0; d < 3; d++)     /* domain channel */
    for (int c = 0; c < 3; c++) { /* stored value */
      float sign = probe[(1 + c) * 3 + d] >= probe[d] ? 1.0f : -1.0f;
      corner[(2 * d) * 3 + c] = file[c] + sign * h[c];
      corner[(2 * d + 1) * 3 + c] = file[c] - sign * h[c];
    }
  sr_domain_forward(dom, corner, 6, 3);
  for (int d = 0; d < 3; d++)
    err[d] = MAX(fabsf(corner[(2 * d) * 3 + d] - probe[d]),
                 fabsf(corner[(2 * d + 1) * 3 + d] - probe[d]));
  /* Cb = (B - Y) / (2 (1 - kb)), Cr = (R - Y) / (2 (1 - kr)): bound each
   * by its weights' magnitudes. */
  double cb = (k.kr * err[0] + k.kg * err[1] + (1.0 - k.kb) * err[2]) / (2.0 * (1.0 - k.kb));
  double cr = ((1.0 - k.kr) * err[0] + k.kg * err[1] + k.kb * err[2]) / (2.0 * (1.0 - k.kr));
  return MAX(cb, cr);
}

/* The monitors of one preview against the Source, both as read from disk;
 * pixels are paired by display coordinates (data window offsets).
 * Chroma: both go into the training domain, where the merge adds the same ΔY
 * to R, G and B, so there the output's Cb/Cr must equal the Source's, up to
 * the rounding of the preview file (the Source is the same file the merge
 * read). A pixel with a channel at or past 0 or 1 is left out: the merge
 * stops the luma step at the bound, and a value pushed past it is the range
 * monitor's finding, so each fault shows on its own monitor.
 * Range: in the file's own encoding, where a correct output stays in 0–1
 * (the domain's 0–1 lies inside 0–1 of every supported space); a Source
 * pixel already outside is passed through by the merge and not counted. */
static gboolean
measure_monitors(const sr_image *src, const sr_image *out, sr_colourspace space,
                 sr_ycbcr_matrix matrix, MonitorResult *r, sr_error *err)
{
  memset(r, 0, sizeof *r);
  r->src_data = src->data_window;
  r->src_display = src->display_window;
  r->out_data = out->data_window;
  r->out_display = out->display_window;
  int differing = !sr_rect_equal(src->data_window, out->data_window) +
                  !sr_rect_equal(src->display_window, out->display_window);
  r->value[SR_TRAIN_MONITOR_BBOX] = differing;
  r->pass[SR_TRAIN_MONITOR_BBOX] = differing == 0;

  sr_domain *dom = sr_domain_new(space, err);
  if (!dom)
    return FALSE;
  size_t w = (size_t)out->width;
  sr_ycbcr_coeffs k = sr_ycbcr_coefficients(matrix);
  float *o_rgb = g_new(float, w * 3);
  float *o_file = g_new(float, w * 3);
  float *s_rgb = g_new(float, w * 3);
  float *o_ycc = g_new(float, w * 3);
  float *s_ycc = g_new(float, w * 3);

  /* Columns of the output row that the Source also covers, in buffer x. */
  int ox0 = MAX(0, src->data_window.x - out->data_window.x);
  int ox1 = MIN(out->width, src->data_window.x + src->width - out->data_window.x);
  guint64 n_outside = 0, n_values = 0;
  double max_dc = 0.0;
  gboolean nonfinite = FALSE;

  for (int y = 0; y < out->height; y++) {
    int sy = y + out->data_window.y - src->data_window.y;
    gboolean have_src = sy >= 0 && sy < src->height && ox1 > ox0;
    size_t n = have_src ? (size_t)(ox1 - ox0) : 0;
    row_to_rgb(sr_image_row(out, y), out->channels, o_rgb, w);
    if (have_src) {
      int sx0 = ox0 + out->data_window.x - src->data_window.x;
      row_to_rgb(sr_image_row(src, sy) + (size_t)sx0 * (size_t)src->channels, src->channels,
                 s_rgb + (size_t)ox0 * 3, n);
    }
    for (int x = 0; x < out->width; x++) {
      const float *o = o_rgb + (size_t)x * 3;
      gboolean paired = have_src && x >= ox0 && x < ox1;
      if (paired && !in_unit_range(s_rgb + (size_t)x * 3, 0.0))
        continue;
      n_values += 3;
      for (int c = 0; c < 3; c++)
        if (!(o[c] >= -RANGE_TOLERANCE && o[c] <= 1.0 + RANGE_TOLERANCE))
          n_outside++;
    }
    if (!have_src)
      continue;
    float *o_pair = o_rgb + (size_t)ox0 * 3, *s_pair = s_rgb + (size_t)ox0 * 3;
    memcpy(o_file, o_pair, sizeof(float) * n * 3);
    sr_domain_forward(dom, o_pair, n, 3);
    sr_domain_forward(dom, s_pair, n, 3);
    sr_rgb_to_ycbcr(matrix, s_pair, s_ycc, n, 3);
    sr_rgb_to_ycbcr(matrix, o_pair, o_ycc, n, 3);
    for (size_t i = 0; i < n; i++) {
      const float *a = o_ycc + i * 3, *b = s_ycc + i * 3;
      double d = MAX(fabs((double)a[1] - b[1]), fabs((double)a[2] - b[2]));
      if (!isfinite(d)) {
        nonfinite = TRUE;
        continue;
      }
      if (d > CHROMA_PASS / 4) {
        /* The bound is only worked out where it could matter (or make the
         * shown value more truthful): a fraction of a good output's pixels. */
        float e[3];
        const float *o = o_pair + i * 3;
        double bound = rounding_bound(dom, k, o_file + i * 3, e);
        gboolean clamped = FALSE;
        for (int c = 0; c < 3; c++)
          if (o[c] <= e[c] + CLAMP_MARGIN || o[c] >= 1.0 - e[c] - CLAMP_MARGIN)
            clamped = TRUE;
        if (clamped) {
          r->n_clamped++;
          continue;
        }
        d = MAX(d - bound, 0.0);
      }
      max_dc = MAX(max_dc, d);
      r->n_compared++;
    }
  }
  g_free(o_rgb);
  g_free(o_file);
  g_free(s_rgb);
  g_free(o_ycc);
  g_free(s_ycc);
  sr_domain_free(dom);

  if (nonfinite || (r->n_compared == 0 && r->n_clamped == 0)) {
    /* NaN in the output, or no pixel of it lies over the Source. */
    r->value[SR_TRAIN_MONITOR_CHROMA] = NAN;
    r->pass[SR_TRAIN_MONITOR_CHROMA] = FALSE;
  } else {
    r->value[SR_TRAIN_MONITOR_CHROMA] = max_dc;
    r->pass[SR_TRAIN_MONITOR_CHROMA] = max_dc <= CHROMA_PASS;
  }
  r->value[SR_TRAIN_MONITOR_RANGE] = n_values ? (double)n_outside / (double)n_values : 0.0;
  r->pass[SR_TRAIN_MONITOR_RANGE] = n_outside == 0;
  return TRUE;
}

/* ---- Tasks -------------------------------------------------------------------- */

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

static void
read_data_free(gpointer p)
{
  ReadData *d = p;
  g_free(d->path);
  g_clear_pointer(&d->source, sr_frame_unref);
  g_free(d);
}

static ReadData *
read_data_new(SrTrainGallery *self, const char *path, gint64 step)
{
  ReadData *d = g_new0(ReadData, 1);
  d->path = g_strdup(path);
  d->step = step;
  d->generation = self->generation;
  d->source_generation = self->source_generation;
  d->space = self->source_space;
  d->matrix = self->matrix;
  return d;
}

static GTask *
task_new(SrTrainGallery *self, ReadData *d, GAsyncReadyCallback done)
{
  GTask *task = g_task_new(self, self->cancel, done, NULL);
  g_task_set_task_data(task, d, read_data_free);
  return task;
}

/* The read finished for a gallery that is gone, or for an earlier run. */
static gboolean
task_is_stale(SrTrainGallery *self, GAsyncResult *res)
{
  ReadData *d = g_task_get_task_data(G_TASK(res));
  return g_cancellable_is_cancelled(self->cancel) || d->generation != self->generation;
}

static void
return_engine_error(GTask *task, const sr_error *err)
{
  g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err->message);
}

static void
sheet_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  ReadData *d = data;
  GError *error = NULL;
  GdkTexture *texture = gdk_texture_new_from_filename(d->path, &error);
  if (texture)
    g_task_return_pointer(task, texture, g_object_unref);
  else
    g_task_return_error(task, error);
}

static void
image_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  ReadData *d = data;
  sr_error err = {0};
  sr_image *img = sr_image_read(d->path, &err);
  if (img)
    g_task_return_pointer(task, sr_frame_new_take(img, d->frame), (GDestroyNotify)sr_frame_unref);
  else
    return_engine_error(task, &err);
}

static void
measure_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  ReadData *d = data;
  sr_error err = {0};
  sr_image *out = sr_image_read(d->path, &err);
  if (!out) {
    return_engine_error(task, &err);
    return;
  }
  MonitorResult *r = g_new0(MonitorResult, 1);
  if (measure_monitors(sr_frame_get_image(d->source), out, d->space, d->matrix, r, &err))
    g_task_return_pointer(task, r, g_free);
  else {
    g_free(r);
    return_engine_error(task, &err);
  }
  sr_image_free(out);
}

/* ---- Contact sheets ----------------------------------------------------------- */

static void
sheet_done(GObject *object, GAsyncResult *res, gpointer user_data)
{
  SrTrainGallery *self = SR_TRAIN_GALLERY(object);
  ReadData *d = g_task_get_task_data(G_TASK(res));
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = g_task_propagate_pointer(G_TASK(res), &error);

  if (g_cancellable_is_cancelled(self->cancel))
    return;
  self->sheet_loading = FALSE;
  gboolean wanted = !task_is_stale(self, res) && self->shown_sheet < self->sheets->len &&
                    sheet_at(self, self->shown_sheet)->step == d->step &&
                    g_strcmp0(sheet_at(self, self->shown_sheet)->path, d->path) == 0;
  if (wanted) {
    self->loaded_sheet_step = d->step;
    g_free(self->loaded_sheet_path);
    self->loaded_sheet_path = g_strdup(d->path);
    if (texture) {
      int w = gdk_texture_get_width(texture), h = gdk_texture_get_height(texture);
      gtk_aspect_frame_set_ratio(GTK_ASPECT_FRAME(self->sheet_frame), (float)w / (float)MAX(h, 1));
      gtk_picture_set_paintable(GTK_PICTURE(self->sheet_picture), GDK_PAINTABLE(texture));
      gtk_widget_set_visible(self->sheet_error, FALSE);
    } else {
      g_autofree char *msg = g_strdup_printf(
          _("Could not read the contact sheet %s: %s. The sheet may still be being written, or "
            "the disk is full; later sheets are unaffected."),
          d->path, error->message);
      gtk_picture_set_paintable(GTK_PICTURE(self->sheet_picture), NULL);
      gtk_label_set_text(GTK_LABEL(self->sheet_error), msg);
      gtk_widget_set_visible(self->sheet_error, TRUE);
      set_error(self, msg);
    }
  }
  request_sheet(self);
}

/* Starts reading the sheet the slider shows, unless it is on screen or a
 * read is running (its completion calls back here). */
static void
request_sheet(SrTrainGallery *self)
{
  if (self->sheet_loading || self->shown_sheet >= self->sheets->len)
    return;
  Sheet *s = sheet_at(self, self->shown_sheet);
  if (s->step == self->loaded_sheet_step && g_strcmp0(s->path, self->loaded_sheet_path) == 0)
    return;
  self->sheet_loading = TRUE;
  g_autoptr(GTask) task = task_new(self, read_data_new(self, s->path, s->step), sheet_done);
  g_task_run_in_thread(task, sheet_thread);
}

static void
sync_sheets(SrTrainGallery *self)
{
  guint n = self->sheets->len;
  self->syncing = TRUE;

  gtk_stack_set_visible_child(GTK_STACK(self->sheet_stack),
                              n ? self->sheet_scroller : self->sheet_empty);
  if (self->sheet_every > 0) {
    g_autofree char *every = format_step(self->sheet_every);
    g_autofree char *text = g_strdup_printf(
        _("Contact sheets appear every %s steps once training runs. Each row is one training "
          "sample: input, ground truth and the network's output."),
        every);
    gtk_label_set_text(GTK_LABEL(self->sheet_empty), text);
  } else {
    gtk_label_set_text(GTK_LABEL(self->sheet_empty),
                       _("Contact sheets appear here once training runs with contact sheets "
                         "turned on. Each row is one training sample: input, ground truth and "
                         "the network's output."));
  }

  GtkRange *range = GTK_RANGE(self->sheet_scale);
  gtk_range_set_range(range, 0, MAX(1, n) - 1);
  /* The marks sit on 0 … n-1 whatever order sheets arrive in, so a new
   * sheet adds one mark; rebuilding them all (each mark is a widget) cost
   * 8-17 ms of the main loop per sheet during training. */
  guint want = n > 1 && n <= MAX_SLIDER_MARKS ? n : 0;
  if (want < self->n_marks) {
    gtk_scale_clear_marks(GTK_SCALE(self->sheet_scale));
    self->n_marks = 0;
  }
  for (; self->n_marks < want; self->n_marks++)
    gtk_scale_add_mark(GTK_SCALE(self->sheet_scale), self->n_marks, GTK_POS_BOTTOM, NULL);
  if (n)
    gtk_range_set_value(range, self->shown_sheet);
  gtk_widget_set_sensitive(self->sheet_scale, n > 1);
  gtk_widget_set_sensitive(self->sheet_newest, n > 0 && self->shown_sheet + 1 < n);

  if (n) {
    g_autofree char *step = format_step(sheet_at(self, self->shown_sheet)->step);
    g_autofree char *text =
        g_strdup_printf(_("Step %s (%u of %u)"), step, self->shown_sheet + 1, n);
    gtk_label_set_text(GTK_LABEL(self->sheet_label), text);
    gtk_widget_set_tooltip_text(self->sheet_label, sheet_at(self, self->shown_sheet)->path);
  } else {
    gtk_label_set_text(GTK_LABEL(self->sheet_label), _("No sheets yet"));
    gtk_widget_set_tooltip_text(self->sheet_label, NULL);
  }
  self->syncing = FALSE;
}

/* Inserts or replaces a sheet; keeps the newest on show when it was, else
 * the sheet that was on show. */
static void
add_sheet(SrTrainGallery *self, gint64 step, const char *path)
{
  guint n = self->sheets->len;
  gboolean at_newest = n == 0 || self->shown_sheet + 1 >= n;
  gint64 shown_step = n ? sheet_at(self, self->shown_sheet)->step : -1;
  gboolean found;
  guint i = step_index(self->sheets, step, &found);

  if (found) {
    g_free(sheet_at(self, i)->path);
    sheet_at(self, i)->path = g_strdup(path);
  } else {
    Sheet s = {step, g_strdup(path)};
    g_array_insert_val(self->sheets, i, s);
  }
  if (at_newest)
    self->shown_sheet = self->sheets->len - 1;
  else
    self->shown_sheet = step_index(self->sheets, shown_step, &found);
}

static void
on_sheet_scale(GtkRange *range, SrTrainGallery *self)
{
  if (self->syncing || self->sheets->len == 0)
    return;
  double v = round(gtk_range_get_value(range));
  guint i = (guint)CLAMP(v, 0, self->sheets->len - 1);
  if (i == self->shown_sheet)
    return;
  self->shown_sheet = i;
  sync_sheets(self);
  request_sheet(self);
}

static void
on_sheet_newest(GtkButton *button, SrTrainGallery *self)
{
  if (self->sheets->len)
    sr_train_gallery_show_sheet(self, self->sheets->len - 1);
}

static void
on_sheet_actual(GtkToggleButton *button, SrTrainGallery *self)
{
  gboolean actual = gtk_toggle_button_get_active(button);
  /* Pixel for pixel: the picture asks for the texture's size and the
   * scroller pans; otherwise it shrinks to the space there is. */
  gtk_picture_set_can_shrink(GTK_PICTURE(self->sheet_picture), !actual);
  gtk_widget_set_halign(self->sheet_frame, actual ? GTK_ALIGN_CENTER : GTK_ALIGN_FILL);
  gtk_widget_set_valign(self->sheet_frame, actual ? GTK_ALIGN_CENTER : GTK_ALIGN_FILL);
  gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(self->sheet_scroller),
                                 actual ? GTK_POLICY_AUTOMATIC : GTK_POLICY_NEVER,
                                 actual ? GTK_POLICY_AUTOMATIC : GTK_POLICY_NEVER);
}

/* ---- Source and preview -------------------------------------------------------- */

static void
preview_failed(SrTrainGallery *self, const char *message)
{
  gtk_label_set_text(GTK_LABEL(self->preview_error), message);
  gtk_widget_set_visible(self->preview_error, TRUE);
  set_error(self, message);
}

static void
source_done(GObject *object, GAsyncResult *res, gpointer user_data)
{
  SrTrainGallery *self = SR_TRAIN_GALLERY(object);
  ReadData *d = g_task_get_task_data(G_TASK(res));
  g_autoptr(GError) error = NULL;
  SrFrame *frame = g_task_propagate_pointer(G_TASK(res), &error);

  if (g_cancellable_is_cancelled(self->cancel)) {
    g_clear_pointer(&frame, sr_frame_unref);
    return;
  }
  self->source_loading = FALSE;
  if (d->source_generation != self->source_generation ||
      g_strcmp0(d->path, self->source_path) != 0) {
    g_clear_pointer(&frame, sr_frame_unref);
    request_source(self);
    return;
  }
  if (!frame) {
    g_autofree char *msg = g_strdup_printf(
        _("Could not read the preview frame %d of the Source (%s): %s. Check that the Source "
          "files are reachable; the monitors wait for it."),
        d->frame, d->path, error->message);
    self->source_failed = TRUE;
    preview_failed(self, msg);
    sync_previews(self);
    sync_monitors(self);
    return;
  }
  self->source = frame;
  sr_viewer_set_frame_a(SR_VIEWER(self->viewer), frame);
  sr_viewer_set_frame_number(SR_VIEWER(self->viewer), self->source_frame);
  sync_previews(self);
  request_measure(self);
}

static void
request_source(SrTrainGallery *self)
{
  if (self->source_loading || self->source || self->source_failed || !self->source_path)
    return;
  self->source_loading = TRUE;
  ReadData *d = read_data_new(self, self->source_path, 0);
  d->frame = self->source_frame;
  g_autoptr(GTask) task = task_new(self, d, source_done);
  g_task_run_in_thread(task, image_thread);
}

static void
preview_done(GObject *object, GAsyncResult *res, gpointer user_data)
{
  SrTrainGallery *self = SR_TRAIN_GALLERY(object);
  ReadData *d = g_task_get_task_data(G_TASK(res));
  g_autoptr(GError) error = NULL;
  SrFrame *frame = g_task_propagate_pointer(G_TASK(res), &error);

  if (g_cancellable_is_cancelled(self->cancel)) {
    g_clear_pointer(&frame, sr_frame_unref);
    return;
  }
  self->preview_loading = FALSE;
  Preview *p = shown_preview(self);
  if (!task_is_stale(self, res) && p && p->step == d->step && g_strcmp0(p->path, d->path) == 0) {
    self->loaded_preview_step = d->step;
    g_free(self->loaded_preview_path);
    self->loaded_preview_path = g_strdup(d->path);
    if (frame) {
      g_autofree char *label = step_title(d->step);
      sr_viewer_set_frame_b(SR_VIEWER(self->viewer), frame);
      sr_viewer_set_labels(SR_VIEWER(self->viewer), _("Source"), label);
      gtk_widget_set_visible(self->preview_error, FALSE);
    } else {
      g_autofree char *step = format_step(d->step);
      g_autofree char *msg = g_strdup_printf(
          _("Could not read the preview at step %s (%s): %s. Choose another checkpoint."), step,
          d->path, error->message);
      sr_viewer_set_frame_b(SR_VIEWER(self->viewer), NULL);
      preview_failed(self, msg);
    }
  }
  g_clear_pointer(&frame, sr_frame_unref);
  request_preview(self);
}

static void
request_preview(SrTrainGallery *self)
{
  Preview *p = shown_preview(self);
  if (self->preview_loading || !p)
    return;
  if (p->step == self->loaded_preview_step && g_strcmp0(p->path, self->loaded_preview_path) == 0)
    return;
  self->preview_loading = TRUE;
  ReadData *d = read_data_new(self, p->path, p->step);
  d->frame = self->source_frame;
  g_autoptr(GTask) task = task_new(self, d, preview_done);
  g_task_run_in_thread(task, image_thread);
}

static void
measure_done(GObject *object, GAsyncResult *res, gpointer user_data)
{
  SrTrainGallery *self = SR_TRAIN_GALLERY(object);
  ReadData *d = g_task_get_task_data(G_TASK(res));
  g_autoptr(GError) error = NULL;
  g_autofree MonitorResult *r = g_task_propagate_pointer(G_TASK(res), &error);

  if (g_cancellable_is_cancelled(self->cancel))
    return;
  self->measuring = FALSE;
  if (!task_is_stale(self, res) && d->source_generation == self->source_generation) {
    gboolean found;
    guint i = step_index(self->previews, d->step, &found);
    Preview *p = found ? preview_at(self, i) : NULL;
    if (p && g_strcmp0(p->path, d->path) == 0 && p->state == MEASURE_PENDING) {
      if (r) {
        p->result = *r;
        p->state = MEASURE_DONE;
      } else {
        p->state = MEASURE_FAILED;
        p->error =
            g_strdup_printf(_("Could not measure the preview %s: %s"), d->path, error->message);
        set_error(self, p->error);
      }
      sync_monitors(self);
    }
  }
  request_measure(self);
}

/* Measures the newest preview not measured yet (one at a time, so a resumed
 * run with many previews does not read them all at once). */
static void
request_measure(SrTrainGallery *self)
{
  if (self->measuring || !self->source)
    return;
  for (guint k = self->previews->len; k-- > 0;) {
    Preview *p = preview_at(self, k);
    if (p->state != MEASURE_PENDING)
      continue;
    self->measuring = TRUE;
    ReadData *d = read_data_new(self, p->path, p->step);
    d->source = sr_frame_ref(self->source);
    g_autoptr(GTask) task = task_new(self, d, measure_done);
    g_task_run_in_thread(task, measure_thread);
    return;
  }
}

static void
sync_previews(SrTrainGallery *self)
{
  guint n = self->previews->len;
  self->syncing = TRUE;

  gtk_stack_page_set_visible(self->preview_page, self->source_path != NULL);
  /* A switcher with one button would only take room. */
  gtk_widget_set_visible(self->switcher, self->source_path != NULL);
  g_autofree char **items = g_new0(char *, n + 1);
  for (guint i = 0; i < n; i++)
    items[i] = step_title(preview_at(self, i)->step);
  guint old = g_list_model_get_n_items(G_LIST_MODEL(self->ckpt_model));
  gtk_string_list_splice(self->ckpt_model, 0, old, (const char *const *)items);
  for (guint i = 0; i < n; i++)
    g_free(items[i]);
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->ckpt_dropdown),
                             n ? self->shown_preview : GTK_INVALID_LIST_POSITION);
  gtk_widget_set_sensitive(self->ckpt_dropdown, n > 1);
  gtk_stack_set_visible_child(GTK_STACK(self->preview_stack),
                              n && self->source ? self->viewer : self->preview_empty);
  if (!self->source_path)
    gtk_label_set_text(GTK_LABEL(self->preview_empty), _("This project has no preview frame."));
  else if (self->source_failed)
    gtk_label_set_text(GTK_LABEL(self->preview_empty),
                       _("The Source preview frame could not be read; see the message below."));
  else if (!self->source)
    gtk_label_set_text(GTK_LABEL(self->preview_empty), _("Reading the Source preview frame…"));
  else
    gtk_label_set_text(GTK_LABEL(self->preview_empty),
                       _("The preview frame's output appears at every checkpoint, wiped against "
                         "the Source, with the monitors measured on it."));
  self->syncing = FALSE;
}

static void
add_preview(SrTrainGallery *self, gint64 step, const char *path)
{
  guint n = self->previews->len;
  gboolean at_newest = n == 0 || self->shown_preview + 1 >= n;
  gint64 shown_step = n ? preview_at(self, self->shown_preview)->step : -1;
  gboolean found;
  guint i = step_index(self->previews, step, &found);

  if (found) {
    Preview *p = preview_at(self, i);
    g_free(p->path);
    g_clear_pointer(&p->error, g_free);
    p->path = g_strdup(path);
    p->state = MEASURE_PENDING;
  } else {
    Preview p = {.step = step, .path = g_strdup(path), .state = MEASURE_PENDING};
    g_array_insert_val(self->previews, i, p);
  }
  if (at_newest)
    self->shown_preview = self->previews->len - 1;
  else
    self->shown_preview = step_index(self->previews, shown_step, &found);
}

static void
on_ckpt_selected(GtkDropDown *dropdown, GParamSpec *pspec, SrTrainGallery *self)
{
  guint i = gtk_drop_down_get_selected(dropdown);
  if (self->syncing || i >= self->previews->len)
    return;
  sr_train_gallery_show_preview(self, i);
}

/* ---- Viewer modes --------------------------------------------------------------- */

static void
sync_mode_buttons(SrTrainGallery *self)
{
  SrViewerMode mode = sr_viewer_get_mode(SR_VIEWER(self->viewer));
  GtkWidget *button = mode == SR_VIEWER_MODE_WIPE           ? self->mode_wipe
                      : mode == SR_VIEWER_MODE_SIDE_BY_SIDE ? self->mode_side
                      : mode == SR_VIEWER_MODE_DIFFERENCE   ? self->mode_difference
                                                            : self->mode_toggle;
  self->syncing = TRUE;
  gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(button), TRUE);
  self->syncing = FALSE;
}

static void
on_viewer_mode(GObject *viewer, GParamSpec *pspec, SrTrainGallery *self)
{
  sync_mode_buttons(self);
}

static void
on_mode_toggled(GtkToggleButton *button, SrTrainGallery *self)
{
  if (self->syncing || !gtk_toggle_button_get_active(button))
    return;
  SrViewer *viewer = SR_VIEWER(self->viewer);
  GtkWidget *w = GTK_WIDGET(button);
  if (w == self->mode_toggle) {
    /* Starts on the output; the next click (or T) flips to the Source. */
    self->toggle_just_activated = TRUE;
    sr_viewer_set_mode(viewer, SR_VIEWER_MODE_B);
  } else {
    sr_viewer_set_mode(viewer, w == self->mode_wipe   ? SR_VIEWER_MODE_WIPE
                               : w == self->mode_side ? SR_VIEWER_MODE_SIDE_BY_SIDE
                                                      : SR_VIEWER_MODE_DIFFERENCE);
  }
}

static void
on_toggle_clicked(GtkButton *button, SrTrainGallery *self)
{
  if (self->toggle_just_activated) {
    self->toggle_just_activated = FALSE;
    return;
  }
  if (gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(button)))
    sr_viewer_toggle_ab(SR_VIEWER(self->viewer));
}

/* ---- Monitors ------------------------------------------------------------------ */

static const char *const monitor_titles[SR_TRAIN_N_MONITORS] = {
    N_("Chroma identity"),
    N_("Range"),
    N_("Bounding box"),
};

static char *
format_rect(sr_rect r)
{
  return g_strdup_printf("%d,%d %d×%d", r.x, r.y, r.w, r.h);
}

static char *
monitor_value_text(const Preview *p, int m)
{
  const MonitorResult *r = &p->result;
  double v = r->value[m];
  switch (m) {
  case SR_TRAIN_MONITOR_CHROMA:
    if (isnan(v))
      return g_strdup(_("no pixels"));
    if (v == 0.0)
      return g_strdup("0");
    return v >= 1e-3 ? g_strdup_printf("%.3f", v) : g_strdup_printf("%.1e", v);
  case SR_TRAIN_MONITOR_RANGE:
    return v == 0.0 ? g_strdup(_("all inside")) : g_strdup_printf(_("%.3g %% outside"), v * 100.0);
  default: return g_strdup(r->pass[m] ? _("matches") : _("differs"));
  }
}

static char *
monitor_tooltip(SrTrainGallery *self, const Preview *p, int m)
{
  static const char *const about[SR_TRAIN_N_MONITORS] = {
      N_("Largest |ΔCb| or |ΔCr| between the output and the Source in the training domain, "
         "beyond the rounding of the half-float preview file. The network only changes luma, "
         "so the output must keep the Source's colour: passes at 0.001 or less. Pixels the "
         "merge clamped to black or white are left out."),
      N_("Share of the output's values outside 0–1 (pixels the Source already had outside are "
         "not counted). Passes when none are."),
      N_("The output's data and display windows must equal the Source's."),
  };
  GString *s = g_string_new(_(about[m]));
  if (!self->source_path)
    g_string_append_printf(s, "\n%s", _("Needs a preview frame in the project."));
  else if (!p)
    g_string_append_printf(s, "\n%s", _("Measured on each checkpoint's preview."));
  else if (p->state == MEASURE_FAILED)
    g_string_append_printf(s, "\n%s", p->error);
  else if (p->state == MEASURE_PENDING)
    g_string_append_printf(s, "\n%s", _("Measuring…"));
  else {
    g_autofree char *step = step_title(p->step);
    g_string_append_printf(s, "\n%s", step);
    const MonitorResult *r = &p->result;
    if (m == SR_TRAIN_MONITOR_CHROMA) {
      g_autofree char *compared = g_strdup_printf("%" G_GUINT64_FORMAT, r->n_compared);
      g_autofree char *clamped = g_strdup_printf("%" G_GUINT64_FORMAT, r->n_clamped);
      g_string_append_printf(s, ": %.3g; ", r->value[m]);
      g_string_append_printf(s, _("%s pixels compared, %s clamped to black or white left out"),
                             compared, clamped);
    } else if (m == SR_TRAIN_MONITOR_RANGE) {
      g_string_append_printf(s, ": %.4g %%", r->value[m] * 100.0);
    } else {
      g_autofree char *sd = format_rect(r->src_data), *sw = format_rect(r->src_display);
      g_autofree char *od = format_rect(r->out_data), *ow = format_rect(r->out_display);
      g_string_append_printf(s, "\n");
      g_string_append_printf(s, _("Source: data %s, display %s\nOutput: data %s, display %s"), sd,
                             sw, od, ow);
    }
  }
  return g_string_free(s, FALSE);
}

static void
sync_monitors(SrTrainGallery *self)
{
  Preview *p = shown_preview(self);
  for (int m = 0; m < SR_TRAIN_N_MONITORS; m++) {
    GtkWidget *pill = self->monitor_pill[m];
    gboolean done = p && p->state == MEASURE_DONE;
    sr_ui_set_class(pill, "pass", done && p->result.pass[m]);
    sr_ui_set_class(pill, "fail", done && !p->result.pass[m]);
    g_autofree char *value = done ? monitor_value_text(p, m) : g_strdup("—");
    gtk_label_set_text(GTK_LABEL(self->monitor_value[m]), value);
    g_autofree char *tip = monitor_tooltip(self, p, m);
    gtk_widget_set_tooltip_text(pill, tip);
  }
}

/* ---- Colour from the project ---------------------------------------------------- */

static void
apply_colour(SrTrainGallery *self, sr_colourspace space, sr_ycbcr_matrix matrix)
{
  if (space == self->source_space && matrix == self->matrix)
    return;
  self->source_space = space;
  self->matrix = matrix;
  sr_viewer_set_colourspace(SR_VIEWER(self->viewer), space);
  sr_viewer_set_ycbcr_matrix(SR_VIEWER(self->viewer), matrix);
  self->source_generation++;
  for (guint i = 0; i < self->previews->len; i++) {
    Preview *p = preview_at(self, i);
    if (p->state == MEASURE_DONE)
      p->state = MEASURE_PENDING;
  }
  sync_monitors(self);
  request_measure(self);
}

static void
colour_from_project(SrTrainGallery *self)
{
  if (self->colour_set)
    return;
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  SrProject *project = root && SR_IS_WINDOW(root) ? sr_window_get_project(SR_WINDOW(root)) : NULL;
  if (!project)
    return;
  sr_prep_settings prep;
  sr_project_get_prep_settings(project, &prep);
  apply_colour(self, prep.source_space, prep.matrix);
  if (self->sheet_every == 0) {
    SrTrainingSettings t;
    sr_project_get_training(project, &t);
    self->sheet_every = t.contact_sheet_every;
    sync_sheets(self);
  }
}

/* ---- GObject ---------------------------------------------------------------------- */

static void
sr_train_gallery_root(GtkWidget *widget)
{
  GTK_WIDGET_CLASS(sr_train_gallery_parent_class)->root(widget);
  colour_from_project(SR_TRAIN_GALLERY(widget));
}

static void
sr_train_gallery_dispose(GObject *object)
{
  SrTrainGallery *self = SR_TRAIN_GALLERY(object);
  if (self->cancel)
    g_cancellable_cancel(self->cancel);
  G_OBJECT_CLASS(sr_train_gallery_parent_class)->dispose(object);
}

static void
sr_train_gallery_finalize(GObject *object)
{
  SrTrainGallery *self = SR_TRAIN_GALLERY(object);
  g_clear_object(&self->cancel);
  g_array_unref(self->sheets);
  g_array_unref(self->previews);
  g_clear_pointer(&self->source, sr_frame_unref);
  g_free(self->source_path);
  g_free(self->loaded_sheet_path);
  g_free(self->loaded_preview_path);
  g_free(self->error);
  G_OBJECT_CLASS(sr_train_gallery_parent_class)->finalize(object);
}

static void
sr_train_gallery_class_init(SrTrainGalleryClass *klass)
{
  G_OBJECT_CLASS(klass)->dispose = sr_train_gallery_dispose;
  G_OBJECT_CLASS(klass)->finalize = sr_train_gallery_finalize;
  GTK_WIDGET_CLASS(klass)->root = sr_train_gallery_root;
  gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "train-gallery");
}

static GtkWidget *
mode_button(SrTrainGallery *self, const char *label, const char *tooltip, GtkWidget *group,
            GtkWidget *box)
{
  GtkWidget *b = gtk_toggle_button_new_with_label(label);
  gtk_widget_set_tooltip_text(b, tooltip);
  if (group)
    gtk_toggle_button_set_group(GTK_TOGGLE_BUTTON(b), GTK_TOGGLE_BUTTON(group));
  g_signal_connect(b, "toggled", G_CALLBACK(on_mode_toggled), self);
  gtk_box_append(GTK_BOX(box), b);
  return b;
}

static GtkWidget *
build_sheets(SrTrainGallery *self)
{
  GtkWidget *page = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);

  self->sheet_stack = gtk_stack_new();
  gtk_widget_set_vexpand(self->sheet_stack, TRUE);
  gtk_widget_add_css_class(self->sheet_stack, "sheet-area");
  self->sheet_empty = gtk_label_new(NULL);
  gtk_label_set_wrap(GTK_LABEL(self->sheet_empty), TRUE);
  gtk_label_set_justify(GTK_LABEL(self->sheet_empty), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars(GTK_LABEL(self->sheet_empty), 48);
  gtk_widget_add_css_class(self->sheet_empty, "dim-label");
  gtk_stack_add_child(GTK_STACK(self->sheet_stack), self->sheet_empty);

  /* The captions sit over the picture inside an aspect frame of the sheet's
   * shape, so each caption lies over its third of the sheet at any size. */
  self->sheet_picture = gtk_picture_new();
  gtk_picture_set_can_shrink(GTK_PICTURE(self->sheet_picture), TRUE);
  gtk_widget_set_tooltip_text(self->sheet_picture,
                              _("One row per training sample of the batch: input | ground truth "
                                "| output"));
  GtkWidget *captions = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_box_set_homogeneous(GTK_BOX(captions), TRUE);
  gtk_widget_set_valign(captions, GTK_ALIGN_START);
  gtk_widget_set_can_target(captions, FALSE);
  gtk_widget_add_css_class(captions, "sheet-captions");
  const char *names[] = {_("Input"), _("Ground truth"), _("Output")};
  for (int i = 0; i < 3; i++) {
    GtkWidget *l = gtk_label_new(names[i]);
    gtk_widget_set_halign(l, GTK_ALIGN_CENTER);
    gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
    gtk_box_append(GTK_BOX(captions), l);
  }
  GtkWidget *overlay = gtk_overlay_new();
  gtk_overlay_set_child(GTK_OVERLAY(overlay), self->sheet_picture);
  gtk_overlay_add_overlay(GTK_OVERLAY(overlay), captions);
  self->sheet_frame = gtk_aspect_frame_new(0.5f, 0.5f, 1.5f, FALSE);
  gtk_aspect_frame_set_child(GTK_ASPECT_FRAME(self->sheet_frame), overlay);
  self->sheet_scroller = gtk_scrolled_window_new();
  gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(self->sheet_scroller), GTK_POLICY_NEVER,
                                 GTK_POLICY_NEVER);
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(self->sheet_scroller), self->sheet_frame);
  gtk_stack_add_child(GTK_STACK(self->sheet_stack), self->sheet_scroller);
  gtk_box_append(GTK_BOX(page), self->sheet_stack);

  self->sheet_error = gtk_label_new(NULL);
  gtk_label_set_wrap(GTK_LABEL(self->sheet_error), TRUE);
  gtk_label_set_xalign(GTK_LABEL(self->sheet_error), 0);
  gtk_widget_add_css_class(self->sheet_error, "field-error");
  gtk_widget_set_visible(self->sheet_error, FALSE);
  gtk_box_append(GTK_BOX(page), self->sheet_error);

  GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_add_css_class(bar, "toolbar-strip");
  self->sheet_label = gtk_label_new(NULL);
  gtk_label_set_width_chars(GTK_LABEL(self->sheet_label), 20);
  gtk_label_set_xalign(GTK_LABEL(self->sheet_label), 0);
  gtk_widget_add_css_class(self->sheet_label, "numeric");
  gtk_box_append(GTK_BOX(bar), self->sheet_label);
  self->sheet_scale = gtk_scale_new_with_range(GTK_ORIENTATION_HORIZONTAL, 0, 1, 1);
  gtk_scale_set_draw_value(GTK_SCALE(self->sheet_scale), FALSE);
  gtk_range_set_round_digits(GTK_RANGE(self->sheet_scale), 0);
  gtk_widget_set_hexpand(self->sheet_scale, TRUE);
  gtk_widget_set_tooltip_text(self->sheet_scale,
                              _("Earlier contact sheets; while it sits at the newest, new sheets "
                                "move it along"));
  g_signal_connect(self->sheet_scale, "value-changed", G_CALLBACK(on_sheet_scale), self);
  gtk_box_append(GTK_BOX(bar), self->sheet_scale);
  self->sheet_newest = gtk_button_new_with_label(_("Newest"));
  gtk_widget_set_tooltip_text(self->sheet_newest, _("Go to the newest sheet and follow new ones"));
  g_signal_connect(self->sheet_newest, "clicked", G_CALLBACK(on_sheet_newest), self);
  gtk_box_append(GTK_BOX(bar), self->sheet_newest);
  self->sheet_actual = gtk_toggle_button_new_with_label(_("1:1"));
  gtk_widget_set_tooltip_text(self->sheet_actual,
                              _("Show the sheet pixel for pixel and scroll around it"));
  g_signal_connect(self->sheet_actual, "toggled", G_CALLBACK(on_sheet_actual), self);
  /* In a linked box so it takes the mode switches' checked look. */
  GtkWidget *actual_box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class(actual_box, "linked");
  gtk_box_append(GTK_BOX(actual_box), self->sheet_actual);
  gtk_box_append(GTK_BOX(bar), actual_box);
  gtk_box_append(GTK_BOX(page), bar);
  return page;
}

static GtkWidget *
build_preview(SrTrainGallery *self)
{
  GtkWidget *page = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);

  GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_add_css_class(bar, "toolbar-strip");
  GtkWidget *modes = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class(modes, "linked");
  self->mode_wipe =
      mode_button(self, _("Wipe"), _("Source left, output right; drag the line"), NULL, modes);
  self->mode_side = mode_button(self, _("Side by Side"), _("Source and output next to each other"),
                                self->mode_wipe, modes);
  self->mode_toggle = mode_button(self, _("Toggle"),
                                  _("One at a time: click again or press T to flip between the "
                                    "output and the Source"),
                                  self->mode_wipe, modes);
  g_signal_connect(self->mode_toggle, "clicked", G_CALLBACK(on_toggle_clicked), self);
  self->mode_difference = mode_button(self, _("Difference"),
                                      _("Output minus Source, amplified: what the network changed"),
                                      self->mode_wipe, modes);
  gtk_box_append(GTK_BOX(bar), modes);
  GtkWidget *spacer = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_set_hexpand(spacer, TRUE);
  gtk_box_append(GTK_BOX(bar), spacer);
  GtkWidget *ckpt_label = gtk_label_new(_("Checkpoint"));
  gtk_widget_add_css_class(ckpt_label, "dim-label");
  gtk_box_append(GTK_BOX(bar), ckpt_label);
  self->ckpt_model = gtk_string_list_new(NULL);
  self->ckpt_dropdown = gtk_drop_down_new(G_LIST_MODEL(self->ckpt_model), NULL);
  gtk_widget_set_tooltip_text(self->ckpt_dropdown,
                              _("The checkpoint whose preview is shown as B; the newest is "
                                "followed until you pick an earlier one"));
  g_signal_connect(self->ckpt_dropdown, "notify::selected", G_CALLBACK(on_ckpt_selected), self);
  gtk_box_append(GTK_BOX(bar), self->ckpt_dropdown);
  gtk_box_append(GTK_BOX(page), bar);

  self->preview_stack = gtk_stack_new();
  gtk_widget_set_vexpand(self->preview_stack, TRUE);
  self->preview_empty = gtk_label_new(NULL);
  gtk_label_set_wrap(GTK_LABEL(self->preview_empty), TRUE);
  gtk_label_set_justify(GTK_LABEL(self->preview_empty), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars(GTK_LABEL(self->preview_empty), 48);
  gtk_widget_add_css_class(self->preview_empty, "dim-label");
  gtk_stack_add_child(GTK_STACK(self->preview_stack), self->preview_empty);
  self->viewer = sr_viewer_new();
  gtk_widget_set_hexpand(self->viewer, TRUE);
  gtk_widget_set_vexpand(self->viewer, TRUE);
  gtk_widget_set_focusable(self->viewer, TRUE);
  sr_viewer_set_labels(SR_VIEWER(self->viewer), _("Source"), _("Output"));
  sr_viewer_set_show_labels(SR_VIEWER(self->viewer), TRUE);
  sr_viewer_set_mode(SR_VIEWER(self->viewer), SR_VIEWER_MODE_WIPE);
  g_signal_connect(self->viewer, "notify::mode", G_CALLBACK(on_viewer_mode), self);
  gtk_stack_add_child(GTK_STACK(self->preview_stack), self->viewer);
  gtk_box_append(GTK_BOX(page), self->preview_stack);

  self->preview_error = gtk_label_new(NULL);
  gtk_label_set_wrap(GTK_LABEL(self->preview_error), TRUE);
  gtk_label_set_xalign(GTK_LABEL(self->preview_error), 0);
  gtk_widget_add_css_class(self->preview_error, "field-error");
  gtk_widget_set_visible(self->preview_error, FALSE);
  gtk_box_append(GTK_BOX(page), self->preview_error);
  return page;
}

static GtkWidget *
build_monitors(SrTrainGallery *self)
{
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_box_set_homogeneous(GTK_BOX(row), TRUE);
  gtk_widget_add_css_class(row, "train-monitors");
  gtk_widget_set_margin_top(row, 6);
  for (int m = 0; m < SR_TRAIN_N_MONITORS; m++) {
    GtkWidget *pill = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_widget_add_css_class(pill, "train-monitor");
    GtkWidget *dot = gtk_label_new("●");
    gtk_widget_add_css_class(dot, "monitor-dot");
    gtk_box_append(GTK_BOX(pill), dot);
    GtkWidget *title = gtk_label_new(_(monitor_titles[m]));
    gtk_label_set_ellipsize(GTK_LABEL(title), PANGO_ELLIPSIZE_END);
    gtk_box_append(GTK_BOX(pill), title);
    self->monitor_value[m] = gtk_label_new("—");
    gtk_widget_set_hexpand(self->monitor_value[m], TRUE);
    gtk_label_set_xalign(GTK_LABEL(self->monitor_value[m]), 1);
    gtk_widget_add_css_class(self->monitor_value[m], "numeric");
    gtk_widget_add_css_class(self->monitor_value[m], "monitor-value");
    gtk_box_append(GTK_BOX(pill), self->monitor_value[m]);
    self->monitor_pill[m] = pill;
    gtk_box_append(GTK_BOX(row), pill);
  }
  return row;
}

static void
sr_train_gallery_init(SrTrainGallery *self)
{
  self->cancel = g_cancellable_new();
  self->sheets = g_array_new(FALSE, FALSE, sizeof(Sheet));
  g_array_set_clear_func(self->sheets, sheet_clear);
  self->previews = g_array_new(FALSE, FALSE, sizeof(Preview));
  g_array_set_clear_func(self->previews, preview_clear);
  self->shown_sheet = G_MAXUINT;
  self->shown_preview = G_MAXUINT;
  self->loaded_sheet_step = -1;
  self->loaded_preview_step = -1;
  self->source_frame = -1;
  self->source_space = SR_CS_REC709;
  self->matrix = SR_YCBCR_BT709;

  gtk_orientable_set_orientation(GTK_ORIENTABLE(self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing(GTK_BOX(self), 0);

  self->stack = gtk_stack_new();
  gtk_widget_set_vexpand(self->stack, TRUE);
  gtk_stack_set_transition_type(GTK_STACK(self->stack), GTK_STACK_TRANSITION_TYPE_NONE);
  gtk_stack_add_titled(GTK_STACK(self->stack), build_sheets(self), "sheets", _("Contact Sheets"));
  self->preview_page = gtk_stack_add_titled(GTK_STACK(self->stack), build_preview(self), "preview",
                                            _("Preview Frame"));
  /* In a toolbar strip so the page on show takes the mode switches' look. */
  self->switcher = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class(self->switcher, "toolbar-strip");
  GtkWidget *switcher = gtk_stack_switcher_new();
  gtk_stack_switcher_set_stack(GTK_STACK_SWITCHER(switcher), GTK_STACK(self->stack));
  gtk_widget_set_halign(switcher, GTK_ALIGN_START);
  gtk_box_append(GTK_BOX(self->switcher), switcher);
  gtk_box_append(GTK_BOX(self), self->switcher);
  gtk_box_append(GTK_BOX(self), self->stack);
  gtk_box_append(GTK_BOX(self), build_monitors(self));

  sync_sheets(self);
  sync_previews(self);
  sync_monitors(self);
  sync_mode_buttons(self);
}

/* ---- Public API ----------------------------------------------------------------- */

GtkWidget *
sr_train_gallery_new(void)
{
  return g_object_new(SR_TYPE_TRAIN_GALLERY, NULL);
}

void
sr_train_gallery_clear(SrTrainGallery *self)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  self->generation++;
  g_array_set_size(self->sheets, 0);
  g_array_set_size(self->previews, 0);
  self->shown_sheet = G_MAXUINT;
  self->shown_preview = G_MAXUINT;
  self->loaded_sheet_step = -1;
  self->loaded_preview_step = -1;
  g_clear_pointer(&self->loaded_sheet_path, g_free);
  g_clear_pointer(&self->loaded_preview_path, g_free);
  g_clear_pointer(&self->error, g_free);
  gtk_picture_set_paintable(GTK_PICTURE(self->sheet_picture), NULL);
  gtk_widget_set_visible(self->sheet_error, FALSE);
  gtk_widget_set_visible(self->preview_error, FALSE);
  sr_viewer_set_frame_b(SR_VIEWER(self->viewer), NULL);
  sr_viewer_set_labels(SR_VIEWER(self->viewer), _("Source"), _("Output"));
  sync_sheets(self);
  sync_previews(self);
  sync_monitors(self);
}

void
sr_train_gallery_set_preview_source(SrTrainGallery *self, const char *source_path, int frame)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  colour_from_project(self);
  if (g_strcmp0(source_path, self->source_path) == 0 && frame == self->source_frame &&
      (self->source || self->source_loading))
    return;
  g_free(self->source_path);
  self->source_path = g_strdup(source_path);
  self->source_frame = frame;
  self->source_generation++;
  self->source_failed = FALSE;
  g_clear_pointer(&self->source, sr_frame_unref);
  sr_viewer_set_frame_a(SR_VIEWER(self->viewer), NULL);
  sr_viewer_set_frame_number(SR_VIEWER(self->viewer), source_path ? frame : -1);
  gtk_widget_set_visible(self->preview_error, FALSE);
  for (guint i = 0; i < self->previews->len; i++) {
    Preview *p = preview_at(self, i);
    p->state = MEASURE_PENDING;
    g_clear_pointer(&p->error, g_free);
  }
  request_source(self);
  sync_previews(self);
  sync_monitors(self);
}

void
sr_train_gallery_add_contact_sheet(SrTrainGallery *self, gint64 step, const char *png_path)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  g_return_if_fail(png_path != NULL);
  add_sheet(self, step, png_path);
  sync_sheets(self);
  request_sheet(self);
}

void
sr_train_gallery_add_preview(SrTrainGallery *self, gint64 step, const char *exr_path)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  g_return_if_fail(exr_path != NULL);
  add_preview(self, step, exr_path);
  sync_previews(self);
  sync_monitors(self);
  request_preview(self);
  request_measure(self);
}

/* Step of a file named step_<digits><suffix>; FALSE for any other name. */
static gboolean
parse_step_name(const char *name, const char *suffix, gint64 *step)
{
  if (!g_str_has_prefix(name, "step_") || !g_str_has_suffix(name, suffix))
    return FALSE;
  const char *digits = name + 5;
  size_t n = strlen(digits) - strlen(suffix);
  if (n == 0 || n > 18)
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isdigit(digits[i]))
      return FALSE;
  *step = g_ascii_strtoll(digits, NULL, 10);
  return TRUE;
}

typedef struct {
  gint64 step;
  char *path;
} Found;

static int
found_cmp(gconstpointer a, gconstpointer b)
{
  gint64 x = ((const Found *)a)->step, y = ((const Found *)b)->step;
  return x < y ? -1 : x > y;
}

static GArray *
scan_steps(const char *dir, const char *suffix)
{
  GArray *found = g_array_new(FALSE, FALSE, sizeof(Found));
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    Found f;
    if (parse_step_name(name, suffix, &f.step)) {
      f.path = g_build_filename(dir, name, NULL);
      g_array_append_val(found, f);
    }
  }
  if (d)
    g_dir_close(d);
  g_array_sort(found, found_cmp);
  return found;
}

void
sr_train_gallery_load_dir(SrTrainGallery *self, const char *out_dir)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  g_return_if_fail(out_dir != NULL);
  g_autofree char *contact = g_build_filename(out_dir, "contact", NULL);
  g_autofree char *preview = g_build_filename(out_dir, "preview", NULL);
  GArray *sheets = scan_steps(contact, ".png");
  GArray *previews = scan_steps(preview, ".exr");

  for (guint i = 0; i < sheets->len; i++) {
    Found *f = &g_array_index(sheets, Found, i);
    add_sheet(self, f->step, f->path);
    g_free(f->path);
  }
  for (guint i = 0; i < previews->len; i++) {
    Found *f = &g_array_index(previews, Found, i);
    add_preview(self, f->step, f->path);
    g_free(f->path);
  }
  g_array_unref(sheets);
  g_array_unref(previews);
  sync_sheets(self);
  sync_previews(self);
  sync_monitors(self);
  request_sheet(self);
  request_preview(self);
  request_measure(self);
}

guint
sr_train_gallery_get_n_sheets(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), 0);
  return self->sheets->len;
}

guint
sr_train_gallery_get_n_previews(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), 0);
  return self->previews->len;
}

gint64
sr_train_gallery_get_shown_sheet_step(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), -1);
  return self->shown_sheet < self->sheets->len ? sheet_at(self, self->shown_sheet)->step : -1;
}

void
sr_train_gallery_show_sheet(SrTrainGallery *self, guint index)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  if (index >= self->sheets->len)
    return;
  self->shown_sheet = index;
  sync_sheets(self);
  request_sheet(self);
}

int
sr_train_gallery_get_monitor(SrTrainGallery *self, SrTrainMonitor monitor, double *value)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), -1);
  g_return_val_if_fail(monitor < SR_TRAIN_N_MONITORS, -1);
  Preview *p = shown_preview(self);
  if (!p || p->state != MEASURE_DONE) {
    if (value)
      *value = NAN;
    return -1;
  }
  if (value)
    *value = p->result.value[monitor];
  return p->result.pass[monitor] ? 1 : 0;
}

void
sr_train_gallery_set_colour(SrTrainGallery *self, sr_colourspace source_space,
                            sr_ycbcr_matrix matrix)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  self->colour_set = TRUE;
  apply_colour(self, source_space, matrix);
}

void
sr_train_gallery_set_sheet_interval(SrTrainGallery *self, gint64 every)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  self->sheet_every = MAX(every, 0);
  sync_sheets(self);
}

void
sr_train_gallery_set_page(SrTrainGallery *self, const char *name)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  if (g_strcmp0(name, "preview") == 0 && !gtk_stack_page_get_visible(self->preview_page))
    return;
  gtk_stack_set_visible_child_name(GTK_STACK(self->stack), name);
}

GtkWidget *
sr_train_gallery_get_viewer(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), NULL);
  return self->viewer;
}

gint64
sr_train_gallery_get_shown_preview_step(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), -1);
  Preview *p = shown_preview(self);
  return p ? p->step : -1;
}

void
sr_train_gallery_show_preview(SrTrainGallery *self, guint index)
{
  g_return_if_fail(SR_IS_TRAIN_GALLERY(self));
  if (index >= self->previews->len)
    return;
  self->shown_preview = index;
  sync_previews(self);
  sync_monitors(self);
  request_preview(self);
}

gint64
sr_train_gallery_get_loaded_sheet_step(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), -1);
  return self->loaded_sheet_step;
}

gboolean
sr_train_gallery_is_busy(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), FALSE);
  return self->sheet_loading || self->preview_loading || self->source_loading || self->measuring;
}

const char *
sr_train_gallery_get_error(SrTrainGallery *self)
{
  g_return_val_if_fail(SR_IS_TRAIN_GALLERY(self), NULL);
  return self->error;
}
