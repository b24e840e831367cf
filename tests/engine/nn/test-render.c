/* Render pipeline: same pixels as the sequential path, resume, model id,
 * missing Source frames, unwritable output. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "sr-checkpoint.h"
#include "sr-render.h"
#include "sr-test-util.h"

#define W        40
#define H        32
#define N_FRAMES 6

static char *tmpdir;

static sr_image *
test_picture(int frame)
{
  sr_image *img = sr_image_new(W, H, 3, NULL);
  g_assert_nonnull(img);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      float *p = sr_image_row(img, y) + (size_t)x * 3;
      float base = 0.5f + 0.4f * sinf((x + frame) * 0.37f) * cosf(y * 0.23f);
      float edge = (((x + 2 * frame) / 9 + y / 7) % 2) ? 0.15f : -0.15f;
      float v = fminf(fmaxf(base + edge, 0.0f), 1.0f);
      for (int c = 0; c < 3; c++)
        p[c] = v * (0.8f + 0.1f * (float)c);
    }
  return img;
}

static char *
make_source(const char *name)
{
  char *dir = g_build_filename(tmpdir, name, NULL);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  char *pattern = g_build_filename(dir, "src.%04d.exr", NULL);
  for (int f = 1; f <= N_FRAMES; f++)
    sr_test_write_frame(pattern, f, test_picture(f));
  g_free(dir);
  return pattern;
}

static int
count_files(const char *dir)
{
  int n = 0;
  GDir *d = g_dir_open(dir, 0, NULL);
  if (!d)
    return 0;
  while (g_dir_read_name(d))
    n++;
  g_dir_close(d);
  return n;
}

static sr_model *
open_model(const char *path)
{
  sr_error err = {0};
  sr_model *m = sr_model_open(path, "cpu", &err);
  if (!m)
    g_error("open %s: %s", path, err.message);
  return m;
}

static void
render_options(sr_render_options *o, const char *out)
{
  sr_render_options_init(o);
  o->first = 1;
  o->last = N_FRAMES;
  o->output_pattern = out;
  o->write.compression = SR_EXR_NONE;
}

static void
test_matches_sequential(void)
{
  g_autofree char *ck = sr_test_scaled_checkpoint(tmpdir, "a.safetensors", 42, 4.0f);
  g_autofree char *src = make_source("seq");
  g_autofree char *out = g_build_filename(tmpdir, "seq-out", "r.%04d.exr", NULL);
  sr_model *m = open_model(ck);
  sr_sequence seq = {0};
  sr_error err = {0};
  g_assert_true(sr_sequence_open(&seq, src, &err));
  sr_render_options o;
  render_options(&o, out);
  o.readers = 3;
  o.writers = 2;
  o.queue_depth = 1;
  sr_render_result res;
  if (!sr_render_run(m, &seq, &o, NULL, &res, &err))
    g_error("render: %s", err.message);
  g_assert_cmpint(res.rendered, ==, N_FRAMES);
  g_assert_cmpint(res.skipped, ==, 0);
  g_assert_false(res.cancelled);
  sr_render_result_clear(&res);
  for (int f = 1; f <= N_FRAMES; f++) {
    sr_image *s = sr_sequence_read(&seq, f, &err);
    g_assert_nonnull(s);
    sr_image *want = sr_infer_frame(m->net, s, &m->meta.prep, &o.infer, &err);
    g_assert_nonnull(want);
    /* Through the same writer, so both carry half-float rounding. */
    g_autofree char *ref_path = g_build_filename(tmpdir, "seq-ref.exr", NULL);
    g_assert_true(sr_image_write(ref_path, want, &o.write, &err));
    sr_image *ref = sr_image_read(ref_path, &err);
    g_autofree char *p = sr_pattern_format(out, f);
    sr_image *got = sr_image_read(p, &err);
    g_assert_nonnull(ref);
    g_assert_nonnull(got);
    g_assert_cmpint(got->width, ==, W);
    g_assert_cmpint(got->height, ==, H);
    g_assert_cmpint(got->channels, ==, ref->channels);
    for (int y = 0; y < H; y++)
      g_assert_cmpmem(sr_image_row(got, y), sizeof(float) * W * (size_t)got->channels,
                      sr_image_row(ref, y), sizeof(float) * W * (size_t)ref->channels);
    g_assert_cmpstr(sr_image_get_attribute(got, SR_RENDER_MODEL_ID_ATTR), ==, m->meta.model_id);
    /* The model really changed the frame, so equality means something. */
    bool differs = false;
    for (int y = 0; y < H && !differs; y++)
      differs = memcmp(sr_image_row(got, y), sr_image_row(s, y), sizeof(float) * W * 3) != 0;
    g_assert_true(differs);
    g_remove(ref_path);
    sr_image_free(s);
    sr_image_free(want);
    sr_image_free(ref);
    sr_image_free(got);
  }
  sr_sequence_clear(&seq);
  sr_model_close(m);
}

