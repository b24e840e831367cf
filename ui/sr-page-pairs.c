/* sr-page-pairs.c — see sr-page-pairs.h. */
#include "sr-page-pairs-private.h"
#include "sr-pairs-sync.h"

#include <math.h>

#include <glib/gi18n.h>

#include "sr-filmstrip.h"
#include "sr-frame-cache.h"
#include "sr-io.h"
#include "sr-thumbnailer.h"
#include "sr-ui-util.h"
#include "sr-viewer.h"

/* Guide: 4–9 pairs per shot to start; 12–24 per scene. */
#define ADVISED_MIN 4
#define ADVISED_MAX 9
/* Residual shifts above this many pixels deserve a warning. */
#define SHIFT_WARN_PX 0.5

typedef struct {
  gboolean ok;
  gboolean sizes_differ; /* the Reference frame is not the Source's size */
  double dx, dy;
  char *error;
} Shift;

struct _SrPagePairs {
  SrStagePage parent_instance;

  GtkWidget *mode_source, *mode_reference, *mode_wipe, *mode_side, *mode_difference;
  GtkWidget *frame_label, *shift_label;
  GtkWidget *viewer_stack, *viewer_slot, *empty_label;
  GtkWidget *strips, *source_strip, *reference_strip;
  GtkWidget *timeline, *frame_spin;
  GtkAdjustment *timeline_adjustment;
  GtkWidget *current_title, *current_state;
  GtkWidget *pair_button, *held_button, *preview_button, *message;
  GtkWidget *advice, *pair_list, *held_label;

  GtkWidget *viewer;
  SrFrameCache *frames;     /* Source */
  SrFrameCache *ref_frames; /* Reference */
  SrThumbnailer *thumbnailer;

  /* What the sequences look like (from a worker). */
  char *source_abs, *reference_abs;
  int offset;
  char *map_text; /* the frame map the ranges were read for */
  gboolean have_range;
  int first, last;
  guint range_generation;
  guint range_jobs;

  int frame;
  GHashTable *shifts;        /* frame → Shift* */
  GHashTable *shift_pending; /* frame set */
  guint shift_generation;
  char *prep_key;
  gboolean syncing;
};

G_DEFINE_FINAL_TYPE(SrPagePairs, sr_page_pairs, SR_TYPE_STAGE_PAGE)

static SrProject *
project_of(SrPagePairs *self)
{
  return sr_stage_page_get_project(SR_STAGE_PAGE(self));
}

/* Busy while the sequences are read or misalignment is measured. */
static void
update_busy(SrPagePairs *self)
{
  sr_stage_page_set_busy(SR_STAGE_PAGE(self),
                         self->range_jobs > 0 || g_hash_table_size(self->shift_pending) > 0);
}

static void update_all(SrPagePairs *self);
static void show_frame(SrPagePairs *self);
static void ensure_shifts(SrPagePairs *self);

static void
shift_free(gpointer data)
{
  Shift *s = data;
  g_free(s->error);
  g_free(s);
}

/* ---- Sequence ranges (worker) --------------------------------------------- */

typedef struct {
  SrPagePairs *page;
  char *source, *reference;
  int offset;
  sr_frame_map map;
  guint generation;
  gboolean ok;
  int first, last;
  sr_sequence src, ref;
  char *error;
} RangeScan;

static void
range_scan_free(gpointer data)
{
  RangeScan *r = data;
  g_free(r->source);
  g_free(r->reference);
  g_free(r->error);
  sr_sequence_clear(&r->src);
  sr_sequence_clear(&r->ref);
  sr_frame_map_clear(&r->map);
  g_free(r);
}

static gboolean
range_thread(SrJob *job, gpointer data, GError **error)
{
  RangeScan *r = data;
  sr_sequence *src = &r->src, *ref = &r->ref;
  sr_error err = {0};

  if (!sr_sequence_open(src, r->source, &err) || !sr_sequence_open(ref, r->reference, &err)) {
    r->error = g_strdup(err.message);
    return TRUE;
  }
  sr_pairs_sync_range(&r->map, src, ref, &r->first, &r->last);
  if (r->first > r->last)
    r->error = g_strdup_printf(_("No Source frame has a Reference frame with offset %d: Source "
                                 "%d–%d, Reference %d–%d. Check the frame offset on the Project "
                                 "stage."),
                               r->offset, src->first, src->last, ref->first, ref->last);
  else
    r->ok = TRUE;
  return TRUE;
}

