/* sr-page-render-private.h — the Render page's instance, shared by
 * sr-page-render.c (checkpoint, controls, the render), sr-page-render-view.c,
 * sr-page-render-scan.c, sr-page-render-qa.c and sr-page-render-flags.c,
 * and what the UI tests drive and read on the page. */
#pragma once

#include "sr-filmstrip.h"
#include "sr-job.h"
#include "sr-page-render.h"
#include "sr-thumbnailer.h"

G_BEGIN_DECLS

/* Renders Source frames first..last (clamped to the sequence; last < 0 means
 * to the end) with the project's checkpoint; FALSE with error when there is
 * no checkpoint or a render is running. */
gboolean sr_page_render_start(SrPageRender *self, int first, int last, GError **error);
void sr_page_render_stop(SrPageRender *self);
/* Frames rendered (or found complete) by the last run. */
int sr_page_render_get_n_done(SrPageRender *self);
/* "Add grain matching the Reference": read when a render starts. */
GtkCheckButton *sr_page_render_get_regrain_check(SrPageRender *self);
/* The output pattern renders are written to (caller frees); NULL until a
 * worker has worked it out (it reads the checkpoint's model id). */
char *sr_page_render_get_output_pattern(SrPageRender *self);

/* The frame range entry. render_range renders it (what "Render Range"
 * runs); a range outside the Source sequence is refused with an error that
 * the page also shows under the entry. */
void sr_page_render_set_range(SrPageRender *self, int first, int last);
gboolean sr_page_render_render_range(SrPageRender *self, GError **error);
/* The Source sequence's range; FALSE until it has been read. */
gboolean sr_page_render_get_source_range(SrPageRender *self, int *first, int *last);
/* The message under the range entry ("" when none). */
const char *sr_page_render_get_range_message(SrPageRender *self);

/* Rendered frames known to the page (on disk under the output pattern). */
guint sr_page_render_get_n_rendered(SrPageRender *self);
GtkWidget *sr_page_render_get_strip(SrPageRender *self);
/* The frame under review (G_MININT when none). */
int sr_page_render_get_frame(SrPageRender *self);
void sr_page_render_set_frame(SrPageRender *self, int frame);

/* Flags the current frame with reason (what the flag popover runs). */
gboolean sr_page_render_flag_current(SrPageRender *self, const char *reason, GError **error);
gboolean sr_page_render_get_flag_popup_visible(SrPageRender *self);

/* QA measurement of the rendered frames. */
gboolean sr_page_render_get_qa_busy(SrPageRender *self);
/* Frames measured by the last QA run; -1 before any. */
int sr_page_render_get_n_qa_measured(SrPageRender *self);
/* The QA reasons of a frame ("" when QA did not flag it; NULL when it was
 * not measured). */
const char *sr_page_render_get_qa_reasons(SrPageRender *self, int frame);

/* Adds the flagged frames as training pairs (and the QA-flagged ones when
 * include_qa), skipping held-out frames and frames that are pairs already,
 * then switches the window to the Pairs stage. Returns the number added;
 * the summary is also shown on the page. */
int sr_page_render_add_flagged_pairs(SrPageRender *self, gboolean include_qa, char **summary);
/* The status line under the progress bar, and the count beside the
 * frame under review ("4 of 5 frames rendered"). */
const char *sr_page_render_get_status(SrPageRender *self);
const char *sr_page_render_get_frame_count(SrPageRender *self);
/* The last message of the review panel ("" when none). */
const char *sr_page_render_get_review_message(SrPageRender *self);

/* ---- Shared by the page's files ---- */

typedef struct {
  GMutex lock;
  int done, total, rendered, skipped;
  double fps, eta;
  GArray *finished; /* frames finished since the page last looked */
  char *pattern;    /* the output pattern, once the worker knows it */
} RenderLog;

/* One side of the viewer: at most one read in flight; when it lands and the
 * archivist has moved on, the newest wanted frame is read next. */
typedef struct {
  char *want_path;
  int want;
  int shown;
  gboolean in_flight;
} ViewSide;

struct _SrPageRender {
  SrStagePage parent_instance;

