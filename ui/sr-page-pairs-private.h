/* sr-page-pairs-private.h — what the UI tests drive on the Pairs page
 * besides its public header. */
#pragma once

#include "sr-page-pairs.h"

G_BEGIN_DECLS

/* The current Source frame (-1 until the sequences are known). */
int sr_page_pairs_get_frame(SrPagePairs *self);
/* Adds a pair at the current frame, or removes it when it is one. Errors
 * (e.g. a held-out frame) go to the message line and the return value. */
gboolean sr_page_pairs_toggle_pair(SrPagePairs *self, GError **error);
/* Holds the current frame out of training, or puts it back. */
gboolean sr_page_pairs_toggle_held_out(SrPagePairs *self, GError **error);
/* Makes the current frame the preview frame (refused for a training frame). */
gboolean sr_page_pairs_set_preview(SrPagePairs *self, GError **error);
/* Measured residual misalignment of a pair; FALSE while unknown. */
gboolean sr_page_pairs_get_shift(SrPagePairs *self, int frame, double *dx, double *dy);
/* Why a pair's misalignment could not be measured (a Reference of another
 * size names both sizes); NULL while pending or when measured. */
const char *sr_page_pairs_get_shift_error(SrPagePairs *self, int frame);
/* The page's viewer (an SrViewer). */
GtkWidget *sr_page_pairs_get_viewer(SrPagePairs *self);

G_END_DECLS
