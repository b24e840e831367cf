/* sr-unet.c — the luma-residual U-Net over the backend interface.
 *
 * The model knows nothing of any particular backend: every buffer is
 * backend memory and every operation a backend op. See sr-unet.h for the
 * architecture, the parameter names and the layouts.
 */
#include "sr-unet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sr-rng.h"
#include "sr-i18n.h"

/* The deepest U-Net the size table holds (M and L); per-level arrays are
 * sized by it. */
#define MAX_LEVELS 4
#define MAX_PARAMS 64
/* Weights, gradients and the two Adam moments (sr_unet_block). */
#define N_BLOCKS (SR_UNET_ADAM_V + 1)
/* A conv weight is [cout, k, k, cin]. */
#define WEIGHT_RANK 4

/* One conv of the model and where its weights and bias sit in the blocks. */
typedef struct layer {
  sr_conv_desc d;
  size_t w_off, b_off; /* b_off unused when !d.bias */
  float init_scale;    /* multiplies the He standard deviation */
  int fan_in;
} layer;

struct sr_unet {
  sr_unet_size size;
  sr_backend *be;
  int C, L;
  sr_unet_param params[MAX_PARAMS];
  size_t nparams, total;
  float *block[N_BLOCKS];
  /* enc1/enc2 for every level (level L-1 is the bottom); the rest for
   * levels 0..L-2. dec1 reads u_l (with the bias), dec1s reads e_l and
   * accumulates, then applies the ReLU. */
  layer enc1[MAX_LEVELS], enc2[MAX_LEVELS], down[MAX_LEVELS], up[MAX_LEVELS];
  layer dec1[MAX_LEVELS], dec1s[MAX_LEVELS], dec2[MAX_LEVELS], head;
  bool has_linear;
  sr_linear linear;
};

struct sr_unet_workspace {
  sr_unet *net;
  int n, h, w;
  bool training;
  sr_tensor input, target, delta, ddelta, eval_target;
  /* activations per level; in[0] is the input */
  sr_tensor in[MAX_LEVELS], a[MAX_LEVELS], e[MAX_LEVELS];
  sr_tensor u[MAX_LEVELS], b[MAX_LEVELS], o[MAX_LEVELS];
  /* gradient buffers per level, width c_l (training only) */
  sr_tensor g1[MAX_LEVELS], g2[MAX_LEVELS], g3[MAX_LEVELS];
  float *owned[64];
  int nowned;
  size_t bytes; /* what plan() counted or allocated */
};

/* ---- sizes ----------------------------------------------------------------- */

static const struct {
  const char *id, *word;
  int C, L;
} size_table[] = {
    [SR_UNET_S] = {"S", "small", 16, MAX_LEVELS - 1},
    [SR_UNET_M] = {"M", "medium", 32, MAX_LEVELS},
    [SR_UNET_L] = {"L", "large", 64, MAX_LEVELS},
};

static bool
size_valid(sr_unet_size size)
{
  return (int)size >= 0 && (size_t)size < sizeof size_table / sizeof size_table[0];
}

const char *
sr_unet_size_id(sr_unet_size size)
{
  return size_valid(size) ? size_table[size].id : "?";
}

bool
sr_unet_size_from_id(const char *id, sr_unet_size *out)
{
  if (!id)
    return false;
  for (size_t i = 0; i < sizeof size_table / sizeof size_table[0]; i++)
    if (strcasecmp(id, size_table[i].id) == 0 || strcasecmp(id, size_table[i].word) == 0) {
      *out = (sr_unet_size)i;
      return true;
    }
  return false;
}

int
sr_unet_base_width(sr_unet_size size)
{
  return size_valid(size) ? size_table[size].C : 0;
}

int
sr_unet_levels(sr_unet_size size)
{
  return size_valid(size) ? size_table[size].L : 0;
}

int
sr_unet_size_multiple(sr_unet_size size)
{
  return size_valid(size) ? 1 << (size_table[size].L - 1) : 1;
}

