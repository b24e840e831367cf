/* sr-page-deliver-summary.c — what the Deliver page will write, said
 * before anything starts: the checkpoint and the rendered frames are read on
 * a worker (GTask) after each change settles, stale results are dropped,
 * and the summary, the files and any warning are shown. */
#include "sr-config.h"

#include "sr-page-deliver-private.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sr-delivery.h"
#include "sr-ui-util.h"

/* Option edits come in bursts (spin buttons, typing): summarise once they
 * settle. */
#define SUMMARY_DELAY_MS 200

/* A summary that takes longer than this shows a spinner; quicker ones
 * change nothing on screen until their result is in. */
#define SPINNER_DELAY_MS 700

/* ---- Summary (worker thread) ---------------------------------------------- */

typedef struct {
  /* In. */
  SrProject *snapshot;
  char *dest;
  gboolean whole; /* the whole render, else first..last (which may be reversed) */
  int first, last;
  sr_colourspace space;
  sr_exr_compression compression;
  guint generation;
  /* Out. */
  gboolean has_checkpoint;
  gboolean has_facts;
  char *facts_error;
  SrCheckpointFacts facts;
  char *render_pattern;
  char *render_error;
  int render_first, render_last, render_present;
  int first_eff, last_eff;
  int n_missing;
  char *missing_text;
  int width, height;
  guint64 bytes; /* 0: unknown */
  int n_existing;
  char *base, *master_pattern;
  gboolean merged;
  SrReelFacts reel; /* the Source's timecode and reel at first_eff */
} Summary;

static void
summary_free(gpointer data)
{
  Summary *s = data;
  g_clear_object(&s->snapshot);
  g_free(s->dest);
  g_free(s->facts_error);
  sr_checkpoint_facts_clear(&s->facts);
  g_free(s->render_pattern);
  g_free(s->render_error);
  g_free(s->missing_text);
  g_free(s->base);
  g_free(s->master_pattern);
  sr_reel_facts_clear(&s->reel);
  g_free(s);
}

/* Size of one master: the frame written once, with the chosen space and
 * compression, to a temporary file. */
static guint64
master_bytes(const sr_sequence *seq, int frame, sr_colourspace from, sr_colourspace to,
             sr_exr_compression compression)
{
  sr_error err = {0};
  sr_image *img = sr_sequence_read(seq, frame, &err);
  if (!img)
    return 0;
  if (from != to) {
    sr_colour_transform *xf = sr_colour_transform_new(from, to, &err);
    if (xf) {
      sr_colour_transform_image(xf, img);
      sr_colour_transform_free(xf);
    }
  }
  g_autofree char *tmp = NULL;
  int fd = g_file_open_tmp("sr-deliver-size-XXXXXX.exr", &tmp, NULL);
  guint64 bytes = 0;
  if (fd >= 0) {
    g_close(fd, NULL);
    sr_write_options wo;
    sr_write_options_init(&wo);
    wo.compression = compression;
    wo.write_alpha = img->channels == 4;
    GStatBuf st;
    if (sr_image_write(tmp, img, &wo, &err) && g_stat(tmp, &st) == 0)
      bytes = (guint64)st.st_size;
    g_remove(tmp);
  }
  sr_image_free(img);
  return bytes;
}

