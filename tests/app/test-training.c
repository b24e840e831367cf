/* The training and render entry points (app/sr-training.h,
 * app/sr-rendering.h): the one patch-fitting rule, the settings to
 * configuration mapping, and a short real run of each on a synthetic
 * project, with the mistakes an archivist can make. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sr-delivery.h"
#include "sr-io.h"
#include "sr-job.h"
#include "sr-metrics.h"
#include "sr-rendering.h"
#include "sr-loss-log.h"
#include "sr-training-runs.h"
#include "sr-training.h"

#define W 64
#define H 48

static char *tmpdir;

static void
test_fit_patch(void)
{
  /* The guide: 512, 256 when the crop is small, never larger than the crop. */
  g_assert_cmpint(sr_training_fit_patch(512, 1920, 1080, SR_MODEL_SIZE_M), ==, 512);
  g_assert_cmpint(sr_training_fit_patch(512, 400, 300, SR_MODEL_SIZE_M), ==, 256);
  g_assert_cmpint(sr_training_fit_patch(512, 300, 400, SR_MODEL_SIZE_M), ==, 256);
  g_assert_cmpint(sr_training_fit_patch(512, 512, 512, SR_MODEL_SIZE_M), ==, 512);
  g_assert_cmpint(sr_training_fit_patch(512, 511, 2000, SR_MODEL_SIZE_M), ==, 256);
  g_assert_cmpint(sr_training_fit_patch(512, 200, 150, SR_MODEL_SIZE_M), ==, 128);
  /* A larger patch is halved as far as the crop asks, not to 256 at once. */
  g_assert_cmpint(sr_training_fit_patch(1024, 600, 600, SR_MODEL_SIZE_M), ==, 512);
  /* A patch that fits is kept, even a small one. */
  g_assert_cmpint(sr_training_fit_patch(64, 1920, 1080, SR_MODEL_SIZE_M), ==, 64);
  /* Tiny crops: down to the model's size multiple (M: 8, S: 4), no further;
   * what still does not fit is for the trainer's validation to report. */
  g_assert_cmpint(sr_training_fit_patch(512, 48, 64, SR_MODEL_SIZE_M), ==, 32);
  g_assert_cmpint(sr_training_fit_patch(512, 10, 10, SR_MODEL_SIZE_M), ==, 8);
  g_assert_cmpint(sr_training_fit_patch(512, 5, 5, SR_MODEL_SIZE_M), ==, 8);
  g_assert_cmpint(sr_training_fit_patch(512, 5, 5, SR_MODEL_SIZE_S), ==, 4);
  /* Every fitted patch is a multiple the U-Net accepts. */
  for (int size = SR_MODEL_SIZE_S; size <= SR_MODEL_SIZE_L; size++)
    for (int side = 1; side < 700; side += 7) {
      int p = sr_training_fit_patch(512, side, side + 3, (SrModelSize)size);
      int mult = sr_unet_size_multiple((sr_unet_size)size);
      g_assert_cmpint(p % mult, ==, 0);
      g_assert_true(p <= side || p == mult);
    }
  /* A patch that is not a power of two keeps a multiple of the model's. */
  g_assert_cmpint(sr_training_fit_patch(384, 300, 300, SR_MODEL_SIZE_M), ==, 192);
  /* An unknown crop changes nothing. */
  g_assert_cmpint(sr_training_fit_patch(512, 0, 0, SR_MODEL_SIZE_M), ==, 512);
}

static void
test_config_from_settings(void)
{
  SrTrainingSettings t;
  sr_train_config c, d;

  sr_training_settings_init(&t);
  sr_training_config_from_settings(&t, &c);
  sr_train_config_init(&d);
  /* The defaults agree, so a project left at its defaults trains as the
   * engine's defaults describe. */
  g_autofree char *a = sr_train_config_to_json(&c);
  g_autofree char *b = sr_train_config_to_json(&d);
  g_assert_cmpstr(a, ==, b);

  t.model_size = SR_MODEL_SIZE_L;
  t.patch = 128;
  t.batch = 2;
  t.steps = 50;
  t.warmup_steps = 80; /* longer than the run: a tenth of it */
  t.learning_rate = 1e-3;
  t.seed = 7;
  t.backend[0] = '\0';
  sr_training_config_from_settings(&t, &c);
  g_assert_cmpint(c.model_size, ==, SR_UNET_L);
  g_assert_cmpint(c.patch, ==, 128);
  g_assert_cmpint(c.batch, ==, 2);
  g_assert_cmpint(c.steps, ==, 50);
  g_assert_cmpint(c.warmup_steps, ==, 5);
  g_assert_cmpfloat(c.learning_rate, ==, 1e-3);
  g_assert_cmpuint(c.seed, ==, 7);
  g_assert_cmpstr(c.backend, ==, "auto");
}

