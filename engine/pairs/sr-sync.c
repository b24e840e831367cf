/* sr-sync.c — frame map estimation: field signatures, windowed matching,
 * cadence and break fitting (the method is described in sr-sync.h). */
#include "sr-sync.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr-i18n.h"

void
sr_sync_options_init(sr_sync_options *o)
{
  memset(o, 0, sizeof *o);
  o->window = 48;
  o->min_correlation = 0.5f;
}

void
sr_sync_result_clear(sr_sync_result *r)
{
  if (!r)
    return;
  sr_frame_map_clear(&r->map);
  free(r->segments);
  free(r->mixed);
  memset(r, 0, sizeof *r);
}

void
sr_sync_sign(const sr_image *img, int parity, int w, int h, sr_sync_signature *sig)
{
  memset(sig, 0, sizeof *sig);
  int rows = parity < 0 ? img->height : (img->height - parity + 1) / 2;
  w = w < 1 ? 1 : w > SR_SYNC_SIG_W ? SR_SYNC_SIG_W : w;
  h = h < 1 ? 1 : h > SR_SYNC_SIG_H ? SR_SYNC_SIG_H : h;
  sig->w = w;
  sig->h = h;
  int count[SR_SYNC_SIG_W * SR_SYNC_SIG_H] = {0};
  for (int i = 0; i < rows; i++) {
    int y = parity < 0 ? i : 2 * i + parity;
    int cy = (int)((long long)i * h / rows);
    const float *row = sr_image_row(img, y);
    for (int x = 0; x < img->width; x++) {
      const float *p = row + (size_t)x * (size_t)img->channels;
      float lum = img->channels >= 3 ? 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2] : p[0];
      if (!(lum > 0.0f))
        lum = 0.0f;
      /* Compressive, so a print and a telecine with other tone curves
       * still correlate; clamped against scene-linear highlights. */
      float v = sqrtf(lum < 16.0f ? lum : 16.0f);
      int c = cy * w + (int)((long long)x * w / img->width);
      sig->v[c] += v;
      count[c]++;
    }
  }
  int n = w * h;
  double mean = 0.0;
  for (int i = 0; i < n; i++) {
    sig->v[i] = count[i] ? sig->v[i] / (float)count[i] : 0.0f;
    mean += sig->v[i];
  }
  mean /= n;
  double norm = 0.0;
  for (int i = 0; i < n; i++) {
    sig->v[i] -= (float)mean;
    norm += (double)sig->v[i] * sig->v[i];
  }
  float inv = norm > 1e-12 ? (float)(1.0 / sqrt(norm)) : 0.0f;
  for (int i = 0; i < n; i++)
    sig->v[i] *= inv;
}

float
sr_sync_correlate(const sr_sync_signature *a, const sr_sync_signature *b)
{
  if (a->w != b->w || a->h != b->h)
    return 0.0f;
  double dot = 0.0;
  for (int i = 0; i < a->w * a->h; i++)
    dot += (double)a->v[i] * b->v[i];
  return (float)dot;
}

/* ---- Signing both elements ---------------------------------------------- */

typedef struct signed_frames {
  int first, n;
  sr_sync_signature *sig; /* 2n: even rows, odd rows of each frame */
  bool *have;
} signed_frames;

static void
signed_clear(signed_frames *s)
{
  free(s->sig);
  free(s->have);
  memset(s, 0, sizeof *s);
}

/* Both fields of every frame: a Reference field is compared with the
 * Source rows of the same parity, so the half-line between fields never
 * reads as motion. */
static bool
sign_sequence(const sr_sequence *seq, int w, int h, const sr_sync_options *o, int done, int total,
              signed_frames *out, sr_error *err)
{
  out->first = seq->first;
  out->n = seq->last - seq->first + 1;
  out->sig = calloc((size_t)out->n * 2, sizeof *out->sig);
  out->have = calloc((size_t)out->n, sizeof *out->have);
  if (!out->sig || !out->have) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  for (int i = 0; i < out->n; i++) {
    int f = seq->first + i;
    if (o->progress && !o->progress(done + i, total, o->user)) {
      sr_error_set(err, SR_ERR_CANCELLED, SR_("sync cancelled"));
      return false;
    }
    if (!sr_sequence_has_frame(seq, f))
      continue;
    sr_image *img = sr_sequence_read(seq, f, err);
    if (!img)
      return false;
    sr_sync_sign(img, 0, w, h, &out->sig[2 * i]);
    sr_sync_sign(img, 1, w, h, &out->sig[2 * i + 1]);
    out->have[i] = true;
    sr_image_free(img);
  }
  return true;
}

/* ---- Matching fields to Source frames -------------------------------------- */

/* match[k] for Reference field k (k = 2·(r − first) + temporal field):
 * the best Source frame, or SR_NO_FRAME. */
