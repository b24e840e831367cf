/* sr-colour.c — RGB colour spaces and conversions between them.
 *
 * A conversion is decode (transfer curve) → 3x3 matrix → encode. The matrix
 * comes from LittleCMS: the two spaces are built as linear matrix-shaper
 * profiles (primaries, white, Bradford adaptation to the D50 PCS done by
 * cmsCreateRGBProfile) and a float relative-colorimetric transform is run on
 * the three basis vectors. The curves are evaluated here, in double, because
 * LittleCMS clamps negative values in pure power curves (type 1 gives 0 below
 * 0), which would make conversions of out-of-gamut scene values lossy; the
 * extension used for negatives is sign(x)·|x|^γ for BT.1886 and the linear
 * toe continued for sRGB (what LittleCMS's type 4 curve does too). Every new
 * transform is checked against a full LittleCMS transform built with the real
 * tone curves (cmsBuildParametricToneCurve type 4, cmsBuildGamma) before use.
 */
#include "sr-colour.h"
#include "sr-colour-private.h"
#include "sr-i18n.h"

#include <lcms2.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Spaces ---------------------------------------------------------------- */

typedef enum tf_kind {
  TF_LINEAR,
  TF_SRGB,
  TF_GAMMA24,
  TF_CINEON, /* per channel, sr-log.c */
  TF_ADX10,  /* 3 channels at once: density matrix, curve, exposure matrix */
  TF_ADX16,
} tf_kind;

typedef struct space_info {
  const char *id;
  const char *label;
  double xy[8]; /* red, green, blue, white */
  tf_kind tf;
} space_info;

#define XY_AP0                                                  \
  {                                                             \
    0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.0770, 0.32168, 0.33767 \
  }
#define XY_AP1                                                 \
  {                                                            \
    0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767 \
  }
#define XY_REC709                                      \
  {                                                    \
    0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290 \
  }

static const space_info spaces[SR_CS_COUNT] = {
    [SR_CS_ACES2065_1] = {"aces2065-1", "ACES2065-1", XY_AP0, TF_LINEAR},
    [SR_CS_ACESCG] = {"acescg", "ACEScg", XY_AP1, TF_LINEAR},
    [SR_CS_LINEAR_REC709] = {"linear-rec709", "Linear Rec.709", XY_REC709, TF_LINEAR},
    [SR_CS_SRGB] = {"srgb", "sRGB", XY_REC709, TF_SRGB},
    [SR_CS_REC709] = {"rec709", "Rec.709 (BT.1886)", XY_REC709, TF_GAMMA24},
    /* Printing density has no primaries of its own; like the compositing
     * and grading tools, we read linearised Cineon as the Rec.709 working
     * space's RGB. */
    [SR_CS_CINEON] = {"cineon", "Cineon log", XY_REC709, TF_CINEON},
    /* ADX's conversion ends in ACES2065-1, so its linear side is AP0. */
    [SR_CS_ADX10] = {"adx10", "ACES ADX10", XY_AP0, TF_ADX10},
    [SR_CS_ADX16] = {"adx16", "ACES ADX16", XY_AP0, TF_ADX16},
};

static bool
space_valid(sr_colourspace cs)
{
  return (int)cs >= 0 && cs < SR_CS_COUNT;
}

const char *
sr_colourspace_id(sr_colourspace cs)
{
  return space_valid(cs) ? spaces[cs].id : "unknown";
}

const char *
sr_colourspace_label(sr_colourspace cs)
{
  return space_valid(cs) ? spaces[cs].label : "Unknown colour space";
}

