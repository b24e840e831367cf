/* sr-page-project.c — see sr-page-project.h.
 *
 * Choosing a sequence scans its folder and reads its first header on a
 * worker: the range, what the header says about colour (preselected when
 * the user just chose the files), and the frame size. Warnings follow the
 * project: a declared space that contradicts the files, a Reference of
 * another size, ranges that never meet; each clears once its cause goes. */
#include "sr-page-project-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "sr-colour-detect.h"
#include "sr-io.h"
#include "sr-movie-scan.h"
#include "sr-project-ocio.h"
#include "sr-ui-util.h"

struct _SrPageProject {
  SrStagePage parent_instance;

  GtkWidget *name;
  GtkWidget *source_pattern, *source_choose, *source_range, *source_colourspace, *source_error;
  GtkWidget *reference_pattern, *reference_choose, *reference_range, *reference_colourspace,
      *reference_error;
  GtkWidget *reference_offset;
  GtkWidget *frame_rate, *frame_rate_from;
  GtkWidget *source_detected, *reference_detected;
  GtkWidget *source_colour_warning, *reference_colour_warning, *sequence_mismatch;
  GtkWidget *ocio_box, *source_space_box, *reference_space_box;
  SrProjectOcio *ocio;
  GtkWidget *film_title, *shot_id, *source_element, *reference_source, *restorationist,
      *institution;
  GtkWidget *notes;

  gboolean syncing; /* widgets are being filled from the project */
  guint scans;      /* sequence scans in flight */
  guint scan_generation[2];
  char *scanned_pattern[2]; /* what the range labels describe */
  gboolean preselect[2];    /* the next scan follows the user's choice of files */
  /* What the last scans found: header (colour, size) and range. */
  SrColourDetection detected[2];
  int first[2], last[2];
  gboolean scanned[2];
  double source_rate; /* what the Source's metadata states; 0 for nothing */
};

G_DEFINE_FINAL_TYPE(SrPageProject, sr_page_project, SR_TYPE_STAGE_PAGE)

static SrProject *
project_of(SrPageProject *self)
{
  return sr_stage_page_get_project(SR_STAGE_PAGE(self));
}

/* ---- Sequence scans (worker thread) -------------------------------------- */

typedef struct {
  SrPageProject *page;
  gboolean is_source;
  gboolean from_file; /* detect the pattern from one frame */
  gboolean preselect; /* apply the detected colour space */
  char *path;         /* pattern, or the example frame */
  guint generation;
  /* results */
  char *pattern;
  int first, last, n_missing;
  char missing[256];
  char *error;
  SrMovieScan movie; /* what a movie's stream says */
  SrColourDetection detected;
  double rate; /* the Source's stated frame rate; 0 for none */
  SrRateFrom rate_from;
} Scan;

static void
scan_free(gpointer data)
{
  Scan *s = data;
  g_free(s->path);
  g_free(s->pattern);
  g_free(s->error);
  sr_movie_scan_clear(&s->movie);
  sr_colour_detection_clear(&s->detected);
  g_free(s);
}

static gboolean
scan_thread(SrJob *job, gpointer data, GError **error)
{
  Scan *s = data;
  sr_sequence seq = {0};
  sr_error err = {0};
  gboolean ok = s->from_file ? sr_sequence_from_file(&seq, s->path, &err)
                             : sr_sequence_open(&seq, s->path, &err);

  if (!ok) {
    s->error = g_strdup(err.message);
    return TRUE;
  }
  s->pattern = g_strdup(seq.pattern);
  s->first = seq.first;
  s->last = seq.last;
  s->n_missing = seq.n_missing;
  sr_sequence_describe_missing(&seq, s->missing, sizeof s->missing);
  sr_movie_scan_fill(&s->movie, &seq);
  /* A malformed rate field is reported when delivery reads the header. */
  sr_error rate_err = {0};
  if (s->is_source && !sr_frame_rate_detect(&seq, &s->rate, &s->rate_from, &rate_err))
    s->rate = 0;
  sr_sequence_clear(&seq);
  /* A header that cannot be read is reported when the frames are used. */
  sr_colour_detect_sequence(s->pattern, &s->detected, NULL);
  return TRUE;
}

