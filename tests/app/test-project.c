/* Tests for SrProject: defaults, edits and "changed", frame-set rules,
 * save/load, snapshots, and malformed files. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include <json-glib/json-glib.h>

#include "sr-io.h"
#include "sr-json-builder.h"
#include "sr-project.h"
#include "sr-simulator.h"

typedef struct {
  int changed;
  char *last;
  int modified_notifies;
} Counter;

static void
on_changed(SrProject *p, const char *description, gpointer user_data)
{
  Counter *c = user_data;
  c->changed++;
  g_free(c->last);
  c->last = g_strdup(description);
}

static void
on_modified(GObject *obj, GParamSpec *pspec, gpointer user_data)
{
  Counter *c = user_data;
  c->modified_notifies++;
}

static void
counter_watch(SrProject *p, Counter *c)
{
  memset(c, 0, sizeof *c);
  g_signal_connect(p, "changed", G_CALLBACK(on_changed), c);
  g_signal_connect(p, "notify::modified", G_CALLBACK(on_modified), c);
}

static void
test_defaults(void)
{
  SrProject *p = sr_project_new();
  g_assert_false(sr_project_get_modified(p));
  g_assert_null(sr_project_get_file(p));
  g_assert_cmpstr(sr_project_get_name(p), ==, "");
  g_assert_cmpstr(sr_project_get_checkpoint(p), ==, "");
  g_assert_cmpint(sr_project_get_preview_frame(p), ==, -1);
  g_assert_cmpint(sr_project_get_reference_offset(p), ==, 0);
  g_assert_cmpint(sr_project_get_prefilter(p), ==, SR_PREFILTER_NONE);
  g_assert_cmpuint(sr_project_get_pairs(p)->len, ==, 0);
  g_assert_cmpuint(sr_project_get_held_out(p)->len, ==, 0);
  g_assert_cmpuint(sr_project_get_flags(p)->len, ==, 0);
  sr_rect crop = sr_project_get_crop(p);
  g_assert_cmpint(crop.w, ==, 0);

  SrTrainingSettings t;
  sr_project_get_training(p, &t);
  g_assert_cmpint(t.model_size, ==, SR_MODEL_SIZE_M);
  g_assert_cmpint(t.patch, ==, 512);
  g_assert_cmpint(t.batch, ==, 3);
  g_assert_cmpint(t.steps, ==, 40000);
  g_assert_cmpint(t.checkpoint_every, ==, 10000);
  g_assert_cmpint(t.contact_sheet_every, ==, 100);
  g_assert_cmpfloat_with_epsilon(t.learning_rate, 2e-4, 1e-12);
  g_assert_cmpint(t.warmup_steps, ==, 1000);
  g_assert_true(t.cosine_decay);
  g_assert_true(t.flip);
  g_assert_false(t.exposure_jitter);
  g_assert_false(t.scale_jitter);
  g_assert_cmpfloat(t.translate_px, ==, 4.0);
  g_assert_cmpuint(t.seed, ==, 1);
  g_assert_cmpstr(t.backend, ==, "auto");

  sr_prep_settings prep;
  sr_project_get_prep_settings(p, &prep);
  g_assert_cmpint(prep.source_space, ==, sr_project_get_source_colourspace(p));
  g_assert_cmpint(prep.matrix, ==, SR_YCBCR_BT709);
  g_object_unref(p);
}

static void
test_edits_emit_changed(void)
{
  SrProject *p = sr_project_new();
  Counter c;
  counter_watch(p, &c);

  sr_project_set_name(p, "Reel 1");
  g_assert_cmpint(c.changed, ==, 1);
  g_assert_nonnull(c.last);
  g_assert_cmpstr(c.last, !=, "");
  g_assert_true(sr_project_get_modified(p));
  g_assert_cmpint(c.modified_notifies, ==, 1);

  /* Setting the same value is not an edit. */
  sr_project_set_name(p, "Reel 1");
  g_assert_cmpint(c.changed, ==, 1);

  /* Clearing "modified" (after a save) notifies but is not an edit. */
  sr_project_set_modified(p, FALSE);
  g_assert_false(sr_project_get_modified(p));
  g_assert_cmpint(c.changed, ==, 1);
  g_assert_cmpint(c.modified_notifies, ==, 2);

  int expected = 1;
#define EDIT(stmt)                             \
  do {                                         \
    sr_project_set_modified(p, FALSE);         \
    stmt;                                      \
    expected++;                                \
    g_assert_cmpint(c.changed, ==, expected);  \
    g_assert_true(sr_project_get_modified(p)); \
  } while (0)
  EDIT(sr_project_set_source_pattern(p, "src/a.%04d.exr"));
  EDIT(sr_project_set_reference_pattern(p, "ref/a.%04d.exr"));
  EDIT(sr_project_set_source_colourspace(p, SR_CS_ACES2065_1));
  EDIT(sr_project_set_reference_colourspace(p, SR_CS_ACESCG));
  EDIT(sr_project_set_reference_offset(p, 3));
  EDIT(sr_project_set_prefilter(p, SR_PREFILTER_MEDIAN3));
  EDIT(sr_project_set_crop(p, ((sr_rect){4, 4, 100, 80})));
  EDIT(sr_project_set_output_folder(p, "out"));
  EDIT(sr_project_set_version(p, "v002"));
  EDIT(sr_project_set_checkpoint(p, "ckpt/step_100.safetensors"));
  EDIT(g_assert_true(sr_project_add_pair(p, 10, NULL)));
  EDIT(g_assert_true(sr_project_remove_pair(p, 10)));
  EDIT(g_assert_true(sr_project_add_held_out(p, 11, NULL)));
  EDIT(g_assert_true(sr_project_remove_held_out(p, 11)));
  EDIT(g_assert_true(sr_project_set_preview_frame(p, 12, NULL)));
  EDIT(sr_project_add_flag(p, 40, "halo"));
  EDIT(sr_project_add_flag(p, 40, "flicker"));
  EDIT(g_assert_true(sr_project_remove_flag(p, 40)));
  EDIT(sr_project_set_accepted(p, "no-halos", TRUE));
  EDIT(sr_project_set_accepted(p, "no-halos", FALSE));
  SrTrainingSettings t;
  sr_project_get_training(p, &t);
  t.steps = 500;
  EDIT(g_assert_true(sr_project_set_training(p, &t, NULL)));
  SrProvenance prov = {.film_title = "Film", .shot_id = "sh010"};
  EDIT(sr_project_set_provenance(p, &prov));
  /* Property setters are edits too. */
  EDIT(g_object_set(p, "name", "Reel 2", NULL));
  EDIT(g_object_set(p, "reference-offset", -2, NULL));
#undef EDIT

  /* Unchanged values: no emission. */
  sr_project_set_crop(p, (sr_rect){4, 4, 100, 80});
  sr_project_add_flag(p, 41, "x");
  int before = c.changed;
  sr_project_add_flag(p, 41, "x");
  g_assert_false(sr_project_remove_pair(p, 999));
  g_assert_true(sr_project_set_training(p, &t, NULL));
  sr_project_set_provenance(p, &prov);
  g_assert_cmpint(c.changed, ==, before);

  char *name = NULL;
  int offset = 0;
  g_object_get(p, "name", &name, "reference-offset", &offset, NULL);
  g_assert_cmpstr(name, ==, "Reel 2");
  g_assert_cmpint(offset, ==, -2);
  g_free(name);
  g_free(c.last);
  g_object_unref(p);
}

