/* sr-page-deliver.c — the Deliver page (see sr-page-deliver.h): its
 * options, provenance fields and the delivery job. The summary of what will
 * be written is in sr-page-deliver-summary.c. */
#include "sr-config.h"

#include "sr-page-deliver-private.h"

#include <glib/gi18n.h>

#include "sr-delivery.h"
#include "sr-timecode-spin.h"
#include "sr-ui-util.h"
#include "sr-validation-note.h"
#include "sr-window.h"

/* Share of the progress bar each part of a delivery takes. */
#define NOTE_SHARE  0.4
#define WRITE_SHARE 0.85 /* of what the note leaves; verification takes the rest */

static const char *const provenance_fields[] = {
    "film_title", "shot_id", "source_element", "reference_source", "restorationist", "institution"};
#define N_PROV_ENTRIES G_N_ELEMENTS(provenance_fields)

/* ---- Delivery job (worker thread) ----------------------------------------- */

typedef struct {
  SrJob *job; /* not owned: the job owns this */
  SrProject *snapshot;
  char *out_dir;
  int first, last;
  sr_colourspace space;
  sr_exr_compression compression;
  gboolean write_note;
  gboolean use_override; /* the snapshot's last override lets it through the gate */
  double base, share;    /* where the current part sits on the progress bar */
  gint64 part_start;
  /* Out. */
  SrDeliveryResult result;
  char *note_path;
  double write_seconds;
} DeliverJob;

static void
deliver_job_free(gpointer p)
{
  DeliverJob *j = p;
  g_clear_object(&j->snapshot);
  g_free(j->out_dir);
  g_free(j->note_path);
  sr_delivery_result_clear(&j->result);
  g_free(j);
}

static double
part_rate(DeliverJob *j, int done)
{
  double s = (g_get_monotonic_time() - j->part_start) / (double)G_USEC_PER_SEC;
  return s > 0 ? done / s : 0;
}

static void
on_validation_progress(int done, int total, int frame, gpointer user_data)
{
  DeliverJob *j = user_data;
  g_autofree char *msg =
      g_strdup_printf(_("Validation note: measured frame %d (%d of %d, %.1f frames/s)"), frame,
                      done, total, part_rate(j, done));
  sr_job_set_progress(j->job, j->base + j->share * (total > 0 ? (double)done / total : 0), msg);
}

static void
on_delivery_progress(int done, int total, int frame, const char *status, gpointer user_data)
{
  DeliverJob *j = user_data;
  g_autofree char *msg = NULL;
  double write_end = j->base + j->share * WRITE_SHARE;
  double fraction;

  if (g_strcmp0(status, "verified") == 0) {
    if (done == 1) {
      j->write_seconds = (g_get_monotonic_time() - j->part_start) / (double)G_USEC_PER_SEC;
      j->part_start = g_get_monotonic_time();
    }
    msg = g_strdup_printf(_("Reading back master %d (%d of %d)"), frame, done, total);
    fraction = write_end + (j->base + j->share - write_end) * done / MAX(total, 1);
  } else {
    const char *what = g_strcmp0(status, "skipped") == 0 ? _("kept, already there") : _("written");
    msg = g_strdup_printf(_("Master for frame %d %s (%d of %d, %.1f frames/s)"), frame, what, done,
                          total, part_rate(j, done));
    fraction = j->base + (write_end - j->base) * done / MAX(total, 1);
  }
  sr_job_set_progress(j->job, fraction, msg);
}

