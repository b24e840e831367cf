/* sr-grain.h — grain: measured on an element, and synthesised to match one.
 *
 * Measurement. Grain is what luma does in the flat areas (sr_qa_flat_mask
 * of the Source's Y, the areas QA's grain metric reads): the frame is cut
 * into SR_GRAIN_BLOCK² blocks, a block counts when at least 90 % of its
 * pixels are flat (in a frame where no block is — flat or textured all
 * over, its flat pixels scattered — the quarter of blocks with the most
 * flat pixels), and each such block of the element's Y, less its
 * least-squares plane, is Hann-windowed and Fourier transformed. With
 * P(k) = |F(k)|² / Σ window², white noise of variance σ² has E P(k) = σ² at
 * every frequency, so the spectrum kept is, per frequency bin k of the B×B
 * grid (grain need not be isotropic: scanners and printers have a
 * direction), averaged over blocks,
 *   nps(k)   = P(k) / B²                           (Σ_k nps(k) = variance)
 * and, for reports and tests, its sums over SR_GRAIN_BANDS radial bands of
 * |k| from 0 to Nyquist (0.5 cycles/px; the corners beyond it go to the last
 * band; band 0 is the DC bin alone, which the plane fit removes), and
 *   level[l] = the blocks' variance, averaged per luma level of the block
 * mean (SR_GRAIN_LEVELS even levels over [0,1]).
 * A profile accumulates over any number of frames.
 *
 * Synthesis (regrain). What the Reference has and the recovered frame lacks:
 * per bin max(nps_ref − nps_out, 0), shaped over the levels as the
 * Reference's grain is (gain² = level_ref / its mean). White Gaussian noise,
 * seeded from (seed, frame) so frames are independent and a render is
 * repeatable, is filtered by a zero-phase SR_GRAIN_BLOCK² FIR kernel whose
 * response is that spectrum on the same frequency grid, then scaled per
 * pixel by the gain of the level that the mean Y of the SR_GRAIN_BLOCK²
 * block around the pixel falls in — the level the measurement files a block
 * under (interpolating between levels, or reading the pixel's own Y, loses
 * strength wherever the measured curve is not smooth: on the demo frames
 * half of the planned grain). Strength therefore changes in steps where
 * that local mean crosses a level boundary (every 1/8 of the range). The
 * result is a ΔY: added to R, G and B alike it leaves chroma untouched.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sr-colour.h"
#include "sr-error.h"

#define SR_GRAIN_BLOCK  16
#define SR_GRAIN_BANDS  8
#define SR_GRAIN_LEVELS 8

typedef struct sr_grain_profile {
  double nps_sum[SR_GRAIN_BLOCK * SR_GRAIN_BLOCK]; /* per bin, ky·B + kx */
  double level_sum[SR_GRAIN_LEVELS];
  int level_blocks[SR_GRAIN_LEVELS];
  int blocks;
} sr_grain_profile;

void sr_grain_profile_init(sr_grain_profile *p);
/* Adds the flat blocks of one frame: y is the element's Y, source_y the
 * Source's (which decides where it is flat), both w×h. */
bool sr_grain_measure(sr_grain_profile *p, const float *y, const float *source_y, int w, int h,
                      sr_error *err);
/* The same with the flat mask given (sr_qa_flat_mask of the Source's Y),
 * as QA's grain metric measures with the mask it already has. */
bool sr_grain_measure_mask(sr_grain_profile *p, const float *y, const unsigned char *mask, int w,
                           int h, sr_error *err);
/* Mean power in band b, the variance per level l (NaN where no block fell),
 * and the total variance (Σ of the bands; NaN without blocks). */
double sr_grain_band(const sr_grain_profile *p, int b);
double sr_grain_level(const sr_grain_profile *p, int l);
double sr_grain_variance(const sr_grain_profile *p);

typedef struct sr_regrain {
  float kernel[SR_GRAIN_BLOCK * SR_GRAIN_BLOCK]; /* white noise → the missing spectrum */
  double level_gain[SR_GRAIN_LEVELS];            /* per level, on the kernel's output */
  uint64_t seed;
} sr_regrain;

/* Plans the grain that brings `present` (the recovered frames) to
 * `reference`. Fails with a message when the Reference has no flat block. */
bool sr_regrain_plan(sr_regrain *g, const sr_grain_profile *reference,
                     const sr_grain_profile *present, uint64_t seed, sr_error *err);
/* Adds frame `frame`'s grain to dy (w×h), its level taken from the local
 * mean of the RGB frame's (w×h×3, training domain) Y plus dy, Y by the
 * matrix coefficients c. */
bool sr_regrain_add(const sr_regrain *g, int frame, const float *rgb, sr_ycbcr_coeffs c, int w,
                    int h, float *dy, sr_error *err);
