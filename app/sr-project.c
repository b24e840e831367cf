/* sr-project.c — the project document: state, JSON (de)serialisation with
 * field-by-field validation, edits that emit "changed", and the Stage 3
 * checks over the real frames. */
#include "sr-project.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "sr-fs.h"
#include "sr-frame-map-json.h"
#include "sr-io.h"
#include "sr-project-sequence.h"

/* Project files are small; anything bigger is not one of ours. */
#define MAX_PROJECT_BYTES (16 * 1024 * 1024)
/* Frame numbers we accept: covers ten-digit-free sequence numbering. */
#define MAX_FRAME  9999999
#define MAX_OFFSET 1000000
#define MAX_STEPS  100000000

G_DEFINE_QUARK(sr - project - error - quark, sr_project_error)

struct _SrProject {
  GObject parent_instance;

  GFile *file;
  gboolean modified;

  char *name;
  char *source_pattern;
  char *reference_pattern;
  sr_colourspace source_cs;
  sr_colourspace reference_cs;
  int reference_offset;
  sr_frame_map reference_map; /* cadence and breaks; its offset is reference_offset */
  int preview_frame;          /* -1: none */
  sr_prefilter prefilter;
  sr_rect crop;
  char *output_folder;
  char *version;
  char *checkpoint;

  GArray *pairs;       /* int, sorted, unique */
  GArray *held_out;    /* int, sorted, unique */
  GArray *flags;       /* SrFlag, sorted by frame */
  GPtrArray *accepted; /* sorted item ids */

  SrTrainingSettings training;
  SrProvenance provenance;
};

G_DEFINE_FINAL_TYPE(SrProject, sr_project, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_SOURCE_PATTERN,
  PROP_REFERENCE_PATTERN,
  PROP_SOURCE_COLOURSPACE,
  PROP_REFERENCE_COLOURSPACE,
  PROP_REFERENCE_OFFSET,
  PROP_PREVIEW_FRAME,
  PROP_PREFILTER,
  PROP_OUTPUT_FOLDER,
  PROP_VERSION,
  PROP_CHECKPOINT,
  PROP_MODIFIED,
  PROP_FILE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *const model_size_ids[] = {"S", "M", "L"};

/* ---- Small helpers ---------------------------------------------------------- */

static void
flag_clear(gpointer data)
{
  SrFlag *f = data;
  g_free(f->reason);
}

static void
provenance_clear(SrProvenance *p)
{
  g_free(p->film_title);
  g_free(p->shot_id);
  g_free(p->source_element);
  g_free(p->reference_source);
  g_free(p->restorationist);
  g_free(p->institution);
  g_free(p->notes);
  memset(p, 0, sizeof *p);
}

static char *
dup_or_empty(const char *s)
{
  return g_strdup(s != NULL ? s : "");
}

static void
provenance_copy(SrProvenance *dst, const SrProvenance *src)
{
  dst->film_title = dup_or_empty(src->film_title);
  dst->shot_id = dup_or_empty(src->shot_id);
  dst->source_element = dup_or_empty(src->source_element);
  dst->reference_source = dup_or_empty(src->reference_source);
  dst->restorationist = dup_or_empty(src->restorationist);
  dst->institution = dup_or_empty(src->institution);
  dst->notes = dup_or_empty(src->notes);
}

static gboolean
provenance_equal(const SrProvenance *a, const SrProvenance *b)
{
  return g_strcmp0(a->film_title, b->film_title) == 0 && g_strcmp0(a->shot_id, b->shot_id) == 0 &&
         g_strcmp0(a->source_element, b->source_element) == 0 &&
         g_strcmp0(a->reference_source, b->reference_source) == 0 &&
         g_strcmp0(a->restorationist, b->restorationist) == 0 &&
         g_strcmp0(a->institution, b->institution) == 0 && g_strcmp0(a->notes, b->notes) == 0;
}

static gboolean
training_equal(const SrTrainingSettings *a, const SrTrainingSettings *b)
{
  return a->model_size == b->model_size && a->patch == b->patch && a->batch == b->batch &&
         a->steps == b->steps && a->checkpoint_every == b->checkpoint_every &&
         a->contact_sheet_every == b->contact_sheet_every && a->learning_rate == b->learning_rate &&
         a->warmup_steps == b->warmup_steps && !a->cosine_decay == !b->cosine_decay &&
         !a->flip == !b->flip && !a->exposure_jitter == !b->exposure_jitter &&
         !a->scale_jitter == !b->scale_jitter && a->translate_px == b->translate_px &&
         a->seed == b->seed && strcmp(a->backend, b->backend) == 0;
}

/* Index of frame in a sorted int array, or -(insertion point) - 1. */
static int
frame_search(const GArray *a, int frame)
{
  int lo = 0, hi = (int)a->len;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    int v = g_array_index(a, int, mid);
    if (v == frame)
      return mid;
    if (v < frame)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -lo - 1;
}

static gboolean
frame_set_insert(GArray *a, int frame)
{
  int i = frame_search(a, frame);
  if (i >= 0)
    return FALSE;
  g_array_insert_val(a, (guint)(-i - 1), frame);
  return TRUE;
}

static gboolean
frame_set_remove(GArray *a, int frame)
{
  int i = frame_search(a, frame);
  if (i < 0)
    return FALSE;
  g_array_remove_index(a, (guint)i);
  return TRUE;
}

static void
set_string(char **field, const char *value)
{
  char *copy = dup_or_empty(value);
  g_free(*field);
  *field = copy;
}

/* Every edit ends here: notify the property, mark modified, say what changed. */
static void
edited(SrProject *self, int prop, const char *description)
{
  if (prop > 0)
    g_object_notify_by_pspec(G_OBJECT(self), props[prop]);
  if (!self->modified) {
    self->modified = TRUE;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_MODIFIED]);
  }
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0, description);
}

