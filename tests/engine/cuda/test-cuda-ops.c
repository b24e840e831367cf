/* CUDA backend conformance: every op of libsrcuda.so against the CPU
 * backend on random non-zero inputs, a short U-Net training run and tiled
 * versus whole-frame inference. Without a usable GPU each test is skipped
 * with the loader's reason.
 *
 * Tolerances (fp32 on both sides, different summation orders):
 *   ops:      max |gpu - cpu| <= 1e-4 * max(1, max |cpu|)
 *   loss:     relative 1e-5
 *   training: every step's loss within 2% of the CPU's (Adam amplifies
 *             rounding where gradients are tiny), final loss below the first
 *   tiles:    max |tiled - whole| <= 1e-4 on the same backend. */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr-backend.h"
#include "sr-image.h"
#include "sr-infer.h"
#include "sr-rng.h"
#include "sr-unet.h"

#define OP_TOL 1e-4

static sr_backend *
gpu_or_skip(void)
{
  char reason[256] = "";
  sr_error err = {0};
  sr_backend *be = sr_backend_open("cuda", reason, sizeof reason, &err);
  if (!be) {
    char *msg = g_strdup_printf("%s", reason[0] ? reason : err.message);
    g_test_skip(msg);
    g_free(msg);
    return NULL;
  }
  g_assert_cmpstr(be->name, ==, "cuda");
  return be;
}

static sr_backend *
cpu(void)
{
  sr_error err = {0};
  sr_backend *be = sr_backend_cpu_create(1, &err);
  g_assert_nonnull(be);
  return be;
}

static void
random_fill(float *v, size_t n, sr_rng *rng, float lo, float hi)
{
  for (size_t i = 0; i < n; i++) {
    float x = lo + (hi - lo) * (float)sr_rng_uniform(rng);
    /* non-zero: a zero would hide a missing term */
    v[i] = fabsf(x) < 1e-3f ? 0.25f : x;
  }
}

/* The same host data in both backends. */
typedef struct twin {
  float *c, *g;
  size_t n;
} twin;

static twin
twin_new(sr_backend *bc, sr_backend *bg, const float *host, size_t n)
{
  sr_error err = {0};
  twin t = {sr_backend_alloc(bc, n, &err), sr_backend_alloc(bg, n, &err), n};
  g_assert_nonnull(t.c);
  g_assert_nonnull(t.g);
  g_assert_true(sr_backend_upload(bc, t.c, host, n, &err));
  g_assert_true(sr_backend_upload(bg, t.g, host, n, &err));
  return t;
}

static twin
twin_random(sr_backend *bc, sr_backend *bg, size_t n, sr_rng *rng, float lo, float hi)
{
  float *h = g_new(float, n);
  random_fill(h, n, rng, lo, hi);
  twin t = twin_new(bc, bg, h, n);
  g_free(h);
  return t;
}

static void
twin_free(sr_backend *bc, sr_backend *bg, twin *t)
{
  sr_backend_release(bc, t->c);
  sr_backend_release(bg, t->g);
}

static void
assert_close(const float *got, const float *ref, size_t n, double tol, const char *what)
{
  double scale = 1.0, worst = 0.0;
  size_t at = 0;
  for (size_t i = 0; i < n; i++)
    scale = fmax(scale, fabs(ref[i]));
  for (size_t i = 0; i < n; i++) {
    g_assert_true(isfinite(got[i]));
    double d = fabs((double)got[i] - ref[i]);
    if (d > worst)
      worst = d, at = i;
  }
  if (worst > tol * scale)
    g_error("%s: element %zu differs: gpu %.8g cpu %.8g (tolerance %.3g)", what, at,
            (double)got[at], (double)ref[at], tol * scale);
}

static void
twin_check(sr_backend *bc, sr_backend *bg, const twin *t, const char *what)
{
  sr_error err = {0};
  float *hc = g_new(float, t->n), *hg = g_new(float, t->n);
  g_assert_true(sr_backend_download(bc, hc, t->c, t->n, &err));
  g_assert_true(sr_backend_download(bg, hg, t->g, t->n, &err));
  assert_close(hg, hc, t->n, OP_TOL, what);
  g_free(hc);
  g_free(hg);
}

static sr_tensor
tens(float *data, int n, int h, int w, int c)
{
  return (sr_tensor){n, h, w, c, data};
}

