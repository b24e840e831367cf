/* sr-project-json.c — an SrProject as JSON: writing it, and reading it
 * back field by field, where every bad value is refused with the field's
 * name and what is expected (sr_project_parse_into). */
#include "sr-project-private.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "sr-frame-map-json.h"
#include "sr-json-builder.h"

/* ---- Paths -------------------------------------------------------------------- */

char **
sr_project_path_field(SrProject *p, int which)
{
  switch (which) {
  case SR_PROJECT_PATH_SOURCE: return &p->source_pattern;
  case SR_PROJECT_PATH_REFERENCE: return &p->reference_pattern;
  case SR_PROJECT_PATH_OUTPUT: return &p->output_folder;
  case SR_PROJECT_PATH_CHECKPOINT: return &p->checkpoint;
  default: return &p->ocio_config;
  }
}

char *
sr_project_path_for_folder(const char *path, const char *dir)
{
  if (g_strcmp0(path, dir) == 0)
    return g_strdup(".");
  g_autofree char *anc = g_strdup(dir);
  for (int up = 0; up <= 2; up++) {
    if (!g_path_is_absolute(anc) || g_path_skip_root(anc)[0] == '\0')
      break;
    size_t n = strlen(anc);
    if (strncmp(path, anc, n) == 0 && path[n] == G_DIR_SEPARATOR) {
      GString *s = g_string_new(NULL);
      for (int i = 0; i < up; i++)
        g_string_append(s, ".." G_DIR_SEPARATOR_S);
      g_string_append(s, path + n + 1);
      return g_string_free(s, FALSE);
    }
    char *parent = g_path_get_dirname(anc);
    g_free(anc);
    anc = parent;
  }
  return g_strdup(path);
}

void
sr_project_paths_rebase(SrProject *p, const char *dir, char *old[SR_PROJECT_N_PATHS])
{
  g_autofree char *canonical_dir = g_canonicalize_filename(dir, NULL);
  for (int i = 0; i < SR_PROJECT_N_PATHS; i++) {
    char **field = sr_project_path_field(p, i);
    old[i] = g_strdup(*field);
    if (!*field || !**field || (p->file == NULL && !g_path_is_absolute(*field)))
      continue;
    g_autofree char *abs = sr_project_resolve_path(p, *field);
    g_free(*field);
    *field = sr_project_path_for_folder(abs, canonical_dir);
  }
}

void
sr_project_paths_restore(SrProject *p, char *old[SR_PROJECT_N_PATHS])
{
  for (int i = 0; i < SR_PROJECT_N_PATHS; i++) {
    char **field = sr_project_path_field(p, i);
    g_free(*field);
    *field = g_steal_pointer(&old[i]);
  }
}

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
  if (*self->source_ocio)
    add_string(b, "ocio_space", self->source_ocio);
  json_builder_end_object(b);

  json_builder_set_member_name(b, "reference");
  json_builder_begin_object(b);
  add_string(b, "pattern", self->reference_pattern);
  add_string(b, "colourspace", sr_colourspace_id(self->reference_cs));
  if (*self->reference_ocio)
    add_string(b, "ocio_space", self->reference_ocio);
  add_int(b, "offset", self->reference_offset);
  sr_frame_map_json_write(b, &self->reference_map);
  json_builder_end_object(b);
  if (*self->ocio_config)
    add_string(b, "ocio_config", self->ocio_config);
  json_builder_set_member_name(b, "frame_rate");
  json_builder_add_double_value(b, self->frame_rate);
  add_string(b, "frame_rate_from", sr_frame_rate_from_id(self->frame_rate_from));

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

  json_builder_set_member_name(b, "overrides");
  json_builder_begin_array(b);
  for (guint i = 0; i < self->overrides->len; i++) {
    const SrOverride *ov = g_ptr_array_index(self->overrides, i);
    json_builder_begin_object(b);
    add_string(b, "who", ov->who);
    add_string(b, "when", ov->when);
    add_string(b, "reason", ov->reason);
    json_builder_set_member_name(b, "blockers");
    json_builder_begin_array(b);
    for (int k = 0; ov->blockers && ov->blockers[k]; k++)
      json_builder_add_string_value(b, ov->blockers[k]);
    json_builder_end_array(b);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);

  JsonNode *root = json_builder_get_root(b);
  gsize n = 0;
  char *text = sr_json_text(root, TRUE, &n);
  /* A trailing newline keeps the file friendly to text tools. */
  char *out = g_strconcat(text, "\n", NULL);
  g_free(text);
  if (len != NULL)
    *len = n + 1;
  json_node_unref(root);
  g_object_unref(b);
  return out;
}

