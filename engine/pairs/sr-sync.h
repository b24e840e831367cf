/* sr-sync.h — estimating the frame map between Source and Reference.
 *
 * Every frame is reduced to a small luma signature (box-averaged, a
 * compressive curve so two elements' tone curves matter less, mean removed,
 * unit length). The Reference is signed per field (even rows, odd rows), so
 * a telecine's field-mixed frames show as two fields matching two Source
 * frames. Each Reference field is matched to the Source frame of highest
 * correlation within a search window that follows the previous match.
 *
 * The map is then fitted from where each Source frame's first field lands:
 * for each cadence (none, 3:2, 2:3:3:2) and phase, those landing fields
 * minus the cadence's prediction must be even and constant between breaks;
 * the candidate that explains most of them wins, and each lasting change of
 * that constant is a break. Each segment between breaks reports how many of
 * its Reference fields matched the Source frame the map predicts.
 */
#pragma once

#include <stdbool.h>

#include "sr-error.h"
#include "sr-frame-map.h"
#include "sr-io.h"

typedef struct sr_sync_options {
  int window;            /* Source frames searched either side of the expected
                       * one (default 48); the first match searches all */
  float min_correlation; /* a field matching below this is ignored (0.5) */
  bool bottom_first;     /* the Reference's bottom field comes first in time */
  /* Progress over frames signed (Source then Reference); return false to
   * cancel. May be NULL. */
  bool (*progress)(int done, int total, void *user);
  void *user;
} sr_sync_options;

void sr_sync_options_init(sr_sync_options *o);

typedef struct sr_sync_segment {
  int first_source, last_source; /* Source frames the segment covers */
  int fields;                    /* Reference fields predicted inside */
  int agreeing;                  /* of those, matched where predicted */
  double confidence;             /* agreeing / fields (0 when none) */
  double mean_correlation;
} sr_sync_segment;

typedef struct sr_sync_result {
  sr_frame_map map;
  int n_segments; /* breaks + 1 */
  sr_sync_segment *segments;
  int n_mixed; /* field-mixed Reference frames inside the Reference */
  int *mixed;  /* their numbers, ascending */
  int reference_first, reference_last;
  double cadence_score; /* share of landing fields the chosen cadence fits */
} sr_sync_result;

void sr_sync_result_clear(sr_sync_result *r);

/* Estimates the map of src against ref. Fails with a message when no
 * Reference field matches any Source frame (different material, or a
 * window too small for the offset), or on a read error (naming the frame). */
bool sr_sync_estimate(const sr_sequence *src, const sr_sequence *ref, const sr_sync_options *opts,
                      sr_sync_result *out, sr_error *err);

/* ---- Building blocks, for tests and the GUI's "Find match" ---------------- */

/* Signature of a whole frame (parity -1) or one field (0 even rows, 1 odd),
 * w×h cells (at most SR_SYNC_SIG_W×SR_SYNC_SIG_H, and at most the frame's
 * width and field height, so both elements sign to the same size). */
#define SR_SYNC_SIG_W 48
#define SR_SYNC_SIG_H 32
typedef struct sr_sync_signature {
  int w, h;
  float v[SR_SYNC_SIG_W * SR_SYNC_SIG_H];
} sr_sync_signature;

void sr_sync_sign(const sr_image *img, int parity, int w, int h, sr_sync_signature *sig);
/* Normalised correlation of two signatures (−1..1); 0 for a flat one. */
float sr_sync_correlate(const sr_sync_signature *a, const sr_sync_signature *b);