static void
test_memory(void)
{
  sr_backend *bg = gpu_or_skip();
  if (!bg)
    return;
  sr_backend *bc = cpu();
  sr_rng rng;
  sr_rng_seed(&rng, 1);
  sr_error err = {0};
  size_t n = 1000003; /* odd, larger than one grid pass of small kernels */
  twin a = twin_random(bc, bg, n, &rng, -2, 2), b = twin_random(bc, bg, n, &rng, -2, 2);
  twin_check(bc, bg, &a, "upload/download round trip");
  g_assert_true(sr_backend_axpy(bc, a.c, -0.75f, b.c, n, &err));
  g_assert_true(sr_backend_axpy(bg, a.g, -0.75f, b.g, n, &err));
  twin_check(bc, bg, &a, "axpy");
  g_assert_true(sr_backend_copy(bc, b.c, a.c, n / 2, &err));
  g_assert_true(sr_backend_copy(bg, b.g, a.g, n / 2, &err));
  twin_check(bc, bg, &b, "copy");
  g_assert_true(sr_backend_fill(bc, a.c + 7, 3.5f, n - 11, &err));
  g_assert_true(sr_backend_fill(bg, a.g + 7, 3.5f, n - 11, &err));
  g_assert_true(sr_backend_synchronize(bg, &err));
  twin_check(bc, bg, &a, "fill");
  twin_free(bc, bg, &a);
  twin_free(bc, bg, &b);
  /* an absurd allocation fails with a message, not a crash */
  float *huge = sr_backend_alloc(bg, (size_t)1 << 45, &err);
  g_assert_null(huge);
  g_assert_nonnull(strstr(err.message, "MiB"));
  sr_backend_close(bc);
  sr_backend_close(bg);
}

static void
test_conv(void)
{
  sr_backend *bg = gpu_or_skip();
  if (!bg)
    return;
  sr_backend *bc = cpu();
  sr_rng rng;
  sr_rng_seed(&rng, 2);
  sr_error err = {0};
  const int N = 2, H = 8, W = 6, CI = 5, CO = 7;
  for (int kind = SR_CONV_3X3; kind <= SR_CONV_UP2; kind++) {
    for (int flags = 0; flags < 8; flags++) {
      sr_conv_desc d = {(sr_conv_kind)kind, CI, CO, (flags & 1) != 0, (flags & 2) != 0,
                        (flags & 4) != 0};
      sr_tensor x0 = {N, H, W, CI, NULL};
      int oh, ow;
      g_assert_true(sr_conv_output_shape(&d, &x0, &oh, &ow, &err));
      size_t nx = (size_t)N * H * W * CI, ny = (size_t)N * oh * ow * CO;
      size_t nw = sr_conv_weight_count(&d);
      twin x = twin_random(bc, bg, nx, &rng, -1, 1), w = twin_random(bc, bg, nw, &rng, -1, 1);
      twin b = twin_random(bc, bg, CO, &rng, -1, 1);
      twin y = twin_random(bc, bg, ny, &rng, -1, 1);
      char what[96];
      g_snprintf(what, sizeof what, "kind %d bias %d relu %d accumulate %d", kind, d.bias, d.relu,
                 d.accumulate);
      sr_tensor xc = tens(x.c, N, H, W, CI), xg = tens(x.g, N, H, W, CI);
      sr_tensor yc = tens(y.c, N, oh, ow, CO), yg = tens(y.g, N, oh, ow, CO);
      g_assert_true(sr_backend_conv_forward(bc, &d, &xc, w.c, d.bias ? b.c : NULL, &yc, &err));
      if (!sr_backend_conv_forward(bg, &d, &xg, w.g, d.bias ? b.g : NULL, &yg, &err))
        g_error("%s: %s", what, err.message);
      char label[160];
      g_snprintf(label, sizeof label, "conv forward %s", what);
      twin_check(bc, bg, &y, label);

      /* gradients: dy random, dx/dw/db overwritten or accumulated */
      bool acc = (flags & 4) != 0;
      twin dy = twin_random(bc, bg, ny, &rng, -1, 1);
      twin dx = twin_random(bc, bg, nx, &rng, -1, 1);
      twin dw = twin_random(bc, bg, nw, &rng, -1, 1), db = twin_random(bc, bg, CO, &rng, -1, 1);
      sr_tensor dyc = tens(dy.c, N, oh, ow, CO), dyg = tens(dy.g, N, oh, ow, CO);
      sr_tensor dxc = tens(dx.c, N, H, W, CI), dxg = tens(dx.g, N, H, W, CI);
      g_assert_true(sr_backend_conv_backward_data(bc, &d, &dyc, w.c, &dxc, acc, &err));
      if (!sr_backend_conv_backward_data(bg, &d, &dyg, w.g, &dxg, acc, &err))
        g_error("%s: %s", what, err.message);
      g_snprintf(label, sizeof label, "conv backward data %s", what);
      twin_check(bc, bg, &dx, label);
      g_assert_true(sr_backend_conv_backward_weights(bc, &d, &xc, &dyc, dw.c, d.bias ? db.c : NULL,
                                                     acc, &err));
      if (!sr_backend_conv_backward_weights(bg, &d, &xg, &dyg, dw.g, d.bias ? db.g : NULL, acc,
                                            &err))
        g_error("%s: %s", what, err.message);
      g_snprintf(label, sizeof label, "conv backward weights %s", what);
      twin_check(bc, bg, &dw, label);
      g_snprintf(label, sizeof label, "conv backward bias %s", what);
      twin_check(bc, bg, &db, label);
      twin *all[] = {&x, &w, &b, &y, &dy, &dx, &dw, &db};
      for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        twin_free(bc, bg, all[i]);
    }
  }
  sr_backend_close(bc);
  sr_backend_close(bg);
}

