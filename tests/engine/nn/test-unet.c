/* The U-Net on the CPU backend: parameter list, whole-network gradient
 * check, inference workspace equals training workspace, determinism,
 * export/import, and a short training run that lowers the loss. */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr-backend.h"
#include "sr-rng.h"
#include "sr-unet.h"

static const sr_loss_desc luma709 = {0.2126f, 0.7152f, 0.0722f, SR_CHARBONNIER_EPS};

/* threads 0: the default (OMP_NUM_THREADS); 1 for the checks that run
 * many small passes, which a busy machine would otherwise slow down. */
static sr_backend *
cpu_threads(int threads)
{
  sr_error err = {0};
  sr_backend *be = sr_backend_cpu_create(threads, &err);
  g_assert_nonnull(be);
  return be;
}

static sr_backend *
cpu(void)
{
  return cpu_threads(0);
}

static sr_unet *
net_new(sr_backend *be, sr_unet_size size, uint64_t seed)
{
  sr_error err = {0};
  sr_unet *net = sr_unet_new(size, be, &err);
  g_assert_nonnull(net);
  g_assert_true(sr_unet_init(net, seed, &err));
  return net;
}

/* A Source patch and a ground truth that differs only in luma by a
 * texture the network can learn from the Source itself. */
static void
make_pair(int n, int h, int w, uint64_t seed, float **src, float **gt)
{
  sr_rng rng;
  sr_rng_seed(&rng, seed);
  size_t px = (size_t)n * h * w;
  *src = g_new(float, px * 3);
  *gt = g_new(float, px * 3);
  for (int b = 0; b < n; b++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        size_t i = ((size_t)b * h + y) * w + x;
        float base = 0.5f + 0.3f * sinf(0.4f * x + 0.7f * y + b);
        for (int c = 0; c < 3; c++)
          (*src)[3 * i + c] = base + 0.1f * c + 0.05f * (float)sr_rng_uniform(&rng);
        float detail = 0.08f * sinf(1.3f * x) * cosf(0.9f * y);
        for (int c = 0; c < 3; c++)
          (*gt)[3 * i + c] = (*src)[3 * i + c] + detail;
      }
}

static void
test_params(void)
{
  sr_backend *be = cpu();
  sr_error err = {0};
  g_assert_cmpint(sr_unet_size_multiple(SR_UNET_S), ==, 4);
  g_assert_cmpint(sr_unet_size_multiple(SR_UNET_M), ==, 8);
  g_assert_cmpint(sr_unet_receptive_radius(SR_UNET_S), ==, 32);
  g_assert_cmpint(sr_unet_receptive_radius(SR_UNET_M), ==, 72);
  g_assert_cmpint(sr_unet_base_width(SR_UNET_L), ==, 64);
  sr_unet_size sz;
  g_assert_true(sr_unet_size_from_id("medium", &sz) && sz == SR_UNET_M);
  g_assert_true(sr_unet_size_from_id("l", &sz) && sz == SR_UNET_L);
  g_assert_false(sr_unet_size_from_id("XL", &sz));
  g_assert_null(sr_unet_new((sr_unet_size)7, be, &err));

  struct {
    sr_unet_size size;
    size_t tensors;
  } expect[] = {{SR_UNET_S, 2 * 6 + 4 + 2 * 7 + 2}, {SR_UNET_M, 3 * 6 + 4 + 3 * 7 + 2}};
  for (size_t k = 0; k < G_N_ELEMENTS(expect); k++) {
    sr_unet *net = sr_unet_new(expect[k].size, be, &err);
    g_assert_nonnull(net);
    size_t n = sr_unet_param_count(net), floats = 0, end = 0;
    g_assert_cmpuint(n, ==, expect[k].tensors);
    g_assert_cmpstr(sr_unet_param_info(net, 0)->name, ==, "enc0.conv1.weight");
    g_assert_cmpstr(sr_unet_param_info(net, n - 1)->name, ==, "head.bias");
    g_assert_null(sr_unet_param_info(net, n));
    for (size_t i = 0; i < n; i++) {
      const sr_unet_param *p = sr_unet_param_info(net, i);
      g_assert_cmpint(sr_unet_param_find(net, p->name), ==, (long)i);
      g_assert_cmpuint(p->offset, >=, end); /* in order, no overlap */
      g_assert_cmpuint(p->offset % 16, ==, 0);
      end = p->offset + p->count;
      floats += p->count;
      size_t prod = 1;
      for (int r = 0; r < p->rank; r++)
        prod *= (size_t)p->shape[r];
      g_assert_cmpuint(prod, ==, p->count);
    }
    g_assert_cmpuint(end, ==, sr_unet_total_params(net));
    long i1 = sr_unet_param_find(net, "enc0.conv1.weight");
    const sr_unet_param *p = sr_unet_param_info(net, (size_t)i1);
    int C = sr_unet_base_width(expect[k].size);
    g_assert_cmpint(p->shape[0], ==, C);
    g_assert_cmpint(p->shape[3], ==, 3);
    g_assert_cmpint(sr_unet_param_find(net, "dec0.conv1.skip_weight"), >, 0);
    g_assert_cmpint(sr_unet_param_find(net, "no.such"), ==, -1);
    if (expect[k].size == SR_UNET_M) /* about two million parameters */
      g_assert_cmpuint(floats, >, 1800000);
    sr_unet_free(net);
  }
  sr_backend_close(be);
}

