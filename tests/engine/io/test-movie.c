/* Tests for engine/io/sr-movie: decoding clips that Debian's ffmpeg makes
 * from known frames (FFV1 16-bit RGB exactly; ProRes 4444, v210 and H.264
 * within stated tolerances), frame accuracy however a frame is reached, the
 * index cache, colour tags, range, interlace detection and bad files.
 * Skips (77) where ffmpeg or the FFmpeg libraries are missing. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sr-fs.h"
#include "sr-io.h"
#include "sr-movie.h"
#include "sr-test-movie.h"

#define W 64
#define H 48
#define N 30
/* Tags ride on the frames: ffmpeg's encoders take them from the filter
 * chain's output, not from -colorspace given beside a -vf. */
#define TAGS_709 "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709"

/* Smooth colour with a bright square whose place names the frame. */
static sr_image *
make_frame(int f)
{
  sr_image *img = sr_image_new(W, H, 3, NULL);
  int bx = (f * 5) % (W - 8), by = 4 + (f * 3) % (H - 12);
  for (int y = 0; y < H; y++) {
    float *row = sr_image_row(img, y);
    for (int x = 0; x < W; x++) {
      bool sq = x >= bx && x < bx + 8 && y >= by && y < by + 8;
      row[3 * x] = sq ? 0.95f : 0.1f + 0.7f * (float)x / (W - 1);
      row[3 * x + 1] = sq ? 0.9f : 0.15f + 0.6f * (float)y / (H - 1);
      row[3 * x + 2] = sq ? 0.2f : 0.5f + 0.3f * sinf((float)(x + y) / 9.0f + (float)f * 0.4f);
    }
  }
  return img;
}

/* A 2-D gray ramp with 3072 levels: 8-bit decoding would leave at most 256. */
static sr_image *
make_ramp(void)
{
  sr_image *img = sr_image_new(W, H, 3, NULL);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++)
        sr_image_row(img, y)[3 * x + c] = (float)(y * W + x) / (W * H - 1);
  return img;
}

typedef struct fixture {
  char *dir;
  char *frames_dir;
  sr_image *src[N];
} fixture;

static void
fixture_setup(fixture *fx, gconstpointer data)
{
  fx->dir = g_dir_make_tmp("sr-movie-XXXXXX", NULL);
  fx->frames_dir = g_build_filename(fx->dir, "frames", NULL);
  g_mkdir(fx->frames_dir, 0700);
  for (int i = 0; i < N; i++)
    fx->src[i] = make_frame(i);
  sr_test_write_frames(fx->frames_dir, fx->src, N);
  /* The sources as the PNGs hold them (16-bit), for exact comparison. */
  for (int i = 0; i < N; i++) {
    char *p = g_strdup_printf("%s/f%04d.png", fx->frames_dir, i);
    sr_image_free(fx->src[i]);
    fx->src[i] = sr_image_read(p, NULL);
    g_free(p);
  }
}

static void
rm_rf(const char *path)
{
  GDir *d = g_dir_open(path, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d))) {
      char *child = g_build_filename(path, name, NULL);
      if (g_file_test(child, G_FILE_TEST_IS_DIR))
        rm_rf(child);
      else
        g_unlink(child);
      g_free(child);
    }
    g_dir_close(d);
  }
  g_rmdir(path);
}

static void
fixture_teardown(fixture *fx, gconstpointer data)
{
  for (int i = 0; i < N; i++)
    sr_image_free(fx->src[i]);
  rm_rf(fx->dir);
  g_free(fx->frames_dir);
  g_free(fx->dir);
}

static char *
encode(fixture *fx, const char *name, const char *args)
{
  char *out = g_build_filename(fx->dir, name, NULL);
  sr_test_encode(fx->frames_dir, "24", args, out);
  return out;
}

static double
max_abs_diff(const sr_image *a, const sr_image *b, double *mean)
{
  g_assert_cmpint(a->width, ==, b->width);
  g_assert_cmpint(a->height, ==, b->height);
  double mx = 0, sum = 0;
  size_t n = sr_image_n_floats(a);
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a->pixels[i] - b->pixels[i]);
    mx = d > mx ? d : mx;
    sum += d;
  }
  if (mean)
    *mean = sum / (double)n;
  return mx;
}

/* The source frame the picture is closest to. */
static int
nearest_source(fixture *fx, const sr_image *img)
{
  int best = -1;
  double best_d = 1e30;
  for (int i = 0; i < N; i++) {
    double mean;
    max_abs_diff(img, fx->src[i], &mean);
    if (mean < best_d) {
      best_d = mean;
      best = i;
    }
  }
  return best;
}

