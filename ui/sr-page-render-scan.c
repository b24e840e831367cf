/* sr-page-render-scan.c — what the Render page finds on disk, on a worker:
 * the Source's range, the output name for the checkpoint, the frames
 * already rendered under it and the training run's checkpoints. */
#include "sr-page-render-private.h"

#include "sr-window.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sr-checkpoint.h"
#include "sr-delivery.h"
#include "sr-filmstrip.h"
#include "sr-io.h"
#include "sr-rendering.h"
#include "sr-ui-util.h"
#include "sr-viewer.h"

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
    sr_page_render_sync_checkpoint_drop(self);
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
  sr_page_render_sync_checkpoint_drop(self);
  gtk_widget_set_visible(self->checkpoint_drop, entries->len > 0);
  gtk_widget_set_visible(self->facts_model, entries->len == 0);
}

static void
on_scan_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  Scan *s = sr_job_get_data(SR_JOB(source));
  SrPageRender *self = s->page;

  self->scan_jobs--;
  if (s->generation == self->scan_generation && sr_page_render_project_of(self)) {
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
      same_frames = sr_page_render_is_rendered(self, g_array_index(s->rendered, int, i));
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
      if (!sr_page_render_is_rendered(self, GPOINTER_TO_INT(qkey))) {
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
    if (self->frame == G_MININT || !sr_page_render_is_rendered(self, self->frame))
      self->frame = s->rendered->len ? g_array_index(s->rendered, int, 0) : G_MININT;
    /* Rebuilding the display LUT is not free: only when the space changed. */
    if (sr_viewer_get_colourspace(SR_VIEWER(self->viewer)) !=
        sr_project_get_source_colourspace(sr_page_render_project_of(self)))
      sr_viewer_set_colourspace(SR_VIEWER(self->viewer),
                                sr_project_get_source_colourspace(sr_page_render_project_of(self)));
    sr_page_render_update_strip_range(self);
    if (self->frame != G_MININT)
      sr_filmstrip_set_current(SR_FILMSTRIP(self->strip), self->frame);
    if (!same_frames)
      sr_filmstrip_reload(SR_FILMSTRIP(self->strip));
    self->scanned = TRUE;
    sr_page_render_refresh_facts(self);
    sr_page_render_update_controls(self);
    sr_page_render_update_review(self);
    sr_page_render_show_frame(self);
    sr_page_render_show_idle_status(self);
    /* The stage list reads the same facts (sr_page_render_get_facts). */
    GtkWidget *window = gtk_widget_get_ancestor(GTK_WIDGET(self), SR_TYPE_WINDOW);
    if (window)
      sr_window_refresh_stages(SR_WINDOW(window));
    /* Measure after each render, and once for frames already on disk. */
    if (!self->job && g_hash_table_size(self->rendered) > 0 &&
        (self->qa_wanted || g_strcmp0(self->qa_pattern, self->pattern) != 0))
      sr_page_render_start_qa(self);
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
void
sr_page_render_request_scan(SrPageRender *self, gboolean force)
{
  if (!sr_page_render_project_of(self))
    return;
  g_autofree char *key = scan_key(sr_page_render_project_of(self));
  if (!force && g_strcmp0(key, self->scan_key) == 0)
    return;
  g_free(self->scan_key);
  self->scan_key = g_steal_pointer(&key);
  Scan *s = g_new0(Scan, 1);
  s->copy = sr_project_copy_for_thread(sr_page_render_project_of(self), NULL);
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