static gboolean
deliver_job_run(SrJob *job, gpointer data, GError **error)
{
  DeliverJob *j = data;

  j->base = 0;
  j->share = 1;
  g_autoptr(GArray) qa_flagged = g_array_new(FALSE, FALSE, sizeof(int));
  if (j->write_note) {
    SrValidationOptions vo;
    SrValidationResult vr = {0};
    g_autofree char *dir = g_build_filename(j->out_dir, "validation", NULL);
    sr_validation_options_init(&vo);
    vo.out_dir = dir;
    vo.first = j->first;
    vo.last = j->last;
    j->share = NOTE_SHARE;
    j->part_start = g_get_monotonic_time();
    sr_job_set_progress(job, 0, _("Validation note: measuring the render…"));
    if (!sr_validation_run(j->snapshot, &vo, on_validation_progress, j, sr_job_get_cancellable(job),
                           &vr, error)) {
      sr_validation_result_clear(&vr);
      g_prefix_error(error, _("Validation note: "));
      return FALSE;
    }
    j->note_path = g_strdup(vr.note_path);
    for (int i = 0; i < vr.n_frames; i++)
      if (vr.frames[i].n_flags)
        g_array_append_val(qa_flagged, vr.frames[i].frame);
    sr_validation_result_clear(&vr);
    j->base = NOTE_SHARE;
    j->share = 1 - NOTE_SHARE;
  }

  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.out_dir = j->out_dir;
  o.first = j->first;
  o.last = j->last;
  o.space = j->space;
  o.compression = j->compression;
  o.note_path = j->note_path;
  o.gate.qa_run = j->write_note;
  o.gate.qa_flagged = qa_flagged;
  const GPtrArray *ovs = sr_project_get_overrides(j->snapshot);
  if (j->use_override && ovs->len)
    o.override = g_ptr_array_index(ovs, ovs->len - 1);
  j->part_start = g_get_monotonic_time();
  return sr_delivery_run(j->snapshot, &o, on_delivery_progress, j, sr_job_get_cancellable(job),
                         &j->result, error);
}

/* ---- The page --------------------------------------------------------------- */

G_DEFINE_FINAL_TYPE(SrPageDeliver, sr_page_deliver, SR_TYPE_STAGE_PAGE)

SrProject *
sr_page_deliver_project_of(SrPageDeliver *self)
{
  return sr_stage_page_get_project(SR_STAGE_PAGE(self));
}


static GtkWidget *
prov_entry(SrPageDeliver *self, guint i)
{
  GtkWidget *entries[] = {self->film_title,       self->shot_id,        self->source_element,
                          self->reference_source, self->restorationist, self->institution};
  return entries[i];
}

char *
sr_page_deliver_dup_destination(SrPageDeliver *self)
{
  g_return_val_if_fail(SR_IS_PAGE_DELIVER(self), NULL);
  if (self->chosen_dir)
    return g_strdup(self->chosen_dir);
  if (!sr_page_deliver_project_of(self))
    return NULL;
  g_autofree char *out =
      sr_project_resolve_path(sr_page_deliver_project_of(self),
                              sr_project_get_output_folder(sr_page_deliver_project_of(self)));
  return out ? g_build_filename(out, "delivery", NULL) : NULL;
}

static void
update_folder(SrPageDeliver *self)
{
  g_autofree char *dest = sr_page_deliver_dup_destination(self);
  gtk_label_set_text(GTK_LABEL(self->folder_label),
                     dest ? dest : _("No output folder: choose one here or in the Project stage"));
  gtk_widget_set_tooltip_text(self->folder_label, dest);
  gtk_widget_set_visible(self->folder_reset, self->chosen_dir != NULL);
}

void
sr_page_deliver_update_controls(SrPageDeliver *self)
{
  gboolean busy = self->job != NULL;
  gboolean rendered = self->n_rendered > 0;
  gtk_widget_set_sensitive(self->deliver_button, !busy && self->can_deliver);
  gtk_widget_set_visible(self->open_button, !busy && self->done_dir != NULL);
  gtk_widget_set_visible(self->progress_bar, busy);
  gtk_widget_set_sensitive(self->space_dropdown, !busy);
  gtk_widget_set_sensitive(self->compression_dropdown, !busy);
  gtk_widget_set_sensitive(self->first_spin, !busy && rendered);
  gtk_widget_set_sensitive(self->last_spin, !busy && rendered);
  gtk_widget_set_sensitive(self->range_reset, !busy && rendered && self->range_chosen);
  gtk_widget_set_sensitive(self->folder_button, !busy);
  gtk_widget_set_sensitive(self->folder_reset, !busy);
  gtk_widget_set_sensitive(self->note_check, !busy);
  sr_page_deliver_gate_update(self);
  if (!self->checking) {
    g_clear_handle_id(&self->spinner_source, g_source_remove);
    gtk_spinner_stop(GTK_SPINNER(self->summary_spinner));
    gtk_widget_set_visible(self->summary_spinner, FALSE);
  }
}

