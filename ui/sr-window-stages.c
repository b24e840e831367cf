/* sr-window-stages.c — the window's stage sidebar and stage states.
 *
 * Each stage's row says Not started, Ready, Needs attention, In progress or
 * Done with a reason. The states are recomputed on a worker thread (the
 * sequences, the engine's project checks, the checkpoint, rendered frames
 * and the delivery sidecar are read from disk) after edits settle, after
 * visible jobs and whenever a page's "busy" changes. */
#include "sr-config.h"

#include "sr-window-private.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sr-delivery.h"
#include "sr-io.h"
#include "sr-page-crop.h"
#include "sr-page-deliver.h"
#include "sr-page-pairs.h"
#include "sr-page-project.h"
#include "sr-page-render.h"
#include "sr-page-review.h"
#include "sr-page-train.h"
#include "sr-stage-facts.h"
#include "sr-stage-page.h"

const char *const sr_stage_ids[] = {"project", "pairs",  "crop",    "train",
                                    "render",  "review", "deliver", NULL};

static const char *const stage_titles[] = {
    N_("Project"), N_("Pairs"), N_("Crop"), N_("Train"), N_("Render"), N_("Review"), N_("Deliver"),
};

/* Guide: 4–9 pairs per shot to start. */
#define ADVISED_MIN_PAIRS 4

static int
stage_index(const char *stage)
{
  for (int i = 0; i < SR_N_STAGES; i++)
    if (g_strcmp0(sr_stage_ids[i], stage) == 0)
      return i;
  return -1;
}

/* ---- Stage states ------------------------------------------------------ */

typedef struct {
  SrProject *copy;
  gboolean has_source, has_reference;
  char *source_error;
  char *reference_error;
  int source_first, source_last, reference_first, reference_last;
  sr_check_report report;
  gboolean checked;
  guint generation;
  /* Model, render and delivery on disk; deliver_dir is filled in on the
   * main thread, the rest by the worker. */
  char *deliver_dir;
  gboolean checkpoint_exists, has_facts;
  char *checkpoint_path, *model_short, *facts_error;
  char *new_pairs; /* pairs the model was not trained on ("1002, 1003"), or NULL */
  char *render_pattern;
  int render_present, render_wanted; /* frames of the Source range rendered */
  char *delivery_json;               /* sidecar of a delivery by this model, if there */
} StageCheck;

static void
stage_check_free(gpointer data)
{
  StageCheck *c = data;
  g_clear_object(&c->copy);
  g_free(c->source_error);
  g_free(c->reference_error);
  sr_check_report_clear(&c->report);
  g_free(c->deliver_dir);
  g_free(c->checkpoint_path);
  g_free(c->model_short);
  g_free(c->facts_error);
  g_free(c->new_pairs);
  g_free(c->render_pattern);
  g_free(c->delivery_json);
  g_free(c);
}

static gboolean
open_sequence(const char *pattern, int *first, int *last, char **error_out)
{
  sr_sequence seq = {0};
  sr_error err = {0};

  if (!sr_sequence_open(&seq, pattern, &err)) {
    *error_out = g_strdup(err.message);
    return FALSE;
  }
  *first = seq.first;
  *last = seq.last;
  sr_sequence_clear(&seq);
  return TRUE;
}

