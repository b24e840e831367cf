/* sr-page-review-metrics.c — the Review page's per-frame metrics: the
 * rendered range measured by sr_validation_run on a worker (a snapshot of
 * the project), the plots and the frames they mark. */
#include "sr-page-review-private.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sr-ui-util.h"
#include "sr-validation-note.h"

/* ---- Metrics (worker) --------------------------------------------------------------- */

typedef struct {
  SrPageReview *page;
  SrProject *snapshot;
  char *render_pattern, *key;
  int first, last;
  SrValidationResult result;
  SrJob *job;
} MeasureJob;

static void
measure_job_free(gpointer data)
{
  MeasureJob *m = data;
  g_clear_object(&m->snapshot);
  g_free(m->render_pattern);
  g_free(m->key);
  sr_validation_result_clear(&m->result);
  g_free(m);
}

static void
on_measure_progress(int done, int total, int frame, gpointer user_data)
{
  MeasureJob *m = user_data;
  g_autofree char *text = g_strdup_printf(_("Measured frame %d (%d of %d)"), frame, done, total);
  sr_job_set_progress(m->job, total > 0 ? (double)done / total : -1, text);
}

static gboolean
measure_thread(SrJob *job, gpointer data, GError **error)
{
  MeasureJob *m = data;
  SrValidationOptions o;

  sr_validation_options_init(&o);
  o.render_pattern = m->render_pattern;
  o.first = m->first;
  o.last = m->last;
  o.write_note = FALSE;
  o.write_stills = FALSE;
  m->job = job;
  return sr_validation_run(m->snapshot, &o, on_measure_progress, m, sr_job_get_cancellable(job),
                           &m->result, error);
}

static void
on_measure_message(SrJob *job, GParamSpec *pspec, SrPageReview *self)
{
  const char *message = sr_job_get_message(job);
  if (job == self->measure_job && message)
    sr_page_review_set_measure_text(self, message);
}

static void
on_measure_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrJob *job = SR_JOB(source);
  MeasureJob *m = sr_job_get_data(job);
  SrPageReview *self = m->page;
  g_autoptr(GError) error = NULL;

  if (job != self->measure_job) {
    g_object_unref(self);
    return;
  }
  g_signal_handlers_disconnect_by_data(job, self);
  g_clear_object(&self->measure_job);
  sr_page_review_update_busy(self);
  if (!sr_job_finish(job, result, &error)) {
    if (!g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED) &&
        !g_error_matches(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_CANCELLED)) {
      g_autofree char *text =
          g_strdup_printf(_("Could not measure the render: %s"), error->message);
      sr_page_review_set_measure_text(self, text);
      sr_ui_show_error(GTK_WIDGET(self), text);
    }
  } else if (g_strcmp0(m->key, self->render_key) == 0) {
    g_free(self->qa);
    self->n_qa = m->result.n_frames;
    self->qa = g_memdup2(m->result.frames, sizeof(sr_qa_frame) * (gsize)MAX(self->n_qa, 0));
    g_free(self->measured_key);
    self->measured_key = g_strdup(m->key);
    sr_page_review_update_plots(self);
  }
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "review.measure", self->has_render);
  /* The render changed while the old one was being measured. */
  if (self->has_render && g_strcmp0(m->key, self->render_key) != 0 &&
      g_strcmp0(self->measured_key, self->render_key) != 0)
    sr_page_review_start_measure(self);
  g_object_unref(self);
}

static gboolean
begin_measure(SrPageReview *self, GError **error)
{
  if (!self->has_render || !sr_page_review_project_of(self)) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("Nothing rendered to measure: render frames on the Render page first."));
    return FALSE;
  }
  if (self->measure_job) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, _("The render is being measured."));
    return FALSE;
  }
  SrProject *snapshot = sr_project_copy_for_thread(sr_page_review_project_of(self), error);
  if (!snapshot)
    return FALSE;
  MeasureJob *m = g_new0(MeasureJob, 1);
  m->page = g_object_ref(self);
  m->snapshot = snapshot;
  m->render_pattern = g_strdup(self->render_pattern);
  m->key = g_strdup(self->render_key);
  m->first = self->first;
  m->last = self->last;
  self->measure_job = sr_job_new(_("Measuring the render"), measure_thread, m, measure_job_free);
  g_signal_connect(self->measure_job, "notify::message", G_CALLBACK(on_measure_message), self);
  sr_page_review_set_measure_text(self, _("Measuring every rendered frame…"));
  for (int i = 0; i < SR_REVIEW_N_ITEMS; i++)
    sr_metric_plot_set_placeholder(SR_METRIC_PLOT(self->plots[i]), _("Measuring…"));
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "review.measure", FALSE);
  sr_ui_run_job(GTK_WIDGET(self), self->measure_job, TRUE, on_measure_done, NULL);
  sr_page_review_update_busy(self);
  return TRUE;
}

