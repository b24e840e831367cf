/* sr-backend-cpu.c — the CPU backend: oneDNN primitives over host memory.
 *
 * Convolutions (forward, backward data, backward weights, transposed) and
 * the ReLU backward are oneDNN primitives, created the first time a shape
 * is seen and cached in the context for every later step. Two places
 * where oneDNN 2.6 is slow are worked around: the stride-2 forward between
 * NHWC tensors runs as matrix products (down2_rows), and a transposed
 * convolution's bias is added after it (add_bias). Activations are NHWC as
 * the interface says; weights are handed to oneDNN in whatever layout it
 * prefers (format "any") through a cached reorder from our OHWI, since
 * blocked weights are what its fastest kernels read and reordering a few
 * hundred kilobytes a step costs nothing next to the convolution.
 * Threading is oneDNN's (OpenMP). Ops smaller than about two million
 * multiply-adds run on one thread: a fork/join costs more than they do,
 * and far more on a busy machine. The thread count of a primitive depends
 * only on its shape, so results stay repeatable. The loss, Adam and the
 * accumulations are plain loops, split over the same OpenMP threads when
 * large (each element's arithmetic, and the loss's summation order, do not
 * depend on the split).
 *
 * Layouts. oneDNN's convolutions run fastest over its channel-blocked
 * layout (nChw8c on AVX2, nChw16c on AVX-512; the block is asked of oneDNN
 * when the backend starts and offered as sr_backend.channel_block). The
 * network keeps its inner activations and gradients in it
 * (SR_LAYOUT_BLOCKED), so those go to every primitive as they are. An NHWC
 * tensor beside a blocked one (the network's input and head) lets oneDNN
 * choose its layout and is reordered at each call. Between NHWC tensors
 * (any caller but the network): backward weights, and the 3×3 backward
 * data on large tensors, go through the blocked layout, since their NHWC
 * kernels cost up to 2.5–4× the forward on AVX2; the forward stays NHWC.
 */
#include "sr-backend.h"
#include "sr-i18n.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dnnl.h>
#include <dnnl_debug.h>

typedef enum entry_op {
  OP_FWD = 0,
  OP_BWD_DATA,
  OP_BWD_WEIGHTS,
  OP_RELU_BWD,
} entry_op;

/* One side of a cached primitive (x: the source or its gradient; y: the
 * destination or its gradient): a memory over the tensor as the caller
 * holds it and, when the primitive works in another layout, a memory in
 * that layout (in the context's layout buffer) with the reorders the op
 * needs: in before it reads the side, out after it writes it. */
typedef struct side {
  dnnl_memory_t user, prim; /* prim NULL: the primitive uses the tensor as is */
  dnnl_primitive_t in, out;
  size_t bytes; /* of prim's layout, a multiple of 64 */
} side;

/* One cached primitive with its memory objects (data handles are set at
 * every execution). For convolutions n/h/w are the x side's; xl and yl
 * the layouts of the tensors the caller passes. */
typedef struct entry {
  entry_op op;
  sr_conv_desc d;
  int n, h, w, c;
  sr_layout xl, yl;
  dnnl_primitive_t prim;
  side x, y;
  dnnl_memory_t m_bias, m_wuser, m_wprim;
  dnnl_primitive_t wreorder; /* NULL when oneDNN reads OHWI directly */
  int nthr;                  /* OpenMP threads it was created and runs with */
  bool own_bias;             /* the bias is added by add_bias, not the primitive */
  float *wbuf;               /* weights in oneDNN's layout, when reordered */
  struct entry *next;
} entry;

typedef struct cpu_ctx {
  sr_backend be; /* first, so destroy can free the whole thing */
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  int threads;     /* as asked; 0 = OpenMP's default */
  int max_threads; /* what large ops use */
  void (*set_threads)(int);
  entry *cache;
  float *scratch;
  size_t scratch_count;
  float *blk; /* the sides of a call that go through another layout */
  size_t blk_count;
  int block; /* channel block of SR_LAYOUT_BLOCKED (8 or 16), 0 if none */
} cpu_ctx;

static bool
dnnl_ok(dnnl_status_t st, const char *what, sr_error *err)
{
  if (st == dnnl_success)
    return true;
  sr_error_set(err, st == dnnl_out_of_memory ? SR_ERR_NOMEM : SR_ERR_BACKEND,
               SR_("CPU backend: oneDNN %s failed (%s)"), what, dnnl_status2str(st));
  return false;
}

/* Below this many multiply-adds (or elements, for elementwise ops) an op
 * runs on one thread. */
#define SMALL_WORK 2e6

/* A loop over independent elements on nthr threads (a local variable set
 * with loop_threads). */
#ifdef _OPENMP
#define SR_PARALLEL_FOR _Pragma("omp parallel for schedule(static) num_threads(nthr)")
#else
#define SR_PARALLEL_FOR (void)nthr;
#endif
/* The same, OR-ing the int bad over the threads. */
#ifdef _OPENMP
#define SR_PARALLEL_FOR_BAD \
  _Pragma("omp parallel for schedule(static) num_threads(nthr) reduction(| : bad)")
#else
#define SR_PARALLEL_FOR_BAD (void)nthr;
#endif

static void
use_threads(cpu_ctx *c, int n)
{
  /* OpenMP's thread count belongs to the calling thread: set it on the
   * thread that runs the ops (a worker, not necessarily our creator), both
   * when a primitive is created (oneDNN plans its split then) and when it
   * runs. */
  if (c->set_threads && n > 0)
    c->set_threads(n);
}

/* Threads for work multiply-adds (or elements): one below SMALL_WORK. */
static int
loop_threads(const cpu_ctx *c, double work)
{
  return work < SMALL_WORK || c->max_threads < 1 ? 1 : c->max_threads;
}

/* ---- memory ----------------------------------------------------------------- */

static float *
cpu_alloc(void *ctx, size_t count, sr_error *err)
{
  size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
  float *p = aligned_alloc(64, bytes);
  if (!p)
    sr_error_set(err, SR_ERR_NOMEM, SR_("CPU backend: out of memory allocating %.1f MiB"),
                 (double)bytes / (1024.0 * 1024.0));
  return p;
}

