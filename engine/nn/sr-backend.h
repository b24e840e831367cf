/* sr-backend.h — the one compute interface the network runs on.
 *
 * A backend is a table of function pointers over NHWC float tensors plus an
 * opaque context. The CPU backend (oneDNN) is the reference and always
 * exists; the CUDA backend is a shared module (libsrcuda.so) loaded at run
 * time, so nothing here needs CUDA to build or run.
 *
 * Memory: every buffer an op touches is "backend memory", obtained from
 * sr_backend_alloc() and moved to and from the host with sr_backend_upload()
 * and sr_backend_download(). On the CPU it is ordinary host memory; on a GPU
 * it is device memory and must never be dereferenced by the caller.
 *
 * Layouts (fixed, and what checkpoints store):
 *   activations  NHWC: x[((n*H + y)*W + x)*C + c]
 *   conv weights OHWI: w[((o*KH + ky)*KW + kx)*I + i], o = output channel,
 *                i = input channel. For the transposed 2×2 conv the same
 *                OHWI order is used with o = the transposed conv's OUTPUT
 *                channel (PyTorch's ConvTranspose2d stores [I][O][KH][KW];
 *                permute (1,2,3,0) to get ours).
 *   bias         [O]
 *
 * Op math (b = bias or 0, the sums run over the kernel and input channels):
 *   SR_CONV_3X3   y[n,h,w,o]        = b[o] + Σ x[n,h+ky-1,w+kx-1,i] w[o,ky,kx,i]
 *                                     (zero outside the image; H×W → H×W)
 *   SR_CONV_1X1   y[n,h,w,o]        = b[o] + Σ x[n,h,w,i] w[o,0,0,i]
 *   SR_CONV_DOWN2 y[n,h,w,o]        = b[o] + Σ x[n,2h+ky,2w+kx,i] w[o,ky,kx,i]
 *                                     (H×W → H/2×W/2, H and W even)
 *   SR_CONV_UP2   y[n,2h+ky,2w+kx,o] = b[o] + Σ_i x[n,h,w,i] w[o,ky,kx,i]
 *                                     (transposed, H×W → 2H×2W, no flip)
 * then optionally y = y_old + y (desc.accumulate) and y = max(y, 0)
 * (desc.relu), in that order. Accumulation makes a concat-free skip: a
 * conv over [a, b] concatenated on channels equals conv(a, w_a) followed by
 * an accumulating conv(b, w_b).
 *
 * Thread safety: a backend (and everything allocated from it) is used by one
 * thread at a time. Distinct backends are independent.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sr-error.h"

/* Bumped whenever sr_backend or sr_backend_ops change incompatibly; the
 * loader refuses a module built against another version. */
#define SR_BACKEND_ABI_VERSION 2

/* How a tensor's elements lie in memory. NHWC is what every backend takes
 * and what the host reads and writes. A backend whose convolutions run
 * fastest over channel blocks (sr_backend.channel_block = B > 0) also takes
 * BLOCKED tensors of a multiple of B channels: [n][c/B][h][w][B] (oneDNN's
 * nChw8c or nChw16c), the same element count as NHWC. The network keeps its
 * inner activations and gradients that way, so no convolution reorders them
 * at each call; only the NHWC input, output and loss cross the boundary. */
typedef enum sr_layout {
  SR_LAYOUT_NHWC = 0,
  SR_LAYOUT_BLOCKED,
} sr_layout;

/* Descriptor of a 4-D float tensor in backend memory. */
typedef struct sr_tensor {
  int n, h, w, c;
  float *data;
  sr_layout layout; /* SR_LAYOUT_NHWC unless set */
} sr_tensor;

static inline size_t
sr_tensor_count(const sr_tensor *t)
{
  return (size_t)t->n * (size_t)t->h * (size_t)t->w * (size_t)t->c;
}

typedef enum sr_conv_kind {
  SR_CONV_3X3 = 0, /* 3×3, stride 1, pad 1 */
  SR_CONV_1X1,     /* 1×1 */
  SR_CONV_DOWN2,   /* 2×2, stride 2, no pad */
  SR_CONV_UP2,     /* transposed 2×2, stride 2 */
} sr_conv_kind;

