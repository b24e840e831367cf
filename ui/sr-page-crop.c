/* sr-page-crop.c — see sr-page-crop.h. */
#include "sr-page-crop-private.h"

#include <glib/gi18n.h>

#include "sr-frame-cache.h"
#include "sr-io.h"
#include "sr-ui-util.h"
#include "sr-viewer.h"

/* Smallest crop side the viewer allows and the U-Net can use. */
#define MIN_CROP 16

struct _SrPageCrop {
  SrStagePage parent_instance;

  GtkWidget *pair_dropdown, *mode_source, *mode_reference, *hint;
  GtkWidget *viewer_stack, *viewer_slot, *empty_label;
  GtkWidget *frame_size, *crop_x, *crop_y, *crop_w, *crop_h, *snap_even, *whole_frame;
  GtkWidget *prefilter, *prefilter_warning;
  GtkWidget *checks_title, *checks_spinner, *checks_note, *checks_list;
  GtkWidget *clamp_note;
  sr_rect noted_crop; /* the crop the clamp note is about */

  GtkWidget *viewer;

  GArray *pair_frames; /* what the dropdown lists */
  int pair;            /* frame shown (a pair, or the first Source frame) */
  gboolean is_pair;

  /* Frames as loaded, reused while the frame and sequences stay the same. */
  SrFrame *source, *reference;
  char *loaded_key;
  int width, height; /* Source frame size, 0 until loaded */

  sr_check_report report;
  gboolean have_report;
  guint jobs;
  guint generation;
  guint debounce;
  gboolean syncing;
};

G_DEFINE_FINAL_TYPE(SrPageCrop, sr_page_crop, SR_TYPE_STAGE_PAGE)

static SrProject *
project_of(SrPageCrop *self)
{
  return sr_stage_page_get_project(SR_STAGE_PAGE(self));
}

/* Busy while the checks are waiting for edits to settle or running. */
static void
update_busy(SrPageCrop *self)
{
  sr_stage_page_set_busy(SR_STAGE_PAGE(self), self->jobs > 0 || self->debounce != 0);
}

/* ---- Checks (worker) -------------------------------------------------------- */

typedef struct {
  SrPageCrop *page;
  guint generation;
  char *source, *reference, *key;
  int frame, offset;
  gboolean is_pair;
  sr_prep_settings prep;
  SrFrame *src_frame, *ref_frame; /* in: reusable frames; out: the frames */
  sr_check_report report;
  char *error;
} CropJob;

static void
crop_job_free(gpointer data)
{
  CropJob *j = data;
  g_free(j->source);
  g_free(j->reference);
  g_free(j->key);
  g_free(j->error);
  g_clear_pointer(&j->src_frame, sr_frame_unref);
  g_clear_pointer(&j->ref_frame, sr_frame_unref);
  sr_check_report_clear(&j->report);
  g_free(j);
}

static gboolean
crop_thread(SrJob *job, gpointer data, GError **error)
{
  CropJob *j = data;
  sr_error err = {0};
  g_autofree char *subject = g_strdup_printf("pair %d", j->frame);

  if (!j->src_frame || !j->ref_frame) {
    sr_sequence src = {0}, ref = {0};
    sr_image *a = NULL, *b = NULL;
    if (!sr_sequence_open(&src, j->source, &err) || !sr_sequence_open(&ref, j->reference, &err)) {
      sr_sequence_clear(&src);
      j->error = g_strdup(err.message);
      return TRUE;
    }
    if (j->frame == G_MININT)
      j->frame = src.first;
    a = sr_sequence_read(&src, j->frame, &err);
    b = a ? sr_sequence_read(&ref, j->frame + j->offset, &err) : NULL;
    sr_sequence_clear(&src);
    sr_sequence_clear(&ref);
    if (!a || !b) {
      sr_image_free(a);
      j->error = g_strdup(err.message);
      return TRUE;
    }
    g_clear_pointer(&j->src_frame, sr_frame_unref);
    g_clear_pointer(&j->ref_frame, sr_frame_unref);
    j->src_frame = sr_frame_new_take(a, j->frame);
    j->ref_frame = sr_frame_new_take(b, j->frame + j->offset);
    g_free(subject);
    subject = g_strdup_printf("pair %d", j->frame);
  }
  if (!j->is_pair)
    return TRUE;

  const sr_image *a = sr_frame_get_image(j->src_frame);
  const sr_image *b = sr_frame_get_image(j->ref_frame);
  sr_pair pair = {0};
  gboolean built = sr_pair_build(a, b, &j->prep, &pair, &err);
  if (!built)
    sr_check_report_add(&j->report, "pair-build", subject, SR_CHECK_FAIL, 0.0, "%s", err.message);
  sr_check_pair(a, b, built ? &pair : NULL, &j->prep, subject, &j->report);
  if (built)
    sr_pair_clear(&pair);
  return TRUE;
}

