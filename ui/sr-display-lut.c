/* sr-display-lut.c — display transform tables built with LittleCMS. */
#include "sr-display-lut.h"

#include <lcms2.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "sr-job.h"

static const float shaper_lo = -14.0f; /* log2 (SR_DISPLAY_LUT_MIN_LINEAR) */
static const float shaper_hi = 6.0f;   /* log2 (SR_DISPLAY_LUT_MAX_LINEAR) */

float
sr_display_lut_shape(float linear)
{
  /* s = (log2 (x + m) − log2 m) / (log2 M − log2 m): 0 at black, 1 at M. */
  float x = linear > 0.0f ? linear : 0.0f;
  float s = (log2f(x + SR_DISPLAY_LUT_MIN_LINEAR) - shaper_lo) / (shaper_hi - shaper_lo);
  return s < 0.0f ? 0.0f : (s > 1.0f ? 1.0f : s);
}

static float
shape_inverse(float s)
{
  return exp2f(shaper_lo + s * (shaper_hi - shaper_lo)) - SR_DISPLAY_LUT_MIN_LINEAR;
}

static float
decode_value(SrDisplayDecode decode, float v)
{
  switch (decode) {
  case SR_DISPLAY_DECODE_SRGB: {
    float a = fabsf(v);
    float l = a <= 0.04045f ? a / 12.92f : powf((a + 0.055f) / 1.055f, 2.4f);
    return v < 0.0f ? -l : l;
  }
  case SR_DISPLAY_DECODE_GAMMA24: {
    float l = powf(fabsf(v), 2.4f);
    return v < 0.0f ? -l : l;
  }
  case SR_DISPLAY_DECODE_NONE:
  default: return v;
  }
}

float
sr_display_lut_decode(const SrDisplayLut *lut, float v)
{
  return decode_value(lut->decode, v);
}

/* The linear space whose primaries the frames use once decoded. */
static sr_colourspace
linear_space_for(sr_colourspace cs, SrDisplayDecode *decode)
{
  switch (cs) {
  case SR_CS_SRGB: *decode = SR_DISPLAY_DECODE_SRGB; return SR_CS_LINEAR_REC709;
  case SR_CS_REC709: *decode = SR_DISPLAY_DECODE_GAMMA24; return SR_CS_LINEAR_REC709;
  /* Log scans are shown as their code values, the flat picture a grading
   * system shows before a look is applied: code values as display values. */
  case SR_CS_CINEON:
  case SR_CS_ADX10:
  case SR_CS_ADX16: *decode = SR_DISPLAY_DECODE_SRGB; return SR_CS_LINEAR_REC709;
  case SR_CS_ACES2065_1:
  case SR_CS_ACESCG:
  case SR_CS_LINEAR_REC709:
  case SR_CS_COUNT:
  default: *decode = SR_DISPLAY_DECODE_NONE; return cs;
  }
}

static cmsHPROFILE
linear_profile(sr_colourspace cs)
{
  float c[8];
  sr_colourspace_chromaticities(cs, c);
  cmsCIExyY white = {c[6], c[7], 1.0};
  cmsCIExyYTRIPLE prim = {
      {c[0], c[1], 1.0},
      {c[2], c[3], 1.0},
      {c[4], c[5], 1.0},
  };
  cmsToneCurve *lin = cmsBuildGamma(NULL, 1.0);
  cmsToneCurve *curves[3] = {lin, lin, lin};
  cmsHPROFILE p = cmsCreateRGBProfile(&white, &prim, curves);
  cmsFreeToneCurve(lin);
  return p;
}

