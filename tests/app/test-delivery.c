/* Delivery (EXR masters with provenance, sidecars) and the validation run
 * (tables, stills, note) on a small synthetic shot with a real checkpoint. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "sr-backend.h"
#include "sr-checkpoint.h"
#include "sr-delivery.h"
#include "sr-signoff.h"
#include "sr-fs.h"
#include "sr-io.h"
#include "sr-unet.h"
#include "sr-qa-cache.h"
#include "sr-render.h"
#include "sr-validation-note.h"
#include "sr-test-util.h"

#define W     64
#define H     48
#define FIRST 1
#define LAST  4

typedef struct {
  char *dir;
  char *render_pattern;
  char model_id[65];
  char model_short[13];
  SrProject *project;
} Fixture;

static int
count_files(const char *dir)
{
  GDir *d = g_dir_open(dir, 0, NULL);
  if (!d)
    return 0;
  int n = 0;
  while (g_dir_read_name(d))
    n++;
  g_dir_close(d);
  return n;
}

static sr_image *
make_frame(int frame, float detail, const char *model_id)
{
  sr_image *img = sr_image_new(W, H, 3, NULL);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      float *p = sr_image_row(img, y) + x * 3;
      float base = 0.3f + 0.4f * (float)x / W + 0.01f * frame;
      float d = detail * (((x / 2 + y / 2) % 2) ? 0.05f : -0.05f);
      p[0] = base + 0.1f + d;
      p[1] = base + d;
      p[2] = base - 0.1f + d;
    }
  if (model_id)
    sr_image_set_attribute(img, "spatialRecovery:modelId", model_id, NULL);
  return img;
}

static void
write_seq(const char *pattern, float detail, const char *model_id)
{
  for (int f = FIRST; f <= LAST; f++)
    sr_test_write_frame(pattern, f, make_frame(f, detail, model_id));
}

static void
write_checkpoint(const char *path, char model_id[65])
{
  sr_checkpoint_meta meta;
  sr_checkpoint_meta_init(&meta);
  meta.step = 1234;
  int pairs[] = {1}, held[] = {3};
  meta.pairs = pairs;
  meta.n_pairs = 1;
  meta.held_out = held;
  meta.n_held_out = 1;
  meta.prep.source_space = meta.prep.reference_space = SR_CS_REC709;
  sr_test_save_checkpoint(path, 7, 1.0f, &meta, model_id);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  fx->dir = g_dir_make_tmp("sr-delivery-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *src_dir = g_build_filename(fx->dir, "source", NULL);
  g_autofree char *ref_dir = g_build_filename(fx->dir, "reference", NULL);
  g_autofree char *out = g_build_filename(fx->dir, "out", NULL);
  g_autofree char *ren_dir = g_build_filename(out, "render", NULL);
  g_autofree char *ck_dir = g_build_filename(fx->dir, "ck", NULL);
  g_assert_true(sr_mkdir_p(src_dir, NULL) && sr_mkdir_p(ref_dir, NULL) &&
                sr_mkdir_p(ren_dir, NULL) && sr_mkdir_p(ck_dir, NULL));
  g_autofree char *ck = g_build_filename(ck_dir, "model.safetensors", NULL);
  write_checkpoint(ck, fx->model_id);
  sr_model_id_short(fx->model_id, fx->model_short);

  g_autofree char *src = g_build_filename(src_dir, "src.%04d.exr", NULL);
  g_autofree char *ref = g_build_filename(ref_dir, "ref.%04d.exr", NULL);
  write_seq(src, 0.2f, NULL);
  write_seq(ref, 1.0f, NULL);

  SrProject *p = sr_project_new();
  sr_project_set_name(p, "shot");
  sr_project_set_source_pattern(p, src);
  sr_project_set_reference_pattern(p, ref);
  sr_project_set_source_colourspace(p, SR_CS_REC709);
  sr_project_set_reference_colourspace(p, SR_CS_REC709);
  sr_project_set_output_folder(p, out);
  sr_project_set_version(p, "v002");
  sr_project_set_checkpoint(p, ck);
  g_assert_true(sr_project_add_pair(p, 1, NULL));
  g_assert_true(sr_project_add_held_out(p, 3, NULL));
  SrProvenance prov = {
      .film_title = (char *)"The Lost Reel",
      .shot_id = (char *)"SH010",
      .source_element = (char *)"16mm print",
      .reference_source = (char *)"35mm internegative",
      .restorationist = (char *)"A. Archivist",
      .institution = (char *)"Film Archive",
      .notes = (char *)"test <delivery> & note",
  };
  sr_project_set_provenance(p, &prov);
  /* Reviewed and accepted: the sign-off gate has its own tests
   * (test-delivery-signoff.c). */
  for (int i = 0; i < SR_ACCEPTANCE_N_ITEMS; i++)
    sr_project_set_accepted(p, sr_acceptance_items[i].id, TRUE);
  fx->project = p;

  /* The name the render stage writes: <shot>_<version>_m<model id, 12>. */
  g_autofree char *stem = sr_delivery_base_name(p, fx->model_short);
  g_autofree char *ren_file = g_strdup_printf("%s.%%06d.exr", stem);
  fx->render_pattern = g_build_filename(ren_dir, ren_file, NULL);
  write_seq(fx->render_pattern, 0.9f, fx->model_id);
  g_autofree char *found = sr_delivery_default_render_pattern(p);
  g_assert_cmpstr(found, ==, fx->render_pattern);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
  g_clear_object(&fx->project);
  sr_test_remove_tree(fx->dir);
  g_free(fx->dir);
  g_free(fx->render_pattern);
}

static char *
master_path(Fixture *fx, const char *dir, int frame)
{
  g_autofree char *name = g_strdup_printf("SH010_v002_m%s.%04d.exr", fx->model_short, frame);
  return g_build_filename(dir, name, NULL);
}

