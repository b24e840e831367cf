#include "sr-train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sr-fs.h"
#include "sr-infer.h"
#include "sr-io.h"
#include "sr-loss-log.h"
#include "sr-json.h"
#include "sr-metrics.h"
#include "sr-memory.h"
#include "sr-rng.h"
#include "sr-sha256.h"
#include "sr-i18n.h"

/* ---- configuration --------------------------------------------------------- */

void
sr_train_config_init(sr_train_config *c)
{
  memset(c, 0, sizeof *c);
  c->model_size = SR_UNET_M;
  c->patch = 512;
  c->batch = 3;
  c->steps = 40000;
  c->checkpoint_every = 10000;
  c->contact_sheet_every = 100;
  c->learning_rate = 2e-4;
  c->warmup_steps = 1000;
  c->cosine_decay = true;
  c->linear_start = true;
  c->flip = true;
  c->exposure_jitter = false;
  c->scale_jitter = false;
  c->translate_px = 4;
  c->seed = 1;
  snprintf(c->backend, sizeof c->backend, "auto");
}

bool
sr_train_config_validate(const sr_train_config *c, int crop_w, int crop_h, sr_error *err)
{
  int mult = sr_unet_size_multiple(c->model_size);
  if (c->patch < mult || c->patch > 4096 || c->patch % mult != 0) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("patch %d: must be a multiple of %d between %d and 4096 for the %s model"),
                 c->patch, mult, mult, sr_unet_size_id(c->model_size));
    return false;
  }
  if (crop_w > 0 && crop_h > 0 && (c->patch > crop_w || c->patch > crop_h)) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("patch %d is larger than the crop (%d×%d): choose a patch of at most %d"),
                 c->patch, crop_w, crop_h, (crop_w < crop_h ? crop_w : crop_h) / mult * mult);
    return false;
  }
  if (c->batch < 1 || c->batch > 64) {
    sr_error_set(err, SR_ERR_INVALID, SR_("batch %d: must be 1 to 64"), c->batch);
    return false;
  }
  if (c->steps < 1 || c->steps > 100000000) {
    sr_error_set(err, SR_ERR_INVALID, SR_("steps %lld: must be 1 to 100000000"),
                 (long long)c->steps);
    return false;
  }
  if (c->checkpoint_every < 1 || c->contact_sheet_every < 0 || c->warmup_steps < 0) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("checkpoint-every must be at least 1, contact-sheet-every and warm-up at "
                     "least 0"));
    return false;
  }
  if (!(c->learning_rate > 0 && c->learning_rate < 1)) {
    sr_error_set(err, SR_ERR_INVALID, SR_("learning rate %g: must be between 0 and 1"),
                 c->learning_rate);
    return false;
  }
  if (!(c->translate_px >= 0 && c->translate_px <= 256)) {
    sr_error_set(err, SR_ERR_INVALID, SR_("translate %g px: must be 0 to 256"), c->translate_px);
    return false;
  }
  if (strcmp(c->backend, "auto") != 0 && strcmp(c->backend, "cpu") != 0 &&
      strcmp(c->backend, "cuda") != 0) {
    sr_error_set(err, SR_ERR_INVALID, SR_("backend \"%s\": must be auto, cpu or cuda"), c->backend);
    return false;
  }
  return true;
}

char *
sr_train_config_to_json(const sr_train_config *c)
{
  sr_json *o = sr_json_new_object();
  bool ok = o && sr_json_set_string(o, "model_size", sr_unet_size_id(c->model_size)) &&
            sr_json_set_int(o, "patch", c->patch) && sr_json_set_int(o, "batch", c->batch) &&
            sr_json_set_int(o, "steps", c->steps) &&
            sr_json_set_int(o, "checkpoint_every", c->checkpoint_every) &&
            sr_json_set_int(o, "contact_sheet_every", c->contact_sheet_every) &&
            sr_json_set_number(o, "learning_rate", c->learning_rate) &&
            sr_json_set_int(o, "warmup_steps", c->warmup_steps) &&
            sr_json_set_bool(o, "cosine_decay", c->cosine_decay) &&
            sr_json_set_bool(o, "linear_start", c->linear_start) &&
            sr_json_set_bool(o, "flip", c->flip) &&
            sr_json_set_bool(o, "exposure_jitter", c->exposure_jitter) &&
            sr_json_set_bool(o, "scale_jitter", c->scale_jitter) &&
            sr_json_set_number(o, "translate_px", c->translate_px) &&
            sr_json_set_string(o, "loss", "charbonnier-y") &&
            sr_json_set_string(o, "optimizer", "adam") &&
            sr_json_set_string(o, "backend", c->backend);
  /* As a string: JSON numbers do not carry a full 64-bit seed exactly. */
  char seed[32];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
  ok = ok && sr_json_set_string(o, "seed", seed);
  char *s = ok ? sr_json_write(o, NULL) : NULL;
  sr_json_free(o);
  return s;
}