static void
test_pointwise(void)
{
  sr_backend *bg = gpu_or_skip();
  if (!bg)
    return;
  sr_backend *bc = cpu();
  sr_rng rng;
  sr_rng_seed(&rng, 3);
  sr_error err = {0};
  const int N = 2, H = 5, W = 7;
  size_t m = (size_t)N * H * W;

  /* ReLU backward: y is a ReLU output (zeros and positives) */
  float *hy = g_new(float, m * 4);
  random_fill(hy, m * 4, &rng, -1, 1);
  for (size_t i = 0; i < m * 4; i++)
    hy[i] = hy[i] > 0 ? hy[i] : 0;
  twin y = twin_new(bc, bg, hy, m * 4), dy = twin_random(bc, bg, m * 4, &rng, -1, 1);
  sr_tensor yc = tens(y.c, N, H, W, 4), yg = tens(y.g, N, H, W, 4);
  sr_tensor dyc = tens(dy.c, N, H, W, 4), dyg = tens(dy.g, N, H, W, 4);
  g_assert_true(sr_backend_relu_backward(bc, &yc, &dyc, &err));
  g_assert_true(sr_backend_relu_backward(bg, &yg, &dyg, &err));
  twin_check(bc, bg, &dy, "ReLU backward");
  g_free(hy);

  /* Charbonnier loss and gradient */
  twin s = twin_random(bc, bg, m * 3, &rng, 0, 1), t = twin_random(bc, bg, m * 3, &rng, 0, 1);
  twin dl = twin_random(bc, bg, m, &rng, -0.3f, 0.3f), g = twin_random(bc, bg, m, &rng, -1, 1);
  sr_loss_desc ld = {0.2126f, 0.7152f, 0.0722f, SR_CHARBONNIER_EPS};
  sr_tensor sc = tens(s.c, N, H, W, 3), sg = tens(s.g, N, H, W, 3);
  sr_tensor tc = tens(t.c, N, H, W, 3), tg = tens(t.g, N, H, W, 3);
  sr_tensor dc = tens(dl.c, N, H, W, 1), dg = tens(dl.g, N, H, W, 1);
  sr_tensor gc = tens(g.c, N, H, W, 1), gg = tens(g.g, N, H, W, 1);
  double lc = 0, lg = 0, lg2 = 0;
  g_assert_true(sr_backend_charbonnier_luma(bc, &ld, &sc, &dc, &tc, &lc, &gc, &err));
  g_assert_true(sr_backend_charbonnier_luma(bg, &ld, &sg, &dg, &tg, &lg, &gg, &err));
  g_assert_cmpfloat(lc, >, 0.0);
  g_assert_cmpfloat(fabs(lg - lc), <=, 1e-5 * lc);
  twin_check(bc, bg, &g, "Charbonnier gradient");
  /* without a gradient buffer; same loss bit for bit (deterministic) */
  g_assert_true(sr_backend_charbonnier_luma(bg, &ld, &sg, &dg, &tg, &lg2, NULL, &err));
  g_assert_cmpfloat(lg2, ==, lg);

  /* luma residual, clamped and not: inputs push some values outside [0,1] */
  twin o = twin_random(bc, bg, m * 3, &rng, -1, 1);
  sr_tensor oc = tens(o.c, N, H, W, 3), og = tens(o.g, N, H, W, 3);
  for (int clamp = 0; clamp < 2; clamp++) {
    g_assert_true(sr_backend_apply_luma_residual(bc, &sc, &dc, clamp, &oc, &err));
    g_assert_true(sr_backend_apply_luma_residual(bg, &sg, &dg, clamp, &og, &err));
    twin_check(bc, bg, &o, clamp ? "luma residual, clamped" : "luma residual");
  }

  /* Adam: three steps with decoupled weight decay */
  size_t np = 4099;
  twin p = twin_random(bc, bg, np, &rng, -1, 1), gr = twin_random(bc, bg, np, &rng, -1, 1);
  twin am = twin_random(bc, bg, np, &rng, -0.1f, 0.1f),
       av = twin_random(bc, bg, np, &rng, 0.01f, 0.1f);
  sr_adam_desc ad = sr_adam_defaults();
  ad.lr = 1e-2f;
  ad.weight_decay = 0.01f;
  for (int step = 1; step <= 3; step++) {
    ad.step = step;
    g_assert_true(sr_backend_adam(bc, &ad, p.c, gr.c, am.c, av.c, np, &err));
    g_assert_true(sr_backend_adam(bg, &ad, p.g, gr.g, am.g, av.g, np, &err));
  }
  twin_check(bc, bg, &p, "Adam parameters");
  twin_check(bc, bg, &am, "Adam first moment");
  twin_check(bc, bg, &av, "Adam second moment");

  twin *all[] = {&y, &dy, &s, &t, &dl, &g, &o, &p, &gr, &am, &av};
  for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
    twin_free(bc, bg, all[i]);
  sr_backend_close(bc);
  sr_backend_close(bg);
}

