/* sr-pairs.c — the Stage 3 pair build, the matching Source preparation for
 * inference, and the merge of the network's ΔY back into the Source frame. */
#include "sr-pairs.h"
#include "sr-i18n.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *
sr_prefilter_id(sr_prefilter p)
{
  switch (p) {
  case SR_PREFILTER_MEDIAN3: return "median3";
  case SR_PREFILTER_MEDIAN5: return "median5";
  case SR_PREFILTER_NONE:
  default: return "none";
  }
}

bool
sr_prefilter_from_id(const char *name, sr_prefilter *out)
{
  static const struct {
    const char *name;
    sr_prefilter p;
  } names[] = {
      {"none", SR_PREFILTER_NONE},        {"off", SR_PREFILTER_NONE},
      {"median3", SR_PREFILTER_MEDIAN3},  {"median-3", SR_PREFILTER_MEDIAN3},
      {"median_3", SR_PREFILTER_MEDIAN3}, {"3", SR_PREFILTER_MEDIAN3},
      {"median5", SR_PREFILTER_MEDIAN5},  {"median-5", SR_PREFILTER_MEDIAN5},
      {"median_5", SR_PREFILTER_MEDIAN5}, {"5", SR_PREFILTER_MEDIAN5},
  };
  if (!name)
    return false;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(name, names[i].name) == 0) {
      if (out)
        *out = names[i].p;
      return true;
    }
  return false;
}

void
sr_prep_settings_init(sr_prep_settings *s)
{
  memset(s, 0, sizeof *s);
  s->source_space = SR_TRAINING_DOMAIN;
  s->reference_space = SR_TRAINING_DOMAIN;
  s->crop = (sr_rect){0, 0, 0, 0};
  s->prefilter = SR_PREFILTER_NONE;
  s->matrix = SR_YCBCR_BT709;
}

sr_domain *
sr_prep_domain_new(const sr_prep_settings *s, bool source, sr_error *err)
{
  const char *name = source ? s->source_ocio : s->reference_ocio;
  if (!name[0])
    return sr_domain_new(source ? s->source_space : s->reference_space, err);
  if (!s->ocio_config[0]) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("the %s is declared in OpenColorIO space '%s' but no config is set; choose "
                     "the config in the Project stage"),
                 source ? SR_("Source") : SR_("Reference"), name);
    return NULL;
  }
  sr_ocio_config *cfg = sr_ocio_config_open(s->ocio_config, err);
  sr_domain *d = cfg ? sr_domain_new_ocio(cfg, name, err) : NULL;
  sr_ocio_config_free(cfg);
  return d;
}

void
sr_prep_space_label(const sr_prep_settings *s, bool source, char *buf, size_t cap)
{
  const char *name = source ? s->source_ocio : s->reference_ocio;
  if (name[0])
    snprintf(buf, cap, "%s (OCIO)", name);
  else
    snprintf(buf, cap, "%s", sr_colourspace_label(source ? s->source_space : s->reference_space));
}

sr_rect
sr_prep_effective_crop(const sr_prep_settings *s, int width, int height)
{
  if (!s || s->crop.w == 0)
    return (sr_rect){0, 0, width, height};
  return s->crop;
}

static bool
check_crop(sr_rect crop, const sr_image *img, const char *what, sr_error *err)
{
  if (sr_rect_inside(crop, img->width, img->height))
    return true;
  sr_error_set(err, SR_ERR_INVALID,
               SR_("crop %d,%d %dx%d does not fit inside the %s frame (%dx%d); choose a crop "
                   "rectangle inside the picture"),
               crop.x, crop.y, crop.w, crop.h, what, img->width, img->height);
  return false;
}

static bool
check_image(const sr_image *img, const char *what, sr_error *err)
{
  if (!img || !img->pixels) {
    sr_error_set(err, SR_ERR_INVALID, SR_("no %s frame was given"), what);
    return false;
  }
  return sr_image_check_size(img->width, img->height, img->channels, what, err);
}

static size_t
count_nonfinite_in(const sr_image *img, sr_rect r)
{
  size_t bad = 0, ch = (size_t)img->channels;
  for (int y = r.y; y < r.y + r.h; y++) {
    const float *row = sr_image_row(img, y) + (size_t)r.x * ch;
    for (size_t i = 0; i < (size_t)r.w * ch; i++)
      if (!isfinite(row[i]))
        bad++;
  }
  return bad;
}

static void
clamp01(float *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    p[i] = p[i] < 0.0f ? 0.0f : p[i] > 1.0f ? 1.0f : p[i];
}

/* Crop → RGB(A) → training domain → optional median → clamp → RGB. Cropping
 * first gives the same values as converting the whole frame first (the
 * conversion is per pixel) for a fraction of the work. */
