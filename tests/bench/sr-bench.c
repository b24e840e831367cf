/* sr-bench — speed of the U-Net on a backend.
 *
 * Prints milliseconds per training step (forward + Charbonnier loss +
 * backward + Adam) for S at patch 128 and 256 and M at 128, 256 and 512,
 * batch 3, each with its CPU time (cpu_ lines), and seconds
 * per 2048×1556 frame of M inference (padded to 2048×1560, the next
 * multiple of 8, as the renderer does). `--set gpu` times the figures the
 * GPU goals are stated in instead: S, M and L at patch 512, batch 3, and M
 * inference on 2048×1556 and 4096×3112 frames; every figure also gives the
 * arithmetic rate reached (convolution FLOPs counted from the architecture,
 * a training step counted as three forward passes). Each figure is the median of
 * several timed runs after warm-up runs that build and cache primitives.
 * Lines starting with "RESULT" are for run-bench.sh; unet_torch.py prints
 * the same lines for PyTorch.
 *
 *   sr-bench [--backend cpu|cuda|auto] [--set cpu|gpu] [--quick]
 *            [--only train|infer] [--model S|M|L] [--patch N]
 * --model and --patch keep only the training figures of that size or patch
 * (for profiling one shape).
 *   sr-bench --export DIR   writes an S model, an input, its ΔY, loss and
 *                           gradients for unet_torch.py --check DIR, which
 *                           proves the PyTorch model is the same network
 *                           (and the documented weight layouts right)
 * Threads: OMP_NUM_THREADS (the CPU backend uses oneDNN's OpenMP threads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sr-backend.h"
#include "sr-rng.h"
#include "sr-unet.h"

static double
clock_s(clockid_t id)
{
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double
now(void)
{
  return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of every thread of the process: on a machine shared with other
 * work it counts only the time we ran, so it moves far less with the load
 * than the wall clock (run with OMP_WAIT_POLICY=passive so that waiting
 * threads sleep rather than spin). */
static double
cpu_now(void)
{
  return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static float *
random_image(size_t count, uint64_t seed)
{
  float *p = malloc(count * sizeof(float));
  if (!p)
    return NULL;
  sr_rng rng;
  sr_rng_seed(&rng, seed);
  for (size_t i = 0; i < count; i++)
    p[i] = (float)sr_rng_uniform(&rng);
  return p;
}

/* Multiply-adds ×2 of one forward pass over n×h×w: every convolution is
 * 2·Cin·Cout·k² per output pixel (a 2×2 transposed convolution likewise per
 * input pixel). */
static double
forward_flops(sr_unet_size size, int n, int h, int w)
{
  int levels = sr_unet_levels(size), c0 = sr_unet_base_width(size);
  double px = (double)n * h * w, f = 0;
  for (int l = 0; l < levels; l++) {
    double c = (double)(c0 << l), p = px / (double)(1 << (2 * l));
    f += 2 * p * (l == 0 ? 3 : c) * c * 9 + 2 * p * c * c * 9; /* encoder pair */
    if (l < levels - 1) {
      double c1 = 2 * c, p1 = p / 4;
      f += 2 * p1 * c * c1 * 4;                       /* 2×2 stride-2 down */
      f += 2 * p1 * c1 * c * 4;                       /* 2×2 transposed up */
      f += 2 * p * 2 * c * c * 9 + 2 * p * c * c * 9; /* decoder pair */
    }
  }
  return f + 2 * px * c0; /* 1×1 head to one channel */
}

static bool
bench_train(sr_backend *be, sr_unet_size size, int patch, int batch, int warmup, int runs,
            double *ms, double *cpu_ms)
{
  sr_error err = {0};
  sr_unet *net = sr_unet_new(size, be, &err);
  sr_unet_workspace *ws = NULL;
  float *src = NULL, *gt = NULL;
  bool ok = false;
  if (!net || !sr_unet_init(net, 1, &err))
    goto out;
  ws = sr_unet_workspace_new(net, batch, patch, patch, true, &err);
  if (!ws)
    goto out;
  size_t count = (size_t)batch * patch * patch * 3;
  src = random_image(count, 2);
  gt = random_image(count, 3);
  if (!src || !gt)
    goto out;
  sr_loss_desc ld = {0.2126f, 0.7152f, 0.0722f, SR_CHARBONNIER_EPS};
  sr_adam_desc adam = sr_adam_defaults();
  double times[64], cpu[64];
  for (int i = 0; i < warmup + runs; i++) {
    adam.step = i + 1;
    double loss, t0 = now(), c0 = cpu_now();
    /* the patches are uploaded every step, as the trainer does */
    if (!sr_unet_train_step_host(net, ws, src, gt, &ld, &adam, &loss, &err) ||
        !sr_backend_synchronize(be, &err))
      goto out;
    if (i >= warmup) {
      times[i - warmup] = now() - t0;
      cpu[i - warmup] = cpu_now() - c0;
    }
  }
  *ms = 1e3 * median(times, runs);
  *cpu_ms = 1e3 * median(cpu, runs);
  ok = true;
out:
  if (!ok)
    fprintf(stderr, "sr-bench: training %s at %d: %s\n", sr_unet_size_id(size), patch, err.message);
  free(src);
  free(gt);
  sr_unet_workspace_free(ws);
  sr_unet_free(net);
  return ok;
}

static bool
bench_infer(sr_backend *be, sr_unet_size size, int w, int h, int warmup, int runs, double *s,
            double *cpu_s)
{
  sr_error err = {0};
  int m = sr_unet_size_multiple(size);
  int ph = (h + m - 1) / m * m, pw = (w + m - 1) / m * m;
  sr_unet *net = sr_unet_new(size, be, &err);
  sr_unet_workspace *ws = NULL;
  float *src = NULL, *delta = NULL;
  bool ok = false;
  if (!net || !sr_unet_init(net, 1, &err))
    goto out;
  ws = sr_unet_workspace_new(net, 1, ph, pw, false, &err);
  if (!ws)
    goto out;
  src = random_image((size_t)ph * pw * 3, 4);
  delta = malloc((size_t)ph * pw * sizeof(float));
  if (!src || !delta)
    goto out;
  double times[64], cpu[64];
  for (int i = 0; i < warmup + runs; i++) {
    double t0 = now(), c0 = cpu_now();
    if (!sr_unet_infer_host(net, ws, src, delta, &err))
      goto out;
    if (i >= warmup) {
      times[i - warmup] = now() - t0;
      cpu[i - warmup] = cpu_now() - c0;
    }
  }
  *s = median(times, runs);
  *cpu_s = median(cpu, runs);
  ok = true;
out:
  if (!ok)
    fprintf(stderr, "sr-bench: inference %s at %dx%d: %s\n", sr_unet_size_id(size), w, h,
            err.message);
  free(src);
  free(delta);
  sr_unet_workspace_free(ws);
  sr_unet_free(net);
  return ok;
}

static bool
write_floats(const char *dir, const char *name, const float *p, size_t count)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    return false;
  }
  bool ok = fwrite(p, sizeof(float), count, f) == count;
  return fclose(f) == 0 && ok;
}