bool
sr_train_config_from_json(sr_train_config *c, const char *json, sr_error *err)
{
  sr_json *o = sr_json_parse(json, strlen(json), SR_("training configuration"), NULL, err);
  if (!o)
    return false;
  if (o->type != SR_JSON_OBJECT) {
    sr_json_free(o);
    sr_error_set(err, SR_ERR_FORMAT, SR_("training configuration: not a JSON object"));
    return false;
  }
  const char *s = sr_json_get_string(o, "model_size");
  if (s && !sr_unet_size_from_id(s, &c->model_size)) {
    sr_json_free(o);
    sr_error_set(err, SR_ERR_FORMAT, SR_("training configuration: model_size \"%s\" is unknown"),
                 s);
    return false;
  }
  int64_t v;
  if (sr_json_get_int(o, "patch", &v))
    c->patch = (int)v;
  if (sr_json_get_int(o, "batch", &v))
    c->batch = (int)v;
  sr_json_get_int(o, "steps", &c->steps);
  sr_json_get_int(o, "checkpoint_every", &c->checkpoint_every);
  sr_json_get_int(o, "contact_sheet_every", &c->contact_sheet_every);
  sr_json_get_number(o, "learning_rate", &c->learning_rate);
  sr_json_get_int(o, "warmup_steps", &c->warmup_steps);
  sr_json_get_bool(o, "cosine_decay", &c->cosine_decay);
  sr_json_get_bool(o, "linear_start", &c->linear_start);
  sr_json_get_bool(o, "flip", &c->flip);
  sr_json_get_bool(o, "exposure_jitter", &c->exposure_jitter);
  sr_json_get_bool(o, "scale_jitter", &c->scale_jitter);
  sr_json_get_number(o, "translate_px", &c->translate_px);
  if ((s = sr_json_get_string(o, "seed")))
    c->seed = strtoull(s, NULL, 10);
  if ((s = sr_json_get_string(o, "backend")))
    snprintf(c->backend, sizeof c->backend, "%s", s);
  sr_json_free(o);
  return true;
}

int64_t
sr_train_warmup(const sr_train_config *c)
{
  if (c->warmup_steps <= 0 || c->steps <= 0)
    return 0;
  /* ceil(5 % of the run), at least one step, at most the configured cap. */
  int64_t share = (c->steps * SR_TRAIN_WARMUP_PERCENT + 99) / 100;
  return share < c->warmup_steps ? share : c->warmup_steps;
}

double
sr_train_lr(const sr_train_config *c, int64_t t)
{
  int64_t warm = sr_train_warmup(c);
  if (warm > 0 && t <= warm)
    return c->learning_rate * (double)t / (double)warm;
  if (!c->cosine_decay || c->steps <= warm)
    return c->learning_rate;
  /* lr · ½(1 + cos(π·progress)) from the end of warm-up to the last step. */
  double p = (double)(t - warm) / (double)(c->steps - warm);
  if (p > 1)
    p = 1;
  return c->learning_rate * 0.5 * (1.0 + cos(M_PI * p));
}

/* ---- data hash and metrics -------------------------------------------------- */

static void
hash_u32(sr_sha256 *ctx, uint32_t v)
{
  uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  sr_sha256_update(ctx, le, 4);
}

static void
hash_image(sr_sha256 *ctx, const sr_image *img)
{
  hash_u32(ctx, (uint32_t)img->width);
  hash_u32(ctx, (uint32_t)img->height);
  hash_u32(ctx, (uint32_t)img->channels);
  size_t n = sr_image_n_floats(img);
  for (size_t i = 0; i < n; i++) {
    uint32_t u;
    memcpy(&u, &img->pixels[i], 4);
    hash_u32(ctx, u);
  }
}

void
sr_train_data_hash(const sr_train_data *d, char out[65])
{
  sr_sha256 ctx;
  sr_sha256_init(&ctx);
  hash_u32(&ctx, (uint32_t)d->n_pairs);
  for (int i = 0; i < d->n_pairs; i++) {
    hash_u32(&ctx, (uint32_t)d->pairs[i].source_frame);
    hash_u32(&ctx, (uint32_t)d->pairs[i].reference_frame);
    hash_image(&ctx, d->pairs[i].input);
    hash_image(&ctx, d->pairs[i].ground_truth);
  }
  uint8_t dg[32];
  sr_sha256_final(&ctx, dg);
  sr_sha256_hex(dg, out);
}