static gint
compare_flags(gconstpointer a, gconstpointer b)
{
  return sr_project_compare_frames(&((const SrFlag *)a)->frame, &((const SrFlag *)b)->frame);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
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
                         "srgb, rec709, cineon, adx10 or adx16)"),
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
  /* A set for duplicates and one sort at the end: a file may list 200,000
   * frames in any order, and inserting each in place would take minutes. */
  JsonArray *a = json_node_get_array(n);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
  for (guint i = 0; i < out->len; i++)
    g_hash_table_add(seen, GINT_TO_POINTER(g_array_index(out, int, i)));
  for (guint i = 0; i < json_array_get_length(a); i++) {
    g_autofree char *field = g_strdup_printf("%s[%u]", key, i);
    gint64 v;
    if (!node_int(ps, json_array_get_element(a, i), field, _("an integer frame number"), 0,
                  MAX_FRAME, &v))
      return FALSE;
    int frame = (int)v;
    if (!g_hash_table_add(seen, GINT_TO_POINTER(frame)))
      return field_error(ps, field, _("frame %d is listed twice"), frame);
    g_array_append_val(out, frame);
  }
  g_array_sort(out, sr_project_compare_frames);
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
  /* Frame → index in flags: a later flag of the same frame replaces the
   * earlier one; one sort at the end keeps this linear-logarithmic. */
  JsonArray *a = json_node_get_array(n);
  g_autoptr(GHashTable) at_frame = g_hash_table_new(g_direct_hash, g_direct_equal);
  for (guint k = 0; k < flags->len; k++)
    g_hash_table_insert(at_frame, GINT_TO_POINTER(g_array_index(flags, SrFlag, k).frame),
                        GUINT_TO_POINTER(k + 1));
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
    guint k = GPOINTER_TO_UINT(g_hash_table_lookup(at_frame, GINT_TO_POINTER(frame)));
    if (k > 0) {
      SrFlag *f = &g_array_index(flags, SrFlag, k - 1);
      g_free(f->reason);
      f->reason = reason;
    } else {
      SrFlag f = {frame, reason};
      g_array_append_val(flags, f);
      g_hash_table_insert(at_frame, GINT_TO_POINTER(frame), GUINT_TO_POINTER(flags->len));
    }
  }
  g_array_sort(flags, compare_flags);
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
  /* Duplicates dropped through a set, one sort at the end (see read_frames). */
  JsonArray *a = json_node_get_array(n);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint k = 0; k < accepted->len; k++)
    g_hash_table_add(seen, g_ptr_array_index(accepted, k));
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING) {
      g_autofree char *field = g_strdup_printf("accepted[%u]", i);
      return field_error(ps, field, _("expected a string, found %s"), node_kind(e));
    }
    const char *id = json_node_get_string(e);
    if (g_hash_table_contains(seen, id))
      continue;
    char *copy = g_strdup(id);
    g_hash_table_add(seen, copy);
    g_ptr_array_add(accepted, copy);
  }
  g_ptr_array_sort(accepted, compare_strings);
  return TRUE;
}

/* One recorded review override: who, when and why are required and not
 * blank; blockers is a list of strings. */
static gboolean
parse_override(Parse *ps, JsonNode *e, const char *field, SrOverride *ov)
{
  if (!JSON_NODE_HOLDS_OBJECT(e))
    return field_error(ps, field, _("expected an object with who, when and reason, found %s"),
                       node_kind(e));
  JsonObject *o = json_node_get_object(e);
  g_autofree char *wf = g_strdup_printf("%s.who", field);
  g_autofree char *tf = g_strdup_printf("%s.when", field);
  g_autofree char *rf = g_strdup_printf("%s.reason", field);
  g_autofree char *bf = g_strdup_printf("%s.blockers", field);
  if (!read_string(ps, o, "who", wf, TRUE, &ov->who) ||
      !read_string(ps, o, "when", tf, TRUE, &ov->when) ||
      !read_string(ps, o, "reason", rf, TRUE, &ov->reason))
    return FALSE;
  const char *const fields[] = {wf, tf, rf};
  const char *const values[] = {ov->who, ov->when, ov->reason};
  for (guint k = 0; k < G_N_ELEMENTS(fields); k++)
    if (!sr_override_text_ok(values[k]))
      return field_error(ps, fields[k], _("must not be empty or longer than %d characters"),
                         SR_OVERRIDE_MAX_TEXT);
  JsonNode *n;
  if (!member(ps, o, "blockers", bf, FALSE, &n))
    return FALSE;
  GPtrArray *list = g_ptr_array_new();
  if (n != NULL && !JSON_NODE_HOLDS_ARRAY(n)) {
    g_ptr_array_free(list, TRUE);
    return field_error(ps, bf, _("expected an array of strings, found %s"), node_kind(n));
  }
  JsonArray *a = n ? json_node_get_array(n) : NULL;
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    JsonNode *be = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_VALUE(be) || json_node_get_value_type(be) != G_TYPE_STRING) {
      g_ptr_array_free(list, TRUE);
      g_autofree char *ef = g_strdup_printf("%s[%u]", bf, i);
      return field_error(ps, ef, _("expected a string, found %s"), node_kind(be));
    }
    g_ptr_array_add(list, g_strdup(json_node_get_string(be)));
  }
  g_ptr_array_add(list, NULL);
  ov->blockers = (char **)g_ptr_array_free(list, FALSE);
  return TRUE;
}