/* Whole-network gradient: analytic (backward) against central differences
 * of the loss, for the largest-gradient entry and a random entry of a
 * handful of tensors spread over the network. The loss eps is raised to
 * 0.05 here so the loss is smooth on the scale of the finite step. */
static void
test_network_gradient(void)
{
  sr_backend *be = cpu_threads(1);
  sr_error err = {0};
  sr_unet *net = net_new(be, SR_UNET_S, 5);
  const int N = 2, H = 16, W = 16;
  sr_unet_workspace *ws = sr_unet_workspace_new(net, N, H, W, true, &err);
  g_assert_nonnull(ws);
  float *src, *gt;
  make_pair(N, H, W, 3, &src, &gt);
  sr_loss_desc ld = luma709;
  ld.eps = 0.05f;

  /* the untrained head is small; give the head real weight so every layer
   * carries a sizeable gradient */
  size_t total = sr_unet_total_params(net);
  float *params = g_new(float, total), *grads = g_new(float, total);
  g_assert_true(sr_unet_export(net, SR_UNET_PARAMS, params, &err));
  const sr_unet_param *hw = sr_unet_param_info(net, (size_t)sr_unet_param_find(net, "head.weight"));
  for (size_t i = 0; i < hw->count; i++)
    params[hw->offset + i] *= 10.0f;
  g_assert_true(sr_unet_import(net, SR_UNET_PARAMS, params, &err));

  double loss;
  g_assert_true(sr_unet_evaluate_host(net, ws, src, gt, &ld, &loss, &err));
  sr_tensor in = sr_unet_workspace_input(ws), tg = sr_unet_workspace_target(ws);
  g_assert_true(sr_backend_upload(be, tg.data, gt, sr_tensor_count(&tg), &err));
  g_assert_true(sr_unet_forward(net, ws, &err));
  double loss2;
  g_assert_true(sr_unet_loss(net, ws, &ld, &loss2, &err));
  g_assert_cmpfloat(loss, ==, loss2);
  g_assert_true(sr_unet_backward(net, ws, &err));
  g_assert_true(sr_unet_export(net, SR_UNET_GRADS, grads, &err));
  (void)in;

  const char *names[] = {"enc0.conv1.weight", "enc0.conv1.bias", "enc1.down.weight",
                         "mid.conv2.weight",  "dec1.up.weight",  "dec1.conv1.skip_weight",
                         "dec0.conv1.weight", "dec0.conv1.bias", "dec0.conv2.weight",
                         "head.weight",       "head.bias",       "enc1.conv2.bias"};
  sr_rng rng;
  sr_rng_seed(&rng, 99);
  int checked = 0;
  for (size_t k = 0; k < G_N_ELEMENTS(names); k++) {
    long idx = sr_unet_param_find(net, names[k]);
    g_assert_cmpint(idx, >=, 0);
    const sr_unet_param *p = sr_unet_param_info(net, (size_t)idx);
    size_t best = 0;
    for (size_t i = 1; i < p->count; i++)
      if (fabsf(grads[p->offset + i]) > fabsf(grads[p->offset + best]))
        best = i;
    size_t picks[2] = {best, sr_rng_below(&rng, (uint32_t)p->count)};
    for (int q = 0; q < 2; q++) {
      size_t j = p->offset + picks[q];
      float keep = params[j];
      const float h = 2e-3f;
      double lp, lm;
      params[j] = keep + h;
      g_assert_true(sr_unet_import(net, SR_UNET_PARAMS, params, &err));
      g_assert_true(sr_unet_evaluate_host(net, ws, src, gt, &ld, &lp, &err));
      params[j] = keep - h;
      g_assert_true(sr_unet_import(net, SR_UNET_PARAMS, params, &err));
      g_assert_true(sr_unet_evaluate_host(net, ws, src, gt, &ld, &lm, &err));
      params[j] = keep;
      double fd = (lp - lm) / (2.0 * h), an = grads[j];
      double scale = fabs(grads[p->offset + best]);
      if (q == 0)
        g_assert_cmpfloat(scale, >, 1e-6); /* a real gradient reaches this tensor */
      if (fabs(fd - an) > 0.03 * scale + 1e-6)
        g_error("%s[%zu]: backward %.6g, finite difference %.6g", p->name, picks[q], an, fd);
      checked++;
    }
  }
  g_assert_cmpint(checked, ==, 2 * (int)G_N_ELEMENTS(names));
  g_assert_true(sr_unet_import(net, SR_UNET_PARAMS, params, &err));
  g_free(params);
  g_free(grads);
  g_free(src);
  g_free(gt);
  sr_unet_workspace_free(ws);
  sr_unet_free(net);
  sr_backend_close(be);
}