static gboolean
string_setter(SrProject *self, char **field, const char *value, int prop, const char *what)
{
  if (g_strcmp0(*field, value != NULL ? value : "") == 0)
    return FALSE;
  set_string(field, value);
  edited(self, prop, what);
  return TRUE;
}

void
sr_training_settings_init(SrTrainingSettings *s)
{
  memset(s, 0, sizeof *s);
  s->model_size = SR_MODEL_SIZE_M;
  s->patch = 512;
  s->batch = 3;
  s->steps = 40000;
  s->checkpoint_every = 10000;
  s->contact_sheet_every = 100;
  s->learning_rate = 2e-4;
  s->warmup_steps = 1000;
  s->cosine_decay = TRUE;
  s->flip = TRUE;
  s->exposure_jitter = FALSE;
  s->scale_jitter = FALSE;
  s->translate_px = 4.0;
  s->seed = 1;
  g_strlcpy(s->backend, "auto", sizeof s->backend);
}

/* The ranges the trainer accepts; `prefix` names where the settings came
 * from ("demo.srproj: " or ""). */
static gboolean
training_validate(const SrTrainingSettings *s, const char *prefix, GError **error)
{
#define BAD(field, ...)                                                                          \
  do {                                                                                           \
    g_autofree char *msg_ = g_strdup_printf(__VA_ARGS__);                                        \
    /* TRANSLATORS: "training.%s" names a field of the project file; keep it. */                 \
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD, _("%straining.%s: %s"), prefix, \
                field, msg_);                                                                    \
    return FALSE;                                                                                \
  } while (0)
  if ((int)s->model_size < SR_MODEL_SIZE_S || s->model_size > SR_MODEL_SIZE_L)
    BAD("model", _("unknown model size %d (expected S, M or L)"), (int)s->model_size);
  if (s->patch < 64 || s->patch > 2048 || s->patch % 16 != 0)
    BAD("patch", _("%d is not a multiple of 16 between 64 and 2048"), s->patch);
  if (s->batch < 1 || s->batch > 64)
    BAD("batch", _("%d is outside 1..64"), s->batch);
  if (s->steps < 1 || s->steps > MAX_STEPS)
    BAD("steps", _("%d is outside 1..%d"), s->steps, MAX_STEPS);
  if (s->checkpoint_every < 1 || s->checkpoint_every > MAX_STEPS)
    BAD("checkpoint_every", _("%d is outside 1..%d"), s->checkpoint_every, MAX_STEPS);
  if (s->contact_sheet_every < 0 || s->contact_sheet_every > MAX_STEPS)
    BAD("contact_sheet_every", _("%d is outside 0..%d (0 = none)"), s->contact_sheet_every,
        MAX_STEPS);
  if (!(s->learning_rate > 0 && s->learning_rate <= 1))
    BAD("learning_rate", _("%g is outside (0, 1]"), s->learning_rate);
  if (s->warmup_steps < 0 || s->warmup_steps > MAX_STEPS)
    BAD("warmup_steps", _("%d is outside 0..%d"), s->warmup_steps, MAX_STEPS);
  if (!(s->translate_px >= 0 && s->translate_px <= 256))
    BAD("translate_px", _("%g is outside 0..256 pixels"), s->translate_px);
  if (s->seed > (guint64)G_MAXINT64)
    BAD("seed", _("%llu is larger than %lld"), (unsigned long long)s->seed, (long long)G_MAXINT64);
  if (memchr(s->backend, '\0', sizeof s->backend) == NULL ||
      (strcmp(s->backend, "auto") != 0 && strcmp(s->backend, "cpu") != 0 &&
       strcmp(s->backend, "cuda") != 0))
    BAD("backend", _("unknown backend (expected auto, cpu or cuda)"));
#undef BAD
  return TRUE;
}

/* ---- GObject ------------------------------------------------------------------ */

static void
sr_project_finalize(GObject *object)
{
  SrProject *self = SR_PROJECT(object);
  g_clear_object(&self->file);
  g_free(self->name);
  g_free(self->source_pattern);
  g_free(self->reference_pattern);
  g_free(self->output_folder);
  g_free(self->version);
  g_free(self->checkpoint);
  g_array_unref(self->pairs);
  g_array_unref(self->held_out);
  g_array_unref(self->flags);
  g_ptr_array_unref(self->accepted);
  provenance_clear(&self->provenance);
  sr_frame_map_clear(&self->reference_map);
  G_OBJECT_CLASS(sr_project_parent_class)->finalize(object);
}

