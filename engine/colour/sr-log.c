/* sr-log.c — film-scan log encodings: Cineon printing density and ACES ADX.
 *
 * Both take code values normalised the way the readers deliver them (10-bit
 * code / 1023, 16-bit code / 65535) and give scene-linear values, and back.
 * Every curve here is extended past the code range so that it is strictly
 * monotonic over all reals: the merge back after inference converts small
 * differences through the inverse, and out-of-gamut colours can make the
 * linear side slightly negative, so neither direction may clamp or fold.
 *
 * Cineon (Kodak's printing-density log, as 10-bit scanners write it)
 *   A code value step is 0.002 printing density. A film negative's density
 *   grows with log exposure by its gamma, 0.6 for a camera negative, so one
 *   code value is 0.002 / 0.6 decades of scene exposure. Code 685 is the
 *   reference white (a 90 % white card exposed normally) and maps to 1.0;
 *   code 95 is the density of the unexposed film base plus fog and maps to
 *   0.0. That is:
 *     lin = (10^((cv − 685)·k) − o) / (1 − o),  k = 0.002 / 0.6 · (γd / 1.7),
 *     o = 10^((95 − 685)·k)
 *   γd is the display gamma of Kodak's conversion, which rescales the slope
 *   relative to its reference 1.7. We use 1.7, which leaves the slope at the
 *   film's own 0.002 / 0.6: the values are the scene exposure the negative
 *   recorded, not a look for a particular monitor. Kodak's conversion also
 *   offers a soft clip that rolls highlights off below white; we use none,
 *   because a roll-off is not invertible over the values it flattens and
 *   would break the exact merge back. Codes above 685 therefore give values
 *   above 1 (code 1023 ≈ 13.3), as film highlights are.
 *   Below code 0 the curve continues point-symmetrically about its value
 *   at code 0 (as BT.1886 mirrors negatives about 0), so negative linear
 *   values have a code too.
 *
 * ACES ADX (Academy Density Exchange; ADX10 and ADX16)
 *   Codes carry channel-dependent printing density (CDD): ADX10 = 95 + 500·d,
 *   ADX16 = 1520 + 8000·d, so both put d = −0.19 at code 0 and 18 % grey
 *   (d = 0.7) at 445 / 7120. The conversion to ACES2065-1 follows the
 *   Academy's reference input transform:
 *     1. CDD → channel-independent density (CID) with a 3×3 matrix;
 *     2. CID → log10 exposure: a piecewise-linear table up to CID 0.6 and
 *        above it the straight line logE = CID·100/55 − ref, the film's
 *        characteristic slope (gamma 0.55) placed so that CID 0.7 gives
 *        18 % grey; the table's last entry lies on that line;
 *     3. exposure = 10^logE, then a 3×3 matrix to ACES2065-1.
 *   The reference transform holds the table's first value below CID −0.19
 *   (code 0); we continue instead point-symmetrically about the table's
 *   first entry, which changes nothing inside the code range and keeps the
 *   curve invertible below it (negative exposures, which saturated colours
 *   produce through the inverse matrix, included).
 *
 * Why point symmetry rather than a straight line: it is smooth where it
 * joins, and it grows logarithmically, so a strongly negative value (a
 * saturated colour far outside the film's gamut) gets a code a few times
 * outside the code range, which a float holds precisely; a straight line
 * with the curve's slope at the join would put it thousands of times
 * outside, where the round trip loses digits.
 */
#include "sr-colour-private.h"

#include <math.h>

/* ---- Cineon ----------------------------------------------------------------- */

#define CIN_CODE_MAX      1023.0 /* 10-bit: normalised value = code / 1023 */
#define CIN_BLACK         95.0   /* film base + fog: linear 0 */
#define CIN_WHITE         685.0  /* 90 % white card: linear 1 */
#define CIN_DENSITY_STEP  0.002  /* printing density per code value */
#define CIN_NEG_GAMMA     0.6    /* density per decade of exposure, camera negative */
#define CIN_DISPLAY_GAMMA 1.7    /* Kodak's reference; 1.7 leaves the slope unscaled */

static double
cin_k(void)
{
  return CIN_DENSITY_STEP / CIN_NEG_GAMMA * (CIN_DISPLAY_GAMMA / 1.7);
}

static double
cin_offset(void)
{
  return pow(10.0, (CIN_BLACK - CIN_WHITE) * cin_k());
}

void
sr_cineon_constants(double *k, double *offset, double *code_max, double *white)
{
  *k = cin_k();
  *offset = cin_offset();
  *code_max = CIN_CODE_MAX;
  *white = CIN_WHITE;
}

static double
cin_decode_upper(double cv)
{
  double o = cin_offset();
  return (pow(10.0, (cv - CIN_WHITE) * cin_k()) - o) / (1.0 - o);
}

static double
cin_encode_upper(double lin)
{
  double o = cin_offset();
  return CIN_WHITE + log10(lin * (1.0 - o) + o) / cin_k();
}

/* Below code 0: lin(cv) = 2·lin(0) − lin(−cv). */
double
sr_cineon_decode(double x)
{
  double cv = x * CIN_CODE_MAX;
  if (cv < 0.0)
    return 2.0 * cin_decode_upper(0.0) - cin_decode_upper(-cv);
  return cin_decode_upper(cv);
}

double
sr_cineon_encode(double lin)
{
  double lin0 = cin_decode_upper(0.0);
  if (lin < lin0)
    return -cin_encode_upper(2.0 * lin0 - lin) / CIN_CODE_MAX;
  return cin_encode_upper(lin) / CIN_CODE_MAX;
}

