/* sr-project-json.c — an SrProject as JSON: writing it, and reading it
 * back field by field, where every bad value is refused with the field's
 * name and what is expected (sr_project_parse_into). */
#include "sr-project-private.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* ---- Serialisation ---------------------------------------------------------- */

static void
add_string(JsonBuilder *b, const char *key, const char *value)
{
  json_builder_set_member_name(b, key);
  json_builder_add_string_value(b, value != NULL ? value : "");
}

static void
add_int(JsonBuilder *b, const char *key, gint64 value)
{
  json_builder_set_member_name(b, key);
  json_builder_add_int_value(b, value);
}

static void
add_bool(JsonBuilder *b, const char *key, gboolean value)
{
  json_builder_set_member_name(b, key);
  json_builder_add_boolean_value(b, value);
}

static void
add_frames(JsonBuilder *b, const char *key, const GArray *frames)
{
  json_builder_set_member_name(b, key);
  json_builder_begin_array(b);
  for (guint i = 0; i < frames->len; i++)
    json_builder_add_int_value(b, g_array_index(frames, int, i));
  json_builder_end_array(b);
}

char *
sr_project_to_data(SrProject *self, gsize *len)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  add_int(b, "schema", SR_PROJECT_SCHEMA);
  add_string(b, "name", self->name);

  json_builder_set_member_name(b, "source");
  json_builder_begin_object(b);
  add_string(b, "pattern", self->source_pattern);
  add_string(b, "colourspace", sr_colourspace_id(self->source_cs));
  json_builder_end_object(b);

  json_builder_set_member_name(b, "reference");
  json_builder_begin_object(b);
  add_string(b, "pattern", self->reference_pattern);
  add_string(b, "colourspace", sr_colourspace_id(self->reference_cs));
  add_int(b, "offset", self->reference_offset);
  json_builder_end_object(b);

  add_frames(b, "pairs", self->pairs);
  add_frames(b, "held_out", self->held_out);
  json_builder_set_member_name(b, "preview_frame");
  if (self->preview_frame >= 0)
    json_builder_add_int_value(b, self->preview_frame);
  else
    json_builder_add_null_value(b);

  json_builder_set_member_name(b, "crop");
  json_builder_begin_object(b);
  add_int(b, "x", self->crop.x);
  add_int(b, "y", self->crop.y);
  add_int(b, "w", self->crop.w);
  add_int(b, "h", self->crop.h);
  json_builder_end_object(b);
  add_string(b, "prefilter", sr_prefilter_id(self->prefilter));

  const SrTrainingSettings *t = &self->training;
  json_builder_set_member_name(b, "training");
  json_builder_begin_object(b);
  add_string(b, "model", sr_project_model_size_ids[t->model_size]);
  add_int(b, "patch", t->patch);
  add_int(b, "batch", t->batch);
  add_int(b, "steps", t->steps);
  add_int(b, "checkpoint_every", t->checkpoint_every);
  add_int(b, "contact_sheet_every", t->contact_sheet_every);
  json_builder_set_member_name(b, "learning_rate");
  json_builder_add_double_value(b, t->learning_rate);
  add_int(b, "warmup_steps", t->warmup_steps);
  add_bool(b, "cosine_decay", t->cosine_decay);
  add_bool(b, "flip", t->flip);
  add_bool(b, "exposure_jitter", t->exposure_jitter);
  add_bool(b, "scale_jitter", t->scale_jitter);
  json_builder_set_member_name(b, "translate_px");
  json_builder_add_double_value(b, t->translate_px);
  add_int(b, "seed", (gint64)t->seed);
  add_string(b, "backend", t->backend);
  json_builder_end_object(b);

  json_builder_set_member_name(b, "render");
  json_builder_begin_object(b);
  add_string(b, "output_folder", self->output_folder);
  add_string(b, "version", self->version);
  add_string(b, "checkpoint", self->checkpoint);
  json_builder_end_object(b);

  const SrProvenance *p = &self->provenance;
  json_builder_set_member_name(b, "provenance");
  json_builder_begin_object(b);
  add_string(b, "film_title", p->film_title);
  add_string(b, "shot_id", p->shot_id);
  add_string(b, "source_element", p->source_element);
  add_string(b, "reference_source", p->reference_source);
  add_string(b, "restorationist", p->restorationist);
  add_string(b, "institution", p->institution);
  add_string(b, "notes", p->notes);
  json_builder_end_object(b);

  json_builder_set_member_name(b, "flags");
  json_builder_begin_array(b);
  for (guint i = 0; i < self->flags->len; i++) {
    const SrFlag *f = &g_array_index(self->flags, SrFlag, i);
    json_builder_begin_object(b);
    add_int(b, "frame", f->frame);
    add_string(b, "reason", f->reason);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);

  json_builder_set_member_name(b, "accepted");
  json_builder_begin_array(b);
  for (guint i = 0; i < self->accepted->len; i++)
    json_builder_add_string_value(b, g_ptr_array_index(self->accepted, i));
  json_builder_end_array(b);
  json_builder_end_object(b);

  JsonNode *root = json_builder_get_root(b);
  JsonGenerator *gen = json_generator_new();
  json_generator_set_pretty(gen, TRUE);
  json_generator_set_indent(gen, 2);
  json_generator_set_root(gen, root);
  gsize n = 0;
  char *text = json_generator_to_data(gen, &n);
  /* A trailing newline keeps the file friendly to text tools. */
  char *out = g_strconcat(text, "\n", NULL);
  g_free(text);
  if (len != NULL)
    *len = n + 1;
  json_node_unref(root);
  g_object_unref(gen);
  g_object_unref(b);
  return out;
}