/* ---- patches and augmentation --------------------------------------------- */

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

static void
bilinear(const sr_image *img, double x, double y, float out[3])
{
  int x0 = (int)floor(x), y0 = (int)floor(y);
  double fx = x - x0, fy = y - y0;
  const float *p00 = sr_image_row(img, reflect(y0, img->height)) + 3 * reflect(x0, img->width);
  const float *p01 = sr_image_row(img, reflect(y0, img->height)) + 3 * reflect(x0 + 1, img->width);
  const float *p10 = sr_image_row(img, reflect(y0 + 1, img->height)) + 3 * reflect(x0, img->width);
  const float *p11 =
      sr_image_row(img, reflect(y0 + 1, img->height)) + 3 * reflect(x0 + 1, img->width);
  for (int c = 0; c < 3; c++)
    out[c] = (float)((1 - fy) * ((1 - fx) * p00[c] + fx * p01[c]) +
                     fy * ((1 - fx) * p10[c] + fx * p11[c]));
}

/* Draws one augmented patch pair into src/gt (P×P×3 each). Both images go
 * through the same geometry and gain, so they still differ only in luma. */
static void
sample_patch(const sr_train_config *c, const sr_pair *pair, sr_rng *rng, float *src, float *gt)
{
  const sr_image *in = pair->input, *tr = pair->ground_truth;
  int P = c->patch, w = in->width, h = in->height;
  double scale = c->scale_jitter ? 1.0 + (sr_rng_uniform(rng) * 2 - 1) * 0.05 : 1.0;
  int region = (int)lround(P * scale);
  int maxr = w < h ? w : h;
  if (region > maxr)
    region = maxr;
  int x0 = (int)sr_rng_below(rng, (uint32_t)(w - region + 1));
  int y0 = (int)sr_rng_below(rng, (uint32_t)(h - region + 1));
  if (c->translate_px > 0) {
    /* Shifts the window; where it leaves the frame the picture is mirrored,
     * which matters when the patch is as large as the crop. */
    int t = (int)c->translate_px;
    x0 += (int)sr_rng_below(rng, (uint32_t)(2 * t + 1)) - t;
    y0 += (int)sr_rng_below(rng, (uint32_t)(2 * t + 1)) - t;
  }
  bool flip = c->flip && (sr_rng_next(rng) >> 63);
  float gain = c->exposure_jitter ? (float)(1.0 + (sr_rng_uniform(rng) * 2 - 1) * 0.1) : 1.0f;
  for (int y = 0; y < P; y++) {
    for (int x = 0; x < P; x++) {
      int xs = flip ? P - 1 - x : x;
      float *so = src + ((size_t)y * (size_t)P + (size_t)x) * 3;
      float *go = gt + ((size_t)y * (size_t)P + (size_t)x) * 3;
      if (region == P) {
        const float *ps = sr_image_row(in, reflect(y0 + y, h)) + 3 * reflect(x0 + xs, w);
        const float *pg = sr_image_row(tr, reflect(y0 + y, h)) + 3 * reflect(x0 + xs, w);
        for (int k = 0; k < 3; k++) {
          so[k] = ps[k] * gain;
          go[k] = pg[k] * gain;
        }
      } else {
        double f = (double)region / P;
        double sx = x0 + (xs + 0.5) * f - 0.5, sy = y0 + (y + 0.5) * f - 0.5;
        bilinear(in, sx, sy, so);
        bilinear(tr, sx, sy, go);
        for (int k = 0; k < 3; k++) {
          so[k] *= gain;
          go[k] *= gain;
        }
      }
    }
  }
}

void
sr_train_sample_batch(const sr_train_config *c, const sr_train_data *d, int64_t t, sr_rng *rng,
                      float *src, float *gt)
{
  size_t pp = (size_t)c->patch * (size_t)c->patch;
  for (int b = 0; b < c->batch; b++) {
    /* Pairs in turn, so every pair contributes evenly to every stretch. */
    const sr_pair *pair = &d->pairs[((t - 1) * c->batch + b) % d->n_pairs];
    sample_patch(c, pair, rng, src + (size_t)b * pp * 3, gt + (size_t)b * pp * 3);
  }
}

