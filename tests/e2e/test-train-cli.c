/* End to end: train and render through spatial-recovery-cli on a tiny
 * sequence pair, with JSON progress, resume, skip-on-rerun and errors. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "sr-checkpoint.h"
#include "sr-colour.h"
#include "sr-delivery.h"
#include "sr-io.h"
#include "sr-project.h"

static char *tmpdir;

typedef struct {
  int status;
  char *out, *err;
} cli_result;

static void
cli_result_clear(cli_result *r)
{
  g_free(r->out);
  g_free(r->err);
}

static cli_result
run_cli(const char *first, ...)
{
  const char *cli = g_getenv("SR_CLI");
  g_assert_nonnull(cli);
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)cli);
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a; a = va_arg(ap, const char *))
    g_ptr_array_add(argv, (gpointer)a);
  va_end(ap);
  g_ptr_array_add(argv, NULL);
  cli_result r = {0};
  GError *error = NULL;
  int wait_status = 0;
  if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                    &wait_status, &error))
    g_error("spawn %s: %s", cli, error->message);
  r.status = g_spawn_check_wait_status(wait_status, NULL)
                 ? 0
                 : (WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 255);
  g_ptr_array_free(argv, TRUE);
  return r;
}

/* Every stdout line must be a JSON object with an "event"; returns the
 * objects of the given event (owned by the returned list's nodes). */
static GPtrArray *
json_events(const char *out, const char *event)
{
  GPtrArray *found = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  for (int i = 0; lines[i]; i++) {
    if (!*lines[i])
      continue;
    g_autoptr(JsonParser) p = json_parser_new();
    GError *error = NULL;
    if (!json_parser_load_from_data(p, lines[i], -1, &error))
      g_error("line %d is not JSON (%s): %s", i, error->message, lines[i]);
    JsonNode *root = json_parser_get_root(p);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
    const char *ev =
        json_object_get_string_member_with_default(json_node_get_object(root), "event", NULL);
    g_assert_nonnull(ev);
    if (g_str_equal(ev, event))
      g_ptr_array_add(found, json_node_copy(root));
  }
  return found;
}

static JsonObject *
obj(GPtrArray *a, guint i)
{
  return json_node_get_object(g_ptr_array_index(a, i));
}

/* Reference: sharp texture; Source: the same picture softened by a 3×3 box
 * blur and with a slight colour cast, so there is detail to recover. */
static void
write_frames(int n)
{
  const int w = 64, h = 48;
  for (int f = 1; f <= n; f++) {
    sr_image *ref = sr_image_new(w, h, 3, NULL), *src = sr_image_new(w, h, 3, NULL);
    g_assert_nonnull(ref);
    g_assert_nonnull(src);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float v = 0.5f + 0.25f * sinf((x + 3 * f) * 0.9f) * cosf(y * 0.7f) +
                  ((((x + f) / 4 + y / 4) % 2) ? 0.15f : -0.15f);
        float *p = sr_image_row(ref, y) + 3 * x;
        p[0] = p[1] = p[2] = v;
      }
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int c = 0; c < 3; c++) {
          float s = 0;
          for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
              int xx = CLAMP(x + dx, 0, w - 1), yy = CLAMP(y + dy, 0, h - 1);
              s += sr_image_row(ref, yy)[3 * xx + c];
            }
          sr_image_row(src, y)[3 * x + c] = s / 9.0f * (c == 2 ? 0.9f : 1.0f);
        }
    char name[64];
    sr_error err = {0};
    g_snprintf(name, sizeof name, "ref.%04d.png", f);
    g_autofree char *rp = g_build_filename(tmpdir, name, NULL);
    g_snprintf(name, sizeof name, "src.%04d.png", f);
    g_autofree char *sp = g_build_filename(tmpdir, name, NULL);
    if (!sr_image_write(rp, ref, NULL, &err) || !sr_image_write(sp, src, NULL, &err))
      g_error("writing frames: %s", err.message);
    sr_image_free(ref);
    sr_image_free(src);
  }
}

