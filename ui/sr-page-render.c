/* sr-page-render.c — see sr-page-render.h. */
#include "sr-page-render.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-checkpoint.h"
#include "sr-delivery.h"
#include "sr-filmstrip.h"
#include "sr-frame-cache.h"
#include "sr-io.h"
#include "sr-page-pairs.h"
#include "sr-render.h"
#include "sr-rendering.h"
#include "sr-thumbnailer.h"
#include "sr-ui-util.h"
#include "sr-validation-note.h"
#include "sr-viewer.h"
#include "sr-window.h"

/* The guide: check on 50–100 frames before the whole range. */
#define CHECK_FRAMES 100

/* Reasons the guide lists for outliers; the popover offers them first. */
static const char *const common_reasons[] = {
    N_("Over-sharpening"), N_("Halos"),          N_("Grain inconsistency"),
    N_("Flicker"),         N_("Edge artefacts"),
};

/* ---- Render progress, written by the pipeline, read by the page ------------- */

typedef struct {
  GMutex lock;
  int done, total, rendered, skipped;
  double fps, eta;
  GArray *finished; /* frames finished since the page last looked */
  char *pattern;    /* the output pattern, once the worker knows it */
} RenderLog;

static RenderLog *
render_log_new(void)
{
  RenderLog *l = g_atomic_rc_box_new0(RenderLog);
  g_mutex_init(&l->lock);
  l->finished = g_array_new(FALSE, FALSE, sizeof(int));
  return l;
}

static void
render_log_clear(gpointer p)
{
  RenderLog *l = p;
  g_mutex_clear(&l->lock);
  g_array_unref(l->finished);
  g_free(l->pattern);
}

static void
render_log_unref(gpointer p)
{
  g_atomic_rc_box_release_full(p, render_log_clear);
}

typedef struct {
  RenderLog *log;
  SrProject *copy; /* what the worker renders, read off the main thread */
  SrJob *job;      /* the job running this, while it runs */
  int first, last;
  int count; /* at most this many frames from first; 0 = no limit */
} RenderJob;

static void
render_job_free(gpointer p)
{
  RenderJob *j = p;
  render_log_unref(j->log);
  g_clear_object(&j->copy);
  g_free(j);
}

/* One side of the viewer: at most one read in flight; when it lands and the
 * archivist has moved on, the newest wanted frame is read next. */
typedef struct {
  char *want_path;
  int want;
  int shown;
  gboolean in_flight;
} ViewSide;

struct _SrPageRender {
  GtkBox parent_instance;

  GtkWidget *mode_wipe, *mode_source, *mode_recovered, *mode_side, *mode_difference;
  GtkWidget *frame_label, *qa_frame_label;
  GtkWidget *viewer_stack, *empty_state, *empty_title, *empty_text, *viewer_slot;
  GtkWidget *strip_box, *strip;
  GtkWidget *checkpoint_drop, *facts_model;
  GtkWidget *first_spin, *last_spin;
  GtkAdjustment *first_adjustment, *last_adjustment;
  GtkWidget *range_message, *range_button, *check_button, *all_button, *stop_button;
  GtkWidget *progress_bar, *status_label, *facts_output;
  GtkWidget *current_title, *flag_button, *unflag_button, *current_state, *qa_status;
  GtkWidget *flag_list, *include_qa_check, *add_pairs_button, *review_message;

  GtkWidget *viewer;
  GtkWidget *flag_popover, *flag_popover_title, *reason_entry, *reason_button;
  SrThumbnailer *thumbnailer;
  GtkStringList *checkpoint_model;
  GPtrArray *checkpoint_paths; /* absolute, in the drop-down's order */
  gboolean syncing;

  SrProject *project;
  gulong changed_handler;

  /* What the workers found: the Source's range, the output name and the
   * frames rendered under it. */
  char *scan_key;
  guint scan_generation;
  guint scan_jobs;
  gboolean have_source;
  int src_first, src_last;
  char *source_pattern; /* the sequence's own pattern, absolute */
  char *source_error;
  char *pattern;
  GHashTable *rendered; /* frame set */
  int rendered_first, rendered_last;
  gboolean range_touched;
  int frame;
  gboolean frame_chosen; /* by the archivist; else the first rendered frame */

  SrJob *job;
  RenderLog *log;
  guint poll_id;
  int n_done;

  SrJob *qa_job;
  gboolean qa_wanted;
  char *qa_pattern;     /* pattern the last QA ran on */
  GHashTable *qa;       /* frame → reasons ("" when not flagged) */
  GHashTable *qa_ids;   /* frame → flag ids ("halo, range"), for the toolbar */
  char *flag_list_sig;  /* what the flag list shows now */
  GHashTable *qa_dirty; /* frames written since they were last measured */
  int qa_measured;
  char *qa_error;

  ViewSide side[2]; /* 0: Source (A), 1: Recovered (B) */
};

G_DEFINE_FINAL_TYPE(SrPageRender, sr_page_render, GTK_TYPE_BOX)

enum { PROP_0, PROP_PROJECT, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void update_controls(SrPageRender *self);
static void update_review(SrPageRender *self);
static void request_scan(SrPageRender *self, gboolean force);
static void start_qa(SrPageRender *self);
static void show_frame(SrPageRender *self);

static gint
compare_int(gconstpointer a, gconstpointer b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static char *
frame_path(const char *pattern, int frame)
{
  char *path = pattern ? sr_pattern_format(pattern, frame) : NULL;
  return path ? path : g_strdup(pattern);
}

static void
set_review_message(SrPageRender *self, const char *text)
{
  gtk_label_set_text(GTK_LABEL(self->review_message), text ? text : "");
  gtk_widget_set_visible(self->review_message, text && *text);
}

static const SrFlag *
find_flag(SrPageRender *self, int frame)
{
  const GArray *flags = self->project ? sr_project_get_flags(self->project) : NULL;

  for (guint i = 0; flags && i < flags->len; i++) {
    const SrFlag *f = &g_array_index(flags, SrFlag, i);
    if (f->frame == frame)
      return f;
  }
  return NULL;
}

static gboolean
qa_flagged(SrPageRender *self, int frame)
{
  const char *reasons = g_hash_table_lookup(self->qa, GINT_TO_POINTER(frame));
  return reasons && *reasons;
}

static gboolean
is_rendered(SrPageRender *self, int frame)
{
  return g_hash_table_contains(self->rendered, GINT_TO_POINTER(frame));
}

/* ---- Viewer (frames read on workers) ---------------------------------------- */

static void view_load_next(SrPageRender *self, int side);

static void
view_read_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const char *path = data;
  sr_error err = {0};
  sr_image *img = sr_image_read(path, &err);

  if (img)
    g_task_return_pointer(task, img, (GDestroyNotify)sr_image_free);
  else
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err.message);
}

static void
on_view_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrPageRender *self = SR_PAGE_RENDER(source);
  int side = GPOINTER_TO_INT(user_data);
  int frame = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(result), "frame"));
  g_autoptr(GError) error = NULL;
  sr_image *img = g_task_propagate_pointer(G_TASK(result), &error);
  ViewSide *v = &self->side[side];

  v->in_flight = FALSE;
  if (!self->viewer) {
    sr_image_free(img);
    return;
  }
  if (frame == v->want) {
    SrFrame *f = img ? sr_frame_new_take(img, frame) : NULL;
    img = NULL;
    if (side == 0)
      sr_viewer_set_frame_a(SR_VIEWER(self->viewer), f);
    else
      sr_viewer_set_frame_b(SR_VIEWER(self->viewer), f);
    if (f)
      sr_frame_unref(f);
    v->shown = frame;
    if (error)
      set_review_message(self, error->message);
  }
  sr_image_free(img);
  view_load_next(self, side);
}

static void
view_load_next(SrPageRender *self, int side)
{
  ViewSide *v = &self->side[side];

  if (v->in_flight || !v->want_path || v->shown == v->want)
    return;
  GTask *task = g_task_new(self, NULL, on_view_read, GINT_TO_POINTER(side));
  g_object_set_data(G_OBJECT(task), "frame", GINT_TO_POINTER(v->want));
  g_task_set_task_data(task, g_strdup(v->want_path), g_free);
  v->in_flight = TRUE;
  g_task_run_in_thread(task, view_read_thread);
  g_object_unref(task);
}

static void
view_want(SrPageRender *self, int side, int frame, char *path /* taken */)
{
  ViewSide *v = &self->side[side];

  g_free(v->want_path);
  v->want_path = path;
  v->want = path ? frame : G_MININT;
  if (!path) {
    v->shown = G_MININT;
    if (side == 0)
      sr_viewer_set_frame_a(SR_VIEWER(self->viewer), NULL);
    else
      sr_viewer_set_frame_b(SR_VIEWER(self->viewer), NULL);
    return;
  }
  view_load_next(self, side);
}

static void
show_frame(SrPageRender *self)
{
  gboolean have = self->frame != G_MININT && is_rendered(self, self->frame);

  gtk_widget_set_visible(self->empty_state, !have);
  sr_viewer_set_show_labels(SR_VIEWER(self->viewer), have);
  if (!have) {
    view_want(self, 0, G_MININT, NULL);
    view_want(self, 1, G_MININT, NULL);
    return;
  }
  sr_viewer_set_frame_number(SR_VIEWER(self->viewer), self->frame);
  view_want(self, 0, self->frame,
            self->source_pattern ? frame_path(self->source_pattern, self->frame) : NULL);
  view_want(self, 1, self->frame, frame_path(self->pattern, self->frame));
}

/* ---- Filmstrip ----------------------------------------------------------------- */

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

  if (sr_filmstrip_picture_frame(req->picture) == req->frame) {
    if (texture)
      gtk_picture_set_paintable(req->picture, GDK_PAINTABLE(texture));
    else
      gtk_widget_set_tooltip_text(GTK_WIDGET(req->picture), error->message);
  }
  g_object_unref(req->picture);
  g_free(req);
}