/* ---- Parsing with validation ------------------------------------------------ */

typedef struct {
  const char *origin; /* file name or "project" for messages */
  GError **error;
} Parse;

static gboolean field_error(Parse *ps, const char *field, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
field_error(Parse *ps, const char *field, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(ps->error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD, "%s: %s: %s", ps->origin, field,
              msg);
  return FALSE;
}

static const char *
node_kind(JsonNode *n)
{
  switch (json_node_get_node_type(n)) {
  case JSON_NODE_OBJECT: return _("an object");
  case JSON_NODE_ARRAY: return _("an array");
  case JSON_NODE_NULL: return "null";
  default: break;
  }
  GType t = json_node_get_value_type(n);
  if (t == G_TYPE_STRING)
    return _("a string");
  if (t == G_TYPE_BOOLEAN)
    return _("true/false");
  if (t == G_TYPE_DOUBLE)
    return _("a fractional number");
  return _("a number");
}

/* Looks up a member; *out NULL when absent (and not required). */
static gboolean
member(Parse *ps, JsonObject *o, const char *key, const char *field, gboolean required,
       JsonNode **out)
{
  *out = json_object_has_member(o, key) ? json_object_get_member(o, key) : NULL;
  if (*out == NULL && required)
    return field_error(ps, field, _("missing (required)"));
  return TRUE;
}

static gboolean
read_object(Parse *ps, JsonObject *o, const char *key, const char *field, gboolean required,
            JsonObject **out)
{
  JsonNode *n;
  *out = NULL;
  if (!member(ps, o, key, field, required, &n))
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT(n))
    return field_error(ps, field, _("expected an object, found %s"), node_kind(n));
  *out = json_node_get_object(n);
  return TRUE;
}

static gboolean
read_string(Parse *ps, JsonObject *o, const char *key, const char *field, gboolean required,
            char **out)
{
  JsonNode *n;
  if (!member(ps, o, key, field, required, &n))
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return field_error(ps, field, _("expected a string, found %s"), node_kind(n));
  sr_project_set_string_field(out, json_node_get_string(n));
  return TRUE;
}