/* A fixed smooth RGB pattern in [0,1] and a sharper "ground truth". */
static void
pattern(float *src, float *tgt, int n, int h, int w, uint64_t seed)
{
  sr_rng rng;
  sr_rng_seed(&rng, seed);
  for (int b = 0; b < n; b++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int c = 0; c < 3; c++) {
          size_t i = (((size_t)b * h + y) * w + x) * 3 + c;
          float base = 0.5f + 0.3f * sinf(0.3f * x + 0.2f * y + b + c);
          float noise = 0.1f * (float)sr_rng_uniform(&rng);
          src[i] = base;
          if (tgt)
            tgt[i] = fminf(1.0f, base + noise);
        }
}

static void
test_unet_training(void)
{
  sr_backend *bg = gpu_or_skip();
  if (!bg)
    return;
  sr_backend *bc = cpu();
  sr_error err = {0};
  const int N = 2, H = 32, W = 32, STEPS = 50;
  sr_unet *nc = sr_unet_new(SR_UNET_S, bc, &err), *ng = sr_unet_new(SR_UNET_S, bg, &err);
  g_assert_nonnull(nc);
  g_assert_nonnull(ng);
  g_assert_true(sr_unet_init(nc, 7, &err));
  /* identical starting weights, whatever the init does per backend */
  size_t np = sr_unet_total_params(nc);
  float *params = g_new(float, np);
  g_assert_true(sr_unet_export(nc, SR_UNET_PARAMS, params, &err));
  g_assert_true(sr_unet_init(ng, 7, &err));
  g_assert_true(sr_unet_import(ng, SR_UNET_PARAMS, params, &err));
  sr_unet_workspace *wc = sr_unet_workspace_new(nc, N, H, W, true, &err);
  sr_unet_workspace *wg = sr_unet_workspace_new(ng, N, H, W, true, &err);
  g_assert_nonnull(wc);
  g_assert_nonnull(wg);
  size_t n3 = (size_t)N * H * W * 3;
  float *src = g_new(float, n3), *tgt = g_new(float, n3);
  pattern(src, tgt, N, H, W, 11);
  sr_loss_desc ld = {0.2126f, 0.7152f, 0.0722f, SR_CHARBONNIER_EPS};
  sr_adam_desc ad = sr_adam_defaults();
  ad.lr = 1e-3f;
  double first = 0, last = 0;
  for (int s = 1; s <= STEPS; s++) {
    ad.step = s;
    double lc = 0, lg = 0;
    g_assert_true(sr_unet_train_step_host(nc, wc, src, tgt, &ld, &ad, &lc, &err));
    if (!sr_unet_train_step_host(ng, wg, src, tgt, &ld, &ad, &lg, &err))
      g_error("GPU training step %d: %s", s, err.message);
    if (fabs(lg - lc) > 0.02 * lc)
      g_error("step %d: GPU loss %.8g, CPU loss %.8g (more than 2%% apart)", s, lg, lc);
    if (s == 1)
      first = lg;
    last = lg;
  }
  g_assert_cmpfloat(last, <, first);
  g_free(src);
  g_free(tgt);
  g_free(params);
  sr_unet_workspace_free(wc);
  sr_unet_workspace_free(wg);
  sr_unet_free(nc);
  sr_unet_free(ng);
  sr_backend_close(bc);
  sr_backend_close(bg);
}

