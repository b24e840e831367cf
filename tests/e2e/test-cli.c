/* End-to-end: `demo`, `check` and `prepare` through the real CLI binary
 * ($SR_CLI), on good data and on each kind of bad input. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sr-io.h"
#include "sr-project.h"

typedef struct {
  int status;
  char *out;
  char *err;
} Run;

static void
run_clear(Run *r)
{
  g_free(r->out);
  g_free(r->err);
  memset(r, 0, sizeof *r);
}

static Run
run_cli(const char *first, ...)
{
  const char *cli = g_getenv("SR_CLI");
  g_assert_nonnull(cli);
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (char *)cli);
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
    g_ptr_array_add(argv, (char *)a);
  va_end(ap);
  g_ptr_array_add(argv, NULL);
  Run r = {0};
  int wait_status = 0;
  GError *error = NULL;
  if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                    &wait_status, &error))
    g_error("cannot run %s: %s", cli, error->message);
  g_ptr_array_free(argv, TRUE);
  r.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  return r;
}

/* Every stderr line is one of ours: no crash output, criticals or traces. */
static void
assert_clean_messages(const Run *r, const char *command)
{
  g_autofree char *prefix = g_strdup_printf("spatial-recovery-cli %s: ", command);
  char **lines = g_strsplit(r->err, "\n", -1);
  int n = 0;
  for (char **l = lines; *l != NULL; l++) {
    if (**l == '\0')
      continue;
    n++;
    if (!g_str_has_prefix(*l, prefix))
      g_error("unexpected stderr line from %s: '%s'", command, *l);
  }
  g_strfreev(lines);
  g_assert_cmpint(n, >=, 1);
}

static void
remove_tree(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
    g_chmod(path, 0755);
    GDir *d = g_dir_open(path, 0, NULL);
    if (d != NULL) {
      const char *name;
      while ((name = g_dir_read_name(d)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        remove_tree(child);
      }
      g_dir_close(d);
    }
    g_rmdir(path);
  } else {
    g_remove(path);
  }
}

static int
count_entries(const char *dir)
{
  GDir *d = g_dir_open(dir, 0, NULL);
  if (d == NULL)
    return -1;
  int n = 0;
  while (g_dir_read_name(d) != NULL)
    n++;
  g_dir_close(d);
  return n;
}

/* A small demo (8 frames 160x120, no grain) in a fresh temporary folder:
 * pairs 1, 3, 6; held out 2, 8; preview 5. */
static char *
make_demo(const char *size)
{
  char *dir = g_dir_make_tmp("sr-e2e-XXXXXX", NULL);
  g_assert_nonnull(dir);
  Run r = run_cli("demo", dir, "--frames", "8", "--size", size, "--no-grain", "--no-train",
                  "--progress", "quiet", NULL);
  if (r.status != 0)
    g_error("demo failed (%d): %s\n%s", r.status, r.out, r.err);
  run_clear(&r);
  return dir;
}

