/* Tests for engine/io: every reader and writer, round trips, metadata, bad
 * input (wrong magic, truncation, absurd sizes, byte flips), atomic writes
 * and frame sequences. Test files are made here, with the engine's writers or
 * directly with the format libraries, in a fresh temporary folder per test. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <openexr.h>
#include <png.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include "sr-fs.h"
#include "sr-io.h"
#include "sr-rng.h"

/* ---- helpers ------------------------------------------------------------ */

static char *
make_tmp(void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp("sr-io-XXXXXX", &error);
  g_assert_no_error(error);
  return dir;
}

static void
rm_rf(const char *path)
{
  GDir *d = g_dir_open(path, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d))) {
      char *child = g_build_filename(path, name, NULL);
      if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK)) {
        g_chmod(child, 0700);
        rm_rf(child);
      } else {
        g_unlink(child);
      }
      g_free(child);
    }
    g_dir_close(d);
  }
  g_rmdir(path);
}

/* Files whose name marks an unfinished atomic write. */
static int
count_temps(const char *dir)
{
  int n = 0;
  GDir *d = g_dir_open(dir, 0, NULL);
  if (!d)
    return 0;
  const char *name;
  while ((name = g_dir_read_name(d)))
    if (name[0] == '.' && g_str_has_suffix(name, ".tmp"))
      n++;
  g_dir_close(d);
  return n;
}

/* Smooth ramps plus deterministic noise in [lo, hi). */
static sr_image *
make_image(int w, int h, int channels, float lo, float hi, uint64_t seed)
{
  sr_error err = {0};
  sr_image *img = sr_image_new(w, h, channels, &err);
  g_assert_nonnull(img);
  sr_rng rng;
  sr_rng_seed(&rng, seed);
  for (int y = 0; y < h; y++) {
    float *p = sr_image_row(img, y);
    for (int x = 0; x < w; x++)
      for (int c = 0; c < channels; c++) {
        double t = 0.5 * ((double)x / w + (double)y / h) * 0.8 + 0.2 * sr_rng_uniform(&rng);
        *p++ = (float)(lo + (hi - lo) * (c % 2 ? 1.0 - t : t));
      }
  }
  return img;
}

static float
max_rel_error(const sr_image *a, const sr_image *b)
{
  g_assert_cmpint(a->width, ==, b->width);
  g_assert_cmpint(a->height, ==, b->height);
  g_assert_cmpint(a->channels, ==, b->channels);
  float worst = 0;
  for (size_t i = 0; i < sr_image_n_floats(a); i++) {
    float d = fabsf(a->pixels[i] - b->pixels[i]) / fmaxf(fabsf(a->pixels[i]), 1e-3f);
    worst = fmaxf(worst, d);
  }
  return worst;
}

/* Largest difference after clamping a to [0,1], as integer writers do. */
static float
max_abs_error_clamped(const sr_image *a, const sr_image *b, int channels)
{
  float worst = 0;
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++)
      for (int c = 0; c < channels; c++) {
        float v = a->pixels[((size_t)y * a->width + x) * a->channels + c];
        v = v < 0 ? 0 : v > 1 ? 1 : v;
        float r = b->pixels[((size_t)y * b->width + x) * b->channels + c];
        worst = fmaxf(worst, fabsf(v - r));
      }
  return worst;
}

static sr_write_options
options(sr_exr_compression comp, int bits, bool alpha)
{
  sr_write_options o;
  sr_write_options_init(&o);
  o.compression = comp;
  o.bit_depth = bits;
  o.write_alpha = alpha;
  return o;
}

static void
write_ok(const char *path, const sr_image *img, const sr_write_options *o)
{
  sr_error err = {0};
  if (!sr_image_write(path, img, o, &err))
    g_error("writing %s: %s", path, err.message);
  char *dir = g_path_get_dirname(path);
  g_assert_cmpint(count_temps(dir), ==, 0);
  g_free(dir);
}

static sr_image *
read_ok(const char *path)
{
  sr_error err = {0};
  sr_image *img = sr_image_read(path, &err);
  if (!img)
    g_error("reading %s: %s", path, err.message);
  return img;
}

/* Reading must fail with `code` and a message naming the file. */
static void
read_fails(const char *path, sr_status code, const char *needle)
{
  sr_error err = {0};
  sr_image *img = sr_image_read(path, &err);
  if (img)
    g_error("%s read although it should fail (%s)", path, needle ? needle : "");
  if (err.code != code)
    g_error("%s: expected status %s, got %s: %s", path, sr_status_name(code),
            sr_status_name(err.code), err.message);
  g_assert_nonnull(strstr(err.message, path));
  if (needle && !strstr(err.message, needle))
    g_error("%s: message lacks \"%s\": %s", path, needle, err.message);
}

static void
write_bytes(const char *path, const void *data, size_t len)
{
  GError *error = NULL;
  g_file_set_contents(path, data, (gssize)len, &error);
  g_assert_no_error(error);
}

static char *
read_bytes(const char *path, size_t *len)
{
  char *data = NULL;
  gsize n = 0;
  GError *error = NULL;
  g_file_get_contents(path, &data, &n, &error);
  g_assert_no_error(error);
  *len = n;
  return data;
}

/* Runs a tool; NULL (and the test skipped) when it is not installed. */
static char *
run_tool(const char *tool, const char *arg1, const char *arg2, const char *arg3)
{
  char *exe = g_find_program_in_path(tool);
  if (!exe) {
    g_test_skip("tool not installed");
    return NULL;
  }
  const char *argv[] = {exe, arg1, arg2, arg3, NULL};
  char *out = NULL, *errs = NULL;
  int status = 0;
  GError *error = NULL;
  g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errs, &status,
               &error);
  g_assert_no_error(error);
  if (!g_spawn_check_wait_status(status, NULL))
    g_error("%s failed: %s", tool, errs);
  g_free(errs);
  g_free(exe);
  return out;
}

/* ---- formats and names --------------------------------------------------- */

static void
test_names(void)
{
  g_assert_cmpint(sr_format_from_path("/a/b/shot.0001.EXR"), ==, SR_FORMAT_EXR);
  g_assert_cmpint(sr_format_from_path("x.png"), ==, SR_FORMAT_PNG);
  g_assert_cmpint(sr_format_from_path("x.tif"), ==, SR_FORMAT_TIFF);
  g_assert_cmpint(sr_format_from_path("x.TIFF"), ==, SR_FORMAT_TIFF);
  g_assert_cmpint(sr_format_from_path("x.dpx"), ==, SR_FORMAT_DPX);
  g_assert_cmpint(sr_format_from_path("x.jpg"), ==, SR_FORMAT_UNKNOWN);
  g_assert_cmpint(sr_format_from_path("dir.exr/file"), ==, SR_FORMAT_UNKNOWN);
  g_assert_cmpstr(sr_format_name(SR_FORMAT_EXR), ==, "OpenEXR");
  sr_exr_compression c;
  g_assert_true(sr_exr_compression_from_name("DWAA", &c));
  g_assert_cmpint(c, ==, SR_EXR_DWAA);
  g_assert_true(sr_exr_compression_from_name("piz", &c));
  g_assert_cmpint(c, ==, SR_EXR_PIZ);
  g_assert_false(sr_exr_compression_from_name("jpeg", &c));
  g_assert_cmpstr(sr_exr_compression_name(SR_EXR_ZIP), ==, "zip");
  g_assert_cmpstr(sr_exr_compression_name(SR_EXR_NONE), ==, "none");
  sr_write_options o;
  sr_write_options_init(&o);
  g_assert_cmpint(o.compression, ==, SR_EXR_ZIP);
  g_assert_cmpint(o.bit_depth, ==, 16);
  g_assert_cmpfloat(o.dwa_level, ==, 45.0f);
  g_assert_false(o.write_alpha);
  g_assert_true(sr_exr_compression_available(SR_EXR_ZIP));
  g_assert_true(sr_exr_compression_available(SR_EXR_PIZ));
}