static void
assert_frames(const GArray *a, const int *expect, guint n)
{
  g_assert_cmpuint(a->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint(g_array_index(a, int, i), ==, expect[i]);
}

static void
test_frame_sets(void)
{
  SrProject *p = sr_project_new();
  GError *error = NULL;
  g_assert_true(sr_project_add_pair(p, 5, NULL));
  g_assert_true(sr_project_add_pair(p, 1, NULL));
  g_assert_true(sr_project_add_pair(p, 3, NULL));
  g_assert_true(sr_project_add_pair(p, 3, NULL)); /* already there: fine, no duplicate */
  assert_frames(sr_project_get_pairs(p), (int[]){1, 3, 5}, 3);
  g_assert_true(sr_project_has_pair(p, 3));
  g_assert_false(sr_project_has_pair(p, 4));

  /* Holding a pair out moves it. */
  g_assert_true(sr_project_add_held_out(p, 3, NULL));
  assert_frames(sr_project_get_pairs(p), (int[]){1, 5}, 2);
  assert_frames(sr_project_get_held_out(p), (int[]){3}, 1);
  g_assert_true(sr_project_is_held_out(p, 3));

  /* A held-out frame never silently becomes a pair. */
  g_assert_false(sr_project_add_pair(p, 3, &error));
  g_assert_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD);
  g_assert_nonnull(strstr(error->message, "3"));
  g_clear_error(&error);
  assert_frames(sr_project_get_held_out(p), (int[]){3}, 1);
  g_assert_true(sr_project_remove_held_out(p, 3));
  g_assert_true(sr_project_add_pair(p, 3, NULL));
  assert_frames(sr_project_get_pairs(p), (int[]){1, 3, 5}, 3);

  g_assert_false(sr_project_add_pair(p, -1, &error));
  g_assert_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD);
  g_clear_error(&error);
  g_assert_false(sr_project_add_held_out(p, -7, &error));
  g_clear_error(&error);

  /* Several pairs at once are one edit; frames the single add would refuse
   * (held out, negative) and existing pairs are left out. */
  g_assert_true(sr_project_add_held_out(p, 9, NULL));
  g_assert_true(sr_project_check_pair(p, 7, NULL));
  g_assert_false(sr_project_check_pair(p, 9, &error));
  g_assert_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD);
  g_clear_error(&error);
  Counter c;
  counter_watch(p, &c);
  const int batch[] = {7, 9, 1, -2, 8};
  g_assert_cmpuint(sr_project_add_pairs(p, batch, G_N_ELEMENTS(batch)), ==, 2);
  g_assert_cmpint(c.changed, ==, 1);
  g_assert_nonnull(strstr(c.last, "7, 8"));
  assert_frames(sr_project_get_pairs(p), (int[]){1, 3, 5, 7, 8}, 5);
  g_assert_cmpuint(sr_project_add_pairs(p, batch, 1), ==, 0);
  g_assert_cmpint(c.changed, ==, 1);
  g_signal_handlers_disconnect_by_data(p, &c);
  g_free(c.last);
  g_assert_true(sr_project_remove_held_out(p, 9));

  /* Flags: sorted by frame; re-flagging replaces the reason. */
  sr_project_add_flag(p, 20, "halo");
  sr_project_add_flag(p, 10, "grain");
  sr_project_add_flag(p, 20, "flicker");
  const GArray *flags = sr_project_get_flags(p);
  g_assert_cmpuint(flags->len, ==, 2);
  g_assert_cmpint(g_array_index(flags, SrFlag, 0).frame, ==, 10);
  g_assert_cmpstr(g_array_index(flags, SrFlag, 1).reason, ==, "flicker");
  g_object_unref(p);
}

static void
test_preview_rules(void)
{
  SrProject *p = sr_project_new();
  GError *error = NULL;
  g_assert_true(sr_project_add_pair(p, 5, NULL));
  g_assert_false(sr_project_set_preview_frame(p, 5, &error));
  g_assert_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD);
  g_assert_nonnull(strstr(error->message, "5"));
  g_clear_error(&error);
  g_assert_cmpint(sr_project_get_preview_frame(p), ==, -1);

  g_assert_true(sr_project_set_preview_frame(p, 6, &error));
  g_assert_no_error(error);
  g_assert_cmpint(sr_project_get_preview_frame(p), ==, 6);
  /* The preview frame cannot then be trained on either. */
  g_assert_false(sr_project_add_pair(p, 6, &error));
  g_assert_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD);
  g_clear_error(&error);
  /* A held-out preview frame is fine. */
  g_assert_true(sr_project_add_held_out(p, 6, NULL));
  g_assert_true(sr_project_set_preview_frame(p, -1, NULL));
  g_assert_false(sr_project_set_preview_frame(p, -5, &error));
  g_clear_error(&error);
  g_object_unref(p);
}

static void
test_training_validation(void)
{
  SrProject *p = sr_project_new();
  SrTrainingSettings t;
  GError *error = NULL;
  struct {
    const char *field;
    void (*mutate)(SrTrainingSettings *);
  } cases[] = {
      {"patch", NULL},
      {"batch", NULL},
      {"learning_rate", NULL},
      {"backend", NULL},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    sr_training_settings_init(&t);
    switch (i) {
    case 0: t.patch = 100; break;
    case 1: t.batch = 0; break;
    case 2: t.learning_rate = -1; break;
    default: g_strlcpy(t.backend, "tpu", sizeof t.backend); break;
    }
    g_assert_false(sr_project_set_training(p, &t, &error));
    g_assert_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_FIELD);
    g_assert_nonnull(strstr(error->message, cases[i].field));
    g_clear_error(&error);
  }
  g_assert_false(sr_project_get_modified(p));
  g_object_unref(p);
}

static SrProject *
make_full_project(void)
{
  SrProject *p = sr_project_new();
  sr_project_set_name(p, "Reel \"7\" — été");
  sr_project_set_source_pattern(p, "source/shot.%04d.exr");
  sr_project_set_reference_pattern(p, "/abs/ref/shot.####.dpx");
  sr_project_set_source_colourspace(p, SR_CS_ACES2065_1);
  sr_project_set_reference_colourspace(p, SR_CS_REC709);
  sr_project_set_reference_offset(p, 100);
  sr_project_set_prefilter(p, SR_PREFILTER_MEDIAN5);
  sr_project_set_crop(p, (sr_rect){8, 6, 1904, 1068});
  sr_project_set_output_folder(p, "render");
  sr_project_set_version(p, "v003");
  sr_project_set_checkpoint(p, "train/step_010000.safetensors");
  for (int f = 10; f <= 50; f += 10)
    g_assert_true(sr_project_add_pair(p, f, NULL));
  g_assert_true(sr_project_add_held_out(p, 15, NULL));
  g_assert_true(sr_project_add_held_out(p, 45, NULL));
  g_assert_true(sr_project_set_preview_frame(p, 33, NULL));
  sr_project_add_flag(p, 70, "halo on the window frame");
  sr_project_set_accepted(p, "no-colour-shift", TRUE);
  SrTrainingSettings t;
  sr_training_settings_init(&t);
  t.model_size = SR_MODEL_SIZE_L;
  t.patch = 256;
  t.steps = 80000;
  t.learning_rate = 1.5e-4;
  t.exposure_jitter = TRUE;
  t.translate_px = 2.5;
  t.seed = 1234567890123ULL;
  g_strlcpy(t.backend, "cuda", sizeof t.backend);
  g_assert_true(sr_project_set_training(p, &t, NULL));
  SrProvenance prov = {
      .film_title = "The Film",
      .shot_id = "sh042",
      .source_element = "16mm print",
      .reference_source = "35mm IN",
      .restorationist = "A. Person",
      .institution = "Archive",
      .notes = "line one\nline two",
  };
  sr_project_set_provenance(p, &prov);
  return p;
}