static void
show_scan(SrPageProject *self, gboolean is_source, const char *range, const char *error)
{
  GtkWidget *range_label = is_source ? self->source_range : self->reference_range;
  GtkWidget *error_label = is_source ? self->source_error : self->reference_error;
  GtkWidget *entry = is_source ? self->source_pattern : self->reference_pattern;

  gtk_label_set_text(GTK_LABEL(range_label), range ? range : "—");
  gtk_label_set_text(GTK_LABEL(error_label), error ? error : "");
  gtk_widget_set_visible(error_label, error != NULL);
  sr_ui_set_class(entry, "error", error != NULL);
}

/* What the files' headers say about colour, and the space they point to
 * when the user has just chosen the files (a loaded project keeps its own
 * choice). */
static void
show_detection(SrPageProject *self, Scan *s, gboolean scanned)
{
  GtkWidget *label = s->is_source ? self->source_detected : self->reference_detected;
  const SrColourDetection *d = &s->detected;

  gtk_widget_set_visible(label, scanned && d->summary != NULL);
  if (!scanned || !d->summary)
    return;
  SrProject *project = sr_stage_page_get_project(SR_STAGE_PAGE(self));
  if (d->suggested && s->preselect && project) {
    if (s->is_source)
      sr_project_set_source_colourspace(project, d->space);
    else
      sr_project_set_reference_colourspace(project, d->space);
  }
  g_autofree char *text = g_strdup_printf(
      d->suggested && s->preselect ? _("Detected and selected: %s") : _("Detected: %s"),
      d->summary);
  gtk_label_set_text(GTK_LABEL(label), text);
}

static void
show_warning(GtkWidget *label, const char *text)
{
  if (g_strcmp0(gtk_label_get_text(GTK_LABEL(label)), text ? text : "") != 0)
    gtk_label_set_text(GTK_LABEL(label), text ? text : "");
  gtk_widget_set_visible(label, text != NULL);
}

/* The warnings the scans and the project's choices imply; each goes as
 * soon as its cause does. */
static void
update_warnings(SrPageProject *self)
{
  SrProject *p = project_of(self);
  for (int k = 0; k < 2; k++) {
    GtkWidget *label = k == 0 ? self->source_colour_warning : self->reference_colour_warning;
    const char *ocio = p ? sr_project_get_ocio_space(p, k == 0) : NULL;
    g_autofree char *contra = NULL;
    if (p && self->scanned[k] && !(ocio && *ocio))
      contra = sr_colour_detection_contradiction(
          &self->detected[k], k == 0 ? _("Source") : _("Reference"),
          k == 0 ? sr_project_get_source_colourspace(p) : sr_project_get_reference_colourspace(p));
    show_warning(label, contra);
    /* "selected" only while the selection still is what the files say. */
    const SrColourDetection *d = &self->detected[k];
    GtkWidget *found = k == 0 ? self->source_detected : self->reference_detected;
    if (p && self->scanned[k] && d->summary) {
      sr_colourspace cs =
          k == 0 ? sr_project_get_source_colourspace(p) : sr_project_get_reference_colourspace(p);
      g_autofree char *text = g_strdup_printf(d->suggested && d->space == cs && !(ocio && *ocio)
                                                  ? _("Detected and selected: %s")
                                                  : _("Detected: %s"),
                                              d->summary);
      if (g_strcmp0(gtk_label_get_text(GTK_LABEL(found)), text) != 0)
        gtk_label_set_text(GTK_LABEL(found), text);
    }
  }
  g_autofree char *mismatch = NULL;
  gboolean both = p && self->scanned[0] && self->scanned[1];
  if (both && self->detected[0].has_info && self->detected[1].has_info)
    mismatch = sr_project_describe_size_mismatch(&self->detected[0].info, &self->detected[1].info);
  if (both && !mismatch && self->detected[0].info.format != SR_FORMAT_MOVIE &&
      self->detected[1].info.format != SR_FORMAT_MOVIE)
    mismatch = sr_project_describe_ranges_apart(p, self->first[0], self->last[0], self->first[1],
                                                self->last[1]);
  show_warning(self->sequence_mismatch, mismatch);
}