int
sr_unet_receptive_radius(sr_unet_size size)
{
  if (!size_valid(size))
    return 0;
  int L = size_table[size].L, r = 0;
  /* At scale s = 2^l a 3×3 conv reaches s pixels further; a 2×2 stride-2
   * conv (down or up) at most 2s. Encoder and decoder each have two 3×3 and
   * one 2×2 per level above the bottom; the bottom has two 3×3. */
  for (int l = 0; l < L - 1; l++)
    r += 2 * (2 * (1 << l) + 2 * (1 << l));
  r += 2 * (1 << (L - 1));
  return r;
}

/* ---- construction ------------------------------------------------------------ */

static bool
add_param(sr_unet *net, const char *name, int rank, const int *shape, size_t *offset, sr_error *err)
{
  if (net->nparams >= MAX_PARAMS) {
    sr_error_set(err, SR_ERR_INVALID, SR_("U-Net: too many parameter tensors"));
    return false;
  }
  sr_unet_param *p = &net->params[net->nparams++];
  snprintf(p->name, sizeof p->name, "%s", name);
  p->rank = rank;
  p->count = 1;
  for (int i = 0; i < (int)(sizeof p->shape / sizeof p->shape[0]); i++) {
    p->shape[i] = i < rank ? shape[i] : 0;
    if (i < rank)
      p->count *= (size_t)shape[i];
  }
  /* Each tensor starts on a 16-float boundary so a GPU backend can read
   * it with aligned vector loads. */
  p->offset = (net->total + 15) & ~(size_t)15;
  net->total = p->offset + p->count;
  *offset = p->offset;
  return true;
}

/* One conv layer as build() declares it: the conv itself, its parameter
 * names ("<prefix>.weight", "<prefix>.bias") and its initialisation (He
 * normal over fan_in, times init_scale). */
typedef struct layer_spec {
  const char *prefix;
  sr_conv_desc conv;
  int fan_in;
  float init_scale;
} layer_spec;

static bool
add_layer(sr_unet *net, layer *ly, const layer_spec *spec, sr_error *err)
{
  char name[48];
  const sr_conv_desc *d = &spec->conv;
  int k = sr_conv_kernel(d->kind);
  ly->d = *d;
  ly->fan_in = spec->fan_in;
  ly->init_scale = spec->init_scale;
  int wshape[WEIGHT_RANK] = {d->cout, k, k, d->cin};
  snprintf(name, sizeof name, "%s.weight", spec->prefix);
  if (!add_param(net, name, WEIGHT_RANK, wshape, &ly->w_off, err))
    return false;
  if (d->bias) {
    int bshape[1] = {d->cout};
    snprintf(name, sizeof name, "%s.bias", spec->prefix);
    if (!add_param(net, name, 1, bshape, &ly->b_off, err))
      return false;
  }
  return true;
}

