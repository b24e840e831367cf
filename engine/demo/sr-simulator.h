/* sr-simulator.h — a simulated pair of film elements for the demo and tests.
 *
 * A procedurally generated scene (edge stars, text-like strokes, woven
 * fabric, foliage, skin, smooth exposure ramps running from deep shadow to
 * highlights above 1, specular points) seen by a camera that pans and zooms
 * slowly over the frames. Each frame is rendered twice, aligned and the same
 * size:
 *   Reference — the scene as it is, with fine grain;
 *   Source    — the scene through a Gaussian gauge/generation blur, with a
 *               mild colour fade and shift and coarser, stronger grain.
 * Deterministic for a seed (grain changes from frame to frame, like film).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sr-colour.h"
#include "sr-error.h"
#include "sr-image.h"

typedef struct sr_simulator_options {
  int width, height;           /* 480 x 270 */
  uint64_t seed;               /* 1 */
  bool grain;                  /* true; tests switch it off */
  sr_colourspace output_space; /* ACES2065-1 (EXR masters); or Rec.709 etc. */
  double source_blur_sigma;    /* Gaussian sigma of the Source, pixels: 1.5 */
  double reference_grain;      /* the Reference's grain at exposure 1: 0.012 */
} sr_simulator_options;

void sr_simulator_options_init(sr_simulator_options *opts);

/* Renders one frame (any integer; the camera moves with it) as two RGB images
 * in opts->output_space with chromaticities set. Both outputs are NULL on
 * failure. */
bool sr_simulator_render_frame(const sr_simulator_options *opts, int frame, sr_image **source,
                               sr_image **reference, sr_error *err);