static void
request_thumb(SrFilmstrip *strip, int frame, GtkPicture *picture, gpointer user_data)
{
  SrPageRender *self = user_data;
  g_autoptr(GdkTexture) cached = NULL;

  if (!self->project || !self->pattern || !is_rendered(self, frame))
    return;
  g_autofree char *path = frame_path(self->pattern, frame);
  sr_colourspace cs = sr_project_get_source_colourspace(self->project);
  gtk_widget_set_tooltip_text(GTK_WIDGET(picture), NULL);
  cached = sr_thumbnailer_lookup(self->thumbnailer, path, cs, 0);
  if (cached) {
    gtk_picture_set_paintable(picture, GDK_PAINTABLE(cached));
    return;
  }
  ThumbRequest *req = g_new0(ThumbRequest, 1);
  req->picture = g_object_ref(picture);
  req->frame = frame;
  sr_thumbnailer_load_async(self->thumbnailer, path, cs, 0, NULL, on_thumb_done, req);
}

static guint
frame_marks(int frame, gpointer user_data)
{
  SrPageRender *self = user_data;
  guint marks = 0;

  if (!self->project)
    return 0;
  if (is_rendered(self, frame))
    marks |= SR_FILMSTRIP_MARK_RENDERED;
  if (find_flag(self, frame))
    marks |= SR_FILMSTRIP_MARK_FLAGGED;
  if (qa_flagged(self, frame))
    marks |= SR_FILMSTRIP_MARK_QA;
  if (sr_project_has_pair(self->project, frame))
    marks |= SR_FILMSTRIP_MARK_PAIR;
  if (sr_project_is_held_out(self->project, frame))
    marks |= SR_FILMSTRIP_MARK_HELD_OUT;
  return marks;
}

static char *
frame_tooltip(int frame, gpointer user_data)
{
  SrPageRender *self = user_data;
  const SrFlag *flag = find_flag(self, frame);
  const char *qa = g_hash_table_lookup(self->qa, GINT_TO_POINTER(frame));
  GString *s = g_string_new(NULL);

  if (!is_rendered(self, frame))
    g_string_append_printf(s, _("Frame %d: not rendered yet"), frame);
  else
    g_string_append_printf(s, _("Frame %d"), frame);
  if (flag)
    g_string_append_printf(s, _("\nFlagged: %s"),
                           flag->reason && *flag->reason ? flag->reason : _("no reason"));
  if (qa && *qa)
    g_string_append_printf(s, _("\nQA: %s"), qa);
  return g_string_free(s, FALSE);
}

/* The strip spans the rendered frames; unrendered frames inside show dimmed. */
static void
update_strip_range(SrPageRender *self)
{
  int first = G_MAXINT, last = G_MININT;
  GHashTableIter it;
  gpointer key;

  g_hash_table_iter_init(&it, self->rendered);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    int f = GPOINTER_TO_INT(key);
    first = MIN(first, f);
    last = MAX(last, f);
  }
  if (first > last) {
    first = 0;
    last = -1;
  }
  if (first != self->rendered_first || last != self->rendered_last) {
    self->rendered_first = first;
    self->rendered_last = last;
    sr_filmstrip_set_range(SR_FILMSTRIP(self->strip), first, last, 0);
  }
  gtk_widget_set_visible(self->strip_box, first <= last);
}

/* ---- Facts and controls ----------------------------------------------------- */

static char *
range_problem(SrPageRender *self, int first, int last)
{
  if (!self->have_source)
    return g_strdup(self->source_error ? self->source_error
                                       : _("The Source sequence has not been read yet."));
  if (first > last)
    return g_strdup_printf(_("The first frame (%d) comes after the last (%d): swap them."), first,
                           last);
  if (first < self->src_first || last > self->src_last)
    return g_strdup_printf(_("Frames %d–%d reach outside the Source, which runs %d–%d: choose "
                             "frames inside it."),
                           first, last, self->src_first, self->src_last);
  return NULL;
}

static void
update_range_message(SrPageRender *self)
{
  int first = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->first_spin));
  int last = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->last_spin));
  g_autofree char *problem = range_problem(self, first, last);
  g_autofree char *text = NULL;

  if (!problem)
    text = g_strdup_printf(g_dngettext(NULL, "%d frame of the Source (%d–%d).",
                                       "%d frames of the Source (%d–%d).", last - first + 1),
                           last - first + 1, self->src_first, self->src_last);
  gtk_label_set_text(GTK_LABEL(self->range_message), problem ? problem : text);
  sr_ui_set_class(self->range_message, "field-error", problem != NULL);
  sr_ui_set_class(self->range_message, "dim-label", problem == NULL);
}

static gboolean
has_checkpoint(SrPageRender *self)
{
  const char *ck = self->project ? sr_project_get_checkpoint(self->project) : NULL;
  return ck && *ck;
}

static void
update_controls(SrPageRender *self)
{
  gboolean can = !self->job && has_checkpoint(self);
  int first = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->first_spin));
  int last = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->last_spin));
  g_autofree char *problem = range_problem(self, first, last);

  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.check", can);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.render-all", can);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.render-range", can && !problem);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.stop", self->job != NULL);
  gtk_widget_set_sensitive(self->checkpoint_drop, !self->job && self->checkpoint_paths->len > 0);
  gtk_widget_set_visible(self->progress_bar, self->log != NULL);
  update_range_message(self);
}

static void
refresh_facts(SrPageRender *self)
{
  SrProject *p = self->project;

  if (!p)
    return;
  const char *folder = sr_project_get_output_folder(p);
  const char *version = sr_project_get_version(p);
  g_autofree char *name = self->pattern ? g_path_get_basename(self->pattern) : NULL;
  const char *ck = sr_project_get_checkpoint(p);
  g_autofree char *model = ck && *ck ? g_path_get_basename(ck) : NULL;

  sr_ui_fill_facts(self->facts_model, _("Checkpoint"), model ? model : _("No model trained yet"),
                   NULL);
  /* The drop-down names the checkpoint once the training folder was read. */
  gtk_widget_set_visible(self->facts_model, self->checkpoint_paths->len == 0);
  sr_ui_fill_facts(self->facts_output, _("Folder"),
                   folder && *folder ? folder : _("Not chosen yet"), _("Name"), name ? name : "—",
                   _("Version"), version, _("Format"), _("OpenEXR, 16-bit half, ZIP"), NULL);
  gtk_label_set_text(GTK_LABEL(self->empty_title),
                     has_checkpoint(self) ? _("Ready to render") : _("Nothing rendered yet"));
}

/* ---- Checkpoint choice ------------------------------------------------------- */

static void
sync_checkpoint_drop(SrPageRender *self)
{
  g_autofree char *ck =
      self->project
          ? sr_project_resolve_path(self->project, sr_project_get_checkpoint(self->project))
          : NULL;
  guint selected = GTK_INVALID_LIST_POSITION;

  for (guint i = 0; ck && i < self->checkpoint_paths->len; i++)
    if (g_strcmp0(g_ptr_array_index(self->checkpoint_paths, i), ck) == 0)
      selected = i;
  self->syncing = TRUE;
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->checkpoint_drop), selected);
  self->syncing = FALSE;
}

static void
on_checkpoint_selected(GObject *drop, GParamSpec *pspec, SrPageRender *self)
{
  guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(drop));

  if (self->syncing || !self->project || i >= self->checkpoint_paths->len)
    return;
  const char *path = g_ptr_array_index(self->checkpoint_paths, i);
  g_autofree char *current =
      sr_project_resolve_path(self->project, sr_project_get_checkpoint(self->project));
  if (g_strcmp0(path, current) != 0)
    sr_project_set_checkpoint(self->project, path);
}

/* ---- Scan (worker): Source range, output name, rendered frames, checkpoints -- */

typedef struct {
  char *path, *label;
  gint64 step;
} CheckpointEntry;

static void
checkpoint_entry_free(gpointer p)
{
  CheckpointEntry *e = p;
  g_free(e->path);
  g_free(e->label);
  g_free(e);
}

typedef struct {
  SrPageRender *page;
  SrProject *copy;
  guint generation;
  gboolean have_source;
  int src_first, src_last;
  char *source_pattern, *source_error;
  char *pattern;
  GArray *rendered;       /* of int */
  GPtrArray *checkpoints; /* of CheckpointEntry */
} Scan;

static void
scan_free(gpointer p)
{
  Scan *s = p;
  g_clear_object(&s->copy);
  g_free(s->source_pattern);
  g_free(s->source_error);
  g_free(s->pattern);
  g_array_unref(s->rendered);
  g_ptr_array_unref(s->checkpoints);
  g_free(s);
}

static gint
compare_checkpoints(gconstpointer a, gconstpointer b)
{
  const CheckpointEntry *x = *(CheckpointEntry *const *)a, *y = *(CheckpointEntry *const *)b;
  if (x->step != y->step)
    return x->step < y->step ? -1 : 1;
  return g_strcmp0(x->path, y->path);
}

static void
scan_checkpoint_folder(Scan *s, const char *dir, GHashTable *seen)
{
  g_autoptr(GDir) d = dir ? g_dir_open(dir, 0, NULL) : NULL;
  const char *name;

  while (d && (name = g_dir_read_name(d))) {
    if (!g_str_has_suffix(name, ".safetensors"))
      continue;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    if (g_hash_table_contains(seen, path))
      continue;
    sr_checkpoint_meta meta;
    sr_error err = {0};
    sr_checkpoint_meta_init(&meta);
    if (!sr_checkpoint_read_meta(path, &meta, &err)) {
      sr_checkpoint_meta_clear(&meta);
      continue;
    }
    CheckpointEntry *e = g_new0(CheckpointEntry, 1);
    e->step = meta.step;
    e->path = g_strdup(path);
    if (isfinite(meta.psnr_after))
      e->label = g_strdup_printf(_("Step %lld · %s · held-out %.1f dB"), (long long)meta.step, name,
                                 meta.psnr_after);
    else
      e->label = g_strdup_printf(_("Step %lld · %s"), (long long)meta.step, name);
    sr_checkpoint_meta_clear(&meta);
    g_hash_table_add(seen, g_strdup(path));
    g_ptr_array_add(s->checkpoints, e);
  }
}

