#include "sr-checkpoint.h"

#include "sr-config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sr-json.h"
#include "sr-safetensors.h"
#include "sr-sha256.h"
#include "sr-time.h"
#include "sr-i18n.h"

void
sr_checkpoint_meta_init(sr_checkpoint_meta *meta)
{
  memset(meta, 0, sizeof *meta);
  meta->size = SR_UNET_M;
  meta->preview_frame = -1;
  meta->loss = NAN;
  meta->psnr_before = NAN;
  meta->psnr_after = NAN;
  sr_prep_settings_init(&meta->prep);
}

void
sr_checkpoint_meta_clear(sr_checkpoint_meta *meta)
{
  free(meta->config_json);
  free(meta->pairs);
  free(meta->held_out);
  sr_checkpoint_meta_init(meta);
}

static int *
dup_ints(const int *v, int n)
{
  int *o = malloc((size_t)(n > 0 ? n : 1) * sizeof *o);
  if (o && n > 0)
    memcpy(o, v, (size_t)n * sizeof *o);
  return o;
}

bool
sr_checkpoint_meta_copy(sr_checkpoint_meta *dst, const sr_checkpoint_meta *src, sr_error *err)
{
  *dst = *src;
  dst->config_json = src->config_json ? strdup(src->config_json) : NULL;
  dst->pairs = dup_ints(src->pairs, src->n_pairs);
  dst->held_out = dup_ints(src->held_out, src->n_held_out);
  if ((src->config_json && !dst->config_json) || !dst->pairs || !dst->held_out) {
    free(dst->config_json);
    free(dst->pairs);
    free(dst->held_out);
    sr_checkpoint_meta_init(dst);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory copying checkpoint metadata"));
    return false;
  }
  return true;
}

/* ---- model id --------------------------------------------------------------- */

/* The linear branch's tensors (sr-linear.h). */
#define LINEAR_FILTER "linear.filter"
#define LINEAR_TONE   "linear.tone"

static void
hash_floats(sr_sha256 *ctx, const char *name, const float *v, size_t n)
{
  sr_sha256_update(ctx, name, strlen(name) + 1);
  for (size_t j = 0; j < n; j++) {
    uint32_t u;
    memcpy(&u, &v[j], 4);
    uint8_t le[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
    sr_sha256_update(ctx, le, 4);
  }
}

void
sr_model_id_from_host(sr_unet *net, const float *params, char out[65])
{
  sr_unet_size size = sr_unet_get_size(net);
  char line[128];
  int n = snprintf(line, sizeof line, "%s size=%s width=%d levels=%d\n", SR_CHECKPOINT_ARCH,
                   sr_unet_size_id(size), sr_unet_base_width(size), sr_unet_levels(size));
  sr_sha256 ctx;
  sr_sha256_init(&ctx);
  sr_sha256_update(&ctx, line, (size_t)n);
  uint8_t buf[4096];
  for (size_t i = 0; i < sr_unet_param_count(net); i++) {
    const sr_unet_param *p = sr_unet_param_info(net, i);
    sr_sha256_update(&ctx, p->name, strlen(p->name) + 1);
    for (int d = 0; d < p->rank; d++) {
      uint32_t s = (uint32_t)p->shape[d];
      uint8_t le[4] = {(uint8_t)s, (uint8_t)(s >> 8), (uint8_t)(s >> 16), (uint8_t)(s >> 24)};
      sr_sha256_update(&ctx, le, 4);
    }
    const float *w = params + p->offset;
    for (size_t k = 0; k < p->count; k += 1024) {
      size_t m = p->count - k < 1024 ? p->count - k : 1024;
      for (size_t j = 0; j < m; j++) {
        uint32_t u;
        memcpy(&u, &w[k + j], 4);
        buf[4 * j] = (uint8_t)u;
        buf[4 * j + 1] = (uint8_t)(u >> 8);
        buf[4 * j + 2] = (uint8_t)(u >> 16);
        buf[4 * j + 3] = (uint8_t)(u >> 24);
      }
      sr_sha256_update(&ctx, buf, 4 * m);
    }
  }
  /* The linear branch is part of the model; a network without one keeps
   * the id it always had. */
  const sr_linear *lin = sr_unet_get_linear(net);
  if (lin) {
    hash_floats(&ctx, LINEAR_FILTER, lin->filter, SR_LINEAR_TAPS);
    hash_floats(&ctx, LINEAR_TONE, lin->tone, SR_LINEAR_TONE);
  }
  uint8_t d[32];
  sr_sha256_final(&ctx, d);
  sr_sha256_hex(d, out);
}

bool
sr_model_id(sr_unet *net, char out[65], sr_error *err)
{
  float *host = malloc(sr_unet_total_params(net) * sizeof *host);
  if (!host) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory computing the model id"));
    return false;
  }
  if (!sr_unet_export(net, SR_UNET_PARAMS, host, err)) {
    free(host);
    return false;
  }
  sr_model_id_from_host(net, host, out);
  free(host);
  return true;
}

