/* sr-colour-meta.c — what a frame's header says about its colour space.
 *
 * The readers put the facts into sr_image_info (DPX transfer codes, EXR
 * chromaticities, PNG cHRM/gAMA/sRGB/iCCP, TIFF primaries and ICC profile);
 * this file turns them into a space the project knows, or an account of why
 * none fits, and says when a declared space contradicts them. Primaries
 * match within 0.002 in x and y: ICC's s15.16 fixed point and half-float
 * EXR attributes round far below that, while the nearest two whites the
 * spaces use (D65 and ACES' D60) lie 0.009 apart. */
#include <lcms2.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sr-i18n.h"
#include "sr-io-private.h"

#define XY_TOLERANCE 0.002f

/* Primaries the project has no space for, to name them all the same. */
static const struct {
  const char *name;
  float xy[8];
} foreign[] = {
    {"DCI-P3 / Display P3", {0.680f, 0.320f, 0.265f, 0.690f, 0.150f, 0.060f, 0.3127f, 0.3290f}},
    {"DCI-P3 (DCI white)", {0.680f, 0.320f, 0.265f, 0.690f, 0.150f, 0.060f, 0.314f, 0.351f}},
    {"Rec.2020", {0.708f, 0.292f, 0.170f, 0.797f, 0.131f, 0.046f, 0.3127f, 0.3290f}},
};

static bool
xy_match(const float *a, const float *b)
{
  for (int i = 0; i < 8; i++)
    if (!(fabsf(a[i] - b[i]) <= XY_TOLERANCE))
      return false;
  return true;
}

static bool
same_primaries(sr_colourspace a, sr_colourspace b)
{
  float xa[8], xb[8];
  sr_colourspace_chromaticities(a, xa);
  sr_colourspace_chromaticities(b, xb);
  return xy_match(xa, xb);
}

/* The first linear space with these primaries and white, if any. */
static bool
linear_space_of(const float xy[8], sr_colourspace *out)
{
  static const sr_colourspace linear[] = {SR_CS_ACES2065_1, SR_CS_ACESCG, SR_CS_LINEAR_REC709};
  for (size_t i = 0; i < sizeof linear / sizeof linear[0]; i++) {
    float ref[8];
    sr_colourspace_chromaticities(linear[i], ref);
    if (xy_match(xy, ref)) {
      *out = linear[i];
      return true;
    }
  }
  return false;
}

static bool
icc_says_srgb(const sr_image_info *info)
{
  return strstr(info->icc_description, "sRGB") || strstr(info->icc_description, "srgb") ||
         strstr(info->icc_description, "61966-2");
}

/* Rec.709 primaries in an integer file: the curve decides. */
static sr_colourspace
rec709_family(const sr_image_info *info, char *curve, size_t cap)
{
  if (info->srgb_chunk || icc_says_srgb(info)) {
    snprintf(curve, cap, "%s", info->srgb_chunk ? SR_("sRGB chunk") : info->icc_description);
    return SR_CS_SRGB;
  }
  if (info->gamma > 0) {
    snprintf(curve, cap, "gAMA %.5f", info->gamma);
    if (fabsf(info->gamma - 1.0f) < 0.01f)
      return SR_CS_LINEAR_REC709;
    if (fabsf(info->gamma - 1.0f / 2.4f) < 0.005f)
      return SR_CS_REC709;
    return SR_CS_SRGB;
  }
  snprintf(curve, cap, "%s", SR_("no curve stated"));
  return info->format == SR_FORMAT_EXR ? SR_CS_LINEAR_REC709 : SR_CS_SRGB;
}

static void
format_xy(const float *xy, char *buf, size_t cap)
{
  snprintf(buf, cap, "R %.4f,%.4f G %.4f,%.4f B %.4f,%.4f W %.4f,%.4f", xy[0], xy[1], xy[2], xy[3],
           xy[4], xy[5], xy[6], xy[7]);
}

typedef enum { FOUND_NONE, FOUND_KNOWN, FOUND_FOREIGN } found_kind;

