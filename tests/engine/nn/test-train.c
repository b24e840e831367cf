/* Trainer: schedule, configuration, augmentation, exact resume, and that it
 * learns. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sr-checkpoint.h"
#include "sr-infer.h"
#include "sr-loss-log.h"
#include "sr-safetensors.h"
#include "sr-simulator.h"
#include "sr-train.h"

static sr_image *
test_picture(int w, int h, float phase)
{
  sr_image *img = sr_image_new(w, h, 3, NULL);
  g_assert_nonnull(img);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float *p = sr_image_row(img, y) + (size_t)x * 3;
      float v = 0.5f + 0.3f * sinf(x * 0.41f + phase) * cosf(y * 0.29f) +
                (((x / 5 + y / 3) % 2) ? 0.1f : -0.1f);
      p[0] = v * 0.9f;
      p[1] = v;
      p[2] = v * 0.8f + 0.05f;
    }
  return img;
}

/* A pair whose ground truth is input + d(x,y)·(1,1,1) (d = 0 when flat). */
static void
make_pair(sr_pair *p, int frame, int w, int h, bool flat)
{
  p->source_frame = p->reference_frame = frame;
  p->input = test_picture(w, h, (float)frame);
  p->ground_truth = sr_image_copy(p->input, NULL);
  if (!flat)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float d = ((x + y) % 3 == 0) ? 0.04f : -0.02f;
        for (int c = 0; c < 3; c++)
          sr_image_row(p->ground_truth, y)[3 * x + c] += d;
      }
}

static void
test_lr_schedule(void)
{
  sr_train_config c;
  sr_train_config_init(&c);
  c.learning_rate = 1e-3;
  c.warmup_steps = 10;
  c.steps = 210; /* 5 % is 11: the cap of 10 decides */
  g_assert_cmpint(sr_train_warmup(&c), ==, 10);
  g_assert_cmpfloat_with_epsilon(sr_train_lr(&c, 1), 1e-4, 1e-12);
  g_assert_cmpfloat_with_epsilon(sr_train_lr(&c, 5), 5e-4, 1e-12);
  g_assert_cmpfloat_with_epsilon(sr_train_lr(&c, 10), 1e-3, 1e-12);
  g_assert_cmpfloat_with_epsilon(sr_train_lr(&c, 110), 0.5e-3, 1e-12);
  g_assert_cmpfloat_with_epsilon(sr_train_lr(&c, 210), 0.0, 1e-12);
  for (int t = 11; t < 210; t++)
    g_assert_cmpfloat(sr_train_lr(&c, t + 1), <, sr_train_lr(&c, t));
  c.cosine_decay = false;
  g_assert_cmpfloat(sr_train_lr(&c, 100), ==, 1e-3);
}

/* Warm-up and decay scale with the run: 5 % of the steps (rounded up),
 * capped by warmup_steps; a short run does not spend most of itself warming
 * up, and the decay always ends at the last step. */
static void
test_lr_schedule_scales(void)
{
  sr_train_config c;
  sr_train_config_init(&c);
  c.learning_rate = 2e-4;
  g_assert_cmpint(c.warmup_steps, ==, 1000);
  const int64_t steps[] = {1, 19, 20, 21, 1500, 3000, 20000, 40000, 80000};
  const int64_t warm[] = {1, 1, 1, 2, 75, 150, 1000, 1000, 1000};
  for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
    c.steps = steps[i];
    int64_t w = sr_train_warmup(&c);
    g_assert_cmpint(w, ==, warm[i]);
    g_assert_cmpfloat_with_epsilon(sr_train_lr(&c, w), 2e-4, 1e-15);
    if (c.steps > w) {
      g_assert_cmpfloat_with_epsilon(sr_train_lr(&c, c.steps), 0.0, 1e-15);
      /* Half-way through the decay the rate is half the peak. */
      if ((c.steps - w) % 2 == 0)
        g_assert_cmpfloat_with_epsilon(sr_train_lr(&c, w + (c.steps - w) / 2), 1e-4, 1e-12);
    }
  }
  c.steps = 1500;
  g_assert_cmpfloat(sr_train_lr(&c, 76), <, 2e-4);
  g_assert_cmpfloat(sr_train_lr(&c, 74), <, sr_train_lr(&c, 75));
  c.warmup_steps = 0; /* no warm-up at all */
  g_assert_cmpint(sr_train_warmup(&c), ==, 0);
  g_assert_cmpfloat_with_epsilon(sr_train_lr(&c, 1), 2e-4, 1e-9);
}

