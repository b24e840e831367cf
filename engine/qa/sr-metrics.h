/* sr-metrics.h — Stage 5 per-frame QA metrics and outlier flags.
 *
 * A rendered frame (the output, in the Source's colour space, same size as the
 * Source) is compared with its Source frame and, when given, its Reference
 * frame. Everything is measured in the training domain (display-referred
 * Rec.709, see sr-colour.h) inside the project's crop, because that is where
 * the network worked and where "0..1" means something.
 *
 * Luma detail is split into three à-trous bands (B3-spline smoothing at
 * dilations 1, 2, 4): band k = G_k − G_{k+1}, G_0 = Y. "High-frequency
 * energy" is the mean square of bands 0 and 1 over the whole crop; "grain"
 * is what regrain measures and targets (sr-grain.h): the variance of the
 * noise power spectrum of the flat 16×16 blocks (flat: the Source's
 * least-textured pixels, found from its coarse gradient), the same blocks
 * for output, Source and Reference; NaN when no block is flat.
 *
 * Use: sr_qa_context_new() once, sr_qa_measure_frame() per frame,
 * sr_qa_sequence_flicker() over the frames in order, then sr_qa_flag_frame()
 * with thresholds. Plain C, no allocation kept between calls except the
 * context's colour transforms.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sr-colour.h"
#include "sr-error.h"
#include "sr-image.h"
#include "sr-pairs.h"

#define SR_QA_MAX_FLAGS 12

typedef struct sr_qa_flag {
  char id[32];      /* stable: "chroma-shift", "range", "nonfinite", "over-sharpening", ... */
  char reason[240]; /* one line for the archivist, with the measured value */
} sr_qa_flag;

/* Per-frame results. NaN marks a value that could not be measured (no
 * Reference, not a held-out frame, first frame of a run for flicker). */
typedef struct sr_qa_frame {
  int frame;
  bool has_reference;
  bool held_out;

  /* Chroma identity, output vs Source, in the training domain. */
  double dcb_max, dcr_max, dcb_mean, dcr_mean;
  double chroma_max; /* max(dcb_max, dcr_max) */

  /* Range: fraction of channel values outside [0,1] in the domain (by more
   * than 1e-3, the rounding of half-float storage at the bounds). */
  double range_fraction;        /* output */
  double source_range_fraction; /* Source, for comparison */
  size_t nonfinite;             /* NaN/Inf values in the output (whole frame) */

  /* Detail. */
  double band_out[3], band_src[3], band_ref[3]; /* mean square of each band */
  double sharpness_gain;                        /* HF(out) / HF(src); 1 for an identity output */
  double sharpness_gain_db;                     /* 10 log10 of it */
  double hf_vs_reference_db;                    /* 10 log10 HF(out) / HF(ref) */
  double source_hf_vs_reference_db;
  double grain_out, grain_src, grain_ref; /* flat-block grain variance (sr-grain.h) */
  double grain_vs_source_db, grain_vs_reference_db;
  size_t flat_pixels;

  /* Halo: mean overshoot beyond the Source's local [min,max] at strong
   * edges, as a fraction of the local edge contrast. */
  double halo_score;
  double reference_halo_score; /* the Reference measured the same way */
  size_t edge_pixels;

  /* Statistics for flicker (domain luma inside the crop). */
  double mean_y_out, mean_y_src;
  double hf_db_out, hf_db_src; /* 10 log10 HF */
  /* Frame-to-frame change vs the previous frame number, output minus Source:
   * |Δmean_out − Δmean_src| and |ΔHF_out − ΔHF_src| (dB). */
  double flicker_luma;
  double flicker_detail_db;

  /* Held-out fidelity of Y vs the Reference (data range 1). */
  double psnr, ssim;
  double psnr_source, ssim_source; /* the Source vs the Reference, for comparison */
  /* PSNR after a least-squares gain and offset of the output's Y onto the
   * Reference's (what is left once exposure and contrast are forgiven), and
   * the correlation of the high-frequency detail (bands 0+1) with the
   * Reference's: 1 when the detail is the Reference's, 0 when unrelated. */
  double psnr_tone_fit, hf_correlation;

  int n_flags;
  sr_qa_flag flags[SR_QA_MAX_FLAGS];
} sr_qa_frame;

/* Outlier thresholds. Defaults (sr_qa_thresholds_init):
 *   chroma_max        0.004   max |ΔCb|,|ΔCr| (≈ one 8-bit code value; half-float
 *                             storage alone gives ≈ 5e-4)
 *   chroma_mean       0.0005  mean |ΔCb|,|ΔCr|
 *   range_excess      0.0005  output fraction outside [0,1] above the Source's
 *   nonfinite         0       NaN/Inf values allowed
 *   sharpness_min_db  -0.5    output softer than the Source ("detail loss")
 *   sharpness_max_db  12      gain over the Source, when no Reference is known
 *   hf_over_ref_db    3       output detail above the Reference ("over-sharpening")
 *   grain_over_ref_db 6       |grain(out) / grain(ref)| in dB ("grain mismatch")
 *   halo_excess       0.03    halo score above the Reference's (or above 0)
 *   flicker_luma      0.01    luma jump vs the previous frame beyond the Source's
 *   flicker_detail_db 1.5     detail-level jump vs the previous frame beyond the Source's
 *   psnr_drop_db      0.5     held-out PSNR below the Source's own PSNR
 */
