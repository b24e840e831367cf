/* sr-grain-plan.c — a render's grain plan: measure over the training pairs,
 * save and load beside the render, describe for the frames' headers. See
 * sr-grain-plan.h. */
#include "sr-grain-plan.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "sr-fs.h"
#include "sr-job.h"
#include "sr-json-builder.h"
#include "sr-project-sequence.h"
#include "sr-sha256.h"

char *
sr_grain_plan_path(const char *output_pattern)
{
  if (!output_pattern)
    return NULL;
  g_autofree char *dir = g_path_get_dirname(output_pattern);
  g_autofree char *base = g_path_get_basename(output_pattern);
  char *cut = strpbrk(base, "%#");
  if (!cut)
    return NULL;
  /* The stem without the separator before the frame number. */
  while (cut > base && (cut[-1] == '.' || cut[-1] == '_' || cut[-1] == '-'))
    cut--;
  *cut = '\0';
  g_autofree char *name = g_strconcat(*base ? base : "render", ".grain.json", NULL);
  return g_build_filename(dir, name, NULL);
}

/* Y of an image already in the training domain. */
static float *
luma(const sr_image *img, sr_ycbcr_coeffs c)
{
  float *y = g_new(float, (size_t)img->width * img->height);
  sr_luma_plane(img, c, y);
  return y;
}

/* Adds one training pair's Reference and model result to the profiles. */
static gboolean
measure_pair(sr_model *model, const sr_sequence *src, const sr_sequence *ref,
             const sr_frame_map *map, int frame, sr_grain_profile *g_ref, sr_grain_profile *g_out,
             sr_error *err)
{
  int ref_frame = sr_frame_map_reference(map, frame);
  if (ref_frame == SR_NO_FRAME) {
    sr_error_set(err, SR_ERR_INVALID,
                 _("pair %d: no clean Reference frame under the frame map; choose a frame next "
                   "to it"),
                 frame);
    return FALSE;
  }
  sr_pair pair = {0};
  sr_image *s = sr_sequence_read(src, frame, err);
  sr_image *r = s ? sr_sequence_read(ref, ref_frame, err) : NULL;
  gboolean ok = s && r && sr_pair_build(s, r, &model->meta.prep, &pair, err);
  sr_image_free(s);
  sr_image_free(r);
  sr_image *dy = ok ? sr_infer_delta(model->net, pair.input, NULL, err) : NULL;
  ok = dy != NULL;
  if (ok) {
    sr_ycbcr_coeffs c = sr_ycbcr_coefficients(model->meta.prep.matrix);
    int w = pair.input->width, h = pair.input->height;
    float *ys = luma(pair.input, c), *yr = luma(pair.ground_truth, c);
    float *yo = g_new(float, (size_t)w *h);
    for (size_t k = 0; k < (size_t)w * h; k++)
      yo[k] = CLAMP(ys[k] + dy->pixels[k], 0.0f, 1.0f);
    ok = sr_grain_measure(g_ref, yr, ys, w, h, err) && sr_grain_measure(g_out, yo, ys, w, h, err);
    g_free(ys);
    g_free(yr);
    g_free(yo);
  }
  if (!ok)
    sr_error_prefix(err, _("pair %d: "), frame);
  sr_image_free(dy);
  sr_pair_clear(&pair);
  return ok;
}