static void
test_demo_check_prepare(void)
{
  g_autofree char *dir = make_demo("160x120");
  for (int f = 1; f <= 8; f++) {
    g_autofree char *s = g_strdup_printf("%s/source/demo_src.%04d.exr", dir, f);
    g_autofree char *r = g_strdup_printf("%s/reference/demo_ref.%04d.exr", dir, f);
    g_assert_true(g_file_test(s, G_FILE_TEST_IS_REGULAR));
    g_assert_true(g_file_test(r, G_FILE_TEST_IS_REGULAR));
  }
  g_autofree char *project = g_build_filename(dir, "demo.srproj", NULL);

  /* The frames are ACES2065-1 EXRs with chromaticities. */
  g_autofree char *frame1 = g_build_filename(dir, "source", "demo_src.0001.exr", NULL);
  sr_error err;
  sr_image *img = sr_image_read(frame1, &err);
  g_assert_nonnull(img);
  g_assert_cmpint(img->width, ==, 160);
  g_assert_cmpint(img->height, ==, 120);
  g_assert_true(img->has_chromaticities);
  float aces[8];
  sr_colourspace_chromaticities(SR_CS_ACES2065_1, aces);
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat(fabsf(img->chromaticities[i] - aces[i]), <, 1e-4f);
  sr_image_free(img);

  /* The project names everything relative to itself. */
  GFile *file = g_file_new_for_path(project);
  GError *error = NULL;
  SrProject *p = sr_project_load(file, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(sr_project_get_source_pattern(p), ==, "source/demo_src.%04d.exr");
  g_assert_cmpuint(sr_project_get_pairs(p)->len, ==, 3);
  g_assert_cmpuint(sr_project_get_held_out(p)->len, ==, 2);
  g_assert_cmpint(sr_project_get_preview_frame(p), ==, 5);
  g_assert_cmpint(sr_project_get_source_colourspace(p), ==, SR_CS_ACES2065_1);
  sr_rect crop = sr_project_get_crop(p);
  g_assert_cmpint(crop.w, >, 0);
  SrTrainingSettings t;
  sr_project_get_training(p, &t);
  g_assert_cmpint(t.model_size, ==, SR_MODEL_SIZE_S);
  g_assert_cmpint(t.steps, ==, 1200);
  g_assert_cmpint(t.checkpoint_every, ==, 400);
  g_assert_cmpstr(sr_project_get_provenance(p)->shot_id, !=, "");
  g_object_unref(p);
  g_object_unref(file);

  Run r = run_cli("check", project, NULL);
  if (r.status != 0)
    g_error("check failed (%d): %s\n%s", r.status, r.out, r.err);
  g_assert_nonnull(strstr(r.out, "PASS  chroma-identity"));
  g_assert_null(strstr(r.out, "FAIL"));
  run_clear(&r);

  r = run_cli("check", "--json", project, NULL);
  g_assert_cmpint(r.status, ==, 0);
  JsonParser *parser = json_parser_new();
  g_assert_true(json_parser_load_from_data(parser, r.out, -1, NULL));
  JsonObject *root = json_node_get_object(json_parser_get_root(parser));
  g_assert_cmpstr(json_object_get_string_member(root, "status"), !=, "FAIL");
  g_assert_cmpint(json_object_get_int_member(root, "fail"), ==, 0);
  g_assert_cmpuint(json_array_get_length(json_object_get_array_member(root, "checks")), >, 10);
  g_object_unref(parser);
  run_clear(&r);

  g_autofree char *out = g_build_filename(dir, "prep", NULL);
  r = run_cli("prepare", project, "--out", out, "--progress", "quiet", NULL);
  if (r.status != 0)
    g_error("prepare failed (%d): %s\n%s", r.status, r.out, r.err);
  run_clear(&r);
  const int pairs[] = {1, 3, 6};
  for (int i = 0; i < 3; i++) {
    g_autofree char *in = g_strdup_printf("%s/pairs/pair_%04d_input.exr", out, pairs[i]);
    g_autofree char *gt = g_strdup_printf("%s/pairs/pair_%04d_gt.exr", out, pairs[i]);
    g_assert_true(g_file_test(in, G_FILE_TEST_IS_REGULAR));
    g_assert_true(g_file_test(gt, G_FILE_TEST_IS_REGULAR));
    sr_image *a = sr_image_read(in, &err);
    sr_image *b = sr_image_read(gt, &err);
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_cmpint(a->width, ==, crop.w);
    g_assert_cmpint(a->height, ==, crop.h);
    g_assert_cmpint(b->width, ==, crop.w);
    g_assert_cmpint(a->channels, ==, 3);
    sr_image_free(a);
    sr_image_free(b);
  }
  g_autofree char *pairs_dir = g_build_filename(out, "pairs", NULL);
  g_assert_cmpint(count_entries(pairs_dir), ==, 7); /* six pair files and the manifest */
  g_autofree char *json = g_build_filename(out, "check-report.json", NULL);
  g_autofree char *txt = g_build_filename(out, "check-report.txt", NULL);
  g_assert_true(g_file_test(json, G_FILE_TEST_IS_REGULAR));
  g_assert_true(g_file_test(txt, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint(count_entries(out), ==, 3); /* pairs/, two reports, no staging left */

  /* Preparing again replaces the set cleanly. */
  r = run_cli("prepare", project, "--out", out, "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, ==, 0);
  run_clear(&r);
  g_assert_cmpint(count_entries(pairs_dir), ==, 7); /* six pair files and the manifest */
  g_assert_cmpint(count_entries(out), ==, 3);

  /* A failing prepare leaves the previous pairs as they were. */
  g_autofree char *victim = g_build_filename(dir, "source", "demo_src.0003.exr", NULL);
  g_assert_true(g_file_set_contents(victim, "not an image", -1, NULL));
  r = run_cli("prepare", project, "--out", out, "--progress", "quiet", NULL);
  g_assert_cmpint(r.status, !=, 0);
  assert_clean_messages(&r, "prepare");
  run_clear(&r);
  g_assert_cmpint(count_entries(pairs_dir), ==, 7); /* six pair files and the manifest */
  g_assert_cmpint(count_entries(out), ==, 3);
  remove_tree(dir);
}

/* The whole demo as the README runs it, on small frames: data, checks,
 * training, held-out renders and the PSNR report. */
static void
test_demo_full(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-e2e-XXXXXX", NULL);
  Run r = run_cli("demo", dir, "--frames", "6", "--size", "160x112", "--no-grain", "--progress",
                  "quiet", NULL);
  if (r.status != 0)
    g_error("demo failed (%d): %s\n%s", r.status, r.out, r.err);
  g_assert_nonnull(strstr(r.out, "held-out PSNR of Y against the Reference"));
  const char *mean = strstr(r.out, "  mean ");
  g_assert_nonnull(mean);
  double before = 0, after = 0, gain = 0;
  g_assert_cmpint(sscanf(mean, " mean %lf dB %lf dB %lf dB", &before, &after, &gain), ==, 3);
  /* Frames it never saw come out closer to the Reference than the Source. */
  g_assert_cmpfloat(after, >, before + 1.0);
  g_assert_cmpfloat_with_epsilon(gain, after - before, 0.011);
  g_autofree char *latest =
      g_build_filename(dir, "output", "training", "checkpoints", "latest.safetensors", NULL);
  g_assert_true(g_file_test(latest, G_FILE_TEST_IS_REGULAR));
  g_autofree char *held = g_build_filename(dir, "output", "held-out", NULL);
  g_assert_cmpint(count_entries(held), ==, 2);
  run_clear(&r);
  remove_tree(dir);
}

static void
test_demo_json_progress(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-e2e-XXXXXX", NULL);
  Run r = run_cli("demo", dir, "--frames", "4", "--size", "96x96", "--no-grain", "--no-train",
                  "--progress", "json", NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "{\"event\":\"progress\",\"task\":\"demo frames\",\"done\":4,"
                                 "\"total\":4"));
  g_assert_nonnull(strstr(r.out, "{\"event\":\"finish\""));
  run_clear(&r);
  remove_tree(dir);
}

static void
test_demo_bad_arguments(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-e2e-XXXXXX", NULL);
  g_autofree char *target = g_build_filename(dir, "d", NULL);
  const char *cases[][3] = {
      {"--frames", "2", "--frames"},
      {"--size", "10x10", "--size"},
      {"--size", "wide", "--size"},
      {"--progress", "loud", "--progress"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    Run r = run_cli("demo", target, cases[i][0], cases[i][1], NULL);
    g_assert_cmpint(r.status, ==, 2);
    assert_clean_messages(&r, "demo");
    g_assert_nonnull(strstr(r.err, cases[i][2]));
    run_clear(&r);
    g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
  }
  Run r = run_cli("check", NULL);
  g_assert_cmpint(r.status, ==, 2);
  run_clear(&r);
  remove_tree(dir);
}

/* ---- Bad input -------------------------------------------------------------- */

typedef void (*Breaker)(const char *dir);

static char *
frame_path(const char *dir, const char *which, int frame)
{
  return g_strdup_printf("%s/%s/demo_%s.%04d.exr", dir, which,
                         strcmp(which, "source") == 0 ? "src" : "ref", frame);
}

static void
break_corrupt_exr(const char *dir)
{
  g_autofree char *path = frame_path(dir, "source", 3);
  char *data;
  gsize len;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  /* Scramble the second half: headers intact, pixel data garbage. */
  for (gsize i = len / 2; i < len; i++)
    data[i] = (char)(0x5a ^ (i * 31));
  g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
  g_free(data);
}

static void
break_truncated_exr(const char *dir)
{
  g_autofree char *path = frame_path(dir, "reference", 6);
  char *data;
  gsize len;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  g_assert_true(g_file_set_contents(path, data, (gssize)(len * 6 / 10), NULL));
  g_free(data);
}

static void
break_wrong_magic(const char *dir)
{
  g_autofree char *path = frame_path(dir, "source", 1);
  char *data;
  gsize len;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  memcpy(data, "JUNK", 4);
  g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
  g_free(data);
}

static void
break_missing_frame(const char *dir)
{
  g_autofree char *path = frame_path(dir, "source", 6);
  g_assert_cmpint(g_remove(path), ==, 0);
}

static void
break_mismatched_sizes(const char *dir)
{
  g_autofree char *other = make_demo("176x128");
  for (int f = 1; f <= 8; f++) {
    g_autofree char *from = frame_path(other, "reference", f);
    g_autofree char *to = frame_path(dir, "reference", f);
    g_assert_cmpint(g_rename(from, to), ==, 0);
  }
  remove_tree(other);
}

static void
break_nan_pixels(const char *dir)
{
  g_autofree char *path = frame_path(dir, "source", 3);
  sr_error err;
  sr_image *img = sr_image_read(path, &err);
  g_assert_nonnull(img);
  for (int i = 0; i < 40; i++)
    img->pixels[(size_t)(60 * img->width + 40 + i) * img->channels] = NAN;
  sr_write_options opts;
  sr_write_options_init(&opts);
  g_assert_true(sr_image_write(path, img, &opts, &err));
  sr_image_free(img);
}

static void
edit_project(const char *dir, void (*edit)(SrProject *p))
{
  g_autofree char *path = g_build_filename(dir, "demo.srproj", NULL);
  GFile *file = g_file_new_for_path(path);
  GError *error = NULL;
  SrProject *p = sr_project_load(file, &error);
  g_assert_no_error(error);
  edit(p);
  g_assert_true(sr_project_save(p, file, &error));
  g_assert_no_error(error);
  g_object_unref(p);
  g_object_unref(file);
}

static void
set_outside_crop(SrProject *p)
{
  sr_project_set_crop(p, (sr_rect){100, 80, 100, 80});
}

static void
break_crop_outside(const char *dir)
{
  edit_project(dir, set_outside_crop);
}

static void
break_unreadable_folder(const char *dir)
{
  /* A file where the Source folder should be: unreadable even for root. */
  g_autofree char *src = g_build_filename(dir, "source", NULL);
  remove_tree(src);
  g_assert_true(g_file_set_contents(src, "not a folder", -1, NULL));
}

static void
break_unreadable_permissions(const char *dir)
{
  g_autofree char *ref = g_build_filename(dir, "reference", NULL);
  g_assert_cmpint(g_chmod(ref, 0), ==, 0);
}

static void
break_project_file(const char *dir)
{
  g_autofree char *path = g_build_filename(dir, "demo.srproj", NULL);
  g_assert_true(g_file_set_contents(path, "{ \"schema\": 1, \"source\": ", -1, NULL));
}

static void
break_project_field(const char *dir)
{
  g_autofree char *path = g_build_filename(dir, "demo.srproj", NULL);
  char *data;
  g_assert_true(g_file_get_contents(path, &data, NULL, NULL));
  char *at = strstr(data, "\"pairs\" : [");
  g_assert_nonnull(at);
  at += strlen("\"pairs\" : [");
  while (*at == ' ' || *at == '\n')
    at++;
  char *end = strchr(at, ',');
  g_assert_nonnull(end);
  /* The first frame number becomes a string. */
  g_autofree char *broken = g_strdup_printf("%.*s\"one\"%s", (int)(at - data), data, end);
  g_free(data);
  data = g_steal_pointer(&broken);
  g_assert_true(g_file_set_contents(path, data, -1, NULL));
  g_free(data);
}

/* 100,000 levels of nesting crashed the project loader. */
static void
break_project_nesting(const char *dir)
{
  g_autofree char *path = g_build_filename(dir, "demo.srproj", NULL);
  GString *s = g_string_new("{\"schema\": 1, \"deep\": ");
  for (int i = 0; i < 100000; i++)
    g_string_append_c(s, '[');
  g_assert_true(g_file_set_contents(path, s->str, (gssize)s->len, NULL));
  g_string_free(s, TRUE);
}

/* A number too large for 64 bits was reported as "-1 is outside". */
static void
break_project_integer_overflow(const char *dir)
{
  g_autofree char *path = g_build_filename(dir, "demo.srproj", NULL);
  g_autofree char *data = NULL;
  g_assert_true(g_file_get_contents(path, &data, NULL, NULL));
  g_auto(GStrv) parts = g_strsplit(data, "\"steps\" : 1200", 2);
  g_assert_nonnull(parts[1]);
  g_autofree char *broken = g_strjoinv("\"steps\" : 184467440737095516160", parts);
  g_assert_true(g_file_set_contents(path, broken, -1, NULL));
}

/* A FIFO in place of a frame blocked every reader for ever. */
static void
break_frame_fifo(const char *dir)
{
  g_autofree char *path = frame_path(dir, "source", 3);
  g_assert_cmpint(g_remove(path), ==, 0);
  g_assert_cmpint(mkfifo(path, 0600), ==, 0);
}

typedef struct {
  const char *name;
  Breaker breaker;
  const char *needle; /* must appear in what the user sees */
  gboolean project_unreadable;
} BadCase;

static const BadCase bad_cases[] = {
    {"corrupt-exr", break_corrupt_exr, "demo_src.0003.exr", FALSE},
    {"truncated-exr", break_truncated_exr, "demo_ref.0006.exr", FALSE},
    {"wrong-magic", break_wrong_magic, "demo_src.0001.exr", FALSE},
    {"missing-frame", break_missing_frame, "missing", FALSE},
    {"mismatched-sizes", break_mismatched_sizes, "176", FALSE},
    {"nan-pixels", break_nan_pixels, "NaN", FALSE},
    {"crop-outside", break_crop_outside, "crop", FALSE},
    {"unreadable-folder", break_unreadable_folder, "source", FALSE},
    {"unreadable-permissions", break_unreadable_permissions, "reference", FALSE},
    {"malformed-project", break_project_file, "demo.srproj", TRUE},
    {"project-wrong-type", break_project_field, "pairs[0]", TRUE},
    {"project-nested-deep", break_project_nesting, "nested deeper than", TRUE},
    {"project-integer-overflow", break_project_integer_overflow,
     "184467440737095516160 is too large", TRUE},
    {"frame-fifo", break_frame_fifo, "demo_src.0003.exr", FALSE},
};

static void
test_bad_input(gconstpointer data)
{
  const BadCase *bc = data;
  if (bc->breaker == break_unreadable_permissions && geteuid() == 0) {
    g_test_skip("permissions do not stop root from reading");
    return;
  }
  g_autofree char *dir = make_demo("160x120");
  bc->breaker(dir);
  g_autofree char *project = g_build_filename(dir, "demo.srproj", NULL);

  Run r = run_cli("check", project, NULL);
  if (r.status != 1 || (strstr(r.out, bc->needle) == NULL && strstr(r.err, bc->needle) == NULL))
    g_error("%s: check gave %d, expected 1 and '%s' in:\n%s%s", bc->name, r.status, bc->needle,
            r.out, r.err);
  if (bc->project_unreadable)
    assert_clean_messages(&r, "check");
  else
    g_assert_nonnull(strstr(r.out, "FAIL"));
  g_test_message("check: %s%s", r.out, r.err);
  run_clear(&r);

  g_autofree char *out = g_build_filename(dir, "prepared", NULL);
  r = run_cli("prepare", project, "--progress", "quiet", NULL);
  if (r.status != 1 || strstr(r.err, bc->needle) == NULL)
    g_error("%s: prepare gave %d, expected 1 and '%s' on stderr:\n%s%s", bc->name, r.status,
            bc->needle, r.out, r.err);
  assert_clean_messages(&r, "prepare");
  g_test_message("prepare: %s", r.err);
  run_clear(&r);
  /* Nothing written, not even the output folder. */
  g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
  remove_tree(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/demo-check-prepare", test_demo_check_prepare);
  g_test_add_func("/cli/demo-json-progress", test_demo_json_progress);
  g_test_add_func("/cli/demo-full", test_demo_full);
  g_test_add_func("/cli/demo-bad-arguments", test_demo_bad_arguments);
  for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
    g_autofree char *path = g_strdup_printf("/cli/bad-input/%s", bad_cases[i].name);
    g_test_add_data_func(path, &bad_cases[i], test_bad_input);
  }
  return g_test_run();
}