/* ---- the run ------------------------------------------------------------------ */

static double
now_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct run {
  const sr_train_config *cfg;
  const sr_train_data *data;
  const sr_train_callbacks *cb;
  const char *out_dir;
  sr_backend *be;
  sr_unet *net;
  sr_unet_workspace *ws;
  sr_rng rng;
  float *src, *gt, *delta;
  float *target;      /* what the network learns: gt, less ΔY_lin with a linear branch */
  sr_pair *res_pairs; /* the pairs with ΔY_lin taken off the ground truth, or NULL */
  sr_train_data res_data;
  char *config_json;
  char data_hash[65];
  double loss_avg;
  sr_train_result *result;
  sr_loss_log *loss_log; /* <out_dir>/loss.tsv */
} run;

static void
clamp_add(const float *src, const float *dy, float *out, size_t n)
{
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < 3; c++) {
      float v = src[3 * i + c] + dy[i];
      out[3 * i + c] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
}

static bool
write_contact_sheet(run *r, int64_t step, sr_error *err)
{
  int P = r->cfg->patch, n = r->cfg->batch < 4 ? r->cfg->batch : 4;
  const sr_linear *lin = sr_unet_get_linear(r->net);
  if (!sr_unet_infer_host(r->net, r->ws, r->src, r->delta, err) ||
      (lin && !sr_linear_delta(lin, r->src, r->cfg->batch, P, P, r->delta, true, err)))
    return false;
  sr_image *sheet = sr_image_new(3 * P, n * P, 3, err);
  if (!sheet)
    return false;
  size_t pp = (size_t)P * (size_t)P;
  float *outp = malloc(pp * 3 * sizeof *outp);
  if (!outp) {
    sr_image_free(sheet);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory for the contact sheet"));
    return false;
  }
  for (int b = 0; b < n; b++) {
    const float *s = r->src + (size_t)b * pp * 3, *g = r->gt + (size_t)b * pp * 3;
    clamp_add(s, r->delta + (size_t)b * pp, outp, pp);
    const float *cols[3] = {s, g, outp};
    for (int y = 0; y < P; y++)
      for (int col = 0; col < 3; col++) {
        float *dst = sr_image_row(sheet, b * P + y) + (size_t)col * P * 3;
        const float *from = cols[col] + (size_t)y * P * 3;
        for (int k = 0; k < P * 3; k++)
          dst[k] = from[k] < 0 ? 0 : from[k] > 1 ? 1 : from[k];
      }
  }
  free(outp);
  char name[64];
  snprintf(name, sizeof name, "contact/step_%06lld.png", (long long)step);
  char *path = sr_path_join(r->out_dir, name);
  char *dir = path ? sr_path_dirname(path) : NULL;
  sr_write_options wo;
  sr_write_options_init(&wo);
  wo.bit_depth = 8;
  bool ok = path && dir && sr_mkdir_p(dir, err) && sr_image_write(path, sheet, &wo, err);
  if (ok && r->cb && r->cb->contact_sheet)
    r->cb->contact_sheet(r->cb->user, step, sheet, path);
  free(dir);
  free(path);
  sr_image_free(sheet);
  return ok;
}

/* Mean held-out PSNR/SSIM of Y against the ground truth, before (Source)
 * and after (output), by QA's definitions (sr-metrics.h); a frame the model
 * leaves identical to its ground truth makes the mean PSNR infinite. */
static bool
evaluate(run *r, sr_train_eval *e, sr_error *err)
{
  e->psnr_before = e->psnr_after = e->ssim_before = e->ssim_after = NAN;
  e->n_held_out = r->data->n_held_out;
  if (r->data->n_held_out == 0)
    return true;
  double pb = 0, pa = 0, sb = 0, sa = 0;
  for (int i = 0; i < r->data->n_held_out; i++) {
    const sr_pair *p = &r->data->held_out[i];
    sr_image *dy = sr_infer_delta(r->net, p->input, NULL, err);
    if (!dy) {
      sr_error_prefix(err, SR_("held-out frame %d: "), p->source_frame);
      return false;
    }
    sr_image *out = sr_image_copy(p->input, err);
    if (!out) {
      sr_image_free(dy);
      return false;
    }
    clamp_add(p->input->pixels, dy->pixels, out->pixels, (size_t)out->width * (size_t)out->height);
    sr_image_free(dy);
    sr_ycbcr_matrix m = r->data->prep.matrix;
    pb += sr_qa_psnr_y(p->input, p->ground_truth, m);
    pa += sr_qa_psnr_y(out, p->ground_truth, m);
    sb += sr_qa_ssim_y(p->input, p->ground_truth, m);
    sa += sr_qa_ssim_y(out, p->ground_truth, m);
    sr_image_free(out);
  }
  double n = r->data->n_held_out;
  e->psnr_before = pb / n;
  e->psnr_after = pa / n;
  e->ssim_before = sb / n;
  e->ssim_after = sa / n;
  return true;
}

