/* sr-delivery.c — EXR masters with provenance and sidecars (see sr-delivery.h). */
#include "sr-config.h"

#include "sr-delivery.h"

#include "sr-render.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "sr-checkpoint.h"
#include "sr-delivery-record.h"
#include "sr-fs.h"
#include "sr-json-builder.h"
#include "sr-time.h"
#include "sr-training-runs.h"

#define TOOL_NAME     "Spatial Recovery"
#define RECOVERY_TYPE "spatial, reference-based"
#define MODEL_ATTR    "spatialRecovery:modelId"

G_DEFINE_QUARK(sr - delivery - error - quark, sr_delivery_error)

static int
code_for(sr_status s)
{
  switch (s) {
  case SR_ERR_NOSPACE: return SR_DELIVERY_ERROR_NOSPACE;
  case SR_ERR_MISSING: return SR_DELIVERY_ERROR_MISSING;
  case SR_ERR_CANCELLED: return SR_DELIVERY_ERROR_CANCELLED;
  case SR_ERR_INVALID: return SR_DELIVERY_ERROR_INVALID;
  case SR_ERR_UNSUPPORTED: return SR_DELIVERY_ERROR_UNSUPPORTED;
  default: return SR_DELIVERY_ERROR_IO;
  }
}

static void
set_from_sr(GError **error, const sr_error *err, const char *hint)
{
  if (err->code == SR_ERR_NOSPACE)
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_NOSPACE,
                _("%s. The disk is full or a size limit was reached; finished masters are kept "
                  "and deliver resumes from there"),
                err->message);
  else
    g_set_error(error, SR_DELIVERY_ERROR, code_for(err->code), "%s%s%s", err->message,
                hint ? ". " : "", hint ? hint : "");
}

/* ---- checkpoint facts --------------------------------------------------------- */

void
sr_checkpoint_facts_clear(SrCheckpointFacts *f)
{
  if (f->training_frames)
    g_array_unref(f->training_frames);
  if (f->held_out_frames)
    g_array_unref(f->held_out_frames);
  g_free(f->checkpoint_path);
  memset(f, 0, sizeof *f);
}

char *
sr_checkpoint_facts_path(SrProject *project, const char *checkpoint)
{
  if (checkpoint && *checkpoint)
    return g_strdup(checkpoint);
  const char *ck = sr_project_get_checkpoint(project);
  if (ck && *ck)
    return sr_project_resolve_path(project, ck);
  const char *of = sr_project_get_output_folder(project);
  if (!of || !*of)
    return NULL;
  /* The newest training run (sr-training-runs.h). */
  g_autofree char *run = sr_training_current_run_dir(project);
  return g_build_filename(run, "checkpoints", "latest.safetensors", NULL);
}

gboolean
sr_checkpoint_facts_lookup(SrProject *project, const char *checkpoint, SrCheckpointFacts *out,
                           GError **error)
{
  memset(out, 0, sizeof *out);
  g_autofree char *path = sr_checkpoint_facts_path(project, checkpoint);
  if (!path) {
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_CHECKPOINT,
                _("the project names no checkpoint and has no output folder; choose the model "
                  "checkpoint used for the render"));
    return FALSE;
  }
  sr_checkpoint_meta meta;
  sr_checkpoint_meta_init(&meta);
  sr_error err = {0};
  if (!sr_checkpoint_read_meta(path, &meta, &err)) {
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_CHECKPOINT,
                _("checkpoint %s: %s. Provenance needs the checkpoint the render was made with"),
                path, err.message);
    sr_checkpoint_meta_clear(&meta);
    return FALSE;
  }
  g_strlcpy(out->model_id, meta.model_id, sizeof out->model_id);
  sr_model_id_short(meta.model_id, out->model_id_short);
  out->steps = meta.step;
  g_strlcpy(out->model_size, sr_unet_size_id(meta.size), sizeof out->model_size);
  g_strlcpy(out->architecture, SR_CHECKPOINT_ARCH, sizeof out->architecture);
  g_strlcpy(out->training_date, meta.created, sizeof out->training_date);
  out->training_frames = g_array_new(FALSE, FALSE, sizeof(int));
  out->held_out_frames = g_array_new(FALSE, FALSE, sizeof(int));
  if (meta.n_pairs)
    g_array_append_vals(out->training_frames, meta.pairs, (guint)meta.n_pairs);
  if (meta.n_held_out)
    g_array_append_vals(out->held_out_frames, meta.held_out, (guint)meta.n_held_out);
  out->checkpoint_path = g_steal_pointer(&path);
  out->psnr_before = meta.psnr_before;
  out->psnr_after = meta.psnr_after;
  sr_checkpoint_meta_clear(&meta);
  return TRUE;
}