/* Adds layers (and parameters) in the documented stable order. */
static bool
build(sr_unet *net, sr_error *err)
{
  int C = net->C, L = net->L;
  char prefix[16];
  for (int l = 0; l < L; l++) {
    int c = C << l, cin = l == 0 ? 3 : c;
    if (l < L - 1)
      snprintf(prefix, sizeof prefix, "enc%d", l);
    else
      snprintf(prefix, sizeof prefix, "mid");
    char p1[24], p2[24];
    snprintf(p1, sizeof p1, "%s.conv1", prefix);
    snprintf(p2, sizeof p2, "%s.conv2", prefix);
    layer_spec conv1 = {
        .prefix = p1,
        .conv = {.kind = SR_CONV_3X3, .cin = cin, .cout = c, .bias = true, .relu = true},
        .fan_in = 9 * cin,
        .init_scale = 1.0f,
    };
    layer_spec conv2 = {
        .prefix = p2,
        .conv = {.kind = SR_CONV_3X3, .cin = c, .cout = c, .bias = true, .relu = true},
        .fan_in = 9 * c,
        .init_scale = 1.0f,
    };
    if (!add_layer(net, &net->enc1[l], &conv1, err) || !add_layer(net, &net->enc2[l], &conv2, err))
      return false;
    if (l < L - 1) {
      char pd[24];
      snprintf(pd, sizeof pd, "%s.down", prefix);
      layer_spec down = {
          .prefix = pd,
          .conv = {.kind = SR_CONV_DOWN2, .cin = c, .cout = 2 * c, .bias = true},
          .fan_in = 4 * c,
          .init_scale = 1.0f,
      };
      if (!add_layer(net, &net->down[l], &down, err))
        return false;
    }
  }
  for (int l = L - 2; l >= 0; l--) {
    int c = C << l;
    char pu[24], p1[24], p2[24];
    snprintf(pu, sizeof pu, "dec%d.up", l);
    snprintf(p1, sizeof p1, "dec%d.conv1", l);
    snprintf(p2, sizeof p2, "dec%d.conv2", l);
    /* The up conv reads 2c channels; each output pixel sees one input pixel
     * through one kernel tap, so its fan-in is 2c. */
    layer_spec up = {
        .prefix = pu,
        .conv = {.kind = SR_CONV_UP2, .cin = 2 * c, .cout = c, .bias = true},
        .fan_in = 2 * c,
        .init_scale = 1.0f,
    };
    if (!add_layer(net, &net->up[l], &up, err))
      return false;
    /* conv1 over concat(u, e): weight, skip_weight, bias in that order. */
    layer *d1 = &net->dec1[l], *d1s = &net->dec1s[l];
    char name[48];
    int k = 3, wshape[WEIGHT_RANK] = {c, k, k, c};
    d1->d = (sr_conv_desc){.kind = SR_CONV_3X3, .cin = c, .cout = c, .bias = true};
    d1s->d =
        (sr_conv_desc){.kind = SR_CONV_3X3, .cin = c, .cout = c, .relu = true, .accumulate = true};
    d1->fan_in = d1s->fan_in = 9 * 2 * c;
    d1->init_scale = d1s->init_scale = 1.0f;
    snprintf(name, sizeof name, "%s.weight", p1);
    if (!add_param(net, name, WEIGHT_RANK, wshape, &d1->w_off, err))
      return false;
    snprintf(name, sizeof name, "%s.skip_weight", p1);
    if (!add_param(net, name, WEIGHT_RANK, wshape, &d1s->w_off, err))
      return false;
    int bshape[1] = {c};
    snprintf(name, sizeof name, "%s.bias", p1);
    if (!add_param(net, name, 1, bshape, &d1->b_off, err))
      return false;
    layer_spec conv2 = {
        .prefix = p2,
        .conv = {.kind = SR_CONV_3X3, .cin = c, .cout = c, .bias = true, .relu = true},
        .fan_in = 9 * c,
        .init_scale = 1.0f,
    };
    if (!add_layer(net, &net->dec2[l], &conv2, err))
      return false;
  }
  /* A small head: the model starts close to ΔY = 0, the identity. */
  layer_spec head = {
      .prefix = "head",
      .conv = {.kind = SR_CONV_1X1, .cin = C, .cout = 1, .bias = true},
      .fan_in = C,
      .init_scale = 0.1f,
  };
  return add_layer(net, &net->head, &head, err);
}

sr_unet *
sr_unet_new(sr_unet_size size, sr_backend *be, sr_error *err)
{
  if (!size_valid(size)) {
    sr_error_set(err, SR_ERR_INVALID, SR_("U-Net: unknown model size %d (use S, M or L)"),
                 (int)size);
    return NULL;
  }
  if (!be || !be->ops) {
    sr_error_set(err, SR_ERR_INVALID, SR_("U-Net: no compute backend"));
    return NULL;
  }
  sr_unet *net = calloc(1, sizeof *net);
  if (!net) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("U-Net: out of memory"));
    return NULL;
  }
  net->size = size;
  net->be = be;
  net->C = size_table[size].C;
  net->L = size_table[size].L;
  if (!build(net, err))
    goto fail;
  for (int i = 0; i < N_BLOCKS; i++) {
    net->block[i] = sr_backend_alloc(be, net->total, err);
    if (!net->block[i])
      goto fail;
    /* Padding between tensors must hold zeros so Adam and exports see
     * well-defined numbers there. */
    if (!sr_backend_fill(be, net->block[i], 0.0f, net->total, err))
      goto fail;
  }
  return net;