static void
on_range_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  RangeScan *r = sr_job_get_data(SR_JOB(source));
  SrPagePairs *self = r->page;

  self->range_jobs--;
  if (r->generation == self->range_generation) {
    self->have_range = r->ok;
    if (r->ok) {
      self->first = r->first;
      self->last = r->last;
      self->syncing = TRUE;
      gtk_adjustment_configure(self->timeline_adjustment, CLAMP(self->frame, r->first, r->last),
                               r->first, r->last, 1, 10, 0);
      self->syncing = FALSE;
      if (self->frame < r->first || self->frame > r->last) {
        const GArray *pairs = sr_project_get_pairs(project_of(self));
        self->frame =
            pairs->len ? CLAMP(g_array_index(pairs, int, 0), r->first, r->last) : r->first;
      }
      sr_frame_cache_set_sequence(self->frames, &r->src);
      sr_frame_cache_set_sequence(self->ref_frames, &r->ref);
      sr_filmstrip_set_current(SR_FILMSTRIP(self->source_strip), self->frame);
      sr_filmstrip_set_current(SR_FILMSTRIP(self->reference_strip), self->frame);
      self->syncing = TRUE;
      gtk_adjustment_set_value(self->timeline_adjustment, self->frame);
      self->syncing = FALSE;
      sr_filmstrip_set_range(SR_FILMSTRIP(self->source_strip), r->first, r->last, 0);
      sr_filmstrip_set_range(SR_FILMSTRIP(self->reference_strip), r->first, r->last, r->offset);
      gtk_stack_set_visible_child_name(GTK_STACK(self->viewer_stack), "viewer");
    } else {
      gtk_label_set_text(GTK_LABEL(self->empty_label), r->error);
      gtk_stack_set_visible_child_name(GTK_STACK(self->viewer_stack), "empty");
      sr_filmstrip_set_range(SR_FILMSTRIP(self->source_strip), 0, -1, 0);
      sr_filmstrip_set_range(SR_FILMSTRIP(self->reference_strip), 0, -1, 0);
    }
    update_all(self);
    show_frame(self);
    ensure_shifts(self);
  }
  /* A scan of an older generation still counted in range_jobs. */
  update_busy(self);
  g_object_unref(self);
}

/* Re-reads the sequence ranges when the patterns or the offset changed. */
static void
refresh_sequences(SrPagePairs *self)
{
  const char *src = sr_project_get_source_pattern(project_of(self));
  const char *ref = sr_project_get_reference_pattern(project_of(self));
  g_autofree char *src_abs = src && src[0] ? sr_project_resolve_path(project_of(self), src) : NULL;
  g_autofree char *ref_abs = ref && ref[0] ? sr_project_resolve_path(project_of(self), ref) : NULL;
  int offset = sr_project_get_reference_offset(project_of(self));
  g_autofree char *map_text = sr_pairs_sync_map_text(project_of(self));

  if (g_strcmp0(src_abs, self->source_abs) == 0 && g_strcmp0(ref_abs, self->reference_abs) == 0 &&
      g_strcmp0(map_text, self->map_text) == 0 && (self->have_range || self->range_jobs > 0))
    return;
  g_free(self->map_text);
  self->map_text = g_steal_pointer(&map_text);
  g_free(self->source_abs);
  g_free(self->reference_abs);
  self->source_abs = g_steal_pointer(&src_abs);
  self->reference_abs = g_steal_pointer(&ref_abs);
  self->offset = offset;
  self->have_range = FALSE;
  self->range_generation++;
  self->shift_generation++;
  g_hash_table_remove_all(self->shifts);
  g_hash_table_remove_all(self->shift_pending);
  update_busy(self);

  if (!self->source_abs || !self->reference_abs) {
    gtk_label_set_text(GTK_LABEL(self->empty_label),
                       _("Choose the Source and Reference sequences on the Project stage to pick "
                         "pairs."));
    gtk_stack_set_visible_child_name(GTK_STACK(self->viewer_stack), "empty");
    sr_filmstrip_set_range(SR_FILMSTRIP(self->source_strip), 0, -1, 0);
    sr_filmstrip_set_range(SR_FILMSTRIP(self->reference_strip), 0, -1, 0);
    return;
  }
  RangeScan *r = g_new0(RangeScan, 1);
  r->page = g_object_ref(self);
  r->source = g_strdup(self->source_abs);
  r->reference = g_strdup(self->reference_abs);
  r->offset = offset;
  sr_project_get_frame_map(project_of(self), &r->map);
  r->generation = self->range_generation;
  self->range_jobs++;
  update_busy(self);
  g_autoptr(SrJob) job = sr_job_new(_("Reading the sequences"), range_thread, r, range_scan_free);
  sr_ui_run_job(GTK_WIDGET(self), job, FALSE, on_range_done, NULL);
}

/* ---- Residual misalignment (worker) ----------------------------------------- */

typedef struct {
  SrPagePairs *page;
  char *source, *reference;
  int frame, ref_frame;
  sr_prep_settings prep;
  guint generation;
  Shift result;
} ShiftJob;

static void
shift_job_free(gpointer data)
{
  ShiftJob *s = data;
  g_free(s->source);
  g_free(s->reference);
  g_free(s->result.error);
  g_free(s);
}

static sr_image *
read_frame(const char *pattern, int frame, sr_error *err)
{
  sr_sequence seq = {0};
  sr_image *img;

  if (!sr_sequence_open(&seq, pattern, err))
    return NULL;
  img = sr_sequence_read(&seq, frame, err);
  sr_sequence_clear(&seq);
  return img;
}

/* Measured exactly as the pair checks measure it (sr_measure_misalignment:
 * the crops in linear light), so the Pairs and Crop stages quote the same
 * number. */
static gboolean
shift_thread(SrJob *job, gpointer data, GError **error)
{
  ShiftJob *s = data;
  sr_error err = {0};
  sr_image *a = read_frame(s->source, s->frame, &err);
  sr_image *b = a ? read_frame(s->reference, s->ref_frame, &err) : NULL;

  if (a && b && (a->width != b->width || a->height != b->height)) {
    /* Named as the Project stage names it, not as an unknown shift. */
    sr_image_info ai = {.width = a->width, .height = a->height};
    sr_image_info bi = {.width = b->width, .height = b->height};
    s->result.sizes_differ = TRUE;
    s->result.error = sr_project_describe_size_mismatch(&ai, &bi);
  } else if (a && b) {
    s->result.ok = sr_measure_misalignment(a, b, &s->prep, &s->result.dx, &s->result.dy, &err);
  }
  if (!s->result.ok && !s->result.error)
    s->result.error = g_strdup(err.message);
  sr_image_free(a);
  sr_image_free(b);
  return TRUE;
}