/* ---- names ------------------------------------------------------------------------ */

static char *
safe_name(const char *name, const char *fallback)
{
  GString *s = g_string_new(NULL);
  for (const char *c = name; c && *c; c++)
    g_string_append_c(s, g_ascii_isalnum(*c) || *c == '-' || *c == '_' ? *c : '_');
  if (s->len == 0)
    g_string_append(s, fallback);
  return g_string_free(s, FALSE);
}

int
sr_delivery_frame_digits(SrProject *project)
{
  int digits = sr_pattern_digits(sr_project_get_source_pattern(project));
  return digits > 0 ? digits : 4;
}

static gboolean
has_frames(const char *pattern)
{
  sr_sequence seq = {0};
  gboolean found = sr_sequence_open(&seq, pattern, NULL);
  sr_sequence_clear(&seq);
  return found;
}

/* Renders made before names followed the Source's padding have six digits. */
static char *
legacy_pattern(const char *base, const char *stem)
{
  g_autofree char *file = g_strdup_printf("%s.%%06d.exr", stem);
  return g_build_filename(base, "render", file, NULL);
}

char *
sr_delivery_default_render_pattern(SrProject *project)
{
  const char *of = sr_project_get_output_folder(project);
  if (!of || !*of)
    return NULL;
  g_autofree char *base = sr_project_resolve_path(project, of);
  g_autofree char *name = safe_name(sr_project_get_name(project), "render");
  const char *ver = sr_project_get_version(project);
  g_autofree char *stem = g_strdup_printf("%s_%s", name, ver && *ver ? ver : "v001");
  g_autofree char *unnamed = legacy_pattern(base, stem);
  /* Renders are named after shot, version and model (sr_delivery_base_name);
   * renders made before names carried the model id keep their old name. */
  SrCheckpointFacts facts = {0};
  if (!sr_checkpoint_facts_lookup(project, NULL, &facts, NULL)) {
    sr_checkpoint_facts_clear(&facts);
    return g_steal_pointer(&unnamed);
  }
  g_autofree char *current = sr_delivery_render_pattern(project, facts.model_id_short);
  sr_checkpoint_facts_clear(&facts);
  if (!has_frames(current) && has_frames(unnamed))
    return g_steal_pointer(&unnamed);
  return g_steal_pointer(&current);
}

char *
sr_delivery_render_pattern(SrProject *project, const char *model_id_short)
{
  const char *of = sr_project_get_output_folder(project);
  if (!of || !*of)
    return NULL;
  g_autofree char *base = sr_project_resolve_path(project, of);
  g_autofree char *stem = sr_delivery_base_name(project, model_id_short);
  g_autofree char *named =
      g_strdup_printf("%s.%%0%dd.exr", stem, sr_delivery_frame_digits(project));
  g_autofree char *current = g_build_filename(base, "render", named, NULL);
  g_autofree char *legacy = legacy_pattern(base, stem);
  /* A render begun under six-digit names is continued and read under them. */
  if (!has_frames(current) && has_frames(legacy))
    return g_steal_pointer(&legacy);
  return g_steal_pointer(&current);
}

char *
sr_delivery_shot_name(SrProject *project)
{
  const SrProvenance *p = sr_project_get_provenance(project);
  const char *shot = p && p->shot_id && *p->shot_id ? p->shot_id : sr_project_get_name(project);
  return safe_name(shot, "shot");
}

char *
sr_delivery_base_name(SrProject *project, const char *model_id_short)
{
  g_autofree char *shot = sr_delivery_shot_name(project);
  const char *ver = sr_project_get_version(project);
  g_autofree char *v = safe_name(ver && *ver ? ver : "v001", "v001");
  return g_strdup_printf("%s_%s_m%s", shot, v, model_id_short);
}

/* ---- provenance -------------------------------------------------------------------- */

static char *
frames_text(const GArray *a)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; a && i < a->len; i++)
    g_string_append_printf(s, "%s%d", i ? ", " : "", g_array_index(a, int, i));
  if (s->len == 0)
    g_string_append(s, "none");
  return g_string_free(s, FALSE);
}