static void
test_deliver(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = g_build_filename(fx->dir, "deliver", NULL);
  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.gate.qa_run = TRUE; /* signed off: see fixture_setup */
  o.out_dir = out;
  SrDeliveryResult r;
  gboolean ok = sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  g_assert_cmpint(r.written, ==, LAST - FIRST + 1);
  g_assert_cmpint(r.skipped, ==, 0);
  g_assert_false(r.merged);
  g_assert_cmpstr(r.facts.model_id, ==, fx->model_id);
  g_assert_cmpint((int)r.facts.steps, ==, 1234);
  g_assert_cmpstr(r.facts.model_size, ==, "S");

  float aces[8];
  sr_colourspace_chromaticities(SR_CS_ACES2065_1, aces);
  sr_colour_transform *xf = sr_colour_transform_new(SR_CS_REC709, SR_CS_ACES2065_1, NULL);
  for (int f = FIRST; f <= LAST; f++) {
    g_autofree char *mp = master_path(fx, out, f);
    sr_error err = {0};
    sr_image *m = sr_image_read(mp, &err);
    if (!m)
      g_error("%s", err.message);
    g_assert_true(m->has_chromaticities);
    for (int i = 0; i < 8; i++)
      g_assert_cmpfloat_with_epsilon(m->chromaticities[i], aces[i], 1e-5);
    g_assert_cmpstr(sr_image_get_attribute(m, "modelCheckpointId"), ==, fx->model_id);
    g_assert_cmpstr(sr_image_get_attribute(m, "digitalSourceType"), ==, SR_IPTC_TRAINED);
    g_assert_cmpstr(sr_image_get_attribute(m, "recoveryType"), ==, "spatial, reference-based");
    g_assert_cmpstr(sr_image_get_attribute(m, "filmTitle"), ==, "The Lost Reel");
    g_assert_cmpstr(sr_image_get_attribute(m, "shotId"), ==, "SH010");
    g_assert_cmpstr(sr_image_get_attribute(m, "frameRange"), ==, "1-4");
    g_assert_cmpstr(sr_image_get_attribute(m, "sourceElement"), ==, "16mm print");
    g_assert_cmpstr(sr_image_get_attribute(m, "referenceSource"), ==, "35mm internegative");
    g_assert_cmpstr(sr_image_get_attribute(m, "trainingFrames"), ==, "1");
    g_assert_cmpstr(sr_image_get_attribute(m, "trainingSteps"), ==, "1234");
    g_assert_cmpstr(sr_image_get_attribute(m, "modelSize"), ==, "S");
    g_assert_cmpstr(sr_image_get_attribute(m, "restorationist"), ==, "A. Archivist");
    g_assert_cmpstr(sr_image_get_attribute(m, "institution"), ==, "Film Archive");
    g_assert_nonnull(strstr(sr_image_get_attribute(m, "mlProcessing"), "Spatial Recovery"));
    g_assert_null(sr_image_get_attribute(m, "spatialRecovery:modelId"));
    /* Pixels: the render converted to ACES2065-1 (half precision). */
    sr_image *want = make_frame(f, 0.9f, NULL);
    sr_colour_transform_image(xf, want);
    for (int i = 0; i < W * H * 3; i += 97)
      g_assert_cmpfloat_with_epsilon(m->pixels[i], want->pixels[i],
                                     2e-3 * fabsf(want->pixels[i]) + 1e-4);
    sr_image_free(want);
    sr_image_free(m);
  }
  sr_colour_transform_free(xf);

  /* Sidecars. */
  g_autoptr(JsonParser) jp = json_parser_new();
  g_assert_true(json_parser_load_from_file(jp, r.json_path, &error));
  JsonObject *root = json_node_get_object(json_parser_get_root(jp));
  JsonObject *prov = json_object_get_object_member(root, "provenance");
  g_assert_cmpstr(json_object_get_string_member(prov, "modelCheckpointId"), ==, fx->model_id);
  g_assert_cmpstr(json_object_get_string_member(prov, "notes"), ==, "test <delivery> & note");
  JsonObject *masters = json_object_get_object_member(root, "masters");
  g_assert_cmpint(json_object_get_int_member(masters, "count"), ==, 4);
  g_assert_cmpstr(json_object_get_string_member(masters, "colourspace"), ==, "aces2065-1");
  g_autofree char *txt = NULL;
  g_assert_true(g_file_get_contents(r.text_path, &txt, NULL, NULL));
  g_assert_nonnull(strstr(txt, "trainedAlgorithmicMedia"));
  g_assert_nonnull(strstr(txt, fx->model_id));
  g_assert_true(g_str_has_suffix(r.json_path, ".json"));
  g_assert_nonnull(strstr(r.json_path, fx->model_short));

  /* exrheader sees the same attributes. */
  if (g_file_test("/usr/bin/exrheader", G_FILE_TEST_IS_EXECUTABLE)) {
    g_autofree char *mp = master_path(fx, out, 2);
    const char *argv[] = {"/usr/bin/exrheader", mp, NULL};
    g_autofree char *so = NULL;
    int status = 0;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               &so, NULL, &status, &error));
    g_assert_nonnull(strstr(so, "modelCheckpointId"));
    g_assert_nonnull(strstr(so, fx->model_id));
    g_assert_nonnull(strstr(so, "digitalSourceType"));
    g_assert_nonnull(strstr(so, "chromaticities"));
    g_assert_nonnull(strstr(so, "0.7347")); /* AP0 red x */
    g_assert_nonnull(strstr(so, "zip"));
  } else {
    g_test_message("exrheader not installed: header check skipped");
  }

  /* Resume: everything is already there. */
  SrDeliveryResult r2;
  g_assert_true(sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r2, &error));
  g_assert_cmpint(r2.written, ==, 0);
  g_assert_cmpint(r2.skipped, ==, 4);
  /* A removed master is written again. */
  g_autofree char *m3 = master_path(fx, out, 3);
  g_remove(m3);
  SrDeliveryResult r3;
  g_assert_true(sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r3, &error));
  g_assert_cmpint(r3.written, ==, 1);
  g_assert_true(g_file_test(m3, G_FILE_TEST_EXISTS));
  sr_delivery_result_clear(&r);
  sr_delivery_result_clear(&r2);
  sr_delivery_result_clear(&r3);
}