gboolean
sr_page_deliver_show_spinner(gpointer user_data)
{
  SrPageDeliver *self = user_data;
  self->spinner_source = 0;
  gtk_widget_set_visible(self->summary_spinner, TRUE);
  gtk_spinner_start(GTK_SPINNER(self->summary_spinner));
  return G_SOURCE_REMOVE;
}

static void
sync_from_project(SrPageDeliver *self)
{
  SrProject *p = sr_page_deliver_project_of(self);

  gtk_widget_set_sensitive(GTK_WIDGET(self), p != NULL);
  sr_timecode_spin_set_project(GTK_SPIN_BUTTON(self->first_spin), p);
  sr_timecode_spin_set_project(GTK_SPIN_BUTTON(self->last_spin), p);
  if (!p)
    return;
  const SrProvenance *prov = sr_project_get_provenance(p);
  const char *values[] = {prov->film_title,       prov->shot_id,        prov->source_element,
                          prov->reference_source, prov->restorationist, prov->institution};
  GtkTextBuffer *buffer = gtk_text_view_get_buffer(GTK_TEXT_VIEW(self->notes));
  GtkTextIter start, end;
  gtk_text_buffer_get_bounds(buffer, &start, &end);
  g_autofree char *notes = gtk_text_buffer_get_text(buffer, &start, &end, FALSE);

  self->syncing = TRUE;
  for (guint i = 0; i < N_PROV_ENTRIES; i++)
    sr_ui_editable_sync(GTK_EDITABLE(prov_entry(self, i)), values[i]);
  if (g_strcmp0(notes, prov->notes ? prov->notes : "") != 0)
    gtk_text_buffer_set_text(buffer, prov->notes ? prov->notes : "", -1);
  self->syncing = FALSE;
  update_folder(self);
}

static void
on_provenance_changed(SrPageDeliver *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer(GTK_TEXT_VIEW(self->notes));
  GtkTextIter start, end;
  SrProvenance prov;

  if (self->syncing || !sr_page_deliver_project_of(self))
    return;
  gtk_text_buffer_get_bounds(buffer, &start, &end);
  g_autofree char *notes = gtk_text_buffer_get_text(buffer, &start, &end, FALSE);
  prov.film_title = (char *)gtk_editable_get_text(GTK_EDITABLE(self->film_title));
  prov.shot_id = (char *)gtk_editable_get_text(GTK_EDITABLE(self->shot_id));
  prov.source_element = (char *)gtk_editable_get_text(GTK_EDITABLE(self->source_element));
  prov.reference_source = (char *)gtk_editable_get_text(GTK_EDITABLE(self->reference_source));
  prov.restorationist = (char *)gtk_editable_get_text(GTK_EDITABLE(self->restorationist));
  prov.institution = (char *)gtk_editable_get_text(GTK_EDITABLE(self->institution));
  prov.notes = notes;
  sr_project_set_provenance(sr_page_deliver_project_of(self), &prov);
}

/* ---- Option handlers -------------------------------------------------------- */

static void
on_option_changed(SrPageDeliver *self)
{
  if (self->syncing)
    return;
  sr_page_deliver_clear_error_status(self);
  sr_page_deliver_queue_summary(self);
}

static void
on_range_changed(GtkSpinButton *spin, SrPageDeliver *self)
{
  if (self->syncing)
    return;
  self->range_chosen = TRUE;
  sr_page_deliver_clear_error_status(self);
  sr_page_deliver_queue_summary(self);
}

static void
on_range_reset(GtkButton *button, SrPageDeliver *self)
{
  sr_page_deliver_set_range(self, 1, 0);
}

static void
on_folder_response(GtkNativeDialog *dialog, int response, SrPageDeliver *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    g_autofree char *path = file ? g_file_get_path(file) : NULL;
    if (path)
      sr_page_deliver_set_destination(self, path);
    else if (file)
      sr_ui_show_error(GTK_WIDGET(self),
                       _("The chosen delivery folder is not a local folder: choose one on this "
                         "computer or a mounted drive."));
  }
  g_object_unref(dialog);
  g_object_unref(self);
}

