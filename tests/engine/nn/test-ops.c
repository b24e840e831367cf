/* Backend ops on the CPU: forward against naive double loops, gradients by
 * central finite differences, Adam against a hand-written reference, the
 * loader's fallback and the device list. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr-backend.h"
#include "sr-rng.h"

/* Most checks run thousands of tiny ops; one thread keeps them fast on a
 * busy machine (an OpenMP fork/join per op waits for a free core). The
 * forward test uses the default threads so the threaded kernels are
 * checked too. */
static sr_backend *
cpu_threads(int threads)
{
  sr_error err = {0};
  sr_backend *be = sr_backend_cpu_create(threads, &err);
  g_assert_nonnull(be);
  g_assert_cmpstr(be->name, ==, "cpu");
  return be;
}

static sr_backend *
cpu(void)
{
  return cpu_threads(1);
}

/* Uniform in ±1, kept away from 0 so no value sits on a ReLU kink or a
 * finite-difference blind spot. */
static void
fill_random(float *p, size_t n, sr_rng *rng)
{
  for (size_t i = 0; i < n; i++) {
    double u = sr_rng_uniform(rng) * 2.0 - 1.0;
    p[i] = (float)(u < 0 ? u - 0.05 : u + 0.05);
  }
}

static sr_tensor
tensor(sr_backend *be, int n, int h, int w, int c)
{
  sr_tensor t;
  sr_error err = {0};
  g_assert_true(sr_backend_tensor_alloc(be, &t, n, h, w, c, &err));
  return t;
}

/* ---- naive reference conv ----------------------------------------------------
 * Visits every (input pixel, output pixel, tap) of a conv and applies one of
 * three updates, in double: y += x·w, dx += dy·w, dw += x·dy. */
typedef enum { REF_FWD, REF_BWD_DATA, REF_BWD_WEIGHTS } ref_mode;

static void
ref_conv(const sr_conv_desc *d, int n, int h, int w, ref_mode mode, const float *x, double *xd,
         const float *wt, double *wd, const float *y, double *yd)
{
  int k = sr_conv_kernel(d->kind), ci = d->cin, co = d->cout;
  int oh = h, ow = w;
  if (d->kind == SR_CONV_DOWN2)
    oh = h / 2, ow = w / 2;
  if (d->kind == SR_CONV_UP2)
    oh = 2 * h, ow = 2 * w;
  int pad = d->kind == SR_CONV_3X3 ? 1 : 0;
  for (int b = 0; b < n; b++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++)
        for (int ky = 0; ky < k; ky++)
          for (int kx = 0; kx < k; kx++) {
            int iy, ix;
            if (d->kind == SR_CONV_UP2) {
              /* y[2h+ky] reads x[h] through tap ky */
              if ((oy - ky) % 2 || (ox - kx) % 2 || oy < ky || ox < kx)
                continue;
              iy = (oy - ky) / 2, ix = (ox - kx) / 2;
            } else {
              int s = d->kind == SR_CONV_DOWN2 ? 2 : 1;
              iy = oy * s + ky - pad, ix = ox * s + kx - pad;
            }
            if (iy < 0 || ix < 0 || iy >= h || ix >= w)
              continue;
            size_t xo = (((size_t)b * h + iy) * w + ix) * ci;
            size_t yo = (((size_t)b * oh + oy) * ow + ox) * co;
            for (int o = 0; o < co; o++)
              for (int i = 0; i < ci; i++) {
                size_t wo = (((size_t)o * k + ky) * k + kx) * ci + i;
                if (mode == REF_FWD)
                  yd[yo + o] += (double)x[xo + i] * wt[wo];
                else if (mode == REF_BWD_DATA)
                  xd[xo + i] += (double)y[yo + o] * wt[wo];
                else
                  wd[wo] += (double)x[xo + i] * y[yo + o];
              }
          }
}

typedef struct conv_case {
  sr_conv_kind kind;
  int cin, cout, n, h, w;
  bool bias, relu, accumulate;
} conv_case;

static const conv_case cases[] = {
    {SR_CONV_3X3, 3, 5, 2, 6, 5, true, false, false},
    {SR_CONV_3X3, 4, 6, 1, 4, 4, true, true, false},
    {SR_CONV_3X3, 5, 3, 2, 4, 6, false, true, true},
    {SR_CONV_3X3, 17, 16, 1, 5, 3, true, false, true},
    {SR_CONV_1X1, 6, 1, 2, 3, 5, true, false, false},
    {SR_CONV_DOWN2, 4, 8, 2, 6, 4, true, false, false},
    {SR_CONV_DOWN2, 16, 32, 1, 4, 4, true, true, false},
    {SR_CONV_DOWN2, 8, 16, 2, 4, 10, false, false, true},
    {SR_CONV_DOWN2, 8, 16, 2, 6, 6, true, true, true},
    {SR_CONV_UP2, 8, 4, 2, 3, 2, true, false, false},
    {SR_CONV_UP2, 32, 16, 1, 2, 3, true, true, false},
    {SR_CONV_UP2, 16, 8, 2, 3, 3, true, false, true},
    /* U-Net widths: oneDNN's backward weights reads these in its blocked
     * layout (nChw8c/nChw16c), reordered from NHWC by the backend */
    {SR_CONV_3X3, 32, 32, 2, 7, 9, true, false, false},
    {SR_CONV_3X3, 64, 64, 1, 4, 6, true, false, true},
    {SR_CONV_DOWN2, 32, 64, 2, 6, 8, true, false, false},
    {SR_CONV_UP2, 64, 32, 2, 3, 4, true, false, false},
};