void
sr_page_review_start_measure(SrPageReview *self)
{
  g_autoptr(GError) error = NULL;
  if (!begin_measure(self, &error))
    sr_page_review_set_measure_text(self, error->message);
}

gboolean
sr_page_review_measure(SrPageReview *self, GError **error)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), FALSE);
  return begin_measure(self, error);
}

gboolean
sr_page_review_get_measuring(SrPageReview *self)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), FALSE);
  return self->measure_job != NULL;
}

int
sr_page_review_get_n_measured(SrPageReview *self)
{
  g_return_val_if_fail(SR_IS_PAGE_REVIEW(self), 0);
  return self->qa ? self->n_qa : 0;
}

void
sr_page_review_action_measure(GtkWidget *widget, const char *name, GVariant *param)
{
  SrPageReview *self = SR_PAGE_REVIEW(widget);
  g_autoptr(GError) error = NULL;

  if (!begin_measure(self, &error))
    sr_ui_show_error(widget, error->message);
}

static gboolean
has_flag(const sr_qa_frame *f, const char *const *ids)
{
  for (int i = 0; i < f->n_flags; i++)
    if (g_strv_contains(ids, f->flags[i].id))
      return TRUE;
  return FALSE;
}

void
sr_page_review_update_marks(SrPageReview *self)
{
  const GArray *flags = sr_page_review_project_of(self)
                            ? sr_project_get_flags(sr_page_review_project_of(self))
                            : NULL;
  g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(int));

  for (guint i = 0; flags && i < flags->len; i++)
    g_array_append_val(frames, g_array_index(flags, SrFlag, i).frame);
  for (int i = 0; i < SR_REVIEW_N_ITEMS; i++)
    sr_metric_plot_set_marks(SR_METRIC_PLOT(self->plots[i]), (const int *)frames->data,
                             (int)frames->len);
}

/* Each plot reads one field; a point is red when the frame carries a flag
 * about that field. */
