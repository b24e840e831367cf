/* sr-infer.h — running a trained model over frames.
 *
 * The network sees the Source through exactly the preprocessing used to
 * build the training pairs (sr_prep_source: training domain, crop,
 * pre-filter, clamp) and its ΔY is merged back into the full frame in the
 * Source's colour space (sr_merge_recovered), so an identity network
 * (ΔY = 0) returns the Source unchanged.
 *
 * A frame runs either whole (reflect-padded on the right and bottom to the
 * network's size multiple) or in tiles. Tiles start on multiples of the
 * size multiple in the padded frame and each is run with a margin of at
 * least the network's receptive radius on every side that is not a frame
 * edge, then cropped back, so the tiled result equals the whole-frame result
 * up to float rounding while the memory stays bounded. A network with a
 * linear branch (sr-linear.h) gets the branch's ΔY added over the whole
 * frame, so tiles never cut its 9×9 support.
 */
#pragma once

#include <stdbool.h>

#include "sr-backend.h"
#include "sr-checkpoint.h"
#include "sr-error.h"
#include "sr-image.h"
#include "sr-pairs.h"
#include "sr-unet.h"

typedef struct sr_infer_options {
  int tile;    /* core tile size in px; 0 = automatic (whole frame when it fits
                  SR_INFER_WHOLE_MAX_PIXELS, else 512); < 0 = always whole */
  int overlap; /* margin in px; 0 = automatic (receptive radius, rounded up) */
} sr_infer_options;

#define SR_INFER_WHOLE_MAX_PIXELS (1024 * 1024)

void sr_infer_options_init(sr_infer_options *o);

/* ΔY (1 channel, same size) for a prepared RGB input in the training domain. */
sr_image *sr_infer_delta(sr_unet *net, const sr_image *input, const sr_infer_options *opts,
                         sr_error *err);

/* The whole Stage 4 chain for one Source frame as read from disk: prep,
 * network, merge back. Returns the recovered full frame in the Source's
 * colour space, with the Source's windows and metadata. */
sr_image *sr_infer_frame(sr_unet *net, const sr_image *source, const sr_prep_settings *prep,
                         const sr_infer_options *opts, sr_error *err);

/* A model ready to render: backend, network and checkpoint metadata. */
typedef struct sr_model {
  sr_backend *backend;
  sr_unet *net;
  sr_checkpoint_meta meta;  /* meta.model_id holds the id */
  char backend_reason[256]; /* why the backend is not the one asked for, or "" */
} sr_model;

/* Opens a backend by name ("auto", "cpu", "cuda") and loads the checkpoint. */
sr_model *sr_model_open(const char *checkpoint, const char *backend, sr_error *err);
void sr_model_close(sr_model *m);