static void
on_folder_clicked(GtkButton *button, SrPageDeliver *self)
{
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new(
      _("Choose the Delivery Folder"), GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
      GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Choose"), _("_Cancel"));
  g_autofree char *dest = sr_page_deliver_dup_destination(self);
  g_autofree char *existing = NULL;
  /* Start from the nearest folder that exists. */
  for (existing = g_strdup(dest); existing && !g_file_test(existing, G_FILE_TEST_IS_DIR);) {
    char *parent = g_path_get_dirname(existing);
    if (g_strcmp0(parent, existing) == 0) {
      g_free(parent);
      g_clear_pointer(&existing, g_free);
      break;
    }
    g_free(existing);
    existing = parent;
  }
  if (existing) {
    g_autoptr(GFile) folder = g_file_new_for_path(existing);
    gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(dialog), folder, NULL);
  }
  g_signal_connect(dialog, "response", G_CALLBACK(on_folder_response), g_object_ref(self));
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

static void
on_folder_reset(GtkButton *button, SrPageDeliver *self)
{
  sr_page_deliver_set_destination(self, NULL);
}

static void
on_goto_clicked(GtkButton *button, SrPageDeliver *self)
{
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  if (SR_IS_WINDOW(root) && self->goto_stage)
    sr_window_set_stage(SR_WINDOW(root), self->goto_stage);
}

void
sr_page_deliver_on_map(GtkWidget *widget, SrPageDeliver *self)
{
  /* Renders finish elsewhere; what is on disk is read again on every visit. */
  sr_page_deliver_queue_summary(self);
}

/* ---- Delivery (main thread) ------------------------------------------------- */

static void
on_job_progress(SrJob *job, GParamSpec *pspec, SrPageDeliver *self)
{
  if (self->job != job)
    return;
  double f = sr_job_get_fraction(job);
  if (f >= 0)
    gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress_bar), f);
  const char *msg = sr_job_get_message(job);
  gtk_label_set_text(GTK_LABEL(self->status_label), msg ? msg : "");
}

static void
on_deliver_done(GObject *source, GAsyncResult *res, gpointer data)
{
  SrPageDeliver *self = data;
  g_autoptr(GError) error = NULL;
  SrJob *job = SR_JOB(source);
  DeliverJob *j = sr_job_get_data(job);

  if (self->job == job) {
    g_signal_handlers_disconnect_by_data(job, self);
    gboolean ok = sr_job_finish(job, res, &error);
    gboolean cancelled = g_error_matches(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED) ||
                         g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
                         g_error_matches(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_CANCELLED) ||
                         g_error_matches(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_CANCELLED);
    if (ok) {
      SrDeliveryResult *r = &j->result;
      int n = r->last - r->first + 1;
      double fps = j->write_seconds > 0 ? r->written / j->write_seconds : 0;
      g_autofree char *head =
          g_strdup_printf(ngettext("Delivered %d master", "Delivered %d masters", n), n);
      g_autofree char *text = g_strdup_printf(
          j->note_path ? _("%s (%d written at %.1f frames/s, %d already there) into %s, every "
                           "one read back and checked, with both sidecars and the validation "
                           "note listed above.")
                       : _("%s (%d written at %.1f frames/s, %d already there) into %s, every "
                           "one read back and checked, with both sidecars listed above."),
          head, r->written, fps, r->skipped, r->out_dir);
      gtk_label_set_text(GTK_LABEL(self->status_label), text);
      self->n_written = r->written;
      g_free(self->done_dir);
      self->done_dir = g_strdup(r->out_dir);
      g_free(self->done_json);
      self->done_json = g_strdup(r->json_path);
      g_free(self->done_text);
      self->done_text = g_strdup(r->text_path);
      g_free(self->done_pattern);
      self->done_pattern = g_strdup(r->master_pattern);
      g_free(self->done_note);
      self->done_note = g_strdup(j->note_path);
    } else if (cancelled) {
      gtk_label_set_text(GTK_LABEL(self->status_label),
                         _("Stopped; finished masters are kept and skipped next time."));
    } else {
      gtk_label_set_text(GTK_LABEL(self->status_label), error->message);
      sr_ui_show_error(GTK_WIDGET(self), error->message);
      sr_page_deliver_gate_job_failed(self, error);
    }
    self->status_is_error = error && !cancelled;
    g_clear_object(&self->job);
    sr_stage_page_set_busy(SR_STAGE_PAGE(self), FALSE);
    sr_page_deliver_update_controls(self);
    sr_page_deliver_queue_summary(self);
  }
  g_object_unref(self);
}