void
sr_model_id_short(const char *id, char out[SR_MODEL_ID_SHORT + 1])
{
  size_t n = strnlen(id, SR_MODEL_ID_SHORT);
  memcpy(out, id, n);
  out[n] = '\0';
}

/* ---- metadata ---------------------------------------------------------------- */

static char *
ints_json(const int *v, int n)
{
  sr_json *a = sr_json_new_array();
  for (int i = 0; a && i < n; i++)
    if (!sr_json_append(a, sr_json_new_int(v[i]))) {
      sr_json_free(a);
      return NULL;
    }
  char *s = a ? sr_json_write(a, NULL) : NULL;
  sr_json_free(a);
  return s;
}

static void
fmt_double(char *buf, size_t n, double v)
{
  if (isnan(v))
    snprintf(buf, n, "nan");
  else
    snprintf(buf, n, "%.9g", v);
  for (char *c = buf; *c; c++)
    if (*c == ',')
      *c = '.';
}

typedef struct meta_list {
  sr_st_meta items[40];
  char *owned[40];
  int n, n_owned;
  bool oom;
} meta_list;

static void
meta_add(meta_list *m, const char *key, const char *value)
{
  char *v = value ? strdup(value) : NULL;
  if (!v) {
    m->oom = true;
    return;
  }
  m->owned[m->n_owned++] = v;
  m->items[m->n++] = (sr_st_meta){(char *)key, v};
}

static void
meta_add_owned(meta_list *m, const char *key, char *value)
{
  if (!value) {
    m->oom = true;
    return;
  }
  m->owned[m->n_owned++] = value;
  m->items[m->n++] = (sr_st_meta){(char *)key, value};
}