static void
out_shape(const conv_case *cc, int *oh, int *ow)
{
  *oh = cc->h, *ow = cc->w;
  if (cc->kind == SR_CONV_DOWN2)
    *oh = cc->h / 2, *ow = cc->w / 2;
  if (cc->kind == SR_CONV_UP2)
    *oh = cc->h * 2, *ow = cc->w * 2;
}

static void
test_conv_forward(void)
{
  sr_backend *be = cpu_threads(0);
  sr_rng rng;
  sr_rng_seed(&rng, 11);
  sr_error err = {0};
  for (size_t ci = 0; ci < G_N_ELEMENTS(cases); ci++) {
    const conv_case *cc = &cases[ci];
    sr_conv_desc d = {cc->kind, cc->cin, cc->cout, cc->bias, cc->relu, cc->accumulate};
    int oh, ow;
    out_shape(cc, &oh, &ow);
    sr_tensor x = tensor(be, cc->n, cc->h, cc->w, cc->cin);
    sr_tensor y = tensor(be, cc->n, oh, ow, cc->cout);
    size_t nw = sr_conv_weight_count(&d), ny = sr_tensor_count(&y);
    float *w = sr_backend_alloc(be, nw, &err), *b = sr_backend_alloc(be, cc->cout, &err);
    fill_random(x.data, sr_tensor_count(&x), &rng);
    fill_random(w, nw, &rng);
    fill_random(b, cc->cout, &rng);
    fill_random(y.data, ny, &rng);
    double *ref = g_new0(double, ny);
    for (size_t i = 0; i < ny; i++)
      ref[i] = cc->accumulate ? y.data[i] : 0.0;
    ref_conv(&d, cc->n, cc->h, cc->w, REF_FWD, x.data, NULL, w, NULL, NULL, ref);
    /* run twice: the second call reuses the cached primitive */
    for (int rep = 0; rep < 2; rep++) {
      float *yin = g_memdup2(y.data, ny * sizeof(float));
      g_assert_true(sr_backend_conv_forward(be, &d, &x, w, b, &y, &err));
      for (size_t i = 0; i < ny; i++) {
        double r = ref[i] + (cc->bias ? b[i % (size_t)cc->cout] : 0.0);
        if (cc->relu && r < 0)
          r = 0;
        if (fabs(r - y.data[i]) > 1e-4 * (1.0 + fabs(r)))
          g_error("case %zu: y[%zu] = %g, reference %g", ci, i, y.data[i], r);
      }
      memcpy(y.data, yin, ny * sizeof(float));
      g_free(yin);
    }
    g_free(ref);
    sr_backend_release(be, w);
    sr_backend_release(be, b);
    sr_backend_tensor_release(be, &x);
    sr_backend_tensor_release(be, &y);
  }
  sr_backend_close(be);
}

/* L(x, w, b) = Σ r ⊙ conv(x) for a fixed random r; analytic gradients
 * from the backward ops, numeric ones from central differences of the
 * forward op (linear in each argument, so the difference is exact up to
 * float rounding). Also checks backward against the naive loops and the
 * accumulate flags. */
static double
dot_loss(sr_backend *be, const sr_conv_desc *d, const sr_tensor *x, const float *w, const float *b,
         sr_tensor *y, const float *r)
{
  sr_error err = {0};
  g_assert_true(sr_backend_conv_forward(be, d, x, w, b, y, &err));
  double s = 0;
  for (size_t i = 0; i < sr_tensor_count(y); i++)
    s += (double)r[i] * y->data[i];
  return s;
}

