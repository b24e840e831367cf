/* sr-project.c — the project document: the object and its properties,
 * loading and saving, accessors and the edits that emit "changed". Frame
 * sets, flags, training settings, provenance and acceptance are in
 * sr-project-sets.c, the JSON form in sr-project-json.c, the Stage 3 checks
 * in sr-project-checks.c. */
#include "sr-project-private.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "sr-fs.h"
#include "sr-frame-map-json.h"
#include "sr-io.h"
#include "sr-project-sequence.h"

G_DEFINE_QUARK(sr - project - error - quark, sr_project_error)

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
  PROP_FRAME_RATE,
  PROP_MODIFIED,
  PROP_FILE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

const char *const sr_project_model_size_ids[SR_MODEL_SIZE_L + 1] = {"S", "M", "L"};

/* ---- Small helpers ---------------------------------------------------------- */

static void
flag_clear(gpointer data)
{
  SrFlag *f = data;
  g_free(f->reason);
}

void
sr_project_provenance_clear(SrProvenance *p)
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

void
sr_project_provenance_copy(SrProvenance *dst, const SrProvenance *src)
{
  dst->film_title = dup_or_empty(src->film_title);
  dst->shot_id = dup_or_empty(src->shot_id);
  dst->source_element = dup_or_empty(src->source_element);
  dst->reference_source = dup_or_empty(src->reference_source);
  dst->restorationist = dup_or_empty(src->restorationist);
  dst->institution = dup_or_empty(src->institution);
  dst->notes = dup_or_empty(src->notes);
}

/* Index of frame in a sorted int array, or -(insertion point) - 1. */
int
sr_project_frame_search(const GArray *a, int frame)
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

gboolean
sr_project_frame_set_insert(GArray *a, int frame)
{
  int i = sr_project_frame_search(a, frame);
  if (i >= 0)
    return FALSE;
  g_array_insert_val(a, (guint)(-i - 1), frame);
  return TRUE;
}

gint
sr_project_compare_frames(gconstpointer a, gconstpointer b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

void
sr_project_set_string_field(char **field, const char *value)
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

void
sr_project_edited(SrProject *self, const char *description)
{
  edited(self, 0, description);
}

static gboolean
string_setter(SrProject *self, char **field, const char *value, int prop, const char *what)
{
  if (g_strcmp0(*field, value != NULL ? value : "") == 0)
    return FALSE;
  sr_project_set_string_field(field, value);
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
gboolean
sr_project_training_validate(const SrTrainingSettings *s, const char *prefix, GError **error)
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
  g_free(self->ocio_config);
  g_free(self->source_ocio);
  g_free(self->reference_ocio);
  g_free(self->output_folder);
  g_free(self->version);
  g_free(self->checkpoint);
  g_array_unref(self->pairs);
  g_array_unref(self->held_out);
  g_array_unref(self->flags);
  g_ptr_array_unref(self->accepted);
  g_ptr_array_unref(self->overrides);
  sr_project_provenance_clear(&self->provenance);
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
  case PROP_FRAME_RATE: g_value_set_double(value, self->frame_rate); break;
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
  case PROP_FRAME_RATE: {
    GError *error = NULL;
    if (!sr_project_set_frame_rate(self, g_value_get_double(value), SR_RATE_FROM_USER, &error)) {
      g_warning("%s", error->message);
      g_error_free(error);
    }
    break;
  }
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
  props[PROP_OUTPUT_FOLDER] = g_param_spec_string("output-folder", NULL, NULL, "output", rw);
  props[PROP_VERSION] = g_param_spec_string("version", NULL, NULL, "v001", rw);
  props[PROP_CHECKPOINT] = g_param_spec_string("checkpoint", NULL, NULL, "", rw);
  props[PROP_FRAME_RATE] = g_param_spec_double("frame-rate", NULL, NULL, SR_FRAME_RATE_MIN,
                                               SR_FRAME_RATE_MAX, SR_FRAME_RATE_DEFAULT, rw);
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
  self->ocio_config = g_strdup("");
  self->source_ocio = g_strdup("");
  self->reference_ocio = g_strdup("");
  self->preview_frame = -1;
  self->prefilter = SR_PREFILTER_NONE;
  self->output_folder = g_strdup("output");
  self->version = g_strdup("v001");
  self->checkpoint = g_strdup("");
  self->frame_rate = SR_FRAME_RATE_DEFAULT;
  self->frame_rate_from = SR_RATE_FROM_DEFAULT;
  self->pairs = g_array_new(FALSE, FALSE, sizeof(int));
  self->held_out = g_array_new(FALSE, FALSE, sizeof(int));
  self->flags = g_array_new(FALSE, FALSE, sizeof(SrFlag));
  g_array_set_clear_func(self->flags, flag_clear);
  self->accepted = g_ptr_array_new_with_free_func(g_free);
  self->overrides = g_ptr_array_new_with_free_func(sr_override_free);
  sr_training_settings_init(&self->training);
  sr_project_provenance_copy(&self->provenance, &(SrProvenance){0});
}

SrProject *
sr_project_new(void)
{
  return g_object_new(SR_TYPE_PROJECT, NULL);
}

SrProject *
sr_project_load_from_data(const char *json, gsize len, const char *origin, GError **error)
{
  g_return_val_if_fail(json != NULL, NULL);
  SrProject *p = sr_project_new();
  if (!sr_project_parse_into(p, json, len, origin, error)) {
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
  /* A FIFO or device would block the read below forever. */
  if (g_file_info_get_file_type(info) != G_FILE_TYPE_REGULAR) {
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_IO,
                _("%s: is not a regular file (a pipe or device), not a project file"), origin);
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

static bool
same_name(const char *name, void *user)
{
  return strcmp(name, user) == 0;
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
  g_autofree char *dir = g_path_get_dirname(path);
  char *old[SR_PROJECT_N_PATHS];
  sr_project_paths_rebase(self, dir, old);
  g_autofree char *data = sr_project_to_data(self, &len);
  sr_error err;
  sr_error_clear(&err);
  /* A save killed half-way left its temporary beside the project. */
  g_autofree char *base = g_path_get_basename(path);
  sr_fs_remove_stale_temps_owned(dir, same_name, base);
  if (!sr_write_file_atomic(path, data, len, &err)) {
    sr_project_paths_restore(self, old);
    g_set_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_IO, "%s", err.message);
    return FALSE;
  }
  if (self->file == NULL || !g_file_equal(self->file, file)) {
    g_set_object(&self->file, file);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FILE]);
  }
  static const int path_props[] = {PROP_SOURCE_PATTERN, PROP_REFERENCE_PATTERN, PROP_OUTPUT_FOLDER,
                                   PROP_CHECKPOINT, 0};
  for (int i = 0; i < SR_PROJECT_N_PATHS; i++) {
    if (path_props[i] && g_strcmp0(old[i], *sr_project_path_field(self, i)) != 0)
      g_object_notify_by_pspec(G_OBJECT(self), props[path_props[i]]);
    g_free(old[i]);
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
  SWAP(ocio_config);
  SWAP(source_ocio);
  SWAP(reference_ocio);
  SWAP(reference_offset);
  SWAP(reference_map);
  SWAP(preview_frame);
  SWAP(prefilter);
  SWAP(crop);
  SWAP(output_folder);
  SWAP(version);
  SWAP(checkpoint);
  SWAP(frame_rate);
  SWAP(frame_rate_from);
  SWAP(pairs);
  SWAP(held_out);
  SWAP(flags);
  SWAP(accepted);
  SWAP(overrides);
  SWAP(training);
  SWAP(provenance);
#undef SWAP
  g_object_unref(p);
  g_object_freeze_notify(G_OBJECT(self));
  for (int i = PROP_NAME; i <= PROP_FRAME_RATE; i++)
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
  g_autofree char *ocio = sr_project_resolve_path(self, self->ocio_config);
  if (ocio)
    sr_project_set_ocio_config(copy, ocio);
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

const char *
sr_project_get_ocio_config(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), "");
  return self->ocio_config;
}

