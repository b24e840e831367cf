/* sr-infer.c — whole-frame and tiled inference, the Stage 4 chain for one
 * frame, and opening a model for rendering (see sr-infer.h). */
#include "sr-infer.h"
#include "sr-i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
sr_infer_options_init(sr_infer_options *o)
{
  o->tile = 0;
  o->overlap = 0;
}

static int
round_up(int v, int m)
{
  return (v + m - 1) / m * m;
}

/* Mirror index without repeating the edge pixel (…2 1 0 1 2…). */
static int
reflect(int i, int n)
{
  if (n == 1)
    return 0;
  int period = 2 * (n - 1);
  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - i;
}

/* Copies the w×h window at (x0,y0) of the reflect-extended input into dst. */
static void
gather(const sr_image *in, int x0, int y0, int w, int h, float *dst)
{
  for (int y = 0; y < h; y++) {
    const float *row = sr_image_row(in, reflect(y0 + y, in->height));
    float *o = dst + (size_t)y * (size_t)w * 3;
    for (int x = 0; x < w; x++) {
      const float *p = row + (size_t)reflect(x0 + x, in->width) * 3;
      o[3 * x] = p[0];
      o[3 * x + 1] = p[1];
      o[3 * x + 2] = p[2];
    }
  }
}

sr_image *
sr_infer_delta(sr_unet *net, const sr_image *input, const sr_infer_options *opts, sr_error *err)
{
  if (input->channels != 3) {
    sr_error_set(err, SR_ERR_INVALID, SR_("the network input must be RGB (it has %d channels)"),
                 input->channels);
    return NULL;
  }
  sr_infer_options o;
  if (opts)
    o = *opts;
  else
    sr_infer_options_init(&o);
  sr_unet_size size = sr_unet_get_size(net);
  int mult = sr_unet_size_multiple(size);
  int wp = round_up(input->width, mult), hp = round_up(input->height, mult);
  int tile = o.tile;
  if (tile == 0)
    tile = (long long)wp * hp <= SR_INFER_WHOLE_MAX_PIXELS ? -1 : 512;
  int overlap = o.overlap > 0 ? o.overlap : sr_unet_receptive_radius(size);
  overlap = round_up(overlap, mult);
  /* Work window: the whole padded frame, or one tile plus its margins. */
  int ww = wp, wh = hp;
  if (tile > 0) {
    tile = round_up(tile, mult);
    if (tile + 2 * overlap < ww)
      ww = tile + 2 * overlap;
    if (tile + 2 * overlap < wh)
      wh = tile + 2 * overlap;
  } else {
    tile = wp > hp ? wp : hp;
  }
  sr_image *dy = sr_image_new(input->width, input->height, 1, err);
  if (!dy)
    return NULL;
  dy->data_window = input->data_window;
  dy->display_window = input->display_window;
  sr_unet_workspace *ws = sr_unet_workspace_new(net, 1, wh, ww, false, err);
  float *src = malloc((size_t)ww * (size_t)wh * 3 * sizeof *src);
  float *out = malloc((size_t)ww * (size_t)wh * sizeof *out);
  if (!ws || !src || !out) {
    if (ws)
      sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory for a %d×%d inference window"), ww, wh);
    goto fail;
  }
  for (int ty = 0; ty < input->height; ty += tile) {
    for (int tx = 0; tx < input->width; tx += tile) {
      /* Window origin: margin before the tile, kept inside the padded frame
       * (both are multiples of mult, so the network's grid stays aligned). */
      int ex = tx - overlap, ey = ty - overlap;
      if (ex > wp - ww)
        ex = wp - ww;
      if (ey > hp - wh)
        ey = hp - wh;
      if (ex < 0)
        ex = 0;
      if (ey < 0)
        ey = 0;
      gather(input, ex, ey, ww, wh, src);
      if (!sr_unet_infer_host(net, ws, src, out, err))
        goto fail;
      int x1 = tx + tile < input->width ? tx + tile : input->width;
      int y1 = ty + tile < input->height ? ty + tile : input->height;
      for (int y = ty; y < y1; y++)
        memcpy(sr_image_row(dy, y) + tx, out + (size_t)(y - ey) * (size_t)ww + (size_t)(tx - ex),
               (size_t)(x1 - tx) * sizeof *out);
    }
  }
  /* The linear branch over the whole frame at once: its 9×9 support then
   * never meets a tile edge, and whole and tiled runs agree exactly. */
  const sr_linear *lin = sr_unet_get_linear(net);
  if (lin &&
      !sr_linear_delta(lin, input->pixels, 1, input->width, input->height, dy->pixels, true, err))
    goto fail;
  sr_unet_workspace_free(ws);
  free(src);
  free(out);
  return dy;
fail:
  sr_unet_workspace_free(ws);
  free(src);
  free(out);
  sr_image_free(dy);
  return NULL;
}

sr_image *
sr_infer_frame(sr_unet *net, const sr_image *source, const sr_prep_settings *prep,
               const sr_infer_options *opts, sr_error *err)
{
  sr_image *input = sr_prep_source(source, prep, err);
  if (!input)
    return NULL;
  sr_image *dy = sr_infer_delta(net, input, opts, err);
  sr_image_free(input);
  if (!dy)
    return NULL;
  sr_image *out = sr_merge_recovered(source, dy, prep, err);
  sr_image_free(dy);
  return out;
}

sr_model *
sr_model_open(const char *checkpoint, const char *backend, sr_error *err)
{
  sr_model *m = calloc(1, sizeof *m);
  if (!m) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return NULL;
  }
  sr_checkpoint_meta_init(&m->meta);
  m->backend =
      sr_backend_open(backend ? backend : "auto", m->backend_reason, sizeof m->backend_reason, err);
  if (!m->backend) {
    free(m);
    return NULL;
  }
  m->net = sr_checkpoint_load(checkpoint, m->backend, &m->meta, NULL, err);
  if (!m->net) {
    sr_backend_close(m->backend);
    free(m);
    return NULL;
  }
  return m;
}

void
sr_model_close(sr_model *m)
{
  if (!m)
    return;
  sr_unet_free(m->net);
  sr_backend_close(m->backend);
  sr_checkpoint_meta_clear(&m->meta);
  free(m);
}