typedef struct cancel_after {
  atomic_bool cancel;
  int k;
  int calls;
} cancel_after;

static void
on_progress(void *user, const sr_render_progress *p)
{
  cancel_after *c = user;
  c->calls++;
  g_assert_cmpint(p->done, <=, p->total);
  if (p->rendered >= c->k)
    atomic_store(&c->cancel, true);
}

static void
test_resume_and_model_id(void)
{
  g_autofree char *ck = sr_test_scaled_checkpoint(tmpdir, "a.safetensors", 42, 4.0f);
  g_autofree char *ck2 = sr_test_scaled_checkpoint(tmpdir, "b.safetensors", 7, 4.0f);
  g_autofree char *src = make_source("resume");
  g_autofree char *out_dir = g_build_filename(tmpdir, "resume-out", NULL);
  g_autofree char *out = g_build_filename(out_dir, "r.%04d.exr", NULL);
  sr_model *m = open_model(ck);
  sr_sequence seq = {0};
  sr_error err = {0};
  g_assert_true(sr_sequence_open(&seq, src, &err));
  sr_render_options o;
  render_options(&o, out);
  o.readers = 1;
  o.writers = 1;
  o.queue_depth = 1;

  cancel_after c = {.k = 2};
  sr_render_callbacks cb = {.user = &c, .progress = on_progress, .cancel = &c.cancel};
  sr_render_result r1;
  g_assert_false(sr_render_run(m, &seq, &o, &cb, &r1, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_CANCELLED);
  g_assert_true(r1.cancelled);
  g_assert_cmpint(r1.rendered, >=, 2);
  g_assert_cmpint(r1.rendered, <, N_FRAMES);
  /* Only finished frames, no temporaries. */
  g_assert_cmpint(count_files(out_dir), ==, r1.rendered);

  cancel_after c2 = {.k = N_FRAMES + 1};
  cb.user = &c2;
  cb.cancel = &c2.cancel;
  sr_render_result r2;
  if (!sr_render_run(m, &seq, &o, &cb, &r2, &err))
    g_error("resume: %s", err.message);
  g_assert_cmpint(r2.skipped, ==, r1.rendered);
  g_assert_cmpint(r2.rendered, ==, N_FRAMES - r1.rendered);
  g_assert_cmpint(c2.calls, ==, N_FRAMES);
  g_assert_cmpint(count_files(out_dir), ==, N_FRAMES);
  sr_render_result_clear(&r1);
  sr_render_result_clear(&r2);

  /* Everything done: nothing is rendered again. */
  g_assert_true(sr_render_run(m, &seq, &o, NULL, &r2, &err));
  g_assert_cmpint(r2.skipped, ==, N_FRAMES);
  g_assert_cmpint(r2.rendered, ==, 0);
  sr_render_result_clear(&r2);

  /* A truncated frame is not complete. */
  g_autofree char *f4 = sr_pattern_format(out, 4);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(f4, &contents, &len, NULL));
  g_assert_true(g_file_set_contents(f4, contents, (gssize)(len / 2), NULL));
  g_assert_true(sr_render_run(m, &seq, &o, NULL, &r2, &err));
  g_assert_cmpint(r2.rendered, ==, 1);
  g_assert_cmpint(r2.skipped, ==, N_FRAMES - 1);
  sr_render_result_clear(&r2);

  /* Another model renders every frame again, with its own id. */
  sr_model *m2 = open_model(ck2);
  g_assert_cmpstr(m2->meta.model_id, !=, m->meta.model_id);
  g_assert_true(sr_render_run(m2, &seq, &o, NULL, &r2, &err));
  g_assert_cmpint(r2.rendered, ==, N_FRAMES);
  g_assert_cmpint(r2.skipped, ==, 0);
  sr_render_result_clear(&r2);
  sr_image *img = sr_image_read(f4, &err);
  g_assert_nonnull(img);
  g_assert_cmpstr(sr_image_get_attribute(img, SR_RENDER_MODEL_ID_ATTR), ==, m2->meta.model_id);
  sr_image_free(img);
  g_assert_false(sr_render_output_complete(f4, W, H, m->meta.model_id));
  g_assert_true(sr_render_output_complete(f4, W, H, m2->meta.model_id));
  g_assert_false(sr_render_output_complete(f4, W + 1, H, m2->meta.model_id));

  sr_model_close(m2);
  sr_sequence_clear(&seq);
  sr_model_close(m);
}