static const char *
check_title(const char *id)
{
  static const char *const titles[][2] = {
      {"size-parity", N_("Sizes and bounding boxes")},
      {"crop-inside", N_("Crop inside both frames")},
      {"nonfinite", N_("No NaN or Inf values")},
      {"range", N_("Values within 0–1")},
      {"chroma-identity", N_("Chroma identity of the ground truth")},
      {"bbox-parity", N_("Same bounding box on both")},
      {"misalignment", N_("Residual misalignment")},
      {"pair-build", N_("Pair build")},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(titles); i++)
    if (g_strcmp0(titles[i][0], id) == 0)
      return _(titles[i][1]);
  return id;
}

static void
show_checks(SrPageCrop *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child(self->checks_list)))
    gtk_list_box_remove(GTK_LIST_BOX(self->checks_list), child);
  gtk_widget_set_visible(self->checks_list, self->have_report && self->report.n > 0);
  if (!self->have_report)
    return;
  for (int i = 0; i < self->report.n; i++) {
    const sr_check *c = &self->report.items[i];
    static const char *const icons[] = {"emblem-ok-symbolic", "dialog-warning-symbolic",
                                        "dialog-error-symbolic"};
    static const char *const classes[] = {"status-pass", "status-warn", "status-fail"};
    GtkWidget *row = gtk_list_box_row_new();
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
    GtkWidget *icon = gtk_image_new_from_icon_name(icons[c->status]);
    GtkWidget *text = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    GtkWidget *title = gtk_label_new(check_title(c->id));
    GtkWidget *detail = gtk_label_new(c->detail);

    gtk_widget_add_css_class(icon, classes[c->status]);
    gtk_widget_set_valign(icon, GTK_ALIGN_START);
    gtk_label_set_xalign(GTK_LABEL(title), 0);
    gtk_label_set_xalign(GTK_LABEL(detail), 0);
    gtk_label_set_wrap(GTK_LABEL(detail), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(detail), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_max_width_chars(GTK_LABEL(detail), 34);
    gtk_widget_add_css_class(detail, "dim-label");
    gtk_widget_add_css_class(detail, "caption");
    gtk_box_append(GTK_BOX(text), title);
    gtk_box_append(GTK_BOX(text), detail);
    gtk_box_append(GTK_BOX(box), icon);
    gtk_box_append(GTK_BOX(box), text);
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
    gtk_widget_add_css_class(row, "pair-row");
    gtk_list_box_append(GTK_LIST_BOX(self->checks_list), row);
  }
}

static void
sync_crop_widgets(SrPageCrop *self, sr_rect crop)
{
  self->syncing = TRUE;
  gtk_spin_button_set_value(GTK_SPIN_BUTTON(self->crop_x), crop.x);
  gtk_spin_button_set_value(GTK_SPIN_BUTTON(self->crop_y), crop.y);
  gtk_spin_button_set_value(GTK_SPIN_BUTTON(self->crop_w), crop.w);
  gtk_spin_button_set_value(GTK_SPIN_BUTTON(self->crop_h), crop.h);
  self->syncing = FALSE;
}

/* The crop as the viewer and the spin buttons show it: the whole frame
 * when the project has none. */
static sr_rect
shown_crop(SrPageCrop *self)
{
  sr_rect crop = sr_project_get_crop(project_of(self));

  if (crop.w <= 0 && self->width > 0)
    crop = (sr_rect){0, 0, self->width, self->height};
  return crop;
}

