/* sr-page-render.h — the Render stage. Property "project".
 *
 * The archivist picks the checkpoint (the project's, or another of the
 * training run's), renders the first 100 frames, a chosen range or the whole
 * Source with sr_render_run in an SrJob (frames/s and ETA polled from the
 * main loop), and reviews the result: a filmstrip of the rendered frames
 * (filled as frames finish) next to a wipe of Source and Recovered. Frames
 * are flagged as outliers with a reason (F), the render's QA measurement
 * (sr_validation_run, in a job after each render and for frames already on
 * disk) marks the frames it flags, and flagged frames become training pairs
 * in one step. Nothing here reads files on the main thread: sequence ranges,
 * the output name, the checkpoint list and the frames all come from workers.
 */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_RENDER (sr_page_render_get_type())
G_DECLARE_FINAL_TYPE(SrPageRender, sr_page_render, SR, PAGE_RENDER, GtkBox)

/* Renders Source frames first..last (clamped to the sequence; last < 0 means
 * to the end) with the project's checkpoint; FALSE with error when there is
 * no checkpoint or a render is running. */
gboolean sr_page_render_start(SrPageRender *self, int first, int last, GError **error);
void sr_page_render_stop(SrPageRender *self);
gboolean sr_page_render_get_busy(SrPageRender *self);
/* Frames rendered (or found complete) by the last run. */
int sr_page_render_get_n_done(SrPageRender *self);
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
/* The last message of the review panel ("" when none). */
const char *sr_page_render_get_review_message(SrPageRender *self);

G_END_DECLS
