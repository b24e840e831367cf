/* sr-page-pairs.h — the Pairs stage (pair picker): synchronised Source and
 * Reference filmstrips, a timeline, the viewer with a difference view, pair
 * / held-out / preview marking and per-pair residual misalignment.
 * An SrStagePage; keys: p (pair), h (held out). */
#pragma once

#include "sr-stage-page.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_PAIRS (sr_page_pairs_get_type())
G_DECLARE_FINAL_TYPE(SrPagePairs, sr_page_pairs, SR, PAGE_PAIRS, SrStagePage)

/* Shows a Source frame (the Render page sends the archivist to a flagged
 * frame just added as a pair). */
void sr_page_pairs_set_frame(SrPagePairs *self, int frame);

G_END_DECLS