static const char *
or_unspecified(const char *s)
{
  return s && *s ? s : "unspecified";
}

char **
sr_delivery_provenance(SrProject *project, const SrCheckpointFacts *facts, int first, int last,
                       sr_colourspace space, const char *ocio_space, gboolean merged,
                       const char *date_iso)
{
  const SrProvenance *p = sr_project_get_provenance(project);
  GPtrArray *kv = g_ptr_array_new();
#define KV(k, v)                      \
  do {                                \
    g_ptr_array_add(kv, g_strdup(k)); \
    g_ptr_array_add(kv, (v));         \
  } while (0)
  KV("mlProcessing", g_strdup_printf("Processed with machine learning: %s %s, %s", TOOL_NAME,
                                     SR_VERSION, date_iso));
  KV("mlTool", g_strdup(TOOL_NAME));
  KV("mlToolVersion", g_strdup(SR_VERSION));
  KV("mlProcessingDate", g_strdup(date_iso));
  KV("recoveryType", g_strdup(RECOVERY_TYPE));
  KV("filmTitle", g_strdup(or_unspecified(p ? p->film_title : NULL)));
  g_autofree char *shot = sr_delivery_shot_name(project);
  KV("shotId", g_strdup(p && p->shot_id && *p->shot_id ? p->shot_id : shot));
  KV("frameRange", g_strdup_printf("%d-%d", first, last));
  KV("sourceElement", g_strdup(or_unspecified(p ? p->source_element : NULL)));
  KV("referenceSource", g_strdup(or_unspecified(p ? p->reference_source : NULL)));
  KV("trainingDate", g_strdup(or_unspecified(facts->training_date)));
  KV("modelCheckpointId", g_strdup(facts->model_id));
  KV("modelArchitecture", g_strdup(or_unspecified(facts->architecture)));
  KV("trainingFrames", frames_text(facts->training_frames));
  KV("heldOutFrames", frames_text(facts->held_out_frames));
  KV("trainingSteps", g_strdup_printf("%" G_GINT64_FORMAT, facts->steps));
  KV("modelSize", g_strdup(or_unspecified(facts->model_size)));
  KV("restorationist", g_strdup(or_unspecified(p ? p->restorationist : NULL)));
  KV("institution", g_strdup(or_unspecified(p ? p->institution : NULL)));
  const char *dst = merged ? SR_IPTC_COMPOSITE : SR_IPTC_TRAINED;
  KV("digitalSourceType", g_strdup(dst));
  KV("digitalSourceTypeUri", g_strconcat(SR_IPTC_URI_PREFIX, dst, NULL));
  KV("sourceColourSpace", sr_project_describe_space(project, TRUE));
  KV("deliveryColourSpace",
     ocio_space ? g_strdup_printf("%s (OCIO)", ocio_space) : g_strdup(sr_colourspace_label(space)));
  if (ocio_space || *sr_project_get_ocio_space(project, TRUE)) {
    KV("ocioConfig", sr_project_get_ocio_config_path(project));
    if (*sr_project_get_ocio_space(project, TRUE))
      KV("ocioSourceColourSpace", g_strdup(sr_project_get_ocio_space(project, TRUE)));
    if (ocio_space)
      KV("ocioColourSpace", g_strdup(ocio_space));
  }
  KV("notes", g_strdup(p && p->notes && *p->notes ? p->notes : "none"));
#undef KV
  g_ptr_array_add(kv, NULL);
  return (char **)g_ptr_array_free(kv, FALSE);
}

/* Regrain in the provenance: "regrain" is "none" when the rendered frames
 * carry no grain, else the plan they record (spatialRecovery:grain: seed,
 * plan digest, the Reference's grain variance and band powers). Returns the
 * key/value list with the pair appended (the old list is consumed). */
static char **
add_grain_provenance(char **prov, const char *rendered_frame)
{
  char *g = NULL;
  sr_image_read_attribute(rendered_frame, SR_RENDER_GRAIN_ATTR, &g, NULL);
  guint n = g_strv_length(prov);
  prov = g_renew(char *, prov, n + 3);
  prov[n] = g_strdup("regrain");
  prov[n + 1] = g_strdup(g ? g : "none");
  prov[n + 2] = NULL;
  free(g);
  return prov;
}

/* ---- run --------------------------------------------------------------------------- */