static void
test_config(void)
{
  sr_train_config c, d;
  sr_train_config_init(&c);
  sr_error err = {0};
  g_assert_true(sr_train_config_validate(&c, 1920, 1080, &err));
  /* A patch larger than the crop is refused and the message says so. */
  g_assert_false(sr_train_config_validate(&c, 400, 300, &err));
  g_assert_nonnull(strstr(err.message, "larger than the crop"));
  c.patch = 100; /* not a multiple of 8 for M */
  g_assert_false(sr_train_config_validate(&c, 1920, 1080, &err));
  g_assert_nonnull(strstr(err.message, "multiple"));
  c.patch = 256;
  c.batch = 0;
  g_assert_false(sr_train_config_validate(&c, 1920, 1080, &err));
  c.batch = 3;
  snprintf(c.backend, sizeof c.backend, "opencl");
  g_assert_false(sr_train_config_validate(&c, 1920, 1080, &err));

  sr_train_config_init(&c);
  c.model_size = SR_UNET_L;
  c.patch = 128;
  c.steps = 777;
  c.learning_rate = 3e-4;
  c.exposure_jitter = true;
  c.translate_px = 2.5;
  c.seed = 18446744073709551615ULL;
  char *json = sr_train_config_to_json(&c);
  g_assert_nonnull(json);
  sr_train_config_init(&d);
  g_assert_true(sr_train_config_from_json(&d, json, &err));
  g_assert_cmpint(d.model_size, ==, SR_UNET_L);
  g_assert_cmpint(d.patch, ==, 128);
  g_assert_cmpint(d.steps, ==, 777);
  g_assert_cmpfloat(d.learning_rate, ==, 3e-4);
  g_assert_true(d.exposure_jitter);
  g_assert_cmpfloat(d.translate_px, ==, 2.5);
  g_assert_cmpuint(d.seed, ==, c.seed);
  g_free(json);
}

/* Input and ground truth go through the same geometry and gain: with a
 * ground truth equal to the input the patches are equal, and with a pure
 * luma difference every patch pixel still differs by the same amount on R,
 * G and B. */
static void
test_paired_augmentation(void)
{
  sr_train_config c;
  sr_train_config_init(&c);
  c.model_size = SR_UNET_S;
  c.patch = 32;
  c.batch = 4;
  c.exposure_jitter = true;
  c.translate_px = 6;
  for (int pass = 0; pass < 2; pass++) {
    c.scale_jitter = pass == 1;
    sr_pair pairs[2];
    make_pair(&pairs[0], 1, 40, 36, true);
    make_pair(&pairs[1], 2, 48, 40, false);
    sr_train_data d = {.pairs = pairs, .n_pairs = 2};
    sr_prep_settings_init(&d.prep);
    sr_rng rng;
    sr_rng_seed(&rng, 5);
    size_t n = (size_t)c.batch * 32 * 32 * 3;
    float *src = g_new(float, n), *gt = g_new(float, n);
    bool varied = false;
    for (int t = 1; t <= 20; t++) {
      sr_train_sample_batch(&c, &d, t, &rng, src, gt);
      for (int b = 0; b < c.batch; b++) {
        bool flat = ((t - 1) * c.batch + b) % 2 == 0;
        const float *s = src + (size_t)b * 32 * 32 * 3, *g = gt + (size_t)b * 32 * 32 * 3;
        for (int i = 0; i < 32 * 32; i++) {
          float d0 = g[3 * i] - s[3 * i], d1 = g[3 * i + 1] - s[3 * i + 1],
                d2 = g[3 * i + 2] - s[3 * i + 2];
          if (flat) {
            g_assert_cmpfloat(d0, ==, 0);
            g_assert_cmpfloat(d1, ==, 0);
            g_assert_cmpfloat(d2, ==, 0);
          } else {
            g_assert_cmpfloat(fabsf(d0 - d1), <=, 1e-6);
            g_assert_cmpfloat(fabsf(d0 - d2), <=, 1e-6);
            varied |= fabsf(d0) > 0.01f;
          }
        }
      }
    }
    g_assert_true(varied);
    g_free(src);
    g_free(gt);
    for (int i = 0; i < 2; i++)
      sr_pair_clear(&pairs[i]);
  }
}