static gboolean
stage_check_thread(SrJob *job, gpointer data, GError **error)
{
  StageCheck *c = data;
  const char *src = sr_project_get_source_pattern(c->copy);
  const char *ref = sr_project_get_reference_pattern(c->copy);

  c->has_source = src && src[0];
  c->has_reference = ref && ref[0];
  gboolean ok_src =
      c->has_source && open_sequence(src, &c->source_first, &c->source_last, &c->source_error);
  gboolean ok_ref = c->has_reference && open_sequence(ref, &c->reference_first, &c->reference_last,
                                                      &c->reference_error);
  /* Without pairs the checks read only the two headers: the Project stage
   * says the same before the first pair as after it. */
  if (ok_src && ok_ref) {
    sr_project_check(c->copy, &c->report);
    c->checked = TRUE;
  }

  const char *ck = sr_project_get_checkpoint(c->copy);
  if (ck && ck[0]) {
    c->checkpoint_path = g_strdup(ck);
    c->checkpoint_exists = g_file_test(ck, G_FILE_TEST_IS_REGULAR);
  }
  SrCheckpointFacts facts = {0};
  g_autoptr(GError) ferr = NULL;
  if (c->checkpoint_exists) {
    c->has_facts = sr_checkpoint_facts_lookup(c->copy, NULL, &facts, &ferr);
    if (c->has_facts) {
      c->model_short = g_strdup(facts.model_id_short);
      /* Pairs added since (from the Render page's outliers, say) are not
       * in this model until it is trained again. */
      const GArray *pairs = sr_project_get_pairs(c->copy);
      GString *added = g_string_new(NULL);
      for (guint i = 0; i < pairs->len; i++) {
        int f = g_array_index(pairs, int, i);
        gboolean known = FALSE;
        for (guint k = 0; facts.training_frames && k < facts.training_frames->len && !known; k++)
          known = g_array_index(facts.training_frames, int, k) == f;
        if (!known)
          g_string_append_printf(added, "%s%d", added->len ? ", " : "", f);
      }
      c->new_pairs = g_string_free(added, added->len == 0);
    } else
      c->facts_error = g_strdup(ferr->message);
  }
  sr_checkpoint_facts_clear(&facts);
  if (!c->has_facts)
    return TRUE;

  /* Render: the frames of the Source range under the name the render stage
   * writes for this model. */
  c->render_pattern = sr_delivery_default_render_pattern(c->copy);
  sr_sequence seq = {0};
  if (c->render_pattern && sr_sequence_open(&seq, c->render_pattern, NULL)) {
    int first = ok_src ? c->source_first : seq.first;
    int last = ok_src ? c->source_last : seq.last;
    c->render_wanted = last - first + 1;
    for (int f = first; f <= last; f++)
      if (sr_sequence_has_frame(&seq, f))
        c->render_present++;
  }
  sr_sequence_clear(&seq);

  if (c->deliver_dir) {
    g_autofree char *base = sr_delivery_base_name(c->copy, c->model_short);
    g_autofree char *name = g_strconcat(base, ".json", NULL);
    g_autofree char *json = g_build_filename(c->deliver_dir, name, NULL);
    if (g_file_test(json, G_FILE_TEST_IS_REGULAR))
      c->delivery_json = g_steal_pointer(&json);
  }
  return TRUE;
}

char *
sr_window_stage_subtitle(const char *state, const char *reason)
{
  /* The first sentence or clause: up to ". " or ": ". */
  const char *end = reason + strlen(reason);
  const char *stop[] = {strstr(reason, ". "), strstr(reason, ": ")};
  for (guint k = 0; k < G_N_ELEMENTS(stop); k++)
    if (stop[k] && stop[k] < end)
      end = stop[k];
  while (end > reason && end[-1] == '.')
    end--;
  g_autofree char *first = g_strndup(reason, end - reason);
  /* TRANSLATORS: a stage's state and what it is about, in the stage list:
   * "Needs attention: the Reference frames are 80×48…". */
  return g_strdup_printf(_("%s: %s"), state, first);
}

static void
set_stage(SrWindow *self, SrStage i, SrStageState state, const char *reason)
{
  static const char *const state_text[] = {N_("Not started"), N_("Ready"), N_("Needs attention"),
                                           N_("Done"), N_("In progress")};
  static const char *const icons[] = {"content-loading-symbolic", "emblem-ok-symbolic",
                                      "dialog-warning-symbolic", "checkbox-checked-symbolic",
                                      "emblem-synchronizing-symbolic"};
  static const char *const classes[] = {"not-started", "ready", "attention", "done", "in-progress"};
  StageRow *row = &self->stages[i];

  /* The checks rerun after every edit and job; an unchanged row is left
   * alone so the sidebar does not redraw for nothing. */
  if (row->state == state && row->reason && g_strcmp0(row->reason, reason) == 0 &&
      gtk_widget_has_css_class(row->row, classes[state]))
    return;
  row->state = state;
  g_free(row->reason);
  row->reason = g_strdup(reason);
  /* What needs attention is named in the row itself (its first sentence,
   * ellipsized); the whole reason is the tooltip. */
  g_autofree char *subtitle = state == SR_STAGE_ATTENTION && reason && *reason
                                  ? sr_window_stage_subtitle(_(state_text[state]), reason)
                                  : g_strdup(_(state_text[state]));
  gtk_label_set_text(GTK_LABEL(row->state_label), subtitle);
  gtk_image_set_from_icon_name(GTK_IMAGE(row->state_icon), icons[state]);
  for (guint k = 0; k < G_N_ELEMENTS(classes); k++)
    gtk_widget_remove_css_class(row->row, classes[k]);
  gtk_widget_add_css_class(row->row, classes[state]);
  gtk_widget_set_tooltip_text(row->row, reason);
}

