/* sr-ycbcr.c — YCbCr with Cb/Cr centred on 0.
 *
 * Because kr + kg + kb = 1, adding the same Δ to R, G and B adds Δ to Y and
 * leaves Cb and Cr unchanged; the pair build and the merge rely on it.
 * Arithmetic is in double so that this holds to float rounding.
 */
#include "sr-colour.h"

#include <string.h>

typedef struct coeffs_d {
  double kr, kg, kb;
} coeffs_d;

static coeffs_d
coeffs(sr_ycbcr_matrix m)
{
  /* ITU-R BT.709 and BT.601 luma weights; kg = 1 - kr - kb exactly. */
  if (m == SR_YCBCR_BT601)
    return (coeffs_d){0.299, 1.0 - 0.299 - 0.114, 0.114};
  return (coeffs_d){0.2126, 1.0 - 0.2126 - 0.0722, 0.0722};
}

sr_ycbcr_coeffs
sr_ycbcr_coefficients(sr_ycbcr_matrix m)
{
  coeffs_d c = coeffs(m);
  return (sr_ycbcr_coeffs){(float)c.kr, (float)c.kg, (float)c.kb};
}

const char *
sr_ycbcr_matrix_id(sr_ycbcr_matrix m)
{
  return m == SR_YCBCR_BT601 ? "bt601" : "bt709";
}

bool
sr_ycbcr_matrix_from_id(const char *name, sr_ycbcr_matrix *out)
{
  if (!name)
    return false;
  char key[32];
  size_t n = 0;
  for (const char *p = name; *p && n + 1 < sizeof key; p++) {
    char c = *p;
    if (c >= 'A' && c <= 'Z')
      key[n++] = (char)(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
      key[n++] = c;
  }
  key[n] = '\0';
  static const char *const bt709[] = {"bt709", "709", "rec709", "itur709", "itubt709"};
  static const char *const bt601[] = {"bt601", "601", "rec601", "itur601", "itubt601", "smpte170m"};
  for (size_t i = 0; i < sizeof bt709 / sizeof bt709[0]; i++)
    if (strcmp(key, bt709[i]) == 0) {
      if (out)
        *out = SR_YCBCR_BT709;
      return true;
    }
  for (size_t i = 0; i < sizeof bt601 / sizeof bt601[0]; i++)
    if (strcmp(key, bt601[i]) == 0) {
      if (out)
        *out = SR_YCBCR_BT601;
      return true;
    }
  return false;
}

void
sr_rgb_to_ycbcr(sr_ycbcr_matrix m, const float *rgb, float *ycbcr, size_t n, int channels)
{
  coeffs_d c = coeffs(m);
  double sb = 1.0 / (2.0 * (1.0 - c.kb)), sr = 1.0 / (2.0 * (1.0 - c.kr));
  for (size_t i = 0; i < n; i++) {
    const float *p = rgb + i * (size_t)channels;
    double r = p[0], g = p[1], b = p[2];
    double y = c.kr * r + c.kg * g + c.kb * b;
    float *o = ycbcr + i * 3;
    o[0] = (float)y;
    o[1] = (float)((b - y) * sb);
    o[2] = (float)((r - y) * sr);
  }
}

void
sr_ycbcr_to_rgb(sr_ycbcr_matrix m, const float *ycbcr, float *rgb, size_t n, int channels)
{
  coeffs_d c = coeffs(m);
  for (size_t i = 0; i < n; i++) {
    const float *p = ycbcr + i * 3;
    double y = p[0], cb = p[1], cr = p[2];
    double r = y + 2.0 * (1.0 - c.kr) * cr;
    double b = y + 2.0 * (1.0 - c.kb) * cb;
    double g = (y - c.kr * r - c.kb * b) / c.kg;
    float *o = rgb + i * (size_t)channels;
    o[0] = (float)r;
    o[1] = (float)g;
    o[2] = (float)b;
  }
}

void
sr_luma_plane(const sr_image *img, sr_ycbcr_coeffs c, float *out)
{
  size_t n = (size_t)img->width * (size_t)img->height;
  for (size_t i = 0; i < n; i++) {
    const float *p = img->pixels + i * (size_t)img->channels;
    out[i] = img->channels >= 3 ? sr_luma(c, p[0], p[1], p[2]) : p[0];
  }
}
