/* sr-page-review.h — the Review stage: the archivist's judging screen.
 *
 * Original (Source) as A against Recovered (the render) as B in the viewer
 * (wipe, split, toggle, difference), a scrubber over the rendered range,
 * waveform and vectorscope of both for the frame shown, per-frame metric
 * plots from sr_validation_run(), the acceptance checklist stored in the
 * project, and stills export. An SrStagePage.
 *
 * Keys: W wipe, S split, T toggle, D difference, F flag the frame,
 * Left/Right one frame, Page Up/Down ten, Home/End the ends.
 */
#pragma once

#include "sr-stage-page.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_REVIEW (sr_page_review_get_type())
G_DECLARE_FINAL_TYPE(SrPageReview, sr_page_review, SR, PAGE_REVIEW, SrStagePage)

/* The acceptance items, in checklist order (ids for sr_project_set_accepted;
 * the window counts them for the Review stage's state). */
#define SR_REVIEW_N_ITEMS 5
const char *sr_page_review_item_id(int index);

G_END_DECLS