bool
sr_checkpoint_save(const char *path, sr_unet *net, const sr_checkpoint_meta *meta, bool with_adam,
                   char model_id_out[65], sr_error *err)
{
  size_t total = sr_unet_total_params(net), np = sr_unet_param_count(net);
  int n_blocks = with_adam ? 3 : 1;
  float *host = malloc(total * (size_t)n_blocks * sizeof *host);
  const sr_linear *lin = sr_unet_get_linear(net);
  sr_st_tensor *tensors = calloc(np * (size_t)n_blocks + 2, sizeof *tensors);
  char(*names)[64] = calloc(np * (size_t)n_blocks, sizeof *names);
  meta_list m = {0};
  bool ok = false;
  if (!host || !tensors || !names) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory saving the checkpoint"), path);
    goto out;
  }
  static const sr_unet_block blocks[3] = {SR_UNET_PARAMS, SR_UNET_ADAM_M, SR_UNET_ADAM_V};
  static const char *prefix[3] = {"", "adam.m.", "adam.v."};
  for (int b = 0; b < n_blocks; b++) {
    float *block = host + total * (size_t)b;
    if (!sr_unet_export(net, blocks[b], block, err))
      goto out;
    for (size_t i = 0; i < np; i++) {
      const sr_unet_param *p = sr_unet_param_info(net, i);
      size_t k = (size_t)b * np + i;
      snprintf(names[k], sizeof names[k], "%s%s", prefix[b], p->name);
      tensors[k].name = names[k];
      tensors[k].ndim = p->rank;
      for (int d = 0; d < p->rank; d++)
        tensors[k].shape[d] = p->shape[d];
      tensors[k].count = p->count;
      tensors[k].data = block + p->offset;
    }
  }
  int n_tensors = (int)np * n_blocks;
  if (lin) {
    float *filter = (float *)lin->filter, *tone = (float *)lin->tone;
    tensors[n_tensors++] = (sr_st_tensor){.name = LINEAR_FILTER,
                                          .ndim = 4,
                                          .shape = {1, SR_LINEAR_SIDE, SR_LINEAR_SIDE, 1},
                                          .count = SR_LINEAR_TAPS,
                                          .data = filter};
    tensors[n_tensors++] = (sr_st_tensor){.name = LINEAR_TONE,
                                          .ndim = 1,
                                          .shape = {SR_LINEAR_TONE},
                                          .count = SR_LINEAR_TONE,
                                          .data = tone};
  }
  char id[65];
  sr_model_id_from_host(net, host, id);

  char buf[256];
  sr_unet_size size = sr_unet_get_size(net);
  meta_add(&m, "format", SR_CHECKPOINT_FORMAT);
  snprintf(buf, sizeof buf, "%d", SR_CHECKPOINT_VERSION);
  meta_add(&m, "format_version", buf);
  meta_add(&m, "arch", SR_CHECKPOINT_ARCH);
  meta_add(&m, "model_size", sr_unet_size_id(size));
  snprintf(buf, sizeof buf, "%d", sr_unet_base_width(size));
  meta_add(&m, "base_width", buf);
  snprintf(buf, sizeof buf, "%d", sr_unet_levels(size));
  meta_add(&m, "levels", buf);
  snprintf(buf, sizeof buf, "%lld", (long long)meta->step);
  meta_add(&m, "step", buf);
  meta_add(&m, "config", meta->config_json ? meta->config_json : "{}");
  meta_add(&m, "data_hash", meta->data_hash);
  meta_add_owned(&m, "pairs", ints_json(meta->pairs, meta->n_pairs));
  meta_add_owned(&m, "held_out", ints_json(meta->held_out, meta->n_held_out));
  snprintf(buf, sizeof buf, "%d", meta->preview_frame);
  meta_add(&m, "preview_frame", buf);
  snprintf(buf, sizeof buf, "%d", meta->reference_offset);
  meta_add(&m, "reference_offset", buf);
  int crop[4] = {meta->prep.crop.x, meta->prep.crop.y, meta->prep.crop.w, meta->prep.crop.h};
  meta_add_owned(&m, "crop", ints_json(crop, 4));
  meta_add(&m, "prefilter", sr_prefilter_id(meta->prep.prefilter));
  meta_add(&m, "source_colourspace", sr_colourspace_id(meta->prep.source_space));
  meta_add(&m, "reference_colourspace", sr_colourspace_id(meta->prep.reference_space));
  /* OpenColorIO spaces only when used, so older checkpoints read the same. */
  if (meta->prep.source_ocio[0] || meta->prep.reference_ocio[0])
    meta_add(&m, "ocio_config", meta->prep.ocio_config);
  if (meta->prep.source_ocio[0])
    meta_add(&m, "source_ocio", meta->prep.source_ocio);
  if (meta->prep.reference_ocio[0])
    meta_add(&m, "reference_ocio", meta->prep.reference_ocio);
  meta_add(&m, "training_domain", sr_colourspace_id(SR_TRAINING_DOMAIN));
  meta_add(&m, "ycbcr_matrix", sr_ycbcr_matrix_id(meta->prep.matrix));
  snprintf(buf, sizeof buf, "%016llx%016llx%016llx%016llx", (unsigned long long)meta->rng_state[0],
           (unsigned long long)meta->rng_state[1], (unsigned long long)meta->rng_state[2],
           (unsigned long long)meta->rng_state[3]);
  meta_add(&m, "rng_state", buf);
  /* All 17 digits: a resumed run carries the smoothed loss on exactly as an
   * uninterrupted one would, so their loss logs agree byte for byte. */
  if (isnan(meta->loss)) {
    snprintf(buf, sizeof buf, "nan");
  } else {
    snprintf(buf, sizeof buf, "%.17g", meta->loss);
    for (char *c = buf; *c; c++)
      if (*c == ',')
        *c = '.';
  }
  meta_add(&m, "loss", buf);
  fmt_double(buf, sizeof buf, meta->psnr_before);
  meta_add(&m, "psnr_y_before", buf);
  fmt_double(buf, sizeof buf, meta->psnr_after);
  meta_add(&m, "psnr_y_after", buf);
  if (meta->created[0]) {
    meta_add(&m, "created", meta->created);
  } else {
    char created[32];
    sr_time_now_iso(created);
    meta_add(&m, "created", created);
  }
  meta_add(&m, "tool_version", meta->tool_version[0] ? meta->tool_version : SR_VERSION);
  meta_add(&m, "tool", "Spatial Recovery");
  meta_add(&m, "adam", with_adam ? "true" : "false");
  if (lin)
    meta_add(&m, "linear_branch", SR_CHECKPOINT_LINEAR);
  meta_add(&m, "model_id", id);
  if (m.oom) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory saving the checkpoint"), path);
    goto out;
  }
  ok = sr_safetensors_write(path, tensors, n_tensors, m.items, m.n, err);
  if (ok && model_id_out)
    memcpy(model_id_out, id, 65);
