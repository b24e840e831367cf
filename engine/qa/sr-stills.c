/* sr-stills.c — wipe and side-by-side composites (see sr-stills.h). */
#include "sr-stills.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sr-io.h"
#include "sr-i18n.h"

void
sr_still_options_init(sr_still_options *o, sr_colourspace space, int frame)
{
  memset(o, 0, sizeof *o);
  o->space = space;
  o->frame = frame;
  o->left_label = "Original";
  o->right_label = "Recovered";
  o->wipe = 0.5f;
  o->max_width = 0;
}

sr_image *
sr_still_display(const sr_image *img, sr_colourspace space, sr_error *err)
{
  sr_image *rgb = sr_image_convert_channels(img, 3, err);
  if (!rgb)
    return NULL;
  if (space != SR_CS_SRGB) {
    sr_colour_transform *t = sr_colour_transform_new(space, SR_CS_SRGB, err);
    if (!t) {
      sr_image_free(rgb);
      return NULL;
    }
    sr_colour_transform_image(t, rgb);
    sr_colour_transform_free(t);
  }
  size_t n = sr_image_n_floats(rgb);
  for (size_t i = 0; i < n; i++) {
    float v = rgb->pixels[i];
    rgb->pixels[i] = !(v > 0.0f) ? 0.0f : v > 1.0f ? 1.0f : v;
  }
  return rgb;
}

sr_image *
sr_still_downscale(const sr_image *img, int max_width, sr_error *err)
{
  if (max_width <= 0 || img->width <= max_width)
    return sr_image_copy(img, err);
  int ow = max_width;
  int oh = (int)lround((double)img->height * ow / img->width);
  if (oh < 1)
    oh = 1;
  sr_image *out = sr_image_new(ow, oh, img->channels, err);
  if (!out)
    return NULL;
  int c = img->channels;
  double sx = (double)img->width / ow, sy = (double)img->height / oh;
  for (int y = 0; y < oh; y++) {
    int y0 = (int)(y * sy), y1 = (int)((y + 1) * sy);
    if (y1 <= y0)
      y1 = y0 + 1;
    if (y1 > img->height)
      y1 = img->height;
    for (int x = 0; x < ow; x++) {
      int x0 = (int)(x * sx), x1 = (int)((x + 1) * sx);
      if (x1 <= x0)
        x1 = x0 + 1;
      if (x1 > img->width)
        x1 = img->width;
      float *dst = sr_image_row(out, y) + (size_t)x * c;
      for (int k = 0; k < c; k++) {
        double s = 0.0;
        for (int yy = y0; yy < y1; yy++) {
          const float *row = sr_image_row(img, yy);
          for (int xx = x0; xx < x1; xx++)
            s += row[(size_t)xx * c + k];
        }
        dst[k] = (float)(s / ((double)(y1 - y0) * (x1 - x0)));
      }
    }
  }
  return out;
}

static bool
same_size(const sr_image *a, const sr_image *b, sr_error *err)
{
  if (!a || !b) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("a still needs both the original and the recovered frame"));
    return false;
  }
  if (a->width != b->width || a->height != b->height) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("still: the original is %dx%d but the recovered frame is %dx%d; they must "
                     "match"),
                 a->width, a->height, b->width, b->height);
    return false;
  }
  return true;
}

static sr_image *
finish(sr_image *still, const sr_still_options *o, sr_error *err)
{
  if (!still || o->max_width <= 0 || still->width <= o->max_width)
    return still;
  sr_image *small = sr_still_downscale(still, o->max_width, err);
  sr_image_free(still);
  return small;
}

static void
frame_label(sr_image *img, const sr_still_options *o, int scale)
{
  if (o->frame < 0)
    return;
  char text[48];
  snprintf(text, sizeof text, "Frame %d", o->frame);
  int margin = 4 * scale;
  sr_font_draw_label(img, margin, img->height - margin - 11 * scale, text, scale);
}