static void
test_conv_gradients(void)
{
  sr_backend *be = cpu();
  sr_rng rng;
  sr_rng_seed(&rng, 12);
  sr_error err = {0};
  for (size_t ci = 0; ci < G_N_ELEMENTS(cases); ci++) {
    const conv_case *cc = &cases[ci];
    /* gradients are of the linear part; ReLU has its own test */
    sr_conv_desc d = {cc->kind, cc->cin, cc->cout, cc->bias, false, false};
    int oh, ow;
    out_shape(cc, &oh, &ow);
    sr_tensor x = tensor(be, cc->n, cc->h, cc->w, cc->cin);
    sr_tensor y = tensor(be, cc->n, oh, ow, cc->cout);
    sr_tensor dy = tensor(be, cc->n, oh, ow, cc->cout);
    sr_tensor dx = tensor(be, cc->n, cc->h, cc->w, cc->cin);
    size_t nx = sr_tensor_count(&x), ny = sr_tensor_count(&y), nw = sr_conv_weight_count(&d);
    float *w = sr_backend_alloc(be, nw, &err), *b = sr_backend_alloc(be, cc->cout, &err);
    float *dw = sr_backend_alloc(be, nw, &err), *db = sr_backend_alloc(be, cc->cout, &err);
    fill_random(x.data, nx, &rng);
    fill_random(w, nw, &rng);
    fill_random(b, cc->cout, &rng);
    fill_random(dy.data, ny, &rng);

    g_assert_true(sr_backend_conv_backward_data(be, &d, &dy, w, &dx, false, &err));
    g_assert_true(
        sr_backend_conv_backward_weights(be, &d, &x, &dy, dw, cc->bias ? db : NULL, false, &err));
    /* against the naive loops, every element */
    double *rdx = g_new0(double, nx), *rdw = g_new0(double, nw);
    ref_conv(&d, cc->n, cc->h, cc->w, REF_BWD_DATA, NULL, rdx, w, NULL, dy.data, NULL);
    ref_conv(&d, cc->n, cc->h, cc->w, REF_BWD_WEIGHTS, x.data, NULL, NULL, rdw, dy.data, NULL);
    for (size_t i = 0; i < nx; i++)
      g_assert_cmpfloat_with_epsilon(dx.data[i], rdx[i], 1e-4 * (1.0 + fabs(rdx[i])));
    for (size_t i = 0; i < nw; i++)
      g_assert_cmpfloat_with_epsilon(dw[i], rdw[i], 1e-4 * (1.0 + fabs(rdw[i])));
    if (cc->bias)
      for (int o = 0; o < cc->cout; o++) {
        double s = 0;
        for (size_t i = (size_t)o; i < ny; i += (size_t)cc->cout)
          s += dy.data[i];
        g_assert_cmpfloat_with_epsilon(db[o], s, 1e-4 * (1.0 + fabs(s)));
      }

    /* finite differences on sampled entries of x, w and every bias */
    const float h = 1e-2f;
    for (int t = 0; t < 12; t++) {
      size_t i = sr_rng_below(&rng, (uint32_t)nx);
      float keep = x.data[i];
      x.data[i] = keep + h;
      double lp = dot_loss(be, &d, &x, w, b, &y, dy.data);
      x.data[i] = keep - h;
      double lm = dot_loss(be, &d, &x, w, b, &y, dy.data);
      x.data[i] = keep;
      double fd = (lp - lm) / (2.0 * h);
      g_assert_cmpfloat_with_epsilon(dx.data[i], fd, 2e-3 * (1.0 + fabs(fd)));

      size_t j = sr_rng_below(&rng, (uint32_t)nw);
      keep = w[j];
      w[j] = keep + h;
      lp = dot_loss(be, &d, &x, w, b, &y, dy.data);
      w[j] = keep - h;
      lm = dot_loss(be, &d, &x, w, b, &y, dy.data);
      w[j] = keep;
      fd = (lp - lm) / (2.0 * h);
      g_assert_cmpfloat_with_epsilon(dw[j], fd, 2e-3 * (1.0 + fabs(fd)));
    }
    for (int o = 0; cc->bias && o < cc->cout; o++) {
      float keep = b[o];
      b[o] = keep + h;
      double lp = dot_loss(be, &d, &x, w, b, &y, dy.data);
      b[o] = keep - h;
      double lm = dot_loss(be, &d, &x, w, b, &y, dy.data);
      b[o] = keep;
      double fd = (lp - lm) / (2.0 * h);
      g_assert_cmpfloat_with_epsilon(db[o], fd, 2e-3 * (1.0 + fabs(fd)));
    }

    /* accumulate: the second call adds the same gradient again */
    float *dx1 = g_memdup2(dx.data, nx * sizeof(float));
    float *dw1 = g_memdup2(dw, nw * sizeof(float));
    g_assert_true(sr_backend_conv_backward_data(be, &d, &dy, w, &dx, true, &err));
    g_assert_true(
        sr_backend_conv_backward_weights(be, &d, &x, &dy, dw, cc->bias ? db : NULL, true, &err));
    for (size_t i = 0; i < nx; i++)
      g_assert_cmpfloat_with_epsilon(dx.data[i], 2.0f * dx1[i], 1e-5 * (1.0 + fabs(dx1[i])));
    for (size_t i = 0; i < nw; i++)
      g_assert_cmpfloat_with_epsilon(dw[i], 2.0f * dw1[i], 1e-5 * (1.0 + fabs(dw1[i])));
    g_free(dx1);
    g_free(dw1);
    g_free(rdx);
    g_free(rdw);
    float *ps[] = {w, b, dw, db};
    for (int i = 0; i < 4; i++)
      sr_backend_release(be, ps[i]);
    sr_tensor *ts[] = {&x, &y, &dx, &dy};
    for (int i = 0; i < 4; i++)
      sr_backend_tensor_release(be, ts[i]);
  }
  sr_backend_close(be);
}

/* A fused conv+ReLU followed by relu_backward and the conv backward equals
 * the finite-difference gradient of Σ r ⊙ relu(conv(x)). */
static void
test_relu(void)
{
  sr_backend *be = cpu();
  sr_rng rng;
  sr_rng_seed(&rng, 13);
  sr_error err = {0};
  sr_tensor y = tensor(be, 2, 3, 4, 5), dy = tensor(be, 2, 3, 4, 5);
  size_t n = sr_tensor_count(&y);
  fill_random(y.data, n, &rng);
  for (size_t i = 0; i < n; i++)
    y.data[i] = y.data[i] > 0 ? y.data[i] : 0.0f; /* a ReLU output */
  fill_random(dy.data, n, &rng);
  float *keep = g_memdup2(dy.data, n * sizeof(float));
  g_assert_true(sr_backend_relu_backward(be, &y, &dy, &err));
  for (size_t i = 0; i < n; i++)
    g_assert_cmpfloat(dy.data[i], ==, y.data[i] > 0 ? keep[i] : 0.0f);
  g_free(keep);

  sr_conv_desc d = {SR_CONV_3X3, 3, 4, true, true, false};
  sr_tensor x = tensor(be, 1, 5, 5, 3), z = tensor(be, 1, 5, 5, 4), r = tensor(be, 1, 5, 5, 4);
  sr_tensor dx = tensor(be, 1, 5, 5, 3);
  size_t nw = sr_conv_weight_count(&d);
  float *w = sr_backend_alloc(be, nw, &err), *b = sr_backend_alloc(be, 4, &err);
  fill_random(x.data, sr_tensor_count(&x), &rng);
  fill_random(w, nw, &rng);
  fill_random(b, 4, &rng);
  fill_random(r.data, sr_tensor_count(&r), &rng);
  g_assert_true(sr_backend_conv_forward(be, &d, &x, w, b, &z, &err));
  size_t nz = sr_tensor_count(&z);
  for (size_t i = 0; i < nz; i++)
    g_assert_cmpfloat(z.data[i], >=, 0.0f);
  float *rr = g_memdup2(r.data, nz * sizeof(float));
  g_assert_true(sr_backend_relu_backward(be, &z, &r, &err));
  g_assert_true(sr_backend_conv_backward_data(be, &d, &r, w, &dx, false, &err));
  const float h = 1e-3f;
  for (size_t i = 0; i < sr_tensor_count(&x); i++) {
    float k = x.data[i];
    x.data[i] = k + h;
    double lp = dot_loss(be, &d, &x, w, b, &z, rr);
    x.data[i] = k - h;
    double lm = dot_loss(be, &d, &x, w, b, &z, rr);
    x.data[i] = k;
    double fd = (lp - lm) / (2.0 * h);
    g_assert_cmpfloat_with_epsilon(dx.data[i], fd, 1e-2 * (1.0 + fabs(fd)));
  }
  g_free(rr);
  sr_backend_release(be, w);
  sr_backend_release(be, b);
  sr_tensor *ts[] = {&y, &dy, &x, &z, &r, &dx};
  for (int i = 0; i < 6; i++)
    sr_backend_tensor_release(be, ts[i]);
  sr_backend_close(be);
}