/* Which stage an engine check belongs to. */
static SrStage
stage_of_check(const sr_check *item)
{
  if (strcmp(item->id, "misalignment") == 0 || strstr(item->id, "frame") ||
      strstr(item->id, "preview") || strstr(item->id, "held") || strstr(item->id, "pair"))
    return SR_STAGE_PAIRS;
  if (strncmp(item->subject, "pair", 4) == 0)
    return SR_STAGE_CROP;
  if (strstr(item->id, "sequence") || strstr(item->id, "colour") || strstr(item->id, "source") ||
      strstr(item->id, "reference"))
    return SR_STAGE_PROJECT;
  return SR_STAGE_CROP;
}

/* The worst check of a stage, or NULL when all pass. */
static const sr_check *
worst_check(const StageCheck *c, SrStage stage)
{
  const sr_check *worst = NULL;

  for (int i = 0; c->checked && i < c->report.n; i++) {
    const sr_check *item = &c->report.items[i];
    if (item->status == SR_CHECK_PASS || stage_of_check(item) != stage)
      continue;
    if (!worst || item->status > worst->status)
      worst = item;
  }
  return worst;
}

/* Rendered in full: Ready only once signed off (the pipeline's gate, as if
 * QA runs with the note); otherwise what is open. */
static void
set_deliver_ready(SrWindow *self, int on_disk)
{
  SrGateInput in = {.qa_run = TRUE};
  g_autoptr(GPtrArray) pending = sr_delivery_gate_blockers(self->project, &in);
  g_autofree char *reason = NULL;
  if (pending->len > 0) {
    reason = g_strdup_printf(ngettext("Not signed off: %u open item (%s).",
                                      "Not signed off: %u open items (first: %s).", pending->len),
                             pending->len, (char *)g_ptr_array_index(pending, 0));
    set_stage(self, SR_STAGE_DELIVER, SR_STAGE_ATTENTION, reason);
    return;
  }
  reason = g_strdup_printf(ngettext("%d rendered frame can be delivered.",
                                    "%d rendered frames can be delivered.", on_disk),
                           on_disk);
  set_stage(self, SR_STAGE_DELIVER, SR_STAGE_READY, reason);
}

/* Train, Render, Review and Deliver follow the model and what it made on
 * disk: Done once the result is there, In progress while a job makes it or
 * it is partly there. */