/* The rate, and where it came from; a Source stating another rate says so. */
static void
show_frame_rate(SrPageProject *self)
{
  SrProject *p = project_of(self);
  if (!p)
    return;
  double fps = sr_project_get_frame_rate(p);
  if (gtk_spin_button_get_value(GTK_SPIN_BUTTON(self->frame_rate)) != fps) {
    gboolean was = self->syncing;
    self->syncing = TRUE;
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(self->frame_rate), fps);
    self->syncing = was;
  }
  const char *from = sr_frame_rate_describe_from(sr_project_get_frame_rate_from(p));
  g_autofree char *text = NULL;
  if (self->source_rate > 0 && fabs(self->source_rate - fps) >= 0.001) {
    g_autofree char *stated = sr_frame_rate_to_string(self->source_rate);
    text = g_strdup_printf(_("%s. The Source states %s frames a second."), from, stated);
  } else {
    text = g_strdup_printf("%s.", from);
  }
  if (g_strcmp0(gtk_label_get_text(GTK_LABEL(self->frame_rate_from)), text) != 0)
    gtk_label_set_text(GTK_LABEL(self->frame_rate_from), text);
}

static void
on_scan_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  Scan *s = sr_job_get_data(SR_JOB(source));
  SrPageProject *self = s->page;
  int k = s->is_source ? 0 : 1;

  self->scans--;
  if (s->generation == self->scan_generation[k] && project_of(self)) {
    g_autofree char *range = NULL;
    if (!s->error) {
      range = sr_movie_scan_describe(&s->movie, s->first, s->last, s->n_missing, s->missing);
      if (s->from_file) {
        sr_movie_scan_preselect(&s->movie, project_of(self), s->is_source);
        /* Setting the pattern rescans through the project notification; the
         * range is already known, so remember it. */
        g_free(self->scanned_pattern[k]);
        self->scanned_pattern[k] = g_strdup(s->pattern);
        if (s->is_source)
          sr_project_set_source_pattern(project_of(self), s->pattern);
        else
          sr_project_set_reference_pattern(project_of(self), s->pattern);
      }
    }
    show_scan(self, s->is_source, range, s->error);
    gtk_widget_set_tooltip_text(s->is_source ? self->source_range : self->reference_range,
                                s->movie.warning);
    show_detection(self, s, s->error == NULL);
    if (s->is_source) {
      self->source_rate = s->error ? 0 : s->rate;
      /* The Source just chosen presets the film's rate: what it states, else 24. */
      if (!s->error && s->preselect)
        sr_project_set_frame_rate(project_of(self), s->rate > 0 ? s->rate : SR_FRAME_RATE_DEFAULT,
                                  s->rate > 0 ? s->rate_from : SR_RATE_FROM_DEFAULT, NULL);
      show_frame_rate(self);
    }
    sr_colour_detection_clear(&self->detected[k]);
    self->scanned[k] = s->error == NULL;
    if (self->scanned[k]) {
      self->detected[k] = s->detected;
      memset(&s->detected, 0, sizeof s->detected);
      self->first[k] = s->first;
      self->last[k] = s->last;
    }
    update_warnings(self);
  }
  sr_stage_page_set_busy(SR_STAGE_PAGE(self), self->scans > 0);
  g_object_unref(self);
}

static void
start_scan(SrPageProject *self, gboolean is_source, const char *path, gboolean from_file)
{
  int k = is_source ? 0 : 1;
  Scan *s = g_new0(Scan, 1);

  s->page = g_object_ref(self);
  s->is_source = is_source;
  s->from_file = from_file;
  s->preselect = from_file || self->preselect[k];
  self->preselect[k] = FALSE;
  s->path = g_strdup(path);
  s->generation = ++self->scan_generation[k];
  self->scans++;
  sr_stage_page_set_busy(SR_STAGE_PAGE(self), TRUE);
  gtk_label_set_text(GTK_LABEL(is_source ? self->source_range : self->reference_range),
                     _("Scanning the folder…"));
  g_autoptr(SrJob) job = sr_job_new(_("Scanning a sequence"), scan_thread, s, scan_free);
  sr_ui_run_job(GTK_WIDGET(self), job, FALSE, on_scan_done, NULL);
}