static gboolean
node_int(Parse *ps, JsonNode *n, const char *field, const char *what, gint64 lo, gint64 hi,
         gint64 *out)
{
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return field_error(ps, field, _("expected %s, found %s"), what, node_kind(n));
  gint64 v = json_node_get_int(n);
  if (v < lo || v > hi)
    return field_error(ps, field, _("%lld is outside %lld..%lld"), (long long)v, (long long)lo,
                       (long long)hi);
  *out = v;
  return TRUE;
}

static gboolean
read_int(Parse *ps, JsonObject *o, const char *key, const char *field, gboolean required, gint64 lo,
         gint64 hi, int *out)
{
  JsonNode *n;
  gint64 v;
  if (!member(ps, o, key, field, required, &n))
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!node_int(ps, n, field, _("an integer"), lo, hi, &v))
    return FALSE;
  *out = (int)v;
  return TRUE;
}

static gboolean
read_double(Parse *ps, JsonObject *o, const char *key, const char *field, double *out)
{
  JsonNode *n;
  if (!member(ps, o, key, field, FALSE, &n))
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE(n) ||
      (json_node_get_value_type(n) != G_TYPE_INT64 && json_node_get_value_type(n) != G_TYPE_DOUBLE))
    return field_error(ps, field, _("expected a number, found %s"), node_kind(n));
  double v = json_node_get_value_type(n) == G_TYPE_INT64 ? (double)json_node_get_int(n)
                                                         : json_node_get_double(n);
  if (!isfinite(v))
    return field_error(ps, field, _("expected a finite number"));
  *out = v;
  return TRUE;
}

static gboolean
read_bool(Parse *ps, JsonObject *o, const char *key, const char *field, gboolean *out)
{
  JsonNode *n;
  if (!member(ps, o, key, field, FALSE, &n))
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
    return field_error(ps, field, _("expected true or false, found %s"), node_kind(n));
  *out = json_node_get_boolean(n);
  return TRUE;
}

static gboolean
read_colourspace(Parse *ps, JsonObject *o, const char *field, sr_colourspace *out)
{
  g_autofree char *id = g_strdup("");
  if (!read_string(ps, o, "colourspace", field, TRUE, &id))
    return FALSE;
  if (!sr_colourspace_from_id(id, out))
    return field_error(ps, field,
                       _("unknown colour space '%s' (expected aces2065-1, acescg, linear-rec709, "
                         "srgb or rec709)"),
                       id);
  return TRUE;
}

static gboolean
read_frames(Parse *ps, JsonObject *o, const char *key, gboolean required, GArray *out)
{
  JsonNode *n;
  if (!member(ps, o, key, key, required, &n))
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY(n))
    return field_error(ps, key, _("expected an array of frame numbers, found %s"), node_kind(n));
  JsonArray *a = json_node_get_array(n);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    g_autofree char *field = g_strdup_printf("%s[%u]", key, i);
    gint64 v;
    if (!node_int(ps, json_array_get_element(a, i), field, _("an integer frame number"), 0,
                  MAX_FRAME, &v))
      return FALSE;
    if (!sr_project_frame_set_insert(out, (int)v))
      return field_error(ps, field, _("frame %d is listed twice"), (int)v);
  }
  return TRUE;
}

