/* sr-page-review-grain.c — the Review page's Grain toggle: the rendered
 * frames with or without the grain of the render's grain plan.
 *
 * The plan is the one the render keeps beside its frames
 * (<render stem>.grain.json, sr-grain-plan.h). The toggle shows what is on
 * disk when its state matches the frame (a grained frame with Grain on, an
 * ungrained one with Grain off); otherwise a worker makes the other picture
 * from the plan (sr_grain_plan_preview): the plan's grain for that frame
 * added to an ungrained frame — what a render with grain writes, up to
 * half-float rounding — or taken away from a grained one. The preview
 * prepares the frame as the render did: with the preparation (crop,
 * pre-filter, colour spaces) of the model the plan was measured for, read
 * once from the checkpoint the project renders with when its model id is
 * the plan's, so a crop edited after rendering does not move the grain.
 * Without a plan the toggle is off and says how to get one. */
#include "sr-checkpoint.h"
#include "sr-delivery.h"
#include "sr-grain-plan.h"
#include "sr-page-review-private.h"
#include "sr-render.h"
#include "sr-ui-util.h"

#include <glib/gi18n.h>
#include <string.h>

typedef struct {
  SrGrainPlan plan;
  SrFrame *frame;
  sr_prep_settings prep;
  char *checkpoint;         /* to read the model's preparation from; NULL: known */
  gboolean prep_from_model; /* set by the worker when it did */
  gboolean remove;
  guint generation;
  SrPageReview *page;
} PreviewTask;

static void
preview_task_free(gpointer p)
{
  PreviewTask *t = p;
  sr_frame_unref(t->frame);
  g_free(t->checkpoint);
  g_free(t);
}

static void
preview_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  PreviewTask *t = data;
  sr_error err = {0};
  if (t->checkpoint) {
    /* The checkpoint's metadata is validated against its weights: read
     * here, off the main loop, once per plan. */
    sr_checkpoint_meta meta;
    sr_checkpoint_meta_init(&meta);
    if (sr_checkpoint_read_meta(t->checkpoint, &meta, NULL) &&
        strcmp(meta.model_id, t->plan.model_id) == 0) {
      t->prep = meta.prep;
      t->prep_from_model = TRUE;
    }
    sr_checkpoint_meta_clear(&meta);
  }
  sr_image *img = sr_grain_plan_preview(&t->plan, sr_frame_get_image(t->frame),
                                        sr_frame_get_number(t->frame), &t->prep, t->remove, &err);
  if (!img) {
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, _("frame %d: grain preview: %s"),
                            sr_frame_get_number(t->frame), err.message);
    return;
  }
  g_task_return_pointer(task, sr_frame_new_take(img, sr_frame_get_number(t->frame)),
                        (GDestroyNotify)sr_frame_unref);
}

static void
preview_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrPageReview *self = SR_PAGE_REVIEW(source);
  PreviewTask *t = g_task_get_task_data(G_TASK(result));
  g_autoptr(GError) error = NULL;
  SrFrame *frame = g_task_propagate_pointer(G_TASK(result), &error);
  if (t->generation != self->grain_generation) {
    g_clear_pointer(&frame, sr_frame_unref);
    return;
  }
  self->grain_prep_tried |= t->checkpoint != NULL;
  if (t->prep_from_model) {
    self->grain_prep = t->prep;
    self->grain_prep_known = TRUE;
  }
  self->grain_busy = FALSE;
  if (!frame) {
    sr_ui_show_error(GTK_WIDGET(self), error->message);
    sr_page_review_show_b(self, self->rendered_b);
    return;
  }
  sr_page_review_show_b(self, frame);
  sr_frame_unref(frame);
}

static gboolean
frame_has_grain(const SrFrame *frame)
{
  return sr_image_get_attribute(sr_frame_get_image(frame), SR_RENDER_GRAIN_ATTR) != NULL;
}

static void
update_label(SrPageReview *self)
{
  gboolean on = gtk_check_button_get_active(GTK_CHECK_BUTTON(self->grain_check));
  const char *text = NULL;
  if (!self->grain_plan)
    text = _("No grain plan beside this render: render with “Add grain matching the Reference” "
             "to plan one; the toggle then adds or takes away that grain here.");
  else if (self->rendered_b && on != frame_has_grain(self->rendered_b))
    text = on ? _("Grain on: a preview of the render's grain plan added to these frames, which "
                  "were rendered without it.")
              : _("Grain off: the render's grain plan taken away from these frames, which were "
                  "rendered with it (a preview).");
  else
    text = on ? _("Grain on: the frames as rendered, with the grain of the render's plan.")
              : _("Grain off: the frames as rendered, without grain.");
  gtk_widget_set_tooltip_text(self->grain_check, text);
}