static void
on_shift_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  ShiftJob *s = sr_job_get_data(SR_JOB(source));
  SrPagePairs *self = s->page;

  if (s->generation == self->shift_generation) {
    Shift *copy = g_new0(Shift, 1);
    *copy = s->result;
    s->result.error = NULL;
    g_hash_table_remove(self->shift_pending, GINT_TO_POINTER(s->frame));
    g_hash_table_insert(self->shifts, GINT_TO_POINTER(s->frame), copy);
    update_all(self);
  }
  update_busy(self);
  g_object_unref(self);
}

static void
ensure_shifts(SrPagePairs *self)
{
  const GArray *pairs = sr_project_get_pairs(project_of(self));

  if (!self->have_range)
    return;
  for (guint i = 0; i < pairs->len; i++) {
    int frame = g_array_index(pairs, int, i);
    gpointer key = GINT_TO_POINTER(frame);
    if (g_hash_table_contains(self->shifts, key) || g_hash_table_contains(self->shift_pending, key))
      continue;
    ShiftJob *s = g_new0(ShiftJob, 1);
    s->page = g_object_ref(self);
    s->source = g_strdup(self->source_abs);
    s->reference = g_strdup(self->reference_abs);
    s->frame = frame;
    s->ref_frame = sr_project_reference_frame(project_of(self), frame);
    sr_project_get_prep_settings(project_of(self), &s->prep);
    s->generation = self->shift_generation;
    g_hash_table_add(self->shift_pending, key);
    update_busy(self);
    g_autoptr(SrJob) job = sr_job_new(_("Measuring misalignment"), shift_thread, s, shift_job_free);
    sr_ui_run_job(GTK_WIDGET(self), job, FALSE, on_shift_done, NULL);
  }
}

static char *
shift_text(const Shift *s)
{
  if (!s->ok)
    return g_strdup(s->sizes_differ ? _("sizes differ") : _("shift unknown"));
  return g_strdup_printf(_("%.2f px"), hypot(s->dx, s->dy));
}

/* ---- Viewer and thumbnails ------------------------------------------------- */

static SrViewer *
viewer(SrPagePairs *self)
{
  return SR_VIEWER(self->viewer);
}

static void
on_source_frame_ready(SrFrameCache *cache, int number, SrFrame *frame, SrPagePairs *self)
{
  if (number == self->frame)
    sr_viewer_set_frame_a(viewer(self), frame);
}

static void
on_reference_frame_ready(SrFrameCache *cache, int number, SrFrame *frame, SrPagePairs *self)
{
  if (number == sr_project_reference_frame(project_of(self), self->frame))
    sr_viewer_set_frame_b(viewer(self), frame);
}

static void
on_frame_failed(SrFrameCache *cache, int number, const char *message, SrPagePairs *self)
{
  gtk_label_set_text(GTK_LABEL(self->message), message);
  gtk_widget_set_visible(self->message, TRUE);
}

/* Asks both caches for the current frame; the viewer updates when they answer. */
static void
show_frame(SrPagePairs *self)
{
  if (!self->have_range || !self->frames)
    return;
  sr_viewer_set_frame_number(viewer(self), self->frame);
  sr_frame_cache_show(self->frames, self->frame);
  int ref = sr_project_reference_frame(project_of(self), self->frame);
  if (ref != SR_NO_FRAME)
    sr_frame_cache_show(self->ref_frames, ref);
}

typedef struct {
  GtkPicture *picture;
  int frame;
} ThumbRequest;

static void
on_thumb_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  ThumbRequest *req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture =
      sr_thumbnailer_load_finish(SR_THUMBNAILER(source), result, &error);

  if (texture && sr_filmstrip_picture_frame(req->picture) == req->frame)
    gtk_picture_set_paintable(req->picture, GDK_PAINTABLE(texture));
  else if (!texture && sr_filmstrip_picture_frame(req->picture) == req->frame)
    gtk_widget_set_tooltip_text(GTK_WIDGET(req->picture), error->message);
  g_object_unref(req->picture);
  g_free(req);
}

static void
request_thumb(SrFilmstrip *strip, int frame, GtkPicture *picture, gpointer user_data)
{
  SrPagePairs *self = user_data;
  gboolean is_source = GTK_WIDGET(strip) == self->source_strip;
  const char *pattern = is_source ? self->source_abs : self->reference_abs;
  int file_frame = is_source ? frame : sr_project_reference_frame(project_of(self), frame);
  sr_colourspace cs = is_source ? sr_project_get_source_colourspace(project_of(self))
                                : sr_project_get_reference_colourspace(project_of(self));
  g_autofree char *path = NULL;
  g_autoptr(GdkTexture) cached = NULL;

  if (!pattern || !self->thumbnailer)
    return;
  path = sr_pattern_format(pattern, file_frame);
  /* Not a frame pattern: one image, or a movie whose frame the thumbnailer
   * decodes. */
  int movie_frame = path ? -1 : file_frame;
  if (!path)
    path = g_strdup(pattern);
  gtk_widget_set_tooltip_text(GTK_WIDGET(picture), NULL);
  cached = sr_thumbnailer_lookup_frame(self->thumbnailer, path, movie_frame, cs, 0);
  if (cached) {
    gtk_picture_set_paintable(picture, GDK_PAINTABLE(cached));
    return;
  }
  ThumbRequest *req = g_new0(ThumbRequest, 1);
  req->picture = g_object_ref(picture);
  req->frame = frame;
  sr_thumbnailer_load_frame_async(self->thumbnailer, path, movie_frame, cs, 0, NULL, on_thumb_done,
                                  req);
}