static void
write_frames(int n)
{
  for (int f = 1; f <= n; f++) {
    sr_image *ref = sr_image_new(W, H, 3, NULL), *src = sr_image_new(W, H, 3, NULL);
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        float v = 0.5f + 0.3f * sinf((x + 2 * f) * 0.8f) * cosf(y * 0.6f);
        float *r = sr_image_row(ref, y) + 3 * x, *s = sr_image_row(src, y) + 3 * x;
        r[0] = r[1] = r[2] = v;
        s[0] = s[1] = s[2] = 0.5f + 0.8f * (v - 0.5f);
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

static SrProject *
make_project(void)
{
  SrProject *p = sr_project_new();
  g_autofree char *src = g_build_filename(tmpdir, "src.%04d.png", NULL);
  g_autofree char *ref = g_build_filename(tmpdir, "ref.%04d.png", NULL);
  g_autofree char *out = g_build_filename(tmpdir, "out", NULL);
  SrTrainingSettings t;

  sr_project_set_name(p, "shot");
  sr_project_set_source_pattern(p, src);
  sr_project_set_reference_pattern(p, ref);
  sr_project_set_source_colourspace(p, SR_CS_SRGB);
  sr_project_set_reference_colourspace(p, SR_CS_SRGB);
  sr_project_set_output_folder(p, out);
  g_assert_true(sr_project_add_pair(p, 1, NULL));
  g_assert_true(sr_project_add_pair(p, 3, NULL));
  g_assert_true(sr_project_add_held_out(p, 2, NULL));
  sr_training_settings_init(&t);
  t.model_size = SR_MODEL_SIZE_S;
  t.patch = 512; /* the guide's patch: far larger than the 64×48 frames */
  t.batch = 1;
  t.steps = 4;
  t.checkpoint_every = 4;
  t.contact_sheet_every = 0;
  g_strlcpy(t.backend, "cpu", sizeof t.backend);
  g_assert_true(sr_project_set_training(p, &t, NULL));
  return p;
}

typedef struct {
  int ready, progress, checkpoints;
  SrTrainingPlan plan;
  sr_train_progress last;
} Seen;

static void
on_ready(gpointer user, const SrTrainingPlan *plan)
{
  Seen *s = user;
  s->ready++;
  s->plan = *plan;
  s->plan.out_dir = NULL;
}

static void
on_progress(void *user, const sr_train_progress *p)
{
  ((Seen *)user)->progress++;
  ((Seen *)user)->last = *p;
}

static void
on_checkpoint(void *user, const sr_train_eval *e)
{
  ((Seen *)user)->checkpoints++;
}

static void
test_training_run(void)
{
  g_autoptr(SrProject) p = make_project();
  SrTrainingOptions o;
  SrTrainingResult r;
  Seen seen = {0};
  g_autoptr(GError) error = NULL;

  sr_training_options_init(&o);
  o.threads = 1;
  o.ready = on_ready;
  o.callbacks =
      (sr_train_callbacks){.user = &seen, .progress = on_progress, .checkpoint = on_checkpoint};
  if (!sr_training_run(p, &o, &r, &error))
    g_error("training: %s", error->message);
  g_assert_cmpint(seen.ready, ==, 1);
  g_assert_cmpint(seen.plan.requested_patch, ==, 512);
  g_assert_cmpint(seen.plan.crop_w, ==, W);
  g_assert_cmpint(seen.plan.crop_h, ==, H);
  /* The same rule the Train page shows. */
  g_assert_cmpint(seen.plan.config.patch, ==, sr_training_fit_patch(512, W, H, SR_MODEL_SIZE_S));
  g_assert_cmpint(r.config.patch, ==, 32);
  g_assert_cmpint(seen.plan.n_pairs, ==, 2);
  g_assert_cmpint(seen.plan.n_held_out, ==, 1);
  g_assert_cmpint(seen.progress, ==, 4);
  g_assert_cmpint(seen.checkpoints, ==, 1);
  g_assert_cmpint(r.train.step, ==, 4);
  g_assert_true(isfinite(r.train.psnr_after));
  /* The held-out score before training is QA's PSNR/SSIM of the Source's Y
   * against the ground truth (the one definition, sr-metrics.h). */
  {
    sr_prep_settings prep;
    sr_pair held = {0};
    sr_error err = {0};
    sr_project_get_prep_settings(p, &prep);
    g_autofree char *sp = g_build_filename(tmpdir, "src.0002.png", NULL);
    g_autofree char *rp = g_build_filename(tmpdir, "ref.0002.png", NULL);
    sr_image *si = sr_image_read(sp, &err), *ri = sr_image_read(rp, &err);
    g_assert_true(si && ri && sr_pair_build(si, ri, &prep, &held, &err));
    g_assert_cmpfloat_with_epsilon(r.train.psnr_before,
                                   sr_qa_psnr_y(held.input, held.ground_truth, prep.matrix), 1e-9);
    g_assert_cmpfloat_with_epsilon(r.train.ssim_before,
                                   sr_qa_ssim_y(held.input, held.ground_truth, prep.matrix), 1e-9);
    sr_pair_clear(&held);
    sr_image_free(si);
    sr_image_free(ri);
  }
  g_autofree char *step4 =
      g_build_filename(tmpdir, "out", "training", "checkpoints", "step_000004.safetensors", NULL);
  g_autofree char *latest =
      g_build_filename(tmpdir, "out", "training", "checkpoints", "latest.safetensors", NULL);
  g_assert_cmpstr(r.train.checkpoint_path, ==, step4);
  g_assert_true(g_file_test(latest, G_FILE_TEST_IS_REGULAR));

  /* Render that checkpoint through the render entry point: the project's
   * checkpoint is the latest one under its output folder. */
  SrRenderingOptions ro;
  g_auto(SrRenderingResult) rr = {0};
  sr_rendering_options_init(&ro);
  ro.count = 2;
  if (!sr_rendering_run(p, &ro, &rr, &error))
    g_error("render: %s", error->message);
  g_assert_true(rr.started);
  g_assert_cmpint(rr.first, ==, 1);
  g_assert_cmpint(rr.last, ==, 2);
  g_assert_cmpint(rr.render.rendered, ==, 2);
  g_assert_cmpstr(rr.checkpoint, ==, latest);
  g_autofree char *expected = sr_delivery_default_render_pattern(p);
  g_assert_cmpstr(rr.output_pattern, ==, expected);
  for (int f = 1; f <= 3; f++) {
    g_autofree char *path = sr_pattern_format(rr.output_pattern, f);
    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR) == (f <= 2));
  }
  /* Again: everything is already there. */
  sr_rendering_result_clear(&rr);
  g_assert_true(sr_rendering_run(p, &ro, &rr, &error));
  g_assert_cmpint(rr.render.skipped, ==, 2);
  g_assert_cmpint(rr.render.rendered, ==, 0);
}

