/* sr-colour.h — colour spaces, the training domain, and YCbCr.
 *
 * RGB-to-RGB conversions are built with LittleCMS in float, unbounded mode
 * (values above 1 and below 0 survive), never from hand-typed matrices.
 *
 * The training domain is bounded, display-referred Rec.709 / BT.1886 (gamma
 * 2.4) RGB: what the guide trains in. Scene-linear inputs are mapped there
 * and may leave [0,1]; the pair build clamps. On the way back only the
 * change the network made is converted, so an identity network gives back
 * the input bit for bit, highlights above 1 included (see sr_domain_merge).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sr-error.h"
#include "sr-image.h"
#include "sr-ocio.h"

typedef enum sr_colourspace {
  SR_CS_ACES2065_1 = 0, /* AP0 primaries, linear */
  SR_CS_ACESCG,         /* AP1 primaries, linear */
  SR_CS_LINEAR_REC709,  /* Rec.709 primaries, linear */
  SR_CS_SRGB,           /* Rec.709 primaries, sRGB curve */
  SR_CS_REC709,         /* Rec.709 primaries, BT.1886 display encoding (2.4) */
  SR_CS_CINEON,         /* Cineon printing-density log, 10-bit, over Rec.709 primaries */
  SR_CS_ADX10,          /* ACES ADX10 density, decodes to ACES2065-1 */
  SR_CS_ADX16,          /* ACES ADX16 density, decodes to ACES2065-1 */
  SR_CS_COUNT
} sr_colourspace;

/* Stable identifiers used in project files and on the command line:
 * "aces2065-1", "acescg", "linear-rec709", "srgb", "rec709", "cineon",
 * "adx10", "adx16". */
const char *sr_colourspace_id(sr_colourspace cs);
/* Human label: "ACES2065-1", "ACEScg", "Linear Rec.709", "sRGB",
 * "Rec.709 (BT.1886)", "Cineon log", "ACES ADX10", "ACES ADX16". */
const char *sr_colourspace_label(sr_colourspace cs);
/* Accepts ids and common spellings, case-insensitive. */
bool sr_colourspace_from_id(const char *name, sr_colourspace *out);
/* EXR chromaticities (red xy, green xy, blue xy, white xy). For the log
 * spaces: those of the linear values they decode to (Rec.709 for Cineon,
 * AP0 for ADX). */
void sr_colourspace_chromaticities(sr_colourspace cs, float out[8]);
bool sr_colourspace_is_linear(sr_colourspace cs);
/* Film-scan log encodings (Cineon, ADX10, ADX16). */
bool sr_colourspace_is_log(sr_colourspace cs);

/* A conversion between two spaces, RGB float, unbounded. Thread-safe to
 * apply from several threads at once. */
typedef struct sr_colour_transform sr_colour_transform;

sr_colour_transform *sr_colour_transform_new(sr_colourspace from, sr_colourspace to, sr_error *err);
/* The same with either end (or both) an OpenColorIO space: a non-NULL
 * `from_ocio` replaces `from` (and `to_ocio` replaces `to`) by that space of
 * `cfg`. OCIO converts between it and the config's aces_interchange role
 * (ACES2065-1) and the LittleCMS path does the rest, so the conversions the
 * project already has are unchanged. The transform holds its own OCIO
 * processors; `cfg` may be freed afterwards. */
sr_colour_transform *sr_colour_transform_new_ocio(const sr_ocio_config *cfg, const char *from_ocio,
                                                  sr_colourspace from, const char *to_ocio,
                                                  sr_colourspace to, sr_error *err);
void sr_colour_transform_free(sr_colour_transform *t);
/* Converts n pixels in place; `channels` is 3 or 4 (alpha untouched). */
void sr_colour_transform_apply(const sr_colour_transform *t, float *pixels, size_t n, int channels);
/* Converts a whole image in place (1-channel images are left alone). */
void sr_colour_transform_image(const sr_colour_transform *t, sr_image *img);

/* ---- Training domain ------------------------------------------------------ */

#define SR_TRAINING_DOMAIN SR_CS_REC709

typedef struct sr_domain sr_domain; /* input space <-> training domain */

sr_domain *sr_domain_new(sr_colourspace input, sr_error *err);
/* The same for a space of an OpenColorIO config (see sr-ocio.h). */
sr_domain *sr_domain_new_ocio(const sr_ocio_config *cfg, const char *space, sr_error *err);
void sr_domain_free(sr_domain *d);
sr_colourspace sr_domain_input_space(const sr_domain *d);
/* Input space → training domain, in place, unclamped. */
void sr_domain_forward(const sr_domain *d, float *pixels, size_t n, int channels);
/* Training domain → input space, in place. Exact inverse of forward for
 * values in [0,1] (to float rounding of the input-space values: a few ulp in
 * linear light, which the 1/2.4 power magnifies for channels near black). */
void sr_domain_inverse(const sr_domain *d, float *pixels, size_t n, int channels);
/* The merge back after inference, per pixel, in the input space:
 *   out = original + inverse(result) - inverse(input)
 * where input is the clamped domain value the network saw and result is what
 * it produced. A pixel any of whose channels was clipped when entering the
 * domain keeps its original value. With result == input the output equals
 * original exactly. All three arrays hold n pixels of `channels` (3 or 4;
 * alpha comes from original); out may alias original. */
void sr_domain_merge(const sr_domain *d, const float *original, const float *input,
                     const float *result, float *out, size_t n, int channels);

/* ---- YCbCr ---------------------------------------------------------------- */

typedef enum sr_ycbcr_matrix {
  SR_YCBCR_BT709 = 0,
  SR_YCBCR_BT601,
} sr_ycbcr_matrix;

typedef struct sr_ycbcr_coeffs {
  float kr, kg, kb;
} sr_ycbcr_coeffs;

sr_ycbcr_coeffs sr_ycbcr_coefficients(sr_ycbcr_matrix m);
const char *sr_ycbcr_matrix_id(sr_ycbcr_matrix m); /* "bt709", "bt601" */
bool sr_ycbcr_matrix_from_id(const char *name, sr_ycbcr_matrix *out);

/* Y = kr R + kg G + kb B; Cb = (B - Y) / (2 (1 - kb)); Cr = (R - Y) / (2 (1 - kr)).
 * Cb and Cr are centred on 0 (no 0.5 offset). `channels` 3 or 4 for the RGB
 * side; the YCbCr side is always 3 floats a pixel. */
void sr_rgb_to_ycbcr(sr_ycbcr_matrix m, const float *rgb, float *ycbcr, size_t n, int channels);
void sr_ycbcr_to_rgb(sr_ycbcr_matrix m, const float *ycbcr, float *rgb, size_t n, int channels);

static inline float
sr_luma(sr_ycbcr_coeffs c, float r, float g, float b)
{
  return c.kr * r + c.kg * g + c.kb * b;
}

/* Y of every pixel of img into out (width × height floats): sr_luma of the
 * first three channels, or the one channel of a one-channel image. */
void sr_luma_plane(const sr_image *img, sr_ycbcr_coeffs c, float *out);