SrDisplayLut *
sr_display_lut_new(sr_colourspace input, const char *icc_path, int size, GError **error)
{
  if ((int)input < 0 || input >= SR_CS_COUNT) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                _("Display transform: colour space %d is not one the viewer knows"), (int)input);
    return NULL;
  }
  if (size <= 0)
    size = SR_DISPLAY_LUT_DEFAULT_SIZE;
  if (size < 2 || size > 129) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                _("Display transform: LUT size %d is outside 2–129"), size);
    return NULL;
  }

  SrDisplayDecode decode;
  sr_colourspace lin = linear_space_for(input, &decode);

  cmsHPROFILE out_profile;
  if (icc_path != NULL && icc_path[0] != '\0') {
    out_profile = cmsOpenProfileFromFile(icc_path, "r");
    if (out_profile == NULL) {
      g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                  _("Display profile “%s” could not be read as an ICC profile; "
                    "choose another file or use sRGB"),
                  icc_path);
      return NULL;
    }
    if (cmsGetColorSpace(out_profile) != cmsSigRgbData) {
      cmsCloseProfile(out_profile);
      g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                  _("Display profile “%s” is not an RGB profile; choose a monitor profile"),
                  icc_path);
      return NULL;
    }
  } else
    out_profile = cmsCreate_sRGBProfile();

  cmsHPROFILE in_profile = linear_profile(lin);
  cmsHTRANSFORM xf = NULL;
  if (in_profile != NULL && out_profile != NULL)
    xf = cmsCreateTransform(in_profile, TYPE_RGB_FLT, out_profile, TYPE_RGB_FLT,
                            INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_NOCACHE);
  if (in_profile != NULL)
    cmsCloseProfile(in_profile);
  if (out_profile != NULL)
    cmsCloseProfile(out_profile);
  if (xf == NULL) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID,
                _("Display transform from %s to %s could not be built by LittleCMS"),
                sr_colourspace_label(input), icc_path ? icc_path : "sRGB");
    return NULL;
  }

  gsize n = (gsize)size * size * size;
  float *grid = g_new(float, n * 3);
  float *axis = g_new(float, size);
  for (int i = 0; i < size; i++)
    axis[i] = shape_inverse((float)i / (float)(size - 1));
  gsize k = 0;
  for (int b = 0; b < size; b++)
    for (int g = 0; g < size; g++)
      for (int r = 0; r < size; r++) {
        grid[k++] = axis[r];
        grid[k++] = axis[g];
        grid[k++] = axis[b];
      }
  g_free(axis);

  SrDisplayLut *lut = g_new0(SrDisplayLut, 1);
  lut->size = size;
  lut->table = g_new(float, n * 3);
  lut->decode = decode;
  lut->input = input;
  lut->profile_path = g_strdup(icc_path && icc_path[0] ? icc_path : NULL);
  if (icc_path && icc_path[0]) {
    g_autofree char *base = g_path_get_basename(icc_path);
    lut->description = g_strdup_printf("%s → %s", sr_colourspace_label(input), base);
  } else
    lut->description = g_strdup_printf("%s → sRGB", sr_colourspace_label(input));

  cmsDoTransform(xf, grid, lut->table, (cmsUInt32Number)n);
  cmsDeleteTransform(xf);
  g_free(grid);

  /* Kept unclamped (within half-float range) so that interpolating next to
   * white stays exact; the result is clamped after the lookup. */
  for (gsize i = 0; i < n * 3; i++) {
    float v = lut->table[i];
    lut->table[i] = isfinite(v) ? (v < -4.0f ? -4.0f : (v > 4.0f ? 4.0f : v)) : 0.0f;
  }
  return lut;
}

void
sr_display_lut_free(SrDisplayLut *lut)
{
  if (lut == NULL)
    return;
  g_free(lut->table);
  g_free(lut->profile_path);
  g_free(lut->description);
  g_free(lut);
}

/* IEEE half from float, round to nearest even; overflow → ±inf, NaN kept. */
guint16
sr_float_to_half(float f)
{
  guint32 x;
  memcpy(&x, &f, 4);
  guint32 sign = (x >> 16) & 0x8000u;
  guint32 mant = x & 0x007fffffu;
  int exp = (int)((x >> 23) & 0xff);
  if (exp == 0xff)
    return (guint16)(sign | 0x7c00u | (mant ? 0x200u : 0u));
  int e = exp - 127 + 15;
  if (e >= 31)
    return (guint16)(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10)
      return (guint16)sign;
    mant |= 0x00800000u;
    int shift = 14 - e;
    guint32 h = mant >> shift;
    guint32 rem = mant & ((1u << shift) - 1u);
    guint32 halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (h & 1u)))
      h++;
    return (guint16)(sign | h);
  }
  guint32 h = ((guint32)e << 10) | (mant >> 13);
  guint32 rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
    h++; /* may carry into the exponent, which is the right rounding */
  return (guint16)(sign | h);
}


