/* End to end with movie files through the real CLI ($SR_CLI): a project
 * whose Source is FFV1/Matroska and whose Reference is ProRes/QuickTime is
 * checked (index cached beside the project, movie facts reported), trained
 * on, and rendered to the usual image sequence, frame for frame the same as
 * a render of the PNG frames the movie was made from. Skips (77) without
 * ffmpeg. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include <json-glib/json-glib.h>

#include "sr-io.h"
#include "sr-project.h"
#include "sr-telecine.h"
#include "sr-test-movie.h"

#define W      96
#define H      64
#define FRAMES 8

typedef struct {
  int status;
  char *out, *err;
} Run;

static Run
run_cli(const char *first, ...)
{
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (char *)g_getenv("SR_CLI"));
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
    g_ptr_array_add(argv, (char *)a);
  va_end(ap);
  g_ptr_array_add(argv, NULL);
  Run r = {0};
  int ws = 0;
  GError *error = NULL;
  if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                    &ws, &error))
    g_error("cannot run the CLI: %s", error->message);
  g_ptr_array_free(argv, TRUE);
  r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  return r;
}

static void
run_clear(Run *r)
{
  g_free(r->out);
  g_free(r->err);
}

static void
remove_tree(const char *path)
{
  GDir *d = g_dir_open(path, 0, NULL);
  if (d != NULL) {
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      remove_tree(child);
    }
    g_dir_close(d);
    g_rmdir(path);
  } else {
    g_remove(path);
  }
}

/* Textured frames with motion; the Reference is the same picture with
 * another tone curve, as a second element would be. */
static sr_image *
make_frame(int f, bool reference)
{
  sr_image *img = sr_image_new(W, H, 3, NULL);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double v = 0.5 + 0.2 * sin((x + 2.0 * f) * 0.45) * cos((y - f) * 0.33) +
                 0.15 * sin((x * 0.9 + y * 1.7) * 0.8 + f);
      for (int c = 0; c < 3; c++) {
        double t = fmin(fmax(v * (0.8 + 0.1 * c), 0.0), 1.0);
        sr_image_row(img, y)[3 * x + c] = (float)(reference ? pow(t, 0.9) : t);
      }
    }
  return img;
}

static void
make_clip(const char *dir, const char *sub, bool reference, const char *args, const char *out)
{
  g_autofree char *frames = g_build_filename(dir, sub, NULL);
  g_mkdir(frames, 0700);
  sr_image *img[FRAMES];
  for (int i = 0; i < FRAMES; i++)
    img[i] = make_frame(i, reference);
  sr_test_write_frames(frames, img, FRAMES);
  for (int i = 0; i < FRAMES; i++)
    sr_image_free(img[i]);
  sr_test_encode(frames, "24", args, out);
}