static void
sr_project_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SrProject *self = SR_PROJECT(object);
  switch (prop_id) {
  case PROP_NAME: g_value_set_string(value, self->name); break;
  case PROP_SOURCE_PATTERN: g_value_set_string(value, self->source_pattern); break;
  case PROP_REFERENCE_PATTERN: g_value_set_string(value, self->reference_pattern); break;
  case PROP_SOURCE_COLOURSPACE: g_value_set_int(value, (int)self->source_cs); break;
  case PROP_REFERENCE_COLOURSPACE: g_value_set_int(value, (int)self->reference_cs); break;
  case PROP_REFERENCE_OFFSET: g_value_set_int(value, self->reference_offset); break;
  case PROP_PREVIEW_FRAME: g_value_set_int(value, self->preview_frame); break;
  case PROP_PREFILTER: g_value_set_int(value, (int)self->prefilter); break;
  case PROP_OUTPUT_FOLDER: g_value_set_string(value, self->output_folder); break;
  case PROP_VERSION: g_value_set_string(value, self->version); break;
  case PROP_CHECKPOINT: g_value_set_string(value, self->checkpoint); break;
  case PROP_MODIFIED: g_value_set_boolean(value, self->modified); break;
  case PROP_FILE: g_value_set_object(value, self->file); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void
sr_project_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SrProject *self = SR_PROJECT(object);
  switch (prop_id) {
  case PROP_NAME: sr_project_set_name(self, g_value_get_string(value)); break;
  case PROP_SOURCE_PATTERN: sr_project_set_source_pattern(self, g_value_get_string(value)); break;
  case PROP_REFERENCE_PATTERN:
    sr_project_set_reference_pattern(self, g_value_get_string(value));
    break;
  case PROP_SOURCE_COLOURSPACE:
    sr_project_set_source_colourspace(self, (sr_colourspace)g_value_get_int(value));
    break;
  case PROP_REFERENCE_COLOURSPACE:
    sr_project_set_reference_colourspace(self, (sr_colourspace)g_value_get_int(value));
    break;
  case PROP_REFERENCE_OFFSET: sr_project_set_reference_offset(self, g_value_get_int(value)); break;
  case PROP_PREVIEW_FRAME: {
    GError *error = NULL;
    if (!sr_project_set_preview_frame(self, g_value_get_int(value), &error)) {
      g_warning("%s", error->message);
      g_error_free(error);
    }
    break;
  }
  case PROP_PREFILTER: {
    int p = g_value_get_int(value);
    if (p == SR_PREFILTER_NONE || p == SR_PREFILTER_MEDIAN3 || p == SR_PREFILTER_MEDIAN5)
      sr_project_set_prefilter(self, (sr_prefilter)p);
    else
      g_warning("prefilter: %d is not 0 (none), 3 or 5 (median)", p);
    break;
  }
  case PROP_OUTPUT_FOLDER: sr_project_set_output_folder(self, g_value_get_string(value)); break;
  case PROP_VERSION: sr_project_set_version(self, g_value_get_string(value)); break;
  case PROP_CHECKPOINT: sr_project_set_checkpoint(self, g_value_get_string(value)); break;
  case PROP_MODIFIED: sr_project_set_modified(self, g_value_get_boolean(value)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void
sr_project_class_init(SrProjectClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  object_class->finalize = sr_project_finalize;
  object_class->get_property = sr_project_get_property;
  object_class->set_property = sr_project_set_property;

  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  props[PROP_NAME] = g_param_spec_string("name", NULL, NULL, "", rw);
  props[PROP_SOURCE_PATTERN] = g_param_spec_string("source-pattern", NULL, NULL, "", rw);
  props[PROP_REFERENCE_PATTERN] = g_param_spec_string("reference-pattern", NULL, NULL, "", rw);
  props[PROP_SOURCE_COLOURSPACE] =
      g_param_spec_int("source-colourspace", NULL, NULL, 0, SR_CS_COUNT - 1, SR_CS_REC709, rw);
  props[PROP_REFERENCE_COLOURSPACE] =
      g_param_spec_int("reference-colourspace", NULL, NULL, 0, SR_CS_COUNT - 1, SR_CS_REC709, rw);
  props[PROP_REFERENCE_OFFSET] =
      g_param_spec_int("reference-offset", NULL, NULL, -MAX_OFFSET, MAX_OFFSET, 0, rw);
  props[PROP_PREVIEW_FRAME] = g_param_spec_int("preview-frame", NULL, NULL, -1, MAX_FRAME, -1, rw);
  props[PROP_PREFILTER] = g_param_spec_int("prefilter", NULL, NULL, 0, 5, 0, rw);
  props[PROP_OUTPUT_FOLDER] = g_param_spec_string("output-folder", NULL, NULL, "render", rw);
  props[PROP_VERSION] = g_param_spec_string("version", NULL, NULL, "v001", rw);
  props[PROP_CHECKPOINT] = g_param_spec_string("checkpoint", NULL, NULL, "", rw);
  props[PROP_MODIFIED] = g_param_spec_boolean("modified", NULL, NULL, FALSE, rw);
  props[PROP_FILE] = g_param_spec_object("file", NULL, NULL, G_TYPE_FILE,
                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, props);

  /* "changed" (description): after every edit, with a short label for undo. */
  signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
sr_project_init(SrProject *self)
{
  self->name = g_strdup("");
  self->source_pattern = g_strdup("");
  self->reference_pattern = g_strdup("");
  self->source_cs = SR_CS_REC709;
  self->reference_cs = SR_CS_REC709;
  self->preview_frame = -1;
  self->prefilter = SR_PREFILTER_NONE;
  self->output_folder = g_strdup("render");
  self->version = g_strdup("v001");
  self->checkpoint = g_strdup("");
  self->pairs = g_array_new(FALSE, FALSE, sizeof(int));
  self->held_out = g_array_new(FALSE, FALSE, sizeof(int));
  self->flags = g_array_new(FALSE, FALSE, sizeof(SrFlag));
  g_array_set_clear_func(self->flags, flag_clear);
  self->accepted = g_ptr_array_new_with_free_func(g_free);
  sr_training_settings_init(&self->training);
  provenance_copy(&self->provenance, &(SrProvenance){0});
}

SrProject *
sr_project_new(void)
{
  return g_object_new(SR_TYPE_PROJECT, NULL);
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
  json_builder_end_object(b);

  json_builder_set_member_name(b, "reference");
  json_builder_begin_object(b);
  add_string(b, "pattern", self->reference_pattern);
  add_string(b, "colourspace", sr_colourspace_id(self->reference_cs));
  add_int(b, "offset", self->reference_offset);
  sr_frame_map_json_write(b, &self->reference_map);
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
  add_string(b, "model", model_size_ids[t->model_size]);
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
  set_string(out, json_node_get_string(n));
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
    if (!frame_set_insert(out, (int)v))
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
    for (int i = 0; i < (int)G_N_ELEMENTS(model_size_ids); i++)
      if (g_ascii_strcasecmp(model, model_size_ids[i]) == 0) {
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
  return training_validate(t, prefix, ps->error);
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
static gboolean
parse_into(SrProject *p, const char *json, gsize len, const char *origin, GError **error)
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
                &p->reference_offset) ||
      !sr_frame_map_json_read(ref, ps.origin, &p->reference_map, error))
    return FALSE;

  if (!read_frames(&ps, root, "pairs", TRUE, p->pairs) ||
      !read_frames(&ps, root, "held_out", FALSE, p->held_out))
    return FALSE;
  for (guint i = 0; i < p->held_out->len; i++) {
    int f = g_array_index(p->held_out, int, i);
    if (frame_search(p->pairs, f) >= 0)
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
    if (v >= 0 && frame_search(p->pairs, (int)v) >= 0)
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

SrProject *
sr_project_load_from_data(const char *json, gsize len, const char *origin, GError **error)
{
  g_return_val_if_fail(json != NULL, NULL);
  SrProject *p = sr_project_new();
  if (!parse_into(p, json, len, origin, error)) {
    g_object_unref(p);
    return NULL;
  }
  return p;
}

SrProject *
sr_project_load(GFile *file, GError **error)
{
  g_return_val_if_fail(G_IS_FILE(file), NULL);
  g_autofree char *origin = g_file_get_parse_name(file);
  char *data = NULL;
  gsize len = 0;
  GError *local = NULL;
  g_autoptr(GFileInfo) info =
      g_file_query_info(file, G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                        G_FILE_QUERY_INFO_NONE, NULL, &local);
  if (info == NULL) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_IO, _("%s: cannot open the project: %s"),
                origin, local->message);
    g_error_free(local);
    return NULL;
  }
  if (g_file_info_get_file_type(info) == G_FILE_TYPE_DIRECTORY) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_IO,
                _("%s: is a folder, not a project file"), origin);
    return NULL;
  }
  if (g_file_info_get_size(info) > MAX_PROJECT_BYTES) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_PARSE,
                _("%s: too large for a project file"), origin);
    return NULL;
  }
  if (!g_file_load_contents(file, NULL, &data, &len, NULL, &local)) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_IO, _("%s: cannot read the project: %s"),
                origin, local->message);
    g_error_free(local);
    return NULL;
  }
  SrProject *p = sr_project_load_from_data(data, len, origin, error);
  g_free(data);
  if (p != NULL)
    p->file = g_object_ref(file);
  return p;
}