gboolean
sr_grain_plan_measure(SrProject *project, sr_model *model, guint64 seed, const atomic_bool *cancel,
                      SrGrainPlan *out, GError **error)
{
  memset(out, 0, sizeof *out);
  const GArray *pairs = sr_project_get_pairs(project);
  g_autofree char *src = sr_project_resolve_path(project, sr_project_get_source_pattern(project));
  const char *rp = sr_project_get_reference_pattern(project);
  g_autofree char *ref = rp && *rp ? sr_project_resolve_path(project, rp) : NULL;
  if (!src || !ref || pairs->len == 0) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING,
                _("Regrain measures the grain on the project's training pairs, and this project "
                  "has none: choose a Reference and add pairs, or render without grain."));
    return FALSE;
  }
  g_autofree char *index_dir = sr_project_index_dir(project);
  g_auto(sr_frame_map) map = {0};
  sr_project_get_frame_map(project, &map);
  sr_sequence s = {0}, r = {0};
  sr_error err = {0};
  sr_grain_profile g_ref, g_out;
  sr_grain_profile_init(&g_ref);
  sr_grain_profile_init(&g_out);
  gboolean ok = sr_sequence_open_indexed(&s, src, index_dir, &err) &&
                sr_sequence_open_indexed(&r, ref, index_dir, &err);
  for (guint i = 0; ok && i < pairs->len; i++) {
    if (cancel && atomic_load(cancel)) {
      sr_error_set(&err, SR_ERR_CANCELLED, _("render stopped while measuring the grain"));
      ok = FALSE;
      break;
    }
    ok = measure_pair(model, &s, &r, &map, g_array_index(pairs, int, i), &g_ref, &g_out, &err);
  }
  sr_sequence_clear(&s);
  sr_sequence_clear(&r);
  if (ok && !sr_regrain_plan(&out->plan, &g_ref, &g_out, seed, &err))
    ok = FALSE;
  if (!ok) {
    sr_error_prefix(&err, "%s", _("grain: "));
    sr_job_error_from_engine(error, &err);
    return FALSE;
  }
  g_strlcpy(out->model_id, model->meta.model_id, sizeof out->model_id);
  out->pairs = (int)pairs->len;
  out->blocks = g_ref.blocks;
  out->reference_variance = sr_grain_variance(&g_ref);
  for (int b = 0; b < SR_GRAIN_BANDS; b++)
    out->reference_bands[b] = sr_grain_band(&g_ref, b);
  out->result_variance = sr_grain_variance(&g_out);
  return TRUE;
}

static void
member_doubles(JsonBuilder *b, const char *key, const double *v, int n)
{
  json_builder_set_member_name(b, key);
  json_builder_begin_array(b);
  for (int i = 0; i < n; i++)
    json_builder_add_double_value(b, v[i]);
  json_builder_end_array(b);
}

gboolean
sr_grain_plan_save(const char *path, const SrGrainPlan *p, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  sr_json_member_int(b, "format", SR_GRAIN_PLAN_FORMAT);
  sr_json_member_string(b, "model_id", p->model_id);
  /* A 64-bit seed as text: JSON numbers are doubles for most readers. */
  g_autofree char *seed = g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)p->plan.seed);
  sr_json_member_string(b, "seed", seed);
  sr_json_member_int(b, "pairs", p->pairs);
  sr_json_member_int(b, "blocks", p->blocks);
  sr_json_member_double(b, "reference_variance", p->reference_variance);
  member_doubles(b, "reference_bands", p->reference_bands, SR_GRAIN_BANDS);
  sr_json_member_double(b, "result_variance", p->result_variance);
  member_doubles(b, "level_gain", p->plan.level_gain, SR_GRAIN_LEVELS);
  double k[SR_GRAIN_BLOCK * SR_GRAIN_BLOCK];
  for (int i = 0; i < SR_GRAIN_BLOCK * SR_GRAIN_BLOCK; i++)
    k[i] = p->plan.kernel[i];
  member_doubles(b, "kernel", k, SR_GRAIN_BLOCK * SR_GRAIN_BLOCK);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  gsize len = 0;
  g_autofree char *text = sr_json_text(root, TRUE, &len);
  sr_error err = {0};
  if (!sr_write_file_atomic(path, text, len, &err)) {
    sr_error_prefix(&err, _("grain plan %s: "), path);
    sr_job_error_from_engine(error, &err);
    return FALSE;
  }
  return TRUE;
}

static gboolean
bad_field(GError **error, const char *path, const char *field)
{
  g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_FORMAT,
              _("grain plan %s: '%s' is missing or not valid; move the file away to plan the "
                "grain again"),
              path, field);
  return FALSE;
}