static void
test_movie_project(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-movie-e2e-XXXXXX", NULL);
  g_autofree char *src = g_build_filename(dir, "scan.mkv", NULL);
  g_autofree char *ref = g_build_filename(dir, "telecine.mov", NULL);
  make_clip(dir, "src", false, "-c:v ffv1 -pix_fmt rgb48le", src);
  make_clip(dir, "ref", true, "-c:v prores_ks -profile:v 4444 -pix_fmt yuv444p10le", ref);

  /* The project names both movies relative to its folder. */
  g_autoptr(SrProject) p = sr_project_new();
  sr_project_set_source_pattern(p, "scan.mkv");
  sr_project_set_reference_pattern(p, "telecine.mov");
  sr_project_set_source_colourspace(p, SR_CS_SRGB);
  sr_project_set_reference_colourspace(p, SR_CS_SRGB);
  int pairs[] = {1, 4};
  sr_project_add_pairs(p, pairs, 2);
  g_autofree char *proj = g_build_filename(dir, "reel.srproj", NULL);
  g_autoptr(GFile) pf = g_file_new_for_path(proj);
  GError *error = NULL;
  g_assert_true(sr_project_save(p, pf, &error));

  Run r = run_cli("check", proj, "--json", NULL);
  g_test_message("%s", r.out);
  g_assert_nonnull(strstr(r.out, "\"source-movie\""));
  g_assert_nonnull(strstr(r.out, "\"reference-movie\""));
  g_assert_nonnull(strstr(r.out, "frames 0-7"));
  g_assert_null(strstr(r.out, "pair-build"));
  run_clear(&r);
  g_autofree char *index = g_build_filename(dir, ".sr-movie-index", NULL);
  g_assert_true(g_file_test(index, G_FILE_TEST_IS_DIR));
  g_autoptr(GDir) d = g_dir_open(index, 0, NULL);
  int n = 0;
  while (g_dir_read_name(d))
    n++;
  g_assert_cmpint(n, ==, 2);

  /* Train on the movies, render the Source movie and its PNG frames. */
  g_autofree char *train = g_build_filename(dir, "train", NULL);
  r = run_cli("train", "--source", src, "--reference", ref, "--pairs", "1,4", "--colorspace",
              "srgb", "--model", "s", "--patch", "32", "--batch", "1", "--steps", "4",
              "--checkpoint-every", "4", "--contact-sheet-every", "0", "--backend", "cpu",
              "--threads", "1", "--progress", "quiet", "--out", train, NULL);
  if (r.status != 0)
    g_error("train failed (%d): %s", r.status, r.err);
  run_clear(&r);
  g_autofree char *model = g_build_filename(train, "checkpoints", "latest.safetensors", NULL);
  g_autofree char *out_m = g_build_filename(dir, "rm", "r.%04d.exr", NULL);
  g_autofree char *out_p = g_build_filename(dir, "rp", "r.%04d.exr", NULL);
  g_autofree char *pngs = g_build_filename(dir, "src", "f%04d.png", NULL);
  r = run_cli("render", "--model", model, "--input", src, "--output", out_m, "--backend", "cpu",
              "--progress", "quiet", NULL);
  if (r.status != 0)
    g_error("render of the movie failed (%d): %s", r.status, r.err);
  run_clear(&r);
  r = run_cli("render", "--model", model, "--input", pngs, "--output", out_p, "--backend", "cpu",
              "--progress", "quiet", NULL);
  if (r.status != 0)
    g_error("render of the frames failed (%d): %s", r.status, r.err);
  run_clear(&r);
  for (int f = 0; f < FRAMES; f++) {
    g_autofree char *a = g_strdup_printf("%s/rm/r.%04d.exr", dir, f);
    g_autofree char *b = g_strdup_printf("%s/rp/r.%04d.exr", dir, f);
    sr_image *ia = sr_image_read(a, NULL), *ib = sr_image_read(b, NULL);
    g_assert_nonnull(ia);
    g_assert_nonnull(ib);
    g_assert_cmpmem(ia->pixels, sr_image_n_floats(ia) * 4, ib->pixels, sr_image_n_floats(ib) * 4);
    sr_image_free(ia);
    sr_image_free(ib);
  }
  remove_tree(dir);
}

/* A 3:2 telecine with an offset and a dropped frame, as an interlaced
 * ProRes movie against an FFV1 scan: `sync --apply` finds the simulated map
 * exactly and stores it in the project. */