static void
apply_model_stages(SrWindow *self, StageCheck *c)
{
  SrProject *p = self->project;
  g_autofree char *reason = NULL;
  gboolean training = sr_stage_page_get_busy(SR_STAGE_PAGE(self->pages[SR_STAGE_TRAIN]));
  gboolean rendering = sr_stage_page_get_busy(SR_STAGE_PAGE(self->pages[SR_STAGE_RENDER]));
  gboolean delivering = sr_stage_page_get_busy(SR_STAGE_PAGE(self->pages[SR_STAGE_DELIVER]));
  g_autofree char *ck_name = c->checkpoint_path ? g_path_get_basename(c->checkpoint_path) : NULL;

  /* Train */
  if (training) {
    set_stage(self, SR_STAGE_TRAIN, SR_STAGE_IN_PROGRESS, _("Training is running."));
  } else if (!c->checkpoint_path) {
    set_stage(self, SR_STAGE_TRAIN, SR_STAGE_NOT_STARTED,
              _("No model yet: train once pairs and crop are ready."));
  } else if (!c->checkpoint_exists) {
    reason = g_strdup_printf(_("The checkpoint %s is missing: train again or choose another."),
                             c->checkpoint_path);
    set_stage(self, SR_STAGE_TRAIN, SR_STAGE_ATTENTION, reason);
  } else if (!c->has_facts) {
    set_stage(self, SR_STAGE_TRAIN, SR_STAGE_ATTENTION, c->facts_error);
  } else if (c->new_pairs) {
    reason = g_strdup_printf(_("Model %s was trained before the pairs %s were added: train again "
                               "(or resume) so it learns from them."),
                             c->model_short, c->new_pairs);
    set_stage(self, SR_STAGE_TRAIN, SR_STAGE_READY, reason);
  } else {
    reason = g_strdup_printf(_("Model %s (%s)."), c->model_short, ck_name);
    set_stage(self, SR_STAGE_TRAIN, SR_STAGE_DONE, reason);
  }
  g_clear_pointer(&reason, g_free);

  /* Render: the Render page's facts (its scan of the disk and its job),
   * the same the page and the job bar show; the worker's count until the
   * page has read the disk. */
  SrRenderFacts rf;
  sr_page_render_get_facts(SR_PAGE_RENDER(self->pages[SR_STAGE_RENDER]), &rf);
  if (!rf.known) {
    rf.on_disk = c->render_present;
    rf.wanted = c->render_wanted;
  }
  rf.running |= rendering;
  gboolean rendered_any = rf.on_disk > 0;
  gboolean rendered_all = rf.wanted > 0 && rf.on_disk >= rf.wanted;
  reason = sr_render_facts_reason(&rf, c->has_facts ? c->model_short : NULL);
  set_stage(self, SR_STAGE_RENDER, sr_render_facts_state(&rf, c->has_facts), reason);
  g_clear_pointer(&reason, g_free);

  /* Review */
  const GArray *flags = sr_project_get_flags(p);
  guint ticked = 0;
  for (int i = 0; i < SR_REVIEW_N_ITEMS; i++)
    ticked += sr_project_get_accepted(p, sr_page_review_item_id(i)) ? 1 : 0;
  if (flags->len > 0) {
    reason = g_strdup_printf(ngettext("%u frame flagged for another look.",
                                      "%u frames flagged for another look.", flags->len),
                             flags->len);
    set_stage(self, SR_STAGE_REVIEW, SR_STAGE_ATTENTION, reason);
  } else if (ticked == SR_REVIEW_N_ITEMS) {
    set_stage(self, SR_STAGE_REVIEW, SR_STAGE_DONE, _("Every acceptance item is ticked."));
  } else if (ticked > 0) {
    reason =
        g_strdup_printf(_("%u of %u acceptance items ticked."), ticked, (guint)SR_REVIEW_N_ITEMS);
    set_stage(self, SR_STAGE_REVIEW, SR_STAGE_IN_PROGRESS, reason);
  } else if (rendered_any) {
    set_stage(self, SR_STAGE_REVIEW, SR_STAGE_READY,
              _("Compare the render with the Source and tick the acceptance items."));
  } else {
    set_stage(self, SR_STAGE_REVIEW, SR_STAGE_NOT_STARTED, _("Needs a render to review."));
  }
  g_clear_pointer(&reason, g_free);

  /* Deliver */
  if (delivering) {
    set_stage(self, SR_STAGE_DELIVER, SR_STAGE_IN_PROGRESS, _("Delivery is running."));
  } else if (c->delivery_json) {
    reason = g_strdup_printf(_("Delivered with model %s: %s."), c->model_short, c->delivery_json);
    set_stage(self, SR_STAGE_DELIVER, SR_STAGE_DONE, reason);
  } else if (rf.running) {
    set_stage(self, SR_STAGE_DELIVER, SR_STAGE_NOT_STARTED,
              _("A render is running: deliver once it has finished."));
  } else if (rendered_any && !rendered_all) {
    reason = g_strdup_printf(ngettext("Only %d of %d frame is rendered: render the rest first.",
                                      "Only %d of %d frames are rendered: render the rest first.",
                                      rf.wanted),
                             rf.on_disk, rf.wanted);
    set_stage(self, SR_STAGE_DELIVER, SR_STAGE_ATTENTION, reason);
  } else if (rendered_any) {
    set_deliver_ready(self, rf.on_disk);
  } else {
    set_stage(self, SR_STAGE_DELIVER, SR_STAGE_NOT_STARTED, _("Needs rendered frames."));
  }
}