/* From primaries (and, for integer files, the curve). */
static found_kind
suggest_from_primaries(const sr_image_info *info, sr_colourspace *space, char *why, size_t cap)
{
  const char *field = info->colour_field[0] ? info->colour_field : SR_("header");
  sr_colourspace cs;
  if (linear_space_of(info->chromaticities, &cs)) {
    char curve[96] = "";
    if (cs == SR_CS_LINEAR_REC709 && info->format != SR_FORMAT_EXR)
      cs = rec709_family(info, curve, sizeof curve);
    if (curve[0])
      snprintf(why, cap, SR_("%s: %s primaries, %s → %s"), field,
               cs == SR_CS_ACES2065_1 ? "AP0"
               : cs == SR_CS_ACESCG   ? "AP1"
                                      : "Rec.709",
               curve, sr_colourspace_label(cs));
    else
      snprintf(why, cap, SR_("%s: %s primaries → %s"), field,
               cs == SR_CS_ACES2065_1 ? "AP0"
               : cs == SR_CS_ACESCG   ? "AP1"
                                      : "Rec.709",
               sr_colourspace_label(cs));
    if (space)
      *space = cs;
    return FOUND_KNOWN;
  }
  for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++)
    if (xy_match(info->chromaticities, foreign[i].xy)) {
      snprintf(why, cap,
               SR_("%s: %s primaries, which the project has no space for; convert the frames "
                   "or choose the space from an OpenColorIO config"),
               field, foreign[i].name);
      return FOUND_FOREIGN;
    }
  char xy[128];
  format_xy(info->chromaticities, xy, sizeof xy);
  snprintf(why, cap, SR_("%s: primaries %s match no space the project knows; choose the space"),
           field, xy);
  return FOUND_FOREIGN;
}

static bool
dpx_states_transfer(const sr_image_info *info)
{
  return info->format == SR_FORMAT_DPX && info->transfer >= 0;
}

static found_kind
classify(const sr_image_info *info, sr_colourspace *space, char *why, size_t cap)
{
  if (dpx_states_transfer(info))
    return sr_dpx_suggest_colourspace(info, space, why, cap) ? FOUND_KNOWN : FOUND_NONE;
  if (info->has_chromaticities)
    return suggest_from_primaries(info, space, why, cap);
  if (info->srgb_chunk || icc_says_srgb(info)) {
    if (info->srgb_chunk)
      snprintf(why, cap, SR_("%s: sRGB chunk → %s"), info->colour_field,
               sr_colourspace_label(SR_CS_SRGB));
    else
      snprintf(why, cap, SR_("%s: \"%s\" → %s"), info->colour_field, info->icc_description,
               sr_colourspace_label(SR_CS_SRGB));
    if (space)
      *space = SR_CS_SRGB;
    return FOUND_KNOWN;
  }
  if (info->icc_description[0])
    snprintf(why, cap, SR_("%s: \"%s\" names no space the project knows; choose the space"),
             info->colour_field, info->icc_description);
  else
    snprintf(why, cap, SR_("the %s header states no colour space; choose the space"),
             sr_format_name(info->format));
  return FOUND_NONE;
}

bool
sr_image_info_suggest_colourspace(const sr_image_info *info, sr_colourspace *space, char *why,
                                  size_t cap)
{
  return classify(info, space, why, cap) == FOUND_KNOWN;
}

bool
sr_image_info_contradicts(const sr_image_info *info, sr_colourspace declared, char *why, size_t cap)
{
  sr_colourspace found;
  found_kind kind = classify(info, &found, why, cap);
  /* Primaries of a space the project lacks contradict any declaration. */
  if (kind != FOUND_KNOWN)
    return kind == FOUND_FOREIGN;
  if (found == declared)
    return false;
  if (!same_primaries(found, declared))
    return true;
  /* Same primaries: only primaries were stated (EXR, cHRM, TIFF tags) and
   * any curve may ride on them; a stated curve (DPX code, sRGB chunk or
   * profile, gAMA) must agree in being linear, log or display-encoded. */
  bool stated_curve =
      dpx_states_transfer(info) || info->srgb_chunk || icc_says_srgb(info) || info->gamma > 0;
  if (!stated_curve)
    return false;
  if (sr_colourspace_is_log(found) || sr_colourspace_is_log(declared))
    return true;
  return sr_colourspace_is_linear(found) != sr_colourspace_is_linear(declared);
}

/* ---- ICC profiles --------------------------------------------------------- */

static void
xyz_to_xy(const double xyz[3], float *xy)
{
  double s = xyz[0] + xyz[1] + xyz[2];
  xy[0] = s > 0 ? (float)(xyz[0] / s) : 0;
  xy[1] = s > 0 ? (float)(xyz[1] / s) : 0;
}