void
sr_delivery_options_init(SrDeliveryOptions *o)
{
  memset(o, 0, sizeof *o);
  o->first = 1;
  o->last = 0;
  o->compression = SR_EXR_ZIP;
  o->space = SR_CS_ACES2065_1;
}

void
sr_delivery_result_clear(SrDeliveryResult *r)
{
  g_free(r->out_dir);
  g_free(r->master_pattern);
  g_free(r->json_path);
  g_free(r->text_path);
  g_free(r->manifest_path);
  g_strfreev(r->overridden);
  sr_reel_facts_clear(&r->reel);
  sr_checkpoint_facts_clear(&r->facts);
  memset(r, 0, sizeof *r);
}

static void
drop_attributes(sr_image *img)
{
  for (int i = 0; i < img->n_attributes; i++) {
    free(img->attributes[i].key);
    free(img->attributes[i].value);
  }
  free(img->attributes);
  img->attributes = NULL;
  img->n_attributes = 0;
}

typedef sr_claim SrClaim;
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(SrClaim, sr_claim_release)

static gboolean
check_writable(const char *dir, GError **error)
{
  sr_error err = {0};
  if (!sr_mkdir_p(dir, &err)) {
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_UNWRITABLE,
                _("cannot create the delivery folder %s: %s. Choose another folder with --out or "
                  "fix its permissions"),
                dir, err.message);
    return FALSE;
  }
  if (access(dir, W_OK | X_OK) != 0) {
    int e = errno;
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_UNWRITABLE,
                _("cannot write to the delivery folder %s: %s. Choose another folder with --out "
                  "or fix its permissions"),
                dir, g_strerror(e));
    return FALSE;
  }
  return TRUE;
}

/* No master or sidecar may replace a rendered frame, a Source or a Reference
 * frame, whatever the spelling of --out. */
static gboolean
refuse_inputs(SrProject *project, const sr_sequence *render, const SrDeliveryResult *out,
              GError **error)
{
  sr_file_set *inputs = sr_project_input_files(project);
  sr_error err = {0};
  gboolean ok =
      sr_file_set_add_sequence(inputs, render, &err) &&
      sr_file_set_refuse_pattern(inputs, out->master_pattern, out->first, out->last, &err) &&
      sr_file_set_refuse(inputs, out->json_path, &err) &&
      sr_file_set_refuse(inputs, out->text_path, &err);
  sr_file_set_free(inputs);
  if (!ok)
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_INVALID, "%s", err.message);
  return ok;
}

static gboolean
write_text_atomic(const char *path, const char *text, GError **error)
{
  sr_error err = {0};
  if (!sr_write_file_atomic(path, text, strlen(text), &err)) {
    set_from_sr(error, &err, NULL);
    return FALSE;
  }
  return TRUE;
}