static void
test_composite_and_dwaa(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = g_build_filename(fx->dir, "deliver-crop", NULL);
  sr_project_set_crop(fx->project, (sr_rect){8, 8, 32, 24});
  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.gate.qa_run = TRUE; /* signed off: see fixture_setup */
  o.out_dir = out;
  o.compression = SR_EXR_DWAA;
  o.space = SR_CS_ACESCG;
  o.first = 2;
  o.last = 3;
  SrDeliveryResult r;
  gboolean ok = sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error);
  gboolean dwaa = TRUE;
  if (!ok && g_error_matches(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_UNSUPPORTED)) {
    /* An OpenEXR older than 3.2 cannot write DWAA: a clear error, no file. */
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "DWAA"));
    g_assert_cmpint(count_files(out), ==, 0);
    g_clear_error(&error);
    sr_delivery_result_clear(&r);
    o.compression = SR_EXR_ZIP;
    dwaa = FALSE;
    ok = sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error);
  }
  g_assert_no_error(error);
  g_assert_true(ok);
  g_assert_true(r.merged);
  g_assert_cmpint(r.written, ==, 2);
  g_autofree char *mp = master_path(fx, out, 2);
  sr_image *m = sr_image_read(mp, NULL);
  g_assert_nonnull(m);
  g_assert_cmpstr(sr_image_get_attribute(m, "digitalSourceType"), ==, SR_IPTC_COMPOSITE);
  g_assert_cmpstr(sr_image_get_attribute(m, "frameRange"), ==, "2-3");
  float cg[8];
  sr_colourspace_chromaticities(SR_CS_ACESCG, cg);
  g_assert_cmpfloat_with_epsilon(m->chromaticities[0], cg[0], 1e-5);
  sr_image_free(m);
  g_autofree char *m1 = master_path(fx, out, 1);
  g_assert_false(g_file_test(m1, G_FILE_TEST_EXISTS));
  if (g_file_test("/usr/bin/exrheader", G_FILE_TEST_IS_EXECUTABLE)) {
    const char *argv[] = {"/usr/bin/exrheader", mp, NULL};
    g_autofree char *so = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               &so, NULL, NULL, &error));
    g_assert_nonnull(strstr(so, dwaa ? "dwaa" : "zip"));
  }
  sr_delivery_result_clear(&r);
}

static void
test_missing_frame(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *f3 = sr_pattern_format(fx->render_pattern, 3);
  g_remove(f3);
  g_autofree char *out = g_build_filename(fx->dir, "deliver-missing", NULL);
  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.gate.qa_run = TRUE; /* signed off: see fixture_setup */
  o.out_dir = out;
  SrDeliveryResult r;
  g_assert_false(sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error));
  g_assert_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_MISSING);
  g_assert_nonnull(strstr(error->message, "3"));
  g_assert_nonnull(strstr(error->message, "nothing was written"));
  g_assert_cmpint(count_files(out), ==, 0);
  sr_delivery_result_clear(&r);

  /* Validation of a range with holes (a farm's finishing job) refuses and
   * names every missing frame. */
  g_autofree char *f2 = sr_pattern_format(fx->render_pattern, 2);
  g_remove(f2);
  g_clear_error(&error);
  SrValidationOptions vo;
  sr_validation_options_init(&vo);
  vo.first = FIRST;
  vo.last = LAST + 2;
  vo.write_note = FALSE;
  vo.write_stills = FALSE;
  g_autofree char *vout = g_build_filename(fx->dir, "validate-missing", NULL);
  vo.out_dir = vout;
  SrValidationResult vr;
  g_assert_false(sr_validation_run(fx->project, &vo, NULL, NULL, NULL, &vr, &error));
  g_assert_error(error, SR_VALIDATION_ERROR, SR_VALIDATION_ERROR_MISSING);
  g_assert_nonnull(strstr(error->message, "4 rendered frames are missing in 1-6"));
  g_assert_nonnull(strstr(error->message, ": 2, 3, 5, 6."));
  sr_validation_result_clear(&vr);
}

static void
test_unwritable(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_build_filename(fx->dir, "a-file", NULL);
  g_assert_true(g_file_set_contents(file, "x", 1, NULL));
  g_autofree char *out = g_build_filename(file, "sub", NULL);
  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.gate.qa_run = TRUE; /* signed off: see fixture_setup */
  o.out_dir = out;
  SrDeliveryResult r;
  g_assert_false(sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error));
  g_assert_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_UNWRITABLE);
  g_assert_nonnull(strstr(error->message, out));
  sr_delivery_result_clear(&r);
  g_clear_error(&error);
  if (geteuid() != 0) {
    g_autofree char *ro = g_build_filename(fx->dir, "read-only", NULL);
    g_assert_true(sr_mkdir_p(ro, NULL));
    g_chmod(ro, 0500);
    o.out_dir = ro;
    g_assert_false(sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error));
    g_assert_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_UNWRITABLE);
    g_chmod(ro, 0700);
    g_assert_cmpint(count_files(ro), ==, 0);
    sr_delivery_result_clear(&r);
  }
}

static void
test_model_mismatch(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  char other[65];
  memset(other, 'f', 64);
  other[64] = '\0';
  write_seq(fx->render_pattern, 0.9f, other);
  g_autofree char *out = g_build_filename(fx->dir, "deliver-mismatch", NULL);
  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.gate.qa_run = TRUE; /* signed off: see fixture_setup */
  o.out_dir = out;
  SrDeliveryResult r;
  g_assert_false(sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error));
  g_assert_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_CHECKPOINT);
  g_assert_nonnull(strstr(error->message, "ffffffffffff"));
  g_assert_cmpint(count_files(out), ==, 0);
  sr_delivery_result_clear(&r);
}

/* Plain Source frames carry no model id: delivering them would stamp scans
 * with ML provenance and certify them. */
static void
test_frames_without_model_id(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *src = g_build_filename(fx->dir, "source", "src.%04d.exr", NULL);
  g_autofree char *out = g_build_filename(fx->dir, "deliver-source", NULL);
  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.gate.qa_run = TRUE; /* signed off: see fixture_setup */
  o.render_pattern = src;
  o.out_dir = out;
  SrDeliveryResult r;
  g_assert_false(sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error));
  g_assert_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_CHECKPOINT);
  g_assert_nonnull(strstr(error->message, "rendered frame 1"));
  g_assert_nonnull(strstr(error->message, "carries no model id"));
  g_assert_cmpint(count_files(out), ==, 0);
  sr_delivery_result_clear(&r);
}

/* --out names the render folder through a symlink, and the masters would
 * have the rendered frames' names: refused before anything is written. */