fail:
  sr_unet_free(net);
  return NULL;
}

void
sr_unet_free(sr_unet *net)
{
  if (!net)
    return;
  for (int i = 0; i < N_BLOCKS; i++)
    sr_backend_release(net->be, net->block[i]);
  free(net);
}

sr_unet_size
sr_unet_get_size(const sr_unet *net)
{
  return net->size;
}

sr_backend *
sr_unet_get_backend(const sr_unet *net)
{
  return net->be;
}

static void
init_layer(const layer *ly, float *host, sr_rng *rng)
{
  float std = ly->init_scale * sqrtf(2.0f / (float)ly->fan_in);
  size_t n = sr_conv_weight_count(&ly->d);
  for (size_t i = 0; i < n; i++)
    host[ly->w_off + i] = (float)sr_rng_normal(rng) * std;
}

bool
sr_unet_init(sr_unet *net, uint64_t seed, sr_error *err)
{
  float *host = calloc(net->total, sizeof(float));
  if (!host) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("U-Net: out of memory initialising parameters"));
    return false;
  }
  sr_rng rng;
  sr_rng_seed(&rng, seed);
  /* Draw in parameter order; biases stay zero. */
  const layer *order[MAX_PARAMS];
  int n = 0;
  for (int l = 0; l < net->L; l++) {
    order[n++] = &net->enc1[l];
    order[n++] = &net->enc2[l];
    if (l < net->L - 1)
      order[n++] = &net->down[l];
  }
  for (int l = net->L - 2; l >= 0; l--) {
    order[n++] = &net->up[l];
    order[n++] = &net->dec1[l];
    order[n++] = &net->dec1s[l];
    order[n++] = &net->dec2[l];
  }
  order[n++] = &net->head;
  for (int i = 0; i < n; i++)
    init_layer(order[i], host, &rng);
  bool ok = sr_backend_upload(net->be, net->block[SR_UNET_PARAMS], host, net->total, err);
  free(host);
  for (int i = SR_UNET_GRADS; ok && i < N_BLOCKS; i++)
    ok = sr_backend_fill(net->be, net->block[i], 0.0f, net->total, err);
  return ok;
}

/* ---- the linear branch ------------------------------------------------------------ */

void
sr_unet_set_linear(sr_unet *net, const sr_linear *lin)
{
  net->has_linear = lin != NULL;
  if (lin)
    net->linear = *lin;
}

const sr_linear *
sr_unet_get_linear(const sr_unet *net)
{
  return net->has_linear ? &net->linear : NULL;
}

bool
sr_unet_zero_head(sr_unet *net, sr_error *err)
{
  float *host = malloc(net->total * sizeof *host);
  if (!host) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("U-Net: out of memory"));
    return false;
  }
  bool ok = sr_backend_download(net->be, host, net->block[SR_UNET_PARAMS], net->total, err);
  if (ok) {
    memset(host + net->head.w_off, 0, sr_conv_weight_count(&net->head.d) * sizeof *host);
    memset(host + net->head.b_off, 0, (size_t)net->head.d.cout * sizeof *host);
    ok = sr_backend_upload(net->be, net->block[SR_UNET_PARAMS], host, net->total, err);
  }
  free(host);
  return ok;
}

/* ---- parameters ---------------------------------------------------------------- */

size_t
sr_unet_param_count(const sr_unet *net)
{
  return net->nparams;
}

const sr_unet_param *
sr_unet_param_info(const sr_unet *net, size_t i)
{
  return i < net->nparams ? &net->params[i] : NULL;
}

long
sr_unet_param_find(const sr_unet *net, const char *name)
{
  for (size_t i = 0; i < net->nparams; i++)
    if (strcmp(net->params[i].name, name) == 0)
      return (long)i;
  return -1;
}

size_t
sr_unet_total_params(const sr_unet *net)
{
  return net->total;
}

float *
sr_unet_block_data(sr_unet *net, sr_unet_block block)
{
  return (int)block >= 0 && block <= SR_UNET_ADAM_V ? net->block[block] : NULL;
}

