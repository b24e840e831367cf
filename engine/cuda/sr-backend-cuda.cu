/* sr-backend-cuda.cu — the CUDA/cuDNN backend module (libsrcuda.so).
 *
 * Implements sr_backend_ops (engine/nn/sr-backend.h) on one GPU, fp32
 * throughout, with the CPU backend's semantics: NHWC activations, OHWI
 * weights (cuDNN's NHWC filter format, "KRSC"), cross-correlation without a
 * flip, bias then accumulate then ReLU. The module links only the CUDA
 * runtime (static), cuDNN and the C/C++ runtime; it uses no engine code
 * except the plain-C interface header, so it sets sr_error by itself.
 *
 * Structure: one context per backend = one device, one stream, one cuDNN
 * handle bound to that stream, a growing workspace and a growing scratch
 * buffer. Every CUDA and cuDNN call goes through CK_CUDA / CK_DNN, which
 * turn a failure into an sr_error naming the op and the shape.
 */
#include <cuda_runtime.h>
#include <cudnn.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr-i18n.h"

extern "C" {
#include "sr-backend.h"
}

#define SR_EXPORT extern "C" __attribute__((visibility("default")))

/* ---- errors ---------------------------------------------------------------- */

static void set_err(sr_error *err, sr_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(sr_error *err, sr_status code, const char *fmt, ...)
{
  if (!err)
    return;
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
}

static void
set_reason(char *reason, size_t len, const char *text)
{
  if (!reason || len == 0)
    return;
  snprintf(reason, len, "%s", text);
}

/* what: the op and shape, e.g. "conv forward 3x3 8x64x64x32->32". */
#define CK_CUDA(call, what)                                                              \
  do {                                                                                   \
    cudaError_t ck_e = (call);                                                           \
    if (ck_e != cudaSuccess) {                                                           \
      set_err(err, ck_e == cudaErrorMemoryAllocation ? SR_ERR_NOMEM : SR_ERR_BACKEND,    \
              SR_("CUDA %s failed in %s: %s"), #call, (what), cudaGetErrorString(ck_e)); \
      return false;                                                                      \
    }                                                                                    \
  } while (0)

#define CK_DNN(call, what)                                                                 \
  do {                                                                                     \
    cudnnStatus_t ck_s = (call);                                                           \
    if (ck_s != CUDNN_STATUS_SUCCESS) {                                                    \
      set_err(err, ck_s == CUDNN_STATUS_ALLOC_FAILED ? SR_ERR_NOMEM : SR_ERR_BACKEND,      \
              SR_("cuDNN %s failed in %s: %s"), #call, (what), cudnnGetErrorString(ck_s)); \
      return false;                                                                        \
    }                                                                                      \
  } while (0)

/* Kernel launches report configuration errors here; faults inside a kernel
 * surface at the next synchronising call (download, loss, synchronize). */
#define CK_LAUNCH(what) CK_CUDA(cudaGetLastError(), what)

/* ---- context ------------------------------------------------------------- */

typedef struct cuda_ctx {
  sr_backend be; /* first: destroy frees the whole context */
  int device;
  cudaStream_t stream;
  cudnnHandle_t dnn;
  cudnnTensorDescriptor_t xd, yd;
  cudnnFilterDescriptor_t wd;
  cudnnConvolutionDescriptor_t cd;
  void *workspace;
  size_t workspace_size;
  float *scratch; /* transposed UP2 weights */
  size_t scratch_count;
  double *partials; /* per-row loss sums */
  size_t partials_count;
  double *host_partials;
  /* live allocations, freed by destroy */
  float **allocs;
  size_t nallocs, cap_allocs;
} cuda_ctx;

static const char *
kind_name(sr_conv_kind k)
{
  switch (k) {
  case SR_CONV_3X3: return "3x3";
  case SR_CONV_1X1: return "1x1";
  case SR_CONV_DOWN2: return "down2";
  case SR_CONV_UP2: return "up2";
  }
  return "?";
}

static void
shape_text(char *buf, size_t len, const char *op, const sr_conv_desc *d, const sr_tensor *t)
{
  snprintf(buf, len, "%s %s %dx%dx%dx%d (cin %d, cout %d)", op, kind_name(d->kind), t->n, t->h,
           t->w, t->c, d->cin, d->cout);
}

static bool
oom_message(sr_error *err, size_t bytes, const char *what)
{
  set_err(err, SR_ERR_NOMEM,
          SR_("GPU out of memory allocating %.1f MiB for %s; use a smaller batch or patch size, "
              "or close other programs using the GPU"),
          (double)bytes / (1024.0 * 1024.0), what);
  return false;
}

static bool
ensure_workspace(cuda_ctx *c, size_t bytes, const char *what, sr_error *err)
{
  if (bytes <= c->workspace_size)
    return true;
  if (c->workspace) {
    CK_CUDA(cudaStreamSynchronize(c->stream), what);
    cudaFree(c->workspace);
    c->workspace = NULL;
    c->workspace_size = 0;
  }
  if (cudaMalloc(&c->workspace, bytes) != cudaSuccess) {
    cudaGetLastError();
    c->workspace = NULL;
    return oom_message(err, bytes, what);
  }
  c->workspace_size = bytes;
  return true;
}

static bool
ensure_scratch(cuda_ctx *c, size_t count, const char *what, sr_error *err)
{
  if (count <= c->scratch_count)
    return true;
  if (c->scratch) {
    CK_CUDA(cudaStreamSynchronize(c->stream), what);
    cudaFree(c->scratch);
    c->scratch = NULL;
    c->scratch_count = 0;
  }
  if (cudaMalloc(&c->scratch, count * sizeof(float)) != cudaSuccess) {
    cudaGetLastError();
    c->scratch = NULL;
    return oom_message(err, count * sizeof(float), what);
  }
  c->scratch_count = count;
  return true;
}

static unsigned
grid_for(size_t count, unsigned block)
{
  size_t g = (count + block - 1) / block;
  return (unsigned)(g > 65535u * 16u ? 65535u * 16u : g < 1 ? 1 : g);
}

/* ---- elementwise kernels ------------------------------------------------ */

__global__ void
k_fill(float *dst, float v, size_t n)
{
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x)
    dst[i] = v;
}

__global__ void
k_axpy(float *y, float a, const float *x, size_t n)
{
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x)
    y[i] += a * x[i];
}

/* y = relu?(y + b[i % c]); b may be NULL. */
__global__ void
k_bias_relu(float *y, const float *b, int c, bool relu, size_t n)
{
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x) {
    float v = y[i];
    if (b)
      v += b[i % (size_t)c];
    if (relu)
      v = v > 0.0f ? v : 0.0f;
    y[i] = v;
  }
}