static char *
sidecar_json(SrProject *project, char **prov, const SrDeliveryResult *r, const SrDeliveryOptions *o,
             const float chroma[8], const char *note_path)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "format");
  json_builder_add_string_value(b, "spatial-recovery-delivery");
  json_builder_set_member_name(b, "version");
  json_builder_add_int_value(b, 1);
  json_builder_set_member_name(b, "provenance");
  json_builder_begin_object(b);
  for (int i = 0; prov[i] && prov[i + 1]; i += 2) {
    json_builder_set_member_name(b, prov[i]);
    json_builder_add_string_value(b, prov[i + 1]);
  }
  json_builder_end_object(b);
  json_builder_set_member_name(b, "model");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "id");
  json_builder_add_string_value(b, r->facts.model_id);
  json_builder_set_member_name(b, "id_short");
  json_builder_add_string_value(b, r->facts.model_id_short);
  json_builder_set_member_name(b, "steps");
  json_builder_add_int_value(b, r->facts.steps);
  json_builder_set_member_name(b, "size");
  json_builder_add_string_value(b, r->facts.model_size);
  json_builder_set_member_name(b, "checkpoint");
  json_builder_add_string_value(b, r->facts.checkpoint_path);
  json_builder_set_member_name(b, "training_frames");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->facts.training_frames->len; i++)
    json_builder_add_int_value(b, g_array_index(r->facts.training_frames, int, i));
  json_builder_end_array(b);
  json_builder_set_member_name(b, "held_out_frames");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->facts.held_out_frames->len; i++)
    json_builder_add_int_value(b, g_array_index(r->facts.held_out_frames, int, i));
  json_builder_end_array(b);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "masters");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "pattern");
  json_builder_add_string_value(b, r->master_pattern);
  json_builder_set_member_name(b, "first");
  json_builder_add_int_value(b, r->first);
  json_builder_set_member_name(b, "last");
  json_builder_add_int_value(b, r->last);
  json_builder_set_member_name(b, "count");
  json_builder_add_int_value(b, r->last - r->first + 1);
  json_builder_set_member_name(b, "compression");
  json_builder_add_string_value(b, sr_exr_compression_name(o->compression));
  json_builder_set_member_name(b, "pixel_type");
  json_builder_add_string_value(b, "half");
  json_builder_set_member_name(b, "colourspace");
  if (o->ocio_space) {
    g_autofree char *id = g_strconcat("ocio:", o->ocio_space, NULL);
    json_builder_add_string_value(b, id);
  } else {
    json_builder_add_string_value(b, sr_colourspace_id(o->space));
  }
  json_builder_set_member_name(b, "chromaticities");
  json_builder_begin_array(b);
  for (int i = 0; i < 8 && chroma; i++)
    json_builder_add_double_value(b, chroma[i]);
  json_builder_end_array(b);
  json_builder_set_member_name(b, "files");
  json_builder_begin_array(b);
  for (int f = r->first; f <= r->last; f++) {
    g_autofree char *p = sr_pattern_format(r->master_pattern, f);
    g_autofree char *base = g_path_get_basename(p);
    json_builder_add_string_value(b, base);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "validation_note");
  if (note_path)
    json_builder_add_string_value(b, note_path);
  else
    json_builder_add_null_value(b);
  sr_delivery_record_json(b, project, o, r);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  char *text = sr_json_text(root, TRUE, NULL);
  char *with_nl = g_strconcat(text, "\n", NULL);
  g_free(text);
  return with_nl;
}

/* One "key value" line of the text sidecar: a value's line breaks, control
 * characters and terminal escape codes are written as JSON-style escapes
 * (\n, \u001b), so no value can start a line of its own or drive a
 * terminal that shows the file. */
static void
append_text_line(GString *s, const char *key, const char *value)
{
  g_string_append_printf(s, "%-22s ", key);
  for (const unsigned char *c = (const unsigned char *)value; c && *c; c++) {
    if (*c == '\\')
      g_string_append(s, "\\\\");
    else if (*c == '\n')
      g_string_append(s, "\\n");
    else if (*c == '\r')
      g_string_append(s, "\\r");
    else if (*c == '\t')
      g_string_append(s, "\\t");
    else if (*c < 0x20 || *c == 0x7f)
      g_string_append_printf(s, "\\u%04x", *c);
    else if (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) /* C1 controls, U+0080..U+009F */
      g_string_append_printf(s, "\\u%04x", *++c);
    else
      g_string_append_c(s, (char)*c);
  }
  g_string_append_c(s, '\n');
}

static char *
sidecar_text(SrProject *project, char **prov, const SrDeliveryResult *r, const SrDeliveryOptions *o,
             const char *note_path)
{
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "%s delivery record\n\n", TOOL_NAME);
  for (int i = 0; prov[i] && prov[i + 1]; i += 2)
    append_text_line(s, prov[i], prov[i + 1]);
  g_string_append_c(s, '\n');
  append_text_line(s, "checkpoint", r->facts.checkpoint_path);
  append_text_line(s, "masters", r->master_pattern);
  g_string_append_printf(s, "%-22s %d-%d (%d frames)\n", "frames", r->first, r->last,
                         r->last - r->first + 1);
  g_string_append_printf(s, "%-22s EXR half, %s, %s\n", "format",
                         sr_exr_compression_name(o->compression),
                         o->ocio_space ? o->ocio_space : sr_colourspace_label(o->space));
  if (note_path)
    append_text_line(s, "validation note", note_path);
  g_auto(GStrv) record = sr_delivery_record_text(project, o, r);
  g_string_append_c(s, '\n');
  for (int i = 0; record[i] && record[i + 1]; i += 2)
    append_text_line(s, record[i], record[i + 1]);
  return g_string_free(s, FALSE);
}