float
sr_half_to_float(guint16 h)
{
  guint32 sign = (guint32)(h & 0x8000u) << 16;
  guint32 exp = (h >> 10) & 0x1fu;
  guint32 mant = h & 0x3ffu;
  guint32 x;
  if (exp == 0x1f)
    x = sign | 0x7f800000u | (mant << 13);
  else if (exp != 0)
    x = sign | ((exp + 112u) << 23) | (mant << 13);
  else if (mant == 0)
    x = sign;
  else {
    /* Subnormal half: normalise. */
    int e = -1;
    do {
      e++;
      mant <<= 1;
    } while ((mant & 0x400u) == 0);
    x = sign | ((guint32)(112 - e) << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  memcpy(&f, &x, 4);
  return f;
}

/* Trilinear lookup at grid coordinates c (each in [0, size−1]). */
static void
lookup(const SrDisplayLut *lut, const float c[3], float out[3])
{
  const int n = lut->size;
  int i0[3];
  float f[3];
  for (int ch = 0; ch < 3; ch++) {
    int i = (int)c[ch];
    if (i >= n - 1)
      i = n - 2;
    if (i < 0)
      i = 0;
    i0[ch] = i;
    f[ch] = c[ch] - (float)i;
  }
  const float *t = lut->table;
  const gsize sr = 3, sg = (gsize)n * 3, sb = (gsize)n * n * 3;
  const float *p = t + (gsize)i0[0] * sr + (gsize)i0[1] * sg + (gsize)i0[2] * sb;
  for (int ch = 0; ch < 3; ch++) {
    /* Interpolate along red, then green, then blue. */
    float c00 = p[ch] + (p[sr + ch] - p[ch]) * f[0];
    float c10 = p[sg + ch] + (p[sg + sr + ch] - p[sg + ch]) * f[0];
    float c01 = p[sb + ch] + (p[sb + sr + ch] - p[sb + ch]) * f[0];
    float c11 = p[sb + sg + ch] + (p[sb + sg + sr + ch] - p[sb + sg + ch]) * f[0];
    float c0 = c00 + (c10 - c00) * f[1];
    float c1 = c01 + (c11 - c01) * f[1];
    float v = c0 + (c1 - c0) * f[2];
    out[ch] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
  }
}

static float
grid_coord(const SrDisplayLut *lut, float gain, float v)
{
  if (!isfinite(v))
    v = 0.0f;
  return sr_display_lut_shape(decode_value(lut->decode, v) * gain) * (float)(lut->size - 1);
}

void
sr_display_lut_apply(const SrDisplayLut *lut, float exposure_stops, const float rgb[3],
                     float out[3])
{
  const float gain = exp2f(exposure_stops);
  float c[3];
  for (int ch = 0; ch < 3; ch++)
    c[ch] = grid_coord(lut, gain, rgb[ch]);
  lookup(lut, c, out);
}

/* Below this many pixels the per-value curves are cheaper than a table. */
#define HALF_TABLE_MIN_PIXELS 16384

void
sr_display_lut_apply_rgba8(const SrDisplayLut *lut, float exposure_stops, const float *in,
                           int channels, guint8 *out, gsize n)
{
  const float gain = exp2f(exposure_stops);
  /* For whole frames: the decode, exposure and shaper of every half-float
   * value in one 64K table, so a pixel costs three lookups and the 3D
   * interpolation. Values are rounded to half first, as on the GPU. */
  float *coord = NULL;
  if (n >= HALF_TABLE_MIN_PIXELS) {
    coord = g_new(float, 65536);
    for (guint i = 0; i < 65536; i++)
      coord[i] = grid_coord(lut, gain, sr_half_to_float((guint16)i));
  }
  for (gsize i = 0; i < n; i++) {
    const float *p = in + i * (gsize)channels;
    float rgb[3], c[3], d[3];
    if (channels >= 3) {
      rgb[0] = p[0];
      rgb[1] = p[1];
      rgb[2] = p[2];
    } else
      rgb[0] = rgb[1] = rgb[2] = p[0];
    for (int ch = 0; ch < 3; ch++)
      c[ch] = coord ? coord[sr_float_to_half(rgb[ch])] : grid_coord(lut, gain, rgb[ch]);
    lookup(lut, c, d);
    guint8 *o = out + i * 4;
    for (int ch = 0; ch < 3; ch++)
      o[ch] = (guint8)(d[ch] * 255.0f + 0.5f);
    float a = channels == 4 ? p[3] : 1.0f;
    a = isfinite(a) ? (a < 0.0f ? 0.0f : (a > 1.0f ? 1.0f : a)) : 1.0f;
    o[3] = (guint8)(a * 255.0f + 0.5f);
  }
  g_free(coord);
}
