/* What a delivery records beyond its pixels: the review gate and recorded
 * overrides (project, note, sidecars), the training's held-out figures,
 * reel name and timecode from EXR and DPX Sources into the masters, and
 * the SHA-256/MD5 manifests and BagIt layout with their verification. */
#include <string.h>
#include <sys/wait.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "sr-backend.h"
#include "sr-checkpoint.h"
#include "sr-delivery.h"
#include "sr-fixity.h"
#include "sr-fs.h"
#include "sr-io.h"
#include "sr-reel.h"
#include "sr-signoff.h"
#include "sr-unet.h"
#include "sr-validation-note.h"
#include "sr-test-util.h"

#define W     32
#define H     24
#define FIRST 1
#define LAST  3

typedef struct {
  char *dir, *out, *src_pattern;
  char model_short[13];
  SrProject *project;
} Fixture;

static sr_image *
make_frame(int frame, const char *model_id)
{
  sr_image *img = sr_image_new(W, H, 3, NULL);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++)
        sr_image_row(img, y)[x * 3 + c] = 0.2f + 0.01f * (float)(x + y + frame + c);
  if (model_id)
    sr_image_set_attribute(img, "spatialRecovery:modelId", model_id, NULL);
  return img;
}

/* Source frames carry the attributes given (EXR: timeCode typed). */
static void
write_source(const char *pattern, const char *timecode, const char *reel, const char *fps)
{
  for (int f = FIRST; f <= LAST; f++) {
    sr_image *img = make_frame(f, NULL);
    if (timecode)
      sr_image_set_attribute(img, "timeCode", timecode, NULL);
    if (reel)
      sr_image_set_attribute(img, "reelName", reel, NULL);
    if (fps)
      sr_image_set_attribute(img, "framesPerSecond", fps, NULL);
    sr_test_write_frame(pattern, f, img);
  }
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  fx->dir = g_dir_make_tmp("sr-signoff-XXXXXX", &error);
  g_assert_no_error(error);
  fx->out = g_build_filename(fx->dir, "delivery", NULL);
  g_autofree char *ren_dir = g_build_filename(fx->dir, "out", "render", NULL);
  g_assert_true(sr_mkdir_p(ren_dir, NULL));
  g_autofree char *ck = g_build_filename(fx->dir, "model.safetensors", NULL);
  sr_checkpoint_meta meta;
  sr_checkpoint_meta_init(&meta);
  meta.step = 500;
  int held[] = {2};
  meta.held_out = held;
  meta.n_held_out = 1;
  meta.psnr_before = 31.25;
  meta.psnr_after = 34.5;
  meta.prep.source_space = meta.prep.reference_space = SR_CS_REC709;
  char model_id[65];
  sr_test_save_checkpoint(ck, 7, 1.0f, &meta, model_id);
  sr_model_id_short(model_id, fx->model_short);

  fx->src_pattern = g_build_filename(fx->dir, "src.%04d.exr", NULL);
  write_source(fx->src_pattern, data ? "01:00:00:22" : NULL, data ? "A001" : NULL,
               data ? "24" : NULL);
  SrProject *p = sr_project_new();
  sr_project_set_name(p, "shot");
  sr_project_set_source_pattern(p, fx->src_pattern);
  sr_project_set_reference_pattern(p, fx->src_pattern);
  sr_project_set_source_colourspace(p, SR_CS_REC709);
  sr_project_set_reference_colourspace(p, SR_CS_REC709);
  g_autofree char *of = g_build_filename(fx->dir, "out", NULL);
  sr_project_set_output_folder(p, of);
  sr_project_set_checkpoint(p, ck);
  fx->project = p;
  g_autofree char *render = sr_delivery_render_pattern(p, fx->model_short);
  for (int f = FIRST; f <= LAST; f++)
    sr_test_write_frame(render, f, make_frame(f, model_id));
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
  g_clear_object(&fx->project);
  sr_test_remove_tree(fx->dir);
  g_free(fx->dir);
  g_free(fx->out);
  g_free(fx->src_pattern);
}

static void
accept_all(SrProject *p)
{
  for (int i = 0; i < SR_ACCEPTANCE_N_ITEMS; i++)
    sr_project_set_accepted(p, sr_acceptance_items[i].id, TRUE);
}

/* Options for a delivery the gate lets through: every item accepted, QA
 * run. */