static gboolean
verify_master(const char *path, int frame, int w, int h, const float chroma[8],
              const char *model_id, GError **error)
{
  sr_error err = {0};
  sr_image *img = sr_image_read(path, &err);
  if (!img) {
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_VERIFY,
                _("frame %d: the master %s does not read back: %s"), frame, path, err.message);
    return FALSE;
  }
  const char *why = NULL;
  if (img->width != w || img->height != h)
    why = _("its size differs from the render");
  else if (!chroma) /* an OpenColorIO space: the config defines it */
    why = NULL;
  else if (!img->has_chromaticities)
    why = _("it has no chromaticities");
  else {
    for (int i = 0; i < 8; i++)
      if (fabsf(img->chromaticities[i] - chroma[i]) > 1e-4f)
        why = _("its chromaticities are not the delivery colour space's");
  }
  const char *mid = sr_image_get_attribute(img, "modelCheckpointId");
  if (!why && (!mid || strcmp(mid, model_id) != 0))
    why = _("its modelCheckpointId attribute is missing or names another model");
  if (!why && !sr_image_get_attribute(img, "mlProcessing"))
    why = _("its provenance attributes are missing");
  sr_image_free(img);
  if (why) {
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_VERIFY,
                _("frame %d: the master %s failed verification: %s. It was left as it is: move it "
                  "out of the delivery folder (it may be a file of yours, not one this delivery "
                  "wrote) and run deliver again"),
                frame, path, why);
    return FALSE;
  }
  return TRUE;
}

