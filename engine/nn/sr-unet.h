/* sr-unet.h — the luma-residual U-Net.
 *
 * Input: the Source patch, RGB in [0,1], N×H×W×3 (NHWC). Output: ΔY,
 * N×H×W×1. The recovered image is clamp(Source + ΔY·(1,1,1), 0, 1), which
 * changes Y by ΔY and leaves Cb/Cr untouched for any YCbCr matrix.
 *
 * Architecture (L levels, widths c_l = C·2^l, every conv has a bias):
 *   encoder, level l = 0..L-2:
 *     a_l = relu(conv3×3(in_l))            in_0 = Source (3 ch)
 *     e_l = relu(conv3×3(a_l))             (the skip)
 *     in_{l+1} = conv2×2/2(e_l)            c_l → c_{l+1}, no ReLU
 *   bottom, level L-1:  a, e as above
 *   decoder, level l = L-2..0:
 *     u_l = convT2×2/2(previous level's output)   c_{l+1} → c_l, no ReLU
 *     b_l = relu(conv3×3(concat(u_l, e_l)))       2c_l → c_l
 *     o_l = relu(conv3×3(b_l))
 *   head: ΔY = conv1×1(o_0)                      C → 1, no ReLU
 * Sizes: S (C=16, L=3), M (C=32, L=4, the default), L (C=64, L=4).
 * H and W must be multiples of sr_unet_size_multiple() = 2^(L-1).
 *
 * Parameters live in one contiguous block of backend memory (likewise the
 * gradients and the two Adam moments), in the stable order listed by
 * sr_unet_param_info(); a checkpoint stores each named tensor, OHWI weights
 * (see sr-backend.h) and [O] biases. The decoder's first conv over the
 * concatenation is stored as two tensors, "decL.conv1.weight" (the part that
 * reads u_l, input channels 0..c_l-1 of the concatenation) and
 * "decL.conv1.skip_weight" (the part that reads e_l, channels c_l..2c_l-1).
 * Names, in order, for each level l:
 *   enc{l}.conv1.weight, enc{l}.conv1.bias, enc{l}.conv2.weight, enc{l}.conv2.bias,
 *   enc{l}.down.weight, enc{l}.down.bias                (l < L-1)
 *   mid.conv1.weight ... mid.conv2.bias                  (level L-1)
 *   dec{l}.up.weight, dec{l}.up.bias, dec{l}.conv1.weight, dec{l}.conv1.skip_weight,
 *   dec{l}.conv1.bias, dec{l}.conv2.weight, dec{l}.conv2.bias   (l = L-2..0)
 *   head.weight, head.bias
 *
 * Initialisation (sr_unet_init): He normal (std sqrt(2 / fan_in), fan_in =
 * KH·KW·I) for every conv, zero biases, and the head at 0.1× that scale so
 * the untrained model starts close to the identity (ΔY ≈ 0). Drawn from
 * sr_rng seeded with the given seed, in parameter order, so it is the same
 * on every machine and backend.
 *
 * Determinism: on the CPU backend a forward/backward/Adam sequence is bit
 * for bit repeatable for the same seed, data, thread count and CPU
 * instruction set (oneDNN partitions work statically; its reductions do not
 * depend on timing). Across thread counts the forward pass has been
 * identical in our runs but the weight gradients differ in the last bits
 * (oneDNN splits the batch/spatial reduction per thread), and another ISA
 * (e.g. AVX2 instead of AVX-512) changes the forward pass too; so a resumed
 * run matches an uninterrupted one only on the same machine and thread
 * count.
 *
 * Usage (training):
 *   net = sr_unet_new(SR_UNET_M, be, err); sr_unet_init(net, seed, err);
 *   ws = sr_unet_workspace_new(net, 3, 256, 256, true, err);
 *   per step: sr_unet_train_step_host(net, ws, src, gt, &loss_desc, &adam, &loss, err)
 * Usage (inference): ws with training=false, then sr_unet_infer_host().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sr-backend.h"
#include "sr-error.h"
#include "sr-linear.h"

typedef enum sr_unet_size {
  SR_UNET_S = 0,
  SR_UNET_M,
  SR_UNET_L,
} sr_unet_size;

/* "S", "M", "L" */
const char *sr_unet_size_id(sr_unet_size size);
/* Accepts "S"/"M"/"L" and "small"/"medium"/"large", any case. */
bool sr_unet_size_from_id(const char *id, sr_unet_size *out);
int sr_unet_base_width(sr_unet_size size); /* C: 16, 32, 64 */
int sr_unet_levels(sr_unet_size size);     /* L: 3, 4, 4 */