__global__ void
k_relu_backward(const float *y, float *dy, size_t n)
{
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x)
    dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

/* dst[i][ky][kx][o] = src[o][ky][kx][i] (+ beta·dst): OHWI ↔ IHWO for the
 * 2×2 transposed conv, whose cuDNN forward conv has the channel roles
 * swapped. taps = KH·KW. */
__global__ void
k_swap_io(float *dst, const float *src, int a, int taps, int b, float beta)
{
  size_t n = (size_t)a * taps * b;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x) {
    /* i indexes src as [a][taps][b] */
    int ib = (int)(i % (size_t)b);
    int t = (int)((i / (size_t)b) % (size_t)taps);
    int ia = (int)(i / ((size_t)b * taps));
    size_t j = ((size_t)ib * taps + t) * a + ia;
    dst[j] = beta != 0.0f ? src[i] + beta * dst[j] : src[i];
  }
}

/* db[o] (+)= Σ over pixels of dy[p][o]; one block per channel, fixed-order
 * tree: deterministic. */
__global__ void
k_bias_grad(const float *dy, float *db, int c, size_t pixels, bool accumulate)
{
  __shared__ double sh[256];
  int o = blockIdx.x;
  double s = 0.0;
  for (size_t p = threadIdx.x; p < pixels; p += blockDim.x)
    s += (double)dy[p * (size_t)c + o];
  sh[threadIdx.x] = s;
  __syncthreads();
  for (unsigned w = blockDim.x / 2; w > 0; w >>= 1) {
    if (threadIdx.x < w)
      sh[threadIdx.x] += sh[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0)
    db[o] = accumulate ? db[o] + (float)sh[0] : (float)sh[0];
}

/* One block per image row: row sum of sqrt(r² + eps²) in a fixed-order
 * tree (deterministic), gradient r / q / m. */
__global__ void
k_charbonnier(const float *s, const float *t, const float *dl, float *g, double *rows, int w,
              float kr, float kg, float kb, float eps2, float inv_m)
{
  __shared__ double sh[256];
  size_t r0 = (size_t)blockIdx.x * (size_t)w;
  double part = 0.0;
  for (int x = threadIdx.x; x < w; x += blockDim.x) {
    size_t i = r0 + (size_t)x;
    float ys = kr * s[3 * i] + kg * s[3 * i + 1] + kb * s[3 * i + 2];
    float yt = kr * t[3 * i] + kg * t[3 * i + 1] + kb * t[3 * i + 2];
    float r = ys + dl[i] - yt;
    float q = sqrtf(r * r + eps2);
    part += (double)q;
    if (g)
      g[i] = r / q * inv_m;
  }
  sh[threadIdx.x] = part;
  __syncthreads();
  for (unsigned h = blockDim.x / 2; h > 0; h >>= 1) {
    if (threadIdx.x < h)
      sh[threadIdx.x] += sh[threadIdx.x + h];
    __syncthreads();
  }
  if (threadIdx.x == 0)
    rows[blockIdx.x] = sh[0];
}

__global__ void
k_apply_luma(const float *s, const float *dl, float *o, bool clamp, size_t m)
{
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < m;
       i += (size_t)gridDim.x * blockDim.x) {
    float d = dl[i];
    for (int k = 0; k < 3; k++) {
      float v = s[3 * i + k] + d;
      if (clamp)
        v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
      o[3 * i + k] = v;
    }
  }
}