gboolean
sr_delivery_run(SrProject *project, const SrDeliveryOptions *opts, SrDeliveryProgress progress,
                gpointer user_data, GCancellable *cancellable, SrDeliveryResult *out,
                GError **error)
{
  SrDeliveryOptions defaults;
  if (!opts) {
    sr_delivery_options_init(&defaults);
    opts = &defaults;
  }
  memset(out, 0, sizeof *out);
  if (opts->compression != SR_EXR_ZIP && opts->compression != SR_EXR_DWAA) {
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_INVALID,
                _("masters are delivered with ZIP or DWAA compression, not %s"),
                sr_exr_compression_name(opts->compression));
    return FALSE;
  }
  if ((int)opts->space < 0 || opts->space >= SR_CS_COUNT) {
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_INVALID,
                _("unknown delivery colour space"));
    return FALSE;
  }
  g_autofree char *pattern = opts->render_pattern ? g_strdup(opts->render_pattern)
                                                  : sr_delivery_default_render_pattern(project);
  if (!pattern) {
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_INVALID,
                _("the project has no output folder: give the rendered frames (--render) and an "
                  "output folder (--out)"));
    return FALSE;
  }
  g_autofree char *out_dir = NULL;
  if (opts->out_dir) {
    out_dir = g_strdup(opts->out_dir);
  } else {
    const char *of = sr_project_get_output_folder(project);
    if (!of || !*of) {
      g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_INVALID,
                  _("the project has no output folder: choose where the masters go (--out)"));
      return FALSE;
    }
    g_autofree char *base = sr_project_resolve_path(project, of);
    out_dir = g_build_filename(base, "delivery", NULL);
  }

  sr_error err = {0};
  sr_sequence seq = {0};
  if (!sr_sequence_open(&seq, pattern, &err)) {
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_MISSING,
                _("no rendered frames to deliver: %s. Render the shot first"), err.message);
    return FALSE;
  }
  int first = opts->first <= opts->last ? opts->first : seq.first;
  int last = opts->first <= opts->last ? opts->last : seq.last;
  GString *missing = g_string_new(NULL);
  int n_missing = 0;
  for (int f = first; f <= last; f++)
    if (!sr_sequence_has_frame(&seq, f)) {
      if (n_missing < 20)
        g_string_append_printf(missing, "%s%d", n_missing ? ", " : "", f);
      n_missing++;
    }
  if (n_missing) {
    g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_MISSING,
                /* TRANSLATORS: the first %s is the rendered frames' pattern, the
                   second a list of frame numbers, the third ", ..." or "". */
                ngettext("%d rendered frame is missing in %d-%d of %s: %s%s. Render it before "
                         "delivering; nothing was written",
                         "%d rendered frames are missing in %d-%d of %s: %s%s. Render them before "
                         "delivering; nothing was written",
                         n_missing),
                n_missing, first, last, pattern, missing->str, n_missing > 20 ? ", ..." : "");
    g_string_free(missing, TRUE);
    sr_sequence_clear(&seq);
    return FALSE;
  }
  g_string_free(missing, TRUE);

  if (!sr_checkpoint_facts_lookup(project, opts->checkpoint, &out->facts, error)) {
    sr_sequence_clear(&seq);
    return FALSE;
  }
  g_autofree char *base = sr_delivery_base_name(project, out->facts.model_id_short);
  out->out_dir = g_strdup(out_dir);
  /* A BagIt bag keeps its payload under data/. */
  if (opts->bagit) {
    g_free(out_dir);
    out_dir = g_build_filename(out->out_dir, "data", NULL);
  }
  g_autofree char *master_file =
      g_strdup_printf("%s.%%0%dd.exr", base, sr_delivery_frame_digits(project));
  out->master_pattern = g_build_filename(out_dir, master_file, NULL);
  g_autofree char *json_file = g_strdup_printf("%s.json", base);
  g_autofree char *text_file = g_strdup_printf("%s.txt", base);
  out->json_path = g_build_filename(out_dir, json_file, NULL);
  out->text_path = g_build_filename(out_dir, text_file, NULL);
  out->first = first;
  out->last = last;
  if (!sr_delivery_check_gate(project, opts, out, error)) {
    sr_sequence_clear(&seq);
    return FALSE;
  }
  sr_reel_facts_lookup(project, first, &out->reel);

  if (!refuse_inputs(project, &seq, out, error) || !check_writable(out_dir, error)) {
    sr_sequence_clear(&seq);
    return FALSE;
  }
  sr_fs_remove_stale_temps(out_dir, base);
  /* The fixity files' temporaries (sr-fixity.c) sit in the delivery's top
   * folder, a bag's too. */
  static const char *const fixity_files[] = {"manifest-", "tagmanifest-", "bagit.txt",
                                             "bag-info.txt"};
  for (gsize i = 0; i < G_N_ELEMENTS(fixity_files); i++)
    sr_fs_remove_stale_temps(out->out_dir, fixity_files[i]);

  sr_colourspace src_space = sr_project_get_source_colourspace(project);
  sr_colour_transform *xf = NULL;
  const char *src_ocio = sr_project_get_ocio_space(project, TRUE);
  if (*src_ocio || opts->ocio_space) {
    g_autofree char *config = sr_project_get_ocio_config_path(project);
    sr_ocio_config *cfg = sr_ocio_config_open(config, &err);
    xf = cfg ? sr_colour_transform_new_ocio(cfg, *src_ocio ? src_ocio : NULL, src_space,
                                            opts->ocio_space, opts->space, &err)
             : NULL;
    sr_ocio_config_free(cfg);
  } else if (src_space != opts->space) {
    xf = sr_colour_transform_new(src_space, opts->space, &err);
  }
  if ((*src_ocio || opts->ocio_space || src_space != opts->space) && !xf) {
    set_from_sr(error, &err, NULL);
    sr_sequence_clear(&seq);
    return FALSE;
  }
  float chroma[8];
  sr_colourspace_chromaticities(opts->space, chroma);
  char date[32];
  sr_time_now_iso(date);

  /* Composite when the project's crop is smaller than the frame. */
  sr_image_info info0;
  g_autofree char *first_path = sr_sequence_frame_path(&seq, first);
  if (!sr_image_read_info(first_path, &info0, &err)) {
    set_from_sr(error, &err, NULL);
    sr_colour_transform_free(xf);
    sr_sequence_clear(&seq);
    return FALSE;
  }
  sr_rect crop = sr_project_get_crop(project);
  out->merged = crop.w > 0 &&
                !(crop.x == 0 && crop.y == 0 && crop.w == info0.width && crop.h == info0.height);
  g_auto(GStrv) prov = sr_delivery_provenance(project, &out->facts, first, last, opts->space,
                                              opts->ocio_space, out->merged, date);
  prov = add_grain_provenance(prov, first_path);

  sr_write_options wo;
  sr_write_options_init(&wo);
  wo.compression = opts->compression;
  int total = last - first + 1;
  gboolean ok = TRUE;
  for (int f = first; f <= last && ok; f++) {
    if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
      ok = FALSE;
      break;
    }
    g_autofree char *src_path = sr_sequence_frame_path(&seq, f);
    g_autofree char *dst = sr_pattern_format(out->master_pattern, f);
    /* Held until the master is written: deliveries of one shot started on
     * several nodes write each master once, the others find it there. */
    g_auto(SrClaim) claim = {.fd = -1};
    int got;
    while ((got = sr_claim_try(&claim, dst, &err)) == 0 && !g_cancellable_is_cancelled(cancellable))
      g_usleep(20000);
    if (got < 0) {
      set_from_sr(error, &err, NULL);
      ok = FALSE;
      break;
    }
    if (got == 0) {
      g_cancellable_set_error_if_cancelled(cancellable, error);
      ok = FALSE;
      break;
    }
    sr_image_info ri, mi;
    if (g_file_test(dst, G_FILE_TEST_IS_REGULAR) && sr_image_read_info(src_path, &ri, NULL) &&
        sr_image_read_info(dst, &mi, NULL) && mi.width == ri.width && mi.height == ri.height) {
      out->skipped++;
      if (progress)
        progress(f - first + 1, total, f, "skipped", user_data);
      continue;
    }
    /* Read by path: the prefix below names the frame (the sequence reader
     * would name it a second time). */
    sr_image *img = sr_image_read(src_path, &err);
    if (!img) {
      sr_error_prefix(&err, _("rendered frame %d: "), f);
      set_from_sr(error, &err, _("Re-render this frame, then run deliver again"));
      ok = FALSE;
      break;
    }
    const char *mid = sr_image_get_attribute(img, MODEL_ATTR);
    if (!mid) {
      g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_CHECKPOINT,
                  _("rendered frame %d (%s) carries no model id: it was not rendered by this "
                    "program (is it a Source scan?). Deliver only frames rendered with model %s"),
                  f, src_path, out->facts.model_id_short);
      sr_image_free(img);
      ok = FALSE;
      break;
    }
    if (strcmp(mid, out->facts.model_id) != 0) {
      g_autofree char *shrt = g_strndup(mid, SR_MODEL_ID_SHORT);
      g_set_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_CHECKPOINT,
                  _("rendered frame %d was made by model %s, but the checkpoint %s is model %s; "
                    "choose the checkpoint used for the render or re-render"),
                  f, shrt, out->facts.checkpoint_path, out->facts.model_id_short);
      sr_image_free(img);
      ok = FALSE;
      break;
    }
    if (xf)
      sr_colour_transform_image(xf, img);
    img->has_chromaticities = opts->ocio_space == NULL;
    memcpy(img->chromaticities, chroma, sizeof chroma);
    drop_attributes(img);
    for (int i = 0; prov[i] && prov[i + 1] && ok; i += 2)
      if (!sr_image_set_attribute(img, prov[i], prov[i + 1], &err)) {
        set_from_sr(error, &err, NULL);
        ok = FALSE;
      }
    char fr[24];
    g_snprintf(fr, sizeof fr, "%d", f);
    if (ok && (!sr_image_set_attribute(img, "frameNumber", fr, &err) ||
               !sr_delivery_set_reel_attributes(out, f, img, &err))) {
      set_from_sr(error, &err, NULL);
      ok = FALSE;
    }
    wo.write_alpha = img->channels == 4;
    if (ok && !sr_image_write(dst, img, &wo, &err)) {
      sr_error_prefix(&err, _("master for frame %d: "), f);
      set_from_sr(error, &err, NULL);
      ok = FALSE;
    }
    sr_image_free(img);
    if (ok) {
      out->written++;
      if (progress)
        progress(f - first + 1, total, f, "written", user_data);
    }
  }
  sr_colour_transform_free(xf);
  sr_sequence_clear(&seq);
  if (!ok) {
    sr_fs_remove_stale_temps(out_dir, base);
    return FALSE;
  }
  for (int f = first; f <= last; f++) {
    if (g_cancellable_set_error_if_cancelled(cancellable, error))
      return FALSE;
    g_autofree char *dst = sr_pattern_format(out->master_pattern, f);
    if (!verify_master(dst, f, info0.width, info0.height, opts->ocio_space ? NULL : chroma,
                       out->facts.model_id, error))
      return FALSE;
    if (progress)
      progress(f - first + 1, total, f, "verified", user_data);
  }
  g_autofree char *json =
      sidecar_json(project, prov, out, opts, opts->ocio_space ? NULL : chroma, opts->note_path);
  g_autofree char *text = sidecar_text(project, prov, out, opts, opts->note_path);
  if (!write_text_atomic(out->json_path, json, error) ||
      !write_text_atomic(out->text_path, text, error)) {
    sr_fs_remove_stale_temps(out_dir, base);
    return FALSE;
  }
  return sr_delivery_write_fixity(project, opts, out, error);
}