/* Rescans a sequence when the project's pattern is not the one shown. */
static void
refresh_sequence(SrPageProject *self, gboolean is_source)
{
  int k = is_source ? 0 : 1;
  const char *pattern = is_source ? sr_project_get_source_pattern(project_of(self))
                                  : sr_project_get_reference_pattern(project_of(self));

  if (g_strcmp0(pattern, self->scanned_pattern[k]) == 0)
    return;
  g_free(self->scanned_pattern[k]);
  self->scanned_pattern[k] = g_strdup(pattern);
  if (!pattern || !pattern[0]) {
    self->scan_generation[k]++;
    self->scanned[k] = FALSE;
    sr_colour_detection_clear(&self->detected[k]);
    show_scan(self, is_source, _("No sequence chosen"), NULL);
    update_warnings(self);
    return;
  }
  g_autofree char *abs = sr_project_resolve_path(project_of(self), pattern);
  start_scan(self, is_source, abs, FALSE);
}

void
sr_page_project_choose_frame(SrPageProject *self, gboolean is_source, GFile *frame)
{
  g_return_if_fail(SR_IS_PAGE_PROJECT(self));
  g_autofree char *path = g_file_get_path(frame);

  if (!path || !project_of(self))
    return;
  start_scan(self, is_source, path, TRUE);
}

const char *
sr_page_project_get_sequence_error(SrPageProject *self, gboolean is_source)
{
  g_return_val_if_fail(SR_IS_PAGE_PROJECT(self), NULL);
  GtkWidget *label = is_source ? self->source_error : self->reference_error;
  return gtk_widget_get_visible(label) ? gtk_label_get_text(GTK_LABEL(label)) : NULL;
}

SrProjectOcio *
sr_page_project_get_ocio(SrPageProject *self)
{
  g_return_val_if_fail(SR_IS_PAGE_PROJECT(self), NULL);
  return self->ocio;
}

const char *
sr_page_project_get_colour_warning(SrPageProject *self, gboolean is_source)
{
  g_return_val_if_fail(SR_IS_PAGE_PROJECT(self), NULL);
  GtkWidget *label = is_source ? self->source_colour_warning : self->reference_colour_warning;
  return gtk_widget_get_visible(label) ? gtk_label_get_text(GTK_LABEL(label)) : NULL;
}

const char *
sr_page_project_get_mismatch(SrPageProject *self)
{
  g_return_val_if_fail(SR_IS_PAGE_PROJECT(self), NULL);
  return gtk_widget_get_visible(self->sequence_mismatch)
             ? gtk_label_get_text(GTK_LABEL(self->sequence_mismatch))
             : NULL;
}

const char *
sr_page_project_get_detection(SrPageProject *self, gboolean is_source)
{
  g_return_val_if_fail(SR_IS_PAGE_PROJECT(self), NULL);
  GtkWidget *label = is_source ? self->source_detected : self->reference_detected;
  return gtk_widget_get_visible(label) ? gtk_label_get_text(GTK_LABEL(label)) : NULL;
}

/* ---- Project → widgets ---------------------------------------------------- */

GtkWidget *
sr_page_project_get_frame_rate_spin(SrPageProject *self)
{
  g_return_val_if_fail(SR_IS_PAGE_PROJECT(self), NULL);
  return self->frame_rate;
}

const char *
sr_page_project_get_frame_rate_from(SrPageProject *self)
{
  g_return_val_if_fail(SR_IS_PAGE_PROJECT(self), NULL);
  return gtk_label_get_text(GTK_LABEL(self->frame_rate_from));
}

static void
sync_from_project(SrPageProject *self)
{
  SrProject *p = project_of(self);
  const SrProvenance *prov;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer(GTK_TEXT_VIEW(self->notes));
  GtkTextIter start, end;
  g_autofree char *notes = NULL;

  gtk_widget_set_sensitive(GTK_WIDGET(self), p != NULL);
  if (!p)
    return;
  self->syncing = TRUE;
  sr_ui_editable_sync(GTK_EDITABLE(self->name), sr_project_get_name(p));
  sr_ui_editable_sync(GTK_EDITABLE(self->source_pattern), sr_project_get_source_pattern(p));
  sr_ui_editable_sync(GTK_EDITABLE(self->reference_pattern), sr_project_get_reference_pattern(p));
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->source_colourspace),
                             sr_project_get_source_colourspace(p));
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->reference_colourspace),
                             sr_project_get_reference_colourspace(p));
  if (gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->reference_offset)) !=
      sr_project_get_reference_offset(p))
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(self->reference_offset),
                              sr_project_get_reference_offset(p));

  prov = sr_project_get_provenance(p);
  sr_ui_editable_sync(GTK_EDITABLE(self->film_title), prov->film_title);
  sr_ui_editable_sync(GTK_EDITABLE(self->shot_id), prov->shot_id);
  sr_ui_editable_sync(GTK_EDITABLE(self->source_element), prov->source_element);
  sr_ui_editable_sync(GTK_EDITABLE(self->reference_source), prov->reference_source);
  sr_ui_editable_sync(GTK_EDITABLE(self->restorationist), prov->restorationist);
  sr_ui_editable_sync(GTK_EDITABLE(self->institution), prov->institution);
  gtk_text_buffer_get_bounds(buffer, &start, &end);
  notes = gtk_text_buffer_get_text(buffer, &start, &end, FALSE);
  if (g_strcmp0(notes, prov->notes ? prov->notes : "") != 0)
    gtk_text_buffer_set_text(buffer, prov->notes ? prov->notes : "", -1);
  self->syncing = FALSE;

  show_frame_rate(self);
  refresh_sequence(self, TRUE);
  refresh_sequence(self, FALSE);
  sr_project_ocio_sync(self->ocio);
  update_warnings(self);
}