char *
sr_project_get_ocio_config_path(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  if (*self->ocio_config)
    return sr_project_resolve_path(self, self->ocio_config);
  const char *env = g_getenv("OCIO");
  return env && *env ? g_canonicalize_filename(env, NULL) : NULL;
}

void
sr_project_set_ocio_config(SrProject *self, const char *path)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  g_autofree char *relative = NULL;
  /* Stored relative to the project's folder when it lies inside it, so the
   * project and its config move together. */
  if (path && *path && self->file && g_path_is_absolute(path)) {
    g_autoptr(GFile) parent = g_file_get_parent(self->file);
    g_autoptr(GFile) target = g_file_new_for_path(path);
    relative = parent ? g_file_get_relative_path(parent, target) : NULL;
  }
  string_setter(self, &self->ocio_config, relative ? relative : path, 0, _("OpenColorIO config"));
}

const char *
sr_project_get_ocio_space(SrProject *self, gboolean source)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), "");
  return source ? self->source_ocio : self->reference_ocio;
}

void
sr_project_set_ocio_space(SrProject *self, gboolean source, const char *name)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  string_setter(self, source ? &self->source_ocio : &self->reference_ocio, name, 0,
                source ? _("Source OpenColorIO space") : _("Reference OpenColorIO space"));
}

char *
sr_project_describe_space(SrProject *self, gboolean source)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  const char *ocio = source ? self->source_ocio : self->reference_ocio;
  if (*ocio)
    return g_strdup_printf("%s (OCIO)", ocio);
  return g_strdup(sr_colourspace_label(source ? self->source_cs : self->reference_cs));
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
  if (frame >= 0 && sr_project_frame_search(self->pairs, frame) >= 0) {
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


void
sr_project_get_prep_settings(SrProject *self, sr_prep_settings *out)
{
  g_return_if_fail(SR_IS_PROJECT(self));
  sr_prep_settings_init(out);
  out->source_space = self->source_cs;
  out->reference_space = self->reference_cs;
  out->crop = self->crop;
  out->prefilter = self->prefilter;
  g_strlcpy(out->source_ocio, self->source_ocio, sizeof out->source_ocio);
  g_strlcpy(out->reference_ocio, self->reference_ocio, sizeof out->reference_ocio);
  g_autofree char *config = sr_project_get_ocio_config_path(self);
  g_strlcpy(out->ocio_config, config ? config : "", sizeof out->ocio_config);
}

sr_file_set *
sr_project_input_files(SrProject *self)
{
  g_return_val_if_fail(SR_IS_PROJECT(self), NULL);
  sr_file_set *set = sr_file_set_new();
  if (set == NULL)
    g_error("out of memory");
  const char *patterns[] = {self->source_pattern, self->reference_pattern};
  for (guint i = 0; i < G_N_ELEMENTS(patterns); i++) {
    if (patterns[i] == NULL || *patterns[i] == '\0')
      continue;
    g_autofree char *path = sr_project_resolve_path(self, patterns[i]);
    sr_sequence seq = {0};
    if (sr_sequence_open(&seq, path, NULL) && !sr_file_set_add_sequence(set, &seq, NULL))
      g_error("out of memory");
    sr_sequence_clear(&seq);
  }
  return set;
}