static sr_sequence
open_seq(const char *path, const char *index_dir)
{
  sr_sequence seq;
  sr_error err = {0};
  if (!sr_sequence_open_indexed(&seq, path, index_dir, &err))
    g_error("%s", err.message);
  return seq;
}

/* Every frame in order, then in a shuffled order, then backwards: each read
 * gives the same picture, the right one, within `tol` (max) and `mean_tol`
 * of its source. */
static void
check_clip(fixture *fx, const char *path, double tol, double mean_tol)
{
  sr_sequence seq = open_seq(path, NULL);
  g_assert_true(sr_sequence_is_movie(&seq));
  g_assert_cmpint(seq.first, ==, 0);
  g_assert_cmpint(seq.last, ==, N - 1);
  sr_image *seqread[N];
  double worst = 0, worst_mean = 0;
  for (int i = 0; i < N; i++) {
    sr_error err = {0};
    seqread[i] = sr_sequence_read(&seq, i, &err);
    g_assert_nonnull(seqread[i]);
    double mean, mx = max_abs_diff(seqread[i], fx->src[i], &mean);
    worst = fmax(worst, mx);
    worst_mean = fmax(worst_mean, mean);
    g_assert_cmpint(nearest_source(fx, seqread[i]), ==, i);
  }
  g_test_message("%s: max error %.5f, worst mean %.6f", path, worst, worst_mean);
  g_assert_cmpfloat(worst, <=, tol);
  g_assert_cmpfloat(worst_mean, <=, mean_tol);
  GRand *r = g_rand_new_with_seed(7);
  int order[2 * N];
  for (int i = 0; i < N; i++) {
    order[i] = g_rand_int_range(r, 0, N);
    order[N + i] = N - 1 - i;
  }
  g_rand_free(r);
  for (int k = 0; k < 2 * N; k++) {
    sr_image *img = sr_sequence_read(&seq, order[k], NULL);
    g_assert_nonnull(img);
    g_assert_cmpmem(img->pixels, sr_image_n_floats(img) * sizeof(float), seqread[order[k]]->pixels,
                    sr_image_n_floats(img) * sizeof(float));
    sr_image_free(img);
  }
  /* A second handle shares the decoder and reads the same pictures. */
  sr_sequence copy;
  g_assert_true(sr_sequence_copy(&copy, &seq, NULL));
  sr_sequence_clear(&seq);
  sr_image *again = sr_sequence_read(&copy, 17, NULL);
  g_assert_cmpmem(again->pixels, sr_image_n_floats(again) * sizeof(float), seqread[17]->pixels,
                  sr_image_n_floats(again) * sizeof(float));
  sr_image_free(again);
  sr_sequence_clear(&copy);
  for (int i = 0; i < N; i++)
    sr_image_free(seqread[i]);
}

static void
test_ffv1_exact(fixture *fx, gconstpointer data)
{
  char *path = encode(fx, "scan.mkv", "-c:v ffv1 -level 3 -g 10 -pix_fmt rgb48le");
  sr_sequence seq = open_seq(path, NULL);
  const sr_movie_info *in = sr_movie_get_info(seq.movie);
  g_assert_cmpint(in->bit_depth, ==, 16);
  g_assert_true(in->is_rgb);
  g_assert_cmpint(in->width, ==, W);
  g_assert_cmpint(in->rate_num, ==, 24);
  for (int i = 0; i < N; i++) {
    sr_image *img = sr_sequence_read(&seq, i, NULL);
    double mean, mx = max_abs_diff(img, fx->src[i], &mean);
    g_assert_cmpfloat(mx, ==, 0.0);
    g_assert_cmpmem(img->pixels, sr_image_n_floats(img) * sizeof(float), fx->src[i]->pixels,
                    sr_image_n_floats(img) * sizeof(float));
    sr_image_free(img);
  }
  sr_sequence_clear(&seq);
  check_clip(fx, path, 0.0, 0.0);
  g_free(path);
}

/* Long-GOP H.264 with B-frames: seeking lands on keyframes, pictures come
 * out of order, and still frame N is frame N. 8-bit 4:2:0: the chroma of the
 * square's edges is shared with its neighbours. */
static void
test_h264(fixture *fx, gconstpointer data)
{
  char *path = encode(fx, "ref.mp4",
                      "-c:v libx264 -pix_fmt yuv420p -qp 0 -g 12 -bf 3 -vf "
                      "scale=out_color_matrix=bt709," TAGS_709);
  check_clip(fx, path, 0.75, 0.01);
  g_free(path);
}