static void
summary_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Summary *s = data;
  g_autoptr(GError) error = NULL;
  const char *ck = sr_project_get_checkpoint(s->snapshot);

  s->has_checkpoint = ck && ck[0];
  s->has_facts = sr_checkpoint_facts_lookup(s->snapshot, NULL, &s->facts, &error);
  if (!s->has_facts) {
    s->facts_error = g_strdup(error->message);
    g_task_return_boolean(task, TRUE);
    return;
  }
  s->render_pattern = sr_delivery_default_render_pattern(s->snapshot);
  sr_sequence seq = {0};
  sr_error err = {0};
  if (!s->render_pattern || !sr_sequence_open(&seq, s->render_pattern, &err)) {
    s->render_error = g_strdup(s->render_pattern ? err.message : "");
    sr_sequence_clear(&seq);
    g_task_return_boolean(task, TRUE);
    return;
  }
  s->render_first = seq.first;
  s->render_last = seq.last;
  s->render_present = seq.last - seq.first + 1 - seq.n_missing;
  s->first_eff = s->whole ? seq.first : s->first;
  s->last_eff = s->whole ? seq.last : s->last;

  s->base = sr_delivery_base_name(s->snapshot, s->facts.model_id_short);
  g_autofree char *master_file = g_strdup_printf("%s.%%04d.exr", s->base);
  s->master_pattern = g_build_filename(s->dest, master_file, NULL);

  GString *missing = g_string_new(NULL);
  int sample = G_MININT;
  for (int f = s->first_eff; f <= s->last_eff; f++) {
    if (g_cancellable_is_cancelled(cancellable))
      break;
    if (!sr_sequence_has_frame(&seq, f)) {
      if (s->n_missing < 10)
        g_string_append_printf(missing, "%s%d", s->n_missing ? ", " : "", f);
      s->n_missing++;
      continue;
    }
    if (sample == G_MININT)
      sample = f;
    g_autofree char *master = sr_pattern_format(s->master_pattern, f);
    if (master && g_file_test(master, G_FILE_TEST_IS_REGULAR))
      s->n_existing++;
  }
  if (s->n_missing > 10)
    g_string_append(missing, ", …");
  s->missing_text = g_string_free(missing, FALSE);

  if (sample != G_MININT && s->last_eff >= s->first_eff &&
      !g_cancellable_is_cancelled(cancellable)) {
    g_autofree char *path = sr_sequence_frame_path(&seq, sample);
    sr_image_info info;
    if (sr_image_read_info(path, &info, &err)) {
      s->width = info.width;
      s->height = info.height;
      sr_rect crop = sr_project_get_crop(s->snapshot);
      s->merged = crop.w > 0 &&
                  !(crop.x == 0 && crop.y == 0 && crop.w == info.width && crop.h == info.height);
    }
    guint64 one = master_bytes(&seq, sample, sr_project_get_source_colourspace(s->snapshot),
                               s->space, s->compression);
    s->bytes = one * (guint64)(s->last_eff - s->first_eff + 1);
    sr_reel_facts_lookup(s->snapshot, s->first_eff, &s->reel);
  }
  sr_sequence_clear(&seq);
  g_task_return_boolean(task, TRUE);
}

/* ---- Summary (main thread) ------------------------------------------------- */

static const char *
or_dash(const char *s)
{
  return s && s[0] ? s : "—";
}

static void
show_empty(SrPageDeliver *self, const char *title, const char *text, const char *stage,
           const char *button)
{
  gtk_label_set_text(GTK_LABEL(self->empty_title), title);
  gtk_label_set_text(GTK_LABEL(self->empty_text), text);
  gtk_button_set_label(GTK_BUTTON(self->goto_button), button);
  self->goto_stage = stage;
  gtk_widget_set_visible(self->empty_state, TRUE);
  gtk_widget_set_visible(self->work_area, FALSE);
}

/* Changes a spin button only where it differs (each change redraws). */
static void
set_spin(GtkWidget *spin, int lower, int upper, int value)
{
  GtkAdjustment *adj = gtk_spin_button_get_adjustment(GTK_SPIN_BUTTON(spin));
  if (gtk_adjustment_get_lower(adj) != lower || gtk_adjustment_get_upper(adj) != upper)
    gtk_spin_button_set_range(GTK_SPIN_BUTTON(spin), lower, upper);
  if (gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(spin)) != value)
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(spin), value);
}