/* Lower-case letters and digits only: "Rec.709 (BT.1886)" → "rec709bt1886". */
static void
normalise_name(const char *in, char *out, size_t cap)
{
  size_t n = 0;
  for (; *in && n + 1 < cap; in++) {
    char c = *in;
    if (c >= 'A' && c <= 'Z')
      out[n++] = (char)(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
      out[n++] = c;
  }
  out[n] = '\0';
}

bool
sr_colourspace_from_id(const char *name, sr_colourspace *out)
{
  static const struct {
    const char *alias;
    sr_colourspace cs;
  } aliases[] = {
      {"aces20651", SR_CS_ACES2065_1},
      {"aces", SR_CS_ACES2065_1},
      {"ap0", SR_CS_ACES2065_1},
      {"acesap0", SR_CS_ACES2065_1},
      {"acescg", SR_CS_ACESCG},
      {"ap1", SR_CS_ACESCG},
      {"acesap1", SR_CS_ACESCG},
      {"linearrec709", SR_CS_LINEAR_REC709},
      {"linrec709", SR_CS_LINEAR_REC709},
      {"rec709linear", SR_CS_LINEAR_REC709},
      {"linear709", SR_CS_LINEAR_REC709},
      {"linearsrgb", SR_CS_LINEAR_REC709},
      {"linear", SR_CS_LINEAR_REC709},
      {"scenelinearrec709", SR_CS_LINEAR_REC709},
      {"srgb", SR_CS_SRGB},
      {"srgbtexture", SR_CS_SRGB},
      {"rec709", SR_CS_REC709},
      {"bt709", SR_CS_REC709},
      {"rec709bt1886", SR_CS_REC709},
      {"bt1886", SR_CS_REC709},
      {"rec70924", SR_CS_REC709},
      {"rec709gamma24", SR_CS_REC709},
      {"gamma24rec709", SR_CS_REC709},
      {"cineon", SR_CS_CINEON},
      {"cineonlog", SR_CS_CINEON},
      {"cineonprintingdensity", SR_CS_CINEON},
      {"printingdensity", SR_CS_CINEON},
      {"lg10", SR_CS_CINEON},
      {"adx10", SR_CS_ADX10},
      {"acesadx10", SR_CS_ADX10},
      {"adx", SR_CS_ADX10},
      {"adx16", SR_CS_ADX16},
      {"acesadx16", SR_CS_ADX16},
  };
  if (!name)
    return false;
  char key[64];
  normalise_name(name, key, sizeof key);
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
    if (strcmp(key, aliases[i].alias) == 0) {
      if (out)
        *out = aliases[i].cs;
      return true;
    }
  }
  return false;
}

void
sr_colourspace_chromaticities(sr_colourspace cs, float out[8])
{
  if (!space_valid(cs))
    cs = SR_TRAINING_DOMAIN;
  for (int i = 0; i < 8; i++)
    out[i] = (float)spaces[cs].xy[i];
}

bool
sr_colourspace_is_linear(sr_colourspace cs)
{
  return space_valid(cs) && spaces[cs].tf == TF_LINEAR;
}

bool
sr_colourspace_is_log(sr_colourspace cs)
{
  return space_valid(cs) &&
         (spaces[cs].tf == TF_CINEON || spaces[cs].tf == TF_ADX10 || spaces[cs].tf == TF_ADX16);
}

/* ---- Fast power ------------------------------------------------------------ */

/* x^γ for x > 0: with x = 2^e·m, m = m0·(1 + t) and m0 the centre of m's
 * 1/256 bin (|t| < 2^-9), x^γ = 2^(eγ)·m0^γ·(1+t)^γ, the last factor from its
 * cubic Taylor series (truncation below 1e-12 for the γ used here). */
#define POW_BITS    8
#define POW_EXP_MIN (-160)
#define POW_EXP_MAX 160

typedef struct fast_pow {
  double gamma, c2, c3;
  double exp_scale[POW_EXP_MAX - POW_EXP_MIN + 1];
  double mant_pow[1 << POW_BITS];
  double mant_inv[1 << POW_BITS];
} fast_pow;

static void
fast_pow_init(fast_pow *p, double gamma)
{
  p->gamma = gamma;
  p->c2 = gamma * (gamma - 1.0) / 2.0;
  p->c3 = gamma * (gamma - 1.0) * (gamma - 2.0) / 6.0;
  for (int e = POW_EXP_MIN; e <= POW_EXP_MAX; e++)
    p->exp_scale[e - POW_EXP_MIN] = exp2((double)e * gamma);
  for (int i = 0; i < (1 << POW_BITS); i++) {
    double m0 = 1.0 + (i + 0.5) / (double)(1 << POW_BITS);
    p->mant_pow[i] = pow(m0, gamma);
    p->mant_inv[i] = 1.0 / m0;
  }
}

