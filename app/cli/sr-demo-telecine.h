/* sr-demo-telecine.h — `demo --telecine`: the demo's Reference as a
 * simulated video transfer (engine/demo/sr-telecine.h) with a known offset,
 * pulldown and dropped frame, for trying `sync` and Find Match. */
#pragma once

#include <glib.h>

#include "sr-cli-common.h"
#include "sr-simulator.h"
#include "sr-telecine.h"

G_BEGIN_DECLS

/* Fills t from the command line: pulldown "3:2", "2:3:3:2" or "none";
 * drop < 0 for none. FALSE with a message naming the option. */
gboolean sr_demo_telecine_options(sr_telecine_options *t, const char *pulldown, int offset,
                                  int phase, int drop, GError **error);
/* Writes Source frames first..first+n-1 and the transfer's frames from
 * `first` on, enough to cover the Source, as EXR into the two patterns
 * under dir. Returns the number of Reference frames written, or -1. */
int sr_demo_write_telecine(const sr_telecine_options *t, const sr_simulator_options *sim,
                           const char *dir, const char *source_pattern,
                           const char *reference_pattern, int first, int n, SrProgressMode progress,
                           sr_error *err);

G_END_DECLS
