/* sr-display-lut.h — the display transform as a 3D LUT with a shaper.
 *
 * Frames are first brought to linear light with the primaries of their own
 * colour space (display-referred Rec.709 and sRGB are decoded with their
 * curves), multiplied by the exposure, then shaped by a log2 curve so that
 * the LUT's grid spends its points evenly over stops (from 2^-14 up to
 * SR_DISPLAY_LUT_MAX_LINEAR, which keeps scene-linear highlights), and
 * finally looked up in a size³ RGB table that LittleCMS filled with the
 * conversion to the display (sRGB, or an ICC display profile).
 *
 * The same table is used by the GL shader (as a 3D texture) and by the CPU
 * path (sr_display_lut_apply), so both show the same picture.
 */
#pragma once

#include <glib.h>

#include "sr-colour.h"

G_BEGIN_DECLS

#define SR_DISPLAY_LUT_DEFAULT_SIZE 49
/* Brightest linear value the shaper covers: 2^6, six stops over white. */
#define SR_DISPLAY_LUT_MAX_LINEAR 64.0f
#define SR_DISPLAY_LUT_MIN_LINEAR (1.0f / 16384.0f)

typedef enum {
  SR_DISPLAY_DECODE_NONE = 0, /* already linear */
  SR_DISPLAY_DECODE_SRGB,     /* sRGB piecewise curve */
  SR_DISPLAY_DECODE_GAMMA24,  /* BT.1886 with black at 0: V^2.4 */
} SrDisplayDecode;

typedef struct {
  int size;               /* grid points per axis */
  float *table;           /* size³ RGB triples, red varies fastest */
  SrDisplayDecode decode; /* how input values become linear */
  sr_colourspace input;
  char *profile_path; /* NULL: sRGB */
  char *description;  /* "Rec.709 (BT.1886) → sRGB" */
} SrDisplayLut;

/* Builds the LUT from frames in `input` to the display profile at
 * icc_path (NULL = sRGB). size 0 picks the default. */
SrDisplayLut *sr_display_lut_new(sr_colourspace input, const char *icc_path, int size,
                                 GError **error);
void sr_display_lut_free(SrDisplayLut *lut);

/* Shaper: linear value → LUT coordinate in [0,1]. */
float sr_display_lut_shape(float linear);
/* Input value → linear light by the LUT's decode curve. */
float sr_display_lut_decode(const SrDisplayLut *lut, float v);

/* Full transform of one pixel on the CPU: decode, × 2^exposure, shape,
 * trilinear lookup. Output is display-encoded, clamped to [0,1]. */
void sr_display_lut_apply(const SrDisplayLut *lut, float exposure_stops, const float rgb[3],
                          float out[3]);

/* Converts n pixels of `channels` (1, 3 or 4) floats to 8-bit display RGBA
 * (alpha 255 or from the 4th channel). Large batches round the input to
 * half float first, exactly as the GL path sees it. */
void sr_display_lut_apply_rgba8(const SrDisplayLut *lut, float exposure_stops, const float *in,
                                int channels, guint8 *out, gsize n);

/* IEEE 754 half precision, round to nearest even (what the GL path uploads). */
guint16 sr_float_to_half(float f);
float sr_half_to_float(guint16 h);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SrDisplayLut, sr_display_lut_free)

G_END_DECLS