static void
apply_stage_check(SrWindow *self, StageCheck *c)
{
  SrProject *p = self->project;
  const GArray *pairs = sr_project_get_pairs(p);
  const GArray *held = sr_project_get_held_out(p);
  gboolean project_ready = FALSE;
  g_autofree char *reason = NULL;
  const sr_check *worst;

  /* Project */
  if (!c->has_source || !c->has_reference) {
    set_stage(self, SR_STAGE_PROJECT, SR_STAGE_NOT_STARTED,
              !c->has_source ? _("Choose the Source sequence.")
                             : _("Choose the Reference sequence."));
  } else if (c->source_error || c->reference_error) {
    reason = g_strdup_printf("%s", c->source_error ? c->source_error : c->reference_error);
    set_stage(self, SR_STAGE_PROJECT, SR_STAGE_ATTENTION, reason);
  } else if ((worst = worst_check(c, 0))) {
    /* A warning (a declared space the files contradict, missing frames) is
     * not Ready: it names what to look at. Only a failure blocks Pairs. */
    set_stage(self, SR_STAGE_PROJECT, SR_STAGE_ATTENTION, worst->detail);
    project_ready = worst->status != SR_CHECK_FAIL;
  } else {
    reason = g_strdup_printf(_("Source frames %d–%d, Reference frames %d–%d."), c->source_first,
                             c->source_last, c->reference_first, c->reference_last);
    set_stage(self, SR_STAGE_PROJECT, SR_STAGE_READY, reason);
    project_ready = TRUE;
  }
  g_clear_pointer(&reason, g_free);

  /* Pairs */
  if (!project_ready) {
    set_stage(self, SR_STAGE_PAIRS, SR_STAGE_NOT_STARTED,
              _("Needs both sequences from the Project stage."));
  } else if (pairs->len == 0) {
    set_stage(self, SR_STAGE_PAIRS, SR_STAGE_NOT_STARTED,
              _("Add 4–9 pairs at frames that cover the shot's textures."));
  } else if ((worst = worst_check(c, 1)) && worst->status == SR_CHECK_FAIL) {
    set_stage(self, SR_STAGE_PAIRS, SR_STAGE_ATTENTION, worst->detail);
  } else if (pairs->len < ADVISED_MIN_PAIRS) {
    reason =
        g_strdup_printf(ngettext("%u pair: the guide advises 4–9 per shot to start.",
                                 "%u pairs: the guide advises 4–9 per shot to start.", pairs->len),
                        pairs->len);
    set_stage(self, SR_STAGE_PAIRS, SR_STAGE_ATTENTION, reason);
  } else if (worst) {
    set_stage(self, SR_STAGE_PAIRS, SR_STAGE_ATTENTION, worst->detail);
  } else {
    int preview = sr_project_get_preview_frame(p);
    if (preview >= 0)
      reason = g_strdup_printf(_("%u pairs, %u held out, preview frame %d."), pairs->len, held->len,
                               preview);
    else
      reason =
          g_strdup_printf(_("%u pairs, %u held out, no preview frame."), pairs->len, held->len);
    set_stage(self, SR_STAGE_PAIRS, SR_STAGE_READY, reason);
  }
  g_clear_pointer(&reason, g_free);

  /* Crop */
  if (!project_ready || pairs->len == 0) {
    set_stage(self, SR_STAGE_CROP, SR_STAGE_NOT_STARTED, _("Needs at least one pair."));
  } else if ((worst = worst_check(c, 2)) && worst->status == SR_CHECK_FAIL) {
    reason = g_strdup_printf("%s: %s", worst->subject, worst->detail);
    set_stage(self, SR_STAGE_CROP, SR_STAGE_ATTENTION, reason);
  } else {
    sr_rect crop = sr_project_get_crop(p);
    if (crop.w > 0)
      reason = g_strdup_printf(_("Crop %d×%d at %d, %d; every pair check passes."), crop.w, crop.h,
                               crop.x, crop.y);
    else
      reason = g_strdup(_("Whole frame; every pair check passes."));
    set_stage(self, SR_STAGE_CROP, SR_STAGE_READY, reason);
  }
  g_clear_pointer(&reason, g_free);

  apply_model_stages(self, c);
}