out:
  for (int i = 0; i < m.n_owned; i++)
    free(m.owned[i]);
  free(host);
  free(tensors);
  free(names);
  return ok;
}

/* ---- loading ------------------------------------------------------------------ */

static bool
need_meta(const sr_safetensors *st, const char *key, const char **out, sr_error *err)
{
  *out = sr_safetensors_meta(st, key);
  if (!*out) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: metadata field %s is missing"), st->path, key);
    return false;
  }
  return true;
}

static bool
parse_int_field(const sr_safetensors *st, const char *key, int64_t lo, int64_t hi, int64_t *out,
                sr_error *err)
{
  const char *s;
  if (!need_meta(st, key, &s, err))
    return false;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end || v < lo || v > hi) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: metadata field %s (\"%.40s\") is not a number in %lld..%lld"), st->path,
                 key, s, (long long)lo, (long long)hi);
    return false;
  }
  *out = v;
  return true;
}

static bool
parse_double_field(const sr_safetensors *st, const char *key, double *out)
{
  const char *s = sr_safetensors_meta(st, key);
  *out = NAN;
  if (!s || strcmp(s, "nan") == 0)
    return true;
  /* Identical images: an infinite PSNR, written by fmt_double as "inf". */
  if (strcmp(s, "inf") == 0 || strcmp(s, "-inf") == 0) {
    *out = s[0] == '-' ? -INFINITY : INFINITY;
    return true;
  }
  sr_json *j = sr_json_parse(s, strlen(s), key, NULL, NULL);
  if (j && j->type == SR_JSON_NUMBER)
    *out = j->number;
  sr_json_free(j);
  return true;
}

static bool
parse_int_array(const sr_safetensors *st, const char *key, int **out, int *n, sr_error *err)
{
  const char *s;
  if (!need_meta(st, key, &s, err))
    return false;
  sr_json *j = sr_json_parse(s, strlen(s), key, NULL, NULL);
  bool ok = j && j->type == SR_JSON_ARRAY && j->length <= 1000000;
  for (size_t i = 0; ok && i < j->length; i++)
    ok = j->items[i]->type == SR_JSON_NUMBER && j->items[i]->is_int &&
         j->items[i]->integer >= -1000000000 && j->items[i]->integer <= 1000000000;
  if (!ok) {
    sr_json_free(j);
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: metadata field %s is not a list of frame numbers"),
                 st->path, key);
    return false;
  }
  *out = malloc((j->length ? j->length : 1) * sizeof **out);
  if (!*out) {
    sr_json_free(j);
    sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
    return false;
  }
  for (size_t i = 0; i < j->length; i++)
    (*out)[i] = (int)j->items[i]->integer;
  *n = (int)j->length;
  sr_json_free(j);
  return true;
}