static void
test_train_render(void)
{
  g_autofree char *src = g_build_filename(tmpdir, "src.%04d.png", NULL);
  g_autofree char *ref = g_build_filename(tmpdir, "ref.%04d.png", NULL);
  g_autofree char *out = g_build_filename(tmpdir, "train", NULL);

  cli_result r =
      run_cli("train", "--source", src, "--reference", ref, "--pairs", "1,3,5", "--holdout", "2,6",
              "--preview", "4", "--colorspace", "srgb", "--model", "s", "--patch", "32", "--batch",
              "2", "--steps", "60", "--checkpoint-every", "30", "--contact-sheet-every", "30",
              "--backend", "cpu", "--progress=json", "--threads", "1", "--out", out, NULL);
  if (r.status != 0)
    g_error("train failed (%d): %s", r.status, r.err);
  GPtrArray *progress = json_events(r.out, "progress");
  GPtrArray *checkpoints = json_events(r.out, "checkpoint");
  GPtrArray *sheets = json_events(r.out, "contact_sheet");
  GPtrArray *summary = json_events(r.out, "summary");
  g_assert_cmpuint(progress->len, >=, 1);
  g_assert_cmpuint(checkpoints->len, ==, 2);
  g_assert_cmpuint(sheets->len, ==, 2);
  g_assert_cmpuint(summary->len, ==, 1);
  JsonObject *s = obj(summary, 0);
  g_assert_cmpint(json_object_get_int_member(s, "steps"), ==, 60);
  const char *id = json_object_get_string_member(s, "model_id");
  g_assert_cmpuint(strlen(id), ==, 64);
  g_autofree char *id12 = g_strndup(id, 12);
  g_assert_cmpstr(json_object_get_string_member(s, "model_id_short"), ==, id12);
  g_assert_true(isfinite(json_object_get_double_member(s, "psnr_y_after")));
  g_assert_true(isfinite(json_object_get_double_member(s, "final_loss")));
  JsonObject *last = obj(progress, progress->len - 1);
  g_assert_cmpint(json_object_get_int_member(last, "done"), ==, 60);
  g_assert_cmpint(json_object_get_int_member(last, "total"), ==, 60);
  g_autofree char *ck = g_build_filename(out, "checkpoints", "step_000060.safetensors", NULL);
  g_autofree char *latest = g_build_filename(out, "checkpoints", "latest.safetensors", NULL);
  g_autofree char *sheet = g_build_filename(out, "contact", "step_000030.png", NULL);
  g_autofree char *preview = g_build_filename(out, "preview", "step_000060.exr", NULL);
  g_assert_true(g_file_test(ck, G_FILE_TEST_IS_REGULAR));
  g_assert_true(g_file_test(latest, G_FILE_TEST_IS_REGULAR));
  g_assert_true(g_file_test(sheet, G_FILE_TEST_IS_REGULAR));
  g_assert_true(g_file_test(preview, G_FILE_TEST_IS_REGULAR));
  g_ptr_array_unref(progress);
  g_ptr_array_unref(checkpoints);
  g_ptr_array_unref(sheets);
  g_ptr_array_unref(summary);
  cli_result_clear(&r);

  /* Resume to 90 steps. */
  r = run_cli("train", "--source", src, "--reference", ref, "--pairs", "1,3,5", "--holdout", "2,6",
              "--preview", "4", "--colorspace", "srgb", "--model", "s", "--patch", "32", "--batch",
              "2", "--steps", "90", "--checkpoint-every", "30", "--contact-sheet-every", "0",
              "--backend", "cpu", "--progress=json", "--resume", "--threads", "1", "--out", out,
              NULL);
  if (r.status != 0)
    g_error("resume failed (%d): %s", r.status, r.err);
  summary = json_events(r.out, "summary");
  g_assert_cmpuint(summary->len, ==, 1);
  g_assert_cmpint(json_object_get_int_member(obj(summary, 0), "resumed_from"), ==, 60);
  g_assert_cmpint(json_object_get_int_member(obj(summary, 0), "steps"), ==, 90);
  g_ptr_array_unref(summary);
  cli_result_clear(&r);

  /* Render all 8 frames to EXR. */
  g_autofree char *render = g_build_filename(tmpdir, "render", "r.%04d.exr", NULL);
  r = run_cli("render", "--model", latest, "--input", src, "--output", render, "--backend", "cpu",
              "--progress=json", NULL);
  if (r.status != 0)
    g_error("render failed (%d): %s", r.status, r.err);
  GPtrArray *frames = json_events(r.out, "frame");
  g_assert_cmpuint(frames->len, ==, 8);
  for (guint i = 0; i < frames->len; i++)
    g_assert_cmpstr(json_object_get_string_member(obj(frames, i), "status"), ==, "rendered");
  g_ptr_array_unref(frames);
  cli_result_clear(&r);
  g_autofree char *f3 = g_build_filename(tmpdir, "render", "r.0003.exr", NULL);
  sr_error err = {0};
  sr_image *img = sr_image_read(f3, &err);
  g_assert_nonnull(img);
  g_assert_cmpint(img->width, ==, 64);
  g_assert_cmpint(img->height, ==, 48);
  sr_image_free(img);

  /* A second run skips what is done; a removed frame is rendered again. */
  g_assert_cmpint(g_remove(f3), ==, 0);
  r = run_cli("render", "--model", latest, "--input", src, "--output", render, "--backend", "cpu",
              "--progress=json", NULL);
  g_assert_cmpint(r.status, ==, 0);
  frames = json_events(r.out, "frame");
  g_assert_cmpuint(frames->len, ==, 8);
  for (guint i = 0; i < frames->len; i++)
    g_assert_cmpstr(json_object_get_string_member(obj(frames, i), "status"), ==,
                    json_object_get_int_member(obj(frames, i), "frame") == 3 ? "rendered"
                                                                             : "skipped");
  g_ptr_array_unref(frames);
  cli_result_clear(&r);

  /* --first limits a check render; output as 16-bit PNG. */
  g_autofree char *png = g_build_filename(tmpdir, "check", "c.####.png", NULL);
  r = run_cli("render", "--model", latest, "--input", src, "--output", png, "--first", "2",
              "--backend", "cpu", "--progress=quiet", NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_autofree char *c2 = g_build_filename(tmpdir, "check", "c.0002.png", NULL);
  g_autofree char *c3 = g_build_filename(tmpdir, "check", "c.0003.png", NULL);
  g_assert_true(g_file_test(c2, G_FILE_TEST_IS_REGULAR));
  g_assert_false(g_file_test(c3, G_FILE_TEST_EXISTS));
  cli_result_clear(&r);

  /* Three renders of the same frames at once into one folder, as
   * overlapping farm tasks would: all succeed, no temporary is left behind,
   * and every frame has the same bytes as the render above. */
  g_autofree char *lap_dir = g_build_filename(tmpdir, "overlap", NULL);
  g_autofree char *lap = g_build_filename(lap_dir, "r.%04d.exr", NULL);
  const char *argv[] = {g_getenv("SR_CLI"), "render", "--model",          latest,
                        "--input",          src,      "--output",         lap,
                        "--backend",        "cpu",    "--progress=quiet", NULL};
  GPid pids[3];
  for (int i = 0; i < 3; i++) {
    GError *error = NULL;
    if (!g_spawn_async(NULL, (char **)argv, NULL,
                       G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                           G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, &pids[i], &error))
      g_error("spawn: %s", error->message);
  }
  for (int i = 0; i < 3; i++) {
    int st = 0;
    g_assert_cmpint(waitpid(pids[i], &st, 0), ==, pids[i]);
    g_assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    g_spawn_close_pid(pids[i]);
  }
  g_autoptr(GDir) d = g_dir_open(lap_dir, 0, NULL);
  g_assert_nonnull(d);
  int n = 0;
  for (const char *name; (name = g_dir_read_name(d)); n++)
    g_assert_false(g_str_has_suffix(name, ".tmp"));
  g_assert_cmpint(n, ==, 8);
  for (int f = 1; f <= 8; f++) {
    g_autofree char *a = sr_pattern_format(render, f), *b = sr_pattern_format(lap, f);
    g_autofree char *da = NULL, *db = NULL;
    gsize la = 0, lb = 0;
    g_assert_true(g_file_get_contents(a, &da, &la, NULL));
    g_assert_true(g_file_get_contents(b, &db, &lb, NULL));
    if (la != lb || memcmp(da, db, la) != 0)
      g_error("frame %d of the overlapping renders differs from the single render", f);
  }
}

static void
test_errors(void)
{
  g_autofree char *src = g_build_filename(tmpdir, "src.%04d.png", NULL);
  g_autofree char *ref = g_build_filename(tmpdir, "ref.%04d.png", NULL);
  g_autofree char *out = g_build_filename(tmpdir, "bad", NULL);
  /* A patch larger than the 64×48 frames. */
  cli_result r =
      run_cli("train", "--source", src, "--reference", ref, "--pairs", "1", "--model", "s",
              "--patch", "64", "--steps", "2", "--backend", "cpu", "--out", out, NULL);
  g_assert_cmpint(r.status, !=, 0);
  g_assert_nonnull(strstr(r.err, "larger than the crop"));
  cli_result_clear(&r);
  /* A held-out frame that is also a pair. */
  r = run_cli("train", "--source", src, "--reference", ref, "--pairs", "1,2", "--holdout", "2",
              "--out", out, NULL);
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "frame 2"));
  cli_result_clear(&r);
  /* A frame that does not exist. */
  r = run_cli("train", "--source", src, "--reference", ref, "--pairs", "99", "--model", "s",
              "--patch", "16", "--steps", "2", "--backend", "cpu", "--out", out, NULL);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_nonnull(strstr(r.err, "99"));
  cli_result_clear(&r);
  /* A model file that is not a checkpoint. */
  g_autofree char *fake = g_build_filename(tmpdir, "fake.safetensors", NULL);
  g_assert_true(g_file_set_contents(fake, "not a model", -1, NULL));
  g_autofree char *o = g_build_filename(tmpdir, "x", "x.%04d.exr", NULL);
  r = run_cli("render", "--model", fake, "--input", src, "--output", o, "--backend", "cpu", NULL);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_nonnull(strstr(r.err, fake));
  cli_result_clear(&r);
  /* Usage errors. */
  r = run_cli("train", "--pairs", "x", NULL);
  g_assert_cmpint(r.status, ==, 2);
  cli_result_clear(&r);
}