static bool
check_block(sr_unet_block block, sr_error *err)
{
  if ((int)block < 0 || block > SR_UNET_ADAM_V) {
    sr_error_set(err, SR_ERR_INVALID, SR_("U-Net: unknown parameter block %d"), (int)block);
    return false;
  }
  return true;
}

bool
sr_unet_export(sr_unet *net, sr_unet_block block, float *host, sr_error *err)
{
  return check_block(block, err) &&
         sr_backend_download(net->be, host, net->block[block], net->total, err);
}

bool
sr_unet_import(sr_unet *net, sr_unet_block block, const float *host, sr_error *err)
{
  return check_block(block, err) &&
         sr_backend_upload(net->be, net->block[block], host, net->total, err);
}

/* ---- workspace ----------------------------------------------------------------- */

/* Allocates t (or, with ws->nowned == -1, only counts its bytes). In
 * training, the activations and gradients inside the network take the
 * layout the backend's convolutions prefer (its backward kernels over NHWC
 * are its slowest, and a reorder at each call costs as much again); the
 * input, output and loss tensors, which the host writes and reads, stay
 * NHWC. Inference runs forward only, where NHWC is as fast or faster
 * (oneDNN's NHWC forward on AVX-512 is its brgemm kernel), so it stays
 * NHWC throughout. */
static bool
take(sr_unet_workspace *ws, sr_tensor *t, int n, int h, int w, int c, bool inner, sr_error *err)
{
  t->n = n, t->h = h, t->w = w, t->c = c, t->data = NULL;
  t->layout = inner && ws->training && ws->net ? sr_backend_preferred_layout(ws->net->be, c)
                                               : SR_LAYOUT_NHWC;
  ws->bytes += sr_tensor_count(t) * sizeof(float);
  if (ws->nowned < 0)
    return true;
  if (ws->nowned >= (int)(sizeof ws->owned / sizeof ws->owned[0])) {
    sr_error_set(err, SR_ERR_INVALID, SR_("U-Net workspace: too many buffers"));
    return false;
  }
  sr_layout layout = t->layout;
  if (!sr_backend_tensor_alloc(ws->net->be, t, n, h, w, c, err))
    return false;
  t->layout = layout;
  ws->owned[ws->nowned++] = t->data;
  return true;
}

static void
alias(sr_tensor *t, const sr_tensor *of)
{
  *t = *of;
}

/* Lays out every buffer; inference aliases what a forward pass can reuse
 * (u_l onto a_l, b_l onto in_l, o_l onto e_l: each is dead by then). */
static bool
plan(sr_unet_workspace *ws, int C, int L, sr_error *err)
{
  int n = ws->n, h = ws->h, w = ws->w;
  bool tr = ws->training;
  if (!take(ws, &ws->input, n, h, w, 3, false, err) ||
      !take(ws, &ws->delta, n, h, w, 1, false, err))
    return false;
  if (tr && (!take(ws, &ws->target, n, h, w, 3, false, err) ||
             !take(ws, &ws->ddelta, n, h, w, 1, false, err)))
    return false;
  alias(&ws->in[0], &ws->input);
  for (int l = 0; l < L; l++) {
    int c = C << l, hl = h >> l, wl = w >> l;
    if (l > 0 && !take(ws, &ws->in[l], n, hl, wl, c, true, err))
      return false;
    if (!take(ws, &ws->a[l], n, hl, wl, c, true, err) ||
        !take(ws, &ws->e[l], n, hl, wl, c, true, err))
      return false;
    if (l < L - 1) {
      if (tr) {
        if (!take(ws, &ws->u[l], n, hl, wl, c, true, err) ||
            !take(ws, &ws->b[l], n, hl, wl, c, true, err) ||
            !take(ws, &ws->o[l], n, hl, wl, c, true, err))
          return false;
      } else {
        alias(&ws->u[l], &ws->a[l]);
        alias(&ws->o[l], &ws->e[l]);
        if (l > 0)
          alias(&ws->b[l], &ws->in[l]);
        else if (!take(ws, &ws->b[l], n, hl, wl, c, true, err))
          return false;
      }
    }
    if (tr && (!take(ws, &ws->g1[l], n, hl, wl, c, true, err) ||
               !take(ws, &ws->g2[l], n, hl, wl, c, true, err) ||
               !take(ws, &ws->g3[l], n, hl, wl, c, true, err)))
      return false;
  }
  return true;
}