static gboolean
scan_thread(SrJob *job, gpointer data, GError **error)
{
  Scan *s = data;
  sr_sequence seq = {0};
  sr_error err = {0};
  const char *src = sr_project_get_source_pattern(s->copy);

  if (src && *src) {
    if (sr_sequence_open(&seq, src, &err)) {
      s->have_source = TRUE;
      s->src_first = seq.first;
      s->src_last = seq.last;
      s->source_pattern = g_strdup(seq.pattern);
    } else {
      s->source_error = g_strdup(err.message);
    }
    sr_sequence_clear(&seq);
  } else {
    s->source_error = g_strdup(_("No Source sequence: choose one on the Project stage."));
  }

  s->pattern = sr_delivery_default_render_pattern(s->copy);
  if (s->pattern && sr_sequence_open(&seq, s->pattern, NULL)) {
    for (int f = seq.first; f <= seq.last; f++)
      if (sr_sequence_has_frame(&seq, f))
        g_array_append_val(s->rendered, f);
  }
  sr_sequence_clear(&seq);

  /* Checkpoints of the run that made the project's model, and of the
   * project's own training folder. */
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  const char *ck = sr_project_get_checkpoint(s->copy);
  if (ck && *ck) {
    g_autofree char *dir = g_path_get_dirname(ck);
    scan_checkpoint_folder(s, dir, seen);
    if (!g_hash_table_contains(seen, ck) && g_file_test(ck, G_FILE_TEST_IS_REGULAR)) {
      CheckpointEntry *e = g_new0(CheckpointEntry, 1);
      e->path = g_strdup(ck);
      e->label = g_path_get_basename(ck);
      e->step = G_MAXINT64;
      g_ptr_array_add(s->checkpoints, e);
    }
  }
  const char *out = sr_project_get_output_folder(s->copy);
  if (out && *out) {
    g_autofree char *dir = g_build_filename(out, "training", "checkpoints", NULL);
    scan_checkpoint_folder(s, dir, seen);
  }
  /* latest.safetensors is a copy of the last step's file: list it once. */
  for (guint i = s->checkpoints->len; i-- > 0;) {
    CheckpointEntry *e = g_ptr_array_index(s->checkpoints, i);
    g_autofree char *base = g_path_get_basename(e->path);
    gboolean twin = FALSE;
    if (strcmp(base, "latest.safetensors") != 0 || g_strcmp0(e->path, ck) == 0)
      continue;
    for (guint k = 0; k < s->checkpoints->len && !twin; k++) {
      CheckpointEntry *o = g_ptr_array_index(s->checkpoints, k);
      twin = k != i && o->step == e->step;
    }
    if (twin)
      g_ptr_array_remove_index(s->checkpoints, i);
  }
  g_ptr_array_sort(s->checkpoints, compare_checkpoints);
  return TRUE;
}

static void
set_checkpoints(SrPageRender *self, GPtrArray *entries)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new();
  gboolean same = entries->len == self->checkpoint_paths->len;

  for (guint i = 0; same && i < entries->len; i++) {
    CheckpointEntry *e = g_ptr_array_index(entries, i);
    same = g_strcmp0(e->path, g_ptr_array_index(self->checkpoint_paths, i)) == 0 &&
           g_strcmp0(e->label, gtk_string_list_get_string(self->checkpoint_model, i)) == 0;
  }
  if (same) {
    sync_checkpoint_drop(self);
    return;
  }

  g_ptr_array_set_size(self->checkpoint_paths, 0);
  for (guint i = 0; i < entries->len; i++) {
    CheckpointEntry *e = g_ptr_array_index(entries, i);
    g_ptr_array_add(self->checkpoint_paths, g_strdup(e->path));
    g_ptr_array_add(labels, e->label);
  }
  g_ptr_array_add(labels, NULL);
  self->syncing = TRUE;
  gtk_string_list_splice(self->checkpoint_model, 0,
                         g_list_model_get_n_items(G_LIST_MODEL(self->checkpoint_model)),
                         (const char *const *)labels->pdata);
  self->syncing = FALSE;
  sync_checkpoint_drop(self);
  gtk_widget_set_visible(self->checkpoint_drop, entries->len > 0);
  gtk_widget_set_visible(self->facts_model, entries->len == 0);
}

static void
on_scan_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  Scan *s = sr_job_get_data(SR_JOB(source));
  SrPageRender *self = s->page;

  self->scan_jobs--;
  if (s->generation == self->scan_generation && self->project) {
    gboolean pattern_changed = g_strcmp0(s->pattern, self->pattern) != 0;

    self->have_source = s->have_source;
    self->src_first = s->src_first;
    self->src_last = s->src_last;
    g_free(self->source_pattern);
    self->source_pattern = g_steal_pointer(&s->source_pattern);
    g_free(self->source_error);
    self->source_error = g_steal_pointer(&s->source_error);
    gboolean same_frames =
        !pattern_changed && s->rendered->len == g_hash_table_size(self->rendered);
    for (guint i = 0; same_frames && i < s->rendered->len; i++)
      same_frames = is_rendered(self, g_array_index(s->rendered, int, i));
    if (!self->job) {
      g_free(self->pattern);
      self->pattern = g_steal_pointer(&s->pattern);
      g_hash_table_remove_all(self->rendered);
      if (pattern_changed) {
        g_hash_table_remove_all(self->qa);
        g_hash_table_remove_all(self->qa_ids);
        g_hash_table_remove_all(self->qa_dirty);
        self->qa_measured = -1;
      }
    }
    for (guint i = 0; i < s->rendered->len; i++)
      g_hash_table_add(self->rendered, GINT_TO_POINTER(g_array_index(s->rendered, int, i)));
    /* Measurements of frames that are gone no longer describe the render. */
    GHashTableIter qit;
    gpointer qkey;
    g_hash_table_iter_init(&qit, self->qa);
    while (g_hash_table_iter_next(&qit, &qkey, NULL))
      if (!is_rendered(self, GPOINTER_TO_INT(qkey))) {
        g_hash_table_remove(self->qa_ids, qkey);
        g_hash_table_iter_remove(&qit);
      }
    if (self->qa_measured >= 0)
      self->qa_measured = (int)g_hash_table_size(self->qa);
    set_checkpoints(self, s->checkpoints);
    if (self->have_source && !self->range_touched) {
      self->syncing = TRUE;
      gtk_adjustment_set_value(self->first_adjustment, self->src_first);
      gtk_adjustment_set_value(self->last_adjustment, self->src_last);
      self->syncing = FALSE;
    }
    if (self->frame == G_MININT || !is_rendered(self, self->frame))
      self->frame = s->rendered->len ? g_array_index(s->rendered, int, 0) : G_MININT;
    /* Rebuilding the display LUT is not free: only when the space changed. */
    if (sr_viewer_get_colourspace(SR_VIEWER(self->viewer)) !=
        sr_project_get_source_colourspace(self->project))
      sr_viewer_set_colourspace(SR_VIEWER(self->viewer),
                                sr_project_get_source_colourspace(self->project));
    update_strip_range(self);
    if (self->frame != G_MININT)
      sr_filmstrip_set_current(SR_FILMSTRIP(self->strip), self->frame);
    if (!same_frames)
      sr_filmstrip_reload(SR_FILMSTRIP(self->strip));
    refresh_facts(self);
    update_controls(self);
    update_review(self);
    show_frame(self);
    /* Measure after each render, and once for frames already on disk. */
    if (!self->job && g_hash_table_size(self->rendered) > 0 &&
        (self->qa_wanted || g_strcmp0(self->qa_pattern, self->pattern) != 0))
      start_qa(self);
    else if (g_hash_table_size(self->rendered) == 0)
      self->qa_wanted = FALSE;
  }
  g_object_unref(self);
}

static char *
scan_key(SrProject *p)
{
  const SrProvenance *prov = sr_project_get_provenance(p);
  return g_strdup_printf("%s\n%s\n%s\n%s\n%s\n%s\n%d", sr_project_get_source_pattern(p),
                         sr_project_get_output_folder(p), sr_project_get_checkpoint(p),
                         sr_project_get_version(p), sr_project_get_name(p),
                         prov && prov->shot_id ? prov->shot_id : "",
                         (int)sr_project_get_source_colourspace(p));
}

/* Re-reads what lies on disk when something that names it changed (or always
 * when forced: after a render). */
static void
request_scan(SrPageRender *self, gboolean force)
{
  if (!self->project)
    return;
  g_autofree char *key = scan_key(self->project);
  if (!force && g_strcmp0(key, self->scan_key) == 0)
    return;
  g_free(self->scan_key);
  self->scan_key = g_steal_pointer(&key);
  Scan *s = g_new0(Scan, 1);
  s->copy = sr_project_copy_for_thread(self->project, NULL);
  if (!s->copy) {
    g_free(s);
    return;
  }
  s->page = g_object_ref(self);
  s->generation = ++self->scan_generation;
  s->rendered = g_array_new(FALSE, FALSE, sizeof(int));
  s->checkpoints = g_ptr_array_new_with_free_func(checkpoint_entry_free);
  self->scan_jobs++;
  g_autoptr(SrJob) job = sr_job_new(_("Reading the render"), scan_thread, s, scan_free);
  sr_ui_run_job(GTK_WIDGET(self), job, FALSE, on_scan_done, NULL);
}

/* ---- QA measurement (worker) ------------------------------------------------- */

typedef struct {
  SrPageRender *page;
  SrProject *copy;
  char *pattern, *out_dir;
  GArray *frames; /* sorted */
  int base, total;
  GHashTable *reasons; /* frame → char* */
  GHashTable *ids;     /* frame → char* */
  int measured;
  char *error;
} QaJob;

static void
qa_job_free(gpointer p)
{
  QaJob *q = p;
  g_clear_object(&q->copy);
  g_free(q->pattern);
  g_free(q->out_dir);
  g_array_unref(q->frames);
  g_hash_table_unref(q->reasons);
  g_hash_table_unref(q->ids);
  g_free(q->error);
  g_free(q);
}

static void
on_qa_progress(int done, int total, int frame, gpointer user_data)
{
  SrJob *job = user_data;
  QaJob *q = sr_job_get_data(job);
  g_autofree char *text = g_strdup_printf(_("Measuring frame %d…"), frame);
  sr_job_set_progress(job, (double)(q->base + done) / MAX(1, q->total), text);
}