static void
cpu_release(void *ctx, float *p)
{
  free(p);
}

static bool
cpu_upload(void *ctx, float *dst, const float *host, size_t count, sr_error *err)
{
  memmove(dst, host, count * sizeof(float));
  return true;
}

static bool
cpu_download(void *ctx, float *host, const float *src, size_t count, sr_error *err)
{
  memmove(host, src, count * sizeof(float));
  return true;
}

static bool
cpu_fill(void *ctx, float *dst, float value, size_t count, sr_error *err)
{
  int nthr = loop_threads(ctx, count);
  SR_PARALLEL_FOR
  for (size_t i = 0; i < count; i++)
    dst[i] = value;
  return true;
}

static bool
cpu_copy(void *ctx, float *dst, const float *src, size_t count, sr_error *err)
{
  memmove(dst, src, count * sizeof(float));
  return true;
}

static bool
cpu_axpy(void *ctx, float *restrict y, float a, const float *restrict x, size_t count,
         sr_error *err)
{
  int nthr = loop_threads(ctx, count);
  SR_PARALLEL_FOR
  for (size_t i = 0; i < count; i++)
    y[i] += a * x[i];
  return true;
}

static bool
cpu_synchronize(void *ctx, sr_error *err)
{
  return true;
}

/* A buffer of at least count floats kept in *buf between calls. */
static float *
grow(cpu_ctx *c, float **buf, size_t *have, size_t count, sr_error *err)
{
  if (*have >= count)
    return *buf;
  free(*buf);
  *have = 0;
  *buf = cpu_alloc(c, count, err);
  if (*buf)
    *have = count;
  return *buf;
}

static float *
scratch(cpu_ctx *c, size_t count, sr_error *err)
{
  return grow(c, &c->scratch, &c->scratch_count, count, err);
}

/* ---- primitive cache -------------------------------------------------------- */

static void
entry_free(entry *e)
{
  if (e->prim)
    dnnl_primitive_destroy(e->prim);
  dnnl_primitive_t ps[] = {e->wreorder, e->x.in, e->x.out, e->y.in, e->y.out};
  for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
    if (ps[i])
      dnnl_primitive_destroy(ps[i]);
  dnnl_memory_t ms[] = {e->x.user, e->x.prim,  e->y.user, e->y.prim,
                        e->m_bias, e->m_wuser, e->m_wprim};
  for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
    if (ms[i])
      dnnl_memory_destroy(ms[i]);
  free(e->wbuf);
  free(e);
}

/* An activation of the given layout; NHWC with any: oneDNN's choice. */
static void
act_md(dnnl_memory_desc_t *md, int n, int h, int w, int c, sr_layout layout, int block, bool any)
{
  dnnl_dims_t dims = {n, c, h, w};
  dnnl_format_tag_t tag = dnnl_nhwc;
  if (layout == SR_LAYOUT_BLOCKED)
    tag = block == 16 ? dnnl_aBcd16b : dnnl_aBcd8b;
  else if (any)
    tag = dnnl_format_tag_any;
  dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, tag);
}

static void
weights_md(dnnl_memory_desc_t *md, const sr_conv_desc *d, dnnl_format_tag_t tag)
{
  int k = sr_conv_kernel(d->kind);
  /* Both convolution and deconvolution weights are {OC, IC, KH, KW} with
   * OC the primitive's output channels, so OHWI means the same for both. */
  dnnl_dims_t dims = {d->cout, d->cin, k, k};
  dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, tag);
}

static void
bias_md(dnnl_memory_desc_t *md, const sr_conv_desc *d)
{
  dnnl_dims_t dims = {d->cout};
  dnnl_memory_desc_init_by_tag(md, 1, dims, dnnl_f32, dnnl_a);
}

static void
geometry(const sr_conv_desc *d, dnnl_dims_t strides, dnnl_dims_t pad)
{
  int s = (d->kind == SR_CONV_DOWN2 || d->kind == SR_CONV_UP2) ? 2 : 1;
  int p = d->kind == SR_CONV_3X3 ? 1 : 0;
  strides[0] = strides[1] = s;
  pad[0] = pad[1] = p;
}

static void
out_size(const sr_conv_desc *d, int h, int w, int *oh, int *ow)
{
  *oh = h, *ow = w;
  if (d->kind == SR_CONV_DOWN2)
    *oh = h / 2, *ow = w / 2;
  else if (d->kind == SR_CONV_UP2)
    *oh = h * 2, *ow = w * 2;
}

/* Forward descriptor (conv or deconv) over x (n×h×w×cin) → y. */
static bool
fwd_desc(const sr_conv_desc *d, const dnnl_memory_desc_t *xmd, const dnnl_memory_desc_t *ymd,
         dnnl_convolution_desc_t *cd, sr_error *err)
{
  dnnl_memory_desc_t x = *xmd, y = *ymd, wt, b;
  weights_md(&wt, d, dnnl_format_tag_any);
  bias_md(&b, d);
  dnnl_dims_t strides, pad;
  geometry(d, strides, pad);
  dnnl_status_t st;
  if (d->kind == SR_CONV_UP2)
    st = dnnl_deconvolution_forward_desc_init(cd, dnnl_forward_training, dnnl_deconvolution_direct,
                                              &x, &wt, d->bias ? &b : NULL, &y, strides, pad, pad);
  else
    st = dnnl_convolution_forward_desc_init(cd, dnnl_forward_training, dnnl_convolution_direct, &x,
                                            &wt, d->bias ? &b : NULL, &y, strides, pad, pad);
  return dnnl_ok(st, "convolution descriptor", err);
}

static bool
make_memory(cpu_ctx *c, dnnl_memory_t *m, const dnnl_memory_desc_t *md, sr_error *err)
{
  return dnnl_ok(dnnl_memory_create(m, md, c->engine, DNNL_MEMORY_NONE), "memory", err);
}