/* The Reference frame the map gives, or a dash for a field-mixed one. */
static char *
reference_caption(int frame, gpointer user_data)
{
  SrPagePairs *self = user_data;
  SrProject *project = project_of(self);
  int ref = project ? sr_project_reference_frame(project, frame) : SR_NO_FRAME;
  return ref == SR_NO_FRAME ? g_strdup("–") : g_strdup_printf("%d", ref);
}

static guint
frame_marks(int frame, gpointer user_data)
{
  SrPagePairs *self = user_data;
  guint marks = 0;

  if (!project_of(self))
    return 0;
  if (sr_project_has_pair(project_of(self), frame))
    marks |= SR_FILMSTRIP_MARK_PAIR;
  if (sr_project_is_held_out(project_of(self), frame))
    marks |= SR_FILMSTRIP_MARK_HELD_OUT;
  if (sr_project_get_preview_frame(project_of(self)) == frame)
    marks |= SR_FILMSTRIP_MARK_PREVIEW;
  return marks;
}

/* ---- Panel ------------------------------------------------------------------ */

static void
set_message(SrPagePairs *self, const char *text)
{
  gtk_label_set_text(GTK_LABEL(self->message), text ? text : "");
  gtk_widget_set_visible(self->message, text != NULL);
}

static void
on_pair_row_activated(GtkListBox *list, GtkListBoxRow *row, SrPagePairs *self)
{
  sr_page_pairs_set_frame(self, GPOINTER_TO_INT(g_object_get_data(G_OBJECT(row), "frame")));
}

static void
rebuild_pair_list(SrPagePairs *self)
{
  const GArray *pairs = sr_project_get_pairs(project_of(self));
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child(self->pair_list)))
    gtk_list_box_remove(GTK_LIST_BOX(self->pair_list), child);
  for (guint i = 0; i < pairs->len; i++) {
    int frame = g_array_index(pairs, int, i);
    Shift *shift = g_hash_table_lookup(self->shifts, GINT_TO_POINTER(frame));
    GtkWidget *row = gtk_list_box_row_new();
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
    g_autofree char *name = g_strdup_printf(_("Frame %d"), frame);
    GtkWidget *label = gtk_label_new(name);
    GtkWidget *value;

    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_widget_set_hexpand(label, TRUE);
    gtk_widget_add_css_class(label, "numeric");
    if (shift) {
      g_autofree char *text = shift_text(shift);
      value = gtk_label_new(text);
      if (!shift->ok) {
        gtk_widget_add_css_class(value, "status-warn");
        gtk_widget_set_tooltip_text(row, shift->error);
      } else {
        gboolean warn = hypot(shift->dx, shift->dy) > SHIFT_WARN_PX;
        g_autofree char *tip = g_strdup_printf(
            warn ? _("Residual shift %.2f, %.2f px: above %.1f px, check the alignment in the "
                     "difference view")
                 : _("Residual shift %.2f, %.2f px"),
            shift->dx, shift->dy, SHIFT_WARN_PX);
        gtk_widget_add_css_class(value, warn ? "status-warn" : "status-pass");
        gtk_widget_set_tooltip_text(row, tip);
      }
    } else {
      value = gtk_label_new(self->have_range ? _("measuring…") : "—");
      gtk_widget_add_css_class(value, "dim-label");
    }
    gtk_widget_add_css_class(value, "numeric");
    gtk_box_append(GTK_BOX(box), label);
    gtk_box_append(GTK_BOX(box), value);
    gtk_widget_add_css_class(row, "pair-row");
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
    g_object_set_data(G_OBJECT(row), "frame", GINT_TO_POINTER(frame));
    gtk_list_box_append(GTK_LIST_BOX(self->pair_list), row);
  }
  gtk_widget_set_visible(self->pair_list, pairs->len > 0);
}

static char *
advice_text(guint n)
{
  if (n == 0)
    return g_strdup(_("No pairs yet. The guide advises 4–9 per shot to start, covering fabric, "
                      "foliage, skin, hard edges, deep shadows and highlights."));
  if (n < ADVISED_MIN)
    return g_strdup_printf(ngettext("%u pair: add at least %u more (the guide advises 4–9 per "
                                    "shot to start).",
                                    "%u pairs: add at least %u more (the guide advises 4–9 per "
                                    "shot to start).",
                                    n),
                           n, ADVISED_MIN - n);
  if (n <= ADVISED_MAX)
    return g_strdup_printf(_("%u pairs: within the guide's 4–9 per shot to start. Grow the set "
                             "(4 → 7 → 11) when results lack a texture."),
                           n);
  return g_strdup_printf(_("%u pairs: more than a shot needs to start (4–9); 12–24 suit a "
                           "scene."),
                         n);
}