static void
sr_page_project_project_changed(SrStagePage *page, const char *description)
{
  sync_from_project(SR_PAGE_PROJECT(page));
}

static void
sr_page_project_project_set(SrStagePage *page, SrProject *project)
{
  SrPageProject *self = SR_PAGE_PROJECT(page);

  for (int k = 0; k < 2; k++) {
    g_clear_pointer(&self->scanned_pattern[k], g_free);
    self->scan_generation[k]++;
    self->scanned[k] = FALSE;
    sr_colour_detection_clear(&self->detected[k]);
  }
  self->source_rate = 0;
  sr_project_ocio_set_project(self->ocio, project);
  if (project) {
    show_scan(self, TRUE, _("No sequence chosen"), NULL);
    show_scan(self, FALSE, _("No sequence chosen"), NULL);
  }
  sync_from_project(self);
}

/* ---- Widgets → project ---------------------------------------------------- */

static void
on_name_changed(GtkEditable *editable, SrPageProject *self)
{
  if (!self->syncing && project_of(self))
    sr_project_set_name(project_of(self), gtk_editable_get_text(editable));
}

static void
apply_pattern(SrPageProject *self, gboolean is_source)
{
  GtkEditable *entry = GTK_EDITABLE(is_source ? self->source_pattern : self->reference_pattern);
  const char *text = gtk_editable_get_text(entry);
  const char *current = is_source ? sr_project_get_source_pattern(project_of(self))
                                  : sr_project_get_reference_pattern(project_of(self));

  if (self->syncing || !project_of(self) || g_strcmp0(text, current ? current : "") == 0)
    return;
  self->preselect[is_source ? 0 : 1] = TRUE;
  if (is_source)
    sr_project_set_source_pattern(project_of(self), text);
  else
    sr_project_set_reference_pattern(project_of(self), text);
}

static void
on_source_pattern_activate(GtkEntry *entry, SrPageProject *self)
{
  apply_pattern(self, TRUE);
}

static void
on_reference_pattern_activate(GtkEntry *entry, SrPageProject *self)
{
  apply_pattern(self, FALSE);
}

static void
on_pattern_focus_leave(GtkEventControllerFocus *focus, SrPageProject *self)
{
  GtkWidget *widget = gtk_event_controller_get_widget(GTK_EVENT_CONTROLLER(focus));
  apply_pattern(self, widget == self->source_pattern);
}

static void
on_choose_response(GtkNativeDialog *dialog, int response, SrPageProject *self)
{
  gboolean is_source = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(dialog), "is-source"));

  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    if (file)
      sr_page_project_choose_frame(self, is_source, file);
  }
  g_object_unref(dialog);
}