static void
test_charbonnier(void)
{
  sr_backend *be = cpu();
  sr_rng rng;
  sr_rng_seed(&rng, 14);
  sr_error err = {0};
  sr_tensor s = tensor(be, 2, 3, 5, 3), t = tensor(be, 2, 3, 5, 3);
  sr_tensor dl = tensor(be, 2, 3, 5, 1), g = tensor(be, 2, 3, 5, 1);
  size_t m = sr_tensor_count(&dl);
  for (size_t i = 0; i < 3 * m; i++) {
    s.data[i] = (float)sr_rng_uniform(&rng);
    t.data[i] = (float)sr_rng_uniform(&rng);
  }
  fill_random(dl.data, m, &rng);
  for (size_t i = 0; i < m; i++)
    dl.data[i] *= 0.2f;
  sr_loss_desc ld = {0.2126f, 0.7152f, 0.0722f, SR_CHARBONNIER_EPS};
  double loss;
  g_assert_true(sr_backend_charbonnier_luma(be, &ld, &s, &dl, &t, &loss, &g, &err));
  double ref = 0;
  for (size_t i = 0; i < m; i++) {
    double ys = 0.2126 * s.data[3 * i] + 0.7152 * s.data[3 * i + 1] + 0.0722 * s.data[3 * i + 2];
    double yt = 0.2126 * t.data[3 * i] + 0.7152 * t.data[3 * i + 1] + 0.0722 * t.data[3 * i + 2];
    double r = ys + dl.data[i] - yt;
    ref += sqrt(r * r + 1e-6);
  }
  ref /= (double)m;
  g_assert_cmpfloat_with_epsilon(loss, ref, 1e-6);
  const float h = 1e-4f;
  for (size_t i = 0; i < m; i++) {
    float k = dl.data[i];
    double lp, lm;
    dl.data[i] = k + h;
    g_assert_true(sr_backend_charbonnier_luma(be, &ld, &s, &dl, &t, &lp, NULL, &err));
    dl.data[i] = k - h;
    g_assert_true(sr_backend_charbonnier_luma(be, &ld, &s, &dl, &t, &lm, NULL, &err));
    dl.data[i] = k;
    double fd = (lp - lm) / (2.0 * h);
    g_assert_cmpfloat_with_epsilon(g.data[i], fd, 2e-3 * (1.0 / (double)m) + 1e-4);
  }
  /* zero residual: the loss is eps and the gradient zero */
  memcpy(t.data, s.data, 3 * m * sizeof(float));
  memset(dl.data, 0, m * sizeof(float));
  g_assert_true(sr_backend_charbonnier_luma(be, &ld, &s, &dl, &t, &loss, &g, &err));
  g_assert_cmpfloat_with_epsilon(loss, 1e-3, 1e-7);
  for (size_t i = 0; i < m; i++)
    g_assert_cmpfloat_with_epsilon(g.data[i], 0.0, 1e-6);

  /* the luma residual moves R, G and B alike and clamps when asked */
  sr_tensor out = tensor(be, 2, 3, 5, 3);
  for (size_t i = 0; i < m; i++)
    dl.data[i] = (i % 3 == 0) ? 2.0f : (i % 3 == 1) ? -2.0f : 0.125f;
  g_assert_true(sr_backend_apply_luma_residual(be, &s, &dl, true, &out, &err));
  for (size_t i = 0; i < m; i++)
    for (int c = 0; c < 3; c++) {
      float v = s.data[3 * i + c] + dl.data[i];
      g_assert_cmpfloat(out.data[3 * i + c], ==, v < 0 ? 0.0f : v > 1 ? 1.0f : v);
    }
  g_assert_true(sr_backend_apply_luma_residual(be, &s, &dl, false, &out, &err));
  g_assert_cmpfloat(out.data[0], ==, s.data[0] + 2.0f);

  /* eps must be positive; mismatched shapes are refused, not crashed on */
  ld.eps = 0;
  g_assert_false(sr_backend_charbonnier_luma(be, &ld, &s, &dl, &t, &loss, &g, &err));
  g_assert_nonnull(strstr(err.message, "eps"));
  ld.eps = SR_CHARBONNIER_EPS;
  g_assert_false(sr_backend_charbonnier_luma(be, &ld, &s, &s, &t, &loss, &g, &err));
  sr_tensor *ts[] = {&s, &t, &dl, &g, &out};
  for (int i = 0; i < 5; i++)
    sr_backend_tensor_release(be, ts[i]);
  sr_backend_close(be);
}