__global__ void
k_adam(float *p, const float *g, float *m, float *v, size_t n, float b1, float b2, float lr,
       float eps, float wd, float c1, float c2)
{
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x) {
    float gi = g[i];
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= lr * (mi * c1) / (sqrtf(vi * c2) + eps) + wd * p[i];
  }
}

/* ---- memory ops ---------------------------------------------------------- */

static float *
cu_alloc(void *ctx, size_t count, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  size_t bytes = (count ? count : 1) * sizeof(float);
  if (count > SIZE_MAX / sizeof(float)) {
    set_err(err, SR_ERR_NOMEM, SR_("GPU allocation of %zu floats is too large"), count);
    return NULL;
  }
  if (c->nallocs == c->cap_allocs) {
    size_t cap = c->cap_allocs ? 2 * c->cap_allocs : 64;
    float **a = (float **)realloc(c->allocs, cap * sizeof *a);
    if (!a) {
      set_err(err, SR_ERR_NOMEM, SR_("out of host memory tracking GPU allocations"));
      return NULL;
    }
    c->allocs = a;
    c->cap_allocs = cap;
  }
  void *p = NULL;
  cudaError_t e = cudaMalloc(&p, bytes); /* 256-byte aligned */
  if (e != cudaSuccess) {
    cudaGetLastError();
    oom_message(err, bytes, SR_("a tensor"));
    if (e != cudaErrorMemoryAllocation && err)
      err->code = SR_ERR_BACKEND;
    return NULL;
  }
  c->allocs[c->nallocs++] = (float *)p;
  return (float *)p;
}

static void
cu_release(void *ctx, float *p)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  if (!p)
    return;
  for (size_t i = 0; i < c->nallocs; i++)
    if (c->allocs[i] == p) {
      c->allocs[i] = c->allocs[--c->nallocs];
      /* queued ops on our non-blocking stream may still use p */
      cudaStreamSynchronize(c->stream);
      cudaFree(p);
      return;
    }
}

static bool
cu_upload(void *ctx, float *dst, const float *host, size_t count, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  /* synchronous: the caller may reuse host right after return */
  CK_CUDA(cudaMemcpyAsync(dst, host, count * sizeof(float), cudaMemcpyHostToDevice, c->stream),
          "upload");
  CK_CUDA(cudaStreamSynchronize(c->stream), "upload");
  return true;
}

static bool
cu_download(void *ctx, float *host, const float *src, size_t count, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  CK_CUDA(cudaMemcpyAsync(host, src, count * sizeof(float), cudaMemcpyDeviceToHost, c->stream),
          "download");
  CK_CUDA(cudaStreamSynchronize(c->stream), "download");
  return true;
}

static bool
cu_fill(void *ctx, float *dst, float value, size_t count, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  if (!count)
    return true;
  k_fill<<<grid_for(count, 256), 256, 0, c->stream>>>(dst, value, count);
  CK_LAUNCH("fill");
  return true;
}

static bool
cu_copy(void *ctx, float *dst, const float *src, size_t count, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  if (!count || dst == src)
    return true;
  CK_CUDA(cudaMemcpyAsync(dst, src, count * sizeof(float), cudaMemcpyDeviceToDevice, c->stream),
          "copy");
  return true;
}

static bool
cu_axpy(void *ctx, float *y, float a, const float *x, size_t count, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  if (!count)
    return true;
  k_axpy<<<grid_for(count, 256), 256, 0, c->stream>>>(y, a, x, count);
  CK_LAUNCH("axpy");
  return true;
}