/* Threads of e's weight reorder: one below SMALL_WORK elements, as for any
 * small op (at most 590K for M): a fork/join per reorder, three per layer
 * and step, costs more than the copy. */
static int
weight_threads(const cpu_ctx *c, const entry *e)
{
  return (double)sr_conv_weight_count(&e->d) < SMALL_WORK ? 1 : e->nthr;
}

/* Sets up the weight memories and, when oneDNN's layout differs from OHWI,
 * a reorder between them (OHWI → theirs, or theirs → OHWI if to_user). */
static bool
setup_weights(cpu_ctx *c, entry *e, const dnnl_memory_desc_t *prim_md, bool to_user, sr_error *err)
{
  dnnl_memory_desc_t user;
  weights_md(&user, &e->d, dnnl_ohwi);
  if (!make_memory(c, &e->m_wuser, &user, err))
    return false;
  if (dnnl_memory_desc_equal(&user, prim_md))
    return true;
  size_t bytes = dnnl_memory_desc_get_size(prim_md);
  e->wbuf = cpu_alloc(c, bytes / sizeof(float) + 1, err);
  if (!e->wbuf)
    return false;
  if (!dnnl_ok(dnnl_memory_create(&e->m_wprim, prim_md, c->engine, e->wbuf), "memory", err))
    return false;
  dnnl_primitive_desc_t rpd = NULL;
  const dnnl_memory_desc_t *from = to_user ? prim_md : &user;
  const dnnl_memory_desc_t *to = to_user ? &user : prim_md;
  if (!dnnl_ok(dnnl_reorder_primitive_desc_create(&rpd, from, c->engine, to, c->engine, NULL),
               "weight reorder", err))
    return false;
  use_threads(c, weight_threads(c, e));
  dnnl_status_t st = dnnl_primitive_create(&e->wreorder, rpd);
  use_threads(c, e->nthr);
  dnnl_primitive_desc_destroy(rpd);
  return dnnl_ok(st, "weight reorder", err);
}

static bool
make_reorder(cpu_ctx *c, dnnl_primitive_t *r, const dnnl_memory_desc_t *from,
             const dnnl_memory_desc_t *to, sr_error *err)
{
  dnnl_primitive_desc_t rpd = NULL;
  if (!dnnl_ok(dnnl_reorder_primitive_desc_create(&rpd, from, c->engine, to, c->engine, NULL),
               "activation reorder", err))
    return false;
  dnnl_status_t st = dnnl_primitive_create(r, rpd);
  dnnl_primitive_desc_destroy(rpd);
  return dnnl_ok(st, "activation reorder", err);
}

/* Sets up one side: the caller's memory (user) and, when the primitive
 * chose another layout (prim_md), its memory and the reorders the op needs
 * (reads: user → prim before; writes: prim → user after). */
static bool
setup_side(cpu_ctx *c, side *s, const dnnl_memory_desc_t *user, const dnnl_memory_desc_t *prim_md,
           bool reads, bool writes, sr_error *err)
{
  if (!make_memory(c, &s->user, user, err))
    return false;
  if (dnnl_memory_desc_equal(user, prim_md))
    return true;
  s->bytes = (dnnl_memory_desc_get_size(prim_md) + 63) & ~(size_t)63;
  return make_memory(c, &s->prim, prim_md, err) &&
         (!reads || make_reorder(c, &s->in, user, prim_md, err)) &&
         (!writes || make_reorder(c, &s->out, prim_md, user, err));
}

/* Between NHWC tensors, the 3×3 backward data goes through the blocked
 * layout only for large tensors of 32 channels or more (dx of 1.5M elements or more, 6 MB: beyond
 * a core's cache share), where the NHWC kernel falls behind; on smaller or
 * thinner ones (S's 16 channels, the deep levels of M at small patches) the
 * two reorders cost as much as they save (measured on AVX2 at two threads,
 * docs/benchmarks.md). */
static bool
blocked_bwd_data(const sr_conv_desc *d, const entry *e)
{
  return d->kind == SR_CONV_3X3 && d->cin >= 32 &&
         (double)e->n * e->h * e->w * d->cin >= 1.5 * 1024 * 1024;
}

/* Whether an NHWC side of e goes to oneDNN as "any" (its choice, reordered
 * at each call) rather than as is. The network's inner tensors come
 * BLOCKED and are used as they are; an NHWC tensor beside a BLOCKED one
 * (the network's 3-channel input, its 1-channel output) lets oneDNN choose,
 * since few of its kernels mix the two. Between NHWC tensors: backward
 * weights always (its NHWC kernels cost 2.5–4× the forward on AVX2), the
 * 3×3 backward data on large tensors, the forward never. */
static bool
side_any(const entry *e, sr_layout mine, sr_layout other)
{
  if (mine != SR_LAYOUT_NHWC)
    return false;
  if (other == SR_LAYOUT_BLOCKED)
    return true;
  return e->op == OP_BWD_WEIGHTS || (e->op == OP_BWD_DATA && blocked_bwd_data(&e->d, e));
}

/* Whether e's bias is left out of its primitive and added by add_bias
 * after it. oneDNN adds a transposed convolution's bias in a pass of its
 * own that costs more than the convolution: on AVX2 at two threads, the
 * 2×2 stride-2 up from 64 channels at 64² to 32 at 128², batch 3, takes
 * 2.5 ms with the bias and 0.95 ms without, in either layout. Only where
 * no ReLU follows (the ReLU must see the bias). */
static bool
own_bias(const entry *e)
{
  return e->op == OP_FWD && e->d.kind == SR_CONV_UP2 && e->d.bias && !e->d.relu;
}