static bool
save_checkpoint(run *r, int64_t step, sr_error *err)
{
  sr_train_eval e = {.step = step, .loss_avg = r->loss_avg};
  if (!evaluate(r, &e, err))
    return false;
  sr_checkpoint_meta meta;
  sr_checkpoint_meta_init(&meta);
  meta.size = r->cfg->model_size;
  meta.step = step;
  meta.config_json = r->config_json;
  memcpy(meta.data_hash, r->data_hash, sizeof meta.data_hash);
  int *pairs = malloc((size_t)(r->data->n_pairs + 1) * sizeof *pairs);
  int *held = malloc((size_t)(r->data->n_held_out + 1) * sizeof *held);
  if (!pairs || !held) {
    free(pairs);
    free(held);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  for (int i = 0; i < r->data->n_pairs; i++)
    pairs[i] = r->data->pairs[i].source_frame;
  for (int i = 0; i < r->data->n_held_out; i++)
    held[i] = r->data->held_out[i].source_frame;
  meta.pairs = pairs;
  meta.n_pairs = r->data->n_pairs;
  meta.held_out = held;
  meta.n_held_out = r->data->n_held_out;
  meta.preview_frame = r->data->preview_source ? r->data->preview_frame : -1;
  meta.reference_offset = r->data->reference_offset;
  meta.prep = r->data->prep;
  memcpy(meta.rng_state, r->rng.s, sizeof meta.rng_state);
  meta.loss = r->loss_avg;
  meta.psnr_before = e.psnr_before;
  meta.psnr_after = e.psnr_after;

  char name[64];
  snprintf(name, sizeof name, "checkpoints/step_%06lld.safetensors", (long long)step);
  char *path = sr_path_join(r->out_dir, name);
  char *latest = sr_path_join(r->out_dir, "checkpoints/latest.safetensors");
  char *dir = path ? sr_path_dirname(path) : NULL;
  bool ok = path && latest && dir && sr_mkdir_p(dir, err) &&
            sr_checkpoint_save(path, r->net, &meta, true, e.model_id, err);
  if (!path || !latest || !dir)
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
  free(dir);

  char *preview = NULL;
  if (ok && r->data->preview_source) {
    snprintf(name, sizeof name, "preview/step_%06lld.exr", (long long)step);
    preview = sr_path_join(r->out_dir, name);
    char *pdir = preview ? sr_path_dirname(preview) : NULL;
    sr_image *rec = pdir && sr_mkdir_p(pdir, err)
                        ? sr_infer_frame(r->net, r->data->preview_source, &r->data->prep, NULL, err)
                        : NULL;
    if (rec)
      sr_image_set_attribute(rec, "spatialRecovery:modelId", e.model_id, NULL);
    ok = rec && sr_image_write(preview, rec, NULL, err);
    if (!ok)
      sr_error_prefix(err, SR_("preview frame %d: "), r->data->preview_frame);
    sr_image_free(rec);
    free(pdir);
  }
  /* latest.safetensors last: a run killed at any point resumes from a step
   * whose checkpoint, preview and contact sheet are all on disk. */
  ok = ok && sr_checkpoint_save(latest, r->net, &meta, true, NULL, err);
  free(pairs);
  free(held);
  if (ok) {
    sr_train_result *res = r->result;
    res->step = step;
    memcpy(res->model_id, e.model_id, sizeof res->model_id);
    snprintf(res->checkpoint_path, sizeof res->checkpoint_path, "%s", path);
    res->psnr_before = e.psnr_before;
    res->psnr_after = e.psnr_after;
    res->ssim_before = e.ssim_before;
    res->ssim_after = e.ssim_after;
    if (r->cb && r->cb->checkpoint) {
      e.checkpoint_path = path;
      e.preview_path = preview;
      r->cb->checkpoint(r->cb->user, &e);
    }
  }
  free(preview);
  free(path);
  free(latest);
  return ok;
}

/* Temporaries of a run that was killed: one training writes into its
 * folder at a time, so every one there is stale. */
static void
remove_stale_temps(const char *out_dir)
{
  static const char *const sub[] = {"", "checkpoints", "contact", "preview"};
  for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
    char *dir = sr_path_join(out_dir, sub[i]);
    if (dir)
      sr_fs_remove_stale_temps(dir, "");
    free(dir);
  }
}

