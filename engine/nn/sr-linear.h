/* sr-linear.h — the linear branch: a 9×9 luma filter and a cubic tone curve.
 *
 * On the Source's Y (training domain, Y = kr R + kg G + kb B):
 *   Ŷ(p) = Σ_k f_k · Y(p + k) + t0 + t2 · Y(p)² + t3 · Y(p)³,  k ∈ [−4, 4]²
 *   ΔY_lin(p) = Ŷ(p) − Y(p)
 * (the linear term of the tone curve is the filter's centre tap). Frame edges
 * are mirrored without repeating the edge pixel, as the inference padding is.
 *
 * The 84 coefficients are the least-squares fit of Ŷ to the ground truth's Y
 * over the training pairs, in closed form: the normal equations accumulated
 * in double over the pairs' pixels (on a regular grid of at most
 * SR_LINEAR_FIT_SAMPLES per fit), a small ridge (1e-10 of the mean diagonal)
 * and a Cholesky solve. It takes well under a second for a usual pair set.
 *
 * The network learns the residual on top: the recovered Y is
 * Y + ΔY_lin + ΔY_net. The branch is fixed once fitted (see sr-train.c for
 * why), applied on the host by sr_infer_delta and the trainer, and stored in
 * checkpoints as "linear.filter" [1,9,9,1] and "linear.tone" [3] (t0, t2, t3).
 * ΔY is added equally to R, G and B, so chroma stays the Source's.
 */
#pragma once

#include <stdbool.h>

#include "sr-colour.h"
#include "sr-error.h"
#include "sr-pairs.h"

#define SR_LINEAR_RADIUS      4
#define SR_LINEAR_SIDE        (2 * SR_LINEAR_RADIUS + 1)
#define SR_LINEAR_TAPS        (SR_LINEAR_SIDE * SR_LINEAR_SIDE)
#define SR_LINEAR_TONE        3
#define SR_LINEAR_FIT_SAMPLES (1 << 20)

typedef struct sr_linear {
  float filter[SR_LINEAR_TAPS]; /* row-major: (dy + 4) · 9 + (dx + 4) */
  float tone[SR_LINEAR_TONE];   /* t0, t2, t3 */
  sr_ycbcr_coeffs luma;         /* the matrix Y is taken with */
} sr_linear;

/* The identity: centre tap 1, everything else 0 (ΔY_lin = 0). */
void sr_linear_identity(sr_linear *lin, sr_ycbcr_matrix m);

/* Fits the branch to the pairs (input → ground truth Y). Fails with a message
 * when there are no pixels or the system cannot be solved. */
bool sr_linear_fit(const sr_pair *pairs, int n_pairs, sr_ycbcr_matrix m, sr_linear *out,
                   sr_error *err);

/* ΔY_lin of n RGB planes of w×h (NHWC, 3 floats a pixel) into dy (n×w×h);
 * with accumulate, added to what dy holds. */
bool sr_linear_delta(const sr_linear *lin, const float *rgb, int n, int w, int h, float *dy,
                     bool accumulate, sr_error *err);

/* Subtracts ΔY_lin of src from every channel of target (both n×h×w×3), so a
 * network trained to map src to the result is trained on the residual. */
bool sr_linear_subtract(const sr_linear *lin, const float *src, int n, int w, int h, float *target,
                        sr_error *err);