static void
test_devices(void)
{
  cli_result r = run_cli("devices", NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "cpu"));
  cli_result_clear(&r);
  r = run_cli("devices", "--json", NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_autoptr(JsonParser) p = json_parser_new();
  g_assert_true(json_parser_load_from_data(p, r.out, -1, NULL));
  JsonObject *o = json_node_get_object(json_parser_get_root(p));
  JsonArray *devs = json_object_get_array_member(o, "devices");
  g_assert_cmpuint(json_array_get_length(devs), >=, 1);
  g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(devs, 0), "backend"),
                  ==, "cpu");
  if (!json_object_get_boolean_member(o, "cuda_available"))
    g_assert_cmpuint(strlen(json_object_get_string_member(o, "cuda_reason")), >, 0);
  cli_result_clear(&r);
}

static void
test_project_mode(void)
{
  g_autoptr(SrProject) p = sr_project_new();
  g_autofree char *src = g_build_filename(tmpdir, "src.%04d.png", NULL);
  g_autofree char *ref = g_build_filename(tmpdir, "ref.%04d.png", NULL);
  g_autofree char *outdir = g_build_filename(tmpdir, "proj-out", NULL);
  sr_project_set_name(p, "demo shot");
  sr_project_set_source_pattern(p, src);
  sr_project_set_reference_pattern(p, ref);
  sr_project_set_source_colourspace(p, SR_CS_SRGB);
  sr_project_set_reference_colourspace(p, SR_CS_SRGB);
  sr_project_set_output_folder(p, outdir);
  g_assert_true(sr_project_add_pair(p, 1, NULL));
  g_assert_true(sr_project_add_pair(p, 5, NULL));
  g_assert_true(sr_project_add_held_out(p, 2, NULL));
  SrTrainingSettings ts;
  sr_training_settings_init(&ts);
  ts.model_size = SR_MODEL_SIZE_S;
  ts.patch = 64; /* larger than the 48 px frames: the CLI shrinks it to fit */
  ts.batch = 1;
  ts.steps = 20;
  ts.checkpoint_every = 20;
  ts.contact_sheet_every = 0;
  ts.warmup_steps = 2;
  g_strlcpy(ts.backend, "cpu", sizeof ts.backend);
  GError *error = NULL;
  if (!sr_project_set_training(p, &ts, &error))
    g_error("training settings: %s", error->message);
  g_autofree char *path = g_build_filename(tmpdir, "shot.srproj", NULL);
  g_autoptr(GFile) file = g_file_new_for_path(path);
  if (!sr_project_save(p, file, &error))
    g_error("save: %s", error->message);

  cli_result r = run_cli("train", path, "--progress=json", "--threads", "1", NULL);
  if (r.status != 0)
    g_error("train PROJECT failed (%d): %s", r.status, r.err);
  GPtrArray *summary = json_events(r.out, "summary");
  g_assert_cmpuint(summary->len, ==, 1);
  g_ptr_array_unref(summary);
  cli_result_clear(&r);
  r = run_cli("render", path, "--first", "2", "--progress=json", "--backend", "cpu", NULL);
  if (r.status != 0)
    g_error("render PROJECT failed (%d): %s", r.status, r.err);
  GPtrArray *frames = json_events(r.out, "frame");
  g_assert_cmpuint(frames->len, ==, 2);
  const char *first = json_object_get_string_member(obj(frames, 0), "path");
  g_assert_true(g_file_test(first, G_FILE_TEST_IS_REGULAR));
  g_ptr_array_unref(frames);
  cli_result_clear(&r);

  /* The project's render is named after shot, version and model, and is
   * where delivery looks for it. */
  g_autofree char *latest =
      g_build_filename(outdir, "training", "checkpoints", "latest.safetensors", NULL);
  sr_checkpoint_meta meta;
  sr_checkpoint_meta_init(&meta);
  sr_error err = {0};
  g_assert_true(sr_checkpoint_read_meta(latest, &meta, &err));
  char shrt[SR_MODEL_ID_SHORT + 1];
  sr_model_id_short(meta.model_id, shrt);
  sr_checkpoint_meta_clear(&meta);
  g_autofree char *stem = g_strdup_printf(
      "demo_shot_%s_m%s.",
      sr_project_get_version(p) && *sr_project_get_version(p) ? sr_project_get_version(p) : "v001",
      shrt);
  g_autofree char *pattern = sr_delivery_default_render_pattern(p);
  g_assert_nonnull(strstr(pattern, stem));
  g_autofree char *r1 = sr_pattern_format(pattern, 1);
  g_autofree char *r2 = sr_pattern_format(pattern, 2);
  g_autofree char *r3 = sr_pattern_format(pattern, 3);
  g_assert_true(g_file_test(r1, G_FILE_TEST_IS_REGULAR));
  g_assert_true(g_file_test(r2, G_FILE_TEST_IS_REGULAR));
  g_assert_false(g_file_test(r3, G_FILE_TEST_EXISTS)); /* --first 2 */
  /* One render/ folder under the output folder, frames numbered with the
   * Source's padding (src.%04d.png: four digits). */
  g_autofree char *want_name = g_strdup_printf("%s0001.exr", stem);
  g_autofree char *want = g_build_filename(outdir, "render", want_name, NULL);
  g_assert_cmpstr(r1, ==, want);

  /* render --regrain: the plan is measured on the training pairs and kept
   * beside the frames, each frame records it; a second run keeps the plan
   * and finds the frames done; another seed is refused for that render; a
   * render without grain over them renders them again, without the record. */
  g_autofree char *grain_out = g_build_filename(tmpdir, "grain", "g.%04d.exr", NULL);
  g_autofree char *grain_plan = g_build_filename(tmpdir, "grain", "g.grain.json", NULL);
  r = run_cli("render", path, "--first", "2", "--regrain", "--output", grain_out, "--progress=json",
              "--backend", "cpu", NULL);
  if (r.status != 0)
    g_error("render --regrain failed (%d): %s", r.status, r.err);
  GPtrArray *gsum = json_events(r.out, "summary");
  g_assert_cmpuint(gsum->len, ==, 1);
  JsonObject *gobj = json_object_get_object_member(obj(gsum, 0), "grain");
  g_assert_nonnull(gobj);
  g_assert_cmpstr(json_object_get_string_member(gobj, "seed"), ==, "1");
  g_assert_cmpstr(json_object_get_string_member(gobj, "plan"), ==, grain_plan);
  g_assert_cmpfloat(json_object_get_double_member(gobj, "reference_variance"), >, 0.0);
  g_ptr_array_unref(gsum);
  cli_result_clear(&r);
  g_assert_true(g_file_test(grain_plan, G_FILE_TEST_IS_REGULAR));
  g_autofree char *g1 = sr_pattern_format(grain_out, 1);
  sr_image *gimg = sr_image_read(g1, &err);
  g_assert_nonnull(gimg);
  const char *gattr = sr_image_get_attribute(gimg, "spatialRecovery:grain");
  g_assert_nonnull(gattr);
  g_assert_nonnull(strstr(gattr, "\"seed\":\"1\""));
  g_assert_nonnull(strstr(gattr, "\"referenceVariance\":"));
  sr_image_free(gimg);
  g_autofree char *plan_before = NULL;
  g_assert_true(g_file_get_contents(grain_plan, &plan_before, NULL, NULL));
  r = run_cli("render", path, "--first", "2", "--regrain", "--output", grain_out, "--backend",
              "cpu", NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.err, "plan read from"));
  g_assert_nonnull(strstr(r.out, "0 rendered, 2 already done"));
  g_assert_nonnull(strstr(r.out, "grain     seed 1"));
  cli_result_clear(&r);
  g_autofree char *plan_after = NULL;
  g_assert_true(g_file_get_contents(grain_plan, &plan_after, NULL, NULL));
  g_assert_cmpstr(plan_before, ==, plan_after);
  r = run_cli("render", path, "--first", "2", "--regrain", "--grain-seed", "2", "--output",
              grain_out, "--backend", "cpu", NULL);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_nonnull(strstr(r.err, grain_plan));
  g_assert_nonnull(strstr(r.err, "seed 1"));
  cli_result_clear(&r);
  r = run_cli("render", path, "--first", "2", "--output", grain_out, "--backend", "cpu", NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "2 rendered, 0 already done"));
  cli_result_clear(&r);
  gimg = sr_image_read(g1, &err);
  g_assert_nonnull(gimg);
  g_assert_null(sr_image_get_attribute(gimg, "spatialRecovery:grain"));
  sr_image_free(gimg);
  /* Without a project there are no pairs to measure on. */
  r = run_cli("render", "--model", latest, "--input", src, "--output", grain_out, "--regrain",
              NULL);
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "PROJECT"));
  cli_result_clear(&r);

  /* A Source frame missing mid-range: named, nothing rendered for it; with
   * --skip-missing the rest is rendered and the gap listed. */
  g_autofree char *gap_dir = g_build_filename(tmpdir, "gap", NULL);
  g_assert_cmpint(g_mkdir_with_parents(gap_dir, 0755), ==, 0);
  g_autofree char *gap = g_build_filename(gap_dir, "src.%04d.png", NULL);
  for (int f = 1; f <= 4; f++) {
    if (f == 3)
      continue;
    g_autofree char *from = sr_pattern_format(src, f);
    g_autofree char *to = sr_pattern_format(gap, f);
    g_autofree char *bytes = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(from, &bytes, &len, NULL));
    g_assert_true(g_file_set_contents(to, bytes, (gssize)len, NULL));
  }
  g_autofree char *gap_out = g_build_filename(tmpdir, "gap-out", "g.%04d.exr", NULL);
  r = run_cli("render", "--model", latest, "--input", gap, "--output", gap_out, "--frames", "1-4",
              "--backend", "cpu", "--progress=quiet", NULL);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_nonnull(strstr(r.err, "Source frame 3 is missing"));
  cli_result_clear(&r);
  g_autofree char *g3 = sr_pattern_format(gap_out, 3);
  g_assert_false(g_file_test(g3, G_FILE_TEST_EXISTS));
  r = run_cli("render", "--model", latest, "--input", gap, "--output", gap_out, "--frames", "1-4",
              "--backend", "cpu", "--skip-missing", "--progress=json", NULL);
  if (r.status != 0)
    g_error("render --skip-missing failed (%d): %s", r.status, r.err);
  GPtrArray *gs = json_events(r.out, "summary");
  g_assert_cmpuint(gs->len, ==, 1);
  JsonObject *so = obj(gs, 0);
  g_assert_cmpint(json_object_get_int_member(so, "rendered") +
                      json_object_get_int_member(so, "skipped"),
                  ==, 3);
  g_assert_cmpstr(json_object_get_string_member(so, "model_id_short"), ==, shrt);
  JsonArray *missing = json_object_get_array_member(so, "missing");
  g_assert_cmpuint(json_array_get_length(missing), ==, 1);
  g_assert_cmpint(json_array_get_int_element(missing, 0), ==, 3);
  g_assert_true(json_object_has_member(so, "frames_per_second"));
  g_ptr_array_unref(gs);
  cli_result_clear(&r);
  g_autofree char *g4 = sr_pattern_format(gap_out, 4);
  g_assert_true(g_file_test(g4, G_FILE_TEST_IS_REGULAR));
  g_assert_false(g_file_test(g3, G_FILE_TEST_EXISTS));

  /* An output folder that cannot be made: a clear error naming it. */
  g_autofree char *blocker = g_build_filename(tmpdir, "blocker", NULL);
  g_assert_true(g_file_set_contents(blocker, "x", 1, NULL));
  g_autofree char *bad_out = g_build_filename(blocker, "r", "r.%04d.exr", NULL);
  r = run_cli("render", "--model", latest, "--input", src, "--output", bad_out, "--first", "1",
              "--backend", "cpu", "--progress=quiet", NULL);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_nonnull(strstr(r.err, blocker));
  cli_result_clear(&r);

  /* Training the project again keeps the first run as it is: the new run
   * goes in training/run-2 (the command says so) with its own loss log,
   * and the project's renders then follow the newest run. */
  g_autofree char *first_run = NULL, *first_after = NULL;
  gsize first_len = 0, after_len = 0;
  g_assert_true(g_file_get_contents(latest, &first_run, &first_len, NULL));
  r = run_cli("train", path, "--progress", "quiet", "--threads", "1", NULL);
  if (r.status != 0)
    g_error("train PROJECT again failed (%d): %s", r.status, r.err);
  g_autofree char *run2 = g_build_filename(outdir, "training", "run-2", NULL);
  g_assert_nonnull(strstr(r.err, run2));
  cli_result_clear(&r);
  g_assert_true(g_file_get_contents(latest, &first_after, &after_len, NULL));
  g_assert_cmpmem(first_run, first_len, first_after, after_len);
  g_autofree char *latest2 = g_build_filename(run2, "checkpoints", "latest.safetensors", NULL);
  g_autofree char *log2 = g_build_filename(run2, "loss.tsv", NULL);
  g_assert_true(g_file_test(latest2, G_FILE_TEST_IS_REGULAR));
  g_assert_true(g_file_test(log2, G_FILE_TEST_IS_REGULAR));
  g_autofree char *facts = sr_checkpoint_facts_path(p, NULL);
  g_assert_cmpstr(facts, ==, latest2);
  /* An --out folder that already holds a run is not trained over. */
  g_autofree char *first_dir = g_build_filename(outdir, "training", NULL);
  r = run_cli("train", path, "--out", first_dir, "--progress", "quiet", "--threads", "1", NULL);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_nonnull(strstr(r.err, "already holds a training run"));
  cli_result_clear(&r);
}


