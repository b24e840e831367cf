/* sr-page-review-private.h — what the UI tests drive and read on the Review
 * page besides its public type. */
#pragma once

#include "sr-metric-plot.h"
#include "sr-page-review.h"
#include "sr-scope-view.h"
#include "sr-viewer.h"

G_BEGIN_DECLS


/* TRUE once rendered frames were found; first/last: the rendered range. */
gboolean sr_page_review_get_has_render(SrPageReview *self, int *first, int *last);
/* The frame shown (G_MININT without a render). */
int sr_page_review_get_frame(SrPageReview *self);
/* Moves the scrubber (clamped to the rendered range). */
void sr_page_review_set_frame(SrPageReview *self, int frame);
/* TRUE while the frame shown has both pictures in the viewer and scopes
 * computed from exactly those pictures. */
gboolean sr_page_review_get_settled(SrPageReview *self);

SrViewer *sr_page_review_get_viewer(SrPageReview *self);
/* vectorscope FALSE: waveform; recovered FALSE: Original (A). */
SrScopeView *sr_page_review_get_scope(SrPageReview *self, gboolean vectorscope, gboolean recovered);
/* The plots, in checklist order (0..SR_REVIEW_N_ITEMS-1). */
SrMetricPlot *sr_page_review_get_plot(SrPageReview *self, int index);
GtkCheckButton *sr_page_review_get_check(SrPageReview *self, int index);

/* Measures the rendered range again (a job). FALSE + error without a render
 * or while a measurement runs. */
gboolean sr_page_review_measure(SrPageReview *self, GError **error);
gboolean sr_page_review_get_measuring(SrPageReview *self);
/* Frames measured by the last finished measurement (0 before). */
int sr_page_review_get_n_measured(SrPageReview *self);

/* Writes the stills of the frame shown (a job). FALSE + error when its
 * pictures are not loaded yet or an export runs. */
gboolean sr_page_review_export_stills(SrPageReview *self, GError **error);
gboolean sr_page_review_get_exporting(SrPageReview *self);
/* Files the last export wrote (NULL before); the message shown after it. */
const GPtrArray *sr_page_review_get_stills(SrPageReview *self);
const char *sr_page_review_get_message(SrPageReview *self);

G_END_DECLS