void
sr_page_review_update_plots(SrPageReview *self)
{
  static const char *const sharp_ids[] = {"detail-loss", "over-sharpening", NULL};
  static const char *const grain_ids[] = {"grain-mismatch", NULL};
  static const char *const flicker_ids[] = {"flicker", "detail-flicker", NULL};
  static const char *const chroma_ids[] = {"chroma-shift", NULL};
  static const char *const halo_ids[] = {"halo", NULL};
  static const char *const *const ids[SR_REVIEW_N_ITEMS] = {sharp_ids, grain_ids, flicker_ids,
                                                            chroma_ids, halo_ids};
  int n = self->qa ? self->n_qa : 0;
  g_autofree int *frames = g_new0(int, MAX(n, 1));
  g_autofree double *values = g_new0(double, MAX(n, 1));
  g_autofree gboolean *outlier = g_new0(gboolean, MAX(n, 1));
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
  sr_qa_thresholds t;
  gboolean has_reference = FALSE;
  double ref_halo = 0;
  int n_ref_halo = 0, n_flagged = 0;

  sr_qa_thresholds_init(&t);
  for (int i = 0; i < n; i++) {
    const sr_qa_frame *f = &self->qa[i];
    GString *note = g_string_new(NULL);
    for (int k = 0; k < f->n_flags; k++)
      g_string_append_printf(note, "%s%s", k ? "\n" : "", f->flags[k].reason);
    g_ptr_array_add(notes, g_string_free(note, FALSE));
    has_reference |= f->has_reference;
    if (f->has_reference && isfinite(f->reference_halo_score)) {
      ref_halo += f->reference_halo_score;
      n_ref_halo++;
    }
    n_flagged += f->n_flags > 0;
  }

  for (int p = 0; p < SR_REVIEW_N_ITEMS; p++) {
    SrMetricPlot *plot = SR_METRIC_PLOT(self->plots[p]);
    double low = NAN, high = NAN;
    for (int i = 0; i < n; i++) {
      const sr_qa_frame *f = &self->qa[i];
      frames[i] = f->frame;
      outlier[i] = has_flag(f, ids[p]);
      switch (p) {
      case 0: values[i] = f->sharpness_gain_db; break;
      case 1: values[i] = has_reference ? f->grain_vs_reference_db : f->grain_vs_source_db; break;
      case 2: values[i] = f->flicker_luma; break;
      case 3: values[i] = f->chroma_max; break;
      default: values[i] = f->halo_score; break;
      }
    }
    switch (p) {
    case 0:
      low = t.sharpness_min_db;
      high = has_reference ? NAN : t.sharpness_max_db;
      sr_metric_plot_set_format(plot, _("%.2f dB"));
      break;
    case 1:
      if (has_reference) {
        low = -t.grain_over_ref_db;
        high = t.grain_over_ref_db;
      }
      sr_metric_plot_set_format(plot, _("%.2f dB"));
      sr_metric_plot_set_title(plot,
                               has_reference ? _("Grain vs Reference") : _("Grain vs Source"));
      break;
    case 2:
      high = t.flicker_luma;
      sr_metric_plot_set_format(plot, "%.4f");
      break;
    case 3:
      high = t.chroma_max;
      sr_metric_plot_set_format(plot, "%.4f");
      break;
    default:
      high = t.halo_excess + (n_ref_halo ? ref_halo / n_ref_halo : 0);
      sr_metric_plot_set_format(plot, "%.3f");
      break;
    }
    /* The narrowest range drawn, so a change far smaller than what the
     * checks accept is not drawn as drama: 2 dB for the dB plots, the
     * limit's own size (0 to the limit) for the others. */
    sr_metric_plot_set_min_span(plot, p < 2 ? 2.0 : high);
    sr_metric_plot_set_limits(plot, low, high);
    sr_metric_plot_set_points(plot, frames, values, outlier, (const char *const *)notes->pdata, n);
    sr_metric_plot_set_placeholder(plot, _("Not measured yet"));
  }
  sr_page_review_update_marks(self);

  if (self->qa) {
    g_autofree char *text = NULL;
    if (n_flagged) {
      /* Name every kind of flag with its count: some (range, NaN, held-out
       * fidelity) have no plot of their own to turn red. */
      g_autoptr(GString) kinds = g_string_new(NULL);
      g_autoptr(GHashTable) counts = g_hash_table_new(g_str_hash, g_str_equal);
      g_autoptr(GPtrArray) order = g_ptr_array_new();
      for (int i = 0; i < self->n_qa; i++)
        for (int k = 0; k < self->qa[i].n_flags; k++) {
          const char *id = self->qa[i].flags[k].id;
          guint c = GPOINTER_TO_UINT(g_hash_table_lookup(counts, id));
          if (!c)
            g_ptr_array_add(order, (gpointer)id);
          g_hash_table_insert(counts, (gpointer)id, GUINT_TO_POINTER(c + 1));
        }
      for (guint i = 0; i < order->len; i++)
        g_string_append_printf(kinds, "%s%s × %u", i ? ", " : "", (const char *)order->pdata[i],
                               GPOINTER_TO_UINT(g_hash_table_lookup(counts, order->pdata[i])));
      text = g_strdup_printf(g_dngettext(NULL,
                                         "%d frame measured · %d with outliers (%s): hover "
                                         "a red point for the reason, click it to show the "
                                         "frame.",
                                         "%d frames measured · %d with outliers (%s): hover a red "
                                         "point for the reason, click it to show the frame.",
                                         n),
                             n, n_flagged, kinds->str);
    } else
      text = g_strdup_printf(g_dngettext(NULL,
                                         "%d frame measured · every metric within its "
                                         "lines. Click a point to show that frame.",
                                         "%d frames measured · every metric within its lines. "
                                         "Click a point to show that frame.",
                                         n),
                             n);
    sr_page_review_set_measure_text(self, text);
  }
}

void
sr_page_review_on_plot_activated(SrMetricPlot *plot, int frame, SrPageReview *self)
{
  sr_page_review_set_frame(self, frame);
}