/* 3×3 inverse; false when singular. */
static bool
mat3_invert(const double m[9], double out[9])
{
  double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
               m[2] * (m[3] * m[7] - m[4] * m[6]);
  if (!(fabs(det) > 1e-12))
    return false;
  out[0] = (m[4] * m[8] - m[5] * m[7]) / det;
  out[1] = (m[2] * m[7] - m[1] * m[8]) / det;
  out[2] = (m[1] * m[5] - m[2] * m[4]) / det;
  out[3] = (m[5] * m[6] - m[3] * m[8]) / det;
  out[4] = (m[0] * m[8] - m[2] * m[6]) / det;
  out[5] = (m[2] * m[3] - m[0] * m[5]) / det;
  out[6] = (m[3] * m[7] - m[4] * m[6]) / det;
  out[7] = (m[1] * m[6] - m[0] * m[7]) / det;
  out[8] = (m[0] * m[4] - m[1] * m[3]) / det;
  return true;
}

/* Colorants are stored adapted to the D50 connection space; the chad tag
 * (when there) is the matrix that adapted them, so its inverse gives the
 * primaries and white the profile describes. */
static bool
icc_read_primaries(cmsHPROFILE p, float xy[8])
{
  const cmsTagSignature tags[3] = {cmsSigRedColorantTag, cmsSigGreenColorantTag,
                                   cmsSigBlueColorantTag};
  double cols[3][3], white[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    const cmsCIEXYZ *c = cmsReadTag(p, tags[i]);
    if (!c)
      return false;
    cols[i][0] = c->X;
    cols[i][1] = c->Y;
    cols[i][2] = c->Z;
    for (int k = 0; k < 3; k++)
      white[k] += cols[i][k];
  }
  const double *chad = cmsReadTag(p, cmsSigChromaticAdaptationTag);
  double inv[9];
  if (chad && mat3_invert(chad, inv)) {
    double *vecs[4] = {cols[0], cols[1], cols[2], white};
    for (int v = 0; v < 4; v++) {
      double in[3] = {vecs[v][0], vecs[v][1], vecs[v][2]};
      for (int r = 0; r < 3; r++)
        vecs[v][r] = inv[r * 3] * in[0] + inv[r * 3 + 1] * in[1] + inv[r * 3 + 2] * in[2];
    }
  }
  for (int i = 0; i < 3; i++)
    xyz_to_xy(cols[i], xy + 2 * i);
  xyz_to_xy(white, xy + 6);
  /* AP0's blue lies outside the spectral locus (y < 0): only nonsense is
   * refused. */
  for (int i = 0; i < 8; i++)
    if (!(xy[i] > -1.0f && xy[i] < 2.0f))
      return false;
  return true;
}

bool
sr_image_info_read_icc(sr_image_info *info, const void *icc, size_t len, const char *field)
{
  if (!icc || len < 132 || len > (64u << 20))
    return false;
  /* The header's own size (big-endian, bytes 0-3): a profile cut short is
   * refused whole rather than half read. */
  const unsigned char *b = icc;
  size_t declared = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
  if (declared < 132 || declared > len)
    return false;
  cmsContext ctx = cmsCreateContext(NULL, NULL);
  if (!ctx)
    return false;
  cmsHPROFILE p = cmsOpenProfileFromMemTHR(ctx, icc, (cmsUInt32Number)len);
  if (!p) {
    cmsDeleteContext(ctx);
    return false;
  }
  char desc[sizeof info->icc_description] = "";
  cmsGetProfileInfoASCII(p, cmsInfoDescription, "en", "US", desc, sizeof desc);
  desc[sizeof desc - 1] = '\0';
  float xy[8];
  bool rgb = cmsGetColorSpace(p) == cmsSigRgbData;
  bool prim = rgb && icc_read_primaries(p, xy);
  if (prim) {
    memcpy(info->chromaticities, xy, sizeof xy);
    info->has_chromaticities = true;
  }
  bool any = prim || desc[0];
  if (any) {
    snprintf(info->icc_description, sizeof info->icc_description, "%s", desc);
    snprintf(info->colour_field, sizeof info->colour_field, "%s", field);
  }
  cmsCloseProfile(p);
  cmsDeleteContext(ctx);
  return any;
}