static void
update_all(SrPagePairs *self)
{
  SrProject *p = project_of(self);
  gboolean can = p && self->have_range;
  gboolean is_pair, is_held, is_preview;
  g_autofree char *title = NULL, *frames = NULL, *advice = NULL, *held = NULL;
  const GArray *held_out;
  int preview;

  gtk_widget_set_sensitive(GTK_WIDGET(self), p != NULL);
  if (!p)
    return;

  is_pair = can && sr_project_has_pair(p, self->frame);
  is_held = can && sr_project_is_held_out(p, self->frame);
  preview = sr_project_get_preview_frame(p);
  is_preview = can && preview == self->frame;

  gtk_widget_action_set_enabled(GTK_WIDGET(self), "pairs.toggle-pair", can && !is_held);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "pairs.toggle-held-out", can && !is_pair);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "pairs.set-preview", can && !is_preview);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "pairs.previous",
                                can && self->frame > self->first);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "pairs.next", can && self->frame < self->last);
  gtk_button_set_label(GTK_BUTTON(self->pair_button), is_pair ? _("Remove Pair") : _("Add Pair"));
  sr_ui_set_class(self->pair_button, "suggested-action", !is_pair);
  gtk_button_set_label(GTK_BUTTON(self->held_button),
                       is_held ? _("Return to Training") : _("Hold Out"));
  gtk_widget_set_visible(self->pair_button, can);
  gtk_widget_set_visible(self->strips, can);
  gtk_widget_set_visible(gtk_widget_get_parent(self->held_button), can);

  if (can) {
    title = g_strdup_printf(_("Frame %d"), self->frame);
    frames = sr_page_pairs_describe_frames(project_of(self), self->frame);
    const char *state = is_pair      ? _("A training pair.")
                        : is_held    ? _("Held out: used for validation only, never for training.")
                        : is_preview ? _("The preview frame, shown at each checkpoint.")
                                     : _("Not used yet.");
    gtk_label_set_text(GTK_LABEL(self->current_state), state);
  } else {
    title = g_strdup(_("No frames"));
    gtk_label_set_text(GTK_LABEL(self->current_state), "");
  }
  gtk_label_set_text(GTK_LABEL(self->current_title), title);
  gtk_label_set_text(GTK_LABEL(self->frame_label), frames ? frames : "");
  gtk_widget_set_tooltip_text(self->frame_label, frames && *frames ? frames : NULL);

  Shift *shift = is_pair ? g_hash_table_lookup(self->shifts, GINT_TO_POINTER(self->frame)) : NULL;
  if (shift && shift->ok) {
    g_autofree char *text = g_strdup_printf(_("Shift %.2f px"), hypot(shift->dx, shift->dy));
    g_autofree char *tip = g_strdup_printf(_("Residual misalignment of the Reference: %.2f px "
                                             "across, %.2f px down"),
                                           shift->dx, shift->dy);
    gtk_label_set_text(GTK_LABEL(self->shift_label), text);
    gtk_widget_set_tooltip_text(self->shift_label, tip);
    sr_ui_set_class(self->shift_label, "status-warn", hypot(shift->dx, shift->dy) > SHIFT_WARN_PX);
  } else if (shift) {
    gtk_label_set_text(GTK_LABEL(self->shift_label), _("Shift not measured"));
    gtk_widget_set_tooltip_text(self->shift_label, shift->error);
    sr_ui_set_class(self->shift_label, "status-warn", TRUE);
  } else {
    gtk_label_set_text(GTK_LABEL(self->shift_label), is_pair ? _("Measuring misalignment…") : "");
    sr_ui_set_class(self->shift_label, "status-warn", FALSE);
  }

  const GArray *pairs = sr_project_get_pairs(p);
  advice = advice_text(pairs->len);
  gtk_label_set_text(GTK_LABEL(self->advice), advice);
  sr_ui_set_class(self->advice, "field-warning", pairs->len < ADVISED_MIN);
  sr_ui_set_class(self->advice, "field-ok", pairs->len >= ADVISED_MIN && pairs->len <= ADVISED_MAX);

  held_out = sr_project_get_held_out(p);
  GString *text = g_string_new(NULL);
  if (held_out->len == 0)
    g_string_append(text, _("No frame held out."));
  else {
    g_string_append(text, _("Held out: "));
    for (guint i = 0; i < held_out->len; i++)
      g_string_append_printf(text, "%s%d", i ? ", " : "", g_array_index(held_out, int, i));
    g_string_append(text, ".");
  }
  if (preview >= 0)
    g_string_append_printf(text, _("\nPreview frame: %d."), preview);
  else
    g_string_append(text, _("\nNo preview frame chosen."));
  gtk_label_set_text(GTK_LABEL(self->held_label), text->str);
  g_string_free(text, TRUE);

  /* Pairs as ticks on the timeline, so gaps in coverage show at a glance. */
  gtk_scale_clear_marks(GTK_SCALE(self->timeline));
  for (guint i = 0; can && i < pairs->len; i++)
    gtk_scale_add_mark(GTK_SCALE(self->timeline), g_array_index(pairs, int, i), GTK_POS_BOTTOM,
                       NULL);

  rebuild_pair_list(self);
  sr_filmstrip_update_marks(SR_FILMSTRIP(self->source_strip));
  sr_filmstrip_update_marks(SR_FILMSTRIP(self->reference_strip));
}

/* ---- Frame navigation ------------------------------------------------------ */

int
sr_page_pairs_get_frame(SrPagePairs *self)
{
  g_return_val_if_fail(SR_IS_PAGE_PAIRS(self), -1);
  return self->have_range ? self->frame : -1;
}

void
sr_page_pairs_set_frame(SrPagePairs *self, int frame)
{
  g_return_if_fail(SR_IS_PAGE_PAIRS(self));
  if (!self->have_range)
    return;
  frame = CLAMP(frame, self->first, self->last);
  if (frame != self->frame)
    set_message(self, NULL);
  self->frame = frame;
  self->syncing = TRUE;
  gtk_adjustment_set_value(self->timeline_adjustment, frame);
  self->syncing = FALSE;
  sr_filmstrip_set_current(SR_FILMSTRIP(self->source_strip), frame);
  sr_filmstrip_set_current(SR_FILMSTRIP(self->reference_strip), frame);
  update_all(self);
  show_frame(self);
}

