/* sr-sync-job.h — the one entry point for frame matching: estimate a
 * project's frame map (engine/pairs/sr-sync.h) from its Source and
 * Reference, for `spatial-recovery-cli sync` and the Pairs page's "Find
 * match" alike. Runs on the calling thread; the GUI calls it from a worker.
 */
#pragma once

#include <gio/gio.h>

#include "sr-project.h"
#include "sr-sync.h"

G_BEGIN_DECLS

#define SR_SYNC_ERROR (sr_sync_error_quark())
GQuark sr_sync_error_quark(void);
typedef enum {
  SR_SYNC_ERROR_FAILED, /* a sequence cannot be read, or nothing matches */
  SR_SYNC_ERROR_CANCELLED,
} SrSyncError;

/* done/total frames signed (Source, then Reference); any thread. */
typedef void (*SrSyncProgress)(int done, int total, gpointer user_data);

/* Opens both sequences the project names and estimates the map. window <= 0
 * takes the default. An interlaced Reference movie tagged bottom field
 * first is read in that field order. */
gboolean sr_project_sync(SrProject *project, int window, SrSyncProgress progress,
                         gpointer user_data, GCancellable *cancellable, sr_sync_result *out,
                         GError **error);

/* "12-13, 17-18, ..." for the field-mixed frames (caller frees); at most
 * `max_ranges` ranges, then ", ...". */
char *sr_sync_describe_mixed(const sr_sync_result *r, int max_ranges);

G_END_DECLS
