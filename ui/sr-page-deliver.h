/* sr-page-deliver.h — the Deliver stage. An SrStagePage.
 *
 * The page chooses the masters' colour space and compression, the frame
 * range (the whole render by default) and the destination folder
 * (<output-folder>/delivery by default); edits the provenance, which goes
 * straight into the project (undoable); and says what will be written and
 * where before anything starts. That summary reads the checkpoint and the
 * rendered frames, so it is computed on a worker thread (GTask) after each
 * change settles, dropping stale results. Deliver runs, in one SrJob on a
 * snapshot of the project (so edits made meanwhile cannot race the worker),
 * sr_validation_run (when the note is on; into <destination>/validation)
 * and then sr_delivery_run with the note listed in the sidecars; progress
 * shows frames per second, and "Open folder" shows the result. Without
 * rendered frames the page says so and offers to go to the Render stage. */
#pragma once

#include "sr-stage-page.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_DELIVER (sr_page_deliver_get_type())
G_DECLARE_FINAL_TYPE(SrPageDeliver, sr_page_deliver, SR, PAGE_DELIVER, SrStagePage)

/* Where the next delivery goes: the chosen folder, else
 * <output-folder>/delivery (absolute; NULL without an output folder). */
char *sr_page_deliver_dup_destination(SrPageDeliver *self);

G_END_DECLS
