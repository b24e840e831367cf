/* sr-pairs-sync.c — "Find match" on the Pairs page and the frame map
 * arithmetic the page needs (see sr-pairs-sync.h). */
#include "sr-pairs-sync.h"

#include <glib/gi18n.h>

#include "sr-sync-job.h"
#include "sr-ui-util.h"

void
sr_pairs_sync_range(const sr_frame_map *map, const sr_sequence *src, const sr_sequence *ref,
                    int *first, int *last)
{
  *first = 1;
  *last = 0;
  gboolean any = FALSE;
  for (int s = src->first; s <= src->last; s++) {
    int r = sr_frame_map_reference(map, s);
    if (r == SR_NO_FRAME || r < ref->first || r > ref->last)
      continue;
    if (!any)
      *first = s;
    *last = s;
    any = TRUE;
  }
}

char *
sr_pairs_sync_map_text(SrProject *project)
{
  sr_frame_map map;
  sr_project_get_frame_map(project, &map);
  char buf[512];
  sr_frame_map_describe(&map, buf, sizeof buf);
  sr_frame_map_clear(&map);
  return g_strdup(buf);
}

char *
sr_page_pairs_describe_frames(SrProject *project, int frame)
{
  int ref = sr_project_reference_frame(project, frame);
  if (ref == SR_NO_FRAME)
    return g_strdup_printf(_("Source %d · no clean Reference frame (field-mixed or dropped)"),
                           frame);
  return g_strdup_printf(_("Source %d · Reference %d"), frame, ref);
}

/* ---- Find match ------------------------------------------------------------ */

typedef struct {
  GtkWidget *page;
  SrProject *project; /* the page's, edited when the map is applied */
  SrProject *copy;    /* read by the worker */
  sr_sync_result result;
} FindMatch;

static void
find_match_free(gpointer data)
{
  FindMatch *f = data;
  g_object_unref(f->page);
  g_object_unref(f->project);
  g_clear_object(&f->copy);
  sr_sync_result_clear(&f->result);
  g_free(f);
}

static void
on_sync_progress(int done, int total, gpointer user_data)
{
  sr_job_set_progress(SR_JOB(user_data), total > 0 ? (double)done / total : 0.0,
                      _("Reading frames"));
}

static gboolean
find_match_thread(SrJob *job, gpointer data, GError **error)
{
  FindMatch *f = data;
  return sr_project_sync(f->copy, 0, on_sync_progress, job, sr_job_get_cancellable(job), &f->result,
                         error);
}

/* The result in words: the map, each segment's agreement, mixed frames. */
static char *
describe_result(const sr_sync_result *r)
{
  GString *s = g_string_new(NULL);
  for (int i = 0; i < r->n_segments; i++) {
    const sr_sync_segment *seg = &r->segments[i];
    g_string_append_printf(s, _("Source %d–%d: %.0f%% of the Reference fields agree.\n"),
                           seg->first_source, seg->last_source, 100.0 * seg->confidence);
  }
  if (r->n_mixed > 0) {
    g_autofree char *mixed = sr_sync_describe_mixed(r, 8);
    g_string_append_printf(s, _("%d field-mixed Reference frames (never used as pairs): %s."),
                           r->n_mixed, mixed);
  }
  return g_string_free(s, FALSE);
}

static void
on_dialog_response(GtkDialog *dialog, int response, gpointer user_data)
{
  FindMatch *f = user_data;
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GError) error = NULL;
    if (!sr_project_set_frame_map(f->project, &f->result.map, &error))
      sr_ui_show_error(f->page, error->message);
  }
  gtk_window_destroy(GTK_WINDOW(dialog));
}

static void
on_find_match_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  SrJob *job = SR_JOB(source);
  FindMatch *f = sr_job_get_data(job);
  g_autoptr(GError) error = NULL;
  if (!sr_job_finish(job, result, &error)) {
    if (!g_error_matches(error, SR_SYNC_ERROR, SR_SYNC_ERROR_CANCELLED))
      sr_ui_show_error(f->page, error->message);
    return;
  }
  char map[512];
  sr_frame_map_describe(&f->result.map, map, sizeof map);
  g_autofree char *details = describe_result(&f->result);
  GtkRoot *root = gtk_widget_get_root(f->page);
  GtkWidget *dialog = gtk_message_dialog_new(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
                                             GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                             GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                             _("Frame match found: %s"), map);
  gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(dialog), "%s", details);
  gtk_dialog_add_buttons(GTK_DIALOG(dialog), _("_Keep Current"), GTK_RESPONSE_CANCEL,
                         _("_Use This Match"), GTK_RESPONSE_ACCEPT, NULL);
  gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_ACCEPT);
  /* The dialog owns the result now; the job's data goes with the job. */
  FindMatch *kept = g_new0(FindMatch, 1);
  kept->page = g_object_ref(f->page);
  kept->project = g_object_ref(f->project);
  kept->result = f->result;
  memset(&f->result, 0, sizeof f->result);
  g_signal_connect_data(dialog, "response", G_CALLBACK(on_dialog_response), kept,
                        (GClosureNotify)(void (*)(void))find_match_free, 0);
  gtk_window_present(GTK_WINDOW(dialog));
}

void
sr_pairs_sync_action_find_match(GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SrProject *project = NULL;
  g_object_get(widget, "project", &project, NULL);
  if (project == NULL)
    return;
  g_autoptr(GError) error = NULL;
  SrProject *copy = sr_project_copy_for_thread(project, &error);
  if (copy == NULL) {
    sr_ui_show_error(widget, error->message);
    g_object_unref(project);
    return;
  }
  FindMatch *f = g_new0(FindMatch, 1);
  f->page = g_object_ref(widget);
  f->project = project;
  f->copy = copy;
  g_autoptr(SrJob) job =
      sr_job_new(_("Finding the frame match"), find_match_thread, f, find_match_free);
  sr_ui_run_job(widget, job, TRUE, on_find_match_done, NULL);
}