gboolean
sr_project_save(SrProject *self, GFile *file, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  g_return_val_if_fail(G_IS_FILE(file), FALSE);
  g_autofree char *path = g_file_get_path(file);
  g_autofree char *origin = g_file_get_parse_name(file);
  if (path == NULL) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_IO,
                _("%s: projects can only be saved to a local file"), origin);
    return FALSE;
  }
  gsize len = 0;
  g_autofree char *data = sr_project_to_data(self, &len);
  sr_error err;
  sr_error_clear(&err);
  if (!sr_write_file_atomic(path, data, len, &err)) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_IO, "%s", err.message);
    return FALSE;
  }
  if (self->file == NULL || !g_file_equal(self->file, file)) {
    g_set_object(&self->file, file);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FILE]);
  }
  sr_project_set_modified(self, FALSE);
  return TRUE;
}

gboolean
sr_project_restore(SrProject *self, const char *json, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  g_return_val_if_fail(json != NULL, FALSE);
  SrProject *p = sr_project_load_from_data(json, strlen(json), "snapshot", error);
  if (p == NULL)
    return FALSE;
    /* Swap every saved field; the file and the modified flag stay ours. */
#define SWAP(field)                             \
  do {                                          \
    __typeof__(self->field) tmp_ = self->field; \
    self->field = p->field;                     \
    p->field = tmp_;                            \
  } while (0)
  SWAP(name);
  SWAP(source_pattern);
  SWAP(reference_pattern);
  SWAP(source_cs);
  SWAP(reference_cs);
  SWAP(reference_offset);
  SWAP(reference_map);
  SWAP(preview_frame);
  SWAP(prefilter);
  SWAP(crop);
  SWAP(output_folder);
  SWAP(version);
  SWAP(checkpoint);
  SWAP(pairs);
  SWAP(held_out);
  SWAP(flags);
  SWAP(accepted);
  SWAP(training);
  SWAP(provenance);
#undef SWAP
  g_object_unref(p);
  g_object_freeze_notify(G_OBJECT(self));
  for (int i = PROP_NAME; i <= PROP_CHECKPOINT; i++)
    g_object_notify_by_pspec(G_OBJECT(self), props[i]);
  g_object_thaw_notify(G_OBJECT(self));
  edited(self, 0, "Restore");
  return TRUE;
}

