/* sr-median.c — 3x3 and 5x5 median per channel, edges replicated.
 *
 * The median is taken with a selection network: Batcher's odd–even merge
 * sort on 16 (or 32) wires, the padding wires held at +∞ and folded away,
 * then every comparator that cannot reach the middle output dropped. What
 * remains is run on 8 pixels at a time with vector min/max.
 */
#include "sr-pairs.h"
#include "sr-i18n.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LANES     4
#define MAX_TAPS  25
#define MAX_WIRES 32
#define MAX_OPS   256

typedef float vfloat __attribute__((vector_size(LANES * sizeof(float))));
typedef int32_t vint __attribute__((vector_size(LANES * sizeof(int32_t))));

typedef enum op_kind {
  OP_BOTH, /* a = min(a,b), b = max(a,b) */
  OP_MIN,  /* a = min(a,b) only */
  OP_MAX,  /* b = max(a,b) only */
} op_kind;

typedef struct cmp_op {
  unsigned char a, b, kind;
} cmp_op;

typedef struct network {
  int n_ops;
  int median_slot;
  cmp_op ops[MAX_OPS];
} network;

static void
build_network(int n, network *net)
{
  int wires = 1;
  while (wires < n)
    wires <<= 1;
  int slot[MAX_WIRES]; /* which value slot a wire holds; -1 = +∞ */
  for (int w = 0; w < wires; w++)
    slot[w] = w < n ? w : -1;
  cmp_op raw[MAX_OPS * 2];
  int n_raw = 0;
  /* Batcher's odd–even merge sort, iterative form; min goes to the lower wire. */
  for (int p = 1; p < wires; p <<= 1)
    for (int k = p; k >= 1; k >>= 1)
      for (int j = k % p; j + k < wires; j += 2 * k)
        for (int i = 0; i < k && i + j + k < wires; i++) {
          int lo = i + j, hi = i + j + k;
          if ((lo / (2 * p)) != (hi / (2 * p)))
            continue;
          if (slot[hi] < 0)
            continue; /* min(x, +∞) = x: nothing moves */
          if (slot[lo] < 0) {
            slot[lo] = slot[hi];
            slot[hi] = -1;
            continue;
          }
          raw[n_raw++] = (cmp_op){(unsigned char)slot[lo], (unsigned char)slot[hi], OP_BOTH};
        }
  net->median_slot = slot[n / 2];
  /* Keep only what the middle output depends on, walking backwards. */
  bool live[MAX_TAPS] = {false};
  live[net->median_slot] = true;
  cmp_op kept[MAX_OPS * 2];
  int n_kept = 0;
  for (int i = n_raw - 1; i >= 0; i--) {
    cmp_op o = raw[i];
    bool la = live[o.a], lb = live[o.b];
    if (!la && !lb)
      continue;
    o.kind = la && lb ? OP_BOTH : la ? OP_MIN : OP_MAX;
    live[o.a] = live[o.b] = true;
    kept[n_kept++] = o;
  }
  net->n_ops = n_kept;
  for (int i = 0; i < n_kept; i++)
    net->ops[i] = kept[n_kept - 1 - i];
}

static void
run_network(const network *net, vfloat *v)
{
  for (int i = 0; i < net->n_ops; i++) {
    const cmp_op *o = &net->ops[i];
    vint x = (vint)v[o->a], y = (vint)v[o->b];
    vint lt = v[o->a] < v[o->b];
    /* Bitwise blends: lt ? x : y and lt ? y : x, lane by lane. */
    if (o->kind != OP_MAX)
      v[o->a] = (vfloat)((x & lt) | (y & ~lt));
    if (o->kind != OP_MIN)
      v[o->b] = (vfloat)((y & lt) | (x & ~lt));
  }
}

sr_image *
sr_median_filter(const sr_image *img, int size, sr_error *err)
{
  if (!img) {
    sr_error_set(err, SR_ERR_INVALID, SR_("median filter: no image"));
    return NULL;
  }
  if (size != 3 && size != 5) {
    sr_error_set(err, SR_ERR_INVALID, SR_("median filter size %d is not supported; use 3 or 5"),
                 size);
    return NULL;
  }
  sr_image *out = sr_image_copy(img, err);
  if (!out)
    return NULL;
  network net;
  build_network(size * size, &net);

  const int r = size / 2, w = img->width, h = img->height, ch = img->channels;
  /* Planar rows padded by r on the left and by r plus a full vector on the right. */
  const int stride = w + 2 * r + LANES;
  float *rows = malloc(sizeof(float) * (size_t)stride * (size_t)size * (size_t)ch);
  vfloat *v = aligned_alloc(sizeof(vfloat), sizeof(vfloat) * MAX_TAPS);
  if (!rows || !v) {
    free(rows);
    free(v);
    sr_image_free(out);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory for the median filter on a %dx%d image"), w,
                 h);
    return NULL;
  }
  for (int y = 0; y < h; y++) {
    for (int dy = 0; dy < size; dy++) {
      int sy = y + dy - r;
      sy = sy < 0 ? 0 : sy >= h ? h - 1 : sy;
      const float *src = sr_image_row(img, sy);
      for (int c = 0; c < ch; c++) {
        float *dst = rows + ((size_t)dy * ch + (size_t)c) * (size_t)stride;
        for (int x = 0; x < w; x++)
          dst[r + x] = src[(size_t)x * ch + (size_t)c];
        for (int x = 0; x < r; x++)
          dst[x] = dst[r];
        for (int x = r + w; x < stride; x++)
          dst[x] = dst[r + w - 1];
      }
    }
    float *orow = sr_image_row(out, y);
    for (int c = 0; c < ch; c++) {
      for (int x0 = 0; x0 < w; x0 += LANES) {
        int k = 0;
        for (int dy = 0; dy < size; dy++) {
          const float *base = rows + ((size_t)dy * ch + (size_t)c) * (size_t)stride + x0;
          for (int dx = 0; dx < size; dx++, k++)
            memcpy(&v[k], base + dx, sizeof(vfloat));
        }
        run_network(&net, v);
        int nx = w - x0 < LANES ? w - x0 : LANES;
        for (int j = 0; j < nx; j++)
          orow[(size_t)(x0 + j) * ch + (size_t)c] = v[net.median_slot][j];
      }
    }
  }
  free(rows);
  free(v);
  return out;
}