/* y += b per channel, over y's layout. */
static void
add_bias(cpu_ctx *c, const sr_tensor *y, const float *b)
{
  size_t count = sr_tensor_count(y);
  int nthr = loop_threads(c, count);
  if (y->layout == SR_LAYOUT_BLOCKED) {
    /* planes of h×w×block values, one channel block each, blocks in turn */
    size_t block = (size_t)c->block, plane = (size_t)y->h * y->w * block;
    size_t planes = count / plane, blocks = (size_t)y->c / block;
    SR_PARALLEL_FOR
    for (size_t p = 0; p < planes; p++) {
      float *restrict v = y->data + p * plane;
      const float *restrict bb = b + (p % blocks) * block;
      for (size_t i = 0; i < plane; i += block)
        for (size_t j = 0; j < block; j++)
          v[i + j] += bb[j];
    }
  } else {
    size_t ch = (size_t)y->c, pixels = count / ch;
    SR_PARALLEL_FOR
    for (size_t p = 0; p < pixels; p++) {
      float *restrict v = y->data + p * ch;
      for (size_t j = 0; j < ch; j++)
        v[j] += b[j];
    }
  }
}

static bool
build_conv_entry(cpu_ctx *c, entry *e, sr_error *err)
{
  const sr_conv_desc *d = &e->d;
  e->own_bias = own_bias(e);
  sr_conv_desc fdesc = *d;
  fdesc.bias = d->bias && !e->own_bias;
  int oh, ow;
  out_size(d, e->h, e->w, &oh, &ow);
  dnnl_memory_desc_t xuser, yuser, xmd, ymd;
  act_md(&xuser, e->n, e->h, e->w, d->cin, e->xl, c->block, false);
  act_md(&yuser, e->n, oh, ow, d->cout, e->yl, c->block, false);
  act_md(&xmd, e->n, e->h, e->w, d->cin, e->xl, c->block, side_any(e, e->xl, e->yl));
  act_md(&ymd, e->n, oh, ow, d->cout, e->yl, c->block, side_any(e, e->yl, e->xl));
  dnnl_convolution_desc_t fd;
  if (!fwd_desc(&fdesc, &xmd, &ymd, &fd, err))
    return false;

  dnnl_primitive_desc_t pd = NULL, hint = NULL;
  dnnl_status_t st;
  bool ok = false;
  if (e->op == OP_FWD) {
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    if (!dnnl_ok(dnnl_primitive_attr_create(&attr), "attributes", err))
      return false;
    st = dnnl_post_ops_create(&po);
    if (st == dnnl_success && d->accumulate)
      st = dnnl_post_ops_append_sum(po, 1.0f);
    if (st == dnnl_success && d->relu)
      st = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    if (st == dnnl_success)
      st = dnnl_primitive_attr_set_post_ops(attr, po);
    if (st == dnnl_success)
      st = dnnl_primitive_desc_create(&pd, &fd, attr, c->engine, NULL);
    if (po)
      dnnl_post_ops_destroy(po);
    dnnl_primitive_attr_destroy(attr);
    if (!dnnl_ok(st, "convolution", err))
      return false;
  } else {
    if (!dnnl_ok(dnnl_primitive_desc_create(&hint, &fd, NULL, c->engine, NULL), "convolution", err))
      return false;
    dnnl_convolution_desc_t bd;
    dnnl_memory_desc_t wt, b;
    weights_md(&wt, d, dnnl_format_tag_any);
    bias_md(&b, d);
    dnnl_dims_t strides, pad;
    geometry(d, strides, pad);
    if (e->op == OP_BWD_DATA)
      st = d->kind == SR_CONV_UP2
               ? dnnl_deconvolution_backward_data_desc_init(&bd, dnnl_deconvolution_direct, &xmd,
                                                            &wt, &ymd, strides, pad, pad)
               : dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &xmd, &wt,
                                                          &ymd, strides, pad, pad);
    else
      st = d->kind == SR_CONV_UP2
               ? dnnl_deconvolution_backward_weights_desc_init(&bd, dnnl_deconvolution_direct, &xmd,
                                                               &wt, d->bias ? &b : NULL, &ymd,
                                                               strides, pad, pad)
               : dnnl_convolution_backward_weights_desc_init(&bd, dnnl_convolution_direct, &xmd,
                                                             &wt, d->bias ? &b : NULL, &ymd,
                                                             strides, pad, pad);
    if (st == dnnl_success)
      st = dnnl_primitive_desc_create(&pd, &bd, NULL, c->engine, hint);
    dnnl_primitive_desc_destroy(hint);
    if (!dnnl_ok(st, "convolution backward", err))
      return false;
  }

  const dnnl_memory_desc_t *xprim = dnnl_primitive_desc_query_md(
      pd, e->op == OP_BWD_DATA ? dnnl_query_diff_src_md : dnnl_query_src_md, 0);
  const dnnl_memory_desc_t *yprim = dnnl_primitive_desc_query_md(
      pd, e->op == OP_FWD ? dnnl_query_dst_md : dnnl_query_diff_dst_md, 0);
  const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(
      pd, e->op == OP_BWD_WEIGHTS ? dnnl_query_diff_weights_md : dnnl_query_weights_md, 0);
  /* What each op reads and writes: the forward reads x and writes y (and
   * reads y first when it accumulates); backward data reads dy and writes
   * dx; backward weights reads both. */
  bool x_reads = e->op != OP_BWD_DATA, x_writes = e->op == OP_BWD_DATA;
  bool y_reads = e->op != OP_FWD || d->accumulate, y_writes = e->op == OP_FWD;
  if (!setup_side(c, &e->x, &xuser, xprim, x_reads, x_writes, err) ||
      !setup_side(c, &e->y, &yuser, yprim, y_reads, y_writes, err) ||
      !setup_weights(c, e, wmd, e->op == OP_BWD_WEIGHTS, err))
    goto out;
  if (fdesc.bias && e->op != OP_BWD_DATA) {
    dnnl_memory_desc_t b;
    bias_md(&b, d);
    if (!make_memory(c, &e->m_bias, &b, err))
      goto out;
  }
  if (!dnnl_ok(dnnl_primitive_create(&e->prim, pd), "convolution primitive", err))
    goto out;
  ok = true;
out:
  dnnl_primitive_desc_destroy(pd);
  return ok;
}