static bool
cu_synchronize(void *ctx, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  CK_CUDA(cudaStreamSynchronize(c->stream), "synchronize");
  return true;
}

/* ---- convolutions ---------------------------------------------------------- */

/* Sets the descriptors for the cuDNN forward conv that realises d:
 * "in" is the cuDNN conv input (x; for UP2 the large tensor), "out" its
 * output (y; for UP2 the small tensor). For UP2 the cuDNN filter is IHWO
 * (K = d->cin, C = d->cout), i.e. our weights with o and i swapped. */
static bool
set_descs(cuda_ctx *c, const sr_conv_desc *d, const sr_tensor *in, const sr_tensor *out,
          const char *what, sr_error *err)
{
  int k = d->kind == SR_CONV_3X3 ? 3 : d->kind == SR_CONV_1X1 ? 1 : 2;
  int pad = d->kind == SR_CONV_3X3 ? 1 : 0;
  int stride = (d->kind == SR_CONV_DOWN2 || d->kind == SR_CONV_UP2) ? 2 : 1;
  int fk = d->kind == SR_CONV_UP2 ? d->cin : d->cout;
  int fc = d->kind == SR_CONV_UP2 ? d->cout : d->cin;
  CK_DNN(cudnnSetTensor4dDescriptor(c->xd, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, in->n, in->c, in->h,
                                    in->w),
         what);
  CK_DNN(cudnnSetTensor4dDescriptor(c->yd, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, out->n, out->c,
                                    out->h, out->w),
         what);
  CK_DNN(cudnnSetFilter4dDescriptor(c->wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, fk, fc, k, k),
         what);
  CK_DNN(cudnnSetConvolution2dDescriptor(c->cd, pad, pad, stride, stride, 1, 1,
                                         CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
         what);
  /* FMA only: CUDNN_DEFAULT_MATH allows TF32 tensor cores on sm_80+, which
   * would miss the 1e-4 agreement with the CPU backend */
  CK_DNN(cudnnSetConvolutionMathType(c->cd, CUDNN_FMA_MATH), what);
  return true;
}

#define N_ALGO 8
/* Workspace above this is left to algorithms nothing cheaper can replace. */
#define WS_CAP ((size_t)1 << 30)

/* Index of the first (fastest by the heuristics) usable algorithm,
 * preferring deterministic ones within the workspace cap; -1 if none. */
template<class Perf>
static int
choose_algo(const Perf *perf, int n)
{
  for (int pass = 0; pass < 3; pass++)
    for (int i = 0; i < n; i++) {
      if (perf[i].status != CUDNN_STATUS_SUCCESS)
        continue;
      if (pass == 0 && (perf[i].determinism != CUDNN_DETERMINISTIC || perf[i].memory > WS_CAP))
        continue;
      if (pass == 1 && perf[i].memory > WS_CAP)
        continue;
      return i;
    }
  return -1;
}

/* Picks the fastest deterministic algorithm the heuristics offer (any if
 * none is deterministic) and grows the workspace for it. */
static bool
pick_fwd(cuda_ctx *c, cudnnConvolutionFwdAlgo_t *algo, size_t *ws, const char *what, sr_error *err)
{
  cudnnConvolutionFwdAlgoPerf_t perf[N_ALGO];
  int n = 0;
  CK_DNN(
      cudnnGetConvolutionForwardAlgorithm_v7(c->dnn, c->xd, c->wd, c->cd, c->yd, N_ALGO, &n, perf),
      what);
  int best = choose_algo(perf, n);
  if (best < 0) {
    set_err(err, SR_ERR_BACKEND, SR_("cuDNN offers no forward algorithm for %s"), what);
    return false;
  }
  *algo = perf[best].algo;
  CK_DNN(cudnnGetConvolutionForwardWorkspaceSize(c->dnn, c->xd, c->wd, c->cd, c->yd, *algo, ws),
         what);
  return ensure_workspace(c, *ws, what, err);
}

static bool
pick_bwd_data(cuda_ctx *c, cudnnConvolutionBwdDataAlgo_t *algo, size_t *ws, const char *what,
              sr_error *err)
{
  cudnnConvolutionBwdDataAlgoPerf_t perf[N_ALGO];
  int n = 0;
  CK_DNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(c->dnn, c->wd, c->yd, c->cd, c->xd, N_ALGO, &n,
                                                     perf),
         what);
  int best = choose_algo(perf, n);
  if (best < 0) {
    set_err(err, SR_ERR_BACKEND, SR_("cuDNN offers no backward-data algorithm for %s"), what);
    return false;
  }
  *algo = perf[best].algo;
  CK_DNN(
      cudnnGetConvolutionBackwardDataWorkspaceSize(c->dnn, c->wd, c->yd, c->cd, c->xd, *algo, ws),
      what);
  return ensure_workspace(c, *ws, what, err);
}