static void
on_choose_clicked(GtkButton *button, SrPageProject *self)
{
  gboolean is_source = GTK_WIDGET(button) == self->source_choose;
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  GtkFileChooserNative *dialog;
  GtkFileFilter *filter = gtk_file_filter_new();

  dialog = gtk_file_chooser_native_new(is_source ? _("Choose a Source Frame")
                                                 : _("Choose a Reference Frame"),
                                       GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
                                       GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  gtk_file_filter_set_name(filter, _("Image sequences and movies (EXR, DPX, TIFF, PNG, MKV, MOV, "
                                     "MP4, MXF)"));
  for (const char *const *ext = sr_movie_scan_extensions(); *ext; ext++) {
    g_autofree char *lower = g_strdup_printf("*.%s", *ext);
    g_autofree char *upper = g_ascii_strup(lower, -1);
    gtk_file_filter_add_pattern(filter, lower);
    gtk_file_filter_add_pattern(filter, upper);
  }
  gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(dialog), filter);
  g_object_unref(filter);
  g_object_set_data(G_OBJECT(dialog), "is-source", GINT_TO_POINTER(is_source));
  g_signal_connect(dialog, "response", G_CALLBACK(on_choose_response), self);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

static void
on_colourspace_selected(GtkDropDown *dropdown, GParamSpec *pspec, SrPageProject *self)
{
  guint selected = gtk_drop_down_get_selected(dropdown);

  if (self->syncing || !project_of(self) || selected >= SR_CS_COUNT)
    return;
  if (GTK_WIDGET(dropdown) == self->source_colourspace) {
    if (sr_project_get_source_colourspace(project_of(self)) != (sr_colourspace)selected)
      sr_project_set_source_colourspace(project_of(self), (sr_colourspace)selected);
  } else if (sr_project_get_reference_colourspace(project_of(self)) != (sr_colourspace)selected) {
    sr_project_set_reference_colourspace(project_of(self), (sr_colourspace)selected);
  }
}

static void
on_offset_changed(GtkSpinButton *spin, SrPageProject *self)
{
  int offset = gtk_spin_button_get_value_as_int(spin);

  if (!self->syncing && project_of(self) &&
      sr_project_get_reference_offset(project_of(self)) != offset)
    sr_project_set_reference_offset(project_of(self), offset);
}

static void
on_frame_rate_changed(GtkSpinButton *spin, SrPageProject *self)
{
  double fps = gtk_spin_button_get_value(spin);
  g_autoptr(GError) error = NULL;

  if (self->syncing || !project_of(self) ||
      fabs(sr_project_get_frame_rate(project_of(self)) - fps) < 0.0005)
    return;
  if (!sr_project_set_frame_rate(project_of(self), fps, SR_RATE_FROM_USER, &error))
    sr_ui_show_error(GTK_WIDGET(self), error->message);
}

/* "23.976", "24": no trailing zeros. */
static gboolean
on_frame_rate_output(GtkSpinButton *spin, SrPageProject *self)
{
  g_autofree char *text = sr_frame_rate_to_string(gtk_spin_button_get_value(spin));
  if (g_strcmp0(gtk_editable_get_text(GTK_EDITABLE(spin)), text) != 0)
    gtk_editable_set_text(GTK_EDITABLE(spin), text);
  return TRUE;
}

static void
on_provenance_changed(SrPageProject *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer(GTK_TEXT_VIEW(self->notes));
  GtkTextIter start, end;
  g_autofree char *notes = NULL;
  SrProvenance prov;

  if (self->syncing || !project_of(self))
    return;
  gtk_text_buffer_get_bounds(buffer, &start, &end);
  notes = gtk_text_buffer_get_text(buffer, &start, &end, FALSE);
  prov.film_title = (char *)gtk_editable_get_text(GTK_EDITABLE(self->film_title));
  prov.shot_id = (char *)gtk_editable_get_text(GTK_EDITABLE(self->shot_id));
  prov.source_element = (char *)gtk_editable_get_text(GTK_EDITABLE(self->source_element));
  prov.reference_source = (char *)gtk_editable_get_text(GTK_EDITABLE(self->reference_source));
  prov.restorationist = (char *)gtk_editable_get_text(GTK_EDITABLE(self->restorationist));
  prov.institution = (char *)gtk_editable_get_text(GTK_EDITABLE(self->institution));
  prov.notes = notes;
  sr_project_set_provenance(project_of(self), &prov);
}

/* ---- GObject ------------------------------------------------------------- */

static void
sr_page_project_dispose(GObject *object)
{
  SrPageProject *self = SR_PAGE_PROJECT(object);

  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_PROJECT);
  G_OBJECT_CLASS(sr_page_project_parent_class)->dispose(object);
}