/* ---- ADX -------------------------------------------------------------------- */

/* CDD → CID, out = M·in (each row sums to 1: a neutral density stays
 * neutral). */
static const double ADX_CDD_TO_CID[9] = {
    0.75573, 0.22197, 0.02230,  //
    0.05901, 0.96928, -0.02829, //
    0.16134, 0.07406, 0.76460,
};

/* Exposure → ACES2065-1, out = M·in (rows sum to 1 to five places). */
static const double ADX_EXP_TO_ACES[9] = {
    0.72286, 0.12630, 0.15084, //
    0.11923, 0.76418, 0.11659, //
    0.01427, 0.08213, 0.90359,
};

/* CID → log10 exposure, piecewise linear; the steps of 0.2 decades between
 * entries follow the print film's characteristic curve in its toe. */
enum { ADX_LUT_N = 11 };
static const double ADX_LUT[ADX_LUT_N][2] = {
    {-0.190, -6.000000000000000}, {0.010, -2.721718645000000}, {0.028, -2.521718645000000},
    {0.054, -2.321718645000000},  {0.095, -2.121718645000000}, {0.145, -1.921718645000000},
    {0.220, -1.721718645000000},  {0.300, -1.521718645000000}, {0.400, -1.321718645000000},
    {0.500, -1.121718645000000},  {0.600, -0.926545676714876},
};

/* Above the table: logE = CID·100/55 − ADX_REF, with ADX_REF chosen so that
 * CID (7120 − 1520)/8000 = 0.7 gives log10(0.18). */
#define ADX_SLOPE (100.0 / 55.0)

static double
adx_ref(void)
{
  return (7120.0 - 1520.0) / 8000.0 * ADX_SLOPE - log10(0.18);
}

/* From the table's first entry (c0, e0) down:
 * e(cid) = 2·e0 − e(2·c0 − cid), and its inverse. */
static double
adx_cid_to_exposure(double cid)
{
  double c0 = ADX_LUT[0][0], e0 = pow(10.0, ADX_LUT[0][1]);
  if (cid < c0)
    return 2.0 * e0 - adx_cid_to_exposure(2.0 * c0 - cid);
  if (cid > ADX_LUT[ADX_LUT_N - 1][0])
    return pow(10.0, cid * ADX_SLOPE - adx_ref());
  int i = 0;
  while (i + 2 < ADX_LUT_N && cid > ADX_LUT[i + 1][0])
    i++;
  double t = (cid - ADX_LUT[i][0]) / (ADX_LUT[i + 1][0] - ADX_LUT[i][0]);
  return pow(10.0, ADX_LUT[i][1] + t * (ADX_LUT[i + 1][1] - ADX_LUT[i][1]));
}

static double
adx_exposure_to_cid(double e)
{
  double c0 = ADX_LUT[0][0], e0 = pow(10.0, ADX_LUT[0][1]);
  if (e < e0)
    return 2.0 * c0 - adx_exposure_to_cid(2.0 * e0 - e);
  double loge = log10(e);
  if (loge > ADX_LUT[ADX_LUT_N - 1][1])
    return (loge + adx_ref()) / ADX_SLOPE;
  int i = 0;
  while (i + 2 < ADX_LUT_N && loge > ADX_LUT[i + 1][1])
    i++;
  double t = (loge - ADX_LUT[i][1]) / (ADX_LUT[i + 1][1] - ADX_LUT[i][1]);
  return ADX_LUT[i][0] + t * (ADX_LUT[i + 1][0] - ADX_LUT[i][0]);
}

static void
mul3(const double m[9], const double in[3], double out[3])
{
  for (int i = 0; i < 3; i++)
    out[i] = m[i * 3] * in[0] + m[i * 3 + 1] * in[1] + m[i * 3 + 2] * in[2];
}

static void
adx_scale(bool sixteen, double *code_max, double *base, double *per_density)
{
  *code_max = sixteen ? 65535.0 : 1023.0;
  *base = sixteen ? 1520.0 : 95.0;
  *per_density = sixteen ? 8000.0 : 500.0;
}

void
sr_adx_init(sr_adx *a, bool sixteen)
{
  a->sixteen = sixteen;
  sr_invert3(ADX_CDD_TO_CID, a->cid_to_cdd);
  sr_invert3(ADX_EXP_TO_ACES, a->aces_to_exp);
}

void
sr_adx_decode(const sr_adx *a, const double in[3], double aces[3])
{
  double code_max, base, per_density;
  adx_scale(a->sixteen, &code_max, &base, &per_density);
  double cdd[3], cid[3], e[3];
  for (int c = 0; c < 3; c++)
    cdd[c] = (in[c] * code_max - base) / per_density;
  mul3(ADX_CDD_TO_CID, cdd, cid);
  for (int c = 0; c < 3; c++)
    e[c] = adx_cid_to_exposure(cid[c]);
  mul3(ADX_EXP_TO_ACES, e, aces);
}

void
sr_adx_encode(const sr_adx *a, const double aces[3], double out[3])
{
  double code_max, base, per_density;
  adx_scale(a->sixteen, &code_max, &base, &per_density);
  double e[3], cid[3], cdd[3];
  mul3(a->aces_to_exp, aces, e);
  for (int c = 0; c < 3; c++)
    cid[c] = adx_exposure_to_cid(e[c]);
  mul3(a->cid_to_cdd, cid, cdd);
  for (int c = 0; c < 3; c++)
    out[c] = (base + cdd[c] * per_density) / code_max;
}
