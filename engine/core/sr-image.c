#include "sr-image.h"
#include "sr-i18n.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool
sr_image_check_size(int width, int height, int channels, const char *what, sr_error *err)
{
  if (width <= 0 || height <= 0) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: empty image size %dx%d"), what, width, height);
    return false;
  }
  /* Name the limit that was hit: a 20000x20000 frame is within the side
   * limit but over the pixel count. */
  if (width > SR_IMAGE_MAX_DIM || height > SR_IMAGE_MAX_DIM) {
    sr_error_set(err, SR_ERR_NOMEM,
                 SR_("%s: image size %dx%d is larger than the supported %d px a side"), what, width,
                 height, SR_IMAGE_MAX_DIM);
    return false;
  }
  if ((long long)width * height > SR_IMAGE_MAX_PIXELS) {
    sr_error_set(err, SR_ERR_NOMEM,
                 SR_("%s: image size %dx%d is %lld px, more than the supported %lld px in all"),
                 what, width, height, (long long)width * height, (long long)SR_IMAGE_MAX_PIXELS);
    return false;
  }
  if (channels != 1 && channels != 3 && channels != 4) {
    sr_error_set(err, SR_ERR_UNSUPPORTED, SR_("%s: %d channels (expected 1, 3 or 4)"), what,
                 channels);
    return false;
  }
  return true;
}

sr_image *
sr_image_new(int width, int height, int channels, sr_error *err)
{
  if (!sr_image_check_size(width, height, channels, SR_("image"), err))
    return NULL;
  sr_image *img = calloc(1, sizeof *img);
  if (!img) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory allocating an image"));
    return NULL;
  }
  size_t n = (size_t)width * (size_t)height * (size_t)channels;
  img->pixels = calloc(n, sizeof(float));
  if (!img->pixels) {
    free(img);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory allocating a %dx%d image"), width, height);
    return NULL;
  }
  img->width = width;
  img->height = height;
  img->channels = channels;
  img->data_window = (sr_rect){0, 0, width, height};
  img->display_window = img->data_window;
  return img;
}

static void
free_attributes(sr_image *img)
{
  for (int i = 0; i < img->n_attributes; i++) {
    free(img->attributes[i].key);
    free(img->attributes[i].value);
  }
  free(img->attributes);
  img->attributes = NULL;
  img->n_attributes = 0;
}

void
sr_image_free(sr_image *img)
{
  if (!img)
    return;
  free_attributes(img);
  free(img->pixels);
  free(img);
}

bool
sr_image_set_attribute(sr_image *img, const char *key, const char *value, sr_error *err)
{
  for (int i = 0; i < img->n_attributes; i++) {
    if (strcmp(img->attributes[i].key, key) == 0) {
      char *v = strdup(value);
      if (!v)
        goto nomem;
      free(img->attributes[i].value);
      img->attributes[i].value = v;
      return true;
    }
  }
  sr_attribute *grown = realloc(img->attributes, sizeof *grown * (size_t)(img->n_attributes + 1));
  if (!grown)
    goto nomem;
  img->attributes = grown;
  char *k = strdup(key), *v = strdup(value);
  if (!k || !v) {
    free(k);
    free(v);
    goto nomem;
  }
  img->attributes[img->n_attributes++] = (sr_attribute){k, v};
  return true;
nomem:
  sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory storing attribute %s"), key);
  return false;
}

/* One attribute of a batch with its place in the batch. */
typedef struct placed_attribute {
  const char *key, *value;
  int index;
} placed_attribute;