static bool
check_shape(sr_unet_size size, int n, int h, int w, sr_error *err)
{
  int m = sr_unet_size_multiple(size);
  if (n <= 0 || h <= 0 || w <= 0 || n > 4096 || h > 65536 || w > 65536) {
    sr_error_set(err, SR_ERR_INVALID, SR_("U-Net: batch %d of %dx%d patches is not a usable shape"),
                 n, w, h);
    return false;
  }
  if (h % m || w % m) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("U-Net %s: patch %dx%d is not a multiple of %d (pad or crop it to a "
                     "multiple)"),
                 sr_unet_size_id(size), w, h, m);
    return false;
  }
  return true;
}

size_t
sr_unet_workspace_bytes(sr_unet_size size, int n, int h, int w, bool training)
{
  if (!size_valid(size) || !check_shape(size, n, h, w, NULL))
    return 0;
  sr_unet_workspace ws = {.n = n, .h = h, .w = w, .training = training, .nowned = -1};
  plan(&ws, size_table[size].C, size_table[size].L, NULL);
  return ws.bytes;
}

sr_unet_workspace *
sr_unet_workspace_new(sr_unet *net, int n, int h, int w, bool training, sr_error *err)
{
  if (!check_shape(net->size, n, h, w, err))
    return NULL;
  sr_unet_workspace *ws = calloc(1, sizeof *ws);
  if (!ws) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("U-Net workspace: out of memory"));
    return NULL;
  }
  ws->net = net, ws->n = n, ws->h = h, ws->w = w, ws->training = training;
  if (!plan(ws, net->C, net->L, err)) {
    sr_error_prefix(err, SR_("U-Net workspace for %d×%dx%d: "), n, w, h);
    sr_unet_workspace_free(ws);
    return NULL;
  }
  return ws;
}

void
sr_unet_workspace_free(sr_unet_workspace *ws)
{
  if (!ws)
    return;
  for (int i = 0; i < ws->nowned; i++)
    sr_backend_release(ws->net->be, ws->owned[i]);
  sr_backend_tensor_release(ws->net->be, &ws->eval_target);
  free(ws);
}

sr_tensor
sr_unet_workspace_input(const sr_unet_workspace *ws)
{
  return ws->input;
}

sr_tensor
sr_unet_workspace_target(const sr_unet_workspace *ws)
{
  return ws->target;
}

sr_tensor
sr_unet_workspace_delta(const sr_unet_workspace *ws)
{
  return ws->delta;
}

sr_tensor
sr_unet_workspace_ddelta(const sr_unet_workspace *ws)
{
  return ws->ddelta;
}

/* ---- passes ---------------------------------------------------------------------- */

static bool
fwd(sr_unet *net, const layer *ly, const sr_tensor *x, sr_tensor *y, sr_error *err)
{
  const float *p = net->block[SR_UNET_PARAMS];
  return sr_backend_conv_forward(net->be, &ly->d, x, p + ly->w_off,
                                 ly->d.bias ? p + ly->b_off : NULL, y, err);
}

/* dW (and db) of a layer from its input x and the gradient at its output. */
static bool
bwd_weights(sr_unet *net, const layer *ly, const sr_tensor *x, const sr_tensor *dy, sr_error *err)
{
  float *g = net->block[SR_UNET_GRADS];
  return sr_backend_conv_backward_weights(net->be, &ly->d, x, dy, g + ly->w_off,
                                          ly->d.bias ? g + ly->b_off : NULL, false, err);
}

static bool
bwd_data(sr_unet *net, const layer *ly, const sr_tensor *dy, sr_tensor *dx, bool accumulate,
         sr_error *err)
{
  return sr_backend_conv_backward_data(net->be, &ly->d, dy, net->block[SR_UNET_PARAMS] + ly->w_off,
                                       dx, accumulate, err);
}

