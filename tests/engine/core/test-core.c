/* Unit tests for engine/core: errors, images, atomic writes, the RNG. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include <sys/types.h>
#include <unistd.h>

#include "sr-error.h"
#include "sr-fs.h"
#include "sr-image.h"
#include "sr-json.h"
#include "sr-memory.h"
#include "sr-rng.h"
#include "sr-time.h"

static void
test_error_messages(void)
{
  sr_error err = {0};
  sr_error_set(&err, SR_ERR_FORMAT, "bad magic in %s", "a.exr");
  g_assert_cmpint(err.code, ==, SR_ERR_FORMAT);
  g_assert_cmpstr(err.message, ==, "bad magic in a.exr");
  sr_error_prefix(&err, "frame %d: ", 12);
  g_assert_cmpstr(err.message, ==, "frame 12: bad magic in a.exr");
  sr_error_set_errno(&err, ENOSPC, "cannot write %s", "out.exr");
  g_assert_cmpint(err.code, ==, SR_ERR_NOSPACE);
  g_assert_nonnull(strstr(err.message, "out.exr"));
  g_assert_nonnull(strstr(err.message, "free some space"));
  sr_error_set(NULL, SR_ERR_IO, "ignored"); /* NULL is allowed */
}

static void
test_image_basics(void)
{
  sr_error err = {0};
  g_assert_null(sr_image_new(0, 10, 3, &err));
  g_assert_nonnull(strstr(err.message, "empty"));
  g_assert_null(sr_image_new(70000, 10, 3, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_NOMEM);
  g_assert_null(sr_image_new(10, 10, 2, &err));

  sr_image *img = sr_image_new(8, 6, 4, &err);
  g_assert_nonnull(img);
  for (size_t i = 0; i < sr_image_n_floats(img); i++)
    img->pixels[i] = (float)i;
  img->data_window = (sr_rect){100, 50, 8, 6};
  img->display_window = (sr_rect){0, 0, 200, 100};
  g_assert_true(sr_image_set_attribute(img, "shot", "A001", &err));
  g_assert_true(sr_image_set_attribute(img, "shot", "A002", &err));
  g_assert_cmpstr(sr_image_get_attribute(img, "shot"), ==, "A002");
  g_assert_cmpint(img->n_attributes, ==, 1);

  sr_image *crop = sr_image_crop(img, (sr_rect){2, 1, 3, 4}, &err);
  g_assert_nonnull(crop);
  g_assert_cmpint(crop->width, ==, 3);
  g_assert_cmpint(crop->data_window.x, ==, 102);
  g_assert_cmpint(crop->data_window.y, ==, 51);
  g_assert_cmpint(crop->display_window.w, ==, 200);
  g_assert_cmpfloat(crop->pixels[0], ==, img->pixels[(1 * 8 + 2) * 4]);
  g_assert_cmpstr(sr_image_get_attribute(crop, "shot"), ==, "A002");

  g_assert_null(sr_image_crop(img, (sr_rect){6, 0, 4, 4}, &err));
  g_assert_nonnull(strstr(err.message, "outside"));

  sr_image *rgb = sr_image_convert_channels(img, 3, &err);
  g_assert_cmpint(rgb->channels, ==, 3);
  g_assert_cmpfloat(rgb->pixels[3], ==, img->pixels[4]);
  sr_image *y = sr_image_convert_channels(rgb, 1, &err);
  g_assert_cmpfloat_with_epsilon(y->pixels[0], 0.2126f * 0 + 0.7152f * 1 + 0.0722f * 2, 1e-6);

  sr_image *dst = sr_image_new(8, 6, 4, &err);
  sr_image_paste(dst, crop, 6, 4); /* clipped at the right and bottom */
  g_assert_cmpfloat(dst->pixels[(4 * 8 + 6) * 4], ==, crop->pixels[0]);
  g_assert_cmpfloat(dst->pixels[0], ==, 0.0f);

  img->pixels[5] = NAN;
  img->pixels[7] = INFINITY;
  g_assert_cmpuint(sr_image_count_nonfinite(img), ==, 2);

  sr_image_free(dst);
  sr_image_free(y);
  sr_image_free(rgb);
  sr_image_free(crop);
  sr_image_free(img);
}

static void
test_atomic_write(void)
{
  sr_error err = {0};
  g_autofree char *dir = g_dir_make_tmp("sr-core-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "note.txt", NULL);
  g_assert_true(sr_write_file_atomic(path, "first", 5, &err));
  g_assert_true(sr_write_file_atomic(path, "second", 6, &err));
  size_t len = 0;
  char *data = sr_read_file(path, 1 << 20, &len, &err);
  g_assert_cmpstr(data, ==, "second");
  g_assert_cmpuint(len, ==, 6);
  free(data);
  /* Written files get 0666 less the umask, not mkstemp's 0600. */
  mode_t mask = umask(022);
  g_assert_true(sr_write_file_atomic(path, "third", 5, &err));
  umask(mask);
  GStatBuf st;
  g_assert_cmpint(g_stat(path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0644);

  /* An aborted write leaves the old file and no temporary. */
  sr_atomic_file af;
  g_assert_true(sr_atomic_open(&af, path, &err));
  fputs("half", af.fp);
  sr_atomic_abort(&af);
  data = sr_read_file(path, 1 << 20, &len, &err);
  g_assert_cmpstr(data, ==, "third");
  free(data);

  /* A temporary left by a killed process is recognised and removed. */
  char *tmp = sr_atomic_temp_name(path, &err);
  g_assert_nonnull(tmp);
  g_assert_true(g_str_has_suffix(tmp, ".tmp"));
  g_assert_cmpint(sr_fs_remove_stale_temps(dir, "note.txt"), ==, 1);
  g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
  free(tmp);

  /* Temporaries of one target are created under their ".tmp" name in one
   * step, each distinct, with nothing else left in the folder: no moment
   * exists where another process could take the same name. */
  char *names[16];
  for (int i = 0; i < 16; i++) {
    names[i] = sr_atomic_temp_name(path, &err);
    g_assert_nonnull(names[i]);
    g_assert_true(g_str_has_suffix(names[i], ".tmp"));
    g_assert_true(g_file_test(names[i], G_FILE_TEST_IS_REGULAR));
    for (int k = 0; k < i; k++)
      g_assert_cmpstr(names[i], !=, names[k]);
  }
  g_assert_cmpint(sr_fs_remove_stale_temps(dir, "note.txt"), ==, 16);
  for (int i = 0; i < 16; i++)
    free(names[i]);

  g_autofree char *deep = g_build_filename(dir, "a", "b", "c", NULL);
  g_assert_true(sr_mkdir_p(deep, &err));
  g_assert_true(sr_is_dir(deep));
  g_assert_false(sr_mkdir_p(path, &err)); /* a file, not a folder */

  g_autofree char *missing = g_build_filename(dir, "nope", "x.txt", NULL);
  g_assert_false(sr_write_file_atomic(missing, "x", 1, &err));
  g_assert_nonnull(strstr(err.message, "nope"));
  g_assert_null(sr_read_file(missing, 10, NULL, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_MISSING);

  g_assert_null(sr_read_file(path, 3, NULL, &err)); /* over the size limit */
  g_assert_nonnull(strstr(err.message, "too large"));

  g_autofree char *joined = sr_path_join("a/", "b");
  g_assert_cmpstr(joined, ==, "a/b");
  g_autofree char *dn = sr_path_dirname("/x/y/z.exr");
  g_assert_cmpstr(dn, ==, "/x/y");

  g_unlink(path);
  g_rmdir(deep);
  g_autofree char *b = g_build_filename(dir, "a", "b", NULL);
  g_autofree char *a = g_build_filename(dir, "a", NULL);
  g_rmdir(b);
  g_rmdir(a);
  g_rmdir(dir);
}

static void
test_rng(void)
{
  sr_rng a, b;
  sr_rng_seed(&a, 42);
  sr_rng_seed(&b, 42);
  for (int i = 0; i < 100; i++)
    g_assert_cmpuint(sr_rng_next(&a), ==, sr_rng_next(&b));
  sr_rng_seed(&b, 43);
  g_assert_cmpuint(sr_rng_next(&a), !=, sr_rng_next(&b));

  double sum = 0, sum2 = 0;
  int counts[5] = {0};
  for (int i = 0; i < 20000; i++) {
    double u = sr_rng_uniform(&a);
    g_assert_cmpfloat(u, >=, 0.0);
    g_assert_cmpfloat(u, <, 1.0);
    counts[sr_rng_below(&a, 5)]++;
    double n = sr_rng_normal(&a);
    sum += n;
    sum2 += n * n;
  }
  for (int k = 0; k < 5; k++)
    g_assert_cmpint(abs(counts[k] - 4000), <, 300);
  g_assert_cmpfloat(fabs(sum / 20000), <, 0.05);
  g_assert_cmpfloat(fabs(sum2 / 20000 - 1.0), <, 0.05);
}

/* SOURCE_DATE_EPOCH pins the date written into files; without it the
 * date is now. */
static void
test_time(void)
{
  char date[32];
  g_setenv("SOURCE_DATE_EPOCH", "1700000000", TRUE);
  sr_time_now_iso(date);
  g_assert_cmpstr(date, ==, "2023-11-14T22:13:20Z");
  g_setenv("SOURCE_DATE_EPOCH", "not a number", TRUE);
  sr_time_now_iso(date);
  g_assert_cmpstr(date, !=, "2023-11-14T22:13:20Z");
  g_unsetenv("SOURCE_DATE_EPOCH");
  sr_time_now_iso(date);
  g_assert_cmpuint(strlen(date), ==, 20);
  g_assert_true(g_str_has_suffix(date, "Z"));
}

/* --out "" once read before the start of the path's buffer. */
static void
test_mkdir_empty_path(void)
{
  sr_error err = {0};
  g_assert_false(sr_mkdir_p("", &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  g_assert_nonnull(strstr(err.message, "empty folder name"));
  g_assert_false(sr_mkdir_p(NULL, &err));
}

typedef struct {
  char *dir;   /* scans/ with f.0001.exr, f.0002.exr */
  char *frame; /* scans/f.0001.exr */
  sr_file_set *inputs;
} same_fixture;

static void
same_setup(same_fixture *fx, gconstpointer data)
{
  g_autofree char *root = g_dir_make_tmp("sr-same-XXXXXX", NULL);
  fx->dir = g_build_filename(root, "scans", NULL);
  g_assert_cmpint(g_mkdir(fx->dir, 0755), ==, 0);
  fx->inputs = sr_file_set_new();
  for (int f = 1; f <= 2; f++) {
    g_autofree char *p = g_strdup_printf("%s/f.%04d.exr", fx->dir, f);
    g_assert_true(g_file_set_contents(p, "scan", 4, NULL));
    g_assert_true(sr_file_set_add(fx->inputs, p, NULL));
  }
  fx->frame = g_strdup_printf("%s/f.0001.exr", fx->dir);
}

static void
same_teardown(same_fixture *fx, gconstpointer data)
{
  sr_file_set_free(fx->inputs);
  g_autofree char *root = g_path_get_dirname(fx->dir);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", root);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(fx->dir);
  g_free(fx->frame);
}

static void
assert_refused(same_fixture *fx, const char *output)
{
  sr_error err = {0};
  g_assert_cmpstr(sr_file_set_find(fx->inputs, output), ==, fx->frame);
  g_assert_false(sr_file_set_refuse(fx->inputs, output, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  g_assert_nonnull(strstr(err.message, output));
  g_assert_nonnull(strstr(err.message, fx->frame));
}

static void
test_same_file_exact(same_fixture *fx, gconstpointer data)
{
  assert_refused(fx, fx->frame);
}

static void
test_same_file_dotdot(same_fixture *fx, gconstpointer data)
{
  g_autofree char *out = g_strdup_printf("%s/../scans/./f.0001.exr", fx->dir);
  assert_refused(fx, out);
}

static void
test_same_file_symlink_folder(same_fixture *fx, gconstpointer data)
{
  g_autofree char *link = g_strdup_printf("%s-alias", fx->dir);
  g_assert_cmpint(symlink(fx->dir, link), ==, 0);
  g_autofree char *out = g_strdup_printf("%s/f.0001.exr", link);
  assert_refused(fx, out);
}

static void
test_same_file_hard_link(same_fixture *fx, gconstpointer data)
{
  g_autofree char *out = g_strdup_printf("%s-hard.exr", fx->dir);
  g_assert_cmpint(link(fx->frame, out), ==, 0);
  assert_refused(fx, out);
}

/* An input that does not exist yet is still known by its folder and name. */
static void
test_same_file_not_yet_written(same_fixture *fx, gconstpointer data)
{
  g_autofree char *later = g_strdup_printf("%s/f.0009.exr", fx->dir);
  g_assert_true(sr_file_set_add(fx->inputs, later, NULL));
  g_autofree char *out = g_strdup_printf("%s/../scans/f.0009.exr", fx->dir);
  g_assert_cmpstr(sr_file_set_find(fx->inputs, out), ==, later);
}

static void
test_same_file_other_passes(same_fixture *fx, gconstpointer data)
{
  g_autofree char *out = g_strdup_printf("%s/f.0003.exr", fx->dir);
  g_autofree char *elsewhere = g_strdup_printf("%s-render/f.0001.exr", fx->dir);
  sr_error err = {0};
  g_assert_true(sr_file_set_refuse(fx->inputs, out, &err));
  g_assert_true(sr_file_set_refuse(fx->inputs, elsewhere, &err));
}

/* A FIFO, a folder or a device given as a file is refused at once; before,
 * opening a FIFO waited forever for a writer. */
static void
test_open_regular_refuses(void)
{
  g_autofree char *dir = g_dir_make_tmp("sr-fifo-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename(dir, "frame.exr", NULL);
  g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
  const char *paths[] = {fifo, dir, "/dev/zero"};
  for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
    sr_error err = {0};
    g_assert_cmpint(sr_open_regular(paths[i], &err), ==, -1);
    g_assert_nonnull(strstr(err.message, "not a regular file"));
    g_assert_null(sr_read_file(paths[i], 1024, NULL, &err));
    g_assert_nonnull(strstr(err.message, paths[i]));
  }
  g_remove(fifo);
  g_rmdir(dir);
}

/* The message names the limit that was hit. */
static void
test_image_limit_named(void)
{
  sr_error err = {0};
  g_assert_false(sr_image_check_size(20000, 20000, 3, "f.exr", &err));
  g_assert_nonnull(strstr(err.message, "px in all"));
  g_assert_null(strstr(err.message, "a side"));
  g_assert_false(sr_image_check_size(70000, 10, 3, "f.exr", &err));
  g_assert_nonnull(strstr(err.message, "a side"));
  g_assert_null(strstr(err.message, "in all"));
}

/* 100,000 attributes in one batch: n·log n, where setting them one at a
 * time compared every pair of names (minutes at this count). */
static void
test_attributes_many(void)
{
  const int n = 100000;
  sr_image *img = sr_image_new(2, 2, 3, NULL);
  g_assert_true(sr_image_set_attribute(img, "a000007", "old", NULL));
  g_assert_true(sr_image_set_attribute(img, "first", "kept", NULL));
  sr_attribute *batch = g_new(sr_attribute, n + 1);
  for (int i = 0; i < n; i++) {
    batch[i].key = g_strdup_printf("a%06d", n - 1 - i);
    batch[i].value = g_strdup_printf("%d", i);
  }
  batch[n].key = g_strdup("a000003");
  batch[n].value = g_strdup("last");
  sr_error err = {0};
  g_assert_true(sr_image_set_attributes(img, batch, n + 1, &err));
  g_assert_cmpint(img->n_attributes, ==, n + 1);
  g_assert_cmpstr(img->attributes[0].key, ==, "a000007");
  g_assert_cmpstr(img->attributes[1].key, ==, "first");
  g_assert_cmpstr(sr_image_get_attribute(img, "first"), ==, "kept");
  g_assert_cmpstr(sr_image_get_attribute(img, "a000003"), ==, "last");
  g_autofree char *v7 = g_strdup_printf("%d", n - 1 - 7);
  g_assert_cmpstr(sr_image_get_attribute(img, "a000007"), ==, v7);
  sr_image *copy = sr_image_copy(img, &err);
  g_assert_nonnull(copy);
  g_assert_cmpint(copy->n_attributes, ==, n + 1);
  sr_image_free(copy);
  for (int i = 0; i <= n; i++) {
    g_free(batch[i].key);
    g_free(batch[i].value);
  }
  g_free(batch);
  sr_image_free(img);
}

/* A caller's depth limit is capped: a million levels end in a message,
 * not a stack overflow. */
static void
test_json_depth_capped(void)
{
  const int depth = 1000000;
  char *deep = g_malloc(2 * (size_t)depth);
  memset(deep, '[', depth);
  memset(deep + depth, ']', depth);
  sr_json_limits lim = {.max_depth = depth + 1};
  sr_error err = {0};
  g_assert_null(sr_json_parse(deep, 2 * (size_t)depth, "deep.json", &lim, &err));
  g_assert_nonnull(strstr(err.message, "too deep"));
  g_free(deep);
}

static void
test_memory_available(void)
{
  uint64_t m = sr_memory_available();
  g_assert_cmpuint(m, >, 1u << 20);
  char buf[32];
  sr_memory_format(2500000000ull, buf, sizeof buf);
  g_assert_cmpstr(buf, ==, "2.5 GB");
  sr_memory_format(300000000ull, buf, sizeof buf);
  g_assert_cmpstr(buf, ==, "300 MB");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/core/bad-input/mkdir-empty-path", test_mkdir_empty_path);
  g_test_add("/core/same-file/exact", same_fixture, NULL, same_setup, test_same_file_exact,
             same_teardown);
  g_test_add("/core/same-file/dotdot", same_fixture, NULL, same_setup, test_same_file_dotdot,
             same_teardown);
  g_test_add("/core/same-file/symlink-folder", same_fixture, NULL, same_setup,
             test_same_file_symlink_folder, same_teardown);
  g_test_add("/core/same-file/hard-link", same_fixture, NULL, same_setup, test_same_file_hard_link,
             same_teardown);
  g_test_add("/core/same-file/not-yet-written", same_fixture, NULL, same_setup,
             test_same_file_not_yet_written, same_teardown);
  g_test_add("/core/same-file/other-file-passes", same_fixture, NULL, same_setup,
             test_same_file_other_passes, same_teardown);
  g_test_add_func("/core/bad-input/non-regular-file", test_open_regular_refuses);
  g_test_add_func("/core/image-limit-named", test_image_limit_named);
  g_test_add_func("/core/attributes-many", test_attributes_many);
  g_test_add_func("/core/bad-input/json-depth-capped", test_json_depth_capped);
  g_test_add_func("/core/memory-available", test_memory_available);
  g_test_add_func("/core/error", test_error_messages);
  g_test_add_func("/core/image", test_image_basics);
  g_test_add_func("/core/atomic-write", test_atomic_write);
  g_test_add_func("/core/rng", test_rng);
  g_test_add_func("/core/time", test_time);
  return g_test_run();
}