static void
test_save_load_round_trip(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-project-XXXXXX", NULL);
  g_assert_nonnull(dir);
  g_autofree char *path = g_build_filename(dir, "reel.srproj", NULL);
  GFile *file = g_file_new_for_path(path);
  SrProject *p = make_full_project();
  g_assert_true(sr_project_get_modified(p));
  GError *error = NULL;
  g_assert_true(sr_project_save(p, file, &error));
  g_assert_no_error(error);
  g_assert_false(sr_project_get_modified(p));
  g_assert_true(g_file_equal(sr_project_get_file(p), file));

  SrProject *q = sr_project_load(file, &error);
  g_assert_no_error(error);
  g_assert_nonnull(q);
  g_assert_false(sr_project_get_modified(q));
  g_autofree char *a = sr_project_to_data(p, NULL);
  g_autofree char *b = sr_project_to_data(q, NULL);
  g_assert_cmpstr(a, ==, b);

  g_assert_cmpstr(sr_project_get_name(q), ==, "Reel \"7\" — été");
  g_assert_cmpint(sr_project_get_source_colourspace(q), ==, SR_CS_ACES2065_1);
  g_assert_cmpint(sr_project_get_reference_offset(q), ==, 100);
  g_assert_cmpint(sr_project_get_prefilter(q), ==, SR_PREFILTER_MEDIAN5);
  sr_rect crop = sr_project_get_crop(q);
  g_assert_true(sr_rect_equal(crop, ((sr_rect){8, 6, 1904, 1068})));
  assert_frames(sr_project_get_pairs(q), (int[]){10, 20, 30, 40, 50}, 5);
  assert_frames(sr_project_get_held_out(q), (int[]){15, 45}, 2);
  g_assert_cmpint(sr_project_get_preview_frame(q), ==, 33);
  g_assert_true(sr_project_get_accepted(q, "no-colour-shift"));
  g_assert_false(sr_project_get_accepted(q, "no-halos"));
  SrTrainingSettings t;
  sr_project_get_training(q, &t);
  g_assert_cmpint(t.model_size, ==, SR_MODEL_SIZE_L);
  g_assert_cmpint(t.patch, ==, 256);
  g_assert_cmpfloat(t.learning_rate, ==, 1.5e-4);
  g_assert_cmpfloat(t.translate_px, ==, 2.5);
  g_assert_true(t.exposure_jitter);
  g_assert_cmpuint(t.seed, ==, 1234567890123ULL);
  g_assert_cmpstr(t.backend, ==, "cuda");
  g_assert_cmpstr(sr_project_get_provenance(q)->notes, ==, "line one\nline two");
  const GArray *flags = sr_project_get_flags(q);
  g_assert_cmpuint(flags->len, ==, 1);
  g_assert_cmpstr(g_array_index(flags, SrFlag, 0).reason, ==, "halo on the window frame");

  /* Relative paths resolve against the project's folder; absolute stay. */
  g_autofree char *src = sr_project_resolve_path(q, sr_project_get_source_pattern(q));
  g_autofree char *want = g_build_filename(dir, "source", "shot.%04d.exr", NULL);
  g_assert_cmpstr(src, ==, want);
  g_autofree char *ref = sr_project_resolve_path(q, sr_project_get_reference_pattern(q));
  g_assert_cmpstr(ref, ==, "/abs/ref/shot.####.dpx");
  g_assert_null(sr_project_resolve_path(q, ""));

  /* A worker's copy has no file, so its paths come already absolute, and
   * everything else is the same project. */
  SrProject *c = sr_project_copy_for_thread(q, &error);
  g_assert_no_error(error);
  g_assert_nonnull(c);
  g_assert_null(sr_project_get_file(c));
  g_assert_false(sr_project_get_modified(c));
  g_assert_cmpstr(sr_project_get_source_pattern(c), ==, want);
  g_assert_cmpstr(sr_project_get_reference_pattern(c), ==, "/abs/ref/shot.####.dpx");
  g_autofree char *out_q = sr_project_resolve_path(q, sr_project_get_output_folder(q));
  g_assert_true(g_path_is_absolute(sr_project_get_output_folder(c)));
  g_assert_cmpstr(sr_project_get_output_folder(c), ==, out_q);
  g_autofree char *src_c = sr_project_resolve_path(c, sr_project_get_source_pattern(c));
  g_assert_cmpstr(src_c, ==, want);
  g_assert_cmpstr(sr_project_get_name(c), ==, sr_project_get_name(q));
  assert_frames(sr_project_get_pairs(c), (int[]){10, 20, 30, 40, 50}, 5);
  g_object_unref(c);

  /* Saving leaves no temporary files beside the project. */
  GDir *d = g_dir_open(dir, 0, NULL);
  int n = 0;
  while (g_dir_read_name(d) != NULL)
    n++;
  g_dir_close(d);
  g_assert_cmpint(n, ==, 1);

  g_object_unref(q);
  g_object_unref(p);
  g_remove(path);
  g_rmdir(dir);
  g_object_unref(file);
}

static void
test_snapshot_restore(void)
{
  SrProject *p = make_full_project();
  g_autofree char *snap = sr_project_to_data(p, NULL);
  Counter c;
  counter_watch(p, &c);
  sr_project_set_name(p, "changed");
  g_assert_true(sr_project_remove_pair(p, 20));
  sr_project_set_crop(p, (sr_rect){0, 0, 0, 0});
  SrTrainingSettings t;
  sr_training_settings_init(&t);
  g_assert_true(sr_project_set_training(p, &t, NULL));
  g_autofree char *edited = sr_project_to_data(p, NULL);
  g_assert_cmpstr(edited, !=, snap);

  int before = c.changed;
  GError *error = NULL;
  g_assert_true(sr_project_restore(p, snap, &error));
  g_assert_no_error(error);
  g_assert_cmpint(c.changed, ==, before + 1);
  g_autofree char *after = sr_project_to_data(p, NULL);
  g_assert_cmpstr(after, ==, snap);
  g_assert_true(sr_project_has_pair(p, 20));

  /* A bad snapshot changes nothing. */
  g_assert_false(sr_project_restore(p, "{\"schema\": 1}", &error));
  g_assert_nonnull(error);
  g_clear_error(&error);
  g_autofree char *still = sr_project_to_data(p, NULL);
  g_assert_cmpstr(still, ==, snap);
  g_free(c.last);
  g_object_unref(p);
}