static void
apply_summary(SrPageDeliver *self, Summary *s)
{
  g_clear_pointer(&self->summary, g_free);
  self->can_deliver = FALSE;
  self->n_rendered = 0;

  if (!s->has_facts) {
    if (s->has_checkpoint)
      show_empty(self, _("The model cannot be read"), s->facts_error, "train", _("Go to Train"));
    else
      show_empty(self, _("No model yet"),
                 _("Train a model, render the shot with it, and the masters can be delivered "
                   "from the rendered frames."),
                 "train", _("Go to Train"));
    return;
  }
  if (!s->render_pattern || s->render_error) {
    g_autofree char *text = g_strdup_printf(
        _("Render the shot with model %s first: the masters are written from the rendered "
          "frames (%s)."),
        s->facts.model_id_short, s->render_pattern ? s->render_pattern : _("no output folder"));
    show_empty(self, _("Nothing rendered yet"), text, "render", _("Go to Render"));
    return;
  }
  gtk_widget_set_visible(self->empty_state, FALSE);
  gtk_widget_set_visible(self->work_area, TRUE);
  self->n_rendered = s->render_present;

  /* Frame range: the whole render unless the archivist chose one; a chosen
   * range is kept inside the render (and summarised again if it was not). */
  if (self->range_chosen && (s->first_eff < s->render_first || s->last_eff > s->render_last ||
                             s->first_eff > s->render_last || s->last_eff < s->render_first)) {
    int a = CLAMP(s->first_eff, s->render_first, s->render_last);
    int b = CLAMP(s->last_eff, s->render_first, s->render_last);
    self->syncing = TRUE;
    set_spin(self->first_spin, s->render_first, s->render_last, a);
    set_spin(self->last_spin, s->render_first, s->render_last, b);
    self->syncing = FALSE;
    sr_page_deliver_queue_summary(self);
    return;
  }
  self->syncing = TRUE;
  set_spin(self->first_spin, s->render_first, s->render_last, s->first_eff);
  set_spin(self->last_spin, s->render_first, s->render_last, s->last_eff);
  self->syncing = FALSE;

  const SrProvenance *prov = sr_project_get_provenance(s->snapshot);
  int n = s->last_eff - s->first_eff + 1;
  g_autofree char *size = s->bytes ? g_format_size(s->bytes) : g_strdup(_("unknown size"));
  g_autofree char *masters = g_strdup_printf(ngettext("%d EXR master", "%d EXR masters", n), n);
  g_autofree char *range_text =
      g_strdup_printf(_("frames %d–%d of the render's %d–%d"), s->first_eff, s->last_eff,
                      s->render_first, s->render_last);
  const char *dst = s->merged ? SR_IPTC_COMPOSITE : SR_IPTC_TRAINED;
  g_autofree char *compression = g_ascii_strup(sr_exr_compression_name(s->compression), -1);
  self->summary = g_strdup_printf(
      _("%s (%s), half float, %s, %s, about %s, %d×%d, into %s; model %s (size %s, %lld steps); "
        "provenance: “%s”, shot %s, source %s, reference %s, restorationist %s, "
        "institution %s, digital source type %s."),
      masters, range_text, sr_colourspace_label(s->space), compression, size, s->width, s->height,
      s->dest, s->facts.model_id_short, s->facts.model_size, (long long)s->facts.steps,
      or_dash(prov->film_title), or_dash(prov->shot_id), or_dash(prov->source_element),
      or_dash(prov->reference_source), or_dash(prov->restorationist), or_dash(prov->institution),
      dst);
  /* On screen the summary is a headline and short facts: GTK 4.8 measures a
   * long wrapping label for many widths on every change, which cost 80 ms
   * of layout per update; the full sentence stays available as the page's
   * summary (sr_page_deliver_get_summary). */
  g_autofree char *headline = g_strdup_printf(_("%s, about %s"), masters, size);
  gtk_label_set_text(GTK_LABEL(self->summary_label), headline);
  g_autofree char *frames_fact = g_strdup_printf(_("%d–%d (the render has %d–%d)"), s->first_eff,
                                                 s->last_eff, s->render_first, s->render_last);
  g_autofree char *format_fact =
      g_strdup_printf(_("OpenEXR half float, %s, %s, %d×%d"), sr_colourspace_label(s->space),
                      compression, s->width, s->height);
  g_autofree char *model_fact =
      g_strdup_printf(_("%s (size %s, %lld steps)"), s->facts.model_id_short, s->facts.model_size,
                      (long long)s->facts.steps);
  g_autofree char *prov_fact =
      g_strdup_printf(_("“%s”, shot %s, by %s"), or_dash(prov->film_title), or_dash(prov->shot_id),
                      or_dash(prov->restorationist));
  char tc0[SR_TIMECODE_TEXT_SIZE], tc1[SR_TIMECODE_TEXT_SIZE];
  g_autofree char *reel_fact = NULL;
  if (sr_reel_facts_timecode(&s->reel, s->first_eff, tc0) &&
      sr_reel_facts_timecode(&s->reel, s->last_eff, tc1))
    reel_fact = s->reel.reel[0] ? g_strdup_printf(_("%s–%s at %d fps, reel %s"), tc0, tc1,
                                                  s->reel.fps, s->reel.reel)
                                : g_strdup_printf(_("%s–%s at %d fps"), tc0, tc1, s->reel.fps);
  else
    reel_fact = g_strdup(s->reel.note ? s->reel.note : "—");
  g_autofree char *summary_key =
      g_strjoin("\n", frames_fact, format_fact, model_fact, prov_fact, dst, reel_fact, NULL);
  if (g_strcmp0(summary_key, self->summary_key) != 0) {
    g_free(self->summary_key);
    self->summary_key = g_steal_pointer(&summary_key);
    sr_ui_fill_facts(self->summary_grid, _("Frames"), frames_fact, _("Format"), format_fact,
                     _("Model"), model_fact, _("Provenance"), prov_fact, _("Source type"), dst,
                     _("Timecode"), reel_fact, NULL);
  }

  g_autofree char *warning = NULL;
  if (s->last_eff < s->first_eff)
    warning = g_strdup(_("The first frame comes after the last: choose a range again."));
  else if (s->n_missing)
    warning = g_strdup_printf(
        ngettext("%d frame of %d–%d is not rendered (%s): render it or narrow the range.",
                 "%d frames of %d–%d are not rendered (%s): render them or narrow the range.",
                 s->n_missing),
        s->n_missing, s->first_eff, s->last_eff, s->missing_text);
  else if (s->n_existing && s->n_existing == s->last_eff - s->first_eff + 1)
    /* Everything is delivered already (the page's "Delivered" line says
     * so too): not a warning, and no hint to delete anything. */
    warning = NULL;
  else if (s->n_existing)
    warning = g_strdup_printf(
        ngettext("%d master is already there and is kept; delete it to write it again.",
                 "%d masters are already there and are kept; delete them to write them again.",
                 s->n_existing),
        s->n_existing);
  gtk_label_set_text(GTK_LABEL(self->warning_label), warning ? warning : "");
  gtk_widget_set_visible(self->warning_label, warning != NULL);
  /* A reopened project whose masters are all there says so, as the stage
   * list does; a fresh run's own "Delivered" line is left alone. */
  int in_range = s->last_eff - s->first_eff + 1;
  if (!self->job && in_range > 0 && s->n_existing == in_range &&
      !*gtk_label_get_text(GTK_LABEL(self->status_label))) {
    g_autofree char *done = g_strdup_printf(
        ngettext("Delivered: the %d master of %d–%d is in this folder.",
                 "Delivered: all %d masters of %d–%d are in this folder.", in_range),
        in_range, s->first_eff, s->last_eff);
    gtk_label_set_text(GTK_LABEL(self->status_label), done);
  }
  self->can_deliver = s->last_eff >= s->first_eff && s->n_missing == 0;

  g_autofree char *pattern = g_path_get_basename(s->master_pattern);
  g_autofree char *masters_line = g_strdup_printf("%s (%d–%d)", pattern, s->first_eff, s->last_eff);
  g_autofree char *sidecars = g_strdup_printf("%s.json, %s.txt", s->base, s->base);
  gboolean note = gtk_check_button_get_active(GTK_CHECK_BUTTON(self->note_check));
  g_autofree char *key = g_strdup_printf("%s\n%s\n%s\n%d\n%s", s->dest, masters_line, sidecars,
                                         note, s->render_pattern);
  if (g_strcmp0(key, self->files_key) != 0) {
    g_free(self->files_key);
    self->files_key = g_steal_pointer(&key);
    sr_ui_fill_facts(self->files_grid, _("Folder"), s->dest, _("Masters"), masters_line,
                     _("Sidecars"), sidecars, _("Validation note"),
                     note ? _("validation/validation-note.html, with qa-frames.csv, "
                              "qa-frames.json and the stills")
                          : _("not written"),
                     _("Rendered frames"), s->render_pattern, NULL);
  }
}