static sr_image *
prep_stream(const sr_image *img, const sr_domain *domain, sr_rect crop, sr_prefilter prefilter,
            sr_error *err)
{
  sr_image *cut = sr_image_crop(img, crop, err);
  if (!cut)
    return NULL;
  if (cut->channels == 1) {
    sr_image *rgb = sr_image_convert_channels(cut, 3, err);
    sr_image_free(cut);
    if (!rgb)
      return NULL;
    cut = rgb;
  }
  sr_domain_forward(domain, cut->pixels, (size_t)cut->width * (size_t)cut->height, cut->channels);
  if (prefilter == SR_PREFILTER_MEDIAN3 || prefilter == SR_PREFILTER_MEDIAN5) {
    sr_image *filtered = sr_median_filter(cut, (int)prefilter, err);
    sr_image_free(cut);
    if (!filtered)
      return NULL;
    cut = filtered;
  }
  clamp01(cut->pixels, sr_image_n_floats(cut));
  if (cut->channels == 4) {
    sr_image *rgb = sr_image_convert_channels(cut, 3, err);
    sr_image_free(cut);
    if (!rgb)
      return NULL;
    cut = rgb;
  }
  cut->has_chromaticities = true;
  sr_colourspace_chromaticities(SR_TRAINING_DOMAIN, cut->chromaticities);
  return cut;
}

static bool
check_prefilter(sr_prefilter p, sr_error *err)
{
  if (p == SR_PREFILTER_NONE || p == SR_PREFILTER_MEDIAN3 || p == SR_PREFILTER_MEDIAN5)
    return true;
  sr_error_set(err, SR_ERR_INVALID,
               SR_("Source pre-filter %d is not one of none, median3, median5"), (int)p);
  return false;
}

bool
sr_pair_build(const sr_image *source, const sr_image *reference, const sr_prep_settings *s,
              sr_pair *out, sr_error *err)
{
  if (!out || !s) {
    sr_error_set(err, SR_ERR_INVALID, SR_("pair build: missing settings or output"));
    return false;
  }
  memset(out, 0, sizeof *out);
  if (!check_image(source, SR_("Source"), err) || !check_image(reference, SR_("Reference"), err) ||
      !check_prefilter(s->prefilter, err))
    return false;
  if (source->width != reference->width || source->height != reference->height) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("the Source frame is %dx%d but the Reference frame is %dx%d; conform both "
                     "sequences to the same size before building pairs"),
                 source->width, source->height, reference->width, reference->height);
    return false;
  }
  size_t bad_s = sr_image_count_nonfinite(source), bad_r = sr_image_count_nonfinite(reference);
  if (bad_s || bad_r) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("the frames hold values that are not numbers (NaN or infinite): %zu in the "
                     "Source, %zu in the Reference; fix the scans or pick another pair"),
                 bad_s, bad_r);
    return false;
  }
  sr_rect crop = sr_prep_effective_crop(s, source->width, source->height);
  if (!check_crop(crop, source, SR_("Source"), err) ||
      !check_crop(crop, reference, SR_("Reference"), err))
    return false;

  sr_domain *dom_s = sr_prep_domain_new(s, true, err);
  sr_domain *dom_r = dom_s ? sr_prep_domain_new(s, false, err) : NULL;
  sr_image *in = dom_r ? prep_stream(source, dom_s, crop, s->prefilter, err) : NULL;
  /* Never filter the Reference: its detail is what the network learns. */
  sr_image *gt = in ? prep_stream(reference, dom_r, crop, SR_PREFILTER_NONE, err) : NULL;
  sr_domain_free(dom_s);
  sr_domain_free(dom_r);
  if (!gt) {
    sr_image_free(in);
    return false;
  }

  /* Both carry the Reference's windows: the crop of its data window. */
  sr_rect dw = {reference->data_window.x + crop.x, reference->data_window.y + crop.y, crop.w,
                crop.h};
  in->data_window = gt->data_window = dw;
  in->display_window = gt->display_window = reference->display_window;

  /* Ground truth = Source + (Y_ref − Y_src)·(1,1,1): Reference luma, Source
   * chroma. Where that would leave [0,1] the step is shortened so the pixel
   * just reaches the bound: still the same Δ on all three channels, so the
   * chroma stays the Source's and the pair stays in range. */
  sr_ycbcr_coeffs k = sr_ycbcr_coefficients(s->matrix);
  size_t n = (size_t)in->width * (size_t)in->height;
  for (size_t i = 0; i < n; i++) {
    const float *src = in->pixels + i * 3;
    float *g = gt->pixels + i * 3;
    double ys = (double)k.kr * src[0] + (double)k.kg * src[1] + (double)k.kb * src[2];
    double yr = (double)k.kr * g[0] + (double)k.kg * g[1] + (double)k.kb * g[2];
    float d = (float)(yr - ys);
    float lo = -fminf(src[0], fminf(src[1], src[2]));
    float hi = 1.0f - fmaxf(src[0], fmaxf(src[1], src[2]));
    d = d < lo ? lo : d > hi ? hi : d;
    for (int c = 0; c < 3; c++) {
      float v = src[c] + d;
      g[c] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    }
  }
  out->input = in;
  out->ground_truth = gt;
  return true;
}