/* A finite number from lo to hi. */
static gboolean
number_in(JsonNode *e, double lo, double hi, double *out)
{
  if (e == NULL || !JSON_NODE_HOLDS_VALUE(e) ||
      (json_node_get_value_type(e) != G_TYPE_DOUBLE && json_node_get_value_type(e) != G_TYPE_INT64))
    return FALSE;
  *out = json_node_get_double(e);
  return isfinite(*out) && *out >= lo && *out <= hi;
}

/* An array of n numbers from lo to hi. */
static gboolean
read_doubles(JsonObject *o, const char *key, double *v, int n, double lo, double hi)
{
  JsonNode *node = json_object_get_member(o, key);
  JsonArray *a = node && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
  if (!a || (int)json_array_get_length(a) != n)
    return FALSE;
  for (int i = 0; i < n; i++)
    if (!number_in(json_array_get_element(a, (guint)i), lo, hi, &v[i]))
      return FALSE;
  return TRUE;
}

/* A string member, or NULL when absent or not a string. */
static const char *
string_member(JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member(o, key);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

/* A count of 0 up to INT_MAX; absent reads as 0. */
static gboolean
read_count(JsonObject *o, const char *key, int *out)
{
  JsonNode *n = json_object_get_member(o, key);
  *out = 0;
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return FALSE;
  gint64 v = json_node_get_int(n);
  if (v < 0 || v > G_MAXINT)
    return FALSE;
  *out = (int)v;
  return TRUE;
}

/* The largest plan file read (a plan is about 8 KB) and the deepest nesting
 * (a plan nests two levels). */
#define PLAN_MAX_BYTES   (1 << 20)
#define PLAN_MAX_NESTING 4
/* Grain far beyond any film's (a kernel tap or level gain of 1,000 on
 * frames whose values are around 1) is a damaged plan, not a plan. */
#define PLAN_MAX_VALUE 1000.0

gboolean
sr_grain_plan_load(const char *path, SrGrainPlan *p, GError **error)
{
  memset(p, 0, sizeof *p);
  sr_error err = {0};
  size_t len = 0;
  g_autofree char *data = sr_read_file(path, PLAN_MAX_BYTES, &len, &err);
  if (data == NULL) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_FORMAT,
                _("grain plan %s cannot be read: %s; move the file away to plan the grain again"),
                path, err.message);
    return FALSE;
  }
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) jerr = NULL;
  if (!sr_json_load_outside(parser, data, len, PLAN_MAX_NESTING, &jerr)) {
    g_set_error(error, SR_JOB_ERROR, SR_JOB_ERROR_FORMAT,
                _("grain plan %s cannot be read: %s; move the file away to plan the grain again"),
                path, jerr->message);
    return FALSE;
  }
  JsonNode *root = json_parser_get_root(parser);
  JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
  int format = 0;
  if (!o || !read_count(o, "format", &format) || format != SR_GRAIN_PLAN_FORMAT)
    return bad_field(error, path, "format");
  const char *id = string_member(o, "model_id");
  if (!id || strlen(id) >= sizeof p->model_id)
    return bad_field(error, path, "model_id");
  g_strlcpy(p->model_id, id, sizeof p->model_id);
  const char *seed = string_member(o, "seed");
  guint64 sv = 0;
  if (!seed || !g_ascii_string_to_unsigned(seed, 10, 0, G_MAXUINT64, &sv, NULL))
    return bad_field(error, path, "seed");
  p->plan.seed = sv;
  if (!read_count(o, "pairs", &p->pairs))
    return bad_field(error, path, "pairs");
  if (!read_count(o, "blocks", &p->blocks))
    return bad_field(error, path, "blocks");
  if (!number_in(json_object_get_member(o, "reference_variance"), 0, PLAN_MAX_VALUE,
                 &p->reference_variance))
    return bad_field(error, path, "reference_variance");
  /* The result's variance is for the record only; null or absent is NaN. */
  JsonNode *rv = json_object_get_member(o, "result_variance");
  p->result_variance = NAN;
  if (rv != NULL && !JSON_NODE_HOLDS_NULL(rv) &&
      !number_in(rv, 0, PLAN_MAX_VALUE, &p->result_variance))
    return bad_field(error, path, "result_variance");
  if (!read_doubles(o, "reference_bands", p->reference_bands, SR_GRAIN_BANDS, 0, PLAN_MAX_VALUE))
    return bad_field(error, path, "reference_bands");
  if (!read_doubles(o, "level_gain", p->plan.level_gain, SR_GRAIN_LEVELS, 0, PLAN_MAX_VALUE))
    return bad_field(error, path, "level_gain");
  double k[SR_GRAIN_BLOCK * SR_GRAIN_BLOCK];
  if (!read_doubles(o, "kernel", k, SR_GRAIN_BLOCK * SR_GRAIN_BLOCK, -PLAN_MAX_VALUE,
                    PLAN_MAX_VALUE))
    return bad_field(error, path, "kernel");
  for (int i = 0; i < SR_GRAIN_BLOCK * SR_GRAIN_BLOCK; i++)
    p->plan.kernel[i] = (float)k[i];
  return TRUE;
}