sr_image *
sr_still_wipe(const sr_image *original, const sr_image *recovered, const sr_still_options *o,
              sr_error *err)
{
  if (!same_size(original, recovered, err))
    return NULL;
  sr_image *a = sr_still_display(original, o->space, err);
  sr_image *b = a ? sr_still_display(recovered, o->space, err) : NULL;
  if (!b) {
    sr_image_free(a);
    return NULL;
  }
  float wipe = isfinite(o->wipe) ? o->wipe : 0.5f;
  wipe = wipe < 0.0f ? 0.0f : wipe > 1.0f ? 1.0f : wipe;
  int split = (int)lroundf(wipe * (float)a->width);
  int scale = sr_font_scale_for(a->height);
  for (int y = 0; y < a->height; y++) {
    float *ra = sr_image_row(a, y);
    const float *rb = sr_image_row(b, y);
    if (split < a->width)
      memcpy(ra + (size_t)split * 3, rb + (size_t)split * 3,
             (size_t)(a->width - split) * 3 * sizeof(float));
    for (int x = split - scale / 2 - 1; x <= split + scale / 2; x++)
      if (x >= 0 && x < a->width)
        ra[(size_t)x * 3] = ra[(size_t)x * 3 + 1] = ra[(size_t)x * 3 + 2] = 1.0f;
  }
  sr_image_free(b);
  int margin = 4 * scale;
  const char *l = o->left_label ? o->left_label : "Original";
  const char *r = o->right_label ? o->right_label : "Recovered";
  sr_font_draw_label(a, margin, margin, l, scale);
  sr_font_draw_label(a, a->width - margin - sr_font_text_width(r, scale) - 4 * scale, margin, r,
                     scale);
  frame_label(a, o, scale);
  return finish(a, o, err);
}

sr_image *
sr_still_side_by_side(const sr_image *original, const sr_image *recovered,
                      const sr_still_options *o, sr_error *err)
{
  if (!same_size(original, recovered, err))
    return NULL;
  sr_image *a = sr_still_display(original, o->space, err);
  sr_image *b = a ? sr_still_display(recovered, o->space, err) : NULL;
  if (!b) {
    sr_image_free(a);
    return NULL;
  }
  int scale = sr_font_scale_for(a->height);
  int gap = 4 * scale;
  if ((long long)a->width * 2 + gap > SR_IMAGE_MAX_DIM) {
    sr_error_set(err, SR_ERR_INVALID, SR_("still: a side-by-side of %d px wide frames is too wide"),
                 a->width);
    sr_image_free(a);
    sr_image_free(b);
    return NULL;
  }
  sr_image *out = sr_image_new(a->width * 2 + gap, a->height, 3, err);
  if (!out) {
    sr_image_free(a);
    sr_image_free(b);
    return NULL;
  }
  for (size_t i = 0; i < sr_image_n_floats(out); i++)
    out->pixels[i] = 0.08f;
  sr_image_paste(out, a, 0, 0);
  sr_image_paste(out, b, a->width + gap, 0);
  int margin = 4 * scale;
  sr_font_draw_label(out, margin, margin, o->left_label ? o->left_label : "Original", scale);
  sr_font_draw_label(out, a->width + gap + margin, margin,
                     o->right_label ? o->right_label : "Recovered", scale);
  frame_label(out, o, scale);
  sr_image_free(a);
  sr_image_free(b);
  return finish(out, o, err);
}

bool
sr_still_write_png(const char *path, const sr_image *still, int bit_depth, sr_error *err)
{
  if (sr_format_from_path(path) != SR_FORMAT_PNG) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: stills are written as PNG; use a .png name"), path);
    return false;
  }
  sr_write_options wo;
  sr_write_options_init(&wo);
  wo.bit_depth = bit_depth == 8 ? 8 : 16;
  wo.write_alpha = still->channels == 4;
  return sr_image_write(path, still, &wo, err);
}
