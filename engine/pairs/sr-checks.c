/* sr-checks.c — the checks Stage 3 asks for, one line each. */
#include "sr-pairs.h"
#include "sr-i18n.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHROMA_PASS   1e-5
#define SHIFT_WARN_PX 0.5

void
sr_check_report_init(sr_check_report *r)
{
  memset(r, 0, sizeof *r);
}

void
sr_check_report_clear(sr_check_report *r)
{
  if (!r)
    return;
  free(r->items);
  memset(r, 0, sizeof *r);
}

void
sr_check_report_add(sr_check_report *r, const char *id, const char *subject, sr_check_status status,
                    double value, const char *fmt, ...)
{
  if (!r)
    return;
  if (r->n == r->cap) {
    int cap = r->cap ? r->cap * 2 : 16;
    sr_check *grown = realloc(r->items, sizeof *grown * (size_t)cap);
    if (!grown)
      return; /* out of memory: the report is advisory, drop the line */
    r->items = grown;
    r->cap = cap;
  }
  sr_check *c = &r->items[r->n++];
  memset(c, 0, sizeof *c);
  snprintf(c->id, sizeof c->id, "%s", id ? id : "");
  snprintf(c->subject, sizeof c->subject, "%s", subject ? subject : "");
  c->status = status;
  c->value = value;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->detail, sizeof c->detail, fmt, ap);
  va_end(ap);
}

sr_check_status
sr_check_report_status(const sr_check_report *r)
{
  sr_check_status worst = SR_CHECK_PASS;
  for (int i = 0; r && i < r->n; i++)
    if (r->items[i].status > worst)
      worst = r->items[i].status;
  return worst;
}

const char *
sr_check_status_name(sr_check_status s)
{
  switch (s) {
  case SR_CHECK_WARN: return "WARN";
  case SR_CHECK_FAIL: return "FAIL";
  case SR_CHECK_PASS:
  default: return "PASS";
  }
}

static void
range_of(const sr_image *img, float *lo, float *hi)
{
  size_t n = sr_image_n_floats(img);
  float a = INFINITY, b = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    float v = img->pixels[i];
    if (v < a)
      a = v;
    if (v > b)
      b = v;
  }
  *lo = a;
  *hi = b;
}

static double
max_chroma_difference(const sr_image *gt, const sr_image *in, sr_ycbcr_matrix m)
{
  enum { BLOCK = 256 };
  float yg[BLOCK * 3], yi[BLOCK * 3];
  size_t n = (size_t)in->width * (size_t)in->height;
  double worst = 0.0;
  for (size_t s = 0; s < n; s += BLOCK) {
    size_t k = n - s < BLOCK ? n - s : BLOCK;
    sr_rgb_to_ycbcr(m, gt->pixels + s * (size_t)gt->channels, yg, k, gt->channels);
    sr_rgb_to_ycbcr(m, in->pixels + s * (size_t)in->channels, yi, k, in->channels);
    for (size_t i = 0; i < k; i++)
      for (int c = 1; c < 3; c++) {
        double d = fabs((double)yg[i * 3 + c] - yi[i * 3 + c]);
        if (!(d <= worst))
          worst = d;
      }
  }
  return worst;
}

static bool
windows_equal(const sr_image *a, const sr_image *b)
{
  return sr_rect_equal(a->data_window, b->data_window) &&
         sr_rect_equal(a->display_window, b->display_window);
}

/* The crop of a frame in linear Rec.709 light (alpha dropped). */
static sr_image *
linear_crop(const sr_image *img, sr_colourspace space, sr_rect crop, sr_error *err)
{
  sr_image *c = sr_image_crop(img, crop, err);
  if (!c || c->channels == 1)
    return c;
  sr_colour_transform *t = sr_colour_transform_new(space, SR_CS_LINEAR_REC709, err);
  if (!t) {
    sr_image_free(c);
    return NULL;
  }
  sr_colour_transform_image(t, c);
  sr_colour_transform_free(t);
  return c;
}