static void
deliver_after_save(GtkWidget *page, gpointer out_dir)
{
  g_autoptr(GError) error = NULL;
  if (!sr_page_deliver_start(SR_PAGE_DELIVER(page), out_dir, &error))
    sr_ui_show_error(page, error->message);
}

gboolean
sr_page_deliver_start(SrPageDeliver *self, const char *out_dir, GError **error)
{
  g_return_val_if_fail(SR_IS_PAGE_DELIVER(self), FALSE);
  if (self->job) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID, _("A delivery is already running."));
    return FALSE;
  }
  if (!sr_page_deliver_project_of(self)) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING, _("No project is open."));
    return FALSE;
  }
  g_autofree char *dest = out_dir ? g_strdup(out_dir) : sr_page_deliver_dup_destination(self);
  if (!dest) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("No delivery folder: choose one, or the project's output folder in the Project "
                  "stage."));
    return FALSE;
  }
  /* The delivery note and sidecars name the project's file: save it first. */
  if (!sr_ui_save_first(GTK_WIDGET(self), deliver_after_save, g_strdup(out_dir), g_free))
    return TRUE;
  SrProject *snapshot = sr_project_copy_for_thread(sr_page_deliver_project_of(self), error);
  if (!snapshot)
    return FALSE;
  DeliverJob *j = g_new0(DeliverJob, 1);
  j->snapshot = snapshot;
  j->out_dir = g_steal_pointer(&dest);
  j->first = 1;
  j->last = 0;
  if (self->range_chosen) {
    j->first = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->first_spin));
    j->last = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->last_spin));
  }
  if (j->first > j->last && self->range_chosen) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                _("Frames %d–%d: the first frame comes after the last; choose the range again."),
                j->first, j->last);
    deliver_job_free(j);
    return FALSE;
  }
  j->space = sr_page_deliver_get_colourspace(self);
  j->compression = sr_page_deliver_get_compression(self);
  j->write_note = gtk_check_button_get_active(GTK_CHECK_BUTTON(self->note_check));
  j->use_override = self->use_override;
  gtk_label_set_text(GTK_LABEL(self->status_label), _("Delivering…"));
  gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress_bar), 0);
  self->job = sr_job_new(_("Delivering"), deliver_job_run, j, deliver_job_free);
  j->job = self->job;
  g_signal_connect(self->job, "notify::fraction", G_CALLBACK(on_job_progress), self);
  g_signal_connect(self->job, "notify::message", G_CALLBACK(on_job_progress), self);
  sr_page_deliver_update_controls(self);
  sr_ui_run_job(GTK_WIDGET(self), self->job, TRUE, on_deliver_done, g_object_ref(self));
  sr_stage_page_set_busy(SR_STAGE_PAGE(self), TRUE);
  return TRUE;
}

static void
on_deliver_clicked(GtkButton *button, SrPageDeliver *self)
{
  sr_page_deliver_request(self);
}

static void
on_open_clicked(GtkButton *button, SrPageDeliver *self)
{
  if (!self->done_dir)
    return;
  g_autofree char *uri = g_filename_to_uri(self->done_dir, NULL, NULL);
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  if (uri)
    gtk_show_uri(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, uri, GDK_CURRENT_TIME);
}

/* ---- Public accessors ---------------------------------------------------------- */

int
sr_page_deliver_get_n_written(SrPageDeliver *self)
{
  return self->n_written;
}

const char *
sr_page_deliver_get_out_dir(SrPageDeliver *self)
{
  return self->done_dir;
}