static void
test_adam(void)
{
  sr_backend *be = cpu();
  sr_rng rng;
  sr_rng_seed(&rng, 15);
  sr_error err = {0};
  enum { N = 37 };
  float *p = sr_backend_alloc(be, N, &err), *g = sr_backend_alloc(be, N, &err);
  float *m = sr_backend_alloc(be, N, &err), *v = sr_backend_alloc(be, N, &err);
  double rp[N], rm[N] = {0}, rv[N] = {0};
  fill_random(p, N, &rng);
  g_assert_true(sr_backend_fill(be, m, 0.0f, N, &err));
  g_assert_true(sr_backend_fill(be, v, 0.0f, N, &err));
  for (int i = 0; i < N; i++)
    rp[i] = p[i];
  sr_adam_desc a = sr_adam_defaults();
  a.lr = 1e-2f;
  a.weight_decay = 0.1f;
  for (int t = 1; t <= 5; t++) {
    fill_random(g, N, &rng);
    a.step = t;
    g_assert_true(sr_backend_adam(be, &a, p, g, m, v, N, &err));
    for (int i = 0; i < N; i++) {
      rm[i] = 0.9 * rm[i] + 0.1 * g[i];
      rv[i] = 0.999 * rv[i] + 0.001 * (double)g[i] * g[i];
      double mh = rm[i] / (1 - pow(0.9, t)), vh = rv[i] / (1 - pow(0.999, t));
      rp[i] -= 1e-2 * mh / (sqrt(vh) + 1e-8) + 1e-2 * 0.1 * rp[i];
    }
    for (int i = 0; i < N; i++) {
      g_assert_cmpfloat_with_epsilon(p[i], rp[i], 1e-5);
      g_assert_cmpfloat_with_epsilon(m[i], rm[i], 1e-6);
      g_assert_cmpfloat_with_epsilon(v[i], rv[i], 1e-6);
    }
  }
  /* the first step moves every parameter by about lr (bias correction) */
  a = sr_adam_defaults();
  a.lr = 1e-3f;
  g_assert_true(sr_backend_fill(be, m, 0.0f, N, &err));
  g_assert_true(sr_backend_fill(be, v, 0.0f, N, &err));
  float before = p[3];
  g_assert_true(sr_backend_adam(be, &a, p, g, m, v, N, &err));
  g_assert_cmpfloat_with_epsilon(fabsf(p[3] - before), 1e-3, 1e-6);
  a.step = 0;
  g_assert_false(sr_backend_adam(be, &a, p, g, m, v, N, &err));
  g_assert_nonnull(strstr(err.message, "Adam"));
  float *ps[] = {p, g, m, v};
  for (int i = 0; i < 4; i++)
    sr_backend_release(be, ps[i]);
  sr_backend_close(be);
}

/* The loss, the luma residual, Adam and axpy split large counts over the
 * backend's threads: two threads must give bit for bit what one gives. */
static void
test_threaded_loops(void)
{
  sr_backend *one = cpu_threads(1), *two = cpu_threads(2);
  sr_rng rng;
  sr_rng_seed(&rng, 16);
  sr_error err = {0};
  /* past the backend's one-thread limit (2M elements), odd sizes */
  enum { N = 1, H = 1203, W = 1709, P = 2100001 };
  sr_tensor s = tensor(one, N, H, W, 3), t = tensor(one, N, H, W, 3);
  sr_tensor dl = tensor(one, N, H, W, 1), g1 = tensor(one, N, H, W, 1);
  sr_tensor g2 = tensor(one, N, H, W, 1);
  sr_tensor o1 = tensor(one, N, H, W, 3), o2 = tensor(one, N, H, W, 3);
  size_t m = sr_tensor_count(&dl);
  g_assert_cmpuint(m, >, 2000000);
  for (size_t i = 0; i < 3 * m; i++) {
    s.data[i] = (float)sr_rng_uniform(&rng);
    t.data[i] = (float)sr_rng_uniform(&rng);
  }
  fill_random(dl.data, m, &rng);
  sr_loss_desc ld = {0.2126f, 0.7152f, 0.0722f, SR_CHARBONNIER_EPS};
  double l1, l2;
  g_assert_true(sr_backend_charbonnier_luma(one, &ld, &s, &dl, &t, &l1, &g1, &err));
  g_assert_true(sr_backend_charbonnier_luma(two, &ld, &s, &dl, &t, &l2, &g2, &err));
  g_assert_cmpfloat(l1, ==, l2);
  g_assert_cmpmem(g1.data, m * sizeof(float), g2.data, m * sizeof(float));
  g_assert_true(sr_backend_apply_luma_residual(one, &s, &dl, true, &o1, &err));
  g_assert_true(sr_backend_apply_luma_residual(two, &s, &dl, true, &o2, &err));
  g_assert_cmpmem(o1.data, 3 * m * sizeof(float), o2.data, 3 * m * sizeof(float));

  float *p1 = g_new(float, P), *p2 = g_new(float, P), *gr = g_new(float, P);
  float *m1 = g_new0(float, P), *m2 = g_new0(float, P), *v1 = g_new0(float, P),
        *v2 = g_new0(float, P);
  fill_random(p1, P, &rng);
  memcpy(p2, p1, P * sizeof(float));
  sr_adam_desc a = sr_adam_defaults();
  for (int step = 1; step <= 2; step++) {
    fill_random(gr, P, &rng);
    a.step = step;
    g_assert_true(sr_backend_adam(one, &a, p1, gr, m1, v1, P, &err));
    g_assert_true(sr_backend_adam(two, &a, p2, gr, m2, v2, P, &err));
  }
  g_assert_cmpmem(p1, P * sizeof(float), p2, P * sizeof(float));
  g_assert_cmpmem(v1, P * sizeof(float), v2, P * sizeof(float));
  g_assert_true(sr_backend_axpy(one, p1, 0.5f, gr, P, &err));
  g_assert_true(sr_backend_axpy(two, p2, 0.5f, gr, P, &err));
  g_assert_cmpmem(p1, P * sizeof(float), p2, P * sizeof(float));
  /* and axpy still adds: p1 - 0.5 gr is back where Adam left it */
  g_assert_true(sr_backend_axpy(two, p2, -0.5f, gr, P, &err));
  g_assert_cmpfloat_with_epsilon(p2[P - 1], p1[P - 1] - 0.5f * gr[P - 1], 1e-6);
  float *fs[] = {p1, p2, gr, m1, m2, v1, v2};
  for (size_t i = 0; i < G_N_ELEMENTS(fs); i++)
    g_free(fs[i]);
  sr_tensor *ts[] = {&s, &t, &dl, &g1, &g2, &o1, &o2};
  for (size_t i = 0; i < G_N_ELEMENTS(ts); i++)
    sr_backend_tensor_release(one, ts[i]);
  sr_backend_close(one);
  sr_backend_close(two);
}