  GtkWidget *mode_wipe, *mode_source, *mode_recovered, *mode_side, *mode_difference;
  GtkWidget *frame_label, *qa_frame_label;
  GtkWidget *viewer_stack, *empty_state, *empty_title, *empty_text, *viewer_slot;
  GtkWidget *strip_box, *strip;
  GtkWidget *checkpoint_drop, *facts_model;
  GtkWidget *first_spin, *last_spin;
  GtkAdjustment *first_adjustment, *last_adjustment;
  GtkWidget *range_message, *range_button, *check_button, *all_button, *stop_button;
  GtkWidget *progress_bar, *status_label, *facts_output;
  GtkWidget *current_title, *flag_button, *unflag_button, *current_state, *qa_status;
  GtkWidget *flag_list, *include_qa_check, *add_pairs_button, *review_message;
  GtkWidget *regrain_check;

  GtkWidget *viewer;
  GtkWidget *flag_popover, *flag_popover_title, *reason_entry, *reason_button;
  SrThumbnailer *thumbnailer;
  GtkStringList *checkpoint_model;
  GPtrArray *checkpoint_paths; /* absolute, in the drop-down's order */
  gboolean syncing;

  /* What the workers found: the Source's range, the output name and the
   * frames rendered under it. */
  char *scan_key;
  guint scan_generation;
  guint scan_jobs;
  gboolean have_source;
  int src_first, src_last;
  char *source_pattern; /* the sequence's own pattern, absolute */
  char *source_error;
  char *pattern;
  GHashTable *rendered; /* frame set */
  int rendered_first, rendered_last;
  gboolean range_touched;
  int frame;
  gboolean frame_chosen; /* by the archivist; else the first rendered frame */

  SrJob *job;
  RenderLog *log;
  guint poll_id;
  int n_done;
  gboolean scanned;       /* a scan of the disk finished for this project */
  gboolean status_sticky; /* the status line holds a stop or an error */

  SrJob *qa_job;
  gboolean qa_wanted;
  char *qa_pattern;     /* pattern the last QA ran on */
  GHashTable *qa;       /* frame → reasons ("" when not flagged) */
  GHashTable *qa_ids;   /* frame → flag ids ("halo, range"), for the toolbar */
  char *flag_list_sig;  /* what the flag list shows now */
  GHashTable *qa_dirty; /* frames written since they were last measured */
  int qa_measured;
  char *qa_error;

  ViewSide side[2]; /* 0: Source (A), 1: Recovered (B) */
};


/* sr-page-render.c */
SrProject *sr_page_render_project_of(SrPageRender *self);
/* The status line when no render runs: the facts' count (or the last
 * stop or error, until the next run). */
void sr_page_render_show_idle_status(SrPageRender *self);
gint sr_page_render_compare_int(gconstpointer a, gconstpointer b);
char *sr_page_render_frame_path(const char *pattern, int frame);
void sr_page_render_set_review_message(SrPageRender *self, const char *text);
const SrFlag *sr_page_render_find_flag(SrPageRender *self, int frame);
gboolean sr_page_render_qa_flagged(SrPageRender *self, int frame);
gboolean sr_page_render_is_rendered(SrPageRender *self, int frame);
void sr_page_render_update_controls(SrPageRender *self);
void sr_page_render_refresh_facts(SrPageRender *self);
void sr_page_render_sync_checkpoint_drop(SrPageRender *self);

/* sr-page-render-view.c */
void sr_page_render_show_frame(SrPageRender *self);
void sr_page_render_request_thumb(SrFilmstrip *strip, int frame, GtkPicture *picture,
                                  gpointer user_data);
guint sr_page_render_frame_marks(int frame, gpointer user_data);
char *sr_page_render_frame_tooltip(int frame, gpointer user_data);
void sr_page_render_update_strip_range(SrPageRender *self);

/* sr-page-render-scan.c */
void sr_page_render_request_scan(SrPageRender *self, gboolean force);

/* sr-page-render-qa.c */
void sr_page_render_start_qa(SrPageRender *self);

/* sr-page-render-flags.c */
void sr_page_render_on_flag_row_activated(GtkListBox *list, GtkListBoxRow *row, SrPageRender *self);
void sr_page_render_update_review(SrPageRender *self);
void sr_page_render_build_flag_popover(SrPageRender *self);

G_END_DECLS
