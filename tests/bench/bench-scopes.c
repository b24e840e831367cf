/* bench-scopes — time the waveform and vectorscope on a 2048x1556 frame.
 *
 *   bench-scopes [ITERATIONS] [SCOPE_WIDTH SCOPE_HEIGHT]
 *
 * Prints milliseconds per frame for each scope (median of the iterations),
 * with the default subsampling and with every pixel read, then the time of
 * the per-frame QA metrics (with a Reference and PSNR/SSIM) on the same
 * frame size. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sr-metrics.h"
#include "sr-rng.h"
#include "sr-scopes.h"

static double
now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef bool (*scope_fn)(const sr_image *, const sr_scope_options *, uint8_t *, sr_error *);

static double
time_scope(scope_fn fn, const sr_image *img, const sr_scope_options *o, uint8_t *rgba, int iters)
{
  double *t = malloc(sizeof(double) * (size_t)iters);
  sr_error err = {0};
  for (int i = 0; i < iters; i++) {
    double t0 = now_ms();
    if (!fn(img, o, rgba, &err)) {
      fprintf(stderr, "bench-scopes: %s\n", err.message);
      exit(1);
    }
    t[i] = now_ms() - t0;
  }
  qsort(t, (size_t)iters, sizeof(double), cmp_double);
  double m = t[iters / 2];
  free(t);
  return m;
}

int
main(int argc, char **argv)
{
  int iters = argc > 1 ? atoi(argv[1]) : 20;
  int sw = argc > 3 ? atoi(argv[2]) : 720, sh = argc > 3 ? atoi(argv[3]) : 400;
  if (iters < 1)
    iters = 1;
  sr_error err = {0};
  sr_image *img = sr_image_new(2048, 1556, 3, &err);
  if (!img) {
    fprintf(stderr, "bench-scopes: %s\n", err.message);
    return 1;
  }
  sr_rng rng;
  sr_rng_seed(&rng, 42);
  for (size_t i = 0; i < sr_image_n_floats(img); i++)
    img->pixels[i] = (float)sr_rng_uniform(&rng);
  uint8_t *rgba = malloc((size_t)sw * (size_t)sh * 4);
  sr_scope_options o;
  sr_scope_options_init(&o, sw, sh);
  printf("frame 2048x1556, scope %dx%d, %d iterations (median)\n", sw, sh, iters);
  for (int full = 0; full < 2; full++) {
    o.max_samples = full ? 0 : (1L << 19);
    o.mode = SR_WAVEFORM_LUMA;
    double wl = time_scope(sr_scope_waveform, img, &o, rgba, iters);
    o.mode = SR_WAVEFORM_PARADE;
    double wp = time_scope(sr_scope_waveform, img, &o, rgba, iters);
    double vs = time_scope(sr_scope_vectorscope, img, &o, rgba, iters);
    printf("%-22s waveform %.2f ms  parade %.2f ms  vectorscope %.2f ms\n",
           full ? "every pixel:" : "subsampled (512K px):", wl, wp, vs);
  }
  /* QA metrics: output = frame, Source = a shifted copy, Reference = frame. */
  sr_image *src = sr_image_copy(img, &err);
  for (size_t i = 0; src && i < sr_image_n_floats(src); i++)
    src->pixels[i] = 0.5f * (src->pixels[i] + img->pixels[(i + 3) % sr_image_n_floats(img)]);
  sr_prep_settings prep = {0};
  prep.source_space = prep.reference_space = SR_CS_REC709;
  sr_qa_context *ctx = src ? sr_qa_context_new(&prep, &err) : NULL;
  if (!ctx) {
    fprintf(stderr, "bench-scopes: %s\n", err.message);
    return 1;
  }
  sr_qa_frame f;
  int m_iters = iters < 3 ? iters : 3;
  for (int fidelity = 0; fidelity < 2; fidelity++) {
    sr_qa_options qo = {.fidelity = fidelity, .held_out = fidelity};
    double best = 1e30;
    for (int i = 0; i < m_iters; i++) {
      double t0 = now_ms();
      if (!sr_qa_measure_frame(ctx, 1, img, src, img, &qo, &f, &err)) {
        fprintf(stderr, "bench-scopes: %s\n", err.message);
        return 1;
      }
      double t = now_ms() - t0;
      best = t < best ? t : best;
    }
    printf("QA metrics with Reference%s: %.1f ms per frame (best of %d)\n",
           fidelity ? " and PSNR/SSIM (held-out frame)" : "", best, m_iters);
  }
  sr_qa_context_free(ctx);
  sr_image_free(src);
  free(rgba);
  sr_image_free(img);
  return 0;
}
