/* sr-colour-private.h — pieces shared inside engine/colour: the log
 * encodings of film scans (sr-log.c) and the 3x3 inverse. */
#pragma once

#include <stdbool.h>

/* out = a⁻¹ (row-major); false when a is singular. */
bool sr_invert3(const double a[9], double out[9]);

/* Cineon printing-density log, normalised 10-bit code ↔ linear (1.0 at
 * reference white). Strictly increasing over all reals. */
double sr_cineon_decode(double code);
double sr_cineon_encode(double linear);
/* lin = (10^((code·code_max − white)·k) − offset) / (1 − offset) above
 * code 0, for checking against an independent evaluation. */
void sr_cineon_constants(double *k, double *offset, double *code_max, double *white);

/* ACES ADX10 / ADX16 ↔ ACES2065-1. The two matrices of the conversion are
 * fixed; their inverses are computed once here. */
typedef struct sr_adx {
  bool sixteen;
  double cid_to_cdd[9];
  double aces_to_exp[9];
} sr_adx;

void sr_adx_init(sr_adx *a, bool sixteen);
void sr_adx_decode(const sr_adx *a, const double code[3], double aces[3]);
void sr_adx_encode(const sr_adx *a, const double aces[3], double code[3]);