static void
sync_viewer_crop(SrPageCrop *self)
{
  sr_rect crop = shown_crop(self);
  GtkWidget *editable[] = {self->crop_x, self->crop_y, self->crop_w, self->crop_h,
                           self->whole_frame};

  /* Numbers mean something only once the frame size is known. */
  for (gsize i = 0; i < G_N_ELEMENTS(editable); i++)
    gtk_widget_set_sensitive(editable[i], self->width > 0);

  self->syncing = TRUE;
  if (self->width > 0)
    sr_viewer_set_crop(SR_VIEWER(self->viewer), &crop);
  self->syncing = FALSE;
  sync_crop_widgets(self, crop);
}

static void
on_crop_job_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  CropJob *j = sr_job_get_data(SR_JOB(source));
  SrPageCrop *self = j->page;

  self->jobs--;
  if (j->generation == self->generation && project_of(self)) {
    gtk_spinner_set_spinning(GTK_SPINNER(self->checks_spinner), FALSE);
    if (j->error) {
      gtk_label_set_text(GTK_LABEL(self->empty_label), j->error);
      gtk_stack_set_visible_child_name(GTK_STACK(self->viewer_stack), "empty");
      gtk_label_set_text(GTK_LABEL(self->checks_note), j->error);
      self->have_report = FALSE;
    } else {
      gboolean new_frames = j->src_frame != self->source;
      if (new_frames) {
        g_clear_pointer(&self->source, sr_frame_unref);
        g_clear_pointer(&self->reference, sr_frame_unref);
        self->source = sr_frame_ref(j->src_frame);
        self->reference = sr_frame_ref(j->ref_frame);
        g_free(self->loaded_key);
        self->loaded_key = g_strdup(j->key);
        self->width = sr_frame_get_image(self->source)->width;
        self->height = sr_frame_get_image(self->source)->height;
        sr_viewer_set_frames(SR_VIEWER(self->viewer), self->source, self->reference);
        sr_viewer_set_frame_number(SR_VIEWER(self->viewer), j->frame);
        g_autofree char *size = g_strdup_printf(_("Source frame %d is %d×%d pixels."), j->frame,
                                                self->width, self->height);
        gtk_label_set_text(GTK_LABEL(self->frame_size), size);
        sync_viewer_crop(self);
      }
      /* Also after an error that has since been put right (same frames). */
      gtk_stack_set_visible_child_name(GTK_STACK(self->viewer_stack), "viewer");
      self->pair = j->frame;
      sr_check_report_clear(&self->report);
      self->report = j->report;
      sr_check_report_init(&j->report);
      self->have_report = j->is_pair;
      if (j->is_pair) {
        sr_check_status worst = sr_check_report_status(&self->report);
        g_autofree char *title = g_strdup_printf(_("Checks for pair %d"), j->frame);
        gtk_label_set_text(GTK_LABEL(self->checks_title), title);
        gtk_label_set_text(GTK_LABEL(self->checks_note),
                           worst == SR_CHECK_PASS ? _("Every check passes for this pair.")
                           : worst == SR_CHECK_WARN
                               ? _("Warnings: training works, but read them first.")
                               : _("A check fails: training would learn from bad data."));
      } else {
        gtk_label_set_text(GTK_LABEL(self->checks_title), _("Checks"));
        gtk_label_set_text(GTK_LABEL(self->checks_note),
                           _("Add a pair on the Pairs stage to check it here."));
      }
    }
    show_checks(self);
  }
  update_busy(self);
  g_object_unref(self);
}