static void
test_sniff(void)
{
  char *dir = make_tmp();
  sr_image *img = make_image(8, 8, 3, 0, 1, 1);
  sr_write_options o = options(SR_EXR_ZIP, 16, false);
  const char *names[] = {"a.exr", "a.png", "a.tif", "a.dpx"};
  sr_format formats[] = {SR_FORMAT_EXR, SR_FORMAT_PNG, SR_FORMAT_TIFF, SR_FORMAT_DPX};
  for (int i = 0; i < 4; i++) {
    char *p = g_build_filename(dir, names[i], NULL);
    write_ok(p, img, &o);
    /* The content decides, not the name. */
    char *q = g_build_filename(dir, "renamed.png", NULL);
    g_rename(p, q);
    sr_error err = {0};
    g_assert_cmpint(sr_format_sniff(q, &err), ==, formats[i]);
    sr_image_info info;
    g_assert_true(sr_image_read_info(q, &info, &err));
    g_assert_cmpint(info.format, ==, formats[i]);
    g_assert_cmpint(info.width, ==, 8);
    g_assert_cmpint(info.channels, ==, 3);
    g_free(p);
    g_free(q);
  }
  char *bad = g_build_filename(dir, "bad.exr", NULL);
  write_bytes(bad, "GIF89a not an image we read", 27);
  read_fails(bad, SR_ERR_FORMAT, "not an image");
  write_bytes(bad, "", 0);
  read_fails(bad, SR_ERR_FORMAT, "empty");
  sr_error err = {0};
  sr_image_info info;
  g_assert_false(sr_image_read_info(bad, &info, &err));
  char *missing = g_build_filename(dir, "missing.exr", NULL);
  g_assert_null(sr_image_read(missing, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_MISSING);
  g_assert_nonnull(strstr(err.message, missing));
  g_free(missing);
  g_free(bad);
  sr_image_free(img);
  rm_rf(dir);
  g_free(dir);
}

/* ---- EXR ----------------------------------------------------------------- */

static void
test_exr_roundtrip(void)
{
  char *dir = make_tmp();
  /* Scene-linear values above 1 and below 0 survive a half-float file. */
  sr_image *img = make_image(123, 77, 3, -0.5f, 8.0f, 2);
  const sr_exr_compression comps[] = {SR_EXR_ZIP, SR_EXR_PIZ, SR_EXR_NONE};
  for (int i = 0; i < 3; i++) {
    char *p = g_strdup_printf("%s/rt-%s.exr", dir, sr_exr_compression_name(comps[i]));
    sr_write_options o = options(comps[i], 16, false);
    write_ok(p, img, &o);
    sr_image *back = read_ok(p);
    g_assert_cmpfloat(max_rel_error(img, back), <, 1e-3f);
    g_assert_cmpint(back->data_window.x, ==, 0);
    g_assert_cmpint(back->display_window.w, ==, 123);
    g_assert_false(back->has_chromaticities);
    sr_image_info info;
    sr_error err = {0};
    g_assert_true(sr_image_read_info(p, &info, &err));
    g_assert_cmpint(info.bit_depth, ==, 16);
    g_assert_cmpint(info.channels, ==, 3);
    char *hdr = run_tool("exrheader", p, NULL, NULL);
    if (hdr) {
      char *want =
          g_strdup_printf("compression (type compression): %s", sr_exr_compression_name(comps[i]));
      g_assert_nonnull(strstr(hdr, want));
      g_assert_nonnull(strstr(hdr, "R, 16-bit floating-point"));
      g_free(want);
      g_free(hdr);
    }
    sr_image_free(back);
    g_free(p);
  }
  /* zlib levels: both lossless, the higher one no larger. */
  size_t sizes[2];
  const int levels[2] = {1, 9};
  for (int k = 0; k < 2; k++) {
    char *p = g_strdup_printf("%s/level-%d.exr", dir, levels[k]);
    sr_write_options o = options(SR_EXR_ZIP, 16, false);
    o.zip_level = levels[k];
    write_ok(p, img, &o);
    sr_image *back = read_ok(p);
    g_assert_cmpfloat(max_rel_error(img, back), <, 1e-3f);
    sr_image_free(back);
    g_free(read_bytes(p, &sizes[k]));
    g_free(p);
  }
  g_assert_cmpuint(sizes[1], <=, sizes[0]);
  sr_image_free(img);
  rm_rf(dir);
  g_free(dir);
}

static void
test_exr_dwaa(void)
{
  char *dir = make_tmp();
  char *p = g_build_filename(dir, "dwaa.exr", NULL);
  sr_image *img = make_image(200, 64, 3, 0.0f, 1.0f, 3);
  sr_write_options o = options(SR_EXR_DWAA, 16, false);
  o.dwa_level = 45.0f;
  sr_error err = {0};
  if (sr_exr_compression_available(SR_EXR_DWAA)) {
    write_ok(p, img, &o);
    sr_image *back = read_ok(p);
    double sum = 0;
    for (size_t i = 0; i < sr_image_n_floats(img); i++)
      sum += fabs(img->pixels[i] - back->pixels[i]);
    g_assert_cmpfloat(sum / sr_image_n_floats(img), <, 0.02);
    sr_image_free(back);
  } else {
    /* This OpenEXR cannot encode DWA: a clear refusal, nothing left behind. */
    g_assert_false(sr_image_write(p, img, &o, &err));
    g_assert_cmpint(err.code, ==, SR_ERR_UNSUPPORTED);
    g_assert_nonnull(strstr(err.message, "DWAA"));
    g_assert_false(g_file_test(p, G_FILE_TEST_EXISTS));
    g_assert_cmpint(count_temps(dir), ==, 0);
    /* A DWAA file (a ZIP file relabelled) is refused with the codec named. */
    o.compression = SR_EXR_ZIP;
    write_ok(p, img, &o);
    size_t len;
    char *data = read_bytes(p, &len);
    char *attr = memmem(data, len, "compression\0compression\0", 24);
    g_assert_nonnull(attr);
    g_assert_cmpint(attr[28], ==, 3); /* ZIP */
    attr[28] = 8;                     /* DWAA */
    write_bytes(p, data, len);
    g_free(data);
    read_fails(p, SR_ERR_UNSUPPORTED, "dwaa");
  }
  sr_image_free(img);
  g_free(p);
  rm_rf(dir);
  g_free(dir);
}

static void
test_exr_metadata(void)
{
  char *dir = make_tmp();
  char *p = g_build_filename(dir, "meta.exr", NULL);
  sr_image *img = make_image(64, 48, 3, 0, 1, 4);
  img->data_window = (sr_rect){10, 20, 64, 48};
  img->display_window = (sr_rect){0, 0, 100, 80};
  img->has_chromaticities = true;
  /* ACES AP0 */
  const float ap0[8] = {0.7347f, 0.2653f, 0.0f, 1.0f, 0.0001f, -0.077f, 0.32168f, 0.33767f};
  memcpy(img->chromaticities, ap0, sizeof ap0);
  sr_error err = {0};
  g_assert_true(sr_image_set_attribute(img, "srShotId", "A001_C002", &err));
  g_assert_true(
      sr_image_set_attribute(img, "comments", "recovered: spatial, reference-based", &err));
  g_assert_true(sr_image_set_attribute(img, "srModelCheckpointIdentifierWithAVeryLongAttributeName",
                                       "9f71c708", &err));
  sr_write_options o = options(SR_EXR_ZIP, 16, false);
  write_ok(p, img, &o);
  sr_image *back = read_ok(p);
  g_assert_true(sr_rect_equal(back->data_window, img->data_window));
  g_assert_true(sr_rect_equal(back->display_window, img->display_window));
  g_assert_true(back->has_chromaticities);
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat_with_epsilon(back->chromaticities[i], ap0[i], 1e-7);
  g_assert_cmpstr(sr_image_get_attribute(back, "srShotId"), ==, "A001_C002");
  g_assert_cmpstr(sr_image_get_attribute(back, "comments"), ==,
                  "recovered: spatial, reference-based");
  g_assert_cmpstr(
      sr_image_get_attribute(back, "srModelCheckpointIdentifierWithAVeryLongAttributeName"), ==,
      "9f71c708");
  g_assert_null(sr_image_get_attribute(back, "type"));
  g_assert_cmpfloat(max_rel_error(img, back), <, 1e-3f);
  sr_image_info info;
  g_assert_true(sr_image_read_info(p, &info, &err));
  g_assert_true(sr_rect_equal(info.data_window, img->data_window));
  g_assert_true(sr_rect_equal(info.display_window, img->display_window));
  /* One attribute from the header alone: present, absent, not a string. */
  char *value = NULL;
  g_assert_true(sr_image_read_attribute(p, "srShotId", &value, &err));
  g_assert_cmpstr(value, ==, "A001_C002");
  free(value);
  g_assert_true(sr_image_read_attribute(p, "srNoSuchKey", &value, &err));
  g_assert_null(value);
  g_assert_true(sr_image_read_attribute(p, "dataWindow", &value, &err));
  g_assert_null(value);
  char *cut = g_build_filename(dir, "cut.exr", NULL);
  write_bytes(cut, "v/1\x01\x02\0\0\0srShot", 14);
  err = (sr_error){0};
  g_assert_false(sr_image_read_attribute(cut, "srShotId", &value, &err));
  g_assert_null(value);
  g_assert_nonnull(strstr(err.message, cut));
  g_free(cut);

  char *hdr = run_tool("exrheader", p, NULL, NULL);
  if (hdr) {
    g_assert_nonnull(strstr(hdr, "dataWindow (type box2i): (10 20) - (73 67)"));
    g_assert_nonnull(strstr(hdr, "displayWindow (type box2i): (0 0) - (99 79)"));
    g_assert_nonnull(strstr(hdr, "srShotId (type string): \"A001_C002\""));
    g_assert_nonnull(strstr(hdr, "chromaticities (type chromaticities)"));
    g_assert_nonnull(strstr(hdr, "red   (0.7347 0.2653)"));
    g_assert_nonnull(strstr(hdr, "white (0.32168 0.33767)"));
    g_free(hdr);
  }
  /* Bad attribute names are refused, with the name in the message. */
  g_assert_true(sr_image_set_attribute(img, "dataWindow", "oops", &err));
  g_assert_false(sr_image_write(p, img, &o, &err));
  g_assert_nonnull(strstr(err.message, "dataWindow"));
  g_assert_cmpint(count_temps(dir), ==, 0);
  sr_image *still = read_ok(p); /* the earlier file is untouched */
  g_assert_cmpstr(sr_image_get_attribute(still, "srShotId"), ==, "A001_C002");
  sr_image_free(still);
  sr_image_free(back);
  sr_image_free(img);
  g_free(p);
  rm_rf(dir);
  g_free(dir);
}

static double
half_value(unsigned h)
{
  unsigned e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0 ? ldexp(m, -24) : e == 31 ? INFINITY : ldexp(1024 + m, (int)e - 25);
  return h & 0x8000 ? -v : v;
}

/* Every finite half value survives write and read bit for bit, and values
 * halfway between two halves round to the even one. */
static void
test_exr_half_exact(void)
{
  char *dir = make_tmp();
  char *p = g_build_filename(dir, "halves.exr", NULL);
  sr_error err = {0};
  sr_image *img = sr_image_new(256, 512, 1, &err);
  for (unsigned h = 0; h < 65536; h++) {
    img->pixels[h] = ((h >> 10) & 31) == 31 && (h & 1023) ? 0.0f : (float)half_value(h);
    /* Second half of the image: midpoints between h and h + 1 (same sign). */
    unsigned n = (h & 0x7fff) == 0x7bff || ((h >> 10) & 31) == 31 ? h : h + 1;
    img->pixels[65536 + h] = (float)(0.5 * (half_value(h) + half_value(n)));
  }
  sr_write_options o = options(SR_EXR_ZIP, 16, false);
  write_ok(p, img, &o);
  sr_image *back = read_ok(p);
  for (unsigned h = 0; h < 65536; h++) {
    g_assert_cmpfloat(back->pixels[h], ==, img->pixels[h]);
    unsigned n = (h & 0x7fff) == 0x7bff || ((h >> 10) & 31) == 31 ? h : h + 1;
    if (n == h)
      continue;
    double want = (h & 1) ? half_value(n) : half_value(h); /* ties to even */
    if (back->pixels[65536 + h] != (float)want)
      g_error("midpoint after half %#x: %.9g, expected %.9g", h, back->pixels[65536 + h], want);
  }
  sr_image_free(back);
  sr_image_free(img);
  g_free(p);
  rm_rf(dir);
  g_free(dir);
}

static void
test_exr_channels(void)
{
  char *dir = make_tmp();
  sr_error err = {0};
  /* One channel: written as Y, read back as one channel. */
  char *py = g_build_filename(dir, "y.exr", NULL);
  sr_image *gray = make_image(40, 30, 1, 0, 2, 5);
  sr_write_options o = options(SR_EXR_PIZ, 16, false);
  write_ok(py, gray, &o);
  sr_image *back = read_ok(py);
  g_assert_cmpint(back->channels, ==, 1);
  g_assert_cmpfloat(max_rel_error(gray, back), <, 1e-3f);
  char *hdr = run_tool("exrheader", py, NULL, NULL);
  if (hdr) {
    g_assert_nonnull(strstr(hdr, "Y, 16-bit floating-point"));
    g_assert_null(strstr(hdr, "R, 16-bit"));
    g_free(hdr);
  }
  sr_image_free(back);

  /* Four channels: alpha only when asked. */
  char *pa = g_build_filename(dir, "rgba.exr", NULL);
  sr_image *rgba = make_image(20, 10, 4, 0, 1, 6);
  o = options(SR_EXR_ZIP, 16, false);
  write_ok(pa, rgba, &o);
  back = read_ok(pa);
  g_assert_cmpint(back->channels, ==, 3);
  for (int i = 0; i < 20 * 10; i++)
    g_assert_cmpfloat_with_epsilon(back->pixels[i * 3 + 1], rgba->pixels[i * 4 + 1], 1e-3);
  sr_image_free(back);
  o.write_alpha = true;
  write_ok(pa, rgba, &o);
  back = read_ok(pa);
  g_assert_cmpint(back->channels, ==, 4);
  g_assert_cmpfloat(max_rel_error(rgba, back), <, 1e-3f);
  sr_image_info info;
  g_assert_true(sr_image_read_info(pa, &info, &err));
  g_assert_cmpint(info.channels, ==, 4);
  sr_image_free(back);
  sr_image_free(rgba);
  sr_image_free(gray);
  g_free(py);
  g_free(pa);
  rm_rf(dir);
  g_free(dir);
}

/* An EXR written directly with the C API: any channel names and types,
 * scanline or tiled, any data window. Channel values: value(c, x, y). */
typedef struct test_channel {
  const char *name;
  exr_pixel_type_t type;
} test_channel;

static float
test_value(int c, int x, int y)
{
  return (float)((x * 7 + y * 13 + c * 101) % 509) / 64.0f;
}

static void
write_api_exr(const char *path, int w, int h, int dx, int dy, bool tiled, int tile,
              const test_channel *chans, int n, exr_compression_t comp, int n_parts)
{
  exr_context_initializer_t init = EXR_DEFAULT_CONTEXT_INITIALIZER;
  exr_context_t ctxt = NULL;
  g_assert_cmpint(exr_start_write(&ctxt, path, EXR_WRITE_FILE_DIRECTLY, &init), ==, 0);
  for (int part = 0; part < n_parts; part++) {
    int idx = 0;
    char pname[16];
    g_snprintf(pname, sizeof pname, "part%d", part);
    g_assert_cmpint(
        exr_add_part(ctxt, pname, tiled ? EXR_STORAGE_TILED : EXR_STORAGE_SCANLINE, &idx), ==, 0);
    exr_attr_box2i_t dw = {{{{dx, dy}}}, {{{dx + w - 1, dy + h - 1}}}};
    exr_attr_box2i_t disp = {{{{0, 0}}}, {{{dx + w + 5, dy + h + 3}}}};
    exr_attr_v2f_t centre = {{{0, 0}}};
    g_assert_cmpint(exr_initialize_required_attr(ctxt, idx, &disp, &dw, 1.0f, &centre, 1.0f,
                                                 EXR_LINEORDER_INCREASING_Y, comp),
                    ==, 0);
    for (int c = 0; c < n; c++)
      g_assert_cmpint(exr_add_channel(ctxt, idx, chans[c].name, chans[c].type,
                                      EXR_PERCEPTUALLY_LOGARITHMIC, 1, 1),
                      ==, 0);
    if (tiled)
      g_assert_cmpint(exr_set_tile_descriptor(ctxt, idx, (uint32_t)tile, (uint32_t)tile,
                                              EXR_TILE_ONE_LEVEL, EXR_TILE_ROUND_DOWN),
                      ==, 0);
    g_assert_cmpint(exr_attr_set_string(ctxt, idx, "owner", "archive"), ==, 0);
  }
  g_assert_cmpint(exr_write_header(ctxt), ==, 0);
  for (int part = 0; part < n_parts; part++) {
    int32_t lpc = 1;
    if (!tiled)
      exr_get_scanlines_per_chunk(ctxt, part, &lpc);
    int bw = tiled ? tile : w, bh = tiled ? tile : lpc;
    int nx = tiled ? (w + tile - 1) / tile : 1, ny = (h + bh - 1) / bh;
    exr_encode_pipeline_t enc = EXR_ENCODE_PIPELINE_INITIALIZER;
    bool first = true;
    for (int ty = 0; ty < ny; ty++)
      for (int tx = 0; tx < nx; tx++) {
        exr_chunk_info_t ci;
        if (tiled)
          g_assert_cmpint(exr_write_tile_chunk_info(ctxt, part, tx, ty, 0, 0, &ci), ==, 0);
        else
          g_assert_cmpint(exr_write_scanline_chunk_info(ctxt, part, dy + ty * bh, &ci), ==, 0);
        g_assert_cmpint(first ? exr_encoding_initialize(ctxt, part, &ci, &enc)
                              : exr_encoding_update(ctxt, part, &ci, &enc),
                        ==, 0);
        first = false;
        int cw = ci.width, ch = ci.height, x0 = tx * bw, y0 = ty * bh;
        void *bufs[8] = {0};
        for (int k = 0; k < enc.channel_count; k++) {
          exr_coding_channel_info_t *cc = &enc.channels[k];
          int c = 0;
          while (strcmp(chans[c].name, cc->channel_name) != 0)
            c++;
          bool is_uint = chans[c].type == EXR_PIXEL_UINT;
          bufs[k] = g_malloc((size_t)cw * ch * 4);
          for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++) {
              float v = test_value(c, x0 + x, y0 + y);
              if (is_uint)
                ((uint32_t *)bufs[k])[y * cw + x] = (uint32_t)(v * 64.0f);
              else
                ((float *)bufs[k])[y * cw + x] = v;
            }
          cc->encode_from_ptr = bufs[k];
          cc->user_pixel_stride = 4;
          cc->user_line_stride = cw * 4;
          cc->user_data_type = is_uint ? EXR_PIXEL_UINT : EXR_PIXEL_FLOAT;
          cc->user_bytes_per_element = 4;
        }
        g_assert_cmpint(exr_encoding_choose_default_routines(ctxt, part, &enc), ==, 0);
        g_assert_cmpint(exr_encoding_run(ctxt, part, &enc), ==, 0);
        for (int k = 0; k < 8; k++)
          g_free(bufs[k]);
      }
    exr_encoding_destroy(ctxt, &enc);
  }
  g_assert_cmpint(exr_finish(&ctxt), ==, 0);
}