/* ---- Accessors ---------------------------------------------------------------- */

GFile *
sr_project_get_file(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  return self->file;
}

char *
sr_project_resolve_path(SrProject *self, const char *path)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  if (path == NULL || *path == '\0')
    return NULL;
  g_autofree char *base = NULL;
  if (self->file != NULL) {
    g_autoptr(GFile) parent = g_file_get_parent(self->file);
    if (parent != NULL)
      base = g_file_get_path(parent);
  }
  return g_canonicalize_filename(path, base);
}

SrProject *
sr_project_copy_for_thread(SrProject *self, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  gsize len = 0;
  g_autofree char *json = sr_project_to_data(self, &len);
  g_autofree char *origin = self->file ? g_file_get_parse_name(self->file) : NULL;
  SrProject *copy = sr_project_load_from_data(json, len, origin ? origin : "project", error);
  if (!copy)
    return NULL;
  g_autofree char *src = sr_project_resolve_path(self, self->source_pattern);
  g_autofree char *ref = sr_project_resolve_path(self, self->reference_pattern);
  g_autofree char *out = sr_project_resolve_path(self, self->output_folder);
  g_autofree char *ck = sr_project_resolve_path(self, self->checkpoint);
  if (src)
    sr_project_set_source_pattern(copy, src);
  if (ref)
    sr_project_set_reference_pattern(copy, ref);
  if (out)
    sr_project_set_output_folder(copy, out);
  if (ck)
    sr_project_set_checkpoint(copy, ck);
  sr_project_set_modified(copy, FALSE);
  return copy;
}

const char *
sr_project_get_name(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), "");
  return self->name;
}

void
sr_project_set_name(SrProject *self, const char *name)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  string_setter(self, &self->name, name, PROP_NAME, _("Rename project"));
}

const char *
sr_project_get_source_pattern(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), "");
  return self->source_pattern;
}

void
sr_project_set_source_pattern(SrProject *self, const char *pattern)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  string_setter(self, &self->source_pattern, pattern, PROP_SOURCE_PATTERN, _("Set Source"));
}

const char *
sr_project_get_reference_pattern(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), "");
  return self->reference_pattern;
}

void
sr_project_set_reference_pattern(SrProject *self, const char *pattern)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  string_setter(self, &self->reference_pattern, pattern, PROP_REFERENCE_PATTERN,
                _("Set Reference"));
}

sr_colourspace
sr_project_get_source_colourspace(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), SR_CS_REC709);
  return self->source_cs;
}

void
sr_project_set_source_colourspace(SrProject *self, sr_colourspace cs)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(cs >= 0 && cs < SR_CS_COUNT);
  if (self->source_cs == cs)
    return;
  self->source_cs = cs;
  edited(self, PROP_SOURCE_COLOURSPACE, _("Source colour space"));
}

sr_colourspace
sr_project_get_reference_colourspace(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), SR_CS_REC709);
  return self->reference_cs;
}

void
sr_project_set_reference_colourspace(SrProject *self, sr_colourspace cs)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(cs >= 0 && cs < SR_CS_COUNT);
  if (self->reference_cs == cs)
    return;
  self->reference_cs = cs;
  edited(self, PROP_REFERENCE_COLOURSPACE, _("Reference colour space"));
}

int
sr_project_get_reference_offset(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), 0);
  return self->reference_offset;
}

void
sr_project_set_reference_offset(SrProject *self, int offset)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(offset >= -MAX_OFFSET && offset <= MAX_OFFSET);
  if (self->reference_offset == offset)
    return;
  self->reference_offset = offset;
  edited(self, PROP_REFERENCE_OFFSET, _("Reference offset"));
}

void
sr_project_get_frame_map(SrProject *self, sr_frame_map *out)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  if (!sr_frame_map_copy(out, &self->reference_map, NULL))
    g_error("out of memory copying the frame map");
  out->offset = self->reference_offset;
}

gboolean
sr_project_set_frame_map(SrProject *self, const sr_frame_map *map, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  sr_error err = {0};
  sr_frame_map copy;
  if (!sr_frame_map_validate(map, &err) || !sr_frame_map_copy(&copy, map, &err)) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD, "%s", err.message);
    return FALSE;
  }
  self->reference_map.offset = self->reference_offset;
  if (sr_frame_map_equal(&copy, &self->reference_map)) {
    sr_frame_map_clear(&copy);
    return TRUE;
  }
  sr_frame_map_clear(&self->reference_map);
  self->reference_map = copy;
  self->reference_offset = copy.offset;
  edited(self, PROP_REFERENCE_OFFSET, _("Frame map"));
  return TRUE;
}