static gboolean
run_checks(gpointer user_data)
{
  SrPageCrop *self = user_data;
  SrProject *p = project_of(self);
  const char *src = p ? sr_project_get_source_pattern(p) : NULL;
  const char *ref = p ? sr_project_get_reference_pattern(p) : NULL;

  self->debounce = 0;
  self->generation++;
  if (!src || !src[0] || !ref || !ref[0]) {
    gtk_stack_set_visible_child_name(GTK_STACK(self->viewer_stack), "empty");
    gtk_label_set_text(GTK_LABEL(self->checks_note),
                       _("Choose both sequences on the Project stage first."));
    self->have_report = FALSE;
    show_checks(self);
    update_busy(self);
    return G_SOURCE_REMOVE;
  }

  CropJob *j = g_new0(CropJob, 1);
  j->page = g_object_ref(self);
  j->generation = self->generation;
  j->source = sr_project_resolve_path(p, src);
  j->reference = sr_project_resolve_path(p, ref);
  j->frame = self->pair;
  /* The Reference frame the map pairs with it; a field-mixed one still
   * shows the framing, so the plain offset stands in. */
  int rf = sr_project_reference_frame(p, j->frame);
  j->offset = rf != SR_NO_FRAME ? rf - j->frame : sr_project_get_reference_offset(p);
  j->is_pair = self->is_pair;
  sr_project_get_prep_settings(p, &j->prep);
  sr_check_report_init(&j->report);
  j->key = g_strdup_printf("%s\n%s\n%d\n%d", j->source, j->reference, j->offset, j->frame);
  if (self->source && g_strcmp0(j->key, self->loaded_key) == 0) {
    j->src_frame = sr_frame_ref(self->source);
    j->ref_frame = sr_frame_ref(self->reference);
  }
  self->jobs++;
  update_busy(self);
  gtk_spinner_set_spinning(GTK_SPINNER(self->checks_spinner), TRUE);
  g_autoptr(SrJob) job = sr_job_new(_("Checking the pair"), crop_thread, j, crop_job_free);
  sr_ui_run_job(GTK_WIDGET(self), job, FALSE, on_crop_job_done, NULL);
  return G_SOURCE_REMOVE;
}

/* Crop drags and typing come in bursts: check once they settle. */
static void
queue_checks(SrPageCrop *self)
{
  g_clear_handle_id(&self->debounce, g_source_remove);
  self->debounce = g_timeout_add(200, run_checks, self);
  update_busy(self);
}

/* ---- Crop edits ---------------------------------------------------------------- */

/* Says what the frame's edges changed in a typed crop, so a value that
 * would push the box past the frame is never corrected silently. */
static void
show_clamp_note(SrPageCrop *self, sr_rect asked, sr_rect crop)
{
  GString *s = g_string_new(NULL);

  if (asked.w != crop.w)
    g_string_append_printf(s,
                           asked.w > crop.w ? _("Width %d is wider than the frame: set to %d. ")
                                            : _("Width %d is below the smallest crop: set to %d. "),
                           asked.w, crop.w);
  if (asked.h != crop.h)
    g_string_append_printf(s,
                           asked.h > crop.h
                               ? _("Height %d is taller than the frame: set to %d. ")
                               : _("Height %d is below the smallest crop: set to %d. "),
                           asked.h, crop.h);
  if (asked.x != crop.x)
    g_string_append_printf(s,
                           _("X %d would put the crop past the frame's right edge (%d px wide): "
                             "X set to %d. Reduce the width first to move it further right. "),
                           asked.x, self->width, crop.x);
  if (asked.y != crop.y)
    g_string_append_printf(s,
                           _("Y %d would put the crop past the frame's bottom edge (%d px high): "
                             "Y set to %d. Reduce the height first to move it further down. "),
                           asked.y, self->height, crop.y);
  g_strchomp(s->str);
  self->noted_crop = crop;
  gtk_label_set_text(GTK_LABEL(self->clamp_note), s->str);
  gtk_widget_set_visible(self->clamp_note, s->str[0] != '\0');
  g_string_free(s, TRUE);
}

const char *
sr_page_crop_get_clamp_note(SrPageCrop *self)
{
  g_return_val_if_fail(SR_IS_PAGE_CROP(self), NULL);
  return gtk_widget_get_visible(self->clamp_note) ? gtk_label_get_text(GTK_LABEL(self->clamp_note))
                                                  : NULL;
}

void
sr_page_crop_apply(SrPageCrop *self, sr_rect crop)
{
  g_return_if_fail(SR_IS_PAGE_CROP(self));
  if (!project_of(self))
    return;
  if (gtk_check_button_get_active(GTK_CHECK_BUTTON(self->snap_even))) {
    crop.w &= ~1;
    crop.h &= ~1;
  }
  if (self->width > 0) {
    sr_rect asked = crop;
    crop.w = CLAMP(crop.w, MIN_CROP, self->width);
    crop.h = CLAMP(crop.h, MIN_CROP, self->height);
    crop.x = CLAMP(crop.x, 0, self->width - crop.w);
    crop.y = CLAMP(crop.y, 0, self->height - crop.h);
    show_clamp_note(self, asked, crop);
  }
  if (!sr_rect_equal(crop, sr_project_get_crop(project_of(self))))
    sr_project_set_crop(project_of(self), crop);
  else
    sync_viewer_crop(self);
}

