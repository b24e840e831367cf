/* bench-quality — what the network buys over simpler answers, on held-out
 * frames.
 *
 * Trains on a pair set — the demo simulator's frames by default, or a
 * project's pairs and held-out frames (--project FILE) — and measures, on the
 * held-out frames, four results through the real Stage 4 chain (prep →
 * ΔY → merge back into the Source frame):
 *   Source    the Source unchanged
 *   unsharp   an unsharp mask on Y, radius and amount chosen on the
 *             training pairs (best PSNR-Y over a small grid)
 *   linear    the least-squares 9×9 luma filter + cubic tone curve fitted
 *             on the training pairs (sr-linear.h)
 *   model     the network trained on the same pairs (linear warm start
 *             unless --no-linear-start)
 *   model + regrain  the model's result with grain synthesised to what the
 *             Reference has and the model leaves out (sr-grain.h), both
 *             measured on the training pairs
 * Every number is QA's (sr-metrics.h), averaged over the held-out frames:
 * PSNR-Y, SSIM-Y, PSNR-Y after a per-frame gain/offset fit, HF correlation
 * and HF energy ratio against the Reference, the halo score, and the largest
 * and mean chroma change against the Source. Ends with the goals
 * checked line by line.
 *
 *   bench-quality [--model S|M|L] [--steps N] [--patch P] [--batch B]
 *                 [--threads T] [--lr X] [--size WxH] [--train N] [--held N]
 *                 [--reference-grain X] [--source-blur SIGMA]
 *                 [--no-linear-start] [--project FILE]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sr-checkpoint.h"
#include "sr-grain.h"
#include "sr-infer.h"
#include "sr-io.h"
#include "sr-linear.h"
#include "sr-metrics.h"
#include "sr-project.h"
#include "sr-simulator.h"
#include "sr-train.h"

static double
now(void)
{
  return (double)g_get_monotonic_time() / 1e6;
}

static void
fail(const char *what, const char *message)
{
  fprintf(stderr, "bench-quality: %s: %s\n", what, message);
  exit(1);
}

/* One frame as read: Source and Reference in their own colour spaces. */
typedef struct {
  int frame;
  sr_image *src, *ref;
} frame_pair;

typedef struct {
  frame_pair *train, *held;
  int n_train, n_held;
  sr_prep_settings prep;
  sr_image **clean_ref; /* the demo's held-out References without grain, or NULL */
  char origin[512];
} pair_set;

static void
simulated_set(pair_set *set, int w, int h, int n_train, int n_held, double ref_grain,
              double source_blur)
{
  sr_simulator_options so;
  sr_simulator_options_init(&so);
  so.width = w;
  so.height = h;
  if (ref_grain >= 0)
    so.reference_grain = ref_grain;
  if (source_blur >= 0)
    so.source_blur_sigma = source_blur;
  sr_prep_settings_init(&set->prep);
  set->prep.source_space = set->prep.reference_space = so.output_space;
  set->train = g_new0(frame_pair, n_train);
  set->held = g_new0(frame_pair, n_held);
  set->n_train = n_train;
  set->n_held = n_held;
  /* Held-out frames sit between the training frames, as an archivist picks
   * them: frames 0, 4, 8, ... train; 2, 10, 18, ... are held out. */
  sr_error err = {0};
  for (int i = 0; i < n_train + n_held; i++) {
    frame_pair *f = i < n_train ? &set->train[i] : &set->held[i - n_train];
    f->frame = i < n_train ? 4 * i : 8 * (i - n_train) + 2;
    if (!sr_simulator_render_frame(&so, f->frame, &f->src, &f->ref, &err))
      fail("simulator", err.message);
  }
  /* The same held-out frames without grain tell how much of the
   * Reference's high-frequency energy is grain at all. */
  so.grain = false;
  set->clean_ref = g_new0(sr_image *, n_held);
  for (int i = 0; i < n_held; i++) {
    sr_image *src = NULL;
    if (!sr_simulator_render_frame(&so, set->held[i].frame, &src, &set->clean_ref[i], &err))
      fail("simulator", err.message);
    sr_image_free(src);
  }
  snprintf(set->origin, sizeof set->origin,
           "demo simulator %dx%d, Source blur σ %g, grain on (Reference %g), seed %llu", w, h,
           so.source_blur_sigma, so.reference_grain, (unsigned long long)so.seed);
}