static void
on_timeline_changed(GtkAdjustment *adjustment, SrPagePairs *self)
{
  if (!self->syncing)
    sr_page_pairs_set_frame(self, (int)lround(gtk_adjustment_get_value(adjustment)));
}

static void
on_strip_frame_activated(SrFilmstrip *strip, int frame, SrPagePairs *self)
{
  sr_page_pairs_set_frame(self, frame);
}

/* ---- Edits ------------------------------------------------------------------ */

gboolean
sr_page_pairs_toggle_pair(SrPagePairs *self, GError **error)
{
  GError *local = NULL;

  g_return_val_if_fail(SR_IS_PAGE_PAIRS(self), FALSE);
  if (!project_of(self) || !self->have_range) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                        _("The sequences are not known yet."));
    return FALSE;
  }
  if (sr_project_has_pair(project_of(self), self->frame)) {
    sr_project_remove_pair(project_of(self), self->frame);
    set_message(self, NULL);
    return TRUE;
  }
  if (!sr_project_add_pair(project_of(self), self->frame, &local)) {
    set_message(self, local->message);
    g_propagate_error(error, local);
    return FALSE;
  }
  set_message(self, NULL);
  return TRUE;
}

gboolean
sr_page_pairs_toggle_held_out(SrPagePairs *self, GError **error)
{
  GError *local = NULL;

  g_return_val_if_fail(SR_IS_PAGE_PAIRS(self), FALSE);
  if (!project_of(self) || !self->have_range) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                        _("The sequences are not known yet."));
    return FALSE;
  }
  if (sr_project_is_held_out(project_of(self), self->frame)) {
    sr_project_remove_held_out(project_of(self), self->frame);
    set_message(self, NULL);
    return TRUE;
  }
  if (sr_project_has_pair(project_of(self), self->frame)) {
    g_set_error(&local, G_IO_ERROR, G_IO_ERROR_EXISTS,
                _("Frame %d is a training pair: remove the pair before holding it out."),
                self->frame);
  } else if (!sr_project_add_held_out(project_of(self), self->frame, &local)) {
    /* local set by the project */
  } else {
    set_message(self, NULL);
    return TRUE;
  }
  set_message(self, local->message);
  g_propagate_error(error, local);
  return FALSE;
}

gboolean
sr_page_pairs_set_preview(SrPagePairs *self, GError **error)
{
  GError *local = NULL;

  g_return_val_if_fail(SR_IS_PAGE_PAIRS(self), FALSE);
  if (!project_of(self) || !self->have_range) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                        _("The sequences are not known yet."));
    return FALSE;
  }
  if (!sr_project_set_preview_frame(project_of(self), self->frame, &local)) {
    set_message(self, local->message);
    g_propagate_error(error, local);
    return FALSE;
  }
  set_message(self, NULL);
  return TRUE;
}

gboolean
sr_page_pairs_get_shift(SrPagePairs *self, int frame, double *dx, double *dy)
{
  g_return_val_if_fail(SR_IS_PAGE_PAIRS(self), FALSE);
  Shift *s = g_hash_table_lookup(self->shifts, GINT_TO_POINTER(frame));
  if (!s || !s->ok)
    return FALSE;
  if (dx)
    *dx = s->dx;
  if (dy)
    *dy = s->dy;
  return TRUE;
}

const char *
sr_page_pairs_get_shift_error(SrPagePairs *self, int frame)
{
  g_return_val_if_fail(SR_IS_PAGE_PAIRS(self), NULL);
  Shift *s = g_hash_table_lookup(self->shifts, GINT_TO_POINTER(frame));
  return s && !s->ok ? s->error : NULL;
}

GtkWidget *
sr_page_pairs_get_viewer(SrPagePairs *self)
{
  g_return_val_if_fail(SR_IS_PAGE_PAIRS(self), NULL);
  return self->viewer;
}

/* ---- Actions ---------------------------------------------------------------- */

static void
action_toggle_pair(GtkWidget *widget, const char *name, GVariant *param)
{
  sr_page_pairs_toggle_pair(SR_PAGE_PAIRS(widget), NULL);
}

static void
action_toggle_held_out(GtkWidget *widget, const char *name, GVariant *param)
{
  sr_page_pairs_toggle_held_out(SR_PAGE_PAIRS(widget), NULL);
}

static void
action_set_preview(GtkWidget *widget, const char *name, GVariant *param)
{
  sr_page_pairs_set_preview(SR_PAGE_PAIRS(widget), NULL);
}

static void
action_step(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPagePairs *self = SR_PAGE_PAIRS(widget);
  int step = g_variant_get_int32(param);

  if (step == G_MININT32)
    sr_page_pairs_set_frame(self, self->first);
  else if (step == G_MAXINT32)
    sr_page_pairs_set_frame(self, self->last);
  else
    sr_page_pairs_set_frame(self, self->frame + step);
}

static void
action_previous(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPagePairs *self = SR_PAGE_PAIRS(widget);
  sr_page_pairs_set_frame(self, self->frame - 1);
}

static void
action_next(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPagePairs *self = SR_PAGE_PAIRS(widget);
  sr_page_pairs_set_frame(self, self->frame + 1);
}