static gboolean
parse_training(Parse *ps, JsonObject *root, SrTrainingSettings *t)
{
  JsonObject *o;
  if (!read_object(ps, root, "training", "training", FALSE, &o))
    return FALSE;
  if (o == NULL)
    return TRUE;
  g_autofree char *model = NULL;
  g_autofree char *backend = NULL;
  if (!read_string(ps, o, "model", "training.model", FALSE, &model))
    return FALSE;
  if (model != NULL) {
    gboolean found = FALSE;
    for (int i = 0; i < (int)G_N_ELEMENTS(sr_project_model_size_ids); i++)
      if (g_ascii_strcasecmp(model, sr_project_model_size_ids[i]) == 0) {
        t->model_size = (SrModelSize)i;
        found = TRUE;
      }
    if (!found)
      return field_error(ps, "training.model", _("unknown model size '%s' (expected S, M or L)"),
                         model);
  }
  gint64 seed = (gint64)t->seed;
  JsonNode *sn;
  if (!read_int(ps, o, "patch", "training.patch", FALSE, G_MININT, G_MAXINT, &t->patch) ||
      !read_int(ps, o, "batch", "training.batch", FALSE, G_MININT, G_MAXINT, &t->batch) ||
      !read_int(ps, o, "steps", "training.steps", FALSE, G_MININT, G_MAXINT, &t->steps) ||
      !read_int(ps, o, "checkpoint_every", "training.checkpoint_every", FALSE, G_MININT, G_MAXINT,
                &t->checkpoint_every) ||
      !read_int(ps, o, "contact_sheet_every", "training.contact_sheet_every", FALSE, G_MININT,
                G_MAXINT, &t->contact_sheet_every) ||
      !read_double(ps, o, "learning_rate", "training.learning_rate", &t->learning_rate) ||
      !read_int(ps, o, "warmup_steps", "training.warmup_steps", FALSE, G_MININT, G_MAXINT,
                &t->warmup_steps) ||
      !read_bool(ps, o, "cosine_decay", "training.cosine_decay", &t->cosine_decay) ||
      !read_bool(ps, o, "flip", "training.flip", &t->flip) ||
      !read_bool(ps, o, "exposure_jitter", "training.exposure_jitter", &t->exposure_jitter) ||
      !read_bool(ps, o, "scale_jitter", "training.scale_jitter", &t->scale_jitter) ||
      !read_double(ps, o, "translate_px", "training.translate_px", &t->translate_px) ||
      !member(ps, o, "seed", "training.seed", FALSE, &sn) ||
      (sn != NULL && !node_int(ps, sn, "training.seed", _("an integer"), 0, G_MAXINT64, &seed)) ||
      !read_string(ps, o, "backend", "training.backend", FALSE, &backend))
    return FALSE;
  t->seed = (guint64)seed;
  if (backend != NULL) {
    if (strlen(backend) >= sizeof t->backend)
      return field_error(ps, "training.backend",
                         _("unknown backend '%s' (expected auto, cpu or "
                           "cuda)"),
                         backend);
    g_strlcpy(t->backend, backend, sizeof t->backend);
  }
  g_autofree char *prefix = g_strdup_printf("%s: ", ps->origin);
  return sr_project_training_validate(t, prefix, ps->error);
}

static gboolean
parse_provenance(Parse *ps, JsonObject *root, SrProvenance *p)
{
  JsonObject *o;
  if (!read_object(ps, root, "provenance", "provenance", FALSE, &o))
    return FALSE;
  if (o == NULL)
    return TRUE;
  return read_string(ps, o, "film_title", "provenance.film_title", FALSE, &p->film_title) &&
         read_string(ps, o, "shot_id", "provenance.shot_id", FALSE, &p->shot_id) &&
         read_string(ps, o, "source_element", "provenance.source_element", FALSE,
                     &p->source_element) &&
         read_string(ps, o, "reference_source", "provenance.reference_source", FALSE,
                     &p->reference_source) &&
         read_string(ps, o, "restorationist", "provenance.restorationist", FALSE,
                     &p->restorationist) &&
         read_string(ps, o, "institution", "provenance.institution", FALSE, &p->institution) &&
         read_string(ps, o, "notes", "provenance.notes", FALSE, &p->notes);
}