/* H and W of any input must be multiples of this (2^(L-1)). */
int sr_unet_size_multiple(sr_unet_size size);
/* A conservative bound, in full-resolution pixels, on how far from an output
 * pixel an input pixel can influence it. Tiles that overlap by at least this
 * much on every side (and are cropped back) give the same result as one pass
 * over the whole frame, up to float rounding. */
int sr_unet_receptive_radius(sr_unet_size size);

typedef struct sr_unet sr_unet;

/* Creates the network on a backend (which must outlive it). Parameters are
 * allocated but not initialised: call sr_unet_init or sr_unet_import. */
sr_unet *sr_unet_new(sr_unet_size size, sr_backend *be, sr_error *err);
void sr_unet_free(sr_unet *net);

sr_unet_size sr_unet_get_size(const sr_unet *net);
sr_backend *sr_unet_get_backend(const sr_unet *net);

/* He initialisation from seed (see above); also clears the Adam moments. */
bool sr_unet_init(sr_unet *net, uint64_t seed, sr_error *err);

/* ---- the linear branch -------------------------------------------------------- */

/* A network may carry a fixed linear branch (sr-linear.h): the recovered ΔY
 * is then ΔY_lin + the network's output. The passes below compute only the
 * network's part; sr_infer_delta and the trainer add the branch on the host.
 * lin NULL removes it. Checkpoints store it (sr-checkpoint.h). */
void sr_unet_set_linear(sr_unet *net, const sr_linear *lin);
/* The branch, or NULL when the network has none. */
const sr_linear *sr_unet_get_linear(const sr_unet *net);
/* Zeroes the head's weights and bias so the network's ΔY is exactly 0 and a
 * run starts on the linear branch; the head's gradient is not zero, so the
 * first step moves it and the rest of the network follows. */
bool sr_unet_zero_head(sr_unet *net, sr_error *err);

/* ---- parameters -------------------------------------------------------------- */

typedef struct sr_unet_param {
  char name[48]; /* "enc0.conv1.weight" */
  int rank;      /* 4 for weights (O,KH,KW,I), 1 for biases (O) */
  int shape[4];
  size_t count;  /* product of shape */
  size_t offset; /* in floats, into the contiguous block */
} sr_unet_param;

/* Number of named tensors, and the i-th (0 <= i < count), in stable order. */
size_t sr_unet_param_count(const sr_unet *net);
const sr_unet_param *sr_unet_param_info(const sr_unet *net, size_t i);
/* Index of a named tensor, or -1. */
long sr_unet_param_find(const sr_unet *net, const char *name);
/* Total floats over all tensors (the length of each block). */
size_t sr_unet_total_params(const sr_unet *net);

/* The blocks, in backend memory (device memory on a GPU: use export/import
 * to read or write them from the host). Tensor i starts at block + offset. */
typedef enum sr_unet_block {
  SR_UNET_PARAMS = 0,
  SR_UNET_GRADS,
  SR_UNET_ADAM_M,
  SR_UNET_ADAM_V,
} sr_unet_block;

float *sr_unet_block_data(sr_unet *net, sr_unet_block block);
/* Copies a whole block (sr_unet_total_params floats) to or from host memory.
 * A checkpoint that resumes training saves PARAMS, ADAM_M and ADAM_V. */
