/* sr-page-render.h — the Render stage. Property "project".
 *
 * "Check first 100 frames" and "Render all" run sr_render_run with the
 * project's checkpoint in an SrJob; progress (frames/s, ETA) is polled from
 * the main loop. */
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
/* The output pattern renders are written to (caller frees). */
char *sr_page_render_get_output_pattern(SrPageRender *self);

G_END_DECLS