/* The linear warm start: the branch fitted in closed form on the training
 * pairs, and the head zeroed, so step 0 is exactly the linear solution and
 * every step goes into what only the network can add. The branch stays
 * fixed: it already is the least-squares optimum on these pairs (under the
 * Charbonnier loss a trainable copy would move by little), it adds no op to
 * any backend, and the checkpoint keeps the two parts apart, so what the
 * network adds over the linear solution stays measurable. A resumed run
 * takes the branch, or its absence, from the checkpoint. */
static bool
start_linear(run *r, sr_error *err)
{
  sr_linear lin;
  if (!sr_linear_fit(r->data->pairs, r->data->n_pairs, r->data->prep.matrix, &lin, err))
    return false;
  sr_unet_set_linear(r->net, &lin);
  return sr_unet_zero_head(r->net, err);
}

/* The network's training pairs under a linear branch: the ground truth less
 * ΔY_lin of the whole input frame, taken once before any window is cut, so
 * flips and translations move the residual with the picture and the
 * branch's 9×9 support never meets a patch edge. */
static bool
residual_pairs(run *r, sr_error *err)
{
  const sr_linear *lin = sr_unet_get_linear(r->net);
  if (!lin)
    return true;
  int n = r->data->n_pairs;
  r->res_pairs = calloc((size_t)n, sizeof *r->res_pairs);
  if (!r->res_pairs) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  for (int i = 0; i < n; i++) {
    const sr_pair *p = &r->data->pairs[i];
    r->res_pairs[i] = *p;
    r->res_pairs[i].ground_truth = sr_image_copy(p->ground_truth, err);
    if (!r->res_pairs[i].ground_truth ||
        !sr_linear_subtract(lin, p->input->pixels, 1, p->input->width, p->input->height,
                            r->res_pairs[i].ground_truth->pixels, err))
      return false;
  }
  r->res_data = *r->data;
  r->res_data.pairs = r->res_pairs;
  return true;
}

static bool
resume_from(run *r, const char *resume, int64_t *start, sr_error *err)
{
  sr_checkpoint_meta meta;
  bool has_adam = false;
  sr_unet *net = sr_checkpoint_load(resume, r->be, &meta, &has_adam, err);
  if (!net)
    return false;
  bool ok = false;
  if (meta.size != r->cfg->model_size) {
    sr_error_set(err, SR_ERR_INVALID, SR_("%s: the checkpoint is a %s model but %s was asked for"),
                 resume, sr_unet_size_id(meta.size), sr_unet_size_id(r->cfg->model_size));
  } else if (!has_adam) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("%s: this checkpoint has no optimiser state (Adam moments), so training "
                     "cannot resume from it exactly; start a new run"),
                 resume);
  } else if (strcmp(meta.data_hash, r->data_hash) != 0) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("%s: the checkpoint was trained on other pairs or crop (data hash %.12s, now "
                     "%.12s); resume only with the same pairs, or start a new run"),
                 resume, meta.data_hash, r->data_hash);
  } else if (meta.step >= r->cfg->steps) {
    sr_error_set(err, SR_ERR_INVALID,
                 SR_("%s: the checkpoint is already at step %lld of %lld; ask for more steps to "
                     "continue"),
                 resume, (long long)meta.step, (long long)r->cfg->steps);
  } else {
    ok = true;
  }
  if (ok) {
    sr_unet_free(r->net);
    r->net = net;
    memcpy(r->rng.s, meta.rng_state, sizeof r->rng.s);
    *start = meta.step;
    r->loss_avg = meta.loss;
  } else {
    sr_unet_free(net);
  }
  sr_checkpoint_meta_clear(&meta);
  return ok;
}