bool sr_unet_export(sr_unet *net, sr_unet_block block, float *host, sr_error *err);
bool sr_unet_import(sr_unet *net, sr_unet_block block, const float *host, sr_error *err);

/* ---- workspace: activations for one batch shape ----------------------------- */

typedef struct sr_unet_workspace sr_unet_workspace;

/* All buffers for batches of n×h×w, allocated once and reused every step.
 * training=false keeps only what a forward pass needs (about a third of the
 * memory). h and w must be multiples of sr_unet_size_multiple(). */
sr_unet_workspace *sr_unet_workspace_new(sr_unet *net, int n, int h, int w, bool training,
                                         sr_error *err);
void sr_unet_workspace_free(sr_unet_workspace *ws);
/* Bytes of backend memory a workspace of that shape takes (for planning
 * tiles before allocating). */
size_t sr_unet_workspace_bytes(sr_unet_size size, int n, int h, int w, bool training);

/* The workspace's own tensors, in backend memory:
 *   input  N×H×W×3  the Source patch (write it, e.g. sr_backend_upload)
 *   target N×H×W×3  the ground truth (training workspaces only)
 *   delta  N×H×W×1  ΔY, written by sr_unet_forward
 *   ddelta N×H×W×1  ∂loss/∂ΔY, written by sr_unet_loss, read by backward
 * target and ddelta have data NULL in inference workspaces. */
sr_tensor sr_unet_workspace_input(const sr_unet_workspace *ws);
sr_tensor sr_unet_workspace_target(const sr_unet_workspace *ws);
sr_tensor sr_unet_workspace_delta(const sr_unet_workspace *ws);
sr_tensor sr_unet_workspace_ddelta(const sr_unet_workspace *ws);

/* ---- passes (device level: operate on the workspace tensors) --------------- */

/* input → delta. */
bool sr_unet_forward(sr_unet *net, sr_unet_workspace *ws, sr_error *err);
/* Charbonnier loss of (input, delta, target) → *loss, and ddelta. */
bool sr_unet_loss(sr_unet *net, sr_unet_workspace *ws, const sr_loss_desc *loss_desc, double *loss,
                  sr_error *err);
/* ddelta → GRADS block (overwritten, not accumulated). Needs a training
 * workspace on which sr_unet_forward just ran. */
bool sr_unet_backward(sr_unet *net, sr_unet_workspace *ws, sr_error *err);
/* One Adam update of PARAMS from GRADS using ADAM_M/ADAM_V. */
bool sr_unet_adam_step(sr_unet *net, const sr_adam_desc *adam, sr_error *err);
/* forward + loss + backward + Adam on the tensors already in the workspace;
 * *loss is the loss before the update. A loss that is not finite fails
 * with SR_ERR_INVALID before any update, so the parameters stay usable. */
bool sr_unet_train_step(sr_unet *net, sr_unet_workspace *ws, const sr_loss_desc *loss_desc,
                        const sr_adam_desc *adam, double *loss, sr_error *err);

/* ---- host conveniences (upload, run, download) ------------------------------ */

/* src, target: N×H×W×3 host floats matching the workspace. */
bool sr_unet_train_step_host(sr_unet *net, sr_unet_workspace *ws, const float *src,
                             const float *target, const sr_loss_desc *loss_desc,
                             const sr_adam_desc *adam, double *loss, sr_error *err);
/* Loss without any update (validation frames); any workspace kind, target
 * is uploaded into a scratch buffer when the workspace has none. */
bool sr_unet_evaluate_host(sr_unet *net, sr_unet_workspace *ws, const float *src,
                           const float *target, const sr_loss_desc *loss_desc, double *loss,
                           sr_error *err);
/* src N×H×W×3 → delta_out N×H×W×1 (host). */
bool sr_unet_infer_host(sr_unet *net, sr_unet_workspace *ws, const float *src, float *delta_out,
                        sr_error *err);