static bool
parse_meta(const sr_safetensors *st, sr_checkpoint_meta *meta, sr_error *err)
{
  const char *s;
  int64_t v;
  sr_checkpoint_meta_init(meta);
  if (!need_meta(st, "format", &s, err))
    return false;
  if (strcmp(s, SR_CHECKPOINT_FORMAT) != 0) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: metadata field format is \"%.60s\", not a Spatial Recovery "
                     "checkpoint"),
                 st->path, s);
    return false;
  }
  if (!parse_int_field(st, "format_version", 1, 1000000, &v, err))
    return false;
  if (v > SR_CHECKPOINT_VERSION) {
    sr_error_set(err, SR_ERR_UNSUPPORTED,
                 SR_("%s: metadata field format_version is %lld; this version "
                     "reads up to %d (update Spatial Recovery)"),
                 st->path, (long long)v, SR_CHECKPOINT_VERSION);
    return false;
  }
  if (!need_meta(st, "arch", &s, err))
    return false;
  if (strcmp(s, SR_CHECKPOINT_ARCH) != 0) {
    sr_error_set(err, SR_ERR_UNSUPPORTED,
                 SR_("%s: metadata field arch is \"%.60s\"; only %s is known"), st->path, s,
                 SR_CHECKPOINT_ARCH);
    return false;
  }
  if (!need_meta(st, "model_size", &s, err))
    return false;
  if (!sr_unet_size_from_id(s, &meta->size)) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: metadata field model_size \"%.20s\" is not S, M or L"), st->path, s);
    return false;
  }
  if (!parse_int_field(st, "step", 0, INT64_MAX / 2, &meta->step, err))
    return false;
  const char *cfg = sr_safetensors_meta(st, "config");
  if (cfg) {
    sr_json *j = sr_json_parse(cfg, strlen(cfg), "config", NULL, NULL);
    bool good = j && j->type == SR_JSON_OBJECT;
    sr_json_free(j);
    if (!good) {
      sr_error_set(err, SR_ERR_FORMAT, SR_("%s: metadata field config is not a JSON object"),
                   st->path);
      return false;
    }
    meta->config_json = strdup(cfg);
    if (!meta->config_json) {
      sr_error_set(err, SR_ERR_NOMEM, SR_("out of memory"));
      return false;
    }
  }
  s = sr_safetensors_meta(st, "data_hash");
  if (s) {
    if (strlen(s) > 64) {
      sr_error_set(err, SR_ERR_FORMAT, SR_("%s: metadata field data_hash is too long"), st->path);
      goto fail;
    }
    strcpy(meta->data_hash, s);
  }
  if (!parse_int_array(st, "pairs", &meta->pairs, &meta->n_pairs, err) ||
      !parse_int_array(st, "held_out", &meta->held_out, &meta->n_held_out, err))
    goto fail;
  if (!parse_int_field(st, "preview_frame", -1, 1000000000, &v, err))
    goto fail;
  meta->preview_frame = (int)v;
  meta->reference_offset = 0;
  if (sr_safetensors_meta(st, "reference_offset")) {
    if (!parse_int_field(st, "reference_offset", -1000000000, 1000000000, &v, err))
      goto fail;
    meta->reference_offset = (int)v;
  }
  int *crop = NULL, nc = 0;
  if (!parse_int_array(st, "crop", &crop, &nc, err))
    goto fail;
  if (nc != 4 || crop[0] < 0 || crop[1] < 0 || crop[2] < 0 || crop[3] < 0 ||
      crop[2] > SR_IMAGE_MAX_DIM || crop[3] > SR_IMAGE_MAX_DIM) {
    free(crop);
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: metadata field crop is not [x, y, w, h]"), st->path);
    goto fail;
  }
  /* [0, 0, 0, 0] is the whole frame; any other crop has an area. */
  bool whole = crop[0] == 0 && crop[1] == 0 && crop[2] == 0 && crop[3] == 0;
  if (!whole && (crop[2] == 0 || crop[3] == 0)) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: metadata field crop [%d, %d, %d, %d] has no width or no height; a crop "
                     "is at least 1x1 px, or [0, 0, 0, 0] for the whole frame"),
                 st->path, crop[0], crop[1], crop[2], crop[3]);
    free(crop);
    goto fail;
  }
  meta->prep.crop = (sr_rect){crop[0], crop[1], crop[2], crop[3]};
  free(crop);
  if (!need_meta(st, "prefilter", &s, err) || !sr_prefilter_from_id(s, &meta->prep.prefilter)) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: metadata field prefilter is missing or unknown"),
                 st->path);
    goto fail;
  }
  if (!need_meta(st, "source_colourspace", &s, err) ||
      !sr_colourspace_from_id(s, &meta->prep.source_space)) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: metadata field source_colourspace is missing or unknown"), st->path);
    goto fail;
  }
  if (!need_meta(st, "reference_colourspace", &s, err) ||
      !sr_colourspace_from_id(s, &meta->prep.reference_space)) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: metadata field reference_colourspace is missing or unknown"), st->path);
    goto fail;
  }
  const char *oc = sr_safetensors_meta(st, "ocio_config");
  const char *os = sr_safetensors_meta(st, "source_ocio");
  const char *orf = sr_safetensors_meta(st, "reference_ocio");
  snprintf(meta->prep.ocio_config, sizeof meta->prep.ocio_config, "%s", oc ? oc : "");
  snprintf(meta->prep.source_ocio, sizeof meta->prep.source_ocio, "%s", os ? os : "");
  snprintf(meta->prep.reference_ocio, sizeof meta->prep.reference_ocio, "%s", orf ? orf : "");
  if ((os || orf) && !oc) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: metadata names an OpenColorIO space but no ocio_config"), st->path);
    goto fail;
  }
  sr_colourspace dom;
  if (!need_meta(st, "training_domain", &s, err) || !sr_colourspace_from_id(s, &dom) ||
      dom != SR_TRAINING_DOMAIN) {
    sr_error_set(err, SR_ERR_UNSUPPORTED,
                 SR_("%s: metadata field training_domain is missing or not %s"), st->path,
                 sr_colourspace_id(SR_TRAINING_DOMAIN));
    goto fail;
  }
  if (!need_meta(st, "ycbcr_matrix", &s, err) || !sr_ycbcr_matrix_from_id(s, &meta->prep.matrix)) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: metadata field ycbcr_matrix is missing or unknown"),
                 st->path);
    goto fail;
  }
  s = sr_safetensors_meta(st, "rng_state");
  if (s) {
    bool good = strlen(s) == 64;
    for (int i = 0; good && i < 4; i++) {
      char word[17];
      memcpy(word, s + 16 * i, 16);
      word[16] = '\0';
      char *end;
      meta->rng_state[i] = strtoull(word, &end, 16);
      good = *end == '\0' && strspn(word, "0123456789abcdef") == 16;
    }
    if (!good) {
      sr_error_set(err, SR_ERR_FORMAT, SR_("%s: metadata field rng_state is not 64 hex digits"),
                   st->path);
      goto fail;
    }
  }
  parse_double_field(st, "loss", &meta->loss);
  parse_double_field(st, "psnr_y_before", &meta->psnr_before);
  parse_double_field(st, "psnr_y_after", &meta->psnr_after);
  s = sr_safetensors_meta(st, "created");
  snprintf(meta->created, sizeof meta->created, "%s", s ? s : "");
  s = sr_safetensors_meta(st, "tool_version");
  snprintf(meta->tool_version, sizeof meta->tool_version, "%s", s ? s : "");
  return true;