static gboolean
parse_flags(Parse *ps, JsonObject *root, GArray *flags)
{
  JsonNode *n;
  if (!member(ps, root, "flags", "flags", FALSE, &n))
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY(n))
    return field_error(ps, "flags", _("expected an array, found %s"), node_kind(n));
  JsonArray *a = json_node_get_array(n);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    g_autofree char *field = g_strdup_printf("flags[%u]", i);
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_OBJECT(e))
      return field_error(ps, field, _("expected an object with frame and reason, found %s"),
                         node_kind(e));
    JsonObject *fo = json_node_get_object(e);
    g_autofree char *ffield = g_strdup_printf("%s.frame", field);
    g_autofree char *rfield = g_strdup_printf("%s.reason", field);
    int frame = 0;
    char *reason = g_strdup("");
    if (!read_int(ps, fo, "frame", ffield, TRUE, 0, MAX_FRAME, &frame) ||
        !read_string(ps, fo, "reason", rfield, FALSE, &reason)) {
      g_free(reason);
      return FALSE;
    }
    gboolean replaced = FALSE;
    for (guint k = 0; k < flags->len; k++) {
      SrFlag *f = &g_array_index(flags, SrFlag, k);
      if (f->frame == frame) {
        g_free(f->reason);
        f->reason = reason;
        replaced = TRUE;
      }
    }
    if (!replaced) {
      guint at = 0;
      while (at < flags->len && g_array_index(flags, SrFlag, at).frame < frame)
        at++;
      SrFlag f = {frame, reason};
      g_array_insert_val(flags, at, f);
    }
  }
  return TRUE;
}

static gboolean
parse_accepted(Parse *ps, JsonObject *root, GPtrArray *accepted)
{
  JsonNode *n;
  if (!member(ps, root, "accepted", "accepted", FALSE, &n))
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY(n))
    return field_error(ps, "accepted", _("expected an array of strings, found %s"), node_kind(n));
  JsonArray *a = json_node_get_array(n);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING) {
      g_autofree char *field = g_strdup_printf("accepted[%u]", i);
      return field_error(ps, field, _("expected a string, found %s"), node_kind(e));
    }
    const char *id = json_node_get_string(e);
    guint at = 0;
    while (at < accepted->len && strcmp(g_ptr_array_index(accepted, at), id) < 0)
      at++;
    if (at == accepted->len || strcmp(g_ptr_array_index(accepted, at), id) != 0)
      g_ptr_array_insert(accepted, (gint)at, g_strdup(id));
  }
  return TRUE;
}