/* Run folders: a new run never goes over an earlier one or over the model
 * the project renders with (app/sr-training-runs.h). Follows run-and-render,
 * whose run is in out/training. */
static void
test_run_folders(void)
{
  g_autoptr(SrProject) p = make_project();
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_build_filename(tmpdir, "out", "training", NULL);
  g_autofree char *run2 = g_build_filename(base, "run-2", NULL);
  g_autofree char *run3 = g_build_filename(base, "run-3", NULL);
  g_autofree char *step4 = g_build_filename(base, "checkpoints", "step_000004.safetensors", NULL);
  g_autofree char *before = NULL, *after = NULL;
  gsize before_len = 0, after_len = 0;
  SrTrainingOptions o;
  SrTrainingResult r;

  g_assert_true(sr_training_dir_has_run(base));
  g_autofree char *current = sr_training_current_run_dir(p);
  g_assert_cmpstr(current, ==, base);
  g_autofree char *fresh = sr_training_new_run_dir(p);
  g_assert_cmpstr(fresh, ==, run2);
  g_assert_true(g_file_get_contents(step4, &before, &before_len, NULL));

  /* A new run into the folder of the first is refused before it writes. */
  sr_training_options_init(&o);
  o.threads = 1;
  o.out_dir = base;
  g_assert_false(sr_training_run(p, &o, &r, &error));
  g_assert_error(error, SR_JOB_ERROR, SR_JOB_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, base));
  g_clear_error(&error);

  /* In its own folder it runs, logs its loss, and becomes the current run;
   * the first run's checkpoint is untouched. */
  o.out_dir = fresh;
  if (!sr_training_run(p, &o, &r, &error))
    g_error("second run: %s", error->message);
  g_assert_true(g_file_get_contents(step4, &after, &after_len, NULL));
  g_assert_cmpmem(before, before_len, after, after_len);
  g_autofree char *log_path = g_build_filename(run2, SR_LOSS_LOG_NAME, NULL);
  sr_loss_entry *entries = NULL;
  size_t n = 0;
  sr_error err = {0};
  g_assert_true(sr_loss_log_read(log_path, &entries, &n, NULL, &err));
  g_assert_cmpuint(n, ==, 4);
  g_assert_cmpint(entries[3].step, ==, 4);
  free(entries);
  g_free(current);
  current = sr_training_current_run_dir(p);
  g_assert_cmpstr(current, ==, run2);
  g_assert_cmpint(sr_training_run_number(p, run2), ==, 2);
  g_free(fresh);
  fresh = sr_training_new_run_dir(p);
  g_assert_cmpstr(fresh, ==, run3);
  /* Without a checkpoint of its own, the project renders the newest run. */
  g_autofree char *facts = sr_checkpoint_facts_path(p, NULL);
  g_autofree char *latest2 = g_build_filename(run2, "checkpoints", "latest.safetensors", NULL);
  g_assert_cmpstr(facts, ==, latest2);

  /* The checkpoint the project renders with is never written over: not by a
   * resume from before it, nor by any run while it is latest.safetensors. */
  g_autofree char *r2step4 = g_build_filename(run2, "checkpoints", "step_000004.safetensors", NULL);
  sr_project_set_checkpoint(p, r2step4);
  g_assert_true(sr_training_check_out_dir(p, run2, 4, NULL));
  g_assert_true(sr_training_check_out_dir(p, run3, -1, NULL));
  g_assert_false(sr_training_check_out_dir(p, run2, 2, &error));
  g_assert_nonnull(strstr(error->message, r2step4));
  g_clear_error(&error);
  sr_project_set_checkpoint(p, latest2);
  g_assert_false(sr_training_check_out_dir(p, run2, 4, &error));
  g_clear_error(&error);
}