static void
action_mode(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPagePairs *self = SR_PAGE_PAIRS(widget);
  GtkWidget *buttons[] = {self->mode_source, self->mode_reference, self->mode_wipe, self->mode_side,
                          self->mode_difference};
  int mode = g_variant_get_int32(param);

  if (mode >= 0 && mode < (int)G_N_ELEMENTS(buttons))
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(buttons[mode]), TRUE);
}

/* T: Source ↔ Reference (from a two-picture mode, to the Source). */
static void
action_toggle(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPagePairs *self = SR_PAGE_PAIRS(widget);
  gboolean on_source = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(self->mode_source));

  action_mode(widget, "pairs.mode", g_variant_new_int32(on_source ? 1 : 0));
}

static void
on_mode_toggled(GtkToggleButton *button, SrPagePairs *self)
{
  if (!gtk_toggle_button_get_active(button))
    return;
  if (GTK_WIDGET(button) == self->mode_source)
    sr_viewer_set_mode(viewer(self), SR_VIEWER_MODE_A);
  else if (GTK_WIDGET(button) == self->mode_reference)
    sr_viewer_set_mode(viewer(self), SR_VIEWER_MODE_B);
  else if (GTK_WIDGET(button) == self->mode_wipe)
    sr_viewer_set_mode(viewer(self), SR_VIEWER_MODE_WIPE);
  else if (GTK_WIDGET(button) == self->mode_side)
    sr_viewer_set_mode(viewer(self), SR_VIEWER_MODE_SIDE_BY_SIDE);
  else
    sr_viewer_set_mode(viewer(self), SR_VIEWER_MODE_DIFFERENCE);
}

/* ---- Project ---------------------------------------------------------------- */

/* The measured shifts depend on the preprocessing: forget them when it changes. */
static void
check_prep(SrPagePairs *self)
{
  sr_prep_settings prep;
  g_autofree char *key = NULL;

  sr_project_get_prep_settings(project_of(self), &prep);
  key = g_strdup_printf("%d %d %d,%d,%d,%d %d %d", prep.source_space, prep.reference_space,
                        prep.crop.x, prep.crop.y, prep.crop.w, prep.crop.h, prep.prefilter,
                        prep.matrix);
  if (g_strcmp0(key, self->prep_key) == 0)
    return;
  g_free(self->prep_key);
  self->prep_key = g_steal_pointer(&key);
  self->shift_generation++;
  g_hash_table_remove_all(self->shifts);
  g_hash_table_remove_all(self->shift_pending);
  update_busy(self);
}

static void
sr_page_pairs_project_changed(SrStagePage *page, const char *description)
{
  SrPagePairs *self = SR_PAGE_PAIRS(page);

  check_prep(self);
  refresh_sequences(self);
  sr_viewer_set_colourspace(viewer(self), sr_project_get_source_colourspace(project_of(self)));
  update_all(self);
  ensure_shifts(self);
}

static void
sr_page_pairs_project_set(SrStagePage *page, SrProject *project)
{
  SrPagePairs *self = SR_PAGE_PAIRS(page);

  g_clear_pointer(&self->source_abs, g_free);
  g_clear_pointer(&self->reference_abs, g_free);
  self->have_range = FALSE;
  self->range_generation++;
  self->shift_generation++;
  g_hash_table_remove_all(self->shifts);
  g_hash_table_remove_all(self->shift_pending);
  update_busy(self);
  g_clear_pointer(&self->prep_key, g_free);
  self->frame = G_MININT;
  sr_viewer_set_frames(viewer(self), NULL, NULL);
  if (project)
    sr_page_pairs_project_changed(page, NULL);
  update_all(self);
}

/* ---- GObject ---------------------------------------------------------------- */

static void
sr_page_pairs_dispose(GObject *object)
{
  SrPagePairs *self = SR_PAGE_PAIRS(object);

  if (self->frames)
    g_signal_handlers_disconnect_by_data(self->frames, self);
  if (self->ref_frames)
    g_signal_handlers_disconnect_by_data(self->ref_frames, self);
  g_clear_object(&self->frames);
  g_clear_object(&self->ref_frames);
  g_clear_object(&self->thumbnailer);
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_PAIRS);
  G_OBJECT_CLASS(sr_page_pairs_parent_class)->dispose(object);
}

static void
sr_page_pairs_finalize(GObject *object)
{
  SrPagePairs *self = SR_PAGE_PAIRS(object);

  g_hash_table_unref(self->shifts);
  g_hash_table_unref(self->shift_pending);
  g_free(self->source_abs);
  g_free(self->reference_abs);
  g_free(self->map_text);
  g_free(self->prep_key);
  G_OBJECT_CLASS(sr_page_pairs_parent_class)->finalize(object);
}

static void
sr_page_pairs_map(GtkWidget *widget)
{
  SrPagePairs *self = SR_PAGE_PAIRS(widget);

  GTK_WIDGET_CLASS(sr_page_pairs_parent_class)->map(widget);
  /* Keys p and h work as soon as the page shows. */
  if (!gtk_widget_has_focus(self->viewer))
    gtk_widget_grab_focus(self->viewer);
}