static void
test_sync_telecine(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-sync-e2e-XXXXXX", NULL);
  sr_simulator_options sim;
  sr_simulator_options_init(&sim);
  sim.width = 128;
  sim.height = 96;
  sim.grain = false;
  sim.output_space = SR_CS_REC709;
  sr_telecine_options t;
  sr_telecine_options_init(&t);
  t.offset = 3;
  t.cadence = SR_CADENCE_32;
  t.phase = 2;
  t.drop = 14;
  t.motion = 8;
  const int n_src = 20, n_ref = 27;
  g_autofree char *sdir = g_build_filename(dir, "s", NULL),
                  *rdir = g_build_filename(dir, "r", NULL);
  g_mkdir(sdir, 0700);
  g_mkdir(rdir, 0700);
  sr_image *frames[32];
  for (int i = 0; i < n_src; i++) {
    sr_image *ref = NULL;
    g_assert_true(sr_telecine_film_frame(&sim, &t, i, &frames[i], &ref, NULL));
    sr_image_free(ref);
  }
  sr_test_write_frames(sdir, frames, n_src);
  for (int i = 0; i < n_src; i++)
    sr_image_free(frames[i]);
  for (int i = 0; i < n_ref; i++)
    g_assert_nonnull(frames[i] = sr_telecine_render_frame(&sim, &t, i, NULL));
  sr_test_write_frames(rdir, frames, n_ref);
  for (int i = 0; i < n_ref; i++)
    sr_image_free(frames[i]);
  g_autofree char *src = g_build_filename(dir, "scan.mkv", NULL);
  g_autofree char *ref = g_build_filename(dir, "telecine.mov", NULL);
  sr_test_encode(sdir, "24", "-c:v ffv1 -pix_fmt rgb48le", src);
  sr_test_encode(rdir, "30000/1001",
                 "-c:v prores_ks -profile:v 3 -pix_fmt yuv422p10le -flags +ildct+ilme "
                 "-field_order tt",
                 ref);

  g_autoptr(SrProject) p = sr_project_new();
  sr_project_set_source_pattern(p, "scan.mkv");
  sr_project_set_reference_pattern(p, "telecine.mov");
  g_autofree char *proj = g_build_filename(dir, "reel.srproj", NULL);
  g_autoptr(GFile) pf = g_file_new_for_path(proj);
  g_assert_true(sr_project_save(p, pf, NULL));

  Run r = run_cli("sync", proj, "--apply", "--json", "--progress", "quiet", NULL);
  if (r.status != 0)
    g_error("sync failed (%d): %s", r.status, r.err);
  g_test_message("%s", r.out);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_assert_true(json_parser_load_from_data(parser, r.out, -1, NULL));
  JsonObject *o = json_node_get_object(json_parser_get_root(parser));
  g_assert_cmpint(json_object_get_int_member(o, "offset"), ==, 3);
  g_assert_cmpstr(json_object_get_string_member(o, "cadence"), ==, "3:2");
  g_assert_true(json_object_get_boolean_member(o, "applied"));
  run_clear(&r);

  sr_frame_map truth;
  g_assert_true(sr_telecine_truth(&t, &truth, NULL));
  g_autoptr(SrProject) back = sr_project_load(pf, NULL);
  g_assert_nonnull(back);
  sr_frame_map found;
  sr_project_get_frame_map(back, &found);
  char a[256], b[256];
  sr_frame_map_describe(&found, a, sizeof a);
  sr_frame_map_describe(&truth, b, sizeof b);
  g_assert_cmpstr(a, ==, b);
  g_assert_true(sr_frame_map_equal(&found, &truth));
  /* The text report names the field-mixed frames and the interlacing. */
  r = run_cli("sync", proj, "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "3:2 cadence phase 2"));
  g_assert_nonnull(strstr(r.out, "field-mixed"));
  run_clear(&r);
  r = run_cli("check", proj, NULL);
  g_assert_nonnull(strstr(r.out, "interlaced"));
  run_clear(&r);
  sr_frame_map_clear(&found);
  sr_frame_map_clear(&truth);
  remove_tree(dir);
}

/* `demo --telecine` writes a transfer whose map `sync` finds exactly. */
static void
test_demo_telecine(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-demo-tc-XXXXXX", NULL);
  Run r = run_cli("demo", dir, "--telecine", "--frames", "16", "--size", "160x120", "--no-grain",
                  "--drop-reference-frame", "11", "--progress", "quiet", NULL);
  if (r.status != 0)
    g_error("demo --telecine failed (%d): %s", r.status, r.err);
  g_assert_nonnull(strstr(r.out, "sync"));
  run_clear(&r);
  g_autofree char *proj = g_build_filename(dir, "demo.srproj", NULL);
  r = run_cli("sync", proj, "--apply", "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 0);
  run_clear(&r);
  sr_telecine_options t;
  sr_telecine_options_init(&t);
  t.offset = 3;
  t.cadence = SR_CADENCE_32;
  t.phase = 1;
  t.drop = 11;
  sr_frame_map truth, found;
  g_assert_true(sr_telecine_truth(&t, &truth, NULL));
  g_autoptr(GFile) pf = g_file_new_for_path(proj);
  g_autoptr(SrProject) p = sr_project_load(pf, NULL);
  sr_project_get_frame_map(p, &found);
  g_assert_true(sr_frame_map_equal(&found, &truth));
  r = run_cli("demo", dir, "--pulldown", "4:4", NULL);
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "--pulldown"));
  run_clear(&r);
  sr_frame_map_clear(&truth);
  sr_frame_map_clear(&found);
  remove_tree(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  sr_test_require_ffmpeg();
  g_autofree char *cache = g_dir_make_tmp("sr-movie-cache-XXXXXX", NULL);
  g_setenv("XDG_CACHE_HOME", cache, TRUE);
  g_test_add_func("/cli/movie/project-train-render", test_movie_project);
  g_test_add_func("/cli/movie/sync-telecine", test_sync_telecine);
  g_test_add_func("/cli/movie/demo-telecine", test_demo_telecine);
  int rc = g_test_run();
  remove_tree(cache);
  return rc;
}