static bool
build_relu_entry(cpu_ctx *c, entry *e, sr_error *err)
{
  dnnl_memory_desc_t md;
  act_md(&md, e->n, e->h, e->w, e->c, e->xl, c->block, false);
  dnnl_eltwise_desc_t fd, bd;
  dnnl_primitive_desc_t hint = NULL, pd = NULL;
  dnnl_status_t st = dnnl_eltwise_forward_desc_init(
      &fd, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, &md, 0.0f, 0.0f);
  if (st == dnnl_success)
    st = dnnl_primitive_desc_create(&hint, &fd, NULL, c->engine, NULL);
  if (st == dnnl_success)
    st = dnnl_eltwise_backward_desc_init(&bd, dnnl_eltwise_relu_use_dst_for_bwd, &md, &md, 0.0f,
                                         0.0f);
  if (st == dnnl_success)
    st = dnnl_primitive_desc_create(&pd, &bd, NULL, c->engine, hint);
  if (hint)
    dnnl_primitive_desc_destroy(hint);
  if (!dnnl_ok(st, "ReLU backward", err))
    return false;
  bool ok = make_memory(c, &e->x.user, &md, err) && make_memory(c, &e->y.user, &md, err) &&
            dnnl_ok(dnnl_primitive_create(&e->prim, pd), "ReLU backward primitive", err);
  dnnl_primitive_desc_destroy(pd);
  return ok;
}

static double
op_work(entry_op op, const sr_conv_desc *d, int n, int h, int w, int ch)
{
  double px = (double)n * h * w; /* x side */
  if (op == OP_RELU_BWD)
    return px * ch;
  int k = sr_conv_kernel(d->kind);
  /* a stride-2 2×2 conv touches each input pixel once per output channel */
  double taps = d->kind == SR_CONV_DOWN2 ? 1.0 : (double)k * k;
  return px * d->cin * d->cout * taps;
}

/* The cached primitive of op over x (n×h×w, ch channels for the ReLU) and
 * y of the given layouts, created on first use. */
static entry *
lookup(cpu_ctx *c, entry_op op, const sr_conv_desc *d, const sr_tensor *x, sr_layout yl, int ch,
       sr_error *err)
{
  int n = x->n, h = x->h, w = x->w;
  sr_layout xl = x->layout;
  sr_conv_desc key = {0};
  if (d) {
    key.kind = d->kind, key.cin = d->cin, key.cout = d->cout, key.bias = d->bias;
    if (op == OP_FWD)
      key.relu = d->relu, key.accumulate = d->accumulate;
  }
  for (entry *e = c->cache; e; e = e->next)
    if (e->op == op && e->n == n && e->h == h && e->w == w && e->c == ch && e->xl == xl &&
        e->yl == yl && e->d.kind == key.kind && e->d.cin == key.cin && e->d.cout == key.cout &&
        e->d.bias == key.bias && e->d.relu == key.relu && e->d.accumulate == key.accumulate) {
      use_threads(c, e->nthr);
      return e;
    }
  entry *e = calloc(1, sizeof *e);
  if (!e) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("CPU backend: out of memory"));
    return NULL;
  }
  e->op = op, e->d = key, e->n = n, e->h = h, e->w = w, e->c = ch, e->xl = xl, e->yl = yl;
  e->nthr = loop_threads(c, op_work(op, &key, n, h, w, ch));
  use_threads(c, e->nthr);
  bool ok = op == OP_RELU_BWD ? build_relu_entry(c, e, err) : build_conv_entry(c, e, err);
  if (!ok) {
    entry_free(e);
    return NULL;
  }
  e->next = c->cache;
  c->cache = e;
  return e;
}

static bool
run(cpu_ctx *c, dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args, const char *what,
    sr_error *err)
{
  if (!dnnl_ok(dnnl_primitive_execute(p, c->stream, nargs, args), what, err))
    return false;
  return dnnl_ok(dnnl_stream_wait(c->stream), what, err);
}

static bool
set_handle(dnnl_memory_t m, const void *p, sr_error *err)
{
  return dnnl_ok(dnnl_memory_set_data_handle(m, (void *)p), "memory handle", err);
}

static bool
run_weight_reorder(cpu_ctx *c, entry *e, dnnl_memory_t from, dnnl_memory_t to, sr_error *err)
{
  dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  use_threads(c, weight_threads(c, e));
  bool ok = run(c, e->wreorder, 2, args, "weight reorder", err);
  use_threads(c, e->nthr);
  return ok;
}

/* Makes e->m_wprim (or m_wuser) hold w for the primitive to read. */
static dnnl_memory_t
weights_in(cpu_ctx *c, entry *e, const float *w, sr_error *err)
{
  if (!set_handle(e->m_wuser, w, err))
    return NULL;
  if (!e->wreorder)
    return e->m_wuser;
  if (!run_weight_reorder(c, e, e->m_wuser, e->m_wprim, err))
    return NULL;
  return e->m_wprim;
}

/* ---- ops -------------------------------------------------------------------- */

/* Points s at the caller's data (and its layout copy at at), runs the
 * reorder in when the op reads the side, and gives the memory the
 * primitive is to use. */
static dnnl_memory_t
side_begin(cpu_ctx *c, side *s, const float *data, float *at, sr_error *err)
{
  if (!set_handle(s->user, data, err))
    return NULL;
  if (!s->prim)
    return s->user;
  if (!set_handle(s->prim, at, err))
    return NULL;
  if (s->in) {
    dnnl_exec_arg_t r[] = {{DNNL_ARG_FROM, s->user}, {DNNL_ARG_TO, s->prim}};
    if (!run(c, s->in, 2, r, "activation reorder", err))
      return NULL;
  }
  return s->prim;
}

/* Both sides of e for one call over the caller's xdata and ydata: the
 * memories the primitive is to use in *xm and *ym, the sides that go
 * through another layout placed in the context's layout buffer. */