static void
test_memory_ops(void)
{
  sr_backend *be = cpu();
  sr_error err = {0};
  float host[10], back[10];
  for (int i = 0; i < 10; i++)
    host[i] = (float)i - 3.5f;
  float *a = sr_backend_alloc(be, 10, &err), *b = sr_backend_alloc(be, 10, &err);
  g_assert_true(((uintptr_t)a & 63) == 0);
  g_assert_true(sr_backend_upload(be, a, host, 10, &err));
  g_assert_true(sr_backend_copy(be, b, a, 10, &err));
  g_assert_true(sr_backend_axpy(be, b, 2.0f, a, 10, &err));
  g_assert_true(sr_backend_download(be, back, b, 10, &err));
  for (int i = 0; i < 10; i++)
    g_assert_cmpfloat(back[i], ==, 3.0f * host[i]);
  g_assert_true(sr_backend_fill(be, b, 0.25f, 10, &err));
  g_assert_true(sr_backend_download(be, back, b, 10, &err));
  g_assert_cmpfloat(back[9], ==, 0.25f);
  g_assert_true(sr_backend_synchronize(be, &err));
  g_assert_null(sr_backend_alloc(be, 0, &err));
  sr_backend_release(be, a);
  sr_backend_release(be, b);

  /* shape checks in the wrappers */
  sr_conv_desc d = {SR_CONV_DOWN2, 2, 4, true, false, false};
  sr_tensor x = tensor(be, 1, 5, 4, 2), y = tensor(be, 1, 2, 2, 4);
  float w[32] = {0}, bias[4] = {0};
  g_assert_false(sr_backend_conv_forward(be, &d, &x, w, bias, &y, &err));
  g_assert_nonnull(strstr(err.message, "even"));
  x.h = 4;
  d.cin = 3;
  g_assert_false(sr_backend_conv_forward(be, &d, &x, w, bias, &y, &err));
  g_assert_nonnull(strstr(err.message, "channels"));
  d.cin = 2;
  g_assert_true(sr_backend_conv_forward(be, &d, &x, w, bias, &y, &err));
  sr_backend_tensor_release(be, &x);
  sr_backend_tensor_release(be, &y);
  sr_backend_close(be);
}

/* ---- channel-blocked layout ----------------------------------------------- */

/* Where the element at NHWC index i of a tensor shaped like t lies in t's
 * layout (B the backend's channel block). */
static size_t
offset_in(const sr_tensor *t, int B, size_t i)
{
  if (t->layout == SR_LAYOUT_NHWC)
    return i;
  size_t c = i % (size_t)t->c, px = i / (size_t)t->c, plane = (size_t)t->h * (size_t)t->w;
  size_t b = px / plane, yx = px % plane;
  return ((b * ((size_t)t->c / B) + c / B) * plane + yx) * B + c % B;
}

/* A tensor like t in the given layout, holding t's NHWC values. */
static sr_tensor
relayout(sr_backend *be, const sr_tensor *t, sr_layout layout)
{
  sr_tensor r = tensor(be, t->n, t->h, t->w, t->c);
  r.layout = layout;
  for (size_t i = 0; i < sr_tensor_count(t); i++)
    r.data[offset_in(&r, be->channel_block, i)] = t->data[i];
  return r;
}

/* Every element of got (in its layout) against want (NHWC). */
static void
assert_same_values(sr_backend *be, const sr_tensor *got, const sr_tensor *want, double tol)
{
  for (size_t i = 0; i < sr_tensor_count(want); i++)
    g_assert_cmpfloat_with_epsilon(got->data[offset_in(got, be->channel_block, i)], want->data[i],
                                   tol * (1.0 + fabs(want->data[i])));
}

/* The network keeps its inner tensors in the backend's channel-blocked
 * layout: every conv op, and the ReLU backward, gives over BLOCKED tensors
 * (and over a BLOCKED tensor beside an NHWC one, as at the network's input
 * and head) what it gives over NHWC. */