static void
check_api_image(const sr_image *img, int w, int h, int dx, int dy, const int *src_channel,
                float tol)
{
  g_assert_cmpint(img->width, ==, w);
  g_assert_cmpint(img->height, ==, h);
  g_assert_cmpint(img->data_window.x, ==, dx);
  g_assert_cmpint(img->data_window.y, ==, dy);
  g_assert_cmpint(img->display_window.w, ==, dx + w + 6);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int o = 0; o < img->channels; o++) {
        float got = img->pixels[((size_t)y * w + x) * img->channels + o];
        float want = src_channel[o] < 0 ? 0.0f : test_value(src_channel[o], x, y);
        if (fabsf(got - want) > tol * fmaxf(1.0f, fabsf(want)))
          g_error("pixel (%d,%d) channel %d: %g, expected %g", x, y, o, got, want);
      }
}

static void
test_exr_tiled_and_types(void)
{
  char *dir = make_tmp();
  char *p = g_build_filename(dir, "api.exr", NULL);
  /* Tiled float RGBA, size not a multiple of the tile, offset data window. */
  const test_channel rgba[] = {{"R", EXR_PIXEL_FLOAT},
                               {"G", EXR_PIXEL_FLOAT},
                               {"B", EXR_PIXEL_FLOAT},
                               {"A", EXR_PIXEL_FLOAT}};
  write_api_exr(p, 70, 45, -3, 5, true, 32, rgba, 4, EXR_COMPRESSION_ZIP, 1);
  sr_image *img = read_ok(p);
  const int map_rgba[] = {0, 1, 2, 3};
  check_api_image(img, 70, 45, -3, 5, map_rgba, 0);
  g_assert_cmpstr(sr_image_get_attribute(img, "owner"), ==, "archive");
  sr_image_info info;
  sr_error err = {0};
  g_assert_true(sr_image_read_info(p, &info, &err));
  g_assert_cmpint(info.bit_depth, ==, 32);
  sr_image_free(img);

  /* Only R and G, half, tiled with RLE: B reads as 0. */
  const test_channel rg[] = {{"R", EXR_PIXEL_HALF}, {"G", EXR_PIXEL_HALF}};
  write_api_exr(p, 33, 17, 0, 0, true, 16, rg, 2, EXR_COMPRESSION_RLE, 1);
  img = read_ok(p);
  const int map_rg[] = {0, 1, -1};
  check_api_image(img, 33, 17, 0, 0, map_rg, 1e-3f);
  sr_image_free(img);

  /* A uint luminance channel, scanline, ZIPS compression. */
  const test_channel yu[] = {{"Y", EXR_PIXEL_UINT}};
  write_api_exr(p, 31, 9, 2, 3, false, 0, yu, 1, EXR_COMPRESSION_ZIPS, 1);
  img = read_ok(p);
  g_assert_cmpint(img->channels, ==, 1);
  for (int i = 0; i < 31 * 9; i++) {
    int x = i % 31, y = i / 31;
    g_assert_cmpfloat(img->pixels[i], ==, (float)(uint32_t)(test_value(0, x, y) * 64.0f));
  }
  sr_image_free(img);

  /* Layered names ("beauty.R") with extra channels, PXR24 and B44. */
  const test_channel layered[] = {{"beauty.B", EXR_PIXEL_FLOAT},
                                  {"beauty.G", EXR_PIXEL_FLOAT},
                                  {"beauty.R", EXR_PIXEL_FLOAT},
                                  {"depth.Z", EXR_PIXEL_FLOAT}};
  const exr_compression_t more[] = {EXR_COMPRESSION_PXR24, EXR_COMPRESSION_B44,
                                    EXR_COMPRESSION_B44A, EXR_COMPRESSION_PIZ};
  for (int k = 0; k < 4; k++) {
    write_api_exr(p, 40, 40, 0, 0, false, 0, layered, 4, more[k], 1);
    img = read_ok(p);
    g_assert_cmpint(img->channels, ==, 3);
    const int map_layer[] = {2, 1, 0}; /* R is entry 2 of the list above */
    /* PXR24 keeps 24 bits of a float; B44 is lossy on the halves it makes. */
    check_api_image(img, 40, 40, 0, 0, map_layer, k == 0 ? 1e-4f : 0.02f);
    sr_image_free(img);
  }

  /* Y + A reads as RGBA with Y copied to R, G, B. */
  const test_channel ya[] = {{"A", EXR_PIXEL_HALF}, {"Y", EXR_PIXEL_HALF}};
  write_api_exr(p, 12, 12, 0, 0, false, 0, ya, 2, EXR_COMPRESSION_NONE, 1);
  img = read_ok(p);
  const int map_ya[] = {1, 1, 1, 0};
  check_api_image(img, 12, 12, 0, 0, map_ya, 1e-3f);
  sr_image_free(img);

  /* Multi-part: part 0 is read. */
  write_api_exr(p, 16, 16, 0, 0, false, 0, rgba, 4, EXR_COMPRESSION_ZIP, 2);
  img = read_ok(p);
  check_api_image(img, 16, 16, 0, 0, map_rgba, 0);
  g_assert_null(sr_image_get_attribute(img, "name"));
  sr_image_free(img);

  /* No colour channel at all. */
  const test_channel z[] = {{"Z", EXR_PIXEL_FLOAT}};
  write_api_exr(p, 8, 8, 0, 0, false, 0, z, 1, EXR_COMPRESSION_NONE, 1);
  read_fails(p, SR_ERR_UNSUPPORTED, "Z");
  g_free(p);
  rm_rf(dir);
  g_free(dir);
}

static void
test_exr_maketiled(void)
{
  char *exe = g_find_program_in_path("exrmaketiled");
  if (!exe) {
    g_test_skip("exrmaketiled (Debian package openexr) is not installed");
    return;
  }
  g_free(exe);
  char *dir = make_tmp();
  char *src = g_build_filename(dir, "scan.exr", NULL);
  char *dst = g_build_filename(dir, "tiled.exr", NULL);
  sr_image *img = make_image(150, 90, 3, 0, 4, 7);
  img->data_window = (sr_rect){4, 6, 150, 90};
  img->display_window = (sr_rect){0, 0, 160, 100};
  sr_write_options o = options(SR_EXR_ZIP, 16, false);
  write_ok(src, img, &o);
  sr_image *first = read_ok(src);
  const char *modes[] = {"-o", "-m"}; /* one level; mipmaps (level 0 is read) */
  for (int m = 0; m < 2; m++) {
    char *out = run_tool("exrmaketiled", modes[m], src, dst);
    g_free(out);
    char *hdr = run_tool("exrheader", dst, NULL, NULL);
    if (hdr) {
      g_assert_nonnull(strstr(hdr, "tiles (type tiledesc)"));
      g_free(hdr);
    }
    sr_image *back = read_ok(dst);
    g_assert_true(sr_rect_equal(back->data_window, img->data_window));
    g_assert_cmpfloat(max_rel_error(first, back), ==, 0.0f);
    sr_image_free(back);
  }
  sr_image_free(first);
  sr_image_free(img);
  g_free(src);
  g_free(dst);
  rm_rf(dir);
  g_free(dir);
}

/* ---- PNG, TIFF, DPX ------------------------------------------------------ */