typedef struct sr_conv_desc {
  sr_conv_kind kind;
  int cin, cout;
  bool bias;       /* a [cout] bias is added */
  bool relu;       /* forward: ReLU after (accumulate then) bias */
  bool accumulate; /* forward: y += conv(x) instead of y = conv(x) */
} sr_conv_desc;

/* Number of weights of a conv: cout * KH * KW * cin. */
size_t sr_conv_weight_count(const sr_conv_desc *d);
/* Kernel height/width of a kind (3, 1, 2, 2). */
int sr_conv_kernel(sr_conv_kind kind);

/* Charbonnier loss on luma of the residual prediction:
 *   Y_s = kr R_s + kg G_s + kb B_s of the Source patch, likewise Y_t of the
 *   ground truth; r = Y_s + ΔY − Y_t; loss = mean over N·H·W of
 *   sqrt(r² + eps²); dloss/dΔY = r / sqrt(r² + eps²) / (N·H·W).
 * No clamp: the delivered image is clamp(Source + ΔY·(1,1,1), 0, 1), but the
 * training loss is on the unclamped Y_s + ΔY so pixels near 0 or 1 still get
 * a gradient (the ground truth itself is already clamped to [0,1]). */
typedef struct sr_loss_desc {
  float kr, kg, kb; /* luma weights of the training domain (e.g. BT.709) */
  float eps;        /* 1e-3 by default */
} sr_loss_desc;

#define SR_CHARBONNIER_EPS 1e-3f

/* Adam with bias correction, fp32 state:
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g²
 *   p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps) + lr * wd * p
 * (wd is decoupled weight decay, AdamW; 0 gives plain Adam). */
typedef struct sr_adam_desc {
  float lr;
  float beta1, beta2, eps;
  float weight_decay;
  int64_t step; /* t, 1 for the first update */
} sr_adam_desc;

/* Defaults: lr 2e-4, beta1 0.9, beta2 0.999, eps 1e-8, wd 0, step 1. */
sr_adam_desc sr_adam_defaults(void);

/* All ops return true on success or fill err. Shapes are validated by the
 * caller-facing wrappers below (sr_backend_conv_forward etc.), so a backend
 * may assume consistent shapes. Ops are asynchronous on a GPU; download and
 * loss (which returns a host number) synchronise. */
typedef struct sr_backend_ops {
  /* Frees the context, everything still allocated from it, and the
   * sr_backend struct itself (a backend usually embeds it in its context). */
  void (*destroy)(void *ctx);

  /* memory: count floats; returned memory is 64-byte aligned, not zeroed */
  float *(*alloc)(void *ctx, size_t count, sr_error *err);
  void (*release)(void *ctx, float *p);
  bool (*upload)(void *ctx, float *dst, const float *host, size_t count, sr_error *err);
  bool (*download)(void *ctx, float *host, const float *src, size_t count, sr_error *err);
  bool (*fill)(void *ctx, float *dst, float value, size_t count, sr_error *err);
  bool (*copy)(void *ctx, float *dst, const float *src, size_t count, sr_error *err);
  /* y += a·x */
  bool (*axpy)(void *ctx, float *y, float a, const float *x, size_t count, sr_error *err);
  /* Waits for queued work (no-op on the CPU). */
  bool (*synchronize)(void *ctx, sr_error *err);

  /* y per sr_conv_desc; b may be NULL when !d->bias */
  bool (*conv_forward)(void *ctx, const sr_conv_desc *d, const sr_tensor *x, const float *w,
                       const float *b, sr_tensor *y, sr_error *err);
  /* dx = ∂L/∂x given dy = ∂L/∂y (of the conv output before ReLU; apply
   * relu_backward first). accumulate: dx += instead of dx =. */
  bool (*conv_backward_data)(void *ctx, const sr_conv_desc *d, const sr_tensor *dy, const float *w,
                             sr_tensor *dx, bool accumulate, sr_error *err);
  /* dw = ∂L/∂w, db = ∂L/∂b (db may be NULL when !d->bias); accumulate adds. */
  bool (*conv_backward_weights)(void *ctx, const sr_conv_desc *d, const sr_tensor *x,
                                const sr_tensor *dy, float *dw, float *db, bool accumulate,
                                sr_error *err);
  /* dy[i] = y[i] > 0 ? dy[i] : 0, in place; y is the ReLU output. */
  bool (*relu_backward)(void *ctx, const sr_tensor *y, sr_tensor *dy, sr_error *err);

  /* Charbonnier loss per sr_loss_desc. src and target are N×H×W×3, delta
   * N×H×W×1; writes *loss (host) and, if ddelta is not NULL, the gradient
   * (N×H×W×1). */
  bool (*charbonnier_luma)(void *ctx, const sr_loss_desc *d, const sr_tensor *src,
                           const sr_tensor *delta, const sr_tensor *target, double *loss,
                           sr_tensor *ddelta, sr_error *err);
  /* out (N×H×W×3) = clamp(src + delta·(1,1,1), 0, 1) if clamp, else unclamped. */
  bool (*apply_luma_residual)(void *ctx, const sr_tensor *src, const sr_tensor *delta, bool clamp,
                              sr_tensor *out, sr_error *err);

  /* One Adam step over count parameters (see sr_adam_desc). */
  bool (*adam)(void *ctx, const sr_adam_desc *d, float *param, const float *grad, float *m,
               float *v, size_t count, sr_error *err);
} sr_backend_ops;