static void
test_tiled_inference(void)
{
  sr_backend *bg = gpu_or_skip();
  if (!bg)
    return;
  sr_backend *bc = cpu();
  sr_error err = {0};
  sr_unet *ng = sr_unet_new(SR_UNET_S, bg, &err), *nc = sr_unet_new(SR_UNET_S, bc, &err);
  g_assert_nonnull(ng);
  g_assert_nonnull(nc);
  g_assert_true(sr_unet_init(nc, 5, &err));
  size_t np = sr_unet_total_params(nc);
  float *params = g_new(float, np);
  g_assert_true(sr_unet_export(nc, SR_UNET_PARAMS, params, &err));
  g_assert_true(sr_unet_init(ng, 5, &err));
  g_assert_true(sr_unet_import(ng, SR_UNET_PARAMS, params, &err));
  sr_image *in = sr_image_new(100, 76, 3, &err);
  g_assert_nonnull(in);
  pattern(in->pixels, NULL, 1, 76, 100, 3);
  sr_infer_options whole, tiled;
  sr_infer_options_init(&whole);
  sr_infer_options_init(&tiled);
  whole.tile = -1;
  tiled.tile = 32;
  sr_image *dw = sr_infer_delta(ng, in, &whole, &err);
  g_assert_nonnull(dw);
  sr_image *dt = sr_infer_delta(ng, in, &tiled, &err);
  g_assert_nonnull(dt);
  sr_image *dc = sr_infer_delta(nc, in, &whole, &err);
  g_assert_nonnull(dc);
  size_t n = (size_t)in->width * in->height;
  assert_close(dt->pixels, dw->pixels, n, OP_TOL, "GPU tiled vs whole-frame delta");
  assert_close(dw->pixels, dc->pixels, n, OP_TOL, "GPU vs CPU whole-frame delta");
  sr_image_free(in);
  sr_image_free(dw);
  sr_image_free(dt);
  sr_image_free(dc);
  g_free(params);
  sr_unet_free(ng);
  sr_unet_free(nc);
  sr_backend_close(bc);
  sr_backend_close(bg);
}

static void
test_devices(void)
{
  /* runs everywhere: the CPU is listed, CUDA devices only with a GPU */
  sr_device_info dev[8];
  size_t count = 0;
  char reason[256] = "";
  sr_error err = {0};
  g_assert_true(sr_backend_list_devices(dev, 8, &count, reason, sizeof reason, &err));
  g_assert_cmpuint(count, >=, 1);
  g_assert_cmpstr(dev[0].backend, ==, "cpu");
  if (count == 1) {
    g_assert_cmpstr(reason, !=, "");
    g_test_message("no CUDA device listed: %s", reason);
  }
  for (size_t i = 1; i < count; i++) {
    g_assert_cmpstr(dev[i].backend, ==, "cuda");
    g_assert_cmpuint(dev[i].memory, >, 0);
    g_assert_nonnull(strstr(dev[i].detail, "cuDNN"));
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cuda/devices", test_devices);
  g_test_add_func("/cuda/memory", test_memory);
  g_test_add_func("/cuda/conv", test_conv);
  g_test_add_func("/cuda/pointwise", test_pointwise);
  g_test_add_func("/cuda/unet-training", test_unet_training);
  g_test_add_func("/cuda/tiled-inference", test_tiled_inference);
  return g_test_run();
}