static atomic_bool cancel_flag;
static int64_t cancel_at;

static void
cancel_progress(void *user, const sr_train_progress *p)
{
  if (p->step == cancel_at)
    atomic_store(&cancel_flag, true);
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

static void
small_config(sr_train_config *c, int64_t steps)
{
  sr_train_config_init(c);
  c->model_size = SR_UNET_S;
  c->patch = 32;
  c->batch = 2;
  c->steps = steps;
  c->checkpoint_every = 10;
  c->contact_sheet_every = 0;
  c->warmup_steps = 5;
  c->learning_rate = 1e-3;
  c->exposure_jitter = true;
  snprintf(c->backend, sizeof c->backend, "cpu");
  /* One thread: bit-exact across runs, and faster than two on tiny patches. */
  c->threads = 1;
}

/* Stopped at step 10 and resumed to 20 gives bit-identical weights and
 * Adam moments to 20 uninterrupted steps. */
static void
test_resume_bit_exact(void)
{
  sr_pair pairs[2];
  make_pair(&pairs[0], 3, 48, 40, false);
  make_pair(&pairs[1], 8, 48, 40, false);
  sr_pair held;
  make_pair(&held, 5, 40, 40, false);
  sr_train_data d = {
      .pairs = pairs, .n_pairs = 2, .held_out = &held, .n_held_out = 1, .preview_frame = -1};
  sr_prep_settings_init(&d.prep);
  sr_train_config c;
  small_config(&c, 20);
  char *dir_a = g_dir_make_tmp("sr-train-a-XXXXXX", NULL);
  char *dir_b = g_dir_make_tmp("sr-train-b-XXXXXX", NULL);
  sr_error err = {0};
  sr_train_result ra, rb;
  if (!sr_train_run(&c, &d, dir_a, NULL, NULL, &ra, &err))
    g_error("run a: %s", err.message);
  g_assert_cmpint(ra.step, ==, 20);
  g_assert_true(isfinite(ra.psnr_before) && isfinite(ra.psnr_after));

  atomic_store(&cancel_flag, false);
  cancel_at = 13;
  sr_train_callbacks cb = {.progress = cancel_progress, .cancel = &cancel_flag};
  g_assert_false(sr_train_run(&c, &d, dir_b, NULL, &cb, &rb, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_CANCELLED);
  g_assert_true(rb.cancelled);
  g_assert_cmpint(rb.step, ==, 13);
  char *ck13 = g_build_filename(dir_b, "checkpoints", "step_000013.safetensors", NULL);
  g_assert_true(g_file_test(ck13, G_FILE_TEST_EXISTS));
  /* Resume from the cancel checkpoint (not on a checkpoint_every boundary). */
  if (!sr_train_run(&c, &d, dir_b, ck13, NULL, &rb, &err))
    g_error("resume: %s", err.message);
  g_assert_cmpint(rb.start_step, ==, 13);
  g_assert_cmpint(rb.step, ==, 20);
  g_assert_cmpstr(rb.model_id, ==, ra.model_id);

  char *fa = g_build_filename(dir_a, "checkpoints", "step_000020.safetensors", NULL);
  char *fb = g_build_filename(dir_b, "checkpoints", "latest.safetensors", NULL);
  sr_safetensors *sa = sr_safetensors_read(fa, &err), *sb = sr_safetensors_read(fb, &err);
  g_assert_nonnull(sa);
  g_assert_nonnull(sb);
  g_assert_cmpint(sa->n_tensors, ==, sb->n_tensors);
  for (int i = 0; i < sa->n_tensors; i++) {
    const sr_st_tensor *tb = sr_safetensors_find(sb, sa->tensors[i].name);
    g_assert_nonnull(tb);
    g_assert_cmpmem(sa->tensors[i].data, sa->tensors[i].count * 4, tb->data, tb->count * 4);
  }
  g_assert_cmpstr(sr_safetensors_meta(sa, "rng_state"), ==, sr_safetensors_meta(sb, "rng_state"));
  sr_safetensors_free(sa);
  sr_safetensors_free(sb);

  /* Both runs logged every step to loss.tsv; the stopped-and-resumed run's
   * history is the uninterrupted one's. */
  char *la = g_build_filename(dir_a, SR_LOSS_LOG_NAME, NULL);
  char *lb = g_build_filename(dir_b, SR_LOSS_LOG_NAME, NULL);
  sr_loss_entry *ea = NULL, *eb = NULL;
  size_t na = 0, nb = 0, skipped = 1;
  g_assert_true(sr_loss_log_read(la, &ea, &na, &skipped, &err));
  g_assert_cmpuint(skipped, ==, 0);
  g_assert_true(sr_loss_log_read(lb, &eb, &nb, &skipped, &err));
  g_assert_cmpuint(na, ==, 20);
  g_assert_cmpuint(nb, ==, 20);
  for (size_t i = 0; i < na; i++) {
    g_assert_cmpint(ea[i].step, ==, (int64_t)i + 1);
    g_assert_cmpint(eb[i].step, ==, ea[i].step);
    g_assert_cmpfloat(eb[i].loss, ==, ea[i].loss);
    g_assert_cmpfloat(eb[i].loss_avg, ==, ea[i].loss_avg);
  }
  free(ea);
  free(eb);
  /* Stopped and resumed, the log is the same bytes as the uninterrupted one. */
  char *ta = NULL, *tb = NULL;
  gsize la_len = 0, lb_len = 0;
  g_assert_true(g_file_get_contents(la, &ta, &la_len, NULL));
  g_assert_true(g_file_get_contents(lb, &tb, &lb_len, NULL));
  g_assert_cmpmem(ta, la_len, tb, lb_len);
  g_free(ta);
  g_free(tb);
  g_free(la);
  g_free(lb);

  /* Resuming with other pairs is refused. */
  sr_pair other[1];
  make_pair(&other[0], 4, 48, 40, true);
  sr_train_data d2 = d;
  d2.pairs = other;
  d2.n_pairs = 1;
  c.steps = 30;
  g_assert_false(sr_train_run(&c, &d2, dir_b, ck13, NULL, &rb, &err));
  g_assert_nonnull(strstr(err.message, "other pairs"));
  sr_pair_clear(&other[0]);

  g_free(fa);
  g_free(fb);
  g_free(ck13);
  remove_tree(dir_a);
  remove_tree(dir_b);
  g_free(dir_a);
  g_free(dir_b);
  for (int i = 0; i < 2; i++)
    sr_pair_clear(&pairs[i]);
  sr_pair_clear(&held);
}

/* loss.tsv: a torn last line is ignored and cut off before the next append,
 * a resumed run's redone steps replace the old ones (cut from the file),
 * junk lines are skipped. */
static void
test_loss_log(void)
{
  char *dir = g_dir_make_tmp("sr-loss-log-XXXXXX", NULL);
  char *path = g_build_filename(dir, SR_LOSS_LOG_NAME, NULL);
  sr_error err = {0};
  sr_loss_entry *v = NULL;
  size_t n = 7, skipped = 0;

  g_assert_true(sr_loss_log_read(path, &v, &n, &skipped, &err));
  g_assert_cmpuint(n, ==, 0);
  sr_loss_log *log = sr_loss_log_open(dir, 0, &err);
  g_assert_nonnull(log);
  for (int64_t s = 1; s <= 6; s++) {
    sr_loss_entry e = {s, 1.0 / (double)s, 0.5, 1e-3};
    g_assert_true(sr_loss_log_append(log, &e, s == 6, &err));
  }
  g_assert_true(sr_loss_log_close(log, &err));
  /* A crash in the middle of a line, then a resume from step 4. */
  FILE *fp = fopen(path, "ab");
  fputs("7\t0.14", fp);
  fclose(fp);
  g_assert_true(sr_loss_log_read(path, &v, &n, &skipped, &err));
  g_assert_cmpuint(n, ==, 6);
  g_assert_cmpuint(skipped, ==, 1);
  free(v);
  log = sr_loss_log_open(dir, 4, &err);
  g_assert_nonnull(log);
  for (int64_t s = 5; s <= 8; s++) {
    sr_loss_entry e = {s, 2.0, 0.25, 1e-4};
    g_assert_true(sr_loss_log_append(log, &e, FALSE, &err));
  }
  g_assert_true(sr_loss_log_close(log, &err));
  fp = fopen(path, "ab");
  fputs("not a step\n", fp);
  fclose(fp);
  g_assert_true(sr_loss_log_read(path, &v, &n, &skipped, &err));
  g_assert_cmpuint(skipped, ==, 1);
  g_assert_cmpuint(n, ==, 8);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpint(v[i].step, ==, (int64_t)i + 1);
  g_assert_cmpfloat(v[3].loss, ==, 0.25);
  g_assert_cmpfloat(v[4].loss, ==, 2.0);
  g_assert_cmpfloat(v[7].lr, ==, 1e-4);
  free(v);
  /* The torn line was cut, not glued to the next one. */
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_assert_null(strstr(text, "0.14"));
  g_assert_nonnull(strstr(text, "\n5\t2\t"));
  g_assert_null(strstr(text, "\n5\t0.2\t"));
  g_free(text);
  remove_tree(dir);
  g_free(path);
  g_free(dir);
}

static double
mean_abs_delta(sr_unet *net, const sr_image *in)
{
  sr_error err = {0};
  sr_image *dy = sr_infer_delta(net, in, NULL, &err);
  g_assert_nonnull(dy);
  double s = 0;
  for (size_t i = 0; i < sr_image_n_floats(dy); i++)
    s += fabs(dy->pixels[i]);
  s /= (double)sr_image_n_floats(dy);
  sr_image_free(dy);
  return s;
}

static atomic_bool pause_flag;
static int paused_reports;

static void
pause_progress(void *user, const sr_train_progress *p)
{
  if (p->paused)
    paused_reports++;
  else if (p->step == 3)
    atomic_store(&pause_flag, true);
}

static gpointer
unpause_later(gpointer data)
{
  g_usleep(150 * 1000);
  atomic_store(&pause_flag, false);
  return NULL;
}

/* Pausing holds the run at a step boundary until the flag clears. */
static void
test_pause(void)
{
  sr_pair pair;
  make_pair(&pair, 1, 40, 40, false);
  sr_train_data d = {.pairs = &pair, .n_pairs = 1, .preview_frame = -1};
  sr_prep_settings_init(&d.prep);
  sr_train_config c;
  small_config(&c, 6);
  char *dir = g_dir_make_tmp("sr-train-pause-XXXXXX", NULL);
  atomic_store(&pause_flag, false);
  paused_reports = 0;
  sr_train_callbacks cb = {.progress = pause_progress, .pause = &pause_flag};
  GThread *th = g_thread_new("unpause", unpause_later, NULL);
  sr_error err = {0};
  sr_train_result r;
  gint64 t0 = g_get_monotonic_time();
  g_assert_true(sr_train_run(&c, &d, dir, NULL, &cb, &r, &err));
  g_thread_join(th);
  g_assert_cmpint(r.step, ==, 6);
  g_assert_cmpint(paused_reports, ==, 1);
  g_assert_cmpint(g_get_monotonic_time() - t0, >=, 100 * 1000);
  remove_tree(dir);
  g_free(dir);
  sr_pair_clear(&pair);
}

/* A pair whose ground truth equals its input teaches ΔY = 0. */
static void
test_identity_pair(void)
{
  sr_pair pair;
  make_pair(&pair, 1, 48, 48, true);
  sr_train_data d = {.pairs = &pair, .n_pairs = 1, .preview_frame = -1};
  sr_prep_settings_init(&d.prep);
  sr_train_config c;
  small_config(&c, 150);
  c.checkpoint_every = 150;
  c.warmup_steps = 10;
  c.learning_rate = 2e-3;
  char *dir = g_dir_make_tmp("sr-train-id-XXXXXX", NULL);
  sr_error err = {0};
  sr_train_result r;

  sr_backend *be = sr_backend_cpu_create(1, &err);
  g_assert_nonnull(be);
  sr_unet *init = sr_unet_new(SR_UNET_S, be, &err);
  g_assert_true(sr_unet_init(init, c.seed, &err));
  double before = mean_abs_delta(init, pair.input);
  sr_unet_free(init);

  if (!sr_train_run(&c, &d, dir, NULL, NULL, &r, &err))
    g_error("train: %s", err.message);
  char *ck = g_build_filename(dir, "checkpoints", "latest.safetensors", NULL);
  sr_unet *net = sr_checkpoint_load(ck, be, NULL, NULL, &err);
  g_assert_nonnull(net);
  double after = mean_abs_delta(net, pair.input);
  g_test_message("mean |ΔY| before %.5f, after %.5f", before, after);
  g_assert_cmpfloat(after, <, 2e-3);
  g_assert_cmpfloat(after, <, before * 0.5);
  sr_unet_free(net);
  sr_backend_close(be);
  g_free(ck);
  remove_tree(dir);
  g_free(dir);
  sr_pair_clear(&pair);
}

/* On the simulator without grain, a small model trained for a few hundred
 * steps recovers detail: held-out PSNR of Y against the Reference rises by
 * at least 3 dB over the untouched Source, and the output's Cb/Cr equal the
 * Source's. */
static void
test_learns(void)
{
  sr_simulator_options so;
  sr_simulator_options_init(&so);
  so.width = 160;
  so.height = 112;
  so.grain = false;
  so.output_space = SR_CS_REC709;
  sr_prep_settings prep;
  sr_prep_settings_init(&prep);
  prep.source_space = prep.reference_space = SR_CS_REC709;
  const int train_frames[] = {1, 9, 17, 25}, held_frames[] = {5, 21};
  sr_pair pairs[4] = {0}, held[2] = {0};
  sr_error err = {0};
  for (int i = 0; i < 6; i++) {
    int f = i < 4 ? train_frames[i] : held_frames[i - 4];
    sr_pair *p = i < 4 ? &pairs[i] : &held[i - 4];
    sr_image *src = NULL, *ref = NULL;
    if (!sr_simulator_render_frame(&so, f, &src, &ref, &err))
      g_error("simulator frame %d: %s", f, err.message);
    if (!sr_pair_build(src, ref, &prep, p, &err))
      g_error("pair %d: %s", f, err.message);
    p->source_frame = p->reference_frame = f;
    sr_image_free(src);
    sr_image_free(ref);
  }
  sr_train_data d = {.pairs = pairs,
                     .n_pairs = 4,
                     .held_out = held,
                     .n_held_out = 2,
                     .preview_frame = -1,
                     .prep = prep};
  sr_train_config c;
  small_config(&c, 1200);
  c.patch = 48;
  c.batch = 4;
  c.checkpoint_every = 1200;
  c.warmup_steps = 20;
  c.learning_rate = 3e-3;
  c.exposure_jitter = false;
  char *dir = g_dir_make_tmp("sr-train-learn-XXXXXX", NULL);
  sr_train_result r;
  gint64 t0 = g_get_monotonic_time();
  if (!sr_train_run(&c, &d, dir, NULL, NULL, &r, &err))
    g_error("train: %s", err.message);
  g_test_message("held-out PSNR Y %.2f -> %.2f dB, SSIM Y %.4f -> %.4f, %.1f s", r.psnr_before,
                 r.psnr_after, r.ssim_before, r.ssim_after,
                 (double)(g_get_monotonic_time() - t0) / 1e6);
  g_assert_cmpfloat(r.psnr_after - r.psnr_before, >=, 3.0);
  g_assert_cmpfloat(r.ssim_after, >, r.ssim_before);

  /* Chroma identity on the held-out frames, before output clamping and
   * quantisation: Source + ΔY·(1,1,1) has the Source's Cb/Cr. (test-infer
   * checks the full render chain.) */
  char *ck = g_build_filename(dir, "checkpoints", "latest.safetensors", NULL);
  sr_backend *be = sr_backend_cpu_create(1, &err);
  sr_unet *net = sr_checkpoint_load(ck, be, NULL, NULL, &err);
  g_assert_nonnull(net);
  for (int i = 0; i < 2; i++) {
    const sr_image *in = held[i].input;
    sr_image *dy = sr_infer_delta(net, in, NULL, &err);
    g_assert_nonnull(dy);
    size_t n = (size_t)in->width * (size_t)in->height;
    float *out = g_new(float, n * 3), *a = g_new(float, n * 3), *b = g_new(float, n * 3);
    for (size_t k = 0; k < n; k++)
      for (int ch = 0; ch < 3; ch++)
        out[3 * k + ch] = in->pixels[3 * k + ch] + dy->pixels[k];
    sr_rgb_to_ycbcr(prep.matrix, in->pixels, a, n, 3);
    sr_rgb_to_ycbcr(prep.matrix, out, b, n, 3);
    double dc = 0, ymax = 0;
    for (size_t k = 0; k < n; k++) {
      dc = fmax(dc, fmax(fabs(a[3 * k + 1] - b[3 * k + 1]), fabs(a[3 * k + 2] - b[3 * k + 2])));
      ymax = fmax(ymax, fabs(a[3 * k] - b[3 * k]));
    }
    g_assert_cmpfloat(ymax, >, 1e-3);
    g_assert_cmpfloat(dc, <=, 1e-6);
    g_free(out);
    g_free(a);
    g_free(b);
    sr_image_free(dy);
  }
  sr_unet_free(net);
  sr_backend_close(be);
  g_free(ck);
  remove_tree(dir);
  g_free(dir);
  for (int i = 0; i < 4; i++)
    sr_pair_clear(&pairs[i]);
  for (int i = 0; i < 2; i++)
    sr_pair_clear(&held[i]);
}

/* Pairs that would not fit are refused before any is read, with the memory
 * needed, the memory available and what to change. */
static void
test_memory_estimate(void)
{
  /* 40 pairs of a 4096x3112 scan cropped to 4000x3000: 2·4000·3000·3·4 B
   * each, plus two frames being read. */
  sr_rect crop = {48, 56, 4000, 3000};
  uint64_t need = sr_train_pairs_memory(40, 4096, 3112, 3, crop);
  g_assert_cmpuint(need, ==, 40ull * 2 * 4000 * 3000 * 3 * 4 + 2ull * 4096 * 3112 * 3 * 4);
  sr_error err = {0};
  g_assert_true(sr_train_check_memory(40, 4096, 3112, 3, crop, need, &err));
  g_assert_true(sr_train_check_memory(40, 4096, 3112, 3, crop, 0, &err)); /* unknown */
  g_assert_false(sr_train_check_memory(40, 4096, 3112, 3, crop, 8000000000ull, &err));
  g_assert_cmpint(err.code, ==, SR_ERR_NOMEM);
  g_assert_nonnull(strstr(err.message, "40 pairs of 4000x3000 px"));
  g_assert_nonnull(strstr(err.message, "11.8 GB")); /* needed */
  g_assert_nonnull(strstr(err.message, "8.0 GB"));  /* available */
  g_assert_nonnull(strstr(err.message, "fewer pairs"));
  g_assert_nonnull(strstr(err.message, "smaller crop"));
  /* Without a crop the frame size counts. */
  sr_rect none = {0, 0, 0, 0};
  g_assert_cmpuint(sr_train_pairs_memory(1, 100, 50, 4, none), ==,
                   2ull * 100 * 50 * 3 * 4 + 2ull * 100 * 50 * 4 * 4);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/train/lr-schedule", test_lr_schedule);
  g_test_add_func("/train/lr-schedule-scales", test_lr_schedule_scales);
  g_test_add_func("/train/config", test_config);
  g_test_add_func("/train/paired-augmentation", test_paired_augmentation);
  g_test_add_func("/train/resume-bit-exact", test_resume_bit_exact);
  g_test_add_func("/train/loss-log", test_loss_log);
  g_test_add_func("/train/identity-pair", test_identity_pair);
  g_test_add_func("/train/pause", test_pause);
  g_test_add_func("/train/learns", test_learns);
  g_test_add_func("/train/bad-input/pairs-exceed-memory", test_memory_estimate);
  return g_test_run();
}