static bool
pick_bwd_filter(cuda_ctx *c, cudnnConvolutionBwdFilterAlgo_t *algo, size_t *ws, const char *what,
                sr_error *err)
{
  cudnnConvolutionBwdFilterAlgoPerf_t perf[N_ALGO];
  int n = 0;
  CK_DNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(c->dnn, c->xd, c->yd, c->cd, c->wd, N_ALGO,
                                                       &n, perf),
         what);
  int best = choose_algo(perf, n);
  if (best < 0) {
    set_err(err, SR_ERR_BACKEND, SR_("cuDNN offers no backward-filter algorithm for %s"), what);
    return false;
  }
  *algo = perf[best].algo;
  CK_DNN(
      cudnnGetConvolutionBackwardFilterWorkspaceSize(c->dnn, c->xd, c->yd, c->cd, c->wd, *algo, ws),
      what);
  return ensure_workspace(c, *ws, what, err);
}

/* Weights in the cuDNN filter layout: w itself, or for UP2 its IHWO
 * transpose in the scratch buffer. */
static bool
filter_of(cuda_ctx *c, const sr_conv_desc *d, const float *w, const float **out, const char *what,
          sr_error *err)
{
  if (d->kind != SR_CONV_UP2) {
    *out = w;
    return true;
  }
  size_t n = (size_t)d->cout * 4 * d->cin;
  if (!ensure_scratch(c, n, what, err))
    return false;
  k_swap_io<<<grid_for(n, 256), 256, 0, c->stream>>>(c->scratch, w, d->cout, 4, d->cin, 0.0f);
  CK_LAUNCH(what);
  *out = c->scratch;
  return true;
}

static bool
cu_conv_forward(void *ctx, const sr_conv_desc *d, const sr_tensor *x, const float *w,
                const float *b, sr_tensor *y, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  char what[160];
  shape_text(what, sizeof what, "conv forward", d, x);
  const float *f;
  if (!filter_of(c, d, w, &f, what, err))
    return false;
  float one = 1.0f, beta = d->accumulate ? 1.0f : 0.0f;
  size_t ws = 0;
  if (d->kind == SR_CONV_UP2) {
    /* transposed conv = data gradient of the stride-2 conv from y to x */
    if (!set_descs(c, d, y, x, what, err))
      return false;
    cudnnConvolutionBwdDataAlgo_t algo;
    if (!pick_bwd_data(c, &algo, &ws, what, err))
      return false;
    CK_DNN(cudnnConvolutionBackwardData(c->dnn, &one, c->wd, f, c->yd, x->data, c->cd, algo,
                                        c->workspace, ws, &beta, c->xd, y->data),
           what);
  } else {
    if (!set_descs(c, d, x, y, what, err))
      return false;
    cudnnConvolutionFwdAlgo_t algo;
    if (!pick_fwd(c, &algo, &ws, what, err))
      return false;
    CK_DNN(cudnnConvolutionForward(c->dnn, &one, c->xd, x->data, c->wd, f, c->cd, algo,
                                   c->workspace, ws, &beta, c->yd, y->data),
           what);
  }
  if ((d->bias && b) || d->relu) {
    size_t n = sr_tensor_count(y);
    k_bias_relu<<<grid_for(n, 256), 256, 0, c->stream>>>(y->data, d->bias ? b : NULL, y->c, d->relu,
                                                         n);
    CK_LAUNCH(what);
  }
  return true;
}

static bool
cu_conv_backward_data(void *ctx, const sr_conv_desc *d, const sr_tensor *dy, const float *w,
                      sr_tensor *dx, bool accumulate, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  char what[160];
  shape_text(what, sizeof what, "conv backward data", d, dy);
  const float *f;
  if (!filter_of(c, d, w, &f, what, err))
    return false;
  float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  size_t ws = 0;
  if (d->kind == SR_CONV_UP2) {
    /* gradient of a transposed conv = the forward stride-2 conv */
    if (!set_descs(c, d, dy, dx, what, err))
      return false;
    cudnnConvolutionFwdAlgo_t algo;
    if (!pick_fwd(c, &algo, &ws, what, err))
      return false;
    CK_DNN(cudnnConvolutionForward(c->dnn, &one, c->xd, dy->data, c->wd, f, c->cd, algo,
                                   c->workspace, ws, &beta, c->yd, dx->data),
           what);
  } else {
    if (!set_descs(c, d, dx, dy, what, err))
      return false;
    cudnnConvolutionBwdDataAlgo_t algo;
    if (!pick_bwd_data(c, &algo, &ws, what, err))
      return false;
    CK_DNN(cudnnConvolutionBackwardData(c->dnn, &one, c->wd, f, c->yd, dy->data, c->cd, algo,
                                        c->workspace, ws, &beta, c->xd, dx->data),
           what);
  }
  return true;
}