static void
test_integer_roundtrips(void)
{
  char *dir = make_tmp();
  const char *exts[] = {"png", "tif"};
  const int channel_counts[] = {1, 3, 4};
  for (int e = 0; e < 2; e++)
    for (int bits = 8; bits <= 16; bits += 8)
      for (int k = 0; k < 3; k++) {
        int ch = channel_counts[k];
        char *p = g_strdup_printf("%s/rt-%d-%d.%s", dir, bits, ch, exts[e]);
        /* Out-of-range values are clamped by integer formats. */
        sr_image *img = make_image(37, 23, ch, -0.1f, 1.1f, 10 + (uint64_t)k);
        sr_write_options o = options(SR_EXR_ZIP, bits, true);
        write_ok(p, img, &o);
        sr_image *back = read_ok(p);
        g_assert_cmpint(back->channels, ==, ch);
        float step = bits == 16 ? 1.0f / 65535.0f : 1.0f / 255.0f;
        float worst = max_abs_error_clamped(img, back, ch);
        if (worst > 0.5f * step + 1e-7f)
          g_error("%s: error %g is more than half a code value", p, worst);
        sr_image_info info;
        sr_error err = {0};
        g_assert_true(sr_image_read_info(p, &info, &err));
        g_assert_cmpint(info.bit_depth, ==, bits);
        g_assert_cmpint(info.channels, ==, ch);
        sr_image_free(back);
        sr_image_free(img);
        g_free(p);
      }
  /* Without write_alpha, RGBA is written as RGB. */
  sr_image *rgba = make_image(9, 9, 4, 0, 1, 20);
  sr_write_options o = options(SR_EXR_ZIP, 16, false);
  for (int e = 0; e < 2; e++) {
    char *p = g_strdup_printf("%s/noalpha.%s", dir, exts[e]);
    write_ok(p, rgba, &o);
    sr_image *back = read_ok(p);
    g_assert_cmpint(back->channels, ==, 3);
    sr_image_free(back);
    g_free(p);
  }
  sr_image_free(rgba);
  /* A bit depth other than 8 or 16 is refused. */
  sr_image *img = make_image(4, 4, 3, 0, 1, 21);
  o.bit_depth = 12;
  sr_error err = {0};
  char *p = g_build_filename(dir, "bad-depth.png", NULL);
  g_assert_false(sr_image_write(p, img, &o, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  g_free(p);
  p = g_build_filename(dir, "x.jpg", NULL);
  o.bit_depth = 16;
  g_assert_false(sr_image_write(p, img, &o, &err));
  g_assert_nonnull(strstr(err.message, ".exr"));
  g_free(p);
  sr_image_free(img);
  rm_rf(dir);
  g_free(dir);
}

static void
test_png_profile(void)
{
  char *dir = make_tmp();
  char *p = g_build_filename(dir, "srgb.png", NULL);
  sr_image *img = make_image(16, 16, 3, 0, 1, 30);
  sr_write_options o = options(SR_EXR_ZIP, 8, false);
  write_ok(p, img, &o);
  size_t len = 0;
  char *data = read_bytes(p, &len);
  g_assert_nonnull(memmem(data, len, "iCCP", 4));
  g_assert_nonnull(memmem(data, len, "sRGB", 4)); /* the profile's name */
  g_free(data);
  /* The embedded profile is a valid sRGB profile that libpng hands back. */
  FILE *fp = fopen(p, "rb");
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, fp);
  png_read_info(png, info);
  png_charp name = NULL;
  int ctype = 0;
  png_bytep prof = NULL;
  png_uint_32 plen = 0;
  g_assert_true(png_get_iCCP(png, info, &name, &ctype, &prof, &plen));
  g_assert_cmpuint(plen, >, 128);
  g_assert_cmpint(memcmp(prof + 36, "acsp", 4), ==, 0);
  g_assert_cmpint(memcmp(prof + 16, "RGB ", 4), ==, 0);
  png_destroy_read_struct(&png, &info, NULL);
  fclose(fp);
  /* Gray carries the sRGB chunk. */
  sr_image *gray = make_image(16, 16, 1, 0, 1, 31);
  write_ok(p, gray, &o);
  data = read_bytes(p, &len);
  g_assert_nonnull(memmem(data, len, "sRGB", 4));
  g_assert_null(memmem(data, len, "iCCP", 4));
  g_free(data);
  sr_image_free(gray);
  sr_image_free(img);
  g_free(p);
  rm_rf(dir);
  g_free(dir);
}

/* PNG colour types our writer never makes: palette (with tRNS), gray+alpha,
 * 16-bit gray, 2-bit gray, interlaced. */
static void
write_png_raw(const char *path, int w, int h, int depth, int ctype, bool interlace,
              const unsigned char *pixels, size_t rowbytes)
{
  FILE *fp = fopen(path, "wb");
  g_assert_nonnull(fp);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, fp);
  png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, ctype,
               interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (ctype == PNG_COLOR_TYPE_PALETTE) {
    png_color pal[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {10, 20, 30}};
    png_byte trns[4] = {255, 128, 255, 0};
    png_set_PLTE(png, info, pal, 4);
    png_set_tRNS(png, info, trns, 4, NULL);
  }
  png_write_info(png, info);
  png_bytep *rows = g_new(png_bytep, h);
  for (int y = 0; y < h; y++)
    rows[y] = (png_bytep)pixels + (size_t)y * rowbytes;
  png_write_image(png, rows);
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  g_free(rows);
  fclose(fp);
}

static void
test_png_types(void)
{
  char *dir = make_tmp();
  char *p = g_build_filename(dir, "t.png", NULL);
  /* Palette with transparency → RGBA. */
  unsigned char idx[4 * 2] = {0, 1, 2, 3, 3, 2, 1, 0};
  write_png_raw(p, 4, 2, 8, PNG_COLOR_TYPE_PALETTE, false, idx, 4);
  sr_image *img = read_ok(p);
  g_assert_cmpint(img->channels, ==, 4);
  g_assert_cmpfloat(img->pixels[1 * 4 + 0], ==, 1.0f); /* red */
  g_assert_cmpfloat_with_epsilon(img->pixels[1 * 4 + 3], 128.0f / 255.0f, 1e-6);
  g_assert_cmpfloat_with_epsilon(img->pixels[3 * 4 + 2], 30.0f / 255.0f, 1e-6);
  g_assert_cmpfloat(img->pixels[3 * 4 + 3], ==, 0.0f);
  sr_image_free(img);
  /* Gray + alpha, 8-bit, interlaced → RGBA with gray copied. */
  unsigned char ga[5 * 3 * 2];
  for (int i = 0; i < 15; i++) {
    ga[2 * i] = (unsigned char)(i * 17);
    ga[2 * i + 1] = (unsigned char)(255 - i);
  }
  write_png_raw(p, 5, 3, 8, PNG_COLOR_TYPE_GRAY_ALPHA, true, ga, 10);
  img = read_ok(p);
  g_assert_cmpint(img->channels, ==, 4);
  for (int i = 0; i < 15; i++) {
    g_assert_cmpfloat_with_epsilon(img->pixels[i * 4 + 0], i * 17 / 255.0f, 1e-6);
    g_assert_cmpfloat(img->pixels[i * 4 + 2], ==, img->pixels[i * 4]);
    g_assert_cmpfloat_with_epsilon(img->pixels[i * 4 + 3], (255 - i) / 255.0f, 1e-6);
  }
  sr_image_free(img);
  /* 16-bit gray, big-endian samples. */
  unsigned char g16[3 * 2 * 2];
  const uint16_t vals[6] = {0, 1, 256, 40000, 65534, 65535};
  for (int i = 0; i < 6; i++) {
    g16[2 * i] = (unsigned char)(vals[i] >> 8);
    g16[2 * i + 1] = (unsigned char)vals[i];
  }
  write_png_raw(p, 3, 2, 16, PNG_COLOR_TYPE_GRAY, false, g16, 6);
  img = read_ok(p);
  g_assert_cmpint(img->channels, ==, 1);
  for (int i = 0; i < 6; i++)
    g_assert_cmpfloat(img->pixels[i], ==, vals[i] / 65535.0f);
  sr_image_free(img);
  /* 2-bit gray expands to 8. */
  unsigned char g2[1] = {0x1b}; /* 00 01 10 11 */
  write_png_raw(p, 4, 1, 2, PNG_COLOR_TYPE_GRAY, false, g2, 1);
  img = read_ok(p);
  g_assert_cmpfloat_with_epsilon(img->pixels[1], 85.0f / 255.0f, 1e-6);
  g_assert_cmpfloat(img->pixels[3], ==, 1.0f);
  sr_image_free(img);
  g_free(p);
  rm_rf(dir);
  g_free(dir);
}

static void
write_tiff_raw(const char *path, int w, int h, int spp, int bits, int format, int planar,
               int photometric, int tile, const void *samples)
{
  TIFF *tif = TIFFOpen(path, "w");
  g_assert_nonnull(tif);
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)w);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)h);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)spp);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)bits);
  TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, (uint16_t)format);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, (uint16_t)photometric);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, (uint16_t)planar);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
  if (spp == 4) {
    uint16_t extra = EXTRASAMPLE_ASSOCALPHA;
    TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, &extra);
  }
  size_t bps = (size_t)bits / 8;
  int planes = planar == PLANARCONFIG_SEPARATE ? spp : 1;
  int per = planes > 1 ? 1 : spp;
  if (tile) {
    TIFFSetField(tif, TIFFTAG_TILEWIDTH, (uint32_t)tile);
    TIFFSetField(tif, TIFFTAG_TILELENGTH, (uint32_t)tile);
    unsigned char *buf = g_malloc0((size_t)tile * tile * per * bps);
    for (int pl = 0; pl < planes; pl++)
      for (int ty = 0; ty < h; ty += tile)
        for (int tx = 0; tx < w; tx += tile) {
          memset(buf, 0, (size_t)tile * tile * per * bps);
          for (int y = 0; y < tile && ty + y < h; y++)
            for (int x = 0; x < tile && tx + x < w; x++)
              for (int s = 0; s < per; s++) {
                size_t src = (((size_t)(ty + y) * w + tx + x) * spp + (planes > 1 ? pl : s)) * bps;
                memcpy(buf + (((size_t)y * tile + x) * per + s) * bps, (const char *)samples + src,
                       bps);
              }
          g_assert_cmpint(TIFFWriteTile(tif, buf, (uint32_t)tx, (uint32_t)ty, 0, (uint16_t)pl), >=,
                          0);
        }
    g_free(buf);
  } else {
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 3);
    unsigned char *row = g_malloc((size_t)w * per * bps);
    for (int pl = 0; pl < planes; pl++)
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++)
          for (int s = 0; s < per; s++)
            memcpy(row + ((size_t)x * per + s) * bps,
                   (const char *)samples +
                       (((size_t)y * w + x) * spp + (planes > 1 ? pl : s)) * bps,
                   bps);
        g_assert_cmpint(TIFFWriteScanline(tif, row, (uint32_t)y, (uint16_t)pl), >=, 0);
      }
    g_free(row);
  }
  TIFFClose(tif);
}