static const char *base_json =
    "{\"schema\": 1, \"name\": \"t\","
    " \"source\": {\"pattern\": \"s.%04d.exr\", \"colourspace\": \"rec709\"},"
    " \"reference\": {\"pattern\": \"r.%04d.exr\", \"colourspace\": \"rec709\", \"offset\": 0},"
    " \"pairs\": [1, 2, 3], \"held_out\": [5], \"preview_frame\": 7,"
    " \"crop\": {\"x\": 0, \"y\": 0, \"w\": 64, \"h\": 64},"
    " \"training\": {\"patch\": 256}}";

/* base_json with `from` replaced by `to`. */
static char *
variant(const char *from, const char *to)
{
  const char *at = strstr(base_json, from);
  g_assert_nonnull(at);
  return g_strdup_printf("%.*s%s%s", (int)(at - base_json), base_json, to, at + strlen(from));
}

static void
test_load_valid_minimal(void)
{
  GError *error = NULL;
  SrProject *p = sr_project_load_from_data(base_json, strlen(base_json), "t.srproj", &error);
  g_assert_no_error(error);
  g_assert_nonnull(p);
  assert_frames(sr_project_get_pairs(p), (int[]){1, 2, 3}, 3);
  SrTrainingSettings t;
  sr_project_get_training(p, &t);
  g_assert_cmpint(t.patch, ==, 256);
  g_assert_cmpint(t.batch, ==, 3); /* absent: default */
  g_object_unref(p);
}

static void
test_load_malformed(void)
{
  struct {
    char *json;
    int code;
    const char *needle;
  } cases[] = {
      {g_strdup("this is not JSON {"), SR_PROJECT_ERROR_PARSE, "test.srproj"},
      {g_strdup("[1, 2, 3]"), SR_PROJECT_ERROR_PARSE, "test.srproj"},
      {g_strdup(""), SR_PROJECT_ERROR_PARSE, "test.srproj"},
      {variant("\"schema\": 1,", ""), SR_PROJECT_ERROR_FIELD, "schema"},
      {variant("\"schema\": 1", "\"schema\": 2"), SR_PROJECT_ERROR_VERSION, "newer"},
      {variant("\"schema\": 1", "\"schema\": \"1\""), SR_PROJECT_ERROR_FIELD, "schema"},
      {variant("\"source\": {\"pattern\": \"s.%04d.exr\", \"colourspace\": \"rec709\"},", ""),
       SR_PROJECT_ERROR_FIELD, "source: missing"},
      {variant("{\"pattern\": \"s.%04d.exr\", ", "{"), SR_PROJECT_ERROR_FIELD, "source.pattern"},
      {variant("\"pairs\": [1, 2, 3]", "\"pairs\": [1, \"two\", 3]"), SR_PROJECT_ERROR_FIELD,
       "pairs[1]: expected an integer frame number"},
      {variant("\"pairs\": [1, 2, 3]", "\"pairs\": [1, 2.5]"), SR_PROJECT_ERROR_FIELD, "pairs[1]"},
      {variant("\"pairs\": [1, 2, 3]", "\"pairs\": [1, -4]"), SR_PROJECT_ERROR_FIELD, "pairs[1]"},
      {variant("\"pairs\": [1, 2, 3]", "\"pairs\": 3"), SR_PROJECT_ERROR_FIELD, "pairs"},
      {variant("\"pairs\": [1, 2, 3]", "\"pairs\": [1, 1]"), SR_PROJECT_ERROR_FIELD, "pairs[1]"},
      {variant("\"name\": \"t\"", "\"name\": 5"), SR_PROJECT_ERROR_FIELD,
       "name: expected a string"},
      {variant("\"x\": 0", "\"x\": -3"), SR_PROJECT_ERROR_FIELD, "crop.x"},
      {variant("\"w\": 64", "\"w\": -64"), SR_PROJECT_ERROR_FIELD, "crop.w"},
      {variant("\"w\": 64", "\"w\": 0"), SR_PROJECT_ERROR_FIELD, "crop"},
      {variant("\"colourspace\": \"rec709\", \"offset\"",
               "\"colourspace\": \"rec2020\", \"offset\""),
       SR_PROJECT_ERROR_FIELD, "reference.colourspace: unknown colour space 'rec2020'"},
      {variant("\"held_out\": [5]", "\"held_out\": [2]"), SR_PROJECT_ERROR_FIELD, "held_out"},
      {variant("\"preview_frame\": 7", "\"preview_frame\": 3"), SR_PROJECT_ERROR_FIELD,
       "preview_frame"},
      {variant("\"patch\": 256", "\"patch\": 100"), SR_PROJECT_ERROR_FIELD, "training.patch"},
      {variant("\"patch\": 256", "\"model\": \"XL\""), SR_PROJECT_ERROR_FIELD, "training.model"},
      {variant("\"patch\": 256", "\"flip\": 1"), SR_PROJECT_ERROR_FIELD, "training.flip"},
      {variant("\"offset\": 0", "\"offset\": 0.5"), SR_PROJECT_ERROR_FIELD, "reference.offset"},
      {variant("\"name\": \"t\"", "\"name\": \"t\", \"flags\": [{\"reason\": \"x\"}]"),
       SR_PROJECT_ERROR_FIELD, "flags[0].frame"},
      {variant("\"name\": \"t\"", "\"name\": \"t\", \"prefilter\": \"blur\""),
       SR_PROJECT_ERROR_FIELD, "prefilter"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    GError *error = NULL;
    SrProject *p =
        sr_project_load_from_data(cases[i].json, strlen(cases[i].json), "test.srproj", &error);
    if (p != NULL || error == NULL || !g_str_has_prefix(error->message, "test.srproj: ") ||
        strstr(error->message, cases[i].needle) == NULL || error->code != cases[i].code)
      g_error("case %u (%s): expected code %d with '%s', got %s", i, cases[i].json, cases[i].code,
              cases[i].needle, error ? error->message : "success");
    g_test_message("%s", error->message);
    g_error_free(error);
    g_free(cases[i].json);
  }
}

static void
expect_load_error(const char *json, int code, const char *needle, const char *absent)
{
  GError *error = NULL;
  SrProject *p = sr_project_load_from_data(json, strlen(json), "test.srproj", &error);
  g_assert_null(p);
  g_assert_nonnull(error);
  g_test_message("%s", error->message);
  g_assert_cmpint(error->code, ==, code);
  g_assert_true(g_str_has_prefix(error->message, "test.srproj: "));
  g_assert_nonnull(strstr(error->message, needle));
  if (absent != NULL)
    g_assert_null(strstr(error->message, absent));
  g_error_free(error);
}

/* 100,000 levels of nesting crashed json-glib's recursive parser. */
static void
test_load_nested_deep(void)
{
  const int depth = 100000;
  GString *s = g_string_new("{\"schema\": 1, \"x\": ");
  for (int i = 0; i < depth; i++)
    g_string_append_c(s, i % 2 ? '{' : '[');
  expect_load_error(s->str, SR_PROJECT_ERROR_PARSE, "nested deeper than 64 levels", NULL);
  /* Brackets inside strings are text, not nesting. */
  g_autofree char *brackets = g_strnfill(200, '[');
  g_autofree char *in_string = variant("\"name\": \"t\"", "\"name\": \"[[[[\"");
  g_autofree char *long_name = g_strdup_printf("\"name\": \"%s\\\"\"", brackets);
  g_autofree char *in_string2 = variant("\"name\": \"t\"", long_name);
  GError *error = NULL;
  SrProject *p = sr_project_load_from_data(in_string2, strlen(in_string2), "t", &error);
  g_assert_no_error(error);
  g_object_unref(p);
  p = sr_project_load_from_data(in_string, strlen(in_string), "t", &error);
  g_assert_no_error(error);
  g_object_unref(p);
  g_string_free(s, TRUE);
}

/* An integer too large for 64 bits read back as -1 ("-1 is outside"). */
static void
test_load_integer_overflow(void)
{
  g_autofree char *big = variant("\"patch\": 256", "\"patch\": 99999999999999999999");
  expect_load_error(big, SR_PROJECT_ERROR_PARSE, "99999999999999999999 is too large", "-1");
  g_autofree char *neg = variant("\"offset\": 0", "\"offset\": -99999999999999999999");
  expect_load_error(neg, SR_PROJECT_ERROR_PARSE, "-99999999999999999999 is too large", NULL);
  /* The largest 64-bit integer is read as itself and refused by range. */
  g_autofree char *max = variant("\"patch\": 256", "\"patch\": 9223372036854775807");
  expect_load_error(max, SR_PROJECT_ERROR_FIELD, "9223372036854775807 is outside", NULL);
  /* Floats with many digits are not integers. */
  g_autofree char *lr =
      variant("\"patch\": 256", "\"patch\": 256, \"learning_rate\": 0.000100000000000000000001");
  GError *error = NULL;
  SrProject *p = sr_project_load_from_data(lr, strlen(lr), "t", &error);
  g_assert_no_error(error);
  g_object_unref(p);
}

/* A FIFO given as the project used to block the loader forever. */
static void
test_load_fifo(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-project-fifo-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "project.srproj", NULL);
  g_assert_cmpint(mkfifo(path, 0600), ==, 0);
  GFile *file = g_file_new_for_path(path);
  GError *error = NULL;
  g_assert_null(sr_project_load(file, &error));
  g_assert_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "not a regular file"));
  g_clear_error(&error);
  g_object_unref(file);
  g_remove(path);
  g_rmdir(dir);
}

