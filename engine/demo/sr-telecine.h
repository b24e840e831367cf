/* sr-telecine.h — a simulated telecine of the demo scene: the Reference as a
 * video transfer would hand it over, with a known frame map.
 *
 * Film frames are the simulator's Reference pictures; each video frame
 * weaves the top field (even rows) of one film frame with the bottom field
 * of the same or the next one, following the cadence (3:2 or 2:3:3:2) from
 * `phase`, starting `offset` frames in (earlier film frames fill the
 * leader); one video frame can be dropped, as a damaged transfer does.
 * sr_telecine_truth() gives the frame map this produces, which
 * `spatial-recovery-cli sync` must find.
 */
#pragma once

#include <stdbool.h>

#include "sr-error.h"
#include "sr-frame-map.h"
#include "sr-image.h"
#include "sr-simulator.h"

typedef struct sr_telecine_options {
  int offset;         /* video frame holding film frame 0's first field */
  sr_cadence cadence; /* none (a progressive transfer), 3:2, 2:3:3:2 */
  int phase;          /* cycle position of film frame 0 (0-3) */
  int drop;           /* video frame lost from the transfer; -1 = none */
  int motion;         /* simulator frames per film frame (1): the demo
                        * camera moves under a pixel a frame, too little
                        * for sync tests to tell neighbours apart */
} sr_telecine_options;

void sr_telecine_options_init(sr_telecine_options *o);

/* The frame map from Source frames to the transfer's frames. */
bool sr_telecine_truth(const sr_telecine_options *t, sr_frame_map *out, sr_error *err);
/* Film frame s as both elements show it (the Source side and the
 * Reference picture the transfer weaves from). */
bool sr_telecine_film_frame(const sr_simulator_options *sim, const sr_telecine_options *t, int s,
                            sr_image **source, sr_image **reference, sr_error *err);
/* Video frame `frame` of the transfer (after the drop), RGB in the
 * simulator's output space. */
sr_image *sr_telecine_render_frame(const sr_simulator_options *sim, const sr_telecine_options *t,
                                   int frame, sr_error *err);