static void
signed_off_options(Fixture *fx, SrDeliveryOptions *o)
{
  accept_all(fx->project);
  sr_delivery_options_init(o);
  o->gate.qa_run = TRUE;
}

static gboolean
deliver(Fixture *fx, SrDeliveryOptions *o, SrDeliveryResult *r, GError **error)
{
  o->out_dir = fx->out;
  return sr_delivery_run(fx->project, o, NULL, NULL, NULL, r, error);
}

static JsonObject *
read_json(const char *path, JsonParser **parser)
{
  *parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(json_parser_load_from_file(*parser, path, &error));
  return json_node_get_object(json_parser_get_root(*parser));
}

static void
test_gate_refuses(Fixture *fx, gconstpointer data)
{
  sr_project_set_accepted(fx->project, "grain", TRUE);
  sr_project_add_flag(fx->project, 2, "halo");
  g_autoptr(GArray) qa = g_array_new(FALSE, FALSE, sizeof(int));
  int f3 = 3;
  g_array_append_val(qa, f3);
  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.gate.qa_run = TRUE;
  o.gate.qa_flagged = qa;
  SrDeliveryResult r;
  g_autoptr(GError) error = NULL;
  g_assert_false(deliver(fx, &o, &r, &error));
  g_assert_error(error, SR_DELIVERY_ERROR, SR_DELIVERY_ERROR_GATE);
  g_test_message("%s", error->message);
  g_assert_nonnull(strstr(error->message, "not signed off (6 open items)"));
  g_assert_nonnull(strstr(error->message, "Not accepted: “No flicker over time”"));
  g_assert_null(strstr(error->message, "Grain consistent"));
  g_assert_nonnull(strstr(error->message, "Frame 2 flagged by the archivist: halo"));
  g_assert_nonnull(strstr(error->message, "1 frame flagged by QA: 3"));
  g_assert_false(g_file_test(fx->out, G_FILE_TEST_EXISTS));
  sr_delivery_result_clear(&r);
  /* Without QA (the note skipped), accepted and unflagged is still unreviewed. */
  accept_all(fx->project);
  sr_project_remove_flag(fx->project, 2);
  sr_delivery_options_init(&o);
  g_clear_error(&error);
  g_assert_false(deliver(fx, &o, &r, &error));
  g_assert_nonnull(strstr(error->message, "Unreviewed: QA has not measured"));
  sr_delivery_result_clear(&r);
  /* Signed off: delivers. */
  o.gate.qa_run = TRUE;
  g_clear_error(&error);
  g_assert_true(deliver(fx, &o, &r, &error));
  g_assert_null(r.overridden);
  sr_delivery_result_clear(&r);
}