static void
test_out_is_render_folder(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename(fx->dir, "render4", NULL);
  g_assert_true(sr_mkdir_p(dir, NULL));
  g_autofree char *name = g_strdup_printf("SH010_v002_m%s.%%04d.exr", fx->model_short);
  g_autofree char *pattern = g_build_filename(dir, name, NULL);
  write_seq(pattern, 0.9f, fx->model_id);
  g_autofree char *f1 = sr_pattern_format(pattern, 1);
  g_autofree char *before = NULL;
  gsize before_len = 0;
  g_assert_true(g_file_get_contents(f1, &before, &before_len, NULL));
  g_autofree char *link = g_build_filename(fx->dir, "render4-link", NULL);
  g_assert_cmpint(symlink(dir, link), ==, 0);
  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.gate.qa_run = TRUE; /* signed off: see fixture_setup */
  o.render_pattern = pattern;
  o.out_dir = link;
  SrDeliveryResult r;
  g_assert_false(sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error));
  g_assert_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "is the input file"));
  g_autofree char *after = NULL;
  gsize after_len = 0;
  g_assert_true(g_file_get_contents(f1, &after, &after_len, NULL));
  g_assert_cmpmem(before, before_len, after, after_len);
  g_assert_cmpint(count_files(dir), ==, LAST - FIRST + 1);
  sr_delivery_result_clear(&r);
}

/* A line break or an escape code in a provenance field cannot forge a
 * "key value" line of the text sidecar or reach a terminal raw. */
static void
test_text_sidecar_escapes(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  SrProvenance prov = {
      .film_title = (char *)"Reel\rTwo",
      .shot_id = (char *)"SH010",
      .notes = (char *)"fine\nmodelCheckpointId forged\x1b[31mred\x07\tend \xc2\x9b"
                       "2J",
  };
  sr_project_set_provenance(fx->project, &prov);
  g_autofree char *out = g_build_filename(fx->dir, "deliver-escape", NULL);
  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.gate.qa_run = TRUE; /* signed off: see fixture_setup */
  o.out_dir = out;
  SrDeliveryResult r;
  if (!sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error))
    g_error("%s", error->message);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(r.text_path, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  int ids = 0;
  for (char **l = lines; *l; l++) {
    if (g_str_has_prefix(*l, "modelCheckpointId"))
      ids++;
    g_assert_false(g_str_has_prefix(*l, "forged"));
  }
  g_assert_cmpint(ids, ==, 1);
  for (const char *c = text; *c; c++)
    g_assert_true(*c == '\n' || (unsigned char)*c >= 0x20);
  g_assert_null(strstr(text, "\xc2\x9b"));
  g_assert_nonnull(strstr(text, "fine\\nmodelCheckpointId forged\\u001b[31mred\\u0007\\tend "
                                "\\u009b2J"));
  g_assert_nonnull(strstr(text, "Reel\\rTwo"));
  /* The JSON sidecar keeps the value exactly (JSON escapes it itself). */
  g_autoptr(JsonParser) parser = json_parser_new();
  g_assert_true(json_parser_load_from_file(parser, r.json_path, NULL));
  JsonObject *root = json_node_get_object(json_parser_get_root(parser));
  JsonObject *pv = json_object_get_object_member(root, "provenance");
  g_assert_cmpstr(json_object_get_string_member(pv, "notes"), ==, prov.notes);
  sr_delivery_result_clear(&r);
}

/* A file already at a master's name that is not one of ours fails the
 * check, is left as it is, and the message does not tell the user to
 * delete it (it may be their own render). */
static void
test_verify_keeps_foreign_master(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = g_build_filename(fx->dir, "deliver-foreign", NULL);
  g_assert_true(sr_mkdir_p(out, NULL));
  g_autofree char *m1 = master_path(fx, out, 1);
  g_autofree char *r1 = sr_pattern_format(fx->render_pattern, 1);
  g_autofree char *theirs = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(r1, &theirs, &len, NULL));
  g_assert_true(g_file_set_contents(m1, theirs, (gssize)len, NULL));
  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.gate.qa_run = TRUE; /* signed off: see fixture_setup */
  o.out_dir = out;
  SrDeliveryResult r;
  g_assert_false(sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error));
  g_assert_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_VERIFY);
  g_assert_nonnull(strstr(error->message, m1));
  g_assert_null(strstr(error->message, "Delete"));
  g_assert_null(strstr(error->message, "delete"));
  g_assert_nonnull(strstr(error->message, "move it"));
  g_autofree char *now = NULL;
  gsize now_len = 0;
  g_assert_true(g_file_get_contents(m1, &now, &now_len, NULL));
  g_assert_cmpmem(theirs, len, now, now_len);
  sr_delivery_result_clear(&r);
}

/* Validation stills would replace rendered frames that happen to carry a
 * still's name: refused before any frame is measured. */
static void
test_validation_stills_over_render(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = g_build_filename(fx->dir, "val-clash", NULL);
  g_autofree char *stills = g_build_filename(out, "stills", NULL);
  g_assert_true(sr_mkdir_p(stills, NULL));
  g_autofree char *pattern = g_build_filename(stills, "SH010_%d_wipe.png", NULL);
  write_seq(pattern, 0.9f, NULL);
  g_autofree char *f1 = sr_pattern_format(pattern, 1);
  g_autofree char *before = NULL;
  gsize before_len = 0;
  g_assert_true(g_file_get_contents(f1, &before, &before_len, NULL));
  SrValidationOptions vo;
  sr_validation_options_init(&vo);
  vo.render_pattern = pattern;
  vo.out_dir = out;
  SrValidationResult r;
  g_assert_false(sr_validation_run(fx->project, &vo, NULL, NULL, NULL, &r, &error));
  g_assert_nonnull(error);
  g_assert_nonnull(strstr(error->message, "is the input file"));
  g_assert_nonnull(strstr(error->message, f1));
  g_autofree char *after = NULL;
  gsize after_len = 0;
  g_assert_true(g_file_get_contents(f1, &after, &after_len, NULL));
  g_assert_cmpmem(before, before_len, after, after_len);
  g_assert_cmpint(count_files(out), ==, 1); /* stills/ only: no tables */
  sr_validation_result_clear(&r);
}

/* An unreadable rendered frame is named once: "frame 3: frame 3: ..." was
 * printed before. */
static void
test_validation_unreadable_frame(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *f3 = sr_pattern_format(fx->render_pattern, 3);
  g_assert_true(g_file_set_contents(f3, "v/1\001 truncated", -1, NULL));
  g_autofree char *out = g_build_filename(fx->dir, "val-unreadable", NULL);
  SrValidationOptions vo;
  sr_validation_options_init(&vo);
  vo.out_dir = out;
  SrValidationResult r;
  g_assert_false(sr_validation_run(fx->project, &vo, NULL, NULL, NULL, &r, &error));
  g_assert_nonnull(error);
  g_assert_nonnull(strstr(error->message, "frame 3: "));
  g_assert_null(strstr(strstr(error->message, "frame 3: ") + 1, "frame 3: "));
  g_assert_nonnull(strstr(error->message, f3));
  sr_validation_result_clear(&r);
}

