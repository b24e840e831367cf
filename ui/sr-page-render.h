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

#include "sr-stage-facts.h"
#include "sr-stage-page.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_RENDER (sr_page_render_get_type())
G_DECLARE_FINAL_TYPE(SrPageRender, sr_page_render, SR, PAGE_RENDER, SrStagePage)

/* The Render stage's facts (frames on disk, the run in flight): what the
 * page shows and what the window's stage list reads (sr-stage-facts.h). */
void sr_page_render_get_facts(SrPageRender *self, SrRenderFacts *out);

G_END_DECLS