static void
test_override_recorded(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  sr_project_add_flag(fx->project, 1, "grain clumps");
  /* Who and why are required. */
  g_assert_null(sr_project_add_override(fx->project, "  ", "deadline", NULL, &error));
  g_assert_nonnull(strstr(error->message, "who"));
  g_clear_error(&error);
  g_assert_null(sr_project_add_override(fx->project, "Ada", "", NULL, &error));
  g_assert_nonnull(strstr(error->message, "reason"));
  g_clear_error(&error);
  const char *const open[] = {"Frame 1 flagged by the archivist: grain clumps", NULL};
  const SrOverride *ov =
      sr_project_add_override(fx->project, "Ada Archivist", "curator accepted", open, &error);
  g_assert_nonnull(ov);
  g_assert_true(sr_project_get_modified(fx->project));

  SrDeliveryOptions o;
  sr_delivery_options_init(&o);
  o.override = ov;
  SrDeliveryResult r;
  g_assert_true(deliver(fx, &o, &r, &error));
  g_assert_no_error(error);
  g_assert_nonnull(r.overridden);
  g_assert_cmpuint(g_strv_length(r.overridden), ==, 7); /* QA not run, 5 items, 1 flag */

  /* Project: saved and loaded back with who, when, why. */
  g_autofree char *pf = g_build_filename(fx->dir, "p.srproj", NULL);
  g_autoptr(GFile) file = g_file_new_for_path(pf);
  g_assert_true(sr_project_save(fx->project, file, &error));
  g_autoptr(SrProject) back = sr_project_load(file, &error);
  g_assert_no_error(error);
  const SrOverride *b = g_ptr_array_index(sr_project_get_overrides(back), 0);
  g_assert_cmpstr(b->who, ==, "Ada Archivist");
  g_assert_cmpstr(b->reason, ==, "curator accepted");
  g_assert_cmpstr(b->when, ==, ov->when);
  g_assert_cmpstr(b->blockers[0], ==, open[0]);

  /* JSON sidecar. */
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root = read_json(r.json_path, &parser);
  JsonObject *so = json_object_get_object_member(root, "sign_off");
  g_assert_false(
      json_object_get_boolean_member(json_object_get_object_member(so, "acceptance"), "no-halos"));
  JsonObject *o0 = json_array_get_object_element(json_object_get_array_member(so, "overrides"), 0);
  g_assert_cmpstr(json_object_get_string_member(o0, "who"), ==, "Ada Archivist");
  g_assert_cmpstr(json_object_get_string_member(o0, "when"), ==, ov->when);
  g_assert_cmpstr(json_object_get_string_member(o0, "reason"), ==, "curator accepted");
  g_assert_cmpuint(json_array_get_length(json_object_get_array_member(root, "overridden_for_this_"
                                                                            "delivery")),
                   ==, 7);
  JsonObject *ho = json_object_get_object_member(root, "held_out_training");
  g_assert_cmpfloat(json_object_get_double_member(ho, "psnr_recovered_db"), ==, 34.5);
  /* Text sidecar. */
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(r.text_path, &text, NULL, NULL));
  g_assert_nonnull(strstr(text, "by Ada Archivist at "));
  g_assert_nonnull(strstr(text, "curator accepted"));
  g_assert_nonnull(strstr(text, "accepted no-halos"));
  g_assert_nonnull(strstr(text, "recovered 34.50 dB"));

  /* Note: checklist, the flag, the override and the training's held-out PSNR. */
  SrCheckpointFacts facts;
  g_assert_true(sr_checkpoint_facts_lookup(fx->project, NULL, &facts, &error));
  SrValidationNote note = {.project = fx->project, .facts = &facts};
  g_autofree char *html = sr_validation_note_render(&note, &error);
  g_assert_nonnull(html);
  g_assert_nonnull(strstr(html, "Override by <b>Ada Archivist</b>"));
  g_assert_nonnull(strstr(html, "curator accepted"));
  g_assert_nonnull(strstr(html, "not accepted"));
  g_assert_nonnull(strstr(html, "Source 31.25 dB, recovered 34.50 dB (+3.25 dB)"));
  sr_checkpoint_facts_clear(&facts);
  sr_delivery_result_clear(&r);
}

static void
test_bad_overrides(void)
{
  /* A valid project with each bad "overrides" value in turn. */
  g_autoptr(SrProject) good = sr_project_new();
  sr_project_set_source_pattern(good, "s.%04d.exr");
  sr_project_set_reference_pattern(good, "r.%04d.exr");
  g_autofree char *base = sr_project_to_data(good, NULL);
  char *end = strrchr(base, '}');
  *end = '\0';
  const struct {
    const char *value, *field;
  } cases[] = {
      {"{}", "overrides: expected an array"},
      {"[3]", "overrides[0]: expected an object"},
      {"[{\"when\":\"x\",\"reason\":\"r\"}]", "overrides[0].who: missing"},
      {"[{\"who\":\" \",\"when\":\"x\",\"reason\":\"r\"}]", "overrides[0].who: must not be empty"},
      {"[{\"who\":\"a\",\"when\":\"x\",\"reason\":\"r\",\"blockers\":[1]}]",
       "overrides[0].blockers[0]: expected a string"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *json = g_strdup_printf("%s, \"overrides\": %s}", base, cases[i].value);
    g_autoptr(GError) error = NULL;
    g_autoptr(SrProject) p = sr_project_load_from_data(json, strlen(json), "p.srproj", &error);
    g_assert_null(p);
    g_assert_nonnull(error);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, cases[i].field));
  }
}

/* ---- reel and timecode ------------------------------------------------------------ */