typedef struct sr_backend {
  int abi_version;       /* SR_BACKEND_ABI_VERSION */
  char name[16];         /* "cpu", "cuda" */
  char description[256]; /* one line for logs: "CPU (oneDNN 2.6.3), 2 threads, AMD EPYC" */
  bool deterministic;    /* same inputs and seed give bit-identical results */
  int channel_block;     /* B of SR_LAYOUT_BLOCKED, or 0: NHWC only */
  const sr_backend_ops *ops;
  void *ctx;
  void *module; /* dlopen handle of a loaded module, closed by sr_backend_close */
} sr_backend;

/* ---- opening and closing --------------------------------------------------- */

/* The CPU backend; always available. threads 0: oneDNN's default (OpenMP,
 * OMP_NUM_THREADS or all cores). Ops under about two million multiply-adds
 * run on one thread whatever the setting (a fork/join would cost more). */
sr_backend *sr_backend_cpu_create(int threads, sr_error *err);

/* name: "auto", "cpu" or "cuda".
 *   "cpu"  always succeeds (barring out-of-memory).
 *   "cuda" loads libsrcuda.so (searched in $SR_BACKEND_PATH, then the build
 *          tree the executable runs from, then SR_LIBDIR) and calls its
 *          sr_backend_cuda_create; on failure returns NULL and err says why.
 *   "auto" tries "cuda" and falls back to "cpu".
 * reason (may be NULL) receives one line when the result is not what was
 * asked or hoped for, e.g. "CUDA backend unavailable: libsrcuda.so not
 * found", "CUDA backend unavailable: no NVIDIA driver"; it is set to "" when
 * there is nothing to say. */
sr_backend *sr_backend_open(const char *name, char *reason, size_t reason_len, sr_error *err);

/* Destroys the backend (ops->destroy) and unloads its module; NULL is fine. */
void sr_backend_close(sr_backend *be);

/* What a CUDA module exports (looked up with dlsym under these names):
 *   sr_backend *sr_backend_cuda_create(int device, char *reason, size_t reason_len,
 *                                      sr_error *err);
 *   bool sr_backend_cuda_list_devices(sr_device_info *out, size_t max, size_t *count,
 *                                     char *reason, size_t reason_len, sr_error *err);
 * create returns NULL with reason set ("no NVIDIA driver", ...) when no
 * usable GPU exists. */
#define SR_BACKEND_CUDA_MODULE        "libsrcuda.so"
#define SR_BACKEND_CUDA_CREATE_SYMBOL "sr_backend_cuda_create"
#define SR_BACKEND_CUDA_LIST_SYMBOL   "sr_backend_cuda_list_devices"