static inline double
fast_pow_eval(const fast_pow *p, double x)
{
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  int e = (int)((bits >> 52) & 0x7ff) - 1023;
  if (!(x > 0.0) || e < POW_EXP_MIN || e > POW_EXP_MAX)
    return pow(x, p->gamma);
  int idx = (int)((bits >> (52 - POW_BITS)) & ((1u << POW_BITS) - 1));
  uint64_t mbits = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
  double m;
  memcpy(&m, &mbits, sizeof m);
  double m0 = 1.0 + (idx + 0.5) * (1.0 / (1 << POW_BITS));
  double t = (m - m0) * p->mant_inv[idx];
  double poly = 1.0 + t * (p->gamma + t * (p->c2 + t * p->c3));
  return p->exp_scale[e - POW_EXP_MIN] * p->mant_pow[idx] * poly;
}

/* ---- Transfer curves ------------------------------------------------------- */

/* IEC 61966-2-1 as LittleCMS's parametric type 4:
 * Y = (a X + b)^g for X >= d, Y = c X below. */
static const double SRGB_G = 2.4, SRGB_A = 1.0 / 1.055, SRGB_B = 0.055 / 1.055,
                    SRGB_C = 1.0 / 12.92, SRGB_D = 0.04045;
static const double BT1886_G = 2.4;

typedef struct curves {
  tf_kind decode_kind, encode_kind;
  sr_adx adx_dec, adx_enc;
  double srgb_encode_break; /* (a d + b)^g, where the inverse changes branch */
  fast_pow dec, enc;        /* x^2.4 and x^(1/2.4) */
} curves;

static inline double
decode(const curves *c, double x)
{
  switch (c->decode_kind) {
  case TF_SRGB: return x >= SRGB_D ? fast_pow_eval(&c->dec, SRGB_A * x + SRGB_B) : SRGB_C * x;
  case TF_GAMMA24:
    return x > 0.0 ? fast_pow_eval(&c->dec, x) : x < 0.0 ? -fast_pow_eval(&c->dec, -x) : x;
  case TF_CINEON: return sr_cineon_decode(x);
  case TF_LINEAR:
  default: return x;
  }
}

/* Code values → linear in the space's primaries; ADX needs all three. */
static inline void
decode3(const curves *c, double v[3])
{
  if (c->decode_kind == TF_ADX10 || c->decode_kind == TF_ADX16) {
    double in[3] = {v[0], v[1], v[2]};
    sr_adx_decode(&c->adx_dec, in, v);
    return;
  }
  for (int i = 0; i < 3; i++)
    v[i] = decode(c, v[i]);
}

static inline double
encode(const curves *c, double y)
{
  switch (c->encode_kind) {
  case TF_SRGB:
    return y >= c->srgb_encode_break ? (fast_pow_eval(&c->enc, y) - SRGB_B) / SRGB_A : y / SRGB_C;
  case TF_GAMMA24:
    return y > 0.0 ? fast_pow_eval(&c->enc, y) : y < 0.0 ? -fast_pow_eval(&c->enc, -y) : y;
  case TF_CINEON: return sr_cineon_encode(y);
  case TF_LINEAR:
  default: return y;
  }
}

static inline void
encode3(const curves *c, double v[3])
{
  if (c->encode_kind == TF_ADX10 || c->encode_kind == TF_ADX16) {
    double in[3] = {v[0], v[1], v[2]};
    sr_adx_encode(&c->adx_enc, in, v);
    return;
  }
  for (int i = 0; i < 3; i++)
    v[i] = encode(c, v[i]);
}

/* ---- LittleCMS ------------------------------------------------------------- */

typedef struct lcms_log {
  char message[256];
} lcms_log;

static void
lcms_error_handler(cmsContext ctx, cmsUInt32Number code, const char *text)
{
  lcms_log *log = cmsGetContextUserData(ctx);
  if (log && !log->message[0])
    snprintf(log->message, sizeof log->message, SR_("%s (LittleCMS error %u)"), text ? text : "",
             (unsigned)code);
}