static gboolean
qa_thread(SrJob *job, gpointer data, GError **error)
{
  QaJob *q = data;
  guint i = 0;

  q->total = (int)q->frames->len;
  /* sr_validation_run wants an unbroken range: measure each run of frames. */
  while (i < q->frames->len) {
    guint j = i;
    while (j + 1 < q->frames->len &&
           g_array_index(q->frames, int, j + 1) == g_array_index(q->frames, int, j) + 1)
      j++;
    SrValidationOptions o;
    SrValidationResult r;
    g_autoptr(GError) local = NULL;
    sr_validation_options_init(&o);
    o.render_pattern = q->pattern;
    o.out_dir = q->out_dir;
    o.first = g_array_index(q->frames, int, i);
    o.last = g_array_index(q->frames, int, j);
    o.write_note = FALSE;
    o.write_stills = FALSE;
    q->base = (int)i;
    gboolean ok = sr_validation_run(q->copy, &o, on_qa_progress, job, sr_job_get_cancellable(job),
                                    &r, &local);
    if (ok) {
      for (int k = 0; k < r.n_frames; k++) {
        const sr_qa_frame *f = &r.frames[k];
        GString *s = g_string_new(NULL), *ids = g_string_new(NULL);
        for (int m = 0; m < f->n_flags; m++) {
          g_string_append_printf(s, "%s%s", m ? "; " : "", f->flags[m].reason);
          g_string_append_printf(ids, "%s%s", m ? ", " : "", f->flags[m].id);
        }
        g_hash_table_insert(q->reasons, GINT_TO_POINTER(f->frame), g_string_free(s, FALSE));
        g_hash_table_insert(q->ids, GINT_TO_POINTER(f->frame), g_string_free(ids, FALSE));
        q->measured++;
      }
    }
    sr_validation_result_clear(&r);
    if (!ok) {
      if (sr_job_is_cancelled(job)) {
        g_set_error_literal(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED, _("Cancelled"));
        return FALSE;
      }
      q->error = g_strdup(local->message);
      return TRUE;
    }
    i = j + 1;
  }
  return TRUE;
}

static void
on_qa_notify(SrJob *job, GParamSpec *pspec, SrPageRender *self)
{
  const char *message = sr_job_get_message(job);
  if (self->qa_job == job && message)
    gtk_label_set_text(GTK_LABEL(self->qa_status), message);
}

static void
on_qa_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrPageRender *self = user_data;
  SrJob *job = SR_JOB(source);
  QaJob *q = sr_job_get_data(job);

  if (self->qa_job == job) {
    g_signal_handlers_disconnect_by_data(job, self);
    if (sr_job_get_state(job) == SR_JOB_STATE_SUCCEEDED &&
        g_strcmp0(q->pattern, self->pattern) == 0) {
      GHashTableIter it;
      gpointer key, value;
      g_hash_table_iter_init(&it, q->reasons);
      while (g_hash_table_iter_next(&it, &key, &value)) {
        g_hash_table_insert(self->qa, key, value);
        g_hash_table_insert(self->qa_ids, key, g_strdup(g_hash_table_lookup(q->ids, key)));
        g_hash_table_iter_steal(&it);
      }
      self->qa_measured = (int)g_hash_table_size(self->qa);
      g_free(self->qa_error);
      self->qa_error = g_strdup(q->error);
    } else if (sr_job_get_state(job) != SR_JOB_STATE_SUCCEEDED) {
      /* Not measured after all: measure those frames next time. */
      for (guint i = 0; i < q->frames->len; i++)
        g_hash_table_add(self->qa_dirty, GINT_TO_POINTER(g_array_index(q->frames, int, i)));
    }
    g_clear_object(&self->qa_job);
    sr_filmstrip_update_marks(SR_FILMSTRIP(self->strip));
    update_review(self);
    if (self->qa_wanted && !self->job)
      start_qa(self);
  }
  g_object_unref(self);
}

static void
start_qa(SrPageRender *self)
{
  if (!self->project || !self->pattern || g_hash_table_size(self->rendered) == 0) {
    self->qa_wanted = FALSE;
    return;
  }
  if (self->qa_job) {
    /* Measure again once the running measurement ends. */
    self->qa_wanted = TRUE;
    return;
  }
  self->qa_wanted = FALSE;
  g_free(self->qa_pattern);
  self->qa_pattern = g_strdup(self->pattern);

  QaJob *q = g_new0(QaJob, 1);
  q->copy = sr_project_copy_for_thread(self->project, NULL);
  if (!q->copy) {
    g_free(q);
    return;
  }
  q->page = self;
  q->pattern = g_strdup(self->pattern);
  g_autofree char *dir = g_path_get_dirname(self->pattern);
  q->out_dir = g_build_filename(dir, "qa", NULL);
  q->frames = g_array_new(FALSE, FALSE, sizeof(int));
  q->reasons = g_hash_table_new_full(NULL, NULL, NULL, g_free);
  q->ids = g_hash_table_new_full(NULL, NULL, NULL, g_free);
  /* Only frames written since they were measured (or never measured), each
   * with the rendered frame before it, which its flicker is measured against. */
  g_autoptr(GHashTable) wanted = g_hash_table_new(NULL, NULL);
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, self->rendered);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    int f = GPOINTER_TO_INT(key);
    if (!g_hash_table_contains(self->qa_dirty, key) && g_hash_table_contains(self->qa, key))
      continue;
    g_hash_table_add(wanted, key);
    if (is_rendered(self, f - 1))
      g_hash_table_add(wanted, GINT_TO_POINTER(f - 1));
  }
  g_hash_table_remove_all(self->qa_dirty);
  g_hash_table_iter_init(&it, wanted);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    int f = GPOINTER_TO_INT(key);
    g_array_append_val(q->frames, f);
  }
  g_array_sort(q->frames, compare_int);
  if (q->frames->len == 0) {
    qa_job_free(q);
    return;
  }
  self->qa_job = sr_job_new(_("Measuring the render"), qa_thread, q, qa_job_free);
  g_signal_connect(self->qa_job, "notify::message", G_CALLBACK(on_qa_notify), self);
  gtk_label_set_text(GTK_LABEL(self->qa_status), _("Measuring the rendered frames…"));
  sr_ui_set_class(self->qa_status, "status-warn", FALSE);
  sr_ui_run_job(GTK_WIDGET(self), self->qa_job, FALSE, on_qa_done, g_object_ref(self));
}

/* ---- Review panel ------------------------------------------------------------- */

static void
on_flag_row_activated(GtkListBox *list, GtkListBoxRow *row, SrPageRender *self)
{
  sr_page_render_set_frame(self, GPOINTER_TO_INT(g_object_get_data(G_OBJECT(row), "frame")));
}

static void
rebuild_flag_list(SrPageRender *self)
{
  g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(int));
  const GArray *flags = sr_project_get_flags(self->project);
  GHashTableIter it;
  gpointer key, value;
  GtkWidget *child;

  for (guint i = 0; i < flags->len; i++)
    g_array_append_val(frames, g_array_index(flags, SrFlag, i).frame);
  g_hash_table_iter_init(&it, self->qa);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    int f = GPOINTER_TO_INT(key);
    if (*(const char *)value && !find_flag(self, f))
      g_array_append_val(frames, f);
  }
  g_array_sort(frames, compare_int);

  /* Rebuilt only when what it shows changed: rows are cheap, relayouts less so. */
  GString *sig = g_string_new(NULL);
  for (guint i = 0; i < frames->len; i++) {
    int f = g_array_index(frames, int, i);
    const SrFlag *flag = find_flag(self, f);
    g_string_append_printf(sig, "%d|%s|%s|%d%d\n", f, flag ? flag->reason : "",
                           (const char *)g_hash_table_lookup(self->qa, GINT_TO_POINTER(f)) ?: "",
                           sr_project_is_held_out(self->project, f),
                           sr_project_has_pair(self->project, f));
  }
  if (self->flag_list_sig && strcmp(sig->str, self->flag_list_sig) == 0) {
    g_string_free(sig, TRUE);
    return;
  }
  g_free(self->flag_list_sig);
  self->flag_list_sig = g_string_free(sig, FALSE);

  while ((child = gtk_widget_get_first_child(self->flag_list)))
    gtk_list_box_remove(GTK_LIST_BOX(self->flag_list), child);
  for (guint i = 0; i < frames->len; i++) {
    int f = g_array_index(frames, int, i);
    const SrFlag *flag = find_flag(self, f);
    const char *qa = g_hash_table_lookup(self->qa, GINT_TO_POINTER(f));
    GtkWidget *row = gtk_list_box_row_new();
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    GtkWidget *top = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    g_autofree char *name = g_strdup_printf(_("Frame %d"), f);
    GtkWidget *label = gtk_label_new(name);

    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_widget_set_hexpand(label, TRUE);
    gtk_widget_add_css_class(label, "numeric");
    gtk_box_append(GTK_BOX(top), label);
    if (sr_project_is_held_out(self->project, f)) {
      GtkWidget *held = gtk_label_new(_("held out"));
      gtk_widget_add_css_class(held, "status-warn");
      gtk_widget_add_css_class(held, "caption");
      gtk_box_append(GTK_BOX(top), held);
    } else if (sr_project_has_pair(self->project, f)) {
      GtkWidget *pair = gtk_label_new(_("pair"));
      gtk_widget_add_css_class(pair, "dim-label");
      gtk_widget_add_css_class(pair, "caption");
      gtk_box_append(GTK_BOX(top), pair);
    }
    if (qa && *qa) {
      GtkWidget *badge = gtk_label_new(_("QA"));
      gtk_widget_add_css_class(badge, "thumb-badge");
      gtk_widget_add_css_class(badge, "qa");
      gtk_box_append(GTK_BOX(top), badge);
    }
    if (flag) {
      GtkWidget *icon = gtk_image_new_from_icon_name("emoji-flags-symbolic");
      gtk_widget_add_css_class(icon, "thumb-badge");
      gtk_widget_add_css_class(icon, "flagged");
      gtk_box_append(GTK_BOX(top), icon);
    }
    gtk_box_append(GTK_BOX(box), top);
    if (flag) {
      GtkWidget *reason =
          gtk_label_new(flag->reason && *flag->reason ? flag->reason : _("no reason"));
      gtk_label_set_xalign(GTK_LABEL(reason), 0);
      gtk_label_set_wrap(GTK_LABEL(reason), TRUE);
      gtk_widget_add_css_class(reason, "caption");
      gtk_box_append(GTK_BOX(box), reason);
    }
    if (qa && *qa) {
      g_autofree char *text = g_strdup_printf(_("QA: %s"), qa);
      GtkWidget *reason = gtk_label_new(text);
      gtk_label_set_xalign(GTK_LABEL(reason), 0);
      gtk_label_set_wrap(GTK_LABEL(reason), TRUE);
      gtk_label_set_wrap_mode(GTK_LABEL(reason), PANGO_WRAP_WORD_CHAR);
      gtk_widget_add_css_class(reason, "caption");
      gtk_widget_add_css_class(reason, "dim-label");
      gtk_box_append(GTK_BOX(box), reason);
    }
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
    gtk_widget_add_css_class(row, "pair-row");
    g_object_set_data(G_OBJECT(row), "frame", GINT_TO_POINTER(f));
    gtk_list_box_append(GTK_LIST_BOX(self->flag_list), row);
  }
  gtk_widget_set_visible(gtk_widget_get_parent(gtk_widget_get_parent(self->flag_list)),
                         frames->len > 0);
}