static void
test_exr_timecode_into_masters(Fixture *fx, gconstpointer data)
{
  SrDeliveryOptions o;
  signed_off_options(fx, &o);
  SrDeliveryResult r;
  g_autoptr(GError) error = NULL;
  g_assert_true(deliver(fx, &o, &r, &error));
  const char *want[] = {"01:00:00:22", "01:00:00:23", "01:00:01:00"};
  for (int f = FIRST; f <= LAST; f++) {
    g_autofree char *m = sr_pattern_format(r.master_pattern, f);
    sr_reel_info info;
    sr_error err = {0};
    g_assert_true(sr_image_read_reel(m, &info, &err));
    g_assert_true(info.has_timecode);
    char tc[SR_TIMECODE_TEXT_SIZE];
    sr_timecode_format(&info.timecode, tc);
    g_assert_cmpstr(tc, ==, want[f - FIRST]);
    g_assert_cmpstr(info.reel, ==, "A001");
    g_assert_cmpint(info.fps, ==, 24);
  }
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *reel = json_object_get_object_member(read_json(r.json_path, &parser), "reel");
  g_assert_cmpstr(json_object_get_string_member(reel, "name"), ==, "A001");
  g_assert_cmpstr(json_object_get_string_member(reel, "timecode_first"), ==, "01:00:00:22");
  g_assert_cmpstr(json_object_get_string_member(reel, "timecode_last"), ==, "01:00:01:00");
  sr_delivery_result_clear(&r);
}

static void
test_no_timecode(Fixture *fx, gconstpointer data)
{
  SrDeliveryOptions o;
  signed_off_options(fx, &o);
  SrDeliveryResult r;
  g_autoptr(GError) error = NULL;
  g_assert_true(deliver(fx, &o, &r, &error));
  g_autofree char *m = sr_pattern_format(r.master_pattern, FIRST);
  sr_reel_info info;
  g_assert_true(sr_image_read_reel(m, &info, NULL));
  g_assert_false(info.has_timecode);
  g_assert_cmpstr(info.reel, ==, "");
  g_assert_nonnull(strstr(r.reel.note, "records no timecode; none was derived"));
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(r.text_path, &text, NULL, NULL));
  g_assert_nonnull(strstr(text, "records no timecode"));
  sr_delivery_result_clear(&r);
}

static void
put_be32(guint8 *p, guint32 v)
{
  p[0] = (guint8)(v >> 24);
  p[1] = (guint8)(v >> 16);
  p[2] = (guint8)(v >> 8);
  p[3] = (guint8)v;
}

/* A DPX scan (the engine writes big-endian "SDPX") with its television
 * header's time code and frame rate and the orientation header's input
 * device set as a telecine would. */
static char *
write_dpx(const char *dir, guint32 tc, float fps, const char *device)
{
  g_autofree char *path = g_build_filename(dir, "scan.0001.dpx", NULL);
  sr_image *img = make_frame(1, NULL);
  sr_write_options wo;
  sr_write_options_init(&wo);
  sr_error err = {0};
  g_assert_true(sr_image_write(path, img, &wo, &err));
  sr_image_free(img);
  gsize len;
  g_autofree guint8 *bytes = NULL;
  g_assert_true(g_file_get_contents(path, (char **)&bytes, &len, NULL));
  g_assert_cmpuint(len, >, 2048);
  put_be32(bytes + 1920, tc);
  guint32 f;
  memcpy(&f, &fps, 4);
  put_be32(bytes + 1940, f);
  memset(bytes + 1556, 0, 32);
  memcpy(bytes + 1556, device, strlen(device));
  g_assert_true(g_file_set_contents(path, (char *)bytes, (gssize)len, NULL));
  return g_steal_pointer(&path);
}

static void
test_dpx_timecode(Fixture *fx, gconstpointer data)
{
  g_autofree char *p = write_dpx(fx->dir, 0x10203021u, 25.0f, "REEL_0042");
  sr_reel_info info;
  sr_error err = {0};
  g_assert_true(sr_image_read_reel(p, &info, &err));
  g_assert_true(info.has_timecode);
  char tc[SR_TIMECODE_TEXT_SIZE];
  sr_timecode_format(&info.timecode, tc);
  g_assert_cmpstr(tc, ==, "10:20:30:21");
  g_assert_cmpint(info.fps, ==, 25);
  g_assert_cmpstr(info.reel, ==, "REEL_0042");
  /* Undefined time code (all ones): none, and no error. */
  g_free(write_dpx(fx->dir, 0xffffffffu, 24.0f, "R1"));
  g_assert_true(sr_image_read_reel(p, &info, &err));
  g_assert_false(info.has_timecode);
  /* Malformed: hours 25, a non-BCD digit, a control byte in the reel. */
  g_free(write_dpx(fx->dir, 0x25000000u, 24.0f, "R1"));
  g_assert_false(sr_image_read_reel(p, &info, &err));
  g_assert_nonnull(strstr(err.message, "scan.0001.dpx: DPX television header time code"));
  g_assert_nonnull(strstr(err.message, "hours 25"));
  g_free(write_dpx(fx->dir, 0x0000001bu, 24.0f, "R1"));
  g_assert_false(sr_image_read_reel(p, &info, &err));
  g_assert_nonnull(strstr(err.message, "not decimal"));
  g_free(write_dpx(fx->dir, 0x01000000u, 24.0f, "R\x1b[2J"));
  g_assert_false(sr_image_read_reel(p, &info, &err));
  g_assert_nonnull(strstr(err.message, "input device name"));
  g_free(write_dpx(fx->dir, 0x01000000u, 999.0f, "R1"));
  g_assert_false(sr_image_read_reel(p, &info, &err));
  g_assert_nonnull(strstr(err.message, "frame rate is 999"));
}