static void
sr_page_project_finalize(GObject *object)
{
  SrPageProject *self = SR_PAGE_PROJECT(object);

  g_free(self->scanned_pattern[0]);
  g_free(self->scanned_pattern[1]);
  sr_colour_detection_clear(&self->detected[0]);
  sr_colour_detection_clear(&self->detected[1]);
  sr_project_ocio_free(self->ocio);
  G_OBJECT_CLASS(sr_page_project_parent_class)->finalize(object);
}

static void
sr_page_project_class_init(SrPageProjectClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  SrStagePageClass *page_class = SR_STAGE_PAGE_CLASS(klass);

  object_class->dispose = sr_page_project_dispose;
  object_class->finalize = sr_page_project_finalize;
  page_class->project_set = sr_page_project_project_set;
  page_class->project_changed = sr_page_project_project_changed;

  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-project.ui");
#define BIND(name) gtk_widget_class_bind_template_child(widget_class, SrPageProject, name)
  BIND(name);
  BIND(source_pattern);
  BIND(source_choose);
  BIND(source_range);
  BIND(source_colourspace);
  BIND(source_error);
  BIND(reference_pattern);
  BIND(reference_choose);
  BIND(reference_range);
  BIND(reference_colourspace);
  BIND(reference_error);
  BIND(reference_offset);
  BIND(frame_rate);
  BIND(frame_rate_from);
  BIND(source_detected);
  BIND(reference_detected);
  BIND(source_colour_warning);
  BIND(reference_colour_warning);
  BIND(sequence_mismatch);
  BIND(ocio_box);
  BIND(source_space_box);
  BIND(reference_space_box);
  BIND(film_title);
  BIND(shot_id);
  BIND(source_element);
  BIND(reference_source);
  BIND(restorationist);
  BIND(institution);
  BIND(notes);
#undef BIND
}

static void
sr_page_project_init(SrPageProject *self)
{
  GtkWidget *prov_entries[6];

  gtk_widget_init_template(GTK_WIDGET(self));
  self->ocio =
      sr_project_ocio_new(GTK_WIDGET(self), GTK_BOX(self->ocio_box),
                          GTK_BOX(self->source_space_box), GTK_BOX(self->reference_space_box));

  for (int k = 0; k < 2; k++) {
    GtkWidget *dropdown = k == 0 ? self->source_colourspace : self->reference_colourspace;
    GtkWidget *entry = k == 0 ? self->source_pattern : self->reference_pattern;
    GtkEventController *focus = gtk_event_controller_focus_new();
    g_autoptr(GtkStringList) model = sr_ui_colourspace_model();

    gtk_drop_down_set_model(GTK_DROP_DOWN(dropdown), G_LIST_MODEL(model));
    g_signal_connect(dropdown, "notify::selected", G_CALLBACK(on_colourspace_selected), self);
    g_signal_connect(focus, "leave", G_CALLBACK(on_pattern_focus_leave), self);
    gtk_widget_add_controller(entry, focus);
  }
  g_signal_connect(self->source_pattern, "activate", G_CALLBACK(on_source_pattern_activate), self);
  g_signal_connect(self->reference_pattern, "activate", G_CALLBACK(on_reference_pattern_activate),
                   self);
  g_signal_connect(self->source_choose, "clicked", G_CALLBACK(on_choose_clicked), self);
  g_signal_connect(self->reference_choose, "clicked", G_CALLBACK(on_choose_clicked), self);
  g_signal_connect(self->name, "changed", G_CALLBACK(on_name_changed), self);
  g_signal_connect(self->reference_offset, "value-changed", G_CALLBACK(on_offset_changed), self);
  g_signal_connect(self->frame_rate, "value-changed", G_CALLBACK(on_frame_rate_changed), self);
  g_signal_connect(self->frame_rate, "output", G_CALLBACK(on_frame_rate_output), self);

  prov_entries[0] = self->film_title;
  prov_entries[1] = self->shot_id;
  prov_entries[2] = self->source_element;
  prov_entries[3] = self->reference_source;
  prov_entries[4] = self->restorationist;
  prov_entries[5] = self->institution;
  for (int i = 0; i < 6; i++)
    g_signal_connect_swapped(prov_entries[i], "changed", G_CALLBACK(on_provenance_changed), self);
  g_signal_connect_swapped(gtk_text_view_get_buffer(GTK_TEXT_VIEW(self->notes)), "changed",
                           G_CALLBACK(on_provenance_changed), self);
  gtk_widget_set_sensitive(GTK_WIDGET(self), FALSE);
}