int
sr_project_reference_frame(SrProject *self, int source_frame)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), SR_NO_FRAME);
  self->reference_map.offset = self->reference_offset;
  return sr_frame_map_reference(&self->reference_map, source_frame);
}

int
sr_project_get_preview_frame(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), -1);
  return self->preview_frame;
}

gboolean
sr_project_set_preview_frame(SrProject *self, int frame, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  if (frame < -1 || frame > MAX_FRAME) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD,
                _("preview frame %d is not a frame number (0..%d, or -1 for none)"), frame,
                MAX_FRAME);
    return FALSE;
  }
  if (frame >= 0 && frame_search(self->pairs, frame) >= 0) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD,
                _("frame %d is a training pair; the preview frame must be one the model was not "
                  "trained on"),
                frame);
    return FALSE;
  }
  if (self->preview_frame == frame)
    return TRUE;
  self->preview_frame = frame;
  edited(self, PROP_PREVIEW_FRAME, _("Preview frame"));
  return TRUE;
}

sr_prefilter
sr_project_get_prefilter(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), SR_PREFILTER_NONE);
  return self->prefilter;
}

void
sr_project_set_prefilter(SrProject *self, sr_prefilter p)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(p == SR_PREFILTER_NONE || p == SR_PREFILTER_MEDIAN3 ||
                   p == SR_PREFILTER_MEDIAN5);
  if (self->prefilter == p)
    return;
  self->prefilter = p;
  edited(self, PROP_PREFILTER, "Pre-filter");
}

sr_rect
sr_project_get_crop(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), ((sr_rect){0, 0, 0, 0}));
  return self->crop;
}

void
sr_project_set_crop(SrProject *self, sr_rect crop)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(crop.x >= 0 && crop.y >= 0 && crop.w >= 0 && crop.h >= 0);
  /* A zero width or height means the whole frame. */
  if (crop.w == 0 || crop.h == 0)
    crop = (sr_rect){0, 0, 0, 0};
  if (sr_rect_equal(self->crop, crop))
    return;
  self->crop = crop;
  edited(self, 0, "Crop");
}

const char *
sr_project_get_output_folder(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), "");
  return self->output_folder;
}

void
sr_project_set_output_folder(SrProject *self, const char *folder)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  string_setter(self, &self->output_folder, folder, PROP_OUTPUT_FOLDER, _("Output folder"));
}

const char *
sr_project_get_version(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), "");
  return self->version;
}

void
sr_project_set_version(SrProject *self, const char *version)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  string_setter(self, &self->version, version, PROP_VERSION, _("Delivery version"));
}

const char *
sr_project_get_checkpoint(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), "");
  return self->checkpoint;
}

void
sr_project_set_checkpoint(SrProject *self, const char *path)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  string_setter(self, &self->checkpoint, path, PROP_CHECKPOINT, _("Choose checkpoint"));
}

gboolean
sr_project_get_modified(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  return self->modified;
}

/* Not an edit: only "notify::modified", never "changed". */
void
sr_project_set_modified(SrProject *self, gboolean modified)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  modified = !!modified;
  if (self->modified == modified)
    return;
  self->modified = modified;
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_MODIFIED]);
}

/* ---- Frame sets --------------------------------------------------------------- */

static gboolean
check_frame_number(int frame, GError **error)
{
  if (frame >= 0 && frame <= MAX_FRAME)
    return TRUE;
  g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD,
              _("%d is not a frame number (0..%d)"), frame, MAX_FRAME);
  return FALSE;
}

const GArray *
sr_project_get_pairs(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  return self->pairs;
}

gboolean
sr_project_check_pair(SrProject *self, int frame, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  if (!check_frame_number(frame, error))
    return FALSE;
  if (frame_search(self->held_out, frame) >= 0) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD,
                _("frame %d is held out for validation; remove it from the held-out frames before "
                  "training on it"),
                frame);
    return FALSE;
  }
  if (frame == self->preview_frame) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD,
                _("frame %d is the preview frame; choose another preview frame before training on "
                  "it"),
                frame);
    return FALSE;
  }
  return sr_project_check_pair_reference(self, frame, error);
}

gboolean
sr_project_add_pair(SrProject *self, int frame, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  if (!sr_project_check_pair(self, frame, error))
    return FALSE;
  if (frame_set_insert(self->pairs, frame)) {
    g_autofree char *what = g_strdup_printf(_("Add pair %d"), frame);
    edited(self, 0, what);
  }
  return TRUE;
}

guint
sr_project_add_pairs(SrProject *self, const int *frames, guint n)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), 0);
  g_autoptr(GString) list = g_string_new(NULL);
  guint added = 0;
  for (guint i = 0; i < n; i++) {
    if (!sr_project_check_pair(self, frames[i], NULL) || !frame_set_insert(self->pairs, frames[i]))
      continue;
    g_string_append_printf(list, "%s%d", added ? ", " : "", frames[i]);
    added++;
  }
  if (added) {
    g_autofree char *what =
        g_strdup_printf(g_dngettext(NULL, "Add pair %s", "Add pairs %s", added), list->str);
    edited(self, 0, what);
  }
  return added;
}