static void
read_frames(sr_sequence *s, sr_sequence *r, int offset, const GArray *frames, frame_pair **out,
            int *n)
{
  *n = (int)frames->len;
  *out = g_new0(frame_pair, frames->len + 1);
  sr_error err = {0};
  for (guint i = 0; i < frames->len; i++) {
    frame_pair *f = &(*out)[i];
    f->frame = g_array_index(frames, int, i);
    if (!(f->src = sr_sequence_read(s, f->frame, &err)) ||
        !(f->ref = sr_sequence_read(r, f->frame + offset, &err))) {
      char what[32];
      snprintf(what, sizeof what, "frame %d", f->frame);
      fail(what, err.message);
    }
  }
}

static void
project_set(pair_set *set, const char *path)
{
  GError *gerr = NULL;
  g_autoptr(GFile) file = g_file_new_for_path(path);
  SrProject *p = sr_project_load(file, &gerr);
  if (!p)
    fail(path, gerr->message);
  g_autofree char *src = sr_project_resolve_path(p, sr_project_get_source_pattern(p));
  g_autofree char *ref = sr_project_resolve_path(p, sr_project_get_reference_pattern(p));
  sr_sequence s = {0}, r = {0};
  sr_error err = {0};
  if (!src || !ref)
    fail(path, "the project names no Source or no Reference sequence");
  if (!sr_sequence_open(&s, src, &err) || !sr_sequence_open(&r, ref, &err))
    fail(path, err.message);
  if (sr_project_get_pairs(p)->len == 0 || sr_project_get_held_out(p)->len == 0)
    fail(path, "the project needs training pairs and held-out frames");
  sr_project_get_prep_settings(p, &set->prep);
  int offset = sr_project_get_reference_offset(p);
  read_frames(&s, &r, offset, sr_project_get_pairs(p), &set->train, &set->n_train);
  read_frames(&s, &r, offset, sr_project_get_held_out(p), &set->held, &set->n_held);
  sr_sequence_clear(&s);
  sr_sequence_clear(&r);
  snprintf(set->origin, sizeof set->origin, "project %s", path);
  g_object_unref(p);
}

static sr_pair *
build_pairs(const frame_pair *f, int n, const sr_prep_settings *prep)
{
  sr_pair *pairs = g_new0(sr_pair, n);
  sr_error err = {0};
  for (int i = 0; i < n; i++) {
    if (!sr_pair_build(f[i].src, f[i].ref, prep, &pairs[i], &err)) {
      char what[32];
      snprintf(what, sizeof what, "pair %d", f[i].frame);
      fail(what, err.message);
    }
    pairs[i].source_frame = pairs[i].reference_frame = f[i].frame;
  }
  return pairs;
}

/* ---- the unsharp mask -------------------------------------------------------- */

typedef struct {
  double sigma, amount;
} unsharp;

/* Separable Gaussian of a w×h plane (radius 3σ, edges replicated). */
static void
gaussian(const float *in, float *out, int w, int h, double sigma)
{
  int r = (int)ceil(3 * sigma);
  float *k = g_new(float, 2 * r + 1), *tmp = g_new(float, (size_t)w *h);
  double s = 0;
  for (int i = -r; i <= r; i++)
    s += k[i + r] = (float)exp(-0.5 * i * i / (sigma * sigma));
  for (int i = 0; i <= 2 * r; i++)
    k[i] /= (float)s;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float a = 0;
      for (int i = -r; i <= r; i++)
        a += k[i + r] * in[(size_t)y * w + CLAMP(x + i, 0, w - 1)];
      tmp[(size_t)y * w + x] = a;
    }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float a = 0;
      for (int i = -r; i <= r; i++)
        a += k[i + r] * tmp[(size_t)CLAMP(y + i, 0, h - 1) * w + x];
      out[(size_t)y * w + x] = a;
    }
  g_free(k);
  g_free(tmp);
}

static float *
luma_plane(const sr_image *img, sr_ycbcr_coeffs c)
{
  float *y = g_new(float, (size_t)img->width * img->height);
  sr_luma_plane(img, c, y);
  return y;
}