static void
on_spin_changed(GtkSpinButton *spin, SrPageCrop *self)
{
  sr_rect crop;

  if (self->syncing || !project_of(self))
    return;
  crop.x = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->crop_x));
  crop.y = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->crop_y));
  crop.w = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->crop_w));
  crop.h = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(self->crop_h));
  sr_page_crop_apply(self, crop);
}

static void
on_crop_edited(SrViewer *v, int x, int y, int w, int h, SrPageCrop *self)
{
  if (!self->syncing)
    sr_page_crop_apply(self, (sr_rect){x, y, w, h});
}

/* Live numbers while a handle is dragged; the project changes on release. */
static void
on_viewer_crop_notify(SrViewer *v, GParamSpec *pspec, SrPageCrop *self)
{
  sr_rect crop;

  if (self->syncing)
    return;
  sr_viewer_get_crop(v, &crop);
  sync_crop_widgets(self, crop);
}

static void
on_whole_frame(GtkButton *button, SrPageCrop *self)
{
  if (project_of(self) && sr_project_get_crop(project_of(self)).w != 0)
    sr_project_set_crop(project_of(self), (sr_rect){0, 0, 0, 0});
}

static void
on_prefilter_selected(GtkDropDown *dropdown, GParamSpec *pspec, SrPageCrop *self)
{
  static const sr_prefilter values[] = {SR_PREFILTER_NONE, SR_PREFILTER_MEDIAN3,
                                        SR_PREFILTER_MEDIAN5};
  guint i = gtk_drop_down_get_selected(dropdown);

  if (self->syncing || !project_of(self) || i >= G_N_ELEMENTS(values))
    return;
  if (sr_project_get_prefilter(project_of(self)) != values[i])
    sr_project_set_prefilter(project_of(self), values[i]);
}

static void
on_mode_toggled(GtkToggleButton *button, SrPageCrop *self)
{
  if (gtk_toggle_button_get_active(button))
    sr_viewer_set_mode(SR_VIEWER(self->viewer), GTK_WIDGET(button) == self->mode_source
                                                    ? SR_VIEWER_MODE_A
                                                    : SR_VIEWER_MODE_B);
}

/* ---- Pair choice ------------------------------------------------------------- */

void
sr_page_crop_set_pair(SrPageCrop *self, int frame)
{
  g_return_if_fail(SR_IS_PAGE_CROP(self));
  for (guint i = 0; i < self->pair_frames->len; i++)
    if (g_array_index(self->pair_frames, int, i) == frame) {
      gtk_drop_down_set_selected(GTK_DROP_DOWN(self->pair_dropdown), i);
      return;
    }
}

static void
on_pair_selected(GtkDropDown *dropdown, GParamSpec *pspec, SrPageCrop *self)
{
  guint i = gtk_drop_down_get_selected(dropdown);

  if (self->syncing || i >= self->pair_frames->len)
    return;
  self->pair = g_array_index(self->pair_frames, int, i);
  self->is_pair = TRUE;
  queue_checks(self);
}

static void
rebuild_pairs(SrPageCrop *self)
{
  const GArray *pairs = sr_project_get_pairs(project_of(self));
  g_autoptr(GtkStringList) list = gtk_string_list_new(NULL);
  guint selected = 0;
  gboolean same = pairs->len == self->pair_frames->len;

  for (guint i = 0; same && i < pairs->len; i++)
    same = g_array_index(pairs, int, i) == g_array_index(self->pair_frames, int, i);
  if (same && (pairs->len > 0) == self->is_pair)
    return;

  g_array_set_size(self->pair_frames, 0);
  for (guint i = 0; i < pairs->len; i++) {
    int frame = g_array_index(pairs, int, i);
    g_autofree char *text = g_strdup_printf(_("Frame %d"), frame);
    gtk_string_list_append(list, text);
    g_array_append_val(self->pair_frames, frame);
    if (frame == self->pair)
      selected = i;
  }
  self->syncing = TRUE;
  gtk_drop_down_set_model(GTK_DROP_DOWN(self->pair_dropdown), G_LIST_MODEL(list));
  if (pairs->len)
    gtk_drop_down_set_selected(GTK_DROP_DOWN(self->pair_dropdown), selected);
  self->syncing = FALSE;
  gtk_widget_set_visible(self->pair_dropdown, pairs->len > 0);
  gtk_widget_set_visible(gtk_widget_get_prev_sibling(self->pair_dropdown), pairs->len > 0);

  self->is_pair = pairs->len > 0;
  self->pair = pairs->len ? g_array_index(pairs, int, selected) : G_MININT;
}

