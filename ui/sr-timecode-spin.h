/* sr-timecode-spin.h — frame-number spin buttons (Review's frame, Deliver's
 * range) that show and accept SMPTE timecode instead of frame numbers while
 * the window's "frames-as-timecode" preference (win.frames-as-timecode,
 * kept in GSettings) is on and the Source records timecode. The Source's
 * timecode is read off the main thread (sr_reel_facts_lookup). */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TIMECODE_ACTION "frames-as-timecode"

void sr_timecode_spin_attach(GtkSpinButton *spin);
/* Reads the project's Source timecode again (when its Source changed). */
void sr_timecode_spin_set_project(GtkSpinButton *spin, SrProject *project);
/* For tests: whether the spin shows timecode now. */
gboolean sr_timecode_spin_showing(GtkSpinButton *spin);

G_END_DECLS