fail:
  sr_checkpoint_meta_clear(meta);
  return false;
}

/* Checks that the tensor set is exactly the network's, Adam all or none. */
static bool
check_tensors(const sr_safetensors *st, sr_unet *net, bool *has_adam, sr_error *err)
{
  size_t np = sr_unet_param_count(net);
  int n_adam = 0;
  int n_linear = 0;
  for (int i = 0; i < st->n_tensors; i++) {
    const char *name = st->tensors[i].name;
    if (strcmp(name, LINEAR_FILTER) == 0 || strcmp(name, LINEAR_TONE) == 0) {
      n_linear++;
      continue;
    }
    bool adam = strncmp(name, "adam.m.", 7) == 0 || strncmp(name, "adam.v.", 7) == 0;
    long idx = sr_unet_param_find(net, adam ? name + 7 : name);
    if (idx < 0) {
      sr_error_set(err, SR_ERR_FORMAT, SR_("%s: tensor \"%.100s\" is not part of the %s %s model"),
                   st->path, name, SR_CHECKPOINT_ARCH, sr_unet_size_id(sr_unet_get_size(net)));
      return false;
    }
    const sr_unet_param *p = sr_unet_param_info(net, (size_t)idx);
    bool same = st->tensors[i].ndim == p->rank;
    for (int d = 0; same && d < p->rank; d++)
      same = st->tensors[i].shape[d] == p->shape[d];
    if (!same) {
      char want[64] = "", got[96] = "";
      for (int d = 0; d < p->rank; d++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%d", d ? "," : "",
                 p->shape[d]);
      for (int d = 0; d < st->tensors[i].ndim && d < 8; d++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? "," : "",
                 (long long)st->tensors[i].shape[d]);
      sr_error_set(err, SR_ERR_FORMAT,
                   SR_("%s: tensor \"%.100s\" has shape [%s] but the %s model needs [%s]"),
                   st->path, name, got, sr_unet_size_id(sr_unet_get_size(net)), want);
      return false;
    }
    if (adam)
      n_adam++;
  }
  /* Names are unique in the file (duplicate JSON keys are refused), so
   * counts decide completeness. */
  if (st->n_tensors - n_adam - n_linear != (int)np) {
    for (size_t i = 0; i < np; i++)
      if (!sr_safetensors_find(st, sr_unet_param_info(net, i)->name)) {
        sr_error_set(err, SR_ERR_FORMAT, SR_("%s: tensor \"%s\" is missing"), st->path,
                     sr_unet_param_info(net, i)->name);
        return false;
      }
  }
  if (n_adam != 0 && n_adam != 2 * (int)np) {
    sr_error_set(err, SR_ERR_FORMAT, SR_("%s: the Adam moments are incomplete (%d of %zu tensors)"),
                 st->path, n_adam, 2 * np);
    return false;
  }
  *has_adam = n_adam > 0;
  return true;
}