/* A malformed Source timecode (EXR, frames beyond the rate): the delivery
 * goes on without one and says why. */
static void
test_bad_source_timecode(Fixture *fx, gconstpointer data)
{
  write_source(fx->src_pattern, "01:00:00:30", NULL, "24");
  SrDeliveryOptions o;
  signed_off_options(fx, &o);
  SrDeliveryResult r;
  g_autoptr(GError) error = NULL;
  g_assert_true(deliver(fx, &o, &r, &error));
  g_assert_false(r.reel.has_timecode);
  g_assert_nonnull(strstr(r.reel.note, "frame 30 does not exist at 24"));
  sr_delivery_result_clear(&r);
  /* And the writer refuses a malformed timeCode value, naming it. */
  sr_image *img = make_frame(1, NULL);
  sr_image_set_attribute(img, "timeCode", "25:00:00:00", NULL);
  g_autofree char *bad = g_build_filename(fx->dir, "bad.exr", NULL);
  sr_write_options wo;
  sr_write_options_init(&wo);
  sr_error err = {0};
  g_assert_false(sr_image_write(bad, img, &wo, &err));
  g_assert_nonnull(strstr(err.message, "attribute timeCode"));
  g_assert_nonnull(strstr(err.message, "hours must be 0-23"));
  sr_image_free(img);
}

/* ---- fixity -------------------------------------------------------------------------- */

static int
run_in(const char *dir, const char *const *argv)
{
  int status = -1;
  g_autoptr(GError) error = NULL;
  if (!g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, &status, &error))
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
tamper(const char *path)
{
  gsize len;
  g_autofree char *bytes = NULL;
  g_assert_true(g_file_get_contents(path, &bytes, &len, NULL));
  bytes[len / 2] ^= 0x01;
  g_assert_true(g_file_set_contents(path, bytes, (gssize)len, NULL));
}

static gboolean
has_problem(GPtrArray *problems, const char *a, const char *b)
{
  for (guint i = 0; i < problems->len; i++) {
    const char *p = g_ptr_array_index(problems, i);
    if (strstr(p, a) && strstr(p, b))
      return TRUE;
  }
  return FALSE;
}

/* Whether a command is installed (sha256sum, md5sum: coreutils). */
static gboolean
have_program(const char *name)
{
  g_autofree char *path = g_find_program_in_path(name);
  return path != NULL;
}