static void
on_stage_check_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrWindow *self = user_data;
  StageCheck *c = sr_job_get_data(SR_JOB(source));

  if (c->generation == self->check_generation && self->project) {
    self->checking = FALSE;
    apply_stage_check(self, c);
    sr_window_recheck_problem(self);
    sr_window_emit_stages_updated(self);
  }
  g_object_unref(self);
}

void
sr_window_refresh_stages(SrWindow *self)
{
  g_return_if_fail(SR_IS_WINDOW(self));
  g_clear_handle_id(&self->check_source, g_source_remove);
  /* A project on its way out (jobs stopping, or the next one loading) is
   * not checked: no thread of it may outlive the switch. */
  if (!self->project || self->idle_then || self->loading)
    return;

  StageCheck *c = g_new0(StageCheck, 1);
  sr_check_report_init(&c->report);
  c->copy = sr_project_copy_for_thread(self->project, NULL);
  c->deliver_dir = sr_page_deliver_dup_destination(SR_PAGE_DELIVER(self->pages[SR_STAGE_DELIVER]));
  c->generation = ++self->check_generation;
  if (!c->copy) {
    stage_check_free(c);
    return;
  }
  self->checking = TRUE;
  g_autoptr(SrJob) job =
      sr_job_new(_("Checking the project"), stage_check_thread, c, stage_check_free);
  sr_window_run_job(self, job, FALSE, on_stage_check_done, g_object_ref(self));
}

static gboolean
refresh_stages_idle(gpointer user_data)
{
  SrWindow *self = user_data;
  self->check_source = 0;
  sr_window_refresh_stages(self);
  return G_SOURCE_REMOVE;
}

/* Edits come in bursts (typing, dragging): check once they settle. */
void
sr_window_queue_stage_check(SrWindow *self)
{
  g_clear_handle_id(&self->check_source, g_source_remove);
  self->checking = TRUE;
  self->check_source = g_timeout_add(250, refresh_stages_idle, self);
}

gboolean
sr_window_get_checking(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), FALSE);
  return self->checking;
}

SrStageState
sr_window_get_stage_state(SrWindow *self, const char *stage, const char **reason)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), SR_STAGE_NOT_STARTED);
  int i = stage_index(stage);
  g_return_val_if_fail(i >= 0, SR_STAGE_NOT_STARTED);
  if (reason)
    *reason = self->stages[i].reason;
  return self->stages[i].state;
}

double
sr_window_get_job_fraction(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), 0);
  return gtk_progress_bar_get_fraction(GTK_PROGRESS_BAR(self->job_progress));
}

const char *
sr_window_get_stage_subtitle(SrWindow *self, const char *stage)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), NULL);
  int i = stage_index(stage);
  g_return_val_if_fail(i >= 0, NULL);
  return gtk_label_get_text(GTK_LABEL(self->stages[i].state_label));
}

void
sr_window_reset_stages(SrWindow *self)
{
  for (int i = 0; i < SR_N_STAGES; i++)
    set_stage(self, i, SR_STAGE_NOT_STARTED, _("Checking…"));
}

/* ---- Stage sidebar ------------------------------------------------------ */

const char *
sr_window_get_stage(SrWindow *self)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), NULL);
  const char *name = gtk_stack_get_visible_child_name(GTK_STACK(self->page_stack));
  return name ? name : sr_stage_ids[0];
}

void
sr_window_set_stage(SrWindow *self, const char *stage)
{
  g_return_if_fail(SR_IS_WINDOW(self));
  int i = stage_index(stage);
  if (i < 0)
    return;
  gtk_list_box_select_row(GTK_LIST_BOX(self->stage_list), GTK_LIST_BOX_ROW(self->stages[i].row));
  gtk_stack_set_visible_child_name(GTK_STACK(self->page_stack), stage);
}

GtkWidget *
sr_window_get_page(SrWindow *self, const char *stage)
{
  g_return_val_if_fail(SR_IS_WINDOW(self), NULL);
  int i = stage_index(stage);
  return i < 0 ? NULL : self->pages[i];
}