gboolean
sr_project_remove_pair(SrProject *self, int frame)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  if (!frame_set_remove(self->pairs, frame))
    return FALSE;
  g_autofree char *what = g_strdup_printf(_("Remove pair %d"), frame);
  edited(self, 0, what);
  return TRUE;
}

gboolean
sr_project_has_pair(SrProject *self, int frame)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  return frame_search(self->pairs, frame) >= 0;
}

const GArray *
sr_project_get_held_out(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  return self->held_out;
}

gboolean
sr_project_add_held_out(SrProject *self, int frame, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  if (!check_frame_number(frame, error))
    return FALSE;
  gboolean was_pair = frame_set_remove(self->pairs, frame);
  gboolean added = frame_set_insert(self->held_out, frame);
  if (was_pair || added) {
    g_autofree char *what = g_strdup_printf(_("Hold out frame %d"), frame);
    edited(self, 0, what);
  }
  return TRUE;
}

gboolean
sr_project_remove_held_out(SrProject *self, int frame)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  if (!frame_set_remove(self->held_out, frame))
    return FALSE;
  g_autofree char *what = g_strdup_printf(_("Stop holding out frame %d"), frame);
  edited(self, 0, what);
  return TRUE;
}

gboolean
sr_project_is_held_out(SrProject *self, int frame)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  return frame_search(self->held_out, frame) >= 0;
}

/* ---- Flags, training, provenance, acceptance ------------------------------- */

const GArray *
sr_project_get_flags(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  return self->flags;
}

void
sr_project_add_flag(SrProject *self, int frame, const char *reason)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(frame >= 0 && frame <= MAX_FRAME);
  guint at = 0;
  while (at < self->flags->len && g_array_index(self->flags, SrFlag, at).frame < frame)
    at++;
  if (at < self->flags->len && g_array_index(self->flags, SrFlag, at).frame == frame) {
    SrFlag *f = &g_array_index(self->flags, SrFlag, at);
    if (g_strcmp0(f->reason, reason != NULL ? reason : "") == 0)
      return;
    set_string(&f->reason, reason);
  } else {
    SrFlag f = {frame, dup_or_empty(reason)};
    g_array_insert_val(self->flags, at, f);
  }
  g_autofree char *what = g_strdup_printf(_("Flag frame %d"), frame);
  edited(self, 0, what);
}

gboolean
sr_project_remove_flag(SrProject *self, int frame)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  for (guint i = 0; i < self->flags->len; i++)
    if (g_array_index(self->flags, SrFlag, i).frame == frame) {
      g_array_remove_index(self->flags, i);
      g_autofree char *what = g_strdup_printf(_("Unflag frame %d"), frame);
      edited(self, 0, what);
      return TRUE;
    }
  return FALSE;
}

void
sr_project_get_training(SrProject *self, SrTrainingSettings *out)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  *out = self->training;
}

gboolean
sr_project_set_training(SrProject *self, const SrTrainingSettings *s, GError **error)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  g_return_val_if_fail(s != NULL, FALSE);
  if (!training_validate(s, "", error))
    return FALSE;
  if (training_equal(&self->training, s))
    return TRUE;
  self->training = *s;
  self->training.cosine_decay = !!s->cosine_decay;
  self->training.flip = !!s->flip;
  self->training.exposure_jitter = !!s->exposure_jitter;
  self->training.scale_jitter = !!s->scale_jitter;
  edited(self, 0, _("Training settings"));
  return TRUE;
}

const SrProvenance *
sr_project_get_provenance(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  return &self->provenance;
}

void
sr_project_set_provenance(SrProject *self, const SrProvenance *p)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(p != NULL);
  SrProvenance copy;
  provenance_copy(&copy, p);
  if (provenance_equal(&copy, &self->provenance)) {
    provenance_clear(&copy);
    return;
  }
  provenance_clear(&self->provenance);
  self->provenance = copy;
  edited(self, 0, "Provenance");
}

gboolean
sr_project_get_accepted(SrProject *self, const char *item)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), FALSE);
  for (guint i = 0; item != NULL && i < self->accepted->len; i++)
    if (strcmp(g_ptr_array_index(self->accepted, i), item) == 0)
      return TRUE;
  return FALSE;
}

void
sr_project_set_accepted(SrProject *self, const char *item, gboolean accepted)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(item != NULL && *item != '\0');
  guint at = 0;
  while (at < self->accepted->len && strcmp(g_ptr_array_index(self->accepted, at), item) < 0)
    at++;
  gboolean present =
      at < self->accepted->len && strcmp(g_ptr_array_index(self->accepted, at), item) == 0;
  if (present == !!accepted)
    return;
  if (accepted)
    g_ptr_array_insert(self->accepted, (gint)at, g_strdup(item));
  else
    g_ptr_array_remove_index(self->accepted, at);
  g_autofree char *what = g_strdup_printf("%s %s", accepted ? "Accept" : "Un-accept", item);
  edited(self, 0, what);
}

void
sr_project_get_prep_settings(SrProject *self, sr_prep_settings *out)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  sr_prep_settings_init(out);
  out->source_space = self->source_cs;
  out->reference_space = self->reference_cs;
  out->crop = self->crop;
  out->prefilter = self->prefilter;
}