static bool
check_ws(const sr_unet *net, const sr_unet_workspace *ws, bool need_training, sr_error *err)
{
  if (!ws || ws->net != net) {
    sr_error_set(err, SR_ERR_INVALID, SR_("U-Net: workspace belongs to another network"));
    return false;
  }
  if (need_training && !ws->training) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("U-Net: training needs a workspace created with training enabled"));
    return false;
  }
  return true;
}

bool
sr_unet_forward(sr_unet *net, sr_unet_workspace *ws, sr_error *err)
{
  if (!check_ws(net, ws, false, err))
    return false;
  int L = net->L;
  for (int l = 0; l < L; l++) {
    if (!fwd(net, &net->enc1[l], &ws->in[l], &ws->a[l], err) ||
        !fwd(net, &net->enc2[l], &ws->a[l], &ws->e[l], err))
      return false;
    if (l < L - 1 && !fwd(net, &net->down[l], &ws->e[l], &ws->in[l + 1], err))
      return false;
  }
  const sr_tensor *prev = &ws->e[L - 1];
  for (int l = L - 2; l >= 0; l--) {
    if (!fwd(net, &net->up[l], prev, &ws->u[l], err) ||
        !fwd(net, &net->dec1[l], &ws->u[l], &ws->b[l], err) ||
        !fwd(net, &net->dec1s[l], &ws->e[l], &ws->b[l], err) ||
        !fwd(net, &net->dec2[l], &ws->b[l], &ws->o[l], err))
      return false;
    prev = &ws->o[l];
  }
  return fwd(net, &net->head, prev, &ws->delta, err);
}

bool
sr_unet_loss(sr_unet *net, sr_unet_workspace *ws, const sr_loss_desc *loss_desc, double *loss,
             sr_error *err)
{
  if (!check_ws(net, ws, true, err))
    return false;
  return sr_backend_charbonnier_luma(net->be, loss_desc, &ws->input, &ws->delta, &ws->target, loss,
                                     &ws->ddelta, err);
}

bool
sr_unet_backward(sr_unet *net, sr_unet_workspace *ws, sr_error *err)
{
  if (!check_ws(net, ws, true, err))
    return false;
  sr_backend *be = net->be;
  int L = net->L;
  /* head: no ReLU */
  if (!bwd_weights(net, &net->head, &ws->o[0], &ws->ddelta, err) ||
      !bwd_data(net, &net->head, &ws->ddelta, &ws->g1[0], false, err))
    return false;
  /* decoder, in reverse of the forward order: g1[l] holds ∂L/∂o_l on entry;
   * the up conv's backward leaves ∂L/∂(its input) in g1[l+1]; the skip's
   * share of ∂L/∂e_l goes to g3[l]. */
  for (int l = 0; l < L - 1; l++) {
    const sr_tensor *prev = l + 1 == L - 1 ? &ws->e[L - 1] : &ws->o[l + 1];
    if (!sr_backend_relu_backward(be, &ws->o[l], &ws->g1[l], err) ||
        !bwd_weights(net, &net->dec2[l], &ws->b[l], &ws->g1[l], err) ||
        !bwd_data(net, &net->dec2[l], &ws->g1[l], &ws->g2[l], false, err) ||
        !sr_backend_relu_backward(be, &ws->b[l], &ws->g2[l], err) ||
        !bwd_weights(net, &net->dec1[l], &ws->u[l], &ws->g2[l], err) ||
        !bwd_weights(net, &net->dec1s[l], &ws->e[l], &ws->g2[l], err) ||
        !bwd_data(net, &net->dec1[l], &ws->g2[l], &ws->g1[l], false, err) ||
        !bwd_data(net, &net->dec1s[l], &ws->g2[l], &ws->g3[l], false, err) ||
        !bwd_weights(net, &net->up[l], prev, &ws->g1[l], err) ||
        !bwd_data(net, &net->up[l], &ws->g1[l], &ws->g1[l + 1], false, err))
      return false;
  }
  /* encoder, bottom first: ge is ∂L/∂e_l, ga ∂L/∂a_l, gin ∂L/∂in_l. */
  for (int l = L - 1; l >= 0; l--) {
    sr_tensor *ge = l == L - 1 ? &ws->g1[l] : &ws->g3[l];
    sr_tensor *ga = &ws->g2[l];
    sr_tensor *gin = l == L - 1 ? &ws->g3[l] : &ws->g1[l];
    if (l < L - 1) {
      sr_tensor *gdown = l + 1 == L - 1 ? &ws->g3[l + 1] : &ws->g1[l + 1];
      if (!bwd_weights(net, &net->down[l], &ws->e[l], gdown, err) ||
          !bwd_data(net, &net->down[l], gdown, ge, true, err))
        return false;
    }
    if (!sr_backend_relu_backward(be, &ws->e[l], ge, err) ||
        !bwd_weights(net, &net->enc2[l], &ws->a[l], ge, err) ||
        !bwd_data(net, &net->enc2[l], ge, ga, false, err) ||
        !sr_backend_relu_backward(be, &ws->a[l], ga, err) ||
        !bwd_weights(net, &net->enc1[l], &ws->in[l], ga, err))
      return false;
    if (l > 0 && !bwd_data(net, &net->enc1[l], ga, gin, false, err))
      return false;
  }
  return true;
}