const char *
sr_page_deliver_get_json_path(SrPageDeliver *self)
{
  return self->done_json;
}

const char *
sr_page_deliver_get_text_path(SrPageDeliver *self)
{
  return self->done_text;
}

const char *
sr_page_deliver_get_note_path(SrPageDeliver *self)
{
  return self->done_note;
}

const char *
sr_page_deliver_get_master_pattern(SrPageDeliver *self)
{
  return self->done_pattern;
}

void
sr_page_deliver_set_destination(SrPageDeliver *self, const char *folder)
{
  g_return_if_fail(SR_IS_PAGE_DELIVER(self));
  g_free(self->chosen_dir);
  self->chosen_dir = folder && folder[0] ? g_canonicalize_filename(folder, NULL) : NULL;
  sr_page_deliver_clear_error_status(self);
  update_folder(self);
  sr_page_deliver_queue_summary(self);
  /* The Deliver stage's state looks for the sidecar in this folder. */
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  if (SR_IS_WINDOW(root) && sr_window_get_project(SR_WINDOW(root)))
    sr_window_refresh_stages(SR_WINDOW(root));
}

sr_colourspace
sr_page_deliver_get_colourspace(SrPageDeliver *self)
{
  guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(self->space_dropdown));
  return i < SR_CS_COUNT ? (sr_colourspace)i : SR_CS_ACES2065_1;
}

void
sr_page_deliver_set_colourspace(SrPageDeliver *self, sr_colourspace space)
{
  g_return_if_fail(SR_IS_PAGE_DELIVER(self));
  g_return_if_fail((int)space >= 0 && space < SR_CS_COUNT);
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->space_dropdown), (guint)space);
}

sr_exr_compression
sr_page_deliver_get_compression(SrPageDeliver *self)
{
  guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(self->compression_dropdown));
  return i < self->n_compressions ? self->compressions[i] : SR_EXR_ZIP;
}

gboolean
sr_page_deliver_offers_compression(SrPageDeliver *self, sr_exr_compression c)
{
  for (guint i = 0; i < self->n_compressions; i++)
    if (self->compressions[i] == c)
      return TRUE;
  return FALSE;
}

gboolean
sr_page_deliver_set_compression(SrPageDeliver *self, sr_exr_compression c)
{
  g_return_val_if_fail(SR_IS_PAGE_DELIVER(self), FALSE);
  for (guint i = 0; i < self->n_compressions; i++)
    if (self->compressions[i] == c) {
      gtk_drop_down_set_selected(GTK_DROP_DOWN(self->compression_dropdown), i);
      return TRUE;
    }
  return FALSE;
}

void
sr_page_deliver_set_range(SrPageDeliver *self, int first, int last)
{
  g_return_if_fail(SR_IS_PAGE_DELIVER(self));
  sr_page_deliver_clear_error_status(self);
  if (first > last) {
    self->range_chosen = FALSE;
    sr_page_deliver_queue_summary(self);
    return;
  }
  /* The spin buttons' limits follow the render once it is known; a range
   * asked for before that is kept as asked. */
  self->syncing = TRUE;
  gtk_spin_button_set_range(GTK_SPIN_BUTTON(self->first_spin), MIN(first, 0), MAX(last, 9999999));
  gtk_spin_button_set_range(GTK_SPIN_BUTTON(self->last_spin), MIN(first, 0), MAX(last, 9999999));
  gtk_spin_button_set_value(GTK_SPIN_BUTTON(self->first_spin), first);
  gtk_spin_button_set_value(GTK_SPIN_BUTTON(self->last_spin), last);
  self->syncing = FALSE;
  self->range_chosen = TRUE;
  sr_page_deliver_queue_summary(self);
}

void
sr_page_deliver_get_range(SrPageDeliver *self, int *first, int *last)
{
  *first = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->first_spin));
  *last = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->last_spin));
}

gboolean
sr_page_deliver_get_write_note(SrPageDeliver *self)
{
  return gtk_check_button_get_active(GTK_CHECK_BUTTON(self->note_check));
}