static bool
begin_sides(cpu_ctx *c, entry *e, const float *xdata, const float *ydata, dnnl_memory_t *xm,
            dnnl_memory_t *ym, sr_error *err)
{
  float *blk = NULL;
  size_t bytes = e->x.bytes + e->y.bytes;
  if (bytes && !(blk = grow(c, &c->blk, &c->blk_count, bytes / sizeof(float), err)))
    return false;
  *xm = side_begin(c, &e->x, xdata, blk, err);
  *ym =
      *xm ? side_begin(c, &e->y, ydata, blk ? blk + e->x.bytes / sizeof(float) : NULL, err) : NULL;
  return *ym != NULL;
}

/* After the primitive: the reorder out when the op wrote the side. */
static bool
side_end(cpu_ctx *c, side *s, sr_error *err)
{
  if (!s->out)
    return true;
  dnnl_exec_arg_t r[] = {{DNNL_ARG_FROM, s->prim}, {DNNL_ARG_TO, s->user}};
  return run(c, s->out, 2, r, "activation reorder", err);
}

/* Whether a forward goes through down2_rows instead of oneDNN: the
 * stride-2 2×2 convolution between NHWC tensors (inference). oneDNN 2.6's
 * NHWC kernel for it runs at a third of its 3×3 rate on AVX2. */
static bool
use_down2_rows(const sr_conv_desc *d, const sr_tensor *x, const sr_tensor *y)
{
  return d->kind == SR_CONV_DOWN2 && x->layout == SR_LAYOUT_NHWC && y->layout == SR_LAYOUT_NHWC;
}

/* The stride-2 2×2 forward over NHWC as two matrix products per output
 * row. Input rows 2·oh and 2·oh+1 hold, for each output pixel ow, its 2×2
 * window's two kernel rows as 2·cin contiguous values (pixels 2·ow and
 * 2·ow+1); the OHWI weights of kernel row kh are a cout × 2·cin matrix with
 * a row stride of 4·cin. So output row oh = Σ_kh X_kh (ow × 2cin) · W_khᵀ,
 * added onto the bias (or onto y, when accumulating), then the ReLU. Rows
 * are independent and split over the threads; oneDNN runs a product on
 * the calling thread inside a parallel region, so a row's sums do not
 * depend on the split. */
static bool
down2_rows(cpu_ctx *c, const sr_conv_desc *d, const sr_tensor *x, const float *w, const float *b,
           sr_tensor *y, sr_error *err)
{
  int cin = d->cin, cout = d->cout, ow_n = y->w;
  size_t xrow = (size_t)x->w * cin, yrow = (size_t)ow_n * cout;
  size_t rows = (size_t)y->n * y->h;
  int nthr = loop_threads(c, op_work(OP_FWD, d, x->n, x->h, x->w, cin));
  int bad = 0;
  SR_PARALLEL_FOR_BAD
  for (size_t r = 0; r < rows; r++) {
    size_t n = r / (size_t)y->h, oh = r % (size_t)y->h;
    float *yr = y->data + r * yrow;
    const float *xr = x->data + (n * (size_t)x->h + 2 * oh) * xrow;
    if (!d->accumulate || b)
      for (size_t p = 0; p < yrow; p += (size_t)cout)
        for (int o = 0; o < cout; o++)
          yr[p + o] = (d->accumulate ? yr[p + o] : 0.0f) + (b ? b[o] : 0.0f);
    for (int kh = 0; kh < 2; kh++)
      bad |= dnnl_sgemm('N', 'T', ow_n, cout, 2 * cin, 1.0f, xr + kh * xrow, 2 * cin,
                        w + (size_t)kh * 2 * cin, 4 * cin, 1.0f, yr, cout) != dnnl_success;
    if (d->relu)
      for (size_t i = 0; i < yrow; i++)
        yr[i] = yr[i] > 0.0f ? yr[i] : 0.0f;
  }
  if (bad)
    return dnnl_ok(dnnl_invalid_arguments, "matrix product", err);
  return true;
}

static bool
cpu_conv_forward(void *ctx, const sr_conv_desc *d, const sr_tensor *x, const float *w,
                 const float *b, sr_tensor *y, sr_error *err)
{
  cpu_ctx *c = ctx;
  if (use_down2_rows(d, x, y))
    return down2_rows(c, d, x, w, b, y, err);
  entry *e = lookup(c, OP_FWD, d, x, y->layout, 0, err);
  if (!e)
    return false;
  dnnl_memory_t wm = weights_in(c, e, w, err);
  if (!wm)
    return false;
  dnnl_memory_t xm, ym;
  if (!begin_sides(c, e, x->data, y->data, &xm, &ym, err))
    return false;
  if (e->m_bias && !set_handle(e->m_bias, b, err))
    return false;
  dnnl_exec_arg_t args[4] = {
      {DNNL_ARG_SRC, xm},
      {DNNL_ARG_WEIGHTS, wm},
      {DNNL_ARG_DST, ym},
      {DNNL_ARG_BIAS, e->m_bias},
  };
  if (!run(c, e->prim, e->m_bias ? 4 : 3, args, "convolution", err) || !side_end(c, &e->y, err))
    return false;
  if (e->own_bias)
    add_bias(c, y, b);
  return true;
}

static bool
cpu_conv_backward_data(void *ctx, const sr_conv_desc *d, const sr_tensor *dy, const float *w,
                       sr_tensor *dx, bool accumulate, sr_error *err)
{
  cpu_ctx *c = ctx;
  entry *e = lookup(c, OP_BWD_DATA, d, dx, dy->layout, 0, err);
  if (!e)
    return false;
  size_t count = sr_tensor_count(dx);
  float *out = dx->data;
  if (accumulate && !(out = scratch(c, count, err)))
    return false;
  dnnl_memory_t wm = weights_in(c, e, w, err);
  if (!wm)
    return false;
  dnnl_memory_t xm, ym;
  if (!begin_sides(c, e, out, dy->data, &xm, &ym, err))
    return false;
  dnnl_exec_arg_t args[] = {
      {DNNL_ARG_DIFF_DST, ym}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DIFF_SRC, xm}};
  if (!run(c, e->prim, 3, args, "convolution backward data", err) || !side_end(c, &e->x, err))
    return false;
  if (accumulate)
    cpu_axpy(c, dx->data, 1.0f, out, count, err);
  return true;
}