static void
test_manifest_verify(Fixture *fx, gconstpointer data)
{
  SrDeliveryOptions o;
  signed_off_options(fx, &o);
  o.md5 = TRUE;
  SrDeliveryResult r;
  g_autoptr(GError) error = NULL;
  g_assert_true(deliver(fx, &o, &r, &error));
  g_assert_cmpint(r.n_manifested, ==, LAST - FIRST + 1 + 2);
  g_autofree char *manifest = NULL;
  g_assert_true(g_file_get_contents(r.manifest_path, &manifest, NULL, NULL));
  g_autofree char *m2 = sr_pattern_format(r.master_pattern, 2);
  g_autofree char *m2_name = g_path_get_basename(m2);
  g_autofree char *json_name = g_path_get_basename(r.json_path);
  g_assert_nonnull(strstr(manifest, m2_name));
  g_assert_nonnull(strstr(manifest, json_name));
  /* The checksum is of the bytes on disk. */
  char sha[65];
  g_assert_true(sr_fixity_digest_file(m2, sha, NULL, NULL));
  g_autofree char *line = g_strdup_printf("%s  %s\n", sha, m2_name);
  g_assert_nonnull(strstr(manifest, line));
  /* The archive's own tools accept it. */
  const char *sha_c[] = {"sha256sum", "--quiet", "-c", "manifest-sha256.txt", NULL};
  const char *md5_c[] = {"md5sum", "--quiet", "-c", "manifest-md5.txt", NULL};
  if (have_program("sha256sum")) {
    g_assert_cmpint(run_in(fx->out, sha_c), ==, 0);
    g_assert_cmpint(run_in(fx->out, md5_c), ==, 0);
  }
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  int checked = 0;
  g_assert_true(sr_fixity_verify(fx->out, problems, &checked, &error));
  g_assert_cmpuint(problems->len, ==, 0);
  g_assert_cmpint(checked, ==, 2 * r.n_manifested);

  /* A changed master and a removed sidecar are named. */
  tamper(m2);
  g_remove(r.text_path);
  g_assert_true(sr_fixity_verify(fx->out, problems, &checked, &error));
  g_autofree char *text_name = g_path_get_basename(r.text_path);
  g_assert_true(has_problem(problems, m2_name, "SHA-256 checksum mismatch"));
  g_assert_true(has_problem(problems, m2_name, "MD5 checksum mismatch"));
  g_assert_true(has_problem(problems, text_name, "missing"));
  g_assert_cmpuint(problems->len, ==, 4);
  if (have_program("sha256sum"))
    g_assert_cmpint(run_in(fx->out, sha_c), !=, 0);

  /* A malformed manifest is refused with its line. */
  g_assert_true(g_file_set_contents(r.manifest_path, "abc  x.exr\n", -1, NULL));
  g_assert_false(sr_fixity_verify(fx->out, problems, &checked, &error));
  g_assert_error(error, SR_FIXITY_ERROR, SR_FIXITY_ERROR_FORMAT);
  g_assert_nonnull(strstr(error->message, "manifest-sha256.txt, line 1"));
  g_clear_error(&error);
  g_assert_true(
      g_file_set_contents(r.manifest_path,
                          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"
                          "5  ../outside\n",
                          -1, NULL));
  g_assert_false(sr_fixity_verify(fx->out, problems, &checked, &error));
  g_assert_nonnull(strstr(error->message, "relative path inside the folder"));
  sr_delivery_result_clear(&r);
}

static char *
read_text(const char *dir, const char *name)
{
  g_autofree char *p = g_build_filename(dir, name, NULL);
  char *text = NULL;
  g_assert_true(g_file_get_contents(p, &text, NULL, NULL));
  return text;
}