/* ΔY = amount · (Y − G_σ(Y)) of a prepared input, one channel. */
static sr_image *
unsharp_delta(const sr_image *in, const unsharp *u, sr_ycbcr_coeffs c)
{
  int w = in->width, h = in->height;
  sr_image *dy = sr_image_new(w, h, 1, NULL);
  float *y = luma_plane(in, c), *b = g_new(float, (size_t)w *h);
  gaussian(y, b, w, h, u->sigma);
  for (size_t i = 0; i < (size_t)w * h; i++)
    dy->pixels[i] = (float)u->amount * (y[i] - b[i]);
  dy->data_window = in->data_window;
  dy->display_window = in->display_window;
  g_free(y);
  g_free(b);
  return dy;
}

/* The radius and amount with the best mean PSNR-Y on the training pairs. */
static unsharp
tune_unsharp(const sr_pair *pairs, int n, sr_ycbcr_coeffs c)
{
  static const double sigmas[] = {0.7, 1.0, 1.5, 2.0, 3.0};
  static const double amounts[] = {0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0};
  double best_db = -INFINITY;
  unsharp best = {1.0, 0.0};
  for (size_t si = 0; si < G_N_ELEMENTS(sigmas); si++)
    for (size_t ai = 0; ai < G_N_ELEMENTS(amounts); ai++) {
      unsharp u = {sigmas[si], amounts[ai]};
      double db = 0;
      for (int i = 0; i < n; i++) {
        const sr_image *in = pairs[i].input;
        size_t px = (size_t)in->width * in->height;
        sr_image *dy = unsharp_delta(in, &u, c);
        float *y = luma_plane(in, c), *g = luma_plane(pairs[i].ground_truth, c);
        for (size_t k = 0; k < px; k++)
          y[k] += dy->pixels[k];
        db += sr_qa_psnr(y, g, in->width, in->height);
        g_free(y);
        g_free(g);
        sr_image_free(dy);
      }
      if (db / n > best_db) {
        best_db = db / n;
        best = u;
      }
    }
  return best;
}

/* ---- measuring --------------------------------------------------------------- */

enum { M_SOURCE, M_UNSHARP, M_LINEAR, M_MODEL, M_REGRAIN, N_METHODS };
static const char *method_names[N_METHODS] = {"Source", "unsharp", "linear", "model",
                                              "model + regrain"};

typedef struct {
  double psnr, ssim, psnr_tone, hf_corr, hf_ratio, halo, chroma_max, chroma_mean;
} scores;

static void
add_scores(scores *s, const sr_qa_frame *q, int n)
{
  s->psnr += q->psnr / n;
  s->ssim += q->ssim / n;
  s->psnr_tone += q->psnr_tone_fit / n;
  s->hf_corr += q->hf_correlation / n;
  s->hf_ratio += pow(10.0, q->hf_vs_reference_db / 10.0) / n;
  s->halo += q->halo_score / n;
  s->chroma_max = fmax(s->chroma_max, q->chroma_max);
  s->chroma_mean += 0.5 * (q->dcb_mean + q->dcr_mean) / n;
}

/* The output frame of one method for one held-out Source frame. */
static sr_image *
render(int method, const frame_pair *f, const sr_prep_settings *prep, const unsharp *u,
       const sr_linear *lin, sr_unet *net, const sr_regrain *grain)
{
  sr_error err = {0};
  if (method == M_SOURCE)
    return sr_image_copy(f->src, NULL);
  if (method == M_MODEL) {
    sr_image *out = sr_infer_frame(net, f->src, prep, NULL, &err);
    if (!out)
      fail("model", err.message);
    return out;
  }
  sr_image *in = sr_prep_source(f->src, prep, &err);
  if (!in)
    fail("prep", err.message);
  sr_image *dy;
  if (method == M_UNSHARP) {
    dy = unsharp_delta(in, u, lin->luma);
  } else if (method == M_REGRAIN) {
    dy = sr_infer_delta(net, in, NULL, &err);
    if (!dy || !sr_regrain_add(grain, f->frame, in->pixels, lin->luma, in->width, in->height,
                               dy->pixels, &err))
      fail("regrain", err.message);
  } else {
    dy = sr_image_new(in->width, in->height, 1, &err);
    dy->data_window = in->data_window;
    dy->display_window = in->display_window;
    if (!sr_linear_delta(lin, in->pixels, 1, in->width, in->height, dy->pixels, false, &err))
      fail("linear", err.message);
  }
  sr_image *out = sr_merge_recovered(f->src, dy, prep, &err);
  if (!out)
    fail("merge", err.message);
  sr_image_free(dy);
  sr_image_free(in);
  return out;
}