/* ---- Checks ------------------------------------------------------------------- */

static gboolean
open_sequence(SrProject *self, const char *pattern, const char *which, const char *id,
              sr_colourspace cs, sr_sequence *seq, sr_check_report *report)
{
  if (pattern == NULL || *pattern == '\0') {
    sr_check_report_add(report, id, "project", SR_CHECK_FAIL, 0.0,
                        _("no %s sequence is set; choose its frames in the Project step"), which);
    return FALSE;
  }
  sr_error err;
  sr_error_clear(&err);
  if (!sr_project_open_sequence(self, pattern, seq, &err)) {
    sr_check_report_add(report, id, "project", SR_CHECK_FAIL, 0.0, "%s: %s", which, err.message);
    return FALSE;
  }
  sr_project_check_movie(self, seq, which,
                         g_str_has_prefix(id, "source") ? "source-movie" : "reference-movie", cs,
                         report);
  if (seq->n_missing > 0) {
    char missing[160];
    sr_sequence_describe_missing(seq, missing, sizeof missing);
    sr_check_report_add(report, id, "project", SR_CHECK_WARN, seq->n_missing,
                        _("%s frames %d-%d, missing: %s"), which, seq->first, seq->last, missing);
  } else {
    sr_check_report_add(report, id, "project", SR_CHECK_PASS, seq->last - seq->first + 1,
                        _("%s frames %d-%d"), which, seq->first, seq->last);
  }
  return TRUE;
}

void
sr_project_check(SrProject *self, sr_check_report *report)
{
  sr_project_check_with_pairs(self, report, NULL, NULL);
}

void
sr_project_check_with_pairs(SrProject *self, sr_check_report *report, SrProjectPairFunc func,
                            gpointer user_data)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_return_if_fail(report != NULL);

  const GArray *pairs = self->pairs, *held = self->held_out;
  sr_check_frame_sets(pairs->len ? (const int *)(const void *)pairs->data : NULL, (int)pairs->len,
                      held->len ? (const int *)(const void *)held->data : NULL, (int)held->len,
                      self->preview_frame, self->preview_frame >= 0, report);

  sr_sequence src_seq, ref_seq;
  memset(&src_seq, 0, sizeof src_seq);
  memset(&ref_seq, 0, sizeof ref_seq);
  gboolean have_src = open_sequence(self, self->source_pattern, _("Source"), "source-sequence",
                                    self->source_cs, &src_seq, report);
  gboolean have_ref = open_sequence(self, self->reference_pattern, _("Reference"),
                                    "reference-sequence", self->reference_cs, &ref_seq, report);

  if (have_src && self->preview_frame >= 0 && !sr_sequence_has_frame(&src_seq, self->preview_frame))
    sr_check_report_add(report, "preview-frame", "project", SR_CHECK_FAIL, self->preview_frame,
                        _("preview frame %d is not in the Source sequence (frames %d-%d)"),
                        self->preview_frame, src_seq.first, src_seq.last);

  sr_project_check_pair_references(self, report);
  sr_prep_settings prep;
  sr_project_get_prep_settings(self, &prep);
  for (guint i = 0; i < pairs->len && (have_src || have_ref); i++) {
    int frame = g_array_index(pairs, int, i);
    int ref_frame = sr_project_reference_frame(self, frame);
    char subject[64];
    g_snprintf(subject, sizeof subject, "pair %d", frame);
    if (ref_frame == SR_NO_FRAME)
      continue; /* reported by sr_project_check_pair_references() */
    sr_error err;
    sr_image *src = NULL, *ref = NULL;
    if (have_src) {
      sr_error_clear(&err);
      src = sr_sequence_read(&src_seq, frame, &err);
      if (src == NULL)
        sr_check_report_add(report, "source-frame", subject, SR_CHECK_FAIL, frame, _("Source %s"),
                            err.message);
    }
    if (have_ref) {
      sr_error_clear(&err);
      ref = sr_sequence_read(&ref_seq, ref_frame, &err);
      if (ref == NULL)
        sr_check_report_add(report, "reference-frame", subject, SR_CHECK_FAIL, ref_frame,
                            _("Reference %s"), err.message);
    }
    if (src != NULL && ref != NULL) {
      sr_pair pair;
      memset(&pair, 0, sizeof pair);
      sr_error_clear(&err);
      gboolean built = sr_pair_build(src, ref, &prep, &pair, &err);
      if (built) {
        pair.source_frame = frame;
        pair.reference_frame = ref_frame;
      }
      int first_item = report->n;
      sr_check_pair(src, ref, built ? &pair : NULL, &prep, subject, report);
      /* The build's own reason only when no frame check already named it. */
      gboolean explained = FALSE;
      for (int k = first_item; k < report->n; k++)
        explained |= report->items[k].status == SR_CHECK_FAIL;
      if (!built && !explained)
        sr_check_report_add(report, "pair-build", subject, SR_CHECK_FAIL, 0.0,
                            _("cannot build the pair: %s"), err.message);
      if (built && func != NULL)
        func(&pair, user_data);
      if (built)
        sr_pair_clear(&pair);
    }
    sr_image_free(src);
    sr_image_free(ref);
  }
  if (have_src)
    sr_sequence_clear(&src_seq);
  if (have_ref)
    sr_sequence_clear(&ref_seq);
}
