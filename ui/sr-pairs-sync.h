/* sr-pairs-sync.h — the Pairs page's frame matching: "Find match" (runs
 * sr_project_sync() on a worker and offers the map it finds), and the
 * Source/Reference frame arithmetic the page shows through the project's
 * frame map. */
#pragma once

#include <gtk/gtk.h>

#include "sr-frame-map.h"
#include "sr-io.h"
#include "sr-project.h"

G_BEGIN_DECLS

/* The Source frames whose clean Reference frame exists in ref: the first
 * and last of them (first > last when none). */
void sr_pairs_sync_range(const sr_frame_map *map, const sr_sequence *src, const sr_sequence *ref,
                         int *first, int *last);
/* The project's map in one line (caller frees), to notice it changed. */
char *sr_pairs_sync_map_text(SrProject *project);
/* "Source 12 · Reference 15", or why there is no Reference frame. */
char *sr_page_pairs_describe_frames(SrProject *project, int frame);
/* The "pairs.find-match" action: the widget has a "project" property. */
void sr_pairs_sync_action_find_match(GtkWidget *widget, const char *action_name,
                                     GVariant *parameter);

G_END_DECLS