static bool
cpu_conv_backward_weights(void *ctx, const sr_conv_desc *d, const sr_tensor *x, const sr_tensor *dy,
                          float *dw, float *db, bool accumulate, sr_error *err)
{
  cpu_ctx *c = ctx;
  entry *e = lookup(c, OP_BWD_WEIGHTS, d, x, dy->layout, 0, err);
  if (!e)
    return false;
  size_t wcount = sr_conv_weight_count(d);
  float *wout = dw, *bout = db;
  if (accumulate) {
    float *s = scratch(c, wcount + (size_t)d->cout, err);
    if (!s)
      return false;
    wout = s, bout = s + wcount;
  }
  dnnl_memory_t wm = e->wreorder ? e->m_wprim : e->m_wuser;
  if (!set_handle(e->m_wuser, wout, err))
    return false;
  if (e->m_bias && !set_handle(e->m_bias, bout, err))
    return false;
  dnnl_memory_t xm, ym;
  if (!begin_sides(c, e, x->data, dy->data, &xm, &ym, err))
    return false;
  dnnl_exec_arg_t args[4] = {
      {DNNL_ARG_SRC, xm},
      {DNNL_ARG_DIFF_DST, ym},
      {DNNL_ARG_DIFF_WEIGHTS, wm},
      {DNNL_ARG_DIFF_BIAS, e->m_bias},
  };
  if (!run(c, e->prim, e->m_bias ? 4 : 3, args, "convolution backward weights", err))
    return false;
  if (e->wreorder && !run_weight_reorder(c, e, e->m_wprim, e->m_wuser, err))
    return false;
  if (accumulate) {
    cpu_axpy(c, dw, 1.0f, wout, wcount, err);
    if (db)
      cpu_axpy(c, db, 1.0f, bout, (size_t)d->cout, err);
  }
  return true;
}

static bool
cpu_relu_backward(void *ctx, const sr_tensor *y, sr_tensor *dy, sr_error *err)
{
  cpu_ctx *c = ctx;
  entry *e = lookup(c, OP_RELU_BWD, NULL, y, y->layout, y->c, err);
  if (!e)
    return false;
  if (!set_handle(e->x.user, y->data, err) || !set_handle(e->y.user, dy->data, err))
    return false;
  dnnl_exec_arg_t args[] = {
      {DNNL_ARG_DST, e->x.user}, {DNNL_ARG_DIFF_DST, e->y.user}, {DNNL_ARG_DIFF_SRC, e->y.user}};
  return run(c, e->prim, 3, args, "ReLU backward", err);
}

static bool
cpu_charbonnier_luma(void *ctx, const sr_loss_desc *d, const sr_tensor *src, const sr_tensor *delta,
                     const sr_tensor *target, double *loss, sr_tensor *ddelta, sr_error *err)
{
  size_t m = sr_tensor_count(delta);
  const float *s = src->data, *t = target->data, *dl = delta->data;
  float *g = ddelta ? ddelta->data : NULL;
  float eps2 = d->eps * d->eps, inv_m = (float)(1.0 / (double)m);
  /* Per-row partial sums, added in row order in double: deterministic
   * whatever the thread split, and accurate for millions of pixels. */
  size_t row = (size_t)delta->w, rows = m / row;
  double *parts = malloc(rows * sizeof *parts);
  if (!parts) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("CPU backend: out of memory"));
    return false;
  }
  int nthr = loop_threads(ctx, m);
  SR_PARALLEL_FOR
  for (size_t j = 0; j < rows; j++) {
    float part = 0.0f;
    for (size_t i = j * row; i < (j + 1) * row; i++) {
      float ys = d->kr * s[3 * i] + d->kg * s[3 * i + 1] + d->kb * s[3 * i + 2];
      float yt = d->kr * t[3 * i] + d->kg * t[3 * i + 1] + d->kb * t[3 * i + 2];
      float r = ys + dl[i] - yt;
      float q = sqrtf(r * r + eps2);
      part += q;
      if (g)
        g[i] = r / q * inv_m;
    }
    parts[j] = part;
  }
  double total = 0.0;
  for (size_t j = 0; j < rows; j++)
    total += parts[j];
  free(parts);
  *loss = total / (double)m;
  return true;
}

static bool
cpu_apply_luma_residual(void *ctx, const sr_tensor *src, const sr_tensor *delta, bool clamp,
                        sr_tensor *out, sr_error *err)
{
  size_t m = sr_tensor_count(delta);
  const float *s = src->data, *dl = delta->data;
  float *o = out->data;
  int nthr = loop_threads(ctx, m);
  SR_PARALLEL_FOR
  for (size_t i = 0; i < m; i++)
    for (int k = 0; k < 3; k++) {
      float v = s[3 * i + k] + dl[i];
      if (clamp)
        v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
      o[3 * i + k] = v;
    }
  return true;
}

static bool
cpu_adam(void *ctx, const sr_adam_desc *d, float *restrict p, const float *restrict g,
         float *restrict m, float *restrict v, size_t count, sr_error *err)
{
  double t = (double)d->step;
  float c1 = (float)(1.0 / (1.0 - pow((double)d->beta1, t)));
  float c2 = (float)(1.0 / (1.0 - pow((double)d->beta2, t)));
  float b1 = d->beta1, b2 = d->beta2, lr = d->lr, eps = d->eps, wd = d->lr * d->weight_decay;
  int nthr = loop_threads(ctx, count);
  SR_PARALLEL_FOR
  for (size_t i = 0; i < count; i++) {
    float gi = g[i];
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi, v[i] = vi;
    p[i] -= lr * (mi * c1) / (sqrtf(vi * c2) + eps) + wd * p[i];
  }
  return true;
}