static cmsHPROFILE
make_profile(cmsContext ctx, sr_colourspace cs, bool with_curves)
{
  const space_info *s = &spaces[cs];
  cmsCIExyY white = {s->xy[6], s->xy[7], 1.0};
  cmsCIExyYTRIPLE primaries = {
      {s->xy[0], s->xy[1], 1.0},
      {s->xy[2], s->xy[3], 1.0},
      {s->xy[4], s->xy[5], 1.0},
  };
  cmsToneCurve *curve;
  tf_kind tf = with_curves ? s->tf : TF_LINEAR;
  if (tf == TF_SRGB) {
    const cmsFloat64Number params[5] = {SRGB_G, SRGB_A, SRGB_B, SRGB_C, SRGB_D};
    curve = cmsBuildParametricToneCurve(ctx, 4, params);
  } else if (tf == TF_CINEON) {
    /* LittleCMS type 8, Y = a·b^(cX + d) + e, is the Cineon curve above
     * code 0: an independent evaluation to check ours against. */
    double k, o, code_max, ref_white;
    sr_cineon_constants(&k, &o, &code_max, &ref_white);
    const cmsFloat64Number params[5] = {1.0 / (1.0 - o), 10.0, code_max * k, -ref_white * k,
                                        -o / (1.0 - o)};
    curve = cmsBuildParametricToneCurve(ctx, 8, params);
  } else if (tf == TF_ADX10 || tf == TF_ADX16) {
    /* Not a per-channel curve: checked as its matrix alone (see
     * verify_against_lcms). */
    curve = cmsBuildGamma(ctx, 1.0);
  } else {
    curve = cmsBuildGamma(ctx, tf == TF_GAMMA24 ? BT1886_G : 1.0);
  }
  if (!curve)
    return NULL;
  cmsToneCurve *three[3] = {curve, curve, curve};
  cmsHPROFILE p = cmsCreateRGBProfileTHR(ctx, &white, &primaries, three);
  cmsFreeToneCurve(curve);
  return p;
}

static cmsHTRANSFORM
make_lcms_transform(cmsContext ctx, sr_colourspace from, sr_colourspace to, bool with_curves)
{
  cmsHPROFILE a = make_profile(ctx, from, with_curves);
  cmsHPROFILE b = a ? make_profile(ctx, to, with_curves) : NULL;
  cmsHTRANSFORM t = NULL;
  if (a && b)
    t = cmsCreateTransformTHR(ctx, a, TYPE_RGB_FLT, b, TYPE_RGB_FLT, INTENT_RELATIVE_COLORIMETRIC,
                              cmsFLAGS_NOCACHE | cmsFLAGS_NOOPTIMIZE);
  if (a)
    cmsCloseProfile(a);
  if (b)
    cmsCloseProfile(b);
  return t;
}