void
sr_page_deliver_set_write_note(SrPageDeliver *self, gboolean write_note)
{
  gtk_check_button_set_active(GTK_CHECK_BUTTON(self->note_check), write_note);
}

gboolean
sr_page_deliver_get_checking(SrPageDeliver *self)
{
  return self->checking;
}

const char *
sr_page_deliver_get_summary(SrPageDeliver *self)
{
  return self->summary;
}

int
sr_page_deliver_get_n_rendered(SrPageDeliver *self)
{
  return self->n_rendered;
}

GtkEditable *
sr_page_deliver_get_provenance_entry(SrPageDeliver *self, const char *field)
{
  for (guint i = 0; i < N_PROV_ENTRIES; i++)
    if (g_strcmp0(provenance_fields[i], field) == 0)
      return GTK_EDITABLE(prov_entry(self, i));
  return NULL;
}

/* ---- GObject ---------------------------------------------------------------- */

static void
sr_page_deliver_project_changed(SrStagePage *page, const char *description)
{
  SrPageDeliver *self = SR_PAGE_DELIVER(page);

  sr_page_deliver_clear_error_status(self);
  sync_from_project(self);
  sr_page_deliver_queue_summary(self);
}

static void
sr_page_deliver_project_set(SrStagePage *page, SrProject *project)
{
  SrPageDeliver *self = SR_PAGE_DELIVER(page);

  g_clear_pointer(&self->chosen_dir, g_free);
  self->range_chosen = FALSE;
  sync_from_project(self);
  sr_page_deliver_queue_summary(self);
}

static void
setup_compressions(SrPageDeliver *self)
{
  GtkStringList *list = gtk_string_list_new(NULL);

  self->n_compressions = 0;
  self->compressions[self->n_compressions++] = SR_EXR_ZIP;
  gtk_string_list_append(list, _("ZIP (lossless)"));
  if (sr_exr_compression_available(SR_EXR_DWAA)) {
    self->compressions[self->n_compressions++] = SR_EXR_DWAA;
    gtk_string_list_append(list, _("DWAA (lossy, smaller)"));
    gtk_widget_set_tooltip_text(self->compression_dropdown,
                                _("ZIP keeps every value; DWAA is lossy and much smaller."));
  } else {
    gtk_widget_set_tooltip_text(
        self->compression_dropdown,
        _("ZIP keeps every value. DWAA is not offered: the OpenEXR library this build uses has no "
          "DWA codec (it needs OpenEXR 3.2 or later)."));
  }
  gtk_drop_down_set_model(GTK_DROP_DOWN(self->compression_dropdown), G_LIST_MODEL(list));
  g_object_unref(list);
}

static void
sr_page_deliver_dispose(GObject *object)
{
  SrPageDeliver *self = SR_PAGE_DELIVER(object);

  g_clear_handle_id(&self->summary_source, g_source_remove);
  g_clear_handle_id(&self->spinner_source, g_source_remove);
  g_clear_pointer(&self->files_key, g_free);
  g_clear_pointer(&self->summary_key, g_free);
  if (self->summary_cancellable)
    g_cancellable_cancel(self->summary_cancellable);
  g_clear_object(&self->summary_cancellable);
  if (self->job) {
    g_signal_handlers_disconnect_by_data(self->job, self);
    sr_job_cancel(self->job);
  }
  g_clear_object(&self->job);
  g_clear_pointer(&self->done_dir, g_free);
  g_clear_pointer(&self->done_json, g_free);
  g_clear_pointer(&self->done_text, g_free);
  g_clear_pointer(&self->done_note, g_free);
  g_clear_pointer(&self->done_pattern, g_free);
  g_clear_pointer(&self->chosen_dir, g_free);
  g_clear_pointer(&self->summary, g_free);
  sr_page_deliver_gate_dispose(self);
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_DELIVER);
  G_OBJECT_CLASS(sr_page_deliver_parent_class)->dispose(object);
}