static void
on_summary_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrPageDeliver *self = SR_PAGE_DELIVER(source);
  Summary *s = g_task_get_task_data(G_TASK(result));

  if (s->generation != self->summary_generation || !sr_page_deliver_project_of(self))
    return;
  self->checking = FALSE;
  g_clear_object(&self->summary_cancellable);
  apply_summary(self, s);
  sr_page_deliver_update_controls(self);
}

static gboolean
summary_start(gpointer user_data)
{
  SrPageDeliver *self = user_data;
  g_autoptr(GError) error = NULL;

  self->summary_source = 0;
  if (!sr_page_deliver_project_of(self))
    return G_SOURCE_REMOVE;
  SrProject *snapshot = sr_project_copy_for_thread(sr_page_deliver_project_of(self), &error);
  g_autofree char *dest = sr_page_deliver_dup_destination(self);
  if (!snapshot || !dest) {
    self->checking = FALSE;
    show_empty(self, _("No output folder"),
               snapshot ? _("Choose the project's output folder in the Project stage: renders "
                            "and deliveries go there.")
                        : error->message,
               "project", _("Go to Project"));
    g_clear_object(&snapshot);
    sr_page_deliver_update_controls(self);
    return G_SOURCE_REMOVE;
  }
  Summary *s = g_new0(Summary, 1);
  s->snapshot = snapshot;
  s->dest = g_steal_pointer(&dest);
  /* A reversed range is reported, not swapped. */
  s->whole = !self->range_chosen;
  s->first = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->first_spin));
  s->last = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->last_spin));
  s->space = sr_page_deliver_get_colourspace(self);
  s->compression = sr_page_deliver_get_compression(self);
  s->generation = self->summary_generation;

  if (self->summary_cancellable)
    g_cancellable_cancel(self->summary_cancellable);
  g_set_object(&self->summary_cancellable, NULL);
  self->summary_cancellable = g_cancellable_new();
  GTask *task = g_task_new(self, self->summary_cancellable, on_summary_done, NULL);
  g_task_set_task_data(task, s, summary_free);
  g_task_run_in_thread(task, summary_thread);
  g_object_unref(task);
  return G_SOURCE_REMOVE;
}

/* A failure stays on screen until the archivist changes something. */
void
sr_page_deliver_clear_error_status(SrPageDeliver *self)
{
  if (self->status_is_error && !self->job) {
    gtk_label_set_text(GTK_LABEL(self->status_label), "");
    self->status_is_error = FALSE;
  }
}

void
sr_page_deliver_queue_summary(SrPageDeliver *self)
{
  if (!sr_page_deliver_project_of(self))
    return;
  self->summary_generation++;
  /* Edits elsewhere need no summary until the page is shown (sr_page_deliver_on_map). */
  if (!gtk_widget_get_mapped(GTK_WIDGET(self))) {
    g_clear_handle_id(&self->summary_source, g_source_remove);
    self->checking = FALSE;
    return;
  }
  self->checking = TRUE;
  g_clear_handle_id(&self->summary_source, g_source_remove);
  self->summary_source = g_timeout_add(SUMMARY_DELAY_MS, summary_start, self);
  if (!self->spinner_source && !gtk_widget_get_visible(self->summary_spinner))
    self->spinner_source = g_timeout_add(SPINNER_DELAY_MS, sr_page_deliver_show_spinner, self);
}