bool
sr_train_run(const sr_train_config *cfg, const sr_train_data *data, const char *out_dir,
             const char *resume, const sr_train_callbacks *cb, sr_train_result *result,
             sr_error *err)
{
  sr_train_result local_result;
  if (!result)
    result = &local_result;
  memset(result, 0, sizeof *result);
  result->psnr_before = result->psnr_after = result->ssim_before = result->ssim_after = NAN;
  if (data->n_pairs < 1) {
    sr_error_set(err, SR_ERR_INVALID, SR_("no training pairs: add at least one pair"));
    return false;
  }
  for (int i = 0; i < data->n_pairs; i++) {
    const sr_pair *p = &data->pairs[i];
    if (!p->input || !p->ground_truth || p->input->channels != 3 ||
        p->ground_truth->channels != 3 || p->input->width != p->ground_truth->width ||
        p->input->height != p->ground_truth->height) {
      sr_error_set(err, SR_ERR_INVALID,
                   SR_("pair %d: input and ground truth must be RGB of equal size"),
                   p->source_frame);
      return false;
    }
    if (!sr_train_config_validate(cfg, p->input->width, p->input->height, err)) {
      sr_error_prefix(err, SR_("pair %d: "), p->source_frame);
      return false;
    }
  }
  run r = {
      .cfg = cfg, .data = data, .cb = cb, .out_dir = out_dir, .result = result, .loss_avg = NAN};
  sr_train_data_hash(data, r.data_hash);
  r.config_json = sr_train_config_to_json(cfg);
  bool ok = false;
  if (!r.config_json) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  if (!sr_mkdir_p(out_dir, err))
    goto out;
  remove_stale_temps(out_dir);
  if (strcmp(cfg->backend, "cpu") == 0 && cfg->threads > 0)
    r.be = sr_backend_cpu_create(cfg->threads, err);
  else
    r.be =
        sr_backend_open(cfg->backend, result->backend_reason, sizeof result->backend_reason, err);
  if (!r.be)
    goto out;
  snprintf(result->backend, sizeof result->backend, "%s", r.be->description);
  r.net = sr_unet_new(cfg->model_size, r.be, err);
  if (!r.net || !sr_unet_init(r.net, cfg->seed, err))
    goto out;
  if (cfg->linear_start && !start_linear(&r, err))
    goto out;
  /* The patch RNG is seeded apart from the weight initialisation. */
  sr_rng_seed(&r.rng, cfg->seed ^ 0x5ca1ab1e0ddba11ULL);
  int64_t start = 0;
  if (resume && !resume_from(&r, resume, &start, err))
    goto out;
  if (!residual_pairs(&r, err))
    goto out;
  result->start_step = start;
  result->step = start;
  if (!(r.loss_log = sr_loss_log_open(out_dir, start, err)))
    goto out;
  int P = cfg->patch, B = cfg->batch;
  size_t pp = (size_t)P * (size_t)P;
  r.ws = sr_unet_workspace_new(r.net, B, P, P, true, err);
  r.src = malloc((size_t)B * pp * 3 * sizeof *r.src);
  r.gt = malloc((size_t)B * pp * 3 * sizeof *r.gt);
  r.delta = malloc((size_t)B * pp * sizeof *r.delta);
  r.target = malloc((size_t)B * pp * 3 * sizeof *r.target);
  if (!r.ws)
    goto out;
  if (!r.src || !r.gt || !r.delta || !r.target) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory for a batch of %d patches of %d px"), B, P);
    goto out;
  }
  sr_ycbcr_coeffs yc = sr_ycbcr_coefficients(data->prep.matrix);
  sr_loss_desc loss_desc = {.kr = yc.kr, .kg = yc.kg, .kb = yc.kb, .eps = SR_CHARBONNIER_EPS};
  sr_adam_desc adam = sr_adam_defaults();
  double t0 = now_seconds(), paused_for = 0;
  int64_t last_saved = start;
  for (int64_t t = start + 1; t <= cfg->steps; t++) {
    if (cb && cb->pause && atomic_load(cb->pause)) {
      double p0 = now_seconds();
      sr_train_progress pr = {
          .step = t - 1, .steps = cfg->steps, .loss_avg = r.loss_avg, .paused = true};
      if (cb->progress)
        cb->progress(cb->user, &pr);
      while (atomic_load(cb->pause) && !(cb->cancel && atomic_load(cb->cancel))) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
      }
      paused_for += now_seconds() - p0;
    }
    if (cb && cb->cancel && atomic_load(cb->cancel)) {
      result->cancelled = true;
      if (t - 1 > last_saved && !save_checkpoint(&r, t - 1, err))
        goto out;
      sr_error_set(err, SR_ERR_CANCELLED, SR_("training stopped at step %lld; resume from %s"),
                   (long long)(t - 1),
                   result->checkpoint_path[0] ? result->checkpoint_path : SR_("the start"));
      goto out;
    }
    /* With a linear branch the network learns the residual pairs; a
     * contact sheet shows the real ground truth, drawn with the same
     * windows and augmentations. */
    bool sheet = cfg->contact_sheet_every > 0 && t % cfg->contact_sheet_every == 0;
    sr_rng before = r.rng;
    sr_train_sample_batch(cfg, r.res_pairs ? &r.res_data : data, t, &r.rng, r.src, r.target);
    if (sheet && r.res_pairs)
      sr_train_sample_batch(cfg, data, t, &before, r.src, r.gt);
    else if (sheet)
      memcpy(r.gt, r.target, (size_t)B * pp * 3 * sizeof *r.gt);
    adam.lr = (float)sr_train_lr(cfg, t);
    adam.step = t;
    double loss = 0;
    if (!sr_unet_train_step_host(r.net, r.ws, r.src, r.target, &loss_desc, &adam, &loss, err)) {
      sr_error_prefix(err, SR_("step %lld: "), (long long)t);
      goto out;
    }
    if (!isfinite(loss)) {
      sr_error_set(err, SR_ERR_BACKEND,
                   SR_("step %lld: the loss became %g; lower the learning rate and start again"),
                   (long long)t, loss);
      goto out;
    }
    r.loss_avg = isnan(r.loss_avg) ? loss : 0.99 * r.loss_avg + 0.01 * loss;
    result->loss_avg = r.loss_avg;
    if (cb && cb->progress) {
      double el = now_seconds() - t0 - paused_for;
      double sps = el > 0 ? (double)(t - start) / el : 0;
      sr_train_progress pr = {.step = t,
                              .steps = cfg->steps,
                              .loss = loss,
                              .loss_avg = r.loss_avg,
                              .lr = adam.lr,
                              .steps_per_second = sps,
                              .eta_seconds = sps > 0 ? (double)(cfg->steps - t) / sps : 0};
      cb->progress(cb->user, &pr);
    }
    bool ckpt = t % cfg->checkpoint_every == 0 || t == cfg->steps;
    sr_loss_entry le = {.step = t, .loss = loss, .loss_avg = r.loss_avg, .lr = adam.lr};
    if (!sr_loss_log_append(r.loss_log, &le, ckpt || t % SR_LOSS_LOG_FLUSH_EVERY == 0, err))
      goto out;
    if (sheet && !write_contact_sheet(&r, t, err))
      goto out;
    if (ckpt) {
      if (!save_checkpoint(&r, t, err))
        goto out;
      last_saved = t;
    }
    result->step = t;
  }
  ok = true;