/* Adds a held-out output's grain (and, given ref, the Reference's) to
 * profiles, in the training domain, flat areas from the prepared Source. */
static void
measure_grain(sr_grain_profile *p, sr_grain_profile *ref, sr_grain_profile *added, float **model_y,
              const sr_image *out, const sr_pair *pair, const sr_prep_settings *prep,
              sr_ycbcr_coeffs c)
{
  sr_error err = {0};
  sr_image *in = sr_prep_source(out, prep, &err);
  if (!in)
    fail("prep", err.message);
  float *ys = luma_plane(pair->input, c), *yo = luma_plane(in, c);
  int w = in->width, h = in->height;
  if (!sr_grain_measure(p, yo, ys, w, h, &err))
    fail("grain", err.message);
  /* The model's result comes first; with it, the regrained result's
   * difference from it is the grain as added, after the merge's limits. */
  if (!added) {
    g_free(*model_y);
    *model_y = yo;
    yo = NULL;
  } else if (*model_y) {
    for (size_t k = 0; k < (size_t)w * h; k++)
      yo[k] -= (*model_y)[k];
    if (!sr_grain_measure(added, yo, ys, w, h, &err))
      fail("grain", err.message);
  }
  if (ref) {
    float *yr = luma_plane(pair->ground_truth, c);
    if (!sr_grain_measure(ref, yr, ys, w, h, &err))
      fail("grain", err.message);
    g_free(yr);
  }
  g_free(ys);
  g_free(yo);
  sr_image_free(in);
}

static void
load_average(char *out, size_t n)
{
  g_autofree char *text = NULL;
  if (g_file_get_contents("/proc/loadavg", &text, NULL, NULL))
    snprintf(out, n, "%.*s", (int)strcspn(text, " \n") + 10, text);
  else
    snprintf(out, n, "unknown");
}