/* 200,000 pairs, flags and accepted ids in reverse order: loaded in
 * n·log n (inserting each in place took about a minute). */
static void
test_load_large_lists(void)
{
  const int n = 200000;
  GString *s =
      g_string_new("{\"schema\": 1, \"name\": \"t\", \"source\": {\"pattern\": "
                   "\"s.%04d.exr\", \"colourspace\": \"rec709\"}, \"reference\": {\"pattern\": "
                   "\"r.%04d.exr\", \"colourspace\": \"rec709\"}, \"pairs\": [");
  for (int i = n; i >= 1; i--)
    g_string_append_printf(s, "%d%s", i, i > 1 ? "," : "], \"flags\": [");
  for (int i = n; i >= 1; i--)
    g_string_append_printf(s, "{\"frame\": %d, \"reason\": \"r%d\"},", i, i);
  g_string_append(s, "{\"frame\": 5, \"reason\": \"again\"}], \"accepted\": [");
  for (int i = n; i >= 1; i--)
    g_string_append_printf(s, "\"id%07d\",", i);
  g_string_append(s, "\"id0000003\"]}");
  GError *error = NULL;
  SrProject *p = sr_project_load_from_data(s->str, s->len, "large.srproj", &error);
  g_assert_no_error(error);
  const GArray *pairs = sr_project_get_pairs(p);
  g_assert_cmpuint(pairs->len, ==, n);
  for (guint i = 0; i < pairs->len; i++)
    g_assert_cmpint(g_array_index(pairs, int, i), ==, (int)i + 1);
  const GArray *flags = sr_project_get_flags(p);
  g_assert_cmpuint(flags->len, ==, n);
  g_assert_cmpint(g_array_index(flags, SrFlag, 0).frame, ==, 1);
  g_assert_cmpint(g_array_index(flags, SrFlag, n - 1).frame, ==, n);
  g_assert_cmpstr(g_array_index(flags, SrFlag, 4).reason, ==, "again");
  g_assert_true(sr_project_get_accepted(p, "id0123456"));
  g_assert_false(sr_project_get_accepted(p, "id9999999"));
  g_object_unref(p);
  g_string_free(s, TRUE);
}

/* docs/file-formats.md says which project keys are required: its example
 * must load, and removing each documented key from it must fail exactly
 * when the table says "yes" (it once called `colourspace` optional). */
static void
test_docs_required_keys(void)
{
  g_autofree char *path = g_build_filename(SR_SOURCE_ROOT, "docs", "file-formats.md", NULL);
  g_autofree char *doc = NULL;
  g_assert_true(g_file_get_contents(path, &doc, NULL, NULL));
  const char *start = strstr(doc, "```json\n");
  g_assert_nonnull(start);
  start += strlen("```json\n");
  const char *end = strstr(start, "```");
  g_assert_nonnull(end);
  g_autofree char *example = g_strndup(start, (gsize)(end - start));
  GError *error = NULL;
  SrProject *p = sr_project_load_from_data(example, strlen(example), "example", &error);
  g_assert_no_error(error);
  g_object_unref(p);

  g_auto(GStrv) lines = g_strsplit(end, "\n", -1);
  int checked = 0, required = 0;
  for (char **l = lines; *l != NULL; l++) {
    /* | `a.b` | type | yes | meaning | */
    g_auto(GStrv) cells = g_strsplit(*l, "|", -1);
    if (g_strv_length(cells) < 5 || !g_str_has_prefix(g_strstrip(cells[1]), "`"))
      continue;
    const char *need = g_strstrip(cells[3]);
    char *key = cells[1] + 1;
    char *tick = strchr(key, '`');
    if (tick == NULL || strchr(key, ',') != NULL || strchr(key, '*') != NULL)
      continue;
    *tick = '\0';
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, example, -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    g_auto(GStrv) parts = g_strsplit(key, ".", 2);
    if (parts[1] != NULL)
      o = json_object_get_object_member(o, parts[0]);
    const char *leaf = parts[1] != NULL ? parts[1] : parts[0];
    if (o == NULL || !json_object_has_member(o, leaf))
      continue;
    json_object_remove_member(o, leaf);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, json_parser_get_root(parser));
    g_autofree char *without = json_generator_to_data(gen, NULL);
    p = sr_project_load_from_data(without, strlen(without), "example", &error);
    gboolean refused = p == NULL;
    if (refused != g_str_equal(need, "yes"))
      g_error("docs/file-formats.md says %s is %s, but the loader %s a project without it", key,
              g_str_equal(need, "yes") ? "required" : "optional", refused ? "refuses" : "accepts");
    if (refused)
      g_assert_nonnull(strstr(error->message, parts[1] != NULL ? parts[1] : parts[0]));
    g_clear_error(&error);
    g_clear_object(&p);
    checked++;
    required += refused;
  }
  g_assert_cmpint(checked, >=, 20);
  g_assert_cmpint(required, >=, 5);
}