static void
test_blocked_layout(void)
{
  sr_backend *be = cpu();
  int B = be->channel_block;
  if (B == 0) {
    g_test_skip("oneDNN picks no channel-blocked layout on this CPU");
    sr_backend_close(be);
    return;
  }
  g_assert_true(B == 8 || B == 16);
  g_assert_cmpint(sr_backend_preferred_layout(be, 32), ==, SR_LAYOUT_BLOCKED);
  g_assert_cmpint(sr_backend_preferred_layout(be, 3), ==, SR_LAYOUT_NHWC);
  g_assert_cmpint(sr_backend_preferred_layout(be, 1), ==, SR_LAYOUT_NHWC);
  static const conv_case bc[] = {
      {SR_CONV_3X3, 3, 32, 2, 6, 5, true, true, false}, /* the input layer */
      {SR_CONV_3X3, 32, 32, 2, 7, 9, true, true, false},
      {SR_CONV_3X3, 32, 32, 1, 5, 6, false, true, true}, /* the decoder's second half */
      {SR_CONV_1X1, 32, 1, 2, 4, 5, true, false, false}, /* the head */
      {SR_CONV_DOWN2, 32, 64, 2, 6, 8, true, false, false},
      {SR_CONV_UP2, 64, 32, 2, 3, 4, true, false, false},
      {SR_CONV_UP2, 64, 32, 1, 2, 3, true, false, true},
  };
  sr_rng rng;
  sr_rng_seed(&rng, 21);
  sr_error err = {0};
  for (size_t ci = 0; ci < G_N_ELEMENTS(bc); ci++) {
    const conv_case *cc = &bc[ci];
    sr_conv_desc d = {cc->kind, cc->cin, cc->cout, cc->bias, cc->relu, cc->accumulate};
    sr_conv_desc lin = d;
    lin.relu = lin.accumulate = false;
    int oh, ow;
    out_shape(cc, &oh, &ow);
    sr_tensor x = tensor(be, cc->n, cc->h, cc->w, cc->cin);
    sr_tensor y0 = tensor(be, cc->n, oh, ow, cc->cout), y = tensor(be, cc->n, oh, ow, cc->cout);
    sr_tensor dy = tensor(be, cc->n, oh, ow, cc->cout),
              dx = tensor(be, cc->n, cc->h, cc->w, cc->cin);
    size_t nw = sr_conv_weight_count(&d);
    float *w = g_new(float, nw), *b = g_new(float, cc->cout);
    float *dw = g_new(float, nw), *db = g_new(float, cc->cout);
    float *dw2 = g_new(float, nw), *db2 = g_new(float, cc->cout);
    fill_random(x.data, sr_tensor_count(&x), &rng);
    fill_random(y0.data, sr_tensor_count(&y0), &rng);
    fill_random(dy.data, sr_tensor_count(&dy), &rng);
    fill_random(w, nw, &rng);
    fill_random(b, cc->cout, &rng);
    /* over NHWC: the reference the blocked runs must match */
    memcpy(y.data, y0.data, sr_tensor_count(&y) * sizeof(float));
    g_assert_true(sr_backend_conv_forward(be, &d, &x, w, b, &y, &err));
    g_assert_true(sr_backend_conv_backward_data(be, &lin, &dy, w, &dx, false, &err));
    g_assert_true(
        sr_backend_conv_backward_weights(be, &lin, &x, &dy, dw, b ? db : NULL, false, &err));

    for (sr_layout xl = SR_LAYOUT_NHWC; xl <= SR_LAYOUT_BLOCKED; xl++)
      for (sr_layout yl = SR_LAYOUT_NHWC; yl <= SR_LAYOUT_BLOCKED; yl++) {
        if ((xl == SR_LAYOUT_NHWC && yl == SR_LAYOUT_NHWC) ||
            (xl == SR_LAYOUT_BLOCKED && sr_backend_preferred_layout(be, cc->cin) != xl) ||
            (yl == SR_LAYOUT_BLOCKED && sr_backend_preferred_layout(be, cc->cout) != yl))
          continue;
        sr_tensor bx = relayout(be, &x, xl), by = relayout(be, &y0, yl);
        sr_tensor bdy = relayout(be, &dy, yl), bdx = relayout(be, &dx, xl);
        g_assert_true(sr_backend_conv_forward(be, &d, &bx, w, b, &by, &err));
        assert_same_values(be, &by, &y, 1e-5);
        g_assert_true(sr_backend_conv_backward_data(be, &lin, &bdy, w, &bdx, false, &err));
        assert_same_values(be, &bdx, &dx, 1e-5);
        g_assert_true(sr_backend_conv_backward_data(be, &lin, &bdy, w, &bdx, true, &err));
        for (size_t i = 0; i < sr_tensor_count(&bdx); i++)
          bdx.data[i] *= 0.5f;
        assert_same_values(be, &bdx, &dx, 1e-5);
        g_assert_true(sr_backend_conv_backward_weights(be, &lin, &bx, &bdy, dw2, b ? db2 : NULL,
                                                       false, &err));
        for (size_t i = 0; i < nw; i++)
          g_assert_cmpfloat_with_epsilon(dw2[i], dw[i], 1e-5 * (1.0 + fabs(dw[i])));
        for (int o = 0; cc->bias && o < cc->cout; o++)
          g_assert_cmpfloat_with_epsilon(db2[o], db[o], 1e-5 * (1.0 + fabs(db[o])));
        if (cc->relu && yl == SR_LAYOUT_BLOCKED) {
          /* by holds relu(conv(x)) in the blocked layout */
          g_assert_true(sr_backend_relu_backward(be, &by, &bdy, &err));
          sr_tensor r = relayout(be, &dy, SR_LAYOUT_NHWC);
          g_assert_true(sr_backend_relu_backward(be, &y, &r, &err));
          assert_same_values(be, &bdy, &r, 1e-7);
          sr_backend_tensor_release(be, &r);
        }
        sr_tensor *ts[] = {&bx, &by, &bdy, &bdx};
        for (int i = 0; i < 4; i++)
          sr_backend_tensor_release(be, ts[i]);
      }
    g_free(w), g_free(b), g_free(dw), g_free(db), g_free(dw2), g_free(db2);
    sr_tensor *ts[] = {&x, &y0, &y, &dy, &dx};
    for (int i = 0; i < 5; i++)
      sr_backend_tensor_release(be, ts[i]);
  }

  /* a blocked tensor the backend cannot take, or where an op needs NHWC */
  sr_conv_desc d = {SR_CONV_3X3, B + 4, B, true, false, false};
  sr_tensor x = tensor(be, 1, 4, 4, B + 4), y = tensor(be, 1, 4, 4, B);
  float *w = g_new0(float, sr_conv_weight_count(&d)), *bias = g_new0(float, B);
  x.layout = SR_LAYOUT_BLOCKED;
  g_assert_false(sr_backend_conv_forward(be, &d, &x, w, bias, &y, &err));
  g_assert_nonnull(strstr(err.message, "layout"));
  g_assert_nonnull(strstr(err.message, "tensor x"));
  x.layout = (sr_layout)7;
  g_assert_false(sr_backend_conv_forward(be, &d, &x, w, bias, &y, &err));
  g_assert_nonnull(strstr(err.message, "layout"));
  x.layout = SR_LAYOUT_NHWC;
  g_assert_true(sr_backend_conv_forward(be, &d, &x, w, bias, &y, &err));
  sr_tensor yb = relayout(be, &y, SR_LAYOUT_BLOCKED);
  g_assert_false(sr_backend_relu_backward(be, &y, &yb, &err));
  g_assert_nonnull(strstr(err.message, "same layout"));
  sr_tensor s3 = tensor(be, 1, 4, 4, 3), t3 = tensor(be, 1, 4, 4, 3), d1 = tensor(be, 1, 4, 4, 1);
  fill_random(s3.data, 48, &rng);
  fill_random(t3.data, 48, &rng);
  fill_random(d1.data, 16, &rng);
  sr_loss_desc ld = {0.2126f, 0.7152f, 0.0722f, SR_CHARBONNIER_EPS};
  double loss;
  d1.layout = SR_LAYOUT_BLOCKED;
  g_assert_false(sr_backend_charbonnier_luma(be, &ld, &s3, &d1, &t3, &loss, NULL, &err));
  g_assert_nonnull(strstr(err.message, "layout"));
  d1.layout = SR_LAYOUT_NHWC;
  g_assert_true(sr_backend_charbonnier_luma(be, &ld, &s3, &d1, &t3, &loss, NULL, &err));
  g_free(w), g_free(bias);
  sr_tensor *ts[] = {&x, &y, &yb, &s3, &t3, &d1};
  for (int i = 0; i < 6; i++)
    sr_backend_tensor_release(be, ts[i]);
  sr_backend_close(be);
}