static guint
count_qa_flagged(SrPageRender *self)
{
  GHashTableIter it;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init(&it, self->qa);
  while (g_hash_table_iter_next(&it, NULL, &value))
    n += *(const char *)value != '\0';
  return n;
}

static void
update_review(SrPageRender *self)
{
  SrProject *p = self->project;
  gboolean have = p && self->frame != G_MININT && is_rendered(self, self->frame);
  const SrFlag *flag = have ? find_flag(self, self->frame) : NULL;
  const char *qa = have ? g_hash_table_lookup(self->qa, GINT_TO_POINTER(self->frame)) : NULL;

  if (!p)
    return;
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.flag", have);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.flag-reason", have);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.unflag", flag != NULL);
  gtk_widget_set_sensitive(self->flag_button, have);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.step", have);
  const char *flag_label = flag ? _("Change Reason…") : _("Flag…");
  /* Setting the label rebuilds the button's child: only when it changes. */
  if (g_strcmp0(gtk_menu_button_get_label(GTK_MENU_BUTTON(self->flag_button)), flag_label) != 0)
    gtk_menu_button_set_label(GTK_MENU_BUTTON(self->flag_button), flag_label);
  gtk_widget_set_visible(self->unflag_button, flag != NULL);

  if (have) {
    g_autofree char *title = g_strdup_printf(_("Frame %d"), self->frame);
    guint index = 0, n = g_hash_table_size(self->rendered);
    GHashTableIter fit;
    gpointer fkey;
    g_hash_table_iter_init(&fit, self->rendered);
    while (g_hash_table_iter_next(&fit, &fkey, NULL))
      index += GPOINTER_TO_INT(fkey) <= self->frame;
    g_autofree char *frames = g_strdup_printf(_("%u of %u rendered"), index, n);
    g_autofree char *state =
        flag ? g_strdup_printf(_("Flagged: %s"),
                               flag->reason && *flag->reason ? flag->reason : _("no reason"))
             : g_strdup(_("Not flagged. Scrub with ← and →; F flags the frame."));
    gtk_label_set_text(GTK_LABEL(self->current_title), title);
    gtk_label_set_text(GTK_LABEL(self->frame_label), frames);
    gtk_label_set_text(GTK_LABEL(self->current_state), state);
  } else {
    gtk_label_set_text(GTK_LABEL(self->current_title), _("Outlier review"));
    gtk_label_set_text(GTK_LABEL(self->frame_label), "");
    gtk_label_set_text(GTK_LABEL(self->current_state),
                       _("Rendered frames can be flagged here once they exist."));
  }
  if (qa && *qa) {
    const char *ids = g_hash_table_lookup(self->qa_ids, GINT_TO_POINTER(self->frame));
    g_autofree char *text = g_strdup_printf(_("QA: %s"), ids ? ids : qa);
    g_autofree char *tip = g_strdup_printf(_("QA: %s"), qa);
    gtk_label_set_text(GTK_LABEL(self->qa_frame_label), text);
    gtk_widget_set_tooltip_text(self->qa_frame_label, tip);
    sr_ui_set_class(self->qa_frame_label, "status-warn", TRUE);
    sr_ui_set_class(self->qa_frame_label, "status-pass", FALSE);
  } else if (qa) {
    gtk_label_set_text(GTK_LABEL(self->qa_frame_label), _("QA: within thresholds"));
    gtk_widget_set_tooltip_text(self->qa_frame_label, NULL);
    sr_ui_set_class(self->qa_frame_label, "status-warn", FALSE);
    sr_ui_set_class(self->qa_frame_label, "status-pass", TRUE);
  } else {
    gtk_label_set_text(GTK_LABEL(self->qa_frame_label), have ? _("QA: not measured yet") : "");
    gtk_widget_set_tooltip_text(self->qa_frame_label, NULL);
    sr_ui_set_class(self->qa_frame_label, "status-warn", FALSE);
    sr_ui_set_class(self->qa_frame_label, "status-pass", FALSE);
  }

  if (!self->qa_job) {
    g_autofree char *text = NULL;
    if (self->qa_error)
      text = g_strdup_printf(_("QA measurement failed: %s"), self->qa_error);
    else if (self->qa_measured >= 0) {
      guint n = count_qa_flagged(self);
      text =
          n ? g_strdup_printf(g_dngettext(NULL, "QA measured %d frames: %u flagged.",
                                          "QA measured %d frames: %u flagged.", self->qa_measured),
                              self->qa_measured, n)
            : g_strdup_printf(g_dngettext(NULL, "QA measured %d frame: within thresholds.",
                                          "QA measured %d frames: all within thresholds.",
                                          self->qa_measured),
                              self->qa_measured);
      sr_ui_set_class(self->qa_status, "status-warn", n > 0);
    }
    gtk_label_set_text(GTK_LABEL(self->qa_status), text ? text : "");
    sr_ui_set_class(self->qa_status, "status-fail", self->qa_error != NULL);
  }
  gtk_widget_set_visible(self->qa_status, *gtk_label_get_text(GTK_LABEL(self->qa_status)) != '\0');

  gboolean any_flags = sr_project_get_flags(p)->len > 0;
  gboolean any_qa = count_qa_flagged(self) > 0;
  gtk_widget_set_visible(self->include_qa_check, any_qa);
  sr_ui_set_class(self->add_pairs_button, "suggested-action", any_flags);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "render.add-flagged-pairs", any_flags || any_qa);
  rebuild_flag_list(self);
  sr_filmstrip_update_marks(SR_FILMSTRIP(self->strip));
}

/* ---- Render ------------------------------------------------------------------ */

static void
on_render_progress(void *user, const sr_render_progress *p)
{
  RenderLog *l = ((RenderJob *)user)->log;

  g_mutex_lock(&l->lock);
  l->done = p->done;
  l->total = p->total;
  l->rendered = p->rendered;
  l->skipped = p->skipped;
  l->fps = p->frames_per_second;
  l->eta = p->eta_seconds;
  if (p->status != SR_RENDER_FRAME_MISSING)
    g_array_append_val(l->finished, p->frame);
  g_mutex_unlock(&l->lock);
}

static void
on_render_ready(gpointer user, const SrRenderingPlan *plan)
{
  RenderJob *j = user;

  g_mutex_lock(&j->log->lock);
  g_free(j->log->pattern);
  j->log->pattern = g_strdup(plan->output_pattern);
  g_mutex_unlock(&j->log->lock);
  sr_job_set_progress(j->job, 0, _("Rendering…"));
}

static gboolean
render_job_run(SrJob *job, gpointer data, GError **error)
{
  RenderJob *j = data;
  SrRenderingOptions o;
  g_auto(SrRenderingResult) result = {0};

  j->job = job;
  sr_rendering_options_init(&o);
  o.first = j->first;
  o.last = j->last;
  o.count = j->count;
  o.skip_missing = TRUE;
  o.ready = on_render_ready;
  o.callbacks = (sr_render_callbacks){
      .user = j, .progress = on_render_progress, .cancel = sr_job_get_cancel_flag(job)};
  sr_job_set_progress(job, -1, _("Loading the model…"));
  return sr_rendering_run(j->copy, &o, &result, error);
}

static void
poll_log(SrPageRender *self)
{
  RenderLog *l = self->log;
  g_autofree char *text = NULL;
  g_autoptr(GArray) finished = NULL;
  g_autofree char *pattern = NULL;
  double fraction = 0;

  if (!l)
    return;
  g_mutex_lock(&l->lock);
  self->n_done = l->rendered + l->skipped;
  if (l->total > 0) {
    fraction = (double)l->done / l->total;
    if (isfinite(l->eta) && l->eta >= 0) {
      int eta = (int)MIN(l->eta, 1e7);
      text = g_strdup_printf(
          g_dngettext(NULL, "%d of %d frame · %.2f frames/s · about %d:%02d left",
                      "%d of %d frames · %.2f frames/s · about %d:%02d left", l->total),
          l->done, l->total, l->fps, eta / 60, eta % 60);
    } else {
      text = g_strdup_printf(g_dngettext(NULL, "%d of %d frame", "%d of %d frames", l->total),
                             l->done, l->total);
    }
  }
  if (l->finished->len) {
    finished = l->finished;
    l->finished = g_array_new(FALSE, FALSE, sizeof(int));
  }
  pattern = g_strdup(l->pattern);
  g_mutex_unlock(&l->lock);
  gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress_bar), fraction);
  if (text)
    gtk_label_set_text(GTK_LABEL(self->status_label), text);

  if (pattern && g_strcmp0(pattern, self->pattern) != 0) {
    /* Another model's name: what was on the strip belongs to that model. */
    g_free(self->pattern);
    self->pattern = g_steal_pointer(&pattern);
    g_hash_table_remove_all(self->rendered);
    g_hash_table_remove_all(self->qa);
    g_hash_table_remove_all(self->qa_ids);
    g_hash_table_remove_all(self->qa_dirty);
    self->qa_measured = -1;
    self->frame = G_MININT;
    self->frame_chosen = FALSE;
    update_strip_range(self);
    refresh_facts(self);
    show_frame(self);
  }
  if (!finished)
    return;
  gboolean first_frames = g_hash_table_size(self->rendered) == 0;
  for (guint i = 0; i < finished->len; i++) {
    gpointer f = GINT_TO_POINTER(g_array_index(finished, int, i));
    g_hash_table_add(self->rendered, f);
    g_hash_table_add(self->qa_dirty, f);
  }
  int old_first = self->rendered_first, old_last = self->rendered_last;
  int old_frame = self->frame;
  update_strip_range(self);
  if (self->frame == G_MININT || first_frames || !self->frame_chosen) {
    self->frame = self->rendered_first;
    sr_filmstrip_set_current(SR_FILMSTRIP(self->strip), self->frame);
  }
  if (self->frame != old_frame)
    show_frame(self);
  if (old_first == self->rendered_first && old_last == self->rendered_last)
    for (guint i = 0; i < finished->len; i++)
      sr_filmstrip_reload_frame(SR_FILMSTRIP(self->strip), g_array_index(finished, int, i));
  for (guint i = 0; i < finished->len; i++)
    if (g_array_index(finished, int, i) == self->frame) {
      show_frame(self);
      break;
    }
  update_review(self);
}