static void
test_prores(fixture *fx, gconstpointer data)
{
  char *path = encode(fx, "tc.mov",
                      "-c:v prores_ks -profile:v 4444 -pix_fmt yuv444p10le -qscale:v 1 -vf "
                      "scale=out_color_matrix=bt709," TAGS_709);
  sr_sequence seq = open_seq(path, NULL);
  g_assert_cmpint(sr_movie_get_info(seq.movie)->bit_depth, >=, 10); /* 4444 decodes as 12-bit */
  g_assert_cmpstr(sr_movie_get_info(seq.movie)->codec, ==, "prores");
  sr_sequence_clear(&seq);
  check_clip(fx, path, 0.012, 0.001);
  g_free(path);
}

static void
test_v210(fixture *fx, gconstpointer data)
{
  char *path = encode(fx, "tc.mov",
                      "-c:v v210 -pix_fmt yuv422p10le -vf scale=out_color_matrix=bt709," TAGS_709);
  check_clip(fx, path, 0.5, 0.004); /* max: chroma halved across the square's edges */
  g_free(path);
}

/* 10-bit codecs keep more than 8 bits: a ramp of 3072 levels decodes to
 * far more than 256 distinct values. */
static void
test_depth(fixture *fx, gconstpointer data)
{
  char *rdir = g_build_filename(fx->dir, "ramp", NULL);
  g_mkdir(rdir, 0700);
  sr_image *ramp[2] = {make_ramp(), make_ramp()};
  sr_test_write_frames(rdir, ramp, 2);
  const char *args[] = {"-c:v v210 -pix_fmt yuv422p10le",
                        "-c:v prores_ks -profile:v 4444 -pix_fmt yuv444p10le -qscale:v 1"};
  for (int k = 0; k < 2; k++) {
    char *out = g_strdup_printf("%s/ramp%d.mov", fx->dir, k);
    sr_test_encode(rdir, "24", args[k], out);
    sr_sequence seq = open_seq(out, NULL);
    sr_image *img = sr_sequence_read(&seq, 1, NULL);
    GHashTable *levels = g_hash_table_new(g_int_hash, g_int_equal);
    static int keys[W * H];
    for (int i = 0; i < W * H; i++) {
      keys[i] = (int)lrintf(img->pixels[3 * i + 1] * 65535.0f);
      g_hash_table_add(levels, &keys[i]);
    }
    double mean, mx = max_abs_diff(img, ramp[0], &mean);
    g_test_message("%s: %u levels, max error %.5f", args[k], g_hash_table_size(levels), mx);
    g_assert_cmpuint(g_hash_table_size(levels), >, 600);
    g_assert_cmpfloat(mx, <, 2.5 / 876.0);
    g_hash_table_destroy(levels);
    sr_image_free(img);
    sr_sequence_clear(&seq);
    g_free(out);
  }
  sr_image_free(ramp[0]);
  sr_image_free(ramp[1]);
  g_free(rdir);
}

static void
test_colour_tags(fixture *fx, gconstpointer data)
{
  struct {
    const char *args;
    bool hint;
    sr_colourspace cs;
    int used_matrix; /* H.273 */
    bool full;
  } cases[] = {
      {"-c:v libx264 -qp 0 -pix_fmt yuv444p -vf scale=out_color_matrix=bt709," TAGS_709, true,
       SR_CS_REC709, 1, false},
      {"-c:v libx264 -qp 0 -pix_fmt yuv444p -color_range pc -vf "
       "scale=out_color_matrix=bt709:out_range=full,setparams=colorspace=bt709:color_primaries="
       "bt709:color_trc=iec61966-2-1:range=pc",
       true, SR_CS_SRGB, 1, true},
      {"-c:v libx264 -qp 0 -pix_fmt yuv444p -vf scale=out_color_matrix=bt601", false, SR_CS_REC709,
       6, false},
      {"-c:v libx264 -qp 0 -pix_fmt yuv444p -vf scale=out_color_matrix=bt601,setparams="
       "colorspace=bt470bg:color_primaries=bt709:color_trc=linear",
       true, SR_CS_LINEAR_REC709, 5, false},
  };
  for (size_t k = 0; k < G_N_ELEMENTS(cases); k++) {
    char *name = g_strdup_printf("tags%zu.mkv", k);
    char *path = encode(fx, name, cases[k].args);
    sr_sequence seq = open_seq(path, NULL);
    const sr_movie_info *in = sr_movie_get_info(seq.movie);
    sr_colourspace cs = SR_CS_COUNT;
    g_assert_cmpint(sr_movie_colourspace_hint(in, &cs), ==, cases[k].hint);
    if (cases[k].hint)
      g_assert_cmpint(cs, ==, cases[k].cs);
    g_assert_cmpint(in->used_matrix, ==, cases[k].used_matrix);
    g_assert_cmpint(in->full_range, ==, cases[k].full);
    char buf[512];
    const char *warn = sr_movie_warning(seq.movie, buf, sizeof buf);
    if (k == 2)
      g_assert_nonnull(strstr(warn, "no YCbCr matrix tag"));
    /* Matrix and range undone: 8-bit 4:4:4 lands within a few codes. */
    sr_image *img = sr_sequence_read(&seq, 3, NULL);
    double mean, mx = max_abs_diff(img, fx->src[3], &mean);
    g_test_message("case %zu: max %.4f mean %.5f", k, mx, mean);
    g_assert_cmpfloat(mx, <, 0.025);
    g_assert_nonnull(sr_image_get_attribute(img, "movie:colour"));
    sr_image_free(img);
    sr_sequence_clear(&seq);
    g_free(path);
    g_free(name);
  }
}