static bool
import_block(const sr_safetensors *st, sr_unet *net, sr_unet_block block, const char *prefix,
             float *host, sr_error *err)
{
  for (size_t i = 0; i < sr_unet_param_count(net); i++) {
    const sr_unet_param *p = sr_unet_param_info(net, i);
    char name[64];
    snprintf(name, sizeof name, "%s%s", prefix, p->name);
    const sr_st_tensor *t = sr_safetensors_find(st, name);
    for (size_t k = 0; k < p->count; k++)
      if (!isfinite(t->data[k])) {
        sr_error_set(err, SR_ERR_FORMAT, SR_("%s: tensor \"%s\" holds a NaN or infinite value"),
                     st->path, name);
        return false;
      }
    memcpy(host + p->offset, t->data, p->count * sizeof *host);
  }
  return sr_unet_import(net, block, host, err);
}

/* The linear branch when the file has one (checkpoints written before it
 * existed have none and load as they always did). */
static bool
load_linear(const sr_safetensors *st, sr_unet *net, sr_ycbcr_matrix m, sr_error *err)
{
  const sr_st_tensor *f = sr_safetensors_find(st, LINEAR_FILTER);
  const sr_st_tensor *t = sr_safetensors_find(st, LINEAR_TONE);
  if (!f && !t)
    return true;
  if (!f || !t || f->count != SR_LINEAR_TAPS || t->count != SR_LINEAR_TONE || f->ndim != 4 ||
      f->shape[0] != 1 || f->shape[1] != SR_LINEAR_SIDE || f->shape[2] != SR_LINEAR_SIDE ||
      f->shape[3] != 1 || t->ndim != 1) {
    sr_error_set(err, SR_ERR_FORMAT,
                 SR_("%s: the linear branch needs \"%s\" [1,%d,%d,1] and \"%s\" [%d]"), st->path,
                 LINEAR_FILTER, SR_LINEAR_SIDE, SR_LINEAR_SIDE, LINEAR_TONE, SR_LINEAR_TONE);
    return false;
  }
  sr_linear lin;
  sr_linear_identity(&lin, m);
  for (size_t k = 0; k < f->count + t->count; k++) {
    float v = k < f->count ? f->data[k] : t->data[k - f->count];
    if (!isfinite(v)) {
      sr_error_set(err, SR_ERR_FORMAT, SR_("%s: tensor \"%s\" holds a NaN or infinite value"),
                   st->path, k < f->count ? LINEAR_FILTER : LINEAR_TONE);
      return false;
    }
  }
  memcpy(lin.filter, f->data, sizeof lin.filter);
  memcpy(lin.tone, t->data, sizeof lin.tone);
  sr_unet_set_linear(net, &lin);
  return true;
}