static void
test_loader(void)
{
  sr_error err = {0};
  char reason[512];
  g_autofree char *dir = g_dir_make_tmp("sr-nn-XXXXXX", NULL);
  g_assert_nonnull(dir);
  g_setenv("SR_BACKEND_PATH", dir, TRUE);

  sr_backend *be = sr_backend_open("cpu", reason, sizeof reason, &err);
  g_assert_nonnull(be);
  g_assert_cmpstr(reason, ==, "");
  g_assert_nonnull(strstr(be->description, "oneDNN"));
  g_assert_true(be->deterministic);
  sr_backend_close(be);

  /* whether or not a CUDA module is installed, "auto" always yields a backend
   * and explains itself when it is the CPU */
  be = sr_backend_open("auto", reason, sizeof reason, &err);
  g_assert_nonnull(be);
  if (strcmp(be->name, "cpu") == 0) {
    g_assert_nonnull(strstr(reason, "CUDA backend unavailable: "));
    g_assert_null(strchr(reason, '\n'));
  }
  sr_backend_close(be);

  /* a module that is not a shared library is reported, not crashed on */
  g_autofree char *fake = g_build_filename(dir, "libsrcuda.so", NULL);
  g_assert_true(g_file_set_contents(fake, "not an ELF file", -1, NULL));
  be = sr_backend_open("cuda", reason, sizeof reason, &err);
  if (!be) {
    g_assert_cmpint(err.code, ==, SR_ERR_BACKEND);
    g_assert_nonnull(strstr(reason, "CUDA backend unavailable: "));
    g_assert_nonnull(strstr(err.message, "CUDA backend unavailable"));
    g_assert_nonnull(strstr(reason, "cannot load"));
  } else {
    sr_backend_close(be);
  }
  g_remove(fake);

  g_assert_null(sr_backend_open("opencl", reason, sizeof reason, &err));
  g_assert_nonnull(strstr(err.message, "opencl"));

  sr_device_info devs[8];
  size_t n = 0;
  g_assert_true(sr_backend_list_devices(devs, 8, &n, reason, sizeof reason, &err));
  g_assert_cmpuint(n, >=, 1);
  g_assert_cmpstr(devs[0].backend, ==, "cpu");
  g_assert_cmpuint(strlen(devs[0].name), >, 0);
  g_assert_cmpint(devs[0].threads, >=, 1);
  g_assert_nonnull(strstr(devs[0].detail, "oneDNN"));
  if (n == 1)
    g_assert_cmpuint(strlen(reason), >, 0);
  g_unsetenv("SR_BACKEND_PATH");
  g_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/nn/ops/conv-forward", test_conv_forward);
  g_test_add_func("/nn/ops/conv-gradients", test_conv_gradients);
  g_test_add_func("/nn/ops/relu", test_relu);
  g_test_add_func("/nn/ops/blocked-layout", test_blocked_layout);
  g_test_add_func("/nn/ops/charbonnier", test_charbonnier);
  g_test_add_func("/nn/ops/adam", test_adam);
  g_test_add_func("/nn/ops/threaded-loops", test_threaded_loops);
  g_test_add_func("/nn/ops/memory", test_memory_ops);
  g_test_add_func("/nn/ops/loader", test_loader);
  return g_test_run();
}
