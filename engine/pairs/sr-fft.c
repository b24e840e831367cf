/* sr-fft.c — iterative radix-2 decimation-in-time FFT. */
#include "sr-fft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sr_fft_plan {
  int n;
  int *bitrev;
  double *twiddle; /* e^{-2πik/n}, k < n/2, interleaved */
};

sr_fft_plan *
sr_fft_plan_new(int n)
{
  if (n < 2 || n > 65536 || (n & (n - 1)) != 0)
    return NULL;
  sr_fft_plan *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->n = n;
  p->bitrev = malloc(sizeof(int) * (size_t)n);
  p->twiddle = malloc(sizeof(double) * (size_t)n);
  if (!p->bitrev || !p->twiddle) {
    sr_fft_plan_free(p);
    return NULL;
  }
  int bits = 0;
  while ((1 << bits) < n)
    bits++;
  for (int i = 0; i < n; i++) {
    int r = 0;
    for (int b = 0; b < bits; b++)
      if (i & (1 << b))
        r |= 1 << (bits - 1 - b);
    p->bitrev[i] = r;
  }
  for (int k = 0; k < n / 2; k++) {
    double a = -2.0 * M_PI * k / n;
    p->twiddle[2 * k] = cos(a);
    p->twiddle[2 * k + 1] = sin(a);
  }
  return p;
}

void
sr_fft_plan_free(sr_fft_plan *p)
{
  if (!p)
    return;
  free(p->bitrev);
  free(p->twiddle);
  free(p);
}

void
sr_fft_1d(const sr_fft_plan *p, double *x, bool inverse)
{
  const int n = p->n;
  for (int i = 0; i < n; i++) {
    int j = p->bitrev[i];
    if (j > i) {
      double tr = x[2 * i], ti = x[2 * i + 1];
      x[2 * i] = x[2 * j];
      x[2 * i + 1] = x[2 * j + 1];
      x[2 * j] = tr;
      x[2 * j + 1] = ti;
    }
  }
  const double sign = inverse ? -1.0 : 1.0; /* conjugate twiddles for the inverse */
  for (int len = 2; len <= n; len <<= 1) {
    int half = len / 2, step = n / len;
    for (int start = 0; start < n; start += len) {
      for (int k = 0; k < half; k++) {
        double wr = p->twiddle[2 * k * step], wi = sign * p->twiddle[2 * k * step + 1];
        double *a = x + 2 * (start + k), *b = x + 2 * (start + k + half);
        /* butterfly: a, b ← a + w b, a − w b */
        double br = b[0] * wr - b[1] * wi, bi = b[0] * wi + b[1] * wr;
        b[0] = a[0] - br;
        b[1] = a[1] - bi;
        a[0] += br;
        a[1] += bi;
      }
    }
  }
}

void
sr_fft_2d(const sr_fft_plan *row_plan, const sr_fft_plan *col_plan, double *data, int w, int h,
          double *scratch, bool inverse)
{
  for (int y = 0; y < h; y++)
    sr_fft_1d(row_plan, data + (size_t)2 * w * y, inverse);
  for (int x = 0; x < w; x++) {
    for (int y = 0; y < h; y++) {
      scratch[2 * y] = data[(size_t)2 * (w * y + x)];
      scratch[2 * y + 1] = data[(size_t)2 * (w * y + x) + 1];
    }
    sr_fft_1d(col_plan, scratch, inverse);
    for (int y = 0; y < h; y++) {
      data[(size_t)2 * (w * y + x)] = scratch[2 * y];
      data[(size_t)2 * (w * y + x) + 1] = scratch[2 * y + 1];
    }
  }
}