bool
sr_unet_adam_step(sr_unet *net, const sr_adam_desc *adam, sr_error *err)
{
  return sr_backend_adam(net->be, adam, net->block[SR_UNET_PARAMS], net->block[SR_UNET_GRADS],
                         net->block[SR_UNET_ADAM_M], net->block[SR_UNET_ADAM_V], net->total, err);
}

bool
sr_unet_train_step(sr_unet *net, sr_unet_workspace *ws, const sr_loss_desc *loss_desc,
                   const sr_adam_desc *adam, double *loss, sr_error *err)
{
  if (!sr_unet_forward(net, ws, err) || !sr_unet_loss(net, ws, loss_desc, loss, err))
    return false;
  if (!isfinite(*loss)) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("training diverged at step %lld (the loss is %g): lower the learning rate or "
                     "resume from the last checkpoint"),
                 (long long)adam->step, *loss);
    return false;
  }
  return sr_unet_backward(net, ws, err) && sr_unet_adam_step(net, adam, err);
}

bool
sr_unet_train_step_host(sr_unet *net, sr_unet_workspace *ws, const float *src, const float *target,
                        const sr_loss_desc *loss_desc, const sr_adam_desc *adam, double *loss,
                        sr_error *err)
{
  if (!check_ws(net, ws, true, err))
    return false;
  size_t count = sr_tensor_count(&ws->input);
  return sr_backend_upload(net->be, ws->input.data, src, count, err) &&
         sr_backend_upload(net->be, ws->target.data, target, count, err) &&
         sr_unet_train_step(net, ws, loss_desc, adam, loss, err);
}

bool
sr_unet_evaluate_host(sr_unet *net, sr_unet_workspace *ws, const float *src, const float *target,
                      const sr_loss_desc *loss_desc, double *loss, sr_error *err)
{
  if (!check_ws(net, ws, false, err))
    return false;
  size_t count = sr_tensor_count(&ws->input);
  sr_tensor *t = &ws->target;
  if (!ws->training) {
    if (!ws->eval_target.data &&
        !sr_backend_tensor_alloc(net->be, &ws->eval_target, ws->n, ws->h, ws->w, 3, err))
      return false;
    t = &ws->eval_target;
  }
  return sr_backend_upload(net->be, ws->input.data, src, count, err) &&
         sr_backend_upload(net->be, t->data, target, count, err) && sr_unet_forward(net, ws, err) &&
         sr_backend_charbonnier_luma(net->be, loss_desc, &ws->input, &ws->delta, t, loss, NULL,
                                     err);
}

bool
sr_unet_infer_host(sr_unet *net, sr_unet_workspace *ws, const float *src, float *delta_out,
                   sr_error *err)
{
  if (!check_ws(net, ws, false, err))
    return false;
  return sr_backend_upload(net->be, ws->input.data, src, sr_tensor_count(&ws->input), err) &&
         sr_unet_forward(net, ws, err) &&
         sr_backend_download(net->be, delta_out, ws->delta.data, sr_tensor_count(&ws->delta), err);
}