/* An unreadable rendered frame stops the delivery named once, with what to
 * do ("rendered frame 3: frame 3: ..." before). */
static void
test_deliver_unreadable_frame(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *f3 = sr_pattern_format(fx->render_pattern, 3);
  g_assert_true(g_file_set_contents(f3, "v/1\001 truncated", -1, NULL));
  g_autofree char *out = g_build_filename(fx->dir, "deliver-unreadable", NULL);
  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.gate.qa_run = TRUE; /* signed off: see fixture_setup */
  o.out_dir = out;
  SrDeliveryResult r;
  g_assert_false(sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error));
  g_assert_nonnull(strstr(error->message, "rendered frame 3: "));
  g_assert_null(strstr(error->message, "frame 3: frame 3"));
  g_assert_null(strstr(error->message, ": frame 3: "));
  g_assert_nonnull(strstr(error->message, f3));
  g_assert_nonnull(strstr(error->message, "Re-render this frame"));
  sr_delivery_result_clear(&r);
}

/* A size limit makes every write past it fail with EFBIG, like a full disk. */
static void
test_disk_full(Fixture *fx, gconstpointer data)
{
  g_autofree char *out = g_build_filename(fx->dir, "deliver-full", NULL);
  g_assert_true(sr_mkdir_p(out, NULL));
  int pipefd[2];
  g_assert_cmpint(pipe(pipefd), ==, 0);
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if (pid == 0) {
    close(pipefd[0]);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {.rlim_cur = 3000, .rlim_max = 3000};
    setrlimit(RLIMIT_FSIZE, &rl);
    SrDeliveryOptions o;
    sr_delivery_options_init(&o);
    o.gate.qa_run = TRUE;
    o.gate.qa_run = TRUE; /* signed off: see fixture_setup */
    o.out_dir = out;
    SrDeliveryResult r;
    GError *error = NULL;
    gboolean ok = sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error);
    int code = ok ? -1 : error->code;
    if (error)
      (void)!write(pipefd[1], error->message, strlen(error->message));
    close(pipefd[1]);
    _exit(code < 0 ? 100 : code);
  }
  close(pipefd[1]);
  char msg[2048] = {0};
  size_t got = 0;
  ssize_t k;
  while ((k = read(pipefd[0], msg + got, sizeof msg - 1 - got)) > 0)
    got += (size_t)k;
  close(pipefd[0]);
  int status = 0;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_assert_true(WIFEXITED(status));
  g_test_message("disk full: %s", msg);
  g_assert_cmpint(WEXITSTATUS(status), !=, 100);
  g_assert_cmpint(WEXITSTATUS(status), ==, SR_DELIVERY_ERROR_NOSPACE);
  g_assert_nonnull(strstr(msg, "disk is full"));
  /* No partial master, no temporary left behind. */
  GDir *d = g_dir_open(out, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    g_assert_false(g_str_has_suffix(name, ".tmp"));
    g_autofree char *p = g_build_filename(out, name, NULL);
    sr_image *m = sr_image_read(p, NULL);
    g_assert_nonnull(m); /* whatever exists is complete */
    sr_image_free(m);
  }
  g_dir_close(d);
}

