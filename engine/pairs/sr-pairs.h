/* sr-pairs.h — Stage 3 pair build, the Source preprocessing shared with
 * inference, and the checks the guide asks for.
 *
 * Per pair, in this order (the order matters, see WORKFLOW.md):
 *   read → input colour space → training domain → one crop rectangle shared
 *   by both → optional Source-only median 3 or 5 → clamp [0,1] → drop alpha →
 *   Reference bbox on both → ground truth = Source + (Y_ref − Y_src)·(1,1,1)
 * The ground truth therefore equals Reference Y with Source Cb/Cr, and Input
 * and ground truth differ only in luma. Where the full luma step would take a
 * pixel outside [0,1] it is shortened so the pixel just reaches the bound
 * (still the same step on R, G and B): the pair stays in range and its chroma
 * stays exactly the Source's. Frames holding NaN or Inf are refused with the
 * counts in the message.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sr-colour.h"
#include "sr-error.h"
#include "sr-image.h"

typedef enum sr_prefilter {
  SR_PREFILTER_NONE = 0,
  SR_PREFILTER_MEDIAN3 = 3,
  SR_PREFILTER_MEDIAN5 = 5,
} sr_prefilter;

const char *sr_prefilter_id(sr_prefilter p); /* "none", "median3", "median5" */
bool sr_prefilter_from_id(const char *name, sr_prefilter *out);

/* Everything that must be identical between training and inference. */
typedef struct sr_prep_settings {
  sr_colourspace source_space;
  sr_colourspace reference_space;
  sr_rect crop;           /* in buffer coordinates; w == 0 means whole frame */
  sr_prefilter prefilter; /* Source only */
  sr_ycbcr_matrix matrix; /* BT.709 default */
  /* OpenColorIO (optional): a non-empty source_ocio / reference_ocio names a
   * space of the config at ocio_config (an absolute path) and replaces
   * source_space / reference_space. */
  char ocio_config[1024];
  char source_ocio[256], reference_ocio[256];
  /* Optional, borrowed: the Source's domain built once by a caller that
   * prepares many frames (a render); NULL builds one per call. */
  const sr_domain *source_domain;
} sr_prep_settings;

void sr_prep_settings_init(sr_prep_settings *s);
/* The Source's (or Reference's) domain as the settings declare it: the
 * project's own space, or the OCIO space of ocio_config. Errors name the
 * config and the space. */
sr_domain *sr_prep_domain_new(const sr_prep_settings *s, bool source, sr_error *err);
/* The space as a person reads it: "ACES2065-1", or "ARRI LogC3 (OCIO)". */
void sr_prep_space_label(const sr_prep_settings *s, bool source, char *buf, size_t cap);
/* The crop actually used for a frame of this size (whole frame when unset). */
sr_rect sr_prep_effective_crop(const sr_prep_settings *s, int width, int height);

/* A built training pair: both RGB (3 channels), same size, in [0,1], in the
 * training domain, carrying the Reference's data/display windows. */
typedef struct sr_pair {
  int source_frame;
  int reference_frame;
  sr_image *input;
  sr_image *ground_truth;
} sr_pair;

bool sr_pair_build(const sr_image *source, const sr_image *reference, const sr_prep_settings *s,
                   sr_pair *out, sr_error *err);
void sr_pair_clear(sr_pair *p);

/* The Source half of the chain for inference: domain → crop → pre-filter →
 * clamp → drop alpha. Returns the network's input (RGB, [0,1]). Refuses a
 * frame with NaN/Inf inside the crop. */
sr_image *sr_prep_source(const sr_image *source, const sr_prep_settings *s, sr_error *err);

/* Median filter of radius 1 (3x3) or 2 (5x5) per channel, edges replicated. */
sr_image *sr_median_filter(const sr_image *img, int size, sr_error *err);

/* After inference: dy is the network's ΔY over the crop (1 channel, crop
 * size). Writes Source + ΔY·(1,1,1) in the domain, the step shortened where
 * it would leave [0,1] (as for the ground truth, so chroma stays exact), into
 * the crop area of a copy of the full Source frame, converted back to the
 * Source's colour space with sr_domain_merge (outside the crop the frame is
 * untouched; an all-zero ΔY returns the Source unchanged). The result has
 * the Source's channels, windows and attributes (a 1-channel Source comes
 * back as RGB). */
sr_image *sr_merge_recovered(const sr_image *source, const sr_image *dy, const sr_prep_settings *s,
                             sr_error *err);

/* ---- Checks ---------------------------------------------------------------- */

typedef enum sr_check_status {
  SR_CHECK_PASS = 0,
  SR_CHECK_WARN,
  SR_CHECK_FAIL,
} sr_check_status;

typedef struct sr_check {
  char id[48];      /* stable: "size-parity", "crop-inside", "chroma-identity", ... */
  char subject[64]; /* what it is about: "pair 12", "project" */
  sr_check_status status;
  double value;     /* the measured number, when there is one */
  char detail[320]; /* one line for the archivist */
} sr_check;

typedef struct sr_check_report {
  sr_check *items;
  int n, cap;
} sr_check_report;

void sr_check_report_init(sr_check_report *r);
void sr_check_report_clear(sr_check_report *r);
void sr_check_report_add(sr_check_report *r, const char *id, const char *subject,
                         sr_check_status status, double value, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Worst status in the report. */
sr_check_status sr_check_report_status(const sr_check_report *r);
const char *sr_check_status_name(sr_check_status s); /* "PASS", "WARN", "FAIL" */

/* Checks for one pair, given the frames as read and the built pair (NULL
 * when the build failed, in which case only the frame checks run):
 * size-parity (Source vs Reference sizes and bbox), crop-inside (both
 * frames), nonfinite (NaN/Inf counts of both frames), range (built pair in
 * [0,1]), chroma-identity (max |ΔCb|, |ΔCr| ground truth vs input, pass
 * <= 1e-5), bbox-parity (built pair windows equal), misalignment
 * (sub-pixel shift, warn above 0.5 px). */
void sr_check_pair(const sr_image *source, const sr_image *reference, const sr_pair *pair,
                   const sr_prep_settings *s, const char *subject, sr_check_report *r);

/* Training/held-out/preview frame sets: held-out frames and the preview
 * frame must not be training frames; at least one training pair. */
void sr_check_frame_sets(const int *pairs, int n_pairs, const int *held_out, int n_held_out,
                         int preview, bool has_preview, sr_check_report *r);

/* The misalignment the pair check reports: the shift of the Reference's
 * crop against the Source's, measured in linear light (where the Source's
 * blur is symmetric about every edge) from the frames as read. */
bool sr_measure_misalignment(const sr_image *source, const sr_image *reference,
                             const sr_prep_settings *s, double *dx, double *dy, sr_error *err);

/* Residual misalignment: sub-pixel translation of b relative to a from
 * phase correlation of high-passed luma (RGB or Y images of equal size).
 * dx > 0 means b's picture sits dx px to the right of a's (dy > 0: lower).
 * Returns false if the images are too small (< 32 px a side) or hold no
 * detail to measure (flat). */
bool sr_estimate_shift(const sr_image *a, const sr_image *b, double *dx, double *dy, sr_error *err);