static int
cmp_placed_key(const void *a, const void *b)
{
  const placed_attribute *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int
cmp_placed_index(const void *a, const void *b)
{
  const placed_attribute *x = a, *y = b;
  return (x->index > y->index) - (x->index < y->index);
}

bool
sr_image_set_attributes(sr_image *img, const sr_attribute *attrs, int n, sr_error *err)
{
  /* Sorting by key finds repeats in n·log n; setting one at a time would
   * compare every pair of keys, and a file may carry 50,000 attributes. */
  int total = img->n_attributes + n;
  placed_attribute *all = malloc((size_t)(total > 0 ? total : 1) * sizeof *all);
  sr_attribute *merged = malloc((size_t)(total > 0 ? total : 1) * sizeof *merged);
  if (!all || !merged) {
    free(all);
    free(merged);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory storing %d attributes"), n);
    return false;
  }
  for (int i = 0; i < img->n_attributes; i++)
    all[i] = (placed_attribute){img->attributes[i].key, img->attributes[i].value, i};
  for (int i = 0; i < n; i++)
    all[img->n_attributes + i] =
        (placed_attribute){attrs[i].key, attrs[i].value, img->n_attributes + i};
  qsort(all, (size_t)total, sizeof *all, cmp_placed_key);
  /* Each key keeps its first place and its last value, as sr_image_set_attribute would. */
  int kept = 0;
  for (int i = 0; i < total;) {
    int j = i;
    while (j + 1 < total && strcmp(all[j + 1].key, all[i].key) == 0)
      j++;
    all[kept++] = (placed_attribute){all[i].key, all[j].value, all[i].index};
    i = j + 1;
  }
  qsort(all, (size_t)kept, sizeof *all, cmp_placed_index);
  bool ok = true;
  for (int i = 0; i < kept; i++) {
    merged[i].key = strdup(all[i].key);
    merged[i].value = strdup(all[i].value ? all[i].value : "");
    if (!merged[i].key || !merged[i].value) {
      for (int k = 0; k <= i; k++) {
        free(merged[k].key);
        free(merged[k].value);
      }
      ok = false;
      break;
    }
  }
  free(all);
  if (!ok) {
    free(merged);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory storing %d attributes"), n);
    return false;
  }
  free_attributes(img);
  img->attributes = merged;
  img->n_attributes = kept;
  return true;
}

const char *
sr_image_get_attribute(const sr_image *img, const char *key)
{
  for (int i = 0; i < img->n_attributes; i++)
    if (strcmp(img->attributes[i].key, key) == 0)
      return img->attributes[i].value;
  return NULL;
}

bool
sr_image_copy_metadata(sr_image *dst, const sr_image *src, sr_error *err)
{
  dst->display_window = src->display_window;
  dst->data_window.x = src->data_window.x;
  dst->data_window.y = src->data_window.y;
  dst->has_chromaticities = src->has_chromaticities;
  memcpy(dst->chromaticities, src->chromaticities, sizeof dst->chromaticities);
  if (dst == src)
    return true;
  free_attributes(dst);
  return sr_image_set_attributes(dst, src->attributes, src->n_attributes, err);
}

sr_image *
sr_image_copy(const sr_image *img, sr_error *err)
{
  sr_image *out = sr_image_new(img->width, img->height, img->channels, err);
  if (!out)
    return NULL;
  memcpy(out->pixels, img->pixels, sr_image_n_floats(img) * sizeof(float));
  if (!sr_image_copy_metadata(out, img, err)) {
    sr_image_free(out);
    return NULL;
  }
  out->data_window = img->data_window;
  return out;
}

sr_image *
sr_image_crop(const sr_image *img, sr_rect r, sr_error *err)
{
  if (!sr_rect_inside(r, img->width, img->height)) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("crop %d,%d %dx%d lies outside the %dx%d frame; choose a rectangle inside "
                     "the picture"),
                 r.x, r.y, r.w, r.h, img->width, img->height);
    return NULL;
  }
  sr_image *out = sr_image_new(r.w, r.h, img->channels, err);
  if (!out)
    return NULL;
  size_t row = (size_t)r.w * (size_t)img->channels * sizeof(float);
  for (int y = 0; y < r.h; y++)
    memcpy(sr_image_row(out, y), sr_image_row(img, r.y + y) + (size_t)r.x * img->channels, row);
  if (!sr_image_copy_metadata(out, img, err)) {
    sr_image_free(out);
    return NULL;
  }
  out->data_window = (sr_rect){img->data_window.x + r.x, img->data_window.y + r.y, r.w, r.h};
  return out;
}

sr_image *
sr_image_convert_channels(const sr_image *img, int channels, sr_error *err)
{
  sr_image *out = sr_image_new(img->width, img->height, channels, err);
  if (!out)
    return NULL;
  if (!sr_image_copy_metadata(out, img, err)) {
    sr_image_free(out);
    return NULL;
  }
  out->data_window = img->data_window;
  size_t n = (size_t)img->width * (size_t)img->height;
  int ci = img->channels;
  for (size_t i = 0; i < n; i++) {
    const float *s = img->pixels + i * ci;
    float *d = out->pixels + i * channels;
    float r = s[0], g = ci >= 3 ? s[1] : s[0], b = ci >= 3 ? s[2] : s[0];
    float a = ci == 4 ? s[3] : 1.0f;
    if (channels == 1) {
      d[0] = ci == 1 ? r : 0.2126f * r + 0.7152f * g + 0.0722f * b;
    } else {
      d[0] = r;
      d[1] = g;
      d[2] = b;
      if (channels == 4)
        d[3] = a;
    }
  }
  return out;
}

void
sr_image_paste(sr_image *dst, const sr_image *src, int x, int y)
{
  if (dst->channels != src->channels)
    return;
  int x0 = x < 0 ? -x : 0, y0 = y < 0 ? -y : 0;
  int x1 = src->width, y1 = src->height;
  if (x + x1 > dst->width)
    x1 = dst->width - x;
  if (y + y1 > dst->height)
    y1 = dst->height - y;
  if (x1 <= x0 || y1 <= y0)
    return;
  size_t row = (size_t)(x1 - x0) * (size_t)src->channels * sizeof(float);
  for (int yy = y0; yy < y1; yy++)
    memcpy(sr_image_row(dst, y + yy) + (size_t)(x + x0) * dst->channels,
           sr_image_row(src, yy) + (size_t)x0 * src->channels, row);
}

size_t
sr_image_count_nonfinite(const sr_image *img)
{
  size_t n = sr_image_n_floats(img), bad = 0;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(img->pixels[i]))
      bad++;
  return bad;
}