typedef struct sr_qa_thresholds {
  double chroma_max;
  double chroma_mean;
  double range_excess;
  double nonfinite;
  double sharpness_min_db;
  double sharpness_max_db;
  double hf_over_ref_db;
  double grain_over_ref_db;
  double halo_excess;
  double flicker_luma;
  double flicker_detail_db;
  double psnr_drop_db;
} sr_qa_thresholds;

void sr_qa_thresholds_init(sr_qa_thresholds *t);

/* Colour conversions for one project (Source and Reference spaces, matrix,
 * crop). Thread-safe to share between threads measuring different frames. */
typedef struct sr_qa_context sr_qa_context;

sr_qa_context *sr_qa_context_new(const sr_prep_settings *prep, sr_error *err);
void sr_qa_context_free(sr_qa_context *ctx);

typedef struct sr_qa_options {
  bool fidelity; /* compute PSNR/SSIM vs the Reference (held-out frames) */
  bool held_out; /* recorded in the result */
} sr_qa_options;

/* Measures one frame. output and source must have the same size; reference
 * (may be NULL) too, otherwise its metrics are skipped with a message in err
 * only when it is impossible to measure at all. Flicker fields are NaN until
 * sr_qa_sequence_flicker(); flags are empty until sr_qa_flag_frame(). */
bool sr_qa_measure_frame(const sr_qa_context *ctx, int frame, const sr_image *output,
                         const sr_image *source, const sr_image *reference,
                         const sr_qa_options *opts, sr_qa_frame *out, sr_error *err);

/* Fills flicker_luma/flicker_detail_db of each frame from the frame before
 * it (frames sorted by number; a gap in the numbering starts a new run).
 * Returns the sequence flicker index: the mean of flicker_luma over frames
 * that have one (0 when none). detail_index (may be NULL) gets the mean of
 * flicker_detail_db. */
double sr_qa_sequence_flicker(sr_qa_frame *frames, int n, double *detail_index);

/* Replaces the frame's flags with the thresholds' verdicts. Returns n_flags. */
int sr_qa_flag_frame(sr_qa_frame *f, const sr_qa_thresholds *t);

/* Summary over a set of frames. */
typedef struct sr_qa_summary {
  int n_frames, n_flagged;
  double chroma_max; /* worst */
  double range_fraction_max;
  size_t nonfinite_total;
  double sharpness_gain_db_mean;
  double hf_vs_reference_db_mean; /* NaN without a Reference */
  double halo_score_max;
  double flicker_index;        /* mean flicker_luma */
  double flicker_detail_index; /* mean flicker_detail_db */
  int n_held_out;
  double psnr_mean, ssim_mean; /* over held-out frames; NaN when none */
  double psnr_source_mean, ssim_source_mean;
} sr_qa_summary;

void sr_qa_summarise(const sr_qa_frame *frames, int n, sr_qa_summary *s);

/* ---- Building blocks (on single-channel planes, row-major, no padding) ---- */

/* Mean square of the three à-trous bands of y. */
void sr_qa_band_energies(const float *y, int w, int h, double out[3]);
/* The flat areas grain is measured in: the pixels of the Source's Y whose
 * coarse (G_2) gradient is in the lowest quarter. Returns a w×h mask of 0/1
 * (caller frees) and the number of flat pixels, NULL without memory. */
unsigned char *sr_qa_flat_mask(const float *source_y, int w, int h, size_t *count);
/* PSNR of a vs b, data range 1 (INFINITY for identical planes). */
double sr_qa_psnr(const float *a, const float *b, int w, int h);
/* PSNR of g·a + o vs b with g, o the least-squares fit over the plane. */
double sr_qa_psnr_tone_fit(const float *a, const float *b, int w, int h);
/* Pearson correlation of the high-frequency detail Y − G_2 (bands 0 and 1)
 * of a and b; NaN when memory runs out, 0 when either has no detail. */
double sr_qa_hf_correlation(const float *a, const float *b, int w, int h);
/* Mean SSIM (Gaussian window σ = 1.5, K1 = 0.01, K2 = 0.03, L = 1); 1 for
 * identical planes. Planes smaller than 11 px a side use the whole plane as
 * one window. Returns NaN when memory runs out. */
double sr_qa_ssim(const float *a, const float *b, int w, int h);

/* The same two metrics on the Y of two RGB images of equal size (Y from the
 * given matrix): the one definition of PSNR and SSIM, used by QA and by the
 * trainer's held-out evaluation alike. NaN when the sizes differ or memory
 * runs out. */
double sr_qa_psnr_y(const sr_image *a, const sr_image *b, sr_ycbcr_matrix m);
double sr_qa_ssim_y(const sr_image *a, const sr_image *b, sr_ycbcr_matrix m);

/* Identical images have an infinite PSNR, which is what the metric returns
 * and what checkpoints and the QA tables store. Where a number has to be
 * drawn or printed (the training monitor, its plot, the command line's
 * text), it is shown capped at this value: at 100 dB the RMS difference is
 * 1e-5 of full range, below what a half-float frame can hold. NaN (nothing
 * measured) passes through. */
#define SR_QA_PSNR_DISPLAY_MAX_DB 100.0
double sr_qa_psnr_display(double db);