static bool
cu_conv_backward_weights(void *ctx, const sr_conv_desc *d, const sr_tensor *x, const sr_tensor *dy,
                         float *dw, float *db, bool accumulate, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  char what[160];
  shape_text(what, sizeof what, "conv backward weights", d, x);
  float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  size_t ws = 0;
  cudnnConvolutionBwdFilterAlgo_t algo;
  if (d->kind == SR_CONV_UP2) {
    /* filter gradient of the stride-2 conv from dy (large) to x (small),
     * in IHWO, then swapped back to OHWI (adding when accumulating) */
    size_t n = (size_t)d->cout * 4 * d->cin;
    if (!ensure_scratch(c, n, what, err))
      return false;
    if (!set_descs(c, d, dy, x, what, err) || !pick_bwd_filter(c, &algo, &ws, what, err))
      return false;
    float zero = 0.0f;
    CK_DNN(cudnnConvolutionBackwardFilter(c->dnn, &one, c->xd, dy->data, c->yd, x->data, c->cd,
                                          algo, c->workspace, ws, &zero, c->wd, c->scratch),
           what);
    k_swap_io<<<grid_for(n, 256), 256, 0, c->stream>>>(dw, c->scratch, d->cin, 4, d->cout, beta);
    CK_LAUNCH(what);
  } else {
    if (!set_descs(c, d, x, dy, what, err) || !pick_bwd_filter(c, &algo, &ws, what, err))
      return false;
    CK_DNN(cudnnConvolutionBackwardFilter(c->dnn, &one, c->xd, x->data, c->yd, dy->data, c->cd,
                                          algo, c->workspace, ws, &beta, c->wd, dw),
           what);
  }
  if (d->bias && db) {
    size_t pixels = (size_t)dy->n * dy->h * dy->w;
    k_bias_grad<<<dy->c, 256, 0, c->stream>>>(dy->data, db, dy->c, pixels, accumulate);
    CK_LAUNCH(what);
  }
  return true;
}

static bool
cu_relu_backward(void *ctx, const sr_tensor *y, sr_tensor *dy, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  size_t n = sr_tensor_count(y);
  if (!n)
    return true;
  k_relu_backward<<<grid_for(n, 256), 256, 0, c->stream>>>(y->data, dy->data, n);
  CK_LAUNCH("ReLU backward");
  return true;
}

/* ---- loss, residual, optimiser ----------------------------------------- */

static bool
cu_charbonnier_luma(void *ctx, const sr_loss_desc *d, const sr_tensor *src, const sr_tensor *delta,
                    const sr_tensor *target, double *loss, sr_tensor *ddelta, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  size_t m = sr_tensor_count(delta);
  size_t rows = (size_t)delta->n * delta->h;
  char what[128];
  snprintf(what, sizeof what, "Charbonnier loss %dx%dx%d", delta->n, delta->h, delta->w);
  if (!m) {
    *loss = 0.0;
    return true;
  }
  if (rows > c->partials_count) {
    if (c->partials) {
      CK_CUDA(cudaStreamSynchronize(c->stream), what);
      cudaFree(c->partials);
    }
    free(c->host_partials);
    c->partials = NULL;
    c->partials_count = 0;
    c->host_partials = (double *)malloc(rows * sizeof(double));
    if (!c->host_partials) {
      set_err(err, SR_ERR_NOMEM, SR_("out of host memory in %s"), what);
      return false;
    }
    if (cudaMalloc(&c->partials, rows * sizeof(double)) != cudaSuccess) {
      cudaGetLastError();
      c->partials = NULL;
      return oom_message(err, rows * sizeof(double), what);
    }
    c->partials_count = rows;
  }
  float eps2 = d->eps * d->eps, inv_m = (float)(1.0 / (double)m);
  k_charbonnier<<<(unsigned)rows, 256, 0, c->stream>>>(src->data, target->data, delta->data,
                                                       ddelta ? ddelta->data : NULL, c->partials,
                                                       delta->w, d->kr, d->kg, d->kb, eps2, inv_m);
  CK_LAUNCH(what);
  CK_CUDA(cudaMemcpyAsync(c->host_partials, c->partials, rows * sizeof(double),
                          cudaMemcpyDeviceToHost, c->stream),
          what);
  CK_CUDA(cudaStreamSynchronize(c->stream), what);
  double total = 0.0;
  for (size_t r = 0; r < rows; r++)
    total += c->host_partials[r];
  *loss = total / (double)m;
  return true;
}