static void
sr_page_pairs_class_init(SrPagePairsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  SrStagePageClass *page_class = SR_STAGE_PAGE_CLASS(klass);

  object_class->dispose = sr_page_pairs_dispose;
  object_class->finalize = sr_page_pairs_finalize;
  widget_class->map = sr_page_pairs_map;
  page_class->project_set = sr_page_pairs_project_set;
  page_class->project_changed = sr_page_pairs_project_changed;

  g_type_ensure(SR_TYPE_FILMSTRIP);
  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-pairs.ui");
#define BIND(name) gtk_widget_class_bind_template_child(widget_class, SrPagePairs, name)
  BIND(mode_source);
  BIND(mode_reference);
  BIND(mode_wipe);
  BIND(mode_side);
  BIND(mode_difference);
  BIND(frame_label);
  BIND(shift_label);
  BIND(viewer_stack);
  BIND(viewer_slot);
  BIND(empty_label);
  BIND(strips);
  BIND(source_strip);
  BIND(reference_strip);
  BIND(timeline);
  BIND(timeline_adjustment);
  BIND(frame_spin);
  BIND(current_title);
  BIND(current_state);
  BIND(pair_button);
  BIND(held_button);
  BIND(preview_button);
  BIND(message);
  BIND(advice);
  BIND(pair_list);
  BIND(held_label);
#undef BIND

  gtk_widget_class_install_action(widget_class, "pairs.toggle-pair", NULL, action_toggle_pair);
  gtk_widget_class_install_action(widget_class, "pairs.toggle-held-out", NULL,
                                  action_toggle_held_out);
  gtk_widget_class_install_action(widget_class, "pairs.set-preview", NULL, action_set_preview);
  gtk_widget_class_install_action(widget_class, "pairs.previous", NULL, action_previous);
  gtk_widget_class_install_action(widget_class, "pairs.next", NULL, action_next);
  gtk_widget_class_install_action(widget_class, "pairs.find-match", NULL,
                                  sr_pairs_sync_action_find_match);
  gtk_widget_class_install_action(widget_class, "pairs.step", "i", action_step);
  gtk_widget_class_install_action(widget_class, "pairs.mode", "i", action_mode);
  gtk_widget_class_install_action(widget_class, "pairs.toggle", NULL, action_toggle);
}

static void
sr_page_pairs_init(SrPagePairs *self)
{
  GtkWidget *modes[5];

  gtk_widget_init_template(GTK_WIDGET(self));
  self->shifts = g_hash_table_new_full(NULL, NULL, NULL, shift_free);
  self->shift_pending = g_hash_table_new(NULL, NULL);
  self->frame = G_MININT;

  GtkShortcutController *keys = sr_ui_page_keys_new(GTK_WIDGET(self), "pairs-keys");
  sr_ui_page_key(keys, GDK_KEY_p, "pairs.toggle-pair", NULL);
  sr_ui_page_key(keys, GDK_KEY_h, "pairs.toggle-held-out", NULL);
  sr_ui_page_key(keys, GDK_KEY_Left, "pairs.previous", NULL);
  sr_ui_page_key(keys, GDK_KEY_Right, "pairs.next", NULL);
  sr_ui_page_jump_keys(keys, "pairs.step");
  sr_ui_page_key(keys, GDK_KEY_t, "pairs.toggle", NULL);
  sr_ui_page_key(keys, GDK_KEY_w, "pairs.mode", g_variant_new_int32(2));
  sr_ui_page_key(keys, GDK_KEY_s, "pairs.mode", g_variant_new_int32(3));
  sr_ui_page_key(keys, GDK_KEY_d, "pairs.mode", g_variant_new_int32(4));

  self->viewer = sr_viewer_new();
  gtk_widget_set_vexpand(self->viewer, TRUE);
  gtk_widget_set_hexpand(self->viewer, TRUE);
  gtk_widget_set_focusable(self->viewer, TRUE);
  sr_viewer_set_labels(SR_VIEWER(self->viewer), _("A: Source"), _("B: Reference"));
  sr_viewer_set_show_labels(SR_VIEWER(self->viewer), TRUE);
  gtk_box_append(GTK_BOX(self->viewer_slot), self->viewer);

  self->frames = sr_frame_cache_new(256u << 20);
  self->ref_frames = sr_frame_cache_new(256u << 20);
  g_signal_connect(self->frames, "frame-ready", G_CALLBACK(on_source_frame_ready), self);
  g_signal_connect(self->ref_frames, "frame-ready", G_CALLBACK(on_reference_frame_ready), self);
  g_signal_connect(self->frames, "frame-failed", G_CALLBACK(on_frame_failed), self);
  g_signal_connect(self->ref_frames, "frame-failed", G_CALLBACK(on_frame_failed), self);
  self->thumbnailer = g_object_ref(sr_thumbnailer_get_default());

  sr_filmstrip_set_funcs(SR_FILMSTRIP(self->source_strip), request_thumb, frame_marks, self);
  sr_filmstrip_set_funcs(SR_FILMSTRIP(self->reference_strip), request_thumb, frame_marks, self);
  sr_filmstrip_set_caption_func(SR_FILMSTRIP(self->reference_strip), reference_caption);
  g_signal_connect(self->source_strip, "frame-activated", G_CALLBACK(on_strip_frame_activated),
                   self);
  g_signal_connect(self->reference_strip, "frame-activated", G_CALLBACK(on_strip_frame_activated),
                   self);
  g_signal_connect(self->timeline_adjustment, "value-changed", G_CALLBACK(on_timeline_changed),
                   self);
  g_signal_connect(self->pair_list, "row-activated", G_CALLBACK(on_pair_row_activated), self);

  modes[0] = self->mode_source;
  modes[1] = self->mode_reference;
  modes[2] = self->mode_wipe;
  modes[3] = self->mode_side;
  modes[4] = self->mode_difference;
  for (int i = 0; i < 5; i++)
    g_signal_connect(modes[i], "toggled", G_CALLBACK(on_mode_toggled), self);
  gtk_widget_set_sensitive(GTK_WIDGET(self), FALSE);
}