static void
on_stage_selected(GtkListBox *list, GtkListBoxRow *row, SrWindow *self)
{
  if (!row)
    return;
  int i = gtk_list_box_row_get_index(row);
  if (i >= 0 && i < SR_N_STAGES)
    gtk_stack_set_visible_child_name(GTK_STACK(self->page_stack), sr_stage_ids[i]);
}

/* A page started or finished work (a run, a scan, a delivery): the stage
 * states follow it, In progress while it runs. Work that ended is not a
 * burst of edits, so its result is checked at once. */
static void
on_page_busy(SrStagePage *page, GParamSpec *pspec, SrWindow *self)
{
  if (!self->project)
    return;
  if (sr_stage_page_get_busy(page))
    sr_window_page_started_work(self, GTK_WIDGET(page));
  if (sr_stage_page_get_busy(page))
    sr_window_queue_stage_check(self);
  else
    sr_window_refresh_stages(self);
}

void
sr_window_build_stages(SrWindow *self)
{
  self->pages[SR_STAGE_PROJECT] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_PROJECT, NULL));
  self->pages[SR_STAGE_PAIRS] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_PAIRS, NULL));
  self->pages[SR_STAGE_CROP] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_CROP, NULL));
  self->pages[SR_STAGE_TRAIN] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_TRAIN, NULL));
  self->pages[SR_STAGE_RENDER] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_RENDER, NULL));
  self->pages[SR_STAGE_REVIEW] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_REVIEW, NULL));
  self->pages[SR_STAGE_DELIVER] = GTK_WIDGET(g_object_new(SR_TYPE_PAGE_DELIVER, NULL));

  for (int i = 0; i < SR_N_STAGES; i++) {
    StageRow *s = &self->stages[i];
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 10);
    GtkWidget *number = gtk_label_new(NULL);
    GtkWidget *text = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *title = gtk_label_new(_(stage_titles[i]));
    g_autofree char *digit = g_strdup_printf("%d", i + 1);

    gtk_label_set_text(GTK_LABEL(number), digit);
    gtk_widget_add_css_class(number, "stage-number");
    gtk_widget_set_valign(number, GTK_ALIGN_CENTER);
    gtk_label_set_xalign(GTK_LABEL(title), 0);
    gtk_widget_add_css_class(title, "stage-title");
    s->state_label = gtk_label_new(_("Not started"));
    gtk_label_set_xalign(GTK_LABEL(s->state_label), 0);
    /* Up to three lines, so a named failure reads in the narrow sidebar. */
    gtk_label_set_wrap(GTK_LABEL(s->state_label), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(s->state_label), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_lines(GTK_LABEL(s->state_label), 3);
    gtk_label_set_ellipsize(GTK_LABEL(s->state_label), PANGO_ELLIPSIZE_END);
    gtk_label_set_width_chars(GTK_LABEL(s->state_label), 12);
    gtk_label_set_max_width_chars(GTK_LABEL(s->state_label), 18);
    gtk_widget_add_css_class(s->state_label, "stage-state");
    gtk_box_append(GTK_BOX(text), title);
    gtk_box_append(GTK_BOX(text), s->state_label);
    gtk_widget_set_hexpand(text, TRUE);
    s->state_icon = gtk_image_new_from_icon_name("content-loading-symbolic");
    gtk_widget_add_css_class(s->state_icon, "stage-icon");
    gtk_box_append(GTK_BOX(box), number);
    gtk_box_append(GTK_BOX(box), text);
    gtk_box_append(GTK_BOX(box), s->state_icon);

    s->row = gtk_list_box_row_new();
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(s->row), box);
    gtk_widget_add_css_class(s->row, "stage-row");
    gtk_list_box_append(GTK_LIST_BOX(self->stage_list), s->row);
    s->state = SR_STAGE_NOT_STARTED;

    gtk_stack_add_titled(GTK_STACK(self->page_stack), self->pages[i], sr_stage_ids[i],
                         _(stage_titles[i]));
    if (SR_IS_STAGE_PAGE(self->pages[i]))
      g_signal_connect_object(self->pages[i], "notify::busy", G_CALLBACK(on_page_busy), self, 0);
  }
  g_signal_connect(self->stage_list, "row-selected", G_CALLBACK(on_stage_selected), self);
  gtk_list_box_select_row(GTK_LIST_BOX(self->stage_list), GTK_LIST_BOX_ROW(self->stages[0].row));
}