/* Shows the rendered frame, or its preview with the toggle's grain. */
void
sr_page_review_grain_show(SrPageReview *self, SrFrame *rendered)
{
  if (rendered != self->rendered_b) {
    g_clear_pointer(&self->rendered_b, sr_frame_unref);
    self->rendered_b = sr_frame_ref(rendered);
  }
  self->grain_generation++;
  self->grain_busy = FALSE;
  gboolean has = frame_has_grain(rendered);
  if (!self->grain_known) {
    /* The toggle starts as the render is. */
    self->grain_known = TRUE;
    self->syncing = TRUE;
    gtk_check_button_set_active(GTK_CHECK_BUTTON(self->grain_check), has);
    self->syncing = FALSE;
  }
  gboolean on = gtk_check_button_get_active(GTK_CHECK_BUTTON(self->grain_check));
  update_label(self);
  /* Playing shows the files as rendered: a preview per frame could not keep
   * up with the frame rate, and the toggle's question is asked paused. */
  if (!self->grain_plan || on == has || self->speed != 0) {
    sr_page_review_show_b(self, rendered);
    return;
  }
  PreviewTask *t = g_new0(PreviewTask, 1);
  t->plan = *self->grain_plan;
  t->frame = sr_frame_ref(rendered);
  if (self->grain_prep_known) {
    t->prep = self->grain_prep;
  } else {
    /* Until the model's is read, or when the checkpoint is another model's
     * (a different one chosen for rendering since), the project's. */
    SrProject *project = sr_page_review_project_of(self);
    sr_project_get_prep_settings(project, &t->prep);
    if (!self->grain_prep_tried)
      t->checkpoint = sr_checkpoint_facts_path(project, NULL);
  }
  t->remove = has;
  t->generation = self->grain_generation;
  self->grain_busy = TRUE;
  g_autoptr(GTask) task = g_task_new(self, NULL, preview_done, NULL);
  g_task_set_task_data(task, t, preview_task_free);
  g_task_run_in_thread(task, preview_thread);
}

/* The render shown changed: its plan, if it has one, is read now. */
void
sr_page_review_grain_render_changed(SrPageReview *self)
{
  g_clear_pointer(&self->grain_plan, g_free);
  g_clear_pointer(&self->rendered_b, sr_frame_unref);
  self->grain_generation++;
  self->grain_busy = FALSE;
  self->grain_known = FALSE;
  self->grain_prep_known = self->grain_prep_tried = FALSE;
  g_autofree char *path = self->render_pattern ? sr_grain_plan_path(self->render_pattern) : NULL;
  if (path && g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
    SrGrainPlan *p = g_new0(SrGrainPlan, 1);
    g_autoptr(GError) error = NULL;
    if (sr_grain_plan_load(path, p, &error))
      self->grain_plan = p;
    else {
      g_free(p);
      sr_page_review_set_message(self, error->message, FALSE);
    }
  }
  gtk_widget_set_sensitive(self->grain_check, self->grain_plan != NULL);
  update_label(self);
}

/* The same render looked at again: a plan that appeared (a render with grain
 * over it) or went away since is taken into account. */
void
sr_page_review_grain_refresh(SrPageReview *self)
{
  g_autofree char *path = self->render_pattern ? sr_grain_plan_path(self->render_pattern) : NULL;
  gboolean there = path && g_file_test(path, G_FILE_TEST_IS_REGULAR);
  if (there == (self->grain_plan != NULL))
    return;
  SrFrame *shown = self->rendered_b ? sr_frame_ref(self->rendered_b) : NULL;
  sr_page_review_grain_render_changed(self);
  if (shown) {
    sr_page_review_grain_show(self, shown);
    sr_frame_unref(shown);
  }
}

void
sr_page_review_on_grain_toggled(GtkCheckButton *button, SrPageReview *self)
{
  if (self->syncing || !self->rendered_b)
    return;
  sr_page_review_grain_show(self, self->rendered_b);
}

GtkCheckButton *
sr_page_review_get_grain_check(SrPageReview *self)
{
  return GTK_CHECK_BUTTON(self->grain_check);
}

gboolean
sr_page_review_get_grain_plan_loaded(SrPageReview *self)
{
  return self->grain_plan != NULL;
}