/* Fills a fresh project `p` from JSON. */
gboolean
sr_project_parse_into(SrProject *p, const char *json, gsize len, const char *origin, GError **error)
{
  Parse ps = {origin != NULL ? origin : "project", error};
  if (len > MAX_PROJECT_BYTES) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_PARSE,
                _("%s: too large for a project file (%zu bytes)"), ps.origin, (size_t)len);
    return FALSE;
  }
  if (len > 0 && memchr(json, '\0', len) != NULL) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_PARSE,
                _("%s: not a project file (binary data)"), ps.origin);
    return FALSE;
  }
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  GError *local = NULL;
  if (!json_parser_load_from_data(parser, json, (gssize)len, &local)) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_PARSE,
                _("%s: not a valid project file (JSON error: %s)"), ps.origin, local->message);
    g_error_free(local);
    return FALSE;
  }
  JsonNode *rootn = json_parser_get_root(parser);
  if (rootn == NULL) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_PARSE,
                _("%s: not a project file (the file is empty)"), ps.origin);
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_OBJECT(rootn)) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_PARSE,
                _("%s: not a project file (expected a JSON object)"), ps.origin);
    return FALSE;
  }
  JsonObject *root = json_node_get_object(rootn);

  JsonNode *sn;
  gint64 schema;
  if (!member(&ps, root, "schema", "schema", TRUE, &sn) ||
      !node_int(&ps, sn, "schema", _("an integer version"), G_MININT64, G_MAXINT64, &schema))
    return FALSE;
  if (schema > SR_PROJECT_SCHEMA) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_VERSION,
                _("%s: schema: written by a newer version of Spatial Recovery (schema %lld, this "
                  "version reads up to %d); update the application to open it"),
                ps.origin, (long long)schema, SR_PROJECT_SCHEMA);
    return FALSE;
  }
  if (schema < 1)
    return field_error(&ps, "schema", _("%lld is not a valid schema version"), (long long)schema);

  if (!read_string(&ps, root, "name", "name", FALSE, &p->name))
    return FALSE;

  JsonObject *src, *ref;
  if (!read_object(&ps, root, "source", "source", TRUE, &src) ||
      !read_string(&ps, src, "pattern", "source.pattern", TRUE, &p->source_pattern) ||
      !read_colourspace(&ps, src, "source.colourspace", &p->source_cs) ||
      !read_object(&ps, root, "reference", "reference", TRUE, &ref) ||
      !read_string(&ps, ref, "pattern", "reference.pattern", TRUE, &p->reference_pattern) ||
      !read_colourspace(&ps, ref, "reference.colourspace", &p->reference_cs) ||
      !read_int(&ps, ref, "offset", "reference.offset", FALSE, -MAX_OFFSET, MAX_OFFSET,
                &p->reference_offset))
    return FALSE;

  if (!read_frames(&ps, root, "pairs", TRUE, p->pairs) ||
      !read_frames(&ps, root, "held_out", FALSE, p->held_out))
    return FALSE;
  for (guint i = 0; i < p->held_out->len; i++) {
    int f = g_array_index(p->held_out, int, i);
    if (sr_project_frame_search(p->pairs, f) >= 0)
      return field_error(&ps, "held_out",
                         _("frame %d is also a training pair; a frame is either "
                           "a pair or held out"),
                         f);
  }

  JsonNode *pn;
  if (!member(&ps, root, "preview_frame", "preview_frame", FALSE, &pn))
    return FALSE;
  if (pn != NULL && !JSON_NODE_HOLDS_NULL(pn)) {
    gint64 v;
    if (!node_int(&ps, pn, "preview_frame", _("an integer frame number or null"), -1, MAX_FRAME,
                  &v))
      return FALSE;
    if (v >= 0 && sr_project_frame_search(p->pairs, (int)v) >= 0)
      return field_error(&ps, "preview_frame",
                         _("frame %d is a training pair; the preview frame must not be trained on"),
                         (int)v);
    p->preview_frame = (int)v;
  }

  JsonObject *crop;
  if (!read_object(&ps, root, "crop", "crop", FALSE, &crop))
    return FALSE;
  if (crop != NULL) {
    if (!read_int(&ps, crop, "x", "crop.x", TRUE, 0, SR_IMAGE_MAX_DIM, &p->crop.x) ||
        !read_int(&ps, crop, "y", "crop.y", TRUE, 0, SR_IMAGE_MAX_DIM, &p->crop.y) ||
        !read_int(&ps, crop, "w", "crop.w", TRUE, 0, SR_IMAGE_MAX_DIM, &p->crop.w) ||
        !read_int(&ps, crop, "h", "crop.h", TRUE, 0, SR_IMAGE_MAX_DIM, &p->crop.h))
      return FALSE;
    if ((p->crop.w == 0) != (p->crop.h == 0))
      return field_error(&ps, "crop",
                         _("width and height must both be 0 (whole frame) or both "
                           "positive"));
  }

  g_autofree char *prefilter = NULL;
  if (!read_string(&ps, root, "prefilter", "prefilter", FALSE, &prefilter))
    return FALSE;
  if (prefilter != NULL && !sr_prefilter_from_id(prefilter, &p->prefilter))
    return field_error(&ps, "prefilter",
                       _("unknown pre-filter '%s' (expected none, median3 or "
                         "median5)"),
                       prefilter);

  if (!parse_training(&ps, root, &p->training))
    return FALSE;

  JsonObject *render;
  if (!read_object(&ps, root, "render", "render", FALSE, &render))
    return FALSE;
  if (render != NULL &&
      (!read_string(&ps, render, "output_folder", "render.output_folder", FALSE,
                    &p->output_folder) ||
       !read_string(&ps, render, "version", "render.version", FALSE, &p->version) ||
       !read_string(&ps, render, "checkpoint", "render.checkpoint", FALSE, &p->checkpoint)))
    return FALSE;

  return parse_provenance(&ps, root, &p->provenance) && parse_flags(&ps, root, p->flags) &&
         parse_accepted(&ps, root, p->accepted);
}