static void
match_fields(const signed_frames *src, const signed_frames *ref, const sr_sync_options *o,
             int *match, float *corr)
{
  int prev = SR_NO_FRAME;
  for (int r = 0; r < ref->n; r++) {
    for (int t = 0; t < 2; t++) {
      int k = 2 * r + t;
      int parity = o->bottom_first ? 1 - t : t;
      match[k] = SR_NO_FRAME;
      corr[k] = 0.0f;
      if (!ref->have[r])
        continue;
      const sr_sync_signature *fs = &ref->sig[2 * r + parity];
      int lo = 0, hi = src->n - 1;
      if (prev != SR_NO_FRAME) {
        lo = prev - src->first - o->window;
        hi = prev - src->first + o->window;
        lo = lo < 0 ? 0 : lo;
        hi = hi >= src->n ? src->n - 1 : hi;
      }
      float best = -2.0f;
      int at = -1;
      for (int i = lo; i <= hi; i++) {
        if (!src->have[i])
          continue;
        float c = sr_sync_correlate(fs, &src->sig[2 * i + parity]);
        if (c > best) {
          best = c;
          at = i;
        }
      }
      if (at >= 0 && best >= o->min_correlation) {
        match[k] = src->first + at;
        corr[k] = best;
        prev = match[k];
      }
    }
  }
}

/* ---- Fitting the map ------------------------------------------------------- */

typedef struct landing {
  int source;      /* a Source frame ... */
  long long field; /* ... whose first field is this Reference field */
} landing;

/* Where a Source frame's first field lands: a field matching a later Source
 * frame than the field before it. */
static int
find_landings(const int *match, int n_fields, int ref_first, landing *out)
{
  int n = 0;
  for (int k = 1; k < n_fields; k++)
    if (match[k] != SR_NO_FRAME && match[k - 1] != SR_NO_FRAME && match[k] > match[k - 1])
      out[n++] = (landing){match[k], 2LL * ref_first + k};
  return n;
}

/* δ = landing field − the cadence's prediction = 2·(offset + Σ shifts). */
static long long
landing_delta(const sr_frame_map *m, const landing *l)
{
  sr_frame_map bare = {.cadence = m->cadence, .phase = m->phase};
  return l->field - sr_frame_map_first_field(&bare, l->source);
}

static bool
even(long long v)
{
  return (v & 1) == 0;
}

/* How many landings the candidate explains: δ even and shared with a
 * neighbouring landing. */
static int
score_candidate(const sr_frame_map *m, const landing *l, int n, long long *delta)
{
  for (int i = 0; i < n; i++)
    delta[i] = landing_delta(m, &l[i]);
  int score = 0;
  for (int i = 0; i < n; i++)
    if (even(delta[i]) &&
        ((i > 0 && delta[i] == delta[i - 1]) || (i + 1 < n && delta[i] == delta[i + 1])))
      score++;
  return score;
}

static bool
fit_map(const landing *l, int n, sr_sync_result *out, sr_error *err)
{
  long long *delta = malloc((size_t)(n > 0 ? n : 1) * sizeof *delta);
  if (!delta) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  sr_frame_map best = {0};
  int best_score = -1;
  for (int c = SR_CADENCE_NONE; c <= SR_CADENCE_2332; c++) {
    for (int p = 0; p < (c == SR_CADENCE_NONE ? 1 : 4); p++) {
      sr_frame_map m = {.cadence = (sr_cadence)c, .phase = p};
      int s = score_candidate(&m, l, n, delta);
      if (s > best_score) {
        best_score = s;
        best = m;
      }
    }
  }
  out->cadence_score = n > 0 ? (double)best_score / n : 0.0;
  score_candidate(&best, l, n, delta);
  bool ok = true, started = false;
  long long current = 0;
  for (int i = 0; i < n && ok; i++) {
    bool stable = even(delta[i]) && (i + 1 >= n || delta[i + 1] == delta[i]);
    if (!stable)
      continue;
    if (!started) {
      current = delta[i];
      best.offset = (int)(current / 2);
      started = true;
    } else if (delta[i] != current) {
      ok = sr_frame_map_add_break(&best, l[i].source, (int)((delta[i] - current) / 2), err);
      current = delta[i];
    }
  }
  free(delta);
  if (ok && !started) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("sync: the Reference frames do not follow the Source in any steady "
                     "order; check that both show the same shot"));
    ok = false;
  }
  if (ok)
    out->map = best;
  else
    sr_frame_map_clear(&best);
  return ok;
}

/* ---- Segments and field-mixed frames --------------------------------------- */

static int
segment_of(const sr_frame_map *m, int source)
{
  int s = 0;
  while (s < m->n_breaks && m->breaks[s].source_frame <= source)
    s++;
  return s;
}