static void
test_validation_note(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = g_build_filename(fx->dir, "validation", NULL);
  SrValidationOptions vo;
  sr_validation_options_init(&vo);
  vo.out_dir = out;
  g_autoptr(GArray) stills = g_array_new(FALSE, FALSE, sizeof(int));
  int s2 = 2;
  g_array_append_val(stills, s2);
  vo.still_frames = stills;
  SrValidationResult r;
  gboolean ok = sr_validation_run(fx->project, &vo, NULL, NULL, NULL, &r, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  g_assert_cmpint(r.n_frames, ==, 4);
  g_assert_true(r.has_facts);
  /* Frame 3 is held out: fidelity measured there only. */
  g_assert_true(r.frames[2].held_out);
  g_assert_false(isnan(r.frames[2].psnr));
  g_assert_true(isnan(r.frames[0].psnr));
  g_assert_true(r.frames[0].has_reference);
  g_assert_cmpfloat(r.frames[0].sharpness_gain_db, >, 3.0);
  /* Wipe, side-by-side, preview, two scopes each for original and recovered. */
  g_assert_cmpuint(r.still_paths->len, ==, 7);
  for (guint i = 0; i < r.still_paths->len; i++) {
    sr_image *img = sr_image_read(g_ptr_array_index(r.still_paths, i), NULL);
    g_assert_nonnull(img);
    sr_image_free(img);
  }
  g_autofree char *csv = NULL, *html = NULL;
  g_assert_true(g_file_get_contents(r.csv_path, &csv, NULL, NULL));
  g_assert_true(g_str_has_prefix(csv, "frame,held_out"));
  g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
  g_assert_cmpint(g_strv_length(lines), >=, 5);
  g_autoptr(JsonParser) jp = json_parser_new();
  g_assert_true(json_parser_load_from_file(jp, r.json_path, &error));
  g_assert_true(g_file_get_contents(r.note_path, &html, NULL, NULL));
  const char *sections[] = {"id=\"summary\"",
                            "id=\"sources\"",
                            "id=\"model\"",
                            "id=\"training\"",
                            "id=\"held-out\"",
                            "id=\"metrics\"",
                            "id=\"flagged\"",
                            "id=\"stills\"",
                            "id=\"caveats\"",
                            "@media print",
                            "<svg",
                            "data:image/png;base64,",
                            "16mm print",
                            "35mm internegative",
                            fx->model_id,
                            "test &lt;delivery&gt; &amp; note"};
  for (size_t i = 0; i < G_N_ELEMENTS(sections); i++)
    if (!strstr(html, sections[i]))
      g_error("note lacks %s", sections[i]);
  /* Self-contained: nothing fetched from elsewhere. */
  g_assert_null(strstr(html, "http:"));
  g_assert_null(strstr(html, "https:"));
  g_assert_null(strstr(html, "<link"));
  g_assert_null(strstr(html, "<script"));
  g_assert_null(strstr(html, "url("));
  for (const char *p = html; (p = strstr(p, "src=\"")); p += 5)
    g_assert_true(g_str_has_prefix(p + 5, "data:"));
  sr_validation_result_clear(&r);

  /* A still outside the range is refused with a message. */
  int bad = 99;
  g_array_append_val(stills, bad);
  g_assert_false(sr_validation_run(fx->project, &vo, NULL, NULL, NULL, &r, &error));
  g_assert_nonnull(strstr(error->message, "99"));
  sr_validation_result_clear(&r);
}

/* Sets a file's modification time, as touching or rewriting it would. */
static void
touch(const char *path, time_t seconds)
{
  struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  g_assert_cmpint(utimensat(AT_FDCWD, path, times, 0), ==, 0);
}

static SrValidationResult
validate(Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = g_build_filename(fx->dir, "validation", NULL);
  SrValidationOptions vo;
  SrValidationResult r;
  sr_validation_options_init(&vo);
  vo.out_dir = out;
  vo.write_note = FALSE;
  vo.write_stills = FALSE;
  if (!sr_validation_run(fx->project, &vo, NULL, NULL, NULL, &r, &error))
    g_error("validation: %s", error->message);
  return r;
}

static void
assert_same_frames(const SrValidationResult *a, const SrValidationResult *b)
{
  g_assert_cmpint(a->n_frames, ==, b->n_frames);
  for (int i = 0; i < a->n_frames; i++)
    g_assert_cmpmem(&a->frames[i], sizeof a->frames[i], &b->frames[i], sizeof b->frames[i]);
  g_assert_cmpmem(&a->summary, sizeof a->summary, &b->summary, sizeof b->summary);
}

/* The QA cache beside the render: a second validation reads no frame and
 * gives the same results; touching a frame, its Source or the held-out set
 * measures that frame again; a damaged cache is ignored and rewritten. */
static void
test_validation_cache(Fixture *fx, gconstpointer data)
{
  g_autofree char *cache = sr_qa_cache_path(fx->render_pattern);
  g_autofree char *cache_name = g_strdup_printf("SH010_v002_m%s.qa-cache", fx->model_short);
  g_autofree char *cache_base = g_path_get_basename(cache);
  g_assert_cmpstr(cache_base, ==, cache_name);

  SrValidationResult first = validate(fx);
  g_assert_cmpint(first.n_frames, ==, 4);
  g_assert_cmpint(first.n_cached, ==, 0);
  g_assert_true(g_file_test(cache, G_FILE_TEST_IS_REGULAR));

  /* Hit: identical results, no frame measured. */
  SrValidationResult again = validate(fx);
  g_assert_cmpint(again.n_cached, ==, 4);
  assert_same_frames(&first, &again);
  sr_validation_result_clear(&again);

  /* Touching a rendered frame, or the Source frame of another, measures
   * those two again and only those. */
  g_autofree char *r2 = sr_pattern_format(fx->render_pattern, 2);
  g_autofree char *src =
      sr_project_resolve_path(fx->project, sr_project_get_source_pattern(fx->project));
  g_autofree char *s4 = sr_pattern_format(src, 4);
  touch(r2, 1000000000);
  touch(s4, 1000000000);
  SrValidationResult touched = validate(fx);
  g_assert_cmpint(touched.n_cached, ==, 2);
  assert_same_frames(&first, &touched);
  sr_validation_result_clear(&touched);
  touched = validate(fx);
  g_assert_cmpint(touched.n_cached, ==, 4);
  sr_validation_result_clear(&touched);

  /* Holding frame 2 out changes what is measured there: fidelity. */
  g_assert_true(sr_project_add_held_out(fx->project, 2, NULL));
  SrValidationResult held = validate(fx);
  g_assert_cmpint(held.n_cached, ==, 3);
  g_assert_false(isnan(held.frames[1].psnr));
  sr_validation_result_clear(&held);
  g_assert_true(sr_project_remove_held_out(fx->project, 2));
  held = validate(fx);
  g_assert_cmpint(held.n_cached, ==, 3);
  assert_same_frames(&first, &held);
  sr_validation_result_clear(&held);

  /* A damaged cache is never trusted: garbage, a flipped byte, a truncated
   * file. Each is ignored, the frames measured, the file rewritten. */
  g_autofree char *good = NULL;
  gsize good_len = 0;
  g_assert_true(g_file_get_contents(cache, &good, &good_len, NULL));
  for (int damage = 0; damage < 3; damage++) {
    g_autofree char *bad = g_memdup2(good, good_len);
    gsize bad_len = good_len;
    if (damage == 0)
      memset(bad, 'x', bad_len);
    else if (damage == 1)
      bad[good_len / 2] ^= 0x40;
    else
      bad_len = good_len - 7;
    g_assert_true(g_file_set_contents(cache, bad, (gssize)bad_len, NULL));
    g_autoptr(SrQaCache) c = sr_qa_cache_open(fx->render_pattern);
    g_assert_true(sr_qa_cache_was_rejected(c));
    g_assert_cmpuint(sr_qa_cache_size(c), ==, 0);
    SrValidationResult r = validate(fx);
    g_assert_cmpint(r.n_cached, ==, 0);
    assert_same_frames(&first, &r);
    sr_validation_result_clear(&r);
    r = validate(fx);
    g_assert_cmpint(r.n_cached, ==, 4);
    sr_validation_result_clear(&r);
  }

  /* Two runs over one render (the Render and Review pages) that each
   * measured other frames: saving one after the other keeps both. */
  guint8 k1[SR_SHA256_DIGEST_SIZE], k2[SR_SHA256_DIGEST_SIZE];
  memset(k1, 1, sizeof k1);
  memset(k2, 2, sizeof k2);
  g_autoptr(SrQaCache) a = sr_qa_cache_open(fx->render_pattern);
  g_autoptr(SrQaCache) b = sr_qa_cache_open(fx->render_pattern);
  sr_qa_cache_store(a, 101, k1, &first.frames[0]);
  sr_qa_cache_store(b, 102, k2, &first.frames[1]);
  g_assert_true(sr_qa_cache_save(a, NULL));
  g_assert_true(sr_qa_cache_save(b, NULL));
  g_autoptr(SrQaCache) both = sr_qa_cache_open(fx->render_pattern);
  sr_qa_frame got;
  g_assert_true(sr_qa_cache_lookup(both, 101, k1, &got));
  g_assert_true(sr_qa_cache_lookup(both, 102, k2, &got));
  g_assert_false(sr_qa_cache_lookup(both, 102, k1, &got));
  g_assert_cmpuint(sr_qa_cache_size(both), ==, 6);
  sr_validation_result_clear(&first);
}

static char *
run_cli(const char *const *args, int *status)
{
  const char *cli = g_getenv("SR_CLI");
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (char *)cli);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add(argv, (char *)args[i]);
  g_ptr_array_add(argv, NULL);
  char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                             &err, status, &error));
  g_ptr_array_free(argv, TRUE);
  char *all = g_strconcat(out, err, NULL);
  g_free(out);
  g_free(err);
  return all;
}