/* A Cineon-log DPX scan from the simulator through train, render and
 * deliver: the delivered ACES2065-1 masters keep the Source's chroma, measured
 * in the training domain the Review stage measures in. */
/* With `ocio`, the same scans are declared through an OpenColorIO config
 * written here (Cineon as OCIO's log-affine transform) and delivered into
 * the config's ACEScg; the masters must then name the space and the config
 * and carry no chromaticities. */
static const char *ocio_text =
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
    "  - !<ColorSpace> {name: ACES2065-1}\n"
    "  - !<ColorSpace>\n"
    "    name: ACEScg\n"
    "    to_scene_reference: !<BuiltinTransform> {style: ACEScg_to_ACES2065-1}\n"
    "  - !<ColorSpace>\n"
    "    name: Cineon lg10\n"
    "    to_scene_reference: !<GroupTransform> {children: ["
    "!<LogAffineTransform> {base: 10, log_side_slope: 0.29325513196480935, "
    "log_side_offset: 0.66959921798631476, lin_side_slope: 0.98920224837672291, "
    "lin_side_offset: 0.010797751623277094, direction: inverse}, "
    "!<BuiltinTransform> {style: \"UTILITY - ACES-AP1_to_LINEAR-REC709_BFD\", direction: inverse}, "
    "!<BuiltinTransform> {style: ACEScg_to_ACES2065-1}]}\n";