static bool
summarise(const signed_frames *src, const signed_frames *ref, const sr_sync_options *o,
          const int *match, const float *corr, sr_sync_result *out, sr_error *err)
{
  const sr_frame_map *m = &out->map;
  out->n_segments = m->n_breaks + 1;
  out->segments = calloc((size_t)out->n_segments, sizeof *out->segments);
  out->mixed = calloc((size_t)ref->n, sizeof *out->mixed);
  if (!out->segments || !out->mixed) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  int src_last = src->first + src->n - 1;
  for (int i = 0; i < out->n_segments; i++) {
    out->segments[i].first_source = i == 0 ? src->first : m->breaks[i - 1].source_frame;
    out->segments[i].last_source = i < m->n_breaks ? m->breaks[i].source_frame - 1 : src_last;
  }
  double *corr_sum = calloc((size_t)out->n_segments, sizeof *corr_sum);
  if (!corr_sum) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  for (int r = 0; r < ref->n; r++) {
    int fr = ref->first + r, pred[2];
    sr_frame_map_fields(m, fr, &pred[0], &pred[1]);
    bool inside = true;
    for (int t = 0; t < 2; t++) {
      if (pred[t] < src->first || pred[t] > src_last) {
        inside = false;
        continue;
      }
      sr_sync_segment *seg = &out->segments[segment_of(m, pred[t])];
      seg->fields++;
      if (match[2 * r + t] == pred[t]) {
        seg->agreeing++;
        corr_sum[seg - out->segments] += corr[2 * r + t];
      }
    }
    if (inside && pred[0] != pred[1])
      out->mixed[out->n_mixed++] = fr;
  }
  for (int i = 0; i < out->n_segments; i++) {
    sr_sync_segment *seg = &out->segments[i];
    seg->confidence = seg->fields ? (double)seg->agreeing / seg->fields : 0.0;
    seg->mean_correlation = seg->agreeing ? corr_sum[i] / seg->agreeing : 0.0;
  }
  free(corr_sum);
  (void)o;
  return true;
}

static bool
signature_size(const sr_sequence *src, const sr_sequence *ref, int *w, int *h, sr_error *err)
{
  sr_image_info a, b;
  if (!sr_sequence_frame_info(src, src->first, &a, err) ||
      !sr_sequence_frame_info(ref, ref->first, &b, err))
    return false;
  int mw = a.width < b.width ? a.width : b.width;
  int mh = (a.height < b.height ? a.height : b.height) / 2;
  *w = mw < SR_SYNC_SIG_W ? mw : SR_SYNC_SIG_W;
  *h = mh < SR_SYNC_SIG_H ? mh : SR_SYNC_SIG_H;
  if (*w < 4 || *h < 4) {
    sr_error_set(err, SR_ERR_INVALID, SR_("sync: frames of %dx%d are too small to compare"), mw,
                 mh * 2);
    return false;
  }
  return true;
}

bool
sr_sync_estimate(const sr_sequence *src, const sr_sequence *ref, const sr_sync_options *opts,
                 sr_sync_result *out, sr_error *err)
{
  memset(out, 0, sizeof *out);
  sr_sync_options defaults;
  if (!opts) {
    sr_sync_options_init(&defaults);
    opts = &defaults;
  }
  signed_frames s = {0}, r = {0};
  int *match = NULL;
  float *corr = NULL;
  landing *land = NULL;
  bool ok = false;
  int w, h;
  if (!signature_size(src, ref, &w, &h, err))
    goto out;
  int total = (src->last - src->first + 1) + (ref->last - ref->first + 1);
  if (!sign_sequence(src, w, h, opts, 0, total, &s, err) ||
      !sign_sequence(ref, w, h, opts, s.n, total, &r, err))
    goto out;
  match = malloc((size_t)r.n * 2 * sizeof *match);
  corr = malloc((size_t)r.n * 2 * sizeof *corr);
  land = malloc((size_t)r.n * 2 * sizeof *land);
  if (!match || !corr || !land) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    goto out;
  }
  match_fields(&s, &r, opts, match, corr);

  int n_land = find_landings(match, 2 * r.n, r.first, land);
  if (n_land == 0) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("sync: no Reference frame matches the Source (best correlation under "
                     "%.2f); check that both elements show the same shot, or widen the "
                     "search window"),
                 (double)opts->min_correlation);
    goto out;
  }
  if (!fit_map(land, n_land, out, err) || !summarise(&s, &r, opts, match, corr, out, err))
    goto out;
  out->reference_first = ref->first;
  out->reference_last = ref->last;
  ok = true;
out:
  if (!ok)
    sr_sync_result_clear(out);
  signed_clear(&s);
  signed_clear(&r);
  free(match);
  free(corr);
  free(land);
  return ok;
}