static void
test_tiff_layouts(void)
{
  char *dir = make_tmp();
  char *p = g_build_filename(dir, "t.tif", NULL);
  const int w = 21, h = 11;
  uint16_t s16[21 * 11 * 4];
  float f32[21 * 11 * 3];
  for (int i = 0; i < w * h * 4; i++)
    s16[i] = (uint16_t)(i * 977u);
  for (int i = 0; i < w * h * 3; i++)
    f32[i] = (float)i / 100.0f - 1.0f;
  const int planar[] = {PLANARCONFIG_CONTIG, PLANARCONFIG_SEPARATE};
  for (int pl = 0; pl < 2; pl++)
    for (int tile = 0; tile <= 16; tile += 16) {
      write_tiff_raw(p, w, h, 4, 16, SAMPLEFORMAT_UINT, planar[pl], PHOTOMETRIC_RGB, tile, s16);
      sr_image *img = read_ok(p);
      g_assert_cmpint(img->channels, ==, 4);
      for (int i = 0; i < w * h * 4; i++)
        if (img->pixels[i] != s16[i] / 65535.0f)
          g_error("planar %d tile %d: sample %d is %g, expected %g", pl, tile, i, img->pixels[i],
                  s16[i] / 65535.0f);
      sr_image_free(img);
    }
  /* 32-bit float, values outside [0,1] kept. */
  write_tiff_raw(p, w, h, 3, 32, SAMPLEFORMAT_IEEEFP, PLANARCONFIG_SEPARATE, PHOTOMETRIC_RGB, 0,
                 f32);
  sr_image *img = read_ok(p);
  for (int i = 0; i < w * h * 3; i++)
    g_assert_cmpfloat(img->pixels[i], ==, f32[i]);
  sr_image_info info;
  sr_error err = {0};
  g_assert_true(sr_image_read_info(p, &info, &err));
  g_assert_cmpint(info.bit_depth, ==, 32);
  sr_image_free(img);
  /* 8-bit min-is-white gray is inverted. */
  unsigned char g8[21 * 11];
  for (int i = 0; i < w * h; i++)
    g8[i] = (unsigned char)i;
  write_tiff_raw(p, w, h, 1, 8, SAMPLEFORMAT_UINT, PLANARCONFIG_CONTIG, PHOTOMETRIC_MINISWHITE, 0,
                 g8);
  img = read_ok(p);
  g_assert_cmpint(img->channels, ==, 1);
  for (int i = 0; i < w * h; i++)
    g_assert_cmpfloat_with_epsilon(img->pixels[i], 1.0f - g8[i] / 255.0f, 1e-6);
  sr_image_free(img);
  /* Palette TIFFs are refused, naming the field. */
  write_tiff_raw(p, w, h, 1, 8, SAMPLEFORMAT_UINT, PLANARCONFIG_CONTIG, PHOTOMETRIC_SEPARATED, 0,
                 g8);
  read_fails(p, SR_ERR_UNSUPPORTED, "PhotometricInterpretation");
  write_tiff_raw(p, w, h, 3, 32, SAMPLEFORMAT_UINT, PLANARCONFIG_CONTIG, PHOTOMETRIC_RGB, 0, f32);
  read_fails(p, SR_ERR_UNSUPPORTED, "BitsPerSample 32");
  g_free(p);
  rm_rf(dir);
  g_free(dir);
}

/* A DPX made byte by byte: 10-bit RGB, method A, in the given byte order,
 * pixel data at `offset` (the header's own offset field says 2048 when
 * element_offset is set, to check the element's offset wins). */
static unsigned char *
make_dpx(int w, int h, bool big_endian, uint32_t offset, int bits, int packing, size_t *len,
         uint16_t (*code)(int x, int y, int c))
{
  size_t line16 = ((size_t)w * 3 * 2 + 3) / 4 * 4; /* 16-bit lines end on a word */
  size_t size = offset + (bits == 16 ? line16 * h : (size_t)w * h * 4);
  unsigned char *d = g_malloc0(size);
  memcpy(d, big_endian ? "SDPX" : "XPDS", 4);
#define PUT32(p, v)                                                        \
  do {                                                                     \
    uint32_t v_ = (v);                                                     \
    unsigned char *q_ = (p);                                               \
    for (int k_ = 0; k_ < 4; k_++)                                         \
      q_[big_endian ? k_ : 3 - k_] = (unsigned char)(v_ >> (24 - 8 * k_)); \
  } while (0)
#define PUT16(p, v)                                    \
  do {                                                 \
    uint16_t v_ = (v);                                 \
    unsigned char *q_ = (p);                           \
    q_[big_endian ? 0 : 1] = (unsigned char)(v_ >> 8); \
    q_[big_endian ? 1 : 0] = (unsigned char)v_;        \
  } while (0)
  PUT32(d + 4, 2048); /* generic image offset (element offset overrides) */
  PUT32(d + 16, (uint32_t)size);
  PUT16(d + 768, 0); /* orientation */
  PUT16(d + 770, 1); /* elements */
  PUT32(d + 772, (uint32_t)w);
  PUT32(d + 776, (uint32_t)h);
  PUT32(d + 780, 0); /* unsigned */
  d[800] = 50;       /* RGB */
  d[803] = (unsigned char)bits;
  PUT16(d + 804, (uint16_t)packing);
  PUT16(d + 806, 0);
  PUT32(d + 808, offset);
  PUT32(d + 812, 0);
  for (int y = 0; y < h && bits == 16; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        PUT16(d + offset + (size_t)y * line16 + ((size_t)x * 3 + c) * 2, code(x, y, c));
  for (int y = 0; y < h && bits != 16; y++)
    for (int x = 0; x < w; x++) {
      uint32_t word = (uint32_t)code(x, y, 0) << 22 | (uint32_t)code(x, y, 1) << 12 |
                      (uint32_t)code(x, y, 2) << 2 | 0x3u; /* padding bits set: ignored */
      PUT32(d + offset + ((size_t)y * w + x) * 4, word);
    }
#undef PUT32
#undef PUT16
  *len = size;
  return d;
}

static uint16_t
dpx_code(int x, int y, int c)
{
  return (uint16_t)((x * 31 + y * 17 + c * 400) % 1024);
}

static uint16_t
dpx_code16(int x, int y, int c)
{
  return (uint16_t)((x * 3001 + y * 1777 + c * 20000) % 65536);
}

static void
test_dpx(void)
{
  char *dir = make_tmp();
  char *p = g_build_filename(dir, "scan.dpx", NULL);
  for (int be = 0; be < 2; be++) {
    size_t len;
    unsigned char *d = make_dpx(13, 7, be, 4096, 10, 1, &len, dpx_code);
    write_bytes(p, d, len);
    sr_image *img = read_ok(p);
    g_assert_cmpint(img->channels, ==, 3);
    g_assert_cmpint(img->width, ==, 13);
    for (int y = 0; y < 7; y++)
      for (int x = 0; x < 13; x++)
        for (int c = 0; c < 3; c++)
          g_assert_cmpfloat(img->pixels[((size_t)y * 13 + x) * 3 + c], ==,
                            dpx_code(x, y, c) / 1023.0f);
    sr_image_info info;
    sr_error err = {0};
    g_assert_true(sr_image_read_info(p, &info, &err));
    g_assert_cmpint(info.bit_depth, ==, 10);
    sr_image_free(img);
    /* Truncated pixel data. */
    write_bytes(p, d, len - 10);
    read_fails(p, SR_ERR_FORMAT, "truncated");
    write_bytes(p, d, 600);
    read_fails(p, SR_ERR_FORMAT, "truncated");
    g_free(d);
    /* 16-bit (ADX16 scans), ADX codes in the header: every sample exact. */
    d = make_dpx(13, 7, be, 2048, 16, be ? 0 : 1, &len, dpx_code16);
    d[801] = d[802] = SR_DPX_ADX;
    write_bytes(p, d, len);
    img = read_ok(p);
    for (int y = 0; y < 7; y++)
      for (int x = 0; x < 13; x++)
        for (int c = 0; c < 3; c++)
          g_assert_cmpfloat(img->pixels[((size_t)y * 13 + x) * 3 + c], ==,
                            dpx_code16(x, y, c) / 65535.0f);
    sr_image_free(img);
    g_assert_true(sr_image_read_info(p, &info, &err));
    g_assert_cmpint(info.bit_depth, ==, 16);
    g_assert_cmpint(info.transfer, ==, SR_DPX_ADX);
    sr_colourspace cs;
    char why[256];
    g_assert_true(sr_image_info_suggest_colourspace(&info, &cs, why, sizeof why));
    g_assert_cmpint(cs, ==, SR_CS_ADX16);
    write_bytes(p, d, len - 3);
    read_fails(p, SR_ERR_FORMAT, "truncated");
    g_free(d);
    d = make_dpx(13, 7, be, 2048, 16, 2, &len, dpx_code16);
    write_bytes(p, d, len);
    read_fails(p, SR_ERR_UNSUPPORTED, "16-bit packing 2");
    g_free(d);
    /* Other bit depths and packings are refused, naming the field. */
    d = make_dpx(13, 7, be, 2048, 12, 1, &len, dpx_code);
    write_bytes(p, d, len);
    read_fails(p, SR_ERR_UNSUPPORTED, "bit size 12");
    g_free(d);
    d = make_dpx(13, 7, be, 2048, 10, 0, &len, dpx_code);
    write_bytes(p, d, len);
    read_fails(p, SR_ERR_UNSUPPORTED, "packing 0");
    g_free(d);
    d = make_dpx(13, 7, be, 2048, 10, 2, &len, dpx_code);
    write_bytes(p, d, len);
    read_fails(p, SR_ERR_UNSUPPORTED, "packing 2");
    g_free(d);
    /* A header claiming 100000 x 100000 pixels. */
    d = make_dpx(13, 7, be, 2048, 10, 1, &len, dpx_code);
    for (int k = 0; k < 2; k++) {
      unsigned char *f = d + 772 + 4 * k;
      uint32_t v = 100000;
      for (int b = 0; b < 4; b++)
        f[be ? b : 3 - b] = (unsigned char)(v >> (24 - 8 * b));
    }
    write_bytes(p, d, len);
    read_fails(p, SR_ERR_NOMEM, "100000x100000");
    g_free(d);
  }
  /* Our DPX writer: 10-bit RGB, read back within half a code value. */
  sr_image *img = make_image(19, 5, 3, 0, 1, 40);
  sr_write_options o = options(SR_EXR_ZIP, 16, false);
  write_ok(p, img, &o);
  sr_image *back = read_ok(p);
  g_assert_cmpfloat(max_abs_error_clamped(img, back, 3), <=, 0.5f / 1023.0f + 1e-6f);
  sr_image_free(back);
  /* By default the header says user defined: the project must ask. */
  sr_image_info info;
  sr_error err = {0};
  char why[256];
  sr_colourspace cs = SR_CS_COUNT;
  g_assert_true(sr_image_read_info(p, &info, &err));
  g_assert_cmpint(info.transfer, ==, SR_DPX_USER_DEFINED);
  g_assert_cmpint(info.colorimetric, ==, SR_DPX_USER_DEFINED);
  g_assert_false(sr_image_info_suggest_colourspace(&info, &cs, why, sizeof why));
  g_assert_nonnull(strstr(why, "transfer 0 (user defined)"));
  g_assert_cmpint(cs, ==, SR_CS_COUNT);
  /* Printing density written and read back: Cineon, saying why. */
  o.dpx_transfer = o.dpx_colorimetric = SR_DPX_PRINTING_DENSITY;
  write_ok(p, img, &o);
  g_assert_true(sr_image_read_info(p, &info, &err));
  g_assert_cmpint(info.transfer, ==, SR_DPX_PRINTING_DENSITY);
  g_assert_cmpint(info.colorimetric, ==, SR_DPX_PRINTING_DENSITY);
  g_assert_true(sr_image_info_suggest_colourspace(&info, &cs, why, sizeof why));
  g_assert_cmpint(cs, ==, SR_CS_CINEON);
  g_assert_nonnull(strstr(why, "transfer 1 (printing density)"));
  g_assert_nonnull(strstr(why, "Cineon"));
  /* Other codes: ADX by bit depth, BT.709, linear + BT.709, unknown. */
  const struct {
    int transfer, colorimetric, bits;
    gboolean found;
    sr_colourspace cs;
  } cases[] = {
      {SR_DPX_ADX, SR_DPX_ADX, 10, TRUE, SR_CS_ADX10},
      {SR_DPX_ADX, SR_DPX_ADX, 16, TRUE, SR_CS_ADX16},
      {SR_DPX_BT709, SR_DPX_BT709, 10, TRUE, SR_CS_REC709},
      {SR_DPX_LINEAR, SR_DPX_BT709, 16, TRUE, SR_CS_LINEAR_REC709},
      {SR_DPX_LINEAR, SR_DPX_USER_DEFINED, 16, FALSE, SR_CS_COUNT},
      {SR_DPX_UNSPECIFIED_VIDEO, 4, 10, FALSE, SR_CS_COUNT},
      {42, 42, 10, FALSE, SR_CS_COUNT},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    info.transfer = cases[i].transfer;
    info.colorimetric = cases[i].colorimetric;
    info.bit_depth = cases[i].bits;
    cs = SR_CS_COUNT;
    g_assert_cmpint(sr_image_info_suggest_colourspace(&info, &cs, why, sizeof why), ==,
                    cases[i].found);
    g_assert_cmpint(cs, ==, cases[i].cs);
  }
  /* Formats without the fields: the user chooses. */
  info.format = SR_FORMAT_TIFF;
  info.transfer = info.colorimetric = -1;
  g_assert_false(sr_image_info_suggest_colourspace(&info, &cs, why, sizeof why));
  sr_image_free(img);
  g_free(p);
  rm_rf(dir);
  g_free(dir);
}

/* ---- bad input ----------------------------------------------------------- */

static uint32_t
crc32_png(const unsigned char *p, size_t n)
{
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++)
      c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

static void
put_be32(unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

static void
test_bad_truncated(void)
{
  char *dir = make_tmp();
  sr_image *img = make_image(64, 64, 3, 0, 1, 50);
  const char *exts[] = {"exr", "png", "tif", "dpx"};
  for (int e = 0; e < 4; e++) {
    char *full = g_strdup_printf("%s/full.%s", dir, exts[e]);
    char *cut = g_strdup_printf("%s/cut.%s", dir, exts[e]);
    sr_write_options o = options(SR_EXR_ZIP, 16, false);
    write_ok(full, img, &o);
    size_t len;
    char *data = read_bytes(full, &len);
    /* Cuts inside the header, the offset table and the pixel data. */
    const double fractions[] = {0.002, 0.01, 0.05, 0.3, 0.6, 0.95, 0.999};
    for (int f = 0; f < 7; f++) {
      size_t n = (size_t)(len * fractions[f]);
      if (n < 5)
        n = 5;
      write_bytes(cut, data, n);
      sr_error err = {0};
      sr_image *r = sr_image_read(cut, &err);
      if (r)
        g_error("%s cut to %zu of %zu bytes read without error", exts[e], n, len);
      if (err.code != SR_ERR_FORMAT)
        g_error("%s cut to %zu bytes: status %s: %s", exts[e], n, sr_status_name(err.code),
                err.message);
      g_assert_nonnull(strstr(err.message, cut));
    }
    g_free(data);
    g_free(full);
    g_free(cut);
  }
  sr_image_free(img);
  rm_rf(dir);
  g_free(dir);
}

/* Flipped bytes anywhere: the reader may succeed or fail, but must never
 * crash or read out of bounds (the sanitizer builds check the latter). */
static void
test_bad_flips(void)
{
  char *dir = make_tmp();
  sr_image *img = make_image(40, 40, 3, 0, 1, 51);
  const char *exts[] = {"exr", "exr", "png", "tif", "dpx"};
  sr_rng rng;
  sr_rng_seed(&rng, 99);
  for (int e = 0; e < 5; e++) {
    char *full = g_strdup_printf("%s/full.%s", dir, exts[e]);
    char *bad = g_strdup_printf("%s/bad.%s", dir, exts[e]);
    sr_write_options o = options(e == 0 ? SR_EXR_PIZ : SR_EXR_ZIP, 16, false);
    write_ok(full, img, &o);
    size_t len;
    char *data = read_bytes(full, &len);
    for (int trial = 0; trial < 60; trial++) {
      char *copy = g_memdup2(data, len);
      int flips = 1 + (int)(sr_rng_uniform(&rng) * 4);
      for (int k = 0; k < flips; k++) {
        /* Half the flips land in the first 400 bytes, where the headers are. */
        size_t at = sr_rng_uniform(&rng) < 0.5 ? (size_t)(sr_rng_uniform(&rng) * MIN(len, 400))
                                               : (size_t)(sr_rng_uniform(&rng) * len);
        copy[at] ^= (char)(1 + (int)(sr_rng_uniform(&rng) * 255));
      }
      write_bytes(bad, copy, len);
      sr_error err = {0};
      sr_image *r = sr_image_read(bad, &err);
      if (r)
        sr_image_free(r);
      else
        g_assert_cmpstr(err.message, !=, "");
      g_free(copy);
    }
    g_free(data);
    g_free(full);
    g_free(bad);
  }
  sr_image_free(img);
  rm_rf(dir);
  g_free(dir);
}

static void
test_bad_absurd_sizes(void)
{
  char *dir = make_tmp();
  char *p = g_build_filename(dir, "huge.png", NULL);
  /* A PNG signature and an IHDR for 100000 x 100000 RGB, valid CRCs. */
  unsigned char png[8 + 25 + 12 + 12];
  memcpy(png, "\x89PNG\r\n\x1a\n", 8);
  put_be32(png + 8, 13);
  memcpy(png + 12, "IHDR", 4);
  put_be32(png + 16, 100000);
  put_be32(png + 20, 100000);
  png[24] = 8; /* depth */
  png[25] = 2; /* RGB */
  png[26] = png[27] = png[28] = 0;
  put_be32(png + 29, crc32_png(png + 12, 17));
  put_be32(png + 33, 0); /* an empty IDAT: reading stops at the size check */
  memcpy(png + 37, "IDAT", 4);
  put_be32(png + 41, crc32_png(png + 37, 4));
  put_be32(png + 45, 0);
  memcpy(png + 49, "IEND", 4);
  put_be32(png + 53, crc32_png(png + 49, 4));
  write_bytes(p, png, sizeof png);
  read_fails(p, SR_ERR_NOMEM, "100000x100000");
  sr_image_info info;
  sr_error err = {0};
  g_assert_false(sr_image_read_info(p, &info, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_NOMEM);
  g_free(p);

  /* A TIFF whose header claims 100000 x 100000 (made by libtiff, one strip). */
  p = g_build_filename(dir, "huge.tif", NULL);
  TIFF *tif = TIFFOpen(p, "w");
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 100000u);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 100000u);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 3);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
  TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 1u);
  unsigned char *row = g_malloc0(100000 * 3);
  TIFFWriteScanline(tif, row, 0, 0);
  g_free(row);
  TIFFClose(tif);
  read_fails(p, SR_ERR_NOMEM, "100000x100000");
  g_free(p);

  /* An EXR whose data window is 100000 x 100000 (header only). */
  p = g_build_filename(dir, "huge.exr", NULL);
  exr_context_initializer_t init = EXR_DEFAULT_CONTEXT_INITIALIZER;
  exr_context_t ctxt = NULL;
  int part = 0;
  g_assert_cmpint(exr_start_write(&ctxt, p, EXR_WRITE_FILE_DIRECTLY, &init), ==, 0);
  exr_add_part(ctxt, NULL, EXR_STORAGE_SCANLINE, &part);
  exr_initialize_required_attr_simple(ctxt, part, 100000, 100000, EXR_COMPRESSION_NONE);
  exr_add_channel(ctxt, part, "Y", EXR_PIXEL_HALF, EXR_PERCEPTUALLY_LOGARITHMIC, 1, 1);
  exr_write_header(ctxt);
  exr_finish(&ctxt);
  err = (sr_error){0};
  g_assert_null(sr_image_read(p, &err));
  g_assert_cmpint(err.code, !=, SR_OK);
  g_assert_nonnull(strstr(err.message, p));
  g_free(p);
  rm_rf(dir);
  g_free(dir);
}