/* ---- Project --------------------------------------------------------------------- */

static void
sr_page_crop_project_changed(SrStagePage *page, const char *description)
{
  SrPageCrop *self = SR_PAGE_CROP(page);
  SrProject *project = sr_stage_page_get_project(page);
  sr_prefilter pf = sr_project_get_prefilter(project);

  rebuild_pairs(self);
  self->syncing = TRUE;
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->prefilter), pf == SR_PREFILTER_MEDIAN3   ? 1
                                                             : pf == SR_PREFILTER_MEDIAN5 ? 2
                                                                                          : 0);
  self->syncing = FALSE;
  sr_ui_set_class(self->prefilter_warning, "field-warning", pf != SR_PREFILTER_NONE);
  /* Another crop (an undo, another window's edit): the note is stale. */
  if (!sr_rect_equal(sr_project_get_crop(project), self->noted_crop))
    gtk_widget_set_visible(self->clamp_note, FALSE);
  sr_viewer_set_colourspace(SR_VIEWER(self->viewer), sr_project_get_source_colourspace(project));
  sync_viewer_crop(self);
  queue_checks(self);
}

static void
sr_page_crop_project_set(SrStagePage *page, SrProject *project)
{
  SrPageCrop *self = SR_PAGE_CROP(page);

  g_clear_pointer(&self->source, sr_frame_unref);
  g_clear_pointer(&self->reference, sr_frame_unref);
  g_clear_pointer(&self->loaded_key, g_free);
  self->width = self->height = 0;
  self->have_report = FALSE;
  self->pair = G_MININT;
  self->is_pair = FALSE;
  g_array_set_size(self->pair_frames, 0);
  self->generation++;
  sr_viewer_set_frames(SR_VIEWER(self->viewer), NULL, NULL);
  gtk_widget_set_sensitive(GTK_WIDGET(self), project != NULL);
  if (project) {
    sr_page_crop_project_changed(page, NULL);
    /* rebuild_pairs() skips an unchanged empty list: make sure it ran. */
    if (!self->is_pair)
      self->pair = G_MININT;
  }
}

const sr_check_report *
sr_page_crop_get_checks(SrPageCrop *self)
{
  g_return_val_if_fail(SR_IS_PAGE_CROP(self), NULL);
  return self->have_report ? &self->report : NULL;
}

int
sr_page_crop_get_pair(SrPageCrop *self)
{
  g_return_val_if_fail(SR_IS_PAGE_CROP(self), -1);
  return self->is_pair ? self->pair : -1;
}

GtkWidget *
sr_page_crop_get_viewer(SrPageCrop *self)
{
  g_return_val_if_fail(SR_IS_PAGE_CROP(self), NULL);
  return self->viewer;
}

/* ---- GObject -------------------------------------------------------------------- */

static void
sr_page_crop_dispose(GObject *object)
{
  SrPageCrop *self = SR_PAGE_CROP(object);

  g_clear_handle_id(&self->debounce, g_source_remove);
  g_clear_pointer(&self->source, sr_frame_unref);
  g_clear_pointer(&self->reference, sr_frame_unref);
  gtk_widget_dispose_template(GTK_WIDGET(self), SR_TYPE_PAGE_CROP);
  G_OBJECT_CLASS(sr_page_crop_parent_class)->dispose(object);
}

static void
sr_page_crop_finalize(GObject *object)
{
  SrPageCrop *self = SR_PAGE_CROP(object);

  sr_check_report_clear(&self->report);
  g_array_unref(self->pair_frames);
  g_free(self->loaded_key);
  G_OBJECT_CLASS(sr_page_crop_parent_class)->finalize(object);
}