static gboolean
on_poll(gpointer data)
{
  poll_log(data);
  return G_SOURCE_CONTINUE;
}

static void
on_render_done(GObject *source, GAsyncResult *result, gpointer data)
{
  SrPageRender *self = data;
  g_autoptr(GError) error = NULL;
  SrJob *job = SR_JOB(source);

  if (self->job == job) {
    poll_log(self);
    g_clear_handle_id(&self->poll_id, g_source_remove);
    if (sr_job_finish(job, result, &error)) {
      g_autofree char *text = g_strdup_printf(
          g_dngettext(NULL, "Done: %d frame written.", "Done: %d frames written.", self->n_done),
          self->n_done);
      gtk_label_set_text(GTK_LABEL(self->status_label), text);
      gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress_bar), 1);
    } else if (g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED)) {
      gtk_label_set_text(GTK_LABEL(self->status_label),
                         _("Stopped; finished frames are kept and skipped next time."));
    } else {
      gtk_label_set_text(GTK_LABEL(self->status_label), error->message);
      sr_ui_show_error(GTK_WIDGET(self), error->message);
    }
    g_clear_object(&self->job);
    update_controls(self);
    /* What is on disk now, then its QA. */
    self->qa_wanted = TRUE;
    request_scan(self, TRUE);
  }
  g_object_unref(self);
}

char *
sr_page_render_get_output_pattern(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), NULL);
  return g_strdup(self->pattern);
}

static gboolean
start_job(SrPageRender *self, int first, int last, int count, GError **error)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  const char *ck = self->project ? sr_project_get_checkpoint(self->project) : NULL;
  const char *out = self->project ? sr_project_get_output_folder(self->project) : NULL;
  if (self->job) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, _("A render is already running."));
    return FALSE;
  }
  if (!ck || !*ck) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No checkpoint: train a model, or choose a checkpoint in the Train stage."));
    return FALSE;
  }
  if (!out || !*out) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No output folder: choose one in the Project stage."));
    return FALSE;
  }
  RenderJob *j = g_new0(RenderJob, 1);
  j->copy = sr_project_copy_for_thread(self->project, NULL);
  if (!j->copy) {
    g_free(j);
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                _("The project could not be copied for the render."));
    return FALSE;
  }
  j->first = first;
  j->last = last;
  j->count = count;
  if (self->log)
    render_log_unref(self->log);
  self->log = render_log_new();
  j->log = g_atomic_rc_box_acquire(self->log);
  self->n_done = 0;
  gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress_bar), 0);
  gtk_label_set_text(GTK_LABEL(self->status_label), _("Starting…"));
  self->job = sr_job_new(_("Rendering"), render_job_run, j, render_job_free);
  self->poll_id = g_timeout_add(200, on_poll, self);
  sr_ui_run_job(GTK_WIDGET(self), self->job, TRUE, on_render_done, g_object_ref(self));
  update_controls(self);
  return TRUE;
}

gboolean
sr_page_render_start(SrPageRender *self, int first, int last, GError **error)
{
  return start_job(self, first, last, 0, error);
}

void
sr_page_render_stop(SrPageRender *self)
{
  if (self->job)
    sr_job_cancel(self->job);
}

gboolean
sr_page_render_get_busy(SrPageRender *self)
{
  return self->job != NULL;
}

int
sr_page_render_get_n_done(SrPageRender *self)
{
  return self->n_done;
}

void
sr_page_render_set_range(SrPageRender *self, int first, int last)
{
  g_return_if_fail(SR_IS_PAGE_RENDER(self));
  gtk_adjustment_set_value(self->first_adjustment, first);
  gtk_adjustment_set_value(self->last_adjustment, last);
  self->range_touched = TRUE;
  update_controls(self);
}

gboolean
sr_page_render_render_range(SrPageRender *self, GError **error)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  gtk_spin_button_update(GTK_SPIN_BUTTON(self->first_spin));
  gtk_spin_button_update(GTK_SPIN_BUTTON(self->last_spin));
  int first = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->first_spin));
  int last = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->last_spin));
  g_autofree char *problem = range_problem(self, first, last);

  update_range_message(self);
  if (problem) {
    g_set_error_literal(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, problem);
    return FALSE;
  }
  return start_job(self, first, last, 0, error);
}

gboolean
sr_page_render_get_source_range(SrPageRender *self, int *first, int *last)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  if (first)
    *first = self->src_first;
  if (last)
    *last = self->src_last;
  return self->have_source;
}

const char *
sr_page_render_get_range_message(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), "");
  return gtk_label_get_text(GTK_LABEL(self->range_message));
}

guint
sr_page_render_get_n_rendered(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), 0);
  return g_hash_table_size(self->rendered);
}

GtkWidget *
sr_page_render_get_strip(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), NULL);
  return self->strip;
}

int
sr_page_render_get_frame(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), G_MININT);
  return self->frame;
}

void
sr_page_render_set_frame(SrPageRender *self, int frame)
{
  g_return_if_fail(SR_IS_PAGE_RENDER(self));
  if (self->rendered_first > self->rendered_last)
    return;
  frame = CLAMP(frame, self->rendered_first, self->rendered_last);
  self->frame_chosen = TRUE;
  if (frame == self->frame)
    return;
  self->frame = frame;
  sr_filmstrip_set_current(SR_FILMSTRIP(self->strip), frame);
  update_review(self);
  show_frame(self);
}

gboolean
sr_page_render_get_qa_busy(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  return self->qa_job != NULL || self->qa_wanted || self->scan_jobs > 0;
}

int
sr_page_render_get_n_qa_measured(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), -1);
  return self->qa_measured;
}

const char *
sr_page_render_get_qa_reasons(SrPageRender *self, int frame)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), NULL);
  return g_hash_table_lookup(self->qa, GINT_TO_POINTER(frame));
}

const char *
sr_page_render_get_review_message(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), "");
  return gtk_label_get_text(GTK_LABEL(self->review_message));
}

/* ---- Flags -------------------------------------------------------------------- */

gboolean
sr_page_render_flag_current(SrPageRender *self, const char *reason, GError **error)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  if (!self->project || self->frame == G_MININT || !is_rendered(self, self->frame)) {
    g_set_error_literal(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                        _("No rendered frame is shown: render some frames first."));
    return FALSE;
  }
  g_autofree char *text = g_strstrip(g_strdup(reason ? reason : ""));
  if (!*text) {
    g_set_error_literal(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                        _("Say why the frame is an outlier: pick a reason or type one."));
    return FALSE;
  }
  gtk_popover_popdown(GTK_POPOVER(self->flag_popover));
  set_review_message(self, NULL);
  sr_project_add_flag(self->project, self->frame, text);
  return TRUE;
}

gboolean
sr_page_render_get_flag_popup_visible(SrPageRender *self)
{
  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), FALSE);
  return gtk_widget_get_visible(self->flag_popover);
}

static void
on_reason_clicked(GtkButton *button, SrPageRender *self)
{
  g_autoptr(GError) error = NULL;
  if (!sr_page_render_flag_current(self, gtk_button_get_label(button), &error))
    set_review_message(self, error->message);
}

static void
on_reason_entered(GtkWidget *widget, SrPageRender *self)
{
  g_autoptr(GError) error = NULL;
  const char *text = gtk_editable_get_text(GTK_EDITABLE(self->reason_entry));
  if (sr_page_render_flag_current(self, text, &error))
    gtk_editable_set_text(GTK_EDITABLE(self->reason_entry), "");
  else
    set_review_message(self, error->message);
}

static void
on_reason_changed(GtkEditable *editable, SrPageRender *self)
{
  g_autofree char *text = g_strstrip(g_strdup(gtk_editable_get_text(editable)));
  gtk_widget_set_sensitive(self->reason_button, *text != '\0');
}

static void
on_popover_show(GtkWidget *popover, SrPageRender *self)
{
  const SrFlag *flag = find_flag(self, self->frame);
  g_autofree char *title = g_strdup_printf(_("Why is frame %d an outlier?"), self->frame);
  gtk_label_set_text(GTK_LABEL(self->flag_popover_title), title);
  gtk_editable_set_text(GTK_EDITABLE(self->reason_entry), flag && flag->reason ? flag->reason : "");
}

static void
build_flag_popover(SrPageRender *self)
{
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);

  self->flag_popover = gtk_popover_new();
  gtk_widget_add_css_class(self->flag_popover, "flag-popover");
  self->flag_popover_title = gtk_label_new(NULL);
  gtk_label_set_xalign(GTK_LABEL(self->flag_popover_title), 0);
  gtk_widget_add_css_class(self->flag_popover_title, "heading");
  gtk_widget_set_margin_bottom(self->flag_popover_title, 4);
  gtk_box_append(GTK_BOX(box), self->flag_popover_title);
  for (guint i = 0; i < G_N_ELEMENTS(common_reasons); i++) {
    GtkWidget *b = gtk_button_new_with_label(_(common_reasons[i]));
    gtk_widget_add_css_class(b, "flat");
    gtk_label_set_xalign(GTK_LABEL(gtk_button_get_child(GTK_BUTTON(b))), 0);
    g_signal_connect(b, "clicked", G_CALLBACK(on_reason_clicked), self);
    gtk_box_append(GTK_BOX(box), b);
  }
  self->reason_entry = gtk_entry_new();
  gtk_entry_set_placeholder_text(GTK_ENTRY(self->reason_entry), _("Another reason…"));
  gtk_widget_set_hexpand(self->reason_entry, TRUE);
  self->reason_button = gtk_button_new_with_label(_("Flag"));
  gtk_widget_add_css_class(self->reason_button, "suggested-action");
  gtk_widget_set_sensitive(self->reason_button, FALSE);
  g_signal_connect(self->reason_entry, "activate", G_CALLBACK(on_reason_entered), self);
  g_signal_connect(self->reason_entry, "changed", G_CALLBACK(on_reason_changed), self);
  g_signal_connect(self->reason_button, "clicked", G_CALLBACK(on_reason_entered), self);
  gtk_box_append(GTK_BOX(row), self->reason_entry);
  gtk_box_append(GTK_BOX(row), self->reason_button);
  gtk_widget_set_margin_top(row, 6);
  gtk_box_append(GTK_BOX(box), row);
  gtk_popover_set_child(GTK_POPOVER(self->flag_popover), box);
  g_signal_connect(self->flag_popover, "show", G_CALLBACK(on_popover_show), self);
  gtk_menu_button_set_popover(GTK_MENU_BUTTON(self->flag_button), self->flag_popover);
}