sr_image *
sr_grain_plan_preview(const SrGrainPlan *p, const sr_image *rendered, int frame,
                      const sr_prep_settings *prep, gboolean remove, sr_error *err)
{
  sr_image *in = sr_prep_source(rendered, prep, err);
  if (!in)
    return NULL;
  sr_image *dy = sr_image_new(in->width, in->height, 1, err);
  gboolean ok = dy != NULL;
  if (ok) {
    memset(dy->pixels, 0, sizeof(float) * (size_t)in->width * (size_t)in->height);
    dy->data_window = in->data_window;
    dy->display_window = in->display_window;
    ok = sr_regrain_add(&p->plan, frame, in->pixels, sr_ycbcr_coefficients(prep->matrix), in->width,
                        in->height, dy->pixels, err);
  }
  if (ok && remove)
    for (size_t i = 0; i < (size_t)in->width * in->height; i++)
      dy->pixels[i] = -dy->pixels[i];
  sr_image *out = ok ? sr_merge_recovered(rendered, dy, prep, err) : NULL;
  sr_image_free(dy);
  sr_image_free(in);
  return out;
}

char *
sr_grain_plan_describe(const SrGrainPlan *p)
{
  /* The digest covers what makes the grain: kernel, gains and seed. */
  sr_sha256 h;
  sr_sha256_init(&h);
  sr_sha256_update(&h, p->plan.kernel, sizeof p->plan.kernel);
  sr_sha256_update(&h, p->plan.level_gain, sizeof p->plan.level_gain);
  uint64_t seed = p->plan.seed;
  sr_sha256_update(&h, &seed, sizeof seed);
  uint8_t d[SR_SHA256_DIGEST_SIZE];
  char hex[SR_SHA256_HEX_SIZE];
  sr_sha256_final(&h, d);
  sr_sha256_hex(d, hex);
  GString *s = g_string_new(NULL);
  char num[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append_printf(s, "{\"seed\":\"%" G_GUINT64_FORMAT "\",\"plan\":\"%.16s\"", (guint64)seed,
                         hex);
  g_string_append_printf(s, ",\"referenceVariance\":%s",
                         g_ascii_formatd(num, sizeof num, "%.4g", p->reference_variance));
  g_string_append(s, ",\"referenceBands\":[");
  for (int b = 0; b < SR_GRAIN_BANDS; b++)
    g_string_append_printf(s, "%s%s", b ? "," : "",
                           g_ascii_formatd(num, sizeof num, "%.4g", p->reference_bands[b]));
  g_string_append(s, "]}");
  return g_string_free(s, FALSE);
}