static void
sr_page_crop_map(GtkWidget *widget)
{
  SrPageCrop *self = SR_PAGE_CROP(widget);

  GTK_WIDGET_CLASS(sr_page_crop_parent_class)->map(widget);
  gtk_widget_grab_focus(self->viewer);
}

static void
sr_page_crop_class_init(SrPageCropClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  SrStagePageClass *page_class = SR_STAGE_PAGE_CLASS(klass);

  object_class->dispose = sr_page_crop_dispose;
  object_class->finalize = sr_page_crop_finalize;
  widget_class->map = sr_page_crop_map;
  page_class->project_set = sr_page_crop_project_set;
  page_class->project_changed = sr_page_crop_project_changed;

  gtk_widget_class_set_template_from_resource(
      widget_class, "/io/github/spatialrecovery/SpatialRecovery/sr-page-crop.ui");
#define BIND(name) gtk_widget_class_bind_template_child(widget_class, SrPageCrop, name)
  BIND(pair_dropdown);
  BIND(mode_source);
  BIND(mode_reference);
  BIND(hint);
  BIND(viewer_stack);
  BIND(viewer_slot);
  BIND(empty_label);
  BIND(frame_size);
  BIND(crop_x);
  BIND(crop_y);
  BIND(crop_w);
  BIND(crop_h);
  BIND(snap_even);
  BIND(whole_frame);
  BIND(prefilter);
  BIND(prefilter_warning);
  BIND(checks_title);
  BIND(checks_spinner);
  BIND(checks_note);
  BIND(clamp_note);
  BIND(checks_list);
#undef BIND
}

static void
sr_page_crop_init(SrPageCrop *self)
{
  GtkWidget *spins[4];

  gtk_widget_init_template(GTK_WIDGET(self));
  sr_check_report_init(&self->report);
  self->pair_frames = g_array_new(FALSE, FALSE, sizeof(int));
  self->pair = G_MININT;

  self->viewer = sr_viewer_new();
  gtk_widget_set_vexpand(self->viewer, TRUE);
  gtk_widget_set_hexpand(self->viewer, TRUE);
  gtk_widget_set_focusable(self->viewer, TRUE);
  sr_viewer_set_labels(SR_VIEWER(self->viewer), _("A: Source"), _("B: Reference"));
  sr_viewer_set_show_labels(SR_VIEWER(self->viewer), TRUE);
  sr_viewer_set_show_crop(SR_VIEWER(self->viewer), TRUE);
  sr_viewer_set_crop_edit(SR_VIEWER(self->viewer), TRUE);
  gtk_box_append(GTK_BOX(self->viewer_slot), self->viewer);
  g_signal_connect(self->viewer, "crop-edited", G_CALLBACK(on_crop_edited), self);
  g_signal_connect(self->viewer, "notify::crop-x", G_CALLBACK(on_viewer_crop_notify), self);
  g_signal_connect(self->viewer, "notify::crop-y", G_CALLBACK(on_viewer_crop_notify), self);
  g_signal_connect(self->viewer, "notify::crop-width", G_CALLBACK(on_viewer_crop_notify), self);
  g_signal_connect(self->viewer, "notify::crop-height", G_CALLBACK(on_viewer_crop_notify), self);

  spins[0] = self->crop_x;
  spins[1] = self->crop_y;
  spins[2] = self->crop_w;
  spins[3] = self->crop_h;
  for (int i = 0; i < 4; i++)
    g_signal_connect(spins[i], "value-changed", G_CALLBACK(on_spin_changed), self);
  g_signal_connect(self->whole_frame, "clicked", G_CALLBACK(on_whole_frame), self);
  g_signal_connect(self->prefilter, "notify::selected", G_CALLBACK(on_prefilter_selected), self);
  g_signal_connect(self->pair_dropdown, "notify::selected", G_CALLBACK(on_pair_selected), self);
  g_signal_connect(self->mode_source, "toggled", G_CALLBACK(on_mode_toggled), self);
  g_signal_connect(self->mode_reference, "toggled", G_CALLBACK(on_mode_toggled), self);
  gtk_widget_set_visible(self->pair_dropdown, FALSE);
  gtk_widget_set_visible(gtk_widget_get_prev_sibling(self->pair_dropdown), FALSE);
  gtk_widget_set_sensitive(GTK_WIDGET(self), FALSE);
}