/* ---- Flagged frames → pairs ------------------------------------------------------ */

static void
append_frames(GString *s, GArray *frames)
{
  for (guint i = 0; i < frames->len; i++)
    g_string_append_printf(s, "%s%d", i ? ", " : "", g_array_index(frames, int, i));
}

int
sr_page_render_add_flagged_pairs(SrPageRender *self, gboolean include_qa, char **summary)
{
  g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(int));
  g_autoptr(GArray) added = g_array_new(FALSE, FALSE, sizeof(int));
  g_autoptr(GArray) held = g_array_new(FALSE, FALSE, sizeof(int));
  g_autoptr(GArray) already = g_array_new(FALSE, FALSE, sizeof(int));
  GString *s = g_string_new(NULL);

  g_return_val_if_fail(SR_IS_PAGE_RENDER(self), 0);
  if (summary)
    *summary = NULL;
  if (!self->project) {
    g_string_free(s, TRUE);
    return 0;
  }
  const GArray *flags = sr_project_get_flags(self->project);
  for (guint i = 0; i < flags->len; i++)
    g_array_append_val(frames, g_array_index(flags, SrFlag, i).frame);
  if (include_qa) {
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, self->qa);
    while (g_hash_table_iter_next(&it, &key, &value)) {
      int f = GPOINTER_TO_INT(key);
      if (*(const char *)value && !find_flag(self, f))
        g_array_append_val(frames, f);
    }
  }
  g_array_sort(frames, compare_int);

  for (guint i = 0; i < frames->len; i++) {
    int f = g_array_index(frames, int, i);
    g_autoptr(GError) error = NULL;
    if (sr_project_is_held_out(self->project, f))
      g_array_append_val(held, f);
    else if (sr_project_has_pair(self->project, f))
      g_array_append_val(already, f);
    else if (sr_project_check_pair(self->project, f, &error))
      g_array_append_val(added, f);
    else
      g_string_append_printf(s, "%s%s", s->len ? " " : "", error->message);
  }
  /* One edit, so one undo takes the whole batch back. */
  sr_project_add_pairs(self->project, (const int *)added->data, added->len);
  /* Whole sentences with the frame list as %s, so every language can place
   * the list where its grammar wants it. */
  GString *text = g_string_new(NULL);
  if (added->len) {
    g_autoptr(GString) list = g_string_new(NULL);
    append_frames(list, added);
    g_string_append_printf(text,
                           g_dngettext(NULL,
                                       "Added frame %s as a training pair; retrain, then "
                                       "re-render a short range.",
                                       "Added frames %s as training pairs; retrain, then "
                                       "re-render a short range.",
                                       added->len),
                           list->str);
  } else {
    g_string_append(text, frames->len ? _("No new pair added.")
                                      : _("No flagged frame: flag outliers first."));
  }
  if (held->len) {
    g_autoptr(GString) list = g_string_new(NULL);
    append_frames(list, held);
    g_string_append_c(text, ' ');
    g_string_append_printf(
        text,
        g_dngettext(NULL, "Frame %s is held out for validation and stays held out.",
                    "Frames %s are held out for validation and stay held out.", held->len),
        list->str);
  }
  if (already->len) {
    g_autoptr(GString) list = g_string_new(NULL);
    append_frames(list, already);
    g_string_append_c(text, ' ');
    g_string_append_printf(text,
                           g_dngettext(NULL, "Frame %s was a pair already.",
                                       "Frames %s were pairs already.", already->len),
                           list->str);
  }
  if (s->len) {
    g_string_append_c(text, ' ');
    g_string_append(text, s->str);
  }
  g_string_free(s, TRUE);
  set_review_message(self, text->str);
  if (summary)
    *summary = g_strdup(text->str);
  g_string_free(text, TRUE);

  if (added->len) {
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    if (SR_IS_WINDOW(root)) {
      GtkWidget *pairs = sr_window_get_page(SR_WINDOW(root), "pairs");
      sr_window_set_stage(SR_WINDOW(root), "pairs");
      /* The summary belongs where the archivist now is. */
      sr_window_show_info(SR_WINDOW(root), gtk_label_get_text(GTK_LABEL(self->review_message)));
      /* Land on the first new pair, so the Pairs stage shows what changed. */
      if (SR_IS_PAGE_PAIRS(pairs))
        sr_page_pairs_set_frame(SR_PAGE_PAIRS(pairs), g_array_index(added, int, 0));
    }
  }
  return (int)added->len;
}

/* ---- Actions -------------------------------------------------------------------- */

static void
report(SrPageRender *self, GError *error)
{
  if (error)
    sr_ui_show_error(GTK_WIDGET(self), error->message);
}

static void
action_check(GtkWidget *widget, const char *name, GVariant *param)
{
  g_autoptr(GError) error = NULL;
  /* The first 100 frames: the worker clamps to the sequence's range. */
  if (!start_job(SR_PAGE_RENDER(widget), G_MININT / 2, -1, CHECK_FRAMES, &error))
    report(SR_PAGE_RENDER(widget), error);
}

static void
action_render_all(GtkWidget *widget, const char *name, GVariant *param)
{
  g_autoptr(GError) error = NULL;
  if (!start_job(SR_PAGE_RENDER(widget), G_MININT / 2, -1, 0, &error))
    report(SR_PAGE_RENDER(widget), error);
}

static void
action_render_range(GtkWidget *widget, const char *name, GVariant *param)
{
  g_autoptr(GError) error = NULL;
  SrPageRender *self = SR_PAGE_RENDER(widget);
  /* A bad range is explained under the entry; other failures go to the banner. */
  if (!sr_page_render_render_range(self, &error) &&
      !g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID))
    report(self, error);
}

static void
action_stop(GtkWidget *widget, const char *name, GVariant *param)
{
  sr_page_render_stop(SR_PAGE_RENDER(widget));
}

static void
action_flag(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);
  if (gtk_widget_get_sensitive(self->flag_button) && gtk_widget_get_mapped(self->flag_button))
    gtk_menu_button_popup(GTK_MENU_BUTTON(self->flag_button));
}

static void
action_flag_reason(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);
  g_autoptr(GError) error = NULL;
  if (!sr_page_render_flag_current(self, g_variant_get_string(param, NULL), &error))
    set_review_message(self, error->message);
}

static void
action_unflag(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);
  if (self->project && self->frame != G_MININT)
    sr_project_remove_flag(self->project, self->frame);
}

static void
action_step(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);
  int step = g_variant_get_int32(param);

  if (self->frame == G_MININT)
    return;
  if (step == G_MININT32)
    sr_page_render_set_frame(self, self->rendered_first);
  else if (step == G_MAXINT32)
    sr_page_render_set_frame(self, self->rendered_last);
  else
    sr_page_render_set_frame(self, self->frame + step);
}

static void
action_add_pairs(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);
  sr_page_render_add_flagged_pairs(
      self, gtk_check_button_get_active(GTK_CHECK_BUTTON(self->include_qa_check)), NULL);
}

/* Keys work wherever the focus is on the page, except while text is typed. */
static gboolean
on_shortcut(GtkWidget *widget, GVariant *args, gpointer user_data)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);
  const char *action = user_data;
  GtkRoot *root = gtk_widget_get_root(widget);
  GtkWidget *focus = root ? gtk_root_get_focus(root) : NULL;

  if ((focus && (GTK_IS_EDITABLE(focus) || gtk_widget_get_ancestor(focus, GTK_TYPE_POPOVER))) ||
      gtk_widget_get_visible(self->flag_popover))
    return FALSE;
  if (!gtk_widget_get_mapped(widget))
    return FALSE;
  return gtk_widget_activate_action_variant(widget, action, args);
}

static void
add_shortcut(GtkShortcutController *controller, guint key, const char *action, GVariant *args)
{
  GtkShortcut *s = gtk_shortcut_new(gtk_keyval_trigger_new(key, 0),
                                    gtk_callback_action_new(on_shortcut, (gpointer)action, NULL));
  if (args)
    gtk_shortcut_set_arguments(s, args);
  gtk_shortcut_controller_add_shortcut(controller, s);
}

static void
on_mode_toggled(GtkToggleButton *button, SrPageRender *self)
{
  SrViewer *v = SR_VIEWER(self->viewer);

  if (!gtk_toggle_button_get_active(button))
    return;
  if (GTK_WIDGET(button) == self->mode_wipe)
    sr_viewer_set_mode(v, SR_VIEWER_MODE_WIPE);
  else if (GTK_WIDGET(button) == self->mode_source)
    sr_viewer_set_mode(v, SR_VIEWER_MODE_A);
  else if (GTK_WIDGET(button) == self->mode_recovered)
    sr_viewer_set_mode(v, SR_VIEWER_MODE_B);
  else if (GTK_WIDGET(button) == self->mode_side)
    sr_viewer_set_mode(v, SR_VIEWER_MODE_SIDE_BY_SIDE);
  else
    sr_viewer_set_mode(v, SR_VIEWER_MODE_DIFFERENCE);
}

static void
on_strip_frame_activated(SrFilmstrip *strip, int frame, SrPageRender *self)
{
  sr_page_render_set_frame(self, frame);
}

static void
on_range_changed(GtkAdjustment *adjustment, SrPageRender *self)
{
  if (!self->syncing)
    self->range_touched = TRUE;
  update_controls(self);
}

/* ---- Project ------------------------------------------------------------------- */

static void
on_project_changed(SrProject *project, const char *description, SrPageRender *self)
{
  refresh_facts(self);
  sync_checkpoint_drop(self);
  update_controls(self);
  update_review(self);
  request_scan(self, FALSE);
}