static void
test_training_errors(void)
{
  g_autoptr(GError) error = NULL;
  SrTrainingResult r;
  g_autofree char *out = g_build_filename(tmpdir, "bad", NULL);
  SrTrainingOptions o;

  sr_training_options_init(&o);
  o.out_dir = out;
  /* No pairs. */
  g_autoptr(SrProject) empty = sr_project_new();
  g_autofree char *src = g_build_filename(tmpdir, "src.%04d.png", NULL);
  sr_project_set_source_pattern(empty, src);
  sr_project_set_reference_pattern(empty, src);
  g_assert_false(sr_training_run(empty, &o, &r, &error));
  g_assert_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING);
  g_clear_error(&error);

  /* A pair whose frame is not on disk: the message names it. */
  g_autoptr(SrProject) p = make_project();
  g_assert_true(sr_project_add_pair(p, 40, NULL));
  g_assert_false(sr_training_run(p, &o, &r, &error));
  g_assert_nonnull(strstr(error->message, "40"));
  g_clear_error(&error);
  g_assert_true(sr_project_remove_pair(p, 40));

  /* A held-out frame that is missing says it is held out. */
  g_assert_true(sr_project_add_held_out(p, 41, NULL));
  g_assert_false(sr_training_run(p, &o, &r, &error));
  g_assert_nonnull(strstr(error->message, "41"));
  g_assert_nonnull(strstr(error->message, "held-out"));
  g_clear_error(&error);
  g_assert_true(sr_project_remove_held_out(p, 41));

  /* A patch taken as given (the command line's --patch) that the crop
   * cannot hold is refused by the trainer, naming the crop. */
  SrTrainingSettings t;
  sr_project_get_training(p, &t);
  t.patch = 64;
  o.settings = &t;
  o.fit_patch = FALSE;
  g_assert_false(sr_training_run(p, &o, &r, &error));
  g_assert_nonnull(strstr(error->message, "larger than the crop"));
  g_clear_error(&error);

  /* A stop before the first pair is read leaves nothing behind. */
  g_autofree char *stopped_out = g_build_filename(tmpdir, "stopped", NULL);
  atomic_bool stop;
  atomic_init(&stop, true);
  o.out_dir = stopped_out;
  o.settings = NULL;
  o.fit_patch = TRUE;
  o.callbacks.cancel = &stop;
  g_assert_false(sr_training_run(p, &o, &r, &error));
  g_assert_error(error, SR_JOB_ERROR, SR_JOB_ERROR_CANCELLED);
  g_clear_error(&error);
  g_assert_false(g_file_test(stopped_out, G_FILE_TEST_EXISTS));

  /* A resume from a checkpoint that is not there names it. */
  g_autofree char *nothing = g_build_filename(tmpdir, "none.safetensors", NULL);
  o.callbacks.cancel = NULL;
  o.resume = nothing;
  g_assert_false(sr_training_run(p, &o, &r, &error));
  g_assert_nonnull(strstr(error->message, nothing));
}