void
sr_check_pair(const sr_image *source, const sr_image *reference, const sr_pair *pair,
              const sr_prep_settings *s, const char *subject, sr_check_report *r)
{
  if (!r)
    return;
  const char *subj = subject ? subject : "pair";
  sr_prep_settings defaults;
  if (!s) {
    sr_prep_settings_init(&defaults);
    s = &defaults;
  }
  if (!source || !reference) {
    sr_check_report_add(r, "frames", subj, SR_CHECK_FAIL, 0.0, "%s",
                        !source ? SR_("the Source frame could not be read")
                                : SR_("the Reference frame could not be read"));
    return;
  }

  bool same_size = source->width == reference->width && source->height == reference->height;
  if (!same_size)
    sr_check_report_add(r, "size-parity", subj, SR_CHECK_FAIL, 0.0,
                        SR_("Source is %dx%d but Reference is %dx%d; conform them to one size"),
                        source->width, source->height, reference->width, reference->height);
  else if (!windows_equal(source, reference))
    sr_check_report_add(r, "size-parity", subj, SR_CHECK_WARN, 0.0,
                        SR_("same size (%dx%d) but different bounding boxes; the pair uses the "
                            "Reference's"),
                        source->width, source->height);
  else
    sr_check_report_add(r, "size-parity", subj, SR_CHECK_PASS, 0.0,
                        SR_("Source and Reference are both %dx%d with the same bounding box"),
                        source->width, source->height);

  sr_rect crop = sr_prep_effective_crop(s, source->width, source->height);
  bool in_s = sr_rect_inside(crop, source->width, source->height);
  bool in_r = sr_rect_inside(crop, reference->width, reference->height);
  if (in_s && in_r)
    sr_check_report_add(r, "crop-inside", subj, SR_CHECK_PASS, 0.0,
                        SR_("crop %d,%d %dx%d lies inside both frames"), crop.x, crop.y, crop.w,
                        crop.h);
  else
    sr_check_report_add(r, "crop-inside", subj, SR_CHECK_FAIL, 0.0,
                        !in_s ? SR_("crop %d,%d %dx%d leaves the Source frame (%dx%d)")
                              : SR_("crop %d,%d %dx%d leaves the Reference frame (%dx%d)"),
                        crop.x, crop.y, crop.w, crop.h, !in_s ? source->width : reference->width,
                        !in_s ? source->height : reference->height);

  size_t bad_s = sr_image_count_nonfinite(source), bad_r = sr_image_count_nonfinite(reference);
  sr_check_report_add(r, "nonfinite", subj, bad_s || bad_r ? SR_CHECK_FAIL : SR_CHECK_PASS,
                      (double)(bad_s + bad_r),
                      SR_("%zu NaN/Inf values in the Source, %zu in the Reference"), bad_s, bad_r);

  if (!pair || !pair->input || !pair->ground_truth)
    return;
  const sr_image *in = pair->input, *gt = pair->ground_truth;

  float lo_i, hi_i, lo_g, hi_g;
  range_of(in, &lo_i, &hi_i);
  range_of(gt, &lo_g, &hi_g);
  float lo = fminf(lo_i, lo_g), hi = fmaxf(hi_i, hi_g);
  bool in_range = lo >= 0.0f && hi <= 1.0f;
  sr_check_report_add(r, "range", subj, in_range ? SR_CHECK_PASS : SR_CHECK_FAIL,
                      in_range ? 0.0 : fmax(-(double)lo, (double)hi - 1.0),
                      SR_("built pair spans %.6g to %.6g (must stay within 0 to 1)"), (double)lo,
                      (double)hi);

  bool comparable =
      in->width == gt->width && in->height == gt->height && in->channels >= 3 && gt->channels >= 3;
  if (comparable) {
    double chroma = max_chroma_difference(gt, in, s->matrix);
    sr_check_report_add(r, "chroma-identity", subj,
                        chroma <= CHROMA_PASS ? SR_CHECK_PASS : SR_CHECK_FAIL, chroma,
                        SR_("ground truth and input differ in Cb/Cr by at most %.3g "
                            "(pass <= %.0e)"),
                        chroma, CHROMA_PASS);
  } else {
    sr_check_report_add(r, "chroma-identity", subj, SR_CHECK_FAIL, 0.0,
                        SR_("input (%dx%d, %d ch) and ground truth (%dx%d, %d ch) do not match"),
                        in->width, in->height, in->channels, gt->width, gt->height, gt->channels);
  }

  bool bbox_ok = windows_equal(in, gt);
  sr_check_report_add(r, "bbox-parity", subj, bbox_ok ? SR_CHECK_PASS : SR_CHECK_FAIL, 0.0,
                      bbox_ok
                          ? SR_("input and ground truth carry the same bounding box (%d,%d %dx%d)")
                          : SR_("input and ground truth bounding boxes differ (input %d,%d %dx%d)"),
                      in->data_window.x, in->data_window.y, in->data_window.w, in->data_window.h);

  if (!comparable)
    return;
  /* Misalignment is geometric, so it is measured in linear light on the
   * crops as read: there the Source's blur is symmetric about each edge. In a
   * display encoding (and after clamping) the same blur moves the apparent
   * position of every edge towards its dark side, which reads as a false
   * shift of several tenths of a pixel between a soft and a sharp element. */
  double dx = 0.0, dy = 0.0;
  sr_error err = {0};
  if (!(in_s && in_r)) {
    sr_check_report_add(r, "misalignment", subj, SR_CHECK_PASS, 0.0,
                        SR_("not measured: the crop leaves a frame"));
  } else if (sr_measure_misalignment(source, reference, s, &dx, &dy, &err)) {
    double mag = hypot(dx, dy);
    sr_check_report_add(r, "misalignment", subj,
                        mag > SHIFT_WARN_PX ? SR_CHECK_WARN : SR_CHECK_PASS, mag,
                        SR_("Reference sits %+.2f px across, %+.2f px down from the Source "
                            "(%.2f px; warn above %.1f)"),
                        dx, dy, mag, SHIFT_WARN_PX);
  } else {
    sr_check_report_add(r, "misalignment", subj, SR_CHECK_PASS, 0.0, SR_("not measured: %s"),
                        err.message);
  }
}

