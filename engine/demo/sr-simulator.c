/* sr-simulator.c — procedural scene, camera move, two film elements. */
#include "sr-simulator.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr-rng.h"
#include "sr-i18n.h"

#define PI_F 3.14159265358979f

/* The scene is a plane tiled with square cells (scene units); the frame
 * shows one unit of height. Cell type = (column + 3 row + offset) mod 7, so
 * any 3x4-cell window shows every type, highlights included. */
#define CELL_SIZE    (1.0f / 3.0f)
#define N_CELL_TYPES 7

typedef struct {
  float r, g, b;
} rgb;

static rgb
mk(float r, float g, float b)
{
  return (rgb){r, g, b};
}

static rgb
mix(rgb a, rgb b, float t)
{
  return mk(a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t);
}

static rgb
scale(rgb a, float s)
{
  return mk(a.r * s, a.g * s, a.b * s);
}

static float
clampf(float x, float lo, float hi)
{
  return x < lo ? lo : x > hi ? hi : x;
}

/* Edge ramp over one pixel footprint: 0 for d <= -w, 1 for d >= w. */
static float
edge(float d, float w)
{
  float t = clampf((d + w) / (2.0f * w), 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}

static uint32_t
hash3(uint32_t a, uint32_t b, uint32_t c)
{
  /* Jenkins' final mix: good avalanche for lattice hashing. */
  a -= c;
  a ^= (c << 4) | (c >> 28);
  c += b;
  b -= a;
  b ^= (a << 6) | (a >> 26);
  a += c;
  c -= b;
  c ^= (b << 8) | (b >> 24);
  b += a;
  a -= c;
  a ^= (c << 16) | (c >> 16);
  c += b;
  b -= a;
  b ^= (a << 19) | (a >> 13);
  a += c;
  c -= b;
  c ^= (b << 4) | (b >> 28);
  b += a;
  c ^= b;
  c -= (b << 14) | (b >> 18);
  a ^= c;
  a -= (c << 11) | (c >> 21);
  b ^= a;
  b -= (a << 25) | (a >> 7);
  c ^= b;
  c -= (b << 16) | (b >> 16);
  return c;
}

static float
hashf(int x, int y, uint32_t seed)
{
  return (float)(hash3((uint32_t)x, (uint32_t)y, seed) >> 8) * (1.0f / 16777216.0f);
}

/* Bilinear value noise with smoothstep weights, in [0,1). */
static float
value_noise(float x, float y, uint32_t seed)
{
  float fx = floorf(x), fy = floorf(y);
  int ix = (int)fx, iy = (int)fy;
  float tx = x - fx, ty = y - fy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  float a = hashf(ix, iy, seed), b = hashf(ix + 1, iy, seed);
  float c = hashf(ix, iy + 1, seed), d = hashf(ix + 1, iy + 1, seed);
  return (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty;
}

static float
fbm(float x, float y, uint32_t seed, int octaves)
{
  float sum = 0, amp = 0.5f, norm = 0;
  for (int i = 0; i < octaves; i++) {
    sum += amp * value_noise(x, y, seed + (uint32_t)i * 7919u);
    norm += amp;
    amp *= 0.5f;
    x *= 2.03f;
    y *= 2.03f;
  }
  return sum / norm;
}

static float
segment_distance(float px, float py, float ax, float ay, float bx, float by)
{
  float vx = bx - ax, vy = by - ay, wx = px - ax, wy = py - ay;
  float t = clampf((wx * vx + wy * vy) / (vx * vx + vy * vy), 0.0f, 1.0f);
  float dx = wx - t * vx, dy = wy - t * vy;
  return sqrtf(dx * dx + dy * dy);
}

/* Each pattern takes cell-local coordinates in [0,1), the pixel footprint in
 * the same units, and the cell's hash. */

/* Siemens star: 36 spokes, edges at every angle. */
static rgb
pattern_star(float u, float v, float pw, uint32_t h)
{
  float dx = u - 0.5f, dy = v - 0.5f;
  float r = sqrtf(dx * dx + dy * dy);
  rgb bg = mk(0.18f, 0.17f, 0.16f);
  if (r > 0.46f)
    return bg;
  float a = atan2f(dy, dx) + (float)(h & 255u) * 0.01f;
  /* sin(n a) / n · r approximates the distance to the nearest spoke edge. */
  float d = sinf(18.0f * a) / 18.0f * r;
  float s = edge(d, pw);
  /* Spokes closer than a pixel fade to their mean instead of aliasing. */
  float resolvable = clampf((r * 2.0f * PI_F / 36.0f) / (2.0f * pw) - 0.5f, 0.0f, 1.0f);
  s = 0.5f + (s - 0.5f) * resolvable;
  rgb out = mix(mk(0.02f, 0.02f, 0.025f), mk(0.85f, 0.84f, 0.80f), s);
  return mix(out, bg, edge(r - 0.46f, pw));
}

/* Printed-page strokes: a grid of glyphs made of bars, stems and diagonals. */
static rgb
pattern_text(float u, float v, float pw, uint32_t h)
{
  const int cols = 9, rows = 7;
  rgb paper = mk(0.78f, 0.74f, 0.64f), ink = mk(0.015f, 0.014f, 0.02f);
  float gx = u * cols, gy = v * rows;
  int ix = (int)gx, iy = (int)gy;
  float lx = gx - ix, ly = gy - iy;
  uint32_t bits = hash3((uint32_t)ix, (uint32_t)iy, h);
  if ((bits & 7u) == 0)
    return paper; /* a space */
  /* Glyph box in glyph units: [0.2,0.8] x [0.15,0.85]. */
  static const float seg[8][4] = {
      {0.2f, 0.15f, 0.8f, 0.15f}, {0.2f, 0.5f, 0.8f, 0.5f},   {0.2f, 0.85f, 0.8f, 0.85f},
      {0.2f, 0.15f, 0.2f, 0.85f}, {0.8f, 0.15f, 0.8f, 0.85f}, {0.2f, 0.85f, 0.8f, 0.15f},
      {0.2f, 0.15f, 0.8f, 0.85f}, {0.5f, 0.15f, 0.5f, 0.85f},
  };
  float dmin = 1e9f;
  int n = 0;
  for (int i = 0; i < 8; i++)
    if (bits & (1u << (i + 3))) {
      float d = segment_distance(lx, ly, seg[i][0], seg[i][1], seg[i][2], seg[i][3]);
      dmin = d < dmin ? d : dmin;
      n++;
    }
  if (n == 0)
    return paper;
  /* Distances in glyph units → cell units for the edge width. */
  float d_cell = (dmin - 0.09f) / (float)cols;
  return mix(ink, paper, edge(d_cell, pw));
}

/* Woven cloth: warp and weft threads, plain or twill weave. */
static rgb
pattern_fabric(float u, float v, float pw, uint32_t h)
{
  float threads = 18.0f + (float)(h % 14u);
  bool twill = (h >> 8) & 1u;
  float x = u * threads, y = v * threads;
  int i = (int)floorf(x), j = (int)floorf(y);
  bool warp_over = twill ? ((i + j) & 3) < 2 : ((i + j) & 1) == 0;
  float across = warp_over ? x - floorf(x) : y - floorf(y);
  float profile = sqrtf(clampf(sinf(PI_F * across), 0.0f, 1.0f));
  /* Threads narrower than two pixels blur to their mean. */
  float resolvable = clampf(1.0f / (threads * pw) / 2.0f - 0.5f, 0.0f, 1.0f);
  profile = 0.64f + (profile - 0.64f) * resolvable;
  rgb warp = mk(0.46f, 0.08f, 0.10f), weft = mk(0.16f, 0.22f, 0.48f);
  float slub =
      0.85f + 0.3f * value_noise(warp_over ? x * 0.5f : y * 0.5f, (float)(warp_over ? i : j), h);
  return scale(warp_over ? warp : weft, profile * slub);
}

/* Foliage: leaf blobs with dark gaps, shaded by a second noise. */
static rgb
pattern_foliage(float u, float v, float pw, uint32_t h)
{
  float n = fbm(u * 9.0f, v * 9.0f, h, 4);
  float shade = fbm(u * 3.0f + 11.0f, v * 3.0f, h ^ 0x5bd1e995u, 3);
  float veins = fabsf(value_noise(u * 40.0f, v * 40.0f, h + 3u) - 0.5f);
  rgb leaf = mk(0.06f + 0.05f * shade, 0.20f + 0.25f * shade, 0.035f);
  leaf = scale(leaf, 0.8f + 0.4f * veins);
  rgb gap = mk(0.004f, 0.008f, 0.003f);
  return mix(gap, leaf, edge(n - 0.47f, 0.02f + pw));
}

/* Skin: warm base with soft shading, blotches and fine pores. */
static rgb
pattern_skin(float u, float v, float pw, uint32_t h)
{
  float dx = u - 0.45f, dy = v - 0.4f;
  float light = clampf(1.1f - 1.6f * sqrtf(dx * dx + dy * dy), 0.12f, 1.1f);
  float blotch = fbm(u * 4.0f, v * 4.0f, h, 3);
  float pores = value_noise(u * 90.0f, v * 90.0f, h + 17u);
  rgb base = mk(0.56f, 0.36f, 0.27f);
  base = mix(base, mk(0.60f, 0.30f, 0.25f), blotch * 0.6f);
  return scale(base, light * (0.93f + 0.1f * pores));
}

/* Smooth exposure ramp 2^-9 .. 2^3 across, hue changing down the cell. */
static rgb
pattern_gradient(float u, float v, float pw, uint32_t h)
{
  float stops = -9.0f + 12.0f * u;
  float lum = exp2f(stops);
  float hue = v * 2.0f * PI_F + (float)(h & 63u) * 0.1f;
  rgb c = mk(0.6f + 0.4f * cosf(hue), 0.6f + 0.4f * cosf(hue - 2.094f),
             0.6f + 0.4f * cosf(hue + 2.094f));
  return scale(c, lum);
}

/* Specular points on a dark ground: values well above 1. */
static rgb
pattern_highlights(float u, float v, float pw, uint32_t h)
{
  rgb out = mk(0.012f, 0.011f, 0.014f);
  const int grid = 4;
  int ci = (int)(u * grid), cj = (int)(v * grid);
  for (int j = cj - 1; j <= cj + 1; j++)
    for (int i = ci - 1; i <= ci + 1; i++) {
      uint32_t k = hash3((uint32_t)i, (uint32_t)j, h);
      float cx = ((float)i + 0.25f + 0.5f * (float)(k & 255u) / 255.0f) / grid;
      float cy = ((float)j + 0.25f + 0.5f * (float)((k >> 8) & 255u) / 255.0f) / grid;
      float rad = 0.02f + 0.03f * (float)((k >> 16) & 255u) / 255.0f + pw;
      float peak = 2.0f + 6.0f * (float)((k >> 24) & 255u) / 255.0f;
      float dx = u - cx, dy = v - cy;
      float g = expf(-(dx * dx + dy * dy) / (2.0f * rad * rad));
      out.r += peak * g;
      out.g += peak * g * 0.95f;
      out.b += peak * g * 0.85f;
    }
  return out;
}

static rgb
scene(float x, float y, float pw, uint32_t seed)
{
  float cx = floorf(x / CELL_SIZE), cy = floorf(y / CELL_SIZE);
  int ci = (int)cx, cj = (int)cy;
  float u = x / CELL_SIZE - cx, v = y / CELL_SIZE - cy;
  float pwc = pw / CELL_SIZE;
  uint32_t h = hash3((uint32_t)ci, (uint32_t)cj, seed);
  int type = (int)(((long)ci + 3L * cj + (long)(seed % N_CELL_TYPES)) % N_CELL_TYPES);
  if (type < 0)
    type += N_CELL_TYPES;
  rgb c;
  switch (type) {
  case 0: c = pattern_star(u, v, pwc, h); break;
  case 1: c = pattern_text(u, v, pwc, h); break;
  case 2: c = pattern_fabric(u, v, pwc, h); break;
  case 3: c = pattern_foliage(u, v, pwc, h); break;
  case 4: c = pattern_skin(u, v, pwc, h); break;
  case 5: c = pattern_gradient(u, v, pwc, h); break;
  default: c = pattern_highlights(u, v, pwc, h); break;
  }
  /* Scene lighting: broad pools of light and deep shadow, never below 25 %
   * so the ramps still reach above 1. */
  float light = 0.25f + 1.0f * fbm(x * 0.9f + 3.1f, y * 0.9f, seed ^ 0x68e31da4u, 2);
  /* Dark joints between cells: straight edges across the whole frame. */
  float du = fminf(u, 1.0f - u), dv = fminf(v, 1.0f - v);
  float joint = edge(fminf(du, dv) - 0.012f, pwc);
  return mix(mk(0.01f, 0.01f, 0.01f), scale(c, light), joint);
}

void
sr_simulator_options_init(sr_simulator_options *opts)
{
  memset(opts, 0, sizeof *opts);
  opts->width = 480;
  opts->height = 270;
  opts->seed = 1;
  opts->grain = true;
  opts->output_space = SR_CS_ACES2065_1;
  opts->source_blur_sigma = 1.5;
  opts->reference_grain = 0.012;
}

/* Separable Gaussian, edges replicated, in place on a 3-channel buffer. */
static bool
gaussian_blur(float *px, int w, int h, double sigma, sr_error *err)
{
  if (sigma <= 0)
    return true;
  int radius = (int)ceil(3.0 * sigma);
  float *kernel = malloc(sizeof(float) * (size_t)(2 * radius + 1));
  size_t line = (size_t)(w > h ? w : h) * 3;
  float *tmp = malloc(sizeof(float) * line);
  if (kernel == NULL || tmp == NULL) {
    free(kernel);
    free(tmp);
    sr_error_set(err, SR_ERR_NOMEM, SR_("demo: out of memory for the Source blur"));
    return false;
  }
  double sum = 0;
  for (int i = -radius; i <= radius; i++)
    sum += exp(-(double)(i * i) / (2 * sigma * sigma));
  for (int i = -radius; i <= radius; i++)
    kernel[i + radius] = (float)(exp(-(double)(i * i) / (2 * sigma * sigma)) / sum);

  for (int y = 0; y < h; y++) {
    float *row = px + (size_t)y * w * 3;
    for (int x = 0; x < w; x++) {
      float acc[3] = {0, 0, 0};
      for (int k = -radius; k <= radius; k++) {
        int xx = x + k < 0 ? 0 : x + k >= w ? w - 1 : x + k;
        float kw = kernel[k + radius];
        for (int c = 0; c < 3; c++)
          acc[c] += kw * row[(size_t)xx * 3 + c];
      }
      memcpy(tmp + (size_t)x * 3, acc, sizeof acc);
    }
    memcpy(row, tmp, sizeof(float) * (size_t)w * 3);
  }
  for (int x = 0; x < w; x++) {
    for (int y = 0; y < h; y++) {
      float acc[3] = {0, 0, 0};
      for (int k = -radius; k <= radius; k++) {
        int yy = y + k < 0 ? 0 : y + k >= h ? h - 1 : y + k;
        float kw = kernel[k + radius];
        const float *p = px + ((size_t)yy * w + x) * 3;
        for (int c = 0; c < 3; c++)
          acc[c] += kw * p[c];
      }
      memcpy(tmp + (size_t)y * 3, acc, sizeof acc);
    }
    for (int y = 0; y < h; y++)
      memcpy(px + ((size_t)y * w + x) * 3, tmp + (size_t)y * 3, sizeof(float) * 3);
  }
  free(kernel);
  free(tmp);
  return true;
}

/* Near-normal draw from one 64-bit word: the sum of four 16-bit uniforms
 * (Irwin-Hall, variance 4/12) rescaled to unit variance. Several times
 * cheaper than Box-Muller, and grain needs no exact tails. */
static float
grain_normal(sr_rng *rng)
{
  uint64_t v = sr_rng_next(rng);
  float sum = (float)(v & 0xffff) + (float)((v >> 16) & 0xffff) + (float)((v >> 32) & 0xffff) +
              (float)(v >> 48);
  return (sum * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
}

/* Film grain in scene-linear: noise grows with the square root of exposure.
 * `clump` > 1 makes coarser grain by sharing one draw over clump x clump
 * pixels (bilinearly spread). */
static bool
add_grain(float *px, int w, int h, double amount, int clump, uint64_t seed, sr_error *err)
{
  int gw = w / clump + 2, gh = h / clump + 2;
  float *field = malloc(sizeof(float) * (size_t)gw * gh * 3);
  if (field == NULL) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("demo: out of memory for grain"));
    return false;
  }
  sr_rng rng;
  sr_rng_seed(&rng, seed);
  for (size_t i = 0; i < (size_t)gw * gh * 3; i++)
    field[i] = grain_normal(&rng);
  for (int y = 0; y < h; y++) {
    float fy = (float)y / (float)clump;
    int y0 = (int)fy;
    float ty = fy - (float)y0;
    for (int x = 0; x < w; x++) {
      float fx = (float)x / (float)clump;
      int x0 = (int)fx;
      float tx = fx - (float)x0;
      float *p = px + ((size_t)y * w + x) * 3;
      for (int c = 0; c < 3; c++) {
        const float *f = field + ((size_t)y0 * gw + x0) * 3 + c;
        float n = (f[0] * (1 - tx) + f[3] * tx) * (1 - ty) +
                  (f[(size_t)gw * 3] * (1 - tx) + f[(size_t)gw * 3 + 3] * tx) * ty;
        float v = p[c];
        p[c] = v + (float)amount * sqrtf(fmaxf(v, 0.0f) + 0.002f) * n;
      }
    }
  }
  free(field);
  return true;
}

/* The Source's fade: less saturation, lifted blacks, a warm-magenta cast. */
static void
fade_colour(float *px, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    float *p = px + i * 3;
    float y = 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2];
    float r = y + 0.8f * (p[0] - y), g = y + 0.8f * (p[1] - y), b = y + 0.8f * (p[2] - y);
    p[0] = r * 1.05f * 0.94f + 0.006f;
    p[1] = g * 0.97f * 0.94f + 0.005f;
    p[2] = b * 0.90f * 0.94f + 0.007f;
  }
}