sr_unet *
sr_checkpoint_load(const char *path, sr_backend *be, sr_checkpoint_meta *meta, bool *has_adam,
                   sr_error *err)
{
  /* What the file claims (format, architecture, size, every tensor's name
   * and shape) is checked from its header before any tensor is read. */
  sr_safetensors *st = sr_safetensors_read_header(path, err);
  if (!st)
    return NULL;
  sr_checkpoint_meta local;
  sr_unet *net = NULL;
  float *host = NULL;
  bool adam = false;
  if (!parse_meta(st, &local, err))
    goto fail_st;
  net = sr_unet_new(local.size, be, err);
  if (!net)
    goto fail;
  if (!check_tensors(st, net, &adam, err) || !sr_safetensors_read_data(st, err))
    goto fail;
  host = malloc(sr_unet_total_params(net) * sizeof *host);
  if (!host) {
    sr_error_set(err, SR_ERR_NOMEM, SR_("%s: out of memory"), path);
    goto fail;
  }
  if (!import_block(st, net, SR_UNET_PARAMS, "", host, err))
    goto fail;
  if (!load_linear(st, net, local.prep.matrix, err))
    goto fail;
  sr_model_id_from_host(net, host, local.model_id);
  if (adam && (!import_block(st, net, SR_UNET_ADAM_M, "adam.m.", host, err) ||
               !import_block(st, net, SR_UNET_ADAM_V, "adam.v.", host, err)))
    goto fail;
  free(host);
  sr_safetensors_free(st);
  if (has_adam)
    *has_adam = adam;
  if (meta)
    *meta = local;
  else
    sr_checkpoint_meta_clear(&local);
  return net;
fail:
  sr_checkpoint_meta_clear(&local);
fail_st:
  free(host);
  sr_unet_free(net);
  sr_safetensors_free(st);
  return NULL;
}

bool
sr_checkpoint_read_meta(const char *path, sr_checkpoint_meta *meta, sr_error *err)
{
  /* The shape check needs the architecture's parameter list, which the
   * network builds; a one-thread CPU backend holds it for the moment. */
  sr_backend *be = sr_backend_cpu_create(1, err);
  if (!be)
    return false;
  sr_unet *net = sr_checkpoint_load(path, be, meta, NULL, err);
  bool ok = net != NULL;
  sr_unet_free(net);
  sr_backend_close(be);
  return ok;
}