/* The linear from→to matrix, row-major (out = M in). */
static bool
lcms_matrix(cmsContext ctx, sr_colourspace from, sr_colourspace to, double m[9])
{
  cmsHTRANSFORM t = make_lcms_transform(ctx, from, to, false);
  if (!t)
    return false;
  const float basis[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  float cols[9];
  cmsDoTransform(t, basis, cols, 3);
  cmsDeleteTransform(t);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      m[i * 3 + j] = cols[j * 3 + i];
  return true;
}

bool
sr_invert3(const double a[9], double out[9])
{
  double c00 = a[4] * a[8] - a[5] * a[7];
  double c01 = a[5] * a[6] - a[3] * a[8];
  double c02 = a[3] * a[7] - a[4] * a[6];
  double det = a[0] * c00 + a[1] * c01 + a[2] * c02;
  if (!(fabs(det) > 1e-12))
    return false;
  double inv = 1.0 / det;
  out[0] = c00 * inv;
  out[1] = (a[2] * a[7] - a[1] * a[8]) * inv;
  out[2] = (a[1] * a[5] - a[2] * a[4]) * inv;
  out[3] = c01 * inv;
  out[4] = (a[0] * a[8] - a[2] * a[6]) * inv;
  out[5] = (a[2] * a[3] - a[0] * a[5]) * inv;
  out[6] = c02 * inv;
  out[7] = (a[1] * a[6] - a[0] * a[7]) * inv;
  out[8] = (a[0] * a[4] - a[1] * a[3]) * inv;
  return true;
}

static bool
same_primaries(sr_colourspace a, sr_colourspace b)
{
  return memcmp(spaces[a].xy, spaces[b].xy, sizeof spaces[a].xy) == 0;
}

/* ---- Transforms ------------------------------------------------------------ */

struct sr_colour_transform {
  sr_colourspace from, to;
  sr_ocio_processor *pre;  /* OCIO space → ACES2065-1, before the rest */
  sr_ocio_processor *post; /* ACES2065-1 → OCIO space, after it */
  bool to_ocio;            /* the result's primaries are the config's business */
  bool identity;           /* from == to: nothing to do */
  bool unit_matrix;        /* same primaries and white: curves only */
  double m[9];
  curves c;
};

static void
convert_pixel(const sr_colour_transform *t, float *px)
{
  double v[3] = {px[0], px[1], px[2]};
  decode3(&t->c, v);
  if (!t->unit_matrix) {
    const double *m = t->m;
    double r2 = m[0] * v[0] + m[1] * v[1] + m[2] * v[2];
    double g2 = m[3] * v[0] + m[4] * v[1] + m[5] * v[2];
    double b2 = m[6] * v[0] + m[7] * v[1] + m[8] * v[2];
    v[0] = r2;
    v[1] = g2;
    v[2] = b2;
  }
  encode3(&t->c, v);
  px[0] = (float)v[0];
  px[1] = (float)v[1];
  px[2] = (float)v[2];
}

static bool
is_adx(tf_kind k)
{
  return k == TF_ADX10 || k == TF_ADX16;
}

/* Compares the fast path with LittleCMS's own float transform built from the
 * real tone curves, on in-gamut colours where LittleCMS's curves are exact. */
static bool
verify_against_lcms(const sr_colour_transform *t, cmsContext ctx, char *why, size_t cap)
{
  cmsHTRANSFORM full = make_lcms_transform(ctx, t->from, t->to, true);
  if (!full) {
    snprintf(why, cap, SR_("could not build the full LittleCMS transform"));
    return false;
  }
  enum { N = 4 * 4 * 4 };
  float probe[N * 3], ref[N * 3], ours[N * 3];
  int k = 0;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      for (int l = 0; l < 4; l++, k++) {
        probe[k * 3 + 0] = 0.25f + 0.15f * (float)i;
        probe[k * 3 + 1] = 0.25f + 0.15f * (float)j;
        probe[k * 3 + 2] = 0.25f + 0.15f * (float)l;
      }
  cmsDoTransform(full, probe, ref, N);
  cmsDeleteTransform(full);
  /* ADX is checked as its matrix alone: its conversion is not a
   * matrix-shaper, and its curve is pinned by the tests' reference values. */
  sr_colour_transform plain = *t;
  if (is_adx(plain.c.decode_kind))
    plain.c.decode_kind = TF_LINEAR;
  if (is_adx(plain.c.encode_kind))
    plain.c.encode_kind = TF_LINEAR;
  memcpy(ours, probe, sizeof ours);
  for (int p = 0; p < N; p++)
    convert_pixel(&plain, ours + p * 3);
  double worst = 0.0;
  for (int i = 0; i < N * 3; i++) {
    /* LittleCMS clamps negative values in a power curve; skip those. */
    if (ref[i] <= 0.0f || ours[i] <= 0.0f)
      continue;
    double d = fabs((double)ref[i] - ours[i]) / fmax(1.0, fabs((double)ref[i]));
    if (d > worst)
      worst = d;
  }
  if (worst > 1e-4) {
    snprintf(why, cap, SR_("differs from LittleCMS by %.3g"), worst);
    return false;
  }
  return true;
}

sr_colour_transform *
sr_colour_transform_new(sr_colourspace from, sr_colourspace to, sr_error *err)
{
  if (!space_valid(from) || !space_valid(to)) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("unknown colour space (%d → %d); use one of aces2065-1, "
                     "acescg, linear-rec709, srgb, rec709, cineon, adx10, adx16"),
                 (int)from, (int)to);
    return NULL;
  }
  sr_colour_transform *t = calloc(1, sizeof *t);
  if (!t) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory creating a colour transform"));
    return NULL;
  }
  t->from = from;
  t->to = to;
  t->identity = from == to;
  t->c.decode_kind = spaces[from].tf;
  t->c.encode_kind = spaces[to].tf;
  t->c.srgb_encode_break = pow(SRGB_A * SRGB_D + SRGB_B, SRGB_G);
  fast_pow_init(&t->c.dec, 2.4);
  fast_pow_init(&t->c.enc, 1.0 / 2.4);
  sr_adx_init(&t->c.adx_dec, spaces[from].tf == TF_ADX16);
  sr_adx_init(&t->c.adx_enc, spaces[to].tf == TF_ADX16);
  if (t->identity)
    return t;

  t->unit_matrix = same_primaries(from, to);
  if (t->unit_matrix) {
    for (int i = 0; i < 9; i++)
      t->m[i] = i % 4 == 0 ? 1.0 : 0.0;
  }

  lcms_log log = {{0}};
  cmsContext ctx = cmsCreateContext(NULL, &log);
  if (!ctx) {
    free(t);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory creating a LittleCMS context"));
    return NULL;
  }
  cmsSetLogErrorHandlerTHR(ctx, lcms_error_handler);
  bool ok = true;
  char why[300] = "";
  if (!t->unit_matrix) {
    /* One direction from LittleCMS, the other its exact inverse, so that a
     * round trip A → B → A is the identity up to float rounding. */
    double m[9];
    bool forward = from < to;
    ok = lcms_matrix(ctx, forward ? from : to, forward ? to : from, m);
    if (ok && forward)
      memcpy(t->m, m, sizeof m);
    else if (ok)
      ok = sr_invert3(m, t->m);
    if (!ok)
      snprintf(why, sizeof why, "%s",
               log.message[0] ? log.message : SR_("singular primaries matrix"));
  }
  if (ok)
    ok = verify_against_lcms(t, ctx, why, sizeof why);
  cmsDeleteContext(ctx);
  if (!ok) {
    sr_error_set(err, SR_ERR_BACKEND, SR_("colour conversion %s → %s could not be built: %s"),
                 spaces[from].label, spaces[to].label, why);
    free(t);
    return NULL;
  }
  return t;
}