static gboolean
parse_overrides(Parse *ps, JsonObject *root, GPtrArray *overrides)
{
  JsonNode *n;
  if (!member(ps, root, "overrides", "overrides", FALSE, &n))
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY(n))
    return field_error(ps, "overrides", _("expected an array, found %s"), node_kind(n));
  JsonArray *a = json_node_get_array(n);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    g_autofree char *field = g_strdup_printf("overrides[%u]", i);
    SrOverride *ov = g_new0(SrOverride, 1);
    if (!parse_override(ps, json_array_get_element(a, i), field, ov)) {
      sr_override_free(ov);
      return FALSE;
    }
    g_ptr_array_add(overrides, ov);
  }
  return TRUE;
}

/* Fills a fresh project `p` from JSON. */
/* Files from before the project had a rate read as 24, from the default. */
static gboolean
parse_frame_rate(Parse *ps, JsonObject *root, SrProject *p)
{
  g_autofree char *from = NULL;
  if (!read_double(ps, root, "frame_rate", "frame_rate", &p->frame_rate) ||
      !read_string(ps, root, "frame_rate_from", "frame_rate_from", FALSE, &from))
    return FALSE;
  g_autoptr(GError) bad = NULL;
  if (!sr_frame_rate_validate(p->frame_rate, "frame_rate", &bad)) {
    g_set_error(ps->error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD, "%s: %s", ps->origin,
                bad->message);
    return FALSE;
  }
  if (from && !sr_frame_rate_from_from_id(from, &p->frame_rate_from))
    return field_error(ps, "frame_rate_from",
                       _("unknown origin '%s' (expected default, exr, dpx, movie or user)"), from);
  return TRUE;
}

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
  gssize overflow_at = -1;
  if (sr_json_prescan(json, len, MAX_PROJECT_NESTING, &overflow_at) > MAX_PROJECT_NESTING) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_PARSE,
                _("%s: not a project file (objects and lists nested deeper than %d levels)"),
                ps.origin, MAX_PROJECT_NESTING);
    return FALSE;
  }
  if (overflow_at >= 0) {
    int line = 1, column = 1;
    for (gssize i = 0; i < overflow_at; i++, column++)
      if (json[i] == '\n') {
        line++;
        column = 0;
      }
    gsize n = 0;
    while ((gsize)overflow_at + n < len && n < 40 &&
           (json[overflow_at + n] == '-' || g_ascii_isdigit(json[overflow_at + n])))
      n++;
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_PARSE,
                _("%s: line %d, column %d: the number %.*s is too large for any field (integers "
                  "are at most %lld in size)"),
                ps.origin, line, column, (int)n, json + overflow_at, (long long)G_MAXINT64);
    return FALSE;
  }
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  GError *local = NULL;
  /* A project an older version saved with a number json-glib spoiled (a
   * learning rate of 1e-8 as "1e-08.0") opens with the number repaired. */
  if (!sr_json_parser_load(parser, json, len, &local)) {
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
                &p->reference_offset) ||
      !sr_frame_map_json_read(ref, ps.origin, &p->reference_map, error) ||
      !read_string(&ps, src, "ocio_space", "source.ocio_space", FALSE, &p->source_ocio) ||
      !read_string(&ps, ref, "ocio_space", "reference.ocio_space", FALSE, &p->reference_ocio) ||
      !read_string(&ps, root, "ocio_config", "ocio_config", FALSE, &p->ocio_config))
    return FALSE;

  if (!parse_frame_rate(&ps, root, p))
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

  /* Files that leave the output folder out predate the "output" default. */
  sr_project_set_string_field(&p->output_folder, "render");
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
         parse_accepted(&ps, root, p->accepted) && parse_overrides(&ps, root, p->overrides);
}