int
main(int argc, char **argv)
{
  char *model = NULL, *size = NULL, *project = NULL;
  int steps = 3000, patch = 128, batch = 3, threads = 2, n_train = 8, n_held = 4;
  double lr = 2e-4, ref_grain = -1, source_blur = -1;
  gboolean no_linear = FALSE;
  GOptionEntry entries[] = {
      {"model", 0, 0, G_OPTION_ARG_STRING, &model, "S, M or L (S)", "SIZE"},
      {"steps", 0, 0, G_OPTION_ARG_INT, &steps, "training steps (3000)", "N"},
      {"patch", 0, 0, G_OPTION_ARG_INT, &patch, "patch (128)", "P"},
      {"batch", 0, 0, G_OPTION_ARG_INT, &batch, "batch (3)", "B"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "CPU threads (2)", "T"},
      {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "learning rate (2e-4)", "X"},
      {"size", 0, 0, G_OPTION_ARG_STRING, &size, "demo frame size (480x270)", "WxH"},
      {"train", 0, 0, G_OPTION_ARG_INT, &n_train, "demo training frames (8)", "N"},
      {"held", 0, 0, G_OPTION_ARG_INT, &n_held, "demo held-out frames (4)", "N"},
      {"reference-grain", 0, 0, G_OPTION_ARG_DOUBLE, &ref_grain,
       "demo Reference's grain at exposure 1 (0.012)", "X"},
      {"source-blur", 0, 0, G_OPTION_ARG_DOUBLE, &source_blur,
       "demo Source's Gaussian blur, pixels (1.5)", "SIGMA"},
      {"no-linear-start", 0, 0, G_OPTION_ARG_NONE, &no_linear, "train without the linear branch",
       NULL},
      {"project", 0, 0, G_OPTION_ARG_FILENAME, &project, "a project's pairs instead of the demo",
       "FILE"},
      {NULL}};
  GError *gerr = NULL;
  GOptionContext *ctx = g_option_context_new("— quality on held-out frames");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, &gerr))
    fail("options", gerr->message);
  g_option_context_free(ctx);
  int w = 480, h = 270;
  if (size && sscanf(size, "%dx%d", &w, &h) != 2)
    fail("--size", "expected WxH");
  sr_train_config cfg;
  sr_train_config_init(&cfg);
  cfg.model_size = SR_UNET_S;
  if (model && !sr_unet_size_from_id(model, &cfg.model_size))
    fail("--model", "expected S, M or L");
  if (source_blur != -1 && !(source_blur >= 0 && source_blur <= 8))
    fail("--source-blur", "expected a sigma from 0 to 8 pixels");
  if (n_train < 1 || n_held < 1 || steps < 1)
    fail("options", "need at least one training frame, one held-out frame and one step");

  pair_set set = {0};
  if (project)
    project_set(&set, project);
  else
    simulated_set(&set, w, h, n_train, n_held, ref_grain, source_blur);
  sr_pair *pairs = build_pairs(set.train, set.n_train, &set.prep);
  sr_pair *held = build_pairs(set.held, set.n_held, &set.prep);
  sr_ycbcr_coeffs yc = sr_ycbcr_coefficients(set.prep.matrix);
  sr_error err = {0};
  char load0[64], load1[64];
  load_average(load0, sizeof load0);

  double t0 = now();
  sr_linear lin;
  if (!sr_linear_fit(pairs, set.n_train, set.prep.matrix, &lin, &err))
    fail("linear fit", err.message);
  double t_fit = now() - t0;
  t0 = now();
  unsharp u = tune_unsharp(pairs, set.n_train, yc);
  double t_usm = now() - t0;

  cfg.patch = patch;
  cfg.batch = batch;
  cfg.steps = steps;
  cfg.checkpoint_every = steps;
  cfg.contact_sheet_every = 0;
  cfg.learning_rate = lr;
  cfg.threads = threads;
  cfg.linear_start = !no_linear;
  snprintf(cfg.backend, sizeof cfg.backend, "cpu");
  sr_train_data data = {.pairs = pairs,
                        .n_pairs = set.n_train,
                        .held_out = held,
                        .n_held_out = set.n_held,
                        .preview_frame = -1,
                        .prep = set.prep};
  char *dir = g_dir_make_tmp("bench-quality-XXXXXX", NULL);
  sr_train_result tr;
  t0 = now();
  if (!sr_train_run(&cfg, &data, dir, NULL, NULL, &tr, &err))
    fail("training", err.message);
  double t_train = now() - t0;
  sr_backend *be = sr_backend_cpu_create(threads, &err);
  sr_unet *net = be ? sr_checkpoint_load(tr.checkpoint_path, be, NULL, NULL, &err) : NULL;
  if (!net)
    fail(tr.checkpoint_path, err.message);

  /* Regrain: the Reference's grain over the training pairs against what the
   * model leaves of it on the same pairs. */
  t0 = now();
  sr_grain_profile g_ref, g_out;
  sr_grain_profile_init(&g_ref);
  sr_grain_profile_init(&g_out);
  for (int i = 0; i < set.n_train; i++) {
    const sr_image *in = pairs[i].input;
    sr_image *dy = sr_infer_delta(net, in, NULL, &err);
    if (!dy)
      fail("model", err.message);
    float *ys = luma_plane(in, yc), *yr = luma_plane(pairs[i].ground_truth, yc);
    float *yo = g_new(float, (size_t)in->width * in->height);
    for (size_t k = 0; k < (size_t)in->width * in->height; k++)
      yo[k] = CLAMP(ys[k] + dy->pixels[k], 0.0f, 1.0f);
    if (!sr_grain_measure(&g_ref, yr, ys, in->width, in->height, &err) ||
        !sr_grain_measure(&g_out, yo, ys, in->width, in->height, &err))
      fail("grain", err.message);
    g_free(ys);
    g_free(yr);
    g_free(yo);
    sr_image_free(dy);
  }
  sr_regrain grain;
  if (!sr_regrain_plan(&grain, &g_ref, &g_out, 1, &err))
    fail("regrain", err.message);
  double t_grain = now() - t0;

  sr_qa_context *qa = sr_qa_context_new(&set.prep, &err);
  if (!qa)
    fail("QA", err.message);
  scores s[N_METHODS] = {0};
  double ref_halo = 0;
  /* Grain on the held-out frames, measured as regrain measures it: the
   * Reference's, the model's and the regrained result's. */
  sr_grain_profile h_ref, h_model, h_regrain, h_added;
  float *model_y = NULL;
  sr_grain_profile_init(&h_added);
  sr_grain_profile_init(&h_ref);
  sr_grain_profile_init(&h_model);
  sr_grain_profile_init(&h_regrain);
  sr_qa_options qo = {.fidelity = true, .held_out = true};
  for (int i = 0; i < set.n_held; i++)
    for (int m = 0; m < N_METHODS; m++) {
      sr_image *out = render(m, &set.held[i], &set.prep, &u, &lin, net, &grain);
      sr_qa_frame q;
      if (!sr_qa_measure_frame(qa, set.held[i].frame, out, set.held[i].src, set.held[i].ref, &qo,
                               &q, &err))
        fail("QA", err.message);
      add_scores(&s[m], &q, set.n_held);
      if (m == M_MODEL || m == M_REGRAIN)
        measure_grain(m == M_MODEL ? &h_model : &h_regrain, m == M_MODEL ? &h_ref : NULL,
                      m == M_MODEL ? NULL : &h_added, &model_y, out, &held[i], &set.prep, yc);
      if (m == M_SOURCE)
        ref_halo += q.reference_halo_score / set.n_held;
      sr_image_free(out);
    }
  load_average(load1, sizeof load1);
  g_free(model_y);
  double planned = 0;
  for (int k = 0; k < SR_GRAIN_BLOCK * SR_GRAIN_BLOCK; k++)
    planned += fmax(g_ref.nps_sum[k] / g_ref.blocks - g_out.nps_sum[k] / g_out.blocks, 0.0);

  printf("pairs: %s; %d training, %d held-out frames\n", set.origin, set.n_train, set.n_held);
  printf("model %s, patch %d, batch %d, %d steps, lr %g, %d threads, linear start %s\n",
         sr_unet_size_id(cfg.model_size), patch, batch, steps, lr, threads,
         no_linear ? "off" : "on");
  printf("times: linear fit %.2f s, unsharp tuning %.1f s (sigma %.1f, amount %.2f), training "
         "%.0f s (%.1f steps/s)\n",
         t_fit, t_usm, u.sigma, u.amount, t_train, steps / t_train);
  printf("grain: Reference variance %.3g, model's %.3g in %d flat blocks; measured and planned "
         "in %.1f s\n",
         sr_grain_variance(&g_ref), sr_grain_variance(&g_out), g_ref.blocks, t_grain);
  printf("load average: before %s, after %s\n", load0, load1);
  printf("held-out grain (flat-area variance, sr-grain): Reference %.3g, model %.3g, model + "
         "regrain %.3g; bands 1-%d:\n",
         sr_grain_variance(&h_ref), sr_grain_variance(&h_model), sr_grain_variance(&h_regrain),
         SR_GRAIN_BANDS - 1);
  for (int b = 1; b < SR_GRAIN_BANDS; b++)
    printf("  band %d: Reference %.3g, model %.3g, model + regrain %.3g\n", b,
           sr_grain_band(&h_ref, b), sr_grain_band(&h_model, b), sr_grain_band(&h_regrain, b));
  printf("grain as planned on the training pairs %.3g, as added on the held-out frames' flat "
         "blocks %.3g (the regrained result less the model's)\n",
         planned, sr_grain_variance(&h_added));
  /* Per level, the added grain is the regrained result's less the
   * model's, each filed under its own blocks' mean luma (the difference
   * image alone has mean 0 and would file every block under level 0). */
  printf("per luma level (blocks' mean): Reference's grain / added / blocks\n");
  for (int l = 0; l < SR_GRAIN_LEVELS; l++)
    printf("  level %d: %.3g / %.3g / %d\n", l, sr_grain_level(&h_ref, l),
           sr_grain_level(&h_regrain, l) - sr_grain_level(&h_model, l), h_ref.level_blocks[l]);
  if (set.clean_ref) {
    /* HF energy as QA defines it (à-trous bands 0 and 1, whole crop). */
    double hf_ref = 0, hf_grain = 0, hf_clean = 0;
    for (int i = 0; i < set.n_held; i++) {
      sr_pair clean = {0};
      if (!sr_pair_build(set.held[i].src, set.clean_ref[i], &set.prep, &clean, &err))
        fail("pair", err.message);
      int pw = clean.ground_truth->width, ph = clean.ground_truth->height;
      float *yg = luma_plane(held[i].ground_truth, yc), *ycl = luma_plane(clean.ground_truth, yc);
      double e[3];
      sr_qa_band_energies(yg, pw, ph, e);
      hf_ref += e[0] + e[1];
      sr_qa_band_energies(ycl, pw, ph, e);
      hf_clean += e[0] + e[1];
      for (size_t k = 0; k < (size_t)pw * ph; k++)
        yg[k] -= ycl[k];
      sr_qa_band_energies(yg, pw, ph, e);
      hf_grain += e[0] + e[1];
      g_free(yg);
      g_free(ycl);
      sr_pair_clear(&clean);
    }
    printf("Reference HF energy on the held-out frames: its grain alone %.3f of it, the "
           "grain-free Reference %.3f of it\n",
           hf_grain / hf_ref, hf_clean / hf_ref);
  }
  printf("\n");
  printf("| result | PSNR-Y dB | SSIM-Y | PSNR-Y tone-fit dB | HF corr | HF energy / Ref | halo | "
         "chroma max | chroma mean |\n");
  printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (int m = 0; m < N_METHODS; m++)
    printf("| %s | %.2f | %.4f | %.2f | %.3f | %.3f | %.4f | %.1e | %.1e |\n", method_names[m],
           s[m].psnr, s[m].ssim, s[m].psnr_tone, s[m].hf_corr, s[m].hf_ratio, s[m].halo,
           s[m].chroma_max, s[m].chroma_mean);
  printf("| Reference | | | | 1 | 1 | %.4f | | |\n\n", ref_halo);
  const scores *mo = &s[M_MODEL], *li = &s[M_LINEAR], *so = &s[M_SOURCE];
  double gain = mo->psnr - li->psnr;
  printf("goal: model - linear PSNR-Y >= 0.5 dB: %+.2f dB: %s\n", gain,
         gain >= 0.5 ? "met" : "not met");
  printf("goal: HF correlation >= linear's: %.3f vs %.3f: %s\n", mo->hf_corr, li->hf_corr,
         mo->hf_corr >= li->hf_corr ? "met" : "not met");
  /* QA's halo score is the overshoot beyond the Source's own local range,
   * so the Source scores 0 by construction; the Reference, measured the
   * same way, is the scale a recovered frame should stay within. */
  printf("goal: halo <= 1.5x (Source's is %.4f by definition; checked against the Reference's): "
         "%.4f vs %.4f: %s\n",
         so->halo, mo->halo, ref_halo, mo->halo <= 1.5 * ref_halo ? "met" : "not met");
  const scores *rg = &s[M_REGRAIN];
  printf("goal: with regrain, HF energy within 10 %% of the Reference's: %.3f (without %.3f): "
         "%s\n",
         rg->hf_ratio, mo->hf_ratio, fabs(rg->hf_ratio - 1) <= 0.1 ? "met" : "not met");

  sr_qa_context_free(qa);
  sr_unet_free(net);
  sr_backend_close(be);
  /* The run's own folder: checkpoints only. */
  g_autofree char *ck_dir = g_build_filename(dir, "checkpoints", NULL);
  GDir *d = g_dir_open(ck_dir, 0, NULL);
  for (const char *name; d && (name = g_dir_read_name(d));) {
    g_autofree char *p = g_build_filename(ck_dir, name, NULL);
    g_remove(p);
  }
  if (d)
    g_dir_close(d);
  g_rmdir(ck_dir);
  g_rmdir(dir);
  g_free(dir);
  for (int i = 0; i < set.n_train; i++) {
    sr_pair_clear(&pairs[i]);
    sr_image_free(set.train[i].src);
    sr_image_free(set.train[i].ref);
  }
  for (int i = 0; i < set.n_held; i++) {
    if (set.clean_ref)
      sr_image_free(set.clean_ref[i]);
    sr_pair_clear(&held[i]);
    sr_image_free(set.held[i].src);
    sr_image_free(set.held[i].ref);
  }
  g_free(pairs);
  g_free(held);
  g_free(set.train);
  g_free(set.held);
  g_free(set.clean_ref);
  g_free(model);
  g_free(size);
  g_free(project);
  return 0;
}