bool
sr_measure_misalignment(const sr_image *source, const sr_image *reference,
                        const sr_prep_settings *s, double *dx, double *dy, sr_error *err)
{
  sr_rect crop = sr_prep_effective_crop(s, source->width, source->height);
  sr_image *lin_s = linear_crop(source, s->source_space, crop, err);
  sr_image *lin_r = lin_s ? linear_crop(reference, s->reference_space, crop, err) : NULL;
  bool ok = lin_r && sr_estimate_shift(lin_s, lin_r, dx, dy, err);
  sr_image_free(lin_s);
  sr_image_free(lin_r);
  return ok;
}

/* A frame list sorted by (frame, position), so that membership and "is this
 * the first time the frame is listed" are binary searches: projects may
 * list 200,000 frames, and pairwise scans would take minutes. */
typedef struct listed {
  int frame, index;
} listed;

static int
cmp_listed(const void *a, const void *b)
{
  const listed *x = a, *y = b;
  if (x->frame != y->frame)
    return (x->frame > y->frame) - (x->frame < y->frame);
  return (x->index > y->index) - (x->index < y->index);
}

/* NULL when n is 0 or memory is short (the checks then see an empty list). */
static listed *
sort_listed(const int *v, int n)
{
  listed *s = n > 0 ? malloc((size_t)n * sizeof *s) : NULL;
  for (int i = 0; s && i < n; i++)
    s[i] = (listed){v[i], i};
  if (s)
    qsort(s, (size_t)n, sizeof *s, cmp_listed);
  return s;
}

/* Position in the original list of the first listing of frame, or -1. */
static int
first_listing(const listed *s, int n, int frame)
{
  int lo = 0, hi = s ? n : 0;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (s[mid].frame < frame)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < (s ? n : 0) && s[lo].frame == frame ? s[lo].index : -1;
}

void
sr_check_frame_sets(const int *pairs, int n_pairs, const int *held_out, int n_held_out, int preview,
                    bool has_preview, sr_check_report *r)
{
  if (!r)
    return;
  if (!pairs)
    n_pairs = 0;
  if (!held_out)
    n_held_out = 0;
  if (n_pairs > 0)
    sr_check_report_add(r, "training-pairs", "project", SR_CHECK_PASS, n_pairs,
                        SR_NG_("%d training pair", "%d training pairs", n_pairs), n_pairs);
  else
    sr_check_report_add(r, "training-pairs", "project", SR_CHECK_FAIL, 0.0,
                        SR_("no training pairs; add at least one (4 to 9 to start)"));

  listed *sp = sort_listed(pairs, n_pairs), *sh = sort_listed(held_out, n_held_out);
  int dup = 0, first_dup = 0;
  for (int i = 0; i < n_pairs; i++)
    if (first_listing(sp, n_pairs, pairs[i]) != i && sp && dup++ == 0)
      first_dup = pairs[i];
  if (dup)
    sr_check_report_add(r, "duplicate-pairs", "project", SR_CHECK_WARN, dup,
                        SR_NG_("%d pair repeats a frame already in the training set "
                               "(first: frame %d)",
                               "%d pairs repeat a frame already in the training set "
                               "(first: frame %d)",
                               dup),
                        dup, first_dup);

  char list[200] = "";
  size_t len = 0;
  int clash = 0;
  for (int i = 0; i < n_held_out; i++) {
    if (first_listing(sp, n_pairs, held_out[i]) < 0 ||
        first_listing(sh, n_held_out, held_out[i]) < i)
      continue;
    clash++;
    if (len < sizeof list - 16) {
      int w = snprintf(list + len, sizeof list - len, "%s%d", len ? ", " : "", held_out[i]);
      if (w > 0)
        len += (size_t)w;
    }
  }
  if (clash)
    sr_check_report_add(r, "held-out", "project", SR_CHECK_FAIL, clash,
                        /* TRANSLATORS: %s is a list of frame numbers ("12, 40"). */
                        SR_NG_("held-out frame %s is also in the training set; a held-out frame "
                               "must never be trained on",
                               "held-out frames %s are also in the training set; a held-out frame "
                               "must never be trained on",
                               clash),
                        list);
  else
    sr_check_report_add(r, "held-out", "project", SR_CHECK_PASS, n_held_out,
                        SR_NG_("%d held-out frame, none in the training set",
                               "%d held-out frames, none in the training set", n_held_out),
                        n_held_out);

  if (!has_preview)
    sr_check_report_add(r, "preview-frame", "project", SR_CHECK_WARN, 0.0,
                        SR_("no preview frame chosen; pick one frame that is not a training pair"));
  else if (first_listing(sp, n_pairs, preview) >= 0)
    sr_check_report_add(r, "preview-frame", "project", SR_CHECK_FAIL, preview,
                        SR_("preview frame %d is also a training pair; choose a frame the network "
                            "has not seen"),
                        preview);
  else
    sr_check_report_add(r, "preview-frame", "project", SR_CHECK_PASS, preview,
                        SR_("preview frame %d is not a training pair"), preview);
  free(sp);
  free(sh);
}
