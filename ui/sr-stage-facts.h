/* sr-stage-facts.h — a job stage's state, worked out in one place.
 *
 * The Render stage's row in the sidebar, the Render page's status line and
 * frame count, and the window's job bar while a render runs all describe
 * the same facts: the frames of the Source range on disk under the model's
 * name, and the run in flight. Each reads them through these functions, so
 * no two can disagree ("1 of 5 rendered" beside "Done: 5 frames written").
 * The Render page owns the facts (its scan of the disk and its job); the
 * window asks it with sr_page_render_get_facts(). */
#pragma once

#include <glib.h>

#include "sr-window.h"

typedef struct SrRenderFacts {
  gboolean known;          /* the disk was read (the page's scan finished) */
  int on_disk, wanted;     /* frames of the Source range rendered / in the range */
  gboolean running;        /* a render job is in flight */
  int run_done, run_total; /* frames the running job has finished / will do */
  double fps, eta;         /* of the running job; eta < 0 or NaN when unknown */
} SrRenderFacts;

/* In progress while a job runs; Done when every frame of the range is on
 * disk; Ready when some are (the rest can be rendered); Not started when
 * none are, or without a model. */
SrStageState sr_render_facts_state(const SrRenderFacts *f, gboolean has_model);
/* The reason beside that state, naming the model when there is one
 * ("4 of 5 frames rendered with model 1a2b3c: render the rest."). */
char *sr_render_facts_reason(const SrRenderFacts *f, const char *model);
/* The count alone: "4 of 5 frames rendered". */
char *sr_render_facts_count(const SrRenderFacts *f);
/* The running job's line, for the page and the job bar: "Rendering 3 of 5
 * frames · 1.20 frames/s · about 0:02 left"; its fraction in [0, 1]. */
char *sr_render_facts_progress(const SrRenderFacts *f);
double sr_render_facts_fraction(const SrRenderFacts *f);