static int
export_check(sr_backend *be, const char *dir)
{
  sr_error err = {0};
  const int n = 2, h = 16, w = 24;
  sr_unet *net = sr_unet_new(SR_UNET_S, be, &err);
  sr_unet_workspace *ws = NULL;
  if (!net || !sr_unet_init(net, 7, &err) ||
      !(ws = sr_unet_workspace_new(net, n, h, w, true, &err))) {
    fprintf(stderr, "sr-bench: %s\n", err.message);
    sr_unet_free(net);
    return 1;
  }
  size_t total = sr_unet_total_params(net), count = (size_t)n * h * w * 3;
  float *src = random_image(count, 5), *gt = random_image(count, 6);
  float *params = malloc(total * sizeof(float)), *grads = malloc(total * sizeof(float));
  float *delta = malloc(count / 3 * sizeof(float));
  sr_loss_desc ld = {0.2126f, 0.7152f, 0.0722f, SR_CHARBONNIER_EPS};
  sr_tensor in = sr_unet_workspace_input(ws), tg = sr_unet_workspace_target(ws);
  sr_tensor dt = sr_unet_workspace_delta(ws);
  double loss = 0;
  int status = 1;
  if (src && gt && params && grads && delta && sr_unet_export(net, SR_UNET_PARAMS, params, &err) &&
      sr_backend_upload(be, in.data, src, count, &err) &&
      sr_backend_upload(be, tg.data, gt, count, &err) && sr_unet_forward(net, ws, &err) &&
      sr_backend_download(be, delta, dt.data, count / 3, &err) &&
      sr_unet_loss(net, ws, &ld, &loss, &err) && sr_unet_backward(net, ws, &err) &&
      sr_unet_export(net, SR_UNET_GRADS, grads, &err)) {
    char path[4096];
    snprintf(path, sizeof path, "%s/model.txt", dir);
    FILE *f = fopen(path, "w");
    if (f) {
      fprintf(f, "size S\nbatch %d\nheight %d\nwidth %d\nloss %.9g\n", n, h, w, loss);
      for (size_t i = 0; i < sr_unet_param_count(net); i++) {
        const sr_unet_param *p = sr_unet_param_info(net, i);
        fprintf(f, "param %s %zu %zu", p->name, p->offset, p->count);
        for (int r = 0; r < p->rank; r++)
          fprintf(f, " %d", p->shape[r]);
        fprintf(f, "\n");
      }
      if (fclose(f) == 0 && write_floats(dir, "params.bin", params, total) &&
          write_floats(dir, "grads.bin", grads, total) &&
          write_floats(dir, "input.bin", src, count) &&
          write_floats(dir, "target.bin", gt, count) &&
          write_floats(dir, "delta.bin", delta, count / 3))
        status = 0;
    } else {
      perror(path);
    }
  } else {
    fprintf(stderr, "sr-bench: %s\n", err.message);
  }
  free(src);
  free(gt);
  free(params);
  free(grads);
  free(delta);
  sr_unet_workspace_free(ws);
  sr_unet_free(net);
  return status;
}