/* Numbers whose shortest form is an exponent without a point (1e-08,
 * 2e-08, and the ±1e308 that stands for infinity elsewhere) are written as
 * JSON has them, so such a project is saved in a form that opens again. */
static void
test_exponent_numbers_round_trip(void)
{
  SrProject *p = sr_project_new();
  SrTrainingSettings t;
  sr_project_get_training(p, &t);
  t.learning_rate = 1e-8;
  t.translate_px = 2e-8;
  GError *error = NULL;
  g_assert_true(sr_project_set_training(p, &t, &error));
  g_assert_no_error(error);
  gsize len = 0;
  g_autofree char *text = sr_project_to_data(p, &len);
  g_assert_null(strstr(text, "e-08.0"));
  g_assert_nonnull(strstr(text, "1e-08"));
  SrProject *q = sr_project_load_from_data(text, len, "round trip", &error);
  g_assert_no_error(error);
  g_assert_nonnull(q);
  sr_project_get_training(q, &t);
  g_assert_cmpfloat(t.learning_rate, ==, 1e-8);
  g_assert_cmpfloat(t.translate_px, ==, 2e-8);
  g_autofree char *again = sr_project_to_data(q, NULL);
  g_assert_cmpstr(text, ==, again);
  g_object_unref(q);
  g_object_unref(p);

  /* A project an older version wrote with the spoiled form opens, with the
   * values it meant; the name keeps its text, which looks like one. */
  g_autoptr(GString) old = g_string_new(text);
  g_assert_cmpuint(g_string_replace(old, "1e-08", "1e-08.0", 1), ==, 1);
  g_assert_cmpuint(g_string_replace(old, "\"name\" : \"\"", "\"name\" : \"2e-08.0\"", 1), ==, 1);
  q = sr_project_load_from_data(old->str, old->len, "old project", &error);
  g_assert_no_error(error);
  g_assert_nonnull(q);
  sr_project_get_training(q, &t);
  g_assert_cmpfloat(t.learning_rate, ==, 1e-8);
  g_assert_cmpstr(sr_project_get_name(q), ==, "2e-08.0");
  g_object_unref(q);
  /* Broken JSON elsewhere is still refused with the parser's message. */
  g_string_append(old, "}");
  g_assert_null(sr_project_load_from_data(old->str, old->len, "old project", &error));
  g_assert_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_PARSE);
  g_clear_error(&error);

  /* The generic writer: every spoiled exponent repaired, strings kept. */
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  const double values[] = {1e-8, 1e308, -1e308, 1e17, 2.5, 3.0, 6e-10, 0.0001};
  json_builder_set_member_name(b, "values");
  json_builder_begin_array(b);
  for (guint i = 0; i < G_N_ELEMENTS(values); i++)
    json_builder_add_double_value(b, values[i]);
  json_builder_end_array(b);
  sr_json_member_string(b, "text", "1e-08.0 \"2e+17.0\"");
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  for (int pretty = 0; pretty <= 1; pretty++) {
    g_autofree char *json = sr_json_text(root, pretty, NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, json, -1, &error));
    g_assert_no_error(error);
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    JsonArray *a = json_object_get_array_member(o, "values");
    g_assert_cmpuint(json_array_get_length(a), ==, G_N_ELEMENTS(values));
    for (guint i = 0; i < G_N_ELEMENTS(values); i++)
      g_assert_cmpfloat(json_array_get_double_element(a, i), ==, values[i]);
    g_assert_cmpstr(json_object_get_string_member(o, "text"), ==, "1e-08.0 \"2e+17.0\"");
  }
}

/* The pre-scan every outside JSON file gets: nesting counted as it is
 * (siblings do not add up), strings skipped, a 64-bit overflow found. */
static void
test_json_prescan(void)
{
  gssize at = 0;
  const char *siblings = "{\"a\" : [1], \"b\" : [[2]], \"c\" : [3, {\"d\" : []}], \"e\" : \"[[[\"}";
  g_assert_cmpint(sr_json_prescan(siblings, strlen(siblings), 64, &at), ==, 4);
  g_assert_cmpint(at, ==, -1);
  const char *big = "{\"s\" : \"99999999999999999999\", \"n\" : -9223372036854775809}";
  g_assert_cmpint(sr_json_prescan(big, strlen(big), 64, &at), ==, 1);
  g_assert_cmpint(at, ==, (gssize)(strstr(big, "-9") - big));
  g_autoptr(JsonParser) parser = json_parser_new();
  GError *error = NULL;
  g_assert_true(sr_json_load_outside(parser, siblings, strlen(siblings), 4, &error));
  g_assert_false(sr_json_load_outside(parser, siblings, strlen(siblings), 3, &error));
  g_assert_nonnull(strstr(error->message, "3"));
  g_clear_error(&error);
  g_assert_false(sr_json_load_outside(parser, big, strlen(big), 3, &error));
  g_clear_error(&error);
}

static void
test_load_missing_file(void)
{
  GFile *file = g_file_new_for_path("/nonexistent/folder/missing.srproj");
  GError *error = NULL;
  g_assert_null(sr_project_load(file, &error));
  g_assert_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "missing.srproj"));
  g_clear_error(&error);
  g_object_unref(file);

  /* Saving into a folder that does not exist fails cleanly. */
  SrProject *p = sr_project_new();
  file = g_file_new_for_path("/nonexistent/folder/out.srproj");
  g_assert_false(sr_project_save(p, file, &error));
  g_assert_error(error, SR_PROJECT_ERROR, SR_PROJECT_ERROR_IO);
  g_clear_error(&error);
  g_object_unref(file);
  g_object_unref(p);
}

static void
count_pair(const sr_pair *pair, gpointer user_data)
{
  GArray *seen = user_data;
  g_assert_nonnull(pair->input);
  g_assert_nonnull(pair->ground_truth);
  g_assert_cmpint(pair->input->width, ==, 80);
  g_assert_cmpint(pair->reference_frame, ==, pair->source_frame + 1);
  g_array_append_val(seen, pair->source_frame);
}

static int
count_status(const sr_check_report *r, sr_check_status status, const char *id, const char *subject)
{
  int n = 0;
  for (int i = 0; i < r->n; i++)
    if (r->items[i].status == status && (id == NULL || strcmp(r->items[i].id, id) == 0) &&
        (subject == NULL || strcmp(r->items[i].subject, subject) == 0))
      n++;
  return n;
}

/* The checks over real frames: simulated sequences, a Reference numbered one
 * ahead (offset +1), a crop. */