static void
test_rendering_errors(void)
{
  g_autoptr(GError) error = NULL;
  g_auto(SrRenderingResult) r = {0};
  SrRenderingOptions o;

  sr_rendering_options_init(&o);
  /* No Source. */
  g_autoptr(SrProject) empty = sr_project_new();
  g_assert_false(sr_rendering_run(empty, &o, &r, &error));
  g_assert_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING);
  g_assert_false(r.started);
  g_clear_error(&error);
  sr_rendering_result_clear(&r);

  /* No checkpoint and no output folder to find one in. */
  g_autofree char *src = g_build_filename(tmpdir, "src.%04d.png", NULL);
  sr_project_set_source_pattern(empty, src);
  sr_project_set_output_folder(empty, "");
  g_assert_false(sr_rendering_run(empty, &o, &r, &error));
  g_assert_error(error, SR_JOB_ERROR, SR_JOB_ERROR_MISSING);
  g_clear_error(&error);
  sr_rendering_result_clear(&r);

  /* A checkpoint that is not a model: the message names the file. */
  g_autofree char *fake = g_build_filename(tmpdir, "fake.safetensors", NULL);
  g_assert_true(g_file_set_contents(fake, "not a model", -1, NULL));
  o.checkpoint = fake;
  o.backend = "cpu";
  g_assert_false(sr_rendering_run(empty, &o, &r, &error));
  g_assert_nonnull(strstr(error->message, fake));
  g_assert_false(r.started);
}

/* The Train page's estimate measures what a run does: the same fitted
 * patch (to the crop, or to the frame without one), batch, model, backend
 * and threads as a short real run reports in its plan; the first step
 * (set-up) apart from the timed ones; the median of the timed steps; and
 * the remaining steps times that, the same arithmetic as the run's own
 * ETA. No time is asserted. */