/* The inference workspace reuses buffers; it must give the training
 * workspace's answer. Training keeps the inner tensors in the backend's
 * channel-blocked layout and inference in NHWC, whose kernels sum in
 * another order, so the two agree to float rounding, not bit for bit; a
 * buffer reused too early would be off by far more. */
static void
test_inference_workspace(void)
{
  sr_backend *be = cpu();
  sr_error err = {0};
  for (int s = 0; s < 2; s++) {
    sr_unet_size size = s ? SR_UNET_M : SR_UNET_S;
    sr_unet *net = net_new(be, size, 8);
    const int N = 1, H = 24, W = 32;
    sr_unet_workspace *tr = sr_unet_workspace_new(net, N, H, W, true, &err);
    sr_unet_workspace *inf = sr_unet_workspace_new(net, N, H, W, false, &err);
    g_assert_nonnull(tr);
    g_assert_nonnull(inf);
    g_assert_cmpuint(sr_unet_workspace_bytes(size, N, H, W, false), <,
                     sr_unet_workspace_bytes(size, N, H, W, true) / 2);
    float *src, *gt;
    make_pair(N, H, W, 4, &src, &gt);
    size_t px = (size_t)N * H * W;
    float *d1 = g_new(float, px), *d2 = g_new(float, px);
    g_assert_true(sr_unet_infer_host(net, tr, src, d1, &err));
    g_assert_true(sr_unet_infer_host(net, inf, src, d2, &err));
    for (size_t i = 0; i < px; i++)
      g_assert_cmpfloat_with_epsilon(d1[i], d2[i], 1e-5 * (1.0 + fabsf(d1[i])));
    double nonzero = 0;
    for (size_t i = 0; i < px; i++)
      nonzero += fabsf(d1[i]);
    g_assert_cmpfloat(nonzero, >, 0.0);
    /* inference workspaces cannot train */
    double loss;
    g_assert_false(sr_unet_backward(net, inf, &err));
    g_assert_nonnull(strstr(err.message, "training"));
    g_assert_true(sr_unet_evaluate_host(net, inf, src, gt, &luma709, &loss, &err));
    g_assert_cmpfloat(loss, >, 0.0);
    g_free(d1);
    g_free(d2);
    g_free(src);
    g_free(gt);
    sr_unet_workspace_free(tr);
    sr_unet_workspace_free(inf);
    sr_unet_free(net);
  }
  sr_backend_close(be);
}