static void
test_check_frames(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-project-XXXXXX", NULL);
  g_autofree char *src_dir = g_build_filename(dir, "src", NULL);
  g_autofree char *ref_dir = g_build_filename(dir, "ref", NULL);
  g_assert_cmpint(g_mkdir(src_dir, 0755), ==, 0);
  g_assert_cmpint(g_mkdir(ref_dir, 0755), ==, 0);
  sr_simulator_options sim;
  sr_simulator_options_init(&sim);
  sim.width = 96;
  sim.height = 80;
  sim.grain = false;
  sr_write_options wo;
  sr_write_options_init(&wo);
  sr_error err;
  for (int f = 1; f <= 4; f++) {
    sr_image *s, *r;
    g_assert_true(sr_simulator_render_frame(&sim, f, &s, &r, &err));
    g_autofree char *sp = g_strdup_printf("%s/a.%04d.exr", src_dir, f);
    g_autofree char *rp = g_strdup_printf("%s/b.%04d.exr", ref_dir, f + 1);
    g_assert_true(sr_image_write(sp, s, &wo, &err));
    g_assert_true(sr_image_write(rp, r, &wo, &err));
    sr_image_free(s);
    sr_image_free(r);
  }
  SrProject *p = sr_project_new();
  sr_project_set_source_pattern(p, "src/a.%04d.exr");
  sr_project_set_reference_pattern(p, "ref/b.####.exr");
  sr_project_set_source_colourspace(p, SR_CS_ACES2065_1);
  sr_project_set_reference_colourspace(p, SR_CS_ACES2065_1);
  sr_project_set_reference_offset(p, 1);
  sr_project_set_crop(p, (sr_rect){8, 8, 80, 64});
  g_assert_true(sr_project_add_pair(p, 1, NULL));
  g_assert_true(sr_project_add_pair(p, 3, NULL));
  g_assert_true(sr_project_set_preview_frame(p, 2, NULL));
  g_autofree char *path = g_build_filename(dir, "p.srproj", NULL);
  GFile *file = g_file_new_for_path(path);
  g_assert_true(sr_project_save(p, file, NULL));

  sr_check_report report;
  sr_check_report_init(&report);
  GArray *seen = g_array_new(FALSE, FALSE, sizeof(int));
  sr_project_check_with_pairs(p, &report, count_pair, seen);
  for (int i = 0; i < report.n; i++)
    g_test_message("%s %s %s %s", sr_check_status_name(report.items[i].status), report.items[i].id,
                   report.items[i].subject, report.items[i].detail);
  g_assert_cmpint(count_status(&report, SR_CHECK_FAIL, NULL, NULL), ==, 0);
  g_assert_cmpint(count_status(&report, SR_CHECK_PASS, "chroma-identity", "pair 3"), ==, 1);
  assert_frames(seen, (int[]){1, 3}, 2);
  sr_check_report_clear(&report);

  /* A missing Reference frame is a FAIL naming the pair; the other pair is
   * still built. */
  g_autofree char *gone = g_strdup_printf("%s/b.0004.exr", ref_dir);
  g_assert_cmpint(g_remove(gone), ==, 0);
  g_array_set_size(seen, 0);
  sr_check_report_init(&report);
  sr_project_check_with_pairs(p, &report, count_pair, seen);
  g_assert_cmpint(count_status(&report, SR_CHECK_FAIL, "reference-frame", "pair 3"), ==, 1);
  assert_frames(seen, (int[]){1}, 1);
  sr_check_report_clear(&report);

  /* No sequences at all: FAIL lines, no crash. */
  SrProject *empty = sr_project_new();
  sr_check_report_init(&report);
  sr_project_check(empty, &report);
  g_assert_cmpint(count_status(&report, SR_CHECK_FAIL, "source-sequence", NULL), ==, 1);
  g_assert_cmpint(count_status(&report, SR_CHECK_FAIL, "training-pairs", NULL), ==, 1);
  sr_check_report_clear(&report);
  g_object_unref(empty);

  g_array_free(seen, TRUE);
  g_object_unref(file);
  g_object_unref(p);
  for (int f = 1; f <= 5; f++) {
    g_autofree char *sp = g_strdup_printf("%s/a.%04d.exr", src_dir, f);
    g_autofree char *rp = g_strdup_printf("%s/b.%04d.exr", ref_dir, f);
    g_remove(sp);
    g_remove(rp);
  }
  g_remove(path);
  g_rmdir(src_dir);
  g_rmdir(ref_dir);
  g_rmdir(dir);
}


/* OpenColorIO fields: optional, saved only when used, the config stored
 * relative to the project, and a check that names config and space. */
static const char *ocio_config_text =
    "ocio_profile_version: 2\n"
    "roles:\n"
    "  default: ACES2065-1\n"
    "  aces_interchange: ACES2065-1\n"
    "  cie_xyz_d65_interchange: ACES2065-1\n"
    "file_rules:\n"
    "  - !<Rule> {name: Default, colorspace: default}\n"
    "displays:\n"
    "  sRGB:\n"
    "    - !<View> {name: Raw, colorspace: ACES2065-1}\n"
    "colorspaces:\n"
    "  - !<ColorSpace> {name: ACES2065-1, aliases: [aces]}\n"
    "  - !<ColorSpace>\n"
    "    name: ACEScg\n"
    "    to_scene_reference: !<BuiltinTransform> {style: ACEScg_to_ACES2065-1}\n";

static const sr_check *
find_check(const sr_check_report *r, const char *id)
{
  for (int i = 0; i < r->n; i++)
    if (g_str_equal(r->items[i].id, id))
      return &r->items[i];
  return NULL;
}

