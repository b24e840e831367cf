/* sr-fft.h — small radix-2 complex FFT (engine internal: shift estimation in
 * engine/pairs, grain spectra in engine/qa). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Interleaved complex doubles (re, im). */
typedef struct sr_fft_plan sr_fft_plan;

/* n must be a power of two, 2..65536; NULL otherwise or without memory. */
sr_fft_plan *sr_fft_plan_new(int n);
void sr_fft_plan_free(sr_fft_plan *p);
/* In place; inverse = true computes the unnormalised inverse (no 1/n). */
void sr_fft_1d(const sr_fft_plan *p, double *data, bool inverse);
/* In place on a row-major w x h complex array (w, h powers of two); scratch
 * holds 2*h doubles. */
void sr_fft_2d(const sr_fft_plan *row_plan, const sr_fft_plan *col_plan, double *data, int w, int h,
               double *scratch, bool inverse);