/* Changing one input pixel changes no output pixel farther away than
 * sr_unet_receptive_radius (tiled inference relies on it). */
static void
test_receptive_radius(void)
{
  sr_backend *be = cpu_threads(1);
  sr_error err = {0};
  sr_unet *net = net_new(be, SR_UNET_S, 21);
  const int H = 88, W = 88;
  sr_unet_workspace *ws = sr_unet_workspace_new(net, 1, H, W, false, &err);
  g_assert_nonnull(ws);
  float *src, *gt;
  make_pair(1, H, W, 5, &src, &gt);
  size_t px = (size_t)H * W;
  float *d0 = g_new(float, px), *d1 = g_new(float, px);
  g_assert_true(sr_unet_infer_host(net, ws, src, d0, &err));
  int radius = sr_unet_receptive_radius(SR_UNET_S), reach = 0;
  const int spots[][2] = {{44, 44}, {45, 43}, {43, 46}, {47, 47}};
  for (size_t k = 0; k < G_N_ELEMENTS(spots); k++) {
    size_t at = ((size_t)spots[k][0] * W + spots[k][1]) * 3;
    float keep = src[at + 1];
    src[at + 1] += 0.5f;
    g_assert_true(sr_unet_infer_host(net, ws, src, d1, &err));
    src[at + 1] = keep;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        if (d0[(size_t)y * W + x] != d1[(size_t)y * W + x]) {
          int dy = abs(y - spots[k][0]), dx = abs(x - spots[k][1]);
          reach = MAX(reach, MAX(dy, dx));
        }
  }
  g_test_message("measured reach %d, bound %d", reach, radius);
  g_assert_cmpint(reach, >, radius / 2); /* the bound is not wildly loose */
  g_assert_cmpint(reach, <=, radius);
  g_free(d0);
  g_free(d1);
  g_free(src);
  g_free(gt);
  sr_unet_workspace_free(ws);
  sr_unet_free(net);
  sr_backend_close(be);
}