sr_colour_transform *
sr_colour_transform_new_ocio(const sr_ocio_config *cfg, const char *from_ocio, sr_colourspace from,
                             const char *to_ocio, sr_colourspace to, sr_error *err)
{
  if (from_ocio)
    from = SR_CS_ACES2065_1;
  if (to_ocio)
    to = SR_CS_ACES2065_1;
  sr_colour_transform *t = sr_colour_transform_new(from, to, err);
  if (!t)
    return NULL;
  t->to_ocio = to_ocio != NULL;
  if (from_ocio && to_ocio) {
    /* OCIO to OCIO: one processor, no detour through ACES2065-1. */
    t->pre = sr_ocio_processor_new(cfg, from_ocio, to_ocio, err);
    if (!t->pre)
      goto fail;
    return t;
  }
  if (from_ocio && !(t->pre = sr_ocio_processor_new(cfg, from_ocio, SR_OCIO_INTERCHANGE_ROLE, err)))
    goto fail;
  if (to_ocio && !(t->post = sr_ocio_processor_new(cfg, SR_OCIO_INTERCHANGE_ROLE, to_ocio, err)))
    goto fail;
  return t;
fail:
  sr_colour_transform_free(t);
  return NULL;
}

void
sr_colour_transform_free(sr_colour_transform *t)
{
  if (!t)
    return;
  sr_ocio_processor_free(t->pre);
  sr_ocio_processor_free(t->post);
  free(t);
}

void
sr_colour_transform_apply(const sr_colour_transform *t, float *pixels, size_t n, int channels)
{
  if (!t || !pixels || (channels != 3 && channels != 4))
    return;
  sr_ocio_processor_apply(t->pre, pixels, n, channels);
  if (!t->identity)
    for (size_t i = 0; i < n; i++)
      convert_pixel(t, pixels + i * (size_t)channels);
  sr_ocio_processor_apply(t->post, pixels, n, channels);
}

void
sr_colour_transform_image(const sr_colour_transform *t, sr_image *img)
{
  if (!t || !img || img->channels == 1)
    return;
  sr_colour_transform_apply(t, img->pixels, (size_t)img->width * (size_t)img->height,
                            img->channels);
  /* An OCIO space's primaries are not known here: claim none. */
  img->has_chromaticities = !t->to_ocio;
  if (!t->to_ocio)
    sr_colourspace_chromaticities(t->to, img->chromaticities);
}