static void
sr_page_deliver_class_init(SrPageDeliverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  SrStagePageClass *page_class = SR_STAGE_PAGE_CLASS(klass);

  object_class->dispose = sr_page_deliver_dispose;
  page_class->project_set = sr_page_deliver_project_set;
  page_class->project_changed = sr_page_deliver_project_changed;

  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-deliver.ui");
#define BIND(name) gtk_widget_class_bind_template_child(widget_class, SrPageDeliver, name)
  BIND(space_dropdown);
  BIND(compression_dropdown);
  BIND(first_spin);
  BIND(last_spin);
  BIND(range_reset);
  BIND(folder_label);
  BIND(folder_reset);
  BIND(folder_button);
  BIND(note_check);
  BIND(film_title);
  BIND(shot_id);
  BIND(source_element);
  BIND(reference_source);
  BIND(restorationist);
  BIND(institution);
  BIND(notes);
  BIND(monitor);
  BIND(work_area);
  BIND(summary_spinner);
  BIND(summary_label);
  BIND(warning_label);
  BIND(files_grid);
  BIND(deliver_button);
  BIND(open_button);
  BIND(progress_bar);
  BIND(status_label);
  BIND(empty_state);
  BIND(empty_title);
  BIND(empty_text);
  BIND(goto_button);
#undef BIND
}

static void
sr_page_deliver_init(SrPageDeliver *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
  self->n_written = -1;

  g_autoptr(GtkStringList) spaces = sr_ui_colourspace_model();
  gtk_drop_down_set_model(GTK_DROP_DOWN(self->space_dropdown), G_LIST_MODEL(spaces));
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->space_dropdown), SR_CS_ACES2065_1);
  setup_compressions(self);

  g_signal_connect_swapped(self->space_dropdown, "notify::selected", G_CALLBACK(on_option_changed),
                           self);
  g_signal_connect_swapped(self->compression_dropdown, "notify::selected",
                           G_CALLBACK(on_option_changed), self);
  g_signal_connect_swapped(self->note_check, "toggled", G_CALLBACK(on_option_changed), self);
  g_signal_connect(self->first_spin, "value-changed", G_CALLBACK(on_range_changed), self);
  g_signal_connect(self->last_spin, "value-changed", G_CALLBACK(on_range_changed), self);
  g_signal_connect(self->range_reset, "clicked", G_CALLBACK(on_range_reset), self);
  g_signal_connect(self->folder_button, "clicked", G_CALLBACK(on_folder_clicked), self);
  g_signal_connect(self->folder_reset, "clicked", G_CALLBACK(on_folder_reset), self);
  g_signal_connect(self->goto_button, "clicked", G_CALLBACK(on_goto_clicked), self);
  g_signal_connect(self->deliver_button, "clicked", G_CALLBACK(on_deliver_clicked), self);
  g_signal_connect(self->open_button, "clicked", G_CALLBACK(on_open_clicked), self);
  g_signal_connect(self, "map", G_CALLBACK(sr_page_deliver_on_map), self);
  for (guint i = 0; i < N_PROV_ENTRIES; i++)
    g_signal_connect_swapped(prov_entry(self, i), "changed", G_CALLBACK(on_provenance_changed),
                             self);
  g_signal_connect_swapped(gtk_text_view_get_buffer(GTK_TEXT_VIEW(self->notes)), "changed",
                           G_CALLBACK(on_provenance_changed), self);
  self->summary_grid = gtk_grid_new();
  gtk_grid_set_row_spacing(GTK_GRID(self->summary_grid), 6);
  gtk_grid_set_column_spacing(GTK_GRID(self->summary_grid), 12);
  GtkWidget *summary_box = gtk_widget_get_parent(self->summary_label);
  gtk_box_insert_child_after(GTK_BOX(gtk_widget_get_parent(summary_box)), self->summary_grid,
                             summary_box);
  gtk_label_set_text(GTK_LABEL(self->summary_label),
                     _("Reading the model and the rendered frames…"));
  gtk_widget_set_sensitive(GTK_WIDGET(self), FALSE);
  sr_page_deliver_gate_build(self);
  sr_timecode_spin_attach(GTK_SPIN_BUTTON(self->first_spin));
  sr_timecode_spin_attach(GTK_SPIN_BUTTON(self->last_spin));
  sr_page_deliver_update_controls(self);
}
