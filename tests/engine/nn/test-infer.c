/* Inference: tiles against the whole frame, and the identity network. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sr-checkpoint.h"
#include "sr-infer.h"
#include "sr-test-util.h"

static sr_backend *
cpu_backend(void)
{
  sr_error err = {0};
  sr_backend *be = sr_backend_cpu_create(1, &err);
  if (!be)
    g_error("CPU backend: %s", err.message);
  return be;
}

/* A test picture with edges, gradients and fine texture, RGB in [0,1]. */
static sr_image *
test_picture(int w, int h, int channels, float scale)
{
  sr_image *img = sr_image_new(w, h, channels, NULL);
  g_assert_nonnull(img);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float *p = sr_image_row(img, y) + (size_t)x * (size_t)channels;
      float base = 0.5f + 0.4f * sinf(x * 0.37f) * cosf(y * 0.23f);
      float edge = ((x / 9 + y / 7) % 2) ? 0.15f : -0.15f;
      float v = fminf(fmaxf(base + edge, 0.0f), 1.0f);
      for (int c = 0; c < channels; c++)
        p[c] = scale * (c == 3 ? 1.0f : v * (0.8f + 0.1f * (float)c));
    }
  return img;
}

/* An S network whose output is large enough for the comparison to mean
 * something: the head is scaled up from its near-identity initialisation. */
static sr_unet *
random_net(sr_backend *be, float head_gain)
{
  return sr_test_scaled_net(be, 42, head_gain);
}

static double
max_abs_diff(const sr_image *a, const sr_image *b)
{
  g_assert_cmpint(sr_image_n_floats(a), ==, sr_image_n_floats(b));
  double m = 0;
  for (size_t i = 0; i < sr_image_n_floats(a); i++)
    m = fmax(m, fabs((double)a->pixels[i] - (double)b->pixels[i]));
  return m;
}

static void
test_tiled_equals_whole(void)
{
  sr_backend *be = cpu_backend();
  sr_unet *net = random_net(be, 20.0f);
  sr_image *in = test_picture(150, 97, 3, 1.0f);
  sr_error err = {0};
  sr_infer_options whole = {.tile = -1};
  sr_image *ref = sr_infer_delta(net, in, &whole, &err);
  g_assert_nonnull(ref);
  g_assert_cmpint(ref->width, ==, 150);
  g_assert_cmpint(ref->height, ==, 97);
  double mag = 0;
  for (size_t i = 0; i < sr_image_n_floats(ref); i++)
    mag = fmax(mag, fabs(ref->pixels[i]));
  g_assert_cmpfloat(mag, >, 1e-2); /* the comparison is not between zeros */

  int tiles[] = {16, 48};
  for (size_t i = 0; i < G_N_ELEMENTS(tiles); i++) {
    sr_infer_options o = {.tile = tiles[i]};
    sr_image *t = sr_infer_delta(net, in, &o, &err);
    g_assert_nonnull(t);
    double d = max_abs_diff(ref, t);
    if (d > 1e-5)
      g_error("tile %d: max |tiled - whole| = %g", tiles[i], d);
    sr_image_free(t);
  }
  /* A margin far below the receptive field must show: the test can fail. */
  sr_infer_options thin = {.tile = 32, .overlap = 4};
  sr_image *t = sr_infer_delta(net, in, &thin, &err);
  g_assert_nonnull(t);
  g_assert_cmpfloat(max_abs_diff(ref, t), >, 1e-4);
  sr_image_free(t);

  sr_image_free(ref);
  sr_image_free(in);
  sr_unet_free(net);
  sr_backend_close(be);
}

static sr_unet *
zero_net(sr_backend *be)
{
  sr_error err = {0};
  sr_unet *net = sr_unet_new(SR_UNET_S, be, &err);
  g_assert_nonnull(net);
  g_assert_true(sr_unet_init(net, 1, &err));
  float *w = g_new0(float, sr_unet_total_params(net));
  g_assert_true(sr_unet_import(net, SR_UNET_PARAMS, w, &err));
  g_free(w);
  return net;
}