static void
test_shapes(void)
{
  sr_backend *be = cpu();
  sr_error err = {0};
  sr_unet *net = net_new(be, SR_UNET_M, 1);
  g_assert_null(sr_unet_workspace_new(net, 1, 20, 16, false, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  g_assert_nonnull(strstr(err.message, "multiple of 8"));
  g_assert_null(sr_unet_workspace_new(net, 0, 16, 16, false, &err));
  g_assert_cmpuint(sr_unet_workspace_bytes(SR_UNET_M, 1, 20, 16, false), ==, 0);
  sr_unet *other = net_new(be, SR_UNET_S, 1);
  sr_unet_workspace *ws = sr_unet_workspace_new(other, 1, 8, 8, true, &err);
  g_assert_false(sr_unet_forward(net, ws, &err));
  g_assert_nonnull(strstr(err.message, "another network"));
  sr_unet_workspace_free(ws);
  sr_unet_free(other);
  sr_unet_free(net);
  sr_backend_close(be);
}

/* Runs steps of training from a seed on an n×side×side batch; returns the
 * parameters and the losses. */
static float *
train(sr_backend *be, uint64_t seed, int side, int steps, double *losses)
{
  sr_error err = {0};
  sr_unet *net = net_new(be, SR_UNET_S, seed);
  const int N = 2;
  sr_unet_workspace *ws = sr_unet_workspace_new(net, N, side, side, true, &err);
  g_assert_nonnull(ws);
  float *src, *gt;
  make_pair(N, side, side, 7, &src, &gt);
  sr_adam_desc a = sr_adam_defaults();
  a.lr = 2e-3f;
  for (int t = 1; t <= steps; t++) {
    a.step = t;
    g_assert_true(sr_unet_train_step_host(net, ws, src, gt, &luma709, &a, &losses[t - 1], &err));
  }
  float *p = g_new(float, sr_unet_total_params(net));
  g_assert_true(sr_unet_export(net, SR_UNET_PARAMS, p, &err));
  g_free(src);
  g_free(gt);
  sr_unet_workspace_free(ws);
  sr_unet_free(net);
  return p;
}

static void
test_determinism_and_training(void)
{
  sr_backend *be = cpu();
  sr_backend *be1 = cpu_threads(1);
  sr_error err = {0};
  enum { REPEAT = 6, STEPS = 60 };
  /* repeatability on all threads: 32×32 is large enough for the first
   * level's convolutions to run threaded, reductions included */
  double r1[REPEAT], r2[REPEAT], r3[REPEAT], l1[STEPS];
  float *p1 = train(be, 42, 32, REPEAT, r1);
  float *p2 = train(be, 42, 32, REPEAT, r2);
  sr_unet *probe = sr_unet_new(SR_UNET_S, be, &err);
  size_t total = sr_unet_total_params(probe);
  g_assert_cmpmem(p1, total * sizeof(float), p2, total * sizeof(float));
  g_assert_cmpmem(r1, sizeof r1, r2, sizeof r2);
  float *p3 = train(be, 43, 32, REPEAT, r3);
  g_assert_true(memcmp(p1, p3, total * sizeof(float)) != 0);

  /* training lowers the loss clearly (small patches, one thread: fast even
   * on a busy machine) */
  float *p4 = train(be1, 42, 16, STEPS, l1);
  double first = l1[0], last = (l1[STEPS - 1] + l1[STEPS - 2] + l1[STEPS - 3]) / 3.0;
  g_test_message("loss %.5f -> %.5f", first, last);
  g_assert_cmpfloat(last, <, 0.7 * first);

  /* a non-finite loss stops the step before any update */
  {
    sr_unet *net = net_new(be, SR_UNET_S, 42);
    sr_unet_workspace *ws = sr_unet_workspace_new(net, 1, 8, 8, true, &err);
    float src[8 * 8 * 3], gt[8 * 8 * 3];
    for (int i = 0; i < 8 * 8 * 3; i++)
      src[i] = gt[i] = 0.5f;
    gt[7] = NAN;
    size_t n = sr_unet_total_params(net);
    float *before = g_new(float, n), *after = g_new(float, n);
    g_assert_true(sr_unet_export(net, SR_UNET_PARAMS, before, &err));
    sr_adam_desc a = sr_adam_defaults();
    double loss;
    g_assert_false(sr_unet_train_step_host(net, ws, src, gt, &luma709, &a, &loss, &err));
    g_assert_nonnull(strstr(err.message, "diverged"));
    g_assert_true(sr_unet_export(net, SR_UNET_PARAMS, after, &err));
    g_assert_cmpmem(before, n * sizeof(float), after, n * sizeof(float));
    g_free(before);
    g_free(after);
    sr_unet_workspace_free(ws);
    sr_unet_free(net);
  }

  /* export/import carries the model: same parameters, same output */
  g_assert_true(sr_unet_import(probe, SR_UNET_PARAMS, p1, &err));
  float *back = g_new(float, total);
  g_assert_true(sr_unet_export(probe, SR_UNET_PARAMS, back, &err));
  g_assert_cmpmem(back, total * sizeof(float), p1, total * sizeof(float));
  g_assert_false(sr_unet_export(probe, (sr_unet_block)9, back, &err));
  g_free(back);
  sr_unet_free(probe);
  g_free(p1);
  g_free(p2);
  g_free(p3);
  g_free(p4);
  sr_backend_close(be);
  sr_backend_close(be1);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/nn/unet/params", test_params);
  g_test_add_func("/nn/unet/gradient", test_network_gradient);
  g_test_add_func("/nn/unet/inference-workspace", test_inference_workspace);
  g_test_add_func("/nn/unet/receptive-radius", test_receptive_radius);
  g_test_add_func("/nn/unet/shapes", test_shapes);
  g_test_add_func("/nn/unet/determinism-training", test_determinism_and_training);
  return g_test_run();
}