int
main(int argc, char **argv)
{
  const char *backend = "cpu", *only = NULL, *export_dir = NULL;
  const char *set = NULL, *model = NULL;
  int only_patch = 0;
  bool quick = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc)
      backend = argv[++i];
    else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc)
      set = argv[++i];
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      only = argv[++i];
    else if (strcmp(argv[i], "--export") == 0 && i + 1 < argc)
      export_dir = argv[++i];
    else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
      model = argv[++i];
    else if (strcmp(argv[i], "--patch") == 0 && i + 1 < argc)
      only_patch = atoi(argv[++i]);
    else if (strcmp(argv[i], "--quick") == 0)
      quick = true;
    else {
      fprintf(stderr, "usage: sr-bench [--backend cpu|cuda|auto] [--set cpu|gpu] [--quick]"
                      " [--only train|infer] [--model S|M|L] [--patch N] [--export DIR]\n");
      return 2;
    }
  }
  sr_error err = {0};
  char reason[512];
  sr_backend *be = sr_backend_open(backend, reason, sizeof reason, &err);
  if (!be) {
    fprintf(stderr, "sr-bench: %s\n", err.message);
    return 1;
  }
  if (reason[0])
    fprintf(stderr, "sr-bench: %s\n", reason);
  if (export_dir) {
    int st = export_check(be, export_dir);
    sr_backend_close(be);
    return st;
  }
  printf("# backend: %s\n", be->description);
  bool gpu_set = set ? strcmp(set, "gpu") == 0 : strcmp(be->name, "cuda") == 0;
  int status = 0;
  if (!only || strcmp(only, "train") == 0) {
    /* (size, patch) of each training figure; unet_torch.py's CPU_FIGURES */
    static const struct {
      sr_unet_size size;
      int patch;
    } cpu_figures[] = {{SR_UNET_S, 128},
                       {SR_UNET_S, 256},
                       {SR_UNET_M, 128},
                       {SR_UNET_M, 256},
                       {SR_UNET_M, 512}},
      gpu_figures[] = {{SR_UNET_S, 512}, {SR_UNET_M, 512}, {SR_UNET_L, 512}};
    size_t n_figures = gpu_set ? 3 : sizeof cpu_figures / sizeof cpu_figures[0];
    for (size_t f = 0; f < n_figures; f++) {
      sr_unet_size size = gpu_set ? gpu_figures[f].size : cpu_figures[f].size;
      int patch = gpu_set ? gpu_figures[f].patch : cpu_figures[f].patch;
      if ((model && strcasecmp(model, sr_unet_size_id(size)) != 0) ||
          (only_patch && only_patch != patch))
        continue;
      double ms, cpu_ms;
      int runs = quick ? 3 : gpu_set ? 50 : patch == 128 ? 9 : patch == 256 ? 5 : 3;
      if (!bench_train(be, size, patch, 3, gpu_set ? 10 : 2, runs, &ms, &cpu_ms)) {
        status = 1;
        continue;
      }
      double tflops = 3 * forward_flops(size, 3, patch, patch) / (ms * 1e-3) / 1e12;
      printf("train %s patch %d batch 3: %.2f ms/step, %.1f steps/s, %.2f TFLOP/s\n",
             sr_unet_size_id(size), patch, ms, 1e3 / ms, tflops);
      printf("RESULT train_%s_%d %.3f ms\n", sr_unet_size_id(size), patch, ms);
      printf("RESULT cpu_train_%s_%d %.3f ms\n", sr_unet_size_id(size), patch, cpu_ms);
      fflush(stdout);
    }
  }
  if (!only || strcmp(only, "infer") == 0) {
    const int frames[][2] = {{2048, 1556}, {4096, 3112}};
    for (int f = 0; f < (gpu_set ? 2 : 1); f++) {
      double s, cpu_s;
      int w = frames[f][0], h = frames[f][1];
      if (!bench_infer(be, SR_UNET_M, w, h, gpu_set ? 3 : 1,
                       quick     ? 1
                       : gpu_set ? 20
                                 : 3,
                       &s, &cpu_s)) {
        status = 1;
        continue;
      }
      double tflops = forward_flops(SR_UNET_M, 1, h, w) / s / 1e12;
      printf("infer M %dx%d: %.4f s/frame, %.1f frames/s, %.2f TFLOP/s\n", w, h, s, 1 / s, tflops);
      printf("RESULT infer_M_%dx%d %.4f s\n", w, h, s);
      printf("RESULT cpu_infer_M_%dx%d %.4f s\n", w, h, cpu_s);
      fflush(stdout);
    }
  }
  sr_backend_close(be);
  return status;
}