static void
set_project(SrPageRender *self, SrProject *project)
{
  if (self->project == project)
    return;
  if (self->project)
    g_clear_signal_handler(&self->changed_handler, self->project);
  g_set_object(&self->project, project);
  g_clear_pointer(&self->scan_key, g_free);
  g_clear_pointer(&self->pattern, g_free);
  g_clear_pointer(&self->qa_pattern, g_free);
  g_clear_pointer(&self->qa_error, g_free);
  self->scan_generation++;
  self->have_source = FALSE;
  self->range_touched = FALSE;
  self->qa_measured = -1;
  self->frame = G_MININT;
  self->frame_chosen = FALSE;
  g_hash_table_remove_all(self->rendered);
  g_hash_table_remove_all(self->qa);
  g_hash_table_remove_all(self->qa_ids);
  g_hash_table_remove_all(self->qa_dirty);
  update_strip_range(self);
  set_review_message(self, NULL);
  if (project) {
    self->changed_handler =
        g_signal_connect(project, "changed", G_CALLBACK(on_project_changed), self);
    on_project_changed(project, NULL, self);
  }
  show_frame(self);
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PROJECT]);
}

/* ---- GObject -------------------------------------------------------------------- */

static void
sr_page_render_dispose(GObject *object)
{
  SrPageRender *self = SR_PAGE_RENDER(object);

  if (self->project)
    g_clear_signal_handler(&self->changed_handler, self->project);
  g_clear_object(&self->project);
  g_clear_handle_id(&self->poll_id, g_source_remove);
  if (self->job)
    sr_job_cancel(self->job);
  g_clear_object(&self->job);
  if (self->qa_job) {
    g_signal_handlers_disconnect_by_data(self->qa_job, self);
    sr_job_cancel(self->qa_job);
  }
  g_clear_object(&self->qa_job);
  if (self->log) {
    render_log_unref(self->log);
    self->log = NULL;
  }
  g_clear_object(&self->thumbnailer);
  self->viewer = NULL;
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_RENDER);
  G_OBJECT_CLASS(sr_page_render_parent_class)->dispose(object);
}

static void
sr_page_render_finalize(GObject *object)
{
  SrPageRender *self = SR_PAGE_RENDER(object);

  g_hash_table_unref(self->rendered);
  g_hash_table_unref(self->qa);
  g_hash_table_unref(self->qa_ids);
  g_hash_table_unref(self->qa_dirty);
  g_free(self->flag_list_sig);
  g_ptr_array_unref(self->checkpoint_paths);
  g_free(self->scan_key);
  g_free(self->source_pattern);
  g_free(self->source_error);
  g_free(self->pattern);
  g_free(self->qa_pattern);
  g_free(self->qa_error);
  for (int i = 0; i < 2; i++)
    g_free(self->side[i].want_path);
  G_OBJECT_CLASS(sr_page_render_parent_class)->finalize(object);
}

static void
sr_page_render_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    g_value_set_object(value, SR_PAGE_RENDER(object)->project);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_render_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  if (id == PROP_PROJECT)
    set_project(SR_PAGE_RENDER(object), g_value_get_object(value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void
sr_page_render_map(GtkWidget *widget)
{
  SrPageRender *self = SR_PAGE_RENDER(widget);

  GTK_WIDGET_CLASS(sr_page_render_parent_class)->map(widget);
  if (self->viewer && gtk_widget_get_mapped(self->viewer) && !gtk_widget_has_focus(self->viewer))
    gtk_widget_grab_focus(self->viewer);
}

static void
sr_page_render_class_init(SrPageRenderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->dispose = sr_page_render_dispose;
  object_class->finalize = sr_page_render_finalize;
  object_class->get_property = sr_page_render_get_property;
  object_class->set_property = sr_page_render_set_property;
  widget_class->map = sr_page_render_map;
  properties[PROP_PROJECT] =
      g_param_spec_object("project", NULL, NULL, SR_TYPE_PROJECT,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);

  g_type_ensure(SR_TYPE_FILMSTRIP);
  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-render.ui");
#define BIND(name) gtk_widget_class_bind_template_child(widget_class, SrPageRender, name)
  BIND(mode_wipe);
  BIND(mode_source);
  BIND(mode_recovered);
  BIND(mode_side);
  BIND(mode_difference);
  BIND(frame_label);
  BIND(qa_frame_label);
  BIND(viewer_stack);
  BIND(empty_state);
  BIND(empty_title);
  BIND(empty_text);
  BIND(viewer_slot);
  BIND(strip_box);
  BIND(strip);
  BIND(checkpoint_drop);
  BIND(facts_model);
  BIND(first_spin);
  BIND(last_spin);
  BIND(first_adjustment);
  BIND(last_adjustment);
  BIND(range_message);
  BIND(range_button);
  BIND(check_button);
  BIND(all_button);
  BIND(stop_button);
  BIND(progress_bar);
  BIND(status_label);
  BIND(facts_output);
  BIND(current_title);
  BIND(flag_button);
  BIND(unflag_button);
  BIND(current_state);
  BIND(qa_status);
  BIND(flag_list);
  BIND(include_qa_check);
  BIND(add_pairs_button);
  BIND(review_message);
#undef BIND

  gtk_widget_class_install_action(widget_class, "render.check", NULL, action_check);
  gtk_widget_class_install_action(widget_class, "render.render-all", NULL, action_render_all);
  gtk_widget_class_install_action(widget_class, "render.render-range", NULL, action_render_range);
  gtk_widget_class_install_action(widget_class, "render.stop", NULL, action_stop);
  gtk_widget_class_install_action(widget_class, "render.flag", NULL, action_flag);
  gtk_widget_class_install_action(widget_class, "render.flag-reason", "s", action_flag_reason);
  gtk_widget_class_install_action(widget_class, "render.unflag", NULL, action_unflag);
  gtk_widget_class_install_action(widget_class, "render.step", "i", action_step);
  gtk_widget_class_install_action(widget_class, "render.add-flagged-pairs", NULL, action_add_pairs);
}

static void
sr_page_render_init(SrPageRender *self)
{
  GtkWidget *modes[5];

  gtk_widget_init_template(GTK_WIDGET(self));
  self->rendered = g_hash_table_new(NULL, NULL);
  self->qa = g_hash_table_new_full(NULL, NULL, NULL, g_free);
  self->qa_ids = g_hash_table_new_full(NULL, NULL, NULL, g_free);
  self->qa_dirty = g_hash_table_new(NULL, NULL);
  self->checkpoint_paths = g_ptr_array_new_with_free_func(g_free);
  self->frame = G_MININT;
  self->rendered_first = 0;
  self->rendered_last = -1;
  self->qa_measured = -1;
  for (int i = 0; i < 2; i++)
    self->side[i].want = self->side[i].shown = G_MININT;

  self->viewer = sr_viewer_new();
  gtk_widget_set_vexpand(self->viewer, TRUE);
  gtk_widget_set_hexpand(self->viewer, TRUE);
  gtk_widget_set_focusable(self->viewer, TRUE);
  sr_viewer_set_labels(SR_VIEWER(self->viewer), _("A: Source"), _("B: Recovered"));
  sr_viewer_set_show_labels(SR_VIEWER(self->viewer), TRUE);
  sr_viewer_set_mode(SR_VIEWER(self->viewer), SR_VIEWER_MODE_WIPE);
  gtk_box_append(GTK_BOX(self->viewer_slot), self->viewer);
  self->thumbnailer = g_object_ref(sr_thumbnailer_get_default());

  self->checkpoint_model = gtk_string_list_new(NULL);
  gtk_drop_down_set_model(GTK_DROP_DOWN(self->checkpoint_drop),
                          G_LIST_MODEL(self->checkpoint_model));
  g_object_unref(self->checkpoint_model);
  g_signal_connect(self->checkpoint_drop, "notify::selected", G_CALLBACK(on_checkpoint_selected),
                   self);

  sr_filmstrip_set_funcs(SR_FILMSTRIP(self->strip), request_thumb, frame_marks, self);
  sr_filmstrip_set_tooltip_func(SR_FILMSTRIP(self->strip), frame_tooltip);
  g_signal_connect(self->strip, "frame-activated", G_CALLBACK(on_strip_frame_activated), self);
  g_signal_connect(self->flag_list, "row-activated", G_CALLBACK(on_flag_row_activated), self);
  g_signal_connect(self->first_adjustment, "value-changed", G_CALLBACK(on_range_changed), self);
  g_signal_connect(self->last_adjustment, "value-changed", G_CALLBACK(on_range_changed), self);
  build_flag_popover(self);

  modes[0] = self->mode_wipe;
  modes[1] = self->mode_source;
  modes[2] = self->mode_recovered;
  modes[3] = self->mode_side;
  modes[4] = self->mode_difference;
  for (int i = 0; i < 5; i++)
    g_signal_connect(modes[i], "toggled", G_CALLBACK(on_mode_toggled), self);

  /* Captured before the viewer sees them: on this page F flags (the viewer's
   * fit stays on its toolbar action and the wheel). */
  GtkEventController *keys = gtk_shortcut_controller_new();
  gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
  gtk_event_controller_set_name(keys, "render-keys");
  add_shortcut(GTK_SHORTCUT_CONTROLLER(keys), GDK_KEY_f, "render.flag", NULL);
  add_shortcut(GTK_SHORTCUT_CONTROLLER(keys), GDK_KEY_F, "render.flag", NULL);
  add_shortcut(GTK_SHORTCUT_CONTROLLER(keys), GDK_KEY_Left, "render.step", g_variant_new_int32(-1));
  add_shortcut(GTK_SHORTCUT_CONTROLLER(keys), GDK_KEY_Right, "render.step", g_variant_new_int32(1));
  add_shortcut(GTK_SHORTCUT_CONTROLLER(keys), GDK_KEY_Page_Up, "render.step",
               g_variant_new_int32(-10));
  add_shortcut(GTK_SHORTCUT_CONTROLLER(keys), GDK_KEY_Page_Down, "render.step",
               g_variant_new_int32(10));
  add_shortcut(GTK_SHORTCUT_CONTROLLER(keys), GDK_KEY_Home, "render.step",
               g_variant_new_int32(G_MININT32));
  add_shortcut(GTK_SHORTCUT_CONTROLLER(keys), GDK_KEY_End, "render.step",
               g_variant_new_int32(G_MAXINT32));
  gtk_widget_add_controller(GTK_WIDGET(self), keys);

  gtk_widget_set_visible(self->checkpoint_drop, FALSE);
  update_strip_range(self);
  update_controls(self);
  show_frame(self);
}