static bool
finish_image(sr_image *img, const sr_colour_transform *to_output, sr_colourspace space)
{
  if (to_output != NULL)
    sr_colour_transform_image(to_output, img);
  img->has_chromaticities = true;
  sr_colourspace_chromaticities(space, img->chromaticities);
  return true;
}

bool
sr_simulator_render_frame(const sr_simulator_options *opts, int frame, sr_image **source,
                          sr_image **reference, sr_error *err)
{
  *source = NULL;
  *reference = NULL;
  if (opts->output_space < 0 || opts->output_space >= SR_CS_COUNT) {
    sr_error_set(err, SR_ERR_INVALID, SR_("demo: unknown output colour space %d"),
                 (int)opts->output_space);
    return false;
  }
  if (!(opts->source_blur_sigma >= 0 && opts->source_blur_sigma <= 50)) {
    sr_error_set(err, SR_ERR_INVALID, SR_("demo: Source blur sigma %g is out of range 0..50 px"),
                 opts->source_blur_sigma);
    return false;
  }
  int w = opts->width, h = opts->height;
  if (!sr_image_check_size(w, h, 3, SR_("demo frame"), err))
    return false;
  sr_image *ref = sr_image_new(w, h, 3, err);
  if (ref == NULL)
    return false;
  uint32_t seed32 = (uint32_t)(opts->seed ^ (opts->seed >> 32));

  /* Camera: about one pixel of pan per frame at 270 lines, and a slow push
   * in; scene units are frame heights. */
  float zoom = 1.0f + 0.002f * (float)frame;
  float cu = 0.37f + 0.0037f * (float)frame, cv = 0.41f + 0.0013f * (float)frame;
  float pw = 1.0f / ((float)h * zoom);
  for (int y = 0; y < h; y++) {
    float *row = sr_image_row(ref, y);
    float sy = cv + ((float)y + 0.5f - 0.5f * (float)h) * pw;
    for (int x = 0; x < w; x++) {
      float sx = cu + ((float)x + 0.5f - 0.5f * (float)w) * pw;
      rgb c = scene(sx, sy, pw, seed32);
      row[x * 3 + 0] = c.r;
      row[x * 3 + 1] = c.g;
      row[x * 3 + 2] = c.b;
    }
  }

  sr_image *src = sr_image_copy(ref, err);
  if (src == NULL) {
    sr_image_free(ref);
    return false;
  }
  uint64_t frame_seed = opts->seed * 0x9e3779b97f4a7c15ull + (uint64_t)(uint32_t)frame;
  bool ok = gaussian_blur(src->pixels, w, h, opts->source_blur_sigma, err);
  if (ok)
    fade_colour(src->pixels, (size_t)w * h);
  if (ok && opts->grain)
    ok = add_grain(ref->pixels, w, h, opts->reference_grain, 1, frame_seed ^ 0x7265666572656e63ull,
                   err) &&
         add_grain(src->pixels, w, h, 0.035, 2, frame_seed ^ 0x736f757263650000ull, err);

  sr_colour_transform *to_output = NULL;
  if (ok && opts->output_space != SR_CS_LINEAR_REC709) {
    to_output = sr_colour_transform_new(SR_CS_LINEAR_REC709, opts->output_space, err);
    ok = to_output != NULL;
  }
  if (ok) {
    finish_image(ref, to_output, opts->output_space);
    finish_image(src, to_output, opts->output_space);
  }
  sr_colour_transform_free(to_output);
  if (!ok) {
    sr_error_prefix(err, SR_("frame %d: "), frame);
    sr_image_free(ref);
    sr_image_free(src);
    return false;
  }
  *source = src;
  *reference = ref;
  return true;
}