void
sr_pair_clear(sr_pair *p)
{
  if (!p)
    return;
  sr_image_free(p->input);
  sr_image_free(p->ground_truth);
  p->input = p->ground_truth = NULL;
}

static sr_image *
prep_source_with(const sr_image *source, const sr_domain *dom, const sr_prep_settings *s,
                 sr_error *err)
{
  if (!check_image(source, SR_("Source"), err) || !check_prefilter(s->prefilter, err))
    return NULL;
  sr_rect crop = sr_prep_effective_crop(s, source->width, source->height);
  if (!check_crop(crop, source, SR_("Source"), err))
    return NULL;
  size_t bad = count_nonfinite_in(source, crop);
  if (bad) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("the Source frame holds %zu values that are not numbers (NaN or infinite) "
                     "inside the crop; fix the scan before rendering it"),
                 bad);
    return NULL;
  }
  return prep_stream(source, dom, crop, s->prefilter, err);
}

sr_image *
sr_prep_source(const sr_image *source, const sr_prep_settings *s, sr_error *err)
{
  if (!s) {
    sr_error_set(err, SR_ERR_INVALID, SR_("Source preparation: no settings"));
    return NULL;
  }
  sr_domain *owned = s->source_domain ? NULL : sr_prep_domain_new(s, true, err);
  const sr_domain *dom = s->source_domain ? s->source_domain : owned;
  if (!dom)
    return NULL;
  sr_image *img = prep_source_with(source, dom, s, err);
  sr_domain_free(owned);
  return img;
}

sr_image *
sr_merge_recovered(const sr_image *source, const sr_image *dy, const sr_prep_settings *s,
                   sr_error *err)
{
  if (!s || !dy || !dy->pixels) {
    sr_error_set(err, SR_ERR_INVALID, SR_("merge: missing settings or ΔY image"));
    return NULL;
  }
  if (!check_image(source, SR_("Source"), err))
    return NULL;
  sr_rect crop = sr_prep_effective_crop(s, source->width, source->height);
  if (dy->channels != 1 || dy->width != crop.w || dy->height != crop.h) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("the network's ΔY is %dx%d with %d channels but the crop is %dx%d; expected "
                     "one channel of the crop's size"),
                 dy->width, dy->height, dy->channels, crop.w, crop.h);
    return NULL;
  }
  size_t bad = sr_image_count_nonfinite(dy);
  if (bad) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("the network produced %zu values that are not numbers (NaN or infinite); the "
                     "model is unusable for this frame"),
                 bad);
    return NULL;
  }
  sr_domain *owned = s->source_domain ? NULL : sr_prep_domain_new(s, true, err);
  const sr_domain *dom = s->source_domain ? s->source_domain : owned;
  if (!dom)
    return NULL;
  sr_image *input = prep_source_with(source, dom, s, err);
  sr_image *out = NULL;
  if (input)
    out = source->channels == 1 ? sr_image_convert_channels(source, 3, err)
                                : sr_image_copy(source, err);
  int ch = out ? out->channels : 3;
  float *in_row = out ? malloc(sizeof(float) * (size_t)crop.w * (size_t)ch) : NULL;
  float *res_row = in_row ? malloc(sizeof(float) * (size_t)crop.w * (size_t)ch) : NULL;
  if (out && !res_row) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory merging a %dx%d crop"), crop.w, crop.h);
    sr_image_free(out);
    out = NULL;
  }
  if (out) {
    for (int y = 0; y < crop.h; y++) {
      float *orig = sr_image_row(out, crop.y + y) + (size_t)crop.x * (size_t)ch;
      const float *net_in = sr_image_row(input, y);
      const float *d = sr_image_row(dy, y);
      for (int x = 0; x < crop.w; x++) {
        float *ip = in_row + (size_t)x * ch, *rp = res_row + (size_t)x * ch;
        const float *v = net_in + (size_t)x * 3;
        /* The same rule as the ground truth (sr_build_pair): where Source + ΔY
         * would leave [0,1], the step is shortened equally on R, G and B, so
         * chroma stays the Source's exactly; clamping each channel on its own
         * would tint near-white and near-black pixels. */
        float lo = fminf(v[0], fminf(v[1], v[2])), hi = fmaxf(v[0], fmaxf(v[1], v[2]));
        float step = d[x] > 0.0f ? fminf(d[x], 1.0f - hi) : fmaxf(d[x], -lo);
        for (int c = 0; c < 3; c++) {
          float r = v[c] + step;
          ip[c] = v[c];
          /* Keep the exact value where ΔY is zero so an identity network is
           * exact; the clamp only absorbs rounding of the shortened step. */
          rp[c] = d[x] == 0.0f ? v[c] : r < 0.0f ? 0.0f : r > 1.0f ? 1.0f : r;
        }
        if (ch == 4)
          ip[3] = rp[3] = orig[(size_t)x * 4 + 3];
      }
      sr_domain_merge(dom, orig, in_row, res_row, orig, (size_t)crop.w, ch);
    }
  }
  free(in_row);
  free(res_row);
  sr_image_free(input);
  sr_domain_free(owned);
  return out;
}