out:
  if (r.loss_log) {
    sr_error close_err = {0};
    if (!sr_loss_log_close(r.loss_log, &close_err) && ok) {
      if (err)
        *err = close_err;
      ok = false;
    }
  }
  sr_unet_workspace_free(r.ws);
  sr_unet_free(r.net);
  sr_backend_close(r.be);
  free(r.src);
  free(r.gt);
  free(r.delta);
  free(r.target);
  for (int i = 0; r.res_pairs && i < data->n_pairs; i++)
    sr_image_free(r.res_pairs[i].ground_truth);
  free(r.res_pairs);
  free(r.config_json);
  return ok;
}

uint64_t
sr_train_pairs_memory(int n_pairs, int frame_w, int frame_h, int frame_channels, sr_rect crop)
{
  uint64_t w = (uint64_t)(crop.w > 0 ? crop.w : frame_w);
  uint64_t h = (uint64_t)(crop.h > 0 ? crop.h : frame_h);
  uint64_t pair = 2u * w * h * 3u * sizeof(float);
  uint64_t frames =
      2u * (uint64_t)frame_w * (uint64_t)frame_h * (uint64_t)frame_channels * sizeof(float);
  return (uint64_t)(n_pairs > 0 ? n_pairs : 0) * pair + frames;
}

bool
sr_train_check_memory(int n_pairs, int frame_w, int frame_h, int frame_channels, sr_rect crop,
                      uint64_t available, sr_error *err)
{
  uint64_t need = sr_train_pairs_memory(n_pairs, frame_w, frame_h, frame_channels, crop);
  if (available == 0 || need <= available)
    return true;
  char need_s[32], have_s[32];
  sr_memory_format(need, need_s, sizeof need_s);
  sr_memory_format(available, have_s, sizeof have_s);
  int w = crop.w > 0 ? crop.w : frame_w, h = crop.h > 0 ? crop.h : frame_h;
  sr_error_set(err, SR_ERR_NOMEM,
               SR_("%d pairs of %dx%d px need about %s of memory, but %s is available: train "
                   "on fewer pairs, choose a smaller crop, or close other programs"),
               n_pairs, w, h, need_s, have_s);
  return false;
}
