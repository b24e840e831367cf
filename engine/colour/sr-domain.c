/* sr-domain.c — the input space ↔ training domain (Rec.709 / BT.1886). */
#include "sr-colour.h"
#include "sr-i18n.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sr_domain {
  sr_colourspace input;
  sr_colour_transform *forward; /* input → domain */
  sr_colour_transform *inverse; /* domain → input */
};

sr_domain *
sr_domain_new(sr_colourspace input, sr_error *err)
{
  sr_domain *d = calloc(1, sizeof *d);
  if (!d) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory creating the training domain"));
    return NULL;
  }
  d->input = input;
  d->forward = sr_colour_transform_new(input, SR_TRAINING_DOMAIN, err);
  d->inverse = d->forward ? sr_colour_transform_new(SR_TRAINING_DOMAIN, input, err) : NULL;
  if (!d->inverse) {
    sr_domain_free(d);
    return NULL;
  }
  return d;
}

sr_domain *
sr_domain_new_ocio(const sr_ocio_config *cfg, const char *space, sr_error *err)
{
  sr_domain *d = calloc(1, sizeof *d);
  if (!d) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory creating the training domain"));
    return NULL;
  }
  /* The OCIO space reaches the domain through ACES2065-1. */
  d->input = SR_CS_ACES2065_1;
  d->forward =
      sr_colour_transform_new_ocio(cfg, space, SR_CS_ACES2065_1, NULL, SR_TRAINING_DOMAIN, err);
  d->inverse = d->forward ? sr_colour_transform_new_ocio(cfg, NULL, SR_TRAINING_DOMAIN, space,
                                                         SR_CS_ACES2065_1, err)
                          : NULL;
  if (!d->inverse) {
    sr_domain_free(d);
    return NULL;
  }
  return d;
}

void
sr_domain_free(sr_domain *d)
{
  if (!d)
    return;
  sr_colour_transform_free(d->forward);
  sr_colour_transform_free(d->inverse);
  free(d);
}

sr_colourspace
sr_domain_input_space(const sr_domain *d)
{
  return d->input;
}

void
sr_domain_forward(const sr_domain *d, float *pixels, size_t n, int channels)
{
  sr_colour_transform_apply(d->forward, pixels, n, channels);
}

void
sr_domain_inverse(const sr_domain *d, float *pixels, size_t n, int channels)
{
  sr_colour_transform_apply(d->inverse, pixels, n, channels);
}

/* Per pixel, in the input space: out = original + inverse(result) − inverse(input).
 * Only the network's change travels through the conversion, so unclipped
 * pixels the network left alone come back bit for bit and pixels that were
 * clipped on the way in (highlights, out-of-gamut colours) are kept as they
 * were, since the network never saw their real value. */
void
sr_domain_merge(const sr_domain *d, const float *original, const float *input, const float *result,
                float *out, size_t n, int channels)
{
  enum { BLOCK = 256 };
  float fwd[BLOCK * 3], res[BLOCK * 3], inp[BLOCK * 3];
  size_t ch = (size_t)channels;
  if (channels != 3 && channels != 4) {
    /* Nothing the network can change: hand the original back. */
    memmove(out, original, sizeof(float) * n * ch);
    return;
  }
  for (size_t start = 0; start < n; start += BLOCK) {
    size_t m = n - start < BLOCK ? n - start : BLOCK;
    for (size_t i = 0; i < m; i++)
      for (int c = 0; c < 3; c++) {
        size_t k = (start + i) * ch + (size_t)c;
        fwd[i * 3 + c] = original[k];
        res[i * 3 + c] = result[k];
        inp[i * 3 + c] = input[k];
      }
    sr_colour_transform_apply(d->forward, fwd, m, 3);
    sr_colour_transform_apply(d->inverse, res, m, 3);
    sr_colour_transform_apply(d->inverse, inp, m, 3);
    for (size_t i = 0; i < m; i++) {
      const float *f = fwd + i * 3;
      bool clipped = false;
      for (int c = 0; c < 3; c++)
        if (!(f[c] >= 0.0f && f[c] <= 1.0f))
          clipped = true;
      size_t base = (start + i) * ch;
      for (int c = 0; c < 3; c++) {
        float o = original[base + (size_t)c];
        float delta = res[i * 3 + c] - inp[i * 3 + c];
        /* delta == 0 keeps o itself (also its sign when o is -0). */
        out[base + (size_t)c] = clipped || delta == 0.0f ? o : o + delta;
      }
      if (channels == 4)
        out[base + 3] = original[base + 3];
    }
  }
}
