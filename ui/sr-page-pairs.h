/* sr-page-pairs.h — the Pairs stage (pair picker): synchronised Source and
 * Reference filmstrips, a timeline, the viewer with a difference view, pair
 * / held-out / preview marking and per-pair residual misalignment.
 * Property "project"; keys: p (pair), h (held out). */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_PAIRS (sr_page_pairs_get_type())
G_DECLARE_FINAL_TYPE(SrPagePairs, sr_page_pairs, SR, PAGE_PAIRS, GtkBox)

/* The current Source frame (-1 until the sequences are known). */
int sr_page_pairs_get_frame(SrPagePairs *self);
void sr_page_pairs_set_frame(SrPagePairs *self, int frame);
/* Adds a pair at the current frame, or removes it when it is one. Errors
 * (e.g. a held-out frame) go to the message line and the return value. */
gboolean sr_page_pairs_toggle_pair(SrPagePairs *self, GError **error);
/* Holds the current frame out of training, or puts it back. */
gboolean sr_page_pairs_toggle_held_out(SrPagePairs *self, GError **error);
/* Makes the current frame the preview frame (refused for a training frame). */
gboolean sr_page_pairs_set_preview(SrPagePairs *self, GError **error);
/* Measured residual misalignment of a pair; FALSE while unknown. */
gboolean sr_page_pairs_get_shift(SrPagePairs *self, int frame, double *dx, double *dy);
/* TRUE while sequences or shift estimates are being computed. */
gboolean sr_page_pairs_get_busy(SrPagePairs *self);
/* The page's viewer (an SrViewer). */
GtkWidget *sr_page_pairs_get_viewer(SrPagePairs *self);

G_END_DECLS