static void
test_missing_source(void)
{
  g_autofree char *ck = sr_test_scaled_checkpoint(tmpdir, "a.safetensors", 42, 4.0f);
  g_autofree char *src = make_source("missing");
  sr_error err = {0};
  sr_sequence seq = {0};
  g_assert_true(sr_sequence_open(&seq, src, &err));
  g_autofree char *gone = sr_pattern_format(src, 3);
  g_assert_cmpint(g_remove(gone), ==, 0);
  sr_model *m = open_model(ck);
  g_autofree char *out = g_build_filename(tmpdir, "missing-out", "r.%04d.exr", NULL);
  sr_render_options o;
  render_options(&o, out);
  sr_render_result res;
  g_assert_false(sr_render_run(m, &seq, &o, NULL, &res, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_MISSING);
  g_assert_nonnull(strstr(err.message, "Source frame 3 "));
  g_assert_nonnull(strstr(err.message, gone));
  g_assert_cmpint(res.failed, ==, 1);
  g_autofree char *o3 = sr_pattern_format(out, 3);
  g_assert_false(g_file_test(o3, G_FILE_TEST_EXISTS));
  sr_render_result_clear(&res);

  o.skip_missing = true;
  if (!sr_render_run(m, &seq, &o, NULL, &res, &err))
    g_error("skip missing: %s", err.message);
  g_assert_cmpint(res.n_missing, ==, 1);
  g_assert_cmpint(res.missing[0], ==, 3);
  g_assert_cmpint(res.rendered + res.skipped, ==, N_FRAMES - 1);
  g_assert_false(g_file_test(o3, G_FILE_TEST_EXISTS));
  sr_render_result_clear(&res);
  sr_model_close(m);
  sr_sequence_clear(&seq);
}

static void
test_unwritable_output(void)
{
  g_autofree char *ck = sr_test_scaled_checkpoint(tmpdir, "a.safetensors", 42, 4.0f);
  g_autofree char *src = make_source("unwritable");
  sr_error err = {0};
  sr_sequence seq = {0};
  g_assert_true(sr_sequence_open(&seq, src, &err));
  sr_model *m = open_model(ck);
  /* A folder that cannot exist: its parent is a regular file. */
  g_autofree char *blocker = g_build_filename(tmpdir, "blocker", NULL);
  g_assert_true(g_file_set_contents(blocker, "x", 1, NULL));
  g_autofree char *out = g_build_filename(blocker, "render", "r.%04d.exr", NULL);
  sr_render_options o;
  render_options(&o, out);
  sr_render_result res;
  g_assert_false(sr_render_run(m, &seq, &o, NULL, &res, &err));
  g_assert_nonnull(strstr(err.message, blocker));
  g_assert_cmpint(res.rendered, ==, 0);
  sr_render_result_clear(&res);

  /* A first/last subset renders only those frames. A temporary of frame 1,
   * which another render task (a farm job on another range) may be writing
   * right now, is left alone; one of frame 2 is a leftover of this range. */
  g_autofree char *out2 = g_build_filename(tmpdir, "subset", "r.%04d.exr", NULL);
  g_autofree char *subdir = g_build_filename(tmpdir, "subset", NULL);
  g_assert_cmpint(g_mkdir_with_parents(subdir, 0755), ==, 0);
  g_autofree char *other = g_build_filename(subdir, ".r.0001.exr.AbC123.tmp", NULL);
  g_autofree char *mine = g_build_filename(subdir, ".r.0002.exr.XyZ789.tmp", NULL);
  /* One of frame 3 is being written by a live task over the same frames
   * (it holds the temporary's lock), so it stays too. */
  g_autofree char *busy = g_build_filename(subdir, ".r.0003.exr.QwE456.tmp", NULL);
  g_assert_true(g_file_set_contents(other, "partial", 7, NULL));
  g_assert_true(g_file_set_contents(mine, "partial", 7, NULL));
  g_assert_true(g_file_set_contents(busy, "partial", 7, NULL));
  int busy_fd = open(busy, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint(busy_fd, >=, 0);
  g_assert_cmpint(flock(busy_fd, LOCK_EX), ==, 0);
  render_options(&o, out2);
  o.first = 2;
  o.last = 3;
  g_assert_true(sr_render_run(m, &seq, &o, NULL, &res, &err));
  g_assert_cmpint(res.rendered, ==, 2);
  g_assert_true(g_file_test(other, G_FILE_TEST_EXISTS));
  g_assert_false(g_file_test(mine, G_FILE_TEST_EXISTS));
  g_assert_true(g_file_test(busy, G_FILE_TEST_EXISTS));
  g_assert_cmpint(g_unlink(other), ==, 0);
  close(busy_fd);
  g_assert_cmpint(g_unlink(busy), ==, 0);
  g_assert_cmpint(count_files(subdir), ==, 2);
  sr_render_result_clear(&res);
  sr_model_close(m);
  sr_sequence_clear(&seq);
}

typedef struct {
  GPtrArray *messages;
  int frames_reported[N_FRAMES + 1];
} error_log;

static void
log_frame_error(void *user, int frame, const sr_error *e)
{
  error_log *log = user;
  g_ptr_array_add(log->messages, g_strdup(e->message));
  if (frame >= 0 && frame <= N_FRAMES)
    log->frames_reported[frame]++;
}

/* A truncated Source frame is named once and left out; every other frame
 * still renders (one bad scan must not stop a reel). */
static void
test_unreadable_frame_others_render(void)
{
  g_autofree char *ck = sr_test_scaled_checkpoint(tmpdir, "a.safetensors", 42, 4.0f);
  g_autofree char *src = make_source("unreadable");
  g_autofree char *bad = sr_pattern_format(src, 2);
  g_assert_true(g_file_set_contents(bad, "v/1\001truncated", 12, NULL));
  sr_error err = {0};
  sr_sequence seq = {0};
  g_assert_true(sr_sequence_open(&seq, src, &err));
  sr_model *m = open_model(ck);
  g_autofree char *out = g_build_filename(tmpdir, "unreadable-out", "r.%04d.exr", NULL);
  sr_render_options o;
  render_options(&o, out);
  error_log log = {g_ptr_array_new_with_free_func(g_free), {0}};
  sr_render_callbacks cb = {.user = &log, .frame_error = log_frame_error};
  sr_render_result res;
  g_assert_false(sr_render_run(m, &seq, &o, &cb, &res, &err));
  g_assert_cmpint(res.rendered, ==, N_FRAMES - 1);
  g_assert_cmpint(res.failed, ==, 1);
  for (int f = 1; f <= N_FRAMES; f++) {
    g_autofree char *p = sr_pattern_format(out, f);
    g_assert_cmpint(g_file_test(p, G_FILE_TEST_IS_REGULAR), ==, f != 2);
  }
  /* Named once, with its frame and file, and no prefix twice. */
  g_assert_cmpuint(log.messages->len, ==, 1);
  g_assert_cmpint(log.frames_reported[2], ==, 1);
  const char *msg = g_ptr_array_index(log.messages, 0);
  g_assert_nonnull(strstr(msg, "Source frame 2: "));
  g_assert_nonnull(strstr(msg, bad));
  g_assert_null(strstr(msg, "frame 2: Source frame 2"));
  g_autofree char *summary =
      g_strdup_printf("1 of %d Source frames could not be read (2)", N_FRAMES);
  g_assert_nonnull(strstr(err.message, summary));
  g_ptr_array_unref(log.messages);
  sr_render_result_clear(&res);
  sr_model_close(m);
  sr_sequence_clear(&seq);
}

static void
assert_refused_unchanged(const char *src, const char *out)
{
  g_autofree char *ck = sr_test_scaled_checkpoint(tmpdir, "a.safetensors", 42, 4.0f);
  g_autofree char *f1 = sr_pattern_format(src, 1);
  g_autofree char *before = NULL;
  gsize before_len = 0;
  g_assert_true(g_file_get_contents(f1, &before, &before_len, NULL));
  sr_error err = {0};
  sr_sequence seq = {0};
  g_assert_true(sr_sequence_open(&seq, src, &err));
  sr_model *m = open_model(ck);
  sr_render_options o;
  render_options(&o, out);
  sr_render_result res;
  g_assert_false(sr_render_run(m, &seq, &o, NULL, &res, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_INVALID);
  g_assert_nonnull(strstr(err.message, "is the input file"));
  g_assert_nonnull(strstr(err.message, f1));
  g_assert_cmpint(res.rendered, ==, 0);
  g_autofree char *after = NULL;
  gsize after_len = 0;
  g_assert_true(g_file_get_contents(f1, &after, &after_len, NULL));
  g_assert_cmpmem(before, before_len, after, after_len);
  sr_render_result_clear(&res);
  sr_model_close(m);
  sr_sequence_clear(&seq);
}

/* The output pattern names the Source frames through "..". */
static void
test_output_is_input_dotdot(void)
{
  g_autofree char *src = make_source("same-dotdot");
  g_autofree char *out =
      g_build_filename(tmpdir, "same-dotdot", "..", "same-dotdot", "src.%04d.exr", NULL);
  assert_refused_unchanged(src, out);
}

/* The output folder is a symlink to the Source folder. */
static void
test_output_is_input_symlink(void)
{
  g_autofree char *src = make_source("same-link");
  g_autofree char *dir = g_build_filename(tmpdir, "same-link", NULL);
  g_autofree char *link = g_build_filename(tmpdir, "same-link-alias", NULL);
  g_assert_cmpint(symlink(dir, link), ==, 0);
  g_autofree char *out = g_build_filename(link, "src.%04d.exr", NULL);
  assert_refused_unchanged(src, out);
}

/* The Reference is protected too when the caller names it. */
static void
test_output_is_reference(void)
{
  g_autofree char *src = make_source("same-src");
  g_autofree char *ref = make_source("same-ref");
  g_autofree char *ck = sr_test_scaled_checkpoint(tmpdir, "a.safetensors", 42, 4.0f);
  sr_error err = {0};
  sr_sequence seq = {0}, rseq = {0};
  g_assert_true(sr_sequence_open(&seq, src, &err));
  g_assert_true(sr_sequence_open(&rseq, ref, &err));
  sr_model *m = open_model(ck);
  sr_render_options o;
  render_options(&o, ref);
  o.reference = &rseq;
  g_assert_false(sr_render_run(m, &seq, &o, NULL, NULL, &err));
  g_assert_nonnull(strstr(err.message, "is the input file"));
  sr_model_close(m);
  sr_sequence_clear(&seq);
  sr_sequence_clear(&rseq);
}

/* A folder that exists but cannot be written is found before the network
 * runs on any frame: no frame is reported, and the message names the
 * folder, not a frame. */
static void
test_readonly_folder_found_first(void)
{
  g_autofree char *ck = sr_test_scaled_checkpoint(tmpdir, "a.safetensors", 42, 4.0f);
  g_autofree char *src = make_source("readonly");
  g_autofree char *dir = g_build_filename(tmpdir, "readonly-out", NULL);
  g_assert_cmpint(g_mkdir(dir, 0555), ==, 0);
  g_autofree char *probe = g_build_filename(dir, "probe", NULL);
  if (g_file_set_contents(probe, "x", 1, NULL)) {
    /* root writes anywhere: use a read-only file system instead. */
    g_free(dir);
    dir = g_strdup("/sys");
    g_free(probe);
    probe = g_build_filename(dir, "sr-probe", NULL);
    if (g_file_set_contents(probe, "x", 1, NULL) || !g_file_test(dir, G_FILE_TEST_IS_DIR)) {
      g_test_skip("no folder this process cannot write");
      return;
    }
  }
  sr_error err = {0};
  sr_sequence seq = {0};
  g_assert_true(sr_sequence_open(&seq, src, &err));
  sr_model *m = open_model(ck);
  g_autofree char *out = g_build_filename(dir, "r.%04d.exr", NULL);
  sr_render_options o;
  render_options(&o, out);
  error_log log = {g_ptr_array_new_with_free_func(g_free), {0}};
  sr_render_callbacks cb = {.user = &log, .frame_error = log_frame_error};
  sr_render_result res;
  g_assert_false(sr_render_run(m, &seq, &o, &cb, &res, &err));
  g_assert_cmpuint(log.messages->len, ==, 0);
  g_assert_cmpint(res.rendered, ==, 0);
  g_assert_nonnull(strstr(err.message, dir));
  g_assert_null(strstr(err.message, "frame 1"));
  g_ptr_array_unref(log.messages);
  sr_render_result_clear(&res);
  sr_model_close(m);
  sr_sequence_clear(&seq);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp("sr-test-render-XXXXXX", NULL);
  g_assert_nonnull(tmpdir);
  g_test_add_func("/render/matches-sequential", test_matches_sequential);
  g_test_add_func("/render/resume-and-model-id", test_resume_and_model_id);
  g_test_add_func("/render/missing-source", test_missing_source);
  g_test_add_func("/render/unwritable-output", test_unwritable_output);
  g_test_add_func("/render/bad-input/unreadable-frame-others-render",
                  test_unreadable_frame_others_render);
  g_test_add_func("/render/bad-input/output-is-input-dotdot", test_output_is_input_dotdot);
  g_test_add_func("/render/bad-input/output-is-input-symlink", test_output_is_input_symlink);
  g_test_add_func("/render/bad-input/output-is-reference", test_output_is_reference);
  g_test_add_func("/render/bad-input/readonly-folder-found-first",
                  test_readonly_folder_found_first);
  int r = g_test_run();
  sr_test_remove_tree(tmpdir);
  g_free(tmpdir);
  return r;
}