static void
test_estimate_measures_the_run(void)
{
  g_autoptr(SrProject) p = make_project();
  g_autofree char *out = g_build_filename(tmpdir, "estimate-out", NULL);
  SrTrainingOptions o;
  SrTrainingResult r;
  Seen seen = {0};
  g_autoptr(GError) error = NULL;

  sr_project_set_crop(p, (sr_rect){8, 4, 40, 36});
  sr_training_options_init(&o);
  o.threads = 1;
  o.out_dir = out;
  o.ready = on_ready;
  o.callbacks = (sr_train_callbacks){.user = &seen, .progress = on_progress};
  if (!sr_training_run(p, &o, &r, &error))
    g_error("training: %s", error->message);

  SrTrainingMeasureOptions mo;
  SrTrainingMeasure m;
  sr_training_measure_options_init(&mo);
  mo.threads = 1;
  mo.seconds = 0.05;
  mo.max_steps = 3;
  if (!sr_training_measure(p, &mo, &m, &error))
    g_error("measure: %s", error->message);
  g_assert_cmpint(m.train_w, ==, seen.plan.crop_w);
  g_assert_cmpint(m.train_h, ==, seen.plan.crop_h);
  g_assert_cmpint(m.config.patch, ==, seen.plan.config.patch);
  g_assert_cmpint(m.config.patch, ==, 32); /* 512 fitted to the 40×36 crop */
  g_assert_cmpint(m.config.batch, ==, seen.plan.config.batch);
  g_assert_cmpint(m.config.model_size, ==, seen.plan.config.model_size);
  g_assert_cmpint(m.config.threads, ==, seen.plan.config.threads);
  g_assert_cmpstr(m.config.backend, ==, seen.plan.config.backend);
  g_assert_cmpstr(m.backend_name, ==, "cpu");
  g_assert_cmpint(m.n_timed, >=, 1);
  g_assert_cmpint(m.n_timed, <=, 3);
  g_assert_cmpfloat(m.warmup_seconds, >, 0);
  for (int i = 0; i < m.n_timed; i++)
    g_assert_cmpfloat(m.step_seconds[i], >, 0);
  g_assert_cmpfloat(m.seconds_per_step, ==, sr_training_median(m.step_seconds, m.n_timed));
  g_test_message("estimate: first step %.4f s (untimed), %d timed, %.4f s/step; the run: %.4f "
                 "s/step",
                 m.warmup_seconds, m.n_timed, m.seconds_per_step, 1.0 / seen.last.steps_per_second);

  /* The run's ETA is the same model: steps to go times the time of a step. */
  g_assert_cmpint(seen.last.step, ==, seen.last.steps);
  double sps = seen.last.steps_per_second;
  g_assert_cmpfloat(sps, >, 0);
  g_assert_cmpfloat_with_epsilon(
      seen.last.eta_seconds,
      sr_training_estimate_seconds(1.0 / sps, seen.last.steps, seen.last.step), 1e-9);
  g_assert_cmpfloat(sr_training_estimate_seconds(0.5, 1000, 200), ==, 400.0);
  g_assert_cmpfloat(sr_training_estimate_seconds(0.5, 1000, 0), ==, 500.0);
  g_assert_cmpfloat(sr_training_median((double[]){3, 1, 2}, 3), ==, 2.0);
  g_assert_cmpfloat(sr_training_median((double[]){4, 1, 3, 2}, 4), ==, 2.5);

  /* Without a crop the patch is fitted to the frame, as the run fits it. */
  sr_project_set_crop(p, (sr_rect){0, 0, 0, 0});
  if (!sr_training_measure(p, &mo, &m, &error))
    g_error("measure: %s", error->message);
  g_assert_cmpint(m.train_w, ==, W);
  g_assert_cmpint(m.train_h, ==, H);
  g_assert_cmpint(m.config.patch, ==, sr_training_fit_patch(512, W, H, SR_MODEL_SIZE_S));

  /* A stop asked for before the first step ends the measurement. */
  mo.stop = (gboolean(*)(gpointer))g_cancellable_is_cancelled;
  g_autoptr(GCancellable) c = g_cancellable_new();
  g_cancellable_cancel(c);
  mo.user = c;
  g_assert_false(sr_training_measure(p, &mo, &m, &error));
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp("sr-training-XXXXXX", NULL);
  write_frames(3);
  g_test_add_func("/training/fit-patch", test_fit_patch);
  g_test_add_func("/training/config-from-settings", test_config_from_settings);
  g_test_add_func("/training/run-and-render", test_training_run);
  g_test_add_func("/training/estimate-measures-the-run", test_estimate_measures_the_run);
  g_test_add_func("/training/run-folders", test_run_folders);
  g_test_add_func("/training/errors", test_training_errors);
  g_test_add_func("/rendering/errors", test_rendering_errors);
  int status = g_test_run();
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    g_printerr("could not remove %s\n", tmpdir);
  g_free(tmpdir);
  return status;
}