static bool
cu_apply_luma_residual(void *ctx, const sr_tensor *src, const sr_tensor *delta, bool clamp,
                       sr_tensor *out, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  size_t m = sr_tensor_count(delta);
  if (!m)
    return true;
  k_apply_luma<<<grid_for(m, 256), 256, 0, c->stream>>>(src->data, delta->data, out->data, clamp,
                                                        m);
  CK_LAUNCH("apply luma residual");
  return true;
}

static bool
cu_adam(void *ctx, const sr_adam_desc *d, float *param, const float *grad, float *m, float *v,
        size_t count, sr_error *err)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  if (!count)
    return true;
  /* bias corrections in double on the host, as the CPU backend does */
  double t = (double)d->step;
  float c1 = (float)(1.0 / (1.0 - pow((double)d->beta1, t)));
  float c2 = (float)(1.0 / (1.0 - pow((double)d->beta2, t)));
  k_adam<<<grid_for(count, 256), 256, 0, c->stream>>>(
      param, grad, m, v, count, d->beta1, d->beta2, d->lr, d->eps, d->lr * d->weight_decay, c1, c2);
  CK_LAUNCH("Adam");
  return true;
}

/* ---- lifetime ------------------------------------------------------------ */

static void
cu_destroy(void *ctx)
{
  cuda_ctx *c = (cuda_ctx *)ctx;
  if (!c)
    return;
  cudaSetDevice(c->device);
  if (c->stream)
    cudaStreamSynchronize(c->stream);
  for (size_t i = 0; i < c->nallocs; i++)
    cudaFree(c->allocs[i]);
  free(c->allocs);
  cudaFree(c->workspace);
  cudaFree(c->scratch);
  cudaFree(c->partials);
  free(c->host_partials);
  if (c->cd)
    cudnnDestroyConvolutionDescriptor(c->cd);
  if (c->wd)
    cudnnDestroyFilterDescriptor(c->wd);
  if (c->yd)
    cudnnDestroyTensorDescriptor(c->yd);
  if (c->xd)
    cudnnDestroyTensorDescriptor(c->xd);
  if (c->dnn)
    cudnnDestroy(c->dnn);
  if (c->stream)
    cudaStreamDestroy(c->stream);
  free(c);
}

static const sr_backend_ops cuda_ops = {
    cu_destroy,
    cu_alloc,
    cu_release,
    cu_upload,
    cu_download,
    cu_fill,
    cu_copy,
    cu_axpy,
    cu_synchronize,
    cu_conv_forward,
    cu_conv_backward_data,
    cu_conv_backward_weights,
    cu_relu_backward,
    cu_charbonnier_luma,
    cu_apply_luma_residual,
    cu_adam,
};

/* Why no device is usable, in the archivist's words. */
static const char *
device_problem(cudaError_t e)
{
  switch (e) {
  case cudaErrorInsufficientDriver: return SR_("NVIDIA driver too old for this CUDA runtime");
  case cudaErrorNoDevice: return SR_("no CUDA-capable GPU found");
  default: break;
  }
  /* a missing libcuda.so surfaces as these */
  if (e == cudaErrorInitializationError || e == cudaErrorStubLibrary ||
      e == cudaErrorSystemNotReady || e == cudaErrorCompatNotSupportedOnDevice)
    return SR_("no NVIDIA driver");
  return cudaGetErrorString(e);
}

static int
probe_devices(char *reason, size_t reason_len)
{
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    /* cudaGetDeviceCount reports "insufficient driver" also when there is
     * no driver at all; tell the two apart by the driver version */
    int drv = 0;
    if (e == cudaErrorInsufficientDriver && cudaDriverGetVersion(&drv) == cudaSuccess && drv == 0)
      set_reason(reason, reason_len, SR_("no NVIDIA driver"));
    else
      set_reason(reason, reason_len, device_problem(e));
    return 0;
  }
  if (n == 0)
    set_reason(reason, reason_len, SR_("no CUDA-capable GPU found"));
  return n;
}