static void
test_interlaced(fixture *fx, gconstpointer data)
{
  char *path = encode(fx, "tc.mov",
                      "-c:v prores_ks -profile:v 3 -pix_fmt yuv422p10le -flags +ildct+ilme "
                      "-field_order tt");
  sr_sequence seq = open_seq(path, NULL);
  const sr_movie_info *in = sr_movie_get_info(seq.movie);
  g_assert_cmpint(in->scan, ==, SR_SCAN_TOP_FIRST);
  char buf[512];
  const char *warn = sr_movie_warning(seq.movie, buf, sizeof buf);
  g_assert_nonnull(warn);
  g_assert_nonnull(strstr(warn, "interlaced"));
  g_assert_nonnull(strstr(warn, "top field first"));
  sr_sequence_clear(&seq);
  g_free(path);
  path = encode(fx, "prog.mov", "-c:v prores_ks -profile:v 3 -pix_fmt yuv422p10le");
  seq = open_seq(path, NULL);
  g_assert_cmpint(sr_movie_get_info(seq.movie)->scan, ==, SR_SCAN_PROGRESSIVE);
  sr_sequence_clear(&seq);
  g_free(path);
}

static void
test_index_cache(fixture *fx, gconstpointer data)
{
  char *path = encode(fx, "scan.mkv", "-c:v ffv1 -g 5 -pix_fmt rgb48le");
  char *idx = g_build_filename(fx->dir, "index", NULL);
  sr_movie_options o = {.index_dir = idx};
  sr_movie *m = sr_movie_open(path, &o, NULL);
  g_assert_false(sr_movie_get_info(m)->index_from_cache);
  sr_image *want = sr_movie_read(m, 21, NULL);
  sr_movie_unref(m);
  m = sr_movie_open(path, &o, NULL);
  g_assert_true(sr_movie_get_info(m)->index_from_cache);
  g_assert_cmpint(sr_movie_get_info(m)->n_frames, ==, N);
  sr_image *got = sr_movie_read(m, 21, NULL);
  g_assert_cmpmem(got->pixels, sr_image_n_floats(got) * 4, want->pixels,
                  sr_image_n_floats(want) * 4);
  sr_image_free(got);
  sr_movie_unref(m);
  /* Only the cache file itself: no temporaries left behind. */
  GDir *d = g_dir_open(idx, 0, NULL);
  const char *name;
  int files = 0;
  char *cache = NULL;
  while ((name = g_dir_read_name(d))) {
    files++;
    cache = g_build_filename(idx, name, NULL);
    g_assert_true(g_str_has_suffix(name, ".srindex"));
  }
  g_dir_close(d);
  g_assert_cmpint(files, ==, 1);
  /* A damaged cache is ignored and rewritten. */
  gsize len;
  char *bytes;
  g_assert_true(g_file_get_contents(cache, &bytes, &len, NULL));
  bytes[len / 2] ^= 0x5a;
  g_assert_true(g_file_set_contents(cache, bytes, (gssize)len, NULL));
  g_free(bytes);
  m = sr_movie_open(path, &o, NULL);
  g_assert_false(sr_movie_get_info(m)->index_from_cache);
  sr_movie_unref(m);
  m = sr_movie_open(path, &o, NULL);
  g_assert_true(sr_movie_get_info(m)->index_from_cache);
  sr_movie_unref(m);
  /* A movie replaced by another with the same name is reindexed: a changed
   * modification time makes the cache stale. */
  struct timespec ts[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
  g_assert_cmpint(utimensat(AT_FDCWD, path, ts, 0), ==, 0);
  m = sr_movie_open(path, &o, NULL);
  g_assert_false(sr_movie_get_info(m)->index_from_cache);
  sr_movie_unref(m);
  sr_image_free(want);
  g_free(cache);
  g_free(idx);
  g_free(path);
}

static void
test_bad_files(fixture *fx, gconstpointer data)
{
  sr_error err = {0};
  /* A raw H.264 stream has no timestamps to number frames by. */
  char *raw = encode(fx, "raw.h264", "-c:v libx264 -bf 2 -f h264");
  g_assert_null(sr_movie_open(raw, NULL, &err));
  g_test_message("%s", err.message);
  g_assert_nonnull(strstr(err.message, raw));
  g_assert_nonnull(strstr(err.message, "cannot be indexed"));
  /* Matroska magic followed by garbage. */
  char *junk = g_build_filename(fx->dir, "junk.mkv", NULL);
  char bytes[4096];
  memset(bytes, 0x37, sizeof bytes);
  memcpy(bytes, "\x1a\x45\xdf\xa3", 4);
  g_assert_true(g_file_set_contents(junk, bytes, sizeof bytes, NULL));
  sr_sequence seq;
  g_assert_false(sr_sequence_open(&seq, junk, &err));
  g_assert_nonnull(strstr(err.message, junk));
  /* A movie passed where one image is expected. */
  char *mkv = encode(fx, "ok.mkv", "-c:v ffv1 -pix_fmt rgb48le");
  g_assert_null(sr_image_read(mkv, &err));
  g_assert_nonnull(strstr(err.message, "movie"));
  sr_image_info info;
  g_assert_true(sr_image_read_info(mkv, &info, &err));
  g_assert_cmpint(info.format, ==, SR_FORMAT_MOVIE);
  g_assert_cmpint(info.width, ==, W);
  /* Frames outside the movie. */
  seq = open_seq(mkv, NULL);
  g_assert_null(sr_sequence_read(&seq, N, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_MISSING);
  g_assert_null(sr_sequence_read(&seq, -1, &err));
  g_assert_false(sr_sequence_frame_info(&seq, N, &info, &err));
  g_assert_true(sr_sequence_frame_info(&seq, 3, &info, &err));
  char *fp = sr_sequence_frame_path(&seq, 5);
  g_assert_cmpstr(fp, ==, mkv);
  free(fp);
  g_assert_cmpint(info.bit_depth, ==, 16);
  sr_sequence_clear(&seq);
  /* A movie whose name holds digits, '#' or '%' is still one movie. */
  char *odd = g_build_filename(fx->dir, "reel_01 #2 50%.mkv", NULL);
  g_assert_cmpint(rename(mkv, odd), ==, 0);
  g_assert_true(sr_sequence_from_file(&seq, odd, &err));
  g_assert_true(sr_sequence_is_movie(&seq));
  g_assert_cmpint(seq.last, ==, N - 1);
  sr_sequence_clear(&seq);
  g_assert_true(sr_sequence_open(&seq, odd, &err));
  sr_sequence_clear(&seq);
  g_free(odd);
  g_free(mkv);
  g_free(junk);
  g_free(raw);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  sr_test_require_ffmpeg();
  /* Index caches of sequences opened without a project go to a scratch
   * cache folder, not the user's. */
  char *cache = g_dir_make_tmp("sr-movie-cache-XXXXXX", NULL);
  g_setenv("XDG_CACHE_HOME", cache, TRUE);
#define ADD(path, fn) g_test_add(path, fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD("/movie/ffv1-exact", test_ffv1_exact);
  ADD("/movie/h264-long-gop", test_h264);
  ADD("/movie/prores-4444", test_prores);
  ADD("/movie/v210", test_v210);
  ADD("/movie/bit-depth", test_depth);
  ADD("/movie/colour-tags", test_colour_tags);
  ADD("/movie/interlaced", test_interlaced);
  ADD("/movie/index-cache", test_index_cache);
  ADD("/movie/bad-files", test_bad_files);
  int rc = g_test_run();
  rm_rf(cache);
  g_free(cache);
  return rc;
}