static void
run_cineon_dpx(gboolean ocio)
{
  g_autofree char *dir = g_build_filename(tmpdir, ocio ? "cineon-ocio" : "cineon", NULL);
  cli_result r = run_cli("demo", dir, "--frames", "4", "--size", "96x80", "--no-grain",
                         "--no-train", "--cineon-dpx", "--progress", "quiet", NULL);
  if (r.status != 0)
    g_error("demo --cineon-dpx failed (%d): %s", r.status, r.err);
  cli_result_clear(&r);

  /* The scans say what they are. */
  g_autofree char *frame1 = g_build_filename(dir, "source", "demo_src.0001.dpx", NULL);
  sr_image_info info;
  sr_error err = {0};
  char why[256];
  sr_colourspace detected = SR_CS_COUNT;
  g_assert_true(sr_image_read_info(frame1, &info, &err));
  g_assert_cmpint(info.bit_depth, ==, 10);
  g_assert_true(sr_image_info_suggest_colourspace(&info, &detected, why, sizeof why));
  g_assert_cmpint(detected, ==, SR_CS_CINEON);

  /* A few training steps: the point is the colour path, not the model. */
  g_autofree char *path = g_build_filename(dir, "demo.srproj", NULL);
  g_autoptr(GFile) file = g_file_new_for_path(path);
  GError *error = NULL;
  g_autoptr(SrProject) p = sr_project_load(file, &error);
  g_assert_no_error(error);
  g_assert_cmpint(sr_project_get_source_colourspace(p), ==, SR_CS_CINEON);
  SrTrainingSettings ts;
  sr_training_settings_init(&ts);
  ts.model_size = SR_MODEL_SIZE_S;
  ts.patch = 64;
  ts.batch = 1;
  ts.steps = 12;
  ts.checkpoint_every = 12;
  ts.contact_sheet_every = 0;
  ts.warmup_steps = 2;
  g_strlcpy(ts.backend, "cpu", sizeof ts.backend);
  g_assert_true(sr_project_set_training(p, &ts, &error));
  g_autofree char *config = g_build_filename(dir, "config.ocio", NULL);
  if (ocio) {
    g_assert_true(g_file_set_contents(config, ocio_text, -1, NULL));
    sr_project_set_ocio_config(p, config);
    sr_project_set_ocio_space(p, TRUE, "Cineon lg10");
    sr_project_set_ocio_space(p, FALSE, "Cineon lg10");
    /* The project's own ids say something else: the OCIO spaces must win. */
    sr_project_set_source_colourspace(p, SR_CS_REC709);
    sr_project_set_reference_colourspace(p, SR_CS_REC709);
  }
  g_assert_true(sr_project_save(p, file, &error));

  r = run_cli("train", path, "--progress", "quiet", "--threads", "1", NULL);
  if (r.status != 0)
    g_error("train failed (%d): %s", r.status, r.err);
  cli_result_clear(&r);
  r = run_cli("render", path, "--progress", "quiet", "--backend", "cpu", NULL);
  if (r.status != 0)
    g_error("render failed (%d): %s", r.status, r.err);
  cli_result_clear(&r);
  g_autofree char *out = g_build_filename(dir, "delivered", NULL);
  r = run_cli("deliver", path, "--out", out, "--no-note", "--progress", "quiet", "--space",
              ocio ? "ocio:ACEScg" : "aces2065-1", "--override-review", "--by", "e2e", "--reason",
              "colour check without review", NULL);
  if (r.status != 0)
    g_error("deliver failed (%d): %s", r.status, r.err);
  cli_result_clear(&r);

  /* Masters are ACES2065-1; the Source, decoded from Cineon, goes to the
   * same domain. Inside the crop, unclipped pixels keep Cb/Cr; outside it
   * the master is the Source. */
  g_autoptr(GDir) d = g_dir_open(out, 0, &error);
  g_assert_no_error(error);
  sr_colourspace delivered = ocio ? SR_CS_ACESCG : SR_CS_ACES2065_1;
  sr_colour_transform *aces_to_domain =
      sr_colour_transform_new(delivered, SR_TRAINING_DOMAIN, &err);
  sr_colour_transform *cin_to_domain =
      sr_colour_transform_new(SR_CS_CINEON, SR_TRAINING_DOMAIN, &err);
  sr_colour_transform *cin_to_aces = sr_colour_transform_new(SR_CS_CINEON, delivered, &err);
  g_assert_nonnull(aces_to_domain);
  g_assert_nonnull(cin_to_domain);
  g_assert_nonnull(cin_to_aces);
  sr_rect crop = sr_project_get_crop(p);
  double worst = 0.0, sum = 0.0, worst_outside = 0.0, luma_moved = 0.0;
  size_t n = 0;
  int masters = 0;
  const char *name;
  while ((name = g_dir_read_name(d))) {
    if (!g_str_has_suffix(name, ".exr"))
      continue;
    const char *digits = name + strlen(name) - 8; /* "NNNN.exr" */
    int frame = atoi(digits);
    g_autofree char *mpath = g_build_filename(out, name, NULL);
    char src_name[64];
    g_snprintf(src_name, sizeof src_name, "demo_src.%04d.dpx", frame);
    g_autofree char *spath = g_build_filename(dir, "source", src_name, NULL);
    sr_image *master = sr_image_read(mpath, &err);
    sr_image *src = master ? sr_image_read(spath, &err) : NULL;
    if (!src)
      g_error("%s / %s: %s", mpath, spath, err.message);
    g_assert_cmpint(master->width, ==, src->width);
    if (ocio) {
      g_assert_false(master->has_chromaticities);
      g_assert_cmpstr(sr_image_get_attribute(master, "ocioColourSpace"), ==, "ACEScg");
      g_assert_cmpstr(sr_image_get_attribute(master, "ocioSourceColourSpace"), ==, "Cineon lg10");
      g_assert_cmpstr(sr_image_get_attribute(master, "ocioConfig"), ==, config);
      g_assert_cmpstr(sr_image_get_attribute(master, "deliveryColourSpace"), ==, "ACEScg (OCIO)");
    } else {
      g_assert_true(master->has_chromaticities);
      g_assert_cmpfloat_with_epsilon(master->chromaticities[6], 0.32168, 1e-4); /* ACES white */
      g_assert_cmpstr(sr_image_get_attribute(master, "sourceColourSpace"), ==, "Cineon log");
    }
    for (int y = 0; y < src->height; y++)
      for (int x = 0; x < src->width; x++) {
        const float *s = sr_image_row(src, y) + src->channels * x;
        const float *m = sr_image_row(master, y) + master->channels * x;
        float sd[3] = {s[0], s[1], s[2]}, md[3] = {m[0], m[1], m[2]}, sa[3] = {s[0], s[1], s[2]};
        sr_colour_transform_apply(cin_to_domain, sd, 1, 3);
        sr_colour_transform_apply(aces_to_domain, md, 1, 3);
        bool inside = x >= crop.x && x < crop.x + crop.w && y >= crop.y && y < crop.y + crop.h;
        if (!inside) {
          sr_colour_transform_apply(cin_to_aces, sa, 1, 3);
          for (int c = 0; c < 3; c++)
            worst_outside = fmax(worst_outside, fabs(m[c] - sa[c]) / fmax(1e-3, fabs(sa[c])));
          continue;
        }
        if (sd[0] < 0 || sd[0] > 1 || sd[1] < 0 || sd[1] > 1 || sd[2] < 0 || sd[2] > 1)
          continue; /* clipped into the domain: kept as it was, not measured */
        float ys[3], ym[3];
        sr_rgb_to_ycbcr(SR_YCBCR_BT709, sd, ys, 1, 3);
        sr_rgb_to_ycbcr(SR_YCBCR_BT709, md, ym, 1, 3);
        double dc = fmax(fabs(ym[1] - ys[1]), fabs(ym[2] - ys[2]));
        worst = fmax(worst, dc);
        sum += dc;
        luma_moved = fmax(luma_moved, fabs(ym[0] - ys[0]));
        n++;
      }
    sr_image_free(master);
    sr_image_free(src);
    masters++;
  }
  sr_colour_transform_free(aces_to_domain);
  sr_colour_transform_free(cin_to_domain);
  sr_colour_transform_free(cin_to_aces);
  g_test_message("Cineon DPX%s → masters: %d frames, %zu pixels, chroma shift max %.2e mean "
                 "%.2e, luma moved up to %.3f, outside the crop %.2e",
                 ocio ? " (OCIO)" : "", masters, n, worst, sum / (double)MAX(n, 1), luma_moved,
                 worst_outside);
  g_assert_cmpint(masters, ==, 4);
  g_assert_cmpuint(n, >, 1000);
  /* The Review stage's chroma-shift limits; the masters are half float. */
  g_assert_cmpfloat(worst, <=, 0.004);
  g_assert_cmpfloat(sum / (double)n, <=, 0.0005);
  /* Outside the crop: the Source, through two half-float files (the render
   * holds Cineon codes to a quarter of a 10-bit step, ~1e-3 in linear light
   * at the curve's slope; the master adds 2^-11). */
  g_assert_cmpfloat(worst_outside, <=, 3e-3);
  g_assert_cmpfloat(luma_moved, >, 0.0);
}