static void
test_ocio_fields(void)
{
  GError *error = NULL;
  /* An older project has none of them. */
  SrProject *p = sr_project_load_from_data(base_json, strlen(base_json), "t.srproj", &error);
  g_assert_no_error(error);
  g_assert_cmpstr(sr_project_get_ocio_config(p), ==, "");
  g_assert_cmpstr(sr_project_get_ocio_space(p, TRUE), ==, "");
  gsize len;
  g_autofree char *plain = sr_project_to_data(p, &len);
  g_assert_null(strstr(plain, "ocio"));

  g_autofree char *dir = g_dir_make_tmp("sr-proj-ocio-XXXXXX", NULL);
  g_autofree char *cfg_dir = g_build_filename(dir, "colour", NULL);
  g_assert_cmpint(g_mkdir(cfg_dir, 0755), ==, 0);
  g_autofree char *cfg = g_build_filename(cfg_dir, "config.ocio", NULL);
  g_assert_true(g_file_set_contents(cfg, ocio_config_text, -1, NULL));
  g_autofree char *proj = g_build_filename(dir, "shot.srproj", NULL);
  g_autoptr(GFile) file = g_file_new_for_path(proj);
  g_assert_true(sr_project_save(p, file, &error));
  sr_project_set_ocio_config(p, cfg);
  g_assert_cmpstr(sr_project_get_ocio_config(p), ==, "colour/config.ocio");
  g_autofree char *resolved = sr_project_get_ocio_config_path(p);
  g_assert_cmpstr(resolved, ==, cfg);
  sr_project_set_ocio_space(p, TRUE, "ACEScg");
  sr_project_set_ocio_space(p, FALSE, "aces");
  g_autofree char *described = sr_project_describe_space(p, TRUE);
  g_assert_cmpstr(described, ==, "ACEScg (OCIO)");
  sr_prep_settings prep;
  sr_project_get_prep_settings(p, &prep);
  g_assert_cmpstr(prep.ocio_config, ==, cfg);
  g_assert_cmpstr(prep.source_ocio, ==, "ACEScg");

  /* Saved and loaded back. */
  g_assert_true(sr_project_save(p, file, &error));
  g_object_unref(p);
  p = sr_project_load(file, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(sr_project_get_ocio_config(p), ==, "colour/config.ocio");
  g_assert_cmpstr(sr_project_get_ocio_space(p, TRUE), ==, "ACEScg");
  g_assert_cmpstr(sr_project_get_ocio_space(p, FALSE), ==, "aces");

  sr_check_report report;
  sr_check_report_init(&report);
  sr_project_check(p, &report);
  const sr_check *c = find_check(&report, "ocio");
  if (sr_ocio_available()) {
    g_assert_nonnull(c);
    g_assert_cmpint(c->status, ==, SR_CHECK_PASS);
  }
  sr_check_report_clear(&report);

  /* A space the config lacks: the check names the config and the space. */
  sr_project_set_ocio_space(p, TRUE, "ARRI LogC3");
  sr_check_report_init(&report);
  sr_project_check(p, &report);
  c = find_check(&report, "ocio");
  g_assert_nonnull(c);
  g_assert_cmpint(c->status, ==, SR_CHECK_FAIL);
  if (sr_ocio_available()) {
    g_assert_nonnull(strstr(c->detail, "ARRI LogC3"));
    g_assert_nonnull(strstr(c->detail, "config.ocio"));
  }
  sr_check_report_clear(&report);
  /* A config that is not there. */
  g_unlink(cfg);
  sr_check_report_init(&report);
  sr_project_check(p, &report);
  c = find_check(&report, "ocio");
  g_assert_nonnull(c);
  g_assert_cmpint(c->status, ==, SR_CHECK_FAIL);
  if (sr_ocio_available())
    g_assert_nonnull(strstr(c->detail, "config.ocio"));
  sr_check_report_clear(&report);
  g_object_unref(p);
  g_unlink(proj);
  g_rmdir(cfg_dir);
  g_rmdir(dir);
}

/* Saved paths are relative to the project file when they lie near it (inside
 * its folder or up to two folders above), absolute otherwise; both load, and a
 * save under a new folder rewrites them for that folder. */
static void
test_paths_saved_relative(void)
{
  g_autofree char *tmp = g_dir_make_tmp("sr-project-XXXXXX", NULL);
  g_autofree char *tmp_real = g_canonicalize_filename(tmp, NULL);
  g_autofree char *shot = g_build_filename(tmp_real, "shots", "a", NULL);
  g_autofree char *other = g_build_filename(tmp_real, "other", "b", NULL);
  g_assert_cmpint(g_mkdir_with_parents(shot, 0755), ==, 0);
  g_assert_cmpint(g_mkdir_with_parents(other, 0755), ==, 0);
  g_autofree char *src = g_build_filename(tmp_real, "shots", "scans", "src.%04d.exr", NULL);
  g_autofree char *out = g_build_filename(shot, "out", NULL);
  const char *far = "/opt/elsewhere/model.safetensors";

  SrProject *p = sr_project_new();
  g_assert_cmpstr(sr_project_get_output_folder(p), ==, "output");
  sr_project_set_source_pattern(p, src);
  sr_project_set_reference_pattern(p, "ref/ref.%04d.exr"); /* beside the project-to-be */
  sr_project_set_output_folder(p, out);
  sr_project_set_checkpoint(p, far);
  g_autofree char *path = g_build_filename(shot, "reel.srproj", NULL);
  g_autoptr(GFile) file = g_file_new_for_path(path);
  GError *error = NULL;
  g_assert_true(sr_project_save(p, file, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(sr_project_get_source_pattern(p), ==, "../scans/src.%04d.exr");
  g_assert_cmpstr(sr_project_get_reference_pattern(p), ==, "ref/ref.%04d.exr");
  g_assert_cmpstr(sr_project_get_output_folder(p), ==, "out");
  g_assert_cmpstr(sr_project_get_checkpoint(p), ==, far);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_assert_nonnull(strstr(text, "\"../scans/src.%04d.exr\""));
  g_assert_null(strstr(text, tmp_real));

  SrProject *q = sr_project_load(file, &error);
  g_assert_no_error(error);
  g_autofree char *src_back = sr_project_resolve_path(q, sr_project_get_source_pattern(q));
  g_assert_cmpstr(src_back, ==, src);
  g_object_unref(q);

  /* Save As into another folder: the same files, named from there. */
  g_autofree char *path2 = g_build_filename(other, "reel.srproj", NULL);
  g_autoptr(GFile) file2 = g_file_new_for_path(path2);
  g_assert_true(sr_project_save(p, file2, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(sr_project_get_source_pattern(p), ==, "../../shots/scans/src.%04d.exr");
  g_autofree char *out_back = sr_project_resolve_path(p, sr_project_get_output_folder(p));
  g_assert_cmpstr(out_back, ==, out);
  g_autofree char *ref_back = sr_project_resolve_path(p, sr_project_get_reference_pattern(p));
  g_autofree char *ref_want = g_build_filename(shot, "ref", "ref.%04d.exr", NULL);
  g_assert_cmpstr(ref_back, ==, ref_want);
  g_object_unref(p);

  /* A project written with absolute paths (as before) loads unchanged. */
  g_autofree char *old_json = variant("s.%04d.exr", src);
  g_autofree char *old_path = g_build_filename(other, "old.srproj", NULL);
  g_assert_true(g_file_set_contents(old_path, old_json, -1, NULL));
  g_autoptr(GFile) old_file = g_file_new_for_path(old_path);
  SrProject *o = sr_project_load(old_file, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(sr_project_get_source_pattern(o), ==, src);
  /* Files without an output folder keep the earlier default. */
  g_assert_cmpstr(sr_project_get_output_folder(o), ==, "render");
  g_object_unref(o);

  g_unlink(old_path);
  g_unlink(path2);
  g_unlink(path);
  g_rmdir(other);
  g_rmdir(shot);
  g_autofree char *shots = g_path_get_dirname(shot);
  g_autofree char *others = g_path_get_dirname(other);
  g_rmdir(shots);
  g_rmdir(others);
  g_rmdir(tmp_real);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/project/defaults", test_defaults);
  g_test_add_func("/project/edits-emit-changed", test_edits_emit_changed);
  g_test_add_func("/project/frame-sets", test_frame_sets);
  g_test_add_func("/project/preview-rules", test_preview_rules);
  g_test_add_func("/project/training-validation", test_training_validation);
  g_test_add_func("/project/save-load-round-trip", test_save_load_round_trip);
  g_test_add_func("/project/exponent-numbers-round-trip", test_exponent_numbers_round_trip);
  g_test_add_func("/project/json-prescan", test_json_prescan);
  g_test_add_func("/project/snapshot-restore", test_snapshot_restore);
  g_test_add_func("/project/load-valid-minimal", test_load_valid_minimal);
  g_test_add_func("/project/load-malformed", test_load_malformed);
  g_test_add_func("/project/load-missing-file", test_load_missing_file);
  g_test_add_func("/project/bad-input/nested-100000-deep", test_load_nested_deep);
  g_test_add_func("/project/bad-input/integer-overflow", test_load_integer_overflow);
  g_test_add_func("/project/bad-input/fifo", test_load_fifo);
  g_test_add_func("/project/load-large-lists", test_load_large_lists);
  g_test_add_func("/project/docs-required-keys", test_docs_required_keys);
  g_test_add_func("/project/check-frames", test_check_frames);
  g_test_add_func("/project/ocio-fields", test_ocio_fields);
  g_test_add_func("/project/paths-saved-relative", test_paths_saved_relative);
  return g_test_run();
}