static void
test_cli(Fixture *fx, gconstpointer data)
{
  if (!g_getenv("SR_CLI")) {
    g_test_skip("SR_CLI is not set (run through meson test)");
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autofree char *pf = g_build_filename(fx->dir, "project.json", NULL);
  g_autoptr(GFile) file = g_file_new_for_path(pf);
  g_assert_true(sr_project_save(fx->project, file, &error));
  g_autofree char *vout = g_build_filename(fx->dir, "cli-validation", NULL);
  int status = 0;
  const char *va[] = {"validate", pf,           "--out", vout, "--stills",
                      "1,4",      "--progress", "quiet", NULL};
  g_autofree char *vtext = run_cli(va, &status);
  g_test_message("%s", vtext);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), <=, 1); /* 1 = some frame flagged */
  g_assert_nonnull(strstr(vtext, "validated 4 frames"));
  g_autofree char *csv = g_build_filename(vout, "qa-frames.csv", NULL);
  g_autofree char *note = g_build_filename(vout, "validation-note.html", NULL);
  g_autofree char *still = g_build_filename(vout, "stills", "SH010_4_wipe.png", NULL);
  g_assert_true(g_file_test(csv, G_FILE_TEST_EXISTS));
  g_assert_true(g_file_test(note, G_FILE_TEST_EXISTS));
  g_assert_true(g_file_test(still, G_FILE_TEST_EXISTS));

  /* A flagged frame: refused, every open item named, nothing written. */
  sr_project_add_flag(fx->project, 2, "halo on the door frame");
  g_assert_true(sr_project_save(fx->project, file, &error));
  g_autofree char *dout = g_build_filename(fx->dir, "cli-delivery", NULL);
  const char *refused[] = {"deliver", pf, "--out", dout, "--progress", "quiet", NULL};
  g_autofree char *rtext = run_cli(refused, &status);
  g_test_message("%s", rtext);
  g_assert_cmpint(WEXITSTATUS(status), ==, 1);
  g_assert_nonnull(strstr(rtext, "not signed off"));
  g_assert_nonnull(strstr(rtext, "Frame 2 flagged by the archivist: halo on the door frame"));
  g_assert_nonnull(strstr(rtext, "--override-review --by NAME --reason TEXT"));
  g_autofree char *m1 = master_path(fx, dout, 1);
  g_assert_false(g_file_test(m1, G_FILE_TEST_EXISTS));
  /* An override without a reason is a usage error. */
  const char *half[] = {"deliver", pf, "--out", dout, "--override-review", "--by", "A", NULL};
  g_autofree char *htext = run_cli(half, &status);
  g_assert_cmpint(WEXITSTATUS(status), ==, 2);
  g_assert_nonnull(strstr(htext, "--reason"));
  const char *da[] = {"deliver",
                      pf,
                      "--out",
                      dout,
                      "--space",
                      "acescg",
                      "--progress",
                      "json",
                      "--override-review",
                      "--by",
                      "Ada Archivist",
                      "--reason",
                      "festival deadline; halo accepted by the curator",
                      NULL};
  g_autofree char *dtext = run_cli(da, &status);
  g_test_message("%s", dtext);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 0);
  g_assert_nonnull(strstr(dtext, "\"event\":\"result\""));
  g_autofree char *m = master_path(fx, dout, 4);
  sr_image *img = sr_image_read(m, NULL);
  g_assert_nonnull(img);
  g_assert_cmpstr(sr_image_get_attribute(img, "deliveryColourSpace"), ==, "ACEScg");
  sr_image_free(img);
  g_autofree char *dnote = g_build_filename(dout, "validation", "validation-note.html", NULL);
  g_assert_true(g_file_test(dnote, G_FILE_TEST_EXISTS));
  /* The override is recorded in the project, the note and the sidecars. */
  g_autoptr(SrProject) saved = sr_project_load(file, &error);
  g_assert_no_error(error);
  const GPtrArray *ovs = sr_project_get_overrides(saved);
  g_assert_cmpuint(ovs->len, ==, 1);
  const SrOverride *ov = g_ptr_array_index(ovs, 0);
  g_assert_cmpstr(ov->who, ==, "Ada Archivist");
  g_assert_cmpstr(ov->reason, ==, "festival deadline; halo accepted by the curator");
  g_assert_cmpuint(strlen(ov->when), >=, 20);
  g_autofree char *html = NULL;
  g_assert_true(g_file_get_contents(dnote, &html, NULL, NULL));
  g_assert_nonnull(strstr(html, "Override by <b>Ada Archivist</b>"));
  g_assert_nonnull(strstr(html, ov->when));
  g_autofree char *side = g_build_filename(dout, "SH010_v002_m", NULL);
  g_autofree char *stxt_path = g_strdup_printf("%s%s.txt", side, fx->model_short);
  g_autofree char *stxt = NULL;
  g_assert_true(g_file_get_contents(stxt_path, &stxt, NULL, NULL));
  g_assert_nonnull(strstr(stxt, "by Ada Archivist at "));
  g_assert_nonnull(strstr(stxt, "overridden now"));
  g_autofree char *manifest = g_build_filename(dout, "manifest-sha256.txt", NULL);
  g_assert_true(g_file_test(manifest, G_FILE_TEST_IS_REGULAR));

  /* Usage errors exit 2 with a message naming the option. */
  const char *bad[] = {"deliver", pf, "--compression", "piz", NULL};
  g_autofree char *btext = run_cli(bad, &status);
  g_assert_cmpint(WEXITSTATUS(status), ==, 2);
  g_assert_nonnull(strstr(btext, "--compression"));
  /* A missing rendered frame: exit 1, the frame named, nothing delivered. */
  g_autofree char *f2 = sr_pattern_format(fx->render_pattern, 2);
  g_remove(f2);
  g_autofree char *dout2 = g_build_filename(fx->dir, "cli-delivery-2", NULL);
  const char *da2[] = {"deliver", pf, "--out", dout2, "--no-note", NULL};
  g_autofree char *mtext = run_cli(da2, &status);
  g_assert_cmpint(WEXITSTATUS(status), ==, 1);
  g_assert_nonnull(strstr(mtext, "missing"));
  g_assert_cmpint(count_files(dout2), ==, 0);
  /* validate names the missing frame too. */
  const char *va2[] = {"validate", pf, "--out", vout, "--progress", "quiet", NULL};
  g_autofree char *vtext2 = run_cli(va2, &status);
  g_assert_cmpint(WEXITSTATUS(status), ==, 1);
  g_assert_nonnull(strstr(vtext2, "1 rendered frame is missing in 1-4 of "));
  g_assert_nonnull(strstr(vtext2, ": 2. Render it"));
}