typedef struct sr_device_info {
  char backend[16]; /* "cpu", "cuda" */
  int index;        /* device index within its backend */
  char name[256];   /* "AMD EPYC", "NVIDIA H100 80GB HBM3" */
  int threads;      /* CPU threads used; 0 for a GPU */
  uint64_t memory;  /* bytes (GPU memory, or total RAM for the CPU); 0 if unknown */
  char detail[256]; /* "oneDNN 2.6.3, ISA avx512_core", "compute 9.0, driver 550.54" */
} sr_device_info;

typedef sr_backend *(*sr_backend_cuda_create_fn)(int device, char *reason, size_t reason_len,
                                                 sr_error *err);
typedef bool (*sr_backend_cuda_list_devices_fn)(sr_device_info *out, size_t max, size_t *count,
                                                char *reason, size_t reason_len, sr_error *err);

/* Fills out[0..*count) with the CPU (always first) and every CUDA device the
 * module reports. cuda_reason (may be NULL) receives why no CUDA device is
 * listed, or "" when some are. Returns false only on a real error. */
bool sr_backend_list_devices(sr_device_info *out, size_t max, size_t *count, char *cuda_reason,
                             size_t reason_len, sr_error *err);

/* ---- checked wrappers (validate shapes, then call ops) -------------------- */

float *sr_backend_alloc(sr_backend *be, size_t count, sr_error *err);
void sr_backend_release(sr_backend *be, float *p);
bool sr_backend_upload(sr_backend *be, float *dst, const float *host, size_t count, sr_error *err);
bool sr_backend_download(sr_backend *be, float *host, const float *src, size_t count,
                         sr_error *err);
bool sr_backend_fill(sr_backend *be, float *dst, float value, size_t count, sr_error *err);
bool sr_backend_copy(sr_backend *be, float *dst, const float *src, size_t count, sr_error *err);
bool sr_backend_axpy(sr_backend *be, float *y, float a, const float *x, size_t count,
                     sr_error *err);
bool sr_backend_synchronize(sr_backend *be, sr_error *err);

/* Allocates t->data for an n×h×w×c NHWC tensor. */
bool sr_backend_tensor_alloc(sr_backend *be, sr_tensor *t, int n, int h, int w, int c,
                             sr_error *err);
/* The layout be's convolutions prefer for a tensor of c channels that only
 * backend ops read and write: BLOCKED where be takes it for c, else NHWC. */
sr_layout sr_backend_preferred_layout(const sr_backend *be, int c);
/* Releases t->data and sets it to NULL. */
void sr_backend_tensor_release(sr_backend *be, sr_tensor *t);

/* Output shape of a conv for input x (fails on odd H/W for SR_CONV_DOWN2). */
bool sr_conv_output_shape(const sr_conv_desc *d, const sr_tensor *x, int *h, int *w, sr_error *err);

bool sr_backend_conv_forward(sr_backend *be, const sr_conv_desc *d, const sr_tensor *x,
                             const float *w, const float *b, sr_tensor *y, sr_error *err);
bool sr_backend_conv_backward_data(sr_backend *be, const sr_conv_desc *d, const sr_tensor *dy,
                                   const float *w, sr_tensor *dx, bool accumulate, sr_error *err);
bool sr_backend_conv_backward_weights(sr_backend *be, const sr_conv_desc *d, const sr_tensor *x,
                                      const sr_tensor *dy, float *dw, float *db, bool accumulate,
                                      sr_error *err);
bool sr_backend_relu_backward(sr_backend *be, const sr_tensor *y, sr_tensor *dy, sr_error *err);
bool sr_backend_charbonnier_luma(sr_backend *be, const sr_loss_desc *d, const sr_tensor *src,
                                 const sr_tensor *delta, const sr_tensor *target, double *loss,
                                 sr_tensor *ddelta, sr_error *err);
bool sr_backend_apply_luma_residual(sr_backend *be, const sr_tensor *src, const sr_tensor *delta,
                                    bool clamp, sr_tensor *out, sr_error *err);
bool sr_backend_adam(sr_backend *be, const sr_adam_desc *d, float *param, const float *grad,
                     float *m, float *v, size_t count, sr_error *err);