#define CK_CREATE(call, what)                                                         \
  do {                                                                                \
    if (!(call)) {                                                                    \
      set_reason(reason, reason_len, err && err->message[0] ? err->message : (what)); \
      cu_destroy(c);                                                                  \
      return NULL;                                                                    \
    }                                                                                 \
  } while (0)

static bool
init_ctx(cuda_ctx *c, sr_error *err)
{
  const char *what = SR_("backend start");
  CK_CUDA(cudaSetDevice(c->device), what);
  CK_CUDA(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking), what);
  CK_DNN(cudnnCreate(&c->dnn), what);
  CK_DNN(cudnnSetStream(c->dnn, c->stream), what);
  CK_DNN(cudnnCreateTensorDescriptor(&c->xd), what);
  CK_DNN(cudnnCreateTensorDescriptor(&c->yd), what);
  CK_DNN(cudnnCreateFilterDescriptor(&c->wd), what);
  CK_DNN(cudnnCreateConvolutionDescriptor(&c->cd), what);
  return true;
}

SR_EXPORT sr_backend *
sr_backend_cuda_create(int device, char *reason, size_t reason_len, sr_error *err)
{
  if (reason && reason_len)
    reason[0] = '\0';
  int n = probe_devices(reason, reason_len);
  if (n <= 0) {
    set_err(err, SR_ERR_BACKEND, SR_("CUDA backend unavailable: %s"),
            reason && reason[0] ? reason : SR_("no GPU"));
    return NULL;
  }
  if (device < 0 || device >= n) {
    char msg[128];
    snprintf(msg, sizeof msg, SR_("GPU %d does not exist (this machine has %d)"), device, n);
    set_reason(reason, reason_len, msg);
    set_err(err, SR_ERR_INVALID, "%s", msg);
    return NULL;
  }
  cuda_ctx *c = (cuda_ctx *)calloc(1, sizeof *c);
  if (!c) {
    set_err(err, SR_ERR_NOMEM, SR_("out of memory starting the CUDA backend"));
    set_reason(reason, reason_len, SR_("out of host memory"));
    return NULL;
  }
  c->device = device;
  sr_error local = {SR_OK, ""};
  if (!err)
    err = &local;
  CK_CREATE(init_ctx(c, err), SR_("CUDA backend failed to start"));
  cudaDeviceProp prop;
  CK_CREATE(cudaGetDeviceProperties(&prop, device) == cudaSuccess, SR_("cannot query the GPU"));
  c->be.abi_version = SR_BACKEND_ABI_VERSION;
  snprintf(c->be.name, sizeof c->be.name, "cuda");
  snprintf(c->be.description, sizeof c->be.description,
           "CUDA GPU %d: %.180s, compute %d.%d, %.1f GiB, cuDNN %zu fp32", device, prop.name,
           prop.major, prop.minor, (double)prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0),
           cudnnGetVersion());
  /* deterministic algorithms are preferred but not guaranteed to exist */
  c->be.deterministic = false;
  c->be.channel_block = 0; /* takes NHWC tensors only */
  c->be.ops = &cuda_ops;
  c->be.ctx = c;
  c->be.module = NULL;
  return &c->be;
}

SR_EXPORT bool
sr_backend_cuda_list_devices(sr_device_info *out, size_t max, size_t *count, char *reason,
                             size_t reason_len, sr_error *err)
{
  if (reason && reason_len)
    reason[0] = '\0';
  *count = 0;
  int n = probe_devices(reason, reason_len);
  int drv = 0, rt = 0;
  cudaDriverGetVersion(&drv);
  cudaRuntimeGetVersion(&rt);
  size_t dnn = cudnnGetVersion();
  for (int i = 0; i < n && *count < max; i++) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    sr_device_info *d = &out[(*count)++];
    memset(d, 0, sizeof *d);
    snprintf(d->backend, sizeof d->backend, "cuda");
    d->index = i;
    snprintf(d->name, sizeof d->name, "%s", prop.name);
    d->threads = 0;
    d->memory = (uint64_t)prop.totalGlobalMem;
    snprintf(d->detail, sizeof d->detail,
             "compute %d.%d, driver %d.%d, runtime %d.%d, cuDNN %zu.%zu.%zu", prop.major,
             prop.minor, drv / 1000, (drv % 1000) / 10, rt / 1000, (rt % 1000) / 10, dnn / 10000,
             (dnn % 10000) / 100, dnn % 100);
  }
  if (n > 0 && *count == 0)
    set_reason(reason, reason_len, SR_("no CUDA device could be queried"));
  return true;
}