/* Render and delivery names follow the Source's padding, in one render/
 * folder under the output folder; a render made under the earlier six-digit
 * names (the fixture's) is still the one found. */
static void
test_names_follow_source(Fixture *fx, gconstpointer data)
{
  SrProject *p = fx->project;
  g_assert_cmpint(sr_delivery_frame_digits(p), ==, 4);
  g_autofree char *legacy = sr_delivery_render_pattern(p, fx->model_short);
  g_assert_cmpstr(legacy, ==, fx->render_pattern);

  g_autofree char *out = g_build_filename(fx->dir, "out", NULL);
  g_autofree char *fresh = sr_delivery_render_pattern(p, "000000000000");
  g_autofree char *want =
      g_build_filename(out, "render", "SH010_v002_m000000000000.%04d.exr", NULL);
  g_assert_cmpstr(fresh, ==, want);
  g_assert_null(strstr(fresh, "render/render"));

  g_autofree char *six = g_build_filename(fx->dir, "source", "src.######.exr", NULL);
  sr_project_set_source_pattern(p, six);
  g_assert_cmpint(sr_delivery_frame_digits(p), ==, 6);
  sr_project_set_source_pattern(p, "reel.mov");
  g_assert_cmpint(sr_delivery_frame_digits(p), ==, 4);

  /* A new project's output folder is not itself called "render". */
  g_autoptr(SrProject) fresh_project = sr_project_new();
  g_assert_cmpstr(sr_project_get_output_folder(fresh_project), ==, "output");
}

/* Regrain recorded: masters, sidecar and validation note say "none" for a
 * render without grain and carry the render's grain record when it has one. */
static void
test_grain_recorded(Fixture *fx, gconstpointer data)
{
  const char *grain = "{\"seed\":\"7\",\"plan\":\"0123456789abcdef\","
                      "\"referenceVariance\":0.0031,\"referenceBands\":[0,1e-4,2e-4,3e-4,"
                      "4e-4,5e-4,6e-4,7e-4]}";
  for (int grained = 0; grained < 2; grained++) {
    if (grained)
      for (int f = FIRST; f <= LAST; f++) {
        sr_image *img = make_frame(f, 0.9f, fx->model_id);
        sr_image_set_attribute(img, SR_RENDER_GRAIN_ATTR, grain, NULL);
        g_autofree char *path = sr_pattern_format(fx->render_pattern, f);
        sr_error err = {0};
        if (!sr_image_write(path, img, NULL, &err))
          g_error("%s", err.message);
        sr_image_free(img);
      }
    const char *want = grained ? grain : "none";
    g_autoptr(GError) error = NULL;
    g_autofree char *out = g_build_filename(fx->dir, grained ? "d-grain" : "d-plain", NULL);
    SrDeliveryOptions o;
    sr_delivery_options_init(&o);
    o.out_dir = out;
    o.gate.qa_run = TRUE; /* signed off: see fixture_setup */
    SrDeliveryResult r;
    g_assert_true(sr_delivery_run(fx->project, &o, NULL, NULL, NULL, &r, &error));
    g_autofree char *mp = master_path(fx, out, FIRST);
    sr_image *m = sr_image_read(mp, NULL);
    g_assert_nonnull(m);
    g_assert_cmpstr(sr_image_get_attribute(m, "regrain"), ==, want);
    sr_image_free(m);
    g_autoptr(JsonParser) jp = json_parser_new();
    g_assert_true(json_parser_load_from_file(jp, r.json_path, &error));
    JsonObject *prov =
        json_object_get_object_member(json_node_get_object(json_parser_get_root(jp)), "provenance");
    g_assert_cmpstr(json_object_get_string_member(prov, "regrain"), ==, want);
    sr_delivery_result_clear(&r);

    g_autofree char *vout = g_build_filename(fx->dir, grained ? "v-grain" : "v-plain", NULL);
    SrValidationOptions vo;
    sr_validation_options_init(&vo);
    vo.out_dir = vout;
    SrValidationResult vr;
    g_assert_true(sr_validation_run(fx->project, &vo, NULL, NULL, NULL, &vr, &error));
    g_autofree char *html = NULL;
    g_assert_true(g_file_get_contents(vr.note_path, &html, NULL, NULL));
    g_assert_nonnull(strstr(html, "Grain added (regrain)"));
    g_assert_nonnull(strstr(html, grained ? "0123456789abcdef" : "none: the frames are"));
    sr_validation_result_clear(&vr);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD("/delivery/masters", test_deliver);
  ADD("/delivery/names-follow-source", test_names_follow_source);
  ADD("/delivery/composite-dwaa", test_composite_and_dwaa);
  ADD("/delivery/missing-frame", test_missing_frame);
  ADD("/delivery/unwritable", test_unwritable);
  ADD("/delivery/model-mismatch", test_model_mismatch);
  ADD("/delivery/disk-full", test_disk_full);
  ADD("/delivery/bad-input/frames-without-model-id", test_frames_without_model_id);
  ADD("/delivery/bad-input/out-is-render-folder", test_out_is_render_folder);
  ADD("/delivery/text-sidecar-escapes", test_text_sidecar_escapes);
  ADD("/delivery/verify-keeps-foreign-master", test_verify_keeps_foreign_master);
  ADD("/validation/bad-input/stills-over-render", test_validation_stills_over_render);
  ADD("/validation/bad-input/unreadable-frame-named-once", test_validation_unreadable_frame);
  ADD("/delivery/bad-input/unreadable-frame-named-once", test_deliver_unreadable_frame);
  ADD("/validation/note", test_validation_note);
  ADD("/validation/cache", test_validation_cache);
  ADD("/cli/validate-deliver", test_cli);
  ADD("/delivery/grain-recorded", test_grain_recorded);
  return g_test_run();
}