static void
test_identity_network(void)
{
  sr_backend *be = cpu_backend();
  sr_unet *net = zero_net(be);
  sr_error err = {0};

  /* Scene-linear Source with highlights above 1 and alpha, a crop and a
   * pre-filter: the identity network hands it back bit for bit. */
  sr_image *src = test_picture(90, 70, 4, 1.6f);
  sr_prep_settings prep;
  sr_prep_settings_init(&prep);
  prep.source_space = SR_CS_LINEAR_REC709;
  prep.reference_space = SR_CS_REC709;
  prep.crop = (sr_rect){6, 4, 70, 58};
  prep.prefilter = SR_PREFILTER_MEDIAN3;
  sr_infer_options o = {.tile = 32};
  sr_image *out = sr_infer_frame(net, src, &prep, &o, &err);
  if (!out)
    g_error("infer: %s", err.message);
  g_assert_cmpint(out->width, ==, src->width);
  g_assert_cmpint(out->height, ==, src->height);
  g_assert_cmpint(out->channels, ==, src->channels);
  g_assert_cmpmem(out->pixels, sr_image_n_floats(out) * sizeof(float), src->pixels,
                  sr_image_n_floats(src) * sizeof(float));
  sr_image_free(out);

  /* Display-referred, whole frame. */
  sr_image *d = test_picture(40, 33, 3, 1.0f);
  sr_prep_settings_init(&prep);
  out = sr_infer_frame(net, d, &prep, NULL, &err);
  g_assert_nonnull(out);
  g_assert_cmpmem(out->pixels, sr_image_n_floats(out) * sizeof(float), d->pixels,
                  sr_image_n_floats(d) * sizeof(float));
  sr_image_free(out);
  sr_image_free(d);
  sr_image_free(src);
  sr_unet_free(net);
  sr_backend_close(be);
}

/* A non-zero ΔY changes luma only: Cb/Cr of the recovered frame match the
 * Source's in the training domain. */
static void
test_chroma_preserved(void)
{
  sr_backend *be = cpu_backend();
  sr_unet *net = random_net(be, 5.0f);
  sr_error err = {0};
  sr_image *src = test_picture(64, 48, 3, 0.9f);
  sr_prep_settings prep;
  sr_prep_settings_init(&prep);
  sr_image *out = sr_infer_frame(net, src, &prep, NULL, &err);
  g_assert_nonnull(out);
  size_t n = (size_t)src->width * (size_t)src->height;
  float *a = g_new(float, n * 3), *b = g_new(float, n * 3);
  sr_rgb_to_ycbcr(prep.matrix, src->pixels, a, n, 3);
  sr_rgb_to_ycbcr(prep.matrix, out->pixels, b, n, 3);
  double dy = 0, dc = 0;
  size_t unclipped = 0;
  for (size_t i = 0; i < n; i++) {
    dy = fmax(dy, fabs(a[3 * i] - b[3 * i]));
    bool clipped = false;
    for (int c = 0; c < 3; c++)
      clipped |= out->pixels[3 * i + c] <= 0.0f || out->pixels[3 * i + c] >= 1.0f;
    if (clipped)
      continue;
    unclipped++;
    dc = fmax(dc, fabs(a[3 * i + 1] - b[3 * i + 1]));
    dc = fmax(dc, fabs(a[3 * i + 2] - b[3 * i + 2]));
  }
  g_assert_cmpfloat(dy, >, 1e-3);
  g_assert_cmpuint(unclipped, >, n / 2);
  g_assert_cmpfloat(dc, <=, 1e-6);
  g_free(a);
  g_free(b);
  sr_image_free(out);
  sr_image_free(src);
  sr_unet_free(net);
  sr_backend_close(be);
}

static void
test_model_open(void)
{
  sr_backend *be = cpu_backend();
  sr_unet *net = random_net(be, 1.0f);
  char *dir = g_dir_make_tmp("sr-test-infer-XXXXXX", NULL);
  char *path = g_build_filename(dir, "m.safetensors", NULL);
  sr_checkpoint_meta meta;
  sr_checkpoint_meta_init(&meta);
  meta.size = SR_UNET_S;
  sr_error err = {0};
  char id[65];
  g_assert_true(sr_checkpoint_save(path, net, &meta, false, id, &err));
  sr_model *m = sr_model_open(path, "cpu", &err);
  if (!m)
    g_error("open: %s", err.message);
  g_assert_cmpstr(m->meta.model_id, ==, id);
  g_assert_cmpstr(m->backend->name, ==, "cpu");
  sr_model_close(m);
  g_assert_null(sr_model_open("/nonexistent.safetensors", "cpu", &err));
  g_assert_nonnull(strstr(err.message, "/nonexistent.safetensors"));
  g_remove(path);
  g_rmdir(dir);
  g_free(path);
  g_free(dir);
  sr_unet_free(net);
  sr_backend_close(be);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/infer/tiled-equals-whole", test_tiled_equals_whole);
  g_test_add_func("/infer/identity-network", test_identity_network);
  g_test_add_func("/infer/chroma-preserved", test_chroma_preserved);
  g_test_add_func("/infer/model-open", test_model_open);
  return g_test_run();
}