static void
test_bagit(Fixture *fx, gconstpointer data)
{
  SrDeliveryOptions o;
  signed_off_options(fx, &o);
  o.md5 = TRUE;
  o.bagit = TRUE;
  SrDeliveryResult r;
  g_autoptr(GError) error = NULL;
  g_assert_true(deliver(fx, &o, &r, &error));
  g_autofree char *data_dir = g_build_filename(fx->out, "data", NULL);
  g_autofree char *mdir = g_path_get_dirname(r.master_pattern);
  g_assert_cmpstr(mdir, ==, data_dir);
  /* RFC 8493: bagit.txt exactly, bag-info with a matching Payload-Oxum,
   * every payload file in every manifest, tag manifests over the tags. */
  g_autofree char *bagit = read_text(fx->out, "bagit.txt");
  g_assert_cmpstr(bagit, ==, "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
  g_autofree char *info = read_text(fx->out, "bag-info.txt");
  guint64 octets = 0;
  guint n = 0;
  g_autoptr(GDir) d = g_dir_open(data_dir, 0, NULL);
  const char *name;
  g_autofree char *manifest = read_text(fx->out, "manifest-sha256.txt");
  g_autofree char *md5 = read_text(fx->out, "manifest-md5.txt");
  while ((name = g_dir_read_name(d))) {
    g_autofree char *full = g_build_filename(data_dir, name, NULL);
    GStatBuf st;
    g_assert_cmpint(g_stat(full, &st), ==, 0);
    octets += (guint64)st.st_size;
    n++;
    g_autofree char *entry = g_strdup_printf("  data/%s\n", name);
    g_assert_nonnull(strstr(manifest, entry));
    g_assert_nonnull(strstr(md5, entry));
  }
  g_assert_cmpuint(n, ==, LAST - FIRST + 1 + 2);
  g_autofree char *oxum = g_strdup_printf("Payload-Oxum: %" G_GUINT64_FORMAT ".%u\n", octets, n);
  g_assert_nonnull(strstr(info, oxum));
  g_assert_nonnull(strstr(info, "Bagging-Date: "));
  g_autofree char *tags = read_text(fx->out, "tagmanifest-sha256.txt");
  const char *tagged[] = {"  bagit.txt\n", "  bag-info.txt\n", "  manifest-sha256.txt\n",
                          "  manifest-md5.txt\n"};
  for (gsize i = 0; i < G_N_ELEMENTS(tagged); i++)
    g_assert_nonnull(strstr(tags, tagged[i]));
  const char *c1[] = {"sha256sum", "--quiet", "-c", "manifest-sha256.txt", NULL};
  const char *c2[] = {"sha256sum", "--quiet", "-c", "tagmanifest-sha256.txt", NULL};
  if (have_program("sha256sum")) {
    g_assert_cmpint(run_in(fx->out, c1), ==, 0);
    g_assert_cmpint(run_in(fx->out, c2), ==, 0);
  }
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  int checked = 0;
  g_assert_true(sr_fixity_verify(fx->out, problems, &checked, &error));
  g_assert_cmpuint(problems->len, ==, 0);
  /* A file slipped into data/ is not in the manifests: named. */
  g_autofree char *stray = g_build_filename(data_dir, "stray.txt", NULL);
  g_assert_true(g_file_set_contents(stray, "x", -1, NULL));
  g_assert_true(sr_fixity_verify(fx->out, problems, &checked, &error));
  g_assert_true(has_problem(problems, "data/stray.txt", "in no manifest"));
  /* Delivering again (resume) keeps the bag valid. */
  g_remove(stray);
  sr_delivery_result_clear(&r);
  g_assert_true(deliver(fx, &o, &r, &error));
  g_ptr_array_set_size(problems, 0);
  g_assert_true(sr_fixity_verify(fx->out, problems, &checked, &error));
  g_assert_cmpuint(problems->len, ==, 0);
  sr_delivery_result_clear(&r);
}

/* The CLI: verify names a tampered master and exits 1. */
static void
test_cli_verify(Fixture *fx, gconstpointer data)
{
  const char *cli = g_getenv("SR_CLI");
  if (!cli) {
    g_test_skip("SR_CLI is not set (run through meson test)");
    return;
  }
  SrDeliveryOptions o;
  signed_off_options(fx, &o);
  SrDeliveryResult r;
  g_autoptr(GError) error = NULL;
  g_assert_true(deliver(fx, &o, &r, &error));
  const char *argv[] = {cli, "verify", fx->out, NULL};
  g_autofree char *out = NULL, *err = NULL;
  int status;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, &out, &err, &status, NULL));
  g_assert_cmpint(WEXITSTATUS(status), ==, 0);
  g_assert_nonnull(strstr(out, "all 5 checksums match"));
  g_autofree char *m3 = sr_pattern_format(r.master_pattern, 3);
  tamper(m3);
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, &out, &err, &status, NULL));
  g_assert_cmpint(WEXITSTATUS(status), ==, 1);
  g_autofree char *m3_name = g_path_get_basename(m3);
  g_assert_nonnull(strstr(err, m3_name));
  g_assert_nonnull(strstr(err, "checksum mismatch"));
  sr_delivery_result_clear(&r);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  static const int with_tc = 1;
#define ADD(path, fn, d) g_test_add(path, Fixture, d, fixture_setup, fn, fixture_teardown)
  ADD("/signoff/gate-refuses", test_gate_refuses, NULL);
  ADD("/signoff/override-recorded", test_override_recorded, NULL);
  g_test_add_func("/signoff/bad-input/overrides-in-project", test_bad_overrides);
  ADD("/reel/exr-timecode-into-masters", test_exr_timecode_into_masters, &with_tc);
  ADD("/reel/no-timecode", test_no_timecode, NULL);
  ADD("/reel/dpx-timecode", test_dpx_timecode, NULL);
  ADD("/reel/bad-input/source-timecode", test_bad_source_timecode, NULL);
  ADD("/fixity/manifest-verify", test_manifest_verify, NULL);
  ADD("/fixity/bagit", test_bagit, NULL);
  ADD("/fixity/cli-verify", test_cli_verify, NULL);
  return g_test_run();
}