static void
cpu_destroy(void *ctx)
{
  cpu_ctx *c = ctx;
  if (!c)
    return;
  for (entry *e = c->cache, *next; e; e = next) {
    next = e->next;
    entry_free(e);
  }
  free(c->scratch);
  free(c->blk);
  if (c->stream)
    dnnl_stream_destroy(c->stream);
  if (c->engine)
    dnnl_engine_destroy(c->engine);
  free(c);
}

static const sr_backend_ops cpu_ops = {
    .destroy = cpu_destroy,
    .alloc = cpu_alloc,
    .release = cpu_release,
    .upload = cpu_upload,
    .download = cpu_download,
    .fill = cpu_fill,
    .copy = cpu_copy,
    .axpy = cpu_axpy,
    .synchronize = cpu_synchronize,
    .conv_forward = cpu_conv_forward,
    .conv_backward_data = cpu_conv_backward_data,
    .conv_backward_weights = cpu_conv_backward_weights,
    .relu_backward = cpu_relu_backward,
    .charbonnier_luma = cpu_charbonnier_luma,
    .apply_luma_residual = cpu_apply_luma_residual,
    .adam = cpu_adam,
};

/* ---- device information ------------------------------------------------------ */

static const char *
isa_name(dnnl_cpu_isa_t isa)
{
  switch (isa) {
  case dnnl_cpu_isa_sse41: return "sse41";
  case dnnl_cpu_isa_avx: return "avx";
  case dnnl_cpu_isa_avx2: return "avx2";
  case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
  case dnnl_cpu_isa_avx512_core: return "avx512_core";
  case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
  case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
  case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
  default: return "generic";
  }
}

static void
cpu_model_name(char *out, size_t len)
{
  snprintf(out, len, "CPU");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f)
    return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) != 0)
      continue;
    char *colon = strchr(line, ':');
    if (!colon)
      break;
    char *s = colon + 1;
    while (*s == ' ' || *s == '\t')
      s++;
    size_t n = strcspn(s, "\n");
    s[n] = '\0';
    if (*s)
      snprintf(out, len, "%s", s);
    break;
  }
  fclose(f);
}

/* OpenMP's default team size: OMP_NUM_THREADS (its first value) or the
 * online processors. Read from the environment rather than asked of the
 * runtime, whose answer on this thread may be a count we set earlier. */
static int
default_threads(void)
{
  const char *env = getenv("OMP_NUM_THREADS");
  if (env && *env) {
    char *end;
    long n = strtol(env, &end, 10);
    if (n > 0 && n <= 4096 && (*end == '\0' || *end == ','))
      return (int)n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

/* The channel block of the layout oneDNN's convolutions pick on this CPU
 * (nChw8c or nChw16c), asked of a forward 3×3 convolution over 32
 * channels; 0 when it picks something else, and then every tensor stays
 * NHWC. */
static int
probe_block(cpu_ctx *c)
{
  dnnl_memory_desc_t x, y, wt;
  dnnl_dims_t dims = {1, 32, 16, 16}, wdims = {32, 32, 3, 3}, strides = {1, 1}, pad = {1, 1};
  dnnl_memory_desc_init_by_tag(&x, 4, dims, dnnl_f32, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&y, 4, dims, dnnl_f32, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&wt, 4, wdims, dnnl_f32, dnnl_format_tag_any);
  dnnl_convolution_desc_t cd;
  dnnl_primitive_desc_t pd = NULL;
  if (dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct, &x,
                                         &wt, NULL, &y, strides, pad, pad) != dnnl_success ||
      dnnl_primitive_desc_create(&pd, &cd, NULL, c->engine, NULL) != dnnl_success)
    return 0;
  const dnnl_memory_desc_t *src = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
  int block = 0;
  for (int b = 8; b <= 16 && src; b *= 2) {
    dnnl_memory_desc_t want;
    dnnl_memory_desc_init_by_tag(&want, 4, dims, dnnl_f32, b == 8 ? dnnl_aBcd8b : dnnl_aBcd16b);
    if (dnnl_memory_desc_equal(src, &want))
      block = b;
  }
  dnnl_primitive_desc_destroy(pd);
  return block;
}

void sr_backend_cpu_device_info(sr_device_info *info);

void
sr_backend_cpu_device_info(sr_device_info *info)
{
  memset(info, 0, sizeof *info);
  snprintf(info->backend, sizeof info->backend, "cpu");
  info->index = 0;
  cpu_model_name(info->name, sizeof info->name);
  info->threads = default_threads();
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  info->memory = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
  const dnnl_version_t *v = dnnl_version();
  snprintf(info->detail, sizeof info->detail, "oneDNN %d.%d.%d, ISA %s", v->major, v->minor,
           v->patch, isa_name(dnnl_get_effective_cpu_isa()));
}

sr_backend *
sr_backend_cpu_create(int threads, sr_error *err)
{
  if (threads < 0) {
    sr_error_set(err, SR_ERR_INVALID, SR_("CPU backend: thread count %d is negative"), threads);
    return NULL;
  }
  cpu_ctx *c = calloc(1, sizeof *c);
  if (!c) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("CPU backend: out of memory"));
    return NULL;
  }
  c->threads = threads;
  *(void **)&c->set_threads = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
  if (!dnnl_ok(dnnl_engine_create(&c->engine, dnnl_cpu, 0), "engine", err) ||
      !dnnl_ok(dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags), "stream",
               err)) {
    cpu_destroy(c);
    return NULL;
  }
  sr_device_info info;
  sr_backend_cpu_device_info(&info);
  c->be.abi_version = SR_BACKEND_ABI_VERSION;
  snprintf(c->be.name, sizeof c->be.name, "cpu");
  c->max_threads = threads > 0 ? threads : info.threads;
  snprintf(c->be.description, sizeof c->be.description, "CPU (%.100s), %d threads, %.100s",
           info.detail, c->max_threads, info.name);
  c->be.deterministic = true;
  c->block = probe_block(c);
  c->be.channel_block = c->block;
  c->be.ops = &cpu_ops;
  c->be.ctx = c;
  c->be.module = NULL;
  return &c->be;
}