static void
test_cineon_dpx(void)
{
  run_cineon_dpx(FALSE);
}

/* The same through OpenColorIO, checked against the LittleCMS path. */
static void
test_cineon_dpx_ocio(void)
{
  if (!sr_ocio_available()) {
    g_test_skip("built without OpenColorIO");
    return;
  }
  run_cineon_dpx(TRUE);
}

static void
remove_tree(const char *path)
{
  GDir *d = g_dir_open(path, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d))) {
      char *p = g_build_filename(path, name, NULL);
      remove_tree(p);
      g_free(p);
    }
    g_dir_close(d);
    g_rmdir(path);
  } else {
    g_remove(path);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp("sr-e2e-train-XXXXXX", NULL);
  g_assert_nonnull(tmpdir);
  write_frames(8);
  g_test_add_func("/e2e/train-render", test_train_render);
  g_test_add_func("/e2e/train-errors", test_errors);
  g_test_add_func("/e2e/devices", test_devices);
  g_test_add_func("/e2e/project-mode", test_project_mode);
  g_test_add_func("/e2e/cineon-dpx", test_cineon_dpx);
  g_test_add_func("/e2e/cineon-dpx-ocio", test_cineon_dpx_ocio);
  int rc = g_test_run();
  remove_tree(tmpdir);
  g_free(tmpdir);
  return rc;
}