/* A header may declare a frame within the size limits that the file is far
 * too short to hold: it is refused, naming the file and its size, before the
 * frame's memory is reserved. Files that compress as well as their codec
 * allows (an all-black frame) still read. */
static void
test_bad_short_for_size(void)
{
  char *dir = make_tmp();

  /* A 16 x 16 ZIP EXR whose windows are then rewritten to 16000 x 16000. */
  char *p = g_build_filename(dir, "short.exr", NULL);
  sr_image *small = make_image(16, 16, 3, 0, 1, 7);
  sr_write_options zo = options(SR_EXR_ZIP, 16, false);
  write_ok(p, small, &zo);
  sr_image_free(small);
  size_t len = 0;
  char *bytes = read_bytes(p, &len);
  int patched = 0;
  for (const char *name = "dataWindow"; name; name = patched == 1 ? "displayWindow" : NULL) {
    size_t nlen = strlen(name) + 1;
    for (size_t i = 0; i + nlen + 6 + 4 + 16 <= len; i++)
      if (memcmp(bytes + i, name, nlen) == 0 && memcmp(bytes + i + nlen, "box2i", 6) == 0) {
        unsigned char *box = (unsigned char *)bytes + i + nlen + 6 + 4;
        for (int k = 8; k < 16; k += 4) { /* max.x, max.y, little-endian */
          box[k] = 15999 & 0xff;
          box[k + 1] = 15999 >> 8;
          box[k + 2] = box[k + 3] = 0;
        }
        patched++;
        break;
      }
    if (patched == 0)
      break;
  }
  g_assert_cmpint(patched, ==, 2);
  write_bytes(p, bytes, len);
  g_free(bytes);
  read_fails(p, SR_ERR_FORMAT, "too short for the 16000x16000 image");
  g_free(p);

  /* A PNG whose IHDR says 16384 x 16384 RGBA 16-bit, with an empty IDAT. */
  p = g_build_filename(dir, "short.png", NULL);
  unsigned char png[8 + 25 + 12 + 12];
  memcpy(png, "\x89PNG\r\n\x1a\n", 8);
  put_be32(png + 8, 13);
  memcpy(png + 12, "IHDR", 4);
  put_be32(png + 16, 16384);
  put_be32(png + 20, 16384);
  png[24] = 16; /* depth */
  png[25] = 6;  /* RGBA */
  png[26] = png[27] = png[28] = 0;
  put_be32(png + 29, crc32_png(png + 12, 17));
  put_be32(png + 33, 0);
  memcpy(png + 37, "IDAT", 4);
  put_be32(png + 41, crc32_png(png + 37, 4));
  put_be32(png + 45, 0);
  memcpy(png + 49, "IEND", 4);
  put_be32(png + 53, crc32_png(png + 49, 4));
  write_bytes(p, png, sizeof png);
  read_fails(p, SR_ERR_FORMAT, "too short for the 16384x16384 image");
  g_free(p);

  /* All black, compressed as far as it goes: ZIP EXR and a 1-bit PNG. */
  sr_error err = {0};
  sr_image *black = sr_image_new(2048, 1024, 3, &err);
  g_assert_nonnull(black);
  p = g_build_filename(dir, "black.exr", NULL);
  sr_write_options o = options(SR_EXR_ZIP, 16, false);
  write_ok(p, black, &o);
  sr_image *back = sr_image_read(p, &err);
  if (!back)
    g_error("%s: %s", p, err.message);
  sr_image_free(back);
  sr_image_free(black);
  g_free(p);

  p = g_build_filename(dir, "black.png", NULL);
  FILE *fp = fopen(p, "wb");
  g_assert_nonnull(fp);
  png_structp w = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop wi = png_create_info_struct(w);
  png_init_io(w, fp);
  png_set_compression_level(w, 9);
  png_set_IHDR(w, wi, 4096, 4096, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(w, wi);
  unsigned char row[4096 / 8] = {0};
  for (int y = 0; y < 4096; y++)
    png_write_row(w, row);
  png_write_end(w, NULL);
  png_destroy_write_struct(&w, &wi);
  fclose(fp);
  back = sr_image_read(p, &err);
  if (!back)
    g_error("%s: %s", p, err.message);
  g_assert_cmpint(back->width, ==, 4096);
  sr_image_free(back);
  g_free(p);

  rm_rf(dir);
  g_free(dir);
}

/* ---- atomic writes ------------------------------------------------------- */

static void
test_write_failures(void)
{
  char *dir = make_tmp();
  sr_image *img = make_image(32, 32, 3, 0, 1, 60);
  sr_write_options o = options(SR_EXR_ZIP, 16, false);
  const char *exts[] = {"exr", "png", "tif", "dpx"};
  for (int e = 0; e < 4; e++) {
    sr_error err = {0};
    /* Missing output folder. */
    char *p = g_strdup_printf("%s/no-such-folder/out.%s", dir, exts[e]);
    g_assert_false(sr_image_write(p, img, &o, &err));
    g_assert_cmpint(err.code, ==, SR_ERR_MISSING);
    g_assert_nonnull(strstr(err.message, p));
    g_free(p);
    /* A "folder" that is a file. */
    char *file = g_build_filename(dir, "plain-file", NULL);
    write_bytes(file, "x", 1);
    p = g_strdup_printf("%s/out.%s", file, exts[e]);
    g_assert_false(sr_image_write(p, img, &o, &err));
    g_assert_cmpint(err.code, ==, SR_ERR_IO);
    g_free(p);
    g_free(file);
    /* A folder without write permission (root ignores permissions). */
    if (geteuid() != 0) {
      char *ro = g_build_filename(dir, "read-only", NULL);
      g_mkdir(ro, 0555);
      p = g_strdup_printf("%s/out.%s", ro, exts[e]);
      g_assert_false(sr_image_write(p, img, &o, &err));
      g_assert_nonnull(strstr(err.message, "permission"));
      g_assert_false(g_file_test(p, G_FILE_TEST_EXISTS));
      g_free(p);
      g_chmod(ro, 0700);
      g_free(ro);
    }
    /* A successful write replaces the old file and leaves no temporary. */
    p = g_strdup_printf("%s/out.%s", dir, exts[e]);
    write_bytes(p, "old", 3);
    write_ok(p, img, &o);
    sr_image *back = read_ok(p);
    sr_image_free(back);
    struct stat st;
    g_assert_cmpint(g_stat(p, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0044, ==, 0044); /* readable by the group and others */
    g_free(p);
  }
  g_assert_cmpint(count_temps(dir), ==, 0);
  sr_image_free(img);
  rm_rf(dir);
  g_free(dir);
}

/* A full disk (here: the file size limit, EFBIG) must read as "no space",
 * keep the previous file and leave no temporary. Runs in a child process
 * because the limit and the ignored SIGXFSZ are process-wide. */
static void
test_write_nospace(void)
{
  const char *exts[] = {"exr", "png", "tif", "dpx"};
  if (g_test_subprocess()) {
    const char *dir = g_getenv("SR_IO_TEST_DIR");
    g_assert_nonnull(dir);
    /* Noise does not compress: every format needs far more than the limit. */
    sr_image *img = sr_image_new(256, 256, 3, NULL);
    sr_rng rng;
    sr_rng_seed(&rng, 70);
    for (size_t i = 0; i < sr_image_n_floats(img); i++)
      img->pixels[i] = (float)sr_rng_uniform(&rng);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {32768, 32768};
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);
    sr_write_options o = options(SR_EXR_ZIP, 16, false);
    for (int e = 0; e < 4; e++) {
      char *p = g_strdup_printf("%s/keep.%s", dir, exts[e]);
      sr_error err = {0};
      g_assert_false(sr_image_write(p, img, &o, &err));
      if (err.code != SR_ERR_NOSPACE)
        g_error("%s: expected no-space, got %s: %s", p, sr_status_name(err.code), err.message);
      g_assert_nonnull(strstr(err.message, "free some space"));
      size_t len;
      char *data = read_bytes(p, &len);
      g_assert_cmpmem(data, len, "previous", 8);
      g_free(data);
      g_free(p);
    }
    g_assert_cmpint(count_temps(dir), ==, 0);
    sr_image_free(img);
    return;
  }
  char *dir = make_tmp();
  for (int e = 0; e < 4; e++) {
    char *p = g_strdup_printf("%s/keep.%s", dir, exts[e]);
    write_bytes(p, "previous", 8);
    g_free(p);
  }
  /* The child inherits the environment; this test runs single-threaded. */
  g_setenv("SR_IO_TEST_DIR", dir, TRUE);
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv("SR_IO_TEST_DIR");
  g_test_trap_assert_passed();
  rm_rf(dir);
  g_free(dir);
}

/* ---- sequences ------------------------------------------------------------ */

static void
test_pattern_format(void)
{
  struct {
    const char *pattern;
    int frame;
    const char *want;
  } cases[] = {
      {"shot.%04d.exr", 7, "shot.0007.exr"},
      {"shot.%04d.exr", 12345, "shot.12345.exr"},
      {"/a/b/shot_%d.png", 42, "/a/b/shot_42.png"},
      {"shot.####.exr", 7, "shot.0007.exr"},
      {"take#2/shot.###.dpx", 5, "take#2/shot.005.dpx"},
      {"shot.#.tif", 123, "shot.123.tif"},
      {"100%%/s.%06d.exr", 1, "100%/s.000001.exr"},
      {"50%/s.%04d.exr", 2, "50%/s.0002.exr"},
      {"50%/s.####.exr", 3, "50%/s.0003.exr"},
      {"a%%b.%d.exr", 4, "a%b.4.exr"},
      {"f%01d.exr", 3, "f3.exr"},
      {"x.%08d.exr", 99999999, "x.99999999.exr"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    char *got = sr_pattern_format(cases[i].pattern, cases[i].frame);
    g_assert_cmpstr(got, ==, cases[i].want);
    free(got);
  }
  const char *invalid[] = {"shot.exr",     "shot.%s.exr", "shot.%d.%d.exr", "%04d/shot.exr",
                           "shot.%4d.exr", "shot.%%.exr", "shot.%09d.exr",  "a%"};
  for (size_t i = 0; i < G_N_ELEMENTS(invalid); i++) {
    char *got = sr_pattern_format(invalid[i], 1);
    if (got)
      g_error("pattern \"%s\" accepted: %s", invalid[i], got);
  }
  g_assert_null(sr_pattern_format("shot.%04d.exr", -1));
  g_assert_null(sr_pattern_format("shot.%04d.exr", 100000000));
  /* The padding a render and a delivery copy from the Source. */
  g_assert_cmpint(sr_pattern_digits("shot.%04d.exr"), ==, 4);
  g_assert_cmpint(sr_pattern_digits("/a/shot.######.dpx"), ==, 6);
  g_assert_cmpint(sr_pattern_digits("shot_%d.png"), ==, 0);
  g_assert_cmpint(sr_pattern_digits("movie.mov"), ==, -1);
  g_assert_cmpint(sr_pattern_digits("shot.%s.exr"), ==, -1);
}

static void
touch_frame(const char *dir, const char *fmt_name, int frame)
{
  char *path = g_strdup_printf("%s/%s", dir, fmt_name);
  char *full = sr_pattern_format(path, frame);
  g_assert_nonnull(full);
  write_bytes(full, "", 0);
  free(full);
  g_free(path);
}

static void
test_sequence_scan(void)
{
  char *dir = make_tmp();
  for (int f = 1; f <= 12; f++)
    if (f != 3 && f != 7 && f != 8 && f != 9)
      touch_frame(dir, "shot.%04d.exr", f);
  /* Not frames of the sequence: other padding, other names, a folder. */
  touch_frame(dir, "shot.%03d.exr", 20);
  touch_frame(dir, "shot.%04d.exr.bak", 30);
  touch_frame(dir, "other.%04d.exr", 40);
  char *sub = g_build_filename(dir, "shot.0050.exr", NULL);
  g_mkdir(sub, 0700);
  g_free(sub);

  sr_sequence seq;
  sr_error err = {0};
  char *pattern = g_build_filename(dir, "shot.%04d.exr", NULL);
  g_assert_true(sr_sequence_open(&seq, pattern, &err));
  g_assert_false(seq.single_file);
  g_assert_cmpstr(seq.pattern, ==, pattern);
  g_assert_cmpint(seq.first, ==, 1);
  g_assert_cmpint(seq.last, ==, 12);
  g_assert_cmpint(seq.n_missing, ==, 4);
  char text[64];
  sr_sequence_describe_missing(&seq, text, sizeof text);
  g_assert_cmpstr(text, ==, "3, 7-9");
  sr_sequence_describe_missing(&seq, text, 6);
  g_assert_cmpstr(text, ==, "...");
  sr_sequence_describe_missing(&seq, text, 7);
  g_assert_cmpstr(text, ==, "3, 7-9");
  g_assert_true(sr_sequence_has_frame(&seq, 1));
  g_assert_false(sr_sequence_has_frame(&seq, 8));
  g_assert_false(sr_sequence_has_frame(&seq, 13));
  g_assert_null(sr_sequence_read(&seq, 8, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_MISSING);
  g_assert_nonnull(strstr(err.message, "frame 8 of"));
  g_assert_nonnull(strstr(err.message, "is missing"));
  g_assert_null(sr_sequence_read(&seq, 40, &err));
  g_assert_nonnull(strstr(err.message, "frame 40"));
  char *path = sr_sequence_frame_path(&seq, 9);
  char *want = g_build_filename(dir, "shot.0009.exr", NULL);
  g_assert_cmpstr(path, ==, want);
  free(path);
  g_free(want);
  /* An empty placeholder file is an existing but broken frame. */
  g_assert_null(sr_sequence_read(&seq, 2, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_FORMAT);
  g_assert_nonnull(strstr(err.message, "frame 2: "));
  sr_sequence_clear(&seq);
  g_free(pattern);

  /* The same sequence by hashes, and from one of its files. */
  pattern = g_build_filename(dir, "shot.####.exr", NULL);
  g_assert_true(sr_sequence_open(&seq, pattern, &err));
  g_assert_cmpint(seq.first, ==, 1);
  g_assert_cmpint(seq.n_missing, ==, 4);
  g_assert_true(g_str_has_suffix(seq.pattern, "/shot.%04d.exr"));
  sr_sequence_clear(&seq);
  g_free(pattern);
  char *example = g_build_filename(dir, "shot.0005.exr", NULL);
  g_assert_true(sr_sequence_from_file(&seq, example, &err));
  g_assert_true(g_str_has_suffix(seq.pattern, "/shot.%04d.exr"));
  g_assert_cmpint(seq.last, ==, 12);
  sr_sequence_clear(&seq);
  g_free(example);

  /* Unpadded numbers. */
  for (int f = 8; f <= 11; f++)
    touch_frame(dir, "plate_%d.png", f);
  pattern = g_build_filename(dir, "plate_%d.png", NULL);
  g_assert_true(sr_sequence_open(&seq, pattern, &err));
  g_assert_cmpint(seq.first, ==, 8);
  g_assert_cmpint(seq.last, ==, 11);
  g_assert_cmpint(seq.n_missing, ==, 0);
  sr_sequence_describe_missing(&seq, text, sizeof text);
  g_assert_cmpstr(text, ==, "");
  sr_sequence_clear(&seq);
  g_free(pattern);
  example = g_build_filename(dir, "plate_9.png", NULL);
  g_assert_true(sr_sequence_from_file(&seq, example, &err));
  g_assert_true(g_str_has_suffix(seq.pattern, "/plate_%d.png"));
  g_assert_cmpint(seq.last, ==, 11);
  sr_sequence_clear(&seq);
  g_free(example);
  example = g_build_filename(dir, "plate_10.png", NULL); /* 8 and 9 say: unpadded */
  g_assert_true(sr_sequence_from_file(&seq, example, &err));
  g_assert_true(g_str_has_suffix(seq.pattern, "/plate_%d.png"));
  g_assert_cmpint(seq.first, ==, 8);
  sr_sequence_clear(&seq);
  g_free(example);
  for (int f = 1001; f <= 1003; f++)
    touch_frame(dir, "v.%04d.exr", f);
  example = g_build_filename(dir, "v.1002.exr", NULL); /* nothing to tell: keep 4 digits */
  g_assert_true(sr_sequence_from_file(&seq, example, &err));
  g_assert_true(g_str_has_suffix(seq.pattern, "/v.%04d.exr"));
  g_assert_cmpint(seq.first, ==, 1001);
  g_assert_cmpint(seq.last, ==, 1003);
  sr_sequence_clear(&seq);
  g_free(example);

  /* Percent signs and hashes in folder names are literal. */
  char *odd = g_build_filename(dir, "50% #2", NULL);
  g_mkdir(odd, 0700);
  for (int f = 998; f <= 1001; f++)
    touch_frame(odd, "s_%03d.tif", f);
  example = g_build_filename(odd, "s_1000.tif", NULL);
  g_assert_true(sr_sequence_from_file(&seq, example, &err));
  /* Written with %03d: 998 and 999 tell the padding apart from %04d. */
  g_assert_true(g_str_has_suffix(seq.pattern, "/50%% #2/s_%03d.tif"));
  g_assert_cmpint(seq.first, ==, 998);
  g_assert_cmpint(seq.last, ==, 1001);
  sr_sequence_clear(&seq);
  g_free(example);
  pattern = g_build_filename(odd, "s_###.tif", NULL);
  g_assert_true(sr_sequence_open(&seq, pattern, &err));
  g_assert_cmpint(seq.first, ==, 998);
  g_assert_cmpint(seq.last, ==, 1001);
  path = sr_sequence_frame_path(&seq, 999);
  want = g_build_filename(odd, "s_999.tif", NULL);
  g_assert_cmpstr(path, ==, want);
  free(path);
  g_free(want);
  sr_sequence_clear(&seq);
  g_free(pattern);
  g_free(odd);

  /* A file without a number is a single file. */
  char *single = g_build_filename(dir, "still.exr", NULL);
  write_bytes(single, "", 0);
  g_assert_true(sr_sequence_from_file(&seq, single, &err));
  g_assert_true(seq.single_file);
  g_assert_cmpint(seq.first, ==, 0);
  g_assert_true(sr_sequence_has_frame(&seq, 0));
  path = sr_sequence_frame_path(&seq, 0);
  g_assert_cmpstr(path, ==, single);
  free(path);
  sr_sequence_clear(&seq);
  g_assert_true(sr_sequence_open(&seq, single, &err));
  g_assert_true(seq.single_file);
  sr_sequence_clear(&seq);
  g_free(single);

  /* Failures: no frame matches, missing folder, bad pattern, a folder. */
  pattern = g_build_filename(dir, "nothing.%04d.exr", NULL);
  g_assert_false(sr_sequence_open(&seq, pattern, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_MISSING);
  g_assert_nonnull(strstr(err.message, "no frame"));
  g_free(pattern);
  pattern = g_build_filename(dir, "gone", "shot.%04d.exr", NULL);
  g_assert_false(sr_sequence_open(&seq, pattern, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_MISSING);
  g_assert_nonnull(strstr(err.message, "cannot read folder"));
  g_free(pattern);
  pattern = g_build_filename(dir, "shot.%s.exr", NULL);
  g_assert_false(sr_sequence_open(&seq, pattern, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  g_free(pattern);
  g_assert_false(sr_sequence_open(&seq, dir, &err));
  g_assert_nonnull(strstr(err.message, "is a folder"));
  if (geteuid() != 0) {
    char *locked = g_build_filename(dir, "locked", NULL);
    g_mkdir(locked, 0000);
    pattern = g_build_filename(locked, "shot.%04d.exr", NULL);
    g_assert_false(sr_sequence_open(&seq, pattern, &err));
    g_assert_cmpint(err.code, ==, SR_ERR_IO);
    g_assert_nonnull(strstr(err.message, locked));
    g_free(pattern);
    g_chmod(locked, 0700);
    g_free(locked);
  }
  char *nofile = g_build_filename(dir, "none.exr", NULL);
  g_assert_false(sr_sequence_from_file(&seq, nofile, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_MISSING);
  g_free(nofile);
  sr_sequence_clear(&seq); /* safe on a cleared sequence */
  rm_rf(dir);
  g_free(dir);
}

static void
test_sequence_read(void)
{
  char *dir = make_tmp();
  sr_image *img = make_image(16, 8, 3, 0, 1, 80);
  sr_write_options o = options(SR_EXR_ZIP, 16, false);
  for (int f = 100; f <= 103; f++) {
    char *p = g_strdup_printf("%s/r.%04d.exr", dir, f);
    img->pixels[0] = (float)f / 1000.0f;
    write_ok(p, img, &o);
    g_free(p);
  }
  sr_sequence seq;
  sr_error err = {0};
  char *pattern = g_build_filename(dir, "r.####.exr", NULL);
  g_assert_true(sr_sequence_open(&seq, pattern, &err));
  for (int f = 100; f <= 103; f++) {
    sr_image *r = sr_sequence_read(&seq, f, &err);
    g_assert_nonnull(r);
    g_assert_cmpfloat_with_epsilon(r->pixels[0], f / 1000.0f, 1e-3);
    sr_image_free(r);
  }
  /* A frame deleted after the scan. */
  char *p = sr_sequence_frame_path(&seq, 102);
  g_unlink(p);
  free(p);
  g_assert_null(sr_sequence_read(&seq, 102, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_MISSING);
  g_assert_nonnull(strstr(err.message, "frame 102"));
  sr_sequence_clear(&seq);
  g_free(pattern);
  sr_image_free(img);
  rm_rf(dir);
  g_free(dir);
}

/* 100,000 string attributes read back in well under a second: before, each
 * was looked up against all before it (about 50 s at this count). */
static void
test_exr_many_attributes(void)
{
  const int n = 100000;
  char *dir = make_tmp();
  char *p = g_build_filename(dir, "attrs.exr", NULL);
  sr_image *img = make_image(8, 8, 3, 0, 1, 4);
  sr_attribute *batch = g_new(sr_attribute, n);
  for (int i = 0; i < n; i++) {
    batch[i].key = g_strdup_printf("note%06d", i);
    batch[i].value = g_strdup_printf("%d", i * 7);
  }
  sr_error err = {0};
  g_assert_true(sr_image_set_attributes(img, batch, n, &err));
  sr_write_options o = options(SR_EXR_ZIP, 16, false);
  write_ok(p, img, &o);
  sr_image *back = read_ok(p);
  g_assert_cmpint(back->n_attributes, >=, n);
  g_assert_cmpstr(sr_image_get_attribute(back, "note054321"), ==, "380247");
  for (int i = 0; i < n; i++) {
    g_free(batch[i].key);
    g_free(batch[i].value);
  }
  g_free(batch);
  sr_image_free(back);
  sr_image_free(img);
  rm_rf(dir);
  g_free(p);
  g_free(dir);
}

/* A FIFO or a folder where a frame should be is refused at once, by every
 * reader and by the format sniffer; before, a FIFO blocked forever. */
static void
test_bad_non_regular_frame(void)
{
  char *dir = make_tmp();
  const char *names[] = {"f.0001.exr", "f.0001.png", "f.0001.tif", "f.0001.dpx"};
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    char *fifo = g_build_filename(dir, names[i], NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    sr_error err = {0};
    sr_image_info info;
    g_assert_false(sr_image_read_info(fifo, &info, &err));
    g_assert_nonnull(strstr(err.message, "not a regular file"));
    g_assert_null(sr_image_read(fifo, &err));
    g_assert_nonnull(strstr(err.message, fifo));
    g_remove(fifo);
    g_assert_cmpint(g_mkdir(fifo, 0755), ==, 0);
    g_assert_null(sr_image_read(fifo, &err));
    g_assert_nonnull(strstr(err.message, fifo));
    g_rmdir(fifo);
    g_free(fifo);
  }
  rm_rf(dir);
  g_free(dir);
}

/* The disk fills while the EXR header is written: the library reports the
 * error holding its context lock, and the handler once waited on that lock
 * for good. Must fail with a message, at once. */
static void
test_write_nospace_in_header(void)
{
  if (g_test_subprocess()) {
    const char *dir = g_getenv("SR_IO_TEST_DIR");
    sr_image *img = sr_image_new(8, 8, 3, NULL);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {64, 64};
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);
    char *p = g_strdup_printf("%s/small.exr", dir);
    sr_error err = {0};
    g_assert_false(sr_image_write(p, img, NULL, &err));
    g_assert_cmpint(err.code, ==, SR_ERR_NOSPACE);
    g_assert_false(g_file_test(p, G_FILE_TEST_EXISTS));
    g_assert_cmpint(count_temps(dir), ==, 0);
    g_free(p);
    sr_image_free(img);
    return;
  }
  char *dir = make_tmp();
  g_setenv("SR_IO_TEST_DIR", dir, TRUE);
  g_test_trap_subprocess(NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv("SR_IO_TEST_DIR");
  g_test_trap_assert_passed();
  rm_rf(dir);
  g_free(dir);
}

/* A 1 KB TIFF whose header claims a frame of gigabytes (found by the TIFF
 * fuzz target) is refused from its byte counts, before the frame's memory
 * is allocated, naming the file and both sizes. */
static void
test_tiff_claimed_size(void)
{
  g_autofree char *path = g_build_filename(SR_SOURCE_ROOT, "tests", "fuzz", "regress", "tiff",
                                           "tiff-oom-claimed-size.tif", NULL);
  sr_error err = {0};
  sr_image *img = sr_image_read(path, &err);
  g_assert_null(img);
  g_assert_nonnull(strstr(err.message, path));
  g_assert_nonnull(strstr(err.message, "stored bytes"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/io/names", test_names);
  g_test_add_func("/io/bad/tiff-claimed-size", test_tiff_claimed_size);
  g_test_add_func("/io/sniff", test_sniff);
  g_test_add_func("/io/exr/roundtrip", test_exr_roundtrip);
  g_test_add_func("/io/exr/dwaa", test_exr_dwaa);
  g_test_add_func("/io/exr/metadata", test_exr_metadata);
  g_test_add_func("/io/exr/half-exact", test_exr_half_exact);
  g_test_add_func("/io/exr/channels", test_exr_channels);
  g_test_add_func("/io/exr/tiled-and-types", test_exr_tiled_and_types);
  g_test_add_func("/io/exr/maketiled", test_exr_maketiled);
  g_test_add_func("/io/integer/roundtrips", test_integer_roundtrips);
  g_test_add_func("/io/png/profile", test_png_profile);
  g_test_add_func("/io/png/types", test_png_types);
  g_test_add_func("/io/tiff/layouts", test_tiff_layouts);
  g_test_add_func("/io/dpx", test_dpx);
  g_test_add_func("/io/bad/truncated", test_bad_truncated);
  g_test_add_func("/io/bad/flips", test_bad_flips);
  g_test_add_func("/io/bad/absurd-sizes", test_bad_absurd_sizes);
  g_test_add_func("/io/bad/short-for-size", test_bad_short_for_size);
  g_test_add_func("/io/bad/non-regular-frame", test_bad_non_regular_frame);
  g_test_add_func("/io/exr/many-attributes", test_exr_many_attributes);
  g_test_add_func("/io/write/failures", test_write_failures);
  g_test_add_func("/io/write/nospace", test_write_nospace);
  g_test_add_func("/io/write/nospace-in-header", test_write_nospace_in_header);
  g_test_add_func("/io/sequence/pattern-format", test_pattern_format);
  g_test_add_func("/io/sequence/scan", test_sequence_scan);
  g_test_add_func("/io/sequence/read", test_sequence_read);
  return g_test_run();
}
