/* sr-page-render-qa.c — the Render page's QA: the rendered frames measured
 * by sr_validation_run in a job, and the frames it flags marked on the
 * filmstrip and in the review panel. */
#include "sr-page-render-private.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-filmstrip.h"
#include "sr-ui-util.h"
#include "sr-validation-note.h"

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
    sr_page_render_update_review(self);
    if (self->qa_wanted && !self->job)
      sr_page_render_start_qa(self);
  }
  g_object_unref(self);
}

void
sr_page_render_start_qa(SrPageRender *self)
{
  if (!sr_page_render_project_of(self) || !self->pattern ||
      g_hash_table_size(self->rendered) == 0) {
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
  q->copy = sr_project_copy_for_thread(sr_page_render_project_of(self), NULL);
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
    if (sr_page_render_is_rendered(self, f - 1))
      g_hash_table_add(wanted, GINT_TO_POINTER(f - 1));
  }
  g_hash_table_remove_all(self->qa_dirty);
  g_hash_table_iter_init(&it, wanted);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    int f = GPOINTER_TO_INT(key);
    g_array_append_val(q->frames, f);
  }
  g_array_sort(q->frames, sr_page_render_compare_int);
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
